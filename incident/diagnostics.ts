/**
 * What the loader reports: a rule of rules.ts broken at one place of one file, in cordon's one
 * format for located problems, `FILE:LINE:COL CODE message`.
 */
import type { DiagnosticCode } from "./rules.ts";

/** One problem in one file, located for editors and CI annotations. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** The rule that was broken: one entry of the rules table (rules.ts). */
  code: DiagnosticCode;
  message: string;
}

/** `FILE:LINE:COL CODE message`, cordon's one format for a located problem (log files' too). */
export function formatDiagnostic(d: Omit<Diagnostic, "code"> & { code: string }): string {
  return `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`;
}
