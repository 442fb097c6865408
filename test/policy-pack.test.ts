/**
 * cordon's policy pack (policy/): what the program registers passes it, and each way of breaking an
 * invariant fails it: a key set Active, created, or open to replacement (a delete), an Allow in a
 * deny, a guardrail that names nobody, a replacement role outside /cordon/, a type cordon does not
 * declare. Judged by @pulumi/policy's own analyzer code over the engine's messages
 * (test/support/policy-pack.ts), and once through the pack's own process, started as Pulumi's
 * Node.js language host starts a policy pack, over gRPC.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import { buildPlan } from "../plan/plan.ts";
import { deploy } from "../program/deploy.ts";
import { DisabledAccessKey } from "../components/DisabledAccessKey.ts";
import { DisabledServiceSpecificCredential } from "../components/DisabledServiceSpecificCredential.ts";
import { DisabledSigningCertificate } from "../components/DisabledSigningCertificate.ts";
import { DisabledSshPublicKey } from "../components/DisabledSshPublicKey.ts";
import { AWS_CONFIG_DEFAULTS, awsCheckConfig } from "../emulators/engine/provider.ts";
import { ROLE_NAMES } from "../incident/own-roles.ts";
import type { PolicyDocument, PolicyStatement } from "../plan/policies.ts";
import { AWS_PROVIDER_SETTINGS, CHILD_TYPES, packPolicies, policies, trustProblems } from "../policy/policies.ts";
import { analyze, asAnalyzed, type AnalyzedResource, type Diagnostic } from "./support/policy-pack.ts";
import { EXAMPLE_KEYS, exampleCloud, FakeCloud, runProgram, type ProgramRun } from "./support/pulumi-mocks.ts";

const ACCOUNT = "123456789012";
const MANAGEMENT = "999999999999";
const EXAMPLES = "examples/incidents";

let accountRun: ProgramRun;
let organizationRun: ProgramRun;

beforeAll(async () => {
  const cloud = exampleCloud();
  // What the attacker added to ci-deployer: one credential of every other kind, each disabled by the run.
  cloud.otherCredentials = {
    "ci-deployer": [
      { kind: "ssh-public-key", id: "APKAATTACKERSSHKEY01", status: "Active", createdAt: null },
      { kind: "signing-certificate", id: "CERT00000000000000000000ABC", status: "Active", createdAt: null },
      {
        kind: "service-specific-credential",
        id: "ACCABEDROCKAPIKEY0001",
        status: "Active",
        createdAt: null,
        service: "bedrock.amazonaws.com",
      },
    ],
  };
  accountRun = await runProgram(() => deploy(cloud.iam), {
    cloud,
    config: {
      "cordon:account": ACCOUNT,
      "cordon:incidentsDir": EXAMPLES,
      // Auto-contain brings the program's one explicit provider.
      "cordon:autoContain": "true",
      "cordon:autoContainRepository": "example-org/cordon",
    },
  });
  const management = new FakeCloud({ account: MANAGEMENT });
  organizationRun = await runProgram(() => deploy(management.iam, management.organizations), {
    cloud: management,
    config: {
      "cordon:account": MANAGEMENT,
      "cordon:incidentsDir": EXAMPLES,
      "cordon:organization": JSON.stringify({ targets: ["r-abcd"], managementAccount: MANAGEMENT }),
    },
  });
});

/** The mandatory violations, as `policy: message` lines. */
function mandatory(diagnostics: Diagnostic[]): string[] {
  return diagnostics
    .filter((d) => d.enforcement === "mandatory")
    .map((d) => `${d.policy}: ${d.message.split("\n").slice(1).join(" ") || d.message}`);
}

function find(
  resources: AnalyzedResource[],
  type: string,
  predicate: (r: AnalyzedResource) => boolean = () => true,
): AnalyzedResource {
  const found = resources.find((r) => r.type === type && predicate(r));
  if (!found) throw new Error(`no ${type}`);
  return found;
}

describe("the program's own resources pass every policy", () => {
  it.each([
    ["an account's stack (keys, denies, instants, replacement roles)", () => accountRun],
    ["the organization stack (guardrails)", () => organizationRun],
  ])("%s, at preview and after up", async (_, run) => {
    expect(run().error).toBeUndefined();
    for (const preview of [true, false])
      expect(mandatory(await analyze(policies, asAnalyzed(run().resources, { preview })))).toEqual([]);
  });

  it("the examples exercise every policy: keys, both kinds of deny, guardrails, replacement roles", () => {
    const types = new Set([...accountRun.resources, ...organizationRun.resources].map((r) => r.type));
    for (const type of [
      "aws:iam/sshKey:SshKey",
      "aws:iam/signingCertificate:SigningCertificate",
      "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
    ])
      expect(types).toContain(type);
    for (const type of [
      "aws:iam/accessKey:AccessKey",
      "aws:iam/policy:Policy",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:organizations/policy:Policy",
      "aws:iam/role:Role",
      "pulumi:providers:aws",
    ])
      expect(types).toContain(type);
  });

  it("knows each component's children from the components' own declarations", () => {
    expect(CHILD_TYPES.get("cordon:iam:DisabledAccessKey")).toEqual(new Set(["aws:iam/accessKey:AccessKey"]));
    expect([...CHILD_TYPES.keys()].sort()).toEqual([
      "cordon:events:AutoContain",
      "cordon:iam:ContainmentInstant",
      "cordon:iam:DisabledAccessKey",
      "cordon:iam:DisabledServiceSpecificCredential",
      "cordon:iam:DisabledSigningCertificate",
      "cordon:iam:DisabledSshPublicKey",
      "cordon:iam:ReplacementRole",
      "cordon:iam:SessionRevocation",
      "cordon:organizations:OrganizationGuardrail",
    ]);
  });
});

describe("each broken invariant fails the pack", () => {
  const broken = async (run: () => ProgramRun, change: (resources: AnalyzedResource[]) => void, preview = true) => {
    const resources = structuredClone(asAnalyzed(run().resources, { preview }));
    change(resources);
    return mandatory(await analyze(policies, resources));
  };

  it("a key set Active", async () => {
    expect(
      await broken(
        () => accountRun,
        (rs) =>
          (find(rs, "aws:iam/accessKey:AccessKey", (r) => r.name.includes("ci-deployer")).inputs.status = "Active"),
      ),
    ).toEqual([
      expect.stringMatching(
        /^access-keys-imported-and-disabled: .*ci-deployer.*: status is "Active": cordon sets keys Inactive and never re-enables one$/,
      ),
    ]);
  });

  it("a key that a change of user would replace: a new key created, this one deleted", async () => {
    expect(
      await broken(
        () => accountRun,
        (rs) => (find(rs, "aws:iam/accessKey:AccessKey").ignoreChanges = ["pgpKey"]),
      ),
    ).toEqual([
      expect.stringMatching(
        /^access-keys-imported-and-disabled: .*: ignoreChanges lacks user: a change of it would replace the key, creating a new one and deleting this one$/,
      ),
    ]);
  });

  it("an SSH public key, signing certificate or service-specific credential set Active, replaceable, or declared outside its component", async () => {
    expect(
      await broken(
        () => accountRun,
        (rs) => (find(rs, "aws:iam/sshKey:SshKey").inputs.status = "Active"),
      ),
    ).toEqual([
      expect.stringMatching(
        /^credentials-imported-and-disabled: .*ssh-key.*: status is "Active": cordon sets credentials Inactive and never re-enables one$/,
      ),
    ]);
    expect(
      await broken(
        () => accountRun,
        (rs) => (find(rs, "aws:iam/signingCertificate:SigningCertificate").ignoreChanges = ["userName"]),
      ),
    ).toEqual([
      expect.stringMatching(
        /^credentials-imported-and-disabled: .*: ignoreChanges lacks certificateBody: a change of it would replace the credential, creating a new one and deleting this one$/,
      ),
    ]);
    const credential = (rs: AnalyzedResource[]) =>
      find(rs, "aws:iam/serviceSpecificCredential:ServiceSpecificCredential");
    expect(
      await broken(
        () => accountRun,
        (rs) =>
          (credential(rs).urn = credential(rs).urn.replace(
            "cordon:iam:DisabledServiceSpecificCredential$",
            "cordon:iam:DisabledAccessKey$",
          )),
      ),
    ).toEqual([
      expect.stringMatching(
        /^credentials-imported-and-disabled: .*: declared outside cordon:iam:DisabledServiceSpecificCredential \(parent cordon:iam:DisabledAccessKey\): credentials are only imported and disabled$/,
      ),
      expect.stringMatching(
        /^only-cordon-resource-types: .*: aws:iam\/serviceSpecificCredential:ServiceSpecificCredential is not a type cordon:iam:DisabledAccessKey declares: the stack declares nothing else$/,
      ),
    ]);
  });

  it("an Allow added to a deny policy, managed or inline", async () => {
    const allow = { Sid: "Oops", Effect: "Allow", Action: "*", Resource: "*" };
    for (const type of ["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy"]) {
      const violations = await broken(
        () => accountRun,
        (rs) => {
          const deny = find(rs, type, (r) => r.urn.includes("cordon:iam:SessionRevocation$"));
          const document = JSON.parse(String(deny.inputs.policy));
          document.Statement.push(allow);
          deny.inputs.policy = JSON.stringify(document);
        },
        false,
      );
      expect(violations).toEqual([
        expect.stringMatching(
          /^denies-are-only-denies: .*: statement Oops is Allow: cordon's denies hold only Deny statements$/,
        ),
      ]);
    }
  });

  it("a deny whose condition is not the cutoff's, or that denies less than everything", async () => {
    const violations = await broken(
      () => accountRun,
      (rs) => {
        const deny = find(
          rs,
          "aws:iam/policy:Policy",
          (r) => r.urn.includes("cordon:iam:SessionRevocation$") && String(r.inputs.policy).includes("DateLessThan"),
        );
        const document = JSON.parse(String(deny.inputs.policy));
        document.Statement[0].Condition = { DateGreaterThan: { "aws:TokenIssueTime": "2026-11-28T10:00:00Z" } };
        document.Statement.push({ Sid: "Narrow", Effect: "Deny", Action: "s3:GetObject", Resource: "*" });
        deny.inputs.policy = JSON.stringify(document);
      },
      false,
    );
    expect(violations).toEqual([
      expect.stringMatching(
        /: statement \w+ has the condition \{"DateGreaterThan":\{"aws:TokenIssueTime":"2026-11-28T10:00:00Z"\}\}: expected none \(deny-all\) or exactly DateLessThan aws:TokenIssueTime an instant \(revoke-older-sessions\)$/,
      ),
      expect.stringMatching(
        /: statement Narrow denies "s3:GetObject" on "\*": a revocation denies every action \("\*"\) on every resource \("\*"\)$/,
      ),
    ]);
  });

  it("a guardrail that names nobody (it would deny the whole organization), or allows", async () => {
    const violations = await broken(
      () => organizationRun,
      (rs) => {
        const scp = find(rs, "aws:organizations/policy:Policy");
        const document = JSON.parse(String(scp.inputs.content));
        // The statement keeps its cutoff but loses what names its principals.
        const condition = document.Statement[0].Condition;
        for (const operator of Object.keys(condition)) if (operator !== "DateLessThan") delete condition[operator];
        document.Statement.push({ Sid: "Open", Effect: "Allow", Action: "*", Resource: "*" });
        scp.inputs.content = JSON.stringify(document);
      },
      false,
    );
    expect(violations).toEqual([
      expect.stringMatching(/anything else would deny the whole organization or someone unnamed$/),
      expect.stringMatching(/statement Open is Allow: cordon's guardrails hold only Deny statements$/),
    ]);
  });

  it("a root user's statement that spares anything but centralized root access sessions", async () => {
    // The statement as the plan writes it for a member account's root user, which passes as is.
    const rootStatement = () => {
      const root = buildPlan(
        loadIncidents(
          [
            {
              path: "incidents/2026-11-28-root-key.yaml",
              text: 'id: 2026-11-28-root-key\ntitle: root key\naccount: "444444444444"\ncutoff: at-containment\nrootUsers:\n  - account: "444444444444"\norganization: { scp: true }\n',
            },
          ],
          { now: new Date("2026-11-28T12:00:00Z"), organization: { managementAccount: MANAGEMENT } },
        ).incidents,
        { organization: { targets: ["r-abcd"], managementAccount: MANAGEMENT } },
      ).organizationPolicies[0].document.Statement[0];
      expect(root.Condition?.Null).toEqual({ "aws:AssumedRoot": "true" });
      return structuredClone(root);
    };
    const withStatements = (...statements: object[]) =>
      broken(
        () => organizationRun,
        (rs) => {
          const scp = find(rs, "aws:organizations/policy:Policy");
          const document = JSON.parse(String(scp.inputs.content));
          document.Statement.push(...statements);
          scp.inputs.content = JSON.stringify(document);
        },
        false,
      );
    expect(await withStatements(rootStatement())).toEqual([]);
    const sparesAll = { ...rootStatement(), Sid: "SparesAll" };
    sparesAll.Condition!.Null = { "aws:AssumedRoot": "false" };
    const sparesOther = { ...rootStatement(), Sid: "SparesOther" };
    sparesOther.Condition!.Null = { "aws:MultiFactorAuthAge": "false" };
    expect(await withStatements(sparesAll, sparesOther)).toEqual([
      expect.stringMatching(
        /: statement SparesAll has Null \{"aws:AssumedRoot":"false"\}: a root user's statement spares only centralized root access sessions \(Null aws:AssumedRoot "true"\); anything else would let the root user's own password or access keys through$/,
      ),
      expect.stringMatching(
        /: statement SparesOther has the condition .*"Null":\{"aws:MultiFactorAuthAge":"false"\}.*: a guardrail names its principals \(.*ArnEquals:aws:PrincipalArn and Null:aws:AssumedRoot\), and may add DateLessThan aws:TokenIssueTime; anything else would deny the whole organization or someone unnamed$/,
      ),
    ]);
  });

  it("a federated users' statement broader than one account's federated users: without the account, another type, more accounts", async () => {
    const withStatements = (change: (federated: PolicyStatement) => PolicyStatement[]) =>
      broken(
        () => organizationRun,
        (rs) => {
          const scp = find(rs, "aws:organizations/policy:Policy", (r) =>
            String(r.inputs.content).includes('"aws:PrincipalType"'),
          );
          const document: PolicyDocument = JSON.parse(String(scp.inputs.content));
          const federated = document.Statement.find((s) => s.Condition?.StringEquals?.["aws:PrincipalType"])!;
          expect(federated.Condition?.StringEquals).toEqual({
            "aws:PrincipalType": "FederatedUser",
            "aws:PrincipalAccount": "111111111111",
          });
          document.Statement.push(...change(federated));
          scp.inputs.content = JSON.stringify(document);
        },
        false,
      );
    // As the plan writes it (the examples' build-bot, in 111111111111), it passes.
    expect(await withStatements(() => [])).toEqual([]);
    const variant = (federated: PolicyStatement, sid: string, equals: Record<string, string | string[]>) => ({
      ...structuredClone(federated),
      Sid: sid,
      Condition: { ...structuredClone(federated.Condition), StringEquals: equals },
    });
    const violations = await withStatements((federated) => [
      // Every federated user of the organization.
      variant(federated, "AnyAccount", { "aws:PrincipalType": "FederatedUser" }),
      // Every user's own requests and sessions in the account, or every role session.
      variant(federated, "Users", { "aws:PrincipalType": "User", "aws:PrincipalAccount": "111111111111" }),
      variant(federated, "AndRoles", {
        "aws:PrincipalType": ["FederatedUser", "AssumedRole"],
        "aws:PrincipalAccount": "111111111111",
      }),
      variant(federated, "TwoAccounts", {
        "aws:PrincipalType": "FederatedUser",
        "aws:PrincipalAccount": ["111111111111", "444444444444"],
      }),
    ]);
    const broader = (sid: string, equals: string) =>
      `: statement ${sid} has StringEquals ${equals}: a guardrail names by principal type only the federated users of one account (aws:PrincipalType "FederatedUser", aws:PrincipalAccount one account id); any other type or more accounts would deny sessions no incident names`;
    expect(violations).toEqual([
      expect.stringMatching(
        /: statement AnyAccount has the condition .*: a guardrail names its principals \(.*StringEquals:aws:PrincipalType and StringEquals:aws:PrincipalAccount.*\), and may add DateLessThan aws:TokenIssueTime; anything else would deny the whole organization or someone unnamed$/,
      ),
      expect.stringContaining(broader("Users", '{"aws:PrincipalType":"User","aws:PrincipalAccount":"111111111111"}')),
      expect.stringContaining(
        broader(
          "AndRoles",
          '{"aws:PrincipalType":["FederatedUser","AssumedRole"],"aws:PrincipalAccount":"111111111111"}',
        ),
      ),
      expect.stringContaining(
        broader(
          "TwoAccounts",
          '{"aws:PrincipalType":"FederatedUser","aws:PrincipalAccount":["111111111111","444444444444"]}',
        ),
      ),
    ]);
  });

  it("a guardrail that denies less than cordon's, by its actions, resources or Not* elements, or names nobody", async () => {
    const violations = await broken(
      () => organizationRun,
      (rs) => {
        const scp = find(rs, "aws:organizations/policy:Policy");
        const document = JSON.parse(String(scp.inputs.content));
        const [first] = document.Statement;
        const narrow = { ...structuredClone(first), Sid: "Narrow", Action: "iam:ListUsers" };
        const inverted = { ...structuredClone(first), Sid: "Inverted", NotAction: "*" };
        delete inverted.Action;
        const nobody = structuredClone(first);
        nobody.Sid = "Nobody";
        for (const [operator, entries] of Object.entries(nobody.Condition as Record<string, Record<string, unknown>>))
          if (operator !== "DateLessThan") for (const key of Object.keys(entries)) entries[key] = [];
        document.Statement.push(narrow, inverted, nobody);
        scp.inputs.content = JSON.stringify(document);
      },
      false,
    );
    expect(violations).toEqual([
      expect.stringMatching(
        /: statement Narrow denies "iam:ListUsers" on "\*": an SCP's guardrail denies every action \("\*"\) on every resource \("\*"\), an RCP's denies any principal \("\*"\) kms:\*, s3:\*, secretsmanager:\*, sqs:\*, sts:AssumeRole\* on every resource$/,
      ),
      expect.stringMatching(/: statement Inverted denies "\*" on "\*": an SCP's guardrail denies every action/),
      expect.stringMatching(
        /: statement Nobody names nobody in \w+ [\w:/]+.*: a guardrail names the principals it denies$/,
      ),
    ]);
  });

  it("a role policy outside a session revocation that takes the deny's name, or sits on another role", async () => {
    const violations = await broken(
      () => accountRun,
      (rs) => {
        const inline = find(rs, "aws:iam/rolePolicy:RolePolicy", (r) => r.urn.includes("cordon:iam:ReplacementRole$"));
        // Named as the session revocation's inline policy, on a compromised role: IAM would replace that role's deny.
        for (const props of [inline.inputs, inline.outputs]) {
          props.name = "cordon-revoke-sessions";
          props.role = "deploy";
        }
      },
      false,
    );
    expect(violations).toEqual([
      expect.stringMatching(
        /^role-policies-never-overwrite-denies: .*: named cordon-revoke-sessions outside cordon:iam:SessionRevocation: IAM would replace the deny of role "deploy" with this document$/,
      ),
      expect.stringMatching(
        /^role-policies-on-their-own-role: .*: on role "deploy", not the role cordon:iam:ReplacementRole declares \("[\w-]+"\): it would give another role rights$/,
      ),
    ]);
  });

  it("a deny's attachment that points at another policy, or at another principal", async () => {
    const violations = await broken(
      () => accountRun,
      (rs) => {
        const attachments = rs.filter(
          (r) =>
            r.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment" &&
            r.urn.includes("cordon:iam:SessionRevocation$"),
        );
        expect(attachments.length).toBeGreaterThanOrEqual(2);
        const [other, moved] = attachments;
        // Replaced, the attachment of a harmless policy under /cordon/ would go on before the deny's came off.
        other.inputs.policyArn = `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-nobody`;
        moved.inputs.user = "someone-else";
      },
      false,
    );
    expect(violations).toEqual([
      expect.stringMatching(
        /^deny-attachments-on-their-principal: .*: attaches "arn:aws:iam::123456789012:policy\/cordon\/cordon-revoke-sessions-nobody" to user "[\w-]+": a session revocation attaches only that user's own deny \(\.\.\.:policy\/cordon\/cordon-revoke-sessions-[\w-]+\)$/,
      ),
      expect.stringMatching(
        /^deny-attachments-on-their-principal: .*: attaches ".*:policy\/cordon\/cordon-revoke-sessions-[\w-]+" to user "someone-else": a session revocation attaches only that user's own deny \(\.\.\.:policy\/cordon\/cordon-revoke-sessions-someone-else\)$/,
      ),
    ]);
  });

  it("a replacement role outside /cordon/ or without its incident's tag", async () => {
    const violations = await broken(
      () => accountRun,
      (rs) => {
        const role = find(rs, "aws:iam/role:Role", (r) => r.urn.includes("cordon:iam:ReplacementRole$"));
        role.inputs.path = "/";
        role.inputs.tags = {};
      },
    );
    expect(violations).toEqual([
      expect.stringMatching(
        /^replacement-roles-under-cordon: .*: path is "\/": replacement roles live under \/cordon\/$/,
      ),
      expect.stringMatching(
        /^replacement-roles-under-cordon: .*: tag cordon:incident is null: expected the id of the incident that asks for the role$/,
      ),
    ]);
  });

  it("a role trusting cordon's own roles, anyone, or GitHub's jobs of cordon's own repository", async () => {
    const trusting = async (document: unknown, repositories: string[] = []) => {
      const resources = structuredClone(asAnalyzed(accountRun.resources, { preview: true }));
      const role = find(resources, "aws:iam/role:Role", (r) => r.urn.includes("cordon:iam:ReplacementRole$"));
      role.inputs.assumeRolePolicy = JSON.stringify(document);
      return mandatory(await analyze(packPolicies(repositories), resources));
    };
    const allow = (Principal: unknown, Condition?: unknown) => ({
      Version: "2012-10-17",
      Statement: [
        { Sid: "T", Effect: "Allow", Principal, Action: "sts:AssumeRole", ...(Condition ? { Condition } : {}) },
      ],
    });
    const github = (sub?: string) =>
      allow(
        { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
        sub === undefined ? undefined : { StringEquals: { "token.actions.githubusercontent.com:sub": sub } },
      );
    const refused = (why: string) => [expect.stringMatching(new RegExp(`^roles-trust-none-of-cordon: \\S+: ${why}$`))];
    expect(await trusting(allow({ AWS: `arn:aws:iam::${ACCOUNT}:role/cordon-preview` }))).toEqual(
      refused(
        `statement T trusts arn:aws:iam::${ACCOUNT}:role/cordon-preview, cordon's own role cordon-preview: the role's rights would be its jobs' \\(every pull request's\\)`,
      ),
    );
    expect(await trusting(allow({ AWS: ["arn:aws:iam::210987654321:role/x", "*"] }))).toEqual(
      refused(`statement T trusts any principal \\("\\*"\\): cordon's own roles among them`),
    );
    expect(await trusting(github())).toEqual(
      refused(
        "statement T trusts GitHub's tokens without a condition on token.actions.githubusercontent.com:sub: every repository's jobs, cordon's own among them",
      ),
    );
    expect(await trusting(github("repo:acme/*:ref:refs/heads/main"))).toEqual(
      refused(
        `statement T trusts the GitHub subject "repo:acme/\\*:ref:refs/heads/main", which names no one repository: it could be cordon's own`,
      ),
    );
    expect(await trusting(github("repo:ACME/cordon:environment:cordon-apply"), ["acme/cordon"])).toEqual(
      refused(
        `statement T trusts the GitHub subject "repo:ACME/cordon:environment:cordon-apply", of cordon's own repository ACME/cordon, whose jobs hold cordon's roles: the role's rights would be theirs`,
      ),
    );
    // The compliant neighbours: another role, another repository, the repository when the run is another's.
    expect(await trusting(allow({ AWS: "arn:aws:iam::210987654321:role/cordon-builder" }))).toEqual([]);
    expect(await trusting(github("repo:acme/app:environment:cordon-apply"), ["acme/cordon"])).toEqual([]);
    expect(await trusting(github("repo:acme/cordon:environment:cordon-apply"))).toEqual([]);
  });

  it("trustProblems: cordon's roles by any ARN IAM takes are refused, and only those (fast-check)", () => {
    const partition = fc.constantFrom("aws", "aws-cn", "aws-us-gov");
    const account = fc.stringMatching(/^[0-9]{12}$/);
    const path = fc
      .array(fc.stringMatching(/^[\w+=,.@-]{1,8}$/), { maxLength: 3 })
      .map((p) => p.map((x) => `${x}/`).join(""));
    const cased = (name: string) =>
      fc
        .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
        .map((up) => [...name].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(""));
    const own = fc.constantFrom(...Object.values(ROLE_NAMES)).chain(cased);
    const other = fc
      .stringMatching(/^[\w+=,.@-]{1,64}$/)
      .filter((n) => !Object.values(ROLE_NAMES).includes(n.toLowerCase()));
    const role = (name: fc.Arbitrary<string>) =>
      fc.oneof(
        fc.tuple(partition, account, path, name).map(([p, a, at, n]) => `arn:${p}:iam::${a}:role/${at}${n}`),
        fc.tuple(partition, account, name).map(([p, a, n]) => `arn:${p}:sts::${a}:assumed-role/${n}/session`),
      );
    const doc = (principal: string) => ({
      Version: "2012-10-17" as const,
      Statement: [{ Effect: "Allow" as const, Principal: { AWS: principal }, Action: "sts:AssumeRole" }],
    });
    fc.assert(
      fc.property(role(own), role(other), (mine, theirs) => {
        expect(trustProblems(doc(mine), [])).toHaveLength(1);
        expect(trustProblems(doc(theirs), [])).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("a program that creates a key, or declares anything outside cordon's components: a real program, run", async () => {
    const cloud = new FakeCloud({ account: ACCOUNT, accessKeys: { ...EXAMPLE_KEYS } });
    const run = await runProgram(
      async () => {
        // A key created at the stack's top, Active; a user; and a key under cordon's own component, not imported.
        new aws.iam.AccessKey("fresh", { user: "ci-deployer" });
        new aws.iam.User("backdoor", { name: "backdoor" });
        const parent = new pulumi.ComponentResource(DisabledAccessKey.type, "sneaky", {}, {});
        new aws.iam.AccessKey(
          "sneaky",
          { user: "dana", status: "Inactive" },
          { parent, ignoreChanges: ["user", "pgpKey"] },
        );
        return {};
      },
      { cloud, config: { "cordon:account": ACCOUNT } },
    );
    expect(run.error).toBeUndefined();
    const violations = mandatory(await analyze(policies, asAnalyzed(run.resources, { preview: true })));
    expect(violations.sort()).toEqual(
      [
        "access-keys-imported-and-disabled: fresh: status is null: cordon sets keys Inactive and never re-enables one",
        "access-keys-imported-and-disabled: fresh: declared outside cordon:iam:DisabledAccessKey (parent none): keys are only imported and disabled",
        "access-keys-imported-and-disabled: fresh: ignoreChanges lacks pgpKey, user: a change of it would replace the key, creating a new one and deleting this one",
        "access-keys-never-created: fresh: this access key would be created by Pulumi (it has a secret): cordon only imports existing keys",
        "access-keys-never-created: sneaky: this access key would be created by Pulumi (it has a secret): cordon only imports existing keys",
        "only-cordon-resource-types: backdoor: aws:iam/user:User outside cordon's components (at the stack's top): the stack declares nothing else",
        "only-cordon-resource-types: fresh: aws:iam/accessKey:AccessKey outside cordon's components (at the stack's top): the stack declares nothing else",
      ].sort(),
    );
    // After up, the created key's secret is there: still caught.
    expect(
      mandatory(await analyze(policies, asAnalyzed(run.resources, { preview: false }))).filter((v) =>
        v.startsWith("access-keys-never-created"),
      ),
    ).toHaveLength(2);
  });

  it("a program that creates an SSH public key, a signing certificate or a service-specific credential under its component, Inactive, with its ForceNew inputs ignored: a real program, run", async () => {
    const cloud = new FakeCloud({ account: ACCOUNT, accessKeys: { ...EXAMPLE_KEYS } });
    const forceNew = { ignoreChanges: ["username", "publicKey", "encoding", "userName", "certificateBody"] };
    const run = await runProgram(
      async () => {
        // Each as its Disabled component declares one, but without `import`: Pulumi would create it.
        const under = (type: string) => ({
          parent: new pulumi.ComponentResource(type, "planted", {}, {}),
          ...forceNew,
        });
        new aws.iam.SshKey(
          "planted-ssh",
          {
            username: "dana",
            encoding: "SSH",
            publicKey: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
            status: "Inactive",
          },
          under(DisabledSshPublicKey.type),
        );
        new aws.iam.SigningCertificate(
          "planted-certificate",
          { userName: "dana", certificateBody: "-----BEGIN CERTIFICATE-----", status: "Inactive" },
          under(DisabledSigningCertificate.type),
        );
        new aws.iam.ServiceSpecificCredential(
          "planted-credential",
          { userName: "dana", serviceName: "bedrock.amazonaws.com", status: "Inactive" },
          {
            ...under(DisabledServiceSpecificCredential.type),
            ignoreChanges: ["userName", "serviceName", "credentialAgeDays"],
          },
        );
        return {};
      },
      { cloud, config: { "cordon:account": ACCOUNT } },
    );
    expect(run.error).toBeUndefined();
    // At preview every one is refused, by what only a create leaves unknown, and by nothing else.
    expect(mandatory(await analyze(policies, asAnalyzed(run.resources, { preview: true }))).sort()).toEqual([
      "credentials-never-created: planted-certificate: this signing certificate would be created by Pulumi (its certificateId is not known yet: AWS gives it to the call that creates the signing certificate): cordon only imports existing credentials",
      "credentials-never-created: planted-credential: this service-specific credential would be created by Pulumi (its serviceSpecificCredentialId is not known yet: AWS gives it to the call that creates the service-specific credential): cordon only imports existing credentials",
      "credentials-never-created: planted-ssh: this SSH public key would be created by Pulumi (its sshPublicKeyId is not known yet: AWS gives it to the call that creates the SSH public key): cordon only imports existing credentials",
    ]);
    // After up, only a service-specific credential shows it (its password); an uploaded key or
    // certificate has no secret and reads as an imported one: the deployer's Deny of its upload stops it.
    expect(mandatory(await analyze(policies, asAnalyzed(run.resources, { preview: false })))).toEqual([
      "credentials-never-created: planted-credential: this service-specific credential would be created by Pulumi (it has a secret: servicePassword): cordon only imports existing credentials",
    ]);
  });

  it.each([
    ["servicePassword", "a CodeCommit or Keyspaces credential"],
    ["serviceCredentialSecret", "a Bedrock API key"],
  ])(
    "a service-specific credential with a %s (%s) after up: created; one whose secret is empty or absent: imported",
    async (key) => {
      const outputsWith = (value: unknown) =>
        broken(
          () => accountRun,
          (rs) => {
            const credential = find(rs, "aws:iam/serviceSpecificCredential:ServiceSpecificCredential");
            credential.outputs[key] = value;
          },
          false,
        );
      expect(await outputsWith("c2VjcmV0")).toEqual([
        expect.stringMatching(
          new RegExp(
            `^credentials-never-created: .*: this service-specific credential would be created by Pulumi \\(it has a secret: ${key}\\): cordon only imports existing credentials$`,
          ),
        ),
      ]);
      expect(await outputsWith("")).toEqual([]);
      expect(await outputsWith(null)).toEqual([]);
    },
  );

  it("a type a component does not declare, under it", async () => {
    const violations = await broken(
      () => accountRun,
      (rs) => {
        const key = find(rs, "aws:iam/accessKey:AccessKey");
        rs.push({
          ...key,
          urn: key.urn.replace("aws:iam/accessKey:AccessKey::", "aws:iam/userPolicy:UserPolicy::extra-"),
          type: "aws:iam/userPolicy:UserPolicy",
          name: "extra",
          inputs: { user: "ci-deployer", policy: "{}" },
          outputs: {},
        });
      },
    );
    expect(violations).toEqual([
      "only-cordon-resource-types: extra: aws:iam/userPolicy:UserPolicy is not a type cordon:iam:DisabledAccessKey declares: the stack declares nothing else",
    ]);
  });
});

describe("an AWS provider sets only what cordon's program and docs need", () => {
  const DEFAULT_PROVIDER = `urn:pulumi:prod-${ACCOUNT}::cordon::pulumi:providers:aws::default_7_48_0`;
  /**
   * The default provider as an analyzer sees it: the stack's aws: config after pulumi-aws's
   * CheckConfig (its defaults, the region from the workflows' AWS_REGION), and the version.
   */
  const defaultProvider = (settings: Record<string, unknown>): AnalyzedResource => {
    const inputs = { ...awsCheckConfig({}, { AWS_REGION: "us-east-1" }), version: "7.48.0", ...settings };
    return {
      urn: DEFAULT_PROVIDER,
      type: "pulumi:providers:aws",
      name: "default_7_48_0",
      parent: "",
      inputs,
      outputs: inputs,
      ignoreChanges: [],
      protect: false,
    };
  };
  const judged = async (settings: Record<string, unknown>) =>
    mandatory(await analyze(policies, [defaultProvider(settings)]));

  it("auto-contain's explicit provider, as the SDK and the engine fill it in, passes; so does a default provider with the stack's aws:region", async () => {
    const provider = find(asAnalyzed(accountRun.resources, { preview: true }), "pulumi:providers:aws");
    expect(provider.inputs).toEqual({
      region: "us-east-1",
      skipCredentialsValidation: "false",
      skipRegionValidation: "true",
      version: "7.48.0",
    });
    expect(await judged({})).toEqual([]);
    expect(await judged({ region: "eu-west-1" })).toEqual([]);
  });

  const CREDENTIALS_REASON =
    "it takes credentials from the program, a file or another role, not the job's: the calls would act as someone else, maybe in another account";
  it.each([
    [
      { endpoints: '[{"iam":"https://iam.attacker.example"}]' },
      "endpoints is set: it sends the provider's calls to other endpoints: IAM answered from elsewhere, an up succeeds and contains nothing",
    ],
    [
      { skipCredentialsValidation: "true" },
      'skipCredentialsValidation is "true": expected false: the provider checks its credentials with STS before any call',
    ],
    [
      { skipRequestingAccountId: "true" },
      "skipRequestingAccountId is set: the provider would not learn which account it acts in",
    ],
    [{ accessKey: "AKIAIOSFODNN7EXAMPLE" }, `accessKey is set: ${CREDENTIALS_REASON}`],
    [{ profile: "other-account" }, `profile is set: ${CREDENTIALS_REASON}`],
    [{ sharedCredentialsFiles: '["/tmp/credentials"]' }, `sharedCredentialsFiles is set: ${CREDENTIALS_REASON}`],
    [
      { assumeRoles: '[{"roleArn":"arn:aws:iam::444455556666:role/admin"}]' },
      `assumeRoles is set: ${CREDENTIALS_REASON}`,
    ],
    [
      { allowedAccountIds: '["444455556666"]' },
      "allowedAccountIds is set: which account a stack acts in is cordon:account's to say, checked against the credentials' account before anything is declared",
    ],
    [
      { insecure: "true" },
      "insecure is set: it skips TLS verification: whoever runs it sees every call, credentials included, and can answer for AWS",
    ],
    [
      { httpProxy: "http://proxy.attacker.example:3128" },
      "httpProxy is set: it routes the calls through a proxy: whoever runs it sees every call, credentials included, and can answer for AWS",
    ],
    [
      { region: "us-east-1.attacker.example" },
      'region is "us-east-1.attacker.example": expected an AWS region\'s name, such as us-east-1',
    ],
    [
      { defaultTags: '{"tags":{"a":"b"},"ignoreTags":{"keys":["cordon:incident"]}}' },
      'defaultTags is "{\\"tags\\":{\\"a\\":\\"b\\"},\\"ignoreTags\\":{\\"keys\\":[\\"cordon:incident\\"]}}": expected tags only: {"tags": {"KEY": "VALUE", ...}}',
    ],
    [
      { ignoreTags: '{"keys":["cordon:incident"]}' },
      "ignoreTags is set: cordon's program and docs set no such setting, and one could send the calls elsewhere or act as someone else",
    ],
  ])("refuses %j: %s", async (settings, message) => {
    expect(await judged(settings)).toEqual([`aws-providers-only-cordon-settings: default_7_48_0: ${message}`]);
  });

  const ALLOWED = ["region", "skipCredentialsValidation", "skipRegionValidation", "defaultTags", "version"];
  /** What cordon's program and docs set, in any combination. */
  const allowedSettings = fc.record(
    {
      region: fc.constantFrom(
        "us-east-1",
        "eu-west-1",
        "ap-southeast-2",
        "us-gov-west-1",
        "cn-north-1",
        "me-central-1",
        "eusc-de-east-1",
      ),
      skipCredentialsValidation: fc.constantFrom(false, "false"),
      skipRegionValidation: fc.constantFrom(true, false, "true", "false"),
      // As a stack's config holds it (JSON), or as an object.
      defaultTags: fc
        .dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 20 }), { maxKeys: 4 })
        .chain((tags) => fc.constantFrom<unknown>({ tags }, JSON.stringify({ tags }))),
    },
    { requiredKeys: [] },
  );
  const settingName = fc
    .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,24}$/)
    .filter((key) => !ALLOWED.includes(key) && !key.startsWith("__"));
  const settingValue = fc.oneof(fc.string(), fc.boolean(), fc.integer(), fc.constant("true"));

  it("passes every combination of the allowed settings", async () => {
    await fc.assert(
      fc.asyncProperty(allowedSettings, async (settings) => {
        expect(await judged(settings)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses each other setting, by name, whatever its value and whatever else is allowed beside it", async () => {
    await fc.assert(
      fc.asyncProperty(
        allowedSettings,
        fc.dictionary(settingName, settingValue, { minKeys: 1, maxKeys: 4 }),
        async (allowed, extra) => {
          const refused = await judged({ ...allowed, ...extra });
          expect(
            refused.map(
              (line) => /^aws-providers-only-cordon-settings: default_7_48_0: (\w+) is set: /.exec(line)?.[1],
            ),
          ).toEqual(Object.keys(extra).sort());
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("what pulumi-aws adds to every AWS provider, and what the pack cannot see", () => {
  /** The config keys @pulumi/aws's config/vars.js gives a default (`?? VALUE`): its schema's defaults. */
  const defaulted = () => {
    const source = readFileSync(createRequire(import.meta.filename).resolve("@pulumi/aws/config/vars.js"), "utf8");
    return [...source.matchAll(/__config\.\w+\("(\w+)"\)\s*\?\?/g)].map((match) => match[1]).sort();
  };

  it("the engine stand-in's CheckConfig adds exactly the defaults @pulumi/aws's config carries, and the pack allows each", () => {
    // A pulumi-aws release that adds one (6.x added skipMetadataApiCheck) fails here, before the
    // pack refuses every real up for a setting cordon never made.
    expect(defaulted()).toEqual(Object.keys(AWS_CONFIG_DEFAULTS).sort());
    expect(defaulted()).toEqual(["region", "skipCredentialsValidation", "skipRegionValidation"]);
    for (const env of [{ AWS_REGION: "us-east-1" }, { AWS_DEFAULT_REGION: "eu-west-1" }, {}]) {
      const checked = awsCheckConfig({}, env);
      for (const [key, value] of Object.entries(checked))
        expect([key, AWS_PROVIDER_SETTINGS[key]?.allows(value)]).toEqual([key, true]);
    }
  });

  it("the program never sets a plugin download URL or environment variable mappings, which no analyzer sees", () => {
    const root = join(import.meta.dirname, "..");
    const listed = ["index.ts", "program", "components", "plan", "bootstrap", "policy"];
    const sources = execFileSync("git", ["ls-files", "-z", "--", ...listed], { cwd: root, encoding: "utf8" })
      .split("\0")
      .filter((file) => /\.[cm]?[jt]s$/.test(file));
    expect(sources.length).toBeGreaterThan(20);
    const pattern = /pluginDownloadU[Rr][Ll]|envVarMappings/;
    expect(sources.filter((file) => pattern.test(readFileSync(join(root, file), "utf8")))).toEqual([]);
  });
});

describe("the pack's own process, started as Pulumi starts a policy pack", () => {
  const ROOT = join(import.meta.dirname, "..");
  const PACK = join(ROOT, "policy");
  let child: ChildProcess;
  let client: {
    getAnalyzerInfo(
      request: unknown,
      callback: (
        error: unknown,
        response: { getName(): string; getPoliciesList(): { getName(): string; getEnforcementlevel(): number }[] },
      ) => void,
    ): void;
    analyzeStack(request: unknown, callback: (error: unknown, response: unknown) => void): void;
    close(): void;
  };

  beforeAll(async () => {
    // pulumi-language-nodejs RunPlugin for kind "analyzer": node @pulumi/pulumi/cmd/run-policy-pack
    // <engine address> <pack folder>, in the pack folder; the pack prints its port on stdout.
    const require = createRequire(join(PACK, "package.json"));
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(PULUMI_|AWS_|VITEST|NODE_OPTIONS|GITHUB_)/.test(key)),
    );
    // As in a workflow: the engine hands the pack the CLI's environment, the run's repository in it.
    Object.assign(env, { GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: "example-org/cordon-incidents" });
    child = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", PACK], {
      cwd: PACK,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk) => {
        out += chunk;
        const line = /^(\d+)\n/.exec(out);
        if (line) resolve(line[1]);
      });
      child.on("exit", (code) => reject(new Error(`the pack exited (${code}) before serving: ${stderr}`)));
    });
    const grpc = require("@grpc/grpc-js");
    const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
    client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 60_000);

  afterAll(() => {
    client?.close();
    child?.kill();
  });

  it("serves the pack cordon, every policy mandatory", async () => {
    const empty = createRequire(join(PACK, "package.json"))("google-protobuf/google/protobuf/empty_pb.js");
    const info = await new Promise<{
      getName(): string;
      getPoliciesList(): { getName(): string; getEnforcementlevel(): number }[];
    }>((resolve, reject) =>
      client.getAnalyzerInfo(new empty.Empty(), (error, response) => (error ? reject(error) : resolve(response))),
    );
    expect(info.getName()).toBe("cordon");
    expect(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()])).toEqual(
      policies.map((p) => [p.name, 1]),
    );
  });

  it("fails, over gRPC, a role that trusts the jobs of the run's own repository (GITHUB_REPOSITORY)", async () => {
    const require = createRequire(join(PACK, "package.json"));
    const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb.js");
    const structproto = require("google-protobuf/google/protobuf/struct_pb.js");
    const analyze = async (repository: string) => {
      const request = new analyzerproto.AnalyzeRequest();
      request.setType("aws:iam/role:Role");
      request.setUrn(`urn:pulumi:prod-${ACCOUNT}::cordon::cordon:iam:ReplacementRole$aws:iam/role:Role::r`);
      request.setName("r");
      request.setProperties(
        structproto.Struct.fromJavaScript({
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                  StringEquals: {
                    "token.actions.githubusercontent.com:sub": `repo:${repository}:environment:cordon-apply`,
                  },
                },
              },
            ],
          }),
        }),
      );
      request.setOptions(new analyzerproto.AnalyzerResourceOptions());
      const response = await new Promise<{
        getDiagnosticsList(): { getPolicyname(): string; getEnforcementlevel(): number }[];
      }>((resolve, reject) =>
        (client as unknown as { analyze: typeof client.analyzeStack }).analyze(request, (error, answer) =>
          error ? reject(error) : resolve(answer as never),
        ),
      );
      // The role lacks its path and tag: only this policy's verdict is looked at.
      return response
        .getDiagnosticsList()
        .map((d) => [d.getPolicyname(), d.getEnforcementlevel()])
        .filter(([name]) => name === "roles-trust-none-of-cordon");
    };
    expect(await analyze("example-org/cordon-incidents")).toEqual([["roles-trust-none-of-cordon", 1]]);
    expect(await analyze("example-org/app")).toEqual([]);
  });

  it("fails, over gRPC, a stack whose key would be created", async () => {
    const require = createRequire(join(PACK, "package.json"));
    const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb.js");
    const structproto = require("google-protobuf/google/protobuf/struct_pb.js");
    const request = new analyzerproto.AnalyzeStackRequest();
    const key = new analyzerproto.AnalyzerResource();
    key.setType("aws:iam/accessKey:AccessKey");
    key.setUrn(`urn:pulumi:prod-${ACCOUNT}::cordon::cordon:iam:DisabledAccessKey$aws:iam/accessKey:AccessKey::k`);
    key.setName("k");
    key.setProperties(
      structproto.Struct.fromJavaScript({
        user: "dana",
        status: "Inactive",
        secret: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      }),
    );
    key.setOptions(new analyzerproto.AnalyzerResourceOptions());
    request.setResourcesList([key]);
    const response = await new Promise<{
      getDiagnosticsList(): { getPolicyname(): string; getEnforcementlevel(): number }[];
    }>((resolve, reject) =>
      client.analyzeStack(request, (error, answer) => (error ? reject(error) : resolve(answer as never))),
    );
    expect(response.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel()])).toEqual([
      ["access-keys-never-created", 1],
    ]);
  });
});
