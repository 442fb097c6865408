/**
 * Issue 20, item 6: deleting a member account's root access keys through centralized root access
 * (aws/root.ts), a separate choice because it cannot be undone. moto has neither sts:AssumeRoot nor
 * a root user with access keys, so both SDK clients are mocked here, and only the calls' shape is
 * checked: AssumeRoot with the one task policy that deletes root credentials, for 15 minutes, then
 * the root session (its own credentials) lists its keys and deletes each. And the organization
 * stack's policy lets it assume root with that task policy only, as iam-simulate decides.
 */
import { DeleteAccessKeyCommand, IAMClient, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { AssumeRootCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it } from "vitest";
import { awsClients } from "../aws/clients.ts";
import { ROOT_TASK_ACTIONS, rootCredentials, rootSessionDenied } from "../aws/root.ts";
import { organizationDeclarations, PROGRAM_ROOT_CREDENTIALS } from "../commands/permissions.ts";
import { organizationPolicy } from "../permissions/policies.ts";
import { DELETE_ROOT_CREDENTIALS_TASK_POLICY } from "../plan/organization.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { decide } from "./support/iam-evaluator.ts";

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
afterAll(() => {
  sts.restore();
  iam.restore();
});

describe("deleting a member account's root access keys", () => {
  it("assumes root with IAMDeleteRootUserCredentials for 15 minutes, then the root session lists and deletes its keys", async () => {
    sts.reset();
    iam.reset();
    sts.on(AssumeRootCommand).resolves({
      Credentials: {
        AccessKeyId: "ASIAROOTSESSION00001",
        SecretAccessKey: "root-session-secret",
        SessionToken: "token",
        Expiration: new Date(),
      },
    });
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: "AKIAROOTKEY000000002", Status: "Active" },
        { AccessKeyId: "AKIAROOTKEY000000001", Status: "Inactive" },
      ],
      IsTruncated: false,
    });
    iam.on(DeleteAccessKeyCommand).resolves({});
    const deleted = await rootCredentials(awsClients({ AWS_REGION: "us-east-1" }), {
      AWS_REGION: "us-east-1",
    }).deleteRootAccessKeys("444455556666");
    expect(deleted).toEqual(["AKIAROOTKEY000000001", "AKIAROOTKEY000000002"]);
    expect(sts.commandCalls(AssumeRootCommand).map((c) => c.args[0].input)).toEqual([
      {
        TargetPrincipal: "444455556666",
        TaskPolicyArn: { arn: DELETE_ROOT_CREDENTIALS_TASK_POLICY },
        DurationSeconds: 900,
      },
    ]);
    expect(iam.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ Marker: undefined }]);
    expect(iam.commandCalls(DeleteAccessKeyCommand).map((c) => c.args[0].input)).toEqual([
      { AccessKeyId: "AKIAROOTKEY000000002" },
      { AccessKeyId: "AKIAROOTKEY000000001" },
    ]);
    // Those calls were the root session's, never the deployer's own.
    for (const call of [...iam.commandCalls(ListAccessKeysCommand), ...iam.commandCalls(DeleteAccessKeyCommand)]) {
      expect((await (call.thisValue as IAMClient).config.credentials()).accessKeyId).toBe("ASIAROOTSESSION00001");
    }
    expect(ROOT_TASK_ACTIONS).toEqual(["iam:DeleteAccessKey", "iam:ListAccessKeys"]);
  });

  it.each([
    ["ListAccessKeys", "iam:ListAccessKeys"],
    ["DeleteAccessKey", "iam:DeleteAccessKey"],
  ])(
    "the root session denied %s (an SCP): said as the SCP's doing, not the deployer's permissions",
    async (call, action) => {
      sts.reset();
      iam.reset();
      sts.on(AssumeRootCommand).resolves({
        Credentials: {
          AccessKeyId: "ASIAROOTSESSION00001",
          SecretAccessKey: "root-session-secret",
          SessionToken: "token",
          Expiration: new Date(),
        },
      });
      const denied = Object.assign(new Error("with an explicit deny in a service control policy"), {
        name: "AccessDenied",
      });
      iam.on(ListAccessKeysCommand).resolves({
        AccessKeyMetadata: [{ AccessKeyId: "AKIAROOTKEY000000001", Status: "Active" }],
        IsTruncated: false,
      });
      iam.on(DeleteAccessKeyCommand).resolves({});
      if (call === "ListAccessKeys") iam.on(ListAccessKeysCommand).rejects(denied);
      else iam.on(DeleteAccessKeyCommand).rejects(denied);
      await expect(
        rootCredentials(awsClients({ AWS_REGION: "us-east-1" }), { AWS_REGION: "us-east-1" }).deleteRootAccessKeys(
          "444455556666",
        ),
      ).rejects.toThrow(
        new Error(
          `access denied to the root session of account 444455556666 (sts:AssumeRoot) calling ${action}: a service control policy denies it. cordon's own spares such sessions (Null aws:AssumedRoot), and this run brings an older one up to date: run pulumi up again; if it is still denied, another SCP denies the root user`,
        ),
      );
      expect(rootSessionDenied("444455556666", action)).toContain(action);
    },
  );

  it("no credentials from AssumeRoot: nothing is deleted, and it says so", async () => {
    sts.reset();
    iam.reset();
    sts.on(AssumeRootCommand).resolves({});
    await expect(
      rootCredentials(awsClients({ AWS_REGION: "us-east-1" })).deleteRootAccessKeys("444455556666"),
    ).rejects.toThrow("sts:AssumeRoot into account 444455556666 gave no credentials");
    expect(iam.calls()).toEqual([]);
  });
});

describe("the organization stack's role may assume root only to delete root credentials", () => {
  const policy = organizationPolicy(organizationDeclarations).document as PolicyDocument;
  // AssumeRoot needs no resource policy in the member account (the organization's trusted access for
  // root access): iam-simulate, which asks one of any other account's resource, is given the
  // caller's own account, so that only the identity policy decides.
  const assume = (taskPolicy: string) =>
    decide([policy], {
      principal: "arn:aws:sts::999999999999:assumed-role/cordon-deployer/ci",
      action: "sts:AssumeRoot",
      resource: "arn:aws:iam::444455556666:root",
      account: "999999999999",
      context: { "sts:TaskPolicyArn": taskPolicy },
    });

  it("declared", () => {
    expect(organizationDeclarations[PROGRAM_ROOT_CREDENTIALS]).toEqual(["sts:AssumeRoot"]);
  });

  it.each([
    [DELETE_ROOT_CREDENTIALS_TASK_POLICY, "Allowed"],
    ["arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword", "ImplicitlyDenied"],
    ["arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy", "ImplicitlyDenied"],
    ["arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials", "ImplicitlyDenied"],
  ])("with %s: %s", async (taskPolicy, decision) => {
    expect(await assume(taskPolicy)).toBe(decision);
  });
});
