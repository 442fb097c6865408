/**
 * Files the command line writes for the user (`review --html FILE`): one home
 * for writing one whole and safely.
 */
import { randomBytes } from "node:crypto";
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes a file whole or not at all, and never through a link someone else planted: the text goes
 * to a new file beside `path` (a rename stays within one file system), under a name no one can
 * predict, created exclusively ("wx": it fails on any existing name, a symbolic link among them,
 * so it never follows one), then renamed over `path` (which replaces a link at `path` itself, and
 * never writes through it). A shared folder (`/tmp`) cannot redirect the write to another file.
 * On failure the new file is removed, and `path` is as it was.
 */
export function writeFileWhole(path: string, pieces: Iterable<string>): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(12).toString("hex")}.tmp`);
  // Opened, not yet renamed: only then is the temporary file this call's own to remove.
  let created = false;
  try {
    const fd = openSync(temporary, "wx");
    created = true;
    try {
      for (const piece of pieces) {
        // writeSync may write less than it was given: the rest is written until none is left.
        const bytes = Buffer.from(piece, "utf8");
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    created = false;
  } finally {
    if (created) rmSync(temporary, { force: true });
  }
}
