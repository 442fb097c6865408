/**
 * The organization guardrails re-packed (an incident added or removed renames the document), run
 * through the engine stand-in as apply.yml and contain.yml run it (`--refresh --continue-on-error`),
 * with AttachPolicy failing through a proxy: the root never goes without any active incident's
 * statements, the superseded document goes only after a run finds its replacement attached, and a
 * `cordon-scp-…` policy that someone else attached is never touched.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribePolicyCommand,
  ListPoliciesForTargetCommand,
} from "@aws-sdk/client-organizations";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Account, type Credentials } from "./support/aws-accounts.ts";
import { runEngine } from "./support/engine.ts";
import { startMoto, type Moto } from "./support/moto.ts";
import { projectTempDir } from "./support/project-dir.ts";

const MEMBER = "111111111111";
const MANAGEMENT = "999999999999";
const FOREIGN_CONTENT = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Sid: "SomeoneElses", Effect: "Deny", Action: "s3:DeleteBucket", Resource: "*" }],
});

let moto: Moto;
let dir: string;
let management: Account;
let root: string;
let foreignId: string;
let credentials: Credentials;
/** While set, every AttachPolicy the engine sends fails as Organizations' quota refusal does. */
let failAttach = false;
let proxyUrl = "";
const proxy = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const target = String(req.headers["x-amz-target"] ?? "");
    if (failAttach && target.endsWith(".AttachPolicy")) {
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
      res.end(
        JSON.stringify({
          __type: "ConstraintViolationException",
          Message: "You have attached the maximum number of policies to the specified target.",
          Reason: "POLICY_NUMBER_LIMIT_EXCEEDED",
        }),
      );
      return;
    }
    const forward = request(
      new URL(req.url ?? "/", moto.endpoint),
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      },
    );
    forward.end(Buffer.concat(chunks));
  });
});

beforeAll(async () => {
  moto = await startMoto({ managedPolicies: false, serviceCredentials: true });
  dir = projectTempDir("guardrail-repack-");
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  management = new Account(moto, MANAGEMENT);
  root = await management.organizationWithScps();
  credentials = await management.deployer();
  // Someone else's policy, named as cordon names its own, attached to the same root.
  foreignId = (
    await management.organizations.send(
      new CreatePolicyCommand({
        Name: "cordon-scp-ffffffff",
        Description: "not cordon's",
        Content: FOREIGN_CONTENT,
        Type: "SERVICE_CONTROL_POLICY",
      }),
    )
  ).Policy!.PolicySummary!.Id!;
  await management.organizations.send(new AttachPolicyCommand({ PolicyId: foreignId, TargetId: root }));
}, 120_000);

afterAll(async () => {
  proxy.close();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One stack of the organization, with its own incidents folder. */
async function organizationStack(name: string) {
  const incidents = join(dir, name, "incidents");
  mkdirSync(incidents, { recursive: true });
  const proxied = { ...moto, env: { ...moto.env, AWS_ENDPOINT_URL: proxyUrl } };
  return {
    write(id: string, user: string) {
      writeFileSync(
        join(incidents, `${id}.yaml`),
        [
          `id: ${id}`,
          "title: t",
          `account: "${MEMBER}"`,
          "cutoff: 2026-11-28T09:30:00Z",
          "users:",
          `  - name: ${user}`,
          "organization: { scp: true }",
          "",
        ].join("\n"),
      );
    },
    remove(id: string) {
      rmSync(join(incidents, `${id}.yaml`));
    },
    up: () =>
      runEngine("up", {
        moto: proxied,
        refresh: true,
        continueOnError: true,
        stack: `prod-${MANAGEMENT}`,
        state: join(dir, name, "state", `prod-${MANAGEMENT}.json`),
        credentials,
        config: {
          "cordon:account": MANAGEMENT,
          "cordon:incidentsDir": incidents,
          "cordon:organization": JSON.stringify({ targets: [root], managementAccount: MANAGEMENT }),
        },
      }),
  };
}

/** The service control policies attached to the root, by name, with their id and live document. */
async function attached(): Promise<Map<string, { id: string; content: string }>> {
  const listed =
    (
      await management.organizations.send(
        new ListPoliciesForTargetCommand({ TargetId: root, Filter: "SERVICE_CONTROL_POLICY" }),
      )
    ).Policies ?? [];
  const out = new Map<string, { id: string; content: string }>();
  for (const policy of listed) {
    const described = await management.organizations.send(new DescribePolicyCommand({ PolicyId: policy.Id }));
    out.set(policy.Name!, { id: policy.Id!, content: described.Policy!.Content! });
  }
  return out;
}

/** The statement ids of cordon's documents live on the root (someone else's included, whatever it holds). */
async function liveSids(): Promise<string[]> {
  return [...(await attached()).values()].flatMap(({ content }) =>
    (JSON.parse(content) as { Statement: { Sid?: string }[] }).Statement.map((s) => s.Sid ?? ""),
  );
}

/** Each active incident (by the last word of its id) has its users' statement in a live document on the root. */
async function expectCovered(active: string[]): Promise<void> {
  const sids = await liveSids();
  const covered = active.filter((word) =>
    sids.some((sid) => sid.startsWith(`CordonRevokeUsers${MEMBER}`) && sid.toLowerCase().includes(word)),
  );
  expect(covered).toEqual(active);
}

/** Someone else's policy: still attached, with its own document. */
async function expectForeignUntouched(): Promise<void> {
  expect((await attached()).get("cordon-scp-ffffffff")).toEqual({ id: foreignId, content: FOREIGN_CONTENT });
}

/** cordon's own documents on the root, by name (the foreign one left out). */
async function ownNames(): Promise<string[]> {
  return [...(await attached()).keys()]
    .filter((n) => n.startsWith("cordon-scp-") && n !== "cordon-scp-ffffffff")
    .sort();
}

it("an incident added: the old document stays until a run finds the new one attached", async () => {
  const stack = await organizationStack("add");
  stack.write("2026-11-28-first", "alice");
  expect((await stack.up()).status).toBe(0);
  await expectCovered(["first"]);
  await expectForeignUntouched();
  const [old] = await ownNames();

  // The re-pack, its attach refused: the run fails, and the old document stays attached.
  stack.write("2026-11-28-second", "bob");
  failAttach = true;
  const refused = await stack.up();
  failAttach = false;
  expect(refused.status).not.toBe(0);
  await expectCovered(["first"]);
  expect(await ownNames()).toEqual([old]);
  await expectForeignUntouched();

  // The attach succeeds: both documents, the old one kept since this run began without the new attached.
  expect((await stack.up()).status).toBe(0);
  await expectCovered(["first", "second"]);
  const both = await ownNames();
  expect(both).toHaveLength(2);
  expect(both).toContain(old);
  await expectForeignUntouched();

  // A run that finds the new document attached stops declaring the old one: it goes.
  expect((await stack.up()).status).toBe(0);
  await expectCovered(["first", "second"]);
  const [replacement] = both.filter((n) => n !== old);
  expect(await ownNames()).toEqual([replacement]);
  await expectForeignUntouched();
  // And then nothing moves.
  expect((await stack.up()).status).toBe(0);
  expect(await ownNames()).toEqual([replacement]);
  await expectForeignUntouched();
}, 600_000);

it("an incident removed: its statements stay until the smaller document is attached", async () => {
  const stack = await organizationStack("remove");
  // What the other test's stack left attached is not this stack's.
  const others = await ownNames();
  const mine = async () => (await ownNames()).filter((n) => !others.includes(n));
  stack.write("2026-11-29-third", "carol");
  stack.write("2026-11-29-fourth", "dave");
  expect((await stack.up()).status).toBe(0);
  await expectCovered(["third", "fourth"]);
  const [old] = await mine();

  stack.remove("2026-11-29-fourth");
  failAttach = true;
  const refused = await stack.up();
  failAttach = false;
  expect(refused.status).not.toBe(0);
  await expectCovered(["third"]);
  expect(await mine()).toEqual([old]);
  await expectForeignUntouched();

  expect((await stack.up()).status).toBe(0);
  await expectCovered(["third"]);
  expect(await mine()).toHaveLength(2);
  await expectForeignUntouched();

  expect((await stack.up()).status).toBe(0);
  await expectCovered(["third"]);
  const left = await mine();
  expect(left).toHaveLength(1);
  expect(left).not.toContain(old);
  // The removed incident's statements went with the superseded document.
  expect((await liveSids()).some((sid) => sid.toLowerCase().includes("fourth"))).toBe(false);
  await expectForeignUntouched();
}, 600_000);
