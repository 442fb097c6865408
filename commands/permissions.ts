import { deployPermissions } from "../components/permissions.ts";
import { reviewPermissions } from "../aws/cloudtrail.ts";
import { assessPermissions, verifyPermissions } from "../aws/iam.ts";
import { newPermissions } from "../aws/lookup.ts";
import { commandsPolicy, deployPolicy, type ScopedPolicy } from "../permissions/policies.ts";
import { parseFlags, type Command } from "../cli/command.ts";
import { EXIT_OK, UsageError } from "../cli/io.ts";

/** The actions each AWS-calling command declares beside its code, by command name. */
export const commandPermissions: Readonly<Record<string, readonly string[]>> = {
  assess: assessPermissions,
  new: newPermissions,
  review: reviewPermissions,
  verify: verifyPermissions,
};

export const permissionsCommand: Command = {
  name: "permissions",
  summary: "the least-privilege IAM policies that deploying and the commands need",
  usage: `usage: npx cordon permissions [--json]

Prints two IAM policy documents, generated from what the code declares (never kept by hand):
  deploy    for the CI role that runs \`pulumi preview\` and \`pulumi up\`: the actions each resource
            type and invoke of the program needs (components/permissions.ts), scoped to cordon's
            own policies where IAM allows it, with the reason for each scope;
  commands  read-only, for whoever runs assess, verify, review and new.
Needs no AWS credentials.

options:
  --json      {"deploy": <policy document>, "commands": <policy document>, "why": {...},
              "byResourceType": {...}, "byCommand": {...}} (docs/assess-verify.md)
  -h, --help  this text

exit: 0 printed, 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { json: { type: "boolean" } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}": permissions takes no arguments`);
    const deploy = deployPolicy(deployPermissions);
    const commands = commandsPolicy(commandPermissions);
    if (values.json) {
      io.out(
        `${JSON.stringify(
          { deploy: deploy.document, commands: commands.document, why: { deploy: deploy.why, commands: commands.why }, byResourceType: deployPermissions, byCommand: commandPermissions },
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }
    io.out(
      [
        "# deploy: for the CI role that runs `pulumi preview` and `pulumi up` (from what each component and invoke declares)",
        ...policyText(deploy),
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
