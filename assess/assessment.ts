/**
 * `assess`: everything a responder learns about an exposed key's user before writing the incident.
 * Pure: the facts read from IAM in, the assessment (the `--json` contract, docs/assess-verify.md) out.
 */
import { assumableRoles, type RoleChain, type RoleTrust } from "./assumable.ts";
import { compareText } from "../incident/order.ts";
import { policySize } from "../plan/policies.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { credentialPlan, QUARANTINE_POLICY, type UserCredentialPlan, type UserListing } from "../plan/credentials.ts";
import { classifyRisk, containmentOrder, type ContainmentOrder, type Risk, type SourcedPolicy } from "./risk.ts";

/**
 * A user's inline policies share one size budget, white space not counted.
 * @default 2048
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
export const USER_INLINE_CHARACTERS = 2048;
/**
 * Managed policies attached to one user: the default quota, which Service Quotas can raise (up to 20).
 * @default 10
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entities
 */
export const USER_MANAGED_ATTACHMENTS_DEFAULT = 10;

export { QUARANTINE_POLICY } from "../plan/credentials.ts";

export interface AccessKeyFacts {
  accessKeyId: string;
  status: string;
  createdAt: string | null;
  lastUsed: string | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
}

/** What the thin AWS reader gathers about one user (see aws/iam.ts). */
export interface UserFacts {
  account: string;
  user: { name: string; arn: string };
  groups: string[];
  /** The user's and its groups' policies, with their documents. */
  policies: SourcedPolicy[];
  /** The JSON texts of the user's own inline policies: what counts against its inline budget. */
  userInlineTexts: string[];
  permissionsBoundary: { arn: string; document: PolicyDocument } | null;
  accessKeys: AccessKeyFacts[];
  consolePassword: boolean;
  mfaDevices: string[];
  roles: RoleTrust[];
  /** The key `assess --access-key` started from. */
  exposedKey: string | null;
  /** Every credential IAM lists for the user (aws/credentials.ts). */
  listing?: UserListing;
}

export interface Assessment {
  account: string;
  user: string;
  userArn: string;
  groups: string[];
  /** Managed policies attached to the user or to its groups, by name. */
  attachedPolicies: string[];
  /** Inline policies of the user and of its groups, by name. */
  inlinePolicies: string[];
  /** Each policy and how it reaches the user. */
  policies: {
    name: string;
    type: "managed" | "inline";
    arn: string | null;
    through: { type: "user" | "group"; name: string };
  }[];
  permissionsBoundary: string | null;
  accessKeys: (AccessKeyFacts & { exposed: boolean })[];
  consolePassword: boolean;
  mfaDevices: string[];
  quarantined: boolean;
  quarantinePolicies: string[];
  /** Roles of this account the user can assume, directly or through other roles. */
  assumableRoles: string[];
  /** For the roles of `assumableRoles` reached through other roles: the shortest chain (`via`, the user's first). */
  assumableRoleChains: RoleChain[];
  /**
   * Roles that trust the account, reachable from a role of `assumableRoles` if that role's own
   * policies (not read) allow `sts:AssumeRole` on them: `via` ends with the role whose policies decide.
   */
  mayAssumeRoles: RoleChain[];
  /** Patterns of its policies that reach roles in other accounts (whose trust this account cannot see). */
  assumableRolesInOtherAccounts: string[];
  risk: Risk;
  containmentOrder: ContainmentOrder;
  room: Room;
  /**
   * Every credential of the user and its fate in a new incident that keeps nothing (what `new`
   * writes): the exposed key and every other credential set Inactive, the console password deleted.
   * Null when the listing was not read.
   */
  credentials: UserCredentialPlan | null;
}

/** Room left for cordon's deny policy on the user. */
export interface Room {
  inlineCharactersUsed: number;
  inlineCharactersLeft: number;
  inlineCharactersQuota: number;
  managedAttachmentsUsed: number;
  managedAttachmentsLeft: number;
  /** The default quota: an account may have raised it. */
  managedAttachmentsQuota: number;
}

export function assess(facts: UserFacts): Assessment {
  const sorted = [...facts.policies].sort((a, b) => compareText(key(a), key(b)));
  const own = sorted.filter((p) => p.source.through.type === "user");
  const quarantinePolicies = own
    .filter((p) => p.source.type === "managed" && QUARANTINE_POLICY.test(p.source.name))
    .map((p) => p.source.name);
  const risk = classifyRisk(facts.policies, facts.permissionsBoundary?.document);
  const roles = assumableRoles(facts.policies, facts.permissionsBoundary?.document, facts.roles, {
    arn: facts.user.arn,
    account: facts.account,
  });
  const inlineUsed = facts.userInlineTexts.reduce((sum, text) => sum + policySize(text), 0);
  const managedUsed = own.filter((p) => p.source.type === "managed").length;
  return {
    account: facts.account,
    user: facts.user.name,
    userArn: facts.user.arn,
    groups: [...facts.groups].sort(),
    attachedPolicies: unique(sorted.filter((p) => p.source.type === "managed").map((p) => p.source.name)),
    inlinePolicies: unique(sorted.filter((p) => p.source.type === "inline").map((p) => p.source.name)),
    policies: sorted.map(({ source }) => ({
      name: source.name,
      type: source.type,
      arn: source.arn ?? null,
      through: source.through,
    })),
    permissionsBoundary: facts.permissionsBoundary?.arn ?? null,
    accessKeys: [...facts.accessKeys]
      .sort((a, b) => compareText(a.accessKeyId, b.accessKeyId))
      .map((k) => ({ ...k, exposed: k.accessKeyId === facts.exposedKey })),
    consolePassword: facts.consolePassword,
    mfaDevices: [...facts.mfaDevices].sort(),
    quarantined: quarantinePolicies.length > 0,
    quarantinePolicies,
    assumableRoles: roles.roles,
    assumableRoleChains: roles.chains,
    mayAssumeRoles: roles.mayAssume,
    assumableRolesInOtherAccounts: roles.otherAccounts,
    risk,
    containmentOrder: containmentOrder(risk, roles, facts.accessKeys),
    credentials:
      facts.listing === undefined
        ? null
        : (credentialPlan([asNewIncident(facts)], { listings: [facts.listing] }).users[0] ?? null),
    room: {
      inlineCharactersUsed: inlineUsed,
      inlineCharactersLeft: Math.max(0, USER_INLINE_CHARACTERS - inlineUsed),
      inlineCharactersQuota: USER_INLINE_CHARACTERS,
      managedAttachmentsUsed: managedUsed,
      managedAttachmentsLeft: Math.max(0, USER_MANAGED_ATTACHMENTS_DEFAULT - managedUsed),
      managedAttachmentsQuota: USER_MANAGED_ATTACHMENTS_DEFAULT,
    },
  };
}

/** The incident `new --access-key` would write for this user: its exposed key, nothing kept. */
function asNewIncident(facts: UserFacts) {
  return {
    id: "assess",
    file: "assess",
    title: "assess",
    account: facts.account,
    cutoff: "at-containment",
    mode: "revoke-older-sessions" as const,
    users: [
      {
        name: facts.user.name,
        account: facts.account,
        accessKeys: facts.exposedKey === null ? [] : [facts.exposedKey],
      },
    ],
    roles: [],
    organization: { scp: false, rcp: false },
    identityCenterUsers: [],
    replacementRoles: [],
  };
}

/** The user's own policies first, then each group's; attached before inline, as the console lists them. */
function key(p: SourcedPolicy): string {
  return `${p.source.through.type === "user" ? 0 : 1}\u0000${p.source.through.name}\u0000${p.source.type === "managed" ? 0 : 1}\u0000${p.source.name}`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
