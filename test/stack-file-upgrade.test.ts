/**
 * The upgrade path of a repository whose stack files cordon now refuses (docs/lifecycle.md,
 * "Upgrading: refused stack files"): a second stack file of an account, a `.yml` copy, a file named
 * for no account's stack. Each applies nothing, so it takes no other account down: the pull request
 * workflow's judge still lists the base's stacks (`cordon accounts --json`, for their outputs) and
 * guard judges the change; the pull request that removes such a file, or renames it to the
 * account's own name, passes when nothing active is weakened; one that adds or edits such a file
 * is refused; and a change that leaves it as it was (contain's commit) is judged without it.
 * Through the CLI, on real temporary git repositories, as the workflows call it.
 */
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

/** Every incident below is active at this instant (10 h left). */
const NOW = "2026-11-29T12:00:00Z";
const UNREADABLE = "cordon guard: fix the stack files above: a change that cannot be read cannot be proven safe";

const incident = (id: string, account: string, user = "ci-deployer") => ({
  id,
  title: "a key in a public repository",
  account,
  cutoff: "2026-11-28T10:00:00Z",
  users: [{ name: user }],
});

const digits = fc.stringMatching(/^\d{12}$/);
/** A stack file name that is no account's own (`prod-` and 12 digits). */
const otherName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/).filter((name) => !/^prod-\d{12}$/.test(name));

/** The extra files an existing repository may hold beside each account's own stack file. */
const extra = fc.record({
  kind: fc.constantFrom("second", "yml"),
  of: fc.nat(),
  name: otherName,
  incidentsDir: fc.constantFrom(undefined, "elsewhere", "incidents"),
});
type Extra = { kind: "second" | "yml"; of: number; name: string; incidentsDir: string | undefined };

function extraFiles(accounts: string[], extras: Extra[]): Record<string, Content> {
  return Object.fromEntries(
    extras.map((e) => {
      const account = accounts[e.of % accounts.length];
      const path = e.kind === "second" ? `Pulumi.${e.name}.yaml` : `Pulumi.prod-${account}.yml`;
      return [path, stackFile(account, e.incidentsDir)];
    }),
  );
}

/** A project of the accounts, each with its own stack file and an active incident. */
function project(accounts: string[]): Record<string, Content> {
  return {
    "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
    ...Object.fromEntries(accounts.map((account) => [`Pulumi.prod-${account}.yaml`, stackFile(account)])),
    ...Object.fromEntries(
      accounts.map((account, i) => [`incidents/2026-11-28-key-${i}.yaml`, incident(`2026-11-28-key-${i}`, account)]),
    ),
  };
}

const repo = newRepo();
async function between(from: Record<string, Content>, to: Record<string, Content>, ...more: string[]) {
  const base = commitTree(repo, from, "base");
  const head = commitTree(repo, to, "head");
  return { base, head, ...(await runGuard(repo, ["--base", base, "--head", head, "--now", NOW, ...more])) };
}

/** `cordon accounts --json` in a checkout of `files`, as the judge runs it at the base for the stacks' outputs. */
async function listed(files: Record<string, Content>) {
  const dir = newFolder("cordon-upgrade-checkout-");
  writeTree(dir, files);
  const io = memoryIo({ cwd: dir });
  const code = await main(["accounts", "--json", "--now", NOW], io);
  return {
    code,
    stacks: code === 0 ? (JSON.parse(io.stdout).accounts as { stack: string }[]).map((a) => a.stack) : [],
  };
}

describe("a base that holds stack files cordon refuses, read by no stack", () => {
  it("the pull request that removes them: the judge lists every stack of the base, and guard passes it (nothing active is weakened)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(digits, { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(extra, { minLength: 1, maxLength: 3, selector: (e) => e.name }),
        async (accounts, extras) => {
          const base = { ...project(accounts), ...extraFiles(accounts, extras) };
          expect(await listed(base)).toEqual({ code: 0, stacks: accounts.map((a) => `prod-${a}`).sort() });
          const result = await between(base, project(accounts));
          expect(result.stderr).toBe("");
          const n = accounts.length;
          expect(result.stdout).toContain(
            `guard: no active incident is removed or weakened (${n} incident${n === 1 ? "" : "s"} at ${result.base}, ${n} incident${n === 1 ? "" : "s"} at ${result.head})\n`,
          );
          expect(result.code).toBe(0);
        },
      ),
      { numRuns: 10 },
    );
  });

  it("a change that leaves them as they were (contain's commit of a new incident) is judged without them, additive, each said as a warning", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(digits, { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(extra, { minLength: 1, maxLength: 3, selector: (e) => e.name }),
        async (accounts, extras) => {
          const base = { ...project(accounts), ...extraFiles(accounts, extras) };
          const head = { ...base, "incidents/2026-11-29-new.yaml": incident("2026-11-29-new", accounts[0], "other") };
          const result = await between(base, head, "--additive");
          expect(result.stdout).toContain("guard: additive: the change only adds containment\n");
          const warnings = result.stderr.trimEnd().split("\n");
          const files = Object.keys(extraFiles(accounts, extras)).sort();
          expect(warnings.slice(0, -1).map((line) => /^cordon guard: warning: ([^:]+):/.exec(line)?.[1])).toEqual(
            files,
          );
          for (const line of warnings.slice(0, -1)) expect(line).toMatch(/^cordon guard: warning: /);
          expect(warnings.at(-1)).toMatch(
            new RegExp(
              `^cordon guard: warning: ${files.length === 1 ? "1 stack file" : `${files.length} stack files`} above, as at --base [0-9a-f]{40}, (is|are) read by no stack: `,
            ),
          );
          expect(result.code).toBe(0);
        },
      ),
      { numRuns: 10 },
    );
  });

  it("a change that adds such a file, or edits one, is refused: the head cannot be read as Pulumi reads it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(digits, { minLength: 1, maxLength: 3 }),
        extra,
        fc.boolean(),
        async (accounts, e, edited) => {
          const files = extraFiles(accounts, [e]);
          const [path] = Object.keys(files);
          const base = edited ? { ...project(accounts), ...files } : project(accounts);
          const head = { ...project(accounts), [path]: `${files[path]}  aws:region: us-east-1\n` };
          const result = await between(base, head);
          const lines = result.stderr.trimEnd().split("\n");
          expect(lines.at(-1)).toBe(UNREADABLE);
          expect(lines[0].startsWith(`${path}:`)).toBe(true);
          expect(result.stdout).not.toContain("no active incident is removed or weakened");
          expect(result.code).toBe(1);
        },
      ),
      { numRuns: 10 },
    );
  });
});

describe("a file named for no stack, with no file of its account's own", () => {
  const A = "123456789012";
  const base = (incidentsDir?: string) => ({
    "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
    "Pulumi.old.yaml": stackFile(A, incidentsDir),
    "incidents/2026-11-28-key-0.yaml": incident("2026-11-28-key-0", A),
  });
  const renamed = (incidentsDir?: string) => {
    const { "Pulumi.old.yaml": old, ...rest } = base(incidentsDir);
    return { ...rest, [`Pulumi.prod-${A}.yaml`]: old };
  };

  it("says to rename it, and the rename passes: the account's stack read the project's folder, and still does", async () => {
    const result = await between(base(), renamed());
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { stderr } = await between(base(), { ...base(), "incidents/x.yaml": incident("x", A, "x") });
    expect(stderr).toContain(
      `Pulumi.old.yaml:2:3 E_STACK_NAME this file deploys account ${A}, whose stack is prod-${A} (cordon:stackPrefix "prod", then the account): the workflows deploy that stack and no other, and the program refuses to run under another name, so nothing here would be applied: rename the file Pulumi.prod-${A}.yaml (and the stack: pulumi stack rename prod-${A})\n`,
    );
  });

  it("a rename that makes the stack read another folder is judged for what it does: refused while an incident it applied is active", async () => {
    const result = await between(base("elsewhere"), renamed("elsewhere"));
    expect(result.stderr).toContain(
      `incidents/2026-11-28-key-0.yaml: incident 2026-11-28-key-0 is active until 2026-11-29T22:00:00Z (10 h left): no stack applies it any more (no stack file deploys account ${A} from a folder that holds incidents/2026-11-28-key-0.yaml): its deny policies would go with the next pulumi up\n`,
    );
    expect(result.code).toBe(1);
  });
});
