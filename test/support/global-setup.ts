/**
 * Once per test run, before any test file: which moto_server the tests start (see
 * emulators/moto.ts), handed to every test worker through vitest's provide/inject; Node's
 * module compile cache for every process of the run; and one temporary folder for the run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureMoto } from "../../emulators/moto.ts";

export default function setup(project: TestProject): () => void {
  // Every test worker, reader thread (review/logs/readers.ts passes the cache on), CLI child, engine
  // stand-in, program under Pulumi's cmd/run and policy pack compiles the same modules again (type
  // stripping included): the cache halves the CPU time of a file that runs reviews (review-never-clean:
  // 14 to 6 CPU-seconds), and compiling @pulumi/pulumi and @pulumi/aws was a third of a program run's. In the checkout's ignored tmp/,
  // which a fresh checkout does not have: never a folder that another job or user shares (the reason
  // cli/cordon.js keeps it off in CI). An entry serves only a module whose contents are unchanged.
  // NODE_COMPILE_CACHE chooses another folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  // https://nodejs.org/api/module.html#module-compile-cache
  process.env.NODE_COMPILE_CACHE ??= resolve(import.meta.dirname, "..", "..", "tmp", "node-compile-cache");
  const moto = ensureMoto((line) => process.stderr.write(`${line}\n`));
  project.provide("motoServer", moto.command);
  // Every temporary file of the run, the tests' own and those of what they start (moto, git, the CLI,
  // Chromium), in one folder that goes when the run ends, whatever a test left behind: before, a run
  // left a few hundred folders in the system's temporary folder. Workers and their children inherit it.
  const scratch = mkdtempSync(join(tmpdir(), "cordon-tests-"));
  process.env.TMPDIR = scratch;
  return () => rmSync(scratch, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    motoServer: string;
  }
}
