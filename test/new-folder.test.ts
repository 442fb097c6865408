/**
 * `new --dir` naming what cannot hold incidents (a file, a path through a file, a symbolic link
 * that loops, a folder that cannot be read) ends in cordon's words, naming --dir, exit 2: never
 * Node's `ENOTDIR: not a directory, scandir ...`. Nothing is written.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";

// A folder no one may read: this runs as root, which every permission lets in, so a folder named
// `locked` fails to list as a folder with mode 000 does for anyone else.
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const readdirSync = ((path: Parameters<typeof fs.readdirSync>[0], options?: unknown) => {
    if (String(path).endsWith("locked"))
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${String(path)}'`), { code: "EACCES" });
    return fs.readdirSync(path, options as never);
  }) as typeof fs.readdirSync;
  return { ...fs, readdirSync, default: { ...fs, readdirSync } };
});

const NOW = "2026-11-28T02:16:00Z";
/** A user and account given: new writes the file without asking AWS. */
const DANA = ["--title", "Laptop", "--user", "dana", "--account", "123456789012"];

let cwd: string;
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function newIn(dir: string) {
  const io = memoryIo({ cwd });
  const code = await main(["new", ...DANA, "--dir", dir, "--now", NOW], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("new --dir that cannot hold incidents: cordon's words, naming --dir, exit 2", () => {
  it.each([
    [
      "a file",
      "notes.txt",
      "cordon new: --dir notes.txt: a file, not a folder: name the folder the incident files are in\n",
    ],
    [
      "a path through a file",
      "notes.txt/incidents",
      "cordon new: --dir notes.txt/incidents: cannot write notes.txt/incidents/2026-11-28-laptop.yaml there: ENOTDIR (a file where a folder should be)\n",
    ],
    [
      "a symbolic link to itself",
      "loop",
      "cordon new: --dir loop: cannot write loop/2026-11-28-laptop.yaml there: ELOOP (too many symbolic links)\n",
    ],
    [
      "a folder that cannot be read",
      "locked",
      "cordon new: --dir locked: cannot read the folder: EACCES (permission denied): the incident files in it cannot be checked, and nothing is planned until they can\n",
    ],
    [
      "a folder with a sub-folder that cannot be read",
      "incidents",
      "cordon new: --dir incidents: incidents/locked: cannot read the folder: EACCES (permission denied): the incident files in it cannot be checked, and nothing is planned until they can\n",
    ],
  ])("%s", async (_, dir, said) => {
    cwd = mkdtempSync(join(tmpdir(), "cordon-new-dir-"));
    writeFileSync(join(cwd, "notes.txt"), "not incidents\n");
    symlinkSync("loop", join(cwd, "loop"));
    mkdirSync(join(cwd, "locked"));
    mkdirSync(join(cwd, "incidents", "locked"), { recursive: true });
    const { code, stdout, stderr } = await newIn(dir);
    expect(stderr).toBe(said);
    expect(stdout).toBe("");
    expect(code).toBe(2);
    expect(existsSync(join(cwd, dir, "2026-11-28-laptop.yaml"))).toBe(false);
  });

  it("a folder that can be read and written takes the incident (exit 0)", async () => {
    cwd = mkdtempSync(join(tmpdir(), "cordon-new-dir-"));
    mkdirSync(join(cwd, "ops"));
    const { code } = await newIn("ops");
    expect(code).toBe(0);
    expect(existsSync(join(cwd, "ops", "2026-11-28-laptop.yaml"))).toBe(true);
  });
});
