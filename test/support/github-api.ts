/**
 * A fake of the part of GitHub's REST API that `doctor --github` reads, on a loopback port: the
 * repository's environments and their deployment branch policies, answered with the JSON and the
 * statuses GitHub's REST API description documents (api.github.com, version 2022-11-28):
 * - GET /repos/{owner}/{repo}/environments/{environment_name}: 200 with the environment, 404
 *   `{"message": "Not Found"}` when there is none;
 * - GET /repos/{owner}/{repo}/environments: 200 `{ total_count, environments }`, paginated;
 * - GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies: 200
 *   `{ total_count, branch_policies }`, paginated by `per_page` (default 30, at most 100) and
 *   `page` (from 1);
 * - GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules: 200
 *   `{ total_count, custom_deployment_protection_rules }`, the custom rules (GitHub Apps);
 * - each environment's `protection_rules`: the rules a test gives, then `branch_policy` when it
 *   has a deployment branch rule (as GitHub lists a rule of each kind the environment has);
 * - GET /repos/{owner}/{repo}/rules/branches/{branch}: 200 with the active rulesets' rules for the
 *   branch, `[{ type, parameters, ruleset_source_type, ruleset_source, ruleset_id }]`, paginated
 *   (the fake holds main's; any other branch has none);
 * - GET /repos/{owner}/{repo}/branches/{branch}/protection: 200 with main's classic protection,
 *   404 `{"message": "Branch not protected"}` without one;
 * - GET /repos/{owner}/{repo}/actions/secrets and …/actions/organization-secrets: 200
 *   `{ total_count, secrets: [{ name, created_at, updated_at }] }`, names only, paginated;
 * - a missing or wrong `Authorization: Bearer` token: 401 `{"message": "Bad credentials"}`; a
 *   repository the token may not see: 404 for all of it, as GitHub answers for a private one.
 * What it does not model is said where a test needs it (`answer` replaces any answer).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeBranchPolicy {
  id?: number;
  name: string;
  /** Omitted from the answer when undefined (as before GitHub had tag policies). */
  type?: "branch" | "tag";
}

/** A user by login or a team by slug, answered as GitHub's `simple-user` or `team`. */
export interface FakeReviewer {
  type: "User" | "Team";
  name: string;
}

/** A built-in protection rule, as the environment's `protection_rules` lists it (the fake adds id and node_id). */
export type FakeProtectionRule =
  | { type: "wait_timer"; wait_timer: number }
  | { type: "required_reviewers"; reviewers: FakeReviewer[]; prevent_self_review?: boolean }
  | { type: string };

/** A custom deployment protection rule: a GitHub App's, by its slug. */
export interface FakeCustomRule {
  id: number;
  app: string;
  /** Default true (the endpoint documents the enabled rules; false is listed, for the reader's sake). */
  enabled?: boolean;
}

export interface FakeEnvironment {
  /** null: no restriction; omitted from the answer when undefined. */
  deployment_branch_policy?: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  branch_policies?: FakeBranchPolicy[];
  /** Listed in `protection_rules` before the `branch_policy` rule GitHub lists for a branch rule. */
  protection_rules?: FakeProtectionRule[];
  /** Answered at …/deployment_protection_rules. */
  custom_rules?: FakeCustomRule[];
}

/** A rule of an active ruleset that applies to main, as "Get rules for a branch" lists it. */
export interface FakeRule {
  type: string;
  parameters?: Record<string, unknown>;
  /** Default 4242. */
  ruleset_id?: number;
  /** Default "Repository" (the fake fills ruleset_source: the repository, or its owner). */
  ruleset_source_type?: "Repository" | "Organization";
}

/** main's classic branch protection, as "Get branch protection" answers its two parts doctor reads. */
export interface FakeProtection {
  required_pull_request_reviews?: {
    dismiss_stale_reviews: boolean;
    require_code_owner_reviews: boolean;
    /** Omitted from the answer when undefined (GitHub's default: false). */
    require_last_push_approval?: boolean;
  };
  /** The required checks' contexts, answered as both `contexts` and `checks`. */
  required_status_checks?: string[];
}

/** What the fake holds of a repository beside its environments. */
export interface FakeRepositorySettings {
  /** The rules of main's active rulesets. */
  rules: FakeRule[];
  /** main's classic protection; null: not protected. */
  protection: FakeProtection | null;
  /** The names of the repository's secrets. */
  secrets: string[];
  /** The names of the organization secrets shared with the repository. */
  organizationSecrets: string[];
}

/** The ruleset docs/setup.md's step 3 creates, as "Get rules for a branch" lists its rules for main. */
export function setUpRules(): FakeRule[] {
  return [
    {
      type: "pull_request",
      parameters: {
        required_approving_review_count: 1,
        dismiss_stale_reviews_on_push: true,
        require_code_owner_review: true,
        require_last_push_approval: true,
        required_review_thread_resolution: false,
        allowed_merge_methods: ["merge", "squash", "rebase"],
      },
    },
    {
      type: "required_status_checks",
      parameters: {
        strict_required_status_checks_policy: false,
        do_not_enforce_on_create: false,
        required_status_checks: [
          { context: "guard, with the base branch's code", integration_id: 15368 },
          { context: "validate, the accounts to preview", integration_id: 15368 },
        ],
      },
    },
    {
      type: "merge_queue",
      parameters: {
        check_response_timeout_minutes: 60,
        grouping_strategy: "ALLGREEN",
        max_entries_to_build: 5,
        max_entries_to_merge: 5,
        merge_method: "MERGE",
        min_entries_to_merge: 1,
        min_entries_to_merge_wait_minutes: 5,
      },
    },
  ];
}

/**
 * A repository set up as docs/setup.md's step 3 says: main's ruleset, no classic protection, and
 * only the secrets that cannot write at the repository's level.
 */
export function setUpSettings(): FakeRepositorySettings {
  return {
    rules: setUpRules(),
    protection: null,
    secrets: [
      "CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE",
      "CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE",
      "CORDON_AWS_ROLE_ARN_TEMPLATE",
      "CORDON_AWS_VERIFY_ROLE_ARN",
      "PULUMI_READ_ACCESS_TOKEN",
    ],
    organizationSecrets: [],
  };
}

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeGitHub {
  /** The API's base, for GITHUB_API_URL. */
  url: string;
  /** The one token it accepts. */
  token: string;
  /** OWNER/NAME → environment name → environment. A repository not here answers 404. */
  repositories: Record<string, Record<string, FakeEnvironment>>;
  /** OWNER/NAME → main's rules and the secrets' names; a repository of `repositories` not here is as setUpSettings() says. */
  settings: Record<string, FakeRepositorySettings>;
  /** Answers instead of the model when it returns one (a 500, a rate limit, a redirect...). */
  answer?: (path: string, url: URL) => FakeAnswer | undefined;
  /** Every request: method, path with query, and whether it carried the token. */
  requests: { method: string; path: string; authorized: boolean }[];
  close(): Promise<void>;
}

/** The environments as `docs/setup.md`'s step 3 makes them: custom branch policies, the branch main. */
export function setUpEnvironments(): Record<string, FakeEnvironment> {
  const environment = (id: number): FakeEnvironment => ({
    deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    branch_policies: [{ id, name: "main", type: "branch" }],
  });
  return { "cordon-apply": environment(361471), "cordon-contain": environment(361472) };
}

const NOT_FOUND = {
  message: "Not Found",
  documentation_url: "https://docs.github.com/rest",
  status: "404",
};

function page<T>(items: T[], url: URL): T[] {
  const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30) || 30, 100);
  const number = Math.max(Number(url.searchParams.get("page") ?? 1) || 1, 1);
  return items.slice((number - 1) * perPage, number * perPage);
}

function reviewerJson(reviewer: FakeReviewer, index: number) {
  const id = 4532992 + index;
  return {
    type: reviewer.type,
    reviewer:
      reviewer.type === "User"
        ? { login: reviewer.name, id, node_id: "MDQ6VXNlcjE=", type: "User", site_admin: false }
        : { id, node_id: "MDQ6VGVhbTE=", name: reviewer.name, slug: reviewer.name, privacy: "closed" },
  };
}

function environmentJson(owner: string, repo: string, name: string, env: FakeEnvironment, index: number) {
  const rule = env.deployment_branch_policy;
  return {
    id: 56780428 + index,
    node_id: "MDExOkVudmlyb25tZW50NTY3ODA0Mjg=",
    name,
    url: `https://api.github.com/repos/${owner}/${repo}/environments/${name}`,
    html_url: `https://github.com/${owner}/${repo}/deployments/activity_log?environments_filter=${name}`,
    created_at: "2026-11-20T22:00:40Z",
    updated_at: "2026-11-20T22:00:40Z",
    protection_rules: [
      ...(env.protection_rules ?? []).map((r, i) => ({
        id: 3600 + i,
        node_id: `MDQ6R2F0ZTM2MD${i}=`,
        ...r,
        ...("reviewers" in r ? { reviewers: r.reviewers.map(reviewerJson) } : {}),
      })),
      ...(rule ? [{ id: 3515, node_id: "MDQ6R2F0ZTM1MTU=", type: "branch_policy" }] : []),
    ],
    ...(rule === undefined ? {} : { deployment_branch_policy: rule }),
  };
}

export async function startFakeGitHub(
  repositories: Record<string, Record<string, FakeEnvironment>> = { "acme/cordon-incidents": setUpEnvironments() },
): Promise<FakeGitHub> {
  const fake: Omit<FakeGitHub, "url" | "close"> = {
    token: "ghp_fakeTokenForTheLoopbackServer0000000",
    repositories,
    settings: {},
    requests: [],
  };

  function route(request: IncomingMessage): FakeAnswer {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const path = `${url.pathname}${url.search}`;
    const authorized = request.headers.authorization === `Bearer ${fake.token}`;
    fake.requests.push({ method: request.method ?? "", path, authorized });
    const replaced = fake.answer?.(url.pathname, url);
    if (replaced !== undefined) return replaced;
    if (!authorized)
      return {
        status: 401,
        body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" },
      };
    const settled = request.method === "GET" ? settings(url) : undefined;
    if (settled !== undefined) return settled;
    const match =
      /^\/repos\/([^/]+)\/([^/]+)\/environments(?:\/([^/]+)(\/deployment-branch-policies|\/deployment_protection_rules)?)?$/.exec(
        url.pathname,
      );
    if (request.method !== "GET" || match === null) return { status: 404, body: NOT_FOUND };
    const [, owner, repo, encodedName, below] = match;
    const environments = fake.repositories[`${owner}/${repo}`];
    if (environments === undefined) return { status: 404, body: NOT_FOUND };
    const names = Object.keys(environments).sort();
    if (encodedName === undefined) {
      return {
        status: 200,
        body: {
          total_count: names.length,
          environments: page(names, url).map((name) =>
            environmentJson(owner, repo, name, environments[name], names.indexOf(name)),
          ),
        },
      };
    }
    const name = decodeURIComponent(encodedName);
    const environment = environments[name];
    if (environment === undefined) return { status: 404, body: NOT_FOUND };
    if (below === undefined)
      return { status: 200, body: environmentJson(owner, repo, name, environment, names.indexOf(name)) };
    if (below === "/deployment_protection_rules") {
      // GitHub documents the list as the enabled rules; one a test marks not enabled is listed with
      // enabled: false all the same, so that the reader's handling of the field is tried.
      const rules = environment.custom_rules ?? [];
      return {
        status: 200,
        body: {
          total_count: rules.length,
          custom_deployment_protection_rules: rules.map((rule) => ({
            id: rule.id,
            node_id: `MDQ6R2F0ZTM3NTU${rule.id}`,
            enabled: rule.enabled !== false,
            app: {
              id: 3515 + rule.id,
              slug: rule.app,
              integration_url: `https://api.github.com/apps/${rule.app}`,
              node_id: "UHVsbFJlcXVlc3Q6MTI=",
            },
          })),
        },
      };
    }
    const all = environment.branch_policies ?? [];
    return {
      status: 200,
      body: {
        total_count: all.length,
        branch_policies: page(all, url).map((policy) => ({
          ...(policy.id === undefined ? {} : { id: policy.id, node_id: `MDE2OkdhdGVCcmFuY2hQb2xpY3k${policy.id}` }),
          name: policy.name,
          ...(policy.type === undefined ? {} : { type: policy.type }),
        })),
      },
    };
  }

  /** main's rules, its protection and the secrets' names; undefined for any other path. */
  function settings(url: URL): FakeAnswer | undefined {
    const match =
      /^\/repos\/([^/]+)\/([^/]+)\/(?:rules\/branches\/([^/]+)|branches\/([^/]+)\/protection|actions\/(secrets|organization-secrets))$/.exec(
        url.pathname,
      );
    if (match === null) return undefined;
    const [, owner, repo, rulesBranch, protectedBranch, secrets] = match;
    const repository = `${owner}/${repo}`;
    if (fake.repositories[repository] === undefined) return { status: 404, body: NOT_FOUND };
    const held = fake.settings[repository] ?? setUpSettings();
    const at = (date: string) => ({ created_at: date, updated_at: date });
    if (rulesBranch !== undefined) {
      const rules = decodeURIComponent(rulesBranch) === "main" ? held.rules : [];
      return {
        status: 200,
        body: page(rules, url).map(({ ruleset_id, ruleset_source_type, ...rule }) => {
          const type = ruleset_source_type ?? "Repository";
          return {
            ...rule,
            ruleset_source_type: type,
            ruleset_source: type === "Repository" ? repository : owner,
            ruleset_id: ruleset_id ?? 4242,
          };
        }),
      };
    }
    if (protectedBranch !== undefined) {
      const protection = decodeURIComponent(protectedBranch) === "main" ? held.protection : null;
      if (protection === null)
        return {
          status: 404,
          body: {
            message: "Branch not protected",
            documentation_url: "https://docs.github.com/rest/branches/branch-protection#get-branch-protection",
            status: "404",
          },
        };
      const base = `https://api.github.com/repos/${repository}/branches/main/protection`;
      const reviews = protection.required_pull_request_reviews;
      const checks = protection.required_status_checks;
      return {
        status: 200,
        body: {
          url: base,
          ...(reviews === undefined
            ? {}
            : {
                required_pull_request_reviews: {
                  url: `${base}/required_pull_request_reviews`,
                  dismiss_stale_reviews: reviews.dismiss_stale_reviews,
                  require_code_owner_reviews: reviews.require_code_owner_reviews,
                  required_approving_review_count: 1,
                  ...(reviews.require_last_push_approval === undefined
                    ? {}
                    : { require_last_push_approval: reviews.require_last_push_approval }),
                },
              }),
          ...(checks === undefined
            ? {}
            : {
                required_status_checks: {
                  url: `${base}/required_status_checks`,
                  strict: false,
                  contexts: checks,
                  contexts_url: `${base}/required_status_checks/contexts`,
                  checks: checks.map((context) => ({ context, app_id: 15368 })),
                },
              }),
          enforce_admins: { url: `${base}/enforce_admins`, enabled: false },
        },
      };
    }
    const names = secrets === "secrets" ? held.secrets : held.organizationSecrets;
    return {
      status: 200,
      body: {
        total_count: names.length,
        secrets: page(names, url).map((name) => ({
          name,
          ...at("2026-11-20T22:00:40Z"),
          ...(secrets === "secrets" ? {} : { visibility: "all" }),
        })),
      },
    };
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on("end", () => {
      const answer = route(request);
      response.writeHead(answer.status, { "Content-Type": "application/json; charset=utf-8", ...answer.headers });
      response.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
