/**
 * `new --dir` inside a project writes only where the account's stack reads (plan/project.ts,
 * stackReads): a misspelt folder (`incidnets`) or the code folder `incident/` would hold a file no
 * pulumi up applies, while new's next steps promise a containment. Refused, exit 2, nothing
 * written. Outside any project no stack says which folder is read: --dir is taken as given.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";

const BIN = resolve(import.meta.dirname, "..", "cli", "cordon.js");
const ACCOUNT = "123456789012";
const NEW = ["new", "--title", "typo", "--user", "u", "--account", ACCOUNT, "--now", "2026-11-28T12:00:00Z"];
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A project as a newcomer has it: Pulumi.yaml, the incidents folder, and the code folder incident/. */
function project(withProject = true): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "cordon-new-unread-")));
  made.push(dir);
  if (withProject) writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  for (const folder of ["incidents", "incident", "docs"]) mkdirSync(join(dir, folder));
  writeFileSync(join(dir, "incident", "load.ts"), "// code\n");
  return dir;
}

const written = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".yaml") && e.name !== "Pulumi.yaml")
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();

const refusal = (folder: string, reads: string) =>
  `cordon new: ${folder} is read by no stack: pulumi up never applies this file (the stack of ${ACCOUNT} reads ${reads}): not written; leave out --dir, or name that folder\n`;

describe("the reviewer's commands, as npx cordon runs them", () => {
  function cordon(cwd: string, ...args: string[]) {
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", CI: "true" };
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: "utf8" });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it.each([
    ["a misspelt folder", "incidnets", "incidnets/"],
    ["the code folder", "incident", "incident/"],
  ])("%s: exit 2, said, nothing written", (_, folder, shown) => {
    const dir = project();
    expect(cordon(dir, ...NEW, "--dir", folder)).toEqual({ code: 2, stdout: "", stderr: refusal(shown, "incidents/") });
    expect(written(dir)).toEqual([]);
  });

  it("from a subfolder, paths as typed there; the project's folder itself is accepted", () => {
    const dir = project();
    const cwd = join(dir, "docs");
    expect(cordon(cwd, ...NEW, "--dir", "../incidnets")).toEqual({
      code: 2,
      stdout: "",
      stderr: refusal("../incidnets/", "../incidents/"),
    });
    const accepted = cordon(cwd, ...NEW, "--dir", "../incidents");
    expect([accepted.code, accepted.stderr]).toEqual([0, ""]);
    expect(written(dir)).toEqual(["incidents/2026-11-28-typo.yaml"]);
  });

  it("an account withheld by its own stack file: written, with a warning naming the file's problem, and no promise that merging disables the keys", () => {
    const settings = fc.sample(fc.stringMatching(/^[a-z][a-zA-Z]{2,12}$/), { numRuns: 5 });
    for (const setting of settings) {
      for (const withheld of [true, false]) {
        const dir = project();
        const own = `Pulumi.prod-${ACCOUNT}.yaml`;
        const other = "Pulumi.prod-999999999999.yaml";
        // The other account's file is always broken: only the account's own file withholds it.
        writeFileSync(join(dir, other), `config:\n  cordon:account: "999999999999"\n  cordon:x${setting}: 1\n`);
        writeFileSync(
          join(dir, own),
          `config:\n  cordon:account: "${ACCOUNT}"\n${withheld ? `  cordon:${setting}x: 1\n` : ""}`,
        );
        mkdirSync(join(dir, "sub"));
        const result = cordon(join(dir, "sub"), ...NEW);
        expect(result.code).toBe(0);
        expect(written(dir).filter((file) => file.startsWith("incidents/"))).toEqual([
          "incidents/2026-11-28-typo.yaml",
        ]);
        const warnings = result.stderr.split("\n").filter((line) => line.includes("withheld") || line.includes(own));
        if (withheld) {
          expect(warnings).toEqual([
            expect.stringMatching(
              new RegExp(
                `^cordon new: warning: \\.\\./${own.replace(/\./g, "\\.")}:3:3 E_SETTING_UNKNOWN cordon:${setting}x: `,
              ),
            ),
            `cordon new: warning: account ${ACCOUNT} is withheld: its stack file ../${own} cannot be read, so nothing is applied for that account until it is fixed (and its stack may then read another folder than ../incidents/)`,
          ]);
          expect(result.stdout).toContain(
            `  4. merge, and fix ../${own}: until then nothing is applied in account ${ACCOUNT}, and no key is disabled by pulumi up\n`,
          );
          expect(result.stdout).not.toContain("pulumi up disables");
        } else {
          expect(warnings).toEqual([]);
          expect(result.stdout).toContain(
            "  4. merge: pulumi up disables the keys and records the containment instant as the cutoff\n",
          );
        }
      }
    }
  });

  it("outside any project, --dir is written as given (no stack to read it, as before)", () => {
    const dir = project(false);
    const result = cordon(dir, ...NEW, "--dir", "incidnets");
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(written(dir)).toEqual(["incidnets/2026-11-28-typo.yaml"]);
  });
});

describe("over generated folders: written exactly under the folder the stack reads", () => {
  const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
  const folder = fc.oneof(
    // Near misses of incidents/, and any other folder name.
    fc.constantFrom("incident", "incidnets", "Incidents", "incidents-old", "incidents.bak", "docs"),
    segment.filter((name) => name !== "incidents"),
    // Inside the folder the stack reads, at any depth.
    fc.array(segment, { minLength: 0, maxLength: 3 }).map((parts) => ["incidents", ...parts].join("/")),
  );

  it("refused with the folder named, or written there", async () => {
    await fc.assert(
      fc.asyncProperty(folder, fc.boolean(), async (dirName, fromDocs) => {
        const dir = project();
        const cwd = fromDocs ? join(dir, "docs") : dir;
        const typed = fromDocs ? `../${dirName}` : dirName;
        const io = memoryIo({ cwd, env: { NO_COLOR: "1" } });
        const code = await main([...NEW, "--dir", typed], io);
        const inside = dirName === "incidents" || dirName.startsWith("incidents/");
        if (inside) {
          expect([code, io.stderr]).toEqual([0, ""]);
          expect(written(dir)).toEqual([`${dirName}/2026-11-28-typo.yaml`]);
        } else {
          expect([code, io.stdout, io.stderr]).toEqual([
            2,
            "",
            refusal(`${relative(cwd, join(dir, dirName)) || "."}/`, fromDocs ? "../incidents/" : "incidents/"),
          ]);
          expect(written(dir)).toEqual([]);
        }
      }),
      { numRuns: 40 },
    );
  });
});
