/**
 * What one stack does about each at-containment incident it applies: record the instant (it is
 * the owner: plan/containment.ts), or read it from the owner's stack outputs; and, when it can
 * have neither in this run, deny the incident's principals everything until it can. Pure: the
 * program reads the outputs and IAM, these functions decide and word what the run says.
 * @see ../docs/program.md
 */
import { ContainmentInstant } from "../components/ContainmentInstant.ts";
import { formatInstant, parseInstant } from "../incident/time.ts";
import { AT_CONTAINMENT, type Incident } from "../incident/types.ts";
import { containmentOwner } from "../plan/containment.ts";
import type { OrganizationConfig } from "../plan/organization.ts";
import { buildPlan, type Plan, type PlanOptions } from "../plan/plan.ts";
import { stackName } from "../plan/project.ts";
import { recordedForKeys } from "../plan/outputs.ts";
import type { ListedKey } from "./iam.ts";

export interface ContainmentDuties {
  /** Incidents whose instant this stack records (it holds their keys, or is the organization stack of an incident of none). */
  records: string[];
  /** Incident id → the stack whose outputs hold its instant. */
  reads: Record<string, string>;
}

/**
 * The duties of the stack of `account` towards the at-containment incidents it applies.
 * `organizationAccount` is set in the organization stack only; `stackOf` names an account's stack.
 */
export function containmentDuties(
  incidents: readonly Incident[],
  account: string,
  stackOf: (account: string) => string,
  organizationAccount?: string,
): ContainmentDuties {
  const records: string[] = [];
  const reads: Record<string, string> = {};
  for (const incident of [...incidents].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (incident.cutoff !== AT_CONTAINMENT) continue;
    const owner = containmentOwner(incident) ?? organizationAccount;
    if (owner === undefined) continue;
    if (owner === account) records.push(incident.id);
    else reads[incident.id] = stackOf(owner);
  }
  return { records, reads };
}

/**
 * The duties of the stack of `options.account`, named with `prefix`, towards the at-containment
 * incidents it applies (those with a share in its account, as the plan of `options` says); in the
 * organization stack, the owner of an incident of no key.
 */
export function stackDuties(
  incidents: readonly Incident[],
  options: PlanOptions & { account: string; organization?: OrganizationConfig },
  prefix: string,
): ContainmentDuties {
  const applied = new Set(buildPlan([...incidents], options).incidents.map((i) => i.id));
  const { account, organization } = options;
  return containmentDuties(
    incidents.filter((i) => applied.has(i.id)),
    account,
    (owner) => stackName(prefix, owner),
    organization !== undefined ? account : undefined,
  );
}

/** What an owner's stack outputs say of one incident: its cutoff and the instant behind it, once recorded. */
export interface Recorded {
  cutoff: string;
  containedAt?: string;
}

/**
 * The recorded cutoff of `incident` in another stack's outputs (`pulumi stack output --json` of
 * the owner), or undefined while the owner has not recorded it (the incident is new to it, or
 * pending there), or recorded it while the incident had other keys (a follow-up added one: the
 * owner's next run records a new, later instant). Anything that is not what the program exports
 * counts as not recorded: a damaged output must never give a cutoff, only the safe side.
 */
export function recordedIn(outputs: unknown, incident: Pick<Incident, "id" | "users">): Recorded | undefined {
  const { id } = incident;
  const incidents = (outputs as { incidents?: unknown } | null | undefined)?.incidents;
  if (typeof incidents !== "object" || incidents === null || !Object.hasOwn(incidents, id)) return undefined;
  const value = (incidents as Record<string, unknown>)[id] as {
    atContainment?: unknown;
    cutoff?: unknown;
    containedAt?: unknown;
    accessKeys?: unknown;
  } | null;
  if (value?.atContainment !== true || typeof value.cutoff !== "string") return undefined;
  if (!Array.isArray(value.accessKeys) || value.accessKeys.some((k) => typeof k !== "string")) return undefined;
  if (!recordedForKeys(value.accessKeys as string[], incident)) return undefined;
  const cutoff = parseInstant(value.cutoff);
  if (!cutoff) return undefined;
  const containedAt = typeof value.containedAt === "string" ? parseInstant(value.containedAt) : undefined;
  return { cutoff: formatInstant(cutoff), ...(containedAt ? { containedAt: formatInstant(containedAt) } : {}) };
}

/**
 * What the owners' stacks recorded, as the plan takes it: the cutoff of each incident read, and
 * the incidents whose owner has recorded none yet (denied everything here until it has).
 */
export function cutoffsRead(
  reads: Readonly<Record<string, string>>,
  recorded: Readonly<Record<string, Recorded>>,
): { containment: Record<string, string>; awaiting: string[] } {
  return {
    containment: Object.fromEntries(Object.entries(recorded).map(([id, found]) => [id, found.cutoff])),
    awaiting: Object.keys(reads).filter((id) => !Object.hasOwn(recorded, id)),
  };
}

/** The incidents this stack records the instant of in this run: its duties that the plan applies. */
export function recordedHere(duties: ContainmentDuties, plan: Plan): string[] {
  return duties.records.filter((id) => plan.incidents.some((i) => i.id === id));
}

/**
 * Where each at-containment incident's instant is kept, for the stack's outputs: this stack
 * (`ownStack`) for those it records, the owner's stack (and when it contained the keys, once
 * recorded) for those it reads.
 */
export function instantsKept(
  recordedHereIds: readonly string[],
  ownStack: string,
  reads: Readonly<Record<string, string>>,
  recorded: Readonly<Record<string, Recorded>>,
): Record<string, { stack: string; containedAt?: string }> {
  return Object.fromEntries([
    ...recordedHereIds.map((id) => [id, { stack: ownStack }] as const),
    ...Object.entries(reads).map(
      ([id, stack]) =>
        [id, { stack, ...(recorded[id]?.containedAt ? { containedAt: recorded[id].containedAt } : {}) }] as const,
    ),
  ]);
}

/**
 * One user of an incident, the access keys the files keep, and what IAM listed for it after the
 * run's key steps (null: no user of that name).
 */
export interface UserKeysAfterRun {
  user: string;
  keep: readonly string[];
  listed: ListedKey[] | null;
  /** Whether IAM had the user when the run listed it, before the key steps. */
  existed: boolean;
}

/** An access key IAM still lists as usable. */
export interface UsableKey {
  accessKeyId: string;
  user: string;
}

/**
 * The access keys still usable after the run's key steps: every key IAM lists for the incident's
 * users that the files do not keep and that is not Inactive, the exposed keys and every other one,
 * a key created since the run's listing too (it could mint sessions after the instant). A key IAM
 * no longer lists under a user it lists is contained (deleted); a user IAM no longer has by name
 * is not taken for contained here (`vanishedUsers`).
 */
export function stillActive(users: readonly UserKeysAfterRun[]): UsableKey[] {
  return users.flatMap(({ user, keep, listed }) =>
    (listed ?? [])
      .filter((key) => key.status !== "Inactive" && !keep.includes(key.accessKeyId))
      .map((key) => ({ accessKeyId: key.accessKeyId, user })),
  );
}

/**
 * The users IAM had when the run listed them and no longer finds by name after its key steps:
 * deleted, or renamed (`iam:UpdateUser` keeps the user's keys, under the new name), which the run
 * cannot tell apart from here; the next run, which asks IAM before declaring, can.
 */
export function vanishedUsers(users: readonly UserKeysAfterRun[]): string[] {
  return users.filter(({ listed, existed }) => listed === null && existed).map(({ user }) => user);
}

/** The run's line about an incident one of whose users IAM no longer finds by name after the key steps. */
export function usersVanishedNote(id: string, users: readonly string[]): string {
  const which = users.length === 1 ? `user ${users[0]}` : `users ${users.join(", ")}`;
  return `incident ${id}: IAM no longer has ${which} by that name after this run's key steps, though it had when this run listed the incident's credentials (deleted, or renamed with its keys), so no containment instant is recorded: the incident's principals are denied everything until a run finds every access key of its users that the files do not keep Inactive`;
}

/** The run's line about an incident whose owner has not recorded the instant yet, or whose outputs cannot be read. */
export function awaitingOwnerNote(id: string, ownerStack: string, readProblem?: string): string {
  const why =
    readProblem === undefined
      ? "has not recorded it yet for the keys the incident lists now"
      : `cannot be read (${readProblem})`;
  return `incident ${id}: its containment instant is recorded by stack ${ownerStack} (the account of its keys), which ${why}: until it has, this stack denies the incident's principals everything; run that stack, then this one again`;
}

/** The run's line about an incident of this stack whose users' keys are not all disabled after the key steps. */
export function keysStillActiveNote(id: string, active: readonly UsableKey[]): string {
  const keys = active.map((key) => `${key.accessKeyId} (user ${key.user})`).join(", ");
  return `incident ${id}: IAM still lists ${active.length === 1 ? "access key" : "access keys"} ${keys} as Active after this run's key steps (a failed import or update, or a key created since this run listed them), so no containment instant is recorded: the incident's principals are denied everything until a run finds every access key of its users that the files do not keep Inactive`;
}

/** The run's line about an incident whose keys could not be read back after the key steps. */
export function keysUnreadNote(id: string, problem: string): string {
  return `incident ${id}: cannot read the incident's keys back from IAM after this run's key steps (${problem}), so no containment instant is recorded: the incident's principals are denied everything until a run finds every access key of its users that the files do not keep Inactive`;
}

/** The type of the resource that holds a containment instant (components/ContainmentInstant.ts), as the checkpoint names it. */
const RECORDED_INSTANT = "time:index/static:Static";

/**
 * The incidents among `ids` whose containment instant this stack's last checkpoint holds: the
 * `time.Static` a ContainmentInstant named `<account>-<id>` created, with its instant. Such an
 * incident was contained by an earlier run: whatever a later run withholds (a user renamed, a key
 * of another owner listed) keeps the instant and its cutoff declared, since dropping it would deny
 * every principal of the incident everything, here and in every stack that reads the cutoff,
 * though nothing cordon applied changed. Pure: the program passes what the engine read.
 */
export function instantsHeld(
  account: string,
  ids: readonly string[],
  resources: Readonly<Record<string, { type?: unknown; outputs?: unknown }>>,
): string[] {
  const held = new Set<string>();
  for (const [urn, resource] of Object.entries(resources)) {
    const { rfc3339 } = (resource?.outputs ?? {}) as { rfc3339?: unknown };
    if (resource?.type !== RECORDED_INSTANT || typeof rfc3339 !== "string" || parseInstant(rfc3339) === undefined)
      continue;
    for (const id of ids)
      if (urn.endsWith(`::${ContainmentInstant.type}$${RECORDED_INSTANT}::${account}-${id}`)) held.add(id);
  }
  return ids.filter((id) => held.has(id));
}
