/**
 * Finds moto_server for the tests and benchmarks, or installs it where a cache belongs: never a
 * manual step; and starts it on a free loopback port.
 *
 * The order: MOTO_SERVER (a path to the executable), then `moto_server` on the PATH, then a
 * virtual environment that an earlier run installed in the user's cache folder, and last a new
 * one, made with `python3 -m venv` and the pinned moto below. The cache is outside the work
 * tree (`npm ci` wipes node_modules, and a clone stays clean), keyed by moto's version, so a new
 * pin installs afresh.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** moto 5.x; the version the tests were written against. */
export const MOTO_VERSION = "5.2.1";

export type MotoSource = "MOTO_SERVER" | "PATH" | "cache" | "install";

export interface MotoLocation {
  /** The executable to run. */
  command: string;
  source: MotoSource;
}

export interface LocateOptions {
  env: Record<string, string | undefined>;
  /** True when `path` is an executable file. */
  isExecutable(path: string): boolean;
  /** The home folder, for `~/.cache` when XDG_CACHE_HOME is not set. */
  home: string;
}

/** Where the installed virtual environment lives (and is looked for). */
export function motoCacheDir(options: Pick<LocateOptions, "env" | "home">): string {
  return join(options.env.XDG_CACHE_HOME || join(options.home, ".cache"), "cordon", `moto-${MOTO_VERSION}`);
}

/** The first of MOTO_SERVER, PATH and the cache that has moto_server; undefined when none has. */
export function locateMoto(options: LocateOptions): MotoLocation | { error: string } | undefined {
  const given = options.env.MOTO_SERVER;
  if (given) {
    return options.isExecutable(given)
      ? { command: given, source: "MOTO_SERVER" }
      : { error: `MOTO_SERVER=${given} is not an executable file` };
  }
  for (const dir of (options.env.PATH ?? "").split(delimiter)) {
    if (dir && options.isExecutable(join(dir, "moto_server")))
      return { command: join(dir, "moto_server"), source: "PATH" };
  }
  const cached = join(motoCacheDir(options), "bin", "moto_server");
  if (options.isExecutable(cached)) return { command: cached, source: "cache" };
  return undefined;
}

/** What to tell the user when moto cannot be found or installed: one line, what to do. */
export function installAdvice(reason: string): string {
  return `moto_server not found and ${reason}: install Python 3 with venv and pip (Debian: apt install python3-venv), or run pip install "moto[server]==${MOTO_VERSION}", or set MOTO_SERVER to a moto_server executable`;
}

/** Installs moto into the cache with `python3 -m venv` and pip; throws with one line on failure. */
export function installMoto(options: Pick<LocateOptions, "env" | "home">, log: (line: string) => void): MotoLocation {
  const dir = motoCacheDir(options);
  const run = (command: string, args: string[]) =>
    spawnSync(command, args, {
      env: { ...process.env, ...options.env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  log(`moto_server not found: installing moto[server]==${MOTO_VERSION} into ${dir} (once)`);
  const venv = run("python3", ["-m", "venv", dir]);
  if (venv.error || venv.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      installAdvice(venv.error ? "python3 is not on the PATH" : `python3 -m venv failed (${lastLine(venv.stderr)})`),
    );
  }
  const pip = run(join(dir, "bin", "pip"), [
    "install",
    "--disable-pip-version-check",
    "--quiet",
    `moto[server]==${MOTO_VERSION}`,
  ]);
  if (pip.error || pip.status !== 0) {
    // A half-made environment would be found next time and fail there: remove it.
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      installAdvice(
        `pip could not install moto[server]==${MOTO_VERSION} (${lastLine(pip.stderr ?? String(pip.error))})`,
      ),
    );
  }
  return { command: join(dir, "bin", "moto_server"), source: "install" };
}

/** The moto_server to run, installing it when nothing has it. */
export function ensureMoto(
  log: (line: string) => void,
  env: Record<string, string | undefined> = process.env,
): MotoLocation {
  const options: LocateOptions = { env, home: homedir(), isExecutable };
  const found = locateMoto(options);
  if (found && "error" in found) throw new Error(found.error);
  return found ?? installMoto(options, log);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return existsSync(path);
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop()?.trim() || "no output";
}

/** A started moto_server. */
export interface MotoProcess {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts `command` (a moto_server) on a free loopback port, and resolves once it answers.
 * @param managedPolicies load AWS managed policies (AdministratorAccess, ...); they cost every reset about two seconds
 */
export async function spawnMotoServer(command: string, managedPolicies: boolean): Promise<MotoProcess> {
  const child = spawn(command, ["-H", "127.0.0.1", "-p", "0"], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: managedPolicies ? "true" : "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => reject(new Error(`moto_server could not start (${command}): ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`moto_server exited with ${code} before listening:\n${output}`)));
  });
  await waitUntilReady(endpoint, child);
  return { endpoint, stop: () => stopChild(child) };
}

async function waitUntilReady(endpoint: string, child: ChildProcess): Promise<void> {
  // Poll the condition (the API answers), not a fixed sleep; bounded so a broken install fails fast.
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error("moto_server exited");
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`moto_server at ${endpoint} did not answer`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
