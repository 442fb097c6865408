/**
 * The incident file format, as users write it and as cordon reads it after validation.
 * The shape is defined once, in schema/incident.schema.json; these types mirror it.
 */
export type Mode = "revoke-older-sessions" | "deny-all";

/**
 * The cutoff value that defers the instant to containment: the instant `pulumi up` disables the
 * incident's keys, recorded once.
 * @see ../docs/lifecycle.md#why-cutoff-at-containment
 */
export const AT_CONTAINMENT = "at-containment";

export interface GithubOidcTrust {
  repository: string;
  ref?: string;
  environment?: string;
}

export type Trust = { service: string } | { githubOidc: GithubOidcTrust } | { principals: string[] };

export interface ReplacementRoleSpec {
  name: string;
  trust: Trust;
  /** @default [] */
  managedPolicyArns: string[];
  /** @default {} */
  inlinePolicies: Record<string, unknown>;
  /**
   * @default 3600
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html
   */
  maxSessionDuration: number;
}

/**
 * Which organization guardrails an incident asks for. Declared by the stack configured with
 * `cordon:organization` (the management account's, or a delegated administrator's), one SCP set and
 * one RCP set for every active incident that asks.
 * @default { scp: false, rcp: false }
 * @see ../docs/organization.md
 */
export interface OrganizationGuardrails {
  /** A service control policy denying every action to the incident's principals (member accounts only). */
  scp: boolean;
  /** A resource control policy denying `sts:AssumeRole*` and S3, KMS, SQS and Secrets Manager to them. */
  rcp: boolean;
}

/**
 * The credentials of a compromised user that keep working, by id: every other credential IAM lists
 * for the user is set Inactive on every run (never deleted), as AWS's runbook
 * AWSSupport-ContainIAMPrincipal does. The console password cannot be disabled, only deleted: it
 * is deleted unless `consolePassword` is true, and is then lost (a new one can be set).
 * @default nothing kept
 * @see https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/awssupport-contain-iam-principal.html
 */
export interface KeptCredentials {
  accessKeys: string[];
  serviceSpecificCredentials: string[];
  sshPublicKeys: string[];
  signingCertificates: string[];
  /** @default false: the login profile is deleted (DeleteLoginProfile). */
  consolePassword: boolean;
}

/** A user of an incident: its exposed keys, and what of its other credentials it keeps. */
export interface IncidentUser {
  name: string;
  /** The user's own account: the incident's unless the entry names another. */
  account: string;
  /** The exposed keys: each is disabled, never deleted. */
  accessKeys: string[];
  /** What keeps working; the loader always sets it. @default nothing */
  keep?: KeptCredentials;
  /**
   * MFA devices to deactivate, by serial number (an attacker's device). Never deleted.
   * @default [] (MFA devices registered after the cutoff are reported, not deactivated)
   */
  deactivateMfaDevices?: string[];
}

/**
 * The root user of an account. A member account's root user is restrained by the organization's
 * SCP only (IAM policies never apply to it); its access keys can be deleted (never disabled) by
 * the management account's centralized root access, a separate choice because it cannot be undone.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user-privileged-task.html
 */
export interface RootUser {
  account: string;
  /** Delete the root user's access keys (sts:AssumeRoot, IAMDeleteRootUserCredentials). @default false */
  deleteAccessKeys: boolean;
}

/** A validated incident. Instants are normalised to UTC ISO strings (`2026-11-28T10:00:00Z`). */
export interface Incident {
  id: string;
  /** The file it came from, as the user named it (relative to the working directory). */
  file: string;
  title: string;
  account: string;
  /** A UTC instant, or `at-containment`. */
  cutoff: string;
  /** @default "revoke-older-sessions" */
  mode: Mode;
  holdUntil?: string;
  /** `account` is the user's own, the incident's `account` unless the entry names another. */
  users: IncidentUser[];
  /** `account` is the role's own, the incident's `account` unless the entry names another. */
  roles: { name: string; account: string }[];
  organization: OrganizationGuardrails;
  /**
   * IAM Identity Center users, by their identity store user id: the SCP denies their sessions
   * (`identitystore:userId`), the only way to reach them (cordon cannot edit their roles).
   * @see https://docs.aws.amazon.com/singlesignon/latest/userguide/prereqs-revoking-user-permissions.html
   */
  identityCenterUsers: { userId: string }[];
  /** Root users the organization's SCP denies; the loader always sets it. @default [] */
  rootUsers?: RootUser[];
  replacementRoles: ReplacementRoleSpec[];
  ticket?: string;
  owner?: string;
}

/** Nothing kept: what a user without `keep:` keeps. */
export const NOTHING_KEPT: Readonly<KeptCredentials> = Object.freeze({
  accessKeys: [],
  serviceSpecificCredentials: [],
  sshPublicKeys: [],
  signingCertificates: [],
  consolePassword: false,
});

/** What a user keeps ({@link NOTHING_KEPT} when the entry says nothing). */
export function keptBy(user: Pick<IncidentUser, "keep">): KeptCredentials {
  return user.keep ?? NOTHING_KEPT;
}

/** An incident file's text, as the loader receives it. */
export interface SourceFile {
  /** As shown in errors: relative to the working directory. */
  path: string;
  text: string;
}
