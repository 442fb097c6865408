/**
 * The outputs the README and the docs show are what the commands print: each sample block that
 * starts `$ npx cordon <offline command>` is run as written and its output compared, line for line.
 * And the README's first command is quiet and the same whatever today's date: the examples are a
 * story on 2026-11-28, which `--now` places the run in. And the README's annotated incident file
 * validates as shown, and with its commented fields written in where a stack sets what they need.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { correctFiles } from "./support/doctor-repository.ts";
import {
  setUpEnvironments,
  setUpRules,
  setUpSettings,
  startFakeGitHub,
  type FakeEnvironment,
  type FakeRepositorySettings,
} from "./support/github-api.ts";
import { rulesetCommand } from "../doctor/protection.ts";

const ROOT = join(import.meta.dirname, "..");

interface Sample {
  file: string;
  line: number;
  argv: string[];
  output: string;
}

/** Every ``` block of `file` whose first line is `$ npx cordon <command> ...` with a command in `commands`. */
function samples(file: string, commands: readonly string[]): Sample[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const out: Sample[] = [];
  for (const match of text.matchAll(/^```\n\$ npx cordon ([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const argv = match[1].split(/\s+/);
    if (!commands.includes(argv[0])) continue;
    out.push({ file, line: text.slice(0, match.index).split("\n").length, argv, output: match[2] });
  }
  return out;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Where a sample runs: the repository itself, or (doctor in docs/setup.md) a repository set up as it says. */
function cwdOf(sample: Sample): string {
  if (sample.argv[0] !== "doctor") return ROOT;
  return setUpRepository();
}

/** A clone of acme/cordon-incidents set up as docs/setup.md says: its files, and git's origin on github.com. */
function setUpRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), "cordon-setup-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(correctFiles())) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  execFileSync("git", ["init", "--quiet", dir]);
  execFileSync("git", ["-C", dir, "remote", "add", "origin", "https://github.com/acme/cordon-incidents.git"]);
  return dir;
}

/**
 * Runs `argv` in-process in `cwd`; `doctor --github` asks a fake of GitHub's REST API on loopback
 * holding the repository's environments as `environments` (docs/setup.md's step 3 by default).
 */
async function run(
  argv: string[],
  cwd: string,
  environments: Record<string, FakeEnvironment> = setUpEnvironments(),
  settings: Partial<FakeRepositorySettings> = {},
) {
  const github = argv.includes("--github")
    ? await startFakeGitHub({ "acme/cordon-incidents": environments })
    : undefined;
  if (github) github.settings["acme/cordon-incidents"] = { ...setUpSettings(), ...settings };
  try {
    const io = memoryIo({ cwd, env: github ? { GH_TOKEN: github.token, GITHUB_API_URL: github.url } : {} });
    const code = await main(argv, io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  } finally {
    await github?.close();
  }
}

describe("the samples are what the commands print", () => {
  const all = [
    ...samples("README.md", ["plan", "permissions"]),
    ...samples("docs/setup.md", ["doctor", "permissions"]),
    ...samples("docs/assess-verify.md", ["permissions"]),
    ...samples("docs/organization.md", ["permissions"]),
  ];

  it("finds the samples it keeps equal", () => {
    expect(all.map((s) => `${s.file} ${s.argv.join(" ")}`)).toEqual([
      "README.md plan examples/incidents --now 2026-11-28T12:00:00Z",
      "docs/setup.md doctor --github",
      "docs/setup.md doctor",
      "docs/assess-verify.md permissions --policy contain",
      "docs/organization.md permissions --policy organization",
    ]);
  });

  it.each(all.map((s) => [`${s.file}:${s.line} ${s.argv.join(" ")}`, s] as const))("%s", async (_, sample) => {
    const { stdout } = await run(sample.argv, cwdOf(sample));
    expect(stdout).toBe(sample.output);
  });

  it("docs/setup.md's gap of an environment made in GitHub's settings (no rule) is what doctor --github prints", async () => {
    const text = readFileSync(join(ROOT, "docs/setup.md"), "utf8");
    const block =
      /^```\n(✗ GitHub environment cordon-apply: no deployment branch rule[^\n]*\n {4}fix: [^\n]*\n)```$/m.exec(text);
    expect(block).not.toBeNull();
    const environments = setUpEnvironments();
    environments["cordon-apply"] = { deployment_branch_policy: null };
    const { code, stdout } = await run(["doctor", "--github"], setUpRepository(), environments);
    expect(code).toBe(1);
    expect(stdout).toContain(block![1]);
  });

  it("docs/setup.md's gap of required reviewers and a wait timer on cordon-contain is what doctor --github prints", async () => {
    const text = readFileSync(join(ROOT, "docs/setup.md"), "utf8");
    const block = /^```\n(✗ GitHub environment cordon-contain protection rules: [^\n]*\n {4}fix: [^\n]*\n)```$/m.exec(
      text,
    );
    expect(block).not.toBeNull();
    const environments = setUpEnvironments();
    environments["cordon-contain"].protection_rules = [
      { type: "required_reviewers", prevent_self_review: false, reviewers: [{ type: "Team", name: "security" }] },
      { type: "wait_timer", wait_timer: 15 },
    ];
    const { code, stdout } = await run(["doctor", "--github"], setUpRepository(), environments);
    expect(code).toBe(1);
    expect(stdout).toContain(block![1]);
  });

  it("docs/setup.md's gap of a ruleset that keeps approvals across pushes is what doctor --github prints", async () => {
    const text = readFileSync(join(ROOT, "docs/setup.md"), "utf8");
    const block = /^```\n(✗ branch main's rules: [^\n]*\n {4}fix: [^\n]*\n)```$/m.exec(text);
    expect(block).not.toBeNull();
    // A pull_request rule as the settings page makes it with code owner review ticked: GitHub's defaults besides.
    const rules = setUpRules().map((rule) =>
      rule.type === "pull_request"
        ? {
            ...rule,
            parameters: { ...rule.parameters, dismiss_stale_reviews_on_push: false, require_last_push_approval: false },
          }
        : rule,
    );
    const { code, stdout } = await run(["doctor", "--github"], setUpRepository(), setUpEnvironments(), { rules });
    expect(code).toBe(1);
    expect(stdout).toContain(block![1]);
  });

  it("docs/setup.md's gap of PULUMI_ACCESS_TOKEN set without --env is what doctor --github prints", async () => {
    const text = readFileSync(join(ROOT, "docs/setup.md"), "utf8");
    const block = /^```\n(✗ write secrets outside the environments: [^\n]*\n {4}fix: [^\n]*\n)```$/m.exec(text);
    expect(block).not.toBeNull();
    const secrets = [...setUpSettings().secrets, "PULUMI_ACCESS_TOKEN"];
    const { code, stdout } = await run(["doctor", "--github"], setUpRepository(), setUpEnvironments(), { secrets });
    expect(code).toBe(1);
    expect(stdout).toContain(block![1]);
  });

  it("docs/setup.md's ruleset command makes the ruleset doctor --github's fix makes (both run by jq)", () => {
    const text = readFileSync(join(ROOT, "docs/setup.md"), "utf8");
    const block = /^```sh\n(jq -n --argjson app [\s\S]*?)\n```$/m.exec(text);
    expect(block).not.toBeNull();
    // The App's id and the POST replaced: what jq gives is the ruleset's body.
    const body = (command: string) => {
      const script = command
        .replace('"$(gh api apps/YOUR-CONTAIN-APP --jq .id)"', "123456")
        .replace(/\s*\| gh api -X POST repos\/acme\/cordon-incidents\/rulesets --input -$/, "");
      return JSON.parse(execFileSync("bash", ["-c", script], { encoding: "utf8" }));
    };
    expect(body(block![1])).toEqual(body(rulesetCommand("acme/cordon-incidents")));
    expect(body(block![1]).bypass_actors).toEqual([
      { actor_id: 123456, actor_type: "Integration", bypass_mode: "always" },
    ]);
  });
});

describe("the README's first command", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const first = () => {
    const line = readFileSync(join(ROOT, "README.md"), "utf8")
      .split("\n")
      .find((l) => l.startsWith("npm ci && npx cordon "))!;
    return line
      .replace(/^npm ci && npx cordon /, "")
      .replace(/\s+#.*$/, "")
      .split(/\s+/);
  };

  it("is plan of the examples, placed in their story", () => {
    expect(first()).toEqual(["plan", "examples/incidents", "--now", "2026-11-28T12:00:00Z"]);
  });

  it("prints the same, with no warning, whatever today's date (fast-check)", async () => {
    const reference = memoryIo({ cwd: ROOT });
    await main(first(), reference);
    expect(reference.stderr).toBe("");
    await fc.assert(
      fc.asyncProperty(
        fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }),
        async (today) => {
          vi.useFakeTimers({ now: today, toFake: ["Date"] });
          const io = memoryIo({ cwd: ROOT });
          const code = await main(first(), io);
          vi.useRealTimers();
          expect([code, io.stderr, io.stdout]).toEqual([0, "", reference.stdout]);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("negative control: without --now, today's date makes it warn", async () => {
    vi.useFakeTimers({ now: new Date("2027-06-01T00:00:00Z"), toFake: ["Date"] });
    const io = memoryIo({ cwd: ROOT });
    await main(["plan", "examples/incidents"], io);
    vi.useRealTimers();
    expect(io.stderr).toContain(
      "cordon plan: warning: incident 2026-11-28-ci-deploy-key: cutoff 2026-11-28T10:00:00Z is ",
    );
  });
});

describe("the README's annotated incident file", () => {
  const example = () => {
    const text = readFileSync(join(ROOT, "README.md"), "utf8");
    return /^```yaml\n(# yaml-language-server[\s\S]*?)^```$/m.exec(text)![1];
  };
  /** A folder holding the example as `incidents/<id>.yaml`, and the project files given. */
  const folder = (incident: string, files: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-readme-incident-"));
    dirs.push(dir);
    mkdirSync(join(dir, "incidents"));
    writeFileSync(join(dir, "incidents", "2026-11-28-ci-deploy-key.yaml"), incident);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  const validate = async (cwd: string) => {
    const io = memoryIo({ cwd });
    const code = await main(["validate", "incidents", "--now", "2026-11-28T12:00:00Z"], io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };

  it("validates as shown, where no stack declares guardrails", async () => {
    expect(await validate(folder(example()))).toEqual({
      code: 0,
      stdout: "1 incident valid: 2026-11-28-ci-deploy-key\n",
      stderr: "",
    });
  });

  it("validates with its commented guardrail fields written in, where a stack sets cordon:organization, as it says", async () => {
    const uncommented = example().replace(/^# ((?:organization|rootUsers|identityCenterUsers):| {2}- | {4}\S)/gm, "$1");
    expect(uncommented).toMatch(/^organization: \{ scp: true, rcp: true \}/m);
    expect(uncommented).toMatch(/^rootUsers:.*\n {2}- account: "444444444444"\n {4}deleteAccessKeys: false/m);
    expect(uncommented).toMatch(/^identityCenterUsers:.*\n {2}- userId: /m);
    const project = {
      "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
      "Pulumi.prod-999999999999.yaml":
        'config:\n  cordon:account: "999999999999"\n  cordon:organization:\n    targets: [r-abcd]\n    managementAccount: "999999999999"\n',
    };
    expect(await validate(folder(uncommented, project))).toEqual({
      code: 0,
      stdout: "1 incident valid: 2026-11-28-ci-deploy-key\n",
      stderr: "",
    });
    // As the comment says: without that stack, the root user is refused.
    const refused = await validate(folder(uncommented, { "Pulumi.yaml": project["Pulumi.yaml"] }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      " E_ROOT_ACCOUNT rootUsers[0].account: no stack file here sets cordon:organization",
    );
  });
});
