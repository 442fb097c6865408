/**
 * The one door to git (as aws/ is to AWS): incident files as they are at a revision, and the paths a
 * change touches, for `cordon guard`. One `git ls-tree` per revision, whatever the number of folders
 * and files, and one `git cat-file --batch` for the blobs of every revision a step reads, so a
 * folder of a thousand incidents is read as fast as one.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { lstatSync } from "node:fs";
import { join, posix } from "node:path";
import type { SourceFile } from "../incident/types.ts";
import { compareText } from "../incident/order.ts";
import { INCIDENT_FILE } from "../incident/read.ts";
import { ABSENT_MODE, REGULAR_FILE_MODE, type PathChange } from "../guard/protected-paths.ts";

/** git is missing, this is not a repository, or a revision does not exist: guard exits 2. */
export class GitError extends Error {}

// Generous: the loader itself rejects incident files over 64 KiB with a located error.
const MAX_BUFFER = 256 * 1024 * 1024;

function git(cwd: string, args: string[], input?: string): Buffer {
  const result = spawnSync("git", args, {
    cwd,
    input,
    maxBuffer: MAX_BUFFER,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
  if (result.error) throw new GitError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0)
    throw new GitError(result.stderr.toString().trim().split("\n")[0] || `git ${args[0]} exited with ${result.status}`);
  return result.stdout;
}

/** The top folder of the repository that holds `cwd`. */
export function repoRoot(cwd: string): string {
  try {
    return execFileSync("git", ["rev-parse", "--show-toplevel"], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new GitError(stderr.split("\n")[0] || (error as Error).message);
  }
}

/** The commit a revision names; a GitError saying so when it names none. */
export function resolveCommit(root: string, rev: string): string {
  // "--end-of-options" keeps a revision such as "--output=x" from being read as an option.
  const result = spawnSync("git", ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], {
    cwd: root,
    encoding: "utf8",
  });
  if (result.error) throw new GitError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0)
    throw new GitError(
      `"${rev}" is not a commit in this repository (fetch it first: in CI, check out with fetch-depth: 0)`,
    );
  return result.stdout.trim();
}

/** A regular file of a commit: its path from the repository's root, `/`-separated, and its blob. */
export interface Blob {
  path: string;
  object: string;
}

/**
 * The regular files of `commit`, every folder's, from one `git ls-tree -r`: what the other readers
 * of a revision pick from. Regular files only, as the folder reader reads them: a symlink's blob is
 * its target, any text at all, and could show guard an incident or a stack that `pulumi up` never
 * reads.
 */
export function treeAt(root: string, commit: string): Blob[] {
  const listing = git(root, ["ls-tree", "-r", "-z", "--full-tree", commit]).toString("utf8");
  const blobs: Blob[] = [];
  for (const entry of listing.split("\0")) {
    if (entry === "") continue;
    const tab = entry.indexOf("\t");
    const [mode, type, object] = entry.slice(0, tab).split(" ");
    if (type === "blob" && (mode === "100644" || mode === "100755")) blobs.push({ path: entry.slice(tab + 1), object });
  }
  return blobs;
}

/**
 * Every incident file of `tree` under `dir` (relative to the repository root, `/`-separated; `""`
 * is the root; a file's own path names that file), as git's ls-tree takes a path: whole names only,
 * literally. Hidden files and folders are skipped, as the folder reader does.
 */
export function incidentFilesIn(tree: Blob[], dir: string): Blob[] {
  return tree.filter(
    ({ path }) =>
      (dir === "" || path === dir || path.startsWith(`${dir}/`)) &&
      INCIDENT_FILE.test(path) &&
      !path.split("/").some((s) => s.startsWith(".") || s === "node_modules"),
  );
}

/** The regular files at the root of `tree` whose names pass `wanted` (the project and stack files). */
export function rootFilesIn(tree: Blob[], wanted: (name: string) => boolean): Blob[] {
  return tree.filter(({ path }) => !path.includes("/") && wanted(path));
}

/** The texts of each list of blobs, all in one `git cat-file --batch`; each list sorted by path. */
export function contentsOf(root: string, lists: Blob[][]): SourceFile[][] {
  const blobs = lists.flat();
  if (blobs.length === 0) return lists.map(() => []);
  const output = git(root, ["cat-file", "--batch"], `${blobs.map((b) => b.object).join("\n")}\n`);
  let offset = 0;
  return lists.map((list) => {
    const files: SourceFile[] = [];
    for (const blob of list) {
      // Each answer: "<object> blob <size>\n<content>\n".
      const newline = output.indexOf(0x0a, offset);
      const size = Number(output.subarray(offset, newline).toString("latin1").split(" ")[2]);
      files.push({ path: blob.path, text: output.subarray(newline + 1, newline + 1 + size).toString("utf8") });
      offset = newline + 1 + size + 1;
    }
    return files.sort((a, b) => compareText(a.path, b.path));
  });
}

/**
 * Every path that differs between `base` and `head`, with its git mode on each side (`000000`
 * where it is absent; both sides of a rename, as a deletion and an addition); with no `head`,
 * between `base` and the working tree, untracked files included (ignored ones are not: they are
 * not part of any change). Sorted by path.
 */
export function changedEntries(root: string, base: string, head?: string): PathChange[] {
  // --raw: ":<mode before> <mode after> <blob> <blob> <status>\0<path>\0" per path.
  const args = [
    "diff",
    "--raw",
    "-z",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    base,
    ...(head === undefined ? [] : [head]),
    "--",
  ];
  const fields = git(root, args).toString("utf8").split("\0");
  const changes = new Map<string, PathChange>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [before, after] = fields[i].slice(1).split(" ");
    changes.set(fields[i + 1], { path: fields[i + 1], before, after });
  }
  if (head === undefined) {
    for (const listed of git(root, ["ls-files", "-z", "--others", "--exclude-standard"]).toString("utf8").split("\0")) {
      if (listed === "") continue;
      // A repository inside the working tree is listed as its folder: adding it adds a submodule.
      const path = listed.replace(/\/$/, "");
      changes.set(path, {
        path,
        before: ABSENT_MODE,
        after: listed.endsWith("/") ? "160000" : workingTreeMode(join(root, path)),
      });
    }
  }
  return [...changes.values()].sort((a, b) => compareText(a.path, b.path));
}

/** The mode git would give a file of the working tree. */
function workingTreeMode(file: string): string {
  const stat = lstatSync(file);
  if (stat.isSymbolicLink()) return "120000";
  if (stat.isDirectory()) return "160000";
  if (!stat.isFile()) return "special";
  return (stat.mode & 0o111) !== 0 ? "100755" : REGULAR_FILE_MODE;
}

/** A path inside the repository, `/`-separated, for `git ls-tree`. */
export function repoPath(relativePath: string): string {
  return posix.normalize(relativePath.split("\\").join("/")).replace(/^\.\/?$/, "");
}
