/**
 * A withheld account (its own stack file cannot be read: plan/project.ts, problemReach) at the
 * base: guard judges the change against the stacks' outputs, and those are all it knows of what is
 * applied. The pull-request workflow's judge reads them for every listed stack and every withheld
 * one (`cordon accounts --json`, `withheldStacks`); a change to an incident whose account's
 * outputs were not given cannot be judged against what that stack applied, so it is refused
 * rather than taken for an addition. Through the CLI, on real temporary git repositories.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import {
  commitTree,
  newFolder,
  newRepo,
  removeRepos,
  runGuard,
  stackFile,
  writeTree,
  type Content,
} from "./support/git-repo.ts";

afterAll(removeRepos);

/** Every incident below is active at this instant (12 h left). */
const NOW = "2026-12-01T12:00:00Z";
const ACCOUNTS = ["111111111111", "222222222222", "333333333333"];
/** The first account's own stack file at the base: an unknown setting withholds it. */
const WITHHELD = ACCOUNTS[0];
const broken = (account: string) => `${stackFile(account)}  cordon:bogus: 1\n`;

const incident = (i: number, users: string[]) => ({
  id: `2026-12-01-${i}`,
  title: "a key in a public repository",
  account: ACCOUNTS[i],
  cutoff: "2026-12-01T00:00:00Z",
  users: users.map((name) => ({ name })),
});
const USERS = ["dana", "erin"];

/** What each account's stack last applied: its incident, as the base has it. */
const outputs = (i: number) =>
  JSON.stringify({
    account: ACCOUNTS[i],
    incidents: {
      [`2026-12-01-${i}`]: {
        cutoff: "2026-12-01T00:00:00Z",
        atContainment: false,
        expiresAt: "2026-12-02T12:00:00Z",
        mode: "revoke-older-sessions",
        principals: USERS.map((name) => ({ type: "user", name })),
        accessKeys: [],
      },
    },
    replacementRoles: [],
  });

type Edit = "none" | "remove" | "add";
const usersAfter = (edit: Edit) =>
  edit === "remove" ? USERS.slice(0, 1) : edit === "add" ? [...USERS, "frank"] : USERS;

function tree(stack0: string, edits: Edit[]): Record<string, Content> {
  return {
    "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
    ...Object.fromEntries(
      ACCOUNTS.map((account, i) => [`Pulumi.prod-${account}.yaml`, i === 0 ? stack0 : stackFile(account)]),
    ),
    ...Object.fromEntries(
      ACCOUNTS.map((_, i) => [`incidents/2026-12-01-${i}.yaml`, incident(i, usersAfter(edits[i]))]),
    ),
    ...Object.fromEntries(ACCOUNTS.map((_, i) => [`outputs-${i}.json`, outputs(i)])),
  };
}

const repo = newRepo();

describe("a base whose account is withheld, judged against the stacks' outputs", () => {
  it("the judge reads the outputs of the withheld account's stack too: accounts --json names it, and the workflow's filter takes it", async () => {
    const dir = newFolder("cordon-withheld-checkout-");
    writeTree(dir, tree(broken(WITHHELD), ["none", "none", "none"]));
    const io = memoryIo({ cwd: dir });
    expect(await main(["accounts", "--json", "--now", NOW], io)).toBe(0);
    const listed = JSON.parse(io.stdout);
    expect(listed.withheld).toEqual([WITHHELD]);
    expect(listed.withheldStacks).toEqual([`prod-${WITHHELD}`]);
    // The filter the pull-request workflow's judge runs, as written there.
    const workflow = readFileSync(new URL("../.github/workflows/incident-pull-request.yml", import.meta.url), "utf8");
    const filter = /accounts --json 2> \/dev\/null \| jq -r '([^']+)'/.exec(workflow)?.[1];
    expect(filter).toBeDefined();
    const stacks = execFileSync("jq", ["-r", filter as string], { input: io.stdout, encoding: "utf8" });
    expect(stacks.trimEnd().split("\n").sort()).toEqual(ACCOUNTS.map((a) => `prod-${a}`));
  });

  it("a change to an incident whose account's outputs were not given is refused; with them, it is judged by what they say", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Edit>("none", "remove", "add"), { minLength: 3, maxLength: 3 }),
        // Which stacks' outputs the judge got: at least one (else nothing is judged).
        fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
        // The change fixes the withheld account's stack file, or edits it and leaves it broken.
        fc.boolean(),
        async (edits, given, fixed) => {
          const base = commitTree(repo, tree(broken(WITHHELD), ["none", "none", "none"]), "base");
          const head = commitTree(
            repo,
            tree(fixed ? stackFile(WITHHELD) : `${broken(WITHHELD)}  cordon:other: 2\n`, edits),
            "head",
          );
          const args = ["--base", base, "--head", head, "--now", NOW];
          for (const i of given) args.push("--stack-outputs", `outputs-${i}.json`);
          const result = await runGuard(repo, args);
          const unaccounted = ACCOUNTS.flatMap((account, i) =>
            edits[i] !== "none" && !given.includes(i) ? [{ i, account }] : [],
          );
          for (const { i, account } of unaccounted)
            expect(result.stderr).toContain(
              `error incidents/2026-12-01-${i}.yaml: changes incident 2026-12-01-${i}, which no --stack-outputs given names, and the outputs of account ${account}, where it has a share, were not given: a stack may apply it as the base has it, so the change cannot be judged against what it applied (pass every stack's outputs)\n`,
            );
          expect(result.stderr.match(/which no --stack-outputs given names/g) ?? []).toHaveLength(unaccounted.length);
          const weakened = fixed ? edits.flatMap((edit, i) => (edit === "remove" && given.includes(i) ? [i] : [])) : [];
          for (const i of weakened)
            expect(result.stderr).toContain(`incident 2026-12-01-${i} is active until 2026-12-02T12:00:00Z`);
          // A head that edits the stack file and leaves it broken does not validate, whatever else it does.
          const refused = unaccounted.length > 0 || weakened.length > 0 || !fixed;
          expect(result.code).toBe(refused ? 1 : 0);
          if (!refused) expect(result.stdout).toContain("guard: no active incident is removed or weakened");
        },
      ),
      { numRuns: 25 },
    );
  });

  it("a change that leaves the withheld account's stack file as it was (contain's commit) is judged without it: a new incident passes --additive, in any account; a change to one of the withheld account's incidents is refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        // A new incident in each account chosen, and an edit of each incident chosen.
        fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }),
        fc.array(fc.constantFrom<Edit>("none", "remove", "add"), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        async (added, edits, additive) => {
          const from = tree(broken(WITHHELD), ["none", "none", "none"]);
          const base = commitTree(repo, from, "base");
          const news = Object.fromEntries(
            added.map((i) => [
              `incidents/2026-12-01-new-${i}.yaml`,
              { ...incident(i, ["gail"]), id: `2026-12-01-new-${i}` },
            ]),
          );
          const head = commitTree(repo, { ...tree(broken(WITHHELD), edits), ...news }, "contain");
          const args = ["--base", base, "--head", head, "--now", NOW, ...(additive ? ["--additive"] : [])];
          const result = await runGuard(repo, args);
          const lines = result.stderr.trimEnd().split("\n");
          // Said, never hidden: the file's problem, then what it means for the change.
          expect(lines[0]).toBe(
            `cordon guard: warning: Pulumi.prod-${WITHHELD}.yaml:3:3 E_SETTING_UNKNOWN cordon:bogus: cordon reads no such setting; expected one of cordon:account, cordon:autoContain, cordon:autoContainRepository, cordon:incidentsDir, cordon:organization, cordon:protectedPrincipals, cordon:stackPrefix`,
          );
          expect(lines[1]).toBe(
            `cordon guard: warning: 1 stack file above, as at --base ${base}, withholds its account: nothing is applied there until it is fixed, and the change is judged without it; a change to an incident of that account is refused until then (docs/lifecycle.md, "When a stack file is refused")`,
          );
          const held = edits[0] !== "none";
          if (held)
            expect(result.stderr).toContain(
              `error incidents/2026-12-01-0.yaml: changes incident 2026-12-01-0, which has a share in account ${WITHHELD}, withheld at --base ${base} (its own stack file cannot be read): what that stack last applied cannot be judged from the files; fix the stack file first (that change is judged against --stack-outputs)\n`,
            );
          else expect(result.stderr).not.toContain("withheld at --base");
          const weakened = edits.slice(1).includes("remove");
          // Adding a user to an incident only adds containment.
          expect(result.code).toBe(held || weakened ? 1 : 0);
          if (additive && !held && !weakened)
            expect(result.stdout).toContain("guard: additive: the change only adds containment\n");
        },
      ),
      { numRuns: 25 },
    );
  });
});
