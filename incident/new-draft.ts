/**
 * What `cordon new` writes and says, once its flags are checked (incident/new-request.ts) and AWS
 * has answered: the incident (its users, roles and the note above them, each principal spelt as
 * the folder already spells it), the folder's new errors, the refusals, and the next steps. Pure:
 * the request, AWS's answers and the folder's files in, text out; commands/new.ts reads and writes.
 */
import { formatDiagnostic, type Diagnostic } from "./diagnostics.ts";
import { displayValue } from "./display.ts";
import { KEPT_CREDENTIAL_FIELDS, KEPT_NOUN, principalKey, rootUserSteps, sameIamName } from "./fields.ts";
import { loadIncidents } from "./load.ts";
import type { KeptCredentials, SourceFile } from "./types.ts";
import type { NewRequest, RolesFrom } from "./new-request.ts";
import { CLOUDTRAIL_DELIVERY_MINUTES, ROLE_LOOKUP_HOURS } from "./new-request.ts";
import { compareText } from "./order.ts";
import { formatInstant, parseInstant } from "./time.ts";
import { rolesFromArns, type NewIncident, type NewUser } from "./template.ts";
import { AT_CONTAINMENT } from "./types.ts";

/** What a roles lookup found: role ARNs, and the regions it could not read; or why it found nothing. */
export type RolesLookup =
  | {
      kind: "found";
      roleArns: string[];
      /** What was read: "CloudTrail LookupEvents in 33 regions", "IAM (every role's trust policy)". */
      source: string;
      /** Regions CloudTrail could not be read in (roles assumed there are not known). */
      failed: { region: string; reason: string }[];
      /** Patterns of the user's policies reaching roles of other accounts, which IAM here cannot see (assumable only). */
      elsewhere: string[];
    }
  | { kind: "failed"; reason: string };

/** A lookup that found roles. */
export type RolesFound = Extract<RolesLookup, { kind: "found" }>;

/** Which lookup found the roles (no result when none ran), and between which instants. */
export interface RolesLookedUp {
  from: RolesFrom;
  since?: string;
  until?: string;
  result?: RolesLookup;
}

/**
 * The organization as the loader's rules take it, from the project's organization stack: null
 * when no stack sets `cordon:organization`, undefined when its management account is not known.
 */
export function newOrganization(
  stack: { config: { managementAccount: string | null } } | undefined,
): { managementAccount: string } | null | undefined {
  if (stack === undefined) return null;
  return stack.config.managementAccount === null ? undefined : { managementAccount: stack.config.managementAccount };
}

/**
 * Why cordon cannot contain each `--root` account's root user (none: an empty list): no stack sets
 * `cordon:organization` (no SCP), or the account is the management account (no SCP restrains it).
 * Each is told with the steps only the root user can take, ready to print after `cordon new: `.
 */
export function unreachableRoots(
  roots: readonly string[],
  organization: { managementAccount: string } | null | undefined,
): string[] {
  const steps = rootUserSteps()
    .split("; ")
    .map((step) => `  ${step}\n`)
    .join("");
  return roots
    .filter((account) => organization === null || organization?.managementAccount === account)
    .map((account) => {
      const why =
        organization === null
          ? `no stack file here sets cordon:organization, so no SCP can restrain the root user of account ${account}`
          : `account ${account} is the organization's management account, which no SCP restrains`;
      return `--root ${account}: ${why}: cordon cannot contain its root user; only the root user can:\n${steps}`;
    });
}

/** With keys looked up, the credentials' account is the keys' account: anything but `--account` is refused. */
export function accountMismatch(callerAccount: string, account: string | undefined): string | undefined {
  if (account === undefined || callerAccount === account) return undefined;
  return `the AWS credentials are in account ${callerAccount}, not --account ${account}: IAM answered for the keys of account ${callerAccount}; use credentials of account ${account}, or pass --user NAME to skip the lookup\n`;
}

/** How a folder's incidents spell each principal: name, and the file that spells it so. */
export type Spellings = Map<string, { name: string; file: string }>;

/** How the incidents already in the folder spell each principal: the first file's spelling (by path), as the loader's rule takes it. */
export function spellingsOf(files: readonly SourceFile[], now: Date): Spellings {
  const spelled: Spellings = new Map();
  // Each file alone: a file that does not validate hides no other's spelling.
  for (const file of [...files].sort((a, b) => compareText(a.path, b.path))) {
    for (const incident of loadIncidents([file], { now }).incidents) {
      for (const [type, list] of [
        ["user", incident.users],
        ["role", incident.roles],
      ] as const) {
        for (const p of list) {
          const key = principalKey(p.account, type, p.name);
          if (!spelled.has(key)) spelled.set(key, { name: p.name, file: file.path });
        }
      }
    }
  }
  return spelled;
}

/**
 * What the new file adds to the folder's errors: every diagnostic of the folder with it that the
 * folder does not have without it (the folder's own problems are not the new file's to answer).
 */
export function collisionsOf(present: readonly SourceFile[], file: SourceFile, now: Date): string[] {
  const before = new Set(loadIncidents([...present], { now }).errors.map(formatDiagnostic));
  return loadIncidents([...present, file], { now })
    .errors.map(formatDiagnostic)
    .filter((line) => !before.has(line));
}

/** The roles every key's lookup found, once each, and each region that failed, once. */
export function mergedLookups(found: readonly RolesFound[]): RolesLookup {
  const roleArns = new Set<string>();
  const failed = new Map<string, RolesFound["failed"][number]>();
  for (const lookup of found) {
    for (const arn of lookup.roleArns) roleArns.add(arn);
    for (const region of lookup.failed) if (!failed.has(region.region)) failed.set(region.region, region);
  }
  return {
    kind: "found",
    roleArns: [...roleArns].sort(),
    source: found[0].source,
    failed: [...failed.values()],
    elsewhere: [],
  };
}

/** What AWS said, and what the shell knows of where the file goes. */
export interface DraftContext {
  /** The incident's account: `--account`, or the credentials'. */
  account: string;
  /** The user IAM says owns each key (only the keys IAM was asked about). */
  owners: ReadonlyMap<string, string>;
  lookedUp: RolesLookedUp;
  /** How the folder's incidents already spell each principal. */
  spelled: Spellings;
  /** The `$schema` path from the incidents folder. */
  schemaPath: string;
  now: Date;
  /**
   * What the folder's incidents keep for each user, by principal key (plan/credentials.ts,
   * `keepsToRepeat`): repeated in the new incident. @default nothing kept
   */
  kept?: ReadonlyMap<string, { keep: KeptCredentials; incidents: readonly { id: string; file: string }[] }>;
}

/**
 * The incident `new` writes, and every note to print after it (the request's, then one for each
 * principal respelt). A principal the folder already names is written as the folder spells it:
 * IAM takes both spellings for one principal, and a second spelling would make the folder invalid
 * (cordon names resources after one), so an incident spelling a user one way would fail every
 * later contain. The roles: those named, and those a lookup found, once each.
 */
export function draftIncident(request: NewRequest, context: DraftContext): { incident: NewIncident; notes: string[] } {
  const { account, owners, lookedUp, spelled } = context;
  const notes = [...request.notes];
  const respell = (type: "user" | "role", name: string) => {
    const known = spelled.get(principalKey(account, type, name));
    if (known === undefined || known.name === name) return name;
    const why = `IAM takes both for one ${type}, and cordon names its resources after one spelling`;
    const note = `${type} "${name}" is written "${known.name}", as ${known.file} spells it: ${why}`;
    if (!notes.includes(note)) notes.push(note);
    return known.name;
  };
  const found =
    lookedUp.result?.kind === "found" ? rolesFromArns(lookedUp.result.roleArns, account) : { roles: [], skipped: [] };
  const same = (a: { name: string; account?: string }, b: { name: string; account?: string }) =>
    (a.account ?? account) === (b.account ?? account) && sameIamName(a.name, b.name);
  const roles: NewIncident["roles"] = request.roleNames.map((name) => ({ name: respell("role", name) }));
  for (const role of found.roles) {
    const spelt = (role.account ?? account) === account ? { ...role, name: respell("role", role.name) } : role;
    if (!roles.some((known) => same(known, spelt))) roles.push(spelt);
  }
  const users = new Map<string, string[]>();
  for (const name of request.userNames) users.set(respell("user", name), []);
  for (const key of request.keys) {
    const owner = respell("user", owners.get(key) ?? request.userNames[0]);
    users.set(owner, [...(users.get(owner) ?? []), key]);
  }
  const incident: NewIncident = {
    id: request.id,
    title: request.title,
    account,
    cutoff: request.cutoff,
    mode: request.mode,
    users: [...users.entries()].map(([name, accessKeys]) => ({
      name,
      accessKeys,
      ...repeatedKeep(context.kept?.get(principalKey(account, "user", name)), name, accessKeys, notes),
    })),
    roles,
    rolesNote: roleNotes(lookedUp, found.skipped, request.keys),
    rootUsers: request.roots,
    writtenAt: context.now,
    schemaPath: context.schemaPath,
    ownersFromIam: [...owners.keys()],
    ...(request.ticket !== undefined ? { ticket: request.ticket } : {}),
  };
  return { incident, notes };
}

/**
 * What a user of the new incident keeps: what the folder's incidents keep for it, so that the new
 * incident takes nothing away that a reviewer kept (guard refuses a contain that would), its
 * exposed keys left out (an exposed key is never kept). Each is said in a note.
 */
function repeatedKeep(
  kept: { keep: KeptCredentials; incidents: readonly { id: string; file: string }[] } | undefined,
  user: string,
  exposed: readonly string[],
  notes: string[],
): Pick<NewUser, "keep" | "keptBy"> {
  if (kept === undefined) return {};
  const keptBy = kept.incidents.map(({ id, file }) => `${id} (${file})`);
  const by = `${kept.incidents.length === 1 ? "incident" : "incidents"} ${keptBy.join(", ")}`;
  const keep = { ...kept.keep, accessKeys: kept.keep.accessKeys.filter((id) => !exposed.includes(id)) };
  const named = [
    ...(keep.consolePassword ? ["its console password"] : []),
    ...KEPT_CREDENTIAL_FIELDS.flatMap((field) => keep[field].map((id) => `${KEPT_NOUN[field]} ${id}`)),
  ];
  if (named.length > 0)
    notes.push(
      `user "${user}" keeps ${named.join(", ")}, as ${by} ${kept.incidents.length === 1 ? "keeps" : "keep"} it: written in its keep:, so that this incident takes nothing a reviewer kept (to take it, change keep: by pull request)`,
    );
  for (const id of kept.keep.accessKeys.filter((id) => exposed.includes(id)))
    notes.push(`access key ${id} is kept by ${by}, but exposed here: an exposed key is never kept, it is set Inactive`);
  return { keep, keptBy };
}

/** What the file says above its roles about the lookup: one comment line each, without `#`. */
export function roleNotes(lookedUp: RolesLookedUp, skipped: readonly string[], keys: readonly string[]): string[] {
  const { result } = lookedUp;
  if (result === undefined) return [];
  const review = `cordon review --access-key ${keys[0] ?? "KEY"}`;
  if (result.kind === "failed") {
    return [
      `NOT LOOKED UP: the roles the key assumed were not looked up (${result.reason}). This file`,
      `is written without them, so their older sessions are not revoked yet: find them with ${review}`,
      "and add them here by pull request.",
    ];
  }
  const notes =
    lookedUp.from === "assumable"
      ? [
          `Every role of this account the user can assume, as ${result.source} allows it (cordon new --roles-from assumable).`,
        ]
      : [
          // The chain is read from before `since` too: a role assumed earlier counts while its session lives.
          `Found by cordon new: the roles the key and the sessions it minted assumed from ${lookedUp.since},`,
          `or earlier with a session still alive then, in CloudTrail as it was at ${lookedUp.until} (${result.source}; a role session lives at most ${ROLE_LOOKUP_HOURS} h)${result.roleArns.length === 0 ? ": none." : "."}`,
          ...(lookedUp.since !== undefined && lookedUp.until !== undefined
            ? lateDelivery(lookedUp.since, lookedUp.until, keys)
            : []),
        ];
  if (result.failed.length > 0)
    notes.push(
      `Not read in ${result.failed.map((f) => f.region).join(", ")}: roles assumed there are not listed (${review}).`,
    );
  for (const pattern of result.elsewhere)
    notes.push(
      `The user's policies also reach roles matching ${pattern} in other accounts, which IAM here cannot list.`,
    );
  for (const what of skipped) notes.push(`Left out: ${what}.`);
  return notes;
}

/**
 * CloudTrail delivers an event minutes after the call: a lookup up to `until` cannot say that no
 * role was assumed in the last of them. The note says so, and the review to run once they are in.
 */
function lateDelivery(since: string, until: string, keys: readonly string[]): string[] {
  const later = formatInstant(new Date((parseInstant(until) as Date).getTime() + CLOUDTRAIL_DELIVERY_MINUTES * 60_000));
  const reviews = (keys.length === 0 ? ["KEY"] : keys).map(
    (key) => `npx cordon review --access-key ${key} --since ${since}`,
  );
  return [
    `CloudTrail delivers an event minutes after the call (about 5 on average, not guaranteed): calls of the ${CLOUDTRAIL_DELIVERY_MINUTES} minutes before ${until}, and the roles they assumed, may not be in it yet.`,
    `After ${later}, run ${reviews.join(", then ")}, and add here by pull request what the review lists under "add to the incident".`,
  ];
}

/** The file would not pass the loader: nothing is written; the code and the message say which flag to change (no line to point at). */
export function invalidDraft(shown: string, errors: readonly Diagnostic[]): string {
  return `${displayValue(shown)} not written: it would be invalid:\n${errors.map((e) => `  ${e.code} ${displayValue(e.message)}\n`).join("")}`;
}

/** An incident with the id is already in the folder (`shown`, as the user would name it). */
export function alreadyExists(shown: string): string {
  return `${displayValue(shown)} already exists: new never overwrites an incident; edit that file, or choose another --id\n`;
}

/** Beside the incidents already in the folder (`folder`), the file would make it invalid. */
export function collidesWith(shown: string, folder: string, collisions: readonly string[]): string {
  return `${displayValue(shown)} not written: it collides with the incidents already in ${displayValue(folder)}:\n${collisions.map((line) => `  ${displayValue(line)}\n`).join("")}`;
}

/**
 * The warnings once the file is written: roles not looked up. (A cutoff already past the keys'
 * sessions is refused before, by newRequest: guard would refuse the file.)
 */
export function draftWarnings(lookedUp: RolesLookedUp, keys: readonly string[]): string[] {
  const warnings: string[] = [];
  if (lookedUp.result?.kind === "failed") {
    warnings.push(
      displayValue(
        `the roles the key assumed were not looked up: ${lookedUp.result.reason}; the incident is written without them: find them with cordon review --access-key ${keys[0]} and add them by pull request`,
      ),
    );
  }
  return warnings;
}

/** What `pulumi up` does to a user's other credentials: all set Inactive, but what its `keep:` repeats. */
function credentialsFate(user: NewUser): string {
  const keep = user.keep;
  if (keep === undefined)
    return `every other credential of ${user.name} set Inactive at pulumi up; its console password deleted (keep: in the file says what to keep)`;
  const ids = KEPT_CREDENTIAL_FIELDS.flatMap((field) => keep[field]);
  const kept =
    ids.length > 0 ? `, but ${ids.join(", ")}, which keep: repeats from ${(user.keptBy ?? []).join(", ")}` : "";
  const password = keep.consolePassword ? "kept (keep: repeats it)" : "deleted";
  return `every other credential of ${user.name} set Inactive at pulumi up${kept}; its console password ${password}`;
}

/** What `new` prints once the file is written: what it holds, and the steps to containment. */
export function nextSteps(
  incident: NewIncident,
  shown: string,
  lookedUp: RolesLookedUp,
  /** The account's own stack file, when it withholds the account (plan/project.ts, problemReach). */
  withheldBy?: string,
): string {
  return [...summaryLines(incident, shown, lookedUp), ...stepLines(incident, shown, withheldBy)].join("\n");
}

/** What the file holds: its account and mode, each principal, and what the roles lookup read. */
function summaryLines(incident: NewIncident, shown: string, lookedUp: RolesLookedUp): string[] {
  const fromIam = new Set(incident.ownersFromIam);
  const lines = [
    `wrote ${shown} (cutoff: ${incident.cutoff})`,
    `  account ${incident.account} · mode ${incident.mode}`,
  ];
  for (const user of incident.users) {
    const keys = user.accessKeys.map((key) => `${key}${fromIam.has(key) ? " (owner from IAM)" : ""}`);
    lines.push(`  user ${user.name}${keys.length > 0 ? `: ${keys.join(", ")}` : ""}`);
    lines.push(`    ${credentialsFate(user)}`);
  }
  for (const role of incident.roles)
    lines.push(
      `  role ${role.name}${role.account !== undefined && role.account !== incident.account ? ` (account ${role.account})` : ""}`,
    );
  if (lookedUp.result !== undefined) lines.push(lookupLine(lookedUp.result));
  for (const account of incident.rootUsers ?? [])
    lines.push(`  root user of account ${account} (the organization's SCP)`);
  return lines;
}

/** What the roles lookup read, or why it did not. */
function lookupLine(result: RolesLookup): string {
  if (result.kind === "failed") return `  roles NOT looked up: ${result.reason}`;
  const found = result.roleArns.length === 0 ? "none assumed" : `${result.roleArns.length} found`;
  const unread = result.failed.length > 0 ? `; not read in ${result.failed.map((f) => f.region).join(", ")}` : "";
  return `  roles looked up in ${result.source}: ${found}${unread}`;
}

/** The steps from the file to containment, and what reviewers check. */
function stepLines(incident: NewIncident, shown: string, withheldBy: string | undefined): string[] {
  // A withheld account's stack is not deployed: merging applies nothing there, so no promise.
  const merge =
    withheldBy === undefined
      ? `  4. merge: pulumi up disables the keys${incident.cutoff === AT_CONTAINMENT ? " and records the containment instant as the cutoff" : ""}`
      : `  4. merge, and fix ${withheldBy}: until then nothing is applied in account ${incident.account}, and no key is disabled by pulumi up`;
  return [
    "",
    "next:",
    `  1. commit it on a branch: git switch -c incident/${incident.id} && git add ${shown} && git commit -m "incident ${incident.id}"`,
    "  2. open a pull request: CI runs validate, guard and pulumi preview, and comments the preview",
    "  3. reviewers (CODEOWNERS) check:",
    "     - the principals: every user and role the exposed key could act as (cordon assess)",
    "     - the keys: each exposed key id, under the user that owns it",
    `     - the mode: ${incident.mode}${incident.mode === "deny-all" ? " (every request of these principals is denied)" : " (or deny-all, to stop these principals entirely)"}`,
    `     - the account: ${incident.account}`,
    "     - the preview: each key Active -> Inactive, a deny policy on each principal",
    merge,
    "  5. later: cordon status says when the file can be removed",
    "",
  ];
}
