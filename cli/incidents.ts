/**
 * What the commands that read incident files share: the instant they judge at (`--now`), the
 * containment instants `pulumi up` recorded (`--stack-outputs`), reading and validating PATH...,
 * and reporting diagnostics the same way.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadIncidentPaths } from "../incident/read.ts";
import { formatDiagnostic, type Diagnostic } from "../incident/diagnostics.ts";
import type { Incident } from "../incident/types.ts";
import { containmentFromStackOutputs, factsFromStackOutputs, type RecordedFacts } from "../plan/outputs.ts";
import type { ContainmentInstants } from "../plan/plan.ts";
import { parseInstantFlag } from "./command.ts";
import { escapeAnnotation, UsageError, type Io } from "./io.ts";

export const DEFAULT_INCIDENTS_DIR = "incidents";

/**
 * The preamble of `plan`, `status`, `verify` and `guard`: `--now` (default: now), then the
 * instants and facts recorded in `--stack-outputs FILE` (default: none known).
 */
export function readPreamble(values: { now?: string; "stack-outputs"?: string }, io: Pick<Io, "cwd">): { now: Date; containment: ContainmentInstants; recorded: RecordedFacts } {
  const now = parseInstantFlag("now", values.now) ?? new Date();
  if (values["stack-outputs"] === undefined) return { now, containment: {}, recorded: { goneAccessKeys: [], managedDenyRoles: [] } };
  const path = resolve(io.cwd, values["stack-outputs"]);
  return { now, containment: readContainment(path), recorded: readStackOutputs(path, factsFromStackOutputs) };
}

/** The recorded containment instants of `pulumi stack output --json`; a UsageError when the file is not that. */
export function readContainment(path: string): ContainmentInstants {
  return readStackOutputs(path, containmentFromStackOutputs);
}

function readStackOutputs<T>(path: string, read: (json: unknown) => T): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`--stack-outputs ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return read(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`--stack-outputs ${path}: ${(error as Error).message}`);
  }
}

/** Loads PATHs (default `incidents/`); prints every diagnostic and returns undefined when any file is invalid. */
export function loadOrReport(paths: string[], io: Io, now: Date): Incident[] | undefined {
  const result = loadIncidentPaths(paths.length > 0 ? paths : [DEFAULT_INCIDENTS_DIR], io.cwd, now);
  if (result.errors.length === 0) return result.incidents;
  reportDiagnostics(result.errors, io);
  return undefined;
}

export function reportDiagnostics(errors: Diagnostic[], io: Io): void {
  for (const error of errors) io.err(`${formatDiagnostic(error)}\n`);
  // In GitHub Actions, the same errors become annotations on the pull request's files.
  if (io.env.GITHUB_ACTIONS === "true") {
    for (const e of errors) io.err(`::error file=${e.file},line=${e.line},col=${e.col},title=${e.code}::${escapeAnnotation(e.message)}\n`);
  }
  const files = new Set(errors.map((e) => e.file)).size;
  io.err(`${errors.length} ${errors.length === 1 ? "error" : "errors"} in ${files} ${files === 1 ? "file" : "files"}: nothing is planned while any incident file is invalid\n`);
}
