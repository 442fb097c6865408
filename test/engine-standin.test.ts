/**
 * The engine stand-in's own behaviours that cordon's program does not reach on its own paths, on a
 * small program of its own: a replacement when an input the provider marks ForceNew changes
 * (created first and the old one deleted after, or deleted first where the provider asks so),
 * what --continue-on-error skips (the dependents of a failed step, through dependsOn and through
 * their parent) and what it does not, deletes that fail or never run (their resources stay in the
 * state, and the next run tries again), a program that fails (nothing deleted), an import under
 * another id, and a stack reference read from the other stack's state file. Later branches add
 * rows to the provider table; these keep the engine part honest.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Account } from "./support/aws-accounts.ts";
import { ROOT, readEngineState, runEngine, stackOutputs, stepLines, type EngineRun } from "./support/engine.ts";
import { startMoto, type Moto } from "./support/moto.ts";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

class Box extends pulumi.ComponentResource {
  constructor(name, role, opts) {
    super("test:index:Box", name, {}, opts);
    new aws.iam.RolePolicy(name, { role, name: "in-box", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] }) }, { parent: this });
    this.registerOutputs({});
  }
}

export default async function () {
  const config = new pulumi.Config();
  const document = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }] });
  const fail = config.get("fail");
  if (fail !== undefined) throw new pulumi.RunError("the program refuses: " + fail);
  if (config.get("declare") === "nothing") return {};
  const kept = new aws.iam.RolePolicy("kept", { role: "worker", name: config.require("policyName"), policy: document });
  const outputs = { policy: kept.name };
  for (let n = 1; n <= Number(config.get("keys") ?? 0); n++) new aws.iam.AccessKey("key-" + n, { user: "keyholder" });
  const keyUser = config.get("keyUser");
  if (keyUser !== undefined) {
    const rotated = new aws.iam.AccessKey("rotated", { user: keyUser });
    if (config.get("failAfterKey") !== undefined)
      new aws.iam.RolePolicy("after-key", { role: "no-such-role", name: "after-key", policy: document }, { dependsOn: [rotated] });
  }
  const attachArn = config.get("attachArn");
  if (attachArn !== undefined) new aws.iam.RolePolicyAttachment("attached", { role: "worker", policyArn: attachArn });
  const policyPath = config.get("policyPath");
  if (policyPath !== undefined) {
    const deny = new aws.iam.Policy("deny", { name: "deny", path: policyPath, policy: document });
    new aws.iam.RolePolicyAttachment("deny", { role: "worker", policyArn: deny.arn });
  }
  if (config.get("soloPolicy") !== undefined) new aws.iam.Policy("solo", { name: "solo", policy: document });
  const importKey = config.get("importKey");
  if (importKey !== undefined) new aws.iam.AccessKey("imported", { user: "other", status: "Inactive" }, { import: importKey });
  const missing = config.get("missingRole");
  if (missing !== undefined) {
    const broken = new aws.iam.RolePolicy("broken", { role: missing, name: "broken", policy: document });
    new aws.iam.RolePolicy("after-broken", { role: "worker", name: "after-broken", policy: document }, { dependsOn: [broken] });
    new aws.iam.RolePolicy("child-of-broken", { role: "worker", name: "child-of-broken", policy: document }, { parent: broken });
    const box = new Box("box", missing, {});
    new aws.iam.RolePolicy("in-box-sibling", { role: "worker", name: "sibling", policy: document }, { parent: box });
  }
  const other = config.get("readStack");
  if (other !== undefined) outputs.read = new pulumi.StackReference(other).getOutput("policy");
  for (const name of (config.get("inline") ?? "").split(",").filter(Boolean))
    new aws.iam.RolePolicy("inline-" + name, { role: "worker", name, policy: document });
  const note = config.get("note");
  if (note !== undefined) outputs.note = note;
  // An act of the program's own that failed, once everything is declared: said as an error, and the
  // run ends failed (exit code 32: the program said why), as cordon's program ends it.
  const actFailed = config.get("actFailed");
  if (actFailed !== undefined) {
    pulumi.log.error("could not " + actFailed);
    process.exitCode = 32;
  }
  return outputs;
}
`;

let moto: Moto;
let dir: string;
let project: string;
beforeAll(async () => {
  // The proxy in front of moto refuses a call on demand, as AWS refuses a deployer a permission.
  moto = await startMoto({ managedPolicies: false, serviceCredentials: true });
  dir = mkdtempSync(join(tmpdir(), "cordon-standin-"));
  project = join(dir, "project");
  mkdirSync(project);
  writeFileSync(
    join(project, "Pulumi.yaml"),
    "name: standin\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
  );
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "standin", type: "module", main: "index.js" }));
  writeFileSync(join(project, "index.js"), PROGRAM);
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"), "dir");
  const account = new Account(moto);
  await account.role("worker");
  for (const user of ["keyholder", "other"]) await account.iam.send(new CreateUserCommand({ UserName: user }));
});
afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** What IAM answers a deployer refused a permission: a 403 with AccessDenied. */
function refuse(action: string): void {
  moto.proxy!.fault(action, {
    status: 403,
    contentType: "text/xml",
    body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/cordon-deployer is not authorized to perform: iam:${action}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  });
}

function up(stack: string, config: Record<string, string>, continueOnError = false): Promise<EngineRun> {
  return runEngine("up", {
    moto,
    stack,
    dir: project,
    state: join(dir, "state", `${stack}.json`),
    config,
    continueOnError,
  });
}
const inlineOf = async (role: string) =>
  ((await new Account(moto).iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? []).sort();
const keysOf = async (user: string) =>
  ((await new Account(moto).iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [])
    .map((k) => k.AccessKeyId ?? "")
    .sort();
const attachedTo = async (role: string) =>
  ((await new Account(moto).iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies ?? [])
    .map((p) => p.PolicyArn ?? "")
    .sort();
const stateOf = (stack: string) => readEngineState(join(dir, "state", `${stack}.json`));
/** `type name` of each resource of a stack's state, in the state's order, with `pending delete` or `pending replacement`. */
const stateLines = (stack: string) =>
  stateOf(stack).resources.map(
    (r) =>
      `${r.type} ${r.urn.split("::").pop()}${r.delete ? " pending delete" : ""}${r.pendingReplacement ? " pending replacement" : ""}`,
  );
/** The resources listed before one it needs (its parent, provider, dependencies): none, in an order the engine trusts. */
function outOfOrder(stack: string): string[] {
  const seen = new Set<string>();
  const wrong: string[] = [];
  for (const r of stateOf(stack).resources) {
    const needs = [r.parent, r.provider?.slice(0, r.provider.lastIndexOf("::")) ?? "", ...r.dependencies];
    for (const urn of needs) if (urn !== "" && !seen.has(urn)) wrong.push(`${r.urn} before ${urn}`);
    seen.add(r.urn);
  }
  return wrong;
}

describe("the engine stand-in", () => {
  it("replaces a resource whose ForceNew input changed: the new one first, the old one deleted after", async () => {
    const before = await keysOf("keyholder");
    expect((await up("replace", { "standin:policyName": "p", "standin:keyUser": "keyholder" })).status).toBe(0);
    const [first] = (await keysOf("keyholder")).filter((key) => !before.includes(key));
    const run = await up("replace", { "standin:policyName": "p", "standin:keyUser": "other" });
    expect(run.status).toBe(0);
    const lines = stepLines(run, (s) => s.type.startsWith("aws:iam/accessKey"));
    expect(lines).toEqual([
      "replace aws:iam/accessKey:AccessKey rotated",
      "delete-replaced aws:iam/accessKey:AccessKey rotated",
    ]);
    expect(await keysOf("keyholder")).toEqual(before);
    expect(stateOf("replace").resources.find((r) => r.type === "aws:iam/accessKey:AccessKey")?.inputs.user).toBe(
      "other",
    );
    expect(await keysOf("other")).toContain(
      stateOf("replace").resources.find((r) => r.type === "aws:iam/accessKey:AccessKey")?.id,
    );
    expect(first).toBeDefined();
    await up("replace", { "standin:declare": "nothing" });
  });

  it("replaces a resource whose name the program sets, and which the bridge would auto-name, by deleting it first: the new one takes the name", async () => {
    // pulumi-terraform-bridge, nameRequiresDeleteBeforeReplace: the new inline policy could not be
    // put beside the old one under a name both have.
    expect((await up("named", { "standin:policyName": "first" })).status).toBe(0);
    const run = await up("named", { "standin:policyName": "second" });
    expect(run.status).toBe(0);
    expect(stepLines(run, (s) => s.type.startsWith("aws:"))).toEqual([
      "delete-replaced aws:iam/rolePolicy:RolePolicy kept",
      "replace aws:iam/rolePolicy:RolePolicy kept",
    ]);
    expect(await inlineOf("worker")).toEqual(["second"]);
    expect(stateLines("named")).toEqual([
      "pulumi:pulumi:Stack standin-named",
      "pulumi:providers:aws default_7_48_0",
      "aws:iam/rolePolicy:RolePolicy kept",
    ]);
    await up("named", { "standin:declare": "nothing" });
  });

  it("keeps what a delete-before-replace deleted in the state, marked so, when the create fails: the next run creates it without deleting it again, or only forgets it", async () => {
    expect((await up("recreate", { "standin:policyName": "first" })).status).toBe(0);
    refuse("PutRolePolicy");
    let failed: EngineRun;
    try {
      failed = await up("recreate", { "standin:policyName": "second" });
    } finally {
      moto.proxy!.fault("PutRolePolicy", undefined);
    }
    expect(failed.status).toBe(1);
    expect(stepLines(failed, (s) => s.type.startsWith("aws:"))).toEqual([
      "delete-replaced aws:iam/rolePolicy:RolePolicy kept",
      "replace aws:iam/rolePolicy:RolePolicy kept failed",
    ]);
    expect(await inlineOf("worker")).not.toContain("first");
    expect(stateLines("recreate")).toContain("aws:iam/rolePolicy:RolePolicy kept pending replacement");

    const created = await up("recreate", { "standin:policyName": "second" });
    expect([created.status, created.errors]).toEqual([0, []]);
    expect(stepLines(created, (s) => s.type.startsWith("aws:"))).toEqual([
      "replace aws:iam/rolePolicy:RolePolicy kept",
    ]);
    expect(await inlineOf("worker")).toContain("second");
    expect(stateLines("recreate")).toContain("aws:iam/rolePolicy:RolePolicy kept");

    refuse("PutRolePolicy");
    try {
      expect((await up("recreate", { "standin:policyName": "third" })).status).toBe(1);
    } finally {
      moto.proxy!.fault("PutRolePolicy", undefined);
    }
    const forgotten = await up("recreate", { "standin:declare": "nothing" });
    expect([forgotten.status, forgotten.errors]).toEqual([0, []]);
    expect(stepLines(forgotten, (s) => s.type.startsWith("aws:"))).toEqual([
      "remove-pending-replace aws:iam/rolePolicy:RolePolicy kept",
    ]);
    expect(stateLines("recreate")).toEqual(["pulumi:pulumi:Stack standin-recreate"]);
    expect(await inlineOf("worker")).not.toContain("second");
  });

  it("replaces a policy attachment by detaching first, as pulumi-aws asks (a create would attach what is attached already, and the delete detach it)", async () => {
    const iam = new Account(moto).iam;
    const arns: string[] = [];
    for (const name of ["attach-one", "attach-two"])
      arns.push(
        (
          await iam.send(
            new CreatePolicyCommand({
              PolicyName: name,
              PolicyDocument: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }],
              }),
            }),
          )
        ).Policy!.Arn!,
      );
    expect((await up("attach", { "standin:policyName": "attach", "standin:attachArn": arns[0] })).status).toBe(0);
    const run = await up("attach", { "standin:policyName": "attach", "standin:attachArn": arns[1] });
    expect([run.status, run.errors]).toEqual([0, []]);
    expect(stepLines(run, (s) => s.type.startsWith("aws:iam/rolePolicyAttachment"))).toEqual([
      "delete-replaced aws:iam/rolePolicyAttachment:RolePolicyAttachment attached",
      "replace aws:iam/rolePolicyAttachment:RolePolicyAttachment attached",
    ]);
    expect((await attachedTo("worker")).filter((arn) => arns.includes(arn))).toEqual([arns[1]]);
    await up("attach", { "standin:declare": "nothing" });
  });

  it("deleting first, deletes first what an input of which would force it to be replaced too (the attachment of a policy replaced), and creates both again", async () => {
    expect((await up("dependents", { "standin:policyName": "dependents", "standin:policyPath": "/one/" })).status).toBe(
      0,
    );
    const run = await up("dependents", { "standin:policyName": "dependents", "standin:policyPath": "/two/" });
    expect([run.status, run.errors]).toEqual([0, []]);
    expect(stepLines(run, (s) => s.type.startsWith("aws:") && s.name === "deny")).toEqual([
      "delete-replaced aws:iam/rolePolicyAttachment:RolePolicyAttachment deny",
      "delete-replaced aws:iam/policy:Policy deny",
      "replace aws:iam/policy:Policy deny",
      "replace aws:iam/rolePolicyAttachment:RolePolicyAttachment deny",
    ]);
    const policies = (await new Account(moto).iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies ?? [];
    const deny = policies.filter((p) => p.PolicyName === "deny");
    expect(deny.map((p) => p.Path)).toEqual(["/two/"]);
    expect(await attachedTo("worker")).toContain(deny[0].Arn);
    expect(outOfOrder("dependents")).toEqual([]);
    expect(stateLines("dependents").filter((line) => line.endsWith(" deny"))).toEqual([
      "aws:iam/policy:Policy deny",
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment deny",
    ]);
    await up("dependents", { "standin:declare": "nothing" });
  });

  it("keeps in the state what a delete did not delete (failed, or never tried after a failure), in an order the engine trusts, and tries again next run", async () => {
    // Two keys: IAM's limit for a user.
    const keys = { "standin:policyName": "leftovers", "standin:keys": "2" };
    const before = await keysOf("keyholder");
    expect((await up("leftovers", keys)).status).toBe(0);
    const created = await keysOf("keyholder");
    expect(created.filter((key) => !before.includes(key))).toHaveLength(2);
    refuse("DeleteAccessKey");
    try {
      // Nothing declared: the two keys and the inline policy go in one round, at once, and the
      // provider they all use in the next one, which the failures cancel.
      const stopped = await up("leftovers", { "standin:declare": "nothing" });
      expect(stopped.status).toBe(1);
      expect(stepLines(stopped, (s) => s.op === "delete").sort()).toEqual([
        "delete aws:iam/accessKey:AccessKey key-1 failed",
        "delete aws:iam/accessKey:AccessKey key-2 failed",
        "delete aws:iam/rolePolicy:RolePolicy kept",
      ]);
      expect(
        stopped.errors.some((e) =>
          e.includes(
            "AccessDenied: User: arn:aws:iam::123456789012:user/cordon-deployer is not authorized to perform: iam:DeleteAccessKey",
          ),
        ),
      ).toBe(true);
      // The keys in the order their creates finished, which ran at once.
      expect(stateLines("leftovers").slice(0, 2)).toEqual([
        "pulumi:pulumi:Stack standin-leftovers",
        "pulumi:providers:aws default_7_48_0",
      ]);
      expect(stateLines("leftovers").slice(2).sort()).toEqual([
        "aws:iam/accessKey:AccessKey key-1",
        "aws:iam/accessKey:AccessKey key-2",
      ]);
      expect(outOfOrder("leftovers")).toEqual([]);

      // With --continue-on-error, the provider the failed deletes' keys need is not deleted either.
      const going = await up("leftovers", { "standin:declare": "nothing" }, true);
      expect(going.status).toBe(1);
      expect(stepLines(going, (s) => s.op === "delete").sort()).toEqual([
        "delete aws:iam/accessKey:AccessKey key-1 failed",
        "delete aws:iam/accessKey:AccessKey key-2 failed",
      ]);
      expect(stateLines("leftovers")).toHaveLength(4);
      expect(outOfOrder("leftovers")).toEqual([]);
      expect(await keysOf("keyholder")).toEqual(created);
    } finally {
      moto.proxy!.fault("DeleteAccessKey", undefined);
    }
    const done = await up("leftovers", { "standin:declare": "nothing" });
    expect([done.status, done.errors]).toEqual([0, []]);
    expect(stepLines(done, (s) => s.op === "delete").sort()).toEqual([
      "delete aws:iam/accessKey:AccessKey key-1",
      "delete aws:iam/accessKey:AccessKey key-2",
      "delete pulumi:providers:aws default_7_48_0",
    ]);
    expect(
      done.steps
        .filter((s) => s.op === "delete")
        .map((s) => s.name)
        .at(-1),
    ).toBe("default_7_48_0");
    expect(stateLines("leftovers")).toEqual(["pulumi:pulumi:Stack standin-leftovers"]);
    expect(await keysOf("keyholder")).toEqual(before);
  });

  it("keeps a replaced resource pending deletion when its delete did not run (a later step failed) or failed, and deletes it in a later run", async () => {
    const base = { "standin:policyName": "pending" };
    const before = await keysOf("keyholder");
    expect((await up("pending", { ...base, "standin:keyUser": "keyholder" })).status).toBe(0);
    const [old] = (await keysOf("keyholder")).filter((key) => !before.includes(key));

    // The new key is created, then a step that waits for it fails: the run stops, nothing is deleted.
    const cancelled = await up("pending", { ...base, "standin:keyUser": "other", "standin:failAfterKey": "yes" });
    expect(cancelled.status).toBe(1);
    expect(stepLines(cancelled, (s) => s.type.startsWith("aws:iam/accessKey") || s.result === "failed")).toEqual([
      "replace aws:iam/accessKey:AccessKey rotated",
      "create aws:iam/rolePolicy:RolePolicy after-key failed",
    ]);
    expect(stateLines("pending").filter((line) => line.includes("rotated"))).toEqual([
      "aws:iam/accessKey:AccessKey rotated",
      "aws:iam/accessKey:AccessKey rotated pending delete",
    ]);
    expect(outOfOrder("pending")).toEqual([]);

    refuse("DeleteAccessKey");
    try {
      const failed = await up("pending", { ...base, "standin:keyUser": "other" });
      expect(failed.status).toBe(1);
      expect(stepLines(failed, (s) => s.type.startsWith("aws:iam/accessKey"))).toEqual([
        "same aws:iam/accessKey:AccessKey rotated",
        "delete-replaced aws:iam/accessKey:AccessKey rotated failed",
      ]);
      expect(stateLines("pending").filter((line) => line.includes("rotated"))).toEqual([
        "aws:iam/accessKey:AccessKey rotated",
        "aws:iam/accessKey:AccessKey rotated pending delete",
      ]);
    } finally {
      moto.proxy!.fault("DeleteAccessKey", undefined);
    }
    const done = await up("pending", { ...base, "standin:keyUser": "other" });
    expect([done.status, done.errors]).toEqual([0, []]);
    expect(stepLines(done, (s) => s.type.startsWith("aws:iam/accessKey"))).toEqual([
      "same aws:iam/accessKey:AccessKey rotated",
      "delete-replaced aws:iam/accessKey:AccessKey rotated",
    ]);
    expect(stateLines("pending").filter((line) => line.includes("rotated"))).toEqual([
      "aws:iam/accessKey:AccessKey rotated",
    ]);
    expect(old).toBeDefined();
    expect(await keysOf("keyholder")).toEqual(before);
    await up("pending", { "standin:declare": "nothing" });
  });

  it("answers a delete of a managed policy still attached as IAM does (DeleteConflict), and keeps it in the state", async () => {
    expect((await up("conflict", { "standin:policyName": "conflict", "standin:soloPolicy": "yes" })).status).toBe(0);
    const arn = stateOf("conflict").resources.find((r) => r.type === "aws:iam/policy:Policy")!.id!;
    // Attached by hand, outside the stack.
    await new Account(moto).iam.send(new AttachRolePolicyCommand({ RoleName: "worker", PolicyArn: arn }));
    const run = await up("conflict", { "standin:policyName": "conflict" });
    expect(run.status).toBe(1);
    expect(run.steps.filter((s) => s.type === "aws:iam/policy:Policy")).toEqual([
      {
        op: "delete",
        type: "aws:iam/policy:Policy",
        name: "solo",
        result: "failed",
        error: "DeleteConflictException: Cannot delete a policy attached to entities.",
      },
    ]);
    expect(await attachedTo("worker")).toContain(arn);
    expect(stateLines("conflict")).toContain("aws:iam/policy:Policy solo");
  });

  it("imports under another id than the state's as a replacement: the resource the state had is deleted with the deletes", async () => {
    const iam = new Account(moto).iam;
    const made: string[] = [];
    for (let n = 0; n < 2; n++)
      made.push((await iam.send(new CreateAccessKeyCommand({ UserName: "other" }))).AccessKey!.AccessKeyId!);
    const base = { "standin:policyName": "import" };
    const imported = await up("import", { ...base, "standin:importKey": made[0] });
    expect(stepLines(imported, (s) => s.type.startsWith("aws:iam/accessKey"))).toEqual([
      "import aws:iam/accessKey:AccessKey imported",
      "update aws:iam/accessKey:AccessKey imported",
    ]);
    const run = await up("import", { ...base, "standin:importKey": made[1] });
    expect([run.status, run.errors]).toEqual([0, []]);
    expect(stepLines(run, (s) => s.type.startsWith("aws:iam/accessKey"))).toEqual([
      "import-replacement aws:iam/accessKey:AccessKey imported",
      "update aws:iam/accessKey:AccessKey imported",
      "delete-replaced aws:iam/accessKey:AccessKey imported",
    ]);
    expect(await keysOf("other")).toEqual(expect.arrayContaining([made[1]]));
    expect(await keysOf("other")).not.toContain(made[0]);
    expect(
      stateOf("import")
        .resources.filter((r) => r.type === "aws:iam/accessKey:AccessKey")
        .map((r) => r.id),
    ).toEqual([made[1]]);
    await up("import", { "standin:declare": "nothing" });
  });

  it("with --continue-on-error, skips what depends on a failed step (dependsOn, parent), goes on with the rest, and fails the run", async () => {
    const run = await up("skip", { "standin:policyName": "skip", "standin:missingRole": "no-such-role" }, true);
    expect(run.status).toBe(1);
    expect(stepLines(run, (s) => s.type.startsWith("aws:")).sort()).toEqual(
      [
        "create aws:iam/rolePolicy:RolePolicy broken failed",
        "create aws:iam/rolePolicy:RolePolicy after-broken skipped",
        "create aws:iam/rolePolicy:RolePolicy child-of-broken skipped",
        "create aws:iam/rolePolicy:RolePolicy box failed",
        "create aws:iam/rolePolicy:RolePolicy kept",
        // A sibling in the same component does not depend on the failed child: only on the component.
        "create aws:iam/rolePolicy:RolePolicy in-box-sibling",
      ].sort(),
    );
    expect(run.errors.join("\n")).toContain("NoSuchEntityException");
    const worker = await inlineOf("worker");
    expect(worker).toEqual(expect.arrayContaining(["sibling", "skip"]));
    expect(worker).not.toContain("after-broken");
    expect(worker).not.toContain("child-of-broken");
  });

  it("without --continue-on-error, stops at the first failed step: what waits for it never starts, and the run fails", async () => {
    const run = await up("stop", { "standin:policyName": "stop", "standin:missingRole": "no-such-role" });
    expect(run.status).toBe(1);
    expect(run.steps.filter((s) => s.result === "failed").length).toBeGreaterThan(0);
    expect(run.steps.filter((s) => s.result === "skipped")).toEqual([]);
    expect(run.steps.filter((s) => s.name === "after-broken" || s.name === "child-of-broken")).toEqual([]);
    expect(await inlineOf("worker")).not.toContain("after-broken");
  });

  it("deletes nothing when the program fails, and says why with the program's own message", async () => {
    expect((await up("fails", { "standin:policyName": "stays" })).status).toBe(0);
    const run = await up("fails", { "standin:fail": "on purpose" });
    expect(run.status).toBe(1);
    expect(run.errors).toEqual(["the program refuses: on purpose"]);
    expect(run.steps.filter((s) => s.op.startsWith("delete"))).toEqual([]);
    expect(await inlineOf("worker")).toContain("stays");
  });

  // What the engine does when the language host answers Bail (the program exited 32 after saying
  // why; pulumi-language-nodejs main.go): the source iterator ends with that bail, so no delete
  // runs (deployment_executor.go, Execute: performPostSteps only after a nil event); every step
  // already done stays in the snapshot; the stack outputs are finalized as errored, the new ones
  // over the old (step_executor.go, executeRegisterResourceOutputs); the CLI exits 1 (exit_codes.go).
  it("a program that exits 32 after saying why: nothing deleted, what it declared kept, its outputs over the old, no other message, and the run fails", async () => {
    const base = { "standin:policyName": "acts" };
    const first = await up("acts", { ...base, "standin:inline": "acts-gone", "standin:note": "one" });
    expect([first.status, first.errors]).toEqual([0, []]);
    const run = await up("acts", {
      ...base,
      "standin:inline": "acts-new",
      "standin:note": "two",
      "standin:actFailed": "delete the root access keys of account 444444444444",
    });
    expect(run.status).toBe(1);
    expect(run.errors).toEqual(["could not delete the root access keys of account 444444444444"]);
    expect(stepLines(run)).toEqual([
      "same aws:iam/rolePolicy:RolePolicy kept",
      "create aws:iam/rolePolicy:RolePolicy inline-acts-new",
    ]);
    expect(stateLines("acts").filter((line) => line.startsWith("aws:"))).toEqual([
      "aws:iam/rolePolicy:RolePolicy kept",
      "aws:iam/rolePolicy:RolePolicy inline-acts-new",
      "aws:iam/rolePolicy:RolePolicy inline-acts-gone",
    ]);
    expect(await inlineOf("worker")).toEqual(expect.arrayContaining(["acts", "acts-gone", "acts-new"]));
    expect(await stackOutputs({ moto, stack: "acts", state: join(dir, "state", "acts.json") })).toEqual({
      policy: "acts",
      note: "two",
    });
    // Once the act succeeds, the run is green and what the program no longer declares goes.
    const green = await up("acts", { ...base, "standin:inline": "acts-new" });
    expect([green.status, green.errors]).toEqual([0, []]);
    expect(stepLines(green)).toContain("delete aws:iam/rolePolicy:RolePolicy inline-acts-gone");
    expect(await inlineOf("worker")).not.toContain("acts-gone");
  });

  it.each([
    [
      "a key of another namespace with a type",
      "name: standin\nruntime: nodejs\nconfig:\n  cordon:account:\n    type: string\n",
      "Configuration key 'cordon:account' is not namespaced by the project and should not define a type",
    ],
    [
      "a key of another namespace with a default",
      "name: standin\nruntime: nodejs\nconfig:\n  cordon:account:\n    default: '123456789012'\n",
      "Configuration key 'cordon:account' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?",
    ],
    [
      "a key of another namespace without a value",
      "name: standin\nruntime: nodejs\nconfig:\n  cordon:account:\n    description: the account\n",
      "Configuration key 'cordon:account' is namespaced and must provide an attribute 'value'",
    ],
  ])("reads Pulumi.yaml as the CLI does: refuses %s, with the CLI's message", async (_, yaml, message) => {
    const other = mkdtempSync(join(dir, "yaml-"));
    writeFileSync(join(other, "Pulumi.yaml"), yaml);
    const run = await runEngine("preview", { moto, stack: "yaml", dir: other, state: join(dir, "state", "yaml.json") });
    expect([run.status, run.errors]).toEqual([1, [`${join(other, "Pulumi.yaml")}: ${message}`]]);
  });

  it("reads Pulumi.yaml as the CLI does: a key without a namespace is the project's (project:key), a shorthand of another namespace is its value", async () => {
    const other = join(dir, "yaml-namespaces");
    mkdirSync(other);
    const yaml = "name: standin\nruntime: nodejs\nconfig:\n  policyName:\n    type: string\n  aws:region: us-west-2\n";
    writeFileSync(join(other, "Pulumi.yaml"), yaml);
    // Set in cordon's namespace, the project's own key is still missing.
    const state = join(dir, "state", "yaml.json");
    const run = await runEngine("preview", {
      moto,
      stack: "yaml",
      dir: other,
      state,
      config: { "cordon:policyName": "x" },
    });
    expect([run.status, run.errors]).toEqual([1, ["Stack 'yaml' is missing configuration value 'policyName'"]]);
  });

  it("reads a stack reference from the other stack's state file, as the engine reads the other stack's last checkpoint", async () => {
    expect((await up("source", { "standin:policyName": "source" })).status).toBe(0);
    const run = await up("reader", {
      "standin:policyName": "reader",
      "standin:readStack": "organization/standin/source",
    });
    expect([run.status, run.errors]).toEqual([0, []]);
    expect(stepLines(run, (s) => s.type === "pulumi:pulumi:StackReference")).toEqual([
      "read pulumi:pulumi:StackReference organization/standin/source",
    ]);
    expect(await stackOutputs({ moto, stack: "reader", state: join(dir, "state", "reader.json") })).toEqual({
      policy: "reader",
      read: "source",
    });
  });
});
