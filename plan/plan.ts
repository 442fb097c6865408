/**
 * The plan: validated incidents in, everything `pulumi up` must declare out. Pure and
 * deterministic: no Pulumi, no AWS SDK, no clock, no file system; the same incidents give a
 * byte-identical plan whatever their order.
 */
import { accountsOf } from "./accounts.ts";
import { computeExpiry } from "../incident/expiry.ts";
import { iamNameKey, principalKey } from "../incident/fields.ts";
import { byKey, compareText } from "../incident/order.ts";
import { AT_CONTAINMENT, type Incident, type Mode } from "../incident/types.ts";
import {
  organizationPlan,
  type OrganizationConfig,
  type OrganizationExclusion,
  type OrganizationPolicyPlan,
} from "./organization.ts";
import {
  denyDocument,
  filledSize,
  MANAGED_POLICY_MAX_CHARACTERS,
  recordedFor,
  trustPolicy,
  type PolicyDocument,
} from "./policies.ts";

export type PrincipalType = "user" | "role";

/** A user or role of an account. */
export interface Principal {
  type: PrincipalType;
  name: string;
  account: string;
}

export interface PlannedIncident {
  id: string;
  file: string;
  /** The incident's account: where its replacement roles go, and its principals' unless they name another. */
  account: string;
  /** Every account whose stack declares a share of it: its principals' accounts, and its own when it has replacement roles (sorted; see accountsOf). */
  accounts: string[];
  mode: Mode;
  /**
   * A UTC instant, or `at-containment` until its instant is known: for an at-containment incident,
   * the recorded instant plus the propagation margin (plan/containment.ts).
   */
  cutoff: string;
  /** When the file may be removed; null while an at-containment instant is not recorded yet. */
  expiresAt: string | null;
  /** True when the file says `cutoff: at-containment`. */
  atContainment: boolean;
  /** True when the cutoff is at-containment and its instant is not known to this plan. */
  cutoffPending: boolean;
  /**
   * True when the cutoff is at-containment, its instant cannot be had in this run, and the incident's
   * principals are therefore denied everything until it can (`PlanOptions.uncontained`).
   */
  deniedUntilContained: boolean;
  holdUntil: string | null;
  principals: { type: PrincipalType; name: string; account: string }[];
  /** Every key the file lists, sorted, whether IAM still has it or not. */
  accessKeys: string[];
  /**
   * The listed keys IAM no longer has (deleted by hand, as AWS advises once the workload has
   * moved): already contained, so nothing is declared for them. Known only to the program, which
   * asks IAM, and to whoever passes its stack outputs; empty otherwise.
   */
  goneAccessKeys: string[];
  /**
   * The incident's users and roles that IAM does not have (deleted by hand, as responders do):
   * contained, nothing to attach. Known only to the program and whoever passes its stack outputs.
   */
  gonePrincipals: Principal[];
  replacementRoles: string[];
  /** The organization guardrails it asks for. */
  organization: { scp: boolean; rcp: boolean };
  /** Identity store user ids the SCP denies (sorted). */
  identityCenterUsers: string[];
}

/** One deny policy per principal, covering every incident that names it. */
export interface DenyPolicy {
  account: string;
  principal: { type: PrincipalType; name: string };
  incidents: string[];
  mode: Mode;
  /**
   * The policy document. Statements for at-containment incidents hold a placeholder
   * (`containmentPlaceholder(id)`) that the program fills with the recorded instant.
   */
  document: PolicyDocument;
  /** Incidents whose containment instant the document waits for. */
  pendingContainment: string[];
  /**
   * Users get a customer managed policy: a user's inline policies share 2,048 characters, which a
   * busy user may have used up; unless the program found no free attachment for it (10 by default,
   * which the leaked key's holder may fill): then an inline policy, when it fits
   * (`PlanOptions.inlineDenyUsers`). Roles get an inline policy, as the console's "Revoke active
   * sessions" does, unless the program found no room for it among the role's inline policies
   * (10,240 characters for all of them by default): then a managed policy, as users get
   * (`PlanOptions.managedDenyRoles`).
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
   */
  attachment: "managed" | "inline";
  /** The IAM policy name (a managed policy lives under {@link POLICY_PATH}). */
  policyName: string;
  /** The Pulumi resource name: derived from account and principal, never from positions. */
  resourceName: string;
}

export interface AccessKeyPlan {
  account: string;
  user: string;
  accessKeyId: string;
  /** Always Inactive: cordon disables keys, never deletes, creates or re-enables them. */
  status: "Inactive";
  incidents: string[];
  resourceName: string;
}

/** A listed key that IAM no longer has: contained already, nothing to declare. */
export interface GoneAccessKeyPlan {
  account: string;
  user: string;
  accessKeyId: string;
  incidents: string[];
}

export interface ReplacementRolePlan {
  account: string;
  name: string;
  /** {@link ROLE_PATH}: what the deployer's role-changing permissions are scoped to. */
  path: string;
  incident: string;
  /** `{ [INCIDENT_TAG]: incident }`: how a later run knows the role is this incident's. */
  tags: Record<string, string>;
  assumeRolePolicy: PolicyDocument;
  managedPolicyArns: string[];
  inlinePolicies: Record<string, unknown>;
  maxSessionDuration: number;
  /** Replacement roles are the new permanent access path: removing the incident keeps them. */
  retainOnDelete: true;
  resourceName: string;
}

/**
 * The cutoff of each at-containment incident whose instant is recorded: the instant plus the
 * propagation margin (`containmentCutoff`), as the stack outputs publish it.
 */
export type ContainmentInstants = Record<string, string>;

/**
 * An incident's access key ids, sorted: the set its containment instant is recorded for. A new
 * key takes a new instant (ContainmentInstant's trigger), so an instant recorded for another set
 * no longer holds: sessions the new key minted in between would escape it.
 */
export function incidentKeyIds(incident: Pick<Incident, "users">): string[] {
  return [...new Set(incident.users.flatMap((u) => u.accessKeys))].sort();
}

export interface Plan {
  incidents: PlannedIncident[];
  denyPolicies: DenyPolicy[];
  /** The keys to disable: every listed key but those known to be gone. */
  accessKeys: AccessKeyPlan[];
  /** Listed keys that IAM no longer has (`PlanOptions.goneAccessKeys`). */
  goneAccessKeys: GoneAccessKeyPlan[];
  replacementRoles: ReplacementRolePlan[];
  /**
   * The organization guardrails (`PlanOptions.organization`): one SCP set and one RCP set covering
   * every incident that asks, for the stack configured with `cordon:organization`. Empty otherwise.
   */
  organizationPolicies: OrganizationPolicyPlan[];
  /** Principals of incidents asking for the SCP that no SCP can reach (the management account's): their IAM deny stays. */
  organizationExclusions: OrganizationExclusion[];
}

export interface PlanOptions {
  /**
   * Only this account's share (a stack deploys one account): the deny policies and keys of its
   * principals, the replacement roles of its incidents, and the incidents that have a share in it.
   */
  account?: string;
  /**
   * The organization's configuration (`cordon:organization`): plan the guardrails. Only the
   * organization stack, and a plan of every account, pass it.
   */
  organization?: OrganizationConfig;
  /** The cutoffs of at-containment incidents whose instant is recorded, by incident id (stack outputs). */
  containment?: ContainmentInstants;
  /**
   * At-containment incidents whose cutoff is not in `containment` and will not be recorded by this
   * run either: their principals are denied everything until it is (the safe side).
   * @default []
   */
  uncontained?: readonly string[];
  /**
   * Users and roles that IAM does not have, as the program found them: no deny policy is planned
   * for them (IAM names ignore case).
   * @default []
   */
  gonePrincipals?: readonly Principal[];
  /**
   * Ids of listed keys that IAM no longer has, as the program found them (or the stack outputs
   * recorded): they are planned as contained, not as keys to disable.
   * @default []
   */
  goneAccessKeys?: readonly string[];
  /**
   * Roles whose deny is a managed policy attached to them instead of the inline policy: the program
   * found no room for it among their inline policies (case-insensitive, as IAM names are).
   * @default []
   */
  managedDenyRoles?: readonly string[];
  /**
   * Users whose deny is an inline policy instead of the managed one: the program found no free
   * managed-policy attachment for it, or the user already carries it (case-insensitive).
   * @default []
   */
  inlineDenyUsers?: readonly string[];
  /**
   * Principals as this stack's state already spells them (program/spellings.ts reads them): each
   * keeps that spelling, whatever the files' (IAM ignores case; Pulumi's resource names do not).
   * The deny's resource and policy names, and the user's credentials' resource names, are made
   * from the spelling: respelled by the files (an incident spelling `Deploy` removed, one spelling
   * `deploy` added), a principal would otherwise get a resource of a new name, which the engine
   * creates (the same IAM policy, written again) before deleting the old one (that very policy).
   * A principal the state does not have keeps the files' spelling.
   * @default []
   */
  spellings?: readonly Principal[];
}

export const USER_POLICY_PREFIX = "cordon-revoke-sessions-";
export const ROLE_POLICY_NAME = "cordon-revoke-sessions";
/**
 * The managed deny policy of a role without room for the inline one. Never the name of a user's
 * policy: no `cordon-revoke-sessions-<user>` starts with `cordon-revoke-role-`.
 */
export const ROLE_MANAGED_POLICY_PREFIX = "cordon-revoke-role-sessions-";
/** The IAM path of cordon's managed policies, so that they are easy to find and to grant on. */
export const POLICY_PATH = "/cordon/";
/**
 * The IAM path of the replacement roles cordon creates: the deployer may create, change and attach
 * policies to roles under it only (`role/cordon/*`), never to its own role or anyone else's.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names
 */
export const ROLE_PATH = "/cordon/";
/**
 * The tag every replacement role carries, with its incident's id as the value: a later run accepts
 * an existing role of that name only when this tag names the same incident.
 */
export const INCIDENT_TAG = "cordon:incident";

/**
 * The name of a principal's deny policy: a user's managed policy, a role's inline policy, the
 * managed policy of a role without room for the inline one, or the inline policy of a user without
 * a free attachment for the managed one (named as a role's: an inline policy's name is the
 * principal's own). Every place that names or looks for one asks here.
 */
export function denyPolicyName(type: PrincipalType, name: string, attachment: "managed" | "inline"): string {
  if (attachment === "inline") return ROLE_POLICY_NAME;
  return type === "user" ? `${USER_POLICY_PREFIX}${name}` : `${ROLE_MANAGED_POLICY_PREFIX}${name}`;
}

/**
 * How the plan spells each principal: as `spellings` (the stack's state) has it, whatever the
 * case of `name`; otherwise `name`. The one place that chooses a principal's spelling.
 */
export function spelledAs(
  spellings: readonly Principal[] = [],
): (account: string, type: PrincipalType, name: string) => string {
  const known = new Map(spellings.map((p) => [principalKey(p.account, p.type, p.name), p.name]));
  return (account, type, name) => known.get(principalKey(account, type, name)) ?? name;
}

/** A deny policy IAM would refuse for its size, and the line that says so. */
export interface OversizedDeny {
  deny: DenyPolicy;
  /** Its size once its instants are filled in, as IAM counts it. */
  size: number;
  message: string;
}

/**
 * The deny policies IAM would refuse for their size, once their instants are filled in: a managed
 * policy holds at most 6,144 characters ({@link MANAGED_POLICY_MAX_CHARACTERS}). One each, with
 * the line saying which incidents make it that long and what to do; empty when every one fits. (A
 * role's inline deny shares the role's inline quota with its other policies: program/checks.ts
 * asks IAM.) The one size rule: the program refuses such a plan whole, and `plan`, `validate` and
 * guard say so from here.
 */
export function oversizedDenyPolicies(plan: Plan): OversizedDeny[] {
  return plan.denyPolicies
    .filter((deny) => deny.attachment === "managed")
    .map((deny) => ({ deny, size: filledSize(deny.document, deny.pendingContainment) }))
    .filter(({ size }) => size > MANAGED_POLICY_MAX_CHARACTERS)
    .map(({ deny, size }) => {
      const { type, name } = deny.principal;
      const statements = deny.document.Statement.length;
      const message = `${type} ${name} (account ${deny.account}; incidents ${deny.incidents.join(", ")}): its deny policy would hold ${size.toLocaleString("en-US")} characters in ${statements} statements, over the ${MANAGED_POLICY_MAX_CHARACTERS.toLocaleString("en-US")} IAM allows a managed policy, so pulumi up would fail (LimitExceeded): each at-containment incident that names it adds a statement; remove the incidents cordon status says can be removed, or give the others one explicit cutoff (the latest covers the earlier ones)`;
      return { deny, size, message };
    });
}

/** {@link oversizedDenyPolicies}, one line each. */
export function oversizedDenies(plan: Plan): string[] {
  return oversizedDenyPolicies(plan).map((oversized) => oversized.message);
}

/** The ARN of one of cordon's managed policies in `account`. */
export function cordonPolicyArn(account: string, policyName: string): string {
  return `arn:aws:iam::${account}:policy${POLICY_PATH}${policyName}`;
}

export function buildPlan(all: Incident[], options: PlanOptions = {}): Plan {
  const inAccount = (account: string) => options.account === undefined || account === options.account;
  const guarded = options.organization !== undefined ? all.filter((i) => i.organization.scp || i.organization.rcp) : [];
  // Without an account, every incident: one that only asks for guardrails (Identity Center users,
  // root users) has a share in no account's stack, yet its lifecycle is still the plan's to say.
  const incidents = all
    .filter(
      (incident) => options.account === undefined || accountsOf(incident).some(inAccount) || guarded.includes(incident),
    )
    .sort(byKey((i) => i.id));
  const containment = options.containment ?? {};
  const gone = new Set(options.goneAccessKeys ?? []);
  const uncontained = options.uncontained ?? [];
  const keyOf = (p: Principal) => principalKey(p.account, p.type, p.name);
  const gonePrincipals = new Set((options.gonePrincipals ?? []).map(keyOf));
  const managedRoles = new Set((options.managedDenyRoles ?? []).map(iamNameKey));
  const inlineUsers = new Set((options.inlineDenyUsers ?? []).map(iamNameKey));
  const spell = spelledAs(options.spellings);

  const principals = new Map<string, { account: string; type: PrincipalType; name: string; incidents: Incident[] }>();
  const keys = new Map<string, AccessKeyPlan>();
  for (const incident of incidents) {
    const add = (type: PrincipalType, name: string, account: string) => {
      // IAM names are case-insensitive: one principal, one policy, whatever the spelling.
      const key = principalKey(account, type, name);
      const entry = principals.get(key) ?? { account, type, name: spell(account, type, name), incidents: [] };
      entry.incidents.push(incident);
      principals.set(key, entry);
    };
    for (const user of incident.users.filter((u) => inAccount(u.account))) {
      add("user", user.name, user.account);
      const name = spell(user.account, "user", user.name);
      for (const accessKeyId of user.accessKeys) {
        const key = `${user.account}\u0000${accessKeyId}`;
        const entry = keys.get(key) ?? {
          account: user.account,
          user: name,
          accessKeyId,
          status: "Inactive" as const,
          incidents: [],
          resourceName: `${user.account}-${name}-${accessKeyId}`,
        };
        entry.incidents.push(incident.id);
        keys.set(key, entry);
      }
    }
    for (const role of incident.roles.filter((r) => inAccount(r.account))) add("role", role.name, role.account);
  }

  const denyPolicies = [...principals.values()]
    .filter((p) => !gonePrincipals.has(keyOf(p)))
    .map((p): DenyPolicy => {
      const { document, mode, pendingContainment } = denyDocument(p.incidents, containment, uncontained);
      const attachment =
        p.type === "user"
          ? inlineUsers.has(iamNameKey(p.name))
            ? "inline"
            : "managed"
          : managedRoles.has(iamNameKey(p.name))
            ? "managed"
            : "inline";
      return {
        account: p.account,
        principal: { type: p.type, name: p.name },
        incidents: p.incidents.map((i) => i.id).sort(),
        mode,
        document,
        pendingContainment,
        attachment,
        policyName: denyPolicyName(p.type, p.name, attachment),
        resourceName: `${p.account}-${p.type}-${p.name}`,
      };
    });

  const replacementRoles = incidents
    .filter((incident) => inAccount(incident.account))
    .flatMap((incident) =>
      incident.replacementRoles.map(
        (role): ReplacementRolePlan => ({
          account: incident.account,
          name: role.name,
          path: ROLE_PATH,
          incident: incident.id,
          tags: { [INCIDENT_TAG]: incident.id },
          assumeRolePolicy: trustPolicy(role.trust, incident.account),
          managedPolicyArns: [...role.managedPolicyArns].sort(),
          inlinePolicies: sortKeys(role.inlinePolicies),
          maxSessionDuration: role.maxSessionDuration,
          retainOnDelete: true,
          resourceName: `${incident.account}-${role.name}`,
        }),
      ),
    );

  const allKeys = [...keys.values()]
    .map((k) => ({ ...k, incidents: k.incidents.sort() }))
    .sort(byKey((k) => `${k.account}/${k.user}/${k.accessKeyId}`));
  const organization =
    options.organization === undefined
      ? { policies: [], exclusions: [] }
      : organizationPlan(guarded, options.organization, containment, uncontained);
  return {
    incidents: incidents.map((incident) =>
      plannedIncident(incident, recordedFor(containment, incident.id), gone, uncontained.includes(incident.id), (p) =>
        gonePrincipals.has(keyOf(p)),
      ),
    ),
    denyPolicies: denyPolicies.sort(byKey((d) => `${d.account}/${d.principal.type}/${d.principal.name}`)),
    accessKeys: allKeys.filter((k) => !gone.has(k.accessKeyId)),
    goneAccessKeys: allKeys
      .filter((k) => gone.has(k.accessKeyId))
      .map(({ account, user, accessKeyId, incidents }) => ({ account, user, accessKeyId, incidents })),
    replacementRoles: replacementRoles.sort(byKey((r) => `${r.account}/${r.name}`)),
    organizationPolicies: organization.policies,
    organizationExclusions: organization.exclusions,
  };
}

function plannedIncident(
  incident: Incident,
  containedAt: string | undefined,
  gone: ReadonlySet<string>,
  uncontained: boolean,
  isGone: (p: Principal) => boolean,
): PlannedIncident {
  const pending = incident.cutoff === AT_CONTAINMENT && containedAt === undefined;
  const principals = [
    ...incident.users.map((u) => ({ type: "user" as const, name: u.name, account: u.account })),
    ...incident.roles.map((r) => ({ type: "role" as const, name: r.name, account: r.account })),
  ].sort(byKey((p) => `${p.account}/${p.type}/${p.name}`));
  return {
    id: incident.id,
    file: incident.file,
    account: incident.account,
    accounts: accountsOf(incident),
    mode: incident.mode,
    cutoff: incident.cutoff === AT_CONTAINMENT && containedAt !== undefined ? containedAt : incident.cutoff,
    expiresAt: computeExpiry(incident, containedAt),
    atContainment: incident.cutoff === AT_CONTAINMENT,
    cutoffPending: pending,
    deniedUntilContained: pending && uncontained,
    holdUntil: incident.holdUntil ?? null,
    principals,
    accessKeys: incidentKeyIds(incident),
    goneAccessKeys: incident.users
      .flatMap((u) => u.accessKeys)
      .filter((id) => gone.has(id))
      .sort(),
    gonePrincipals: principals.filter(isGone),
    replacementRoles: incident.replacementRoles.map((r) => r.name).sort(),
    organization: { ...incident.organization },
    identityCenterUsers: incident.identityCenterUsers.map((u) => u.userId).sort(),
  };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}
