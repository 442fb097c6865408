/**
 * `review --athena TABLE`: the review as SQL over a CloudTrail table (the one `cordon athena-table`
 * declares), one query per round of the chain. The chain is review/core/chain.ts's own: its reads are
 * gathered into rounds (every subject the last round revealed, in one query), so the findings are
 * those of every other source over the same events.
 *
 * Every query carries partition predicates (the days of the round's windows, the accounts, the
 * regions): none scans the whole trail. Everything in the SQL that came from a user or a log is a
 * checked identifier or an escaped literal.
 *
 * Pure: the queries run through a {@link QueryRunner} (Athena in aws/athena.ts; DuckDB over the
 * same files in the tests, to check that the SQL means what it says).
 */
import { belongsTo, followChain, type Chain, type EventSource, type Subject, type Window } from "../core/chain.ts";
import { fromRecord, type Conflict, type ReviewEvent } from "../core/event.ts";
import { compareText } from "../../incident/order.ts";
import { ACCOUNT_ID } from "../../incident/fields.ts";
import { REGION_NAME } from "../core/regions.ts";
import { deliveryDays } from "./layout.ts";
import { sqlName, sqlString } from "./sql.ts";

/**
 * Athena's price for DML queries in most regions: USD 5 per TB scanned, rounded up to the megabyte,
 * with a 10 MB minimum per query (cordon counts MB and TB in powers of 2, as AWS bills data).
 * @see https://aws.amazon.com/athena/pricing/
 * @default 5
 */
export const ATHENA_USD_PER_TB = 5;
const MB = 1024 * 1024;
const TB = 1024 ** 4;

/** What a query that scanned `bytes` costs at `usdPerTb`. */
export function queryCost(bytes: number, usdPerTb: number = ATHENA_USD_PER_TB): number {
  return (Math.max(10, Math.ceil(bytes / MB)) * MB * usdPerTb) / TB;
}

/** The columns a round reads, by the names the rows carry. Every one is a column of the documented table. */
const COLUMNS = [
  "eventid",
  "eventname",
  "eventsource",
  "eventtime",
  "awsregion",
  "accesskeyid",
  "username",
  "issuerusername",
  "arn",
  "identitytype",
  "accountid",
  "recipientaccountid",
  "readonly",
  "sourceipaddress",
  "useragent",
  "errorcode",
  "errormessage",
  "requestparameters",
  "responseelements",
  "path",
] as const;
export type Row = Partial<Record<(typeof COLUMNS)[number], string | null>>;

/** How one engine spells the table and its columns; the query's logic is the same for all. */
export interface Dialect {
  /** What follows FROM. */
  from: string;
  /** The expression of a column, by the names in {@link COLUMNS}. */
  column(name: (typeof COLUMNS)[number]): string;
  /** The partition columns. */
  partition: { account: string; region: string; day: string };
}

const ATHENA_COLUMNS: Record<(typeof COLUMNS)[number], string> = {
  eventid: "eventid",
  eventname: "eventname",
  eventsource: "eventsource",
  eventtime: "eventtime",
  awsregion: "awsregion",
  accesskeyid: "useridentity.accesskeyid",
  username: "useridentity.username",
  issuerusername: "useridentity.sessioncontext.sessionissuer.username",
  arn: "useridentity.arn",
  identitytype: "useridentity.type",
  accountid: "useridentity.accountid",
  recipientaccountid: "recipientaccountid",
  readonly: "readonly",
  sourceipaddress: "sourceipaddress",
  useragent: "useragent",
  errorcode: "errorcode",
  errormessage: "errormessage",
  requestparameters: "requestparameters",
  responseelements: "responseelements",
  // Athena's pseudo-column: the S3 object a row was read from.
  path: '"$path"',
};

/** Athena (Trino) over the table `athena-table` declares. */
export function athenaDialect(database: string, table: string): Dialect {
  return {
    from: `${sqlName(database)}.${sqlName(table)}`,
    column: (name) => ATHENA_COLUMNS[name],
    partition: { account: "account", region: "region", day: '"timestamp"' },
  };
}

/** What one round asks: each subject over its window. */
export interface RoundRequest {
  subject: Subject;
  window: Window;
}

export interface RoundScope {
  /** Accounts, the table's injected partition: required. */
  accounts: readonly string[];
  /** @default every region */
  regions?: readonly string[];
}

/** The largest number of subjects in one query; a round with more runs several (Athena takes 256 KB of SQL). */
export const SUBJECTS_PER_QUERY = 1000;

const lo = (window: Window) => window.start ?? -Infinity;
const hi = (window: Window) => window.end ?? Infinity;
/** `2026-11-29T10:00:00`: a prefix of CloudTrail's eventTime, so that text order is time order to the second. */
const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);

/**
 * The SQL of one query of a round: the events of `requests`' subjects within the hull of their
 * windows, in the days, accounts and regions of `scope`. A superset of what the chain takes: the
 * exact windows and the subjects' own checks are applied to the rows (see {@link roundSource}).
 */
export function roundQuery(dialect: Dialect, scope: RoundScope, requests: readonly RoundRequest[]): string {
  const start = requests.reduce((least, r) => Math.min(least, lo(r.window)), Infinity);
  const end = requests.reduce((most, r) => Math.max(most, hi(r.window)), -Infinity);
  if (!Number.isFinite(start) || !Number.isFinite(end))
    throw new Error("a round needs a bounded window: without one, a query would scan the whole trail");
  if (scope.accounts.length === 0)
    throw new Error("a round needs the accounts to read: the table's account partition is injected");
  for (const account of scope.accounts)
    if (!ACCOUNT_ID.test(account)) throw new Error(`"${account}" is not an account id`);
  for (const region of scope.regions ?? [])
    if (!REGION_NAME.test(region)) throw new Error(`"${region}" is not a region name`);
  const keys = [...new Set(requests.flatMap((r) => (r.subject.kind === "key" ? [r.subject.accessKeyId] : [])))].sort(
    compareText,
  );
  const users = [...new Set(requests.flatMap((r) => (r.subject.kind === "user" ? [r.subject.userName] : [])))].sort(
    compareText,
  );
  const list = (values: readonly string[]) => `(${values.map(sqlString).join(", ")})`;
  const c = dialect.column;
  const { first, last } = deliveryDays(start, end);
  const who = [
    ...(keys.length > 0 ? [`${c("accesskeyid")} IN ${list(keys)}`] : []),
    // fromRecord names an IAM user by its userName, else its session issuer's.
    ...(users.length > 0
      ? [
          `(${c("identitytype")} = 'IAMUser' AND coalesce(nullif(${c("username")}, ''), ${c("issuerusername")}) IN ${list(users)})`,
        ]
      : []),
  ];
  const where = [
    `${dialect.partition.day} BETWEEN ${sqlString(first)} AND ${sqlString(last)}`,
    `${dialect.partition.account} IN ${list(scope.accounts)}`,
    ...(scope.regions === undefined ? [] : [`${dialect.partition.region} IN ${list(scope.regions)}`]),
    `(${who.join(" OR ")})`,
    `${c("eventtime")} >= ${sqlString(second(start))}`,
    `${c("eventtime")} < ${sqlString(second(end + 1000))}`,
  ];
  return `SELECT ${COLUMNS.map((name) => `${c(name)} AS ${name}`).join(", ")}\nFROM ${dialect.from}\nWHERE ${where.join("\n  AND ")}`;
}

function json(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A row as the CloudTrail record it came from, as far as the review reads records; then as an event. */
export function rowEvent(row: Row): ReviewEvent | string {
  const v = (name: (typeof COLUMNS)[number]) => row[name] ?? undefined;
  return fromRecord({
    eventID: v("eventid"),
    eventName: v("eventname"),
    eventSource: v("eventsource"),
    eventTime: v("eventtime"),
    awsRegion: v("awsregion"),
    userIdentity: {
      type: v("identitytype"),
      accessKeyId: v("accesskeyid"),
      userName: v("username"),
      arn: v("arn"),
      accountId: v("accountid"),
      sessionContext: { sessionIssuer: { userName: v("issuerusername") } },
    },
    recipientAccountId: v("recipientaccountid"),
    readOnly: v("readonly"),
    sourceIPAddress: v("sourceipaddress"),
    userAgent: v("useragent"),
    errorCode: v("errorcode"),
    errorMessage: v("errormessage"),
    requestParameters: json(row.requestparameters),
    responseElements: json(row.responseelements),
  });
}

/**
 * The events of rows: the same event delivered twice is kept once; different events under one id
 * are all kept, each marked with its file (and, as a SQL engine cannot tell a record's place in
 * its file, its rank among that file's copies).
 */
export function rowEvents(rows: readonly Row[]): ReviewEvent[] {
  const byId = new Map<string, { event: ReviewEvent; text: string; file: string }[]>();
  for (const row of rows) {
    const event = rowEvent(row);
    if (typeof event === "string") continue;
    const text = JSON.stringify(event);
    const copies = byId.get(event.eventId) ?? [];
    const same = copies.find((copy) => copy.text === text);
    if (same === undefined) copies.push({ event, text, file: row.path ?? "" });
    else if (compareText(row.path ?? "", same.file) < 0) same.file = row.path ?? "";
    byId.set(event.eventId, copies);
  }
  const events: ReviewEvent[] = [];
  for (const copies of byId.values()) {
    if (copies.length === 1) {
      events.push(copies[0].event);
      continue;
    }
    copies.sort((a, b) => compareText(a.file, b.file) || compareText(a.text, b.text));
    copies.forEach((copy, index) => {
      const rank = copies.slice(0, index).filter((other) => other.file === copy.file).length;
      events.push({ ...copy.event, conflict: { file: copy.file, record: rank } });
    });
  }
  return events;
}

/** Different events under one id among `events`, as the report lists them. */
export function conflictsOf(events: readonly ReviewEvent[]): Conflict[] {
  const files = new Map<string, string[]>();
  for (const event of events)
    if (event.conflict !== undefined)
      files.set(event.eventId, [...(files.get(event.eventId) ?? []), event.conflict.file]);
  return [...files.entries()]
    .map(([eventId, list]) => ({ eventId, files: list.sort(compareText) }))
    .sort((a, b) => compareText(a.eventId, b.eventId));
}

const inWindow = (event: ReviewEvent, window: Window) => {
  const at = Date.parse(event.eventTime);
  return (window.start === null || at >= window.start) && (window.end === null || at <= window.end);
};

/**
 * A chain source that gathers the chain's reads into rounds: every read asked while a round's
 * answers are delivered (the subjects those answers reveal) waits for the next round, which asks
 * for all of them at once through `round`.
 */
export function roundSource(
  round: (requests: RoundRequest[], index: number) => Promise<ReviewEvent[]>,
  regions?: readonly string[],
): EventSource {
  let pending: (RoundRequest & {
    deliver: (events: ReviewEvent[]) => void;
    resolve: () => void;
    reject: (error: unknown) => void;
  })[] = [];
  let rounds = 0;
  const flush = async () => {
    const batch = pending;
    pending = [];
    try {
      const events = (
        await round(
          batch.map(({ subject, window }) => ({ subject, window })),
          ++rounds,
        )
      ).filter((event) => regions === undefined || regions.includes(event.region));
      // Delivered together, so that every read they cause joins the next round.
      for (const request of batch)
        request.deliver(events.filter((event) => belongsTo(request.subject, event) && inWindow(event, request.window)));
      for (const request of batch) request.resolve();
    } catch (error) {
      for (const request of batch) request.reject(error);
    }
  };
  return (subject, window, deliver) =>
    new Promise<void>((resolve, reject) => {
      if (pending.length === 0) queueMicrotask(() => void flush());
      pending.push({ subject, window, deliver, resolve, reject });
    });
}

/** What runs SQL: Athena, or an embedded engine in tests. */
export interface QueryRunner {
  run(sql: string): Promise<{ rows: Row[]; dataScannedBytes: number; queryId: string }>;
}

/** One query as the progress and the JSON report it. */
export interface QueryRecord {
  round: number;
  queryId: string;
  subjects: number;
  rows: number;
  dataScannedBytes: number;
  costUsd: number;
}

export interface SqlReview {
  chain: Chain;
  conflicts: Conflict[];
  queries: QueryRecord[];
}

/** What {@link reviewSql} tells as it goes, and the price it counts with. */
export interface SqlReviewOptions {
  /** Before each query: its round, and the keys and users it asks for. */
  onQueryStart?(round: number, subjects: number): void;
  /** After each query, with what it returned and cost. */
  onQuery?(query: QueryRecord): void;
  /** @default ATHENA_USD_PER_TB */
  usdPerTb?: number;
}

/** Reviews `root` within `window` with one query per round (more for rounds of over {@link SUBJECTS_PER_QUERY} subjects). */
export async function reviewSql(
  runner: QueryRunner,
  dialect: Dialect,
  scope: RoundScope,
  root: string,
  window: Window,
  { onQueryStart, onQuery, usdPerTb = ATHENA_USD_PER_TB }: SqlReviewOptions = {},
): Promise<SqlReview> {
  const queries: QueryRecord[] = [];
  const source = roundSource(async (requests, index) => {
    const events: ReviewEvent[] = [];
    for (let i = 0; i < requests.length; i += SUBJECTS_PER_QUERY) {
      const part = requests.slice(i, i + SUBJECTS_PER_QUERY);
      onQueryStart?.(index, part.length);
      const result = await runner.run(roundQuery(dialect, scope, part));
      const record = {
        round: index,
        queryId: result.queryId,
        subjects: part.length,
        rows: result.rows.length,
        dataScannedBytes: result.dataScannedBytes,
        costUsd: queryCost(result.dataScannedBytes, usdPerTb),
      };
      queries.push(record);
      onQuery?.(record);
      for (const event of rowEvents(result.rows)) events.push(event);
    }
    return events;
  }, scope.regions);
  const chain = await followChain(root, window, source);
  return { chain, conflicts: conflictsOf(chain.events), queries };
}
