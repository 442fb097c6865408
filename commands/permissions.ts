import { ACCOUNT_PLACEHOLDER, commandsPolicy, ROLE_ARN, type ScopedPolicy } from "../permissions/policies.ts";
import { ROLE_NAMES } from "../permissions/roles.ts";
import {
  commandPermissions,
  containPermissions,
  deployDeclarations,
  organizationDeclarations,
  rolePolicies,
} from "../bootstrap/declared.ts";
import { booleanFlags, parseFlags, stringFlags, type Command } from "../cli/command.ts";
import { EXIT_OK, UsageError } from "../cli/io.ts";

// Where they are gathered; the tests and older callers import them from here.
export {
  commandPermissions,
  deployDeclarations,
  organizationDeclarations,
  PROGRAM_CREDENTIALS,
  PROGRAM_ORGANIZATION_READS,
  PROGRAM_READS,
  PROGRAM_ROOT_CREDENTIALS,
} from "../bootstrap/declared.ts";

/** The policies `--policy` prints, each with what it is for (the first line on stderr). */
const POLICIES = {
  deploy: `for the role that runs pulumi up (${ROLE_NAMES.deployer}): what each component, invoke and the program's own reads declare`,
  organization: `on top of deploy, for the organization stack's deployer only (cordon:organization: the management account, or a delegated administrator for Organizations' policies, and for IAM when an incident deletes root access keys)`,
  preview: `for the role that runs pulumi preview on pull requests and the merge queue (${ROLE_NAMES.preview}): the deploy policy's reads, in its scopes`,
  "preview-organization":
    "on top of preview, for the organization stack's preview only: the organization policy's reads",
  verify: `for the role of the contain report's verify (${ROLE_NAMES.verify}): simulate and read`,
  contain: `for the contain job's role (${ROLE_NAMES.contain}): the first strike, which sets the key and its user's other credentials Inactive, and new --access-key's lookups`,
  commands: `for whoever runs ${Object.keys(commandPermissions).join(", ")} by hand`,
} as const;
type PolicyName = keyof typeof POLICIES;

export const permissionsCommand: Command = {
  name: "permissions",
  usage: `usage: npx cordon permissions [--policy NAME] [--deployer-role-arn ARN] [--json]

Prints one IAM policy document, generated from what the code declares (never kept by hand), as
JSON that can be pasted as it is (into the console, or saved for aws iam put-role-policy); why each
statement's scope is what it is goes to stderr. The roles are the ones bootstrap/ creates and
\`cordon bootstrap-template\` declares, with exactly these policies (docs/setup.md). NAME:
${Object.entries(POLICIES)
  .map(([name, what]) => `  ${name.padEnd(21)}${what}`)
  .join("\n")}
The default is deploy: the actions each resource type and invoke of the program needs
(components/permissions.ts) and its own IAM reads, scoped to cordon's own policies and to roles
under /cordon/ where IAM allows it, and Denies no other policy can lift. Needs no AWS credentials.

options:
  --policy NAME            the policy to print (default deploy)
  --deployer-role-arn ARN  the role that runs \`pulumi up\`: adds to deploy a Deny of every
                           role-changing action on it and on ${ROLE_NAMES.preview}, ${ROLE_NAMES.verify} and
                           ${ROLE_NAMES.contain} in its account, so that it cannot change its own
                           rights nor give any to the role pull requests assume (it may put the
                           revoke policy on any other role). The account may be ${ACCOUNT_PLACEHOLDER}
                           (as in CORDON_AWS_ROLE_ARN_TEMPLATE) or *: either is printed as *, which
                           IAM reads as the policy's own account (IAM's API acts on no other), so
                           one document fits every account and a StackSet
  --json                   every policy at once: {"deploy": <policy document>, "organization",
                           "preview", "preview-organization", "verify", "contain", "commands",
                           "why": {...}, "byResourceType": {...}, "byCommand": {...}}
                           (docs/assess-verify.md)
  -h, --help               this text

exit: 0 printed, 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...booleanFlags("json"),
      ...stringFlags("policy", "deployer-role-arn"),
    });
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}": permissions takes no arguments`);
    const name = values.policy ?? "deploy";
    if (!Object.hasOwn(POLICIES, name))
      throw new UsageError(
        `--policy: found ${JSON.stringify(name)}, expected one of ${Object.keys(POLICIES).join(", ")}`,
      );
    if (values.json && values.policy !== undefined)
      throw new UsageError("--policy and --json: --json prints every policy; pass one of them");
    const given = values["deployer-role-arn"];
    if (given !== undefined && !ROLE_ARN.test(given)) {
      throw new UsageError(
        `--deployer-role-arn: found ${JSON.stringify(given)}, expected a role ARN such as arn:aws:iam::123456789012:role/cordon-deployer (the account may be ${ACCOUNT_PLACEHOLDER} or *)`,
      );
    }
    const deployerRoleArn = given?.replace(ACCOUNT_PLACEHOLDER, "*");
    const roles = rolePolicies({ deployerRoleArn });
    const policies: Record<PolicyName, ScopedPolicy> = {
      deploy: roles.deploy,
      organization: roles.organization,
      preview: roles.preview,
      "preview-organization": roles.previewOrganization,
      verify: roles.verify,
      contain: roles.contain,
      commands: commandsPolicy(commandPermissions),
    };
    if (deployerRoleArn === undefined && (values.json || name === "deploy")) {
      io.err(
        `cordon permissions: the deploy policy has no Deny on cordon's own roles: it may put an inline policy on any role, its own and ${ROLE_NAMES.preview} included; pass --deployer-role-arn ARN (the role that runs pulumi up) to add that Deny (on it and on ${ROLE_NAMES.preview}, ${ROLE_NAMES.verify} and ${ROLE_NAMES.contain} in its account)\n`,
      );
    }
    if (values.json) {
      io.out(
        `${JSON.stringify(
          {
            ...Object.fromEntries(Object.entries(policies).map(([key, policy]) => [key, policy.document])),
            why: Object.fromEntries(Object.entries(policies).map(([key, policy]) => [key, policy.why])),
            byResourceType: { ...deployDeclarations, ...organizationDeclarations },
            byCommand: commandPermissions,
            byContainStep: containPermissions,
          },
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }
    const policy = policies[name as PolicyName];
    io.out(`${JSON.stringify(policy.document, null, 2)}\n`);
    io.err(
      `${name}: ${POLICIES[name as PolicyName]}\n${Object.entries(policy.why)
        .map(([sid, why]) => `  ${sid}: ${why}\n`)
        .join("")}`,
    );
    return EXIT_OK;
  },
};
