/**
 * `cordon accounts` (issue 11.2): every stack a run must update, named <prefix>-<account>, as the
 * workflows' matrix reads it. Run in a throw-away project folder: a Pulumi.yaml, stack files, and
 * incident files, since what it lists depends on all three.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { TARGET_ID } from "../plan/organization.ts";
import { accountStacks, readProjectFiles, STACK_PREFIX } from "../plan/project.ts";
import { parse, stringify } from "yaml";
import type { Incident } from "../incident/types.ts";

const EXAMPLES = join(import.meta.dirname, "../examples/incidents");
const CROSS = "2026-11-28-build-key-cross-account";
const ORGANIZATION_STACK = [
  "config:",
  '  cordon:account: "999999999999"',
  "  cordon:organization:",
  "    targets: [r-abcd]",
  '    managementAccount: "999999999999"',
  "",
].join("\n");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cordon-accounts-"));
  mkdirSync(join(dir, "incidents"));
  for (const name of readdirSync(EXAMPLES)) copyFileSync(join(EXAMPLES, name), join(dir, "incidents", name));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One account as `accounts --json` lists it: by default a prod- stack, no guardrails, nothing recorded, after no other. */
function accountEntry(
  account: string,
  incidents: string[],
  more: { organization?: boolean; recordsContainment?: string[]; after?: string[]; prefix?: string } = {},
) {
  const { prefix = "prod", organization = false, recordsContainment = [], after = [] } = more;
  return { account, stack: `${prefix}-${account}`, incidents, organization, recordsContainment, after };
}

/** The folder's incidents: only this one file (its lines); and the organization's stack file. */
function onlyIncident(name: string, lines: string[]) {
  rmSync(join(dir, "incidents"), { recursive: true });
  mkdirSync(join(dir, "incidents"));
  writeFileSync(join(dir, "incidents", name), [...lines, ""].join("\n"));
  writeFileSync(join(dir, "Pulumi.prod-999999999999.yaml"), ORGANIZATION_STACK);
}

async function accounts(...argv: string[]) {
  const io = memoryIo({ cwd: dir });
  const code = await main(["accounts", ...argv], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("cordon accounts", () => {
  it("--json: every account an incident has a share in, with its stack and incidents", async () => {
    const { code, stdout, stderr } = await accounts("--json");
    expect([code, stderr]).toEqual([0, ""]);
    expect(JSON.parse(stdout)).toEqual({
      accounts: [
        accountEntry("111111111111", [CROSS]),
        // The at-containment example's keys are in this account: its stack records the instant.
        accountEntry(
          "123456789012",
          ["2026-11-27-laptop-backup-key", "2026-11-28-ci-deploy-key", "2026-11-28-key-in-ticket"],
          { recordsContainment: ["2026-11-28-key-in-ticket"] },
        ),
        accountEntry("444444444444", [CROSS]),
        accountEntry("555555555555", [CROSS]),
        accountEntry("999999999999", [CROSS]),
      ],
      problems: [],
      withheld: [],
      withheldStacks: [],
      folders: ["incidents"],
    });
  });

  it("takes the prefix from Pulumi.yaml, marks the organization stack, and keeps a stack file's account with no incident left", async () => {
    writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\nconfig:\n  cordon:stackPrefix: sec\n");
    writeFileSync(join(dir, "Pulumi.sec-999999999999.yaml"), ORGANIZATION_STACK);
    writeFileSync(join(dir, "Pulumi.sec-777777777777.yaml"), 'config:\n  cordon:account: "777777777777"\n');
    const { code, stdout } = await accounts("--json");
    expect(code).toBe(0);
    const listed = JSON.parse(stdout).accounts as {
      account: string;
      stack: string;
      incidents: string[];
      organization: boolean;
    }[];
    expect(listed.map((a) => a.stack)).toEqual([
      "sec-111111111111",
      "sec-123456789012",
      "sec-444444444444",
      "sec-555555555555",
      "sec-777777777777",
      "sec-999999999999",
    ]);
    expect(listed.find((a) => a.account === "777777777777")).toEqual(
      accountEntry("777777777777", [], { prefix: "sec" }),
    );
    expect(listed.find((a) => a.account === "999999999999")).toEqual(
      accountEntry("999999999999", [CROSS], { organization: true, prefix: "sec" }),
    );

    const text = await accounts();
    expect(text.stdout.split("\n")).toContain(
      "777777777777  sec-777777777777  no incident (its stack runs to remove what it declared)",
    );
    expect(text.stdout.split("\n")).toContain(`999999999999  sec-999999999999  organization guardrails; ${CROSS}`);
  });

  it("the organization stack is listed for the guardrails even when no principal is in its account", async () => {
    onlyIncident("ic-1.yaml", [
      "id: ic-1",
      "title: t",
      'account: "444444444444"',
      "cutoff: 2026-11-28T10:00:00Z",
      "roles: [{ name: data-loader }]",
      "organization: { scp: true }",
    ]);
    const { stdout } = await accounts("--json", "--now", "2026-11-28T12:00:00Z");
    expect(JSON.parse(stdout).accounts).toEqual([
      accountEntry("444444444444", ["ic-1"]),
      accountEntry("999999999999", ["ic-1"], { organization: true }),
    ]);
  });

  it("says which stack records an at-containment incident's instant, and which run after it to read it", async () => {
    onlyIncident("ic-2.yaml", [
      "id: ic-2",
      "title: t",
      'account: "111111111111"',
      "cutoff: at-containment",
      "users: [{ name: build-bot, accessKeys: [AKIAQ3EGKB4TBUILDB0T] }]",
      'roles: [{ name: data-loader, account: "444444444444" }]',
      "organization: { scp: true }",
    ]);
    const { stdout } = await accounts("--json", "--now", "2026-11-28T12:00:00Z");
    expect(JSON.parse(stdout).accounts).toEqual([
      accountEntry("111111111111", ["ic-2"], { recordsContainment: ["ic-2"] }),
      accountEntry("444444444444", ["ic-2"], { after: ["prod-111111111111"] }),
      accountEntry("999999999999", ["ic-2"], { organization: true, after: ["prod-111111111111"] }),
    ]);
    const text = await accounts("--now", "2026-11-28T12:00:00Z");
    expect(text.stdout.split("\n").slice(0, 3)).toEqual([
      "111111111111  prod-111111111111  ic-2 · records the containment instant of ic-2",
      "444444444444  prod-444444444444  ic-2 · runs after prod-111111111111",
      "999999999999  prod-999999999999  organization guardrails; ic-2 · runs after prod-111111111111",
    ]);
  });

  it("lists nothing while any incident file is invalid", async () => {
    writeFileSync(
      join(dir, "incidents", "bad.yaml"),
      [
        "id: bad",
        "title: t",
        'account: "444444444444"',
        "cutoff: 2026-11-28T10:00:00Z",
        "roles: [{ name: r, account: 4444 }]",
        "",
      ].join("\n"),
    );
    const { code, stdout, stderr } = await accounts("--json");
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("nothing is planned while any incident file is invalid");
  });

  it("withholds the account whose own stack file cannot be read or names no account, and lists every other", async () => {
    writeFileSync(join(dir, "Pulumi.prod-777777777777.yaml"), "config: [\n");
    writeFileSync(join(dir, "Pulumi.prod-888888888888.yaml"), "config:\n  cordon:account: 888888888888\n");
    // 123456789012's own file is unreadable too: its incidents' stack would read it, so it is not listed.
    writeFileSync(join(dir, "Pulumi.prod-123456789012.yaml"), "config:\n  <<: { cordon:account: '123456789012' }\n");
    const { code, stdout, stderr } = await accounts("--json");
    expect(code).toBe(0);
    expect(stderr.split("\n")).toEqual([
      "cordon accounts: warning: Pulumi.prod-123456789012.yaml:2:3 E_PROJECT_FILE a merge key (<<): Pulumi's YAML reader merges its mapping into this one, cordon's (YAML 1.2) has none, so guard would not see what Pulumi applies: write the keys out",
      "cordon accounts: warning: Pulumi.prod-777777777777.yaml:2:1 E_PROJECT_YAML not YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
      'cordon accounts: warning: Pulumi.prod-888888888888.yaml:2:19 E_SETTING cordon:account: found number 888888888888, expected the 12-digit AWS account id the stack deploys, quoted ("123456789012"): unquoted, YAML reads a number and drops leading zeros',
      "cordon accounts: warning: 3 problems in the stack files: account 123456789012, 777777777777, 888888888888 withheld (its stack would read a file cordon cannot: not listed, not deployed); every other account is listed",
      "",
    ]);
    const listed = JSON.parse(stdout);
    expect(listed.accounts.map((a: { stack: string }) => a.stack)).toEqual([
      "prod-111111111111",
      "prod-444444444444",
      "prod-555555555555",
      "prod-999999999999",
    ]);
    expect(listed.withheld).toEqual(["123456789012", "777777777777", "888888888888"]);
    // Their stacks, whose outputs the pull-request workflow still reads for guard.
    expect(listed.withheldStacks).toEqual(["prod-123456789012", "prod-777777777777", "prod-888888888888"]);
    expect(listed.problems).toEqual(
      stderr
        .split("\n")
        .slice(0, 3)
        .map((line) => line.slice("cordon accounts: warning: ".length)),
    );
  });

  it("lists nothing when Pulumi.yaml has a problem, or two stack files set cordon:organization: every stack's reading hangs on them", async () => {
    writeFileSync(join(dir, "Pulumi.prod-999999999999.yaml"), ORGANIZATION_STACK);
    writeFileSync(
      join(dir, "Pulumi.prod-888888888888.yaml"),
      ORGANIZATION_STACK.replace('cordon:account: "999999999999"', 'cordon:account: "888888888888"'),
    );
    const two = await accounts("--json");
    expect([two.code, two.stdout]).toEqual([1, ""]);
    expect(two.stderr.split("\n")).toEqual([
      "Pulumi.prod-999999999999.yaml:1:1 E_ORGANIZATION_STACK Pulumi.prod-888888888888.yaml, Pulumi.prod-999999999999.yaml: 2 stacks set cordon:organization: one stack declares the organization guardrails (the management account's, or a delegated administrator's)",
      "cordon accounts: 1 problem in the project's files: no account listed",
      "",
    ]);
    rmSync(join(dir, "Pulumi.prod-888888888888.yaml"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\nstackConfigDir: conf\n");
    const project = await accounts("--json");
    expect([project.code, project.stdout]).toEqual([1, ""]);
    expect(project.stderr.split("\n")).toEqual([
      "Pulumi.yaml:3:1 E_PROJECT_FILE stackConfigDir: Pulumi would read the stack files from that folder, the workflows and guard from the project folder: remove it, and keep the stack files beside Pulumi.yaml",
      "cordon accounts: 1 problem in the project's files: no account listed",
      "",
    ]);
  });

  it("a second stack file of an account is a warning that says to remove it, naming the account's own file; the organization stack is listed", async () => {
    writeFileSync(join(dir, "Pulumi.prod-999999999999.yaml"), ORGANIZATION_STACK);
    writeFileSync(join(dir, "Pulumi.mgmt.yaml"), ORGANIZATION_STACK);
    const { code, stdout, stderr } = await accounts("--json");
    expect(code).toBe(0);
    expect(stderr.split("\n")).toEqual([
      'cordon accounts: warning: Pulumi.mgmt.yaml:2:3 E_STACK_NAME this file deploys account 999999999999, whose stack is prod-999999999999 (cordon:stackPrefix "prod", then the account): the workflows deploy that stack and no other, and the program refuses to run under another name, so nothing here would be applied: remove it (the account\'s stack is Pulumi.prod-999999999999.yaml)',
      "cordon accounts: warning: 1 problem in the stack files: they apply nothing, and stop no stack; every other account is listed",
      "",
    ]);
    const listed = JSON.parse(stdout);
    expect(listed.withheld).toEqual([]);
    expect(listed.accounts.find((a: { account: string }) => a.account === "999999999999")).toEqual(
      accountEntry("999999999999", [CROSS], { organization: true }),
    );
  });

  describe("--folders: every folder a stack reads, from the project's files alone", () => {
    beforeEach(() => {
      writeFileSync(
        join(dir, "Pulumi.prod-777777777777.yaml"),
        'config:\n  cordon:account: "777777777777"\n  cordon:incidentsDir: "ops/on call\\n[eu]"\n',
      );
      writeFileSync(join(dir, "Pulumi.prod-888888888888.yaml"), 'config:\n  cordon:account: "888888888888"\n');
    });

    it("lists them, with an invalid incident file present all the same (guard refuses it, not this)", async () => {
      writeFileSync(join(dir, "incidents", "bad.yaml"), "id: bad\n");
      expect(await accounts("--folders", "--json")).toEqual({
        code: 0,
        stdout: `${JSON.stringify({ folders: ["incidents", "ops/on call\n[eu]"] }, null, 2)}\n`,
        stderr: "",
      });
      expect(await accounts("--folders")).toEqual({
        code: 0,
        stdout: "incidents\nops/on call\\u000a[eu]\n",
        stderr: "",
      });
    });

    it("as paths from a subfolder, the project folder itself as `..`", async () => {
      mkdirSync(join(dir, "docs"));
      writeFileSync(
        join(dir, "Pulumi.prod-888888888888.yaml"),
        'config:\n  cordon:account: "888888888888"\n  cordon:incidentsDir: .\n',
      );
      const io = memoryIo({ cwd: join(dir, "docs") });
      expect(await main(["accounts", "--folders", "--json"], io)).toBe(0);
      expect(JSON.parse(io.stdout)).toEqual({ folders: ["..", "../incidents", "../ops/on call\n[eu]"] });
    });

    it("leaves out a withheld stack's folder, lists nothing when Pulumi.yaml cannot be read, takes no PATH, and needs a project", async () => {
      // An account's own stack file that cannot be read withholds that stack alone: the other
      // stacks' folders are listed, so that their contains go on (it says which it could not read).
      writeFileSync(join(dir, "Pulumi.prod-777777777777.yaml"), "config: [\n");
      const withheld = await accounts("--folders", "--json");
      expect([withheld.code, withheld.stdout]).toEqual([0, `${JSON.stringify({ folders: ["incidents"] }, null, 2)}\n`]);
      expect(withheld.stderr.split("\n").slice(-2)).toEqual([
        "cordon accounts: warning: 1 problem in the stack files: account 777777777777 withheld (its stack would read a file cordon cannot: not listed, not deployed); every other folder is listed",
        "",
      ]);
      // Pulumi.yaml is every stack's: nothing is listed from a wrong reading.
      writeFileSync(join(dir, "Pulumi.yaml"), "name: [\n");
      const broken = await accounts("--folders", "--json");
      expect([broken.code, broken.stdout]).toEqual([1, ""]);
      expect(broken.stderr.split("\n").slice(-2)).toEqual([
        "cordon accounts: 2 problems in the project's files: no folder listed",
        "",
      ]);
      const path = await accounts("--folders", "incidents");
      expect([path.code, path.stderr]).toEqual([
        2,
        'cordon accounts: unexpected argument "incidents": --folders reads the project\'s files only; run `npx cordon accounts --help` for its options\n',
      ]);
      rmSync(join(dir, "Pulumi.yaml"));
      for (const name of readdirSync(dir).filter((n) => n.startsWith("Pulumi."))) rmSync(join(dir, name));
      const outside = await accounts("--folders");
      expect(outside.code).toBe(2);
      expect(outside.stderr).toContain("no Pulumi.yaml in");
    });
  });

  it("exits 2 on a usage error", async () => {
    const { code, stderr } = await accounts("--acount", "1");
    expect(code).toBe(2);
    expect(stderr).toMatch(/^cordon accounts: /);
  });
});

describe('a refused stack file stops only the stack that would read it (docs/lifecycle.md, "When a stack file is refused")', () => {
  const NOW = "2026-11-28T12:00:00Z";
  const digits = fc.stringMatching(/^\d{12}$/);
  /** A stack file name that is no account's own (`prod-` and 12 digits). */
  const otherName = fc
    .stringMatching(/^[a-z][a-z0-9_.-]{0,15}$/)
    .filter((name) => !/^prod-\d{12}$/.test(name) && !/\.(json|ya?ml)$/.test(name));
  const extra = fc.record({
    kind: fc.constantFrom("second", "orphan", "yml", "broken"),
    of: fc.nat(),
    name: otherName,
    orphan: digits,
  });

  it("whatever the accounts and the extra files: each account is listed unless its own file cannot be read, and each extra file is a warning that says what fixes it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(digits, { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(extra, { minLength: 1, maxLength: 4, selector: (e) => e.name }),
        async (own, extras) => {
          const folder = mkdtempSync(join(tmpdir(), "cordon-accounts-upgrade-"));
          try {
            mkdirSync(join(folder, "incidents"));
            writeFileSync(join(folder, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
            own.forEach((account, i) => {
              writeFileSync(join(folder, `Pulumi.prod-${account}.yaml`), `config:\n  cordon:account: "${account}"\n`);
              writeFileSync(
                join(folder, "incidents", `inc-${i}.yaml`),
                `id: inc-${i}\ntitle: t\naccount: "${account}"\ncutoff: 2026-11-28T10:00:00Z\nroles: [{ name: r }]\n`,
              );
            });
            const orphans = extras.filter((e) => e.kind === "orphan" && !own.includes(e.orphan)).map((e) => e.orphan);
            const expected = new Map<string, string>();
            const broken = new Set<string>();
            for (const e of extras) {
              const account = own[e.of % own.length];
              if (e.kind === "second") {
                writeFileSync(join(folder, `Pulumi.${e.name}.yaml`), `config:\n  cordon:account: "${account}"\n`);
                expected.set(`Pulumi.${e.name}.yaml`, `remove it (the account's stack is Pulumi.prod-${account}.yaml)`);
              } else if (e.kind === "orphan" && !own.includes(e.orphan)) {
                writeFileSync(join(folder, `Pulumi.${e.name}.yaml`), `config:\n  cordon:account: "${e.orphan}"\n`);
                expected.set(
                  `Pulumi.${e.name}.yaml`,
                  `rename the file Pulumi.prod-${e.orphan}.yaml (and the stack: pulumi stack rename prod-${e.orphan})`,
                );
              } else if (e.kind === "yml") {
                writeFileSync(join(folder, `Pulumi.prod-${account}.yml`), `config:\n  cordon:account: "${account}"\n`);
                expected.set(
                  `Pulumi.prod-${account}.yml`,
                  `remove it (Pulumi reads that stack's settings from Pulumi.prod-${account}.yaml)`,
                );
              } else if (e.kind === "broken") {
                writeFileSync(join(folder, `Pulumi.prod-${account}.yaml`), "config: [\n");
                broken.add(account);
              }
            }
            const io = memoryIo({ cwd: folder });
            const code = await main(["accounts", "--json", "--now", NOW], io);
            expect(code).toBe(0);
            const listed = JSON.parse(io.stdout) as {
              accounts: { stack: string }[];
              problems: string[];
              withheld: string[];
              withheldStacks: string[];
            };
            // Every account whose own file reads, and none whose own file does not; an orphan's
            // account has neither incident nor file of its own: nothing to list.
            const readable = own.filter((account) => !broken.has(account));
            expect(listed.accounts.map((a) => a.stack)).toEqual(readable.map((a) => `prod-${a}`).sort());
            expect(listed.withheld).toEqual([...broken].sort());
            expect(listed.withheldStacks).toEqual([...broken].sort().map((a) => `prod-${a}`));
            for (const account of orphans) expect(listed.accounts.map((a) => a.stack)).not.toContain(`prod-${account}`);
            for (const [file, fix] of expected) {
              const lines = listed.problems.filter((p) => p.startsWith(`${file}:`));
              expect(lines, file).toHaveLength(1);
              expect(lines[0].endsWith(`: ${fix}`), lines[0]).toBe(true);
            }
            for (const account of broken)
              expect(listed.problems.some((p) => p.startsWith(`Pulumi.prod-${account}.yaml:`))).toBe(true);
            // Said on stderr as warnings, each problem, then what they stop.
            const warnings = io.stderr.trimEnd().split("\n");
            expect(warnings.slice(0, -1)).toEqual(listed.problems.map((p) => `cordon accounts: warning: ${p}`));
            expect(warnings.at(-1)).toMatch(/^cordon accounts: warning: \d+ problems? in the stack files: /);
          } finally {
            rmSync(folder, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("accountStacks", () => {
  const incident = (id: string, accounts: string[], guarded: boolean): Incident =>
    ({
      id,
      account: accounts[0],
      users: [],
      roles: accounts.map((account, i) => ({ name: `r${i}`, account })),
      replacementRoles: [],
      organization: { scp: guarded, rcp: false },
      identityCenterUsers: [],
    }) as unknown as Incident;

  it("lists every account of every principal exactly once, with each incident that has a share there", () => {
    const account = fc.stringMatching(/^[0-9]{12}$/);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(account, { minLength: 1, maxLength: 4 }), fc.boolean()), { maxLength: 6 }),
        fc.option(account, { nil: undefined }),
        (specs, management) => {
          const incidents = specs.map(([accounts, guarded], i) => incident(`i${i}`, accounts, guarded));
          const organization =
            management === undefined
              ? undefined
              : {
                  account: management,
                  stack: `prod-${management}`,
                  file: "f",
                  config: { targets: ["r-abcd"], managementAccount: management },
                };
          const listed = accountStacks(incidents, { stackPrefix: "prod", organization });
          expect(listed.map((a) => a.account)).toEqual([...new Set(listed.map((a) => a.account))].sort());
          for (const a of listed) expect(a.stack).toBe(`prod-${a.account}`);
          for (const [i, [accounts, guarded]] of specs.entries()) {
            for (const acct of accounts) expect(listed.find((a) => a.account === acct)?.incidents).toContain(`i${i}`);
            if (guarded && management !== undefined)
              expect(listed.find((a) => a.account === management)?.incidents).toContain(`i${i}`);
          }
        },
      ),
    );
  });
});

describe("hostile stack files", () => {
  it("never crash the project's reading; what comes out is well-formed, or a problem says why", () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(
        "999999999999",
        999999999999,
        "r-abcd",
        ["r-abcd"],
        { targets: ["r-abcd"], managementAccount: "999999999999" },
        "../../etc",
        "::error::x",
        "\u202e",
        "prod\nx",
      ),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.oneof(
              fc.constantFrom("prod-999999999999", "prod-111111111111", "mgmt"),
              fc.string({ maxLength: 12 }),
            ),
            account: value,
            organization: fc.option(value, { nil: undefined }),
          }),
          { maxLength: 4 },
        ),
        fc.option(value, { nil: undefined }),
        fc.oneof(fc.string({ maxLength: 80 }), fc.constant("config: [")),
        (stacks, prefix, garbage) => {
          const files = stacks.map((stack) => ({
            path: `Pulumi.${stack.name}.yaml`,
            text: stringify({
              config: {
                "cordon:account": stack.account,
                ...(stack.organization === undefined ? {} : { "cordon:organization": stack.organization }),
              },
            }),
          }));
          files.push({ path: "Pulumi.garbage.yaml", text: garbage });
          const project = readProjectFiles(
            {
              path: "Pulumi.yaml",
              text: stringify({ name: "cordon", config: prefix === undefined ? {} : { "cordon:stackPrefix": prefix } }),
            },
            files,
          );
          expect(STACK_PREFIX.test(project.stackPrefix)).toBe(true);
          for (const account of project.stackAccounts) expect(account).toMatch(/^\d{12}$/);
          if (project.organization !== undefined) {
            expect(project.organization.account).toMatch(/^\d{12}$/);
            expect(project.organization.stack).toBe(`${project.stackPrefix}-${project.organization.account}`);
            for (const target of project.organization.config.targets) expect(target).toMatch(TARGET_ID);
          }
          // Every stack file is either read (its account listed) or named in a problem: none is skipped silently.
          for (const { path: file, text } of files) {
            const named = project.problems.some((problem) => problem.file === file || problem.message.includes(file));
            const account = (() => {
              try {
                return (parse(text, { logLevel: "error" }) as { config?: Record<string, unknown> } | null)?.config?.[
                  "cordon:account"
                ];
              } catch {
                return undefined;
              }
            })();
            expect(named || project.stackAccounts.includes(account as string), file).toBe(true);
          }
          for (const a of accountStacks([], project, project.stackAccounts))
            expect(a.stack).toBe(`${project.stackPrefix}-${a.account}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
