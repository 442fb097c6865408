/**
 * `review`: what the exposed key did, and what every key it minted or created did, from CloudTrail
 * (LookupEvents in every region), log files, a trail's bucket or its Athena table. A thin shell:
 * the flags every review takes and the output here; each source of events is a row of
 * review/sources/table.ts, the chain and the findings are review/core/'s, the outputs rows of
 * review/render/formats.ts.
 */
import { parseFlags, parseInstantFlag, type Command } from "../cli/command.ts";
import { EXIT_OK, EXIT_USAGE, UsageError, writePieces, type Io } from "../cli/io.ts";
import { ANY_KEY_ID, reviewedKeyFlagProblem } from "../incident/fields.ts";
import { analyze } from "../review/core/findings.ts";
import { REGION_NAME } from "../review/core/regions.ts";
import { LOOKUP_EVENTS_DAYS } from "../review/lookup/limits.ts";
import { FORMATS, type FormatName } from "../review/render/formats.ts";
import { FlagError, type FlagValues, type ReviewRequest } from "../review/sources/source.ts";
import { selectSource, sourceFlags, sourcesUsage, type SelectedSource } from "../review/sources/table.ts";

const formats = Object.entries(FORMATS).flatMap(([name, format]) => (format.flag === null ? [] : [{ name: name as FormatName, ...format, flag: format.flag }]));
const sources = sourcesUsage();
const indent = " ".repeat(40);

const usage = `usage: npx cordon review --access-key KEY [--since ISO] [--until ISO] [--regions all|R1,R2]
${indent}[${formats.map((format) => `--${format.flag}`).join(" | ")}]
${sources.synopsis.map((line) => `${indent}${line}`).join("\n")}

What an exposed key did, from CloudTrail, in every region; and what the keys it minted
(GetSessionToken, GetFederationToken, AssumeRole, role chaining) or created (CreateAccessKey) did,
each within its lifetime; and what the users it created or gave a password did.

options:
  --access-key KEY   the key to review, AKIA... or ASIA... (required)
  --since ISO        start of the review (default: ${LOOKUP_EVENTS_DAYS} days before --until, all LookupEvents keeps;
                     with --from-logs: the first event in the logs)
  --until ISO        end of the review (default: now; with --from-logs: the last event in the logs)
  --regions LIST     all, or regions separated by commas (default: all commercial regions)
${sources.options}
${formats.map((format) => format.usage).join("\n")}
  -h, --help         this text

Needs cloudtrail:LookupEvents, and paces itself at its limit of 2 requests per second per region,
learning the pace from CloudTrail's answers. --from-s3 needs s3:ListBucket and s3:GetObject;
--athena needs what docs/review.md lists. Which to use: one account within 90 days, LookupEvents;
a trail's bucket, --from-s3; an organization trail, --athena. Progress goes to stderr, the review
to stdout.

exit codes: 0 reviewed · 1 the log files (on disk or in S3) cannot be read · 2 misused, or CloudTrail,
the bucket or Athena could not be read
`;

function parseRegions(value: string | undefined): readonly string[] | undefined {
  if (value === undefined || value === "all") return undefined;
  const regions = [...new Set(value.split(",").map((region) => region.trim()))];
  const wrong = regions.find((region) => !REGION_NAME.test(region));
  if (wrong !== undefined) throw new UsageError(`--regions "${value}": "${wrong}" is not a region name; expected all, or names such as us-east-1,eu-west-1`);
  return regions;
}

export interface ReviewOptions extends ReviewRequest {
  format: FormatName;
  /** The source the flags chose and its options; absent: LookupEvents, the source no flag selects. */
  source?: SelectedSource;
}

/** Parses and checks the flags; every misuse is a UsageError (exit 2). */
export function parseReviewFlags(argv: string[]): ReviewOptions {
  const { values: parsed, positionals } = parseFlags(argv, {
    "access-key": { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    regions: { type: "string" },
    ...Object.fromEntries(formats.map((format) => [format.flag, { type: "boolean" } as const])),
    ...sourceFlags(),
  });
  // The formats' and the sources' flags come from their tables: read by name.
  const values = parsed as FlagValues;
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; the key goes in --access-key`);
  const accessKeyId = values["access-key"] as string | undefined;
  if (accessKeyId === undefined) throw new UsageError("--access-key is required: the AKIA... or ASIA... key to review");
  if (!ANY_KEY_ID.test(accessKeyId)) throw new UsageError(reviewedKeyFlagProblem(accessKeyId));
  const asked = formats.filter((format) => values[format.flag] === true);
  if (asked.length > 1) throw new UsageError(`--${asked[0].flag} and --${asked[1].flag} cannot be used together: choose one output`);
  const since = parseInstantFlag("since", values.since as string | undefined);
  const until = parseInstantFlag("until", values.until as string | undefined);
  if (since !== undefined && until !== undefined && since.getTime() > until.getTime()) {
    throw new UsageError(`--since ${values.since} is after --until ${values.until}; expected the start of the review before its end`);
  }
  const request: ReviewRequest = { accessKeyId, since, until, regions: parseRegions(values.regions as string | undefined) };
  let source: SelectedSource;
  try {
    source = selectSource(values, request);
  } catch (error) {
    throw error instanceof FlagError ? new UsageError(error.message) : error;
  }
  return { ...request, format: asked[0]?.name ?? "text", ...(source.source.selector === null ? {} : { source }) };
}

/** What tests can change in the shell: the clock, and what each source would build, by the source's name. */
export interface ReviewDependencies {
  now?: () => Date;
  /** For each source by its name (review/sources/): its clients, its pace, another SQL engine. */
  sources?: Readonly<Record<string, object>>;
}

/** Runs a review with the source its options name (LookupEvents when none does). */
export async function runReview(options: ReviewOptions, io: Io, dependencies: ReviewDependencies = {}): Promise<number> {
  const { source, options: sourceOptions } = options.source ?? selectSource({}, options);
  const now = dependencies.now ?? (() => new Date());
  const outcome = await source.review(options, sourceOptions, { ...io, now }, dependencies.sources?.[source.name] ?? {});
  if (outcome.chain === null) return outcome.exit;
  await writePieces(io, FORMATS[options.format].render(analyze(outcome.chain), outcome.context));
  // Reviewed, but with parts that could not be read: the review says which, and the exit says so.
  return outcome.context.failed.length > 0 ? EXIT_USAGE : EXIT_OK;
}

export const reviewCommand: Command = {
  name: "review",
  summary: "what the key (and the keys it minted) did, from CloudTrail",
  usage,
  run: async (argv, io) => runReview(parseReviewFlags(argv), io),
};
