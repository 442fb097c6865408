/**
 * What a review's reports say besides the review itself: where its events came from, and what
 * could not be read. Each source of the review (review/sources/) describes itself here, so that no
 * renderer knows one source from another.
 */
import type { Conflict } from "../core/event.ts";

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
  /** Different events under one id in the logs (every copy is in the review, marked). @default [] */
  conflicts?: readonly Conflict[];
}
