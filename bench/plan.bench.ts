/**
 * `npm run bench`: generates 1,000 incident files and times validate + plan over them.
 * Target: under 2 s on a 2-core machine. Reported as medians of several runs, for the library path
 * (read, validate, plan in one process) and for the whole CLI as a user runs it (process start included).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIncidentPaths } from "../incident/read.ts";
import { buildPlan } from "../plan/plan.ts";
import { median } from "./stats.ts";

const FILES = Number(process.env.BENCH_FILES ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const NOW = new Date("2026-11-28T12:00:00Z");

function incidentText(i: number): string {
  const id = `2026-11-${String(1 + (i % 28)).padStart(2, "0")}-bench-${i}`;
  const key = `AKIA${i.toString(36).toUpperCase().padStart(16, "0")}`;
  const cutoff =
    i % 5 === 0
      ? "at-containment"
      : new Date(NOW.getTime() - (i % 72) * 3_600_000).toISOString().replace(/\.000Z$/, "Z");
  return [
    "# yaml-language-server: $schema=../../schema/incident.schema.json",
    `id: ${id}`,
    `title: Benchmark incident ${i}`,
    `account: "${String(100000000000 + (i % 3))}"`,
    `cutoff: ${cutoff}`,
    `mode: ${i % 7 === 0 ? "deny-all" : "revoke-older-sessions"}`,
    "users:",
    `  - name: user-${i}`,
    `    accessKeys: [${key}]`,
    // Shared principals: many incidents name the same role, so the plan merges them.
    `  - name: shared-user-${i % 50}`,
    "roles:",
    `  - name: role-${i % 100}`,
    "replacementRoles:",
    `  - name: replacement-${i}`,
    "    trust:",
    `      githubOidc: { repository: example/app-${i}, ref: refs/heads/main }`,
    '    managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]',
    `ticket: SEC-${i}`,
    "",
  ].join("\n");
}

const dir = mkdtempSync(join(tmpdir(), "cordon-bench-"));
try {
  for (let i = 0; i < FILES; i++) {
    const text = incidentText(i);
    const id = /^id: (.+)$/m.exec(text)![1];
    writeFileSync(join(dir, `${id}.yaml`), text);
  }

  const library: number[] = [];
  let summary = "";
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    const loaded = loadIncidentPaths([dir], process.cwd(), NOW);
    if (loaded.errors.length > 0)
      throw new Error(`generated files are invalid: ${JSON.stringify(loaded.errors.slice(0, 3))}`);
    const plan = buildPlan(loaded.incidents);
    library.push(Number(process.hrtime.bigint() - start) / 1e6);
    summary = `${plan.incidents.length} incidents -> ${plan.denyPolicies.length} deny policies, ${plan.accessKeys.length} keys, ${plan.replacementRoles.length} replacement roles`;
  }

  const cli: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ["cli/cordon.js", "plan", dir, "--json", "--now", NOW.toISOString()], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    });
    cli.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) throw new Error(`cordon plan failed: ${result.stderr}`);
  }

  const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  console.log(`validate + plan, ${FILES} files (${summary}), ${RUNS} runs`);
  console.log(
    `  in process (read + validate + plan): median ${fmt(median(library))}  min ${fmt(Math.min(...library))}  max ${fmt(Math.max(...library))}`,
  );
  console.log(
    `  whole CLI (cordon plan --json, process start included): median ${fmt(median(cli))}  min ${fmt(Math.min(...cli))}  max ${fmt(Math.max(...cli))}`,
  );
  console.log(`  target: under 2 s -> ${median(cli) < 2000 ? "met" : "NOT met"}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
