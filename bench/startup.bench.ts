/**
 * `npm run bench:startup`: how long `cordon --help` takes to start, the ways a user starts it,
 * side by side in one run. The commands run in turn (A B C D A B C D ...), so a machine that
 * slows down during the run slows them all alike; medians are reported, with each one's ratio
 * to `npx cordon --help`.
 *
 * The floor is npx itself: a package whose bin does nothing, linked the way cordon's is and
 * started through npx. No `cordon` start through npx can be faster than that.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { median } from "./stats.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const REPO = resolve(import.meta.dirname, "..");

/** A project whose bin `floor` exits at once, linked through a file: dependency as cordon's is. */
function floorProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "cordon-startup-"));
  mkdirSync(join(dir, "floor"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "floor-project", private: true, type: "module", dependencies: { floor: "file:floor" } }),
  );
  writeFileSync(
    join(dir, "floor", "package.json"),
    JSON.stringify({ name: "floor", version: "1.0.0", type: "module", bin: { floor: "floor.js" } }),
  );
  writeFileSync(join(dir, "floor", "floor.js"), "#!/usr/bin/env node\n");
  const installed = spawnSync("npm", ["install", "--offline", "--no-audit", "--no-fund"], {
    cwd: dir,
    encoding: "utf8",
  });
  if (installed.status !== 0) throw new Error(`npm install of the floor project failed: ${installed.stderr}`);
  return dir;
}

interface Case {
  label: string;
  command: string;
  args: string[];
  cwd: string;
}

function time(run: Case): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(run.command, run.args, { cwd: run.cwd, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${run.label} exited ${result.status}: ${result.stderr}`);
  return seconds;
}

const floor = floorProject();
try {
  const cases: Case[] = [
    { label: "npx cordon --help", command: "npx", args: ["cordon", "--help"], cwd: REPO },
    {
      label: "npm run --silent cordon -- --help",
      command: "npm",
      args: ["run", "--silent", "cordon", "--", "--help"],
      cwd: REPO,
    },
    {
      label: "node_modules/.bin/cordon --help",
      command: join(REPO, "node_modules", ".bin", "cordon"),
      args: ["--help"],
      cwd: REPO,
    },
    { label: "npx floor (an empty bin: npx alone)", command: "npx", args: ["floor"], cwd: floor },
  ];
  const times = new Map(cases.map((c) => [c.label, [] as number[]]));
  for (const c of cases) time(c); // warm-up: file caches, npm's compile cache
  for (let i = 0; i < RUNS; i++) for (const c of cases) times.get(c.label)!.push(time(c));

  const base = median(times.get(cases[0].label)!);
  console.log(
    `cordon startup, ${RUNS} runs each, interleaved; Node.js ${process.versions.node}, npm ${spawnSync("npm", ["--version"], { encoding: "utf8" }).stdout.trim()}`,
  );
  console.log("");
  console.log(`| command | median | min | max | ratio to npx cordon |`);
  console.log(`|---|---|---|---|---|`);
  for (const c of cases) {
    const values = times.get(c.label)!;
    console.log(
      `| \`${c.label}\` | ${median(values).toFixed(3)} s | ${Math.min(...values).toFixed(3)} s | ${Math.max(...values).toFixed(3)} s | ${(median(values) / base).toFixed(2)} |`,
    );
  }
} finally {
  rmSync(floor, { recursive: true, force: true });
}
