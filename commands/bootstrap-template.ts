import { bootstrapDescription } from "../bootstrap/declared.ts";
import { stackSetTemplate, TEMPLATE } from "../permissions/cloudformation.ts";
import { parseFlags, type Command } from "../cli/command.ts";
import { EXIT_OK, UsageError } from "../cli/io.ts";

export const bootstrapTemplateCommand: Command = {
  name: "bootstrap-template",
  usage: `usage: npx cordon bootstrap-template

Prints the CloudFormation template (JSON) that gives an account what the bootstrap project gives
it: the GitHub OIDC provider and cordon's roles (deployer, preview, verify, contain), each with
exactly the policies \`cordon permissions\` derives from the code. For an organization, deploy it
as a service-managed StackSet to the OUs of the accounts cordon deploys, with the capability
CAPABILITY_NAMED_IAM (docs/setup.md). Needs no AWS credentials.

parameters of the template:
  ${TEMPLATE.repository.padEnd(25)}OWNER/NAME of the repository that holds cordon's workflows (required)
  ${TEMPLATE.createProvider.padEnd(25)}false where the account already has GitHub's OIDC provider (default true)
  ${TEMPLATE.organizationStack.padEnd(25)}true only for the organization stack's account (default false); a
  ${"".padEnd(25)}service-managed StackSet never deploys to the management account: run the
  ${"".padEnd(25)}bootstrap project there, or a stack of this template

options:
  -h, --help  this text

exit: 0 printed, 2 usage error`,
  async run(argv, io) {
    const { positionals } = parseFlags(argv, {});
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}": bootstrap-template takes no arguments`);
    io.out(`${JSON.stringify(stackSetTemplate(bootstrapDescription()), null, 2)}\n`);
    return EXIT_OK;
  },
};
