/**
 * The Pulumi program: the incident files of one account become IAM remediations.
 *
 * A thin shell around the pure plan. Everything that can be wrong is checked before anything is
 * declared (the files, the deploying account, the owner of every key), so that a run either
 * declares the whole plan or fails having declared nothing: a half-declared plan would make Pulumi
 * delete the remediations of the incidents it did not reach.
 * @see docs/program.md
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ContainmentInstant } from "./components/ContainmentInstant.ts";
import { DisabledAccessKey } from "./components/DisabledAccessKey.ts";
import { ReplacementRole } from "./components/ReplacementRole.ts";
import { SessionRevocation } from "./components/SessionRevocation.ts";
import { computeExpiry } from "./incident/expiry.ts";
import { loadIncidentPaths } from "./incident/read.ts";
import { formatDiagnostic, type Diagnostic, type Incident } from "./incident/types.ts";
import type { IncidentOutput, StackOutputs } from "./plan/outputs.ts";
import { buildPlan, type AccessKeyPlan, type PlannedIncident } from "./plan/plan.ts";

/**
 * The oldest Pulumi CLI that imports a resource whose state differs from the program's inputs and
 * updates it in the same run: older ones refuse to import a key that is still `Active`.
 */
const MINIMUM_PULUMI_CLI = ">=3.174.0";

/** `StackOutputs`, with the cutoffs recorded at containment still to be resolved by Pulumi. */
type ProgramOutputs = Omit<StackOutputs, "incidents"> & { incidents: Record<string, IncidentOutput | pulumi.Output<IncidentOutput>> };

export default async function program(): Promise<ProgramOutputs> {
  await pulumi.requirePulumiVersion(MINIMUM_PULUMI_CLI);
  const config = new pulumi.Config("cordon");
  const account = config.require("account", { pattern: /^\d{12}$/ });
  const incidentsDir = config.get("incidentsDir") ?? "incidents";

  // Paths in messages stay relative to the project folder, where index.ts and Pulumi.yaml live.
  const loaded = loadIncidentPaths([incidentsDir], import.meta.dirname, new Date());
  if (loaded.errors.length > 0) throw new pulumi.RunError(invalidFilesMessage(incidentsDir, loaded.errors));
  const plan = buildPlan(loaded.incidents, { account });
  const elsewhere = loaded.incidents.filter((incident) => incident.account !== account).map((incident) => incident.id);
  if (elsewhere.length > 0) {
    pulumi.log.info(`this stack deploys account ${account}; ignoring the incidents of other accounts: ${elsewhere.join(", ")}`);
  }

  await checkCredentials(account);
  await checkKeyOwners(plan.accessKeys);

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

  const files = new Map(loaded.incidents.map((incident) => [incident.id, incident]));
  return {
    account,
    incidents: Object.fromEntries(
      plan.incidents.map((planned) => [
        planned.id,
        planned.atContainment ? instants[planned.id].apply((instant) => incidentOutput(planned, files.get(planned.id)!, instant)) : incidentOutput(planned, files.get(planned.id)!),
      ]),
    ),
    replacementRoles: plan.replacementRoles.map((role) => role.name),
  };
}

function invalidFilesMessage(incidentsDir: string, errors: Diagnostic[]): string {
  const count = errors.length === 1 ? "1 problem" : `${errors.length} problems`;
  return [`cordon declared nothing: ${count} in the incident files (\`npx cordon validate ${incidentsDir}\` shows the same):`, ...errors.map(formatDiagnostic)].join("\n");
}

/** Deploying one account's incidents with another account's credentials would disable nothing. */
async function checkCredentials(account: string): Promise<void> {
  const { accountId } = await aws.getCallerIdentity();
  if (accountId !== account) {
    throw new pulumi.RunError(
      `cordon declared nothing: the deploying credentials belong to account ${accountId}, but this stack deploys account ${account} (config cordon:account); use credentials of account ${account}, or the stack of account ${accountId}`,
    );
  }
}

/**
 * Every key must be a key of the user the file names. The AccessKey resource ignores changes of
 * its user, because Pulumi would answer them by replacing the key, that is by creating a new one;
 * so a wrong user must be caught here, with IAM's own list.
 */
async function checkKeyOwners(keys: AccessKeyPlan[]): Promise<void> {
  const users = [...new Set(keys.map((key) => key.user))].sort();
  const listed = new Map<string, string[]>();
  for (const user of users) {
    try {
      listed.set(user, (await aws.iam.getAccessKeys({ user })).accessKeys.map((key) => key.accessKeyId).sort());
    } catch (error) {
      const incidents = [...new Set(keys.filter((key) => key.user === user).flatMap((key) => key.incidents))];
      throw new pulumi.RunError(`cordon declared nothing: cannot list the access keys of user ${user} (incident ${incidents.join(", ")}): ${(error as Error).message}`);
    }
  }
  const problems = keys
    .filter((key) => !listed.get(key.user)!.includes(key.accessKeyId))
    .map((key) => {
      const owned = listed.get(key.user)!;
      return `incident ${key.incidents.join(", ")}: access key ${key.accessKeyId} is not a key of user ${key.user} (IAM lists for ${key.user}: ${owned.length > 0 ? owned.join(", ") : "no access keys"})`;
    });
  if (problems.length > 0) {
    const count = problems.length === 1 ? "1 access key is" : `${problems.length} access keys are`;
    throw new pulumi.RunError(
      [`cordon declared nothing: ${count} not listed under the declared user; name the user that owns each key (Pulumi would replace a key whose user changed, and a replacement creates a new key):`, ...problems].join("\n"),
    );
  }
}

/** One incident as `plan/outputs.ts` reads it back; `containedAt` is the recorded instant, if any. */
function incidentOutput(planned: PlannedIncident, incident: Incident, containedAt?: string): IncidentOutput {
  const cutoff = containedAt ?? planned.cutoff;
  const expiresAt = computeExpiry(incident, containedAt);
  if (expiresAt === null) throw new Error(`incident ${planned.id}: no expiry for the cutoff ${JSON.stringify(cutoff)}`);
  return { cutoff, atContainment: planned.atContainment, expiresAt, mode: planned.mode, principals: planned.principals, accessKeys: planned.accessKeys };
}
