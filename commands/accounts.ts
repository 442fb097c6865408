import { formatDiagnostic } from "../incident/diagnostics.ts";
import { displaySafe, displayValue, jsonSafe } from "../incident/display.ts";
import { accountStacks, problemsReach, stackName, type AccountStack, type Project } from "../plan/project.ts";
import { booleanFlags, parseFlags, parseInstantFlag, stringFlags, type Command } from "../cli/command.ts";
import { loadOrReport } from "../cli/incidents.ts";
import { readProject, requireProject, stackFoldersFrom, stackFoldersOf, unreadSharesProblems } from "../cli/project.ts";
import { EXIT_INVALID, EXIT_OK, UsageError, type Io } from "../cli/io.ts";

export const accountsCommand: Command = {
  name: "accounts",
  usage: `usage: npx cordon accounts [PATH...] [--now ISO] [--json]
       npx cordon accounts --folders [--json]

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
Nothing is listed while any incident file is invalid, or while Pulumi.yaml (or another project
file) has a problem. A problem of one stack file is a warning, in "problems": a file no stack
the workflows deploy reads stops nothing; Pulumi.<prefix>-<account>.yaml withholds its account
("withheld": not listed, so not deployed); every other account is listed (docs/lifecycle.md,
"When a stack file is refused"). Needs no cloud account.

options:
  --now ISO   the instant the cutoff is checked against (default: now)
  --folders   only the folders (below), one a line, from the project's files alone: no incident
              file is read, so a folder holding an invalid file is named all the same
  --json      {"accounts": [{"account", "stack", "incidents": [...], "organization",
              "recordsContainment": [...], "after": [...]}], "problems": ["FILE:LINE:COL CODE
              message", ...], "withheld": [ACCOUNT, ...], "withheldStacks": [STACK, ...],
              "folders": [...]}
              withheldStacks: each withheld account's stack (<prefix>-<account>), whose last
              applied state the pull-request workflow still reads (its outputs), so that guard
              judges a change to that account's incidents against what is applied
              folders: every folder a stack of the project reads (each stack file's
              cordon:incidentsDir and the project's), as paths from here, "." for the project
              folder, whether or not it exists yet: the contain and apply workflows commit,
              copy and remove incident files there, and the pull-request workflow takes a
              change there for an incident file (docs/lifecycle.md); with --folders,
              {"folders": [...]} alone
              (a withheld account's stack file cannot be read: its folder is not listed)
  -h, --help  this text

exit: 0 listed (with "problems", the accounts they do not stop), 1 any incident file invalid, a
problem of Pulumi.yaml, or two stacks set cordon:organization, 2 usage error (--folders: or outside
any project)`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...stringFlags("now"),
      ...booleanFlags("json", "folders"),
    });
    if (values.folders) return listFolders(positionals, values.json === true, io);
    const now = parseInstantFlag("now", values.now) ?? new Date();
    const incidents = loadOrReport(positionals, io, now);
    if (!incidents) return EXIT_INVALID;
    const project = readProject(io.cwd);
    const withheld = reportProblems(project, "account", io);
    if (withheld === undefined) return EXIT_INVALID;
    // A share the account's stack does not read is not listed: its pulumi up would not declare it.
    for (const line of unreadSharesProblems(incidents, project, io.cwd).map((u) => u.message))
      io.err(`cordon accounts: warning: ${displayValue(line)}\n`);
    const accounts = accountStacks(incidents, project, project.stackAccounts, stackFoldersOf(project, io.cwd)).filter(
      (stack) => !withheld.includes(stack.account),
    );
    io.out(
      values.json
        ? `${jsonSafe(JSON.stringify({ accounts, problems: project.problems.map(formatDiagnostic), withheld, withheldStacks: withheld.map((account) => stackName(project.stackPrefix, account)), folders: stackFoldersFrom(project, io.cwd) }, null, 2))}\n`
        : displaySafe(renderAccounts(accounts)),
    );
    return EXIT_OK;
  },
};

/**
 * The project's problems, each located, then one line; the accounts whose stacks they withhold, or
 * undefined when a problem reaches every stack (nothing is listed from a wrong reading).
 */
function reportProblems(project: Project, what: "account" | "folder", io: Io): string[] | undefined {
  const { everyStack, withheld } = problemsReach(project);
  const problems = project.problems.map(formatDiagnostic);
  const n = problems.length;
  const count = n === 1 ? "1 problem" : `${n} problems`;
  if (everyStack) {
    // Every stack's reading hangs on it: a matrix built from a wrong reading would skip a stack,
    // or deploy one unread. List nothing rather than part.
    for (const problem of problems) io.err(`${displayValue(problem)}\n`);
    io.err(`cordon accounts: ${count} in the project's files: no ${what} listed\n`);
    return undefined;
  }
  // A problem of one stack file stops only the stack that reads it, if any (problemReach): the
  // other accounts are listed, so that their containment goes on; the workflows still fail on it.
  for (const problem of problems) io.err(`cordon accounts: warning: ${displayValue(problem)}\n`);
  if (n > 0) {
    const held =
      withheld.length === 0
        ? "they apply nothing, and stop no stack"
        : `account ${withheld.join(", ")} withheld (its stack would read a file cordon cannot: not listed, not deployed)`;
    io.err(`cordon accounts: warning: ${count} in the stack files: ${held}; every other ${what} is listed\n`);
  }
  return withheld;
}

/**
 * `--folders`: every folder a stack reads, from the project's files alone. The contain workflow
 * asks it before guard judges what it commits: an invalid incident file is guard's to refuse, and
 * must not hide where the files are.
 */
function listFolders(positionals: string[], json: boolean, io: Io): number {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}": --folders reads the project's files only`);
  const project = requireProject(io.cwd);
  // The readable stacks' folders (a withheld stack's file cannot say which folder it reads).
  if (reportProblems(project, "folder", io) === undefined) return EXIT_INVALID;
  const folders = stackFoldersFrom(project, io.cwd);
  // One a line, a line break in a name escaped: --json gives each name as it is.
  io.out(
    json ? `${jsonSafe(JSON.stringify({ folders }, null, 2))}\n` : folders.map((f) => `${displayValue(f)}\n`).join(""),
  );
  return EXIT_OK;
}

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
