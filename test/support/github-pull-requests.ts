/**
 * A fake of the part of GitHub's REST API that the contain workflow's `/contain` step reads, on a
 * loopback port, answered with the fields GitHub's REST API description documents (api.github.com,
 * version 2022-11-28):
 * - GET /repos/{owner}/{repo}/collaborators/{username}/permission: `{ permission, user }`;
 * - GET /repos/{owner}/{repo}/pulls/{pull_number}: `state`, `base` and `head` (`ref`, `sha`,
 *   `repo.full_name`, `head.repo` null for a deleted fork);
 * - GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs: `{ total_count, workflow_runs }`,
 *   filtered by `event`, `branch` (the run's head branch) and `head_sha`, newest first, paginated
 *   by `per_page` (default 30, at most 100) and `page`. Each run has `id`, `event`, `head_branch`,
 *   `head_sha`, `head_repository.full_name` and `created_at` (when GitHub started it).
 * A missing or wrong token is 401; anything else is 404, as GitHub answers. `answer` replaces any
 * answer (a 403, a 500).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakePullRequest {
  state: "open" | "closed";
  /** The base branch, and the repository it is in (default: the fake's repository). */
  base: { ref: string; repo?: string };
  /** The head: its branch, its commit, and the repository it is in (null: a deleted fork). */
  head: { ref: string; sha: string; repo: string | null };
}

export interface FakeRun {
  id: number;
  workflow: string;
  event: string;
  head_branch: string;
  head_sha: string;
  head_repository: string;
  /** `YYYY-MM-DDTHH:MM:SSZ`, as GitHub writes it. */
  created_at: string;
}

export interface FakePullRequestGitHub {
  url: string;
  token: string;
  repository: string;
  permissions: Record<string, string>;
  pulls: Record<number, FakePullRequest>;
  runs: FakeRun[];
  answer?: (path: string, url: URL) => { status: number; body: unknown } | undefined;
  requests: string[];
  close(): Promise<void>;
}

const NOT_FOUND = { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" };

export async function startFakePullRequestGitHub(repository: string, token: string): Promise<FakePullRequestGitHub> {
  const fake: Omit<FakePullRequestGitHub, "url" | "close"> = {
    token,
    repository,
    permissions: {},
    pulls: {},
    runs: [],
    requests: [],
  };
  const repo = (fullName: string | null) =>
    fullName === null
      ? null
      : { full_name: fullName, name: fullName.split("/")[1], owner: { login: fullName.split("/")[0] } };

  function route(request: IncomingMessage): { status: number; body: unknown } {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    fake.requests.push(`${request.method} ${url.pathname}${url.search}`);
    const replaced = fake.answer?.(url.pathname, url);
    if (replaced !== undefined) return replaced;
    if (request.headers.authorization !== `Bearer ${fake.token}`)
      return { status: 401, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" } };
    const prefix = `/repos/${fake.repository}/`;
    if (request.method !== "GET" || !url.pathname.startsWith(prefix)) return { status: 404, body: NOT_FOUND };
    const rest = url.pathname.slice(prefix.length);
    let match = /^collaborators\/([^/]+)\/permission$/.exec(rest);
    if (match) {
      const permission = fake.permissions[decodeURIComponent(match[1])];
      if (permission === undefined) return { status: 404, body: NOT_FOUND };
      return {
        status: 200,
        body: { permission, role_name: permission, user: { login: decodeURIComponent(match[1]) } },
      };
    }
    match = /^pulls\/([0-9]+)$/.exec(rest);
    if (match) {
      const number = Number(match[1]);
      const pull = fake.pulls[number];
      if (pull === undefined) return { status: 404, body: NOT_FOUND };
      return {
        status: 200,
        body: {
          number,
          state: pull.state,
          base: { ref: pull.base.ref, repo: { ...repo(pull.base.repo ?? fake.repository), default_branch: "main" } },
          head: { ref: pull.head.ref, sha: pull.head.sha, repo: repo(pull.head.repo) },
        },
      };
    }
    match = /^actions\/workflows\/([^/]+)\/runs$/.exec(rest);
    if (match) {
      const workflow = decodeURIComponent(match[1]);
      const filters: [string, keyof FakeRun][] = [
        ["event", "event"],
        ["branch", "head_branch"],
        ["head_sha", "head_sha"],
      ];
      const runs = fake.runs
        .filter((run) => run.workflow === workflow)
        .filter((run) =>
          filters.every(([param, field]) => !url.searchParams.has(param) || run[field] === url.searchParams.get(param)),
        )
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
      const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30) || 30, 100);
      const page = Math.max(Number(url.searchParams.get("page") ?? 1) || 1, 1);
      return {
        status: 200,
        body: {
          total_count: runs.length,
          workflow_runs: runs.slice((page - 1) * perPage, page * perPage).map((run) => ({
            id: run.id,
            name: "incident pull request",
            path: `.github/workflows/${run.workflow}`,
            event: run.event,
            head_branch: run.head_branch,
            head_sha: run.head_sha,
            head_repository: repo(run.head_repository),
            created_at: run.created_at,
            updated_at: run.created_at,
          })),
        },
      };
    }
    return { status: 404, body: NOT_FOUND };
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on("end", () => {
      const answer = route(request);
      response.writeHead(answer.status, { "Content-Type": "application/json; charset=utf-8" });
      response.end(JSON.stringify(answer.body));
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
