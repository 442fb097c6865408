/**
 * The review as one self-contained HTML page (`review --html FILE`), to hand to people who do not
 * read pull requests: the timeline and the blast radius as inline SVG (svg.ts), the findings, the
 * keys and the accounts, and the YAML to add. No script, no style sheet, font or image fetched:
 * the page's Content-Security-Policy forbids any request, so that opening it tells nobody, and a
 * value from the logs cannot make it load anything. Every value is shown escaped (svg.ts's xmlText).
 */
import type { Review } from "../core/findings.ts";
import { PERSISTENCE_CATEGORIES } from "../core/findings.ts";
import type { ReviewContext } from "./context.ts";
import * as parts from "./parts.ts";
import { reachSvg, timelineSvg, xmlText } from "./svg.ts";

/** No request of any kind: inline styles and `data:` images only. */
export const PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

const STYLE = `body{font-family:sans-serif;margin:24px;color:#212121;max-width:1400px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}code,pre{font-family:monospace}
.problem{background:#ffebee;border-left:4px solid #c62828;padding:6px 10px}
.headline{font-weight:bold}.figure{overflow-x:auto;border:1px solid #e0e0e0;padding:4px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #e0e0e0;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f5f5f5}pre{background:#f5f5f5;padding:8px;overflow-x:auto}`;

function table(headers: readonly string[], rows: string[][]): string {
  const head = `<tr>${headers.map((h) => `<th>${xmlText(h)}</th>`).join("")}</tr>`;
  return `<table>${head}${rows.map((row) => `<tr>${row.map((cell) => `<td>${xmlText(cell)}</td>`).join("")}</tr>`).join("\n")}</table>`;
}

/** The review as one HTML page. */
export function renderHtml(review: Review, context: ReviewContext): string {
  const { timeline, reach, title } = parts.pictures(review, context);
  const out: string[] = [];
  out.push("<!doctype html>", '<html lang="en"><head><meta charset="utf-8">');
  out.push(
    `<meta http-equiv="Content-Security-Policy" content="${PAGE_POLICY}">`,
    '<meta name="referrer" content="no-referrer">',
  );
  out.push(`<title>${xmlText(`cordon review of ${review.root}`)}</title>`, `<style>${STYLE}</style></head><body>`);
  out.push(`<h1>cordon review of <code>${xmlText(review.root)}</code></h1>`);
  out.push(`<p>${xmlText(`${context.sourceSummary} · ${parts.windowText(review)}`)}</p>`);
  for (const line of parts.problems(review, context)) out.push(`<p class="problem">${xmlText(line.trim())}</p>`);
  out.push(`<p class="headline">${xmlText(parts.headline(review))}</p>`);

  out.push("<h2>Timeline</h2>");
  const drawn = timelineSvg(timeline, title);
  out.push(drawn === null ? "<p>No call to draw in the window.</p>" : `<div class="figure">${drawn}</div>`);
  out.push("<h2>Blast radius</h2>", `<div class="figure">${reachSvg(reach)}</div>`);

  const persistence = review.findings.filter((f) => PERSISTENCE_CATEGORIES.includes(f.category));
  const other = review.findings.filter((f) => !PERSISTENCE_CATEGORIES.includes(f.category));
  out.push(
    `<h2>Persistence and privilege escalation (${xmlText(parts.count(persistence.length))})</h2>`,
    persistence.length === 0 ? "<p>None found.</p>" : table(parts.FINDING_COLUMNS, parts.findingRows(persistence)),
  );
  out.push(
    `<h2>Defense evasion, credential access, exfiltration, execution (${xmlText(parts.count(other.length))})</h2>`,
    other.length === 0 ? "<p>None found.</p>" : table(parts.FINDING_COLUMNS, parts.findingRows(other)),
  );

  out.push(
    "<h2>Keys</h2>",
    table(
      ["key", "how"],
      parts
        .keyTree(review.keys)
        .map(({ key, depth }) => [
          `${"  ".repeat(depth)}${key.accessKeyId}`,
          parts.keyLine(key, review).slice(key.accessKeyId.length).trim(),
        ]),
    ),
  );
  if (review.earlier.length > 0) {
    const title = parts.earlierTitle(review);
    out.push(
      `<h2>${xmlText(`${title[0].toUpperCase()}${title.slice(1)}`)}</h2>`,
      table(parts.EARLIER_COLUMNS, parts.earlierRows(review)),
    );
  }
  const deniedCalls = parts.callCount(review.denied);
  out.push(
    `<h2>Denied calls (${xmlText(parts.count(deniedCalls))})</h2>`,
    review.denied.length === 0
      ? "<p>None.</p>"
      : table(
          ["service", "action", "calls", "errors"],
          review.denied.map((g) => [g.service, g.action, parts.count(g.count), g.errorCodes.join(", ")]),
        ),
  );
  out.push(
    `<h2>Accounts reached (${xmlText(parts.count(review.accounts.length))})</h2>`,
    review.accounts.length === 0
      ? "<p>None named in the events.</p>"
      : table(parts.ACCOUNT_COLUMNS, parts.accountRows(review.accounts, parts.unreadSet(review, context))),
  );
  out.push(
    `<h2>Source addresses (${xmlText(parts.plural(review.sourceIPs.length, "address", "addresses"))})</h2>`,
    table(
      ["address", "calls", "first", "last"],
      review.sourceIPs.map((t) => [t.value, parts.count(t.count), t.firstSeen, t.lastSeen]),
    ),
  );
  const suggestion = parts.incidentSuggestion(review);
  if (suggestion.length > 0)
    out.push(
      "<h2>Add to the incident</h2>",
      "<p>Sessions of these roles, and these users and keys, must be cut off too:</p>",
      `<pre>${suggestion.map(xmlText).join("\n")}</pre>`,
    );
  out.push("</body></html>");
  return `${out.join("\n")}\n`;
}
