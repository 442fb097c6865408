/**
 * What `doctor` reads of one account (aws/doctor.ts answers it with the SDK; the tests with moto).
 * And of the GitHub repository (github/environments.ts, with the REST API; the tests with a loopback server).
 */
import type { PolicyDocument } from "../plan/policies.ts";

export interface LiveOidcProvider {
  arn: string;
  /** As IAM returns it: the issuer without `https://`. */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Record<string, string>;
}

export interface LiveRole {
  name: string;
  path: string;
  description: string;
  maxSessionDuration: number;
  trust: PolicyDocument;
  /** Inline policies by name. */
  inline: Record<string, PolicyDocument>;
  /** ARNs of the attached managed policies, sorted. */
  attached: string[];
}

export interface LiveRoot {
  id: string;
  /** The policy types enabled on this root, sorted. */
  enabled: string[];
}

/** A queue, and how many messages wait in it. */
export interface LiveQueue {
  url: string;
  /**
   * SQS's ApproximateNumberOfMessages: the messages available to receive, an approximate count
   * that settles about a minute after messages stop arriving.
   */
  messages: number;
}

/**
 * What IAM answers about the organization's centralized root access (ListOrganizationsFeatures):
 * the features enabled, or why it refused to say, by its error's name
 * (`ServiceAccessNotEnabledException`: IAM's trusted access is off;
 * `AccountNotManagementOrDelegatedAdministratorException`: this account may not use it;
 * `OrganizationNotFoundException`, `OrganizationNotInAllFeaturesModeException`).
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html
 */
export type LiveRootAccess = { enabled: string[] } | { refused: string };

export interface LiveSetup {
  /** The account of the credentials in use. */
  account(): Promise<string>;
  oidcProvider(arn: string): Promise<LiveOidcProvider | null>;
  role(name: string): Promise<LiveRole | null>;
  /** The organization's roots (only the management account or a delegated administrator for policies may ask). */
  roots(): Promise<LiveRoot[]>;
  /** The organization's centralized root access, as this account sees it. */
  rootAccess(): Promise<LiveRootAccess>;
  /**
   * The queue `name` of `region` in this account and how many messages wait in it, read without
   * receiving any (a received message is hidden from everyone else for a while); null when there
   * is no such queue.
   */
  queue(region: string, name: string): Promise<LiveQueue | null>;
}

/**
 * One of a repository's GitHub environments, as GitHub's REST API answers "Get an environment"
 * (GET /repos/{owner}/{repo}/environments/{environment_name}) and "List deployment branch
 * policies" (…/deployment-branch-policies, every page). github/environments.ts reads it; the tests
 * answer it from a loopback server.
 * @see https://docs.github.com/en/rest/deployments/environments#get-an-environment
 * @see https://docs.github.com/en/rest/deployments/branch-policies#list-deployment-branch-policies
 */
export interface LiveEnvironment {
  name: string;
  /**
   * `deployment_branch_policy`: `null` (GitHub's "No restriction": every branch and tag may deploy),
   * or which of the two rules holds.
   */
  deploymentBranchPolicy: { protectedBranches: boolean; customBranchPolicies: boolean } | null;
  /** The branch and tag policies, read only when `customBranchPolicies` is true. */
  branchPolicies?: LiveBranchPolicy[];
  /**
   * `protection_rules`: the built-in deployment protection rules, as the environment lists them
   * (absent, as the API marks it optional: none).
   */
  protectionRules: LiveProtectionRule[];
  /**
   * The enabled custom deployment protection rules (GitHub Apps that approve or reject each
   * deployment): "Get all deployment protection rules for an environment",
   * GET …/environments/{environment_name}/deployment_protection_rules.
   * @see https://docs.github.com/en/rest/deployments/protection-rules#get-all-deployment-protection-rules-for-an-environment
   */
  customProtectionRules: LiveCustomProtectionRule[];
}

/**
 * One of `protection_rules`: `type` is `required_reviewers`, `wait_timer` or `branch_policy` in the
 * API's description (its examples; the field is a free string), any other type kept as GitHub named it.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments#deployment-protection-rules
 */
export interface LiveProtectionRule {
  type: string;
  /** A `wait_timer` rule's minutes (0 to 43,200) a job waits once it names the environment. */
  minutes?: number;
  /** A `required_reviewers` rule's reviewers, any one of whom approves a job. */
  reviewers?: LiveReviewer[];
}

/** Who may approve: a user by login, a team by slug. */
export interface LiveReviewer {
  type: "User" | "Team";
  name: string;
}

export interface LiveCustomProtectionRule {
  /** What disabling it takes (…/deployment_protection_rules/{id}). */
  id: number;
  /** The GitHub App's slug. */
  app: string;
}

export interface LiveBranchPolicy {
  /** What deleting it takes (`…/deployment-branch-policies/{id}`); the API marks it optional. */
  id?: number;
  /** The name pattern (Ruby's File.fnmatch: `*` matches within one path segment). */
  name: string;
  /**
   * `branch` or `tag`. GitHub added tag policies in October 2023; an answer without `type` comes
   * from before them, when every policy was a branch policy.
   */
  type: "branch" | "tag";
}

/** What `doctor --github` reads of the repository (github/environments.ts answers it). */
export interface LiveGitHub {
  /** The environment, or null when the repository has none of that name. */
  environment(name: string): Promise<LiveEnvironment | null>;
}

/**
 * What the rules of one source (main's rulesets, or its classic branch protection) require of a
 * pull request into main. GitHub enforces every rule that applies, so a flag is true when any rule
 * of the source sets it.
 */
export interface LiveReviewRules {
  /** Rulesets' `require_code_owner_review`; branch protection's `require_code_owner_reviews`. */
  codeOwnerReview: boolean;
  /** Rulesets' `dismiss_stale_reviews_on_push`; branch protection's `dismiss_stale_reviews`. */
  dismissStaleReviews: boolean;
  /** `require_last_push_approval`: the most recent push approved by someone other than its pusher. */
  lastPushApproval: boolean;
}

/**
 * What one source of main's rules requires: "Get rules for a branch" (GET
 * /repos/{owner}/{repo}/rules/branches/{branch}, the active rulesets' rules, every page), or "Get
 * branch protection" (GET /repos/{owner}/{repo}/branches/{branch}/protection).
 * @see https://docs.github.com/en/rest/repos/rules#get-rules-for-a-branch
 * @see https://docs.github.com/en/rest/branches/branch-protection#get-branch-protection
 */
export interface LiveBranchRules {
  /** null: no rule requires a pull request's review. */
  reviews: LiveReviewRules | null;
  /** The contexts of the required status checks, each once. */
  checks: string[];
  /**
   * The rulesets the rules come from (rulesets only): the id, whether the repository (not its
   * organization) holds it, and the types of its rules that apply to the branch.
   */
  rulesets?: { id: number; repository: boolean; types: string[] }[];
}

/** A secret's name, where GitHub keeps it: the repository's own, or one its organization shares with it. */
export interface LiveSecrets {
  /** "List repository secrets": GET /repos/{owner}/{repo}/actions/secrets, every page. Names only. */
  repository: string[];
  /** "List repository organization secrets": GET /repos/{owner}/{repo}/actions/organization-secrets. */
  organization: string[];
}

/** What `doctor --github` reads of main's rules and of where the secrets live (github/protection.ts answers it). */
export interface LiveRepositoryRules {
  /** The active rulesets' rules for `branch` (none: empty). */
  branchRules(branch: string): Promise<LiveBranchRules>;
  /** The branch's classic protection; null when GitHub answers 404 (not protected). */
  branchProtection(branch: string): Promise<LiveBranchRules | null>;
  /** The names of the secrets outside the environments. GitHub never answers a value. */
  secrets(): Promise<LiveSecrets>;
}
