/** `cordon review`: flags, exit codes, the three outputs and the progress display. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { parseReviewFlags } from "../commands/review.ts";
import { ScanProgress } from "../review/lookup/progress.ts";
import { reviewPermissions } from "../aws/cloudtrail.ts";
import { ALWAYS_ENABLED_REGIONS, COMMERCIAL_REGIONS, OPT_IN_REGIONS } from "../review/core/regions.ts";
import { usageOutput } from "./support/usage.ts";

const REPO = resolve(import.meta.dirname, "..");
const INVICTUS = "test/fixtures/cloudtrail/invictus-aws";
const ROOT = "AKIATFQR7NSC8Q4X20BJ";

describe("flags", () => {
  it.each([
    [[], "--access-key is required: the AKIA... or ASIA... key to review"],
    [
      ["--access-key", "AKIA123"],
      '--access-key "AKIA123": expected AKIA or ASIA followed by 16 capital letters or digits, such as AKIAIOSFODNN7EXAMPLE',
    ],
    [
      ["--access-key", "akiaiosfodnn7example"],
      '--access-key "akiaiosfodnn7example": expected AKIA or ASIA followed by 16 capital letters or digits, such as AKIAIOSFODNN7EXAMPLE',
    ],
    [
      ["--access-key", "AIDAIOSFODNN7EXAMPLE"],
      '--access-key "AIDAIOSFODNN7EXAMPLE": expected AKIA or ASIA followed by 16 capital letters or digits, such as AKIAIOSFODNN7EXAMPLE',
    ],
    [
      ["--access-key", ROOT, "--json", "--markdown"],
      "--json and --markdown cannot be used together: choose one output",
    ],
    [
      ["--access-key", ROOT, "--since", "yesterday"],
      '--since "yesterday": expected an RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z',
    ],
    [
      ["--access-key", ROOT, "--since", "2026-11-28T10:00:00Z", "--until", "2026-11-27T10:00:00Z"],
      "--since 2026-11-28T10:00:00Z is after --until 2026-11-27T10:00:00Z; expected the start of the review before its end",
    ],
    [
      ["--access-key", ROOT, "--regions", "us-east-1,Mars"],
      '--regions "us-east-1,Mars": "Mars" is not a region name; expected all, or names such as us-east-1,eu-west-1',
    ],
    [
      ["--access-key", ROOT, "AKIAIOSFODNN7EXAMPLE"],
      'unexpected argument "AKIAIOSFODNN7EXAMPLE"; the key goes in --access-key',
    ],
    [["--access-key", ROOT, "--from-logs", ""], "--from-logs needs a folder of CloudTrail log files"],
    [["--access-key", ROOT, "--html", ""], "--html needs the file to write, such as --html review.html"],
    [["--access-key", ROOT, "--assess", ""], "--assess needs the file `cordon assess --json` wrote"],
    [
      ["--access-key", ROOT, "--cutoff", "noon"],
      '--cutoff "noon": expected an RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z',
    ],
  ])("%j is a usage error: %s", async (flags, message) => {
    const io = memoryIo();
    expect(await main(["review", ...flags], io)).toBe(2);
    expect(io.stderr).toBe(usageOutput(`cordon review: ${message}`));
    expect(io.stdout).toBe("");
  });

  it("an unknown flag is a usage error", async () => {
    const io = memoryIo();
    expect(await main(["review", "--access-key", ROOT, "--region", "us-east-1"], io)).toBe(2);
    expect(io.stderr).toBe(usageOutput("cordon review: unknown option --region (did you mean --regions?)"));
  });

  it.each([
    [
      ["--access-key", ROOT],
      {
        accessKeyId: ROOT,
        since: undefined,
        until: undefined,
        regions: undefined,
        format: "text",
        fromLogs: undefined,
      },
    ],
    [
      ["--access-key", "ASIATFQR7NSCWLLE7IWW", "--regions", "all", "--json"],
      {
        accessKeyId: "ASIATFQR7NSCWLLE7IWW",
        since: undefined,
        until: undefined,
        regions: undefined,
        format: "json",
        fromLogs: undefined,
      },
    ],
    [
      [
        "--access-key",
        ROOT,
        "--regions",
        "us-east-1, eu-west-1,us-east-1",
        "--markdown",
        "--since",
        "2026-11-01T00:00:00Z",
        "--until",
        "2026-11-28T00:00:00+01:00",
        "--from-logs",
        "logs",
      ],
      {
        accessKeyId: ROOT,
        since: new Date("2026-11-01T00:00:00Z"),
        until: new Date("2026-11-27T23:00:00Z"),
        regions: ["us-east-1", "eu-west-1"],
        format: "markdown",
        source: { source: expect.objectContaining({ name: "logs" }), options: { dir: "logs" } },
      },
    ],
    [
      [
        "--access-key",
        ROOT,
        "--html",
        "out.html",
        "--cutoff",
        "2026-11-10T12:00:00Z",
        "--contained-at",
        "2026-11-10T12:05:00Z",
        "--stack-outputs",
        "a.json",
        "--stack-outputs",
        "b.json",
        "--assess",
        "assess.json",
      ],
      {
        accessKeyId: ROOT,
        format: "text",
        files: [{ format: "html", path: "out.html" }],
        cutoff: new Date("2026-11-10T12:00:00Z"),
        containedAt: new Date("2026-11-10T12:05:00Z"),
        stackOutputs: ["a.json", "b.json"],
        assess: "assess.json",
      },
    ],
  ])("%j parses", (flags, options) => {
    expect(parseReviewFlags(flags)).toEqual(options);
  });

  it("prints its usage for --help", async () => {
    const io = memoryIo();
    expect(await main(["review", "--help"], io)).toBe(0);
    expect(io.stdout).toMatch(/^usage: npx cordon review --access-key KEY/);
    expect(io.stdout).toContain(
      "exit codes: 0 reviewed · 1 the log files on disk, or every log file in S3, cannot be read · 2 misused,\nor CloudTrail, the bucket or Athena could not be read (or a part of it, an account the key reached,\nor a console session its chain opened: the review is printed, marked INCOMPLETE)\n· 3 the key appears in no event read (a typo, the wrong window, account or source): not a clean review\n",
    );
  });
});

describe("what review needs and reads by default", () => {
  it("declares the IAM actions it calls", () => {
    expect(reviewPermissions).toEqual(["cloudtrail:LookupEvents", "ec2:DescribeRegions"]);
  });

  it("reads every commercial region by default, once each", () => {
    expect(COMMERCIAL_REGIONS).toHaveLength(36);
    expect(new Set(COMMERCIAL_REGIONS).size).toBe(36);
    expect(COMMERCIAL_REGIONS.slice(0, 4)).toEqual(["us-east-1", "us-east-2", "us-west-1", "us-west-2"]);
  });

  it("knows every region of the aws partition the bundled SDK knows", () => {
    // The partition data the CloudTrail client resolves endpoints with, read as a file: only aws/ imports the SDK.
    const client = createRequire(import.meta.url).resolve("@aws-sdk/client-cloudtrail");
    const core = dirname(createRequire(client).resolve("@aws-sdk/core/package.json"));
    const text = readFileSync(join(core, "dist-es/submodules/client/util-endpoints/lib/aws/partitions.js"), "utf8");
    const { partitions } = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1)) as {
      partitions: { id: string; regionRegex: string; regions: Record<string, unknown> }[];
    };
    const aws = partitions.find((partition) => partition.id === "aws");
    if (aws === undefined) throw new Error("the bundled SDK has no aws partition");
    // Its regions by the partition's own pattern: `aws-global` is an endpoint, not a region.
    const known = Object.keys(aws.regions).filter((region) => new RegExp(aws.regionRegex).test(region));
    expect(known).toEqual(expect.arrayContaining(["us-east-1", "ap-southeast-6", "me-west-1", "sa-west-1"]));
    expect(known.filter((region) => !COMMERCIAL_REGIONS.includes(region))).toEqual([]);
    expect([...ALWAYS_ENABLED_REGIONS, ...OPT_IN_REGIONS].filter((region) => !known.includes(region))).toEqual([]);
  });
});

describe("the outputs, on the invictus-aws dataset", () => {
  const run = async (...flags: string[]) => {
    const io = memoryIo({ cwd: REPO });
    expect(await main(["review", "--access-key", ROOT, "--from-logs", INVICTUS, ...flags], io)).toBe(0);
    return io;
  };

  it("the summary shows the chain as a tree, the findings and what to add to the incident", async () => {
    const { stdout, stderr } = await run();
    expect(stderr).toBe("review: read 55 log files · 2,900 events\n");
    const lines = stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      `review of ${ROOT}`,
      `source: 55 log files under ${INVICTUS} · all events in the logs`,
      "2,152 events · 13 keys · 4 users · 46 persistence and escalation · 58 denied calls",
    ]);
    expect(lines).toContain(`  ${ROOT}  the reviewed key  2,104 events`);
    expect(lines).toContain(
      "  ├─ ASIATFQR7NSCWLLE7IWW  AssumeRole 2023-07-10T11:54:47Z role stratus-red-team-ec2-get-password-data-role  29 events",
    );
    expect(lines).toContain(
      "  └─ AKIATFQR7NSCQLA2F4OD  CreateAccessKey 2023-07-10T12:24:50Z for user malicious-iam-user  0 events",
    );
    expect(lines).toContain(
      `  2023-07-10T12:24:49Z  AttachUserPolicy  iam  userName=malicious-iam-user policyArn=arn:aws:iam::aws:policy/AdministratorAccess  by ${ROOT}  (us-east-1)`,
    );
    expect(lines).toContain("  ec2 GetPasswordData 29  Client.UnauthorizedOperation");
    expect(stdout).toContain(
      [
        "add to the incident (sessions of these roles, these users and keys must be cut off too):",
        "  users:",
        "    - name: malicious-iam-user",
        "      accessKeys: [AKIATFQR7NSCQLA2F4OD]",
      ].join("\n"),
    );
    expect(lines).toContain(
      "    - name: stratus-red-team-leave-org-role  # arn:aws:iam::123837392027:role/stratus-red-team-leave-org-role",
    );
  });

  it("the JSON keeps the contract's field names", async () => {
    const review = JSON.parse((await run("--json")).stdout);
    expect(Object.keys(review)).toEqual(expect.arrayContaining(["keys", "events", "persistence", "rolesAssumed"]));
    expect(review.keys[0]).toMatchObject({
      accessKeyId: ROOT,
      parent: null,
      mintedBy: null,
      mintedAt: null,
      mintedEventId: null,
    });
    expect(Object.keys(review.events[0])).toEqual(
      expect.arrayContaining([
        "eventId",
        "eventName",
        "eventSource",
        "eventTime",
        "region",
        "accessKeyId",
        "readOnly",
        "sourceIPAddress",
        "errorCode",
      ]),
    );
    expect(review.events).toHaveLength(2152);
    expect(review.persistence).toHaveLength(46);
    expect(Object.keys(review.persistence[0])).toEqual(expect.arrayContaining(["eventId", "eventName"]));
    expect(review.rolesAssumed).toContain("arn:aws:iam::123837392027:role/stratus-red-team-ec2-get-password-data-role");
  });

  it("is the same byte for byte on every run", async () => {
    expect((await run("--json")).stdout).toBe((await run("--json")).stdout);
  });

  it("the markdown is a pull request comment with tables and the YAML to add", async () => {
    const { stdout } = await run("--markdown");
    expect(stdout.split("\n").slice(0, 5)).toEqual([
      `### cordon review of \`${ROOT}\``,
      "",
      `55 log files under ${INVICTUS} · all events in the logs`,
      "",
      "**2,152 events · 13 keys · 4 users · 46 persistence and escalation · 58 denied calls**",
    ]);
    expect(stdout).toContain(
      "  - `ASIATFQR7NSCWLLE7IWW` AssumeRole 2023-07-10T11:54:47Z role stratus-red-team-ec2-get-password-data-role  29 events",
    );
    expect(stdout).toContain("| time | category | call | target | by | region |");
    expect(stdout).toContain("```yaml\nusers:\n  - name: malicious-iam-user\n    accessKeys: [AKIATFQR7NSCQLA2F4OD]\n");
  });

  it("narrows to --since and --until", async () => {
    const review = JSON.parse(
      (await run("--json", "--since", "2023-07-10T12:24:00Z", "--until", "2023-07-10T12:25:00Z")).stdout,
    );
    type Event = { eventTime: string; eventName: string; beforeWindow?: true };
    expect(
      review.events
        .filter((e: Event) => e.beforeWindow === undefined)
        .every((e: Event) => e.eventTime >= "2023-07-10T12:24:00Z" && e.eventTime <= "2023-07-10T12:25:00Z"),
    ).toBe(true);
    // Before the window, only the calls that made what was still alive at its start: two role
    // sessions of 15 minutes, and a user.
    expect(
      review.events.filter((e: Event) => e.beforeWindow === true).map((e: Event) => [e.eventTime, e.eventName]),
    ).toEqual([
      ["2023-07-10T12:09:30Z", "AssumeRole"],
      ["2023-07-10T12:09:30Z", "AssumeRole"],
      ["2023-07-10T12:23:05Z", "CreateUser"],
      ["2023-07-10T12:23:06Z", "CreateLoginProfile"],
    ]);
    expect(review.persistence.map((p: { eventName: string }) => p.eventName)).toEqual([
      "CreateRole",
      "AttachRolePolicy",
      "UpdateAssumeRolePolicy",
      "CreateUser",
      "CreateAccessKey",
      "CreateUser",
      "AttachUserPolicy",
      "CreateAccessKey",
    ]);
  });
});

describe("progress on stderr", () => {
  const clockAt = (times: number[]) => ({ now: () => times.shift() ?? 1e9 });

  it("in a log, writes a plain line now and then and one at the end", () => {
    const lines: string[] = [];
    const progress = new ScanProgress(
      { err: (text) => lines.push(text), errIsTTY: false },
      ["us-east-1", "eu-west-1"],
      { clock: clockAt([0, 100, 200, 20_000, 20_100]), lineMs: 10_000 },
    );
    progress.lookupStarted("us-east-1", "AKIA1");
    progress.page("us-east-1", "AKIA1", 50);
    progress.lookupStarted("eu-west-1", "ASIA2");
    progress.lookupDone("us-east-1", "AKIA1");
    progress.finish();
    expect(lines).toEqual([
      "review: scanning · 1/2 regions idle · 0 pages · 0 events\n",
      "review: scanning · 1/2 regions idle · 1 page · 50 events · 1 more key or user followed\n",
      "review: done · 1/2 regions idle · 1 page · 50 events · 1 more key or user followed\n",
    ]);
  });

  it("on a terminal, redraws the block in place", () => {
    const writes: string[] = [];
    const progress = new ScanProgress(
      { err: (text) => writes.push(text), errIsTTY: true },
      ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"],
      { clock: clockAt([0, 1000]), redrawMs: 100 },
    );
    progress.lookupStarted("us-east-1", "AKIA1");
    progress.page("us-east-1", "AKIA1", 50);
    expect(writes).toHaveLength(2);
    expect(writes[0].startsWith("\u001b[2Kscanning 4 regions ▕")).toBe(true);
    // Header and two lines of three regions each, then back up three lines to redraw them.
    expect(writes[0].split("\n")).toHaveLength(4);
    expect(writes[1].startsWith("\u001b[3F\u001b[2Kscanning 4 regions")).toBe(true);
    expect(writes[1]).toContain("us-east-1         1 pages     50 events …");
  });
});
