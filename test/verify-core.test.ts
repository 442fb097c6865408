/**
 * verify's pure core: how a live document is compared with the planned one (as IAM reads them),
 * that a containment instant is never read back from it, and which instant a principal's
 * sessions are revoked before.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderVerify } from "../commands/verify.ts";
import {
  compareDocuments,
  type Check,
  keyChecks,
  PASSWORD_KEPT,
  principalCutoff,
  SIMULATED_ACTIONS,
  simulationChecks,
  tokenChecks,
} from "../verify/checks.ts";
import type { Decision } from "../verify/checks.ts";
import type { DenyPolicy } from "../plan/plan.ts";
import type { OrganizationPolicyPlan } from "../plan/organization.ts";
import { guardrailChecks, type LiveGuardrail } from "../verify/organization.ts";
import type { VerifyReport } from "../verify/verify.ts";
import type { PolicyDocument, PolicyDocument as Document, PolicyStatement as Statement } from "../plan/policies.ts";

const ACCOUNT = "123456789012";

describe("compareDocuments", () => {
  const planned: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "A",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-11-28T10:00:00Z" } },
      },
      {
        Sid: "B",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:TokenIssueTime": "{{containment:2026-11-28-key-in-ticket}}" } },
      },
    ],
  };
  const live = (b: string, extra: Statement[] = []): Document => ({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "B",
        Effect: "Deny" as const,
        Action: ["*"],
        Resource: "*",
        Condition: { DateLessThan: { "aws:tokenissuetime": b } },
      },
      {
        Sid: "A",
        Effect: "Deny" as const,
        Action: "*",
        Resource: ["*"],
        Condition: { DateLessThan: { "aws:TokenIssueTime": ["2026-11-28T10:00:00.000Z"] } },
      },
      ...extra,
    ],
  });

  it("never takes the containment instant from the live policy: without the record it is unknown, whatever the policy says", () => {
    for (const instant of ["2026-11-28T11:30:00+00:00", "2016-01-01T00:00:00Z"]) {
      expect(compareDocuments(planned, live(instant))).toEqual({
        differences: [],
        unknownInstants: ["2026-11-28-key-in-ticket"],
      });
    }
  });

  it("compares against the recorded instant", () => {
    expect(
      compareDocuments(planned, live("2026-11-28T11:30:00Z"), { "2026-11-28-key-in-ticket": "2026-11-28T11:30:00Z" }),
    ).toEqual({ differences: [], unknownInstants: [] });
    expect(
      compareDocuments(planned, live("2016-01-01T00:00:00Z"), { "2026-11-28-key-in-ticket": "2026-11-28T11:30:00Z" })
        .differences,
    ).toHaveLength(1);
  });

  it.each([
    [
      "an extra statement",
      live("2026-11-28T11:30:00Z", [{ Sid: "Extra", Effect: "Allow", Action: "*", Resource: "*" }]),
      ["statement Extra is not in the plan"],
    ],
    [
      "a statement without Sid",
      live("2026-11-28T11:30:00Z", [{ Effect: "Allow", Action: "*", Resource: "*" }]),
      ["a statement without Sid is not in the plan"],
    ],
    [
      "a missing statement",
      { Version: "2012-10-17", Statement: [(live("2026-11-28T11:30:00Z").Statement as Statement[])[1]] },
      ["statement B is missing"],
    ],
    [
      "a statement repeated",
      live("2026-11-28T11:30:00Z", [
        {
          Sid: "A",
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-11-28T10:00:00Z" } },
        },
      ]),
      ["3 statements, planned 2"],
    ],
    [
      "another Version",
      { ...live("2026-11-28T11:30:00Z"), Version: "2008-10-17" },
      ['Version is "2008-10-17", planned "2012-10-17"'],
    ],
  ])("reports %s", (_name, document, differences) => {
    expect(compareDocuments(planned, document).differences).toEqual(differences);
  });

  it("a placeholder whose live value is not an instant stays unresolved and differs", () => {
    const result = compareDocuments(planned, live("soon"));
    expect(result.unknownInstants).toEqual(["2026-11-28-key-in-ticket"]);
    expect(result.differences).toEqual([
      'statement B differs: found {"Action":["*"],"Condition":{"DateLessThan":{"aws:tokenissuetime":["soon"]}},"Effect":"Deny","Resource":["*"],"Sid":"B"}, planned {"Action":["*"],"Condition":{"DateLessThan":{"aws:tokenissuetime":["{{containment:2026-11-28-key-in-ticket}}"]}},"Effect":"Deny","Resource":["*"],"Sid":"B"}',
    ]);
  });
});

describe("principalCutoff", () => {
  const deny = (document: PolicyDocument, mode: DenyPolicy["mode"] = "revoke-older-sessions"): DenyPolicy => ({
    account: ACCOUNT,
    principal: { type: "role", name: "deploy" },
    incidents: ["a", "b"],
    mode,
    document,
    pendingContainment: [],
    attachment: "inline",
    policyName: "cordon-revoke-sessions",
    resourceName: "x",
  });
  const statement = (instant: string) => ({
    Effect: "Deny" as const,
    Action: "*",
    Resource: "*",
    Condition: { DateLessThan: { "aws:TokenIssueTime": instant } },
  });

  it("is the latest instant of the document, placeholders filled", () => {
    const document: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [statement("2026-11-28T10:00:00Z"), statement("{{containment:2026-11-28-b}}")],
    };
    expect(principalCutoff(deny(document), { "2026-11-28-b": "2026-11-28T11:30:00Z" }, [])).toBe(
      "2026-11-28T11:30:00Z",
    );
    expect(principalCutoff(deny(document), { "2026-11-28-b": "2026-11-28T09:30:00Z" }, [])).toBe(
      "2026-11-28T10:00:00Z",
    );
  });

  it("is unknown while a placeholder is not filled", () => {
    const document: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [statement("2026-11-28T10:00:00Z"), statement("{{containment:2026-11-28-b}}")],
    };
    expect(principalCutoff(deny(document), {}, [])).toBeNull();
  });

  it("deny-all: the latest known incident cutoff", () => {
    const document: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Sid: "CordonDenyAll", Effect: "Deny", Action: "*", Resource: "*" }],
    };
    expect(
      principalCutoff(deny(document, "deny-all"), {}, [
        "2026-11-28T10:00:00Z",
        "at-containment",
        "2026-11-27T10:00:00Z",
      ]),
    ).toBe("2026-11-28T10:00:00Z");
    expect(principalCutoff(deny(document, "deny-all"), {}, ["at-containment"])).toBeNull();
  });
});

describe("keyChecks", () => {
  it.each([
    [
      "Inactive",
      {
        check: "key-inactive",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        status: "Inactive",
        ok: true,
        message: "AKIAIOSFODNN7EXAMPLE is Inactive",
      },
    ],
    [
      "Active",
      {
        check: "key-inactive",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        status: "Active",
        ok: false,
        message: "AKIAIOSFODNN7EXAMPLE is Active",
        fix: "run `pulumi up --refresh` to disable it again; CloudTrail (UpdateAccessKey) says who enabled it",
      },
    ],
  ])("a key that is %s", (status, check) => {
    expect(
      keyChecks("ci-deployer", { AKIAIOSFODNN7EXAMPLE: { status, lastUsed: null } }, "2026-11-28T10:00:00Z"),
    ).toEqual({ checks: [check], warnings: [] });
  });

  it.each([
    [
      "deleted (IAM has no such key)",
      { status: null, lastUsed: null, owner: null },
      {
        check: "key-inactive",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        status: "deleted",
        ok: true,
        message: "AKIAIOSFODNN7EXAMPLE was deleted (IAM no longer has it): contained",
      },
    ],
    [
      "another user's",
      { status: null, lastUsed: null, owner: "svc-backup" },
      {
        check: "key-inactive",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        status: null,
        ok: false,
        message: "AKIAIOSFODNN7EXAMPLE is not a key of user ci-deployer: IAM names user svc-backup as its owner",
        fix: "list the key under user svc-backup in the incident file",
      },
    ],
  ])("a key that is %s", (_name, live, check) => {
    expect(keyChecks("ci-deployer", { AKIAIOSFODNN7EXAMPLE: live }, "2026-11-28T10:00:00Z")).toEqual({
      checks: [check],
      warnings: [],
    });
  });

  it.each([
    ["after the cutoff: warned", "2026-11-28T10:00:01Z", 1],
    ["at the cutoff: not warned", "2026-11-28T10:00:00Z", 0],
    ["before the cutoff: not warned", "2026-11-28T09:00:00Z", 0],
  ])("a key last used %s", (_name, lastUsed, warnings) => {
    expect(
      keyChecks("ci-deployer", { AKIAIOSFODNN7EXAMPLE: { status: "Inactive", lastUsed } }, "2026-11-28T10:00:00Z")
        .warnings,
    ).toHaveLength(warnings);
  });

  it("cannot judge the last use while the cutoff is unknown", () => {
    expect(
      keyChecks("ci-deployer", { AKIAIOSFODNN7EXAMPLE: { status: "Inactive", lastUsed: "2026-11-28T10:20:00Z" } }, null)
        .warnings,
    ).toEqual([]);
  });
});

describe("simulationChecks", () => {
  const policy = (mode: DenyPolicy["mode"]): DenyPolicy => ({
    account: ACCOUNT,
    principal: { type: "user", name: "ci-deployer" },
    incidents: ["a"],
    mode,
    document: { Version: "2012-10-17", Statement: [] },
    pendingContainment: [],
    attachment: "managed",
    policyName: "cordon-revoke-sessions-ci-deployer",
    resourceName: "x",
  });
  /** The simulator's answer for every sampled action, as IAM gives one per action asked. */
  const all = (decision: Decision["decision"], policies: string[] = []): Record<string, Decision> =>
    Object.fromEntries(SIMULATED_ACTIONS.map((action) => [action, { decision, policies }]));
  const each = (decision: Decision["decision"]) =>
    Object.fromEntries([...SIMULATED_ACTIONS].sort().map((action) => [action, decision]));

  /** The after-cutoff check of a revoke-older-sessions policy whose tokens before the cutoff are denied. */
  const afterCutoff = (after: Parameters<typeof simulationChecks>[3]) =>
    simulationChecks(policy("revoke-older-sessions"), "2026-11-28T10:00:00Z", all("explicitDeny"), after)[1];

  it("after the cutoff, a deny from another policy (AWS's quarantine) is not cordon's", () => {
    const after = {
      ...all("allowed"),
      "iam:CreateUser": { decision: "explicitDeny" as const, policies: ["AWSCompromisedKeyQuarantineV3"] },
    };
    const check = afterCutoff(after);
    expect(check).toMatchObject({
      check: "after-cutoff",
      ok: true,
      message: "a token issued at 2026-11-28T10:01:00Z is not denied by cordon's policy",
    });
  });

  it("after the cutoff, a deny from cordon's managed policy (named by its ARN) is cordon's", () => {
    const after = all("explicitDeny", ["arn:aws:iam::123456789012:policy/cordon/cordon-revoke-sessions-ci-deployer"]);
    const check = afterCutoff(after);
    expect(check).toMatchObject({
      ok: false,
      message: `a token issued at 2026-11-28T10:01:00Z is denied by cordon's policy for ${[...SIMULATED_ACTIONS].sort().join(", ")}`,
    });
  });

  it("deny-all: a token issued after the cutoff that is not denied fails", () => {
    const checks = simulationChecks(policy("deny-all"), "2026-11-28T10:00:00Z", all("explicitDeny"), all("allowed"));
    expect(checks).toEqual([
      {
        check: "denied-before-cutoff",
        ok: true,
        message: `a token issued at 2026-11-28T09:59:00Z is explicitly denied for ${SIMULATED_ACTIONS.length} sampled actions`,
        tokenIssueTime: "2026-11-28T09:59:00Z",
        decisions: each("explicitDeny"),
      },
      {
        check: "after-cutoff",
        ok: false,
        message: `deny-all: a token issued at 2026-11-28T10:01:00Z is not explicitly denied for ${[...SIMULATED_ACTIONS]
          .sort()
          .map((action) => `${action} (allowed)`)
          .join(", ")}`,
        fix: "run `pulumi up --refresh`, then verify again",
        tokenIssueTime: "2026-11-28T10:01:00Z",
        decisions: each("allowed"),
      },
    ]);
  });

  it("an answer that leaves out sampled actions proves nothing for them: each missing one fails the deny (empty, partial, any subset)", () => {
    fc.assert(
      fc.property(fc.subarray([...SIMULATED_ACTIONS], { maxLength: SIMULATED_ACTIONS.length - 1 }), (answered) => {
        const partial = Object.fromEntries(
          answered.map((action) => [action, { decision: "explicitDeny" as const, policies: [] }]),
        );
        const missing = SIMULATED_ACTIONS.filter((action) => !answered.includes(action)).sort();
        for (const mode of ["revoke-older-sessions", "deny-all"] as const) {
          const [before] = simulationChecks(policy(mode), "2026-11-28T10:00:00Z", partial, all("explicitDeny"));
          expect(before).toMatchObject({
            check: "denied-before-cutoff",
            ok: false,
            message: `a token issued at 2026-11-28T09:59:00Z is not explicitly denied for ${missing.map((action) => `${action} (no answer)`).join(", ")}`,
          });
        }
        const token = tokenChecks("session-token-denied", "2026-11-28T09:00:00Z", partial);
        expect(token.ok).toBe(false);
        expect(token.message).toContain(`${missing[0]} (no answer)`);
      }),
    );
  });
});

describe("verify's line for a principal", () => {
  const report = (name: string, password: Check): VerifyReport => ({
    account: "123456789012",
    now: "2026-11-28T12:00:00Z",
    ok: password.ok,
    incidents: ["a"],
    principals: [
      {
        type: "user",
        name,
        arn: `arn:aws:iam::123456789012:user/${name}`,
        incidents: ["a"],
        mode: "revoke-older-sessions",
        policyName: `cordon-revoke-sessions-${name}`,
        policyArn: null,
        cutoff: "2026-11-28T10:00:00Z",
        cutoffSource: "incident",
        ok: password.ok,
        checks: [password],
        warnings: [],
      },
    ],
    guardrails: [],
    notChecked: [],
  });

  it("says what became of the console password from the check, whatever the user's name holds (kept, keep)", () => {
    for (const name of ["ci-deployer", "kept", "keep-kept", "kept.consolePassword"]) {
      const none = { check: "console-password" as const, ok: true, message: `user ${name} has no console password` };
      const kept = { ...none, message: `user ${name}'s console password is kept ${PASSWORD_KEPT}` };
      const present = { ...none, ok: false, message: `user ${name} has a console password, which no incident keeps` };
      expect(renderVerify(report(name, none))).toContain("console password none ✓");
      expect(renderVerify(report(name, kept))).toContain("console password kept ✓");
      expect(renderVerify(report(name, present))).toContain("console password present ✗");
    }
  });
});

describe("guardrailChecks: a cordon guardrail the plan does not have", () => {
  const deny = { Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Deny", Action: "*", Resource: "*" }] };
  const plannedOne: OrganizationPolicyPlan = {
    kind: "scp",
    name: "cordon-scp-0000000a",
    targets: ["r-abcd"],
    incidents: ["2026-11-28-a"],
    document: deny as OrganizationPolicyPlan["document"],
    pendingContainment: [],
  };
  const live = (name: string, document: unknown): LiveGuardrail => ({
    kind: "scp",
    name,
    id: `p-${name.slice(-4)}`,
    document: document as LiveGuardrail["document"],
    targets: ["r-abcd"],
  });
  const extra = (planned: OrganizationPolicyPlan[], document: unknown) =>
    guardrailChecks(planned, [live("cordon-scp-0000000a", deny), live("cordon-scp-0000000b", document)], {}).find(
      (r) => r.name === "cordon-scp-0000000b",
    );

  it("passes, said, when every planned one is in place and it only denies: a replaced document kept one run", () => {
    expect(extra([plannedOne], deny)).toMatchObject({ ok: true, checks: [{ check: "guardrail-planned", ok: true }] });
  });

  it("fails when it allows anything or is not a policy document: cordon's only deny", () => {
    const allow = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
    for (const document of [allow, null, { Version: "2012-10-17", Statement: [] }]) {
      const report = extra([plannedOne], document);
      expect(report?.ok).toBe(false);
      expect(report?.checks[0].message).toContain("it is not a document of denies only");
    }
  });

  it("fails when no guardrail is planned at all: the run that removes the last incident deletes every one", () => {
    const reports = guardrailChecks([], [live("cordon-scp-0000000b", deny)], {});
    expect(reports).toMatchObject([{ ok: false, checks: [{ check: "guardrail-planned", ok: false }] }]);
    expect(reports[0].checks[0].message).toContain("a pulumi up has not run since the incidents changed");
  });
});
