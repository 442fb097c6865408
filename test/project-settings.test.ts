/**
 * The one reader of the Pulumi project (issue 21, item 3): `Pulumi.yaml` and the stack files in,
 * every `cordon:*` setting and every problem out, each problem located and worded once. One case
 * per rule with its exact message beside a compliant one; the repository's own project file; and,
 * over generated values, the same settings and messages whether the files are read or Pulumi's
 * engine hands the program the same values.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { readProject as readEngineProject } from "../emulators/engine/project.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import {
  DEFAULT_INCIDENTS_DIR,
  PROJECT_RULES,
  readProjectFiles,
  readProjectFolder,
  stackSettingsFromEngine,
} from "../plan/project.ts";

const A = "123456789012";
const project = (text: string) => ({ path: "Pulumi.yaml", text });
const stack = (name: string, text: string) => ({ path: `Pulumi.${name}.yaml`, text });
const lines = (result: ReturnType<typeof readProjectFiles>) => result.problems.map(formatDiagnostic);
const misnamed = (account: string) =>
  `this file deploys account ${account}, whose stack is prod-${account} (cordon:stackPrefix "prod", then the account): the workflows deploy that stack and no other, and the program refuses to run under another name, so nothing here would be applied: rename the file Pulumi.prod-${account}.yaml (and the stack: pulumi stack rename prod-${account})`;
/** A second file of an account whose own file exists: renaming it would clobber that one. */
const second = (account: string) =>
  `this file deploys account ${account}, whose stack is prod-${account} (cordon:stackPrefix "prod", then the account): the workflows deploy that stack and no other, and the program refuses to run under another name, so nothing here would be applied: remove it (the account's stack is Pulumi.prod-${account}.yaml)`;
const organization = (account: string) =>
  `config:\n  cordon:account: "${account}"\n  cordon:organization:\n    targets: [r-abcd]\n    managementAccount: "${account}"\n`;
const MERGE =
  "a merge key (<<): Pulumi's YAML reader merges its mapping into this one, cordon's (YAML 1.2) has none, so guard would not see what Pulumi applies: write the keys out";

describe("every rule, with its exact message, beside a compliant file", () => {
  it.each([
    {
      code: "E_PROJECT_YAML",
      files: [stack("prod", 'config:\n  cordon:account: "1"\n  cordon:account: "2"\n')],
      problem: "Pulumi.prod.yaml:3:3 E_PROJECT_YAML not YAML: Map keys must be unique",
    },
    {
      code: "E_PROJECT_YAML",
      files: [stack("prod", "config: [a]\n")],
      problem: "Pulumi.prod.yaml:1:1 E_PROJECT_YAML config: found a list, expected a mapping of settings",
    },
    {
      code: "E_SETTING_UNKNOWN",
      files: [stack("prod", `config:\n  cordon:account: "${A}"\n  cordon:autoContian: "true"\n`)],
      problem:
        "Pulumi.prod.yaml:3:3 E_SETTING_UNKNOWN cordon:autoContian: cordon reads no such setting (did you mean cordon:autoContain?); expected one of cordon:account, cordon:autoContain, cordon:autoContainRepository, cordon:incidentsDir, cordon:organization, cordon:protectedPrincipals, cordon:stackPrefix",
    },
    {
      code: "E_SETTING_MISSING",
      files: [stack("prod", "config:\n  aws:region: us-east-1\n")],
      problem:
        "Pulumi.prod.yaml:1:1 E_SETTING_MISSING cordon:account: not set, expected the 12-digit AWS account id this stack deploys (pulumi config set cordon:account 123456789012)",
    },
    {
      code: "E_SETTING_MISSING",
      files: [stack("prod", `config:\n  cordon:account: "${A}"\n  cordon:autoContain: "true"\n`)],
      problem:
        "Pulumi.prod.yaml:1:1 E_SETTING_MISSING cordon:autoContainRepository: not set, expected the repository that holds the contain workflow, as owner/name: cordon:autoContain is true",
    },
    {
      code: "E_SETTING",
      files: [stack("prod", `config:\n  cordon:account: "${A}"\n  cordon:stackPrefix: sec\n`)],
      problem:
        "Pulumi.prod.yaml:3:3 E_SETTING cordon:stackPrefix: set in a stack file, expected in Pulumi.yaml: it concerns every stack of the project",
    },
    {
      code: "E_SETTING",
      files: [
        project("name: cordon\nruntime: nodejs\nconfig:\n  cordon:protectedPrincipals: [role/ok, group/admins]\n"),
      ],
      problem:
        'Pulumi.yaml:4:31 E_SETTING cordon:protectedPrincipals[1]: found "group/admins", expected role/NAME or user/NAME (an IAM name, in any account) or identityCenterUser/USER-ID (an identity store user id)',
    },
    {
      code: "E_SETTING",
      files: [stack("prod", `config:\n  cordon:account: "${A}"\n  cordon:autoContain: yes please\n`)],
      problem: 'Pulumi.prod.yaml:3:23 E_SETTING cordon:autoContain: found "yes please", expected true or false',
    },
    {
      code: "E_STACK_NAME",
      files: [
        stack(
          "mgmt",
          `config:\n  cordon:account: "${A}"\n  cordon:organization:\n    targets: [r-abcd]\n    managementAccount: "${A}"\n`,
        ),
      ],
      problem: `Pulumi.mgmt.yaml:2:3 E_STACK_NAME ${misnamed(A)}`,
    },
    {
      code: "E_STACK_NAME",
      files: [
        project("name: cordon\nruntime: nodejs\n"),
        stack(`prod-${A}`, `config:\n  cordon:account: "${A}"\n`),
        stack("decoy", `config:\n  account: "${A}"\n`),
      ],
      problem: `Pulumi.decoy.yaml:2:3 E_STACK_NAME ${second(A)}`,
    },
    {
      code: "E_ORGANIZATION_STACK",
      files: [stack(`prod-${A}`, organization(A)), stack("prod-999999999999", organization("999999999999"))],
      problem: `Pulumi.prod-999999999999.yaml:1:1 E_ORGANIZATION_STACK Pulumi.prod-${A}.yaml, Pulumi.prod-999999999999.yaml: 2 stacks set cordon:organization: one stack declares the organization guardrails (the management account's, or a delegated administrator's)`,
    },
    {
      code: "E_PROJECT_FILE",
      files: [stack(`prod-${A}`, `config:\n  cordon:account: "${A}"\n  <<: { "cordon:incidentsDir": elsewhere }\n`)],
      problem: `Pulumi.prod-${A}.yaml:3:3 E_PROJECT_FILE ${MERGE}`,
    },
    {
      code: "E_PROJECT_FILE",
      files: [
        project(
          "name: cordon\nruntime: nodejs\nconfig:\n  incidentsDir:\n    type: string\n    <<: *dir\ndefaults: &dir\n  default: elsewhere\n",
        ),
      ],
      problem: `Pulumi.yaml:6:5 E_PROJECT_FILE ${MERGE}`,
    },
    {
      code: "E_PROJECT_FILE",
      files: [project("name: cordon\nruntime: nodejs\nstackConfigDir: conf\n")],
      problem:
        "Pulumi.yaml:3:1 E_PROJECT_FILE stackConfigDir: Pulumi would read the stack files from that folder, the workflows and guard from the project folder: remove it, and keep the stack files beside Pulumi.yaml",
    },
    {
      code: "E_PROJECT_FILE",
      files: [project("runtime: nodejs\n")],
      problem:
        "Pulumi.yaml:1:1 E_PROJECT_FILE name: not set, expected the project's name: Pulumi runs no project without one, and a config key written without a namespace is the project's",
    },
    {
      code: "E_PROJECT_FILE",
      files: [
        project("name: cordon\nruntime: nodejs\n"),
        { path: "Pulumi.json", text: '{"name":"cordon","runtime":"nodejs"}' },
      ],
      problem:
        "Pulumi.json:1:1 E_PROJECT_FILE a project file named Pulumi.json: Pulumi finds Pulumi.json, then Pulumi.yaml, then Pulumi.yml, and reads the stack files with that file's extension; cordon (guard, accounts, the workflows) reads Pulumi.yaml and Pulumi.<stack>.yaml: remove it, or make it Pulumi.yaml",
    },
    {
      code: "E_PROJECT_FILE",
      files: [
        project("name: cordon\nruntime: nodejs\n"),
        { path: `Pulumi.prod-${A}.yml`, text: `config:\n  cordon:account: "${A}"\n` },
      ],
      problem: `Pulumi.prod-${A}.yml:1:1 E_PROJECT_FILE a stack file named Pulumi.prod-${A}.yml: Pulumi reads a stack's settings from Pulumi.<stack>.yaml beside Pulumi.yaml, never from this file, which guard would judge all the same: rename it Pulumi.prod-${A}.yaml, or remove it`,
    },
    {
      code: "E_PROJECT_FILE",
      files: [
        project("name: cordon\nruntime: nodejs\n"),
        stack(`prod-${A}`, `config:\n  cordon:account: "${A}"\n`),
        { path: `Pulumi.prod-${A}.yml`, text: `config:\n  cordon:account: "${A}"\n` },
      ],
      problem: `Pulumi.prod-${A}.yml:1:1 E_PROJECT_FILE a stack file named Pulumi.prod-${A}.yml: Pulumi reads a stack's settings from Pulumi.<stack>.yaml beside Pulumi.yaml, never from this file, which guard would judge all the same: remove it (Pulumi reads that stack's settings from Pulumi.prod-${A}.yaml)`,
    },
    {
      code: "E_PROJECT_FILE",
      files: [stack(`prod-${A}`, `config:\n  cordon:account: "${A}"\n  incidentsDir: elsewhere\n`)],
      problem: `Pulumi.prod-${A}.yaml:3:3 E_PROJECT_FILE incidentsDir: written without a namespace, and no Pulumi.yaml names the project it would belong to`,
    },
    {
      code: "E_PROJECT_FILE",
      files: [
        project("name: cordon\nruntime: nodejs\n"),
        stack(`prod-${A}`, `config:\n  cordon:account: "${A}"\n  aws:a:b: x\n`),
      ],
      problem: `Pulumi.prod-${A}.yaml:3:3 E_PROJECT_FILE aws:a:b: Pulumi reads a key as <namespace>:<name> (or <namespace>:config:<name>), and cannot read this one`,
    },
    {
      code: "E_SETTING",
      files: [
        project("name: cordon\nruntime: nodejs\n"),
        stack(
          `prod-${A}`,
          `config:\n  cordon:account: "${A}"\n  cordon:incidentsDir: incidents\n  incidentsDir: elsewhere\n`,
        ),
      ],
      problem: `Pulumi.prod-${A}.yaml:4:3 E_SETTING cordon:incidentsDir: set twice, as cordon:incidentsDir and as incidentsDir, which Pulumi reads as the same key and keeps either one: keep one`,
    },
  ])("$code: $problem", ({ files, problem }) => {
    expect(lines(readProjectFolder(files))).toEqual([problem]);
  });

  it("a compliant project: every setting read, from the stack or the project's default", () => {
    const result = readProjectFiles(
      project(
        "name: cordon\nruntime: nodejs\nconfig:\n  stackPrefix: sec\n  incidentsDir:\n    type: string\n    default: ops/incidents\n  protectedPrincipals:\n    type: array\n    items: { type: string }\n    default: [role/break-glass, user/Incident-Commander]\n",
      ),
      [
        stack(
          `sec-${A}`,
          `config:\n  cordon:account: "${A}"\n  cordon:autoContain: "true"\n  cordon:autoContainRepository: example-org/cordon\n  aws:region: eu-west-1\n`,
        ),
        stack(
          "sec-999999999999",
          'config:\n  cordon:account: "999999999999"\n  cordon:incidentsDir: ./incidents/org/\n  cordon:organization:\n    targets: [r-abcd]\n    managementAccount: "999999999999"\nenvironment: [org]\n',
        ),
      ],
    );
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({
      stackPrefix: "sec",
      incidentsDir: "ops/incidents",
      protectedPrincipals: [
        { type: "role", name: "break-glass" },
        { type: "user", name: "Incident-Commander" },
      ],
      stackAccounts: [A, "999999999999"],
      organization: {
        account: "999999999999",
        stack: "sec-999999999999",
        file: "Pulumi.sec-999999999999.yaml",
        config: { targets: ["r-abcd"], managementAccount: "999999999999" },
      },
    });
    expect(result.stacks).toEqual([
      {
        name: `sec-${A}`,
        file: `Pulumi.sec-${A}.yaml`,
        account: A,
        incidentsDir: "ops/incidents",
        organization: null,
        autoContain: { repository: "example-org/cordon" },
        environments: false,
      },
      {
        name: "sec-999999999999",
        file: "Pulumi.sec-999999999999.yaml",
        account: "999999999999",
        incidentsDir: "incidents/org",
        organization: { targets: ["r-abcd"], managementAccount: "999999999999" },
        autoContain: null,
        environments: true,
      },
    ]);
  });

  it("every rule has a case above", () => {
    expect(Object.keys(PROJECT_RULES).sort()).toEqual([
      "E_ORGANIZATION_STACK",
      "E_PROJECT_FILE",
      "E_PROJECT_YAML",
      "E_SETTING",
      "E_SETTING_MISSING",
      "E_SETTING_UNKNOWN",
      "E_STACK_NAME",
    ]);
  });

  it("this repository's own Pulumi.yaml reads without a problem, with the default folder", () => {
    const root = join(import.meta.dirname, "..");
    const result = readProjectFiles({ path: "Pulumi.yaml", text: readFileSync(join(root, "Pulumi.yaml"), "utf8") }, []);
    expect(result.problems).toEqual([]);
    expect([result.incidentsDir, result.stackPrefix]).toEqual([DEFAULT_INCIDENTS_DIR, "prod"]);
  });
});

describe("the program reads the same settings through the engine", () => {
  /** What a stack file may hold for each setting, as `pulumi config set` writes it (text) or as YAML (lists, mappings). */
  const values = {
    account: fc.oneof(
      fc.constantFrom(
        A,
        "12345678901",
        "1234567890123",
        "",
        "12345678901a",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662",
      ),
      fc.stringMatching(/^\d{10,13}$/),
    ),
    incidentsDir: fc.constantFrom(
      "incidents",
      "./incidents/",
      "ops/incidents",
      "../elsewhere",
      "/etc",
      "a/../../b",
      ".",
      "C:\\incidents",
      "a/./b//c",
    ),
    organization: fc.oneof(
      fc.record({
        targets: fc.array(fc.constantFrom("r-abcd", "ou-abcd-12345678", A, "root", 7), { maxLength: 3 }),
        managementAccount: fc.constantFrom(A, "999", 999999999999),
      }),
      fc.constantFrom("r-abcd", null, [1]),
    ),
    autoContain: fc.constantFrom("true", "false", "yes", "True"),
    autoContainRepository: fc.constantFrom("example-org/cordon", "cordon", "a/b/c", "-x/y"),
  };
  const setting = fc.record(
    {
      account: values.account,
      incidentsDir: values.incidentsDir,
      organization: values.organization,
      autoContain: values.autoContain,
      autoContainRepository: values.autoContainRepository,
    },
    { requiredKeys: ["account"] },
  );

  it("for any values: the same stack, or the same messages", () => {
    fc.assert(
      fc.property(setting, (config) => {
        const name = `prod-${typeof config.account === "string" && /^\d{12}$/.test(config.account) ? config.account : A}`;
        const written = Object.fromEntries(Object.entries(config).map(([key, value]) => [`cordon:${key}`, value]));
        const fromFiles = readProjectFiles(undefined, [stack(name, stringify({ config: written }))]);
        // The engine: text as it is, lists and mappings as JSON text.
        const engine = Object.fromEntries(
          Object.entries(written).map(([key, value]) => [
            key,
            typeof value === "string" ? value : JSON.stringify(value),
          ]),
        );
        const fromEngine = stackSettingsFromEngine(name, engine);
        // The same messages (a file orders them by where they are written, the engine by key).
        expect([...fromEngine.problems].sort()).toEqual(fromFiles.problems.map((p) => p.message).sort());
        if (fromEngine.settings !== undefined) {
          const { stackPrefix: _prefix, protectedPrincipals: _protected, ...settings } = fromEngine.settings;
          expect(fromFiles.stacks).toEqual([settings]);
        } else expect(fromFiles.stacks).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("whatever the keys' spelling and the project's name: the files and the engine stand-in (which names keys as Pulumi's CLI does) give the same stack, or the same refusal", () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-keys-"));
    try {
      const spelling = (key: string) => fc.constantFrom(`cordon:${key}`, key, `cordon:config:${key}`);
      fc.assert(
        fc.property(
          fc.constantFrom("cordon", "other"),
          spelling("account"),
          fc.option(spelling("incidentsDir"), { nil: undefined }),
          fc.constantFrom("elsewhere", "ops/incidents"),
          (name, accountKey, dirKey, folder) => {
            const projectText = `name: ${name}\nruntime: nodejs\n`;
            const stackText = `config:\n  ${accountKey}: "${A}"\n${dirKey === undefined ? "" : `  ${dirKey}: ${folder}\n`}`;
            writeFileSync(join(dir, "Pulumi.yaml"), projectText);
            writeFileSync(join(dir, `Pulumi.prod-${A}.yaml`), stackText);
            const fromFiles = readProjectFolder([project(projectText), stack(`prod-${A}`, stackText)]);
            const fromEngine = stackSettingsFromEngine(`prod-${A}`, readEngineProject(dir, `prod-${A}`, {}).config);
            if (fromEngine.settings === undefined) {
              expect(fromFiles.stacks).toEqual([]);
              expect(fromFiles.problems.map((p) => p.message)).toEqual(fromEngine.problems);
            } else {
              const { stackPrefix: _prefix, protectedPrincipals: _protected, ...settings } = fromEngine.settings;
              expect(fromFiles.problems).toEqual([]);
              expect(fromFiles.stacks).toEqual([settings]);
            }
            // Pulumi's rule, written apart: a key without a namespace is the project's.
            const ours = (key: string | undefined) => key !== undefined && (key.includes(":") || name === "cordon");
            expect(fromFiles.stacks.map((s) => s.incidentsDir)).toEqual(
              ours(accountKey) ? [ours(dirKey) ? folder : DEFAULT_INCIDENTS_DIR] : [],
            );
          },
        ),
        { numRuns: 100 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("arbitrary text as a stack file never throws: a stack is read, or a problem names the file", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue({ maxDepth: 3 }).map((v) => stringify({ config: { "cordon:account": v } })),
        ),
        (text) => {
          const result = readProjectFiles(undefined, [stack("prod", text)]);
          expect(
            result.stacks.length + result.problems.filter((p) => p.file === "Pulumi.prod.yaml").length,
          ).toBeGreaterThan(0);
          for (const p of result.problems) expect(p.line).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
