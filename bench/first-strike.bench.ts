/**
 * `npm run bench:first-strike`: how long the contain workflow's first strike takes
 * (`.github/scripts/first-strike.sh`, the AWS CLI's direct IAM calls), against moto behind the
 * service-specific credentials proxy, for a user with the exposed key, a second access key, an SSH
 * public key and a CodeCommit credential. Medians of BENCH_RUNS runs (default 5), each on a freshly
 * seeded user:
 *
 *   aws --version        the AWS CLI's own start, the floor under every call the script makes
 *   key Inactive         from the script's start to its first line (GetAccessKeyLastUsed, UpdateAccessKey)
 *   every credential     the whole script: the four listings at once, then each update
 *
 * The seeding uses the AWS CLI too (only aws/ imports the SDK). Everything stays on loopback: real
 * IAM adds its latency per call (tens of milliseconds from a GitHub-hosted runner).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureMoto, spawnMotoServer } from "../emulators/moto.ts";
import { startServiceCredentialsProxy } from "../emulators/service-credentials.ts";
import { median } from "./stats.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SCRIPT = resolve(import.meta.dirname, "..", ".github", "scripts", "first-strike.sh");
const SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDbench cordon-bench";

async function main(): Promise<void> {
  const moto = await spawnMotoServer(ensureMoto((line) => process.stderr.write(`${line}\n`)).command, false);
  const proxy = await startServiceCredentialsProxy(moto.endpoint);
  const home = mkdtempSync(join(tmpdir(), "cordon-bench-first-strike-"));
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    AWS_ENDPOINT_URL: proxy.url,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(home, "none"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "none"),
    AWS_PAGER: "",
  };
  // Asynchronous: the proxy answers from this process's event loop.
  const aws = (...args: string[]) =>
    new Promise<string>((ok, fail) => {
      const child = spawn("aws", [...args, "--output", "text"], { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      child.once("close", (status) =>
        status === 0 ? ok(out.trim()) : fail(new Error(`aws ${args.join(" ")}: ${err}`)),
      );
    });
  const starts: number[] = [];
  const firsts: number[] = [];
  const totals: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      let started = process.hrtime.bigint();
      await aws("--version");
      starts.push(Number(process.hrtime.bigint() - started) / 1e9);
      const user = `bench-${i}`;
      await aws("iam", "create-user", "--user-name", user);
      const key = await aws("iam", "create-access-key", "--user-name", user, "--query", "AccessKey.AccessKeyId");
      await aws("iam", "create-access-key", "--user-name", user, "--query", "AccessKey.AccessKeyId");
      await aws("iam", "upload-ssh-public-key", "--user-name", user, "--ssh-public-key-body", SSH_KEY);
      await aws(
        "iam",
        "create-service-specific-credential",
        "--user-name",
        user,
        "--service-name",
        "codecommit.amazonaws.com",
        "--query",
        "ServiceSpecificCredential.ServiceUserName",
      );
      started = process.hrtime.bigint();
      const child = spawn("bash", [SCRIPT], {
        cwd: home,
        env: { ...env, ACCESS_KEY: key },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      let first: number | undefined;
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (first === undefined && output.includes("Inactive at"))
          first = Number(process.hrtime.bigint() - started) / 1e9;
      });
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const status = await new Promise<number | null>((ok) => child.once("close", ok));
      if (status !== 0 || first === undefined || !output.includes(`4 credentials of user ${user} Inactive`))
        throw new Error(`first strike failed (${status}):\n${output}`);
      firsts.push(first);
      totals.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
  } finally {
    await proxy.close();
    await moto.stop();
    rmSync(home, { recursive: true, force: true });
  }
  const row = (what: string, values: number[]) =>
    `| ${what} | ${median(values).toFixed(2)} s | ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} s |`;
  const version = spawnSync("aws", ["--version"], { env, encoding: "utf8" });
  console.log(
    `first strike, ${RUNS} runs, ${(version.stdout || version.stderr).trim()}, load average ${(await import("node:os")).loadavg()[0].toFixed(1)}`,
  );
  console.log("| step | median | range |");
  console.log("| --- | --- | --- |");
  console.log(row("aws --version (the CLI's start)", starts));
  console.log(row("script start -> exposed key Inactive (2 calls)", firsts));
  console.log(row("script start -> 4 credentials Inactive (10 calls)", totals));
}

await main();
