/**
 * A secret access key pasted where a value goes (a key id, a name, a revision, a file) is never
 * printed back: whatever the command and the flag, its usage error says what was wrong without
 * the value. Checked over generated secrets, of the shape of incident/fields.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { isSecretShaped } from "../incident/fields.ts";
import { usageOutput } from "./support/usage.ts";

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
/** 40 characters of base64, mixed case, as AWS issues secret access keys. */
const secret = fc.string({ unit: fc.constantFrom(...BASE64), minLength: 40, maxLength: 40 }).filter(isSecretShaped);

const SECRET = "$SECRET";
const CASES: string[][] = [
  ["assess", "--access-key", SECRET],
  ["assess", "--access-key", "AKIAIOSFODNN7EXAMPLE", SECRET],
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
  [SECRET],
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
        expect(io.stdout + io.stderr).not.toContain(value);
      }),
      { numRuns: 10 },
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
