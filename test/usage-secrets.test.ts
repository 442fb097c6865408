/**
 * A secret access key or a session token pasted where a value goes (a key id, a name, a revision,
 * a file, a command, an option) is never printed back: whatever the command and the flag, its
 * usage error says what was wrong without the value; nor is one in an incident file, wherever it
 * is. Checked over generated secrets, of the shapes of incident/secrets.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { isSecretShaped, SESSION_TOKEN_PREFIXES } from "../incident/secrets.ts";
import { redactText } from "../review/core/secrets.ts";
import { usageOutput } from "./support/usage.ts";

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
/** 40 characters of base64, mixed case, as AWS issues secret access keys. */
const secretKey = fc.string({ unit: fc.constantFrom(...BASE64), minLength: 40, maxLength: 40 }).filter(isSecretShaped);
/**
 * A session token: one of STS's prefixes, then up to hundreds of characters of base64, padded or
 * not; always longer than a secret access key (real ones run to hundreds of characters), so that a
 * value is never both and the kind the test expects is never a coin toss.
 */
const sessionToken = fc
  .tuple(
    fc.constantFrom(...SESSION_TOKEN_PREFIXES),
    fc.string({
      unit: fc.constantFrom(...BASE64),
      minLength: 41 - Math.min(...SESSION_TOKEN_PREFIXES.map((prefix) => prefix.length)),
      maxLength: 800,
    }),
    fc.constantFrom("", "=", "=="),
  )
  .map((parts) => parts.join(""));
const secret = fc.oneof(secretKey, sessionToken);
/** What no output may hold: the secret, or enough of its start to be of use (a display may cut a long value). */
const shown = (value: string) => value.slice(0, 40);

const SECRET = "$SECRET";
const CASES: string[][] = [
  ["assess", "--access-key", SECRET],
  ["assess", "--access-key", "AKIAIOSFODNN7EXAMPLE", SECRET],
  ["assess", "--user", SECRET],
  // A warning, not a usage error: the review goes on without the file (and stops on no credentials).
  ["review", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--assess", SECRET],
  ["review", "--access-key", SECRET],
  ["review", "--access-key", "AKIAIOSFODNN7EXAMPLE", SECRET],
  ["review", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--since", SECRET],
  ["review", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--regions", SECRET],
  ["new", "--title", "x", "--access-key", SECRET, "--account", "123456789012"],
  ["new", "--title", "x", "--user", SECRET, "--account", "123456789012"],
  ["new", "--title", "x", "--role", SECRET, "--account", "123456789012"],
  ["new", "--title", "x", "--user", "dana", "--account", SECRET],
  ["new", "--title", "x", "--user", "dana", "--account", "123456789012", "--id", SECRET],
  ["new", "--title", "x", "--user", "dana", "--account", "123456789012", "--mode", SECRET],
  ["new", "--title", "x", "--user", "dana", "--account", "123456789012", "--cutoff", SECRET],
  ["new", "--title", "x", "--user", "dana", SECRET],
  ["validate", "--now", SECRET],
  ["validate", SECRET],
  ["plan", "--account", SECRET],
  ["plan", "--stack-outputs", SECRET],
  ["status", "--now", SECRET],
  ["verify", "--stack-outputs", SECRET],
  ["guard", "--base", SECRET, "--now", "2026-11-28T12:00:00Z"],
  ["guard", "--base", "main", SECRET],
  ["guard", "--base", "main", "--stack-outputs", SECRET],
  ["status", `--${SECRET}`],
  ["plan", "--now", SECRET],
  ["plan", `--account=${SECRET}`],
  ["verify", "--incident", SECRET, "--all-shares"],
  ["doctor", SECRET],
  [SECRET],
  [SECRET, "--help"],
];

describe("a pasted secret is never echoed", () => {
  it.each(CASES.map((argv) => [argv.join(" "), argv]))("cordon %s", async (_, argv) => {
    await fc.assert(
      fc.asyncProperty(secret, async (value) => {
        const io = memoryIo();
        const code = await main(
          (argv as string[]).map((arg) => arg.replace(SECRET, value)),
          io,
        );
        expect(code).not.toBe(0);
        expect(io.stderr.length).toBeGreaterThan(0);
        expect(io.stdout + io.stderr).not.toContain(shown(value));
      }),
      { numRuns: 10 },
    );
  });

  it("the review's redaction cuts out what the CLI masks: one matcher", () => {
    fc.assert(
      fc.property(secret, fc.constantFrom("", " ", "token ", "a="), (value, before) => {
        expect(redactText(`${before}${value}`, "free text")).toBe(`${before}[redacted by cordon]`);
      }),
    );
  });

  it("says what it found instead", async () => {
    const io = memoryIo();
    expect(await main(["assess", "--access-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"], io)).toBe(2);
    expect(io.stderr).toBe(
      usageOutput(
        "cordon assess: --access-key: found what looks like a secret access key (40 characters, not shown), expected an access key id, AKIA followed by 16 capital letters or digits: treat the key as exposed, and clear your shell history",
      ),
    );
    const review = memoryIo();
    expect(await main(["review", "--access-key", "FwoGZXIvYXdzEJr//////////wEaDN0tT0tAV"], review)).toBe(2);
    expect(review.stderr).toBe(
      usageOutput(
        "cordon review: --access-key: found a value of 37 characters (not shown), expected AKIA or ASIA followed by 16 capital letters or digits, such as AKIAIOSFODNN7EXAMPLE",
      ),
    );
  });
});

describe("a secret in an incident file is never echoed by validate", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const FILE = (line: string) =>
    [
      "id: 2026-11-28-pasted",
      "title: a pasted secret",
      'account: "123456789012"',
      "cutoff: 2026-11-28T10:00:00Z",
      "users: [{ name: ci-deployer }]",
      line,
      "",
    ].join("\n");

  it.each([
    ["as an unknown field's name", (value: string) => `${value}: x`],
    ["as a field's value", (value: string) => `ticket: ${value}`],
    ["in a comment", (value: string) => `# AWS_SESSION_TOKEN=${value}`],
  ])("%s: E_SECRET names the line, never the secret", async (_, line) => {
    dir = mkdtempSync(join(tmpdir(), "cordon-secret-"));
    const at = dir;
    await fc.assert(
      fc.asyncProperty(secret, async (value) => {
        writeFileSync(join(at, "2026-11-28-pasted.yaml"), FILE(line(value)));
        const io = memoryIo({ cwd: at });
        expect(await main(["validate", "2026-11-28-pasted.yaml", "--now", "2026-11-28T12:00:00Z"], io)).toBe(1);
        const kind = value.length === 40 && isSecretShaped(value) ? "a secret access key" : "a session token";
        expect(io.stderr).toContain(`2026-11-28-pasted.yaml:6:1 E_SECRET this line looks like ${kind} (not shown)`);
        expect(io.stdout + io.stderr).not.toContain(shown(value));
      }),
      { numRuns: 10 },
    );
  });

  it("says what to do with a session token", async () => {
    dir = mkdtempSync(join(tmpdir(), "cordon-secret-"));
    writeFileSync(
      join(dir, "2026-11-28-pasted.yaml"),
      FILE(`IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD: x`),
    );
    const io = memoryIo({ cwd: dir });
    expect(await main(["validate", "2026-11-28-pasted.yaml", "--now", "2026-11-28T12:00:00Z"], io)).toBe(1);
    expect(io.stderr.split("\n")).toContain(
      "2026-11-28-pasted.yaml:6:1 E_SECRET this line looks like a session token (not shown): never commit a secret; remove it, and treat the session as exposed: the cutoff of an incident listing the user or role it belongs to revokes it",
    );
  });
});
