/**
 * What the program declares after every credential that must not work, and after what: one
 * containment instant per incident this stack records, named after the account and the incident;
 * each replacement role after its incident's deny policies and instant, so that a role that fails
 * to be created (with `pulumi up --continue-on-error`) can neither delay nor stop them. Pure: the
 * plan in, names and order out; program/deploy.ts maps them onto the components.
 * @see ../docs/program.md
 */
import type { AutoContainPlan } from "./auto-contain.ts";
import { accessKeysToContain, type CredentialPlan } from "./credentials.ts";
import type { Plan, ReplacementRolePlan } from "./plan.ts";

/** A containment instant this stack records in this run. */
export interface InstantToRecord {
  /** Its resource name: `<account>-<incident id>`. */
  name: string;
  incident: string;
  /** Every key the incident lists triggers the instant, a deleted one too: deleting a key must not move it. */
  accessKeyIds: string[];
  /**
   * Every other access key IAM lists for the incident's users that the files do not keep, Active
   * or Inactive, sorted: each triggers the instant too. A key no earlier instant knew (an
   * attacker's second key, found Active, or already Inactive and disabled by whoever made it)
   * could have minted sessions after the recorded cutoff, so it records a new instant, after it
   * was disabled: the cutoff moves later, which denies more, never less.
   */
  otherAccessKeyIds: string[];
}

/**
 * The instants to record: the incidents whose cutoff waits for this run's containment, but those
 * denied everything until their instant can be recorded. `credentials` is IAM's listing of the
 * incidents' users, as the run found it (none without one).
 */
export function instantsToRecord(
  plan: Plan,
  account: string,
  credentials: CredentialPlan = { users: [] },
): InstantToRecord[] {
  return plan.incidents
    .filter((incident) => incident.cutoffPending && !incident.deniedUntilContained)
    .map((incident) => ({
      name: `${account}-${incident.id}`,
      incident: incident.id,
      accessKeyIds: incident.accessKeys,
      otherAccessKeyIds: accessKeysToContain(credentials, incident.id)
        .map((key) => key.accessKeyId)
        .filter((id) => !incident.accessKeys.includes(id)),
    }));
}

/** A replacement role, and the resource names of the deny policies declared before it (in the plan's order). */
export interface ReplacementRoleAfter {
  role: ReplacementRolePlan;
  denyPolicies: string[];
}

/** Each replacement role after the deny policies of its incident. */
export function replacementRolesAfter(plan: Plan): ReplacementRoleAfter[] {
  return plan.replacementRoles.map((role) => ({
    role,
    denyPolicies: plan.denyPolicies
      .filter((policy) => policy.incidents.includes(role.incident))
      .map((policy) => policy.resourceName),
  }));
}

/** What the program says when it declares auto-contain, and what is left to do by hand. */
export function autoContainNote(auto: AutoContainPlan): string {
  return `auto-contain: AWS Health's exposed-key events (${auto.region}) dispatch the contain workflow (${auto.endpoint}); until its token is set with aws events update-connection, the connection ${auto.connectionName} holds a placeholder (docs/contain.md)`;
}
