/**
 * The readable summary `review` prints by default: the headline, the key tree, the findings (the
 * calls that matter listed, the rest folded), the tallies and what to add to the incident.
 *
 * Every value is shown escaped before it is placed (incident/display.ts's displayValue): a line
 * break inside a logged value is an escape, never a line of the report, so that a forged record
 * cannot print report lines of its choosing.
 */
import { displayValue, displayValues } from "../../incident/display.ts";
import type { AccountReached, Finding, Review } from "../core/findings.ts";
import { PERSISTENCE_CATEGORIES } from "../core/findings.ts";
import type { ReviewContext } from "./context.ts";
import * as parts from "./parts.ts";

/**
 * Repeated calls of one kind by one key fold into one line (forty GetSecretValue calls are one
 * fact with forty targets); single calls keep their own line.
 */
function foldedLines(findings: Finding[]): string[] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    // Conflicting copies keep a line each: each is a claim to check.
    const key =
      finding.conflict === undefined
        ? `${finding.eventName} ${finding.by} ${finding.region}`
        : `${finding.eventId} ${finding.conflict.file} ${finding.conflict.record}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [finding]);
    else group.push(finding);
  }
  return [...groups.values()].map((group) => {
    if (group.length === 1) return parts.findingLine(group[0]);
    const first = group[0];
    const targets = [...new Set(group.map((f) => f.target).filter((t) => t !== ""))];
    const shown =
      targets.length <= 2
        ? targets.join(", ")
        : `${targets.slice(0, 2).join(", ")} and ${parts.count(targets.length - 2)} more`;
    return `${first.eventTime} → ${group[group.length - 1].eventTime}  ${first.eventName} ×${parts.count(group.length)}  ${first.eventSource.replace(/\.amazonaws\.com$/, "")}  ${shown || "-"}  by ${first.by}  (${first.region})`;
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
  if (items.length > TEXT_TOP)
    lines.push(`  … and ${parts.count(items.length - TEXT_TOP)} more (--json lists them all)`);
  return lines;
}

/**
 * The review and its context with every value made safe to show on one line. The events stay as
 * they are: the text counts them, and reads only account ids of theirs, which it quotes (parts.ts).
 */
function shown(review: Review, context: ReviewContext): [Review, ReviewContext] {
  const { events, ...rest } = review;
  const { accountsRead } = context;
  return [
    { ...displayValues(rest), events },
    {
      ...displayValues(context),
      // What the source says of reading an account is made when asked: escaped then.
      ...(accountsRead === undefined
        ? {}
        : { accountsRead: { ...accountsRead, toRead: (account) => displayValue(accountsRead.toRead(account)) } }),
    },
  ];
}

/** The readable summary `review` prints by default, every value escaped. */
export function renderText(raw: Review, rawContext: ReviewContext): string {
  const [review, context] = shown(raw, rawContext);
  const out: string[] = [];
  out.push(
    `review of ${review.root}`,
    `source: ${context.sourceSummary} · ${parts.windowText(review)}`,
    ...parts.problems(review, context),
    parts.headline(review),
    "",
  );

  out.push("keys (minted and created keys are followed within their lifetime)");
  for (const { prefix, key } of parts.keyTree(review.keys)) out.push(`  ${prefix}${parts.keyLine(key, review)}`);
  out.push("");

  if (review.earlier.length > 0) {
    out.push(parts.earlierTitle(review));
    for (const [time, call, by, made, region] of parts.earlierRows(review))
      out.push(`  ${time}  ${call}  by ${by}  → ${made}  (${region})`);
    out.push("");
  }

  if (review.users.length > 0) {
    out.push("users the keys created or gave a console password (their own activity is included)");
    for (const user of review.users)
      out.push(
        `  ${user.userName}  ${user.reason} ${user.at} by ${user.parent}  ${parts.plural(user.events, "event")}`,
      );
    out.push("");
  }

  // Persistence is listed call by call: each one is something to undo.
  const persistence = review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category));
  out.push(`persistence and privilege escalation (${parts.count(persistence.length)})`);
  for (const finding of persistence) out.push(`  ${parts.findingLine(finding)}`);
  if (persistence.length === 0) out.push("  none found");
  out.push("");
  for (const category of parts.OTHER_CATEGORIES) {
    const findings = review.findings.filter((f) => f.category === category);
    if (findings.length === 0) continue;
    out.push(`${parts.CATEGORY_TITLES[category]} (${parts.plural(findings.length, "call")})`);
    for (const line of foldedLines(findings)) out.push(`  ${line}`);
    out.push("");
  }

  const writeCalls = parts.callCount(review.writes);
  out.push(`write actions (${parts.plural(writeCalls, "call")}, ${parts.plural(review.writes.length, "action")})`);
  const services = [...new Set(review.writes.map((group) => group.service))];
  for (const service of services) {
    const actions = review.writes
      .filter((group) => group.service === service)
      .map((group) => `${group.action} ${parts.count(group.count)}`);
    parts.append(out, wrap(`  ${service}: `, actions));
  }
  if (services.length === 0) out.push("  none");
  out.push("");

  const deniedCalls = parts.callCount(review.denied);
  out.push(`denied calls, probing for permissions (${parts.count(deniedCalls)})`);
  for (const group of review.denied)
    out.push(`  ${group.service} ${group.action} ${parts.count(group.count)}  ${group.errorCodes.join(", ")}`);
  if (review.denied.length === 0) out.push("  none");
  out.push("");

  out.push(`source addresses (${parts.count(review.sourceIPs.length)})`);
  parts.append(
    out,
    head(
      review.sourceIPs,
      (ip) => `  ${ip.value}  ${parts.plural(ip.count, "call")}  ${ip.firstSeen} → ${ip.lastSeen}`,
    ),
  );
  out.push("");
  out.push(`user agents (${parts.count(review.userAgents.length)})`);
  parts.append(
    out,
    head(review.userAgents, (agent) => `  ${parts.count(agent.count).padStart(6)}  ${agent.value}`),
  );
  out.push("");
  out.push(
    `regions: ${review.regions.map((region) => `${region.value} ${parts.count(region.count)}`).join(", ") || "none"}`,
  );
  out.push("", `accounts reached (${parts.count(review.accounts.length)})`);
  const unread = parts.unreadSet(raw, rawContext);
  for (const account of review.accounts) {
    out.push(`  ${accountSummary(account, unread.has(account.account))}`);
    if (account.roles.length > 0) parts.append(out, wrap("    roles assumed: ", account.roles.map(parts.roleName)));
    if (account.rootSessions !== undefined)
      parts.append(out, wrap("    root sessions (AssumeRoot): ", account.rootSessions.map(parts.rootTaskName)));
  }
  if (review.accounts.length === 0) out.push("  none named in the events");

  const suggestion = parts.incidentSuggestion(review);
  if (suggestion.length > 0) {
    out.push("", "add to the incident (sessions of these roles, these users and keys must be cut off too):");
    for (const line of suggestion) out.push(`  ${line}`);
  }
  return `${out.join("\n")}\n`;
}

/** One account reached, as the text shows it: whose it is, and the events it received, or that it was not read. */
function accountSummary(account: AccountReached, unread: boolean): string {
  return [
    account.account,
    ...(account.reviewedKey ? ["the reviewed key's account"] : []),
    unread ? "not read (INCOMPLETE above)" : `${parts.plural(account.events, "event")} received`,
  ].join("  ");
}
