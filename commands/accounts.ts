import { formatDiagnostic } from "../incident/diagnostics.ts";
import { displaySafe, displayValue, jsonSafe } from "../incident/display.ts";
import { accountStacks, type AccountStack } from "../plan/project.ts";
import { booleanFlags, parseFlags, parseInstantFlag, stringFlags, type Command } from "../cli/command.ts";
import { loadOrReport } from "../cli/incidents.ts";
import { readProject, stackFoldersOf, unreadSharesProblems } from "../cli/project.ts";
import { EXIT_INVALID, EXIT_OK } from "../cli/io.ts";

export const accountsCommand: Command = {
  name: "accounts",
  usage: `usage: npx cordon accounts [PATH...] [--now ISO] [--json]

Lists every account whose stack a run must update (PATH: files or folders, default every folder a
stack of the project reads, found from any of its subfolders): each account an incident has a
principal in (or its replacement roles), the stack that sets cordon:organization when an incident
asks for a guardrail, and each account a stack file names, even with no incident left, so that
removing an expired file still reaches its stack. An incident counts for an account only when its
file is under the folder that account's stack reads (its cordon:incidentsDir, or the project's):
any other share is never applied, and is named in a warning. The stack of an account is <prefix>-<account>, the prefix
being the project's cordon:stackPrefix (default prod).
The pull-request and apply workflows build their matrix from --json (docs/organization.md).
An at-containment incident's instant is recorded by one stack, the one of its keys' account
(recordsContainment), and read by its other stacks (after): run the stacks that record first,
then those that read (docs/program.md).
Nothing is listed while any incident file is invalid. Needs no cloud account.

options:
  --now ISO   the instant the cutoff is checked against (default: now)
  --json      {"accounts": [{"account", "stack", "incidents": [...], "organization",
              "recordsContainment": [...], "after": [...]}]}
  -h, --help  this text

exit: 0 listed, 1 any incident file invalid or the stack files contradict each other, 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { ...stringFlags("now"), ...booleanFlags("json") });
    const now = parseInstantFlag("now", values.now) ?? new Date();
    const incidents = loadOrReport(positionals, io, now);
    if (!incidents) return EXIT_INVALID;
    const project = readProject(io.cwd);
    if (project.problems.length > 0) {
      // A matrix built from a wrong reading would skip a stack: list nothing rather than part.
      for (const problem of project.problems) io.err(`${displayValue(formatDiagnostic(problem))}\n`);
      const n = project.problems.length;
      io.err(`cordon accounts: ${n === 1 ? "1 problem" : `${n} problems`} in the project's files: no account listed\n`);
      return EXIT_INVALID;
    }
    // A share the account's stack does not read is not listed: its pulumi up would not declare it.
    for (const line of unreadSharesProblems(incidents, project, io.cwd).map((u) => u.message))
      io.err(`cordon accounts: warning: ${displayValue(line)}\n`);
    const accounts = accountStacks(incidents, project, project.stackAccounts, stackFoldersOf(project, io.cwd));
    io.out(
      values.json ? `${jsonSafe(JSON.stringify({ accounts }, null, 2))}\n` : displaySafe(renderAccounts(accounts)),
    );
    return EXIT_OK;
  },
};

/** One line per account: its stack, and what it declares. */
export function renderAccounts(accounts: AccountStack[]): string {
  if (accounts.length === 0) return "no incident and no stack file: no account to deploy\n";
  const width = Math.max(...accounts.map((a) => a.stack.length));
  const lines = accounts.map((a) => {
    const what =
      a.incidents.length === 0 ? "no incident (its stack runs to remove what it declared)" : a.incidents.join(", ");
    const order = [
      ...(a.recordsContainment.length > 0
        ? [`records the containment instant of ${a.recordsContainment.join(", ")}`]
        : []),
      ...(a.after.length > 0 ? [`runs after ${a.after.join(", ")}`] : []),
    ];
    return `${a.account}  ${a.stack.padEnd(width)}  ${a.organization ? "organization guardrails; " : ""}${what}${order.map((o) => ` · ${o}`).join("")}`;
  });
  return `${lines.join("\n")}\n`;
}
