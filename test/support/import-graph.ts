/**
 * The import graph of the source tree, read with TypeScript's own pre-processor (imports, re-exports
 * and dynamic imports alike), and the circles in it: what the architecture tests judge.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import ts from "typescript";

const ROOT = join(import.meta.dirname, "..", "..");

/** Every source file of the tree (tests and what npm installs aside), with the files it imports. */
export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (entry.name.startsWith(".") || ["node_modules", "test", "tmp"].includes(entry.name)) continue;
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|js|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        const imported = ts
          .preProcessFile(readFileSync(join(ROOT, path), "utf8"), true, true)
          .importedFiles.map((file) => file.fileName);
        graph.set(
          path,
          imported
            .filter((specifier) => specifier.startsWith("."))
            .map((specifier) =>
              normalize(join(dirname(path), specifier))
                .split("\\")
                .join("/"),
            ),
        );
      }
    }
  };
  walk("");
  return graph;
}

/** Files that import each other in a circle, each circle as its files sorted (Tarjan's strongly connected components, without recursion). */
export function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
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
        } else if (onStack.has(target))
          low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(target) as number));
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
