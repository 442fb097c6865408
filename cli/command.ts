import { parseArgs, type ParseArgsConfig } from "node:util";
import { FLAG_INSTANT, impossibleInstantFlagProblem, instantFlagProblem } from "../incident/fields.ts";
import { closestName } from "../incident/spelling.ts";
import { impossibleInstant, parseInstant } from "../incident/time.ts";
import { UsageError, type Io } from "./io.ts";

/** One CLI command: `npx cordon <name> ...`. */
export interface Command {
  name: string;
  /** The full `--help` text. */
  usage: string;
  run(argv: string[], io: Io): Promise<number>;
}

/**
 * `util.parseArgs` with cordon's rules: unknown flags, missing values and a flag that takes one
 * value given twice are usage errors (exit 2), never silently ignored. parseArgs keeps the last of
 * `--account A --account B`: the run would act on B while the one who typed it may have meant A.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T) {
  const parse = () => {
    try {
      return parseArgs({
        args: argv,
        options: { ...options, help: { type: "boolean", short: "h" } },
        allowPositionals: true,
        strict: true,
        tokens: true,
      });
    } catch (error) {
      throw new UsageError(flagProblem(error as Error & { code?: string }, [...Object.keys(options), "help"]));
    }
  };
  const parsed = parse();
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== "option" || (Object.hasOwn(options, token.name) && options[token.name].multiple)) continue;
    if (seen.has(token.name)) throw new UsageError(`option --${token.name} given twice`);
    seen.add(token.name);
  }
  const { tokens: _, ...result } = parsed;
  return result;
}

/** Flags of one kind, by name: `stringFlags("bucket", "prefix")` for parseFlags. */
function flagsOf<const O extends { type: "string" | "boolean"; multiple?: boolean }>(option: O) {
  return <const N extends string>(...names: N[]): Record<N, O> =>
    Object.fromEntries(names.map((name) => [name, option])) as Record<N, O>;
}

/** Flags that take a value once (`--name VALUE`). */
export const stringFlags = flagsOf({ type: "string" });
/** Flags that take a value and may repeat (`--name A --name B`): their values come as a list. */
export const listFlags = flagsOf({ type: "string", multiple: true });
/** Flags that take no value (`--json`). */
export const booleanFlags = flagsOf({ type: "boolean" });

/**
 * Node's parser messages, said in one short clause each, with the flag a misspelt one most likely
 * meant: Node's own ("Unknown option '--usr'. To specify a positional argument starting with a
 * '-', place it at the end...") speak of its parser rather than of the command.
 */
export function flagProblem(error: Error & { code?: string }, flags: readonly string[]): string {
  const quoted = /'(-{1,2}[^' ]*)/.exec(error.message)?.[1];
  if (quoted === undefined) return error.message;
  const name = quoted.replace(/^-+/, "").replace(/=.*$/, "");
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const meant = closestName(name, flags);
    return `unknown option ${quoted}${meant === undefined ? "" : ` (did you mean --${meant}?)`}`;
  }
  if (error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return error.message.includes("does not take an argument")
      ? `option --${name} takes no value`
      : `option --${name} needs a value`;
  }
  return error.message;
}

/**
 * Parses an instant given on the command line (`--now`, `--since`, ...): the one parser of them.
 * Seconds may be left out; a date or time that does not exist (February 30, hour 24) is refused,
 * saying which part, rather than rolled over into another instant.
 */
export function parseInstantFlag(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  if (!FLAG_INSTANT.test(value)) throw new UsageError(instantFlagProblem(name, value));
  // 2026-11-28T10:00Z: the seconds are left out (position 16 holds the offset, not ":").
  const full = value[16] === ":" ? value : `${value.slice(0, 16)}:00${value.slice(16)}`;
  const why = impossibleInstant(full);
  if (why !== undefined) throw new UsageError(impossibleInstantFlagProblem(name, value, why));
  const instant = parseInstant(full);
  if (instant === undefined) throw new UsageError(instantFlagProblem(name, value));
  return instant;
}
