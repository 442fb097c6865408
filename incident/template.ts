/**
 * The incident file that `cordon new` writes, and the id it names it by. Pure: flags in, text out.
 * The text explains every field in comments, because the person reading it first is a reviewer
 * who may never have seen cordon, at two in the morning.
 */
import { stringify } from "yaml";
import { credentialLifetimeMs } from "./expiry.ts";
import { INCIDENT_ID_MAX_LENGTH } from "./fields.ts";
import { formatInstant, HOUR_MS } from "./time.ts";
import { AT_CONTAINMENT, type Mode } from "./types.ts";

/** What `new` knows once its flags (and IAM, for `--access-key` alone) are resolved. */
export interface NewIncident {
  id: string;
  title: string;
  account: string;
  /** A UTC instant or `at-containment`. @default "at-containment" */
  cutoff: string;
  /** @default "revoke-older-sessions" */
  mode: Mode;
  users: { name: string; accessKeys: string[] }[];
  roles: string[];
  /** When the file was written (`--now`), for the header comment only. */
  writtenAt: Date;
  /** The `$schema` path relative to the incident's folder, for editors' completion. */
  schemaPath: string;
  /** Access key ids whose user came from IAM rather than from `--user`: the reviewer should know. */
  ownersFromIam?: string[];
  /** The tracking ticket (`--ticket`). @default none: the field is written as a comment */
  ticket?: string;
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

/** The file text. Every value is written through `yaml`, so a title with `:` or `#` stays a title. */
export function incidentTemplate(incident: NewIncident): string {
  const scalar = (value: string) => stringify(value, { lineWidth: 0 }).trimEnd();
  const hours = credentialLifetimeMs(incident.users.length > 0) / HOUR_MS;
  const lifetime = incident.users.length > 0 ? `${hours} h after the cutoff (a user's session tokens live up to ${hours} h)` : `${hours} h after the cutoff (a role session lives up to ${hours} h)`;
  const lines = [
    `# yaml-language-server: $schema=${incident.schemaPath}`,
    `# Written by \`cordon new\` at ${formatInstant(incident.writtenAt)}. Review it in a pull request: CI runs`,
    "# validate, guard and pulumi preview on it, and the merge runs pulumi up.",
    "",
    "# The incident id: equals this file's name. Resource names derive from it: never rename it.",
    `id: ${incident.id}`,
    "# What happened, in one line.",
    `title: ${scalar(incident.title)}`,
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
    lines.push("# Users whose keys were exposed: each gets a deny policy; each listed key is disabled,", "# never deleted (a disabled key can be restored).", "users:");
    for (const user of incident.users) {
      lines.push(`  - name: ${scalar(user.name)}`);
      if (user.accessKeys.length > 0) {
        const note = user.accessKeys.some((key) => fromIam.has(key)) ? "   # owner looked up in IAM (GetAccessKeyLastUsed)" : "";
        lines.push(`    accessKeys: [${user.accessKeys.join(", ")}]${note}`);
      }
    }
  } else {
    lines.push("# Users whose keys were exposed: each gets a deny policy; each listed key is disabled.", "# users:", "#   - name: ci-deployer", "#     accessKeys: [AKIAIOSFODNN7EXAMPLE]");
  }
  if (incident.roles.length > 0) {
    lines.push("# Roles the exposed credentials could assume: their older sessions are revoked too.", "roles:");
    for (const role of incident.roles) lines.push(`  - name: ${scalar(role)}`);
  } else {
    lines.push("# Roles the exposed credentials could assume: their older sessions are revoked too.", "# roles:", "#   - name: deploy");
  }
  lines.push(
    "# Optional: a new access path instead of long-lived keys. Kept when this file is removed.",
    "# replacementRoles:",
    "#   - name: ci-deployer-oidc",
    "#     trust:",
    "#       githubOidc: { repository: example/app, ref: refs/heads/main }",
    '#     managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]',
    "# Optional: the tracking ticket, and who answers for this incident.",
    incident.ticket === undefined ? "# ticket: SEC-1234" : `ticket: ${scalar(incident.ticket)}`,
    "# owner: security@example.com",
    "",
  );
  return lines.join("\n");
}
