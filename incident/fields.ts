/**
 * Every field rule's one home: the pattern a value must match, and the words that say what was
 * found and what was expected, both for a field of an incident file and for the command-line flag
 * that takes the same value. The loader, the commands' flags, `new`'s template and the review all
 * use these. schema/incident.schema.json, which defines the file's shape, spells the same patterns;
 * test/fields.test.ts holds the two together.
 *
 * Messages never echo what could be a secret access key: a key id field or flag is exactly where
 * one gets pasted by mistake.
 */
import { secretIn } from "./secrets.ts";
import type { Mode } from "./types.ts";

/** A path to a field, as the loader and the schema's errors name it: `["users", 0, "accessKeys", 1]`. */
export type FieldPath = (string | number)[];

/** Where a field is in its file: its value, or its key (for a field that should not be there). */
export type Locator = (path: FieldPath, at?: "key" | "value") => { line: number; col: number };

/** `users[0].accessKeys[1]`, the way a person points at a field. */
export function fieldName(path: FieldPath): string {
  return path
    .map((segment, i) => (typeof segment === "number" ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join("");
}

/** How a message quotes a value it found: a short string as it is, anything else by its kind. */
export function describeFound(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") return value.length > 80 ? `a string of ${value.length} characters` : `"${value}"`;
  if (typeof value === "number") return `number ${value}`;
  if (typeof value === "boolean") return `boolean ${value}`;
  if (Array.isArray(value)) return "a list";
  return "a mapping";
}

// ---- The incident id: the file's name, and the root of every resource name derived from it.

export const INCIDENT_ID = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** The id an incident file's name gives it: the name without `.yaml` (or `.yml`), whatever the folder. */
export function incidentIdOfPath(path: string): string {
  return (path.split(/[\\/]/).pop() ?? path).replace(/\.ya?ml$/i, "");
}

export const INCIDENT_ID_MAX_LENGTH = 64;
const INCIDENT_ID_EXPECTED = "3 to 64 of lowercase letters, digits and dashes, starting with a letter or digit";

export function incidentIdProblem(found: unknown): string {
  return `id: found ${describeFound(found)}, expected ${INCIDENT_ID_EXPECTED}`;
}

export function incidentIdFlagProblem(value: string): string {
  return `--id "${value}": expected ${INCIDENT_ID_EXPECTED}`;
}

// ---- Text fields: the title and the ticket, one line each, of a bounded length.

/**
 * How a text field's length is counted: in characters, Unicode code points, as the schema's
 * `maxLength` counts them (JSON Schema; ajv by default). `"😀".length` is 2; its length here is 1.
 * @see https://json-schema.org/understanding-json-schema/reference/string#length
 */
export function textLength(text: string): number {
  return [...text].length;
}

/** The schema's maxLength of `title`: one line that says what happened. */
export const TITLE_MAX_LENGTH = 200;

/** The schema's maxLength of `ticket`: a tracker's key or link, read in commit messages and issues. */
export const TICKET_MAX_LENGTH = 100;

/** A text field over its length, as the loader says it. */
export function tooLongProblem(field: string, found: string, max: number): string {
  return `${field}: found a string of ${textLength(found)} characters, expected at most ${max}`;
}

/** What breaks a line: a title or a ticket is one line (in commit messages, issue titles, the plan). */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]+/g;

/**
 * A text flag made to fit its one-line field (`new --title`, `--ticket`): its lines joined with a
 * space, white space trimmed, and, when longer than `max`, cut after the last whole character
 * (grapheme: an emoji or an accented letter is never split) that leaves room for "…". `notes` say
 * what was changed; the text always passes the field's rule. The contain workflow passes what a
 * dispatcher typed: once the key is known, nothing it typed may stop the incident being written.
 */
export function fitOneLine(flag: string, value: string, max: number): { text: string; notes: string[] } {
  const notes: string[] = [];
  const lines = value
    .split(LINE_BREAK)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  if (lines.length > 1) notes.push(`${flag} had ${lines.length} lines: joined into one`);
  const joined = lines.join(" ");
  if (textLength(joined) <= max) return { text: joined, notes };
  let text = "";
  for (const { segment } of new Intl.Segmenter("en", { granularity: "grapheme" }).segment(joined)) {
    if (textLength(text) + textLength(segment) > max - 1) break;
    text += segment;
  }
  notes.push(
    `${flag} had ${textLength(joined)} characters, more than the ${max} it may have: shortened to ${max}, ending with "…"`,
  );
  return { text: `${text.trimEnd()}…`, notes };
}

// ---- The AWS account id. Spelled with \d, as Pulumi prints it when `cordon:account` does not match.

export const ACCOUNT_ID = /^\d{12}$/;
const ACCOUNT_ID_EXPECTED = "an AWS account id of 12 digits";

/** `field`: `account`, or a principal's own, such as `roles[1].account`. */
export function accountProblem(found: unknown, field = "account"): string {
  return `${field}: found ${describeFound(found)}, expected ${ACCOUNT_ID_EXPECTED}`;
}

/** `--account` of `new` and `plan`. */
export function accountFlagProblem(value: string): string {
  return `--account "${value}": expected ${ACCOUNT_ID_EXPECTED}`;
}

// ---- IAM Identity Center users, by their identity store user id: an optional 10-hex-digit prefix
// and a dash, then a UUID. The API's own pattern (IdentityStore UserId, 1 to 47 characters).
// @see https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/API_User.html

export const IDENTITY_STORE_USER_ID =
  /^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$/;

export function identityStoreUserIdProblem(field: string, found: unknown): string {
  return `${field}: found ${describeFound(found)}, expected an identity store user id such as 906747e8d1-6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a (IAM Identity Center, Users, the user's "User ID"), not a user name or an email address`;
}

// ---- The mode.

/** The schema's enum of `mode`; the first is the default. */
export const MODES: readonly Mode[] = ["revoke-older-sessions", "deny-all"];

export function modeFlagProblem(value: string): string {
  return `--mode "${value}": expected one of ${MODES.join(", ")}`;
}

// ---- IAM names: users, roles, and the names of inline policies.
// @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html (UserName)

export const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * A user's or role's name as IAM compares it: ignoring case ("names are not distinguished by
 * case": `Deploy` and `deploy` are one role). The one rule every comparison of principals asks
 * (the loader's, the plan's, guard's, `new`'s); IAM names are ASCII, so lowercase is exact.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names
 */
export function iamNameKey(name: string): string {
  return name.toLowerCase();
}

/** Whether IAM takes two names for the same user or role. */
export function sameIamName(a: string, b: string): boolean {
  return iamNameKey(a) === iamNameKey(b);
}

/** A principal as IAM tells principals apart: its account, its type, its name ignoring case. */
export function principalKey(account: string, type: "user" | "role", name: string): string {
  return `${account}/${type}/${iamNameKey(name)}`;
}
export const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const IAM_NAME_CHARACTERS = "letters, digits and +=,.@_-";

export function iamNameProblem(field: string, found: unknown): string {
  return `${field}: found ${describeFound(found)}, expected an IAM name: 1 to 64 of ${IAM_NAME_CHARACTERS}`;
}

/** `new --user` and `new --role`. */
export function iamNameFlagProblem(kind: "user" | "role", value: string): string {
  return `--${kind} "${value}": expected an IAM ${kind} name: 1 to 64 of ${IAM_NAME_CHARACTERS}`;
}

/**
 * What is wrong with a user or role name given as a flag (`new --user`, `new --role`, `assess
 * --user`), or undefined when it is a name. IAM's characters allow a secret access key (40 of
 * base64 with `+`) and the start of a session token: such a value is refused without being quoted,
 * before it is sent to IAM or echoed in IAM's "not found".
 */
export function iamNameFlagCheck(kind: "user" | "role", value: string): string | undefined {
  const secret = secretIn(value);
  if (secret !== undefined)
    return `--${kind}: found what looks like a ${secret} (not shown), expected an IAM ${kind} name; treat that ${secret === "session token" ? "session" : "key"} as exposed`;
  return IAM_NAME.test(value) ? undefined : iamNameFlagProblem(kind, value);
}

/**
 * A name that holds invisible characters (listed as `U+200B`): it looks like a valid name, and
 * like another one. The value itself is quoted as found: what prints it shows each such character
 * as an escape (display.ts).
 */
export function invisibleNameProblem(field: string, found: string, characters: string[]): string {
  return `${field}: found ${describeFound(found)}, which holds ${characters.length === 1 ? "an invisible character" : "invisible characters"} (${characters.join(", ")}), expected an IAM name: 1 to 64 of ${IAM_NAME_CHARACTERS}; an invisible character makes a name look like another: type it again`;
}

export function policyNameProblem(field: string, name: string): string {
  return `${field}: policy name "${name}" is invalid, expected 1 to 128 of ${IAM_NAME_CHARACTERS}`;
}

// ---- Access key ids: AKIA... for long-term keys, which an incident lists and cordon disables;
// ASIA... for temporary ones, which cannot be disabled (the cutoff revokes them) but which the
// review follows.
// @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids

export const ACCESS_KEY_ID = /^AKIA[A-Z0-9]{16}$/;
export const TEMPORARY_KEY_ID = /^ASIA[A-Z0-9]{16}$/;
/** A long-term or a temporary key id. */
export const ANY_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{16}$/;
/** 40 characters of base64: what a secret access key looks like when it is pasted where an id goes. */
export const SECRET_ACCESS_KEY = /^[A-Za-z0-9/+]{40}$/;

/**
 * The white space a paste carries around a key id (a space, a tab, a line end): never part of a
 * key id, so the flags that take one and the contain workflow's form drop it. ASCII only, as the
 * workflow's bash drops `[:space:]` in the C locale (test/workflows.test.ts checks they agree);
 * anything else around a key id is refused, said by {@link shownKey}.
 */
const PASTED_BLANKS = /^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g;

/** A key id as pasted into a flag: the white space around it dropped, the rest as typed. */
export function pastedKeyId(value: string): string {
  return value.replace(PASTED_BLANKS, "");
}

/** White space, or an invisible character, at either end of a value. */
const AROUND = /^[\s\u200B-\u200D\u2060]+|[\s\u200B-\u200D\u2060]+$/g;

/**
 * A value that is not a key id, quoted only when it is short and plain enough not to be a secret;
 * a key id with white space around it (a paste) is named as such, since only that is wrong.
 */
function shownKey(value: string): string {
  const inner = value.replace(AROUND, "");
  if (inner !== value && ANY_KEY_ID.test(inner)) return `${inner} with white space around it`;
  return value.length <= 24 && /^[A-Za-z0-9]*$/.test(value)
    ? `"${value}"`
    : `a value of ${value.length} characters (not shown)`;
}

/** In an incident file, a value under `accessKeys` that is not a long-term key id. */
export function accessKeyProblem(field: string, value: string): string {
  if (TEMPORARY_KEY_ID.test(value)) {
    return `${field}: found temporary key ${value}, expected a long-term key id (AKIA...): temporary credentials cannot be disabled; the cutoff revokes them, so list the user that minted them`;
  }
  if (SECRET_ACCESS_KEY.test(value)) {
    return `${field}: found what looks like a secret access key (40 characters, not shown), expected an access key id (AKIA + 16 characters): remove the secret from the file and treat the key as exposed`;
  }
  return `${field}: found ${shownKey(value)}, expected an access key id: AKIA followed by 16 of A-Z and 0-9`;
}

/** `new --access-key`: what to pass instead of a temporary key, and never the secret. */
export function accessKeyFlagProblem(value: string): string {
  if (TEMPORARY_KEY_ID.test(value)) {
    return `--access-key ${value}: a temporary key (ASIA...) cannot be disabled; the cutoff revokes it: pass the user or role that minted it (--user, --role)`;
  }
  if (SECRET_ACCESS_KEY.test(value)) {
    return "--access-key: found what looks like a secret access key (40 characters, not shown), expected an access key id (AKIA...): treat the key as exposed, and clear your shell history";
  }
  return `--access-key: found ${shownKey(value)}, expected an access key id: AKIA followed by 16 of A-Z and 0-9`;
}

/**
 * `--access-key VALUE: expected ...`, quoting VALUE only when it is short and plain: what is
 * pasted where a key id goes is, as often as not, the secret key or a session token.
 */
function keyFlagProblem(value: string, expected: string): string {
  if (SECRET_ACCESS_KEY.test(value))
    return `--access-key: found what looks like a secret access key (40 characters, not shown), ${expected}: treat the key as exposed, and clear your shell history`;
  const shown = shownKey(value);
  return shown.startsWith('"') ? `--access-key ${shown}: ${expected}` : `--access-key: found ${shown}, ${expected}`;
}

/** `assess --access-key`: the exposed long-term key. */
export function exposedKeyFlagProblem(value: string): string {
  return keyFlagProblem(value, "expected an access key id, AKIA followed by 16 capital letters or digits");
}

/** `review --access-key`: the key to review, long-term or temporary. */
export function reviewedKeyFlagProblem(value: string): string {
  return keyFlagProblem(
    value,
    "expected AKIA or ASIA followed by 16 capital letters or digits, such as AKIAIOSFODNN7EXAMPLE",
  );
}

// ---- Instants. In a file: RFC 3339 with seconds and an offset, as the schema says. On the command
// line (`--now`, `--since`, `--until`), seconds may be left out.
// @see https://www.rfc-editor.org/rfc/rfc3339#section-5.6

export const INSTANT =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$/;
/** An instant that only lacks its offset: worth its own message. */
export const INSTANT_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
export const FLAG_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

/** `cutoff` that the schema refuses; `withoutOffset` when it is an instant short of its offset. */
export function cutoffProblem(found: unknown): { withoutOffset: boolean; message: string } {
  const value = typeof found === "string" ? found : "";
  if (INSTANT_WITHOUT_OFFSET.test(value)) {
    return {
      withoutOffset: true,
      message: `cutoff: found "${value}" without an offset, expected an instant such as ${value.replace(" ", "T")}${value.length === 16 ? ":00" : ""}Z: without an offset the instant depends on the reader's time zone`,
    };
  }
  return {
    withoutOffset: false,
    message: `cutoff: found ${describeFound(found)}, expected an RFC 3339 instant with offset (2026-11-28T10:00:00Z) or at-containment`,
  };
}

export function holdUntilProblem(found: unknown): string {
  return `holdUntil: found ${describeFound(found)}, expected an RFC 3339 instant with offset such as 2026-12-01T00:00:00Z`;
}

/** `--now`, `--since`, `--until`. */
export function instantFlagProblem(flag: string, value: string): string {
  return `--${flag} "${value}": expected an RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z`;
}

/** An instant flag of the right shape that names no real instant; `why` says which part (time.ts). */
export function impossibleInstantFlagProblem(flag: string, value: string, why: string): string {
  return `--${flag} "${value}": no such instant: ${why}; expected a real RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z`;
}

/** A cutoff or holdUntil of the right shape that names no real instant. */
export function impossibleInstantProblem(field: "cutoff" | "holdUntil", value: string, why: string): string {
  return `${field}: found "${value}", which is not a real instant (${why}); expected an RFC 3339 instant with offset such as 2026-11-28T10:00:00Z`;
}

/** A cutoff that revokes nothing (expiry.ts's StaleCutoff): `new` and `plan` warn about it. */
export function staleCutoffProblem(stale: { cutoff: string; now: string; ageMs: number; lifetimeMs: number }): string {
  const hours = (ms: number) => `${Math.floor(ms / 3_600_000).toLocaleString("en-US")} h`;
  return `cutoff ${stale.cutoff} is ${hours(stale.ageMs)} before now (${stale.now}), longer ago than the longest session it revokes can live (${hours(stale.lifetimeMs)}): it revokes no session still alive; a cutoff in the wrong year? (guard refuses to add an incident that has already expired)`;
}

/**
 * `new --cutoff` so old that the incident is over as soon as it is written: guard refuses to add
 * it (an incident added already expired), so new writes nothing, as for a future cutoff.
 */
export function staleCutoffFlagProblem(stale: {
  cutoff: string;
  now: string;
  ageMs: number;
  lifetimeMs: number;
}): string {
  const hours = (ms: number) => `${Math.floor(ms / 3_600_000).toLocaleString("en-US")} h`;
  return `--cutoff ${stale.cutoff}: ${hours(stale.ageMs)} before now (${stale.now}), longer ago than the longest session it revokes can live (${hours(stale.lifetimeMs)}): the incident would revoke no session still alive and expire as soon as written, and guard refuses to add an incident that has already expired; a cutoff in the wrong year? Give the instant the key was disabled, or at-containment`;
}

/** `new --cutoff`. */
export function cutoffFlagProblem(value: string): string {
  return `--cutoff "${value}": expected at-containment or an RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z`;
}

// ---- The other credentials of an IAM user, which an incident may keep by id (`keep:`): every
// credential IAM lists for a compromised user and the file does not keep is set Inactive.
// IAM's own patterns are looser (`[\w]+`, 20 to 128 characters); these add the prefix each kind's
// ids carry, so that an id pasted under the wrong kind is caught.
// @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
// @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_ServiceSpecificCredentialMetadata.html
// @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_SSHPublicKeyMetadata.html
// @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_SigningCertificate.html

/** A service-specific credential (CodeCommit, Keyspaces, Bedrock API keys): ACCA, a context-specific credential. */
export const SERVICE_SPECIFIC_CREDENTIAL_ID = /^ACCA[A-Z0-9]{16,124}$/;
/** An SSH public key of a user (AWS CodeCommit): APKA, a public key. */
export const SSH_PUBLIC_KEY_ID = /^APKA[A-Z0-9]{16,124}$/;
/** An X.509 signing certificate of a user: IAM's CertificateId, 24 to 128 word characters. */
export const SIGNING_CERTIFICATE_ID = /^[A-Za-z0-9_]{24,128}$/;
/** An MFA device's serial number: a virtual device's ARN, or a hardware device's serial. */
export const MFA_SERIAL = /^[\w+=/:,.@-]{9,256}$/;

/** The kinds of credential an IAM user can hold besides its password, by the field of `keep:` that names them. */
export const KEPT_CREDENTIAL_FIELDS = [
  "accessKeys",
  "serviceSpecificCredentials",
  "sshPublicKeys",
  "signingCertificates",
] as const;
export type KeptCredentialField = (typeof KEPT_CREDENTIAL_FIELDS)[number];

/** A kept credential, as messages name it. */
export const KEPT_NOUN: Record<KeptCredentialField, string> = {
  accessKeys: "access key",
  serviceSpecificCredentials: "service-specific credential",
  sshPublicKeys: "SSH public key",
  signingCertificates: "signing certificate",
};

const CREDENTIAL_EXPECTED: Record<Exclude<KeptCredentialField, "accessKeys">, string> = {
  serviceSpecificCredentials:
    "a service-specific credential id: ACCA followed by 16 or more of A-Z and 0-9 (aws iam list-service-specific-credentials)",
  sshPublicKeys: "an SSH public key id: APKA followed by 16 or more of A-Z and 0-9 (aws iam list-ssh-public-keys)",
  signingCertificates:
    "a signing certificate id: 24 to 128 letters, digits or underscores (aws iam list-signing-certificates)",
};

/** In an incident file, a value under `keep.serviceSpecificCredentials`, `keep.sshPublicKeys` or `keep.signingCertificates` that is not such an id. */
export function credentialIdProblem(
  field: string,
  kind: Exclude<KeptCredentialField, "accessKeys">,
  value: string,
): string {
  if (SECRET_ACCESS_KEY.test(value)) {
    return `${field}: found what looks like a secret (40 characters, not shown), expected ${CREDENTIAL_EXPECTED[kind]}: remove the secret from the file and treat it as exposed`;
  }
  return `${field}: found ${shownKey(value)}, expected ${CREDENTIAL_EXPECTED[kind]}`;
}

export function mfaSerialProblem(field: string, found: unknown): string {
  return `${field}: found ${describeFound(found)}, expected an MFA device's serial number, such as arn:aws:iam::123456789012:mfa/dana (aws iam list-mfa-devices)`;
}

/**
 * What only the root user itself can do about its exposed credentials, where no SCP restrains it
 * (a standalone account, or an organization's management account): `validate`, `new` and `plan`
 * give these steps, and docs/contain.md too.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_add-key.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html
 */
export const ROOT_USER_STEPS = [
  "sign in as the root user (email and password, then its MFA)",
  "Security credentials: delete every root access key (deactivate it first if a workload still uses it, then delete)",
  "change the root user's password",
  "remove any MFA device you do not own and register your own",
  "check the account's contact email and alternate contacts",
  "then review what the key did: cordon review --access-key KEY",
] as const;

/** The steps, as one line of a message. */
export function rootUserSteps(): string {
  return ROOT_USER_STEPS.map((step, i) => `(${i + 1}) ${step}`).join("; ");
}
