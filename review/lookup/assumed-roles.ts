/**
 * Which roles an exposed key and every session it minted assumed, for `cordon new --access-key`:
 * the review's chain (core/chain.ts) followed on CloudTrail's LookupEvents in every region
 * (reader.ts, whose calls aws/cloudtrail.ts makes), within a deadline, and the roles the chain's
 * keys assumed (core/findings.ts). It lives in the review because it is the review's reading of
 * CloudTrail; aws/lookup.ts asks IAM and STS the rest, and never imports the review.
 */
import { sdkClient, type LookupClient } from "../../aws/cloudtrail.ts";
import { describeError } from "../../aws/errors.ts";
import { oneLine, type RolesLookup } from "../../aws/lookup.ts";
import { sdkRegionStatus, type RegionStatusQuestion } from "../../aws/regions.ts";
import { followChain } from "../core/chain.ts";
import { analyze } from "../core/findings.ts";
import { COMMERCIAL_REGIONS } from "../core/regions.ts";
import { systemClock, type Clock, type Pacer } from "./pacer.ts";
import { CloudTrailReader, REGION_STATUS_FROM, type RetryPolicy } from "./reader.ts";

/** How the CloudTrail reads of a roles lookup are made; tests pass their own clients, regions and clock. */
export interface RolesLookupOptions {
  regions?: readonly string[];
  clientFor?: (region: string, pacer: Pacer) => LookupClient;
  clock?: Clock;
  /** @default {@link LOOKUP_RETRY} */
  retry?: RetryPolicy;
  /** Which regions the account has enabled (reader.ts asks when an opt-in region refuses the credentials). */
  regionStatus?: RegionStatusQuestion;
}

/**
 * How often `new`'s lookup asks a region again after a server error, a dropped connection or a
 * throttle: four attempts, at most a second apart (the review, which has no deadline, tries ten
 * times). A CloudTrail that answers errors in every region ends the lookup in about two seconds,
 * with CloudTrail's reason, instead of spending the whole of `--lookup-seconds` retrying; a throttle
 * is first answered by the region's pacer slowing down, so four attempts are plenty for a lookup
 * that reads one key's last 12 hours.
 */
export const LOOKUP_RETRY: RetryPolicy = { attempts: 4, baseMs: 250, capMs: 1_000 };

/** The error a CloudTrail request gets once the lookup's time is up: not worth retrying. */
class DeadlinePassed extends Error {
  override readonly name = "DeadlinePassed";
}

/**
 * The review's chain, followed on CloudTrail from `accessKeyId` over [since, until], and the roles
 * its keys assumed. At `deadline`, every request in flight is aborted and every later one refused
 * at once (retries and pacing included): the lookup ends then, whatever it had found.
 */
export async function lookupAssumedRoles(
  accessKeyId: string,
  since: Date,
  until: Date,
  deadline: number,
  options: RolesLookupOptions = {},
): Promise<RolesLookup> {
  const clock = options.clock ?? systemClock;
  const started = Date.now();
  const abort = new AbortController();
  const late = () => Date.now() >= deadline;
  // Pacing and backoff sleeps end at the deadline, so nothing waits past it.
  const bounded: Clock = {
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(Math.max(0, Math.min(ms, deadline - Date.now()))),
  };
  const clientFor = (region: string, pacer: Pacer): LookupClient => {
    const client = (options.clientFor ?? sdkClient)(region, pacer);
    return {
      async send(command) {
        if (late() || abort.signal.aborted) throw new DeadlinePassed("the lookup's time was up");
        try {
          return await client.send(command, { abortSignal: abort.signal });
        } catch (error) {
          if (late() || abort.signal.aborted) throw new DeadlinePassed("the lookup's time was up");
          throw error;
        }
      },
      destroy: () => client.destroy?.(),
    };
  };
  const regions = options.regions ?? COMMERCIAL_REGIONS;
  const reader = new CloudTrailReader({
    regions,
    clientFor,
    clock: bounded,
    retry: options.retry ?? LOOKUP_RETRY,
    // Aborted at the deadline like every LookupEvents request.
    regionStatus: options.regionStatus ?? sdkRegionStatus(REGION_STATUS_FROM, { abortSignal: abort.signal }),
  });
  const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
  try {
    const chain = await followChain(accessKeyId, { start: since.getTime(), end: until.getTime() }, reader.source);
    if (late())
      return {
        kind: "failed",
        reason: `CloudTrail did not answer within ${Math.max(0, Math.round((deadline - started) / 1000))} s`,
      };
    const failed = [...new Map(reader.failures.filter((f) => !f.notEnabled).map((f) => [f.region, f.reason])).entries()]
      .map(([region, reason]) => ({ region, reason }))
      .sort((a, b) => a.region.localeCompare(b.region));
    const notEnabled = new Set(reader.failures.filter((f) => f.notEnabled).map((f) => f.region));
    const read = regions.filter((region) => !notEnabled.has(region) && !failed.some((f) => f.region === region));
    if (read.length === 0)
      return {
        kind: "failed",
        reason: `CloudTrail could not be read in any region (${oneReason(failed.map((f) => f.reason))})`,
      };
    return {
      kind: "found",
      roleArns: analyze(chain).rolesAssumed,
      source: `CloudTrail LookupEvents in ${read.length} ${read.length === 1 ? "region" : "regions"}`,
      failed,
      elsewhere: [],
    };
  } catch (error) {
    return { kind: "failed", reason: oneLine(describeError(error)) };
  } finally {
    clearTimeout(timer);
    reader.close();
  }
}

/** The regions' reasons as one: the most frequent first (ties by text), and how many others there were. */
function oneReason(reasons: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons.map(oneLine)) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const [first, ...others] = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason]) => reason);
  return others.length === 0
    ? first
    : `${first}; and ${others.length} other ${others.length === 1 ? "reason" : "reasons"}`;
}
