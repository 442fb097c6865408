/**
 * The roles a user can assume: the roles cordon's incident should also name, because a session of
 * a role the key assumed outlives the key. Pure: the user's policies and the account's roles in,
 * role ARNs out.
 *
 * Same account, IAM allows `sts:AssumeRole` when the role's trust policy names the user itself, or
 * when it trusts the account and the user's own policies allow the call on the role.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 */
import { coversAction, coversResource, list } from "../plan/policy-grammar.ts";
import type { PolicyDocument, PolicyStatement } from "../plan/policies.ts";
import type { SourcedPolicy } from "./risk.ts";

export interface RoleTrust {
  arn: string;
  /** The role's trust policy (AssumeRolePolicyDocument). */
  trust: PolicyDocument;
}

export interface AssumableRoles {
  /** Roles of this account the user can assume, sorted. */
  roles: string[];
  /**
   * Resource patterns of the user's policies that reach beyond this account (`*`,
   * `arn:aws:iam::*:role/deploy`, another account's role): roles there trust whom they like, which
   * this account cannot see. Sorted.
   */
  otherAccounts: string[];
}

const ASSUME_ROLE = "sts:AssumeRole";

export function assumableRoles(
  policies: SourcedPolicy[],
  boundary: PolicyDocument | undefined,
  roles: RoleTrust[],
  user: { arn: string; account: string },
): AssumableRoles {
  const identity = policies.flatMap((p) => p.document.Statement);
  const applies = (s: PolicyStatement) => coversAction(s, ASSUME_ROLE);
  const allows = (set: PolicyStatement[], arn: string) =>
    set.some((s) => s.Effect === "Allow" && applies(s) && coversResource(s, arn));
  const denied = (arn: string) =>
    [...identity, ...(boundary ? boundary.Statement : [])].some(
      (s) => s.Effect === "Deny" && s.Condition === undefined && applies(s) && coversResource(s, arn),
    );
  const withinBoundary = (arn: string) => !boundary || allows(boundary.Statement, arn);

  const reachable = roles
    .filter((role) => {
      if (denied(role.arn) || !withinBoundary(role.arn)) return false;
      const trust = trustOf(role.trust, user);
      return trust === "user" || (trust === "account" && allows(identity, role.arn));
    })
    .map((role) => role.arn);

  const otherAccounts = identity
    .filter((s) => s.Effect === "Allow" && applies(s))
    .flatMap((s) => (s.NotResource !== undefined ? ["*"] : list(s.Resource)))
    .filter((pattern) => pattern === "*" || pattern.split(":")[4] !== user.account);

  return { roles: [...new Set(reachable)].sort(), otherAccounts: [...new Set(otherAccounts)].sort() };
}

/** Whom a trust policy lets assume the role: the user itself, anyone in its account, or neither. */
function trustOf(trust: PolicyDocument, user: { arn: string; account: string }): "user" | "account" | "none" {
  let result: "user" | "account" | "none" = "none";
  for (const s of trust.Statement) {
    if (s.Effect !== "Allow" || !coversAction(s, ASSUME_ROLE) || s.Principal === undefined) continue;
    const principals = s.Principal === "*" ? ["*"] : list(s.Principal.AWS);
    // `*` trusts every principal, like naming the user: the trust alone lets it in.
    if (principals.some((p) => p === "*" || p === user.arn)) return "user";
    if (principals.some((p) => p === user.account || p === `arn:aws:iam::${user.account}:root`)) result = "account";
  }
  return result;
}
