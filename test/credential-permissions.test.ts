/**
 * Issue 20, items 1, 2 and 5: what the deploy policy lets the deployer do to a compromised user's
 * credentials, as iam-simulate decides it. Every kind can be listed and set Inactive, a console
 * password deleted and an MFA device deactivated; no credential can be made, given a new secret or
 * deleted (the password aside); and AWS's quarantine policy can never be detached, whatever else the
 * deployer is granted: reverting an incident leaves it where AWS attached it.
 */
import { describe, expect, it } from "vitest";
import { deployDeclarations, PROGRAM_CREDENTIALS } from "../commands/permissions.ts";
import { credentialReadPermissions, credentialWritePermissions, INACTIVE_ACTION } from "../aws/credentials.ts";
import { deployPolicy, notGranted } from "../permissions/policies.ts";
import { cordonRoleArns } from "../permissions/roles.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { decide } from "./support/iam-evaluator.ts";

const ACCOUNT = "123456789012";
const USER = `arn:aws:iam::${ACCOUNT}:user/ci-deployer`;
const policy = deployPolicy(deployDeclarations, {
  protectedRoleArns: cordonRoleArns(`arn:aws:iam::${ACCOUNT}:role/cordon-deployer`),
}).document as PolicyDocument;
const ADMIN: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
const as = (documents: PolicyDocument[], action: string, resource = USER, context: Record<string, string> = {}) =>
  decide(documents, {
    principal: `arn:aws:sts::${ACCOUNT}:assumed-role/cordon-deployer/ci`,
    action,
    resource,
    account: ACCOUNT,
    context,
  });

describe("the deployer and a compromised user's credentials", () => {
  it("the program's credential reads and acts are declared, and the deploy policy grants them", () => {
    expect(deployDeclarations[PROGRAM_CREDENTIALS]).toEqual([
      ...credentialReadPermissions,
      ...credentialWritePermissions,
    ]);
    expect(
      notGranted(
        [...credentialReadPermissions, ...credentialWritePermissions, ...Object.values(INACTIVE_ACTION)],
        policy,
      ),
    ).toEqual([]);
  });

  it.each([...credentialReadPermissions, ...credentialWritePermissions, ...Object.values(INACTIVE_ACTION)])(
    "may %s on any user",
    async (action) => {
      expect(await as([policy], action)).toBe("Allowed");
    },
  );

  it.each([
    "iam:CreateAccessKey",
    "iam:DeleteAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:DeleteServiceSpecificCredential",
    "iam:UploadSSHPublicKey",
    "iam:DeleteSSHPublicKey",
    "iam:UploadSigningCertificate",
    "iam:DeleteSigningCertificate",
    "iam:EnableMFADevice",
    "iam:DeleteVirtualMFADevice",
  ])("never %s, even beside an administrator's policy", async (action) => {
    const resource = action === "iam:DeleteVirtualMFADevice" ? `arn:aws:iam::${ACCOUNT}:mfa/attacker` : USER;
    expect(await as([policy], action, resource)).toBe("ExplicitlyDenied");
    expect(await as([policy, ADMIN], action, resource)).toBe("ExplicitlyDenied");
  });

  it.each(["AWSCompromisedKeyQuarantine", "AWSCompromisedKeyQuarantineV2", "AWSCompromisedKeyQuarantineV3"])(
    "never detaches AWS's %s, even beside an administrator's policy",
    async (name) => {
      const context = { "iam:PolicyARN": `arn:aws:iam::aws:policy/${name}` };
      for (const [action, resource] of [
        ["iam:DetachUserPolicy", USER],
        ["iam:DetachRolePolicy", `arn:aws:iam::${ACCOUNT}:role/deploy`],
        ["iam:DetachGroupPolicy", `arn:aws:iam::${ACCOUNT}:group/deployers`],
      ]) {
        expect(await as([policy], action, resource, context)).toBe("ExplicitlyDenied");
        expect(await as([policy, ADMIN], action, resource, context)).toBe("ExplicitlyDenied");
      }
    },
  );

  it("still detaches its own deny policy from a user when an incident goes", async () => {
    expect(
      await as([policy], "iam:DetachUserPolicy", USER, {
        "iam:PolicyARN": `arn:aws:iam::${ACCOUNT}:policy/cordon/cordon-revoke-sessions-ci-deployer`,
      }),
    ).toBe("Allowed");
  });
});
