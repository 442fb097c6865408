/**
 * Spacing requests so that CloudTrail never has to throttle them: a region's requests leave one
 * interval apart, in the order they asked, however many lookups share the region.
 */

/** Time as the pacer and the retries see it; tests pass a fake one, so no test waits on a real sleep. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * LookupEvents allows 2 requests per second per account per region.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html
 */
export const LOOKUP_EVENTS_PER_SECOND = 2;

/**
 * The interval cordon keeps between two requests to one region: 5 % longer than the limit allows,
 * so that a request delayed on the way by up to 25 ms still arrives a full window after the one
 * two places before it, and the service never sees three in one second.
 * @default 525
 */
export const LOOKUP_INTERVAL_MS = Math.ceil((1000 / LOOKUP_EVENTS_PER_SECOND) * 1.05);

export class Pacer {
  /** The earliest instant the next request may leave. */
  private next = -Infinity;

  constructor(
    readonly intervalMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Resolves when the caller may send. The slot is reserved before waiting, so concurrent callers
   * leave in the order they called, one interval apart.
   */
  async take(): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await this.clock.sleep(at - now);
  }
}
