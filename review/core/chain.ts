/**
 * The chain of credentials that grows from an exposed key: the temporary keys it minted
 * (GetSessionToken, GetFederationToken, AssumeRole, and role chaining from those; AssumeRoot, a
 * member account's root session), the long-term
 * keys it created (CreateAccessKey), and the users it created or gave a console password.
 *
 * Pure apart from the event source it is given: no AWS SDK, no clock, no file system here. The
 * same source gives the same chain, whatever order the source answers in.
 */
import { CONSOLE_SESSION_MS, ROLE_CREDENTIAL_LIFETIME_MS, USER_CREDENTIAL_LIFETIME_MS } from "../../incident/expiry.ts";
import { ANY_KEY_ID } from "../../incident/fields.ts";
import { compareText } from "../../incident/order.ts";
import type { ReviewEvent } from "./event.ts";

/** What the review reads events of: an access key, or an IAM user (whose console sessions have no key). */
export type Subject =
  | { kind: "key"; accessKeyId: string }
  | { kind: "user"; userName: string; accountId: string | null };

/** An interval of epoch milliseconds, both ends included; null means unbounded. */
export interface Window {
  start: number | null;
  end: number | null;
}

/**
 * Gives the events of one subject within a window, in as many batches as it likes, by calling
 * `deliver`; resolves once it has delivered all of them. The chain starts following a minted key
 * as soon as a batch shows the call that minted it.
 */
export type EventSource = (subject: Subject, window: Window, deliver: (events: ReviewEvent[]) => void) => Promise<void>;

/** The services whose calls reveal a subject: a call of the same name from any other service is another thing. */
const STS = "sts.amazonaws.com";
const IAM = "iam.amazonaws.com";

/**
 * The longest a root session lives: AssumeRoot's `DurationSeconds` is at most 900 seconds.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html
 */
export const ROOT_SESSION_MS = 900_000;

/**
 * The calls that reveal a key or a user ({@link leadsFrom}), each with the one service whose call
 * it is (CloudTrail's `eventSource`), and, for those that mint a temporary key, the longest that
 * key can live when the event does not give its expiration (the lifetimes an incident's expiry
 * stands on). Another service's call of the same name reveals nothing: Transfer Family's
 * `CreateUser` makes an SFTP user, and the IAM user of that name, if one exists, is someone else's.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html (36 h)
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html (36 h)
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (12 h, the largest MaxSessionDuration)
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html (900 s: a member account's root session)
 */
export const LEAD_CALL_TABLE: Readonly<Record<string, { eventSource: string; lifetimeMs?: number }>> = {
  GetSessionToken: { eventSource: STS, lifetimeMs: USER_CREDENTIAL_LIFETIME_MS },
  GetFederationToken: { eventSource: STS, lifetimeMs: USER_CREDENTIAL_LIFETIME_MS },
  AssumeRole: { eventSource: STS, lifetimeMs: ROLE_CREDENTIAL_LIFETIME_MS },
  AssumeRoleWithSAML: { eventSource: STS, lifetimeMs: ROLE_CREDENTIAL_LIFETIME_MS },
  AssumeRoleWithWebIdentity: { eventSource: STS, lifetimeMs: ROLE_CREDENTIAL_LIFETIME_MS },
  AssumeRoot: { eventSource: STS, lifetimeMs: ROOT_SESSION_MS },
  CreateAccessKey: { eventSource: IAM },
  CreateUser: { eventSource: IAM },
  CreateLoginProfile: { eventSource: IAM },
  UpdateLoginProfile: { eventSource: IAM },
};

/** The longest a credential minted by each minting call of {@link LEAD_CALL_TABLE} can live. */
export const MAX_LIFETIME_MS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(LEAD_CALL_TABLE).flatMap(([name, { lifetimeMs }]) =>
    lifetimeMs === undefined ? [] : [[name, lifetimeMs]],
  ),
);

/**
 * Whether an event is a call of {@link LEAD_CALL_TABLE}: its name, from its own service. Only the
 * table's own keys: `__proto__` in a forged record is no lead call.
 */
export function isLeadCall(event: Pick<ReviewEvent, "eventName" | "eventSource">): boolean {
  return (
    Object.hasOwn(LEAD_CALL_TABLE, event.eventName) &&
    LEAD_CALL_TABLE[event.eventName].eventSource === event.eventSource
  );
}

/**
 * Whether an event opened a console session from its caller's key: a successful GetSigninToken of
 * the federation endpoint. The console then signs its calls with keys of its own, which no event
 * the chain reads mints or names. CloudTrail writes a refused one with `GetSigninToken: "Failure"`
 * in its response, with or without an error code; one that says neither counts as opened.
 */
export function opensConsole(event: Pick<ReviewEvent, "eventName" | "errorCode" | "responseElements">): boolean {
  const response = event.responseElements as { GetSigninToken?: unknown } | null;
  return event.eventName === "GetSigninToken" && event.errorCode === null && response?.GetSigninToken !== "Failure";
}

/**
 * The latest a console session opened at `at` can end: the later of its key's own end (null:
 * unbounded) and {@link CONSOLE_SESSION_MS} after it.
 */
export function consoleSessionEnd(at: number, keyEnd: number | null): number | null {
  return keyEnd === null ? null : Math.max(keyEnd, at + CONSOLE_SESSION_MS);
}

/**
 * How far before a review's start the chain reads: the longest a minted credential lives. A
 * session minted before the window can be used in it, and is found only through the call that
 * minted it; every credential alive at the window's start was minted at most this long before.
 */
export const LOOKBACK_MS = Object.values(MAX_LIFETIME_MS).reduce((longest, ms) => Math.max(longest, ms), 0);

/**
 * What a review of `window` reads: from {@link LOOKBACK_MS} before its start, for the calls that
 * minted credentials still alive at its start. Sources that choose what to read by time (the days
 * of a trail's bucket) read this; the events before the window's start count only as those calls.
 */
export function readWindow(window: Window): Window {
  return { start: window.start === null ? null : window.start - LOOKBACK_MS, end: window.end };
}

/** Where a key or user came from: shared by the chain's leads and the report's key nodes. */
export interface Provenance {
  /** The key (or `user:NAME`) whose call revealed the subject; null for the reviewed key. */
  parent: string | null;
  /** The call that minted or created it; null for the reviewed key. */
  mintedBy: string | null;
  mintedAt: string | null;
  mintedEventId: string | null;
  /** For AssumeRole: the role whose session the key belongs to. */
  roleArn: string | null;
  /** For CreateAccessKey: the user the new key belongs to. */
  userName: string | null;
}

/** How the review came to a subject. */
export interface Lead extends Provenance {
  subject: Subject;
  window: Window;
}

export function subjectId(subject: Subject): string {
  return subject.kind === "key" ? subject.accessKeyId : `user:${subject.accountId ?? "?"}:${subject.userName}`;
}

/**
 * Whether an event is the subject's: signed by the key, or made by the IAM user (in the console or
 * with its own keys). LookupEvents' `Username` also matches role sessions of that name, which are
 * not the user.
 */
export function belongsTo(subject: Subject, event: ReviewEvent): boolean {
  if (subject.kind === "key") return event.accessKeyId === subject.accessKeyId;
  return (
    event.identityType === "IAMUser" &&
    event.userName === subject.userName &&
    (subject.accountId === null || event.accountId === subject.accountId)
  );
}

/** The name a report shows for the caller of an event: its key, or `user:NAME` for keyless calls. */
export function callerOf(event: ReviewEvent): string {
  return event.accessKeyId ?? `user:${event.userName ?? "?"}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * CloudTrail writes credential expirations either as ISO 8601 or, in STS events, as
 * `Jul 10, 2023, 12:09:47 PM` (UTC, no zone given). Returns epoch milliseconds, or null.
 */
export function parseExpiration(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const stsFormat = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/.exec(value.trim());
  if (stsFormat) {
    const [, month, day, year, hour, minute, second, half] = stsFormat;
    const monthIndex = MONTHS.indexOf(month);
    if (monthIndex < 0) return null;
    const hour24 = (Number(hour) % 12) + (half === "PM" ? 12 : 0);
    return Date.UTC(Number(year), monthIndex, Number(day), hour24, Number(minute), Number(second));
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(/[zZ]|[+-]\d{2}:\d{2}$/.test(value) ? value : `${value}Z`);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function stringField(value: unknown, ...path: string[]): string | null {
  const found = field(value, ...path);
  return typeof found === "string" && found !== "" ? found : null;
}

function minEnd(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** The names of the calls {@link leadsFrom} reads leads from; no other call can reveal a key or a user. */
export const LEAD_CALLS: ReadonlySet<string> = new Set(Object.keys(LEAD_CALL_TABLE));

/**
 * Whether an event may reveal a subject that the chain can reach: a successful lead call whose
 * caller can be a subject (a key, or an IAM user). Readers note these, and only these, to find
 * the chain's subjects before they read the subjects' own events. A reader that sees only the
 * record's name (the log readers' byte-level look, before a record is parsed) leaves
 * `eventSource` out and keeps a superset; given, it must be the call's own service.
 */
export function mayLead(
  event: Pick<ReviewEvent, "eventName" | "errorCode" | "accessKeyId" | "identityType"> & { eventSource?: string },
): boolean {
  return (
    LEAD_CALLS.has(event.eventName) &&
    (event.eventSource === undefined || isLeadCall({ eventName: event.eventName, eventSource: event.eventSource })) &&
    event.errorCode === null &&
    (event.accessKeyId !== null || event.identityType === "IAMUser")
  );
}

/**
 * The subjects one event reveals, each with the window in which it can have been used: a minted
 * key from its minting to its expiry (never past the review's end), a created key or user from its
 * creation to the review's end. Only successful calls reveal anything.
 */
export function leadsFrom(event: ReviewEvent, reviewEnd: number | null): Lead[] {
  if (event.errorCode !== null || !isLeadCall(event)) return [];
  const at = Date.parse(event.eventTime);
  const base = {
    parent: callerOf(event),
    mintedBy: event.eventName,
    mintedAt: event.eventTime,
    mintedEventId: event.eventId,
    roleArn: null,
    userName: null,
  };
  const lifetime = LEAD_CALL_TABLE[event.eventName].lifetimeMs;
  if (lifetime !== undefined) {
    const minted = stringField(event.responseElements, "credentials", "accessKeyId");
    if (minted === null || !ANY_KEY_ID.test(minted)) return [];
    const expiry = parseExpiration(field(event.responseElements, "credentials", "expiration")) ?? at + lifetime;
    return [
      {
        ...base,
        subject: { kind: "key", accessKeyId: minted },
        window: { start: at, end: minEnd(expiry, reviewEnd) },
        roleArn: event.eventName.startsWith("AssumeRole") ? stringField(event.requestParameters, "roleArn") : null,
      },
    ];
  }
  if (event.eventName === "CreateAccessKey") {
    const created = stringField(event.responseElements, "accessKey", "accessKeyId");
    if (created === null || !ANY_KEY_ID.test(created)) return [];
    // Without userName, CreateAccessKey makes a key for the caller's own user.
    const owner =
      stringField(event.responseElements, "accessKey", "userName") ??
      stringField(event.requestParameters, "userName") ??
      event.userName;
    return [
      {
        ...base,
        subject: { kind: "key", accessKeyId: created },
        window: { start: at, end: reviewEnd },
        userName: owner,
      },
    ];
  }
  if (
    event.eventName === "CreateUser" ||
    event.eventName === "CreateLoginProfile" ||
    event.eventName === "UpdateLoginProfile"
  ) {
    // Without userName, a login profile call changes the caller's own password: a root session's
    // (AssumeRoot with IAMCreateRootUserPassword) is the root user's, which is no IAM user.
    if (
      event.eventName !== "CreateUser" &&
      event.identityType === "Root" &&
      stringField(event.requestParameters, "userName") === null
    )
      return [];
    const userName =
      stringField(event.responseElements, "user", "userName") ??
      stringField(event.requestParameters, "userName") ??
      event.userName;
    if (userName === null) return [];
    return [
      {
        ...base,
        subject: { kind: "user", userName, accountId: event.accountId },
        window: { start: at, end: reviewEnd },
      },
    ];
  }
  return [];
}

const lo = (bound: number | null) => bound ?? -Infinity;
const hi = (bound: number | null) => bound ?? Infinity;
const bound = (value: number) => (Number.isFinite(value) ? value : null);

/**
 * The parts of `wanted` outside `covered` (at most two intervals). A subject reached twice is a
 * user or a created key, whose windows all end at the review's end, so the covered hull has no gaps.
 */
export function uncoveredWindows(covered: Window | undefined, wanted: Window): Window[] {
  if (covered === undefined) return [wanted];
  const pieces: Window[] = [];
  if (lo(wanted.start) < lo(covered.start))
    pieces.push({ start: wanted.start, end: bound(Math.min(lo(covered.start), hi(wanted.end))) });
  if (hi(wanted.end) > hi(covered.end))
    pieces.push({ start: bound(Math.max(hi(covered.end), lo(wanted.start))), end: wanted.end });
  return pieces;
}

function hull(a: Window | undefined, b: Window): Window {
  if (a === undefined) return b;
  return { start: bound(Math.min(lo(a.start), lo(b.start))), end: bound(Math.max(hi(a.end), hi(b.end))) };
}

/** The result of following the chain: every subject with the lead that reached it first, every event once. */
export interface Chain {
  root: string;
  window: Window;
  /** One lead per subject: the reviewed key first, then in the order of the calls that revealed them. */
  leads: Lead[];
  /** Every event of every subject within the window, once (each conflicting copy once), in time order. */
  events: ReviewEvent[];
  /**
   * The calls before the window that minted or created what was still alive at its start, and
   * which the chain followed into it (see {@link readWindow}), and the console sessions opened
   * before it and alive into it ({@link opensConsole}), in time order. Every other event before the
   * window is left out.
   */
  earlier: ReviewEvent[];
}

/** What makes an event itself: its id, and for copies that conflict, where the copy was read. */
export function eventKey(event: ReviewEvent): string {
  return event.conflict === undefined
    ? event.eventId
    : `${event.eventId}\u0000${event.conflict.file}\u0000${event.conflict.record}`;
}

function byTimeThenId(
  a: { eventTime: string; eventId: string; conflict?: ReviewEvent["conflict"] },
  b: { eventTime: string; eventId: string; conflict?: ReviewEvent["conflict"] },
): number {
  return (
    Date.parse(a.eventTime) - Date.parse(b.eventTime) ||
    compareText(a.eventId, b.eventId) ||
    compareText(a.conflict?.file ?? "", b.conflict?.file ?? "") ||
    (a.conflict?.record ?? 0) - (b.conflict?.record ?? 0)
  );
}

function leadOrder(a: Lead, b: Lead): number {
  if (a.mintedAt === null || b.mintedAt === null) return a.mintedAt === null ? (b.mintedAt === null ? 0 : -1) : 1;
  return (
    byTimeThenId(
      { eventTime: a.mintedAt, eventId: a.mintedEventId ?? "" },
      { eventTime: b.mintedAt, eventId: b.mintedEventId ?? "" },
    ) || subjectId(a.subject).localeCompare(subjectId(b.subject))
  );
}

/**
 * Reviews `root` within `window`, then every subject its events reveal, recursively; a subject
 * reached twice is read once, over the union of its windows. The reviewed key is read from
 * {@link LOOKBACK_MS} before the window: a call there that minted or created something still
 * alive at the window's start is followed, and kept in {@link Chain.earlier}. Subjects are read
 * concurrently as they are found. Rejects with the first error of the source, after every read
 * has settled.
 */
export async function followChain(root: string, window: Window, source: EventSource): Promise<Chain> {
  const events = new Map<string, ReviewEvent>();
  const earlier = new Map<string, ReviewEvent>();
  const leads = new Map<string, Lead[]>();
  const covered = new Map<string, Window>();
  const running = new Set<Promise<void>>();
  const errors: unknown[] = [];

  const follow = (lead: Lead) => {
    const id = subjectId(lead.subject);
    const known = leads.get(id);
    if (known === undefined) leads.set(id, [lead]);
    else known.push(lead);
    const pieces = uncoveredWindows(covered.get(id), lead.window);
    covered.set(id, hull(covered.get(id), lead.window));
    for (const piece of pieces) {
      const read: Promise<void> = source(lead.subject, piece, deliver)
        .catch((error: unknown) => {
          errors.push(error);
        })
        .finally(() => running.delete(read));
      running.add(read);
    }
  };
  const deliver = (batch: ReviewEvent[]) => {
    for (const event of batch) {
      const key = eventKey(event);
      if (events.has(key) || earlier.has(key)) continue;
      const before = window.start !== null && Date.parse(event.eventTime) < window.start;
      // Before the window, only what is still alive at its start leads anywhere.
      const leads = leadsFrom(event, window.end).filter(
        (lead) => !before || lead.window.end === null || lead.window.end >= (window.start as number),
      );
      // A console session opened before the window and alive into it is named as one opened in it.
      const liveConsole =
        before &&
        opensConsole(event) &&
        hi(consoleSessionEnd(Date.parse(event.eventTime), covered.get(event.accessKeyId ?? "")?.end ?? null)) >=
          (window.start as number);
      if (before && leads.length === 0 && !liveConsole) continue;
      (before ? earlier : events).set(key, event);
      for (const lead of leads) {
        if (subjectId(lead.subject) !== root) follow(lead);
      }
    }
  };

  follow({
    subject: { kind: "key", accessKeyId: root },
    window: readWindow(window),
    parent: null,
    mintedBy: null,
    mintedAt: null,
    mintedEventId: null,
    roleArn: null,
    userName: null,
  });
  while (running.size > 0) await Promise.all([...running]);
  if (errors.length > 0) throw errors[0];

  // The first lead by time, not by arrival: sources answer in any order, reports must not vary.
  const firstLeads = [...leads.values()].map((all) => [...all].sort(leadOrder)[0]).sort(leadOrder);
  return {
    root,
    window,
    leads: firstLeads,
    events: inTimeOrder(events.values()),
    earlier: inTimeOrder(earlier.values()),
  };
}

function inTimeOrder(events: Iterable<ReviewEvent>): ReviewEvent[] {
  // Each event's instant read once, not at every comparison of the sort.
  const byTime = [...events].map((event) => ({ at: Date.parse(event.eventTime), event }));
  byTime.sort((a, b) => a.at - b.at || byTimeThenId(a.event, b.event));
  return byTime.map(({ event }) => event);
}
