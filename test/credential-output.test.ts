/**
 * Issue 20, items 1, 2 and 5: `plan` and `status` show each credential of a compromised user and
 * its fate. Offline, `plan` says what `pulumi up` will list and do (the console password's deletion
 * said before anything is applied); with the stack outputs, what the last run found and did. The
 * outputs' `credentials` are additive (older outputs have none) and read back with care: a file on
 * the command line is input like any other.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { usageOutput } from "./support/usage.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { loadIncidents } from "../incident/load.ts";
import { credentialPlan, type ListedCredential, type UserListing } from "../plan/credentials.ts";
import { credentialsOutput, listingsFromStackOutputs } from "../plan/outputs.ts";
import { PLAN_JSON_FIELDS } from "./support/plan-json.ts";

const ACCOUNT = "123456789012";
const NOW = "2026-11-28T12:00:00Z";
const EXPOSED = "AKIAEXPOSEDKEY000001";
const SECOND = "AKIASECONDKEY0000002";
const SSH = "APKAATTACKERSSHKEY01";
const CODECOMMIT = "ACCACODECOMMITCRED001";
const ATTACKER_MFA = `arn:aws:iam::${ACCOUNT}:mfa/attacker`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const INCIDENT = [
  "id: 2026-11-28-ci-key",
  "title: CI key in a public repository",
  `account: "${ACCOUNT}"`,
  "cutoff: 2026-11-28T10:00:00Z",
  "users:",
  "  - name: ci-deployer",
  `    accessKeys: [${EXPOSED}]`,
  "    keep:",
  `      serviceSpecificCredentials: [${CODECOMMIT}]`,
  "      consolePassword: false",
  `    deactivateMfaDevices: ["${ATTACKER_MFA}"]`,
  "",
].join("\n");

function workspace(outputs?: unknown): { dir: string; outputs?: string } {
  const dir = mkdtempSync(join(tmpdir(), "cordon-credentials-"));
  dirs.push(dir);
  writeFileSync(join(dir, "2026-11-28-ci-key.yaml"), INCIDENT);
  if (outputs === undefined) return { dir };
  const file = join(dir, "outputs.json");
  writeFileSync(file, typeof outputs === "string" ? outputs : JSON.stringify(outputs));
  return { dir, outputs: file };
}

async function cordon(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const credential = (
  kind: ListedCredential["kind"],
  id: string,
  status = "Active",
  service?: string,
): ListedCredential => ({ kind, id, status, createdAt: "2026-11-28T02:05:00Z", ...(service ? { service } : {}) });
const LISTING: UserListing = {
  account: ACCOUNT,
  user: "ci-deployer",
  exists: true,
  credentials: [
    credential("access-key", EXPOSED),
    credential("access-key", SECOND, "Inactive"),
    credential("ssh-public-key", SSH),
    credential("service-specific-credential", CODECOMMIT, "Active", "codecommit.amazonaws.com"),
  ],
  loginProfile: { createdAt: "2026-11-28T02:06:00Z" },
  mfaDevices: [
    { serial: ATTACKER_MFA, enabledAt: "2026-11-28T02:07:00Z" },
    { serial: `arn:aws:iam::${ACCOUNT}:mfa/new`, enabledAt: "2026-11-28T10:30:00Z" },
  ],
  attachedPolicies: ["AWSCompromisedKeyQuarantineV3", "ReadOnlyAccess"],
};

/** The stack outputs a run leaves: what it listed, and what it made of each credential. */
function outputsOfARun() {
  const incidents = loadIncidents([{ path: "incidents/2026-11-28-ci-key.yaml", text: INCIDENT }], {
    now: new Date(NOW),
  }).incidents;
  return {
    account: ACCOUNT,
    incidents: {
      "2026-11-28-ci-key": {
        cutoff: "2026-11-28T10:00:00Z",
        atContainment: false,
        expiresAt: "2026-11-29T22:00:00Z",
        mode: "revoke-older-sessions",
        principals: [{ type: "user", name: "ci-deployer" }],
        accessKeys: [EXPOSED],
        goneAccessKeys: [],
      },
    },
    replacementRoles: [],
    rolesWithManagedDeny: [],
    credentials: credentialsOutput(credentialPlan(incidents, { listings: [LISTING] })),
  };
}

const section = (text: string) =>
  text.slice(
    text.indexOf("credentials of compromised users"),
    text.indexOf("\n\n", text.indexOf("credentials of compromised users")) + 1,
  );

describe("plan", () => {
  it("offline: what pulumi up will list and do, the console password's deletion said before anything is applied", async () => {
    const { dir } = workspace();
    const result = await cordon("plan", dir, "--now", NOW);
    expect(result.code).toBe(0);
    expect(section(result.stdout)).toBe(
      [
        "credentials of compromised users: 1 user (IAM lists them at pulumi up: access keys, service-specific credentials, SSH public keys, signing certificates; every one not kept is set Inactive, never deleted, never re-enabled)",
        "  user ci-deployer  2026-11-28-ci-key",
        `    keeps: service-specific credential ${CODECOMMIT}`,
        `    ${EXPOSED}   access key, exposed  -> Inactive unless IAM no longer lists it`,
        `    ${CODECOMMIT}  service-specific credential  kept (keep:)`,
        "    console password: deleted at pulumi up if there is one (cannot be undone)",
        `    MFA device ${ATTACKER_MFA}: deactivated at pulumi up if the user still has it (deactivateMfaDevices)`,
        "  AWS cannot disable a console password, only delete it: deleted, it is lost (to restore console access, set a new one: aws iam create-login-profile --password-reset-required); keep: consolePassword: true keeps it",
        "",
      ].join("\n"),
    );
  });

  it("with the stack outputs: each credential as the last run found it; what it disabled is Inactive now, what it deleted is gone", async () => {
    const { dir, outputs } = workspace(outputsOfARun());
    const result = await cordon("plan", dir, "--now", NOW, "--stack-outputs", outputs!);
    expect(result.code).toBe(0);
    expect(section(result.stdout)).toBe(
      [
        "credentials of compromised users: 1 user (as IAM listed them at the last pulumi up; every one not kept is set Inactive, never deleted, never re-enabled)",
        "  user ci-deployer  2026-11-28-ci-key",
        `    keeps: service-specific credential ${CODECOMMIT}`,
        `    ${EXPOSED}   access key, exposed  Inactive, kept so`,
        `    ${SECOND}   access key  Inactive, kept so`,
        `    ${CODECOMMIT}  service-specific credential (codecommit.amazonaws.com)  kept (keep:)`,
        `    ${SSH}   SSH public key  Inactive, kept so`,
        "    console password: none",
        `    MFA device ${ATTACKER_MFA}: asked to deactivate, but IAM no longer lists it for the user`,
        `    MFA device arn:aws:iam::${ACCOUNT}:mfa/new: enabled 2026-11-28T10:30:00Z, after the cutoff: who enabled it held a credential then; name it under deactivateMfaDevices to deactivate it`,
        "    quarantined by AWS: AWSCompromisedKeyQuarantineV3 is attached (cordon never detaches it)",
        "",
      ].join("\n"),
    );
  });

  it("--json adds credentials and rootUsers, and keeps every field it had", async () => {
    const { dir } = workspace();
    const json = JSON.parse((await cordon("plan", dir, "--now", NOW, "--json")).stdout);
    expect(Object.keys(json).sort()).toEqual(PLAN_JSON_FIELDS);
    expect(json.credentials.users[0]).toMatchObject({
      user: "ci-deployer",
      listed: false,
      consolePassword: { fate: "delete-if-present" },
    });
    expect(json.rootUsers).toEqual([]);
  });
});

describe("status", () => {
  it("says per user what the last run made of each credential, and that AWS's quarantine policy is still attached", async () => {
    const { dir, outputs } = workspace(outputsOfARun());
    const result = await cordon("status", dir, "--now", NOW, "--stack-outputs", outputs!);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n").filter((line) => line.startsWith("user "))).toEqual([
      `user ci-deployer (${ACCOUNT}): Inactive: ${EXPOSED} (access key), ${SECOND} (access key), ${SSH} (SSH public key); kept: ${CODECOMMIT} (service-specific credential); console password deleted; MFA device ${ATTACKER_MFA} deactivated; MFA device arn:aws:iam::${ACCOUNT}:mfa/new enabled after the cutoff (left as it is)`,
      `user ci-deployer (${ACCOUNT}): AWS's quarantine policy AWSCompromisedKeyQuarantineV3 is still attached: cordon never detaches it; detach it in IAM once the user is trusted again`,
    ]);
    const json = JSON.parse((await cordon("status", dir, "--now", NOW, "--stack-outputs", outputs!, "--json")).stdout);
    expect(json.credentials).toEqual(outputsOfARun().credentials);
  });

  it("outputs of an older program have no credentials: nothing is said, nothing fails", async () => {
    const { credentials: _, ...older } = outputsOfARun();
    const { dir, outputs } = workspace(older);
    const result = await cordon("status", dir, "--now", NOW, "--stack-outputs", outputs!);
    expect([result.code, result.stdout.includes("user ci-deployer")]).toEqual([0, false]);
  });

  it.each([
    [{ credentials: "all of them" }, "credentials: expected a list of users"],
    [{ credentials: [{ account: "1", user: "x" }] }, "credentials[0]: expected { account, user, ... }"],
    [
      {
        credentials: [
          {
            account: ACCOUNT,
            user: "x",
            incidents: [],
            quarantinePolicies: [],
            credentials: [{ kind: "password", id: "x", status: "Active", fate: "disable" }],
          },
        ],
      },
      "credentials[0].credentials: expected a list of { kind, id, status, fate }",
    ],
    [
      {
        credentials: [
          {
            account: ACCOUNT,
            user: "x",
            incidents: [],
            quarantinePolicies: [],
            credentials: [{ kind: "access-key", id: "x", status: "Active", fate: "enable" }],
          },
        ],
      },
      "credentials[0].credentials: expected a list of { kind, id, status, fate }",
    ],
  ])("refuses outputs whose credentials are not the program's: %j", async (bad, message) => {
    const { dir, outputs } = workspace({ ...outputsOfARun(), ...bad });
    const result = await cordon("status", dir, "--now", NOW, "--stack-outputs", outputs!);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(usageOutput(`cordon status: --stack-outputs ${outputs}: ${message}`));
  });
});

describe("the outputs' credentials read back", () => {
  it("as IAM lists them after the run: disabled ones Inactive, the deleted password and the deactivated device gone", () => {
    const { listings } = listingsFromStackOutputs(outputsOfARun());
    expect(listings).toEqual([
      {
        account: ACCOUNT,
        user: "ci-deployer",
        exists: true,
        credentials: [
          { kind: "access-key", id: EXPOSED, status: "Inactive", createdAt: "2026-11-28T02:05:00Z" },
          { kind: "access-key", id: SECOND, status: "Inactive", createdAt: "2026-11-28T02:05:00Z" },
          {
            kind: "service-specific-credential",
            id: CODECOMMIT,
            status: "Active",
            createdAt: "2026-11-28T02:05:00Z",
            service: "codecommit.amazonaws.com",
          },
          { kind: "ssh-public-key", id: SSH, status: "Inactive", createdAt: "2026-11-28T02:05:00Z" },
        ],
        loginProfile: null,
        mfaDevices: [{ serial: `arn:aws:iam::${ACCOUNT}:mfa/new`, enabledAt: "2026-11-28T10:30:00Z" }],
        attachedPolicies: ["AWSCompromisedKeyQuarantineV3"],
      },
    ]);
  });
});
