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
  type OrganizationPolicyPlan,
  type StateGuardrail,
} from "../plan/organization.ts";
import { compareText } from "../incident/order.ts";
import type { Plan } from "../plan/plan.ts";
import type { StateResource } from "./spellings.ts";

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

/**
 * Everything that would make `pulumi up` fail on the guardrails; undefined when they can be
 * declared. `own`: the guardrails this stack's state holds (`stateGuardrails`), null when the state
 * cannot be read.
 */
export async function guardrailsProblem(
  plan: Plan,
  config: OrganizationConfig,
  organizations: DeployOrganizations,
  own: readonly StateGuardrail[] | null,
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
      // This stack's own guardrails are the policies its state holds, by id: a policy merely named
      // like cordon's is someone else's, and takes a slot like any other. Without a readable state
      // (the run then fails at its end, deleting nothing), cordon's name is all there is to go by.
      const isOwn = (p: AttachedPolicy) =>
        own === null ? p.name.startsWith(GUARDRAIL_PREFIX[kind]) : own.some((g) => g.id === p.id);
      const others = attached.filter((p) => !isOwn(p));
      // A re-packed document is a new policy: the superseded ones this stack declared stay attached
      // until a run finds every new one attached (supersededToKeep), and count meanwhile.
      // Counted from what holds the target's slots now, as Organizations lists them: without a
      // readable state too, where every cordon-named policy attached is taken for one kept.
      const plannedNames = new Set(planned.map((p) => p.name));
      const here = attached.filter(isOwn).map((p) => p.name);
      const kept = [...new Set(here.filter((name) => !plannedNames.has(name)))];
      const during = new Set([...here, ...plannedNames]).size;
      const needed = planned.length;
      const limit = POLICIES_PER_TARGET[kind];
      const names = others.map((p) => p.name).join(", ");
      const where = `${files(planned.flatMap((p) => p.incidents))}: target ${target} has ${others.length} ${KIND_NAME[kind]} attached besides cordon's (${names || "none"}), of ${limit} per target`;
      if (others.length + needed > limit) {
        problems.push(
          `${where}, and cordon's need ${needed} (${planned.map((p) => p.name).join(", ")}): detach one of the others from ${target}, or attach the guardrails to the OUs below it (cordon:organization.targets), then run again`,
        );
      } else if (others.length + during > limit) {
        problems.push(
          `${where}; cordon's need ${needed}, but the ${kept.length} they supersede (${kept.join(", ")}) stay attached until every new one is attached, ${others.length + during} in all: free ${others.length + during - limit} more, then run again (cordon never detaches a guardrail before its replacement is attached)`,
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

/** The Pulumi type of the policy each guardrail declares, and of its attachments. */
const POLICY_RESOURCE = "aws:organizations/policy:Policy";
const ATTACHMENT_RESOURCE = "aws:organizations/policyAttachment:PolicyAttachment";

/**
 * The guardrails of this stack's own state: each `aws:organizations/policy:Policy` a guardrail
 * component declared (its URN says so), named as cordon names them, with its id. Nothing Organizations
 * merely lists is one: a policy someone else attached, whatever its name, is never taken for cordon's.
 * Pure: the program passes what the engine read (program/deploy.ts, readOwnState).
 */
export function stateGuardrails(
  resources: Readonly<Record<string, StateResource>>,
  component: string,
): StateGuardrail[] {
  const found: StateGuardrail[] = [];
  const attachments = Object.values(resources)
    .filter((r) => r?.type === ATTACHMENT_RESOURCE)
    .map((r) => (r.outputs ?? {}) as { policyId?: unknown; targetId?: unknown });
  for (const [urn, resource] of Object.entries(resources).sort(([a], [b]) => compareText(a, b))) {
    if (resource?.type !== POLICY_RESOURCE || !urn.includes(`::${component}$${POLICY_RESOURCE}::`)) continue;
    const outputs = (resource.outputs ?? {}) as {
      id?: unknown;
      arn?: unknown;
      name?: unknown;
      type?: unknown;
      content?: unknown;
    };
    const kind = (Object.keys(POLICY_TYPE) as GuardrailKind[]).find((k) => POLICY_TYPE[k] === outputs.type);
    const id =
      typeof outputs.id === "string"
        ? outputs.id
        : typeof outputs.arn === "string"
          ? outputs.arn.split("/").pop()
          : undefined;
    // The resource's name, which the URN holds and nothing in IAM's or Organizations' hands can
    // change: a refresh reads a policy renamed by hand into its outputs, and declared under that name
    // it would be a new resource, its own left undeclared and deleted before anything replaced it.
    // Declared under the URN's name, the policy's `name` input renames it back.
    const name = urn.slice(urn.lastIndexOf("::") + 2);
    const { content } = outputs;
    if (kind === undefined || !name.startsWith(GUARDRAIL_PREFIX[kind])) continue;
    if (typeof id !== "string" || !/^p-[0-9a-z_]+$/.test(id) || typeof content !== "string") continue;
    const targets = attachments
      .filter((a) => a.policyId === id && typeof a.targetId === "string")
      .map((a) => a.targetId as string);
    found.push({ kind, name, id, content, targets: [...new Set(targets)].sort(compareText) });
  }
  return found;
}

/**
 * The superseded guardrails (in this stack's state, no longer planned) to declare again as they
 * are. All of them, until every planned document is attached to every one of its targets, by the id
 * this stack's state holds for it, as Organizations lists (`attached`: `target kind id` keys); none
 * once it is, and the engine then deletes them. A re-packed document is a new policy: under
 * `--continue-on-error` a failed attach of the new one would otherwise still see the old one
 * detached and deleted, leaving the target without an active incident's statements.
 */
export function supersededToKeep(
  planned: readonly OrganizationPolicyPlan[],
  own: readonly StateGuardrail[],
  attached: ReadonlySet<string>,
): StateGuardrail[] {
  const names = new Set(planned.map((p) => p.name));
  const superseded = own.filter((g) => !names.has(g.name));
  if (superseded.length === 0) return [];
  const everyAttached = planned.every((p) => {
    const id = own.find((g) => g.name === p.name && g.kind === p.kind)?.id;
    return id !== undefined && p.targets.every((target) => attached.has(attachedKey(target, p.kind, id)));
  });
  return everyAttached ? [] : superseded;
}

/** How `attachedGuardrails` names one policy attached to one target. */
export function attachedKey(target: string, kind: GuardrailKind, id: string): string {
  return `${target} ${kind} ${id}`;
}

/**
 * Which of this stack's guardrails Organizations lists as attached to each configured target
 * (`attachedKey`): what `supersededToKeep` asks. A target Organizations does not have lists none.
 */
export async function attachedGuardrails(
  config: OrganizationConfig,
  own: readonly StateGuardrail[],
  organizations: DeployOrganizations,
): Promise<Set<string>> {
  const ids = new Set(own.map((g) => g.id));
  const keys = new Set<string>();
  for (const target of config.targets) {
    for (const kind of ["scp", "rcp"] as const) {
      if (!own.some((g) => g.kind === kind)) continue;
      for (const policy of (await organizations.policiesForTarget(target, POLICY_TYPE[kind])) ?? [])
        if (ids.has(policy.id)) keys.add(attachedKey(target, kind, policy.id));
    }
  }
  return keys;
}
