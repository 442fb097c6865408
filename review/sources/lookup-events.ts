/**
 * The review's default source: CloudTrail's LookupEvents, in every region at once, paced at its
 * limit (review/lookup/). A region that cannot be read is reported and the review goes on; the
 * review stops only when no region could be read.
 */
import { displayValue } from "../../incident/display.ts";
import { formatInstant } from "../../incident/time.ts";
import { LOOKBACK_MS } from "../core/chain.ts";
import { COMMERCIAL_REGIONS } from "../core/regions.ts";
import { LOOKUP_EVENTS_DAYS } from "../lookup/limits.ts";
import type { ReaderOptions } from "../lookup/reader.ts";
import { plural } from "../render/parts.ts";
import type { ReviewSource } from "./source.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What tests may change: the clients, the pace, the clock and the retries of the reader. */
export type LookupEventsDependencies = Omit<ReaderOptions, "regions" | "progress">;

export const lookupEvents: ReviewSource<null, LookupEventsDependencies> = {
  name: "lookupEvents",
  selector: null,
  flags: {},
  declines: { accounts: "LookupEvents reads the credentials' own account" },
  usage: { synopsis: "", options: "" },
  parse: () => null,

  async review(request, _options, io, dependencies) {
    const now = io.now();
    const until = request.until ?? now;
    const since = request.since ?? new Date(until.getTime() - LOOKUP_EVENTS_DAYS * DAY);
    const kept = now.getTime() - LOOKUP_EVENTS_DAYS * DAY;
    const keptSince = new Date(kept).toISOString();
    // The part of the window before what LookupEvents keeps is not read: an unread part of the
    // review (INCOMPLETE, exit 2), never a quiet warning under a review that looks whole.
    const unreadable: { part: string; reason: string }[] = [];
    if (since.getTime() < kept) {
      unreadable.push({
        part: `the window from ${formatInstant(since)} to ${formatInstant(new Date(Math.min(kept, until.getTime())))}`,
        reason: `LookupEvents keeps ${LOOKUP_EVENTS_DAYS} days of events, from ${formatInstant(new Date(kept))} on; read this part from the trail's log files (--from-s3, --athena or --from-logs)`,
      });
      io.err(
        `review: LookupEvents keeps ${LOOKUP_EVENTS_DAYS} days of events; anything before ${keptSince} is only in the log files (--from-logs)\n`,
      );
    } else if (since.getTime() - LOOKBACK_MS < kept) {
      // The window is kept, but not all of the 36 h before it: a session the key minted there, and
      // what it did in the window, cannot be found, since only the minting call names the key.
      io.err(
        `review: LookupEvents keeps ${LOOKUP_EVENTS_DAYS} days of events: of the ${LOOKBACK_MS / HOUR} h before the window, where the sessions the key minted into the window are found, only those from ${keptSince} are kept; a session minted earlier, and what it did, is only in the log files (--from-logs)\n`,
      );
    }
    const regions = request.regions ?? COMMERCIAL_REGIONS;
    // Loaded when used: the SDK's CloudTrail client costs a review of log files its start.
    const [{ CloudTrailReader }, { ScanProgress }, { followChain }] = await Promise.all([
      import("../lookup/reader.ts"),
      import("../lookup/progress.ts"),
      import("../core/chain.ts"),
    ]);
    const progress = new ScanProgress(io, regions);
    const reader = new CloudTrailReader({ ...dependencies, regions, progress });
    let chain: Awaited<ReturnType<typeof followChain>>;
    try {
      chain = await followChain(request.accessKeyId, { start: since.getTime(), end: until.getTime() }, reader.source);
    } finally {
      reader.close();
      progress.finish();
    }

    const notEnabled = [
      ...new Set(reader.failures.filter((failure) => failure.notEnabled).map((failure) => failure.region)),
    ].sort();
    const failedByRegion = new Map<string, string>();
    for (const failure of reader.failures)
      if (!failure.notEnabled && !failedByRegion.has(failure.region))
        failedByRegion.set(failure.region, failure.reason);
    const failed = [...failedByRegion.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([region, reason]) => ({ region, reason }));

    if (failed.length > 0) {
      // One line per distinct reason: a missing credential fails every region the same way.
      const byReason = new Map<string, string[]>();
      for (const { region, reason } of failed) byReason.set(reason, [...(byReason.get(reason) ?? []), region]);
      for (const [reason, where] of byReason)
        io.err(`cordon review: could not read CloudTrail in ${where.join(", ")}: ${displayValue(reason)}\n`);
    }
    const readRegions = regions.filter((region) => !failedByRegion.has(region) && !notEnabled.includes(region));
    if (readRegions.length === 0) {
      io.err("cordon review: CloudTrail could not be read in any region; nothing reviewed\n");
      return { chain: null, exit: 2 };
    }
    return {
      chain,
      context: {
        source: { kind: "cloudtrail", regions },
        sourceSummary: `CloudTrail LookupEvents in ${plural(regions.length, "region")}`,
        notEnabled,
        failed,
        unreadable,
        // LookupEvents reads the account of the credentials it runs with, and names no account:
        // that account is the one that received the events it gave.
        accountsRead: {
          accounts: [],
          toRead: (account) =>
            `LookupEvents reads only the account of the credentials the review runs with; review again with credentials of ${account}, or read its trail (--from-s3 or --athena with --accounts ${account})`,
        },
      },
    };
  },
};
