/**
 * The review as a pull request comment: first what a responder takes in at a glance (the
 * headline, the timeline and the blast radius, which GitHub draws from their Mermaid text), then
 * the same facts as the text, in tables that fold away when long, every value from the logs
 * escaped as text (incident/display.ts), and the YAML to add.
 */
import type { ActionGroup, Review } from "../core/findings.ts";
import { PERSISTENCE_CATEGORIES } from "../core/findings.ts";
import { displayValue, markdownSafe } from "../../incident/display.ts";
import type { ReviewContext } from "./context.ts";
import { reachMermaid, timelineMermaid } from "./mermaid.ts";
import * as parts from "./parts.ts";

/**
 * The line that ends the part of the markdown read at a glance (the headline and the pictures):
 * what a comment that cannot hold the whole review keeps (the contain workflow's report).
 */
export const GLANCE_END = "<!-- cordon:review:details -->";

/**
 * The rows a table shows, the entries a list of the YAML to add: the rest are counted, and the JSON
 * has them all. A forged log can make any table as long as it likes (a distinct user agent a
 * call); uncapped, the markdown outgrows what GitHub keeps of a comment and of a run's summary, and
 * what it drops is what comes last.
 */
export const MARKDOWN_ROWS = 50;

/**
 * What a cell or a value in a line shows at most, in bytes as printed (escaped: a forged `@` is
 * eight), and what a line at the top saying the review is not whole shows (cordon's own words
 * about a part, around the part's name).
 */
export const CELL_BYTES = 512;
const PROBLEM_BYTES = 1024;

/** The line that counts what a capped table or list does not show. */
function moreLine(hidden: number): string {
  return `… and ${parts.count(hidden)} more: \`cordon review --json\` lists them all.`;
}

/** The bytes `markdown` takes once printed: escaped as the whole markdown is (formats.ts). */
const printedBytes = (markdown: string) => Buffer.byteLength(displayValue(markdown));

/**
 * A value in a markdown table cell or list item: text, never markup (incident/display.ts), and at
 * most `max` bytes as printed: a longer one shows its head and how many characters it lost, in
 * emphasis that no escaped value can write (each `*` of a value is escaped).
 */
function cell(value: string, max = CELL_BYTES): string {
  const whole = markdownSafe(value);
  if (printedBytes(whole) <= max) return whole;
  const chars = Array.from(value);
  // The longest head that fits: what a head shows only grows with it, so a binary search finds it.
  let fits = 0;
  let over = chars.length;
  while (over - fits > 1) {
    const mid = (fits + over) >> 1;
    if (printedBytes(markdownSafe(chars.slice(0, mid).join(""))) <= max) fits = mid;
    else over = mid;
  }
  return `${markdownSafe(chars.slice(0, fits).join(""))}… *(${parts.count(chars.length - fits)} more characters)*`;
}

/** A table of its first {@link MARKDOWN_ROWS} rows, every cell escaped and cut, and the count of the rest. */
function table(headers: readonly string[], rows: readonly string[][]): string[] {
  return [
    `| ${headers.join(" | ")} |`,
    `|${headers.map(() => "---").join("|")}|`,
    ...rows.slice(0, MARKDOWN_ROWS).map((row) => `| ${row.map((value) => cell(value)).join(" | ")} |`),
    // A blank line first: a line of text right under a table would be read as one more row.
    ...(rows.length > MARKDOWN_ROWS ? ["", moreLine(rows.length - MARKDOWN_ROWS)] : []),
  ];
}

/** Long tables fold away, so that a pull request comment stays readable. */
function details(summary: string, lines: string[]): string[] {
  return lines.length <= 12 ? lines : ["<details>", `<summary>${summary}</summary>`, "", ...lines, "", "</details>"];
}

/** Calls grouped by service and action (the writes, the denied calls), with `more` columns: "None." when empty. */
function actionTable<G extends ActionGroup>(
  groups: readonly G[],
  more: string[],
  columns: (group: G) => string[],
): string[] {
  if (groups.length === 0) return ["None."];
  const rows = groups.map((g) => [g.service, g.action, parts.count(g.count), ...columns(g)]);
  return details(parts.plural(groups.length, "action"), table(["service", "action", "calls", ...more], rows));
}

/** The review as a pull request comment. */
export function renderMarkdown(review: Review, context: ReviewContext): string {
  const out: string[] = [];
  out.push(
    `### cordon review of \`${review.root}\``,
    "",
    `${cell(context.sourceSummary)} · ${parts.windowText(review)}`,
    "",
  );
  const issues = parts.problems(review, context, (value) => cell(value, PROBLEM_BYTES), MARKDOWN_ROWS);
  if (issues.length > 0) parts.append(out, [...issues.map((line) => `> ${line.trim()}`), ""]);
  out.push(`**${parts.headline(review)}**`, "");

  const { timeline, reach, title } = parts.pictures(review, context);
  const drawn = timelineMermaid(timeline, title);
  out.push("#### Timeline", "");
  parts.append(
    out,
    drawn === null ? ["No call to draw in the window."] : ["```mermaid", ...drawn.trimEnd().split("\n"), "```"],
  );
  out.push("", "#### Blast radius", "", "```mermaid", ...reachMermaid(reach).trimEnd().split("\n"), "```", "");
  if (reach.could === null) {
    out.push(
      `Not assessed: \`npx cordon assess --access-key ${review.root} --json > assess.json\`, then \`--assess assess.json\`, sets what the key could reach beside what it touched.`,
      "",
    );
  } else {
    const names = (arns: string[]) =>
      arns.length === 0
        ? "none"
        : [
            ...arns.slice(0, MARKDOWN_ROWS).map((arn) => cell(parts.roleName(arn))),
            ...(arns.length > MARKDOWN_ROWS ? [`and ${parts.count(arns.length - MARKDOWN_ROWS)} more`] : []),
          ].join(", ");
    out.push(
      `Assumed, though \`assess\` does not list them: ${names(reach.assumedBeyondAssessment)}. Assumable, not assumed: ${names(reach.assumableNotAssumed)}.`,
      "",
    );
  }
  out.push(GLANCE_END, "");

  out.push("#### Keys", "");
  const tree = parts.keyTree(review.keys);
  for (const { key, depth } of tree.slice(0, MARKDOWN_ROWS))
    out.push(
      `${"  ".repeat(depth)}- \`${key.accessKeyId}\` ${cell(parts.keyLine(key, review).slice(key.accessKeyId.length).trim())}`,
    );
  if (tree.length > MARKDOWN_ROWS) out.push("", moreLine(tree.length - MARKDOWN_ROWS));
  out.push("");
  if (review.earlier.length > 0) {
    const title = parts.earlierTitle(review);
    out.push(`#### ${title[0].toUpperCase()}${title.slice(1)}`, "");
    parts.append(out, table(parts.EARLIER_COLUMNS, parts.earlierRows(review)));
    out.push("");
  }
  if (review.users.length > 0) {
    out.push("#### Users created or given a console password", "");
    parts.append(
      out,
      table(
        ["user", "how", "when", "by", "events"],
        review.users.map((user) => [user.userName, user.reason, user.at, user.parent, parts.count(user.events)]),
      ),
    );
    out.push("");
  }

  const persistence = review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category));
  out.push(`#### Persistence and privilege escalation (${parts.count(persistence.length)})`, "");
  parts.append(
    out,
    persistence.length === 0
      ? ["None found."]
      : details(
          `${parts.plural(persistence.length, "call")}`,
          table(parts.FINDING_COLUMNS, parts.findingRows(persistence)),
        ),
  );
  out.push("");
  const other = review.findings.filter((f) => parts.OTHER_CATEGORIES.includes(f.category));
  if (other.length > 0) {
    out.push(`#### Defense evasion, credential access, exfiltration, execution (${parts.count(other.length)})`, "");
    parts.append(
      out,
      details(`${parts.plural(other.length, "call")}`, table(parts.FINDING_COLUMNS, parts.findingRows(other))),
    );
    out.push("");
  }

  const writeCalls = parts.callCount(review.writes);
  out.push(`#### Write actions (${parts.plural(writeCalls, "call")})`, "");
  parts.append(
    out,
    actionTable(review.writes, ["first", "last"], (g) => [g.firstSeen, g.lastSeen]),
  );
  out.push("");
  const deniedCalls = parts.callCount(review.denied);
  out.push(`#### Denied calls: probing (${parts.count(deniedCalls)})`, "");
  parts.append(
    out,
    actionTable(review.denied, ["errors"], (g) => [g.errorCodes.join(", ")]),
  );
  out.push("");

  out.push("#### Source addresses and user agents", "");
  parts.append(
    out,
    details(
      `${parts.plural(review.sourceIPs.length, "address", "addresses")}`,
      table(
        ["address", "calls", "first", "last"],
        review.sourceIPs.map((t) => [t.value, parts.count(t.count), t.firstSeen, t.lastSeen]),
      ),
    ),
  );
  out.push("");
  parts.append(
    out,
    details(
      `${parts.plural(review.userAgents.length, "user agent")}`,
      table(
        ["user agent", "calls"],
        review.userAgents.map((t) => [t.value, parts.count(t.count)]),
      ),
    ),
  );
  out.push("");

  out.push(`#### Accounts reached (${parts.count(review.accounts.length)})`, "");
  parts.append(
    out,
    review.accounts.length === 0
      ? ["None named in the events."]
      : details(
          `${parts.plural(review.accounts.length, "account")}`,
          table(parts.ACCOUNT_COLUMNS, parts.accountRows(review.accounts, parts.unreadSet(review, context))),
        ),
  );
  out.push("");

  const suggestion = parts.incidentSuggestion(review, MARKDOWN_ROWS);
  if (suggestion.length > 0) {
    out.push(
      "#### Add to the incident",
      "",
      "Sessions of these roles, and these users and keys, must be cut off too:",
      "",
      "```yaml",
      ...suggestion,
      "```",
      "",
    );
  }
  return `${out.join("\n").trimEnd()}\n`;
}
