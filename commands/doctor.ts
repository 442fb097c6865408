import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { failureOf } from "../aws/errors.ts";
import {
  accountChecks,
  deletesRootAccessKeys,
  renderChecklist,
  repositoryChecks,
  type Check,
} from "../doctor/checks.ts";
import { DEPLOY_BRANCH, environmentChecks, writeEnvironments } from "../doctor/environments.ts";
import { mainProtectionCheck, protectionProblems, secretsCheck, writeSecrets } from "../doctor/protection.ts";
import { githubAccess, githubEnvironments, GitHubUnavailableError } from "../github/environments.ts";
import { githubProtection } from "../github/protection.ts";
import { displaySafe, displayValue } from "../incident/display.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { autoContainPlan, GITHUB_REPOSITORY } from "../plan/auto-contain.ts";
import { accountStacks } from "../plan/project.ts";
import { bootstrapFor, ROLE_NAMES } from "../permissions/roles.ts";
import { booleanFlags, parseFlags, parseInstantFlag, stringFlags, type Command } from "../cli/command.ts";
import { projectIncidentsDirs, requireProject, stackFoldersOf } from "../cli/project.ts";
import { EXIT_INVALID, EXIT_OK, UsageError } from "../cli/io.ts";

/** Where GitHub looks for CODEOWNERS, in its order. */
const CODEOWNERS_PATHS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

export const doctorCommand: Command = {
  name: "doctor",
  usage: `usage: npx cordon doctor [--github] [--aws] [--repository OWNER/NAME] [--now ISO]

Checks that the repository is set up as docs/setup.md says, and prints a checklist in which each
gap comes with the command that fixes it. Run it from the repository (any folder of it).
Offline:
  - the project name is the same in Pulumi.yaml and the workflows' PULUMI_PROJECT;
  - every account from \`cordon accounts\` has a stack file with its cordon:account;
  - CODEOWNERS has a real default owner, not the placeholder;
  - the workflows use only the documented secrets, each in a job of its environment.
With --github, in the repository on GitHub (GH_TOKEN or GITHUB_TOKEN; GITHUB_API_URL):
  - each environment of the write secrets (${writeEnvironments().join(", ")}) exists, and only
    main may deploy to it: custom branch policies, exactly one, the branch main;
  - nothing holds a job that names one: no required reviewers, no wait timer, no custom
    deployment protection rule (the contain job and the reconcile must not wait);
  - main's rulesets (or its branch protection) require code owner review, dismiss stale
    approvals on push, require approval of the most recent push, and require the two checks;
  - none of the write secrets (${writeSecrets().join(", ")})
    is a repository or organization secret.
With --aws, in the account of the credentials in use (run it once per account):
  - GitHub's OIDC provider exists and accepts sts.amazonaws.com;
  - the roles ${Object.values(ROLE_NAMES).join(", ")} have the trust and exactly the
    policies the bootstrap gives them (\`cordon permissions\`);
  - from the organization stack's account, when incident files ask for guardrails, the
    organization's policy types are enabled; when one deletes a root user's access keys
    (rootUsers[].deleteAccessKeys), that the account may use centralized root access
    (sts:AssumeRoot): IAM's trusted access, RootCredentialsManagement and RootSessions enabled;
  - when a stack of the account turns auto-contain on, its dead-letter queue exists and holds no
    event (the count only: no message is received, so none is hidden).

options:
  --github                 check the repository on GitHub too (read-only; a token that can read
                           it: fine-grained, "Actions", "Metadata" and "Secrets" read, and
                           "Administration" read where main's rules are branch protection's;
                           classic, repo scope)
  --aws                    check the account of the credentials in use too (read-only calls:
                           \`cordon permissions --policy commands\`)
  --repository OWNER/NAME  the repository the roles trust, and --github reads (default: git's
                           origin, on github.com)
  --now ISO                the instant the incident files are judged at (default: now)
  -h, --help               this text

exit: 0 no gap, 1 a gap is open, 2 usage error, no project here, or GitHub or AWS could not be asked
      (when AWS could not be asked, the offline checklist is printed all the same)`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...booleanFlags("aws", "github"),
      ...stringFlags("repository", "now"),
    });
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}": doctor checks the repository it runs in`);
    const now = parseInstantFlag("now", values.now) ?? new Date();
    // Outside any project there is nothing to check: one line saying where to run, as every command says.
    const project = requireProject(io.cwd);
    const root = project.dir;
    // From a subfolder (doctor finds the project upwards), the fixes that name files cd to the root.
    const fixesFrom = relative(io.cwd, root) === "" ? undefined : root;
    // Every folder a stack reads, and a share counted only where its account's stack reads it, as accounts does.
    const loaded = loadIncidentPaths(projectIncidentsDirs(root, "run doctor in the project"), root, now);
    const files = existsSync(root) ? readdirSync(root) : [];
    const workflowsDir = join(root, ".github", "workflows");
    const workflows = existsSync(workflowsDir)
      ? Object.fromEntries(
          readdirSync(workflowsDir)
            .filter((name) => /\.ya?ml$/.test(name))
            .sort()
            .map((name) => [`.github/workflows/${name}`, readFileSync(join(workflowsDir, name), "utf8")]),
        )
      : {};
    const codeownersPath = CODEOWNERS_PATHS.find((path) => existsSync(join(root, path)));
    const projectFile = files.find((name) => name === "Pulumi.yaml");
    const checks: Check[] = repositoryChecks({
      projectText: projectFile === undefined ? undefined : readFileSync(join(root, projectFile), "utf8"),
      project,
      accounts:
        loaded.errors.length > 0
          ? accountStacks([], project, project.stackAccounts)
          : accountStacks(loaded.incidents, project, project.stackAccounts, stackFoldersOf(project, root)),
      workflows,
      codeowners:
        codeownersPath === undefined
          ? undefined
          : { path: codeownersPath, text: readFileSync(join(root, codeownersPath), "utf8") },
      incidentErrors: loaded.errors.map((d) => formatDiagnostic(d)),
    });

    const repository = values.aws || values.github ? (values.repository ?? originRepository(root)) : undefined;
    if ((values.aws || values.github) && (repository === undefined || !GITHUB_REPOSITORY.test(repository))) {
      throw new UsageError(
        `--repository: ${repository === undefined ? "not given, and git's origin is not a github.com repository" : `found ${JSON.stringify(repository)}`}: expected OWNER/NAME, the repository the roles trust`,
      );
    }

    if (values.github && repository !== undefined) {
      try {
        const access = githubAccess(io.env, repository);
        const live = githubEnvironments(access);
        // One after the other: the first that cannot be read ends the run, with nothing left waiting.
        const environments: Record<string, Awaited<ReturnType<typeof live.environment>>> = {};
        for (const name of writeEnvironments()) environments[name] = await live.environment(name);
        checks.push(...environmentChecks({ repository, environments }));
        const rules = githubProtection(access);
        const rulesets = await rules.branchRules(DEPLOY_BRANCH);
        // Branch protection can only add to what the rulesets require, and reading it takes an
        // administrator's token: asked only when the rulesets leave something open.
        const protection =
          protectionProblems(rulesets).length === 0 ? undefined : await rules.branchProtection(DEPLOY_BRANCH);
        checks.push(mainProtectionCheck({ repository, rules: rulesets, protection }));
        checks.push(secretsCheck(repository, await rules.secrets()));
      } catch (error) {
        if (!(error instanceof GitHubUnavailableError)) throw error;
        io.err(`cordon doctor: ${displayValue(error.message)}\n`);
        return 2;
      }
    }

    if (values.aws && repository !== undefined) {
      // Loaded only with --aws: the AWS SDK's clients and every command's declared permissions are
      // most of what doctor loads (0.8 s of a 0.9 s start), and the other checks need none of it.
      const [{ awsClients }, { liveSetup }, { bootstrapDescription }] = await Promise.all([
        import("../aws/clients.ts"),
        import("../aws/doctor.ts"),
        import("../bootstrap/declared.ts"),
      ]);
      try {
        const live = liveSetup(awsClients(io.env));
        const account = await live.account();
        const organizationAccount = project.organization?.account;
        const expected = bootstrapFor(bootstrapDescription(), {
          account,
          repository,
          organizationStack: organizationAccount === account,
        });
        const roles = Object.fromEntries(
          await Promise.all(expected.roles.map(async (role) => [role.name, await live.role(role.name)] as const)),
        );
        const guardrails = loaded.incidents.some((i) => i.organization.scp || i.organization.rcp);
        let roots: Awaited<ReturnType<typeof live.roots>> | string | undefined;
        if (guardrails && organizationAccount === account) {
          roots = await live.roots().catch((error: unknown) => (error as Error).message);
        }
        // sts:AssumeRoot, from the organization stack's account, only for files that ask it.
        let rootAccess: Awaited<ReturnType<typeof live.rootAccess>> | string | undefined;
        if (organizationAccount === account && loaded.incidents.some(deletesRootAccessKeys)) {
          rootAccess = await live.rootAccess().catch((error: unknown) => (error as Error).message);
        }
        // The stack files are sorted: the first that turns auto-contain on for this account.
        const autoContain = project.stacks.find((s) => s.account === account && s.autoContain !== null);
        let deadLetter: Parameters<typeof accountChecks>[0]["deadLetter"];
        if (autoContain?.autoContain) {
          const plan = autoContainPlan({ account, repository: autoContain.autoContain.repository });
          deadLetter = {
            stack: autoContain.name,
            region: plan.region,
            queue: plan.deadLetterQueueName,
            live: await live.queue(plan.region, plan.deadLetterQueueName),
          };
        }
        checks.push(
          ...accountChecks({
            account,
            repository,
            expected,
            provider: await live.oidcProvider(expected.oidcProvider.arn),
            roles,
            incidents: loaded.incidents,
            organizationAccount,
            roots,
            ...(rootAccess === undefined ? {} : { rootAccess }),
            ...(deadLetter === undefined ? {} : { deadLetter }),
          }),
        );
      } catch (error) {
        // The offline checks still stand: printed, with the account's as not checked, and why.
        const failure = failureOf(error);
        checks.push({ name: "--aws", ok: false, detail: `the account was not checked: ${failure.message}` });
        io.out(displaySafe(renderChecklist(checks, fixesFrom)));
        io.err("cordon doctor: AWS could not be asked: the checklist is the offline part only\n");
        return 2;
      }
    }
    // Paths, names and policies come from files and AWS: shown escaped.
    io.out(displaySafe(renderChecklist(checks, fixesFrom)));
    return checks.every((check) => check.ok) ? EXIT_OK : EXIT_INVALID;
  },
};

/** OWNER/NAME of git's origin when it is on github.com; undefined otherwise. */
function originRepository(dir: string): string | undefined {
  try {
    const url = execFileSync("git", ["remote", "get-url", "origin"], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return /github\.com[:/]([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(url)?.[1];
  } catch {
    return undefined;
  }
}
