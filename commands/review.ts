/**
 * `review`: what the exposed key did, and what every key it minted or created did, from CloudTrail
 * (LookupEvents in every region), log files, a trail's bucket or its Athena table. A thin shell:
 * the flags every review takes and the output here; each source of events is a row of
 * review/sources/table.ts, the chain and the findings are review/core/'s, the outputs rows of
 * review/render/formats.ts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { writeFileWhole } from "../cli/files.ts";
import { booleanFlags, listFlags, parseFlags, parseInstantFlag, stringFlags, type Command } from "../cli/command.ts";
import { EXIT_OK, EXIT_USAGE, UsageError, writePieces, type Io } from "../cli/io.ts";
import { notJsonProblem } from "../cli/json-file.ts";
import { displayValue } from "../incident/display.ts";
import { ANY_KEY_ID, pastedKeyId, reviewedKeyFlagProblem } from "../incident/fields.ts";
import { formatInstant } from "../incident/time.ts";
import { keyInstantsFromStackOutputs } from "../plan/outputs.ts";
import { LOOKBACK_MS } from "../review/core/chain.ts";
import { analyze } from "../review/core/findings.ts";
import { capabilitiesFrom, type Capabilities } from "../review/core/reach.ts";
import { REGION_NAME } from "../review/core/regions.ts";
import type { IncidentInstants } from "../review/core/timeline.ts";
import { LOOKUP_EVENTS_DAYS } from "../review/lookup/limits.ts";
import { incomplete } from "../review/render/context.ts";
import { FORMATS, type FormatName } from "../review/render/formats.ts";
import { consoleSessionReasons, keyNotFound, notFoundText, unreadAccountReasons } from "../review/render/parts.ts";
import type { Format } from "../review/render/formats.ts";
import { FlagError, type FlagValues, type ReviewRequest } from "../review/sources/source.ts";
import { selectSource, sourceFlags, sourcesUsage, type SelectedSource } from "../review/sources/table.ts";

const withFlags = Object.entries(FORMATS).flatMap(([name, format]) =>
  format.flag === null ? [] : [{ name: name as FormatName, ...(format as Format), flag: format.flag }],
);
/** The outputs that go to stdout, one at most; and those written to the file their flag names. */
const formats = withFlags.filter((format) => format.to !== "file");
const fileFormats = withFlags.filter((format) => format.to === "file");

/**
 * The exit code of a review that found the key in no event read: not a clean review (0), not a
 * misuse or a source that could not be read (2, which wins when both hold).
 */
export const EXIT_NOT_FOUND = 3;
const sources = sourcesUsage();
const indent = " ".repeat(40);

const usage = `usage: npx cordon review --access-key KEY [--since ISO] [--until ISO] [--regions all|R1,R2]
${indent}[${formats.map((format) => `--${format.flag}`).join(" | ")}] ${fileFormats.map((format) => `[--${format.flag} FILE]`).join(" ")}
${indent}[--cutoff ISO] [--contained-at ISO] [--stack-outputs FILE]... [--assess FILE]
${sources.synopsis.map((line) => `${indent}${line}`).join("\n")}

What an exposed key did, from CloudTrail, in every region; and what the keys it minted
(GetSessionToken, GetFederationToken, AssumeRole, role chaining) or created (CreateAccessKey) did,
each within its lifetime; and what the users it created or gave a password did.

options:
  --access-key KEY   the key to review, AKIA... or ASIA... (required)
  --since ISO        start of the review (default: ${LOOKUP_EVENTS_DAYS} days before --until, all LookupEvents keeps;
                     with --from-logs: the first event in the logs); the key is read from ${LOOKBACK_MS / 3_600_000} h before
                     it, for the sessions it minted that live into the review
  --until ISO        end of the review (default: now; with --from-logs: the last event in the logs)
  --regions LIST     all, or regions separated by commas (default: all commercial regions)
${sources.options}
${withFlags.map((format) => format.usage).join("\n")}
  --cutoff ISO       the incident's cutoff, marked on the timeline (default: from --stack-outputs)
  --contained-at ISO when the key was contained, marked on the timeline (default: from --stack-outputs)
  --stack-outputs FILE  \`pulumi stack output --json\` of a stack that applied an incident listing the
                     key: its cutoff and containment instant are marked (repeatable)
  --assess FILE      the output of \`cordon assess --json\`: what the key could reach, drawn beside what
                     it touched (the review goes on without it if it cannot be read)
  -h, --help         this text

Needs cloudtrail:LookupEvents, and paces itself at its limit of 2 requests per second per region,
learning the pace from CloudTrail's answers. --from-s3 needs s3:ListBucket and s3:GetObject;
--athena needs what docs/review.md lists. Which to use: one account within 90 days, LookupEvents;
a trail's bucket, --from-s3; an organization trail, --athena. Progress goes to stderr, the review
to stdout.

exit codes: 0 reviewed · 1 the log files on disk, or every log file in S3, cannot be read · 2 misused,
or CloudTrail, the bucket or Athena could not be read (or a part of it, an account the key reached,
or a console session its chain opened: the review is printed, marked INCOMPLETE)
· 3 the key appears in no event read (a typo, the wrong window, account or source): not a clean review
`;

function parseRegions(value: string | undefined): readonly string[] | undefined {
  if (value === undefined || value === "all") return undefined;
  const regions = [...new Set(value.split(",").map((region) => region.trim()))];
  const wrong = regions.find((region) => !REGION_NAME.test(region));
  if (wrong !== undefined)
    throw new UsageError(
      `--regions "${value}": "${wrong}" is not a region name; expected all, or names such as us-east-1,eu-west-1`,
    );
  return regions;
}

export interface ReviewOptions extends ReviewRequest {
  format: FormatName;
  /** Outputs written to files (`--html FILE`), beside stdout's. @default [] */
  files?: readonly { format: FormatName; path: string }[];
  /** `--cutoff`, `--contained-at`: marked on the timeline, before what the stack outputs say. */
  cutoff?: Date;
  containedAt?: Date;
  /** `--stack-outputs FILE`, repeatable. @default [] */
  stackOutputs?: readonly string[];
  /** `--assess FILE`. */
  assess?: string;
  /** The source the flags chose and its options; absent: LookupEvents, the source no flag selects. */
  source?: SelectedSource;
}

/** Parses and checks the flags; every misuse is a UsageError (exit 2). */
export function parseReviewFlags(argv: string[]): ReviewOptions {
  const { values: parsed, positionals } = parseFlags(argv, {
    ...stringFlags("access-key", "since", "until", "regions"),
    ...booleanFlags(...formats.map((format) => format.flag)),
    ...stringFlags(...fileFormats.map((format) => format.flag)),
    ...stringFlags("cutoff", "contained-at"),
    ...listFlags("stack-outputs"),
    ...stringFlags("assess"),
    ...sourceFlags(),
  });
  // The formats' and the sources' flags come from their tables: read by name.
  const values = parsed as FlagValues;
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"; the key goes in --access-key`);
  const typed = values["access-key"] as string | undefined;
  const accessKeyId = typed === undefined ? undefined : pastedKeyId(typed);
  if (accessKeyId === undefined) throw new UsageError("--access-key is required: the AKIA... or ASIA... key to review");
  if (!ANY_KEY_ID.test(accessKeyId)) throw new UsageError(reviewedKeyFlagProblem(accessKeyId));
  const asked = formats.filter((format) => values[format.flag] === true);
  if (asked.length > 1)
    throw new UsageError(`--${asked[0].flag} and --${asked[1].flag} cannot be used together: choose one output`);
  const since = parseInstantFlag("since", values.since as string | undefined);
  const until = parseInstantFlag("until", values.until as string | undefined);
  if (since !== undefined && until !== undefined && since.getTime() > until.getTime()) {
    throw new UsageError(
      `--since ${values.since} is after --until ${values.until}; expected the start of the review before its end`,
    );
  }
  const files = fileFormats.flatMap((format) => {
    const path = values[format.flag] as string | undefined;
    if (path === undefined) return [];
    if (path === "")
      throw new UsageError(`--${format.flag} needs the file to write, such as --${format.flag} review.${format.flag}`);
    return [{ format: format.name, path }];
  });
  const assess = values.assess as string | undefined;
  if (assess === "") throw new UsageError("--assess needs the file `cordon assess --json` wrote");
  // Only what was given: a review asked for with none of these flags is the review it always was.
  const cutoff = parseInstantFlag("cutoff", values.cutoff as string | undefined);
  const containedAt = parseInstantFlag("contained-at", values["contained-at"] as string | undefined);
  const stackOutputs = (values["stack-outputs"] as string[] | undefined) ?? [];
  const marks = {
    ...(cutoff === undefined ? {} : { cutoff }),
    ...(containedAt === undefined ? {} : { containedAt }),
    ...(stackOutputs.length === 0 ? {} : { stackOutputs }),
    ...(assess === undefined ? {} : { assess }),
    ...(files.length === 0 ? {} : { files }),
  };
  const request: ReviewRequest = {
    accessKeyId,
    since,
    until,
    regions: parseRegions(values.regions as string | undefined),
  };
  let source: SelectedSource;
  try {
    source = selectSource(values, request);
  } catch (error) {
    throw error instanceof FlagError ? new UsageError(error.message) : error;
  }
  return {
    ...request,
    format: asked[0]?.name ?? "text",
    ...marks,
    ...(source.source.selector === null ? {} : { source }),
  };
}

/**
 * The incident's instants the timeline marks: the flags' first, then what the stacks recorded of
 * the incidents that list the key. A file that cannot be read is a usage error: it was named.
 */
async function incidentInstants(options: ReviewOptions, io: Io): Promise<IncidentInstants> {
  const given = options.stackOutputs ?? [];
  let recorded: IncidentInstants = { cutoff: null, containedAt: null };
  if (given.length > 0) {
    // Loaded when used: the incident files' reader (YAML, the schema) costs every other review its start.
    const { readPreamble } = await import("../cli/incidents.ts");
    const { outputs } = readPreamble({ "stack-outputs": [...given] }, io);
    try {
      recorded = keyInstantsFromStackOutputs(
        outputs.map((output) => output.json),
        options.accessKeyId,
      );
    } catch (error) {
      throw new UsageError(`--stack-outputs: ${(error as Error).message}`);
    }
  }
  const flag = (date: Date | undefined) => (date === undefined ? null : formatInstant(date));
  return {
    cutoff: flag(options.cutoff) ?? recorded.cutoff,
    containedAt: flag(options.containedAt) ?? recorded.containedAt,
  };
}

/**
 * What `assess --json` said, from `--assess FILE`; undefined, with a warning, when it cannot be
 * read: the review never fails because assess could not run.
 */
function capabilities(file: string | undefined, io: Io): Capabilities | undefined {
  if (file === undefined) return undefined;
  let found: Capabilities | string;
  try {
    const text = readFileSync(resolve(io.cwd, file), "utf8");
    try {
      found = capabilitiesFrom(JSON.parse(text));
    } catch {
      found = `${notJsonProblem(text)}: expected what \`cordon assess --json\` wrote`;
    }
  } catch (error) {
    found = `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (typeof found !== "string") return found;
  io.err(
    `review: --assess ${displayValue(file)}: ${displayValue(found)}; the blast radius shows what the review saw, without what assess says\n`,
  );
  return undefined;
}

/** What tests can change in the shell: the clock, and what each source would build, by the source's name. */
export interface ReviewDependencies {
  now?: () => Date;
  /** For each source by its name (review/sources/): its clients, its pace, another SQL engine. */
  sources?: Readonly<Record<string, object>>;
}

/** Runs a review with the source its options name (LookupEvents when none does). */
export async function runReview(
  options: ReviewOptions,
  io: Io,
  dependencies: ReviewDependencies = {},
): Promise<number> {
  const { source, options: sourceOptions } = options.source ?? selectSource({}, options);
  const now = dependencies.now ?? (() => new Date());
  // What the flags name is read first: a file that cannot be read stops the review before it starts.
  const instants = await incidentInstants(options, io);
  const could = capabilities(options.assess, io);
  const outcome = await source.review(
    options,
    sourceOptions,
    { ...io, now },
    dependencies.sources?.[source.name] ?? {},
  );
  if (outcome.chain === null) return outcome.exit;
  const review = analyze(outcome.chain);
  const context = { ...outcome.context, instants, ...(could === undefined ? {} : { capabilities: could }) };
  await writePieces(io, FORMATS[options.format].render(review, context));
  let exit = EXIT_OK;
  for (const { format, path } of options.files ?? []) {
    try {
      writeFileWhole(resolve(io.cwd, path), FORMATS[format].render(review, context));
      io.err(`review: wrote ${displayValue(path)}\n`);
    } catch (error) {
      io.err(
        `cordon review: --${FORMATS[format].flag} ${displayValue(path)}: cannot write it (${displayValue((error as NodeJS.ErrnoException).code ?? (error as Error).message)})\n`,
      );
      exit = EXIT_USAGE;
    }
  }
  // A key found nowhere, an account reached and not read, are said on stderr too: a review of
  // nothing, or of a part, must never pass for a clean one.
  if (keyNotFound(review)) io.err(`cordon review: ${displayValue(notFoundText(review, context))}\n`);
  for (const { account, reason } of unreadAccountReasons(review, context))
    io.err(`cordon review: INCOMPLETE: account ${account} not read: ${displayValue(reason)}\n`);
  for (const { part, reason } of consoleSessionReasons(review))
    io.err(`cordon review: INCOMPLETE: ${displayValue(part)} not followed: ${displayValue(reason)}\n`);
  // Reviewed, but with parts that could not be read: the review says which, and the exit says so.
  if (incomplete(review, context)) return EXIT_USAGE;
  // An output file that could not be written (exit 2, set above) wins over a key found nowhere:
  // what was asked for was not all done.
  if (exit !== EXIT_OK) return exit;
  if (keyNotFound(review)) return EXIT_NOT_FOUND;
  return EXIT_OK;
}

export const reviewCommand: Command = {
  name: "review",
  usage,
  run: async (argv, io) => runReview(parseReviewFlags(argv), io),
};
