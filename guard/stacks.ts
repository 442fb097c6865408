/**
 * What each stack applies, as guard judges it: the account it deploys (`cordon:account`), the
 * folder it reads its incidents from (`cordon:incidentsDir`), and where it attaches the
 * organization guardrails, from the project as plan/project.ts reads it. A change to them changes
 * what `pulumi up` applies without touching an incident: guard judges it (guard.ts,
 * `stackCoverage`). guard reads the project at the repository's root, so a stack's folder is
 * also its path from the root.
 */
import { formatDiagnostic } from "../incident/diagnostics.ts";
import type { Project } from "../plan/project.ts";

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
  /** One line each: `FILE:LINE:COL CODE message`. */
  problems: string[];
}

/** The stacks of a revision's project, and its problems as lines. */
export function stacksOf(project: Project): StacksResult {
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
    problems: project.problems.map(formatDiagnostic),
  };
}

/** Whether a repository path lies inside a folder (the root, `""`, holds everything): the project's rule, at the root. */
export { insideFolder } from "../plan/project.ts";
