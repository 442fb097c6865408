/**
 * The Pulumi CLI the program needs, in a module of its own: the workflows' tests check their CLI
 * pin against it without loading the program.
 */
/**
 * The oldest Pulumi CLI this program runs on. `pulumi.requirePulumiVersion` asks the engine through
 * its `RequirePulumiVersion` RPC, which first exists in CLI 3.217.0 (pulumi/pulumi CHANGELOG.md,
 * "## 3.217.0 (2026-01-23)": "[sdk/nodejs] Add requirePulumiVersion to the Node.js SDK #21528";
 * 3.216.0 had it as `CheckPulumiVersion`, renamed by #21528). Any older CLI, 3.216 included, fails
 * on this line with "The installed version of the CLI does not support the `RequirePulumiVersion`
 * RPC". 3.217 also covers what the program needs of the engine: importing a key that is still
 * `Active` and updating it in the same run (3.174.0, #19339) and `--continue-on-error` (3.114.0).
 * @see https://github.com/pulumi/pulumi/blob/master/CHANGELOG.md
 */
export const MINIMUM_PULUMI_CLI = ">=3.217.0";
