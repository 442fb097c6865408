/**
 * The file-system shell around the pure loader: turns the PATH arguments of a command (files or
 * folders) into source texts. Folders are walked recursively, so an incident moved to a sub-folder
 * keeps counting.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, type Dirent } from "node:fs";
import { join, relative, resolve } from "node:path";
import { loadIncidents, type LoadOptions, type LoadResult } from "./load.ts";
import { compareText } from "./order.ts";
import type { Diagnostic } from "./diagnostics.ts";
import type { SourceFile } from "./types.ts";
import { MAX_FILE_BYTES } from "./yaml.ts";

export const INCIDENT_FILE = /\.ya?ml$/i;

export interface ReadResult {
  files: SourceFile[];
  /** Paths that do not exist or cannot be read: reported like any other error. */
  errors: Diagnostic[];
}

/** How a folder's entries are listed; a test passes its own to fail the way a locked folder does. */
export type ListFolder = (dir: string) => Dirent[];

const listFolder: ListFolder = (dir) => readdirSync(dir, { withFileTypes: true });

/** Why a file or folder could not be read, in words as well as its code. */
export function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    ELOOP: "too many symbolic links",
    EIO: "input/output error",
    ENOTDIR: "a file where a folder should be",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
  };
  return code === undefined ? (error as Error).message : words[code] ? `${code} (${words[code]})` : code;
}

/**
 * Reads every incident file under `paths` (relative to `cwd`); shown paths stay relative to `cwd`.
 * A file or folder that cannot be read is an error of its own, beside every other file's.
 */
export function readIncidentSources(paths: string[], cwd: string, list: ListFolder = listFolder): ReadResult {
  const files: SourceFile[] = [];
  const errors: Diagnostic[] = [];
  const seen = new Set<string>();
  const add = (absolute: string) => {
    if (seen.has(absolute)) return;
    seen.add(absolute);
    const shown = relative(cwd, absolute) || absolute;
    try {
      files.push({ path: shown, text: readCapped(absolute) });
    } catch (error) {
      errors.push({
        file: shown,
        line: 1,
        col: 1,
        code: "E_READ",
        message: `cannot read the file: ${readFailure(error)}`,
      });
    }
  };
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = list(dir);
    } catch (error) {
      // An incident in a folder that cannot be read would silently not be applied.
      const shown = relative(cwd, dir) || dir;
      errors.push({
        file: shown,
        line: 1,
        col: 1,
        code: "E_READ",
        message: `cannot read the folder: ${readFailure(error)}: the incident files in it cannot be checked, and nothing is planned until they can`,
      });
      return;
    }
    for (const entry of entries.sort((a, b) => compareText(a.name, b.name))) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const link = linkProblem(full, entry.name);
        if (link !== undefined)
          errors.push({ file: relative(cwd, full) || full, line: 1, col: 1, code: "E_READ", message: link });
      } else if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && INCIDENT_FILE.test(entry.name)) add(full);
    }
  };
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(absolute);
    } catch {
      errors.push({ file: path, line: 1, col: 1, code: "E_READ", message: "no such file or folder" });
      continue;
    }
    if (stat.isDirectory()) walk(absolute);
    else add(absolute);
  }
  return { files, errors };
}

/**
 * Why a symbolic link inside a folder is an error: one named like an incident file, or one to a
 * folder, would be read as an incident or a folder of them, but git stores a link's target, not
 * the file, and guard treats a link under incidents/ as code (guard/protected-paths.ts): skipping
 * it silently would drop an incident the author meant to apply. Undefined for a link that is
 * neither (a README.md linked from elsewhere), which the reader skips as any other file.
 */
function linkProblem(full: string, name: string): string | undefined {
  if (INCIDENT_FILE.test(name)) return "a symbolic link, not a regular file: commit the file itself";
  let folder: boolean;
  try {
    folder = statSync(full).isDirectory();
  } catch {
    return undefined;
  }
  return folder ? "a symbolic link, not a folder: commit the folder itself" : undefined;
}

/** Reads one byte past the limit at most: a huge file is rejected without being loaded. */
function readCapped(path: string): string {
  const fd = openSync(path, "r");
  try {
    // Sized by the file, not by the limit: a thousand small files must not zero 64 MiB.
    const buffer = Buffer.allocUnsafe(Math.min(fstatSync(fd).size, MAX_FILE_BYTES) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Read, then validate: what every command that takes PATH... does first. */
export function loadIncidentPaths(
  paths: string[],
  cwd: string,
  now: Date,
  list: ListFolder = listFolder,
  options: Omit<LoadOptions, "now"> = {},
): LoadResult {
  const read = readIncidentSources(paths, cwd, list);
  const loaded = loadIncidents(read.files, { ...options, now });
  const errors = [...read.errors, ...loaded.errors];
  return errors.length > 0 ? { incidents: [], errors } : loaded;
}
