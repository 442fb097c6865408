/**
 * The offline reader on real CloudTrail recordings (test/fixtures/cloudtrail, gzipped as CloudTrail
 * delivers them; see NOTICE there), and on broken log folders.
 * Expected numbers were computed with jq from the raw files, not taken from cordon's output, e.g.
 *   zcat invictus-aws/CloudTrail/*.json.gz | jq -c '.Records[]' | jq -s 'map(select(.userIdentity.accessKeyId=="AKIATFQR7NSC8Q4X20BJ")) | length'  → 2104
 */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { readLogs, logSource, MAX_LOG_BYTES, type Logs } from "../review/logs/two-passes.ts";
import { followChain } from "../review/core/chain.ts";
import { analyze, PERSISTENCE_CATEGORIES, type Review } from "../review/core/findings.ts";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { trailRecord } from "../emulators/cloudtrail-server.ts";

const REPO = resolve(import.meta.dirname, "..");
const INVICTUS = resolve(REPO, "test", "fixtures", "cloudtrail", "invictus-aws");
const STRATUS = resolve(REPO, "test", "fixtures", "cloudtrail", "stratus-red-team");
const ROOT = "AKIATFQR7NSC8Q4X20BJ";

async function reviewOf(logs: Logs, key: string): Promise<Review> {
  return analyze(await followChain(key, { start: null, end: null }, logSource(logs.events)));
}

function countBy<T>(items: T[], keyOf: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return counts;
}

describe("the invictus-aws dataset (CloudTrail files as delivered to S3)", () => {
  let logs: Logs;
  let review: Review;
  beforeAll(async () => {
    logs = await readLogs(INVICTUS);
    review = await reviewOf(logs, ROOT);
  });

  it("reads all 55 files and 2,900 events", () => {
    expect(logs.errors).toEqual([]);
    expect([logs.files, logs.events.length, logs.digests]).toEqual([55, 2900, 0]);
  });

  it("reviews the key's 2,104 events, the 47 of the keys it minted, and the console sign-in of a user it created", () => {
    expect(review.events).toHaveLength(2104 + 47 + 1);
    expect(countBy(review.events, (e) => e.accessKeyId ?? `user:${e.userName}`)[ROOT]).toBe(2104);
    expect(review.events.filter((e) => e.eventName === "ConsoleLogin").map((e) => e.userName)).toEqual([
      "stratus-red-team-nmfalu-gfjyeaypjt",
    ]);
  });

  it("follows the ten keys its AssumeRole calls minted, and the two keys its CreateAccessKey calls made", () => {
    expect(review.keys).toHaveLength(1 + 10 + 2);
    expect(review.keys.filter((k) => k.mintedBy === "AssumeRole").every((k) => k.parent === ROOT)).toBe(true);
    expect(review.keys.filter((k) => k.mintedBy === "CreateAccessKey").map((k) => [k.accessKeyId, k.userName])).toEqual(
      [
        ["AKIATFQR7NSC3ZO6PKAZ", "stratus-red-team-backdoor-u-user"],
        ["AKIATFQR7NSCQLA2F4OD", "malicious-iam-user"],
      ],
    );
  });

  it("finds ASIATFQR7NSCWLLE7IWW, minted by AssumeRole, and its 29 GetPasswordData calls", () => {
    const key = review.keys.find((k) => k.accessKeyId === "ASIATFQR7NSCWLLE7IWW");
    expect(key).toEqual({
      accessKeyId: "ASIATFQR7NSCWLLE7IWW",
      parent: ROOT,
      mintedBy: "AssumeRole",
      mintedAt: "2023-07-10T11:54:47Z",
      mintedEventId: "bbe86c7c-5981-4ac8-ad20-9248612b16c1",
      roleArn: "arn:aws:iam::123837392027:role/stratus-red-team-ec2-get-password-data-role",
      userName: null,
      // The expiration in the event, "Jul 10, 2023, 12:09:47 PM": a 15-minute session.
      searchedFrom: "2023-07-10T11:54:47Z",
      searchedUntil: "2023-07-10T12:09:47Z",
      events: 29,
    });
    expect(
      countBy(
        review.events.filter((e) => e.accessKeyId === "ASIATFQR7NSCWLLE7IWW"),
        (e) => e.eventName,
      ),
    ).toEqual({ GetPasswordData: 29 });
  });

  it("lists the persistence and escalation calls", () => {
    const persistence = countBy(
      review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category)),
      (f) => f.eventName,
    );
    expect(persistence).toMatchObject({
      CreateUser: 4,
      CreateAccessKey: 2,
      CreateLoginProfile: 2,
      AttachUserPolicy: 1,
      CreateRole: 13,
      AttachRolePolicy: 6,
      PutRolePolicy: 5,
      UpdateAssumeRolePolicy: 2,
      ConsoleLogin: 1,
    });
    expect(review.findings.find((f) => f.eventName === "AttachUserPolicy")?.target).toBe(
      "userName=malicious-iam-user policyArn=arn:aws:iam::aws:policy/AdministratorAccess",
    );
  });

  it("lists the users it created, the roles it assumed, and its denied calls", () => {
    expect(review.users.map((u) => [u.userName, u.reason, u.parent])).toEqual([
      ["stratus-red-team-nmfalu-gfjyeaypjt", "CreateUser", ROOT],
      ["stratus-red-team-backdoor-u-user", "CreateUser", ROOT],
      ["malicious-iam-user", "CreateUser", ROOT],
      ["stratus-red-team-login-profile-user", "CreateUser", ROOT],
    ]);
    expect(review.rolesAssumed).toHaveLength(5);
    expect(review.denied.reduce((sum, g) => sum + g.count, 0)).toBe(13 + 29 + 15 + 1);
  });
});

describe("the stratus-red-team dataset (JSON arrays of events)", () => {
  let logs: Logs;
  beforeAll(async () => {
    logs = await readLogs(STRATUS);
  });

  it("reads all 35 files and 310 events", () => {
    expect(logs.errors).toEqual([]);
    expect([logs.files, logs.events.length]).toEqual([35, 310]);
  });

  it("follows the GetFederationToken chain AKIA6V1GNZTT65XQH36M → ASIASTJKC5GCM7ZE6LUP until its expiration", async () => {
    const review = await reviewOf(logs, "AKIA6V1GNZTT65XQH36M");
    expect(review.keys.map((k) => [k.accessKeyId, k.parent, k.mintedBy, k.searchedUntil, k.events])).toEqual([
      ["AKIA6V1GNZTT65XQH36M", null, null, null, 1],
      // "expiration": "Nov 30, 2024, 8:43:17 PM"
      ["ASIASTJKC5GCM7ZE6LUP", "AKIA6V1GNZTT65XQH36M", "GetFederationToken", "2024-11-30T20:43:17Z", 1],
    ]);
    expect(review.events.map((e) => e.eventName)).toEqual(["GetFederationToken", "GetCallerIdentity"]);
  });

  it("follows the AssumeRole chain of the GetPasswordData technique", async () => {
    const review = await reviewOf(logs, "AKIAWOGXN38MFN92ING5");
    expect(review.keys.map((k) => [k.accessKeyId, k.mintedBy, k.events])).toEqual([
      ["AKIAWOGXN38MFN92ING5", null, 4],
      ["ASIA7RQR64ZW9JXKWPUO", "AssumeRole", 0],
      ["ASIANQQHHS551LWULIWD", "AssumeRole", 30],
    ]);
  });

  it("follows a backdoor key made by CreateAccessKey", async () => {
    const review = await reviewOf(logs, "AKIA30BEZSJBVKOFKZW0");
    expect(review.keys.map((k) => [k.accessKeyId, k.mintedBy])).toEqual([
      ["AKIA30BEZSJBVKOFKZW0", null],
      ["AKIAL80DWDVKKM0UXEER", "CreateAccessKey"],
    ]);
    expect(review.findings.map((f) => [f.eventName, f.category])).toContainEqual(["CreateAccessKey", "persistence"]);
  });
});

describe("review --from-logs never prints a secret", () => {
  // Every session token in the dataset: AssumeRole answers carry them in responseElements.
  const tokens = readdirSync(join(INVICTUS, "CloudTrail")).flatMap((file) =>
    [
      ...gunzipSync(readFileSync(join(INVICTUS, "CloudTrail", file)))
        .toString("utf8")
        .matchAll(/"sessionToken":"([^"]+)"/g),
    ].map((m) => m[1]),
  );

  it("the dataset does hold session tokens", () => {
    expect(tokens.length).toBeGreaterThan(0);
  });

  it.each([[[]], [["--json"]], [["--markdown"]]])("in the output of %j", async (flags) => {
    const io = memoryIo({ cwd: REPO });
    expect(await main(["review", "--access-key", ROOT, "--from-logs", INVICTUS, ...flags], io)).toBe(0);
    for (const token of tokens) {
      expect(io.stdout).not.toContain(token);
      expect(io.stdout).not.toContain(token.slice(0, 40));
    }
    expect(io.stdout).not.toMatch(/IQoJb3JpZ2lu|FwoGZXIvYXdz/);
  });

  it("nor the secret access key some CreateAccessKey records hold", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-review-"));
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    const record = trailRecord({
      eventId: "ck",
      eventName: "CreateAccessKey",
      eventTime: "2026-11-28T02:00:00Z",
      region: "us-east-1",
      accessKeyId: "AKIAEXAMPLEROOT00001",
      eventSource: "iam.amazonaws.com",
      readOnly: false,
      requestParameters: { userName: "svc" },
      responseElements: {
        accessKey: { accessKeyId: "AKIAEXAMPLECREATED01", secretAccessKey: secret, status: "Active", userName: "svc" },
      },
    });
    writeFileSync(join(dir, "log.json"), JSON.stringify({ Records: [record] }));
    for (const flags of [[], ["--json"], ["--markdown"]]) {
      const io = memoryIo({ cwd: dir });
      expect(await main(["review", "--access-key", "AKIAEXAMPLEROOT00001", "--from-logs", ".", ...flags], io)).toBe(0);
      expect(io.stdout).toContain("AKIAEXAMPLECREATED01");
      expect(io.stdout + io.stderr).not.toContain(secret);
    }
  });
});

describe("log folders", () => {
  const record = (id: string) =>
    trailRecord({
      eventId: id,
      eventName: "DescribeInstances",
      eventTime: "2026-11-28T02:00:00Z",
      region: "us-east-1",
      accessKeyId: "AKIAEXAMPLEROOT00001",
    });

  it("reads .json and .json.gz files in any folder, Records or arrays, skips digests and other files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-review-"));
    mkdirSync(join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "11", "28"), { recursive: true });
    mkdirSync(join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest"), { recursive: true });
    writeFileSync(
      join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "11", "28", "a.json.gz"),
      gzipSync(JSON.stringify({ Records: [record("a"), record("b")] })),
    );
    writeFileSync(join(dir, "export.json"), JSON.stringify([record("c"), record("a")])); // "a" twice: one event
    writeFileSync(
      join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest", "d.json.gz"),
      gzipSync(JSON.stringify({ digestStartTime: "2026-11-28T01:00:00Z", logFiles: [] })),
    );
    writeFileSync(join(dir, "README.md"), "not a log");
    const logs = await readLogs(dir);
    expect(logs.errors).toEqual([]);
    expect([logs.files, logs.digests, logs.events.map((e) => e.eventId).sort()]).toEqual([2, 1, ["a", "b", "c"]]);
  });

  it("refuses a gzip file that expands past the limit, without expanding it all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-review-"));
    // Concatenated gzip members expand to their concatenation: a bomb made without the memory.
    const member = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    writeFileSync(
      join(dir, "bomb.json.gz"),
      Buffer.concat(Array.from({ length: MAX_LOG_BYTES / (1024 * 1024) + 1 }, () => member)),
    );
    const logs = await readLogs(dir);
    expect(logs.errors.map((e) => `${e.code} ${e.message}`)).toEqual([
      "E_LOG_READ the file expands to more than 256 MiB, expected a CloudTrail log file (a few MiB at most)",
    ]);
  });

  it("reports every broken file with its place, and reviews nothing (exit 1)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-review-"));
    mkdirSync(join(dir, "nested"));
    writeFileSync(join(dir, "good.json"), JSON.stringify({ Records: [record("a")] }));
    writeFileSync(join(dir, "cut.json"), '{"Records": [\n  {"eventID": "x",\n');
    writeFileSync(join(dir, "bad.json"), '{"Records": [\n  {"eventID": "x"}}\n]}');
    writeFileSync(join(dir, "shape.json"), JSON.stringify({ Events: [] }));
    writeFileSync(
      join(dir, "nested", "event.json"),
      JSON.stringify({ Records: [{ eventName: "X", eventTime: "2026-11-28T02:00:00Z" }] }),
    );
    writeFileSync(join(dir, "nested", "broken.json.gz"), "not gzip");
    const io = memoryIo({ cwd: dir });
    expect(await main(["review", "--access-key", "AKIAEXAMPLEROOT00001", "--from-logs", "."], io)).toBe(1);
    expect(io.stdout).toBe("");
    expect(io.stderr).toBe(
      [
        "bad.json:2:19 E_LOG_JSON not valid JSON: Expected ',' or ']' after array element; expected a CloudTrail log file",
        "cut.json:3:1 E_LOG_JSON not valid JSON: Expected double-quoted property name; expected a CloudTrail log file",
        "nested/broken.json.gz:1:1 E_LOG_READ cannot read the file: incorrect header check",
        "nested/event.json:1:1 E_LOG_EVENT record 0: the event has no eventID",
        'shape.json:1:1 E_LOG_SHAPE found an object with fields Events; expected a CloudTrail log file, {"Records": [...]}, or a JSON array of CloudTrail events',
        "cordon review: 5 problems in the log files; nothing reviewed",
        "",
      ].join("\n"),
    );
  });

  it.each([
    ["missing", "missing:1:1 E_LOG_DIR --from-logs: no such directory; expected a folder of CloudTrail log files"],
    [
      "empty",
      "empty:1:1 E_LOG_DIR --from-logs: no .json or .json.gz files in this folder or below; expected CloudTrail log files",
    ],
  ])("reports a %s folder (exit 1)", async (name, message) => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-review-"));
    mkdirSync(join(dir, "empty"));
    const io = memoryIo({ cwd: dir });
    expect(await main(["review", "--access-key", "AKIAEXAMPLEROOT00001", "--from-logs", name], io)).toBe(1);
    expect(io.stderr.split("\n")[0]).toBe(message);
  });
});
