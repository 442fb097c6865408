/**
 * How long an incident lasts: the lifetimes of the credentials its cutoff revokes, and so when its
 * file may be removed. It is part of what an incident file means (`holdUntil` is judged against
 * it when the file is validated), so it lives with the format; the plan, the program's outputs,
 * `status`, `guard`, `verify` and the review ask it here.
 */
import { formatInstant, parseInstant } from "./time.ts";
import { AT_CONTAINMENT, type Incident } from "./types.ts";

/**
 * How long a temporary credential minted before the cutoff can live.
 * GetSessionToken and GetFederationToken credentials of an IAM user last up to 129,600 s (36 h).
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html
 */
export const USER_CREDENTIAL_LIFETIME_MS = 129_600_000;
/**
 * A role session lasts at most the role's MaxSessionDuration, whose ceiling is 43,200 s (12 h).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html
 */
export const ROLE_CREDENTIAL_LIFETIME_MS = 43_200_000;

/**
 * The longest a console session made by the federation endpoint lasts: its `SessionDuration`, at most
 * 12 hours, which for a role session is separate from the credentials' own expiry. A session minted
 * before the cutoff can open one until the incident expires, and it may then live 12 h past the
 * expiry: the expiry does not cover it (`status` says so; the review finds such sessions).
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (DurationSeconds: "separate from the duration of a console session")
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html
 */
export const CONSOLE_SESSION_MS = 43_200_000;

/** 36 h when the incident names a user (its keys can mint session tokens), 12 h for roles only. */
export function credentialLifetimeMs(namesUser: boolean): number {
  return namesUser ? USER_CREDENTIAL_LIFETIME_MS : ROLE_CREDENTIAL_LIFETIME_MS;
}

/**
 * When an incident whose cutoff is the instant `cutoff` can be removed: the cutoff plus the
 * longest credential lifetime, or `holdUntil` when that is later. Null when `cutoff` is not an
 * instant.
 */
export function expiryAfter(cutoff: string, namesUser: boolean, holdUntil?: string | null): string | null {
  const start = parseInstant(cutoff);
  if (!start) return null;
  const computed = start.getTime() + credentialLifetimeMs(namesUser);
  const hold = holdUntil ? parseInstant(holdUntil)?.getTime() : undefined;
  return formatInstant(new Date(hold !== undefined && hold > computed ? hold : computed));
}

/** A cutoff older than every credential it revokes: it revokes nothing (see {@link staleCutoff}). */
export interface StaleCutoff {
  cutoff: string;
  now: string;
  /** How long before `now` the cutoff is. */
  ageMs: number;
  /** The longest lifetime of the credentials it revokes (36 h with a user, 12 h with roles only). */
  lifetimeMs: number;
}

/**
 * An explicit cutoff so old that every credential minted before it has already expired: the
 * incident revokes no live session, and (without a later holdUntil) is over as soon as it is
 * written. Usually a cutoff in the wrong year. Undefined for at-containment and recent cutoffs,
 * and while a holdUntil still holds the incident: an old cutoff held on purpose is no mistake.
 */
export function staleCutoff(
  incident: { users: readonly unknown[] } & Pick<Incident, "cutoff"> & Partial<Pick<Incident, "holdUntil">>,
  now: Date,
): StaleCutoff | undefined {
  const cutoff = incident.cutoff === AT_CONTAINMENT ? undefined : parseInstant(incident.cutoff);
  if (cutoff === undefined) return undefined;
  const hold = incident.holdUntil === undefined ? undefined : parseInstant(incident.holdUntil);
  if (hold !== undefined && hold.getTime() > now.getTime()) return undefined;
  const lifetimeMs = credentialLifetimeMs(incident.users.length > 0);
  const ageMs = now.getTime() - cutoff.getTime();
  return ageMs >= lifetimeMs
    ? { cutoff: formatInstant(cutoff), now: formatInstant(now), ageMs, lifetimeMs }
    : undefined;
}

/**
 * When the incident can be removed. With `cutoff: at-containment` the instant is known only once
 * `pulumi up` recorded it: pass it as `containedAt`; without it the expiry is unknown (null).
 */
export function computeExpiry(
  incident: { users: readonly unknown[] } & Pick<Incident, "cutoff" | "holdUntil">,
  containedAt?: string,
): string | null {
  const cutoff = incident.cutoff === AT_CONTAINMENT ? containedAt : incident.cutoff;
  return cutoff === undefined ? null : expiryAfter(cutoff, incident.users.length > 0, incident.holdUntil);
}
