/**
 * The program end to end, as `pulumi preview` and `pulumi up` run it: through the engine stand-in
 * (Pulumi's own cmd/run, the resource monitor and engine over gRPC, each step applied to moto),
 * in one account. What IAM then holds is judged by an evaluator cordon did not write
 * (iam-simulate). The CLI is run as users run it.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetRoleCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Account } from "./support/aws-accounts.ts";
import {
  ROOT,
  engineEnv,
  engineSuite,
  readEngineState,
  runEngine,
  stackOutputs,
  stepLines,
  type EngineRun,
} from "./support/engine.ts";
import { decide } from "./support/iam-evaluator.ts";
import type { Moto } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const STACK = `prod-${ACCOUNT}`;
const ID = "2026-11-28-key-in-ticket";

const suite = engineSuite("cordon-engine-");
let moto: Moto;
let dir: string;
let account: Account;
/** An empty account and an empty incidents folder. */
async function freshAccount(): Promise<void> {
  ({ moto, account, dir } = await suite.fresh());
}

const incidentsDir = () => join(dir, "incidents");
const state = () => join(dir, "state", `${STACK}.json`);
function write(id: string, lines: string[]): void {
  writeFileSync(
    join(incidentsDir(), `${id}.yaml`),
    [`id: ${id}`, "title: t", `account: "${ACCOUNT}"`, ...lines, ""].join("\n"),
  );
}
function engine(
  command: "preview" | "up",
  options: { continueOnError?: boolean; refresh?: boolean } = {},
): Promise<EngineRun> {
  return runEngine(command, {
    moto,
    stack: STACK,
    state: state(),
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": incidentsDir() },
    ...options,
  });
}
async function keyStatus(user: string, id: string): Promise<string | undefined> {
  return (await account.iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata?.find(
    (k) => k.AccessKeyId === id,
  )?.Status;
}
async function attached(user: string): Promise<string[]> {
  return ((await account.iam.send(new ListAttachedUserPoliciesCommand({ UserName: user }))).AttachedPolicies ?? [])
    .map((p) => p.PolicyArn ?? "")
    .sort();
}
async function inlineOf(role: string): Promise<string[]> {
  return ((await account.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? []).sort();
}
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const ofType = (run: EngineRun, type: string) => run.steps.filter((s) => s.type === type);

/** The incident of the journey: a key pasted in a ticket, its user's roles, a replacement role. */
async function newIncident(): Promise<string> {
  const key = (await account.user("dana", { key: true }))!;
  await account.user("ci-deployer");
  await account.role("deploy");
  await account.role("analytics-readonly");
  write(ID, [
    "cutoff: at-containment",
    "users:",
    "  - name: dana",
    `    accessKeys: [${key}]`,
    "  - name: ci-deployer",
    "roles:",
    "  - name: deploy",
    "  - name: analytics-readonly",
    "replacementRoles:",
    "  - name: dana-from-builder",
    "    trust: { principals: [arn:aws:iam::210987654321:role/builder] }",
    "    inlinePolicies:",
    '      read: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "*" }] }',
  ]);
  return key;
}

/**
 * The incident's preview and first up, made once for the three tests that start from them (a run is
 * the expensive part), with what they read while the preview had run and the up had not. Those
 * tests follow each other in the file, and the last of them (the file removed) changes what moto
 * holds.
 */
let firstUp: Promise<Awaited<ReturnType<typeof previewAndUp>>> | undefined;
async function previewAndUp() {
  await freshAccount();
  const key = await newIncident();
  const preview = await engine("preview");
  const afterPreview = {
    key: await keyStatus("dana", key),
    attached: await attached("dana"),
    state: existsSync(state()),
  };
  const before = Date.now();
  const up = await engine("up");
  const outputs = await stackOutputs({ moto, stack: STACK, state: state() });
  return { key, preview, afterPreview, before, up, outputs };
}

describe("a new incident", () => {
  it("preview shows the steps and applies nothing; up disables the key, attaches the denies, creates the replacement role; IAM then denies exactly the older sessions", async () => {
    const { key, preview, afterPreview, before, up, outputs: upOutputs } = await (firstUp ??= previewAndUp());
    expect(preview.errors).toEqual([]);
    expect(preview.status).toBe(0);
    expect(stepLines(preview, (s) => s.type.startsWith("aws:") || s.type.startsWith("time:"))).toEqual(
      expect.arrayContaining([
        `import aws:iam/accessKey:AccessKey ${ACCOUNT}-dana-${key}`,
        `update aws:iam/accessKey:AccessKey ${ACCOUNT}-dana-${key}`,
        `create time:index/static:Static ${ACCOUNT}-${ID}`,
        `create aws:iam/policy:Policy ${ACCOUNT}-user-dana`,
        `create aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-dana`,
        `create aws:iam/policy:Policy ${ACCOUNT}-user-ci-deployer`,
        `create aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-deploy`,
        `create aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-analytics-readonly`,
        `create aws:iam/role:Role ${ACCOUNT}-dana-from-builder`,
      ]),
    );
    // A preview applies nothing and keeps no state.
    expect(afterPreview).toEqual({ key: "Active", attached: [], state: false });

    expect(up.errors).toEqual([]);
    expect(up.status).toBe(0);
    expect(await keyStatus("dana", key)).toBe("Inactive");
    expect(await attached("dana")).toEqual([`arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-dana`]);
    expect(await attached("ci-deployer")).toEqual([
      `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-ci-deployer`,
    ]);
    expect(await inlineOf("deploy")).toEqual(["cordon-revoke-sessions"]);
    const replacement = (await account.iam.send(new GetRoleCommand({ RoleName: "dana-from-builder" }))).Role!;
    expect({ path: replacement.Path, tags: replacement.Tags }).toEqual({
      path: "/cordon/",
      tags: [{ Key: "cordon:incident", Value: ID }],
    });
    expect(await inlineOf("dana-from-builder")).toEqual(["read"]);

    // The instant is taken after the key's update; the cutoff is two minutes after it.
    const order = up.steps.map((s) => `${s.op} ${s.type}`);
    expect(order.indexOf("update aws:iam/accessKey:AccessKey")).toBeLessThan(
      order.indexOf("create time:index/static:Static"),
    );
    const outputs = upOutputs as {
      incidents: Record<string, { cutoff: string; containedAt: string; containmentStack: string }>;
    };
    const { cutoff, containedAt, containmentStack } = outputs.incidents[ID];
    expect(containmentStack).toBe(STACK);
    expect(Date.parse(containedAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(cutoff) - Date.parse(containedAt)).toBe(120_000);

    // What IAM holds, judged by iam-simulate: older sessions denied, later ones allowed.
    for (const [type, name, principal] of [
      ["user", "dana", `arn:aws:iam::${ACCOUNT}:user/dana`],
      ["role", "deploy", `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/attacker`],
    ] as const) {
      const policies = await account.policiesOf(type, name);
      const request = { principal, action: "s3:GetObject", resource: "arn:aws:s3:::data/report.csv", account: ACCOUNT };
      const at = (context: Record<string, string>) =>
        decide(
          type === "role"
            ? [...policies, { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }]
            : policies,
          { ...request, context },
        );
      expect(await at({ "aws:TokenIssueTime": iso(Date.parse(cutoff) - 1000) }), name).toBe("ExplicitlyDenied");
      expect(await at({ "aws:TokenIssueTime": iso(Date.parse(cutoff) + 1000) }), name).toBe("Allowed");
    }
  });

  it("a second up changes nothing", async () => {
    expect((await (firstUp ??= previewAndUp())).up.status).toBe(0);
    const second = await engine("up");
    expect(second.status).toBe(0);
    expect(second.steps.filter((s) => s.op !== "same")).toEqual([]);
    expect(second.steps.length).toBeGreaterThan(15);
  });
});

describe("the file removed after expiry", () => {
  it("deletes the denies, keeps the key Inactive and the replacement role", async () => {
    const { key, up, outputs: upOutputs } = await (firstUp ??= previewAndUp());
    expect(up.status).toBe(0);
    // `status` says when the file may go: at the expiry the outputs give.
    const outputs = join(dir, "outputs.json");
    writeFileSync(outputs, JSON.stringify(upOutputs));
    const expiresAt = (
      JSON.parse(readFileSync(outputs, "utf8")) as { incidents: Record<string, { expiresAt: string }> }
    ).incidents[ID].expiresAt;
    const status = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, "cli", "cordon.js"),
        "status",
        incidentsDir(),
        "--stack-outputs",
        outputs,
        "--now",
        expiresAt,
        "--json",
      ],
      {
        cwd: dir,
        env: engineEnv(moto),
      },
    );
    expect((JSON.parse(status.stdout) as { incidents: { id: string; removable: boolean }[] }).incidents).toEqual([
      expect.objectContaining({ id: ID, removable: true }),
    ]);

    rmSync(join(incidentsDir(), `${ID}.yaml`));
    const removal = await engine("up");
    expect(removal.errors).toEqual([]);
    expect(removal.status).toBe(0);
    expect(stepLines(removal, (s) => s.op.startsWith("delete") && s.type.startsWith("aws:")).sort()).toEqual(
      [
        `delete aws:iam/accessKey:AccessKey ${ACCOUNT}-dana-${key} retained`,
        `delete aws:iam/policy:Policy ${ACCOUNT}-user-ci-deployer`,
        `delete aws:iam/policy:Policy ${ACCOUNT}-user-dana`,
        `delete aws:iam/role:Role ${ACCOUNT}-dana-from-builder retained`,
        `delete aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-dana-from-builder-read retained`,
        `delete aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-analytics-readonly`,
        `delete aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-deploy`,
        `delete aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-ci-deployer`,
        `delete aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-dana`,
      ].sort(),
    );
    expect(await keyStatus("dana", key)).toBe("Inactive");
    expect(await attached("dana")).toEqual([]);
    expect(await inlineOf("deploy")).toEqual([]);
    expect(
      (await account.iam.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/cordon/" }))).Policies,
    ).toEqual([]);
    expect((await account.iam.send(new GetRoleCommand({ RoleName: "dana-from-builder" }))).Role?.Path).toBe("/cordon/");
  });
});

describe("the file removed after expiry, and the deployer refused DetachUserPolicy", () => {
  beforeEach(freshAccount);
  it("with --continue-on-error, keeps each user's deny policy attached and in the state (no delete of what a failed detach needs), deletes the rest, and a later run finishes", async () => {
    const key = await newIncident();
    expect((await engine("up")).status).toBe(0);
    const denies = [`${ACCOUNT}-user-ci-deployer`, `${ACCOUNT}-user-dana`];
    const managedOf = async (user: string) => (await attached(user)).filter((arn) => arn.includes(":policy/cordon/"));
    const before = { dana: await managedOf("dana"), ciDeployer: await managedOf("ci-deployer") };
    expect(before.dana).toHaveLength(1);

    rmSync(join(incidentsDir(), `${ID}.yaml`));
    moto.proxy!.fault("DetachUserPolicy", {
      status: 403,
      contentType: "text/xml",
      body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::${ACCOUNT}:user/cordon-deployer is not authorized to perform: iam:DetachUserPolicy</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
    });
    // As the workflows run it.
    const refused = await engine("up", { refresh: true, continueOnError: true });
    moto.proxy!.fault("DetachUserPolicy", undefined);
    expect(refused.status).toBe(1);
    // No delete of a policy still attached: IAM would refuse it (DeleteConflict), and the user keeps its deny.
    expect(stepLines(refused, (s) => s.op.startsWith("delete") && s.type.startsWith("aws:")).sort()).toEqual(
      [
        `delete aws:iam/accessKey:AccessKey ${ACCOUNT}-dana-${key} retained`,
        `delete aws:iam/role:Role ${ACCOUNT}-dana-from-builder retained`,
        `delete aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-dana-from-builder-read retained`,
        `delete aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-analytics-readonly`,
        `delete aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-deploy`,
        ...denies.map((name) => `delete aws:iam/userPolicyAttachment:UserPolicyAttachment ${name} failed`),
      ].sort(),
    );
    expect({ dana: await managedOf("dana"), ciDeployer: await managedOf("ci-deployer") }).toEqual(before);
    const kept = readEngineState(state()).resources;
    for (const name of denies)
      expect(kept.filter((r) => r.urn.endsWith(`::${name}`)).map((r) => r.type)).toEqual([
        "cordon:iam:SessionRevocation",
        "aws:iam/policy:Policy",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
      ]);
    expect(kept.some((r) => r.urn.endsWith(`-role-deploy`))).toBe(false);

    // Once the deployer may detach again, the next run deletes what is left.
    const again = await engine("up", { refresh: true });
    expect([again.status, again.errors]).toEqual([0, []]);
    expect(stepLines(again, (s) => s.op.startsWith("delete") && s.type.startsWith("aws:")).sort()).toEqual(
      denies
        .flatMap((name) => [
          `delete aws:iam/policy:Policy ${name}`,
          `delete aws:iam/userPolicyAttachment:UserPolicyAttachment ${name}`,
        ])
        .sort(),
    );
    expect([await managedOf("dana"), await managedOf("ci-deployer")]).toEqual([[], []]);
    expect(
      (await account.iam.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/cordon/" }))).Policies,
    ).toEqual([]);
    expect(readEngineState(state()).resources.filter((r) => r.type === "cordon:iam:SessionRevocation")).toEqual([]);
  });
});

describe("a principal deleted by hand", () => {
  beforeEach(freshAccount);
  it("is contained: the stack is not stuck, new incidents are declared, the run and the outputs say so, and a user created again gets its deny back", async () => {
    const key = (await account.user("carol", { key: true }))!;
    await account.role("deploy");
    await account.role("reporting");
    write("2026-11-20-carol-key", [
      "cutoff: at-containment",
      "users:",
      "  - name: carol",
      `    accessKeys: [${key}]`,
      "roles:",
      "  - name: deploy",
    ]);
    expect((await engine("up")).status).toBe(0);

    // The responder deletes the user and the role, as the console does (keys, policies, then the principal).
    for (const arn of await attached("carol"))
      await account.iam.send(new DetachUserPolicyCommand({ UserName: "carol", PolicyArn: arn }));
    await account.iam.send(new DeleteUserPolicyCommand({ UserName: "carol", PolicyName: "work" }));
    await account.iam.send(new DeleteAccessKeyCommand({ UserName: "carol", AccessKeyId: key }));
    await account.iam.send(new DeleteUserCommand({ UserName: "carol" }));
    for (const name of await inlineOf("deploy"))
      await account.iam.send(new DeleteRolePolicyCommand({ RoleName: "deploy", PolicyName: name }));
    await account.iam.send(new DeleteRoleCommand({ RoleName: "deploy" }));
    // And a new incident arrives meanwhile.
    write("2026-11-28-reporting", ["cutoff: 2026-11-28T10:00:00Z", "roles:", "  - name: reporting"]);

    const run = await engine("up");
    expect(run.errors).toEqual([]);
    expect(run.status).toBe(0);
    expect(run.infos).toEqual(
      expect.arrayContaining([
        `already contained: IAM no longer has access key ${key} (user carol, incident 2026-11-20-carol-key): deleted, so there is nothing to disable; the deny policies stay until the incident expires`,
        `already contained: IAM has no role deploy (account ${ACCOUNT}, incident 2026-11-20-carol-key), user carol (account ${ACCOUNT}, incident 2026-11-20-carol-key): deleted, so there is no deny to attach; a user or role created again under that name gets its deny back on the next run`,
      ]),
    );
    expect(stepLines(run, (s) => s.type.startsWith("aws:") && s.op !== "same").sort()).toEqual(
      [
        `create aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-reporting`,
        `delete aws:iam/accessKey:AccessKey ${ACCOUNT}-carol-${key} retained`,
        `delete aws:iam/policy:Policy ${ACCOUNT}-user-carol`,
        `delete aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-deploy`,
        `delete aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-carol`,
      ].sort(),
    );
    expect(await inlineOf("reporting")).toEqual(["cordon-revoke-sessions"]);
    const outputs = (await stackOutputs({ moto, stack: STACK, state: state() })) as {
      incidents: Record<string, { gonePrincipals: unknown[]; goneAccessKeys: string[] }>;
    };
    expect(outputs.incidents["2026-11-20-carol-key"]).toMatchObject({
      goneAccessKeys: [key],
      gonePrincipals: [
        { type: "role", name: "deploy", account: ACCOUNT },
        { type: "user", name: "carol", account: ACCOUNT },
      ],
    });

    // Someone creates carol again: the next run attaches her deny again.
    await account.user("carol");
    const again = await engine("up");
    expect(again.status).toBe(0);
    expect(stepLines(again, (s) => s.type.startsWith("aws:") && s.op !== "same").sort()).toEqual(
      [
        `create aws:iam/policy:Policy ${ACCOUNT}-user-carol`,
        `create aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-carol`,
      ].sort(),
    );
    expect(await attached("carol")).toEqual([`arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-carol`]);
    expect(ofType(again, "time:index/static:Static").map((s) => s.op)).toEqual(["same"]);
  });
});

describe("pulumi up --continue-on-error with a key that cannot be imported", () => {
  beforeEach(freshAccount);
  /** moto checks every request against the caller's IAM policies from now on (`off`: no more). */
  async function enforceIam(on: boolean): Promise<void> {
    const response = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: "POST", body: on ? "0" : "inf" });
    if (!response.ok) throw new Error(`moto reset-auth: ${response.status}`);
  }

  it("still lands the session revocation (everything denied until the key is Inactive) and the replacement role, records no instant, and says why", async () => {
    const managed = (await account.user("alice", { key: true }))!;
    write("2026-11-27-alice-key", [
      "cutoff: at-containment",
      "users:",
      "  - name: alice",
      `    accessKeys: [${managed}]`,
    ]);
    expect((await engine("up")).status).toBe(0);

    // A new incident, whose key the deployer cannot import: its role lacks iam:GetAccessKeyLastUsed,
    // which the provider's importer calls (say, an organization's SCP took it away).
    const key = (await account.user("bob", { key: true }))!;
    await account.role("deploy");
    write(ID, [
      "cutoff: at-containment",
      "users:",
      "  - name: bob",
      `    accessKeys: [${key}]`,
      "roles:",
      "  - name: deploy",
      "replacementRoles:",
      "  - name: bob-oidc",
      "    trust: { githubOidc: { repository: example/app, ref: refs/heads/main } }",
    ]);
    const deployer = await account.deployer({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "*", Resource: "*" },
        { Effect: "Deny", Action: "iam:GetAccessKeyLastUsed", Resource: "*" },
      ],
    });
    await enforceIam(true);
    let run: EngineRun;
    try {
      run = await runEngine("up", {
        moto,
        stack: STACK,
        state: state(),
        config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": incidentsDir() },
        credentials: deployer,
        continueOnError: true,
      });
    } finally {
      await enforceIam(false);
    }

    // The run fails, so it is seen; the key's step is the one that failed.
    expect(run.status).toBe(1);
    expect(run.steps.filter((s) => s.result)).toEqual([
      expect.objectContaining({
        op: "import",
        type: "aws:iam/accessKey:AccessKey",
        name: `${ACCOUNT}-bob-${key}`,
        result: "failed",
      }),
    ]);
    expect(run.warnings).toEqual([
      `incident ${ID}: IAM still lists access key ${key} (user bob) as Active after this run's key steps (a failed import or update, or a key created since this run listed them), so no containment instant is recorded: the incident's principals are denied everything until a run finds every access key of its users that the files do not keep Inactive`,
    ]);
    expect(await keyStatus("bob", key)).toBe("Active");
    // The revocation landed all the same, and the replacement role with it; no instant was taken.
    expect(
      stepLines(run, (s) => s.type.startsWith("aws:") || s.type.startsWith("time:")).filter((l) =>
        l.startsWith("create"),
      ),
    ).toEqual(
      expect.arrayContaining([
        `create aws:iam/policy:Policy ${ACCOUNT}-user-bob`,
        `create aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-bob`,
        `create aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-deploy`,
        `create aws:iam/role:Role ${ACCOUNT}-bob-oidc`,
      ]),
    );
    expect(stepLines(run).filter((l) => l.includes("time:index/static:Static") && l.includes(ID))).toEqual([]);
    // The other incident's key and instant are untouched.
    expect(stepLines(run).filter((l) => l.includes("alice"))).toEqual(
      expect.arrayContaining([`same aws:iam/accessKey:AccessKey ${ACCOUNT}-alice-${managed}`]),
    );
    // While the key works, bob and deploy are denied everything: the key's own calls and any session, however new.
    for (const [type, name, principal] of [
      ["user", "bob", `arn:aws:iam::${ACCOUNT}:user/bob`],
      ["role", "deploy", `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/attacker`],
    ] as const) {
      const policies = [
        ...(await account.policiesOf(type, name)),
        { Version: "2012-10-17", Statement: [{ Effect: "Allow" as const, Action: "*", Resource: "*" }] },
      ];
      const request = { principal, action: "s3:GetObject", resource: "arn:aws:s3:::data/report.csv", account: ACCOUNT };
      expect(await decide(policies, request), name).toBe("ExplicitlyDenied");
      expect(
        await decide(policies, { ...request, context: { "aws:TokenIssueTime": iso(Date.now() + 3_600_000) } }),
        name,
      ).toBe("ExplicitlyDenied");
    }
    const outputs = (await stackOutputs({ moto, stack: STACK, state: state() })) as {
      incidents: Record<string, unknown>;
    };
    expect(outputs.incidents[ID]).toMatchObject({
      cutoff: "at-containment",
      expiresAt: null,
      deniedUntilContained: true,
    });

    // With the permission back, the key is disabled, the instant recorded, and the deny narrowed to older sessions.
    const after = await engine("up");
    expect(after.status).toBe(0);
    expect(await keyStatus("bob", key)).toBe("Inactive");
    const recorded = (await stackOutputs({ moto, stack: STACK, state: state() })) as {
      incidents: Record<string, { cutoff: string }>;
    };
    const cutoff = Date.parse(recorded.incidents[ID].cutoff);
    const policies = [...(await account.policiesOf("user", "bob"))];
    const request = {
      principal: `arn:aws:iam::${ACCOUNT}:user/bob`,
      action: "s3:GetObject",
      resource: "arn:aws:s3:::data/report.csv",
      account: ACCOUNT,
    };
    expect(await decide(policies, { ...request, context: { "aws:TokenIssueTime": iso(cutoff - 1000) } })).toBe(
      "ExplicitlyDenied",
    );
    expect(await decide(policies, { ...request, context: { "aws:TokenIssueTime": iso(cutoff + 1000) } })).toBe(
      "Allowed",
    );
  });
});

describe("an access key an attacker added to the incident's user", () => {
  beforeEach(freshAccount);
  const user = "ci-deployer";
  const principal = `arn:aws:iam::${ACCOUNT}:user/${user}`;
  type Recorded = { incidents: Record<string, { cutoff: string; containedAt: string; accessKeys: string[] }> };
  const recorded = async () => ((await stackOutputs({ moto, stack: STACK, state: state() })) as Recorded).incidents[ID];
  /** iam-simulate's decisions for a session of the user issued at `issued` (what GetSessionToken gives, with key A or B). */
  async function sessionIssuedAt(issued: number): Promise<Record<string, string>> {
    const policies = await account.policiesOf("user", user);
    const decisions: Record<string, string> = {};
    for (const [action, resource] of [
      ["iam:CreateAccessKey", principal],
      ["iam:DetachUserPolicy", principal],
      ["s3:GetObject", "arn:aws:s3:::data/report.csv"],
    ])
      decisions[action] = await decide(policies, {
        principal,
        action,
        resource,
        account: ACCOUNT,
        context: { "aws:TokenIssueTime": iso(issued) },
      });
    return decisions;
  }
  const denied = {
    "iam:CreateAccessKey": "ExplicitlyDenied",
    "iam:DetachUserPolicy": "ExplicitlyDenied",
    "s3:GetObject": "ExplicitlyDenied",
  };
  const allowed = { "iam:CreateAccessKey": "Allowed", "iam:DetachUserPolicy": "Allowed", "s3:GetObject": "Allowed" };
  /** The runs are seconds apart; a later instant must be a later second, which the cutoffs below compare. */
  const aSecondAfter = (instant: string) =>
    vi.waitFor(() => expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(instant) + 2000), {
      timeout: 5000,
      interval: 50,
    });

  it("found Active by the next run, is disabled and records the instant again after it: its session minted after the first cutoff is denied; one found already Inactive moves it too, and the cutoff never moves earlier", async () => {
    const exposed = (await account.user(user, { key: true }))!;
    await account.user("dana");
    write(ID, [
      "cutoff: at-containment",
      "users:",
      `  - name: ${user}`,
      `    accessKeys: [${exposed}]`,
      "  - name: dana",
    ]);
    const first = await engine("up");
    expect([first.status, first.errors]).toEqual([0, []]);
    const one = await recorded();

    // The attacker adds key B (a session minted before the deny landed can). B mints a session after
    // the first cutoff: moto cannot issue one at a chosen time, so iam-simulate is told when it was issued.
    const second = (await account.iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
    const attackersSession = Date.parse(one.cutoff) + 1000;
    expect(await sessionIssuedAt(attackersSession)).toEqual(allowed);
    await aSecondAfter(one.containedAt);
    const startedAt = Math.floor(Date.now() / 1000) * 1000;

    // The hourly run.
    const hourly = await engine("up", { refresh: true });
    expect([hourly.status, hourly.errors, hourly.warnings]).toEqual([0, [], []]);
    expect(await keyStatus(user, second)).toBe("Inactive");
    const order = hourly.steps.map((s) => `${s.op} ${s.type} ${s.name}`);
    expect(order).toEqual(
      expect.arrayContaining([
        `import aws:iam/accessKey:AccessKey ${ACCOUNT}-${user}-${second}`,
        `update aws:iam/accessKey:AccessKey ${ACCOUNT}-${user}-${second}`,
        `replace time:index/static:Static ${ACCOUNT}-${ID}`,
      ]),
    );
    expect(order.indexOf(`update aws:iam/accessKey:AccessKey ${ACCOUNT}-${user}-${second}`)).toBeLessThan(
      order.indexOf(`replace time:index/static:Static ${ACCOUNT}-${ID}`),
    );
    const two = await recorded();
    // Recorded after B was disabled (B was Active when the run started), and the contract other stacks read is the same.
    expect(Date.parse(two.containedAt)).toBeGreaterThanOrEqual(startedAt);
    expect(Date.parse(two.cutoff)).toBeGreaterThan(Date.parse(one.cutoff));
    expect(two.accessKeys).toEqual([exposed]);
    expect(await sessionIssuedAt(attackersSession)).toEqual(denied);
    expect(await sessionIssuedAt(Date.parse(two.cutoff) + 1000)).toEqual(allowed);

    // Key C of the incident's other user, created and disabled by whoever made it before any run saw
    // it: its sessions could be after the cutoff too, so it moves the instant as well.
    const third = (await account.iam.send(new CreateAccessKeyCommand({ UserName: "dana" }))).AccessKey!.AccessKeyId!;
    await account.iam.send(new UpdateAccessKeyCommand({ UserName: "dana", AccessKeyId: third, Status: "Inactive" }));
    await aSecondAfter(two.containedAt);
    const again = await engine("up", { refresh: true });
    expect([again.status, again.errors]).toEqual([0, []]);
    expect(stepLines(again, (s) => s.type === "time:index/static:Static")).toEqual([
      `replace time:index/static:Static ${ACCOUNT}-${ID}`,
      `delete-replaced time:index/static:Static ${ACCOUNT}-${ID}`,
    ]);
    const three = await recorded();
    expect(Date.parse(three.cutoff)).toBeGreaterThan(Date.parse(two.cutoff));
    expect(await sessionIssuedAt(Date.parse(two.cutoff) + 1000)).toEqual(denied);

    // Nothing new: the instant stays.
    const quiet = await engine("up", { refresh: true });
    expect(quiet.status).toBe(0);
    expect(ofType(quiet, "time:index/static:Static").map((s) => s.op)).toEqual(["same"]);
    expect((await recorded()).cutoff).toBe(three.cutoff);
  }, 240_000);

  it("whose step fails on the incident's first run leaves the incident denied everything, with no instant, until a run finds it Inactive", async () => {
    // An older incident disabled key A; the attacker's key B came after it.
    const exposed = (await account.user(user, { key: true }))!;
    write("2026-11-27-older", [
      "cutoff: 2026-11-27T10:00:00Z",
      "users:",
      `  - name: ${user}`,
      `    accessKeys: [${exposed}]`,
    ]);
    expect((await engine("up")).status).toBe(0);
    const second = (await account.iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
    write(ID, ["cutoff: at-containment", "users:", `  - name: ${user}`, `    accessKeys: [${exposed}]`]);

    // B's update is refused; A is already Inactive and in the state, so only B's step fails.
    moto.proxy!.fault("UpdateAccessKey", {
      status: 403,
      contentType: "text/xml",
      body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::${ACCOUNT}:user/cordon-deployer is not authorized to perform: iam:UpdateAccessKey</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
    });
    let run: EngineRun;
    try {
      run = await engine("up", { continueOnError: true });
    } finally {
      moto.proxy!.fault("UpdateAccessKey", undefined);
    }
    expect(run.status).toBe(1);
    expect(run.steps.filter((s) => s.result).map((s) => `${s.op} ${s.name} ${s.result}`)).toEqual([
      `update ${ACCOUNT}-${user}-${second} failed`,
    ]);
    expect(await keyStatus(user, second)).toBe("Active");
    expect(run.warnings).toEqual([
      `incident ${ID}: IAM still lists access key ${second} (user ${user}) as Active after this run's key steps (a failed import or update, or a key created since this run listed them), so no containment instant is recorded: the incident's principals are denied everything until a run finds every access key of its users that the files do not keep Inactive`,
    ]);
    expect(stepLines(run).filter((l) => l.includes("time:index/static:Static"))).toEqual([]);
    // B's sessions, however new, are denied.
    expect(await sessionIssuedAt(Date.now() + 3_600_000)).toEqual(denied);
    expect(await recorded()).toMatchObject({ cutoff: "at-containment", deniedUntilContained: true });

    const after = await engine("up");
    expect([after.status, after.errors, after.warnings]).toEqual([0, [], []]);
    expect(await keyStatus(user, second)).toBe("Inactive");
    const { cutoff, containedAt } = await recorded();
    expect(Date.parse(cutoff) - Date.parse(containedAt)).toBe(120_000);
    expect(await sessionIssuedAt(Date.parse(cutoff) - 1000)).toEqual(denied);
    expect(await sessionIssuedAt(Date.parse(cutoff) + 1000)).toEqual(allowed);
  }, 240_000);
});
