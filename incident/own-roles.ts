/**
 * cordon's own roles in every account (made by the bootstrap project or the StackSet template,
 * permissions/roles.ts): their names, the same in every account, so that one ARN template names
 * each (`{account}`). guard keeps them out of any deny-all or guardrail an additive change adds,
 * and the deployer's policy denies it any change to them.
 *
 * And the one rule of what a replacement role may never trust: one of these roles, or GitHub's jobs
 * of cordon's own repository. A replacement role is created by the deployer with whatever policy
 * the incident file gives it (AdministratorAccess included); trusting the preview role would hand
 * those rights to every pull request's job, trusting the deployer's environment to the apply job.
 * The loader (rules.ts, E_TRUST_CORDON), the program (through the loader) and the policy pack
 * (policy/policies.ts) all ask here.
 */
import { compareText } from "./order.ts";

export type RoleId = "deployer" | "preview" | "verify" | "contain";

export const ROLE_NAMES: Readonly<Record<RoleId, string>> = {
  deployer: "cordon-deployer",
  preview: "cordon-preview",
  verify: "cordon-verify",
  contain: "cordon-contain",
};

/**
 * A role ARN (`arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`) or a session of one
 * (`arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION`), in any partition and account: the role's name.
 */
const ROLE_PRINCIPAL = /^arn:[^:]*:iam::[^:]*:role\/(?:.*\/)?([^/]+)$/i;
const SESSION_PRINCIPAL = /^arn:[^:]*:sts::[^:]*:assumed-role\/([^/]+)\/[^/]*$/i;

/**
 * Which of cordon's roles a trust's principal names, as cordon names it (`cordon-preview`); undefined
 * when it names none. In any account and partition, at any path, in any case: IAM does not tell
 * role names apart by case, a role's name is unique in its account whatever its path, and the
 * roles have the same names in every account cordon is set up in.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names
 */
export function ownRoleNamedBy(principal: string): string | undefined {
  const name = (ROLE_PRINCIPAL.exec(principal) ?? SESSION_PRINCIPAL.exec(principal))?.[1]?.toLowerCase();
  return name === undefined ? undefined : Object.values(ROLE_NAMES).find((own) => own === name);
}

/**
 * Whether two GitHub repositories (`OWNER/NAME`) are one: GitHub does not tell owners and names
 * apart by case (and a token's subject carries the case GitHub stores, which a file may not know).
 */
export function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The repository whose workflow runs this process, from GitHub Actions' own variables: that is
 * where cordon's jobs run (and what the roles trust), so a replacement role must not trust its
 * jobs. Undefined outside GitHub Actions.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/variables#default-environment-variables
 */
export function repositoryOfRun(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const repository = env.GITHUB_REPOSITORY;
  return env.GITHUB_ACTIONS === "true" && repository !== undefined && /^[^/\s]+\/[^/\s]+$/.test(repository)
    ? repository
    : undefined;
}

/**
 * cordon's own repositories as far as a process can tell: the one that runs it, in GitHub Actions
 * (where cordon's workflows run), and the one each stack's auto-contain dispatches to (the
 * repository of the contain workflow). Sorted, once each.
 */
export function ownRepositories(
  stacks: readonly { autoContain: { repository: string } | null }[],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const run = repositoryOfRun(env);
  const named = stacks.flatMap((stack) => (stack.autoContain === null ? [] : [stack.autoContain.repository]));
  return [...new Set([...(run === undefined ? [] : [run]), ...named])].sort(compareText);
}
