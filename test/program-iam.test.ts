/**
 * The program against moto's real IAM state (issue 9, points 2 to 4): under Pulumi mocks whose
 * invokes are answered from moto (MotoCloud), while the program's own reads (aws/deploy.ts) go to
 * the same moto through AWS_ENDPOINT_URL. Each test seeds IAM with the SDK, as a responder's account
 * would be, and checks what the program declares, or the message it stops with.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type Tag,
  UpdateUserCommand,
} from "@aws-sdk/client-iam";
import { readLiveKeys } from "../aws/iam.ts";
import { keyChecks } from "../verify/checks.ts";
import { STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { actionOfCommand as actionOf, awsClients } from "../aws/clients.ts";
import { credentialReadPermissions } from "../aws/credentials.ts";
import { deployIam, programReadPermissions } from "../aws/deploy.ts";
import { deployDeclarations } from "../commands/permissions.ts";
import { deployPermissions } from "../components/permissions.ts";
import program from "../index.ts";
import { PROGRAM_SAID_WHY, uncontainedMessage, withheldMessage } from "../program/deploy.ts";
import { deployPolicy, notGranted } from "../permissions/policies.ts";
import type { StackOutputs } from "../plan/outputs.ts";
import { policySize } from "../plan/policies.ts";
import { motoForSuite, type Moto } from "./support/moto.ts";
import { declared, MotoCloud, projectTempDir, resource, runProgram, type ProgramRun } from "./support/pulumi-mocks.ts";

const ACCOUNT = "123456789012";
const PROJECT_DIR = resolve(import.meta.dirname, "..");
const CONTAINED_AT = "2026-11-28T12:26:00Z";
/** Its cutoff: the instant plus IAM's propagation margin (two minutes). */
const CUTOFF = "2026-11-28T12:28:00Z";
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

// No AWS managed policies: every policy here is seeded, and resets stay fast.
const suite = motoForSuite({ managedPolicies: false, serviceCredentials: true });
let moto: Moto;
let iam: IAMClient;
let dir: string;

beforeAll(() => {
  iam = new IAMClient({});
});
beforeEach(async () => {
  moto = suite.current();
  await moto.reset();
  dir = projectTempDir("cordon-program-iam-");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// Seeding, as a responder's account would be.
async function user(name: string): Promise<void> {
  await iam.send(new CreateUserCommand({ UserName: name }));
}
async function accessKey(userName: string): Promise<string> {
  return (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!;
}
async function role(name: string, options: { path?: string; tags?: Tag[] } = {}): Promise<void> {
  await iam.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST, Path: options.path, Tags: options.tags }),
  );
}
async function customerPolicies(count: number, prefix = "team"): Promise<string[]> {
  const arns: string[] = [];
  for (let i = 0; i < count; i++) {
    const document = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${prefix}-${i}` }],
    });
    arns.push(
      (await iam.send(new CreatePolicyCommand({ PolicyName: `${prefix}-${i}`, PolicyDocument: document }))).Policy!
        .Arn!,
    );
  }
  return arns;
}
/** An inline policy of about `size` characters as IAM counts them (no white space). */
function inlineDocument(size: number): string {
  const resources: string[] = [];
  const text = () =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: resources }],
    });
  do resources.push(`arn:aws:s3:::bucket-${String(resources.length).padStart(6, "0")}/*`);
  while (policySize(text()) < size - 40);
  return text();
}

function incidentFile(id: string, lines: string[]): void {
  writeFileSync(
    join(dir, `${id}.yaml`),
    [`id: ${id}`, "title: t", `account: "${ACCOUNT}"`, "cutoff: at-containment", ...lines, ""].join("\n"),
  );
}

function up(cloud = new MotoCloud(moto.env, { now: new Date(CONTAINED_AT) })): Promise<ProgramRun> {
  return runProgram(program, { cloud, config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": dir } });
}

const outputsOf = (run: ProgramRun) => run.outputs as unknown as StackOutputs;
/**
 * A cloud whose stack state records `policy` as cordon's own (what an earlier `pulumi up` that
 * created it leaves): the engine reads it back for the program through its builtin invokes.
 */
function withOwnPolicy(policy: { Arn?: string; PolicyId?: string } | undefined): MotoCloud {
  const cloud = new MotoCloud(moto.env, { now: new Date(CONTAINED_AT) });
  const stack = `prod-${ACCOUNT}`;
  cloud.otherStacks[stack] = { account: ACCOUNT };
  cloud.stackResources[stack] = {
    [`urn:pulumi:${stack}::cordon::cordon:iam:SessionRevocation$aws:iam/policy:Policy::own`]: {
      type: "aws:iam/policy:Policy",
      outputs: { arn: policy?.Arn, policyId: policy?.PolicyId },
    },
  };
  return cloud;
}
/** The incident file as the program's messages name it: relative to the project folder. */
const fileShown = () => relative(PROJECT_DIR, join(dir, "2026-11-28-ci-key.yaml"));

describe("point 2: a key deleted by hand is contained, a key of another user is an error", () => {
  it("imports a key IAM lists under its user", async () => {
    await user("ci-deployer");
    const key = await accessKey("ci-deployer");
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: ci-deployer", `    accessKeys: [${key}]`]);
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(resource(run, "aws:iam/accessKey:AccessKey", `${ACCOUNT}-ci-deployer-${key}`).importId).toBe(key);
    expect(outputsOf(run).incidents["2026-11-28-ci-key"].goneAccessKeys).toEqual([]);
  });

  it("declares nothing for a key deleted by hand, says so, records it, and keeps the incident's deny", async () => {
    await user("ci-deployer");
    const kept = await accessKey("ci-deployer");
    const deleted = await accessKey("ci-deployer");
    await iam.send(new DeleteAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: deleted }));
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: ci-deployer", `    accessKeys: [${kept}, ${deleted}]`]);
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(declared(run).filter((r) => r.startsWith("aws:iam/accessKey:"))).toEqual([
      `aws:iam/accessKey:AccessKey ${ACCOUNT}-ci-deployer-${kept}`,
    ]);
    expect(run.infos).toEqual([
      `already contained: IAM no longer has access key ${deleted} (user ci-deployer, incident 2026-11-28-ci-key): deleted, so there is nothing to disable; the deny policies stay until the incident expires`,
    ]);
    // The deny policy, attachment and containment instant are declared as for any incident.
    expect(declared(run)).toEqual(
      expect.arrayContaining([
        `aws:iam/policy:Policy ${ACCOUNT}-user-ci-deployer`,
        `aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-ci-deployer`,
        `time:index/static:Static ${ACCOUNT}-2026-11-28-ci-key`,
      ]),
    );
    // Every listed key triggers the instant, the deleted one too: deleting a key never moves it.
    expect(resource(run, "time:index/static:Static", `${ACCOUNT}-2026-11-28-ci-key`).inputs).toEqual({
      triggers: { accessKeys: [kept, deleted].sort().join(" ") },
    });
    expect(outputsOf(run).incidents["2026-11-28-ci-key"]).toMatchObject({
      accessKeys: [kept, deleted].sort(),
      goneAccessKeys: [deleted],
      cutoff: CUTOFF,
      containedAt: CONTAINED_AT,
    });
  });

  it("keeps the recorded instant when a managed key is deleted between two runs, and stops declaring it", async () => {
    await user("ci-deployer");
    const key = await accessKey("ci-deployer");
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: ci-deployer", `    accessKeys: [${key}]`]);
    const cloud = new MotoCloud(moto.env, { now: new Date(CONTAINED_AT) });
    const first = await up(cloud);
    expect(resource(first, "aws:iam/accessKey:AccessKey", `${ACCOUNT}-ci-deployer-${key}`).retainOnDelete).toBe(true);
    await iam.send(new DeleteAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: key }));
    cloud.now = new Date("2026-11-28T15:00:00Z");
    const second = await up(cloud);
    expect(second.error).toBeUndefined();
    // Not declared any more: Pulumi forgets it (retainOnDelete), and no import of a missing key fails the run.
    expect(declared(second).filter((r) => r.includes(key))).toEqual([]);
    expect(outputsOf(second).incidents["2026-11-28-ci-key"]).toMatchObject({ cutoff: CUTOFF, goneAccessKeys: [key] });
  });

  it("withholds only the incident of a key IAM names another owner of: the key not declared, the other incidents contained, the run failing at its end", async () => {
    await user("ci-deployer");
    await user("svc-backup");
    await user("dana");
    const own = await accessKey("ci-deployer");
    const foreign = await accessKey("svc-backup");
    const danas = await accessKey("dana");
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: ci-deployer", `    accessKeys: [${foreign}]`]);
    incidentFile("2026-11-29-dana", ["users:", "  - name: dana", `    accessKeys: [${danas}]`]);
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(run.errors).toEqual([
      [
        "cordon does not take incident 2026-11-28-ci-key for contained: no containment instant is recorded for it (an at-containment incident's principals are denied everything until one is), everything else is declared, and this update fails at its end:",
        `incident 2026-11-28-ci-key: access key ${foreign} is not a key of user ci-deployer: IAM names user svc-backup as its owner (IAM lists for ci-deployer: ${own}); name the user that owns it (Pulumi would replace a key whose user changed, and a replacement creates a new key)`,
      ].join("\n"),
      uncontainedMessage(["2026-11-28-ci-key"]),
    ]);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
    // The foreign key is never declared: its user would differ, and Pulumi would replace it.
    expect(declared(run).filter((r) => r.includes(foreign))).toEqual([]);
    // The incident's user is still denied, everything; its other keys disabled; no instant recorded.
    expect(declared(run)).toEqual(
      expect.arrayContaining([
        `aws:iam/accessKey:AccessKey ${ACCOUNT}-ci-deployer-${own}`,
        `aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-ci-deployer`,
        `aws:iam/accessKey:AccessKey ${ACCOUNT}-dana-${danas}`,
        `cordon:iam:ContainmentInstant ${ACCOUNT}-2026-11-29-dana`,
      ]),
    );
    expect(declared(run)).not.toContain(`cordon:iam:ContainmentInstant ${ACCOUNT}-2026-11-28-ci-key`);
    expect(outputsOf(run).incidents["2026-11-28-ci-key"]).toMatchObject({
      cutoff: "at-containment",
      deniedUntilContained: true,
      expiresAt: null,
    });
    expect(outputsOf(run).incidents["2026-11-28-ci-key"].containedAt).toBeUndefined();
    expect(outputsOf(run).incidents["2026-11-29-dana"]).toMatchObject({ cutoff: CUTOFF, containedAt: CONTAINED_AT });
  });

  it("tells a deleted key and a foreign one apart in the same run: the foreign one withholds the incident", async () => {
    await user("ci-deployer");
    await user("svc-backup");
    const deleted = await accessKey("ci-deployer");
    await iam.send(new DeleteAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: deleted }));
    const foreign = await accessKey("svc-backup");
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: ci-deployer", `    accessKeys: [${deleted}, ${foreign}]`]);
    const run = await up();
    expect(run.errors[0].split("\n")[1]).toBe(
      `incident 2026-11-28-ci-key: access key ${foreign} is not a key of user ci-deployer: IAM names user svc-backup as its owner (IAM lists for ci-deployer: no access keys); name the user that owns it (Pulumi would replace a key whose user changed, and a replacement creates a new key)`,
    );
    expect(run.errors[0]).not.toContain(deleted);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
    expect(declared(run).filter((r) => r.startsWith("aws:iam/accessKey:"))).toEqual([]);
    expect(outputsOf(run).incidents["2026-11-28-ci-key"].goneAccessKeys).toEqual([deleted]);
  });

  it("tells a user renamed since an earlier run (its recorded UserId under another name) from one deleted: not contained, said by name, the other incidents contained", async () => {
    await user("alice");
    const key = await accessKey("alice");
    incidentFile("2026-11-28-alice", ["users:", "  - name: alice"]);
    const cloud = new MotoCloud(moto.env, { now: new Date(CONTAINED_AT) });
    const id = (await iam.send(new GetUserCommand({ UserName: "alice" }))).User!.UserId!;
    const first = await up(cloud);
    expect(first.exitCode).toBeUndefined();
    expect(outputsOf(first).userIds).toEqual({ alice: id });
    // Whoever holds alice's key renames her (iam:UpdateUser); a second incident comes in.
    await iam.send(new UpdateUserCommand({ UserName: "alice", NewUserName: "mallory" }));
    await user("bob");
    const bobs = await accessKey("bob");
    incidentFile("2026-11-29-bob", ["users:", "  - name: bob", `    accessKeys: [${bobs}]`]);
    const next = new MotoCloud(moto.env, { now: new Date("2026-11-28T15:00:00Z") });
    next.otherStacks[`prod-${ACCOUNT}`] = first.outputs;
    next.stackResources[`prod-${ACCOUNT}`] = {};
    const run = await up(next);
    expect(run.error).toBeUndefined();
    expect(run.errors).toEqual([
      [
        "cordon does not take incident 2026-11-28-alice for contained: no containment instant is recorded for it (an at-containment incident's principals are denied everything until one is), everything else is declared, and this update fails at its end:",
        `${relative(PROJECT_DIR, join(dir, "2026-11-28-alice.yaml"))}: user alice (incident 2026-11-28-alice) was renamed to mallory (same id ${id}): its credentials, console password and policies went with it, so nothing of it is contained and no deny can be attached to the old name; add user mallory to the incident (with its access keys), then run again`,
      ].join("\n"),
      uncontainedMessage(["2026-11-28-alice"]),
    ]);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
    // Not "already contained", and not recorded as gone.
    expect(run.infos.filter((line) => line.startsWith("already contained"))).toEqual([]);
    expect(outputsOf(run).incidents["2026-11-28-alice"]).toMatchObject({
      cutoff: "at-containment",
      deniedUntilContained: true,
      gonePrincipals: [],
    });
    expect(outputsOf(run).incidents["2026-11-28-alice"].containedAt).toBeUndefined();
    // No deny to the old name is declared (nothing has it); the record of the id is kept.
    expect(declared(run).filter((r) => r.includes("alice"))).toEqual([]);
    const bobId = (await iam.send(new GetUserCommand({ UserName: "bob" }))).User!.UserId!;
    expect(outputsOf(run).userIds).toEqual({ alice: id, bob: bobId });
    // The other incident is declared and contained as usual.
    expect(declared(run)).toEqual(
      expect.arrayContaining([
        `aws:iam/accessKey:AccessKey ${ACCOUNT}-bob-${bobs}`,
        `cordon:iam:ContainmentInstant ${ACCOUNT}-2026-11-29-bob`,
      ]),
    );
    expect(outputsOf(run).incidents["2026-11-29-bob"].containedAt).toBe("2026-11-28T15:00:00Z");
    // Nothing is declared for mallory's key under the old name: the responder adds mallory to the incident.
    expect(declared(run).filter((r) => r.includes(key))).toEqual([]);
  });

  it("takes a user IAM does not have for contained: its keys are gone, nothing is attached, and the other incidents are declared", async () => {
    await role("deploy");
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: nobody", "    accessKeys: [AKIAIOSFODNN7EXAMPLE]"]);
    incidentFile("2026-11-29-other", ["roles:", "  - name: deploy"]);
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(run.infos).toEqual([
      "already contained: IAM no longer has access key AKIAIOSFODNN7EXAMPLE (user nobody, incident 2026-11-28-ci-key): deleted, so there is nothing to disable; the deny policies stay until the incident expires",
      `already contained: IAM has no user nobody (account ${ACCOUNT}, incident 2026-11-28-ci-key): deleted, so there is no deny to attach; a user or role created again under that name gets its deny back on the next run`,
    ]);
    expect(declared(run).filter((r) => r.includes("nobody"))).toEqual([]);
    expect(declared(run)).toContain(`aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-deploy`);
    expect(outputsOf(run).incidents["2026-11-28-ci-key"]).toMatchObject({
      goneAccessKeys: ["AKIAIOSFODNN7EXAMPLE"],
      gonePrincipals: [{ type: "user", name: "nobody", account: ACCOUNT }],
    });
  });
});

describe("point 3: what would fail at pulumi up, left out and said before declaring, the run failing at its end", () => {
  const replacement = (name: string) => [
    "roles:",
    "  - name: deploy",
    "replacementRoles:",
    `  - name: ${name}`,
    "    trust: { service: ec2.amazonaws.com }",
  ];

  it("creates a replacement role under /cordon/, tagged with its incident", async () => {
    await role("deploy");
    incidentFile("2026-11-28-ci-key", replacement("ci-oidc"));
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(resource(run, "aws:iam/role:Role", `${ACCOUNT}-ci-oidc`).inputs).toMatchObject({
      name: "ci-oidc",
      path: "/cordon/",
      tags: { "cordon:incident": "2026-11-28-ci-key" },
    });
  });

  it("accepts a role of that name that IAM has under /cordon/ with this incident's tag (an earlier run created it)", async () => {
    await role("deploy");
    await role("ci-oidc", { path: "/cordon/", tags: [{ Key: "cordon:incident", Value: "2026-11-28-ci-key" }] });
    incidentFile("2026-11-28-ci-key", replacement("ci-oidc"));
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(declared(run)).toContain(`aws:iam/role:Role ${ACCOUNT}-ci-oidc`);
  });

  it.each([
    [
      "without cordon's tag",
      { path: "/" },
      "IAM already has a role ci-oidc (path /) that is not this incident's (tag cordon:incident: none), so CreateRole would fail (EntityAlreadyExists); give the replacement role a name IAM does not have yet, or, to keep using the existing role, remove it from replacementRoles",
    ],
    [
      "tagged for another incident",
      { path: "/cordon/", tags: [{ Key: "cordon:incident", Value: "2026-10-01-older" }] },
      'IAM already has a role ci-oidc (path /cordon/) that is not this incident\'s (tag cordon:incident: "2026-10-01-older"), so CreateRole would fail (EntityAlreadyExists); give the replacement role a name IAM does not have yet, or, to keep using the existing role, remove it from replacementRoles',
    ],
    [
      "tagged for this incident, outside /cordon/",
      { path: "/", tags: [{ Key: "cordon:incident", Value: "2026-11-28-ci-key" }] },
      "the role of that name is this incident's but lives at path /, not /cordon/, where cordon keeps the roles it manages (IAM cannot move a role); give the replacement role a new name: the existing role stays as it is",
    ],
  ])(
    "leaves out a replacement role whose name IAM already has, %s: the rest declared, the run failing at its end",
    async (_, existing, reason) => {
      await user("dana");
      const key = await accessKey("dana");
      await role("deploy");
      await role("ci-oidc", existing);
      incidentFile("2026-11-28-ci-key", [
        "users:",
        "  - name: dana",
        `    accessKeys: [${key}]`,
        ...replacement("ci-oidc"),
      ]);
      const run = await up();
      expect(run.error).toBeUndefined();
      expect(run.errors).toEqual([
        [
          "cordon does not declare 1 replacement role: IAM already has a role of that name, so CreateRole would fail; everything else is declared, and this update fails at its end:",
          `${fileShown()}: replacement role ci-oidc (incident 2026-11-28-ci-key): ${reason}`,
        ].join("\n"),
        withheldMessage(0, 1),
      ]);
      expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
      expect(declared(run).filter((r) => r.includes("ci-oidc"))).toEqual([]);
      expect(declared(run)).toEqual(
        expect.arrayContaining([
          `aws:iam/accessKey:AccessKey ${ACCOUNT}-dana-${key}`,
          `aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-dana`,
          `aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-deploy`,
          `cordon:iam:ContainmentInstant ${ACCOUNT}-2026-11-28-ci-key`,
        ]),
      );
    },
  );

  it("puts the inline deny on a role with room for it, not counting cordon's own inline policy", async () => {
    await role("deploy");
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "app", PolicyDocument: inlineDocument(9_000) }),
    );
    // An earlier run's inline deny, however large, is replaced, not added to.
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "deploy",
        PolicyName: "cordon-revoke-sessions",
        PolicyDocument: inlineDocument(3_000),
      }),
    );
    incidentFile("2026-11-28-ci-key", ["roles:", "  - name: deploy"]);
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(resource(run, "aws:iam/rolePolicy:RolePolicy", `${ACCOUNT}-role-deploy`).inputs).toMatchObject({
      role: "deploy",
      name: "cordon-revoke-sessions",
    });
    expect(outputsOf(run).rolesWithManagedDeny).toEqual([]);
  });

  it("attaches a managed deny to a role whose inline policies leave no room, and keeps it so on the next run", async () => {
    await role("deploy");
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "app", PolicyDocument: inlineDocument(10_200) }),
    );
    incidentFile("2026-11-28-ci-key", ["roles:", "  - name: deploy"]);
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(
      declared(run)
        .filter((r) => r.endsWith(`${ACCOUNT}-role-deploy`))
        .sort(),
    ).toEqual([
      `aws:iam/policy:Policy ${ACCOUNT}-role-deploy`,
      `aws:iam/rolePolicyAttachment:RolePolicyAttachment ${ACCOUNT}-role-deploy`,
      `cordon:iam:SessionRevocation ${ACCOUNT}-role-deploy`,
    ]);
    expect(resource(run, "aws:iam/policy:Policy", `${ACCOUNT}-role-deploy`).inputs).toMatchObject({
      name: "cordon-revoke-role-sessions-deploy",
      path: "/cordon/",
      description:
        "Denies sessions of IAM role deploy issued before an incident's cutoff (cordon; see the cordon:incident:* tags)",
    });
    expect(resource(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${ACCOUNT}-role-deploy`).inputs).toEqual(
      {
        role: "deploy",
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-role-sessions-deploy`,
      },
    );
    expect(outputsOf(run).rolesWithManagedDeny).toEqual(["deploy"]);
    expect(run.infos).toEqual([
      `role deploy (incident 2026-11-28-ci-key): its deny is the managed policy /cordon/cordon-revoke-role-sessions-deploy, attached, instead of an inline policy: the role's other inline policies use ${policySize(inlineDocument(10_200))} of 10240 characters (RolePolicySizeQuota) and cordon's needs 226`,
    ]);

    // What `pulumi up` did, then room appears: the role keeps its managed deny (no flip between runs).
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "cordon-revoke-role-sessions-deploy",
        Path: "/cordon/",
        PolicyDocument: String(resource(run, "aws:iam/policy:Policy", `${ACCOUNT}-role-deploy`).inputs.policy),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: "deploy", PolicyArn: created.Policy!.Arn }));
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "app", PolicyDocument: inlineDocument(100) }),
    );
    const next = await up(withOwnPolicy(created.Policy));
    expect(declared(next)).toContain(`aws:iam/rolePolicyAttachment:RolePolicyAttachment ${ACCOUNT}-role-deploy`);
    expect(next.infos).toEqual([
      "role deploy (incident 2026-11-28-ci-key): its deny is the managed policy /cordon/cordon-revoke-role-sessions-deploy, attached, instead of an inline policy: it already carries it, and keeps it so that runs do not flip between the two",
    ]);
  });

  it("leaves out the deny of a role with neither inline room nor a free attachment, disables the key and declares the rest, and fails at its end", async () => {
    await user("dana");
    const key = await accessKey("dana");
    await role("deploy");
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "app", PolicyDocument: inlineDocument(10_200) }),
    );
    for (const arn of await customerPolicies(10))
      await iam.send(new AttachRolePolicyCommand({ RoleName: "deploy", PolicyArn: arn }));
    incidentFile("2026-11-28-ci-key", [
      "users:",
      "  - name: dana",
      `    accessKeys: [${key}]`,
      "roles:",
      "  - name: deploy",
    ]);
    const run = await up();
    const used = policySize(inlineDocument(10_200));
    expect(run.error).toBeUndefined();
    expect(run.errors).toEqual([
      [
        "cordon cannot declare the deny policy of 1 principal as planned: no room for it, so pulumi up would fail (LimitExceeded); everything else is declared, and this update fails at its end:",
        `${fileShown()}: role deploy (incident 2026-11-28-ci-key): no room for cordon's deny policy: the role's other inline policies use ${used} of 10240 characters (RolePolicySizeQuota; cordon's needs 226), and 10 of 10 managed policies are attached (AttachedPoliciesPerRoleQuota): its sessions are not denied; detach a managed policy or delete an inline policy of role deploy, or have a quota raised (Service Quotas), then run again`,
      ].join("\n"),
      withheldMessage(1, 0),
    ]);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
    expect(declared(run).filter((r) => r.endsWith("-role-deploy"))).toEqual([]);
    expect(declared(run)).toEqual(
      expect.arrayContaining([
        `aws:iam/accessKey:AccessKey ${ACCOUNT}-dana-${key}`,
        `aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-dana`,
        `cordon:iam:ContainmentInstant ${ACCOUNT}-2026-11-28-ci-key`,
      ]),
    );
  });

  it("keeps a role's inline deny as IAM has it when what the run adds leaves it no room: never deleted, and the run fails at its end", async () => {
    await role("deploy");
    const earlier = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-11-01T00:00:00Z" } },
        },
      ],
    });
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "cordon-revoke-sessions", PolicyDocument: earlier }),
    );
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "app", PolicyDocument: inlineDocument(10_200) }),
    );
    for (const arn of await customerPolicies(10))
      await iam.send(new AttachRolePolicyCommand({ RoleName: "deploy", PolicyArn: arn }));
    incidentFile("2026-11-28-ci-key", ["roles:", "  - name: deploy"]);
    const run = await up();
    const used = policySize(inlineDocument(10_200));
    expect(run.error).toBeUndefined();
    expect(run.errors).toEqual([
      [
        "cordon cannot declare the deny policy of 1 principal as planned: no room for it, so pulumi up would fail (LimitExceeded); everything else is declared, and this update fails at its end:",
        `${fileShown()}: role deploy (incident 2026-11-28-ci-key): no room for cordon's deny policy: the role's other inline policies use ${used} of 10240 characters (RolePolicySizeQuota; cordon's needs 226), and 10 of 10 managed policies are attached (AttachedPoliciesPerRoleQuota): its inline deny stays as IAM has it, without what this run adds; detach a managed policy or delete an inline policy of role deploy, or have a quota raised (Service Quotas), then run again`,
      ].join("\n"),
      withheldMessage(1, 0),
    ]);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
    const kept = resource(run, "aws:iam/rolePolicy:RolePolicy", `${ACCOUNT}-role-deploy`);
    expect(kept.inputs).toMatchObject({ role: "deploy", name: "cordon-revoke-sessions" });
    expect(kept.ignoreChanges).toEqual(["policy"]);
  });

  it("puts the deny of a user at its quota of attached managed policies inline, where it fits, and keeps it there once an attachment frees", async () => {
    await user("dana");
    const key = await accessKey("dana");
    const policies = await customerPolicies(10);
    for (const arn of policies) await iam.send(new AttachUserPolicyCommand({ UserName: "dana", PolicyArn: arn }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: "dana", PolicyName: "app", PolicyDocument: inlineDocument(1_500) }),
    );
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: dana", `    accessKeys: [${key}]`]);
    const run = await up();
    expect([run.error, run.errors, run.exitCode]).toEqual([undefined, [], undefined]);
    expect(declared(run).filter((r) => r.endsWith("-user-dana"))).toEqual([
      `aws:iam/userPolicy:UserPolicy ${ACCOUNT}-user-dana`,
      `cordon:iam:SessionRevocation ${ACCOUNT}-user-dana`,
    ]);
    const inline = resource(run, "aws:iam/userPolicy:UserPolicy", `${ACCOUNT}-user-dana`).inputs;
    expect(inline).toMatchObject({ user: "dana", name: "cordon-revoke-sessions" });
    expect(JSON.parse(String(inline.policy)).Statement.every((s: { Effect: string }) => s.Effect === "Deny")).toBe(
      true,
    );
    expect(outputsOf(run).usersWithInlineDeny).toEqual(["dana"]);
    expect(run.infos).toContain(
      "user dana (incident 2026-11-28-ci-key): its deny is the inline policy cordon-revoke-sessions instead of the managed policy /cordon/cordon-revoke-sessions-dana: 10 of 10 managed policies are attached to it (AttachedPoliciesPerUserQuota), so attaching the managed one would fail (LimitExceeded)",
    );

    // What `pulumi up` did, then an attachment frees: the user keeps its inline deny (no flip between runs).
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "dana",
        PolicyName: "cordon-revoke-sessions",
        PolicyDocument: String(inline.policy),
      }),
    );
    await iam.send(new DetachUserPolicyCommand({ UserName: "dana", PolicyArn: policies[0] }));
    const next = await up();
    expect([next.error, next.errors, next.exitCode]).toEqual([undefined, [], undefined]);
    expect(declared(next)).toContain(`aws:iam/userPolicy:UserPolicy ${ACCOUNT}-user-dana`);
    expect(next.infos).toContain(
      "user dana (incident 2026-11-28-ci-key): its deny is the inline policy cordon-revoke-sessions instead of the managed policy /cordon/cordon-revoke-sessions-dana: it already carries it, and keeps it so that runs do not flip between the two",
    );
  });

  it("keeps a user's inline deny as IAM has it when what the run adds leaves it no room: still inline, never deleted, and the run fails at its end", async () => {
    await user("dana");
    const key = await accessKey("dana");
    const policies = await customerPolicies(10);
    for (const arn of policies) await iam.send(new AttachUserPolicyCommand({ UserName: "dana", PolicyArn: arn }));
    const earlier = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-11-01T00:00:00Z" } },
        },
      ],
    });
    await iam.send(
      new PutUserPolicyCommand({ UserName: "dana", PolicyName: "cordon-revoke-sessions", PolicyDocument: earlier }),
    );
    await iam.send(
      new PutUserPolicyCommand({ UserName: "dana", PolicyName: "app", PolicyDocument: inlineDocument(1_900) }),
    );
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: dana", `    accessKeys: [${key}]`]);
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(run.errors).toHaveLength(2);
    expect(run.errors[0]).toContain("its inline deny stays as IAM has it, without what this run adds; detach one");
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
    expect(declared(run).filter((r) => r.endsWith("-user-dana"))).toEqual([
      `aws:iam/userPolicy:UserPolicy ${ACCOUNT}-user-dana`,
      `cordon:iam:SessionRevocation ${ACCOUNT}-user-dana`,
    ]);
    const kept = resource(run, "aws:iam/userPolicy:UserPolicy", `${ACCOUNT}-user-dana`);
    expect(kept.inputs).toMatchObject({ user: "dana", name: "cordon-revoke-sessions" });
    expect(kept.ignoreChanges).toEqual(["policy"]);
  });

  it("leaves out the deny of a user with neither a free attachment nor inline room, still disables its key, and fails at its end", async () => {
    await user("dana");
    const key = await accessKey("dana");
    const policies = await customerPolicies(10);
    for (const arn of policies) await iam.send(new AttachUserPolicyCommand({ UserName: "dana", PolicyArn: arn }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: "dana", PolicyName: "app", PolicyDocument: inlineDocument(2_000) }),
    );
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: dana", `    accessKeys: [${key}]`]);
    const run = await up();
    const used = policySize(inlineDocument(2_000));
    expect(run.error).toBeUndefined();
    expect(run.errors).toEqual([
      [
        "cordon cannot declare the deny policy of 1 principal as planned: no room for it, so pulumi up would fail (LimitExceeded); everything else is declared, and this update fails at its end:",
        `${fileShown()}: user dana (incident 2026-11-28-ci-key): no room for cordon's deny policy: 10 of 10 managed policies are attached to it (AttachedPoliciesPerUserQuota), and its other inline policies use ${used} of 2048 characters (UserPolicySizeQuota; cordon's needs 226): its sessions are not denied; detach one (${policies.map((arn) => arn.split("/").pop()).join(", ")}) or delete an inline policy of user dana, or have a quota raised (Service Quotas), then run again`,
      ].join("\n"),
      withheldMessage(1, 0),
    ]);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
    expect(declared(run).filter((r) => r.endsWith("-user-dana"))).toEqual([]);
    expect(resource(run, "aws:iam/accessKey:AccessKey", `${ACCOUNT}-dana-${key}`).inputs).toMatchObject({
      status: "Inactive",
    });
  });

  it("passes a user whose tenth attachment is cordon's own deny policy", async () => {
    await user("dana");
    for (const arn of await customerPolicies(9))
      await iam.send(new AttachUserPolicyCommand({ UserName: "dana", PolicyArn: arn }));
    const deny = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] });
    const own = await iam.send(
      new CreatePolicyCommand({ PolicyName: "cordon-revoke-sessions-dana", Path: "/cordon/", PolicyDocument: deny }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: "dana", PolicyArn: own.Policy!.Arn }));
    incidentFile("2026-11-28-ci-key", ["users:", "  - name: dana"]);
    const run = await up(withOwnPolicy(own.Policy));
    expect(run.error).toBeUndefined();
    expect(declared(run)).toContain(`aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-dana`);
  });

  it("takes a role IAM does not have for contained: nothing to put, said in the run and the outputs", async () => {
    incidentFile("2026-11-28-ci-key", ["roles:", "  - name: no-such-role"]);
    const run = await up();
    expect(run.error).toBeUndefined();
    expect(run.warnings).toEqual([]);
    expect(run.infos).toEqual([
      `already contained: IAM has no role no-such-role (account ${ACCOUNT}, incident 2026-11-28-ci-key): deleted, so there is no deny to attach; a user or role created again under that name gets its deny back on the next run`,
    ]);
    expect(declared(run).filter((r) => r.includes("no-such-role"))).toEqual([]);
    expect(outputsOf(run).incidents["2026-11-28-ci-key"].gonePrincipals).toEqual([
      { type: "role", name: "no-such-role", account: ACCOUNT },
    ]);
  });
});

describe("point 4: replacement roles wait for their incident's containment", () => {
  it("registers each replacement role after its incident's deny policies and containment instant, and nothing else (not its keys: a key that fails must not take it along)", async () => {
    await user("ci-deployer");
    await user("dana");
    await role("deploy");
    const ciKey = await accessKey("ci-deployer");
    const danaKey = await accessKey("dana");
    incidentFile("2026-11-28-ci-key", [
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${ciKey}]`,
      "roles:",
      "  - name: deploy",
      "replacementRoles:",
      "  - name: ci-oidc",
      "    trust: { githubOidc: { repository: example/app, ref: refs/heads/main } }",
      "    managedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]",
    ]);
    incidentFile("2026-11-29-other", ["users:", "  - name: dana", `    accessKeys: [${danaKey}]`]);
    const run = await up();
    expect(run.error).toBeUndefined();
    const urn = (type: string, name: string) => resource(run, type, name).urn;
    const containment = [
      urn("aws:iam/policy:Policy", `${ACCOUNT}-user-ci-deployer`),
      urn("aws:iam/userPolicyAttachment:UserPolicyAttachment", `${ACCOUNT}-user-ci-deployer`),
      urn("aws:iam/rolePolicy:RolePolicy", `${ACCOUNT}-role-deploy`),
      urn("time:index/static:Static", `${ACCOUNT}-2026-11-28-ci-key`),
    ].sort();
    // The role itself waits (children do not inherit their component's dependsOn) ...
    expect([...resource(run, "aws:iam/role:Role", `${ACCOUNT}-ci-oidc`).dependencies].sort()).toEqual(containment);
    // ... and so does its attachment, through the role.
    expect(
      resource(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${ACCOUNT}-ci-oidc-aws:policy/ReadOnlyAccess`)
        .dependencies,
    ).toEqual([urn("aws:iam/role:Role", `${ACCOUNT}-ci-oidc`)]);
    expect([...resource(run, "cordon:iam:ReplacementRole", `${ACCOUNT}-ci-oidc`).dependencies].sort()).toEqual(
      containment,
    );
    // Registered after the key's step all the same: the program waits for it.
    expect(resource(run, "aws:iam/role:Role", `${ACCOUNT}-ci-oidc`).sequence).toBeGreaterThan(
      resource(run, "aws:iam/accessKey:AccessKey", `${ACCOUNT}-ci-deployer-${ciKey}`).sequence,
    );
    // Containment waits for no replacement role: nothing of it depends on a role.
    const roleUrns = run.resources.filter((r) => r.parent.includes("cordon:iam:ReplacementRole::")).map((r) => r.urn);
    for (const r of run.resources.filter((r) => !r.parent.includes("cordon:iam:ReplacementRole::")))
      expect(
        r.dependencies.filter((d) => roleUrns.includes(d)),
        r.urn,
      ).toEqual([]);
  });
});

describe("aws/deploy.ts takes only IAM's NoSuchEntity for a deleted key", () => {
  it("throws on an answer that names no owner, rather than leave a live key enabled", async () => {
    const iamMock = mockClient(IAMClient);
    try {
      iamMock.on(GetAccessKeyLastUsedCommand).resolves({});
      await expect(deployIam(awsClients()).keyOwner("AKIAIOSFODNN7EXAMPLE")).rejects.toThrow(
        "iam:GetAccessKeyLastUsed answered for AKIAIOSFODNN7EXAMPLE without a user name",
      );
      iamMock.on(GetAccessKeyLastUsedCommand).rejects(
        Object.assign(new Error("The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found"), {
          name: "NoSuchEntityException",
        }),
      );
      expect(await deployIam(awsClients()).keyOwner("AKIAIOSFODNN7EXAMPLE")).toBeNull();
    } finally {
      iamMock.restore();
    }
  });
});

describe("verify's reading of a listed key the user has not (aws/iam.ts readLiveKeys)", () => {
  it("IAM refusing to say whose it is (AccessDenied, as for a key of another account) fails that key's check, naming both causes; other errors still stop verify", async () => {
    const iamMock = mockClient(IAMClient);
    try {
      iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [], IsTruncated: false });
      iamMock.on(GetAccessKeyLastUsedCommand).rejects(
        Object.assign(new Error("User is not authorized to perform: iam:GetAccessKeyLastUsed"), {
          name: "AccessDenied",
        }),
      );
      const keys = await readLiveKeys(awsClients(), "ci-deployer", ["AKIAIOSFODNN7EXAMPLE"]);
      expect(keys).toEqual({ AKIAIOSFODNN7EXAMPLE: { status: null, lastUsed: null, ownerRefused: true } });
      expect(keyChecks("ci-deployer", keys, null).checks).toEqual([
        {
          check: "key-inactive",
          accessKeyId: "AKIAIOSFODNN7EXAMPLE",
          status: null,
          ok: false,
          message:
            "AKIAIOSFODNN7EXAMPLE is not a key of user ci-deployer, and IAM refused to say whose it is (AccessDenied): it may be a key of another account",
          fix: "a key of another account belongs in an incident of that account, verified with its credentials; otherwise allow these credentials iam:GetAccessKeyLastUsed (npx cordon permissions)",
        },
      ]);
      iamMock
        .on(GetAccessKeyLastUsedCommand)
        .rejects(Object.assign(new Error("Rate exceeded"), { name: "Throttling" }));
      await expect(readLiveKeys(awsClients(), "ci-deployer", ["AKIAIOSFODNN7EXAMPLE"])).rejects.toThrow(
        "Rate exceeded",
      );
    } finally {
      iamMock.restore();
    }
  });
});

describe("the program's own IAM reads are declared for the deployer", () => {
  it("sends only calls that programReadPermissions, credentialReadPermissions or the invokes declare, and the deploy policy grants them", async () => {
    await user("ci-deployer");
    await iam.send(
      new PutUserPolicyCommand({ UserName: "ci-deployer", PolicyName: "app", PolicyDocument: inlineDocument(100) }),
    );
    await role("deploy");
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "app", PolicyDocument: inlineDocument(100) }),
    );
    const deleted = await accessKey("ci-deployer");
    await iam.send(new DeleteAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: deleted }));
    incidentFile("2026-11-28-ci-key", [
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${deleted}]`,
      ...[
        "roles:",
        "  - name: deploy",
        "replacementRoles:",
        "  - name: ci-oidc",
        "    trust: { service: ec2.amazonaws.com }",
      ],
    ]);
    const iamMock = mockClient(IAMClient);
    const stsMock = mockClient(STSClient);
    // An earlier run recorded another id for ci-deployer: the program looks for it under other names.
    const cloud = new MotoCloud(moto.env, { now: new Date(CONTAINED_AT) });
    cloud.otherStacks[`prod-${ACCOUNT}`] = { userIds: { "ci-deployer": "AIDAEARLIERCIDEPLOYER" } };
    cloud.stackResources[`prod-${ACCOUNT}`] = {};
    try {
      iamMock.send.callThrough();
      stsMock.send.callThrough();
      const run = await up(cloud);
      expect(run.error).toBeUndefined();
      const sent = new Set([
        ...iamMock.calls().map((c) => actionOf("IAM", c.args[0])),
        ...stsMock.calls().map((c) => actionOf("STS", c.args[0])),
      ]);
      // Every kind of read happened, so the check below can fail.
      expect([...sent].sort()).toEqual([
        "iam:GetAccessKeyLastUsed",
        "iam:GetAccountSummary",
        "iam:GetLoginProfile",
        "iam:GetPolicy",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:GetUser",
        "iam:GetUserPolicy",
        "iam:ListAccessKeys",
        "iam:ListAttachedRolePolicies",
        "iam:ListAttachedUserPolicies",
        "iam:ListMFADevices",
        "iam:ListRolePolicies",
        "iam:ListSSHPublicKeys",
        "iam:ListServiceSpecificCredentials",
        "iam:ListSigningCertificates",
        "iam:ListUserPolicies",
        "iam:ListUsers",
        "sts:GetCallerIdentity",
      ]);
      const invokes = [...deployPermissions["aws:index/getCallerIdentity:getCallerIdentity"]];
      // The program's reads: its own (aws/deploy.ts) and every credential of each user (aws/credentials.ts).
      const reads = [...programReadPermissions, ...credentialReadPermissions];
      expect([...sent].filter((action) => !reads.includes(action) && !invokes.includes(action))).toEqual([]);
      expect(notGranted(sent, deployPolicy(deployDeclarations).document)).toEqual([]);
      // negative control
      expect(
        [...sent].filter(
          (action) => !reads.filter((a) => a !== "iam:GetAccountSummary").includes(action) && !invokes.includes(action),
        ),
      ).toEqual(["iam:GetAccountSummary"]);
    } finally {
      iamMock.restore();
      stsMock.restore();
    }
  });
});
