/**
 * Issue 20, items 1 and 2, against moto: aws/credentials.ts lists every credential of a user
 * (service-specific credentials through emulators/service-credentials.ts, the one API moto lacks),
 * sets each kind Inactive, deletes a console password, deactivates an MFA device; every call it
 * sends is one it declares. And the proxy answers its five actions as IAM documents them, and
 * forwards everything else to moto untouched.
 */
import {
  CreateLoginProfileCommand,
  CreateServiceSpecificCredentialCommand,
  DeleteServiceSpecificCredentialCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListServiceSpecificCredentialsCommand,
  ListUsersCommand,
  ResetServiceSpecificCredentialCommand,
  UpdateServiceSpecificCredentialCommand,
} from "@aws-sdk/client-iam";
import { randomBytes } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { awsClients } from "../aws/clients.ts";
import {
  credentialIam,
  credentialReadPermissions,
  credentialWritePermissions,
  INACTIVE_ACTION,
  listUserCredentials,
  setInactive,
} from "../aws/credentials.ts";
import { credentialPlan } from "../plan/credentials.ts";
import { applyIrreversible, readCredentialPlan } from "../program/credentials.ts";
import { loadIncidents } from "../incident/load.ts";
import { EVERY_KIND, seedUser } from "./support/credentials.ts";
import { motoForSuite } from "./support/moto.ts";

const ACCOUNT = "123456789012";
let iam: IAMClient;

const suite = motoForSuite({ managedPolicies: false, serviceCredentials: true });
const moto = () => suite.current();
beforeAll(() => {
  iam = new IAMClient({});
});
beforeEach(async () => {
  await moto().reset();
  moto().proxy!.calls.length = 0;
});

/** The IAM actions sent since the test began, minus the seeding's. */
const sentSince = (from: number) => [...new Set(moto().proxy!.calls.slice(from))].sort();

describe("the service-specific credentials API, answered in front of moto", () => {
  it("create, list, update, reset, delete, as IAM documents them; a secret only on create and reset", async () => {
    await seedUser(iam, "dana", { accessKeys: 0 });
    const created = (
      await iam.send(
        new CreateServiceSpecificCredentialCommand({ UserName: "dana", ServiceName: "codecommit.amazonaws.com" }),
      )
    ).ServiceSpecificCredential!;
    expect(created.ServiceSpecificCredentialId).toMatch(/^ACCA[A-Z0-9]{17}$/);
    expect([created.Status, created.UserName, created.ServiceName, typeof created.ServicePassword]).toEqual([
      "Active",
      "dana",
      "codecommit.amazonaws.com",
      "string",
    ]);
    const bedrock = (
      await iam.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: "dana",
          ServiceName: "bedrock.amazonaws.com",
          CredentialAgeDays: 30,
        }),
      )
    ).ServiceSpecificCredential!;
    expect([typeof bedrock.ServiceCredentialSecret, bedrock.ExpirationDate instanceof Date]).toEqual(["string", true]);
    await iam.send(
      new UpdateServiceSpecificCredentialCommand({
        UserName: "dana",
        ServiceSpecificCredentialId: created.ServiceSpecificCredentialId,
        Status: "Inactive",
      }),
    );
    const listed = (await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: "dana" })))
      .ServiceSpecificCredentials!;
    expect(listed.map((c) => [c.ServiceName, c.Status])).toEqual([
      ["codecommit.amazonaws.com", "Inactive"],
      ["bedrock.amazonaws.com", "Active"],
    ]);
    expect(listed.some((c) => "ServicePassword" in c || "ServiceCredentialSecret" in c)).toBe(false);
    expect(
      (
        await iam.send(
          new ListServiceSpecificCredentialsCommand({ UserName: "dana", ServiceName: "bedrock.amazonaws.com" }),
        )
      ).ServiceSpecificCredentials,
    ).toHaveLength(1);
    expect(
      typeof (
        await iam.send(
          new ResetServiceSpecificCredentialCommand({
            UserName: "dana",
            ServiceSpecificCredentialId: created.ServiceSpecificCredentialId,
          }),
        )
      ).ServiceSpecificCredential!.ServicePassword,
    ).toBe("string");
    await iam.send(
      new DeleteServiceSpecificCredentialCommand({
        UserName: "dana",
        ServiceSpecificCredentialId: created.ServiceSpecificCredentialId,
      }),
    );
    expect(
      moto()
        .proxy!.credentials()
        .map((c) => c.serviceName),
    ).toEqual(["bedrock.amazonaws.com"]);
  });

  it.each([
    ["an unknown user", { UserName: "nobody", ServiceName: "codecommit.amazonaws.com" }, "NoSuchEntityException"],
    [
      "a service without such credentials",
      { UserName: "dana", ServiceName: "s3.amazonaws.com" },
      "ServiceNotSupportedException",
    ],
  ])("refuses %s with IAM's error", async (_, input, name) => {
    await seedUser(iam, "dana", { accessKeys: 0 });
    await expect(iam.send(new CreateServiceSpecificCredentialCommand(input))).rejects.toMatchObject({ name });
  });

  it("two per user and service (IAM's quota), and an unknown id is NoSuchEntity", async () => {
    await seedUser(iam, "dana", { accessKeys: 0, services: ["cassandra.amazonaws.com", "cassandra.amazonaws.com"] });
    await expect(
      iam.send(
        new CreateServiceSpecificCredentialCommand({ UserName: "dana", ServiceName: "cassandra.amazonaws.com" }),
      ),
    ).rejects.toMatchObject({ name: "LimitExceededException" });
    await expect(
      iam.send(
        new UpdateServiceSpecificCredentialCommand({
          UserName: "dana",
          ServiceSpecificCredentialId: "ACCANOSUCHCREDENTIAL0",
          Status: "Inactive",
        }),
      ),
    ).rejects.toMatchObject({ name: "NoSuchEntityException" });
  });

  it("forwards everything else to moto, and a reset forgets its credentials too", async () => {
    await seedUser(iam, "dana", { accessKeys: 0, services: ["codecommit.amazonaws.com"] });
    expect((await iam.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName)).toEqual(["dana"]);
    await moto().reset();
    expect(moto().proxy!.credentials()).toEqual([]);
    expect((await iam.send(new ListUsersCommand({}))).Users).toEqual([]);
  });
});

describe("aws/credentials.ts", () => {
  it("lists every credential of the user, its console password, MFA devices and attached policies; only declared calls", async () => {
    const seeded = await seedUser(iam, "ci-deployer", EVERY_KIND);
    const from = moto().proxy!.calls.length;
    const listing = await listUserCredentials(awsClients(), ACCOUNT, "ci-deployer");
    expect(sentSince(from).filter((action) => !credentialReadPermissions.includes(action))).toEqual([]);
    expect(listing.exists).toBe(true);
    expect(listing.credentials.map((c) => [c.kind, c.id, c.status]).sort()).toEqual(
      [
        ...seeded.accessKeys.map((id) => ["access-key", id, "Active"]),
        ...seeded.serviceSpecificCredentials.map((c) => ["service-specific-credential", c.id, "Active"]),
        ...seeded.sshPublicKeys.map((id) => ["ssh-public-key", id, "Active"]),
        ...seeded.signingCertificates.map((id) => ["signing-certificate", id, "Active"]),
      ].sort(),
    );
    expect(
      listing.credentials
        .filter((c) => c.kind === "service-specific-credential")
        .map((c) => c.service)
        .sort(),
    ).toEqual(["bedrock.amazonaws.com", "codecommit.amazonaws.com"]);
    expect(listing.loginProfile).not.toBeNull();
    expect(listing.mfaDevices.map((d) => d.serial)).toEqual(seeded.mfaDevices);
    expect(await listUserCredentials(awsClients(), ACCOUNT, "nobody")).toEqual({
      account: ACCOUNT,
      user: "nobody",
      exists: false,
      credentials: [],
      loginProfile: null,
      mfaDevices: [],
      attachedPolicies: [],
    });
  });

  it("sets each kind Inactive with its own call, never another", async () => {
    await seedUser(iam, "ci-deployer", {
      accessKeys: 1,
      sshPublicKeys: 1,
      signingCertificates: 1,
      services: ["codecommit.amazonaws.com"],
    });
    const clients = awsClients();
    const before = await listUserCredentials(clients, ACCOUNT, "ci-deployer");
    for (const credential of before.credentials) {
      const from = moto().proxy!.calls.length;
      await setInactive(clients, "ci-deployer", credential);
      expect(sentSince(from)).toEqual([INACTIVE_ACTION[credential.kind]]);
    }
    expect((await listUserCredentials(clients, ACCOUNT, "ci-deployer")).credentials.map((c) => c.status)).toEqual([
      "Inactive",
      "Inactive",
      "Inactive",
      "Inactive",
    ]);
  });

  it("the program's reads and irreversible acts: the plan from IAM, then the password deleted and the asked MFA device deactivated", async () => {
    const seeded = await seedUser(iam, "ci-deployer", {
      accessKeys: 2,
      sshPublicKeys: 1,
      consolePassword: true,
      mfaDevices: ["attacker", "owner"],
    });
    const text = `id: 2026-11-28-ci-key\ntitle: t\naccount: "${ACCOUNT}"\ncutoff: 2026-11-28T10:00:00Z\nusers:\n  - name: ci-deployer\n    accessKeys: [${seeded.accessKeys[0]}]\n    deactivateMfaDevices: ["${seeded.mfaDevices[0]}"]\n`;
    const incidents = loadIncidents([{ path: "incidents/2026-11-28-ci-key.yaml", text }], {
      now: new Date("2026-11-28T12:00:00Z"),
    }).incidents;
    const live = credentialIam(awsClients());
    const from = moto().proxy!.calls.length;
    const plan = await readCredentialPlan(incidents, ACCOUNT, live);
    expect(plan.users[0].credentials.map((c) => c.fate)).toEqual(["disable", "disable", "disable"]);
    expect(plan.users[0].consolePassword.fate).toBe("delete");
    expect(await applyIrreversible(plan, live)).toEqual({
      done: [
        "deleted the console password of user ci-deployer: AWS cannot disable one, and the file does not keep it (keep: consolePassword: true); to restore console access, set a new password (aws iam create-login-profile --user-name ci-deployer --password-reset-required)",
        `deactivated MFA device ${seeded.mfaDevices[0]} of user ci-deployer (the file asks it; the device is not deleted)`,
      ],
      failed: [],
    });
    expect(
      sentSince(from).filter(
        (action) => ![...credentialReadPermissions, ...credentialWritePermissions].includes(action),
      ),
    ).toEqual([]);
    await expect(iam.send(new GetLoginProfileCommand({ UserName: "ci-deployer" }))).rejects.toMatchObject({
      name: "NoSuchEntityException",
    });
    const after = credentialPlan(incidents, {
      listings: [await listUserCredentials(awsClients(), ACCOUNT, "ci-deployer")],
    }).users[0];
    // The asked device is no longer the user's (IAM lists it no more): gone; the other one, enabled after
    // the cutoff (seeded now), is reported and left as it was.
    expect([after.consolePassword.fate, after.mfaDevices.map((d) => [d.serial, d.fate])]).toEqual([
      "none",
      [
        [seeded.mfaDevices[0], "gone"],
        [seeded.mfaDevices[1], "report"],
      ],
    ]);
    // A second run finds nothing left to delete: it says so.
    expect(await applyIrreversible(plan, live)).toEqual({
      done: [
        "user ci-deployer has no console password any more: nothing to delete",
        `MFA device ${seeded.mfaDevices[0]} of user ci-deployer is no longer there: nothing to deactivate`,
      ],
      failed: [],
    });
  });

  it("the restore path of a console password: keep it in the file (a reviewed weakening), then set a new one; the next run leaves it", async () => {
    await seedUser(iam, "ci-deployer", { accessKeys: 1, consolePassword: true });
    const file = (keep: boolean) =>
      loadIncidents(
        [
          {
            path: "incidents/2026-11-28-ci-key.yaml",
            text: `id: 2026-11-28-ci-key\ntitle: t\naccount: "${ACCOUNT}"\ncutoff: 2026-11-28T10:00:00Z\nusers:\n  - name: ci-deployer\n    keep: { consolePassword: ${keep} }\n`,
          },
        ],
        {
          now: new Date("2026-11-28T12:00:00Z"),
        },
      ).incidents;
    const live = credentialIam(awsClients());
    // Contained: the password the attacker may have set is deleted.
    await applyIrreversible(await readCredentialPlan(file(false), ACCOUNT, live), live);
    await expect(iam.send(new GetLoginProfileCommand({ UserName: "ci-deployer" }))).rejects.toMatchObject({
      name: "NoSuchEntityException",
    });
    // Restored: the file keeps it, and an administrator sets a new password the owner must change.
    await iam.send(
      new CreateLoginProfileCommand({
        UserName: "ci-deployer",
        Password: `${randomBytes(18).toString("base64")}aA1!`,
        PasswordResetRequired: true,
      }),
    );
    const kept = await readCredentialPlan(file(true), ACCOUNT, live);
    expect(kept.users[0].consolePassword.fate).toBe("kept");
    expect(await applyIrreversible(kept, live)).toEqual({ done: [], failed: [] });
    // (moto does not keep PasswordResetRequired: only that the profile is there is checked.)
    expect((await iam.send(new GetLoginProfileCommand({ UserName: "ci-deployer" }))).LoginProfile?.UserName).toBe(
      "ci-deployer",
    );
    // Without the keep, the next run would delete it again: reconciled like every other credential.
    expect((await readCredentialPlan(file(false), ACCOUNT, live)).users[0].consolePassword.fate).toBe("delete");
  });
});
