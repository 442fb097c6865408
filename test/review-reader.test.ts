/**
 * The LookupEvents reader against a scripted client on a virtual clock: exact request times,
 * retries and failures, without waiting for anything real.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LookupEventsCommand, LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import type { LookupClient } from "../aws/cloudtrail.ts";
import { describeError, transientKind } from "../aws/errors.ts";
import { LOOKUP_EVENTS_DAYS } from "../review/lookup/limits.ts";
import { CloudTrailReader } from "../review/lookup/reader.ts";
import { COMMERCIAL_REGIONS, OPT_IN_REGIONS } from "../review/core/regions.ts";
import { LOOKUP_PACE, Pacer, type Clock, type Outcome } from "../review/lookup/pacer.ts";
import type { ReviewEvent } from "../review/core/event.ts";
import { KEY, keyRecord } from "./support/review-logs.ts";

/** Virtual time: sleeps resolve when `run` moves the clock to them, in order. */
class VirtualClock implements Clock {
  time = 0;
  /** Extra delays for the next timers, in order: a stalled process wakes up late. */
  stalls: number[] = [];
  /** How late the event loop runs at a time: every sleep due then ends that much later. */
  lateness: (due: number) => number = () => 0;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    const due = this.time + ms;
    return this.timer(due + this.lateness(due));
  }
  /** Time passing outside this process (a request on its way, the service): never late. */
  elsewhere(ms: number): Promise<void> {
    return this.timer(this.time + ms);
  }
  private timer(at: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at, seq: this.seq++, resolve }));
  }
  /**
   * Runs `work` to completion, jumping the clock from timer to timer whenever nothing else can run;
   * then runs the timers due by then (as an event loop would before time moves on).
   */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const result = work.finally(() => {
      settled = true;
    });
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      if (settled && (this.timers[0]?.at ?? Infinity) > this.time) return result;
      if (this.timers.length === 0) throw new Error("deadlock: work pending, no timer to wait for");
      const next = this.timers.shift()!;
      this.time = Math.max(this.time, next.at + (this.stalls.shift() ?? 0));
      next.resolve();
    }
  }
}

function awsError(name: string, status: number | undefined, message = "x", code?: string) {
  return Object.assign(new Error(message), {
    name,
    ...(code === undefined ? {} : { code }),
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });
}

function page(ids: string[], next?: string): LookupEventsCommandOutput {
  return {
    $metadata: {},
    Events: ids.map((id) => ({
      EventId: id,
      EventName: "DescribeInstances",
      CloudTrailEvent: JSON.stringify(keyRecord(id)),
    })),
    NextToken: next,
  };
}

interface Sent {
  region: string;
  at: number;
  token: string | undefined;
}

/** A client per region answering from a script: each call takes the next answer (a page or an error). */
function scripted(clock: VirtualClock, scripts: Record<string, (LookupEventsCommandOutput | Error)[]>, sent: Sent[]) {
  return (region: string, pacer: Pacer): LookupClient => ({
    async send(command: LookupEventsCommand) {
      const ticket = await pacer.take();
      sent.push({ region, at: clock.now(), token: command.input.NextToken });
      const answer = scripts[region].shift();
      ticket.answered(
        answer instanceof Error ? (transientKind(answer) === "throttled" ? "throttled" : "other") : "accepted",
      );
      if (answer === undefined) throw new Error(`no more answers scripted for ${region}`);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
}

async function read(reader: CloudTrailReader, clock: VirtualClock) {
  const events: ReviewEvent[] = [];
  await clock.run(
    reader.source({ kind: "key", accessKeyId: KEY }, { start: 0, end: LOOKUP_EVENTS_DAYS * 86_400_000 }, (batch) =>
      events.push(...batch),
    ),
  );
  return events.map((e) => e.eventId);
}

/** A margin that neither tightens nor widens on accepted answers: exact times to compare. */
const FIXED = { marginMs: 25, minMarginMs: 25 };

/** `count` callers, each answered as soon as it goes; the times they went. */
async function goTimes(clock: VirtualClock, pacer: Pacer, count: number): Promise<number[]> {
  const times: number[] = [];
  await clock.run(
    Promise.all(
      Array.from({ length: count }, async () => {
        const ticket = await pacer.take();
        times.push(clock.now());
        ticket.answered("accepted");
      }),
    ),
  );
  return times;
}

/**
 * A service that enforces `limit` requests per `windowMs` per region as a sliding window of
 * arrivals, as the loopback server and the benchmark's do; refused requests do not count.
 */
function slidingWindow(limit: number, windowMs: number) {
  const accepted: number[] = [];
  return (arrival: number) => {
    const recent = accepted.filter((at) => arrival - at < windowMs);
    if (recent.length >= limit) return false;
    accepted.push(arrival);
    return true;
  };
}

/** A service that takes one request per `intervalMs` and no burst (a token bucket of one). */
function noBurst(intervalMs: number) {
  let last = -Infinity;
  return (arrival: number) => {
    if (arrival - last < intervalMs) return false;
    last = arrival;
    return true;
  };
}

/** Deterministic numbers in [0, 1): the same jitter on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * One key's pages in `regions` regions, read as the reader reads them (a page after the answer
 * to the one before, a throttled page asked again), each request reaching the service after a
 * random delay of up to `jitterMs` and answered `answerMs` after it arrives. On a machine whose
 * event loop runs late (`lateness`, ms at a time), every sleep ends that late, and a request let
 * go then reaches the service up to twice that late on top (signing, the socket's write, a
 * server sharing the loop).
 */
async function simulate(options: {
  regions: number;
  pages: number;
  service: () => (arrival: number) => boolean;
  jitterMs: number;
  answerMs: number;
  seed: number;
  lateness?: (at: number) => number;
}) {
  const clock = new VirtualClock();
  const lateness = options.lateness ?? (() => 0);
  clock.lateness = lateness;
  const random = seeded(options.seed);
  let requests = 0;
  let throttled = 0;
  const pacers: Pacer[] = [];
  /** When each region's requests were let go. */
  const times: number[][] = [];
  const learned = { floor: 0 };
  const region = async () => {
    const pacer = new Pacer(LOOKUP_PACE, clock, learned);
    pacers.push(pacer);
    const went: number[] = [];
    times.push(went);
    const accepts = options.service();
    for (let page = 0; page < options.pages; ) {
      const ticket = await pacer.take();
      requests++;
      went.push(clock.now());
      await clock.elsewhere(random() * (options.jitterMs + 2 * lateness(clock.now())));
      const accepted = accepts(clock.now());
      await clock.sleep(options.answerMs);
      ticket.answered(accepted ? "accepted" : "throttled");
      if (accepted) page++;
      else throttled++;
    }
  };
  await clock.run(Promise.all(Array.from({ length: options.regions }, region)));
  return { seconds: clock.now() / 1000, requests, throttled, pacers, times };
}

describe("Pacer", () => {
  it("lets `limit` callers go together, then each next one a window and the margin after the one `limit` places before it", async () => {
    const clock = new VirtualClock();
    expect(await goTimes(clock, new Pacer(FIXED, clock), 5)).toEqual([0, 0, 1025, 1025, 2050]);
  });

  it("counts from when requests actually went: after a stall, the next goes as soon as the limit allows, not later", async () => {
    const clock = new VirtualClock();
    clock.stalls = [0, 0, 300]; // the first two callers are watched on time; the third caller's wake-up comes 300 ms late
    const times = await goTimes(clock, new Pacer(FIXED, clock), 6);
    // The pair after the stall goes at once (1325); the next, a window after it and 1.5 times the
    // 300 ms lateness the stall showed: the requests let go then may have reached the service late.
    expect(times).toEqual([0, 0, 1325, 1325, 2775, 2775]);
    // Never more than the limit within a window, stall or not.
    for (let i = 2; i < times.length; i++) expect(times[i] - times[i - 2]).toBeGreaterThanOrEqual(1025);
  });

  it("counts a request that may have opened a connection from its answer, and waits for that answer", async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(FIXED, clock);
    const first = await clock.run(pacer.take());
    const second = await clock.run(pacer.take()); // in flight with the first: a second connection
    clock.time = 80; // the first answer, after a TCP and TLS handshake
    first.answered();
    clock.time = 120;
    second.answered();
    const third = await clock.run(pacer.take());
    expect(clock.now()).toBe(80 + 1025);
    third.answered();
    await clock.run(pacer.take());
    expect(clock.now()).toBe(120 + 1025);
  });

  it("tightens the margin with each accepted request, to its least; widens it with each throttle", () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({}, clock);
    const margins: number[] = [];
    const answer = async (outcome: Outcome) => {
      (await clock.run(pacer.take())).answered(outcome);
      margins.push(Math.round(pacer.margin * 100) / 100);
    };
    return (async () => {
      for (const outcome of ["accepted", "accepted", "throttled", "other", "accepted"] as const) await answer(outcome);
      expect(margins).toEqual([20, 16, 42, 42, 33.6]);
      // Never below a margin that was throttled: one and a half times the 16 ms it left with, and 5 ms.
      for (let i = 0; i < 30; i++) await answer("accepted");
      expect(pacer.margin).toBe(29);
      for (let i = 0; i < 10; i++) await answer("throttled");
      expect(pacer.margin).toBe(LOOKUP_PACE.maxMarginMs);
    })();
  });

  it("after two throttled requests that left close behind another, sends one request at a time, evenly spaced", async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(FIXED, clock);
    const [first, second] = await clock.run(Promise.all([pacer.take(), pacer.take()]));
    first.answered("accepted");
    second.answered("throttled");
    expect(pacer.burstSize).toBe(2);
    // The throttled request did not count: the next goes at once, close behind the first, and is throttled too.
    (await clock.run(pacer.take())).answered("throttled");
    expect(pacer.burstSize).toBe(1);
    const times = await goTimes(clock, pacer, 4);
    for (let i = 1; i < times.length; i++)
      expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(500 + FIXED.minMarginMs);
  });

  it("17 regions × 20 pages against a sliding window of 2 per second: at the ceiling, at most 5 % throttled", async () => {
    for (const seed of [1, 2, 3]) {
      const run = await simulate({
        regions: 17,
        pages: 20,
        service: () => slidingWindow(2, 1000),
        jitterMs: 4,
        answerMs: 30,
        seed,
      });
      // The floor: 10 pairs of pages, the last pair 9 windows after the first.
      expect(run.seconds).toBeLessThan(9.3);
      expect(run.throttled / run.requests).toBeLessThanOrEqual(0.05);
    }
  });

  it("on a machine whose event loop runs 20 ms late, is never throttled at the service's exact limit", async () => {
    for (const seed of [1, 2, 3]) {
      const run = await simulate({
        regions: 3,
        pages: 20,
        service: () => slidingWindow(2, 1000),
        jitterMs: 0,
        answerMs: 30,
        seed,
        lateness: () => 20,
      });
      expect(run.throttled).toBe(0);
      // Still near the limit: 10 pairs of pages, 9 windows apart, each longer by the late wake-up (20 ms),
      // the watch (20 ms) and the lateness's margin (30 ms); the first answer and the last take 0.3 s at most.
      expect(run.seconds).toBeLessThan(9 * 1.07 + 0.3);
    }
  });

  it("is never throttled, whatever the event loop's lateness: steady, in bursts, or growing", async () => {
    const lateness = fc.oneof(
      fc.integer({ min: 0, max: 150 }).map((ms) => () => ms),
      fc
        .record({
          starts: fc.array(fc.integer({ min: 0, max: 12_000 }), { maxLength: 5 }),
          length: fc.integer({ min: 1, max: 3000 }),
          ms: fc.integer({ min: 1, max: 150 }),
        })
        .map(
          ({ starts, length, ms }) =>
            (at: number) =>
              starts.some((s) => at >= s && at < s + length) ? ms : 0,
        ),
      fc.integer({ min: 1, max: 150 }).map((ms) => (at: number) => (ms * Math.min(at, 10_000)) / 10_000),
    );
    await fc.assert(
      fc.asyncProperty(
        lateness,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 20 }),
        fc.integer(),
        async (late, regions, pages, seed) => {
          const run = await simulate({
            regions,
            pages,
            service: () => slidingWindow(2, 1000),
            jitterMs: 0,
            answerMs: 30,
            seed,
            lateness: late,
          });
          expect(run.throttled).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it.each([
    ["on an idle machine", () => 0],
    ["once the event loop's lateness is over", (at: number) => (at < 3000 ? 50 : 0)],
  ])("%s, tightens to its least margin: no loss of speed", async (_name, lateness) => {
    const run = await simulate({
      regions: 2,
      pages: 40,
      service: () => slidingWindow(2, 1000),
      jitterMs: 0,
      answerMs: 30,
      seed: 5,
      lateness,
    });
    expect(run.throttled).toBe(0);
    for (const went of run.times) {
      const gaps = went.slice(2).map((at, i) => Math.round((at - went[i]) * 1000) / 1000);
      // Each request goes a window and the least margin after the one two places before it.
      expect(gaps.slice(-20)).toEqual(Array(20).fill(1000 + LOOKUP_PACE.minMarginMs));
    }
  });

  it("against a service that takes no burst, learns to space requests and loses nothing", async () => {
    const run = await simulate({
      regions: 3,
      pages: 20,
      service: () => noBurst(500),
      jitterMs: 2,
      answerMs: 30,
      seed: 7,
    });
    expect(run.pacers.map((pacer) => pacer.burstSize)).toEqual([1, 1, 1]);
    expect(run.requests - run.throttled).toBe(60);
    // A few throttles to learn, then none: 20 pages one interval apart, the interval kept above
    // the margins that were throttled while it learned.
    expect(run.throttled).toBeLessThanOrEqual(3 * 4);
    expect(run.seconds).toBeLessThan(20 * 0.6);
  });
});

describe("CloudTrailReader", () => {
  it("reads the regions concurrently, each paced by its own pacer", async () => {
    const clock = new VirtualClock();
    const sent: Sent[] = [];
    const reader = new CloudTrailReader({
      regions: ["us-east-1", "eu-west-1"],
      clock,
      pace: FIXED,
      clientFor: scripted(
        clock,
        {
          "us-east-1": [page(["a1"], "t1"), page(["a2"], "t2"), page(["a3"])],
          "eu-west-1": [page(["b1"], "u1"), page(["b2"])],
        },
        sent,
      ),
    });
    expect((await read(reader, clock)).sort()).toEqual(["a1", "a2", "a3", "b1", "b2"]);
    expect(sent.filter((s) => s.region === "us-east-1").map((s) => [s.at, s.token])).toEqual([
      [0, undefined],
      [0, "t1"],
      [1025, "t2"],
    ]);
    expect(sent.filter((s) => s.region === "eu-west-1").map((s) => [s.at, s.token])).toEqual([
      [0, undefined],
      [0, "u1"],
    ]);
    expect(reader.stats).toEqual({ requests: 5, retries: 0, pages: 5, events: 5 });
  });

  it("asks a failed page again with the same NextToken, after a backoff and a pacer slot, and loses and repeats nothing", async () => {
    const clock = new VirtualClock();
    const sent: Sent[] = [];
    const reader = new CloudTrailReader({
      regions: ["us-east-1"],
      clock,
      pace: FIXED,
      random: () => 1,
      retry: { attempts: 5, baseMs: 250, capMs: 8000 },
      clientFor: scripted(
        clock,
        {
          "us-east-1": [
            page(["a1", "a2"], "t1"),
            awsError("ThrottlingException", 400, "Rate exceeded"),
            awsError("InternalFailure", 500),
            awsError("Error", undefined, "socket hang up", "ECONNRESET"),
            page(["a2", "a3"]),
          ],
        },
        sent,
      ), // a2 again: deduplicated
    });
    expect(await read(reader, clock)).toEqual(["a1", "a2", "a3"]);
    // The throttled request did not count against the limit: it is asked again at once, without
    // a backoff, and the margin is 60 ms now. Then backoffs of 500 and 1000 ms (random 1 = the
    // whole backoff), each followed by the next free slot: 0 + 1000 + 60, then 2060, free by then.
    expect(sent.map((s) => [s.at, s.token])).toEqual([
      [0, undefined],
      [0, "t1"],
      [0, "t1"],
      [1060, "t1"],
      [2060, "t1"],
    ]);
    expect(reader.stats).toEqual({ requests: 5, retries: 3, pages: 2, events: 3 });
    expect(reader.failures).toEqual([]);
  });

  it("gives up on a region after the last attempt and says why", async () => {
    const clock = new VirtualClock();
    const reader = new CloudTrailReader({
      regions: ["us-east-1"],
      clock,
      retry: { attempts: 3, baseMs: 1, capMs: 1 },
      clientFor: scripted(
        clock,
        {
          "us-east-1": [
            awsError("ServiceUnavailable", 503, "down"),
            awsError("ServiceUnavailable", 503, "down"),
            awsError("ServiceUnavailable", 503, "still down"),
          ],
        },
        [],
      ),
    });
    expect(await read(reader, clock)).toEqual([]);
    expect(reader.failures).toEqual([
      {
        region: "us-east-1",
        subject: KEY,
        reason: "gave up after 3 attempts, the last one server error: ServiceUnavailable, HTTP 503: still down",
        notEnabled: false,
      },
    ]);
  });

  it("does not ask a region again for other keys once it failed", async () => {
    const clock = new VirtualClock();
    const sent: Sent[] = [];
    const reader = new CloudTrailReader({
      regions: ["us-east-1"],
      clock,
      clientFor: scripted(clock, { "us-east-1": [awsError("AccessDeniedException", 400, "not allowed")] }, sent),
    });
    await read(reader, clock);
    await clock.run(
      reader.source({ kind: "key", accessKeyId: "ASIAEXAMPLESESSION01" }, { start: 0, end: 1 }, () => undefined),
    );
    expect(sent).toHaveLength(1);
    expect(reader.failures.map((f) => [f.region, f.subject, f.reason])).toEqual([
      ["us-east-1", KEY, "AccessDeniedException, HTTP 400: not allowed"],
      ["us-east-1", "ASIAEXAMPLESESSION01", "AccessDeniedException, HTTP 400: not allowed"],
    ]);
  });

  it.each([
    ["us-east-1", "UnrecognizedClientException"],
    ["eu-west-1", "InvalidClientTokenId"],
  ])(
    "%s, enabled in every account, refusing the credentials (%s) fails, and the account is not asked",
    async (region, name) => {
      const clock = new VirtualClock();
      let asked = 0;
      const reader = new CloudTrailReader({
        regions: [region],
        clock,
        regionStatus: async () => {
          asked += 1;
          return { kind: "answered", status: new Map() };
        },
        clientFor: scripted(
          clock,
          { [region]: [awsError(name, 400, "The security token included in the request is invalid.")] },
          [],
        ),
      });
      await read(reader, clock);
      expect(reader.failures).toEqual([
        {
          region,
          subject: KEY,
          reason: `${name}, HTTP 400: The security token included in the request is invalid.`,
          notEnabled: false,
        },
      ]);
      expect(asked).toBe(0);
    },
  );

  it.each([
    [
      "the account says not-opted-in: not enabled",
      { kind: "answered", status: new Map([["af-south-1", "not-opted-in"]]) },
      true,
      "UnrecognizedClientException, HTTP 400: The security token included in the request is invalid. (an opt-in region this account has not enabled: not-opted-in)",
    ],
    [
      "the account says opted-in: a failure, with how to get a token that works there",
      { kind: "answered", status: new Map([["af-south-1", "opted-in"]]) },
      false,
      "refused the credentials (UnrecognizedClientException): the region is enabled in this account (ec2:DescribeRegions: opted-in); a session token from the global STS endpoint (sts.amazonaws.com) works only in the regions enabled by default: get one from a regional endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) and run again",
    ],
    [
      "the account does not name the region: a failure",
      { kind: "answered", status: new Map([["us-east-1", "opt-in-not-required"]]) },
      false,
      "refused the credentials (UnrecognizedClientException), and ec2:DescribeRegions does not name the region, so it may be enabled in this account; a session token from the global STS endpoint (sts.amazonaws.com) works only in the regions enabled by default: get one from a regional endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) and run again",
    ],
    [
      "the question is denied: a failure",
      {
        kind: "failed",
        error: awsError("UnauthorizedOperation", 403, "You are not authorized to perform this operation."),
      },
      false,
      "refused the credentials (UnrecognizedClientException), and whether the region is enabled in this account could not be checked (ec2:DescribeRegions: UnauthorizedOperation, HTTP 403: You are not authorized to perform this operation.); if it is, a session token from the global STS endpoint (sts.amazonaws.com) works only in the regions enabled by default: get one from a regional endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) and run again; or allow ec2:DescribeRegions, to tell",
    ],
  ] as const)("an opt-in region refusing the credentials, %s", async (_, answer, notEnabled, reason) => {
    const clock = new VirtualClock();
    const reader = new CloudTrailReader({
      regions: ["af-south-1"],
      clock,
      regionStatus: async () => answer,
      clientFor: scripted(
        clock,
        {
          "af-south-1": [
            awsError("UnrecognizedClientException", 400, "The security token included in the request is invalid."),
          ],
        },
        [],
      ),
    });
    await read(reader, clock);
    expect(reader.failures).toEqual([{ region: "af-south-1", subject: KEY, reason, notEnabled }]);
  });

  it("calls a region not enabled only when the account says so, and asks the account at most once (generated regions and answers)", async () => {
    const ANSWERS = ["page", "UnrecognizedClientException", "InvalidClientTokenId", "AccessDeniedException"] as const;
    const STATUSES = ["not-opted-in", "opted-in", "opt-in-not-required", "enabling", undefined] as const;
    const denied = awsError("UnauthorizedOperation", 403, "You are not authorized to perform this operation.");
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            region: fc.constantFrom(...COMMERCIAL_REGIONS),
            answer: fc.constantFrom(...ANSWERS),
            status: fc.constantFrom(...STATUSES),
          }),
          { minLength: 1, maxLength: 8, selector: (r) => r.region },
        ),
        fc.boolean(),
        async (regions, questionDenied) => {
          const clock = new VirtualClock();
          let asked = 0;
          const status = new Map<string, string>();
          for (const r of regions) if (r.status !== undefined) status.set(r.region, r.status);
          const reader = new CloudTrailReader({
            regions: regions.map((r) => r.region),
            clock,
            regionStatus: async () => {
              asked += 1;
              return questionDenied ? { kind: "failed", error: denied } : { kind: "answered", status };
            },
            clientFor: scripted(
              clock,
              Object.fromEntries(
                regions.map((r) => [r.region, [r.answer === "page" ? page([]) : awsError(r.answer, 400, "refused")]]),
              ),
              [],
            ),
          });
          await read(reader, clock);
          const expected = regions
            .filter((r) => r.answer !== "page")
            .map((r) => {
              const said = `${r.answer}, HTTP 400: refused`;
              if (r.answer === "AccessDeniedException" || !OPT_IN_REGIONS.includes(r.region))
                return { region: r.region, subject: KEY, reason: said, notEnabled: false };
              const how =
                "a session token from the global STS endpoint (sts.amazonaws.com) works only in the regions enabled by default: get one from a regional endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) and run again";
              const reason = questionDenied
                ? `refused the credentials (${r.answer}), and whether the region is enabled in this account could not be checked (ec2:DescribeRegions: UnauthorizedOperation, HTTP 403: You are not authorized to perform this operation.); if it is, ${how}; or allow ec2:DescribeRegions, to tell`
                : r.status === "not-opted-in"
                  ? `${said} (an opt-in region this account has not enabled: not-opted-in)`
                  : r.status === undefined
                    ? `refused the credentials (${r.answer}), and ec2:DescribeRegions does not name the region, so it may be enabled in this account; ${how}`
                    : `refused the credentials (${r.answer}): the region is enabled in this account (ec2:DescribeRegions: ${r.status}); ${how}`;
              return {
                region: r.region,
                subject: KEY,
                reason,
                notEnabled: !questionDenied && r.status === "not-opted-in",
              };
            });
          const byRegion = (a: { region: string }, b: { region: string }) => a.region.localeCompare(b.region);
          expect([...reader.failures].sort(byRegion)).toEqual(expected.sort(byRegion));
          const refusedOptIn = regions.some(
            (r) => OPT_IN_REGIONS.includes(r.region) && r.answer !== "page" && r.answer !== "AccessDeniedException",
          );
          expect(asked).toBe(refusedOptIn ? 1 : 0);
        },
      ),
    );
  });
});

describe("transientKind", () => {
  it.each([
    [awsError("ThrottlingException", 400), "throttled"],
    [awsError("TooManyRequestsException", 429), "throttled"],
    [awsError("InternalFailure", 500), "server error"],
    [awsError("ServiceUnavailable", 503), "server error"],
    [awsError("Error", undefined, "socket hang up", "ECONNRESET"), "connection"],
    [awsError("Error", undefined, "connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"), "connection"],
    [awsError("TimeoutError", undefined), "connection"],
    [awsError("AccessDeniedException", 400), null],
    [awsError("InvalidTimeRangeException", 400), null],
    [awsError("Error", undefined, "getaddrinfo ENOTFOUND cloudtrail.xx-nowhere-1.amazonaws.com", "ENOTFOUND"), null],
  ])("%s is %s", (error, kind) => {
    expect(transientKind(error)).toBe(kind);
  });
});

describe("describeError", () => {
  it.each([
    [
      awsError("AccessDeniedException", 400, "User is not authorized to perform: cloudtrail:LookupEvents"),
      "AccessDeniedException, HTTP 400: User is not authorized to perform: cloudtrail:LookupEvents",
    ],
    [
      awsError("CredentialsProviderError", undefined, "Could not load credentials from any providers"),
      "no AWS credentials found (Could not load credentials from any providers); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    ],
    [
      awsError("Error", undefined, "connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"),
      "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1",
    ],
    [
      awsError(
        "CredentialsProviderError",
        undefined,
        "Could not load credentials from any providers\n    Hint: set up a profile",
      ),
      "no AWS credentials found (Could not load credentials from any providers); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    ],
    [
      awsError(
        "SyntaxError",
        500,
        "Unexpected token '<', \"<html><hea\"... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.",
      ),
      "HTTP 500, with an answer that is not an AWS error (an error page of a proxy or load balancer in front of the service)",
    ],
  ])("%s", (error, text) => {
    expect(describeError(error)).toBe(text);
  });

  it("is one line of at most 300 characters, whatever the error carries (issue 22)", () => {
    const text = fc.string({ unit: "binary", maxLength: 600 });
    fc.assert(
      fc.property(
        fc.option(text),
        fc.option(text),
        fc.option(fc.integer({ min: 100, max: 599 })),
        fc.option(text),
        (name, message, status, code) => {
          const error = Object.assign(new Error(message ?? undefined), {
            name: name ?? "Error",
            ...(code === null ? {} : { code }),
            ...(status === null ? {} : { $metadata: { httpStatusCode: status } }),
          });
          const said = describeError(error);
          expect(said).not.toContain("\n");
          expect([...said].length).toBeLessThanOrEqual(300);
          if (status !== null && /\$response|Deserialization error/.test(message ?? ""))
            expect(said).not.toContain("$response");
        },
      ),
    );
  });
});
