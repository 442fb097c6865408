import { deployPermissions, organizationDeployPermissions } from "../components/permissions.ts";
import { reviewPermissions } from "../aws/cloudtrail.ts";
import { s3ReviewPermissions } from "../aws/s3-logs.ts";
import { programReadPermissions } from "../aws/deploy.ts";
import { assessPermissions, verifyPermissions } from "../aws/iam.ts";
import { credentialReadPermissions, credentialWritePermissions } from "../aws/credentials.ts";
import { newPermissions, newRolePermissions } from "../aws/lookup.ts";
import { programOrganizationsPermissions, verifyOrganizationsPermissions } from "../aws/organizations.ts";
import { rootCredentialPermissions } from "../aws/root.ts";
import { commandsPolicy, deployPolicy, organizationPolicy, ROLE_ARN, type ScopedPolicy } from "../permissions/policies.ts";
import { parseFlags, type Command } from "../cli/command.ts";
import { EXIT_OK, UsageError } from "../cli/io.ts";

/** The key under which the deploy declarations list the program's own IAM reads (aws/deploy.ts). */
export const PROGRAM_READS = "cordon:program/readIam";

/**
 * The key under which the deploy declarations list what the program reads of every credential of a
 * compromised user, and the two acts it does itself (aws/credentials.ts: DeleteLoginProfile,
 * DeactivateMFADevice).
 */
export const PROGRAM_CREDENTIALS = "cordon:program/credentials";

/**
 * Everything deploying needs: each resource type's and invoke's actions (the components'
 * declarations) and the program's own IAM reads before it declares anything.
 */
export const deployDeclarations: Readonly<Record<string, readonly string[]>> = {
  ...deployPermissions,
  [PROGRAM_READS]: programReadPermissions,
  [PROGRAM_CREDENTIALS]: [...credentialReadPermissions, ...credentialWritePermissions],
};

/** The key under which the organization declarations list the organization stack's own reads (aws/organizations.ts). */
export const PROGRAM_ORGANIZATION_READS = "cordon:program/readOrganizations";

/** The key under which the organization declarations list centralized root access (aws/root.ts), for incidents that delete root access keys. */
export const PROGRAM_ROOT_CREDENTIALS = "cordon:program/rootCredentials";

/** What the organization stack needs on top of `deployDeclarations`: the guardrails and its checks. */
export const organizationDeclarations: Readonly<Record<string, readonly string[]>> = {
  ...organizationDeployPermissions,
  [PROGRAM_ORGANIZATION_READS]: programOrganizationsPermissions,
  [PROGRAM_ROOT_CREDENTIALS]: rootCredentialPermissions,
};

/** The actions each AWS-calling command declares beside its code, by command name. */
export const commandPermissions: Readonly<Record<string, readonly string[]>> = {
  assess: assessPermissions,
  new: [...newPermissions, ...newRolePermissions.cloudtrail],
  // --athena starts queries that write results: not read-only, so listed apart (docs/review.md).
  review: [...reviewPermissions, ...s3ReviewPermissions],
  // From the organization stack's account, verify reads the live guardrails too.
  verify: [...new Set([...verifyPermissions, ...verifyOrganizationsPermissions])].sort(),
};

export const permissionsCommand: Command = {
  name: "permissions",
  summary: "the least-privilege IAM policies that deploying and the commands need",
  usage: `usage: npx cordon permissions [--deployer-role-arn ARN] [--json]

Prints three IAM policy documents, generated from what the code declares (never kept by hand):
  deploy        for the CI role of every account's stack that runs \`pulumi preview\` and \`pulumi up\`:
                the actions each resource type and invoke of the program needs
                (components/permissions.ts) and its own IAM reads, scoped to cordon's own policies
                and to roles under /cordon/ where IAM allows it, with the reason for each scope, and
                Denies no other policy can lift;
  organization  on top of deploy, for the organization stack's role only (the management account,
                or a delegated administrator for policies): the SCPs and RCPs and their checks;
  commands      read-only, for whoever runs assess, verify, review and new.
Needs no AWS credentials.

options:
  --deployer-role-arn ARN  the role that runs \`pulumi up\` (CORDON_AWS_ROLE_ARN): adds a Deny of
                           every role-changing action on it, so that it cannot change its own
                           rights (it may put the revoke policy on any other role)
  --json                   {"deploy": <policy document>, "organization": <policy document>,
                           "commands": <policy document>, "why": {...}, "byResourceType": {...},
                           "byCommand": {...}} (docs/assess-verify.md)
  -h, --help               this text

exit: 0 printed, 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { json: { type: "boolean" }, "deployer-role-arn": { type: "string" } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}": permissions takes no arguments`);
    const deployerRoleArn = values["deployer-role-arn"];
    if (deployerRoleArn !== undefined && !ROLE_ARN.test(deployerRoleArn)) {
      throw new UsageError(`--deployer-role-arn: found ${JSON.stringify(deployerRoleArn)}, expected a role ARN such as arn:aws:iam::123456789012:role/cordon-deployer`);
    }
    if (deployerRoleArn === undefined) {
      io.err(
        "cordon permissions: the deploy policy has no Deny on the deployer's own role: it may put an inline policy on any role, its own included; pass --deployer-role-arn ARN (the role that runs pulumi up) to add that Deny\n",
      );
    }
    const deploy = deployPolicy(deployDeclarations, { deployerRoleArn });
    const organization = organizationPolicy(organizationDeclarations);
    const commands = commandsPolicy(commandPermissions);
    if (values.json) {
      io.out(
        `${JSON.stringify(
          {
            deploy: deploy.document,
            organization: organization.document,
            commands: commands.document,
            why: { deploy: deploy.why, organization: organization.why, commands: commands.why },
            byResourceType: { ...deployDeclarations, ...organizationDeclarations },
            byCommand: commandPermissions,
          },
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }
    io.out(
      [
        "# deploy: for the CI role that runs `pulumi preview` and `pulumi up` (from what each component, invoke and the program's own reads declare)",
        ...policyText(deploy),
        "",
        "# organization: on top of deploy, for the organization stack's role only (cordon:organization: the management account or a delegated administrator for policies)",
        ...policyText(organization),
        "",
        `# commands: for whoever runs ${Object.keys(commandPermissions).join(", ")}; read-only`,
        ...policyText(commands),
        ...Object.entries(commandPermissions).map(([name, actions]) => `#   ${name}: ${actions.join(", ")}`),
        "",
      ].join("\n"),
    );
    return EXIT_OK;
  },
};

function policyText(policy: ScopedPolicy): string[] {
  return [JSON.stringify(policy.document, null, 2), ...Object.entries(policy.why).map(([sid, why]) => `# ${sid}: ${why}`)];
}
