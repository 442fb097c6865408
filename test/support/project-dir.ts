/**
 * Incident folders for the tests that run the program: inside the project, as the program requires
 * (`cordon:incidentsDir` is a folder inside the project, which guard judges), in a folder git ignores.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";

/** The project folder (Pulumi.yaml, index.ts). */
const PROJECT_ROOT = join(import.meta.dirname, "..", "..");
const TEST_WORK = join(PROJECT_ROOT, ".test-work");

/** A new folder inside the project: give it, absolute, as `cordon:incidentsDir` to runProgram or runEngine. */
export function projectTempDir(prefix: string): string {
  mkdirSync(TEST_WORK, { recursive: true });
  return mkdtempSync(join(TEST_WORK, prefix));
}

/** `config` with `cordon:incidentsDir` as a stack file holds it: relative to the project folder. */
export function projectRelative(config: Record<string, string>): Record<string, string> {
  const dir = config["cordon:incidentsDir"];
  if (dir === undefined || !isAbsolute(dir)) return config;
  const inside = relative(PROJECT_ROOT, dir);
  if (inside.startsWith(".."))
    throw new Error(`cordon:incidentsDir ${dir} is outside the project: make it with projectTempDir`);
  return { ...config, "cordon:incidentsDir": inside };
}
