import { parseArgs, type ParseArgsConfig } from "node:util";
import { FLAG_INSTANT, instantFlagProblem } from "../incident/fields.ts";
import { UsageError, type Io } from "./io.ts";

/** One CLI command: `npx cordon <name> ...`. */
export interface Command {
  name: string;
  /** One line for `cordon --help`. */
  summary: string;
  /** The full `--help` text. */
  usage: string;
  run(argv: string[], io: Io): Promise<number>;
}

/**
 * `util.parseArgs` with cordon's rules: unknown flags and missing values are usage errors (exit 2),
 * never silently ignored.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses an instant given on the command line (`--now`, `--since`, ...). */
export function parseInstantFlag(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!FLAG_INSTANT.test(value) || Number.isNaN(ms)) throw new UsageError(instantFlagProblem(name, value));
  return new Date(ms);
}
