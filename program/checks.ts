/**
 * What the Pulumi program checks before it declares anything: the incident files, the account of
 * the deploying credentials, the owner of every key, the replacement roles' names, and the room
 * each principal has for cordon's deny policy. A problem with the repository's own inputs (a file,
 * the stack's settings, the credentials' account) stops the run having declared nothing. What IAM
 * state in the account decides (a full principal, a role squatting a replacement role's name), and
 * whoever holds a leaked key can create, stops nothing: the run declares everything else, every
 * credential disabled first, and fails at its end.
 *
 * Each check answers with the reason the run must stop, or undefined. They ask AWS through the
 * functions they are given (index.ts passes Pulumi's invokes), so they run in a test without Pulumi.
 * @see ../docs/program.md
 */
import { formatDiagnostic, type Diagnostic } from "../incident/diagnostics.ts";
import type { Incident } from "../incident/types.ts";
import type { OrganizationConfig } from "../plan/organization.ts";
import { stackName } from "../plan/project.ts";
import { accountsOf } from "../plan/accounts.ts";
import { iamNameKey } from "../incident/fields.ts";
import {
  cordonPolicyArn,
  denyPolicyName,
  oversizedDenies,
  INCIDENT_TAG,
  POLICY_PATH,
  ROLE_POLICY_NAME,
  type AccessKeyPlan,
  type DenyPolicy,
  type Plan,
  type Principal,
} from "../plan/plan.ts";
import { filledSize, policySize } from "../plan/policies.ts";
import type { IamQuotas, ManagedPolicyState, RoleState } from "./iam.ts";

/**
 * The stack must be named `<prefix>-<account>`: two stacks of one account would each own its deny
 * policies and undo each other's, and the workflows and `cordon accounts` find a stack by that name.
 */
export function stackNameProblem(stack: string, prefix: string, account: string): string | undefined {
  const expected = stackName(prefix, account);
  if (stack === expected) return undefined;
  return `cordon declared nothing: this stack is named ${stack}, but the stack of account ${account} is ${expected} (cordon:stackPrefix "${prefix}", then the account): the workflows and \`cordon accounts\` use that name; rename the stack (pulumi stack rename ${expected}) or set cordon:account to the account it deploys`;
}

/** What the run says about the shares of the incidents that are not this stack's to declare. */
export function sharesNotes(
  incidents: readonly Incident[],
  account: string,
  organization: OrganizationConfig | undefined,
): string[] {
  const notes: string[] = [];
  const elsewhere = incidents
    .filter((incident) => accountsOf(incident).some((a) => a !== account))
    .map(
      (incident) =>
        `${incident.id} (${accountsOf(incident)
          .filter((a) => a !== account)
          .join(", ")})`,
    );
  if (elsewhere.length > 0)
    notes.push(
      `this stack deploys account ${account}; the shares of other accounts are their stacks' to declare: ${elsewhere.join(", ")}`,
    );
  const asking = incidents.filter((i) => i.organization.scp || i.organization.rcp).map((i) => i.id);
  if (organization === undefined && asking.length > 0)
    notes.push(
      `the organization guardrails of ${asking.join(", ")} are the organization stack's to declare (cordon:organization), not this one's`,
    );
  return notes;
}

/** The stack's settings as the one reader found them (plan/project.ts) have problems: the run stops, every one said. */
export function stackSettingsProblem(problems: readonly string[]): string {
  return [
    `cordon declared nothing: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`} in the stack's config:`,
    ...problems,
  ].join("\n");
}

/** While any incident file is invalid, nothing is planned and nothing is declared. */
export function invalidFilesProblem(incidentsDir: string, errors: Diagnostic[]): string | undefined {
  if (errors.length === 0) return undefined;
  const count = errors.length === 1 ? "1 problem" : `${errors.length} problems`;
  return [
    `cordon declared nothing: ${count} in the incident files (\`npx cordon validate ${incidentsDir}\` shows the same):`,
    ...errors.map(formatDiagnostic),
  ].join("\n");
}

/** Deploying one account's incidents with another account's credentials would disable nothing. */
export async function credentialsProblem(
  account: string,
  callerAccount: () => Promise<string>,
): Promise<string | undefined> {
  const accountId = await callerAccount();
  if (accountId === account) return undefined;
  return `cordon declared nothing: the deploying credentials belong to account ${accountId}, but this stack deploys account ${account} (config cordon:account); use credentials of account ${account}, or the stack of account ${accountId}`;
}

/** What the key check found: the reason to stop, the listed keys IAM no longer has, and those of another user. */
export interface KeyOwnership {
  /** A read that failed: the run stops, declaring nothing. */
  problem?: string;
  /** Ids of listed keys that IAM no longer has: contained already (sorted). */
  gone: string[];
  /** Listed keys IAM names another user as the owner of (sorted by user, then key id). */
  foreign: ForeignKey[];
}

/** A listed key whose owner, as IAM names it, is not the user the file lists it under. */
export interface ForeignKey {
  accessKeyId: string;
  /** The user the file lists it under. */
  user: string;
  /** The user IAM names as its owner (GetAccessKeyLastUsed). */
  owner: string;
  incidents: string[];
  /** The keys IAM lists for the declared user; null when IAM has no user of that name. */
  listed: string[] | null;
}

/**
 * Every key must be a key of the user the file names. The AccessKey resource ignores changes of
 * its user, because Pulumi would answer them by replacing the key, that is by creating a new one;
 * so a wrong user must be caught here, with IAM's own answers: the keys IAM lists for each user
 * (`accessKeysOf`, asked once per user; null when IAM has no such user), and, for a key not listed
 * there, the owner IAM names for it (`keyOwner`: GetAccessKeyLastUsed). A key whose owner is
 * another user is `foreign`: never declared (program/deploy.ts withholds its incidents). A key IAM
 * does not have at all was deleted, as AWS advises once the workload has moved, or went with its
 * user: it is contained already, and importing it would fail, so it is reported as gone instead
 * of declared. Only a read that fails stops the run.
 */
export async function keyOwnership(
  keys: AccessKeyPlan[],
  accessKeysOf: (user: string) => Promise<string[] | null>,
  keyOwner: (accessKeyId: string) => Promise<string | null>,
): Promise<KeyOwnership> {
  const users = [...new Set(keys.map((key) => key.user))].sort();
  const listed = new Map<string, string[] | null>();
  for (const user of users) {
    try {
      // A user IAM does not find by its name has no keys listed: each is then asked of IAM on its own, below.
      listed.set(user, (await accessKeysOf(user))?.sort() ?? null);
    } catch (error) {
      const incidents = [...new Set(keys.filter((key) => key.user === user).flatMap((key) => key.incidents))];
      return {
        problem: `cordon declared nothing: cannot list the access keys of user ${user} (incident ${incidents.join(", ")}): ${(error as Error).message}`,
        gone: [],
        foreign: [],
      };
    }
  }
  const gone: string[] = [];
  const foreign: ForeignKey[] = [];
  for (const key of keys.filter((k) => !(listed.get(k.user) ?? []).includes(k.accessKeyId))) {
    let owner: string | null;
    try {
      owner = await keyOwner(key.accessKeyId);
    } catch (error) {
      return {
        problem: `cordon declared nothing: cannot ask IAM who owns access key ${key.accessKeyId} (incident ${key.incidents.join(", ")}), which it does not list under user ${key.user}: ${(error as Error).message}`,
        gone: [],
        foreign: [],
      };
    }
    // IAM names are case-insensitive: the declared user, spelt otherwise, owns it after all.
    if (owner !== null && iamNameKey(owner) === iamNameKey(key.user)) continue;
    if (owner === null) gone.push(key.accessKeyId);
    else
      foreign.push({
        accessKeyId: key.accessKeyId,
        user: key.user,
        owner,
        incidents: key.incidents,
        listed: listed.get(key.user) ?? null,
      });
  }
  return { gone: gone.sort(), foreign };
}

/**
 * A user the files name that IAM has under another name now (`iam:UpdateUser` renames a user and
 * keeps its id, its credentials and its policies): nothing of it is contained, and a deny to the
 * old name cannot be attached.
 */
export interface RenamedUser {
  account: string;
  /** The name the files give it. */
  user: string;
  /** The name IAM has it under now. */
  name: string;
  /** How the run knows: the id an earlier run recorded for the name, or the owner IAM names for a listed key. */
  evidence: { userId: string } | { accessKeyId: string };
  /** The id IAM gives the user now named `user`, when it has one (another user, made since). */
  nameNowHeldBy: string | null;
  incidents: string[];
}

/** What the run learned of the users the files name: the renamed ones, and the ids to record. */
export interface UserIdentities {
  renamed: RenamedUser[];
  /** Name (as iamNameKey spells it) → IAM's UserId (AIDA…), for the stack outputs: read by the next run (sorted). */
  userIds: Record<string, string>;
}

/**
 * Whether each user the files name is still the user they meant. A user IAM does not find by name
 * was deleted, or renamed (`iam:UpdateUser`, which whoever holds a leaked key with IAM rights can
 * call): it is taken for gone only when nothing shows a rename. Two things do: the UserId an
 * earlier run recorded for the name (`recorded`, from the stack outputs; IAM never gives that id to
 * another user) found under another name (`userNamed`: ListUsers), and the owner IAM names for one
 * of the user's listed keys (`foreign`, from keyOwnership). The same id check catches a user renamed
 * and another one made under the old name. `userId` is GetUser's UserId, null when IAM has no user
 * of that name. The ids returned for the outputs keep the recorded one while IAM has that user, and
 * take IAM's current one otherwise: a name is tied to the first user it was seen as while it lives.
 */
export async function userIdentities(
  users: readonly { account: string; name: string; incidents: string[] }[],
  recorded: Readonly<Record<string, string>>,
  foreign: readonly ForeignKey[],
  iam: { userId(name: string): Promise<string | null>; userNamed(userId: string): Promise<string | null> },
): Promise<UserIdentities> {
  const renamed: RenamedUser[] = [];
  const userIds: Record<string, string> = {};
  for (const user of [...users].sort((a, b) => compareNames(a.name, b.name))) {
    const key = iamNameKey(user.name);
    const current = await iam.userId(user.name);
    const before = Object.hasOwn(recorded, key) ? recorded[key] : undefined;
    const elsewhere = before !== undefined && before !== current ? await iam.userNamed(before) : null;
    const byKey = foreign.find((f) => iamNameKey(f.user) === key && f.listed === null);
    if (elsewhere !== null && iamNameKey(elsewhere) !== key) {
      renamed.push({
        ...user,
        user: user.name,
        name: elsewhere,
        evidence: { userId: before! },
        nameNowHeldBy: current,
      });
      userIds[key] = before!;
      continue;
    }
    if (current === null && byKey !== undefined)
      renamed.push({
        ...user,
        user: user.name,
        name: byKey.owner,
        evidence: { accessKeyId: byKey.accessKeyId },
        nameNowHeldBy: null,
      });
    if (current !== null) userIds[key] = current;
  }
  return { renamed, userIds: Object.fromEntries(Object.entries(userIds).sort(([a], [b]) => compareNames(a, b))) };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The run's error, before declaring, about the incidents it does not contain as planned: users
 * renamed, and keys IAM names another owner of. Neither can be declared (no user has the old
 * name; Pulumi would replace a key whose user changed, creating a new one), and whoever holds a
 * leaked key can cause either, so neither stops the other incidents. `contained`: those of the
 * incidents whose containment instant an earlier run recorded, which keeps it.
 */
export function uncontainedUsersError(
  plan: Plan,
  renamed: readonly RenamedUser[],
  foreign: readonly ForeignKey[],
  contained: readonly string[] = [],
): string | undefined {
  const explained = (f: ForeignKey) =>
    renamed.some((r) => iamNameKey(r.user) === iamNameKey(f.user) && iamNameKey(r.name) === iamNameKey(f.owner));
  const keys = foreign.filter((f) => !explained(f));
  const ids = [...new Set([...renamed.flatMap((r) => r.incidents), ...keys.flatMap((k) => k.incidents)])].sort();
  if (ids.length === 0) return undefined;
  const lines = [
    ...renamed.map((r) => {
      const how =
        "userId" in r.evidence
          ? `same id ${r.evidence.userId}${r.nameNowHeldBy === null ? "" : `; the user now named ${r.user} is another one, id ${r.nameNowHeldBy}`}`
          : `IAM names user ${r.name} as the owner of its listed access key ${r.evidence.accessKeyId}, and has no user ${r.user}`;
      return `${r.incidents.map((id) => fileOf(plan, id)).join(", ")}: user ${r.user} (incident ${r.incidents.join(", ")}) was renamed to ${r.name} (${how}): its credentials, console password and policies went with it, so nothing of it is contained and no deny can be attached to the old name; add user ${r.name} to the incident (with its access keys), then run again`;
    }),
    ...keys.map(
      (k) =>
        `incident ${k.incidents.join(", ")}: access key ${k.accessKeyId} is not a key of user ${k.user}: IAM names user ${k.owner} as its owner (IAM lists for ${k.user}: ${k.listed === null ? "no such user" : k.listed.length > 0 ? k.listed.join(", ") : "no access keys"}); name the user that owns it (Pulumi would replace a key whose user changed, and a replacement creates a new key)`,
    ),
  ];
  const kept = ids.filter((id) => contained.includes(id));
  const never = ids.filter((id) => !contained.includes(id));
  const whole = (some: string[]) => some.length === ids.length;
  const them = (some: string[]) =>
    whole(some)
      ? some.length === 1
        ? "it"
        : "them"
      : `${some.length === 1 ? "incident" : "incidents"} ${some.join(", ")}`;
  const why = [
    ...(never.length > 0
      ? [
          `no containment instant is recorded for ${them(never)} (an at-containment incident's principals are denied everything until one is)`,
        ]
      : []),
    ...(kept.length > 0
      ? [
          `the containment instant an earlier run recorded for ${them(kept)} stays, and so does its cutoff (nothing cordon applied changed)`,
        ]
      : []),
  ].join("; ");
  return [
    `cordon does not take ${ids.length === 1 ? "incident" : "incidents"} ${ids.join(", ")} for contained: ${why}, everything else is declared, and this update fails at its end:`,
    ...lines,
  ].join("\n");
}

/** The log line of a run that found principals IAM no longer has. */
export function gonePrincipalsNote(plan: Plan): string | undefined {
  const gone = plan.incidents.flatMap((incident) =>
    incident.gonePrincipals.map((p) => ({ ...p, incident: incident.id })),
  );
  if (gone.length === 0) return undefined;
  const byPrincipal = new Map<string, { type: string; name: string; account: string; incidents: string[] }>();
  for (const p of gone) {
    const key = `${p.account}/${p.type}/${p.name.toLowerCase()}`;
    const entry = byPrincipal.get(key) ?? { type: p.type, name: p.name, account: p.account, incidents: [] };
    entry.incidents.push(p.incident);
    byPrincipal.set(key, entry);
  }
  const list = [...byPrincipal.values()].map(
    (p) => `${p.type} ${p.name} (account ${p.account}, incident ${p.incidents.join(", ")})`,
  );
  return `already contained: IAM has no ${list.join(", ")}: deleted, so there is no deny to attach; a user or role created again under that name gets its deny back on the next run`;
}

/** The log line of a run that found listed keys IAM no longer has. */
export function goneKeysNote(plan: Plan): string | undefined {
  if (plan.goneAccessKeys.length === 0) return undefined;
  const keys = plan.goneAccessKeys.map(
    (key) => `${key.accessKeyId} (user ${key.user}, incident ${key.incidents.join(", ")})`,
  );
  return `already contained: IAM no longer has ${plan.goneAccessKeys.length === 1 ? "access key" : "access keys"} ${keys.join(", ")}: deleted, so there is nothing to disable; the deny policies stay until the incident expires`;
}

/** The replacement roles whose name IAM already has for another role, and why each. */
export interface TakenRoleNames {
  /** Their resource names: not declared, so that `CreateRole` cannot fail at `pulumi up`. */
  taken: string[];
  /** One line each, naming the file, the role and what to do. */
  problems: string[];
}

/**
 * A replacement role is created with `CreateRole`, which fails at `pulumi up` (never at preview)
 * when IAM already has a role of that name: the provider does not adopt it. A role of that name is
 * accepted only when it is this incident's: tagged `cordon:incident` with the incident's id (every
 * role cordon creates is) and under cordon's path. Any other is not the run's to stop: whoever holds
 * a leaked key may create one, so the role is left out and the rest declared.
 */
export async function takenRoleNames(
  plan: Plan,
  role: (name: string) => Promise<RoleState | null>,
): Promise<TakenRoleNames> {
  const taken: string[] = [];
  const problems: string[] = [];
  for (const planned of plan.replacementRoles) {
    const existing = await role(planned.name);
    if (existing === null) continue;
    const file = fileOf(plan, planned.incident);
    const tag = existing.tags[INCIDENT_TAG];
    const where = `${file}: replacement role ${planned.name} (incident ${planned.incident})`;
    if (tag !== planned.incident) {
      taken.push(planned.resourceName);
      problems.push(
        `${where}: IAM already has a role ${existing.name} (path ${existing.path}) that is not this incident's (tag ${INCIDENT_TAG}: ${tag === undefined ? "none" : JSON.stringify(tag)}), so CreateRole would fail (EntityAlreadyExists); give the replacement role a name IAM does not have yet, or, to keep using the existing role, remove it from replacementRoles`,
      );
    } else if (existing.path !== planned.path) {
      taken.push(planned.resourceName);
      problems.push(
        `${where}: the role of that name is this incident's but lives at path ${existing.path}, not ${planned.path}, where cordon keeps the roles it manages (IAM cannot move a role); give the replacement role a new name: the existing role stays as it is`,
      );
    }
  }
  return { taken, problems };
}

/** The run's error, before declaring, about the replacement roles it leaves out; undefined when none. */
export function takenRoleNamesError(problems: readonly string[]): string | undefined {
  if (problems.length === 0) return undefined;
  return [
    `cordon does not declare ${problems.length === 1 ? "1 replacement role" : `${problems.length} replacement roles`}: IAM already has a role of that name, so CreateRole would fail; everything else is declared, and this update fails at its end:`,
    ...problems,
  ].join("\n");
}

/** Where each principal's deny policy goes, and which cannot be declared as planned. */
export interface DenyRoom {
  /** Roles without room for the inline deny that get the managed one attached instead. */
  managedDenyRoles: string[];
  /** Users without a free attachment for the managed deny that get the inline one instead. */
  inlineDenyUsers: string[];
  /**
   * Principals IAM does not have (deleted by hand): contained, with nothing to attach. Their deny
   * is not declared, so it cannot fail at `pulumi up`; it comes back once IAM has them again.
   */
  gone: Principal[];
  /** What the run says about each role given the managed deny, and why. */
  notes: string[];
  /**
   * Resource names of the deny policies with no room anywhere: not declared, so that attaching
   * them cannot fail at `pulumi up` and stop the rest (sorted).
   */
  undeclared: string[];
  /**
   * Resource names of the deny policies with no room for their new document but already in IAM
   * (a role's inline deny grown past the quota): declared as IAM has them, never deleted (sorted).
   */
  kept: string[];
  /** One line for each deny in `undeclared` or `kept`: the file, the principal and what to do. */
  problems: string[];
  /**
   * The policies IAM has at the name of a principal's managed deny that this stack did not create
   * (`DenyImpostor`): never trusted, never deleted; the principal's deny goes inline instead.
   */
  impostors: DenyImpostor[];
  /** What the run says of each impostor, as a warning. */
  warnings: string[];
  /**
   * Resource names of the denies whose managed policy this stack's state records at an ARN where
   * IAM now has another policy, or an impostor an earlier run listed (read into the state by a
   * refresh): the engine would delete that one once the deny is declared inline, so the run fails
   * at its end, which deletes nothing (sorted).
   */
  foreign: string[];
  /** One line for each deny in `foreign`. */
  foreignProblems: string[];
}

/**
 * A policy at the name of a principal's managed deny that this stack did not create: made
 * beforehand by whoever could write IAM (the name can be worked out), so that creating cordon's
 * would fail (EntityAlreadyExists), or made again after cordon's was deleted.
 */
export interface DenyImpostor {
  type: "user" | "role";
  name: string;
  account: string;
  policyArn: string;
  /** IAM's id of the policy found there. */
  policyId: string;
  /**
   * The id this stack's state records at that ARN: cordon's own policy, since replaced; or this very
   * policy's id, read into the state by a refresh after an earlier run listed it as an impostor;
   * null when none.
   */
  recordedPolicyId: string | null;
}

/**
 * The managed policies this stack's state holds (the engine's last checkpoint of the stack): ARN
 * in lower case (IAM's names ignore case) → PolicyId, and the ids the stack's outputs list as
 * impostors found where the state recorded a policy (`listedImpostors`); or why the state cannot be
 * read.
 */
export type StatePolicies =
  | { policies: ReadonlyMap<string, string>; impostors: ReadonlySet<string> }
  | { unreadable: string };

/**
 * The ids of the policies the stack's outputs list as impostors (`denyImpostors`) found where its
 * state recorded a policy: cordon's own replaced, or such an impostor read into the state by a
 * refresh since. One listed where the state recorded nothing, or could not be read, is left out:
 * the state then holds nothing a refresh could take for cordon's, or holds cordon's own, which a run
 * that cannot read the state lists too and must not be refused ever after.
 */
export function listedImpostors(outputs: unknown): Set<string> {
  const listed = (outputs as { denyImpostors?: unknown } | null | undefined)?.denyImpostors;
  const ids = new Set<string>();
  for (const impostor of Array.isArray(listed) ? listed : []) {
    const { policyId, recordedPolicyId } = (impostor ?? {}) as { policyId?: unknown; recordedPolicyId?: unknown };
    if (typeof policyId === "string" && typeof recordedPolicyId === "string") ids.add(policyId);
  }
  return ids;
}

/**
 * Whether each principal has room for cordon's deny policy, read from IAM before declaring: a
 * full principal fails at `pulumi up` (LimitExceeded), which `pulumi preview` does not show.
 *  - A user gets a managed policy when an attachment is free (AttachedPoliciesPerUserQuota, cordon's
 *    own one not counted), else the inline policy when it fits among the user's other inline
 *    policies (UserPolicySizeQuota, counted as for roles). A user that already carries cordon's
 *    inline policy keeps it while it fits, so the choice does not flip between runs.
 *  - A role gets the inline policy when it fits among the role's other inline policies
 *    (RolePolicySizeQuota, counted as IAM counts: no white space, cordon's own inline policy not
 *    counted), else a managed policy attached, like a user's, when an attachment is free
 *    (AttachedPoliciesPerRoleQuota, cordon's own not counted). A role that already carries
 *    cordon's managed policy keeps it while it fits, so the choice does not flip between runs.
 *  - When neither fits, the deny is left out (`undeclared`), or kept as IAM has it when the role
 *    or user already carries cordon's inline deny (`kept`: a deny left out would be deleted), and the
 *    line says why. Whoever holds a leaked key can fill its user's attachments: that must not stop
 *    the run from disabling the key and declaring every other deny.
 */
export async function denyRoom(
  plan: Plan,
  iam: {
    role(name: string): Promise<RoleState | null>;
    userAttachedPolicies(name: string): Promise<string[] | null>;
    userInlinePolicies(name: string): Promise<Record<string, string> | null>;
    quotas(): Promise<IamQuotas>;
    managedPolicy(arn: string): Promise<ManagedPolicyState | null>;
    /** Asked once, and only when IAM has a policy at the name of a managed deny. */
    statePolicies(): Promise<StatePolicies>;
  },
): Promise<DenyRoom> {
  const room: DenyRoom = {
    managedDenyRoles: [],
    inlineDenyUsers: [],
    gone: [],
    notes: [],
    undeclared: [],
    kept: [],
    problems: [],
    impostors: [],
    warnings: [],
    foreign: [],
    foreignProblems: [],
  };
  if (plan.denyPolicies.length === 0) return room;
  const quotas = await iam.quotas();
  const where = (deny: DenyPolicy) =>
    `${deny.incidents.map((id) => fileOf(plan, id)).join(", ")}: ${deny.principal.type} ${deny.principal.name} (incident ${deny.incidents.join(", ")})`;
  // A policy at the managed deny's name is cordon's only when this stack's state records its id
  // there: a name anyone can work out, a document anyone can copy and tags anyone can set prove
  // nothing. Anything else is an impostor: never trusted, never deleted, and the deny goes inline.
  // Nor is one an earlier run listed as an impostor, even where the state now records its id: a
  // refresh (the workflows run `pulumi up --refresh`) reads whatever IAM has at the resource's ARN
  // into the state, a failed run's included, and the state would then vouch for the impostor.
  let state: Promise<StatePolicies> | undefined;
  const impostorAt = async (deny: DenyPolicy, arn: string): Promise<DenyImpostor | undefined> => {
    const found = await iam.managedPolicy(arn);
    if (found === null) return undefined;
    state ??= iam.statePolicies();
    const known = await state;
    const recorded = "policies" in known ? (known.policies.get(arn.toLowerCase()) ?? null) : null;
    const listed = "impostors" in known && known.impostors.has(found.policyId);
    if (recorded === found.policyId && !listed) return undefined;
    const { type, name } = deny.principal;
    const impostor = {
      type,
      name,
      account: deny.account,
      policyArn: arn,
      policyId: found.policyId,
      recordedPolicyId: recorded,
    };
    room.impostors.push(impostor);
    const why =
      recorded === found.policyId
        ? "an earlier run found it there and listed it as an impostor (denyImpostors); a refresh has since read it into this stack's state, which does not make it cordon's"
        : recorded !== null
          ? `this stack's state records cordon's own policy there with id ${recorded}: it was deleted, and another made under its name`
          : "unreadable" in known
            ? `this stack's state, which would say whether cordon created it, cannot be read (${known.unreadable})`
            : "this stack's state records no policy there: it was made beforehand, under a name anyone can work out";
    const instead =
      type === "user"
        ? `its deny is the inline policy ${ROLE_POLICY_NAME} instead, where it fits`
        : `its deny stays the inline policy ${ROLE_POLICY_NAME}, where it fits`;
    room.warnings.push(
      `${where(deny)}: IAM has a policy ${arn} (id ${found.policyId}) that this stack did not create: ${why}. cordon trusts no policy by its name and never deletes one it did not create: ${instead}. Whoever made it can write IAM: read it and what it is attached to (aws iam get-policy --policy-arn ${arn}; aws iam list-entities-for-policy --policy-arn ${arn}), then delete it yourself once nothing needs it`,
    );
    // The state holds a resource at that ARN: once the deny is declared inline, the engine would
    // delete the policy now there as cordon's (the resource's id is the ARN), or update its document.
    if (recorded !== null) {
      const which =
        recorded === found.policyId
          ? `(id ${found.policyId}, listed as an impostor by an earlier run and read into this stack's state by a refresh)`
          : `(id ${found.policyId}, created as ${recorded})`;
      room.foreign.push(deny.resourceName);
      room.foreignProblems.push(
        `${where(deny)}: the policy at ${arn} is not the one this stack created ${which}, and the engine would delete it as cordon's: read it, and delete it yourself once nothing needs it (or, to keep it, forget cordon's record of it: pulumi state delete), then run again`,
      );
    }
    return impostor;
  };
  // Neither fits. IAM never let an inline deny it has outgrow the quota: only what this run adds
  // does not fit, and the deny stays as IAM has it.
  const withhold = (deny: DenyPolicy, hasInline: boolean, full: string, fix: string) => {
    (hasInline ? room.kept : room.undeclared).push(deny.resourceName);
    const what = hasInline
      ? "its inline deny stays as IAM has it, without what this run adds"
      : "its sessions are not denied";
    room.problems.push(`${where(deny)}: ${full}: ${what}; ${fix}`);
  };
  for (const deny of plan.denyPolicies) {
    const { type, name } = deny.principal;
    if (type === "user") {
      const attached = await iam.userAttachedPolicies(name);
      const inline = attached === null ? null : await iam.userInlinePolicies(name);
      if (attached === null || inline === null) {
        room.gone.push({ type, name, account: deny.account });
        continue;
      }
      const managedArn = cordonPolicyArn(deny.account, denyPolicyName("user", name, "managed"));
      const others = attached.filter((arn) => arn !== managedArn);
      const inlineUsed = Object.entries(inline)
        .filter(([policyName]) => policyName !== ROLE_POLICY_NAME)
        .reduce((sum, [, text]) => sum + policySize(text), 0);
      const needed = filledSize(deny.document, deny.pendingContainment);
      const impostor = await impostorAt(deny, managedArn);
      const managedFits = impostor === undefined && others.length + 1 <= quotas.attachedPoliciesPerUser;
      const inlineFits = inlineUsed + needed <= quotas.userPolicySize;
      const hasInline = ROLE_POLICY_NAME in inline;
      const attachments =
        impostor === undefined
          ? `${others.length} of ${quotas.attachedPoliciesPerUser} managed policies are attached to it (AttachedPoliciesPerUserQuota)`
          : `IAM has a policy at the managed deny's name that this stack did not create (id ${impostor.policyId})`;
      if ((hasInline && inlineFits) || (!managedFits && inlineFits)) {
        room.inlineDenyUsers.push(name);
        const why = managedFits
          ? "it already carries it, and keeps it so that runs do not flip between the two"
          : impostor === undefined
            ? `${attachments}, so attaching the managed one would fail (LimitExceeded)`
            : `${attachments}, so creating the managed one would fail (EntityAlreadyExists)`;
        room.notes.push(
          `user ${name} (incident ${deny.incidents.join(", ")}): its deny is the inline policy ${ROLE_POLICY_NAME} instead of the managed policy ${POLICY_PATH}${denyPolicyName("user", name, "managed")}: ${why}`,
        );
      } else if (!managedFits) {
        const full = `no room for cordon's deny policy: ${attachments}, and its other inline policies use ${inlineUsed} of ${quotas.userPolicySize} characters (UserPolicySizeQuota; cordon's needs ${needed})`;
        const fix =
          impostor === undefined
            ? `detach one (${others.map(policyNameOf).join(", ")}) or delete an inline policy of user ${name}, or have a quota raised (Service Quotas), then run again`
            : `delete an inline policy of user ${name}, or have the quota raised (Service Quotas), or, once you have read it, delete the policy at cordon's name yourself, then run again`;
        // A user whose inline deny stays keeps it inline: declared managed, it would be deleted.
        if (hasInline) room.inlineDenyUsers.push(name);
        withhold(deny, hasInline, full, fix);
      }
      continue;
    }
    const role = await iam.role(name);
    if (role === null) {
      room.gone.push({ type, name, account: deny.account });
      continue;
    }
    const managedArn = cordonPolicyArn(deny.account, denyPolicyName("role", name, "managed"));
    const inlineUsed = Object.entries(role.inlinePolicies)
      .filter(([policyName]) => policyName !== ROLE_POLICY_NAME)
      .reduce((sum, [, text]) => sum + policySize(text), 0);
    const needed = filledSize(deny.document, deny.pendingContainment);
    const othersAttached = role.attachedPolicies.filter((arn) => arn !== managedArn);
    const impostor = await impostorAt(deny, managedArn);
    const inlineFits = inlineUsed + needed <= quotas.rolePolicySize;
    const managedFits = impostor === undefined && othersAttached.length + 1 <= quotas.attachedPoliciesPerRole;
    // Attached is not enough: only the policy this stack created is cordon's.
    const hasManaged = impostor === undefined && role.attachedPolicies.includes(managedArn);
    if ((hasManaged && managedFits) || (!inlineFits && managedFits)) {
      room.managedDenyRoles.push(name);
      const why = inlineFits
        ? "it already carries it, and keeps it so that runs do not flip between the two"
        : `the role's other inline policies use ${inlineUsed} of ${quotas.rolePolicySize} characters (RolePolicySizeQuota) and cordon's needs ${needed}`;
      room.notes.push(
        `role ${name} (incident ${deny.incidents.join(", ")}): its deny is the managed policy ${POLICY_PATH}${denyPolicyName("role", name, "managed")}, attached, instead of an inline policy: ${why}`,
      );
    } else if (!inlineFits) {
      const managed =
        impostor === undefined
          ? `${othersAttached.length} of ${quotas.attachedPoliciesPerRole} managed policies are attached (AttachedPoliciesPerRoleQuota)`
          : `IAM has a policy at the managed deny's name that this stack did not create (id ${impostor.policyId})`;
      const full = `no room for cordon's deny policy: the role's other inline policies use ${inlineUsed} of ${quotas.rolePolicySize} characters (RolePolicySizeQuota; cordon's needs ${needed}), and ${managed}`;
      const fix =
        impostor === undefined
          ? `detach a managed policy or delete an inline policy of role ${name}, or have a quota raised (Service Quotas), then run again`
          : `delete an inline policy of role ${name}, or have the quota raised (Service Quotas), or, once you have read it, delete the policy at cordon's name yourself, then run again`;
      withhold(deny, ROLE_POLICY_NAME in role.inlinePolicies, full, fix);
    }
  }
  room.managedDenyRoles.sort();
  room.inlineDenyUsers.sort();
  room.undeclared.sort();
  room.kept.sort();
  room.foreign.sort();
  return room;
}

/** The run's error, before declaring, about the deny policies it cannot declare as planned; undefined when none. */
export function denyRoomError(problems: readonly string[]): string | undefined {
  if (problems.length === 0) return undefined;
  return [
    `cordon cannot declare the deny policy of ${problems.length === 1 ? "1 principal" : `${problems.length} principals`} as planned: no room for it, so pulumi up would fail (LimitExceeded); everything else is declared, and this update fails at its end:`,
    ...problems,
  ].join("\n");
}

/** The run's error, before declaring, about cordon's own managed denies replaced under their name; undefined when none. */
export function foreignDeniesError(problems: readonly string[]): string | undefined {
  if (problems.length === 0) return undefined;
  return [
    `cordon's managed deny of ${problems.length === 1 ? "1 principal was" : `${problems.length} principals were`} replaced by a policy this stack did not create: the deny is declared inline instead, and this update fails at its end, so that the engine deletes nothing:`,
    ...problems,
  ].join("\n");
}

function fileOf(plan: Plan, incident: string): string {
  return plan.incidents.find((i) => i.id === incident)?.file ?? incident;
}

function policyNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/**
 * cordon's own reads (keys, roles, quotas) go through the AWS SDK's default credential chain; the
 * provider may have been configured otherwise. Facts from another account would be wrong facts.
 */
export function sdkAccountProblem(account: string, sdkAccount: string): string | undefined {
  if (sdkAccount === account) return undefined;
  return `cordon declared nothing: the AWS SDK's default credentials, which cordon reads IAM with before declaring, belong to account ${sdkAccount}, but this stack deploys account ${account}; give the run credentials of account ${account} in the environment (AWS_PROFILE, or the OIDC role), not only in the stack's aws: provider config`;
}

/** The deny policies IAM would refuse for their size (plan/plan.ts, oversizedDenies), as the run's one problem. */
export function oversizedDeniesProblem(plan: Plan): string | undefined {
  const lines = oversizedDenies(plan);
  if (lines.length === 0) return undefined;
  return [
    `cordon declared nothing: ${lines.length === 1 ? "1 deny policy is" : `${lines.length} deny policies are`} too large for IAM:`,
    ...lines,
  ].join("\n");
}
