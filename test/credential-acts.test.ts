/**
 * The program's own acts at `pulumi up` (program/credentials.ts): a console password deleted, an
 * MFA device deactivated. Each is tried whatever became of the others, and each failure is said
 * with what it was: a password that cannot be deleted must not leave the attacker's MFA device
 * active. (Against moto: test/credentials-aws.test.ts.)
 */
import { describe, expect, it } from "vitest";
import type { Incident, KeptCredentials } from "../incident/types.ts";
import { credentialPlan, type UserListing } from "../plan/credentials.ts";
import { applyIrreversible, type CredentialIam } from "../program/credentials.ts";

const ACCOUNT = "123456789012";
const ATTACKER = "arn:aws:iam::123456789012:mfa/attacker";
const keep: KeptCredentials = {
  accessKeys: [],
  serviceSpecificCredentials: [],
  sshPublicKeys: [],
  signingCertificates: [],
  consolePassword: false,
};
const incident: Incident = {
  id: "2026-11-28-ci-key",
  file: "incidents/2026-11-28-ci-key.yaml",
  title: "t",
  account: ACCOUNT,
  cutoff: "2026-11-28T10:00:00Z",
  mode: "revoke-older-sessions",
  users: [{ name: "ci-deployer", account: ACCOUNT, accessKeys: [], keep, deactivateMfaDevices: [ATTACKER] }],
  roles: [],
  organization: { scp: false, rcp: false },
  identityCenterUsers: [],
  replacementRoles: [],
};
const listing: UserListing = {
  account: ACCOUNT,
  user: "ci-deployer",
  exists: true,
  credentials: [],
  loginProfile: { createdAt: "2026-11-28T10:06:00Z" },
  mfaDevices: [{ serial: ATTACKER, enabledAt: "2026-11-28T10:05:00Z" }],
  attachedPolicies: [],
};

describe("the program's acts at up", () => {
  const plan = credentialPlan([incident], { listings: [listing] });

  it("a password that cannot be deleted does not keep the MFA device active; the failure is said with what it was", async () => {
    const done: string[] = [];
    const iam: Pick<CredentialIam, "deleteLoginProfile" | "deactivateMfaDevice"> = {
      deleteLoginProfile: async () => {
        throw new Error("AccessDenied: not authorized to perform iam:DeleteLoginProfile");
      },
      deactivateMfaDevice: async (user, serial) => {
        done.push(`${user} ${serial}`);
        return "deactivated";
      },
    };
    expect(await applyIrreversible(plan, iam)).toEqual({
      done: [`deactivated MFA device ${ATTACKER} of user ci-deployer (the file asks it; the device is not deleted)`],
      failed: [
        "could not delete the console password of user ci-deployer: AccessDenied: not authorized to perform iam:DeleteLoginProfile",
      ],
    });
    expect(done).toEqual([`ci-deployer ${ATTACKER}`]);
  });

  it("and the other way round", async () => {
    const iam: Pick<CredentialIam, "deleteLoginProfile" | "deactivateMfaDevice"> = {
      deleteLoginProfile: async () => "deleted",
      deactivateMfaDevice: async () => {
        throw new Error("NoSuchEntity: the device is gone");
      },
    };
    const acts = await applyIrreversible(plan, iam);
    expect(acts.done).toHaveLength(1);
    expect(acts.done[0]).toMatch(/^deleted the console password of user ci-deployer: /);
    expect(acts.failed).toEqual([
      `could not deactivate MFA device ${ATTACKER} of user ci-deployer: NoSuchEntity: the device is gone`,
    ]);
  });
});
