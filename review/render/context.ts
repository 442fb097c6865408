/**
 * What a review's reports say besides the review itself: where its events came from, what could
 * not be read, and what else is known of the incident (its instants, what `assess` found). Each
 * source of the review (review/sources/) describes itself here, so that no renderer knows one
 * source from another; the command adds what its own flags give.
 */
import type { Conflict } from "../core/event.ts";
import type { AccountReached, Review } from "../core/findings.ts";
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
  /**
   * The accounts whose CloudTrail the source read, as it knows them, and how to read another. An
   * account the chain reached (a role assumed there, the reviewed key's own) that is neither here
   * nor the recipient of an event the review read was not read: the review is incomplete.
   * @default none known, and a general way to read one
   */
  accountsRead?: AccountsRead;
  /** Different events under one id in the logs (every copy is in the review, marked). @default [] */
  conflicts?: readonly Conflict[];
  /** The incident's cutoff and containment instant, marked on the timeline. @default none known */
  instants?: IncidentInstants;
  /** What `assess --json` said the key could reach, beside what the review saw. @default none given */
  capabilities?: Capabilities;
}

/** What a source says of the accounts it read. */
export interface AccountsRead {
  /** Accounts whose logs the source read: named for it (`--accounts`, a trail's folders, CloudTrail's file names). */
  accounts: readonly string[];
  /** How to read `account`, said for an account reached and not read: with this source, or another. */
  toRead(account: string): string;
}

/**
 * The accounts the chain reached that the review did not read: no event the review read was
 * received by them (CloudTrail's `recipientAccountId`: each account's copy of an event names it),
 * and the source does not name them among those it read. A role session's calls are logged in the
 * role's account, which LookupEvents, reading the caller's account, never sees.
 */
export function unreadAccounts(review: Review, context: ReviewContext): AccountReached[] {
  const read = new Set(context.accountsRead?.accounts ?? []);
  for (const event of [...review.earlier, ...review.events])
    if (event.recipientAccountId !== null) read.add(event.recipientAccountId);
  return review.accounts.filter((account) => !read.has(account.account));
}

/**
 * Whether some part of the source, or an account the chain reached, was not read, or a console
 * session opened from the chain's keys was not followed: the review is incomplete, and says so.
 */
export function incomplete(review: Review, context: ReviewContext): boolean {
  return (
    context.failed.length > 0 ||
    (context.unreadable?.length ?? 0) > 0 ||
    unreadAccounts(review, context).length > 0 ||
    review.consoleSessions.length > 0
  );
}
