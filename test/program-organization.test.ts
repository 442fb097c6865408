/**
 * The program at organization scale, under mocks (issue 11, "Done when"): each account's stack
 * declares exactly its share of a multi-account incident, and only the stack configured with
 * `cordon:organization` declares the SCP and RCP, after checking with Organizations that the
 * policy types are enabled and each target has room. The checks run against a table here
 * (FakeCloud) and against moto's Organizations (which enforces none of them: cordon does) below.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AttachPolicyCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DescribeOrganizationCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { actionOfCommand as actionOf, awsClients } from "../aws/clients.ts";
import { deployIam } from "../aws/deploy.ts";
import { deployOrganizations, programOrganizationsPermissions } from "../aws/organizations.ts";
import { deploy, PROGRAM_SAID_WHY, UNREAD_STATE_MESSAGE } from "../program/deploy.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import type { StackOutputs } from "../plan/outputs.ts";
import { buildPlan } from "../plan/plan.ts";
import { fillContainment, sidPart } from "../plan/policies.ts";
import { motoForSuite, type Moto } from "./support/moto.ts";
import {
  declared,
  EXAMPLE_ACCOUNT,
  EXAMPLE_KEYS,
  EXAMPLE_ROLES,
  FakeCloud,
  MotoCloud,
  projectTempDir,
  resource,
  runProgram,
  type ProgramRun,
} from "./support/pulumi-mocks.ts";

const EXAMPLES = "examples/incidents";
const MANAGEMENT = "999999999999";
const ORGANIZATION = JSON.stringify({ targets: ["r-abcd"], managementAccount: MANAGEMENT });
const NOW = new Date("2026-11-28T12:00:00Z");
const CONTAINED_AT = "2026-11-28T12:26:00Z";
const CROSS = "2026-11-28-build-key-cross-account";

/** The account's IAM as the examples expect it: its users own their keys, its roles exist. */
function cloudOf(account: string): FakeCloud {
  const keys: Record<string, Record<string, string[]>> = {
    "111111111111": { "build-bot": ["AKIAQ3EGKB4TBUILDB0T"] },
    [EXAMPLE_ACCOUNT]: { ...EXAMPLE_KEYS },
  };
  const roles: Record<string, string[]> = {
    [EXAMPLE_ACCOUNT]: [...EXAMPLE_ROLES],
    "444444444444": ["data-loader"],
    "555555555555": ["OrganizationAccountAccessRole"],
    [MANAGEMENT]: ["audit-reader"],
  };
  return new FakeCloud({
    account,
    accessKeys: keys[account] ?? {},
    roles: roles[account] ?? [],
    now: new Date(CONTAINED_AT),
  });
}

function up(cloud: FakeCloud, config: Record<string, string> = {}, incidentsDir = EXAMPLES): Promise<ProgramRun> {
  return runProgram(() => deploy(cloud.iam, cloud.organizations), {
    cloud,
    config: { "cordon:account": cloud.account, "cordon:incidentsDir": incidentsDir, ...config },
  });
}

/**
 * A cloud whose organization stack's state holds a guardrail policy (what an earlier `pulumi up`
 * that created and attached it to r-abcd leaves), read back through the engine's builtin invokes.
 */
function ownGuardrail(cloud: FakeCloud, policy: { name: string; id: string; type: string; content?: string }): void {
  const stack = `prod-${MANAGEMENT}`;
  const parent = "cordon:organizations:OrganizationGuardrail";
  cloud.otherStacks[stack] = { account: MANAGEMENT };
  cloud.stackResources[stack] = {
    ...cloud.stackResources[stack],
    [`urn:pulumi:${stack}::cordon::${parent}$aws:organizations/policy:Policy::${policy.name}`]: {
      type: "aws:organizations/policy:Policy",
      outputs: {
        id: policy.id,
        name: policy.name,
        type: policy.type,
        content: policy.content ?? '{"Version":"2012-10-17","Statement":[]}',
      },
    },
    [`urn:pulumi:${stack}::cordon::${parent}$aws:organizations/policyAttachment:PolicyAttachment::${policy.name}-r-abcd`]:
      {
        type: "aws:organizations/policyAttachment:PolicyAttachment",
        outputs: { policyId: policy.id, targetId: "r-abcd" },
      },
  };
}

const guardrailTypes = [
  "cordon:organizations:OrganizationGuardrail",
  "aws:organizations/policy:Policy",
  "aws:organizations/policyAttachment:PolicyAttachment",
];
const isGuardrail = (line: string) => guardrailTypes.some((type) => line.startsWith(`${type} `));

describe("each account's stack declares exactly its share", () => {
  it.each([
    [
      "111111111111",
      [
        "cordon:iam:DisabledAccessKey 111111111111-build-bot-AKIAQ3EGKB4TBUILDB0T",
        "cordon:iam:SessionRevocation 111111111111-user-build-bot",
      ],
    ],
    ["444444444444", ["cordon:iam:SessionRevocation 444444444444-role-data-loader"]],
    ["555555555555", ["cordon:iam:SessionRevocation 555555555555-role-OrganizationAccountAccessRole"]],
  ])("account %s: its principals' denies and keys, no guardrail", async (account, components) => {
    const run = await up(cloudOf(account));
    expect(run.error).toBeUndefined();
    expect(declared(run).filter((line) => line.startsWith("cordon:"))).toEqual(components);
    expect(declared(run).some(isGuardrail)).toBe(false);
    expect(run.infos).toContain(
      `the organization guardrails of ${CROSS} are the organization stack's to declare (cordon:organization), not this one's`,
    );
    // The whole incident in the outputs, with every principal's account: status and guard read them.
    expect((run.outputs as unknown as StackOutputs).incidents[CROSS]).toMatchObject({
      account: "111111111111",
      organization: { scp: true, rcp: true },
      identityCenterUsers: ["906747e8d1-6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a"],
    });
  });

  it("the examples' account keeps exactly what it declared before: the other accounts' shares are not its own", async () => {
    const run = await up(cloudOf("123456789012"));
    expect(run.error).toBeUndefined();
    expect(declared(run).some((line) => /111111111111|444444444444|555555555555|999999999999/.test(line))).toBe(false);
    expect(Object.keys((run.outputs as unknown as StackOutputs).incidents)).not.toContain(CROSS);
  });
});

describe("the organization stack", () => {
  it("declares its own account's share, and one SCP and one RCP attached to each target", async () => {
    const run = await up(cloudOf(MANAGEMENT), { "cordon:organization": ORGANIZATION });
    expect(run.error).toBeUndefined();
    const plan = buildPlan(loadIncidentPaths([EXAMPLES], process.cwd(), NOW).incidents, {
      account: MANAGEMENT,
      organization: { targets: ["r-abcd"], managementAccount: MANAGEMENT },
    });
    const [scp, rcp] = plan.organizationPolicies;
    expect(
      declared(run)
        .filter((line) => line.startsWith("cordon:") || isGuardrail(line))
        .sort(),
    ).toEqual(
      [
        `cordon:iam:SessionRevocation ${MANAGEMENT}-role-audit-reader`,
        `cordon:organizations:OrganizationGuardrail ${scp.name}`,
        `aws:organizations/policy:Policy ${scp.name}`,
        `aws:organizations/policyAttachment:PolicyAttachment ${scp.name}-r-abcd`,
        `cordon:organizations:OrganizationGuardrail ${rcp.name}`,
        `aws:organizations/policy:Policy ${rcp.name}`,
        `aws:organizations/policyAttachment:PolicyAttachment ${rcp.name}-r-abcd`,
      ].sort(),
    );
    for (const policy of [scp, rcp]) {
      const declaredPolicy = resource(run, "aws:organizations/policy:Policy", policy.name);
      expect(declaredPolicy.inputs).toEqual({
        name: policy.name,
        type: policy.kind === "scp" ? "SERVICE_CONTROL_POLICY" : "RESOURCE_CONTROL_POLICY",
        description:
          "cordon: denies the principals of active incidents (see each statement's id); managed by Pulumi, do not edit",
        content: JSON.stringify(policy.document),
      });
      // Removing an incident removes its guardrail entries: nothing here is retained.
      expect(declaredPolicy.retainOnDelete).toBe(false);
      const attachment = resource(run, "aws:organizations/policyAttachment:PolicyAttachment", `${policy.name}-r-abcd`);
      expect(attachment.inputs).toEqual({ policyId: `p-${policy.name.replace(/^cordon-/, "")}`, targetId: "r-abcd" });
      expect(attachment.retainOnDelete).toBe(false);
    }
    // SCPs do not reach the management account: its role is left out of the SCP, kept in the RCP.
    expect(String(resource(run, "aws:organizations/policy:Policy", scp.name).inputs.content)).not.toContain(
      `arn:aws:iam::${MANAGEMENT}:role/audit-reader`,
    );
    expect(String(resource(run, "aws:organizations/policy:Policy", rcp.name).inputs.content)).toContain(
      `arn:aws:iam::${MANAGEMENT}:role/audit-reader`,
    );
    expect((run.outputs as unknown as StackOutputs).organization).toEqual({
      targets: ["r-abcd"],
      managementAccount: MANAGEMENT,
      policies: [
        { kind: "scp", name: scp.name, incidents: [CROSS] },
        { kind: "rcp", name: rcp.name, incidents: [CROSS] },
      ],
    });
  });

  /** An incident folder holding `later`: at-containment, a role of account 444444444444, the SCP. */
  async function withLaterIncident(test: (dir: string) => Promise<void>): Promise<void> {
    const dir = projectTempDir("cordon-org-");
    try {
      writeFileSync(
        join(dir, "later.yaml"),
        [
          "id: later",
          "title: t",
          'account: "444444444444"',
          "cutoff: at-containment",
          "roles: [{ name: data-loader }]",
          "organization: { scp: true }",
          "",
        ].join("\n"),
      );
      await test(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("fills an at-containment incident's cutoff into the guardrails as the stack of its account recorded it, and records none of its own", async () => {
    await withLaterIncident(async (dir) => {
      const cloud = cloudOf(MANAGEMENT);
      // The stack of account 444444444444 recorded the instant at 12:26:00; its cutoff is two minutes later.
      cloud.otherStacks["prod-444444444444"] = {
        account: "444444444444",
        // Recorded for the incident's keys as they are (it has none), as the program exports them.
        incidents: {
          later: { atContainment: true, cutoff: "2026-11-28T12:28:00Z", containedAt: CONTAINED_AT, accessKeys: [] },
        },
      };
      const run = await up(cloud, { "cordon:organization": ORGANIZATION }, dir);
      expect(run.error).toBeUndefined();
      expect(declared(run).filter((r) => r.startsWith("time:"))).toEqual([]);
      expect(run.calls).toContainEqual({
        token: "pulumi:pulumi:readStackOutputs",
        inputs: { name: "organization/cordon/prod-444444444444" },
      });
      const [scp] = buildPlan(loadIncidentPaths([dir], process.cwd(), NOW).incidents, {
        organization: { targets: ["r-abcd"], managementAccount: MANAGEMENT },
      }).organizationPolicies;
      expect(resource(run, "aws:organizations/policy:Policy", scp.name).inputs.content).toBe(
        JSON.stringify(fillContainment(scp.document, { later: "2026-11-28T12:28:00Z" })),
      );
      expect((run.outputs as unknown as StackOutputs).incidents.later).toMatchObject({
        cutoff: "2026-11-28T12:28:00Z",
        containedAt: CONTAINED_AT,
        containmentStack: "prod-444444444444",
        atContainment: true,
      });
    });
  });

  it("denies the incident's principals everything through the guardrails until the stack of its account has recorded the instant", async () => {
    await withLaterIncident(async (dir) => {
      const cloud = cloudOf(MANAGEMENT);
      const run = await up(cloud, { "cordon:organization": ORGANIZATION }, dir);
      expect(run.error).toBeUndefined();
      expect(declared(run).filter((r) => r.startsWith("time:"))).toEqual([]);
      expect(run.warnings).toEqual([
        'incident later: its containment instant is recorded by stack prod-444444444444 (the account of its keys), which cannot be read (unknown stack "organization/cordon/prod-444444444444"): until it has, this stack denies the incident\'s principals everything; run that stack, then this one again',
      ]);
      const scp = resource(
        run,
        "aws:organizations/policy:Policy",
        buildPlan(loadIncidentPaths([dir], process.cwd(), NOW).incidents, {
          organization: { targets: ["r-abcd"], managementAccount: MANAGEMENT },
          uncontained: ["later"],
        }).organizationPolicies[0].name,
      );
      expect(JSON.parse(String(scp.inputs.content)).Statement).toEqual([
        {
          Sid: `CordonDenyUntilContained${sidPart("later")}`,
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { StringEqualsIgnoreCase: { "aws:PrincipalArn": ["arn:aws:iam::444444444444:role/data-loader"] } },
        },
        {
          Sid: `CordonDenyUntilContainedPath${sidPart("later")}`,
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { ArnLike: { "aws:PrincipalArn": ["arn:aws:iam::444444444444:role/*/data-loader"] } },
        },
      ]);
      expect((run.outputs as unknown as StackOutputs).incidents.later).toMatchObject({
        cutoff: "at-containment",
        expiresAt: null,
        deniedUntilContained: true,
        containmentStack: "prod-444444444444",
      });
    });
  });

  it("declares no guardrail when no incident asks: each is removed", async () => {
    const dir = projectTempDir("cordon-org-");
    try {
      writeFileSync(
        join(dir, "plain.yaml"),
        [
          "id: plain",
          "title: t",
          `account: "${MANAGEMENT}"`,
          "cutoff: 2026-11-28T10:00:00Z",
          "roles: [{ name: audit-reader }]",
          "",
        ].join("\n"),
      );
      const run = await up(cloudOf(MANAGEMENT), { "cordon:organization": ORGANIZATION }, dir);
      expect(run.error).toBeUndefined();
      expect(declared(run).some(isGuardrail)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a superseded guardrail (this stack's state holds it, the plan no longer does)", () => {
  const OLD = {
    name: "cordon-scp-00000001",
    id: "p-old0scp",
    type: "SERVICE_CONTROL_POLICY",
    content:
      '{"Version":"2012-10-17","Statement":[{"Sid":"CordonRevokeOld","Effect":"Deny","Action":"*","Resource":"*"}]}',
  };
  const planned = () =>
    buildPlan(loadIncidentPaths([EXAMPLES], process.cwd(), NOW).incidents, {
      account: MANAGEMENT,
      organization: { targets: ["r-abcd"], managementAccount: MANAGEMENT },
    }).organizationPolicies;
  const guardrails = (run: ProgramRun) =>
    declared(run)
      .filter((line) => line.startsWith("cordon:organizations:OrganizationGuardrail "))
      .sort();

  it("stays declared as the state holds it, its content never updated, while a new document is not attached", async () => {
    const cloud = cloudOf(MANAGEMENT);
    cloud.organization.attached["r-abcd"].SERVICE_CONTROL_POLICY.push({
      id: OLD.id,
      name: OLD.name,
      awsManaged: false,
    });
    ownGuardrail(cloud, OLD);
    const run = await up(cloud, { "cordon:organization": ORGANIZATION });
    expect([run.error, run.errors, run.exitCode]).toEqual([undefined, [], undefined]);
    const [scp, rcp] = planned();
    expect(guardrails(run)).toEqual(
      [OLD.name, scp.name, rcp.name].map((n) => `cordon:organizations:OrganizationGuardrail ${n}`).sort(),
    );
    const kept = resource(run, "aws:organizations/policy:Policy", OLD.name);
    expect(kept.inputs.content).toBe(OLD.content);
    expect(kept.ignoreChanges).toEqual(["content"]);
    expect(resource(run, "aws:organizations/policy:Policy", scp.name).ignoreChanges).toEqual([]);
    expect(resource(run, "aws:organizations/policyAttachment:PolicyAttachment", `${OLD.name}-r-abcd`).inputs).toEqual({
      policyId: `p-${OLD.name.replace(/^cordon-/, "")}`,
      targetId: "r-abcd",
    });
    expect(run.infos).toContain(
      `organization guardrails ${OLD.name}: superseded, kept attached as they are until a run finds every new document attached to every target (one more run after this one, when it succeeds)`,
    );
  });

  it("is no longer declared once every new document is attached, by the id the state holds, to every target", async () => {
    const [scp, rcp] = planned();
    const setUp = (rcpId: string) => {
      const cloud = cloudOf(MANAGEMENT);
      const attached = cloud.organization.attached["r-abcd"];
      attached.SERVICE_CONTROL_POLICY.push(
        { id: OLD.id, name: OLD.name, awsManaged: false },
        { id: "p-new0scp", name: scp.name, awsManaged: false },
      );
      attached.RESOURCE_CONTROL_POLICY.push({ id: rcpId, name: rcp.name, awsManaged: false });
      ownGuardrail(cloud, OLD);
      ownGuardrail(cloud, { name: scp.name, id: "p-new0scp", type: "SERVICE_CONTROL_POLICY" });
      ownGuardrail(cloud, { name: rcp.name, id: "p-new0rcp", type: "RESOURCE_CONTROL_POLICY" });
      return cloud;
    };
    // The RCP attached is another policy under the same name (someone else's): not this stack's, not attached.
    const waiting = await up(setUp("p-impostor"), { "cordon:organization": ORGANIZATION });
    expect(guardrails(waiting)).toContain(`cordon:organizations:OrganizationGuardrail ${OLD.name}`);
    const done = await up(setUp("p-new0rcp"), { "cordon:organization": ORGANIZATION });
    expect([done.error, done.errors, done.exitCode]).toEqual([undefined, [], undefined]);
    expect(guardrails(done)).toEqual(
      [scp.name, rcp.name].map((n) => `cordon:organizations:OrganizationGuardrail ${n}`).sort(),
    );
    expect(done.infos).toContain(
      `organization guardrails ${OLD.name}: superseded, and every new document is attached to every target: no longer declared, this update detaches and deletes them`,
    );
  });

  it("a state that cannot be read: the planned guardrails are declared, and the run fails at its end so that nothing is deleted", async () => {
    const cloud = cloudOf(MANAGEMENT);
    // Outputs, but no checkpoint to read the resources from: readStackResourceOutputs fails.
    cloud.otherStacks[`prod-${MANAGEMENT}`] = { account: MANAGEMENT };
    const run = await up(cloud, { "cordon:organization": ORGANIZATION });
    expect(run.error).toBeUndefined();
    const [scp, rcp] = planned();
    expect(guardrails(run)).toEqual(
      [scp.name, rcp.name].map((n) => `cordon:organizations:OrganizationGuardrail ${n}`).sort(),
    );
    // One cause, said once: what the spellings and the guardrails each lose with it.
    expect(run.errors.filter((e) => e.includes("cannot be read ("))).toEqual([
      `this stack's state, which says under which spelling each principal's deny was declared and which organization guardrails it declared before, cannot be read (unknown stack "organization/cordon/prod-${MANAGEMENT}"): cordon declares every deny as the files spell it and the guardrails the files plan, and this update fails so that the engine deletes nothing (a deny the state spells otherwise is the same IAM policy, and its delete would delete it; a superseded guardrail stays attached until a run that can read the state finds its replacements attached); run again once the state can be read`,
    ]);
    expect(run.errors.filter((e) => e === UNREAD_STATE_MESSAGE)).toHaveLength(1);
    expect(run.errors.at(-1)).toBe(UNREAD_STATE_MESSAGE);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
  });
});

describe("declares nothing when", () => {
  it("the stack is not named after its account", async () => {
    const cloud = cloudOf("444444444444");
    const run = await runProgram(() => deploy(cloud.iam), {
      cloud,
      config: { "cordon:account": "444444444444", "cordon:incidentsDir": EXAMPLES },
      stack: "prod",
    });
    expect(run.error?.message).toBe(
      'cordon declared nothing: this stack is named prod, but the stack of account 444444444444 is prod-444444444444 (cordon:stackPrefix "prod", then the account): the workflows and `cordon accounts` use that name; rename the stack (pulumi stack rename prod-444444444444) or set cordon:account to the account it deploys',
    );
    expect(declared(run)).toEqual([]);
  });

  it("cordon:organization is not what it should be", async () => {
    const run = await up(cloudOf(MANAGEMENT), { "cordon:organization": JSON.stringify({ targets: ["root"] }) });
    expect(run.error?.message).toBe(
      [
        "cordon declared nothing: 2 problems in the stack's config:",
        'cordon:organization.targets[0]: expected a root (r-…), organizational unit (ou-…-…) or 12-digit account id, found "root"',
        "cordon:organization.managementAccount: expected the organization's management account, 12 digits, quoted, found null",
      ].join("\n"),
    );
    expect(declared(run)).toEqual([]);
  });

  it("a policy type is not enabled, a target is full, or the management account is another", async () => {
    const cloud = cloudOf(MANAGEMENT);
    cloud.organization.managementAccount = "888888888888";
    cloud.organization.roots[0].policyTypes = [{ type: "SERVICE_CONTROL_POLICY", status: "ENABLED" }];
    cloud.organization.attached["r-abcd"].SERVICE_CONTROL_POLICY.push(
      ...Array.from({ length: 4 }, (_, i) => ({ id: `p-guard${i}`, name: `landing-zone-${i}`, awsManaged: false })),
    );
    const run = await up(cloud, { "cordon:organization": ORGANIZATION });
    const [scp, rcp] = buildPlan(loadIncidentPaths([EXAMPLES], process.cwd(), NOW).incidents, {
      organization: { targets: ["r-abcd"], managementAccount: MANAGEMENT },
    }).organizationPolicies;
    expect(run.error?.message).toBe(
      [
        "cordon declared nothing: the organization guardrails cannot be attached as planned (3 problems):",
        "cordon:organization.managementAccount is 999999999999, but the organization's management account is 888888888888: SCPs do not reach the management account's principals, so cordon must know which it is; set managementAccount: \"888888888888\"",
        `examples/incidents/${CROSS}.yaml: the policy type RESOURCE_CONTROL_POLICY is not enabled on root r-abcd, so attaching cordon's resource control policies would fail (PolicyTypeNotEnabledException); an administrator of the management account enables it (aws organizations enable-policy-type --root-id r-abcd --policy-type RESOURCE_CONTROL_POLICY): cordon does not enable policy types, an organization-wide decision`,
        `examples/incidents/${CROSS}.yaml: target r-abcd has 5 service control policies attached besides cordon's (FullAWSAccess, landing-zone-0, landing-zone-1, landing-zone-2, landing-zone-3), of 5 per target, and cordon's need 1 (${scp.name}): detach one of the others from r-abcd, or attach the guardrails to the OUs below it (cordon:organization.targets), then run again`,
      ].join("\n"),
    );
    expect(rcp.kind).toBe("rcp");
    expect(declared(run)).toEqual([]);
  });

  it("a changed document would need a second slot while the one it supersedes is still attached", async () => {
    const cloud = cloudOf(MANAGEMENT);
    // RCPFullAWSAccess, three others, and this stack's previous document: 5 of 5.
    cloud.organization.attached["r-abcd"].RESOURCE_CONTROL_POLICY.push(
      ...["data-perimeter", "kms-guard", "s3-guard"].map((name) => ({ id: `p-${name}`, name, awsManaged: false })),
      { id: "p-old", name: "cordon-rcp-00000000", awsManaged: false },
    );
    ownGuardrail(cloud, { name: "cordon-rcp-00000000", id: "p-old", type: "RESOURCE_CONTROL_POLICY" });
    const run = await up(cloud, { "cordon:organization": ORGANIZATION });
    const [, rcp] = buildPlan(loadIncidentPaths([EXAMPLES], process.cwd(), NOW).incidents, {
      organization: { targets: ["r-abcd"], managementAccount: MANAGEMENT },
    }).organizationPolicies;
    expect(run.error?.message).toBe(
      [
        "cordon declared nothing: the organization guardrails cannot be attached as planned (1 problem):",
        `examples/incidents/${CROSS}.yaml: target r-abcd has 4 resource control policies attached besides cordon's (RCPFullAWSAccess, data-perimeter, kms-guard, s3-guard), of 5 per target; cordon's need 1, but the 1 they supersede (cordon-rcp-00000000) stay attached until every new one is attached, 6 in all: free 1 more, then run again (cordon never detaches a guardrail before its replacement is attached)`,
      ].join("\n"),
    );
    expect(rcp.name).not.toBe("cordon-rcp-00000000");
    expect(declared(run)).toEqual([]);
  });

  it("a changed document would need a second slot, with a state that cannot be read: every cordon-named policy attached counts as one kept", async () => {
    const cloud = cloudOf(MANAGEMENT);
    cloud.organization.attached["r-abcd"].RESOURCE_CONTROL_POLICY.push(
      ...["data-perimeter", "kms-guard", "s3-guard"].map((name) => ({ id: `p-${name}`, name, awsManaged: false })),
      { id: "p-old", name: "cordon-rcp-00000000", awsManaged: false },
    );
    // Outputs, but no checkpoint to read the resources from: readStackResourceOutputs fails.
    cloud.otherStacks[`prod-${MANAGEMENT}`] = { account: MANAGEMENT };
    const run = await up(cloud, { "cordon:organization": ORGANIZATION });
    expect(run.error?.message).toBe(
      [
        "cordon declared nothing: the organization guardrails cannot be attached as planned (1 problem):",
        `examples/incidents/${CROSS}.yaml: target r-abcd has 4 resource control policies attached besides cordon's (RCPFullAWSAccess, data-perimeter, kms-guard, s3-guard), of 5 per target; cordon's need 1, but the 1 they supersede (cordon-rcp-00000000) stay attached until every new one is attached, 6 in all: free 1 more, then run again (cordon never detaches a guardrail before its replacement is attached)`,
      ].join("\n"),
    );
    expect(declared(run)).toEqual([]);
  });

  it("a policy named like cordon's that this stack's state does not hold is someone else's: it takes a slot", async () => {
    const cloud = cloudOf(MANAGEMENT);
    cloud.organization.attached["r-abcd"].RESOURCE_CONTROL_POLICY.push(
      ...["data-perimeter", "kms-guard", "s3-guard"].map((name) => ({ id: `p-${name}`, name, awsManaged: false })),
      { id: "p-foreign", name: "cordon-rcp-ffffffff", awsManaged: false },
    );
    const run = await up(cloud, { "cordon:organization": ORGANIZATION });
    const [, rcp] = buildPlan(loadIncidentPaths([EXAMPLES], process.cwd(), NOW).incidents, {
      organization: { targets: ["r-abcd"], managementAccount: MANAGEMENT },
    }).organizationPolicies;
    expect(run.error?.message).toBe(
      [
        "cordon declared nothing: the organization guardrails cannot be attached as planned (1 problem):",
        `examples/incidents/${CROSS}.yaml: target r-abcd has 5 resource control policies attached besides cordon's (RCPFullAWSAccess, data-perimeter, kms-guard, s3-guard, cordon-rcp-ffffffff), of 5 per target, and cordon's need 1 (${rcp.name}): detach one of the others from r-abcd, or attach the guardrails to the OUs below it (cordon:organization.targets), then run again`,
      ].join("\n"),
    );
    // The same document already attached, by the id this stack's state holds, needs no second slot.
    const cloud2 = cloudOf(MANAGEMENT);
    cloud2.organization.attached["r-abcd"].RESOURCE_CONTROL_POLICY.push(
      ...["data-perimeter", "kms-guard", "s3-guard"].map((name) => ({ id: `p-${name}`, name, awsManaged: false })),
      { id: "p-same", name: rcp.name, awsManaged: false },
    );
    ownGuardrail(cloud2, { name: rcp.name, id: "p-same", type: "RESOURCE_CONTROL_POLICY" });
    expect((await up(cloud2, { "cordon:organization": ORGANIZATION })).error).toBeUndefined();
  });

  it("a target does not exist", async () => {
    const run = await up(cloudOf(MANAGEMENT), {
      "cordon:organization": JSON.stringify({ targets: ["ou-abcd-12345678"], managementAccount: MANAGEMENT }),
    });
    expect(run.error?.message).toBe(
      [
        "cordon declared nothing: the organization guardrails cannot be attached as planned (1 problem):",
        "cordon:organization.targets: Organizations has no root, organizational unit or account ou-abcd-12345678: check the id (aws organizations list-roots, list-organizational-units-for-parent)",
      ].join("\n"),
    );
  });
});

describe("against moto's Organizations, which enforces none of it", () => {
  const suite = motoForSuite({ managedPolicies: false });
  let moto: Moto;
  let organizations: OrganizationsClient;
  let dir: string;
  const ACCOUNT = "123456789012";

  beforeAll(() => {
    organizations = new OrganizationsClient({});
  });
  beforeEach(async () => {
    moto = suite.current();
    await moto.reset();
    dir = projectTempDir("cordon-org-moto-");
    // An incident of a member account that asks for both guardrails: this stack has no share of
    // it but the guardrails.
    writeFileSync(
      join(dir, "cross.yaml"),
      [
        "id: cross",
        "title: t",
        'account: "444444444444"',
        "cutoff: 2026-11-28T10:00:00Z",
        "roles: [{ name: data-loader }]",
        "organization: { scp: true, rcp: true }",
        "",
      ].join("\n"),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** moto's organization, made by the caller's account, which becomes its management account. */
  async function organization(enabled: ("SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY")[]): Promise<string> {
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    const root = (await organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    for (const type of enabled)
      await organizations.send(new EnablePolicyTypeCommand({ RootId: root, PolicyType: type }));
    return root;
  }

  function upMoto(root: string): Promise<ProgramRun> {
    const cloud = new MotoCloud(moto.env, { now: new Date(CONTAINED_AT) });
    const clients = awsClients();
    return runProgram(() => deploy(deployIam(clients), deployOrganizations(clients)), {
      cloud,
      config: {
        "cordon:account": ACCOUNT,
        "cordon:incidentsDir": dir,
        "cordon:organization": JSON.stringify({ targets: [root], managementAccount: ACCOUNT }),
      },
    });
  }

  it("declares the guardrails once both policy types are enabled on the root", async () => {
    const root = await organization(["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]);
    expect((await organizations.send(new DescribeOrganizationCommand({}))).Organization?.MasterAccountId).toBe(ACCOUNT);
    const run = await upMoto(root);
    expect(run.error).toBeUndefined();
    expect(
      declared(run)
        .filter((line) => line.startsWith("aws:organizations/policyAttachment:"))
        .map((line) => line.replace(/cordon-(scp|rcp)-[0-9a-f]{8}/, "cordon-$1-…")),
    ).toEqual(
      [
        `aws:organizations/policyAttachment:PolicyAttachment cordon-scp-…-${root}`,
        `aws:organizations/policyAttachment:PolicyAttachment cordon-rcp-…-${root}`,
      ].sort(),
    );
  });

  it("refuses before declaring when a policy type is not enabled (moto would attach it anyway)", async () => {
    const root = await organization(["SERVICE_CONTROL_POLICY"]);
    const run = await upMoto(root);
    expect(run.error?.message).toContain(
      `the policy type RESOURCE_CONTROL_POLICY is not enabled on root ${root}, so attaching cordon's resource control policies would fail (PolicyTypeNotEnabledException)`,
    );
    expect(declared(run)).toEqual([]);
  });

  it("refuses before declaring when the root has no room for an RCP (moto would attach a sixth)", async () => {
    const root = await organization(["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]);
    for (const name of ["perimeter-1", "perimeter-2", "perimeter-3", "perimeter-4"]) {
      const content = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: "*",
            Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-x" } },
          },
        ],
      });
      const policy = await organizations.send(
        new CreatePolicyCommand({ Name: name, Description: name, Type: "RESOURCE_CONTROL_POLICY", Content: content }),
      );
      await organizations.send(new AttachPolicyCommand({ PolicyId: policy.Policy!.PolicySummary!.Id, TargetId: root }));
    }
    const run = await upMoto(root);
    expect(run.error?.message).toMatch(
      new RegExp(
        `target ${root} has 5 resource control policies attached besides cordon's \\(RCPFullAWSAccess, perimeter-1, perimeter-2, perimeter-3, perimeter-4\\), of 5 per target, and cordon's need 1`,
      ),
    );
    expect(declared(run)).toEqual([]);
  });

  it("sends only the Organizations reads programOrganizationsPermissions declares", async () => {
    const root = await organization(["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]);
    const mock = mockClient(OrganizationsClient);
    try {
      mock.send.callThrough();
      expect((await upMoto(root)).error).toBeUndefined();
      const sent = [...new Set(mock.calls().map((c) => actionOf("Organizations", c.args[0])))].sort();
      expect(sent).toEqual([
        "organizations:DescribeOrganization",
        "organizations:ListPoliciesForTarget",
        "organizations:ListRoots",
      ]);
      expect(sent.filter((action) => !programOrganizationsPermissions.includes(action))).toEqual([]);
    } finally {
      mock.restore();
    }
  });
});
