import { formatInstant } from "../incident/time.ts";
import { awsClients, type Clients } from "../aws/clients.ts";
import { failureOf } from "../aws/errors.ts";
import { callerAccount, readLiveKeys, readLiveRole, readLiveUser, simulate } from "../aws/iam.ts";
import {
  compareDocuments,
  keyChecks,
  notSimulated,
  offsetInstant,
  policyChecks,
  principalCutoff,
  SIMULATED_ACTIONS,
  SIMULATION_OFFSET_MS,
  simulationChecks,
  type Check,
  type LivePrincipal,
} from "../iam/verify.ts";
import { buildPlan, POLICY_PATH, type ContainmentInstants, type DenyPolicy, type Plan } from "../plan/plan.ts";
import { isActive } from "../plan/lifecycle.ts";
import { recordedFor } from "../plan/policies.ts";
import { parseFlags, type Command } from "../cli/command.ts";
import { loadOrReport, readPreamble } from "../cli/incidents.ts";
import { EXIT_INVALID, EXIT_OK, palette } from "../cli/io.ts";

export const verifyCommand: Command = {
  name: "verify",
  summary: "prove with IAM's simulator that the containment holds",
  usage: `usage: npx cordon verify [PATH...] [--stack-outputs FILE] [--now ISO] [--json]

After \`pulumi up\`: for each principal of every active incident (PATH: files or folders, default
incidents/) in the account of the credentials in use, reads IAM and checks that
  - its deny policy is attached, with the planned document;
  - its listed access keys are Inactive;
  - IAM's policy simulator (SimulatePrincipalPolicy) gives an explicit deny for a sample of
    actions to a token issued one minute before the cutoff, and none from cordon's policy to a
    token issued one minute after it (deny-all: an explicit deny to both).
A listed key last used after the cutoff gets a warning: sessions it minted then are not revoked.
The instant of an at-containment incident is read from the live policy, or from FILE.

options:
  --stack-outputs FILE  \`pulumi stack output --json\`: the recorded at-containment instants
  --now ISO             which incidents are active (default: now)
  --json                {"account", "ok", "principals": [{"type", "name", "ok", "checks": [...],
                        "warnings": [...]}], "notChecked": [...]} (docs/assess-verify.md)
  -h, --help            this text

exit: 0 the containment holds, 1 a check failed or an incident file is invalid,
      2 usage error or AWS could not be asked`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      "stack-outputs": { type: "string" },
      now: { type: "string" },
      json: { type: "boolean" },
    });
    const { now, containment: known } = readPreamble(values, io);
    const incidents = loadOrReport(positionals, io, now);
    if (!incidents) return EXIT_INVALID;

    let report: VerifyReport;
    try {
      report = await verify(awsClients(io.env), buildPlan(incidents, { containment: known }), known, now);
    } catch (error) {
      const failure = failureOf(error);
      io.err(`cordon verify: ${failure.message}\n`);
      return failure.exit;
    }
    const colours = palette(io, io.errIsTTY);
    for (const skipped of report.notChecked) {
      io.err(`${colours.yellow("not checked")}: incident ${skipped.incident} is for account ${skipped.account}; the credentials in use are for ${report.account}: run verify with credentials for it\n`);
    }
    io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderVerify(report));
    if (report.ok) return EXIT_OK;
    const failed = report.principals.flatMap((p) => p.checks).filter((c) => !c.ok).length;
    io.err(`cordon verify: ${colours.red(`${failed} ${failed === 1 ? "check" : "checks"} failed`)}: the containment is not proven\n`);
    return EXIT_INVALID;
  },
};

export interface PrincipalReport {
  type: "user" | "role";
  name: string;
  arn: string | null;
  incidents: string[];
  mode: DenyPolicy["mode"];
  policyName: string;
  /** `arn:aws:iam::<account>:policy/cordon/<name>` for users; null for roles (inline). */
  policyArn: string | null;
  /** The instant sessions are revoked before; null while unknown. */
  cutoff: string | null;
  /** Where the cutoff comes from: the incident files, the stack outputs, or the live policy. */
  cutoffSource: "incident" | "stack-outputs" | "live-policy" | null;
  ok: boolean;
  checks: Check[];
  warnings: string[];
}

export interface VerifyReport {
  account: string;
  now: string;
  ok: boolean;
  /** Active incidents of this account, by id. */
  incidents: string[];
  principals: PrincipalReport[];
  /** Active incidents of other accounts: the credentials in use cannot see them. */
  notChecked: { incident: string; account: string }[];
}

/** Reads IAM for every principal of every active incident of the credentials' account and checks it. */
export async function verify(clients: Clients, all: Plan, known: ContainmentInstants, now: Date): Promise<VerifyReport> {
  const account = await callerAccount(clients);
  const active = all.incidents.filter((i) => isActive(i, now));
  const activeIds = new Set(active.filter((i) => i.account === account).map((i) => i.id));
  const checked = all.denyPolicies.filter((deny) => deny.account === account && deny.incidents.some((id) => activeIds.has(id)));

  const live: LivePrincipal[] = [];
  for (const deny of checked) live.push(await readLive(clients, deny));
  // An incident's containment instant is one for all its principals: read from any live policy
  // that holds it, it completes the others (a role whose policy was removed is still simulated).
  const recorded: ContainmentInstants = {};
  checked.forEach((deny, i) => {
    const policy = live[i].policy;
    if (policy.state !== "attached") return;
    for (const [id, instant] of Object.entries(compareDocuments(deny.document, policy.document, known).containment)) recorded[id] ??= instant;
  });

  const principals: PrincipalReport[] = [];
  for (const [i, deny] of checked.entries()) principals.push(await verifyPrincipal(clients, all, deny, live[i], known, recorded, now));
  return {
    account,
    now: formatInstant(now),
    ok: principals.every((p) => p.ok),
    incidents: [...activeIds].sort(),
    principals,
    notChecked: active.filter((i) => i.account !== account).map((i) => ({ incident: i.id, account: i.account })),
  };
}

function policyArnOf(deny: DenyPolicy): string | null {
  return deny.attachment === "managed" ? `arn:aws:iam::${deny.account}:policy${POLICY_PATH}${deny.policyName}` : null;
}

function readLive(clients: Clients, deny: DenyPolicy): Promise<LivePrincipal> {
  const { type, name } = deny.principal;
  return type === "user" ? readLiveUser(clients, name, policyArnOf(deny) as string) : readLiveRole(clients, name, deny.policyName);
}

async function verifyPrincipal(
  clients: Clients,
  plan: Plan,
  deny: DenyPolicy,
  live: LivePrincipal,
  known: ContainmentInstants,
  recorded: ContainmentInstants,
  now: Date,
): Promise<PrincipalReport> {
  const { type, name } = deny.principal;
  const containment = { ...recorded, ...known };
  // Compared with every instant known: a live instant other than the one recorded is a change.
  const comparison = live.policy.state === "attached" ? compareDocuments(deny.document, live.policy.document, containment) : null;
  const incidentCutoffs = plan.incidents.filter((i) => deny.incidents.includes(i.id)).map((i) => recordedFor(containment, i.id) ?? i.cutoff);
  const cutoff = principalCutoff(deny, containment, incidentCutoffs) ?? (deny.mode === "deny-all" ? formatInstant(now) : null);
  const deferred = plan.incidents.filter((i) => deny.incidents.includes(i.id) && i.atContainment).map((i) => i.id);
  const cutoffSource = cutoff === null ? null : deferred.length === 0 ? "incident" : deferred.every((id) => recordedFor(known, id) !== undefined) ? "stack-outputs" : "live-policy";

  const checks = policyChecks(deny, live, comparison);
  const warnings: string[] = [];
  if (type === "user" && live.arn !== null) {
    const listed = plan.accessKeys.filter((k) => k.account === deny.account && k.user.toLowerCase() === name.toLowerCase()).map((k) => k.accessKeyId);
    if (listed.length > 0) {
      const keys = keyChecks(name, await readLiveKeys(clients, name, listed), cutoff);
      checks.push(...keys.checks);
      warnings.push(...keys.warnings);
    }
  }
  if (live.arn !== null) {
    if (cutoff === null) {
      const pending = deny.pendingContainment.filter((id) => recordedFor(containment, id) === undefined);
      checks.push(
        notSimulated(
          `not simulated: the containment instant of ${pending.join(", ")} is not known (no live deny policy holds it)`,
          "run `pulumi up` to contain it, or pass --stack-outputs with the recorded instant",
        ),
      );
    } else {
      const before = await simulate(clients, live.arn, SIMULATED_ACTIONS, offsetInstant(cutoff, -SIMULATION_OFFSET_MS));
      const after = await simulate(clients, live.arn, SIMULATED_ACTIONS, offsetInstant(cutoff, SIMULATION_OFFSET_MS));
      checks.push(...simulationChecks(deny, cutoff, before, after));
    }
  }
  return {
    type,
    name,
    arn: live.arn,
    incidents: deny.incidents,
    mode: deny.mode,
    policyName: deny.policyName,
    policyArn: policyArnOf(deny),
    cutoff,
    cutoffSource,
    ok: checks.every((c) => c.ok),
    checks,
    warnings,
  };
}

/** One line per principal, as in docs/assess-verify.md (02:26), then what failed and what to do. */
export function renderVerify(report: VerifyReport): string {
  if (report.principals.length === 0) {
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
    parts.push(`deny attached ${mark(attached?.ok === true)}${document && !document.ok ? `  document ${mark(false)}` : ""}`);
    for (const key of p.checks.filter((c) => c.check === "key-inactive")) {
      parts.push(`${key.accessKeyId} ${key.status ?? "not found"} ${mark(key.ok)}`);
    }
    const before = find("denied-before-cutoff");
    if (before) parts.push(before.decisions ? `token before cutoff: explicit deny ${mark(before.ok)}` : `token before cutoff: not simulated ${mark(false)}`);
    const after = find("after-cutoff");
    if (after) {
      const allAllowed = after.decisions !== undefined && Object.values(after.decisions).every((d) => d === "allowed");
      const label = p.mode === "deny-all" ? "explicit deny (deny-all)" : after.ok ? (allAllowed ? "allowed" : "not denied by cordon") : "denied by cordon";
      parts.push(`after: ${label} ${mark(after.ok)}`);
    }
    lines.push(`${`${p.type} ${p.name}`.padEnd(width)}  ${parts.join("  ")}`);
    for (const failed of p.checks.filter((c) => !c.ok)) lines.push(`  ✗ ${failed.message}${failed.fix ? ` → ${failed.fix}` : ""}`);
    for (const warning of p.warnings) lines.push(`  ! ${warning}`);
  }
  const incidents = `${report.incidents.length} active ${report.incidents.length === 1 ? "incident" : "incidents"}`;
  const principals = `${report.principals.length} ${report.principals.length === 1 ? "principal" : "principals"}`;
  const cutoffs = [...new Set(report.principals.map((p) => p.cutoff).filter((c): c is string => c !== null))].sort();
  lines.push(
    report.ok
      ? `containment holds: ${principals} of ${incidents} in account ${report.account}${cutoffs.length > 0 ? ` (cutoff ${cutoffs.join(", ")})` : ""}`
      : `containment not proven: ${principals} of ${incidents} in account ${report.account}, see ✗ above`,
  );
  return `${lines.join("\n")}\n`;
}
