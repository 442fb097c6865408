/**
 * The program itself: reads the stack's settings and the incident files, asks IAM (and, in the
 * organization stack, Organizations) everything that could stop `pulumi up` before declaring
 * anything, then declares the plan's components. index.ts, the entry point Pulumi loads, passes
 * the readers over the AWS SDK; the tests pass moto's answers or a table.
 * @see ../docs/program.md
 */
import { join } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AutoContain } from "../components/AutoContain.ts";
import { ContainmentInstant } from "../components/ContainmentInstant.ts";
import { DisabledAccessKey } from "../components/DisabledAccessKey.ts";
import { OrganizationGuardrail } from "../components/OrganizationGuardrail.ts";
import { ReplacementRole } from "../components/ReplacementRole.ts";
import { SessionRevocation } from "../components/SessionRevocation.ts";
import { ACCOUNT_ID } from "../incident/fields.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { autoContainPlan, type AutoContainPlan } from "../plan/auto-contain.ts";
import { parseOrganizationConfig, type OrganizationConfig } from "../plan/organization.ts";
import { stackOutputs, type IncidentOutput, type PendingStackOutputs } from "../plan/outputs.ts";
import { accountsOf, buildPlan } from "../plan/plan.ts";
import { DEFAULT_STACK_PREFIX, STACK_PREFIX, stackName } from "../plan/project.ts";
import { credentialsProblem, denyRoom, goneKeysNote, invalidFilesProblem, keyOwnership, replacementRolesProblem, sdkAccountProblem } from "./checks.ts";
import { MINIMUM_PULUMI_CLI } from "./cli-version.ts";
import type { DeployIam, RoleState } from "./iam.ts";
import { guardrailsProblem, type DeployOrganizations } from "./organization.ts";

/** The project folder (Pulumi.yaml, index.ts): `cordon:incidentsDir` is relative to it. */
const PROJECT_DIR = join(import.meta.dirname, "..");

/**
 * The program, reading IAM through `iam` (and, for the organization stack, Organizations through
 * `organizations`) before it declares anything (aws/ over the SDK; the tests pass moto's answers
 * or a table).
 */
export async function deploy(iam: DeployIam, organizations?: DeployOrganizations): Promise<PendingStackOutputs<pulumi.Output<IncidentOutput>>> {
  await pulumi.requirePulumiVersion(MINIMUM_PULUMI_CLI);
  const config = new pulumi.Config("cordon");
  const account = config.require("account", { pattern: ACCOUNT_ID });
  const incidentsDir = config.get("incidentsDir") ?? "incidents";
  const autoContain = readAutoContain(config, account);
  const prefix = config.get("stackPrefix", { pattern: STACK_PREFIX }) ?? DEFAULT_STACK_PREFIX;
  // Two stacks of one account would each own its deny policies and undo each other's.
  const expected = stackName(prefix, account);
  if (pulumi.getStack() !== expected) {
    refuse(
      `cordon declared nothing: this stack is named ${pulumi.getStack()}, but the stack of account ${account} is ${expected} (cordon:stackPrefix "${prefix}", then the account): the workflows and \`cordon accounts\` use that name; rename the stack (pulumi stack rename ${expected}) or set cordon:account to the account it deploys`,
    );
  }
  const organization = readOrganization(config);

  // Paths in messages stay relative to the project folder, where index.ts and Pulumi.yaml live.
  const loaded = loadIncidentPaths([incidentsDir], PROJECT_DIR, new Date());
  refuse(invalidFilesProblem(incidentsDir, loaded.errors));
  const declared = buildPlan(loaded.incidents, { account, organization });
  const elsewhere = loaded.incidents.filter((incident) => accountsOf(incident).some((a) => a !== account)).map((incident) => `${incident.id} (${accountsOf(incident).filter((a) => a !== account).join(", ")})`);
  if (elsewhere.length > 0) {
    pulumi.log.info(`this stack deploys account ${account}; the shares of other accounts are their stacks' to declare: ${elsewhere.join(", ")}`);
  }
  const asking = loaded.incidents.filter((i) => i.organization.scp || i.organization.rcp).map((i) => i.id);
  if (organization === undefined && asking.length > 0) {
    pulumi.log.info(`the organization guardrails of ${asking.join(", ")} are the organization stack's to declare (cordon:organization), not this one's`);
  }

  // Everything that could fail at `up` but not at `preview` is asked of IAM now, before declaring.
  refuse(await credentialsProblem(account, async () => (await aws.getCallerIdentity()).accountId));
  const problem = (error: unknown) => `cordon declared nothing: cannot read ${organization === undefined ? "IAM" : "IAM and Organizations"} before declaring: ${(error as Error).message}`;
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
    if (organization !== undefined) {
      if (organizations === undefined) refuse("cordon declared nothing: cordon:organization is set, but the program was given no way to read Organizations");
      refuse(await guardrailsProblem(declared, organization, organizations!));
    }
    facts = { gone: keys.gone, managedDenyRoles: room.managedDenyRoles, warnings: room.warnings, notes: room.notes };
  } catch (error) {
    if (error instanceof pulumi.RunError) throw error;
    throw new pulumi.RunError(problem(error));
  }
  const plan = buildPlan(loaded.incidents, { account, organization, goneAccessKeys: facts.gone, managedDenyRoles: facts.managedDenyRoles });
  for (const warning of facts.warnings) pulumi.log.warn(warning);
  for (const note of facts.notes) pulumi.log.info(note);
  const gone = goneKeysNote(plan);
  if (gone !== undefined) pulumi.log.info(gone);

  // Keys first: the containment instants are recorded after the keys they wait for.
  const keys = new Map(plan.accessKeys.map((key) => [key.accessKeyId, new DisabledAccessKey(key.resourceName, { accessKey: key })]));
  // Each stack records its own instant of each at-containment incident it has a share of: after
  // the keys it disables (keys of other accounts are their stacks'; the workflow runs those first).
  const instants: Record<string, ContainmentInstant> = {};
  for (const incident of plan.incidents.filter((i) => i.atContainment)) {
    // Every listed key triggers the instant, a deleted one too: deleting a key must not move it.
    const after = incident.accessKeys.flatMap((id) => keys.get(id) ?? []);
    instants[incident.id] = new ContainmentInstant(`${account}-${incident.id}`, { incident: incident.id, after, accessKeyIds: incident.accessKeys });
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

  // The guardrails after every deny of this account: the SCP's statements wait for the same instants.
  for (const policy of plan.organizationPolicies) {
    const containment = Object.fromEntries(policy.pendingContainment.map((id) => [id, instants[id].instant]));
    new OrganizationGuardrail(policy.name, { policy, containment });
  }

  if (autoContain !== undefined) {
    new AutoContain(`${account}-auto-contain`, { plan: autoContain });
    pulumi.log.info(
      `auto-contain: AWS Health's exposed-key events (${autoContain.region}) dispatch the contain workflow (${autoContain.endpoint}); until its token is set with aws events update-connection, the connection ${autoContain.connectionName} holds a placeholder (docs/contain.md)`,
    );
  }

  return stackOutputs(account, plan, (id, output) => instants[id].instant.apply(output), organization);
}

/** `cordon:organization`, checked before anything is declared; undefined for every stack but the organization's. */
function readOrganization(config: pulumi.Config): OrganizationConfig | undefined {
  const value = config.getObject<unknown>("organization");
  if (value === undefined) return undefined;
  const { config: organization, problems } = parseOrganizationConfig(value);
  if (problems.length > 0) refuse([`cordon declared nothing: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`} in the stack's config:`, ...problems].join("\n"));
  return organization;
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
