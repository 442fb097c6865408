/**
 * What every command that takes PATH... shares: read, validate, and report diagnostics the same way.
 */
import { loadIncidentPaths } from "../incident/read.ts";
import { formatDiagnostic, type Diagnostic, type Incident } from "../incident/types.ts";
import type { Io } from "./io.ts";

export const DEFAULT_INCIDENTS_DIR = "incidents";

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
    for (const e of errors) io.err(`::error file=${e.file},line=${e.line},col=${e.col},title=${e.code}::${e.message.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}\n`);
  }
  const files = new Set(errors.map((e) => e.file)).size;
  io.err(`${errors.length} ${errors.length === 1 ? "error" : "errors"} in ${files} ${files === 1 ? "file" : "files"}: nothing is planned while any incident file is invalid\n`);
}
