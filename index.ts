/**
 * The Pulumi program: the incident files of one account become IAM remediations.
 *
 * A thin shell around the pure plan. Everything that can be wrong is checked before anything is
 * declared (the files, the deploying account, the owner of every key, the replacement roles' names,
 * the room for each deny policy: program/checks.ts), so that a run either declares the whole plan
 * or fails having declared nothing.
 * @see docs/program.md
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AutoContain } from "./components/AutoContain.ts";
import { ContainmentInstant } from "./components/ContainmentInstant.ts";
import { DisabledAccessKey } from "./components/DisabledAccessKey.ts";
import { ReplacementRole } from "./components/ReplacementRole.ts";
import { SessionRevocation } from "./components/SessionRevocation.ts";
import { awsClients } from "./aws/clients.ts";
import { deployIam } from "./aws/deploy.ts";
import { ACCOUNT_ID } from "./incident/fields.ts";
import { loadIncidentPaths } from "./incident/read.ts";
import { autoContainPlan, type AutoContainPlan } from "./plan/auto-contain.ts";
import { stackOutputs, type IncidentOutput, type PendingStackOutputs } from "./plan/outputs.ts";
import { buildPlan } from "./plan/plan.ts";
import { credentialsProblem, denyRoom, goneKeysNote, invalidFilesProblem, keyOwnership, replacementRolesProblem, sdkAccountProblem } from "./program/checks.ts";
import type { DeployIam, RoleState } from "./program/iam.ts";

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

/** The program as `pulumi up` runs it: cordon's own IAM reads over the AWS SDK. */
export default function program(): Promise<PendingStackOutputs<pulumi.Output<IncidentOutput>>> {
  return deploy(deployIam(awsClients()));
}

/**
 * The program, reading IAM through `iam` before it declares anything (aws/deploy.ts over the SDK;
 * the tests pass moto's answers or a table).
 */
export async function deploy(iam: DeployIam): Promise<PendingStackOutputs<pulumi.Output<IncidentOutput>>> {
  await pulumi.requirePulumiVersion(MINIMUM_PULUMI_CLI);
  const config = new pulumi.Config("cordon");
  const account = config.require("account", { pattern: ACCOUNT_ID });
  const incidentsDir = config.get("incidentsDir") ?? "incidents";
  const autoContain = readAutoContain(config, account);

  // Paths in messages stay relative to the project folder, where index.ts and Pulumi.yaml live.
  const loaded = loadIncidentPaths([incidentsDir], import.meta.dirname, new Date());
  refuse(invalidFilesProblem(incidentsDir, loaded.errors));
  const declared = buildPlan(loaded.incidents, { account });
  const elsewhere = loaded.incidents.filter((incident) => incident.account !== account).map((incident) => incident.id);
  if (elsewhere.length > 0) {
    pulumi.log.info(`this stack deploys account ${account}; ignoring the incidents of other accounts: ${elsewhere.join(", ")}`);
  }

  // Everything that could fail at `up` but not at `preview` is asked of IAM now, before declaring.
  refuse(await credentialsProblem(account, async () => (await aws.getCallerIdentity()).accountId));
  const problem = (error: unknown) => `cordon declared nothing: cannot read IAM before declaring: ${(error as Error).message}`;
  let facts: { gone: string[]; managedDenyRoles: string[]; warnings: string[]; notes: string[] };
  try {
    refuse(sdkAccountProblem(account, await iam.account()));
    const keys = await keyOwnership(
      declared.accessKeys,
      async (user) => (await aws.iam.getAccessKeys({ user })).accessKeys.map((key) => key.accessKeyId),
      (id) => iam.keyOwner(id),
    );
    refuse(keys.problem);
    // One read per role, whatever the spelling: a role can be revoked and be a replacement role too.
    const roles = new Map<string, Promise<RoleState | null>>();
    const role = (name: string) => {
      const key = name.toLowerCase();
      if (!roles.has(key)) roles.set(key, iam.role(name));
      return roles.get(key)!;
    };
    refuse(await replacementRolesProblem(declared, role));
    const room = await denyRoom(declared, { role, userAttachedPolicies: (name) => iam.userAttachedPolicies(name), quotas: () => iam.quotas() });
    refuse(room.problem);
    facts = { gone: keys.gone, managedDenyRoles: room.managedDenyRoles, warnings: room.warnings, notes: room.notes };
  } catch (error) {
    if (error instanceof pulumi.RunError) throw error;
    throw new pulumi.RunError(problem(error));
  }
  const plan = buildPlan(loaded.incidents, { account, goneAccessKeys: facts.gone, managedDenyRoles: facts.managedDenyRoles });
  for (const warning of facts.warnings) pulumi.log.warn(warning);
  for (const note of facts.notes) pulumi.log.info(note);
  const gone = goneKeysNote(plan);
  if (gone !== undefined) pulumi.log.info(gone);

  // Keys first: the containment instants are recorded after the keys they wait for.
  const keys = new Map(plan.accessKeys.map((key) => [key.accessKeyId, new DisabledAccessKey(key.resourceName, { accessKey: key })]));
  const instants: Record<string, ContainmentInstant> = {};
  for (const incident of plan.incidents.filter((i) => i.atContainment)) {
    // Every listed key triggers the instant, a deleted one too: deleting a key must not move it.
    const after = incident.accessKeys.flatMap((id) => keys.get(id) ?? []);
    instants[incident.id] = new ContainmentInstant(`${incident.account}-${incident.id}`, { incident: incident.id, after, accessKeyIds: incident.accessKeys });
  }
  const revocations = plan.denyPolicies.map((policy) => {
    const containment = Object.fromEntries(policy.pendingContainment.map((id) => [id, instants[id].instant]));
    return { policy, component: new SessionRevocation(policy.resourceName, { policy, containment }) };
  });
  // Replacement roles last, each after its incident's containment: a role that fails to be created
  // (with `pulumi up --continue-on-error`) can neither delay nor stop a key or a deny policy.
  for (const role of plan.replacementRoles) {
    const incident = plan.incidents.find((i) => i.id === role.incident)!;
    const after: pulumi.Resource[] = [
      ...incident.accessKeys.flatMap((id) => keys.get(id) ?? []),
      ...revocations.filter((r) => r.policy.incidents.includes(incident.id)).map((r) => r.component),
      ...(instants[incident.id] ? [instants[incident.id]] : []),
    ];
    new ReplacementRole(role.resourceName, { role, after });
  }

  if (autoContain !== undefined) {
    new AutoContain(`${account}-auto-contain`, { plan: autoContain });
    pulumi.log.info(
      `auto-contain: AWS Health's exposed-key events (${autoContain.region}) dispatch the contain workflow (${autoContain.endpoint}); until its token is set with aws events update-connection, the connection ${autoContain.connectionName} holds a placeholder (docs/contain.md)`,
    );
  }

  return stackOutputs(account, plan, (id, output) => instants[id].instant.apply(output));
}

/**
 * `cordon:autoContain` (default false) and the repository it dispatches to, checked before
 * anything is declared.
 */
function readAutoContain(config: pulumi.Config, account: string): AutoContainPlan | undefined {
  if (!(config.getBoolean("autoContain") ?? false)) return undefined;
  const repository = config.get("autoContainRepository");
  if (repository === undefined) {
    refuse("cordon declared nothing: cordon:autoContain is true, so cordon:autoContainRepository is required: the repository that holds the contain workflow, as owner/name");
  }
  try {
    return autoContainPlan({ account, repository: repository! });
  } catch (error) {
    throw new pulumi.RunError(`cordon declared nothing: ${(error as Error).message}`);
  }
}

/** Stops the run before anything is declared. */
function refuse(problem: string | undefined): void {
  if (problem !== undefined) throw new pulumi.RunError(problem);
}
