/**
 * `npm run bench:review`: how close `review` comes to what CloudTrail allows, side by side with the
 * AWS CLI v1 doing the same coverage, against the CloudTrail-compatible server on loopback.
 *
 * One key with 500 events in each of the 17 regions every account has: 10 pages per region. The
 * ceiling is LookupEvents' limit, 2 requests per second per region × 50 events per page × 17
 * regions = 1,700 events per second. The server enforces that limit exactly as the reader's tests
 * do (a sliding one-second window), so a client that asks faster is throttled and must retry.
 *
 * Then the held-out shape of issue 12.5: the whole `cordon review` process, start included,
 * against 17 regions × 1,000 events (20 pages per region), run REVIEW_BENCH_RUNS times: time,
 * share of the 1,700 events/s ceiling (goal ≥ 92 %) and share of requests throttled (goal ≤ 5 %),
 * with the machine's load average beside them (the server and the review share its cores).
 *
 * REVIEW_BENCH_RUNS sets the number of runs of each tool (default 3); medians are reported.
 * REVIEW_BENCH_PEER=none leaves the AWS CLI out (its runs take minutes).
 */
import { execFile, spawn } from "node:child_process";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { PAGE_SIZE } from "../aws/cloudtrail.ts";
import { ALWAYS_ENABLED_REGIONS } from "../review/core/regions.ts";
import { CloudTrailReader } from "../review/lookup/reader.ts";
import { followChain } from "../review/core/chain.ts";
import { LOOKUP_EVENTS_PER_SECOND } from "../review/lookup/limits.ts";
import { startCloudTrailServer, trailRecord, type CloudTrailServer } from "../emulators/cloudtrail-server.ts";
import { fixed, median } from "./stats.ts";

const run = promisify(execFile);
const KEY = "AKIAEXAMPLEBENCH0001";
const EVENTS_PER_REGION = 500;
const REGIONS = ALWAYS_ENABLED_REGIONS;
const RUNS = Number(process.env.REVIEW_BENCH_RUNS ?? 3);
const PEER = process.env.REVIEW_BENCH_PEER !== "none";
const PAGES = REGIONS.length * Math.ceil(EVENTS_PER_REGION / PAGE_SIZE);
const TOTAL = REGIONS.length * EVENTS_PER_REGION;
const CEILING = LOOKUP_EVENTS_PER_SECOND * PAGE_SIZE * REGIONS.length;
const HELD_OUT_EVENTS = 1000;
const HELD_OUT_KEY = "AKIAEXAMPLEBENCH0002";
const CLI = resolve(import.meta.dirname, "..", "cli", "cordon.js");

interface Result {
  seconds: number;
  events: number;
  requests: number;
  throttled: number;
  failedPages: number;
}

const eventsPerSecond = (result: Result) => result.events / result.seconds;

function seed(server: CloudTrailServer, key = KEY, perRegion = EVENTS_PER_REGION): void {
  const records = [];
  const start = Date.parse("2026-11-01T00:00:00Z");
  for (const region of REGIONS) {
    for (let i = 0; i < perRegion; i++) {
      records.push(
        trailRecord({
          eventId: `${key}-${region}-${i}`,
          eventName: "DescribeInstances",
          eventTime: new Date(start + i * 60_000).toISOString().replace(".000Z", "Z"),
          region,
          accessKeyId: key,
          readOnly: true,
        }),
      );
    }
  }
  server.seed(records);
}

/** The whole `cordon review` process, from spawn to exit, as a responder runs it. */
async function cordonProcess(server: CloudTrailServer): Promise<Result & { load: number }> {
  server.resetStats();
  const load = loadavg()[0];
  const started = performance.now();
  const args = [
    CLI,
    "review",
    "--access-key",
    HELD_OUT_KEY,
    "--regions",
    REGIONS.join(","),
    "--since",
    "2026-10-01T00:00:00Z",
    "--until",
    "2026-12-01T00:00:00Z",
  ];
  const code = await new Promise<number | null>((done) =>
    spawn(process.execPath, args, { env: process.env, stdio: "ignore" }).on("exit", done),
  );
  const seconds = (performance.now() - started) / 1000;
  const totals = server.totals();
  const events = REGIONS.length * HELD_OUT_EVENTS;
  return {
    seconds,
    events: code === 0 ? events : 0,
    requests: totals.requests,
    throttled: totals.throttled,
    failedPages: code === 0 ? 0 : REGIONS.length * (HELD_OUT_EVENTS / PAGE_SIZE),
    load,
  };
}

/** Lets the server's one-second windows empty, so that one run does not slow the next. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

async function cordon(server: CloudTrailServer): Promise<Result> {
  server.resetStats();
  const reader = new CloudTrailReader({ regions: REGIONS });
  const started = performance.now();
  const chain = await followChain(
    KEY,
    { start: Date.parse("2026-10-01T00:00:00Z"), end: Date.parse("2026-12-01T00:00:00Z") },
    reader.source,
  );
  const seconds = (performance.now() - started) / 1000;
  reader.close();
  for (const failure of reader.failures) console.error(`cordon: ${failure.region}: ${failure.reason}`);
  const totals = server.totals();
  return {
    seconds,
    events: chain.events.length,
    requests: totals.requests,
    throttled: totals.throttled,
    failedPages: PAGES - reader.stats.pages,
  };
}

/** Both tools find the server and dummy credentials the same way: the environment. */
function pointAt(server: CloudTrailServer): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: server.url,
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLEBENCHKEY1",
    AWS_SECRET_ACCESS_KEY: "bench-secret-not-checked",
    AWS_CONFIG_FILE: "/nonexistent/cordon-bench-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/cordon-bench-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

/** The AWS CLI v1, one region after the other, as a responder would loop over them. */
async function awsCli(server: CloudTrailServer): Promise<Result> {
  server.resetStats();
  const env = process.env;
  let events = 0;
  let failedPages = 0;
  const started = performance.now();
  for (const region of REGIONS) {
    const args = [
      "cloudtrail",
      "lookup-events",
      "--lookup-attributes",
      `AttributeKey=AccessKeyId,AttributeValue=${KEY}`,
      "--region",
      region,
      "--output",
      "json",
    ];
    try {
      const { stdout } = await run("aws", args, { env, maxBuffer: 1 << 28 });
      const found = (JSON.parse(stdout) as { Events: unknown[] }).Events.length;
      events += found;
      failedPages += Math.ceil((EVENTS_PER_REGION - found) / PAGE_SIZE);
    } catch {
      // The CLI prints a paginated result only once all pages came: a failure loses the region.
      failedPages += Math.ceil(EVENTS_PER_REGION / PAGE_SIZE);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const totals = server.totals();
  return { seconds, events, requests: totals.requests, throttled: totals.throttled, failedPages };
}

function navigatorCores(): number {
  return navigator.hardwareConcurrency;
}

function row(name: string, index: number, result: Result): string {
  return `${name.padEnd(8)} run ${index + 1}  ${fixed(eventsPerSecond(result)).padStart(6)} events/s  ${fixed(result.seconds, 1).padStart(6)} s  ${fixed(result.events).padStart(6)} events  ${fixed(result.requests).padStart(4)} requests  ${fixed(result.throttled).padStart(4)} throttled  ${result.failedPages} failed pages`;
}

async function main(): Promise<void> {
  const version = PEER ? (await run("aws", ["--version"])).stdout : "left out (REVIEW_BENCH_PEER=none)";
  const server = await startCloudTrailServer();
  seed(server);
  pointAt(server);
  console.log(
    `review benchmark: 1 key × ${fixed(EVENTS_PER_REGION)} events × ${REGIONS.length} regions = ${fixed(TOTAL)} events in ${PAGES} pages, ${RUNS} runs of each`,
  );
  console.log(
    `ceiling: ${LOOKUP_EVENTS_PER_SECOND} requests/s × ${PAGE_SIZE} events × ${REGIONS.length} regions = ${fixed(CEILING)} events/s`,
  );
  console.log(PEER ? `peer: ${version.trim()}, one region after the other\n` : `peer: ${version}\n`);

  const cordonResults: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    await settle();
    cordonResults.push(await cordon(server));
    console.log(row("cordon", i, cordonResults[i]));
  }
  const cliResults: Result[] = [];
  for (let i = 0; i < (PEER ? RUNS : 0); i++) {
    await settle();
    cliResults.push(await awsCli(server));
    console.log(row("aws-cli", i, cliResults[i]));
  }

  // The held-out shape: the CLI process, start included, 17 regions × 1,000 events.
  seed(server, HELD_OUT_KEY, HELD_OUT_EVENTS);
  console.log(
    `\nheld-out shape: cordon review as a process, start included, 1 key × ${fixed(HELD_OUT_EVENTS)} events × ${REGIONS.length} regions = ${fixed(REGIONS.length * HELD_OUT_EVENTS)} events in ${REGIONS.length * (HELD_OUT_EVENTS / PAGE_SIZE)} pages`,
  );
  const processResults: (Result & { load: number })[] = [];
  for (let i = 0; i < RUNS; i++) {
    await settle();
    const result = await cordonProcess(server);
    processResults.push(result);
    console.log(
      `${row("process", i, result)}  ${fixed((eventsPerSecond(result) / CEILING) * 100, 1)} % of the ceiling · ${fixed((result.throttled / result.requests) * 100, 1)} % throttled · load ${fixed(result.load, 2)}`,
    );
  }
  await server.close();

  const cordonRate = median(cordonResults.map(eventsPerSecond));
  const cliRate = median(cliResults.map(eventsPerSecond));
  const share = (cordonRate / CEILING) * 100;
  console.log("");
  console.log(
    `median cordon:  ${fixed(cordonRate)} events/s = ${fixed(share, 1)} % of the ceiling · ${fixed(median(cordonResults.map((r) => r.throttled)))} throttled · ${fixed(median(cordonResults.map((r) => r.failedPages)))} failed pages`,
  );
  if (PEER) {
    console.log(
      `median aws-cli: ${fixed(cliRate)} events/s = ${fixed((cliRate / CEILING) * 100, 1)} % of the ceiling · ${fixed(median(cliResults.map((r) => r.throttled)))} throttled (retried by the CLI) · ${fixed(median(cliResults.map((r) => r.failedPages)))} failed pages`,
    );
    console.log(`ratio cordon / aws-cli: ${fixed(cordonRate / cliRate, 1)}×`);
  }
  const processRate = median(processResults.map(eventsPerSecond));
  const processShare = (processRate / CEILING) * 100;
  const throttledShare = median(processResults.map((r) => (r.throttled / r.requests) * 100));
  console.log(
    `median process: ${fixed(median(processResults.map((r) => r.seconds)), 2)} s, start included = ${fixed(processShare, 1)} % of the ceiling (goal ≥ 92 %) · ${fixed(throttledShare, 1)} % of requests throttled (goal ≤ 5 %) · load average ${fixed(median(processResults.map((r) => r.load)), 2)} on ${navigatorCores()} cores`,
  );
  // Two requests of a region may leave together once a second: 10 pages take 4.5 windows, not 5,
  // so a share above 100 % in the in-process run is the fence-post, not a broken limit.
  const failed = [...cordonResults, ...processResults].some((r) => r.failedPages > 0 || r.events === 0);
  const below = [
    share < 90 ? `${fixed(share, 1)} % < 90 % of the ceiling in process` : "",
    processShare < 92 ? `${fixed(processShare, 1)} % < 92 % with start` : "",
    throttledShare > 5 ? `${fixed(throttledShare, 1)} % > 5 % throttled` : "",
  ].filter(Boolean);
  if (failed || below.length > 0) {
    console.log(`\nbelow target: ${failed ? "pages failed or events missing" : below.join("; ")}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`bench:review: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
