/**
 * One containment instant for every stack that applies an at-containment incident, end to end
 * through the engine stand-in against moto, in three accounts: the key's (which records it), a
 * role's (which reads it), and the organization stack's guardrails (which read it too). Stacks
 * run in any order: one that cannot read the instant yet denies everything, never records its own.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetRolePolicyCommand, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PolicyDocument } from "../plan/policies.ts";
import { Account, ALLOW_ALL, type Credentials } from "./support/aws-accounts.ts";
import { runEngine, stackOutputs, type EngineRun } from "./support/engine.ts";
import { decide } from "./support/iam-evaluator.ts";
import { startMoto, type Moto } from "./support/moto.ts";
import { projectTempDir } from "./support/project-dir.ts";

const KEYS = "111111111111";
const DATA = "444444444444";
const MANAGEMENT = "999999999999";
const ID = "2026-11-28-build-key";

let moto: Moto;
let dir: string;
beforeAll(async () => {
  moto = await startMoto({ managedPolicies: false, serviceCredentials: true });
  dir = projectTempDir("cordon-accounts-");
});
afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const state = (account: string) => join(dir, "state", `prod-${account}.json`);
const sidOf = (document: PolicyDocument) => document.Statement.map((s) => s.Sid ?? "");
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("an at-containment incident across accounts", () => {
  it("gets one instant, the one the key's stack recorded after its key was Inactive, in every stack; before it exists, the other stacks deny everything", async () => {
    const keys = new Account(moto, KEYS);
    const data = new Account(moto, DATA);
    const management = new Account(moto, MANAGEMENT);
    const key = (await keys.user("build-bot", { key: true }))!;
    await data.role("data-loader");
    const root = await management.organizationWithScps();
    const credentials: Record<string, Credentials> = {
      [KEYS]: await keys.deployer(),
      [DATA]: await data.deployer(),
      [MANAGEMENT]: await management.deployer(),
    };

    const incidents = join(dir, "incidents");
    mkdirSync(incidents);
    writeFileSync(
      join(incidents, `${ID}.yaml`),
      [
        `id: ${ID}`,
        "title: build key in a public gist",
        `account: "${KEYS}"`,
        "cutoff: at-containment",
        `users: [{ name: build-bot, accessKeys: [${key}] }]`,
        `roles: [{ name: data-loader, account: "${DATA}" }]`,
        "organization: { scp: true }",
        "",
      ].join("\n"),
    );
    const up = (account: string, config: Record<string, string> = {}): Promise<EngineRun> =>
      runEngine("up", {
        moto,
        stack: `prod-${account}`,
        state: state(account),
        credentials: credentials[account],
        config: { "cordon:account": account, "cordon:incidentsDir": incidents, ...config },
      });
    const organization = { "cordon:organization": JSON.stringify({ targets: [root], managementAccount: MANAGEMENT }) };
    const dataDeny = async () =>
      JSON.parse(
        decodeURIComponent(
          (
            await data.iam.send(
              new GetRolePolicyCommand({ RoleName: "data-loader", PolicyName: "cordon-revoke-sessions" }),
            )
          ).PolicyDocument!,
        ),
      ) as PolicyDocument;
    const guardrail = async () => {
      const cordon = await management.cordonScps(root);
      expect(cordon).toHaveLength(1);
      return cordon[0];
    };
    const recordedInstants = (account: string) =>
      (JSON.parse(readFileSync(state(account), "utf8")) as { resources: { type: string }[] }).resources.filter(
        (r) => r.type === "time:index/static:Static",
      ).length;

    // The role's stack and the organization stack run first: they cannot read the instant yet.
    const early = await up(DATA);
    expect([early.status, early.errors]).toEqual([0, []]);
    expect(early.warnings).toEqual([
      `incident ${ID}: its containment instant is recorded by stack prod-${KEYS} (the account of its keys), which cannot be read (invocation of pulumi:pulumi:readStackOutputs returned an error: unknown stack "organization/cordon/prod-${KEYS}"): until it has, this stack denies the incident's principals everything; run that stack, then this one again`,
    ]);
    expect((await dataDeny()).Statement).toEqual([
      expect.objectContaining({
        Sid: expect.stringMatching(/^CordonDenyUntilContained/),
        Effect: "Deny",
        Action: "*",
        Resource: "*",
      }),
    ]);
    expect((await dataDeny()).Statement[0].Condition).toBeUndefined();
    const guard = await up(MANAGEMENT, organization);
    expect([guard.status, guard.errors]).toEqual([0, []]);
    // Every statement naming the incident's principals (a role by its ARN, one under a path, a
    // user by name in its account) denies unconditionally: no cutoff yet.
    const pending = await guardrail();
    expect(sidOf(pending).every((sid) => sid.startsWith("CordonDenyUntilContained"))).toBe(true);
    expect(pending.Statement.map((s) => s.Condition?.DateLessThan)).toEqual(pending.Statement.map(() => undefined));
    expect(pending.Statement.flatMap((s) => Object.keys(s.Condition ?? {}))).toEqual(
      expect.arrayContaining(["StringEqualsIgnoreCase"]),
    );

    // The key's stack records the instant once the key is Inactive.
    const contained = await up(KEYS);
    expect([contained.status, contained.errors]).toEqual([0, []]);
    expect(
      (await keys.iam.send(new ListAccessKeysCommand({ UserName: "build-bot" }))).AccessKeyMetadata?.[0].Status,
    ).toBe("Inactive");
    const recorded = (
      (await stackOutputs({ moto, stack: `prod-${KEYS}`, state: state(KEYS) })) as {
        incidents: Record<string, { cutoff: string; containedAt: string }>;
      }
    ).incidents[ID];
    expect(Date.parse(recorded.cutoff) - Date.parse(recorded.containedAt)).toBe(120_000);

    // Run again, the others take exactly that cutoff.
    const late = await up(DATA);
    expect([late.status, late.errors, late.warnings]).toEqual([0, [], []]);
    expect((await dataDeny()).Statement).toEqual([
      expect.objectContaining({ Condition: { DateLessThan: { "aws:TokenIssueTime": recorded.cutoff } } }),
    ]);
    expect(
      (
        (await stackOutputs({ moto, stack: `prod-${DATA}`, state: state(DATA) })) as {
          incidents: Record<string, unknown>;
        }
      ).incidents[ID],
    ).toMatchObject({
      cutoff: recorded.cutoff,
      containedAt: recorded.containedAt,
      containmentStack: `prod-${KEYS}`,
    });
    expect((await up(MANAGEMENT, organization)).status).toBe(0);
    // The document with the cutoff is a new policy (its statement ids changed): the one that denies
    // everything stays attached beside it until a run finds it attached, then goes.
    expect(
      (await management.cordonScps(root))
        .map(sidOf)
        .map((sids) => sids.every((sid) => sid.startsWith("CordonDenyUntilContained")))
        .sort(),
    ).toEqual([false, true]);
    expect((await up(MANAGEMENT, organization)).status).toBe(0);
    const settled = (await guardrail()).Statement;
    expect(settled.map((s) => s.Condition?.DateLessThan)).toEqual(
      settled.map(() => ({ "aws:TokenIssueTime": recorded.cutoff })),
    );

    // No stack but the key's ever recorded an instant of its own.
    expect([KEYS, DATA, MANAGEMENT].map(recordedInstants)).toEqual([1, 0, 0]);

    // The role's sessions from before the cutoff are denied; later ones are allowed (iam-simulate).
    const request = {
      principal: `arn:aws:sts::${DATA}:assumed-role/data-loader/attacker`,
      action: "s3:GetObject",
      resource: "arn:aws:s3:::data/x",
      account: DATA,
    };
    const at = async (ms: number) =>
      decide([ALLOW_ALL, await dataDeny()], { ...request, context: { "aws:TokenIssueTime": iso(ms) } });
    expect(await at(Date.parse(recorded.cutoff) - 1000)).toBe("ExplicitlyDenied");
    expect(await at(Date.parse(recorded.cutoff) + 1000)).toBe("Allowed");
  });
});
