/**
 * What an at-containment instant does not cover: the users an incident names in other accounts
 * than the one whose stack records it. Their keys are disabled by their own account's stack, but
 * none holds the instant back or moves it, so `validate` and `plan` say so, as users call them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";

const NOW = "2026-11-28T18:00:00Z";
const A = "123456789012";
const B = "222222222222";
const C = "333333333333";

interface User {
  name: string;
  account: string;
  keys: boolean;
}

function incidentYaml(cutoff: string, mode: string, users: User[]): string {
  return [
    "id: 2026-11-28-dana",
    "title: Dana's key in a ticket",
    `account: "${A}"`,
    `cutoff: ${cutoff}`,
    `mode: ${mode}`,
    "users:",
    ...users.flatMap((user, i) => [
      `  - name: ${user.name}`,
      `    account: "${user.account}"`,
      ...(user.keys ? [`    accessKeys: [AKIAJ7Q2EXAMPLEKEY${String(i).padStart(2, "0")}]`] : []),
    ]),
    "ticket: SEC-1236",
    "",
  ].join("\n");
}

/** `cordon validate` and `cordon plan` of one incident file, from a folder of its own. */
async function run(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "cordon-outreach-"));
  try {
    writeFileSync(join(dir, "2026-11-28-dana.yaml"), yaml);
    const results: { code: number; stdout: string; stderr: string }[] = [];
    for (const command of ["validate", "plan"]) {
      const io = memoryIo({ cwd: dir });
      const code = await main([command, "2026-11-28-dana.yaml", "--now", NOW], io);
      results.push({ code, stdout: io.stdout, stderr: io.stderr });
    }
    return { validate: results[0], plan: results[1] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const WARNING = `incident 2026-11-28-dana: cutoff at-containment: the instant is recorded by the stack of account ${A} once the access keys of the incident's users in that account are Inactive, and moved by a key found there later; the users in other accounts (account ${B}: dana, erin; account ${C}: frank) have their keys disabled by their own account's stack, but no key of theirs holds the instant back or moves it (no stack sees another account's keys): a key added to one of them, or set Active again, mints sessions after the cutoff that stay valid; to cover them, list such a key as exposed in an at-containment incident of its own account, give this incident an explicit cutoff after their keys were disabled, or use mode: deny-all\n`;

describe("an at-containment incident that names users in more than one account", () => {
  it("is valid, and validate and plan warn, naming the owner and every user left out", async () => {
    const { validate, plan } = await run(
      incidentYaml("at-containment", "revoke-older-sessions", [
        { name: "dana", account: A, keys: true },
        { name: "frank", account: C, keys: false },
        { name: "erin", account: B, keys: false },
        { name: "dana", account: B, keys: false },
      ]),
    );
    expect(validate.code).toBe(0);
    expect(validate.stderr).toBe(`cordon validate: warning: ${WARNING}`);
    expect(validate.stdout).toBe("1 incident valid: 2026-11-28-dana\n");
    expect(plan.code).toBe(0);
    expect(plan.stderr).toBe(`cordon plan: warning: ${WARNING}`);
  });

  it("warns exactly when the cutoff is at-containment, the mode is not deny-all, and a user is outside the keys' account", async () => {
    const user = fc.record({
      name: fc.constantFrom("dana", "erin", "frank"),
      account: fc.constantFrom(A, B),
      keys: fc.constant(false),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("at-containment", "2026-11-28T10:00:00Z"),
        fc.constantFrom("revoke-older-sessions", "deny-all"),
        fc.uniqueArray(user, { maxLength: 3, selector: (u) => `${u.account}/${u.name}` }),
        fc.boolean(),
        async (cutoff, mode, others, keys) => {
          // The first user is in the incident's account, which records the instant: it holds the
          // keys, or no one does and the incident's own account has a share.
          const users = [{ name: "ci-deployer", account: A, keys }, ...others];
          const { validate, plan } = await run(incidentYaml(cutoff, mode, users));
          const warned = cutoff === "at-containment" && mode !== "deny-all" && others.some((u) => u.account !== A);
          expect(validate.code).toBe(0);
          expect(plan.code).toBe(0);
          const said = (command: string) =>
            `cordon ${command}: warning: incident 2026-11-28-dana: cutoff at-containment: the instant is recorded by the stack of account ${A}`;
          expect(validate.stderr.startsWith(said("validate"))).toBe(warned);
          expect(plan.stderr.includes(said("plan"))).toBe(warned);
          if (!warned) expect(validate.stderr).toBe("");
        },
      ),
      { numRuns: 60 },
    );
  });
});
