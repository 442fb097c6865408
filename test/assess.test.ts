/**
 * `assess` against moto_server: users, groups, managed and inline policies, keys and roles are
 * seeded through the SDK, then the command runs in-process and its JSON and text are checked.
 * Every run also checks that each AWS call it made is one `assessPermissions` declares.
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
  type GetAccessKeyLastUsedCommandInput,
  type GetUserCommandInput,
  type GetUserCommandOutput,
} from "@aws-sdk/client-iam";
import { GetAccessKeyInfoCommand } from "@aws-sdk/client-sts";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { assessPermissions } from "../aws/iam.ts";
import { isSecretShaped, SESSION_TOKEN_PREFIXES } from "../incident/secrets.ts";
import { recordedIam } from "./support/recorded-iam.ts";
import { usageOutput } from "./support/usage.ts";

const ACCOUNT = "123456789012";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";

const { iamMock, stsMock, seed, resetHistory } = recordedIam(assessPermissions, { serviceCredentials: true });

async function assess(...args: string[]) {
  const io = memoryIo();
  resetHistory();
  const code = await main(["assess", ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const trust = (principal: object) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }],
  });
const policy = (statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

/**
 * The night of docs/lifecycle.md: ci-deployer, administrator through its group, quarantined by AWS, one
 * exposed key and one older, disabled key; roles it can and cannot assume.
 */
async function seedJourney(): Promise<{ exposed: string; old: string }> {
  await seed(new CreateUserCommand({ UserName: "ci-deployer" }));
  await seed(new CreateGroupCommand({ GroupName: "deployers" }));
  await seed(new AddUserToGroupCommand({ GroupName: "deployers", UserName: "ci-deployer" }));
  await seed(new AttachGroupPolicyCommand({ GroupName: "deployers", PolicyArn: ADMIN }));
  await seed(
    new PutGroupPolicyCommand({
      GroupName: "deployers",
      PolicyName: "deny-billing",
      PolicyDocument: policy([{ Effect: "Deny", Action: "aws-portal:*", Resource: "*" }]),
    }),
  );
  await seed(new AttachUserPolicyCommand({ UserName: "ci-deployer", PolicyArn: QUARANTINE }));
  await seed(
    new PutUserPolicyCommand({
      UserName: "ci-deployer",
      PolicyName: "artifacts",
      PolicyDocument: policy([{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::artifacts/*" }]),
    }),
  );
  const old = (
    await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "ci-deployer" }))
  ).AccessKey.AccessKeyId;
  await seed(new UpdateAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: old, Status: "Inactive" }));
  const exposed = (
    await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "ci-deployer" }))
  ).AccessKey.AccessKeyId;
  await seed(
    new CreateRoleCommand({
      RoleName: "deploy",
      AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` }),
    }),
  );
  await seed(
    new CreateRoleCommand({
      RoleName: "backup-instance",
      AssumeRolePolicyDocument: trust({ Service: "ec2.amazonaws.com" }),
    }),
  );
  return { exposed, old };
}

describe("assess against moto", () => {
  it("tells what the exposed key's user can reach, in the words of docs/assess-verify.md, asking IAM once for each listing of the user", async () => {
    const { exposed, old } = await seedJourney();
    const [first, second] = [exposed, old].sort();
    const line = (id: string) => (id === exposed ? `${id} Active, never used ← exposed` : `${id} Inactive, never used`);
    const { code, stdout, stderr } = await assess("--access-key", exposed);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      [
        `user ci-deployer (groups: deployers) · account ${ACCOUNT}`,
        `2 access keys: ${line(first)} · ${line(second)}`,
        "quarantined by AWS (AWSCompromisedKeyQuarantineV3) · no console password · no MFA · no permissions boundary",
        `in a new incident (nothing kept): ${[first, second].map((id) => (id === exposed ? `${id} access key (exposed) → Inactive` : `${id} access key Inactive, kept so`)).join(" · ")}`,
        "policies: AWSCompromisedKeyQuarantineV3, inline artifacts, AdministratorAccess (group deployers), inline deny-billing (group deployers)",
        "can: administrator-equivalent through group deployers: AdministratorAccess → contain first, restore later",
        `can assume: arn:aws:iam::${ACCOUNT}:role/deploy · in other accounts, roles matching * that trust this account`,
        "room for cordon's policy: 9 of 10 managed policy attachments left (10 is the default quota; it can be raised) · 1,929 of 2,048 inline policy characters left",
        "",
      ].join("\n"),
    );
    expect(code).toBe(0);
    // The user's facts and its credential listing start from the same three reads: IAM is asked each once.
    const asked = (command: string) => iamMock.calls().filter((c) => c.args[0].constructor.name === command).length;
    expect([asked("GetUserCommand"), asked("ListAttachedUserPoliciesCommand"), asked("ListAccessKeysCommand")]).toEqual(
      [1, 1, 1],
    );
  });

  it("--json follows the contract", async () => {
    const { exposed, old } = await seedJourney();
    const { code, stdout } = await assess("--user", "ci-deployer", "--json");
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect({
      user: json.user,
      groups: json.groups,
      attachedPolicies: json.attachedPolicies,
      inlinePolicies: json.inlinePolicies,
      accessKeys: json.accessKeys.map((k: { accessKeyId: string; status: string; lastUsed: string | null }) => ({
        accessKeyId: k.accessKeyId,
        status: k.status,
        lastUsed: k.lastUsed,
      })),
      quarantined: json.quarantined,
      assumableRoles: json.assumableRoles,
      risk: { admin: json.risk.admin, iamWrite: json.risk.iamWrite },
    }).toEqual({
      user: "ci-deployer",
      groups: ["deployers"],
      attachedPolicies: ["AWSCompromisedKeyQuarantineV3", "AdministratorAccess"],
      inlinePolicies: ["artifacts", "deny-billing"],
      accessKeys: [
        { accessKeyId: exposed, status: "Active", lastUsed: null },
        { accessKeyId: old, status: "Inactive", lastUsed: null },
      ].sort((a, b) => (a.accessKeyId < b.accessKeyId ? -1 : 1)),
      quarantined: true,
      assumableRoles: [`arn:aws:iam::${ACCOUNT}:role/deploy`],
      risk: { admin: true, iamWrite: true },
    });
    expect(json).toMatchObject({
      account: ACCOUNT,
      userArn: `arn:aws:iam::${ACCOUNT}:user/ci-deployer`,
      permissionsBoundary: null,
      consolePassword: false,
      mfaDevices: [],
      quarantinePolicies: ["AWSCompromisedKeyQuarantineV3"],
      assumableRolesInOtherAccounts: ["*"],
      containmentOrder: { order: "contain-first", reason: "it is administrator-equivalent" },
      room: {
        inlineCharactersLeft: 1929,
        inlineCharactersQuota: 2048,
        managedAttachmentsUsed: 1,
        managedAttachmentsLeft: 9,
        managedAttachmentsQuota: 10,
      },
    });
    // --user names no exposed key.
    expect(json.accessKeys.map((k: { exposed: boolean }) => k.exposed)).toEqual([false, false]);
  });

  it("a read-only user: replace first, and only if what it reads is public", async () => {
    await seed(new CreateUserCommand({ UserName: "reports" }));
    await seed(
      new PutUserPolicyCommand({
        UserName: "reports",
        PolicyName: "read-site",
        PolicyDocument: policy([
          {
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:ListBucket"],
            Resource: ["arn:aws:s3:::public-site", "arn:aws:s3:::public-site/*"],
          },
        ]),
      }),
    );
    const key = (
      await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "reports" }))
    ).AccessKey.AccessKeyId;
    const { code, stdout } = await assess("--user", "reports");
    expect(code).toBe(0);
    expect(stdout).toContain(
      "can: read data through inline read-site → replace first, then contain: it can only read data: if that data is public, move the workload to a role first, then disable the key; if not, contain first\n",
    );
    expect(stdout).toContain("can assume: no role of this account\n");
    expect(stdout).toContain(`1 access key: ${key} Active, never used\n`);

    // After the first strike the key is Inactive already: there is no key left to disable.
    await seed(new UpdateAccessKeyCommand({ UserName: "reports", AccessKeyId: key, Status: "Inactive" }));
    const after = await assess("--user", "reports", "--json");
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).containmentOrder).toEqual({
      order: "replace-first",
      reason:
        "it can only read data, and its access key is already Inactive: move the workload to a role, and keep it Inactive",
    });
  });

  it("a permissions boundary caps what the policies grant", async () => {
    const boundary = await seed<{ Policy: { Arn: string } }>(
      new CreatePolicyCommand({
        PolicyName: "only-secrets",
        PolicyDocument: policy([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }]),
      }),
    );
    await seed(new CreateUserCommand({ UserName: "capped", PermissionsBoundary: boundary.Policy.Arn }));
    await seed(new AttachUserPolicyCommand({ UserName: "capped", PolicyArn: ADMIN }));
    // moto accepts the boundary but leaves it out of GetUser: IAM's answer is completed here.
    iamMock.on(GetUserCommand).callsFake(async (input: GetUserCommandInput) => {
      const answer = await seed<GetUserCommandOutput>(new GetUserCommand(input));
      return {
        ...answer,
        User: {
          ...answer.User,
          PermissionsBoundary: { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: boundary.Policy.Arn },
        },
      };
    });
    const { code, stdout } = await assess("--user", "capped", "--json");
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.permissionsBoundary).toBe(`arn:aws:iam::${ACCOUNT}:policy/only-secrets`);
    expect(json.risk).toMatchObject({
      admin: false,
      iamWrite: false,
      dataRead: true,
      secretsRead: true,
      dataWrite: false,
    });
    expect(json.containmentOrder).toEqual({ order: "contain-first", reason: "it can read secrets" });
  });

  it("console password, MFA, last use of a key, and no room left", async () => {
    await seed(new CreateUserCommand({ UserName: "busy" }));
    await seed(new CreateLoginProfileCommand({ UserName: "busy", Password: "correct-horse-battery-1A!" }));
    const mfa = await seed<{ VirtualMFADevice: { SerialNumber: string } }>(
      new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "busy" }),
    );
    await seed(
      new EnableMFADeviceCommand({
        UserName: "busy",
        SerialNumber: mfa.VirtualMFADevice.SerialNumber,
        AuthenticationCode1: "123456",
        AuthenticationCode2: "654321",
      }),
    );
    for (const name of [
      "ReadOnlyAccess",
      "IAMReadOnlyAccess",
      "AmazonS3ReadOnlyAccess",
      "AmazonEC2ReadOnlyAccess",
      "AWSLambda_ReadOnlyAccess",
      "CloudWatchReadOnlyAccess",
      "AmazonSQSReadOnlyAccess",
      "AmazonSNSReadOnlyAccess",
      "AmazonRDSReadOnlyAccess",
      "AmazonDynamoDBReadOnlyAccess",
    ]) {
      await seed(new AttachUserPolicyCommand({ UserName: "busy", PolicyArn: `arn:aws:iam::aws:policy/${name}` }));
    }
    const key = (await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "busy" })))
      .AccessKey.AccessKeyId;
    // moto does not record use of a key: IAM's answer is given here.
    iamMock.on(GetAccessKeyLastUsedCommand).callsFake(async (input: GetAccessKeyLastUsedCommandInput) => ({
      UserName: "busy",
      AccessKeyLastUsed:
        input.AccessKeyId === key
          ? { LastUsedDate: new Date("2026-11-28T01:58:00Z"), ServiceName: "s3", Region: "eu-west-1" }
          : undefined,
    }));
    const { code, stdout } = await assess("--access-key", key);
    expect(code).toBe(0);
    expect(stdout).toContain(`1 access key: ${key} Active, last used 2026-11-28T01:58:00Z (s3, eu-west-1) ← exposed\n`);
    expect(stdout).toContain("not quarantined by AWS · console password · MFA (1 device) · no permissions boundary\n");
    expect(stdout).toContain(
      "room for cordon's policy: 0 of 10 managed policy attachments left (10 is the default quota; it can be raised) · 2,048 of 2,048 inline policy characters left\n" +
        "no managed policy attachment left: `pulumi up` puts cordon's deny policy inline instead when it fits in the inline characters left, else leaves it out and fails; detach one, or raise the quota in Service Quotas\n",
    );
  });
});

describe("assess through the cordon bin, as users call it", () => {
  const BIN = resolve(import.meta.dirname, "..", "cli", "cordon.js");

  /** `node cli/cordon.js ARGS` from a folder outside the repository, against this file's moto. */
  async function cordon(...args: string[]) {
    const cwd = mkdtempSync(join(tmpdir(), "cordon-assess-"));
    try {
      // Not spawnSync: the proxy in front of moto answers from this process.
      const run = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd, env: process.env }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      return { code: run.code, stdout: run.stdout, stderr: run.stderr };
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }

  it("a key that can only read and assume role/hop: role/admin named through hop's trust, and contained first", async () => {
    await seed(new CreateUserCommand({ UserName: "ci" }));
    await seed(
      new PutUserPolicyCommand({
        UserName: "ci",
        PolicyName: "hop",
        PolicyDocument: policy([
          { Effect: "Allow", Action: "sts:AssumeRole", Resource: `arn:aws:iam::${ACCOUNT}:role/hop` },
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::public-site/*" },
        ]),
      }),
    );
    const key = (await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "ci" })))
      .AccessKey.AccessKeyId;
    const role = (RoleName: string, principal: object, Path?: string) =>
      seed(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trust(principal), ...(Path ? { Path } : {}) }));
    await role("hop", { AWS: `arn:aws:iam::${ACCOUNT}:root` });
    await role("admin", { AWS: `arn:aws:iam::${ACCOUNT}:role/hop` });
    await role("break-glass", { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/admin/oncall` }, "/ops/");
    await role("deploy", { AWS: ACCOUNT });
    await role("backup-instance", { Service: "ec2.amazonaws.com" });

    const { code, stdout, stderr } = await cordon("assess", "--access-key", key);
    expect(stderr).toBe("");
    expect(stdout.split("\n").slice(4, 8)).toEqual([
      "policies: inline hop",
      "can: read data through inline hop → contain first, restore later: it can assume roles whose permissions assess does not read",
      `can assume: arn:aws:iam::${ACCOUNT}:role/admin (via role/hop), arn:aws:iam::${ACCOUNT}:role/hop, arn:aws:iam::${ACCOUNT}:role/ops/break-glass (via role/hop → role/admin)`,
      `may also assume, if the policies of role/hop allow sts:AssumeRole (assess does not read a role's policies): arn:aws:iam::${ACCOUNT}:role/deploy`,
    ]);
    expect(code).toBe(0);

    const json = JSON.parse((await cordon("assess", "--access-key", key, "--json")).stdout);
    expect({
      assumableRoles: json.assumableRoles,
      assumableRoleChains: json.assumableRoleChains,
      mayAssumeRoles: json.mayAssumeRoles,
      containmentOrder: json.containmentOrder,
    }).toEqual({
      assumableRoles: [
        `arn:aws:iam::${ACCOUNT}:role/admin`,
        `arn:aws:iam::${ACCOUNT}:role/hop`,
        `arn:aws:iam::${ACCOUNT}:role/ops/break-glass`,
      ],
      assumableRoleChains: [
        { role: `arn:aws:iam::${ACCOUNT}:role/admin`, via: [`arn:aws:iam::${ACCOUNT}:role/hop`] },
        {
          role: `arn:aws:iam::${ACCOUNT}:role/ops/break-glass`,
          via: [`arn:aws:iam::${ACCOUNT}:role/hop`, `arn:aws:iam::${ACCOUNT}:role/admin`],
        },
      ],
      mayAssumeRoles: [{ role: `arn:aws:iam::${ACCOUNT}:role/deploy`, via: [`arn:aws:iam::${ACCOUNT}:role/hop`] }],
      containmentOrder: {
        order: "contain-first",
        reason: "it can assume roles whose permissions assess does not read",
      },
    });
  });

  // The report: a key that can mine on the account's bill, pass roles and destroy was told to move
  // the workload first and leave the key Active.
  it("a key that can run code, pass roles and destroy: contained first, naming what it found", async () => {
    await seed(new CreateUserCommand({ UserName: "miner-bot" }));
    await seed(
      new PutUserPolicyCommand({
        UserName: "miner-bot",
        PolicyName: "miner",
        PolicyDocument: policy([
          {
            Effect: "Allow",
            Action: ["ec2:*", "lambda:*", "iam:PassRole", "cloudformation:*", "ssm:SendCommand"],
            Resource: "*",
          },
        ]),
      }),
    );
    const { code, stdout, stderr } = await cordon("assess", "--user", "miner-bot");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain(
      // ec2:* and lambda:* read user data and environment variables, where secrets are put: the
      // line says so first, and needs no reason of its own.
      "can: read secrets through inline miner · run code or launch compute through inline miner · pass roles through inline miner · destroy resources through inline miner → contain first, restore later\n",
    );
    const json = JSON.parse((await cordon("assess", "--user", "miner-bot", "--json")).stdout);
    expect(json.containmentOrder).toEqual({ order: "contain-first", reason: "it can read secrets" });
    expect(json.risk).toMatchObject({
      admin: false,
      iamWrite: false,
      dataRead: true,
      secretsRead: true,
      dataWrite: false,
      compute: true,
      passRole: true,
      destroy: true,
      beyondReadOnly: ["cloudformation:*", "ec2:*", "iam:PassRole", "lambda:*", "ssm:SendCommand"],
    });
  });
});

describe("assess --user, through the cordon bin: a pasted secret", () => {
  const BIN = resolve(import.meta.dirname, "..", "cli", "cordon.js");
  /** Base64 without "/": every character of it is one IAM takes in a user's name. */
  const NAME_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+";
  const secrets = fc.oneof(
    fc
      .string({ unit: fc.constantFrom(...NAME_BASE64), minLength: 40, maxLength: 40 })
      .filter(isSecretShaped)
      .map((value) => ({ value, kind: "secret access key", what: "key" })),
    fc
      .tuple(
        fc.constantFrom(...SESSION_TOKEN_PREFIXES),
        fc.string({ unit: fc.constantFrom(...NAME_BASE64), minLength: 8, maxLength: 40 }),
      )
      .map(([prefix, rest]) => ({ value: prefix + rest, kind: "session token", what: "session" })),
  );

  it("is refused before IAM is asked (exit 2), and never printed", async () => {
    await fc.assert(
      fc.asyncProperty(secrets, async ({ value, kind, what }) => {
        resetHistory();
        const run = await promisify(execFile)(process.execPath, [BIN, "assess", "--user", value], {
          env: process.env,
        }).then(
          ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
        expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
          code: 2,
          stdout: "",
          stderr: usageOutput(
            `cordon assess: --user: found what looks like a ${kind} (not shown), expected an IAM user name; treat that ${what} as exposed`,
          ),
        });
      }),
      { numRuns: 5 },
    );
  });

  it("a name IAM would refuse is refused too, quoted", async () => {
    const { code, stderr } = await assess("--user", "ci deployer");
    expect(stderr).toBe(
      usageOutput(
        'cordon assess: --user "ci deployer": expected an IAM user name: 1 to 64 of letters, digits and +=,.@_-',
      ),
    );
    expect(code).toBe(2);
  });
});

describe("assess: wrong input", () => {
  it.each([
    [
      ["--user", "nobody"],
      'cordon assess: user "nobody" not found in account 123456789012: check the name (IAM user names, not role names)\n',
    ],
    [
      ["--access-key", "AKIAIOSFODNN7EXAMPLE"],
      "cordon assess: access key AKIAIOSFODNN7EXAMPLE not found in account 123456789012: check the key id (it may have been deleted)\n",
    ],
  ])("%j exits 1", async (args, message) => {
    const { code, stdout, stderr } = await assess(...args);
    expect(stdout).toBe("");
    expect(stderr).toBe(message);
    expect(code).toBe(1);
  });

  it("a key of another account exits 1 and names both accounts", async () => {
    stsMock.on(GetAccessKeyInfoCommand).resolves({ Account: "210987654321" });
    const { code, stderr } = await assess("--access-key", "AKIAIOSFODNN7EXAMPLE");
    expect(stderr).toBe(
      "cordon assess: access key AKIAIOSFODNN7EXAMPLE belongs to account 210987654321, but the credentials in use are for account 123456789012: run assess with credentials for 210987654321\n",
    );
    expect(code).toBe(1);
  });

  it.each([
    [[], "give exactly one of --access-key ID or --user NAME"],
    [["--user", "a", "--access-key", "AKIAIOSFODNN7EXAMPLE"], "give exactly one of --access-key ID or --user NAME"],
    [
      ["--access-key", "AKIAshort"],
      '--access-key "AKIAshort": expected an access key id, AKIA followed by 16 capital letters or digits',
    ],
    [["ci-deployer"], 'unexpected argument "ci-deployer": assess takes --access-key ID or --user NAME'],
    [["--usr", "x"], "unknown option --usr (did you mean --user?)"],
  ])("%j is a usage error (exit 2)", async (args, message) => {
    const { code, stdout, stderr } = await assess(...args);
    expect(stdout).toBe("");
    expect(stderr).toBe(usageOutput(`cordon assess: ${message}`));
    expect(code).toBe(2);
  });

  it("--help prints the usage on stdout", async () => {
    const { code, stdout } = await assess("--help");
    expect(stdout).toMatch(/^usage: npx cordon assess \(--access-key ID \| --user NAME\) \[--json\]\n/);
    expect(code).toBe(0);
  });
});

describe("assess: AWS cannot be asked", () => {
  const saved: Record<string, string | undefined> = {};
  const setEnv = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (!(key in saved)) saved[key] = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
      delete saved[key];
    }
  });

  it("without credentials: exit 2, and where to put them", async () => {
    setEnv({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_PROFILE: undefined,
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
      AWS_CONFIG_FILE: "/nonexistent/config",
    });
    const { code, stderr } = await assess("--user", "ci-deployer");
    expect(stderr).toBe(
      "cordon assess: no AWS credentials found: set AWS_PROFILE (and run `aws sso login` if it uses SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n",
    );
    expect(code).toBe(2);
  });

  it("when the endpoint does not answer: exit 2", async () => {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
    setEnv({ AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_MAX_ATTEMPTS: "1" });
    const { code, stderr } = await assess("--user", "ci-deployer");
    expect(stderr).toBe(
      "cordon assess: cannot reach AWS calling sts:GetCallerIdentity (ECONNREFUSED): check the network, AWS_ENDPOINT_URL and the proxy settings\n",
    );
    expect(code).toBe(2);
  });

  it("when IAM refuses a read: exit 2, naming the action to grant", async () => {
    await seed(new CreateUserCommand({ UserName: "ci-deployer" }));
    iamMock
      .on((await import("@aws-sdk/client-iam")).ListRolesCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
    const { code, stdout, stderr } = await assess("--user", "ci-deployer");
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "cordon assess: access denied: the credentials may not call iam:ListRoles; grant them the commands policy that `cordon permissions` prints\n",
    );
    expect(code).toBe(2);
  });

  it("when AWS rejects the credentials: exit 2", async () => {
    stsMock.reset();
    stsMock.rejects(
      Object.assign(new Error("The security token included in the request is invalid."), {
        name: "InvalidClientTokenId",
      }),
    );
    const { code, stderr } = await assess("--user", "ci-deployer");
    expect(stderr).toBe(
      "cordon assess: AWS rejected the credentials (InvalidClientTokenId) calling sts:GetCallerIdentity: refresh them (for SSO: `aws sso login`) and run again\n",
    );
    expect(code).toBe(2);
  });
});
