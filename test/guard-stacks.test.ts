/**
 * guard judges what each stack applies (issue 10, items 1, 2, 3 and 5), on real temporary git
 * repositories: a stack file pointed elsewhere, moved to another account or removed is a
 * weakening while it leaves an active incident unapplied; a change to the code that decides what
 * is applied is reported for code-owner review; a base that does not validate is judged through
 * the stack outputs; and a new incident that has already expired is refused.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { execFileSync } from "node:child_process";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import {
  commitTree,
  git,
  newRepo,
  removeRepos,
  runGuard,
  stackFile,
  writeTree,
  type Content,
} from "./support/git-repo.ts";

afterAll(removeRepos);

/** The guard judges at this instant: the ci-key incident (cutoff 10:00 the day before, a user) has 10 h left. */
const NOW = "2026-11-29T12:00:00Z";
const A = "123456789012";
const B = "210987654321";
/** The stack file of each account: the only one the workflows deploy (plan/project.ts, E_STACK_NAME). */
const PROD = `Pulumi.prod-${A}.yaml`;
const PROD_B = `Pulumi.prod-${B}.yaml`;

const ciKey = (account = A) => ({
  id: "2026-11-28-ci-key",
  title: "CI key in a public repository",
  account,
  cutoff: "2026-11-28T10:00:00Z",
  users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
});
const other = (account = B) => ({
  id: "2026-11-29-other",
  title: "another account",
  account,
  cutoff: "2026-11-29T08:00:00Z",
  roles: [{ name: "deploy" }],
});
const CI =
  "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key is active until 2026-11-29T22:00:00Z (10 h left)";
const GONE = "its deny policies would go with the next pulumi up";
const refusal = (n: number) =>
  `guard: ${n} ${n === 1 ? "change weakens an incident" : "changes weaken incidents"} that ${n === 1 ? "is" : "are"} still active: keep ${n === 1 ? "it" : "them"} until ${n === 1 ? "it expires" : "they expire"} (cordon status), or, for an approved emergency, run guard with --allow-early-removal\n`;

/** One repository for every change compared: guard reads the two commits it is given, never the working tree. */
const repo = newRepo();

async function between(base: Record<string, Content>, head: Record<string, Content>, extra: string[] = []) {
  const from = commitTree(repo, base, "base");
  const to = commitTree(repo, head, "head");
  return runGuard(repo, ["--base", from, "--head", to, "--now", NOW, ...extra]);
}

describe("what each stack applies (item 1)", () => {
  const base = {
    "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
    [PROD]: stackFile(A),
    "incidents/2026-11-28-ci-key.yaml": ciKey(),
  };

  it.each([
    {
      what: "cordon:incidentsDir pointed at an empty folder",
      head: { ...base, [PROD]: stackFile(A, "elsewhere") },
      why: `${PROD} now reads elsewhere/ instead of incidents/`,
    },
    {
      what: "cordon:incidentsDir set to a folder that does not hold it",
      head: { ...base, [PROD]: stackFile(A, "incidents/prod"), "incidents/prod/README.md": "prod\n" },
      why: `${PROD} now reads incidents/prod/ instead of incidents/`,
    },
    {
      what: "the project's default folder changed",
      head: {
        ...base,
        "Pulumi.yaml": "name: cordon\nruntime: nodejs\nconfig:\n  cordon:incidentsDir:\n    default: elsewhere\n",
      },
      why: `${PROD} now reads elsewhere/ instead of incidents/`,
    },
  ])("refused: $what", async ({ head, why }) => {
    const result = await between(base, head as Record<string, Content>);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error ${CI}: no stack applies it any more (${why}): ${GONE}\n${refusal(1)}`);
  });

  // A stack reading its own folder: without its stack file, the account's stack is the one the
  // workflows create, which reads the project's incidents/. (A stack file's name says its account:
  // one moved to another account is refused as a stack-file problem, plan/project.ts E_STACK_NAME.)
  const own = {
    "Pulumi.yaml": base["Pulumi.yaml"],
    [PROD]: stackFile(A, "ops"),
    "ops/2026-11-28-ci-key.yaml": ciKey(),
  };
  it.each([
    {
      what: "the stack file removed",
      head: { ...own, [PROD]: undefined, [PROD_B]: stackFile(B) },
      why: `${PROD} is removed, and ops/2026-11-28-ci-key.yaml is outside incidents/, the project's folder, which the stack of an account without a stack file reads`,
    },
  ])("refused: $what, its folder not the project's", async ({ head, why }) => {
    const files = Object.fromEntries(Object.entries(head).filter(([, content]) => content !== undefined));
    const result = await between(own, files as Record<string, Content>);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error ${CI.replace("incidents/", "ops/")}: no stack applies it any more (${why}): ${GONE}\n${refusal(1)}`,
    );
  });

  it("passes: the stack file removed, the account's stack then reading the project's incidents/, which holds the file", async () => {
    const head = {
      "Pulumi.yaml": base["Pulumi.yaml"],
      [PROD_B]: stackFile(B),
      "incidents/2026-11-28-ci-key.yaml": ciKey(),
    };
    expect(await between(base, head as Record<string, Content>)).toMatchObject({ code: 0, stderr: "" });
  });

  it("the project's own folder (Pulumi.yaml's cordon:incidentsDir), without stack files, is read: an active incident deleted from it is refused", async () => {
    const project = "name: cordon\nruntime: nodejs\nconfig:\n  cordon:incidentsDir:\n    default: cases\n";
    const before = { "Pulumi.yaml": project, "cases/2026-11-28-ci-key.yaml": ciKey() };
    const deleted = await between(before, { "Pulumi.yaml": project, "cases/README.md": "cases\n" });
    expect(deleted.code).toBe(1);
    expect(deleted.stderr).toContain("cases/2026-11-28-ci-key.yaml");
    // Kept, it is judged as any incident: nothing weakened.
    expect(await between(before, { ...before, "cases/README.md": "cases\n" })).toMatchObject({ code: 0 });
  });

  it("refused: a first stack file added that reads another folder (before it, the program read incidents/)", async () => {
    const result = await between(
      { "incidents/2026-11-28-ci-key.yaml": ciKey() },
      { [PROD]: stackFile(A, "elsewhere"), "incidents/2026-11-28-ci-key.yaml": ciKey() },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error ${CI}: no stack applies it any more (no stack file deploys account ${A} from a folder that holds incidents/2026-11-28-ci-key.yaml): ${GONE}\n${refusal(1)}`,
    );
  });

  it.each([
    {
      what: "the folder changed and the incidents moved with it",
      head: {
        ...base,
        "incidents/2026-11-28-ci-key.yaml": undefined,
        [PROD]: stackFile(A, "ops/incidents"),
        "ops/incidents/2026-11-28-ci-key.yaml": ciKey(),
      },
    },
    { what: "a stack added for another account", head: { ...base, [PROD_B]: stackFile(B, "staging") } },
    {
      what: "the stack file spelled another way but saying the same",
      head: { ...base, [PROD]: `config:\n  cordon:account: '${A}'\n  cordon:incidentsDir: ./incidents/\n` },
    },
  ])("passes: $what", async ({ head }) => {
    const files = Object.fromEntries(Object.entries(head).filter(([, content]) => content !== undefined)) as Record<
      string,
      Content
    >;
    const result = await between(base, files);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("refused: the incident's account changed while its principals stay pinned to the old one, and the old account's stack pointed elsewhere", async () => {
    const pinned = (account: string) => ({
      ...ciKey(account),
      users: [{ name: "ci-deployer", account: A, accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
    });
    const from = { ...base, "incidents/2026-11-28-ci-key.yaml": pinned(A) };
    const result = await between(from, {
      ...from,
      "incidents/2026-11-28-ci-key.yaml": pinned(B),
      [PROD]: stackFile(A, "elsewhere"),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error ${CI}: no stack applies it any more (${PROD} now reads elsewhere/ instead of incidents/): ${GONE}\n${refusal(1)}`,
    );
    // The account changed alone (its stack still reading the folder) weakens nothing: the principals stay where they are.
    expect(await between(from, { ...from, "incidents/2026-11-28-ci-key.yaml": pinned(B) })).toMatchObject({
      code: 0,
      stderr: "",
    });
  });

  it("an expired incident may stop being applied", async () => {
    const dir = newRepo();
    const from = commitTree(dir, base, "base");
    const to = commitTree(dir, { ...base, [PROD]: stackFile(A, "elsewhere") }, "head");
    const result = await runGuard(dir, ["--base", from, "--head", to, "--now", "2026-11-30T00:00:00Z"]);
    expect(result.code).toBe(0);
  });

  it("an incident of an account no stack deploys was not applied: redirecting the others' folder does not concern it", async () => {
    const files = { ...base, "incidents/2026-11-29-other.yaml": other() };
    const { "incidents/2026-11-28-ci-key.yaml": _moved, ...rest } = files;
    const result = await between(files, {
      ...rest,
      [PROD]: stackFile(A, "elsewhere"),
      "elsewhere/2026-11-28-ci-key.yaml": ciKey(),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it.each([
    {
      what: "a folder outside the repository",
      stack: stackFile(A, "../elsewhere"),
      problem: `${PROD}:3:24 E_SETTING cordon:incidentsDir: found "../elsewhere", expected a folder inside the project (relative, not above it): guard judges what each stack applies from the repository, and cannot see outside it`,
    },
    {
      what: "an account that is not one",
      stack: "config:\n  cordon:account: 12345\n",
      problem: `${PROD}:2:19 E_SETTING cordon:account: found number 12345, expected the 12-digit AWS account id the stack deploys, quoted ("123456789012"): unquoted, YAML reads a number and drops leading zeros`,
    },
    {
      what: "a stack file that is not YAML",
      stack: "config: [\n",
      problem: `${PROD}:2:1 E_PROJECT_YAML not YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    },
    {
      what: "the stack file now deploys another account (whose stack is another one)",
      stack: stackFile(B),
      problem: `${PROD}:2:3 E_STACK_NAME this file deploys account ${B}, whose stack is prod-${B} (cordon:stackPrefix "prod", then the account): the workflows deploy that stack and no other, and the program refuses to run under another name, so nothing here would be applied: rename the file Pulumi.prod-${B}.yaml (and the stack: pulumi stack rename prod-${B})`,
    },
    {
      what: "a misspelt setting",
      stack: `config:\n  cordon:account: "${A}"\n  cordon:incidentDir: elsewhere\n`,
      problem: `${PROD}:3:3 E_SETTING_UNKNOWN cordon:incidentDir: cordon reads no such setting (did you mean cordon:incidentsDir?); expected one of cordon:account, cordon:autoContain, cordon:autoContainRepository, cordon:incidentsDir, cordon:organization, cordon:protectedPrincipals, cordon:stackPrefix`,
    },
  ])("a stack file guard cannot read at the head is refused: $what", async ({ stack, problem }) => {
    const result = await between(base, { ...base, [PROD]: stack });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${problem}\ncordon guard: fix the stack files above: a change that cannot be read cannot be proven safe\n`,
    );
  });

  it("judges the working tree's stack files when --head is not given", async () => {
    const dir = newRepo();
    commitTree(dir, base, "base");
    writeTree(dir, { ...base, [PROD]: stackFile(A, "elsewhere") });
    const result = await runGuard(dir, ["--base", "main", "--now", NOW]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${PROD} now reads elsewhere/ instead of incidents/`);
  });

  /** Where an incident ends up, and which stacks there are: generated, and judged by an oracle written apart from guard. */
  it("whatever the stacks and folders at the head, guard refuses exactly when an active incident applied at the base is applied by no stack at the head", async () => {
    const folder = fc.constantFrom("incidents", "incidents/prod", "ops/incidents", "elsewhere");
    // One stack file at most per account, named for it: any other name is refused (E_STACK_NAME).
    const stack = fc.record({ account: fc.constantFrom(A, B), dir: folder });
    const stacks = fc
      .uniqueArray(stack, { selector: (s) => s.account, maxLength: 2 })
      .map((list) => Object.fromEntries(list.map((s) => [`prod-${s.account}`, s])));
    await fc.assert(
      // The incident's own account may change at the head (its principals stay pinned to theirs).
      fc.asyncProperty(
        stacks,
        stacks,
        folder,
        folder,
        fc.constantFrom(A, B),
        fc.constantFrom(A, B),
        async (before, after, from, to, account, headAccount) => {
          const files = (
            stackSet: Record<string, { account: string; dir: string }>,
            where: string,
            incidentAccount = account,
          ): Record<string, Content> => ({
            ...Object.fromEntries(
              Object.entries(stackSet).map(([name, s]) => [`Pulumi.${name}.yaml`, stackFile(s.account, s.dir)]),
            ),
            [`${where}/2026-11-28-ci-key.yaml`]: {
              ...ciKey(incidentAccount),
              users: [{ name: "ci-deployer", account, accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
            },
          });
          const applied = (stackSet: Record<string, { account: string; dir: string }>, where: string) => {
            const own = Object.values(stackSet).filter((s) => s.account === account);
            // No stack file of the account: the stack the workflows create reads the project's folder.
            if (own.length === 0) return where === "incidents" || where.startsWith("incidents/");
            return own.some((s) => where === s.dir || where.startsWith(`${s.dir}/`));
          };
          const result = await between(files(before, from), files(after, to, headAccount), ["--dir", "incidents"]);
          // guard reads DIR and every stack's folder, on both sides: a file that leaves them is deleted.
          const folders = [
            "incidents",
            ...Object.values(before).map((s) => s.dir),
            ...Object.values(after).map((s) => s.dir),
          ];
          const visible = (where: string) => folders.some((d) => where === d || where.startsWith(`${d}/`));
          const shouldRefuse =
            (visible(from) && !visible(to)) || (applied(before, from) && visible(to) && !applied(after, to));
          expect(result.code).toBe(shouldRefuse ? 1 : 0);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("code: every path but a regular incident file (issue 19, the allowlist)", () => {
  const base = {
    "incidents/2026-11-28-ci-key.yaml": ciKey(),
    "program/checks.ts": "export {};\n",
    "docs/notes.md": "notes\n",
  };
  const CODE = "code, which a code owner must review";
  const OUTSIDE = "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)";

  it("is reported as needing code-owner review, in text and in --json, docs included; the guard still passes", async () => {
    const head = {
      ...base,
      "program/checks.ts": "export const skip = true;\n",
      "docs/notes.md": "more notes\n",
      ".gitattributes": "incidents/*.yaml -text\n",
    };
    const text = await between(base, head);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n").filter((line) => line.startsWith("review"))).toEqual([
      `review  .gitattributes: ${OUTSIDE}: ${CODE}`,
      `review  docs/notes.md: ${OUTSIDE}: ${CODE}`,
      `review  program/checks.ts: ${OUTSIDE}: ${CODE}`,
    ]);
    const json = await between(base, head, ["--json"]);
    expect(JSON.parse(json.stdout).codeChanges).toEqual(
      [".gitattributes", "docs/notes.md", "program/checks.ts"].map((path) => ({ path, reason: OUTSIDE })),
    );
  });

  it("in GitHub Actions, also as a warning annotation", async () => {
    const dir = newRepo();
    const from = commitTree(dir, base);
    const to = commitTree(dir, { ...base, "guard/guard.ts": "x\n" });
    const result = await runGuard(dir, ["--base", from, "--head", to, "--now", NOW], { GITHUB_ACTIONS: "true" });
    expect(result.stderr).toContain(
      `::warning title=cordon guard: code-owner review::guard/guard.ts: ${OUTSIDE}: ${CODE}\n`,
    );
  });

  it("every path is code but the allowlisted incident files, wherever the change is", async () => {
    const fixed = [
      "package.json",
      "tsconfig.json",
      "index.ts",
      "Pulumi.prod.yaml",
      ".github/workflows/apply.yml",
      ".gitignore",
      ".npmrc",
      "yarn.lock",
      "pnpm-lock.yaml",
      "incidents/README.md",
      "incidents/.gitattributes",
    ];
    const incidentFile = fc
      .tuple(
        fc.constantFrom("incidents/", "incidents/2026/", "incidents/a/b/"),
        fc.constantFrom(".yaml", ".yml", ".YAML", ".yaml.bak"),
      )
      .map(([dir, ext]) => `${dir}2026-11-29-generated${ext}`);
    const anywhere = fc
      .stringMatching(/^[a-z.]{1,6}(\/[a-z.]{1,6}){0,2}$/)
      .filter((p) => !p.split("/").some((s) => s === "." || s === ".." || s === ".git"));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.oneof(fc.constantFrom(...fixed), incidentFile, anywhere), { minLength: 1, maxLength: 6 }),
        async (paths) => {
          const written = paths.filter(
            (p) => !paths.some((other) => other !== p && (other.startsWith(`${p}/`) || p.startsWith(`${other}/`))),
          );
          fc.pre(written.every((p) => !(p in base)));
          // (A comment as content: a .gitignore naming itself would not be committed.)
          const head = {
            ...base,
            ...Object.fromEntries(
              written.map((p) => [
                p,
                /^incidents\/.*\.ya?ml$/i.test(p) ? { ...ciKey(), id: "2026-11-29-generated" } : `# ${p}\n`,
              ]),
            ),
          };
          const result = await between(base, head, ["--json"]);
          const code = written.filter((p) => !/^incidents\/(.+\/)?[^/]*\.ya?ml$/.test(p)).sort();
          expect(JSON.parse(result.stdout).codeChanges.map((c: { path: string }) => c.path)).toEqual(code);
        },
      ),
      { numRuns: 25 },
    );
  });

  describe("a path among the incident files that is not a regular file is code, and refused whatever the override", () => {
    const committed = (dir: string, mode: string, path = "incidents/2026-11-29-link.yaml") => {
      // A link's blob is its target; an executable's, a valid incident; a submodule is a commit.
      const text = mode === "120000" ? "2026-11-28-ci-key.yaml" : stringify({ ...ciKey(), id: "2026-11-29-link" });
      const object =
        mode === "160000"
          ? git(dir, "rev-parse", "HEAD")
          : execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: dir, input: text, encoding: "utf8" }).trim();
      git(dir, "update-index", "--add", "--cacheinfo", `${mode},${object},${path}`);
      git(dir, "commit", "-q", "-m", mode);
      return git(dir, "rev-parse", "HEAD");
    };
    it.each([
      ["120000", "a symbolic link (git mode 120000), not a regular file", "commit the file itself"],
      ["160000", "a submodule (git mode 160000), not a regular file", "remove the submodule"],
      [
        "100755",
        "an executable file (git mode 100755), not a regular one",
        "git update-index --chmod=-x incidents/2026-11-29-link.yaml",
      ],
    ])("mode %s", async (mode, reason, fix) => {
      const dir = newRepo();
      const from = commitTree(dir, base, "base");
      const to = committed(dir, mode);
      for (const extra of [[], ["--allow-early-removal"]]) {
        const result = await runGuard(dir, ["--base", from, "--head", to, "--now", NOW, ...extra]);
        expect(result.code).toBe(1);
        expect(result.stdout).toContain(`review  incidents/2026-11-29-link.yaml: ${reason}: ${CODE}\n`);
        expect(result.stderr).toBe(
          `error incidents/2026-11-29-link.yaml: ${reason}, where only regular incident files may be: CODEOWNERS gives it the incident files' owners, yet it is code (${fix})\n` +
            "guard: 1 path among the incident files is not a regular file (--allow-early-removal does not apply)\n",
        );
      }
      const additive = JSON.parse(
        (await runGuard(dir, ["--base", from, "--head", to, "--now", NOW, "--additive", "--json"])).stdout,
      ) as { additive: boolean; reasons: string[] };
      expect(additive.reasons).toContain(`incidents/2026-11-29-link.yaml changed: ${reason}: ${CODE}`);
    });

    it("in the working tree too (the contain workflow's head): an untracked symbolic link", async () => {
      const dir = newRepo();
      commitTree(dir, base, "base");
      symlinkSync("2026-11-28-ci-key.yaml", join(dir, "incidents", "2026-11-29-link.yaml"));
      const result = await runGuard(dir, ["--base", "main", "--now", NOW, "--json"]);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).violations.map((v: { kind: string; file: string }) => [v.kind, v.file])).toEqual(
        [["not-regular", "incidents/2026-11-29-link.yaml"]],
      );
    });

    it("a regular file that was a link is code to review, but not refused", async () => {
      const dir = newRepo();
      commitTree(dir, base, "base");
      const from = committed(dir, "120000");
      const to = commitTree(
        dir,
        { ...base, "incidents/2026-11-29-link.yaml": { ...ciKey(), id: "2026-11-29-link" } },
        "regular",
      );
      const result = await runGuard(dir, ["--base", from, "--head", to, "--now", NOW, "--json"]);
      expect(JSON.parse(result.stdout)).toMatchObject({
        ok: true,
        codeChanges: [
          { path: "incidents/2026-11-29-link.yaml", reason: "a symbolic link (git mode 120000), not a regular file" },
        ],
      });
    });
  });
});

describe("a base that does not validate (item 3)", () => {
  // Two pull requests, each valid alone: the same role spelt two ways. Main then fails validate.
  const builder = (id: string, name: string) => ({
    id,
    title: "t",
    account: A,
    cutoff: "2026-11-29T06:00:00Z",
    roles: [{ name }],
  });
  const broken = {
    "incidents/2026-11-29-one.yaml": builder("2026-11-29-one", "Builder"),
    "incidents/2026-11-29-two.yaml": builder("2026-11-29-two", "builder"),
  };
  // The fix: one spelling.
  const fixed = {
    "incidents/2026-11-29-one.yaml": builder("2026-11-29-one", "Builder"),
    "incidents/2026-11-29-two.yaml": builder("2026-11-29-two", "Builder"),
  };
  const outputs = JSON.stringify({
    account: A,
    incidents: {
      "2026-11-29-one": {
        cutoff: "2026-11-29T06:00:00Z",
        atContainment: false,
        expiresAt: "2026-11-29T18:00:00Z",
        mode: "revoke-older-sessions",
        principals: [{ type: "role", name: "Builder" }],
        accessKeys: [],
      },
    },
    replacementRoles: [],
  });

  async function fromBroken(head: Record<string, Content>, extra: string[] = []) {
    const dir = newRepo();
    const from = commitTree(dir, { ...broken, "outputs.json": outputs });
    const to = commitTree(dir, { ...head, "outputs.json": outputs });
    return runGuard(dir, ["--base", from, "--head", to, "--now", NOW, ...extra]);
  }

  it("without stack outputs, guard still refuses everything, and says what to pass", async () => {
    const result = await fromBroken(fixed);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n").at(-2)).toBe(
      "cordon guard: pass --stack-outputs FILE (pulumi stack output --json) to judge the head against the last applied state instead",
    );
  });

  it("with them, the fix is judged against what is applied, and lands; the output says so", async () => {
    const result = await fromBroken(fixed, ["--stack-outputs", "outputs.json"]);
    expect(result.code).toBe(0);
    expect(result.stderr.split("\n")[0]).toMatch(
      /^cordon guard: the incident files or stack files at --base [0-9a-f]{40} are invalid; judging the head against the last applied state instead \(outputs\.json, account 123456789012; incidents of other accounts are judged as added\):$/,
    );
    expect(result.stderr).toContain('E_PRINCIPAL_SPELLING roles[0].name: role "builder" is spelled "Builder"');
    expect(result.stdout).toContain("ok  incidents/2026-11-29-two.yaml: incident 2026-11-29-two added\n");
    expect(result.stdout).toMatch(
      /guard: no active incident is removed or weakened \(1 incident applied in account 123456789012, 2 incidents at \w+\)\n$/,
    );
    expect(
      JSON.parse(
        (
          await fromBroken({ ...broken, "incidents/2026-11-29-two.yaml": builder("2026-11-29-two", "Builder") }, [
            "--stack-outputs",
            "outputs.json",
            "--json",
          ])
        ).stdout,
      ),
    ).toMatchObject({ judgedAgainst: "stack-outputs", appliedAccount: A, ok: true });
  });

  it("deleting an incident that no output given names is refused: a stack whose outputs are missing may apply it", async () => {
    // Active, in account B, whose stack's outputs were not given: only A's are.
    const otherOutputs = JSON.stringify({
      account: B,
      incidents: {
        "2026-11-29-other": {
          cutoff: "2026-11-29T06:00:00Z",
          atContainment: false,
          expiresAt: "2026-11-29T18:00:00Z",
          mode: "revoke-older-sessions",
          principals: [{ type: "role", name: "deploy" }],
          accessKeys: [],
        },
      },
      replacementRoles: [],
    });
    const dir = newRepo();
    const from = commitTree(dir, { ...broken, "incidents/2026-11-29-other.yaml": other(), "outputs.json": outputs });
    const to = commitTree(dir, {
      ...fixed,
      "outputs.json": outputs,
      "other-outputs.json": otherOutputs,
    });
    const args = ["--base", from, "--head", to, "--now", NOW, "--stack-outputs", "outputs.json"];
    const refused = await runGuard(dir, args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `error incidents/2026-11-29-other.yaml: deletes incident 2026-11-29-other, which no --stack-outputs given names, and the outputs of account ${B}, where it has a share, were not given: a stack may apply it (pass every stack's outputs, or fix the file rather than delete it)\n`,
    );
    expect(refused.stderr).toContain(refusal(1));
    // A weakening like any other: an approved emergency (or a file that never validated) may go.
    expect((await runGuard(dir, [...args, "--allow-early-removal"])).code).toBe(0);
    // Named by the outputs given, the deletion is judged by what they say of it, as before.
    const judged = await runGuard(dir, [...args, "--stack-outputs", "other-outputs.json"]);
    expect(judged.code).toBe(1);
    expect(judged.stderr).toContain(
      "error other-outputs.json: incident 2026-11-29-other is active until 2026-11-29T18:00:00Z (6 h left): removing it re-enables sessions minted before the cutoff\n",
    );
    expect(judged.stderr).not.toContain("which no --stack-outputs given names");
    // B's outputs given, naming nothing: no stack of B applies it, and it may go.
    const none = commitTree(dir, {
      ...fixed,
      "outputs.json": outputs,
      "other-outputs.json": JSON.stringify({ account: B, incidents: {}, replacementRoles: [] }),
    });
    expect(
      (
        await runGuard(dir, [
          "--base",
          from,
          "--head",
          none,
          "--now",
          NOW,
          "--stack-outputs",
          "outputs.json",
          "--stack-outputs",
          "other-outputs.json",
        ])
      ).code,
    ).toBe(0);
  });

  it.each<{ what: string; files: Record<string, Content>; file: string; whose: string }>([
    {
      what: "an incident that asks for guardrails, without the organization stack's outputs",
      files: {
        [`Pulumi.prod-${A}.yaml`]: stackFile(A),
        "Pulumi.prod-999999999999.yaml":
          'config:\n  cordon:account: "999999999999"\n  cordon:organization:\n    targets: [r-abcd]\n    managementAccount: "999999999999"\n',
        "incidents/2026-11-29-guarded.yaml": {
          id: "2026-11-29-guarded",
          title: "t",
          account: A,
          cutoff: "2026-11-29T06:00:00Z",
          identityCenterUsers: [{ userId: "906747e8d1-6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a" }],
          organization: { scp: true },
        },
      },
      file: "incidents/2026-11-29-guarded.yaml",
      whose: "the outputs of account 999999999999, where it has a share, were not given",
    },
    {
      what: "a file of another folder a stack reads",
      files: {
        [`Pulumi.prod-${A}.yaml`]: stackFile(A),
        [`Pulumi.prod-${B}.yaml`]: stackFile(B, "other"),
        "other/2026-11-29-other.yaml": other(),
      },
      file: "other/2026-11-29-other.yaml",
      whose: `the outputs of account ${B}, where it has a share, were not given`,
    },
  ])("deleting $what is refused the same way", async ({ files, file, whose }) => {
    const project: Record<string, Content> = {
      "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
      ...files,
      "outputs.json": outputs,
    };
    const dir = newRepo();
    const from = commitTree(dir, { ...project, ...broken });
    const to = commitTree(dir, {
      ...Object.fromEntries(Object.entries(project).filter(([path]) => path !== file)),
      ...fixed,
    });
    const result = await runGuard(dir, ["--base", from, "--head", to, "--now", NOW, "--stack-outputs", "outputs.json"]);
    expect(result.code).toBe(1);
    const id = file.slice(file.lastIndexOf("/") + 1, -".yaml".length);
    expect(result.stderr).toContain(
      `error ${file}: deletes incident ${id}, which no --stack-outputs given names, and ${whose}: a stack may apply it (pass every stack's outputs, or fix the file rather than delete it)\n`,
    );
  });

  it("deleting a file that does not validate alone, which no output given names, is refused: its accounts are unknown", async () => {
    const dir = newRepo();
    const from = commitTree(dir, {
      ...broken,
      "incidents/2026-11-29-bad.yaml": "id: 2026-11-29-bad\ntitle: [\n",
      "outputs.json": outputs,
    });
    const to = commitTree(dir, {
      ...fixed,
      "outputs.json": outputs,
    });
    const result = await runGuard(dir, ["--base", from, "--head", to, "--now", NOW, "--stack-outputs", "outputs.json"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "error incidents/2026-11-29-bad.yaml: deletes incident 2026-11-29-bad, which no --stack-outputs given names, and its file does not validate alone, so the accounts that may apply it are unknown: a stack may apply it (pass every stack's outputs, or fix the file rather than delete it)\n",
    );
    expect(result.stderr).toContain(refusal(1));
    expect(
      (
        await runGuard(dir, [
          "--base",
          from,
          "--head",
          to,
          "--now",
          NOW,
          "--stack-outputs",
          "outputs.json",
          "--allow-early-removal",
        ])
      ).code,
    ).toBe(0);
  });

  it("an expired incident of another account, already there at the base, is not taken for a new one", async () => {
    const old = {
      id: "2026-11-01-old",
      title: "t",
      account: B,
      cutoff: "2026-11-01T00:00:00Z",
      roles: [{ name: "deploy" }],
    };
    const dir = newRepo();
    const from = commitTree(dir, { ...broken, "incidents/2026-11-01-old.yaml": old, "outputs.json": outputs });
    const to = commitTree(dir, {
      "incidents/2026-11-29-one.yaml": builder("2026-11-29-one", "Builder"),
      "incidents/2026-11-01-old.yaml": old,
      "outputs.json": outputs,
    });
    const result = await runGuard(dir, ["--base", from, "--head", to, "--now", NOW, "--stack-outputs", "outputs.json"]);
    expect(result.code).toBe(0);
    // A file that was not there is still refused when it is over.
    const added = commitTree(dir, {
      "incidents/2026-11-29-one.yaml": builder("2026-11-29-one", "Builder"),
      "incidents/2026-11-01-old.yaml": old,
      "incidents/2026-11-02-older.yaml": { ...old, id: "2026-11-02-older" },
      "outputs.json": outputs,
    });
    expect(
      (await runGuard(dir, ["--base", from, "--head", added, "--now", NOW, "--stack-outputs", "outputs.json"])).code,
    ).toBe(1);
  });

  it("and what would weaken what is applied is still refused", async () => {
    const result = await fromBroken({ "incidents/2026-11-29-two.yaml": builder("2026-11-29-two", "builder") }, [
      "--stack-outputs",
      "outputs.json",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "error outputs.json: incident 2026-11-29-one is active until 2026-11-29T18:00:00Z (6 h left): removing it re-enables sessions minted before the cutoff\n",
    );
    const respelled = await fromBroken(
      {
        "incidents/2026-11-29-one.yaml": builder("2026-11-29-one", "builder"),
        "incidents/2026-11-29-two.yaml": builder("2026-11-29-two", "builder"),
      },
      ["--stack-outputs", "outputs.json"],
    );
    expect(respelled.code).toBe(1);
    expect(respelled.stderr).toContain('respelling role "Builder" as "builder": IAM takes both to be the same role');
  });

  it("a key the outputs record is kept: removing it is refused, keeping it under any user is not", async () => {
    const withKey = JSON.stringify({
      account: A,
      incidents: {
        "2026-11-28-ci-key": {
          cutoff: "2026-11-28T10:00:00Z",
          atContainment: false,
          expiresAt: "2026-11-29T22:00:00Z",
          mode: "revoke-older-sessions",
          principals: [{ type: "user", name: "ci-deployer" }],
          accessKeys: ["AKIAIOSFODNN7EXAMPLE"],
        },
      },
      replacementRoles: [],
    });
    const dir = newRepo();
    const from = commitTree(dir, { ...broken, "incidents/2026-11-28-ci-key.yaml": ciKey(), "outputs.json": withKey });
    const kept = commitTree(dir, { "incidents/2026-11-28-ci-key.yaml": ciKey(), "outputs.json": withKey });
    const dropped = commitTree(dir, {
      "incidents/2026-11-28-ci-key.yaml": { ...ciKey(), users: [{ name: "ci-deployer" }] },
      "outputs.json": withKey,
    });
    expect(
      (await runGuard(dir, ["--base", from, "--head", kept, "--now", NOW, "--stack-outputs", "outputs.json"])).code,
    ).toBe(0);
    const result = await runGuard(dir, [
      "--base",
      from,
      "--head",
      dropped,
      "--now",
      NOW,
      "--stack-outputs",
      "outputs.json",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error ${CI}: removing access key AKIAIOSFODNN7EXAMPLE stops keeping it disabled: a key re-enabled by hand would stay enabled\n`,
    );
  });
});

describe("a new incident that is already over (item 5)", () => {
  const expired = (cutoff: string, more: Record<string, unknown> = {}) => ({
    ...ciKey(),
    id: "2025-11-28-ci-key",
    cutoff,
    ...more,
  });

  it("is refused, saying when it expired, and no override lets it through", async () => {
    for (const extra of [[], ["--allow-early-removal"]]) {
      const result = await between({}, { "incidents/2025-11-28-ci-key.yaml": expired("2025-11-28T10:00:00Z") }, extra);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        "error incidents/2025-11-28-ci-key.yaml: incident 2025-11-28-ci-key expired at 2025-11-29T22:00:00Z (cutoff 2025-11-28T10:00:00Z) before it was added: a cutoff in the wrong year? It would revoke no live session, and status would call it removable at once\n" +
          "guard: 1 added incident has already expired: check its cutoff (--allow-early-removal does not apply)\n",
      );
    }
  });

  it("is accepted while any of it is still active: a recent cutoff, a later holdUntil, at-containment", async () => {
    for (const incident of [
      expired("2026-11-28T12:00:01Z"),
      expired("2025-11-28T10:00:00Z", { holdUntil: "2026-12-01T00:00:00Z" }),
      expired("at-containment"),
    ]) {
      const result = await between({}, { "incidents/2025-11-28-ci-key.yaml": incident });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
  });

  it("is refused for any cutoff older than its lifetime, and only then (36 h with a user, 12 h with roles only)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 * 24 * 400 }), fc.boolean(), async (minutesAgo, withUser) => {
        const cutoff = new Date(Date.parse(NOW) - minutesAgo * 60_000).toISOString().replace(/\.000Z$/, "Z");
        const incident = {
          id: "2026-01-01-generated",
          title: "t",
          account: A,
          cutoff,
          ...(withUser ? { users: [{ name: "dana" }] } : { roles: [{ name: "deploy" }] }),
        };
        const result = await between({}, { "incidents/2026-01-01-generated.yaml": incident });
        expect(result.code).toBe(minutesAgo >= (withUser ? 36 : 12) * 60 ? 1 : 0);
      }),
      { numRuns: 30 },
    );
  });
});

describe("at organization scale (issue 11): each account's share and the guardrails", () => {
  const M = "999999999999";
  const cross = () => ({
    id: "2026-11-28-cross",
    title: "a key that reached another account",
    account: A,
    cutoff: "2026-11-28T10:00:00Z",
    users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
    roles: [{ name: "data-loader", account: B }],
    organization: { scp: true, rcp: true },
  });
  const organizationStack = (targets: string[]) =>
    `config:\n  cordon:account: "${M}"\n  cordon:organization:\n    targets: ${JSON.stringify(targets)}\n    managementAccount: "${M}"\n`;
  const CROSS =
    "incidents/2026-11-28-cross.yaml: incident 2026-11-28-cross is active until 2026-11-29T22:00:00Z (10 h left)";
  const base = {
    "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
    [`Pulumi.prod-${A}.yaml`]: stackFile(A),
    [`Pulumi.prod-${B}.yaml`]: stackFile(B),
    [`Pulumi.prod-${M}.yaml`]: organizationStack(["r-abcd"]),
    "incidents/2026-11-28-cross.yaml": cross(),
  } as Record<string, Content>;
  const without = (files: Record<string, Content>, name: string) =>
    Object.fromEntries(Object.entries(files).filter(([file]) => file !== name));

  // Every stack reads ops/: without its stack file, an account's stack reads the project's incidents/.
  const ops = Object.fromEntries(
    Object.entries(base).map(([file, content]) =>
      file === "incidents/2026-11-28-cross.yaml"
        ? ["ops/2026-11-28-cross.yaml", content]
        : file === `Pulumi.prod-${M}.yaml`
          ? [file, `${organizationStack(["r-abcd"])}  cordon:incidentsDir: ops\n`]
          : file.startsWith("Pulumi.prod-")
            ? [file, stackFile(file.slice("Pulumi.prod-".length, -".yaml".length), "ops")]
            : [file, content],
    ),
  ) as Record<string, Content>;
  it("refused: the stack of one account's share removed, its folder not the project's", async () => {
    const result = await between(ops, without(ops, `Pulumi.prod-${B}.yaml`));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error ${CROSS.replace("incidents/", "ops/")}: no stack of account ${B} applies its share any more (Pulumi.prod-${B}.yaml is removed, and ops/2026-11-28-cross.yaml is outside incidents/, the project's folder, which the stack of an account without a stack file reads): its deny policies in account ${B} would go with the next pulumi up\n${refusal(1)}`,
    );
    // Reading the project's folder, which holds the file, the account's stack still applies it.
    expect(await between(base, without(base, `Pulumi.prod-${B}.yaml`))).toMatchObject({ code: 0, stderr: "" });
  });

  it.each([
    {
      what: "one account's stack pointed at another folder",
      head: { ...base, [`Pulumi.prod-${B}.yaml`]: stackFile(B, "elsewhere") },
      message: `${CROSS}: no stack of account ${B} applies its share any more (Pulumi.prod-${B}.yaml now reads elsewhere/ instead of incidents/): its deny policies in account ${B} would go with the next pulumi up`,
    },
    {
      what: "the organization stack removed",
      head: without(base, `Pulumi.prod-${M}.yaml`),
      message: `${CROSS}: no stack declares its organization guardrails any more (no stack file sets cordon:organization and reads its file): the SCP and RCP entries of its principals would go with the next pulumi up`,
    },
    {
      what: "the organization stack's targets narrowed",
      head: { ...base, [`Pulumi.prod-${M}.yaml`]: organizationStack(["ou-abcd-12345678"]) },
      message: `${CROSS}: its organization guardrails would no longer be attached to r-abcd: the SCP and RCP entries of its principals would go with the next pulumi up`,
    },
  ])("refused: $what", async ({ head, message }) => {
    const result = await between(base, head);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error ${message}\n${refusal(1)}`);
  });

  it("an incident that only asks for guardrails (an Identity Center user) can be added, and is kept while active", async () => {
    // It has a share in no account's stack: guard once took its lifecycle from a plan that left it out, and failed.
    const identityCenter = {
      id: "2026-11-29-idc",
      title: "a compromised Identity Center user",
      account: A,
      cutoff: "2026-11-29T10:00:00Z",
      identityCenterUsers: [{ userId: "906747e8d1-6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a" }],
      organization: { scp: true },
    };
    const withIt = { ...base, "incidents/2026-11-29-idc.yaml": identityCenter };
    const added = await between(base, withIt);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("ok  incidents/2026-11-29-idc.yaml: incident 2026-11-29-idc added\n");
    const removed = await between(withIt, base);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toBe(
      `error incidents/2026-11-29-idc.yaml: incident 2026-11-29-idc is active until 2026-11-29T22:00:00Z (10 h left): removing it re-enables sessions minted before the cutoff\n${refusal(1)}`,
    );
  });

  it.each([
    {
      what: "a stack added for another account",
      head: { ...base, "Pulumi.prod-555555555555.yaml": stackFile("555555555555") },
    },
    {
      what: "the organization stack attaching to more targets",
      head: { ...base, [`Pulumi.prod-${M}.yaml`]: organizationStack(["ou-abcd-12345678", "r-abcd"]) },
    },
    {
      what: "the share's stack removed once the incident no longer has a principal there",
      head: {
        ...without(base, `Pulumi.prod-${B}.yaml`),
        "incidents/2026-11-28-cross.yaml": { ...cross(), roles: [{ name: "data-loader" }] },
      },
    },
  ])("passes unless the incident itself is weakened: $what", async ({ head }) => {
    const result = await between(base, head);
    if (result.code === 0) expect(result.stderr).toBe("");
    // Moving data-loader out of account B is the incident's own weakening, reported as such.
    else expect(result.stderr).toContain(`error ${CROSS}: moving role "data-loader" from account ${B} to ${A}`);
  });

  it("a removed share or guardrail is never additive", async () => {
    const result = await between(base, without(base, `Pulumi.prod-${M}.yaml`), ["--additive", "--json"]);
    const json = JSON.parse(result.stdout) as { additive: boolean; reasons: string[] };
    expect(json.additive).toBe(false);
    expect(json.reasons).toContain(
      `Pulumi.prod-${M}.yaml changed, outside incidents/: code, which a code owner must review`,
    );
    expect(json.reasons).toContain(
      `${CROSS}: no stack declares its organization guardrails any more (no stack file sets cordon:organization and reads its file): the SCP and RCP entries of its principals would go with the next pulumi up`,
    );
  });
});

describe("a stack's folder is read as pulumi reads it: by its literal name, never as a git pathspec", () => {
  it("refused: an active incident removed from a folder whose name git would read as magic (:(top)incidents)", async () => {
    const base = {
      "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
      [PROD]: stackFile(A, ":(top)incidents"),
      ":(top)incidents/2026-11-28-ci-key.yaml": ciKey(),
    };
    const head = { "Pulumi.yaml": base["Pulumi.yaml"], [PROD]: base[PROD] };
    const result = await between(base, head);
    // Before: git read incidents/ in its place, so the removal was no weakening at all (exit 0).
    expect(result.stderr).toBe(
      `error :(top)${CI}: removing it re-enables sessions minted before the cutoff\n${refusal(1)}`,
    );
    expect(result.code).toBe(1);
  });
});
