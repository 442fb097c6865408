/**
 * The components on their own, under mocks: what each maps a piece of the plan to, and what each
 * declares that deploying it needs.
 */
import { describe, expect, it } from "vitest";
import { ContainmentInstant } from "../components/ContainmentInstant.ts";
import { deployPermissions } from "../components/permissions.ts";
import { policyArnName } from "../components/ReplacementRole.ts";
import { SessionRevocation } from "../components/SessionRevocation.ts";
import { deploy } from "../program/deploy.ts";
import type { DenyPolicy } from "../plan/plan.ts";
import { containmentPlaceholder } from "../plan/policies.ts";
import { FakeCloud, declared, exampleCloud, resource, runProgram } from "./support/pulumi-mocks.ts";

const ACCOUNT = "123456789012";
const cloud = () => new FakeCloud({ account: ACCOUNT, now: new Date("2026-11-28T12:26:00Z") });
const declare = (body: () => void) => runProgram(async () => body(), { cloud: cloud(), config: {} });

/** A role's deny policy that waits for the containment of incident `ticket-key`. */
const waiting: DenyPolicy = {
  account: ACCOUNT,
  principal: { type: "role", name: "deploy" },
  incidents: ["ticket-key"],
  mode: "revoke-older-sessions",
  document: {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Pending",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:TokenIssueTime": containmentPlaceholder("ticket-key") } },
      },
    ],
  },
  pendingContainment: ["ticket-key"],
  attachment: "inline",
  policyName: "cordon-revoke-sessions",
  resourceName: `${ACCOUNT}-role-deploy`,
};

describe("SessionRevocation", () => {
  it("fills the containment placeholders with the recorded instants", async () => {
    const run = await declare(
      () =>
        new SessionRevocation(waiting.resourceName, {
          policy: waiting,
          containment: { "ticket-key": "2026-11-28T12:26:00Z" },
        }),
    );
    expect(
      JSON.parse(String(resource(run, "aws:iam/rolePolicy:RolePolicy", waiting.resourceName).inputs.policy))
        .Statement[0].Condition,
    ).toEqual({
      DateLessThan: { "aws:TokenIssueTime": "2026-11-28T12:26:00Z" },
    });
  });

  it("refuses to send a document whose containment instant is missing", async () => {
    const run = await declare(() => new SessionRevocation(waiting.resourceName, { policy: waiting }));
    expect(run.error?.message).toBe(
      "123456789012-role-deploy: no containment instant for incident ticket-key: the deny document cannot be completed",
    );
    expect(declared(run)).toEqual(["cordon:iam:SessionRevocation 123456789012-role-deploy"]);
  });
});

describe("ContainmentInstant", () => {
  it("records the instant once, at creation, with nothing to wait for when the incident has no keys", async () => {
    const run = await declare(() => new ContainmentInstant(`${ACCOUNT}-roles-only`, { incident: "roles-only" }));
    const recorded = resource(run, "time:index/static:Static", `${ACCOUNT}-roles-only`);
    expect(recorded.dependencies).toEqual([]);
    expect(recorded.inputs).toEqual({ triggers: { accessKeys: "" } });
    expect(resource(run, "cordon:iam:ContainmentInstant", `${ACCOUNT}-roles-only`).registeredOutputs).toEqual({
      incident: "roles-only",
      instant: "2026-11-28T12:26:00Z",
      cutoff: "2026-11-28T12:28:00Z",
    });
  });
});

describe("ReplacementRole", () => {
  // Child names come from the policy itself, never from its position in the list.
  it.each([
    ["arn:aws:iam::aws:policy/ReadOnlyAccess", "aws:policy/ReadOnlyAccess"],
    ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "aws:policy/job-function/ViewOnlyAccess"],
    ["arn:aws:iam::123456789012:policy/ViewOnlyAccess", "123456789012:policy/ViewOnlyAccess"],
    ["arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess", "aws:policy/ReadOnlyAccess"],
  ])("names the attachment of %s after %s", (arn, name) => {
    expect(policyArnName(arn)).toBe(name);
    expect(name).not.toContain("::");
  });
});

describe("deployPermissions", () => {
  it("is exactly the least privilege of the components and the program's invokes", () => {
    expect(deployPermissions).toEqual({
      "aws:iam/accessKey:AccessKey": ["iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"],
      "aws:iam/policy:Policy": [
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:ListPolicyVersions",
        "iam:TagPolicy",
        "iam:UntagPolicy",
      ],
      "aws:cloudwatch/eventApiDestination:EventApiDestination": [
        "events:CreateApiDestination",
        "events:DeleteApiDestination",
        "events:DescribeApiDestination",
        "events:UpdateApiDestination",
      ],
      "aws:cloudwatch/eventConnection:EventConnection": [
        "events:CreateConnection",
        "events:DeleteConnection",
        "events:DescribeConnection",
        "events:UpdateConnection",
        "iam:CreateServiceLinkedRole",
        "secretsmanager:CreateSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:DescribeSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecret",
      ],
      "aws:cloudwatch/eventRule:EventRule": [
        "events:DeleteRule",
        "events:DescribeRule",
        "events:ListTagsForResource",
        "events:PutRule",
      ],
      "aws:cloudwatch/eventTarget:EventTarget": [
        "events:ListTargetsByRule",
        "events:PutTargets",
        "events:RemoveTargets",
        "iam:PassRole",
      ],
      "aws:iam/role:Role": [
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:ListRolePolicies",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
      ],
      "aws:iam/rolePolicy:RolePolicy": ["iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy"],
      "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": [
        "iam:ListServiceSpecificCredentials",
        "iam:UpdateServiceSpecificCredential",
      ],
      "aws:iam/signingCertificate:SigningCertificate": ["iam:ListSigningCertificates", "iam:UpdateSigningCertificate"],
      "aws:iam/sshKey:SshKey": ["iam:GetSSHPublicKey", "iam:UpdateSSHPublicKey"],
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:ListAttachedRolePolicies",
      ],
      "aws:iam/userPolicyAttachment:UserPolicyAttachment": [
        "iam:AttachUserPolicy",
        "iam:DetachUserPolicy",
        "iam:ListAttachedUserPolicies",
      ],
      "aws:iam/userPolicy:UserPolicy": ["iam:DeleteUserPolicy", "iam:GetUserPolicy", "iam:PutUserPolicy"],
      "aws:index/getCallerIdentity:getCallerIdentity": ["sts:GetCallerIdentity"],
      // The engine's own reads of the stacks' checkpoints: nothing of AWS.
      "pulumi:pulumi:readStackOutputs": [],
      "pulumi:pulumi:readStackResourceOutputs": [],
      "aws:sqs/queue:Queue": [
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueAttributes",
        "sqs:ListQueueTags",
        "sqs:SetQueueAttributes",
      ],
      "aws:sqs/queuePolicy:QueuePolicy": ["sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
      "cordon:events:AutoContain": [],
      "cordon:iam:ContainmentInstant": [],
      "cordon:iam:DisabledAccessKey": [],
      "cordon:iam:DisabledServiceSpecificCredential": [],
      "cordon:iam:DisabledSigningCertificate": [],
      "cordon:iam:DisabledSshPublicKey": [],
      "cordon:iam:ReplacementRole": [],
      "cordon:iam:SessionRevocation": [],
      "pulumi:providers:aws": ["sts:GetCallerIdentity"],
      "time:index/static:Static": [],
    });
  });

  it("covers every resource type and invoke the program uses on the examples", async () => {
    const examples = exampleCloud();
    const run = await runProgram(() => deploy(examples.iam), {
      cloud: examples,
      config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": "examples/incidents" },
    });
    expect(run.error).toBeUndefined();
    const used = new Set([
      ...run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type),
      ...run.calls.map((c) => c.token),
    ]);
    expect([...used].filter((token) => !(token in deployPermissions))).toEqual([]);
  });

  it("never lets a key be created or deleted, nor a retained resource be removed", () => {
    const all = Object.values(deployPermissions).flat();
    expect(all).not.toContain("iam:CreateAccessKey");
    expect(all).not.toContain("iam:DeleteAccessKey");
    expect(
      deployPermissions["aws:iam/accessKey:AccessKey"].filter((action) => /^iam:(Delete|Detach)/.test(action)),
    ).toEqual([]);
    // A role is deleted only when auto-contain is turned off (its own role); the deploy policy
    // allows DeleteRole under /cordon/auto-contain/ only, so replacement roles stay
    // (test/auto-contain.test.ts proves it).
    expect(deployPermissions["aws:iam/role:Role"].filter((action) => /^iam:(Delete|Detach)/.test(action))).toEqual([
      "iam:DeleteRole",
    ]);
    // A role's managed deny is detached when its incident expires; the deploy policy allows
    // DetachRolePolicy for cordon's revoke policies only (test/permissions.test.ts proves it), so a
    // replacement role's attachments stay.
    expect(
      deployPermissions["aws:iam/rolePolicyAttachment:RolePolicyAttachment"].filter((action) =>
        /^iam:(Delete|Detach)/.test(action),
      ),
    ).toEqual(["iam:DetachRolePolicy"]);
  });
});
