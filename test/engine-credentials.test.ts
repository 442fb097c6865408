/**
 * Issue 20, "Done when": every credential of a compromised user, reconciled on each run, through
 * the engine stand-in (Pulumi's own cmd/run, each step applied to moto, service-specific
 * credentials answered by emulators/service-credentials.ts in front of it). A user whose key
 * leaked and who then gained a second access key and an SSH public key: one `up` leaves all three
 * Inactive; a later `up` changes nothing; a credential created between two runs is disabled by the
 * next. The contain workflow's first strike (.github/scripts/first-strike.sh, with the AWS CLI)
 * disables them first: `up` then imports them already Inactive, without a diff. Nothing is ever
 * created, deleted or set Active, removing the file included: every call the runs send is checked.
 * Each run has cordon's policy pack, as the workflows run it.
 */
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  CreateServiceSpecificCredentialCommand,
  UpdateAccessKeyCommand,
  UpdateSSHPublicKeyCommand,
  UploadSigningCertificateCommand,
} from "@aws-sdk/client-iam";
import { beforeEach, describe, expect, it } from "vitest";
import { awsClients } from "../aws/clients.ts";
import { listUserCredentials } from "../aws/credentials.ts";
import { resourceNameOf, type CredentialKind } from "../plan/credentials.ts";
import type { Account } from "./support/aws-accounts.ts";
import { SIGNING_CERTIFICATE, seedUser } from "./support/credentials.ts";
import { ROOT, engineSuite, runEngine, stepLines, type EngineRun } from "./support/engine.ts";
import type { Moto } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const STACK = `prod-${ACCOUNT}`;
const ID = "2026-11-28-ci-key-in-public-repo";
const STATIC = "time:index/static:Static";
const FIRST_STRIKE = resolve(ROOT, ".github", "scripts", "first-strike.sh");

const KEY = "aws:iam/accessKey:AccessKey";
const SSH_KEY = "aws:iam/sshKey:SshKey";
const CERTIFICATE = "aws:iam/signingCertificate:SigningCertificate";
const SERVICE_CREDENTIAL = "aws:iam/serviceSpecificCredential:ServiceSpecificCredential";
const CREDENTIAL_TYPES = [KEY, SSH_KEY, CERTIFICATE, SERVICE_CREDENTIAL];

/** Calls that make, delete or enable a credential: none of cordon's runs may send one. */
const NEVER = [
  "iam:CreateAccessKey",
  "iam:DeleteAccessKey",
  "iam:UploadSSHPublicKey",
  "iam:DeleteSSHPublicKey",
  "iam:UploadSigningCertificate",
  "iam:DeleteSigningCertificate",
  "iam:CreateServiceSpecificCredential",
  "iam:ResetServiceSpecificCredential",
  "iam:DeleteServiceSpecificCredential",
];

const suite = engineSuite("cordon-engine-credentials-");
let moto: Moto;
let dir: string;
let account: Account;
beforeEach(async () => {
  ({ moto, account, dir } = await suite.fresh());
});

const incidentsDir = () => join(dir, "incidents");
const incidentFile = () => join(incidentsDir(), `${ID}.yaml`);
function writeIncident(exposed: string, more: string[] = []): void {
  writeFileSync(
    incidentFile(),
    [
      `id: ${ID}`,
      "title: t",
      `account: "${ACCOUNT}"`,
      "cutoff: at-containment",
      "users:",
      "  - name: ci-deployer",
      `    accessKeys: [${exposed}]`,
      ...more,
      "",
    ].join("\n"),
  );
}

/** A run of the stand-in, and the IAM calls it sent (the proxy in front of moto sees every one). */
async function engine(command: "preview" | "up", refresh = false): Promise<EngineRun & { calls: string[] }> {
  const from = moto.proxy!.calls.length;
  const run = await runEngine(command, {
    refresh,
    moto,
    stack: STACK,
    state: join(dir, "state", `${STACK}.json`),
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": incidentsDir() },
    // The pack the workflows pass: every credential's step is judged before it is applied.
    policyPacks: ["policy"],
  });
  return { ...run, calls: moto.proxy!.calls.slice(from) };
}

/** Every credential of the user as IAM lists it: `kind id status`, sorted. */
async function credentials(user = "ci-deployer"): Promise<string[]> {
  return (await listUserCredentials(awsClients(), ACCOUNT, user)).credentials
    .map((c) => `${c.kind} ${c.id} ${c.status}`)
    .sort();
}

/** The steps of the credentials' own resources (not their components), as `op type name`. */
const credentialSteps = (run: EngineRun) => stepLines(run, (s) => CREDENTIAL_TYPES.includes(s.type)).sort();
const KIND: Record<string, CredentialKind> = {
  [KEY]: "access-key",
  [SSH_KEY]: "ssh-public-key",
  [CERTIFICATE]: "signing-certificate",
  [SERVICE_CREDENTIAL]: "service-specific-credential",
};
/** The plan's name for a credential's resource (and its component). */
const name = (type: string, id: string) => resourceNameOf(ACCOUNT, "ci-deployer", KIND[type], id);
const imported = (type: string, id: string) => [`import ${type} ${name(type, id)}`, `update ${type} ${name(type, id)}`];

/** The user of the issue: its key leaked, then it gained a second access key and an SSH public key. */
async function leakedUser(): Promise<{ exposed: string; second: string; ssh: string }> {
  const seeded = await seedUser(account.iam, "ci-deployer", { accessKeys: 2, sshPublicKeys: 1 });
  const [exposed, second] = seeded.accessKeys;
  writeIncident(exposed);
  return { exposed, second, ssh: seeded.sshPublicKeys[0] };
}

describe("every credential of a compromised user, through the engine", () => {
  // Six engine runs, each with the policy pack's own process: the suite's minute timed out on a loaded 2-core machine.
  it("one up leaves all three Inactive; a later up changes nothing; a credential created between two runs is disabled by the next", async () => {
    const { exposed, second, ssh } = await leakedUser();

    // A preview says what up will do, and does nothing.
    const preview = await engine("preview");
    expect([preview.status, preview.errors]).toEqual([0, []]);
    expect(credentialSteps(preview)).toEqual(
      [...imported(KEY, exposed), ...imported(KEY, second), ...imported(SSH_KEY, ssh)].sort(),
    );
    expect(await credentials()).toEqual(
      [`access-key ${exposed} Active`, `access-key ${second} Active`, `ssh-public-key ${ssh} Active`].sort(),
    );

    const first = await engine("up");
    expect([first.status, first.errors]).toEqual([0, []]);
    expect(credentialSteps(first)).toEqual(
      [...imported(KEY, exposed), ...imported(KEY, second), ...imported(SSH_KEY, ssh)].sort(),
    );
    expect(await credentials()).toEqual(
      [`access-key ${exposed} Inactive`, `access-key ${second} Inactive`, `ssh-public-key ${ssh} Inactive`].sort(),
    );

    // A later up: every step is `same`, and IAM is only read.
    const again = await engine("up");
    expect([again.status, again.errors]).toEqual([0, []]);
    expect(again.steps.filter((s) => s.op !== "same")).toEqual([]);
    expect(again.calls.filter((call) => !/^(iam|sts):(Get|List)/.test(call))).toEqual([]);

    // In between, the attacker (still holding a working credential somewhere) adds two more.
    const certificate = (
      await account.iam.send(
        new UploadSigningCertificateCommand({ UserName: "ci-deployer", CertificateBody: SIGNING_CERTIFICATE }),
      )
    ).Certificate!.CertificateId!;
    const bedrock = (
      await account.iam.send(
        new CreateServiceSpecificCredentialCommand({ UserName: "ci-deployer", ServiceName: "bedrock.amazonaws.com" }),
      )
    ).ServiceSpecificCredential!.ServiceSpecificCredentialId!;
    const third = await engine("up");
    expect([third.status, third.errors]).toEqual([0, []]);
    expect(
      third.steps
        .filter((s) => s.op !== "same")
        .map((s) => `${s.op} ${s.type} ${s.name}`)
        .sort(),
    ).toEqual(
      [
        `create cordon:iam:DisabledServiceSpecificCredential ${name(SERVICE_CREDENTIAL, bedrock)}`,
        `create cordon:iam:DisabledSigningCertificate ${name(CERTIFICATE, certificate)}`,
        ...imported(CERTIFICATE, certificate),
        ...imported(SERVICE_CREDENTIAL, bedrock),
      ].sort(),
    );
    expect(await credentials()).toEqual(
      [
        `access-key ${exposed} Inactive`,
        `access-key ${second} Inactive`,
        `ssh-public-key ${ssh} Inactive`,
        `signing-certificate ${certificate} Inactive`,
        `service-specific-credential ${bedrock} Inactive`,
      ].sort(),
    );
    const fourth = await engine("up");
    expect(fourth.steps.filter((s) => s.op !== "same")).toEqual([]);

    // Removing the file forgets the credentials (retainOnDelete) and re-enables none of them.
    rmSync(incidentFile());
    const revert = await engine("up");
    expect([revert.status, revert.errors]).toEqual([0, []]);
    expect(
      revert.steps
        .filter((s) => CREDENTIAL_TYPES.includes(s.type))
        .every((s) => s.op === "delete" && s.retained === true),
    ).toBe(true);
    expect(revert.steps.filter((s) => CREDENTIAL_TYPES.includes(s.type))).toHaveLength(5);
    expect((await credentials()).every((line) => line.endsWith(" Inactive"))).toBe(true);

    for (const run of [preview, first, again, third, fourth, revert])
      expect(run.calls.filter((call) => NEVER.includes(call))).toEqual([]);
    // Every call that changed a credential set it Inactive: moto holds no Active one, and the updates were these.
    expect([first, third].flatMap((run) => run.calls.filter((call) => /^iam:Update/.test(call))).sort()).toEqual(
      [
        "iam:UpdateAccessKey",
        "iam:UpdateAccessKey",
        "iam:UpdateSSHPublicKey",
        "iam:UpdateServiceSpecificCredential",
        "iam:UpdateSigningCertificate",
      ].sort(),
    );
  }, 180_000);

  it("a credential set Active again by hand stays Active through a plain up (an access key then has the incident denied everything), and up --refresh (what the workflows run) sets it Inactive again and records the instant again", async () => {
    const { exposed, second, ssh } = await leakedUser();
    expect((await engine("up")).status).toBe(0);
    // Someone with IAM rights re-enables the second key and the SSH key.
    await account.iam.send(
      new UpdateAccessKeyCommand({ UserName: "ci-deployer", AccessKeyId: second, Status: "Active" }),
    );
    await account.iam.send(
      new UpdateSSHPublicKeyCommand({ UserName: "ci-deployer", SSHPublicKeyId: ssh, Status: "Active" }),
    );
    // Without --refresh the state still says Inactive: no credential's step. But IAM lists the
    // second key Active after the key steps: it can mint sessions, so the incident's principals are
    // denied everything and the instant waits for a run that finds it Inactive.
    const plain = await engine("up");
    expect([plain.status, plain.errors]).toEqual([0, []]);
    expect(credentialSteps(plain).filter((line) => !line.startsWith("same "))).toEqual([]);
    expect(
      stepLines(plain, (s) => s.op !== "same" && (s.type === STATIC || s.type === "aws:iam/policy:Policy")),
    ).toEqual([`update aws:iam/policy:Policy ${ACCOUNT}-user-ci-deployer`, `delete ${STATIC} ${ACCOUNT}-${ID}`]);
    expect(plain.warnings).toEqual([
      `incident ${ID}: IAM still lists access key ${second} (user ci-deployer) as Active after this run's key steps (a failed import or update, or a key created since this run listed them), so no containment instant is recorded: the incident's principals are denied everything until a run finds every access key of its users that the files do not keep Inactive`,
    ]);
    expect(await credentials()).toContain(`access-key ${second} Active`);
    // With it, the state is read back first: the diff sees Active, and the update sets it Inactive.
    const refreshed = await engine("up", true);
    expect([refreshed.status, refreshed.errors]).toEqual([0, []]);
    expect(credentialSteps(refreshed).filter((line) => !line.startsWith("same "))).toEqual(
      [`update ${KEY} ${name(KEY, second)}`, `update ${SSH_KEY} ${name(SSH_KEY, ssh)}`].sort(),
    );
    expect(await credentials()).toEqual(
      [`access-key ${exposed} Inactive`, `access-key ${second} Inactive`, `ssh-public-key ${ssh} Inactive`].sort(),
    );
    expect(refreshed.calls.filter((call) => NEVER.includes(call))).toEqual([]);
    // The key worked until now: the instant is recorded again, after it was disabled.
    expect(stepLines(refreshed, (s) => s.type === STATIC)).toEqual([`create ${STATIC} ${ACCOUNT}-${ID}`]);
    // And a refreshed up when nothing was touched changes nothing: the instant included (time_static's
    // Read keeps its state), so no cutoff moves.
    const again = await engine("up", true);
    expect([again.status, again.errors]).toEqual([0, []]);
    expect(again.steps.filter((s) => s.op !== "same")).toEqual([]);
  }, 180_000);

  it("keep: added by a later pull request forgets a disabled credential and re-enables nothing", async () => {
    const { exposed, second, ssh } = await leakedUser();
    expect((await engine("up")).status).toBe(0);
    // The workload's second key is to keep working: a reviewer approved keep for it (and its SSH key).
    writeIncident(exposed, [`    keep: { accessKeys: [${second}], sshPublicKeys: [${ssh}] }`]);
    const kept = await engine("up", true);
    expect([kept.status, kept.errors]).toEqual([0, []]);
    // Their resources leave the program: forgotten (retainOnDelete), with no call that changes IAM.
    expect(
      kept.steps
        .filter((s) => CREDENTIAL_TYPES.includes(s.type) && s.op !== "same")
        .map((s) => `${s.op} ${s.type} ${s.name} retained=${s.retained}`)
        .sort(),
    ).toEqual(
      [
        `delete ${KEY} ${name(KEY, second)} retained=true`,
        `delete ${SSH_KEY} ${name(SSH_KEY, ssh)} retained=true`,
      ].sort(),
    );
    expect(kept.calls.filter((call) => /^iam:Update/.test(call) || NEVER.includes(call))).toEqual([]);
    // Kept means cordon stops disabling them, not that it enables them: enabling is the owner's act.
    expect(await credentials()).toEqual(
      [`access-key ${exposed} Inactive`, `access-key ${second} Inactive`, `ssh-public-key ${ssh} Inactive`].sort(),
    );
  }, 180_000);

  it("after the first strike, up imports every credential already Inactive, without a diff", async () => {
    const { exposed, second, ssh } = await leakedUser();
    const strike = await promisify(execFile)("bash", [FIRST_STRIKE], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        ...moto.env,
        AWS_DEFAULT_REGION: moto.env.AWS_REGION,
        AWS_CONFIG_FILE: join(dir, "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
        ACCESS_KEY: exposed,
        INCIDENTS_DIR: join(dir, "no-incidents-yet"),
      },
    });
    expect(strike.stderr).toBe("");
    expect(await credentials()).toEqual(
      [`access-key ${exposed} Inactive`, `access-key ${second} Inactive`, `ssh-public-key ${ssh} Inactive`].sort(),
    );

    const up = await engine("up");
    expect([up.status, up.errors]).toEqual([0, []]);
    // Imported as they are, with nothing to change: no update step, no update call.
    expect(credentialSteps(up)).toEqual(
      [
        `import ${KEY} ${name(KEY, exposed)}`,
        `import ${KEY} ${name(KEY, second)}`,
        `import ${SSH_KEY} ${name(SSH_KEY, ssh)}`,
      ].sort(),
    );
    expect(up.calls.filter((call) => /^iam:Update/.test(call) || NEVER.includes(call))).toEqual([]);
    const again = await engine("up");
    expect(again.steps.filter((s) => s.op !== "same")).toEqual([]);
  });
});
