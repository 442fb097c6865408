/**
 * Everything cordon prints of a file's text stays inert: generated incident folders whose folder
 * names, file names and field values hold ESC sequences, C1 controls, bidi overrides, zero-width
 * characters and GitHub workflow commands (`::error::`, `::add-mask::`, `##[error]`) go through
 * the commands as a user and CI run them; no raw control character reaches stdout or stderr, and
 * no line is a workflow command but the annotations cordon itself writes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { isUnsafeCharacter } from "../incident/display.ts";
import { git } from "./support/git-repo.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const PIECES = [
  "::error::boom",
  "::add-mask::x",
  "::stop-commands::t",
  "##[error]boom",
  "\u001b[2J",
  "\u001b]8;;https://evil.example\u0007",
  "\u009b31m",
  "\u007f",
  "\u202e",
  "\u2066",
  "\u200b",
  "\u00a0",
  "\r",
  "\t",
  "\n",
  "\\u001b",
  "@team",
  "[x](https://evil.example)",
  "`",
  "a",
  "-",
  " ",
];
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: "binary", maxLength: 4 })), {
    minLength: 1,
    maxLength: 6,
  })
  .map((parts) => parts.join(""));
/** A title the schema takes: 1 to 200 characters, anything else. */
const title = hostile.filter((text) => text.length > 0 && text.length <= 200);
/** A name the file system takes: no `/`, no NUL, not hidden, not `.` or `..`, not too long. */
const folderName = hostile
  .map((name) => name.replace(/[/\0]/g, "_").replace(/^\./, "_").slice(0, 60))
  .filter((name) => name.length > 0 && Buffer.byteLength(name) < 200);

/** Lines that GitHub's runner reads as a workflow command. */
const commandLines = (text: string) =>
  text
    .split("\n")
    .filter(
      (line) =>
        /^[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*::/u.test(line) || line.includes("##["),
    );
/** The annotations cordon writes itself, in CI. */
const CORDON_ANNOTATION =
  /^::(error|warning) (file=[^:,]*,line=\d+,col=\d+,title=E_[A-Z_]+|title=cordon [a-z]+[^:]*)::[^\n]*$/;
const rawUnsafe = (text: string) => Array.from(text).filter((char) => char !== "\n" && isUnsafeCharacter(char));

function expectInert(output: string, ci: boolean): void {
  expect(rawUnsafe(output)).toEqual([]);
  const commands = commandLines(output);
  if (!ci) expect(commands).toEqual([]);
  else for (const line of commands) expect(line).toMatch(CORDON_ANNOTATION);
}

/** A folder of incidents: one valid incident in a hostile sub-folder, one invalid with hostile values. */
function hostileFolder(folder: string, title: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cordon-hostile-"));
  dirs.push(dir);
  writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  mkdirSync(join(dir, "incidents", folder), { recursive: true });
  const valid = {
    id: "2026-11-28-valid",
    title,
    account: "123456789012",
    cutoff: "2026-11-28T10:00:00Z",
    users: [{ name: "dana" }],
  };
  writeFileSync(join(dir, "incidents", folder, "2026-11-28-valid.yaml"), stringify(valid));
  return dir;
}

function invalidFile(dir: string, folder: string, value: string): void {
  const invalid = {
    id: value,
    title: value,
    account: value,
    cutoff: value,
    mode: value,
    users: [{ name: value, accessKeys: [value] }],
    roles: [{ name: value }],
    [value]: value,
  };
  writeFileSync(join(dir, "incidents", folder, `${folder.slice(0, 20)}.yaml`), stringify(invalid));
}

async function run(dir: string, argv: string[], ci: boolean) {
  const io = memoryIo({ cwd: dir, env: ci ? { GITHUB_ACTIONS: "true" } : {} });
  const code = await main(argv, io);
  return { code, output: io.stdout + io.stderr };
}

const RUNS = { numRuns: 25 };

describe("hostile text in incident folders stays inert in every command's output", () => {
  it.each([false, true])("validate, plan, plan --json, status, status --json (in CI: %s)", async (ci) => {
    await fc.assert(
      fc.asyncProperty(folderName, title, hostile, async (folder, title, value) => {
        const dir = hostileFolder(folder, title);
        for (const argv of [
          ["validate"],
          ["plan", "--now", "2026-11-28T12:00:00Z"],
          ["plan", "--json"],
          ["status"],
          ["status", "--json"],
        ]) {
          const valid = await run(dir, argv, ci);
          expect(valid.code).toBe(0);
          expectInert(valid.output, ci);
        }
        invalidFile(dir, folder, value);
        for (const argv of [["validate", "--now", "2026-11-28T12:00:00Z"], ["plan"], ["status"]]) {
          const invalid = await run(dir, argv, ci);
          expect(invalid.code).toBe(1);
          expectInert(invalid.output, ci);
        }
      }),
      RUNS,
    );
  });

  it("the paths and values are still there to read, escaped", async () => {
    const dir = hostileFolder("::error::x\u001b[31m", "t");
    invalidFile(dir, "::error::x\u001b[31m", "\u202eevil");
    const { output } = await run(dir, ["validate", "--now", "2026-11-28T12:00:00Z"], false);
    expect(output).toContain("incidents/::error::x\\u001b[31m/");
    expect(output).toContain('found "\\u202eevil"');
  });

  it("guard, on a repository whose files and revisions hold them", async () => {
    await fc.assert(
      fc.asyncProperty(folderName, title, async (folder, title) => {
        const dir = hostileFolder(folder, title);
        git(dir, "init", "-q", "-b", "main");
        git(dir, "add", "-A");
        git(dir, "commit", "-q", "-m", "base");
        rmSync(join(dir, "incidents"), { recursive: true, force: true });
        for (const ci of [false, true]) {
          const result = await run(dir, ["guard", "--base", "main", "--now", "2026-11-28T12:00:00Z"], ci);
          expect(result.code).toBe(1);
          expectInert(result.output, ci);
          expect(result.output).toContain("removing it re-enables sessions minted before the cutoff");
        }
      }),
      { numRuns: 15 },
    );
  });
});
