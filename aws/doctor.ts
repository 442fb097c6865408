/**
 * What `doctor` and the bootstrap project read of an account's setup (doctor/live.ts's LiveSetup):
 * the GitHub OIDC provider, cordon's roles with their trust and policies, and the organization's
 * roots. Read-only; each call goes through `send`, so its action is one of `doctorPermissions`.
 */
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import type { LiveOidcProvider, LiveRole, LiveSetup } from "../doctor/live.ts";
import { allPages, send, type Clients } from "./clients.ts";
import { readRoots } from "./organizations.ts";
import { orIfMissing } from "./errors.ts";
import { callerAccount, parsePolicyText } from "./iam.ts";

/** What `doctor --aws` calls. Read-only. */
export const doctorPermissions: readonly string[] = [
  "iam:GetOpenIDConnectProvider",
  "iam:GetRole",
  "iam:GetRolePolicy",
  "iam:ListAttachedRolePolicies",
  "iam:ListRolePolicies",
  "organizations:ListRoots",
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
