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
  users: { name: string; account: string; accessKeys: string[] }[];
  /** `account` is the role's own, the incident's `account` unless the entry names another. */
  roles: { name: string; account: string }[];
  organization: OrganizationGuardrails;
  /**
   * IAM Identity Center users, by their identity store user id: the SCP denies their sessions
   * (`identitystore:userId`), the only way to reach them (cordon cannot edit their roles).
   * @see https://docs.aws.amazon.com/singlesignon/latest/userguide/prereqs-revoking-user-permissions.html
   */
  identityCenterUsers: { userId: string }[];
  replacementRoles: ReplacementRoleSpec[];
  ticket?: string;
  owner?: string;
}

/** An incident file's text, as the loader receives it. */
export interface SourceFile {
  /** As shown in errors: relative to the working directory. */
  path: string;
  text: string;
}
