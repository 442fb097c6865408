/**
 * The Pulumi program under mocks (issue 2: "the examples yield exactly the expected resources,
 * inputs and import ids; an account mismatch fails; removing one incident leaves every other
 * resource's URN unchanged"; issue 3: reconciliation and the at-containment cutoff).
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { actsFailedMessage, deploy, PROGRAM_SAID_WHY } from "../program/deploy.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { containmentFromStackOutputs, type StackOutputs, type UserCredentialsOutput } from "../plan/outputs.ts";
import {
  type FakeCloud,
  declared,
  exampleCloud,
  projectTempDir,
  resource,
  runProgram,
  type ProgramRun,
} from "./support/pulumi-mocks.ts";

const PROJECT_DIR = resolve(import.meta.dirname, "..");
const EXAMPLES = join(PROJECT_DIR, "examples/incidents");
const ACCOUNT = "123456789012";
/** When the fake time provider records the containment of the at-containment example. */
const CONTAINED_AT = "2026-11-28T12:26:00Z";
/** Its cutoff: the instant plus IAM's propagation margin (two minutes). */
const CUTOFF = "2026-11-28T12:28:00Z";

/**
 * IAM as the examples expect it, at the instant they are contained. (The examples' key ids are
 * fixed, and moto makes up its own: test/program-iam.test.ts runs the program against moto's IAM.)
 */
const examplesAtContainment = (): FakeCloud => exampleCloud({ now: new Date(CONTAINED_AT) });

function up(cloud: FakeCloud, incidentsDir: string, config: Record<string, string> = {}): Promise<ProgramRun> {
  return runProgram(() => deploy(cloud.iam), {
    cloud,
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": incidentsDir, ...config },
  });
}

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh incidents folder holding the examples and `extra` files (name → text). */
function incidentsFolder(extra: Record<string, string> = {}, withExamples = true): string {
  const dir = projectTempDir("cordon-incidents-");
  temporary.push(dir);
  if (withExamples) cpSync(EXAMPLES, dir, { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

// The deny statements the plan writes, spelled out: what IAM receives.
const denyBefore = (sid: string, instant: string) => ({
  Sid: sid,
  Effect: "Deny",
  Action: "*",
  Resource: "*",
  Condition: { DateLessThan: { "aws:TokenIssueTime": instant } },
});
const beforeContainment = (instant: string) =>
  denyBefore("CordonRevokeSessionsBeforeContainment20261128KeyInTicket61f34600", instant);
const beforeCutoff = (instant: string) => denyBefore("CordonRevokeSessionsBeforeCutoff", instant);
const denyAll = { Sid: "CordonDenyAll", Effect: "Deny", Action: "*", Resource: "*" };
const documentOf = (run: ProgramRun, type: string, name: string) =>
  JSON.parse(String(resource(run, type, name).inputs.policy));
/** One user's credentials as the examples' first run finds them: one access key each, Active, disabled by the run. */
const userCredentials = (user: string, key: string, incidents: string[]): UserCredentialsOutput => ({
  account: ACCOUNT,
  user,
  exists: true,
  incidents,
  credentials: [{ kind: "access-key", id: key, status: "Active", fate: "disable", service: null, createdAt: null }],
  consolePassword: { state: "absent", fate: "none" },
  mfaDevices: [],
  quarantinePolicies: [],
});
/**
 * The stack outputs as the next run publishes them: its credentials are what that run found, so a
 * key the previous run disabled is now found Inactive and kept so; everything else is the same.
 */
function foundDisabled(outputs: Record<string, unknown>): Record<string, unknown> {
  const users = outputs.credentials as { credentials: { status: string | null; fate: string }[] }[];
  return {
    ...outputs,
    credentials: users.map((u) => ({
      ...u,
      credentials: u.credentials.map((c) =>
        c.fate === "disable" ? { ...c, status: "Inactive", fate: "already-inactive" } : c,
      ),
    })),
  };
}

describe("the examples", () => {
  it("declare exactly one component per piece of the plan, and its resources", async () => {
    const run = await up(examplesAtContainment(), "examples/incidents");
    expect(run.error).toBeUndefined();
    expect(declared(run).sort()).toEqual(
      [
        "cordon:iam:DisabledAccessKey 123456789012-ci-deployer-AKIAIOSFODNN7EXAMPLE",
        "aws:iam/accessKey:AccessKey 123456789012-ci-deployer-AKIAIOSFODNN7EXAMPLE",
        "cordon:iam:DisabledAccessKey 123456789012-dana-AKIAJ7Q2EXAMPLEKEY77",
        "aws:iam/accessKey:AccessKey 123456789012-dana-AKIAJ7Q2EXAMPLEKEY77",
        "cordon:iam:DisabledAccessKey 123456789012-svc-backup-AKIAI44QH8DHBEXAMPLE",
        "aws:iam/accessKey:AccessKey 123456789012-svc-backup-AKIAI44QH8DHBEXAMPLE",
        "cordon:iam:ContainmentInstant 123456789012-2026-11-28-key-in-ticket",
        "time:index/static:Static 123456789012-2026-11-28-key-in-ticket",
        "cordon:iam:SessionRevocation 123456789012-user-ci-deployer",
        "aws:iam/policy:Policy 123456789012-user-ci-deployer",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment 123456789012-user-ci-deployer",
        "cordon:iam:SessionRevocation 123456789012-user-dana",
        "aws:iam/policy:Policy 123456789012-user-dana",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment 123456789012-user-dana",
        "cordon:iam:SessionRevocation 123456789012-user-svc-backup",
        "aws:iam/policy:Policy 123456789012-user-svc-backup",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment 123456789012-user-svc-backup",
        "cordon:iam:SessionRevocation 123456789012-role-analytics-readonly",
        "aws:iam/rolePolicy:RolePolicy 123456789012-role-analytics-readonly",
        "cordon:iam:SessionRevocation 123456789012-role-deploy",
        "aws:iam/rolePolicy:RolePolicy 123456789012-role-deploy",
        "cordon:iam:ReplacementRole 123456789012-backup-instance",
        "aws:iam/role:Role 123456789012-backup-instance",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment 123456789012-backup-instance-aws:policy/AmazonS3ReadOnlyAccess",
        "aws:iam/rolePolicy:RolePolicy 123456789012-backup-instance-write-backups",
        "cordon:iam:ReplacementRole 123456789012-ci-deployer-oidc",
        "aws:iam/role:Role 123456789012-ci-deployer-oidc",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment 123456789012-ci-deployer-oidc-aws:policy/ReadOnlyAccess",
        "cordon:iam:ReplacementRole 123456789012-dana-from-builder",
        "aws:iam/role:Role 123456789012-dana-from-builder",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment 123456789012-dana-from-builder-aws:policy/job-function/ViewOnlyAccess",
      ].sort(),
    );
  });

  it("parent every resource to its component, and every component to the stack", async () => {
    const run = await up(examplesAtContainment(), "examples/incidents");
    const stack = run.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
    for (const r of run.resources.filter((r) => r !== stack)) {
      const parent = run.resources.find((p) => p.urn === r.parent);
      if (r.type.startsWith("cordon:iam:")) expect(parent, r.urn).toBe(stack);
      else expect(parent?.type, r.urn).toMatch(/^cordon:iam:/);
    }
  });

  it("asks the provider for the deploying account, and IAM for the keys of each user once, then of the at-containment incident's users once its keys' steps are done", async () => {
    const cloud = examplesAtContainment();
    await up(cloud, "examples/incidents");
    // The at-containment incident names dana (its key) and ci-deployer (whose key another incident
    // lists): every key of both must be Inactive before its instant is recorded.
    expect(cloud.reads.filter((r) => r.startsWith("accessKeys "))).toEqual([
      "accessKeys ci-deployer",
      "accessKeys dana",
      "accessKeys svc-backup",
      "accessKeys ci-deployer",
      "accessKeys dana",
    ]);
    const run = await up(examplesAtContainment(), "examples/incidents");
    // And the engine for this stack's own outputs (never updated: none, so its checkpoint is not asked).
    expect(run.calls).toEqual([
      { token: "aws:index/getCallerIdentity:getCallerIdentity", inputs: {} },
      { token: "pulumi:pulumi:readStackOutputs", inputs: { name: `organization/cordon/prod-${ACCOUNT}` } },
    ]);
  });

  it.each([
    ["ci-deployer", "AKIAIOSFODNN7EXAMPLE"],
    ["dana", "AKIAJ7Q2EXAMPLEKEY77"],
    ["svc-backup", "AKIAI44QH8DHBEXAMPLE"],
  ])("import key %s/%s by its id, set it Inactive, and never replace or delete it", async (user, id) => {
    const run = await up(examplesAtContainment(), "examples/incidents");
    const key = resource(run, "aws:iam/accessKey:AccessKey", `${ACCOUNT}-${user}-${id}`);
    expect(key.inputs).toEqual({ user, status: "Inactive" });
    expect(key.importId).toBe(id);
    expect(key.retainOnDelete).toBe(true);
    expect(key.ignoreChanges).toEqual(["user", "pgpKey"]);
    // The component exports identifiers and the status only, never the key's secret outputs.
    expect(resource(run, "cordon:iam:DisabledAccessKey", `${ACCOUNT}-${user}-${id}`).registeredOutputs).toEqual({
      accessKeyId: id,
      user,
      status: "Inactive",
    });
  });

  it.each([
    [
      "ci-deployer",
      ["2026-11-28-ci-deploy-key", "2026-11-28-key-in-ticket"],
      [beforeContainment(CUTOFF), beforeCutoff("2026-11-28T10:00:00Z")],
    ],
    ["dana", ["2026-11-28-key-in-ticket"], [beforeContainment(CUTOFF)]],
    ["svc-backup", ["2026-11-27-laptop-backup-key"], [denyAll]],
  ])("attach a managed deny policy to user %s", async (user, incidents, statements) => {
    const run = await up(examplesAtContainment(), "examples/incidents");
    const policy = resource(run, "aws:iam/policy:Policy", `${ACCOUNT}-user-${user}`);
    expect({ ...policy.inputs, policy: JSON.parse(String(policy.inputs.policy)) }).toEqual({
      name: `cordon-revoke-sessions-${user}`,
      path: "/cordon/",
      description: `Denies sessions of IAM user ${user} issued before an incident's cutoff (cordon; see the cordon:incident:* tags)`,
      policy: { Version: "2012-10-17", Statement: statements },
      tags: Object.fromEntries(incidents.map((id) => [`cordon:incident:${id}`, ""])),
    });
    expect(policy.retainOnDelete).toBe(false);
    expect(
      resource(run, "aws:iam/userPolicyAttachment:UserPolicyAttachment", `${ACCOUNT}-user-${user}`).inputs,
    ).toEqual({
      user,
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-${user}`,
    });
  });

  it.each([
    ["analytics-readonly", [beforeContainment(CUTOFF)]],
    ["deploy", [beforeContainment(CUTOFF), beforeCutoff("2026-11-28T10:00:00Z")]],
  ])("put an inline deny policy on role %s", async (role, statements) => {
    const run = await up(examplesAtContainment(), "examples/incidents");
    const inline = resource(run, "aws:iam/rolePolicy:RolePolicy", `${ACCOUNT}-role-${role}`);
    expect({ ...inline.inputs, policy: JSON.parse(String(inline.inputs.policy)) }).toEqual({
      role,
      name: "cordon-revoke-sessions",
      policy: { Version: "2012-10-17", Statement: statements },
    });
    expect(inline.retainOnDelete).toBe(false);
  });

  it("declare the replacement roles with their trust and policies, all retained", async () => {
    const run = await up(examplesAtContainment(), "examples/incidents");
    const role = (name: string) => {
      const r = resource(run, "aws:iam/role:Role", `${ACCOUNT}-${name}`);
      return { ...r.inputs, assumeRolePolicy: JSON.parse(String(r.inputs.assumeRolePolicy)) };
    };
    expect(role("backup-instance")).toEqual({
      name: "backup-instance",
      path: "/cordon/",
      description:
        "Replacement access path for incident 2026-11-27-laptop-backup-key (cordon); kept when the incident is removed",
      assumeRolePolicy: {
        Version: "2012-10-17",
        Statement: [
          { Sid: "Service", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
      maxSessionDuration: 7200,
      tags: { "cordon:incident": "2026-11-27-laptop-backup-key" },
    });
    expect(role("ci-deployer-oidc")).toEqual({
      name: "ci-deployer-oidc",
      path: "/cordon/",
      description:
        "Replacement access path for incident 2026-11-28-ci-deploy-key (cordon); kept when the incident is removed",
      assumeRolePolicy: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "GithubActionsOidc",
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:example/app:ref:refs/heads/main",
              },
            },
          },
        ],
      },
      maxSessionDuration: 3600,
      tags: { "cordon:incident": "2026-11-28-ci-deploy-key" },
    });
    expect(role("dana-from-builder")).toEqual({
      name: "dana-from-builder",
      path: "/cordon/",
      description:
        "Replacement access path for incident 2026-11-28-key-in-ticket (cordon); kept when the incident is removed",
      assumeRolePolicy: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Principals",
            Effect: "Allow",
            Principal: { AWS: ["arn:aws:iam::210987654321:role/builder"] },
            Action: "sts:AssumeRole",
          },
        ],
      },
      maxSessionDuration: 3600,
      tags: { "cordon:incident": "2026-11-28-key-in-ticket" },
    });
    expect(
      resource(
        run,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        `${ACCOUNT}-dana-from-builder-aws:policy/job-function/ViewOnlyAccess`,
      ).inputs,
    ).toEqual({
      role: "dana-from-builder",
      policyArn: "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    });
    expect(documentOf(run, "aws:iam/rolePolicy:RolePolicy", `${ACCOUNT}-backup-instance-write-backups`)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::example-backups/*"] }],
    });
    const replacement = run.resources.filter((r) => r.custom && r.parent.includes("cordon:iam:ReplacementRole::"));
    expect(replacement).toHaveLength(7);
    for (const r of replacement) expect(r.retainOnDelete, r.urn).toBe(true);
  });

  it("publish the stack outputs that status, guard and verify read back", async () => {
    const run = await up(examplesAtContainment(), "examples/incidents");
    const expected: StackOutputs = {
      account: ACCOUNT,
      incidents: {
        "2026-11-27-laptop-backup-key": {
          cutoff: "2026-11-27T20:30:00Z",
          atContainment: false,
          expiresAt: "2026-12-01T00:00:00Z",
          mode: "deny-all",
          account: ACCOUNT,
          principals: [{ type: "user", name: "svc-backup", account: ACCOUNT }],
          accessKeys: ["AKIAI44QH8DHBEXAMPLE"],
          goneAccessKeys: [],
          gonePrincipals: [],
          organization: { scp: false, rcp: false },
          identityCenterUsers: [],
        },
        "2026-11-28-ci-deploy-key": {
          cutoff: "2026-11-28T10:00:00Z",
          atContainment: false,
          expiresAt: "2026-11-29T22:00:00Z",
          mode: "revoke-older-sessions",
          account: ACCOUNT,
          principals: [
            { type: "role", name: "deploy", account: ACCOUNT },
            { type: "user", name: "ci-deployer", account: ACCOUNT },
          ],
          accessKeys: ["AKIAIOSFODNN7EXAMPLE"],
          goneAccessKeys: [],
          gonePrincipals: [],
          organization: { scp: false, rcp: false },
          identityCenterUsers: [],
        },
        "2026-11-28-key-in-ticket": {
          cutoff: CUTOFF,
          atContainment: true,
          containedAt: CONTAINED_AT,
          containmentStack: `prod-${ACCOUNT}`,
          expiresAt: "2026-11-30T00:28:00Z",
          mode: "revoke-older-sessions",
          account: ACCOUNT,
          principals: [
            { type: "role", name: "analytics-readonly", account: ACCOUNT },
            { type: "role", name: "deploy", account: ACCOUNT },
            { type: "user", name: "ci-deployer", account: ACCOUNT },
            { type: "user", name: "dana", account: ACCOUNT },
          ],
          accessKeys: ["AKIAJ7Q2EXAMPLEKEY77"],
          goneAccessKeys: [],
          gonePrincipals: [],
          organization: { scp: false, rcp: false },
          identityCenterUsers: [],
        },
      },
      replacementRoles: ["backup-instance", "ci-deployer-oidc", "dana-from-builder"],
      rolesWithManagedDeny: [],
      usersWithInlineDeny: [],
      // IAM's id of each user (the fake cloud's, made of the name): how the next run finds one renamed.
      userIds: { "ci-deployer": "AIDACIDEPLOYER", dana: "AIDADANA", "svc-backup": "AIDASVCBACKUP" },
      credentials: [
        userCredentials("ci-deployer", "AKIAIOSFODNN7EXAMPLE", [
          "2026-11-28-ci-deploy-key",
          "2026-11-28-key-in-ticket",
        ]),
        userCredentials("dana", "AKIAJ7Q2EXAMPLEKEY77", ["2026-11-28-key-in-ticket"]),
        userCredentials("svc-backup", "AKIAI44QH8DHBEXAMPLE", ["2026-11-27-laptop-backup-key"]),
      ],
    };
    expect(run.outputs).toEqual(expected);
    expect(containmentFromStackOutputs(run.outputs)).toEqual({
      "2026-11-28-key-in-ticket": { cutoff: CUTOFF, accessKeys: ["AKIAJ7Q2EXAMPLEKEY77"] },
    });
  });
});

describe("the at-containment cutoff", () => {
  it("is recorded after the incident's keys were disabled, without depending on them", async () => {
    const run = await up(examplesAtContainment(), "examples/incidents");
    const instant = resource(run, "time:index/static:Static", `${ACCOUNT}-2026-11-28-key-in-ticket`);
    // Its own key, and the other key of its users that the files do not keep (ci-deployer's, which
    // another incident lists as exposed): a key found later would record the instant again.
    expect(instant.inputs).toEqual({
      triggers: { accessKeys: "AKIAJ7Q2EXAMPLEKEY77", otherAccessKeys: "AKIAIOSFODNN7EXAMPLE" },
    });
    // Registered once the key's step was answered; a key that fails cannot make the engine skip it.
    expect(instant.sequence).toBeGreaterThan(
      resource(run, "aws:iam/accessKey:AccessKey", `${ACCOUNT}-dana-AKIAJ7Q2EXAMPLEKEY77`).sequence,
    );
    expect(instant.dependencies).toEqual([]);
    // Every deny that waits for the instant depends on it, so it is written after it was recorded.
    for (const name of ["user-ci-deployer", "user-dana", "role-analytics-readonly", "role-deploy"]) {
      const deny = run.resources.find(
        (r) => r.name === `${ACCOUNT}-${name}` && /(policy:Policy|rolePolicy:RolePolicy)$/.test(r.type),
      )!;
      expect(deny.dependencies, name).toContain(instant.urn);
    }
  });

  it("keeps the recorded instant on every later run", async () => {
    const cloud = examplesAtContainment();
    const first = await up(cloud, "examples/incidents");
    cloud.now = new Date("2026-11-29T08:00:00Z");
    const second = await up(cloud, "examples/incidents");
    expect(documentOf(second, "aws:iam/policy:Policy", `${ACCOUNT}-user-dana`)).toEqual({
      Version: "2012-10-17",
      Statement: [beforeContainment(CUTOFF)],
    });
    expect(second.outputs).toEqual(foundDisabled(first.outputs!));
  });

  it("is recorded again, later, when a follow-up pull request adds a key to the incident", async () => {
    const cloud = examplesAtContainment();
    const first = await up(cloud, "examples/incidents");
    const ticket = readFileSync(join(EXAMPLES, "2026-11-28-key-in-ticket.yaml"), "utf8");
    const withKey = ticket.replace(
      "  - name: ci-deployer\n",
      "  - name: ci-deployer\n    accessKeys: [AKIAIOSFODNN7EXAMPLE]\n",
    );
    expect(withKey).not.toBe(ticket);
    const dir = incidentsFolder({ "2026-11-28-key-in-ticket.yaml": withKey });
    cloud.now = new Date("2026-11-28T15:00:00Z");
    const second = await up(cloud, dir);
    expect(documentOf(first, "aws:iam/policy:Policy", `${ACCOUNT}-user-dana`).Statement).toEqual([
      beforeContainment(CUTOFF),
    ]);
    // Sessions that the added key minted before it was disabled now fall before the cutoff too.
    expect(documentOf(second, "aws:iam/policy:Policy", `${ACCOUNT}-user-dana`).Statement).toEqual([
      beforeContainment("2026-11-28T15:02:00Z"),
    ]);
    // A third run with the same files keeps that instant.
    cloud.now = new Date("2026-11-29T01:00:00Z");
    const third = await up(cloud, dir);
    expect(documentOf(third, "aws:iam/policy:Policy", `${ACCOUNT}-user-dana`).Statement).toEqual([
      beforeContainment("2026-11-28T15:02:00Z"),
    ]);
  });

  it("is a new instant for a new stack (no recorded state yet)", async () => {
    const first = await up(examplesAtContainment(), "examples/incidents");
    const other = examplesAtContainment();
    other.now = new Date("2026-11-29T08:00:00Z");
    const fresh = await up(other, "examples/incidents");
    expect(documentOf(first, "aws:iam/policy:Policy", `${ACCOUNT}-user-dana`).Statement).toEqual([
      beforeContainment(CUTOFF),
    ]);
    expect(documentOf(fresh, "aws:iam/policy:Policy", `${ACCOUNT}-user-dana`).Statement).toEqual([
      beforeContainment("2026-11-29T08:02:00Z"),
    ]);
  });
});

describe("reconciliation", () => {
  // `pulumi up --refresh` reads the real state, then compares it with the declaration: because
  // the second run declares exactly what the first did, a deny policy deleted by hand is created
  // again and a key re-enabled by hand is set Inactive again.
  it("declares the same resources with the same inputs and options on every run", async () => {
    const cloud = examplesAtContainment();
    const first = await up(cloud, "examples/incidents");
    cloud.now = new Date("2026-11-28T13:00:00Z");
    const second = await up(cloud, "examples/incidents");
    // Only the stack's outputs differ: they say what each run found (the second, keys already Inactive).
    const expected = first.resources.map((r) =>
      r.type === "pulumi:pulumi:Stack" ? { ...r, registeredOutputs: foundDisabled(r.registeredOutputs!) } : r,
    );
    expect(second.resources).toEqual(expected);
  });
});

describe("removing an incident", () => {
  it("leaves every other resource's URN unchanged, retains its replacement role, and keeps disabling the key of a user still named", async () => {
    const cloud = examplesAtContainment();
    const dir = incidentsFolder();
    const before = await up(cloud, dir);
    rmSync(join(dir, "2026-11-28-ci-deploy-key.yaml"));
    const after = await up(cloud, dir);

    const remaining = new Set(after.resources.map((r) => r.urn));
    const removed = before.resources.filter((r) => !remaining.has(r.urn));
    expect(after.resources.filter((r) => !before.resources.some((b) => b.urn === r.urn))).toEqual([]);
    expect(removed.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "cordon:iam:ReplacementRole 123456789012-ci-deployer-oidc",
        "aws:iam/role:Role 123456789012-ci-deployer-oidc",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment 123456789012-ci-deployer-oidc-aws:policy/ReadOnlyAccess",
      ].sort(),
    );
    // Pulumi forgets retained resources instead of deleting them: the role stays.
    for (const r of removed.filter((r) => r.custom)) expect(r.retainOnDelete, r.urn).toBe(true);
    // The removed file's key is its user's, and 2026-11-28-key-in-ticket still names that user: every
    // credential of a compromised user stays Inactive, under the same URN.
    expect(
      resource(after, "aws:iam/accessKey:AccessKey", `${ACCOUNT}-ci-deployer-AKIAIOSFODNN7EXAMPLE`).inputs,
    ).toEqual({ user: "ci-deployer", status: "Inactive" });
    // The deny of a principal that another incident still names stays, without the removed cutoff.
    expect(documentOf(after, "aws:iam/policy:Policy", `${ACCOUNT}-user-ci-deployer`).Statement).toEqual([
      beforeContainment(CUTOFF),
    ]);
    expect(Object.keys((after.outputs as unknown as StackOutputs).incidents)).toEqual([
      "2026-11-27-laptop-backup-key",
      "2026-11-28-key-in-ticket",
    ]);
  });

  it("declares nothing once every file is gone (and each deny policy is then removed)", async () => {
    const run = await up(examplesAtContainment(), incidentsFolder({}, false));
    expect(run.error).toBeUndefined();
    expect(declared(run)).toEqual([]);
    expect(run.outputs).toEqual({
      account: ACCOUNT,
      incidents: {},
      replacementRoles: [],
      rolesWithManagedDeny: [],
      usersWithInlineDeny: [],
      credentials: [],
    });
  });
});

describe("other accounts", () => {
  const otherAccount = [
    "id: 2026-11-28-other-account",
    "title: A key of another account",
    'account: "210987654321"',
    "cutoff: 2026-11-28T09:00:00Z",
    "users:",
    "  - name: builder",
    "    accessKeys: [AKIAOTHERACCOUNTKEY1]",
    "",
  ].join("\n");

  it("ignores their incidents and says so", async () => {
    const examples = await up(examplesAtContainment(), "examples/incidents");
    const cloud = examplesAtContainment();
    const run = await up(cloud, incidentsFolder({ "2026-11-28-other-account.yaml": otherAccount }));
    expect(declared(run)).toEqual(declared(examples));
    expect(cloud.reads.filter((r) => r.startsWith("accessKeys ")).map((r) => r.slice("accessKeys ".length))).toEqual([
      "ci-deployer",
      "dana",
      "svc-backup",
      "ci-deployer",
      "dana",
    ]);
    const guardrails =
      "the organization guardrails of 2026-11-28-build-key-cross-account are the organization stack's to declare (cordon:organization), not this one's";
    expect(run.infos).toEqual([
      "this stack deploys account 123456789012; the shares of other accounts are their stacks' to declare: 2026-11-28-build-key-cross-account (111111111111, 444444444444, 555555555555, 999999999999), 2026-11-28-other-account (210987654321)",
      guardrails,
    ]);
    expect(examples.infos).toEqual([
      "this stack deploys account 123456789012; the shares of other accounts are their stacks' to declare: 2026-11-28-build-key-cross-account (111111111111, 444444444444, 555555555555, 999999999999)",
      guardrails,
    ]);
  });
});

describe("declares nothing when", () => {
  it("the deploying credentials belong to another account", async () => {
    const cloud = examplesAtContainment();
    cloud.account = "210987654321";
    const run = await up(cloud, "examples/incidents");
    expect(run.error?.message).toBe(
      "cordon declared nothing: the deploying credentials belong to account 210987654321, but this stack deploys account 123456789012 (config cordon:account); use credentials of account 123456789012, or the stack of account 210987654321",
    );
    expect(declared(run)).toEqual([]);
    expect(run.calls.map((c) => c.token)).toEqual(["aws:index/getCallerIdentity:getCallerIdentity"]);
  });

  it("any incident file is invalid, listing every problem of every file", async () => {
    const dir = incidentsFolder({
      "short-account.yaml": [
        "id: short-account",
        "title: t",
        'account: "12345"',
        "cutoff: 2026-11-28T09:00:00Z",
        "roles: [{ name: deploy }]",
        "",
      ].join("\n"),
      "misspelt.yaml": [
        "id: misspelt",
        "title: t",
        'account: "123456789012"',
        "cutoff: 2026-11-28T09:00:00Z",
        "user:",
        "  - name: dana",
        "",
      ].join("\n"),
    });
    const run = await up(examplesAtContainment(), dir);
    const { errors } = loadIncidentPaths([dir], PROJECT_DIR, new Date());
    expect(errors.map((e) => e.code).sort()).toEqual(["E_ACCOUNT", "E_UNKNOWN_FIELD"]);
    expect(run.error?.message).toBe(
      [
        `cordon declared nothing: 2 problems in the incident files (\`npx cordon validate ${relative(PROJECT_DIR, dir)}\` shows the same):`,
        ...errors.map(formatDiagnostic),
      ].join("\n"),
    );
    expect(declared(run)).toEqual([]);
    expect(run.calls).toEqual([]);
  });

  it("the incidents folder does not exist (a typo must not remove every remediation)", async () => {
    const run = await up(examplesAtContainment(), "no-such-folder");
    expect(run.error?.message).toBe(
      "cordon declared nothing: 1 problem in the incident files (`npx cordon validate no-such-folder` shows the same):\nno-such-folder:1:1 E_READ no such file or folder",
    );
    expect(declared(run)).toEqual([]);
  });

  // The same checks and words as validate and guard give the stack file (plan/project.ts).
  it.each([
    [
      { "cordon:account": "" },
      'cordon:account: found "", expected the 12-digit AWS account id the stack deploys, quoted ("123456789012")',
    ],
    [
      { "cordon:account": "12345" },
      'cordon:account: found "12345", expected the 12-digit AWS account id the stack deploys, quoted ("123456789012")',
    ],
    [
      { "cordon:incidentsDir": "../elsewhere" },
      expect.stringMatching(
        /^cordon:incidentsDir: found "\.\.\/elsewhere", expected a folder inside the project \(relative, not above it\)/,
      ),
    ],
    [{ "cordon:stackprefix": "prod" }, expect.stringContaining("(did you mean cordon:stackPrefix?)")],
  ])("the stack's settings are wrong: %j", async (config, message) => {
    const run = await up(examplesAtContainment(), "examples/incidents", config);
    expect(run.error?.message.split("\n")).toEqual([
      "cordon declared nothing: 1 problem in the stack's config:",
      message,
    ]);
    expect(declared(run)).toEqual([]);
  });

  it("the stack has no account", async () => {
    const cloud = examplesAtContainment();
    const run = await runProgram(() => deploy(cloud.iam), {
      cloud,
      config: { "cordon:incidentsDir": "examples/incidents" },
    });
    expect(run.error?.message).toBe(
      "cordon declared nothing: 1 problem in the stack's config:\ncordon:account: not set, expected the 12-digit AWS account id this stack deploys (pulumi config set cordon:account 123456789012)",
    );
    expect(declared(run)).toEqual([]);
  });
});

describe("an act of the program's own that fails fails the run, at its end", () => {
  it("a console password that cannot be deleted: everything declared, the outputs returned, and the process ends 32; deleted, the process ends as usual", async () => {
    const green = examplesAtContainment();
    green.loginProfiles.add("ci-deployer");
    const done = await up(green, EXAMPLES);
    expect([done.error, done.exitCode]).toEqual([undefined, undefined]);
    expect(green.acts).toEqual(["deleteLoginProfile ci-deployer"]);

    const cloud = examplesAtContainment();
    cloud.loginProfiles.add("ci-deployer");
    const iam = {
      ...cloud.iam,
      deleteLoginProfile: async () => {
        throw new Error("AccessDenied: not authorized to perform iam:DeleteLoginProfile");
      },
    };
    const run = await runProgram(() => deploy(iam), {
      cloud,
      config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": EXAMPLES },
    });
    expect(run.error).toBeUndefined();
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
    expect(declared(run)).toEqual(declared(done));
    // The outputs of a green run, and what failed in this one (the run's id: outputs outlive a run).
    const { failedActs, ...outputs } = (run.outputs ?? {}) as { failedActs?: { run: string | null; acts: string[] } };
    expect(Object.keys(outputs)).toEqual(Object.keys(done.outputs ?? {}));
    expect(done.outputs).not.toHaveProperty("failedActs");
    expect(failedActs?.run).toBe(process.env.GITHUB_RUN_ID ?? null);
    expect(failedActs?.acts).toHaveLength(1);
    expect(failedActs?.acts[0]).toContain("AccessDenied: not authorized to perform iam:DeleteLoginProfile");
    expect(PROGRAM_SAID_WHY).toBe(32);
  });

  it("its last word, word for word", () => {
    expect(actsFailedMessage(1)).toBe(
      "cordon declared everything, but 1 act of its own failed (said above): this update fails so that it is seen and run again; what was declared stays, and nothing the files no longer declare is deleted until a run succeeds",
    );
    expect(actsFailedMessage(2)).toMatch(/^cordon declared everything, but 2 acts of its own failed \(said above\)/);
  });
});
