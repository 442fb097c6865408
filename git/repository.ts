/**
 * The one door to git (as aws/ is to AWS): incident files as they are at a revision, and the paths a
 * change touches, for `cordon guard`. Two processes per
 * revision whatever the number of files (`git ls-tree`, then one `git cat-file --batch`), so a
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

/**
 * Every incident file under `dir` (relative to the repository root, `/`-separated) at `commit`,
 * with paths relative to the root. Hidden files and folders are skipped, as the folder reader does.
 */
export function incidentSourcesAt(root: string, commit: string, dir: string): SourceFile[] {
  const wanted = (path: string) =>
    INCIDENT_FILE.test(path) && !path.split("/").some((s) => s.startsWith(".") || s === "node_modules");
  return contentsOf(root, regularFiles(root, ["-r", commit, "--", dir === "" ? "." : dir], wanted));
}

/**
 * The regular files `git ls-tree ARGS` lists whose paths pass `wanted`. Regular files only, as the
 * folder reader reads them: a symlink's blob is its target, any text at all, and could show guard
 * an incident or a stack that `pulumi up` never reads.
 */
function regularFiles(
  root: string,
  args: string[],
  wanted: (path: string) => boolean,
): { path: string; object: string }[] {
  const listing = git(root, ["ls-tree", "-z", "--full-tree", ...args]).toString("utf8");
  const blobs: { path: string; object: string }[] = [];
  for (const entry of listing.split("\0")) {
    if (entry === "") continue;
    const tab = entry.indexOf("\t");
    const [mode, type, object] = entry.slice(0, tab).split(" ");
    const path = entry.slice(tab + 1);
    if (type === "blob" && (mode === "100644" || mode === "100755") && wanted(path)) blobs.push({ path, object });
  }
  return blobs;
}

/** The texts of blobs, in one `git cat-file --batch`, sorted by path. */
function contentsOf(root: string, blobs: { path: string; object: string }[]): SourceFile[] {
  if (blobs.length === 0) return [];
  const output = git(root, ["cat-file", "--batch"], `${blobs.map((b) => b.object).join("\n")}\n`);
  const files: SourceFile[] = [];
  let offset = 0;
  for (const blob of blobs) {
    // Each answer: "<object> blob <size>\n<content>\n".
    const newline = output.indexOf(0x0a, offset);
    const size = Number(output.subarray(offset, newline).toString("latin1").split(" ")[2]);
    files.push({ path: blob.path, text: output.subarray(newline + 1, newline + 1 + size).toString("utf8") });
    offset = newline + 1 + size + 1;
  }
  return files.sort((a, b) => compareText(a.path, b.path));
}

/** The regular files at the root of the repository at `commit` whose names pass `wanted` (stack files). */
export function rootFilesAt(root: string, commit: string, wanted: (name: string) => boolean): SourceFile[] {
  return contentsOf(root, regularFiles(root, [commit], wanted));
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
