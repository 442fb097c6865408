/**
 * `doctor --github`: whether each GitHub environment that holds cordon's write secrets lets only
 * `main` deploy to it. The secrets, and the AWS roles whose OIDC trust pins
 * `repo:OWNER/NAME:environment:NAME`, are `main`'s only as long as the environment's deployment
 * branch rule says so: an environment made in GitHub's settings has no rule, and then a run on any
 * branch (a pull request from a branch of the repository, a push elsewhere, a dispatch with `--ref`)
 * can name it. And whether a job that names one starts at once: a required reviewer, a wait timer or
 * an app's custom protection rule holds the job, and the contain workflow and the reconcile must not
 * wait. Pure: what GitHub answered in, checks out; github/environments.ts asks GitHub.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments#deployment-branches-and-tags
 */
import { compareText } from "../incident/order.ts";
import { ENVIRONMENTS } from "../permissions/roles.ts";
import { WORKFLOW_SECRETS, type Check } from "./checks.ts";
import type { LiveBranchPolicy, LiveEnvironment, LiveReviewer } from "./live.ts";

/** The one branch that may deploy to the write environments. */
export const DEPLOY_BRANCH = "main";

/** The environments the write secrets live in (WORKFLOW_SECRETS), sorted. */
export function writeEnvironments(): string[] {
  const names = Object.values(WORKFLOW_SECRETS)
    .filter((secret) => secret.write)
    .flatMap((secret) => secret.environments)
    .filter((name): name is string => name !== null);
  return [...new Set(names)].sort(compareText);
}

export interface EnvironmentInput {
  /** OWNER/NAME. */
  repository: string;
  /** What GitHub answered for each of writeEnvironments(): null when there is no such environment. */
  environments: Record<string, LiveEnvironment | null>;
}

/**
 * Ruby's File.fnmatch, which GitHub matches the policies' names with, reads `*`, `?`, `[` and, with
 * its extended globbing, `{`; `\` escapes. A name with none of them matches that one name only.
 */
const PATTERN = /[*?[{\\]/;

/** The commands that give `environment` the one rule: custom branch policies, of which the branch main. */
function ruleFix(repository: string, environment: string): string {
  return `gh api -X PUT repos/${repository}/environments/${environment} -F 'deployment_branch_policy[protected_branches]=false' -F 'deployment_branch_policy[custom_branch_policies]=true' && ${addMainFix(repository, environment)}`;
}

function addMainFix(repository: string, environment: string): string {
  return `gh api -X POST repos/${repository}/environments/${environment}/deployment-branch-policies -f name=${DEPLOY_BRANCH} -f type=branch`;
}

/** Whether `policy` is the one policy the rule wants: the branch main, by its exact name. */
function isMain(policy: LiveBranchPolicy): boolean {
  return policy.type === "branch" && policy.name === DEPLOY_BRANCH;
}

/** What a policy other than the branch main lets deploy. */
function describePolicy(policy: LiveBranchPolicy): string {
  const name = JSON.stringify(policy.name);
  if (policy.type === "tag")
    return `the tag policy ${name}: ${PATTERN.test(policy.name) ? "every tag it matches" : "a tag of that name"} may deploy`;
  return PATTERN.test(policy.name)
    ? `the branch policy ${name} is a pattern: every branch it matches may deploy`
    : `the branch policy ${name}: that branch may deploy`;
}

/**
 * The checks of the write environments, in writeEnvironments()'s order: for each, its deployment
 * branch rule, then (when it exists) its protection rules.
 */
export function environmentChecks(input: EnvironmentInput): Check[] {
  return writeEnvironments().flatMap((environment) => {
    const live = input.environments[environment] ?? null;
    const rule = branchRuleCheck(input.repository, environment, live);
    return live === null ? [rule] : [rule, protectionCheck(input.repository, environment, live)];
  });
}

/** Whether only main may deploy to `environment`. */
function branchRuleCheck(repository: string, environment: string, live: LiveEnvironment | null): Check {
  const name = `GitHub environment ${environment}`;
  const fix = ruleFix(repository, environment);
  if (live === null)
    return {
      name,
      ok: false,
      detail: `${repository} has no environment ${environment}: the first job that names it creates it with no deployment branch rule, and a run on any branch could then name it too`,
      fix,
    };
  const rule = live.deploymentBranchPolicy;
  if (rule === null || (!rule.protectedBranches && !rule.customBranchPolicies))
    return {
      name,
      ok: false,
      detail:
        "no deployment branch rule: a run on any branch or tag may name it, and get its secrets and the AWS roles that trust it",
      fix,
    };
  if (rule.protectedBranches)
    return {
      name,
      ok: false,
      detail: `deploys from protected branches: every protected branch may name it, not only ${DEPLOY_BRANCH} (and every branch while none is protected)`,
      fix,
    };
  const policies = [...(live.branchPolicies ?? [])].sort(
    (a, b) => compareText(a.type, b.type) || compareText(a.name, b.name) || (a.id ?? 0) - (b.id ?? 0),
  );
  const main = policies.find(isMain);
  const others = policies.filter((policy) => policy !== main);
  if (main !== undefined && others.length === 0)
    return {
      name,
      ok: true,
      detail: `only ${DEPLOY_BRANCH} may deploy to it (one custom branch policy: the branch ${DEPLOY_BRANCH})`,
    };
  const problems = others.map(describePolicy);
  const fixes = others.map((policy) =>
    policy.id === undefined
      ? `remove the ${policy.type} policy ${JSON.stringify(policy.name)} in the repository's settings (Environments, ${environment})`
      : `gh api -X DELETE repos/${repository}/environments/${environment}/deployment-branch-policies/${policy.id}`,
  );
  if (main === undefined) {
    problems.push(`no branch policy "${DEPLOY_BRANCH}": ${DEPLOY_BRANCH}'s runs cannot deploy to it`);
    fixes.push(addMainFix(repository, environment));
  }
  return {
    name,
    ok: false,
    detail: `custom branch policies other than exactly the branch ${DEPLOY_BRANCH}: ${problems.join("; ")}`,
    fix: fixes.join(" && "),
  };
}

/**
 * What waits when a job that names the environment is held, and why it must not: the contract of
 * docs/contain.md and docs/setup.md's step 3 (no required reviewer, no wait timer, no app gating).
 */
const MUST_NOT_WAIT: Readonly<Record<string, string>> = {
  [ENVIRONMENTS.apply]: `apply.yml's pulumi up (after each merge and in the hourly reconcile) and contain.yml's pulumi up name ${ENVIRONMENTS.apply}: they must not stall waiting for an approval nobody gives during an incident`,
  [ENVIRONMENTS.contain]: `contain.yml's contain job, which disables the leaked key, names ${ENVIRONMENTS.contain}: it must not wait for a review, a timer or an app, since a leaked key is used within minutes`,
};

/** The one PUT that clears the built-in rules found, restating the branch rule so that it cannot be reset. */
function protectionFix(repository: string, environment: string, fields: string[]): string {
  return `gh api -X PUT repos/${repository}/environments/${environment} ${fields.join(" ")} -F 'deployment_branch_policy[protected_branches]=false' -F 'deployment_branch_policy[custom_branch_policies]=true'`;
}

function describeReviewer(reviewer: LiveReviewer): string {
  return `the ${reviewer.type === "Team" ? "team" : "user"} ${JSON.stringify(reviewer.name)}`;
}

/**
 * Whether a job that names `environment` starts at once: no `required_reviewers` rule, no
 * `wait_timer` of more than 0 minutes, no other rule but `branch_policy` (the branch rule above),
 * and no custom deployment protection rule (an app that approves each deployment).
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments#deployment-protection-rules
 */
function protectionCheck(repository: string, environment: string, live: LiveEnvironment): Check {
  const name = `GitHub environment ${environment} protection rules`;
  const problems: string[] = [];
  const fields: string[] = [];
  const others: string[] = [];
  const rules = [...live.protectionRules].sort((a, b) => compareText(a.type, b.type));
  for (const rule of rules) {
    if (rule.type === "branch_policy") continue;
    if (rule.type === "required_reviewers") {
      const who = (rule.reviewers ?? []).map(describeReviewer).sort(compareText);
      problems.push(
        `required reviewers${who.length === 0 ? "" : ` (${who.join(", ")})`}: each job waits until one of them approves it`,
      );
      fields.push("-F reviewers=null");
    } else if (rule.type === "wait_timer") {
      if ((rule.minutes ?? 0) === 0) continue;
      problems.push(
        `a wait timer of ${rule.minutes} minute${rule.minutes === 1 ? "" : "s"}: each job waits that long before it starts`,
      );
      fields.push("-F wait_timer=0");
    } else {
      problems.push(`a protection rule of type ${JSON.stringify(rule.type)}: each job waits until it passes`);
      others.push(
        `remove the ${JSON.stringify(rule.type)} rule in the repository's settings (Environments, ${environment})`,
      );
    }
  }
  const apps = [...live.customProtectionRules].sort((a, b) => compareText(a.app, b.app) || a.id - b.id);
  for (const rule of apps)
    problems.push(
      `the custom deployment protection rule of the app ${JSON.stringify(rule.app)}: each job waits until the app approves it`,
    );
  if (problems.length === 0)
    return {
      name,
      ok: true,
      detail:
        "a job that names it starts at once (no required reviewers, no wait timer, no custom deployment protection rule)",
    };
  const fixes = [
    ...(fields.length === 0 ? [] : [protectionFix(repository, environment, [...new Set(fields)])]),
    ...others,
    ...apps.map(
      (rule) =>
        `gh api -X DELETE repos/${repository}/environments/${environment}/deployment_protection_rules/${rule.id}`,
    ),
  ];
  return {
    name,
    ok: false,
    detail: `${problems.join("; ")}. ${MUST_NOT_WAIT[environment]}`,
    fix: fixes.join(" && "),
  };
}
