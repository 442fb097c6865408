/**
 * What the Pulumi program reads from IAM before declaring anything (program/iam.ts's DeployIam; every
 * credential of a compromised user and the program's two own acts come from aws/credentials.ts),
 * over the AWS SDK with its default configuration: credentials from the default chain, as the
 * AWS provider finds them, and `AWS_ENDPOINT_URL` when set. Read-only; each call goes through
 * `send`, so its action is one of `programReadPermissions`, which the deploy policy grants.
 */
import {
  GetAccessKeyLastUsedCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
} from "@aws-sdk/client-iam";
import type { DeployIam, IamQuotas, RoleState } from "../program/iam.ts";
import { allPages, send, type Clients } from "./clients.ts";
import { credentialIam } from "./credentials.ts";
import { orIfMissing } from "./errors.ts";
import { callerAccount, decodePolicyText } from "./iam.ts";

/** What the program calls through `deployIam`, besides the provider's invokes. Read-only. */
export const programReadPermissions: readonly string[] = [
  "iam:GetAccessKeyLastUsed",
  "iam:GetAccountSummary",
  "iam:GetPolicy",
  "iam:GetRole",
  "iam:GetRolePolicy",
  "iam:GetUser",
  "iam:GetUserPolicy",
  "iam:ListAccessKeys",
  "iam:ListAttachedRolePolicies",
  "iam:ListAttachedUserPolicies",
  "iam:ListRolePolicies",
  "iam:ListUserPolicies",
  "iam:ListUsers",
  "sts:GetCallerIdentity",
];

/** IAM's defaults, for a summary that leaves a quota out. */
const DEFAULT_QUOTAS: IamQuotas = {
  attachedPoliciesPerUser: 10,
  attachedPoliciesPerRole: 10,
  rolePolicySize: 10240,
  userPolicySize: 2048,
};

export function deployIam(clients: Clients): DeployIam {
  const { iam } = clients;
  // Every user by id, read once a run, and only when a recorded id is not where it was.
  let users: Promise<Map<string, string>> | undefined;
  return {
    ...credentialIam(clients),
    account: () => callerAccount(clients),
    async accessKeys(user) {
      return orIfMissing(
        allPages(
          (Marker) => send(iam, new ListAccessKeysCommand({ UserName: user, Marker })),
          (page) =>
            page.AccessKeyMetadata?.map((key) => ({ accessKeyId: key.AccessKeyId ?? "", status: key.Status ?? "" })),
        ),
        () => null,
      );
    },
    async keyOwner(accessKeyId) {
      const used = await orIfMissing(
        send(iam, new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })),
        () => null,
      );
      if (used === null) return null;
      // Only IAM's NoSuchEntity makes a key "deleted": an answer without an owner is not taken for
      // one, or a live key could be left enabled.
      if (!used.UserName) throw new Error(`iam:GetAccessKeyLastUsed answered for ${accessKeyId} without a user name`);
      return used.UserName;
    },
    async userId(name) {
      const found = await orIfMissing(send(iam, new GetUserCommand({ UserName: name })), () => null);
      if (found === null) return null;
      // An answer without an id is taken neither for this user nor for another.
      if (!found.User?.UserId) throw new Error(`iam:GetUser answered for ${name} without a user id`);
      return found.User.UserId;
    },
    async userNamed(userId) {
      users ??= allPages(
        (Marker) => send(iam, new ListUsersCommand({ Marker })),
        (page) => page.Users,
      ).then((all) => new Map(all.map((user) => [user.UserId ?? "", user.UserName ?? ""])));
      return (await users).get(userId) ?? null;
    },
    async role(name): Promise<RoleState | null> {
      const found = await orIfMissing(send(iam, new GetRoleCommand({ RoleName: name })), () => null);
      if (found?.Role === undefined) return null;
      const inlineNames = await allPages(
        (Marker) => send(iam, new ListRolePoliciesCommand({ RoleName: name, Marker })),
        (page) => page.PolicyNames,
      );
      const inlinePolicies: Record<string, string> = {};
      for (const policyName of inlineNames) {
        const policy = await send(iam, new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
        inlinePolicies[policyName] = decodePolicyText(policy.PolicyDocument ?? "");
      }
      const attached = await allPages(
        (Marker) => send(iam, new ListAttachedRolePoliciesCommand({ RoleName: name, Marker })),
        (page) => page.AttachedPolicies,
      );
      return {
        name: found.Role.RoleName ?? name,
        path: found.Role.Path ?? "/",
        tags: Object.fromEntries((found.Role.Tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
        inlinePolicies,
        attachedPolicies: attached.map((policy) => policy.PolicyArn ?? ""),
      };
    },
    async userAttachedPolicies(name) {
      return orIfMissing(
        allPages(
          (Marker) => send(iam, new ListAttachedUserPoliciesCommand({ UserName: name, Marker })),
          (page) => page.AttachedPolicies?.map((policy) => policy.PolicyArn ?? ""),
        ),
        () => null,
      );
    },
    async userInlinePolicies(name) {
      const names = await orIfMissing(
        allPages(
          (Marker) => send(iam, new ListUserPoliciesCommand({ UserName: name, Marker })),
          (page) => page.PolicyNames,
        ),
        () => null,
      );
      if (names === null) return null;
      const inlinePolicies: Record<string, string> = {};
      for (const policyName of names) {
        const policy = await send(iam, new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }));
        inlinePolicies[policyName] = decodePolicyText(policy.PolicyDocument ?? "");
      }
      return inlinePolicies;
    },
    async quotas() {
      const summary = (await send(iam, new GetAccountSummaryCommand({}))).SummaryMap ?? {};
      return {
        attachedPoliciesPerUser: summary.AttachedPoliciesPerUserQuota ?? DEFAULT_QUOTAS.attachedPoliciesPerUser,
        attachedPoliciesPerRole: summary.AttachedPoliciesPerRoleQuota ?? DEFAULT_QUOTAS.attachedPoliciesPerRole,
        rolePolicySize: summary.RolePolicySizeQuota ?? DEFAULT_QUOTAS.rolePolicySize,
        userPolicySize: summary.UserPolicySizeQuota ?? DEFAULT_QUOTAS.userPolicySize,
      };
    },
    async managedPolicy(arn) {
      const found = await orIfMissing(send(iam, new GetPolicyCommand({ PolicyArn: arn })), () => null);
      if (found === null) return null;
      // An answer without an id is not taken for a policy of cordon's, nor for none.
      if (!found.Policy?.PolicyId) throw new Error(`iam:GetPolicy answered for ${arn} without a policy id`);
      return { policyId: found.Policy.PolicyId };
    },
  };
}
