/**
 * The engine stand-in's command line (test tooling, not product): runs a Pulumi program the way
 * `pulumi preview` and `pulumi up` do, against whatever AWS_ENDPOINT_URL points at (moto in the
 * tests), printing one JSON line per step on standard output.
 *
 *   npm run --silent engine -- preview|up --stack NAME [--dir PROJECT] [--config KEY=VALUE ...]
 *                                         [--state FILE] [--refresh] [--continue-on-error] [--policy-pack DIR ...]
 *   npm run --silent engine -- output --stack NAME [--dir PROJECT] [--state FILE]
 *
 * `output` prints the stack's outputs as `pulumi stack output --json` does. `--policy-pack DIR`
 * runs a policy pack as the engine runs an analyzer (analyzer.ts); its violations go to standard
 * error as the CLI shows them, and a mandatory one fails the run. Exit codes: 0 the run succeeded,
 * 1 the program, a step or a mandatory policy failed (the program's own message on standard
 * error), 2 the command was used wrongly or could not run. @see docs/program.md
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startPolicyPack, violationText, type PolicyPack } from "./analyzer.ts";
import { Deployment } from "./deployment.ts";
import { launchProgram, projectSdkVersion } from "./host.ts";
import { serve } from "./monitor.ts";
import { readProject } from "./project.ts";
import { cloudFromEnvironment } from "./provider.ts";
import { INVOKE_ROWS, RESOURCE_ROWS } from "./rows.ts";
import { defaultStateFile, readState } from "./state.ts";
import { unmodeledNotice } from "./unmodeled.ts";

/** The organization of a self-managed backend, which is what the stand-in plays. */
const ORGANIZATION = "organization";
/** The CLI's default `--parallel`. */
const PARALLEL = 16;

const USAGE =
  "usage: npm run --silent engine -- preview|up --stack NAME [--dir PROJECT] [--config KEY=VALUE ...] [--state FILE] [--refresh] [--continue-on-error] [--policy-pack DIR ...]\n       npm run --silent engine -- output --stack NAME [--dir PROJECT] [--state FILE]";

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stack: { type: "string" },
        dir: { type: "string" },
        config: { type: "string", multiple: true },
        state: { type: "string" },
        "continue-on-error": { type: "boolean" },
        refresh: { type: "boolean" },
        "policy-pack": { type: "string", multiple: true },
      },
    });
  } catch (error) {
    process.stderr.write(`engine: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, ...extra] = parsed.positionals;
  const { values } = parsed;
  if (!["preview", "up", "output"].includes(command ?? "") || extra.length > 0 || !values.stack) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const stack = values.stack;
  const dir = resolve(values.dir ?? ".");
  const stateFile = resolve(values.state ?? defaultStateFile(dir, stack));
  if (command === "output") {
    const state = readState(stateFile);
    if (!state) {
      process.stderr.write(`engine: no state for stack ${stack} (${stateFile}): run up first\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(state.outputs, null, 2)}\n`);
    return 0;
  }

  const overrides: Record<string, string> = {};
  for (const pair of values.config ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) {
      process.stderr.write(`engine: --config takes KEY=VALUE, found ${JSON.stringify(pair)}\n`);
      return 2;
    }
    overrides[pair.slice(0, at)] = pair.slice(at + 1);
  }
  let project;
  try {
    project = readProject(dir, stack, overrides);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`${unmodeledNotice()}\n`);

  const dryRun = command === "preview";
  const deployment = new Deployment({
    project: project.name,
    stack,
    dryRun,
    continueOnError: values["continue-on-error"] === true,
    parallel: PARALLEL,
    config: project.config,
    providerEnv: process.env,
    stateFile,
    cloud: cloudFromEnvironment(),
    rows: RESOURCE_ROWS,
    invokes: INVOKE_ROWS,
    emit: (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
    violation: (v) => process.stderr.write(`${v.level === "advisory" ? "warning" : "error"}: ${violationText(v)}\n`),
  });
  // `pulumi up --refresh`: the state read back from the cloud first, as the workflows run it.
  if (values.refresh === true) {
    try {
      await deployment.refresh();
    } catch (error) {
      process.stderr.write(`error: refresh: ${(error as Error).message}\n`);
      return 1;
    }
  }
  const servers = await serve({
    deployment,
    cliVersion: projectSdkVersion(dir),
    project: project.name,
    stack,
    organization: ORGANIZATION,
    dryRun,
    log: (severity, message) => process.stderr.write(`${severity}: ${message}\n`),
  });
  // The engine loads the policy packs before it runs the program (pkg/engine/update.go).
  const packs: PolicyPack[] = [];
  const configured = { organization: ORGANIZATION, project: project.name, stack, dryRun, config: project.config };
  try {
    for (const dir of values["policy-pack"] ?? [])
      packs.push(await startPolicyPack(dir, servers.engine, configured, process.stderr));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    for (const pack of packs) pack.close();
    await servers.stop();
    return 2;
  }
  deployment.usePolicyPacks(packs);
  const child = launchProgram(
    {
      project,
      stack,
      organization: ORGANIZATION,
      monitor: servers.monitor,
      engine: servers.engine,
      dryRun,
      parallel: PARALLEL,
    },
    process.stderr,
    process.stderr,
  );
  const code = await new Promise<number>((done) => {
    child.once("error", (error) => {
      process.stderr.write(`error: could not run the program: ${error.message}\n`);
      done(-1);
    });
    child.once("close", (exit, signal) => done(exit ?? (signal ? 128 : -1)));
  });
  // The host's wording; 32 means the program already reported its error (cmd/run/index.js).
  if (code !== 0 && code !== 32 && !servers.loggedError())
    process.stderr.write(`error: Program exited with non-zero exit code: ${code}\n`);
  const succeeded = await deployment.finish(code === 0);
  for (const pack of packs) pack.close();
  await servers.stop();
  for (const failure of deployment.failures) process.stderr.write(`error: ${failure}\n`);
  return succeeded ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
