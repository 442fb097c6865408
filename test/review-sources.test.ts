/**
 * The four sources of a review give the same findings on the same events: LookupEvents (the
 * CloudTrail-compatible server), --from-logs (files on disk), --from-s3 (the same files in moto's
 * S3, laid out as an organization trail delivers them) and --athena (the same round queries,
 * rendered for DuckDB over the same files: the SQL's meaning, partitions included).
 *
 * The dataset: the invictus-aws recording (55 files, 2,900 events of one account), and a second
 * account where the reviewed key mints a session key just before midnight, delivered in a file of
 * the next day (CloudTrail's delivery lag), with the session key's events on that day; and where,
 * the day before the window, it mints a session that lives into the window and is used there
 * (found only through its mint call, 18 h before --since), and another that ends before it.
 * Decoys, only in S3 and for the SQL engine: files of another account and of days outside what a
 * review reads (from 36 h before the window to the day after it), holding the key's events; read
 * by mistake, they would change the findings. And a third account's key whose federation session
 * opens a console (GetSigninToken): every source names the console session and is INCOMPLETE.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { runReview, parseReviewFlags } from "../commands/review.ts";
import {
  startCloudTrailServer,
  trailRecord,
  type CloudTrailServer,
  type RecordFields,
} from "../emulators/cloudtrail-server.ts";
import { startMoto, type Moto } from "./support/moto.ts";
import { DuckDbRunner, duckDialect } from "./support/duckdb-runner.ts";

const REPO = resolve(import.meta.dirname, "..");
const INVICTUS = join(REPO, "test", "fixtures", "cloudtrail", "invictus-aws", "CloudTrail");
const ROOT = "AKIATFQR7NSC8Q4X20BJ";
const SESSION = "ASIAEXAMPLELATE00001";
const EARLY = "ASIAEXAMPLEEARLY0001";
const GONE = "ASIAEXAMPLEGONE00001";
const ORG = "o-cordonexample1";
const A1 = "218007301253";
const A2 = "444455556666";
const DECOY = "999999999999";
const SINCE = "2023-07-10T00:00:00Z";
const UNTIL = "2023-07-11T12:00:00Z";
const BUCKET = "cordon-trail";
const TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKENTHATMUSTNEVERBEPRINTED";

const fileName = (account: string, region: string, stamp: string, unique: string) =>
  `${account}_CloudTrail_${region}_${stamp}_${unique.padEnd(16, "x")}.json.gz`;
const folder = (account: string, region: string, day: string) =>
  join("AWSLogs", ORG, account, "CloudTrail", region, day);

function write(root: string, path: string, records: object[]): void {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), gzipSync(JSON.stringify({ Records: records })));
}

/** Every file under `root`, by its path relative to it. */
function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

let work: string;
let clean: string;
let decoys: string;
const seeded: object[] = [];

function dataset(): void {
  work = mkdtempSync(join(tmpdir(), "cordon-sources-"));
  clean = join(work, "clean");
  decoys = join(work, "decoys");
  for (const name of readdirSync(INVICTUS)) {
    const path = join(folder(A1, "us-east-1", "2023/07/10"), name);
    mkdirSync(join(clean, path, ".."), { recursive: true });
    writeFileSync(join(clean, path), readFileSync(join(INVICTUS, name)));
    seeded.push(
      ...(JSON.parse(gunzipSync(readFileSync(join(INVICTUS, name))).toString("utf8")) as { Records: object[] }).Records,
    );
  }
  const late: RecordFields[] = [
    {
      eventId: "late-1",
      eventName: "DescribeInstances",
      eventTime: "2023-07-10T23:57:00Z",
      region: "eu-west-1",
      accessKeyId: ROOT,
      accountId: A2,
      userName: "late-user",
    },
    {
      eventId: "late-mint",
      eventName: "GetSessionToken",
      eventTime: "2023-07-10T23:58:00Z",
      region: "eu-west-1",
      accessKeyId: ROOT,
      accountId: A2,
      userName: "late-user",
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      responseElements: {
        credentials: { accessKeyId: SESSION, expiration: "2023-07-11T11:58:00Z", sessionToken: TOKEN },
      },
    },
  ];
  const next: RecordFields[] = [
    {
      eventId: "late-2",
      eventName: "CreateUser",
      eventTime: "2023-07-11T00:03:00Z",
      region: "eu-west-1",
      accessKeyId: SESSION,
      accountId: A2,
      userName: "late-user",
      eventSource: "iam.amazonaws.com",
      readOnly: false,
      requestParameters: { userName: "backdoor-o'neil" },
      responseElements: { user: { userName: "backdoor-o'neil" } },
    },
    {
      eventId: "late-3",
      eventName: "ConsoleLogin",
      eventTime: "2023-07-11T00:09:00Z",
      region: "eu-west-1",
      accountId: A2,
      userName: "backdoor-o'neil",
      identityType: "IAMUser",
      eventSource: "signin.amazonaws.com",
      readOnly: false,
    },
  ];
  // The day before the window: a session that lives into it, one that ends before it, and a read.
  const dayBefore: RecordFields[] = [
    {
      eventId: "early-read",
      eventName: "DescribeInstances",
      eventTime: "2023-07-09T05:00:00Z",
      region: "eu-west-1",
      accessKeyId: ROOT,
      accountId: A2,
      userName: "late-user",
    },
    {
      eventId: "early-mint",
      eventName: "GetSessionToken",
      eventTime: "2023-07-09T06:00:00Z",
      region: "eu-west-1",
      accessKeyId: ROOT,
      accountId: A2,
      userName: "late-user",
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      responseElements: {
        credentials: { accessKeyId: EARLY, expiration: "Jul 10, 2023, 6:00:00 PM", sessionToken: TOKEN },
      },
    },
    {
      eventId: "gone-mint",
      eventName: "AssumeRole",
      eventTime: "2023-07-09T07:00:00Z",
      region: "eu-west-1",
      accessKeyId: ROOT,
      accountId: A2,
      userName: "late-user",
      eventSource: "sts.amazonaws.com",
      requestParameters: { roleArn: `arn:aws:iam::${A2}:role/gone`, roleSessionName: "s" },
      responseElements: { credentials: { accessKeyId: GONE, expiration: "2023-07-09T08:00:00Z" } },
    },
    {
      eventId: "gone-use",
      eventName: "DescribeInstances",
      eventTime: "2023-07-09T07:30:00Z",
      region: "eu-west-1",
      accessKeyId: GONE,
      accountId: A2,
    },
  ];
  const earlyUse: RecordFields = {
    eventId: "early-use",
    eventName: "AttachUserPolicy",
    eventTime: "2023-07-10T01:00:00Z",
    region: "eu-west-1",
    accessKeyId: EARLY,
    accountId: A2,
    eventSource: "iam.amazonaws.com",
    readOnly: false,
    requestParameters: { userName: "late-user", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
  };
  /** A2's events in eu-west-1, in a file delivered on `day` (LookupEvents holds them too). */
  const deliver = (day: string, stamp: string, unique: string, fields: RecordFields[]) => {
    const records = fields.map(trailRecord);
    write(clean, join(folder(A2, "eu-west-1", day), fileName(A2, "eu-west-1", stamp, unique)), records);
    seeded.push(...records);
  };
  deliver("2023/07/09", "20230709T0735Z", "daybefore", dayBefore);
  deliver("2023/07/10", "20230710T0105Z", "earlyuse", [earlyUse]);
  // Delivered after midnight: the folder of the 11th holds events of the 10th.
  deliver("2023/07/11", "20230711T0005Z", "late", late);
  deliver("2023/07/11", "20230711T0015Z", "next", next);
  // Decoys: the key's events inside the window, in folders the review must not read.
  const decoy = (id: string, account: string) =>
    trailRecord({
      eventId: id,
      eventName: "DeleteTrail",
      eventTime: "2023-07-10T12:00:00Z",
      region: "us-east-1",
      accessKeyId: ROOT,
      accountId: account,
      eventSource: "cloudtrail.amazonaws.com",
      readOnly: false,
    });
  write(
    decoys,
    join(folder(DECOY, "us-east-1", "2023/07/10"), fileName(DECOY, "us-east-1", "20230710T1200Z", "decoyaccount")),
    [decoy("decoy-account", DECOY)],
  );
  write(
    decoys,
    join(folder(A1, "us-east-1", "2023/07/13"), fileName(A1, "us-east-1", "20230713T1200Z", "decoyafter")),
    [decoy("decoy-after", A1)],
  );
  // Before the lookback: the window starts on the 10th at 00:00, the review reads from the 8th's files.
  write(
    decoys,
    join(folder(A1, "us-east-1", "2023/07/07"), fileName(A1, "us-east-1", "20230707T1200Z", "decoybefore")),
    [decoy("decoy-before", A1)],
  );
}

/**
 * A second key, of A2, that assumes a role of A3; the session creates a user there. A3's
 * CloudTrail holds what the session did: LookupEvents in A2 never sees it, nor a copy of A2's
 * files, nor a bucket or a table read for A2 alone.
 */
const CROSS = "AKIAEXAMPLECROSS0001";
const CROSS_SESSION = "ASIAEXAMPLECROSS0002";
const A3 = "777788889999";
let crossOwn: string;
let crossBoth: string;
const crossSeeded: object[] = [];

function crossDataset(): void {
  crossOwn = join(work, "cross-own");
  crossBoth = join(work, "cross-both");
  const own = [
    trailRecord({
      eventId: "x-own",
      eventName: "ListBuckets",
      eventTime: "2023-07-10T10:00:00Z",
      region: "eu-west-1",
      accessKeyId: CROSS,
      accountId: A2,
      eventSource: "s3.amazonaws.com",
    }),
    trailRecord({
      eventId: "x-assume",
      eventName: "AssumeRole",
      eventTime: "2023-07-10T10:05:00Z",
      region: "eu-west-1",
      accessKeyId: CROSS,
      accountId: A2,
      eventSource: "sts.amazonaws.com",
      requestParameters: { roleArn: `arn:aws:iam::${A3}:role/data-loader`, roleSessionName: "s" },
      responseElements: { credentials: { accessKeyId: CROSS_SESSION, expiration: "2023-07-10T11:05:00Z" } },
    }),
  ];
  const theirs = [
    trailRecord({
      eventId: "x-session",
      eventName: "CreateUser",
      eventTime: "2023-07-10T10:10:00Z",
      region: "eu-west-1",
      accessKeyId: CROSS_SESSION,
      accountId: A3,
      identityType: "AssumedRole",
      eventSource: "iam.amazonaws.com",
      readOnly: false,
      requestParameters: { userName: "backdoor" },
    }),
  ];
  const ownFile = join(folder(A2, "eu-west-1", "2023/07/10"), fileName(A2, "eu-west-1", "20230710T1010Z", "crossown"));
  const theirFile = join(
    folder(A3, "eu-west-1", "2023/07/10"),
    fileName(A3, "eu-west-1", "20230710T1015Z", "crosstheirs"),
  );
  write(crossOwn, ownFile, own);
  write(crossBoth, ownFile, own);
  write(crossBoth, theirFile, theirs);
  // LookupEvents in A2: A2's events only.
  crossSeeded.push(...own);
}

/**
 * A console session opened from a session of another key (aws_consoler's path), in A2: the key's
 * GetFederationToken, the session's GetSigninToken, and a backdoor made from the console with a key
 * of its own. Every source must name the console session and say the review is INCOMPLETE.
 */
const CONSOLE = "AKIAEXAMPLECONSOLE01";
const CONSOLE_SESSION = "ASIAEXAMPLECONSOLE02";
const CONSOLE_OWN_KEY = "ASIAEXAMPLECONSOLE03";
const FEDERATED = `arn:aws:sts::${A2}:federated-user/x`;
let consoleDir: string;
const consoleSeeded: object[] = [];

function consoleDataset(): void {
  consoleDir = join(work, "console");
  const federated = (record: Record<string, unknown>) => {
    record.userIdentity = { ...(record.userIdentity as object), type: "FederatedUser", arn: FEDERATED };
    return record;
  };
  const records = [
    trailRecord({
      eventId: "c-federation",
      eventName: "GetFederationToken",
      eventTime: "2023-07-10T10:00:00Z",
      region: "us-east-1",
      accessKeyId: CONSOLE,
      accountId: A2,
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      requestParameters: { name: "x" },
      responseElements: { credentials: { accessKeyId: CONSOLE_SESSION, expiration: "2023-07-10T11:00:00Z" } },
    }),
    federated(
      trailRecord({
        eventId: "c-signin",
        eventName: "GetSigninToken",
        eventTime: "2023-07-10T10:05:00Z",
        region: "us-east-1",
        accessKeyId: CONSOLE_SESSION,
        accountId: A2,
        eventSource: "signin.amazonaws.com",
        responseElements: { GetSigninToken: "Success" },
      }),
    ),
    federated(
      trailRecord({
        eventId: "c-backdoor",
        eventName: "CreateUser",
        eventTime: "2023-07-10T10:10:00Z",
        region: "us-east-1",
        accessKeyId: CONSOLE_OWN_KEY,
        accountId: A2,
        eventSource: "iam.amazonaws.com",
        readOnly: false,
        requestParameters: { userName: "backdoor" },
      }),
    ),
  ];
  write(
    consoleDir,
    join(folder(A2, "us-east-1", "2023/07/10"), fileName(A2, "us-east-1", "20230710T1015Z", "console")),
    records,
  );
  consoleSeeded.push(...records);
}

/** The JSON review without its `review.source`, which names where the events came from. */
function findings(stdout: string): unknown {
  const json = JSON.parse(stdout) as { review: Record<string, unknown> };
  delete json.review.source;
  return json;
}

const span = ["--since", SINCE, "--until", UNTIL, "--json"];

describe("the same findings from every source", () => {
  let moto: Moto;
  let cloudtrail: CloudTrailServer;
  let fromLogs: ReturnType<typeof memoryIo>;

  beforeAll(async () => {
    dataset();
    [moto, cloudtrail] = await Promise.all([
      startMoto({ managedPolicies: false }),
      startCloudTrailServer({ limit: 1000 }),
    ]);
    crossDataset();
    consoleDataset();
    cloudtrail.seed([...seeded, ...crossSeeded, ...consoleSeeded]);
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const [root, prefix] of [
      [clean, "org"],
      [decoys, "org"],
      [crossBoth, "cross"],
      [consoleDir, "console"],
    ]) {
      for (const path of filesUnder(root))
        await s3.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path}`, Body: readFileSync(join(root, path)) }),
        );
    }
    s3.destroy();
    fromLogs = memoryIo({ cwd: REPO });
    expect(await main(["review", "--access-key", ROOT, "--from-logs", clean, ...span], fromLogs)).toBe(0);
  });
  const saved = { ...process.env };
  afterAll(async () => {
    await Promise.all([moto?.stop(), cloudtrail?.close()]);
    rmSync(work, { recursive: true, force: true });
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });
  /** The SDK finds the endpoint and dummy credentials in the environment, and nothing else. */
  const pointAt = (endpoint: string) => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/nonexistent/cordon-test",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/cordon-test",
    });
    for (const name of ["AWS_PROFILE", "AWS_SESSION_TOKEN"]) delete process.env[name];
  };

  it("--from-logs reviews the chain across both accounts, through the file delivered the next day", () => {
    const json = JSON.parse(fromLogs.stdout) as {
      keys: { accessKeyId: string }[];
      users: unknown[];
      events: { eventId: string; beforeWindow?: true }[];
    };
    expect(json.keys.map((key) => key.accessKeyId)).toContain(SESSION);
    expect(json.events.map((event) => event.eventId)).toEqual(
      expect.arrayContaining(["late-1", "late-mint", "late-2", "late-3"]),
    );
    expect(json.events.map((event) => event.eventId)).not.toEqual(expect.arrayContaining(["decoy-account"]));
    expect(fromLogs.stdout).not.toContain(TOKEN);
  });

  it("--from-logs follows the session minted the day before, which lives into the window, and nothing else of that day", () => {
    const json = JSON.parse(fromLogs.stdout) as {
      keys: { accessKeyId: string }[];
      events: { eventId: string; beforeWindow?: true }[];
    };
    expect(json.keys.map((key) => key.accessKeyId)).toEqual(expect.arrayContaining([EARLY]));
    expect(json.keys.map((key) => key.accessKeyId)).not.toContain(GONE);
    expect(json.events.filter((event) => event.beforeWindow).map((event) => event.eventId)).toEqual(["early-mint"]);
    expect(json.events.map((event) => event.eventId)).toContain("early-use");
    for (const id of ["early-read", "gone-mint", "gone-use"])
      expect(json.events.map((event) => event.eventId)).not.toContain(id);
  });

  it("LookupEvents gives the same findings", async () => {
    pointAt(cloudtrail.url);
    const io = memoryIo();
    expect(
      await runReview(parseReviewFlags(["--access-key", ROOT, "--regions", "us-east-1,eu-west-1", ...span]), io, {
        // Run when the recording was made: LookupEvents keeps 90 days, the test server everything.
        now: () => new Date(UNTIL),
        sources: { lookupEvents: { pace: { limit: 1000 } } },
      }),
    ).toBe(0);
    expect(findings(io.stdout)).toEqual(findings(fromLogs.stdout));
  });

  it("--from-s3 gives the same findings, reading only the accounts and days asked for", async () => {
    pointAt(moto.endpoint);
    const io = memoryIo();
    expect({
      code: await main(
        ["review", "--access-key", ROOT, "--from-s3", `s3://${BUCKET}/org`, "--accounts", `${A1},${A2}`, ...span],
        io,
      ),
      err: io.stderr,
    }).toEqual({ code: 0, err: expect.any(String) });
    expect(findings(io.stdout)).toEqual(findings(fromLogs.stdout));
    expect(JSON.parse(io.stdout).review.source).toEqual({ kind: "s3", url: `s3://${BUCKET}/org`, files: 59 });
    expect(io.stderr).toContain("review: 59 log files in 2 account and region folders of s3://cordon-trail/org");
  });

  it("negative control: --from-s3 without --accounts reads the decoy account, and the findings change", async () => {
    pointAt(moto.endpoint);
    const io = memoryIo();
    expect(await main(["review", "--access-key", ROOT, "--from-s3", `s3://${BUCKET}/org`, ...span], io)).toBe(0);
    expect((JSON.parse(io.stdout) as { events: { eventId: string }[] }).events.map((event) => event.eventId)).toContain(
      "decoy-account",
    );
  });

  it("--athena's round queries, run by DuckDB over the same files and the decoys, give the same findings", async () => {
    const runner = new DuckDbRunner();
    try {
      const io = memoryIo();
      // The DuckDB dialect stands in for Athena's: the same WHERE, partitions from each file's path.
      const sources = { runner, dialect: duckDialect([clean, decoys]) };
      expect(
        await runReview(
          parseReviewFlags(["--access-key", ROOT, "--athena", "cloudtrail_logs", "--accounts", `${A1},${A2}`, ...span]),
          io,
          { sources: { athena: sources } },
        ),
      ).toBe(0);
      expect(findings(io.stdout)).toEqual(findings(fromLogs.stdout));
      // One query per round: the key; the keys and users it revealed; theirs; and so on.
      const source = JSON.parse(io.stdout).review.source as { queries: { round: number }[] };
      expect(source.queries.map((query) => query.round)).toEqual(runner.queries.map((_, index) => index + 1));
      for (const sql of runner.queries)
        expect(sql).toMatch(
          /"timestamp" BETWEEN '\d{4}\/\d{2}\/\d{2}' AND '\d{4}\/\d{2}\/\d{2}'\n {2}AND account IN \('218007301253', '444455556666'\)/,
        );
    } finally {
      await runner.close();
    }
  });

  describe("a role session in an account the source did not read", () => {
    const crossSpan = ["--access-key", CROSS, "--since", SINCE, "--until", UNTIL, "--json"];
    /** The review's JSON: whether it is complete, what it could not read, and whether the session's CreateUser is in it. */
    const outcome = (code: number, stdout: string) => {
      const json = JSON.parse(stdout) as {
        review: { complete: boolean; unreadable: { part: string; reason: string }[] };
        events: { eventId: string }[];
      };
      return {
        code,
        complete: json.review.complete,
        unread: json.review.unreadable.map((part) => part.part),
        reason: json.review.unreadable[0]?.reason ?? null,
        backdoor: json.events.some((event) => event.eventId === "x-session"),
      };
    };
    const why = "role data-loader assumed there, and none of its CloudTrail was read: ";
    const duck = async (accounts: string) => {
      const runner = new DuckDbRunner();
      try {
        const io = memoryIo();
        const code = await runReview(
          parseReviewFlags([...crossSpan, "--athena", "cloudtrail_logs", "--accounts", accounts]),
          io,
          { sources: { athena: { runner, dialect: duckDialect([crossBoth]) } } },
        );
        return outcome(code, io.stdout);
      } finally {
        await runner.close();
      }
    };

    it("LookupEvents, which reads the caller's account: INCOMPLETE, exit 2, and how to read it", async () => {
      pointAt(cloudtrail.url);
      const io = memoryIo();
      const code = await runReview(parseReviewFlags([...crossSpan, "--regions", "eu-west-1"]), io, {
        // Run when the recording was made: LookupEvents keeps 90 days, the test server everything.
        now: () => new Date(UNTIL),
        sources: { lookupEvents: { pace: { limit: 1000 } } },
      });
      expect(outcome(code, io.stdout)).toEqual({
        code: 2,
        complete: false,
        unread: [`account ${A3}`],
        reason: `${why}LookupEvents reads only the account of the credentials the review runs with; review again with credentials of ${A3}, or read its trail (--from-s3 or --athena with --accounts ${A3})`,
        backdoor: false,
      });
    });

    it("--from-logs over the caller's account's files: INCOMPLETE; with the other account's files: complete", async () => {
      const io = memoryIo();
      const code = await main(["review", "--from-logs", crossOwn, ...crossSpan], io);
      expect(outcome(code, io.stdout)).toEqual({
        code: 2,
        complete: false,
        unread: [`account ${A3}`],
        reason: `${why}no log file under ${crossOwn} is of it, and no event read was received by it; add its log files there, or read its trail (--from-s3 or --athena with --accounts ${A3})`,
        backdoor: false,
      });
      const both = memoryIo();
      expect(outcome(await main(["review", "--from-logs", crossBoth, ...crossSpan], both), both.stdout)).toEqual({
        code: 0,
        complete: true,
        unread: [],
        reason: null,
        backdoor: true,
      });
    });

    it("--from-s3 with --accounts of the caller's account alone: INCOMPLETE; with both, or all the bucket holds: complete", async () => {
      pointAt(moto.endpoint);
      const s3 = async (...flags: string[]) => {
        const io = memoryIo();
        return outcome(
          await main(["review", "--from-s3", `s3://${BUCKET}/cross`, ...flags, ...crossSpan], io),
          io.stdout,
        );
      };
      expect(await s3("--accounts", A2)).toEqual({
        code: 2,
        complete: false,
        unread: [`account ${A3}`],
        reason: `${why}not in --accounts; review again with --accounts ${A2},${A3}, if its trail delivers to s3://${BUCKET}/cross`,
        backdoor: false,
      });
      const whole = { code: 0, complete: true, unread: [], reason: null, backdoor: true };
      expect(await s3("--accounts", `${A2},${A3}`)).toEqual(whole);
      expect(await s3()).toEqual(whole);
    });

    it("--athena with --accounts of the caller's account alone: INCOMPLETE; with both: complete", async () => {
      expect(await duck(A2)).toEqual({
        code: 2,
        complete: false,
        unread: [`account ${A3}`],
        reason: `${why}not in --accounts; review again with --accounts ${A2},${A3}, if the table holds its trail`,
        backdoor: false,
      });
      expect(await duck(`${A2},${A3}`)).toEqual({ code: 0, complete: true, unread: [], reason: null, backdoor: true });
    });
  });
  describe("a console session opened from a followed key", () => {
    const consoleSpan = ["--access-key", CONSOLE, "--since", SINCE, "--until", UNTIL, "--json"];
    /** Exit, completeness, what was left unfollowed, and the finding. */
    const outcome = (code: number, stdout: string) => {
      const json = JSON.parse(stdout) as {
        review: {
          complete: boolean;
          unreadable: { part: string; principalArn: string; from: string; until: string }[];
        };
        persistence: { eventId: string }[];
      };
      return {
        code,
        complete: json.review.complete,
        unfollowed: json.review.unreadable.map(({ part, principalArn, from, until }) => ({
          part,
          principalArn,
          from,
          until,
        })),
        findings: json.persistence.map((finding) => finding.eventId),
      };
    };
    const expected = {
      code: 2,
      complete: false,
      unfollowed: [
        {
          part: `console session of ${FEDERATED}`,
          principalArn: FEDERATED,
          from: "2023-07-10T10:05:00Z",
          until: "2023-07-10T22:05:00Z",
        },
      ],
      findings: ["c-signin"],
    };

    it("LookupEvents: INCOMPLETE, exit 2", async () => {
      pointAt(cloudtrail.url);
      const io = memoryIo();
      const code = await runReview(parseReviewFlags([...consoleSpan, "--regions", "us-east-1"]), io, {
        // Run when the recording was made: LookupEvents keeps 90 days, the test server everything.
        now: () => new Date(UNTIL),
        sources: { lookupEvents: { pace: { limit: 1000 } } },
      });
      expect(outcome(code, io.stdout)).toEqual(expected);
    });

    it("--from-logs: INCOMPLETE, exit 2", async () => {
      const io = memoryIo();
      expect(outcome(await main(["review", "--from-logs", consoleDir, ...consoleSpan], io), io.stdout)).toEqual(
        expected,
      );
    });

    it("--from-s3: INCOMPLETE, exit 2", async () => {
      pointAt(moto.endpoint);
      const io = memoryIo();
      const code = await main(["review", "--from-s3", `s3://${BUCKET}/console`, ...consoleSpan], io);
      expect(outcome(code, io.stdout)).toEqual(expected);
    });

    it("--athena: INCOMPLETE, exit 2", async () => {
      const runner = new DuckDbRunner();
      try {
        const io = memoryIo();
        const code = await runReview(
          parseReviewFlags([...consoleSpan, "--athena", "cloudtrail_logs", "--accounts", A2]),
          io,
          { sources: { athena: { runner, dialect: duckDialect([consoleDir]) } } },
        );
        expect(outcome(code, io.stdout)).toEqual(expected);
      } finally {
        await runner.close();
      }
    });
  });
});
