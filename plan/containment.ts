/**
 * The containment instant of an incident whose file says `cutoff: at-containment`: which stack
 * records it, and which cutoff follows from it. Pure.
 *
 * One instant per incident, recorded after every access key of its users that the files do not
 * keep is Inactive (again when a run finds a key no earlier instant knew), by the stack of the
 * account that holds the keys (the owner); every other stack that applies the
 * incident (the accounts of its other principals, the organization stack's guardrails) reads the
 * owner's stack outputs and never records an instant of its own. A stack that cannot read one yet
 * denies the incident's principals everything until it can.
 * @see ../docs/program.md
 */
import { formatInstant, parseInstant } from "../incident/time.ts";
import { AT_CONTAINMENT, type Incident } from "../incident/types.ts";
import { accountsOf } from "./plan.ts";

/**
 * How long after the recorded instant the cutoff falls: IAM is eventually consistent, so a key
 * that `UpdateAccessKey` has just set Inactive keeps working for a moment, and the sessions it
 * mints meanwhile must fall before the cutoff. AWS documents no bound (the IAM troubleshooting
 * page); the one published measurement found about 4 seconds (OFFENSAI, 2025, us-east-1 and
 * eu-central-1), and AWS's own answer is that changes show "in most cases ... in less than a
 * minute". Two minutes: thirty times the measured window, twice AWS's own figure, and room for the
 * runner's clock (which takes the instant) to differ from AWS's (which stamps aws:TokenIssueTime).
 * What it costs: sessions minted legitimately during those two minutes are revoked too, and must be
 * minted again after the cutoff.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
 */
export const IAM_PROPAGATION_MARGIN_SECONDS = 120;

/** The cutoff of an incident contained at `recordedAt`: the propagation margin later. */
export function containmentCutoff(recordedAt: string): string {
  const at = parseInstant(recordedAt);
  if (!at) throw new Error(`containment instant: expected an instant, found ${JSON.stringify(recordedAt)}`);
  return formatInstant(new Date(at.getTime() + IAM_PROPAGATION_MARGIN_SECONDS * 1000));
}

/**
 * The account whose stack records an at-containment incident's instant: the account of its keys
 * (E_CONTAINMENT_ACCOUNTS keeps them in one); without keys, the incident's own account when it has
 * a share there, else the first account that has one; undefined when no account has a share (only
 * Identity Center users): the organization stack records it then. Undefined for any other cutoff.
 */
export function containmentOwner(
  incident: Pick<Incident, "cutoff" | "account" | "users" | "roles" | "replacementRoles">,
): string | undefined {
  if (incident.cutoff !== AT_CONTAINMENT) return undefined;
  const withKeys = incident.users.find((user) => user.accessKeys.length > 0);
  if (withKeys) return withKeys.account;
  const accounts = accountsOf(incident);
  return accounts.includes(incident.account) ? incident.account : accounts[0];
}
