/**
 * What a source of a review's events is. Every source (LookupEvents, log files on disk, a trail's
 * bucket, its Athena table) is a module of this folder that exports one {@link ReviewSource}, and a
 * row of the table (table.ts); the command (commands/review.ts) knows sources only through the
 * table. A source parses its own flags, reads the events the chain asks for, follows the chain
 * (core/chain.ts), tells what it does on stderr as it goes, and hands back the chain and how the
 * reports name it; the findings and the outputs are the same whatever the source.
 *
 * Modules here load what they read with (the AWS SDK, reader threads) only when they review: the
 * command imports every source to parse flags, and a review of one source must not pay for the
 * others' start.
 */
import { formatDiagnostic } from "../../incident/diagnostics.ts";
import { displayValue } from "../../incident/display.ts";
import { ACCOUNT_ID } from "../../incident/fields.ts";
import type { Chain } from "../core/chain.ts";
import type { LogProblem } from "../logs/log-file.ts";
import type { ReviewContext } from "../render/context.ts";
import { parseS3Url, type S3Location } from "../trail/layout.ts";

/** What every review is asked, whatever its source. */
export interface ReviewRequest {
  /** The key to review, AKIA... or ASIA... */
  accessKeyId: string;
  since?: Date;
  until?: Date;
  /** @default every region the source holds */
  regions?: readonly string[];
}

/** What a source may use of the process: stderr (progress, problems), the folder and the environment, the clock of defaults. */
export interface SourceIo {
  err(text: string): void;
  /** True when stderr is a terminal: progress redraws in place only then. */
  errIsTTY: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Now, for defaults such as `--until`. */
  now(): Date;
  /**
   * Registers how to stop what the source leaves running elsewhere (an Athena query) if the
   * process is interrupted (SIGINT, SIGTERM); returns how to unregister. Absent when nothing
   * interrupts (tests in-process).
   */
  onInterrupt?(stop: () => Promise<void>): () => void;
}

/** Flag values as node:util's parseArgs gives them. */
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

/** A source's flags used wrongly: the command shows the message as a usage error (exit 2). */
export class FlagError extends Error {}

/**
 * How a review ended. Reviewed: the chain, and how the reports name the source and what it could
 * not read (a review with parts unread is reported, and exits 2). Not reviewed: why is already on
 * stderr; exit 1 when what was read is wrong (a broken log file), 2 when it could not be read.
 */
export type SourceOutcome = { chain: Chain; context: ReviewContext } | { chain: null; exit: 1 | 2 };

/**
 * One source. `Options` is what `parse` makes of its flags; `Dependencies` what tests may put in
 * place of what it would build (a client, an engine), each optional.
 */
export interface ReviewSource<Options = unknown, Dependencies extends object = object> {
  /** How the table, the tests (dependencies) and the usage name it. */
  name: string;
  /** The flag that selects it and how the usage shows its value (`--from-s3 URL`); null for the one used when no flag selects another. */
  selector: { flag: string; value: string } | null;
  /** Its other flags, all taking a value; several sources may take one flag (`--accounts`). */
  flags: Readonly<Record<string, { type: "string" }>>;
  /** For the source used without a flag: why it takes none of some other sources' flags, said when one is given. */
  declines?: Readonly<Record<string, string>>;
  /** Its part of `review --help`: the synopsis after the common flags, and its lines under options. */
  usage: { synopsis: string; options: string };
  /** Checks its flags (throws {@link FlagError}) and makes its options. Only called for the selected source. */
  parse(values: FlagValues, request: ReviewRequest): Options;
  review(request: ReviewRequest, options: Options, io: SourceIo, dependencies: Dependencies): Promise<SourceOutcome>;
}

// What several sources share.

/** Log files that cannot be read: every problem, then why nothing is reviewed (exit 1). */
export function refuseFiles(io: SourceIo, problems: readonly LogProblem[]): SourceOutcome {
  for (const problem of problems) io.err(`${displayValue(formatDiagnostic(problem))}\n`);
  io.err(
    `cordon review: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`} in the log files; nothing reviewed\n`,
  );
  return { chain: null, exit: 1 };
}

/** A trail's files are kept by day: a source that reads them needs a start. */
export function needSince(flag: string, request: ReviewRequest): Date {
  if (request.since === undefined)
    throw new FlagError(
      `--${flag} needs --since: a trail's files are kept by day, and a review without a start would read the whole trail`,
    );
  return request.since;
}

/** `--accounts`: account ids separated by commas, deduplicated and sorted. */
export function accountsFlag(value: string | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const accounts = [...new Set(value.split(",").map((account) => account.trim()))].sort();
  const wrong = accounts.find((account) => !ACCOUNT_ID.test(account));
  if (wrong !== undefined)
    throw new FlagError(
      `--accounts "${value}": "${wrong}" is not an account id; expected 12 digits, such as 111122223333,444455556666`,
    );
  return accounts;
}

/** A flag that takes `s3://BUCKET[/PREFIX]`. */
export function s3Flag(name: string, value: string): S3Location {
  const location = parseS3Url(value);
  if (typeof location === "string") throw new FlagError(`--${name}: ${location}`);
  return location;
}
