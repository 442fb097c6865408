/**
 * The stack outputs that `pulumi up` publishes and that `status`, `guard` and `verify` read back
 * (`pulumi stack output --json > outputs.json`, then `--stack-outputs outputs.json`): how the
 * program makes them from the plan, and how the commands read them back. Pure: data in, data out.
 */
import { ACCOUNT_ID, MODES } from "../incident/fields.ts";
import { parseInstant, formatInstant } from "../incident/time.ts";
import { AT_CONTAINMENT, type Incident } from "../incident/types.ts";
import { containmentCutoff } from "./containment.ts";
import { expiryOnceContained } from "./lifecycle.ts";
import type { OrganizationConfig } from "./organization.ts";
import {
  type ContainmentInstants,
  incidentKeyIds,
  type Plan,
  type PlannedIncident,
  type Principal,
  type PrincipalType,
} from "./plan.ts";
import {
  CREDENTIAL_KINDS,
  type CredentialFate,
  type CredentialKind,
  type CredentialPlan,
  type UserListing,
} from "./credentials.ts";

/** Per incident, as the program exports it under the `incidents` output. */
export interface IncidentOutput {
  /**
   * The effective cutoff: the file's instant or, for an at-containment incident, the recorded
   * instant plus the propagation margin; `at-containment` while that instant cannot be had.
   */
  cutoff: string;
  /** True when the file says `cutoff: at-containment`. */
  atContainment: boolean;
  /** The instant the stack in `containmentStack` recorded, before the margin (when this stack knows it). */
  containedAt?: string;
  /** The stack that records the at-containment instant (`<prefix>-<account>`). */
  containmentStack?: string;
  /** True while the incident's principals are denied everything here, until the instant can be read. */
  deniedUntilContained?: boolean;
  /** Null while an at-containment instant cannot be had (the incident stays active). */
  expiresAt: string | null;
  mode: string;
  /** The incident's own account (outputs of older programs lack it: the stack's account then). */
  account?: string;
  /** Every principal of the incident, with its account (older outputs: without, the stack's account). */
  principals: { type: PrincipalType; name: string; account?: string }[];
  /** Every key the file lists. */
  accessKeys: string[];
  /** The guardrails it asks for (older outputs: none). */
  organization?: { scp: boolean; rcp: boolean };
  /** Its Identity Center users (older outputs: none). */
  identityCenterUsers?: string[];
  /** The listed keys IAM no longer had at the run (deleted by hand): contained, nothing declared for them. */
  goneAccessKeys: string[];
  /** The users and roles of this stack IAM did not have at the run (deleted by hand): contained, nothing attached (older outputs: none). */
  gonePrincipals?: Principal[];
}

export interface StackOutputs {
  account: string;
  /**
   * IAM's id of each user the incidents name (name, lower-cased → UserId), kept from run to run:
   * how the program tells a user renamed since (same id, another name) from one deleted. Outputs of
   * older programs, and stacks of no user, lack it.
   */
  userIds?: Record<string, string>;
  incidents: Record<string, IncidentOutput>;
  /** Replacement roles cordon manages; removing an incident retains them. */
  replacementRoles: string[];
  /** Roles whose deny is a managed policy attached to them (no room for the inline one). */
  rolesWithManagedDeny: string[];
  /**
   * Users whose deny is the inline policy (no free attachment for the managed one). Outputs of
   * older programs lack it.
   */
  usersWithInlineDeny?: string[];
  /**
   * Policies IAM had, at the run, at the name of a principal's managed deny that this stack did not
   * create: never taken for cordon's deny, never deleted (the principal's deny is inline). Outputs
   * of older programs lack it.
   */
  denyImpostors?: DenyImpostorOutput[];
  /** The organization stack only: its `cordon:organization`, and the guardrails it declared. */
  organization?: {
    targets: string[];
    managementAccount: string;
    policies: { kind: string; name: string; incidents: string[] }[];
  };
  /**
   * Every credential of every compromised user of the stack's account, as IAM listed it at the run,
   * and what the run made of it (plan/credentials.ts). Outputs of older programs lack it.
   */
  credentials?: UserCredentialsOutput[];
  /**
   * What of cordon's own acts (a console password, an MFA device, a root user's access keys) failed
   * in a run, each as its error said, and that run (GITHUB_RUN_ID, null outside GitHub Actions);
   * absent when none did. The run then failed after declaring everything (docs/program.md, "A
   * failed act"): the contain report tells that apart from a failed step, for its own run only (an
   * errored update keeps old outputs it did not register, and a refused run registers none).
   */
  failedActs?: { run: string | null; acts: string[] };
}

/** A policy at the name of a principal's managed deny that the stack did not create. */
export interface DenyImpostorOutput {
  type: PrincipalType;
  name: string;
  account: string;
  policyArn: string;
  /** IAM's id of the policy found there. */
  policyId: string;
  /**
   * The id the stack's state recorded there: cordon's own policy, since replaced, or this policy's
   * own id once a refresh read it into the state; null when none (the next run trusts only a listing
   * with one: program/checks.ts, listedImpostors).
   */
  recordedPolicyId: string | null;
}

/** One user's credentials, as a run found them and what it made of each. */
export interface UserCredentialsOutput {
  account: string;
  user: string;
  incidents: string[];
  /** False when IAM had no such user. */
  exists: boolean;
  /** `status` as IAM listed it before the run; `fate` what the run made of it. */
  credentials: {
    kind: CredentialKind;
    id: string;
    status: string | null;
    fate: CredentialFate;
    service: string | null;
    createdAt: string | null;
  }[];
  consolePassword: { state: string; fate: string };
  mfaDevices: { serial: string; enabledAt: string | null; fate: string }[];
  /** AWS's quarantine policies still attached to the user: cordon never detaches them. */
  quarantinePolicies: string[];
}

/** `StackOutputs` while the outputs of at-containment incidents are still `Deferred` (until `pulumi up` records their instant). */
export type PendingStackOutputs<Deferred> = Omit<StackOutputs, "incidents"> & {
  incidents: Record<string, IncidentOutput | Deferred>;
};

/**
 * The outputs of a stack that deploys `plan` to `account`. The instant of an at-containment incident
 * this stack records in this run is known only once `pulumi up` has recorded it: `whenContained`
 * receives the incident's id and the function that makes its output from the recorded instant, and
 * returns what stands for it until then (the program passes a Pulumi Output). `containment` says,
 * per at-containment incident, which stack records it and, when this stack read it from there, the
 * instant that stack recorded.
 */
export function stackOutputs<Deferred>(
  account: string,
  plan: Plan,
  whenContained: (id: string, output: (containedAt: string) => IncidentOutput) => Deferred,
  organization?: OrganizationConfig,
  containment: Record<string, { stack: string; containedAt?: string }> = {},
  credentials?: CredentialPlan,
  impostors: readonly DenyImpostorOutput[] = [],
): PendingStackOutputs<Deferred> {
  const recordsNow = (planned: PlannedIncident) => planned.cutoffPending && !planned.deniedUntilContained;
  return {
    account,
    incidents: Object.fromEntries(
      plan.incidents.map((planned) => {
        const where = Object.hasOwn(containment, planned.id) ? containment[planned.id] : undefined;
        const info = {
          ...(where ? { containmentStack: where.stack } : {}),
          ...(where?.containedAt ? { containedAt: where.containedAt } : {}),
        };
        if (recordsNow(planned))
          return [
            planned.id,
            whenContained(planned.id, (instant) => ({
              ...incidentOutput(planned, instant),
              ...info,
              containedAt: instant,
            })),
          ];
        return [planned.id, { ...incidentOutput(planned), ...info }];
      }),
    ),
    replacementRoles: plan.replacementRoles.map((role) => role.name),
    rolesWithManagedDeny: plan.denyPolicies
      .filter((deny) => deny.principal.type === "role" && deny.attachment === "managed")
      .map((deny) => deny.principal.name),
    usersWithInlineDeny: plan.denyPolicies
      .filter((deny) => deny.principal.type === "user" && deny.attachment === "inline")
      .map((deny) => deny.principal.name),
    ...(impostors.length > 0 ? { denyImpostors: impostors.map((impostor) => ({ ...impostor })) } : {}),
    ...(organization !== undefined && organization.managementAccount !== null
      ? {
          organization: {
            targets: organization.targets,
            managementAccount: organization.managementAccount,
            policies: plan.organizationPolicies.map((policy) => ({
              kind: policy.kind,
              name: policy.name,
              incidents: policy.incidents,
            })),
          },
        }
      : {}),
    ...(credentials !== undefined ? { credentials: credentialsOutput(credentials) } : {}),
  };
}

/** A credential plan made from IAM's listing, as the stack outputs keep it. */
export function credentialsOutput(credentials: CredentialPlan): UserCredentialsOutput[] {
  return credentials.users.map((u) => ({
    account: u.account,
    user: u.user,
    incidents: u.incidents,
    exists: u.exists !== false,
    credentials: u.credentials.map((c) => ({
      kind: c.kind,
      id: c.id,
      status: c.status,
      fate: c.fate,
      service: c.service,
      createdAt: c.createdAt,
    })),
    consolePassword: { state: u.consolePassword.state, fate: u.consolePassword.fate },
    mfaDevices: u.mfaDevices.map((d) => ({ serial: d.serial, enabledAt: d.enabledAt, fate: d.fate })),
    quarantinePolicies: u.quarantinePolicies,
  }));
}

const FATES: readonly string[] = ["disable", "already-inactive", "expired", "kept", "gone", "at-up"];

/**
 * What the last run found of every credential, from `pulumi stack output --json` (its `credentials`):
 * one listing per user as IAM would list it now that the run has disabled what it disabled. Outputs
 * of an older program have none. Throws with a plain message when the field is not what the
 * program exports (a file passed on the command line is input like any other).
 */
export function listingsFromStackOutputs(json: unknown): {
  listings: UserListing[];
  recorded: UserCredentialsOutput[];
} {
  const value = (json as { credentials?: unknown } | null)?.credentials;
  if (value === undefined) return { listings: [], recorded: [] };
  if (!Array.isArray(value)) throw new Error("credentials: expected a list of users");
  const recorded = value.map((entry: unknown, i) => {
    const where = `credentials[${i}]`;
    const u = (entry ?? {}) as Partial<UserCredentialsOutput>;
    if (typeof u.account !== "string" || !ACCOUNT_ID.test(u.account) || typeof u.user !== "string" || u.user === "")
      throw new Error(`${where}: expected { account, user, ... }`);
    const strings = (list: unknown) => Array.isArray(list) && list.every((x) => typeof x === "string");
    if (!strings(u.incidents) || !strings(u.quarantinePolicies))
      throw new Error(`${where}: expected incidents and quarantinePolicies as lists of names`);
    if (
      !Array.isArray(u.credentials) ||
      u.credentials.some(
        (c) =>
          !(CREDENTIAL_KINDS as readonly unknown[]).includes(c?.kind) ||
          typeof c?.id !== "string" ||
          !FATES.includes(c?.fate as string) ||
          (c.status !== null && typeof c.status !== "string"),
      )
    ) {
      throw new Error(`${where}.credentials: expected a list of { kind, id, status, fate }`);
    }
    if (typeof u.consolePassword?.state !== "string" || typeof u.consolePassword?.fate !== "string")
      throw new Error(`${where}.consolePassword: expected { state, fate }`);
    if (!Array.isArray(u.mfaDevices) || u.mfaDevices.some((d) => typeof d?.serial !== "string"))
      throw new Error(`${where}.mfaDevices: expected a list of { serial, enabledAt, fate }`);
    return u as UserCredentialsOutput;
  });
  const listings = recorded.map(
    (u): UserListing => ({
      account: u.account,
      user: u.user,
      exists: u.exists !== false,
      // As IAM lists them after the run: what it disabled is Inactive, what was gone stays gone.
      credentials: u.credentials
        .filter((c) => c.fate !== "gone" && c.fate !== "at-up" && c.status !== null)
        .map((c) => ({
          kind: c.kind,
          id: c.id,
          status: c.fate === "disable" ? "Inactive" : (c.status as string),
          createdAt: c.createdAt ?? null,
          ...(c.service ? { service: c.service } : {}),
        })),
      loginProfile:
        u.consolePassword.state === "present" && u.consolePassword.fate !== "delete" ? { createdAt: null } : null,
      mfaDevices: u.mfaDevices
        .filter((d) => d.fate !== "deactivate" && d.fate !== "gone" && d.fate !== "at-up")
        .map((d) => ({ serial: d.serial, enabledAt: d.enabledAt ?? null })),
      attachedPolicies: u.quarantinePolicies,
    }),
  );
  return { listings, recorded };
}

/** One incident as `containmentFromStackOutputs` reads it back; `containedAt` is the instant recorded in this run, if any. */
function incidentOutput(planned: PlannedIncident, containedAt?: string): IncidentOutput {
  const cutoff = containedAt === undefined ? planned.cutoff : containmentCutoff(containedAt);
  const expiresAt = containedAt === undefined ? planned.expiresAt : expiryOnceContained(planned, cutoff);
  if (expiresAt === null && !planned.cutoffPending)
    throw new Error(`incident ${planned.id}: no expiry for the cutoff ${JSON.stringify(cutoff)}`);
  return {
    cutoff,
    atContainment: planned.atContainment,
    ...(planned.deniedUntilContained ? { deniedUntilContained: true } : {}),
    expiresAt,
    mode: planned.mode,
    account: planned.account,
    principals: planned.principals,
    accessKeys: planned.accessKeys,
    organization: planned.organization,
    identityCenterUsers: planned.identityCenterUsers,
    goneAccessKeys: planned.goneAccessKeys,
    gonePrincipals: planned.gonePrincipals,
  };
}

/**
 * What a stack last applied, from `pulumi stack output --json`: its account and, per incident, the
 * effective cutoff, expiry, mode, principals and keys. `guard` judges a change against it when the
 * base's incident files do not validate. Throws with a plain message when the JSON is not that.
 */
export function appliedState(json: unknown): Pick<StackOutputs, "account" | "incidents"> {
  const { account, incidents } = (json ?? {}) as { account?: unknown; incidents?: unknown };
  if (typeof account !== "string" || !ACCOUNT_ID.test(account))
    throw new Error(`account: expected the stack's account id, found ${JSON.stringify(account ?? null)}`);
  if (typeof incidents !== "object" || incidents === null || Array.isArray(incidents))
    throw new Error('expected the JSON of `pulumi stack output --json`, with an "incidents" object');
  const out: Record<string, IncidentOutput> = {};
  for (const [id, value] of Object.entries(incidents as Record<string, Partial<IncidentOutput>>)) {
    const where = `incidents.${id}`;
    // An at-containment incident whose instant could not be had is recorded as pending: no expiry.
    const pending = value?.atContainment === true && value?.cutoff === AT_CONTAINMENT;
    const instant = (field: "cutoff" | "expiresAt") => {
      const parsed = typeof value?.[field] === "string" ? parseInstant(value[field] as string) : undefined;
      if (!parsed)
        throw new Error(`${where}.${field}: expected an instant, found ${JSON.stringify(value?.[field] ?? null)}`);
      return formatInstant(parsed);
    };
    if (pending && value?.expiresAt !== null)
      throw new Error(
        `${where}.expiresAt: expected null while the containment instant is pending, found ${JSON.stringify(value?.expiresAt ?? null)}`,
      );
    const principals = value?.principals;
    if (
      !Array.isArray(principals) ||
      principals.some(
        (p) =>
          (p?.type !== "user" && p?.type !== "role") ||
          typeof p?.name !== "string" ||
          (p.account !== undefined && (typeof p.account !== "string" || !ACCOUNT_ID.test(p.account))),
      )
    ) {
      throw new Error(`${where}.principals: expected a list of { type: user | role, name, account }`);
    }
    const incidentAccount = value?.account;
    if (incidentAccount !== undefined && (typeof incidentAccount !== "string" || !ACCOUNT_ID.test(incidentAccount)))
      throw new Error(`${where}.account: expected an account id, found ${JSON.stringify(incidentAccount)}`);
    const accessKeys = value?.accessKeys;
    if (!Array.isArray(accessKeys) || accessKeys.some((k) => typeof k !== "string"))
      throw new Error(`${where}.accessKeys: expected a list of key ids`);
    const gone = value?.goneAccessKeys ?? [];
    if (!Array.isArray(gone) || gone.some((k) => typeof k !== "string"))
      throw new Error(`${where}.goneAccessKeys: expected a list of key ids`);
    if (!(MODES as unknown[]).includes(value?.mode))
      throw new Error(`${where}.mode: expected one of ${MODES.join(", ")}`);
    const organization = value?.organization ?? { scp: false, rcp: false };
    if (
      typeof organization !== "object" ||
      organization === null ||
      typeof organization.scp !== "boolean" ||
      typeof organization.rcp !== "boolean"
    )
      throw new Error(`${where}.organization: expected { scp, rcp }`);
    const identityCenterUsers = value?.identityCenterUsers ?? [];
    if (!Array.isArray(identityCenterUsers) || identityCenterUsers.some((u) => typeof u !== "string"))
      throw new Error(`${where}.identityCenterUsers: expected a list of user ids`);
    out[id] = {
      cutoff: pending ? AT_CONTAINMENT : instant("cutoff"),
      atContainment: value?.atContainment === true,
      expiresAt: pending ? null : instant("expiresAt"),
      mode: value!.mode as string,
      account: incidentAccount ?? account,
      principals: principals.map((p) => ({ type: p.type, name: p.name, account: p.account ?? account })),
      accessKeys,
      goneAccessKeys: gone,
      organization: { scp: organization.scp, rcp: organization.rcp },
      identityCenterUsers,
    };
  }
  return { account, incidents: out };
}

/** A cutoff a stack recorded for an at-containment incident, and the incident's keys when it did. */
export interface RecordedInstant {
  cutoff: string;
  /** The incident's key ids as the run that recorded it planned them (sorted); none in outputs that have none. */
  accessKeys: string[];
}

/** Per incident id. */
export type RecordedInstants = Record<string, RecordedInstant>;

/**
 * The cutoffs of the at-containment incidents whose instant is recorded (the instant plus the
 * propagation margin), with the keys they were recorded for, from `pulumi stack output --json`; a
 * pending one is left out. Throws with a plain message when the JSON is not what the program exports.
 */
export function containmentFromStackOutputs(json: unknown): RecordedInstants {
  const incidents = (json as { incidents?: unknown } | null)?.incidents;
  if (typeof incidents !== "object" || incidents === null || Array.isArray(incidents)) {
    throw new Error('expected the JSON of `pulumi stack output --json`, with an "incidents" object');
  }
  const instants: RecordedInstants = {};
  for (const [id, value] of Object.entries(incidents as Record<string, Partial<IncidentOutput>>)) {
    if (value?.atContainment !== true || value.cutoff === AT_CONTAINMENT) continue;
    const instant = typeof value.cutoff === "string" ? parseInstant(value.cutoff) : undefined;
    if (!instant)
      throw new Error(
        `incidents.${id}.cutoff: expected the recorded containment instant, found ${JSON.stringify(value.cutoff)}`,
      );
    const keys = Array.isArray(value.accessKeys) ? value.accessKeys.filter((k) => typeof k === "string") : [];
    instants[id] = { cutoff: formatInstant(instant), accessKeys: [...new Set(keys)].sort() };
  }
  return instants;
}

/** Whether an instant was recorded for exactly the keys the incident lists now. */
export function recordedForKeys(recordedKeys: readonly string[], incident: Pick<Incident, "users">): boolean {
  const now = incidentKeyIds(incident);
  const then = [...new Set(recordedKeys)].sort();
  return now.length === then.length && now.every((id, i) => id === then[i]);
}

/**
 * The recorded cutoffs that hold for `incidents` as their files are now: an instant recorded while
 * an incident had other keys is not its instant any more (a follow-up added a key: the next
 * pulumi up records a new, later one), so that incident is pending again until then. Instants of
 * incidents not given are left out.
 */
export function currentInstants(
  recorded: RecordedInstants,
  incidents: readonly Pick<Incident, "id" | "users">[],
): ContainmentInstants {
  const instants: ContainmentInstants = {};
  for (const incident of incidents) {
    const found = Object.hasOwn(recorded, incident.id) ? recorded[incident.id] : undefined;
    if (found !== undefined && recordedForKeys(found.accessKeys, incident)) instants[incident.id] = found.cutoff;
  }
  return instants;
}

/** What a run found in IAM, as its stack outputs recorded it: the facts `plan` and `verify` pass on to the plan. */
export interface RecordedFacts {
  /** Listed keys IAM no longer had (PlanOptions.goneAccessKeys). */
  goneAccessKeys: string[];
  /** Roles given the managed deny (PlanOptions.managedDenyRoles). */
  managedDenyRoles: string[];
  /** Users given the inline deny (PlanOptions.inlineDenyUsers). */
  inlineDenyUsers: string[];
}

/**
 * The facts of `pulumi stack output --json`. Outputs of an older program lack them: none known then.
 * Throws with a plain message when a field is there but is not what the program exports.
 */
export function factsFromStackOutputs(json: unknown): RecordedFacts {
  const outputs = (json ?? {}) as {
    incidents?: Record<string, { goneAccessKeys?: unknown }>;
    rolesWithManagedDeny?: unknown;
    usersWithInlineDeny?: unknown;
  };
  const strings = (value: unknown, field: string): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
      throw new Error(`${field}: expected a list of names, found ${JSON.stringify(value)}`);
    return value;
  };
  const incidents = typeof outputs.incidents === "object" && outputs.incidents !== null ? outputs.incidents : {};
  return {
    goneAccessKeys: [
      ...new Set(
        Object.entries(incidents).flatMap(([id, value]) =>
          strings(value?.goneAccessKeys, `incidents.${id}.goneAccessKeys`),
        ),
      ),
    ].sort(),
    managedDenyRoles: strings(outputs.rolesWithManagedDeny, "rolesWithManagedDeny"),
    inlineDenyUsers: strings(outputs.usersWithInlineDeny, "usersWithInlineDeny"),
  };
}

/**
 * What the stacks recorded of the incidents that list `accessKeyId`, from `pulumi stack output
 * --json` of each: the effective cutoff (the latest, the one the deny uses) and the instant the key
 * was contained (the earliest recorded: the key was dead from then on); null where none is
 * recorded. `review` marks both on its timeline. Throws with a plain message when the JSON is not
 * what the program exports.
 */
export function keyInstantsFromStackOutputs(
  outputs: readonly unknown[],
  accessKeyId: string,
): { cutoff: string | null; containedAt: string | null } {
  let cutoff: number | null = null;
  let containedAt: number | null = null;
  for (const json of outputs) {
    const { incidents } = appliedState(json);
    for (const [id, incident] of Object.entries(incidents)) {
      if (!incident.accessKeys.includes(accessKeyId)) continue;
      if (incident.cutoff !== AT_CONTAINMENT) cutoff = Math.max(cutoff ?? -Infinity, Date.parse(incident.cutoff));
      const recorded = (json as { incidents: Record<string, { containedAt?: unknown }> }).incidents[id]?.containedAt;
      if (recorded === undefined) continue;
      const instant = typeof recorded === "string" ? parseInstant(recorded) : undefined;
      if (instant === undefined)
        throw new Error(
          `incidents.${id}.containedAt: expected the recorded containment instant, found ${JSON.stringify(recorded)}`,
        );
      containedAt = Math.min(containedAt ?? Infinity, instant.getTime());
    }
  }
  const iso = (ms: number | null) => (ms === null ? null : formatInstant(new Date(ms)));
  return { cutoff: iso(cutoff), containedAt: iso(containedAt) };
}
