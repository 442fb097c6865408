/**
 * Starts the program as the Node.js language host does (sdk/nodejs/cmd/pulumi-language-nodejs,
 * main.go: constructArguments, constructConfig, execRuntime in pulumi/pulumi): `node` running the
 * project's own `@pulumi/pulumi/cmd/run` with the monitor's and the engine's addresses, the
 * organization, project, root directory, stack, working directory, `--dry-run` for a preview, the
 * parallelism and the entry point `.`; with the caller's environment plus `PULUMI_CONFIG` (each
 * `ns:key` written `ns:config:key`, as the host still does for older SDKs) and
 * `PULUMI_CONFIG_SECRET_KEYS`, and `PULUMI_NODEJS_TYPESCRIPT`/`PULUMI_NODEJS_TSCONFIG_PATH` when the
 * runtime's options ask for them. The host also passes `--sync` (a pipe for synchronous invokes);
 * the SDK this project pins never opens it, so it is left out.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Project } from "./project.ts";

export interface Launch {
  project: Project;
  stack: string;
  organization: string;
  monitor: string;
  engine: string;
  dryRun: boolean;
  /** The host's `--parallel` (the CLI's default when none is given). */
  parallel: number;
}

/** The command line and environment the host would use. */
export function hostCommand(
  launch: Launch,
  environment: NodeJS.ProcessEnv,
): { args: string[]; env: NodeJS.ProcessEnv } {
  const { project } = launch;
  // The host resolves @pulumi/pulumi/cmd/run from the program's folder, so the project's own SDK runs it.
  const runPath = createRequire(join(project.dir, "package.json")).resolve("@pulumi/pulumi/cmd/run");
  const options = project.runtimeOptions;
  const nodeArgs = typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [];
  const args = [
    ...nodeArgs,
    runPath,
    "--monitor",
    launch.monitor,
    "--engine",
    launch.engine,
    "--organization",
    launch.organization,
    "--project",
    project.name,
    "--root-directory",
    project.dir,
    "--stack",
    launch.stack,
    "--pwd",
    project.dir,
    ...(launch.dryRun ? ["--dry-run"] : []),
    "--parallel",
    String(launch.parallel),
    ".",
  ];
  const config = Object.fromEntries(
    Object.entries(project.config).map(([key, value]) => [key.replace(/^([^:]+):/, "$1:config:"), value]),
  );
  const env: NodeJS.ProcessEnv = {
    ...environment,
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: "[]",
  };
  if (options.typescript === true) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (typeof options.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  return { args, env };
}

/** Starts the program; its standard output goes to `stdout` (the stand-in's own is for its steps). */
export function launchProgram(
  launch: Launch,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): ChildProcess {
  const { args, env } = hostCommand(launch, process.env);
  // The host runs `node` from the PATH; the stand-in runs the Node.js it runs on, the one npm chose.
  const child = spawn(process.execPath, args, { cwd: launch.project.dir, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(stdout, { end: false });
  child.stderr?.pipe(stderr, { end: false });
  return child;
}

/**
 * The version of the project's own @pulumi/pulumi: the CLI version the stand-in plays, since the
 * workflows install the CLI of the SDK's version.
 */
export function projectSdkVersion(projectDir: string): string {
  const runPath = createRequire(join(projectDir, "package.json")).resolve("@pulumi/pulumi/cmd/run");
  return (JSON.parse(readFileSync(join(dirname(runPath), "..", "..", "package.json"), "utf8")) as { version: string })
    .version;
}
