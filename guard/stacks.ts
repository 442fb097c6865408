/**
 * What each stack applies, as guard judges it: the account it deploys (`cordon:account`), the
 * folder it reads its incidents from (`cordon:incidentsDir`), and where it attaches the
 * organization guardrails, from the project as plan/project.ts reads it. A change to them changes
 * what `pulumi up` applies without touching an incident: guard judges it (guard.ts,
 * `stackCoverage`). guard reads the project at the repository's root, so a stack's folder is
 * also its path from the root.
 */
import { formatDiagnostic } from "../incident/diagnostics.ts";
import type { SourceFile } from "../incident/types.ts";
import { problemReach, type Project } from "../plan/project.ts";

export interface Stack {
  /** The stack's name, from its file name. */
  name: string;
  /** The stack file, from the repository's root. */
  file: string;
  account: string;
  /** The incidents folder, from the repository's root, `/`-separated, without `./` or a trailing `/`. */
  dir: string;
  /** The stack file imports ESC environments: config they set is not seen here. */
  environments: boolean;
  /**
   * The roots, OUs and accounts it attaches the organization guardrails to (`cordon:organization`),
   * sorted; null for every stack but the organization's.
   */
  guardrailTargets: string[] | null;
}

export interface StacksResult {
  stacks: Stack[];
  /**
   * What names every stack of the project: Pulumi.yaml's `name` and `cordon:stackPrefix`. The
   * workflows deploy `<prefix>-<account>` of that project; a change to either moves every stack.
   */
  identity: { project: string | undefined; stackPrefix: string };
  /** The project's `cordon:incidentsDir` (default `incidents`): what the stack of an account without a stack file reads. */
  incidentsDir: string;
  /**
   * What stops reading what the stacks apply, one line each (`FILE:LINE:COL CODE message`): every
   * problem but those of the files in `unread`.
   */
  problems: string[];
  /**
   * The stack files refused that no stack the workflows deploy reads (plan/project.ts,
   * problemReach: a second file of an account, another extension): they apply nothing, so guard
   * judges the stacks without them; each with its text and its problems' lines, sorted by file.
   */
  unread: { file: string; text: string; problems: string[] }[];
  /**
   * The stack files that withhold their account (plan/project.ts, problemReach `stack`), each with
   * its text, its account and its problems' lines (which stay in `problems` too), sorted by file.
   */
  withheld: { file: string; text: string; account: string; problems: string[] }[];
}

/** The stacks of a revision's project (from `files`, its project and stack files), and its problems as lines. */
export function stacksOf(project: Project, files: readonly SourceFile[]): StacksResult {
  const unread = new Map<string, string[]>();
  const withheld = new Map<string, { account: string; problems: string[] }>();
  const problems: string[] = [];
  for (const problem of project.problems) {
    const reach = problemReach(problem, project.stackPrefix);
    if (reach.kind === "unread")
      unread.set(problem.file, [...(unread.get(problem.file) ?? []), formatDiagnostic(problem)]);
    else problems.push(formatDiagnostic(problem));
    if (reach.kind === "stack")
      withheld.set(problem.file, {
        account: reach.account,
        problems: [...(withheld.get(problem.file)?.problems ?? []), formatDiagnostic(problem)],
      });
  }
  const text = new Map(files.map((file) => [file.path, file.text]));
  return {
    stacks: project.stacks.map((s) => ({
      name: s.name,
      file: s.file,
      account: s.account,
      dir: s.incidentsDir,
      environments: s.environments,
      guardrailTargets: s.organization?.targets ?? null,
    })),
    identity: { project: project.name, stackPrefix: project.stackPrefix },
    incidentsDir: project.incidentsDir,
    problems,
    unread: [...unread].map(([file, lines]) => ({ file, text: text.get(file) ?? "", problems: lines })),
    withheld: [...withheld]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([file, held]) => ({ file, text: text.get(file) ?? "", ...held })),
  };
}

/** Whether a repository path lies inside a folder (the root, `""`, holds everything): the project's rule, at the root. */
export { insideFolder } from "../plan/project.ts";
