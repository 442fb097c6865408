/**
 * The engine stand-in's own behaviours that cordon's program does not reach on its own paths, on a
 * small program of its own: a replacement when an input the provider marks ForceNew changes
 * (created first, the old one deleted after), what --continue-on-error skips (the dependents of a
 * failed step, through dependsOn and through their parent) and what it does not, a program that
 * fails (nothing deleted), and a stack reference read from the other stack's state file. Later
 * branches add rows to the provider table; these keep the engine part honest.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Account } from "./support/aws-accounts.ts";
import { ROOT, runEngine, stackOutputs, stepLines, type EngineRun } from "./support/engine.ts";
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
  const kept = new aws.iam.RolePolicy("kept", { role: "worker", name: config.require("policyName"), policy: document });
  const outputs = { policy: kept.name };
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
  return outputs;
}
`;

let moto: Moto;
let dir: string;
let project: string;
beforeAll(async () => {
  moto = await startMoto({ managedPolicies: false });
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
  await new Account(moto).role("worker");
});
afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

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

describe("the engine stand-in", () => {
  it("replaces a resource whose ForceNew input changed: the new one first, the old one deleted after", async () => {
    expect((await up("replace", { "standin:policyName": "first" })).status).toBe(0);
    const run = await up("replace", { "standin:policyName": "second" });
    expect(run.status).toBe(0);
    const lines = stepLines(run, (s) => s.type.startsWith("aws:"));
    expect(lines).toEqual([
      "replace aws:iam/rolePolicy:RolePolicy kept",
      "delete-replaced aws:iam/rolePolicy:RolePolicy kept",
    ]);
    expect(await inlineOf("worker")).toEqual(["second"]);
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
