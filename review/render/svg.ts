/**
 * The timeline and the blast radius as inline SVG, for the HTML page: drawn here from the same
 * models as the Mermaid (core/timeline.ts, core/reach.ts, mermaid.ts's reachGraph), laid out by
 * hand (lanes on a time axis; columns of boxes), so that the page needs no script and fetches
 * nothing. Every text is escaped for XML after it is made safe to show (incident/display.ts).
 */
import { displayValue } from "../../incident/display.ts";
import type { Reach } from "../core/reach.ts";
import type { Timeline, TimelineMark } from "../core/timeline.ts";
import { bucketText, laneText, markText, reachGraph, type ReachGraph } from "./mermaid.ts";

/** Text as XML character data or an attribute value: shown safe, then `&<>"'` escaped. */
export function xmlText(text: string): string {
  return displayValue(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export const COLOURS = {
  ok: "#5c6bc0",
  failed: "#9fa8da",
  denied: "#c62828",
  cutoff: "#ef6c00",
  containment: "#2e7d32",
  persistence: "#ad1457",
  exfiltration: "#6a1b9a",
  grid: "#e0e0e0",
  text: "#212121",
  muted: "#616161",
} as const;

/** The timeline's legend: what each colour stands for, in the order it is drawn. */
const LEGEND: readonly [keyof typeof COLOURS, string][] = [
  ["ok", "calls"],
  ["failed", "some failed"],
  ["denied", "some denied"],
  ["persistence", "persistence"],
  ["exfiltration", "exfiltration"],
  ["cutoff", "cutoff"],
  ["containment", "contained"],
];

const MINUTE = 60_000;
/** Steps between the axis's ticks: round numbers of minutes, hours and days. */
const TICKS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 20160, 43200].map((m) => m * MINUTE);

function tickText(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  if (span <= 86_400_000) return iso.slice(11, 16);
  if (span <= 7 * 86_400_000) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(0, 10);
}

/** The timeline as an SVG document fragment; null when there is nothing to draw. */
export function timelineSvg(timeline: Timeline, title: string): string | null {
  if (timeline.bars.length === 0 && timeline.marks.length === 0) return null;
  const width = 1000;
  const left = 250;
  const right = width - 24;
  const rowHeight = 22;
  const top = 48;
  const span = Math.max(timeline.end - timeline.start, MINUTE);
  const x = (ms: number) => left + ((ms - timeline.start) / span) * (right - left);
  const rows: { title: string; draw: (y: number) => string[] }[] = [];

  timeline.lanes.forEach((lane, index) => {
    const bars = timeline.bars.filter((bar) => bar.lane === index);
    if (bars.length === 0) return;
    rows.push({
      title: laneText(lane),
      draw: (y) =>
        bars.map((bar) => {
          const colour = bar.denied > 0 ? COLOURS.denied : bar.failed > 0 ? COLOURS.failed : COLOURS.ok;
          const when = `${new Date(bar.start).toISOString().slice(11, 16)} to ${new Date(bar.end).toISOString().slice(11, 16)} UTC`;
          const refused = [
            ...(bar.denied > 0 ? [`${bar.denied} denied`] : []),
            ...(bar.failed > 0 ? [`${bar.failed} failed`] : []),
          ];
          const what = `${laneText(lane)}: ${bar.calls} ${bar.calls === 1 ? "call" : "calls"}${refused.length > 0 ? ` (${refused.join(", ")})` : ""}, ${when}`;
          return `<rect x="${x(bar.start).toFixed(1)}" y="${y + 4}" width="${Math.max(2, x(bar.end) - x(bar.start)).toFixed(1)}" height="${rowHeight - 8}" fill="${colour}"><title>${xmlText(what)}</title></rect>`;
        }),
    });
  });
  const markRows: [string, TimelineMark["kind"][]][] = [
    ["incident", ["cutoff", "containment"]],
    ["persistence", ["persistence"]],
    ["exfiltration", ["exfiltration"]],
  ];
  for (const [name, kinds] of markRows) {
    const marks = timeline.marks.filter((mark) => kinds.includes(mark.kind));
    if (marks.length === 0) continue;
    rows.push({
      title: name,
      draw: (y) =>
        marks.map((mark) => {
          const cx = x(mark.at);
          const cy = y + rowHeight / 2;
          const what =
            mark.kind === "cutoff" || mark.kind === "containment"
              ? `${markText(mark)} ${new Date(mark.at).toISOString()}`
              : `${mark.count} ${mark.kind} ${mark.count === 1 ? "call" : "calls"}: ${mark.calls.join(", ")}`;
          return `<path d="M${cx.toFixed(1)} ${cy - 7} l7 7 l-7 7 l-7 -7 z" fill="${COLOURS[mark.kind]}"><title>${xmlText(what)}</title></path>`;
        }),
    });
  }

  const height = top + rows.length * rowHeight + 56;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="timeline" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:100%;height:auto" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<title>${xmlText(`${title}: calls per ${bucketText(timeline.bucketMs)}, by identity`)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" fill="${COLOURS.text}">${xmlText(`${title} (UTC, ${bucketText(timeline.bucketMs)} buckets)`)}</text>`,
  );
  // The axis: ticks at round steps, about eight across.
  const step = TICKS.find((candidate) => span / candidate <= 10) ?? span;
  const axisY = top + rows.length * rowHeight;
  for (let tick = Math.ceil(timeline.start / step) * step; tick <= timeline.end; tick += step) {
    out.push(
      `<line x1="${x(tick).toFixed(1)}" y1="${top - 6}" x2="${x(tick).toFixed(1)}" y2="${axisY}" stroke="${COLOURS.grid}"/>`,
    );
    out.push(
      `<text x="${x(tick).toFixed(1)}" y="${axisY + 14}" text-anchor="middle" fill="${COLOURS.muted}">${xmlText(tickText(tick, span))}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    if (i % 2 === 0) out.push(`<rect x="0" y="${y}" width="${width}" height="${rowHeight}" fill="#f5f5f5"/>`);
    out.push(`<text x="8" y="${y + 15}" fill="${COLOURS.text}">${xmlText(cut(row.title, 36))}</text>`);
    for (const drawn of row.draw(y)) out.push(drawn);
  });
  // The incident's instants as lines across every lane.
  for (const mark of timeline.marks.filter((m) => m.kind === "cutoff" || m.kind === "containment")) {
    out.push(
      `<line x1="${x(mark.at).toFixed(1)}" y1="${top - 6}" x2="${x(mark.at).toFixed(1)}" y2="${axisY}" stroke="${COLOURS[mark.kind]}" stroke-width="2" stroke-dasharray="6 3"/>`,
    );
    out.push(
      `<text x="${(x(mark.at) + 4).toFixed(1)}" y="${top - 10}" fill="${COLOURS[mark.kind]}">${xmlText(markText(mark))}</text>`,
    );
  }
  LEGEND.forEach(([colour, label], i) => {
    const lx = left + i * 100;
    out.push(
      `<rect x="${lx}" y="${axisY + 30}" width="12" height="12" fill="${COLOURS[colour]}"/><text x="${lx + 16}" y="${axisY + 40}" fill="${COLOURS.muted}">${xmlText(label)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A label in lines of at most `width` characters, at most three lines. */
function wrapLabel(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = "";
    }
    line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.length <= 3
    ? lines.map((l) => cut(l, width))
    : [...lines.slice(0, 2), cut(lines.slice(2).join(" "), width)];
}

/** The blast radius as an SVG: the review's columns (key to services), and beside them what assess says. */
export function reachSvg(reach: Reach): string {
  const graph = reachGraph(reach);
  const boxWidth = 180;
  const boxHeight = 46;
  const gapX = 40;
  const gapY = 12;
  const top = 40;
  const place = new Map<string, { x: number; y: number }>();
  const columns = (group: ReachGraph["nodes"][number]["group"], x0: number) => {
    const nodes = graph.nodes.filter((n) => n.group === group);
    const count = nodes.reduce((most, n) => Math.max(most, n.column), 0) + 1;
    const heights: number[] = [];
    for (let column = 0; column < count; column++) {
      const inColumn = nodes.filter((n) => n.column === column);
      inColumn.forEach((n, i) =>
        place.set(n.id, { x: x0 + column * (boxWidth + gapX), y: top + i * (boxHeight + gapY) }),
      );
      heights.push(inColumn.length * (boxHeight + gapY));
    }
    return { width: count * (boxWidth + gapX), height: heights.reduce((most, h) => Math.max(most, h), 0) };
  };
  const touched = columns("touched", 16);
  const couldX = 16 + touched.width + 40;
  const could = columns("could", couldX);
  const width = couldX + could.width;
  const height = top + Math.max(touched.height, could.height) + 16;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="reach" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:100%;height:auto" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<title>${xmlText(`blast radius of ${reach.key}`)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<rect x="4" y="4" width="${touched.width + 12}" height="${height - 8}" fill="#fffde7" stroke="#e0e0a0"/>`);
  out.push(`<text x="16" y="24" font-size="13" fill="${COLOURS.text}">touched, says the review</text>`);
  out.push(
    `<rect x="${couldX - 12}" y="4" width="${could.width + 4}" height="${height - 8}" fill="#f1f8e9" stroke="#c5e1a5"/>`,
  );
  out.push(`<text x="${couldX}" y="24" font-size="13" fill="${COLOURS.text}">could reach, says assess</text>`);
  for (const edge of graph.edges) {
    const from = place.get(edge.from);
    const to = place.get(edge.to);
    if (from === undefined || to === undefined) continue;
    const [x1, y1, x2, y2] = [from.x + boxWidth, from.y + boxHeight / 2, to.x, to.y + boxHeight / 2];
    const mid = (x1 + x2) / 2;
    out.push(
      `<path d="M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}" fill="none" stroke="#757575" stroke-width="1.2"${edge.dotted === true ? ' stroke-dasharray="4 3"' : ""}/>`,
    );
  }
  const strokes = { exposed: COLOURS.denied, beyond: COLOURS.cutoff, denied: "#6d4c41" } as const;
  for (const n of graph.nodes) {
    const at = place.get(n.id) as { x: number; y: number };
    const stroke = n.style === undefined ? "#7986cb" : strokes[n.style];
    out.push(
      `<g><title>${xmlText(n.label)}</title><rect x="${at.x}" y="${at.y}" width="${boxWidth}" height="${boxHeight}" rx="4" fill="#e8eaf6" stroke="${stroke}" stroke-width="${n.style === undefined ? 1 : 2}"/>`,
    );
    const lines = wrapLabel(n.label, 30);
    lines.forEach((line, i) => {
      const y = at.y + boxHeight / 2 + (i - (lines.length - 1) / 2) * 13 + 4;
      out.push(
        `<text x="${at.x + boxWidth / 2}" y="${y.toFixed(1)}" text-anchor="middle" fill="${COLOURS.text}">${xmlText(line)}</text>`,
      );
    });
    out.push("</g>");
  }
  out.push("</svg>");
  return out.join("\n");
}
