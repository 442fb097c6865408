/**
 * `verify` against moto_server: IAM state is seeded through the SDK as `pulumi up` would leave it
 * (or as someone broke it), then the command runs in-process. moto lacks SimulatePrincipalPolicy,
 * so only that call is mocked, and the mock evaluates the principal's live documents (read from
 * moto) with an IAM evaluator cordon did not write (@cloud-copilot/iam-simulate).
 * Every run also checks that each AWS call it made is one `verifyPermissions` declares.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreateServiceSpecificCredentialCommand,
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteLoginProfileCommand,
  EnableMFADeviceCommand,
  UpdateServiceSpecificCredentialCommand,
  UploadSSHPublicKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SimulatePrincipalPolicyCommand,
  UpdateAccessKeyCommand,
  type SimulatePrincipalPolicyCommandInput,
  type SimulatePrincipalPolicyCommandOutput,
} from "@aws-sdk/client-iam";
import {
  AttachPolicyCommand as AttachOrganizationsPolicyCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand as CreateOrganizationsPolicyCommand,
  ListRootsCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { parsePolicyText as parseDocument, verifyPermissions } from "../aws/iam.ts";
import { SIMULATED_ACTIONS } from "../verify/checks.ts";
import { buildPlan, type DenyPolicy } from "../plan/plan.ts";
import { fillContainment, type PolicyDocument } from "../plan/policies.ts";
import { decide, type Decision, type EvalRequest } from "./support/iam-evaluator.ts";
import { recordedIam } from "./support/recorded-iam.ts";
import { SSH_PUBLIC_KEY } from "./support/credentials.ts";
import { randomBytes } from "node:crypto";

const ACCOUNT = "123456789012";
const NOW = "2026-11-28T12:00:00Z";
const CUTOFF = "2026-11-28T10:00:00Z";
/**
 * An administrator policy of the account's own: the same document as AWS's AdministratorAccess, so
 * moto can run without loading every AWS managed policy (two seconds on each of these tests' resets).
 */
const ADMIN = `arn:aws:iam::${ACCOUNT}:policy/Administrator`;
const ADMIN_DOCUMENT = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
});
const EC2_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

let dir: string;
const { iamMock, stsMock, seed, resetHistory } = recordedIam(verifyPermissions, {
  managedPolicies: false,
  serviceCredentials: true,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cordon-verify-"));
  iamMock.on(SimulatePrincipalPolicyCommand).callsFake(simulateWithLiveDocuments);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The default version of an attached managed policy, as IAM's simulator reads it; once per run of verify. */
async function managedDocument(policy: {
  PolicyArn: string;
  PolicyName: string;
}): Promise<{ name: string; policy: PolicyDocument }> {
  let read = run.managed.get(policy.PolicyArn);
  if (read === undefined) {
    read = managedDocumentText(policy.PolicyArn);
    run.managed.set(policy.PolicyArn, read);
  }
  return { name: policy.PolicyName, policy: parseDocument(await read) as PolicyDocument };
}

async function managedDocumentText(arn: string): Promise<string> {
  const version = (await seed<{ Policy: { DefaultVersionId: string } }>(new GetPolicyCommand({ PolicyArn: arn })))
    .Policy.DefaultVersionId;
  return (
    await seed<{ PolicyVersion: { Document: string } }>(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version }),
    )
  ).PolicyVersion.Document;
}

/**
 * SimulatePrincipalPolicy as IAM answers it, evaluated by iam-simulate over the principal's live
 * policies read from moto. An explicit deny names the policies that deny on their own.
 */
async function simulateWithLiveDocuments(
  input: SimulatePrincipalPolicyCommandInput,
): Promise<SimulatePrincipalPolicyCommandOutput> {
  const arn = input.PolicySourceArn ?? "";
  const [, kind, name] = /^arn:aws:iam::\d{12}:(user|role)\/(.+)$/.exec(arn) ?? [];
  const policies = await liveDocumentsOfRun(kind as "user" | "role", name);
  // A role's requests come from its sessions.
  const principal = kind === "role" ? `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/session` : arn;
  const context = Object.fromEntries(
    (input.ContextEntries ?? []).map((e) => [e.ContextKeyName ?? "", e.ContextKeyValues?.[0] ?? ""]),
  );
  const results = [];
  for (const action of input.ActionNames ?? []) {
    const request = { principal, action, resource: "*", account: ACCOUNT, context };
    const overall = await decideOnce(
      policies.map((p) => p.policy),
      request,
    );
    const denying = [];
    if (overall === "ExplicitlyDenied") {
      for (const p of policies)
        if ((await decideOnce([p.policy], request)) === "ExplicitlyDenied") denying.push(p.name);
    }
    results.push({
      EvalActionName: action,
      EvalResourceName: "*",
      EvalDecision:
        overall === "Allowed" ? "allowed" : overall === "ExplicitlyDenied" ? "explicitDeny" : "implicitDeny",
      MatchedStatements: denying.map((SourcePolicyId) => ({ SourcePolicyId, SourcePolicyType: "IAM Policy" })),
    });
  }
  return { EvaluationResults: results, IsTruncated: false, $metadata: {} } as SimulatePrincipalPolicyCommandOutput;
}

/**
 * iam-simulate's answers so far. It is a pure function of the documents and the request, and this
 * file asks it the same questions again and again (more than four times in five): most tests hold
 * the same documents, principals and instants, and a test that runs verify twice asks all twice.
 */
const answers = new Map<string, Promise<Decision>>();

function decideOnce(policies: PolicyDocument[], request: EvalRequest): Promise<Decision> {
  const key = JSON.stringify([policies, request]);
  let answer = answers.get(key);
  if (answer === undefined) {
    answer = decide(policies, request);
    answers.set(key, answer);
  }
  return answer;
}

/**
 * The live documents as one run of the command finds them: each principal's read from moto at the
 * run's first simulation of it, and kept for its others (up to four a user: before and after the
 * cutoff, and both kinds of token); each managed policy's read once, however many principals and
 * groups it is attached to. The command only reads, so IAM's documents cannot change within a run;
 * every run starts afresh (`verifyIn`), so what a test changes between two runs is read again.
 */
let run = {
  principals: new Map<string, Promise<{ name: string; policy: PolicyDocument }[]>>(),
  managed: new Map<string, Promise<string>>(),
};

function liveDocumentsOfRun(kind: "user" | "role", name: string): Promise<{ name: string; policy: PolicyDocument }[]> {
  const key = `${kind}/${name}`;
  let read = run.principals.get(key);
  if (read === undefined) {
    read = liveDocuments(kind, name);
    run.principals.set(key, read);
  }
  return read;
}

async function liveDocuments(kind: "user" | "role", name: string): Promise<{ name: string; policy: PolicyDocument }[]> {
  type Attached = { AttachedPolicies: { PolicyArn: string; PolicyName: string }[] };
  const inlineDocument = async (policyName: string, get: unknown) => ({
    name: policyName,
    policy: parseDocument((await seed<{ PolicyDocument: string }>(get)).PolicyDocument) as PolicyDocument,
  });
  // The principal's managed and inline policies, and a user's groups', are read side by side (reads
  // only), and listed in that order.
  const managed = async () =>
    Promise.all(
      (
        await seed<Attached>(
          kind === "user"
            ? new ListAttachedUserPoliciesCommand({ UserName: name })
            : new ListAttachedRolePoliciesCommand({ RoleName: name }),
        )
      ).AttachedPolicies.map(managedDocument),
    );
  const inline = async () =>
    Promise.all(
      (
        await seed<{ PolicyNames: string[] }>(
          kind === "user"
            ? new ListUserPoliciesCommand({ UserName: name })
            : new ListRolePoliciesCommand({ RoleName: name }),
        )
      ).PolicyNames.map((policyName) =>
        inlineDocument(
          policyName,
          kind === "user"
            ? new GetUserPolicyCommand({ UserName: name, PolicyName: policyName })
            : new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }),
        ),
      ),
    );
  // A user's groups' policies count too, as IAM's simulator counts them.
  const groups = async () => {
    if (kind !== "user") return [];
    const { Groups } = await seed<{ Groups: { GroupName: string }[] }>(
      new ListGroupsForUserCommand({ UserName: name }),
    );
    const each = await Promise.all(
      Groups.map(async ({ GroupName }) => {
        const [attached, names] = await Promise.all([
          seed<Attached>(new ListAttachedGroupPoliciesCommand({ GroupName })),
          seed<{ PolicyNames: string[] }>(new ListGroupPoliciesCommand({ GroupName })),
        ]);
        return [
          ...(await Promise.all(attached.AttachedPolicies.map(managedDocument))),
          ...(await Promise.all(
            names.PolicyNames.map((policyName) =>
              inlineDocument(policyName, new GetGroupPolicyCommand({ GroupName, PolicyName: policyName })),
            ),
          )),
        ];
      }),
    );
    return each.flat();
  };
  return (await Promise.all([managed(), inline(), groups()])).flat();
}

/** An administrator user with one key, and an administrator role: what an exposed key usually reaches. */
async function seedAccount(): Promise<string> {
  await seed(new CreatePolicyCommand({ PolicyName: "Administrator", PolicyDocument: ADMIN_DOCUMENT }));
  await seed(new CreateUserCommand({ UserName: "ci-deployer" }));
  // Administrator through a group, as in docs/assess-verify.md: the simulator must count group policies.
  await seed(new CreateGroupCommand({ GroupName: "deployers" }));
  await seed(new AddUserToGroupCommand({ GroupName: "deployers", UserName: "ci-deployer" }));
  await seed(new AttachGroupPolicyCommand({ GroupName: "deployers", PolicyArn: ADMIN }));
  const key = await seed<{ AccessKey: { AccessKeyId: string } }>(
    new CreateAccessKeyCommand({ UserName: "ci-deployer" }),
  );
  await seed(new CreateRoleCommand({ RoleName: "deploy", AssumeRolePolicyDocument: EC2_TRUST }));
  await seed(new AttachRolePolicyCommand({ RoleName: "deploy", PolicyArn: ADMIN }));
  return key.AccessKey.AccessKeyId;
}

function writeIncident(id: string, lines: string[]): void {
  writeFileSync(
    join(dir, `${id}.yaml`),
    [`id: ${id}`, "title: CI deploy key pushed to a public repository", `account: "${ACCOUNT}"`, ...lines, ""].join(
      "\n",
    ),
  );
}

function ciIncident(key: string, extra: string[] = []): void {
  writeIncident("2026-11-28-ci-deploy-key", [
    `cutoff: ${CUTOFF}`,
    "users:",
    "  - name: ci-deployer",
    `    accessKeys: [${key}]`,
    "roles:",
    "  - name: deploy",
    ...extra,
  ]);
}

/** The CI incident as pulumi up leaves it: the account seeded, the plan applied, the key disabled; the key. */
async function containedCiIncident(): Promise<string> {
  const key = await seedAccount();
  ciIncident(key);
  await applyPlan();
  await disable(key);
  return key;
}

/** The planned deny policies; `managedRoles`: as the program plans them for roles without inline room. */
function plannedPolicies(managedRoles = false, inlineUsers = false): DenyPolicy[] {
  const loaded = loadIncidentPaths([dir], process.cwd(), new Date(NOW));
  expect(loaded.errors).toEqual([]);
  const roles = managedRoles ? loaded.incidents.flatMap((i) => i.roles.map((r) => r.name)) : [];
  const users = inlineUsers ? loaded.incidents.flatMap((i) => i.users.map((u) => u.name)) : [];
  return buildPlan(loaded.incidents, { managedDenyRoles: roles, inlineDenyUsers: users }).denyPolicies;
}

/** What `pulumi up` leaves behind: the deny policies with the planned documents, the keys disabled. */
async function applyPlan(
  options: {
    containment?: Record<string, string>;
    skip?: (deny: DenyPolicy) => boolean;
    managedRoles?: boolean;
    inlineUsers?: boolean;
    /** Managed denies under the principal's name in capitals, as a stack keeps a spelling the files changed. */
    respelled?: boolean;
  } = {},
): Promise<void> {
  for (const deny of plannedPolicies(options.managedRoles === true, options.inlineUsers === true)) {
    if (options.skip?.(deny)) continue;
    const document = JSON.stringify(fillContainment(deny.document, options.containment ?? {}));
    if (deny.attachment === "managed") {
      const created = await seed<{ Policy: { Arn: string } }>(
        new CreatePolicyCommand({
          PolicyName: options.respelled
            ? deny.policyName.replace(deny.principal.name, deny.principal.name.toUpperCase())
            : deny.policyName,
          Path: "/cordon/",
          PolicyDocument: document,
        }),
      );
      if (deny.principal.type === "user")
        await seed(new AttachUserPolicyCommand({ UserName: deny.principal.name, PolicyArn: created.Policy.Arn }));
      else await seed(new AttachRolePolicyCommand({ RoleName: deny.principal.name, PolicyArn: created.Policy.Arn }));
    } else if (deny.principal.type === "user") {
      await seed(
        new PutUserPolicyCommand({
          UserName: deny.principal.name,
          PolicyName: deny.policyName,
          PolicyDocument: document,
        }),
      );
    } else {
      await seed(
        new PutRolePolicyCommand({
          RoleName: deny.principal.name,
          PolicyName: deny.policyName,
          PolicyDocument: document,
        }),
      );
    }
  }
}

const userPolicy = (deny: DenyPolicy) => deny.principal.type === "user";

async function disable(key: string): Promise<void> {
  await seed(new UpdateAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: key, Status: "Inactive" }));
}

async function verify(...args: string[]) {
  return verifyIn(process.cwd(), ...args);
}

/** verify run from `cwd`: the project whose stack files it reads (cordon:organization). */
async function verifyIn(cwd: string, ...args: string[]) {
  const io = memoryIo({ cwd });
  resetHistory();
  run = { principals: new Map(), managed: new Map() };
  // --now once: a one-value flag given twice is a usage error.
  const now = args.includes("--now") ? [] : ["--now", NOW];
  const code = await main(["verify", dir, ...now, ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("verify against moto", () => {
  it("passes when the deny policies are attached as planned, the key is Inactive and IAM denies older tokens only", async () => {
    const key = await containedCiIncident();

    const { code, stdout, stderr } = await verify();
    expect(stderr).toBe("");
    expect(stdout).toBe(
      [
        `role deploy       deny attached ✓  token before cutoff: explicit deny ✓  after: allowed ✓`,
        `user ci-deployer  deny attached ✓  ${key} Inactive ✓  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: explicit deny ✓  GetSessionToken and GetFederationToken before cutoff: explicit deny ✓  after: allowed ✓`,
        `containment holds: 2 principals of 1 active incident in account ${ACCOUNT} (cutoff ${CUTOFF})`,
        "",
      ].join("\n"),
    );
    expect(code).toBe(0);

    const json = JSON.parse((await verify("--json")).stdout);
    expect(json.ok).toBe(true);
    expect(json.incidents).toEqual(["2026-11-28-ci-deploy-key"]);
    const user = json.principals.find((p: { type: string }) => p.type === "user");
    expect(user).toMatchObject({
      name: "ci-deployer",
      arn: `arn:aws:iam::${ACCOUNT}:user/ci-deployer`,
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-ci-deployer`,
      cutoff: CUTOFF,
      cutoffSource: "incident",
      ok: true,
      warnings: [],
    });
    expect(user.checks.map((c: { check: string; ok: boolean }) => [c.check, c.ok])).toEqual([
      ["deny-attached", true],
      ["document-matches", true],
      ["key-inactive", true],
      ["credentials-inactive", true],
      ["console-password", true],
      ["denied-before-cutoff", true],
      ["after-cutoff", true],
      ["session-token-denied", true],
      ["federation-token-denied", true],
    ]);
    const before = user.checks.find((c: { check: string }) => c.check === "denied-before-cutoff");
    expect(before.tokenIssueTime).toBe("2026-11-28T09:59:00Z");
    expect(before.decisions).toEqual(Object.fromEntries([...SIMULATED_ACTIONS].map((a) => [a, "explicitDeny"])));
    const after = user.checks.find((c: { check: string }) => c.check === "after-cutoff");
    expect(after.tokenIssueTime).toBe("2026-11-28T10:01:00Z");
    expect(after.decisions).toEqual(Object.fromEntries([...SIMULATED_ACTIONS].map((a) => [a, "allowed"])));
  });

  it("asks IAM once a run for a user's record, attached policies and access keys, which three of its questions start from", async () => {
    await containedCiIncident();
    expect((await verify()).code).toBe(0);
    const asked = (command: string) => iamMock.calls().filter((c) => c.args[0].constructor.name === command).length;
    expect([asked("GetUserCommand"), asked("ListAttachedUserPoliciesCommand"), asked("ListAccessKeysCommand")]).toEqual(
      [1, 1, 1],
    );
  });

  it("fails when the user's deny policy does not exist", async () => {
    const key = await seedAccount();
    ciIncident(key);
    await applyPlan({ skip: userPolicy });
    await disable(key);
    const { code, stdout, stderr } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      "user ci-deployer  deny attached ✗  " +
        `${key} Inactive ✓  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: explicit deny ✗  GetSessionToken and GetFederationToken before cutoff: explicit deny ✗  after: allowed ✓\n` +
        "  ✗ deny policy cordon-revoke-sessions-ci-deployer does not exist → run `pulumi up --refresh` to attach it, then verify again\n" +
        "  ✗ a token issued at 2026-11-28T09:59:00Z is not explicitly denied for ec2:DescribeInstances (allowed), ec2:RunInstances (allowed), iam:AttachUserPolicy (allowed), iam:CreateAccessKey (allowed), iam:CreateUser (allowed), s3:GetObject (allowed), s3:PutObject (allowed), secretsmanager:GetSecretValue (allowed), sts:AssumeRole (allowed) → run `pulumi up --refresh`, then verify again\n" +
        "  ✗ a GetSessionToken token issued at 2026-11-28T09:59:00Z is not explicitly denied for ec2:DescribeInstances (allowed), ec2:RunInstances (allowed), iam:AttachUserPolicy (allowed), iam:CreateAccessKey (allowed), iam:CreateUser (allowed), s3:GetObject (allowed), s3:PutObject (allowed), secretsmanager:GetSecretValue (allowed), sts:AssumeRole (allowed) → run `pulumi up --refresh`, then verify again\n" +
        "  ✗ a GetFederationToken token issued at 2026-11-28T09:59:00Z is not explicitly denied for ec2:DescribeInstances (allowed), ec2:RunInstances (allowed), iam:AttachUserPolicy (allowed), iam:CreateAccessKey (allowed), iam:CreateUser (allowed), s3:GetObject (allowed), s3:PutObject (allowed), secretsmanager:GetSecretValue (allowed), sts:AssumeRole (allowed) → run `pulumi up --refresh`, then verify again\n",
    );
    expect(stdout).toContain(
      `containment not proven: 2 principals of 1 active incident in account ${ACCOUNT}, see ✗ above\n`,
    );
    expect(stderr).toBe("cordon verify: 4 checks failed: the containment is not proven\n");
  });

  it("fails when the user's deny policy exists but was detached", async () => {
    await containedCiIncident();
    const arn = `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-ci-deployer`;
    await seed(
      new (await import("@aws-sdk/client-iam")).DetachUserPolicyCommand({ UserName: "ci-deployer", PolicyArn: arn }),
    );
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      "  ✗ deny policy cordon-revoke-sessions-ci-deployer exists but is not attached to user ci-deployer → run `pulumi up --refresh` to attach it, then verify again; if the run says IAM has a policy there that this stack did not create, it is not cordon's deny: the run puts the deny inline instead, and cordon never deletes that policy: read it and what it is attached to (aws iam get-policy --policy-arn arn:aws:iam::123456789012:policy/cordon/cordon-revoke-sessions-ci-deployer; aws iam list-entities-for-policy --policy-arn arn:aws:iam::123456789012:policy/cordon/cordon-revoke-sessions-ci-deployer), and delete it yourself once nothing needs it\n",
    );
  });

  it("fails when the role's inline deny policy is missing", async () => {
    await containedCiIncident();
    await seed(
      new (await import("@aws-sdk/client-iam")).DeleteRolePolicyCommand({
        RoleName: "deploy",
        PolicyName: "cordon-revoke-sessions",
      }),
    );
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      "role deploy       deny attached ✗  token before cutoff: explicit deny ✗  after: allowed ✓\n  ✗ inline policy cordon-revoke-sessions is not on role deploy → run `pulumi up --refresh` to attach it, then verify again\n",
    );
  });

  it("fails when the live document was changed, and says how", async () => {
    await containedCiIncident();
    // Someone moved the role's cutoff an hour back: sessions minted 09:00-10:00 survive.
    const changed = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CordonRevokeSessionsBeforeCutoff",
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-11-28T09:00:00Z" } },
        },
      ],
    };
    await seed(
      new PutRolePolicyCommand({
        RoleName: "deploy",
        PolicyName: "cordon-revoke-sessions",
        PolicyDocument: JSON.stringify(changed),
      }),
    );
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      "role deploy       deny attached ✓  document ✗  token before cutoff: explicit deny ✗  after: allowed ✓\n" +
        '  ✗ deny policy cordon-revoke-sessions differs from the plan: statement CordonRevokeSessionsBeforeCutoff differs: found {"Action":["*"],"Condition":{"DateLessThan":{"aws:tokenissuetime":["2026-11-28T09:00:00.000Z"]}},"Effect":"Deny","Resource":["*"],"Sid":"CordonRevokeSessionsBeforeCutoff"}, planned {"Action":["*"],"Condition":{"DateLessThan":{"aws:tokenissuetime":["2026-11-28T10:00:00.000Z"]}},"Effect":"Deny","Resource":["*"],"Sid":"CordonRevokeSessionsBeforeCutoff"} → run `pulumi up --refresh` to restore it, then verify again; CloudTrail says who changed it\n',
    );
  });

  it("accepts a document that differs only in what IAM ignores: order, one-element lists, white space", async () => {
    const key = await seedAccount();
    ciIncident(key);
    await applyPlan({ skip: userPolicy });
    await disable(key);
    const equivalent = `{ "Statement": { "Condition": { "DateLessThan": { "aws:TokenIssueTime": ["2026-11-28T10:00:00.000Z"] } }, "Resource": ["*"], "Action": ["*"], "Effect": "Deny", "Sid": "CordonRevokeSessionsBeforeCutoff" }, "Version": "2012-10-17" }`;
    const created = await seed<{ Policy: { Arn: string } }>(
      new CreatePolicyCommand({
        PolicyName: "cordon-revoke-sessions-ci-deployer",
        Path: "/cordon/",
        PolicyDocument: equivalent,
      }),
    );
    await seed(new AttachUserPolicyCommand({ UserName: "ci-deployer", PolicyArn: created.Policy.Arn }));
    const { code, stdout } = await verify();
    expect(stdout).toContain(
      `user ci-deployer  deny attached ✓  ${key} Inactive ✓  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: explicit deny ✓  GetSessionToken and GetFederationToken before cutoff: explicit deny ✓  after: allowed ✓\n`,
    );
    expect(code).toBe(0);
  });

  it("fails when a listed key is Active again", async () => {
    const key = await seedAccount();
    ciIncident(key);
    await applyPlan();
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      `user ci-deployer  deny attached ✓  ${key} Active ✗  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: explicit deny ✓  GetSessionToken and GetFederationToken before cutoff: explicit deny ✓  after: allowed ✓\n` +
        `  ✗ ${key} is Active → run \`pulumi up --refresh\` to disable it again; CloudTrail (UpdateAccessKey) says who enabled it\n`,
    );
  });

  it("takes a listed key that IAM no longer has as contained: it was deleted", async () => {
    const key = await seedAccount();
    await seed(new DeleteAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: key }));
    ciIncident(key);
    await applyPlan();
    const { code, stdout } = await verify();
    expect(stdout).toContain(
      `user ci-deployer  deny attached ✓  ${key} deleted ✓  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: explicit deny ✓  GetSessionToken and GetFederationToken before cutoff: explicit deny ✓  after: allowed ✓\n`,
    );
    expect(code).toBe(0);
    const json = JSON.parse((await verify("--json")).stdout);
    expect(
      json.principals
        .find((p: { name: string }) => p.name === "ci-deployer")
        .checks.find((c: { check: string }) => c.check === "key-inactive"),
    ).toEqual({
      check: "key-inactive",
      accessKeyId: key,
      status: "deleted",
      ok: true,
      message: `${key} was deleted (IAM no longer has it): contained`,
    });
  });

  it("fails when IAM names another user as a listed key's owner", async () => {
    await seedAccount();
    await seed(new CreateUserCommand({ UserName: "svc-backup" }));
    const foreign = (
      await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "svc-backup" }))
    ).AccessKey.AccessKeyId;
    ciIncident(foreign);
    await applyPlan();
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(`${foreign} not the user's ✗`);
    expect(stdout).toContain(
      `  ✗ ${foreign} is not a key of user ci-deployer: IAM names user svc-backup as its owner → list the key under user svc-backup in the incident file\n`,
    );
  });

  it("finds a role's managed deny, which the program gives a role without room for the inline one", async () => {
    const key = await seedAccount();
    ciIncident(key);
    await applyPlan({ managedRoles: true });
    await disable(key);
    const { code, stdout } = await verify();
    expect(stdout).toContain(
      "role deploy       deny attached ✓  token before cutoff: explicit deny ✓  after: allowed ✓\n",
    );
    expect(code).toBe(0);
    const json = JSON.parse((await verify("--json")).stdout);
    expect(json.principals.find((p: { name: string }) => p.name === "deploy")).toMatchObject({
      policyName: "cordon-revoke-role-sessions-deploy",
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-role-sessions-deploy`,
      ok: true,
      // It is the role's deny: never said not to be cordon's.
      warnings: [],
    });
  });

  // After fix-respell the stack keeps the spelling it created a deny under, whatever the files say now.
  it("finds the managed denies a stack created under another spelling of the principals' names: IAM names ignore case", async () => {
    const key = await seedAccount();
    ciIncident(key);
    await applyPlan({ managedRoles: true, respelled: true });
    await disable(key);
    const { code, stdout, stderr } = await verify();
    expect(stderr).toBe("");
    expect(stdout).toContain(
      "role deploy       deny attached ✓  token before cutoff: explicit deny ✓  after: allowed ✓\n",
    );
    expect(stdout).toMatch(
      /^user ci-deployer {2}deny attached ✓ .* token before cutoff: explicit deny ✓ .*after: allowed ✓$/m,
    );
    expect(code).toBe(0);
    const json = JSON.parse((await verify("--json")).stdout);
    const found = (name: string) => json.principals.find((p: { name: string }) => p.name === name);
    // The report names the policies as IAM has them.
    expect([found("deploy"), found("ci-deployer")]).toMatchObject([
      {
        policyName: "cordon-revoke-role-sessions-DEPLOY",
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-role-sessions-DEPLOY`,
        ok: true,
        warnings: [],
      },
      {
        policyName: "cordon-revoke-sessions-CI-DEPLOYER",
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-CI-DEPLOYER`,
        ok: true,
        warnings: [],
      },
    ]);
  });

  it("finds a user's inline deny, which the program gives a user without a free managed-policy attachment", async () => {
    const key = await seedAccount();
    ciIncident(key);
    await applyPlan({ inlineUsers: true });
    await disable(key);
    const { code, stdout } = await verify();
    expect(stdout).toMatch(
      /^user ci-deployer {2}deny attached ✓ .* token before cutoff: explicit deny ✓ .*after: allowed ✓$/m,
    );
    expect(code).toBe(0);
    const json = JSON.parse((await verify("--json")).stdout);
    expect(json.principals.find((p: { name: string }) => p.name === "ci-deployer")).toMatchObject({
      policyName: "cordon-revoke-sessions",
      ok: true,
    });
  });

  it("does not take a policy at the managed deny's name for cordon's deny: it finds the inline one the program put instead, and says what to do", async () => {
    const key = await seedAccount();
    ciIncident(key);
    await applyPlan({ inlineUsers: true });
    await disable(key);
    // Made beforehand under cordon's name by whoever could write IAM, and attached as if it were the deny.
    const arn = `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-ci-deployer`;
    const allow = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] };
    await seed(
      new CreatePolicyCommand({
        PolicyName: "cordon-revoke-sessions-ci-deployer",
        Path: "/cordon/",
        PolicyDocument: JSON.stringify(allow),
      }),
    );
    await seed(new AttachUserPolicyCommand({ UserName: "ci-deployer", PolicyArn: arn }));
    const { code, stdout } = await verify("--json");
    expect(code).toBe(0);
    expect(JSON.parse(stdout).principals.find((p: { name: string }) => p.name === "ci-deployer")).toMatchObject({
      policyName: "cordon-revoke-sessions",
      ok: true,
      warnings: [
        `policy ${arn} is not cordon's deny (its document is not the plan's, or it is not attached): the user's deny is the inline policy found instead; cordon never deletes a policy it did not create: read it and what it is attached to (aws iam get-policy --policy-arn ${arn}; aws iam list-entities-for-policy --policy-arn ${arn}), and delete it yourself once nothing needs it`,
      ],
    });

    // Without the inline deny, the policy at cordon's name is what verify judges: not the plan's, a failure.
    await seed(new DeleteUserPolicyCommand({ UserName: "ci-deployer", PolicyName: "cordon-revoke-sessions" }));
    const without = await verify();
    expect(without.code).toBe(1);
    expect(without.stdout).toContain(
      "differs from the plan: statement CordonRevokeSessionsBeforeCutoff is missing; a statement without Sid is not in the plan",
    );
    expect(without.stdout).toContain(
      `CloudTrail says who changed it; if the run says IAM has a policy there that this stack did not create, it is not cordon's deny`,
    );
  });

  it("says a role's managed deny detached by hand is not attached to the role", async () => {
    const key = await seedAccount();
    ciIncident(key);
    await applyPlan({ managedRoles: true });
    await disable(key);
    await seed(
      new (await import("@aws-sdk/client-iam")).DetachRolePolicyCommand({
        RoleName: "deploy",
        PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-role-sessions-deploy`,
      }),
    );
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      "  ✗ deny policy cordon-revoke-role-sessions-deploy exists but is not attached to role deploy → run `pulumi up --refresh` to attach it, then verify again; if the run says IAM has a policy there that this stack did not create, it is not cordon's deny: the run puts the deny inline instead, and cordon never deletes that policy: read it and what it is attached to (aws iam get-policy --policy-arn arn:aws:iam::123456789012:policy/cordon/cordon-revoke-role-sessions-deploy; aws iam list-entities-for-policy --policy-arn arn:aws:iam::123456789012:policy/cordon/cordon-revoke-role-sessions-deploy), and delete it yourself once nothing needs it\n",
    );
  });

  it("fails when the principal does not exist", async () => {
    const key = await seedAccount();
    ciIncident(key, ["  - name: gone"]);
    await applyPlan({ skip: (deny) => deny.principal.name === "gone" });
    await disable(key);
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      `role gone         deny attached ✗\n  ✗ role gone does not exist in account ${ACCOUNT} → check the name in the incident file\n`,
    );
  });

  it("fails when IAM's simulator does not deny older tokens", async () => {
    await containedCiIncident();
    // A simulator that allows everything: the documents look right but do not take effect.
    iamMock.on(SimulatePrincipalPolicyCommand).callsFake(async (input: SimulatePrincipalPolicyCommandInput) => ({
      EvaluationResults: (input.ActionNames ?? []).map((a) => ({ EvalActionName: a, EvalDecision: "allowed" })),
      IsTruncated: false,
    }));
    const { code, stdout } = await verify("--json");
    expect(code).toBe(1);
    const user = JSON.parse(stdout).principals.find((p: { type: string }) => p.type === "user");
    expect(user.checks.find((c: { check: string }) => c.check === "denied-before-cutoff")).toMatchObject({
      ok: false,
      message: `a token issued at 2026-11-28T09:59:00Z is not explicitly denied for ${[...SIMULATED_ACTIONS].map((a) => `${a} (allowed)`).join(", ")}`,
      fix: "run `pulumi up --refresh`, then verify again",
    });
  });

  it("fails when cordon's policy denies tokens issued after the cutoff", async () => {
    const key = await containedCiIncident();
    iamMock.on(SimulatePrincipalPolicyCommand).callsFake(async (input: SimulatePrincipalPolicyCommandInput) => ({
      EvaluationResults: (input.ActionNames ?? []).map((a) => ({
        EvalActionName: a,
        EvalDecision: "explicitDeny",
        MatchedStatements: [{ SourcePolicyId: "cordon-revoke-sessions-ci-deployer" }],
      })),
      IsTruncated: false,
    }));
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      `user ci-deployer  deny attached ✓  ${key} Inactive ✓  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: explicit deny ✓  GetSessionToken and GetFederationToken before cutoff: explicit deny ✓  after: denied by cordon ✗\n` +
        `  ✗ a token issued at 2026-11-28T10:01:00Z is denied by cordon's policy for ${SIMULATED_ACTIONS.join(", ")} → check the cutoff in the incident file: sessions issued after it (the new access path) must keep working\n`,
    );
  });

  it("warns when a listed key was used after the cutoff: the sessions it minted then are not revoked", async () => {
    const key = await containedCiIncident();
    // moto does not record use of a key: IAM's answer is given here.
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({
      UserName: "ci-deployer",
      AccessKeyLastUsed: { LastUsedDate: new Date("2026-11-28T10:20:00Z"), ServiceName: "sts", Region: "us-east-1" },
    });
    const { code, stdout } = await verify();
    expect(stdout).toContain(
      `  ! ${key} was last used at 2026-11-28T10:20:00Z, after the cutoff 2026-11-28T10:00:00Z: sessions it minted then are not revoked (the cutoff gap); use \`cutoff: at-containment\` or a later cutoff\n`,
    );
    expect(code).toBe(0);
  });

  it("does not warn about a key last used before the cutoff", async () => {
    await containedCiIncident();
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({
      UserName: "ci-deployer",
      AccessKeyLastUsed: { LastUsedDate: new Date("2026-11-28T09:58:00Z"), ServiceName: "s3", Region: "us-east-1" },
    });
    const { code, stdout } = await verify("--json");
    expect(JSON.parse(stdout).principals.flatMap((p: { warnings: string[] }) => p.warnings)).toEqual([]);
    expect(code).toBe(0);
  });

  it("warns when another access key of the user, one no incident lists, was used after the cutoff; a key kept by name is left out", async () => {
    const key = await containedCiIncident();
    // The attacker's second key, disabled by pulumi up; and a key the file keeps, which works on purpose.
    const added = (
      await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "ci-deployer" }))
    ).AccessKey.AccessKeyId;
    await disable(added);
    const lastUsed: Record<string, string> = {
      [key]: "2026-11-28T09:58:00Z",
      [added]: "2026-11-28T10:20:00Z",
    };
    iamMock.on(GetAccessKeyLastUsedCommand).callsFake(async (input: { AccessKeyId: string }) => ({
      UserName: "ci-deployer",
      AccessKeyLastUsed: {
        LastUsedDate: new Date(lastUsed[input.AccessKeyId]),
        ServiceName: "sts",
        Region: "us-east-1",
      },
    }));
    const { code, stdout } = await verify();
    expect(stdout).toContain(
      `  ! ${added} (access key of user ci-deployer that no incident lists) was last used at 2026-11-28T10:20:00Z, after the cutoff 2026-11-28T10:00:00Z: sessions it minted then are not revoked; list the key as exposed in an incident (with \`cutoff: at-containment\`, that changes the instant's triggers: it is recorded again, after the key is disabled), give the incident an explicit cutoff after its last use, or \`mode: deny-all\`\n`,
    );
    expect(stdout).not.toContain(`${key} was last used`);
    expect(code).toBe(0);

    // Kept by name: it is meant to work after the cutoff, so no warning.
    writeIncident("2026-11-28-ci-deploy-key", [
      `cutoff: ${CUTOFF}`,
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${key}]`,
      `    keep: { accessKeys: [${added}] }`,
      "roles:",
      "  - name: deploy",
    ]);
    const kept = await verify("--json");
    expect(JSON.parse(kept.stdout).principals.flatMap((p: { warnings: string[] }) => p.warnings)).toEqual([]);
  });

  /** The keys of the key-in-ticket incident as last written: what pulumi up records its instant for. */
  let ticketKeys: string[] = [];
  /** The key-in-ticket incident, cut off at containment: the user and its key, then `extra` lines. */
  function ticketIncident(key: string, extra: string[] = []): void {
    ticketKeys = [key];
    writeIncident("2026-11-28-key-in-ticket", [
      "cutoff: at-containment",
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${key}]`,
      ...extra,
    ]);
  }

  /** The key-in-ticket incident as pulumi up leaves it, contained at `instant`; the key. */
  async function containedTicketIncident(instant: string): Promise<string> {
    const key = await seedAccount();
    ticketIncident(key);
    await applyPlan({ containment: { "2026-11-28-key-in-ticket": instant } });
    await disable(key);
    return key;
  }

  /** The stack outputs of a run of pulumi up that recorded `instant` for the key-in-ticket incident. */
  function outputsRecording(instant: string, accessKeys = ticketKeys): string {
    const outputs = join(dir, "outputs.json");
    writeFileSync(
      outputs,
      JSON.stringify({
        account: ACCOUNT,
        incidents: {
          "2026-11-28-key-in-ticket": {
            cutoff: instant,
            atContainment: true,
            expiresAt: "2026-11-29T23:30:00Z",
            mode: "revoke-older-sessions",
            principals: [],
            accessKeys,
          },
        },
        replacementRoles: [],
      }),
    );
    return outputs;
  }

  it("checks an at-containment incident around the instant the stack outputs recorded", async () => {
    await containedTicketIncident("2026-11-28T11:30:00Z");
    const { code, stdout } = await verify("--json", "--stack-outputs", outputsRecording("2026-11-28T11:30:00Z"));
    const [user] = JSON.parse(stdout).principals;
    expect(user).toMatchObject({ cutoff: "2026-11-28T11:30:00Z", cutoffSource: "stack-outputs", ok: true });
    expect(user.checks.find((c: { check: string }) => c.check === "denied-before-cutoff").tokenIssueTime).toBe(
      "2026-11-28T11:29:00Z",
    );
    expect(code).toBe(0);
  });

  it("never takes the instant from the live policy: without the stack outputs it cannot verify the incident, and exits 1", async () => {
    const key = await seedAccount();
    ticketIncident(key);
    // The live policy was edited to an instant years back: it revokes nothing that is still alive.
    await applyPlan({ containment: { "2026-11-28-key-in-ticket": "2016-11-28T11:30:00Z" } });
    await disable(key);
    const { code, stdout, stderr } = await verify();
    expect(stdout).toBe(
      `user ci-deployer  deny attached ✓  ${key} Inactive ✓  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: not simulated ✗\n` +
        "  ✗ cannot verify 2026-11-28-key-in-ticket: the containment instant is not known, and verify never takes it from the live policy, whose text anyone allowed to edit the policy could have changed → pass --stack-outputs FILE (pulumi stack output --json) with the instant pulumi up recorded; before the first pulumi up, there is nothing to verify yet\n" +
        `containment not proven: 1 principal of 1 active incident in account ${ACCOUNT}, see ✗ above\n`,
    );
    expect(stderr).toBe("cordon verify: 1 check failed: the containment is not proven\n");
    expect(code).toBe(1);
    // With the recorded instant, the edited policy is a changed document.
    const recorded = await verify("--stack-outputs", outputsRecording("2026-11-28T11:30:00Z"));
    expect(recorded.code).toBe(1);
    expect(recorded.stdout).toMatch(
      /✗ deny policy cordon-revoke-sessions-ci-deployer differs from the plan: statement \w+ differs: found .*2016-11-28T11:30:00.000Z.*, planned .*2026-11-28T11:30:00.000Z/,
    );
  });

  it("a principal whose policy is gone is still simulated around the recorded instant", async () => {
    const key = await seedAccount();
    ticketIncident(key, ["roles:", "  - name: deploy"]);
    await applyPlan({
      containment: { "2026-11-28-key-in-ticket": "2026-11-28T11:30:00Z" },
      skip: (deny) => deny.principal.type === "role",
    });
    await disable(key);
    const { code, stdout } = await verify("--stack-outputs", outputsRecording("2026-11-28T11:30:00Z"));
    expect(stdout).toContain(
      "role deploy       deny attached ✗  token before cutoff: explicit deny ✗  after: allowed ✓\n" +
        "  ✗ inline policy cordon-revoke-sessions is not on role deploy → run `pulumi up --refresh` to attach it, then verify again\n" +
        "  ✗ a token issued at 2026-11-28T11:29:00Z is not explicitly denied for ",
    );
    expect(code).toBe(1);
  });

  it("with --stack-outputs, a live instant other than the recorded one is a changed document", async () => {
    await containedTicketIncident("2026-11-28T11:30:00Z");
    const { code, stdout } = await verify("--stack-outputs", outputsRecording("2026-11-28T11:45:00Z"));
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /✗ deny policy cordon-revoke-sessions-ci-deployer differs from the plan: statement CordonRevokeSessionsBeforeContainment2026112\w+ differs: found .*2026-11-28T11:30:00.000Z.*, planned .*2026-11-28T11:45:00.000Z/,
    );
  });

  it("an instant recorded while the incident had other keys is not its instant: verify cannot verify it yet", async () => {
    const key = await containedTicketIncident("2026-11-28T11:30:00Z");
    // Recorded for the first key alone; a follow-up added a second, and no pulumi up has run since.
    ticketIncident(key, ["  - name: dana", "    accessKeys: [AKIAJ7Q2EXAMPLEKEY77]"]);
    const { code, stdout } = await verify("--stack-outputs", outputsRecording("2026-11-28T11:30:00Z", [key]));
    expect(code).toBe(1);
    expect(stdout).toContain("✗ cannot verify 2026-11-28-key-in-ticket: the containment instant is not known");
  });

  it("fails without simulating when an at-containment instant is nowhere to be found", async () => {
    const key = await seedAccount();
    ticketIncident(key);
    await disable(key);
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    expect(stdout).toContain(
      `user ci-deployer  deny attached ✗  ${key} Inactive ✓  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: not simulated ✗\n` +
        "  ✗ deny policy cordon-revoke-sessions-ci-deployer does not exist → run `pulumi up --refresh` to attach it, then verify again\n" +
        "  ✗ cannot verify 2026-11-28-key-in-ticket: the containment instant is not known, and verify never takes it from the live policy, whose text anyone allowed to edit the policy could have changed → pass --stack-outputs FILE (pulumi stack output --json) with the instant pulumi up recorded; before the first pulumi up, there is nothing to verify yet\n",
    );
  });

  it("deny-all: tokens issued after the cutoff are explicitly denied too", async () => {
    const key = await seedAccount();
    ciIncident(key, ["mode: deny-all"]);
    await applyPlan();
    await disable(key);
    const { code, stdout } = await verify();
    expect(stdout).toBe(
      [
        "role deploy       deny attached ✓  token before cutoff: explicit deny ✓  after: explicit deny (deny-all) ✓",
        `user ci-deployer  deny attached ✓  ${key} Inactive ✓  every other credential Inactive or kept ✓  console password none ✓  token before cutoff: explicit deny ✓  GetSessionToken and GetFederationToken before cutoff: explicit deny ✓  after: explicit deny (deny-all) ✓`,
        `containment holds: 2 principals of 1 active incident in account ${ACCOUNT} (cutoff ${CUTOFF})`,
        "",
      ].join("\n"),
    );
    expect(code).toBe(0);
  });

  it("skips expired incidents and says there is nothing to verify", async () => {
    const key = await seedAccount();
    ciIncident(key);
    const { code, stdout } = await verify("--now", "2026-11-30T00:00:00Z");
    expect(stdout).toBe(`no active incident for account ${ACCOUNT} at 2026-11-30T00:00:00Z: nothing to verify\n`);
    expect(code).toBe(0);
  });

  it("reports incidents of another account as not checked", async () => {
    writeFileSync(
      join(dir, "2026-11-28-other-account.yaml"),
      [
        "id: 2026-11-28-other-account",
        "title: elsewhere",
        'account: "210987654321"',
        `cutoff: ${CUTOFF}`,
        "users:",
        "  - name: someone",
        "",
      ].join("\n"),
    );
    const { code, stdout, stderr } = await verify();
    expect(stderr).toBe(
      "not checked: incident 2026-11-28-other-account has a share in account 210987654321; the credentials in use are for 123456789012: run verify with credentials for it\n",
    );
    expect(stdout).toBe(`no active incident for account ${ACCOUNT} at ${NOW}: nothing to verify\n`);
    expect(code).toBe(0);

    // --all-shares (the contain workflow's report): the share left unchecked fails verify.
    const strict = await verify("--all-shares");
    expect(strict.stderr).toBe(
      [
        "not checked: incident 2026-11-28-other-account has a share in account 210987654321; the credentials in use are for 123456789012: run verify with credentials for it",
        "cordon verify: 1 share not checked (--all-shares): nothing was checked in account 123456789012 either (no active incident's principal there): the containment is proven nowhere",
        "",
      ].join("\n"),
    );
    expect(strict.stdout).toBe(stdout);
    expect(strict.code).toBe(1);

    // --incident: only the named incidents' shares count (the contain report names its key's), the
    // others are still said. (An incident of this account, expired: nothing of it to check.)
    writeIncident("2026-11-20-expired", ["cutoff: 2026-11-20T10:00:00Z", "roles:", "  - name: deploy"]);
    const elsewhere = await verify("--all-shares", "--incident", "2026-11-20-expired");
    expect(elsewhere.stderr).toBe(stderr);
    expect(elsewhere.code).toBe(0);
    const named = await verify(
      "--all-shares",
      "--incident",
      "2026-11-20-expired",
      "--incident",
      "2026-11-28-other-account",
    );
    expect(named.stderr.split("\n").slice(1)).toEqual([
      "cordon verify: 1 share of 2026-11-28-other-account not checked (--all-shares): nothing was checked in account 123456789012 either (no active incident's principal there): the containment is proven nowhere",
      "",
    ]);
    expect(named.code).toBe(1);

    // An id no file has verifies nothing: refused, rather than passed for a proof.
    const unknown = await verify("--all-shares", "--incident", "2026-11-28-ci-key", "--incident", "2026-11-20-expired");
    expect(unknown).toEqual({
      code: 1,
      stdout: "",
      stderr: `cordon verify: --incident 2026-11-28-ci-key: no incident file in ${dir} has this id: nothing of it can be verified\n`,
    });
  });

  it("--incident: only with --all-shares, and only an incident id", async () => {
    const alone = await verify("--incident", "2026-11-28-ci");
    expect([alone.code, alone.stderr.split("\n")[0]]).toEqual([
      2,
      "cordon verify: --incident narrows what --all-shares counts: give --all-shares too; run `npx cordon verify --help` for its options",
    ]);
    const bad = await verify("--all-shares", "--incident", "../incidents/x");
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n")[0]).toMatch(
      /^cordon verify: --incident: id: found "\.\.\/incidents\/x", expected 3 to 64/,
    );
    expect(iamMock.calls()).toEqual([]);
  });

  it("--all-shares: passes when every share was checked, and fails as without it when a check failed", async () => {
    const key = await containedCiIncident();
    const held = await verify("--all-shares");
    expect(held.stderr).toBe("");
    expect(held.stdout.split("\n").at(-2)).toBe(
      `containment holds: 2 principals of 1 active incident in account ${ACCOUNT} (cutoff ${CUTOFF})`,
    );
    expect(held.code).toBe(0);

    await seed(new UpdateAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: key, Status: "Active" }));
    const broken = await verify("--all-shares");
    expect(broken.stderr).toBe("cordon verify: 1 check failed: the containment is not proven\n");
    expect(broken.code).toBe(1);
  });

  it("asks nothing of AWS while an incident file is invalid", async () => {
    writeFileSync(join(dir, "broken.yaml"), "id: broken\n");
    const { code, stderr } = await verify();
    expect(code).toBe(1);
    expect(stderr).toMatch(/^broken\.yaml:|\/broken\.yaml:/m);
    expect(iamMock.calls()).toEqual([]);
    expect(stsMock.calls()).toEqual([]);
  });
});

describe("verify at organization scale (issue 11)", () => {
  const MEMBER = "444444444444";
  function crossIncident(key: string, organization = false): void {
    writeIncident("2026-11-28-cross", [
      `cutoff: ${CUTOFF}`,
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${key}]`,
      "roles:",
      "  - name: data-loader",
      `    account: "${MEMBER}"`,
      ...(organization ? ["organization: { scp: true, rcp: true }"] : []),
    ]);
  }

  /** The cross-account incident (with guardrails, or not) as pulumi up in the credentials' account leaves it: its share. */
  async function containedCrossIncident(organization = true): Promise<void> {
    const key = await seedAccount();
    crossIncident(key, organization);
    await applyPlan({ skip: (deny) => deny.account !== ACCOUNT });
    await disable(key);
  }

  it("checks the share of the credentials' account, and names each other account's share as not checked", async () => {
    await containedCrossIncident(false);
    const { code, stdout, stderr } = await verify();
    expect(stderr).toBe(
      `not checked: incident 2026-11-28-cross has a share in account ${MEMBER}; the credentials in use are for ${ACCOUNT}: run verify with credentials for it\n`,
    );
    expect(stdout.split("\n").at(-2)).toBe(
      `containment holds: 1 principal of 1 active incident in account ${ACCOUNT} (cutoff ${CUTOFF})`,
    );
    expect(code).toBe(0);

    const strict = await verify("--all-shares", "--json");
    expect(strict.stderr.split("\n").slice(1)).toEqual([
      `cordon verify: 1 share not checked (--all-shares): the containment is proven in account ${ACCOUNT} only`,
      "",
    ]);
    expect(JSON.parse(strict.stdout).notChecked).toEqual([
      { kind: "share", incident: "2026-11-28-cross", account: MEMBER },
    ]);
    // The JSON's ok is the exit's: a partial verify is no pass there either.
    expect(JSON.parse(strict.stdout).ok).toBe(false);
    expect(JSON.parse((await verify("--json")).stdout).ok).toBe(true);
    expect(strict.code).toBe(1);
  });

  describe("from the organization stack's account", () => {
    let project: string;
    const organizations = new OrganizationsClient({});
    beforeEach(() => {
      project = mkdtempSync(join(tmpdir(), "cordon-verify-org-"));
      writeFileSync(join(project, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
      writeFileSync(
        join(project, `Pulumi.prod-${ACCOUNT}.yaml`),
        `config:\n  cordon:account: "${ACCOUNT}"\n  cordon:organization:\n    targets: [ROOT]\n    managementAccount: "${ACCOUNT}"\n`,
      );
    });
    afterEach(() => rmSync(project, { recursive: true, force: true }));

    /** moto's organization (the caller's account is its management account), its root in the stack file. */
    async function organizationRoot(): Promise<string> {
      await organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
      const root = (await organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
      const file = join(project, `Pulumi.prod-${ACCOUNT}.yaml`);
      writeFileSync(file, readFileSync(file, "utf8").replace("ROOT", root));
      return root;
    }

    /** The guardrails as the organization stack's pulumi up leaves them. */
    async function applyGuardrails(root: string, change?: (document: string) => string): Promise<string[]> {
      const loaded = loadIncidentPaths([dir], process.cwd(), new Date(NOW));
      const names: string[] = [];
      for (const policy of buildPlan(loaded.incidents, {
        organization: { targets: [root], managementAccount: ACCOUNT },
      }).organizationPolicies) {
        const content = JSON.stringify(policy.document);
        const created = await organizations.send(
          new CreateOrganizationsPolicyCommand({
            Name: policy.name,
            Description: "cordon",
            Type: policy.kind === "scp" ? "SERVICE_CONTROL_POLICY" : "RESOURCE_CONTROL_POLICY",
            Content: change ? change(content) : content,
          }),
        );
        await organizations.send(
          new AttachOrganizationsPolicyCommand({ PolicyId: created.Policy!.PolicySummary!.Id, TargetId: root }),
        );
        names.push(policy.name);
      }
      return names;
    }

    it("checks that each planned SCP and RCP is live, word for word, and attached to the planned targets", async () => {
      await containedCrossIncident();
      const root = await organizationRoot();
      const [scp, rcp] = await applyGuardrails(root);
      const { code, stdout } = await verifyIn(project, "--json");
      const report = JSON.parse(stdout);
      expect(report.guardrails.map((g: { kind: string; name: string; ok: boolean }) => [g.kind, g.name, g.ok])).toEqual(
        [
          ["scp", scp, true],
          ["rcp", rcp, true],
        ],
      );
      expect(report.notChecked).toEqual([{ kind: "share", incident: "2026-11-28-cross", account: MEMBER }]);
      expect(code).toBe(0);
      const text = await verifyIn(project);
      expect(text.stdout).toContain(`scp ${scp}  live ✓  document ✓  attached ✓  (2026-11-28-cross)\n`);
      expect(text.stdout).toContain("; 2 organization guardrails live and attached\n");
    });

    it("passes a cordon guardrail more than the plan's while every planned one is in place (a replaced document, kept one run), and fails it while one is not", async () => {
      await containedCrossIncident();
      const root = await organizationRoot();
      // What the organization stack keeps of a document it replaced, until the new one is attached.
      const old = await organizations.send(
        new CreateOrganizationsPolicyCommand({
          Name: "cordon-scp-00000000",
          Description: "cordon",
          Type: "SERVICE_CONTROL_POLICY",
          Content: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Sid: "Old", Effect: "Deny", Action: "*", Resource: "*" }],
          }),
        }),
      );
      const oldId = old.Policy!.PolicySummary!.Id!;
      await organizations.send(new AttachOrganizationsPolicyCommand({ PolicyId: oldId, TargetId: root }));
      const before = await verifyIn(project, "--json");
      const notYet = JSON.parse(before.stdout).guardrails.find(
        (g: { name: string }) => g.name === "cordon-scp-00000000",
      );
      expect(notYet.ok).toBe(false);
      expect(notYet.checks[0].message).toContain("a pulumi up has not run since the incidents changed");
      expect(before.code).toBe(1);
      await applyGuardrails(root);
      const { code, stdout } = await verifyIn(project, "--json");
      const report = JSON.parse(stdout);
      const kept = report.guardrails.find((g: { name: string }) => g.name === "cordon-scp-00000000");
      expect(kept.ok).toBe(true);
      expect(kept.checks).toEqual([
        {
          check: "guardrail-planned",
          ok: true,
          message: `scp cordon-scp-00000000 (${oldId}) is live, attached to ${root}, but the plan does not have it: every planned guardrail is in place, and it only denies, so it only restricts more: a document cordon replaced, which the next pulumi up of the organization stack removes, or one someone else made (delete that by hand)`,
        },
      ]);
      expect(report.ok).toBe(true);
      expect(code).toBe(0);
    });

    it("fails when a guardrail was changed by hand, or is missing", async () => {
      await containedCrossIncident();
      const root = await organizationRoot();
      // Someone took the member account's role out of the SCP.
      const [scp] = await applyGuardrails(root, (content) =>
        content.replaceAll(`arn:aws:iam::${MEMBER}:role/data-loader`, `arn:aws:iam::${MEMBER}:role/nobody`),
      );
      const { code, stdout, stderr } = await verifyIn(project);
      expect(stdout).toContain(
        `scp ${scp}  live ✓  document ✗  attached ✓  (2026-11-28-cross)\n  ✗ ${scp} differs from the plan: `,
      );
      expect(stderr).toMatch(/cordon verify: \d+ checks? failed: the containment is not proven\n$/);
      expect(code).toBe(1);
    });

    it("fails when no guardrail was declared at all", async () => {
      await containedCrossIncident();
      await organizationRoot();
      const { code, stdout } = await verifyIn(project, "--json");
      const report = JSON.parse(stdout);
      expect(report.guardrails.map((g: { checks: { check: string; ok: boolean }[] }) => g.checks)).toEqual([
        [expect.objectContaining({ check: "guardrail-live", ok: false })],
        [expect.objectContaining({ check: "guardrail-live", ok: false })],
      ]);
      expect(report.ok).toBe(false);
      expect(code).toBe(1);
    });
  });

  it("without the organization stack's file, says the guardrails were not checked", async () => {
    await containedCrossIncident();
    const { stderr } = await verify();
    expect(stderr.split("\n")).toContain(
      "not checked: the organization guardrails of incident 2026-11-28-cross: no stack file here sets cordon:organization, so verify does not know where they are",
    );
    // The member account's share and the guardrails: two left unchecked.
    const strict = await verify("--all-shares");
    expect(strict.stderr.split("\n").at(-2)).toBe(
      `cordon verify: 1 share and the guardrails of 1 incident not checked (--all-shares): the containment is proven in account ${ACCOUNT} only`,
    );
    expect(strict.code).toBe(1);
  });

  it("from another account than the organization stack's: its share and its guardrails, each said once as what it is", async () => {
    await containedCrossIncident();
    // The organization stack is the member account's, where the incident has a share too.
    const project = mkdtempSync(join(tmpdir(), "cordon-verify-org-"));
    try {
      writeFileSync(join(project, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
      writeFileSync(
        join(project, `Pulumi.prod-${MEMBER}.yaml`),
        `config:\n  cordon:account: "${MEMBER}"\n  cordon:organization:\n    targets: [r-a1b2]\n    managementAccount: "${MEMBER}"\n`,
      );
      const strict = await verifyIn(project, "--all-shares");
      expect(strict.stderr.split("\n")).toEqual([
        `not checked: incident 2026-11-28-cross has a share in account ${MEMBER}; the credentials in use are for ${ACCOUNT}: run verify with credentials for it`,
        `not checked: the organization guardrails of incident 2026-11-28-cross: only the organization stack's account ${MEMBER} can read them; the credentials in use are for ${ACCOUNT}: run verify with credentials for it`,
        `cordon verify: 1 share and the guardrails of 1 incident not checked (--all-shares): the containment is proven in account ${ACCOUNT} only`,
        "",
      ]);
      expect(strict.code).toBe(1);
      const json = await verifyIn(project, "--json");
      expect(JSON.parse(json.stdout).notChecked).toEqual([
        { kind: "share", incident: "2026-11-28-cross", account: MEMBER },
        { kind: "guardrails", incident: "2026-11-28-cross", account: MEMBER },
      ]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe("verify cannot ask AWS", () => {
  it("exits 2 with what to grant when IAM denies the simulator", async () => {
    await containedCiIncident();
    iamMock
      .on(SimulatePrincipalPolicyCommand)
      .rejects(
        Object.assign(
          new Error(
            "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: iam:SimulatePrincipalPolicy",
          ),
          { name: "AccessDenied" },
        ),
      );
    const { code, stdout, stderr } = await verify();
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "cordon verify: access denied: the credentials may not call iam:SimulatePrincipalPolicy; grant them the commands policy that `cordon permissions` prints\n",
    );
    expect(code).toBe(2);
  });
});

describe("verify: every credential of the user, its console password, and its tokens (issue 20, item 7)", () => {
  /** What an attacker adds to the user: a second key, an SSH key, a CodeCommit credential, a console password, an MFA device. */
  async function seedAttacker(): Promise<{
    key: string;
    second: string;
    ssh: string;
    codecommit: string;
    mfa: string;
  }> {
    const key = await seedAccount();
    const second = (
      await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "ci-deployer" }))
    ).AccessKey.AccessKeyId;
    const ssh = (
      await seed<{ SSHPublicKey: { SSHPublicKeyId: string } }>(
        new UploadSSHPublicKeyCommand({ UserName: "ci-deployer", SSHPublicKeyBody: SSH_PUBLIC_KEY }),
      )
    ).SSHPublicKey.SSHPublicKeyId;
    const codecommit = (
      await seed<{ ServiceSpecificCredential: { ServiceSpecificCredentialId: string } }>(
        new CreateServiceSpecificCredentialCommand({
          UserName: "ci-deployer",
          ServiceName: "codecommit.amazonaws.com",
        }),
      )
    ).ServiceSpecificCredential.ServiceSpecificCredentialId;
    await seed(
      new CreateLoginProfileCommand({ UserName: "ci-deployer", Password: `${randomBytes(18).toString("base64")}aA1!` }),
    );
    const mfa = (
      await seed<{ VirtualMFADevice: { SerialNumber: string } }>(
        new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "attacker" }),
      )
    ).VirtualMFADevice.SerialNumber;
    await seed(
      new EnableMFADeviceCommand({
        UserName: "ci-deployer",
        SerialNumber: mfa,
        AuthenticationCode1: "123456",
        AuthenticationCode2: "654321",
      }),
    );
    return { key, second, ssh, codecommit, mfa };
  }
  const userLine = (stdout: string) =>
    stdout.split("\n").filter((line) => line.startsWith("user ci-deployer") || line.startsWith("  "));

  it("fails on each credential left Active, a console password and an MFA device the file asks to deactivate; says AWS's quarantine is still attached", async () => {
    const { key, second, ssh, codecommit, mfa } = await seedAttacker();
    await seed(
      new CreatePolicyCommand({
        PolicyName: "AWSCompromisedKeyQuarantineV3",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", Action: "iam:CreateUser", Resource: "*" }],
        }),
      }),
    );
    await seed(
      new AttachUserPolicyCommand({
        UserName: "ci-deployer",
        PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/AWSCompromisedKeyQuarantineV3`,
      }),
    );
    writeIncident("2026-11-28-ci-deploy-key", [
      `cutoff: ${CUTOFF}`,
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${key}]`,
      `    deactivateMfaDevices: ["${mfa}"]`,
      "roles:",
      "  - name: deploy",
    ]);
    await applyPlan();
    await disable(key);
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    const open = [second, ssh, codecommit].map((id) => ({
      id,
      kind: id === ssh ? "SSH public key" : id === codecommit ? "service-specific credential" : "access key",
    }));
    const order = ["access key", "service-specific credential", "SSH public key"];
    const named = open
      .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.id.localeCompare(b.id))
      .map((c) => `${c.id} (${c.kind})`)
      .join(", ");
    expect(userLine(stdout)).toEqual([
      `user ci-deployer  deny attached ✓  ${key} Inactive ✓  every other credential Inactive or kept ✗  console password present ✗  MFA devices deactivated ✗  token before cutoff: explicit deny ✓  GetSessionToken and GetFederationToken before cutoff: explicit deny ✓  after: not denied by cordon ✓`,
      `  ✗ user ci-deployer has 3 credentials that no incident keeps, still Active: ${named} → run \`pulumi up --refresh\`: every credential of a compromised user is set Inactive; CloudTrail (Create*, Upload*, Update*) says who made or enabled it`,
      "  ✗ user ci-deployer has a console password, which no incident keeps → run `pulumi up`, which deletes it; CloudTrail (CreateLoginProfile, UpdateLoginProfile) says who set it",
      `  ✗ user ci-deployer still has MFA device ${mfa}, which an incident asks to deactivate → run \`pulumi up\`, which deactivates it`,
      "  ! AWS's quarantine policy AWSCompromisedKeyQuarantineV3 is still attached to user ci-deployer: cordon never detaches it; detach it in IAM once the user is trusted again",
    ]);
  });

  it("judges each user of a two-user incident by its own credentials, not the first user's", async () => {
    // ci-deployer, with what an attacker added, sorts after alice, whose only key is Inactive.
    const { key, second } = await seedAttacker();
    await seed(new CreateUserCommand({ UserName: "alice" }));
    const alices = (
      await seed<{ AccessKey: { AccessKeyId: string } }>(new CreateAccessKeyCommand({ UserName: "alice" }))
    ).AccessKey.AccessKeyId;
    await seed(new UpdateAccessKeyCommand({ UserName: "alice", AccessKeyId: alices, Status: "Inactive" }));
    writeIncident("2026-11-28-two-keys", [
      `cutoff: ${CUTOFF}`,
      "users:",
      "  - name: alice",
      `    accessKeys: [${alices}]`,
      "  - name: ci-deployer",
      `    accessKeys: [${key}]`,
    ]);
    await applyPlan();
    await disable(key);
    const { code, stdout } = await verify();
    expect(code).toBe(1);
    const line = (user: string) => stdout.split("\n").find((text) => text.startsWith(`user ${user} `)) ?? "";
    expect(line("alice")).toContain("every other credential Inactive or kept ✓  console password none ✓");
    expect(line("ci-deployer")).toContain("every other credential Inactive or kept ✗  console password present ✗");
    expect(stdout).toContain(`user ci-deployer has 3 credentials that no incident keeps, still Active: ${second}`);
  });

  it("holds once every credential is Inactive or kept by name, the password deleted and the device deactivated, as pulumi up leaves them", async () => {
    const { key, second, ssh, codecommit, mfa } = await seedAttacker();
    writeIncident("2026-11-28-ci-deploy-key", [
      `cutoff: ${CUTOFF}`,
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${key}]`,
      `    keep: { sshPublicKeys: [${ssh}] }`,
      `    deactivateMfaDevices: ["${mfa}"]`,
      "roles:",
      "  - name: deploy",
    ]);
    await applyPlan();
    await disable(key);
    await seed(new UpdateAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: second, Status: "Inactive" }));
    await seed(
      new UpdateServiceSpecificCredentialCommand({
        UserName: "ci-deployer",
        ServiceSpecificCredentialId: codecommit,
        Status: "Inactive",
      }),
    );
    await seed(new DeleteLoginProfileCommand({ UserName: "ci-deployer" }));
    await seed(new DeactivateMFADeviceCommand({ UserName: "ci-deployer", SerialNumber: mfa }));
    const { code, stdout } = await verify();
    expect(userLine(stdout)).toEqual([
      `user ci-deployer  deny attached ✓  ${key} Inactive ✓  every other credential Inactive or kept ✓  console password none ✓  MFA devices deactivated ✓  token before cutoff: explicit deny ✓  GetSessionToken and GetFederationToken before cutoff: explicit deny ✓  after: allowed ✓`,
    ]);
    expect(code).toBe(0);
    const user = JSON.parse((await verify("--json")).stdout).principals.find(
      (p: { type: string }) => p.type === "user",
    );
    expect(user.checks.find((c: { check: string }) => c.check === "credentials-inactive").message).toBe(
      `every other credential of user ci-deployer is Inactive or kept by name: 2 Inactive or gone, 1 kept by name (${ssh} (SSH public key))`,
    );
  });

  it("a kept console password is the stated state", async () => {
    const { key, second, ssh, codecommit } = await seedAttacker();
    writeIncident("2026-11-28-ci-deploy-key", [
      `cutoff: ${CUTOFF}`,
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${key}]`,
      `    keep: { consolePassword: true, accessKeys: [${second}], sshPublicKeys: [${ssh}], serviceSpecificCredentials: [${codecommit}] }`,
    ]);
    await applyPlan();
    await disable(key);
    const { code, stdout } = await verify();
    expect(stdout.split("\n")[0]).toContain("every other credential Inactive or kept ✓  console password kept ✓");
    expect(code).toBe(0);
  });

  it("tokens from GetSessionToken and GetFederationToken issued before the cutoff: a deny that spares federated sessions is caught", async () => {
    const key = await seedAccount();
    ciIncident(key);
    // A hand-edited deny that spares the sessions of GetFederationToken (aws:PrincipalType FederatedUser).
    await applyPlan({ skip: userPolicy });
    const spared = { ...plannedPolicies().find(userPolicy)!.document };
    spared.Statement = spared.Statement.map((s) => ({
      ...s,
      Condition: { ...s.Condition, StringNotEquals: { "aws:PrincipalType": "FederatedUser" } },
    }));
    const created = await seed<{ Policy: { Arn: string } }>(
      new CreatePolicyCommand({
        PolicyName: "cordon-revoke-sessions-ci-deployer",
        Path: "/cordon/",
        PolicyDocument: JSON.stringify(spared),
      }),
    );
    await seed(new AttachUserPolicyCommand({ UserName: "ci-deployer", PolicyArn: created.Policy.Arn }));
    await disable(key);
    const json = JSON.parse((await verify("--json")).stdout);
    const user = json.principals.find((p: { type: string }) => p.type === "user");
    const result = (check: string) => user.checks.find((c: { check: string }) => c.check === check);
    expect([result("session-token-denied").ok, result("federation-token-denied").ok]).toEqual([true, false]);
    expect(result("federation-token-denied").message).toBe(
      `a GetFederationToken token issued at 2026-11-28T09:59:00Z is not explicitly denied for ${[...SIMULATED_ACTIONS].map((a) => `${a} (allowed)`).join(", ")}`,
    );
    expect(json.ok).toBe(false);
  });
});
