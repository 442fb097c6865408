/**
 * `permissions`: the generated policies cover everything cordon really does, and nothing more
 * than it declares.
 *  - the program under Pulumi mocks: every resource type and invoke it declares has declared actions;
 *  - the CLI against moto (and a CloudTrail mock): every AWS call each command sends is granted by
 *    the commands policy, and declared by that command;
 *  - the deploy policy's scopes mean what they say, as an IAM evaluator cordon did not write decides.
 * Each check has a negative control: a declaration with one action missing is caught.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
  UpdateAccessKeyCommand,
  type SimulatePrincipalPolicyCommandInput,
} from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../program/deploy.ts";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import {
  commandPermissions,
  deployDeclarations,
  organizationDeclarations,
  PROGRAM_ORGANIZATION_READS,
  PROGRAM_READS,
} from "../commands/permissions.ts";
import { rolePolicies } from "../bootstrap/declared.ts";
import { componentDeclarations, deployPermissions, organizationDeployPermissions } from "../components/permissions.ts";
import { organizationGuardrailPermissions } from "../components/OrganizationGuardrail.ts";
import { PROVIDER_CALLS } from "../components/provider-calls.ts";
import { actionOfCommand as actionOf } from "../aws/clients.ts";
import {
  commandsPolicy,
  deployPolicy,
  isReadOnly,
  notGranted as uncovered,
  organizationPolicy,
} from "../permissions/policies.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { buildPlan } from "../plan/plan.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { decide } from "./support/iam-evaluator.ts";
import { startMoto, useMotoEnv, type Moto } from "./support/moto.ts";
import { exampleCloud, FakeCloud, runProgram, type ProgramRun } from "./support/pulumi-mocks.ts";
import { usageOutput } from "./support/usage.ts";

const ACCOUNT = "123456789012";
const CUTOFF = "2026-11-28T10:00:00Z";
const NOW = "2026-11-28T12:00:00Z";

/** Types and invoke tokens the run declared that `declared` gives no entry. */
function undeclaredTokens(run: ProgramRun, declared: Record<string, readonly string[]>): string[] {
  const tokens = [
    ...run.resources.map((r) => r.type).filter((type) => type !== "pulumi:pulumi:Stack"),
    ...run.calls.map((c) => c.token),
  ];
  return [...new Set(tokens)].filter((token) => !Object.hasOwn(declared, token)).sort();
}

describe("deploy: the program declares nothing whose actions are not declared", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    const cloud = exampleCloud();
    run = await runProgram(() => deploy(cloud.iam), {
      cloud,
      config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": "examples/incidents" },
    });
  });

  it("every resource type and invoke of the examples has an entry in deployPermissions", () => {
    expect(run.error).toBeUndefined();
    // The examples declare every kind of resource the program has: keys, both kinds of deny policy,
    // the containment instant, replacement roles with attached and inline policies.
    expect(new Set(run.resources.map((r) => r.type)).size).toBeGreaterThanOrEqual(10);
    expect(undeclaredTokens(run, deployPermissions)).toEqual([]);
  });

  it("every AWS resource type and invoke needs at least one action", () => {
    const aws = [...new Set([...run.resources.map((r) => r.type), ...run.calls.map((c) => c.token)])].filter((t) =>
      t.startsWith("aws:"),
    );
    expect(aws.filter((token) => (deployPermissions[token] ?? []).length === 0)).toEqual([]);
  });

  it("negative control: a resource type missing from the declarations is caught", () => {
    const without = Object.fromEntries(
      Object.entries(deployPermissions).filter(([token]) => token !== "aws:iam/rolePolicy:RolePolicy"),
    );
    expect(undeclaredTokens(run, without)).toEqual(["aws:iam/rolePolicy:RolePolicy"]);
  });

  it("the deploy policy grants every declared action, the program's own IAM reads included", () => {
    const declared = Object.values(deployDeclarations).flat();
    expect(deployDeclarations[PROGRAM_READS]).toEqual(
      expect.arrayContaining(["iam:GetAccessKeyLastUsed", "iam:GetAccountSummary", "iam:GetRole"]),
    );
    expect(uncovered(declared, deployPolicy(deployDeclarations).document)).toEqual([]);
    // negative control
    expect(uncovered([...declared, "iam:CreateUser"], deployPolicy(deployDeclarations).document)).toEqual([
      "iam:CreateUser",
    ]);
  });

  it("grants no action that no scope knows: a new one stops the generation instead of landing on *", () => {
    expect(() => deployPolicy({ ...deployDeclarations, "aws:iam/user:User": ["iam:CreateUser"] })).toThrow(
      "no scope for the deploy action iam:CreateUser: add it to SCOPES in permissions/policies.ts",
    );
  });
});

describe("organization: the organization stack declares nothing whose actions are not declared", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    const cloud = new FakeCloud({ account: "999999999999", roles: ["audit-reader"] });
    run = await runProgram(() => deploy(cloud.iam, cloud.organizations), {
      cloud,
      config: {
        "cordon:account": "999999999999",
        "cordon:incidentsDir": "examples/incidents",
        "cordon:organization": JSON.stringify({ targets: ["r-abcd"], managementAccount: "999999999999" }),
      },
    });
  });

  it("every type it declares has an entry in deployPermissions or organizationDeployPermissions, and the guardrails only in the latter", () => {
    expect(run.error).toBeUndefined();
    expect(undeclaredTokens(run, { ...deployPermissions, ...organizationDeployPermissions })).toEqual([]);
    expect(Object.keys(organizationDeployPermissions).filter((token) => token in deployPermissions)).toEqual([]);
    // negative control
    expect(undeclaredTokens(run, deployPermissions)).toEqual([
      "aws:organizations/policy:Policy",
      "aws:organizations/policyAttachment:PolicyAttachment",
      "cordon:organizations:OrganizationGuardrail",
    ]);
  });

  it("the organization policy grants every declared action, the checks' reads included, and only on SCPs and RCPs", () => {
    const declared = Object.values(organizationDeclarations).flat();
    expect(organizationDeclarations[PROGRAM_ORGANIZATION_READS]).toEqual([
      "organizations:DescribeOrganization",
      "organizations:ListPoliciesForTarget",
      "organizations:ListRoots",
    ]);
    const policy = organizationPolicy(organizationDeclarations).document;
    expect(uncovered(declared, policy)).toEqual([]);
    expect(uncovered([...declared, "organizations:EnablePolicyType"], policy)).toEqual([
      "organizations:EnablePolicyType",
    ]);
    const guardrails = policy.Statement.find((s) => s.Sid === "CordonGuardrails")!;
    expect(guardrails.Resource).toEqual(
      expect.arrayContaining([
        "arn:aws:organizations::*:policy/o-*/service_control_policy/*",
        "arn:aws:organizations::*:policy/o-*/resource_control_policy/*",
      ]),
    );
    expect(JSON.stringify(guardrails.Resource)).not.toMatch(/tag_policy|backup_policy|"\*"/);
    expect(() => organizationPolicy({ ...organizationDeclarations, x: ["organizations:EnablePolicyType"] })).toThrow(
      "no scope for the organization action organizations:EnablePolicyType: add it to ORGANIZATION_SCOPES in permissions/policies.ts",
    );
  });
});

describe("the stack's aws:defaultTags: every tagged resource on the default provider may be created with them", () => {
  /** Whether @pulumi/aws's resource type carries `tagsAll`: the provider's defaultTags reach it. */
  const tagged = (type: string) => {
    const module = /^aws:([\w-]+\/\w+):\w+$/.exec(type)?.[1];
    if (module === undefined) return false;
    return /readonly tagsAll: /.test(
      readFileSync(join(import.meta.dirname, "..", "node_modules", "@pulumi", "aws", `${module}.d.ts`), "utf8"),
    );
  };
  /** Each tagged type a component declares without the provider's tag calls among its actions. */
  const untaggable = (declarations: readonly Record<string, string[]>[]) =>
    declarations
      // A component with a provider of its own (auto-contain's, its region only) gets no defaultTags:
      // the stack's aws: config is the default provider's.
      .filter((declaration) => !Object.hasOwn(declaration, "pulumi:providers:aws"))
      .flatMap((declaration) =>
        Object.entries(declaration)
          .filter(([type]) => tagged(type))
          .filter(([type, actions]) => {
            const calls = (PROVIDER_CALLS as Record<string, { tags?: readonly string[] }>)[type]?.tags;
            return calls === undefined || calls.some((action) => !actions.includes(action));
          })
          .map(([type]) => `${Object.keys(declaration)[0]} ${type}`),
      );

  it("each declares the provider's tag calls (CreatePolicy, CreateRole... with tags need them), the guardrails' SCPs and RCPs included", () => {
    expect(tagged("aws:organizations/policy:Policy")).toBe(true);
    expect(tagged("aws:organizations/policyAttachment:PolicyAttachment")).toBe(false);
    expect(untaggable(componentDeclarations)).toEqual([]);
    // negative control: the guardrails as they were, without tags.
    const { "aws:organizations/policy:Policy": _, ...rest } = organizationGuardrailPermissions;
    expect(
      untaggable([
        {
          ...rest,
          "aws:organizations/policy:Policy": [
            "organizations:CreatePolicy",
            "organizations:DeletePolicy",
            "organizations:DescribePolicy",
            "organizations:ListTagsForResource",
            "organizations:UpdatePolicy",
          ],
        },
      ]),
    ).toEqual(["cordon:organizations:OrganizationGuardrail aws:organizations/policy:Policy"]);
  });

  const MANAGEMENT = "999999999999";
  const organization = rolePolicies().organization.document;
  const deployer = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    decide([organization], {
      principal: `arn:aws:sts::${MANAGEMENT}:assumed-role/cordon-deployer/ci`,
      action,
      resource,
      account: MANAGEMENT,
      context,
    });
  const policy = (type: string) => `arn:aws:organizations::${MANAGEMENT}:policy/o-a1b2c3d4e5/${type}/p-a1b2c3d4`;
  const TYPE = { service_control_policy: "SERVICE_CONTROL_POLICY", resource_control_policy: "RESOURCE_CONTROL_POLICY" };

  it.each(["organizations:TagResource", "organizations:UntagResource"])(
    "the organization stack's deployer may %s the guardrails' SCPs and RCPs, as created with the stack's tags",
    async (action) => {
      for (const [type, name] of Object.entries(TYPE)) {
        expect(
          await deployer(action, policy(type), {
            "organizations:PolicyType": name,
            "aws:RequestTag/CostCenter": "security",
            "aws:TagKeys": ["CostCenter"],
          }),
        ).toBe("Allowed");
      }
      expect(
        await deployer("organizations:CreatePolicy", policy("service_control_policy"), {
          "organizations:PolicyType": "SERVICE_CONTROL_POLICY",
          "aws:RequestTag/CostCenter": "security",
          "aws:TagKeys": ["CostCenter"],
        }),
      ).toBe("Allowed");
    },
  );

  it.each([
    ["an account", `arn:aws:organizations::${MANAGEMENT}:account/o-a1b2c3d4e5/444444444444`, {}],
    ["an OU", `arn:aws:organizations::${MANAGEMENT}:ou/o-a1b2c3d4e5/ou-a1b2-c3d4e5f6`, {}],
    ["the root", `arn:aws:organizations::${MANAGEMENT}:root/o-a1b2c3d4e5/r-a1b2`, {}],
    ["a tag policy", policy("tag_policy"), { "organizations:PolicyType": "TAG_POLICY" }],
    ["a backup policy", policy("backup_policy"), { "organizations:PolicyType": "BACKUP_POLICY" }],
  ])("but tags nothing else: not %s", async (_, resource, context) => {
    expect(await deployer("organizations:TagResource", resource, context)).toBe("ImplicitlyDenied");
    expect(await deployer("organizations:UntagResource", resource, context)).toBe("ImplicitlyDenied");
  });
});

describe("deploy: the scopes mean what they say (issue 9, point 6)", () => {
  const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/cordon-deployer`;
  const withDeny = deployPolicy(deployDeclarations, { protectedRoleArns: [DEPLOYER] }).document as PolicyDocument;
  const withoutDeny = deployPolicy(deployDeclarations).document as PolicyDocument;
  const as =
    (document: PolicyDocument) =>
    (action: string, resource: string, context: Record<string, string> = {}) =>
      decide([document], {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/cordon-deployer/ci`,
        action,
        resource,
        account: ACCOUNT,
        context,
      });
  const at = as(withDeny);
  const policyArn = (arn: string) => ({ "iam:PolicyARN": arn });
  const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
  const ROLE_DENY = `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-role-sessions-deploy`;

  it.each([
    [
      "iam:AttachUserPolicy",
      `arn:aws:iam::${ACCOUNT}:user/ci-deployer`,
      policyArn(`arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-ci-deployer`),
      "Allowed",
    ],
    ["iam:AttachUserPolicy", `arn:aws:iam::${ACCOUNT}:user/ci-deployer`, policyArn(ADMIN), "ImplicitlyDenied"],
    ["iam:CreatePolicy", `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-dana`, {}, "Allowed"],
    ["iam:CreatePolicyVersion", `arn:aws:iam::${ACCOUNT}:policy/someone-elses`, {}, "ImplicitlyDenied"],
    ["iam:UpdateAccessKey", `arn:aws:iam::${ACCOUNT}:user/ci-deployer`, {}, "Allowed"],
    ["iam:CreateUser", `arn:aws:iam::${ACCOUNT}:user/backdoor`, {}, "ImplicitlyDenied"],
    ["s3:GetObject", "arn:aws:s3:::customer-data/export.csv", {}, "ImplicitlyDenied"],
  ])("%s on %s %j: %s", async (action, resource, context, decision) => {
    expect(await at(action, resource, context)).toBe(decision);
  });

  it.each([
    ["iam:PutRolePolicy", {}],
    ["iam:DeleteRolePolicy", {}],
    ["iam:AttachRolePolicy", policyArn(ADMIN)],
    ["iam:AttachRolePolicy", policyArn(ROLE_DENY)],
    ["iam:DetachRolePolicy", policyArn(ROLE_DENY)],
    ["iam:UpdateAssumeRolePolicy", {}],
    ["iam:UpdateRole", {}],
    ["iam:TagRole", {}],
  ])("cannot change its own role: %s %j is explicitly denied", async (action, context) => {
    expect(await at(action, DEPLOYER, context)).toBe("ExplicitlyDenied");
    // Even were its role under /cordon/, where replacement roles are changed.
    const underCordon = `arn:aws:iam::${ACCOUNT}:role/cordon/cordon-deployer`;
    const underCordonDeny = deployPolicy(deployDeclarations, { protectedRoleArns: [underCordon] })
      .document as PolicyDocument;
    expect(await as(underCordonDeny)(action, underCordon, context)).toBe("ExplicitlyDenied");
  });

  it("negative control: without --deployer-role-arn, the revoke policy could go on its own role", async () => {
    expect(await as(withoutDeny)("iam:PutRolePolicy", DEPLOYER)).toBe("Allowed");
  });

  it.each([
    ["iam:AttachRolePolicy", `arn:aws:iam::${ACCOUNT}:role/deploy`, policyArn(ADMIN), "ImplicitlyDenied"],
    [
      "iam:AttachRolePolicy",
      `arn:aws:iam::${ACCOUNT}:role/deploy`,
      policyArn(`arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-dana`),
      "ImplicitlyDenied",
    ],
    ["iam:UpdateAssumeRolePolicy", `arn:aws:iam::${ACCOUNT}:role/deploy`, {}, "ImplicitlyDenied"],
    ["iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/backdoor`, {}, "ImplicitlyDenied"],
    // Cordon's own managed deny goes on a role without room for the inline one, and is detached when the incident expires.
    ["iam:AttachRolePolicy", `arn:aws:iam::${ACCOUNT}:role/deploy`, policyArn(ROLE_DENY), "Allowed"],
    ["iam:DetachRolePolicy", `arn:aws:iam::${ACCOUNT}:role/deploy`, policyArn(ROLE_DENY), "Allowed"],
    [
      "iam:DetachRolePolicy",
      `arn:aws:iam::${ACCOUNT}:role/cordon/ci-oidc`,
      policyArn("arn:aws:iam::aws:policy/ReadOnlyAccess"),
      "ImplicitlyDenied",
    ],
    // Replacement roles, under /cordon/, get what their incident declares.
    ["iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/cordon/ci-oidc`, {}, "Allowed"],
    [
      "iam:AttachRolePolicy",
      `arn:aws:iam::${ACCOUNT}:role/cordon/ci-oidc`,
      policyArn("arn:aws:iam::aws:policy/ReadOnlyAccess"),
      "Allowed",
    ],
    ["iam:UpdateAssumeRolePolicy", `arn:aws:iam::${ACCOUNT}:role/cordon/ci-oidc`, {}, "Allowed"],
  ])(
    "attaches and changes roles only under role/cordon/*: %s on %s %j: %s",
    async (action, resource, context, decision) => {
      expect(await at(action, resource, context)).toBe(decision);
    },
  );

  it.each([
    `arn:aws:iam::${ACCOUNT}:role/deploy`,
    `arn:aws:iam::${ACCOUNT}:role/service/analytics-readonly`,
    `arn:aws:iam::${ACCOUNT}:role/cordon/ci-oidc`,
  ])("can still put and remove the revoke policy on any other role: %s", async (role) => {
    expect(await at("iam:PutRolePolicy", role)).toBe("Allowed");
    expect(await at("iam:DeleteRolePolicy", role)).toBe("Allowed");
  });

  it.each([
    ["iam:CreateAccessKey", `arn:aws:iam::${ACCOUNT}:user/ci-deployer`],
    ["iam:DeleteAccessKey", `arn:aws:iam::${ACCOUNT}:user/ci-deployer`],
    ["iam:CreateAccessKey", `arn:aws:iam::${ACCOUNT}:user/cordon/anyone`],
  ])("can never create or delete an access key, whatever else it is granted: %s on %s", async (action, resource) => {
    expect(await at(action, resource)).toBe("ExplicitlyDenied");
    const ADMIN_DOCUMENT: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    };
    expect(
      await decide([withDeny, ADMIN_DOCUMENT], {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/cordon-deployer/ci`,
        action,
        resource,
        account: ACCOUNT,
      }),
    ).toBe("ExplicitlyDenied");
  });

  it("never assumes a role, so a role it creates under /cordon/ cannot lift it", async () => {
    expect(await at("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/cordon/ci-oidc`)).toBe("ExplicitlyDenied");
  });

  it("auto-contain's dead-letter queue: the provider's calls, in one statement on the queue's names; the preview role only reads them", () => {
    const policies = rolePolicies({ deployerRoleArn: DEPLOYER });
    const sqs = (document: PolicyDocument) =>
      document.Statement.filter((s) => [s.Action].flat().some((action) => String(action).startsWith("sqs:")));
    expect(sqs(policies.deploy.document)).toEqual([
      {
        Sid: "AutoContainDeadLetterQueue",
        Effect: "Allow",
        Action: [
          "sqs:CreateQueue",
          "sqs:DeleteQueue",
          "sqs:GetQueueAttributes",
          "sqs:ListQueueTags",
          "sqs:SetQueueAttributes",
        ],
        Resource: "arn:aws:sqs:us-east-1:*:cordon-auto-contain-*",
      },
    ]);
    expect(sqs(policies.preview.document)).toEqual([
      {
        Sid: "AutoContainDeadLetterQueue",
        Effect: "Allow",
        Action: ["sqs:GetQueueAttributes", "sqs:ListQueueTags"],
        Resource: "arn:aws:sqs:us-east-1:*:cordon-auto-contain-*",
      },
    ]);
    // doctor counts what waits in it, and reads no message.
    expect(commandPermissions.doctor.filter((action) => action.startsWith("sqs:"))).toEqual([
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
    ]);
  });
});

describe("commands: every call the CLI sends is declared and granted", () => {
  let moto: Moto;
  let restoreEnv: () => void;
  let dir: string;
  const iamMock = mockClient(IAMClient);
  const stsMock = mockClient(STSClient);
  const trailMock = mockClient(CloudTrailClient);
  // The account's list of regions is moto's own answer (DescribeRegions): recorded, sent through.
  const ec2Mock = mockClient(EC2Client);
  const iam = new IAMClient({});
  const seed = <T>(command: unknown): Promise<T> =>
    (iamMock.send.wrappedMethod as (c: unknown) => Promise<T>).call(iam, command);
  let key: string;

  beforeAll(async () => {
    // moto lacks service-specific credentials, which assess lists: the proxy answers them.
    moto = await startMoto({ serviceCredentials: true });
    restoreEnv = useMotoEnv(moto);
    iamMock.send.callThrough();
    stsMock.send.callThrough();
    // The simulator as cordon's policy makes it answer: only the calls matter here.
    iamMock.on(SimulatePrincipalPolicyCommand).callsFake(async (input: SimulatePrincipalPolicyCommandInput) => {
      const issued = input.ContextEntries?.[0]?.ContextKeyValues?.[0] ?? "";
      const decision = Date.parse(issued) < Date.parse(CUTOFF) ? "explicitDeny" : "allowed";
      return {
        EvaluationResults: (input.ActionNames ?? []).map((a) => ({ EvalActionName: a, EvalDecision: decision })),
        IsTruncated: false,
      };
    });
    // moto has no CloudTrail: an empty trail, and an opt-in region that refuses the credentials
    // (moto calls me-south-1 not-opted-in), so that review asks the account which regions it has enabled.
    trailMock.on(LookupEventsCommand).callsFake(async (_input, getClient) => {
      if ((await getClient().config.region()) === "me-south-1")
        throw Object.assign(new Error("The security token included in the request is invalid."), {
          name: "UnrecognizedClientException",
          $metadata: { httpStatusCode: 400 },
        });
      return { Events: [] };
    });
    ec2Mock.send.callThrough();
    await seed(new CreateUserCommand({ UserName: "ci-deployer" }));
    await seed(
      new AttachUserPolicyCommand({
        UserName: "ci-deployer",
        PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
      }),
    );
    key = (await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "ci-deployer" })))
      .AccessKey.AccessKeyId;
    dir = mkdtempSync(join(tmpdir(), "cordon-permissions-"));
    // What `pulumi up` leaves for an incident naming the user, its key and a role.
    mkdirSync(join(dir, "applied"));
    writeFileSync(
      join(dir, "applied", "2026-11-28-ci-deploy-key.yaml"),
      [
        "id: 2026-11-28-ci-deploy-key",
        "title: CI key",
        `account: "${ACCOUNT}"`,
        `cutoff: ${CUTOFF}`,
        "users:",
        "  - name: ci-deployer",
        `    accessKeys: [${key}]`,
        "roles:",
        "  - name: deploy",
        "",
      ].join("\n"),
    );
    await seed(
      new CreateRoleCommand({
        RoleName: "deploy",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    const loaded = loadIncidentPaths([join(dir, "applied")], dir, new Date(NOW));
    for (const deny of buildPlan(loaded.incidents).denyPolicies) {
      const document = JSON.stringify(deny.document);
      if (deny.principal.type === "role") {
        await seed(
          new PutRolePolicyCommand({
            RoleName: deny.principal.name,
            PolicyName: deny.policyName,
            PolicyDocument: document,
          }),
        );
      } else {
        const created = await seed<{ Policy: { Arn: string } }>(
          new CreatePolicyCommand({ PolicyName: deny.policyName, Path: "/cordon/", PolicyDocument: document }),
        );
        await seed(new AttachUserPolicyCommand({ UserName: deny.principal.name, PolicyArn: created.Policy.Arn }));
      }
    }
    await seed(new UpdateAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: key, Status: "Inactive" }));
  });
  afterAll(async () => {
    iamMock.restore();
    stsMock.restore();
    trailMock.restore();
    ec2Mock.restore();
    restoreEnv?.();
    rmSync(dir, { recursive: true, force: true });
    await moto?.stop();
  });

  /** Runs one command and returns the actions of the AWS calls it sent. */
  async function sentBy(args: string[]): Promise<string[]> {
    for (const mock of [iamMock, stsMock, trailMock, ec2Mock]) mock.resetHistory();
    // new runs outside any project, where --dir is taken as given (in this repository, only a
    // folder a stack reads is).
    const io = memoryIo(args[0] === "new" ? { cwd: dir } : {});
    const code = await main(args, io);
    // Each run must succeed, so that it makes every call a real run makes: review's mocked CloudTrail
    // holds no event of the key, which is its exit 3 (not found), after every call.
    expect({ code, stderr: io.stderr }).toEqual({
      code: args[0] === "review" ? 3 : 0,
      stderr: args[0] === "review" ? expect.any(String) : "",
    });
    return [
      ...iamMock.calls().map((c) => actionOf("IAM", c.args[0])),
      ...stsMock.calls().map((c) => actionOf("STS", c.args[0])),
      ...trailMock.calls().map((c) => actionOf("CloudTrail", c.args[0])),
      ...ec2Mock.calls().map((c) => actionOf("EC2", c.args[0])),
    ];
  }

  const runs: Record<string, () => string[]> = {
    assess: () => ["assess", "--access-key", key],
    new: () => [
      "new",
      "--access-key",
      key,
      "--title",
      "CI key in public repo",
      "--dir",
      join(dir, "new"),
      "--now",
      NOW,
    ],
    review: () => [
      "review",
      "--access-key",
      key,
      "--regions",
      "us-east-1",
      "--since",
      "2026-11-27T00:00:00Z",
      "--until",
      "2026-11-28T00:00:00Z",
      "--json",
    ],
    // An opt-in region that refuses the credentials: the review asks the account about its regions.
    "review in an opt-in region": () => [
      "review",
      "--access-key",
      key,
      "--regions",
      "us-east-1,me-south-1",
      "--since",
      "2026-11-27T00:00:00Z",
      "--until",
      "2026-11-28T00:00:00Z",
      "--json",
    ],
    verify: () => ["verify", join(dir, "applied"), "--now", NOW, "--json"],
  };

  it.each(Object.keys(runs))("%s sends only calls it declares, and the commands policy grants them", async (name) => {
    const args = runs[name]();
    const sent = await sentBy(args);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((action) => !commandPermissions[args[0]].includes(action))).toEqual([]);
    expect(uncovered(sent, commandsPolicy(commandPermissions).document)).toEqual([]);
  });

  it("the verify role's policy grants what the contain report runs with it: verify, and review over LookupEvents", async () => {
    const sent = await sentBy(runs.review());
    expect(sent).toContain("cloudtrail:LookupEvents");
    expect(uncovered(sent, rolePolicies().verify.document)).toEqual([]);
    const optIn = await sentBy(runs["review in an opt-in region"]());
    expect(optIn).toContain("ec2:DescribeRegions");
    expect(uncovered(optIn, rolePolicies().verify.document)).toEqual([]);
    expect(uncovered(await sentBy(runs.verify()), rolePolicies().verify.document)).toEqual([]);
  });

  it("negative control: assess's calls against a declaration without iam:ListRoles", async () => {
    const sent = await sentBy(runs.assess());
    const without = { ...commandPermissions, assess: commandPermissions.assess.filter((a) => a !== "iam:ListRoles") };
    expect(uncovered(sent, commandsPolicy({ assess: without.assess }).document)).toEqual(["iam:ListRoles"]);
  });
});

describe("commands policy", () => {
  it("is read-only", () => {
    const actions = Object.values(commandPermissions).flat();
    expect(actions.filter((a) => !isReadOnly(a))).toEqual([]);
    // negative control
    expect(isReadOnly("iam:UpdateAccessKey")).toBe(false);
  });
});

/** Every policy `permissions` prints, in the order `--json` gives them. */
const POLICIES = ["deploy", "organization", "preview", "preview-organization", "verify", "contain", "commands"];

describe("cordon permissions", () => {
  it("--json prints every document, the reasons and the declarations they come from", async () => {
    const io = memoryIo();
    expect(await main(["permissions", "--json"], io)).toBe(0);
    const json = JSON.parse(io.stdout);
    expect(json.deploy).toEqual(deployPolicy(deployDeclarations).document);
    expect(json.organization).toEqual(organizationPolicy(organizationDeclarations).document);
    expect(json.commands).toEqual(commandsPolicy(commandPermissions).document);
    expect(Object.keys(json.why)).toEqual(POLICIES);
    expect(json.byResourceType).toEqual({ ...deployDeclarations, ...organizationDeclarations });
    expect(Object.keys(json.byCommand)).toEqual(["assess", "doctor", "new", "review", "verify"]);
  });

  it("with --deployer-role-arn, denies every role-changing action on that role and cordon's other roles in its account; without it, says on stderr that the Deny is missing", async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/ci/cordon-deployer`;
    const io = memoryIo();
    expect(await main(["permissions", "--json", "--deployer-role-arn", arn], io)).toBe(0);
    expect(io.stderr).toBe("");
    expect(JSON.parse(io.stdout).deploy.Statement.at(-1)).toEqual({
      Sid: "NotCordonsOwnRoles",
      Effect: "Deny",
      Action: [
        "iam:Attach*",
        "iam:Create*",
        "iam:Delete*",
        "iam:Detach*",
        "iam:Put*",
        "iam:Tag*",
        "iam:Untag*",
        "iam:Update*",
      ],
      // Each of cordon's four roles by its name, at the root path and under any other.
      Resource: [
        `arn:aws:iam::${ACCOUNT}:role/*/cordon-contain`,
        `arn:aws:iam::${ACCOUNT}:role/*/cordon-deployer`,
        `arn:aws:iam::${ACCOUNT}:role/*/cordon-preview`,
        `arn:aws:iam::${ACCOUNT}:role/*/cordon-verify`,
        `arn:aws:iam::${ACCOUNT}:role/ci/cordon-deployer`,
        `arn:aws:iam::${ACCOUNT}:role/cordon-contain`,
        `arn:aws:iam::${ACCOUNT}:role/cordon-deployer`,
        `arn:aws:iam::${ACCOUNT}:role/cordon-preview`,
        `arn:aws:iam::${ACCOUNT}:role/cordon-verify`,
      ],
    });
    const without = memoryIo();
    expect(await main(["permissions", "--json"], without)).toBe(0);
    expect(without.stderr).toBe(
      "cordon permissions: the deploy policy has no Deny on cordon's own roles: it may put an inline policy on any role, its own and cordon-preview included; pass --deployer-role-arn ARN (the role that runs pulumi up) to add that Deny (on it and on cordon-preview, cordon-verify and cordon-contain in its account)\n",
    );
    expect(JSON.stringify(JSON.parse(without.stdout).deploy)).not.toContain("NotCordonsOwnRoles");
  });

  it("names the deployer's secret as the workflows do: CORDON_AWS_ROLE_ARN_TEMPLATE, never the older CORDON_AWS_ROLE_ARN", () => {
    const root = join(import.meta.dirname, "..");
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0");
    // The tests are left out: doctor's name a wrong secret on purpose.
    const sources = files.filter((file) => /\.(ts|md|ya?ml)$/.test(file) && !file.startsWith("test/"));
    expect(sources).toContain("permissions/policies.ts");
    const stale = sources.filter((file) =>
      /CORDON_AWS_ROLE_ARN(?!_TEMPLATE)/.test(readFileSync(join(root, file), "utf8")),
    );
    expect(stale).toEqual([]);
  });

  it.each([
    "arn:aws:iam::123456789012:user/cordon-deployer",
    "cordon-deployer",
    "arn:aws:iam::12345:role/x",
    "arn:aws:iam::{acount}:role/x",
    "arn:aws:iam::**:role/x",
  ])("refuses --deployer-role-arn %s (exit 2)", async (arn) => {
    const io = memoryIo();
    expect(await main(["permissions", "--deployer-role-arn", arn], io)).toBe(2);
    expect(io.stderr).toBe(
      usageOutput(
        `cordon permissions: --deployer-role-arn: found ${JSON.stringify(arn)}, expected a role ARN such as arn:aws:iam::123456789012:role/cordon-deployer (the account may be {account} or *)`,
      ),
    );
  });

  it.each(["arn:aws:iam::{account}:role/cordon-deployer", "arn:aws:iam::*:role/cordon-deployer"])(
    "takes the account of --deployer-role-arn as %s, for one document in every account: the Deny names cordon's roles in the policy's own account",
    async (given) => {
      const io = memoryIo();
      expect(await main(["permissions", "--deployer-role-arn", given], io)).toBe(0);
      const deny = (JSON.parse(io.stdout) as PolicyDocument).Statement.at(-1)!;
      expect(deny).toMatchObject({
        Sid: "NotCordonsOwnRoles",
        Effect: "Deny",
        Resource: [
          ...["cordon-contain", "cordon-deployer", "cordon-preview", "cordon-verify"].map(
            (name) => `arn:aws:iam::*:role/*/${name}`,
          ),
          ...["cordon-contain", "cordon-deployer", "cordon-preview", "cordon-verify"].map(
            (name) => `arn:aws:iam::*:role/${name}`,
          ),
        ],
      });
      // In any account, the Deny holds on that account's cordon roles and on no other role.
      for (const account of ["123456789012", "210987654321"]) {
        const on = (role: string) =>
          decide([JSON.parse(io.stdout)], {
            principal: `arn:aws:iam::${account}:role/cordon-deployer`,
            action: "iam:PutRolePolicy",
            resource: `arn:aws:iam::${account}:role/${role}`,
            account,
          });
        for (const role of ["cordon-deployer", "cordon-preview", "cordon-verify", "cordon-contain"]) {
          expect([role, await on(role)]).toEqual([role, "ExplicitlyDenied"]);
          // Made by hand under a path (the deploy policy's own /cordon/ scope included): the same role.
          for (const path of ["cordon", "ops/ci"])
            expect([`${path}/${role}`, await on(`${path}/${role}`)]).toEqual([`${path}/${role}`, "ExplicitlyDenied"]);
        }
        expect(await on("deploy")).toBe("Allowed");
        expect(await on("cordon-previewer")).toBe("Allowed");
        expect(await on("cordon/cordon-previewer")).toBe("Allowed");
      }
    },
  );

  it("prints one document on stdout that can be pasted as it is, and why each statement is scoped so on stderr", async () => {
    for (const policy of POLICIES) {
      const io = memoryIo();
      expect(
        await main(
          ["permissions", "--policy", policy, "--deployer-role-arn", "arn:aws:iam::{account}:role/cordon-deployer"],
          io,
        ),
      ).toBe(0);
      // Pasteable: the whole of stdout is one JSON policy document, nothing else.
      const document = JSON.parse(io.stdout) as PolicyDocument;
      expect(document.Version).toBe("2012-10-17");
      expect(io.stdout).not.toMatch(/^#/m);
      expect(io.stderr.split("\n")[0]).toMatch(new RegExp(`^${policy}: for |^${policy}: on top of `));
      for (const statement of document.Statement) expect(io.stderr).toContain(`\n  ${statement.Sid}: `);
    }
    const io = memoryIo();
    expect(await main(["permissions"], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual(deployPolicy(deployDeclarations).document);
    expect(io.stderr).toContain(
      "\n  CordonManagedPolicies: only cordon's managed policies: they live under the path /cordon/ (keep the deployer's own policy elsewhere)\n",
    );
  });

  it("refuses an unknown --policy, and --policy with --json", async () => {
    const io = memoryIo();
    expect(await main(["permissions", "--policy", "admin"], io)).toBe(2);
    expect(io.stderr).toBe(
      usageOutput(
        'cordon permissions: --policy: found "admin", expected one of deploy, organization, preview, preview-organization, verify, contain, commands',
      ),
    );
    const both = memoryIo();
    expect(await main(["permissions", "--policy", "deploy", "--json"], both)).toBe(2);
    expect(both.stderr).toBe(
      usageOutput("cordon permissions: --policy and --json: --json prints every policy; pass one of them"),
    );
  });

  it("takes no arguments", async () => {
    const io = memoryIo();
    expect(await main(["permissions", "extra"], io)).toBe(2);
    expect(io.stderr).toBe(
      usageOutput('cordon permissions: unexpected argument "extra": permissions takes no arguments'),
    );
  });
});
