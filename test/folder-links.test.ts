/**
 * A symbolic link inside an incidents folder is an error (E_READ), never skipped in silence: named
 * like an incident file, or leading to a folder, it was meant to be read, but git keeps only its
 * target and guard treats it as code (guard/protected-paths.ts). validate fails, plan declares
 * nothing, and the program, which reads its folder with the same reader, declares nothing either.
 * A link to anything else (a README) is skipped, as any file that is not YAML.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadIncidentPaths } from "../incident/read.ts";

const BIN = resolve(import.meta.dirname, "..", "cli", "cordon.js");
const NOW = "2026-11-28T12:00:00Z";
const EXAMPLE = resolve(import.meta.dirname, "..", "examples", "incidents", "2026-11-28-ci-deploy-key.yaml");
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A folder `sym` of links, beside the real file and folder they lead to. */
function layout(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "cordon-links-")));
  made.push(dir);
  mkdirSync(join(dir, "real", "more"), { recursive: true });
  mkdirSync(join(dir, "sym"));
  writeFileSync(join(dir, "real", "a.yaml"), readFileSync(EXAMPLE, "utf8"));
  writeFileSync(join(dir, "real", "more", "b.yaml"), readFileSync(EXAMPLE, "utf8"));
  writeFileSync(join(dir, "real", "README.md"), "notes\n");
  return dir;
}

const FILE_LINK = "E_READ a symbolic link, not a regular file: commit the file itself";
const FOLDER_LINK = "E_READ a symbolic link, not a folder: commit the folder itself";

describe("validate and plan, as npx cordon runs them, on a folder of links", () => {
  function cordon(cwd: string, ...args: string[]) {
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", CI: "true" };
    const result = spawnSync(process.execPath, [BIN, ...args, "--now", NOW], { cwd, env, encoding: "utf8" });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it("a linked file and a linked folder: each an error, exit 1; a linked README is skipped", () => {
    const dir = layout();
    symlinkSync("../real/a.yaml", join(dir, "sym", "a.yaml"));
    symlinkSync("../real/more", join(dir, "sym", "more"));
    symlinkSync("../real/README.md", join(dir, "sym", "README.md"));
    const errors = `sym/a.yaml:1:1 ${FILE_LINK}\nsym/more:1:1 ${FOLDER_LINK}\n`;
    const summary = "2 errors in 2 files: nothing is planned while any incident file is invalid\n";
    expect(cordon(dir, "validate", "sym")).toEqual({ code: 1, stdout: "", stderr: errors + summary });
    expect(cordon(dir, "plan", "sym")).toEqual({ code: 1, stdout: "", stderr: errors + summary });
  });
});

describe("over generated links: every one that would be read is an error, beside the real files", () => {
  const name = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/).filter((n) => !n.startsWith("2026-"));
  const link = fc.oneof(
    fc.record({ kind: fc.constant("file" as const), name, ext: fc.constantFrom(".yaml", ".yml", ".YAML", ".Yml") }),
    fc.record({ kind: fc.constant("dangling" as const), name, ext: fc.constantFrom(".yaml", ".yml") }),
    fc.record({ kind: fc.constant("folder" as const), name, ext: fc.constant("") }),
    fc.record({ kind: fc.constant("other" as const), name, ext: fc.constantFrom(".md", ".txt", "") }),
  );

  it("the loader returns no incident and one E_READ per such link", () => {
    fc.assert(
      fc.property(fc.uniqueArray(link, { minLength: 1, maxLength: 5, selector: (l) => l.name }), (links) => {
        const dir = layout();
        writeFileSync(join(dir, "sym", "2026-11-28-ci-deploy-key.yaml"), readFileSync(EXAMPLE, "utf8"));
        for (const l of links) {
          const target = { file: "../real/a.yaml", dangling: "../real/gone.yaml", folder: "../real/more" }[
            l.kind === "other" ? "file" : l.kind
          ];
          symlinkSync(target, join(dir, "sym", l.name + l.ext));
        }
        const loaded = loadIncidentPaths(["sym"], dir, new Date(NOW));
        const expected = links
          .filter((l) => l.kind !== "other")
          .map((l) => `sym/${l.name}${l.ext} ${l.kind === "folder" ? FOLDER_LINK : FILE_LINK}`)
          .sort();
        expect(loaded.errors.map((e) => `${e.file} ${e.code} ${e.message}`).sort()).toEqual(expected);
        if (expected.length > 0) expect(loaded.incidents).toEqual([]);
        else expect(loaded.incidents.map((i) => i.file)).toEqual(["sym/2026-11-28-ci-deploy-key.yaml"]);
      }),
      { numRuns: 30 },
    );
  });
});
