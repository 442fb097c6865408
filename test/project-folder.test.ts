/**
 * Commands find the project (issue 19, item 8): from any subfolder, as git finds its repository,
 * every command that reads or writes the project's incidents finds the folder that holds
 * Pulumi.yaml; outside any project, it refuses in one line saying where to run. Tried as a new
 * user would: the CLI's bin in a subfolder of a real git repository; then, over generated
 * subfolders, the same commands in-process.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { gitEnv } from "./support/git-repo.ts";

const BIN = resolve(import.meta.dirname, "..", "cli", "cordon.js");
const NOW = "2026-11-29T12:00:00Z";
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const active = {
  id: "2026-11-28-ci-key",
  title: "CI key in a public repository",
  account: "123456789012",
  cutoff: "2026-11-28T10:00:00Z",
  users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
};
const env = { ...gitEnv(), NO_COLOR: "1", CI: "true" };
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, env, encoding: "utf8" }).trim();

/**
 * A project as cordon's repository holds it: Pulumi.yaml, an active incident, a docs/ folder, and
 * a stack file unless `stack` is false (a new user's, before `pulumi stack init`); committed.
 */
function project(stack = true): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "cordon-project-")));
  made.push(dir);
  writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  if (stack) writeFileSync(join(dir, "Pulumi.prod-123456789012.yaml"), 'config:\n  cordon:account: "123456789012"\n');
  mkdirSync(join(dir, "incidents"));
  writeFileSync(join(dir, "incidents", `${active.id}.yaml`), stringify(active));
  mkdirSync(join(dir, "docs", "notes"), { recursive: true });
  writeFileSync(join(dir, "docs", "notes", "README.md"), "notes\n");
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "base");
  return dir;
}

/** The bin, as `npx cordon` runs it. */
function cordon(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("from a subfolder, the bin finds the project", () => {
  const dir = project();
  const sub = join(dir, "docs", "notes");

  it("validate, status, plan and accounts read the project's incidents", () => {
    expect(cordon(sub, "validate", "--now", NOW)).toEqual({
      code: 0,
      stdout: "1 incident valid: 2026-11-28-ci-key\n",
      stderr: "",
    });
    expect(cordon(sub, "status", "--now", NOW).stdout.split("\n")[1]).toMatch(
      /^2026-11-28-ci-key {2}2026-11-28T10:00:00Z {2}2026-11-29T22:00:00Z {2}10 h /,
    );
    expect(cordon(sub, "plan", "--now", NOW).stdout).toContain("cordon plan: 1 incident in account 123456789012");
    expect(JSON.parse(cordon(sub, "accounts", "--json", "--now", NOW).stdout).accounts).toEqual([
      {
        account: "123456789012",
        stack: "prod-123456789012",
        incidents: [active.id],
        organization: false,
        recordsContainment: [],
        after: [],
      },
    ]);
  });

  it.each([
    ["without a stack file yet", false],
    ["with a stack file", true],
  ])("guard refuses the deletion of an active incident, %s (it read none, and passed it with exit 0)", (_, stack) => {
    const fresh = project(stack);
    rmSync(join(fresh, "incidents", `${active.id}.yaml`));
    const result = cordon(join(fresh, "docs", "notes"), "guard", "--base", "main", "--now", NOW);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error ../../incidents/${active.id}.yaml: incident ${active.id} is active until 2026-11-29T22:00:00Z (10 h left): removing it re-enables sessions minted before the cutoff\n`,
    );
  });

  it("validate also says what is wrong in the project's stack files: a warning for one stack file, whose account accounts withholds; a failure for Pulumi.yaml, where accounts lists nothing", () => {
    const fresh = project();
    writeFileSync(
      join(fresh, "Pulumi.prod-999999999999.yaml"),
      'config:\n  cordon:account: "999999999999"\n  cordon:organization: { roots: [r-abcd] }\n',
    );
    const result = cordon(join(fresh, "docs", "notes"), "validate", "--now", NOW);
    expect(result).toEqual({
      code: 0,
      stdout: "1 incident valid: 2026-11-28-ci-key\n",
      stderr: [
        "cordon validate: warning: ../../Pulumi.prod-999999999999.yaml:3:24 E_SETTING cordon:organization.managementAccount: expected the organization's management account, 12 digits, quoted, found null",
        "cordon validate: warning: ../../Pulumi.prod-999999999999.yaml:3:24 E_SETTING cordon:organization.targets: expected a list of at least one root (r-…), organizational unit (ou-…-…) or account id, found null",
        'cordon validate: warning: ../../Pulumi.prod-999999999999.yaml:3:24 E_SETTING cordon:organization: unknown field "roots", expected targets and managementAccount',
        "cordon validate: warning: 3 problems in the stack files: account 999999999999 is not deployed until they are fixed; guard refuses a change that brings one, and apply.yml's run fails while one is there",
        "",
      ].join("\n"),
    });
    const listed = cordon(join(fresh, "docs", "notes"), "accounts", "--json", "--now", NOW);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).withheld).toEqual(["999999999999"]);

    writeFileSync(join(fresh, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\nstackConfigDir: conf\n");
    const whole = cordon(join(fresh, "docs", "notes"), "validate", "--now", NOW);
    expect(whole.code).toBe(1);
    expect(whole.stderr.split("\n").slice(-2)).toEqual([
      "4 problems in the project's Pulumi.yaml and stack files: cordon accounts lists no account, and no stack is deployed, until they are fixed",
      "",
    ]);
    expect(cordon(join(fresh, "docs", "notes"), "accounts", "--now", NOW).code).toBe(1);
  });

  it("new writes the incident into the project's incidents/, not under the subfolder", () => {
    const result = cordon(
      sub,
      "new",
      "--title",
      "Key in a ticket",
      "--user",
      "dana",
      "--account",
      "123456789012",
      "--now",
      NOW,
    );
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(
      "wrote ../../incidents/2026-11-29-key-in-a-ticket.yaml (cutoff: at-containment)",
    );
    expect(existsSync(join(dir, "incidents", "2026-11-29-key-in-a-ticket.yaml"))).toBe(true);
    expect(existsSync(join(sub, "incidents"))).toBe(false);
    rmSync(join(dir, "incidents", "2026-11-29-key-in-a-ticket.yaml"));
  });

  it("guard refuses to run inside a project that is not at its repository's root, in one line", () => {
    const nested = join(dir, "docs", "other");
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(nested, "Pulumi.yaml"), "name: other\nruntime: nodejs\n");
    try {
      expect(cordon(nested, "guard", "--base", "main", "--now", NOW)).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon guard: the Pulumi project here (.) is not at the root of its repository (${dir}): guard judges the project at the root, where the workflows and CODEOWNERS expect it\n`,
      });
    } finally {
      rmSync(nested, { recursive: true, force: true });
    }
  });
});

describe("outside any project, a command that would read or write the project's incidents, or check its setup, refuses in one line", () => {
  const outside = realpathSync(mkdtempSync(join(tmpdir(), "cordon-nowhere-")));
  made.push(outside);
  it.each([
    ["validate", [], "name the incident files or folders to read"],
    ["status", [], "name the incident files or folders to read"],
    ["plan", [], "name the incident files or folders to read"],
    ["accounts", [], "name the incident files or folders to read"],
    ["new", ["--title", "t", "--user", "dana", "--account", "123456789012"], "name the folder with --dir"],
    // doctor checks the project it runs in: there is nothing to name instead.
    ["doctor", [], undefined],
    ["doctor", ["--aws", "--repository", "acme/cordon-incidents"], undefined],
  ])("%s %j", (command, args, instead) => {
    const result = cordon(outside, command, ...args, "--now", NOW);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: `cordon ${command}: no Pulumi.yaml in ${outside} or any folder above it: run cordon in the cordon project (the folder that holds Pulumi.yaml) or a folder inside it${instead === undefined ? "" : `, or ${instead}`}\n`,
    });
    expect(readdirSync(outside)).toEqual([]);
  });

  it("named paths are read where they are, project or not", () => {
    writeFileSync(join(outside, `${active.id}.yaml`), stringify(active));
    try {
      expect(cordon(outside, "validate", `${active.id}.yaml`, "--now", NOW)).toEqual({
        code: 0,
        stdout: "1 incident valid: 2026-11-28-ci-key\n",
        stderr: "",
      });
    } finally {
      rmSync(join(outside, `${active.id}.yaml`));
    }
  });
});

describe("whatever the subfolder", () => {
  const dir = project(false);
  const segment = fc
    .stringMatching(/^[A-Za-z0-9 ._-]{1,10}$/)
    .filter((s) => s.trim() === s && s !== "." && s !== ".." && !s.startsWith(".") && !/^Pulumi\./.test(s));
  it("validate and guard judge the project's incidents, new writes there", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 4 }), async (segments) => {
        const sub = join(dir, "work", ...segments);
        mkdirSync(sub, { recursive: true });
        const run = async (...argv: string[]) => {
          const io = memoryIo({ cwd: sub });
          return { code: await main(argv, io), stdout: io.stdout, stderr: io.stderr };
        };
        expect(await run("validate", "--now", NOW)).toMatchObject({
          code: 0,
          stdout: "1 incident valid: 2026-11-28-ci-key\n",
        });
        rmSync(join(dir, "incidents", `${active.id}.yaml`));
        try {
          expect((await run("guard", "--base", "main", "--now", NOW)).code).toBe(1);
        } finally {
          git(dir, "checkout", "--", "incidents");
        }
        const written = await run(
          "new",
          "--title",
          "Generated",
          "--user",
          "dana",
          "--account",
          "123456789012",
          "--id",
          "2026-11-29-generated",
          "--now",
          NOW,
        );
        expect(written.code).toBe(0);
        expect(existsSync(join(dir, "incidents", "2026-11-29-generated.yaml"))).toBe(true);
        rmSync(join(dir, "incidents", "2026-11-29-generated.yaml"));
        rmSync(join(dir, "work"), { recursive: true, force: true });
      }),
      { numRuns: 15 },
    );
  });
});
