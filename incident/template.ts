/**
 * The incident file that `cordon new` writes, and the id it names it by. Pure: flags in, text out.
 * The text explains every field in comments, because the person reading it first is a reviewer
 * who may never have seen cordon, at two in the morning.
 */
import { yamlListItem, yamlName, yamlText } from "./yaml-scalar.ts";
import { isUnsafeCharacter } from "./display.ts";
import { credentialLifetimeMs } from "./expiry.ts";
import { maskSecrets } from "./secrets.ts";
import { INCIDENT_ID_MAX_LENGTH, KEPT_CREDENTIAL_FIELDS } from "./fields.ts";
import { formatInstant, HOUR_MS } from "./time.ts";
import { AT_CONTAINMENT, type KeptCredentials, type Mode } from "./types.ts";

/** What `new` knows once its flags (and IAM, for `--access-key` alone) are resolved. */
export interface NewIncident {
  id: string;
  title: string;
  account: string;
  /** A UTC instant or `at-containment`. @default "at-containment" */
  cutoff: string;
  /** @default "revoke-older-sessions" */
  mode: Mode;
  users: NewUser[];
  /** Roles to revoke; `account` when it is not the incident's (a role the key assumed in another account). */
  roles: { name: string; account?: string }[];
  /**
   * What the file says above `roles` about how they were found (CloudTrail, assess), or why they
   * were not (a lookup that failed, was refused or ran out of time): comment lines, without `#`.
   */
  rolesNote?: string[];
  /** Accounts whose root user the organization's SCP denies (`rootUsers`, with `organization: { scp: true }`). */
  rootUsers?: string[];
  /** When the file was written (`--now`), for the header comment only. */
  writtenAt: Date;
  /** The `$schema` path relative to the incident's folder, for editors' completion. */
  schemaPath: string;
  /** Access key ids whose user came from IAM rather than from `--user`: the reviewer should know. */
  ownersFromIam?: string[];
  /** The tracking ticket (`--ticket`). @default none: the field is written as a comment */
  ticket?: string;
}

/** A user of the new incident: its exposed keys, and what main's incidents already keep of it. */
export interface NewUser {
  name: string;
  accessKeys: string[];
  /**
   * What the incidents already in the folder keep for this user (a credential is kept only when
   * every incident naming the user keeps it), its exposed keys left out: repeated, so that the new
   * incident takes nothing away that a reviewer kept. @default nothing kept
   */
  keep?: KeptCredentials;
  /** The incidents that keep it, as `id (file)`, for the comment above `keep:`. */
  keptBy?: string[];
}

/**
 * The user's `keep:`: nothing kept, with an example; or what the folder's incidents already keep,
 * said with the incidents that keep it.
 */
function keepLines(user: NewUser): string[] {
  const keep = user.keep;
  if (keep === undefined)
    return ["    keep:", "      consolePassword: false", "      # accessKeys: [AKIAI44QH8DHBEXAMPLE]"];
  const by = user.keptBy ?? [];
  return [
    "    # Repeated from what the folder's incidents keep for this user: a credential is kept only when",
    "    # every incident naming its user keeps it, so a new incident without it would take it away.",
    `    # Kept by: ${commentText(by.join(", "))}`,
    "    keep:",
    `      consolePassword: ${keep.consolePassword}`,
    ...KEPT_CREDENTIAL_FIELDS.filter((field) => keep[field].length > 0).map(
      (field) => `      ${field}: [${keep[field].map(yamlListItem).join(", ")}]`,
    ),
  ];
}

/**
 * `<UTC date>-<slug of title>`, such as `2026-11-28-ci-key-in-public-repo`: sorts by date in the
 * folder, and says what happened without opening the file. Cut at a word within the 64 characters.
 */
export function defaultIncidentId(title: string, now: Date): string {
  const date = formatInstant(now).slice(0, 10);
  const words = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
  let id = date;
  for (const word of words) {
    if (id.length + 1 + word.length > INCIDENT_ID_MAX_LENGTH) break;
    id += `-${word}`;
  }
  // A title of only symbols or other scripts still needs a readable, valid id.
  return id === date ? `${date}-incident` : id;
}

/**
 * Text for a comment line: what a lookup said (AWS's words, or an ARN a caller chose) on one line,
 * with no control or invisible character and no secret-shaped token, so that the file still loads.
 */
export function commentText(text: string): string {
  return maskSecrets(Array.from(text, (char) => (isUnsafeCharacter(char) ? " " : char)).join(""));
}

/** An IAM role's ARN: its account, and its name (the last part of its path). */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/**
 * The roles to revoke, from the role ARNs a lookup found (CloudTrail's requestParameters, which
 * the caller chose: every ARN is checked before it becomes a name): one entry per role, with the
 * account when it is not `account`. Roles that AWS manages cannot carry a deny (service-linked
 * and IAM Identity Center roles): they are left out, and said.
 */
export function rolesFromArns(
  arns: readonly string[],
  account: string,
): { roles: { name: string; account?: string }[]; skipped: string[] } {
  const roles = new Map<string, { name: string; account?: string }>();
  const skipped = new Set<string>();
  for (const arn of arns) {
    const match = ROLE_ARN.exec(arn);
    if (match === null) {
      skipped.add(`${arn.length > 200 ? `${arn.slice(0, 200)}...` : arn} (not a role ARN)`);
      continue;
    }
    const [, roleAccount, name] = match;
    if (
      name.startsWith("AWSServiceRoleFor") ||
      name.startsWith("AWSReservedSSO_") ||
      arn.includes(":role/aws-service-role/") ||
      arn.includes(":role/aws-reserved/")
    ) {
      skipped.add(`${arn} (AWS manages it: it cannot carry a deny)`);
      continue;
    }
    const key = `${roleAccount}/${name.toLowerCase()}`;
    if (!roles.has(key)) roles.set(key, roleAccount === account ? { name } : { name, account: roleAccount });
  }
  const order = (r: { name: string; account?: string }) => `${r.account ?? ""}/${r.name}`;
  return {
    roles: [...roles.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)),
    skipped: [...skipped].sort(),
  };
}

/** The file text. Every value is written through `yaml`, so a title with `:` or `#` stays a title. */
export function incidentTemplate(incident: NewIncident): string {
  const hours = credentialLifetimeMs(incident.users.length > 0) / HOUR_MS;
  const lifetime =
    incident.users.length > 0
      ? `${hours} h after the cutoff (a user's session tokens live up to ${hours} h)`
      : `${hours} h after the cutoff (a role session lives up to ${hours} h)`;
  const lines = [
    `# yaml-language-server: $schema=${incident.schemaPath}`,
    `# Written by \`cordon new\` at ${formatInstant(incident.writtenAt)}. Review it in a pull request: CI runs`,
    "# validate, guard and pulumi preview on it, and the merge runs pulumi up.",
    "",
    "# The incident id: equals this file's name. Resource names derive from it: never rename it.",
    `id: ${incident.id}`,
    "# What happened, in one line.",
    `title: ${yamlText(incident.title)}`,
    "# The AWS account the principals below live in. Quoted: an account id may start with 0.",
    `account: "${incident.account}"`,
  ];
  if (incident.cutoff === AT_CONTAINMENT) {
    lines.push(
      "# Temporary credentials issued before the cutoff are denied. at-containment: the instant",
      "# `pulumi up` disables this incident's keys, recorded once and kept; it also covers sessions",
      "# minted while this pull request waits for review. Or an explicit instant with offset.",
    );
  } else {
    lines.push(
      "# Temporary credentials issued before the cutoff are denied. An explicit instant must not be",
      "# earlier than the moment the keys were actually disabled, or sessions minted in between survive;",
      "# at-containment uses the instant `pulumi up` disables the keys instead.",
    );
  }
  lines.push(
    `cutoff: ${incident.cutoff}`,
    `# The incident can be removed ${lifetime}:`,
    "# `cordon status` says when, and the hourly job proposes the removal.",
    "# revoke-older-sessions: deny requests signed with credentials issued before the cutoff.",
    "# deny-all: deny every request of these principals until this file is removed.",
    `mode: ${incident.mode}`,
    "# Optional: keep the incident at least until this instant (it can only extend the expiry).",
    "# holdUntil: 2026-12-01T00:00:00Z",
  );

  const fromIam = new Set(incident.ownersFromIam ?? []);
  if (incident.users.length > 0) {
    lines.push(
      "# Users whose keys were exposed: each gets a deny policy; each listed key is disabled,",
      "# never deleted (a disabled key can be restored).",
      "users:",
    );
    for (const user of incident.users) {
      lines.push(`  - name: ${yamlName(user.name)}`);
      if (user.accessKeys.length > 0) {
        const note = user.accessKeys.some((key) => fromIam.has(key))
          ? "   # owner looked up in IAM (GetAccessKeyLastUsed)"
          : "";
        lines.push(`    accessKeys: [${user.accessKeys.join(", ")}]${note}`);
      }
      lines.push(
        "    # Every other credential IAM lists for this user (access keys, service-specific credentials,",
        "    # SSH public keys, signing certificates) is set Inactive on every run, never deleted, unless",
        "    # kept here by id (accessKeys, serviceSpecificCredentials, sshPublicKeys, signingCertificates).",
        "    # AWS cannot disable a console password, only delete it: with consolePassword: false, pulumi up",
        "    # deletes it and it is lost (to restore console access later, set a new one:",
        "    # aws iam create-login-profile --user-name NAME --password-reset-required ...).",
      );
      lines.push(...keepLines(user));
    }
  } else {
    lines.push(
      "# Users whose keys were exposed: each gets a deny policy; each listed key is disabled.",
      "# users:",
      "#   - name: ci-deployer",
      "#     accessKeys: [AKIAIOSFODNN7EXAMPLE]",
    );
  }
  lines.push("# Roles the exposed credentials could assume: their older sessions are revoked too.");
  for (const note of incident.rolesNote ?? []) lines.push(`# ${commentText(note)}`);
  if (incident.roles.length > 0) {
    lines.push("roles:");
    for (const role of incident.roles) {
      lines.push(`  - name: ${yamlName(role.name)}`);
      if (role.account !== undefined && role.account !== incident.account) lines.push(`    account: "${role.account}"`);
    }
  } else {
    lines.push("# roles:", "#   - name: deploy");
  }
  if ((incident.rootUsers ?? []).length > 0) {
    lines.push(
      "# Root users of member accounts: the organization's SCP denies them every action until this file",
      "# is removed (IAM policies cannot restrict a root user). Their access keys stay as they are unless",
      "# deleteAccessKeys: true, which deletes them through centralized root access and cannot be undone.",
      "rootUsers:",
      ...(incident.rootUsers ?? []).map((account) => `  - account: "${account}"`),
      "organization: { scp: true }",
    );
  }
  lines.push(
    "# Optional: a new access path instead of long-lived keys. Kept when this file is removed.",
    "# replacementRoles:",
    "#   - name: ci-deployer-oidc",
    "#     trust:",
    "#       githubOidc: { repository: example/app, ref: refs/heads/main }",
    '#     managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]',
    "# Optional: the tracking ticket, and who answers for this incident.",
    incident.ticket === undefined ? "# ticket: SEC-1234" : `ticket: ${yamlText(incident.ticket)}`,
    "# owner: security@example.com",
    "",
  );
  return lines.join("\n");
}
