/**
 * The LookupEvents reader and the `review` command through the real AWS SDK, against the
 * CloudTrail-compatible server on loopback (AWS_ENDPOINT_URL), under every fault mix.
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { CloudTrailReader } from "../review/lookup/reader.ts";
import { followChain, type EventSource } from "../review/core/chain.ts";
import { main } from "../cli/main.ts";
import { runReview } from "../commands/review.ts";
import { formatInstant } from "../incident/time.ts";
import { memoryIo } from "../cli/io.ts";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { sdkRegionStatus } from "../aws/regions.ts";
import { startMoto, type Moto } from "./support/moto.ts";
import {
  startCloudTrailServer,
  trailRecord,
  type CloudTrailServer,
  type Fault,
  type RecordFields,
  type RequestInfo,
} from "../emulators/cloudtrail-server.ts";

const ROOT = "AKIAEXAMPLEROOT00001";
const ASIA1 = "ASIAEXAMPLESESSION01";
const ASIA2 = "ASIAEXAMPLEROLE00002";
const OTHER = "AKIAEXAMPLEOTHER0001";
const REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const SINCE = "2026-11-01T00:00:00Z";
const UNTIL = "2026-11-30T00:00:00Z";
const WINDOW = { start: Date.parse(SINCE), end: Date.parse(UNTIL) };
const SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKENTHATMUSTNEVERBEPRINTED";

const later = (base: string, seconds: number) =>
  new Date(Date.parse(base) + seconds * 1000).toISOString().replace(".000Z", "Z");

/**
 * AKIA → GetSessionToken → ASIA1 → AssumeRole → ASIA2, spread over three regions, with events
 * each key made outside its window and events of another key around them. Returns the records and
 * the ids a review must find.
 */
function seed(scale = 1) {
  const records: Record<string, unknown>[] = [];
  const expected: string[] = [];
  const add = (fields: RecordFields, found: boolean) => {
    records.push(trailRecord(fields));
    if (found) expected.push(fields.eventId);
  };
  // One event every 20 seconds from `base`: a minted key's events all fall within its lifetime.
  const many = (
    prefix: string,
    count: number,
    fields: Omit<RecordFields, "eventId" | "eventTime" | "eventName">,
    base: string,
    found: boolean,
  ) => {
    for (let i = 0; i < count; i++)
      add(
        { ...fields, eventId: `${prefix}-${i}`, eventName: "DescribeInstances", eventTime: later(base, 20 * i) },
        found,
      );
  };
  many("root-use1", Math.round(130 * scale), { region: "us-east-1", accessKeyId: ROOT }, "2026-11-10T00:00:00Z", true);
  many("root-euw1", Math.round(60 * scale), { region: "eu-west-1", accessKeyId: ROOT }, "2026-11-10T00:00:00Z", true);
  many("root-old", 5, { region: "us-east-1", accessKeyId: ROOT }, "2026-10-01T00:00:00Z", false);
  add(
    {
      eventId: "mint-1",
      eventName: "GetSessionToken",
      eventTime: "2026-11-12T00:00:00Z",
      region: "us-east-1",
      accessKeyId: ROOT,
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      responseElements: {
        credentials: { accessKeyId: ASIA1, expiration: "2026-11-12T12:00:00Z", sessionToken: SESSION_TOKEN },
      },
    },
    true,
  );
  many("asia1-euw1", Math.round(55 * scale), { region: "eu-west-1", accessKeyId: ASIA1 }, "2026-11-12T00:01:00Z", true);
  many("asia1-apse2", 3, { region: "ap-southeast-2", accessKeyId: ASIA1 }, "2026-11-12T01:00:00Z", true);
  many("asia1-expired", 2, { region: "eu-west-1", accessKeyId: ASIA1 }, "2026-11-12T13:00:00Z", false);
  add(
    {
      eventId: "mint-2",
      eventName: "AssumeRole",
      eventTime: "2026-11-12T02:00:00Z",
      region: "eu-west-1",
      accessKeyId: ASIA1,
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      requestParameters: { roleArn: "arn:aws:iam::111122223333:role/deploy", roleSessionName: "x" },
      responseElements: {
        credentials: { accessKeyId: ASIA2, expiration: "Nov 12, 2026, 3:00:00 AM", sessionToken: SESSION_TOKEN },
      },
    },
    true,
  );
  many(
    "asia2-apse2",
    Math.round(70 * scale),
    { region: "ap-southeast-2", accessKeyId: ASIA2 },
    "2026-11-12T02:00:30Z",
    true,
  );
  many("asia2-use1", 2, { region: "us-east-1", accessKeyId: ASIA2 }, "2026-11-12T02:30:00Z", true);
  many("other", 20, { region: "us-east-1", accessKeyId: OTHER }, "2026-11-12T02:00:00Z", false);
  many("root-sae1", 4, { region: "sa-east-1", accessKeyId: ROOT }, "2026-11-10T00:00:00Z", false); // not among the regions read
  return { records, expected: expected.sort() };
}

let server: CloudTrailServer | undefined;

beforeEach(() => {
  // The SDK reads these itself: the endpoint override, and credentials from the environment only.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLETESTKEY01");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test-secret-not-used-by-the-server");
  vi.stubEnv("AWS_SESSION_TOKEN", undefined);
  vi.stubEnv("AWS_PROFILE", undefined);
  vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/cordon-test-config");
  vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/cordon-test-credentials");
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  // No other credential source may answer, or reach beyond loopback.
  for (const name of [
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ENDPOINT_URL_CLOUDTRAIL",
    "AWS_ENDPOINT_URL_EC2",
  ])
    vi.stubEnv(name, undefined);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

async function serve(options: Parameters<typeof startCloudTrailServer>[0], records: object[]) {
  server = await startCloudTrailServer(options);
  server.seed(records);
  vi.stubEnv("AWS_ENDPOINT_URL", server.url);
  return server;
}

/** Counts every event the reader delivers, before the chain deduplicates anything. */
function counting(source: EventSource, delivered: Map<string, number>): EventSource {
  return (subject, window, deliver) =>
    source(subject, window, (events) => {
      for (const event of events) delivered.set(event.eventId, (delivered.get(event.eventId) ?? 0) + 1);
      deliver(events);
    });
}

// Ten times CloudTrail's pace (20 requests per second per region), so that the fault table runs
// in seconds; the real pace has its own test below.
const FAST = { limit: 2, windowMs: 100 };
// failureAttempts: the fault tables below share one request count among the three keys' lookups of a
// region, so one page can draw several faults in a row; giving up early has its own test.
const FAST_READER = {
  pace: { windowMs: 100, marginMs: 5, minMarginMs: 3 },
  retry: { attempts: 10, failureAttempts: 10, baseMs: 5, capMs: 40 },
};

const cycle =
  (...faults: (Fault | undefined)[]) =>
  ({ n }: RequestInfo) =>
    faults[(n - 1) % faults.length];

describe("reading CloudTrail through the SDK", () => {
  it.each<[string, ((request: RequestInfo) => Fault | undefined) | undefined]>([
    ["no faults", undefined],
    ["every third request answers 500", cycle(undefined, undefined, "500")],
    ["every second request answers 503", cycle(undefined, "503")],
    ["every third connection is dropped", cycle(undefined, undefined, "drop")],
    ["every second request is throttled", cycle(undefined, "throttle")],
    ["throttles, 5xx and dropped connections together", cycle("throttle", "500", undefined, "drop", "503", undefined)],
  ])("finds every seeded event exactly once: %s", async (_name, faults) => {
    const { records, expected } = seed();
    const fake = await serve({ ...FAST, faults }, records);
    const reader = new CloudTrailReader({ regions: REGIONS, ...FAST_READER });
    const delivered = new Map<string, number>();
    const chain = await followChain(ROOT, WINDOW, counting(reader.source, delivered));
    reader.close();

    expect(chain.events.map((e) => e.eventId).sort()).toEqual(expected);
    expect([...delivered.keys()].sort()).toEqual(expected);
    expect([...delivered.values()].every((times) => times === 1)).toBe(true);
    expect(chain.leads.map((lead) => [lead.subject, lead.parent, lead.mintedBy])).toEqual([
      [{ kind: "key", accessKeyId: ROOT }, null, null],
      [{ kind: "key", accessKeyId: ASIA1 }, ROOT, "GetSessionToken"],
      [{ kind: "key", accessKeyId: ASIA2 }, ASIA1, "AssumeRole"],
    ]);
    expect(reader.failures).toEqual([]);
    // The faults did happen, and every one was retried.
    expect(fake.totals().faults).toBe(faults === undefined ? 0 : reader.stats.retries - fake.totals().throttled);
    if (faults !== undefined) expect(fake.totals().faults).toBeGreaterThan(0);
    expect(fake.totals().pages).toBe(reader.stats.pages);
  });

  it("follows a user the key created by its user name, and not role sessions of that name", async () => {
    const records = [
      trailRecord({
        eventId: "create",
        eventName: "CreateUser",
        eventTime: "2026-11-12T00:00:00Z",
        region: "us-east-1",
        accessKeyId: ROOT,
        eventSource: "iam.amazonaws.com",
        readOnly: false,
        requestParameters: { userName: "svc-backup" },
        responseElements: { user: { userName: "svc-backup" } },
      }),
      trailRecord({
        eventId: "login",
        eventName: "ConsoleLogin",
        eventTime: "2026-11-12T00:05:00Z",
        region: "eu-west-1",
        userName: "svc-backup",
        eventSource: "signin.amazonaws.com",
        readOnly: false,
        responseElements: { ConsoleLogin: "Success" },
      }),
      trailRecord({
        eventId: "session",
        eventName: "DescribeInstances",
        eventTime: "2026-11-12T00:06:00Z",
        region: "eu-west-1",
        identityType: "AssumedRole",
        userName: "svc-backup",
        accessKeyId: "ASIAEXAMPLEUNRELATED",
      }),
      trailRecord({
        eventId: "before",
        eventName: "DescribeInstances",
        eventTime: "2026-11-11T00:00:00Z",
        region: "eu-west-1",
        userName: "svc-backup",
      }),
    ];
    await serve({ ...FAST }, records);
    const reader = new CloudTrailReader({ regions: REGIONS, ...FAST_READER });
    const chain = await followChain(ROOT, WINDOW, reader.source);
    reader.close();
    expect(chain.events.map((e) => e.eventId)).toEqual(["create", "login"]);
    expect(chain.leads.map((lead) => lead.subject)).toEqual([
      { kind: "key", accessKeyId: ROOT },
      { kind: "user", userName: "svc-backup", accountId: "111122223333" },
    ]);
  });

  it("at CloudTrail's own limit of 2 requests per second, is never throttled", async () => {
    // Three pages of the root key in us-east-1 and two in eu-west-1: unpaced, they would be throttled.
    const { records, expected } = seed();
    const fake = await serve({}, records);
    const reader = new CloudTrailReader({ regions: REGIONS });
    const chain = await followChain(ROOT, WINDOW, reader.source);
    reader.close();
    expect(chain.events.map((e) => e.eventId).sort()).toEqual(expected);
    expect(fake.totals().throttled).toBe(0);
  });

  it("without a pacer, is throttled by the same server, retries, and still loses nothing", async () => {
    const { records, expected } = seed(0.3);
    const fake = await serve({ ...FAST }, records);
    const reader = new CloudTrailReader({
      regions: REGIONS,
      pace: { limit: 1000 },
      retry: { attempts: 20, baseMs: 20, capMs: 100 },
    });
    const chain = await followChain(ROOT, WINDOW, reader.source);
    reader.close();
    expect(chain.events.map((e) => e.eventId).sort()).toEqual(expected);
    expect(fake.totals().throttled).toBeGreaterThan(0);
  });
});

describe("cordon review against CloudTrail", () => {
  /** runReview of ROOT over the window, in `regions`, as text, with the LookupEvents reader's `options`. */
  const reviewOf = async (regions: string[], options: object) => {
    const io = memoryIo();
    const review = {
      accessKeyId: ROOT,
      since: new Date(SINCE),
      until: new Date(UNTIL),
      regions,
      format: "text" as const,
    };
    return { code: await runReview(review, io, { sources: { lookupEvents: options } }), io };
  };

  const argv = ["review", "--access-key", ROOT, "--since", SINCE, "--until", UNTIL, "--regions", REGIONS.join(",")];

  it("reviews the chain through AWS_ENDPOINT_URL, with progress on stderr and only JSON on stdout", async () => {
    const { records, expected } = seed(0.3);
    const fake = await serve({}, records);
    const io = memoryIo();
    expect(await main([...argv, "--json"], io)).toBe(0);
    const review = JSON.parse(io.stdout);
    expect(review.events.map((e: { eventId: string }) => e.eventId).sort()).toEqual(expected);
    expect(
      review.keys.map((k: { accessKeyId: string; parent: string | null; mintedBy: string | null }) => [
        k.accessKeyId,
        k.parent,
        k.mintedBy,
      ]),
    ).toEqual([
      [ROOT, null, null],
      [ASIA1, ROOT, "GetSessionToken"],
      [ASIA2, ASIA1, "AssumeRole"],
    ]);
    expect(review.rolesAssumed).toEqual(["arn:aws:iam::111122223333:role/deploy"]);
    expect(review.review).toMatchObject({
      accessKeyId: ROOT,
      since: SINCE,
      until: UNTIL,
      complete: true,
      source: { kind: "cloudtrail", regions: REGIONS },
    });
    expect(io.stdout).not.toContain(SESSION_TOKEN);
    expect(io.stderr).not.toContain(SESSION_TOKEN);
    expect(io.stderr).toMatch(/^review: scanning · /m);
    expect(io.stderr).toMatch(
      /^review: done · 3\/3 regions idle · \d+ pages · \d+ events · 2 more keys and users followed\n/m,
    );
    expect(fake.totals().throttled).toBe(0);
  });

  it("prints what it found and exits 2 when a region could not be read", async () => {
    await serve({ ...FAST, faults: ({ region }) => (region === "eu-west-1" ? "500" : undefined) }, seed(0.1).records);
    const { code, io } = await reviewOf(["us-east-1", "eu-west-1"], {
      ...FAST_READER,
      retry: { attempts: 3, baseMs: 1, capMs: 1 },
    });
    expect(code).toBe(2);
    expect(io.stderr).toContain(
      "cordon review: could not read CloudTrail in eu-west-1: gave up after 3 attempts, the last one server error: InternalFailure, HTTP 500: injected fault\n",
    );
    expect(io.stdout).toContain(
      "INCOMPLETE: 1 region could not be read; their events are missing from this review:\n  eu-west-1: gave up after 3 attempts",
    );
  });

  it("gives up on a region answering error pages within seconds, in one line without the SDK's internals (issue 22)", async () => {
    // A proxy's HTML page for every request of eu-west-1: not an AWS error, which the SDK cannot read.
    const fake = await serve(
      { ...FAST, faults: ({ region }) => (region === "eu-west-1" ? "500-page" : undefined) },
      seed(0.1).records,
    );
    const started = Date.now();
    // The retry policy production uses: only the pace is the test's.
    const { code, io } = await reviewOf(["us-east-1", "eu-west-1"], { pace: FAST_READER.pace });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).toBe(2);
    const said =
      "gave up after 4 attempts, the last one server error: HTTP 500, with an answer that is not an AWS error (an error page of a proxy or load balancer in front of the service)";
    expect(io.stderr.split("\n").filter((line) => line.includes("eu-west-1") && !line.startsWith("review:"))).toEqual([
      `cordon review: could not read CloudTrail in eu-west-1: ${said}`,
    ]);
    expect(io.stdout).toContain(
      `INCOMPLETE: 1 region could not be read; their events are missing from this review:\n  eu-west-1: ${said}\n`,
    );
    for (const output of [io.stdout, io.stderr])
      expect(output).not.toMatch(/Deserialization|\$response|<html|Internal Server Error/);
    // Each lookup of the region (the key's, then each key it minted) asked 4 times, no more.
    expect(fake.totals().faults % 4).toBe(0);
    expect(fake.totals().faults).toBeGreaterThan(0);
  });

  it("exits 2 and says why when CloudTrail cannot be reached", async () => {
    const closed = await startCloudTrailServer();
    await closed.close();
    vi.stubEnv("AWS_ENDPOINT_URL", closed.url);
    const io = memoryIo();
    const code = await runReview({ accessKeyId: ROOT, regions: ["us-east-1"], format: "json" }, io, {
      sources: { lookupEvents: { ...FAST_READER, retry: { attempts: 2, baseMs: 1, capMs: 1 } } },
    });
    expect(code).toBe(2);
    expect(io.stdout).toBe("");
    expect(io.stderr).toMatch(
      /^cordon review: could not read CloudTrail in us-east-1: gave up after 2 attempts, the last one connection: ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:\d+\n/m,
    );
    expect(io.stderr).toContain("cordon review: CloudTrail could not be read in any region; nothing reviewed\n");
    expect(io.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("says what LookupEvents no longer keeps: the window's start, or the 36 h before it where minted sessions are found (the default window included)", async () => {
    await serve({}, []);
    const DAY = 86_400_000;
    const warningsAt = async (now: number) => {
      const io = memoryIo();
      const review = { accessKeyId: ROOT, since: new Date(SINCE), until: new Date(UNTIL), regions: ["us-east-1"] };
      await runReview({ ...review, format: "json" }, io, {
        now: () => new Date(now),
        sources: { lookupEvents: FAST_READER },
      });
      return io.stderr.split("\n").filter((line) => line.startsWith("review: LookupEvents keeps"));
    };
    const kept = (now: number) => new Date(now - 90 * DAY).toISOString();
    // --since 90 days ago less an hour: the window itself starts before what is kept.
    const late = Date.parse(SINCE) + 90 * DAY + 3_600_000;
    expect(await warningsAt(late)).toEqual([
      `review: LookupEvents keeps 90 days of events; anything before ${kept(late)} is only in the log files (--from-logs)`,
    ]);
    // 89 days ago: the window is kept, the first 12 of the 36 h before it are not.
    const close = Date.parse(SINCE) + 89 * DAY;
    expect(await warningsAt(close)).toEqual([
      `review: LookupEvents keeps 90 days of events: of the 36 h before the window, where the sessions the key minted into the window are found, only those from ${kept(close)} are kept; a session minted earlier, and what it did, is only in the log files (--from-logs)`,
    ]);
    // 36 h and a second more than 90 days: everything the review reads is kept.
    expect(await warningsAt(Date.parse(SINCE) + 90 * DAY - 36 * 3_600_000 - 1000)).toEqual([]);
    expect(await warningsAt(Date.parse(UNTIL))).toEqual([]);
    // The default window, all 90 days LookupEvents keeps: never the 36 h before them.
    const io = memoryIo();
    const now = Date.parse(UNTIL);
    await runReview({ accessKeyId: ROOT, regions: ["us-east-1"], format: "json" }, io, {
      now: () => new Date(now),
      sources: { lookupEvents: FAST_READER },
    });
    expect(io.stderr.split("\n").filter((line) => line.startsWith("review: LookupEvents keeps"))).toEqual([
      `review: LookupEvents keeps 90 days of events: of the 36 h before the window, where the sessions the key minted into the window are found, only those from ${kept(now)} are kept; a session minted earlier, and what it did, is only in the log files (--from-logs)`,
    ]);
  });

  it("a window that starts before what LookupEvents keeps is INCOMPLETE (exit 2), naming the part not read (generated)", async () => {
    // The server keeps everything, and paces as FAST_READER does; AWS would hold only the last 90 days.
    await serve({ windowMs: 100 }, [
      trailRecord({
        eventId: "kept",
        eventName: "DescribeInstances",
        eventTime: "2026-11-20T00:00:00Z",
        region: "us-east-1",
        accessKeyId: ROOT,
      }),
    ]);
    const DAY = 86_400_000;
    const now = Date.parse("2026-11-30T00:00:00Z");
    const kept = now - 90 * DAY;
    const review = async (since: number, until: number, format: "json" | "text") => {
      const io = memoryIo();
      const exit = await runReview(
        { accessKeyId: ROOT, since: new Date(since), until: new Date(until), regions: ["us-east-1"], format },
        io,
        { now: () => new Date(now), sources: { lookupEvents: FAST_READER } },
      );
      return { exit, io };
    };
    // The reviewer's case: --since 2026-06-01, five and a half months before now.
    const { exit, io } = await review(Date.parse("2026-06-01T00:00:00Z"), now, "text");
    expect(exit).toBe(2);
    expect(io.stdout.split("\n").slice(2, 4)).toEqual([
      "INCOMPLETE: 1 part of the source could not be read; their events are missing from this review:",
      "  the window from 2026-06-01T00:00:00Z to 2026-09-01T00:00:00Z: LookupEvents keeps 90 days of events, from 2026-09-01T00:00:00Z on; read this part from the trail's log files (--from-s3, --athena or --from-logs)",
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 0, max: 200 * 24 })
          .chain((sinceHours) => fc.tuple(fc.constant(sinceHours), fc.integer({ min: 0, max: sinceHours }))),
        async ([sinceHours, untilHours]) => {
          const since = now - sinceHours * 3_600_000;
          const until = now - untilHours * 3_600_000;
          const { exit, io } = await review(since, until, "json");
          const json = JSON.parse(io.stdout).review as {
            complete: boolean;
            keyFound: boolean;
            unreadable: { part: string; reason: string }[];
          };
          const unread =
            since < kept
              ? [
                  {
                    part: `the window from ${formatInstant(new Date(since))} to ${formatInstant(new Date(Math.min(kept, until)))}`,
                    reason: `LookupEvents keeps 90 days of events, from ${formatInstant(new Date(kept))} on; read this part from the trail's log files (--from-s3, --athena or --from-logs)`,
                  },
                ]
              : [];
          expect({ complete: json.complete, unreadable: json.unreadable, exit }).toEqual({
            complete: unread.length === 0,
            unreadable: unread,
            exit: unread.length > 0 ? 2 : json.keyFound ? 0 : 3,
          });
        },
      ),
      { numRuns: 20 },
    );
  }, 60_000);

  it("exits 2 and says so when there are no credentials", async () => {
    await serve({}, []);
    vi.stubEnv("AWS_ACCESS_KEY_ID", undefined);
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", undefined);
    const io = memoryIo();
    const code = await runReview({ accessKeyId: ROOT, regions: ["us-east-1"], format: "text" }, io, {
      sources: { lookupEvents: FAST_READER },
    });
    expect(code).toBe(2);
    expect(io.stderr).toContain("cordon review: could not read CloudTrail in us-east-1: no AWS credentials found (");
    expect(server?.totals().requests).toBe(0);
  });
});

describe("opt-in regions that refuse the credentials: the account asked of moto (ec2:DescribeRegions)", () => {
  let moto: Moto | undefined;
  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: false });
  });
  afterAll(async () => {
    await moto?.stop();
  });
  /** The CloudTrail server answers LookupEvents; EC2's DescribeRegions goes to moto, as its own endpoint. */
  const askMoto = () => vi.stubEnv("AWS_ENDPOINT_URL_EC2", moto!.endpoint);
  const cli = async (regions: string[]) => {
    const io = memoryIo();
    const code = await main(
      ["review", "--access-key", ROOT, "--since", SINCE, "--until", UNTIL, "--regions", regions.join(",")],
      io,
    );
    return { code, io };
  };
  const HOW =
    "a session token from the global STS endpoint (sts.amazonaws.com) works only in the regions enabled by default: get one from a regional endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) and run again";

  it("moto answers DescribeRegions with every region's OptInStatus", async () => {
    askMoto();
    const answer = await sdkRegionStatus("us-east-1")();
    if (answer.kind !== "answered") throw new Error(`not answered: ${String(answer.error)}`);
    // moto's table, not AWS's: it calls af-south-1 opt-in-not-required, and no region opted-in.
    expect(["us-east-1", "af-south-1", "me-south-1", "ap-east-1"].map((region) => answer.status.get(region))).toEqual([
      "opt-in-not-required",
      "opt-in-not-required",
      "not-opted-in",
      "not-opted-in",
    ]);
  });

  it("a region the account says is not opted in is not enabled, and the review is complete (exit 0)", async () => {
    askMoto();
    await serve({ disabledRegions: ["me-south-1"] }, seed(0.1).records);
    const { code, io } = await cli(["us-east-1", "me-south-1"]);
    expect(code).toBe(0);
    expect(io.stdout).toContain("\nnot enabled in this account, so nothing to read: me-south-1\n");
    expect(io.stdout).not.toContain("INCOMPLETE");
  });

  it("a region the account has enabled that refuses the credentials is a failure, and the review is incomplete (exit 2)", async () => {
    askMoto();
    await serve({ disabledRegions: ["af-south-1", "me-south-1"] }, seed(0.1).records);
    const { code, io } = await cli(["us-east-1", "af-south-1", "me-south-1"]);
    expect(code).toBe(2);
    const reason = `refused the credentials (UnrecognizedClientException): the region is enabled in this account (ec2:DescribeRegions: opt-in-not-required); ${HOW}`;
    expect(io.stderr).toContain(`cordon review: could not read CloudTrail in af-south-1: ${reason}\n`);
    expect(io.stdout).toContain(
      `INCOMPLETE: 1 region could not be read; their events are missing from this review:\n  af-south-1: ${reason}\n`,
    );
    expect(io.stdout).toContain("\nnot enabled in this account, so nothing to read: me-south-1\n");
  });

  it("when the question is denied, every refusing opt-in region is a failure (exit 2)", async () => {
    // A moto that checks its own IAM policies after the three calls that make the responder:
    // allowed LookupEvents, not ec2:DescribeRegions.
    vi.stubEnv("INITIAL_NO_AUTH_ACTION_COUNT", "3");
    const guarded = await startMoto({ managedPolicies: false });
    try {
      const iam = new IAMClient({ region: "us-east-1", endpoint: guarded.endpoint });
      await iam.send(new CreateUserCommand({ UserName: "responder" }));
      await iam.send(
        new PutUserPolicyCommand({
          UserName: "responder",
          PolicyName: "lookup-only",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "cloudtrail:LookupEvents", Resource: "*" }],
          }),
        }),
      );
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "responder" }))).AccessKey!;
      iam.destroy();
      vi.stubEnv("AWS_ACCESS_KEY_ID", key.AccessKeyId!);
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", key.SecretAccessKey!);
      vi.stubEnv("AWS_ENDPOINT_URL_EC2", guarded.endpoint);
      await serve({ disabledRegions: ["af-south-1", "me-south-1"] }, seed(0.1).records);
      const { code, io } = await cli(["us-east-1", "af-south-1", "me-south-1"]);
      expect(code).toBe(2);
      const reason = `refused the credentials (UnrecognizedClientException), and whether the region is enabled in this account could not be checked (ec2:DescribeRegions: AccessDenied, HTTP 403: User: arn:aws:iam::123456789012:user/responder is not authorized to perform: ec2:DescribeRegions); if it is, ${HOW}; or allow ec2:DescribeRegions, to tell`;
      expect(io.stderr).toContain(`cordon review: could not read CloudTrail in af-south-1, me-south-1: ${reason}\n`);
      expect(io.stdout).toContain(
        `INCOMPLETE: 2 regions could not be read; their events are missing from this review:\n  af-south-1: ${reason}\n  me-south-1: ${reason}\n`,
      );
      expect(io.stdout).not.toContain("not enabled in this account");
    } finally {
      await guarded.stop();
    }
  });

  it("when the answer is not one, every refusing opt-in region is a failure (exit 2)", async () => {
    const fake = await serve({ disabledRegions: ["me-south-1"] }, seed(0.1).records);
    // DescribeRegions to a server that answers only LookupEvents.
    vi.stubEnv("AWS_ENDPOINT_URL_EC2", fake.url);
    const { code, io } = await cli(["us-east-1", "me-south-1"]);
    expect(code).toBe(2);
    expect(io.stderr).toContain(
      `cordon review: could not read CloudTrail in me-south-1: refused the credentials (UnrecognizedClientException), and whether the region is enabled in this account could not be checked (ec2:DescribeRegions: HTTP 400, with an answer that is not an AWS error (an error page of a proxy or load balancer in front of the service)); if it is, ${HOW}; or allow ec2:DescribeRegions, to tell\n`,
    );
    expect(io.stdout).not.toContain("not enabled in this account");
  });
});

describe("the server itself", () => {
  let fake: CloudTrailServer;
  beforeAll(async () => {
    fake = await startCloudTrailServer();
  });
  afterAll(async () => {
    await fake.close();
  });

  it.each([
    [{ "x-amz-target": "CloudTrail_20131101.LookupEvents" }, 403, "MissingAuthenticationTokenException"],
    [
      {
        "x-amz-target": "CloudTrail_20131101.CreateTrail",
        authorization: "AWS4-HMAC-SHA256 Credential=AKID/20261128/us-east-1/cloudtrail/aws4_request",
      },
      400,
      "UnknownOperationException",
    ],
  ])("refuses %j with %i %s", async (headers, status, type) => {
    const response = await fetch(fake.url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", ...headers },
      body: "{}",
    });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { __type: string }).__type).toBe(type);
  });

  it("throttles the third request of a region within one second, and not another region's", async () => {
    const call = (region: string) =>
      fetch(fake.url, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
          authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261128/${region}/cloudtrail/aws4_request`,
        },
        body: "{}",
      });
    const statuses = [];
    for (const region of ["us-west-2", "us-west-2", "us-west-2", "eu-north-1"])
      statuses.push((await call(region)).status);
    expect(statuses).toEqual([200, 200, 400, 200]);
    expect(fake.stats.get("us-west-2")?.throttled).toBe(1);
  });
});
