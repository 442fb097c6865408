/**
 * `--athena TABLE`: the review as SQL over a trail's Athena table (the one `athena-table`
 * declares), one query per round of the chain (review/trail/athena.ts): each query told as it
 * starts, every few seconds while it waits, and with its data scanned and cost as it ends; an
 * interrupted review stops the query it waits for.
 */
import { displayValue } from "../../incident/display.ts";
import type { AthenaLike, AthenaRunner } from "../../aws/athena.ts";
import type { Dialect, QueryRecord, QueryRunner } from "../trail/athena.ts";
import { SQL_NAME } from "../trail/sql.ts";
import { count, plural } from "../render/parts.ts";
import { accountsFlag, FlagError, needSince, s3Flag, type ReviewSource, type SourceIo } from "./source.ts";

export interface AthenaOptions {
  table: string;
  database: string;
  workgroup?: string;
  outputLocation?: string;
  accounts: readonly string[];
  since: Date;
}

/** What tests may put in place: the client, or another engine for the SQL and how it spells the table, and the price. */
export interface AthenaDependencies {
  client?: AthenaLike;
  runner?: QueryRunner;
  dialect?: Dialect;
  /** @default ATHENA_USD_PER_TB of review/trail/athena.ts */
  usdPerTb?: number;
}

/** An Athena workgroup name. @see https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroup.html */
const WORKGROUP = /^[a-zA-Z0-9._-]{1,128}$/;

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toLocaleString("en-US", { maximumFractionDigits: 1 })} MB`;
const dollars = (usd: number) => `$${usd.toFixed(usd < 0.01 ? 6 : 2)}`;

/** Stops the queries `runner` left running, saying which, and how to stop one StopQueryExecution could not. */
async function stopQueries(runner: AthenaRunner, io: SourceIo): Promise<void> {
  const { describeAthenaError } = await import("../../aws/athena.ts");
  for (const { queryId, error } of await runner.stop()) {
    const id = displayValue(queryId);
    io.err(
      error === undefined
        ? `cordon review: interrupted: stopped Athena query ${id}\n`
        : `cordon review: interrupted: could not stop Athena query ${id} (${displayValue(describeAthenaError(error))}); stop it: aws athena stop-query-execution --query-execution-id ${id}\n`,
    );
  }
}

export const athena: ReviewSource<AthenaOptions, AthenaDependencies> = {
  name: "athena",
  selector: { flag: "athena", value: "TABLE" },
  flags: {
    accounts: { type: "string" },
    database: { type: "string" },
    workgroup: { type: "string" },
    "output-location": { type: "string" },
  },
  usage: {
    synopsis: "--athena TABLE --accounts LIST [--database DB] [--workgroup WG]\n[--output-location s3://...]",
    options: `  --athena TABLE     run the review as SQL on Athena over TABLE (see \`cordon athena-table\`), one
                     query per round of the chain; needs --since and --accounts
  --database DB      --athena: the table's database (default: default)
  --workgroup WG     --athena: the workgroup (default: Athena's, primary)
  --output-location URL  --athena: where Athena writes results (default: the workgroup's)`,
  },

  parse(values, request) {
    const text = (name: string) => values[name] as string | undefined;
    const table = text("athena") as string;
    const accounts = accountsFlag(text("accounts"));
    const since = needSince("athena", request);
    if (!SQL_NAME.test(table))
      throw new FlagError(
        `--athena "${table}": not a table name; expected letters, digits and _ (the database goes in --database)`,
      );
    if (accounts === undefined)
      throw new FlagError(
        "--athena needs --accounts: the table's account partition is injected, and every query names the accounts it reads",
      );
    const database = text("database") ?? "default";
    if (!SQL_NAME.test(database))
      throw new FlagError(`--database "${database}": not a database name; expected letters, digits and _`);
    const workgroup = text("workgroup");
    if (workgroup !== undefined && !WORKGROUP.test(workgroup))
      throw new FlagError(
        `--workgroup "${workgroup}": not a workgroup name; expected letters, digits, ".", "_" and "-"`,
      );
    const outputLocation = text("output-location");
    if (outputLocation !== undefined) s3Flag("output-location", outputLocation);
    return { table, database, workgroup, outputLocation, accounts, since };
  },

  async review(request, options, io, dependencies) {
    // Loaded when used: the Athena client costs a LookupEvents review its start.
    const [
      { AthenaRunner, describeAthenaError, sdkAthenaClient },
      { signingRegion },
      { athenaDialect, ATHENA_USD_PER_TB, reviewSql },
    ] = await Promise.all([
      import("../../aws/athena.ts"),
      import("../../aws/clients.ts"),
      import("../trail/athena.ts"),
    ]);
    const window = { start: options.since.getTime(), end: (request.until ?? io.now()).getTime() };
    const usdPerTb = dependencies.usdPerTb ?? ATHENA_USD_PER_TB;
    const client = () => dependencies.client ?? sdkAthenaClient(signingRegion(io.env));
    const subjects = (n: number) => (n === 1 ? "1 key or user" : `${count(n)} keys and users`);
    // Queries run one at a time: the round and subjects of the one running, for its progress lines.
    let current = { round: 0, subjects: 0 };
    const runner =
      dependencies.runner ??
      new AthenaRunner({
        client: client(),
        database: options.database,
        workgroup: options.workgroup,
        outputLocation: options.outputLocation,
        progress: {
          started: (queryId) =>
            io.err(
              `review: athena round ${current.round} · query ${displayValue(queryId)} started · ${subjects(current.subjects)}\n`,
            ),
          waiting: (queryId, state, elapsedMs) =>
            io.err(
              `review: athena round ${current.round} · query ${displayValue(queryId)} · ${displayValue(state)} for ${Math.round(elapsedMs / 1000)} s\n`,
            ),
        },
      });
    let scanned = 0;
    let cost = 0;
    const onQuery = (query: QueryRecord) => {
      scanned += query.dataScannedBytes;
      cost += query.costUsd;
      io.err(
        `review: athena round ${query.round} · query ${displayValue(query.queryId)} · ${subjects(query.subjects)} · ${count(query.rows)} rows · ${megabytes(query.dataScannedBytes)} scanned (${megabytes(scanned)} in all, ≈ ${dollars(cost)} at $${usdPerTb}/TB)\n`,
      );
    };
    // Interrupted (Ctrl-C), the review stops the query it waits for: Athena would run it on, and bill it.
    let interrupted = false;
    const unregister =
      runner instanceof AthenaRunner
        ? io.onInterrupt?.(() => {
            interrupted = true;
            return stopQueries(runner, io);
          })
        : undefined;
    let review: Awaited<ReturnType<typeof reviewSql>>;
    try {
      review = await reviewSql(
        runner,
        dependencies.dialect ?? athenaDialect(options.database, options.table),
        { accounts: options.accounts, regions: request.regions },
        request.accessKeyId,
        window,
        { onQueryStart: (round, n) => void (current = { round, subjects: n }), onQuery, usdPerTb },
      );
    } catch (error) {
      // Interrupted, the query ends as stopped or cancelled: the stop says so, once.
      if (!interrupted) io.err(`cordon review: Athena: ${displayValue(describeAthenaError(error))}\n`);
      return { chain: null, exit: 2 };
    } finally {
      unregister?.();
    }
    const source = {
      kind: "athena",
      table: `${options.database}.${options.table}`,
      workgroup: options.workgroup ?? null,
      accounts: options.accounts,
      queries: review.queries,
      dataScannedBytes: scanned,
      costUsd: cost,
      usdPerTb,
    };
    const sourceSummary = `Athena table ${source.table}, ${plural(source.queries.length, "query", "queries")}, ${megabytes(scanned)} scanned (≈ ${dollars(cost)})`;
    return {
      chain: review.chain,
      context: {
        source,
        sourceSummary,
        notEnabled: [],
        failed: [],
        accountsRead: {
          accounts: options.accounts,
          toRead: (account) =>
            `not in --accounts; review again with --accounts ${[...options.accounts, account].sort().join(",")}, if the table holds its trail`,
        },
        conflicts: review.conflicts,
      },
    };
  },
};
