/**
 * Which accounts an incident reaches. Pure, and on its own so that the plan and the containment
 * instant both ask it without importing each other.
 */
import type { Incident } from "../incident/types.ts";

/**
 * Every account whose stack declares a share of the incident: its principals' accounts, and its
 * own when it has replacement roles (created there). Sorted. An incident that names only Identity
 * Center users has none: the organization stack alone declares it.
 */
export function accountsOf(incident: Pick<Incident, "account" | "users" | "roles" | "replacementRoles">): string[] {
  const accounts = [
    ...incident.users.map((u) => u.account),
    ...incident.roles.map((r) => r.account),
    ...(incident.replacementRoles.length > 0 ? [incident.account] : []),
  ];
  return [...new Set(accounts)].sort();
}
