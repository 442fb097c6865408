/**
 * `cordon doctor --github`, as users call it (cli/cordon.js, from a folder of their repository),
 * against a fake of GitHub's REST API on loopback (support/github-api.ts): each environment that
 * holds the write secrets must exist and let only `main` deploy to it. Each gap word for word with
 * its fix; the setup docs/setup.md describes passes; GitHub refusing, failing or never answering is
 * one line and exit 2; the branch policies are read across pages; and over generated lists of
 * branch policies, exactly [the branch main] passes and anything else is a gap.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentChecks, writeEnvironments } from "../doctor/environments.ts";
import type { LiveBranchPolicy } from "../doctor/live.ts";
import { MAX_POLICY_PAGES, REQUEST_TIMEOUT_MS } from "../github/environments.ts";
import { correctFiles } from "./support/doctor-repository.ts";
import {
  setUpEnvironments,
  startFakeGitHub,
  type FakeAnswer,
  type FakeBranchPolicy,
  type FakeEnvironment,
  type FakeGitHub,
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

describe("doctor --github: the environments of the write secrets", () => {
  it("checks the environments the write secrets live in", () => {
    expect(writeEnvironments()).toEqual(["cordon-apply", "cordon-contain"]);
  });

  it("passes the environments docs/setup.md's step 3 makes (exit 0), with the token, one page each", async () => {
    await withGitHub(setUpEnvironments()["cordon-apply"], async (github, env) => {
      const { code, stdout, stderr } = await doctor(env);
      expect(stdout.split("\n")).toEqual([
        ...OFFLINE,
        PASSES("cordon-apply"),
        STARTS("cordon-apply"),
        PASSES("cordon-contain"),
        STARTS("cordon-contain"),
        "",
        "no gap: set up as docs/setup.md says",
        "",
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(github.requests).toEqual(
        ["cordon-apply", "cordon-contain"].flatMap((name) => [
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
      );
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
          "",
          "1 gap: run each fix, then npx cordon doctor again",
          "",
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
  // An endpoint that never answers is waited out for REQUEST_TIMEOUT_MS, which no option shortens
  // (it is what production waits): started before the other tests, awaited by its own.
  let wedged: Promise<Run & { seconds: number; url: string }>;
  beforeAll(() => {
    wedged = (async () => {
      const server = await startWedgedServer();
      try {
        const started = performance.now();
        const run = await doctor({ GH_TOKEN: "ghp_wedged", GITHUB_API_URL: server.url });
        return { ...run, seconds: (performance.now() - started) / 1000, url: server.url };
      } finally {
        await server.close();
      }
    })();
    wedged.catch(() => {});
  });

  it("a GitHub that accepts the connection and never answers: gives up within the bound", async () => {
    const { code, stdout, stderr, seconds, url } = await wedged;
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: `cordon doctor: GitHub did not answer GET repos/${REPOSITORY}/environments/cordon-apply within ${REQUEST_TIMEOUT_MS / 1000} s at ${url}: check the network, GITHUB_API_URL and the proxy settings\n`,
    });
    expect(seconds).toBeLessThan(REQUEST_TIMEOUT_MS / 1000 + 5);
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
