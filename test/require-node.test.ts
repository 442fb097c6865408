/**
 * `npm test` on a Node.js older than package.json's "engines" stops at once with one line saying
 * how to get Node.js 24 (test/support/require-node.cjs, the "pretest" script), instead of running
 * the suite for minutes and crashing on a missing API. The script runs as npm runs it, in a
 * process of its own; only the version it sees is set, before it loads.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const SCRIPT = resolve(ROOT, "test/support/require-node.cjs");
const packageJson = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
const MINIMUM = packageJson.engines.node.replace(/^>=/, "").split(".").map(Number) as [number, number, number];

function runAs(version: string) {
  const preload = `Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} }); require(${JSON.stringify(SCRIPT)});`;
  const started = Date.now();
  const result = spawnSync(process.execPath, ["-e", preload], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

const compare = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
const version = fc.tuple(
  fc.integer({ min: 16, max: 30 }),
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 20 }),
);

describe("npm test's Node.js check", () => {
  it("is the first thing npm test runs", () => {
    expect(packageJson.scripts.pretest).toBe("node test/support/require-node.cjs");
  });

  it("refuses exactly the versions below the engines range, in one line that says how to get Node.js 24", () => {
    fc.assert(
      fc.property(version, ([major, minor, patch]) => {
        const run = runAs(`${major}.${minor}.${patch}`);
        if (compare([major, minor, patch], MINIMUM) < 0) {
          expect(run.status).toBe(1);
          expect(run.stdout).toBe("");
          expect(run.stderr).toBe(
            `cordon: Node.js ${major}.${minor}.${patch} is older than ${MINIMUM.join(".")} (package.json "engines"): get Node.js 24 with \`npm install --prefix ~/.cache/node24 node@24\` and put ~/.cache/node24/node_modules/.bin first on PATH (README, Requirements)\n`,
          );
        } else {
          expect([run.status, run.stdout, run.stderr]).toEqual([0, "", ""]);
        }
      }),
      { numRuns: 25 },
    );
  });

  it("accepts the minimum itself and refuses the release just before it", () => {
    expect(runAs(MINIMUM.join(".")).status).toBe(0);
    expect(runAs(`${MINIMUM[0]}.${MINIMUM[1] - 1}.99`).status).toBe(1);
  });
});
