/**
 * Where each incident stands in its lifecycle: when it expires, how long is left, and whether its
 * file can now be removed. Pure: incidents, the recorded containment instants and `now` in.
 */
import { formatDuration, formatInstant } from "../incident/time.ts";
import type { Incident, Mode } from "../incident/types.ts";
import { buildPlan, type ContainmentInstants } from "../plan/plan.ts";

/** One incident's status; the `--json` contract is id, file, cutoff, expiresAt, removable. */
export interface IncidentStatus {
  id: string;
  file: string;
  mode: Mode;
  /** The effective cutoff: the file's instant, the recorded containment instant, or `at-containment` while unknown. */
  cutoff: string;
  /**
   * When the file may be removed. Null while an at-containment instant is unknown: no finite
   * instant is safe then (containment may not even have happened yet), so none is guessed.
   */
  expiresAt: string | null;
  /** True once `now` has reached `expiresAt`: every credential issued before the cutoff has expired. */
  removable: boolean;
  /** Seconds until `expiresAt` (0 once removable); null while the expiry is unknown. */
  timeLeftSeconds: number | null;
  atContainment: boolean;
  /** at-containment without a recorded instant: pass `--stack-outputs` to know the expiry. */
  cutoffPending: boolean;
  holdUntil: string | null;
}

export function incidentStatuses(incidents: Incident[], now: Date, containment: ContainmentInstants = {}): IncidentStatus[] {
  return buildPlan(incidents, { containment }).incidents.map((planned) => {
    const expires = planned.expiresAt === null ? null : Date.parse(planned.expiresAt);
    // At the expiry itself, a credential minted just before the cutoff has just expired: removable.
    const removable = expires !== null && now.getTime() >= expires;
    return {
      id: planned.id,
      file: planned.file,
      mode: planned.mode,
      cutoff: planned.cutoff,
      expiresAt: planned.expiresAt,
      removable,
      timeLeftSeconds: expires === null ? null : Math.max(0, Math.ceil((expires - now.getTime()) / 1000)),
      atContainment: planned.atContainment,
      cutoffPending: planned.cutoffPending,
      holdUntil: planned.holdUntil,
    };
  });
}

/** The readable table of `cordon status`. */
export function renderStatus(statuses: IncidentStatus[], now: Date, where: string): string {
  if (statuses.length === 0) return `no incidents in ${where}: nothing is contained, nothing to remove\n`;
  const rows = statuses.map((s) => [
    s.id,
    s.cutoffPending ? "at-containment" : s.cutoff,
    s.expiresAt ?? "unknown",
    s.timeLeftSeconds === null ? "?" : s.removable ? "0" : formatDuration(s.timeLeftSeconds * 1000),
    verdict(s),
  ]);
  const header = ["INCIDENT", "CUTOFF", "EXPIRES", "LEFT", "STATUS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ");
  const out = [line(header), ...rows.map(line), ""];
  const removable = statuses.filter((s) => s.removable);
  const pending = statuses.filter((s) => s.cutoffPending);
  if (removable.length > 0) {
    out.push(`${removable.length} of ${statuses.length} can be removed now: delete ${removable.map((s) => s.file).join(", ")} in a pull request (guard lets expired incidents go)`);
  } else {
    out.push(`none can be removed at ${formatInstant(now)}`);
  }
  if (pending.length > 0) {
    out.push(`${pending.length} pending containment: their instant is recorded by pulumi up; pass --stack-outputs FILE (pulumi stack output --json) to know their expiry`);
  }
  return `${out.join("\n")}\n`;
}

function verdict(s: IncidentStatus): string {
  if (s.cutoffPending) return "active: pending containment, expiry unknown (pass --stack-outputs)";
  if (s.removable) return `removable: delete ${s.file}`;
  return `active${s.holdUntil !== null && s.holdUntil === s.expiresAt ? " (holdUntil)" : ""}`;
}
