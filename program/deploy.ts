/**
 * The program itself, as a shell that reads, checks and declares; what to declare is decided by
 * pure functions (plan/, plan/declarations.ts, program/checks.ts, program/containment.ts). It
 * reads the stack's settings and the incident files, asks IAM (and, in the organization stack, Organizations) everything that
 * could stop `pulumi up` before declaring anything (every credential of each compromised user
 * included), reads the containment instants other stacks recorded, then declares the plan's
 * components: every credential that must not work first, the containment instants once the
 * access keys of the incidents' users are Inactive, then the deny policies, the replacement roles
 * and the guardrails;
 * at `up` only, it deletes the console passwords and deactivates the MFA devices the plan says
 * (and, in the organization stack, the root access keys a file asks to delete).
 * index.ts, the entry point Pulumi loads, passes the readers over the AWS SDK; the tests pass
 * moto's answers or a table.
 * @see ../docs/program.md
 */
import { join } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AutoContain } from "../components/AutoContain.ts";
import { ContainmentInstant } from "../components/ContainmentInstant.ts";
import { DisabledAccessKey } from "../components/DisabledAccessKey.ts";
import { disabledCredential } from "../components/disabled-credentials.ts";
import { OrganizationGuardrail } from "../components/OrganizationGuardrail.ts";
import { ReplacementRole } from "../components/ReplacementRole.ts";
import { SessionRevocation } from "../components/SessionRevocation.ts";
import { iamNameKey } from "../incident/fields.ts";
import { ownRepositories } from "../incident/own-roles.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import type { Incident } from "../incident/types.ts";
import { autoContainPlan, type AutoContainPlan } from "../plan/auto-contain.ts";
import { type CredentialPlan, credentialsToDisable, keyHoldersOf } from "../plan/credentials.ts";
import { autoContainNote, instantsToRecord, replacementRolesAfter } from "../plan/declarations.ts";
import {
  rootUserPlans,
  type OrganizationConfig,
  type RootUserPlan,
  type StateGuardrail,
} from "../plan/organization.ts";
import { stackOutputs, type IncidentOutput, type PendingStackOutputs } from "../plan/outputs.ts";
import { buildPlan, type Plan, type PlanOptions, type Principal } from "../plan/plan.ts";
import { stackName, stackSettingsFromEngine } from "../plan/project.ts";
import {
  credentialsProblem,
  denyRoom,
  denyRoomError,
  type DenyImpostor,
  foreignDeniesError,
  goneKeysNote,
  gonePrincipalsNote,
  invalidFilesProblem,
  keyOwnership,
  listedImpostors,
  oversizedDeniesProblem,
  type StatePolicies,
  sdkAccountProblem,
  sharesNotes,
  stackNameProblem,
  stackSettingsProblem,
  takenRoleNames,
  takenRoleNamesError,
  uncontainedUsersError,
  userIdentities,
} from "./checks.ts";
import { MINIMUM_PULUMI_CLI } from "./cli-version.ts";
import {
  awaitingOwnerNote,
  type ContainmentDuties,
  cutoffsRead,
  instantsHeld,
  instantsKept,
  recordedHere,
  stackDuties,
  keysStillActiveNote,
  keysUnreadNote,
  recordedIn,
  stillActive,
  type Recorded,
  type UserKeysAfterRun,
  usersVanishedNote,
  vanishedUsers,
} from "./containment.ts";
import {
  applyIrreversible,
  deleteRootAccessKeys,
  irreversibleAtUp,
  readCredentialPlan,
  rootAccessProblem,
  rootKeysAtUp,
  type ActsDone,
  type RootCredentials,
} from "./credentials.ts";
import type { DeployIam, ListedKey, RoleState } from "./iam.ts";
import {
  attachedGuardrails,
  guardrailsProblem,
  stateGuardrails,
  supersededToKeep,
  type DeployOrganizations,
} from "./organization.ts";
import { type StateResource, stateSpellings } from "./spellings.ts";

/** The project folder (Pulumi.yaml, index.ts): `cordon:incidentsDir` is relative to it. */
const PROJECT_DIR = join(import.meta.dirname, "..");

/** The engine's own function that reads another stack's outputs (pkg/resource/deploy/builtins.go). */
const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";
/**
 * The engine's own function that reads every resource's outputs from a stack's last checkpoint
 * (builtins.go, readStackResourceOutputs; pkg/backend/backend.go, GetStackResourceOutputs).
 */
const READ_STACK_RESOURCE_OUTPUTS = "pulumi:pulumi:readStackResourceOutputs";

/** The stack's settings, checked before anything is declared. */
interface Settings {
  account: string;
  incidentsDir: string;
  prefix: string;
  organization?: OrganizationConfig;
  autoContain?: AutoContainPlan;
  /** cordon's own repositories (the run's, auto-contain's): no replacement role may trust their jobs. */
  repositories: string[];
}

/** What IAM (and Organizations) said before anything was declared. */
interface Facts {
  goneAccessKeys: string[];
  managedDenyRoles: string[];
  inlineDenyUsers: string[];
  gonePrincipals: Principal[];
  notes: string[];
  /** Policies at the name of a managed deny that this stack did not create (program/checks.ts). */
  impostors: DenyImpostor[];
  warnings: string[];
  withheld: Withheld;
  /** Each user's UserId, for the stack outputs (program/checks.ts, userIdentities). */
  userIds: Record<string, string>;
  /** Which of this stack's own guardrails Organizations lists on each target (program/organization.ts, attachedKey). */
  attachedGuardrails: Set<string>;
}

/**
 * What the account's IAM state keeps the run from declaring as planned, by resource name: each
 * said as an error before declaring, and the run fails at its end. Whoever holds a leaked key can
 * make any of it, so none of it stops the rest of the plan.
 */
interface Withheld {
  /** Deny policies with no room anywhere: left out. */
  denies: string[];
  /** Deny policies whose new document has no room: declared as IAM has them, never deleted. */
  keptDenies: string[];
  /** Replacement roles whose name IAM has for another role: left out. */
  roles: string[];
  /**
   * Denies whose managed policy this stack created and IAM now has another policy in place of:
   * declared inline, and the run fails at its end so that the engine deletes nothing.
   */
  foreign: string[];
  /**
   * Incidents with a user renamed, or a key IAM names another owner of (program/checks.ts): not
   * recorded as contained in this run (denied everything meanwhile, when at-containment and never
   * contained: `contained`), and the run fails at its end, so that the engine deletes nothing of
   * what an earlier run declared for them.
   */
  incidents: string[];
  /**
   * Those of them whose containment instant this stack's state already holds (contained by an
   * earlier run): the instant and its cutoff stay declared, and only the others are denied
   * everything; the run fails at its end all the same.
   */
  contained: string[];
  /**
   * Their keys of another owner, and every key listed under a renamed user: not declared, since
   * Pulumi would replace a key whose user changed, and an update would name a user IAM no longer has.
   */
  keys: string[];
  /** The denies of their renamed users that IAM has no user of that name for: not declared. */
  renamedDenies: string[];
  /** The errors that say why. */
  errors: string[];
}

/** What the program read before declaring anything, and the plan it makes of it. */
interface World {
  settings: Settings;
  incidents: Incident[];
  /** The plan's options from the settings and IAM, without the cutoffs read from other stacks. */
  base: PlanOptions & { account: string };
  impostors: DenyImpostor[];
  duties: ContainmentDuties;
  owners: { recorded: Record<string, Recorded>; notes: string[] };
  containment: Record<string, string>;
  awaiting: string[];
  /** The incidents this run does not record as contained: awaiting their owner's instant, or withheld. */
  uncontained: string[];
  plan: Plan;
  credentials: CredentialPlan;
  roots: RootUserPlan[];
  withheld: Withheld;
  /**
   * Why the spelling of some principal's resources is not settled (program/spellings.ts): said as
   * errors before declaring, and the run fails at its end, so that the engine deletes nothing.
   */
  unsettled: string[];
  /** Why this stack's state cannot be read (unreadStateProblem): said before declaring; the run fails at its end. */
  unread: string[];
  userIds: Record<string, string>;
  /** The guardrails this stack's state holds, and which of them Organizations lists on each target. */
  guardrails: { own: StateGuardrail[]; attached: Set<string> };
}

/**
 * The program, reading IAM through `iam` (and, for the organization stack, Organizations through
 * `organizations`) before it declares anything; `root` deletes a member account's root access keys
 * through centralized root access, in the organization stack, when a file asks it.
 */
export async function deploy(
  iam: DeployIam,
  organizations?: DeployOrganizations,
  root?: RootCredentials,
): Promise<PendingStackOutputs<pulumi.Output<IncidentOutput>>> {
  await pulumi.requirePulumiVersion(MINIMUM_PULUMI_CLI);
  const world = await readWorld(iam, organizations, root);
  const { settings, incidents, base, duties, owners, containment, uncontained, credentials, roots } = world;
  const { account, organization, prefix } = settings;

  // Every credential that must not work first: the incidents' keys, every other access key of
  // their users, their SSH public keys, signing certificates and service-specific credentials, each
  // imported and set Inactive. The instants wait for every access key's step, without depending on
  // any: a key that fails must not make the engine skip what denies sessions. Every access key of
  // the users that the files do not keep triggers the instant, and must be Inactive before it is
  // recorded (keysStillUsable): the sessions an attacker's second key minted before it was disabled
  // fall before the cutoff too, one found on a later run included (the instant moves after it).
  const disabled = credentialsToDisable(world.plan, credentials);
  const keys = disabled.accessKeys
    .filter((key) => !world.withheld.keys.includes(key.resourceName))
    .map((key) => new DisabledAccessKey(key.resourceName, { accessKey: key }));
  for (const credential of disabled.others) disabledCredential(credential);
  await Promise.all(keys.map((key) => key.settled));
  // What no resource can do: at `up`, the console passwords and MFA devices; a preview says so.
  const failed: string[] = [];
  if (pulumi.runtime.isDryRun())
    for (const note of [...irreversibleAtUp(credentials), ...rootKeysAtUp(roots)]) pulumi.log.warn(note);
  else {
    failed.push(...say(await applyIrreversible(credentials, iam)));
    if (root !== undefined) failed.push(...say(await deleteRootAccessKeys(roots, root)));
  }
  const recorded = recordedHere(duties, world.plan);
  const unconfirmed = pulumi.runtime.isDryRun()
    ? { ids: [], notes: [] }
    : await keysStillUsable(credentials, recorded, iam);
  for (const note of unconfirmed.notes) pulumi.log.warn(note);
  const plan =
    unconfirmed.ids.length > 0
      ? buildPlan(incidents, { ...base, containment, uncontained: [...uncontained, ...unconfirmed.ids] })
      : world.plan;

  // The superseded guardrails stay declared, as they are, until every new one is attached.
  const superseded = supersededToKeep(plan.organizationPolicies, world.guardrails.own, world.guardrails.attached);
  for (const note of supersededNotes(plan, world.guardrails.own, superseded)) pulumi.log.info(note);
  const instants = declarePlan(plan, account, credentials, world.withheld, superseded);
  if (settings.autoContain !== undefined) {
    new AutoContain(`${account}-auto-contain`, { plan: settings.autoContain });
    pulumi.log.info(autoContainNote(settings.autoContain));
  }
  const where = instantsKept(recorded, stackName(prefix, account), duties.reads, owners.recorded);
  const outputs = stackOutputs(
    account,
    plan,
    (id, output) => instants[id].instant.apply(output),
    organization,
    where,
    credentials,
    world.impostors,
  );
  // Everything is declared, and the outputs are returned to be registered: only now does a failed
  // act, or what could not be declared as planned, fail the run.
  failRunIfActsFailed(failed, world.withheld, world.unsettled, world.unread);
  // The users' ids, kept from run to run: how the next run tells a renamed user from a deleted one.
  const kept = { ...outputs, ...(Object.keys(world.userIds).length > 0 ? { userIds: world.userIds } : {}) };
  // Which run failed them: outputs outlive a run (docs/program.md, "A failed act").
  return failed.length > 0 ? { ...kept, failedActs: { run: process.env.GITHUB_RUN_ID ?? null, acts: failed } } : kept;
}

/**
 * The exit code with which the Node.js program says it has already logged why it failed
 * (`nodeJSProcessExitedAfterLoggingUserActionableMessage` in @pulumi/pulumi's cmd/run): the language
 * host answers the engine Bail, which ends the update failed without another message.
 */
export const PROGRAM_SAID_WHY = 32;

/**
 * A failed act (a console password, an MFA device, a root user's access keys), or a deny policy or
 * replacement role that IAM's state kept from being declared as planned, fails the run: pulumi up
 * exits non-zero and the job is red, where `pulumi.log.error` alone leaves it green
 * (pulumi/pulumi#5085). The exit code is set, not thrown: the program goes on to the end, so every
 * resource is declared and the stack outputs are registered; the engine then keeps every step done,
 * finalizes the outputs and deletes nothing the program no longer declares (docs/program.md, "A
 * failed act").
 */
function failRunIfActsFailed(
  failed: readonly string[],
  withheld: Withheld,
  unsettled: readonly string[],
  unread: readonly string[],
): void {
  const left = withheld.denies.length + withheld.keptDenies.length + withheld.foreign.length;
  const uncontained = withheld.incidents.length;
  const quiet =
    left === 0 && withheld.roles.length === 0 && unsettled.length === 0 && uncontained === 0 && unread.length === 0;
  if (failed.length === 0 && quiet) return;
  if (failed.length > 0) pulumi.log.error(actsFailedMessage(failed.length));
  if (left > 0 || withheld.roles.length > 0) pulumi.log.error(withheldMessage(left, withheld.roles.length));
  if (unread.length > 0) pulumi.log.error(UNREAD_STATE_MESSAGE);
  if (unsettled.length > 0) pulumi.log.error(UNSETTLED_SPELLINGS_MESSAGE);
  if (uncontained > 0) pulumi.log.error(uncontainedMessage(withheld.incidents));
  process.exitCode = PROGRAM_SAID_WHY;
}

/** The run's last word when the spelling of some principal's resources is not settled, after the errors that said why. */
export const UNSETTLED_SPELLINGS_MESSAGE =
  "cordon declared everything, but could not settle under which spelling some principals' denies are declared (said above, before declaring): this update fails so that the engine deletes nothing; what was declared stays";

/** The run's last word when this stack's state could not be read, after the error that said so. */
export const UNREAD_STATE_MESSAGE =
  "cordon declared everything, but could not read this stack's state (said above, before declaring): this update fails so that the engine deletes nothing; what was declared stays";

/**
 * This stack's state cannot be read: under which spelling each principal's deny was declared is
 * not known (a deny declared under another one would be deleted after it is written), nor, on the
 * organization stack, which guardrails it declared before (a superseded one must stay attached
 * until its replacement is). One message for both: they are one cause.
 */
export function unreadStateProblem(why: string, organization: boolean): string {
  const guardrails = organization ? " and which organization guardrails it declared before" : "";
  const declares = organization
    ? "every deny as the files spell it and the guardrails the files plan"
    : "every deny as the files spell it";
  const keeps = organization
    ? "; a superseded guardrail stays attached until a run that can read the state finds its replacements attached"
    : "";
  return `this stack's state, which says under which spelling each principal's deny was declared${guardrails}, cannot be read (${why}): cordon declares ${declares}, and this update fails so that the engine deletes nothing (a deny the state spells otherwise is the same IAM policy, and its delete would delete it${keeps}); run again once the state can be read`;
}

/**
 * The run's last word when IAM's state kept deny policies or replacement roles from being declared
 * as planned, after the errors that said which and why.
 */
export function withheldMessage(denies: number, roles: number): string {
  const what = [
    ...(denies > 0 ? [denies === 1 ? "1 deny policy" : `${denies} deny policies`] : []),
    ...(roles > 0 ? [roles === 1 ? "1 replacement role" : `${roles} replacement roles`] : []),
  ].join(" and ");
  return `cordon declared everything else, but not ${what} as planned (said above, before declaring): this update fails so that it is seen and run again; what was declared stays, and nothing the files no longer declare is deleted until a run succeeds`;
}

/** The run's last word when incidents could not be contained as the files say, after the error that said why. */
export function uncontainedMessage(incidents: readonly string[]): string {
  return `cordon declared everything else, but does not take ${incidents.length === 1 ? "incident" : "incidents"} ${incidents.join(", ")} for contained (said above, before declaring): this update fails so that it is seen; correct the files and run again; what was declared stays, and nothing the files no longer declare is deleted until a run succeeds`;
}

/** The run's last word when an act failed, after each failure's own error. */
export function actsFailedMessage(count: number): string {
  const acts = count === 1 ? "1 act" : `${count} acts`;
  return `cordon declared everything, but ${acts} of its own failed (said above): this update fails so that it is seen and run again; what was declared stays, and nothing the files no longer declare is deleted until a run succeeds`;
}

/**
 * Everything read before declaring anything, each read checked: the settings, the incident files,
 * the credentials' account, what IAM (and Organizations) says, the cutoffs other stacks recorded,
 * and every credential of each compromised user. A problem with the repository's inputs, or a read
 * that fails, stops the run, declaring nothing; what IAM's state keeps from being declared as
 * planned is said as an error here, and left out (`Withheld`).
 */
async function readWorld(
  iam: DeployIam,
  organizations: DeployOrganizations | undefined,
  root: RootCredentials | undefined,
): Promise<World> {
  const settings = readSettings();
  const { account, organization, prefix } = settings;
  refuse(stackNameProblem(pulumi.getStack(), prefix, account));

  // Paths in messages stay relative to the project folder, where index.ts and Pulumi.yaml live.
  const loaded = loadIncidentPaths([settings.incidentsDir], PROJECT_DIR, new Date(), undefined, {
    repositories: settings.repositories,
  });
  refuse(invalidFilesProblem(settings.incidentsDir, loaded.errors));
  const incidents = loaded.incidents;
  for (const note of sharesNotes(incidents, account, organization)) pulumi.log.info(note);

  // Everything that could fail at `up` but not at `preview` is asked of IAM now, before declaring.
  refuse(await credentialsProblem(account, async () => (await aws.getCallerIdentity()).accountId));
  // The spelling each principal's resources already have in this stack's state, before any plan.
  const own = await readOwnState();
  const unread = "unreadable" in own ? [unreadStateProblem(own.unreadable, organization !== undefined)] : [];
  const spelled = "unreadable" in own ? { principals: [], problems: [] } : stateSpellings(account, own.resources);
  // The guardrails this stack declared before, by its own state only (never by what Organizations lists).
  const ownGuardrails =
    organization === undefined || "unreadable" in own ? [] : stateGuardrails(own.resources, OrganizationGuardrail.type);
  const facts = await readFacts(incidents, settings, iam, organizations, own, spelled.principals, ownGuardrails);
  const base = {
    account,
    organization,
    goneAccessKeys: facts.goneAccessKeys,
    managedDenyRoles: facts.managedDenyRoles,
    inlineDenyUsers: facts.inlineDenyUsers,
    gonePrincipals: facts.gonePrincipals,
    spellings: spelled.principals,
  };

  // Each at-containment incident's instant is recorded by one stack, and read by every other.
  const duties = stackDuties(incidents, base, prefix);
  const owners = await readOwners(duties.reads, incidents);
  const { containment, awaiting } = cutoffsRead(duties.reads, owners.recorded);
  // A withheld incident an earlier run contained keeps its instant: only one never contained is denied everything.
  const uncontained = [...awaiting, ...facts.withheld.incidents.filter((id) => !facts.withheld.contained.includes(id))];
  const plan = buildPlan(incidents, { ...base, containment, uncontained });
  refuse(oversizedDeniesProblem(plan));
  // Every credential IAM lists for each compromised user, and its fate (plan/credentials.ts).
  const credentials = await beforeDeclaring("IAM", () =>
    readCredentialPlan(incidents, account, iam, containment, spelled.principals),
  );
  const roots = organization === undefined ? [] : rootUserPlans(incidents, organization);
  refuse(rootAccessProblem(roots, root !== undefined));
  for (const note of facts.notes) pulumi.log.info(note);
  for (const warning of facts.warnings) pulumi.log.warn(warning);
  for (const note of [goneKeysNote(plan), gonePrincipalsNote(plan)]) if (note !== undefined) pulumi.log.info(note);
  for (const note of owners.notes) pulumi.log.warn(note);
  for (const error of [...facts.withheld.errors, ...unread, ...spelled.problems]) pulumi.log.error(error);
  return {
    settings,
    incidents,
    base,
    impostors: facts.impostors,
    duties,
    owners,
    containment,
    awaiting,
    uncontained,
    plan,
    credentials,
    roots,
    withheld: facts.withheld,
    unsettled: spelled.problems,
    unread,
    userIds: facts.userIds,
    guardrails: { own: ownGuardrails, attached: facts.attachedGuardrails },
  };
}

/**
 * The plan's containment instants, deny policies, replacement roles and guardrails, in that order
 * (plan/declarations.ts says after what), but what IAM's state withholds; the instants by incident
 * id, for the outputs.
 */
function declarePlan(
  plan: Plan,
  account: string,
  credentials: CredentialPlan,
  withheld: Withheld,
  superseded: readonly StateGuardrail[],
): Record<string, ContainmentInstant> {
  const instants: Record<string, ContainmentInstant> = {};
  for (const { name, incident, accessKeyIds, otherAccessKeyIds } of instantsToRecord(plan, account, credentials))
    instants[incident] = new ContainmentInstant(name, { incident, accessKeyIds, otherAccessKeyIds });
  const cutoffsOf = (pending: string[]) => Object.fromEntries(pending.map((id) => [id, instants[id].cutoff]));
  const revocations = new Map(
    plan.denyPolicies
      .filter(
        (policy) =>
          !withheld.denies.includes(policy.resourceName) && !withheld.renamedDenies.includes(policy.resourceName),
      )
      .map((policy) => [
        policy.resourceName,
        new SessionRevocation(policy.resourceName, {
          policy,
          containment: cutoffsOf(policy.pendingContainment),
          keepAsIs: withheld.keptDenies.includes(policy.resourceName),
        }),
      ]),
  );
  for (const { role, denyPolicies } of replacementRolesAfter(plan)) {
    if (withheld.roles.includes(role.resourceName)) continue;
    const after: pulumi.Resource[] = [
      ...denyPolicies.flatMap((name) => revocations.get(name) ?? []),
      ...(instants[role.incident] ? [instants[role.incident]] : []),
    ];
    new ReplacementRole(role.resourceName, { role, after });
  }
  // The guardrails: the SCP's statements take the same cutoffs.
  for (const policy of plan.organizationPolicies)
    new OrganizationGuardrail(policy.name, { policy, containment: cutoffsOf(policy.pendingContainment) });
  for (const policy of superseded) new OrganizationGuardrail(policy.name, { policy });
  return instants;
}

/** What the run does with the superseded guardrails: kept until their replacements are attached, or let go. */
function supersededNotes(plan: Plan, own: readonly StateGuardrail[], kept: readonly StateGuardrail[]): string[] {
  const planned = new Set(plan.organizationPolicies.map((p) => p.name));
  const superseded = own.filter((g) => !planned.has(g.name)).map((g) => g.name);
  if (superseded.length === 0) return [];
  const names = superseded.join(", ");
  return [
    kept.length > 0
      ? `organization guardrails ${names}: superseded, kept attached as they are until a run finds every new document attached to every target (one more run after this one, when it succeeds)`
      : `organization guardrails ${names}: superseded, and every new document is attached to every target: no longer declared, this update detaches and deletes them`,
  ];
}

/**
 * The program's own acts in its log: what was done as information, what failed as errors. The run
 * goes on, and fails at its end (failRunIfActsFailed); returns what failed.
 */
function say(acts: ActsDone): string[] {
  for (const line of acts.done) pulumi.log.info(line);
  for (const line of acts.failed) pulumi.log.error(line);
  return acts.failed;
}

/** A read before anything is declared: a failure stops the run, declaring nothing. */
async function beforeDeclaring<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new pulumi.RunError(
      `cordon declared nothing: cannot read ${what} before declaring: ${(error as Error).message}`,
    );
  }
}

/**
 * What IAM (and, in the organization stack, Organizations) says before anything is declared: the
 * keys and principals it no longer has, where each role's deny fits, what IAM's state keeps from
 * being declared as planned (a full principal, a replacement role's name taken: whoever holds a
 * leaked key can do either, so neither stops the rest); and whatever else would make `pulumi up`
 * fail, which stops the run here.
 */
async function readFacts(
  incidents: Incident[],
  settings: Settings,
  iam: DeployIam,
  organizations: DeployOrganizations | undefined,
  own: OwnState,
  spellings: readonly Principal[],
  ownGuardrails: readonly StateGuardrail[],
): Promise<Facts> {
  const { account, organization } = settings;
  const declared = buildPlan(incidents, { account, organization, spellings });
  try {
    refuse(sdkAccountProblem(account, await iam.account()));
    const keys = await keyOwnership(
      declared.accessKeys,
      async (user) => (await iam.accessKeys(user))?.map((key) => key.accessKeyId) ?? null,
      (id) => iam.keyOwner(id),
    );
    refuse(keys.problem);
    // A user IAM does not find by name is gone only when nothing shows it was renamed.
    const users = declared.denyPolicies
      .filter((deny) => deny.principal.type === "user")
      .map((deny) => ({ account: deny.account, name: deny.principal.name, incidents: deny.incidents }));
    // What cannot be read records no id: a renamed user is then found only through its listed keys.
    const recordedIds = "unreadable" in own ? {} : own.userIds;
    const identities = await userIdentities(users, recordedIds, keys.foreign, {
      userId: (name) => iam.userId(name),
      userNamed: (id) => iam.userNamed(id),
    });
    const renamed = identities.renamed;
    const isRenamed = (p: Principal) =>
      p.type === "user" && renamed.some((r) => iamNameKey(r.user) === iamNameKey(p.name) && r.nameNowHeldBy === null);
    const withheldIncidents = [
      ...new Set([...renamed.flatMap((r) => r.incidents), ...keys.foreign.flatMap((k) => k.incidents)]),
    ].sort();
    const contained = "unreadable" in own ? [] : instantsHeld(account, withheldIncidents, own.resources);
    // One read per role, whatever the spelling: a role can be revoked and be a replacement role too.
    const roles = new Map<string, Promise<RoleState | null>>();
    const role = (name: string) => {
      const key = name.toLowerCase();
      if (!roles.has(key)) roles.set(key, iam.role(name));
      return roles.get(key)!;
    };
    const taken = await takenRoleNames(declared, role);
    const room = await denyRoom(declared, {
      role,
      userAttachedPolicies: (name) => iam.userAttachedPolicies(name),
      userInlinePolicies: (name) => iam.userInlinePolicies(name),
      quotas: () => iam.quotas(),
      managedPolicy: (arn) => iam.managedPolicy(arn),
      statePolicies: async () => statePolicies(own),
    });
    if (organization !== undefined) {
      if (organizations === undefined)
        refuse(
          "cordon declared nothing: cordon:organization is set, but the program was given no way to read Organizations",
        );
      refuse(
        await guardrailsProblem(declared, organization, organizations!, "unreadable" in own ? null : ownGuardrails),
      );
    }
    const attached =
      organization === undefined || ownGuardrails.length === 0
        ? new Set<string>()
        : await attachedGuardrails(organization, ownGuardrails, organizations!);
    return {
      goneAccessKeys: keys.gone,
      managedDenyRoles: room.managedDenyRoles,
      inlineDenyUsers: room.inlineDenyUsers,
      gonePrincipals: room.gone.filter((p) => !isRenamed(p)),
      notes: room.notes,
      impostors: room.impostors,
      warnings: room.warnings,
      withheld: {
        denies: room.undeclared,
        keptDenies: room.kept,
        roles: taken.taken,
        foreign: room.foreign,
        incidents: withheldIncidents,
        contained,
        // A renamed user's keys too, whoever IAM names as their owner: an update would name the old user.
        keys: declared.accessKeys
          .filter(
            (key) =>
              keys.foreign.some((f) => f.accessKeyId === key.accessKeyId) ||
              renamed.some((r) => iamNameKey(r.user) === iamNameKey(key.user)),
          )
          .map((key) => key.resourceName),
        renamedDenies: declared.denyPolicies
          .filter((deny) => isRenamed({ ...deny.principal, account: deny.account }))
          .map((deny) => deny.resourceName),
        errors: [
          uncontainedUsersError(declared, renamed, keys.foreign, contained),
          takenRoleNamesError(taken.problems),
          denyRoomError(room.problems),
          foreignDeniesError(room.foreignProblems),
        ].filter((e) => e !== undefined),
      },
      userIds: identities.userIds,
      attachedGuardrails: attached,
    };
  } catch (error) {
    if (error instanceof pulumi.RunError) throw error;
    throw new pulumi.RunError(
      `cordon declared nothing: cannot read ${organization === undefined ? "IAM" : "IAM and Organizations"} before declaring: ${(error as Error).message}`,
    );
  }
}

/**
 * This stack's last checkpoint as the engine reads it (every resource's type and outputs, by URN),
 * the ids its outputs list as impostors (`denyImpostors`) and the users' ids they recorded
 * (`userIds`); or why it cannot be read. Read once, before anything is planned: which managed
 * policies this stack created (`statePolicies`), under which spelling each principal's resources
 * are named (program/spellings.ts), and which user each name was (program/checks.ts, userIdentities). The checkpoint is the
 * only record of which policy at a deny's name is cordon's that whoever writes IAM cannot forge. A
 * stack without outputs has recorded nothing of cordon's yet, and is not asked further: the engine's
 * GetStackResourceOutputs reads the checkpoint's snapshot without checking that there is one
 * (pkg/backend/backend.go), which a stack never updated has not. With them, the ids its outputs list
 * as impostors: a refresh reads whatever IAM has at a policy's ARN into the state, so the state
 * alone would vouch for an impostor once an update with `--refresh` has run (a failed one included:
 * the program registers its outputs before it fails, at its end).
 */
type OwnState =
  | { resources: Record<string, StateResource>; impostors: Set<string>; userIds: Record<string, string> }
  | { unreadable: string };

async function readOwnState(): Promise<OwnState> {
  const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  try {
    const own = (await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name })) as { outputs?: unknown } | undefined;
    const outputs = own?.outputs;
    if (typeof outputs !== "object" || outputs === null || Object.keys(outputs).length === 0)
      return { resources: {}, impostors: new Set(), userIds: {} };
    const impostors = listedImpostors(outputs);
    const userIds = recordedUserIds(outputs);
    const read = (await pulumi.runtime.invoke(READ_STACK_RESOURCE_OUTPUTS, { stackName: name })) as
      | { outputs?: Record<string, StateResource> }
      | undefined;
    return { resources: read?.outputs ?? {}, impostors, userIds };
  } catch (error) {
    return { unreadable: ((error as { details?: string }).details ?? (error as Error).message).split("\n")[0] };
  }
}

/** The managed policies this stack created, as its last checkpoint records them (ARN → PolicyId). */
function statePolicies(own: OwnState): StatePolicies {
  if ("unreadable" in own) return own;
  const policies = new Map<string, string>();
  for (const resource of Object.values(own.resources)) {
    const { arn, policyId } = (resource?.outputs ?? {}) as { arn?: unknown; policyId?: unknown };
    if (resource?.type === "aws:iam/policy:Policy" && typeof arn === "string" && typeof policyId === "string")
      policies.set(arn.toLowerCase(), policyId);
  }
  return { policies, impostors: own.impostors };
}

/**
 * The UserIds this stack's last run recorded (its `userIds` output). Anything that is not a name →
 * id table records nothing: a renamed user is then found only through the owner IAM names for its
 * listed keys, and this run records the ids afresh.
 */
function recordedUserIds(outputs: object): Record<string, string> {
  const ids = (outputs as { userIds?: unknown }).userIds;
  if (typeof ids !== "object" || ids === null || Array.isArray(ids)) return {};
  return Object.fromEntries(
    Object.entries(ids).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

/**
 * The cutoffs other stacks recorded, from their outputs as the engine reads them. A stack that
 * cannot be read, or has not recorded an instant yet, gives none: the incident is then denied
 * everything here until it has (never a cutoff of this stack's own).
 */
async function readOwners(
  reads: Record<string, string>,
  incidents: readonly Incident[],
): Promise<{ recorded: Record<string, Recorded>; notes: string[] }> {
  const recorded: Record<string, Recorded> = {};
  const notes: string[] = [];
  const stacks = [...new Set(Object.values(reads))].sort();
  for (const stack of stacks) {
    const ids = Object.keys(reads).filter((id) => reads[id] === stack);
    let outputs: unknown;
    try {
      const read = (await pulumi.runtime.invoke(READ_STACK_OUTPUTS, {
        name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`,
      })) as { outputs?: unknown } | undefined;
      outputs = read?.outputs;
    } catch (error) {
      const problem = ((error as { details?: string }).details ?? (error as Error).message).split("\n")[0];
      notes.push(...ids.map((id) => awaitingOwnerNote(id, stack, problem)));
      continue;
    }
    for (const id of ids) {
      const incident = incidents.find((i) => i.id === id);
      const found = incident === undefined ? undefined : recordedIn(outputs, incident);
      if (found) recorded[id] = found;
      else notes.push(awaitingOwnerNote(id, stack));
    }
  }
  return { recorded, notes };
}

/**
 * After the key steps of this run: the incidents this stack records whose users still have an
 * access key the files do not keep that is not Inactive in IAM (a failed import or update, or a
 * key created since the listing), or whose keys cannot be read back. IAM's API answers with what
 * it just applied (eventual consistency is in enforcing it, which the margin covers).
 */
async function keysStillUsable(
  credentials: CredentialPlan,
  recorded: string[],
  iam: DeployIam,
): Promise<{ ids: string[]; notes: string[] }> {
  const listed = new Map<string, Promise<ListedKey[] | null>>();
  const listOf = (user: string) => {
    const key = user.toLowerCase();
    if (!listed.has(key)) listed.set(key, iam.accessKeys(user));
    return listed.get(key)!;
  };
  const ids: string[] = [];
  const notes: string[] = [];
  for (const id of recorded) {
    let after: UserKeysAfterRun[];
    try {
      after = await Promise.all(
        keyHoldersOf(credentials, id).map(async ({ user, keep, existed }) => ({
          user,
          keep,
          existed,
          listed: await listOf(user),
        })),
      );
    } catch (error) {
      ids.push(id);
      notes.push(keysUnreadNote(id, (error as Error).message));
      continue;
    }
    const active = stillActive(after);
    const vanished = vanishedUsers(after);
    if (active.length > 0 || vanished.length > 0) ids.push(id);
    if (active.length > 0) notes.push(keysStillActiveNote(id, active));
    if (vanished.length > 0) notes.push(usersVanishedNote(id, vanished));
  }
  return { ids, notes };
}

/**
 * The stack's settings, checked before anything is declared: by the one reader of `cordon:*`
 * settings (plan/project.ts), from the configuration the engine gives the program, with the same
 * checks and messages as `validate` and guard give the stack files.
 */
function readSettings(): Settings {
  const { settings, problems } = stackSettingsFromEngine(pulumi.getStack(), pulumi.runtime.allConfig());
  if (settings === undefined || problems.length > 0) throw new pulumi.RunError(stackSettingsProblem(problems));
  const { account, stackPrefix, incidentsDir, organization, autoContain } = settings;
  return {
    account,
    prefix: stackPrefix,
    incidentsDir,
    ...(organization === null ? {} : { organization }),
    ...(autoContain === null ? {} : { autoContain: autoContainFor(account, autoContain.repository) }),
    repositories: ownRepositories([{ autoContain }], process.env),
  };
}

/** What auto-contain deploys in this account, for the repository the setting names. */
function autoContainFor(account: string, repository: string): AutoContainPlan {
  try {
    return autoContainPlan({ account, repository });
  } catch (error) {
    throw new pulumi.RunError(`cordon declared nothing: ${(error as Error).message}`);
  }
}

/** Stops the run before anything is declared. */
function refuse(problem: string | undefined): void {
  if (problem !== undefined) throw new pulumi.RunError(problem);
}
