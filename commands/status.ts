import { displaySafe, displayValue, jsonSafe } from "../incident/display.ts";
import { currentInstants } from "../plan/outputs.ts";
import { formatDuration, formatInstant, HOUR_MS } from "../incident/time.ts";
import { CONSOLE_SESSION_MS } from "../incident/expiry.ts";
import { incidentStatuses, type IncidentStatus } from "../plan/lifecycle.ts";
import { booleanFlags, listFlags, parseFlags, stringFlags, type Command } from "../cli/command.ts";
import { readProject, unreadSharesProblems } from "../cli/project.ts";
import { incidentPaths, loadOrReport, readPreamble } from "../cli/incidents.ts";
import { EXIT_INVALID, EXIT_OK } from "../cli/io.ts";
import { KIND_NOUN, type CredentialKind } from "../plan/credentials.ts";
import type { UserCredentialsOutput } from "../plan/outputs.ts";

export const statusCommand: Command = {
  name: "status",
  usage: `usage: npx cordon status [PATH...] [--now ISO] [--stack-outputs FILE]... [--json]

Per incident (PATH: files or folders, default every folder a stack of the project reads, found
from any of its subfolders; a share outside the folder its account's stack reads is named in a
warning: it is never applied): the cutoff, when it expires (cutoff + 36 h when it names a user, + 12 h for roles
only, or holdUntil when later), the time left, and whether its file can now be removed. An
at-containment incident whose instant is not known is never removable: pass the stack outputs to
know it. The expiry does not cover a console session opened (GetSigninToken) from a session minted
before the cutoff, which lives up to 12 h after it is opened: for each removable incident, status
gives the review that finds one (consoleSessions.reviews in --json), to run before the file goes.

options:
  --now ISO             the instant to judge at (default: now)
  --stack-outputs FILE  \`pulumi stack output --json\` (repeat it, one per account's stack): the
                        recorded at-containment instants (the latest of an incident counts), the
                        listed keys IAM no longer had (deleted: contained), and what the last run
                        made of every credential of each user (AWS's quarantine policy included)
  --json                {"incidents": [{"id", "file", "cutoff", "expiresAt", "removable",
                        "accounts", "organization", "consoleSessions": {"latestEnd", "reviews"},
                        ...}], "credentials": [{"account", "user",
                        "credentials": [{"kind", "id", "status", "fate"}], "consolePassword",
                        "mfaDevices", "quarantinePolicies"}]}
  -h, --help            this text

exit: 0 status shown, 1 any incident file invalid (no status then), 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...stringFlags("now"),
      ...listFlags("stack-outputs"),
      ...booleanFlags("json"),
    });
    const { now, containment: recordedInstants, recorded, credentials } = readPreamble(values, io);
    const paths = incidentPaths(positionals, io);
    const incidents = loadOrReport(paths, io, now);
    if (!incidents) return EXIT_INVALID;
    // Every file's lifecycle is shown; a share its account's stack does not read is said to be never applied.
    for (const line of unreadSharesProblems(incidents, readProject(io.cwd), io.cwd).map((u) => u.message))
      io.err(`cordon status: warning: ${displayValue(line)}\n`);
    const statuses = incidentStatuses(
      incidents,
      now,
      currentInstants(recordedInstants, incidents),
      recorded.goneAccessKeys,
    );
    // What the last runs made of every credential of the incidents' users (from the stack outputs).
    const ids = new Set(statuses.map((s) => s.id));
    const users = credentials.filter((u) => u.incidents.some((id) => ids.has(id)));
    if (values.json) io.out(`${jsonSafe(JSON.stringify({ incidents: statuses, credentials: users }, null, 2))}\n`);
    else
      io.out(
        displaySafe(
          renderStatus(
            statuses,
            now,
            positionals.length > 0 ? positionals.join(", ") : paths.map((p) => `${p}/`).join(", "),
          ) + renderCredentialStatus(users),
        ),
      );
    return EXIT_OK;
  },
};

/**
 * Per user, what the last `pulumi up` made of each of its credentials (the stack outputs'
 * `credentials`), and AWS's quarantine policy still attached: cordon never detaches it.
 */
export function renderCredentialStatus(users: readonly UserCredentialsOutput[]): string {
  const lines: string[] = [];
  for (const u of users) {
    const by = (fates: string[]) => u.credentials.filter((c) => fates.includes(c.fate));
    const list = (entries: { kind: CredentialKind; id: string }[]) =>
      entries.map((c) => `${c.id} (${KIND_NOUN[c.kind]})`).join(", ");
    const parts = [
      ...(by(["disable", "already-inactive"]).length > 0
        ? [`Inactive: ${list(by(["disable", "already-inactive"]))}`]
        : []),
      ...(by(["kept"]).length > 0 ? [`kept: ${list(by(["kept"]))}`] : []),
      ...(by(["gone", "expired"]).length > 0 ? [`gone or expired: ${list(by(["gone", "expired"]))}`] : []),
      u.consolePassword.fate === "delete"
        ? "console password deleted"
        : u.consolePassword.fate === "kept"
          ? "console password kept"
          : "no console password",
      ...u.mfaDevices.filter((d) => d.fate === "deactivate").map((d) => `MFA device ${d.serial} deactivated`),
      ...u.mfaDevices
        .filter((d) => d.fate === "report")
        .map((d) => `MFA device ${d.serial} enabled after the cutoff (left as it is)`),
    ];
    lines.push(`user ${u.user} (${u.account}): ${parts.join("; ")}`);
    for (const q of u.quarantinePolicies)
      lines.push(
        `user ${u.user} (${u.account}): AWS's quarantine policy ${q} is still attached: cordon never detaches it; detach it in IAM once the user is trusted again`,
      );
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** The readable table of `cordon status`. */
export function renderStatus(statuses: IncidentStatus[], now: Date, where: string): string {
  if (statuses.length === 0) return `no incidents in ${where}: nothing is contained, nothing to remove\n`;
  const rows = statuses.map((s) => [
    s.id,
    s.cutoffPending ? "at-containment" : s.cutoff,
    s.expiresAt ?? "unknown",
    s.timeLeftSeconds === null ? "?" : s.removable ? "0" : formatDuration(s.timeLeftSeconds * 1000),
    verdict(s),
  ]);
  const header = ["INCIDENT", "CUTOFF", "EXPIRES", "LEFT", "STATUS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ");
  const out = [line(header), ...rows.map(line), ""];
  const removable = statuses.filter((s) => s.removable);
  const pending = statuses.filter((s) => s.cutoffPending);
  if (removable.length > 0) {
    out.push(
      `${removable.length} of ${statuses.length} can be removed now: delete ${removable.map((s) => s.file).join(", ")} in a pull request (guard lets expired incidents go)`,
      ...consoleSessionLines(removable.filter((s) => s.consoleSessions !== null)),
    );
  } else {
    out.push(`none can be removed at ${formatInstant(now)}`);
  }
  if (pending.length > 0) {
    out.push(
      `${pending.length} pending containment: their instant is recorded by pulumi up; pass --stack-outputs FILE (pulumi stack output --json) to know their expiry`,
    );
  }
  // An incident over several accounts is removed from each account's stack, and the guardrails from the organization stack.
  for (const s of statuses.filter((s) => s.accounts.length > 1 || s.organization.scp || s.organization.rcp)) {
    const guardrails = [s.organization.scp ? "SCP" : "", s.organization.rcp ? "RCP" : ""].filter(Boolean);
    out.push(
      `${s.id}: shares in ${s.accounts.length === 1 ? "account" : "accounts"} ${s.accounts.join(", ")}${guardrails.length > 0 ? `, and the organization ${guardrails.join(" and ")}` : ""}`,
    );
  }
  for (const s of statuses.filter((s) => s.goneAccessKeys.length > 0)) {
    out.push(`${s.id}: ${s.goneAccessKeys.join(", ")} deleted in IAM: contained, nothing to disable`);
  }
  return `${out.join("\n")}\n`;
}

/**
 * What the expiry does not cover, said where removal is decided: a console session opened from a
 * session minted before the cutoff (plan/lifecycle.ts, ConsoleSessionCheck), and per incident the
 * review that finds one, or where to look when the file lists no key to review by.
 */
export function consoleSessionLines(removable: readonly IncidentStatus[]): string[] {
  if (removable.length === 0) return [];
  const hours = CONSOLE_SESSION_MS / HOUR_MS;
  return [
    `console sessions are not covered past the expiry: a session minted before the cutoff can open one (GetSigninToken), which lives up to ${hours} h after it is opened. Before deleting a file, run the review below; if it lists a console session ending after the expiry, set holdUntil to that session's until instead:`,
    ...removable.map((s) => {
      const check = s.consoleSessions as NonNullable<IncidentStatus["consoleSessions"]>;
      const how =
        check.reviews.length > 0
          ? `${check.reviews.join(", then ")}; for the sessions of keys it does not list and of its roles, ${check.cloudTrail}`
          : `it lists no access key to review by: ${check.cloudTrail}`;
      return `  ${s.id} (expired ${s.expiresAt}; after ${check.reviewAfter}, once CloudTrail has delivered its last calls): ${how}`;
    }),
  ];
}

function verdict(s: IncidentStatus): string {
  if (s.cutoffPending) return "active: pending containment, expiry unknown (pass --stack-outputs)";
  if (s.removable) return `removable: delete ${s.file}`;
  return `active${s.holdUntil !== null && s.holdUntil === s.expiresAt ? " (holdUntil)" : ""}`;
}
