/**
 * IAM state that whoever holds a leaked key can make must not stop containment: through the engine
 * stand-in (Pulumi's own cmd/run, each step applied to moto), a compromised user whose managed
 * policy attachments are full, and a role squatting a replacement role's name. The run disables
 * every key, declares every deny it can, says why as an error and fails at its end (exit 1); IAM's
 * own semantics, as iam-simulate judges them, decide what the sessions can do.
 */
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { policySize } from "../plan/policies.ts";
import { beforeEach, describe, expect, it } from "vitest";
import { withheldMessage } from "../program/deploy.ts";
import type { Account } from "./support/aws-accounts.ts";
import { ROOT, engineSuite, runEngine, stackOutputs, stepLines, type EngineRun } from "./support/engine.ts";
import { decide } from "./support/iam-evaluator.ts";
import type { Moto } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const STACK = `prod-${ACCOUNT}`;
const FULL = "2026-11-28-dana-key-in-ticket";
const OTHER = "2026-11-28-erin-key-in-log";

const suite = engineSuite("cordon-engine-room-");
let moto: Moto;
let dir: string;
let account: Account;
beforeEach(async () => {
  ({ moto, account, dir } = await suite.fresh());
});

const incidentsDir = () => join(dir, "incidents");
const state = () => join(dir, "state", `${STACK}.json`);
/** The incident file as the program's messages name it: relative to the project folder. */
const relativeFile = (id: string) => relative(ROOT, join(incidentsDir(), `${id}.yaml`));
function incident(id: string, lines: string[]): void {
  writeFileSync(
    join(incidentsDir(), `${id}.yaml`),
    [`id: ${id}`, "title: t", `account: "${ACCOUNT}"`, "cutoff: at-containment", ...lines, ""].join("\n"),
  );
}
function up(): Promise<EngineRun> {
  return runEngine("up", {
    moto,
    stack: STACK,
    state: state(),
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": incidentsDir() },
    // cordon's policy pack, as the workflows run it: an inline user deny must pass it too.
    policyPacks: ["policy"],
  });
}
async function keyStatus(user: string, id: string): Promise<string | undefined> {
  return (await account.iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata?.find(
    (k) => k.AccessKeyId === id,
  )?.Status;
}
/** What IAM decides for a session of `user` issued `offset` milliseconds from the incident's cutoff. */
async function sessionOf(user: string, cutoff: string, offset: number): Promise<string> {
  const iso = new Date(Date.parse(cutoff) + offset).toISOString().replace(/\.\d{3}Z$/, "Z");
  return decide(await account.policiesOf("user", user), {
    principal: `arn:aws:iam::${ACCOUNT}:user/${user}`,
    action: "s3:GetObject",
    resource: "arn:aws:s3:::data/report.csv",
    account: ACCOUNT,
    context: { "aws:TokenIssueTime": iso, "aws:PrincipalType": "User" },
  });
}
async function cutoffOf(id: string): Promise<string> {
  const outputs = (await stackOutputs({ moto, stack: STACK, state: state() })) as {
    incidents: Record<string, { cutoff: string }>;
  };
  return outputs.incidents[id].cutoff;
}
/** Ten customer managed policies attached to the user: all its managed-policy slots (AttachedPoliciesPerUserQuota). */
async function fillAttachments(user: string): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < 10; i++) {
    const name = `${user}-extra-${i}`;
    const document = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${name}` }],
    };
    const arn = (
      await account.iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(document) }))
    ).Policy!.Arn!;
    await account.iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
    names.push(name);
  }
  return names;
}

/** An inline policy of about `size` characters as IAM counts them (no white space), under the user's quota. */
function fillerDocument(size: number): string {
  const resources: string[] = [];
  const text = () =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: resources }],
    });
  do resources.push(`arn:aws:s3:::bucket-${String(resources.length).padStart(6, "0")}/*`);
  while (policySize(text()) < size - 40);
  return text();
}
/** The inline policy `work` every seeded user has (test/support/aws-accounts.ts). */
async function workPolicy(user: string): Promise<unknown> {
  const found = await account.iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: "work" }));
  return JSON.parse(decodeURIComponent(found.PolicyDocument!));
}

describe("a compromised user whose managed-policy attachments are full", () => {
  it("gets its deny as an inline policy: an older session is denied, a newer one not, and the run succeeds", async () => {
    const dana = (await account.user("dana", { key: true }))!;
    // Nine of the user's own, and AWS's quarantine policy would be the tenth: the leaked key's holder needs none.
    await fillAttachments("dana");
    incident(FULL, ["users:", "  - name: dana", `    accessKeys: [${dana}]`]);

    const run = await up();
    expect([run.status, run.errors]).toEqual([0, []]);
    expect(await keyStatus("dana", dana)).toBe("Inactive");
    expect(stepLines(run).filter((line) => line.includes("user-dana"))).toEqual([
      `create cordon:iam:SessionRevocation ${ACCOUNT}-user-dana`,
      `create aws:iam/userPolicy:UserPolicy ${ACCOUNT}-user-dana`,
    ]);
    const cutoff = await cutoffOf(FULL);
    expect(await sessionOf("dana", cutoff, -60_000)).toBe("ExplicitlyDenied");
    expect(await sessionOf("dana", cutoff, 60_000)).toBe("Allowed");
  });

  it("without inline room either, has its key disabled, the other incident's deny applied, and the run fails saying why", async () => {
    const dana = (await account.user("dana", { key: true }))!;
    const erin = (await account.user("erin", { key: true }))!;
    // What the leaked key may do to its own user: fill its attachments and its inline room before cordon's run.
    const filled = await fillAttachments("dana");
    const inline = fillerDocument(1_900);
    await account.iam.send(
      new PutUserPolicyCommand({ UserName: "dana", PolicyName: "filler", PolicyDocument: inline }),
    );
    const used = policySize(inline) + policySize(JSON.stringify(await workPolicy("dana")));
    incident(FULL, ["users:", "  - name: dana", `    accessKeys: [${dana}]`]);
    incident(OTHER, ["users:", "  - name: erin", `    accessKeys: [${erin}]`]);

    const run = await up();
    expect(run.status).toBe(1);
    expect(await keyStatus("dana", dana)).toBe("Inactive");
    expect(await keyStatus("erin", erin)).toBe("Inactive");
    expect(run.errors).toEqual([
      [
        "cordon cannot declare the deny policy of 1 principal as planned: no room for it, so pulumi up would fail (LimitExceeded); everything else is declared, and this update fails at its end:",
        `${relativeFile(FULL)}: user dana (incident ${FULL}): no room for cordon's deny policy: 10 of 10 managed policies are attached to it (AttachedPoliciesPerUserQuota), and its other inline policies use ${used} of 2048 characters (UserPolicySizeQuota; cordon's needs 236): its sessions are not denied; detach one (${filled.join(", ")}) or delete an inline policy of user dana, or have a quota raised (Service Quotas), then run again`,
      ].join("\n"),
      withheldMessage(1, 0),
    ]);
    expect(stepLines(run).filter((line) => line.includes("failed") || line.includes("user-dana"))).toEqual([]);

    // erin's incident is contained: a session from before its cutoff is denied, one after is not.
    const cutoff = await cutoffOf(OTHER);
    expect(await sessionOf("erin", cutoff, -60_000)).toBe("ExplicitlyDenied");
    expect(await sessionOf("erin", cutoff, 60_000)).toBe("Allowed");
  });
});

describe("a role squatting a replacement role's name", () => {
  it("is left as it is, the incident's key disabled and its deny applied, and the run fails saying why", async () => {
    const dana = (await account.user("dana", { key: true }))!;
    // What the leaked key may do before the pull request that adds the replacement role merges.
    const trust = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::210987654321:root" }, Action: "sts:AssumeRole" }],
    };
    await account.iam.send(
      new CreateRoleCommand({ RoleName: "ci-oidc", AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    incident(FULL, [
      "users:",
      "  - name: dana",
      `    accessKeys: [${dana}]`,
      "replacementRoles:",
      "  - name: ci-oidc",
      "    trust: { service: ec2.amazonaws.com }",
    ]);

    const run = await up();
    expect(run.status).toBe(1);
    expect(await keyStatus("dana", dana)).toBe("Inactive");
    expect(run.errors).toEqual([
      [
        "cordon does not declare 1 replacement role: IAM already has a role of that name, so CreateRole would fail; everything else is declared, and this update fails at its end:",
        `${relativeFile(FULL)}: replacement role ci-oidc (incident ${FULL}): IAM already has a role ci-oidc (path /) that is not this incident's (tag cordon:incident: none), so CreateRole would fail (EntityAlreadyExists); give the replacement role a name IAM does not have yet, or, to keep using the existing role, remove it from replacementRoles`,
      ].join("\n"),
      withheldMessage(0, 1),
    ]);
    expect(stepLines(run).filter((line) => line.includes("ci-oidc") || line.includes("failed"))).toEqual([]);
    const squatter = (await account.iam.send(new GetRoleCommand({ RoleName: "ci-oidc" }))).Role!;
    expect([squatter.Path, squatter.Tags ?? []]).toEqual(["/", []]);

    const cutoff = await cutoffOf(FULL);
    expect(await sessionOf("dana", cutoff, -60_000)).toBe("ExplicitlyDenied");
  });
});
