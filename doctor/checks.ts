/**
 * `doctor`: whether a repository (and, with credentials, an AWS account) is set up as docs/setup.md
 * says, as a checklist in which each gap comes with the command that fixes it. Pure: file texts and
 * what AWS answered in, checks out; commands/doctor.ts reads the files and asks AWS (aws/doctor.ts).
 */
import { parse } from "yaml";
import { compareText } from "../incident/order.ts";
import type { Incident } from "../incident/types.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { INCIDENTS_ROOT } from "../guard/protected-paths.ts";
import { insideFolder, stackIncidentsDirs, type AccountStack, type Project } from "../plan/project.ts";
import { ROLE_PATH as REPLACEMENT_ROLE_PATH } from "../plan/plan.ts";
import { ENVIRONMENTS, OIDC_AUDIENCE, type AccountBootstrap } from "../permissions/roles.ts";
import type { LiveOidcProvider, LiveQueue, LiveRole, LiveRoot, LiveRootAccess } from "./live.ts";

export interface Check {
  /** What is checked, in a few words. */
  name: string;
  ok: boolean;
  /** What was found: why it holds, or what is wrong. */
  detail: string;
  /** The command (or the one edit) that closes the gap; none when it holds. */
  fix?: string;
  /** The fix names files from the repository's root: run from elsewhere, it goes there first. */
  fixAtRoot?: true;
}

/**
 * The placeholders, in one place: the values the repository ships with, which a team replaces by
 * its own, and those doctor's own fixes print where only the team knows the value. The fixes are
 * written with them, and the checks refuse every value that holds one, in any case (GitHub's and
 * Pulumi's names ignore it): a fix pasted as printed never turns a check green, since a
 * CODEOWNERS team that does not exist means no code owner's review at all.
 */
export const PLACEHOLDERS = {
  /** The default owner the repository's .github/CODEOWNERS ships with. */
  shippedOwner: "@example-org/security-team",
  /** The organization the repository's workflows' PULUMI_PROJECT ships with. */
  shippedPulumiOrganization: "example-org",
  /** What a fix names for the security team's handle. */
  owner: "@YOUR-ORG/YOUR-SECURITY-TEAM",
  /** What a fix names for the Pulumi organization. */
  pulumiOrganization: "<your Pulumi organization>",
} as const;

/** The words of a handle or an organization that only the placeholders use. */
const PLACEHOLDER_WORDS = ["example-org", "your-org", "your-security-team"];

/**
 * Whether a GitHub handle (`@org/team`, `@user`, an email) or a Pulumi organization is, or holds,
 * a placeholder: one of {@link PLACEHOLDER_WORDS} as one of its names, in any case, or a `<...>`
 * (a `<` or `>`, which no GitHub or Pulumi name holds).
 */
export function isPlaceholder(value: string): boolean {
  return /[<>]/.test(value) || value.split(/[@/]/).some((word) => PLACEHOLDER_WORDS.includes(word.toLowerCase()));
}

/**
 * A Pulumi Cloud organization's name, as the Pulumi CLI checks a stack's owner: 3 to 40 letters,
 * digits, `-` and `_`, beginning and ending with a letter or a digit.
 * @see https://github.com/pulumi/pulumi/blob/master/pkg/backend/httpstate/backend.go (validateOwnerName)
 */
export const PULUMI_ORGANIZATION = /^[a-zA-Z0-9][a-zA-Z0-9-_]{1,38}[a-zA-Z0-9]$/;

/** What is wrong with PULUMI_PROJECT's organization, or undefined when it is one a fix may name. */
function organizationProblem(organization: string): string | undefined {
  if (isPlaceholder(organization)) return `PULUMI_PROJECT's organization is the placeholder ${organization}`;
  if (!PULUMI_ORGANIZATION.test(organization))
    return `PULUMI_PROJECT's organization ${organization} is not a Pulumi organization name (3 to 40 letters, digits, - and _, beginning and ending with a letter or digit)`;
  return undefined;
}

/** What a workflow secret is, and who may use it. */
export interface WorkflowSecret {
  /** The GitHub environments a job that uses it may name (`null`: none). */
  environments: readonly (string | null)[];
  /** Whether it can write (then only jobs in an environment that only `main` deploys to hold it). */
  write: boolean;
  what: string;
}
const { apply: APPLY, contain: CONTAIN } = ENVIRONMENTS;
const secret =
  (write: boolean) =>
  (what: string, ...environments: (string | null)[]): WorkflowSecret => ({ environments, write, what });
const writeSecret = secret(true);
const readSecret = secret(false);

/**
 * The secrets the workflows may use (docs/setup.md, docs/lifecycle.md), the GitHub environments a
 * job that uses each may name (`null`: none), and whether it can write. The one list: `doctor`
 * checks the workflows against it, and test/workflows.test.ts proves no write secret is referenced
 * outside its environments. A write secret lives in an environment that only `main` may deploy to,
 * and the roles' OIDC trust pins the environment; the preview role trusts pull requests and
 * merge-queue runs, whose subject an environment would replace, so its job names none.
 */
export const WORKFLOW_SECRETS: Readonly<Record<string, WorkflowSecret>> = {
  PULUMI_ACCESS_TOKEN: writeSecret("a Pulumi token that can update the stacks", APPLY),
  CORDON_AWS_ROLE_ARN_TEMPLATE: readSecret("the deployer role, with {account}", APPLY),
  CORDON_PR_TOKEN: writeSecret("a token that opens the removal pull requests", APPLY),
  CORDON_CONTAIN_TOKEN: writeSecret("a token allowed to push to main", CONTAIN),
  CORDON_CONTAIN_APP_CLIENT_ID: writeSecret("the GitHub App that may push to main (its client id)", CONTAIN),
  CORDON_CONTAIN_APP_PRIVATE_KEY: writeSecret("the GitHub App that may push to main (its private key)", CONTAIN),
  CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE: readSecret("the contain role, with {account}", CONTAIN),
  CORDON_AWS_VERIFY_ROLE_ARN: readSecret("the verify role, with {account} (or one account's)", APPLY, CONTAIN),
  CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE: readSecret("the preview role, with {account}", null),
  PULUMI_READ_ACCESS_TOKEN: readSecret("a Pulumi token that can read the stacks and preview", null, APPLY, CONTAIN),
  GITHUB_TOKEN: readSecret("GitHub's own token for the run", null, APPLY, CONTAIN),
};

export interface RepositoryInput {
  /** Pulumi.yaml's text, when there is one. */
  projectText?: string;
  project: Project;
  /** `cordon accounts`: every stack a run must update. */
  accounts: AccountStack[];
  /** `.github/workflows/*.yml`, path → text, sorted. */
  workflows: Record<string, string>;
  /** The CODEOWNERS file GitHub reads, if any. */
  codeowners?: { path: string; text: string };
  /** One line per invalid incident file (validate's output), empty when every file is valid. */
  incidentErrors: string[];
}

interface Workflow {
  env?: Record<string, unknown>;
  jobs?: Record<string, { environment?: string | { name?: string }; [key: string]: unknown }>;
}

function readWorkflow(text: string): Workflow | string {
  try {
    const parsed = parse(text, { uniqueKeys: true, maxAliasCount: 100, logLevel: "error" }) as unknown;
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Workflow)
      : "not a mapping";
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}

/** What a YAML file says its project is called: Pulumi.yaml's `name`. */
function projectName(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = parse(text, { maxAliasCount: 100, logLevel: "error" }) as { name?: unknown } | null;
    return typeof parsed?.name === "string" ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

/** The checks that need no cloud account. */
export function repositoryChecks(input: RepositoryInput): Check[] {
  const checks: Check[] = [];
  const name = projectName(input.projectText);
  const workflows = Object.entries(input.workflows).map(([path, text]) => ({ path, parsed: readWorkflow(text) }));

  // 1. The project name: the workflows find each stack as PULUMI_PROJECT/<stack>.
  const projects = workflows.flatMap(({ path, parsed }) => {
    const value = typeof parsed === "string" ? undefined : parsed.env?.PULUMI_PROJECT;
    return typeof value === "string" ? [{ path, value }] : [];
  });
  // The organization the fixes name: the first a workflow gives that is a real one, never a placeholder.
  const pulumiOrganization = projects
    .map((p) => p.value.split("/"))
    .find((parts) => parts.length >= 2 && organizationProblem(parts[0]) === undefined)?.[0];
  if (name === undefined) {
    checks.push({
      name: "project name",
      ok: false,
      detail: "no Pulumi.yaml with a name here: run doctor in the repository that holds cordon's Pulumi project",
      fix: "cd <the repository's root> && npx cordon doctor",
    });
  } else if (projects.length === 0) {
    checks.push({
      name: "project name",
      ok: false,
      detail: "no workflow sets PULUMI_PROJECT (organization/project): the workflows cannot name the stacks",
      fix: `add PULUMI_PROJECT: ${PLACEHOLDERS.pulumiOrganization}/${name} to the env: of each workflow, with your Pulumi organization's name (pulumi org get-default)`,
    });
  } else {
    const wrong = projects.filter((p) => p.value.split("/").pop() !== name);
    const organizations = projects.flatMap((p) => {
      const parts = p.value.split("/");
      const problem =
        parts.length < 2 ? `PULUMI_PROJECT ${p.value} names no organization` : organizationProblem(parts[0]);
      return problem === undefined ? [] : [{ path: p.path, problem }];
    });
    const files = [...new Set([...wrong, ...organizations].map((p) => p.path))].sort(compareText);
    checks.push(
      wrong.length === 0 && organizations.length === 0
        ? {
            name: "project name",
            ok: true,
            detail: `Pulumi.yaml and the workflows' PULUMI_PROJECT (${projects[0].value}) name the project ${name}`,
          }
        : {
            name: "project name",
            ok: false,
            detail: [
              ...wrong.map(
                (p) =>
                  `${p.path}: PULUMI_PROJECT is ${p.value}, but Pulumi.yaml names the project ${name}: the workflows would look for stacks of another project`,
              ),
              ...organizations.map((p) => `${p.path}: ${p.problem}`),
            ].join("; "),
            // Only an organization found in a workflow and fit to name makes a command; else the
            // one edit, whose placeholder this check refuses when it is pasted as it is.
            fix:
              pulumiOrganization === undefined
                ? `set PULUMI_PROJECT: ${PLACEHOLDERS.pulumiOrganization}/${name} in the env: of ${files.join(", ")}, with your Pulumi organization's name (pulumi org get-default)`
                : `sed -i 's#^  PULUMI_PROJECT: .*#  PULUMI_PROJECT: ${pulumiOrganization}/${name}#' ${files.join(" ")}`,
            ...(pulumiOrganization === undefined ? {} : { fixAtRoot: true as const }),
          },
    );
  }

  // 2. The incident files, then a stack file for every account a run must update.
  if (input.incidentErrors.length > 0) {
    checks.push({
      name: "incident files",
      ok: false,
      detail: `${input.incidentErrors.length === 1 ? "1 error" : `${input.incidentErrors.length} errors`}: nothing is deployed while any file is invalid`,
      fix: "npx cordon validate",
    });
  }
  // The stack files as the one reader reads them (plan/project.ts): what Pulumi reads, and nothing else.
  const missing = input.accounts.filter(
    (a) => !input.project.stacks.some((stack) => stack.name === a.stack && stack.account === a.account),
  );
  const problems = input.project.problems;
  checks.push(
    missing.length === 0 && problems.length === 0
      ? {
          name: "stack files",
          ok: true,
          detail:
            input.accounts.length === 0
              ? "no account to deploy yet"
              : `${input.accounts.map((a) => a.stack).join(", ")}: each sets its cordon:account`,
        }
      : {
          name: "stack files",
          ok: false,
          detail: [
            ...problems,
            ...missing.map(
              (a) =>
                `account ${a.account} (${a.incidents.length > 0 ? a.incidents.join(", ") : "organization stack"}) has no Pulumi.${a.stack}.yaml setting cordon:account: "${a.account}"`,
            ),
          ].join("; "),
          // Built from a real organization only: never from a placeholder a workflow holds.
          fix:
            missing.length === 0
              ? "npx cordon accounts"
              : `${pulumiOrganization === undefined ? "once PULUMI_PROJECT names your Pulumi organization (project name): " : ""}${missing
                  .map((a) => {
                    const stack = `${pulumiOrganization ?? PLACEHOLDERS.pulumiOrganization}/${a.stack}`;
                    return `pulumi stack init ${stack} && pulumi config set --stack ${stack} cordon:account ${a.account}`;
                  })
                  .join(" && ")}`,
        },
  );

  // 2b. The folders the stacks read, where the workflows commit, copy and remove incident files;
  // said only when one is not served as the workflows need.
  checks.push(...folderChecks(input.project));

  // 3. CODEOWNERS: a real default owner, who must approve every change but an incident file.
  if (input.codeowners === undefined) {
    checks.push({
      name: "CODEOWNERS",
      ok: false,
      detail: "no CODEOWNERS file: nobody must approve a change to the code",
      fix: `printf '* ${PLACEHOLDERS.owner}\\n' > .github/CODEOWNERS`,
      fixAtRoot: true,
    });
  } else {
    const lines = input.codeowners.text
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter(Boolean);
    const defaults = lines.filter((line) => line.split(/\s+/)[0] === "*").map((line) => line.split(/\s+/).slice(1));
    const placeholders = [...new Set(lines.flatMap((line) => line.split(/\s+/).slice(1).filter(isPlaceholder)))].sort(
      compareText,
    );
    const path = input.codeowners.path;
    if (defaults.length === 0 || defaults.at(-1)!.length === 0) {
      checks.push({
        name: "CODEOWNERS",
        ok: false,
        detail: `${path} has no default owner (a line "* @owner"): a change outside the listed paths needs nobody's approval`,
        fix: `sed -i '1i * ${PLACEHOLDERS.owner}' ${path}`,
        fixAtRoot: true,
      });
    } else if (placeholders.length > 0) {
      // The shipped placeholder is replaced by a command; any other is named, never put in a
      // command: it comes from the file, and could hold what a shell reads.
      const shipped = placeholders.includes(PLACEHOLDERS.shippedOwner);
      const others = placeholders.filter((owner) => owner !== PLACEHOLDERS.shippedOwner);
      checks.push({
        name: "CODEOWNERS",
        ok: false,
        detail: `${path} names the ${placeholders.length === 1 ? "placeholder" : "placeholders"} ${placeholders.join(", ")}: no real team approves`,
        fix: [
          ...(shipped ? [`sed -i 's#${PLACEHOLDERS.shippedOwner}#${PLACEHOLDERS.owner}#g' ${path}`] : []),
          ...(others.length > 0 ? [`put your security team's handle in place of ${others.join(", ")} in ${path}`] : []),
        ].join("; "),
        ...(shipped ? { fixAtRoot: true as const } : {}),
      });
    } else {
      checks.push({ name: "CODEOWNERS", ok: true, detail: `${path}: default owner ${defaults.at(-1)!.join(" ")}` });
    }
  }

  // 4. The workflows' secrets and the environments of the jobs that use them.
  const gaps: string[] = [];
  const fixes: string[] = [];
  for (const { path, parsed } of workflows) {
    if (typeof parsed === "string") {
      gaps.push(`${path}: not YAML (${parsed})`);
      continue;
    }
    const top = JSON.stringify(parsed.env ?? {});
    for (const secret of secretsIn(top)) {
      gaps.push(
        `${path}: the workflow's env: holds secrets.${secret}: every job would get it; move it to the job that needs it`,
      );
      fixes.push(`in ${path}: move secrets.${secret} from the workflow's env: to the env: of the job that needs it`);
    }
    for (const [job, body] of Object.entries(parsed.jobs ?? {}).sort(([a], [b]) => compareText(a, b))) {
      const environment = typeof body.environment === "string" ? body.environment : (body.environment?.name ?? null);
      for (const secret of secretsIn(JSON.stringify(body))) {
        const rule = Object.hasOwn(WORKFLOW_SECRETS, secret) ? WORKFLOW_SECRETS[secret] : undefined;
        if (rule === undefined) {
          gaps.push(`${path}, job ${job}: secrets.${secret} is not one of the documented secrets`);
          fixes.push(
            `rename or remove secrets.${secret} in ${path} (documented: ${Object.keys(WORKFLOW_SECRETS).join(", ")})`,
          );
        } else if (!rule.environments.includes(environment)) {
          const expected = rule.environments.filter((e) => e !== null);
          gaps.push(
            `${path}, job ${job}: uses secrets.${secret} (${rule.what}) ${environment === null ? "outside any environment" : `in the environment ${environment}`}; expected ${rule.environments.map((e) => (e === null ? "no environment" : `environment ${e}`)).join(" or ")}`,
          );
          fixes.push(
            expected.length > 0 && rule.environments[0] !== null
              ? `in ${path}, job ${job}: environment: ${expected[0]}`
              : `in ${path}, job ${job}: remove environment:`,
          );
        }
      }
    }
  }
  if (workflows.length === 0) gaps.push("no workflow in .github/workflows");
  checks.push(
    gaps.length === 0
      ? {
          name: "workflows' environments and secrets",
          ok: true,
          detail: `${workflows.length} workflows: each write secret only in a job of its environment (${ENVIRONMENTS.apply}, ${ENVIRONMENTS.contain})`,
        }
      : {
          name: "workflows' environments and secrets",
          ok: false,
          detail: gaps.join("; "),
          fix: [...new Set(fixes)].join("; ") || "copy .github/workflows from cordon's repository",
        },
  );
  return checks;
}

/** The secret names an expression text references (`secrets.NAME`, `secrets['NAME']`). */
/** What create-pull-request's add-paths cannot name: it splits the list at commas and line ends, trims each, and git reads a leading colon as pathspec magic. */
const UNNAMEABLE_PATH = /[,\n\r]|^\s|\s$|^:/;

/**
 * The gaps of the folders the stacks read (stackIncidentsDirs): one outside incidents/, whose files
 * guard and CODEOWNERS take for code (guard/protected-paths.ts: the allowlist does not follow
 * cordon:incidentsDir, or a change of it could make any path data), so that every incident there
 * needs a code owner and the contain workflow cannot commit one (guard --additive refuses it; its
 * disable job still disables the key); and one whose name the removal pull request's add-paths
 * cannot hold (apply.yml then fails, saying so). None when every folder is served.
 */
function folderChecks(project: Project): Check[] {
  const readers = (folder: string) => [
    ...(folder === project.incidentsDir ? ["Pulumi.yaml"] : []),
    ...project.stacks.filter((stack) => stack.incidentsDir === folder).map((stack) => stack.file),
  ];
  const shown = (folder: string) => JSON.stringify(folder === "" ? "." : folder);
  const gaps: string[] = [];
  const fixes: string[] = [];
  for (const folder of stackIncidentsDirs(project)) {
    const who = `${readers(folder).join(", ")} (cordon:incidentsDir)`;
    if (folder !== INCIDENTS_ROOT && !insideFolder(folder, INCIDENTS_ROOT)) {
      gaps.push(
        `${who} reads ${shown(folder)}, outside ${INCIDENTS_ROOT}/: guard and CODEOWNERS take every file there for code (guard/protected-paths.ts), so each incident there needs a code owner, and the contain workflow cannot commit one (guard --additive refuses it; the key is still disabled)`,
      );
      const name = (folder.split("/").pop() ?? "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "") || "main";
      fixes.push(
        `set cordon:incidentsDir to ${INCIDENTS_ROOT}/${name} in ${readers(folder).join(", ")}, and git mv the incident files there`,
      );
    }
    if (UNNAMEABLE_PATH.test(folder)) {
      gaps.push(
        `${who} reads ${shown(folder)}, which holds a comma, a line end, a blank at either end or a leading colon: the apply workflow's removal pull request cannot name it (create-pull-request's add-paths), so it fails rather than propose removing an expired incident there`,
      );
      fixes.push(`rename the folder ${shown(folder)} without them, and set cordon:incidentsDir to the new name`);
    }
  }
  return gaps.length === 0
    ? []
    : [{ name: "incident folders", ok: false, detail: gaps.join("; "), fix: fixes.join("; ") }];
}

function secretsIn(text: string): string[] {
  return [
    ...new Set(
      [
        ...text.matchAll(
          /secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*\\?['"]([A-Za-z_][A-Za-z0-9_]*)\\?['"]\s*\])/g,
        ),
      ].map((m) => m[1] ?? m[2]),
    ),
  ].sort(compareText);
}

export interface AccountInput {
  account: string;
  repository: string;
  /** The description for this account, placeholders filled in (permissions/roles.ts's bootstrapFor). */
  expected: AccountBootstrap;
  provider: LiveOidcProvider | null;
  roles: Record<string, LiveRole | null>;
  /** The incidents, for whether they ask for guardrails. */
  incidents: readonly Incident[];
  /** The organization stack's account, if the project has one. */
  organizationAccount?: string;
  /** The organization's roots, or why they could not be read; undefined when not asked. */
  roots?: LiveRoot[] | string;
  /**
   * The organization's centralized root access as this account sees it, or why it could not be
   * read; undefined when not asked (no incident deletes a root user's access keys).
   */
  rootAccess?: LiveRootAccess | string;
  /**
   * Auto-contain's dead-letter queue, when a stack of this account turns auto-contain on: the
   * stack, the queue's name and region (the plan's), and what SQS answered (null: no such queue).
   */
  deadLetter?: { stack: string; region: string; queue: string; live: LiveQueue | null };
}

/** The bootstrap command that creates or restores what the description says, in `account`. */
export function bootstrapFix(account: string, repository: string, organizationStack: boolean): string {
  const stack = `bootstrap-${account}`;
  return `pulumi -C bootstrap stack init ${stack}; pulumi -C bootstrap up --stack ${stack} -c cordon:account=${account} -c cordon:githubRepository=${repository}${organizationStack ? " -c cordon:organizationStack=true" : ""}`;
}

function same(a: PolicyDocument, b: PolicyDocument): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The checks of one account, against what the bootstrap gives it. */
export function accountChecks(input: AccountInput): Check[] {
  const { account, expected } = input;
  const organizationStack = input.organizationAccount === account;
  const fix = bootstrapFix(account, input.repository, organizationStack);
  const checks: Check[] = [];
  const provider = input.provider;
  checks.push(
    provider === null
      ? {
          name: `${account}: GitHub's OIDC provider`,
          ok: false,
          detail: `no provider ${expected.oidcProvider.arn}: no workflow can assume a role`,
          fix,
        }
      : provider.clientIds.includes(OIDC_AUDIENCE)
        ? { name: `${account}: GitHub's OIDC provider`, ok: true, detail: `${provider.arn} accepts ${OIDC_AUDIENCE}` }
        : {
            name: `${account}: GitHub's OIDC provider`,
            ok: false,
            detail: `${provider.arn} does not accept the audience ${OIDC_AUDIENCE}`,
            fix: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${provider.arn} --client-id ${OIDC_AUDIENCE}`,
          },
  );
  for (const role of expected.roles) {
    const live = input.roles[role.name] ?? null;
    const name = `${account}: role ${role.name}`;
    if (live === null) {
      checks.push({ name, ok: false, detail: `missing: ${role.secret} names it`, fix });
      continue;
    }
    const problems: string[] = [];
    const fixes: string[] = [];
    // A role made by hand at another path than the bootstrap's (IAM cannot move one): under the
    // replacement roles' path, only the Deny on cordon's own roles keeps the deployer off it.
    if (live.path !== role.path)
      problems.push(
        `its path is ${live.path}, not the bootstrap's ${role.path}${live.path.startsWith(REPLACEMENT_ROLE_PATH) ? ` (${REPLACEMENT_ROLE_PATH} is the replacement roles' path, which the deploy policy may change)` : ""}`,
      );
    if (!same(live.trust, role.trust))
      problems.push(
        `its trust differs from the bootstrap's (expected ${describeSubjects(role.trust)}, found ${describeSubjects(live.trust)})`,
      );
    const wanted = Object.fromEntries(role.policies.map((p) => [p.name, p.document]));
    for (const [policy, document] of Object.entries(wanted)) {
      if (!Object.hasOwn(live.inline, policy)) problems.push(`no inline policy ${policy}`);
      else if (!same(live.inline[policy], document))
        problems.push(
          `its inline policy ${policy} differs from what \`cordon permissions\` derives (the code changed since the bootstrap ran, or someone edited it)`,
        );
    }
    for (const policy of Object.keys(live.inline).sort(compareText)) {
      if (!Object.hasOwn(wanted, policy)) {
        problems.push(`an inline policy the bootstrap does not declare: ${policy}`);
        fixes.push(`aws iam delete-role-policy --role-name ${role.name} --policy-name ${policy}`);
      }
    }
    for (const arn of live.attached) {
      problems.push(`an attached managed policy: ${arn}`);
      fixes.push(`aws iam detach-role-policy --role-name ${role.name} --policy-arn ${arn}`);
    }
    const restore = problems.length > fixes.length;
    checks.push(
      problems.length === 0
        ? {
            name,
            ok: true,
            detail: `trust and ${role.policies.length === 1 ? "policy" : `${role.policies.length} policies`} as the bootstrap declares them`,
          }
        : { name, ok: false, detail: problems.join("; "), fix: [...(restore ? [fix] : []), ...fixes].join(" && ") },
    );
  }
  const types = [
    ...(input.incidents.some((i) => i.organization.scp) ? ["SERVICE_CONTROL_POLICY"] : []),
    ...(input.incidents.some((i) => i.organization.rcp) ? ["RESOURCE_CONTROL_POLICY"] : []),
  ];
  if (types.length > 0 && organizationStack) {
    const name = `${account}: the organization's policy types`;
    if (typeof input.roots === "string" || input.roots === undefined) {
      checks.push({
        name,
        ok: false,
        detail: `the incident files use guardrails (${types.join(", ")}), but the roots could not be read: ${input.roots ?? "not asked"}`,
        fix: "run npx cordon doctor --aws with the organization stack's credentials (organizations:ListRoots)",
      });
    } else {
      const off = input.roots.flatMap((root) =>
        types.filter((type) => !root.enabled.includes(type)).map((type) => ({ root: root.id, type })),
      );
      checks.push(
        off.length === 0
          ? { name, ok: true, detail: `${types.join(", ")} enabled on ${input.roots.map((r) => r.id).join(", ")}` }
          : {
              name,
              ok: false,
              detail: `the incident files use guardrails, but ${off.map((o) => `${o.type} is not enabled on ${o.root}`).join("; ")}: their policies could not attach`,
              fix: off
                .map((o) => `aws organizations enable-policy-type --root-id ${o.root} --policy-type ${o.type}`)
                .join(" && "),
            },
      );
    }
  }
  if (organizationStack && input.incidents.some(deletesRootAccessKeys))
    checks.push(rootAccessCheck(account, input.incidents, input.rootAccess));
  if (input.deadLetter !== undefined) checks.push(deadLetterCheck(account, input.deadLetter));
  return checks;
}

/** Whether an incident asks to delete a root user's access keys (`rootUsers[].deleteAccessKeys`). */
export function deletesRootAccessKeys(incident: Incident): boolean {
  return (incident.rootUsers ?? []).some((root) => root.deleteAccessKeys);
}

/** What the organization stack's sts:AssumeRoot needs enabled, as ListOrganizationsFeatures names it, each with its command. */
const ROOT_ACCESS_FEATURES: Readonly<Record<string, string>> = {
  RootCredentialsManagement: "aws iam enable-organizations-root-credentials-management",
  RootSessions: "aws iam enable-organizations-root-sessions",
};
const TRUSTED_ACCESS = "aws organizations enable-aws-service-access --service-principal iam.amazonaws.com";

/**
 * Centralized root access, which deleting a member account's root access keys goes through
 * (aws/root.ts): sts:AssumeRoot works only from the management account or IAM's delegated
 * administrator (a delegated administrator for Organizations' policies is not one), once IAM's
 * trusted access and both features are enabled in the organization.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management
 */
function rootAccessCheck(
  account: string,
  incidents: readonly Incident[],
  live: LiveRootAccess | string | undefined,
): Check {
  const name = `${account}: centralized root access`;
  const asking = incidents
    .filter(deletesRootAccessKeys)
    .map((i) => i.id)
    .sort(compareText);
  const why = `${asking.join(", ")} ${asking.length === 1 ? "asks" : "ask"} to delete root access keys (rootUsers[].deleteAccessKeys), which the organization stack does with sts:AssumeRoot`;
  const enableAll = [TRUSTED_ACCESS, ...Object.values(ROOT_ACCESS_FEATURES)].join(" && ");
  if (live === undefined || typeof live === "string") {
    return {
      name,
      ok: false,
      detail: `${why}, but IAM could not be asked whether this account may: ${live ?? "not asked"}`,
      fix: "run npx cordon doctor --aws with the organization stack's credentials (iam:ListOrganizationsFeatures)",
    };
  }
  if ("refused" in live) {
    switch (live.refused) {
      case "ServiceAccessNotEnabledException":
        return {
          name,
          ok: false,
          detail: `${why}, but IAM's trusted access is not enabled in the organization (${live.refused}): every AssumeRoot would be refused`,
          fix: `from the management account: ${enableAll}`,
        };
      case "AccountNotManagementOrDelegatedAdministratorException":
        return {
          name,
          ok: false,
          detail: `${why}, but account ${account} is neither the management account nor IAM's delegated administrator (${live.refused}): AssumeRoot is refused from it; a delegated administrator for Organizations' policies is not one for IAM`,
          fix: `from the management account: aws organizations register-delegated-administrator --service-principal iam.amazonaws.com --account-id ${account}`,
        };
      default:
        return {
          name,
          ok: false,
          detail: `${why}, but IAM refused to list the organization's root access features (${live.refused})`,
          fix: `from the management account, in an organization with all features: ${enableAll}`,
        };
    }
  }
  const off = Object.keys(ROOT_ACCESS_FEATURES).filter((feature) => !live.enabled.includes(feature));
  if (off.length === 0)
    return {
      name,
      ok: true,
      detail: `${Object.keys(ROOT_ACCESS_FEATURES).join(" and ")} enabled, and this account may use them: ${why}`,
    };
  return {
    name,
    ok: false,
    detail: `${why}, but ${off.join(" and ")} ${off.length === 1 ? "is" : "are"} not enabled in the organization: AssumeRoot would be refused and no key deleted`,
    fix: off.map((feature) => ROOT_ACCESS_FEATURES[feature]).join(" && "),
  };
}

/**
 * Auto-contain's dead-letter queue: empty, or events that never reached GitHub, each a key that
 * may still be active, with how to dispatch them by hand (docs/contain.md).
 */
function deadLetterCheck(account: string, dead: NonNullable<AccountInput["deadLetter"]>): Check {
  const name = `${account}: auto-contain's dead-letter queue`;
  const where = `${dead.queue} (${dead.region})`;
  if (dead.live === null) {
    return {
      name,
      ok: false,
      detail: `${dead.stack} turns auto-contain on, but there is no queue ${where}: an event GitHub refuses would be lost`,
      fix: `pulumi up --stack ${dead.stack}`,
    };
  }
  const { url, messages } = dead.live;
  if (messages === 0) return { name, ok: true, detail: `${where} is empty: every exposed-key event reached GitHub` };
  const sqs = `--region ${dead.region} --queue-url ${url}`;
  return {
    name,
    ok: false,
    detail: `${messages === 1 ? "1 event waits" : `${messages} events wait`} in ${where}: EventBridge could not dispatch ${messages === 1 ? "it" : "them"} to GitHub (refused, or still throttled when its retries ran out), so ${messages === 1 ? "its key" : "their keys"} may still be active`,
    fix: `for each message of aws sqs receive-message ${sqs} --max-number-of-messages 10 --message-attribute-names All: gh workflow run contain.yml -f access-key=<detail.affectedEntities[0].entityValue of its Body> -f account=<detail.affectedAccount>, then aws sqs delete-message ${sqs} --receipt-handle <its ReceiptHandle> (docs/contain.md#when-github-does-not-take-the-dispatch)`,
  };
}

/** A trust's GitHub subjects, for a message. */
function describeSubjects(trust: PolicyDocument): string {
  const subjects = trust.Statement.flatMap((s) =>
    Object.values(s.Condition ?? {}).flatMap((entries) =>
      Object.entries(entries)
        .filter(([key]) => key.endsWith(":sub"))
        .flatMap(([, v]) => [v].flat()),
    ),
  );
  return subjects.length === 0 ? "no GitHub subject" : subjects.map(String).join(", ");
}

/**
 * The checklist as printed: one line per check, its detail, and the fix of each gap. `root`: the
 * repository's root when doctor runs from another folder, which the fixes that name its files
 * `cd` to first (quoted for the shell).
 */
export function renderChecklist(checks: readonly Check[], root?: string): string {
  const lines: string[] = [];
  const from = root === undefined ? "" : `cd ${shellWord(root)} && `;
  for (const check of checks) {
    lines.push(`${check.ok ? "✓" : "✗"} ${check.name}: ${check.detail}`);
    if (!check.ok && check.fix) lines.push(`    fix: ${check.fixAtRoot ? from : ""}${check.fix}`);
  }
  const gaps = checks.filter((c) => !c.ok).length;
  lines.push(
    "",
    gaps === 0
      ? "no gap: set up as docs/setup.md says"
      : `${gaps === 1 ? "1 gap" : `${gaps} gaps`}: run each fix, then npx cordon doctor again`,
  );
  return `${lines.join("\n")}\n`;
}

/** A word for a POSIX shell: as it is when it holds nothing the shell reads, else in single quotes. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
