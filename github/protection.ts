/**
 * What `doctor --github` reads of main's rules and of where the secrets live (doctor/live.ts's
 * LiveRepositoryRules), through github/environments.ts's one GET: the same timeout, the same lines
 * for an answer that cannot be read (exit 2), each naming the permission its endpoint needs.
 *
 * What the endpoints answer, as GitHub's REST API description says (read, not run against GitHub):
 * - GET /repos/{owner}/{repo}/rules/branches/{branch}?per_page=&page=: 200 with the rules of every
 *   active ruleset that applies to the branch, the repository's and its organization's, `[{ type,
 *   parameters, ruleset_source_type: "Repository" | "Organization", ruleset_source, ruleset_id }]`;
 *   a `pull_request` rule's parameters hold `dismiss_stale_reviews_on_push`,
 *   `require_code_owner_review`, `require_last_push_approval` (booleans, all required there), a
 *   `required_status_checks` rule's `required_status_checks: [{ context, integration_id? }]`. Pages
 *   of at most 100. Read access to the repository is enough (fine-grained: "Metadata", read).
 * - GET /repos/{owner}/{repo}/branches/{branch}/protection: 200 with `required_pull_request_reviews`
 *   (`dismiss_stale_reviews`, `require_code_owner_reviews`, `require_last_push_approval`, default
 *   false) and `required_status_checks` (`contexts`, and `checks: [{ context, app_id }]`), each
 *   absent when not required; 404 when the branch is not protected. It needs an administrator's
 *   token (fine-grained: "Administration", read).
 * - GET /repos/{owner}/{repo}/actions/secrets?per_page=&page= and …/actions/organization-secrets:
 *   200 with `{ total_count, secrets: [{ name, created_at, updated_at }] }`, names without values,
 *   pages of at most 100 (fine-grained: "Secrets", read; classic: the repo scope).
 * @see https://docs.github.com/en/rest/repos/rules#get-rules-for-a-branch
 * @see https://docs.github.com/en/rest/branches/branch-protection#get-branch-protection
 * @see https://docs.github.com/en/rest/actions/secrets#list-repository-secrets
 * @see https://docs.github.com/en/rest/actions/secrets#list-repository-organization-secrets
 */
import type { LiveRepositoryRules, LiveReviewRules } from "../doctor/live.ts";
import { either } from "../doctor/protection.ts";
import {
  GitHubUnavailableError,
  isObject,
  MAX_POLICY_PAGES,
  type Answer,
  type GitHubAccess,
  type Reading,
  refusal,
  request,
  unexpected,
} from "./environments.ts";

const PER_PAGE = 100;

/** What each endpoint needs, said in the line that refuses its answer. */
export function readings(repository: string): Record<"rules" | "protection" | "secrets", Reading> {
  return {
    rules: {
      what: "rules",
      needs: `a token that can read ${repository}'s rules (fine-grained: the repository's "Metadata" permission, read; classic: the repo scope for a private repository)`,
    },
    protection: {
      what: "branch protection",
      needs: `a token that can read main's branch protection in ${repository}, an administrator's (fine-grained: the repository's "Administration" permission, read; classic: the repo scope), or a ruleset that requires what docs/setup.md says, which any token that can read the repository reads`,
    },
    secrets: {
      what: "secrets",
      needs: `a token that can list ${repository}'s secrets, names only (fine-grained: the repository's "Secrets" permission, read; classic: the repo scope)`,
    },
  };
}

export function githubProtection(access: GitHubAccess): LiveRepositoryRules {
  const needs = readings(access.repository);
  const refuse = (path: string, answer: Answer, reading: (typeof needs)[keyof typeof needs]): never => {
    throw new GitHubUnavailableError(refusal(access, path, answer, reading));
  };

  /** Every page of a list, until one holds fewer than a full page (or `total_count` is reached). */
  async function pages(
    path: string,
    reading: (typeof needs)[keyof typeof needs],
    items: (pagePath: string, body: unknown) => { list: unknown[]; total?: number },
  ): Promise<{ pagePath: string; item: unknown; index: number }[]> {
    const all: { pagePath: string; item: unknown; index: number }[] = [];
    for (let page = 1; ; page++) {
      if (page > MAX_POLICY_PAGES)
        throw new GitHubUnavailableError(
          `GitHub lists more than ${MAX_POLICY_PAGES * PER_PAGE} entries at GET ${path}; doctor reads at most ${MAX_POLICY_PAGES * PER_PAGE}`,
        );
      const pagePath = `${path}?per_page=${PER_PAGE}&page=${page}`;
      const answer = await request(access, pagePath);
      if (answer.status !== 200) refuse(pagePath, answer, reading);
      const { list, total } = items(pagePath, answer.body);
      all.push(...list.map((item, index) => ({ pagePath, item, index })));
      if (list.length < PER_PAGE || (total !== undefined && all.length >= total)) return all;
    }
  }

  async function secretNames(path: string): Promise<string[]> {
    const entries = await pages(path, needs.secrets, (pagePath, body) => {
      if (!isObject(body) || typeof body.total_count !== "number" || !Array.isArray(body.secrets))
        unexpected(pagePath, "expected total_count and secrets");
      return { list: body.secrets as unknown[], total: body.total_count as number };
    });
    const names = entries.map(({ pagePath, item, index }) => {
      if (!isObject(item) || typeof item.name !== "string") unexpected(pagePath, `secrets[${index}] has no name`);
      return item.name as string;
    });
    return [...new Set(names)];
  }

  return {
    async branchRules(branch) {
      const path = `repos/${access.repository}/rules/branches/${encodeURIComponent(branch)}`;
      const entries = await pages(path, needs.rules, (pagePath, body) => {
        if (!Array.isArray(body)) unexpected(pagePath, "not a list of rules");
        return { list: body as unknown[] };
      });
      let reviews: LiveReviewRules | null = null;
      const checks: string[] = [];
      const rulesets = new Map<number, { id: number; repository: boolean; types: string[] }>();
      for (const { pagePath, item, index } of entries) {
        const at = `[${index}]`;
        if (!isObject(item) || typeof item.type !== "string") unexpected(pagePath, `${at} has no type`);
        const rule = item as Record<string, unknown>;
        const parameters = isObject(rule.parameters) ? rule.parameters : {};
        if (typeof rule.ruleset_id === "number" && Number.isSafeInteger(rule.ruleset_id)) {
          const ruleset = rulesets.get(rule.ruleset_id) ?? {
            id: rule.ruleset_id,
            repository:
              rule.ruleset_source_type === "Repository" &&
              typeof rule.ruleset_source === "string" &&
              rule.ruleset_source.toLowerCase() === access.repository.toLowerCase(),
            types: [],
          };
          ruleset.types = [...new Set([...ruleset.types, rule.type as string])];
          rulesets.set(ruleset.id, ruleset);
        }
        if (rule.type === "pull_request") {
          const flag = (name: string): boolean => {
            if (typeof parameters[name] !== "boolean")
              unexpected(pagePath, `${at}.parameters.${name} is not a boolean`);
            return parameters[name] as boolean;
          };
          const these = {
            codeOwnerReview: flag("require_code_owner_review"),
            dismissStaleReviews: flag("dismiss_stale_reviews_on_push"),
            // Newer than the two others: absent from an answer of before it, as false.
            lastPushApproval:
              parameters.require_last_push_approval === undefined ? false : flag("require_last_push_approval"),
          };
          reviews = either(reviews, these);
        } else if (rule.type === "required_status_checks") {
          const list = parameters.required_status_checks;
          if (!Array.isArray(list)) unexpected(pagePath, `${at}.parameters.required_status_checks is not a list`);
          for (const [i, check] of (list as unknown[]).entries()) {
            if (!isObject(check) || typeof check.context !== "string")
              unexpected(pagePath, `${at}.parameters.required_status_checks[${i}] has no context`);
            checks.push((check as Record<string, unknown>).context as string);
          }
        }
      }
      return {
        reviews,
        checks: [...new Set(checks)],
        rulesets: [...rulesets.values()].sort((a, b) => a.id - b.id),
      };
    },

    async branchProtection(branch) {
      const path = `repos/${access.repository}/branches/${encodeURIComponent(branch)}/protection`;
      const answer = await request(access, path);
      // "Branch not protected". A token that may not read it gets 403 ("Resource not accessible").
      if (answer.status === 404) return null;
      if (answer.status !== 200) refuse(path, answer, needs.protection);
      const body = answer.body;
      if (!isObject(body)) unexpected(path, "not an object");
      const pr = body.required_pull_request_reviews;
      let reviews: LiveReviewRules | null = null;
      if (pr !== undefined && pr !== null) {
        if (!isObject(pr)) unexpected(path, "required_pull_request_reviews is not an object");
        const flag = (name: string, absent?: boolean): boolean => {
          const value = pr[name];
          if (value === undefined && absent !== undefined) return absent;
          if (typeof value !== "boolean") unexpected(path, `required_pull_request_reviews.${name} is not a boolean`);
          return value as boolean;
        };
        reviews = {
          codeOwnerReview: flag("require_code_owner_reviews"),
          dismissStaleReviews: flag("dismiss_stale_reviews"),
          lastPushApproval: flag("require_last_push_approval", false),
        };
      }
      const checks: string[] = [];
      const required = body.required_status_checks;
      if (required !== undefined && required !== null) {
        if (!isObject(required)) unexpected(path, "required_status_checks is not an object");
        const { contexts, checks: listed } = required;
        if (contexts !== undefined && (!Array.isArray(contexts) || contexts.some((c) => typeof c !== "string")))
          unexpected(path, "required_status_checks.contexts is not a list of names");
        if (
          listed !== undefined &&
          (!Array.isArray(listed) || listed.some((c) => !isObject(c) || typeof c.context !== "string"))
        )
          unexpected(path, "required_status_checks.checks is not a list of checks with a context");
        checks.push(
          ...((contexts ?? []) as string[]),
          ...((listed ?? []) as Record<string, unknown>[]).map((check) => check.context as string),
        );
      }
      return { reviews, checks: [...new Set(checks)] };
    },

    async secrets() {
      return {
        repository: await secretNames(`repos/${access.repository}/actions/secrets`),
        organization: await secretNames(`repos/${access.repository}/actions/organization-secrets`),
      };
    },
  };
}
