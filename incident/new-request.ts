/**
 * What `cordon new` is asked, from its flags: each value checked, or made to fit, as the field it
 * fills takes it; or the one reason the command was used wrongly. Pure: the flags' values and
 * `now` in, a request or a refusal out. commands/new.ts parses the flags, reads the project and
 * asks AWS; what the file will say is incident/new-draft.ts's.
 */
import { ROLE_CREDENTIAL_LIFETIME_MS, staleCutoff } from "./expiry.ts";
import {
  ACCESS_KEY_ID,
  ACCOUNT_ID,
  accessKeyFlagProblem,
  accountFlagProblem,
  cutoffFlagProblem,
  fitOneLine,
  iamNameFlagCheck,
  impossibleInstantFlagProblem,
  INCIDENT_ID,
  INSTANT,
  incidentIdFlagProblem,
  MODES,
  modeFlagProblem,
  pastedKeyId,
  staleCutoffFlagProblem,
  TICKET_MAX_LENGTH,
  TITLE_MAX_LENGTH,
} from "./fields.ts";
import { maskSecrets, secretIn } from "./secrets.ts";
import { defaultIncidentId } from "./template.ts";
import { formatInstant, HOUR_MS, impossibleInstant, parseInstant } from "./time.ts";
import { AT_CONTAINMENT, type Mode } from "./types.ts";

/** How far back `new` looks for roles the key assumed: a role session lives at most 12 h. */
export const ROLE_LOOKUP_HOURS = ROLE_CREDENTIAL_LIFETIME_MS / HOUR_MS;
/**
 * How long after a call `new` counts on CloudTrail to have delivered its event: a lookup at `now`
 * may miss the calls of the minutes before it, so the file says so and when to look again. AWS
 * says CloudTrail "typically delivers logs within an average of about 5 minutes of an API call.
 * This time is not guaranteed"; 15 minutes is the delay it used to quote.
 * @default 15
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html
 */
export const CLOUDTRAIL_DELIVERY_MINUTES = 15;
/** How long the CloudTrail lookup of `new` may take by default: the contain workflow waits for it. */
export const DEFAULT_LOOKUP_SECONDS = 20;

/** Where the roles to revoke come from, besides `--role`. */
export type RolesFrom = "cloudtrail" | "assumable" | "none";

/** The flags of `new` as parsed (every value as typed; `--now` and `--dir` are the shell's). */
export interface NewFlags {
  title?: string;
  "access-key"?: string[];
  user?: string[];
  role?: string[];
  account?: string;
  mode?: string;
  id?: string;
  cutoff?: string;
  ticket?: string;
  "roles-from"?: string;
  "lookup-seconds"?: string;
  root?: string[];
}

/** What `new` is asked, every value checked. */
export interface NewRequest {
  /** The exposed access key ids, once each, in the order given. */
  keys: string[];
  title: string;
  mode: Mode;
  id: string;
  /** `at-containment`, or a UTC instant. */
  cutoff: string;
  ticket?: string;
  /** `--account`; without it, the account of the AWS credentials. */
  account?: string;
  userNames: string[];
  roleNames: string[];
  /** Member accounts whose root user the organization's SCP denies. */
  roots: string[];
  lookupSeconds: number;
  rolesFrom: RolesFrom;
  /** IAM says who owns each key: keys given, and not exactly one `--user` to own them all. */
  askIam: boolean;
  /** What was said about the flags, in order, printed once the file is written: text made to fit, a secret masked. */
  notes: string[];
}

/** A flag used wrongly: the message of the usage error (exit 2). */
export interface NewRefusal {
  usage: string;
}

/** Thrown inside this module only, and returned as a refusal: the first flag used wrongly ends the checks. */
class FlagProblem extends Error {}

/** The request the flags make, or the first flag used wrongly, checked in the order the usage lists them. */
export function newRequest(flags: NewFlags, now: Date): NewRequest | NewRefusal {
  try {
    return checkedRequest(flags, now);
  } catch (error) {
    if (error instanceof FlagProblem) return { usage: error.message };
    throw error;
  }
}

function checkedRequest(flags: NewFlags, now: Date): NewRequest {
  const keys = unique((flags["access-key"] ?? []).map((key) => checkAccessKey(pastedKeyId(key))));
  const notes: string[] = [];
  const title = titleOf(flags.title, keys, notes);
  const mode = checkMode(flags.mode);
  const id = flags.id ?? defaultIncidentId(title, now);
  if (!INCIDENT_ID.test(id)) throw new FlagProblem(incidentIdFlagProblem(id));
  const cutoff = checkCutoff(flags.cutoff);
  const ticket = ticketOf(flags.ticket, notes);
  if (flags.account !== undefined && !ACCOUNT_ID.test(flags.account))
    throw new FlagProblem(accountFlagProblem(flags.account));
  const userNames = unique((flags.user ?? []).map((name) => checkName("user", name)));
  const roleNames = unique((flags.role ?? []).map((name) => checkName("role", name)));
  const roots = unique((flags.root ?? []).map(checkRoot));
  if (keys.length + userNames.length + roleNames.length + roots.length === 0) {
    throw new FlagProblem(
      "name at least one principal: --access-key ID (IAM finds its user), --user NAME, --role NAME or --root ACCOUNT",
    );
  }
  // The rule guard applies to an added incident (expired before it is added), with the lifetime
  // of what this one revokes: 36 h once it names a user, 12 h with roles or roots only.
  const stale = staleCutoff({ cutoff, users: [...keys, ...userNames] }, now);
  if (stale !== undefined) throw new FlagProblem(staleCutoffFlagProblem(stale));
  const lookupSeconds = checkLookupSeconds(flags["lookup-seconds"]);
  const askIam = keys.length > 0 && userNames.length !== 1;
  const rolesFrom = checkRolesFrom(flags["roles-from"], askIam ? "cloudtrail" : "none");
  if (rolesFrom === "cloudtrail" && keys.length === 0)
    throw new FlagProblem("--roles-from cloudtrail: looks up what an access key did: give --access-key ID");
  if (rolesFrom === "assumable" && keys.length + userNames.length === 0)
    throw new FlagProblem(
      "--roles-from assumable: looks up what a user can assume: give --access-key ID or --user NAME",
    );
  return {
    keys,
    title,
    mode,
    id,
    cutoff,
    ...(ticket !== undefined ? { ticket } : {}),
    ...(flags.account !== undefined ? { account: flags.account } : {}),
    userNames,
    roleNames,
    roots,
    lookupSeconds,
    rolesFrom,
    askIam,
    notes,
  };
}

/**
 * A text flag as its field takes it: a value shaped like a secret access key or a session token masked (it would make
 * the file invalid, and a secret must never be committed), then made to fit one line of `max`
 * characters (fields.ts); the notes say what was changed. Once new knows the key, nothing a
 * dispatcher typed may stop the incident being written.
 */
function textFlag(flag: string, value: string, max: number, notes: string[]): string {
  const masked = maskSecrets(value);
  const secret = secretIn(value);
  if (secret !== undefined) {
    notes.push(
      `${flag} held what looks like a ${secret}: written as "(secret not shown)"; treat that ${secret === "session token" ? "session" : "key"} as exposed`,
    );
  }
  const fitted = fitOneLine(flag, masked, max);
  notes.push(...fitted.notes);
  return fitted.text;
}

/** `--title`, made to fit; blank with keys given, what the contain workflow writes by default. */
function titleOf(title: string | undefined, keys: string[], notes: string[]): string {
  if (title === undefined)
    throw new FlagProblem('--title is required: what happened, in one line, such as --title "CI key in public repo"');
  const text = textFlag("--title", title, TITLE_MAX_LENGTH, notes);
  if (text !== "") return text;
  if (keys.length === 0) {
    throw new FlagProblem(
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

function checkRolesFrom(value: string | undefined, fallback: "cloudtrail" | "none"): RolesFrom {
  if (value === undefined) return fallback;
  if (value === "cloudtrail" || value === "assumable" || value === "none") return value;
  throw new FlagProblem(
    `--roles-from "${value}": expected cloudtrail (the roles the key assumed), assumable (every role the user can assume) or none`,
  );
}

function checkLookupSeconds(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LOOKUP_SECONDS;
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 300)
    throw new FlagProblem(`--lookup-seconds "${value}": expected a whole number of seconds from 1 to 300`);
  return Number(value);
}

function checkMode(mode: string | undefined): Mode {
  if (mode === undefined) return MODES[0];
  if (!(MODES as string[]).includes(mode)) throw new FlagProblem(modeFlagProblem(mode));
  return mode as Mode;
}

function checkCutoff(cutoff: string | undefined): string {
  if (cutoff === undefined || cutoff === AT_CONTAINMENT) return AT_CONTAINMENT;
  const why = INSTANT.test(cutoff) ? impossibleInstant(cutoff) : undefined;
  if (why !== undefined) throw new FlagProblem(impossibleInstantFlagProblem("cutoff", cutoff, why));
  const instant = parseInstant(cutoff);
  if (!instant) throw new FlagProblem(cutoffFlagProblem(cutoff));
  return formatInstant(instant);
}

function checkAccessKey(key: string): string {
  if (!ACCESS_KEY_ID.test(key)) throw new FlagProblem(accessKeyFlagProblem(key));
  return key;
}

function checkName(kind: "user" | "role", name: string): string {
  const problem = iamNameFlagCheck(kind, name);
  if (problem !== undefined) throw new FlagProblem(problem);
  return name;
}

function checkRoot(account: string): string {
  if (!ACCOUNT_ID.test(account)) throw new FlagProblem(accountFlagProblem(account).replace("--account", "--root"));
  return account;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
