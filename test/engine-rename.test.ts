/**
 * A compromised user renamed (iam:UpdateUser, which whoever holds a leaked key with IAM rights can
 * call) is not a user deleted: through the engine stand-in against moto, the run says so by name,
 * records no containment instant for its incident (keeps the one an earlier run recorded) and
 * fails at its end, while every other incident of the stack is contained. Moto's GetAccessKeyLastUsed still names a renamed key's old user;
 * real IAM names its current one, which a small proxy in front of moto answers here.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  ListAttachedUserPoliciesCommand,
  UpdateUserCommand,
} from "@aws-sdk/client-iam";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { awsClients } from "../aws/clients.ts";
import { listUserCredentials } from "../aws/credentials.ts";
import type { Account } from "./support/aws-accounts.ts";
import { seedUser } from "./support/credentials.ts";
import { DENY_UNTIL_CONTAINED_SID, type PolicyDocument, sidPart, TOKEN_ISSUE_TIME } from "../plan/policies.ts";
import { uncontainedMessage } from "../program/deploy.ts";
import { ROOT, engineSuite, runEngine, stackOutputs, stepLines, type EngineRun } from "./support/engine.ts";
import type { Moto } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const STACK = `prod-${ACCOUNT}`;

const suite = engineSuite("cordon-engine-rename-");
let moto: Moto;
let dir: string;
let account: Account;
let closeProxy: (() => Promise<void>) | undefined;
beforeEach(async () => {
  ({ moto, account, dir } = await suite.fresh());
});
afterEach(async () => {
  await closeProxy?.();
  closeProxy = undefined;
});

function write(id: string, user: string, key: string, roles: string[] = []): void {
  writeFileSync(
    join(dir, "incidents", `${id}.yaml`),
    [
      `id: ${id}`,
      "title: t",
      `account: "${ACCOUNT}"`,
      "cutoff: at-containment",
      "users:",
      `  - name: ${user}`,
      `    accessKeys: [${key}]`,
      ...(roles.length > 0 ? ["roles:", ...roles.map((role) => `  - name: ${role}`)] : []),
      "",
    ].join("\n"),
  );
}
async function createRole(name: string): Promise<void> {
  await account.iam.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }],
      }),
    }),
  );
}
/** The statement ids and conditions of a role's deny, as IAM has it. */
async function roleDeny(role: string): Promise<{ Sid?: string; Condition?: unknown }[]> {
  const found = await account.iam.send(
    new GetRolePolicyCommand({ RoleName: role, PolicyName: "cordon-revoke-sessions" }),
  );
  const document = JSON.parse(decodeURIComponent(found.PolicyDocument!)) as PolicyDocument;
  return document.Statement.map(({ Sid, Condition }) => ({ Sid, Condition }));
}
const state = () => join(dir, "state", `${STACK}.json`);
function up(through: Moto = moto): Promise<EngineRun> {
  return runEngine("up", {
    moto: through,
    stack: STACK,
    state: state(),
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": join(dir, "incidents") },
  });
}
async function credentials(user: string): Promise<string[]> {
  const listed = await listUserCredentials(awsClients(), ACCOUNT, user);
  return [
    ...listed.credentials.map((c) => `${c.kind} ${c.status}`),
    ...(listed.loginProfile ? ["console password"] : []),
  ];
}
async function attached(user: string): Promise<string[]> {
  const found = await account.iam.send(new ListAttachedUserPoliciesCommand({ UserName: user }));
  return (found.AttachedPolicies ?? []).map((p) => p.PolicyName ?? "");
}
type Outputs = { incidents: Record<string, { containedAt?: string; gonePrincipals?: unknown[]; cutoff: string }> };
const outputs = async () => (await stackOutputs({ moto, stack: STACK, state: state() })) as Outputs;
/** The file as the run names it: relative to the project folder. */
const file = () => relative(ROOT, join(dir, "incidents", "2026-11-28-alice.yaml"));
const renamedLine = (how: string) =>
  `${file()}: user alice (incident 2026-11-28-alice) was renamed to mallory (${how}): its credentials, console password and policies went with it, so nothing of it is contained and no deny can be attached to the old name; add user mallory to the incident (with its access keys), then run again`;
const HEADLINE =
  "cordon does not take incident 2026-11-28-alice for contained: no containment instant is recorded for it (an at-containment incident's principals are denied everything until one is), everything else is declared, and this update fails at its end:";
const KEPT_HEADLINE =
  "cordon does not take incident 2026-11-28-alice for contained: the containment instant an earlier run recorded for it stays, and so does its cutoff (nothing cordon applied changed), everything else is declared, and this update fails at its end:";

/**
 * Moto behind a proxy that answers GetAccessKeyLastUsed for `key` with `owner`, as real IAM names
 * a renamed key's current user (moto keeps the name the key was created under).
 */
async function withKeyOwner(key: string, owner: string): Promise<Moto> {
  const read = (request: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => resolve(Buffer.concat(chunks)));
      request.on("error", reject);
    });
  const server = createServer(async (request, response) => {
    const body = await read(request);
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !["host", "connection", "content-length"].includes(name)),
    ) as Record<string, string>;
    const forwarded = await fetch(`${moto.endpoint}${request.url ?? "/"}`, {
      method: request.method,
      headers,
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
    });
    let text = await forwarded.text();
    const params = new URLSearchParams(body.toString());
    if (params.get("Action") === "GetAccessKeyLastUsed" && params.get("AccessKeyId") === key)
      text = text.replace(/<UserName>[^<]*<\/UserName>/, `<UserName>${owner}</UserName>`);
    response.writeHead(forwarded.status, { "content-type": forwarded.headers.get("content-type") ?? "text/xml" });
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closeProxy = () => new Promise((resolve) => server.close(() => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { ...moto, endpoint, env: { ...moto.env, AWS_ENDPOINT_URL: endpoint } };
}

describe("a compromised user renamed is not contained", () => {
  it("renamed before cordon's first run, its listed key's owner names the new user: said by name, the other incident contained, the run failing", async () => {
    const alice = await seedUser(account.iam, "alice", { accessKeys: 1, consolePassword: true });
    const bob = await seedUser(account.iam, "bob", { accessKeys: 1 });
    await createRole("deploy");
    write("2026-11-28-alice", "alice", alice.accessKeys[0], ["deploy"]);
    write("2026-11-28-bob", "bob", bob.accessKeys[0]);
    await account.iam.send(new UpdateUserCommand({ UserName: "alice", NewUserName: "mallory" }));

    const run = await up(await withKeyOwner(alice.accessKeys[0], "mallory"));
    expect(run.status).not.toBe(0);
    expect(run.errors).toEqual([
      [
        HEADLINE,
        renamedLine(
          `IAM names user mallory as the owner of its listed access key ${alice.accessKeys[0]}, and has no user alice`,
        ),
      ].join("\n"),
      uncontainedMessage(["2026-11-28-alice"]),
    ]);
    expect(run.infos.filter((line) => line.includes("already contained"))).toEqual([]);
    // Bob's incident is contained as usual: his key disabled, its instant recorded.
    expect(await credentials("bob")).toEqual(["access-key Inactive"]);
    const after = await outputs();
    expect(after.incidents["2026-11-28-bob"].containedAt).toEqual(expect.any(String));
    // Alice's is not: no instant, and nothing of mallory's touched (cordon never acts on a user no file names).
    expect(after.incidents["2026-11-28-alice"]).toMatchObject({ cutoff: "at-containment", gonePrincipals: [] });
    expect(after.incidents["2026-11-28-alice"].containedAt).toBeUndefined();
    expect(await credentials("mallory")).toEqual(["access-key Active", "console password"]);
    // Never contained, its role is denied everything until an instant is recorded.
    expect(await roleDeny("deploy")).toEqual([{ Sid: `${DENY_UNTIL_CONTAINED_SID}${sidPart("2026-11-28-alice")}` }]);
  });

  it("renamed after an earlier run recorded its id: not taken for deleted, nothing of its containment undone, its instant kept, the other incident contained", async () => {
    const alice = await seedUser(account.iam, "alice", { accessKeys: 1, consolePassword: true });
    await createRole("deploy");
    write("2026-11-28-alice", "alice", alice.accessKeys[0], ["deploy"]);
    expect((await up()).status).toBe(0);
    const id = (await account.iam.send(new GetUserCommand({ UserName: "alice" }))).User!.UserId!;
    const deny = await attached("alice");
    expect(deny).toHaveLength(1);
    const contained = (await outputs()).incidents["2026-11-28-alice"];
    expect(contained.containedAt).toEqual(expect.any(String));
    const roleDenied = await roleDeny("deploy");
    expect(roleDenied).toEqual([
      {
        Sid: `CordonRevokeSessionsBeforeContainment${sidPart("2026-11-28-alice")}`,
        Condition: { DateLessThan: { [TOKEN_ISSUE_TIME]: contained.cutoff } },
      },
    ]);

    // Whoever holds the rights renames alice; a new incident arrives meanwhile.
    await account.iam.send(new UpdateUserCommand({ UserName: "alice", NewUserName: "mallory" }));
    const bob = await seedUser(account.iam, "bob", { accessKeys: 1 });
    write("2026-11-28-bob", "bob", bob.accessKeys[0]);

    const run = await up();
    expect(run.status).not.toBe(0);
    expect(run.errors).toEqual([
      [KEPT_HEADLINE, renamedLine(`same id ${id}`)].join("\n"),
      uncontainedMessage(["2026-11-28-alice"]),
    ]);
    expect(run.infos.filter((line) => line.includes("already contained"))).toEqual([]);
    // Nothing an earlier run declared is deleted: mallory still carries the deny attached to alice.
    expect(stepLines(run, (s) => s.op === "delete")).toEqual([]);
    // Nor is alice's key declared again under a name IAM no longer has (an update would name it).
    expect(stepLines(run, (s) => s.name.includes(alice.accessKeys[0]))).toEqual([]);
    expect(await attached("mallory")).toEqual(deny);
    expect(await credentials("bob")).toEqual(["access-key Inactive"]);
    const after = await outputs();
    expect(after.incidents["2026-11-28-bob"].containedAt).toEqual(expect.any(String));
    // Nothing cordon applied changed: alice's incident keeps its instant and cutoff, here and for
    // every stack that reads them, and its role keeps revoking only the sessions older than it.
    expect(after.incidents["2026-11-28-alice"]).toMatchObject({ ...contained, gonePrincipals: [] });
    expect(await roleDeny("deploy")).toEqual(roleDenied);
  });
});
