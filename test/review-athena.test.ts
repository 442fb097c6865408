/**
 * `review --athena` and `athena-table`: the SQL (safe whatever a log or a user puts in it, and
 * meaning what it says, checked on DuckDB), the API flow against moto's Athena (start, poll,
 * results, a cancelled query), and what moto cannot do (a failed query, pages, bytes scanned, a
 * query given up on) against a stub of the SDK client.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { AthenaRunner, type AthenaLike } from "../aws/athena.ts";
import { athenaDialect, queryCost, roundQuery, rowEvents, type Row } from "../review/trail/athena.ts";
import { tableDdl } from "../review/trail/ddl.ts";
import { sqlString } from "../review/trail/sql.ts";
import type { Clock } from "../review/lookup/pacer.ts";
import { trailRecord } from "../emulators/cloudtrail-server.ts";
import { startMoto, useMotoEnv, type Moto } from "./support/moto.ts";
import { DuckDbRunner, duckDialect } from "./support/duckdb-runner.ts";
import { usageOutput } from "./support/usage.ts";

const ACCOUNT = "111122223333";
const SCOPE = { accounts: [ACCOUNT], regions: ["us-east-1"] };
const WINDOW = { start: Date.parse("2026-11-01T00:00:00Z"), end: Date.parse("2026-11-02T00:00:00Z") };

/** Time that passes only when slept: polling is tested without waiting. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) };
}

describe("the SQL", () => {
  const duck = new DuckDbRunner();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "cordon-sql-"));
  });
  afterAll(async () => {
    await duck.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a string literal is read back as the very string, whatever it holds", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\u0000")),
        async (value) => {
          const [row] = await duck.rows(`SELECT ${sqlString(value)} AS v`);
          expect(row.v).toBe(value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a name that is not an identifier is refused, never quoted into the query", () => {
    expect(() => athenaDialect("default", 'logs" WHERE 1=1 --')).toThrow(
      '"logs" WHERE 1=1 --" is not a table or database name; expected letters, digits and _',
    );
    expect(athenaDialect("Audit", "CloudTrail_Logs").from).toBe('"audit"."cloudtrail_logs"');
  });

  it("every query names its days, accounts and regions: none reads the whole trail", () => {
    const sql = roundQuery(athenaDialect("default", "cloudtrail_logs"), SCOPE, [
      { subject: { kind: "key", accessKeyId: "AKIAEXAMPLEROOT00001" }, window: WINDOW },
    ]);
    expect(sql.split("\n").slice(1)).toEqual([
      'FROM "default"."cloudtrail_logs"',
      `WHERE "timestamp" BETWEEN '2026/11/01' AND '2026/11/03'`,
      `  AND account IN ('${ACCOUNT}')`,
      "  AND region IN ('us-east-1')",
      "  AND (useridentity.accesskeyid IN ('AKIAEXAMPLEROOT00001'))",
      "  AND eventtime >= '2026-11-01T00:00:00'",
      "  AND eventtime < '2026-11-02T00:00:01'",
    ]);
    expect(() =>
      roundQuery(athenaDialect("default", "t"), { accounts: [] }, [
        { subject: { kind: "key", accessKeyId: "AKIAEXAMPLEROOT00001" }, window: WINDOW },
      ]),
    ).toThrow("a round needs the accounts to read");
    expect(() =>
      roundQuery(athenaDialect("default", "t"), SCOPE, [
        { subject: { kind: "key", accessKeyId: "AKIAEXAMPLEROOT00001" }, window: { start: null, end: WINDOW.end } },
      ]),
    ).toThrow("a round needs a bounded window");
  });

  it("finds exactly the events of the users it names, whatever their names hold (DuckDB over the files)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes("\u0000")),
          { minLength: 2, maxLength: 5 },
        ),
        fc.integer({ min: 1, max: 4 }),
        async (names, asked) => {
          const root = join(dir, String(run++));
          const folder = join(root, "AWSLogs", ACCOUNT, "CloudTrail", "us-east-1", "2026", "11", "01");
          mkdirSync(folder, { recursive: true });
          const records = names.map((userName, i) =>
            trailRecord({
              eventId: `e${i}`,
              eventName: "ListBuckets",
              eventTime: "2026-11-01T10:00:00Z",
              region: "us-east-1",
              userName,
              identityType: "IAMUser",
              accountId: ACCOUNT,
            }),
          );
          writeFileSync(
            join(folder, `${ACCOUNT}_CloudTrail_us-east-1_20261101T1005Z_aaaaaaaaaaaaaaaa.json.gz`),
            gzipSync(JSON.stringify({ Records: records })),
          );
          const wanted = names.slice(0, Math.min(asked, names.length - 1));
          const sql = roundQuery(
            duckDialect([root]),
            SCOPE,
            wanted.map((userName) => ({
              subject: { kind: "user" as const, userName, accountId: ACCOUNT },
              window: WINDOW,
            })),
          );
          const { rows } = await duck.run(sql);
          expect(rows.map((row) => row.username).sort()).toEqual([...wanted].sort());
        },
      ),
      { numRuns: 25 },
    );
  });

  it("costs $5 a TB, rounded up to the MB, 10 MB at least", () => {
    expect(queryCost(0)).toBeCloseTo((10 * 2 ** 20 * 5) / 2 ** 40, 12);
    expect(queryCost(2 ** 40)).toBe(5);
    expect(queryCost(2 ** 40 + 1)).toBeCloseTo(5 + (2 ** 20 * 5) / 2 ** 40, 12);
  });

  it("keeps one copy of an event read twice, and marks different events under one id", () => {
    const row = (path: string, eventName: string): Row => ({
      eventid: "dup",
      eventname: eventName,
      eventtime: "2026-11-01T10:00:00Z",
      awsregion: "us-east-1",
      accesskeyid: "AKIAEXAMPLEROOT00001",
      path,
    });
    expect(rowEvents([row("s3://b/2.json.gz", "ListBuckets"), row("s3://b/1.json.gz", "ListBuckets")])).toHaveLength(1);
    const conflicting = rowEvents([row("s3://b/1.json.gz", "ListBuckets"), row("s3://b/2.json.gz", "CreateUser")]);
    expect(conflicting.map((event) => event.conflict)).toEqual([
      { file: "s3://b/1.json.gz", record: 0 },
      { file: "s3://b/2.json.gz", record: 0 },
    ]);
  });
});

describe("athena-table", () => {
  const run = async (...args: string[]) => {
    const io = memoryIo();
    return { code: await main(["athena-table", ...args], io), io };
  };

  it("prints the documented table with projection over account, region and day, for an organization trail", async () => {
    const { code, io } = await run(
      "--bucket",
      "org-trail-logs",
      "--prefix",
      "/landing/",
      "--org",
      "o-a1b2c3d4e5",
      "--name",
      "Org_Trail",
      "--regions",
      "us-east-1,eu-west-1",
    );
    expect(code).toBe(0);
    expect(io.stdout).toBe(
      tableDdl({
        bucket: "org-trail-logs",
        prefix: "landing",
        org: "o-a1b2c3d4e5",
        name: "Org_Trail",
        regions: ["us-east-1", "eu-west-1"],
      }),
    );
    const lines = io.stdout.split("\n");
    expect(lines[0]).toBe("CREATE EXTERNAL TABLE org_trail(");
    expect(lines).toEqual(
      expect.arrayContaining([
        "  's3://org-trail-logs/landing/AWSLogs/o-a1b2c3d4e5/'",
        "  'projection.account.type'='injected',",
        "  'projection.region.values'='us-east-1,eu-west-1',",
        "  'storage.location.template'='s3://org-trail-logs/landing/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}')",
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
      ]),
    );
    expect(io.stderr).toBe(
      "athena-table: columns, SerDe, formats and the day projection as AWS documents them; the account and region partitions are cordon's (docs/review.md)\n",
    );
  });

  it("without --org, the account folders are right under AWSLogs/", async () => {
    const { io } = await run("--bucket", "trail-logs");
    expect(io.stdout).toContain(
      "'storage.location.template'='s3://trail-logs/AWSLogs/${account}/CloudTrail/${region}/${timestamp}')",
    );
    expect(io.stdout.split("\n")[0]).toBe("CREATE EXTERNAL TABLE cloudtrail_logs(");
  });

  it.each([
    [[], "--bucket is required: the bucket the trail delivers its log files to"],
    [
      ["--bucket", "s3://trail-logs"],
      '--bucket "s3://trail-logs": not an S3 bucket name; expected 3 to 63 lowercase letters, digits, dots and hyphens, without s3://',
    ],
    [
      ["--bucket", "trail-logs", "--org", "o-BAD"],
      '--org "o-BAD": not an organization id; expected o- and 10 to 32 lowercase letters or digits, such as o-a1b2c3d4e5',
    ],
    [
      ["--bucket", "trail-logs", "--name", "x'; DROP TABLE y"],
      `--name "x'; DROP TABLE y": not a table name; expected letters, digits and _ (Athena keeps them lowercase)`,
    ],
    [
      ["--bucket", "trail-logs", "--prefix", "it's"],
      `--prefix "it's": expected letters, digits and ! _ . * ( ) / - only, as S3 recommends for key names`,
    ],
    [
      ["--bucket", "trail-logs", "--prefix", "x/AWSLogs"],
      `--prefix "x/AWSLogs": the prefix is the folder above AWSLogs/, without it`,
    ],
    [
      ["--bucket", "trail-logs", "--first-day", "2024/02/30"],
      `--first-day "2024/02/30": not a day; expected YYYY/MM/DD, such as 2024/01/31`,
    ],
  ])("%j is refused: %s", async (args, message) => {
    const { code, io } = await run(...(args as string[]));
    expect(code).toBe(2);
    expect(io.stderr).toBe(usageOutput(`cordon athena-table: ${message}`));
  });

  it("is listed by cordon --help", async () => {
    const io = memoryIo();
    await main(["--help"], io);
    // The summaries are aligned on the longest command name.
    expect(io.stdout).toMatch(
      /\n {2}athena-table +the Athena table over a trail's bucket that `review --athena` queries\n/,
    );
  });
});

/** Athena rows (header first) for records, as moto hands back what it is given. */
function athenaResult(records: Record<string, unknown>[]) {
  const names = [
    "eventid",
    "eventname",
    "eventsource",
    "eventtime",
    "awsregion",
    "accesskeyid",
    "identitytype",
    "username",
    "readonly",
    "requestparameters",
    "responseelements",
    "path",
  ];
  const values = (record: Record<string, unknown>) => {
    const identity = record.userIdentity as Record<string, unknown>;
    const cells = [
      record.eventID,
      record.eventName,
      record.eventSource,
      record.eventTime,
      record.awsRegion,
      identity.accessKeyId,
      identity.type,
      identity.userName,
      String(record.readOnly),
      JSON.stringify(record.requestParameters),
      JSON.stringify(record.responseElements),
      "s3://trail/x.json.gz",
    ];
    return { Data: cells.map((cell) => (cell === undefined ? {} : { VarCharValue: String(cell) })) };
  };
  return {
    rows: [{ Data: names.map((name) => ({ VarCharValue: name })) }, ...records.map(values)],
    column_info: names.map((name) => ({
      Name: name,
      Label: name,
      Type: "varchar",
      Nullable: "UNKNOWN",
      CaseSensitive: true,
      Precision: 0,
      Scale: 0,
      CatalogName: "hive",
      SchemaName: "",
      TableName: "",
    })),
  };
}

describe("review --athena against moto's Athena", () => {
  let moto: Moto;
  let restoreEnv: (() => void) | undefined;
  const ROOT = "AKIAEXAMPLEROOT00001";
  const MINTED = "ASIAEXAMPLEMINTED001";
  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: false });
    restoreEnv = useMotoEnv(moto);
  });
  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });

  const queue = async (...results: ReturnType<typeof athenaResult>[]) => {
    const response = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, {
      method: "POST",
      body: JSON.stringify({ account_id: "123456789012", region: "us-east-1", results }),
    });
    expect(response.status).toBe(201);
  };

  /** `cordon review --athena` of ROOT in ACCOUNT on the 1st of November, with `more` flags. */
  const athenaReview = async (...more: string[]) => {
    const io = memoryIo({ env: moto.env });
    const window = ["--since", "2026-11-01T00:00:00Z", "--until", "2026-11-02T00:00:00Z"];
    const argv = ["review", "--access-key", ROOT, "--athena", "cloudtrail_logs", "--accounts", ACCOUNT, ...window];
    return { code: await main([...argv, ...more], io), io };
  };

  it("runs one query per round, polls until done, and reports the queries in the JSON", async () => {
    await moto.reset();
    // Two looks at a running query before it succeeds.
    await fetch(`${moto.endpoint}/moto-api/state-manager/set-transition`, {
      method: "POST",
      body: JSON.stringify({ model_name: "athena::execution", transition: { progression: "manual", times: 2 } }),
    });
    const mint = trailRecord({
      eventId: "mint",
      eventName: "AssumeRole",
      eventTime: "2026-11-01T10:00:00Z",
      region: "us-east-1",
      accessKeyId: ROOT,
      accountId: ACCOUNT,
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/deploy` },
      responseElements: {
        credentials: {
          accessKeyId: MINTED,
          expiration: "2026-11-01T11:00:00Z",
          sessionToken: "IQoJb3JpZ2luX2VjSECRETSESSIONTOKEN",
        },
      },
    });
    const used = trailRecord({
      eventId: "used",
      eventName: "DeleteTrail",
      eventTime: "2026-11-01T10:30:00Z",
      region: "us-east-1",
      accessKeyId: MINTED,
      accountId: ACCOUNT,
      eventSource: "cloudtrail.amazonaws.com",
      readOnly: false,
    });
    await queue(athenaResult([mint]), athenaResult([used]));
    const { code, io } = await athenaReview(
      "--workgroup",
      "primary",
      "--output-location",
      "s3://athena-results/cordon/",
      "--json",
    );
    expect({ code, stderr: io.stderr }).toEqual({
      code: 0,
      // Each query told as it starts, and as it ends.
      stderr: expect.stringMatching(
        /^review: athena round 1 · query ([0-9a-f-]+) started · 1 key or user\nreview: athena round 1 · query \1 · 1 key or user · 1 rows · 0 MB scanned \(0 MB in all, ≈ \$0\.000048 at \$5\/TB\)\nreview: athena round 2 · query ([0-9a-f-]+) started · 1 key or user\nreview: athena round 2 · query \2 · 1 key or user · 1 rows/,
      ),
    });
    const json = JSON.parse(io.stdout);
    expect(json.keys.map((key: { accessKeyId: string }) => key.accessKeyId)).toEqual([ROOT, MINTED]);
    expect(json.events.map((event: { eventId: string }) => event.eventId)).toEqual(["mint", "used"]);
    expect(json.review.source).toMatchObject({
      kind: "athena",
      table: "default.cloudtrail_logs",
      workgroup: "primary",
      accounts: [ACCOUNT],
      dataScannedBytes: 0,
      usdPerTb: 5,
    });
    expect(
      json.review.source.queries.map((query: { round: number; rows: number }) => [query.round, query.rows]),
    ).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(io.stdout).not.toContain("IQoJb3JpZ2lu");
  });

  it("a query cancelled while it runs ends the review with exit 2, saying so", async () => {
    await moto.reset();
    await fetch(`${moto.endpoint}/moto-api/state-manager/set-transition`, {
      method: "POST",
      body: JSON.stringify({ model_name: "athena::execution", transition: { progression: "manual", times: 5 } }),
    });
    const client = new AthenaClient({ region: "us-east-1" });
    // Someone stops the query in the console while cordon waits for it.
    const cancelling: AthenaLike = {
      send: (async (command: unknown) => {
        if (command instanceof GetQueryExecutionCommand)
          await client.send(new StopQueryExecutionCommand({ QueryExecutionId: command.input.QueryExecutionId }));
        return client.send(command as StartQueryExecutionCommand);
      }) as AthenaLike["send"],
    };
    const runner = new AthenaRunner({ client: cancelling, database: "default", clock: fakeClock() });
    await expect(runner.run("SELECT 1")).rejects.toThrow(/^query [0-9a-f-]+ was cancelled: Athena gave no reason$/);
    client.destroy();
  });

  const transition = (times: number) =>
    fetch(`${moto.endpoint}/moto-api/state-manager/set-transition`, {
      method: "POST",
      body: JSON.stringify({ model_name: "athena::execution", transition: { progression: "manual", times } }),
    });

  it("a query that waits is told as it starts, then every ten seconds with its state", async () => {
    await moto.reset();
    // QUEUED for 12 looks, RUNNING for 12 more, then SUCCEEDED.
    await transition(12);
    const client = new AthenaClient({ region: "us-east-1" });
    const clock = fakeClock();
    const told: { queryId: string; state: string; elapsedMs: number }[] = [];
    const runner = new AthenaRunner({
      client,
      database: "default",
      clock,
      progress: {
        started: (queryId) => told.push({ queryId, state: "started", elapsedMs: 0 }),
        waiting: (queryId, state, elapsedMs) => told.push({ queryId, state, elapsedMs }),
      },
    });
    const { queryId } = await runner.run("SELECT 1");
    client.destroy();
    expect(told.every((entry) => entry.queryId === queryId)).toBe(true);
    const states = told.map((entry) => entry.state);
    expect(states[0]).toBe("started");
    expect([...new Set(states)]).toEqual(["started", "QUEUED", "RUNNING"]);
    // Every ten seconds of waiting, as the looks at the query are timed to be due then.
    const times = told.map((entry) => entry.elapsedMs);
    expect(times.slice(1).map((at, i) => at - times[i])).toEqual(times.slice(1).map(() => 10_000));
    expect(clock.slept.reduce((a, b) => a + b, 0) - times.at(-1)!).toBeLessThanOrEqual(10_000);
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s stops the query the review waits for, then ends the process as the signal would (the shell's %i)",
    async (signal, _code) => {
      await moto.reset();
      // A query that stays QUEUED: only the stop ends it.
      await transition(1_000_000);
      const child = spawn(
        process.execPath,
        [
          join(import.meta.dirname, "..", "cli", "cordon.js"),
          "review",
          "--access-key",
          ROOT,
          "--athena",
          "cloudtrail_logs",
          "--accounts",
          ACCOUNT,
          "--since",
          "2026-11-01T00:00:00Z",
          "--until",
          "2026-11-02T00:00:00Z",
        ],
        { env: process.env, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (text: string) => void (stdout += text));
      const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on("close", (code, killedBy) => resolve([code, killedBy])),
      );
      // Sent once the query has started, as a responder would press Ctrl-C while it runs.
      await Promise.race([
        new Promise<void>((resolve) =>
          child.stderr.setEncoding("utf8").on("data", (text: string) => {
            stderr += text;
            if (stderr.includes(" started · ")) resolve();
          }),
        ),
        closed,
      ]);
      child.kill(signal);
      expect(await closed).toEqual([null, signal]);
      const queryId = /query ([0-9a-f-]+) started/.exec(stderr)?.[1];
      expect(stderr.split("\n").filter((line) => !/ · QUEUED for \d+ s$/.test(line))).toEqual([
        `review: athena round 1 · query ${queryId} started · 1 key or user`,
        `cordon review: interrupted: stopped Athena query ${queryId}`,
        "",
      ]);
      expect(stdout).toBe("");
      const client = new AthenaClient({ region: "us-east-1" });
      const execution = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
      client.destroy();
      expect(execution.QueryExecution?.Status?.State).toBe("CANCELLED");
    },
    30_000,
  );

  it("an unknown workgroup is Athena's error, in one line", async () => {
    const { code, io } = await athenaReview("--workgroup", "nope");
    expect({ code, stderr: io.stderr }).toEqual({
      code: 2,
      stderr: "cordon review: Athena: InvalidRequestException, HTTP 400: WorkGroup does not exist\n",
    });
  });
});

describe("what moto's Athena cannot do, against a stub of the client", () => {
  // Installed here, not when the file loads: the tests above talk to moto through the real client.
  let athena: AwsClientStub<AthenaClient>;
  beforeAll(() => {
    athena = mockClient(AthenaClient);
  });
  afterAll(() => athena.restore());
  const client = () =>
    new AthenaClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });

  it("a failed query says why, in Athena's words", async () => {
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: "QUEUED" } } })
      .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
      .resolves({
        QueryExecution: {
          Status: {
            State: "FAILED",
            StateChangeReason: "TABLE_NOT_FOUND",
            AthenaError: {
              ErrorCategory: 2,
              ErrorType: 1301,
              ErrorMessage: "TABLE_NOT_FOUND: Table 'default.cloudtrail_logs' does not exist",
            },
          },
        },
      });
    const clock = fakeClock();
    await expect(new AthenaRunner({ client: client(), database: "default", clock }).run("SELECT 1")).rejects.toThrow(
      "query q-1 failed: TABLE_NOT_FOUND: Table 'default.cloudtrail_logs' does not exist",
    );
    // A growing pause between looks.
    expect(clock.slept).toEqual([200, 300]);
  });

  it("reads every page, the header only on the first, and the bytes scanned", async () => {
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-2" });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: "SUCCEEDED" }, Statistics: { DataScannedInBytes: 123_456_789 } },
    });
    const meta = { ColumnInfo: [{ Name: "eventid", Type: "varchar" }] };
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce({
        ResultSet: {
          ResultSetMetadata: meta,
          Rows: [{ Data: [{ VarCharValue: "eventid" }] }, { Data: [{ VarCharValue: "a" }] }],
        },
        NextToken: "t1",
      })
      .resolvesOnce({
        ResultSet: { ResultSetMetadata: meta, Rows: [{ Data: [{ VarCharValue: "b" }] }, { Data: [{}] }] },
        NextToken: "t2",
      })
      .resolves({ ResultSet: { ResultSetMetadata: meta, Rows: [{ Data: [{ VarCharValue: "c" }] }] } });
    const result = await new AthenaRunner({
      client: client(),
      database: "default",
      clock: fakeClock(),
      pageSize: 2,
    }).run("SELECT 1");
    expect(result).toEqual({
      rows: [{ eventid: "a" }, { eventid: "b" }, { eventid: null }, { eventid: "c" }],
      dataScannedBytes: 123_456_789,
      queryId: "q-2",
    });
    expect(
      athena
        .commandCalls(GetQueryResultsCommand)
        .map((call) => [call.args[0].input.NextToken, call.args[0].input.MaxResults]),
    ).toEqual([
      [undefined, 2],
      ["t1", 2],
      ["t2", 2],
    ]);
  });

  it("stop() stops the queries started, and one whose start is still unanswered once it is, and starts no more", async () => {
    const sent: string[] = [];
    let answer: (id: string) => void = () => {};
    const stub: AthenaLike = {
      send: (async (command: StartQueryExecutionCommand | StopQueryExecutionCommand | GetQueryExecutionCommand) => {
        const id = "QueryExecutionId" in command.input ? command.input.QueryExecutionId : undefined;
        sent.push(`${command.constructor.name} ${id ?? ""}`.trim());
        if (command instanceof StartQueryExecutionCommand)
          return { QueryExecutionId: await new Promise<string>((resolve) => (answer = resolve)) };
        if (command instanceof StopQueryExecutionCommand) return {};
        return { QueryExecution: { Status: { State: "RUNNING" } } };
      }) as AthenaLike["send"],
    };
    const runner = new AthenaRunner({ client: stub, database: "default", clock: fakeClock() });
    const running = runner.run("SELECT 1");
    const stopped = runner.stop();
    answer("q-late");
    expect(await stopped).toEqual([{ queryId: "q-late" }]);
    await expect(running).rejects.toThrow(/^query q-late interrupted: stopped$/);
    await expect(runner.run("SELECT 2")).rejects.toThrow("interrupted: no query started");
    expect(sent.filter((call) => !call.startsWith("GetQueryExecution"))).toEqual([
      "StartQueryExecutionCommand",
      "StopQueryExecutionCommand q-late",
    ]);
  });

  it("a query that runs past the timeout is stopped, so that nobody pays for it", async () => {
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-3" });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "RUNNING" } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    await expect(
      new AthenaRunner({ client: client(), database: "default", clock: fakeClock(), timeoutMs: 10_000 }).run(
        "SELECT 1",
      ),
    ).rejects.toThrow(/^query q-3 still RUNNING after 1\d s: stopped$/);
    expect(athena.commandCalls(StopQueryExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { QueryExecutionId: "q-3" },
    ]);
  });
});
