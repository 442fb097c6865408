/**
 * assess's pure core: what documents grant (risk), which roles a user can assume, the order of
 * containment, and the room left for cordon's policy. Documents in, meaning out.
 */
import { describe, expect, it } from "vitest";
import { assess, type UserFacts } from "../assess/assessment.ts";
import { assumableRoles, type RoleTrust } from "../assess/assumable.ts";
import { allPages } from "../aws/clients.ts";
import { policySize } from "../plan/policies.ts";
import type { PolicyDocument as Document, PolicyStatement as Statement } from "../plan/policies.ts";
import { classifyRisk, containmentOrder, type Risk, type SourcedPolicy } from "../assess/risk.ts";

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
    ["ec2 only", doc(allow(["ec2:Describe*", "ec2:RunInstances"])), {}],
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
    });
  });
});

describe("containmentOrder", () => {
  const risk = (r: Partial<typeof NONE>) => classifyRiskLike({ ...NONE, ...r });
  function classifyRiskLike(f: typeof NONE): Risk {
    return {
      ...f,
      via: { admin: [], iamWrite: [], dataRead: [], secretsRead: [], dataWrite: [] },
      actions: { iamWrite: [], dataRead: [], secretsRead: [], dataWrite: [] },
    };
  }
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
      { dataRead: true },
      "replace-first",
      "it can only read data: if that data is public, move the workload to a role first, then disable the key; if not, contain first",
    ],
    [
      {},
      "replace-first",
      "it reaches no data and cannot write IAM: move the workload to a role first, then disable the key",
    ],
  ])("%j → %s", (flagsSet, order, reason) => {
    expect(containmentOrder(risk(flagsSet), { roles: [], otherAccounts: [] })).toEqual({ order, reason });
  });

  // Replace first leaves the key Active while the workload moves: time enough to mint a role's
  // session (up to 12 h) whose permissions assess does not read.
  it.each([
    ["a role of this account", { roles: [`arn:aws:iam::${ACCOUNT}:role/hop`], otherAccounts: [] }],
    ["roles of other accounts", { roles: [], otherAccounts: ["arn:aws:iam::210987654321:role/builder"] }],
  ])("a key that can assume %s is contained first, whatever else it reaches", (_name, assumes) => {
    const expected = { order: "contain-first", reason: "it can assume roles whose permissions assess does not read" };
    expect(containmentOrder(risk({}), assumes)).toEqual(expected);
    expect(containmentOrder(risk({ dataRead: true }), assumes)).toEqual(expected);
    // What the key can do itself still comes first as the reason.
    expect(containmentOrder(risk({ iamWrite: true }), assumes).reason).toBe(
      "it can change IAM: create users and keys, attach policies, detach cordon's deny policy",
    );
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
