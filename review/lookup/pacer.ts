/**
 * Pacing requests at the service's limit, learned from its answers: a region's requests go as
 * soon as the limit allows (never more than `limit` in any window, plus a margin), and the margin
 * tightens with every request the service accepts and widens with every one it throttles. A
 * service that refuses even `limit` requests close together teaches the pacer to space them out.
 * It also watches how late this machine's event loop runs (how late its sleeps end), since a
 * request let go while the loop runs late reaches the service late: on a loaded machine the
 * margin stays above that lateness, on an idle one it tightens to its least.
 */
import { LOOKUP_EVENTS_PER_SECOND } from "./limits.ts";

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

/** How the pacer starts and learns. */
export interface PaceOptions {
  /** Requests the service accepts in one window. @default {@link LOOKUP_EVENTS_PER_SECOND} */
  limit: number;
  /** @default 1000 */
  windowMs: number;
  /**
   * The margin added to the window to begin with: what a request may be delayed on its way (the
   * event loop, signing, the network) without arriving early. @default 25
   */
  marginMs: number;
  /**
   * The least margin it tightens to: below a few milliseconds, a loaded machine's scheduling alone
   * throttles requests, and each millisecond less saves only ten per region's twenty pages. @default 8
   */
  minMarginMs: number;
  /** The most margin it widens to: each window costs it, and a throttle costs only a retry. @default 100 */
  maxMarginMs: number;
}

export const LOOKUP_PACE: PaceOptions = {
  limit: LOOKUP_EVENTS_PER_SECOND,
  windowMs: 1000,
  marginMs: 25,
  minMarginMs: 8,
  maxMarginMs: 100,
};

/** How an answer came: accepted, throttled, or anything else (which teaches nothing about the pace). */
export type Outcome = "accepted" | "throttled" | "other";

/**
 * Throttles of requests sent close behind another, with none such accepted between them, that make
 * the pacer stop sending requests in bursts: jitter throttles one now and then, a service that takes
 * no bursts throttles them all.
 */
const THROTTLES_BEFORE_SPACING = 2;

/**
 * The margin kept for the event loop's lateness, as a multiple of it: a request let go while the
 * loop runs late reaches a server sharing the loop (or the wire) up to about that late again after
 * the loop comes back, and lateness comes and goes.
 */
const LATENESS_FACTOR = 1.5;

/**
 * How long the event loop's lateness is remembered: it halves every this many milliseconds unless
 * seen again, so that a loaded machine keeps its margin from one window to the next, and an idle
 * one loses it within seconds.
 */
const LATENESS_HALF_LIFE_MS = 2000;

/** What the pacers of one client learn together: the least margin worth keeping. */
export interface Learned {
  floor: number;
  /** The most the event loop was seen late (ms), and when (it halves every {@link LATENESS_HALF_LIFE_MS} from then). */
  late?: { ms: number; at: number };
}

/** One request let go by the pacer: say how it was answered. */
export interface Ticket {
  answered(outcome?: Outcome): void;
}

interface Sent {
  /** When it left, or, for a request that opened a connection, when it was answered. */
  at: number;
  /** Sent on a connection not known to be open: it may reach the service well after it left. */
  cold: boolean;
  /** Requests in flight when it left, itself included. */
  concurrency: number;
  /** The margin it left with. */
  margin: number;
  /** The margin the event loop's lateness asks after it: as seen when it left, and while it was being sent. */
  late: number;
  /** It left less than an even share of the window after the request before it. */
  close: boolean;
}

export class Pacer {
  private readonly options: PaceOptions;
  private readonly clock: Clock;
  /** The last `limit` requests, oldest first. */
  private readonly sent: Sent[] = [];
  private readonly waiting: ((ticket: Ticket) => void)[] = [];
  private draining = false;
  private inFlight = 0;
  /** Connections known to be open: the most requests answered that were in flight at once. */
  private open = 0;
  /** Throttles of requests sent close behind another. */
  private burstThrottles = 0;
  /** The least margin it tightens to now: above the margins that were throttled (shared by a reader's pacers). */
  private readonly learned: Learned;
  /** Wakes the drain when an answer comes: a request waiting on a cold one waits for its answer. */
  private wake: (() => void) | null = null;
  /** Requests let go within one window: the limit, until the service shows it takes fewer close together. */
  private burst: number;
  /** The margin now: what the pacer has learned a request can be delayed on its way. */
  margin: number;

  /**
   * @param learned what pacers of one client share: how late a request can reach the service is a
   * property of this machine and its network, not of a region. @default this pacer's own
   */
  constructor(options: Partial<PaceOptions> = {}, clock: Clock = systemClock, learned: Learned = { floor: 0 }) {
    this.options = { ...LOOKUP_PACE, ...options };
    this.clock = clock;
    this.burst = this.options.limit;
    this.margin = this.options.marginMs;
    this.learned = learned;
  }

  private get floor(): number {
    return Math.max(this.options.minMarginMs, this.learned.floor);
  }

  /**
   * The margin the event loop's lateness asks for now: {@link LATENESS_FACTOR} times the most it
   * was seen late, halving every {@link LATENESS_HALF_LIFE_MS}, and never more than a window.
   */
  private get lateness(): number {
    const late = this.learned.late;
    if (late === undefined) return 0;
    const ms = late.ms * 0.5 ** ((this.clock.now() - late.at) / LATENESS_HALF_LIFE_MS);
    return Math.min(this.options.windowMs, ms * LATENESS_FACTOR);
  }

  /** A sleep due at `due` ended now: how late it came is how late the event loop runs (for every pacer of the client). */
  private overslept(due: number): void {
    const now = this.clock.now();
    const late = now - due;
    if (late * LATENESS_FACTOR > this.lateness) this.learned.late = { ms: late, at: now };
  }

  /** Requests per window the pacer now lets go together (the limit, or one after repeated throttles). */
  get burstSize(): number {
    return this.burst;
  }

  /** The window a burst must fit in: a burst smaller than the limit needs only its share. */
  private get window(): number {
    return (this.options.windowMs * this.burst) / this.options.limit;
  }

  /**
   * Resolves when the caller may send, with the ticket to report the answer on. Callers go in the
   * order they asked, each once no more than `burst` requests left within the window (plus the
   * margin) before it. Counts from when requests actually left: after a stall, a request waits
   * only as long as the limit requires, never for a schedule it fell behind.
   */
  take(): Promise<Ticket> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.draining) void this.drain();
    });
  }

  /**
   * What an answer teaches. A request that may have opened a connection (TCP, TLS) reached the
   * service later than it left, by as much as the handshake took: it counts from its answer. An
   * accepted request tightens the margin by a fifth, never below a margin that was throttled. A
   * throttled request did not count against the limit (it is forgotten), doubles the margin (and
   * more), and raises the floor to one and a half times the margin it left with (and 5 ms); two
   * throttled requests that left close behind another, and none such accepted between them, make
   * the pacer send one request at a time, evenly spaced.
   */
  private answered(request: Sent, outcome: Outcome): void {
    this.inFlight--;
    if (request.cold) {
      request.at = Math.max(request.at, this.clock.now());
      request.cold = false;
      this.open = Math.max(this.open, request.concurrency);
    }
    const { maxMarginMs } = this.options;
    if (outcome === "accepted") {
      this.margin = Math.max(this.floor, this.margin * 0.8);
      // The service took a request close behind another: it takes bursts.
      if (request.close) this.burstThrottles = 0;
    } else if (outcome === "throttled") {
      const index = this.sent.indexOf(request);
      if (index >= 0) this.sent.splice(index, 1);
      this.learned.floor = Math.min(maxMarginMs, Math.max(this.learned.floor, request.margin * 1.5 + 5));
      this.margin = Math.min(maxMarginMs, Math.max(this.margin, request.margin) * 2 + 10);
      if (request.close && ++this.burstThrottles >= THROTTLES_BEFORE_SPACING && this.burst > 1) this.burst = 1;
    }
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /**
   * Watches the event loop after a request is let go, by a sleep of no time: the request is signed
   * and written before the loop comes back, so it counts from then; how late the loop came back
   * is how late it runs, remembered for this request's margin and the requests to come.
   */
  private async watch(request: Sent): Promise<void> {
    const left = this.clock.now();
    await this.clock.sleep(0);
    this.overslept(left);
    request.at = Math.max(request.at, this.clock.now());
    request.late = Math.max(request.late, this.lateness);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.waiting.length > 0) {
      const before = this.sent.length >= this.burst ? this.sent[this.sent.length - this.burst] : undefined;
      if (before?.cold) {
        // When it reached the service is known only once it is answered.
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const earlier = before?.at ?? -Infinity;
      const margin = Math.max(this.margin, before?.late ?? 0);
      const due = earlier + this.window + margin;
      const wait = due - this.clock.now();
      if (wait > 0) {
        await this.clock.sleep(wait);
        this.overslept(due);
        continue; // answers that came meanwhile may have moved the time
      }
      this.inFlight++;
      const now = this.clock.now();
      const previous = this.sent.at(-1);
      const close = previous !== undefined && now - previous.at < this.options.windowMs / this.options.limit;
      const request: Sent = {
        at: now,
        cold: this.inFlight > this.open,
        concurrency: this.inFlight,
        margin,
        close,
        late: this.lateness,
      };
      this.sent.push(request);
      void this.watch(request);
      if (this.sent.length > this.options.limit) this.sent.shift();
      let done = false;
      this.waiting.shift()?.({
        answered: (outcome = "accepted") => {
          if (done) return;
          done = true;
          this.answered(request, outcome);
        },
      });
    }
    this.draining = false;
  }
}
