/**
 * The LookupEvents reader against a scripted client on a virtual clock: exact request times,
 * retries and failures, without waiting for anything real.
 */
import { describe, expect, it } from "vitest";
import type { LookupEventsCommand, LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { CloudTrailReader, LOOKUP_EVENTS_DAYS, describeError, transientKind, type LookupClient } from "../aws/cloudtrail.ts";
import { LOOKUP_INTERVAL_MS, Pacer, type Clock } from "../review/pacer.ts";
import type { ReviewEvent } from "../review/event.ts";
import { trailRecord } from "../emulators/cloudtrail-server.ts";

const KEY = "AKIAEXAMPLEROOT00001";

/** Virtual time: sleeps resolve when `run` moves the clock to them, in order. */
class VirtualClock implements Clock {
  time = 0;
  /** Extra delays for the next timers, in order: a stalled process wakes up late. */
  stalls: number[] = [];
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.time + ms, seq: this.seq++, resolve }));
  }
  /** Runs `work` to completion, jumping the clock from timer to timer whenever nothing else can run. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const result = work.finally(() => {
      settled = true;
    });
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return result;
      if (this.timers.length === 0) throw new Error("deadlock: work pending, no timer to wait for");
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.time = Math.max(this.time, next.at + (this.stalls.shift() ?? 0));
      next.resolve();
    }
  }
}

function awsError(name: string, status: number | undefined, message = "x", code?: string) {
  return Object.assign(new Error(message), { name, ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }) });
}

function page(ids: string[], next?: string): LookupEventsCommandOutput {
  return {
    $metadata: {},
    Events: ids.map((id) => ({ EventId: id, EventName: "DescribeInstances", CloudTrailEvent: JSON.stringify(trailRecord({ eventId: id, eventName: "DescribeInstances", eventTime: "2026-11-28T02:00:00Z", region: "us-east-1", accessKeyId: KEY })) })),
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
      await pacer.take();
      sent.push({ region, at: clock.now(), token: command.input.NextToken });
      pacer.answered();
      const answer = scripts[region].shift();
      if (answer === undefined) throw new Error(`no more answers scripted for ${region}`);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
}

async function read(reader: CloudTrailReader, clock: VirtualClock) {
  const events: ReviewEvent[] = [];
  await clock.run(reader.source({ kind: "key", accessKeyId: KEY }, { start: 0, end: LOOKUP_EVENTS_DAYS * 86_400_000 }, (batch) => events.push(...batch)));
  return events.map((e) => e.eventId);
}

describe("Pacer", () => {
  it("lets concurrent callers go one interval apart, in the order they asked", async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(525, clock);
    const times: number[] = [];
    await clock.run(Promise.all([1, 2, 3].map(async () => {
      await pacer.take();
      times.push(clock.now());
    })));
    expect(times).toEqual([0, 525, 1050]);
  });

  it("counts the interval from when the previous caller actually went, so a stall never bunches requests", async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(525, clock);
    clock.stalls = [100]; // the second caller's wake-up comes 100 ms late
    const times: number[] = [];
    await clock.run(Promise.all([1, 2, 3].map(async () => {
      await pacer.take();
      times.push(clock.now());
    })));
    expect(times).toEqual([0, 625, 1150]);
  });

  it("counts the interval after a region's first request from its answer: that request opened the connection", async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(525, clock);
    await clock.run(pacer.take());
    clock.time = 80; // the answer, after a TCP and TLS handshake
    pacer.answered();
    await clock.run(pacer.take());
    expect(clock.now()).toBe(605);
    clock.time = 700; // later answers change nothing: those requests arrived when they left
    pacer.answered();
    await clock.run(pacer.take());
    expect(clock.now()).toBe(1130);
  });

  it("lets a caller go at once after a pause longer than the interval", async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(525, clock);
    await clock.run(pacer.take());
    clock.time = 5000;
    await clock.run(pacer.take());
    expect(clock.now()).toBe(5000);
  });

  it("stays just under CloudTrail's 2 requests per second", () => {
    expect(LOOKUP_INTERVAL_MS).toBe(525);
  });
});

describe("CloudTrailReader", () => {
  it("reads the regions concurrently, each paced one interval per request", async () => {
    const clock = new VirtualClock();
    const sent: Sent[] = [];
    const reader = new CloudTrailReader({
      regions: ["us-east-1", "eu-west-1"],
      clock,
      clientFor: scripted(clock, { "us-east-1": [page(["a1"], "t1"), page(["a2"], "t2"), page(["a3"])], "eu-west-1": [page(["b1"], "u1"), page(["b2"])] }, sent),
    });
    expect((await read(reader, clock)).sort()).toEqual(["a1", "a2", "a3", "b1", "b2"]);
    expect(sent.filter((s) => s.region === "us-east-1").map((s) => [s.at, s.token])).toEqual([
      [0, undefined],
      [525, "t1"],
      [1050, "t2"],
    ]);
    expect(sent.filter((s) => s.region === "eu-west-1").map((s) => [s.at, s.token])).toEqual([
      [0, undefined],
      [525, "u1"],
    ]);
    expect(reader.stats).toEqual({ requests: 5, retries: 0, pages: 5, events: 5 });
  });

  it("asks a failed page again with the same NextToken, after a backoff and a pacer slot, and loses and repeats nothing", async () => {
    const clock = new VirtualClock();
    const sent: Sent[] = [];
    const reader = new CloudTrailReader({
      regions: ["us-east-1"],
      clock,
      random: () => 1,
      retry: { attempts: 5, baseMs: 250, capMs: 8000 },
      clientFor: scripted(clock, { "us-east-1": [page(["a1", "a2"], "t1"), awsError("ThrottlingException", 400, "Rate exceeded"), awsError("InternalFailure", 500), awsError("Error", undefined, "socket hang up", "ECONNRESET"), page(["a2", "a3"])] }, sent), // a2 again: deduplicated
    });
    expect(await read(reader, clock)).toEqual(["a1", "a2", "a3"]);
    // Backoffs of 250, 500 and 1000 ms (random 1 = the whole backoff), each followed by the next
    // free pacer slot: 525 + 250 waits for 1050; 1050 + 500 for 1575; 1575 + 1000 is free.
    expect(sent.map((s) => [s.at, s.token])).toEqual([
      [0, undefined],
      [525, "t1"],
      [1050, "t1"],
      [1575, "t1"],
      [2575, "t1"],
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
      clientFor: scripted(clock, { "us-east-1": [awsError("ServiceUnavailable", 503, "down"), awsError("ServiceUnavailable", 503, "down"), awsError("ServiceUnavailable", 503, "still down")] }, []),
    });
    expect(await read(reader, clock)).toEqual([]);
    expect(reader.failures).toEqual([{ region: "us-east-1", subject: KEY, reason: "gave up after 3 attempts, the last one server error: ServiceUnavailable, HTTP 503: still down", notEnabled: false }]);
  });

  it("does not ask a region again for other keys once it failed", async () => {
    const clock = new VirtualClock();
    const sent: Sent[] = [];
    const reader = new CloudTrailReader({ regions: ["us-east-1"], clock, clientFor: scripted(clock, { "us-east-1": [awsError("AccessDeniedException", 400, "not allowed")] }, sent) });
    await read(reader, clock);
    await clock.run(reader.source({ kind: "key", accessKeyId: "ASIAEXAMPLESESSION01" }, { start: 0, end: 1 }, () => undefined));
    expect(sent).toHaveLength(1);
    expect(reader.failures.map((f) => [f.region, f.subject, f.reason])).toEqual([
      ["us-east-1", KEY, "AccessDeniedException, HTTP 400: not allowed"],
      ["us-east-1", "ASIAEXAMPLESESSION01", "AccessDeniedException, HTTP 400: not allowed"],
    ]);
  });

  it.each([
    ["af-south-1", true, "UnrecognizedClientException, HTTP 400: The security token included in the request is invalid. (an opt-in region this account has not enabled)"],
    ["us-east-1", false, "UnrecognizedClientException, HTTP 400: The security token included in the request is invalid."],
  ])("UnrecognizedClientException in %s: not enabled %s", async (region, notEnabled, reason) => {
    const clock = new VirtualClock();
    const reader = new CloudTrailReader({ regions: [region], clock, clientFor: scripted(clock, { [region]: [awsError("UnrecognizedClientException", 400, "The security token included in the request is invalid.")] }, []) });
    await read(reader, clock);
    expect(reader.failures).toEqual([{ region, subject: KEY, reason, notEnabled }]);
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
    [awsError("AccessDeniedException", 400, "User is not authorized to perform: cloudtrail:LookupEvents"), "AccessDeniedException, HTTP 400: User is not authorized to perform: cloudtrail:LookupEvents"],
    [awsError("CredentialsProviderError", undefined, "Could not load credentials from any providers"), "no AWS credentials found (Could not load credentials from any providers); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"],
    [awsError("Error", undefined, "connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"), "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1"],
  ])("%s", (error, text) => {
    expect(describeError(error)).toBe(text);
  });
});
