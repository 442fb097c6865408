import { awsClients } from "../aws/clients.ts";
import { currentInstants } from "../plan/outputs.ts";
import { failureOf } from "../aws/errors.ts";
import { liveIam } from "../aws/iam.ts";
import { liveOrganizations } from "../aws/organizations.ts";
import { displaySafe, displayValue, jsonSafe } from "../incident/display.ts";
import { buildPlan } from "../plan/plan.ts";
import { type Check, PASSWORD_KEPT } from "../verify/checks.ts";
import { guardrailChecks } from "../verify/organization.ts";
import { verifyContainment, type VerifyReport } from "../verify/verify.ts";
import { booleanFlags, listFlags, parseFlags, stringFlags, type Command } from "../cli/command.ts";
import { incidentPaths, loadOrReport, readPreamble } from "../cli/incidents.ts";
import { declaredIncidents, readProject, unreadSharesProblems } from "../cli/project.ts";
import { EXIT_INVALID, EXIT_OK, palette, UsageError } from "../cli/io.ts";
import { INCIDENT_ID, incidentIdProblem } from "../incident/fields.ts";

export const verifyCommand: Command = {
  name: "verify",
  usage: `usage: npx cordon verify [PATH...] [--stack-outputs FILE]... [--now ISO] [--all-shares [--incident ID]...] [--json]

After \`pulumi up\`: for each principal of every active incident (PATH: files or folders, default
every folder a stack of the project reads) in the account of the credentials in use (an incident's share there: run verify once
per account, as the workflows do), reads IAM and checks that
  - its deny policy is attached, with the planned document;
  - its listed access keys are Inactive, or deleted (IAM no longer has them: contained);
    a key IAM names another user as the owner of fails;
  - for a user, every credential IAM lists (access keys, service-specific credentials, SSH public
    keys, signing certificates) is Inactive or kept by name, its console password is gone unless
    kept, and the MFA devices the incident asks to deactivate are no longer its own; AWS's
    quarantine policy still attached is said;
  - IAM's policy simulator (SimulatePrincipalPolicy) gives an explicit deny for a sample of
    actions to a token issued one minute before the cutoff, and none from cordon's policy to a
    token issued one minute after it (deny-all: an explicit deny to both); for a user, to its
    GetSessionToken and GetFederationToken tokens issued before the cutoff too.
An access key of the user last used after the cutoff gets a warning, listed or not (a key kept by
name works after it on purpose): sessions it minted then are not revoked.
The instant of an at-containment incident comes from FILE only, never from the live policy (which
anyone allowed to edit it could have changed): without it, such an incident cannot be verified.
With the credentials of the stack that sets cordon:organization, also reads each of cordon's SCPs
and RCPs from Organizations and checks that it is live, with the planned document, attached to
exactly the planned targets, and that no other cordon guardrail lingers.

options:
  --stack-outputs FILE  \`pulumi stack output --json\` of this account's stack: the recorded
                        at-containment instants (needed to verify an at-containment incident)
  --now ISO             which incidents are active (default: now)
  --all-shares          exit 1 when a share in another account, or an organization guardrail, was
                        not checked (each is named on stderr as "not checked"), or is never
                        applied (its file outside the folder its account's stack reads,
                        cordon:incidentsDir: named as "not applied"): what the contain workflow's
                        report runs, so that a partial verify never passes for a proof; with
                        --json, "ok" is false then too
  --incident ID         with --all-shares, only the shares of these incidents count (the others are
                        still named as not checked): the contain workflow names its key's incidents,
                        so that another incident's share elsewhere does not fail its report; an id
                        no incident file has is refused (exit 1)
  --json                {"account", "ok", "principals": [{"type", "name", "ok", "checks": [...],
                        "warnings": [...]}], "guardrails": [{"kind", "name", "ok", "checks"}],
                        "notChecked": [...]} (docs/assess-verify.md)
  -h, --help            this text

exit: 0 the containment holds (in the credentials' account; with --all-shares, every share was
      checked), 1 a check failed, an incident file is invalid or --incident names no file's id
      (with --all-shares, or a share or guardrail was not checked), 2 usage error or AWS could not be asked`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...listFlags("stack-outputs", "incident"),
      ...stringFlags("now"),
      ...booleanFlags("json", "all-shares"),
    });
    const scope = values.incident ?? [];
    if (scope.length > 0 && !values["all-shares"])
      throw new UsageError("--incident narrows what --all-shares counts: give --all-shares too");
    for (const id of scope) if (!INCIDENT_ID.test(id)) throw new UsageError(`--incident: ${incidentIdProblem(id)}`);
    const { now, containment: recordedInstants, recorded } = readPreamble(values, io);
    const loaded = loadOrReport(positionals, io, now);
    if (!loaded) return EXIT_INVALID;
    // An id no file has would otherwise verify nothing, and pass for a proof.
    const unknown = scope.filter((id) => !loaded.some((incident) => incident.id === id));
    if (unknown.length > 0) {
      const where = incidentPaths(positionals, io).join(", ");
      for (const id of unknown)
        io.err(
          `cordon verify: --incident ${id}: no incident file in ${displayValue(where)} has this id: nothing of it can be verified\n`,
        );
      return EXIT_INVALID;
    }
    const project = readProject(io.cwd);
    // What the stacks declare: a share no stack reads is never applied, so never proven.
    const unapplied = unreadSharesProblems(loaded, project, io.cwd);
    const incidents = declaredIncidents(loaded, project, io.cwd);
    const known = currentInstants(recordedInstants, incidents);

    let report: VerifyReport;
    try {
      const clients = awsClients(io.env);
      const organization = project.organization;
      const plan = buildPlan(incidents, {
        containment: known,
        managedDenyRoles: recorded.managedDenyRoles,
        inlineDenyUsers: recorded.inlineDenyUsers,
        goneAccessKeys: recorded.goneAccessKeys,
        ...(organization ? { organization: organization.config } : {}),
      });
      report = await verifyContainment(liveIam(clients), plan, known, now, incidents);
      const guarded = plan.incidents.filter(
        (i) =>
          (i.organization.scp || i.organization.rcp) &&
          report.incidents.concat(report.notChecked.map((n) => n.incident)).includes(i.id),
      );
      if (organization !== undefined && organization.account === report.account) {
        // Only the organization stack's account can read its policies: checked from there.
        report.guardrails = guardrailChecks(
          plan.organizationPolicies,
          await liveOrganizations(clients).guardrails(),
          known,
        );
        report.ok = report.ok && report.guardrails.every((g) => g.ok);
      } else {
        for (const incident of guarded)
          report.notChecked.push({ kind: "guardrails", incident: incident.id, account: organization?.account ?? null });
      }
    } catch (error) {
      const failure = failureOf(error);
      io.err(`cordon verify: ${displayValue(failure.message)}\n`);
      return failure.exit;
    }
    const colours = palette(io, io.errIsTTY);
    for (const skipped of report.notChecked) {
      const what =
        skipped.kind === "share"
          ? `incident ${skipped.incident} has a share in account ${skipped.account}; the credentials in use are for ${report.account}: run verify with credentials for it`
          : skipped.account === null
            ? `the organization guardrails of incident ${skipped.incident}: no stack file here sets cordon:organization, so verify does not know where they are`
            : `the organization guardrails of incident ${skipped.incident}: only the organization stack's account ${skipped.account} can read them; the credentials in use are for ${report.account}: run verify with credentials for it`;
      io.err(`${colours.yellow("not checked")}: ${displayValue(what)}\n`);
    }
    for (const { message } of unapplied) io.err(`${colours.yellow("not applied")}: ${displayValue(message)}\n`);
    // With --all-shares, what was not checked (or is never applied) fails it: every share, or those of the named incidents.
    const counted = values["all-shares"]
      ? [
          ...report.notChecked.map((n) => ({ kind: n.kind, incident: n.incident })),
          ...unapplied.map((u) => ({ kind: "share" as const, incident: u.id })),
        ].filter((c) => scope.length === 0 || scope.includes(c.incident))
      : [];
    const partial = report.ok && counted.length > 0;
    // What AWS returned (a live policy's text, an ARN) is shown escaped. The text proves its
    // account's share and says so; the JSON's "ok" is the exit's.
    const shown = partial ? { ...report, ok: false } : report;
    io.out(values.json ? `${jsonSafe(JSON.stringify(shown, null, 2))}\n` : displaySafe(renderVerify(report)));
    if (partial) {
      const shares = counted.filter((c) => c.kind === "share").length;
      const guardrails = counted.length - shares;
      const what = [
        ...(shares > 0 ? [`${shares} ${shares === 1 ? "share" : "shares"}`] : []),
        ...(guardrails > 0 ? [`the guardrails of ${guardrails} ${guardrails === 1 ? "incident" : "incidents"}`] : []),
      ].join(" and ");
      const which = scope.length > 0 ? ` of ${[...new Set(counted.map((c) => c.incident))].join(", ")}` : "";
      // Proven "only" where something was proven: in the credentials' account, nothing may have been checked.
      const here = displayValue(report.account);
      const proven =
        report.principals.length + report.guardrails.length > 0
          ? `the containment is proven in account ${here} only`
          : `nothing was checked in account ${here} either (no active incident's principal there): the containment is proven nowhere`;
      io.err(`cordon verify: ${colours.red(`${what}${which} not checked`)} (--all-shares): ${proven}\n`);
      return EXIT_INVALID;
    }
    if (report.ok) return EXIT_OK;
    const failed = [
      ...report.principals.flatMap((p) => p.checks),
      ...report.guardrails.flatMap((g) => g.checks),
    ].filter((c) => !c.ok).length;
    io.err(
      `cordon verify: ${colours.red(`${failed} ${failed === 1 ? "check" : "checks"} failed`)}: the containment is not proven\n`,
    );
    return EXIT_INVALID;
  },
};

/** One line per principal, as in docs/assess-verify.md (02:26), then what failed and what to do. */
export function renderVerify(report: VerifyReport): string {
  if (report.principals.length === 0 && report.guardrails.length === 0) {
    return `no active incident for account ${report.account} at ${report.now}: nothing to verify\n`;
  }
  const mark = (ok: boolean) => (ok ? "✓" : "✗");
  const width = Math.max(...report.principals.map((p) => `${p.type} ${p.name}`.length));
  const lines: string[] = [];
  for (const p of report.principals) {
    const parts: string[] = [];
    const find = (check: Check["check"]) => p.checks.find((c) => c.check === check);
    const attached = find("deny-attached");
    const document = find("document-matches");
    parts.push(
      `deny attached ${mark(attached?.ok === true)}${document && !document.ok ? `  document ${mark(false)}` : ""}`,
    );
    for (const key of p.checks.filter((c) => c.check === "key-inactive")) {
      parts.push(`${key.accessKeyId} ${key.status ?? "not the user's"} ${mark(key.ok)}`);
    }
    const credentials = find("credentials-inactive");
    if (credentials) parts.push(`every other credential Inactive or kept ${mark(credentials.ok)}`);
    const password = find("console-password");
    if (password)
      parts.push(
        `console password ${password.message.endsWith(PASSWORD_KEPT) ? "kept" : password.ok ? "none" : "present"} ${mark(password.ok)}`,
      );
    const mfa = find("mfa-deactivated");
    if (mfa) parts.push(`MFA devices deactivated ${mark(mfa.ok)}`);
    const before = find("denied-before-cutoff");
    if (before)
      parts.push(
        before.decisions
          ? `token before cutoff: explicit deny ${mark(before.ok)}`
          : `token before cutoff: not simulated ${mark(false)}`,
      );
    const tokens = [find("session-token-denied"), find("federation-token-denied")].filter(
      (c): c is Check => c !== undefined,
    );
    if (tokens.length > 0)
      parts.push(
        `GetSessionToken and GetFederationToken before cutoff: explicit deny ${mark(tokens.every((c) => c.ok))}`,
      );
    const after = find("after-cutoff");
    if (after) {
      const allAllowed = after.decisions !== undefined && Object.values(after.decisions).every((d) => d === "allowed");
      const label =
        p.mode === "deny-all"
          ? "explicit deny (deny-all)"
          : after.ok
            ? allAllowed
              ? "allowed"
              : "not denied by cordon"
            : "denied by cordon";
      parts.push(`after: ${label} ${mark(after.ok)}`);
    }
    lines.push(`${`${p.type} ${p.name}`.padEnd(width)}  ${parts.join("  ")}`);
    for (const failed of p.checks.filter((c) => !c.ok))
      lines.push(`  ✗ ${failed.message}${failed.fix ? ` → ${failed.fix}` : ""}`);
    for (const warning of p.warnings) lines.push(`  ! ${warning}`);
  }
  for (const g of report.guardrails) {
    lines.push(
      `${g.kind} ${g.name}  ${g.checks.map((c) => `${c.check.replace("guardrail-", "")} ${mark(c.ok)}`).join("  ")}${g.incidents.length > 0 ? `  (${g.incidents.join(", ")})` : ""}`,
    );
    for (const failed of g.checks.filter((c) => !c.ok))
      lines.push(`  ✗ ${failed.message}${failed.fix ? ` → ${failed.fix}` : ""}`);
  }
  const incidents = `${report.incidents.length} active ${report.incidents.length === 1 ? "incident" : "incidents"}`;
  const principals = `${report.principals.length} ${report.principals.length === 1 ? "principal" : "principals"}`;
  const cutoffs = [...new Set(report.principals.map((p) => p.cutoff).filter((c): c is string => c !== null))].sort();
  lines.push(
    report.ok
      ? `containment holds: ${principals} of ${incidents} in account ${report.account}${cutoffs.length > 0 ? ` (cutoff ${cutoffs.join(", ")})` : ""}${report.guardrails.length > 0 ? `; ${report.guardrails.length} organization ${report.guardrails.length === 1 ? "guardrail" : "guardrails"} live and attached` : ""}`
      : `containment not proven: ${principals} of ${incidents} in account ${report.account}, see ✗ above`,
  );
  return `${lines.join("\n")}\n`;
}
