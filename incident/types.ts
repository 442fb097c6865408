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
  users: { name: string; accessKeys: string[] }[];
  roles: { name: string }[];
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
