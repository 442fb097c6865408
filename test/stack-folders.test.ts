/**
 * Each stack reads its own `cordon:incidentsDir`, and the CLI follows it as the program does
 * (plan/project.ts, stackReads): an incident's share in an account is applied only when its file
 * lies under the folder that account's stack reads (its stack file's, or the project's when no
 * stack file deploys the account). accounts, plan, validate and status say so from the project's
 * folder and from a subfolder, over generated layouts; verify against moto; new writes into the
 * folder of the account's stack.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { runNew } from "../commands/new.ts";
import type { Lookup } from "../aws/lookup.ts";
import { motoForSuite } from "./support/moto.ts";

const NOW = "2026-11-29T12:00:00Z";
const A = "123456789012";
const B = "210987654321";
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const incident = (id: string, account: string, user = "ci-deployer") => ({
  id,
  title: "a key in a public repository",
  account,
  cutoff: "2026-11-29T10:00:00Z",
  users: [{ name: user }],
});

/** A project: Pulumi.yaml (with its own default folder, if given), the stack files and the incident files. */
function project(files: Record<string, string | object>, defaultDir?: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "cordon-stack-folders-")));
  made.push(dir);
  const config = defaultDir === undefined ? "" : `config:\n  cordon:incidentsDir:\n    default: ${defaultDir}\n`;
  writeFileSync(join(dir, "Pulumi.yaml"), `name: cordon\nruntime: nodejs\n${config}`);
  mkdirSync(join(dir, "docs"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), typeof content === "string" ? content : stringify(content));
  }
  return dir;
}

const stackFile = (account: string, incidentsDir?: string) =>
  `config:\n  cordon:account: "${account}"\n${incidentsDir === undefined ? "" : `  cordon:incidentsDir: ${incidentsDir}\n`}`;

async function cordon(cwd: string, ...args: string[]) {
  const io = memoryIo({ cwd, env: { NO_COLOR: "1" } });
  const code = await main([...args, "--now", NOW], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("the reviewer's layout: the stack reads incidents/a, the incident sits in incidents/b", () => {
  const dir = project({
    [`Pulumi.prod-${A}.yaml`]: stackFile(A, "incidents/a"),
    "incidents/a/README.md": "the stack's folder\n",
    "incidents/b/2026-11-28-ci-key.yaml": incident("2026-11-28-ci-key", A),
  });
  const warning = (from: string) =>
    `incident 2026-11-28-ci-key: ${from}incidents/b/2026-11-28-ci-key.yaml is outside every folder the stack of account ${A} reads (${from}Pulumi.prod-${A}.yaml reads ${from}incidents/a/): its share there is never applied; move the file there`;

  it.each([
    ["the project's folder", "", ""],
    ["a subfolder", "docs", "../"],
  ])(
    "from %s, accounts lists no incident for the stack, and accounts, validate, plan and status warn",
    async (_, sub, from) => {
      const cwd = join(dir, sub);
      expect(await cordon(cwd, "accounts")).toEqual({
        code: 0,
        stdout: `${A}  prod-${A}  no incident (its stack runs to remove what it declared)\n`,
        stderr: `cordon accounts: warning: ${warning(from)}\n`,
      });
      expect(await cordon(cwd, "validate")).toEqual({
        code: 0,
        stdout: "1 incident valid: 2026-11-28-ci-key\n",
        stderr: `cordon validate: warning: ${warning(from)}\n`,
      });
      const plan = await cordon(cwd, "plan", "--json");
      expect([plan.code, plan.stderr]).toEqual([0, `cordon plan: warning: ${warning(from)}\n`]);
      expect(JSON.parse(plan.stdout)).toMatchObject({ incidents: [], denyPolicies: [] });
      const status = await cordon(cwd, "status");
      expect([status.code, status.stderr]).toEqual([0, `cordon status: warning: ${warning(from)}\n`]);
    },
  );

  it("the file moved into the stack's folder is listed, planned and valid without a warning", async () => {
    const moved = project({
      [`Pulumi.prod-${A}.yaml`]: stackFile(A, "incidents/a"),
      "incidents/a/2026-11-28-ci-key.yaml": incident("2026-11-28-ci-key", A),
    });
    expect(await cordon(moved, "accounts")).toEqual({
      code: 0,
      stdout: `${A}  prod-${A}  2026-11-28-ci-key\n`,
      stderr: "",
    });
    const plan = await cordon(join(moved, "docs"), "plan", "--json");
    expect(plan.stderr).toBe("");
    expect(JSON.parse(plan.stdout).denyPolicies.map((d: { resourceName: string }) => d.resourceName)).toEqual([
      `${A}-user-ci-deployer`,
    ]);
  });

  it("validate warns of a stack whose folder does not exist: its pulumi up fails", async () => {
    const missing = project({
      [`Pulumi.prod-${A}.yaml`]: stackFile(A, "nowhere"),
      "incidents/README.md": "the project's folder\n",
    });
    expect(await cordon(missing, "validate")).toEqual({
      code: 0,
      stdout: "no incident files found: nothing to validate\n",
      stderr: `cordon validate: warning: Pulumi.prod-${A}.yaml: cordon:incidentsDir nowhere does not exist: that stack's pulumi up fails (E_READ no such file or folder), declaring nothing\n`,
    });
  });
});

describe("doctor reads every stack's folder", () => {
  it("an invalid file in a stack's own folder is an incident-files problem", async () => {
    const dir = project({
      [`Pulumi.prod-${A}.yaml`]: stackFile(A, "ops"),
      "incidents/README.md": "the project's folder\n",
      "ops/2026-11-28-bad.yaml": { ...incident("2026-11-28-bad", A), cutoff: "yesterday" },
    });
    const result = await cordon(dir, "doctor");
    expect(result.stdout).toContain("✗ incident files: 1 error: nothing is deployed while any file is invalid");
    expect(result.code).toBe(1);
  });
});

describe("doctor says which folders the workflows cannot serve", () => {
  it.each([
    [
      "a stack reads ops, outside incidents/",
      "ops",
      `✗ incident folders: Pulumi.prod-${A}.yaml (cordon:incidentsDir) reads "ops", outside incidents/: guard and CODEOWNERS take every file there for code (guard/protected-paths.ts), so each incident there needs a code owner, and the contain workflow cannot commit one (guard --additive refuses it; the key is still disabled)\n    fix: set cordon:incidentsDir to incidents/ops in Pulumi.prod-${A}.yaml, and git mv the incident files there\n`,
    ],
    [
      "a stack reads incidents/eu, west: its name holds a comma",
      "incidents/eu, west",
      `✗ incident folders: Pulumi.prod-${A}.yaml (cordon:incidentsDir) reads "incidents/eu, west", which holds a comma, a line end, a blank at either end or a leading colon: the apply workflow's removal pull request cannot name it (create-pull-request's add-paths), so it fails rather than propose removing an expired incident there\n    fix: rename the folder "incidents/eu, west" without them, and set cordon:incidentsDir to the new name\n`,
    ],
  ])("%s: a gap, with its fix", async (_, folder, said) => {
    const dir = project({
      [`Pulumi.prod-${A}.yaml`]: `config:\n  cordon:account: "${A}"\n  cordon:incidentsDir: ${JSON.stringify(folder)}\n`,
      "incidents/README.md": "the project's folder\n",
      [`${folder}/README.md`]: "the stack's folder\n",
    });
    const result = await cordon(dir, "doctor");
    expect(result.stdout).toContain(said);
    expect(result.code).toBe(1);
  });

  it("every stack reads a folder under incidents/: no line about the folders", async () => {
    const dir = project({
      [`Pulumi.prod-${A}.yaml`]: stackFile(A, "incidents/a"),
      "incidents/a/README.md": "the stack's folder\n",
    });
    expect((await cordon(dir, "doctor")).stdout).not.toContain("incident folders");
  });
});

describe("over generated layouts: which stack files set which folder, where the files sit", () => {
  const FOLDERS = ["incidents", "incidents/a", "incidents/b", "ops", "teams/b"] as const;
  const folder = fc.constantFrom(...FOLDERS);
  /** Per account: no stack file, a stack file without a folder (the project's), or with its own. */
  const stackOf = fc.option(fc.option(folder, { nil: undefined }), { nil: null });
  const layout = fc.record({
    projectDir: fc.option(fc.constantFrom("incidents", "ops"), { nil: undefined }),
    stacks: fc.record({ [A]: stackOf, [B]: stackOf }),
    files: fc.uniqueArray(fc.record({ account: fc.constantFrom(A, B), at: folder, n: fc.nat(99) }), {
      minLength: 1,
      maxLength: 4,
      selector: (f) => f.n,
    }),
  });

  it("accounts, plan and validate list and warn exactly as the rule says", async () => {
    await fc.assert(
      fc.asyncProperty(layout, async ({ projectDir, stacks, files }) => {
        const own = projectDir ?? "incidents";
        const ids = files.map((f) => `2026-11-28-k${String(f.n).padStart(2, "0")}`);
        const tree: Record<string, string | object> = {};
        // Every folder exists (a missing one is validate's warning, tested above).
        for (const f of FOLDERS) tree[`${f}/README.md`] = "a folder\n";
        for (const [account, stack] of Object.entries(stacks))
          if (stack !== null) tree[`Pulumi.prod-${account}.yaml`] = stackFile(account, stack);
        files.forEach((f, i) => {
          tree[`${f.at}/${ids[i]}.yaml`] = incident(ids[i], f.account, `user${f.n}`);
        });
        const dir = project(tree, projectDir);
        // The oracle, written out: the folder each account's stack reads.
        const reads = (account: string) => {
          const stack = (stacks as Record<string, string | null | undefined>)[account];
          return stack === null ? own : (stack ?? own);
        };
        const inside = (at: string, d: string) => at === d || at.startsWith(`${d}/`);
        const visible = (at: string) =>
          inside(at, own) || Object.values(stacks).some((s) => s !== null && inside(at, s ?? own));
        const seen = files.map((f, i) => ({ ...f, id: ids[i] })).filter((f) => visible(f.at));
        const applied = seen.filter((f) => inside(f.at, reads(f.account)));
        const unread = seen.filter((f) => !inside(f.at, reads(f.account)));
        const stackAccounts = Object.entries(stacks)
          .filter(([, s]) => s !== null)
          .map(([a]) => a);
        const expected = [...new Set([...stackAccounts, ...applied.map((f) => f.account)])].sort().map((account) => ({
          account,
          stack: `prod-${account}`,
          incidents: applied
            .filter((f) => f.account === account)
            .map((f) => f.id)
            .sort(),
          organization: false,
          recordsContainment: [],
          after: [],
        }));

        // Every folder a stack reads, the project's included: what the workflows commit and copy.
        const folders = [
          ...new Set([own, ...Object.values(stacks).flatMap((s) => (s === null ? [] : [s ?? own]))]),
        ].sort();
        for (const cwd of [dir, join(dir, "docs")]) {
          const listed = await cordon(cwd, "accounts", "--json");
          expect(listed.code).toBe(0);
          expect(JSON.parse(listed.stdout).accounts).toEqual(expected);
          expect(JSON.parse(listed.stdout).folders).toEqual(folders.map((f) => relative(cwd, join(dir, f))));
          const warned = listed.stderr.split("\n").filter(Boolean);
          expect(warned).toHaveLength(unread.length);
          for (const f of unread)
            expect(warned.some((line) => line.startsWith(`cordon accounts: warning: incident ${f.id}: `))).toBe(true);

          const validated = await cordon(cwd, "validate");
          expect(validated.code).toBe(0);
          expect(validated.stderr.split("\n").filter(Boolean)).toHaveLength(unread.length);

          const plan = await cordon(cwd, "plan", "--json");
          expect(plan.code).toBe(0);
          expect(JSON.parse(plan.stdout).incidents.map((i: { id: string }) => i.id)).toEqual(
            applied.map((f) => f.id).sort(),
          );
          for (const account of [A, B]) {
            const scoped = await cordon(cwd, "plan", "--json", "--account", account);
            expect(JSON.parse(scoped.stdout).incidents.map((i: { id: string }) => i.id)).toEqual(
              seen
                .filter((f) => f.account === account && inside(f.at, reads(account)))
                .map((f) => f.id)
                .sort(),
            );
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("new writes into the folder of the account's stack", () => {
  const lookup = (account: string): Lookup => ({
    keyOwner: async () => "ci-deployer",
    account: async () => account,
    assumedRoles: async () => ({ kind: "found", roleArns: [], source: "a test", failed: [], elsewhere: [] }),
    assumableRoles: async () => ({ kind: "found", roleArns: [], source: "a test", failed: [], elsewhere: [] }),
  });
  const written = (dir: string) =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.startsWith("2026-11-29-"))
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();

  it("over generated layouts: the folder of the stack named <prefix>-<account>, else the project's", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(A, B),
        fc.option(fc.constantFrom("incidents/a", "ops", "incidents"), { nil: undefined }),
        fc.option(fc.constantFrom("incidents/b", "teams/b"), { nil: undefined }),
        fc.boolean(),
        async (account, prodDir, otherDir, sub) => {
          const tree: Record<string, string> = { "incidents/README.md": "the project's folder\n" };
          if (prodDir !== undefined) tree[`Pulumi.prod-${A}.yaml`] = stackFile(A, prodDir);
          // Another stack file of the same account, sorted first: a stack file's name says its account
          // (plan/project.ts, E_STACK_NAME), so this one deploys nothing, and new never writes for it.
          if (otherDir !== undefined) tree[`Pulumi.a-extra-${A}.yaml`] = stackFile(A, otherDir);
          const dir = project(tree);
          const io = memoryIo({ cwd: sub ? join(dir, "docs") : dir, env: { NO_COLOR: "1" } });
          const code = await runNew(
            ["--title", "Exposed", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--id", "2026-11-29-key", "--now", NOW],
            io,
            lookup(account),
          );
          expect([code, io.stderr]).toEqual([0, ""]);
          const expected = account === A ? (prodDir ?? "incidents") : "incidents";
          expect(written(dir)).toEqual([`${expected}/2026-11-29-key.yaml`]);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("--dir a folder the account's stack does not read: refused, nothing written (another stack reads it)", async () => {
    const dir = project({
      [`Pulumi.prod-${A}.yaml`]: stackFile(A, "incidents/a"),
      [`Pulumi.prod-${B}.yaml`]: stackFile(B, "incidents/b"),
      "incidents/a/README.md": "x\n",
    });
    const io = memoryIo({ cwd: join(dir, "docs"), env: { NO_COLOR: "1" } });
    const args = ["--title", "Exposed", "--user", "ci-deployer", "--account", A, "--roles-from", "none"];
    const code = await main(["new", ...args, "--id", "2026-11-29-key", "--dir", "../incidents/b", "--now", NOW], io);
    expect([code, io.stdout, io.stderr]).toEqual([
      2,
      "",
      `cordon new: ../incidents/b/ is not read by the stack of ${A}: pulumi up never applies this file's share there (the stack of ${A} reads ../incidents/a/): not written; leave out --dir, or name that folder\n`,
    ]);
    expect(written(dir)).toEqual([]);
  });

  it("a share in another account whose stack reads another folder: written where the key's stack reads, and warned", async () => {
    const dir = project({
      [`Pulumi.prod-${A}.yaml`]: stackFile(A, "incidents/a"),
      [`Pulumi.prod-${B}.yaml`]: stackFile(B, "teams/b"),
      "incidents/a/README.md": "x\n",
      "teams/b/README.md": "x\n",
    });
    const io = memoryIo({ cwd: dir, env: { NO_COLOR: "1" } });
    const roles: Lookup = {
      ...lookup(A),
      assumedRoles: async () => ({
        kind: "found",
        roleArns: [`arn:aws:iam::${B}:role/data-loader`],
        source: "a test",
        failed: [],
        elsewhere: [],
      }),
    };
    const code = await runNew(
      ["--title", "Exposed", "--access-key", "AKIAIOSFODNN7EXAMPLE", "--id", "2026-11-29-key", "--now", NOW],
      io,
      roles,
    );
    expect(code).toBe(0);
    expect(written(dir)).toEqual(["incidents/a/2026-11-29-key.yaml"]);
    expect(io.stderr).toBe(
      `cordon new: warning: incident 2026-11-29-key: incidents/a/2026-11-29-key.yaml is outside every folder the stack of account ${B} reads (Pulumi.prod-${B}.yaml reads teams/b/): its share there is never applied; move the file there\n`,
    );
  });
});

describe("verify follows the stack's folder (against moto)", () => {
  motoForSuite({ managedPolicies: false });
  const env = { NO_COLOR: "1" };
  async function verify(cwd: string, ...args: string[]) {
    const io = memoryIo({ cwd, env: { ...process.env, ...env } as Record<string, string> });
    const code = await main(["verify", ...args, "--now", NOW], io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  }

  it("an incident in the stack's own folder is verified (and fails: nothing is applied in moto)", async () => {
    const dir = project({
      [`Pulumi.prod-${A}.yaml`]: stackFile(A, "other"),
      "incidents/README.md": "the project's folder\n",
      "other/2026-11-28-ci-deploy-key.yaml": {
        ...incident("2026-11-28-ci-deploy-key", A),
        users: undefined,
        roles: [{ name: "deploy" }],
      },
    });
    const result = await verify(join(dir, "docs"), "--all-shares", "--incident", "2026-11-28-ci-deploy-key");
    expect(result.stdout).not.toContain("nothing to verify");
    expect(result.stdout).toContain("containment not proven: 1 principal of 1 active incident in account 123456789012");
    expect(result.code).toBe(1);
  });

  it("an incident no stack reads is not applied: --all-shares fails; an unknown --incident is refused", async () => {
    const dir = project({
      [`Pulumi.prod-${A}.yaml`]: stackFile(A, "incidents/a"),
      "incidents/a/README.md": "x\n",
      "incidents/b/2026-11-28-ci-key.yaml": incident("2026-11-28-ci-key", A),
    });
    const notApplied = `not applied: incident 2026-11-28-ci-key: incidents/b/2026-11-28-ci-key.yaml is outside every folder the stack of account ${A} reads (Pulumi.prod-${A}.yaml reads incidents/a/): its share there is never applied; move the file there\n`;
    expect(await verify(dir)).toEqual({
      code: 0,
      stdout: `no active incident for account ${A} at ${NOW}: nothing to verify\n`,
      stderr: notApplied,
    });
    expect(await verify(dir, "--all-shares", "--incident", "2026-11-28-ci-key")).toEqual({
      code: 1,
      stdout: `no active incident for account ${A} at ${NOW}: nothing to verify\n`,
      stderr: `${notApplied}cordon verify: 1 share of 2026-11-28-ci-key not checked (--all-shares): nothing was checked in account ${A} either (no active incident's principal there): the containment is proven nowhere\n`,
    });
    expect(await verify(dir, "--all-shares", "--incident", "2026-11-28-ci-key-typo")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "cordon verify: --incident 2026-11-28-ci-key-typo: no incident file in incidents, incidents/a has this id: nothing of it can be verified\n",
    });
  });
});
