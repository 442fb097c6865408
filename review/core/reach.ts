/**
 * The blast radius: how far the exposed key reached, as the review saw it (key → user → the
 * sessions and keys it minted or created → the roles assumed → the accounts reached → the services
 * called there), beside what `assess` says it could reach, when its `--json` output is given. The
 * JSON's `reach` field, and what the pictures draw (review/render/mermaid.ts, svg.ts).
 *
 * Pure. The assessment is read from its JSON text here, field by field: a file given on the
 * command line is input like any other, and a review never fails because of it.
 * @see ../../docs/assess-verify.md for `assess --json`
 */
import { ACCOUNT_ID } from "../../incident/fields.ts";
import { compareText } from "../../incident/order.ts";
import { callerOf } from "./chain.ts";
import { serviceOf } from "./event.ts";
import { accountOfRoleArn, isDenied, type Review } from "./findings.ts";

/** What `assess --json` says the key's user can do (the fields of assess/assessment.ts's Assessment the blast radius shows). */
export interface Capabilities {
  user: string;
  account: string;
  /** Administrator-equivalent (an Allow of `*` on `*`). */
  admin: boolean;
  iamWrite: boolean;
  dataRead: boolean;
  secretsRead: boolean;
  dataWrite: boolean;
  /** Roles of its account it can assume, as ARNs. */
  assumableRoles: string[];
  /** Patterns of its policies that reach roles in other accounts. */
  assumableRolesInOtherAccounts: string[];
}

const RISKS = ["admin", "iamWrite", "dataRead", "secretsRead", "dataWrite"] as const;

/**
 * The capabilities in the JSON `assess --json` writes, or why they cannot be read (one line, for
 * a warning: the review goes on without them).
 */
export function capabilitiesFrom(json: unknown): Capabilities | string {
  const object = (value: unknown): Record<string, unknown> | null =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  const top = object(json);
  if (top === null) return "expected the JSON object `cordon assess --json` writes";
  const text = (name: string) => (typeof top[name] === "string" ? (top[name] as string) : null);
  const strings = (name: string) =>
    Array.isArray(top[name]) && (top[name] as unknown[]).every((item) => typeof item === "string")
      ? [...(top[name] as string[])].sort(compareText)
      : null;
  const risk = object(top.risk);
  const user = text("user");
  const account = text("account");
  const roles = strings("assumableRoles");
  const otherAccounts = strings("assumableRolesInOtherAccounts") ?? [];
  if (user === null || account === null || roles === null || risk === null)
    return 'expected the JSON of `cordon assess --json`, with "user", "account", "assumableRoles" and "risk"';
  if (!ACCOUNT_ID.test(account)) return `"account" is not an account id; expected 12 digits`;
  const flags = {} as Record<(typeof RISKS)[number], boolean>;
  for (const name of RISKS) {
    if (typeof risk[name] !== "boolean") return `"risk.${name}" is not true or false`;
    flags[name] = risk[name] as boolean;
  }
  return { user, account, ...flags, assumableRoles: roles, assumableRolesInOtherAccounts: otherAccounts };
}

/** A key the exposed key minted or created, or a user it created: one step of the chain. */
export interface ReachSession {
  /** The key id, or `user:NAME` for a user the chain created or gave a password. */
  id: string;
  /** The key (or `user:NAME`) whose call made it. */
  parent: string;
  /** `GetSessionToken`, `AssumeRole`, `CreateAccessKey`, `CreateUser`… */
  how: string;
  /** The role whose session it is (AssumeRole), as an ARN. */
  role: string | null;
  /** The user a created key belongs to. */
  user: string | null;
  /** Calls it made. */
  calls: number;
}

export interface ReachService {
  service: string;
  calls: number;
  /** Successful calls that change something. */
  writes: number;
  denied: number;
}

export interface ReachAccount {
  account: string;
  reviewedKey: boolean;
  /** Roles assumed in it, as ARNs. */
  roles: string[];
  /** The services the chain called in it (CloudTrail's `recipientAccountId`), the most called first. */
  services: ReachService[];
}

export interface ReachRole {
  arn: string;
  account: string | null;
  /** Whether `assess` lists it among the roles the user can assume; null without an assessment. */
  assumable: boolean | null;
}

/** The blast radius, seen (by the review) and possible (by `assess`, when given). */
export interface Reach {
  key: string;
  /** The IAM user of the exposed key, as its own calls name it (or the assessment); null when neither says. */
  user: string | null;
  keyAccount: string | null;
  sessions: ReachSession[];
  roles: ReachRole[];
  accounts: ReachAccount[];
  /** What `assess` said the user could do; null when no assessment was given. */
  could: Capabilities | null;
  /** Roles the chain assumed that the assessment does not list as assumable (another account's trust, or a policy assess cannot see); [] without one. */
  assumedBeyondAssessment: string[];
  /** Roles the assessment lists that the chain did not assume; [] without one. */
  assumableNotAssumed: string[];
}

export function reachOf(review: Review, could: Capabilities | null = null): Reach {
  const own = new Map<string, number>();
  for (const event of review.events) {
    if (event.accessKeyId === review.root && event.identityType === "IAMUser" && event.userName !== null)
      own.set(event.userName, (own.get(event.userName) ?? 0) + 1);
  }
  // The name most of its calls carry (the least, as text, of equals): a forged record cannot rename it alone.
  const user = [...own].sort(([a, m], [b, n]) => n - m || compareText(a, b))[0]?.[0] ?? could?.user ?? null;

  const calls = new Map<string, number>();
  for (const event of review.events) {
    calls.set(callerOf(event), (calls.get(callerOf(event)) ?? 0) + 1);
  }
  const sessions: ReachSession[] = [];
  for (const key of review.keys) {
    if (key.mintedBy === null) continue;
    sessions.push({
      id: key.accessKeyId,
      parent: key.parent ?? review.root,
      how: key.mintedBy,
      role: key.roleArn,
      user: key.mintedBy === "CreateAccessKey" ? key.userName : null,
      calls: key.events,
    });
  }
  for (const created of review.users) {
    const id = `user:${created.userName}`;
    sessions.push({
      id,
      parent: created.parent,
      how: created.reason,
      role: null,
      user: created.userName,
      calls: calls.get(id) ?? 0,
    });
  }

  const assumable = could === null ? null : new Set(could.assumableRoles);
  const roles = review.rolesAssumed.map((arn) => ({
    arn,
    account: accountOfRoleArn(arn),
    assumable: assumable === null ? null : assumable.has(arn),
  }));

  const services = new Map<string, Map<string, ReachService>>();
  for (const event of review.events) {
    const account = event.recipientAccountId;
    if (account === null || !ACCOUNT_ID.test(account)) continue;
    let byService = services.get(account);
    if (byService === undefined) services.set(account, (byService = new Map()));
    const service = serviceOf(event.eventSource);
    let entry = byService.get(service);
    if (entry === undefined) byService.set(service, (entry = { service, calls: 0, writes: 0, denied: 0 }));
    entry.calls++;
    if (!event.readOnly && event.errorCode === null) entry.writes++;
    if (isDenied(event)) entry.denied++;
  }
  const accounts = review.accounts.map((reached) => ({
    account: reached.account,
    reviewedKey: reached.reviewedKey,
    roles: reached.roles,
    services: [...(services.get(reached.account)?.values() ?? [])].sort(
      (a, b) => b.calls - a.calls || compareText(a.service, b.service),
    ),
  }));

  const assumed = new Set(review.rolesAssumed);
  return {
    key: review.root,
    user,
    keyAccount: review.keyAccount ?? could?.account ?? null,
    sessions,
    roles,
    accounts,
    could,
    assumedBeyondAssessment: assumable === null ? [] : review.rolesAssumed.filter((arn) => !assumable.has(arn)),
    assumableNotAssumed: could === null ? [] : could.assumableRoles.filter((arn) => !assumed.has(arn)),
  };
}
