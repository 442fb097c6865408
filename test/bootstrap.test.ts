/**
 * The accounts' roles, from one description (permissions/roles.ts, bootstrap/declared.ts):
 *  - the StackSet template, deployed by (moto's) CloudFormation, and the bootstrap Pulumi project
 *    declare the same roles, trusts and policies;
 *  - what those policies and trusts mean, decided by an IAM evaluator cordon did not write: the
 *    deployer contains users, roles and keys and cannot raise its own rights; the preview role
 *    cannot write; the verify role only simulates and reads; each trust admits only its runs;
 *  - the bootstrap project's config, the provider it adopts, and its entrypoint's shape.
 * Through the engine stand-in (a real `up` of bootstrap/ against moto), the same comparisons are
 * left for when it exists (docs/setup.md says which).
 */
import { execFileSync } from "node:child_process";
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CreateOpenIDConnectProviderCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import bootstrap from "../bootstrap/index.ts";
import { bootstrapDescription, deployDeclarations, organizationDeclarations, rolePolicies } from "../bootstrap/declared.ts";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { isReadOnly } from "../permissions/policies.ts";
import { bootstrapFor, ROLE_NAMES, type RoleDescription } from "../permissions/roles.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { decide, decideTrustUnvalidated, type Decision } from "./support/iam-evaluator.ts";
import { startMoto, useMotoEnv, type Moto } from "./support/moto.ts";
import { MotoCloud, runProgram, type ProgramRun } from "./support/pulumi-mocks.ts";

const ACCOUNT = "123456789012";
const REPOSITORY = "example-org/cordon-incidents";
const CONFIG = { "cordon:account": ACCOUNT, "cordon:githubRepository": REPOSITORY };
const OIDC = "token.actions.githubusercontent.com";
const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC}`;

/** A role as both renderings leave it: what IAM holds. */
interface RoleState {
  name: string;
  path: string;
  description: string;
  maxSessionDuration: number;
  trust: PolicyDocument;
  inline: Record<string, PolicyDocument>;
}

/** The roles the Pulumi program declared, as IAM would hold them. */
function fromProgram(run: ProgramRun): RoleState[] {
  const roles = run.resources.filter((r) => r.type === "aws:iam/role:Role");
  const policies = run.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
  return roles
    .map((r) => ({
      name: String(r.inputs.name),
      path: String(r.inputs.path),
      description: String(r.inputs.description),
      maxSessionDuration: Number(r.inputs.maxSessionDuration),
      trust: JSON.parse(String(r.inputs.assumeRolePolicy)) as PolicyDocument,
      inline: Object.fromEntries(policies.filter((p) => p.inputs.role === r.inputs.name).map((p) => [String(p.inputs.name), JSON.parse(String(p.inputs.policy)) as PolicyDocument])),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A Python literal (as moto keeps some documents) as the JSON value it stands for. */
function pythonLiteral(text: string): unknown {
  return JSON.parse(execFileSync("python3", ["-c", "import ast, json, sys; print(json.dumps(ast.literal_eval(sys.stdin.read())))"], { input: text, encoding: "utf8" }));
}

let stacks = 0;

async function deployTemplate(moto: Moto, parameters: Record<string, string>): Promise<void> {
  const io = memoryIo();
  expect(await main(["bootstrap-template"], io)).toBe(0);
  const config = { endpoint: moto.endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
  // One attempt: a retried CreateStack would hide the first answer behind "already exists".
  const cloudformation = new CloudFormationClient({ ...config, maxAttempts: 1 });
  await cloudformation.send(
    new CreateStackCommand({
      StackName: `cordon-bootstrap-${++stacks}`,
      TemplateBody: io.stdout,
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    }),
  );
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: `cordon-bootstrap-${stacks}` }));
  expect(Stacks?.[0].StackStatus).toBe("CREATE_COMPLETE");
}

/**
 * The four roles as moto holds them after the template. moto 5.2's CloudFormation keeps an inline
 * policy given as an object as Python's repr of it (GetRolePolicy then answers that text): it is
 * read back with Python's own literal parser.
 */
async function templateRoles(moto: Moto): Promise<RoleState[]> {
  const iam = new IAMClient({ endpoint: moto.endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  const out: RoleState[] = [];
  for (const name of Object.values(ROLE_NAMES).sort()) {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: name }));
    const { PolicyNames } = await iam.send(new ListRolePoliciesCommand({ RoleName: name }));
    const inline: Record<string, PolicyDocument> = {};
    for (const policyName of PolicyNames ?? []) {
      const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
      inline[policyName] = pythonLiteral(decodeURIComponent(PolicyDocument ?? "")) as PolicyDocument;
    }
    out.push({
      name: Role!.RoleName!,
      path: Role!.Path!,
      description: Role!.Description ?? "",
      maxSessionDuration: Role!.MaxSessionDuration!,
      trust: JSON.parse(decodeURIComponent(Role!.AssumeRolePolicyDocument!)) as PolicyDocument,
      inline,
    });
  }
  return out;
}

describe("the StackSet template and the bootstrap project declare the same roles and policies", () => {
  let moto: Moto;
  let restore: () => void;
  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: false });
    restore = useMotoEnv(moto);
  });
  afterAll(async () => {
    restore?.();
    await moto?.stop();
  });

  it.each([
    ["a member account", "false"],
    ["the organization stack's account", "true"],
  ])("%s: the same four roles, trusts, descriptions and inline policies", async (_, organizationStack) => {
    await moto.reset();
    const run = await runProgram(bootstrap, { cloud: new MotoCloud(moto.env), config: { ...CONFIG, "cordon:organizationStack": organizationStack }, stack: "bootstrap" });
    expect(run.error).toBeUndefined();
    const declared = fromProgram(run);

    await moto.reset();
    // moto's CloudFormation has no AWS::IAM::OIDCProvider: the roles trust the provider by its ARN.
    await deployTemplate(moto, { GitHubRepository: REPOSITORY, CreateGitHubOidcProvider: "false", OrganizationStack: organizationStack });
    const deployed = await templateRoles(moto);
    expect(deployed.map((r) => r.name)).toEqual(["cordon-contain", "cordon-deployer", "cordon-preview", "cordon-verify"]);
    expect(deployed).toEqual(declared);
    expect(Object.keys(deployed.find((r) => r.name === "cordon-deployer")!.inline).sort()).toEqual(
      organizationStack === "true" ? ["cordon-deploy", "cordon-organization"] : ["cordon-deploy"],
    );
  });

  it("the same provider: GitHub's issuer, the audience sts.amazonaws.com, kept when the stack goes", async () => {
    await moto.reset();
    const run = await runProgram(bootstrap, { cloud: new MotoCloud(moto.env), config: CONFIG, stack: "bootstrap" });
    const provider = run.resources.find((r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider")!;
    expect(provider.inputs).toEqual({ url: `https://${OIDC}`, clientIdLists: ["sts.amazonaws.com"] });
    expect(provider.retainOnDelete).toBe(true);
    expect(provider.importId).toBeUndefined();
    const io = memoryIo();
    await main(["bootstrap-template"], io);
    const template = JSON.parse(io.stdout);
    expect(template.Resources.GitHubOidcProvider).toEqual({
      Type: "AWS::IAM::OIDCProvider",
      Condition: "CreatesProvider",
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: { Url: provider.inputs.url, ClientIdList: provider.inputs.clientIdLists },
    });
  });

  it("negative control: a policy that differs in one action is seen", async () => {
    await moto.reset();
    const run = await runProgram(bootstrap, { cloud: new MotoCloud(moto.env), config: CONFIG, stack: "bootstrap" });
    const declared = fromProgram(run);
    const changed = structuredClone(declared);
    const deploy = changed.find((r) => r.name === "cordon-deployer")!.inline["cordon-deploy"];
    (deploy.Statement[0].Action as string[]).push("iam:CreateUser");
    expect(changed).not.toEqual(declared);
  });
});

describe("the bootstrap project", () => {
  let moto: Moto;
  let restore: () => void;
  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: false });
    restore = useMotoEnv(moto);
  });
  afterAll(async () => {
    restore?.();
    await moto?.stop();
  });

  it("has only a default export, as Pulumi's entrypoint loader requires", async () => {
    expect(Object.keys(await import("../bootstrap/index.ts"))).toEqual(["default"]);
  });

  it("declares the provider and, per role, the role and each inline policy, nothing else", async () => {
    await moto.reset();
    const run = await runProgram(bootstrap, { cloud: new MotoCloud(moto.env), config: CONFIG, stack: "bootstrap" });
    expect(run.error).toBeUndefined();
    expect(run.resources.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "pulumi:pulumi:Stack cordon-bootstrap",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider github",
        ...["cordon-contain", "cordon-deployer", "cordon-preview", "cordon-verify"].flatMap((name) => [`cordon:bootstrap:AccountRole ${name}`, `aws:iam/role:Role ${name}`]),
        "aws:iam/rolePolicy:RolePolicy cordon-contain-cordon-contain",
        "aws:iam/rolePolicy:RolePolicy cordon-deployer-cordon-deploy",
        "aws:iam/rolePolicy:RolePolicy cordon-preview-cordon-preview",
        "aws:iam/rolePolicy:RolePolicy cordon-verify-cordon-verify",
      ].sort(),
    );
    expect(run.outputs).toMatchObject({
      roles: Object.fromEntries(Object.entries(ROLE_NAMES).map(([id, name]) => [id, `arn:aws:iam::${ACCOUNT}:role/${name}`])),
    });
  });

  it("adopts the provider already there exactly as it is (an import must match), and keeps it", async () => {
    await moto.reset();
    const iam = new IAMClient({ endpoint: moto.endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://${OIDC}`,
        ClientIDList: ["sts.amazonaws.com", "other-audience"],
        ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"],
        Tags: [{ Key: "owner", Value: "platform" }],
      }),
    );
    const run = await runProgram(bootstrap, { cloud: new MotoCloud(moto.env), config: CONFIG, stack: "bootstrap" });
    expect(run.error).toBeUndefined();
    const provider = run.resources.find((r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider")!;
    expect(provider.importId).toBe(PROVIDER_ARN);
    expect(provider.retainOnDelete).toBe(true);
    expect(provider.inputs).toEqual({
      url: `https://${OIDC}`,
      clientIdLists: ["sts.amazonaws.com", "other-audience"],
      thumbprintLists: ["6938fd4d98bab03faadb97b34396831e3780aea1"],
      tags: { owner: "platform" },
    });
  });

  it("refuses a provider that does not accept sts.amazonaws.com, saying how to add it", async () => {
    await moto.reset();
    const iam = new IAMClient({ endpoint: moto.endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: `https://${OIDC}`, ClientIDList: ["other-audience"], ThumbprintList: [] }));
    const run = await runProgram(bootstrap, { cloud: new MotoCloud(moto.env), config: CONFIG, stack: "bootstrap" });
    expect(run.error?.message).toBe(
      `cordon bootstrap declared nothing: the account's provider ${PROVIDER_ARN} does not accept the audience sts.amazonaws.com, which configure-aws-credentials asks for: add it (aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${PROVIDER_ARN} --client-id sts.amazonaws.com) and run again`,
    );
    expect(run.resources.filter((r) => r.custom)).toEqual([]);
  });

  it("refuses credentials of another account before declaring anything", async () => {
    await moto.reset();
    const run = await runProgram(bootstrap, { cloud: new MotoCloud(moto.env), config: { ...CONFIG, "cordon:account": "210987654321" }, stack: "bootstrap" });
    expect(run.error?.message).toBe(`cordon bootstrap declared nothing: the credentials belong to account ${ACCOUNT}, but cordon:account is 210987654321: run it with credentials for 210987654321`);
    expect(run.resources.filter((r) => r.custom)).toEqual([]);
  });

  it("says every config problem at once, word for word", async () => {
    const run = await runProgram(bootstrap, {
      cloud: new MotoCloud(moto.env),
      config: { "cordon:account": "12345", "cordon:githubRepository": "https://github.com/example-org/cordon-incidents", "cordon:organizationStack": "yes" },
      stack: "bootstrap",
    });
    expect(run.error?.message).toBe(
      [
        "cordon bootstrap declared nothing: 3 problems in the stack's config:",
        'cordon:account: found "12345", expected the 12-digit AWS account this stack bootstraps, quoted ("123456789012")',
        'cordon:githubRepository: found "https://github.com/example-org/cordon-incidents", expected the repository that holds cordon\'s workflows, as OWNER/NAME spelt as GitHub spells it (example-org/cordon-incidents): the roles trust only its runs',
        'cordon:organizationStack: found "yes", expected true (this account runs the organization stack) or false',
      ].join("\n"),
    );
    const missing = await runProgram(bootstrap, { cloud: new MotoCloud(moto.env), config: {}, stack: "bootstrap" });
    expect(missing.error?.message).toBe(
      [
        "cordon bootstrap declared nothing: 2 problems in the stack's config:",
        "cordon:account: found null, expected the 12-digit AWS account this stack bootstraps, quoted (\"123456789012\")",
        "cordon:githubRepository: found null, expected the repository that holds cordon's workflows, as OWNER/NAME spelt as GitHub spells it (example-org/cordon-incidents): the roles trust only its runs",
      ].join("\n"),
    );
  });
});

/** The account's roles, filled in: what an evaluator judges. */
function roles(organizationStack = true): Record<string, RoleDescription> {
  const description = bootstrapFor(bootstrapDescription(), { account: ACCOUNT, repository: REPOSITORY, organizationStack });
  return Object.fromEntries(description.roles.map((role) => [role.id, role]));
}

const arn = (kind: string, name: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;

async function decideFor(role: RoleDescription, action: string, resource: string, context: Record<string, string> = {}): Promise<Decision> {
  return decide(
    role.policies.map((p) => p.document),
    { principal: arn("role", role.name), action, resource, account: ACCOUNT, context },
  );
}

describe("what the roles can do, as an evaluator cordon did not write decides", () => {
  const { deployer, preview, verify, contain } = roles();

  it.each([
    ["disable a user's key", "iam:UpdateAccessKey", arn("user", "ci-deployer"), {}],
    ["attach cordon's deny to a user", "iam:AttachUserPolicy", arn("user", "ci-deployer"), { "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-sessions-ci-deployer") }],
    ["create cordon's deny policy", "iam:CreatePolicy", arn("policy", "cordon/cordon-revoke-sessions-ci-deployer"), {}],
    ["put the revoke policy on a role", "iam:PutRolePolicy", arn("role", "deploy"), {}],
    ["attach cordon's managed deny to a role", "iam:AttachRolePolicy", arn("role", "deploy"), { "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-role-sessions-deploy") }],
    ["create a replacement role", "iam:CreateRole", arn("role", "cordon/ci-deployer-oidc"), {}],
  ])("the deployer can %s", async (_, action, resource, context) => {
    expect(await decideFor(deployer, action, resource, context as Record<string, string>)).toBe("Allowed");
  });

  it.each([
    ["put a policy on itself", "iam:PutRolePolicy", arn("role", "cordon-deployer"), {}, "ExplicitlyDenied"],
    // The preview role is what every pull request's job assumes: a policy there would give pull requests write rights.
    ["put a policy on the preview role", "iam:PutRolePolicy", arn("role", "cordon-preview"), {}, "ExplicitlyDenied"],
    ["put a policy on the verify role", "iam:PutRolePolicy", arn("role", "cordon-verify"), {}, "ExplicitlyDenied"],
    ["put a policy on the contain role", "iam:PutRolePolicy", arn("role", "cordon-contain"), {}, "ExplicitlyDenied"],
    ["attach cordon's managed deny to the preview role", "iam:AttachRolePolicy", arn("role", "cordon-preview"), { "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-role-sessions-x") }, "ExplicitlyDenied"],
    ["delete the contain role's policy", "iam:DeleteRolePolicy", arn("role", "cordon-contain"), {}, "ExplicitlyDenied"],
    ["tag the verify role", "iam:TagRole", arn("role", "cordon-verify"), {}, "ExplicitlyDenied"],
    ["attach a policy to itself", "iam:AttachRolePolicy", arn("role", "cordon-deployer"), { "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-role-sessions-x") }, "ExplicitlyDenied"],
    ["change its own trust", "iam:UpdateAssumeRolePolicy", arn("role", "cordon-deployer"), {}, "ExplicitlyDenied"],
    ["delete its own policies", "iam:DeleteRolePolicy", arn("role", "cordon-deployer"), {}, "ExplicitlyDenied"],
    ["assume any role", "sts:AssumeRole", arn("role", "cordon/ci-deployer-oidc"), {}, "ExplicitlyDenied"],
    ["create an access key", "iam:CreateAccessKey", arn("user", "ci-deployer"), {}, "ExplicitlyDenied"],
    ["delete an access key", "iam:DeleteAccessKey", arn("user", "ci-deployer"), {}, "ExplicitlyDenied"],
    ["attach AdministratorAccess to a role", "iam:AttachRolePolicy", arn("role", "deploy"), { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" }, "ImplicitlyDenied"],
    ["attach AdministratorAccess to a user", "iam:AttachUserPolicy", arn("user", "ci-deployer"), { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" }, "ImplicitlyDenied"],
    ["rewrite a policy outside /cordon/", "iam:CreatePolicyVersion", arn("policy", "deployer-extra"), {}, "ImplicitlyDenied"],
    ["change another role's trust", "iam:UpdateAssumeRolePolicy", arn("role", "deploy"), {}, "ImplicitlyDenied"],
    ["create a user", "iam:CreateUser", arn("user", "backdoor"), {}, "ImplicitlyDenied"],
    ["pass a replacement role to a service", "iam:PassRole", arn("role", "cordon/ci-deployer-oidc"), { "iam:PassedToService": "ec2.amazonaws.com" }, "ImplicitlyDenied"],
  ])("the deployer cannot %s", async (_, action, resource, context, expected) => {
    expect(await decideFor(deployer, action, resource, context as Record<string, string>)).toBe(expected);
  });

  /** Every write the deployer is declared to make, on a resource of the right kind. */
  const writes = [...new Set(Object.values({ ...deployDeclarations, ...organizationDeclarations }).flat())].filter((a) => !isReadOnly(a)).sort();

  /** A resource of each kind the deployer writes to: an action is judged on every kind it applies to. */
  const candidates = [
    arn("role", "deploy"),
    arn("role", "cordon/ci-deployer-oidc"),
    arn("role", "cordon-auto-contain/cordon-auto-contain"),
    arn("role", "aws-service-role/apidestinations.events.amazonaws.com/AWSServiceRoleForAmazonEventBridgeApiDestinations"),
    arn("user", "ci-deployer"),
    arn("policy", "cordon/cordon-revoke-sessions-ci-deployer"),
    arn("policy", "cordon/cordon-revoke-role-sessions-deploy"),
    `arn:aws:events:us-east-1:${ACCOUNT}:rule/cordon-auto-contain-health`,
    `arn:aws:events:us-east-1:${ACCOUNT}:connection/cordon-auto-contain-github/0f3e`,
    `arn:aws:events:us-east-1:${ACCOUNT}:api-destination/cordon-auto-contain-github-dispatch/0f3e`,
    `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:events!connection/cordon-auto-contain-github/0f3e-AbCdEf`,
    "arn:aws:organizations::999999999999:policy/o-abcdefghij/service_control_policy/p-abcdefgh",
    "arn:aws:organizations::999999999999:root/o-abcdefghij/r-abcd",
    "*",
  ];

  /** The conditions of the deployer's scopes, met (the evaluator keeps those the action has). */
  const inScope = {
    "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-role-sessions-deploy"),
    "iam:PassedToService": "events.amazonaws.com",
    "iam:AWSServiceName": "apidestinations.events.amazonaws.com",
    "organizations:PolicyType": "SERVICE_CONTROL_POLICY",
  };

  /** The decisions of `role` for `action` on every candidate resource the action applies to. */
  async function decisions(role: RoleDescription, action: string): Promise<Decision[]> {
    const out: Decision[] = [];
    for (const resource of candidates) {
      try {
        out.push(await decideFor(role, action, resource, inScope));
      } catch (error) {
        // The evaluator refuses a resource of a kind the action does not take.
        if (!String(error).includes("no.resource.types")) throw error;
      }
    }
    if (out.length === 0) throw new Error(`no candidate resource for ${action}`);
    return out;
  }

  it("the preview role cannot make any write the deployer makes, on any resource", async () => {
    expect(writes.length).toBeGreaterThan(20);
    for (const action of writes) {
      const decided = await decisions(preview, action);
      expect([action, decided.filter((d) => d !== "ImplicitlyDenied")]).toEqual([action, []]);
    }
    // Negative control: the deployer, judged the same way, makes each of them somewhere.
    for (const action of writes) expect([action, (await decisions(deployer, action)).includes("Allowed")]).toEqual([action, true]);
  });

  it("the preview role reads what the program's checks read", async () => {
    for (const [action, resource] of [
      ["iam:GetRole", arn("role", "deploy")],
      ["iam:ListAccessKeys", arn("user", "ci-deployer")],
      ["iam:GetAccountSummary", "*"],
      ["sts:GetCallerIdentity", "*"],
    ]) {
      expect([action, await decideFor(preview, action, resource)]).toEqual([action, "Allowed"]);
    }
  });

  it("the verify and contain roles only simulate and read, and write nothing", async () => {
    for (const role of [verify, contain]) {
      const actions = role.policies.flatMap((p) => p.document.Statement.flatMap((s) => [s.Action ?? []].flat()));
      expect(actions.filter((a) => !isReadOnly(a))).toEqual([]);
      for (const action of writes) expect([role.name, action, (await decisions(role, action)).filter((d) => d !== "ImplicitlyDenied")]).toEqual([role.name, action, []]);
    }
    expect(await decideFor(verify, "iam:SimulatePrincipalPolicy", arn("user", "ci-deployer"))).toBe("Allowed");
  });

  /** Who each role lets in, among GitHub's subjects for the repository and others. */
  const admits = (role: RoleDescription, sub: string, aud = "sts.amazonaws.com") =>
    decideTrustUnvalidated(role.trust, {
      principal: PROVIDER_ARN,
      action: "sts:AssumeRoleWithWebIdentity",
      resource: arn("role", role.name),
      account: ACCOUNT,
      context: { [`${OIDC}:sub`]: sub, [`${OIDC}:aud`]: aud },
    }) === "Allowed";

  const subjects = {
    apply: `repo:${REPOSITORY}:environment:cordon-apply`,
    containEnv: `repo:${REPOSITORY}:environment:cordon-contain`,
    pullRequest: `repo:${REPOSITORY}:pull_request`,
    mergeQueue: `repo:${REPOSITORY}:ref:refs/heads/gh-readonly-queue/main/pr-42-0123456789abcdef0123456789abcdef01234567`,
    main: `repo:${REPOSITORY}:ref:refs/heads/main`,
    branch: `repo:${REPOSITORY}:ref:refs/heads/feature`,
    otherRepo: `repo:example-org/other:environment:cordon-apply`,
    otherEnv: `repo:${REPOSITORY}:environment:production`,
  };

  it.each([
    ["deployer", ["apply"]],
    ["preview", ["pullRequest", "mergeQueue"]],
    ["verify", ["apply", "containEnv"]],
    ["contain", ["containEnv"]],
  ] as const)("the %s role admits exactly %j", (id, expected) => {
    const role = roles()[id];
    expect(Object.entries(subjects).filter(([, sub]) => admits(role, sub)).map(([name]) => name)).toEqual(expected);
    expect(admits(role, subjects[expected[0]], "some-other-audience")).toBe(false);
  });

  it("no generated subject but the pinned ones gets in (fast-check)", () => {
    const { deployer: d, contain: c } = roles();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(...Object.values(subjects)).map((s) => s.slice(0, -1)), fc.constantFrom(...Object.values(subjects)).map((s) => `${s}x`)), (sub) => {
        expect(admits(d, sub)).toBe(sub === subjects.apply);
        expect(admits(c, sub)).toBe(sub === subjects.containEnv);
      }),
      { numRuns: 200 },
    );
  });

  it("the policies are exactly what `permissions` prints for each role", async () => {
    const printed: Record<string, PolicyDocument> = {};
    for (const policy of ["preview", "verify", "contain", "organization", "preview-organization"]) {
      const io = memoryIo();
      expect(await main(["permissions", "--policy", policy], io)).toBe(0);
      printed[policy] = JSON.parse(io.stdout);
    }
    const io = memoryIo();
    expect(await main(["permissions", "--deployer-role-arn", `arn:aws:iam::${ACCOUNT}:role/cordon-deployer`], io)).toBe(0);
    printed.deploy = JSON.parse(io.stdout);
    const filled = roles();
    const byName = (role: RoleDescription) => Object.fromEntries(role.policies.map((p) => [p.name, p.document]));
    expect(byName(filled.deployer)).toEqual({ "cordon-deploy": printed.deploy, "cordon-organization": printed.organization });
    expect(byName(filled.preview)).toEqual({ "cordon-preview": printed.preview, "cordon-preview-organization": printed["preview-organization"] });
    expect(byName(filled.verify)).toEqual({ "cordon-verify": printed.verify });
    expect(byName(filled.contain)).toEqual({ "cordon-contain": printed.contain });
    // And without the organization stack, no organization policy.
    expect(roles(false).deployer.policies.map((p) => p.name)).toEqual(["cordon-deploy"]);
    expect(rolePolicies().deploy.document.Statement.map((s) => s.Sid)).not.toContain("NotCordonsOwnRoles");
  });
});
