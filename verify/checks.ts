/**
 * `verify`'s checks: does the containment that `pulumi up` declared really hold? Pure: the plan and
 * what was read live in, a list of checks per principal out. verify.ts reads IAM and asks IAM's
 * simulator through aws/; every judgement is here, testable without AWS.
 */
import { formatInstant, parseInstant } from "../incident/time.ts";
import { type ContainmentInstants, cordonPolicyArn, type DenyPolicy } from "../plan/plan.ts";
import { canonicalStatement } from "../plan/policy-grammar.ts";
import {
  fillContainment,
  pendingPlaceholders,
  placeholderIncident,
  recordedFor,
  TOKEN_ISSUE_TIME,
  type PolicyDocument,
  type PolicyStatement,
} from "../plan/policies.ts";
import { compareText } from "../incident/order.ts";
import { KIND_NOUN, type UserCredentialPlan } from "../plan/credentials.ts";

/** A principal as it is live: whether it exists, and where cordon's deny policy stands on it. */
export interface LivePrincipal {
  /** Null when the user or role does not exist. */
  arn: string | null;
  /**
   * `attached` with the live document; `detached`: the managed policy exists but is not attached
   * to the user; `missing`: no such policy.
   */
  policy:
    | {
        state: "attached";
        document: PolicyDocument;
        /**
         * A managed deny: the ARN IAM lists it attached under, which may spell the principal's name
         * otherwise than the files do (the stack keeps the spelling it created it under; IAM
         * names ignore case).
         */
        policyArn?: string;
      }
    | { state: "detached" }
    | { state: "missing" };
}

export interface LiveKey {
  /** Null when the user has no such key. */
  status: string | null;
  lastUsed: string | null;
  /**
   * For a key the user has not: the user IAM names as its owner (GetAccessKeyLastUsed), or null
   * when IAM has no such key at all: it was deleted. Undefined when not asked.
   */
  owner?: string | null;
  /** For a key the user has not: IAM refused to say whose it is (AccessDenied), as it does for a key of another account. */
  ownerRefused?: boolean;
}

/** IAM's decision for one action, and the policies whose statements decided it. */
export interface Decision {
  decision: "allowed" | "explicitDeny" | "implicitDeny";
  /** SourcePolicyId of the matched statements (the policy names). */
  policies: string[];
}

/**
 * The actions simulated for each principal: reads and writes of data, IAM persistence, compute and
 * role assumption. `sts:GetCallerIdentity` is left out on purpose: AWS answers it even under an
 * explicit deny, so the simulator's answer for it would prove nothing.
 */
/** How the console-password check says an incident keeps it: no IAM user name holds its spaces, colons or parentheses. */
export const PASSWORD_KEPT = "(keep: consolePassword: true)";

export const SIMULATED_ACTIONS = [
  "ec2:DescribeInstances",
  "ec2:RunInstances",
  "iam:AttachUserPolicy",
  "iam:CreateAccessKey",
  "iam:CreateUser",
  "s3:GetObject",
  "s3:PutObject",
  "secretsmanager:GetSecretValue",
  "sts:AssumeRole",
] as const;

/**
 * The sampled actions the simulator did not explicitly deny, sorted: an action it gave no answer
 * for counts as not denied (an empty or partial answer proves nothing), and so does any other
 * action it answered without an explicit deny.
 */
function notExplicitlyDenied(results: Record<string, Decision>): string[] {
  return [...new Set([...SIMULATED_ACTIONS, ...Object.keys(results)])]
    .filter((action) => results[action]?.decision !== "explicitDeny")
    .sort(compareText);
}

/** Each action with the simulator's decision, or that it gave none. */
function decided(actions: readonly string[], results: Record<string, Decision>): string {
  return actions.map((action) => `${action} (${results[action]?.decision ?? "no answer"})`).join(", ");
}

/**
 * Tokens issued this long before the cutoff must be denied, this long after it must not be: close
 * enough to the cutoff to catch an instant that is off by an hour (a time zone), far enough that
 * second rounding does not matter.
 * @default 60000
 */
export const SIMULATION_OFFSET_MS = 60_000;

export type CheckName =
  | "deny-attached"
  | "document-matches"
  | "key-inactive"
  | "denied-before-cutoff"
  | "after-cutoff"
  | "credentials-inactive"
  | "console-password"
  | "mfa-deactivated"
  | "session-token-denied"
  | "federation-token-denied";

export interface Check {
  check: CheckName;
  ok: boolean;
  /** The key and its live status (`deleted`: IAM no longer has it; null: not the user's), for `key-inactive`. */
  accessKeyId?: string;
  status?: string | null;
  message: string;
  /** What to do when the check failed. */
  fix?: string;
  /** For the simulation checks: the token issue time simulated and IAM's decision per action. */
  tokenIssueTime?: string;
  decisions?: Record<string, Decision["decision"]>;
}

export interface DocumentComparison {
  /** Empty when the live document is the planned one, as IAM reads them. */
  differences: string[];
  /** At-containment incidents whose instant is not known: their statements are compared but for it. */
  unknownInstants: string[];
}

/**
 * Compares a live document with the planned one, where the plan's `{{containment:<id>}}`
 * placeholders hold the instants `pulumi up` recorded (`known`, from the stack outputs). A
 * statement whose instant is not known is compared but for that instant: the live policy's own
 * text is never taken as the recorded instant, since whoever could edit the policy could have
 * written any instant there (one years back revokes nothing).
 */
export function compareDocuments(
  planned: PolicyDocument,
  live: PolicyDocument,
  known: ContainmentInstants = {},
): DocumentComparison {
  const unknown = new Set<string>();
  const asLive: ContainmentInstants = {};
  const liveBySid = new Map(live.Statement.map((s) => [s.Sid ?? "", s]));
  for (const statement of planned.Statement) {
    for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
      for (const [key, value] of Object.entries(entries)) {
        const id = placeholderIncident(value);
        if (id === undefined || recordedFor(known, id) !== undefined) continue;
        unknown.add(id);
        // Only so that the rest of the statement is compared: this instant proves nothing.
        const found = conditionValue(liveBySid.get(statement.Sid ?? ""), operator, key);
        const instant = typeof found === "string" ? parseInstant(found) : undefined;
        if (instant) asLive[id] = formatInstant(instant);
      }
    }
  }
  const filled = fillContainment(planned, { ...asLive, ...known });
  return { differences: statementDifferences(filled, live), unknownInstants: [...unknown].sort(compareText) };
}

function conditionValue(statement: PolicyStatement | undefined, operator: string, key: string): unknown {
  const entries = statement?.Condition?.[operator];
  if (!entries) return undefined;
  // Condition keys are case-insensitive in IAM.
  const found = Object.keys(entries).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : entries[found];
}

function statementDifferences(planned: PolicyDocument, live: PolicyDocument): string[] {
  const differences: string[] = [];
  if (live.Version !== planned.Version)
    differences.push(`Version is ${JSON.stringify(live.Version ?? null)}, planned "${planned.Version}"`);
  const plannedBySid = new Map(planned.Statement.map((s) => [s.Sid ?? "", s]));
  const liveStatements = live.Statement;
  const liveSids = new Set(liveStatements.map((s) => s.Sid ?? ""));
  for (const [sid, statement] of [...plannedBySid].sort(([a], [b]) => compareText(a, b))) {
    const found = liveStatements.filter((s) => (s.Sid ?? "") === sid);
    if (found.length === 0) differences.push(`statement ${sid} is missing`);
    else if (!found.some((s) => same(s, statement)))
      differences.push(
        `statement ${sid} differs: found ${JSON.stringify(canonicalStatement(found[0]))}, planned ${JSON.stringify(canonicalStatement(statement))}`,
      );
  }
  for (const sid of [...liveSids].filter((sid) => !plannedBySid.has(sid)).sort(compareText)) {
    differences.push(sid === "" ? "a statement without Sid is not in the plan" : `statement ${sid} is not in the plan`);
  }
  if (differences.length === 0 && liveStatements.length !== planned.Statement.length)
    differences.push(`${liveStatements.length} statements, planned ${planned.Statement.length}`);
  return differences;
}

function same(a: PolicyStatement, b: PolicyStatement): boolean {
  return JSON.stringify(canonicalStatement(a)) === JSON.stringify(canonicalStatement(b));
}

/**
 * What to do when the policy at a managed deny's name may not be cordon's: the run says whether the
 * stack created it (it compares IAM's id with the one its state recorded); one it did not is never
 * trusted nor deleted by cordon.
 */
function notCreatedFix(arn: string): string {
  return `if the run says IAM has a policy there that this stack did not create, it is not cordon's deny: the run puts the deny inline instead, and cordon never deletes that policy: read it and what it is attached to (aws iam get-policy --policy-arn ${arn}; aws iam list-entities-for-policy --policy-arn ${arn}), and delete it yourself once nothing needs it`;
}

/** The checks on cordon's deny policy of one principal. */
export function policyChecks(deny: DenyPolicy, live: LivePrincipal, comparison: DocumentComparison | null): Check[] {
  const { type, name } = deny.principal;
  const fix = "run `pulumi up --refresh` to restore it, then verify again";
  if (live.arn === null) {
    return [
      {
        check: "deny-attached",
        ok: false,
        message: `${type} ${name} does not exist in account ${deny.account}`,
        fix: "check the name in the incident file",
      },
    ];
  }
  if (live.policy.state === "missing") {
    const what =
      deny.attachment === "managed"
        ? `deny policy ${deny.policyName} does not exist`
        : `inline policy ${deny.policyName} is not on ${type} ${name}`;
    return [
      {
        check: "deny-attached",
        ok: false,
        message: what,
        fix: "run `pulumi up --refresh` to attach it, then verify again",
      },
    ];
  }
  if (live.policy.state === "detached") {
    return [
      {
        check: "deny-attached",
        ok: false,
        message: `deny policy ${deny.policyName} exists but is not attached to ${type} ${name}`,
        // A policy of that name that this stack did not create (made beforehand, by whoever held
        // the key): the run puts the deny inline and says so; verify says what to do with it.
        fix: `run \`pulumi up --refresh\` to attach it, then verify again; ${notCreatedFix(cordonPolicyArn(deny.account, deny.policyName))}`,
      },
    ];
  }
  const attached: Check = {
    check: "deny-attached",
    ok: true,
    message: `deny policy ${deny.policyName} is attached to ${type} ${name}`,
  };
  const differences = comparison?.differences ?? [];
  if (differences.length === 0)
    return [attached, { check: "document-matches", ok: true, message: "the live document is the planned one" }];
  return [
    attached,
    {
      check: "document-matches",
      ok: false,
      message: `deny policy ${deny.policyName} differs from the plan: ${differences.join("; ")}`,
      fix:
        deny.attachment === "managed"
          ? `${fix}; CloudTrail says who changed it; ${notCreatedFix(cordonPolicyArn(deny.account, deny.policyName))}`
          : `${fix}; CloudTrail says who changed it`,
    },
  ];
}

/**
 * The instant the principal's deny policy revokes sessions before: the latest `aws:TokenIssueTime`
 * of its filled document (the latest cutoff covers the earlier ones). Null while a containment
 * instant is unknown. deny-all documents hold no instant: the latest known incident cutoff is used.
 */
export function principalCutoff(
  deny: DenyPolicy,
  containment: ContainmentInstants,
  incidentCutoffs: string[],
): string | null {
  const filled = fillContainment(deny.document, containment);
  if (deny.mode === "deny-all") return latest(incidentCutoffs.filter((c) => parseInstant(c) !== undefined));
  if (pendingPlaceholders(filled).length > 0) return null;
  const instants = filled.Statement.flatMap((s) =>
    Object.values(s.Condition ?? {}).flatMap((entries) =>
      Object.entries(entries)
        .filter(([key]) => key === TOKEN_ISSUE_TIME)
        .map(([, value]) => String(value)),
    ),
  );
  return latest(instants);
}

function latest(instants: string[]): string | null {
  const times = instants.map((i) => parseInstant(i)?.getTime()).filter((t): t is number => t !== undefined);
  return times.length === 0 ? null : formatInstant(new Date(Math.max(...times)));
}

export function offsetInstant(instant: string, ms: number): string {
  return formatInstant(new Date((parseInstant(instant)?.getTime() ?? Number.NaN) + ms));
}

/**
 * Listed keys must be Inactive, or deleted (contained too); a key of another user fails. A key used
 * after the cutoff leaves sessions that are not revoked.
 */
export function keyChecks(
  user: string,
  keys: Record<string, LiveKey>,
  cutoff: string | null,
): { checks: Check[]; warnings: string[] } {
  const checks: Check[] = [];
  const warnings: string[] = [];
  for (const id of Object.keys(keys).sort(compareText)) {
    const key = keys[id];
    if (key.status === null && key.owner === null) {
      // Deleted, as AWS advises once the workload has moved: a key that does not exist signs nothing.
      checks.push({
        check: "key-inactive",
        accessKeyId: id,
        status: "deleted",
        ok: true,
        message: `${id} was deleted (IAM no longer has it): contained`,
      });
    } else if (key.status === null && key.owner !== undefined) {
      checks.push({
        check: "key-inactive",
        accessKeyId: id,
        status: null,
        ok: false,
        message: `${id} is not a key of user ${user}: IAM names user ${key.owner} as its owner`,
        fix: `list the key under user ${key.owner} in the incident file`,
      });
    } else if (key.status === null && key.ownerRefused === true) {
      checks.push({
        check: "key-inactive",
        accessKeyId: id,
        status: null,
        ok: false,
        message: `${id} is not a key of user ${user}, and IAM refused to say whose it is (AccessDenied): it may be a key of another account`,
        fix: "a key of another account belongs in an incident of that account, verified with its credentials; otherwise allow these credentials iam:GetAccessKeyLastUsed (npx cordon permissions)",
      });
    } else if (key.status === null) {
      checks.push({
        check: "key-inactive",
        accessKeyId: id,
        status: null,
        ok: false,
        message: `${id} is not a key of user ${user}`,
        fix: "check the incident file: was the key deleted, or listed under the wrong user?",
      });
    } else if (key.status !== "Inactive") {
      checks.push({
        check: "key-inactive",
        accessKeyId: id,
        status: key.status,
        ok: false,
        message: `${id} is ${key.status}`,
        fix: "run `pulumi up --refresh` to disable it again; CloudTrail (UpdateAccessKey) says who enabled it",
      });
    } else {
      checks.push({
        check: "key-inactive",
        accessKeyId: id,
        status: key.status,
        ok: true,
        message: `${id} is Inactive`,
      });
    }
    if (usedAfter(key, cutoff))
      warnings.push(
        `${id} was last used at ${key.lastUsed}, after the cutoff ${cutoff}: sessions it minted then are not revoked (the cutoff gap); use \`cutoff: at-containment\` or a later cutoff`,
      );
  }
  return { checks, warnings };
}

/** Whether a key was last used after the cutoff: the sessions it minted then carry a later aws:TokenIssueTime. */
function usedAfter(key: LiveKey, cutoff: string | null): boolean {
  const used = key.lastUsed ? parseInstant(key.lastUsed) : undefined;
  const limit = cutoff ? parseInstant(cutoff) : undefined;
  return used !== undefined && limit !== undefined && used.getTime() > limit.getTime();
}

/**
 * The other access keys of a user (not listed as exposed, not kept by name: a kept key works after
 * the cutoff on purpose) last used after the cutoff: an attacker's second key minted sessions the
 * deny does not reach. What the warning offers holds in every case: a run does not move the
 * instant for a key an earlier instant already knew (set Active again by hand, then disabled by
 * `--refresh`), nor for a key of a user in another account than the one recording the instant;
 * listing the key as exposed changes the instant's triggers, and a later explicit cutoff or
 * deny-all needs no instant at all.
 */
export function otherKeysUsedAfterCutoff(user: string, keys: Record<string, LiveKey>, cutoff: string | null): string[] {
  return Object.keys(keys)
    .sort(compareText)
    .filter((id) => usedAfter(keys[id], cutoff))
    .map(
      (id) =>
        `${id} (access key of user ${user} that no incident lists) was last used at ${keys[id].lastUsed}, after the cutoff ${cutoff}: sessions it minted then are not revoked; list the key as exposed in an incident (with \`cutoff: at-containment\`, that changes the instant's triggers: it is recorded again, after the key is disabled), give the incident an explicit cutoff after its last use, or \`mode: deny-all\``,
    );
}

/**
 * What IAM's simulator must say: before the cutoff, an explicit deny for every sampled action; after
 * it, no deny from cordon's policy (deny-all: an explicit deny there too). Denies after the cutoff
 * from other policies (AWS's quarantine policy, say) are not cordon's to judge.
 */
export function simulationChecks(
  deny: DenyPolicy,
  cutoff: string,
  before: Record<string, Decision>,
  after: Record<string, Decision>,
): Check[] {
  const beforeAt = offsetInstant(cutoff, -SIMULATION_OFFSET_MS);
  const afterAt = offsetInstant(cutoff, SIMULATION_OFFSET_MS);
  const decisions = (results: Record<string, Decision>) =>
    Object.fromEntries(
      Object.keys(results)
        .sort(compareText)
        .map((a) => [a, results[a].decision]),
    );
  const fix = "run `pulumi up --refresh`, then verify again";

  const open = notExplicitlyDenied(before);
  const checks: Check[] = [
    open.length === 0
      ? {
          check: "denied-before-cutoff",
          ok: true,
          message: `a token issued at ${beforeAt} is explicitly denied for ${Object.keys(before).length} sampled actions`,
          tokenIssueTime: beforeAt,
          decisions: decisions(before),
        }
      : {
          check: "denied-before-cutoff",
          ok: false,
          message: `a token issued at ${beforeAt} is not explicitly denied for ${decided(open, before)}`,
          fix,
          tokenIssueTime: beforeAt,
          decisions: decisions(before),
        },
  ];
  if (deny.mode === "deny-all") {
    const stillOpen = notExplicitlyDenied(after);
    checks.push(
      stillOpen.length === 0
        ? {
            check: "after-cutoff",
            ok: true,
            message: `deny-all: a token issued at ${afterAt} is explicitly denied too`,
            tokenIssueTime: afterAt,
            decisions: decisions(after),
          }
        : {
            check: "after-cutoff",
            ok: false,
            message: `deny-all: a token issued at ${afterAt} is not explicitly denied for ${decided(stillOpen, after)}`,
            fix,
            tokenIssueTime: afterAt,
            decisions: decisions(after),
          },
    );
    return checks;
  }
  const byCordon = Object.keys(after)
    .filter(
      (a) =>
        after[a].decision === "explicitDeny" &&
        (after[a].policies.length === 0 ||
          after[a].policies.some((p) => p === deny.policyName || p.endsWith(`/${deny.policyName}`))),
    )
    .sort(compareText);
  checks.push(
    byCordon.length === 0
      ? {
          check: "after-cutoff",
          ok: true,
          message: `a token issued at ${afterAt} is not denied by cordon's policy`,
          tokenIssueTime: afterAt,
          decisions: decisions(after),
        }
      : {
          check: "after-cutoff",
          ok: false,
          message: `a token issued at ${afterAt} is denied by cordon's policy for ${byCordon.join(", ")}`,
          fix: "check the cutoff in the incident file: sessions issued after it (the new access path) must keep working",
          tokenIssueTime: afterAt,
          decisions: decisions(after),
        },
  );
  return checks;
}

/** The check that stands for a simulation that could not run. */
export function notSimulated(message: string, fix: string): Check {
  return { check: "denied-before-cutoff", ok: false, message, fix };
}

/**
 * An at-containment incident whose recorded instant is not known: its containment cannot be
 * proven, because the instant it revokes sessions before is the very thing to prove.
 */
export function unknownInstant(incidents: string[]): Check {
  return notSimulated(
    `cannot verify ${incidents.join(", ")}: the containment instant is not known, and verify never takes it from the live policy, whose text anyone allowed to edit the policy could have changed`,
    "pass --stack-outputs FILE (pulumi stack output --json) with the instant pulumi up recorded; before the first pulumi up, there is nothing to verify yet",
  );
}

/**
 * Every credential of a user, read live and judged by the plan of the incidents naming it: each is
 * Inactive (or expired, or gone) unless an incident keeps it by name; the console password is gone
 * unless kept; the MFA devices the files ask to deactivate are no longer the user's. AWS's
 * quarantine policy still attached, and MFA devices enabled after the cutoff, are said, not failed.
 */
export function credentialChecks(user: UserCredentialPlan): { checks: Check[]; warnings: string[] } {
  const checks: Check[] = [];
  const warnings: string[] = [];
  const named = (c: UserCredentialPlan["credentials"][number]) => `${c.id} (${KIND_NOUN[c.kind]})`;
  // The exposed keys have their own check (key-inactive): every other credential here.
  const others = user.credentials.filter((c) => !c.exposed);
  const open = others.filter((c) => c.fate === "disable");
  const inactive = others.filter((c) => c.fate === "already-inactive" || c.fate === "expired" || c.fate === "gone");
  const kept = others.filter((c) => c.fate === "kept");
  const summary = [
    `${inactive.length} Inactive or gone`,
    ...(kept.length > 0 ? [`${kept.length} kept by name (${kept.map(named).join(", ")})`] : []),
  ].join(", ");
  checks.push(
    open.length === 0
      ? {
          check: "credentials-inactive",
          ok: true,
          message: `every other credential of user ${user.user} is Inactive or kept by name: ${summary}`,
        }
      : {
          check: "credentials-inactive",
          ok: false,
          message: `user ${user.user} has ${open.length === 1 ? "a credential" : `${open.length} credentials`} that no incident keeps, still Active: ${open.map(named).join(", ")}`,
          fix: "run `pulumi up --refresh`: every credential of a compromised user is set Inactive; CloudTrail (Create*, Upload*, Update*) says who made or enabled it",
        },
  );
  const password = user.consolePassword;
  checks.push(
    password.fate === "delete"
      ? {
          check: "console-password",
          ok: false,
          message: `user ${user.user} has a console password, which no incident keeps`,
          fix: "run `pulumi up`, which deletes it; CloudTrail (CreateLoginProfile, UpdateLoginProfile) says who set it",
        }
      : {
          check: "console-password",
          ok: true,
          message:
            password.fate === "kept"
              ? `user ${user.user}'s console password is kept ${PASSWORD_KEPT}`
              : `user ${user.user} has no console password`,
        },
  );
  const left = user.mfaDevices.filter((d) => d.fate === "deactivate");
  if (user.mfaDevices.some((d) => d.fate === "deactivate" || d.fate === "gone")) {
    checks.push(
      left.length === 0
        ? {
            check: "mfa-deactivated",
            ok: true,
            message: `the MFA devices the incidents ask to deactivate are no longer user ${user.user}'s`,
          }
        : {
            check: "mfa-deactivated",
            ok: false,
            message: `user ${user.user} still has MFA device ${left.map((d) => d.serial).join(", ")}, which an incident asks to deactivate`,
            fix: "run `pulumi up`, which deactivates it",
          },
    );
  }
  for (const device of user.mfaDevices.filter((d) => d.fate === "report")) {
    warnings.push(
      `MFA device ${device.serial} of user ${user.user} was enabled at ${device.enabledAt}, after the cutoff: whoever enabled it held a credential then; name it under deactivateMfaDevices to deactivate it`,
    );
  }
  for (const policy of user.quarantinePolicies) {
    warnings.push(
      `AWS's quarantine policy ${policy} is still attached to user ${user.user}: cordon never detaches it; detach it in IAM once the user is trusted again`,
    );
  }
  return { checks, warnings };
}

/** What each kind of user token carries that IAM's simulator is told: how its requests are seen. */
export const TOKEN_CONTEXT: Readonly<
  Record<"session-token-denied" | "federation-token-denied", { call: string; context: Record<string, string> }>
> = {
  "session-token-denied": { call: "GetSessionToken", context: { "aws:PrincipalType": "User" } },
  "federation-token-denied": { call: "GetFederationToken", context: { "aws:PrincipalType": "FederatedUser" } },
};

/**
 * A user's temporary credentials, from GetSessionToken or GetFederationToken, issued before the
 * cutoff: IAM's simulator must give an explicit deny for every sampled action. They live up to
 * 36 h, which is why an incident naming a user lasts that long.
 */
export function tokenChecks(
  check: "session-token-denied" | "federation-token-denied",
  tokenIssueTime: string,
  results: Record<string, Decision>,
): Check {
  const { call } = TOKEN_CONTEXT[check];
  const open = notExplicitlyDenied(results);
  const decisions = Object.fromEntries(
    Object.keys(results)
      .sort(compareText)
      .map((a) => [a, results[a].decision]),
  );
  return open.length === 0
    ? {
        check,
        ok: true,
        message: `a ${call} token issued at ${tokenIssueTime} is explicitly denied for ${Object.keys(results).length} sampled actions`,
        tokenIssueTime,
        decisions,
      }
    : {
        check,
        ok: false,
        message: `a ${call} token issued at ${tokenIssueTime} is not explicitly denied for ${decided(open, results)}`,
        fix: "run `pulumi up --refresh`, then verify again",
        tokenIssueTime,
        decisions,
      };
}
