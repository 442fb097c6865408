/**
 * The incident file format, as users write it and as cordon reads it after validation.
 * The shape is defined once, in schema/incident.schema.json; these types mirror it.
 */

export type Mode = "revoke-older-sessions" | "deny-all";

/** The cutoff value that defers the instant to containment (issue: the cutoff gap). */
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

/** One problem in one file, located for editors and CI annotations. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`;
}
