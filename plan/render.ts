/**
 * The readable plan: what a reviewer reads before `pulumi preview` shows the same change in
 * Pulumi's words. Pure: a plan in, text out.
 */
import type { Plan } from "./plan.ts";
import { POLICY_PATH } from "./plan.ts";
import {
  ASSUMED_ROOT_KEY,
  FEDERATED_USER,
  GUARDRAIL_MAX_CHARACTERS,
  guardrailSize,
  IDENTITY_STORE_USER_ID_KEY,
  PRINCIPAL_ACCOUNT_KEY,
  PRINCIPAL_ARN_KEY,
  PRINCIPAL_TYPE_KEY,
  USERNAME_KEY,
  type OrganizationPolicyPlan,
  type RootUserPlan,
} from "./organization.ts";
import {
  CREDENTIAL_KINDS,
  KEEP_FIELD,
  KIND_NOUN,
  type ConsolePasswordPlan,
  type CredentialFate,
  type CredentialPlan,
  type MfaDevicePlan,
} from "./credentials.ts";
import { placeholderIncident, TOKEN_ISSUE_TIME, type PolicyDocument, type PolicyStatement } from "./policies.ts";
import { HOUR_MS } from "../incident/time.ts";
import { lifetimeMs } from "./lifecycle.ts";

export interface RenderStyle {
  bold(text: string): string;
  dim(text: string): string;
}

const plain: RenderStyle = { bold: (t) => t, dim: (t) => t };

/** What a plan shows beside the plan itself: every credential of its users, and its root users. */
export interface PlanExtras {
  credentials?: CredentialPlan;
  rootUsers?: readonly RootUserPlan[];
  /**
   * With `--account`: the account, and the incidents found in the files, each with the accounts it
   * has a share in, so that a plan of an account none of them touches says so (not "no incidents").
   */
  found?: { account: string; incidents: readonly { accounts: readonly string[] }[] };
}

/** A section of access keys (none: no section): its heading, then each key under its user, and its fate. */
function keySection(
  style: RenderStyle,
  keys: readonly { accessKeyId: string; user: string; account: string; incidents: string[] }[],
  inAccount: (account: string) => string,
  { heading, why, fate }: { heading: string; why: string; fate: string },
): string[] {
  if (keys.length === 0) return [];
  const owner = (key: (typeof keys)[number]) => `${key.user}${inAccount(key.account)}`;
  const width = Math.max(...keys.map((key) => owner(key).length));
  return [
    style.bold(`${heading}: ${keys.length}`) + style.dim(` ${why}`),
    ...keys.map(
      (key) =>
        `  ${key.accessKeyId}  user ${owner(key).padEnd(width)}  ${fate}  ${style.dim(key.incidents.join(", "))}`,
    ),
    "",
  ];
}

export function renderPlan(plan: Plan, style: RenderStyle = plain, extras: PlanExtras = {}): string {
  const lines: string[] = [];
  const accounts = [
    ...new Set([
      ...plan.denyPolicies.map((d) => d.account),
      ...plan.accessKeys.map((k) => k.account),
      ...plan.goneAccessKeys.map((k) => k.account),
      ...plan.replacementRoles.map((r) => r.account),
    ]),
  ].sort();
  if (plan.incidents.length === 0) {
    const found = extras.found;
    if (found !== undefined && found.incidents.length > 0) {
      const touched = [...new Set(found.incidents.flatMap((i) => i.accounts))].sort();
      const n = found.incidents.length;
      return `no incident has a share in account ${found.account} that its stack reads: nothing to declare there (the ${n === 1 ? "incident" : `${n} incidents`} found ${n === 1 ? "touches" : "touch"} ${touched.length === 1 ? "account" : "accounts"} ${touched.join(", ")})\n`;
    }
    return "no incidents: nothing to declare (an empty incidents folder declares no deny policy)\n";
  }
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const where =
    accounts.length === 0 ? "" : ` in ${accounts.length === 1 ? "account" : "accounts"} ${accounts.join(", ")}`;
  lines.push(style.bold(`cordon plan: ${count(plan.incidents.length, "incident")}${where}`), "");
  // With several accounts, each principal and key says whose it is: each account's stack declares its own.
  const inAccount = (account: string) => (accounts.length > 1 ? ` (${account})` : "");

  lines.push(style.bold("incidents"));
  const idWidth = Math.max(...plan.incidents.map((i) => i.id.length));
  for (const incident of plan.incidents) {
    const cutoff = incident.cutoffPending
      ? "cutoff at containment (recorded by pulumi up)"
      : `cutoff ${incident.cutoff}${incident.atContainment ? " (recorded at containment)" : ""}`;
    const hours = lifetimeMs(incident) / HOUR_MS;
    const expires =
      incident.expiresAt === null
        ? `expires ${hours} h after containment`
        : `expires ${incident.expiresAt}${incident.holdUntil !== null && incident.holdUntil === incident.expiresAt ? " (holdUntil)" : ""}`;
    lines.push(`  ${incident.id.padEnd(idWidth)}  ${incident.mode.padEnd(21)}  ${cutoff}  ${expires}`);
  }
  lines.push("");

  lines.push(style.bold(`deny policies: ${plan.denyPolicies.length}`));
  const label = (d: Plan["denyPolicies"][number]) => `${d.principal.type} ${d.principal.name}${inAccount(d.account)}`;
  const principalWidth = Math.max(0, ...plan.denyPolicies.map((d) => label(d).length));
  const indent = " ".repeat(principalWidth + 4);
  for (const policy of plan.denyPolicies) {
    const where =
      policy.attachment === "managed"
        ? `managed policy ${POLICY_PATH}${policy.policyName}, attached`
        : `inline policy ${policy.policyName}`;
    lines.push(`  ${label(policy).padEnd(principalWidth)}  ${where}`);
    for (const rule of describeDeny(policy.document)) lines.push(`${indent}${rule}`);
    lines.push(`${indent}${style.dim(`incidents: ${policy.incidents.join(", ")}`)}`);
  }
  lines.push("");

  const keySections = [
    [
      plan.accessKeys,
      "access keys to disable",
      "(imported and set Inactive; never deleted, never re-enabled)",
      "-> Inactive",
    ],
    [
      plan.goneAccessKeys,
      "access keys already deleted",
      "(IAM no longer has them: contained, nothing to disable)",
      "deleted",
    ],
  ] as const;
  for (const [keys, heading, why, fate] of keySections)
    lines.push(...keySection(style, keys, inAccount, { heading, why, fate }));

  if (plan.replacementRoles.length > 0) {
    const paths = [...new Set(plan.replacementRoles.map((r) => r.path))].join(", ");
    lines.push(
      style.bold(`replacement roles: ${plan.replacementRoles.length}`) +
        style.dim(
          ` (under ${paths}, after their incident's containment; retained when the incident is removed: they are the new access path)`,
        ),
    );
    const nameWidth = Math.max(...plan.replacementRoles.map((r) => r.name.length));
    for (const role of plan.replacementRoles) {
      const policies = [
        ...role.managedPolicyArns.map((arn) => arn.split("/").pop() ?? arn),
        ...Object.keys(role.inlinePolicies).map((name) => `inline ${name}`),
      ];
      const parts = [
        `trust ${describeTrust(role.assumeRolePolicy)}`,
        ...(policies.length > 0 ? [policies.join(", ")] : []),
        `max session ${role.maxSessionDuration / 3600} h`,
      ];
      lines.push(`  ${role.name.padEnd(nameWidth)}  ${parts.join("; ")}`);
    }
    lines.push("");
  }

  if (extras.credentials !== undefined) lines.push(...renderCredentials(extras.credentials, style));
  lines.push(...renderOrganization(plan, style));
  lines.push(...renderRootUsers(extras.rootUsers ?? [], style));

  lines.push(
    style.dim(
      "Removing an incident file removes its deny policies: only once it has expired (see `npx cordon status`).",
    ),
  );
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
  lines.push(
    style.bold(`organization guardrails: ${n} ${n === 1 ? "policy" : "policies"}`) +
      style.dim(` (for ${asking.map((i) => i.id).join(", ")})`),
  );
  if (n > 0) {
    lines.push(
      targets.length > 0
        ? `  attached to ${targets.join(", ")} by the stack that sets cordon:organization`
        : "  attached to nothing: no stack file here sets cordon:organization, so no stack declares them (docs/organization.md)",
    );
  }
  for (const policy of plan.organizationPolicies) {
    lines.push(
      `  ${policy.kind} ${policy.name}  ${guardrailSize(policy.document).toLocaleString("en-US")} of ${GUARDRAIL_MAX_CHARACTERS.toLocaleString("en-US")} characters`,
    );
    for (const statement of policy.document.Statement) lines.push(`    ${describeGuardrail(policy, statement)}`);
    lines.push(`    ${style.dim(`incidents: ${policy.incidents.join(", ")}`)}`);
  }
  // aws:TokenIssueTime is absent from requests signed with a long-term key: the revoke form cannot match them.
  const revokesUsers = (s: PolicyStatement) =>
    s.Condition?.DateLessThan !== undefined && s.Condition?.StringEqualsIgnoreCase?.[USERNAME_KEY] !== undefined;
  const revokedUsers = plan.organizationPolicies.some((p) => p.document.Statement.some(revokesUsers));
  if (revokedUsers) {
    lines.push(
      "  a user's long-term access key carries no token issue time: the revoke form stops its sessions, and disabling the key (its account's stack) stops the key itself",
    );
  }
  // No condition key names the user a GetFederationToken session came from: said, since it denies others' too.
  const federated = plan.organizationPolicies.some((p) =>
    p.document.Statement.some((s) => s.Condition?.StringEquals?.[PRINCIPAL_TYPE_KEY] !== undefined),
  );
  if (federated) {
    lines.push(
      "  no condition key names the IAM user that minted a federated user's session (GetFederationToken): the statements on federated users deny every user's in those accounts, not only the compromised users'",
    );
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
  const named = (arns: string[]) =>
    arns
      .map(role)
      .filter((m) => m !== null)
      .map((m) => `${m[2]} (${m[1]})`);
  const roles = named(values("StringEqualsIgnoreCase", PRINCIPAL_ARN_KEY)).map((r) => `role ${r}`);
  // Under a path, ArnLike compares the name as IAM spells it (the program checks the spelling at up).
  const pathed = named(values("ArnLike", PRINCIPAL_ARN_KEY));
  const account = values("StringEquals", PRINCIPAL_ACCOUNT_KEY)[0];
  const users = values("StringEqualsIgnoreCase", USERNAME_KEY).map((name) => `user ${name} (${account})`);
  const federated = values("StringEquals", PRINCIPAL_TYPE_KEY).includes(FEDERATED_USER)
    ? [`federated users of ${account} (GetFederationToken sessions, whichever user minted them)`]
    : [];
  const ids = values("StringEquals", IDENTITY_STORE_USER_ID_KEY);
  const roots = values("ArnEquals", PRINCIPAL_ARN_KEY)
    .map((arn) => /^arn:aws:iam::(\d{12}):root$/.exec(arn)?.[1])
    .filter((a): a is string => a !== undefined);
  const underPath = pathed.length > 0 ? [`roles under a path, spelt as in IAM: ${pathed.join(", ")}`] : [];
  const whom = [
    ...users,
    ...federated,
    ...roles,
    ...underPath,
    ...ids.map((id) => `Identity Center user ${id}`),
    ...roots.map((a) => `the root user of ${a}`),
    // Said, since it is how the organization stack deletes the root user's access keys.
    ...(roots.length > 0 && condition.Null?.[ASSUMED_ROOT_KEY] === "true"
      ? ["but for centralized root access sessions (sts:AssumeRoot)"]
      : []),
  ].join(", ");
  const issued = condition.DateLessThan?.[TOKEN_ISSUE_TIME];
  const pending = placeholderIncident(issued);
  const when =
    issued === undefined
      ? "(deny-all)"
      : `for sessions issued before ${pending !== undefined ? `the containment of ${pending}` : String(issued)}`;
  const what =
    policy.kind === "scp"
      ? "deny every action"
      : `deny ${[statement.Action ?? []].flat().join(", ")} in member accounts`;
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

const FATE_WORDS: Readonly<Record<CredentialFate, string>> = {
  disable: "-> Inactive",
  "already-inactive": "Inactive, kept so",
  expired: "expired: works no more",
  kept: "kept (keep:)",
  gone: "IAM no longer lists it: contained",
  "at-up": "-> Inactive unless IAM no longer lists it",
};

/** Where `pulumi up` deletes a console password: the one act of containment that cannot be undone, said before it is applied. */
export const CONSOLE_PASSWORD_WARNING =
  "AWS cannot disable a console password, only delete it: deleted, it is lost (to restore console access, set a new one: aws iam create-login-profile --password-reset-required); keep: consolePassword: true keeps it";

/**
 * Every credential of every compromised user and its fate. Without IAM's listing (a plan offline),
 * what `pulumi up` will list and do; with one (the stack outputs' `credentials`), each credential.
 */
export function renderCredentials(plan: CredentialPlan, style: RenderStyle = plain): string[] {
  if (plan.users.length === 0) return [];
  const lines: string[] = [];
  const listed = plan.users.every((u) => u.listed);
  lines.push(
    style.bold(`credentials of compromised users: ${plan.users.length} ${plan.users.length === 1 ? "user" : "users"}`) +
      style.dim(
        listed
          ? " (as IAM listed them at the last pulumi up; every one not kept is set Inactive, never deleted, never re-enabled)"
          : " (IAM lists them at pulumi up: access keys, service-specific credentials, SSH public keys, signing certificates; every one not kept is set Inactive, never deleted, never re-enabled)",
      ),
  );
  const accounts = new Set(plan.users.map((u) => u.account));
  for (const user of plan.users) {
    lines.push(
      `  user ${user.user}${accounts.size > 1 ? ` (${user.account})` : ""}${user.exists === false ? ": IAM has no such user" : ""}  ${style.dim(user.incidents.join(", "))}`,
    );
    const kept = [
      ...CREDENTIAL_KINDS.flatMap((kind) => user.keep[KEEP_FIELD[kind]].map((id) => `${KIND_NOUN[kind]} ${id}`)),
      ...(user.keep.consolePassword ? ["console password"] : []),
    ];
    lines.push(`    keeps: ${kept.length === 0 ? "nothing" : kept.join(", ")}`);
    const width = Math.max(0, ...user.credentials.map((c) => c.id.length));
    for (const c of user.credentials) {
      const what = `${KIND_NOUN[c.kind]}${c.service !== null ? ` (${c.service})` : ""}${c.exposed ? ", exposed" : ""}`;
      const from = c.status !== null && c.fate === "disable" ? `${c.status} ` : "";
      lines.push(`    ${c.id.padEnd(width)}  ${what}  ${from}${FATE_WORDS[c.fate]}`);
    }
    lines.push(`    console password: ${consolePasswordWords(user.consolePassword.fate)}`);
    for (const d of user.mfaDevices) lines.push(`    MFA device ${d.serial}: ${mfaWords(d)}`);
    for (const q of user.quarantinePolicies)
      lines.push(`    quarantined by AWS: ${q} is attached (cordon never detaches it)`);
  }
  if (plan.users.some((u) => u.consolePassword.fate === "delete" || u.consolePassword.fate === "delete-if-present"))
    lines.push(`  ${CONSOLE_PASSWORD_WARNING}`);
  lines.push("");
  return lines;
}

function consolePasswordWords(fate: ConsolePasswordPlan["fate"]): string {
  switch (fate) {
    case "delete":
      return "present -> deleted at pulumi up (cannot be undone)";
    case "delete-if-present":
      return "deleted at pulumi up if there is one (cannot be undone)";
    case "kept":
      return "present, kept (keep:)";
    case "kept-if-present":
      return "kept if there is one (keep:)";
    case "none":
      return "none";
  }
}

function mfaWords(device: MfaDevicePlan): string {
  const enabled = device.enabledAt === null ? "" : `enabled ${device.enabledAt}, `;
  switch (device.fate) {
    case "deactivate":
      return `${enabled}deactivated at pulumi up (deactivateMfaDevices; the device is not deleted)`;
    case "report":
      return `${enabled}after the cutoff: who enabled it held a credential then; name it under deactivateMfaDevices to deactivate it`;
    case "none":
      return `${enabled}left as it is`;
    case "gone":
      return "asked to deactivate, but IAM no longer lists it for the user";
    case "at-up":
      return "deactivated at pulumi up if the user still has it (deactivateMfaDevices)";
  }
}

/** The root users the incidents name: denied by the SCP, and whose access keys are deleted. */
export function renderRootUsers(roots: readonly RootUserPlan[], style: RenderStyle = plain): string[] {
  if (roots.length === 0) return [];
  const lines = [
    style.bold(`root users: ${roots.length}`) +
      style.dim(" (the organization's SCP denies each every action until its file is removed)"),
  ];
  for (const root of roots) {
    const guardrail =
      root.guardrail === "denied"
        ? "denied every action by the SCP"
        : "the management account: no SCP reaches it; only the root user can act";
    const keys = root.deleteAccessKeys
      ? "; its access keys deleted through centralized root access (sts:AssumeRoot, IAMDeleteRootUserCredentials): cannot be undone"
      : "; its access keys left as they are (deleteAccessKeys: true deletes them)";
    lines.push(`  root user of ${root.account}  ${guardrail}${keys}  ${style.dim(root.incidents.join(", "))}`);
  }
  lines.push("");
  return lines;
}
