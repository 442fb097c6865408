/**
 * A file that is not YAML at all (`validate README.md`) is said in a few short lines: the parser
 * quotes the whole token it did not expect (a paragraph), cut here to 60 characters with "…",
 * never in the middle of an escape; and past 10 errors a file gets one more line saying how many
 * were left out. Over generated tokens (lengths, escapes, characters outside ASCII) and counts.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { loadIncidents } from "../incident/load.ts";
import { MAX_YAML_ERRORS, QUOTED_TOKEN_CHARS } from "../incident/yaml.ts";
import { readProjectFiles } from "../plan/project.ts";

const ROOT = resolve(import.meta.dirname, "..");
const NOW = new Date("2026-11-28T12:00:00Z");
const PREFIX = "Unexpected scalar token in YAML stream: ";

/** A token the parser quotes whole: a plain scalar after a stray `]`. */
const token = fc
  .array(fc.constantFrom("a", "Z", "0", " ", "\\", '"', "é", "😀", "\t", "'"), { minLength: 1, maxLength: 200 })
  .map((parts) => `q${parts.join("")}`);

/** The token as the parser quotes it, whole (what cordon cuts). */
function parserQuoted(text: string): string | undefined {
  for (const error of parseDocument(text, { uniqueKeys: true }).errors) {
    const match = /^Unexpected scalar token in YAML stream: "((?:[^"\\]|\\.)*)"/.exec(error.message);
    if (match !== null) return match[1];
  }
  return undefined;
}

const loadErrors = (text: string) =>
  loadIncidents([{ path: "incidents/x.yaml", text }], { now: NOW }).errors.map((e) => e.message);

describe("a quoted token is cut to 60 characters, never in an escape", () => {
  it("over generated tokens", () => {
    fc.assert(
      fc.property(token, (t) => {
        const text = `id: x\n]${t}\n`;
        const whole = parserQuoted(text);
        fc.pre(whole !== undefined);
        const quoted = loadErrors(text).find((m) => m.startsWith(PREFIX));
        expect(quoted).toBeDefined();
        const shown = (quoted as string).slice(PREFIX.length);
        if (Array.from(whole as string).length <= QUOTED_TOKEN_CHARS) expect(shown).toBe(`"${whole}"`);
        else {
          expect(shown.endsWith('…"')).toBe(true);
          const cut = shown.slice(1, -2);
          expect((whole as string).startsWith(cut)).toBe(true);
          expect(Array.from(cut).length).toBeGreaterThanOrEqual(QUOTED_TOKEN_CHARS - 1);
          expect(Array.from(cut).length).toBeLessThanOrEqual(QUOTED_TOKEN_CHARS);
          // Whole escapes only: what is shown still reads as a JSON string.
          expect(() => JSON.parse(`"${cut}"`)).not.toThrow();
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a project or stack file that is not YAML: the same cut", () => {
    const long = `q${"x".repeat(300)}`;
    const project = readProjectFiles({ path: "Pulumi.yaml", text: `name: cordon\n]${long}\n` }, []);
    expect(project.problems.map((p) => p.message)).toContain(
      `not YAML: ${PREFIX}"${long.slice(0, QUOTED_TOKEN_CHARS)}…"`,
    );
  });
});

describe("at most 10 YAML errors per file, then how many more", () => {
  it("over generated counts of stray tokens", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (n) => {
        const text = `id: x\n${Array.from({ length: n }, (_, i) => `]q${i}\n`).join("")}`;
        const total = parseDocument(text, { uniqueKeys: true }).errors.length;
        const errors = loadIncidents([{ path: "incidents/x.yaml", text }], { now: NOW }).errors;
        if (total <= MAX_YAML_ERRORS) {
          expect(errors).toHaveLength(total);
          expect(errors.some((e) => e.message.includes("more YAML"))).toBe(false);
        } else {
          expect(errors).toHaveLength(MAX_YAML_ERRORS + 1);
          const more = total - MAX_YAML_ERRORS;
          expect(errors.at(-1)?.message).toBe(
            `and ${more} more YAML ${more === 1 ? "error" : "errors"} from here, not shown: is this an incident file?`,
          );
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("validate README.md, as npx cordon runs it", () => {
  it("a dozen short lines, exit 1", () => {
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", CI: "true" };
    const run = spawnSync(process.execPath, ["cli/cordon.js", "validate", "README.md", "--now", NOW.toISOString()], {
      cwd: ROOT,
      env,
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(MAX_YAML_ERRORS + 2);
    expect(lines.at(-2)).toMatch(
      /^README\.md:\d+:\d+ E_YAML_SYNTAX and \d+ more YAML errors from here, not shown: is this an incident file\?$/,
    );
    for (const line of lines) expect(line.length).toBeLessThan(200);
  });
});
