/**
 * One CloudTrail event as the review sees it: the fields the analysis and the reports use, taken
 * from a CloudTrail record (a log file delivered to S3, or the `CloudTrailEvent` string that
 * LookupEvents returns), with every secret removed on the way in.
 *
 * Secrets are stripped here, at the only door into the review, so that no later step (analysis,
 * text, markdown, JSON) can print one by accident.
 */
import { isSecretShaped, SECRET_ACCESS_KEY_IN_TEXT } from "../incident/fields.ts";
import { formatInstant } from "../incident/time.ts";

export interface ReviewEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  /** As CloudTrail wrote it, an ISO 8601 UTC instant such as `2023-07-10T12:24:29Z`. */
  eventTime: string;
  region: string;
  /** The key that signed the call; null for calls without one (ConsoleLogin, AWS service events). */
  accessKeyId: string | null;
  /** The IAM user behind the call, or the role of an assumed-role session. */
  userName: string | null;
  principalArn: string | null;
  identityType: string | null;
  accountId: string | null;
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
}

/** What names an event wherever a report lists it: which call, from which service, when and where. */
export type EventHeader = Pick<ReviewEvent, "eventId" | "eventName" | "eventSource" | "eventTime" | "region">;

/** The header of an event, its fields in the order every report prints them. */
export function eventHeader(event: ReviewEvent): EventHeader {
  return { eventId: event.eventId, eventName: event.eventName, eventSource: event.eventSource, eventTime: event.eventTime, region: event.region };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Fields that hold secrets in CloudTrail records: `sessionToken` of minted credentials, `secretAccessKey` in some CreateAccessKey logs, passwords, private keys. */
const SECRET_FIELD = /^(?:aws)?(sessiontoken|secretaccesskey|secretkey|secret|password|newpassword|oldpassword|masteruserpassword|tokenvalue|privatekey|secretstring|secretbinary|clientsecret)$/i;
/** Prefixes of AWS session tokens (STS v1 and v2 tokens), caught wherever they appear, whatever the field is called. */
const SESSION_TOKEN_VALUE = /^(IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz|AQoEXAMPLE)/;
export const REDACTED = "[redacted by cordon]";

/**
 * A deep copy with secret values replaced by {@link REDACTED}. Key ids and expirations stay:
 * they are what the review follows, and an access key id alone grants nothing.
 */
export function redact(value: unknown): unknown {
  // A secret access key wherever it appears, for instance in a task definition's environment, which
  // CloudTrail records as sent (`{name, value}` pairs whose field names say nothing).
  if (typeof value === "string") return SESSION_TOKEN_VALUE.test(value) ? REDACTED : value.replace(SECRET_ACCESS_KEY_IN_TEXT, (token) => (isSecretShaped(token) ? REDACTED : token));
  if (Array.isArray(value)) return value.map(redact);
  if (!isObject(value)) return value;
  const copy: Json = {};
  for (const [key, field] of Object.entries(value)) {
    // Field names as services and people spell them: secretAccessKey, SecretAccessKey, aws_secret_access_key.
    copy[key] = SECRET_FIELD.test(key.replace(/[-_]/g, "")) && field !== null && typeof field !== "boolean" ? REDACTED : redact(field);
  }
  return copy;
}

/**
 * Calls whose names start like this only read. CloudTrail records `readOnly` for management events,
 * but leaves it out of some (service events, some data events, older records); cordon then derives
 * it from the name and errs towards "write": a harmless call listed among the writes costs a
 * glance, a write hidden among the reads could cost the incident.
 */
const READ_PREFIX = /^(Get|List|Describe|Head|Lookup|Search|BatchGet|Query|Scan)[A-Z]/;
/** Named like reads, but they mint credentials: writes as far as an investigation is concerned. */
const MINTING_READ_NAMES = new Set(["GetSessionToken", "GetFederationToken"]);

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
 * A CloudTrail record (one element of `Records` in a log file) as a {@link ReviewEvent}, or a
 * message saying why it is not one. `fallback` fills fields the record lacks (LookupEvents gives
 * them beside the record, and gives the region the request was sent to).
 */
export function fromRecord(record: unknown, fallback: Partial<ReviewEvent> = {}): ReviewEvent | string {
  if (!isObject(record)) return "expected a CloudTrail event (a JSON object)";
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const issuer = isObject(identity.sessionContext) && isObject(identity.sessionContext.sessionIssuer) ? identity.sessionContext.sessionIssuer : {};
  const eventId = text(record.eventID) ?? fallback.eventId ?? null;
  const eventName = text(record.eventName) ?? fallback.eventName ?? null;
  const eventTime = text(record.eventTime) ?? fallback.eventTime ?? null;
  if (eventId === null) return "the event has no eventID";
  if (eventName === null) return `event ${eventId} has no eventName`;
  if (eventTime === null || Number.isNaN(Date.parse(eventTime))) return `event ${eventId} has no valid eventTime`;
  const stated = readOnlyOf(record.readOnly) ?? fallback.readOnly;
  return {
    eventId,
    eventName,
    eventSource: text(record.eventSource) ?? fallback.eventSource ?? "",
    eventTime,
    region: text(record.awsRegion) ?? fallback.region ?? "",
    accessKeyId: text(identity.accessKeyId) ?? fallback.accessKeyId ?? null,
    userName: text(identity.userName) ?? text(issuer.userName) ?? fallback.userName ?? null,
    principalArn: text(identity.arn),
    identityType: text(identity.type),
    accountId: text(identity.accountId) ?? text(record.recipientAccountId),
    readOnly: stated ?? deriveReadOnly(eventName),
    readOnlyDerived: stated === undefined,
    sourceIPAddress: text(record.sourceIPAddress),
    userAgent: text(record.userAgent),
    errorCode: text(record.errorCode),
    errorMessage: text(record.errorMessage),
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
