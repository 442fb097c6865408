/**
 * The stack outputs that `pulumi up` publishes and that `status`, `guard` and `verify` read back
 * (`pulumi stack output --json > outputs.json`, then `--stack-outputs outputs.json`).
 * Pure: JSON in, data out.
 */
import { parseInstant, formatInstant } from "../incident/time.ts";
import type { ContainmentInstants, PrincipalType } from "./plan.ts";

/** Per incident, as the program exports it under the `incidents` output. */
export interface IncidentOutput {
  /** The effective cutoff: the file's instant, or the instant recorded at containment. */
  cutoff: string;
  /** True when the file says `cutoff: at-containment` (then `cutoff` is the recorded instant). */
  atContainment: boolean;
  expiresAt: string;
  mode: string;
  principals: { type: PrincipalType; name: string }[];
  accessKeys: string[];
}

export interface StackOutputs {
  account: string;
  incidents: Record<string, IncidentOutput>;
  /** Replacement roles cordon manages; removing an incident retains them. */
  replacementRoles: string[];
}

/**
 * The containment instants recorded by `pulumi up`, from `pulumi stack output --json`.
 * Throws with a plain message when the JSON is not what the program exports.
 */
export function containmentFromStackOutputs(json: unknown): ContainmentInstants {
  const incidents = (json as { incidents?: unknown } | null)?.incidents;
  if (typeof incidents !== "object" || incidents === null || Array.isArray(incidents)) {
    throw new Error('expected the JSON of `pulumi stack output --json`, with an "incidents" object');
  }
  const instants: ContainmentInstants = {};
  for (const [id, value] of Object.entries(incidents as Record<string, Partial<IncidentOutput>>)) {
    if (!value || value.atContainment !== true) continue;
    const instant = typeof value.cutoff === "string" ? parseInstant(value.cutoff) : undefined;
    if (!instant) throw new Error(`incidents.${id}.cutoff: expected the recorded containment instant, found ${JSON.stringify(value.cutoff)}`);
    instants[id] = formatInstant(instant);
  }
  return instants;
}
