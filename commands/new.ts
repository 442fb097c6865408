import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { awsLookup, LookupError, lookupFailure, type Lookup } from "../aws/lookup.ts";
import { listFlags, parseFlags, parseInstantFlag, stringFlags, type Command } from "../cli/command.ts";
import { CannotRunError, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError, type Io } from "../cli/io.ts";
import { accountIncidentsDir, readProject, stackFoldersOf, unreadSharesProblems } from "../cli/project.ts";
import { displaySafe, displayValue } from "../incident/display.ts";
import { loadIncidents } from "../incident/load.ts";
import type { SourceFile } from "../incident/types.ts";
import {
  accountMismatch,
  alreadyExists,
  collidesWith,
  collisionsOf,
  draftIncident,
  draftWarnings,
  invalidDraft,
  mergedLookups,
  newOrganization,
  nextSteps,
  type RolesFound,
  type RolesLookedUp,
  spellingsOf,
  unreachableRoots,
} from "../incident/new-draft.ts";
import { DEFAULT_LOOKUP_SECONDS, type NewRequest, newRequest, ROLE_LOOKUP_HOURS } from "../incident/new-request.ts";
import { readFailure, readIncidentSources } from "../incident/read.ts";
import { formatInstant, HOUR_MS } from "../incident/time.ts";
import { keepsToRepeat } from "../plan/credentials.ts";
import { accountFolders, problemReach, type Project, stackReads } from "../plan/project.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { incidentTemplate } from "../incident/template.ts";
import { lookupAssumedRoles } from "../review/lookup/assumed-roles.ts";

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
  --dir DIR             the incidents folder (default: the folder the stack of the account reads,
                        its cordon:incidentsDir, or the project's incidents/, in the folder of
                        Pulumi.yaml found from any of its subfolders); in a project, only a folder
                        that stack reads (another is refused: pulumi up would never apply the
                        file); outside any project, any folder
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

A title over 200 characters or a ticket over 100 is shortened, several lines are joined, and a
value shaped like a secret access key is masked, each with a note: once new knows the key, what
was typed never stops the incident being written.

AWS permissions: iam:GetAccessKeyLastUsed, sts:GetCallerIdentity (only when IAM is asked);
cloudtrail:LookupEvents with --roles-from cloudtrail; what assess reads with --roles-from assumable.

exit: 0 written, 1 the file exists or IAM does not know the key, 2 usage error or AWS could not be asked`;

export const newCommand: Command = {
  name: "new",
  usage,
  async run(argv, io) {
    return runNew(argv, io, { ...awsLookup(io.env), assumedRoles: lookupAssumedRoles });
  },
};

/** The flags of `new`, as parseFlags reads them. */
const FLAGS = {
  ...stringFlags("title"),
  ...listFlags("access-key", "user", "role"),
  ...stringFlags("account", "mode", "id", "cutoff", "ticket", "dir", "roles-from", "lookup-seconds"),
  ...listFlags("root"),
  ...stringFlags("now"),
};

/**
 * `new` with the AWS lookups passed in, so that a test can count what it calls. The shell: it
 * parses the flags, reads the project, asks AWS, reads the folder and writes the file; what the
 * file says, and every refusal, is decided by incident/new-request.ts and incident/new-draft.ts.
 */
export async function runNew(argv: string[], io: Io, lookup: Lookup): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}": every value is given with a flag`);
  const now = parseInstantFlag("now", values.now) ?? new Date();
  const request = newRequest(values, now);
  if ("usage" in request) throw new UsageError(request.usage);
  const project = readProject(io.cwd);
  const organization = newOrganization(project.organization);
  const unreachable = unreachableRoots(request.roots, organization);
  if (unreachable.length > 0) {
    for (const why of unreachable) io.err(`cordon new: ${why}`);
    return EXIT_INVALID;
  }
  const asked = await askAws(request, lookup);
  if ("refusal" in asked) {
    io.err(`cordon new: ${asked.refusal}`);
    return asked.exit;
  }
  const { account, owners } = asked;

  // The folder the account's stack reads (found from any subfolder), so that its pulumi up applies
  // the file; --dir as given, from where new runs.
  const dir = resolve(io.cwd, values.dir ?? accountIncidentsDir(io.cwd, account, "name the folder with --dir"));
  const folder = {
    dir,
    named: `${values.dir === undefined ? "the incidents folder" : "--dir"} ${relative(io.cwd, dir) || dir}`,
  };
  // A file no pulumi up applies (--dir misspelt, or naming a folder of code) is not written: its
  // next steps would promise a containment that never happens.
  const unread = unreadFolder(project, io.cwd, join(dir, `${request.id}.yaml`), account);
  if (unread !== undefined) {
    io.err(`cordon new: ${displayValue(unread)}\n`);
    return EXIT_USAGE;
  }
  const present = folderFiles(folder, io.cwd);
  const spelled = spellingsOf(present, now);
  // What main's incidents keep for each user: the new incident repeats it (a contain must not take
  // away what a reviewer kept). A folder that does not validate keeps nothing the program would apply.
  const kept = keepsToRepeat(loadIncidents(present, { now, organization }).incidents);
  // The roles to revoke: those named, and those a lookup finds; a lookup never stops the file.
  const user = request.userNames[0] ?? owners.get(request.keys[0]);
  const lookedUp = await lookUpRoles(request, lookup, { user, account, now });
  const file = join(dir, `${request.id}.yaml`);
  const shown = relative(io.cwd, file) || file;
  const context = { account, owners, lookedUp, spelled, schemaPath: schemaPathFrom(dir), now, kept };
  const { incident, notes } = draftIncident(request, context);
  const text = incidentTemplate(incident);
  const refused = writeIncident({ folder, id: request.id, file, shown, text }, io, now, organization);
  if (refused !== undefined) return refused;

  // The account's own stack file cannot be read (plan/project.ts, problemReach): the account is
  // withheld, so apply.yml and contain.yml deploy nothing there until the file is fixed; said,
  // never a silent promise. The folder its stack reads once fixed may not be this one.
  const withheld = project.problems.filter((problem) => {
    const reach = problemReach(problem, project.stackPrefix);
    return reach.kind === "stack" && reach.account === account;
  });
  const withheldBy = withheld[0] === undefined ? undefined : relative(io.cwd, withheld[0].file) || withheld[0].file;
  // The user's name may come from IAM, the path from the folder: shown escaped.
  io.out(displaySafe(nextSteps(incident, shown, lookedUp, withheldBy)));
  for (const problem of withheld) io.err(`cordon new: warning: ${displayValue(formatDiagnostic(problem))}\n`);
  if (withheldBy !== undefined)
    io.err(
      `cordon new: warning: account ${account} is withheld: its stack file ${displayValue(withheldBy)} cannot be read, so nothing is applied for that account until it is fixed (and its stack may then read another folder than ${displayValue(relative(io.cwd, dir) || ".")}/)\n`,
    );
  for (const note of notes) io.err(`cordon new: note: ${displayValue(note)}\n`);
  for (const warning of draftWarnings(lookedUp, request.keys)) io.err(`cordon new: warning: ${warning}\n`);
  // A share whose stack reads another folder (--dir elsewhere, a role in another account): said.
  const written = loadIncidents([{ path: shown, text }], { now, organization }).incidents;
  for (const { message } of unreadSharesProblems(written, project, io.cwd))
    io.err(`cordon new: warning: ${displayValue(message)}\n`);
  return EXIT_OK;
}

/**
 * Who owns each key (IAM, when asked) and the account of the credentials (STS, when no --account
 * or the keys are looked up); or what to print and the exit code when AWS refuses or disagrees.
 */
async function askAws(
  request: NewRequest,
  lookup: Lookup,
): Promise<{ account: string; owners: Map<string, string> } | { refusal: string; exit: number }> {
  // One --user owns every --access-key given with it; otherwise IAM says who owns each key.
  const owners = new Map<string, string>();
  const { askIam, keys } = request;
  let account = request.account;
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
    if (askAccount) {
      const callerAccount = answered[answered.length - 1];
      const mismatch = accountMismatch(callerAccount, account);
      if (mismatch !== undefined) return { refusal: mismatch, exit: EXIT_INVALID };
      account = callerAccount;
    }
  } catch (error) {
    if (!(error instanceof LookupError)) throw error;
    const { message, exit } = lookupFailure(error.problem);
    return { refusal: `${displayValue(message)}\n`, exit };
  }
  if (account === undefined) throw new UsageError("--account is required"); // unreachable: the lookup sets it
  return { account, owners };
}

/**
 * Writes the file, unless it would be invalid, an incident with its id exists, or it would make
 * the folder invalid; then says why and gives the exit code. Nothing is written on a refusal.
 */
function writeIncident(
  { folder, id, file, shown, text }: { folder: Folder; id: string; file: string; shown: string; text: string },
  io: Io,
  now: Date,
  organization: ReturnType<typeof newOrganization>,
): number | undefined {
  // The loader is the judge of a valid file: what `new` writes must pass it, or nothing is written.
  const loaded = loadIncidents([{ path: shown, text }], { now, organization });
  if (loaded.errors.length > 0) {
    io.err(`cordon new: ${invalidDraft(shown, loaded.errors)}`);
    return EXIT_USAGE;
  }
  const { dir } = folder;
  const existing = findIncidentFile(dir, id);
  if (existing !== undefined) {
    io.err(`cordon new: ${alreadyExists(relative(io.cwd, existing) || existing)}`);
    return EXIT_INVALID;
  }
  // Valid alone is not enough: beside the incidents already there, the folder must stay valid
  // (an id used by another file, a principal spelled another way, a key under another user or
  // account), or the next pulumi up would refuse every incident. Checked before writing.
  const collisions = existsSync(dir) ? collisionsOf(folderFiles(folder, io.cwd), { path: shown, text }, now) : [];
  if (collisions.length > 0) {
    io.err(`cordon new: ${collidesWith(shown, relative(io.cwd, dir) || dir, collisions)}`);
    return EXIT_INVALID;
  }
  try {
    mkdirSync(dir, { recursive: true });
    // "wx": fails if the file appeared since the check above, rather than overwrite it.
    writeFileSync(file, text, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST")
      throw new CannotRunError(`${folder.named}: cannot write ${shown} there: ${readFailure(error)}`);
    io.err(`cordon new: ${alreadyExists(shown)}`);
    return EXIT_INVALID;
  }
  return undefined;
}

/**
 * Why the stack of `account` would never read `file` (absolute), by stackReads: the folder is read
 * by no stack of the project, or by others but not that account's. Undefined when it reads it, and
 * outside any project, where no stack says which folder is read: --dir is taken as given.
 */
function unreadFolder(project: Project & { dir?: string }, cwd: string, file: string, account: string) {
  const read = stackFoldersOf(project, cwd);
  const root = project.dir;
  if (read === undefined || root === undefined) return undefined;
  const path = read.pathOf({ file });
  if (stackReads(read.folders, account, path)) return undefined;
  const shown = (dir: string) => `${relative(cwd, dir) || "."}/`;
  const reads = accountFolders(read.folders, account)
    .map((dir) => shown(join(root, dir)))
    .join(" and ");
  const folder = shown(dirname(file));
  const why =
    path === undefined
      ? `${folder} is read by no stack: pulumi up never applies this file`
      : `${folder} is not read by the stack of ${account}: pulumi up never applies this file's share there`;
  return `${why} (the stack of ${account} reads ${reads}): not written; leave out --dir, or name that folder`;
}

/** Where the incident goes, and how messages name it: by --dir when given. */
interface Folder {
  dir: string;
  named: string;
}

/**
 * The incident files already in the folder (none when it does not exist yet). A folder that is a
 * file, or that cannot be read, ends the command (exit 2): the new incident cannot be checked
 * against those in it, nor what they keep repeated.
 */
function folderFiles({ dir, named }: Folder, cwd: string): SourceFile[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory())
    throw new CannotRunError(`${named}: a file, not a folder: name the folder the incident files are in`);
  const read = readIncidentSources([dir], cwd);
  const failed = read.errors[0];
  if (failed !== undefined) {
    const where = failed.file === (relative(cwd, dir) || dir) ? "" : `${failed.file}: `;
    throw new CannotRunError(`${named}: ${where}${failed.message}`);
  }
  return read.files;
}

/** The roles the request's lookup finds (none when `--roles-from none`), and between which instants. */
async function lookUpRoles(
  request: NewRequest,
  lookup: Lookup,
  { user, account, now }: { user: string | undefined; account: string; now: Date },
): Promise<RolesLookedUp> {
  const from = request.rolesFrom;
  if (from === "none") return { from };
  if (from === "assumable") return { from, result: await lookup.assumableRoles(user as string, account) };
  const since = new Date(now.getTime() - ROLE_LOOKUP_HOURS * HOUR_MS);
  const deadline = Date.now() + request.lookupSeconds * 1000;
  // Every key of the incident: the sessions of each were minted with the same exposure.
  const results = await Promise.all(request.keys.map((key) => lookup.assumedRoles(key, since, now, deadline)));
  const failed = results.find((r) => r.kind === "failed");
  return {
    from,
    since: formatInstant(since),
    until: formatInstant(now),
    result: failed ?? mergedLookups(results as RolesFound[]),
  };
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
