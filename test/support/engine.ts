/**
 * Runs the engine stand-in (emulators/engine) as its users run it: package.json's `engine` script
 * from the repository root, in a process of its own, with the test's own PULUMI_*, AWS_*, VITEST*
 * and NODE_OPTIONS left out of its environment and moto's endpoint and the given credentials put
 * in on purpose. The program then runs under Pulumi's own `cmd/run`, as `pulumi up` runs it.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll } from "vitest";
import { readState, type StackState } from "../../emulators/engine/state.ts";
import { Account } from "./aws-accounts.ts";
import { motoForSuite, type Moto, type MotoOptions } from "./moto.ts";
import { projectRelative, projectTempDir } from "./project-dir.ts";

export const ROOT = resolve(import.meta.dirname, "..", "..");

/** One step line of the stand-in (emulators/engine/deployment.ts, StepLine). */
export interface Step {
  op: string;
  type: string;
  name: string;
  result?: "failed" | "skipped";
  error?: string;
  retained?: true;
}

export interface EngineRun {
  status: number;
  steps: Step[];
  /** The program's diagnostics and the stand-in's own lines, as printed on standard error. */
  stderr: string;
  /** The `info:` lines. */
  infos: string[];
  /** The `warning:` lines. */
  warnings: string[];
  /** The `error:` lines (a message may span several lines: each starts a new entry). */
  errors: string[];
}

export interface EngineOptions {
  moto: Moto;
  stack: string;
  /** The state file; other stacks' files are read beside it. */
  state: string;
  config?: Record<string, string>;
  /** Credentials of the account the run deploys (moto maps an access key to its account); default: moto's. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  continueOnError?: boolean;
  /** `--refresh`: the state read back from the cloud before the program runs, as the workflows' `pulumi up --refresh`. */
  refresh?: boolean;
  dir?: string;
  /** `--policy-pack DIR` for each, relative to the repository root (where the stand-in runs). */
  policyPacks?: string[];
  /**
   * Through `npm run --silent engine -- ...`, as the docs tell users to type it. Otherwise the
   * script's own command (`node emulators/engine/main.ts`), which is all npm runs: npm's own start
   * is a sixth of a run's CPU, and one test through npm shows the script works.
   * @default false
   */
  viaNpm?: boolean;
}

/** The environment a user's shell would give the stand-in: the test's own settings out, moto's in. */
export function engineEnv(moto: Moto, credentials?: EngineOptions["credentials"]): NodeJS.ProcessEnv {
  const own = (name: string) =>
    name.startsWith("PULUMI_") || name.startsWith("AWS_") || name.startsWith("VITEST") || name === "NODE_OPTIONS";
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !own(name))),
    ...moto.env,
    ...(credentials
      ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }
      : {}),
  };
}

/** `npm run --silent engine -- COMMAND --stack ...` (see `viaNpm`): resolves with the exit status, never rejects on it. */
export async function runEngine(command: "preview" | "up", options: EngineOptions): Promise<EngineRun> {
  const args = [command, "--stack", options.stack, "--state", options.state];
  if (options.dir) args.push("--dir", options.dir);
  for (const [key, value] of Object.entries(projectRelative(options.config ?? {})))
    args.push("--config", `${key}=${value}`);
  if (options.refresh) args.push("--refresh");
  if (options.continueOnError) args.push("--continue-on-error");
  for (const pack of options.policyPacks ?? []) args.push("--policy-pack", pack);
  const { status, stdout, stderr } = await engineScript(args, engineEnv(options.moto, options.credentials), options);
  const steps = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Step);
  const entries = (severity: string) =>
    stderr
      .split(/\n(?=(?:info|warning|error|debug|engine stand-in): )/)
      .filter((e) => e.startsWith(`${severity}: `))
      .map((e) => e.slice(severity.length + 2).trimEnd());
  return { status, steps, stderr, infos: entries("info"), warnings: entries("warning"), errors: entries("error") };
}

/** `npm run --silent engine -- output`: the stack's outputs, as `pulumi stack output --json` prints them. */
export async function stackOutputs(
  options: Pick<EngineOptions, "moto" | "stack" | "state">,
): Promise<Record<string, unknown>> {
  const { status, stdout, stderr } = await engineScript(
    ["output", "--stack", options.stack, "--state", options.state],
    engineEnv(options.moto),
    {},
  );
  if (status !== 0) throw new Error(`engine output failed (${status}): ${stderr}`);
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The steps as `op type name` (with the result when not a success), for comparing whole runs. */
export function stepLines(
  run: EngineRun,
  filter: (step: Step) => boolean = (s) => !s.type.startsWith("pulumi:"),
): string[] {
  return run.steps
    .filter(filter)
    .map((s) => `${s.op} ${s.type} ${s.name}${s.result ? ` ${s.result}` : ""}${s.retained ? " retained" : ""}`);
}

/** package.json's `engine` script, `node FILE`: what `npm run engine` runs, from the repository root. */
function scriptCommand(): string[] {
  const script = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts.engine;
  const [program, ...args] = script.split(/\s+/);
  if (program !== "node") throw new Error(`package.json's engine script is not "node FILE": ${script}`);
  return args;
}

/** The engine script with `args`, through npm or as the script's own command (the Node.js that runs these tests). */
async function engineScript(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: Pick<EngineOptions, "viaNpm">,
): Promise<{ status: number; stdout: string; stderr: string }> {
  let command = process.execPath;
  let prefix = scriptCommand();
  if (options.viaNpm) {
    // npm as the user's shell finds it, or the npm that runs these tests.
    const execPath = process.env.npm_execpath;
    const npmCli = execPath && /npm-cli\.js$/.test(execPath) ? [execPath] : undefined;
    command = npmCli ? process.execPath : "npm";
    prefix = [...(npmCli ?? []), "run", "--silent", "engine", "--"];
  }
  try {
    const { stdout, stderr } = await promisify(execFile)(command, [...prefix, ...args], {
      cwd: ROOT,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw error;
    return { status: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A stack's state as the stand-in wrote it (the file must exist). */
export function readEngineState(file: string): StackState {
  const state = readState(file);
  if (!state) throw new Error(`no state file at ${file}`);
  return state;
}

/** The state folder of a test: one file per stack. */
export function stateFile(dir: string, stack: string): string {
  return join(dir, `${stack}.json`);
}

/** What a test of the program through the stand-in starts from: an empty account and incidents folder. */
export interface EngineWorkspace {
  moto: Moto;
  /** The account moto's default credentials belong to. */
  account: Account;
  /** A new folder inside the project (the program reads no incidents outside it), with an empty `incidents`. */
  dir: string;
}

/**
 * One moto for the test file, as the program needs it (no AWS managed policies: resets stay fast;
 * the proxy that answers service-specific credentials in front), with this process's SDK pointed
 * at it; `fresh()` resets it and makes a new workspace. The folders go when the file is done.
 */
export function engineSuite(
  prefix: string,
  options: MotoOptions = { managedPolicies: false, serviceCredentials: true },
): { fresh(): Promise<EngineWorkspace> } {
  const suite = motoForSuite(options);
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    async fresh() {
      const moto = suite.current();
      await moto.reset();
      const dir = projectTempDir(prefix);
      dirs.push(dir);
      mkdirSync(join(dir, "incidents"));
      return { moto, account: new Account(moto), dir };
    },
  };
}
