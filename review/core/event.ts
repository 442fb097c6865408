/**
 * One CloudTrail event as the review sees it: the fields the analysis and the reports use, taken
 * from a CloudTrail record (a log file delivered to S3, or the `CloudTrailEvent` string that
 * LookupEvents returns), with every secret removed on the way in.
 *
 * Secrets are stripped here, at the only door into the review, so that no later step (analysis,
 * text, markdown, JSON) can print one by accident.
 */
import { formatInstant } from "../../incident/time.ts";
import { isSecretName, REDACTED, redactText } from "./secrets.ts";

export { REDACTED };

export interface ReviewEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  /** As CloudTrail wrote it, an ISO 8601 UTC instant such as `2023-07-10T12:24:29Z` (`Z` added if it had no offset). */
  eventTime: string;
  region: string;
  /** The key that signed the call; null for calls without one (ConsoleLogin, AWS service events). */
  accessKeyId: string | null;
  /** The IAM user behind the call, or the role of an assumed-role session. */
  userName: string | null;
  principalArn: string | null;
  identityType: string | null;
  accountId: string | null;
  /** The account that received the call (CloudTrail's `recipientAccountId`): another account than `accountId` for a call across accounts. */
  recipientAccountId: string | null;
  /** Whether the call only reads; see {@link deriveReadOnly} for calls where CloudTrail does not say. */
  readOnly: boolean;
  /** True when CloudTrail left `readOnly` out and cordon derived it from the event name. */
  readOnlyDerived: boolean;
  sourceIPAddress: string | null;
  userAgent: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** Redacted: see {@link redact}. */
  requestParameters: unknown;
  /** Redacted: see {@link redact}. Still holds minted key ids and expirations, which are not secrets. */
  responseElements: unknown;
  /**
   * Set when the logs hold another event with this `eventId` and other contents: where this copy
   * was read. Both copies stay in the review, each marked (a forged file must not hide a real event).
   */
  conflict?: EventCopy;
}

/** Where one copy of an event was read: a log file, and the record's place in it. */
export interface EventCopy {
  file: string;
  record: number;
}

/** Two or more different events under one `eventID`: a forged file, or a broken export. All are kept. */
export interface Conflict {
  eventId: string;
  /** Where each copy was read, sorted (one file twice if it holds two of them). */
  files: string[];
}

/** What names an event wherever a report lists it: which call, from which service, when and where. */
export type EventHeader = Pick<ReviewEvent, "eventId" | "eventName" | "eventSource" | "eventTime" | "region">;

/** The header of an event, its fields in the order every report prints them. */
export function eventHeader(event: ReviewEvent): EventHeader {
  return {
    eventId: event.eventId,
    eventName: event.eventName,
    eventSource: event.eventSource,
    eventTime: event.eventTime,
    region: event.region,
  };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function redactedText(value: unknown): string | null {
  const found = text(value);
  return found === null ? null : redactText(found, "free text");
}

/**
 * How deep a copy of request parameters or response elements goes. CloudTrail's records nest a
 * dozen levels at most; a log file can nest anything, and every later step (the analysis, the
 * reports, `JSON.stringify`) must be able to walk what the review keeps.
 */
export const MAX_NESTING = 64;
export const TOO_DEEP = `[nested more than ${MAX_NESTING} levels deep: cut by cordon]`;

/** Sets a field without `__proto__` reaching the prototype: a log's keys are data. */
function setField(target: Json, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Field names as {@link redactText} leaves them, by name: records share a few hundred names
 * (`userName`, `roleArn`), and every kept record's names are redacted. Cleared when full, so that a
 * log of made-up names costs time, not memory.
 */
const FIELD_NAMES = new Map<string, string>();
const MAX_FIELD_NAMES = 4096;

/**
 * A field name as the copy keeps it: redacted as a value is, since a caller chooses names too (a
 * TagSet's keys, a map of environment variables); a name that two redacted names would share
 * is numbered, `[redacted by cordon] (2)`, so that neither field hides the other.
 */
function fieldName(target: Json, key: string): string {
  let redacted = FIELD_NAMES.get(key);
  if (redacted === undefined) {
    if (FIELD_NAMES.size >= MAX_FIELD_NAMES) FIELD_NAMES.clear();
    FIELD_NAMES.set(key, (redacted = redactText(key)));
  }
  let name = redacted;
  for (let n = 2; Object.hasOwn(target, name); n++) name = `${redacted} (${n})`;
  return name;
}

/**
 * The fields that name the value beside them in a pair (`{name: "DB_PASSWORD", value: "…"}`:
 * CodeBuild's and ECS's environment variables, CloudFormation's `ParameterKey`/`ParameterValue`,
 * Parameter Store's `Name`/`Value`, tags' `key`/`value`), and the fields that hold that value; both
 * lowercased, `-` and `_` out.
 */
const PAIR_NAMES: ReadonlySet<string> = new Set(["name", "key", "parameterkey", "parametername", "optionname"]);
const PAIR_VALUES: ReadonlySet<string> = new Set(["value", "values", "parametervalue", "optionvalue"]);

/** Field names as {@link isSecretName} and the pairs judge them, by name: a few hundred names recur. */
const NAME_KINDS = new Map<string, number>();
const SECRET = 1;
/** A secret's name that, on an object, holds what the review follows too: `credentials` of a minted session. */
const HOLDER = 2;
const PAIR_NAME = 4;
const PAIR_VALUE = 8;

function nameKind(key: string): number {
  let kind = NAME_KINDS.get(key);
  if (kind === undefined) {
    if (NAME_KINDS.size >= MAX_FIELD_NAMES) NAME_KINDS.clear();
    const plain = key.replace(/[-_]/g, "").toLowerCase();
    const secret = isSecretName(key);
    kind =
      (secret ? SECRET : 0) |
      (secret && /credentials?$/.test(plain) ? HOLDER : 0) |
      (PAIR_NAMES.has(plain) ? PAIR_NAME : 0) |
      (PAIR_VALUES.has(plain) ? PAIR_VALUE : 0);
    NAME_KINDS.set(key, kind);
  }
  return kind;
}

/** Whether an object names a secret in a pair: a `name` (or `Key`, `ParameterKey`…) field whose text is a secret's name. */
function namesSecret(source: Json): boolean {
  for (const key in source) {
    if (!Object.hasOwn(source, key) || (nameKind(key) & PAIR_NAME) === 0) continue;
    const named = source[key];
    if (typeof named === "string" && isSecretName(named)) return true;
  }
  return false;
}

/** How a field is copied: as any other, as a secret (replaced whole), or as a secret's holder (an object copied field by field). */
type Copying = "plain" | "secret" | "holder";

/**
 * A deep copy with secret values, and field names that are or hold one, replaced by
 * {@link REDACTED}. A value is secret, and replaced whole (a list or an object too), when its
 * field's name is a secret's ({@link isSecretName}), or when it is the `value` of a pair whose
 * `name` is one (`{name: "DB_PASSWORD", value: "…"}`). An object under a name ending in
 * `credential(s)` is copied field by field, each judged by its own name: the `credentials` of a
 * minted session hold the key id and expiration the review follows beside the token it redacts.
 * Key ids and expirations stay: an access key id alone grants nothing. Containers deeper than
 * {@link MAX_NESTING} levels become {@link TOO_DEEP}. No recursion: any input is walked.
 */
export function redact(value: unknown): unknown {
  const pending: { source: unknown[] | Json; target: unknown[] | Json; depth: number; holder: boolean }[] = [];
  const copy = (field: unknown, depth: number, copying: Copying): unknown => {
    if (copying !== "plain" && field !== null && typeof field !== "boolean") {
      // A secret's holder is walked only when it is an object: its text, or its list, is the secret.
      if (copying === "secret" || typeof field !== "object" || Array.isArray(field)) return REDACTED;
    }
    if (typeof field === "string") return redactText(field);
    if (typeof field !== "object" || field === null) return field;
    if (depth > MAX_NESTING) return TOO_DEEP;
    const target: unknown[] | Json = Array.isArray(field) ? new Array<unknown>(field.length) : {};
    pending.push({ source: field as unknown[] | Json, target, depth, holder: copying === "holder" });
    return target;
  };
  const result = copy(value, 1, "plain");
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { source, target, depth, holder } = next;
    if (Array.isArray(source)) {
      for (let i = 0; i < source.length; i++) (target as unknown[])[i] = copy(source[i], depth + 1, "plain");
      continue;
    }
    // The `value` of a pair that names a secret, or of a secret's holder, is the secret.
    const paired = holder || namesSecret(source);
    for (const [key, field] of Object.entries(source)) {
      const kind = nameKind(key);
      const copying: Copying =
        (kind & HOLDER) !== 0
          ? "holder"
          : (kind & SECRET) !== 0 || (paired && (kind & PAIR_VALUE) !== 0)
            ? "secret"
            : "plain";
      setField(target as Json, fieldName(target as Json, key), copy(field, depth + 1, copying));
    }
  }
  return result;
}

/**
 * Calls whose names start like this only read. CloudTrail records `readOnly` for management events,
 * but leaves it out of some (service events, some data events, older records); cordon then derives
 * it from the name and errs towards "write": a harmless call listed among the writes costs a
 * glance, a write hidden among the reads could cost the incident.
 */
const READ_PREFIX = /^(Get|List|Describe|Head|Lookup|Search|BatchGet|Query|Scan)[A-Z]/;
/** Named like reads, but they mint credentials (GetSigninToken, a console session): writes as far as an investigation is concerned. */
const MINTING_READ_NAMES = new Set(["GetSessionToken", "GetFederationToken", "GetSigninToken"]);

export function deriveReadOnly(eventName: string): boolean {
  return READ_PREFIX.test(eventName) && !MINTING_READ_NAMES.has(eventName);
}

function readOnlyOf(value: unknown): boolean | undefined {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return undefined;
}

/** The parts of a LookupEvents `Event` the review reads (see `@aws-sdk/client-cloudtrail`'s `Event`). */
export interface LookupEvent {
  EventId?: string;
  EventName?: string;
  ReadOnly?: string;
  AccessKeyId?: string;
  EventTime?: Date;
  EventSource?: string;
  Username?: string;
  CloudTrailEvent?: string;
}

/**
 * CloudTrail writes `eventTime` as an ISO 8601 UTC instant, `2023-07-10T12:24:29Z`. One without an
 * offset is read as UTC too: `Date.parse` would read it in the machine's time zone, and the same
 * logs would give another review elsewhere. Returns the instant as the review shows it (an offset
 * added where there was none), or null for anything else (`Date.parse` accepts many forms, some of
 * them local).
 */
export function eventInstant(value: string): string | null {
  // The form CloudTrail writes, in ranges Date.parse always accepts (any day up to 31 in any month):
  // most records are checked without it.
  if (CLOUDTRAIL_INSTANT.test(value)) return value;
  const iso = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([zZ]|[+-]\d{2}:\d{2})?$/.exec(value);
  if (iso === null) return null;
  const instant = iso[3] === undefined ? `${value}Z` : value;
  return Number.isNaN(Date.parse(instant)) ? null : instant;
}

const CLOUDTRAIL_INSTANT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;

/**
 * Whether `bytes[start, end)` (UTF-8) is an instant in the form CloudTrail writes, as
 * {@link CLOUDTRAIL_INSTANT} says, read from the bytes: a log's readers check every record's time,
 * and most of them are in this form. False says only "not this form": {@link eventInstant} decides.
 */
export function isCloudTrailInstant(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 20) return false;
  const month = digitPair(bytes, start + 5);
  const day = digitPair(bytes, start + 8);
  const hour = digitPair(bytes, start + 11);
  const minute = digitPair(bytes, start + 14);
  const second = digitPair(bytes, start + 17);
  return (
    digitPair(bytes, start) >= 0 &&
    digitPair(bytes, start + 2) >= 0 &&
    bytes[start + 4] === 0x2d &&
    bytes[start + 7] === 0x2d &&
    bytes[start + 10] === 0x54 &&
    bytes[start + 13] === 0x3a &&
    bytes[start + 16] === 0x3a &&
    bytes[start + 19] === 0x5a &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59
  );
}

/**
 * The number two digits at `at` write, or a negative number where either is not a digit. Functions
 * of the module, not closures in {@link isCloudTrailInstant}: it runs for every record of every log
 * file, and closures there were allocated on each call (a fifth of what a reader thread allocated).
 */
function digitPair(bytes: Uint8Array, at: number): number {
  return digitAt(bytes, at) * 10 + digitAt(bytes, at + 1);
}

/** A digit's value, or far below any bound where there is no digit. */
function digitAt(bytes: Uint8Array, at: number): number {
  const value = bytes[at] - 0x30;
  return value >= 0 && value <= 9 ? value : -100;
}

/**
 * Why a record cannot be an event, or null: the checks every reader applies, so that a log file is
 * refused for the same reasons whichever reader reads it.
 */
export function recordProblem(
  eventId: string | null,
  eventName: string | null,
  eventTime: string | null,
): string | null {
  if (eventId === null) return "the event has no eventID";
  if (eventName === null) return `event ${eventId} has no eventName`;
  if (eventTime === null || eventInstant(eventTime) === null) return `event ${eventId} has no valid eventTime`;
  return null;
}

/** Why an element of `Records` is not an event at all. */
export const NOT_AN_OBJECT = "expected a CloudTrail event (a JSON object)";

/**
 * A CloudTrail record (one element of `Records` in a log file) as a {@link ReviewEvent}, or a
 * message saying why it is not one. `fallback` fills fields the record lacks (LookupEvents gives
 * them beside the record, and gives the region the request was sent to).
 */
export function fromRecord(record: unknown, fallback: Partial<ReviewEvent> = {}): ReviewEvent | string {
  if (!isObject(record)) return NOT_AN_OBJECT;
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const issuer =
    isObject(identity.sessionContext) && isObject(identity.sessionContext.sessionIssuer)
      ? identity.sessionContext.sessionIssuer
      : {};
  const eventId = text(record.eventID) ?? fallback.eventId ?? null;
  const eventName = text(record.eventName) ?? fallback.eventName ?? null;
  const eventTime = text(record.eventTime) ?? fallback.eventTime ?? null;
  const problem = recordProblem(eventId, eventName, eventTime);
  if (problem !== null) return problem;
  const stated = readOnlyOf(record.readOnly) ?? fallback.readOnly;
  return {
    eventId: eventId as string,
    eventName: eventName as string,
    eventSource: text(record.eventSource) ?? fallback.eventSource ?? "",
    eventTime: eventInstant(eventTime as string) as string,
    region: text(record.awsRegion) ?? fallback.region ?? "",
    accessKeyId: text(identity.accessKeyId) ?? fallback.accessKeyId ?? null,
    userName: text(identity.userName) ?? text(issuer.userName) ?? fallback.userName ?? null,
    principalArn: text(identity.arn),
    identityType: text(identity.type),
    accountId: text(identity.accountId) ?? text(record.recipientAccountId),
    recipientAccountId: text(record.recipientAccountId),
    readOnly: stated ?? deriveReadOnly(eventName as string),
    readOnlyDerived: stated === undefined,
    // Free text, some of it the caller's: redacted as the parameters are.
    sourceIPAddress: redactedText(record.sourceIPAddress),
    userAgent: redactedText(record.userAgent),
    errorCode: text(record.errorCode),
    errorMessage: redactedText(record.errorMessage),
    requestParameters: redact(record.requestParameters ?? null),
    responseElements: redact(record.responseElements ?? null),
  };
}

/** A LookupEvents `Event`: the record inside `CloudTrailEvent`, completed with the fields beside it. */
export function fromLookupEvent(event: LookupEvent, region: string): ReviewEvent | string {
  let record: unknown = {};
  if (event.CloudTrailEvent !== undefined) {
    try {
      record = JSON.parse(event.CloudTrailEvent);
    } catch {
      // A record CloudTrail could not serialise still has its summary fields beside it.
      record = {};
    }
  }
  return fromRecord(record, {
    eventId: event.EventId,
    eventName: event.EventName,
    eventSource: event.EventSource,
    eventTime: event.EventTime === undefined ? undefined : formatInstant(event.EventTime),
    region,
    accessKeyId: event.AccessKeyId ?? null,
    userName: event.Username ?? null,
    readOnly: readOnlyOf(event.ReadOnly),
  });
}

/** The service name of an event source: `iam.amazonaws.com` → `iam`. */
export function serviceOf(eventSource: string): string {
  return eventSource.replace(/\.amazonaws\.com$/, "") || "unknown";
}

/**
 * The action without the API version some services append in CloudTrail
 * (`UpdateFunctionCode20150331v2` → `UpdateFunctionCode`), so that rules and groups use one name.
 */
export function actionOfEvent(eventName: string): string {
  return eventName.replace(/\d{8}(v\d+)?$/, "");
}
