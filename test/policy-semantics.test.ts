/**
 * What cordon's policies mean, as an IAM evaluator that cordon did not write decides it
 * (@cloud-copilot/iam-simulate): sessions issued before the cutoff are explicitly denied, later
 * ones are not, long-term keys are denied only by deny-all, and replacement roles trust exactly
 * the declared principal.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadIncidentPaths } from "../incident/read.ts";
import { loadIncidents } from "../incident/load.ts";
import type { Incident } from "../incident/types.ts";
import { buildPlan, type DenyPolicy, type Plan, type ReplacementRolePlan } from "../plan/plan.ts";
import { fillContainment, pendingPlaceholders, type PolicyDocument } from "../plan/policies.ts";
import { decide, decideTrustUnvalidated } from "./support/iam-evaluator.ts";
import { GENERATED_NOW, incidentSet, toFiles } from "./support/generators.ts";

/** What the program records for at-containment incidents; any instant will do for the meaning. */
const CONTAINED_AT = "2026-11-28T11:30:00Z";

const ADMIN: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

const SAMPLE_REQUESTS = (account: string) => [
  { action: "s3:GetObject", resource: "arn:aws:s3:::customer-data/export.csv" },
  { action: "iam:CreateUser", resource: `arn:aws:iam::${account}:user/backdoor` },
  { action: "ec2:DescribeInstances", resource: "*" },
];

function principalArn(policy: DenyPolicy): string {
  // A role's requests come from its sessions; a user's from the user (long-term key or session token).
  return policy.principal.type === "user"
    ? `arn:aws:iam::${policy.account}:user/${policy.principal.name}`
    : `arn:aws:sts::${policy.account}:assumed-role/${policy.principal.name}/attacker-session`;
}

/** The instant that separates denied from allowed sessions: the latest cutoff in the document. */
function effectiveCutoff(document: PolicyDocument): number | undefined {
  const instants = document.Statement.map((s) => s.Condition?.DateLessThan?.["aws:TokenIssueTime"]).filter(
    (v): v is string => typeof v === "string",
  );
  return instants.length === 0 ? undefined : Math.max(...instants.map((v) => Date.parse(v)));
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

async function checkDenyPolicy(policy: DenyPolicy, containment: Record<string, string>): Promise<void> {
  const document = fillContainment(policy.document, containment);
  expect(pendingPlaceholders(document)).toEqual([]);
  const cutoff = effectiveCutoff(document);
  for (const sample of SAMPLE_REQUESTS(policy.account)) {
    const request = { ...sample, principal: principalArn(policy), account: policy.account };
    const at = (context: Record<string, string>) => decide([ADMIN, document], { ...request, context });
    if (policy.mode === "deny-all") {
      expect(cutoff).toBeUndefined();
      expect(await at({})).toBe("ExplicitlyDenied");
      expect(await at({ "aws:TokenIssueTime": "2026-11-28T23:59:59Z" })).toBe("ExplicitlyDenied");
    } else {
      expect(cutoff).toBeDefined();
      expect(await at({ "aws:TokenIssueTime": iso(cutoff! - 1000) })).toBe("ExplicitlyDenied");
      expect(await at({ "aws:TokenIssueTime": iso(cutoff! + 1000) })).toBe("Allowed");
      // A long-term key carries no aws:TokenIssueTime: only disabling the key stops it.
      expect(await at({})).toBe("Allowed");
    }
  }
}

function containmentOf(incidents: Incident[]): Record<string, string> {
  return Object.fromEntries(incidents.filter((i) => i.cutoff === "at-containment").map((i) => [i.id, CONTAINED_AT]));
}

describe("deny policies of the examples and fixtures", () => {
  const sets: [string, Incident[]][] = [
    ["examples/incidents", loadIncidentPaths(["examples/incidents"], process.cwd(), GENERATED_NOW).incidents],
    ["test/fixtures/valid", loadIncidentPaths(["test/fixtures/valid"], process.cwd(), GENERATED_NOW).incidents],
  ];

  it.each(sets)(
    "%s: each principal's older sessions are explicitly denied, newer ones are not",
    async (_, incidents) => {
      expect(incidents.length).toBeGreaterThan(0);
      const plan = buildPlan(incidents);
      expect(plan.denyPolicies.length).toBeGreaterThan(0);
      for (const policy of plan.denyPolicies) await checkDenyPolicy(policy, containmentOf(incidents));
    },
  );

  it("the latest cutoff among a principal's incidents wins: an earlier incident's sessions stay denied", async () => {
    const incidents = loadIncidentPaths(["examples/incidents"], process.cwd(), GENERATED_NOW).incidents;
    const deploy = buildPlan(incidents).denyPolicies.find((p) => p.principal.name === "deploy")!;
    const document = fillContainment(deploy.document, { "2026-11-28-key-in-ticket": CONTAINED_AT });
    const request = {
      principal: principalArn(deploy),
      action: "s3:GetObject",
      resource: "arn:aws:s3:::b/k",
      account: deploy.account,
    };
    // Between the explicit cutoff (10:00) and the containment (11:30): denied by the later incident.
    expect(
      await decide([ADMIN, document], { ...request, context: { "aws:TokenIssueTime": "2026-11-28T10:30:00Z" } }),
    ).toBe("ExplicitlyDenied");
    expect(
      await decide([ADMIN, document], { ...request, context: { "aws:TokenIssueTime": "2026-11-28T11:30:01Z" } }),
    ).toBe("Allowed");
  });
});

describe("deny policies of generated incidents", () => {
  it("deny before the cutoff, allow after, and deny long-term keys only in deny-all", async () => {
    await fc.assert(
      fc.asyncProperty(incidentSet, async (generated) => {
        const { incidents, errors } = loadIncidents(toFiles(generated), { now: GENERATED_NOW });
        expect(errors).toEqual([]);
        for (const policy of buildPlan(incidents).denyPolicies) await checkDenyPolicy(policy, containmentOf(incidents));
      }),
      { numRuns: 25 },
    );
  });
});

describe("trust policies of replacement roles allow exactly the declared principal", () => {
  const plan: Plan = buildPlan([
    ...loadIncidentPaths(["examples/incidents"], process.cwd(), GENERATED_NOW).incidents,
    ...loadIncidentPaths(["test/fixtures/valid"], process.cwd(), GENERATED_NOW).incidents,
  ]);
  const role = (name: string): ReplacementRolePlan => plan.replacementRoles.find((r) => r.name === name)!;
  const roleArn = (r: ReplacementRolePlan) => `arn:aws:iam::${r.account}:role/${r.name}`;
  const assume = (r: ReplacementRolePlan, principal: string, identity: PolicyDocument[] = []) =>
    decide(
      identity,
      { principal, action: "sts:AssumeRole", resource: roleArn(r), account: r.account },
      r.assumeRolePolicy,
    );
  const canAssume: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
  };

  it.each([
    ["the declared ref", "ci-deployer-oidc", "repo:example/app:ref:refs/heads/main", "sts.amazonaws.com", "Allowed"],
    [
      "another branch",
      "ci-deployer-oidc",
      "repo:example/app:ref:refs/heads/feature",
      "sts.amazonaws.com",
      "ImplicitlyDenied",
    ],
    ["a pull request", "ci-deployer-oidc", "repo:example/app:pull_request", "sts.amazonaws.com", "ImplicitlyDenied"],
    [
      "another repository",
      "ci-deployer-oidc",
      "repo:attacker/app:ref:refs/heads/main",
      "sts.amazonaws.com",
      "ImplicitlyDenied",
    ],
    [
      "another audience",
      "ci-deployer-oidc",
      "repo:example/app:ref:refs/heads/main",
      "attacker.example",
      "ImplicitlyDenied",
    ],
    [
      "the declared environment",
      "reports-from-prod-env",
      "repo:example/reports:environment:prod",
      "sts.amazonaws.com",
      "Allowed",
    ],
    [
      "another environment",
      "reports-from-prod-env",
      "repo:example/reports:environment:staging",
      "sts.amazonaws.com",
      "ImplicitlyDenied",
    ],
  ])("GitHub OIDC, %s", (_, name, sub, aud, expected) => {
    const r = role(name);
    const provider = `arn:aws:iam::${r.account}:oidc-provider/token.actions.githubusercontent.com`;
    const context = { "token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud };
    expect(
      decideTrustUnvalidated(r.assumeRolePolicy, {
        principal: provider,
        action: "sts:AssumeRoleWithWebIdentity",
        resource: roleArn(r),
        account: r.account,
        context,
      }),
    ).toBe(expected);
  });

  it("GitHub OIDC: another identity provider is not trusted", () => {
    const r = role("ci-deployer-oidc");
    const context = {
      "token.actions.githubusercontent.com:sub": "repo:example/app:ref:refs/heads/main",
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
    };
    const other = `arn:aws:iam::${r.account}:oidc-provider/gitlab.com`;
    expect(
      decideTrustUnvalidated(r.assumeRolePolicy, {
        principal: other,
        action: "sts:AssumeRoleWithWebIdentity",
        resource: roleArn(r),
        account: r.account,
        context,
      }),
    ).toBe("ImplicitlyDenied");
  });

  it.each([
    ["ec2.amazonaws.com", "Allowed"],
    ["lambda.amazonaws.com", "ImplicitlyDenied"],
  ])("service trust: %s is %s", async (service, expected) => {
    expect(await assume(role("backup-instance"), service)).toBe(expected);
  });

  it.each([
    ["the declared cross-account role", "arn:aws:iam::210987654321:role/builder", "Allowed"],
    ["another role of that account", "arn:aws:iam::210987654321:role/intern", "ImplicitlyDenied"],
    ["a role of this account", "arn:aws:iam::123456789012:role/deploy", "ImplicitlyDenied"],
  ])("principals trust: %s", async (_, principal, expected) => {
    expect(await assume(role("dana-from-builder"), principal, [canAssume])).toBe(expected);
  });

  it.each([
    ["a declared role", "arn:aws:iam::444455556666:role/scheduler", "Allowed"],
    ["a principal of the declared account root", "arn:aws:iam::111122223333:role/etl-operator", "Allowed"],
    ["an undeclared account", "arn:aws:iam::999999999999:role/scheduler", "ImplicitlyDenied"],
  ])("principals trust with an account root: %s", async (_, principal, expected) => {
    expect(await assume(role("etl-v2"), principal, [canAssume])).toBe(expected);
  });
});
