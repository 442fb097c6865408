/**
 * What the text, the markdown and the HTML page show alike, made once: the headline, the window and the problems
 * at the top, the key tree, the findings' lines, and the YAML of the principals to add.
 */
import { yamlListItem, yamlName } from "../../incident/yaml-scalar.ts";
import { ACCOUNT_ID } from "../../incident/fields.ts";
import type { AccountReached, Category, Finding, KeyNode, Review } from "../core/findings.ts";
import { accountOfRoleArn, PERSISTENCE_CATEGORIES } from "../core/findings.ts";
import { callerOf, leadsFrom, opensConsole } from "../core/chain.ts";
import { reachOf, type Reach } from "../core/reach.ts";
import { NO_INSTANTS, timelineOf, type Timeline } from "../core/timeline.ts";
import { unreadAccounts, type ReviewContext } from "./context.ts";

/** Appends lines one by one: `push(...lines)` passes each line as an argument, and overflows the stack for long lists. */
export function append(out: string[], lines: readonly string[]): void {
  for (const line of lines) out.push(line);
}

export const CATEGORY_TITLES: Record<Category, string> = {
  persistence: "persistence",
  "privilege-escalation": "privilege escalation",
  "defense-evasion": "defense evasion",
  "credential-access": "credential access",
  exfiltration: "exfiltration and exposure",
  execution: "execution",
};
export const OTHER_CATEGORIES: readonly Category[] = [
  "defense-evasion",
  "credential-access",
  "exfiltration",
  "execution",
];

/** A count as the reports write it: `1,234`. */
export const count = (n: number) => n.toLocaleString("en-US");
/** A count and its noun: `1 event`, `2 events`. */
export const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/** The role name in a role ARN: the last part of its path. */
export function roleName(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}

/** The name of a root session's task policy: the last part of its ARN (`IAMCreateRootUserPassword`). */
export function rootTaskName(taskPolicyArn: string): string {
  return taskPolicyArn.slice(taskPolicyArn.lastIndexOf("/") + 1);
}

/** What the chain did in an account: the roles it assumed there and the root sessions it took there (AssumeRoot), by name. */
function takenThere(account: AccountReached): string[] {
  return [
    ...account.roles.map(roleName),
    ...(account.rootSessions ?? []).map((task) => `root session (${rootTaskName(task)})`),
  ];
}

export function windowText(review: Review): string {
  if (review.since === null && review.until === null) return "all events in the logs";
  return `${review.since ?? "the first event"} → ${review.until ?? "the last event"}`;
}

/** Whether an instant CloudTrail wrote is before the review's window: a mint call the review followed into it. */
function beforeWindow(review: Pick<Review, "since">, at: string | null): boolean {
  return review.since !== null && at !== null && Date.parse(at) < Date.parse(review.since);
}

export function keyLine(key: KeyNode, review: Pick<Review, "since">): string {
  const how =
    key.mintedBy === null
      ? "the reviewed key"
      : `${key.mintedBy} ${key.mintedAt}${beforeWindow(review, key.mintedAt) ? " (before the window)" : ""}`;
  const what =
    key.roleArn !== null
      ? ` role ${roleName(key.roleArn)}`
      : key.userName !== null && key.mintedBy === "CreateAccessKey"
        ? ` for user ${key.userName}`
        : "";
  return `${key.accessKeyId}  ${how}${what}  ${plural(key.events, "event")}`;
}

/** The keys as a tree, each line prefixed with its branch. */
export function keyTree(keys: KeyNode[]): { prefix: string; key: KeyNode; depth: number }[] {
  const children = new Map<string, KeyNode[]>();
  const ids = new Set(keys.map((key) => key.accessKeyId));
  const roots: KeyNode[] = [];
  for (const key of keys) {
    if (key.parent === null || !ids.has(key.parent)) roots.push(key);
    else {
      const siblings = children.get(key.parent);
      if (siblings === undefined) children.set(key.parent, [key]);
      else siblings.push(key);
    }
  }
  const lines: { prefix: string; key: KeyNode; depth: number }[] = [];
  // Depth first with a stack, not recursion: a chain of role sessions can be any length.
  const stack: { key: KeyNode; indent: string; branch: string; depth: number }[] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push({ key: roots[i], indent: "", branch: "", depth: 0 });
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { key, indent, branch, depth } = next;
    lines.push({ prefix: indent + branch, key, depth });
    const kids = children.get(key.accessKeyId) ?? [];
    const nextIndent = indent + (branch === "" ? "" : branch === "└─ " ? "   " : "│  ");
    for (let i = kids.length - 1; i >= 0; i--)
      stack.push({ key: kids[i], indent: nextIndent, branch: i === kids.length - 1 ? "└─ " : "├─ ", depth: depth + 1 });
  }
  return lines;
}

/** Marks a copy of an event that conflicts with another under the same id. */
export function conflictMark(finding: Finding): string {
  return finding.conflict === undefined
    ? ""
    : `  [conflicting copy: ${finding.conflict.file}, record ${finding.conflict.record}]`;
}

/** The findings as a table's columns, in the HTML page and the markdown comment alike. */
export const FINDING_COLUMNS: readonly string[] = ["time", "category", "call", "target", "by", "region"];

/** One row of {@link FINDING_COLUMNS} a finding. */
export function findingRows(findings: readonly Finding[]): string[][] {
  return findings.map((f) => [
    f.eventTime,
    CATEGORY_TITLES[f.category],
    f.eventName,
    `${f.target || "-"}${conflictMark(f)}`,
    f.by,
    f.region,
  ]);
}

/** The accounts reached as a table's columns, in the HTML page and the markdown comment alike. */
export const ACCOUNT_COLUMNS: readonly string[] = ["account", "whose", "events received", "roles assumed"];

/** One row of {@link ACCOUNT_COLUMNS} an account; an account not read says so where its events would be. */
export function accountRows(accounts: readonly AccountReached[], unread: ReadonlySet<string>): string[][] {
  return accounts.map((a) => [
    a.account,
    a.reviewedKey ? "the reviewed key's" : "-",
    unread.has(a.account) ? "not read (INCOMPLETE)" : count(a.events),
    takenThere(a).join(", ") || "-",
  ]);
}

/**
 * Each account reached and not read ({@link unreadAccounts}), with why it matters and how to read
 * it: as the INCOMPLETE lines and the JSON's `unreadable` give them.
 */
export function unreadAccountReasons(review: Review, context: ReviewContext): { account: string; reason: string }[] {
  return unreadAccounts(review, context).map((account) => {
    const taken = [
      ...(account.roles.length > 0
        ? [`${account.roles.length === 1 ? "role" : "roles"} ${account.roles.map(roleName).join(", ")} assumed there`]
        : []),
      ...(account.rootSessions !== undefined
        ? [`its root user's session taken there (AssumeRoot: ${account.rootSessions.map(rootTaskName).join(", ")})`]
        : []),
    ];
    const why =
      taken.length > 0 ? taken.join(", ") : account.reviewedKey ? "the reviewed key's account" : "the chain reached it";
    const how =
      context.accountsRead?.toRead(account.account) ??
      `read its CloudTrail (--from-s3 or --athena with --accounts ${account.account})`;
    return { account: account.account, reason: `${why}, and none of its CloudTrail was read: ${how}` };
  });
}

/**
 * Each console session the chain's keys opened ({@link Review.consoleSessions}), named by its
 * principal, with what the review did not follow and how to read it: as the INCOMPLETE lines and
 * the JSON's `unreadable` give them.
 */
export function consoleSessionReasons(review: Review): { part: string; reason: string }[] {
  return review.consoleSessions.map((session) => ({
    part: `console session of ${session.principalArn ?? "a principal the call does not name"}`,
    reason: `opened at ${session.from} by ${session.by} (GetSigninToken, event ${session.eventId}); the console signs its calls with keys of its own, which no event read ties to the chain, so they were not followed: read the calls whose userIdentity.arn is this principal from ${session.from} until ${session.until ?? "now"}`,
  }));
}

/** The accounts reached and not read, by id. */
export function unreadSet(review: Review, context: ReviewContext): Set<string> {
  return new Set(unreadAccounts(review, context).map((account) => account.account));
}

export function findingLine(finding: Finding): string {
  return `${finding.eventTime}  ${finding.eventName}  ${finding.eventSource.replace(/\.amazonaws\.com$/, "")}  ${finding.target || "-"}  by ${finding.by}  (${finding.region})${conflictMark(finding)}`;
}

/**
 * The `account:` line of an entry for a principal in `account`: only when that is another account
 * than the reviewed key's (an entry defaults to the incident's account), or when the key's own is
 * not known. Quoted, as the incident format wants it.
 */
function accountLine(review: Review, account: string | null): string[] {
  if (account === null || account === review.keyAccount) return [];
  // An account as a forged record writes it can be any text (`x##[add-mask]…`, which the text
  // output does not escape: it reads the events raw). An entry's account is 12 digits, so any
  // other text is said unknown, never shown: `validate` refuses the pasted entry until it is set.
  return [ACCOUNT_ID.test(account) ? `    account: "${account}"` : UNKNOWN_ACCOUNT_LINE];
}

/** The `account:` line of an entry whose account the logs give as something other than 12 digits. */
export const UNKNOWN_ACCOUNT_LINE =
  "    account: unknown  # not an account id in the logs: write the principal's 12 digits";

export function userSuggestion(review: Review, limit = Number.POSITIVE_INFINITY): string[] {
  const created = new Map<string, { keys: string[]; account: string | null }>();
  for (const user of review.users) created.set(user.userName, { keys: [], account: user.accountId });
  // A key created for a user lives in the account of the call that created it.
  const minting = new Map<string, string | null>();
  for (const key of review.keys)
    if (key.mintedBy === "CreateAccessKey" && key.mintedEventId !== null) minting.set(key.mintedEventId, null);
  for (const event of [...review.earlier, ...review.events])
    if (minting.has(event.eventId)) minting.set(event.eventId, event.accountId);
  for (const key of review.keys) {
    if (key.mintedBy !== "CreateAccessKey" || key.userName === null) continue;
    const user = created.get(key.userName);
    if (user === undefined)
      created.set(key.userName, { keys: [key.accessKeyId], account: minting.get(key.mintedEventId ?? "") ?? null });
    else user.keys.push(key.accessKeyId);
  }
  const entries = [...created.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, { keys, account }]) => [
      `  - name: ${yamlName(name)}`,
      ...accountLine(review, account),
      ...(keys.length > 0 ? [`    accessKeys: [${keys.map(yamlListItem).join(", ")}]`] : []),
    ]);
  return yamlList("users", entries, limit);
}

export function roleSuggestion(review: Review, limit = Number.POSITIVE_INFINITY): string[] {
  const entries = review.rolesAssumed.map((arn) => [
    `  - name: ${yamlName(roleName(arn))}  # ${yamlName(arn)}`,
    ...accountLine(review, accountOfRoleArn(arn)),
  ]);
  return yamlList("roles", entries, limit);
}

/**
 * A list of the incident's YAML, `field:` then its entries (each of one or more lines): the first
 * `limit`, then a comment that counts the rest, so that a list as long as a forged log makes it
 * stays a list a comment holds. None: no list.
 */
function yamlList(field: string, entries: readonly string[][], limit: number): string[] {
  if (entries.length === 0) return [];
  const lines = [`${field}:`];
  for (const entry of entries.slice(0, limit)) append(lines, entry);
  if (entries.length > limit)
    lines.push(`  # … and ${count(entries.length - limit)} more: \`cordon review --json\` lists them all`);
  return lines;
}

/**
 * The root users of the accounts where the chain took a root session (AssumeRoot): only the
 * organization's SCP restrains a member account's root user, so each entry says so.
 */
export function rootUserSuggestion(review: Review, limit = Number.POSITIVE_INFINITY): string[] {
  const entries: string[][] = [];
  for (const account of review.accounts) {
    if (account.rootSessions === undefined) continue;
    // A task policy's name, as a forged record writes it, can be any text: each escaped as a name.
    const tasks = account.rootSessions.map((task) => yamlName(rootTaskName(task))).join(", ");
    entries.push([
      `  - account: "${account.account}"  # root session (AssumeRoot: ${tasks}); needs organization: { scp: true }`,
    ]);
  }
  return yamlList("rootUsers", entries, limit);
}

/**
 * Everything to add to the incident, in the incident file's own YAML: users, roles, root users;
 * each list its first `limit` entries, the rest counted.
 */
export function incidentSuggestion(review: Review, limit = Number.POSITIVE_INFINITY): string[] {
  return [...userSuggestion(review, limit), ...roleSuggestion(review, limit), ...rootUserSuggestion(review, limit)];
}

/**
 * Whether the reviewed key appears in no event read: a review of nothing, which must never look
 * like a clean one (a typo in the key, a window that misses its use, the wrong account or source).
 */
export function keyNotFound(review: Review): boolean {
  return review.events.length === 0 && review.earlier.length === 0;
}

/** The columns of the calls before the window that the review followed into it. */
export const EARLIER_COLUMNS: readonly string[] = ["time", "call", "by", "minted or created", "region"];

/** The calls before the window that minted or created a key or user still alive at its start, one row each, with what each made. */
export function earlierRows(review: Review): string[][] {
  return review.earlier.map((event) => [
    event.eventTime,
    event.eventName,
    callerOf(event),
    opensConsole(event)
      ? `console session of ${event.principalArn ?? "?"}, not followed (INCOMPLETE)`
      : leadsFrom(event, null)
          .map(({ subject }) => (subject.kind === "key" ? subject.accessKeyId : `user ${subject.userName}`))
          .join(", "),
    event.region,
  ]);
}

/** The title of the calls before the window: how many, and why they are there. */
export function earlierTitle(review: Review): string {
  return `minted before the window, still alive at ${review.since} and followed into it (${count(review.earlier.length)})`;
}

/** The warning of a key found nowhere: the window and the sources read, and what to check. */
export function notFoundText(
  review: Review,
  context: ReviewContext,
  show: (value: string) => string = (value) => value,
): string {
  return `NOT FOUND: ${show(review.root)} appears in no event read (${show(context.sourceSummary)} · ${show(windowText(review))}). Check the key id, the window (--since, --until) and the source: a key not used in the window leaves no trace there. This is not a clean review.`;
}

/**
 * The lines at the top of a review that say it is not whole or not clean: what could not be read,
 * what is not enabled, conflicting copies, a key found nowhere. Values go through `show`, the
 * escaping of the output they are written to. Each kind lists its first `limit` items and counts
 * the rest, so that a forged log (two hundred console sessions, conflicting copies by the
 * thousand) cannot push the headline out of what a comment holds.
 */
export function problems(
  review: Review,
  context: ReviewContext,
  show: (value: string) => string = (value) => value,
  limit = Number.POSITIVE_INFINITY,
): string[] {
  const lines: string[] = [];
  const listed = <T>(items: readonly T[], line: (item: T) => string) => {
    for (const item of items.slice(0, limit)) lines.push(line(item));
    if (items.length > limit) lines.push(`  … and ${count(items.length - limit)} more (--json lists them all)`);
  };
  const unreadable = context.unreadable ?? [];
  if (context.failed.length > 0) {
    lines.push(
      `INCOMPLETE: ${plural(context.failed.length, "region")} could not be read; their events are missing from this review:`,
    );
    listed(context.failed, (failure) => `  ${show(failure.region)}: ${show(failure.reason)}`);
  }
  if (unreadable.length > 0) {
    lines.push(
      `INCOMPLETE: ${plural(unreadable.length, "part")} of the source could not be read; their events are missing from this review:`,
    );
    listed(unreadable, (part) => `  ${show(part.part)}: ${show(part.reason)}`);
  }
  const accounts = unreadAccountReasons(review, context);
  if (accounts.length > 0) {
    lines.push(
      `INCOMPLETE: ${plural(accounts.length, "account")} the key reached ${accounts.length === 1 ? "was" : "were"} not read; what was done there is missing from this review:`,
    );
    listed(accounts, ({ account, reason }) => `  ${show(account)}: ${show(reason)}`);
  }
  const sessions = consoleSessionReasons(review);
  if (sessions.length > 0) {
    lines.push(
      `INCOMPLETE: ${plural(sessions.length, "console session")} ${sessions.length === 1 ? "was" : "were"} opened from the chain's keys and not followed; what was done in ${sessions.length === 1 ? "it" : "them"} is missing from this review:`,
    );
    listed(sessions, ({ part, reason }) => `  ${show(part)}: ${show(reason)}`);
  }
  if (context.notEnabled.length > 0)
    lines.push(`not enabled in this account, so nothing to read: ${context.notEnabled.map(show).join(", ")}`);
  listed(
    context.conflicts ?? [],
    (conflict) =>
      `CONFLICT: event ${show(conflict.eventId)} differs between ${conflict.files.map(show).join(" and ")}; every copy is in this review, marked as conflicting`,
  );
  if (keyNotFound(review)) lines.push(notFoundText(review, context, show));
  return lines;
}

/** What the pictures draw (the timeline and the blast radius), made once from the review and what else is known. */
export function pictures(review: Review, context: ReviewContext): { timeline: Timeline; reach: Reach; title: string } {
  return {
    timeline: timelineOf(review, context.instants ?? NO_INSTANTS),
    reach: reachOf(review, context.capabilities ?? null),
    title: `calls of ${review.root} and the keys it made`,
  };
}

/** The calls of action groups (the writes, the denied calls), all together. */
export const callCount = (groups: readonly { count: number }[]) => groups.reduce((sum, group) => sum + group.count, 0);

export function headline(review: Review): string {
  const persistence = review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category)).length;
  const denied = callCount(review.denied);
  return [
    plural(review.events.length, "event"),
    ...(review.earlier.length > 0 ? [`${plural(review.earlier.length, "mint call")} before the window`] : []),
    plural(review.keys.length, "key"),
    ...(review.users.length > 0 ? [plural(review.users.length, "user")] : []),
    `${count(persistence)} persistence and escalation`,
    plural(denied, "denied call"),
  ].join(" · ");
}
