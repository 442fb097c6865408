/**
 * Where each planned incident stands in its lifecycle: how long the credentials it revokes live,
 * whether it is still active at `now`, and whether its file can now be removed. Pure: the plan
 * and `now` in. `status`, `guard` and `verify` ask these, so "still active" is said once.
 */
import { CONSOLE_SESSION_MS, credentialLifetimeMs, expiryAfter } from "../incident/expiry.ts";
import { CLOUDTRAIL_DELIVERY_MINUTES } from "../incident/new-request.ts";
import { formatInstant } from "../incident/time.ts";
import type { Incident, Mode } from "../incident/types.ts";
import { buildPlan, type ContainmentInstants, type PlannedIncident } from "./plan.ts";

const namesUser = (incident: Pick<PlannedIncident, "principals">) => incident.principals.some((p) => p.type === "user");

/** How long a credential minted before the cutoff can live: 36 h when a user is named, else 12 h. */
export function lifetimeMs(incident: Pick<PlannedIncident, "principals">): number {
  return credentialLifetimeMs(namesUser(incident));
}

/** The expiry of an at-containment incident once `pulumi up` has recorded its instant, `containedAt`. */
export function expiryOnceContained(
  incident: Pick<PlannedIncident, "principals" | "holdUntil">,
  containedAt: string,
): string | null {
  return expiryAfter(containedAt, namesUser(incident), incident.holdUntil);
}

/**
 * Whether the incident must stay: its expiry has not come yet, or is unknown (an at-containment
 * instant not recorded yet: no finite instant is safe then). At the expiry itself, a credential
 * minted just before the cutoff has just expired: the incident is over.
 */
export function isActive(incident: Pick<PlannedIncident, "expiresAt">, now: Date): boolean {
  return incident.expiresAt === null || now.getTime() < Date.parse(incident.expiresAt);
}

/** Milliseconds from `now` to the expiry (negative once it has passed); null while it is unknown. */
export function timeLeftMs(incident: Pick<PlannedIncident, "expiresAt">, now: Date): number | null {
  return incident.expiresAt === null ? null : Date.parse(incident.expiresAt) - now.getTime();
}

/**
 * What an incident's expiry does not cover: a session minted before the cutoff can open a console
 * session through the federation endpoint (GetSigninToken) until the expiry, and that console
 * session lives up to {@link CONSOLE_SESSION_MS} (12 h) after it is opened, whatever the session's
 * own lifetime. The review finds such sessions (docs/review.md, "Console sessions the review did
 * not follow"); when one ends after the expiry, `holdUntil` keeps the incident until its end.
 */
export interface ConsoleSessionCheck {
  /** The latest such a console session can end: the cutoff plus the credentials' lifetime (36 h or 12 h) plus 12 h. */
  latestEnd: string;
  /**
   * The review to run before removing the file, one per access key it lists: from the cutoff to
   * `latestEnd`, so that the end it prints for a console session (`until`) is never cut short by
   * the review's own end. Empty when the file lists no access key.
   */
  reviews: string[];
  /**
   * When to run them: the expiry plus CloudTrail's delivery delay ({@link CLOUDTRAIL_DELIVERY_MINUTES}
   * minutes), so that a GetSigninToken made just before the expiry is in what they read.
   */
  reviewAfter: string;
  /**
   * Where else to look, whatever the reviews say: a review follows the listed keys' sessions only,
   * not those of the incident's other users' keys or of its roles.
   */
  cloudTrail: string;
}

/**
 * The console sessions an incident's expiry does not cover. Null while the expiry is unknown, and
 * when it already outlasts every one of them (a `holdUntil` 12 h past the credentials' lifetime).
 */
export function consoleSessionCheck(
  incident: Pick<PlannedIncident, "cutoff" | "expiresAt" | "cutoffPending" | "accessKeys" | "principals">,
): ConsoleSessionCheck | null {
  if (incident.expiresAt === null || incident.cutoffPending) return null;
  // The last session minted before the cutoff ends at cutoff + its lifetime, whatever holdUntil says.
  const latest = Date.parse(incident.cutoff) + lifetimeMs(incident) + CONSOLE_SESSION_MS;
  if (Date.parse(incident.expiresAt) >= latest) return null;
  const latestEnd = formatInstant(new Date(latest));
  return {
    latestEnd,
    reviews: incident.accessKeys.map(
      (key) => `npx cordon review --access-key ${key} --since ${incident.cutoff} --until ${latestEnd}`,
    ),
    reviewAfter: formatInstant(new Date(Date.parse(incident.expiresAt) + CLOUDTRAIL_DELIVERY_MINUTES * 60_000)),
    cloudTrail: `look in CloudTrail for GetSigninToken by sessions of its principals from ${incident.cutoff} to ${incident.expiresAt}`,
  };
}

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
  /** Listed keys IAM no longer had at the last `pulumi up` (from the stack outputs): contained, nothing to disable. */
  goneAccessKeys: string[];
  /** Every account whose stack declares a share of it (removing the file reaches each of them). */
  accounts: string[];
  /** The organization guardrails it asks for (the organization stack declares them). */
  organization: { scp: boolean; rcp: boolean };
  /**
   * The console sessions its expiry does not cover, and the review that finds them; null while the
   * expiry is unknown, or once holdUntil outlasts them all.
   */
  consoleSessions: ConsoleSessionCheck | null;
}

export function incidentStatuses(
  incidents: Incident[],
  now: Date,
  containment: ContainmentInstants = {},
  goneAccessKeys: readonly string[] = [],
): IncidentStatus[] {
  return buildPlan(incidents, { containment, goneAccessKeys }).incidents.map((planned) => {
    const left = timeLeftMs(planned, now);
    return {
      id: planned.id,
      file: planned.file,
      mode: planned.mode,
      cutoff: planned.cutoff,
      expiresAt: planned.expiresAt,
      removable: !isActive(planned, now),
      timeLeftSeconds: left === null ? null : Math.max(0, Math.ceil(left / 1000)),
      atContainment: planned.atContainment,
      cutoffPending: planned.cutoffPending,
      holdUntil: planned.holdUntil,
      goneAccessKeys: planned.goneAccessKeys,
      accounts: planned.accounts,
      organization: planned.organization,
      consoleSessions: consoleSessionCheck(planned),
    };
  });
}
