/**
 * What `doctor` and the bootstrap project read of an account's setup (doctor/live.ts's LiveSetup):
 * the GitHub OIDC provider, cordon's roles with their trust and policies, the organization's
 * roots and its centralized root access, and how many events wait in auto-contain's dead-letter
 * queue. Read-only; each call goes
 * through `send`, so its action is one of `doctorPermissions`.
 */
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListOrganizationsFeaturesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { LiveOidcProvider, LiveQueue, LiveRole, LiveRootAccess, LiveSetup } from "../doctor/live.ts";
import { allPages, REQUEST_LIMITS, send, type Clients } from "./clients.ts";
import { readRoots } from "./organizations.ts";
import { orIfMissing } from "./errors.ts";
import { callerAccount, parsePolicyText } from "./iam.ts";

/**
 * What `doctor --aws` calls. Read-only: of auto-contain's dead-letter queue it reads the count of
 * messages (GetQueueAttributes), never a message (no ReceiveMessage, which would hide it).
 */
export const doctorPermissions: readonly string[] = [
  "iam:GetOpenIDConnectProvider",
  "iam:GetRole",
  "iam:GetRolePolicy",
  "iam:ListAttachedRolePolicies",
  "iam:ListOrganizationsFeatures",
  "iam:ListRolePolicies",
  "organizations:ListRoots",
  "sqs:GetQueueAttributes",
  "sqs:GetQueueUrl",
  "sts:GetCallerIdentity",
];

/** What the bootstrap project reads before declaring: who the credentials are, and the provider already there. */
export const bootstrapReadPermissions: readonly string[] = ["iam:GetOpenIDConnectProvider", "sts:GetCallerIdentity"];

export function liveSetup(clients: Clients): LiveSetup {
  const { iam, organizations } = clients;
  return {
    account: () => callerAccount(clients),
    oidcProvider: (arn) => readOidcProvider(clients, arn),
    async role(name): Promise<LiveRole | null> {
      const found = await orIfMissing(send(iam, new GetRoleCommand({ RoleName: name })), () => null);
      if (found === null || found.Role === undefined) return null;
      const role = found.Role;
      const names = await allPages(
        (Marker) => send(iam, new ListRolePoliciesCommand({ RoleName: name, Marker })),
        (page) => page.PolicyNames,
      );
      const inline: LiveRole["inline"] = {};
      for (const policyName of names) {
        const { PolicyDocument } = await send(
          iam,
          new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }),
        );
        inline[policyName] = parsePolicyText(PolicyDocument ?? "");
      }
      const attached = await allPages(
        (Marker) => send(iam, new ListAttachedRolePoliciesCommand({ RoleName: name, Marker })),
        (page) => page.AttachedPolicies,
      );
      return {
        name: role.RoleName ?? name,
        path: role.Path ?? "/",
        description: role.Description ?? "",
        maxSessionDuration: role.MaxSessionDuration ?? 3600,
        trust: parsePolicyText(role.AssumeRolePolicyDocument ?? ""),
        inline,
        attached: attached.map((policy) => policy.PolicyArn ?? "").sort(),
      };
    },
    queue: (region, name) => readQueue(new SQSClient({ region, ...REQUEST_LIMITS }), name),
    rootAccess: () => readRootAccess(clients),
    async roots() {
      return (await readRoots(organizations)).map((root) => ({
        id: root.id,
        enabled: root.policyTypes
          .filter((t) => t.status === "ENABLED")
          .map((t) => t.type)
          .sort(),
      }));
    },
  };
}

/** The provider at `arn`, or null when the account has none. */
export async function readOidcProvider(clients: Clients, arn: string): Promise<LiveOidcProvider | null> {
  const found = await orIfMissing(
    send(clients.iam, new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })),
    () => null,
  );
  if (found === null) return null;
  return {
    arn,
    url: found.Url ?? "",
    clientIds: [...(found.ClientIDList ?? [])],
    thumbprints: [...(found.ThumbprintList ?? [])],
    tags: Object.fromEntries((found.Tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
  };
}

/** IAM's refusals that say how the organization is set up, rather than that doctor could not ask. */
const ROOT_ACCESS_REFUSALS = new Set([
  "AccountNotManagementOrDelegatedAdministratorException",
  "OrganizationNotFoundException",
  "OrganizationNotInAllFeaturesModeException",
  "ServiceAccessNotEnabledException",
]);

/** The organization's centralized root access features, or IAM's refusal to say (by name). */
async function readRootAccess(clients: Clients): Promise<LiveRootAccess> {
  try {
    const { EnabledFeatures } = await send(clients.iam, new ListOrganizationsFeaturesCommand({}));
    return { enabled: [...(EnabledFeatures ?? [])].sort() };
  } catch (error) {
    const name = (error as { name?: string }).name ?? "";
    if (ROOT_ACCESS_REFUSALS.has(name)) return { refused: name };
    throw error;
  }
}

/** SQS's answer when a queue does not exist: its JSON name, and the query protocol's code. */
const NO_QUEUE = new Set(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"]);

/** The queue `name` in the credentials' account and the messages it holds; null when there is none. */
async function readQueue(sqs: SQSClient, name: string): Promise<LiveQueue | null> {
  let url: string | undefined;
  try {
    url = (await send(sqs, new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    const e = error as { name?: string; Code?: string };
    if (NO_QUEUE.has(e.name ?? "") || NO_QUEUE.has(e.Code ?? "")) return null;
    throw error;
  }
  if (url === undefined) return null;
  const { Attributes } = await send(
    sqs,
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return { url, messages: Number(Attributes?.ApproximateNumberOfMessages ?? "0") };
}
