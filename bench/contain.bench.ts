/**
 * `npm run bench:contain`: how long cordon's own commands take on the contain path (the contain
 * workflow, docs/contain.md), each run as the workflow runs it: a new process (`node
 * cli/cordon.js ...`, what `npx cordon` starts), medians of BENCH_RUNS runs (default 7).
 *
 *   new --access-key   against moto_server (IAM's GetAccessKeyLastUsed, STS's GetCallerIdentity)
 *   guard --additive   on a real temporary git repository: main, and the commit that adds the file
 *   plan --json        the "already declared?" check, on that repository
 *   validate, plan     the file, as pulumi up's first step and the report do
 *   verify             against moto as pulumi up leaves IAM (deny attached, key Inactive); moto lacks
 *                      SimulatePrincipalPolicy, so a loopback stand-in answers that one call as IAM
 *                      would for this policy (explicit deny before the cutoff, allowed after)
 *
 * Everything stays on loopback. Real IAM adds its network latency per call (tens of milliseconds
 * from a GitHub-hosted runner): `new` makes 2 calls, `verify` about 10 for one user.
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadIncidentPaths } from "../incident/read.ts";
import { buildPlan } from "../plan/plan.ts";
import { fillContainment } from "../plan/policies.ts";
import { ensureMoto, spawnMotoServer, type MotoProcess } from "../emulators/moto.ts";
import { median } from "./stats.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const REPO = resolve(import.meta.dirname, "..");
const CLI = join(REPO, "cli", "cordon.js");
const ACCOUNT = "123456789012";
const CONTAINED_AT = "2026-11-28T02:13:40Z";

/**
 * Wall time of one `node cli/cordon.js ...` process, which must exit with `expected`. Asynchronous:
 * the simulator stand-in answers from this process's event loop while verify runs.
 */
function time(args: string[], cwd: string, env: Record<string, string>, expected = 0): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, ...env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((ok, fail) => {
    child.once("close", (status) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (status !== expected) fail(new Error(`cordon ${args.join(" ")} exited ${status}:\n${output}`));
      else ok(seconds);
    });
  });
}

/**
 * Seeds moto's IAM through its Query API (moto checks no signature; the credential scope names the
 * service). Only aws/ imports the AWS SDK; the bench needs six calls of it. Returns the XML answer.
 */
async function seedIam(endpoint: string, action: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization:
        "AWS4-HMAC-SHA256 Credential=testing/20261128/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=bench",
    },
    body: new URLSearchParams({ Action: action, Version: "2010-05-08", ...params }).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`IAM ${action}: ${response.status} ${text}`);
  return text;
}

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "bench",
      GIT_AUTHOR_EMAIL: "bench@example.com",
      GIT_COMMITTER_NAME: "bench",
      GIT_COMMITTER_EMAIL: "bench@example.com",
    },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

async function startMoto(): Promise<MotoProcess> {
  return spawnMotoServer(ensureMoto((line) => process.stderr.write(`${line}\n`)).command, false);
}

/**
 * moto_server behind a loopback stand-in for the one call moto lacks: SimulatePrincipalPolicy,
 * answered as IAM answers it for a principal whose only deny is cordon's (`denyPolicy`, with the
 * cutoff `cutoff`) and who is otherwise allowed everything (the inline policy `admin`).
 */
async function simulatorInFront(
  moto: string,
  denyPolicy: string,
  cutoff: string,
): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const body = Buffer.concat(chunks).toString();
      const form = new URLSearchParams(body);
      if (form.get("Action") === "SimulatePrincipalPolicy") {
        const issued =
          [...form.entries()].find(([key]) =>
            /^ContextEntries\.member\.\d+\.ContextKeyValues\.member\.1$/.test(key),
          )?.[1] ?? "";
        const denied = Date.parse(issued) < Date.parse(cutoff);
        const actions = [...form.entries()]
          .filter(([key]) => key.startsWith("ActionNames.member."))
          .map(([, value]) => value);
        const results = actions
          .map(
            (action) =>
              `<member><EvalActionName>${action}</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>${denied ? "explicitDeny" : "allowed"}</EvalDecision>` +
              `<MatchedStatements><member><SourcePolicyId>${denied ? denyPolicy : "admin"}</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType></member></MatchedStatements></member>`,
          )
          .join("");
        response.writeHead(200, { "content-type": "text/xml" });
        response.end(
          `<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>${results}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`,
        );
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => name !== "host" && name !== "content-length") as [
          string,
          string,
        ][],
      );
      const forwarded = await fetch(`${moto}${request.url}`, {
        method: request.method,
        headers,
        body: request.method === "GET" ? undefined : body,
      });
      response.writeHead(forwarded.status, Object.fromEntries(forwarded.headers.entries()));
      response.end(Buffer.from(await forwarded.arrayBuffer()));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { endpoint: `http://127.0.0.1:${address.port}`, server };
}

const moto = await startMoto();
const work = mkdtempSync(join(tmpdir(), "cordon-bench-contain-"));
let front: Server | undefined;
try {
  const env = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  await seedIam(moto.endpoint, "CreateUser", { UserName: "ci-deployer" });
  await seedIam(moto.endpoint, "PutUserPolicy", {
    UserName: "ci-deployer",
    PolicyName: "admin",
    PolicyDocument: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    }),
  });
  // Only the key id is read from the answer; the secret moto makes up is never looked at.
  const key = /<AccessKeyId>(AKIA[A-Z0-9]{16})<\/AccessKeyId>/.exec(
    await seedIam(moto.endpoint, "CreateAccessKey", { UserName: "ci-deployer" }),
  )![1];

  // The repository as the contain job checks it out: main with the project file, incidents/ and the schema.
  git(work, "init", "-q", "-b", "main");
  writeFileSync(join(work, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  mkdirSync(join(work, "incidents"));
  mkdirSync(join(work, "schema"));
  writeFileSync(join(work, "incidents", "README.md"), "# incidents/\n");
  writeFileSync(join(work, "schema", "incident.schema.json"), "{}\n");
  git(work, "add", "-A");
  git(work, "commit", "-qm", "main");

  const additive = spawnSync(process.execPath, [CLI, "guard", "--help"], { encoding: "utf8" }).stdout.includes(
    "--additive",
  );
  const guardArgs = ["guard", "--base", "HEAD~1", "--head", "HEAD", ...(additive ? ["--additive"] : [])];
  const steps: Record<string, number[]> = {};
  const record = (label: string, seconds: number) => (steps[label] ??= []).push(seconds);
  // The id new gives the workflow's default title.
  const id = `2026-11-28-exposed-access-key-${key.toLowerCase()}`;
  const file = `incidents/${id}.yaml`;
  // What the contain workflow runs.
  const contain = [
    "new",
    `--access-key=${key}`,
    "--cutoff=at-containment",
    `--title=Exposed access key ${key}`,
    "--now",
    "2026-11-28T02:11:30Z",
  ];

  for (let run = 0; run <= RUNS; run++) {
    // Run 0 warms the file caches and is not counted.
    const count = run > 0 ? record : () => {};
    count("plan --json (already declared?)", await time(["plan", "--json"], work, env));
    count("new --access-key (moto)", await time([...contain, "--ticket=SEC-1"], work, env));
    git(work, "add", "-A");
    git(work, "commit", "-qm", "contain");
    count(`guard${additive ? " --additive" : ""} (git)`, await time(guardArgs, work, env));
    count("validate", await time(["validate", "--now", "2026-11-28T02:12:00Z"], work, env));
    count("plan (the file)", await time(["plan", file, "--now", "2026-11-28T02:12:00Z"], work, env));
    git(work, "reset", "-q", "--hard", "HEAD~1");
  }

  // verify after pulumi up: the deny attached with the recorded instant, the key Inactive.
  git(work, "reset", "-q", "--hard", "HEAD");
  await time(contain, work, env);
  const loaded = loadIncidentPaths([file], work, new Date("2026-11-28T02:12:00Z"));
  const [deny] = buildPlan(loaded.incidents, {}).denyPolicies;
  const created = await seedIam(moto.endpoint, "CreatePolicy", {
    PolicyName: deny.policyName,
    Path: "/cordon/",
    PolicyDocument: JSON.stringify(fillContainment(deny.document, { [id]: CONTAINED_AT })),
  });
  await seedIam(moto.endpoint, "AttachUserPolicy", {
    UserName: "ci-deployer",
    PolicyArn: /<Arn>([^<]+)<\/Arn>/.exec(created)![1],
  });
  await seedIam(moto.endpoint, "UpdateAccessKey", { UserName: "ci-deployer", AccessKeyId: key, Status: "Inactive" });
  const outputs = join(work, "outputs.json");
  writeFileSync(
    outputs,
    JSON.stringify({
      account: ACCOUNT,
      incidents: {
        [id]: {
          cutoff: CONTAINED_AT,
          atContainment: true,
          expiresAt: "2026-11-29T14:13:40Z",
          mode: "revoke-older-sessions",
          principals: [{ type: "user", name: "ci-deployer" }],
          accessKeys: [key],
          goneAccessKeys: [],
        },
      },
      replacementRoles: [],
      rolesWithManagedDeny: [],
    }),
  );
  const simulator = await simulatorInFront(moto.endpoint, deny.policyName, CONTAINED_AT);
  front = simulator.server;
  const verifyEnv = { ...env, AWS_ENDPOINT_URL: simulator.endpoint };
  for (let run = 0; run <= RUNS; run++) {
    const seconds = await time(
      ["verify", "--stack-outputs", outputs, "--now", "2026-11-28T02:14:00Z"],
      work,
      verifyEnv,
    );
    if (run > 0) record("verify (moto)", seconds);
  }

  const rows = Object.entries(steps).map(([label, values]) => ({
    label,
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
  }));
  const width = Math.max(...rows.map((r) => r.label.length));
  console.log(
    `cordon's commands on the contain path: median of ${RUNS} runs each, one process per run (node ${process.version}, ${process.platform}/${process.arch})`,
  );
  for (const row of rows)
    console.log(
      `  ${row.label.padEnd(width)}  ${row.median.toFixed(2)} s  (min ${row.min.toFixed(2)}, max ${row.max.toFixed(2)})`,
    );
  // The contain job runs plan --json, new and guard (a second guard only after a rebase); the
  // up job runs validate; the report runs plan and verify.
  const onPath = [
    "plan --json (already declared?)",
    "new --access-key (moto)",
    `guard${additive ? " --additive" : ""} (git)`,
    "validate",
  ];
  const total = onPath.reduce((sum, label) => sum + median(steps[label]), 0);
  console.log(
    `  ${"before the key is disabled".padEnd(width)}  ${total.toFixed(2)} s  (plan --json, new, guard, validate)`,
  );
  const all = rows.reduce((sum, row) => sum + row.median, 0);
  console.log(`  ${"all of them".padEnd(width)}  ${all.toFixed(2)} s`);
  if (!additive) console.log("  (guard has no --additive here yet: timed without it)");
} finally {
  front?.close();
  await moto.stop();
  rmSync(work, { recursive: true, force: true });
}
