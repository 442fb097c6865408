/**
 * The organization guardrails keep every active incident's statements on the targets through any
 * change of incidents, even when a step fails, as the workflows run the organization stack
 * (`pulumi up --refresh --continue-on-error`, apply.yml and contain.yml): through the engine
 * stand-in, against moto, with a proxy in front of moto that refuses one Organizations action.
 *
 * A guardrail is a slot (`cordon-scp-slot-0`) whose policy is renamed and rewritten in place:
 * before slots, a new statement made a new policy, and a failed AttachPolicy of it did not stop
 * the engine from detaching and deleting the old one (the reviewer's finding).
 */
import { writeFileSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackState } from "../emulators/engine/state.ts";
import { writeState } from "../emulators/engine/state.ts";
import { sidPart, type PolicyDocument } from "../plan/policies.ts";
import { Account, type Credentials } from "./support/aws-accounts.ts";
import { engineSuite, readEngineState, runEngine, stepLines, type EngineRun } from "./support/engine.ts";

const MEMBER = "111111111111";
const MANAGEMENT = "999999999999";
const STACK = `prod-${MANAGEMENT}`;
const suite = engineSuite("cordon-guardrail-slots-");

/** The Organizations action (JSON protocol target) the proxy refuses, if any, as Organizations refuses it. */
let refused: "AttachPolicy" | "UpdatePolicy" | undefined;
const REFUSALS = {
  AttachPolicy: {
    __type: "ConstraintViolationException",
    Message: "You have attached the maximum number of policies to the specified target.",
    Reason: "POLICY_NUMBER_LIMIT_EXCEEDED",
  },
  UpdatePolicy: {
    __type: "ConstraintViolationException",
    Message: "You have exceeded the maximum size of a policy.",
    Reason: "MAX_POLICY_SIZE_EXCEEDED",
  },
};
let upstream = "";
const proxy: Server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const target = String(req.headers["x-amz-target"] ?? "");
    if (refused !== undefined && target === `AWSOrganizationsV20161128.${refused}`) {
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify(REFUSALS[refused]));
      return;
    }
    const forwarded = request(new URL(req.url ?? "/", upstream), { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forwarded.end(Buffer.concat(chunks));
  });
});
let proxyUrl = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

interface Org {
  management: Account;
  root: string;
  dir: string;
  credentials: Credentials;
  state: string;
  up(failing?: typeof refused): Promise<EngineRun>;
  /** The statement ids of every cordon SCP attached to the root, sorted. */
  sids(): Promise<string[]>;
  incident(id: string, users: string[]): void;
  remove(id: string): void;
}

async function organization(): Promise<Org> {
  const { moto, dir } = await suite.fresh();
  upstream = moto.env.AWS_ENDPOINT_URL ?? moto.endpoint;
  const management = new Account(moto, MANAGEMENT);
  const root = await management.organizationWithScps();
  const credentials = await management.deployer();
  const state = join(dir, "state", `${STACK}.json`);
  const proxied = { ...moto, env: { ...moto.env, AWS_ENDPOINT_URL: proxyUrl } };
  return {
    management,
    root,
    dir,
    credentials,
    state,
    async up(failing) {
      refused = failing;
      try {
        return await runEngine("up", {
          moto: proxied,
          refresh: true,
          continueOnError: true,
          stack: STACK,
          state,
          credentials,
          config: {
            "cordon:account": MANAGEMENT,
            "cordon:incidentsDir": join(dir, "incidents"),
            "cordon:organization": JSON.stringify({ targets: [root], managementAccount: MANAGEMENT }),
          },
        });
      } finally {
        refused = undefined;
      }
    },
    async sids() {
      const documents: PolicyDocument[] = await management.cordonScps(root);
      return documents.flatMap((d) => d.Statement.map((s) => s.Sid ?? "")).sort();
    },
    incident(id, users) {
      writeFileSync(
        join(dir, "incidents", `${id}.yaml`),
        [
          `id: ${id}`,
          "title: t",
          `account: "${MEMBER}"`,
          "cutoff: 2026-11-28T09:30:00Z",
          "users:",
          ...users.map((user) => `  - name: ${user}`),
          "organization: { scp: true }",
          "",
        ].join("\n"),
      );
    },
    remove(id) {
      rmSync(join(dir, "incidents", `${id}.yaml`));
    },
  };
}

/** `count` user names: 100 of them make a statement of about 2,200 characters, 150 about 3,100 (of 5,120 a document). */
const users = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-user-${String(i).padStart(3, "0")}`);

const FIRST = "2026-11-28-first";
const SECOND = "2026-11-28-second";
const POLICY = "aws:organizations/policy:Policy";
const ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment";
/** The steps on the guardrails' policies and attachments. */
const guardrailSteps = (run: EngineRun) => stepLines(run, (s) => s.type === POLICY || s.type === ATTACHMENT);

/**
 * The state as the program wrote it before slots (main at 6615ff1): each guardrail's component,
 * policy and attachments named after the policy (`cordon-scp-<hash>`, `<name>-<target>`), with no
 * dependency between guardrails. Made from this program's state by renaming, which is all that
 * changed in it.
 */
function asBeforeSlots(file: string): string[] {
  const state = readEngineState(file);
  const names = new Map<string, string>();
  for (const r of state.resources)
    if (r.type === POLICY) names.set(r.urn.split("::").pop() ?? "", String(r.inputs.name));
  const rename = (urn: string) => {
    const parts = urn.split("::");
    const last = parts.pop() ?? "";
    const slot = [...names.keys()].find((n) => last === n || last.startsWith(`${n}-`));
    return slot === undefined ? urn : [...parts, `${names.get(slot)}${last.slice(slot.length)}`].join("::");
  };
  const next: StackState = {
    ...state,
    resources: state.resources.map((r) => ({
      ...r,
      urn: rename(r.urn),
      parent: rename(r.parent),
      dependencies: r.type.startsWith("cordon:organizations") || r.type === POLICY ? [] : r.dependencies.map(rename),
      propertyDependencies: Object.fromEntries(
        Object.entries(r.propertyDependencies).map(([key, urns]) => [key, urns.map(rename)]),
      ),
    })),
  };
  writeState(file, next);
  return next.resources.filter((r) => r.type === POLICY).map((r) => r.urn.split("::").pop() ?? "");
}

describe("a guardrail changes in place, whichever step fails", () => {
  it.each(["AttachPolicy", "UpdatePolicy"] as const)(
    "an incident added while Organizations refuses %s: the first incident's statements stay attached",
    async (failing) => {
      const org = await organization();
      org.incident(FIRST, ["alice"]);
      expect((await org.up()).status).toBe(0);
      const before = await org.sids();
      expect(before.some((sid) => sid.includes("Users"))).toBe(true);

      org.incident(SECOND, ["bob"]);
      const run = await org.up(failing);
      const after = await org.sids();
      expect(after).toEqual(expect.arrayContaining(before));
      // Nothing detached, nothing deleted: one UpdatePolicy, which either applied or did not.
      expect(guardrailSteps(run)).toEqual(
        failing === "UpdatePolicy"
          ? [`update ${POLICY} cordon-scp-slot-0 failed`, `same ${ATTACHMENT} cordon-scp-slot-0-${org.root} skipped`]
          : [`update ${POLICY} cordon-scp-slot-0`, `same ${ATTACHMENT} cordon-scp-slot-0-${org.root}`],
      );
      if (failing === "UpdatePolicy") expect(run.status).not.toBe(0);
      else {
        expect(run.status).toBe(0);
        expect(after.length).toBeGreaterThan(before.length);
      }
    },
  );

  it.each(["AttachPolicy", "UpdatePolicy"] as const)(
    "an incident removed while Organizations refuses %s: the other incident's statements stay attached",
    async (failing) => {
      const org = await organization();
      org.incident(FIRST, ["alice"]);
      org.incident(SECOND, ["bob"]);
      expect((await org.up()).status).toBe(0);
      const both = await org.sids();

      org.remove(SECOND);
      const run = await org.up(failing);
      const after = await org.sids();
      const first = both.filter((sid) => !sid.includes(sidPart(SECOND)));
      expect(first.length).toBeGreaterThan(0);
      expect(after).toEqual(expect.arrayContaining(first));
      if (failing === "AttachPolicy") {
        expect(run.status).toBe(0);
        expect(after).toEqual(first);
      }
      expect(guardrailSteps(run).filter((line) => line.startsWith("delete"))).toEqual([]);
    },
  );
});

describe("a stack deployed before slots takes its guardrail over in place", () => {
  it.each([undefined, "AttachPolicy", "UpdatePolicy"] as const)(
    "an incident added at the upgrade (Organizations refusing %s): never a moment without the first incident's statements",
    async (failing) => {
      const org = await organization();
      org.incident(FIRST, ["alice"]);
      expect((await org.up()).status).toBe(0);
      const before = await org.sids();
      const [former] = asBeforeSlots(org.state);
      expect(former).toMatch(/^cordon-scp-[0-9a-f]{8}$/);

      org.incident(SECOND, ["bob"]);
      const run = await org.up(failing);
      expect(await org.sids()).toEqual(expect.arrayContaining(before));
      // The old policy and attachment are the slot's now: updated (or not), never deleted.
      expect(guardrailSteps(run)).toEqual([
        `update ${POLICY} cordon-scp-slot-0${failing === "UpdatePolicy" ? " failed" : ""}`,
        `same ${ATTACHMENT} cordon-scp-slot-0-${org.root}${failing === "UpdatePolicy" ? " skipped" : ""}`,
      ]);
      const urns = readEngineState(org.state).resources.map((r) => r.urn.split("::").pop());
      expect(urns.filter((name) => name?.startsWith("cordon-scp-"))).toEqual([
        "cordon-scp-slot-0",
        "cordon-scp-slot-0",
        `cordon-scp-slot-0-${org.root}`,
      ]);
      expect(urns).not.toContain(former);
      // A later run with nothing refused converges: both incidents, one policy.
      expect((await org.up()).status).toBe(0);
      const documents = await org.management.cordonScps(org.root);
      expect(documents).toHaveLength(1);
      expect(await org.sids()).toEqual(expect.arrayContaining(before));
    },
  );

  it("the same incidents at the upgrade: nothing changes but the names in the state", async () => {
    const org = await organization();
    org.incident(FIRST, ["alice"]);
    expect((await org.up()).status).toBe(0);
    const before = await org.sids();
    asBeforeSlots(org.state);
    const run = await org.up("AttachPolicy");
    expect(run.status).toBe(0);
    expect(guardrailSteps(run)).toEqual([
      `same ${POLICY} cordon-scp-slot-0`,
      `same ${ATTACHMENT} cordon-scp-slot-0-${org.root}`,
    ]);
    expect(await org.sids()).toEqual(before);
  });
});

describe("when the documents are more or fewer", () => {
  const A = "2026-11-28-a";
  const B = "2026-11-28-b";
  const C = "2026-11-28-c";
  const ofIncident = (sids: string[], id: string) => sids.filter((sid) => sid.includes(sidPart(id)));

  it("a larger incident added takes slot 0 and moves the first into a new slot 1, whose AttachPolicy is refused: the first stays in slot 0", async () => {
    const org = await organization();
    org.incident(A, users("alpha", 100));
    expect((await org.up()).status).toBe(0);
    const before = await org.sids();

    org.incident(B, users("bravo", 150));
    const run = await org.up("AttachPolicy");
    expect(run.status).not.toBe(0);
    // Slot 1 first: its attachment failed, so slot 0 was not touched.
    expect(guardrailSteps(run)).toEqual([
      `create ${POLICY} cordon-scp-slot-1`,
      `create ${ATTACHMENT} cordon-scp-slot-1-${org.root} failed`,
      `update ${POLICY} cordon-scp-slot-0 skipped`,
      `same ${ATTACHMENT} cordon-scp-slot-0-${org.root} skipped`,
    ]);
    expect(await org.sids()).toEqual(before);

    expect((await org.up()).status).toBe(0);
    const after = await org.sids();
    expect(ofIncident(after, A)).toEqual(before);
    expect(ofIncident(after, B).length).toBeGreaterThan(0);
    expect(await org.management.cordonScps(org.root)).toHaveLength(2);
  });

  it.each([false, true])(
    "an incident removed, the two documents left fit in one (deployed before slots: %s): slot 1 stays until slot 0 is live, though its UpdatePolicy is refused",
    async (beforeSlots) => {
      const org = await organization();
      org.incident(A, users("alpha", 150));
      org.incident(B, users("bravo", 100));
      org.incident(C, ["carol"]);
      expect((await org.up()).status).toBe(0);
      expect(await org.management.cordonScps(org.root)).toHaveLength(2);
      const all = await org.sids();
      const kept = [...ofIncident(all, B), ...ofIncident(all, C)].sort();
      if (beforeSlots) expect(asBeforeSlots(org.state)).toHaveLength(2);

      org.remove(A);
      const refused = await org.up("UpdatePolicy");
      expect(refused.status).not.toBe(0);
      expect(guardrailSteps(refused).filter((line) => line.startsWith("delete"))).toEqual([]);
      expect(await org.sids()).toEqual(expect.arrayContaining(kept));

      // Slot 0 takes B and C; slot 1 (B) stays this run, which reads slot 0 as not yet live.
      const updated = await org.up();
      expect(updated.status).toBe(0);
      expect(guardrailSteps(updated)).toContain(`update ${POLICY} cordon-scp-slot-0`);
      expect(guardrailSteps(updated).filter((line) => line.startsWith("delete"))).toEqual([]);
      expect(await org.management.cordonScps(org.root)).toHaveLength(2);

      const dropped = await org.up();
      expect(dropped.status).toBe(0);
      expect(guardrailSteps(dropped).filter((line) => line.startsWith("delete"))).toEqual([
        `delete ${ATTACHMENT} cordon-scp-slot-1-${org.root}`,
        `delete ${POLICY} cordon-scp-slot-1`,
      ]);
      expect(await org.sids()).toEqual(kept);
    },
  );
});
