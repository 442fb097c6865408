/**
 * The three faces of a review: a summary for the terminal, markdown for a pull request comment,
 * and JSON for tools. All three are made from the same {@link Review}, whose events were redacted
 * when they were read, so none of them can print a session token or a secret key.
 */
import type { AccountReached, Category, Finding, KeyNode, Review } from "./findings.ts";
import { accountOfRoleArn, PERSISTENCE_CATEGORIES } from "./findings.ts";
import { eventHeader, type Conflict } from "./event.ts";
import { markdownSafe } from "../incident/display.ts";

/** Where the events came from, and what could not be read. */
export interface ReviewContext {
  source:
    | { kind: "cloudtrail"; regions: readonly string[] }
    | { kind: "logs"; dir: string; files: number }
    | { kind: "s3"; url: string; files: number }
    | { kind: "athena"; table: string; workgroup: string | null; accounts: readonly string[]; queries: readonly object[]; dataScannedBytes: number; costUsd: number; usdPerTb: number };
  /** Opt-in regions the account has not enabled. */
  notEnabled: readonly string[];
  /** Regions that could not be read, with the reason: the review is incomplete. */
  failed: readonly { region: string; reason: string }[];
  /** Different events under one id in the logs (every copy is in the review, marked). @default [] */
  conflicts?: readonly Conflict[];
}

/** Appends lines one by one: `push(...lines)` passes each line as an argument, and overflows the stack for long lists. */
function append(out: string[], lines: readonly string[]): void {
  for (const line of lines) out.push(line);
}

const CATEGORY_TITLES: Record<Category, string> = {
  persistence: "persistence",
  "privilege-escalation": "privilege escalation",
  "defense-evasion": "defense evasion",
  "credential-access": "credential access",
  exfiltration: "exfiltration and exposure",
  execution: "execution",
};
const OTHER_CATEGORIES: readonly Category[] = ["defense-evasion", "credential-access", "exfiltration", "execution"];

const count = (n: number) => n.toLocaleString("en-US");
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/** The role name in a role ARN: the last part of its path. */
export function roleName(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}

function windowText(review: Review): string {
  if (review.since === null && review.until === null) return "all events in the logs";
  return `${review.since ?? "the first event"} → ${review.until ?? "the last event"}`;
}

function sourceText(context: ReviewContext): string {
  const source = context.source;
  switch (source.kind) {
    case "logs":
      return `${plural(source.files, "log file")} under ${source.dir}`;
    case "s3":
      return `${plural(source.files, "log file")} in ${source.url}`;
    case "athena":
      return `Athena table ${source.table}, ${plural(source.queries.length, "query", "queries")}, ${(source.dataScannedBytes / 1_000_000).toLocaleString("en-US", { maximumFractionDigits: 1 })} MB scanned (≈ $${source.costUsd.toFixed(source.costUsd < 0.01 ? 6 : 2)})`;
    case "cloudtrail":
      return `CloudTrail LookupEvents in ${plural(source.regions.length, "region")}`;
  }
}

function keyLine(key: KeyNode): string {
  const how = key.mintedBy === null ? "the reviewed key" : `${key.mintedBy} ${key.mintedAt}`;
  const what = key.roleArn !== null ? ` role ${roleName(key.roleArn)}` : key.userName !== null && key.mintedBy === "CreateAccessKey" ? ` for user ${key.userName}` : "";
  return `${key.accessKeyId}  ${how}${what}  ${plural(key.events, "event")}`;
}

/** The keys as a tree, each line prefixed with its branch. */
function keyTree(keys: KeyNode[]): { prefix: string; key: KeyNode; depth: number }[] {
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
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ key: kids[i], indent: nextIndent, branch: i === kids.length - 1 ? "└─ " : "├─ ", depth: depth + 1 });
  }
  return lines;
}

/** Marks a copy of an event that conflicts with another under the same id. */
function conflictMark(finding: Finding): string {
  return finding.conflict === undefined ? "" : `  [conflicting copy: ${finding.conflict.file}, record ${finding.conflict.record}]`;
}

function findingLine(finding: Finding): string {
  return `${finding.eventTime}  ${finding.eventName}  ${finding.eventSource.replace(/\.amazonaws\.com$/, "")}  ${finding.target || "-"}  by ${finding.by}  (${finding.region})${conflictMark(finding)}`;
}

/**
 * Repeated calls of one kind by one key fold into one line (forty GetSecretValue calls are one
 * fact with forty targets); single calls keep their own line.
 */
function foldedLines(findings: Finding[]): string[] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    // Conflicting copies keep a line each: each is a claim to check.
    const key = finding.conflict === undefined ? `${finding.eventName} ${finding.by} ${finding.region}` : `${finding.eventId} ${finding.conflict.file} ${finding.conflict.record}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [finding]);
    else group.push(finding);
  }
  return [...groups.values()].map((group) => {
    if (group.length === 1) return findingLine(group[0]);
    const first = group[0];
    const targets = [...new Set(group.map((f) => f.target).filter((t) => t !== ""))];
    const shown = targets.length <= 2 ? targets.join(", ") : `${targets.slice(0, 2).join(", ")} and ${count(targets.length - 2)} more`;
    return `${first.eventTime} → ${group[group.length - 1].eventTime}  ${first.eventName} ×${count(group.length)}  ${first.eventSource.replace(/\.amazonaws\.com$/, "")}  ${shown || "-"}  by ${first.by}  (${first.region})`;
  });
}

/** Comma-separated items in lines of at most 100 characters, continued under the first item. */
function wrap(prefix: string, items: string[]): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const [i, item] of items.entries()) {
    const piece = `${item}${i < items.length - 1 ? "," : ""}`;
    if (line.length > prefix.length && line.length + 1 + piece.length > 100) {
      lines.push(line);
      line = " ".repeat(prefix.length);
    }
    line += line.trim() === "" || line.length === prefix.length ? piece : ` ${piece}`;
  }
  lines.push(line);
  return lines;
}

/** Long tallies show their head; the JSON has them whole. */
const TEXT_TOP = 10;

function head<T>(items: T[], line: (item: T) => string): string[] {
  const lines = items.slice(0, TEXT_TOP).map(line);
  if (items.length > TEXT_TOP) lines.push(`  … and ${count(items.length - TEXT_TOP)} more (--json lists them all)`);
  return lines;
}

/**
 * The `account:` line of an entry for a principal in `account`: only when that is another account
 * than the reviewed key's (an entry defaults to the incident's account), or when the key's own is
 * not known. Quoted, as the incident format wants it.
 */
function accountLine(review: Review, account: string | null): string[] {
  return account === null || account === review.keyAccount ? [] : [`    account: "${account}"`];
}

function userSuggestion(review: Review): string[] {
  const created = new Map<string, { keys: string[]; account: string | null }>();
  for (const user of review.users) created.set(user.userName, { keys: [], account: user.accountId });
  // A key created for a user lives in the account of the call that created it.
  const minting = new Map<string, string | null>();
  for (const key of review.keys) if (key.mintedBy === "CreateAccessKey" && key.mintedEventId !== null) minting.set(key.mintedEventId, null);
  for (const event of review.events) if (minting.has(event.eventId)) minting.set(event.eventId, event.accountId);
  for (const key of review.keys) {
    if (key.mintedBy !== "CreateAccessKey" || key.userName === null) continue;
    const user = created.get(key.userName);
    if (user === undefined) created.set(key.userName, { keys: [key.accessKeyId], account: minting.get(key.mintedEventId ?? "") ?? null });
    else user.keys.push(key.accessKeyId);
  }
  const lines: string[] = [];
  for (const [name, { keys, account }] of [...created.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  - name: ${yamlScalar(name)}`, ...accountLine(review, account), ...(keys.length > 0 ? [`    accessKeys: [${keys.map(yamlScalar).join(", ")}]`] : []));
  }
  return lines.length === 0 ? [] : ["users:", ...lines];
}

function roleSuggestion(review: Review): string[] {
  if (review.rolesAssumed.length === 0) return [];
  const lines: string[] = [];
  for (const arn of review.rolesAssumed) lines.push(`  - name: ${yamlScalar(roleName(arn))}  # ${yamlScalar(arn)}`, ...accountLine(review, accountOfRoleArn(arn)));
  return ["roles:", ...lines];
}

/**
 * A name or ARN from the logs in the YAML to paste: as it is when it has the characters of one,
 * else quoted with its line breaks escaped, so that a forged log cannot end the markdown's code
 * block or start a line of its own.
 */
function yamlScalar(text: string): string {
  return /^[\w+=,.@:/-]+$/.test(text) ? text : JSON.stringify(text);
}

function problems(context: ReviewContext): string[] {
  const lines: string[] = [];
  if (context.failed.length > 0) {
    lines.push(`INCOMPLETE: ${plural(context.failed.length, "region")} could not be read; their events are missing from this review:`);
    for (const failure of context.failed) lines.push(`  ${failure.region}: ${failure.reason}`);
  }
  if (context.notEnabled.length > 0) lines.push(`not enabled in this account, so nothing to read: ${context.notEnabled.join(", ")}`);
  for (const conflict of context.conflicts ?? []) {
    lines.push(`CONFLICT: event ${conflict.eventId} differs between ${conflict.files.join(" and ")}; every copy is in this review, marked as conflicting`);
  }
  return lines;
}

function headline(review: Review): string {
  const persistence = review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category)).length;
  const denied = review.denied.reduce((sum, group) => sum + group.count, 0);
  return [
    plural(review.events.length, "event"),
    plural(review.keys.length, "key"),
    ...(review.users.length > 0 ? [plural(review.users.length, "user")] : []),
    `${count(persistence)} persistence and escalation`,
    plural(denied, "denied call"),
  ].join(" · ");
}

/** The readable summary `review` prints by default. */
export function renderText(review: Review, context: ReviewContext): string {
  const out: string[] = [];
  out.push(`review of ${review.root}`, `source: ${sourceText(context)} · ${windowText(review)}`, ...problems(context), headline(review), "");

  out.push("keys (minted and created keys are followed within their lifetime)");
  for (const { prefix, key } of keyTree(review.keys)) out.push(`  ${prefix}${keyLine(key)}`);
  out.push("");

  if (review.users.length > 0) {
    out.push("users the keys created or gave a console password (their own activity is included)");
    for (const user of review.users) out.push(`  ${user.userName}  ${user.reason} ${user.at} by ${user.parent}  ${plural(user.events, "event")}`);
    out.push("");
  }

  // Persistence is listed call by call: each one is something to undo.
  const persistence = review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category));
  out.push(`persistence and privilege escalation (${count(persistence.length)})`);
  for (const finding of persistence) out.push(`  ${findingLine(finding)}`);
  if (persistence.length === 0) out.push("  none found");
  out.push("");
  for (const category of OTHER_CATEGORIES) {
    const findings = review.findings.filter((f) => f.category === category);
    if (findings.length === 0) continue;
    out.push(`${CATEGORY_TITLES[category]} (${plural(findings.length, "call")})`);
    for (const line of foldedLines(findings)) out.push(`  ${line}`);
    out.push("");
  }

  const writeCalls = review.writes.reduce((sum, group) => sum + group.count, 0);
  out.push(`write actions (${plural(writeCalls, "call")}, ${plural(review.writes.length, "action")})`);
  const services = [...new Set(review.writes.map((group) => group.service))];
  for (const service of services) {
    const actions = review.writes.filter((group) => group.service === service).map((group) => `${group.action} ${count(group.count)}`);
    append(out, wrap(`  ${service}: `, actions));
  }
  if (services.length === 0) out.push("  none");
  out.push("");

  const deniedCalls = review.denied.reduce((sum, group) => sum + group.count, 0);
  out.push(`denied calls, probing for permissions (${count(deniedCalls)})`);
  for (const group of review.denied) out.push(`  ${group.service} ${group.action} ${count(group.count)}  ${group.errorCodes.join(", ")}`);
  if (review.denied.length === 0) out.push("  none");
  out.push("");

  out.push(`source addresses (${count(review.sourceIPs.length)})`);
  append(out, head(review.sourceIPs, (ip) => `  ${ip.value}  ${plural(ip.count, "call")}  ${ip.firstSeen} → ${ip.lastSeen}`));
  out.push("");
  out.push(`user agents (${count(review.userAgents.length)})`);
  append(out, head(review.userAgents, (agent) => `  ${count(agent.count).padStart(6)}  ${agent.value}`));
  out.push("");
  out.push(`regions: ${review.regions.map((region) => `${region.value} ${count(region.count)}`).join(", ") || "none"}`);
  out.push("", `accounts reached (${count(review.accounts.length)})`);
  for (const account of review.accounts) {
    out.push(`  ${accountSummary(account)}`);
    if (account.roles.length > 0) append(out, wrap("    roles assumed: ", account.roles.map(roleName)));
  }
  if (review.accounts.length === 0) out.push("  none named in the events");

  const roles = roleSuggestion(review);
  const users = userSuggestion(review);
  if (roles.length + users.length > 0) {
    out.push("", "add to the incident (sessions of these roles, these users and keys must be cut off too):");
    for (const line of [...users, ...roles]) out.push(`  ${line}`);
  }
  return `${out.join("\n")}\n`;
}

/** One account reached, as the text shows it: whose it is, and the events it received. */
function accountSummary(account: AccountReached): string {
  return [account.account, ...(account.reviewedKey ? ["the reviewed key's account"] : []), `${plural(account.events, "event")} received`].join("  ");
}

/** A value in a markdown table cell or list item: text, never markup (incident/display.ts). */
function cell(value: string): string {
  return markdownSafe(value);
}

function table(headers: string[], rows: string[][]): string[] {
  return [`| ${headers.join(" | ")} |`, `|${headers.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`)];
}

/** Long tables fold away, so that a pull request comment stays readable. */
function details(summary: string, lines: string[]): string[] {
  return lines.length <= 12 ? lines : ["<details>", `<summary>${summary}</summary>`, "", ...lines, "", "</details>"];
}

/** The review as a pull request comment. */
export function renderMarkdown(review: Review, context: ReviewContext): string {
  const out: string[] = [];
  out.push(`### cordon review of \`${review.root}\``, "", `${sourceText(context)} · ${windowText(review)}`, "");
  const issues = problems(context);
  if (issues.length > 0) append(out, [...issues.map((line) => `> ${line.trim()}`), ""]);
  out.push(`**${headline(review)}**`, "");

  out.push("#### Keys", "");
  for (const { key, depth } of keyTree(review.keys)) out.push(`${"  ".repeat(depth)}- \`${key.accessKeyId}\` ${cell(keyLine(key).slice(key.accessKeyId.length).trim())}`);
  out.push("");
  if (review.users.length > 0) {
    out.push("#### Users created or given a console password", "");
    append(out, table(["user", "how", "when", "by", "events"], review.users.map((user) => [user.userName, user.reason, user.at, user.parent, count(user.events)])));
    out.push("");
  }

  const persistence = review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category));
  const findingRows = (findings: Finding[]) => findings.map((f) => [f.eventTime, CATEGORY_TITLES[f.category], f.eventName, `${f.target || "-"}${conflictMark(f)}`, f.by, f.region]);
  out.push(`#### Persistence and privilege escalation (${count(persistence.length)})`, "");
  append(out, persistence.length === 0 ? ["None found."] : details(`${plural(persistence.length, "call")}`, table(["time", "category", "call", "target", "by", "region"], findingRows(persistence))));
  out.push("");
  const other = review.findings.filter((f) => OTHER_CATEGORIES.includes(f.category));
  if (other.length > 0) {
    out.push(`#### Defense evasion, credential access, exfiltration, execution (${count(other.length)})`, "");
    append(out, details(`${plural(other.length, "call")}`, table(["time", "category", "call", "target", "by", "region"], findingRows(other))));
    out.push("");
  }

  const writeCalls = review.writes.reduce((sum, group) => sum + group.count, 0);
  out.push(`#### Write actions (${plural(writeCalls, "call")})`, "");
  append(out, review.writes.length === 0 ? ["None."] : details(`${plural(review.writes.length, "action")}`, table(["service", "action", "calls", "first", "last"], review.writes.map((g) => [g.service, g.action, count(g.count), g.firstSeen, g.lastSeen]))));
  out.push("");
  const deniedCalls = review.denied.reduce((sum, group) => sum + group.count, 0);
  out.push(`#### Denied calls: probing (${count(deniedCalls)})`, "");
  append(out, review.denied.length === 0 ? ["None."] : details(`${plural(review.denied.length, "action")}`, table(["service", "action", "calls", "errors"], review.denied.map((g) => [g.service, g.action, count(g.count), g.errorCodes.join(", ")]))));
  out.push("");

  out.push("#### Source addresses and user agents", "");
  append(out, details(`${plural(review.sourceIPs.length, "address", "addresses")}`, table(["address", "calls", "first", "last"], review.sourceIPs.map((t) => [t.value, count(t.count), t.firstSeen, t.lastSeen]))));
  out.push("");
  append(out, details(`${plural(review.userAgents.length, "user agent")}`, table(["user agent", "calls"], review.userAgents.map((t) => [t.value, count(t.count)]))));
  out.push("");

  out.push(`#### Accounts reached (${count(review.accounts.length)})`, "");
  append(
    out,
    review.accounts.length === 0
      ? ["None named in the events."]
      : details(`${plural(review.accounts.length, "account")}`, table(["account", "whose", "events received", "roles assumed"], review.accounts.map((a) => [a.account, a.reviewedKey ? "the reviewed key's" : "-", count(a.events), a.roles.map(roleName).join(", ") || "-"]))),
  );
  out.push("");

  const suggestion = [...userSuggestion(review), ...roleSuggestion(review)];
  if (suggestion.length > 0) {
    out.push("#### Add to the incident", "", "Sessions of these roles, and these users and keys, must be cut off too:", "", "```yaml", ...suggestion, "```", "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/**
 * The `--json` contract: `keys`, `events`, `persistence`, `rolesAssumed` with the fields
 * docs/review.md documents (section JSON), and more beside them.
 * @see ../docs/review.md#json
 */
export function renderJson(review: Review, context: ReviewContext): string {
  return [...renderJsonChunks(review, context)].join("");
}

/** A value the JSON writes one item at a time: the events, the largest part by far. */
class Items<T> {
  readonly items: readonly T[];
  readonly map: (item: T) => unknown;
  constructor(items: readonly T[], map: (item: T) => unknown) {
    this.items = items;
    this.map = map;
  }
}

/**
 * `JSON.stringify(value, null, 2)` as it reads nested `depth` levels deep: the value stringified
 * inside `depth` arrays, and the arrays cut off (one string made per value, not two).
 */
function nestedJson(value: unknown, depth: number): string {
  let wrapped: unknown = value;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  // Before it, `[\n` and the indentation of each level (`[\n  [\n    ` for depth 2); after it, the same closed (`\n  ]\n]`).
  return text.slice(depth * (depth + 3), text.length - depth * (depth + 1));
}

/**
 * {@link renderJson} in pieces, byte for byte the same text: the events are written one by one,
 * so that neither a copy of every event nor the whole text is ever in memory at once.
 */
export function* renderJsonChunks(review: Review, context: ReviewContext): Generator<string> {
  const toFinding = (f: Finding) => ({
    eventId: f.eventId,
    eventName: f.eventName,
    eventSource: f.eventSource,
    eventTime: f.eventTime,
    region: f.region,
    accessKeyId: f.accessKeyId,
    by: f.by,
    category: f.category,
    target: f.target,
    ...(f.conflict === undefined ? {} : { conflict: f.conflict }),
  });
  const document = {
    review: {
      accessKeyId: review.root,
      since: review.since,
      until: review.until,
      source: context.source,
      complete: context.failed.length === 0,
      failedRegions: context.failed,
      notEnabledRegions: context.notEnabled,
    },
    conflicts: context.conflicts ?? [],
    keys: review.keys,
    users: review.users,
    events: new Items(review.events, (event) => ({
      ...eventHeader(event),
      accessKeyId: event.accessKeyId,
      readOnly: event.readOnly,
      readOnlyDerived: event.readOnlyDerived,
      sourceIPAddress: event.sourceIPAddress,
      userAgent: event.userAgent,
      errorCode: event.errorCode,
      errorMessage: event.errorMessage,
      userName: event.userName,
      principalArn: event.principalArn,
      requestParameters: event.requestParameters,
      responseElements: event.responseElements,
      ...(event.conflict === undefined ? {} : { conflict: event.conflict }),
    })),
    persistence: review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category)).map(toFinding),
    otherFindings: review.findings.filter((f) => !PERSISTENCE_CATEGORIES.includes(f.category)).map(toFinding),
    rolesAssumed: review.rolesAssumed,
    accounts: review.accounts,
    writes: review.writes,
    denied: review.denied,
    sourceIPs: review.sourceIPs.map((t) => ({ address: t.value, count: t.count, firstSeen: t.firstSeen, lastSeen: t.lastSeen })),
    userAgents: review.userAgents.map((t) => ({ userAgent: t.value, count: t.count, firstSeen: t.firstSeen, lastSeen: t.lastSeen })),
    regions: review.regions.map((t) => ({ region: t.value, count: t.count })),
  };
  const fields = Object.entries(document);
  yield "{\n";
  for (const [i, [name, value]] of fields.entries()) {
    const comma = i < fields.length - 1 ? "," : "";
    if (!(value instanceof Items) || value.items.length === 0) {
      yield `  ${JSON.stringify(name)}: ${nestedJson(value instanceof Items ? [] : value, 1)}${comma}\n`;
      continue;
    }
    yield `  ${JSON.stringify(name)}: [\n`;
    const last = value.items.length - 1;
    for (const [j, item] of value.items.entries()) yield `    ${nestedJson(value.map(item), 2)}${j < last ? "," : ""}\n`;
    yield `  ]${comma}\n`;
  }
  yield "}\n";
}
