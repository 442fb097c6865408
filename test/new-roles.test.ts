/**
 * Issue 20, item 3: `new --access-key` finds the roles the key and the sessions it minted assumed
 * in the last 12 hours (CloudTrail LookupEvents, every region, within a time bound), and adds them
 * with `account:` for other accounts; a lookup that is refused, fails or runs out of time never
 * stops the file, which says so. IAM and STS are moto's; LookupEvents is the CloudTrail-compatible
 * server of emulators/ (moto has none); --roles-from assumable reads what assess reads, service-specific
 * credentials included (the proxy of emulators/, moto has none). The chain is the review's own (review/chain.ts).
 */
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { usageOutput } from "./support/usage.ts";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import {
  startCloudTrailServer,
  trailRecord,
  type CloudTrailServer,
  type CloudTrailServerOptions,
} from "../emulators/cloudtrail-server.ts";
import { loadIncidents } from "../incident/load.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { incidentTemplate, rolesFromArns } from "../incident/template.ts";
import { isUnsafeCharacter } from "../incident/display.ts";
import { newCheckout, removeCheckouts } from "./support/checkout.ts";
import { commitTree, newRepo, removeRepos, runGuard } from "./support/git-repo.ts";
import { startMoto, useMotoEnv, type Moto } from "./support/moto.ts";
import { startWedgedServer } from "./support/wedged-server.ts";

const NOW = "2026-11-28T02:16:00Z";
const ACCOUNT = "123456789012";
const at = (iso: string) => iso;
let moto: Moto;
let restore: () => void;
let trail: CloudTrailServer | undefined;
const iam = () => new IAMClient({});

beforeAll(async () => {
  moto = await startMoto({ managedPolicies: false, serviceCredentials: true });
  restore = useMotoEnv(moto);
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
  restore?.();
  await moto?.stop();
  removeCheckouts();
  removeRepos();
});
afterEach(async () => {
  await moto.reset();
  await trail?.close();
  trail = undefined;
});

async function serve(records: object[], options: CloudTrailServerOptions = {}): Promise<void> {
  trail = await startCloudTrailServer(options);
  trail.seed(records);
  process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = trail.url;
}

async function exposedKey(user = "ci-deployer"): Promise<string> {
  await iam().send(new CreateUserCommand({ UserName: user }));
  return (await iam().send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
}

const workdir = () => newCheckout("cordon-new-roles-");

async function run(cwd: string, args: string[]) {
  const io = memoryIo({ cwd });
  const started = performance.now();
  const code = await main(["new", "--title", "CI key in public repo", ...args, "--now", NOW], io);
  const file = join(cwd, "incidents", "2026-11-28-ci-key-in-public-repo.yaml");
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    // not written
  }
  return { code, stdout: io.stdout, stderr: io.stderr, text, seconds: (performance.now() - started) / 1000 };
}

const assumeRole = (
  id: string,
  time: string,
  caller: string,
  roleArn: string,
  minted: string | null,
  more: Partial<Parameters<typeof trailRecord>[0]> = {},
) =>
  trailRecord({
    eventId: id,
    eventName: "AssumeRole",
    eventTime: time,
    region: "us-east-1",
    accessKeyId: caller,
    accountId: ACCOUNT,
    eventSource: "sts.amazonaws.com",
    requestParameters: { roleArn, roleSessionName: "s" },
    responseElements:
      minted === null ? null : { credentials: { accessKeyId: minted, expiration: "Nov 28, 2026, 11:00:00 AM" } },
    ...more,
  });

const rolesSection = (text: string) =>
  text.slice(text.indexOf("# Roles the exposed credentials"), text.indexOf("# Optional: a new access path"));

describe("the roles the key and its sessions assumed, from CloudTrail", () => {
  it("adds each role, chained and cross-account ones too, with account: for another account; the change is additive for guard", async () => {
    const key = await exposedKey();
    await serve([
      assumeRole("e1", at("2026-11-28T01:00:00Z"), key, `arn:aws:iam::${ACCOUNT}:role/deploy`, "ASIAMINTEDBYTHEKEY01"),
      // Role chaining, from the session the key minted, into another account (in another region).
      {
        ...assumeRole(
          "e2",
          at("2026-11-28T01:05:00Z"),
          "ASIAMINTEDBYTHEKEY01",
          "arn:aws:iam::444455556666:role/etl/data-loader",
          "ASIACHAINEDSESSION01",
        ),
        awsRegion: "eu-west-1",
      },
      // Refused: the role's sessions do not exist.
      assumeRole("e3", at("2026-11-28T01:10:00Z"), key, `arn:aws:iam::${ACCOUNT}:role/admin`, null, {
        errorCode: "AccessDenied",
      }),
      // Older than 12 hours, its session of an hour (AssumeRole's default) ended before them.
      {
        ...assumeRole("e4", at("2026-11-27T13:00:00Z"), key, `arn:aws:iam::${ACCOUNT}:role/old`, null),
        responseElements: {
          credentials: { accessKeyId: "ASIAOLDSESSION000001", expiration: "Nov 27, 2026, 2:00:00 PM" },
        },
      },
      // A role AWS manages cannot carry a deny: left out, and said.
      assumeRole(
        "e5",
        at("2026-11-28T01:20:00Z"),
        key,
        `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`,
        "ASIASSOSESSION000001",
      ),
    ]);
    const cwd = workdir();
    const result = await run(cwd, ["--access-key", key]);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout).toContain(
      "  role deploy\n  role data-loader (account 444455556666)\n  roles looked up in CloudTrail LookupEvents in 36 regions: 3 found\n",
    );
    expect(rolesSection(result.text)).toBe(
      [
        "# Roles the exposed credentials could assume: their older sessions are revoked too.",
        "# Found by cordon new: the roles the key and the sessions it minted assumed from 2026-11-27T14:16:00Z,",
        "# or earlier with a session still alive then, in CloudTrail as it was at 2026-11-28T02:16:00Z (CloudTrail LookupEvents in 36 regions; a role session lives at most 12 h).",
        "# CloudTrail delivers an event minutes after the call (about 5 on average, not guaranteed): calls of the 15 minutes before 2026-11-28T02:16:00Z, and the roles they assumed, may not be in it yet.",
        `# After 2026-11-28T02:31:00Z, run npx cordon review --access-key ${key} --since 2026-11-27T14:16:00Z, and add here by pull request what the review lists under "add to the incident".`,
        `# Left out: arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef (AWS manages it: it cannot carry a deny).`,
        "roles:",
        "  - name: deploy",
        "  - name: data-loader",
        '    account: "444455556666"',
        "",
      ].join("\n"),
    );
    const [incident] = loadIncidentPaths(["incidents"], cwd, new Date(NOW)).incidents;
    expect(incident.roles).toEqual([
      { name: "deploy", account: ACCOUNT },
      { name: "data-loader", account: "444455556666" },
    ]);
    // What the contain workflow commits must pass guard --additive.
    const repo = newRepo();
    const base = commitTree(repo, { "incidents/README.md": "incidents\n" }, "base");
    const head = commitTree(
      repo,
      { "incidents/README.md": "incidents\n", "incidents/2026-11-28-ci-key-in-public-repo.yaml": result.text },
      "new",
    );
    const guard = await runGuard(repo, ["--base", base, "--head", head, "--now", "2026-11-28T02:17:00Z", "--additive"]);
    expect(guard.stdout).toContain("guard: additive: the change only adds containment");
    expect(guard.code).toBe(0);
  });

  it("a session minted before the 12 hours, still alive in them, is followed to the role it assumed", async () => {
    const key = await exposedKey();
    await serve([
      // GetSessionToken's session lives up to 36 h: minted a day before, it assumes a role an hour ago.
      trailRecord({
        eventId: "g1",
        eventName: "GetSessionToken",
        eventTime: "2026-11-27T02:00:00Z",
        region: "us-east-1",
        accessKeyId: key,
        accountId: ACCOUNT,
        eventSource: "sts.amazonaws.com",
        responseElements: { credentials: { accessKeyId: "ASIASESSIONDAYBEFORE", expiration: "2026-11-28T14:00:00Z" } },
      }),
      assumeRole("e1", at("2026-11-28T01:00:00Z"), "ASIASESSIONDAYBEFORE", `arn:aws:iam::${ACCOUNT}:role/deploy`, null),
    ]);
    const result = await run(workdir(), ["--access-key", key]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "  role deploy\n  roles looked up in CloudTrail LookupEvents in 36 regions: 1 found\n",
    );
  });

  it("a role assumed before the 12 hours is listed while its session was alive in them, and the file says so", async () => {
    const key = await exposedKey();
    const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
    await serve([
      // Two hours before the window, for six hours: alive in its first four.
      assumeRole("e1", at("2026-11-27T12:16:00Z"), key, role("early"), null, {
        responseElements: { credentials: { accessKeyId: "ASIAEARLYSESSION0001", expiration: "2026-11-27T18:16:00Z" } },
      }),
      // Three hours before the window, for one hour: over before it.
      assumeRole("e2", at("2026-11-27T11:16:00Z"), key, role("over"), null, {
        responseElements: { credentials: { accessKeyId: "ASIAOVERSESSION00001", expiration: "2026-11-27T12:16:00Z" } },
      }),
    ]);
    const result = await run(workdir(), ["--access-key", key]);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(rolesSection(result.text)).toBe(
      [
        "# Roles the exposed credentials could assume: their older sessions are revoked too.",
        "# Found by cordon new: the roles the key and the sessions it minted assumed from 2026-11-27T14:16:00Z,",
        "# or earlier with a session still alive then, in CloudTrail as it was at 2026-11-28T02:16:00Z (CloudTrail LookupEvents in 36 regions; a role session lives at most 12 h).",
        "# CloudTrail delivers an event minutes after the call (about 5 on average, not guaranteed): calls of the 15 minutes before 2026-11-28T02:16:00Z, and the roles they assumed, may not be in it yet.",
        `# After 2026-11-28T02:31:00Z, run npx cordon review --access-key ${key} --since 2026-11-27T14:16:00Z, and add here by pull request what the review lists under "add to the incident".`,
        "roles:",
        "  - name: early",
        "",
      ].join("\n"),
    );
  });

  it("a role named with --role is written once, whatever CloudTrail adds", async () => {
    const key = await exposedKey();
    await serve([
      assumeRole("e1", at("2026-11-28T01:00:00Z"), key, `arn:aws:iam::${ACCOUNT}:role/Deploy`, "ASIAMINTEDBYTHEKEY01"),
    ]);
    const cwd = workdir();
    const result = await run(cwd, ["--access-key", key, "--role", "deploy"]);
    expect(result.code).toBe(0);
    expect(loadIncidentPaths(["incidents"], cwd, new Date(NOW)).incidents[0].roles).toEqual([
      { name: "deploy", account: ACCOUNT },
    ]);
  });

  it("regions that could not be read are said in the file, and the roles of the others are kept", async () => {
    const key = await exposedKey();
    await serve(
      [
        assumeRole(
          "e1",
          at("2026-11-28T01:00:00Z"),
          key,
          `arn:aws:iam::${ACCOUNT}:role/deploy`,
          "ASIAMINTEDBYTHEKEY01",
        ),
      ],
      { disabledRegions: ["eu-west-1"] },
    );
    const result = await run(workdir(), ["--access-key", key]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "  roles looked up in CloudTrail LookupEvents in 35 regions: 1 found; not read in eu-west-1\n",
    );
    expect(result.text).toContain(
      `# Not read in eu-west-1: roles assumed there are not listed (cordon review --access-key ${key}).\nroles:\n  - name: deploy\n`,
    );
  });
  it("an opt-in region that refuses the credentials is skipped only when the account says it is not enabled (moto answers DescribeRegions)", async () => {
    const key = await exposedKey();
    await serve(
      [
        assumeRole(
          "e1",
          at("2026-11-28T01:00:00Z"),
          key,
          `arn:aws:iam::${ACCOUNT}:role/deploy`,
          "ASIAMINTEDBYTHEKEY01",
        ),
      ],
      // moto's table: af-south-1 opt-in-not-required (enabled), me-south-1 not-opted-in.
      { disabledRegions: ["af-south-1", "me-south-1"] },
    );
    const result = await run(workdir(), ["--access-key", key]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "  roles looked up in CloudTrail LookupEvents in 34 regions: 1 found; not read in af-south-1\n",
    );
    expect(result.text).toContain(
      `# Not read in af-south-1: roles assumed there are not listed (cordon review --access-key ${key}).\nroles:\n  - name: deploy\n`,
    );
  });
});

describe("a lookup that is refused or runs out of time never stops the file", () => {
  const notLookedUp = (key: string, reason: string) =>
    [
      "# Roles the exposed credentials could assume: their older sessions are revoked too.",
      `# NOT LOOKED UP: the roles the key assumed were not looked up (${reason}). This file`,
      `# is written without them, so their older sessions are not revoked yet: find them with cordon review --access-key ${key}`,
      "# and add them here by pull request.",
      "# roles:",
      "#   - name: deploy",
      "",
    ].join("\n");

  it("refused (AccessDenied): written without roles, said in the file and on stderr, exit 0", async () => {
    const key = await exposedKey();
    await serve([], { accessDenied: true });
    const cwd = workdir();
    const result = await run(cwd, ["--access-key", key]);
    const reason =
      "CloudTrail could not be read in any region (AccessDeniedException, HTTP 400: User is not authorized to perform: cloudtrail:LookupEvents)";
    expect(result.code).toBe(0);
    expect(rolesSection(result.text)).toBe(notLookedUp(key, reason));
    expect(result.stdout).toContain(`  roles NOT looked up: ${reason}\n`);
    expect(result.stderr).toBe(
      `cordon new: warning: the roles the key assumed were not looked up: ${reason}; the incident is written without them: find them with cordon review --access-key ${key} and add them by pull request\n`,
    );
    expect(loadIncidentPaths(["incidents"], cwd, new Date(NOW)).errors).toEqual([]);
  });

  it("out of time: CloudTrail accepts the connections and never answers; ends at --lookup-seconds, written without roles", async () => {
    const key = await exposedKey();
    const wedged = await startWedgedServer();
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = wedged.url;
    try {
      const result = await run(workdir(), ["--access-key", key, "--lookup-seconds", "2"]);
      expect(result.code).toBe(0);
      expect(rolesSection(result.text)).toBe(notLookedUp(key, "CloudTrail did not answer within 2 s"));
      // The bound holds: the deadline, plus what writing the file takes.
      expect(result.seconds).toBeLessThan(4);
    } finally {
      await wedged.close();
    }
  });

  it.each([
    ["500", "gave up after 4 attempts, the last one server error: InternalFailure, HTTP 500: injected fault"],
    ["503", "gave up after 4 attempts, the last one server error: ServiceUnavailable, HTTP 503: injected fault"],
  ] as const)(
    "CloudTrail answers %s in every region: the lookup gives up in seconds, not at --lookup-seconds, with CloudTrail's reason on one line",
    async (fault, reason) => {
      const key = await exposedKey();
      await serve([], { faults: () => fault, limit: 1000 });
      const result = await run(workdir(), ["--access-key", key, "--lookup-seconds", "60"]);
      expect(result.code).toBe(0);
      expect(rolesSection(result.text)).toBe(
        notLookedUp(key, `CloudTrail could not be read in any region (${reason})`),
      );
      expect(result.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      // Four attempts a region, at most a second apart (LOOKUP_RETRY): far from the 60 s allowed.
      expect(result.seconds).toBeLessThan(8);
    },
  );

  it("every connection dropped in every region: the same, the reason said once", async () => {
    const key = await exposedKey();
    await serve([], { faults: () => "drop", limit: 1000 });
    const result = await run(workdir(), ["--access-key", key, "--lookup-seconds", "60"]);
    expect(result.code).toBe(0);
    expect(result.text).toMatch(
      /# NOT LOOKED UP: the roles the key assumed were not looked up \(CloudTrail could not be read in any region \(gave up after 4 attempts, the last one connection: [^\n]*\)\)\. This file\n/,
    );
    expect(result.seconds).toBeLessThan(8);
  });

  it("an answer that is not CloudTrail's (moto has no LookupEvents: an HTML page, HTTP 500): said so in a few words, in seconds", async () => {
    const key = await exposedKey();
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = moto.endpoint;
    const result = await run(workdir(), ["--access-key", key, "--lookup-seconds", "60"]);
    expect(result.code).toBe(0);
    expect(rolesSection(result.text)).toBe(
      notLookedUp(
        key,
        "CloudTrail could not be read in any region (gave up after 4 attempts, the last one server error: HTTP 500, with an answer that is not an AWS error (an error page of a proxy or load balancer in front of the service))",
      ),
    );
    expect(result.seconds).toBeLessThan(8);
  });

  it("no CloudTrail endpoint at all (nothing listens): written without roles", async () => {
    const key = await exposedKey();
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = "http://127.0.0.1:9";
    const result = await run(workdir(), ["--access-key", key, "--lookup-seconds", "2"]);
    expect(result.code).toBe(0);
    expect(result.text).toContain("# NOT LOOKED UP: the roles the key assumed were not looked up (");
    expect(result.seconds).toBeLessThan(4);
  });
});

describe("--roles-from", () => {
  it("assumable: every role of the account the user can assume (assess's reading), instead of CloudTrail", async () => {
    const key = await exposedKey();
    const trust = (principal: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "sts:AssumeRole" }],
      });
    await iam().send(
      new CreateRoleCommand({ RoleName: "deploy", AssumeRolePolicyDocument: trust(`arn:aws:iam::${ACCOUNT}:root`) }),
    );
    await iam().send(
      new CreateRoleCommand({
        RoleName: "unrelated",
        AssumeRolePolicyDocument: trust("arn:aws:iam::999999999999:root"),
      }),
    );
    await iam().send(
      new PutUserPolicyCommand({
        UserName: "ci-deployer",
        PolicyName: "assume",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
        }),
      }),
    );
    // CloudTrail is not asked at all.
    await serve([], { accessDenied: true });
    const result = await run(workdir(), ["--access-key", key, "--roles-from", "assumable"]);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(trail!.totals().requests).toBe(0);
    expect(rolesSection(result.text)).toBe(
      [
        "# Roles the exposed credentials could assume: their older sessions are revoked too.",
        "# Every role of this account the user can assume, as IAM (the roles whose trust and the user's policies allow it) allows it (cordon new --roles-from assumable).",
        "# The user's policies also reach roles matching * in other accounts, which IAM here cannot list.",
        "roles:",
        "  - name: deploy",
        "",
      ].join("\n"),
    );
  });

  it("none, and the default with --user: CloudTrail is not asked", async () => {
    await serve([]);
    const offline = await run(workdir(), [
      "--access-key",
      "AKIAIOSFODNN7EXAMPLE",
      "--user",
      "ci-deployer",
      "--account",
      ACCOUNT,
    ]);
    expect(offline.code).toBe(0);
    const key = await exposedKey();
    const none = await run(workdir(), ["--access-key", key, "--roles-from", "none"]);
    expect(none.code).toBe(0);
    expect(trail!.totals().requests).toBe(0);
    expect(rolesSection(none.text)).toBe(
      "# Roles the exposed credentials could assume: their older sessions are revoked too.\n# roles:\n#   - name: deploy\n",
    );
  });

  it.each([
    [
      ["--roles-from", "everything", "--user", "dana", "--account", ACCOUNT],
      'cordon new: --roles-from "everything": expected cloudtrail (the roles the key assumed), assumable (every role the user can assume) or none',
    ],
    [
      ["--roles-from", "cloudtrail", "--user", "dana", "--account", ACCOUNT],
      "cordon new: --roles-from cloudtrail: looks up what an access key did: give --access-key ID",
    ],
    [
      ["--lookup-seconds", "0", "--user", "dana", "--account", ACCOUNT],
      'cordon new: --lookup-seconds "0": expected a whole number of seconds from 1 to 300',
    ],
  ])("usage: %j", async (args, message) => {
    const result = await run(workdir(), args);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(usageOutput(message));
  });
});

describe("hostile role ARNs from CloudTrail (the caller chose them)", () => {
  it("whatever a lookup found, the file loads, names only valid roles, and holds no control or invisible character", () => {
    const arn = fc.oneof(
      fc.string({ unit: "grapheme-composite", maxLength: 120 }),
      fc
        .constantFrom(
          "arn:aws:iam::123456789012:role/",
          "arn:aws:iam::444455556666:role/a/b/",
          "arn:aws:iam::12345678901:role/",
        )
        .chain((prefix) =>
          fc
            .string({ unit: fc.constantFrom(..."abcXYZ09+=,.@_-/\n\r\u200b\u202e#:'\" ".split("")), maxLength: 70 })
            .map((tail) => `${prefix}${tail}`),
        ),
      fc.constant("arn:aws:iam::123456789012:role/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
      // Names IAM allows that YAML reads otherwise when written plain: a document marker (which the
      // yaml library wrote as a block scalar, breaking the file), a reserved indicator, a boolean.
      fc
        .constantFrom("...", "---", "....", "@admin", "true", "123", "-")
        .map((name) => `arn:aws:iam::123456789012:role/${name}`),
    );
    fc.assert(
      fc.property(
        fc.array(arn, { maxLength: 6 }),
        fc.array(fc.string({ maxLength: 80 }), { maxLength: 3 }),
        (arns, reasons) => {
          const { roles, skipped } = rolesFromArns(arns, ACCOUNT);
          const text = incidentTemplate({
            id: "2026-11-28-hostile",
            title: "t",
            account: ACCOUNT,
            cutoff: "at-containment",
            mode: "revoke-older-sessions",
            users: [{ name: "u", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
            roles,
            rolesNote: [...reasons, ...skipped.map((s) => `Left out: ${s}.`)],
            writtenAt: new Date(NOW),
            schemaPath: "../schema/incident.schema.json",
          });
          const loaded = loadIncidents([{ path: "incidents/2026-11-28-hostile.yaml", text }], { now: new Date(NOW) });
          expect(loaded.errors).toEqual([]);
          expect(loaded.incidents[0].roles.map((r) => r.name).every((name) => /^[\w+=,.@-]{1,64}$/.test(name))).toBe(
            true,
          );
          expect(Array.from(text).filter((char) => char !== "\n" && isUnsafeCharacter(char))).toEqual([]);
          expect(text).not.toContain("wJalrXUtnFEMI");
        },
      ),
      { numRuns: 300 },
    );
  });
});
