/**
 * The shells of `review --from-s3` and `review --athena`: their flags, and each source run to the
 * same chain, findings and renderers as LookupEvents and `--from-logs` (commands/review.ts).
 */
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, writePieces, type Io } from "../cli/io.ts";
import type { AthenaFlags } from "./review-source-flags.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { displayValue } from "../incident/display.ts";
import type { Chain, Window } from "../review/chain.ts";
import { reviewLogObjects } from "../review/logs.ts";
import { ReadProgress } from "../review/read-progress.ts";
import type { ReviewContext } from "../review/render.ts";
import { athenaDialect, ATHENA_USD_PER_TB, reviewSql, type Dialect, type QueryRecord, type QueryRunner } from "../review/athena.ts";
import { signingRegion } from "../aws/clients.ts";
import { listTrail, sdkS3Client, type S3Like } from "../aws/s3-logs.ts";
import type { ReviewOptions } from "./review.ts";
import { AthenaRunner, describeAthenaError, sdkAthenaClient, type AthenaLike } from "../aws/athena.ts";

/** review's options, as parsed once by commands/review.ts: all but --from-logs come here. */
type SourceOptions = Omit<ReviewOptions, "fromLogs">;

export interface SourceDependencies {
  now?: () => Date;
  render(format: SourceOptions["format"], chain: Chain, context: ReviewContext): Iterable<string>;
  /** @default the SDK's clients, from the environment */
  s3?: S3Like;
  athena?: AthenaLike;
  /** Another engine for the SQL, and how it spells the table, in tests. */
  runner?: QueryRunner;
  dialect?: Dialect;
  /** @default {@link ATHENA_USD_PER_TB} */
  usdPerTb?: number;
}

const count = (n: number) => n.toLocaleString("en-US");
const megabytes = (bytes: number) => `${(bytes / 1_000_000).toLocaleString("en-US", { maximumFractionDigits: 1 })} MB`;
const dollars = (usd: number) => `$${usd.toFixed(usd < 0.01 ? 6 : 2)}`;

/** `review --from-s3` or `review --athena`. */
export async function reviewSources(options: SourceOptions, io: Io, dependencies: SourceDependencies): Promise<number> {
  const until = options.until ?? (dependencies.now ?? (() => new Date()))();
  const since = options.since as Date;
  const window: Window = { start: since.getTime(), end: until.getTime() };
  const region = signingRegion(io.env);

  if (options.fromS3 !== undefined) {
    const { bucket, prefix } = options.fromS3;
    const shown = `s3://${bucket}${prefix === "" ? "" : `/${prefix}`}`;
    const listing = await listTrail(dependencies.s3 ?? sdkS3Client(region), { location: options.fromS3, accounts: options.accounts, regions: options.regions, start: window.start as number, end: window.end as number });
    if (listing.problems.length > 0) {
      for (const problem of listing.problems) io.err(`${displayValue(formatDiagnostic(problem))}\n`);
      const listFailed = listing.problems.some((problem) => problem.code === "E_S3_LIST");
      io.err(`cordon review: ${listFailed ? "could not list the trail's folders" : "no trail files to read"} in ${displayValue(shown)}; nothing reviewed\n`);
      return listFailed ? EXIT_USAGE : EXIT_INVALID;
    }
    io.err(`review: ${count(listing.objects.length)} log files in ${count(listing.folders)} account and region ${listing.folders === 1 ? "folder" : "folders"} of ${displayValue(shown)} (${count(listing.requests)} listings)\n`);
    const logs = await reviewLogObjects(listing.objects, options.accessKeyId, window, options.regions, new ReadProgress(io));
    if (logs.chain === null) {
      for (const error of logs.problems) io.err(`${displayValue(formatDiagnostic(error))}\n`);
      io.err(`cordon review: ${logs.problems.length === 1 ? "1 problem" : `${logs.problems.length} problems`} in the log files; nothing reviewed\n`);
      return EXIT_INVALID;
    }
    io.err(`review: read ${count(logs.files)} log files · ${count(logs.records)} events\n`);
    await writePieces(io, dependencies.render(options.format, logs.chain, { source: { kind: "s3", url: shown, files: logs.files }, notEnabled: [], failed: [], conflicts: logs.conflicts }));
    return EXIT_OK;
  }

  const athena = options.athena as AthenaFlags;
  const usdPerTb = dependencies.usdPerTb ?? ATHENA_USD_PER_TB;
  const runner = dependencies.runner ?? new AthenaRunner({ client: dependencies.athena ?? sdkAthenaClient(region), database: athena.database, workgroup: athena.workgroup, outputLocation: athena.outputLocation });
  let scanned = 0;
  let cost = 0;
  const onQuery = (query: QueryRecord) => {
    scanned += query.dataScannedBytes;
    cost += query.costUsd;
    io.err(`review: athena round ${query.round} · query ${displayValue(query.queryId)} · ${query.subjects === 1 ? "1 key or user" : `${count(query.subjects)} keys and users`} · ${count(query.rows)} rows · ${megabytes(query.dataScannedBytes)} scanned (${megabytes(scanned)} in all, ≈ ${dollars(cost)} at $${usdPerTb}/TB)\n`);
  };
  let review;
  try {
    review = await reviewSql(runner, dependencies.dialect ?? athenaDialect(athena.database, athena.table), { accounts: options.accounts as readonly string[], regions: options.regions }, options.accessKeyId, window, onQuery, usdPerTb);
  } catch (error) {
    io.err(`cordon review: Athena: ${displayValue(describeAthenaError(error))}\n`);
    return EXIT_USAGE;
  }
  const source = {
    kind: "athena" as const,
    table: `${athena.database}.${athena.table}`,
    workgroup: athena.workgroup ?? null,
    accounts: options.accounts as readonly string[],
    queries: review.queries,
    dataScannedBytes: scanned,
    costUsd: cost,
    usdPerTb,
  };
  await writePieces(io, dependencies.render(options.format, review.chain, { source, notEnabled: [], failed: [], conflicts: review.conflicts }));
  return EXIT_OK;
}
