/**
 * When AWS answers but not with an answer (throttling, a fault of its own, an error page of a proxy
 * in front of it), assess, verify and doctor --aws say it in cordon's words: the command, the
 * action, what happened and what to do, exit 2; never the SDK's bare message or its internals.
 * Against a loopback endpoint that answers STS's GetCallerIdentity as AWS does and every other
 * call as the case says (moto neither throttles nor fails on demand).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { ACCOUNT, correctFiles } from "./support/doctor-repository.ts";

const IDENTITY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT}:user/responder</Arn><UserId>AIDAEXAMPLEEXAMPLE01</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
const queryError = (type: string, code: string, message: string) =>
  `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;

/** How the endpoint answers every call but GetCallerIdentity: status, content type, body. */
const ANSWERS = {
  throttled: [400, "text/xml", queryError("Sender", "Throttling", "Rate exceeded")],
  "a fault of AWS": [500, "text/xml", queryError("Receiver", "ServiceFailure", "Internal failure")],
  "a proxy's error page": [502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"],
  "a page that is not XML": [200, "text/html", "<html><body><p>sign in <br></p></body></html>"],
} as const satisfies Record<string, readonly [number, string, string]>;
type Answer = keyof typeof ANSWERS;

let server: Server;
let answer: Answer = "throttled";
const saved: Record<string, string | undefined> = {};
const ENV = {
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "testing-not-a-secret",
  AWS_REGION: "us-east-1",
  AWS_PROFILE: undefined,
  AWS_SESSION_TOKEN: undefined,
};

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      if (body.includes("Action=GetCallerIdentity")) {
        response.writeHead(200, { "content-type": "text/xml" }).end(IDENTITY);
        return;
      }
      const [status, type, text] = ANSWERS[answer];
      response.writeHead(status, { "content-type": type }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const values = { ...ENV, AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  for (const [key, value] of Object.entries(values)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** What each answer makes of a call of `action`, after the prefix `cordon COMMAND: `. */
function said(kind: Answer, action: string): string {
  switch (kind) {
    case "throttled":
      return `AWS throttled ${action} (Throttling, HTTP 400: Rate exceeded), 3 attempts: other callers are using the account's request rate; wait a minute and run again`;
    case "a fault of AWS":
      return `AWS failed to answer ${action} (ServiceFailureException, HTTP 500: Internal failure), 3 attempts: a fault on AWS's side (or the endpoint's); run again in a few minutes, and see https://health.aws.amazon.com/health/status if it lasts`;
    case "a proxy's error page":
      return `calling ${action}: HTTP 502, with an answer that is not an AWS error (an error page of a proxy or load balancer in front of the service), 3 attempts: check AWS_ENDPOINT_URL and the proxy settings (HTTPS_PROXY), then run again`;
    case "a page that is not XML":
      return `calling ${action}: HTTP 200, with an answer that is not an AWS error (an error page of a proxy or load balancer in front of the service): check AWS_ENDPOINT_URL and the proxy settings (HTTPS_PROXY), then run again`;
  }
}

const KINDS = Object.keys(ANSWERS) as Answer[];

describe("assess and verify, when AWS answers with no answer", () => {
  it.each(KINDS)("assess: %s", async (kind) => {
    answer = kind;
    const io = memoryIo();
    const code = await main(["assess", "--user", "ci-deployer"], io);
    expect(io.stderr).toBe(`cordon assess: ${said(kind, "iam:GetUser")}\n`);
    expect(io.stdout).toBe("");
    expect(code).toBe(2);
  });

  it.each(KINDS)("verify: %s", async (kind) => {
    answer = kind;
    const io = memoryIo();
    const code = await main(["verify", "examples/incidents", "--now", "2026-11-28T12:00:00Z"], io);
    expect(io.stderr).toBe(`cordon verify: ${said(kind, "iam:GetRole")}\n`);
    expect(code).toBe(2);
  });
});

describe("doctor --aws, when AWS answers with no answer", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it.each(KINDS)("%s: the offline checklist, and the account as not checked, exit 2", async (kind) => {
    answer = kind;
    dir = mkdtempSync(join(tmpdir(), "cordon-doctor-aws-"));
    for (const [path, text] of Object.entries(correctFiles())) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const io = memoryIo({ cwd: dir });
    const code = await main(
      ["doctor", "--aws", "--repository", "example-org/cordon-incidents", "--now", "2026-11-28T12:00:00Z"],
      io,
    );
    expect(io.stdout.split("\n")).toEqual([
      "✓ project name: Pulumi.yaml and the workflows' PULUMI_PROJECT (acme/cordon) name the project cordon",
      "✓ stack files: prod-123456789012, prod-999999999999: each sets its cordon:account",
      "✓ CODEOWNERS: .github/CODEOWNERS: default owner @acme/security",
      "✓ workflows' environments and secrets: 3 workflows: each write secret only in a job of its environment (cordon-apply, cordon-contain)",
      `✗ --aws: the account was not checked: ${said(kind, "iam:GetRole")}`,
      "",
      "1 gap: run each fix, then npx cordon doctor again",
      "",
    ]);
    expect(io.stderr).toBe("cordon doctor: AWS could not be asked: the checklist is the offline part only\n");
    expect(code).toBe(2);
  });
});
