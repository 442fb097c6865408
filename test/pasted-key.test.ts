/**
 * A key id pasted with white space around it: the flags that take a key id drop the white space a
 * paste carries (a space, a tab, a line end: never part of a key id), as the contain workflow's
 * form does (test/workflows.test.ts); anything else around it, and any in a file, is named as
 * white space around a key id, never "a value of 21 characters (not shown)".
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { loadIncidents } from "../incident/load.ts";

const BIN = resolve(import.meta.dirname, "..", "cli", "cordon.js");
const KEY = "AKIAIOSFODNN7EXAMPLE";
const NOW = "2026-11-28T12:00:00Z";
const NEW = ["new", "--title", "t", "--user", "u", "--account", "123456789012", "--now", NOW];
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "cordon-pasted-")));
  made.push(dir);
  writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  return dir;
}

const writtenKeys = (dir: string) =>
  readdirSync(join(dir, "incidents")).flatMap((name) =>
    [...readFileSync(join(dir, "incidents", name), "utf8").matchAll(/^ {4}accessKeys: \[(.*)\]$/gm)].map((m) => m[1]),
  );

const WHITE = `--access-key: found ${KEY} with white space around it, expected an access key id: AKIA followed by 16 of A-Z and 0-9`;

describe("new --access-key, as npx cordon runs it", () => {
  it('" AKIA..." (the reviewer\'s paste): written without the space, exit 0', () => {
    const dir = project();
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", CI: "true" };
    const run = spawnSync(process.execPath, [BIN, ...NEW, "--access-key", ` ${KEY}`], {
      cwd: dir,
      env,
      encoding: "utf8",
    });
    expect([run.status, run.stderr]).toEqual([0, ""]);
    expect(writtenKeys(dir)).toEqual([KEY]);
  });
});

describe("over generated white space around the key id", () => {
  const paste = fc.constantFrom(" ", "\t", "\n", "\r\n", "\v", "\f");
  const invisible = fc.constantFrom("\u00a0", "\u200b", "\ufeff", "\u2028");
  const around = fc.array(fc.oneof(paste, invisible), { maxLength: 3 }).map((parts) => parts.join(""));

  it("new: what a paste carries is dropped; anything else is refused, named as white space around the key", async () => {
    await fc.assert(
      fc.asyncProperty(around, around, async (before, after) => {
        const dir = project();
        const io = memoryIo({ cwd: dir });
        const code = await main([...NEW, `--access-key=${before}${KEY}${after}`], io);
        if (/^[ \t\n\r\v\f]*$/.test(before + after)) {
          expect([code, io.stderr]).toEqual([0, ""]);
          expect(writtenKeys(dir)).toEqual([KEY]);
        } else {
          expect(code).toBe(2);
          expect(io.stderr.split("\n")[0]).toBe(`cordon new: ${WHITE}; run \`npx cordon new --help\` for its options`);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("assess and review refuse an invisible character around the key the same way, before asking AWS", async () => {
    for (const command of ["assess", "review"]) {
      const io = memoryIo({ cwd: project() });
      expect(await main([command, `--access-key=\u00a0${KEY}`], io)).toBe(2);
      expect(io.stderr.split("\n")[0]).toContain(`--access-key: found ${KEY} with white space around it, expected`);
    }
  });

  it("in a file (quoted, so YAML keeps it): named as white space around the key id", () => {
    fc.assert(
      fc.property(fc.oneof(paste, invisible), fc.boolean(), (blank, first) => {
        const value = first ? `${blank}${KEY}` : `${KEY}${blank}`;
        // Written with YAML's escapes, as an editor would save what was pasted.
        const quoted = `"${value.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
        const text = `id: 2026-11-28-key\ntitle: t\naccount: "123456789012"\ncutoff: ${NOW}\nusers:\n  - name: u\n    accessKeys: [${quoted}]\n`;
        const errors = loadIncidents([{ path: "incidents/2026-11-28-key.yaml", text }], { now: new Date(NOW) }).errors;
        expect(errors.map((e) => `${e.code} ${e.message}`)).toEqual([
          `E_ACCESS_KEY_ID users[0].accessKeys[0]: found ${KEY} with white space around it, expected an access key id: AKIA followed by 16 of A-Z and 0-9`,
        ]);
      }),
      { numRuns: 30 },
    );
  });
});
