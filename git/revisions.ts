/**
 * The reading shell of `cordon guard`: the stack files and the incident files of the two
 * revisions it compares (the head may be the working tree), and the paths the change touches.
 * Every folder that a stack reads, at the base or at the head, is read on both sides, so that a
 * file moved between them is followed. What it concludes is judge.ts's.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Diagnostic } from "../incident/diagnostics.ts";
import { readIncidentSources } from "../incident/read.ts";
import type { SourceFile } from "../incident/types.ts";
import {
  changedEntries,
  contentsOf,
  incidentFilesIn,
  repoPath,
  repoRoot,
  resolveCommit,
  rootFilesIn,
  treeAt,
  type Blob,
} from "./repository.ts";
import type { Revision, Revisions } from "../guard/judge.ts";
import { DEFAULT_INCIDENTS_DIR, PROJECT_FILE, readProjectFolder, STACK_FILE } from "../plan/project.ts";
import { stacksOf } from "../guard/stacks.ts";

/** DIR names a folder outside the repository. */
export class OutsideRepositoryError extends Error {}

/** guard runs inside a Pulumi project that is not at the root of its repository. */
export class ProjectNotAtRootError extends Error {}

const isStackOrProject = (name: string) => STACK_FILE.test(name) || PROJECT_FILE.test(name);

/** The stacks of a revision, from its project file and stack files (at the repository's root). */
function projectOf(files: SourceFile[]): Pick<Revision, "stacks" | "stackFiles" | "protectedPrincipals"> {
  const project = readProjectFolder(files);
  const stacks = stacksOf(project, files);
  return {
    stacks,
    // A file no stack reads counts as none: the side is judged without it.
    stackFiles: files.filter((file) => STACK_FILE.test(file.path)).length - stacks.unread.length,
    protectedPrincipals: project.protectedPrincipals,
  };
}

/**
 * Both revisions as guard judges them. `cwd`: where guard runs (paths are shown relative to it);
 * `dirFlag`: DIR as given; `stackOutputs`: the files given as `--stack-outputs`, which are the
 * state judged against, not part of the change. Throws GitError when git cannot answer.
 */
export function readRevisions(
  cwd: string,
  baseRev: string,
  headRev: string | undefined,
  dirFlag: string | undefined,
  stackOutputs: string[],
): Revisions {
  const root = repoRoot(cwd);
  // The project is the repository's root, found from any subfolder, as git finds the repository.
  for (let at = realpathSync(cwd); at !== realpathSync(root) && dirname(at) !== at; at = dirname(at)) {
    if (existsSync(at) && readdirSync(at).some((name) => PROJECT_FILE.test(name))) {
      const why = "guard judges the project at the root, where the workflows and CODEOWNERS expect it";
      throw new ProjectNotAtRootError(
        `the Pulumi project here (${relative(cwd, at) || "."}) is not at the root of its repository (${root}): ${why}`,
      );
    }
  }
  const dir = dirFlag === undefined ? DEFAULT_INCIDENTS_DIR : repoPath(relative(root, resolve(cwd, dirFlag)));
  if (dir.startsWith("..") || isAbsolute(dir))
    throw new OutsideRepositoryError(`--dir ${dirFlag}: expected a folder inside the repository ${root}`);
  const baseCommit = resolveCommit(root, baseRev);
  const headCommit = headRev === undefined ? undefined : resolveCommit(root, headRev);

  // Each commit's tree is listed once; its root files are read first, as they name the folders.
  const baseTree = treeAt(root, baseCommit);
  const headTree = headCommit === undefined ? undefined : treeAt(root, headCommit);
  const [baseRoot, headRoot] = contentsOf(root, [
    rootFilesIn(baseTree, isStackOrProject),
    headTree === undefined ? [] : rootFilesIn(headTree, isStackOrProject),
  ]);
  const baseStacks = projectOf(baseRoot);
  const headStacks = projectOf(headTree === undefined ? workingTreeRootFiles(root) : headRoot);
  // --dir, the project's own folder (Pulumi.yaml's cordon:incidentsDir, which the stack of an
  // account without a stack file reads), and each stack file's: an incident in any of them is judged.
  const folders = [
    ...new Set([
      dir,
      ...[baseStacks, headStacks].flatMap((side) => [
        side.stacks.incidentsDir,
        ...side.stacks.stacks.map((s) => s.dir),
      ]),
    ]),
  ];

  // Paths as the user sees them: relative to where guard runs, like every other command.
  const toShown = new Map<string, string>();
  const shown = (files: SourceFile[]) =>
    files.map((file) => {
      const path = relative(cwd, join(root, file.path)) || file.path;
      toShown.set(path, file.path);
      return { ...file, path };
    });
  const union = (lists: SourceFile[][]) => [...new Map(lists.flat().map((file) => [file.path, file])).values()];

  const inFolders = (tree: Blob[]) => folders.map((folder) => incidentFilesIn(tree, folder));
  const read = contentsOf(root, [...inFolders(baseTree), ...(headTree === undefined ? [] : inFolders(headTree))]);
  const baseSources = shown(union(read.slice(0, folders.length)));
  // The stack outputs given are the state guard judges against, not part of the change.
  const given = new Set(stackOutputs.map((file) => repoPath(relative(root, resolve(cwd, file)))));
  let headSources: SourceFile[];
  const readErrors: Diagnostic[] = [];
  if (headTree !== undefined) {
    headSources = shown(union(read.slice(folders.length)));
  } else {
    const lists = folders.map((folder) => {
      const absolute = join(root, folder);
      if (!existsSync(absolute)) return [];
      const read = readIncidentSources([absolute], root);
      readErrors.push(
        ...read.errors.map((error) => ({ ...error, file: relative(cwd, join(root, error.file)) || error.file })),
      );
      return read.files;
    });
    headSources = shown(union(lists));
  }
  return {
    base: { sources: baseSources, readErrors: [], ...baseStacks },
    head: { sources: headSources, readErrors, ...headStacks },
    dir,
    changed: changedEntries(root, baseCommit, headCommit).filter(
      ({ path }) => headCommit !== undefined || !given.has(path),
    ),
    repoPath: (path) => toShown.get(path) ?? repoPath(relative(root, resolve(cwd, path))),
    shown: (path) => relative(cwd, join(root, path)) || path,
  };
}

/** The stack files and the project file at the root of the working tree. */
function workingTreeRootFiles(root: string): SourceFile[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isFile() && isStackOrProject(entry.name))
    .map((entry) => ({ path: entry.name, text: readFileSync(join(root, entry.name), "utf8") }));
}
