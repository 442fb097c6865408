/**
 * The guard's judgement: the incidents at the base of a change against those at its head, by
 * incident id (a file moved to another folder keeps its id). A change may add and strengthen
 * freely, and remove what has expired; it may not remove or weaken an incident that is still
 * active, because that re-opens sessions the incident was written to close. Pure: incidents,
 * recorded containment instants and `now` in, findings out.
 */
import { compareText } from "../incident/order.ts";
import { formatDuration } from "../incident/time.ts";
import { AT_CONTAINMENT, type Incident } from "../incident/types.ts";
import { isActive, timeLeftMs } from "../plan/lifecycle.ts";
import { buildPlan, type ContainmentInstants } from "../plan/plan.ts";
import { recordedFor } from "../plan/policies.ts";

/** How a change weakens an incident: one kind per rule of the guard. */
export type WeakeningKind = "deleted" | "account-changed" | "principal-removed" | "principal-respelled" | "key-removed" | "cutoff-earlier" | "mode-lowered" | "hold-shortened";

/** A change that removes or weakens an incident still active at `now`. */
export interface Violation {
  kind: WeakeningKind;
  id: string;
  /** The file at the head (at the base for a deleted file). */
  file: string;
  /** Until when the incident must stay as it is; null while its at-containment instant is unknown. */
  until: string | null;
  /** One line: the file, the incident, until when, and what the change re-opens. */
  message: string;
}

/** A change that passes, said so that the log shows why. */
export interface Note {
  id: string;
  file: string;
  message: string;
}

export interface GuardResult {
  violations: Violation[];
  notes: Note[];
}

export function guardChange(base: Incident[], head: Incident[], now: Date, containment: ContainmentInstants = {}): GuardResult {
  const violations: Violation[] = [];
  const notes: Note[] = [];
  const headById = new Map(head.map((incident) => [incident.id, incident]));
  const baseIds = new Set(base.map((incident) => incident.id));
  // How long each base incident must stay is the plan's to say, with the instants recorded so far.
  const planned = new Map(buildPlan(base, { containment }).incidents.map((incident) => [incident.id, incident]));

  for (const before of base) {
    const after = headById.get(before.id);
    const lifecycle = planned.get(before.id)!;
    const expiry = lifecycle.expiresAt;
    const left = timeLeftMs(lifecycle, now);
    const active = isActive(lifecycle, now);
    const weakenings = after === undefined ? [deletion(before)] : compare(before, after, containment);
    const file = after?.file ?? before.file;

    if (weakenings.length === 0) {
      if (after !== undefined && after.file !== before.file) notes.push({ id: before.id, file, message: `${file}: incident ${before.id} moved from ${before.file}` });
      if (after !== undefined && !sameIncident(before, after)) notes.push({ id: before.id, file, message: `${file}: incident ${before.id} changed without weakening` });
      continue;
    }
    if (!active) {
      const what = after === undefined ? "removed" : "weakened";
      notes.push({ id: before.id, file, message: `${file}: incident ${before.id} ${what}: it expired at ${expiry} (${formatDuration(-(left as number))} ago)` });
      continue;
    }
    const standing =
      expiry === null
        ? `is active until an unknown instant (cutoff at-containment, no recorded instant: pass --stack-outputs FILE)`
        : `is active until ${expiry} (${formatDuration(left as number)} left)`;
    for (const weakening of weakenings) {
      violations.push({ kind: weakening.kind, id: before.id, file, until: expiry, message: `${file}: incident ${before.id} ${standing}: ${weakening.what}` });
    }
  }
  for (const after of head) {
    if (!baseIds.has(after.id)) notes.push({ id: after.id, file: after.file, message: `${after.file}: incident ${after.id} added` });
  }
  const order = (a: { file: string; id: string }, b: { file: string; id: string }) => compareText(a.file, b.file) || compareText(a.id, b.id);
  return { violations: violations.sort(order), notes: notes.sort(order) };
}

interface Weakening {
  kind: WeakeningKind;
  what: string;
}

function deletion(before: Incident): Weakening {
  return {
    kind: "deleted",
    what: before.mode === "deny-all" ? "removing it lifts the deny on every request of its principals" : "removing it re-enables sessions minted before the cutoff",
  };
}

/** Every way `after` is weaker than `before`; empty when it is as strong or stronger. */
function compare(before: Incident, after: Incident, containment: ContainmentInstants): Weakening[] {
  // A different account lifts everything in the old one: the finer comparisons would only repeat it.
  if (after.account !== before.account) {
    return [{ kind: "account-changed", what: `changing the account from ${before.account} to ${after.account} lifts every deny of this incident in account ${before.account}` }];
  }
  const out: Weakening[] = [];
  const lifts = (subject: string) =>
    before.mode === "deny-all" ? `lifts the deny on every request of ${subject}` : `re-enables the sessions of ${subject} minted before the cutoff`;

  // IAM names are case-insensitive, but cordon's resource names are not: respelling "Deploy" as
  // "deploy" makes Pulumi write the policy under the new name and then delete the old one, which
  // for a role's inline policy is the very policy just written.
  const headUsers = new Map(after.users.map((u) => [u.name.toLowerCase(), u.name]));
  const headRoles = new Map(after.roles.map((r) => [r.name.toLowerCase(), r.name]));
  const principals = [...before.users.map((u) => ["user", u.name, headUsers] as const), ...before.roles.map((r) => ["role", r.name, headRoles] as const)];
  for (const [type, name, head] of principals) {
    const spelled = head.get(name.toLowerCase());
    if (spelled === undefined) out.push({ kind: "principal-removed", what: `removing ${type} "${name}" ${lifts(`${type} "${name}"`)}` });
    else if (spelled !== name) {
      out.push({ kind: "principal-respelled", what: `respelling ${type} "${name}" as "${spelled}" renames its deny policy: pulumi up deletes the policy under the old spelling, which IAM takes to be the same ${type}` });
    }
  }
  const headKeys = new Set(after.users.flatMap((u) => u.accessKeys));
  for (const user of before.users) {
    for (const key of user.accessKeys) {
      if (!headKeys.has(key)) {
        out.push({ kind: "key-removed", what: `removing access key ${key} (user "${user.name}") stops keeping it disabled: a key re-enabled by hand would stay enabled` });
      }
    }
  }

  const from = effectiveCutoff(before, containment, "base");
  const to = effectiveCutoff(after, containment, "head");
  if (from.ms === undefined && to.ms !== Infinity) {
    // Unknown recorded instant: the conservative reading is that any explicit instant may be earlier.
    out.push({ kind: "cutoff-earlier", what: `replacing cutoff at-containment (no recorded instant: pass --stack-outputs FILE) by ${to.text} may re-enable sessions minted between ${to.text} and the containment` });
  } else if (from.ms !== undefined && to.ms < from.ms) {
    out.push({ kind: "cutoff-earlier", what: `moving the cutoff from ${from.text} to ${to.text} re-enables sessions minted between ${to.text} and ${from.text}` });
  }

  if (before.mode === "deny-all" && after.mode !== "deny-all") {
    out.push({ kind: "mode-lowered", what: `lowering the mode from deny-all to ${after.mode} lets its principals act again with sessions minted after the cutoff and with keys that are not disabled` });
  }

  if (before.holdUntil !== undefined) {
    if (after.holdUntil === undefined) {
      out.push({ kind: "hold-shortened", what: `removing holdUntil ${before.holdUntil} lets it expire earlier than agreed` });
    } else if (Date.parse(after.holdUntil) < Date.parse(before.holdUntil)) {
      out.push({ kind: "hold-shortened", what: `shortening holdUntil from ${before.holdUntil} to ${after.holdUntil} lets it expire earlier than agreed` });
    }
  }
  return out;
}

/**
 * The cutoff as an instant for comparison. An at-containment incident without a recorded
 * instant is unknown at the base (`ms` undefined), and at the head it will be recorded by the
 * next `pulumi up`, after every instant already written (`Infinity`).
 */
function effectiveCutoff(incident: Incident, containment: ContainmentInstants, side: "base"): { ms: number | undefined; text: string };
function effectiveCutoff(incident: Incident, containment: ContainmentInstants, side: "head"): { ms: number; text: string };
function effectiveCutoff(incident: Incident, containment: ContainmentInstants, side: "base" | "head"): { ms: number | undefined; text: string } {
  if (incident.cutoff !== AT_CONTAINMENT) return { ms: Date.parse(incident.cutoff), text: incident.cutoff };
  const recorded = recordedFor(containment, incident.id);
  if (recorded !== undefined) return { ms: Date.parse(recorded), text: `${recorded} (recorded at containment)` };
  return { ms: side === "base" ? undefined : Infinity, text: AT_CONTAINMENT };
}

function sameIncident(a: Incident, b: Incident): boolean {
  return JSON.stringify({ ...a, file: "" }) === JSON.stringify({ ...b, file: "" });
}
