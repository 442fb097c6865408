/**
 * The cordon bin as users run it, a process: a flag that takes one value given twice is refused; a
 * `--stack-outputs` file that is not JSON is named by line and column, never quoted; and a stdout
 * that cannot be written ends the command with one line and exit 2 (ENOSPC), or without a word
 * and exit 0 when the reader has gone (EPIPE), never with Node's stack of an unhandled error.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { isSecretShaped } from "../incident/secrets.ts";
import { usageOutput } from "./support/usage.ts";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "cli", "cordon.js");
const NOW = "2026-11-28T12:00:00Z";
const dir = mkdtempSync(join(tmpdir(), "cordon-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `node cli/cordon.js ARGS` from the repository, which holds a project and examples/incidents. */
function cordon(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("a flag that takes one value, given twice", () => {
  it.each([
    [["plan", "examples/incidents", "--account", "123456789012", "--account", "210987654321"], "plan", "account"],
    [["plan", "examples/incidents", "--now", NOW, "--now", "2026-11-29T12:00:00Z"], "plan", "now"],
    [["plan", "examples/incidents", "--json", "--now", NOW, "--json"], "plan", "json"],
    [["status", "--now=2026-11-28T12:00:00Z", "--now", NOW], "status", "now"],
    [["assess", "--user", "ci", "--user", "deploy"], "assess", "user"],
  ])("cordon %j is refused, naming the flag (exit 2)", (args, command, flag) => {
    expect(cordon(...args)).toEqual({
      code: 2,
      stdout: "",
      stderr: usageOutput(`cordon ${command}: option --${flag} given twice`),
    });
  });

  it("a flag that takes several values may repeat", () => {
    const outputs = join(dir, "outputs.json");
    writeFileSync(outputs, '{"incidents": {}}');
    const run = cordon(
      "plan",
      "examples/incidents",
      "--now",
      NOW,
      "--account",
      "123456789012",
      "--stack-outputs",
      outputs,
      "--stack-outputs",
      outputs,
    );
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toContain("cordon plan: 3 incidents in account 123456789012\n");
  });
});

describe("a --stack-outputs file that is not JSON", () => {
  const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
  const secretKey = fc
    .string({ unit: fc.constantFrom(...BASE64), minLength: 40, maxLength: 40 })
    .filter(isSecretShaped);

  it("is named by line and column, without V8's quote of it", () => {
    const file = join(dir, "key.json");
    writeFileSync(file, '{\n  "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",\n  "SecretAccessKey": wJalrXUtnFEMI/K7MDENG\n}\n');
    expect(cordon("plan", "examples/incidents", "--stack-outputs", file)).toEqual({
      code: 2,
      stdout: "",
      stderr: usageOutput(
        `cordon plan: --stack-outputs ${file}: not JSON (line 3, column 22): expected the output of \`pulumi stack output --json\``,
      ),
    });
  });

  it("never shows any part of a secret it holds, wherever the JSON breaks", () => {
    const texts = fc.oneof(
      secretKey.map((key) => ({ key, text: key })),
      secretKey.map((key) => ({ key, text: `{\n  "SecretAccessKey": ${key}\n}\n` })),
      secretKey.map((key) => ({ key, text: `{"SecretAccessKey": "${key}" "more"}` })),
      secretKey.map((key) => ({ key, text: `[\n\n "${key}",\n]` })),
    );
    fc.assert(
      fc.property(texts, ({ key, text }) => {
        const file = join(dir, "outputs.json");
        writeFileSync(file, text);
        const run = cordon("verify", "--stack-outputs", file);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(
          /^cordon verify: --stack-outputs \S+: not JSON \(line \d+, column \d+\): expected the output of `pulumi stack output --json`; /,
        );
        for (let at = 0; at + 6 <= key.length; at++) expect(run.stderr).not.toContain(key.slice(at, at + 6));
      }),
      { numRuns: 6 },
    );
  });
});

describe("review --assess FILE that is not JSON", () => {
  it("is a warning naming the line and column, without V8's quote of it", () => {
    const file = join(dir, "assess.json");
    writeFileSync(file, '{"user": wJalrXUtnFEMI+K7MDENG+bPxRfiCYEXAMPLEKEY}');
    // No credentials: the review stops after the warning, at its first AWS call.
    const run = spawnSync(process.execPath, [BIN, "review", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--assess", file], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: dir, AWS_EC2_METADATA_DISABLED: "true" },
    });
    expect(run.stderr.split("\n")[0]).toBe(
      `review: --assess ${file}: not JSON (line 1, column 10): expected what \`cordon assess --json\` wrote; the blast radius shows what the review saw, without what assess says`,
    );
    expect(run.stderr).not.toContain("wJalrX");
    expect(run.status).toBe(2);
  });
});

describe("a stdout that cannot be written", () => {
  it("no space left (> /dev/full): one line saying so, exit 2", () => {
    const full = openSync("/dev/full", "w");
    try {
      const run = spawnSync(process.execPath, [BIN, "--help"], {
        cwd: ROOT,
        stdio: ["ignore", full, "pipe"],
        encoding: "utf8",
      });
      expect([run.status, run.stderr]).toEqual([
        2,
        "cordon: cannot write the output (ENOSPC: no space left on device)\n",
      ]);
    } finally {
      closeSync(full);
    }
  });

  it("the reader gone (| head -1, EPIPE): ends without a word, exit 0", async () => {
    const child = spawn(process.execPath, [BIN, "--help"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The reader closes before the command writes anything.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((done) => child.on("close", (status) => done(status)));
    expect([code, stderr]).toEqual([0, ""]);
  });
});
