/**
 * A stack's state between runs, in one JSON file per stack, as the engine's checkpoint keeps it:
 * every resource with its inputs, outputs, dependencies and options, and the stack's outputs. The
 * resources are in an order the engine can trust: each after its parent, its provider and what it
 * depends on (pkg/resource/graph reads them so). Other stacks' files sit beside it
 * (`<folder>/<stack>.json`): that is where a stack reference reads them, as the engine's backend
 * reads another stack's last checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Properties } from "./properties.ts";

export interface StateResource {
  urn: string;
  type: string;
  custom: boolean;
  /** The provider's id (custom resources only). */
  id?: string;
  parent: string;
  /** `<provider URN>::<provider id>` (custom resources only). */
  provider?: string;
  inputs: Properties;
  outputs: Properties;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** The `import` option it was taken under management with. */
  importId?: string;
  retainOnDelete: boolean;
  /** True for a resource read, never managed (a stack reference). */
  external?: boolean;
  /**
   * The engine's `Delete`: an old resource that a replacement (or an import under another id)
   * superseded, pending its delete. It stays in the state, after the one that replaced it under
   * the same URN, until a run deletes it (every run tries).
   */
  delete?: true;
  /**
   * The engine's `PendingReplacement`: deleted by a delete-before-replace whose create has not
   * happened yet. The next registration of its URN creates it without deleting it again; a run
   * that no longer declares it only forgets it.
   */
  pendingReplacement?: true;
}

export interface StackState {
  version: 1;
  project: string;
  stack: string;
  /** The stack's outputs (its root resource's outputs), as `pulumi stack output --json` prints them. */
  outputs: Properties;
  resources: StateResource[];
}

/** The default state file of `stack`: `.engine-state/<stack>.json` in the project folder. */
export function defaultStateFile(projectDir: string, stack: string): string {
  return join(projectDir, ".engine-state", `${stack}.json`);
}

/** The state file of another stack, beside `stateFile`. */
export function siblingStateFile(stateFile: string, stack: string): string {
  return join(dirname(stateFile), `${stack}.json`);
}

/** The state in `file`, or undefined when the stack has never been updated. */
export function readState(file: string): StackState | undefined {
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, "utf8")) as StackState;
  if (state.version !== 1 || !Array.isArray(state.resources))
    throw new Error(`${file}: not a state file of the engine stand-in`);
  return state;
}

/** Writes the whole file at once (a rename), so a run that stops midway leaves the previous state whole. */
export function writeState(file: string, state: StackState): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
