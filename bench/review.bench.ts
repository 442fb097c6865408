/**
 * `npm run bench:review`: how close `review` comes to what CloudTrail allows, side by side with the
 * AWS CLI v1 doing the same coverage, against the CloudTrail-compatible server on loopback.
 *
 * One key with 500 events in each of the 17 regions every account has: 10 pages per region. The
 * ceiling is LookupEvents' limit, 2 requests per second per region × 50 events per page × 17
 * regions = 1,700 events per second. The server enforces that limit exactly as the reader's tests
 * do (a sliding one-second window), so a client that asks faster is throttled and must retry.
 *
 * REVIEW_BENCH_RUNS sets the number of runs of each tool (default 3); medians are reported.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { CloudTrailReader, ALWAYS_ENABLED_REGIONS, PAGE_SIZE } from "../aws/cloudtrail.ts";
import { followChain } from "../review/chain.ts";
import { LOOKUP_EVENTS_PER_SECOND } from "../review/pacer.ts";
import { startCloudTrailServer, trailRecord, type CloudTrailServer } from "../emulators/cloudtrail-server.ts";

const run = promisify(execFile);
const KEY = "AKIAEXAMPLEBENCH0001";
const EVENTS_PER_REGION = 500;
const REGIONS = ALWAYS_ENABLED_REGIONS;
const RUNS = Number(process.env.REVIEW_BENCH_RUNS ?? 3);
const PAGES = REGIONS.length * Math.ceil(EVENTS_PER_REGION / PAGE_SIZE);
const TOTAL = REGIONS.length * EVENTS_PER_REGION;
const CEILING = LOOKUP_EVENTS_PER_SECOND * PAGE_SIZE * REGIONS.length;

interface Result {
  seconds: number;
  events: number;
  requests: number;
  throttled: number;
  failedPages: number;
}

const eventsPerSecond = (result: Result) => result.events / result.seconds;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const fixed = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function seed(server: CloudTrailServer): void {
  const records = [];
  const start = Date.parse("2026-11-01T00:00:00Z");
  for (const region of REGIONS) {
    for (let i = 0; i < EVENTS_PER_REGION; i++) {
      records.push(trailRecord({ eventId: `${region}-${i}`, eventName: "DescribeInstances", eventTime: new Date(start + i * 60_000).toISOString().replace(".000Z", "Z"), region, accessKeyId: KEY, readOnly: true }));
    }
  }
  server.seed(records);
}

/** Lets the server's one-second windows empty, so that one run does not slow the next. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

async function cordon(server: CloudTrailServer): Promise<Result> {
  server.resetStats();
  const reader = new CloudTrailReader({ regions: REGIONS });
  const started = performance.now();
  const chain = await followChain(KEY, { start: Date.parse("2026-10-01T00:00:00Z"), end: Date.parse("2026-12-01T00:00:00Z") }, reader.source);
  const seconds = (performance.now() - started) / 1000;
  reader.close();
  for (const failure of reader.failures) console.error(`cordon: ${failure.region}: ${failure.reason}`);
  const totals = server.totals();
  return { seconds, events: chain.events.length, requests: totals.requests, throttled: totals.throttled, failedPages: PAGES - reader.stats.pages };
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
    const args = ["cloudtrail", "lookup-events", "--lookup-attributes", `AttributeKey=AccessKeyId,AttributeValue=${KEY}`, "--region", region, "--output", "json"];
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

function row(name: string, index: number, result: Result): string {
  return `${name.padEnd(8)} run ${index + 1}  ${fixed(eventsPerSecond(result)).padStart(6)} events/s  ${fixed(result.seconds, 1).padStart(6)} s  ${fixed(result.events).padStart(6)} events  ${fixed(result.requests).padStart(4)} requests  ${fixed(result.throttled).padStart(4)} throttled  ${result.failedPages} failed pages`;
}

async function main(): Promise<void> {
  const { stdout: version } = await run("aws", ["--version"]);
  const server = await startCloudTrailServer();
  seed(server);
  pointAt(server);
  console.log(`review benchmark: 1 key × ${fixed(EVENTS_PER_REGION)} events × ${REGIONS.length} regions = ${fixed(TOTAL)} events in ${PAGES} pages, ${RUNS} runs of each`);
  console.log(`ceiling: ${LOOKUP_EVENTS_PER_SECOND} requests/s × ${PAGE_SIZE} events × ${REGIONS.length} regions = ${fixed(CEILING)} events/s`);
  console.log(`peer: ${version.trim()}, one region after the other\n`);

  const cordonResults: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    await settle();
    cordonResults.push(await cordon(server));
    console.log(row("cordon", i, cordonResults[i]));
  }
  const cliResults: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    await settle();
    cliResults.push(await awsCli(server));
    console.log(row("aws-cli", i, cliResults[i]));
  }
  await server.close();

  const cordonRate = median(cordonResults.map(eventsPerSecond));
  const cliRate = median(cliResults.map(eventsPerSecond));
  const share = (cordonRate / CEILING) * 100;
  console.log("");
  console.log(`median cordon:  ${fixed(cordonRate)} events/s = ${fixed(share, 1)} % of the ceiling · ${fixed(median(cordonResults.map((r) => r.throttled)))} throttled · ${fixed(median(cordonResults.map((r) => r.failedPages)))} failed pages`);
  console.log(`median aws-cli: ${fixed(cliRate)} events/s = ${fixed((cliRate / CEILING) * 100, 1)} % of the ceiling · ${fixed(median(cliResults.map((r) => r.throttled)))} throttled (retried by the CLI) · ${fixed(median(cliResults.map((r) => r.failedPages)))} failed pages`);
  console.log(`ratio cordon / aws-cli: ${fixed(cordonRate / cliRate, 1)}×`);
  // cordon's requests in one region start 525 ms apart, so 10 pages take 4.7 s, not 5: a few
  // percent above the ceiling's per-second arithmetic is the fence-post, not a broken limit.
  const failed = cordonResults.some((r) => r.failedPages > 0 || r.events !== TOTAL);
  if (failed || share < 90) {
    console.log(`\nbelow target: ${failed ? "pages failed or events missing" : `${fixed(share, 1)} % < 90 % of the ceiling`}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`bench:review: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
