import { formatDiagnostic } from "../incident/diagnostics.ts";
import { currentInstants } from "../plan/outputs.ts";
import { displayValue, displayValues, jsonSafe } from "../incident/display.ts";
import { staleCutoff } from "../incident/expiry.ts";
import { ACCOUNT_ID, accountFlagProblem, staleCutoffProblem } from "../incident/fields.ts";
import { accountsOf } from "../plan/accounts.ts";
import { buildPlan, oversizedDenies } from "../plan/plan.ts";
import { credentialPlan } from "../plan/credentials.ts";
import { instantOutreachProblem } from "../plan/containment.ts";
import { rootUserPlans } from "../plan/organization.ts";
import { renderPlan } from "../plan/render.ts";
import { booleanFlags, listFlags, parseFlags, stringFlags, type Command } from "../cli/command.ts";
import { loadOrReport, readPreamble } from "../cli/incidents.ts";
import { declaredIncidents, readProject, unreadSharesProblems } from "../cli/project.ts";
import { EXIT_INVALID, EXIT_OK, palette, UsageError } from "../cli/io.ts";

export const planCommand: Command = {
  name: "plan",
  usage: `usage: npx cordon plan [PATH...] [--account ID] [--now ISO] [--stack-outputs FILE]... [--json]

Validates the incident files (PATH: files or folders, default every folder a stack of the project
reads, found from any of its subfolders) and prints the plan of those a stack reads: the deny
policy of each principal, the keys to disable, every other credential of each user and its fate
(what IAM lists at pulumi up, or what the last run listed, with --stack-outputs), the console
passwords deleted, the replacement roles, when each incident expires, and the organization
guardrails (SCP and RCP, root users included) of the incidents that ask for them, with the
targets of the stack file that sets cordon:organization. An incident outside the folder its
account's stack reads (cordon:incidentsDir) is never applied: it is left out, named in a warning.
Needs no cloud account: it is what \`pulumi preview\` will show, in cordon's words.

options:
  --account ID          only this account's share, as its stack (prod-ID) declares it: the deny
                        policies and keys of its principals, its incidents' replacement roles, and
                        the guardrails when it is the organization stack's account
  --now ISO             the instant the cutoff is checked against (default: now)
  --stack-outputs FILE  \`pulumi stack output --json\` of a stack (repeat it for several): fills in
                        recorded at-containment instants, the keys IAM no longer had, and the roles
                        given a managed deny
  --json                the plan as JSON (see README: the plan contract)
  -h, --help            this text

exit: 0 planned, 1 any incident file invalid or a deny policy too large for IAM, 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...stringFlags("account", "now"),
      ...listFlags("stack-outputs"),
      ...booleanFlags("json"),
    });
    const account = values.account;
    if (account !== undefined && !ACCOUNT_ID.test(account)) throw new UsageError(accountFlagProblem(account));
    const { now, containment: recordedInstants, recorded, outputs, listings } = readPreamble(values, io);
    const loaded = loadOrReport(positionals, io, now);
    if (!loaded) return EXIT_INVALID;
    const project = readProject(io.cwd);
    for (const problem of project.problems)
      io.err(`cordon plan: warning: ${displayValue(formatDiagnostic(problem))}\n`);
    // What the stacks declare: an incident no stack reads is left out, and each share never applied is said.
    for (const line of unreadSharesProblems(loaded, project, io.cwd).map((u) => u.message))
      io.err(`cordon plan: warning: ${displayValue(line)}\n`);
    const incidents = declaredIncidents(loaded, project, io.cwd, account);
    // One account: as its stack declares it, with the instants and facts that stack recorded.
    const own = account === undefined ? undefined : outputs.find((o) => o.account === account);
    // The instants that hold for the files as they are: of that stack, or of every stack given.
    const containment = currentInstants(own?.containment ?? recordedInstants, incidents);
    // Every account: the guardrails too, attached to no target when no stack file configures them.
    const organization =
      account === undefined
        ? (project.organization?.config ?? { targets: [], managementAccount: null })
        : project.organization?.account === account
          ? project.organization.config
          : undefined;
    const plan = buildPlan(incidents, {
      account,
      organization,
      containment,
      ...(own?.recorded ?? recorded),
    });
    for (const incident of incidents.filter((i) => account === undefined || accountsOf(i).includes(account))) {
      const stale = staleCutoff(incident, now);
      if (stale !== undefined) io.err(`cordon plan: warning: incident ${incident.id}: ${staleCutoffProblem(stale)}\n`);
      const outreach = instantOutreachProblem(incident);
      if (outreach !== undefined) io.err(`cordon plan: warning: incident ${incident.id}: ${displayValue(outreach)}\n`);
    }
    // What IAM would refuse at pulumi up: said before the plan, and the plan is not one to merge.
    const oversized = oversizedDenies(plan);
    for (const line of oversized) io.err(`cordon plan: error: ${displayValue(line)}\n`);
    // Every credential of every user: as the given stacks' last runs listed them, or what pulumi up will list.
    const ownListings = account === undefined ? listings : (own?.listings ?? []);
    const credentials = credentialPlan(incidents, {
      account,
      containment,
      ...(ownListings.length > 0 ? { listings: ownListings } : {}),
    });
    const rootUsers = organization === undefined ? [] : rootUserPlans(incidents, organization);
    if (values.json) io.out(`${jsonSafe(JSON.stringify({ ...plan, credentials, rootUsers }, null, 2))}\n`);
    // Values escaped before the colours go in: the colours are cordon's, the values are not.
    else
      io.out(
        renderPlan(displayValues(plan), palette(io, !io.env.NO_COLOR && process.stdout.isTTY === true), {
          ...displayValues({ credentials, rootUsers }),
          ...(account === undefined
            ? {}
            : { found: { account, incidents: loaded.map((i) => ({ accounts: accountsOf(i) })) } }),
        }),
      );
    return oversized.length > 0 ? EXIT_INVALID : EXIT_OK;
  },
};
