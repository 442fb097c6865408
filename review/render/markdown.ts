/**
 * The review as a pull request comment: first what a responder takes in at a glance (the
 * headline, the timeline and the blast radius, which GitHub draws from their Mermaid text), then
 * the same facts as the text, in tables that fold away when long, every value from the logs
 * escaped as text (incident/display.ts), and the YAML to add.
 */
import type { Review } from "../core/findings.ts";
import { PERSISTENCE_CATEGORIES } from "../core/findings.ts";
import { markdownSafe } from "../../incident/display.ts";
import type { ReviewContext } from "./context.ts";
import { reachMermaid, timelineMermaid } from "./mermaid.ts";
import {
  ACCOUNT_COLUMNS,
  accountRows,
  append,
  count,
  FINDING_COLUMNS,
  findingRows,
  headline,
  keyLine,
  keyTree,
  OTHER_CATEGORIES,
  pictures,
  plural,
  problems,
  roleName,
  roleSuggestion,
  userSuggestion,
  windowText,
} from "./parts.ts";

/**
 * The line that ends the part of the markdown read at a glance (the headline and the pictures):
 * what a comment that cannot hold the whole review keeps (the contain workflow's report).
 */
export const GLANCE_END = "<!-- cordon:review:details -->";

/** A value in a markdown table cell or list item: text, never markup (incident/display.ts). */
function cell(value: string): string {
  return markdownSafe(value);
}

function table(headers: readonly string[], rows: string[][]): string[] {
  return [
    `| ${headers.join(" | ")} |`,
    `|${headers.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ];
}

/** Long tables fold away, so that a pull request comment stays readable. */
function details(summary: string, lines: string[]): string[] {
  return lines.length <= 12 ? lines : ["<details>", `<summary>${summary}</summary>`, "", ...lines, "", "</details>"];
}

/** The review as a pull request comment. */
export function renderMarkdown(review: Review, context: ReviewContext): string {
  const out: string[] = [];
  out.push(`### cordon review of \`${review.root}\``, "", `${cell(context.sourceSummary)} · ${windowText(review)}`, "");
  const issues = problems(review, context, cell);
  if (issues.length > 0) append(out, [...issues.map((line) => `> ${line.trim()}`), ""]);
  out.push(`**${headline(review)}**`, "");

  const { timeline, reach, title } = pictures(review, context);
  const drawn = timelineMermaid(timeline, title);
  out.push("#### Timeline", "");
  append(
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
    const names = (arns: string[]) => (arns.length === 0 ? "none" : arns.map((arn) => cell(roleName(arn))).join(", "));
    out.push(
      `Assumed, though \`assess\` does not list them: ${names(reach.assumedBeyondAssessment)}. Assumable, not assumed: ${names(reach.assumableNotAssumed)}.`,
      "",
    );
  }
  out.push(GLANCE_END, "");

  out.push("#### Keys", "");
  for (const { key, depth } of keyTree(review.keys))
    out.push(
      `${"  ".repeat(depth)}- \`${key.accessKeyId}\` ${cell(keyLine(key).slice(key.accessKeyId.length).trim())}`,
    );
  out.push("");
  if (review.users.length > 0) {
    out.push("#### Users created or given a console password", "");
    append(
      out,
      table(
        ["user", "how", "when", "by", "events"],
        review.users.map((user) => [user.userName, user.reason, user.at, user.parent, count(user.events)]),
      ),
    );
    out.push("");
  }

  const persistence = review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category));
  out.push(`#### Persistence and privilege escalation (${count(persistence.length)})`, "");
  append(
    out,
    persistence.length === 0
      ? ["None found."]
      : details(`${plural(persistence.length, "call")}`, table(FINDING_COLUMNS, findingRows(persistence))),
  );
  out.push("");
  const other = review.findings.filter((f) => OTHER_CATEGORIES.includes(f.category));
  if (other.length > 0) {
    out.push(`#### Defense evasion, credential access, exfiltration, execution (${count(other.length)})`, "");
    append(out, details(`${plural(other.length, "call")}`, table(FINDING_COLUMNS, findingRows(other))));
    out.push("");
  }

  const writeCalls = review.writes.reduce((sum, group) => sum + group.count, 0);
  out.push(`#### Write actions (${plural(writeCalls, "call")})`, "");
  append(
    out,
    review.writes.length === 0
      ? ["None."]
      : details(
          `${plural(review.writes.length, "action")}`,
          table(
            ["service", "action", "calls", "first", "last"],
            review.writes.map((g) => [g.service, g.action, count(g.count), g.firstSeen, g.lastSeen]),
          ),
        ),
  );
  out.push("");
  const deniedCalls = review.denied.reduce((sum, group) => sum + group.count, 0);
  out.push(`#### Denied calls: probing (${count(deniedCalls)})`, "");
  append(
    out,
    review.denied.length === 0
      ? ["None."]
      : details(
          `${plural(review.denied.length, "action")}`,
          table(
            ["service", "action", "calls", "errors"],
            review.denied.map((g) => [g.service, g.action, count(g.count), g.errorCodes.join(", ")]),
          ),
        ),
  );
  out.push("");

  out.push("#### Source addresses and user agents", "");
  append(
    out,
    details(
      `${plural(review.sourceIPs.length, "address", "addresses")}`,
      table(
        ["address", "calls", "first", "last"],
        review.sourceIPs.map((t) => [t.value, count(t.count), t.firstSeen, t.lastSeen]),
      ),
    ),
  );
  out.push("");
  append(
    out,
    details(
      `${plural(review.userAgents.length, "user agent")}`,
      table(
        ["user agent", "calls"],
        review.userAgents.map((t) => [t.value, count(t.count)]),
      ),
    ),
  );
  out.push("");

  out.push(`#### Accounts reached (${count(review.accounts.length)})`, "");
  append(
    out,
    review.accounts.length === 0
      ? ["None named in the events."]
      : details(`${plural(review.accounts.length, "account")}`, table(ACCOUNT_COLUMNS, accountRows(review.accounts))),
  );
  out.push("");

  const suggestion = [...userSuggestion(review), ...roleSuggestion(review)];
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
