/**
 * The cordon CLI: `npx cordon <command> [options]`.
 * Commands load lazily, so `validate` never pays for the AWS SDK or the Pulumi SDK.
 */
import { displaySafe, displayValue } from "../incident/display.ts";
import { maskSecrets } from "../incident/secrets.ts";
import { closestName } from "../incident/spelling.ts";
import { CannotRunError, EXIT_USAGE, maskedErrors, UsageError, processIo, type Io } from "./io.ts";
import type { Command } from "./command.ts";
import { catchInterrupts } from "./interrupt.ts";

/**
 * What `cordon --help` says of each command, in the order it lists them: kept here, so that
 * `--help` loads none of them.
 */
const SUMMARIES = {
  new: "write a new incident file from flags (and IAM, for --access-key alone)",
  validate: "check incident files; every error of every file in one run",
  plan: "print what `pulumi up` would declare for the incident files",
  accounts: "the accounts the incident files touch, and the stack that deploys each",
  status: "per incident: cutoff, expiry, time left, whether the file can be removed",
  guard: "fail a change that removes or weakens an incident that is still active",
  assess: "what an exposed key can reach, before writing the incident",
  verify: "prove with IAM's simulator that the containment holds",
  review: "what the key (and the keys it minted) did, from CloudTrail",
  "athena-table": "the Athena table over a trail's bucket that `review --athena` queries",
  permissions: "the least-privilege IAM policies that deploying and the commands need",
  "bootstrap-template": "the CloudFormation template of the accounts' roles, for a StackSet",
  doctor: "check a repository's setup: a checklist, with the command that fixes each gap",
};

/**
 * Each command's module, loaded only when it runs; one for each command of {@link SUMMARIES}, and
 * no other.
 */
const LOADERS: Record<keyof typeof SUMMARIES, () => Promise<Command>> = {
  new: async () => (await import("../commands/new.ts")).newCommand,
  validate: async () => (await import("../commands/validate.ts")).validateCommand,
  plan: async () => (await import("../commands/plan.ts")).planCommand,
  accounts: async () => (await import("../commands/accounts.ts")).accountsCommand,
  status: async () => (await import("../commands/status.ts")).statusCommand,
  guard: async () => (await import("../commands/guard.ts")).guardCommand,
  assess: async () => (await import("../commands/assess.ts")).assessCommand,
  verify: async () => (await import("../commands/verify.ts")).verifyCommand,
  review: async () => (await import("../commands/review.ts")).reviewCommand,
  "athena-table": async () => (await import("../commands/athena-table.ts")).athenaTableCommand,
  permissions: async () => (await import("../commands/permissions.ts")).permissionsCommand,
  "bootstrap-template": async () => (await import("../commands/bootstrap-template.ts")).bootstrapTemplateCommand,
  doctor: async () => (await import("../commands/doctor.ts")).doctorCommand,
};

/** The commands' names, in the order `--help` lists them. */
export const COMMAND_NAMES: readonly string[] = Object.keys(SUMMARIES);

export function mainUsage(): string {
  const width = Math.max(...COMMAND_NAMES.map((name) => name.length));
  const lines = Object.entries(SUMMARIES).map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    "usage: npx cordon <command> [options]",
    "",
    "Incident response for exposed AWS credentials, as code.",
    "",
    "commands:",
    ...lines,
    "",
    "Run `npx cordon <command> --help` for a command's options.",
    "",
  ].join("\n");
}

export async function main(argv: string[], given: Io): Promise<number> {
  const io = maskedErrors(given);
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.err : io.out)(mainUsage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const load = Object.hasOwn(LOADERS, name) ? LOADERS[name as keyof typeof LOADERS] : undefined;
  if (!load) {
    const meant = closestName(name, COMMAND_NAMES);
    io.err(
      `cordon: unknown command "${displayValue(maskSecrets(name))}"${meant === undefined ? "" : ` (did you mean "${meant}"?)`}; run \`npx cordon --help\` for the commands\n`,
    );
    return EXIT_USAGE;
  }
  const command = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.usage.endsWith("\n") ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CannotRunError) {
      io.err(`cordon ${name}: ${displaySafe(maskSecrets(error.message))}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      // A usage error may quote what was passed: a pasted secret is never echoed, and what is
      // echoed is shown escaped (in CI, a flag's value can come from an event's payload).
      // One line: what was wrong and where the options are, not the whole help around it.
      io.err(
        `cordon ${name}: ${displayValue(maskSecrets(error.message))}; run \`npx cordon ${name} --help\` for its options\n`,
      );
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** The process's entry point: `cli/cordon.js` calls it. */
export async function runCli(): Promise<void> {
  const interrupts = catchInterrupts({ err: (text) => process.stderr.write(text) });
  try {
    process.exitCode = await main(process.argv.slice(2), { ...processIo(), onInterrupt: interrupts.onInterrupt });
  } catch (error) {
    // An unexpected failure: say what it was without a stack dump (which could echo request data).
    process.stderr.write(
      `cordon: ${displaySafe(maskSecrets(error instanceof Error ? error.message : String(error)))}\n`,
    );
    process.exitCode = EXIT_USAGE;
  } finally {
    interrupts.dispose();
  }
}
