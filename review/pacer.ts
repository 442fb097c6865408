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
  /** When the last caller was let go: spacing counts from actual releases, not planned ones. */
  private last = -Infinity;
  private readonly waiting: (() => void)[] = [];
  private draining = false;
  private warm = false;

  readonly intervalMs: number;
  private readonly clock: Clock;

  constructor(intervalMs: number, clock: Clock = systemClock) {
    this.intervalMs = intervalMs;
    this.clock = clock;
  }

  /**
   * Resolves when the caller may send. Callers go in the order they called, each at least one
   * interval after the previous one actually went: if the process stalls and one request leaves
   * late, the next one waits a full interval after it, rather than catching up on a schedule.
   */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.draining) void this.drain();
    });
  }

  /**
   * Tells the pacer a request was answered. A region's first request also opens the connection
   * (TCP, TLS), so it reaches the service later than it left, while the ones after it reuse the
   * connection and arrive on time: the interval after the first request counts from its answer.
   */
  answered(): void {
    if (this.warm) return;
    this.warm = true;
    this.last = Math.max(this.last, this.clock.now());
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.waiting.length > 0) {
      const wait = this.last + this.intervalMs - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
      this.last = this.clock.now();
      this.waiting.shift()?.();
    }
    this.draining = false;
  }
}
