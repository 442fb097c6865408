/**
 * The review's rooms, held against its imports (read by TypeScript's own pre-processor, dynamic
 * imports and type-only imports included):
 *  - a pure core (chain, events, findings, secrets) that imports no other room; the outputs and
 *    the log reader import only the core; only the rooms that read AWS import aws/;
 *  - every module of review/sources/ is a source behind one interface, and a row of the table,
 *    and the command knows sources only through the table: a new source is a file and a row;
 *  - no circle of imports anywhere in the tree.
 * Each check is also shown catching a bad edge fed to it on purpose.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { SOURCES } from "../review/sources/table.ts";

const ROOT = join(import.meta.dirname, "..");

/** Every source file of the tree (tests and what npm installs aside), with the files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (entry.name.startsWith(".") || ["node_modules", "test", "tmp"].includes(entry.name)) continue;
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|js|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        const imported = ts.preProcessFile(readFileSync(join(ROOT, path), "utf8"), true, true).importedFiles.map((file) => file.fileName);
        graph.set(path, imported.filter((specifier) => specifier.startsWith(".")).map((specifier) => normalize(join(dirname(path), specifier)).split("\\").join("/")));
      }
    }
  };
  walk("");
  return graph;
}

/** Which rooms of review/ each room may import (itself always), and which parts of the tree outside it. */
const ROOMS: Readonly<Record<string, { rooms: readonly string[]; outside: readonly string[] }>> = {
  // Pure: no SDK, no file system, no clock. What every other room builds on.
  core: { rooms: [], outside: ["incident"] },
  render: { rooms: ["core"], outside: ["incident"] },
  // The log files' reader: bytes in, kept events out; where the bytes come from is not its concern.
  logs: { rooms: ["core"], outside: ["incident"] },
  // LookupEvents, paced: the SDK's calls are aws/cloudtrail.ts's.
  lookup: { rooms: ["core"], outside: ["aws", "incident"] },
  // A trail's layout in S3, its listing, the SQL over its Athena table.
  trail: { rooms: ["core", "logs"], outside: ["aws", "incident"] },
  // One module a source, the interface and the table: everything the review reads comes through here.
  sources: { rooms: ["core", "render", "logs", "lookup", "trail"], outside: ["aws", "incident"] },
};

/** Every import of review/ against its rooms, as `FROM -> TO: reason`. */
function roomViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [path, targets] of graph) {
    if (!path.startsWith("review/")) continue;
    const room = path.split("/")[1];
    const rule = ROOMS[room];
    if (rule === undefined || !path.slice("review/".length).includes("/")) {
      out.push(`${path}: not in a room of review/ (${Object.keys(ROOMS).join(", ")})`);
      continue;
    }
    for (const target of targets) {
      const [part, inner] = target.split("/");
      if (part === "review" ? inner === room || rule.rooms.includes(inner) : rule.outside.includes(part)) continue;
      out.push(`${path} -> ${target}: review/${room} may not import ${part === "review" ? `review/${inner}` : part}`);
    }
  }
  return out;
}

/** Files that import each other in a circle, each circle as its files sorted (Tarjan's strongly connected components, without recursion). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; edge: number }[] = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = (graph.get(frame.node) ?? []).filter((target) => graph.has(target));
      if (frame.edge < edges.length) {
        const target = edges[frame.edge++];
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, edge: 0 });
        } else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(target) as number));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent) as number, low.get(frame.node) as number));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
          onStack.delete(member);
          component.push(member);
          if (member === frame.node) break;
        }
        if (component.length > 1 || (graph.get(frame.node) ?? []).includes(frame.node)) found.push(component.sort());
      }
    }
  }
  return found;
}

const graph = importGraph();

describe("review's rooms", () => {
  it("reads the whole tree", () => {
    expect([...graph.keys()]).toEqual(expect.arrayContaining(["commands/review.ts", "review/core/chain.ts", "review/sources/table.ts", "aws/cloudtrail.ts"]));
    expect(graph.get("review/sources/logs.ts")).toContain("review/logs/two-passes.ts");
  });

  it("no import goes against them", () => {
    expect(roomViolations(graph)).toEqual([]);
  });

  it.each([
    [["review/core/chain.ts", ["review/render/text.ts"]], "review/core/chain.ts -> review/render/text.ts: review/core may not import review/render"],
    [["review/logs/log-file.ts", ["aws/s3-logs.ts"]], "review/logs/log-file.ts -> aws/s3-logs.ts: review/logs may not import aws"],
    [["review/render/json.ts", ["cli/io.ts"]], "review/render/json.ts -> cli/io.ts: review/render may not import cli"],
    [["review/helpers.ts", []], "review/helpers.ts: not in a room of review/ (core, render, logs, lookup, trail, sources)"],
  ] as const)("catches a bad edge: %j", ([path, targets], violation) => {
    expect(roomViolations(new Map([[path, [...targets]]]))).toEqual([violation]);
  });
});

describe("sources: one interface, dispatched from the table", () => {
  const modules = readdirSync(join(ROOT, "review", "sources")).filter((name) => name !== "source.ts" && name !== "table.ts");

  it.each(modules)("%s exports one source, and it is a row of the table", async (name) => {
    const exported = Object.values((await import(/* @vite-ignore */ pathToFileURL(join(ROOT, "review", "sources", name)).href)) as Record<string, unknown>).filter((value) => typeof value === "object" && value !== null && "review" in value);
    expect(exported).toHaveLength(1);
    const source = exported[0] as Record<string, unknown>;
    expect({
      name: typeof source.name,
      selector: source.selector === null ? null : typeof (source.selector as { flag?: unknown }).flag,
      flags: typeof source.flags,
      usage: typeof (source.usage as { options?: unknown }).options,
      parse: typeof source.parse,
      review: typeof source.review,
    }).toEqual({ name: "string", selector: source.selector === null ? null : "string", flags: "object", usage: "string", parse: "function", review: "function" });
    expect(SOURCES).toContain(source);
  });

  it("the table holds those sources and no other: distinct names and flags, one used without a flag", () => {
    expect(SOURCES).toHaveLength(modules.length);
    expect(new Set(SOURCES.map((source) => source.name)).size).toBe(SOURCES.length);
    const selectors = SOURCES.flatMap((source) => (source.selector === null ? [] : [source.selector.flag]));
    expect(new Set(selectors).size).toBe(selectors.length);
    expect(SOURCES.filter((source) => source.selector === null)).toHaveLength(1);
    for (const source of SOURCES) for (const flag of Object.keys(source.flags)) expect(selectors).not.toContain(flag);
  });

  it("only the table imports a source; outside review/sources/ only the table and the interface are imported", () => {
    const wrong: string[] = [];
    for (const [path, targets] of graph) {
      for (const target of targets) {
        if (!target.startsWith("review/sources/")) continue;
        const isSource = target !== "review/sources/source.ts" && target !== "review/sources/table.ts";
        if (isSource && path !== "review/sources/table.ts") wrong.push(`${path} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
    expect([...graph].filter(([, targets]) => targets.includes("review/sources/table.ts")).map(([path]) => path)).toEqual(["commands/review.ts"]);
  });
});

describe("no circle of imports", () => {
  it("in the whole tree", () => {
    expect(circles(graph)).toEqual([]);
  });

  it("catches one fed on purpose, a file that imports itself, and a circle through three files", () => {
    const bad = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["a.ts", "c.ts"]],
      ["c.ts", []],
      ["self.ts", ["self.ts"]],
      ["x.ts", ["y.ts"]],
      ["y.ts", ["z.ts"]],
      ["z.ts", ["x.ts"]],
    ]);
    expect(circles(bad).sort()).toEqual([["a.ts", "b.ts"], ["self.ts"], ["x.ts", "y.ts", "z.ts"]]);
  });
});
