/**
 * Issue 20, item 1: the components that keep a compromised user's other credentials Inactive, on
 * their own under Pulumi's mocks: each imports its credential by the provider's documented id, sets
 * it Inactive, is retained when the incident goes, and ignores exactly the inputs whose change would
 * make the provider replace it (create a new credential): those are ForceNew in
 * terraform-provider-aws (user_ssh_key.go: username, public_key, encoding; signing_certificate.go:
 * certificate_body, user_name; service_specific_credential.go: service_name, user_name, and in the
 * versions with Bedrock keys credential_age_days).
 */
import { describe, expect, it } from "vitest";
import { disabledCredential } from "../components/disabled-credentials.ts";
import { deployPermissions } from "../components/permissions.ts";
import type { DisabledCredentialPlan } from "../plan/credentials.ts";
import { credentialPlan, credentialsToDisable, type CredentialKind } from "../plan/credentials.ts";
import { buildPlan } from "../plan/plan.ts";
import { FakeCloud, declared, resource, runProgram } from "./support/pulumi-mocks.ts";

const ACCOUNT = "123456789012";
const cloud = () => new FakeCloud({ account: ACCOUNT, now: new Date("2026-11-28T12:26:00Z") });
const declare = (body: () => void) => runProgram(async () => body(), { cloud: cloud(), config: {} });

/** ForceNew inputs of each resource type, as the provider's schema marks them. */
const FORCE_NEW: Record<string, string[]> = {
  "aws:iam/sshKey:SshKey": ["encoding", "publicKey", "username"],
  "aws:iam/signingCertificate:SigningCertificate": ["certificateBody", "userName"],
  "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": ["credentialAgeDays", "serviceName", "userName"],
};

/** The credentials of ci-deployer that the plan disables, one of each kind but access keys. */
function others(): DisabledCredentialPlan[] {
  const incident = {
    id: "2026-11-28-ci-key",
    file: "incidents/2026-11-28-ci-key.yaml",
    title: "t",
    account: ACCOUNT,
    cutoff: "2026-11-28T10:00:00Z",
    mode: "revoke-older-sessions" as const,
    users: [{ name: "ci-deployer", account: ACCOUNT, accessKeys: [] }],
    roles: [],
    organization: { scp: false, rcp: false },
    identityCenterUsers: [],
    replacementRoles: [],
  };
  const listed = (kind: CredentialKind, id: string, service?: string) => ({
    kind,
    id,
    status: "Active",
    createdAt: null,
    ...(service ? { service } : {}),
  });
  const credentials = credentialPlan([incident], {
    listings: [
      {
        account: ACCOUNT,
        user: "ci-deployer",
        exists: true,
        credentials: [
          listed("ssh-public-key", "APKAATTACKERSSHKEY01"),
          listed("signing-certificate", "2ci4gwm5u2b0c5grtfvzwj9xhqi3k2vn"),
          listed("service-specific-credential", "ACCABEDROCKAPIKEY0001", "bedrock.amazonaws.com"),
        ],
        loginProfile: null,
        mfaDevices: [],
        attachedPolicies: [],
      },
    ],
  });
  return credentialsToDisable(buildPlan([incident]), credentials).others;
}

describe("one component per credential, imported, Inactive, retained, never replaced", () => {
  it("declares each with its type token, the provider's import id, and status Inactive", async () => {
    const run = await declare(() => others().forEach((credential) => disabledCredential(credential)));
    expect(run.error).toBeUndefined();
    expect(declared(run)).toEqual([
      "aws:iam/serviceSpecificCredential:ServiceSpecificCredential 123456789012-ci-deployer-service-credential-ACCABEDROCKAPIKEY0001",
      "aws:iam/signingCertificate:SigningCertificate 123456789012-ci-deployer-signing-certificate-2ci4gwm5u2b0c5grtfvzwj9xhqi3k2vn",
      "aws:iam/sshKey:SshKey 123456789012-ci-deployer-ssh-key-APKAATTACKERSSHKEY01",
      "cordon:iam:DisabledServiceSpecificCredential 123456789012-ci-deployer-service-credential-ACCABEDROCKAPIKEY0001",
      "cordon:iam:DisabledSigningCertificate 123456789012-ci-deployer-signing-certificate-2ci4gwm5u2b0c5grtfvzwj9xhqi3k2vn",
      "cordon:iam:DisabledSshPublicKey 123456789012-ci-deployer-ssh-key-APKAATTACKERSSHKEY01",
    ]);
    const ssh = resource(run, "aws:iam/sshKey:SshKey", "123456789012-ci-deployer-ssh-key-APKAATTACKERSSHKEY01");
    expect([ssh.importId, ssh.inputs.status, ssh.inputs.username]).toEqual([
      "ci-deployer:APKAATTACKERSSHKEY01:SSH",
      "Inactive",
      "ci-deployer",
    ]);
    const certificate = resource(
      run,
      "aws:iam/signingCertificate:SigningCertificate",
      "123456789012-ci-deployer-signing-certificate-2ci4gwm5u2b0c5grtfvzwj9xhqi3k2vn",
    );
    expect([certificate.importId, certificate.inputs.status, certificate.inputs.userName]).toEqual([
      "2ci4gwm5u2b0c5grtfvzwj9xhqi3k2vn:ci-deployer",
      "Inactive",
      "ci-deployer",
    ]);
    const bedrock = resource(
      run,
      "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
      "123456789012-ci-deployer-service-credential-ACCABEDROCKAPIKEY0001",
    );
    expect([bedrock.importId, bedrock.inputs.status, bedrock.inputs.serviceName, bedrock.inputs.userName]).toEqual([
      "bedrock.amazonaws.com:ci-deployer:ACCABEDROCKAPIKEY0001",
      "Inactive",
      "bedrock.amazonaws.com",
      "ci-deployer",
    ]);
  });

  it("ignores exactly the inputs that would replace the credential, and keeps it when the incident goes", async () => {
    const run = await declare(() => others().forEach((credential) => disabledCredential(credential)));
    for (const [type, forceNew] of Object.entries(FORCE_NEW)) {
      const found = run.resources.filter((r) => r.type === type);
      expect(found).toHaveLength(1);
      expect([...found[0].ignoreChanges].sort()).toEqual(forceNew);
      expect(found[0].retainOnDelete).toBe(true);
    }
  });

  it("exports identifiers and the status only, never a secret", async () => {
    const run = await declare(() => others().forEach((credential) => disabledCredential(credential)));
    const outputs = run.resources
      .filter((r) => r.type.startsWith("cordon:"))
      .map((r) => Object.keys(r.registeredOutputs ?? {}).sort());
    expect(outputs).toEqual([
      ["service", "serviceSpecificCredentialId", "status", "user"],
      ["certificateId", "status", "user"],
      ["sshPublicKeyId", "status", "user"],
    ]);
  });

  it("each declares what its provider calls: read and update, never create, delete or reset", () => {
    for (const type of Object.keys(FORCE_NEW)) {
      const actions = deployPermissions[type];
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => /^iam:(Create|Delete|Upload|Reset|Enable)/.test(action))).toEqual([]);
    }
  });
});
