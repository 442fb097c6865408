/**
 * A policy created beforehand under the name of cordon's managed deny (`/cordon/cordon-revoke-sessions-<user>`,
 * a name anyone can work out) must not block containment, and must never be taken for cordon's:
 * through the engine stand-in (Pulumi's own cmd/run, each step applied to moto), the program reads
 * the policy's id in IAM and what this stack's state records there, puts the deny inline instead,
 * says so, and never deletes the impostor. IAM's own semantics, as iam-simulate judges them, decide
 * what the sessions can do.
 */
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { beforeEach, describe, expect, it } from "vitest";
import { withheldMessage } from "../program/deploy.ts";
import type { Account } from "./support/aws-accounts.ts";
import { ROOT, engineSuite, runEngine, stackOutputs, stepLines, type EngineRun } from "./support/engine.ts";
import { decide } from "./support/iam-evaluator.ts";
import type { Moto } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const STACK = `prod-${ACCOUNT}`;
const ID = "2026-11-28-dana-key-in-ticket";
const USER_ARN = `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-dana`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-role-sessions-deploy`;
/** What whoever made it put there: not a deny, and it could have been anything. */
const IMPOSTOR_DOCUMENT = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::data" }],
});

const suite = engineSuite("cordon-engine-impostor-");
let moto: Moto;
let dir: string;
let account: Account;
beforeEach(async () => {
  ({ moto, account, dir } = await suite.fresh());
});

const incidentsDir = () => join(dir, "incidents");
const state = () => join(dir, "state", `${STACK}.json`);
/** The incident file as the program's messages name it: relative to the project folder. */
const file = () => relative(ROOT, join(incidentsDir(), `${ID}.yaml`));
function incident(lines: string[]): void {
  writeFileSync(
    join(incidentsDir(), `${ID}.yaml`),
    [`id: ${ID}`, "title: t", `account: "${ACCOUNT}"`, "cutoff: at-containment", ...lines, ""].join("\n"),
  );
}
/** `refresh`: as the workflows run it, `pulumi up --refresh`. */
function up(options: { refresh?: boolean } = {}): Promise<EngineRun> {
  return runEngine("up", {
    moto,
    stack: STACK,
    state: state(),
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": incidentsDir() },
    policyPacks: ["policy"],
    refresh: options.refresh === true,
  });
}
async function outputs(): Promise<{
  incidents: Record<string, { cutoff: string }>;
  usersWithInlineDeny?: string[];
  rolesWithManagedDeny: string[];
  denyImpostors?: unknown[];
}> {
  return (await stackOutputs({ moto, stack: STACK, state: state() })) as never;
}
/** The impostor, made with the SDK as whoever held the key would: path `/cordon/`, cordon's name. */
async function impostor(name: string): Promise<string> {
  const created = await account.iam.send(
    new CreatePolicyCommand({ PolicyName: name, Path: "/cordon/", PolicyDocument: IMPOSTOR_DOCUMENT }),
  );
  return created.Policy!.PolicyId!;
}
async function policyId(arn: string): Promise<string | undefined> {
  return (await account.iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.PolicyId;
}
/** The document of the policy's default version, as IAM has it now. */
async function documentOf(arn: string): Promise<unknown> {
  const policy = (await account.iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!;
  const version = await account.iam.send(
    new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.DefaultVersionId }),
  );
  return JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!));
}
/** What IAM decides for a session of the principal issued `offset` milliseconds from the cutoff. */
async function sessionOf(type: "user" | "role", name: string, cutoff: string, offset: number): Promise<string> {
  const iso = new Date(Date.parse(cutoff) + offset).toISOString().replace(/\.\d{3}Z$/, "Z");
  return decide(await account.policiesOf(type, name), {
    principal: `arn:aws:iam::${ACCOUNT}:${type}/${name}`,
    action: "s3:GetObject",
    resource: "arn:aws:s3:::data/report.csv",
    account: ACCOUNT,
    context: { "aws:TokenIssueTime": iso, "aws:PrincipalType": type === "user" ? "User" : "AssumedRole" },
  });
}
async function userPolicies(user: string): Promise<{ attached: string[]; inline: string[] }> {
  const attached = (await account.iam.send(new ListAttachedUserPoliciesCommand({ UserName: user }))).AttachedPolicies;
  const inline = (await account.iam.send(new ListUserPoliciesCommand({ UserName: user }))).PolicyNames;
  return { attached: (attached ?? []).map((p) => p.PolicyArn!).sort(), inline: (inline ?? []).sort() };
}
const warningFor = (run: EngineRun, arn: string) => run.warnings.filter((w) => w.includes(`IAM has a policy ${arn}`));

describe("a policy made beforehand under the name of a user's managed deny", () => {
  it("is left as it is, and the user's deny goes inline: an older session is denied, the run succeeds and says so", async () => {
    const dana = (await account.user("dana", { key: true }))!;
    const id = await impostor("cordon-revoke-sessions-dana");
    // Attached to the user too, as if it were cordon's deny.
    await account.iam.send(new AttachUserPolicyCommand({ UserName: "dana", PolicyArn: USER_ARN }));
    incident(["users:", "  - name: dana", `    accessKeys: [${dana}]`]);

    const run = await up();
    expect([run.status, run.errors]).toEqual([0, []]);
    const keys = (await account.iam.send(new ListAccessKeysCommand({ UserName: "dana" }))).AccessKeyMetadata ?? [];
    expect(keys.map((k) => k.Status)).toEqual(["Inactive"]);
    expect(stepLines(run).filter((line) => line.includes("user-dana"))).toEqual([
      `create cordon:iam:SessionRevocation ${ACCOUNT}-user-dana`,
      `create aws:iam/userPolicy:UserPolicy ${ACCOUNT}-user-dana`,
    ]);
    expect(warningFor(run, USER_ARN)).toEqual([
      `${file()}: user dana (incident ${ID}): IAM has a policy ${USER_ARN} (id ${id}) that this stack did not create: this stack's state records no policy there: it was made beforehand, under a name anyone can work out. cordon trusts no policy by its name and never deletes one it did not create: its deny is the inline policy cordon-revoke-sessions instead, where it fits. Whoever made it can write IAM: read it and what it is attached to (aws iam get-policy --policy-arn ${USER_ARN}; aws iam list-entities-for-policy --policy-arn ${USER_ARN}), then delete it yourself once nothing needs it`,
    ]);
    expect(run.infos).toContain(
      `user dana (incident ${ID}): its deny is the inline policy cordon-revoke-sessions instead of the managed policy /cordon/cordon-revoke-sessions-dana: IAM has a policy at the managed deny's name that this stack did not create (id ${id}), so creating the managed one would fail (EntityAlreadyExists)`,
    );
    // Never deleted, never detached, never changed: not cordon's.
    expect(await policyId(USER_ARN)).toBe(id);
    expect(await userPolicies("dana")).toEqual({ attached: [USER_ARN], inline: ["cordon-revoke-sessions", "work"] });

    const recorded = await outputs();
    expect(recorded.usersWithInlineDeny).toEqual(["dana"]);
    expect(recorded.denyImpostors).toEqual([
      { type: "user", name: "dana", account: ACCOUNT, policyArn: USER_ARN, policyId: id, recordedPolicyId: null },
    ]);
    const cutoff = recorded.incidents[ID].cutoff;
    expect(await sessionOf("user", "dana", cutoff, -60_000)).toBe("ExplicitlyDenied");
    expect(await sessionOf("user", "dana", cutoff, 60_000)).toBe("Allowed");

    // The next run changes nothing: the deny stays inline, the impostor stays, and is said again.
    const again = await up();
    expect([again.status, again.errors]).toEqual([0, []]);
    expect(stepLines(again).filter((line) => !line.startsWith("same"))).toEqual([]);
    expect(warningFor(again, USER_ARN)).toHaveLength(1);
    expect(await policyId(USER_ARN)).toBe(id);
  });

  it("is not taken for cordon's when cordon's own was deleted and another made in its place: the run fails, deleting nothing", async () => {
    const dana = (await account.user("dana", { key: true }))!;
    incident(["users:", "  - name: dana", `    accessKeys: [${dana}]`]);
    const first = await up();
    expect([first.status, first.errors]).toEqual([0, []]);
    const own = (await policyId(USER_ARN))!;
    // cordon's own run after run: its id is in the stack's state, so nothing is said of it.
    const second = await up();
    expect([second.status, second.errors, warningFor(second, USER_ARN)]).toEqual([0, [], []]);
    expect(await userPolicies("dana")).toEqual({ attached: [USER_ARN], inline: ["work"] });

    await account.iam.send(new DetachUserPolicyCommand({ UserName: "dana", PolicyArn: USER_ARN }));
    await account.iam.send(new DeletePolicyCommand({ PolicyArn: USER_ARN }));
    const id = await impostor("cordon-revoke-sessions-dana");

    const run = await up();
    expect(run.status).toBe(1);
    expect(run.errors).toEqual([
      [
        "cordon's managed deny of 1 principal was replaced by a policy this stack did not create: the deny is declared inline instead, and this update fails at its end, so that the engine deletes nothing:",
        `${file()}: user dana (incident ${ID}): the policy at ${USER_ARN} is not the one this stack created (id ${id}, created as ${own}), and the engine would delete it as cordon's: read it, and delete it yourself once nothing needs it (or, to keep it, forget cordon's record of it: pulumi state delete), then run again`,
      ].join("\n"),
      withheldMessage(1, 0),
    ]);
    expect(warningFor(run, USER_ARN)[0]).toContain(
      `this stack's state records cordon's own policy there with id ${own}: it was deleted, and another made under its name`,
    );
    expect(await policyId(USER_ARN)).toBe(id);
    expect((await userPolicies("dana")).inline).toContain("cordon-revoke-sessions");
    const cutoff = (await outputs()).incidents[ID].cutoff;
    expect(await sessionOf("user", "dana", cutoff, -60_000)).toBe("ExplicitlyDenied");
  });
});

describe("a policy made beforehand under the name of a role's managed deny", () => {
  it("attached to the role, does not make it cordon's: the role's deny stays inline, and the impostor as it is", async () => {
    const dana = (await account.user("dana", { key: true }))!;
    await account.role("deploy");
    const id = await impostor("cordon-revoke-role-sessions-deploy");
    await account.iam.send(new AttachRolePolicyCommand({ RoleName: "deploy", PolicyArn: ROLE_ARN }));
    incident(["users:", "  - name: dana", `    accessKeys: [${dana}]`, "roles:", "  - name: deploy"]);

    const run = await up();
    expect([run.status, run.errors]).toEqual([0, []]);
    expect(stepLines(run).filter((line) => line.includes("role-deploy"))).toEqual([
      `create cordon:iam:SessionRevocation ${ACCOUNT}-role-deploy`,
      `create aws:iam/rolePolicy:RolePolicy ${ACCOUNT}-role-deploy`,
    ]);
    expect(warningFor(run, ROLE_ARN)).toHaveLength(1);
    expect(warningFor(run, ROLE_ARN)[0]).toContain("its deny stays the inline policy cordon-revoke-sessions");
    expect(await policyId(ROLE_ARN)).toBe(id);
    const attached = (await account.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "deploy" })))
      .AttachedPolicies;
    expect((attached ?? []).map((p) => p.PolicyArn)).toEqual([ROLE_ARN]);
    const inline = (await account.iam.send(new ListRolePoliciesCommand({ RoleName: "deploy" }))).PolicyNames;
    expect(inline).toContain("cordon-revoke-sessions");

    const recorded = await outputs();
    expect(recorded.rolesWithManagedDeny).toEqual([]);
    expect(recorded.denyImpostors).toEqual([
      { type: "role", name: "deploy", account: ACCOUNT, policyArn: ROLE_ARN, policyId: id, recordedPolicyId: null },
    ]);
    const cutoff = recorded.incidents[ID].cutoff;
    expect(await sessionOf("role", "deploy", cutoff, -60_000)).toBe("ExplicitlyDenied");
    // The role allows nothing of its own: a newer session is not denied by cordon, only not allowed.
    expect(await sessionOf("role", "deploy", cutoff, 60_000)).toBe("ImplicitlyDenied");
  });
});

/**
 * The workflows run `pulumi up --refresh`: the refresh reads whatever IAM has at the ARN of cordon's
 * managed policy into the state, a failed run's included, so from the second run on the state
 * records the impostor's id there. The outputs' `denyImpostors` keep it from being taken for
 * cordon's: every run declares the deny inline and fails, deleting and changing nothing, until
 * someone deletes the impostor.
 */
describe("with --refresh, as the workflows run pulumi up, cordon's own deleted and another made in its place", () => {
  const foreignError = (who: string, arn: string, which: string) =>
    [
      "cordon's managed deny of 1 principal was replaced by a policy this stack did not create: the deny is declared inline instead, and this update fails at its end, so that the engine deletes nothing:",
      `${file()}: ${who} (incident ${ID}): the policy at ${arn} is not the one this stack created ${which}, and the engine would delete it as cordon's: read it, and delete it yourself once nothing needs it (or, to keep it, forget cordon's record of it: pulumi state delete), then run again`,
    ].join("\n");

  it("a user's: never deleted, detached nor changed run after run; once a human deletes it, the deny stays inline", async () => {
    const dana = (await account.user("dana", { key: true }))!;
    incident(["users:", "  - name: dana", `    accessKeys: [${dana}]`]);
    const first = await up({ refresh: true });
    expect([first.status, first.errors]).toEqual([0, []]);
    const own = (await policyId(USER_ARN))!;

    await account.iam.send(new DetachUserPolicyCommand({ UserName: "dana", PolicyArn: USER_ARN }));
    await account.iam.send(new DeletePolicyCommand({ PolicyArn: USER_ARN }));
    const id = await impostor("cordon-revoke-sessions-dana");
    await account.iam.send(new AttachUserPolicyCommand({ UserName: "dana", PolicyArn: USER_ARN }));

    const which = [
      `(id ${id}, created as ${own})`,
      `(id ${id}, listed as an impostor by an earlier run and read into this stack's state by a refresh)`,
      `(id ${id}, listed as an impostor by an earlier run and read into this stack's state by a refresh)`,
    ];
    for (const [i, expected] of which.entries()) {
      const run = await up({ refresh: true });
      expect([i, run.status, run.errors]).toEqual([
        i,
        1,
        [foreignError("user dana", USER_ARN, expected), withheldMessage(1, 0)],
      ]);
      expect(warningFor(run, USER_ARN)[0]).toContain(
        i === 0
          ? `this stack's state records cordon's own policy there with id ${own}: it was deleted, and another made under its name`
          : "an earlier run found it there and listed it as an impostor (denyImpostors); a refresh has since read it into this stack's state, which does not make it cordon's",
      );
      expect(await policyId(USER_ARN)).toBe(id);
      expect(await documentOf(USER_ARN)).toEqual(JSON.parse(IMPOSTOR_DOCUMENT));
      expect(await userPolicies("dana")).toEqual({ attached: [USER_ARN], inline: ["cordon-revoke-sessions", "work"] });
      const recorded = await outputs();
      expect(recorded.denyImpostors).toEqual([
        {
          type: "user",
          name: "dana",
          account: ACCOUNT,
          policyArn: USER_ARN,
          policyId: id,
          recordedPolicyId: i === 0 ? own : id,
        },
      ]);
      expect(await sessionOf("user", "dana", recorded.incidents[ID].cutoff, -60_000)).toBe("ExplicitlyDenied");
    }

    // Deleted by a human: the refresh drops it from the state, and the user keeps its inline deny.
    await account.iam.send(new DetachUserPolicyCommand({ UserName: "dana", PolicyArn: USER_ARN }));
    await account.iam.send(new DeletePolicyCommand({ PolicyArn: USER_ARN }));
    const after = await up({ refresh: true });
    expect([after.status, after.errors]).toEqual([0, []]);
    expect(await userPolicies("dana")).toEqual({ attached: [], inline: ["cordon-revoke-sessions", "work"] });
    const recorded = await outputs();
    expect([recorded.usersWithInlineDeny, recorded.denyImpostors]).toEqual([["dana"], undefined]);
    expect(await sessionOf("user", "dana", recorded.incidents[ID].cutoff, -60_000)).toBe("ExplicitlyDenied");
  });

  it("a role's, attached in its place: its document is never overwritten nor the policy deleted; the deny stays inline", async () => {
    const dana = (await account.user("dana", { key: true }))!;
    await account.role("deploy");
    // Inline policies that leave no room for cordon's inline deny: the role gets the managed one.
    const bulk = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: Array.from({ length: 350 }, (_, i) => `arn:aws:s3:::bucket-${String(i).padStart(4, "0")}/*`),
        },
      ],
    });
    await account.iam.send(new PutRolePolicyCommand({ RoleName: "deploy", PolicyName: "bulk", PolicyDocument: bulk }));
    incident(["users:", "  - name: dana", `    accessKeys: [${dana}]`, "roles:", "  - name: deploy"]);
    const first = await up({ refresh: true });
    expect([first.status, first.errors]).toEqual([0, []]);
    expect((await outputs()).rolesWithManagedDeny).toEqual(["deploy"]);
    const own = (await policyId(ROLE_ARN))!;

    await account.iam.send(new DetachRolePolicyCommand({ RoleName: "deploy", PolicyArn: ROLE_ARN }));
    await account.iam.send(new DeletePolicyCommand({ PolicyArn: ROLE_ARN }));
    const id = await impostor("cordon-revoke-role-sessions-deploy");
    await account.iam.send(new AttachRolePolicyCommand({ RoleName: "deploy", PolicyArn: ROLE_ARN }));
    // Room for the inline deny now, so that the role's sessions stay denied while the runs fail.
    await account.iam.send(new DeleteRolePolicyCommand({ RoleName: "deploy", PolicyName: "bulk" }));

    const rolePolicies = async () => ({
      attached: (
        (await account.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "deploy" }))).AttachedPolicies ?? []
      ).map((p) => p.PolicyArn),
      inline: (await account.iam.send(new ListRolePoliciesCommand({ RoleName: "deploy" }))).PolicyNames,
    });
    for (const i of [0, 1, 2]) {
      const run = await up({ refresh: true });
      const which =
        i === 0
          ? `(id ${id}, created as ${own})`
          : `(id ${id}, listed as an impostor by an earlier run and read into this stack's state by a refresh)`;
      expect([i, run.status, run.errors]).toEqual([
        i,
        1,
        [foreignError("role deploy", ROLE_ARN, which), withheldMessage(1, 0)],
      ]);
      expect(await policyId(ROLE_ARN)).toBe(id);
      expect(await documentOf(ROLE_ARN)).toEqual(JSON.parse(IMPOSTOR_DOCUMENT));
      expect(await rolePolicies()).toEqual({ attached: [ROLE_ARN], inline: ["cordon-revoke-sessions"] });
      const recorded = await outputs();
      expect([recorded.rolesWithManagedDeny, recorded.denyImpostors]).toEqual([
        [],
        [
          {
            type: "role",
            name: "deploy",
            account: ACCOUNT,
            policyArn: ROLE_ARN,
            policyId: id,
            recordedPolicyId: i === 0 ? own : id,
          },
        ],
      ]);
      expect(await sessionOf("role", "deploy", recorded.incidents[ID].cutoff, -60_000)).toBe("ExplicitlyDenied");
    }

    // Deleted by a human: the role keeps its inline deny, which fits.
    await account.iam.send(new DetachRolePolicyCommand({ RoleName: "deploy", PolicyArn: ROLE_ARN }));
    await account.iam.send(new DeletePolicyCommand({ PolicyArn: ROLE_ARN }));
    const after = await up({ refresh: true });
    expect([after.status, after.errors]).toEqual([0, []]);
    expect(await rolePolicies()).toEqual({ attached: [], inline: ["cordon-revoke-sessions"] });
    expect((await outputs()).denyImpostors).toBeUndefined();
  });
});
