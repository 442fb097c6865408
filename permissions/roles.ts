/**
 * The one description of what each AWS account needs before cordon's workflows can run there: the
 * GitHub OIDC provider and four roles, each with its trust and exactly the policies `permissions`
 * derives from the code. The Pulumi project `bootstrap/` and the CloudFormation template of
 * `cordon bootstrap-template` both render this description, and `doctor` compares an account with
 * it: a role cannot differ between them. Pure: the policies come in, the description goes out.
 *
 * Who assumes which role (GitHub's OIDC subject, `repo:OWNER/NAME:...`):
 *   deployer  the jobs that run `pulumi up` (apply, contain's up), in the environment cordon-apply
 *   preview   pull requests and merge-queue runs: `pulumi preview`, read-only
 *   verify    the contain report's `verify`, from either environment: simulate and read only
 *   contain   the contain job, in the environment cordon-contain: the first strike (it sets the key and
 *             its user's other credentials Inactive) and `new --access-key`'s lookups
 * The environments allow deployments from `main` only: that, not the role, pins `main`.
 * @see https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims
 */
import { GITHUB_REPOSITORY } from "../plan/auto-contain.ts";
import { ROLE_NAMES, type RoleId } from "../incident/own-roles.ts";
import { GITHUB_OIDC_HOST, type PolicyDocument } from "../plan/policies.ts";
import { ACCOUNT_ID } from "../incident/fields.ts";
import { compareText } from "../incident/order.ts";
import { ACCOUNT_PLACEHOLDER, type ScopedPolicy } from "./policies.ts";

/** Where the description holds the repository (`OWNER/NAME`); each rendering fills it in. */
export const REPOSITORY_PLACEHOLDER = "{repository}";

/** The GitHub environments whose jobs hold the write credentials (docs/setup.md). */
export const ENVIRONMENTS = { apply: "cordon-apply", contain: "cordon-contain" } as const;

/** The audience GitHub's token carries for AWS (`aws-actions/configure-aws-credentials`). */
export const OIDC_AUDIENCE = "sts.amazonaws.com";

export { ROLE_NAMES, type RoleId };

/**
 * The path of the four roles. Not /cordon/: the deployer may change roles under /cordon/ (the
 * replacement roles), and must not be able to change these.
 */
export const ROLE_PATH = "/";

export interface InlinePolicy {
  /** The inline policy's name on the role. */
  name: string;
  document: PolicyDocument;
  /** Why each statement's scope is what it is, by Sid. */
  why: Record<string, string>;
  /** Only on the organization stack's account (the management account or a delegated administrator). */
  organizationStackOnly: boolean;
}

export interface RoleDescription {
  id: RoleId;
  name: string;
  path: string;
  description: string;
  /** Who may assume it. */
  trust: PolicyDocument;
  /** Its inline policies, and nothing else: no managed policy is attached. */
  policies: InlinePolicy[];
  /** @default 3600 (IAM's default): a job assumes it for one run. */
  maxSessionDuration: number;
  /** The workflows' secret that names it (an ARN, or an ARN template with `{account}`). */
  secret: string;
}

export interface OidcProviderDescription {
  /** The issuer, as CreateOpenIDConnectProvider takes it. */
  url: string;
  /** The ARN, with `{account}`. */
  arn: string;
  clientIds: string[];
}

export interface AccountBootstrap {
  oidcProvider: OidcProviderDescription;
  roles: RoleDescription[];
}

/** The policies each role holds, as `permissions` derives them (bootstrap/declared.ts). */
export interface RolePolicies {
  /** The deploy policy, with the Deny on cordon's own roles (`{account}` in their ARNs). */
  deploy: ScopedPolicy;
  organization: ScopedPolicy;
  preview: ScopedPolicy;
  previewOrganization: ScopedPolicy;
  verify: ScopedPolicy;
  contain: ScopedPolicy;
}

/** The deployer's ARN as the description writes it (the Deny on cordon's roles names it). */
export const DEPLOYER_ROLE_ARN = `arn:aws:iam::${ACCOUNT_PLACEHOLDER}:role${ROLE_PATH}${ROLE_NAMES.deployer}`;

/**
 * The roles whose rights the deployer must never change, in the deployer's partition and account
 * (12 digits, `{account}` or `*`): the deployer as given, and the deployer, preview, verify and
 * contain roles by their names at any path. A role's name is unique in its account whatever its
 * path, and a name holds no slash: the name at the root path, and the name after any path (a
 * wildcard, then a slash), are that one role wherever an administrator made it (a hand-made
 * `/ops/` or `/cordon/` path included, where the deploy policy's own scope would otherwise reach it). The deployer may put an inline policy on any role
 * (an incident's revoke policy), so without a Deny on these it could raise its own rights, or
 * write rights into the preview role that every pull request's job assumes. Sorted.
 */
export function cordonRoleArns(deployerRoleArn: string): string[] {
  const [, partition, , , account] = deployerRoleArn.split(":");
  const deployerName = deployerRoleArn.slice(deployerRoleArn.lastIndexOf("/") + 1);
  const names = [deployerName, ...(["preview", "verify", "contain"] as const).map((id) => ROLE_NAMES[id])];
  const anyPath = names.flatMap((name) => [
    `arn:${partition}:iam::${account}:role${ROLE_PATH}${name}`,
    `arn:${partition}:iam::${account}:role/*/${name}`,
  ]);
  return [...new Set([deployerRoleArn, ...anyPath])].sort(compareText);
}

const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT_PLACEHOLDER}:oidc-provider/${GITHUB_OIDC_HOST}`;

/**
 * A trust in GitHub's OIDC tokens of the repository for the given subjects. StringLike only where a
 * subject has a wildcard (the merge queue's branches), so every other subject is matched exactly.
 */
function githubTrust(subjects: string[]): PolicyDocument {
  const wildcard = subjects.some((s) => s.includes("*"));
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GithubActionsOidc",
        Effect: "Allow",
        Principal: { Federated: PROVIDER_ARN },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: OIDC_AUDIENCE,
            ...(wildcard ? {} : { [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : subjects }),
          },
          ...(wildcard ? { StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: subjects } } : {}),
        },
      },
    ],
  };
}

const subject = {
  environment: (name: string) => `repo:${REPOSITORY_PLACEHOLDER}:environment:${name}`,
  pullRequest: `repo:${REPOSITORY_PLACEHOLDER}:pull_request`,
  // A merge-queue run's ref is refs/heads/gh-readonly-queue/<base>/pr-<n>-<sha>.
  mergeQueue: `repo:${REPOSITORY_PLACEHOLDER}:ref:refs/heads/gh-readonly-queue/*`,
};

function inline(name: string, policy: ScopedPolicy, organizationStackOnly = false): InlinePolicy {
  return { name, document: policy.document, why: policy.why, organizationStackOnly };
}

/** The provider and the four roles, with `{account}` and `{repository}` left for the rendering. */
export function accountBootstrap(policies: RolePolicies): AccountBootstrap {
  const role = (
    id: RoleId,
    fields: Omit<RoleDescription, "id" | "name" | "path" | "maxSessionDuration">,
  ): RoleDescription => ({
    id,
    name: ROLE_NAMES[id],
    path: ROLE_PATH,
    maxSessionDuration: 3600,
    ...fields,
  });
  return {
    oidcProvider: { url: `https://${GITHUB_OIDC_HOST}`, arn: PROVIDER_ARN, clientIds: [OIDC_AUDIENCE] },
    roles: [
      role("deployer", {
        description: `cordon: runs pulumi up for ${REPOSITORY_PLACEHOLDER} (GitHub environment ${ENVIRONMENTS.apply}); cannot change its own rights`,
        trust: githubTrust([subject.environment(ENVIRONMENTS.apply)]),
        policies: [
          inline("cordon-deploy", policies.deploy),
          inline("cordon-organization", policies.organization, true),
        ],
        secret: "CORDON_AWS_ROLE_ARN_TEMPLATE",
      }),
      role("preview", {
        description: `cordon: runs pulumi preview for the pull requests and merge queue of ${REPOSITORY_PLACEHOLDER}; reads only`,
        trust: githubTrust([subject.pullRequest, subject.mergeQueue]),
        policies: [
          inline("cordon-preview", policies.preview),
          inline("cordon-preview-organization", policies.previewOrganization, true),
        ],
        secret: "CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE",
      }),
      role("verify", {
        description: `cordon: verify for ${REPOSITORY_PLACEHOLDER} (GitHub environments ${ENVIRONMENTS.apply}, ${ENVIRONMENTS.contain}); simulates and reads only`,
        trust: githubTrust([subject.environment(ENVIRONMENTS.apply), subject.environment(ENVIRONMENTS.contain)]),
        policies: [inline("cordon-verify", policies.verify)],
        secret: "CORDON_AWS_VERIFY_ROLE_ARN",
      }),
      role("contain", {
        description: `cordon: the contain workflow's first strike and lookups for ${REPOSITORY_PLACEHOLDER} (GitHub environment ${ENVIRONMENTS.contain})`,
        trust: githubTrust([subject.environment(ENVIRONMENTS.contain)]),
        policies: [inline("cordon-contain", policies.contain)],
        secret: "CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE",
      }),
    ],
  };
}

/** What fills the placeholders for one account. */
export interface BootstrapTarget {
  account: string;
  /** `OWNER/NAME`, spelt as GitHub spells it: the OIDC subject is compared exactly. */
  repository: string;
  /** True in the organization stack's account: its deployer and preview roles get the organization policies. */
  organizationStack: boolean;
}

/**
 * The description for one account: placeholders filled in, and the organization policies kept only
 * in the organization stack's account.
 */
export function bootstrapFor(description: AccountBootstrap, target: BootstrapTarget): AccountBootstrap {
  const filled = fill(description, {
    [ACCOUNT_PLACEHOLDER]: target.account,
    [REPOSITORY_PLACEHOLDER]: target.repository,
  });
  return {
    ...filled,
    roles: filled.roles.map((role) => ({
      ...role,
      policies: role.policies.filter((p) => target.organizationStack || !p.organizationStackOnly),
    })),
  };
}

/** Every string of `value` with each placeholder replaced by its value. */
export function fill<T>(value: T, values: Record<string, string>): T {
  if (typeof value === "string")
    return Object.entries(values).reduce((text, [mark, by]) => text.split(mark).join(by), value as string) as T;
  if (Array.isArray(value)) return value.map((item) => fill(item, values)) as T;
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [fill(key, values), fill(item, values)])) as T;
  return value;
}

/** The configuration problems of a bootstrap target, one line each (empty when it is valid). */
export function targetProblems(target: {
  account?: unknown;
  repository?: unknown;
  organizationStack?: unknown;
}): string[] {
  const problems: string[] = [];
  if (typeof target.account !== "string" || !ACCOUNT_ID.test(target.account)) {
    problems.push(
      `cordon:account: found ${JSON.stringify(target.account ?? null)}, expected the 12-digit AWS account this stack bootstraps, quoted ("123456789012")`,
    );
  }
  if (typeof target.repository !== "string" || !GITHUB_REPOSITORY.test(target.repository)) {
    problems.push(
      `cordon:githubRepository: found ${JSON.stringify(target.repository ?? null)}, expected the repository that holds cordon's workflows, as OWNER/NAME spelt as GitHub spells it (example-org/cordon-incidents): the roles trust only its runs`,
    );
  }
  if (target.organizationStack !== undefined && typeof target.organizationStack !== "boolean") {
    problems.push(
      `cordon:organizationStack: found ${JSON.stringify(target.organizationStack)}, expected true (this account runs the organization stack) or false`,
    );
  }
  return problems;
}
