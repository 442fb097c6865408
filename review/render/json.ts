/**
 * The `--json` contract, written in pieces of whole lines: the events one by one, so that neither
 * a copy of every event nor the whole text is ever in memory at once.
 */
import type { Finding, Review } from "../core/findings.ts";
import { PERSISTENCE_CATEGORIES } from "../core/findings.ts";
import { eventHeader } from "../core/event.ts";
import { reachOf } from "../core/reach.ts";
import { NO_INSTANTS } from "../core/timeline.ts";
import { incomplete, type ReviewContext } from "./context.ts";
import { consoleSessionReasons, keyNotFound, unreadAccountReasons } from "./parts.ts";

/**
 * The `--json` contract: `keys`, `events`, `persistence`, `rolesAssumed` with the fields
 * docs/review.md documents (section JSON), and more beside them.
 * @see ../docs/review.md#json
 */
export function renderJson(review: Review, context: ReviewContext): string {
  return [...renderJsonChunks(review, context)].join("");
}

/** A value the JSON writes one item at a time: the events, the largest part by far. */
class Items<T> {
  readonly items: readonly T[];
  readonly map: (item: T) => unknown;
  constructor(items: readonly T[], map: (item: T) => unknown) {
    this.items = items;
    this.map = map;
  }
}

/**
 * `JSON.stringify(value, null, 2)` as it reads nested `depth` levels deep: the value stringified
 * inside `depth` arrays, and the arrays cut off (one string made per value, not two).
 */
function nestedJson(value: unknown, depth: number): string {
  let wrapped: unknown = value;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  // Before it, `[\n` and the indentation of each level (`[\n  [\n    ` for depth 2); after it, the same closed (`\n  ]\n]`).
  return text.slice(depth * (depth + 3), text.length - depth * (depth + 1));
}

/**
 * {@link renderJson} in pieces, byte for byte the same text: the events are written one by one,
 * so that neither a copy of every event nor the whole text is ever in memory at once.
 */
export function* renderJsonChunks(review: Review, context: ReviewContext): Generator<string> {
  const toFinding = (f: Finding) => ({
    eventId: f.eventId,
    eventName: f.eventName,
    eventSource: f.eventSource,
    eventTime: f.eventTime,
    region: f.region,
    accessKeyId: f.accessKeyId,
    by: f.by,
    category: f.category,
    target: f.target,
    ...(f.conflict === undefined ? {} : { conflict: f.conflict }),
  });
  const earlier = new Set(review.earlier);
  const document = {
    review: {
      accessKeyId: review.root,
      since: review.since,
      until: review.until,
      source: context.source,
      complete: !incomplete(review, context),
      failedRegions: context.failed,
      notEnabledRegions: context.notEnabled,
      // The parts of the source, then the accounts reached, that were not read, then the console sessions not followed.
      unreadable: [
        ...(context.unreadable ?? []),
        ...unreadAccountReasons(review, context).map(({ account, reason }) => ({
          part: `account ${account}`,
          reason,
          account,
        })),
        ...consoleSessionReasons(review).map(({ part, reason }, i) => ({
          part,
          reason,
          principalArn: review.consoleSessions[i].principalArn,
          from: review.consoleSessions[i].from,
          until: review.consoleSessions[i].until,
        })),
      ],
      keyFound: !keyNotFound(review),
      incident: context.instants ?? NO_INSTANTS,
    },
    conflicts: context.conflicts ?? [],
    keys: review.keys,
    users: review.users,
    // The calls before the window the review followed into it come first (they are earlier), marked.
    events: new Items([...review.earlier, ...review.events], (event) => ({
      ...eventHeader(event),
      accessKeyId: event.accessKeyId,
      readOnly: event.readOnly,
      readOnlyDerived: event.readOnlyDerived,
      sourceIPAddress: event.sourceIPAddress,
      userAgent: event.userAgent,
      errorCode: event.errorCode,
      errorMessage: event.errorMessage,
      userName: event.userName,
      principalArn: event.principalArn,
      requestParameters: event.requestParameters,
      responseElements: event.responseElements,
      ...(event.conflict === undefined ? {} : { conflict: event.conflict }),
      ...(earlier.has(event) ? { beforeWindow: true } : {}),
    })),
    persistence: review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category)).map(toFinding),
    otherFindings: review.findings.filter((f) => !PERSISTENCE_CATEGORIES.includes(f.category)).map(toFinding),
    rolesAssumed: review.rolesAssumed,
    accounts: review.accounts,
    writes: review.writes,
    denied: review.denied,
    sourceIPs: review.sourceIPs.map((t) => ({
      address: t.value,
      count: t.count,
      firstSeen: t.firstSeen,
      lastSeen: t.lastSeen,
    })),
    userAgents: review.userAgents.map((t) => ({
      userAgent: t.value,
      count: t.count,
      firstSeen: t.firstSeen,
      lastSeen: t.lastSeen,
    })),
    regions: review.regions.map((t) => ({ region: t.value, count: t.count })),
    reach: reachOf(review, context.capabilities ?? null),
  };
  const fields = Object.entries(document);
  yield "{\n";
  for (const [i, [name, value]] of fields.entries()) {
    const comma = i < fields.length - 1 ? "," : "";
    if (!(value instanceof Items) || value.items.length === 0) {
      yield `  ${JSON.stringify(name)}: ${nestedJson(value instanceof Items ? [] : value, 1)}${comma}\n`;
      continue;
    }
    yield `  ${JSON.stringify(name)}: [\n`;
    const last = value.items.length - 1;
    for (const [j, item] of value.items.entries())
      yield `    ${nestedJson(value.map(item), 2)}${j < last ? "," : ""}\n`;
    yield `  ]${comma}\n`;
  }
  yield "}\n";
}
