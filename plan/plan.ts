/**
 * The plan: validated incidents in, everything `pulumi up` must declare out. Pure and
 * deterministic: no Pulumi, no AWS SDK, no clock, no file system; the same incidents give a
 * byte-identical plan whatever their order.
 */
import { computeExpiry } from "../incident/expiry.ts";
import { byKey, compareText } from "../incident/order.ts";
import { AT_CONTAINMENT, type Incident, type Mode } from "../incident/types.ts";
import { denyDocument, recordedFor, trustPolicy, type PolicyDocument } from "./policies.ts";

export type PrincipalType = "user" | "role";

export interface PlannedIncident {
  id: string;
  file: string;
  account: string;
  mode: Mode;
  /** A UTC instant, or `at-containment` until `pulumi up` records the instant. */
  cutoff: string;
  /** When the file may be removed; null while an at-containment instant is not recorded yet. */
  expiresAt: string | null;
  /** True when the file says `cutoff: at-containment`. */
  atContainment: boolean;
  /** True when the cutoff is at-containment and its instant is not known to this plan. */
  cutoffPending: boolean;
  holdUntil: string | null;
  principals: { type: PrincipalType; name: string }[];
  accessKeys: string[];
  replacementRoles: string[];
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
   * busy user may have used up. Roles get an inline policy, as the console's "Revoke active sessions" does.
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
   */
  attachment: "managed" | "inline";
  /** The IAM policy name. */
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

export interface ReplacementRolePlan {
  account: string;
  name: string;
  incident: string;
  assumeRolePolicy: PolicyDocument;
  managedPolicyArns: string[];
  inlinePolicies: Record<string, unknown>;
  maxSessionDuration: number;
  /** Replacement roles are the new permanent access path: removing the incident keeps them. */
  retainOnDelete: true;
  resourceName: string;
}

/** An instant recorded by `pulumi up` for one at-containment incident (from the stack outputs). */
export type ContainmentInstants = Record<string, string>;

export interface Plan {
  incidents: PlannedIncident[];
  denyPolicies: DenyPolicy[];
  accessKeys: AccessKeyPlan[];
  replacementRoles: ReplacementRolePlan[];
}

export interface PlanOptions {
  /** Only incidents of this account (a stack deploys one account). */
  account?: string;
  /** Recorded containment instants by incident id, when known (stack outputs). */
  containment?: ContainmentInstants;
}

export const USER_POLICY_PREFIX = "cordon-revoke-sessions-";
export const ROLE_POLICY_NAME = "cordon-revoke-sessions";
/** The IAM path of cordon's managed policies, so that they are easy to find and to grant on. */
export const POLICY_PATH = "/cordon/";

export function buildPlan(all: Incident[], options: PlanOptions = {}): Plan {
  const incidents = all.filter((incident) => options.account === undefined || incident.account === options.account).sort(byKey((i) => i.id));
  const containment = options.containment ?? {};

  const principals = new Map<string, { account: string; type: PrincipalType; name: string; incidents: Incident[] }>();
  const keys = new Map<string, AccessKeyPlan>();
  for (const incident of incidents) {
    const add = (type: PrincipalType, name: string) => {
      // IAM names are case-insensitive: one principal, one policy, whatever the spelling.
      const key = `${incident.account}\u0000${type}\u0000${name.toLowerCase()}`;
      const entry = principals.get(key) ?? { account: incident.account, type, name, incidents: [] };
      entry.incidents.push(incident);
      principals.set(key, entry);
    };
    for (const user of incident.users) {
      add("user", user.name);
      for (const accessKeyId of user.accessKeys) {
        const key = `${incident.account}\u0000${accessKeyId}`;
        const entry = keys.get(key) ?? {
          account: incident.account,
          user: user.name,
          accessKeyId,
          status: "Inactive" as const,
          incidents: [],
          resourceName: `${incident.account}-${user.name}-${accessKeyId}`,
        };
        entry.incidents.push(incident.id);
        keys.set(key, entry);
      }
    }
    for (const role of incident.roles) add("role", role.name);
  }

  const denyPolicies = [...principals.values()].map((p): DenyPolicy => {
    const { document, mode, pendingContainment } = denyDocument(p.incidents, containment);
    return {
      account: p.account,
      principal: { type: p.type, name: p.name },
      incidents: p.incidents.map((i) => i.id).sort(),
      mode,
      document,
      pendingContainment,
      attachment: p.type === "user" ? "managed" : "inline",
      policyName: p.type === "user" ? `${USER_POLICY_PREFIX}${p.name}` : ROLE_POLICY_NAME,
      resourceName: `${p.account}-${p.type}-${p.name}`,
    };
  });

  const replacementRoles = incidents.flatMap((incident) =>
    incident.replacementRoles.map(
      (role): ReplacementRolePlan => ({
        account: incident.account,
        name: role.name,
        incident: incident.id,
        assumeRolePolicy: trustPolicy(role.trust, incident.account),
        managedPolicyArns: [...role.managedPolicyArns].sort(),
        inlinePolicies: sortKeys(role.inlinePolicies),
        maxSessionDuration: role.maxSessionDuration,
        retainOnDelete: true,
        resourceName: `${incident.account}-${role.name}`,
      }),
    ),
  );

  return {
    incidents: incidents.map((incident) => plannedIncident(incident, recordedFor(containment, incident.id))),
    denyPolicies: denyPolicies.sort(byKey((d) => `${d.account}/${d.principal.type}/${d.principal.name}`)),
    accessKeys: [...keys.values()].map((k) => ({ ...k, incidents: k.incidents.sort() })).sort(byKey((k) => `${k.account}/${k.user}/${k.accessKeyId}`)),
    replacementRoles: replacementRoles.sort(byKey((r) => `${r.account}/${r.name}`)),
  };
}

function plannedIncident(incident: Incident, containedAt: string | undefined): PlannedIncident {
  const pending = incident.cutoff === AT_CONTAINMENT && containedAt === undefined;
  return {
    id: incident.id,
    file: incident.file,
    account: incident.account,
    mode: incident.mode,
    cutoff: incident.cutoff === AT_CONTAINMENT && containedAt !== undefined ? containedAt : incident.cutoff,
    expiresAt: computeExpiry(incident, containedAt),
    atContainment: incident.cutoff === AT_CONTAINMENT,
    cutoffPending: pending,
    holdUntil: incident.holdUntil ?? null,
    principals: [
      ...incident.users.map((u) => ({ type: "user" as const, name: u.name })),
      ...incident.roles.map((r) => ({ type: "role" as const, name: r.name })),
    ].sort(byKey((p) => `${p.type}/${p.name}`)),
    accessKeys: incident.users.flatMap((u) => u.accessKeys).sort(),
    replacementRoles: incident.replacementRoles.map((r) => r.name).sort(),
  };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}
