import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { displaySafe, displayValue } from "../incident/display.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { staleCutoff } from "../incident/expiry.ts";
import { loadIncidents, maskSecrets } from "../incident/load.ts";
import { readIncidentSources } from "../incident/read.ts";
import { impossibleInstant, parseInstant, formatInstant, HOUR_MS } from "../incident/time.ts";
import { ROLE_CREDENTIAL_LIFETIME_MS } from "../incident/expiry.ts";
import { readProject } from "../cli/project.ts";
import { AT_CONTAINMENT, type Mode } from "../incident/types.ts";
import { awsLookup, LookupError, lookupFailure, type Lookup, type RolesLookup } from "../aws/lookup.ts";
import { lookupAssumedRoles } from "../review/lookup/assumed-roles.ts";
import {
  ACCESS_KEY_ID,
  accessKeyFlagProblem,
  ACCOUNT_ID,
  accountFlagProblem,
  cutoffFlagProblem,
  IAM_NAME,
  impossibleInstantFlagProblem,
  INSTANT,
  staleCutoffProblem,
  iamNameFlagProblem,
  INCIDENT_ID,
  incidentIdFlagProblem,
  MODES,
  fitOneLine,
  modeFlagProblem,
  principalKey,
  rootUserSteps,
  sameIamName,
  TICKET_MAX_LENGTH,
  TITLE_MAX_LENGTH,
} from "../incident/fields.ts";
import { compareText } from "../incident/order.ts";
import { defaultIncidentId, incidentTemplate, rolesFromArns, type NewIncident } from "../incident/template.ts";
import { parseFlags, parseInstantFlag, type Command } from "../cli/command.ts";
import { projectIncidentsDir } from "../cli/project.ts";
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError, type Io } from "../cli/io.ts";

/** How far back `new` looks for roles the key assumed: a role session lives at most 12 h. */
export const ROLE_LOOKUP_HOURS = ROLE_CREDENTIAL_LIFETIME_MS / HOUR_MS;
/** How long the CloudTrail lookup of `new` may take by default: the contain workflow waits for it. */
export const DEFAULT_LOOKUP_SECONDS = 20;

const usage = `usage: npx cordon new --title TEXT [--access-key ID]... [--user NAME]...
                                       [--role NAME]... [--account ID] [--mode MODE] [--id ID]
                                       [--cutoff at-containment|ISO] [--ticket TEXT] [--dir DIR]
                                       [--roles-from cloudtrail|assumable|none] [--lookup-seconds N]
                                       [--root ACCOUNT]... [--now ISO]

Writes DIR/<id>.yaml, a new incident file that explains each of its fields, and prints the next
steps. It never overwrites a file. With AWS credentials, --access-key alone is enough: the
owning user comes from IAM (GetAccessKeyLastUsed) and the account from STS (GetCallerIdentity),
and the roles the key and every session it minted assumed in the last ${ROLE_LOOKUP_HOURS} hours from
CloudTrail (LookupEvents, every region), added to revoke their older sessions, with the account
of each role in another account. A lookup that fails, is refused or runs out of time never stops
the file: it is written without those roles, and says so.

options:
  --title TEXT          what happened, in one line (required; with --access-key, blank is
                        "Exposed access key ID")
  --access-key ID       an exposed access key id (AKIA...); repeatable
  --user NAME           the user owning the keys; without it, IAM says who owns each key; repeatable
  --role NAME           a role the exposed key could assume; repeatable
  --account ID          the 12-digit account (default: the account of the AWS credentials)
  --mode MODE           revoke-older-sessions (default) or deny-all
  --id ID               the incident id (default: <UTC date>-<slug of the title>)
  --cutoff VALUE        at-containment (default) or an RFC 3339 instant with offset
  --ticket TEXT         the tracking ticket, such as SEC-1234 (default: none)

A title over 200 characters or a ticket over 100 is shortened, several lines are joined, and a
value shaped like a secret access key is masked, each with a note: once new knows the key, what
was typed never stops the incident being written.
  --dir DIR             the incidents folder (default: the project's incidents/, the folder of
                        Pulumi.yaml found from any of its subfolders)
  --roles-from SOURCE   cloudtrail: the roles the key and its sessions assumed (the default when
                        IAM is asked for the key's user); assumable: every role of the account the
                        user can assume (what assess finds); none: no role looked up (the default
                        with --user)
  --lookup-seconds N    how long the CloudTrail lookup may take, 1 to 300 (default: ${DEFAULT_LOOKUP_SECONDS})
  --root ACCOUNT        the root user of a member account: the organization's SCP denies it every
                        action (only where a stack sets cordon:organization, and not for the
                        management account: there, only the root user can act; new says how)
  --now ISO             the current instant (default: now), for the id's date and the checks
  -h, --help            this text

AWS permissions: iam:GetAccessKeyLastUsed, sts:GetCallerIdentity (only when IAM is asked);
cloudtrail:LookupEvents with --roles-from cloudtrail; what assess reads with --roles-from assumable.

exit: 0 written, 1 the file exists or IAM does not know the key, 2 usage error or AWS could not be asked`;

export const newCommand: Command = {
  name: "new",
  summary: "write a new incident file from flags (and IAM, for --access-key alone)",
  usage,
  async run(argv, io) {
    return runNew(argv, io, { ...awsLookup(io.env), assumedRoles: lookupAssumedRoles });
  },
};

/** `new` with the AWS lookups passed in, so that a test can count what it calls. */
export async function runNew(argv: string[], io: Io, lookup: Lookup): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    title: { type: "string" },
    "access-key": { type: "string", multiple: true },
    user: { type: "string", multiple: true },
    role: { type: "string", multiple: true },
    account: { type: "string" },
    mode: { type: "string" },
    id: { type: "string" },
    cutoff: { type: "string" },
    ticket: { type: "string" },
    dir: { type: "string" },
    "roles-from": { type: "string" },
    "lookup-seconds": { type: "string" },
    root: { type: "string", multiple: true },
    now: { type: "string" },
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}": every value is given with a flag`);
  const now = parseInstantFlag("now", values.now) ?? new Date();
  const keys = unique((values["access-key"] ?? []).map(checkAccessKey));
  // What is said along the way, printed once the file is written: text made to fit, principals respelt.
  const notes: string[] = [];
  const title = titleOf(values.title, keys, notes);
  const mode = checkMode(values.mode);
  const id = values.id ?? defaultIncidentId(title, now);
  if (!INCIDENT_ID.test(id)) throw new UsageError(incidentIdFlagProblem(id));
  const cutoff = checkCutoff(values.cutoff);
  const ticket = ticketOf(values.ticket, notes);
  if (values.account !== undefined && !ACCOUNT_ID.test(values.account))
    throw new UsageError(accountFlagProblem(values.account));
  const userNames = unique((values.user ?? []).map((name) => checkName("user", name)));
  const roleNames = unique((values.role ?? []).map((name) => checkName("role", name)));
  const roots = unique(
    (values.root ?? []).map((account) => {
      if (!ACCOUNT_ID.test(account)) throw new UsageError(accountFlagProblem(account).replace("--account", "--root"));
      return account;
    }),
  );
  if (keys.length + userNames.length + roleNames.length + roots.length === 0) {
    throw new UsageError(
      "name at least one principal: --access-key ID (IAM finds its user), --user NAME, --role NAME or --root ACCOUNT",
    );
  }
  const lookupSeconds = checkLookupSeconds(values["lookup-seconds"]);
  const askIamFirst = keys.length > 0 && userNames.length !== 1;
  const rolesFrom = checkRolesFrom(values["roles-from"], askIamFirst ? "cloudtrail" : "none");
  if (rolesFrom === "cloudtrail" && keys.length === 0)
    throw new UsageError("--roles-from cloudtrail: looks up what an access key did: give --access-key ID");
  if (rolesFrom === "assumable" && keys.length + userNames.length === 0)
    throw new UsageError(
      "--roles-from assumable: looks up what a user can assume: give --access-key ID or --user NAME",
    );
  const project = readProject(io.cwd).organization;
  const organization =
    project === undefined
      ? null
      : project.config.managementAccount === null
        ? undefined
        : { managementAccount: project.config.managementAccount };
  const unreachable = roots.filter(
    (account) => organization === null || (organization !== undefined && organization.managementAccount === account),
  );
  if (unreachable.length > 0) {
    for (const account of unreachable) {
      const why =
        organization === null
          ? `no stack file here sets cordon:organization, so no SCP can restrain the root user of account ${account}`
          : `account ${account} is the organization's management account, which no SCP restrains`;
      io.err(
        `cordon new: --root ${account}: ${why}: cordon cannot contain its root user; only the root user can:\n${rootUserSteps()
          .split("; ")
          .map((step) => `  ${step}\n`)
          .join("")}`,
      );
    }
    return EXIT_INVALID;
  }

  // One --user owns every --access-key given with it; otherwise IAM says who owns each key.
  const owners = new Map<string, string>();
  let account = values.account;
  const askIam = keys.length > 0 && userNames.length !== 1;
  try {
    // Asked at once, each call bounded (aws/clients.ts, REQUEST_LIMITS): the contain workflow waits
    // for them. A failure is told in the order asked: the keys first, then the account.
    const askAccount = account === undefined || askIam;
    const answers = await Promise.allSettled([
      ...(askIam ? keys : []).map((key) => lookup.keyOwner(key)),
      ...(askAccount ? [lookup.account()] : []),
    ]);
    const refused = answers.find((answer) => answer.status === "rejected");
    if (refused !== undefined) throw refused.reason;
    const answered = answers.map((answer) => (answer as PromiseFulfilledResult<string>).value);
    if (askIam) keys.forEach((key, i) => owners.set(key, answered[i]));
    // With keys looked up, the credentials' account is the keys' account: it must be --account.
    if (askAccount) {
      const callerAccount = answered[answered.length - 1];
      if (account !== undefined && callerAccount !== account) {
        io.err(
          `cordon new: the AWS credentials are in account ${callerAccount}, not --account ${account}: IAM answered for the keys of account ${callerAccount}; use credentials of account ${account}, or pass --user NAME to skip the lookup\n`,
        );
        return EXIT_INVALID;
      }
      account = callerAccount;
    }
  } catch (error) {
    if (!(error instanceof LookupError)) throw error;
    const { message, exit } = lookupFailure(error.problem);
    io.err(`cordon new: ${displayValue(message)}\n`);
    return exit;
  }
  if (account === undefined) throw new UsageError("--account is required"); // unreachable: the lookup sets it

  // Where the project's incidents are, from any subfolder; --dir as given, from where new runs.
  const dir = resolve(io.cwd, values.dir ?? projectIncidentsDir(io.cwd, "name the folder with --dir"));

  // A principal the folder already names is written as the folder spells it: IAM takes both
  // spellings for one principal, and a second spelling would make the folder invalid (cordon names
  // resources after one), so an incident spelling a user one way would fail every later contain.
  const spelled = spellingsIn(dir, io.cwd, now);
  const respell = (type: "user" | "role", name: string) => {
    const known = spelled.get(principalKey(account, type, name));
    if (known === undefined || known.name === name) return name;
    const why = `IAM takes both for one ${type}, and cordon names its resources after one spelling`;
    notes.push(`${type} "${name}" is written "${known.name}", as ${known.file} spells it: ${why}`);
    return known.name;
  };

  // The roles to revoke: those named, and those a lookup finds; a lookup never stops the file.
  const lookedUp = await lookUpRoles(rolesFrom, {
    lookup,
    keys,
    user: userNames[0] ?? owners.get(keys[0]),
    account,
    now,
    lookupSeconds,
  });
  const found =
    lookedUp.result?.kind === "found" ? rolesFromArns(lookedUp.result.roleArns, account) : { roles: [], skipped: [] };
  const named = roleNames.map((name) => ({ name: respell("role", name) }));
  const same = (a: { name: string; account?: string }, b: { name: string; account?: string }) =>
    (a.account ?? account) === (b.account ?? account) && sameIamName(a.name, b.name);
  const roles = [...named];
  for (const role of found.roles) {
    const spelt = (role.account ?? account) === account ? { ...role, name: respell("role", role.name) } : role;
    if (!roles.some((known) => same(known, spelt))) roles.push(spelt);
  }
  const rolesNote = roleNotes(lookedUp, found.skipped, keys);
  const users = new Map<string, string[]>();
  for (const name of userNames) users.set(respell("user", name), []);
  for (const key of keys) {
    const owner = respell("user", owners.get(key) ?? userNames[0]);
    users.set(owner, [...(users.get(owner) ?? []), key]);
  }
  const file = join(dir, `${id}.yaml`);
  const shown = relative(io.cwd, file) || file;
  const incident: NewIncident = {
    id,
    title,
    account,
    cutoff,
    mode,
    users: [...users.entries()].map(([name, accessKeys]) => ({ name, accessKeys })),
    roles,
    rolesNote,
    rootUsers: roots,
    writtenAt: now,
    schemaPath: schemaPathFrom(dir),
    ownersFromIam: [...owners.keys()],
    ...(ticket !== undefined ? { ticket } : {}),
  };
  const text = incidentTemplate(incident);

  // The loader is the judge of a valid file: what `new` writes must pass it, or nothing is written.
  const loaded = loadIncidents([{ path: shown, text }], { now, organization });
  if (loaded.errors.length > 0) {
    // No file exists to point a line at: the code and the message say which flag to change.
    io.err(
      `cordon new: ${displayValue(shown)} not written: it would be invalid:\n${loaded.errors.map((e) => `  ${e.code} ${displayValue(e.message)}\n`).join("")}`,
    );
    return EXIT_USAGE;
  }

  const existing = findIncidentFile(dir, id);
  if (existing !== undefined) {
    io.err(
      `cordon new: ${displayValue(relative(io.cwd, existing) || existing)} already exists: new never overwrites an incident; edit that file, or choose another --id\n`,
    );
    return EXIT_INVALID;
  }
  // Valid alone is not enough: beside the incidents already there, the folder must stay valid
  // (an id used by another file, a principal spelled another way, a key under another user or
  // account), or the next pulumi up would refuse every incident. Checked before writing.
  const collisions = collisionsWith(dir, { path: shown, text }, io.cwd, now);
  if (collisions.length > 0) {
    io.err(
      `cordon new: ${displayValue(shown)} not written: it collides with the incidents already in ${displayValue(relative(io.cwd, dir) || dir)}:\n${collisions.map((line) => `  ${displayValue(line)}\n`).join("")}`,
    );
    return EXIT_INVALID;
  }
  mkdirSync(dir, { recursive: true });
  try {
    // "wx": fails if the file appeared since the check above, rather than overwrite it.
    writeFileSync(file, text, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      io.err(
        `cordon new: ${displayValue(shown)} already exists: new never overwrites an incident; edit that file, or choose another --id\n`,
      );
      return EXIT_INVALID;
    }
    throw error;
  }
  // The user's name may come from IAM, the path from the folder: shown escaped.
  io.out(displaySafe(nextSteps(incident, shown, lookedUp)));
  for (const note of notes) io.err(`cordon new: note: ${displayValue(note)}\n`);
  if (lookedUp.result?.kind === "failed") {
    io.err(
      `cordon new: warning: ${displayValue(`the roles the key assumed were not looked up: ${lookedUp.result.reason}; the incident is written without them: find them with cordon review --access-key ${keys[0]} and add them by pull request`)}\n`,
    );
  }
  const stale = staleCutoff({ cutoff, users: incident.users }, now);
  if (stale !== undefined) io.err(`cordon new: warning: ${staleCutoffProblem(stale)}\n`);
  return EXIT_OK;
}

/**
 * What the new file adds to the folder's errors: every diagnostic of the folder with it that the
 * folder does not have without it (the folder's own problems are not the new file's to answer).
 */
function collisionsWith(dir: string, file: { path: string; text: string }, cwd: string, now: Date): string[] {
  if (!existsSync(dir)) return [];
  const present = readIncidentSources([dir], cwd).files;
  const before = new Set(loadIncidents(present, { now }).errors.map(formatDiagnostic));
  return loadIncidents([...present, file], { now })
    .errors.map(formatDiagnostic)
    .filter((line) => !before.has(line));
}

/** How the incidents already in the folder spell each principal: the first file's spelling (by path), as the loader's rule takes it. */
function spellingsIn(dir: string, cwd: string, now: Date): Map<string, { name: string; file: string }> {
  const spelled = new Map<string, { name: string; file: string }>();
  if (!existsSync(dir)) return spelled;
  // Each file alone: a file that does not validate hides no other's spelling.
  for (const file of readIncidentSources([dir], cwd).files.sort((a, b) => compareText(a.path, b.path))) {
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

function nextSteps(incident: NewIncident, shown: string, lookedUp: RolesLookedUp): string {
  const fromIam = new Set(incident.ownersFromIam);
  const lines = [
    `wrote ${shown} (cutoff: ${incident.cutoff})`,
    `  account ${incident.account} · mode ${incident.mode}`,
  ];
  for (const user of incident.users) {
    const keys = user.accessKeys.map((key) => `${key}${fromIam.has(key) ? " (owner from IAM)" : ""}`);
    lines.push(`  user ${user.name}${keys.length > 0 ? `: ${keys.join(", ")}` : ""}`);
    lines.push(
      `    every other credential of ${user.name} set Inactive at pulumi up; its console password deleted (keep: in the file says what to keep)`,
    );
  }
  for (const role of incident.roles)
    lines.push(
      `  role ${role.name}${role.account !== undefined && role.account !== incident.account ? ` (account ${role.account})` : ""}`,
    );
  if (lookedUp.result !== undefined) {
    lines.push(
      lookedUp.result.kind === "found"
        ? `  roles looked up in ${lookedUp.result.source}: ${lookedUp.result.roleArns.length === 0 ? "none assumed" : `${lookedUp.result.roleArns.length} found`}${lookedUp.result.failed.length > 0 ? `; not read in ${lookedUp.result.failed.map((f) => f.region).join(", ")}` : ""}`
        : `  roles NOT looked up: ${lookedUp.result.reason}`,
    );
  }
  for (const account of incident.rootUsers ?? [])
    lines.push(`  root user of account ${account} (the organization's SCP)`);
  lines.push(
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
    `  4. merge: pulumi up disables the keys${incident.cutoff === AT_CONTAINMENT ? " and records the containment instant as the cutoff" : ""}`,
    "  5. later: cordon status says when the file can be removed",
    "",
  );
  return lines.join("\n");
}

/**
 * A text flag as its field takes it: a value shaped like a secret access key masked (it would make
 * the file invalid, and a secret must never be committed), then made to fit one line of `max`
 * characters (fields.ts); the notes say what was changed. Once new knows the key, nothing a
 * dispatcher typed may stop the incident being written.
 */
function textFlag(flag: string, value: string, max: number, notes: string[]): string {
  const masked = maskSecrets(value);
  if (masked !== value) {
    notes.push(
      `${flag} held what looks like a secret access key: written as "(secret not shown)"; treat that key as exposed`,
    );
  }
  const fitted = fitOneLine(flag, masked, max);
  notes.push(...fitted.notes);
  return fitted.text;
}

/** Which lookup found the roles (undefined when none ran), and between which instants. */
interface RolesLookedUp {
  from: "cloudtrail" | "assumable" | "none";
  since?: string;
  until?: string;
  result?: RolesLookup;
}

async function lookUpRoles(
  from: "cloudtrail" | "assumable" | "none",
  {
    lookup,
    keys,
    user,
    account,
    now,
    lookupSeconds,
  }: { lookup: Lookup; keys: string[]; user: string | undefined; account: string; now: Date; lookupSeconds: number },
): Promise<RolesLookedUp> {
  if (from === "none") return { from };
  if (from === "assumable") return { from, result: await lookup.assumableRoles(user as string, account) };
  const since = new Date(now.getTime() - ROLE_LOOKUP_HOURS * HOUR_MS);
  const deadline = Date.now() + lookupSeconds * 1000;
  // Every key of the incident: the sessions of each were minted with the same exposure.
  const results = await Promise.all(keys.map((key) => lookup.assumedRoles(key, since, now, deadline)));
  const failed = results.find((r) => r.kind === "failed");
  const result: RolesLookup = failed ?? mergedLookups(results as Extract<RolesLookup, { kind: "found" }>[]);
  return { from, since: formatInstant(since), until: formatInstant(now), result };
}

/** The roles every key's lookup found, once each, and each region that failed, once. */
function mergedLookups(found: Extract<RolesLookup, { kind: "found" }>[]): RolesLookup {
  const roleArns = new Set<string>();
  const failed = new Map<string, (typeof found)[number]["failed"][number]>();
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

/** What the file says above its roles about the lookup: one comment line each, without `#`. */
function roleNotes(lookedUp: RolesLookedUp, skipped: string[], keys: string[]): string[] {
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
          `Found by cordon new: the roles the key and the sessions it minted assumed from ${lookedUp.since} to ${lookedUp.until}`,
          `(${result.source}; a role session lives at most ${ROLE_LOOKUP_HOURS} h)${result.roleArns.length === 0 ? ": none." : "."}`,
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

function checkRolesFrom(
  value: string | undefined,
  fallback: "cloudtrail" | "none",
): "cloudtrail" | "assumable" | "none" {
  if (value === undefined) return fallback;
  if (value === "cloudtrail" || value === "assumable" || value === "none") return value;
  throw new UsageError(
    `--roles-from "${value}": expected cloudtrail (the roles the key assumed), assumable (every role the user can assume) or none`,
  );
}

function checkLookupSeconds(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LOOKUP_SECONDS;
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 300)
    throw new UsageError(`--lookup-seconds "${value}": expected a whole number of seconds from 1 to 300`);
  return Number(value);
}

/** `--title`, made to fit; blank with keys given, what the contain workflow writes by default. */
function titleOf(title: string | undefined, keys: string[], notes: string[]): string {
  if (title === undefined)
    throw new UsageError('--title is required: what happened, in one line, such as --title "CI key in public repo"');
  const text = textFlag("--title", title, TITLE_MAX_LENGTH, notes);
  if (text !== "") return text;
  if (keys.length === 0) {
    throw new UsageError(
      '--title: found no text, expected what happened, in one line, such as --title "CI key in public repo"',
    );
  }
  const fallback = textFlag("--title", `Exposed access key ${keys.join(", ")}`, TITLE_MAX_LENGTH, []);
  notes.push(`--title was blank: written "${fallback}"`);
  return fallback;
}

/** `--ticket`, made to fit; blank, no ticket. */
function ticketOf(ticket: string | undefined, notes: string[]): string | undefined {
  if (ticket === undefined) return undefined;
  const text = textFlag("--ticket", ticket, TICKET_MAX_LENGTH, notes);
  if (text !== "") return text;
  notes.push("--ticket was blank: no ticket written");
  return undefined;
}

function checkMode(mode: string | undefined): Mode {
  if (mode === undefined) return MODES[0];
  if (!(MODES as string[]).includes(mode)) throw new UsageError(modeFlagProblem(mode));
  return mode as Mode;
}

function checkCutoff(cutoff: string | undefined): string {
  if (cutoff === undefined || cutoff === AT_CONTAINMENT) return AT_CONTAINMENT;
  const why = INSTANT.test(cutoff) ? impossibleInstant(cutoff) : undefined;
  if (why !== undefined) throw new UsageError(impossibleInstantFlagProblem("cutoff", cutoff, why));
  const instant = parseInstant(cutoff);
  if (!instant) throw new UsageError(cutoffFlagProblem(cutoff));
  return formatInstant(instant);
}

function checkAccessKey(key: string): string {
  if (!ACCESS_KEY_ID.test(key)) throw new UsageError(accessKeyFlagProblem(key));
  return key;
}

function checkName(kind: "user" | "role", name: string): string {
  if (!IAM_NAME.test(name)) throw new UsageError(iamNameFlagProblem(kind, name));
  return name;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** The schema as seen from the incidents folder: found upwards, so editors complete the fields. */
function schemaPathFrom(dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, "schema", "incident.schema.json");
    if (existsSync(candidate)) return relative(dir, candidate).split(sep).join("/");
    if (dirname(at) === at) return "../schema/incident.schema.json";
  }
}

/** An incident with this id anywhere under the folder (`.yaml` or `.yml`, any sub-folder). */
function findIncidentFile(dir: string, id: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const names = new Set([`${id}.yaml`, `${id}.yml`]);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && names.has(entry.name))
      return join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
  }
  return undefined;
}
