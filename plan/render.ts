/**
 * The readable plan: what a reviewer reads before `pulumi preview` shows the same change in
 * Pulumi's words. Pure: a plan in, text out.
 */
import type { Plan } from "./plan.ts";
import { POLICY_PATH } from "./plan.ts";
import {
  GUARDRAIL_MAX_CHARACTERS,
  guardrailSize,
  IDENTITY_STORE_USER_ID_KEY,
  PRINCIPAL_ACCOUNT_KEY,
  PRINCIPAL_ARN_KEY,
  USERNAME_KEY,
  type OrganizationPolicyPlan,
} from "./organization.ts";
import { placeholderIncident, TOKEN_ISSUE_TIME, type PolicyDocument, type PolicyStatement } from "./policies.ts";
import { HOUR_MS } from "../incident/time.ts";
import { lifetimeMs } from "./lifecycle.ts";

export interface RenderStyle {
  bold(text: string): string;
  dim(text: string): string;
}

const plain: RenderStyle = { bold: (t) => t, dim: (t) => t };

export function renderPlan(plan: Plan, style: RenderStyle = plain): string {
  const lines: string[] = [];
  const accounts = [...new Set([...plan.denyPolicies.map((d) => d.account), ...plan.accessKeys.map((k) => k.account), ...plan.goneAccessKeys.map((k) => k.account), ...plan.replacementRoles.map((r) => r.account)])].sort();
  if (plan.incidents.length === 0) {
    return "no incidents: nothing to declare (an empty incidents folder declares no deny policy)\n";
  }
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const where = accounts.length === 0 ? "" : ` in ${accounts.length === 1 ? "account" : "accounts"} ${accounts.join(", ")}`;
  lines.push(style.bold(`cordon plan: ${count(plan.incidents.length, "incident")}${where}`), "");
  // With several accounts, each principal and key says whose it is: each account's stack declares its own.
  const inAccount = (account: string) => (accounts.length > 1 ? ` (${account})` : "");

  lines.push(style.bold("incidents"));
  const idWidth = Math.max(...plan.incidents.map((i) => i.id.length));
  for (const incident of plan.incidents) {
    const cutoff = incident.cutoffPending ? "cutoff at containment (recorded by pulumi up)" : `cutoff ${incident.cutoff}${incident.atContainment ? " (recorded at containment)" : ""}`;
    const hours = lifetimeMs(incident) / HOUR_MS;
    const expires = incident.expiresAt === null ? `expires ${hours} h after containment` : `expires ${incident.expiresAt}${incident.holdUntil !== null && incident.holdUntil === incident.expiresAt ? " (holdUntil)" : ""}`;
    lines.push(`  ${incident.id.padEnd(idWidth)}  ${incident.mode.padEnd(21)}  ${cutoff}  ${expires}`);
  }
  lines.push("");

  lines.push(style.bold(`deny policies: ${plan.denyPolicies.length}`));
  const label = (d: Plan["denyPolicies"][number]) => `${d.principal.type} ${d.principal.name}${inAccount(d.account)}`;
  const principalWidth = Math.max(...plan.denyPolicies.map((d) => label(d).length));
  const indent = " ".repeat(principalWidth + 4);
  for (const policy of plan.denyPolicies) {
    const where = policy.attachment === "managed" ? `managed policy ${POLICY_PATH}${policy.policyName}, attached` : `inline policy ${policy.policyName}`;
    lines.push(`  ${label(policy).padEnd(principalWidth)}  ${where}`);
    for (const rule of describeDeny(policy.document)) lines.push(`${indent}${rule}`);
    lines.push(`${indent}${style.dim(`incidents: ${policy.incidents.join(", ")}`)}`);
  }
  lines.push("");

  if (plan.accessKeys.length > 0) {
    lines.push(style.bold(`access keys to disable: ${plan.accessKeys.length}`) + style.dim(" (imported and set Inactive; never deleted, never re-enabled)"));
    const userWidth = Math.max(...plan.accessKeys.map((k) => `${k.user}${inAccount(k.account)}`.length));
    for (const key of plan.accessKeys) {
      lines.push(`  ${key.accessKeyId}  user ${`${key.user}${inAccount(key.account)}`.padEnd(userWidth)}  -> Inactive  ${style.dim(key.incidents.join(", "))}`);
    }
    lines.push("");
  }

  if (plan.goneAccessKeys.length > 0) {
    lines.push(style.bold(`access keys already deleted: ${plan.goneAccessKeys.length}`) + style.dim(" (IAM no longer has them: contained, nothing to disable)"));
    const userWidth = Math.max(...plan.goneAccessKeys.map((k) => `${k.user}${inAccount(k.account)}`.length));
    for (const key of plan.goneAccessKeys) {
      lines.push(`  ${key.accessKeyId}  user ${`${key.user}${inAccount(key.account)}`.padEnd(userWidth)}  deleted  ${style.dim(key.incidents.join(", "))}`);
    }
    lines.push("");
  }

  if (plan.replacementRoles.length > 0) {
    const paths = [...new Set(plan.replacementRoles.map((r) => r.path))].join(", ");
    lines.push(style.bold(`replacement roles: ${plan.replacementRoles.length}`) + style.dim(` (under ${paths}, after their incident's containment; retained when the incident is removed: they are the new access path)`));
    const nameWidth = Math.max(...plan.replacementRoles.map((r) => r.name.length));
    for (const role of plan.replacementRoles) {
      const policies = [...role.managedPolicyArns.map((arn) => arn.split("/").pop() ?? arn), ...Object.keys(role.inlinePolicies).map((name) => `inline ${name}`)];
      const parts = [`trust ${describeTrust(role.assumeRolePolicy)}`, ...(policies.length > 0 ? [policies.join(", ")] : []), `max session ${role.maxSessionDuration / 3600} h`];
      lines.push(`  ${role.name.padEnd(nameWidth)}  ${parts.join("; ")}`);
    }
    lines.push("");
  }

  lines.push(...renderOrganization(plan, style));

  lines.push(style.dim("Removing an incident file removes its deny policies: only once it has expired (see `npx cordon status`)."));
  lines.push(style.dim("Disabled keys stay disabled and replacement roles stay."));
  return `${lines.join("\n")}\n`;
}

function describeDeny(document: PolicyDocument): string[] {
  return document.Statement.map((statement) => {
    const issued = statement.Condition?.DateLessThan?.[TOKEN_ISSUE_TIME];
    if (issued === undefined) return "deny every action (deny-all)";
    const value = String(issued);
    const pending = placeholderIncident(value);
    return `deny every action to sessions issued before ${pending !== undefined ? `the containment of ${pending}` : value}`;
  });
}

/**
 * The guardrails section: each document with its size, what each statement denies to whom, and
 * the principals the SCP cannot reach. `plan.organizationPolicies` is empty unless the plan was made
 * with the organization's configuration (or for every account).
 */
function renderOrganization(plan: Plan, style: RenderStyle): string[] {
  const asking = plan.incidents.filter((i) => i.organization.scp || i.organization.rcp);
  if (plan.organizationPolicies.length === 0 && plan.organizationExclusions.length === 0) return [];
  const lines: string[] = [];
  const targets = [...new Set(plan.organizationPolicies.flatMap((p) => p.targets))];
  const n = plan.organizationPolicies.length;
  lines.push(style.bold(`organization guardrails: ${n} ${n === 1 ? "policy" : "policies"}`) + style.dim(` (for ${asking.map((i) => i.id).join(", ")})`));
  if (n > 0) {
    lines.push(
      targets.length > 0
        ? `  attached to ${targets.join(", ")} by the stack that sets cordon:organization`
        : "  attached to nothing: no stack file here sets cordon:organization, so no stack declares them (docs/organization.md)",
    );
  }
  for (const policy of plan.organizationPolicies) {
    lines.push(`  ${policy.kind} ${policy.name}  ${guardrailSize(policy.document).toLocaleString("en-US")} of ${GUARDRAIL_MAX_CHARACTERS.toLocaleString("en-US")} characters`);
    for (const statement of policy.document.Statement) lines.push(`    ${describeGuardrail(policy, statement)}`);
    lines.push(`    ${style.dim(`incidents: ${policy.incidents.join(", ")}`)}`);
  }
  // aws:TokenIssueTime is absent from requests signed with a long-term key: the revoke form cannot match them.
  const revokesUsers = (s: PolicyStatement) => s.Condition?.DateLessThan !== undefined && s.Condition?.StringEqualsIgnoreCase?.[USERNAME_KEY] !== undefined;
  const revokedUsers = plan.organizationPolicies.some((p) => p.document.Statement.some(revokesUsers));
  if (revokedUsers) {
    lines.push("  a user's long-term access key carries no token issue time: the revoke form stops its sessions, and disabling the key (its account's stack) stops the key itself");
  }
  for (const exclusion of plan.organizationExclusions) {
    lines.push(
      `  not in the SCP: ${exclusion.principal.type} ${exclusion.principal.name} (${exclusion.account}, the management account: SCPs do not apply to it); its IAM deny above still applies` +
        style.dim(`  ${exclusion.incidents.join(", ")}`),
    );
  }
  lines.push("");
  return lines;
}

/** One guardrail statement in words: what it denies, to whom, and since when. */
function describeGuardrail(policy: OrganizationPolicyPlan, statement: PolicyStatement): string {
  const condition = statement.Condition ?? {};
  const values = (operator: string, key: string) => [condition[operator]?.[key] ?? []].flat().map(String);
  const role = (arn: string) => /^arn:aws:iam::(\d{12}):role\/(?:\*\/)?(.+)$/.exec(arn);
  const named = (arns: string[]) => arns.map(role).filter((m) => m !== null).map((m) => `${m[2]} (${m[1]})`);
  const roles = named(values("StringEqualsIgnoreCase", PRINCIPAL_ARN_KEY)).map((r) => `role ${r}`);
  // Under a path, ArnLike compares the name as IAM spells it (the program checks the spelling at up).
  const pathed = named(values("ArnLike", PRINCIPAL_ARN_KEY));
  const account = values("StringEquals", PRINCIPAL_ACCOUNT_KEY)[0];
  const users = values("StringEqualsIgnoreCase", USERNAME_KEY).map((name) => `user ${name} (${account})`);
  const ids = values("StringEquals", IDENTITY_STORE_USER_ID_KEY);
  const underPath = pathed.length > 0 ? [`roles under a path, spelt as in IAM: ${pathed.join(", ")}`] : [];
  const whom = [...users, ...roles, ...underPath, ...ids.map((id) => `Identity Center user ${id}`)].join(", ");
  const issued = condition.DateLessThan?.[TOKEN_ISSUE_TIME];
  const pending = placeholderIncident(issued);
  const when = issued === undefined ? "(deny-all)" : `for sessions issued before ${pending !== undefined ? `the containment of ${pending}` : String(issued)}`;
  const what = policy.kind === "scp" ? "deny every action" : `deny ${[statement.Action ?? []].flat().join(", ")} in member accounts`;
  return `${what} to ${whom} ${when}`;
}

function describeTrust(document: PolicyDocument): string {
  const statement = document.Statement[0];
  const principal = typeof statement?.Principal === "object" ? statement.Principal : {};
  if (principal.Federated) {
    const sub = statement.Condition?.StringEquals?.["token.actions.githubusercontent.com:sub"];
    return `GitHub Actions ${String(sub).replace(/^repo:/, "")}`;
  }
  if (principal.Service) return String(principal.Service);
  return [principal.AWS ?? []].flat().join(", ");
}
