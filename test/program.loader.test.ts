/**
 * index.ts loads the way `pulumi up` loads it: an ES module whose types Node.js strips itself, not
 * only through vitest's own TypeScript transform.
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startMoto, type Moto } from "./support/moto.ts";

const PROJECT_DIR = resolve(import.meta.dirname, "..");

// The program reads IAM itself before declaring (aws/deploy.ts): here from an empty moto, where
// the roles and users the examples name do not exist (a warning each, nothing stops the run).
let moto: Moto;
beforeAll(async () => {
  moto = await startMoto({ managedPolicies: false });
});
afterAll(async () => {
  await moto?.stop();
});

it("runs as the Pulumi CLI loads it (Node's type stripping) and declares the examples' resources", async () => {
  const config = { "cordon:account": "123456789012", "cordon:incidentsDir": "examples/incidents" };
  const accessKeys = { "ci-deployer": ["AKIAIOSFODNN7EXAMPLE"], dana: ["AKIAJ7Q2EXAMPLEKEY77"], "svc-backup": ["AKIAI44QH8DHBEXAMPLE"] };
  // Nothing of the test runner's own loaders: only what a plain `node` has.
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PULUMI_") && !name.startsWith("VITEST") && !name.startsWith("AWS_") && name !== "NODE_OPTIONS")),
    ...moto.env,
  };
  const { stdout } = await promisify(execFile)(process.execPath, [join(PROJECT_DIR, "test/support/pulumi-loader.ts"), PROJECT_DIR, JSON.stringify(config), JSON.stringify(accessKeys)], {
    env,
    cwd: PROJECT_DIR,
  });
  const run = JSON.parse(stdout.trim().split("\n").at(-1)!) as { exportIsFunction: boolean; types: string[]; outputs: string[] };
  expect(run.exportIsFunction).toBe(true);
  expect(run.outputs).toEqual(["account", "incidents", "replacementRoles", "rolesWithManagedDeny"]);
  const count = (types: string[]) => Object.fromEntries([...new Set(types)].sort().map((type) => [type, types.filter((t) => t === type).length]));
  expect(count(run.types)).toEqual({
    "aws:iam/accessKey:AccessKey": 3,
    "aws:iam/policy:Policy": 3,
    "aws:iam/role:Role": 3,
    "aws:iam/rolePolicy:RolePolicy": 3,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 3,
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": 3,
    "cordon:iam:ContainmentInstant": 1,
    "cordon:iam:DisabledAccessKey": 3,
    "cordon:iam:ReplacementRole": 3,
    "cordon:iam:SessionRevocation": 5,
    "pulumi:pulumi:Stack": 1,
    "time:index/static:Static": 1,
  });
});
