/**
 * guard reads the stack settings Pulumi's CLI reads, and no others, through the CLI on real
 * temporary git repositories: a key written without a namespace is the project's
 * (`<project>:key`), `cordon:config:key` is `cordon:key`; a merge key (`<<`), which Pulumi's Go
 * YAML merges and cordon's YAML 1.2 reader does not, is refused wherever it is; so are the files
 * Pulumi would read instead of the ones guard judges (`Pulumi.json`, `stackConfigDir`) and those it
 * never reads (`Pulumi.<stack>.yml` beside Pulumi.yaml, a second stack file for an account); and a
 * change to what names the stacks (`cordon:stackPrefix`, the project's name) moves every stack.
 * @see https://github.com/pulumi/pulumi/blob/master/sdk/go/common/workspace/loaders.go (stackConfigNamespacedWithProject)
 * @see https://github.com/pulumi/pulumi/blob/master/sdk/go/common/workspace/paths.go (findProjectInDir, ProjectStackPath)
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { commitTree, newRepo, removeRepos, runGuard, stackFile, type Content } from "./support/git-repo.ts";

afterAll(removeRepos);

/** The incident below is active at this instant (10 h left), and expired a day later. */
const NOW = "2026-11-29T12:00:00Z";
const LATER = "2026-11-30T12:00:00Z";
const A = "123456789012";
const PROD = `Pulumi.prod-${A}.yaml`;
const ciKey = {
  id: "2026-11-28-ci-key",
  title: "CI key in a public repository",
  account: A,
  cutoff: "2026-11-28T10:00:00Z",
  users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
};
const CI =
  "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key is active until 2026-11-29T22:00:00Z (10 h left)";
const GONE = "its deny policies would go with the next pulumi up";
const STRANDED = "no run would update or repair what it applies any more (a key enabled by hand would stay enabled)";
const REFUSED = `guard: 1 change weakens an incident that is still active: keep it until it expires (cordon status), or, for an approved emergency, run guard with --allow-early-removal\n`;
const UNREADABLE = "cordon guard: fix the stack files above: a change that cannot be read cannot be proven safe\n";
const MERGE =
  "E_PROJECT_FILE a merge key (<<): Pulumi's YAML reader merges its mapping into this one, cordon's (YAML 1.2) has none, so guard would not see what Pulumi applies: write the keys out";

const project = (name = "cordon", more = "") => `name: ${name}\nruntime: nodejs\n${more}`;
const base = (name = "cordon"): Record<string, Content> => ({
  "Pulumi.yaml": project(name),
  [PROD]: stackFile(A),
  "incidents/2026-11-28-ci-key.yaml": ciKey,
});

/** One repository for every change compared: guard reads the two commits it is given. */
const repo = newRepo();
async function between(from: Record<string, Content>, to: Record<string, Content>, now = NOW) {
  const baseCommit = commitTree(repo, from, "base");
  const headCommit = commitTree(repo, to, "head");
  return runGuard(repo, ["--base", baseCommit, "--head", headCommit, "--now", now]);
}

describe("a stack file's keys, read as Pulumi reads them", () => {
  /** Pulumi's rule, written apart from cordon's reader: which spellings are cordon:incidentsDir. */
  const isCordonKey = (key: string, projectName: string) =>
    key === "cordon:incidentsDir" ||
    key === "cordon:config:incidentsDir" ||
    (key === "incidentsDir" && projectName === "cordon");

  it("whatever the key's spelling and the project's name: guard refuses exactly when Pulumi reads the key as cordon:incidentsDir, pointing the stack elsewhere", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "incidentsDir",
          "cordon:incidentsDir",
          "cordon:config:incidentsDir",
          "other:incidentsDir",
          "aws:incidentsDir",
        ),
        fc.constantFrom("cordon", "other"),
        async (key, projectName) => {
          const head = {
            ...base(projectName),
            [PROD]: `config:\n  cordon:account: "${A}"\n  ${key}: elsewhere\n`,
          };
          const result = await between(base(projectName), head);
          if (isCordonKey(key, projectName)) {
            expect(result.stderr).toBe(
              `error ${CI}: no stack applies it any more (${PROD} now reads elsewhere/ instead of incidents/): ${GONE}\n${REFUSED}`,
            );
            expect(result.code).toBe(1);
          } else {
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
          }
        },
      ),
      { numRuns: 10 },
    );
  });

  it("the account written without a namespace is the stack's account too", async () => {
    const head = { ...base(), [PROD]: `config:\n  account: "${A}"\n  incidentsDir: elsewhere\n` };
    const result = await between(base(), head);
    expect(result.stderr).toBe(
      `error ${CI}: no stack applies it any more (${PROD} now reads elsewhere/ instead of incidents/): ${GONE}\n${REFUSED}`,
    );
    expect(result.code).toBe(1);
  });

  it("a setting written twice (with and without its namespace) is refused: Pulumi keeps either", async () => {
    const head = {
      ...base(),
      [PROD]: `config:\n  cordon:account: "${A}"\n  cordon:incidentsDir: incidents\n  incidentsDir: elsewhere\n`,
    };
    const result = await between(base(), head);
    expect(result.stderr).toBe(
      `${PROD}:4:3 E_SETTING cordon:incidentsDir: set twice, as cordon:incidentsDir and as incidentsDir, which Pulumi reads as the same key and keeps either one: keep one\n${UNREADABLE}`,
    );
    expect(result.code).toBe(1);
  });
});

describe("merge keys (<<), which Pulumi merges and cordon's reader cannot", () => {
  /** A merge key at a depth of the head's stack file or Pulumi.yaml, merging a harmless or a redirecting mapping. */
  const placements = {
    "stack file, top level": (merged: string) => ({
      [PROD]: `<<: { config: ${merged} }\n`,
      line: 1,
      col: 1,
    }),
    "stack file, in config": (merged: string) => ({
      [PROD]: `config:\n  cordon:account: "${A}"\n  <<: ${merged}\n`,
      line: 3,
      col: 3,
    }),
    "stack file, in a setting's value": (merged: string) => ({
      [PROD]: `config:\n  cordon:account: "${A}"\n  aws:tags:\n    <<: ${merged}\n`,
      line: 4,
      col: 5,
    }),
    "Pulumi.yaml, in a declaration": (merged: string) => ({
      "Pulumi.yaml": project("cordon", `config:\n  incidentsDir:\n    type: string\n    <<: ${merged}\n`),
      line: 6,
      col: 5,
    }),
  };
  const merged = fc.constantFrom('{ "cordon:incidentsDir": elsewhere }', "{ default: elsewhere }", "{ a: b }");

  it("wherever it is and whatever it merges, the head is refused, the key's place named", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...(Object.keys(placements) as (keyof typeof placements)[])),
        merged,
        async (where, mapping) => {
          const { line, col, ...files } = placements[where](mapping);
          const file = Object.keys(files)[0];
          const result = await between(base(), { ...base(), ...files });
          expect(result.stderr).toBe(`${file}:${line}:${col} ${MERGE}\n${UNREADABLE}`);
          expect(result.code).toBe(1);
        },
      ),
      { numRuns: 10 },
    );
  });

  it("the reviewer's case: a redirect through a merge key is no longer passed", async () => {
    const head = { ...base(), [PROD]: `config:\n  cordon:account: "${A}"\n  <<: {"cordon:incidentsDir": elsewhere}\n` };
    const result = await between(base(), head);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain("no active incident is removed or weakened");
  });
});

describe("the files Pulumi reads, and no others", () => {
  const elsewhere = stackFile(A, "elsewhere");
  /** Each file the head may add beside the real stack file, with the line guard prints for it. */
  const decoys = {
    yml: {
      files: { [`Pulumi.prod-${A}.yml`]: stackFile(A) },
      line: `Pulumi.prod-${A}.yml:1:1 E_PROJECT_FILE a stack file named Pulumi.prod-${A}.yml: Pulumi reads a stack's settings from Pulumi.<stack>.yaml beside Pulumi.yaml, never from this file, which guard would judge all the same: remove it (Pulumi reads that stack's settings from Pulumi.prod-${A}.yaml)`,
    },
    decoy: {
      files: { "Pulumi.decoy.yaml": stackFile(A) },
      line: `Pulumi.decoy.yaml:2:3 E_STACK_NAME this file deploys account ${A}, whose stack is prod-${A} (cordon:stackPrefix "prod", then the account): the workflows deploy that stack and no other, and the program refuses to run under another name, so nothing here would be applied: remove it (the account's stack is Pulumi.prod-${A}.yaml)`,
    },
    json: {
      files: {
        "Pulumi.json": JSON.stringify({ name: "cordon", runtime: "nodejs" }),
        [`Pulumi.prod-${A}.json`]: JSON.stringify({ config: { "cordon:account": A } }),
      },
      line: [
        "Pulumi.json:1:1 E_PROJECT_FILE a project file named Pulumi.json: Pulumi finds Pulumi.json, then Pulumi.yaml, then Pulumi.yml, and reads the stack files with that file's extension; cordon (guard, accounts, the workflows) reads Pulumi.yaml and Pulumi.<stack>.yaml: remove it, or make it Pulumi.yaml",
        `Pulumi.prod-${A}.json:1:1 E_PROJECT_FILE a stack file named Pulumi.prod-${A}.json: Pulumi reads a stack's settings from Pulumi.<stack>.yaml beside Pulumi.yaml, never from this file, which guard would judge all the same: remove it (Pulumi reads that stack's settings from Pulumi.prod-${A}.yaml)`,
      ].join("\n"),
    },
    stackConfigDir: {
      files: { "Pulumi.yaml": project("cordon", "stackConfigDir: conf\n"), [`conf/${PROD}`]: elsewhere },
      line: "Pulumi.yaml:3:1 E_PROJECT_FILE stackConfigDir: Pulumi would read the stack files from that folder, the workflows and guard from the project folder: remove it, and keep the stack files beside Pulumi.yaml",
    },
  };
  type Decoy = keyof typeof decoys;

  it("any file Pulumi would read instead, or never reads, is refused, whether or not the real stack file is redirected", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...(Object.keys(decoys) as Decoy[])), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (chosen, redirected) => {
          const head = {
            ...base(),
            ...(redirected ? { [PROD]: elsewhere } : {}),
            ...Object.assign({}, ...chosen.map((decoy) => decoys[decoy].files)),
          };
          const result = await between(base(), head);
          const lines = result.stderr.split("\n");
          // Every decoy is named (sorted by file), then the one line that refuses the head.
          expect(lines.slice(-2)).toEqual([UNREADABLE.trimEnd(), ""]);
          const expected = chosen.flatMap((decoy) => decoys[decoy].line.split("\n"));
          expect(lines.slice(0, -2).sort()).toEqual(expected.sort());
          expect(result.code).toBe(1);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe("what names the stacks: cordon:stackPrefix and the project's name", () => {
  const renamed = (prefix: string, projectName = "cordon"): Record<string, Content> => ({
    "Pulumi.yaml": project(projectName, `config:\n  cordon:stackPrefix: ${prefix}\n`),
    [`Pulumi.${prefix}-${A}.yaml`]: stackFile(A),
    "incidents/2026-11-28-ci-key.yaml": ciKey,
  });

  it("a new prefix, every stack file renamed with it, moves every stack: refused while an incident it applies is active", async () => {
    const result = await between(base(), renamed("sec"));
    expect(result.stderr).toBe(
      `error ${CI}: no stack applies it any more (cordon:stackPrefix changes from "prod" to "sec": the workflows would deploy stack sec-${A} and never again prod-${A}, which applies it now): ${STRANDED}\n${REFUSED}`,
    );
    expect(result.code).toBe(1);
  });

  it("a renamed project moves every stack too", async () => {
    const head = { ...base("cordon-prod") };
    const result = await between(base(), head);
    expect(result.stderr).toBe(
      `error ${CI}: no stack applies it any more (Pulumi.yaml's name changes from "cordon" to "cordon-prod": the workflows would deploy stack cordon-prod/prod-${A} and never again cordon/prod-${A}, which applies it now): ${STRANDED}\n${REFUSED}`,
    );
    expect(result.code).toBe(1);
  });

  it("the prefix changed without renaming the stack files: refused, the files name other stacks", async () => {
    const head = { ...base(), "Pulumi.yaml": project("cordon", "config:\n  cordon:stackPrefix: sec\n") };
    const result = await between(base(), head);
    expect(result.stderr).toContain(`${PROD}:2:3 E_STACK_NAME this file deploys account ${A}, whose stack is sec-${A}`);
    expect(result.code).toBe(1);
  });

  it.each([
    { what: "once the incident has expired", from: base(), to: renamed("sec"), now: LATER },
    {
      what: "with no incident at all",
      from: { "Pulumi.yaml": project(), [PROD]: stackFile(A) },
      to: {
        "Pulumi.yaml": project("cordon", "config:\n  cordon:stackPrefix: sec\n"),
        [`Pulumi.sec-${A}.yaml`]: stackFile(A),
      },
      now: NOW,
    },
    { what: "the prefix written the same way again", from: base(), to: renamed("prod"), now: NOW },
  ])("passes $what", async ({ from, to, now }) => {
    const result = await between(from, to, now);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
