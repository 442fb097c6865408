/**
 * The review's rooms, held against its imports (read by TypeScript's own pre-processor, dynamic
 * imports and type-only imports included):
 *  - a pure core (chain, events, findings, secrets) that imports no other room; the outputs and
 *    the log reader import only the core; only the rooms that read AWS import aws/;
 *  - every module of review/sources/ is a source behind one interface, and a row of the table,
 *    and the command knows sources only through the table: a new source is a file and a row.
 * (No circle of imports anywhere: test/architecture.test.ts.) Each check is also shown catching a bad edge fed to it on purpose.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { SOURCES } from "../review/sources/table.ts";
import { importGraph } from "./support/import-graph.ts";

const ROOT = join(import.meta.dirname, "..");

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

const graph = importGraph();

describe("review's rooms", () => {
  it("reads the whole tree", () => {
    expect([...graph.keys()]).toEqual(
      expect.arrayContaining([
        "commands/review.ts",
        "review/core/chain.ts",
        "review/sources/table.ts",
        "aws/cloudtrail.ts",
      ]),
    );
    expect(graph.get("review/sources/logs.ts")).toContain("review/logs/two-passes.ts");
  });

  it("no import goes against them", () => {
    expect(roomViolations(graph)).toEqual([]);
  });

  it.each([
    [
      ["review/core/chain.ts", ["review/render/text.ts"]],
      "review/core/chain.ts -> review/render/text.ts: review/core may not import review/render",
    ],
    [
      ["review/logs/log-file.ts", ["aws/s3-logs.ts"]],
      "review/logs/log-file.ts -> aws/s3-logs.ts: review/logs may not import aws",
    ],
    [["review/render/json.ts", ["cli/io.ts"]], "review/render/json.ts -> cli/io.ts: review/render may not import cli"],
    [
      ["review/helpers.ts", []],
      "review/helpers.ts: not in a room of review/ (core, render, logs, lookup, trail, sources)",
    ],
  ] as const)("catches a bad edge: %j", ([path, targets], violation) => {
    expect(roomViolations(new Map([[path, [...targets]]]))).toEqual([violation]);
  });
});

describe("sources: one interface, dispatched from the table", () => {
  const modules = readdirSync(join(ROOT, "review", "sources")).filter(
    (name) => name !== "source.ts" && name !== "table.ts",
  );

  it.each(modules)("%s exports one source, and it is a row of the table", async (name) => {
    const exported = Object.values(
      (await import(/* @vite-ignore */ pathToFileURL(join(ROOT, "review", "sources", name)).href)) as Record<
        string,
        unknown
      >,
    ).filter((value) => typeof value === "object" && value !== null && "review" in value);
    expect(exported).toHaveLength(1);
    const source = exported[0] as Record<string, unknown>;
    expect({
      name: typeof source.name,
      selector: source.selector === null ? null : typeof (source.selector as { flag?: unknown }).flag,
      flags: typeof source.flags,
      usage: typeof (source.usage as { options?: unknown }).options,
      parse: typeof source.parse,
      review: typeof source.review,
    }).toEqual({
      name: "string",
      selector: source.selector === null ? null : "string",
      flags: "object",
      usage: "string",
      parse: "function",
      review: "function",
    });
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
    expect(
      [...graph].filter(([, targets]) => targets.includes("review/sources/table.ts")).map(([path]) => path),
    ).toEqual(["commands/review.ts"]);
  });
});
