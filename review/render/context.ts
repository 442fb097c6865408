/**
 * What a review's reports say besides the review itself: where its events came from, what could
 * not be read, and what else is known of the incident (its instants, what `assess` found). Each
 * source of the review (review/sources/) describes itself here, so that no renderer knows one
 * source from another; the command adds what its own flags give.
 */
import type { Conflict } from "../core/event.ts";
import type { Capabilities } from "../core/reach.ts";
import type { IncidentInstants } from "../core/timeline.ts";

/** A source as the JSON's `review.source` holds it: its `kind`, then fields of its own. */
export type SourceDescription = { readonly kind: string } & Readonly<Record<string, unknown>>;

/** Where the events came from, and what could not be read. */
export interface ReviewContext {
  source: SourceDescription;
  /** The source in words, as the text and the markdown show it after `source:` (`55 log files under logs`). */
  sourceSummary: string;
  /** Opt-in regions the account has not enabled. */
  notEnabled: readonly string[];
  /** Regions that could not be read, with the reason: the review is incomplete. */
  failed: readonly { region: string; reason: string }[];
  /**
   * Other parts of the source that could not be read (a log file in a trail's bucket, a folder of
   * it), each named as the source names it (`s3://…`), with the reason: the review is incomplete.
   * @default []
   */
  unreadable?: readonly { part: string; reason: string }[];
  /** Different events under one id in the logs (every copy is in the review, marked). @default [] */
  conflicts?: readonly Conflict[];
  /** The incident's cutoff and containment instant, marked on the timeline. @default none known */
  instants?: IncidentInstants;
  /** What `assess --json` said the key could reach, beside what the review saw. @default none given */
  capabilities?: Capabilities;
}

/** Whether some part of the source could not be read: the review is incomplete, and says so. */
export function incomplete(context: ReviewContext): boolean {
  return context.failed.length > 0 || (context.unreadable?.length ?? 0) > 0;
}
