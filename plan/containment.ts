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
import { compareText } from "../incident/order.ts";
import { accountsOf } from "./accounts.ts";

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

/**
 * What an at-containment incident's instant does not cover: its users in accounts other than the
 * owner's ({@link containmentOwner}). Their own account's stack disables their keys, but the owner
 * records the instant after, and moves it for, the keys of its own account only (a stack deploys
 * one account and sees that account's keys), so a key the attacker adds to one of them, or sets
 * Active again, can mint sessions after the cutoff that no run revokes. Undefined when nothing is
 * left out: another cutoff, `mode: deny-all` (which denies after the cutoff too), or one account.
 */
export function instantOutreachProblem(
  incident: Pick<Incident, "id" | "cutoff" | "mode" | "account" | "users" | "roles" | "replacementRoles">,
): string | undefined {
  if (incident.mode === "deny-all") return undefined;
  const owner = containmentOwner(incident);
  if (owner === undefined) return undefined;
  const elsewhere = new Map<string, string[]>();
  for (const user of incident.users)
    if (user.account !== owner) elsewhere.set(user.account, [...(elsewhere.get(user.account) ?? []), user.name]);
  if (elsewhere.size === 0) return undefined;
  const named = [...elsewhere.keys()]
    .sort(compareText)
    .map((account) => `account ${account}: ${elsewhere.get(account)!.sort(compareText).join(", ")}`)
    .join("; ");
  return `cutoff at-containment: the instant is recorded by the stack of account ${owner} once the access keys of the incident's users in that account are Inactive, and moved by a key found there later; the users in other accounts (${named}) have their keys disabled by their own account's stack, but no key of theirs holds the instant back or moves it (no stack sees another account's keys): a key added to one of them, or set Active again, mints sessions after the cutoff that stay valid; to cover them, list such a key as exposed in an at-containment incident of its own account, give this incident an explicit cutoff after their keys were disabled, or use mode: deny-all`;
}
