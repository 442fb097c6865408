/**
 * verify's reads and decisions over a fake IAM (verifyContainment over LiveIam): which incidents
 * are checked, in which account, and what is read for each principal. test/verify.test.ts runs the
 * same code against moto through aws/iam.ts.
 */
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import { buildPlan } from "../plan/plan.ts";
import type { Decision } from "../verify/checks.ts";
import { verifyContainment, type LiveIam } from "../verify/verify.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const file = (id: string, account: string, cutoff: string) => ({
  path: `incidents/${id}.yaml`,
  text: `id: ${id}\ntitle: t\naccount: "${account}"\ncutoff: ${cutoff}\nroles: [{ name: deploy }]\n`,
});

/** A role whose cordon policy is the planned one, and a simulator that honours the cutoff. */
function fakeIam(account: string, reads: string[]): LiveIam {
  const decisions = (actions: readonly string[], decision: Decision["decision"]) => Object.fromEntries(actions.map((a) => [a, { decision, policies: decision === "explicitDeny" ? ["cordon-revoke-sessions"] : [] }]));
  const plan = buildPlan(loadIncidents([file("current", account, "2026-11-28T10:00:00Z")], { now: NOW }).incidents);
  return {
    account: async () => account,
    user: async () => {
      throw new Error("no user in these incidents");
    },
    role: async (name, policyName) => {
      reads.push(`role ${name} ${policyName}`);
      return { arn: `arn:aws:iam::${account}:role/${name}`, policy: { state: "attached", document: plan.denyPolicies[0].document } };
    },
    keys: async () => ({}),
    simulate: async (_arn, actions, tokenIssueTime) => {
      reads.push(`simulate ${tokenIssueTime}`);
      return decisions(actions, tokenIssueTime < "2026-11-28T10:00:00Z" ? "explicitDeny" : "allowed");
    },
  };
}

describe("verifyContainment", () => {
  it("checks the active incidents of the credentials' account, and names the others", async () => {
    const incidents = loadIncidents(
      [file("current", "123456789012", "2026-11-28T10:00:00Z"), file("expired", "123456789012", "2026-11-26T10:00:00Z"), file("elsewhere", "210987654321", "2026-11-28T10:00:00Z")],
      { now: NOW },
    ).incidents;
    const reads: string[] = [];
    const report = await verifyContainment(fakeIam("123456789012", reads), buildPlan(incidents), {}, NOW);
    expect(reads).toEqual(["role deploy cordon-revoke-sessions", "simulate 2026-11-28T09:59:00Z", "simulate 2026-11-28T10:01:00Z"]);
    expect(report).toMatchObject({ account: "123456789012", ok: true, incidents: ["current"], notChecked: [{ incident: "elsewhere", account: "210987654321" }] });
    expect(report.principals.map((p) => [p.name, p.cutoff, p.cutoffSource, p.checks.map((c) => `${c.check} ${c.ok}`)])).toEqual([
      ["deploy", "2026-11-28T10:00:00Z", "incident", ["deny-attached true", "document-matches true", "denied-before-cutoff true", "after-cutoff true"]],
    ]);
  });
});
