/**
 * Every source of a review, one row each; the command (commands/review.ts) dispatches from here
 * and from nowhere else. A new source is a module of this folder that exports a ReviewSource, and
 * its row: its flags, its usage, the checks of which source a review uses and the dispatch follow.
 */
import { athena } from "./athena.ts";
import { logs } from "./logs.ts";
import { lookupEvents } from "./lookup-events.ts";
import { s3 } from "./s3.ts";
import { FlagError, type FlagValues, type ReviewRequest, type ReviewSource } from "./source.ts";

// `any`: each row has options and dependencies of its own; the table only hands them back to it.
// biome-ignore lint/suspicious/noExplicitAny: the table holds sources of different options and states; each is used with its own
type AnySource = ReviewSource<any, any>;

/** The sources, in the order their flags are checked and their usage shown; the one without a selector is used when no flag selects another. */
export const SOURCES: readonly AnySource[] = [lookupEvents, logs, s3, athena];

/** The flags of every source, for node:util's parseArgs: the selectors and the others, each once. */
export function sourceFlags(): Record<string, { type: "string" }> {
  const flags: Record<string, { type: "string" }> = {};
  for (const source of SOURCES) {
    if (source.selector !== null) flags[source.selector.flag] = { type: "string" };
    Object.assign(flags, source.flags);
  }
  return flags;
}

/** A source chosen by the flags, with the options it parsed. */
export interface SelectedSource {
  source: AnySource;
  options: unknown;
}

/**
 * The source the flags select, its flags checked: one source at most, only flags it takes.
 * Throws {@link FlagError}.
 */
export function selectSource(values: FlagValues, request: ReviewRequest): SelectedSource {
  const given = (flag: string) => values[flag] !== undefined;
  const selected = SOURCES.filter((source) => source.selector !== null && given(source.selector.flag));
  if (selected.length > 1)
    throw new FlagError(
      `--${selected[0].selector?.flag} and --${selected[1].selector?.flag} cannot be used together: choose one source of events`,
    );
  const fallback = SOURCES.find((source) => source.selector === null) as AnySource;
  const source = selected[0] ?? fallback;
  for (const flag of new Set(SOURCES.flatMap((other) => Object.keys(other.flags)))) {
    if (!given(flag) || flag in source.flags) continue;
    const owners = SOURCES.filter((other) => flag in other.flags).map(
      (other) => other.selector as { flag: string; value: string },
    );
    // One source: shown as the usage shows it; several: by their flags alone.
    const takers =
      owners.length === 1
        ? `--${owners[0].flag} ${owners[0].value}`
        : owners.map((owner) => `--${owner.flag}`).join(" and ");
    const why =
      source.selector !== null
        ? `, not --${source.selector.flag}`
        : source.declines?.[flag] === undefined
          ? ""
          : `: ${source.declines[flag]}`;
    throw new FlagError(`--${flag} is for ${takers}${why}`);
  }
  return { source, options: source.parse(values, request) };
}

/**
 * The sources' part of `review --help`: the choice of source as lines of the synopsis (`[A | B |
 * C]`, a choice's own continuation lines indented under it), and the lines of their options.
 */
export function sourcesUsage(): { synopsis: string[]; options: string } {
  const choices = SOURCES.filter((source) => source.usage.synopsis !== "").map((source) =>
    source.usage.synopsis.split("\n"),
  );
  const synopsis = choices.flatMap((lines, i) => {
    const first = `${i === 0 ? "[" : " | "}${lines[0]}`;
    return [first, ...lines.slice(1).map((line) => `   ${line}`)].map((line, j, all) =>
      i === choices.length - 1 && j === all.length - 1 ? `${line}]` : line,
    );
  });
  return {
    synopsis,
    options: SOURCES.map((source) => source.usage.options)
      .filter((text) => text !== "")
      .join("\n"),
  };
}
