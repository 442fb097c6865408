/**
 * `doctor --github`: whether main's rules make every change a code owner's, and whether the write
 * secrets live only in their environments. What merges to main, apply.yml's `up` runs with the
 * deployer role: so a pull request must need a code owner's approval, an approval must not survive
 * a later push (GitHub keeps it by default: after a code owner approves, the author could push a
 * change to program/, policy/ or a workflow, and it would merge on the old approval), the last push
 * must be approved by someone other than its pusher, and the two checks must pass. And a write
 * secret kept as a repository or organization secret reaches every job of every branch, a pull
 * request's from a branch of the repository included, whatever its environment's branch rule says.
 * Pure: what GitHub answered in, checks out; github/protection.ts asks GitHub.
 * @see https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets#require-a-pull-request-before-merging
 */
import { compareText } from "../incident/order.ts";
import { type Check, WORKFLOW_SECRETS } from "./checks.ts";
import { DEPLOY_BRANCH } from "./environments.ts";
import type { LiveBranchRules, LiveReviewRules, LiveSecrets } from "./live.ts";

/**
 * The checks main requires: incident-pull-request.yml's judge and check jobs, by their names (a
 * job's check is named after its `name:`; test/workflows.test.ts keeps the two equal). Both: a job
 * whose `needs:` failed is skipped, and GitHub counts a skipped check as passed.
 */
export const REQUIRED_CHECKS: readonly string[] = [
  "guard, with the base branch's code",
  "validate, the accounts to preview",
];

/** Two sets of review rules as GitHub enforces them together: each requirement of either. */
export function either(a: LiveReviewRules | null, b: LiveReviewRules | null): LiveReviewRules | null {
  if (a === null) return b;
  if (b === null) return a;
  return {
    codeOwnerReview: a.codeOwnerReview || b.codeOwnerReview,
    dismissStaleReviews: a.dismissStaleReviews || b.dismissStaleReviews,
    lastPushApproval: a.lastPushApproval || b.lastPushApproval,
  };
}

/**
 * The required checks as jq's variables `$check1`, `$check2`…: a check's name holds an apostrophe,
 * which a single-quoted jq program cannot, so each is passed double-quoted (the names hold no `"`,
 * `$`, `` ` `` or `\\`, which double quotes would read).
 */
const CHECK_ARGS = REQUIRED_CHECKS.map((name, i) => `--arg check${i + 1} ${JSON.stringify(name)}`).join(" ");
const CHECKS_JQ = `[${REQUIRED_CHECKS.map((_, i) => `{context: $check${i + 1}}`).join(", ")}]`;

/**
 * The ruleset docs/setup.md's step 3 creates: on main, a pull request with a code owner's
 * approval, stale approvals dismissed, the last push approved, the two checks, the merge queue;
 * the contain App (YOUR-CONTAIN-APP: its slug) may push past it (docs/contain.md#a-protected-main).
 */
export function rulesetCommand(repository: string): string {
  const ruleset = {
    name: "cordon main",
    target: "branch",
    enforcement: "active",
    conditions: { ref_name: { include: [`refs/heads/${DEPLOY_BRANCH}`], exclude: [] } },
    bypass_actors: [{ actor_id: "APP", actor_type: "Integration", bypass_mode: "always" }],
    rules: [
      {
        type: "pull_request",
        parameters: {
          required_approving_review_count: 1,
          dismiss_stale_reviews_on_push: true,
          require_code_owner_review: true,
          require_last_push_approval: true,
          required_review_thread_resolution: false,
        },
      },
      {
        type: "required_status_checks",
        parameters: {
          strict_required_status_checks_policy: false,
          required_status_checks: REQUIRED_CHECKS.map((context) => ({ context })),
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
    ],
  };
  // jq puts in the App's id, as a number, and the checks' names; the rest is the JSON above.
  const program = JSON.stringify(ruleset)
    .replace('"APP"', "$app")
    .replace(JSON.stringify(REQUIRED_CHECKS.map((context) => ({ context }))), CHECKS_JQ);
  return `jq -n --argjson app "$(gh api apps/YOUR-CONTAIN-APP --jq .id)" ${CHECK_ARGS} '${program}' | gh api -X POST repos/${repository}/rulesets --input -`;
}

/**
 * The edit of a ruleset that already applies to main: its pull_request rule (added if it has none)
 * requires the three settings, its required_status_checks rule (likewise) the two checks; the rest
 * of the ruleset, its bypass list included, as it was.
 */
export function rulesetEdit(repository: string, id: number): string {
  const add = (type: string, parameters: string) =>
    `(if any(.rules[]; .type == "${type}") then [] else [{type: "${type}", parameters: ${parameters}}] end)`;
  const program = [
    "{name, target, enforcement, conditions, bypass_actors, rules: ((.rules",
    ` + ${add("pull_request", "{required_approving_review_count: 1, dismiss_stale_reviews_on_push: true, require_code_owner_review: true, require_last_push_approval: true, required_review_thread_resolution: false}")}`,
    ` + ${add("required_status_checks", "{strict_required_status_checks_policy: false, required_status_checks: []}")})`,
    ' | map(if .type == "pull_request" then .parameters += {dismiss_stale_reviews_on_push: true, require_code_owner_review: true, require_last_push_approval: true}',
    ` elif .type == "required_status_checks" then .parameters.required_status_checks += (${CHECKS_JQ} - [.parameters.required_status_checks[] | {context}])`,
    " else . end))}",
  ].join("");
  return `gh api repos/${repository}/rulesets/${id} | jq ${CHECK_ARGS} '${program}' | gh api -X PUT repos/${repository}/rulesets/${id} --input -`;
}

export interface ProtectionInput {
  /** OWNER/NAME. */
  repository: string;
  /** The active rulesets' rules for main. */
  rules: LiveBranchRules;
  /** main's classic protection (null: none); undefined when not read, since the rulesets hold everything. */
  protection?: LiveBranchRules | null;
}

/** What the rules of both sources leave open, as the check's problems; empty when main is protected as docs/setup.md says. */
export function protectionProblems(rules: LiveBranchRules, protection?: LiveBranchRules | null): string[] {
  const reviews = either(rules.reviews, protection?.reviews ?? null);
  const checks = new Set([...rules.checks, ...(protection?.checks ?? [])]);
  const problems: string[] = [];
  if (!reviews?.codeOwnerReview)
    problems.push(
      "code owner review is not required: a change to program/, policy/ or a workflow merges without the security team's approval",
    );
  if (!reviews?.dismissStaleReviews)
    problems.push(
      "stale pull request approvals are not dismissed when new commits are pushed: an approval survives the pushes after it, so what merges can be what no code owner saw",
    );
  if (!reviews?.lastPushApproval)
    problems.push(
      "approval of the most recent reviewable push is not required: whoever pushes last can merge on approvals given before that push",
    );
  const missing = REQUIRED_CHECKS.filter((name) => !checks.has(name));
  if (missing.length > 0)
    problems.push(
      `${missing.length === 1 ? "the required check" : "the required checks"} ${missing.map((name) => JSON.stringify(name)).join(" and ")} ${missing.length === 1 ? "is" : "are"} not required: a pull request merges without ${missing.length === 1 ? "it" : "them"}`,
    );
  return problems;
}

/** Whether main's rules require what docs/setup.md says, from its rulesets and its branch protection together. */
export function mainProtectionCheck(input: ProtectionInput): Check {
  const name = `branch ${DEPLOY_BRANCH}'s rules`;
  const { rules, protection } = input;
  const problems = protectionProblems(rules, protection);
  const sources = [
    ...(rules.reviews !== null || rules.checks.length > 0 ? ["rulesets"] : []),
    ...(protection && (protection.reviews !== null || protection.checks.length > 0) ? ["branch protection"] : []),
  ];
  if (problems.length === 0)
    return {
      name,
      ok: true,
      detail: `a pull request needs a code owner's approval of its last push, by someone other than its pusher, stale approvals dismissed, and the checks ${REQUIRED_CHECKS.map((c) => JSON.stringify(c)).join(" and ")} (${sources.join(" and ")})`,
    };
  // Edit the repository's own ruleset that holds the most of it; without one, add docs/setup.md's.
  const own = (rules.rulesets ?? []).filter((ruleset) => ruleset.repository);
  const rank = (types: string[]) =>
    (types.includes("pull_request") ? 2 : 0) + (types.includes("required_status_checks") ? 1 : 0);
  const target = [...own].sort((a, b) => rank(b.types) - rank(a.types) || a.id - b.id)[0];
  const nothing =
    sources.length === 0 ? "no ruleset or branch protection requires anything of a pull request into main: " : "";
  return {
    name,
    ok: false,
    detail: `${nothing}${problems.join("; ")}. apply.yml's up runs what merges to ${DEPLOY_BRANCH} with the deployer role`,
    fix: target === undefined ? rulesetCommand(input.repository) : rulesetEdit(input.repository, target.id),
  };
}

/** The write secrets (WORKFLOW_SECRETS), sorted: none may live outside its environment. */
export function writeSecrets(): string[] {
  return Object.entries(WORKFLOW_SECRETS)
    .filter(([, secret]) => secret.write)
    .map(([secretName]) => secretName)
    .sort(compareText);
}

/** Whether a write secret is kept as a repository or organization secret (GitHub compares names without case). */
export function secretsCheck(repository: string, secrets: LiveSecrets): Check {
  const name = "write secrets outside the environments";
  const owner = repository.split("/")[0];
  const found = (names: string[]) =>
    writeSecrets().filter((secret) => names.some((n) => n.toUpperCase() === secret.toUpperCase()));
  const atRepository = found(secrets.repository);
  const atOrganization = found(secrets.organization);
  if (atRepository.length === 0 && atOrganization.length === 0)
    return {
      name,
      ok: true,
      detail: `none of ${writeSecrets().join(", ")} is a repository or organization secret of ${repository}`,
    };
  const problems = [
    ...atRepository.map((secret) => `${secret} is a repository secret`),
    ...atOrganization.map(
      (secret) =>
        `${secret} is an organization secret of ${owner} that ${repository} may use (deleting it takes it from every repository of ${owner} it is shared with)`,
    ),
  ];
  return {
    name,
    ok: false,
    detail: `${problems.join("; ")}: every job of every branch gets ${problems.length === 1 ? "it" : "them"}, a pull request's from a branch of the repository included, running the workflow file that branch holds; a write secret belongs in its environment only (gh secret set NAME --env ENVIRONMENT, docs/setup.md's step 3)`,
    fix: [
      ...atRepository.map((secret) => `gh secret delete ${secret} --repo ${repository}`),
      ...atOrganization.map((secret) => `gh secret delete ${secret} --org ${owner}`),
    ].join(" && "),
  };
}
