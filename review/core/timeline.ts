/**
 * The key's activity over time, as the pictures draw it (a Mermaid gantt in the markdown, an SVG
 * in the HTML page): one lane per identity (the reviewed key, each key it minted or created, each
 * user it created, each role assumed, each account reached), the calls of each lane counted per
 * time bucket, runs of busy buckets drawn as one bar, and marked: calls that failed or were
 * denied, the persistence and exfiltration findings, the incident's cutoff and containment instant.
 *
 * Pure, and bounded whatever the event count: the bucket grows until the bars and marks fit
 * {@link TIMELINE_LIMITS}, so that the diagram stays within what GitHub draws (review/render/mermaid.ts).
 */
import { ACCOUNT_ID } from "../../incident/fields.ts";
import { compareText } from "../../incident/order.ts";
import { callerOf } from "./chain.ts";
import { isDenied, PERSISTENCE_CATEGORIES, type Review } from "./findings.ts";

/** What the incident knows of the key, beside its events: marked on the timeline where known. */
export interface IncidentInstants {
  /** The incident's cutoff (sessions minted before it are denied), an ISO instant; null when not known. */
  cutoff: string | null;
  /** When `pulumi up` contained the key (disabled it), an ISO instant; null when not known. */
  containedAt: string | null;
}

export const NO_INSTANTS: IncidentInstants = { cutoff: null, containedAt: null };

export type LaneKind = "key" | "user" | "role" | "account";

export interface Lane {
  kind: LaneKind;
  /** The key id, `user:NAME`, the role ARN or the account id; for a folded lane, what it holds in words. */
  name: string;
  /** What the identity is to the review: `reviewed key`, `AssumeRole deploy`, `created for svc-backup`… */
  note: string;
  /** How many identities of its kind the lane folds together (the ones beyond the lane limit); 0 for one identity's lane. */
  folded: number;
  /** Its calls in the whole review. */
  calls: number;
}

/** A run of consecutive buckets of one lane in which calls were made, all alike (none failed, or some failed, or some were denied). */
export interface TimelineBar {
  /** Index into {@link Timeline.lanes}. */
  lane: number;
  /** Epoch milliseconds: the first bucket's start, the last bucket's end. */
  start: number;
  end: number;
  calls: number;
  /** Calls that failed for a reason other than a denial. */
  failed: number;
  denied: number;
}

export type MarkKind = "cutoff" | "containment" | "persistence" | "exfiltration";

export interface TimelineMark {
  kind: MarkKind;
  /** Epoch milliseconds: the instant itself for the cutoff and the containment; the bucket's start for findings. */
  at: number;
  /** Findings in the bucket (1 for an instant). */
  count: number;
  /** The calls found, sorted (findings only). */
  calls: string[];
}

export interface Timeline {
  /** The first bucket's start and the last bucket's end (epoch milliseconds); equal when there is nothing to draw. */
  start: number;
  end: number;
  bucketMs: number;
  lanes: Lane[];
  bars: TimelineBar[];
  marks: TimelineMark[];
  /** The events drawn: every event of the review. */
  events: number;
}

/**
 * How much a timeline holds at most, whatever the review: lanes of each kind (the last one folds
 * the rest), buckets across the span, and bars and marks together (the gantt's tasks). With
 * these, review/render/mermaid.ts's text stays under a third of GitHub's 50,000 characters.
 */
export const TIMELINE_LIMITS = { keyLanes: 10, roleLanes: 6, accountLanes: 6, buckets: 72, items: 240 } as const;

const MINUTE = 60_000;
/** Bucket sizes people read at a glance; beyond the last, the size doubles. */
const BUCKETS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((minutes) => minutes * MINUTE);

/** The bucket sizes to try, finest first: the ladder, then doubling without end. */
function* bucketSizes(): Generator<number> {
  yield* BUCKETS;
  for (let size = BUCKETS[BUCKETS.length - 1] * 2; ; size *= 2) yield size;
}

interface Identity {
  kind: LaneKind;
  name: string;
  note: string;
  calls: number;
  /** Tree order among identities of equal calls. */
  order: number;
}

/** The role's name in its ARN (the last part of its path). */
function roleNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/**
 * The lanes of one kind: the identities that made or received calls, the busiest first (the
 * reviewed key always first), at most `limit`, the last folding every other one.
 */
function lanesOf(
  identities: Identity[],
  limit: number,
  folded: (count: number) => string,
  kind: LaneKind,
  first: string | null,
): { lanes: Lane[]; laneOf: Map<string, number> } {
  const active = identities
    .filter((identity) => identity.calls > 0)
    .sort((a, b) => Number(b.name === first) - Number(a.name === first) || b.calls - a.calls || a.order - b.order);
  const kept = active.length <= limit ? active : active.slice(0, limit - 1);
  const lanes: Lane[] = kept.map(({ kind: k, name, note, calls }) => ({ kind: k, name, note, folded: 0, calls }));
  const laneOf = new Map<string, number>(kept.map((identity, i) => [identity.name, i]));
  if (kept.length < active.length) {
    const rest = active.slice(kept.length);
    lanes.push({
      kind,
      name: folded(rest.length),
      note: "",
      folded: rest.length,
      calls: rest.reduce((sum, identity) => sum + identity.calls, 0),
    });
    for (const identity of rest) laneOf.set(identity.name, lanes.length - 1);
  }
  return { lanes, laneOf };
}

type Status = "ok" | "failed" | "denied";

/** The timeline of a review, marked with the incident's instants where known. */
export function timelineOf(review: Review, instants: IncidentInstants = NO_INSTANTS): Timeline {
  // Who made each call: the reviewed key, the keys it minted or created, the users it created (keyless console calls).
  const callerCalls = new Map<string, number>();
  const roleCalls = new Map<string, number>();
  const accountCalls = new Map<string, number>();
  const roleOfKey = new Map<string, string>();
  for (const key of review.keys) if (key.roleArn !== null) roleOfKey.set(key.accessKeyId, key.roleArn);
  const count = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1);
  for (const event of review.events) {
    const caller = callerOf(event);
    count(callerCalls, caller);
    const role = event.accessKeyId === null ? undefined : roleOfKey.get(event.accessKeyId);
    if (role !== undefined) count(roleCalls, role);
    // Only account ids: a forged log can write anything in recipientAccountId.
    if (event.recipientAccountId !== null && ACCOUNT_ID.test(event.recipientAccountId))
      count(accountCalls, event.recipientAccountId);
  }

  const callers: Identity[] = review.keys.map((key, order) => ({
    kind: "key",
    name: key.accessKeyId,
    note:
      key.mintedBy === null
        ? "reviewed key"
        : key.roleArn !== null
          ? `${key.mintedBy} ${roleNameOf(key.roleArn)}`
          : key.mintedBy === "CreateAccessKey" && key.userName !== null
            ? `created for ${key.userName}`
            : key.mintedBy,
    calls: callerCalls.get(key.accessKeyId) ?? 0,
    order,
  }));
  const known = new Set(callers.map((caller) => caller.name));
  // Keyless callers: the users the chain created or gave a password, signing in to the console.
  for (const [name, calls] of [...callerCalls].sort(([a], [b]) => compareText(a, b))) {
    if (!known.has(name)) callers.push({ kind: "user", name, note: "console", calls, order: callers.length });
  }
  // The reviewed key leads its lanes, and its account theirs, whatever their counts.
  const keyLanes = lanesOf(callers, TIMELINE_LIMITS.keyLanes, (n) => `${n} more keys and users`, "key", review.root);

  const roles = [...roleCalls]
    .sort(([a], [b]) => compareText(a, b))
    .map(([name, calls], order): Identity => ({ kind: "role", name, note: roleNameOf(name), calls, order }));
  const roleLanes = lanesOf(roles, TIMELINE_LIMITS.roleLanes, (n) => `${n} more roles`, "role", null);
  const accounts = [...accountCalls]
    .sort(([a], [b]) => compareText(a, b))
    .map(
      ([name, calls], order): Identity => ({
        kind: "account",
        name,
        note: name === review.keyAccount ? "the reviewed key's" : "",
        calls,
        order,
      }),
    );
  const accountLanes = lanesOf(
    accounts,
    TIMELINE_LIMITS.accountLanes,
    (n) => `${n} more accounts`,
    "account",
    review.keyAccount,
  );

  const lanes = [...keyLanes.lanes, ...roleLanes.lanes, ...accountLanes.lanes];
  const roleBase = keyLanes.lanes.length;
  const accountBase = roleBase + roleLanes.lanes.length;

  // Every event's lanes, once: its caller's, its role's, its account's.
  const at: number[] = [];
  const eventLanes: number[][] = [];
  const status: Status[] = [];
  for (const event of review.events) {
    at.push(Date.parse(event.eventTime));
    const own: number[] = [];
    const caller = keyLanes.laneOf.get(callerOf(event));
    if (caller !== undefined) own.push(caller);
    const role = event.accessKeyId === null ? undefined : roleOfKey.get(event.accessKeyId);
    const roleLane = role === undefined ? undefined : roleLanes.laneOf.get(role);
    if (roleLane !== undefined) own.push(roleBase + roleLane);
    const account = event.recipientAccountId === null ? undefined : accountLanes.laneOf.get(event.recipientAccountId);
    if (account !== undefined) own.push(accountBase + account);
    eventLanes.push(own);
    status.push(event.errorCode === null ? "ok" : isDenied(event) ? "denied" : "failed");
  }
  const findings = review.findings.flatMap((finding) => {
    const kind: MarkKind | null = PERSISTENCE_CATEGORIES.includes(finding.category)
      ? "persistence"
      : finding.category === "exfiltration"
        ? "exfiltration"
        : null;
    return kind === null ? [] : [{ kind, at: Date.parse(finding.eventTime), call: finding.eventName }];
  });
  const instantMarks: TimelineMark[] = [];
  for (const [kind, value] of [
    ["cutoff", instants.cutoff],
    ["containment", instants.containedAt],
  ] as const) {
    const ms = value === null ? NaN : Date.parse(value);
    if (Number.isFinite(ms)) instantMarks.push({ kind, at: ms, count: 1, calls: [] });
  }

  const times = [...at, ...instantMarks.map((mark) => mark.at)];
  if (times.length === 0) return { start: 0, end: 0, bucketMs: BUCKETS[0], lanes, bars: [], marks: [], events: 0 };
  let first = Infinity;
  let last = -Infinity;
  for (const time of times) {
    if (time < first) first = time;
    if (time > last) last = time;
  }

  for (const bucketMs of bucketSizes()) {
    const origin = Math.floor(first / bucketMs) * bucketMs;
    const buckets = Math.floor((last - origin) / bucketMs) + 1;
    if (buckets > TIMELINE_LIMITS.buckets) continue;
    const bucketOf = (time: number) => Math.floor((time - origin) / bucketMs);
    const bars = barsOf(buckets, at.map(bucketOf), eventLanes, status, origin, bucketMs);
    const marks = [...instantMarks, ...findingMarks(findings, bucketOf, origin, bucketMs)];
    // Within the limit, or as coarse as it gets (every bucket holds all): what is left cannot shrink.
    if (bars.length + marks.length <= TIMELINE_LIMITS.items || buckets === 1) {
      return {
        start: origin,
        end: origin + buckets * bucketMs,
        bucketMs,
        lanes,
        bars,
        marks,
        events: review.events.length,
      };
    }
  }
  throw new Error("unreachable: the bucket grows until one holds everything");
}

/** Each lane's busy buckets, runs of alike ones joined into bars. */
function barsOf(
  buckets: number,
  bucketOf: number[],
  eventLanes: number[][],
  status: Status[],
  origin: number,
  bucketMs: number,
): TimelineBar[] {
  // Per lane and bucket: calls, failed, denied. Sparse: a long review has few busy buckets.
  const cells = new Map<number, { calls: number; failed: number; denied: number }>();
  for (let i = 0; i < bucketOf.length; i++) {
    for (const lane of eventLanes[i]) {
      const key = lane * buckets + bucketOf[i];
      let cell = cells.get(key);
      if (cell === undefined) cells.set(key, (cell = { calls: 0, failed: 0, denied: 0 }));
      cell.calls++;
      if (status[i] === "failed") cell.failed++;
      if (status[i] === "denied") cell.denied++;
    }
  }
  const statusOf = (cell: { failed: number; denied: number }): Status =>
    cell.denied > 0 ? "denied" : cell.failed > 0 ? "failed" : "ok";
  const bars: TimelineBar[] = [];
  for (const key of [...cells.keys()].sort((a, b) => a - b)) {
    const cell = cells.get(key) as { calls: number; failed: number; denied: number };
    const lane = Math.floor(key / buckets);
    const bucket = key % buckets;
    const previous = bars[bars.length - 1];
    const joins =
      previous !== undefined &&
      previous.lane === lane &&
      previous.end === origin + bucket * bucketMs &&
      statusOf(previous) === statusOf(cell);
    if (joins) {
      previous.end += bucketMs;
      previous.calls += cell.calls;
      previous.failed += cell.failed;
      previous.denied += cell.denied;
    } else {
      bars.push({ lane, start: origin + bucket * bucketMs, end: origin + (bucket + 1) * bucketMs, ...cell });
    }
  }
  return bars;
}

/** One mark per kind of finding and bucket, with the calls found in it. */
function findingMarks(
  findings: { kind: MarkKind; at: number; call: string }[],
  bucketOf: (time: number) => number,
  origin: number,
  bucketMs: number,
): TimelineMark[] {
  const marks = new Map<string, TimelineMark>();
  for (const finding of findings) {
    const bucket = bucketOf(finding.at);
    const key = `${finding.kind} ${bucket}`;
    let mark = marks.get(key);
    if (mark === undefined)
      marks.set(key, (mark = { kind: finding.kind, at: origin + bucket * bucketMs, count: 0, calls: [] }));
    mark.count++;
    if (!mark.calls.includes(finding.call)) mark.calls.push(finding.call);
  }
  return [...marks.values()]
    .map((mark) => ({ ...mark, calls: mark.calls.sort(compareText) }))
    .sort((a, b) => a.at - b.at || compareText(a.kind, b.kind));
}
