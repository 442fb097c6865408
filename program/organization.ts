/**
 * What the organization stack checks with Organizations before it declares anything: that the
 * configured management account is the organization's, that each policy type it declares is
 * enabled on the root, and that each target has room for cordon's documents. Organizations
 * enforces all of this only at `pulumi up` (AttachPolicy: PolicyTypeNotEnabledException,
 * ConstraintViolationException MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED), halfway through an
 * update that `pulumi preview` showed as fine. Each check answers with the reason to stop, or
 * undefined; aws/organizations.ts answers the reads over the SDK, the tests from moto or a table.
 * @see ../docs/organization.md
 */
import {
  GUARDRAIL_PREFIX,
  POLICIES_PER_TARGET,
  POLICY_TYPE,
  type GuardrailKind,
  type OrganizationConfig,
} from "../plan/organization.ts";
import type { Plan } from "../plan/plan.ts";

/** A policy attached directly to a target, as `ListPoliciesForTarget` names it. */
export interface AttachedPolicy {
  id: string;
  name: string;
  awsManaged: boolean;
}

/** The Organizations reads of the organization stack, before it declares anything. Read-only. */
export interface DeployOrganizations {
  /** The organization's management account (`DescribeOrganization`'s MasterAccountId). */
  managementAccount(): Promise<string>;
  /** Each root, and the status of each policy type on it (`ListRoots`). */
  roots(): Promise<{ id: string; policyTypes: { type: string; status: string }[] }[]>;
  /**
   * The policies of `type` attached directly to `target` (`ListPoliciesForTarget`); null when
   * Organizations has no such target (TargetNotFoundException).
   */
  policiesForTarget(target: string, type: string): Promise<AttachedPolicy[] | null>;
}

const KIND_NAME: Readonly<Record<GuardrailKind, string>> = {
  scp: "service control policies",
  rcp: "resource control policies",
};

/** Everything that would make `pulumi up` fail on the guardrails; undefined when they can be declared. */
export async function guardrailsProblem(
  plan: Plan,
  config: OrganizationConfig,
  organizations: DeployOrganizations,
): Promise<string | undefined> {
  const problems: string[] = [];
  const files = (ids: string[]) =>
    [...new Set(ids.map((id) => plan.incidents.find((i) => i.id === id)?.file ?? id))].join(", ");

  const management = await organizations.managementAccount();
  if (config.managementAccount !== management) {
    problems.push(
      `cordon:organization.managementAccount is ${config.managementAccount}, but the organization's management account is ${management}: SCPs do not reach the management account's principals, so cordon must know which it is; set managementAccount: "${management}"`,
    );
  }

  const kinds = (["scp", "rcp"] as const).filter((kind) => plan.organizationPolicies.some((p) => p.kind === kind));
  const roots = kinds.length > 0 ? await organizations.roots() : [];
  for (const kind of kinds) {
    const asking = plan.organizationPolicies.filter((p) => p.kind === kind).flatMap((p) => p.incidents);
    for (const root of roots) {
      const enabled = root.policyTypes.some((t) => t.type === POLICY_TYPE[kind] && t.status === "ENABLED");
      if (!enabled) {
        problems.push(
          `${files(asking)}: the policy type ${POLICY_TYPE[kind]} is not enabled on root ${root.id}, so attaching cordon's ${KIND_NAME[kind]} would fail (PolicyTypeNotEnabledException); an administrator of the management account enables it (aws organizations enable-policy-type --root-id ${root.id} --policy-type ${POLICY_TYPE[kind]}): cordon does not enable policy types, an organization-wide decision`,
        );
      }
    }
  }

  for (const target of config.targets) {
    for (const kind of kinds) {
      const planned = plan.organizationPolicies.filter((p) => p.kind === kind);
      const attached = await organizations.policiesForTarget(target, POLICY_TYPE[kind]);
      if (attached === null) {
        problems.push(
          `cordon:organization.targets: Organizations has no root, organizational unit or account ${target}: check the id (aws organizations list-roots, list-organizational-units-for-parent)`,
        );
        break;
      }
      const others = attached.filter((p) => !p.name.startsWith(GUARDRAIL_PREFIX[kind]));
      const current = attached.filter((p) => p.name.startsWith(GUARDRAIL_PREFIX[kind])).map((p) => p.name);
      const limit = POLICIES_PER_TARGET[kind];
      // A changed document is a new policy: Pulumi attaches it before it detaches the one it
      // replaces, so that no moment goes without the guardrail; both count meanwhile.
      const during = new Set([...current, ...planned.map((p) => p.name)]).size;
      const needed = planned.length;
      const names = others.map((p) => p.name).join(", ");
      const where = `${files(planned.flatMap((p) => p.incidents))}: target ${target} has ${others.length} ${KIND_NAME[kind]} attached besides cordon's (${names || "none"}), of ${limit} per target`;
      if (others.length + needed > limit) {
        problems.push(
          `${where}, and cordon's need ${needed} (${planned.map((p) => p.name).join(", ")}): detach one of the others from ${target}, or attach the guardrails to the OUs below it (cordon:organization.targets), then run again`,
        );
      } else if (others.length + during > limit) {
        problems.push(
          `${where}; cordon's need ${needed}, but during the update the ${current.length} now attached (${current.join(", ")}) stay until their replacements are attached, ${others.length + during} in all: free ${others.length + during - limit} more, then run again`,
        );
      }
    }
  }
  if (problems.length === 0) return undefined;
  return [
    `cordon declared nothing: the organization guardrails cannot be attached as planned (${problems.length === 1 ? "1 problem" : `${problems.length} problems`}):`,
    ...problems,
  ].join("\n");
}
