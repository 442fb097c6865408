/**
 * `cordon doctor --github`, as users call it (cli/cordon.js, from a folder of their repository),
 * against a fake of GitHub's REST API on loopback (support/github-api.ts): each environment that
 * holds the write secrets must exist and let only `main` deploy to it. Each gap word for word with
 * its fix; the setup docs/setup.md describes passes; GitHub refusing, failing or never answering is
 * one line and exit 2; the branch policies are read across pages; and over generated lists of
 * branch policies, exactly [the branch main] passes and anything else is a gap.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentChecks, writeEnvironments } from "../doctor/environments.ts";
import type { LiveBranchPolicy, LiveBranchRules, LiveEnvironment } from "../doctor/live.ts";
import { mainProtectionCheck, REQUIRED_CHECKS } from "../doctor/protection.ts";
import { MAX_POLICY_PAGES, REQUEST_TIMEOUT_MS } from "../github/environments.ts";
import { correctFiles } from "./support/doctor-repository.ts";
import {
  setUpEnvironments,
  startFakeGitHub,
  type FakeAnswer,
  type FakeBranchPolicy,
  type FakeCustomRule,
  type FakeEnvironment,
  type FakeGitHub,
  type FakeProtection,
  type FakeProtectionRule,
  type FakeRepositorySettings,
  type FakeRule,
  setUpRules,
  setUpSettings,
} from "./support/github-api.ts";
import { startWedgedServer } from "./support/wedged-server.ts";

const CLI = resolve(import.meta.dirname, "..", "cli", "cordon.js");
const REPOSITORY = "acme/cordon-incidents";
const NOW = "2026-11-28T12:00:00Z";
const NEEDS = `a token that can read ${REPOSITORY}'s environments (fine-grained: the repository's "Actions" permission, read; classic: the repo scope for a private repository)`;

/** What the offline checks print for the repository correctFiles() sets up. */
const OFFLINE = [
  "✓ project name: Pulumi.yaml and the workflows' PULUMI_PROJECT (acme/cordon) name the project cordon",
  "✓ stack files: prod-123456789012, prod-999999999999: each sets its cordon:account",
  "✓ CODEOWNERS: .github/CODEOWNERS: default owner @acme/security",
  "✓ workflows' environments and secrets: 3 workflows: each write secret only in a job of its environment (cordon-apply, cordon-contain)",
];
const PASSES = (environment: string) =>
  `✓ GitHub environment ${environment}: only main may deploy to it (one custom branch policy: the branch main)`;
const STARTS = (environment: string) =>
  `✓ GitHub environment ${environment} protection rules: a job that names it starts at once (no required reviewers, no wait timer, no custom deployment protection rule)`;
/** main's rules and the secrets' names as docs/setup.md's step 3 leaves them. */
const RULES_OK = `✓ branch main's rules: a pull request needs a code owner's approval of its last push, by someone other than its pusher, stale approvals dismissed, and the checks "guard, with the base branch's code" and "validate, the accounts to preview" (rulesets)`;
const SECRETS_OK =
  "✓ write secrets outside the environments: none of CORDON_CONTAIN_APP_CLIENT_ID, CORDON_CONTAIN_APP_PRIVATE_KEY, CORDON_CONTAIN_TOKEN, CORDON_PR_TOKEN, PULUMI_ACCESS_TOKEN is a repository or organization secret of acme/cordon-incidents";
/** What the command prints for a repository and environments set up as docs/setup.md says. */
const NO_GAP = [
  ...OFFLINE,
  PASSES("cordon-apply"),
  STARTS("cordon-apply"),
  PASSES("cordon-contain"),
  STARTS("cordon-contain"),
  RULES_OK,
  SECRETS_OK,
  "",
  "no gap: set up as docs/setup.md says",
  "",
];
/** The checklist's end when one gap is open. */
const ONE_GAP = ["", "1 gap: run each fix, then npx cordon doctor again", ""];
const RULE_FIX = (environment: string) =>
  `    fix: gh api -X PUT repos/${REPOSITORY}/environments/${environment} -F 'deployment_branch_policy[protected_branches]=false' -F 'deployment_branch_policy[custom_branch_policies]=true' && gh api -X POST repos/${REPOSITORY}/environments/${environment}/deployment-branch-policies -f name=main -f type=branch`;
const ADD_MAIN = `gh api -X POST repos/${REPOSITORY}/environments/cordon-apply/deployment-branch-policies -f name=main -f type=branch`;
const DELETE = (id: number) =>
  `gh api -X DELETE repos/${REPOSITORY}/environments/cordon-apply/deployment-branch-policies/${id}`;

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A repository set up as docs/setup.md says: the offline checks pass, so what differs is GitHub's. */
let repository: string;
let home: string;
beforeAll(() => {
  repository = tempDir("cordon-doctor-github-");
  for (const [path, text] of Object.entries(correctFiles())) {
    mkdirSync(dirname(join(repository, path)), { recursive: true });
    writeFileSync(join(repository, path), text);
  }
  mkdirSync(join(repository, "incidents"), { recursive: true });
  home = tempDir("cordon-doctor-home-");
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cordon doctor --github ARGS` from the repository's incidents/ folder, with `env` alone (and PATH, HOME). */
function doctor(env: Record<string, string>, args: string[] = ["--repository", REPOSITORY]): Promise<Run> {
  return promisify(execFile)(process.execPath, [CLI, "doctor", "--github", "--now", NOW, ...args], {
    cwd: join(repository, "incidents"),
    env: { PATH: process.env.PATH ?? "", HOME: home, NO_COLOR: "1", ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: Run) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** The fake GitHub for one test: the repository set up as step 3 says, with cordon-apply as `apply` says. */
async function withGitHub<T>(
  apply: FakeEnvironment | null,
  use: (github: FakeGitHub, env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const environments = setUpEnvironments();
  if (apply === null) delete environments["cordon-apply"];
  else environments["cordon-apply"] = apply;
  const github = await startFakeGitHub({ [REPOSITORY]: environments });
  try {
    return await use(github, { GH_TOKEN: github.token, GITHUB_API_URL: github.url });
  } finally {
    await github.close();
  }
}

const custom = (branch_policies: FakeBranchPolicy[]): FakeEnvironment => ({
  deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
  branch_policies,
});

// An endpoint that never answers is waited out for REQUEST_TIMEOUT_MS, which no option shortens (it
// is what production waits): started before the file's first test, so that the wait runs beside
// the others, and awaited by its own test at the end.
let wedged: Promise<Run & { seconds: number; url: string }>;
beforeAll(() => {
  wedged = (async () => {
    const server = await startWedgedServer();
    try {
      const run = await doctor({ GH_TOKEN: "ghp_wedged", GITHUB_API_URL: server.url });
      // From the request on: what the bound governs, not the CLI's start on a loaded machine.
      const asked = server.firstConnectedAt();
      return { ...run, seconds: asked === undefined ? -1 : (performance.now() - asked) / 1000, url: server.url };
    } finally {
      await server.close();
    }
  })();
  wedged.catch(() => {});
});

describe("doctor --github: the environments of the write secrets", () => {
  it("checks the environments the write secrets live in", () => {
    expect(writeEnvironments()).toEqual(["cordon-apply", "cordon-contain"]);
  });

  it("passes the environments docs/setup.md's step 3 makes (exit 0), with the token, one page each", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      const { code, stdout, stderr } = await doctor(env);
      expect(stdout.split("\n")).toEqual(NO_GAP);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      // main's rulesets hold everything: its branch protection, which only an administrator's
      // token may read, is not asked.
      expect(github.requests).toEqual([
        ...["cordon-apply", "cordon-contain"].flatMap((name) => [
          { method: "GET", path: `/repos/${REPOSITORY}/environments/${name}`, authorized: true },
          {
            method: "GET",
            path: `/repos/${REPOSITORY}/environments/${name}/deployment-branch-policies?per_page=100&page=1`,
            authorized: true,
          },
          {
            method: "GET",
            path: `/repos/${REPOSITORY}/environments/${name}/deployment_protection_rules`,
            authorized: true,
          },
        ]),
        ...["rules/branches/main", "actions/secrets", "actions/organization-secrets"].map((path) => ({
          method: "GET",
          path: `/repos/${REPOSITORY}/${path}?per_page=100&page=1`,
          authorized: true,
        })),
      ]);
    });
  }, 30_000);

  const GAPS: [string, FakeEnvironment | null, string[]][] = [
    [
      "no such environment (the first job that names it would make one with no rule)",
      null,
      [
        "✗ GitHub environment cordon-apply: acme/cordon-incidents has no environment cordon-apply: the first job that names it creates it with no deployment branch rule, and a run on any branch could then name it too",
        RULE_FIX("cordon-apply"),
      ],
    ],
    [
      "no deployment branch rule (deployment_branch_policy: null, as an environment made in GitHub's settings has)",
      { deployment_branch_policy: null },
      [
        "✗ GitHub environment cordon-apply: no deployment branch rule: a run on any branch or tag may name it, and get its secrets and the AWS roles that trust it",
        RULE_FIX("cordon-apply"),
      ],
    ],
    [
      "no deployment_branch_policy in the answer at all",
      {},
      [
        "✗ GitHub environment cordon-apply: no deployment branch rule: a run on any branch or tag may name it, and get its secrets and the AWS roles that trust it",
        RULE_FIX("cordon-apply"),
      ],
    ],
    [
      "protected branches (every protected branch may deploy, and every branch while none is protected)",
      { deployment_branch_policy: { protected_branches: true, custom_branch_policies: false } },
      [
        "✗ GitHub environment cordon-apply: deploys from protected branches: every protected branch may name it, not only main (and every branch while none is protected)",
        RULE_FIX("cordon-apply"),
      ],
    ],
    [
      "main among others: another branch, a wildcard, a tag pattern",
      custom([
        { id: 11, name: "release/*", type: "branch" },
        { id: 12, name: "v*", type: "tag" },
        { id: 13, name: "dev", type: "branch" },
        { id: 14, name: "main", type: "branch" },
      ]),
      [
        '✗ GitHub environment cordon-apply: custom branch policies other than exactly the branch main: the branch policy "dev": that branch may deploy; the branch policy "release/*" is a pattern: every branch it matches may deploy; the tag policy "v*": every tag it matches may deploy',
        `    fix: ${DELETE(13)} && ${DELETE(11)} && ${DELETE(12)}`,
      ],
    ],
    [
      "the wildcard * alone (a policy without type: from before tag policies, a branch policy)",
      custom([{ id: 21, name: "*" }]),
      [
        '✗ GitHub environment cordon-apply: custom branch policies other than exactly the branch main: the branch policy "*" is a pattern: every branch it matches may deploy; no branch policy "main": main\'s runs cannot deploy to it',
        `    fix: ${DELETE(21)} && ${ADD_MAIN}`,
      ],
    ],
    [
      "main as a tag, not a branch",
      custom([{ id: 31, name: "main", type: "tag" }]),
      [
        '✗ GitHub environment cordon-apply: custom branch policies other than exactly the branch main: the tag policy "main": a tag of that name may deploy; no branch policy "main": main\'s runs cannot deploy to it',
        `    fix: ${DELETE(31)} && ${ADD_MAIN}`,
      ],
    ],
    [
      "no policy at all (nothing may deploy: apply and contain would stop)",
      custom([]),
      [
        '✗ GitHub environment cordon-apply: custom branch policies other than exactly the branch main: no branch policy "main": main\'s runs cannot deploy to it',
        `    fix: ${ADD_MAIN}`,
      ],
    ],
    [
      "another spelling of main, without the id the API marks optional",
      custom([
        { id: 41, name: "main", type: "branch" },
        { name: "Main", type: "branch" },
      ]),
      [
        '✗ GitHub environment cordon-apply: custom branch policies other than exactly the branch main: the branch policy "Main": that branch may deploy',
        `    fix: remove the branch policy "Main" in the repository's settings (Environments, cordon-apply)`,
      ],
    ],
  ];

  it.each(GAPS)(
    "a gap, word for word, with its fix (exit 1): %s",
    async (_, apply, lines) => {
      await withGitHub(apply, async (_github, env) => {
        const { code, stdout, stderr } = await doctor(env);
        expect(stdout.split("\n")).toEqual([
          ...OFFLINE,
          ...lines,
          // A missing environment has no protection rules to check: its one gap is that it is missing.
          ...(apply === null ? [] : [STARTS("cordon-apply")]),
          PASSES("cordon-contain"),
          STARTS("cordon-contain"),
          RULES_OK,
          SECRETS_OK,
          ...ONE_GAP,
        ]);
        expect(stderr).toBe("");
        expect(code).toBe(1);
      });
    },
    30_000,
  );

  it("both environments with gaps, in writeEnvironments()' order", async () => {
    const github = await startFakeGitHub({ [REPOSITORY]: { "cordon-contain": { deployment_branch_policy: null } } });
    try {
      const { code, stdout } = await doctor({ GH_TOKEN: github.token, GITHUB_API_URL: github.url });
      expect(stdout.split("\n").slice(OFFLINE.length)).toEqual([
        "✗ GitHub environment cordon-apply: acme/cordon-incidents has no environment cordon-apply: the first job that names it creates it with no deployment branch rule, and a run on any branch could then name it too",
        RULE_FIX("cordon-apply"),
        "✗ GitHub environment cordon-contain: no deployment branch rule: a run on any branch or tag may name it, and get its secrets and the AWS roles that trust it",
        RULE_FIX("cordon-contain"),
        STARTS("cordon-contain"),
        RULES_OK,
        SECRETS_OK,
        "",
        "2 gaps: run each fix, then npx cordon doctor again",
        "",
      ]);
      expect(code).toBe(1);
      // The 404 for cordon-apply was told apart from a token that may not see: by the list of environments.
      expect(github.requests.map((r) => r.path)).toContain(`/repos/${REPOSITORY}/environments?per_page=1`);
    } finally {
      await github.close();
    }
  }, 30_000);

  it("reads every page of the branch policies: a tag policy on the second page is named", async () => {
    const policies: FakeBranchPolicy[] = [
      { id: 1, name: "main", type: "branch" },
      ...Array.from({ length: 99 }, (_, i) => ({
        id: 100 + i,
        name: `a${String(i).padStart(2, "0")}`,
        type: "branch" as const,
      })),
      { id: 999, name: "v*", type: "tag" },
    ];
    await withGitHub(custom(policies), async (github, env) => {
      const { code, stdout } = await doctor(env);
      const line = stdout.split("\n").find((l) => l.startsWith("✗ GitHub environment cordon-apply: "));
      expect(line).toContain(
        'the branch policy "a98": that branch may deploy; the tag policy "v*": every tag it matches may deploy',
      );
      expect(stdout).toContain(`${DELETE(198)} && ${DELETE(999)}\n`);
      expect(code).toBe(1);
      expect(github.requests.map((r) => r.path)).toEqual(
        expect.arrayContaining([
          `/repos/${REPOSITORY}/environments/cordon-apply/deployment-branch-policies?per_page=100&page=1`,
          `/repos/${REPOSITORY}/environments/cordon-apply/deployment-branch-policies?per_page=100&page=2`,
        ]),
      );
    });
  }, 30_000);

  it(`refuses a list of branch policies longer than ${MAX_POLICY_PAGES} pages (exit 2)`, async () => {
    const policies = Array.from({ length: MAX_POLICY_PAGES * 100 + 1 }, (_, i) => ({ id: i + 1, name: `b${i}` }));
    await withGitHub(custom(policies), async (_github, env) => {
      expect(await doctor(env)).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon doctor: GitHub lists more than 1000 branch policies at GET repos/${REPOSITORY}/environments/cordon-apply/deployment-branch-policies; doctor reads at most 1000\n`,
      });
    });
  }, 30_000);
});

describe("doctor --github: the write environments' protection rules (nothing may hold their jobs)", () => {
  /** docs/setup.md's step 3, with `extra` added to the environment `name`. */
  const withRules = (name: string, extra: Partial<FakeEnvironment>) => {
    const environments = setUpEnvironments();
    environments[name] = { ...environments[name], ...extra };
    return environments;
  };
  const run = async (environments: Record<string, FakeEnvironment>) => {
    const github = await startFakeGitHub({ [REPOSITORY]: environments });
    try {
      return await doctor({ GH_TOKEN: github.token, GITHUB_API_URL: github.url });
    } finally {
      await github.close();
    }
  };
  const CONTAIN_WHY =
    "contain.yml's contain job, which disables the leaked key, names cordon-contain: it must not wait for a review, a timer or an app, since a leaked key is used within minutes";
  const APPLY_WHY =
    "apply.yml's pulumi up (after each merge and in the hourly reconcile) and contain.yml's pulumi up name cordon-apply: they must not stall waiting for an approval nobody gives during an incident";
  const PUT = (environment: string, fields: string) =>
    `gh api -X PUT repos/${REPOSITORY}/environments/${environment} ${fields} -F 'deployment_branch_policy[protected_branches]=false' -F 'deployment_branch_policy[custom_branch_policies]=true'`;
  const DISABLE = (environment: string, id: number) =>
    `gh api -X DELETE repos/${REPOSITORY}/environments/${environment}/deployment_protection_rules/${id}`;

  const GAPS: [string, string, Partial<FakeEnvironment>, string[]][] = [
    [
      "required reviewers on cordon-contain (a user and a team)",
      "cordon-contain",
      {
        protection_rules: [
          {
            type: "required_reviewers",
            prevent_self_review: false,
            reviewers: [
              { type: "User", name: "dana" },
              { type: "Team", name: "security" },
            ],
          },
        ],
      },
      [
        `✗ GitHub environment cordon-contain protection rules: required reviewers (the team "security", the user "dana"): each job waits until one of them approves it. ${CONTAIN_WHY}`,
        `    fix: ${PUT("cordon-contain", "-F reviewers=null")}`,
      ],
    ],
    [
      "a wait timer of 30 minutes on cordon-contain",
      "cordon-contain",
      { protection_rules: [{ type: "wait_timer", wait_timer: 30 }] },
      [
        `✗ GitHub environment cordon-contain protection rules: a wait timer of 30 minutes: each job waits that long before it starts. ${CONTAIN_WHY}`,
        `    fix: ${PUT("cordon-contain", "-F wait_timer=0")}`,
      ],
    ],
    [
      "a wait timer of 1 minute on cordon-apply",
      "cordon-apply",
      { protection_rules: [{ type: "wait_timer", wait_timer: 1 }] },
      [
        `✗ GitHub environment cordon-apply protection rules: a wait timer of 1 minute: each job waits that long before it starts. ${APPLY_WHY}`,
        `    fix: ${PUT("cordon-apply", "-F wait_timer=0")}`,
      ],
    ],
    [
      "required reviewers without a listed reviewer, on cordon-apply",
      "cordon-apply",
      { protection_rules: [{ type: "required_reviewers", reviewers: [] }] },
      [
        `✗ GitHub environment cordon-apply protection rules: required reviewers: each job waits until one of them approves it. ${APPLY_WHY}`,
        `    fix: ${PUT("cordon-apply", "-F reviewers=null")}`,
      ],
    ],
    [
      "a custom deployment protection rule (a GitHub App) on cordon-contain",
      "cordon-contain",
      { custom_rules: [{ id: 7, app: "change-gate" }] },
      [
        `✗ GitHub environment cordon-contain protection rules: the custom deployment protection rule of the app "change-gate": each job waits until the app approves it. ${CONTAIN_WHY}`,
        `    fix: ${DISABLE("cordon-contain", 7)}`,
      ],
    ],
    [
      "a protection rule of a type GitHub's description does not name, on cordon-apply",
      "cordon-apply",
      { protection_rules: [{ type: "change_window" }] },
      [
        `✗ GitHub environment cordon-apply protection rules: a protection rule of type "change_window": each job waits until it passes. ${APPLY_WHY}`,
        `    fix: remove the "change_window" rule in the repository's settings (Environments, cordon-apply)`,
      ],
    ],
    [
      "all of them at once on cordon-apply, in the order of their types and apps",
      "cordon-apply",
      {
        protection_rules: [
          { type: "wait_timer", wait_timer: 43200 },
          { type: "change_window" },
          { type: "required_reviewers", reviewers: [{ type: "User", name: "dana" }] },
        ],
        custom_rules: [
          { id: 9, app: "zeta-approvals" },
          { id: 8, app: "change-gate" },
        ],
      },
      [
        `✗ GitHub environment cordon-apply protection rules: a protection rule of type "change_window": each job waits until it passes; required reviewers (the user "dana"): each job waits until one of them approves it; a wait timer of 43200 minutes: each job waits that long before it starts; the custom deployment protection rule of the app "change-gate": each job waits until the app approves it; the custom deployment protection rule of the app "zeta-approvals": each job waits until the app approves it. ${APPLY_WHY}`,
        `    fix: ${PUT("cordon-apply", "-F reviewers=null -F wait_timer=0")} && remove the "change_window" rule in the repository's settings (Environments, cordon-apply) && ${DISABLE("cordon-apply", 8)} && ${DISABLE("cordon-apply", 9)}`,
      ],
    ],
  ];

  it.each(GAPS)(
    "a gap, word for word, with its fix (exit 1): %s",
    async (_, environment, extra, lines) => {
      const { code, stdout, stderr } = await run(withRules(environment, extra));
      const other = environment === "cordon-apply" ? "cordon-contain" : "cordon-apply";
      const own = [PASSES(environment), ...lines];
      const theirs = [PASSES(other), STARTS(other)];
      expect(stdout.split("\n")).toEqual([
        ...OFFLINE,
        ...(environment === "cordon-apply" ? [...own, ...theirs] : [...theirs, ...own]),
        RULES_OK,
        SECRETS_OK,
        ...ONE_GAP,
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(1);
    },
    30_000,
  );

  it("a branch rule's gap and a protection rule's gap on one environment: two gaps, each with its fix", async () => {
    const { code, stdout } = await run(
      withRules("cordon-contain", {
        deployment_branch_policy: null,
        protection_rules: [{ type: "wait_timer", wait_timer: 5 }],
      }),
    );
    expect(stdout.split("\n").slice(OFFLINE.length + 2)).toEqual([
      "✗ GitHub environment cordon-contain: no deployment branch rule: a run on any branch or tag may name it, and get its secrets and the AWS roles that trust it",
      RULE_FIX("cordon-contain"),
      `✗ GitHub environment cordon-contain protection rules: a wait timer of 5 minutes: each job waits that long before it starts. ${CONTAIN_WHY}`,
      `    fix: ${PUT("cordon-contain", "-F wait_timer=0")}`,
      RULES_OK,
      SECRETS_OK,
      "",
      "2 gaps: run each fix, then npx cordon doctor again",
      "",
    ]);
    expect(code).toBe(1);
  }, 30_000);

  it.each<[string, Partial<FakeEnvironment>]>([
    ["only the branch policy rule (docs/setup.md's step 3)", {}],
    ["a wait timer of 0 minutes", { protection_rules: [{ type: "wait_timer", wait_timer: 0 }] }],
    ["a custom rule GitHub lists as not enabled", { custom_rules: [{ id: 3, app: "change-gate", enabled: false }] }],
  ])(
    "passes (exit 0): %s",
    async (_, extra) => {
      const { code, stdout, stderr } = await run(withRules("cordon-contain", extra));
      expect(stdout.split("\n")).toEqual(NO_GAP);
      expect(stderr).toBe("");
      expect(code).toBe(0);
    },
    30_000,
  );

  describe("generated rule lists (fast-check)", () => {
    const rule: fc.Arbitrary<FakeProtectionRule> = fc.oneof(
      fc.constant({ type: "branch_policy" }),
      fc.record({
        type: fc.constant("wait_timer"),
        wait_timer: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 43_200 })),
      }),
      fc.record({
        type: fc.constant("required_reviewers"),
        reviewers: fc.array(
          fc.record({
            type: fc.constantFrom<"User" | "Team">("User", "Team"),
            name: fc.string({ minLength: 1, maxLength: 8 }),
          }),
          { maxLength: 3 },
        ),
      }),
      // Any other type GitHub may add (the field is a free string there).
      fc.record({
        type: fc
          .string({ minLength: 1, maxLength: 12 })
          .filter((type) => !["branch_policy", "wait_timer", "required_reviewers"].includes(type)),
      }),
    );
    const custom = fc.record({
      id: fc.integer({ min: 1, max: 1_000_000 }),
      app: fc.string({ minLength: 1, maxLength: 12 }),
      enabled: fc.boolean(),
    });
    const environment = fc.record({
      protection_rules: fc.array(rule, { maxLength: 4 }),
      custom_rules: fc.uniqueArray(custom, { maxLength: 2, selector: (c) => c.id }),
    });
    /** Whether nothing holds a job: only branch_policy and zero-minute wait timers, no enabled app. */
    const startsAtOnce = (env: { protection_rules: FakeProtectionRule[]; custom_rules: FakeCustomRule[] }) =>
      env.protection_rules.every(
        (r) => r.type === "branch_policy" || (r.type === "wait_timer" && "wait_timer" in r && r.wait_timer === 0),
      ) && env.custom_rules.every((c) => c.enabled === false);

    it("the decision: ok exactly when nothing holds a job, and each rule that does is named with its fix", () => {
      fc.assert(
        fc.property(environment, (env) => {
          const live = (name: string, rules: FakeEnvironment): LiveEnvironment => ({
            name,
            deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
            branchPolicies: [{ id: 1, name: "main", type: "branch" }],
            protectionRules: (rules.protection_rules ?? []).map((r) =>
              "wait_timer" in r
                ? { type: r.type, minutes: r.wait_timer }
                : "reviewers" in r
                  ? { type: r.type, reviewers: r.reviewers }
                  : { type: r.type },
            ),
            customProtectionRules: (rules.custom_rules ?? []).filter((c) => c.enabled !== false),
          });
          const checks = environmentChecks({
            repository: REPOSITORY,
            environments: { "cordon-apply": live("cordon-apply", {}), "cordon-contain": live("cordon-contain", env) },
          });
          expect(checks.map((c) => [c.name, c.ok])).toEqual([
            ["GitHub environment cordon-apply", true],
            ["GitHub environment cordon-apply protection rules", true],
            ["GitHub environment cordon-contain", true],
            ["GitHub environment cordon-contain protection rules", startsAtOnce(env)],
          ]);
          const check = checks[3];
          if (check.ok) return;
          const types = new Set(env.protection_rules.map((r) => r.type));
          expect(check.fix?.includes("-F reviewers=null")).toBe(types.has("required_reviewers"));
          const waits = env.protection_rules.some((r) => "wait_timer" in r && r.wait_timer > 0);
          expect(check.fix?.includes("-F wait_timer=0")).toBe(waits);
          for (const type of types)
            if (!["branch_policy", "wait_timer", "required_reviewers"].includes(type))
              expect(check.detail).toContain(`a protection rule of type ${JSON.stringify(type)}`);
          for (const c of env.custom_rules) {
            expect(check.detail.includes(`the app ${JSON.stringify(c.app)}:`)).toBe(
              c.enabled || env.custom_rules.some((d) => d.enabled && d.app === c.app),
            );
            // Each fix whole: the rule 1's call is a prefix of the rule 12's.
            const fixes = check.fix?.split(" && ") ?? [];
            expect(fixes.includes(DISABLE("cordon-contain", c.id))).toBe(c.enabled);
          }
        }),
        { numRuns: 500 },
      );
    });

    it("through the CLI: exit 0 exactly when nothing holds a job of either environment", async () => {
      await fc.assert(
        fc.asyncProperty(environment, environment, async (apply, contain) => {
          const environments = setUpEnvironments();
          environments["cordon-apply"] = { ...environments["cordon-apply"], ...apply };
          environments["cordon-contain"] = { ...environments["cordon-contain"], ...contain };
          const { code, stdout, stderr } = await run(environments);
          expect(stderr).toBe("");
          for (const [name, env] of [
            ["cordon-apply", apply],
            ["cordon-contain", contain],
          ] as const) {
            const line = stdout.split("\n").find((l) => l.includes(` GitHub environment ${name} protection rules: `));
            if (startsAtOnce(env)) expect(line).toBe(STARTS(name));
            else {
              expect(line?.startsWith(`✗ GitHub environment ${name} protection rules: `)).toBe(true);
              expect(line?.endsWith(`. ${name === "cordon-apply" ? APPLY_WHY : CONTAIN_WHY}`)).toBe(true);
            }
          }
          expect(code).toBe(startsAtOnce(apply) && startsAtOnce(contain) ? 0 : 1);
        }),
        { numRuns: 12 },
      );
    }, 180_000);
  });
});

describe("doctor --github: generated lists of branch policies (fast-check)", () => {
  const NAMES = [
    "main",
    "Main",
    "main ",
    "mai?",
    "ma*",
    "*",
    "**",
    "release/*",
    "refs/pull/*/merge",
    "dev",
    "[m]ain",
    "v*",
  ];
  const policy = fc.record({
    name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ minLength: 1, maxLength: 12 })),
    type: fc.constantFrom<"branch" | "tag" | undefined>("branch", "tag", undefined),
  });
  /** Lists GitHub could hold (a name once per type), exactly [main] often enough to be tried. */
  const lists = fc.oneof(
    {
      weight: 1,
      arbitrary: fc.constantFrom<FakeBranchPolicy[]>([{ name: "main", type: "branch" }], [{ name: "main" }]),
    },
    {
      weight: 4,
      arbitrary: fc.uniqueArray(policy, { maxLength: 5, selector: (p) => `${p.type ?? "branch"}:${p.name}` }),
    },
  );
  const isExactlyMain = (list: FakeBranchPolicy[]) =>
    list.length === 1 && list[0].name === "main" && (list[0].type ?? "branch") === "branch";

  it("through the CLI: exit 0 exactly for [the branch main], otherwise cordon-apply is a gap", async () => {
    await fc.assert(
      fc.asyncProperty(lists, async (list) => {
        await withGitHub(custom(list.map((p, i) => ({ ...p, id: i + 1 }))), async (_github, env) => {
          const { code, stdout, stderr } = await doctor(env);
          expect(stderr).toBe("");
          const line = stdout.split("\n").find((l) => l.includes(" GitHub environment cordon-apply: "))!;
          if (isExactlyMain(list)) {
            expect([code, line]).toEqual([0, PASSES("cordon-apply")]);
          } else {
            expect(code).toBe(1);
            expect(line).toMatch(
              /^✗ GitHub environment cordon-apply: custom branch policies other than exactly the branch main: /,
            );
          }
        });
      }),
      { numRuns: 10 },
    );
  }, 120_000);

  it("the decision: ok exactly for [the branch main], and every other policy is named with its fix", () => {
    fc.assert(
      fc.property(lists, (list) => {
        const policies: LiveBranchPolicy[] = list.map((p, i) => ({
          id: i + 1,
          name: p.name,
          type: p.type ?? "branch",
        }));
        const good = {
          deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
          protectionRules: [{ type: "branch_policy" }],
          customProtectionRules: [],
        };
        const [apply] = environmentChecks({
          repository: REPOSITORY,
          environments: {
            "cordon-apply": { name: "cordon-apply", ...good, branchPolicies: policies },
            "cordon-contain": {
              name: "cordon-contain",
              ...good,
              branchPolicies: [{ id: 1, name: "main", type: "branch" }],
            },
          },
        });
        expect(apply.ok).toBe(isExactlyMain(list));
        if (apply.ok) return;
        const main = policies.find((p) => p.type === "branch" && p.name === "main");
        for (const p of policies.filter((q) => q !== main)) {
          expect(apply.detail).toContain(`the ${p.type} policy ${JSON.stringify(p.name)}`);
          expect(apply.fix).toContain(`deployment-branch-policies/${p.id}`);
        }
        expect(apply.fix?.includes(ADD_MAIN)).toBe(main === undefined);
      }),
      { numRuns: 500 },
    );
  });
});

describe("doctor --github: when GitHub cannot be asked, one line, exit 2", () => {
  it("a GitHub that accepts the connection and never answers: gives up within the bound", async () => {
    const { code, stdout, stderr, seconds, url } = await wedged;
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: `cordon doctor: GitHub did not answer GET repos/${REPOSITORY}/environments/cordon-apply within ${REQUEST_TIMEOUT_MS / 1000} s at ${url}: check the network, GITHUB_API_URL and the proxy settings\n`,
    });
    expect(seconds).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS / 1000 - 0.5);
    expect(seconds).toBeLessThan(REQUEST_TIMEOUT_MS / 1000 + 3);
  }, 60_000);

  it("no token: says which variables and what the token needs", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      expect(await doctor({ GITHUB_API_URL: env.GITHUB_API_URL })).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon doctor: --github needs ${NEEDS} in GH_TOKEN or GITHUB_TOKEN; with the GitHub CLI: GH_TOKEN=$(gh auth token) npx cordon doctor --github\n`,
      });
      expect(github.requests).toEqual([]);
    });
  }, 30_000);

  it("a token GitHub does not accept (401), from GITHUB_TOKEN: named, never printed", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (_github, env) => {
      const token = "ghp_revokedToken0123456789abcdefghijkl";
      const run = await doctor({ GITHUB_TOKEN: token, GITHUB_API_URL: env.GITHUB_API_URL });
      expect(run).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon doctor: GitHub answered 401 to GET repos/${REPOSITORY}/environments/cordon-apply ("Bad credentials"): GitHub does not accept the token in GITHUB_TOKEN (expired or revoked?); --github needs ${NEEDS}\n`,
      });
    });
  }, 30_000);

  it("GH_TOKEN is used before GITHUB_TOKEN, as the GitHub CLI does", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      const { code } = await doctor({ ...env, GITHUB_TOKEN: "ghp_another" });
      expect(code).toBe(0);
      expect(github.requests.every((r) => r.authorized)).toBe(true);
    });
  }, 30_000);

  it("a token that may not read the environments (403)", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      github.answer = () => ({
        status: 403,
        body: { message: "Resource not accessible by personal access token", status: "403" },
      });
      expect(await doctor(env)).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon doctor: GitHub answered 403 to GET repos/${REPOSITORY}/environments/cordon-apply ("Resource not accessible by personal access token"): the token in GH_TOKEN may not read it; --github needs ${NEEDS}\n`,
      });
    });
  }, 30_000);

  it("a repository the token cannot see (404 for the environment and for the list): not taken for a missing environment", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (_github, env) => {
      const other = "acme/private-incidents";
      expect(await doctor(env, ["--repository", other])).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon doctor: GitHub answered 404 to GET repos/${other}/environments?per_page=1 ("Not Found"): no repository ${other} whose environments the token in GH_TOKEN may read (GitHub answers 404, not 403, for what a token may not see); --github needs ${NEEDS.replace(REPOSITORY, other)}\n`,
      });
    });
  }, 30_000);

  it("a rate limit used up (403 with x-ratelimit-remaining: 0)", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      github.answer = () => ({
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1795867200" },
        body: { message: "API rate limit exceeded for user ID 1." },
      });
      expect((await doctor(env)).stderr).toBe(
        `cordon doctor: GitHub answered 403 to GET repos/${REPOSITORY}/environments/cordon-apply ("API rate limit exceeded for user ID 1."): the token's rate limit is used up; run doctor again after 2026-11-28T12:00:00Z\n`,
      );
    });
  }, 30_000);

  it("a server error (500), on the branch policies", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      github.answer = (path) => (path.endsWith("/deployment-branch-policies") ? { status: 500, body: {} } : undefined);
      expect(await doctor(env)).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon doctor: GitHub answered 500 to GET repos/${REPOSITORY}/environments/cordon-apply/deployment-branch-policies?per_page=100&page=1: GitHub could not answer; run doctor again later\n`,
      });
    });
  }, 30_000);

  it("a server error (500), on the custom protection rules", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      github.answer = (path) => (path.endsWith("/deployment_protection_rules") ? { status: 500, body: {} } : undefined);
      expect(await doctor(env)).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon doctor: GitHub answered 500 to GET repos/${REPOSITORY}/environments/cordon-apply/deployment_protection_rules: GitHub could not answer; run doctor again later\n`,
      });
    });
  }, 30_000);

  it("a redirect is not followed (the token stays home): a moved repository", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      const elsewhere = await startFakeGitHub();
      try {
        github.answer = () => ({
          status: 301,
          headers: { location: `${elsewhere.url}/repositories/42/environments/cordon-apply` },
          body: { message: "Moved Permanently" },
        });
        expect((await doctor(env)).stderr).toBe(
          `cordon doctor: GitHub answered 301 to GET repos/${REPOSITORY}/environments/cordon-apply ("Moved Permanently"): the repository was renamed or moved? pass --repository as GitHub spells it now (the roles' trust names it exactly)\n`,
        );
        expect(elsewhere.requests).toEqual([]);
      } finally {
        await elsewhere.close();
      }
    });
  }, 30_000);

  it("a server that echoes the token back: masked", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      github.answer = () => ({ status: 401, body: { message: `token ${github.token} is not valid` } });
      const { code, stdout, stderr } = await doctor(env);
      expect(code).toBe(2);
      expect(stdout + stderr).not.toContain(github.token);
      expect(stderr).toContain('("token *** is not valid")');
    });
  }, 30_000);

  const APPLY = `repos/${REPOSITORY}/environments/cordon-apply`;
  const POLICIES = `${APPLY}/deployment-branch-policies?per_page=100&page=1`;
  const CUSTOM = { protected_branches: false, custom_branch_policies: true };
  it.each<[string, string, FakeAnswer, string]>([
    [
      "an environment without a name",
      "/cordon-apply",
      { status: 200, body: { id: 1 } },
      `${APPLY} is not what its REST API documents (no environment name)`,
    ],
    [
      "a rule that is neither null nor two booleans",
      "/cordon-apply",
      { status: 200, body: { name: "cordon-apply", deployment_branch_policy: "main" } },
      `${APPLY} is not what its REST API documents (deployment_branch_policy is neither null nor two booleans)`,
    ],
    [
      "an answer that is not JSON",
      "/cordon-apply",
      { status: 200, body: undefined },
      `${APPLY} is not what its REST API documents (not JSON)`,
    ],
    [
      "a list of policies without total_count",
      "/deployment-branch-policies",
      { status: 200, body: { branch_policies: [] } },
      `${POLICIES} is not what its REST API documents (expected total_count and branch_policies)`,
    ],
    [
      "a policy without a name",
      "/deployment-branch-policies",
      { status: 200, body: { total_count: 2, branch_policies: [{ id: 1, name: "main", type: "branch" }, { id: 2 }] } },
      `${POLICIES} is not what its REST API documents (branch_policies[1] has no name)`,
    ],
    [
      "a policy of a third type",
      "/deployment-branch-policies",
      { status: 200, body: { total_count: 1, branch_policies: [{ id: 1, name: "main", type: "commit" }] } },
      `${POLICIES} is not what its REST API documents (branch_policies[0].type is neither branch nor tag)`,
    ],
    ...(
      [
        ["protection_rules that is not a list", { type: "wait_timer" }, "protection_rules is not a list"],
        ["a protection rule without a type", [{ id: 1 }], "protection_rules[0] has no type"],
        [
          "a wait timer without its minutes",
          [{ id: 1, type: "wait_timer" }],
          "protection_rules[0].wait_timer is not a number of minutes from 0 to 43200",
        ],
        [
          "a wait timer of more than 30 days",
          [{ type: "branch_policy" }, { id: 2, type: "wait_timer", wait_timer: 43_201 }],
          "protection_rules[1].wait_timer is not a number of minutes from 0 to 43200",
        ],
        [
          "a wait timer of a fraction of a minute",
          [{ id: 1, type: "wait_timer", wait_timer: 0.5 }],
          "protection_rules[0].wait_timer is not a number of minutes from 0 to 43200",
        ],
        [
          "required reviewers that are not a list",
          [{ id: 1, type: "required_reviewers", reviewers: "dana" }],
          "protection_rules[0].reviewers is not a list",
        ],
        [
          "a reviewer that is neither a user nor a team",
          [{ id: 1, type: "required_reviewers", reviewers: [{ type: "User", reviewer: { slug: "security" } }] }],
          "protection_rules[0].reviewers[0] is neither a user with a login nor a team with a slug",
        ],
      ] as const
    ).map(([what, rules, said]): [string, string, FakeAnswer, string] => [
      what,
      "/cordon-apply",
      { status: 200, body: { name: "cordon-apply", deployment_branch_policy: CUSTOM, protection_rules: rules } },
      `${APPLY} is not what its REST API documents (${said})`,
    ]),
    ...(
      [
        [
          "a list of custom rules without total_count",
          { custom_deployment_protection_rules: [] },
          "expected total_count and custom_deployment_protection_rules",
        ],
        [
          "a list of custom rules shorter than its count (a rule not shown could hold the job)",
          { total_count: 2, custom_deployment_protection_rules: [] },
          "total_count is 2, but 0 rules are listed",
        ],
        [
          "a custom rule without an id",
          { total_count: 1, custom_deployment_protection_rules: [{ enabled: true, app: { slug: "gate" } }] },
          "custom_deployment_protection_rules[0] has no id",
        ],
        [
          "a custom rule without its app's slug",
          { total_count: 1, custom_deployment_protection_rules: [{ id: 1, enabled: true, app: { id: 2 } }] },
          "custom_deployment_protection_rules[0] has no app slug",
        ],
        [
          "a custom rule that does not say whether it is enabled",
          { total_count: 1, custom_deployment_protection_rules: [{ id: 1, app: { slug: "gate" } }] },
          "custom_deployment_protection_rules[0].enabled is not a boolean",
        ],
      ] as const
    ).map(([what, body, said]): [string, string, FakeAnswer, string] => [
      what,
      "/deployment_protection_rules",
      { status: 200, body },
      `${APPLY}/deployment_protection_rules is not what its REST API documents (${said})`,
    ]),
  ])(
    "%s: one line, exit 2",
    async (_, suffix, answer, said) => {
      await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
        github.answer = (path) =>
          path.endsWith(suffix)
            ? answer
            : path.endsWith("/cordon-apply")
              ? { status: 200, body: { name: "cordon-apply", deployment_branch_policy: CUSTOM } }
              : undefined;
        expect(await doctor(env)).toEqual({
          code: 2,
          stdout: "",
          stderr: `cordon doctor: GitHub's answer to GET ${said}: is GITHUB_API_URL GitHub's REST API?\n`,
        });
      });
    },
    30_000,
  );

  it("the list that tells a missing environment apart, without total_count", async () => {
    await withGitHub(null, async (github, env) => {
      github.answer = (path) =>
        path.endsWith("/environments") ? { status: 200, body: { environments: [] } } : undefined;
      expect((await doctor(env)).stderr).toBe(
        `cordon doctor: GitHub's answer to GET repos/${REPOSITORY}/environments?per_page=1 is not what its REST API documents (no total_count): is GITHUB_API_URL GitHub's REST API?\n`,
      );
    });
  }, 30_000);

  it.each<[string, FakeAnswer, string]>([
    [
      "429 without a reset time",
      { status: 429, body: { message: "Too Many Requests" } },
      ": the token's rate limit is used up; run doctor again after a minute",
    ],
    ["another 4xx", { status: 422, body: { message: "Unprocessable" } }, ": not an answer doctor can read"],
  ])(
    "%s",
    async (_, answer, ending) => {
      await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
        github.answer = () => answer;
        expect((await doctor(env)).stderr).toBe(
          `cordon doctor: GitHub answered ${answer.status} to GET ${APPLY} (${JSON.stringify((answer.body as { message: string }).message)})${ending}\n`,
        );
      });
    },
    30_000,
  );

  it("nothing listening at GITHUB_API_URL", async () => {
    const github = await startFakeGitHub();
    const url = github.url;
    await github.close();
    expect(await doctor({ GH_TOKEN: "ghp_x", GITHUB_API_URL: url })).toEqual({
      code: 2,
      stdout: "",
      stderr: `cordon doctor: cannot reach GitHub at ${url} for GET repos/${REPOSITORY}/environments/cordon-apply (ECONNREFUSED): check the network, GITHUB_API_URL and the proxy settings\n`,
    });
  }, 30_000);

  it.each([
    ["ftp://example.com", '"ftp://example.com"'],
    ["https://user:pass@api.github.com", '"https://user:pass@api.github.com"'],
    ["api.github.com", '"api.github.com"'],
    // The token would cross the network in clear text.
    ["http://api.github.com", '"http://api.github.com"'],
    ["http://10.0.0.5/api/v3", '"http://10.0.0.5/api/v3"'],
  ])(
    "GITHUB_API_URL %s is refused",
    async (value, shown) => {
      expect(await doctor({ GH_TOKEN: "ghp_x", GITHUB_API_URL: value })).toEqual({
        code: 2,
        stdout: "",
        stderr: `cordon doctor: GITHUB_API_URL: found ${shown}, expected the REST API's base URL, such as https://api.github.com or https://HOST/api/v3 (https, or http on this machine only; no credentials, query or fragment)\n`,
      });
    },
    30_000,
  );

  it("a token with a line break in it is refused without being printed", async () => {
    const run = await doctor({ GH_TOKEN: "ghp_secretPart\nmore", GITHUB_API_URL: "http://127.0.0.1:9" });
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "cordon doctor: the value of GH_TOKEN is not a token (it holds spaces, line breaks or other characters a token never has)\n",
    });
  }, 30_000);

  it("without --repository, outside a github.com checkout: a usage error", async () => {
    const { code, stderr } = await doctor({ GH_TOKEN: "ghp_x" }, []);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "cordon doctor: --repository: not given, and git's origin is not a github.com repository: expected OWNER/NAME, the repository the roles trust; run `npx cordon doctor --help` for its options\n",
    );
  }, 30_000);
});

describe("doctor --github: main's rules, and the write secrets outside the environments", () => {
  /** docs/setup.md's step 3 for the environments; main's rules and the secrets as `settings` say. */
  const run = async (settings: Partial<FakeRepositorySettings>) => {
    const github = await startFakeGitHub({ [REPOSITORY]: setUpEnvironments() });
    github.settings[REPOSITORY] = { ...setUpSettings(), ...settings };
    try {
      return { ...(await doctor({ GH_TOKEN: github.token, GITHUB_API_URL: github.url })), github };
    } finally {
      await github.close();
    }
  };
  const ENVIRONMENTS_OK = [
    PASSES("cordon-apply"),
    STARTS("cordon-apply"),
    PASSES("cordon-contain"),
    STARTS("cordon-contain"),
  ];
  const OWNER =
    "code owner review is not required: a change to program/, policy/ or a workflow merges without the security team's approval";
  const STALE =
    "stale pull request approvals are not dismissed when new commits are pushed: an approval survives the pushes after it, so what merges can be what no code owner saw";
  const LAST =
    "approval of the most recent reviewable push is not required: whoever pushes last can merge on approvals given before that push";
  const BOTH_CHECKS = `the required checks "guard, with the base branch's code" and "validate, the accounts to preview" are not required: a pull request merges without them`;
  const NOTHING = "no ruleset or branch protection requires anything of a pull request into main: ";
  const WHY = ". apply.yml's up runs what merges to main with the deployer role";
  const CHECK_ARGS = `--arg check1 "guard, with the base branch's code" --arg check2 "validate, the accounts to preview"`;
  /** docs/setup.md's ruleset, for a repository whose rulesets hold no review or check rule. */
  const CREATE = `jq -n --argjson app "$(gh api apps/YOUR-CONTAIN-APP --jq .id)" ${CHECK_ARGS} '{"name":"cordon main","target":"branch","enforcement":"active","conditions":{"ref_name":{"include":["refs/heads/main"],"exclude":[]}},"bypass_actors":[{"actor_id":$app,"actor_type":"Integration","bypass_mode":"always"}],"rules":[{"type":"pull_request","parameters":{"required_approving_review_count":1,"dismiss_stale_reviews_on_push":true,"require_code_owner_review":true,"require_last_push_approval":true,"required_review_thread_resolution":false}},{"type":"required_status_checks","parameters":{"strict_required_status_checks_policy":false,"required_status_checks":[{context: $check1}, {context: $check2}]}},{"type":"merge_queue","parameters":{"check_response_timeout_minutes":60,"grouping_strategy":"ALLGREEN","max_entries_to_build":5,"max_entries_to_merge":5,"merge_method":"MERGE","min_entries_to_merge":1,"min_entries_to_merge_wait_minutes":5}}]}' | gh api -X POST repos/${REPOSITORY}/rulesets --input -`;
  const EDIT_JQ = `'{name, target, enforcement, conditions, bypass_actors, rules: ((.rules + (if any(.rules[]; .type == "pull_request") then [] else [{type: "pull_request", parameters: {required_approving_review_count: 1, dismiss_stale_reviews_on_push: true, require_code_owner_review: true, require_last_push_approval: true, required_review_thread_resolution: false}}] end) + (if any(.rules[]; .type == "required_status_checks") then [] else [{type: "required_status_checks", parameters: {strict_required_status_checks_policy: false, required_status_checks: []}}] end)) | map(if .type == "pull_request" then .parameters += {dismiss_stale_reviews_on_push: true, require_code_owner_review: true, require_last_push_approval: true} elif .type == "required_status_checks" then .parameters.required_status_checks += ([{context: $check1}, {context: $check2}] - [.parameters.required_status_checks[] | {context}]) else . end))}'`;
  /** The edit of the repository's ruleset `id` that already applies to main. */
  const EDIT = (id: number) =>
    `gh api repos/${REPOSITORY}/rulesets/${id} | jq ${CHECK_ARGS} ${EDIT_JQ} | gh api -X PUT repos/${REPOSITORY}/rulesets/${id} --input -`;
  const RULES_GAP = (problems: string[], fix: string, nothing = false) => [
    `✗ branch main's rules: ${nothing ? NOTHING : ""}${problems.join("; ")}${WHY}`,
    `    fix: ${fix}`,
  ];
  /** setUpRules() with the pull_request rule's `parameters` changed. */
  const reviewRule = (parameters: Record<string, unknown>): FakeRule[] =>
    setUpRules().map((rule) =>
      rule.type === "pull_request" ? { ...rule, parameters: { ...rule.parameters, ...parameters } } : rule,
    );
  const guardOnly = setUpRules().map((rule) =>
    rule.type === "required_status_checks"
      ? {
          ...rule,
          parameters: {
            ...rule.parameters,
            required_status_checks: [{ context: "guard, with the base branch's code" }],
          },
        }
      : rule,
  );
  /** Branch protection as GitHub's settings page leaves it with "Require review from Code Owners" ticked. */
  const CLASSIC: FakeProtection = {
    required_pull_request_reviews: { dismiss_stale_reviews: false, require_code_owner_reviews: true },
    required_status_checks: [...REQUIRED_CHECKS],
  };

  const GAPS: [string, Partial<FakeRepositorySettings>, string[]][] = [
    [
      "no ruleset and no branch protection (GitHub's default)",
      { rules: [], protection: null },
      RULES_GAP([OWNER, STALE, LAST, BOTH_CHECKS], CREATE, true),
    ],
    [
      "a ruleset that keeps approvals across pushes (dismiss_stale_reviews_on_push: false, GitHub's default)",
      { rules: reviewRule({ dismiss_stale_reviews_on_push: false }) },
      RULES_GAP([STALE], EDIT(4242)),
    ],
    [
      "a ruleset without last-push approval (require_last_push_approval: false, GitHub's default)",
      { rules: reviewRule({ require_last_push_approval: false }) },
      RULES_GAP([LAST], EDIT(4242)),
    ],
    [
      "a ruleset without code owner review",
      { rules: reviewRule({ require_code_owner_review: false }) },
      RULES_GAP([OWNER], EDIT(4242)),
    ],
    [
      "a ruleset without the check validate, the accounts to preview",
      { rules: guardOnly },
      RULES_GAP(
        [`the required check "validate, the accounts to preview" is not required: a pull request merges without it`],
        EDIT(4242),
      ),
    ],
    [
      "a ruleset with the merge queue alone: its rules are added to it",
      { rules: [{ ...setUpRules()[2], ruleset_id: 7 }] },
      RULES_GAP([OWNER, STALE, LAST, BOTH_CHECKS], EDIT(7), true),
    ],
    [
      "the review rule in the organization's ruleset (not the repository's to edit), no checks",
      { rules: [{ ...setUpRules()[0], ruleset_source_type: "Organization", ruleset_id: 9 }] },
      RULES_GAP([BOTH_CHECKS], CREATE),
    ],
    [
      "branch protection as the settings page leaves it (stale approvals kept, no last-push approval)",
      { rules: [], protection: CLASSIC },
      RULES_GAP([STALE, LAST], CREATE),
    ],
  ];

  it.each(GAPS)(
    "a gap, word for word, with its fix (exit 1): %s",
    async (_, settings, lines) => {
      const { code, stdout, stderr } = await run(settings);
      expect(stdout.split("\n")).toEqual([...OFFLINE, ...ENVIRONMENTS_OK, ...lines, SECRETS_OK, ...ONE_GAP]);
      expect(stderr).toBe("");
      expect(code).toBe(1);
    },
    30_000,
  );

  const RULES_FROM = (sources: string) => RULES_OK.replace("(rulesets)", `(${sources})`);
  it.each<[string, Partial<FakeRepositorySettings>, string]>([
    ["docs/setup.md's ruleset", {}, RULES_OK],
    [
      "branch protection with each setting, no ruleset",
      {
        rules: [],
        protection: {
          required_pull_request_reviews: {
            dismiss_stale_reviews: true,
            require_code_owner_reviews: true,
            require_last_push_approval: true,
          },
          required_status_checks: [...REQUIRED_CHECKS],
        },
      },
      RULES_FROM("branch protection"),
    ],
    [
      "the reviews from a ruleset, the checks from branch protection (GitHub enforces both)",
      { rules: setUpRules().filter((rule) => rule.type === "pull_request"), protection: CLASSIC },
      RULES_FROM("rulesets and branch protection"),
    ],
    [
      "the settings split across two rulesets, one of them the organization's",
      {
        rules: [
          { ...setUpRules()[0], ruleset_source_type: "Organization", ruleset_id: 1 },
          { ...setUpRules()[1], ruleset_id: 2 },
        ],
      },
      RULES_OK,
    ],
  ])(
    "passes (exit 0): %s",
    async (_, settings, line) => {
      const { code, stdout, stderr } = await run(settings);
      expect(stdout.split("\n")).toEqual([
        ...OFFLINE,
        ...ENVIRONMENTS_OK,
        line,
        SECRETS_OK,
        "",
        "no gap: set up as docs/setup.md says",
        "",
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
    },
    30_000,
  );

  /** A fix's jq, run: the GitHub calls around it replaced by what they would give or take. */
  const jq = (fix: string, ruleset?: unknown) => {
    const program = fix.replace(/ \| gh api -X (POST|PUT) \S+ --input -$/, "").replace(/^gh api \S+ \| /, "");
    const script = program.replace('"$(gh api apps/YOUR-CONTAIN-APP --jq .id)"', "123456");
    return JSON.parse(
      execFileSync("bash", ["-c", script], {
        input: ruleset === undefined ? "" : JSON.stringify(ruleset),
        encoding: "utf8",
      }),
    ) as { rules: FakeRule[]; bypass_actors: unknown };
  };

  it("each fix, run by jq, gives rules that pass: a new ruleset (the contain App on its bypass list), or the ruleset edited, its other rules and bypass list kept", async () => {
    const created = jq(CREATE);
    expect(created.bypass_actors).toEqual([{ actor_id: 123456, actor_type: "Integration", bypass_mode: "always" }]);
    expect((await run({ rules: created.rules })).code).toBe(0);
    for (const rules of [
      [setUpRules()[2]],
      reviewRule({ dismiss_stale_reviews_on_push: false, require_last_push_approval: false }),
      guardOnly,
    ]) {
      const bypass = [{ actor_id: 5, actor_type: "Integration", bypass_mode: "always" }];
      // GET repos/{owner}/{repo}/rulesets/{id}, as GitHub answers it (its rules without the ruleset_* fields).
      const edited = jq(EDIT(4242), {
        id: 4242,
        name: "main",
        target: "branch",
        source_type: "Repository",
        source: REPOSITORY,
        enforcement: "active",
        conditions: { ref_name: { include: ["~DEFAULT_BRANCH"], exclude: [] } },
        bypass_actors: bypass,
        rules: rules.map(({ type, parameters }) => ({ type, parameters })),
      });
      expect(edited.bypass_actors).toEqual(bypass);
      expect(edited.rules.map((r) => r.type)).toEqual(expect.arrayContaining(rules.map((r) => r.type)));
      const { code, stdout } = await run({ rules: edited.rules });
      expect(stdout).toContain(RULES_OK);
      expect(code).toBe(0);
    }
  }, 60_000);

  it("asks for main's branch protection only when the rulesets leave something open", async () => {
    const { github } = await run({ rules: reviewRule({ require_last_push_approval: false }) });
    expect(github.requests.map((r) => r.path)).toContain(`/repos/${REPOSITORY}/branches/main/protection`);
  }, 30_000);

  const SECRETS_WHY =
    "every job of every branch gets it, a pull request's from a branch of the repository included, running the workflow file that branch holds; a write secret belongs in its environment only (gh secret set NAME --env ENVIRONMENT, docs/setup.md's step 3)";
  it.each<[string, Partial<FakeRepositorySettings>, string[]]>([
    [
      "PULUMI_ACCESS_TOKEN set without --env (a repository secret)",
      { secrets: [...setUpSettings().secrets, "PULUMI_ACCESS_TOKEN"] },
      [
        `✗ write secrets outside the environments: PULUMI_ACCESS_TOKEN is a repository secret: ${SECRETS_WHY}`,
        `    fix: gh secret delete PULUMI_ACCESS_TOKEN --repo ${REPOSITORY}`,
      ],
    ],
    [
      "CORDON_CONTAIN_APP_PRIVATE_KEY as an organization secret",
      { organizationSecrets: ["CORDON_CONTAIN_APP_PRIVATE_KEY", "NPM_TOKEN"] },
      [
        `✗ write secrets outside the environments: CORDON_CONTAIN_APP_PRIVATE_KEY is an organization secret of acme that ${REPOSITORY} may use (deleting it takes it from every repository of acme it is shared with): ${SECRETS_WHY}`,
        "    fix: gh secret delete CORDON_CONTAIN_APP_PRIVATE_KEY --org acme",
      ],
    ],
    [
      "several, at both levels, one spelt in lower case (GitHub compares secret names without case)",
      {
        secrets: ["cordon_pr_token", "PULUMI_ACCESS_TOKEN", "PULUMI_READ_ACCESS_TOKEN"],
        organizationSecrets: ["CORDON_CONTAIN_TOKEN"],
      },
      [
        `✗ write secrets outside the environments: CORDON_PR_TOKEN is a repository secret; PULUMI_ACCESS_TOKEN is a repository secret; CORDON_CONTAIN_TOKEN is an organization secret of acme that ${REPOSITORY} may use (deleting it takes it from every repository of acme it is shared with): ${SECRETS_WHY.replace("gets it", "gets them")}`,
        `    fix: gh secret delete CORDON_PR_TOKEN --repo ${REPOSITORY} && gh secret delete PULUMI_ACCESS_TOKEN --repo ${REPOSITORY} && gh secret delete CORDON_CONTAIN_TOKEN --org acme`,
      ],
    ],
    [
      "PULUMI_ACCESS_TOKEN on the second page of the repository's secrets",
      { secrets: [...Array.from({ length: 100 }, (_, i) => `A_${String(i).padStart(3, "0")}`), "PULUMI_ACCESS_TOKEN"] },
      [
        `✗ write secrets outside the environments: PULUMI_ACCESS_TOKEN is a repository secret: ${SECRETS_WHY}`,
        `    fix: gh secret delete PULUMI_ACCESS_TOKEN --repo ${REPOSITORY}`,
      ],
    ],
  ])(
    "a gap, word for word, with its fix (exit 1): %s",
    async (_, settings, lines) => {
      const { code, stdout, stderr } = await run(settings);
      expect(stdout.split("\n")).toEqual([...OFFLINE, ...ENVIRONMENTS_OK, RULES_OK, ...lines, ...ONE_GAP]);
      expect(stderr).toBe("");
      expect(code).toBe(1);
    },
    30_000,
  );

  const RULES_NEEDS = `a token that can read ${REPOSITORY}'s rules (fine-grained: the repository's "Metadata" permission, read; classic: the repo scope for a private repository)`;
  const PROTECTION_NEEDS = `a token that can read main's branch protection in ${REPOSITORY}, an administrator's (fine-grained: the repository's "Administration" permission, read; classic: the repo scope), or a ruleset that requires what docs/setup.md says, which any token that can read the repository reads`;
  const SECRETS_NEEDS = `a token that can list ${REPOSITORY}'s secrets, names only (fine-grained: the repository's "Secrets" permission, read; classic: the repo scope)`;
  const FORBIDDEN = { status: 403, body: { message: "Resource not accessible by personal access token" } };
  it.each<[string, Partial<FakeRepositorySettings>, string, FakeAnswer, string]>([
    [
      "a token that may not read the rules (403)",
      {},
      "/rules/branches/main",
      FORBIDDEN,
      `GitHub answered 403 to GET repos/${REPOSITORY}/rules/branches/main?per_page=100&page=1 ("Resource not accessible by personal access token"): the token in GH_TOKEN may not read it; --github needs ${RULES_NEEDS}`,
    ],
    [
      "a token that may not read the branch protection (403), asked since the rulesets leave a gap",
      { rules: [] },
      "/branches/main/protection",
      FORBIDDEN,
      `GitHub answered 403 to GET repos/${REPOSITORY}/branches/main/protection ("Resource not accessible by personal access token"): the token in GH_TOKEN may not read it; --github needs ${PROTECTION_NEEDS}`,
    ],
    [
      "a token that may not list the secrets (403)",
      {},
      "/actions/secrets",
      FORBIDDEN,
      `GitHub answered 403 to GET repos/${REPOSITORY}/actions/secrets?per_page=100&page=1 ("Resource not accessible by personal access token"): the token in GH_TOKEN may not read it; --github needs ${SECRETS_NEEDS}`,
    ],
    [
      "the organization's secrets not found (404): not taken for none",
      {},
      "/actions/organization-secrets",
      { status: 404, body: { message: "Not Found" } },
      `GitHub answered 404 to GET repos/${REPOSITORY}/actions/organization-secrets?per_page=100&page=1 ("Not Found"): no repository ${REPOSITORY} whose secrets the token in GH_TOKEN may read (GitHub answers 404, not 403, for what a token may not see); --github needs ${SECRETS_NEEDS}`,
    ],
    [
      "a server error on the rules (500)",
      {},
      "/rules/branches/main",
      { status: 500, body: {} },
      `GitHub answered 500 to GET repos/${REPOSITORY}/rules/branches/main?per_page=100&page=1: GitHub could not answer; run doctor again later`,
    ],
    [
      "rules that are not a list",
      {},
      "/rules/branches/main",
      { status: 200, body: { rules: [] } },
      `GitHub's answer to GET repos/${REPOSITORY}/rules/branches/main?per_page=100&page=1 is not what its REST API documents (not a list of rules): is GITHUB_API_URL GitHub's REST API?`,
    ],
    [
      "a pull_request rule whose setting is not a boolean",
      {},
      "/rules/branches/main",
      { status: 200, body: [{ type: "pull_request", parameters: { require_code_owner_review: "yes" } }] },
      `GitHub's answer to GET repos/${REPOSITORY}/rules/branches/main?per_page=100&page=1 is not what its REST API documents ([0].parameters.require_code_owner_review is not a boolean): is GITHUB_API_URL GitHub's REST API?`,
    ],
    [
      "branch protection whose reviews are not an object",
      { rules: [] },
      "/branches/main/protection",
      { status: 200, body: { required_pull_request_reviews: true } },
      `GitHub's answer to GET repos/${REPOSITORY}/branches/main/protection is not what its REST API documents (required_pull_request_reviews is not an object): is GITHUB_API_URL GitHub's REST API?`,
    ],
    [
      "a list of secrets without total_count",
      {},
      "/actions/secrets",
      { status: 200, body: { secrets: [] } },
      `GitHub's answer to GET repos/${REPOSITORY}/actions/secrets?per_page=100&page=1 is not what its REST API documents (expected total_count and secrets): is GITHUB_API_URL GitHub's REST API?`,
    ],
  ])(
    "%s: one line, exit 2",
    async (_, settings, suffix, answer, said) => {
      const github = await startFakeGitHub({ [REPOSITORY]: setUpEnvironments() });
      github.settings[REPOSITORY] = { ...setUpSettings(), ...settings };
      github.answer = (path) => (path.endsWith(suffix) ? answer : undefined);
      try {
        expect(await doctor({ GH_TOKEN: github.token, GITHUB_API_URL: github.url })).toEqual({
          code: 2,
          stdout: "",
          stderr: `cordon doctor: ${said}\n`,
        });
      } finally {
        await github.close();
      }
    },
    30_000,
  );

  describe("generated settings (fast-check): exactly the documented ones pass", () => {
    const reviews = fc.option(
      fc.record({ codeOwnerReview: fc.boolean(), dismissStaleReviews: fc.boolean(), lastPushApproval: fc.boolean() }),
    );
    const checks = fc
      .uniqueArray(fc.oneof(fc.constantFrom(...REQUIRED_CHECKS), fc.string({ maxLength: 12 })), { maxLength: 4 })
      .map((list) => [...new Set(list)].sort());
    const source: fc.Arbitrary<LiveBranchRules> = fc.record({ reviews, checks });
    /** What docs/setup.md says, from both sources together. */
    const documented = (rules: LiveBranchRules, protection: LiveBranchRules | null) => {
      const all = [rules, ...(protection === null ? [] : [protection])];
      const any = (flag: "codeOwnerReview" | "dismissStaleReviews" | "lastPushApproval") =>
        all.some((s) => s.reviews?.[flag] === true);
      return (
        any("codeOwnerReview") &&
        any("dismissStaleReviews") &&
        any("lastPushApproval") &&
        REQUIRED_CHECKS.every((check) => all.some((s) => s.checks.includes(check)))
      );
    };

    it("the decision: ok exactly when the rulesets and branch protection together require each setting and both checks", () => {
      fc.assert(
        fc.property(source, fc.option(source), (rules, protection) => {
          const check = mainProtectionCheck({ repository: REPOSITORY, rules, protection });
          expect(check.ok).toBe(documented(rules, protection));
          if (check.ok) return;
          const all = [rules.reviews, protection?.reviews ?? null];
          expect(check.detail.includes(OWNER)).toBe(!all.some((r) => r?.codeOwnerReview));
          expect(check.detail.includes(STALE)).toBe(!all.some((r) => r?.dismissStaleReviews));
          expect(check.detail.includes(LAST)).toBe(!all.some((r) => r?.lastPushApproval));
          expect(check.fix).toBe(CREATE);
        }),
        { numRuns: 1000 },
      );
    });

    it("through GitHub's answers (the fake's rules and branch protection, read by the command)", async () => {
      const flag = fc.option(fc.boolean(), { nil: undefined });
      const fakeRules: fc.Arbitrary<FakeRule[]> = fc
        .record({
          review: fc.option(fc.record({ owner: fc.boolean(), stale: fc.boolean(), last: flag })),
          checks: fc.option(fc.subarray([...REQUIRED_CHECKS, "lint"])),
        })
        .map(({ review, checks }) => [
          ...(review === null
            ? []
            : [
                {
                  type: "pull_request",
                  parameters: {
                    required_approving_review_count: 1,
                    require_code_owner_review: review.owner,
                    dismiss_stale_reviews_on_push: review.stale,
                    ...(review.last === undefined ? {} : { require_last_push_approval: review.last }),
                  },
                },
              ]),
          ...(checks === null
            ? []
            : [
                {
                  type: "required_status_checks",
                  parameters: { required_status_checks: checks.map((context) => ({ context })) },
                },
              ]),
        ]);
      const fakeProtection: fc.Arbitrary<FakeProtection | null> = fc.option(
        fc.record(
          {
            required_pull_request_reviews: fc.record(
              {
                dismiss_stale_reviews: fc.boolean(),
                require_code_owner_reviews: fc.boolean(),
                require_last_push_approval: flag,
              },
              { requiredKeys: ["dismiss_stale_reviews", "require_code_owner_reviews"] },
            ),
            required_status_checks: fc.subarray([...REQUIRED_CHECKS, "lint"]),
          },
          { requiredKeys: [] },
        ),
      );
      const read = (rules: FakeRule[], protection: FakeProtection | null) => {
        const rule = (type: string) => rules.find((r) => r.type === type)?.parameters;
        const pr = rule("pull_request");
        const live: LiveBranchRules = {
          reviews:
            pr === undefined
              ? null
              : {
                  codeOwnerReview: pr.require_code_owner_review === true,
                  dismissStaleReviews: pr.dismiss_stale_reviews_on_push === true,
                  lastPushApproval: pr.require_last_push_approval === true,
                },
          checks: ((rule("required_status_checks")?.required_status_checks ?? []) as { context: string }[]).map(
            (c) => c.context,
          ),
        };
        const reviews = protection?.required_pull_request_reviews;
        const classic: LiveBranchRules | null =
          protection === null
            ? null
            : {
                reviews:
                  reviews === undefined
                    ? null
                    : {
                        codeOwnerReview: reviews.require_code_owner_reviews,
                        dismissStaleReviews: reviews.dismiss_stale_reviews,
                        lastPushApproval: reviews.require_last_push_approval === true,
                      },
                checks: protection.required_status_checks ?? [],
              };
        return documented(live, classic);
      };
      await fc.assert(
        fc.asyncProperty(fakeRules, fakeProtection, async (rules, protection) => {
          const { code, stdout } = await run({ rules, protection });
          expect(code).toBe(read(rules, protection) ? 0 : 1);
          expect(stdout.includes("✗ branch main's rules: ")).toBe(code === 1);
        }),
        { numRuns: 25 },
      );
    }, 120_000);
  });
});
