/**
 * A principal the files respell keeps its deny: through the engine stand-in (Pulumi's own cmd/run,
 * each step applied to moto), an expired incident spelling a role or user one way is removed and
 * a new one spelling it another way is added, and one `pulumi up` applies both. IAM ignores case
 * in names; Pulumi's resource names do not, so a deny named after the new spelling would be
 * created (the same IAM policy, written again) and the old one deleted (that very policy). The
 * program keeps the spelling its stack's state has. moto's IAM minds case where IAM does not: a
 * small proxy in front of it folds the user and role names of every request, as IAM would.
 */
import { writeFileSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import type { Account } from "./support/aws-accounts.ts";
import { engineSuite, runEngine, stepLines, type EngineRun } from "./support/engine.ts";
import { decide } from "./support/iam-evaluator.ts";
import type { Moto } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const STACK = `prod-${ACCOUNT}`;
const OLD = "2026-11-20-first";
const NEW = "2026-12-01-second";
const OLD_CUTOFF = "2026-11-20T09:30:00Z";
const NEW_CUTOFF = "2026-12-01T09:30:00Z";
const ALLOW_ALL = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
});

const suite = engineSuite("cordon-engine-respell-");
let moto: Moto;
let dir: string;
let account: Account;

/** IAM's case-insensitive names, in front of moto: every user and role name a request gives, in lower case. */
let proxy: Server;
let proxyUrl = "";
beforeAll(async () => {
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.from(
        Buffer.concat(chunks)
          .toString("utf8")
          .replace(
            /\b(RoleName|UserName)=([^&]*)/g,
            (_, field: string, value: string) => `${field}=${value.toLowerCase()}`,
          ),
      );
      const forwarded = request(
        new URL(req.url ?? "/", moto.endpoint),
        { method: req.method, headers: { ...req.headers, "content-length": String(body.length) } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.end(body);
    });
  });
  await new Promise<void>((listening) => proxy.listen(0, "127.0.0.1", listening));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(() => proxy.close());
beforeEach(async () => {
  ({ moto, account, dir } = await suite.fresh());
});

const fileOf = (id: string) => join(dir, "incidents", `${id}.yaml`);
function incident(id: string, cutoff: string, mode: string, principal: string[]): void {
  writeFileSync(
    fileOf(id),
    [`id: ${id}`, "title: t", `account: "${ACCOUNT}"`, `cutoff: ${cutoff}`, `mode: ${mode}`, ...principal, ""].join(
      "\n",
    ),
  );
}
/** As the workflows run it: `pulumi up --refresh`, IAM's case-insensitive names in front of moto. */
function up(): Promise<EngineRun> {
  return runEngine("up", {
    moto: { ...moto, env: { ...moto.env, AWS_ENDPOINT_URL: proxyUrl } },
    stack: STACK,
    state: join(dir, "state", `${STACK}.json`),
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": join(dir, "incidents") },
    refresh: true,
  });
}
/** The expired incident spelling the principal one way goes, the new one spelling it another comes: one change. */
function respell(principal: string[]): void {
  rmSync(fileOf(OLD));
  incident(NEW, NEW_CUTOFF, "deny-all", principal);
}
/** What IAM decides for a session of the principal issued at `issued`. */
async function sessionOf(type: "user" | "role", name: string, issued: string): Promise<string> {
  return decide(await account.policiesOf(type, name), {
    principal: `arn:aws:iam::${ACCOUNT}:${type}/${name}`,
    action: "s3:GetObject",
    resource: "arn:aws:s3:::data/report.csv",
    account: ACCOUNT,
    context: { "aws:TokenIssueTime": issued, "aws:PrincipalType": type === "user" ? "User" : "AssumedRole" },
  });
}
/** The steps of the components that name a principal, and of what they declare. */
const principalSteps = (run: EngineRun) =>
  stepLines(run).filter((line) => / (cordon:iam:SessionRevocation|cordon:iam:DisabledAccessKey|aws:iam\/)/.test(line));

it("a role spelled Deploy, then deploy by a new incident in the same change: its deny is updated in place, never deleted", async () => {
  await account.iam.send(
    new CreateRoleCommand({
      RoleName: "deploy",
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }],
      }),
    }),
  );
  await account.iam.send(
    new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "work", PolicyDocument: ALLOW_ALL }),
  );
  incident(OLD, OLD_CUTOFF, "revoke-older-sessions", ["roles:", "  - name: Deploy"]);
  const first = await up();
  expect([first.status, first.errors]).toEqual([0, []]);
  expect(principalSteps(first)).toEqual([
    `create cordon:iam:SessionRevocation ${ACCOUNT}-role-Deploy`,
    `create aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-Deploy`,
  ]);
  expect(await sessionOf("role", "deploy", "2026-11-20T09:00:00Z")).toBe("ExplicitlyDenied");
  expect(await sessionOf("role", "deploy", "2026-11-25T09:00:00Z")).toBe("Allowed");

  respell(["roles:", "  - name: deploy"]);
  const second = await up();
  expect([second.status, second.errors]).toEqual([0, []]);
  // The deny the state names 123456789012-role-Deploy takes the new incident's document.
  expect(principalSteps(second)).toEqual([
    `same cordon:iam:SessionRevocation ${ACCOUNT}-role-Deploy`,
    `update aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-Deploy`,
  ]);
  expect(await sessionOf("role", "deploy", "2026-11-20T09:00:00Z")).toBe("ExplicitlyDenied");
  expect(await sessionOf("role", "deploy", "2026-12-02T09:00:00Z")).toBe("ExplicitlyDenied");

  // And the run after: nothing moves.
  const third = await up();
  expect([third.status, principalSteps(third)]).toEqual([
    0,
    [
      `same cordon:iam:SessionRevocation ${ACCOUNT}-role-Deploy`,
      `same aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-Deploy`,
    ],
  ]);
});

it("a user spelled Bob, then bob: its managed deny and its key keep their resources, and the user its deny", async () => {
  await account.iam.send(new CreateUserCommand({ UserName: "bob" }));
  await account.iam.send(new PutUserPolicyCommand({ UserName: "bob", PolicyName: "work", PolicyDocument: ALLOW_ALL }));
  const key = (await account.iam.send(new CreateAccessKeyCommand({ UserName: "bob" }))).AccessKey!.AccessKeyId!;
  const user = (name: string) => ["users:", `  - name: ${name}`, "    accessKeys:", `      - ${key}`];
  incident(OLD, OLD_CUTOFF, "revoke-older-sessions", user("Bob"));
  const first = await up();
  expect([first.status, first.errors]).toEqual([0, []]);
  const denies = [
    `cordon:iam:SessionRevocation ${ACCOUNT}-user-Bob`,
    `aws:iam/policy:Policy ${ACCOUNT}-user-Bob`,
    `aws:iam/userPolicyAttachment:UserPolicyAttachment ${ACCOUNT}-user-Bob`,
  ];
  const keys = [
    `cordon:iam:DisabledAccessKey ${ACCOUNT}-Bob-${key}`,
    `aws:iam/accessKey:AccessKey ${ACCOUNT}-Bob-${key}`,
  ];
  expect(principalSteps(first).sort()).toEqual(
    [...denies.map((d) => `create ${d}`), `create ${keys[0]}`, `import ${keys[1]}`, `update ${keys[1]}`].sort(),
  );

  respell(user("bob"));
  const second = await up();
  expect([second.status, second.errors]).toEqual([0, []]);
  // No resource of the user's is created, imported or deleted: the managed policy keeps its name
  // (IAM would refuse cordon-revoke-sessions-bob beside cordon-revoke-sessions-Bob), and the key its resource.
  expect(principalSteps(second).filter((line) => !/^(same|update) /.test(line))).toEqual([]);
  expect(
    principalSteps(second)
      .map((line) => line.replace(/^\S+ /, ""))
      .sort(),
  ).toEqual([...denies, ...keys].sort());
  const attached = (await account.iam.send(new ListAttachedUserPoliciesCommand({ UserName: "bob" }))).AttachedPolicies;
  expect((attached ?? []).map((p) => p.PolicyArn)).toEqual([
    `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-Bob`,
  ]);
  expect(await sessionOf("user", "bob", "2026-12-02T09:00:00Z")).toBe("ExplicitlyDenied");
  const listed = (await account.iam.send(new ListAccessKeysCommand({ UserName: "bob" }))).AccessKeyMetadata;
  expect((listed ?? []).map((k) => [k.AccessKeyId, k.Status])).toEqual([[key, "Inactive"]]);
});
