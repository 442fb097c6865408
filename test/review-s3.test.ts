/**
 * `review --from-s3` against moto's S3: what it lists (only the accounts, regions and delivery
 * days of the review), what it fetches (a bounded number at once), and every problem of every
 * file, named by its s3:// URL, as --from-logs names files by path.
 */
import { gzipSync } from "node:zlib";
import { usageOutput } from "./support/usage.ts";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { parseReviewFlags, runReview } from "../commands/review.ts";
import type { S3Like } from "../aws/s3-logs.ts";
import { listTrail } from "../review/trail/listing.ts";
import { trailRecord } from "../emulators/cloudtrail-server.ts";
import { startMoto, useMotoEnv, type Moto } from "./support/moto.ts";

const BUCKET = "trail-bucket";
const A = "111122223333";
const B = "444455556666";
/** An account the bucket holds no folder of. */
const C = "777788889999";
const ORG = "o-exampleorg01";
const KEY = "AKIAEXAMPLEROOT00001";
const START = Date.parse("2026-11-10T12:00:00Z");
const END = Date.parse("2026-11-11T06:00:00Z");

const file = (account: string, region: string, day: string, stamp: string) =>
  `trail/AWSLogs/${ORG}/${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${stamp}_abcdefghijklmnop.json.gz`;
const records = (id: string, eventTime: string, region = "us-east-1") =>
  gzipSync(
    JSON.stringify({
      Records: [
        trailRecord({ eventId: id, eventName: "ListBuckets", eventTime, region, accessKeyId: KEY, accountId: A }),
      ],
    }),
  );

/** The review of the bucket over the window (START to END), as parsed from the command line. */
const windowFlags = (...more: string[]) =>
  parseReviewFlags([
    "--access-key",
    KEY,
    "--from-s3",
    `s3://${BUCKET}/trail`,
    "--since",
    "2026-11-10T12:00:00Z",
    "--until",
    "2026-11-11T06:00:00Z",
    ...more,
  ]);
/** Every event the window's files hold (beforeEach puts them): one a day from the 10th to the 12th, of each account and region. */
const EVERY_EVENT = [
  "a-2026/11/10",
  "a-2026/11/11",
  "a-2026/11/12",
  "a-euw1-2026/11/10",
  "a-euw1-2026/11/11",
  "a-euw1-2026/11/12",
  "b-2026/11/10",
  "b-2026/11/11",
  "b-2026/11/12",
].sort();

/** The trail's files of account A in us-east-1 over the window. */
const listOneFolder = (s3: S3Like) =>
  listTrail(s3, {
    location: { bucket: BUCKET, prefix: "trail" },
    accounts: [A],
    regions: ["us-east-1"],
    start: START,
    end: END,
  });

/** What S3 answers a listing the credentials may not make. */
const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });

/** A client that remembers what it was asked, and can be told to fail some calls. */
function recording(
  client: S3Client,
  fail: (command: ListObjectsV2Command | GetObjectCommand) => Error | undefined = () => undefined,
) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  let inFlight = 0;
  let most = 0;
  const s3: S3Like = {
    send: (async (command: ListObjectsV2Command | GetObjectCommand) => {
      calls.push({ name: command.constructor.name, input: { ...command.input } });
      const failure = fail(command);
      if (failure !== undefined) throw failure;
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        return await client.send(command as GetObjectCommand);
      } finally {
        inFlight--;
      }
    }) as S3Like["send"],
  };
  return { s3, calls, most: () => most };
}

describe("--from-s3 against moto", () => {
  let moto: Moto;
  let client: S3Client;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: false });
    restoreEnv = useMotoEnv(moto);
    client = new S3Client({ region: "us-east-1" });
  });
  afterAll(async () => {
    client?.destroy();
    restoreEnv?.();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const put = (Key: string, Body: Uint8Array | string) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
    // Days outside what a review of the window reads (from 36 h before its start, the chain's
    // lookback, to the day after its end), holding the key's events all the same: read by mistake,
    // they would show.
    for (const [day, stamp] of [
      ["2026/11/08", "20261108T2355Z"],
      ["2026/11/10", "20261110T1200Z"],
      ["2026/11/11", "20261111T0005Z"],
      ["2026/11/12", "20261112T0005Z"],
      ["2026/11/13", "20261113T0005Z"],
    ]) {
      await put(file(A, "us-east-1", day, stamp), records(`a-${day}`, "2026-11-10T13:00:00Z"));
      await put(file(A, "eu-west-1", day, stamp), records(`a-euw1-${day}`, "2026-11-10T13:00:00Z", "eu-west-1"));
      await put(file(B, "us-east-1", day, stamp), records(`b-${day}`, "2026-11-10T13:00:00Z"));
    }
    // Not log files of the trail: digests, and a note someone left in a day's folder.
    await put(
      `trail/AWSLogs/${ORG}/${A}/CloudTrail-Digest/us-east-1/2026/11/10/${A}_CloudTrail-Digest_us-east-1_t_us-east-1_20261110T120000Z.json.gz`,
      "not json",
    );
    await put(`trail/AWSLogs/${ORG}/${A}/CloudTrail/us-east-1/2026/11/10/README.txt`, "hello");
  });

  it("lists one account's region folder from the first day to the day after the last, and nothing else", async () => {
    const { s3, calls } = recording(client);
    const listing = await listOneFolder(s3);
    expect(listing.problems).toEqual([]);
    expect(listing.objects.map((object) => object.name)).toEqual(
      [
        file(A, "us-east-1", "2026/11/10", "20261110T1200Z"),
        file(A, "us-east-1", "2026/11/11", "20261111T0005Z"),
        file(A, "us-east-1", "2026/11/12", "20261112T0005Z"),
      ].map((key) => `s3://${BUCKET}/${key}`),
    );
    expect(calls).toEqual([
      {
        name: "ListObjectsV2Command",
        input: { Bucket: BUCKET, Prefix: "trail/AWSLogs/", Delimiter: "/", ContinuationToken: undefined },
      },
      // The regions the account's folder holds, even with --regions: one it lacks was not read.
      {
        name: "ListObjectsV2Command",
        input: {
          Bucket: BUCKET,
          Prefix: `trail/AWSLogs/${ORG}/${A}/CloudTrail/`,
          Delimiter: "/",
          ContinuationToken: undefined,
        },
      },
      {
        name: "ListObjectsV2Command",
        input: {
          Bucket: BUCKET,
          Prefix: `trail/AWSLogs/${ORG}/${A}/CloudTrail/us-east-1/`,
          StartAfter: `trail/AWSLogs/${ORG}/${A}/CloudTrail/us-east-1/2026/11/10`,
          ContinuationToken: undefined,
        },
      },
    ]);
    expect({ folders: listing.folders, requests: listing.requests }).toEqual({ folders: 1, requests: 3 });
  });

  it("finds the accounts and regions a bucket holds when none are named, one level at a time", async () => {
    const { s3, calls } = recording(client);
    const listing = await listTrail(s3, { location: { bucket: BUCKET, prefix: "trail" }, start: START, end: END });
    expect(listing.folders).toBe(3);
    expect(listing.objects).toHaveLength(9);
    expect(calls.filter((call) => call.input.Delimiter === "/").map((call) => call.input.Prefix)).toEqual([
      "trail/AWSLogs/",
      `trail/AWSLogs/${ORG}/`,
      `trail/AWSLogs/${ORG}/${A}/CloudTrail/`,
      `trail/AWSLogs/${ORG}/${B}/CloudTrail/`,
    ]);
  });

  it("fetches ahead, never more than the concurrency at once, and reviews what --from-logs would", async () => {
    const { s3, calls, most } = recording(client);
    const io = memoryIo({ env: moto.env });
    const flags = windowFlags("--json");
    expect(await runReview(flags, io, { sources: { s3: { client: s3 } } })).toBe(0);
    expect((JSON.parse(io.stdout) as { events: { eventId: string }[] }).events.map((event) => event.eventId)).toEqual(
      EVERY_EVENT,
    );
    expect(calls.filter((call) => call.name === "GetObjectCommand")).toHaveLength(9);
    // Each folder from the day 36 h before --since: the mint calls of sessions still alive at it.
    expect(
      calls.flatMap((call) => (call.input.StartAfter === undefined ? [] : [String(call.input.StartAfter).slice(-10)])),
    ).toEqual(["2026/11/09", "2026/11/09", "2026/11/09"]);
    expect(most()).toBeLessThanOrEqual(8);
  });

  it("on a terminal, draws the listing's progress as it goes, and ends its line before the summary", async () => {
    const io = memoryIo({ env: moto.env });
    io.errIsTTY = true;
    expect(await runReview(windowFlags("--json"), io, {})).toBe(0);
    const frames = io.stderr.split("\r\u001b[2K").slice(1);
    expect(frames.some((frame) => /^listing the trail · [12]\/2 account folders · \d listings$/.test(frame))).toBe(
      true,
    );
    // The last frame of the listing: every listing made (AWSLogs/, the organization's, 2 accounts', 3 region folders).
    expect(frames.filter((frame) => frame.startsWith("listing the trail")).at(-1)).toBe(
      `listing the trail · 3/3 region folders · 7 listings · 9 log files\nreview: 9 log files in 3 account and region folders of s3://${BUCKET}/trail (7 listings)\n`,
    );
  });

  it("lists every file in range it cannot read by its URL, and reviews the others (exit 2, INCOMPLETE; issue 22)", async () => {
    const broken = file(A, "us-east-1", "2026/11/11", "20261111T0010Z");
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: broken, Body: gzipSync('{"Records": [{"eventID": "x"') }),
    );
    // Out of range: never read, so never a problem.
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: file(A, "us-east-1", "2026/11/13", "20261113T0010Z"),
        Body: "broken",
      }),
    );
    const gone = file(B, "us-east-1", "2026/11/10", "20261110T1200Z");
    const { s3 } = recording(client, (command) =>
      command instanceof GetObjectCommand && command.input.Key === gone
        ? Object.assign(new Error("The specified key does not exist."), {
            name: "NoSuchKey",
            $metadata: { httpStatusCode: 404 },
          })
        : undefined,
    );
    const io = memoryIo({ env: moto.env });
    const flags = windowFlags("--json");
    expect(await runReview(flags, io, { sources: { s3: { client: s3 } } })).toBe(2);
    // In the order CloudTrail wrote them, as for --from-logs.
    const problems = [
      [
        `s3://${BUCKET}/${gone}`,
        "E_LOG_READ cannot read the file: NoSuchKey, HTTP 404: The specified key does not exist.",
      ],
      [
        `s3://${BUCKET}/${broken}`,
        "E_LOG_JSON not valid JSON: Expected ',' or '}' after property value; expected a CloudTrail log file",
      ],
    ];
    expect(io.stderr.split("\n").filter((line) => line.startsWith("s3://"))).toEqual([
      `${problems[0][0]}:1:1 ${problems[0][1]}`,
      `${problems[1][0]}:1:29 ${problems[1][1]}`,
    ]);
    const review = JSON.parse(io.stdout) as {
      review: { complete: boolean; unreadable: { part: string; reason: string }[] };
      events: { eventId: string }[];
    };
    expect(review.review.complete).toBe(false);
    expect(review.review.unreadable).toEqual(problems.map(([part, reason]) => ({ part, reason })));
    // Every other file of the window is in the review.
    expect(review.events.map((event) => event.eventId)).toEqual(EVERY_EVENT.filter((id) => id !== "b-2026/11/10"));
  });

  it("objects planted with any bytes, under any names of the window, are listed unread; every other file is reviewed (generated; issue 22)", async () => {
    // Never a log file: what follows a NUL byte, or a Records list that never closes, is no JSON.
    const planted = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.concat([Buffer.from([0]), bytes])),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => gzipSync(Buffer.concat([Buffer.from([0]), bytes]))),
      fc.string({ maxLength: 80 }).map((text) => gzipSync(`{"Records": [${text.replace(/[\]}]/g, "")}`)),
      fc.constantFrom(gzipSync('{"Records": "x"}'), Buffer.from([0x1f, 0x8b, 0x08, 0x00])),
    );
    const stamp = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([h, m]) => `20261110T${String(h).padStart(2, "0")}${String(m).padStart(2, "0")}Z`);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(stamp, planted), { minLength: 1, maxLength: 3, selector: ([at]) => at }),
        async (plants) => {
          const keys = plants.map(([at]) => file(B, "us-east-1", "2026/11/10", `${at}x`));
          for (const [i, [, body]] of plants.entries())
            await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[i], Body: body }));
          try {
            const io = memoryIo({ env: moto.env });
            const flags = windowFlags("--json");
            expect(await runReview(flags, io, {})).toBe(2);
            const review = JSON.parse(io.stdout) as {
              review: { complete: boolean; unreadable: { part: string }[] };
              events: { eventId: string }[];
            };
            expect(review.review.complete).toBe(false);
            expect(review.review.unreadable.map((part) => part.part).sort()).toEqual(
              keys.map((key) => `s3://${BUCKET}/${key}`).sort(),
            );
            expect(review.events.map((event) => event.eventId)).toEqual(EVERY_EVENT);
            // Every line of the report on stderr is one line: a planted object's bytes never make lines of their own.
            for (const line of io.stderr.split("\n").filter(Boolean))
              expect(line).toMatch(/^(s3:\/\/|review: |cordon review: )/);
          } finally {
            for (const key of keys) await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
          }
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);

  it("a folder it may not list is listed as unread, and the others are reviewed (exit 2, INCOMPLETE; issue 22)", async () => {
    const { s3 } = recording(client, (command) =>
      command instanceof ListObjectsV2Command && String(command.input.Prefix).includes(B) ? denied : undefined,
    );
    const io = memoryIo({ env: moto.env });
    const flags = windowFlags();
    expect(await runReview(flags, io, { sources: { s3: { client: s3 } } })).toBe(2);
    const folder = `s3://${BUCKET}/trail/AWSLogs/${ORG}/${B}/CloudTrail/`;
    expect(io.stderr.split("\n")[0]).toBe(
      `${folder}:1:1 E_S3_LIST cannot list the folder: AccessDenied, HTTP 403: Access Denied`,
    );
    expect(io.stdout).toContain(
      `INCOMPLETE: 1 part of the source could not be read; their events are missing from this review:\n  ${folder}: E_S3_LIST cannot list the folder: AccessDenied, HTTP 403: Access Denied\n`,
    );
  });

  it("a bucket whose every folder it may not list ends the review with exit 2, naming the folders", async () => {
    const { s3 } = recording(client, (command) =>
      command instanceof ListObjectsV2Command && String(command.input.Prefix).includes("/CloudTrail/")
        ? denied
        : undefined,
    );
    const io = memoryIo({ env: moto.env });
    const flags = windowFlags();
    expect(await runReview(flags, io, { sources: { s3: { client: s3 } } })).toBe(2);
    expect(io.stderr).toContain(
      `cordon review: could not list the trail's folders in s3://${BUCKET}/trail; nothing reviewed\n`,
    );
    expect(io.stdout).toBe("");
  });

  it("an account in --accounts the bucket holds no folder of is not read, with or without --regions: INCOMPLETE, never 0 events", async () => {
    // The key assumes a role in B; the bucket holds only A's files (and, under B, a region B lacks).
    const key = file(A, "us-east-1", "2026/11/10", "20261110T1300Z");
    const assume = trailRecord({
      eventId: "assume",
      eventName: "AssumeRole",
      eventTime: "2026-11-10T13:00:00Z",
      region: "us-east-1",
      accessKeyId: KEY,
      accountId: A,
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      requestParameters: { roleArn: `arn:aws:iam::${C}:role/data-loader`, roleSessionName: "x" },
      responseElements: { credentials: { accessKeyId: "ASIAEXAMPLELOADER001", expiration: "2026-11-10T14:00:00Z" } },
    });
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: gzipSync(JSON.stringify({ Records: [assume] })) }),
    );
    const folder = `s3://${BUCKET}/trail/AWSLogs/${ORG}/${C}/CloudTrail/`;
    for (const regions of [[], ["--regions", "us-east-1"]]) {
      const io = memoryIo({ env: moto.env });
      expect(await runReview(windowFlags("--accounts", `${A},${C}`, ...regions), io, {})).toBe(2);
      const lines = io.stdout.split("\n");
      expect(lines.filter((line) => line.includes(C))).toEqual([
        `  ${folder}: E_S3_NO_FOLDER no such folder: the bucket holds no CloudTrail folder of account ${C} (in --accounts); its events are not in this review`,
        `  ${C}: role data-loader assumed there, and none of its CloudTrail was read: s3://${BUCKET}/trail holds no CloudTrail folder of account ${C}; read the trail that logs it (--from-s3 with its bucket, or --athena with --accounts ${C})`,
        `  ${C}  not read (INCOMPLETE above)`,
        `    - name: data-loader  # arn:aws:iam::${C}:role/data-loader`,
        `      account: "${C}"`,
      ]);
      expect(io.stderr).toContain(
        `${folder}:1:1 E_S3_NO_FOLDER no such folder: the bucket holds no CloudTrail folder of account ${C} (in --accounts); its events are not in this review\n`,
      );
    }
  });

  it("an account or region that --accounts or --regions names and the bucket lacks is an unread part; what it holds is read (generated)", async () => {
    const ACCOUNTS = [A, B, C];
    const REGIONS = ["us-east-1", "eu-west-1", "ap-south-1"];
    const PAIRS = ACCOUNTS.flatMap((account) => REGIONS.map((region) => [account, region] as const));
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          org: fc.boolean(),
          held: fc.subarray(PAIRS, { minLength: 1 }),
          accounts: fc.option(fc.subarray(ACCOUNTS, { minLength: 1 }), { nil: undefined }),
          regions: fc.option(fc.subarray(REGIONS, { minLength: 1 }), { nil: undefined }),
        }),
        async ({ org, held, accounts, regions }) => {
          const bucket = `layout-${++runs}`;
          const logs = `trail/AWSLogs/${org ? `${ORG}/` : ""}`;
          await client.send(new CreateBucketCommand({ Bucket: bucket }));
          for (const [account, region] of held) {
            const record = trailRecord({
              eventId: `${account}-${region}`,
              eventName: "ListBuckets",
              eventTime: "2026-11-10T13:00:00Z",
              region,
              accessKeyId: KEY,
              accountId: account,
            });
            await client.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: `${logs}${account}/CloudTrail/${region}/2026/11/10/${account}_CloudTrail_${region}_20261110T1300Z_x.json.gz`,
                Body: gzipSync(JSON.stringify({ Records: [record] })),
              }),
            );
          }
          const flags = [
            "--access-key",
            KEY,
            "--from-s3",
            `s3://${bucket}/trail`,
            "--since",
            "2026-11-10T12:00:00Z",
            "--until",
            "2026-11-11T06:00:00Z",
            "--json",
            ...(accounts === undefined ? [] : ["--accounts", accounts.join(",")]),
            ...(regions === undefined ? [] : ["--regions", regions.join(",")]),
          ];
          const io = memoryIo({ env: moto.env });
          const exit = await runReview(parseReviewFlags(flags), io, {});

          const holds = (account: string, region?: string) =>
            held.some(([a, r]) => a === account && (region === undefined || r === region));
          const asked = accounts ?? ACCOUNTS.filter((account) => holds(account));
          const read = held.filter(
            ([account, region]) => asked.includes(account) && (regions === undefined || regions.includes(region)),
          );
          const missing = [
            ...(accounts ?? []).filter((account) => !holds(account)).map((account) => `${account}/CloudTrail/`),
            ...asked
              .filter((account) => holds(account))
              .flatMap((account) =>
                (regions ?? [])
                  .filter((region) => !holds(account, region))
                  .map((region) => `${account}/CloudTrail/${region}/`),
              ),
          ].map((folder) => `s3://${bucket}/${logs}${folder}`);
          if (read.length === 0) {
            // Nothing the review could read: it says so, and reviews nothing.
            expect({ exit, stdout: io.stdout }).toEqual({ exit: 1, stdout: "" });
            return;
          }
          const review = JSON.parse(io.stdout) as {
            review: { complete: boolean; unreadable: { part: string }[] };
            events: { eventId: string }[];
          };
          expect({
            exit,
            complete: review.review.complete,
            unreadable: review.review.unreadable.map((part) => part.part).sort(),
            events: review.events.map((event) => event.eventId).sort(),
          }).toEqual({
            exit: missing.length === 0 ? 0 : 2,
            complete: missing.length === 0,
            unreadable: missing.sort(),
            events: read.map(([account, region]) => `${account}-${region}`).sort(),
          });
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it("a bucket without a trail's folders is said so (exit 1)", async () => {
    const io = memoryIo({ env: moto.env });
    expect(
      await main(
        ["review", "--access-key", KEY, "--from-s3", `s3://${BUCKET}/elsewhere`, "--since", "2026-11-10T12:00:00Z"],
        io,
      ),
    ).toBe(1);
    expect(io.stderr).toBe(
      `s3://${BUCKET}/elsewhere/AWSLogs/:1:1 E_S3_EMPTY no CloudTrail folders here; expected AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/ as CloudTrail delivers\ncordon review: no trail files to read in s3://${BUCKET}/elsewhere; nothing reviewed\n`,
    );
  });

  it("a file deleted between the listing and the read is that file's problem", async () => {
    const { s3 } = recording(client);
    const listing = await listOneFolder(s3);
    await client.send(
      new DeleteObjectCommand({ Bucket: BUCKET, Key: file(A, "us-east-1", "2026/11/12", "20261112T0005Z") }),
    );
    const read = async (index: number) => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of listing.objects[index].open()) chunks.push(chunk);
      return Buffer.concat(chunks);
    };
    expect((await read(0)).length).toBeGreaterThan(0);
    await expect(read(2)).rejects.toThrow("NoSuchKey, HTTP 404: The specified key does not exist.");
  });
});

describe("the source flags", () => {
  it.each([
    [
      ["--from-s3", "s3://b/p"],
      "--from-s3 needs --since: a trail's files are kept by day, and a review without a start would read the whole trail",
    ],
    [
      ["--from-s3", "https://b/p", "--since", "2026-11-01T00:00:00Z"],
      '--from-s3: "https://b/p" is not an S3 location; expected s3://BUCKET or s3://BUCKET/PREFIX',
    ],
    [
      ["--from-s3", "s3://B_ad/p", "--since", "2026-11-01T00:00:00Z"],
      '--from-s3: "B_ad" is not an S3 bucket name; expected 3 to 63 lowercase letters, digits, dots and hyphens',
    ],
    [
      ["--from-s3", "s3://bucket", "--from-logs", "dir"],
      "--from-logs and --from-s3 cannot be used together: choose one source of events",
    ],
    [
      ["--accounts", "1234"],
      "--accounts is for --from-s3 and --athena: LookupEvents reads the credentials' own account",
    ],
    [
      ["--from-s3", "s3://bucket", "--since", "2026-11-01T00:00:00Z", "--accounts", "111122223333,12"],
      '--accounts "111122223333,12": "12" is not an account id; expected 12 digits, such as 111122223333,444455556666',
    ],
    [
      ["--athena", "logs", "--since", "2026-11-01T00:00:00Z"],
      "--athena needs --accounts: the table's account partition is injected, and every query names the accounts it reads",
    ],
    [
      ["--athena", "db.logs", "--since", "2026-11-01T00:00:00Z", "--accounts", "111122223333"],
      '--athena "db.logs": not a table name; expected letters, digits and _ (the database goes in --database)',
    ],
    [
      ["--athena", "logs", "--since", "2026-11-01T00:00:00Z", "--accounts", "111122223333", "--database", "a;b"],
      '--database "a;b": not a database name; expected letters, digits and _',
    ],
    [
      [
        "--athena",
        "logs",
        "--since",
        "2026-11-01T00:00:00Z",
        "--accounts",
        "111122223333",
        "--output-location",
        "results",
      ],
      '--output-location: "results" is not an S3 location; expected s3://BUCKET or s3://BUCKET/PREFIX',
    ],
    [["--workgroup", "primary"], "--workgroup is for --athena TABLE"],
  ])("%j: %s", async (flags, message) => {
    const io = memoryIo();
    expect(await main(["review", "--access-key", KEY, ...(flags as string[])], io)).toBe(2);
    expect(io.stderr).toBe(usageOutput(`cordon review: ${message}`));
  });
});
