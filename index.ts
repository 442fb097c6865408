/**
 * The Pulumi program: the incident files of one account become IAM remediations.
 *
 * A thin shell around the pure plan. Everything that can be wrong is checked before anything is
 * declared (the files, the deploying account, the owner of every key: program/checks.ts), so that
 * a run either declares the whole plan or fails having declared nothing.
 * @see docs/program.md
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ContainmentInstant } from "./components/ContainmentInstant.ts";
import { DisabledAccessKey } from "./components/DisabledAccessKey.ts";
import { ReplacementRole } from "./components/ReplacementRole.ts";
import { SessionRevocation } from "./components/SessionRevocation.ts";
import { ACCOUNT_ID } from "./incident/fields.ts";
import { loadIncidentPaths } from "./incident/read.ts";
import { stackOutputs, type IncidentOutput, type PendingStackOutputs } from "./plan/outputs.ts";
import { buildPlan } from "./plan/plan.ts";
import { credentialsProblem, invalidFilesProblem, keyOwnersProblem } from "./program/checks.ts";

/**
 * The oldest Pulumi CLI this program runs on. `pulumi.requirePulumiVersion` asks the engine through
 * its `RequirePulumiVersion` RPC, which first exists in CLI 3.217.0 (pulumi/pulumi CHANGELOG.md,
 * "## 3.217.0 (2026-01-23)": "[sdk/nodejs] Add requirePulumiVersion to the Node.js SDK #21528";
 * 3.216.0 had it as `CheckPulumiVersion`, renamed by #21528). Any older CLI, 3.216 included, fails
 * on this line with "The installed version of the CLI does not support the `RequirePulumiVersion`
 * RPC". 3.217 also covers what the program needs of the engine: importing a key that is still
 * `Active` and updating it in the same run (3.174.0, #19339) and `--continue-on-error` (3.114.0).
 * @see https://github.com/pulumi/pulumi/blob/master/CHANGELOG.md
 */
export const MINIMUM_PULUMI_CLI = ">=3.217.0";

export default async function program(): Promise<PendingStackOutputs<pulumi.Output<IncidentOutput>>> {
  await pulumi.requirePulumiVersion(MINIMUM_PULUMI_CLI);
  const config = new pulumi.Config("cordon");
  const account = config.require("account", { pattern: ACCOUNT_ID });
  const incidentsDir = config.get("incidentsDir") ?? "incidents";

  // Paths in messages stay relative to the project folder, where index.ts and Pulumi.yaml live.
  const loaded = loadIncidentPaths([incidentsDir], import.meta.dirname, new Date());
  refuse(invalidFilesProblem(incidentsDir, loaded.errors));
  const plan = buildPlan(loaded.incidents, { account });
  const elsewhere = loaded.incidents.filter((incident) => incident.account !== account).map((incident) => incident.id);
  if (elsewhere.length > 0) {
    pulumi.log.info(`this stack deploys account ${account}; ignoring the incidents of other accounts: ${elsewhere.join(", ")}`);
  }

  refuse(await credentialsProblem(account, async () => (await aws.getCallerIdentity()).accountId));
  refuse(await keyOwnersProblem(plan.accessKeys, async (user) => (await aws.iam.getAccessKeys({ user })).accessKeys.map((key) => key.accessKeyId)));

  // Keys first: the containment instants are recorded after the keys they wait for.
  const keys = new Map(plan.accessKeys.map((key) => [key.accessKeyId, new DisabledAccessKey(key.resourceName, { accessKey: key })]));
  const instants: Record<string, pulumi.Output<string>> = {};
  for (const incident of plan.incidents.filter((i) => i.atContainment)) {
    const after = incident.accessKeys.map((id) => keys.get(id)!);
    instants[incident.id] = new ContainmentInstant(`${incident.account}-${incident.id}`, { incident: incident.id, after, accessKeyIds: incident.accessKeys }).instant;
  }
  for (const policy of plan.denyPolicies) {
    const containment = Object.fromEntries(policy.pendingContainment.map((id) => [id, instants[id]]));
    new SessionRevocation(policy.resourceName, { policy, containment });
  }
  for (const role of plan.replacementRoles) new ReplacementRole(role.resourceName, { role });

  return stackOutputs(account, plan, (id, output) => instants[id].apply(output));
}

/** Stops the run before anything is declared. */
function refuse(problem: string | undefined): void {
  if (problem !== undefined) throw new pulumi.RunError(problem);
}
