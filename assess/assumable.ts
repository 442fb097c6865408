/**
 * The roles a user can assume, directly or through other roles: the roles cordon's incident should
 * also name, because a session of a role the key assumed outlives the key. Pure: the user's
 * policies and the account's roles (their trust policies, as ListRoles gives them) in, role ARNs
 * out; no role's own policies are read.
 *
 * Same account, IAM allows `sts:AssumeRole` when the role's trust policy names the caller itself
 * (the user's ARN, a role's ARN for that role's sessions, a session's ARN, or `*`): the trust
 * alone lets it in, and an implicit deny of the user's permissions boundary does not stop it. When
 * the trust names only the account, the caller's identity policies must allow the call too, within
 * its boundary.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 */
import { compareText } from "../incident/order.ts";
import { coversAction, coversResource, list } from "../plan/policy-grammar.ts";
import type { PolicyDocument, PolicyStatement } from "../plan/policies.ts";
import type { SourcedPolicy } from "./risk.ts";

export interface RoleTrust {
  arn: string;
  /** The role's trust policy (AssumeRolePolicyDocument). */
  trust: PolicyDocument;
}

/** A role reached through others: `via` are the roles assumed before it, the user's first. */
export interface RoleChain {
  role: string;
  via: string[];
}

export interface AssumableRoles {
  /** Roles of this account the user can assume, directly or through a chain of roles, sorted. */
  roles: string[];
  /** For each role of `roles` reached only through other roles, the shortest chain; sorted by role. */
  chains: RoleChain[];
  /**
   * Roles whose trust admits only the account (or a role of this list) after a role of `roles`:
   * reachable if that role's own policies allow `sts:AssumeRole` on them, which assess does not
   * read. `via` ends with the role whose policies decide. Sorted by role.
   */
  mayAssume: RoleChain[];
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

  const sorted = [...roles].sort((a, b) => compareText(a.arn, b.arn));
  const trusts = new Map(sorted.map((role) => [role.arn, trustOf(role.trust, user.account)]));
  const first = sorted
    .filter((role) => {
      const trust = trusts.get(role.arn) as Trust;
      if (denied(role.arn)) return false;
      // Named in the trust itself: the boundary's implicit deny does not apply (the evaluator agrees).
      if (trust.anyone || trust.names.has(user.arn)) return true;
      return trust.account && withinBoundary(role.arn) && allows(identity, role.arn);
    })
    .map((role) => role.arn);

  const { reached, maybe } = closure(sorted, trusts, first, user.account);
  // Another account's role needs the user's Allow, within its boundary, whatever its trust says:
  // a boundary that allows no sts:AssumeRole, or a Deny of it everywhere, leaves no pattern. A Deny
  // by NotResource ("every role but deploy") denies everywhere but what it names: never everywhere.
  const anywhere = "arn:aws:iam::*:role/*";
  const deniedEverywhere = [...identity, ...(boundary ? boundary.Statement : [])].some(
    (s) =>
      s.Effect === "Deny" &&
      s.Condition === undefined &&
      s.NotResource === undefined &&
      applies(s) &&
      coversResource(s, anywhere),
  );
  const crossAccount =
    (!boundary || boundary.Statement.some((s) => s.Effect === "Allow" && applies(s))) && !deniedEverywhere;
  const otherAccounts = identity
    .filter((s) => crossAccount && s.Effect === "Allow" && applies(s))
    .flatMap((s) => (s.NotResource !== undefined ? ["*"] : list(s.Resource)))
    .filter((pattern) => pattern === "*" || pattern.split(":")[4] !== user.account);

  const byRole = (a: RoleChain, b: RoleChain) => compareText(a.role, b.role);
  return {
    roles: [...reached.keys()].sort(compareText),
    chains: [...reached.entries()]
      .filter(([, via]) => via.length > 0)
      .map(([role, via]) => ({ role, via }))
      .sort(byRole),
    mayAssume: [...maybe.entries()].map(([role, via]) => ({ role, via })).sort(byRole),
    otherAccounts: [...new Set(otherAccounts)].sort(),
  };
}

/**
 * Role to role, over the trust policies already read: breadth first, so each role gets its
 * shortest chain, and each role is visited once, so cycles end and the work grows with the number
 * of roles and trust edges, never with the number of paths. A role whose trust names a reached
 * role's ARN or a session of it is reached; a role whose trust admits only the account may be,
 * if the policies of a reached role allow it (those are not read, so it is only "may").
 */
function closure(
  roles: RoleTrust[],
  trusts: Map<string, Trust>,
  first: string[],
  account: string,
): { reached: Map<string, string[]>; maybe: Map<string, string[]> } {
  // Which roles each principal ARN is named by: a reached role is looked up, never every role scanned.
  const namedBy = new Map<string, string[]>();
  for (const role of roles)
    for (const name of (trusts.get(role.arn) as Trust).names)
      namedBy.set(name, [...(namedBy.get(name) ?? []), role.arn]);
  const sessionPrefix = `arn:aws:sts::${account}:assumed-role/`;
  const sessionsOf = new Map<string, string[]>();
  for (const name of namedBy.keys()) {
    if (!name.startsWith(sessionPrefix)) continue;
    const roleName = name.slice(sessionPrefix.length).split("/")[0];
    sessionsOf.set(roleName, [...(sessionsOf.get(roleName) ?? []), name]);
  }
  // `*` admits every session too, even of a role the user's own policies may not assume.
  const anyone = roles.filter((role) => (trusts.get(role.arn) as Trust).anyone).map((role) => role.arn);
  const admitting = (arn: string) => {
    // A session's ARN carries the role's name without its path.
    const roleName = arn.split("/").at(-1) as string;
    return [...[arn, ...(sessionsOf.get(roleName) ?? [])].flatMap((name) => namedBy.get(name) ?? []), ...anyone];
  };

  const walk = (start: [string, string[]][], seen: Set<string>) => {
    const found = new Map<string, string[]>(start);
    const queue = [...start];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [arn, via] = next;
      for (const role of admitting(arn)) {
        if (found.has(role) || seen.has(role)) continue;
        found.set(role, [...via, arn]);
        queue.push([role, [...via, arn]]);
      }
    }
    return found;
  };

  const reached = walk(
    first.map((arn) => [arn, []]),
    new Set(),
  );
  // Each role trusting the account, once a role is reached, through the first reached role (by
  // chain length, then name); then whatever trusts those by ARN.
  const [deciding] = [...reached.entries()].sort(
    ([a, viaA], [b, viaB]) => viaA.length - viaB.length || compareText(a, b),
  );
  const accountTrusting: [string, string[]][] =
    deciding === undefined
      ? []
      : roles
          .filter((role) => !reached.has(role.arn) && (trusts.get(role.arn) as Trust).account)
          .map((role) => [role.arn, [...deciding[1], deciding[0]]]);
  const maybe = walk(accountTrusting, new Set(reached.keys()));
  return { reached, maybe };
}

interface Trust {
  /** `*`: every principal, the user and every session included. */
  anyone: boolean;
  /** The account itself (`123456789012` or its root ARN): the caller's own policies decide. */
  account: boolean;
  /** Principal ARNs named by the trust: users, roles, role sessions. */
  names: Set<string>;
}

/** Whom a trust policy lets assume the role. Conditions are not evaluated: an Allow with one counts. */
function trustOf(trust: PolicyDocument, account: string): Trust {
  const result: Trust = { anyone: false, account: false, names: new Set() };
  for (const s of trust.Statement) {
    if (s.Effect !== "Allow" || !coversAction(s, ASSUME_ROLE) || s.Principal === undefined) continue;
    for (const p of s.Principal === "*" ? ["*"] : list(s.Principal.AWS)) {
      if (p === "*") result.anyone = true;
      else if (p === account || p === `arn:aws:iam::${account}:root`) result.account = true;
      // IAM takes no wildcard inside a principal's ARN: such a name admits no one.
      else if (!/[*?]/.test(p)) result.names.add(p);
    }
  }
  return result;
}
