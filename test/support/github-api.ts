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
