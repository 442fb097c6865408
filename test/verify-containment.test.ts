/**
 * verify's reads and decisions over a fake IAM (verifyContainment over LiveIam): which incidents
 * are checked, in which account, and what is read for each principal. test/verify.test.ts runs the
 * same code against moto through aws/iam.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import { buildPlan } from "../plan/plan.ts";
import { fillContainment } from "../plan/policies.ts";
import type { Decision } from "../verify/checks.ts";
import { verifyContainment, type LiveIam } from "../verify/verify.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const file = (id: string, account: string, cutoff: string) => ({
  path: `incidents/${id}.yaml`,
  text: `id: ${id}\ntitle: t\naccount: "${account}"\ncutoff: ${cutoff}\nroles: [{ name: deploy }]\n`,
});

/** A role whose cordon policy is the planned one, and a simulator that honours the cutoff. */
function fakeIam(account: string, reads: string[]): LiveIam {
  const decisions = (actions: readonly string[], decision: Decision["decision"]) =>
    Object.fromEntries(
      actions.map((a) => [a, { decision, policies: decision === "explicitDeny" ? ["cordon-revoke-sessions"] : [] }]),
    );
  const plan = buildPlan(loadIncidents([file("current", account, "2026-11-28T10:00:00Z")], { now: NOW }).incidents);
  return {
    account: async () => account,
    user: async () => {
      throw new Error("no user in these incidents");
    },
    role: async (name, policyName) => {
      reads.push(`role ${name} ${policyName}`);
      return {
        arn: `arn:aws:iam::${account}:role/${name}`,
        policy: { state: "attached", document: plan.denyPolicies[0].document },
      };
    },
    keys: async () => ({}),
    credentials: async () => {
      throw new Error("no user in these incidents");
    },
    simulate: async (_arn, actions, tokenIssueTime) => {
      reads.push(`simulate ${tokenIssueTime}`);
      return decisions(actions, tokenIssueTime < "2026-11-28T10:00:00Z" ? "explicitDeny" : "allowed");
    },
  };
}

describe("verifyContainment", () => {
  it("checks the active incidents of the credentials' account, and names the others", async () => {
    const incidents = loadIncidents(
      [
        file("current", "123456789012", "2026-11-28T10:00:00Z"),
        file("expired", "123456789012", "2026-11-26T10:00:00Z"),
        file("elsewhere", "210987654321", "2026-11-28T10:00:00Z"),
      ],
      { now: NOW },
    ).incidents;
    const reads: string[] = [];
    const report = await verifyContainment(fakeIam("123456789012", reads), buildPlan(incidents), {}, NOW);
    expect(reads).toEqual([
      "role deploy cordon-revoke-sessions",
      "simulate 2026-11-28T09:59:00Z",
      "simulate 2026-11-28T10:01:00Z",
    ]);
    expect(report).toMatchObject({
      account: "123456789012",
      ok: true,
      incidents: ["current"],
      notChecked: [{ kind: "share", incident: "elsewhere", account: "210987654321" }],
    });
    expect(
      report.principals.map((p) => [p.name, p.cutoff, p.cutoffSource, p.checks.map((c) => `${c.check} ${c.ok}`)]),
    ).toEqual([
      [
        "deploy",
        "2026-11-28T10:00:00Z",
        "incident",
        ["deny-attached true", "document-matches true", "denied-before-cutoff true", "after-cutoff true"],
      ],
    ]);
  });
});

describe("an at-containment instant comes from the stack outputs only (issue 10, item 4)", () => {
  const atContainment = (id: string, mode: string) => ({
    path: `incidents/${id}.yaml`,
    text: `id: ${id}\ntitle: t\naccount: "123456789012"\ncutoff: at-containment\nmode: ${mode}\nroles: [{ name: deploy }]\n`,
  });
  /** An instant recorded recently enough that the incident (roles only: 12 h) is still active at NOW. */
  const recent = fc
    .integer({ min: Date.parse("2026-11-28T01:00:00Z") / 1000, max: Date.parse("2026-11-28T11:59:00Z") / 1000 })
    .map((s) => new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z"));
  const instant = fc
    .integer({ min: Date.parse("2010-01-01T00:00:00Z") / 1000, max: Date.parse("2026-11-28T11:59:00Z") / 1000 })
    .map((s) => new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z"));

  /** The role's live policy holds `liveInstant`; the simulator honours whatever the live policy says. */
  function iamWithLiveInstant(plan: ReturnType<typeof buildPlan>, liveInstant: string): LiveIam {
    const document = fillContainment(plan.denyPolicies[0].document, { "2026-11-28-ticket": liveInstant });
    const decisions = (actions: readonly string[], decision: Decision["decision"]) =>
      Object.fromEntries(
        actions.map((a) => [a, { decision, policies: decision === "explicitDeny" ? ["cordon-revoke-sessions"] : [] }]),
      );
    return {
      account: async () => "123456789012",
      user: async () => {
        throw new Error("no user");
      },
      role: async (name) => ({
        arn: `arn:aws:iam::123456789012:role/${name}`,
        policy: { state: "attached", document },
      }),
      keys: async () => ({}),
      credentials: async () => {
        throw new Error("no user");
      },
      simulate: async (_arn, actions, at) =>
        decisions(actions, plan.denyPolicies[0].mode === "deny-all" || at < liveInstant ? "explicitDeny" : "allowed"),
    };
  }

  it("whatever instant the live policy holds, a revoke-older-sessions incident is not proven without the record, and is checked against the record with it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(instant, recent), recent, async (live, recorded) => {
        const incidents = loadIncidents([atContainment("2026-11-28-ticket", "revoke-older-sessions")], {
          now: NOW,
        }).incidents;
        const plan = buildPlan(incidents);
        const without = await verifyContainment(iamWithLiveInstant(plan, live), plan, {}, NOW);
        expect(without.ok).toBe(false);
        expect(without.principals[0]).toMatchObject({ cutoff: null, cutoffSource: null });
        expect(without.principals[0].checks.filter((c) => !c.ok).map((c) => c.message)).toEqual([
          "cannot verify 2026-11-28-ticket: the containment instant is not known, and verify never takes it from the live policy, whose text anyone allowed to edit the policy could have changed",
        ]);
        const withRecord = await verifyContainment(
          iamWithLiveInstant(plan, live),
          buildPlan(incidents, { containment: { "2026-11-28-ticket": recorded } }),
          { "2026-11-28-ticket": recorded },
          NOW,
        );
        expect(withRecord.ok).toBe(live === recorded);
        expect(withRecord.principals[0]).toMatchObject({ cutoff: recorded, cutoffSource: "stack-outputs" });
      }),
      { numRuns: 50 },
    );
  });

  it("deny-all needs no instant: it denies whatever the instant", async () => {
    await fc.assert(
      fc.asyncProperty(instant, async (live) => {
        const incidents = loadIncidents([atContainment("2026-11-28-ticket", "deny-all")], { now: NOW }).incidents;
        const plan = buildPlan(incidents);
        const report = await verifyContainment(iamWithLiveInstant(plan, live), plan, {}, NOW);
        expect(report.ok).toBe(true);
        expect(report.principals[0].cutoffSource).toBeNull();
      }),
      { numRuns: 20 },
    );
  });
});

describe("a principal's questions are asked side by side (each is a round trip to IAM)", () => {
  const incidents = loadIncidents([file("current", "123456789012", "2026-11-28T10:00:00Z")], { now: NOW }).incidents;
  /** Answers a simulation once the event loop has turned (setImmediate: no timer), counting those in flight. */
  const counting = (answer: (actions: string[], tokenIssueTime: string) => Promise<Record<string, Decision>>) => {
    let inFlight = 0;
    let most = 0;
    const iam: LiveIam = {
      ...fakeIam("123456789012", []),
      simulate: async (_arn, actions, tokenIssueTime) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return answer([...actions], tokenIssueTime);
      },
    };
    return { iam, most: () => most };
  };

  it("the simulations before and after the cutoff are in flight together", async () => {
    const honest = fakeIam("123456789012", []);
    const { iam, most } = counting((actions, at) => honest.simulate("arn", actions, at));
    const report = await verifyContainment(iam, buildPlan(incidents), {}, NOW);
    expect(report.principals.map((p) => p.checks.every((c) => c.ok))).toEqual([true]);
    expect(most()).toBe(2);
  });

  it("when several fail, the run fails with the first in order (before the cutoff), whichever failed first in time", async () => {
    const { iam } = counting(async (_actions, at) => {
      if (at < "2026-11-28T10:00:00Z") {
        // The first question fails last.
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error("before: throttled");
      }
      throw new Error("after: access denied");
    });
    await expect(verifyContainment(iam, buildPlan(incidents), {}, NOW)).rejects.toThrow("before: throttled");
  });
});
