/**
 * What the program reads from IAM before it declares anything, besides the provider's invokes:
 * the facts that decide whether `pulumi up` could fail where `pulumi preview` cannot see it (a key
 * deleted by hand, a replacement role whose name is taken, a principal without room for cordon's
 * policy). aws/deploy.ts answers it with the AWS SDK and its default credential chain, as the
 * provider finds its credentials; the tests answer it from moto or from a table.
 */
import type { CredentialIam } from "./credentials.ts";

/** A role as IAM has it: what decides whether cordon may create it, and where its deny fits. */
export interface RoleState {
  /** The role's name as IAM spells it. */
  name: string;
  /** Its IAM path, such as `/` or `/cordon/`. */
  path: string;
  tags: Record<string, string>;
  /** Its inline policies: name → document text (decoded JSON, as IAM counts its size). */
  inlinePolicies: Record<string, string>;
  /** ARNs of the managed policies attached to it. */
  attachedPolicies: string[];
}

/**
 * The account's IAM quotas that cordon's policies count against, from `GetAccountSummary`: they
 * can be raised per account, so they are read, never assumed.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html
 */
export interface IamQuotas {
  /** `AttachedPoliciesPerUserQuota` (10 by default). */
  attachedPoliciesPerUser: number;
  /** `AttachedPoliciesPerRoleQuota` (10 by default). */
  attachedPoliciesPerRole: number;
  /** `RolePolicySizeQuota`: all of a role's inline policies together, white space not counted (10,240 by default). */
  rolePolicySize: number;
  /** `UserPolicySizeQuota`: all of a user's inline policies together, white space not counted (2,048 by default). */
  userPolicySize: number;
}

/** An access key as IAM lists it under its user. */
export interface ListedKey {
  accessKeyId: string;
  /** `Active` or `Inactive`. */
  status: string;
}

/**
 * What the program asks of IAM, and the two acts it does itself (CredentialIam: every credential of
 * a compromised user listed, a console password deleted, an MFA device deactivated, at `up` only).
 */
export interface DeployIam extends CredentialIam {
  /** The account of the credentials the SDK found. */
  account(): Promise<string>;
  /**
   * The access keys IAM lists under a user (`ListAccessKeys`), or null when IAM has no user of that
   * name (deleted by hand, or renamed: program/checks.ts, userIdentities, tells which).
   */
  accessKeys(user: string): Promise<ListedKey[] | null>;
  /**
   * The user that owns an access key, as IAM's `GetAccessKeyLastUsed` names it; null when IAM
   * answers that there is no such key (NoSuchEntity). Any other failure is thrown.
   */
  keyOwner(accessKeyId: string): Promise<string | null>;
  /**
   * IAM's id of the user of that name (`GetUser`'s UserId, AIDA…), or null when IAM has no user of
   * that name. IAM keeps the id when the user is renamed, and never gives it to another user.
   */
  userId(name: string): Promise<string | null>;
  /** The name of the user IAM has with that UserId (`ListUsers`, read once), or null when it has none. */
  userNamed(userId: string): Promise<string | null>;
  /** The role, or null when IAM has no role of that name. */
  role(name: string): Promise<RoleState | null>;
  /** ARNs of the managed policies attached to the user, or null when IAM has no user of that name. */
  userAttachedPolicies(name: string): Promise<string[] | null>;
  /**
   * The user's inline policies: name → document text (decoded JSON, as IAM counts its size); null
   * when IAM has no user of that name.
   */
  userInlinePolicies(name: string): Promise<Record<string, string> | null>;
  quotas(): Promise<IamQuotas>;
  /**
   * The customer managed policy IAM has at `arn` (`GetPolicy`): its `PolicyId`, which IAM makes up
   * at creation and never gives another policy, or null when there is none. Whoever can write IAM
   * can create a policy at any name, so only the id says whether the policy is the one this stack
   * created.
   */
  managedPolicy(arn: string): Promise<ManagedPolicyState | null>;
}

/** A customer managed policy as IAM has it. */
export interface ManagedPolicyState {
  /** IAM's unique id of the policy (`ANPA…`): a policy created again under the same name gets another. */
  policyId: string;
}
