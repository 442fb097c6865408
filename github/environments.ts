/**
 * The one door to GitHub's REST API (as aws/ is to AWS): what `doctor --github` reads of a
 * repository's environments (doctor/live.ts's LiveGitHub), with Node's own fetch. Read-only: four
 * GET endpoints, each answer checked against the shape GitHub's REST API documents. Any answer that
 * is not a usable one (a token GitHub refuses, a repository it will not show, a 5xx, no answer at
 * all) is a {@link GitHubUnavailableError}: one line, and the command could not run (exit 2).
 *
 * What the endpoints answer, as GitHub's REST API description says (read, not run against GitHub):
 * - GET /repos/{owner}/{repo}/environments/{environment_name}: 200 with the environment, whose
 *   `deployment_branch_policy` is null ("To allow all branches to deploy, set to `null`") or
 *   `{ protected_branches, custom_branch_policies }`, exactly one of them true; and whose
 *   `protection_rules` (optional) lists the built-in rules `[{ id, node_id, type, ... }]`: a
 *   `wait_timer` rule with `wait_timer` (minutes, 0 to 43,200), a `required_reviewers` rule with
 *   `prevent_self_review` and `reviewers: [{ type: "User" | "Team", reviewer }]`, a `branch_policy`
 *   rule (the deployment branch rule); `type` is a free string there.
 * - GET …/environments/{environment_name}/deployment-branch-policies?per_page=&page=: 200 with
 *   `{ total_count, branch_policies: [{ id, node_id, name, type: "branch" | "tag" }] }`, at most
 *   100 a page; used only with custom_branch_policies.
 * - GET …/environments/{environment_name}/deployment_protection_rules: 200 with `{ total_count,
 *   custom_deployment_protection_rules: [{ id, node_id, enabled, app: { id, slug, integration_url,
 *   node_id } }] }`, the enabled custom rules (GitHub Apps), without pages.
 * - GET /repos/{owner}/{repo}/environments?per_page=1: 200 with `{ total_count, environments }`,
 *   a repository without any included. Asked only after a 404 (below).
 * Each needs read access to the repository: a fine-grained token with the "Actions" repository
 * permission (read), a classic token with the `repo` scope for a private repository.
 * GitHub answers 404, not 403, for a private repository a token may not see, and a fine-grained
 * token without the permission can get 404 too: so a 404 for the environment means "no such
 * environment" only when the list of the repository's environments answers 200.
 * @see https://docs.github.com/en/rest/deployments/environments
 * @see https://docs.github.com/en/rest/deployments/branch-policies
 * @see https://docs.github.com/en/rest/deployments/protection-rules
 * @see https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
 */
import type {
  LiveBranchPolicy,
  LiveCustomProtectionRule,
  LiveEnvironment,
  LiveGitHub,
  LiveProtectionRule,
  LiveReviewer,
} from "../doctor/live.ts";

/** The command could not ask GitHub, or GitHub would not answer: exit 2, with this one line. */
export class GitHubUnavailableError extends Error {}

/**
 * How long one request may take. GitHub answers these in well under a second; a GitHub (or a proxy)
 * that accepts the connection and never answers must not hold doctor: each request gets one try of
 * this long, and the first that runs out ends the run.
 * @default 10000
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/** The most branch-policy pages read (100 each): a list that never ends is an answer doctor refuses. */
export const MAX_POLICY_PAGES = 10;
const PER_PAGE = 100;

/** The REST API's version these answers are read as. @see https://docs.github.com/en/rest/about-the-rest-api/api-versions */
export const API_VERSION = "2022-11-28";

export interface GitHubAccess {
  /** The API's base, without a trailing slash: GITHUB_API_URL, as Actions sets it (GitHub Enterprise: `https://HOST/api/v3`). */
  base: string;
  token: string;
  /** Which variable the token came from, for the messages. */
  tokenName: "GH_TOKEN" | "GITHUB_TOKEN";
  /** OWNER/NAME. */
  repository: string;
}

/** What a token needs to read the environments, said in the lines that ask for one. */
export function tokenNeeds(repository: string): string {
  return `a token that can read ${repository}'s environments (fine-grained: the repository's "Actions" permission, read; classic: the repo scope for a private repository)`;
}

/**
 * The token and the API's base from the environment, as the GitHub CLI reads them (GH_TOKEN before
 * GITHUB_TOKEN); GITHUB_API_URL defaults to https://api.github.com.
 */
export function githubAccess(env: Record<string, string | undefined>, repository: string): GitHubAccess {
  const tokenName = env.GH_TOKEN ? "GH_TOKEN" : env.GITHUB_TOKEN ? "GITHUB_TOKEN" : undefined;
  if (tokenName === undefined)
    throw new GitHubUnavailableError(
      `--github needs ${tokenNeeds(repository)} in GH_TOKEN or GITHUB_TOKEN; with the GitHub CLI: GH_TOKEN=$(gh auth token) npx cordon doctor --github`,
    );
  // A token is printable ASCII without spaces; anything else would fail in the header, and the
  // error would say less than this.
  if (!/^[\x21-\x7e]+$/.test(env[tokenName]!))
    throw new GitHubUnavailableError(
      `the value of ${tokenName} is not a token (it holds spaces, line breaks or other characters a token never has)`,
    );
  const raw = env.GITHUB_API_URL || "https://api.github.com";
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    // The token goes in a header: in clear text only to this machine (a test's or a proxy's loopback).
    (url.protocol !== "https:" &&
      !(url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))) ||
    url.username !== "" ||
    url.password !== "" ||
    url.search !== "" ||
    url.hash !== ""
  )
    throw new GitHubUnavailableError(
      `GITHUB_API_URL: found ${JSON.stringify(raw)}, expected the REST API's base URL, such as https://api.github.com or https://HOST/api/v3 (https, or http on this machine only; no credentials, query or fragment)`,
    );
  return { base: url.href.replace(/\/+$/, ""), token: env[tokenName]!, tokenName, repository };
}

/** One answer: its status, headers and parsed body (undefined when it was not JSON). */
export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

export function githubEnvironments(access: GitHubAccess): LiveGitHub {
  const { repository } = access;
  const get = (path: string) => request(access, path);

  /** Fails with the line that says why an answer other than 200 cannot be read. */
  const refuse = (path: string, answer: Answer): never => {
    throw new GitHubUnavailableError(refusal(access, path, answer));
  };

  return {
    async environment(name) {
      const path = `repos/${repository}/environments/${encodeURIComponent(name)}`;
      const answer = await get(path);
      if (answer.status === 404) {
        // No such environment, or a token that may not see the repository or its environments:
        // the list of environments tells them apart.
        const listPath = `repos/${repository}/environments?per_page=1`;
        const list = await get(listPath);
        if (list.status !== 200) refuse(listPath, list);
        if (!isObject(list.body) || typeof list.body.total_count !== "number") unexpected(listPath, "no total_count");
        return null;
      }
      if (answer.status !== 200) refuse(path, answer);
      const environment = readEnvironment(path, answer.body, name);
      if (environment.deploymentBranchPolicy?.customBranchPolicies)
        environment.branchPolicies = await branchPolicies(`${path}/deployment-branch-policies`);
      environment.customProtectionRules = await customProtectionRules(`${path}/deployment_protection_rules`);
      return environment;
    },
  };

  /** The enabled custom deployment protection rules: one answer, which lists them all (the API takes no page). */
  async function customProtectionRules(path: string): Promise<LiveCustomProtectionRule[]> {
    const answer = await get(path);
    if (answer.status !== 200) refuse(path, answer);
    const body = answer.body;
    if (
      !isObject(body) ||
      typeof body.total_count !== "number" ||
      !Array.isArray(body.custom_deployment_protection_rules)
    )
      unexpected(path, "expected total_count and custom_deployment_protection_rules");
    const items = body.custom_deployment_protection_rules as unknown[];
    // A rule doctor was not shown could hold the job: a list shorter than its count is no answer.
    if (items.length < (body.total_count as number))
      unexpected(path, `total_count is ${body.total_count}, but ${items.length} rules are listed`);
    return items.flatMap((item, index) => {
      const at = `custom_deployment_protection_rules[${index}]`;
      if (!isObject(item) || typeof item.id !== "number" || !Number.isSafeInteger(item.id))
        unexpected(path, `${at} has no id`);
      if (!isObject(item.app) || typeof item.app.slug !== "string") unexpected(path, `${at} has no app slug`);
      if (typeof item.enabled !== "boolean") unexpected(path, `${at}.enabled is not a boolean`);
      return item.enabled ? [{ id: item.id as number, app: (item.app as Record<string, unknown>).slug as string }] : [];
    });
  }

  /** Every page of the branch policies: until a page holds fewer than a full page, or total_count is reached. */
  async function branchPolicies(path: string): Promise<LiveBranchPolicy[]> {
    const policies: LiveBranchPolicy[] = [];
    for (let page = 1; ; page++) {
      if (page > MAX_POLICY_PAGES)
        throw new GitHubUnavailableError(
          `GitHub lists more than ${MAX_POLICY_PAGES * PER_PAGE} branch policies at GET ${path}; doctor reads at most ${MAX_POLICY_PAGES * PER_PAGE}`,
        );
      const pagePath = `${path}?per_page=${PER_PAGE}&page=${page}`;
      const answer = await get(pagePath);
      if (answer.status !== 200) refuse(pagePath, answer);
      const body = answer.body;
      if (!isObject(body) || typeof body.total_count !== "number" || !Array.isArray(body.branch_policies))
        unexpected(pagePath, "expected total_count and branch_policies");
      const items = body.branch_policies as unknown[];
      policies.push(...items.map((item, index) => readPolicy(pagePath, item, index)));
      if (items.length < PER_PAGE || policies.length >= (body.total_count as number)) return policies;
    }
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function unexpected(path: string, what: string): never {
  throw new GitHubUnavailableError(
    `GitHub's answer to GET ${path} is not what its REST API documents (${what}): is GITHUB_API_URL GitHub's REST API?`,
  );
}

function readEnvironment(path: string, body: unknown, name: string): LiveEnvironment {
  if (!isObject(body) || typeof body.name !== "string") unexpected(path, "no environment name");
  const protectionRules = readProtectionRules(path, body.protection_rules);
  // Absent is read as null, GitHub's "no restriction": the rule doctor wants is always there.
  const rule = body.deployment_branch_policy ?? null;
  if (rule !== null) {
    if (
      !isObject(rule) ||
      typeof rule.protected_branches !== "boolean" ||
      typeof rule.custom_branch_policies !== "boolean"
    )
      unexpected(path, "deployment_branch_policy is neither null nor two booleans");
    return {
      name,
      deploymentBranchPolicy: {
        protectedBranches: rule.protected_branches as boolean,
        customBranchPolicies: rule.custom_branch_policies as boolean,
      },
      protectionRules,
      customProtectionRules: [],
    };
  }
  return { name, deploymentBranchPolicy: null, protectionRules, customProtectionRules: [] };
}

/** The most minutes a wait timer holds a job (30 days), as the API documents it. */
const MAX_WAIT_MINUTES = 43_200;

/**
 * `protection_rules`, which the API marks optional (absent: none). Each needs its `type`; a
 * `wait_timer` its minutes and a `required_reviewers` rule readable reviewers, or the answer is not
 * one doctor can judge.
 */
function readProtectionRules(path: string, rules: unknown): LiveProtectionRule[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) unexpected(path, "protection_rules is not a list");
  return (rules as unknown[]).map((item, index): LiveProtectionRule => {
    const at = `protection_rules[${index}]`;
    if (!isObject(item) || typeof item.type !== "string") unexpected(path, `${at} has no type`);
    const rule = item as Record<string, unknown>;
    if (rule.type === "wait_timer") {
      const minutes = rule.wait_timer;
      if (typeof minutes !== "number" || !Number.isInteger(minutes) || minutes < 0 || minutes > MAX_WAIT_MINUTES)
        unexpected(path, `${at}.wait_timer is not a number of minutes from 0 to ${MAX_WAIT_MINUTES}`);
      return { type: "wait_timer", minutes: minutes as number };
    }
    if (rule.type === "required_reviewers") {
      if (rule.reviewers !== undefined && !Array.isArray(rule.reviewers))
        unexpected(path, `${at}.reviewers is not a list`);
      const reviewers = ((rule.reviewers ?? []) as unknown[]).map((entry, i) =>
        readReviewer(path, `${at}.reviewers[${i}]`, entry),
      );
      return { type: "required_reviewers", reviewers };
    }
    return { type: rule.type as string };
  });
}

/** A reviewer: a user by its login, a team by its slug (`type` may be absent: the API marks it optional). */
function readReviewer(path: string, at: string, entry: unknown): LiveReviewer {
  const reviewer = isObject(entry) && isObject(entry.reviewer) ? entry.reviewer : undefined;
  const type = isObject(entry) ? entry.type : undefined;
  if (reviewer !== undefined && (type === "User" || type === undefined) && typeof reviewer.login === "string")
    return { type: "User", name: reviewer.login };
  if (reviewer !== undefined && (type === "Team" || type === undefined) && typeof reviewer.slug === "string")
    return { type: "Team", name: reviewer.slug };
  return unexpected(path, `${at} is neither a user with a login nor a team with a slug`);
}

function readPolicy(path: string, item: unknown, index: number): LiveBranchPolicy {
  if (!isObject(item) || typeof item.name !== "string") unexpected(path, `branch_policies[${index}] has no name`);
  const type = item.type ?? "branch";
  if (type !== "branch" && type !== "tag") unexpected(path, `branch_policies[${index}].type is neither branch nor tag`);
  const id = typeof item.id === "number" && Number.isSafeInteger(item.id) ? item.id : undefined;
  return { ...(id === undefined ? {} : { id }), name: item.name as string, type };
}

/** One GET, bounded by REQUEST_TIMEOUT_MS; a network failure or no answer is a GitHubUnavailableError. */
export async function request(access: GitHubAccess, path: string): Promise<Answer> {
  const url = `${access.base}/${path}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      headers: {
        Accept: "application/vnd.github+json",
        Authorization: `Bearer ${access.token}`,
        "User-Agent": "cordon-doctor",
        "X-GitHub-Api-Version": API_VERSION,
      },
      // A redirect is an answer like any other (a moved repository says so): the token is never
      // sent on to where one points.
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    const cause = error as Error & { cause?: { code?: string } };
    if (cause.name === "TimeoutError" || cause.name === "AbortError")
      throw new GitHubUnavailableError(
        `GitHub did not answer GET ${path} within ${REQUEST_TIMEOUT_MS / 1000} s at ${access.base}: check the network, GITHUB_API_URL and the proxy settings`,
      );
    throw new GitHubUnavailableError(
      `cannot reach GitHub at ${access.base} for GET ${path}${cause.cause?.code ? ` (${cause.cause.code})` : ""}: check the network, GITHUB_API_URL and the proxy settings`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status === 200 && body === undefined) unexpected(path, "not JSON");
  return { status: response.status, headers: response.headers, body };
}

/** What an endpoint shows, and the token that may read it, for the lines that refuse an answer. */
export interface Reading {
  /** What a 404 says the token may not read, such as `environments`. */
  what: string;
  /** The token that would do: tokenNeeds() for the environments. */
  needs: string;
}

/** The line for an answer doctor cannot use: who refused what, and what would do. */
export function refusal(
  access: GitHubAccess,
  path: string,
  answer: Answer,
  reading: Reading = { what: "environments", needs: tokenNeeds(access.repository) },
): string {
  const { status, headers } = answer;
  const said = isObject(answer.body) && typeof answer.body.message === "string" ? answer.body.message : undefined;
  // GitHub's own words, short, and never the token (a server that echoes it back gets it masked).
  const quoted = said === undefined ? "" : ` (${JSON.stringify(said.slice(0, 200).replaceAll(access.token, "***"))})`;
  const head = `GitHub answered ${status} to GET ${path}${quoted}`;
  const needs = `--github needs ${reading.needs}`;
  if (status === 429 || (status === 403 && headers.get("x-ratelimit-remaining") === "0")) {
    const reset = Number(headers.get("x-ratelimit-reset"));
    const when =
      Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString().replace(/\.000Z$/, "Z") : "a minute";
    return `${head}: the token's rate limit is used up; run doctor again after ${when}`;
  }
  if (status === 401)
    return `${head}: GitHub does not accept the token in ${access.tokenName} (expired or revoked?); ${needs}`;
  if (status === 403) return `${head}: the token in ${access.tokenName} may not read it; ${needs}`;
  if (status === 404)
    return `${head}: no repository ${access.repository} whose ${reading.what} the token in ${access.tokenName} may read (GitHub answers 404, not 403, for what a token may not see); ${needs}`;
  if (status >= 300 && status < 400)
    return `${head}: the repository was renamed or moved? pass --repository as GitHub spells it now (the roles' trust names it exactly)`;
  if (status >= 500) return `${head}: GitHub could not answer; run doctor again later`;
  return `${head}: not an answer doctor can read`;
}
