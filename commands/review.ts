/**
 * `review`: what the exposed key did, and what every key it minted or created did, from CloudTrail
 * (LookupEvents in every region) or from log files. A thin shell: flags and output here; the chain
 * and the findings in `review/`.
 */
import { resolve } from "node:path";
import { parseFlags, parseInstantFlag, type Command } from "../cli/command.ts";
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError, writePieces, type Io } from "../cli/io.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { displaySafe, displayValue, jsonSafe } from "../incident/display.ts";
import { ANY_KEY_ID, reviewedKeyFlagProblem } from "../incident/fields.ts";
import { followChain, type Chain, type Window } from "../review/chain.ts";
import { analyze } from "../review/findings.ts";
import { ReadProgress } from "../review/read-progress.ts";
import { CloudTrailReader, COMMERCIAL_REGIONS, LOOKUP_EVENTS_DAYS, type ReaderOptions } from "../aws/cloudtrail.ts";
import { ScanProgress } from "../review/progress.ts";
import { renderJsonChunks, renderMarkdown, renderText, type ReviewContext } from "../review/render.ts";
import type { S3Location } from "../review/trail-layout.ts";
import { parseSourceFlags, SOURCE_FLAGS, type AthenaFlags } from "./review-source-flags.ts";
import type { SourceDependencies } from "./review-sources.ts";

const usage = `usage: npx cordon review --access-key KEY [--since ISO] [--until ISO] [--regions all|R1,R2]
                                        [--json | --markdown]
                                        [--from-logs DIR | --from-s3 s3://BUCKET/PREFIX [--accounts LIST]
                                         | --athena TABLE --accounts LIST [--database DB] [--workgroup WG]
                                           [--output-location s3://...]]

What an exposed key did, from CloudTrail, in every region; and what the keys it minted
(GetSessionToken, GetFederationToken, AssumeRole, role chaining) or created (CreateAccessKey) did,
each within its lifetime; and what the users it created or gave a password did.

options:
  --access-key KEY   the key to review, AKIA... or ASIA... (required)
  --since ISO        start of the review (default: ${LOOKUP_EVENTS_DAYS} days before --until, all LookupEvents keeps;
                     with --from-logs: the first event in the logs)
  --until ISO        end of the review (default: now; with --from-logs: the last event in the logs)
  --regions LIST     all, or regions separated by commas (default: all commercial regions)
  --from-logs DIR    read CloudTrail log files under DIR ({"Records": [...]} or a JSON array of events,
                     .json or .json.gz, recursively) instead of calling LookupEvents
  --from-s3 URL      read a trail's log files in S3 where CloudTrail delivers them
                     (URL/AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/), only the days of
                     --since (required) to --until and the accounts and regions asked for
  --athena TABLE     run the review as SQL on Athena over TABLE (see \`cordon athena-table\`), one
                     query per round of the chain; needs --since and --accounts
  --accounts LIST    account ids separated by commas (--from-s3: default all in the bucket)
  --database DB      --athena: the table's database (default: default)
  --workgroup WG     --athena: the workgroup (default: Athena's, primary)
  --output-location URL  --athena: where Athena writes results (default: the workgroup's)
  --json             the review as JSON: keys, events, persistence, rolesAssumed and more
  --markdown         the review as markdown, for a pull request comment
  -h, --help         this text

Needs cloudtrail:LookupEvents, and paces itself at its limit of 2 requests per second per region,
learning the pace from CloudTrail's answers. --from-s3 needs s3:ListBucket and s3:GetObject;
--athena needs what docs/review.md lists. Which to use: one account within 90 days, LookupEvents;
a trail's bucket, --from-s3; an organization trail, --athena. Progress goes to stderr, the review
to stdout.

exit codes: 0 reviewed · 1 the log files (on disk or in S3) cannot be read · 2 misused, or CloudTrail,
the bucket or Athena could not be read
`;

const REGION = /^[a-z]{2}(-[a-z0-9]+)+$/;
const DAY = 86_400_000;

function parseRegions(value: string | undefined): readonly string[] | undefined {
  if (value === undefined || value === "all") return undefined;
  const regions = [...new Set(value.split(",").map((region) => region.trim()))];
  const wrong = regions.find((region) => !REGION.test(region));
  if (wrong !== undefined) throw new UsageError(`--regions "${value}": "${wrong}" is not a region name; expected all, or names such as us-east-1,eu-west-1`);
  return regions;
}

export interface ReviewOptions {
  accessKeyId: string;
  since?: Date;
  until?: Date;
  regions?: readonly string[];
  format: "text" | "json" | "markdown";
  fromLogs?: string;
  fromS3?: S3Location;
  accounts?: readonly string[];
  athena?: AthenaFlags;
}

/** Parses and checks the flags; every misuse is a UsageError (exit 2). */
export function parseReviewFlags(argv: string[]): ReviewOptions {
  const { values, positionals } = parseFlags(argv, {
    "access-key": { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    regions: { type: "string" },
    json: { type: "boolean" },
    markdown: { type: "boolean" },
    "from-logs": { type: "string" },
    ...SOURCE_FLAGS,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; the key goes in --access-key`);
  const accessKeyId = values["access-key"];
  if (accessKeyId === undefined) throw new UsageError("--access-key is required: the AKIA... or ASIA... key to review");
  if (!ANY_KEY_ID.test(accessKeyId)) throw new UsageError(reviewedKeyFlagProblem(accessKeyId));
  if (values.json && values.markdown) throw new UsageError("--json and --markdown cannot be used together: choose one output");
  const since = parseInstantFlag("since", values.since);
  const until = parseInstantFlag("until", values.until);
  if (since !== undefined && until !== undefined && since.getTime() > until.getTime()) {
    throw new UsageError(`--since ${values.since} is after --until ${values.until}; expected the start of the review before its end`);
  }
  if (values["from-logs"] === "") throw new UsageError("--from-logs needs a folder of CloudTrail log files");
  return {
    accessKeyId,
    since,
    until,
    regions: parseRegions(values.regions),
    format: values.json ? "json" : values.markdown ? "markdown" : "text",
    fromLogs: values["from-logs"],
    ...parseSourceFlags(values, since),
  };
}

/** What tests can change in the shell: the clock and the reader's pace and retries. */
export interface ReviewDependencies {
  now?: () => Date;
  reader?: Omit<ReaderOptions, "regions" | "progress">;
  /** Clients (or another SQL engine) for --from-s3 and --athena. */
  sources?: Omit<SourceDependencies, "now" | "render">;
}

/**
 * The review in its format, made safe to print: log files are written by whoever could write to
 * the bucket, so every value (a user agent, a parameter, an event id) is shown escaped. The
 * markdown's values are also markdown-escaped where they are written (review/render.ts). The JSON
 * holds every event: it is written in pieces of whole lines, each made safe, never whole in memory.
 */
function* render(format: ReviewOptions["format"], chain: Chain, context: ReviewContext): Generator<string> {
  const review = analyze(chain);
  if (format === "json") for (const piece of renderJsonChunks(review, context)) yield jsonSafe(piece);
  else if (format === "markdown") yield displaySafe(renderMarkdown(review, context));
  else yield displaySafe(renderText(review, context));
}

async function reviewLogs(options: ReviewOptions & { fromLogs: string }, io: Io): Promise<number> {
  const window: Window = { start: options.since?.getTime() ?? null, end: options.until?.getTime() ?? null };
  // Loaded when used: the log reader costs a LookupEvents review its start.
  const { reviewLogFolder } = await import("../review/logs.ts");
  const logs = await reviewLogFolder(resolve(io.cwd, options.fromLogs), options.fromLogs, options.accessKeyId, window, options.regions, new ReadProgress(io));
  if (logs.chain === null) {
    for (const error of logs.problems) io.err(`${displayValue(formatDiagnostic(error))}\n`);
    io.err(`cordon review: ${logs.problems.length === 1 ? "1 problem" : `${logs.problems.length} problems`} in the log files; nothing reviewed\n`);
    return EXIT_INVALID;
  }
  const digests = logs.digests > 0 ? ` (${logs.digests} digest files skipped)` : "";
  io.err(`review: read ${logs.files.toLocaleString("en-US")} log files · ${logs.records.toLocaleString("en-US")} events${digests}\n`);
  await writePieces(io, render(options.format, logs.chain, { source: { kind: "logs", dir: options.fromLogs, files: logs.files }, notEnabled: [], failed: [], conflicts: logs.conflicts }));
  return EXIT_OK;
}

async function reviewCloudTrail(options: ReviewOptions, io: Io, dependencies: ReviewDependencies): Promise<number> {
  const now = (dependencies.now ?? (() => new Date()))();
  const until = options.until ?? now;
  const since = options.since ?? new Date(until.getTime() - LOOKUP_EVENTS_DAYS * DAY);
  if (since.getTime() < now.getTime() - LOOKUP_EVENTS_DAYS * DAY) {
    io.err(`review: LookupEvents keeps ${LOOKUP_EVENTS_DAYS} days of events; anything before ${new Date(now.getTime() - LOOKUP_EVENTS_DAYS * DAY).toISOString()} is only in the log files (--from-logs)\n`);
  }
  const regions = options.regions ?? COMMERCIAL_REGIONS;
  const progress = new ScanProgress(io, regions);
  const reader = new CloudTrailReader({ ...dependencies.reader, regions, progress });
  let chain: Chain;
  try {
    chain = await followChain(options.accessKeyId, { start: since.getTime(), end: until.getTime() }, reader.source);
  } finally {
    reader.close();
    progress.finish();
  }

  const notEnabled = [...new Set(reader.failures.filter((failure) => failure.notEnabled).map((failure) => failure.region))].sort();
  const failedByRegion = new Map<string, string>();
  for (const failure of reader.failures) if (!failure.notEnabled && !failedByRegion.has(failure.region)) failedByRegion.set(failure.region, failure.reason);
  const failed = [...failedByRegion.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([region, reason]) => ({ region, reason }));

  if (failed.length > 0) {
    // One line per distinct reason: a missing credential fails every region the same way.
    const byReason = new Map<string, string[]>();
    for (const { region, reason } of failed) byReason.set(reason, [...(byReason.get(reason) ?? []), region]);
    for (const [reason, where] of byReason) io.err(`cordon review: could not read CloudTrail in ${where.join(", ")}: ${displayValue(reason)}\n`);
  }
  const readRegions = regions.filter((region) => !failedByRegion.has(region) && !notEnabled.includes(region));
  if (readRegions.length === 0) {
    io.err("cordon review: CloudTrail could not be read in any region; nothing reviewed\n");
    return EXIT_USAGE;
  }
  await writePieces(io, render(options.format, chain, { source: { kind: "cloudtrail", regions }, notEnabled, failed }));
  return failed.length > 0 ? EXIT_USAGE : EXIT_OK;
}

/** Runs a review; `dependencies` let tests pace the reader faster and fix the clock. */
export async function runReview(options: ReviewOptions, io: Io, dependencies: ReviewDependencies = {}): Promise<number> {
  if (options.fromLogs !== undefined) return reviewLogs({ ...options, fromLogs: options.fromLogs }, io);
  if (options.fromS3 !== undefined || options.athena !== undefined) {
    // Loaded when used: the S3 and Athena clients cost a LookupEvents review its start.
    const { reviewSources } = await import("./review-sources.ts");
    return reviewSources(options, io, { ...dependencies.sources, now: dependencies.now, render });
  }
  return reviewCloudTrail(options, io, dependencies);
}

export const reviewCommand: Command = {
  name: "review",
  summary: "what the key (and the keys it minted) did, from CloudTrail",
  usage,
  run: async (argv, io) => runReview(parseReviewFlags(argv), io),
};
