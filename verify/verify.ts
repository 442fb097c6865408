/**
 * `verify`: for every principal of every active incident in the account of the credentials in use,
 * read what is live and check it (checks.ts). Every read goes through `LiveIam`, which aws/iam.ts
 * implements over IAM and STS; here are which reads are made, which wait for which (a principal's
 * independent questions go side by side), and every decision, so a test can run it on a fake.
 */
import { sameIamName } from "../incident/fields.ts";
import { formatInstant } from "../incident/time.ts";
import { isActive } from "../plan/lifecycle.ts";
import { denyPolicyName, POLICY_PATH, type ContainmentInstants, type DenyPolicy, type Plan } from "../plan/plan.ts";
import { recordedFor } from "../plan/policies.ts";
import { credentialPlan, type UserListing } from "../plan/credentials.ts";
import type { Incident } from "../incident/types.ts";
import type { GuardrailReport } from "./organization.ts";
import {
  compareDocuments,
  credentialChecks,
  keyChecks,
  otherKeysUsedAfterCutoff,
  offsetInstant,
  policyChecks,
  principalCutoff,
  SIMULATED_ACTIONS,
  SIMULATION_OFFSET_MS,
  simulationChecks,
  TOKEN_CONTEXT,
  tokenChecks,
  unknownInstant,
  type Check,
  type Decision,
  type LiveKey,
  type LivePrincipal,
} from "./checks.ts";

/** What verify reads live. */
export interface LiveIam {
  /** The account of the credentials in use. */
  account(): Promise<string>;
  /**
   * A user and its cordon policy: the customer managed policy `policyArn` attached to it, or,
   * without one, the inline user policy `policyName` (a user without a free attachment).
   */
  user(name: string, policyName: string, policyArn?: string): Promise<LivePrincipal>;
  /**
   * A role and its cordon policy: the inline role policy `policyName`, or, with `policyArn`, the
   * customer managed policy attached to it (a role without room for the inline one).
   */
  role(name: string, policyName: string, policyArn?: string): Promise<LivePrincipal>;
  /** The status and last use of the listed keys of one user; for a key the user has not, its owner (null: deleted). */
  keys(user: string, accessKeyIds: string[]): Promise<Record<string, LiveKey>>;
  /**
   * IAM's policy simulator for the principal's own policies, with a token issued at
   * `tokenIssueTime` (and any other context keys, such as the token's `aws:PrincipalType`).
   */
  simulate(
    principalArn: string,
    actions: readonly string[],
    tokenIssueTime: string,
    context?: Record<string, string>,
  ): Promise<Record<string, Decision>>;
  /** Every credential IAM lists for the user (plan/credentials.ts's listing). */
  credentials(account: string, user: string): Promise<UserListing>;
}

export interface PrincipalReport {
  type: "user" | "role";
  name: string;
  arn: string | null;
  incidents: string[];
  mode: DenyPolicy["mode"];
  policyName: string;
  /** `arn:aws:iam::<account>:policy/cordon/<name>` for users; null for roles (inline). */
  policyArn: string | null;
  /** The instant sessions are revoked before; null while unknown. */
  cutoff: string | null;
  /** Where the cutoff comes from: the incident files or the stack outputs; null while unknown (never the live policy). */
  cutoffSource: "incident" | "stack-outputs" | null;
  ok: boolean;
  checks: Check[];
  warnings: string[];
}

export interface VerifyReport {
  account: string;
  now: string;
  ok: boolean;
  /** Active incidents with a share in this account, by id. */
  incidents: string[];
  principals: PrincipalReport[];
  /**
   * The organization guardrails, checked when the credentials are the organization stack's
   * account (verify/organization.ts); empty otherwise.
   */
  guardrails: GuardrailReport[];
  /** What the credentials in use could not see, and so was not checked. */
  notChecked: NotChecked[];
}

/**
 * Left unchecked: an active incident's share in another account (one entry per incident and
 * account), or its organization guardrails, which only the organization stack's account can read
 * (`account` null when no stack file says which account that is).
 */
export type NotChecked =
  | { kind: "share"; incident: string; account: string }
  | { kind: "guardrails"; incident: string; account: string | null };

/**
 * Reads IAM for every principal of every active incident of the credentials' account and checks it.
 * With the incidents, also every credential of each user, judged by what they keep.
 */
export async function verifyContainment(
  iam: LiveIam,
  all: Plan,
  known: ContainmentInstants,
  now: Date,
  incidents?: readonly Incident[],
): Promise<VerifyReport> {
  const account = await iam.account();
  const active = all.incidents.filter((i) => isActive(i, now));
  // An incident has a share in each account of its principals: this account's is checked here.
  const activeIds = new Set(active.filter((i) => i.accounts.includes(account)).map((i) => i.id));
  const checked = all.denyPolicies.filter(
    (deny) => deny.account === account && deny.incidents.some((id) => activeIds.has(id)),
  );

  const live: LivePrincipal[] = [];
  const notes = new Map<number, string>();
  for (const [i, deny] of checked.entries()) {
    const read = await readLive(iam, deny);
    // The program gives a role without room for the inline deny a managed one, and a user without
    // a free attachment (or with a policy at its managed deny's name that the stack did not create)
    // an inline one: without the stack outputs that say so, verify finds it where it is. A policy
    // at the managed name is cordon's deny only when it holds the plan's document, attached: a name
    // anyone can take proves nothing.
    if (read.arn !== null && !holdsPlanned(deny, read, known)) {
      const other = otherAttachment(deny);
      const found = await readLive(iam, other);
      if (holdsPlanned(other, found, known) || (read.policy.state === "missing" && found.policy.state !== "missing")) {
        checked[i] = other;
        live.push(found);
        // Only a policy at the managed name passed over for the inline deny is said not to be cordon's:
        // a role's managed deny found in place of the inline one is its deny.
        if (deny.attachment === "managed" && read.policy.state !== "missing") notes.set(i, notCordonsNote(deny));
        continue;
      }
    }
    live.push(read);
  }

  const principals: PrincipalReport[] = [];
  // Only the active incidents decide what a user keeps: an expired one keeps nothing any more.
  const activeIncidents = incidents?.filter((i) => activeIds.has(i.id));
  for (const [i, deny] of checked.entries()) {
    const report = await verifyPrincipal(iam, all, deny, live[i], known, now, activeIncidents);
    const note = notes.get(i);
    principals.push(note === undefined ? report : { ...report, warnings: [note, ...report.warnings] });
  }
  return {
    account,
    now: formatInstant(now),
    ok: principals.every((p) => p.ok),
    incidents: [...activeIds].sort(),
    principals,
    guardrails: [],
    notChecked: active.flatMap((i) =>
      i.accounts
        .filter((other) => other !== account)
        .map((other) => ({ kind: "share" as const, incident: i.id, account: other })),
    ),
  };
}

/** Whether IAM has the deny where `deny` says, attached, with the plan's document. */
function holdsPlanned(deny: DenyPolicy, live: LivePrincipal, known: ContainmentInstants): boolean {
  return (
    live.policy.state === "attached" &&
    compareDocuments(deny.document, live.policy.document, known).differences.length === 0
  );
}

/**
 * What verify says of a policy at the name of a managed deny that is not the deny it found in use:
 * not cordon's (made beforehand by whoever could write IAM, or changed since), and never deleted by it.
 */
export function notCordonsNote(managed: DenyPolicy): string {
  const arn = policyArnOf(managed);
  return `policy ${arn} is not cordon's deny (its document is not the plan's, or it is not attached): the ${managed.principal.type}'s deny is the inline policy found instead; cordon never deletes a policy it did not create: read it and what it is attached to (aws iam get-policy --policy-arn ${arn}; aws iam list-entities-for-policy --policy-arn ${arn}), and delete it yourself once nothing needs it`;
}

/** The same deny where the program puts it when the principal has no room for the usual one. */
function otherAttachment(deny: DenyPolicy): DenyPolicy {
  const attachment = deny.attachment === "managed" ? "inline" : "managed";
  return { ...deny, attachment, policyName: denyPolicyName(deny.principal.type, deny.principal.name, attachment) };
}

function policyArnOf(deny: DenyPolicy): string | null {
  return deny.attachment === "managed" ? `arn:aws:iam::${deny.account}:policy${POLICY_PATH}${deny.policyName}` : null;
}

function readLive(iam: LiveIam, deny: DenyPolicy): Promise<LivePrincipal> {
  const { type, name } = deny.principal;
  if (type === "user")
    return deny.attachment === "managed"
      ? iam.user(name, deny.policyName, policyArnOf(deny) as string)
      : iam.user(name, deny.policyName);
  return deny.attachment === "managed"
    ? iam.role(name, deny.policyName, policyArnOf(deny) as string)
    : iam.role(name, deny.policyName);
}

async function verifyPrincipal(
  iam: LiveIam,
  plan: Plan,
  deny: DenyPolicy,
  live: LivePrincipal,
  known: ContainmentInstants,
  now: Date,
  incidents: readonly Incident[] | undefined,
): Promise<PrincipalReport> {
  const { type, name } = deny.principal;
  const attachedArn = live.policy.state === "attached" ? live.policy.policyArn : undefined;
  // The recorded instants come from the stack outputs only: a live instant other than the one
  // recorded is a change to the policy, and without the record there is nothing to compare with.
  const comparison =
    live.policy.state === "attached" ? compareDocuments(deny.document, live.policy.document, known) : null;
  const incidentCutoffs = plan.incidents
    .filter((i) => deny.incidents.includes(i.id))
    .map((i) => recordedFor(known, i.id) ?? i.cutoff);
  const recorded = principalCutoff(deny, known, incidentCutoffs);
  // deny-all denies whatever the instant: its principals are simulated around now without it.
  const cutoff = recorded ?? (deny.mode === "deny-all" ? formatInstant(now) : null);
  const deferred = plan.incidents.filter((i) => deny.incidents.includes(i.id) && i.atContainment).map((i) => i.id);
  const cutoffSource =
    recorded === null
      ? null
      : deferred.length > 0 && deferred.every((id) => recordedFor(known, id) !== undefined)
        ? "stack-outputs"
        : "incident";

  const checks = policyChecks(deny, live, comparison);
  const warnings: string[] = [];
  const user = type === "user" && live.arn !== null;
  // Every listed key, those the stack outputs say were deleted too: verify asks IAM itself.
  const listed = user
    ? [...plan.accessKeys, ...plan.goneAccessKeys]
        .filter((k) => k.account === deny.account && sameIamName(k.user, name))
        .map((k) => k.accessKeyId)
        .sort()
    : [];
  // IAM's simulator, for a principal that exists and an instant that is known: just before and just after it.
  const simulated =
    live.arn === null || cutoff === null
      ? null
      : {
          arn: live.arn,
          before: offsetInstant(cutoff, -SIMULATION_OFFSET_MS),
          after: offsetInstant(cutoff, SIMULATION_OFFSET_MS),
        };
  const simulate = (at: "before" | "after", context?: Record<string, string>) =>
    simulated === null ? Promise.resolve(null) : iam.simulate(simulated.arn, SIMULATED_ACTIONS, simulated[at], context);
  // A user's own temporary credentials, of either kind, issued before the cutoff.
  const tokenKinds = type === "user" ? (["session-token-denied", "federation-token-denied"] as const) : [];
  // Independent questions about one principal: asked side by side, judged in this order.
  const [keys, listing, before, after, ...tokens] = await sideBySide([
    listed.length > 0 ? iam.keys(name, listed) : Promise.resolve(null),
    user && incidents !== undefined ? iam.credentials(deny.account, name) : Promise.resolve(null),
    simulate("before"),
    simulate("after"),
    ...tokenKinds.map((check) => simulate("before", TOKEN_CONTEXT[check].context)),
  ] as const);
  if (keys !== null) {
    const judged = keyChecks(name, keys, cutoff);
    checks.push(...judged.checks);
    warnings.push(...judged.warnings);
  }
  if (listing !== null && incidents !== undefined) {
    const naming = incidents.filter((i) => deny.incidents.includes(i.id));
    // The plan holds every user of the naming incidents in the account; this principal's is the
    // one judged (its listing is the only one given).
    const credentials = credentialPlan(naming, {
      account: deny.account,
      containment: known,
      listings: [listing],
    }).users.find((u) => u.account === deny.account && sameIamName(u.user, name));
    if (credentials !== undefined) {
      const judged = credentialChecks(credentials);
      checks.push(...judged.checks);
      warnings.push(...judged.warnings);
      // Every other access key of the user could have minted sessions after the cutoff too.
      const others = credentials.credentials
        .filter((c) => c.kind === "access-key" && !c.exposed && c.fate !== "kept" && c.status !== null)
        .map((c) => c.id);
      if (others.length > 0 && cutoff !== null)
        warnings.push(...otherKeysUsedAfterCutoff(name, await iam.keys(name, others), cutoff));
    }
  }
  if (live.arn !== null) {
    if (simulated === null || cutoff === null || before === null || after === null) {
      checks.push(unknownInstant(deny.pendingContainment.filter((id) => recordedFor(known, id) === undefined)));
    } else {
      checks.push(...simulationChecks(deny, cutoff, before, after));
      for (const [i, check] of tokenKinds.entries()) {
        const decisions = tokens[i];
        if (decisions !== null) checks.push(tokenChecks(check, simulated.before, decisions));
      }
    }
  }
  return {
    type,
    name,
    arn: live.arn,
    incidents: deny.incidents,
    mode: deny.mode,
    // As IAM has it attached: its name may spell the principal otherwise than the files.
    policyName: attachedArn === undefined ? deny.policyName : attachedArn.slice(attachedArn.lastIndexOf("/") + 1),
    policyArn: attachedArn ?? policyArnOf(deny),
    cutoff,
    cutoffSource,
    ok: checks.every((c) => c.ok),
    checks,
    warnings,
  };
}

/**
 * Reads asked side by side: their answers in the order given, or, when any fails, the failure of
 * the first in that order, whichever came first in time (the same run fails the same way).
 */
async function sideBySide<T extends readonly unknown[]>(
  reads: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(reads);
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
