/**
 * The guard's judgement: the incidents at the base of a change against those at its head, by
 * incident id (a file moved to another folder keeps its id). A change may add and strengthen
 * freely, and remove what has expired; it may not remove or weaken an incident that is still
 * active, because that re-opens sessions the incident was written to close. Nor may it stop a
 * stack from applying an active incident (a stack file pointed elsewhere, removed, or moved to
 * another account), nor add an incident that has already expired. And it says whether a change
 * only adds containment (`classifyChange`), which is what may skip review. Pure: incidents,
 * stacks, recorded containment instants and `now` in, findings out.
 */
import { compareText } from "../incident/order.ts";
import { formatDuration, formatInstant } from "../incident/time.ts";
import {
  AT_CONTAINMENT,
  keptBy,
  type Incident,
  type IncidentUser,
  type ReplacementRoleSpec,
  type Trust,
} from "../incident/types.ts";
import { isActive, timeLeftMs } from "../plan/lifecycle.ts";
import { keepsAnything, keptByUser, type UserCredentialPlan } from "../plan/credentials.ts";
import { accountsOf } from "../plan/accounts.ts";
import { buildPlan, type ContainmentInstants, type PlannedIncident } from "../plan/plan.ts";
import { recordedFor } from "../plan/policies.ts";
import { iamNameKey, KEPT_CREDENTIAL_FIELDS, KEPT_NOUN, principalKey, sameIamName } from "../incident/fields.ts";
import { INCIDENT_FILE } from "../incident/read.ts";
import { ROLE_NAMES } from "../incident/own-roles.ts";
import { stackName, stackReads, type ProtectedPrincipal, type StackFolders } from "../plan/project.ts";
import { codeReason, INCIDENTS_ROOT, type PathChange } from "./protected-paths.ts";
import { insideFolder, type Stack, type StacksResult } from "./stacks.ts";

/** How a change weakens an incident: one kind per rule of the guard. */
export type WeakeningKind =
  | "deleted"
  | "account-changed"
  | "principal-removed"
  | "principal-moved"
  | "principal-respelled"
  | "guardrail-removed"
  | "key-removed"
  | "credential-kept"
  | "cutoff-earlier"
  | "mode-lowered"
  | "hold-shortened"
  | "not-applied"
  | "unaccounted";

/**
 * A change refused whatever the override: not a weakening, a mistake in what is added (an
 * incident already expired), or a path among the incident files that is not a regular file.
 */
export type RefusalKind = "added-expired" | "not-regular";

/** A change that removes or weakens an incident still active at `now`, or that adds one already over. */
export interface Violation {
  kind: WeakeningKind | RefusalKind;
  id: string;
  /** The file at the head (at the base for a deleted file). */
  file: string;
  /** Until when the incident must stay as it is; null while its at-containment instant is unknown. */
  until: string | null;
  /** One line: the file, the incident, until when, and what the change re-opens. */
  message: string;
  /** Whether `--allow-early-removal` lets it through: a weakening may be approved, a mistake may not. */
  overridable: boolean;
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
  /**
   * Each replacement role added, or whose trust or policies changed: a new access path, which a
   * reviewer must see for what it is (who may assume it, what it gets), not as a change "without
   * weakening".
   */
  accessPaths: Note[];
}

/**
 * An incident at the base. When the base's files do not validate, guard judges against what the
 * stack last applied (its outputs), which names the keys of an incident but not their users.
 */
export type BaseIncident = Incident & { unownedKeys?: string[] };

const order = (a: { file: string; id: string }, b: { file: string; id: string }) =>
  compareText(a.file, b.file) || compareText(a.id, b.id);

/** Where an incident stands at the base: its plan, and whether it is active at `now`. */
function standingOf(base: BaseIncident[], containment: ContainmentInstants): Map<string, PlannedIncident> {
  return new Map(buildPlan(base, { containment }).incidents.map((incident) => [incident.id, incident]));
}

function activeStanding(lifecycle: PlannedIncident, now: Date): string {
  return lifecycle.expiresAt === null
    ? "is active until an unknown instant (cutoff at-containment, no recorded instant: pass --stack-outputs FILE)"
    : `is active until ${lifecycle.expiresAt} (${formatDuration(timeLeftMs(lifecycle, now) as number)} left)`;
}

/**
 * Every weakening of an incident active at `now`, and every incident added already expired.
 * `inBase`: when the base is what the stacks last applied (their outputs), whether a file was
 * already there at the base: an incident the outputs do not name looks added, but one whose file
 * was there was not added by this change, expired or not.
 */
export function guardChange(
  base: BaseIncident[],
  head: Incident[],
  now: Date,
  containment: ContainmentInstants = {},
  inBase?: (file: string) => boolean,
): GuardResult {
  const violations: Violation[] = [];
  const notes: Note[] = [];
  const headById = new Map(head.map((incident) => [incident.id, incident]));
  const baseIds = new Set(base.map((incident) => incident.id));
  // How long each base incident must stay is the plan's to say, with the instants recorded so far.
  const planned = standingOf(base, containment);

  for (const before of base) {
    const after = headById.get(before.id);
    const lifecycle = planned.get(before.id)!;
    const expiry = lifecycle.expiresAt;
    const left = timeLeftMs(lifecycle, now);
    const active = isActive(lifecycle, now);
    const weakenings =
      after === undefined ? [deletion(before)] : compareIncidents(before, after, containment).weakenings;
    const file = after?.file ?? before.file;

    if (weakenings.length === 0) {
      if (after !== undefined && after.file !== before.file)
        notes.push({ id: before.id, file, message: `${file}: incident ${before.id} moved from ${before.file}` });
      if (after !== undefined && !sameIncident(before, after))
        notes.push({ id: before.id, file, message: `${file}: incident ${before.id} changed without weakening` });
      continue;
    }
    if (!active) {
      const what = after === undefined ? "removed" : "weakened";
      notes.push({
        id: before.id,
        file,
        message: `${file}: incident ${before.id} ${what}: it expired at ${expiry} (${formatDuration(-(left as number))} ago)`,
      });
      continue;
    }
    for (const weakening of weakenings) {
      violations.push({
        kind: weakening.kind,
        id: before.id,
        file,
        until: expiry,
        message: `${file}: incident ${before.id} ${activeStanding(lifecycle, now)}: ${weakening.what}`,
        overridable: true,
      });
    }
  }

  // A new incident already over revokes no live session, and status calls it removable at once:
  // most often a cutoff in the wrong year. Its expiry is the head's plan's to say.
  const added = head.filter((incident) => !baseIds.has(incident.id));
  const addedPlan = new Map(buildPlan(added, { containment }).incidents.map((incident) => [incident.id, incident]));
  for (const after of added) {
    const lifecycle = addedPlan.get(after.id)!;
    if (isActive(lifecycle, now)) {
      notes.push({ id: after.id, file: after.file, message: `${after.file}: incident ${after.id} added` });
      continue;
    }
    if (inBase?.(after.file)) continue;
    violations.push({
      kind: "added-expired",
      id: after.id,
      file: after.file,
      until: lifecycle.expiresAt,
      message: `${after.file}: incident ${after.id} expired at ${lifecycle.expiresAt} (cutoff ${lifecycle.cutoff}) before it was added: a cutoff in the wrong year? It would revoke no live session, and status would call it removable at once`,
      overridable: false,
    });
  }
  const baseById = new Map(base.map((incident) => [incident.id, incident]));
  const accessPaths = head.flatMap((after) =>
    newAccessPaths(baseById.get(after.id), after).map((message) => ({ id: after.id, file: after.file, message })),
  );
  return { violations: violations.sort(order), notes: notes.sort(order), accessPaths: accessPaths.sort(order) };
}

/** Who may assume a replacement role, as a reviewer reads it. */
function trustedBy(trust: Trust): string {
  if ("service" in trust) return `the service ${trust.service}`;
  if ("githubOidc" in trust) {
    const { repository, ref, environment } = trust.githubOidc;
    return `GitHub's jobs of ${repository} ${ref !== undefined ? `on ${ref}` : `in the environment ${environment}`}`;
  }
  return [...new Set(trust.principals)].sort(compareText).join(", ");
}

/** What a replacement role's sessions get, as a reviewer reads it. */
function rightsOf(role: ReplacementRoleSpec): string {
  const rights = [
    ...role.managedPolicyArns,
    ...Object.keys(role.inlinePolicies)
      .sort(compareText)
      .map((name) => `the inline policy ${name}`),
  ];
  return rights.length === 0 ? "no policy" : rights.join(", ");
}

/**
 * Each replacement role of `after` that `before` did not have, or whose trust or policies it
 * changed, in one line: the role, who may assume it, and what it gets.
 */
function newAccessPaths(before: Incident | undefined, after: Incident): string[] {
  const had = new Map((before?.replacementRoles ?? []).map((role) => [iamNameKey(role.name), role]));
  const same = (a: ReplacementRoleSpec, b: ReplacementRoleSpec) =>
    JSON.stringify([a.trust, a.managedPolicyArns, a.inlinePolicies, a.maxSessionDuration]) ===
    JSON.stringify([b.trust, b.managedPolicyArns, b.inlinePolicies, b.maxSessionDuration]);
  return [...after.replacementRoles]
    .sort((a, b) => compareText(a.name, b.name))
    .flatMap((role) => {
      const was = had.get(iamNameKey(role.name));
      if (was !== undefined && same(was, role)) return [];
      const what = was === undefined ? "added" : "changed";
      return [
        `${after.file}: incident ${after.id}: replacement role "${role.name}" ${what} in account ${after.account}, a new access path: ${trustedBy(role.trust)} may assume it and get ${rightsOf(role)}`,
      ];
    });
}

interface Weakening {
  kind: WeakeningKind;
  what: string;
}

/** What sets two revisions of one incident apart: what weakens it, and what else is not containment. */
interface Comparison {
  weakenings: Weakening[];
  /** Changes that weaken nothing but add no containment either (a new replacement role, a title). */
  others: string[];
}

function deletion(before: Incident): Weakening {
  return {
    kind: "deleted",
    what:
      before.mode === "deny-all"
        ? "removing it lifts the deny on every request of its principals"
        : "removing it re-enables sessions minted before the cutoff",
  };
}

/** Every way `after` is weaker than `before`, and every other change that adds no containment. */
function compareIncidents(before: BaseIncident, after: Incident, containment: ContainmentInstants): Comparison {
  const others = otherChanges(before, after);
  // A single-account incident moved to another account lifts everything in the old one: the finer
  // comparisons would only repeat it.
  const within = (incident: Incident, account: string) =>
    [...incident.users, ...incident.roles].every((p) => p.account === account);
  if (after.account !== before.account && within(before, before.account) && within(after, after.account)) {
    return {
      weakenings: [
        {
          kind: "account-changed",
          what: `changing the account from ${before.account} to ${after.account} lifts every deny of this incident in account ${before.account}`,
        },
      ],
      others,
    };
  }
  const out: Weakening[] = [];
  const lifts = (subject: string) =>
    before.mode === "deny-all"
      ? `lifts the deny on every request of ${subject}`
      : `re-enables the sessions of ${subject} minted before the cutoff`;

  // IAM names are case-insensitive, but cordon's resource names are not: the program keeps the
  // spelling its stack's state has (program/spellings.ts), so that a respelling never makes Pulumi
  // write the policy under a new name and then delete the old one (the very policy just written);
  // a run that cannot read the state fails instead, deleting nothing, and leaves the deny under
  // two names to sort out by hand: a respelling is still refused. A principal is its account, type
  // and name: the same name in another account is another principal, and moving it lifts the deny
  // in the account it leaves (that account's stack removes its share).
  const key = (p: { account: string; name: string }) => `${p.account}/${iamNameKey(p.name)}`;
  const headUsers = new Map(after.users.map((u) => [key(u), u.name]));
  const headRoles = new Map(after.roles.map((r) => [key(r), r.name]));
  const elsewhere = (list: { account: string; name: string }[], name: string) =>
    [...new Set(list.filter((p) => sameIamName(p.name, name)).map((p) => p.account))].sort();
  const principals = [
    ...before.users.map((u) => ["user", u, headUsers, after.users] as const),
    ...before.roles.map((r) => ["role", r, headRoles, after.roles] as const),
  ];
  for (const [type, principal, head, headList] of principals) {
    const { name, account } = principal;
    // Principals of the incident's own account are named as before; others say their account.
    const subject = `${type} "${name}"${account === before.account ? "" : ` (account ${account})`}`;
    const spelled = head.get(key(principal));
    if (spelled === undefined) {
      const moved = elsewhere(headList, name);
      if (moved.length > 0)
        out.push({
          kind: "principal-moved",
          what: `moving ${type} "${name}" from account ${account} to ${moved.join(", ")} ${lifts(`${type} "${name}"`)} in account ${account}`,
        });
      else out.push({ kind: "principal-removed", what: `removing ${subject} ${lifts(subject)}` });
    } else if (spelled !== name) {
      out.push({
        kind: "principal-respelled",
        what: `respelling ${subject} as "${spelled}": IAM takes both to be the same ${type}, whose deny keeps the spelling its stack's state has; a pulumi up that cannot read that state declares the deny as the files spell it, and then fails, deleting nothing, until the state's second name for it is forgotten by hand`,
      });
    }
  }
  // The organization guardrails: what a member account's administrator cannot lift.
  if (before.organization.scp && !after.organization.scp) {
    out.push({
      kind: "guardrail-removed",
      what: "turning off organization.scp removes its principals from the organization's SCP, which a member account's administrator cannot lift (their IAM deny can be)",
    });
  }
  if (before.organization.rcp && !after.organization.rcp) {
    out.push({
      kind: "guardrail-removed",
      what: "turning off organization.rcp lets its principals assume roles and reach S3, KMS, SQS and Secrets Manager in other member accounts again",
    });
  }
  const headIdentityCenter = new Set(after.organization.scp ? after.identityCenterUsers.map((u) => u.userId) : []);
  for (const user of before.organization.scp ? before.identityCenterUsers : []) {
    if (!headIdentityCenter.has(user.userId))
      out.push({
        kind: "guardrail-removed",
        what: `removing Identity Center user ${user.userId} from the SCP ${lifts(`Identity Center user ${user.userId}`)}`,
      });
  }
  // A credential kept is one the next run no longer sets Inactive (or, for the console password, no
  // longer deletes): it works again. Never additive, whatever else the change does.
  for (const user of before.users) {
    const now = after.users.find((u) => key(u) === key(user));
    if (now !== undefined) out.push(...newlyKept(user, now, before.account));
  }
  for (const root of before.rootUsers ?? []) {
    if (!(after.rootUsers ?? []).some((r) => r.account === root.account)) {
      out.push({
        kind: "principal-removed",
        what: `removing the root user of account ${root.account} lifts the organization's SCP deny on every action of it`,
      });
    }
  }
  const headKeys = new Set(after.users.flatMap((u) => u.accessKeys));
  const baseKeys = [
    ...before.users.flatMap((user) => user.accessKeys.map((key) => ({ key, user: user.name as string | undefined }))),
    ...(before.unownedKeys ?? []).map((key) => ({ key, user: undefined })),
  ];
  for (const { key, user } of baseKeys) {
    if (!headKeys.has(key)) {
      out.push({
        kind: "key-removed",
        what: `removing access key ${key}${user === undefined ? "" : ` (user "${user}")`} stops keeping it disabled: a key re-enabled by hand would stay enabled`,
      });
    }
  }

  const from = effectiveCutoff(before, containment, "base");
  const to = effectiveCutoff(after, containment, "head");
  if (from.ms === undefined && to.ms !== Infinity) {
    // Unknown recorded instant: the conservative reading is that any explicit instant may be earlier.
    out.push({
      kind: "cutoff-earlier",
      what: `replacing cutoff at-containment (no recorded instant: pass --stack-outputs FILE) by ${to.text} may re-enable sessions minted between ${to.text} and the containment`,
    });
  } else if (from.ms !== undefined && to.ms < from.ms) {
    out.push({
      kind: "cutoff-earlier",
      what: `moving the cutoff from ${from.text} to ${to.text} re-enables sessions minted between ${to.text} and ${from.text}`,
    });
  }

  if (before.mode === "deny-all" && after.mode !== "deny-all") {
    out.push({
      kind: "mode-lowered",
      what: `lowering the mode from deny-all to ${after.mode} lets its principals act again with sessions minted after the cutoff and with keys that are not disabled`,
    });
  }

  if (before.holdUntil !== undefined) {
    if (after.holdUntil === undefined) {
      out.push({
        kind: "hold-shortened",
        what: `removing holdUntil ${before.holdUntil} lets it expire earlier than agreed`,
      });
    } else if (Date.parse(after.holdUntil) < Date.parse(before.holdUntil)) {
      out.push({
        kind: "hold-shortened",
        what: `shortening holdUntil from ${before.holdUntil} to ${after.holdUntil} lets it expire earlier than agreed`,
      });
    }
  }
  return { weakenings: out, others };
}

/** The kept credentials of `after` that `before` did not keep: each works again after the next run. */
function newlyKept(before: IncidentUser, after: IncidentUser, incidentAccount: string): Weakening[] {
  const subject = `user "${after.name}"${after.account === incidentAccount ? "" : ` (account ${after.account})`}`;
  const was = keptBy(before);
  const is = keptBy(after);
  const out: Weakening[] = [];
  for (const field of KEPT_CREDENTIAL_FIELDS) {
    for (const id of is[field].filter((id) => !was[field].includes(id))) {
      out.push({
        kind: "credential-kept",
        what: `keeping ${KEPT_NOUN[field]} ${id} of ${subject} stops setting it Inactive: it would work again`,
      });
    }
  }
  if (is.consolePassword && !was.consolePassword) {
    out.push({
      kind: "credential-kept",
      what: `keeping the console password of ${subject} stops deleting it: a password the attacker set would work again`,
    });
  }
  return out;
}

/** Changes that weaken nothing and add no containment: each needs a reviewer, so none is additive. */
function otherChanges(before: BaseIncident, after: Incident): string[] {
  const out: string[] = [];
  if (after.file !== before.file) out.push(`moved from ${before.file}`);
  const roles = (incident: Incident) =>
    JSON.stringify([...incident.replacementRoles].sort((a, b) => compareText(a.name, b.name)));
  if (roles(before) !== roles(after)) {
    const names = (incident: Incident) => incident.replacementRoles.map((r) => r.name).sort(compareText);
    out.push(
      `replacement roles changed (${names(before).join(", ") || "none"} -> ${names(after).join(", ") || "none"}): a replacement role is a new access path, which a reviewer must approve`,
    );
  }
  for (const field of ["title", "ticket", "owner"] as const) {
    if (before[field] !== after[field]) out.push(`${field} changed: not containment`);
  }
  // The incident's account is where its replacement roles are made: with every principal pinned to
  // its own account, a change of it moves nothing else, but is never containment.
  if (after.account !== before.account)
    out.push(`account changed from ${before.account} to ${after.account}: not containment`);
  // A new user that keeps credentials: what keeps working is a reviewer's to approve.
  const known = new Set(before.users.map((u) => `${u.account}/${u.name.toLowerCase()}`));
  for (const user of after.users.filter(
    (u) => !known.has(`${u.account}/${u.name.toLowerCase()}`) && keepsAnything(keptBy(u)),
  )) {
    out.push(`user "${user.name}" added with credentials it keeps: what keeps working is a reviewer's to approve`);
  }
  const devices = (incident: Incident) =>
    JSON.stringify(
      incident.users
        .flatMap((u) =>
          (u.deactivateMfaDevices ?? []).map((serial) => `${u.account}/${u.name.toLowerCase()}:${serial}`),
        )
        .sort(compareText),
    );
  if (devices(before) !== devices(after))
    out.push(
      "MFA devices to deactivate changed: deactivating a device cannot be undone by cordon, which a reviewer must approve",
    );
  const deleting = (incident: Incident) =>
    (incident.rootUsers ?? [])
      .filter((r) => r.deleteAccessKeys)
      .map((r) => r.account)
      .sort(compareText);
  for (const account of deleting(after).filter((a) => !deleting(before).includes(a))) {
    out.push(`deleting the root access keys of account ${account}: it cannot be undone, which a reviewer must approve`);
  }
  // The same key under another user: its resource is renamed, which is no containment.
  const owner = new Map(
    before.users.flatMap((user) => user.accessKeys.map((key) => [key, iamNameKey(user.name)] as const)),
  );
  for (const user of after.users) {
    for (const key of user.accessKeys) {
      const was = owner.get(key);
      if (was !== undefined && was !== iamNameKey(user.name))
        out.push(`access key ${key} moved to user "${user.name}"`);
    }
  }
  return out;
}

/**
 * The cutoff as an instant for comparison. An at-containment incident without a recorded
 * instant is unknown at the base (`ms` undefined), and at the head it will be recorded by the
 * next `pulumi up`, after every instant already written (`Infinity`).
 */
function effectiveCutoff(
  incident: Incident,
  containment: ContainmentInstants,
  side: "base",
): { ms: number | undefined; text: string };
function effectiveCutoff(
  incident: Incident,
  containment: ContainmentInstants,
  side: "head",
): { ms: number; text: string };
function effectiveCutoff(
  incident: Incident,
  containment: ContainmentInstants,
  side: "base" | "head",
): { ms: number | undefined; text: string } {
  if (incident.cutoff !== AT_CONTAINMENT) return { ms: Date.parse(incident.cutoff), text: incident.cutoff };
  const recorded = recordedFor(containment, incident.id);
  if (recorded !== undefined) return { ms: Date.parse(recorded), text: `${recorded} (recorded at containment)` };
  return { ms: side === "base" ? undefined : Infinity, text: AT_CONTAINMENT };
}

/** Whether two revisions of an incident declare the same thing (wherever their files are, in whatever order). */
function sameIncident(a: BaseIncident, b: Incident): boolean {
  // A key the base knows without its user (from the stack outputs) matches the same key under any user.
  const unowned = new Set(a.unownedKeys ?? []);
  const canonical = (incident: Incident) => ({
    id: incident.id,
    account: incident.account,
    cutoff: incident.cutoff,
    mode: incident.mode,
    holdUntil: incident.holdUntil ?? null,
    users: incident.users
      .map((u) => ({
        name: u.name,
        account: u.account,
        accessKeys: u.accessKeys.filter((key) => !unowned.has(key)).sort(compareText),
        keep: keptBy(u),
        deactivateMfaDevices: [...(u.deactivateMfaDevices ?? [])].sort(compareText),
      }))
      .sort((x, y) => compareText(`${x.account}/${x.name}`, `${y.account}/${y.name}`)),
    roles: incident.roles.map((r) => `${r.account}/${r.name}`).sort(compareText),
    organization: incident.organization,
    identityCenterUsers: incident.identityCenterUsers.map((u) => u.userId).sort(compareText),
    rootUsers: [...(incident.rootUsers ?? [])].sort((x, y) => compareText(x.account, y.account)),
    replacementRoles: [...incident.replacementRoles].sort((x, y) => compareText(x.name, y.name)),
    title: incident.title,
    ticket: incident.ticket ?? null,
    owner: incident.owner ?? null,
  });
  const keys = (incident: Incident) =>
    incident.users
      .flatMap((u) => u.accessKeys)
      .filter((key) => unowned.has(key))
      .sort(compareText);
  return (
    JSON.stringify(canonical(a)) === JSON.stringify(canonical(b)) &&
    JSON.stringify([...unowned].sort(compareText)) === JSON.stringify(keys(b))
  );
}

// ---- What each stack applies.

/**
 * The stacks of one side of a change. `null`: the side has no stack file at all, and every
 * account's incidents are taken to be applied from the incidents folder (`legacyDir`), as the
 * program's default reads them. Otherwise an account without a stack file reads the project's
 * folder (`projectDir`), as the stack the workflows create for it does.
 */
export interface StackSide {
  stacks: Stack[] | null;
  legacyDir: string;
  /** The project and the prefix that name each account's stack, `<project>/<prefix>-<account>`. */
  identity: StacksResult["identity"];
  projectDir: string;
}

/** The side as the project's rule (plan/project.ts, stackReads) reads it. */
function foldersOf(side: StackSide): StackFolders {
  return {
    stacks: (side.stacks ?? []).map((stack) => ({ account: stack.account, file: stack.file, incidentsDir: stack.dir })),
    incidentsDir: side.stacks === null ? side.legacyDir : side.projectDir,
  };
}

/** Whether a stack of the side applies the incident found at repository path `path`. */
export function applies(
  side: StackSide,
  incident: Pick<Incident, "account" | "users" | "roles" | "replacementRoles">,
  path: string,
): boolean {
  return [incident.account, ...accountsOf(incident)].some((account) => appliesShare(side, account, path));
}

export interface CoverageInput {
  base: BaseIncident[];
  head: Incident[];
  now: Date;
  containment: ContainmentInstants;
  baseSide: StackSide;
  headSide: StackSide;
  /** An incident's file (as shown) to its path from the repository's root. */
  repoPath: (file: string) => string;
  /** Whether a base incident was applied; by default, whether a base stack applies its file. */
  baseApplied?: (incident: BaseIncident) => boolean;
}

/**
 * Every share of an incident active at the base, and applied there by a stack, that no stack of
 * its account applies at the head although its file is still there: a stack file pointed at
 * another folder, moved to another account or removed. pulumi up would then drop that account's
 * deny policies. The same for its organization guardrails: the organization stack removed, no
 * longer reading its file, or attaching to fewer targets. (A deleted file, a principal removed or
 * moved, a guardrail turned off are `guardChange`'s to report.)
 */
export function stackCoverage(input: CoverageInput): Violation[] {
  const { base, head, now, containment, baseSide, headSide, repoPath } = input;
  const fromOutputs = input.baseApplied !== undefined;
  const baseApplied =
    input.baseApplied ?? ((incident: BaseIncident) => applies(baseSide, incident, repoPath(incident.file)));
  const headById = new Map(head.map((incident) => [incident.id, incident]));
  const planned = standingOf(base, containment);
  const violations: Violation[] = [];
  for (const before of base) {
    const after = headById.get(before.id);
    const lifecycle = planned.get(before.id)!;
    // Whatever else the change does to the incident (its account changed, say): each share it
    // keeps must stay applied.
    if (after === undefined || !isActive(lifecycle, now) || !baseApplied(before)) continue;
    const violation = (what: string): Violation => ({
      kind: "not-applied",
      id: before.id,
      file: after.file,
      until: lifecycle.expiresAt,
      message: `${after.file}: incident ${before.id} ${activeStanding(lifecycle, now)}: ${what}`,
      overridable: true,
    });
    // The accounts whose principals the incident keeps: an account it leaves is guardChange's (a
    // principal removed or moved, the account changed). Each share applied at the base, by a
    // stack of its own account, must be applied by one at the head.
    const shared = accountsOf(before).filter((account) => accountsOf(after).includes(account));
    const appliedAt = (account: string) => fromOutputs || appliesShare(baseSide, account, repoPath(before.file));
    // A stack renamed is another stack: the one that applies it now would never run again.
    const lost = shared.filter(
      (account) =>
        appliedAt(account) &&
        (stacksMoved(baseSide, headSide, account) !== undefined ||
          !appliesShare(headSide, account, repoPath(after.file))),
    );
    // Moved only (the head's stack of another name reads the file): the old stack keeps what it
    // applied, but no run would ever update or repair it again.
    const consequence = (account: string, where: string) =>
      appliesShare(headSide, account, repoPath(after.file))
        ? `no run would update or repair what it applies${where} any more (a key enabled by hand would stay enabled)`
        : `its deny policies${where} would go with the next pulumi up`;
    if (lost.length > 0 && shared.length === 1 && shared[0] === before.account) {
      const why = whyNotApplied(before, after, input).join("; ");
      violations.push(violation(`no stack applies it any more (${why}): ${consequence(before.account, "")}`));
    } else {
      for (const account of lost) {
        violations.push(
          violation(
            `no stack of account ${account} applies its share any more (${whyNotApplied(before, after, input, account).join("; ")}): ${consequence(account, ` in account ${account}`)}`,
          ),
        );
      }
    }
    const guarded = (["scp", "rcp"] as const).filter((kind) => before.organization[kind] && after.organization[kind]);
    if (guarded.length > 0 && baseSide.stacks !== null) {
      const baseTargets = guardrailTargetsOf(baseSide, repoPath(before.file));
      const organization = baseSide.stacks.find((stack) => stack.guardrailTargets !== null)?.account;
      const moved = organization === undefined ? undefined : stacksMoved(baseSide, headSide, organization);
      const headTargets =
        headSide.stacks === null || moved !== undefined ? [] : guardrailTargetsOf(headSide, repoPath(after.file));
      const lost = baseTargets.filter((target) => !headTargets.includes(target));
      const why =
        moved !== undefined
          ? `the stack that declares its organization guardrails would be another one (${moved})`
          : headTargets.length === 0
            ? "no stack declares its organization guardrails any more (no stack file sets cordon:organization and reads its file)"
            : `its organization guardrails would no longer be attached to ${lost.join(", ")}`;
      if (lost.length > 0) {
        violations.push(
          violation(
            `${why}: the ${guarded.map((kind) => kind.toUpperCase()).join(" and ")} entries of its principals would go with the next pulumi up`,
          ),
        );
      }
    }
  }
  return violations.sort(order);
}

/**
 * Why the head's stack of `account` is not the base's, when it is not: the workflows deploy
 * `<prefix>-<account>` of the project Pulumi.yaml names, so a new prefix or project name is a new
 * stack (created empty by the first run), and the stack that applies the account's incidents now
 * is never run again: nothing repairs what is undone by hand, nothing updates its deny policies.
 */
function stacksMoved(base: StackSide, head: StackSide, account: string): string | undefined {
  const [was, is] = [base.identity, head.identity];
  const changes: string[] = [];
  // A revision without Pulumi.yaml names no project (nothing runs there): only a rename moves the stacks.
  if (was.project !== undefined && is.project !== undefined && was.project !== is.project)
    changes.push(`Pulumi.yaml's name changes from ${JSON.stringify(was.project)} to ${JSON.stringify(is.project)}`);
  if (was.stackPrefix !== is.stackPrefix)
    changes.push(`cordon:stackPrefix changes from "${was.stackPrefix}" to "${is.stackPrefix}"`);
  if (changes.length === 0) return undefined;
  const [from, to] = [stackName(was.stackPrefix, account), stackName(is.stackPrefix, account)];
  const named = (identity: StackSide["identity"], stack: string) =>
    was.project === is.project ? stack : `${identity.project ?? "(no name)"}/${stack}`;
  return `${changes.join(" and ")}: the workflows would deploy stack ${named(is, to)} and never again ${named(was, from)}, which applies it now`;
}

/** Whether the stack of `account` on the side reads `path`: the project's rule (stackReads). */
function appliesShare(side: StackSide, account: string, path: string): boolean {
  return stackReads(foldersOf(side), account, path);
}

/** The targets the side's organization stack attaches guardrails to, when it reads `path`. */
function guardrailTargetsOf(side: StackSide, path: string): string[] {
  return [
    ...new Set(
      (side.stacks ?? [])
        .filter((stack) => stack.guardrailTargets !== null && insideFolder(path, stack.dir))
        .flatMap((stack) => stack.guardrailTargets ?? []),
    ),
  ].sort(compareText);
}

function whyNotApplied(
  before: BaseIncident,
  after: Incident,
  input: CoverageInput,
  account = before.account,
): string[] {
  const { baseSide, headSide, repoPath } = input;
  const path = repoPath(after.file);
  const folder = (dir: string) => (dir === "" ? "the repository's root" : `${dir}/`);
  const moved = stacksMoved(baseSide, headSide, account);
  if (moved !== undefined && appliesShare(headSide, account, path)) return [moved];
  const first = moved === undefined ? [] : [moved];
  if (headSide.stacks === null)
    return [...first, `no stack file is left, and ${after.file} is outside ${folder(headSide.legacyDir)}`];
  const reasons: string[] = [...first];
  const baseStacks = baseSide.stacks?.filter(
    (stack) => stack.account === account && insideFolder(repoPath(before.file), stack.dir),
  );
  for (const stack of baseStacks ?? []) {
    // A stack file's name says its account (plan/project.ts, E_STACK_NAME): one that deploys another
    // account now is refused before guard judges what it applies.
    const now = headSide.stacks.find((candidate) => candidate.file === stack.file);
    if (now === undefined)
      reasons.push(
        headSide.stacks.some((candidate) => candidate.account === account)
          ? `${stack.file} is removed`
          : `${stack.file} is removed, and ${after.file} is outside ${folder(headSide.projectDir)}, the project's folder, which the stack of an account without a stack file reads`,
      );
    else if (now.dir !== stack.dir)
      reasons.push(`${stack.file} now reads ${folder(now.dir)} instead of ${folder(stack.dir)}`);
    else reasons.push(`${after.file} is outside ${folder(stack.dir)}, which ${stack.file} reads`);
  }
  if (reasons.length === first.length)
    reasons.push(
      headSide.stacks.some((stack) => stack.account === account)
        ? `no stack file deploys account ${account} from a folder that holds ${path}`
        : `no stack file deploys account ${account}, and ${after.file} is outside ${folder(headSide.projectDir)}, the project's folder, which its stack then reads`,
    );
  return reasons;
}

// ---- Whether a change only adds containment.

export interface ClassifyInput {
  base: BaseIncident[];
  head: Incident[];
  now: Date;
  containment: ContainmentInstants;
  /**
   * The principals no additive change may put under a deny-all or a guardrail, besides
   * {@link ALWAYS_PROTECTED}: `cordon:protectedPrincipals`, at the base and at the head.
   */
  protectedPrincipals: readonly ProtectedPrincipal[];
  /** Every violation guard found (weakenings, incidents not applied, incidents added expired). */
  violations: Violation[];
  /** Every path the change touches, from the repository's root, with its git modes. */
  changes: PathChange[];
  /** A path from the root as shown (relative to where guard runs); as it is by default. */
  shown?: (path: string) => string;
  /** The incidents folder guard judges, from the root: the only place an additive change may touch. */
  incidentsDir: string;
  /** Why the files could not be judged at all (invalid at the head, or at the base). */
  unreadable: string[];
}

/**
 * Always protected, whatever the project says: cordon's own roles as the setup names them (the
 * deployer, preview, verify and contain roles of docs/lifecycle.md) and the role an organization
 * creates in each account it makes (`OrganizationAccountAccessRole`); add yours, and another
 * access role, with `cordon:protectedPrincipals` in Pulumi.yaml.
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html
 */
export const ALWAYS_PROTECTED: readonly ProtectedPrincipal[] = [
  ...Object.values(ROLE_NAMES).map((name): ProtectedPrincipal => ({ type: "role", name })),
  { type: "role", name: "OrganizationAccountAccessRole" },
];

/**
 * The latest `holdUntil` an additive change may set, in days after the instant guard judges at.
 * A hold keeps an incident (and a deny-all: every request of its principals) in place whatever
 * its cutoff; 30 days outlasts an investigation and a holiday, while a mistaken or malicious hold
 * (a year, a millennium) would keep principals locked out until someone overrides guard. A longer
 * hold is fine: through a pull request and a reviewer.
 * @default 30
 */
export const MAX_ADDITIVE_HOLD_DAYS = 30;

/** A principal a deny-all or a guardrail covers, as the protected list names principals. */
type Covered = { type: "user" | "role"; name: string } | { type: "identityCenterUser"; userId: string };

/**
 * What of an incident could lock its principals out, by principal: `deny-all` (every request
 * denied, IAM) and `organization.scp` / `organization.rcp` (guardrails a member account cannot
 * lift); keyed by how and whom, as IAM tells principals apart.
 */
function lockouts(incident: Incident): Map<string, { what: string; subject: string; principal: Covered }> {
  const out = new Map<string, { what: string; subject: string; principal: Covered }>();
  const hows = [
    ...(incident.mode === "deny-all" ? ["deny-all"] : []),
    ...(incident.organization.scp ? ["organization.scp"] : []),
    ...(incident.organization.rcp ? ["organization.rcp"] : []),
  ];
  for (const how of hows) {
    for (const [type, list] of [
      ["user", incident.users],
      ["role", incident.roles],
    ] as const) {
      for (const p of list) {
        const subject = `${type} "${p.name}"${p.account === incident.account ? "" : ` (account ${p.account})`}`;
        out.set(`${how}|${principalKey(p.account, type, p.name)}`, {
          what: how,
          subject,
          principal: { type, name: p.name },
        });
      }
    }
    // Identity Center users are reached by the SCP only.
    if (how !== "organization.rcp" && incident.organization.scp) {
      for (const u of incident.identityCenterUsers) {
        out.set(`${how}|identityCenterUser/${u.userId}`, {
          what: how,
          subject: `Identity Center user ${u.userId}`,
          principal: { type: "identityCenterUser", userId: u.userId },
        });
      }
    }
  }
  return out;
}

/** `organization.scp|ACCOUNT` (and `.rcp`) for each account whose federated-user sessions the incident's guardrails deny. */
function federatedGuardrails(incident: Incident): Set<string> {
  const hows = [
    ...(incident.organization.scp ? ["organization.scp"] : []),
    ...(incident.organization.rcp ? ["organization.rcp"] : []),
  ];
  return new Set(hows.flatMap((how) => incident.users.map((u) => `${how}|${u.account}`)));
}

/** Why a principal is protected, or undefined when it is not. */
function protectedBecause(covered: Covered, configured: readonly ProtectedPrincipal[]): string | undefined {
  const matches = (p: ProtectedPrincipal) => {
    if (p.type === "identityCenterUser") return covered.type === "identityCenterUser" && p.userId === covered.userId;
    return covered.type !== "identityCenterUser" && covered.type === p.type && sameIamName(p.name, covered.name);
  };
  const builtIn = ALWAYS_PROTECTED.find(matches);
  if (builtIn !== undefined) {
    return builtIn.type === "role" && builtIn.name === "OrganizationAccountAccessRole"
      ? "the organization's access role"
      : "one of cordon's own roles";
  }
  return configured.some(matches) ? "named in cordon:protectedPrincipals" : undefined;
}

/** An incident file that guard and the program read: not in a hidden folder nor node_modules, as the folder reader skips them. */
export function isReadIncidentFile(path: string): boolean {
  return (
    INCIDENT_FILE.test(path) &&
    !path.split("/").some((segment) => segment.startsWith(".") || segment === "node_modules")
  );
}

/**
 * Why a change is not additive; empty when it only adds containment: new incident files without
 * replacement roles, users, roles and keys added to an incident, deny-all instead of revoke, a
 * later holdUntil, a later cutoff (it denies more sessions and ends later, as a new
 * at-containment incident over the same principals would). Everything else needs a reviewer: any
 * replacement role, any removal or weakening (even of an expired incident), any other change to an
 * incident, any file that does not validate, and any path that is code (protected-paths.ts) or
 * outside the incidents folder.
 */
export function classifyChange(input: ClassifyInput): string[] {
  const reasons: string[] = [...input.unreadable];
  const shown = input.shown ?? ((path: string) => path);
  for (const change of input.changes) {
    const code = codeReason(change);
    const path = shown(change.path);
    if (code !== undefined) {
      const where = insideFolder(change.path, INCIDENTS_ROOT) ? `: ${code}` : `, outside ${INCIDENTS_ROOT}/`;
      reasons.push(`${path} changed${where}: code, which a code owner must review`);
    } else if (!insideFolder(change.path, input.incidentsDir)) {
      reasons.push(`${path} changed, outside ${input.incidentsDir}/ (--dir), where guard judges incidents`);
    } else if (!isReadIncidentFile(change.path)) {
      reasons.push(`${path} changed: not an incident file (hidden, or under node_modules: nothing reads it)`);
    }
  }
  const headById = new Map(input.head.map((incident) => [incident.id, incident]));
  const baseIds = new Set(input.base.map((incident) => incident.id));
  for (const before of input.base) {
    const after = headById.get(before.id);
    if (after === undefined) {
      reasons.push(`${before.file}: incident ${before.id} removed`);
      continue;
    }
    const { weakenings, others } = compareIncidents(before, after, input.containment);
    for (const change of [...weakenings.map((w) => w.what), ...others])
      reasons.push(`${after.file}: incident ${before.id}: ${change}`);
  }
  const baseById = new Map(input.base.map((incident) => [incident.id, incident]));
  const holdLimit = input.now.getTime() + MAX_ADDITIVE_HOLD_DAYS * 86_400_000;
  for (const after of input.head) {
    const before = baseById.get(after.id);
    // A deny-all or a guardrail over a protected principal could lock the responders out.
    const had = before === undefined ? new Map() : lockouts(before);
    for (const [key, { what, subject, principal }] of lockouts(after)) {
      const because = had.has(key) ? undefined : protectedBecause(principal, input.protectedPrincipals);
      if (because !== undefined) {
        const why = "it could lock the responders out; a pull request and a reviewer decide that";
        reasons.push(`${after.file}: incident ${after.id}: ${what} would cover ${subject}, ${because}: ${why}`);
      }
    }
    // The guardrails deny every federated-user session of an account whose users they name
    // (plan/organization.ts): GetFederationToken sessions carry no user name, so a protected user's
    // are among them, whoever the incident names.
    const protectedUsers = [
      ...new Set(input.protectedPrincipals.flatMap((p) => (p.type === "user" ? [`"${p.name}"`] : []))),
    ];
    const hadFederated = before === undefined ? new Set<string>() : federatedGuardrails(before);
    for (const key of protectedUsers.length > 0 ? federatedGuardrails(after) : []) {
      if (hadFederated.has(key)) continue;
      const [how, account] = key.split("|");
      const why = "it could lock the responders out; a pull request and a reviewer decide that";
      reasons.push(
        `${after.file}: incident ${after.id}: ${how} would deny every federated-user session of account ${account} (GetFederationToken sessions name no user), those of user ${protectedUsers.join(", ")}, named in cordon:protectedPrincipals, among them: ${why}`,
      );
    }
    // Naming a user, in any mode, sets its credentials Inactive and deletes its console password.
    const named = new Set((before?.users ?? []).map((u) => principalKey(u.account, "user", u.name)));
    for (const user of after.users.filter((u) => !named.has(principalKey(u.account, "user", u.name)))) {
      const because = protectedBecause({ type: "user", name: user.name }, input.protectedPrincipals);
      if (because !== undefined) {
        const why = "it could lock the responders out; a pull request and a reviewer decide that";
        reasons.push(
          `${after.file}: incident ${after.id}: names ${userSubject(user, after)}, ${because}: its credentials would be set Inactive and its console password deleted, which cannot be undone: ${why}`,
        );
      }
    }
    const hold = after.holdUntil === undefined ? undefined : Date.parse(after.holdUntil);
    if (
      hold !== undefined &&
      hold > holdLimit &&
      (before?.holdUntil === undefined || Date.parse(before.holdUntil) < hold)
    ) {
      const why =
        "a hold that long keeps its principals denied past any investigation; a pull request and a reviewer decide that";
      reasons.push(
        `${after.file}: incident ${after.id}: holdUntil ${after.holdUntil} is more than ${MAX_ADDITIVE_HOLD_DAYS} days after now (${formatInstant(input.now)}): ${why}`,
      );
    }
  }
  // What each user keeps at the base, by the plan's rule: a new incident's keep within it changes
  // nothing (adding an incident can only shrink what is kept), so only a keep beyond it is a reviewer's.
  const baseKeeps = keptByUser(input.base);
  const keepsBeyondBase = (user: IncidentUser) => {
    const had = baseKeeps.get(principalKey(user.account, "user", user.name))?.keep;
    if (had === undefined) return keepsAnything(keptBy(user));
    const kept = keptBy(user);
    return (
      (kept.consolePassword && !had.consolePassword) ||
      KEPT_CREDENTIAL_FIELDS.some((field) => kept[field].some((id) => !had[field].includes(id)))
    );
  };
  for (const after of input.head.filter((incident) => !baseIds.has(incident.id))) {
    for (const user of after.users.filter(keepsBeyondBase)) {
      reasons.push(
        `${after.file}: incident ${after.id} added with credentials user "${user.name}" keeps: what keeps working is a reviewer's to approve`,
      );
    }
    for (const root of (after.rootUsers ?? []).filter((r) => r.deleteAccessKeys)) {
      reasons.push(
        `${after.file}: incident ${after.id} added deleting the root access keys of account ${root.account}: it cannot be undone, which a reviewer must approve`,
      );
    }
    for (const user of after.users.filter((u) => (u.deactivateMfaDevices ?? []).length > 0)) {
      reasons.push(
        `${after.file}: incident ${after.id} added deactivating MFA devices of user "${user.name}": cordon cannot undo that, which a reviewer must approve`,
      );
    }
  }
  for (const after of input.head) {
    if (!baseIds.has(after.id) && after.replacementRoles.length > 0) {
      reasons.push(
        `${after.file}: incident ${after.id} added with replacement roles (${after.replacementRoles.map((r) => r.name).join(", ")}): a replacement role is a new access path, which a reviewer must approve`,
      );
    }
  }
  reasons.push(...keepsLost(input.base, baseKeeps, input.head));
  // Weakenings were said above, incident by incident; the others only guard knows.
  for (const violation of input.violations) {
    if (violation.kind === "not-applied" || violation.kind === "added-expired") reasons.push(violation.message);
  }
  return [...new Set(reasons)];
}

/** A user as an incident's messages name it: its account only when it is not the incident's. */
function userSubject(user: { name: string; account: string }, incident: Incident): string {
  return `user "${user.name}"${user.account === incident.account ? "" : ` (account ${user.account})`}`;
}

/**
 * What the base keeps working that the head no longer does, each said by the head incident that
 * makes it so. What is kept is the plan's to say (plan/credentials.ts: kept only when every
 * incident naming the user keeps it, and never an exposed key), so an incident that names a user
 * without its `keep:` disables what a reviewer kept, and deletes a console password for good.
 */
function keepsLost(
  base: readonly Incident[],
  baseKeeps: ReadonlyMap<string, UserCredentialPlan>,
  head: readonly Incident[],
): string[] {
  const after = keptByUser(head);
  const baseById = new Map(base.map((incident) => [incident.id, incident]));
  const headById = new Map(head.map((incident) => [incident.id, incident]));
  const reasons: string[] = [];
  for (const [userKey, was] of baseKeeps) {
    // A user no incident names any more is a removal, said with the incident it was removed from.
    const now = after.get(userKey);
    if (now === undefined) continue;
    const keepers = was.incidents.map((id) => `${id} (${baseById.get(id)?.file ?? id})`).join(", ");
    const keptAt = `kept at the base by ${was.incidents.length === 1 ? "incident" : "incidents"} ${keepers}`;
    const lost = [
      ...KEPT_CREDENTIAL_FIELDS.flatMap((field) =>
        was.keep[field].filter((id) => !now.keep[field].includes(id)).map((id) => ({ field, id })),
      ),
      ...(was.keep.consolePassword && !now.keep.consolePassword ? [{ field: "consolePassword" as const, id: "" }] : []),
    ];
    for (const { field, id } of lost) {
      for (const incidentId of now.incidents) {
        const incident = headById.get(incidentId)!;
        const user = incident.users.find((u) => principalKey(u.account, "user", u.name) === userKey)!;
        const subject = userSubject(user, incident);
        const where = `${incident.file}: incident ${incident.id}`;
        const review = "a pull request and a reviewer decide that";
        if (field === "consolePassword") {
          if (keptBy(user).consolePassword) continue;
          reasons.push(
            `${where}: names ${subject} without keeping its console password, ${keptAt}: a credential is kept only when every incident naming its user keeps it, so the password would be deleted, which cannot be undone; ${review}`,
          );
        } else if (field === "accessKeys" && user.accessKeys.includes(id)) {
          // A new incident that declares the kept key exposed: the contain workflow disables a
          // dispatched key whatever guard says, so refusing would only lose the deny of its
          // sessions. A changed incident that does so is still a reviewer's.
          if (!baseById.has(incident.id)) continue;
          reasons.push(
            `${where}: lists access key ${id} of ${subject} as exposed, ${keptAt}: an exposed key is never kept, so it would be set Inactive; ${review}`,
          );
        } else if (!keptBy(user)[field].includes(id)) {
          reasons.push(
            `${where}: names ${subject} without keeping ${KEPT_NOUN[field]} ${id}, ${keptAt}: a credential is kept only when every incident naming its user keeps it, so it would be set Inactive; ${review}`,
          );
        }
      }
    }
  }
  return reasons;
}
