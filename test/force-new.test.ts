/**
 * Issue 9, point 7: no resource that survives a change of incidents is replaced. An input the
 * provider marks ForceNew makes Pulumi replace the resource when it changes: for a managed deny
 * policy that is create-then-delete with detach and attach in between, for a role a new ARN. So two
 * runs whose files differ only in incidents (one added, one removed, more principals named) must
 * give every resource present in both runs the same ForceNew inputs.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deploy } from "../program/deploy.ts";
import { exampleCloud, projectTempDir, runProgram, type ProgramRun } from "./support/pulumi-mocks.ts";

const ACCOUNT = "123456789012";
const EXAMPLES = resolve(import.meta.dirname, "../examples/incidents");

/**
 * The ForceNew inputs of every resource type the program declares (Pulumi's names), as the
 * provider's schema marks them: terraform-provider-aws internal/service/iam/policy.go (description,
 * name, name_prefix, path), role.go (name, name_prefix, path), role_policy.go (name, name_prefix,
 * role), role_policy_attachment.go (role, policy_arn), user_policy_attachment.go (user,
 * policy_arn), access_key.go (user, pgp_key; ignored by the program anyway); a time.Static is
 * replaced when its triggers change (that is how a new key records a new instant, on purpose).
 */
const FORCE_NEW: Record<string, string[]> = {
  "aws:iam/policy:Policy": ["description", "name", "namePrefix", "path"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["policyArn", "role"],
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": ["policyArn", "user"],
  "aws:iam/accessKey:AccessKey": ["pgpKey", "user"],
  "time:index/static:Static": ["triggers"],
};

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The examples, with `change` applied to the folder. */
function incidents(change: (dir: string) => void): string {
  const dir = projectTempDir("cordon-force-new-");
  temporary.push(dir);
  cpSync(EXAMPLES, dir, { recursive: true });
  change(dir);
  return dir;
}

async function up(dir: string, managedDenyRole = false): Promise<ProgramRun> {
  const cloud = exampleCloud({
    accessKeys: { builder: ["AKIAQ3BUILDERKEY0001"] },
    roles: ["etl"],
    now: new Date("2026-11-28T12:26:00Z"),
  });
  // A role whose inline policies are full gets cordon's managed deny instead.
  if (managedDenyRole) cloud.roles.deploy.inlinePolicies = { app: `{"Statement":"${"x".repeat(10_200)}"}` };
  const run = await runProgram(() => deploy(cloud.iam), {
    cloud,
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": dir },
  });
  expect(run.error).toBeUndefined();
  return run;
}

/** Per URN present in both runs, the ForceNew inputs that differ. */
function replaced(before: ProgramRun, after: ProgramRun): string[] {
  const differences: string[] = [];
  for (const resource of before.resources.filter((r) => r.custom)) {
    const survivor = after.resources.find((r) => r.urn === resource.urn);
    if (survivor === undefined) continue;
    for (const input of FORCE_NEW[resource.type]) {
      const [a, b] = [JSON.stringify(resource.inputs[input]), JSON.stringify(survivor.inputs[input])];
      if (a !== b) differences.push(`${resource.urn} ${input}: ${a} -> ${b}`);
    }
  }
  return differences;
}

const FOLLOW_UP = [
  "id: 2026-11-29-follow-up",
  "title: Everyone the first incidents named, again, with a key of another user and a new role",
  'account: "123456789012"',
  "cutoff: at-containment",
  "mode: deny-all",
  "users:",
  "  - name: ci-deployer",
  "  - name: dana",
  "  - name: svc-backup",
  "  - name: builder",
  "    accessKeys: [AKIAQ3BUILDERKEY0001]",
  "roles:",
  "  - name: deploy",
  "  - name: analytics-readonly",
  "  - name: etl",
  "replacementRoles:",
  "  - name: builder-oidc",
  "    trust: { githubOidc: { repository: example/builder, ref: refs/heads/main } }",
  "",
].join("\n");

describe("ForceNew inputs stay constant across plans that differ only in incidents", () => {
  it("covers every resource type the program declares", async () => {
    const run = await up(
      incidents((dir) => writeFileSync(join(dir, "2026-11-29-follow-up.yaml"), FOLLOW_UP)),
      true,
    );
    expect(
      [...new Set(run.resources.filter((r) => r.custom).map((r) => r.type))].filter(
        (type) => FORCE_NEW[type] === undefined,
      ),
    ).toEqual([]);
  });

  it.each([
    [
      "an incident naming every principal again (deny-all, at-containment) is added",
      (dir: string) => writeFileSync(join(dir, "2026-11-29-follow-up.yaml"), FOLLOW_UP),
    ],
    ["an incident is removed", (dir: string) => rmSync(join(dir, "2026-11-28-ci-deploy-key.yaml"))],
    [
      "an incident's cutoff and mode change",
      (dir: string) => {
        const file = join(dir, "2026-11-28-ci-deploy-key.yaml");
        writeFileSync(
          file,
          readFileSync(file, "utf8")
            .replace("cutoff: 2026-11-28T10:00:00Z", "cutoff: 2026-11-28T11:00:00Z")
            .replace(/^mode: .*$/m, "mode: deny-all"),
        );
      },
    ],
  ])("when %s", async (_, change) => {
    for (const managedDenyRole of [false, true]) {
      const before = await up(
        incidents(() => {}),
        managedDenyRole,
      );
      const after = await up(incidents(change), managedDenyRole);
      // Something survives, and something else changed: the comparison means something.
      expect(
        after.resources.filter((r) => before.resources.some((b) => b.urn === r.urn && r.custom)).length,
      ).toBeGreaterThan(10);
      expect(JSON.stringify(after.resources)).not.toBe(JSON.stringify(before.resources));
      expect(replaced(before, after)).toEqual([]);
    }
  });

  it("negative control: a description that named the incidents would be caught", async () => {
    const before = await up(incidents(() => {}));
    const after = await up(incidents((dir) => writeFileSync(join(dir, "2026-11-29-follow-up.yaml"), FOLLOW_UP)));
    const policy = after.resources.find(
      (r) => r.type === "aws:iam/policy:Policy" && r.name === `${ACCOUNT}-user-dana`,
    )!;
    policy.inputs.description = "Denies sessions of IAM user dana for 2026-11-28-key-in-ticket, 2026-11-29-follow-up";
    expect(replaced(before, after)).toEqual([
      `${policy.urn} description: ${JSON.stringify(before.resources.find((r) => r.urn === policy.urn)!.inputs.description)} -> ${JSON.stringify(policy.inputs.description)}`,
    ]);
  });
});
