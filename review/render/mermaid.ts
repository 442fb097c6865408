/**
 * The timeline and the blast radius as Mermaid, which GitHub draws wherever it renders markdown
 * (pull requests, issues, files).
 *
 * The timeline is a gantt: of Mermaid's diagrams it is the one with a real time axis, sections
 * (one a lane) and tasks with a start and an end (a run of busy buckets), tags that colour them
 * (`crit` for denied calls, `active` for failed ones) and milestones (the cutoff, the containment,
 * the findings); in compact mode a lane's bars share one row. Mermaid's `timeline` has periods,
 * not a time scale, and no lanes; `xychart` has a numeric axis, one series and no marks.
 * The blast radius is a flowchart, left to right: the chain as the review saw it beside what
 * `assess` says the key could reach.
 *
 * GitHub renders with Mermaid's default limits: 50,000 characters of diagram text and 500 edges
 * (https://mermaid.js.org/config/schema-docs/config-properties-maxtextsize.html,
 * https://mermaid.js.org/config/schema-docs/config-properties-maxedges.html); GitHub documents no
 * other (https://docs.github.com/en/get-started/writing-on-github/working-with-advanced-formatting/creating-diagrams).
 * The models are bounded (core/timeline.ts's TIMELINE_LIMITS, the caps below) and every label is
 * cut to a length, so both texts stay far below, whatever the review: test/review-pictures.test.ts
 * holds them under {@link MERMAID_LIMITS} and runs Mermaid's own parser on them.
 *
 * Text from the logs (role names, calls, account ids as a forged record writes them) reaches a
 * diagram only through {@link mermaidText}: letters, digits and a few punctuation marks, nothing
 * Mermaid or markdown reads as syntax.
 */
import { compareText } from "../../incident/order.ts";
import type { Reach, ReachSession } from "../core/reach.ts";
import type { Timeline, TimelineBar, TimelineMark } from "../core/timeline.ts";

/** What GitHub's Mermaid draws at most: its defaults (see above). */
export const MERMAID_LIMITS = { textSize: 50_000, edges: 500 } as const;

/** How many of each the blast radius draws; the rest are counted in one node. */
export const REACH_CAPS = { sessions: 12, roles: 10, accounts: 8, services: 8, assumable: 8 } as const;

/** The characters a label keeps; any other becomes `?`. */
const LABEL_CHARACTER = /[A-Za-z0-9 .,_/@+=()'-]/;

/**
 * Text from a review as a Mermaid label: only characters Mermaid and markdown read as text, at
 * most `max` of them (cut with `..`), never starting like a markdown list (`1. `).
 */
export function mermaidText(text: string, max = 48): string {
  let out = "";
  for (const char of text) out += LABEL_CHARACTER.test(char) ? char : "?";
  out = out.replace(/\s+/g, " ").trim();
  if (out.length > max) out = `${out.slice(0, max - 2).trimEnd()}..`;
  return out.replace(/^(\d+)([.)])/, "$1 $2") || "?";
}

/** `2023-07-10 11:54:00`: the gantt's dateFormat, read by Mermaid in the reader's time zone, which shows UTC's digits back. */
function ganttTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** A bucket's size in words: `5 min`, `1 h`, `1 day`. */
export function bucketText(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 1440) return `${minutes / 60} h`;
  return minutes === 1440 ? "1 day" : `${minutes / 1440} days`;
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * A bar's label: its calls, and how many failed or were denied, as short as it can be (bars of a
 * minute sit side by side): `410`, `59 (6 denied)`.
 */
export function barText(bar: TimelineBar): string {
  const refused = [
    ...(bar.denied > 0 ? [`${count(bar.denied)} denied`] : []),
    ...(bar.failed > 0 ? [`${count(bar.failed)} failed`] : []),
  ];
  return refused.length === 0 ? count(bar.calls) : `${count(bar.calls)} (${refused.join(", ")})`;
}

/** A mark's label: the instant's name, or the findings' calls. */
export function markText(mark: TimelineMark): string {
  if (mark.kind === "cutoff") return "cutoff";
  if (mark.kind === "containment") return "contained";
  // The count alone: marks a minute apart sit side by side; the calls are in the tables below.
  return count(mark.count);
}

/** A lane's title: what the identity is, as short as it can be said. */
export function laneText(lane: Timeline["lanes"][number]): string {
  if (lane.folded > 0) return lane.name;
  switch (lane.kind) {
    case "key":
      return `${lane.name} ${lane.note}`;
    case "user":
      return `user ${lane.name.replace(/^user:/, "")} (${lane.note})`;
    case "role":
      return `role ${lane.note}`;
    case "account":
      return `account ${lane.name}${lane.note === "" ? "" : " (key's)"}`;
  }
}

/** The timeline as a Mermaid gantt; null when there is nothing to draw (no event, no instant). */
export function timelineMermaid(timeline: Timeline, title: string): string | null {
  if (timeline.bars.length === 0 && timeline.marks.length === 0) return null;
  const span = timeline.end - timeline.start;
  const axis = span <= 86_400_000 ? "%H:%M" : span <= 7 * 86_400_000 ? "%m-%d %H:%M" : "%Y-%m-%d";
  const lines = [
    // compact: a lane's bars, which never overlap, share one row; leftPadding: room for the lanes' titles.
    '%%{init: {"gantt": {"displayMode": "compact", "leftPadding": 220, "barHeight": 16, "barGap": 4, "fontSize": 11, "sectionFontSize": 11}}}%%',
    "gantt",
    `  title ${mermaidText(title, 80)} (UTC, ${bucketText(timeline.bucketMs)} buckets)`,
    "  dateFormat YYYY-MM-DD HH:mm:ss",
    `  axisFormat ${axis}`,
    "  todayMarker off",
  ];
  timeline.lanes.forEach((lane, index) => {
    const bars = timeline.bars.filter((bar) => bar.lane === index);
    if (bars.length === 0) return;
    lines.push(`  section ${mermaidText(laneText(lane), 34)}`);
    for (const bar of bars) {
      const tag = bar.denied > 0 ? "crit, " : bar.failed > 0 ? "active, " : "";
      lines.push(`    ${mermaidText(barText(bar), 40)} :${tag}${ganttTime(bar.start)}, ${ganttTime(bar.end)}`);
    }
  });
  const sections: [string, TimelineMark["kind"][], string][] = [
    ["incident", ["cutoff", "containment"], ""],
    ["persistence", ["persistence"], "crit, "],
    ["exfiltration", ["exfiltration"], "active, "],
  ];
  for (const [name, kinds, tag] of sections) {
    const marks = timeline.marks.filter((mark) => kinds.includes(mark.kind));
    if (marks.length === 0) continue;
    lines.push(`  section ${name}`);
    for (const mark of marks)
      lines.push(
        `    ${mermaidText(markText(mark), 40)} :milestone, ${mark.kind === "containment" ? "done, " : tag}${ganttTime(mark.at)}, 0m`,
      );
  }
  return `${lines.join("\n")}\n`;
}

/** The role name in a role ARN. */
function roleName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/** Ids for names, from their code-point order: the same names give the same diagram. */
function ids(prefix: string, names: Iterable<string>): Map<string, string> {
  return new Map([...new Set(names)].sort(compareText).map((name, i) => [name, `${prefix}${i + 1}`]));
}

/** What the blast radius draws: nodes, edges and the counts of what it leaves out. */
export interface ReachGraph {
  nodes: {
    id: string;
    label: string;
    group: "touched" | "could";
    column: number;
    style?: "exposed" | "beyond" | "denied";
  }[];
  edges: { from: string; to: string; label?: string; dotted?: boolean }[];
}

/**
 * The blast radius as nodes in columns (key 0, user 1, sessions 2, roles 3, accounts 4, services 5)
 * and edges, each kind capped ({@link REACH_CAPS}); shared by the Mermaid and the SVG.
 */
export function reachGraph(reach: Reach): ReachGraph {
  const nodes: ReachGraph["nodes"] = [];
  const edges: ReachGraph["edges"] = [];
  const node = (
    id: string,
    label: string,
    column: number,
    style?: ReachGraph["nodes"][number]["style"],
    group: "touched" | "could" = "touched",
  ) => nodes.push({ id, label, group, column, ...(style === undefined ? {} : { style }) });
  node("K", `${reach.key} exposed key`, 0, "exposed");
  node("U", `user ${reach.user ?? "(not named in its events)"}`, 1);
  edges.push({ from: "K", to: "U" });

  // Sessions and keys: the busiest first, then by when they were made; parents before children when they can.
  const shown = [...reach.sessions].sort((a, b) => b.calls - a.calls).slice(0, REACH_CAPS.sessions);
  const shownIds = new Set(shown.map((session) => session.id));
  const sessionIds = ids(
    "S",
    shown.map((session) => session.id),
  );
  const sessionLabel = (session: ReachSession) => {
    const what = session.user !== null && session.how === "CreateAccessKey" ? `for ${session.user}` : session.how;
    return session.id.startsWith("user:")
      ? `user ${session.user} (${session.how})`
      : `${session.id} ${what}, ${count(session.calls)} ${session.calls === 1 ? "call" : "calls"}`;
  };
  const hidden = reach.sessions.length - shown.length;
  if (hidden > 0) {
    node("SMORE", `${hidden} more keys and sessions`, 2);
    edges.push({ from: "U", to: "SMORE" });
  }
  for (const session of reach.sessions.filter((s) => shownIds.has(s.id))) {
    const id = sessionIds.get(session.id) as string;
    node(
      id,
      sessionLabel(session),
      2,
      session.how.startsWith("Create") || session.how === "UpdateLoginProfile" ? "beyond" : undefined,
    );
    const parent =
      session.parent === reach.key ? "U" : (sessionIds.get(session.parent) ?? (hidden > 0 ? "SMORE" : "U"));
    edges.push({ from: parent, to: id, label: session.how });
  }

  const roles = reach.roles.slice(0, REACH_CAPS.roles);
  const roleIds = ids(
    "R",
    roles.map((role) => role.arn),
  );
  for (const role of roles) {
    const id = roleIds.get(role.arn) as string;
    const said = role.assumable === null ? "" : role.assumable ? " (in assess)" : " (not in assess)";
    node(id, `role ${roleName(role.arn)}${said}`, 3, role.assumable === false ? "beyond" : undefined);
    for (const session of shown)
      if (session.role === role.arn) edges.push({ from: sessionIds.get(session.id) as string, to: id });
  }
  if (reach.roles.length > roles.length) node("RMORE", `${reach.roles.length - roles.length} more roles`, 3);

  const accounts = reach.accounts.slice(0, REACH_CAPS.accounts);
  for (const account of accounts) {
    const id = `A${account.account}`;
    node(id, `account ${account.account}${account.reviewedKey ? " (the key's)" : ""}`, 4);
    if (account.reviewedKey) edges.push({ from: "U", to: id });
    for (const role of account.roles) if (roleIds.has(role)) edges.push({ from: roleIds.get(role) as string, to: id });
    if (account.roles.some((role) => !roleIds.has(role))) edges.push({ from: "RMORE", to: id });
    const services = account.services.slice(0, REACH_CAPS.services);
    services.forEach((service) => {
      const serviceId = `V${account.account}x${ids(
        "",
        account.services.map((s) => s.service),
      ).get(service.service)}`;
      const detail = [
        `${count(service.calls)} calls`,
        ...(service.writes > 0 ? [`${count(service.writes)} writes`] : []),
        ...(service.denied > 0 ? [`${count(service.denied)} denied`] : []),
      ].join(", ");
      node(
        serviceId,
        `${service.service}, ${detail}`,
        5,
        service.denied > 0 && service.denied === service.calls ? "denied" : undefined,
      );
      edges.push({ from: id, to: serviceId });
    });
    if (account.services.length > services.length) {
      node(`V${account.account}more`, `${account.services.length - services.length} more services`, 5);
      edges.push({ from: id, to: `V${account.account}more` });
    }
  }
  if (reach.accounts.length > accounts.length)
    node("AMORE", `${reach.accounts.length - accounts.length} more accounts`, 4);

  // What assess says, beside it: its own user, what it can do, the roles it can assume.
  const could = reach.could;
  if (could === null) {
    node("C0", "not assessed (give --assess FILE, the output of cordon assess --json)", 0, undefined, "could");
  } else {
    node("CU", `user ${could.user}, account ${could.account}`, 0, undefined, "could");
    const risks: [boolean, string][] = [
      [could.admin, "administrator-equivalent"],
      [could.iamWrite, "can change IAM"],
      [could.dataWrite, "can write or delete data"],
      [could.secretsRead, "can read secrets"],
      [could.dataRead, "can read data"],
    ];
    const held = risks.filter(([yes]) => yes).map(([, label]) => label);
    for (const [i, label] of (held.length === 0 ? ["no data, secrets or IAM access found"] : held).entries()) {
      node(`CR${i + 1}`, label, 1, held.length > 0 ? "exposed" : undefined, "could");
      edges.push({ from: "CU", to: `CR${i + 1}` });
    }
    const assumable = could.assumableRoles.slice(0, REACH_CAPS.assumable);
    const assumableIds = ids("CA", assumable);
    for (const arn of assumable) {
      const id = assumableIds.get(arn) as string;
      node(id, `can assume ${roleName(arn)}${roleIds.has(arn) ? " (assumed)" : ""}`, 1, undefined, "could");
      edges.push({ from: "CU", to: id });
    }
    const more = [
      ...(could.assumableRoles.length > assumable.length
        ? [`${could.assumableRoles.length - assumable.length} more roles`]
        : []),
      ...(could.assumableRolesInOtherAccounts.length > 0
        ? [`roles of other accounts (${could.assumableRolesInOtherAccounts.length} patterns)`]
        : []),
    ];
    if (more.length > 0) {
      node("CMORE", `can assume ${more.join(", ")}`, 1, undefined, "could");
      edges.push({ from: "CU", to: "CMORE" });
    }
  }
  return { nodes, edges };
}

/** The blast radius as a Mermaid flowchart: what the review saw, beside what assess says. */
export function reachMermaid(reach: Reach): string {
  const graph = reachGraph(reach);
  // Top to bottom, each side left to right: dagre lays the two unlinked sides next to each other.
  const lines = ["flowchart TB"];
  const shape = (n: ReachGraph["nodes"][number]) => `${n.id}["${mermaidText(n.label, 64)}"]`;
  for (const [group, title] of [
    ["could", "could reach, says assess"],
    ["touched", "touched, says the review"],
  ] as const) {
    lines.push(`  subgraph ${group === "could" ? "could" : "touched"}["${title}"]`, "    direction LR");
    for (const n of graph.nodes.filter((candidate) => candidate.group === group)) lines.push(`    ${shape(n)}`);
    lines.push("  end");
  }
  for (const edge of graph.edges) {
    const arrow = edge.dotted === true ? "-.->" : "-->";
    lines.push(
      `  ${edge.from} ${arrow}${edge.label === undefined ? "" : `|${mermaidText(edge.label, 24)}|`} ${edge.to}`,
    );
  }
  lines.push(
    "  classDef exposed stroke:#c62828,stroke-width:2px",
    "  classDef beyond stroke:#ef6c00,stroke-width:2px,stroke-dasharray:4 2",
    "  classDef denied stroke:#6d4c41,stroke-dasharray:2 2",
  );
  for (const style of ["exposed", "beyond", "denied"] as const) {
    const styled = graph.nodes.filter((n) => n.style === style).map((n) => n.id);
    if (styled.length > 0) lines.push(`  class ${styled.join(",")} ${style}`);
  }
  return `${lines.join("\n")}\n`;
}
