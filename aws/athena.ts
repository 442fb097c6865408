/**
 * Runs SQL on Athena (the QueryRunner of review/trail/athena.ts): start, wait for a terminal
 * state with a growing pause, then every page of the results. A query that fails or is cancelled
 * is an error that says why, in Athena's words; a query still running when cordon gives up, or
 * when the review is interrupted ({@link AthenaRunner.stop}), is stopped, so that nobody pays for
 * an answer no one reads. While a query waits, what it is doing is told every few seconds.
 * @see https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html
 * @see https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  type GetQueryResultsCommandOutput,
  type StartQueryExecutionCommandOutput,
} from "@aws-sdk/client-athena";
import { describeError } from "./errors.ts";

/**
 * The IAM actions `review --athena` calls, and what Athena does for it: read the table (Glue), read
 * the trail's objects and write the results to the output location (S3). Not read-only (queries
 * write results), so not part of the commands policy; docs/review.md shows the policy.
 * @see https://docs.aws.amazon.com/athena/latest/ug/managed-policies.html
 */
export const athenaReviewPermissions: readonly string[] = [
  "athena:GetQueryExecution",
  "athena:GetQueryResults",
  "athena:StartQueryExecution",
  "athena:StopQueryExecution",
  "glue:GetDatabase",
  "glue:GetTable",
  "s3:AbortMultipartUpload",
  "s3:GetBucketLocation",
  "s3:GetObject",
  "s3:ListBucket",
  "s3:PutObject",
];

/** What the runner needs of an Athena client: the SDK's, or a stand-in for what moto cannot do. */
export interface AthenaLike {
  send(command: StartQueryExecutionCommand): Promise<StartQueryExecutionCommandOutput>;
  send(command: GetQueryExecutionCommand): Promise<GetQueryExecutionCommandOutput>;
  send(command: GetQueryResultsCommand): Promise<GetQueryResultsCommandOutput>;
  send(command: StopQueryExecutionCommand): Promise<unknown>;
}

export interface AthenaOptions {
  client: AthenaLike;
  database: string;
  /** @default Athena's default, "primary" */
  workgroup?: string;
  /** @default the workgroup's */
  outputLocation?: string;
  clock?: AthenaClock;
  /** The first pause between two looks at a running query; each next one 1.5× longer, up to `maxPollMs`. @default 200 */
  pollMs?: number;
  /** @default 5000 */
  maxPollMs?: number;
  /** Give up on (and stop) a query that takes longer. @default 30 minutes, Athena's default DML timeout */
  timeoutMs?: number;
  /** Rows per page of results: GetQueryResults takes 1 to 1000. @default 1000 */
  pageSize?: number;
  /** Told when a query starts, and while it waits (QUEUED, RUNNING) every `progressMs`. */
  progress?: AthenaProgress;
  /** @default 10000 */
  progressMs?: number;
}

/** What a query is doing while the review waits for it. */
export interface AthenaProgress {
  started(queryId: string): void;
  /** `state` as Athena last said it; `elapsedMs` since the query started. */
  waiting(queryId: string, state: string, elapsedMs: number): void;
}

/** A query {@link AthenaRunner.stop} was asked to stop, and the error if StopQueryExecution failed. */
export interface StoppedQuery {
  queryId: string;
  error?: unknown;
}

/** One row of results, by column name (lowercase); null for a NULL. */
export type AthenaRow = Record<string, string | null>;

/** Time as the runner waits on it; tests pass a virtual one. */
export interface AthenaClock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realTime: AthenaClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A query that ended without results: failed, cancelled, or given up on. */
export class AthenaQueryError extends Error {}

export function sdkAthenaClient(region: string): AthenaClient {
  return new AthenaClient({ region });
}

export class AthenaRunner {
  private readonly options: AthenaOptions;
  private readonly clock: AthenaClock;
  /** Queries started and not yet ended: what {@link stop} stops. */
  private readonly live = new Set<string>();
  /** StartQueryExecution calls not yet answered: each may start a query that must be stopped too. */
  private readonly starting = new Set<Promise<string | undefined>>();
  private stopping = false;

  constructor(options: AthenaOptions) {
    this.options = options;
    this.clock = options.clock ?? realTime;
  }

  async run(sql: string): Promise<{ rows: AthenaRow[]; dataScannedBytes: number; queryId: string }> {
    const { client, database, workgroup, outputLocation } = this.options;
    if (this.stopping) throw new AthenaQueryError("interrupted: no query started");
    const start = client
      .send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          QueryExecutionContext: { Database: database },
          ...(workgroup === undefined ? {} : { WorkGroup: workgroup }),
          ...(outputLocation === undefined ? {} : { ResultConfiguration: { OutputLocation: outputLocation } }),
        }),
      )
      .then((started) => started.QueryExecutionId);
    this.starting.add(start);
    let id: string | undefined;
    try {
      id = await start;
    } finally {
      this.starting.delete(start);
    }
    if (id === undefined) throw new AthenaQueryError("Athena started the query but returned no QueryExecutionId");
    this.live.add(id);
    try {
      this.options.progress?.started(id);
      const execution = await this.wait(id);
      const rows = await this.results(id);
      return { rows, dataScannedBytes: execution.QueryExecution?.Statistics?.DataScannedInBytes ?? 0, queryId: id };
    } finally {
      this.live.delete(id);
    }
  }

  /**
   * Stops every query started and not ended, those whose start is still unanswered included (once
   * answered), and starts no more: what an interrupted review leaves running would be billed for
   * an answer nobody reads.
   * @see https://docs.aws.amazon.com/athena/latest/APIReference/API_StopQueryExecution.html
   */
  async stop(): Promise<StoppedQuery[]> {
    this.stopping = true;
    const ids = new Set(this.live);
    for (const id of await Promise.all([...this.starting].map((start) => start.catch(() => undefined))))
      if (id !== undefined) ids.add(id);
    return Promise.all(
      [...ids].map((queryId) =>
        this.options.client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId })).then(
          () => ({ queryId }),
          (error: unknown) => ({ queryId, error }),
        ),
      ),
    );
  }

  /** Looks at the query until it succeeds; throws if it fails, is cancelled or takes too long. */
  private async wait(id: string): Promise<GetQueryExecutionCommandOutput> {
    const { client } = this.options;
    const began = this.clock.now();
    let told = began;
    let pause = this.options.pollMs ?? 200;
    for (;;) {
      const execution = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const status = execution.QueryExecution?.Status;
      // QUEUED and RUNNING go on (a transient error puts a running query back in the queue).
      if (status?.State === "SUCCEEDED") return execution;
      if (status?.State === "FAILED" || status?.State === "CANCELLED") {
        const why = status.AthenaError?.ErrorMessage ?? status.StateChangeReason ?? "Athena gave no reason";
        throw new AthenaQueryError(`query ${id} ${status.State === "FAILED" ? "failed" : "was cancelled"}: ${why}`);
      }
      if (this.stopping) throw new AthenaQueryError(`query ${id} interrupted: stopped`);
      // A long query is not a silent one: what it is doing, every so often.
      const now = this.clock.now();
      if (now - told >= (this.options.progressMs ?? 10_000)) {
        told = now;
        this.options.progress?.waiting(id, status?.State ?? "unknown", now - began);
      }
      if (this.clock.now() - began >= (this.options.timeoutMs ?? 30 * 60_000)) {
        await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        throw new AthenaQueryError(
          `query ${id} still ${status?.State ?? "unknown"} after ${Math.round((this.clock.now() - began) / 1000)} s: stopped`,
        );
      }
      // No later than the next progress line is due, so that lines come every `progressMs`.
      await this.clock.sleep(Math.min(pause, Math.max(1, told + (this.options.progressMs ?? 10_000) - now)));
      pause = Math.min(this.options.maxPollMs ?? 5000, pause * 1.5);
    }
  }

  /** Every page of a query's results, as rows by column name; the header row (first page only) left out. */
  private async results(id: string): Promise<AthenaRow[]> {
    const rows: AthenaRow[] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.options.client.send(
        new GetQueryResultsCommand({
          QueryExecutionId: id,
          MaxResults: this.options.pageSize ?? 1000,
          NextToken: token,
        }),
      );
      const names = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((column) =>
        (column.Label ?? column.Name ?? "").toLowerCase(),
      );
      const data = page.ResultSet?.Rows ?? [];
      for (let i = first ? 1 : 0; i < data.length; i++) {
        const row: Record<string, string | null> = {};
        (data[i].Data ?? []).forEach((cell, column) => {
          row[names[column]] = cell.VarCharValue ?? null;
        });
        rows.push(row);
      }
      first = false;
      token = page.NextToken;
    } while (token !== undefined && token !== "");
    return rows;
  }
}

/** One line for a failed Athena call or query: never request data. */
export function describeAthenaError(error: unknown): string {
  return error instanceof AthenaQueryError ? error.message : describeError(error);
}
