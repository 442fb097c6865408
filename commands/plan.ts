import { displayValues, jsonSafe } from "../incident/display.ts";
import { staleCutoff } from "../incident/expiry.ts";
import { ACCOUNT_ID, accountFlagProblem, staleCutoffProblem } from "../incident/fields.ts";
import { buildPlan } from "../plan/plan.ts";
import { renderPlan } from "../plan/render.ts";
import { parseFlags, type Command } from "../cli/command.ts";
import { loadOrReport, readPreamble } from "../cli/incidents.ts";
import { EXIT_INVALID, EXIT_OK, palette, UsageError } from "../cli/io.ts";

export const planCommand: Command = {
  name: "plan",
  summary: "print what `pulumi up` would declare for the incident files",
  usage: `usage: npx cordon plan [PATH...] [--account ID] [--now ISO] [--stack-outputs FILE] [--json]

Validates the incident files (PATH: files or folders, default incidents/) and prints the plan:
the deny policy of each principal, the keys to disable, the replacement roles, and when each
incident expires. Needs no cloud account: it is what \`pulumi preview\` will show, in cordon's words.

options:
  --account ID          only the incidents of this account (a stack deploys one account)
  --now ISO             the instant the cutoff is checked against (default: now)
  --stack-outputs FILE  \`pulumi stack output --json\`: fills in recorded at-containment instants,
                        the keys IAM no longer had, and the roles given a managed deny
  --json                the plan as JSON (see README: the plan contract)
  -h, --help            this text

exit: 0 planned, 1 any incident file invalid, 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      account: { type: "string" },
      now: { type: "string" },
      "stack-outputs": { type: "string" },
      json: { type: "boolean" },
    });
    if (values.account !== undefined && !ACCOUNT_ID.test(values.account)) throw new UsageError(accountFlagProblem(values.account));
    const { now, containment, recorded } = readPreamble(values, io);
    const incidents = loadOrReport(positionals, io, now);
    if (!incidents) return EXIT_INVALID;
    const plan = buildPlan(incidents, { account: values.account, containment, ...recorded });
    for (const incident of incidents.filter((i) => values.account === undefined || i.account === values.account)) {
      const stale = staleCutoff(incident, now);
      if (stale !== undefined) io.err(`cordon plan: warning: incident ${incident.id}: ${staleCutoffProblem(stale)}\n`);
    }
    if (values.json) io.out(`${jsonSafe(JSON.stringify(plan, null, 2))}\n`);
    // Values escaped before the colours go in: the colours are cordon's, the values are not.
    else io.out(renderPlan(displayValues(plan), palette(io, !io.env.NO_COLOR && process.stdout.isTTY === true)));
    return EXIT_OK;
  },
};
