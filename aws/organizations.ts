/**
 * What cordon reads from AWS Organizations: the organization stack's checks before it declares
 * anything (program/organization.ts's DeployOrganizations) and `verify`'s reading of the live
 * guardrails (verify/organization.ts's LiveOrganizations). Read-only; each call goes through
 * `send`, so its action is one of the lists below, which `permissions` grants.
 */
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  type PolicyType,
} from "@aws-sdk/client-organizations";
import { GUARDRAIL_PREFIX, POLICY_TYPE, type GuardrailKind } from "../plan/organization.ts";
import type { DeployOrganizations } from "../program/organization.ts";
import type { LiveGuardrail, LiveOrganizations } from "../verify/organization.ts";
import { send, tokenPages, type Clients } from "./clients.ts";
import { parsePolicyText } from "./iam.ts";

/** What the organization stack calls through `deployOrganizations`. */
export const programOrganizationsPermissions: readonly string[] = [
  "organizations:DescribeOrganization",
  "organizations:ListPoliciesForTarget",
  "organizations:ListRoots",
];

/** What `verify` calls through `liveOrganizations`, from the organization stack's account. */
export const verifyOrganizationsPermissions: readonly string[] = [
  "organizations:DescribeOrganization",
  "organizations:DescribePolicy",
  "organizations:ListPolicies",
  "organizations:ListTargetsForPolicy",
];

/** The organization's management account (DescribeOrganization's MasterAccountId). */
async function managementAccount(organizations: Clients["organizations"]): Promise<string> {
  const { Organization } = await send(organizations, new DescribeOrganizationCommand({}));
  return Organization?.MasterAccountId ?? "";
}

/** The organization's roots, and the status of each policy type in each (ListRoots). */
export async function readRoots(
  organizations: Clients["organizations"],
): Promise<{ id: string; policyTypes: { type: string; status: string }[] }[]> {
  const roots = await tokenPages(
    (NextToken) => send(organizations, new ListRootsCommand({ NextToken })),
    (page) => page.Roots,
  );
  return roots.map((root) => ({
    id: root.Id ?? "",
    policyTypes: (root.PolicyTypes ?? []).map((t) => ({ type: t.Type ?? "", status: t.Status ?? "" })),
  }));
}

function isTargetNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "TargetNotFoundException";
}

export function deployOrganizations(clients: Clients): DeployOrganizations {
  const { organizations } = clients;
  return {
    managementAccount: () => managementAccount(organizations),
    roots: () => readRoots(organizations),
    async policiesForTarget(target, type) {
      try {
        const policies = await tokenPages(
          (NextToken) =>
            send(
              organizations,
              new ListPoliciesForTargetCommand({ TargetId: target, Filter: type as PolicyType, NextToken }),
            ),
          (page) => page.Policies,
        );
        return policies.map((p) => ({ id: p.Id ?? "", name: p.Name ?? "", awsManaged: p.AwsManaged === true }));
      } catch (error) {
        if (isTargetNotFound(error)) return null;
        throw error;
      }
    },
  };
}

export function liveOrganizations(clients: Clients): LiveOrganizations {
  const { organizations } = clients;
  return {
    managementAccount: () => managementAccount(organizations),
    async guardrails(): Promise<LiveGuardrail[]> {
      const out: LiveGuardrail[] = [];
      for (const kind of ["scp", "rcp"] as GuardrailKind[]) {
        const policies = await tokenPages(
          (NextToken) => send(organizations, new ListPoliciesCommand({ Filter: POLICY_TYPE[kind], NextToken })),
          (page) => page.Policies,
        );
        for (const summary of policies.filter((p) => (p.Name ?? "").startsWith(GUARDRAIL_PREFIX[kind]))) {
          const { Policy } = await send(organizations, new DescribePolicyCommand({ PolicyId: summary.Id }));
          const targets = await tokenPages(
            (NextToken) => send(organizations, new ListTargetsForPolicyCommand({ PolicyId: summary.Id, NextToken })),
            (page) => page.Targets,
          );
          let document: LiveGuardrail["document"];
          try {
            document = parsePolicyText(Policy?.Content ?? "");
          } catch {
            document = null;
          }
          out.push({
            kind,
            name: summary.Name ?? "",
            id: summary.Id ?? "",
            document,
            targets: targets.map((t) => t.TargetId ?? "").sort(),
          });
        }
      }
      return out;
    },
  };
}
