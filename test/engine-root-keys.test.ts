/**
 * Deleting a member account's root access keys (`rootUsers[].deleteAccessKeys`) from the
 * organization stack, through the engine stand-in and Pulumi's own entrypoint (cmd/run), against
 * moto: a deletion that fails fails the run (exit non-zero, the error said) once everything else is
 * declared and the outputs recorded; one that succeeds leaves it green.
 *
 * moto has neither `sts:AssumeRoot` nor a root user with access keys: the proxy in front of moto
 * answers AssumeRoot with the credentials of a member-account user that stands for the root user
 * (whose keys moto can hold), and the root session's ListAccessKeys and DeleteAccessKey go to moto.
 * The failure is the one the reviewer found before the SCP spared AssumeRoot sessions: the root
 * session's DeleteAccessKey refused by an explicit deny in a service control policy.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootSessionDenied } from "../aws/root.ts";
import { actsFailedMessage } from "../program/deploy.ts";
import { Account, type Credentials } from "./support/aws-accounts.ts";
import { runEngine, stackOutputs, type EngineRun } from "./support/engine.ts";
import { startMoto, type Moto } from "./support/moto.ts";
import { projectTempDir } from "./support/project-dir.ts";

const MEMBER = "444444444444";
const MANAGEMENT = "999999999999";
const ID = "2026-11-28-root-key";
/** The member-account user whose keys stand for the root user's (moto has no root keys). */
const ROOT_STAND_IN = "root-stand-in";

let moto: Moto;
let dir: string;
beforeAll(async () => {
  moto = await startMoto({ managedPolicies: false, serviceCredentials: true });
  dir = projectTempDir("cordon-root-keys-");
});
afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** STS's answer to AssumeRoot (query protocol), with the session's credentials. */
const assumeRootAnswer = (key: { AccessKeyId?: string; SecretAccessKey?: string }) => ({
  status: 200,
  contentType: "text/xml",
  body: `<AssumeRootResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRootResult><Credentials><AccessKeyId>${key.AccessKeyId}</AccessKeyId><SecretAccessKey>${key.SecretAccessKey}</SecretAccessKey><SessionToken>root-session-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><SourceIdentity></SourceIdentity></AssumeRootResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></AssumeRootResponse>`,
});
const DENIED_BY_SCP = `User: arn:aws:iam::${MEMBER}:root is not authorized to perform: iam:DeleteAccessKey on resource: user root with an explicit deny in a service control policy`;

describe("the organization stack deletes a member account's root access keys", () => {
  it("a deletion that fails fails the run, after declaring everything and recording the outputs; once it succeeds the run is green", async () => {
    const member = new Account(moto, MEMBER);
    const management = new Account(moto, MANAGEMENT);
    await member.iam.send(new CreateUserCommand({ UserName: ROOT_STAND_IN }));
    // moto tells the account by the key that signs a request: the session's key is listed (and so
    // deleted) last, so that every call of the session is signed by a key moto still has.
    const other = (await member.iam.send(new CreateAccessKeyCommand({ UserName: ROOT_STAND_IN }))).AccessKey!;
    const session = (await member.iam.send(new CreateAccessKeyCommand({ UserName: ROOT_STAND_IN }))).AccessKey!;
    const rootKeys = async () =>
      ((await member.iam.send(new ListAccessKeysCommand({ UserName: ROOT_STAND_IN }))).AccessKeyMetadata ?? [])
        .map((k) => k.AccessKeyId ?? "")
        .sort();
    const keys = [session.AccessKeyId!, other.AccessKeyId!].sort();
    expect(await rootKeys()).toEqual(keys);

    const root = await management.organizationWithScps();
    const credentials: Credentials = await management.deployer();
    const incidents = join(dir, "incidents");
    mkdirSync(incidents);
    writeFileSync(
      join(incidents, `${ID}.yaml`),
      [
        `id: ${ID}`,
        "title: a member account's root access key in a public repository",
        `account: "${MEMBER}"`,
        'cutoff: "2026-11-28T10:00:00Z"',
        `rootUsers: [{ account: "${MEMBER}", deleteAccessKeys: true }]`,
        "organization: { scp: true }",
        "",
      ].join("\n"),
    );
    const state = join(dir, "state", `prod-${MANAGEMENT}.json`);
    const up = (): Promise<EngineRun> =>
      runEngine("up", {
        moto,
        stack: `prod-${MANAGEMENT}`,
        state,
        credentials,
        config: {
          "cordon:account": MANAGEMENT,
          "cordon:incidentsDir": incidents,
          "cordon:organization": JSON.stringify({ targets: [root], managementAccount: MANAGEMENT }),
        },
      });
    const guardrail = () => management.cordonScps(root);

    moto.proxy!.fault("AssumeRoot", assumeRootAnswer(session));
    moto.proxy!.fault("DeleteAccessKey", {
      status: 403,
      contentType: "text/xml",
      body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${DENIED_BY_SCP}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
    });
    const failed = await up();
    expect(failed.status).toBe(1);
    expect(failed.errors).toEqual([
      `could not delete the root access keys of account ${MEMBER} through centralized root access: ${rootSessionDenied(MEMBER, "iam:DeleteAccessKey")}`,
      actsFailedMessage(1),
    ]);
    expect(failed.stderr).not.toContain("Program exited with non-zero exit code");
    // Everything else declared: the SCP that denies the root user, attached.
    expect((await guardrail()).flatMap((d) => d.Statement.map((s) => s.Condition))).toEqual([
      { ArnEquals: { "aws:PrincipalArn": [`arn:aws:iam::${MEMBER}:root`] }, Null: { "aws:AssumedRoot": "true" } },
    ]);
    // And the outputs recorded.
    const outputs = (await stackOutputs({ moto, stack: `prod-${MANAGEMENT}`, state })) as {
      incidents: Record<string, unknown>;
      failedActs?: { run: string | null; acts: string[] };
    };
    expect(Object.keys(outputs.incidents)).toEqual([ID]);
    // What failed, for the contain report to tell a failed act from a failed step.
    expect(outputs.failedActs).toEqual({
      run: process.env.GITHUB_RUN_ID ?? null,
      acts: [
        `could not delete the root access keys of account ${MEMBER} through centralized root access: ${rootSessionDenied(MEMBER, "iam:DeleteAccessKey")}`,
      ],
    });
    expect(await rootKeys()).toEqual(keys);

    moto.proxy!.fault("DeleteAccessKey", undefined);
    const green = await up();
    expect([green.status, green.errors]).toEqual([0, []]);
    expect(green.infos).toContain(
      `deleted the root access keys ${keys.join(", ")} of account ${MEMBER} through centralized root access (${ID}: deleteAccessKeys); it cannot be undone`,
    );
    expect(await rootKeys()).toEqual([]);
    // A green run records no failed act.
    expect(await stackOutputs({ moto, stack: `prod-${MANAGEMENT}`, state })).not.toHaveProperty("failedActs");
  });
});
