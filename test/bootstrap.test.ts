/**
 * The accounts' roles, from one description (permissions/roles.ts, bootstrap/declared.ts), and the
 * bootstrap project run as issue 23's contract says: `npm run --silent engine -- up --dir
 * bootstrap --stack NAME --config cordon:account=... --config cordon:githubRepository=...` from the
 * repository root, through Pulumi's own cmd/run and the engine stand-in, against moto. On what moto
 * then holds, read back through aws/ (what doctor reads):
 *  - the StackSet template, deployed by (moto's) CloudFormation, gives the same roles, trusts and
 *    policies as the project's run;
 *  - what those policies and trusts mean, decided by an IAM evaluator cordon did not write: the
 *    deployer contains users, roles and keys and cannot raise its own rights; the preview role
 *    cannot write; the verify role only simulates and reads; each trust admits only its runs;
 *  - doctor --aws passes; a second up changes nothing; a provider already there is adopted by an
 *    import with no diff; the project's config and account checks, word for word.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  CreateOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from "@aws-sdk/client-iam";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsClients } from "../aws/clients.ts";
import { liveSetup } from "../aws/doctor.ts";
import type { LiveRole } from "../doctor/live.ts";
import {
  bootstrapDescription,
  deployDeclarations,
  organizationDeclarations,
  rolePolicies,
} from "../bootstrap/declared.ts";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { isReadOnly } from "../permissions/policies.ts";
import { bootstrapFor, ROLE_NAMES, type RoleDescription, type RoleId } from "../permissions/roles.ts";
import { trustPolicy, type PolicyDocument } from "../plan/policies.ts";
import { correctFiles } from "./support/doctor-repository.ts";
import { runEngine, stateFile, stepLines, type EngineRun } from "./support/engine.ts";
import { decide, decideTrustUnvalidated, type Decision } from "./support/iam-evaluator.ts";
import { motoForSuite } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const REPOSITORY = "example-org/cordon-incidents";
const CONFIG = { "cordon:account": ACCOUNT, "cordon:githubRepository": REPOSITORY };
const OIDC = "token.actions.githubusercontent.com";
const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC}`;
const STACK = `bootstrap-${ACCOUNT}`;

const suite = motoForSuite({ managedPolicies: false });
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** The bootstrap project through the engine stand-in, as the contract runs it; one state folder per stack history. */
function bootstrapRun(
  command: "preview" | "up",
  state: string,
  config: Record<string, string> = CONFIG,
): Promise<EngineRun> {
  return runEngine(command, {
    moto: suite.current(),
    stack: STACK,
    state: stateFile(state, STACK),
    dir: "bootstrap",
    config,
  });
}

/** A role as IAM holds it, as doctor reads it, but for managed policies (none here): what both renderings must leave. */
type RoleState = Omit<LiveRole, "attached">;

/** cordon's four roles as moto holds them, read back through aws/ as doctor reads them; none has a managed policy. */
async function heldRoles(): Promise<RoleState[]> {
  const live = liveSetup(awsClients());
  const out: RoleState[] = [];
  for (const name of Object.values(ROLE_NAMES).sort()) {
    const role = await live.role(name);
    if (role === null) throw new Error(`moto has no role ${name}`);
    const { attached, ...state } = role;
    expect([name, attached]).toEqual([name, []]);
    out.push(state);
  }
  return out;
}

/** A Python literal (as moto keeps some documents) as the JSON value it stands for. */
function pythonLiteral(text: string): unknown {
  return JSON.parse(
    execFileSync("python3", ["-c", "import ast, json, sys; print(json.dumps(ast.literal_eval(sys.stdin.read())))"], {
      input: text,
      encoding: "utf8",
    }),
  );
}

let stacks = 0;

async function deployTemplate(parameters: Record<string, string>): Promise<void> {
  const io = memoryIo();
  expect(await main(["bootstrap-template"], io)).toBe(0);
  const config = {
    endpoint: suite.current().endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  };
  // One attempt: a retried CreateStack would hide the first answer behind "already exists".
  const cloudformation = new CloudFormationClient({ ...config, maxAttempts: 1 });
  await cloudformation.send(
    new CreateStackCommand({
      StackName: `cordon-bootstrap-${++stacks}`,
      TemplateBody: io.stdout,
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
    }),
  );
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: `cordon-bootstrap-${stacks}` }));
  expect(Stacks?.[0].StackStatus).toBe("CREATE_COMPLETE");
}

const iam = () =>
  new IAMClient({
    endpoint: suite.current().endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });

/**
 * The four roles as moto holds them after the template. moto 5.2's CloudFormation keeps an inline
 * policy given as an object as Python's repr of it (GetRolePolicy then answers that text), which
 * aws/'s reader cannot parse: it is read here with Python's own literal parser.
 */
async function templateRoles(): Promise<RoleState[]> {
  const out: RoleState[] = [];
  for (const name of Object.values(ROLE_NAMES).sort()) {
    const { Role } = await iam().send(new GetRoleCommand({ RoleName: name }));
    const { PolicyNames } = await iam().send(new ListRolePoliciesCommand({ RoleName: name }));
    const inline: Record<string, PolicyDocument> = {};
    for (const policyName of PolicyNames ?? []) {
      const { PolicyDocument } = await iam().send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
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

/** The steps of a run but the stack's and the providers', as `op type name`, sorted (independent steps run in parallel). */
const steps = (run: EngineRun) => stepLines(run).sort();

/** What a first up of a member account creates: the provider, and per role the component, the role and its policy. */
const CREATED = [
  "create aws:iam/openIdConnectProvider:OpenIdConnectProvider github",
  ...Object.values(ROLE_NAMES).flatMap((name) => [
    `create cordon:bootstrap:AccountRole ${name}`,
    `create aws:iam/role:Role ${name}`,
  ]),
  "create aws:iam/rolePolicy:RolePolicy cordon-contain-cordon-contain",
  "create aws:iam/rolePolicy:RolePolicy cordon-deployer-cordon-deploy",
  "create aws:iam/rolePolicy:RolePolicy cordon-preview-cordon-preview",
  "create aws:iam/rolePolicy:RolePolicy cordon-verify-cordon-verify",
].sort();

/** A role as moto held it, read back as doctor reads it, in the form the evaluator judges. */
function heldRole(role: RoleState): HeldRole {
  return {
    name: role.name,
    trust: role.trust,
    policies: Object.entries(role.inline).map(([policy, document]) => ({ name: policy, document })),
  };
}

/**
 * A first up of a member account (the preview before it, a second up after), and all that the tests
 * read from moto while it holds that up's work: made once for the file, since the runs are the
 * expensive part (each starts the stand-in and the program). Later tests reset moto; they use what
 * was read here, never moto's state.
 */
let memberAccount: Promise<Awaited<ReturnType<typeof upMemberAccount>>> | undefined;
async function upMemberAccount() {
  await suite.current().reset();
  const state = tempDir("cordon-bootstrap-");
  const preview = await bootstrapRun("preview", state);
  const rolesAfterPreview = (await iam().send(new ListRolesCommand({}))).Roles;
  const first = await bootstrapRun("up", state);
  const roles = await heldRoles();
  const provider = await liveSetup(awsClients()).oidcProvider(PROVIDER_ARN);
  // doctor --aws, from a repository set up as documented, in this (member) account.
  const repository = tempDir("cordon-bootstrap-doctor-");
  for (const [path, text] of Object.entries(correctFiles())) {
    mkdirSync(dirname(join(repository, path)), { recursive: true });
    writeFileSync(join(repository, path), text);
  }
  const io = memoryIo({ cwd: repository, env: suite.current().env });
  const code = await main(["doctor", "--aws", "--repository", REPOSITORY, "--now", "2026-11-28T12:00:00Z"], io);
  const doctor = { code, stdout: io.stdout, stderr: io.stderr };
  const second = await bootstrapRun("up", state);
  return { state, preview, rolesAfterPreview, first, roles, provider, doctor, second };
}

/** The organization stack's account after its up (every policy is there): made once, like the member's. */
let organizationAccount: Promise<RoleState[]> | undefined;
async function upOrganizationAccount(): Promise<RoleState[]> {
  await suite.current().reset();
  const run = await bootstrapRun("up", tempDir("cordon-bootstrap-"), { ...CONFIG, "cordon:organizationStack": "true" });
  expect([run.status, run.errors]).toEqual([0, []]);
  return heldRoles();
}

describe("the bootstrap project through the engine stand-in, against moto", () => {
  it("has only a default export, as Pulumi's entrypoint loader requires", async () => {
    expect(Object.keys(await import("../bootstrap/index.ts"))).toEqual(["default"]);
  });

  it("up creates the provider and the four roles with their policies, doctor --aws passes, a second up changes nothing", async () => {
    const { preview, rolesAfterPreview, first, roles, provider, doctor, second } = await (memberAccount ??=
      upMemberAccount());
    expect(preview.status).toBe(0);
    expect(steps(preview)).toEqual(CREATED);
    // A preview applies nothing.
    expect(rolesAfterPreview).toEqual([]);

    expect([first.status, first.errors]).toEqual([0, []]);
    expect(steps(first)).toEqual(CREATED);
    const description = bootstrapFor(bootstrapDescription(), {
      account: ACCOUNT,
      repository: REPOSITORY,
      organizationStack: false,
    });
    expect(roles).toEqual(
      description.roles
        .map((role) => ({
          name: role.name,
          path: role.path,
          description: role.description,
          maxSessionDuration: role.maxSessionDuration,
          trust: role.trust,
          inline: Object.fromEntries(role.policies.map((p) => [p.name, p.document])),
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    expect(provider).toEqual({
      arn: PROVIDER_ARN,
      url: OIDC,
      clientIds: ["sts.amazonaws.com"],
      thumbprints: [],
      tags: {},
    });

    expect([doctor.code, doctor.stderr, doctor.stdout.split("\n").filter((line) => line.startsWith("✗"))]).toEqual([
      0,
      "",
      [],
    ]);
    expect(doctor.stdout).toContain(
      `✓ ${ACCOUNT}: role cordon-deployer: trust and policy as the bootstrap declares them`,
    );

    expect(second.status).toBe(0);
    expect(second.steps.filter((s) => s.op !== "same")).toEqual([]);
    expect(second.steps.map((s) => `${s.type} ${s.name}`).sort()).toEqual(
      first.steps.map((s) => `${s.type} ${s.name}`).sort(),
    );
  });

  it("adopts the provider already there by an import with no diff, and keeps it as it is", async () => {
    await suite.current().reset();
    await iam().send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://${OIDC}`,
        ClientIDList: ["sts.amazonaws.com", "other-audience"],
        ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"],
        Tags: [{ Key: "owner", Value: "platform" }],
      }),
    );
    const before = await iam().send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER_ARN }));
    const state = tempDir("cordon-bootstrap-");
    const run = await bootstrapRun("up", state);
    expect(run.status).toBe(0);
    expect(run.steps.filter((s) => s.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([
      { op: "import", type: "aws:iam/openIdConnectProvider:OpenIdConnectProvider", name: "github" },
    ]);
    const after = await iam().send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER_ARN }));
    const held = (p: typeof before) => [p.Url, p.ClientIDList, p.ThumbprintList, p.Tags];
    expect(held(after)).toEqual(held(before));
    // Adopted, then left alone.
    const again = await bootstrapRun("up", state);
    expect(again.steps.filter((s) => s.op !== "same")).toEqual([]);
  });

  it("refuses a provider that does not accept sts.amazonaws.com, saying how to add it, and declares nothing", async () => {
    await suite.current().reset();
    await iam().send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://${OIDC}`,
        ClientIDList: ["other-audience"],
        ThumbprintList: [],
      }),
    );
    const run = await bootstrapRun("up", tempDir("cordon-bootstrap-"));
    expect(run.status).toBe(1);
    expect(run.errors).toEqual([
      `cordon bootstrap declared nothing: the account's provider ${PROVIDER_ARN} does not accept the audience sts.amazonaws.com, which configure-aws-credentials asks for: add it (aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${PROVIDER_ARN} --client-id sts.amazonaws.com) and run again`,
    ]);
    expect(steps(run)).toEqual([]);
    expect((await iam().send(new ListRolesCommand({}))).Roles).toEqual([]);
  });

  it("refuses credentials of another account before declaring anything", async () => {
    await suite.current().reset();
    const run = await bootstrapRun("up", tempDir("cordon-bootstrap-"), { ...CONFIG, "cordon:account": "210987654321" });
    expect([run.status, run.errors]).toEqual([
      1,
      [
        `cordon bootstrap declared nothing: the credentials belong to account ${ACCOUNT}, but cordon:account is 210987654321: ` +
          "run it with credentials for 210987654321",
      ],
    ]);
    expect(steps(run)).toEqual([]);
  });

  it("says every config problem at once, word for word", async () => {
    const run = await bootstrapRun("preview", tempDir("cordon-bootstrap-"), {
      "cordon:account": "12345",
      "cordon:githubRepository": "https://github.com/example-org/cordon-incidents",
      "cordon:organizationStack": "yes",
    });
    expect(run.status).toBe(1);
    expect(run.errors).toEqual([
      [
        "cordon bootstrap declared nothing: 3 problems in the stack's config:",
        'cordon:account: found "12345", expected the 12-digit AWS account this stack bootstraps, quoted ("123456789012")',
        'cordon:githubRepository: found "https://github.com/example-org/cordon-incidents", expected the repository that holds cordon\'s workflows, as OWNER/NAME spelt as GitHub spells it (example-org/cordon-incidents): the roles trust only its runs',
        'cordon:organizationStack: found "yes", expected true (this account runs the organization stack) or false',
      ].join("\n"),
    ]);
    const missing = await bootstrapRun("preview", tempDir("cordon-bootstrap-"), {});
    expect(missing.errors).toEqual([
      [
        "cordon bootstrap declared nothing: 2 problems in the stack's config:",
        'cordon:account: found null, expected the 12-digit AWS account this stack bootstraps, quoted ("123456789012")',
        "cordon:githubRepository: found null, expected the repository that holds cordon's workflows, as OWNER/NAME spelt as GitHub spells it (example-org/cordon-incidents): the roles trust only its runs",
      ].join("\n"),
    ]);
  });
});

describe("the StackSet template and the bootstrap project give the same roles and policies", () => {
  it.each([
    ["a member account", "false"],
    ["the organization stack's account", "true"],
  ])("%s: the same four roles, trusts, descriptions and inline policies in IAM", async (_, organizationStack) => {
    // The project's up of that account, as the other tests read it back.
    let fromProject: RoleState[];
    if (organizationStack === "true") fromProject = await (organizationAccount ??= upOrganizationAccount());
    else {
      const member = await (memberAccount ??= upMemberAccount());
      expect([member.first.status, member.first.errors]).toEqual([0, []]);
      fromProject = member.roles;
    }

    await suite.current().reset();
    // moto's CloudFormation has no AWS::IAM::OIDCProvider: the roles trust the provider by its ARN.
    await deployTemplate({
      GitHubRepository: REPOSITORY,
      CreateGitHubOidcProvider: "false",
      OrganizationStack: organizationStack,
    });
    const fromTemplate = await templateRoles();
    expect(fromTemplate.map((r) => r.name)).toEqual([
      "cordon-contain",
      "cordon-deployer",
      "cordon-preview",
      "cordon-verify",
    ]);
    expect(fromTemplate).toEqual(fromProject);
    expect(Object.keys(fromTemplate.find((r) => r.name === "cordon-deployer")!.inline).sort()).toEqual(
      organizationStack === "true" ? ["cordon-deploy", "cordon-organization"] : ["cordon-deploy"],
    );
    // Negative control: a policy that differs in one action is seen.
    const changed = structuredClone(fromProject);
    (changed.find((r) => r.name === "cordon-deployer")!.inline["cordon-deploy"].Statement[0].Action as string[]).push(
      "iam:CreateUser",
    );
    expect(fromTemplate).not.toEqual(changed);
  });

  it("the same provider: GitHub's issuer and the audience sts.amazonaws.com, kept when the stack goes", async () => {
    const { first, state, provider: held } = await (memberAccount ??= upMemberAccount());
    expect(first.status).toBe(0);
    // Kept when the stack goes: the engine only forgets a resource registered with retainOnDelete.
    const recorded = JSON.parse(readFileSync(stateFile(state, STACK), "utf8")) as {
      resources: { type: string; retainOnDelete: boolean }[];
    };
    const providers = recorded.resources.filter(
      (r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    );
    expect(providers.map((r) => r.retainOnDelete)).toEqual([true]);
    const io = memoryIo();
    await main(["bootstrap-template"], io);
    const template = JSON.parse(io.stdout);
    expect(template.Resources.GitHubOidcProvider).toEqual({
      Type: "AWS::IAM::OIDCProvider",
      Condition: "CreatesProvider",
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: { Url: `https://${held!.url}`, ClientIdList: held!.clientIds },
    });
  });
});

/** A role read back from moto, as the evaluator judges it: its name, trust and inline policies. */
type HeldRole = Pick<RoleDescription, "name" | "trust"> & { policies: { name: string; document: PolicyDocument }[] };

/** The account's roles as the bootstrap's up left them in moto (the organization stack's account, so every policy is there). */
let held: Record<RoleId, HeldRole>;

/** The description's roles, filled in: what `permissions` must print. */
function roles(organizationStack = true): Record<string, RoleDescription> {
  const description = bootstrapFor(bootstrapDescription(), {
    account: ACCOUNT,
    repository: REPOSITORY,
    organizationStack,
  });
  return Object.fromEntries(description.roles.map((role) => [role.id, role]));
}

const arn = (kind: string, name: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;

async function decideFor(
  role: HeldRole,
  action: string,
  resource: string,
  context: Record<string, string> = {},
): Promise<Decision> {
  return decide(
    role.policies.map((p) => p.document),
    { principal: arn("role", role.name), action, resource, account: ACCOUNT, context },
  );
}

describe("what the roles the bootstrap's up left in moto can do, as an evaluator cordon did not write decides", () => {
  beforeAll(async () => {
    const byName = Object.fromEntries(
      (await (organizationAccount ??= upOrganizationAccount())).map((role) => [role.name, role]),
    );
    held = Object.fromEntries(Object.entries(ROLE_NAMES).map(([id, name]) => [id, heldRole(byName[name])])) as Record<
      RoleId,
      HeldRole
    >;
  }, 60_000);

  it.each([
    ["disable a user's key", "iam:UpdateAccessKey", arn("user", "ci-deployer"), {}],
    [
      "attach cordon's deny to a user",
      "iam:AttachUserPolicy",
      arn("user", "ci-deployer"),
      { "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-sessions-ci-deployer") },
    ],
    ["create cordon's deny policy", "iam:CreatePolicy", arn("policy", "cordon/cordon-revoke-sessions-ci-deployer"), {}],
    ["put the revoke policy on a role", "iam:PutRolePolicy", arn("role", "deploy"), {}],
    [
      "attach cordon's managed deny to a role",
      "iam:AttachRolePolicy",
      arn("role", "deploy"),
      { "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-role-sessions-deploy") },
    ],
    ["create a replacement role", "iam:CreateRole", arn("role", "cordon/ci-deployer-oidc"), {}],
  ])("the deployer can %s", async (_, action, resource, context) => {
    expect(await decideFor(held.deployer, action, resource, context as Record<string, string>)).toBe("Allowed");
  });

  it.each([
    ["put a policy on itself", "iam:PutRolePolicy", arn("role", "cordon-deployer"), {}, "ExplicitlyDenied"],
    // The preview role is what every pull request's job assumes: a policy there would give pull requests write rights.
    ["put a policy on the preview role", "iam:PutRolePolicy", arn("role", "cordon-preview"), {}, "ExplicitlyDenied"],
    ["put a policy on the verify role", "iam:PutRolePolicy", arn("role", "cordon-verify"), {}, "ExplicitlyDenied"],
    ["put a policy on the contain role", "iam:PutRolePolicy", arn("role", "cordon-contain"), {}, "ExplicitlyDenied"],
    [
      "attach cordon's managed deny to the preview role",
      "iam:AttachRolePolicy",
      arn("role", "cordon-preview"),
      { "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-role-sessions-x") },
      "ExplicitlyDenied",
    ],
    ["delete the contain role's policy", "iam:DeleteRolePolicy", arn("role", "cordon-contain"), {}, "ExplicitlyDenied"],
    ["tag the verify role", "iam:TagRole", arn("role", "cordon-verify"), {}, "ExplicitlyDenied"],
    [
      "attach a policy to itself",
      "iam:AttachRolePolicy",
      arn("role", "cordon-deployer"),
      { "iam:PolicyARN": arn("policy", "cordon/cordon-revoke-role-sessions-x") },
      "ExplicitlyDenied",
    ],
    ["change its own trust", "iam:UpdateAssumeRolePolicy", arn("role", "cordon-deployer"), {}, "ExplicitlyDenied"],
    ["delete its own policies", "iam:DeleteRolePolicy", arn("role", "cordon-deployer"), {}, "ExplicitlyDenied"],
    ["assume any role", "sts:AssumeRole", arn("role", "cordon/ci-deployer-oidc"), {}, "ExplicitlyDenied"],
    ["create an access key", "iam:CreateAccessKey", arn("user", "ci-deployer"), {}, "ExplicitlyDenied"],
    ["delete an access key", "iam:DeleteAccessKey", arn("user", "ci-deployer"), {}, "ExplicitlyDenied"],
    [
      "attach AdministratorAccess to a role",
      "iam:AttachRolePolicy",
      arn("role", "deploy"),
      { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" },
      "ImplicitlyDenied",
    ],
    [
      "attach AdministratorAccess to a user",
      "iam:AttachUserPolicy",
      arn("user", "ci-deployer"),
      { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" },
      "ImplicitlyDenied",
    ],
    [
      "rewrite a policy outside /cordon/",
      "iam:CreatePolicyVersion",
      arn("policy", "deployer-extra"),
      {},
      "ImplicitlyDenied",
    ],
    ["change another role's trust", "iam:UpdateAssumeRolePolicy", arn("role", "deploy"), {}, "ImplicitlyDenied"],
    ["create a user", "iam:CreateUser", arn("user", "backdoor"), {}, "ImplicitlyDenied"],
    [
      "pass a replacement role to a service",
      "iam:PassRole",
      arn("role", "cordon/ci-deployer-oidc"),
      { "iam:PassedToService": "ec2.amazonaws.com" },
      "ImplicitlyDenied",
    ],
  ])("the deployer cannot %s", async (_, action, resource, context, expected) => {
    expect(await decideFor(held.deployer, action, resource, context as Record<string, string>)).toBe(expected);
  });

  /** Every write the deployer is declared to make, on a resource of the right kind. */
  const writes = [...new Set(Object.values({ ...deployDeclarations, ...organizationDeclarations }).flat())]
    .filter((a) => !isReadOnly(a))
    .sort();

  /** A resource of each kind the deployer writes to: an action is judged on every kind it applies to. */
  const candidates = [
    arn("role", "deploy"),
    arn("role", "cordon/ci-deployer-oidc"),
    arn("role", "cordon-auto-contain/cordon-auto-contain"),
    arn(
      "role",
      "aws-service-role/apidestinations.events.amazonaws.com/AWSServiceRoleForAmazonEventBridgeApiDestinations",
    ),
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
    "sts:TaskPolicyArn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials",
  };

  /** The decisions of `role` for `action` on every candidate resource the action applies to. */
  async function decisions(role: HeldRole, action: string): Promise<Decision[]> {
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
      const decided = await decisions(held.preview, action);
      expect([action, decided.filter((d) => d !== "ImplicitlyDenied")]).toEqual([action, []]);
    }
    // Negative control: the deployer, judged the same way, makes each of them somewhere.
    for (const action of writes)
      expect([action, (await decisions(held.deployer, action)).includes("Allowed")]).toEqual([action, true]);
  });

  it("the preview role reads what the program's checks read", async () => {
    for (const [action, resource] of [
      ["iam:GetRole", arn("role", "deploy")],
      ["iam:ListAccessKeys", arn("user", "ci-deployer")],
      ["iam:GetAccountSummary", "*"],
      ["sts:GetCallerIdentity", "*"],
    ]) {
      expect([action, await decideFor(held.preview, action, resource)]).toEqual([action, "Allowed"]);
    }
  });

  /** The contain role's one kind of write: the first strike sets a credential Inactive (issue 20). */
  const FIRST_STRIKE = [
    "iam:UpdateAccessKey",
    "iam:UpdateSSHPublicKey",
    "iam:UpdateServiceSpecificCredential",
    "iam:UpdateSigningCertificate",
  ];
  const writesOf = (role: HeldRole) =>
    [
      ...new Set(
        role.policies.flatMap((p) =>
          p.document.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action ?? []].flat()),
        ),
      ),
    ]
      .filter((a) => !isReadOnly(a))
      .sort();

  it.each(["preview", "verify", "contain", "deployer"] as const)(
    "the %s role is explicitly denied assuming a replacement role whose trust names it (or its account), as IAM holds it",
    async (id) => {
      const self = arn("role", held[id].name);
      for (const principals of [[self], [`arn:aws:iam::${ACCOUNT}:root`]]) {
        const decision = await decide(
          held[id].policies.map((p) => p.document),
          {
            principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${held[id].name}/GitHubActions`,
            action: "sts:AssumeRole",
            resource: arn("role", "cordon/ci-deployer-oidc"),
            account: ACCOUNT,
            context: { "aws:PrincipalArn": self },
          },
          trustPolicy({ principals }, ACCOUNT),
        );
        expect([principals, decision]).toEqual([principals, "ExplicitlyDenied"]);
      }
    },
  );

  it("the verify role only simulates and reads; the contain role writes only what the first strike does, no other write of the deployer's", async () => {
    expect(writesOf(held.verify)).toEqual([]);
    expect(writesOf(held.contain)).toEqual(FIRST_STRIKE);
    for (const role of [held.verify, held.contain]) {
      for (const action of writes.filter((a) => !(role === held.contain && FIRST_STRIKE.includes(a)))) {
        expect([role.name, action, (await decisions(role, action)).filter((d) => d !== "ImplicitlyDenied")]).toEqual([
          role.name,
          action,
          [],
        ]);
      }
    }
    expect(await decideFor(held.verify, "iam:SimulatePrincipalPolicy", arn("user", "ci-deployer"))).toBe("Allowed");
    // The strike can disable a key, and never make or delete one.
    expect(await decideFor(held.contain, "iam:UpdateAccessKey", arn("user", "ci-deployer"))).toBe("Allowed");
    // Those writes are said for what they are, in a statement of their own: IAM cannot limit the
    // status an update sets, so the role could also set one Active (cordon never does).
    const statements = held.contain.policies.flatMap((p) => p.document.Statement);
    expect(statements.map((s) => s.Sid)).toEqual(["CordonContainReads", "FirstStrikeSetsInactive", "AssumeNoRole"]);
    expect([statements[1].Action ?? []].flat().sort()).toEqual(FIRST_STRIKE);
    expect([statements[0].Action ?? []].flat().every((action) => isReadOnly(action))).toBe(true);
    for (const action of ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:DeleteLoginProfile"]) {
      expect([action, await decideFor(held.contain, action, arn("user", "ci-deployer"))]).not.toEqual([
        action,
        "Allowed",
      ]);
    }
  });

  /** Who each role lets in, among GitHub's subjects for the repository and others. */
  const admits = (role: HeldRole, sub: string, aud = "sts.amazonaws.com") =>
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
    const role = held[id];
    expect(
      Object.entries(subjects)
        .filter(([, sub]) => admits(role, sub))
        .map(([name]) => name),
    ).toEqual(expected);
    expect(admits(role, subjects[expected[0]], "some-other-audience")).toBe(false);
  });

  it("no generated subject but the pinned ones gets in (fast-check)", () => {
    const { deployer: d, contain: c } = held;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.constantFrom(...Object.values(subjects)).map((s) => s.slice(0, -1)),
          fc.constantFrom(...Object.values(subjects)).map((s) => `${s}x`),
        ),
        (sub) => {
          expect(admits(d, sub)).toBe(sub === subjects.apply);
          expect(admits(c, sub)).toBe(sub === subjects.containEnv);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the policies in IAM are exactly what `permissions` prints for each role", async () => {
    const printed: Record<string, PolicyDocument> = {};
    for (const policy of ["preview", "verify", "contain", "organization", "preview-organization"]) {
      const io = memoryIo();
      expect(await main(["permissions", "--policy", policy], io)).toBe(0);
      printed[policy] = JSON.parse(io.stdout);
    }
    const io = memoryIo();
    expect(await main(["permissions", "--deployer-role-arn", `arn:aws:iam::${ACCOUNT}:role/cordon-deployer`], io)).toBe(
      0,
    );
    printed.deploy = JSON.parse(io.stdout);
    const filled = held;
    const byName = (role: HeldRole) => Object.fromEntries(role.policies.map((p) => [p.name, p.document]));
    expect(byName(filled.deployer)).toEqual({
      "cordon-deploy": printed.deploy,
      "cordon-organization": printed.organization,
    });
    expect(byName(filled.preview)).toEqual({
      "cordon-preview": printed.preview,
      "cordon-preview-organization": printed["preview-organization"],
    });
    expect(byName(filled.verify)).toEqual({ "cordon-verify": printed.verify });
    expect(byName(filled.contain)).toEqual({ "cordon-contain": printed.contain });
    // And without the organization stack, no organization policy.
    expect(roles(false).deployer.policies.map((p) => p.name)).toEqual(["cordon-deploy"]);
    expect(rolePolicies().deploy.document.Statement.map((s) => s.Sid)).not.toContain("NotCordonsOwnRoles");
  });
});
