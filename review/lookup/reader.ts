/**
 * Reads a subject's events from CloudTrail's LookupEvents, in every region at once, as fast as
 * CloudTrail allows and no faster: each region's client has its own pacer at the documented limit,
 * which learns its margin from CloudTrail's answers and from how late this machine's event loop
 * runs (pacer.ts), and every attempt, first or retried, waits for its slot. A failed page is asked again with the same NextToken, so retries neither lose
 * nor repeat a page; events are deduplicated by id anyway. It is the review's event source for
 * LookupEvents (core/chain.ts's EventSource); aws/cloudtrail.ts makes the calls.
 */
import { lookupPage, refusedCredentials, sdkClient, type LookupClient, type LookupPage } from "../../aws/cloudtrail.ts";
import { describeError, transientKind } from "../../aws/errors.ts";
import { sdkRegionStatus, type RegionStatusAnswer, type RegionStatusQuestion } from "../../aws/regions.ts";
import { belongsTo, subjectId, type EventSource, type Subject, type Window } from "../core/chain.ts";
import { fromLookupEvent, type ReviewEvent } from "../core/event.ts";
import { ALWAYS_ENABLED_REGIONS, OPT_IN_REGIONS } from "../core/regions.ts";
import { Pacer, systemClock, type Clock, type PaceOptions } from "./pacer.ts";
import type { ReaderProgress } from "./progress.ts";

/**
 * Retries of one page. Each attempt waits `min(capMs, baseMs × 2^(attempt−1))`, between half and
 * all of it at random (so regions retrying together spread out), then waits for its pacer slot;
 * the retry of a page's first throttle waits for the slot alone (the pacer has slowed already).
 * Throttles are CloudTrail's way of pacing and are asked again up to `attempts` times; a server
 * error or a failed connection says something is wrong, and a region that keeps failing is given
 * up after `failureAttempts` (about 2 s), not half a minute, and said in one line.
 */
export interface RetryPolicy {
  /** @default 10 */
  attempts: number;
  /** Attempts of a page whose last failure was a server error or a connection that failed. @default 4 */
  failureAttempts?: number;
  /** @default 250 */
  baseMs: number;
  /** @default 8000 */
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, failureAttempts: 4, baseMs: 250, capMs: 8000 };

export interface ReaderOptions {
  regions: readonly string[];
  /**
   * The client for a region. It must wait for `pacer.take()` before every request it sends, as
   * late as it can, and tell the ticket it gets how the request was answered.
   * @default aws/cloudtrail.ts's sdkClient
   */
  clientFor?: (region: string, pacer: Pacer) => LookupClient;
  /** How each region's pacer starts and learns. @default {@link LOOKUP_PACE} */
  pace?: Partial<PaceOptions>;
  clock?: Clock;
  retry?: RetryPolicy;
  /** @default Math.random */
  random?: () => number;
  progress?: ReaderProgress;
  /**
   * Which regions the account has enabled: asked once, and only when an opt-in region refuses the
   * credentials (see {@link refusedInOptInRegion}).
   * @default aws/regions.ts's sdkRegionStatus, asked in {@link REGION_STATUS_FROM}
   */
  regionStatus?: RegionStatusQuestion;
}

/**
 * Where the account is asked which regions it has enabled: a region enabled in every account, where
 * a token from the global STS endpoint works too.
 */
export const REGION_STATUS_FROM = ALWAYS_ENABLED_REGIONS[0];

/** Why an enabled opt-in region refuses a token, and how to get one it takes. */
const HOW_TO_READ =
  "a session token from the global STS endpoint (sts.amazonaws.com) works only in the regions enabled by default: get one from a regional endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) and run again";

/**
 * What an opt-in region that refused the credentials (`refused`: the error's name) means, given the
 * account's answer to which regions it has enabled: "not enabled" (nothing can have happened there)
 * only when the account says `not-opted-in`; otherwise the region is enabled, or may be, and could
 * not be read: a failure, which makes the review incomplete, with what to do about it.
 */
export function refusedInOptInRegion(
  region: string,
  refused: string,
  said: string,
  answer: RegionStatusAnswer,
): { notEnabled: boolean; reason: string } {
  if (answer.kind === "failed")
    return {
      notEnabled: false,
      reason: `refused the credentials (${refused}), and whether the region is enabled in this account could not be checked (ec2:DescribeRegions: ${describeError(answer.error)}); if it is, ${HOW_TO_READ}; or allow ec2:DescribeRegions, to tell`,
    };
  const status = answer.status.get(region);
  if (status === "not-opted-in")
    return { notEnabled: true, reason: `${said} (an opt-in region this account has not enabled: not-opted-in)` };
  return {
    notEnabled: false,
    reason:
      status === undefined
        ? `refused the credentials (${refused}), and ec2:DescribeRegions does not name the region, so it may be enabled in this account; ${HOW_TO_READ}`
        : `refused the credentials (${refused}): the region is enabled in this account (ec2:DescribeRegions: ${status}); ${HOW_TO_READ}`,
  };
}

export interface RegionFailure {
  region: string;
  subject: string;
  reason: string;
  /**
   * An opt-in region the account has not enabled, as the account itself says (ec2:DescribeRegions):
   * nothing can have happened there.
   */
  notEnabled: boolean;
}

export interface ReaderStats {
  requests: number;
  retries: number;
  pages: number;
  events: number;
}

class LookupFailed extends Error {
  readonly notEnabled: boolean;

  constructor(message: string, notEnabled: boolean) {
    super(message);
    this.notEnabled = notEnabled;
  }
}

export class CloudTrailReader {
  readonly failures: RegionFailure[] = [];
  readonly stats: ReaderStats = { requests: 0, retries: 0, pages: 0, events: 0 };
  private readonly clients = new Map<string, LookupClient>();
  /** What the regions' pacers learn together (pacer.ts): the least margin, the event loop's lateness. */
  private readonly learned = { floor: 0 };
  /** Regions that failed once: later lookups there would only fail again, slowly. */
  private readonly broken = new Map<string, RegionFailure>();
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;

  private readonly options: ReaderOptions;
  /** The account's answer to which regions it has enabled, once asked (by the first opt-in region that refuses). */
  private regionStatus: Promise<RegionStatusAnswer> | undefined;

  constructor(options: ReaderOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.random = options.random ?? Math.random;
  }

  /** The events of a subject in every region, as a chain source. Failures are kept in {@link failures}, not thrown. */
  readonly source: EventSource = async (subject, window, deliver) => {
    await Promise.all(this.options.regions.map((region) => this.lookup(region, subject, window, deliver)));
  };

  /** Closes the clients' connections. */
  close(): void {
    for (const client of this.clients.values()) client.destroy?.();
  }

  /** All pages of one subject in one region. */
  async lookup(
    region: string,
    subject: Subject,
    window: Window,
    deliver: (events: ReviewEvent[]) => void,
  ): Promise<void> {
    const id = subjectId(subject);
    const broken = this.broken.get(region);
    if (broken !== undefined) {
      this.failures.push({ ...broken, subject: id });
      return;
    }
    this.options.progress?.lookupStarted(region, id);
    const seen = new Set<string>();
    let token: string | undefined;
    try {
      do {
        const page = await this.page(region, subject, window, token);
        const events: ReviewEvent[] = [];
        for (const raw of page.Events ?? []) {
          const event = fromLookupEvent(raw, region);
          // A record without an id or a name cannot be reported; LookupEvents always gives both.
          if (typeof event === "string" || seen.has(event.eventId) || !belongsTo(subject, event)) continue;
          seen.add(event.eventId);
          events.push(event);
        }
        this.stats.pages += 1;
        this.stats.events += events.length;
        this.options.progress?.page(region, id, events.length);
        deliver(events);
        token = page.NextToken;
      } while (token !== undefined && token !== "");
    } catch (error) {
      const failure: RegionFailure = {
        region,
        subject: id,
        reason: error instanceof LookupFailed ? error.message : describeError(error),
        notEnabled: error instanceof LookupFailed && error.notEnabled,
      };
      this.failures.push(failure);
      if (!this.broken.has(region)) this.broken.set(region, failure);
    } finally {
      this.options.progress?.lookupDone(region, id);
    }
  }

  private client(region: string): LookupClient {
    let client = this.clients.get(region);
    if (client === undefined) {
      const pacer = new Pacer(this.options.pace, this.clock, this.learned);
      client = (this.options.clientFor ?? sdkClient)(region, pacer);
      this.clients.set(region, client);
    }
    return client;
  }

  /** One page, asked again with the same NextToken until it comes or the attempts run out. */
  private async page(region: string, subject: Subject, window: Window, token: string | undefined): Promise<LookupPage> {
    const by =
      subject.kind === "key"
        ? ({ AttributeKey: "AccessKeyId", AttributeValue: subject.accessKeyId } as const)
        : ({ AttributeKey: "Username", AttributeValue: subject.userName } as const);
    for (let attempt = 1; ; attempt++) {
      // Every attempt, first or retried, waits for its slot in the region's pacer (inside the client).
      this.stats.requests += 1;
      try {
        return await lookupPage(this.client(region), { by, start: window.start, end: window.end, token });
      } catch (error) {
        const kind = transientKind(error);
        if (kind === null) {
          const refused = refusedCredentials(error);
          if (refused === null || !OPT_IN_REGIONS.includes(region)) throw new LookupFailed(describeError(error), false);
          this.regionStatus ??= (this.options.regionStatus ?? sdkRegionStatus(REGION_STATUS_FROM))();
          const { notEnabled, reason } = refusedInOptInRegion(
            region,
            refused,
            describeError(error),
            await this.regionStatus,
          );
          throw new LookupFailed(reason, notEnabled);
        }
        const limit =
          kind === "throttled"
            ? this.retry.attempts
            : Math.min(this.retry.attempts, this.retry.failureAttempts ?? DEFAULT_RETRY.failureAttempts ?? 4);
        if (attempt >= limit)
          throw new LookupFailed(
            `gave up after ${attempt} attempts, the last one ${kind}: ${describeError(error)}`,
            false,
          );
        this.stats.retries += 1;
        this.options.progress?.retried(region, kind);
        // A first throttle widened the region's pacer, which spaces the retry: no backoff on top.
        // Throttled again, something else shares the limit: back off as for any other failure.
        if (kind === "throttled" && attempt === 1) continue;
        const ceiling = Math.min(this.retry.capMs, this.retry.baseMs * 2 ** (attempt - 1));
        await this.clock.sleep(ceiling * (0.5 + this.random() / 2));
      }
    }
  }
}
