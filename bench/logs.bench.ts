/**
 * `npm run bench:logs`: `review --from-logs` at scale (issue 12), side by side in one run with
 *  - the floor: one pass of Node's own gunzip and JSON.parse over the same files, on one thread
 *    (bench/logs-floor.ts), what any reader of these files in Node pays at least once;
 *  - the yardstick: DuckDB counting the reviewed key's events over the same files in one query,
 *    on every core (bench/logs-duckdb.ts).
 * On the dataset of bench/logs-dataset.ts (seeded; made once, then cached under
 * tmp/cache/bench-logs): 500,000 events in 200 files, then 2,000,000 in 800.
 *
 * Each run is a whole process, timed from outside, its peak memory by `/usr/bin/time -f %M`. The
 * three tools take turns (review, floor, DuckDB, review, ...) so that a machine that slows down
 * slows all three; medians are reported.
 *
 * Goals (issue 21): the review in at most DuckDB's time; its peak memory at 2,000,000 events at most
 * 1.2x the figure at 500,000, and under 400 MB.
 *
 * BENCH_LOGS_RUNS sets the runs of each tool at each size (default 3); BENCH_LOGS_SIZES the sizes
 * (default 500000,2000000); BENCH_LOGS_SEED the seed (default 1).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dataset, REVIEWED_KEY } from "./logs-dataset.ts";
import { fixed, median } from "./stats.ts";

const REPO = resolve(import.meta.dirname, "..");
const RUNS = Number(process.env.BENCH_LOGS_RUNS ?? 3);
const SIZES = (process.env.BENCH_LOGS_SIZES ?? "500000,2000000").split(",").map(Number);
const SEED = Number(process.env.BENCH_LOGS_SEED ?? 1);
const TIME = "/usr/bin/time";

interface Run {
  seconds: number;
  peakMB: number;
  stdout: string;
}

/** One whole process: wall time from outside, peak resident memory from GNU time. */
function measure(command: string[], keepOutput: boolean): Promise<Run> {
  const scratch = mkdtempSync(join(tmpdir(), "cordon-bench-logs-"));
  const peakFile = join(scratch, "peak");
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(TIME, ["-f", "%M", "-o", peakFile, ...command], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    // The review's JSON is megabytes: kept only when asked for, counted otherwise.
    child.stdout.on("data", (chunk: Buffer) => {
      if (keepOutput) stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      const peakMB = Number(readFileSync(peakFile, "utf8").trim().split("\n").pop()) / 1024;
      rmSync(scratch, { recursive: true, force: true });
      if (code !== 0) fail(new Error(`${command.join(" ")} exited ${code}: ${stderr}`));
      else done({ seconds, peakMB, stdout });
    });
  });
}

interface Tool {
  name: string;
  command: (dir: string) => string[];
  /** Checks the first run's output: every tool must have done the whole work. */
  check: (stdout: string, events: number, keyEvents: number) => void;
}

const node = process.execPath;
const tools: Tool[] = [
  {
    name: "cordon review --from-logs --json",
    command: (dir) => [node, "cli/cordon.js", "review", "--access-key", REVIEWED_KEY, "--from-logs", dir, "--json"],
    check: (stdout, _events, keyEvents) => {
      const review = JSON.parse(stdout) as { events: { accessKeyId: string | null }[]; keys: unknown[] };
      const own = review.events.filter((event) => event.accessKeyId === REVIEWED_KEY).length;
      if (own !== keyEvents || review.keys.length < 2)
        throw new Error(
          `the review found ${own} events of the key (expected ${keyEvents}) and ${review.keys.length} keys`,
        );
    },
  },
  {
    name: "floor: gunzip + JSON.parse, 1 thread",
    command: (dir) => [node, "bench/logs-floor.ts", dir],
    check: (stdout, events) => {
      if (Number(stdout) !== events) throw new Error(`the floor read ${stdout.trim()} records, expected ${events}`);
    },
  },
  {
    name: "DuckDB: count the key's events",
    command: (dir) => [node, "bench/logs-duckdb.ts", dir, REVIEWED_KEY],
    check: (stdout, _events, keyEvents) => {
      if (Number(stdout) !== keyEvents)
        throw new Error(`DuckDB counted ${stdout.trim()} events of the key, expected ${keyEvents}`);
    },
  },
];

interface Row {
  size: number;
  tool: string;
  seconds: number;
  peakMB: number;
}

const rows: Row[] = [];
for (const size of SIZES) {
  const data = dataset(REPO, join(REPO, "tmp", "cache", "bench-logs"), SEED, size, (line) => console.error(line));
  // The reviewed key's events, counted the way DuckDB counts them: records it signed.
  const first = await measure(tools[2].command(data.dir), true);
  const keyEvents = Number(first.stdout);
  console.error(
    `${fixed(data.events)} events in ${fixed(data.files)} files, ${fixed(data.jsonBytes / 1e6)} MB of JSON, ${fixed(keyEvents)} signed by the reviewed key`,
  );
  const runs = tools.map(() => [] as Run[]);
  for (let round = 0; round < RUNS; round++) {
    for (const [t, tool] of tools.entries()) {
      const run = await measure(tool.command(data.dir), round === 0);
      if (round === 0) tool.check(run.stdout, data.events, keyEvents);
      runs[t].push(run);
      console.error(`  ${fixed(size)} · ${tool.name}: ${fixed(run.seconds, 2)} s, ${fixed(run.peakMB)} MB`);
    }
  }
  for (const [t, tool] of tools.entries())
    rows.push({
      size,
      tool: tool.name,
      seconds: median(runs[t].map((run) => run.seconds)),
      peakMB: median(runs[t].map((run) => run.peakMB)),
    });
}

const lines = [
  `medians of ${RUNS} runs each, whole processes, ${fixed(SIZES.length)} sizes, seed ${SEED}`,
  "",
  "| events | | time | events/s | peak memory |",
  "|---:|---|---:|---:|---:|",
];
for (const row of rows)
  lines.push(
    `| ${fixed(row.size)} | ${row.tool} | ${fixed(row.seconds, 2)} s | ${fixed(row.size / row.seconds)} | ${fixed(row.peakMB)} MB |`,
  );
lines.push("");
const at = (size: number, tool: number) =>
  rows.find((row) => row.size === size && row.tool === tools[tool].name) as Row;
for (const size of SIZES)
  lines.push(
    `${fixed(size)} events: review / DuckDB time ${fixed(at(size, 0).seconds / at(size, 2).seconds, 2)} (goal at most 1) · review / floor time ${fixed(at(size, 0).seconds / at(size, 1).seconds, 2)}`,
  );
if (SIZES.length > 1) {
  const [small, large] = [SIZES[0], SIZES[SIZES.length - 1]];
  lines.push(
    `review peak memory at ${fixed(large)} / at ${fixed(small)}: ${fixed(at(large, 0).peakMB / at(small, 0).peakMB, 2)} (goal at most 1.2) · at ${fixed(large)}: ${fixed(at(large, 0).peakMB)} MB (goal under 400)`,
  );
}
console.log(lines.join("\n"));
