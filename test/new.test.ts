/**
 * `new` against moto_server (a real IAM and STS API on loopback): --access-key alone is enough,
 * what it writes passes the loader, it never overwrites, and every refusal says what to do.
 */
import { CreateAccessKeyCommand, CreateUserCommand, GetAccessKeyLastUsedCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { execFile } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { guardChange } from "../guard/guard.ts";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { CALL_BOUND_SECONDS, REQUEST_LIMITS } from "../aws/clients.ts";
import { newPermissions, newRolePermissions } from "../aws/lookup.ts";
import { TICKET_MAX_LENGTH, TITLE_MAX_LENGTH } from "../incident/fields.ts";
import { loadIncidents } from "../incident/load.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { defaultIncidentId, incidentTemplate } from "../incident/template.ts";
import { NOTHING_KEPT } from "../incident/types.ts";
import { startMoto, useMotoEnv, type Moto } from "./support/moto.ts";
import { usageOutput } from "./support/usage.ts";
import { startCloudTrailServer, type CloudTrailServer } from "../emulators/cloudtrail-server.ts";
import { newCheckout, removeCheckouts } from "./support/checkout.ts";
import { startWedgedServer } from "./support/wedged-server.ts";

const NOW = "2026-11-28T02:16:00Z";
const workdir = () => newCheckout("cordon-new-");
/** A user and account given: new writes the file without asking AWS. */
const DANA = ["--user", "dana", "--account", "123456789012"];
afterAll(removeCheckouts);

async function run(cwd: string, args: string[]) {
  const io = memoryIo({ cwd });
  const code = await main(["new", ...args, "--now", NOW], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("against moto_server", () => {
  let moto: Moto;
  let restore: () => void;
  let iam: IAMClient;
  // moto has no LookupEvents: the roles the key assumed come from the CloudTrail-compatible server.
  let trail: CloudTrailServer;
  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: false });
    restore = useMotoEnv(moto);
    trail = await startCloudTrailServer();
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = trail.url;
    iam = new IAMClient({});
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
    restore?.();
    await moto?.stop();
    await trail?.close();
  });
  afterEach(() => moto.reset());

  async function seedKey(user: string): Promise<string> {
    await iam.send(new CreateUserCommand({ UserName: user })).catch((error: Error) => {
      if (error.name !== "EntityAlreadyExistsException") throw error;
    });
    // Only the key id is kept: the secret moto returns is never looked at, never printed.
    return (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
  }

  it("--access-key and --title alone: the user comes from IAM, the account from STS, and the file loads", async () => {
    const key = await seedKey("ci-deployer");
    const cwd = workdir();
    const result = await run(cwd, ["--access-key", key, "--title", "CI key in public repo", "--role", "deploy"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const file = "incidents/2026-11-28-ci-key-in-public-repo.yaml";
    expect(result.stdout).toBe(
      [
        `wrote ${file} (cutoff: at-containment)`,
        "  account 123456789012 · mode revoke-older-sessions",
        `  user ci-deployer: ${key} (owner from IAM)`,
        "    every other credential of ci-deployer set Inactive at pulumi up; its console password deleted (keep: in the file says what to keep)",
        "  role deploy",
        "  roles looked up in CloudTrail LookupEvents in 36 regions: none assumed",
        "",
        "next:",
        `  1. commit it on a branch: git switch -c incident/2026-11-28-ci-key-in-public-repo && git add ${file} && git commit -m "incident 2026-11-28-ci-key-in-public-repo"`,
        "  2. open a pull request: CI runs validate, guard and pulumi preview, and comments the preview",
        "  3. reviewers (CODEOWNERS) check:",
        "     - the principals: every user and role the exposed key could act as (cordon assess)",
        "     - the keys: each exposed key id, under the user that owns it",
        "     - the mode: revoke-older-sessions (or deny-all, to stop these principals entirely)",
        "     - the account: 123456789012",
        "     - the preview: each key Active -> Inactive, a deny policy on each principal",
        "  4. merge: pulumi up disables the keys and records the containment instant as the cutoff",
        "  5. later: cordon status says when the file can be removed",
        "",
      ].join("\n"),
    );
    const loaded = loadIncidentPaths(["incidents"], cwd, new Date(NOW));
    expect(loaded.errors).toEqual([]);
    expect(loaded.incidents).toEqual([
      {
        id: "2026-11-28-ci-key-in-public-repo",
        file,
        title: "CI key in public repo",
        account: "123456789012",
        cutoff: "at-containment",
        mode: "revoke-older-sessions",
        users: [
          {
            name: "ci-deployer",
            account: "123456789012",
            accessKeys: [key],
            keep: { ...NOTHING_KEPT },
            deactivateMfaDevices: [],
          },
        ],
        roles: [{ name: "deploy", account: "123456789012" }],
        organization: { scp: false, rcp: false },
        identityCenterUsers: [],
        rootUsers: [],
        replacementRoles: [],
      },
    ]);
    expect(readFileSync(join(cwd, file), "utf8").split("\n")[0]).toBe(
      "# yaml-language-server: $schema=../schema/incident.schema.json",
    );
  });

  it("a user IAM spells otherwise than an active incident: written as the folder spells it, so the folder stays valid (issue 19: contain failed)", async () => {
    const key = await seedKey("CI-Deployer");
    const cwd = workdir();
    mkdirSync(join(cwd, "incidents"));
    writeFileSync(
      join(cwd, "incidents", "2026-11-27-earlier.yaml"),
      'id: 2026-11-27-earlier\ntitle: t\naccount: "123456789012"\ncutoff: at-containment\nusers: [{ name: ci-deployer }]\n',
    );
    const result = await run(cwd, ["--access-key", key, "--title", "Exposed access key", "--cutoff", "at-containment"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'cordon new: note: user "CI-Deployer" is written "ci-deployer", as incidents/2026-11-27-earlier.yaml spells it: IAM takes both for one user, and cordon names its resources after one spelling\n',
    );
    expect(result.stdout).toContain(`  user ci-deployer: ${key} (owner from IAM)\n`);
    expect(loadIncidentPaths(["incidents"], cwd, new Date(NOW)).errors).toEqual([]);
  });

  it("keys of two users give two users, each with its own key", async () => {
    const first = await seedKey("ci-deployer");
    const second = await seedKey("dana");
    const cwd = workdir();
    const result = await run(cwd, [
      "--access-key",
      second,
      "--access-key",
      first,
      "--title",
      "Two keys in one paste",
      "--id",
      "2026-11-28-two-keys",
    ]);
    expect(result.code).toBe(0);
    const [incident] = loadIncidentPaths(["incidents"], cwd, new Date(NOW)).incidents;
    expect(incident.users.map(({ name, account, accessKeys }) => ({ name, account, accessKeys }))).toEqual([
      { name: "dana", account: "123456789012", accessKeys: [second] },
      { name: "ci-deployer", account: "123456789012", accessKeys: [first] },
    ]);
  });

  it("refuses to overwrite an existing incident, and leaves it as it was", async () => {
    const key = await seedKey("ci-deployer");
    const cwd = workdir();
    expect((await run(cwd, ["--access-key", key, "--title", "CI key in public repo"])).code).toBe(0);
    const path = join(cwd, "incidents", "2026-11-28-ci-key-in-public-repo.yaml");
    const before = readFileSync(path, "utf8");
    const again = await run(cwd, ["--access-key", key, "--title", "CI key in public repo", "--mode", "deny-all"]);
    expect(again).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "cordon new: incidents/2026-11-28-ci-key-in-public-repo.yaml already exists: new never overwrites an incident; edit that file, or choose another --id\n",
    });
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  it("refuses an id already used by a file in a sub-folder, or as .yml", async () => {
    const cwd = workdir();
    mkdirSync(join(cwd, "incidents", "2026"), { recursive: true });
    writeFileSync(join(cwd, "incidents", "2026", "2026-11-28-moved.yml"), "id: 2026-11-28-moved\n");
    const result = await run(cwd, [...DANA, "--title", "Moved", "--id", "2026-11-28-moved"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "cordon new: incidents/2026/2026-11-28-moved.yml already exists: new never overwrites an incident; edit that file, or choose another --id\n",
    );
  });

  it("an unknown key: NoSuchEntity, exit 1, nothing written", async () => {
    const cwd = workdir();
    const result = await run(cwd, ["--access-key", "AKIAZZZZZZZZZZZZZZZZ", "--title", "Unknown key"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "cordon new: --access-key AKIAZZZZZZZZZZZZZZZZ: IAM has no such key in the credentials' account (NoSuchEntity): check the key id; for a key already deleted, pass --user NAME to revoke the sessions it minted\n",
    });
    expect(existsSync(join(cwd, "incidents"))).toBe(false);
  });

  it("a looked-up key in another account than --account is refused", async () => {
    const key = await seedKey("ci-deployer");
    const result = await run(workdir(), ["--access-key", key, "--account", "210987654321", "--title", "Wrong account"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "cordon new: the AWS credentials are in account 123456789012, not --account 210987654321: IAM answered for the keys of account 123456789012; use credentials of account 210987654321, or pass --user NAME to skip the lookup\n",
    );
  });
});

describe("the AWS calls it makes are the ones it declares", () => {
  // Mocked only inside this block: the moto tests above talk to the real emulator.
  let iamMock: AwsClientStub<IAMClient>;
  let stsMock: AwsClientStub<STSClient>;
  let trailMock: AwsClientStub<CloudTrailClient>;
  let ec2Mock: AwsClientStub<EC2Client>;
  beforeAll(() => {
    iamMock = mockClient(IAMClient);
    stsMock = mockClient(STSClient);
    trailMock = mockClient(CloudTrailClient);
    ec2Mock = mockClient(EC2Client);
  });
  afterAll(() => {
    iamMock.restore();
    stsMock.restore();
    trailMock.restore();
    ec2Mock.restore();
  });

  it("--access-key alone calls exactly newPermissions, and for the roles CloudTrail's LookupEvents and, when an opt-in region refuses, EC2's DescribeRegions (newRolePermissions)", async () => {
    iamMock.reset();
    stsMock.reset();
    trailMock.reset();
    ec2Mock.reset();
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: "ci-deployer" });
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: "123456789012" });
    trailMock.on(LookupEventsCommand).callsFake(async (_input, getClient) => {
      if ((await getClient().config.region()) === "me-south-1")
        throw Object.assign(new Error("The security token included in the request is invalid."), {
          name: "UnrecognizedClientException",
          $metadata: { httpStatusCode: 400 },
        });
      return { Events: [] };
    });
    ec2Mock
      .on(DescribeRegionsCommand)
      .resolves({ Regions: [{ RegionName: "me-south-1", OptInStatus: "not-opted-in" }] });
    expect((await run(workdir(), ["--access-key", "AKIAIOSFODNN7EXAMPLE", "--title", "Declared calls"])).code).toBe(0);
    const called = [
      ...iamMock.calls().map((c) => `iam:${c.args[0].constructor.name}`),
      ...stsMock.calls().map((c) => `sts:${c.args[0].constructor.name}`),
      ...trailMock.calls().map((c) => `cloudtrail:${c.args[0].constructor.name}`),
      ...ec2Mock.calls().map((c) => `ec2:${c.args[0].constructor.name}`),
    ].map((a) => a.replace(/Command$/, ""));
    expect([...new Set(called)].sort()).toEqual([...newPermissions, ...newRolePermissions.cloudtrail].sort());
    // Every region once, for the one key; the account asked once.
    expect(trailMock.calls()).toHaveLength(36);
    expect(ec2Mock.calls()).toHaveLength(1);
  });

  it("--user and --account: no AWS call at all", async () => {
    iamMock.reset();
    stsMock.reset();
    expect(
      (
        await run(workdir(), [
          "--access-key",
          "AKIAIOSFODNN7EXAMPLE",
          "--user",
          "ci-deployer",
          "--account",
          "123456789012",
          "--title",
          "Offline",
        ])
      ).code,
    ).toBe(0);
    expect([iamMock.calls().length, stsMock.calls().length]).toEqual([0, 0]);
  });

  it("AccessDenied says that the key may be in another account, and how to go on (exit 2)", async () => {
    iamMock.reset();
    stsMock.reset();
    iamMock
      .on(GetAccessKeyLastUsedCommand)
      .rejects(Object.assign(new Error("User is not authorized"), { name: "AccessDenied" }));
    const result = await run(workdir(), ["--access-key", "AKIAIOSFODNN7EXAMPLE", "--title", "Denied"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "cordon new: --access-key AKIAIOSFODNN7EXAMPLE: IAM denied iam:GetAccessKeyLastUsed (AccessDenied): these credentials may not call it, or the key belongs to another account; pass --user NAME and --account ID, or use credentials allowed iam:GetAccessKeyLastUsed in the key's account\n",
    });
  });
});

describe("flags", () => {
  it.each([
    {
      args: [...DANA],
      message: 'cordon new: --title is required: what happened, in one line, such as --title "CI key in public repo"',
    },
    {
      args: ["--title", "x", "--account", "123456789012"],
      message:
        "cordon new: name at least one principal: --access-key ID (IAM finds its user), --user NAME, --role NAME or --root ACCOUNT",
    },
    {
      args: ["--title", "x", "--access-key", "akia123"],
      message:
        'cordon new: --access-key: found "akia123", expected an access key id: AKIA followed by 16 of A-Z and 0-9',
    },
    {
      args: ["--title", "x", "--access-key", "ASIAIOSFODNN7EXAMPLE"],
      message:
        "cordon new: --access-key ASIAIOSFODNN7EXAMPLE: a temporary key (ASIA...) cannot be disabled; the cutoff revokes it: pass the user or role that minted it (--user, --role)",
    },
    {
      // Shaped like a secret access key: the message must never echo it.
      args: ["--title", "x", "--access-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
      message:
        "cordon new: --access-key: found what looks like a secret access key (40 characters, not shown), expected an access key id (AKIA...): treat the key as exposed, and clear your shell history",
    },
    {
      args: ["--title", "x", "--user", "a b"],
      message: 'cordon new: --user "a b": expected an IAM user name: 1 to 64 of letters, digits and +=,.@_-',
    },
    {
      args: ["--title", "x", "--role", "a/b"],
      message: 'cordon new: --role "a/b": expected an IAM role name: 1 to 64 of letters, digits and +=,.@_-',
    },
    {
      args: ["--title", "x", "--user", "dana", "--account", "1234"],
      message: 'cordon new: --account "1234": expected an AWS account id of 12 digits',
    },
    {
      args: ["--title", "x", "--user", "dana", "--mode", "deny"],
      message: 'cordon new: --mode "deny": expected one of revoke-older-sessions, deny-all',
    },
    {
      args: ["--title", "x", "--user", "dana", "--id", "Bad_Id"],
      message:
        'cordon new: --id "Bad_Id": expected 3 to 64 of lowercase letters, digits and dashes, starting with a letter or digit',
    },
    {
      args: ["--title", "x", "--user", "dana", "--cutoff", "yesterday"],
      message:
        'cordon new: --cutoff "yesterday": expected at-containment or an RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z',
    },
    {
      args: ["--title", "x", "--user", "dana", "--cutoff", "2026-02-29T10:00:00Z"],
      message:
        'cordon new: --cutoff "2026-02-29T10:00:00Z": no such instant: February 2026 has 28 days; expected a real RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z',
    },
    {
      args: ["--title", " \n ", "--user", "dana"],
      message:
        'cordon new: --title: found no text, expected what happened, in one line, such as --title "CI key in public repo"',
    },
    {
      args: ["--title", "x", "--user", "dana", "extra"],
      message: 'cordon new: unexpected argument "extra": every value is given with a flag',
    },
  ])("usage error: $message", async ({ args, message }) => {
    const cwd = workdir();
    const result = await run(cwd, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(usageOutput(message));
    expect(result.stderr).not.toContain("wJalrXUtnFEMI");
    expect(existsSync(join(cwd, "incidents"))).toBe(false);
  });

  it.each([
    {
      what: "the root user",
      args: ["--user", "root"],
      diagnostic:
        'E_ROOT_USER user "root": the root user is not an IAM user, and IAM policies cannot restrict it: name it under rootUsers (account: "123456789012") with organization: { scp: true }, which a member account\'s SCP restrains',
    },
    {
      what: "a cutoff in the future",
      args: ["--user", "dana", "--cutoff", "2026-11-28T03:00:00Z"],
      diagnostic:
        "E_CUTOFF_FUTURE cutoff: found 2026-11-28T03:00:00Z, more than 5 minutes after now (2026-11-28T02:16:00Z): a future cutoff would deny sessions that were minted after containment; use the instant the key was disabled, or at-containment",
    },
  ])("what the loader refuses is not written, with the loader's explanation: $what", async ({ args, diagnostic }) => {
    const cwd = workdir();
    const result = await run(cwd, ["--title", "x", "--account", "123456789012", ...args]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: `cordon new: incidents/2026-11-28-x.yaml not written: it would be invalid:\n  ${diagnostic}\n`,
    });
    expect(existsSync(join(cwd, "incidents", "2026-11-28-x.yaml"))).toBe(false);
  });

  it("--dir, --id, --mode and an explicit --cutoff are written as given", async () => {
    const cwd = workdir();
    const result = await run(cwd, [
      "--title",
      "Laptop",
      "--user",
      "svc-backup",
      "--account",
      "012345678901",
      "--mode",
      "deny-all",
      "--cutoff",
      "2026-11-27T21:30:00+01:00",
      "--dir",
      "incidents/ops",
      "--id",
      "2026-11-27-laptop",
    ]);
    expect(result.code).toBe(0);
    const [incident] = loadIncidentPaths(["incidents/ops"], cwd, new Date(NOW)).incidents;
    expect(incident).toMatchObject({
      id: "2026-11-27-laptop",
      account: "012345678901",
      mode: "deny-all",
      cutoff: "2026-11-27T20:30:00Z",
      users: [{ name: "svc-backup", accessKeys: [] }],
      roles: [],
    });
    expect(readFileSync(join(cwd, "incidents/ops/2026-11-27-laptop.yaml"), "utf8").split("\n")[0]).toBe(
      "# yaml-language-server: $schema=../../schema/incident.schema.json",
    );
  });

  it("--ticket is written as the ticket field (the contain workflow passes it through), and without it the field stays a comment", async () => {
    const cwd = workdir();
    expect((await run(cwd, ["--title", "With ticket", ...DANA, "--ticket", "SEC-1234: #pager"])).code).toBe(0);
    expect((await run(cwd, ["--title", "Without", ...DANA])).code).toBe(0);
    const loaded = loadIncidentPaths(["incidents"], cwd, new Date(NOW)).incidents;
    expect(loaded.find((i) => i.id === "2026-11-28-with-ticket")?.ticket).toBe("SEC-1234: #pager");
    expect(loaded.find((i) => i.id === "2026-11-28-without")).toBeDefined();
    expect(loaded.find((i) => i.id === "2026-11-28-without")?.ticket).toBeUndefined();
    expect(readFileSync(join(cwd, "incidents/2026-11-28-without.yaml"), "utf8")).toContain("\n# ticket: SEC-1234\n");
  });
});

describe("beside the incidents already in the folder", () => {
  /** An existing incident of `new --title Existing`, written by new itself. */
  async function withExisting(args: string[]): Promise<string> {
    const cwd = workdir();
    const result = await run(cwd, [
      "--title",
      "Existing",
      "--id",
      "2026-11-27-existing",
      "--cutoff",
      "2026-11-28T01:00:00Z",
      ...args,
    ]);
    expect(result.code).toBe(0);
    return cwd;
  }

  it.each([
    {
      what: "a key under another user",
      existing: ["--user", "alice", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--account", "123456789012"],
      args: ["--user", "bob", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--account", "123456789012"],
      collision:
        'incidents/2026-11-28-x.yaml:26:18 E_KEY_TWO_USERS users[0].accessKeys[0]: key AKIAIOSFODNN7EXAMPLE is listed under user "alice" in incidents/2026-11-27-existing.yaml: an access key belongs to exactly one user',
    },
    {
      what: "a key under another account",
      existing: ["--user", "alice", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--account", "210987654321"],
      args: ["--user", "alice", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--account", "123456789012"],
      collision:
        "incidents/2026-11-28-x.yaml:26:18 E_KEY_TWO_ACCOUNTS users[0].accessKeys[0]: key AKIAIOSFODNN7EXAMPLE is listed under account 210987654321 in incidents/2026-11-27-existing.yaml, and here under account 123456789012: an access key belongs to exactly one account (the stack of the other would fail to deploy); list it under the user of its account",
    },
  ])("refuses $what before writing, exit 1", async ({ existing, args, collision }) => {
    const cwd = await withExisting(existing);
    const result = await run(cwd, ["--title", "x", ...args]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `cordon new: incidents/2026-11-28-x.yaml not written: it collides with the incidents already in incidents:\n  ${collision}\n`,
    });
    expect(existsSync(join(cwd, "incidents", "2026-11-28-x.yaml"))).toBe(false);
  });

  it("refuses an id that another file already declares, whatever its name", async () => {
    const cwd = workdir();
    mkdirSync(join(cwd, "incidents", "old"), { recursive: true });
    writeFileSync(
      join(cwd, "incidents", "old", "renamed.yaml"),
      'id: 2026-11-28-x\ntitle: t\naccount: "123456789012"\ncutoff: 2026-11-28T01:00:00Z\nusers: [{ name: dana }]\n',
    );
    const result = await run(cwd, ["--title", "x", ...DANA]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("E_DUPLICATE_ID");
    expect(existsSync(join(cwd, "incidents", "2026-11-28-x.yaml"))).toBe(false);
  });

  it("is not blamed for what is already wrong in the folder", async () => {
    const cwd = workdir();
    mkdirSync(join(cwd, "incidents"));
    writeFileSync(join(cwd, "incidents", "broken.yaml"), "id: broken\n");
    const result = await run(cwd, ["--title", "x", ...DANA]);
    expect(result.code).toBe(0);
  });

  it.each([
    [
      "--user",
      "Deploy",
      "deploy",
      "user",
      'user "deploy" is written "Deploy", as incidents/2026-11-27-existing.yaml spells it: IAM takes both for one user, and cordon names its resources after one spelling',
    ],
    [
      "--role",
      "Builder",
      "builder",
      "role",
      'role "builder" is written "Builder", as incidents/2026-11-27-existing.yaml spells it: IAM takes both for one role, and cordon names its resources after one spelling',
    ],
  ])(
    "writes a principal spelled another way (%s %s, then %s) as the folder spells it, with a note (issue 19: it refused, exit 1)",
    async (flag, existing, given, type, note) => {
      const cwd = await withExisting([flag, existing, "--account", "123456789012"]);
      const result = await run(cwd, ["--title", "x", flag, given, "--account", "123456789012"]);
      expect([result.code, result.stderr]).toEqual([0, `cordon new: note: ${note}\n`]);
      const loaded = loadIncidentPaths(["incidents"], cwd, new Date(NOW));
      expect(loaded.errors).toEqual([]);
      expect(
        loaded.incidents.find((i) => i.id === "2026-11-28-x")![type === "user" ? "users" : "roles"].map((p) => p.name),
      ).toEqual([existing]);
    },
  );

  it("any spelling of an existing principal is written as the folder spells it, and the folder stays valid", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-z][a-z0-9-]{1,8}$/),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        fc.constantFrom("--user", "--role"),
        async (name, upper, flag) => {
          const respelled = Array.from(name, (char, i) => (upper[i] ? char.toUpperCase() : char)).join("");
          const cwd = await withExisting([flag, name, "--account", "123456789012"]);
          const result = await run(cwd, ["--title", "x", flag, respelled, "--account", "123456789012"]);
          expect(result.code).toBe(0);
          expect(result.stderr === "").toBe(respelled === name);
          const loaded = loadIncidentPaths(["incidents"], cwd, new Date(NOW));
          expect(loaded.errors).toEqual([]);
          const written = loaded.incidents.find((i) => i.id === "2026-11-28-x")!;
          expect([...written.users, ...written.roles].map((p) => p.name)).toEqual([name]);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("once it knows the key, new writes the incident whatever was typed (issue 19: contain failed after it knew the key)", () => {
  const KEY = "AKIAIOSFODNN7EXAMPLE";
  const write = async (...args: string[]) => {
    const cwd = workdir();
    const result = await run(cwd, ["--access-key", KEY, ...DANA, "--id", "2026-11-28-typed", ...args]);
    const loaded = loadIncidentPaths(["incidents"], cwd, new Date(NOW));
    return { ...result, loaded };
  };

  it.each([
    {
      what: "a title over 200 characters, shortened at a whole character",
      args: ["--title", `${"é".repeat(150)} ${"🏳️‍🌈".repeat(60)}`],
      title: `${"é".repeat(150)} ${"🏳️‍🌈".repeat(12)}…`,
      notes: ['--title had 211 characters, more than the 200 it may have: shortened to 200, ending with "…"'].map((n) =>
        n.replace("211", String([...`${"é".repeat(150)} ${"🏳️‍🌈".repeat(60)}`].length)),
      ),
    },
    {
      what: "a title of several lines",
      args: ["--title", "CI key\r\nin a public\n\nrepository"],
      title: "CI key in a public repository",
      notes: ["--title had 3 lines: joined into one"],
    },
    {
      what: "a blank title",
      args: ["--title", "  "],
      title: `Exposed access key ${KEY}`,
      notes: [`--title was blank: written "Exposed access key ${KEY}"`],
    },
    {
      what: "a secret pasted into the title",
      args: ["--title", "key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked"],
      title: "key (secret not shown) leaked",
      notes: [
        '--title held what looks like a secret access key: written as "(secret not shown)"; treat that key as exposed',
      ],
    },
    {
      what: "a ticket over 100 characters",
      args: ["--title", "t", "--ticket", `https://tracker.example.com/${"x".repeat(100)}`],
      ticket: `https://tracker.example.com/${"x".repeat(71)}…`,
      notes: ['--ticket had 128 characters, more than the 100 it may have: shortened to 100, ending with "…"'],
    },
    {
      what: "a ticket of several lines",
      args: ["--title", "t", "--ticket", "SEC-1\nSEC-2"],
      ticket: "SEC-1 SEC-2",
      notes: ["--ticket had 2 lines: joined into one"],
    },
    {
      what: "a blank ticket",
      args: ["--title", "t", "--ticket", " "],
      ticket: undefined,
      notes: ["--ticket was blank: no ticket written"],
    },
  ])("$what: written, with a note", async ({ args, title, ticket, notes }) => {
    const result = await write(...args);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(notes.map((note) => `cordon new: note: ${note}\n`).join(""));
    expect(result.loaded.errors).toEqual([]);
    const [incident] = result.loaded.incidents;
    if (title !== undefined) expect(incident.title).toBe(title);
    if (args.includes("--ticket")) expect(incident.ticket).toBe(ticket);
  });

  it("for any title and ticket (any characters, any length, any lines): exit 0, a valid file, within the field's length", async () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 400 }),
      fc.string({ unit: "grapheme", maxLength: 300 }),
      fc.constantFrom("", " ", "\n", "a".repeat(201), "🏳️‍🌈".repeat(80)),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.option(text, { nil: undefined }), async (title, ticket) => {
        // As the contain workflow passes them (--title=VALUE): a value that starts with "-" given as
        // a separate argument is refused by the flag parser as ambiguous (a usage error, exit 2).
        const result = await write(`--title=${title}`, ...(ticket === undefined ? [] : [`--ticket=${ticket}`]));
        expect([result.code, result.loaded.errors]).toEqual([0, []]);
        const [incident] = result.loaded.incidents;
        expect([...incident.title].length).toBeLessThanOrEqual(TITLE_MAX_LENGTH);
        expect([...(incident.ticket ?? "")].length).toBeLessThanOrEqual(TICKET_MAX_LENGTH);
        expect(incident.title).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 60 },
    );
  });
});

describe("a cutoff that revokes nothing: refused, as guard refuses to add it", () => {
  const STALE =
    "cordon new: --cutoff 2025-11-28T01:00:00Z: 8,761 h before now (2026-11-28T02:16:00Z), longer ago than the longest session it revokes can live (36 h): the incident would revoke no session still alive and expire as soon as written, and guard refuses to add an incident that has already expired; a cutoff in the wrong year? Give the instant the key was disabled, or at-containment; run `npx cordon new --help` for its options\n";

  it("a year old: exit 2, said before anything else, nothing written", async () => {
    const cwd = workdir();
    const result = await run(cwd, ["--title", "x", ...DANA, "--cutoff", "2025-11-28T01:00:00Z"]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: STALE });
    expect(existsSync(join(cwd, "incidents", "2026-11-28-x.yaml"))).toBe(false);
  });

  it("refused exactly when guard would refuse the file it would write (36 h with a user, 12 h with roles only)", async () => {
    const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString().replace(/\.000Z$/, "Z");
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 80 * 60 }), fc.boolean(), async (minutesAgo, withUser) => {
        const cutoff = at(-minutesAgo);
        const principal = [withUser ? "--user" : "--role", "dana", "--account", "123456789012"];
        const args = ["--title", "x", "--id", "2026-11-28-x", ...principal, "--cutoff", cutoff];
        // The file new writes, written at its cutoff (never stale then), judged by guard now.
        const then = workdir();
        const io = memoryIo({ cwd: then });
        expect(await main(["new", ...args, "--now", cutoff], io)).toBe(0);
        const file = "incidents/2026-11-28-x.yaml";
        const loaded = loadIncidents([{ path: file, text: readFileSync(join(then, file), "utf8") }], {
          now: new Date(NOW),
        });
        const refused = guardChange([], loaded.incidents, new Date(NOW)).violations.some(
          (v) => v.kind === "added-expired",
        );
        expect(refused).toBe(minutesAgo >= (withUser ? 36 : 12) * 60);

        const cwd = workdir();
        const result = await run(cwd, args);
        expect(result.code).toBe(refused ? 2 : 0);
        expect(existsSync(join(cwd, file))).toBe(!refused);
        expect(result.stderr.includes("--cutoff")).toBe(refused);
      }),
      { numRuns: 25 },
    );
  });

  it("is no mistake while a holdUntil still holds the incident: plan warns only once the hold has passed", async () => {
    // A holdUntil can only extend the incident: from its expiry (36 h after the cutoff) on.
    const holds = fc
      .integer({ min: 36 * 60, max: 400 * 60 })
      .chain((minutesAgo) =>
        fc.tuple(fc.constant(minutesAgo), fc.integer({ min: 36 * 60 - minutesAgo, max: 48 * 60 })),
      );
    await fc.assert(
      fc.asyncProperty(holds, async ([minutesAgo, holdInMinutes]) => {
        const at = (minutes: number) =>
          new Date(Date.parse(NOW) + minutes * 60_000).toISOString().replace(/\.000Z$/, "Z");
        const cwd = workdir();
        // Written when the cutoff was recent (new refuses a stale one), then held by hand.
        const io = memoryIo({ cwd });
        const args = ["--title", "x", "--id", "2026-11-28-x", ...DANA, "--cutoff", at(-minutesAgo)];
        expect(await main(["new", ...args, "--now", at(-minutesAgo)], io)).toBe(0);
        appendFileSync(join(cwd, "incidents", "2026-11-28-x.yaml"), `holdUntil: ${at(holdInMinutes)}\n`);
        const plan = memoryIo({ cwd });
        expect(await main(["plan", "--now", NOW], plan)).toBe(0);
        expect(plan.stderr.includes("cordon plan: warning: incident 2026-11-28-x: cutoff")).toBe(holdInMinutes <= 0);
      }),
      { numRuns: 15 },
    );
  });
});

describe("the id and the file text", () => {
  it.each([
    ["CI key in public repo", "2026-11-28-ci-key-in-public-repo"],
    ["  Clé d'accès: dans un ticket #1234!  ", "2026-11-28-cle-d-acces-dans-un-ticket-1234"],
    ["鍵が漏れた", "2026-11-28-incident"],
    ["a".repeat(60), "2026-11-28-incident"],
    ["word ".repeat(30), `2026-11-28${"-word".repeat(10)}`],
  ])("title %j gives id %s", (title, id) => {
    const generated = defaultIncidentId(title, new Date(NOW));
    expect(generated).toBe(id);
    expect(generated).toMatch(/^[a-z0-9][a-z0-9-]{2,63}$/);
  });

  const base = {
    id: "2026-11-28-text",
    account: "000000000001",
    writtenAt: new Date(NOW),
    schemaPath: "../schema/incident.schema.json",
  };
  it.each([
    {
      what: "a title with YAML syntax in it",
      title: 'key: "leaked" # in a #channel - [yes]',
      mode: "revoke-older-sessions" as const,
      cutoff: "at-containment",
      users: [{ name: "u", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
      roles: [],
    },
    {
      what: "roles only, deny-all",
      title: "Role",
      mode: "deny-all" as const,
      cutoff: "2026-11-28T01:00:00Z",
      users: [],
      roles: [{ name: "deploy" }, { name: "analytics" }],
    },
    {
      what: "a user without keys",
      title: "User",
      mode: "revoke-older-sessions" as const,
      cutoff: "at-containment",
      users: [{ name: "dana", accessKeys: [] }],
      roles: [],
    },
  ])("the template loads back to what was asked: $what", ({ what: _, ...spec }) => {
    const text = incidentTemplate({ ...base, ...spec });
    const loaded = loadIncidents([{ path: "incidents/2026-11-28-text.yaml", text }], { now: new Date(NOW) });
    expect(loaded.errors).toEqual([]);
    expect(loaded.incidents[0]).toMatchObject({
      title: spec.title,
      mode: spec.mode,
      cutoff: spec.cutoff,
      account: "000000000001",
      users: spec.users.map((u) => ({ ...u, keep: { ...NOTHING_KEPT } })),
      roles: spec.roles,
    });
  });
});

describe("through the real CLI", () => {
  // The command a user runs: the bin that `npm ci` links, started by the Node.js running the tests.
  const cordon = (args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) =>
    promisify(execFile)(
      process.execPath,
      [resolve(import.meta.dirname, "..", "node_modules", ".bin", "cordon"), ...args],
      options,
    );

  it("writes the file from a child process", async () => {
    const cwd = workdir();
    const { stdout } = await cordon(
      [
        "new",
        "--title",
        "CI key in public repo",
        "--user",
        "ci-deployer",
        "--access-key",
        "AKIAIOSFODNN7EXAMPLE",
        "--account",
        "123456789012",
        "--now",
        NOW,
      ],
      { cwd },
    );
    expect(stdout.split("\n")[0]).toBe(
      "wrote incidents/2026-11-28-ci-key-in-public-repo.yaml (cutoff: at-containment)",
    );
    expect(loadIncidentPaths(["incidents"], cwd, new Date(NOW)).incidents.map((i) => i.users)).toEqual([
      [
        {
          name: "ci-deployer",
          account: "123456789012",
          accessKeys: ["AKIAIOSFODNN7EXAMPLE"],
          keep: { ...NOTHING_KEPT },
          deactivateMfaDevices: [],
        },
      ],
    ]);
  });

  it("without credentials, says to pass --user and --account (exit 2)", async () => {
    const cwd = workdir();
    const empty = join(cwd, "no-such-aws-config");
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: cwd,
      AWS_CONFIG_FILE: empty,
      AWS_SHARED_CREDENTIALS_FILE: empty,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const result = await cordon(
      ["new", "--title", "No credentials", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--now", NOW],
      { cwd, env },
    ).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result).toEqual({
      code: 2,
      stderr:
        "cordon new: no AWS credentials found to ask IAM who owns the key: pass --user NAME and --account ID, or run with credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)\n",
    });
  });
});

// Both wait out the SDK's bound (REQUEST_LIMITS, no user option shortens it: it is what production
// waits) on their own wedged server, and neither reads what the other changes: run side by side.
/** `cordon` as users call it, in `cwd` with `env` alone: its exit code and what it printed. */
const cordon = (args: string[], cwd: string, env: NodeJS.ProcessEnv) =>
  promisify(execFile)(
    process.execPath,
    [resolve(import.meta.dirname, "..", "node_modules", ".bin", "cordon"), ...args],
    {
      cwd,
      env,
    },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );

/** What a process needs to reach `endpoint` as AWS, and nothing of this one's. */
const wedgedEnv = (endpoint: string, home: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? "",
  HOME: home,
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_EC2_METADATA_DISABLED: "true",
});

/** One process against an endpoint that never answers: what it printed, how long it took, how often it connected. */
interface WedgedRun {
  result: { code: number; stdout: string; stderr: string };
  seconds: number;
  connections: number;
  cwd: string;
}

async function againstWedged(
  run: (env: NodeJS.ProcessEnv, cwd: string) => ReturnType<typeof cordon>,
): Promise<WedgedRun> {
  const wedged = await startWedgedServer();
  try {
    const cwd = workdir();
    const result = await run(wedgedEnv(wedged.url, cwd), cwd);
    // From the first request on: what the bound governs, not the CLI's start on a loaded machine.
    const asked = wedged.firstConnectedAt();
    const seconds = asked === undefined ? -1 : (performance.now() - asked) / 1000;
    return { result, seconds, connections: wedged.connections(), cwd };
  } finally {
    await wedged.close();
  }
}

/**
 * The clients of the program, verify and assess (`awsClients`) as those commands make them, in a
 * process of their own from its environment: one listing of a user's credentials; prints the
 * error's message and how long the listing took.
 */
const LISTING = `
const { awsClients } = await import(${JSON.stringify(pathToFileURL(resolve(import.meta.dirname, "..", "aws", "clients.ts")).href)});
const { listUserCredentials } = await import(${JSON.stringify(pathToFileURL(resolve(import.meta.dirname, "..", "aws", "credentials.ts")).href)});
const clients = awsClients();
const started = performance.now();
try {
  await listUserCredentials(clients, "123456789012", "ci-deployer");
  console.log(JSON.stringify({ message: null }));
} catch (error) {
  console.log(JSON.stringify({ message: error.message, seconds: (performance.now() - started) / 1000 }));
} finally {
  for (const client of Object.values(clients)) client.destroy();
}
`;

// Each waits out the SDK's real bound (3 attempts of 5 s), which no option shortens: both start
// before the file's other tests and wait beside them, each in a process and environment of its own.
let wedgedNew: Promise<WedgedRun>;
let wedgedListing: Promise<WedgedRun>;
beforeAll(() => {
  wedgedNew = againstWedged((env, cwd) =>
    cordon(["new", "--title", "Wedged", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--now", NOW], cwd, env),
  );
  wedgedListing = againstWedged((env, cwd) =>
    promisify(execFile)(process.execPath, ["--input-type=module", "--eval", LISTING], { cwd, env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    ),
  );
  // Awaited by their tests, seconds later: a failure meanwhile is theirs to report, not an unhandled rejection.
  for (const run of [wedgedNew, wedgedListing]) run.catch(() => {});
});

describe("no endpoint can hold new (the contain workflow waits for it)", () => {
  it("IAM and STS accept the connection and never answer: new gives up within its bound, says so, exit 2", async () => {
    const { result, seconds, connections, cwd } = await wedgedNew;
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `cordon new: could not call iam:GetAccessKeyLastUsed: no answer within ${REQUEST_LIMITS.requestHandler.requestTimeout / 1000} s, ${REQUEST_LIMITS.maxAttempts} times (TimeoutError); pass --user NAME and --account ID to write the file without AWS\n`,
    );
    // Every attempt reached the endpoint, and none was answered: the bound is the SDK's timeouts.
    expect(connections).toBeGreaterThanOrEqual(REQUEST_LIMITS.maxAttempts);
    // IAM and STS are asked at once: one call's bound, not two.
    expect(seconds).toBeLessThan(CALL_BOUND_SECONDS + 3);
    expect(existsSync(join(cwd, "incidents"))).toBe(false);
  }, 60_000);

  it("the same for the clients of the program, verify and assess (awsClients): a listing gives up within the bound, saying why", async () => {
    const { result } = await wedgedListing;
    const listing = JSON.parse(result.stdout) as { message: string | null; seconds: number };
    expect(listing.message).toBe(
      "cannot reach AWS calling iam:GetUser (ETIMEDOUT): check the network, AWS_ENDPOINT_URL and the proxy settings",
    );
    expect(listing.seconds).toBeLessThan(CALL_BOUND_SECONDS + 1);
  }, 60_000);
});
