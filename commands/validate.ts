import { formatDiagnostic } from "../incident/diagnostics.ts";
import { displaySafe, displayValue } from "../incident/display.ts";
import { missingStackFolders, readProject, unreadSharesProblems } from "../cli/project.ts";
import { problemsReach } from "../plan/project.ts";
import { parseFlags, parseInstantFlag, stringFlags, type Command } from "../cli/command.ts";
import { loadOrReport } from "../cli/incidents.ts";
import { EXIT_INVALID, EXIT_OK } from "../cli/io.ts";
import { buildPlan, oversizedDenies } from "../plan/plan.ts";
import { instantOutreachProblem } from "../plan/containment.ts";

export const validateCommand: Command = {
  name: "validate",
  usage: `usage: npx cordon validate [PATH...] [--now ISO]

Checks incident files (PATH: files or folders, default every folder a stack of the project reads,
found from any of its subfolders) against the schema and cordon's rules, and lists every error of
every file, as FILE:LINE:COL CODE message. A valid file outside the folder its account's stack
reads (cordon:incidentsDir), whose share there is never applied, is a warning (exit 0), as is a
stack whose folder does not exist. Then their plan, as pulumi up would refuse it in one account: a deny
policy over IAM's size (one user or role named by too many at-containment incidents), a warning
(exit 0: the other accounts are still applied; guard blocks a change that makes one). Inside a project, its Pulumi.yaml and stack files too (their cordon:*
settings): with a problem of Pulumi.yaml, cordon accounts lists no account and no stack is
deployed (exit 1); a problem of one stack file is a warning, and stops at most the account it is
named for (docs/lifecycle.md, "When a stack file is refused").
Outside a project (no Pulumi.yaml here or above), name the files.

options:
  --now ISO   the instant the cutoff is checked against (default: now)
  -h, --help  this text

exit: 0 all valid (a problem of one stack file is a warning), 1 an incident file invalid, or a
problem that stops every stack (of Pulumi.yaml, two stacks setting cordon:organization), 2 usage
error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, stringFlags("now"));
    const now = parseInstantFlag("now", values.now) ?? new Date();
    const project = readProject(io.cwd);
    const incidents = loadOrReport(positionals, io, now);
    const problems = project.dir === undefined ? [] : project.problems;
    // A problem of one stack file stops only the stack that reads it (problemReach): a warning, as
    // cordon accounts says it, for every workflow leg validates with no account scope, and a
    // failure there would stop pulumi up in every account. Any other stops every stack.
    const { everyStack, withheld } = problemsReach(project);
    const problemCount = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    for (const problem of problems)
      io.err(`${everyStack ? "" : "cordon validate: warning: "}${displayValue(formatDiagnostic(problem))}\n`);
    if (everyStack)
      io.err(
        `${problemCount} in the project's Pulumi.yaml and stack files: cordon accounts lists no account, and no stack is deployed, until they are fixed\n`,
      );
    else if (problems.length > 0)
      io.err(
        `cordon validate: warning: ${problemCount} in the stack files: ${withheld.length === 0 ? "they apply nothing, and stop no stack" : `account ${withheld.join(", ")} is not deployed until they are fixed`}; guard refuses a change that brings one, and apply.yml's run fails while one is there\n`,
      );
    if (!incidents) return EXIT_INVALID;
    const count = incidents.length;
    // Valid, and never applied where the file says: a warning, as below (a failure would stop
    // pulumi up in every account for one file put in the wrong folder).
    const folders = missingStackFolders(project).map(
      (stack) =>
        `${stack.file}: cordon:incidentsDir ${stack.incidentsDir} does not exist: that stack's pulumi up fails (E_READ no such file or folder), declaring nothing`,
    );
    for (const line of [...folders, ...unreadSharesProblems(incidents, project, io.cwd).map((u) => u.message)])
      io.err(`cordon validate: warning: ${displayValue(line)}\n`);
    // Valid, and covered less than the file may suggest: said, and the files stay valid.
    for (const incident of incidents) {
      const outreach = instantOutreachProblem(incident);
      if (outreach !== undefined)
        io.err(`cordon validate: warning: incident ${incident.id}: ${displayValue(outreach)}\n`);
    }
    // Valid one by one, yet a plan pulumi up refuses in one account: the program's own size rule
    // says so. A warning, not a failure: every workflow leg validates with no account scope, and
    // a failure there would stop pulumi up in every account, while the program refuses only the
    // account whose deny is too large (guard blocks a change that makes one too large).
    const oversized = oversizedDenies(buildPlan(incidents));
    for (const line of oversized) io.err(`cordon validate: warning: ${displayValue(line)}\n`);
    if (oversized.length > 0)
      io.err(
        `${count} ${count === 1 ? "incident is" : "incidents are"} valid one by one, but their plan is not: pulumi up would declare nothing in ${oversized.length === 1 ? "the account" : "each account"} named above, on every run until it is fixed; the other accounts are applied\n`,
      );
    io.out(
      displaySafe(
        count === 0
          ? "no incident files found: nothing to validate\n"
          : `${count} ${count === 1 ? "incident" : "incidents"} valid: ${incidents.map((i) => i.id).join(", ")}\n`,
      ),
    );
    return everyStack ? EXIT_INVALID : EXIT_OK;
  },
};
