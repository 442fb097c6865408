/**
 * Once per test run, before any test file: which moto_server the tests start (see
 * emulators/moto.ts), handed to every test worker through vitest's provide/inject.
 */
import type { TestProject } from "vitest/node";
import { ensureMoto } from "../../emulators/moto.ts";

export default function setup(project: TestProject): void {
  const moto = ensureMoto((line) => process.stderr.write(`${line}\n`));
  project.provide("motoServer", moto.command);
}

declare module "vitest" {
  export interface ProvidedContext {
    motoServer: string;
  }
}
