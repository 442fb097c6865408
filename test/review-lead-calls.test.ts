/**
 * The calls the chain follows, each from its own service (review defects 1 and 2 of the trail review):
 * - sts:AssumeRoot mints a member account's root session: followed for its 900 s at most, the member
 *   account reached, a privilege-escalation finding naming the task policy;
 * - a call named like a lead call from another service (Transfer Family's CreateUser makes an SFTP
 *   user) reveals nothing: the IAM user of that name is someone else's, and must never be followed
 *   nor suggested for the incident.
 *
 * The AssumeRoot records are shaped as IAM's "Track privileged tasks in AWS CloudTrail" page shows
 * the AssumeRoot event (targetPrincipal, taskPolicyArn.arn, credentials with an STS expiration);
 * the root session's own calls as a Root identity signing with the minted key.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { followChain, LEAD_CALLS, leadsFrom, mayLead } from "../review/core/chain.ts";
import { fromRecord, type ReviewEvent } from "../review/core/event.ts";
import { analyze, classify } from "../review/core/findings.ts";
import { logSource } from "../review/logs/two-passes.ts";
import { rootUserSuggestion } from "../review/render/parts.ts";
import { trailRecord, type RecordFields } from "../emulators/cloudtrail-server.ts";

const KEY = "AKIAEXAMPLEROOT00001";
const MGMT = "111122223333";
const MEMBER = "444455556666";
const ROOT_SESSION = "ASIAEXAMPLEROOTSES01";
const TASK = "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword";

/** Which service each lead call is, as the STS and IAM API references place them: the test's own table. */
const SERVICE_OF: Record<string, string> = {
  GetSessionToken: "sts.amazonaws.com",
  GetFederationToken: "sts.amazonaws.com",
  AssumeRole: "sts.amazonaws.com",
  AssumeRoleWithSAML: "sts.amazonaws.com",
  AssumeRoleWithWebIdentity: "sts.amazonaws.com",
  AssumeRoot: "sts.amazonaws.com",
  CreateAccessKey: "iam.amazonaws.com",
  CreateUser: "iam.amazonaws.com",
  CreateLoginProfile: "iam.amazonaws.com",
  UpdateLoginProfile: "iam.amazonaws.com",
};

/** Services that have calls of the same names (CreateUser: Transfer Family, Amazon MQ, ElastiCache, MemoryDB, Identity Store…), and made-up ones. */
const sources = fc.oneof(
  fc.constantFrom(
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "transfer.amazonaws.com",
    "mq.amazonaws.com",
    "elasticache.amazonaws.com",
    "memorydb.amazonaws.com",
    "identitystore.amazonaws.com",
    "signin.amazonaws.com",
    "IAM.amazonaws.com",
    "iam.amazonaws.com.evil",
  ),
  fc.string({ maxLength: 24 }),
);

function event(fields: Partial<RecordFields> & Pick<RecordFields, "eventId" | "eventName">): ReviewEvent {
  const made = fromRecord(
    trailRecord({
      eventTime: "2026-11-28T02:00:00Z",
      region: "us-east-1",
      accessKeyId: KEY,
      userName: "leaky",
      ...fields,
    }),
  );
  if (typeof made === "string") throw new Error(made);
  return made;
}

/** A call that would reveal something under any lead call's name: every field any of them reads. */
const revealing = (eventName: string, eventSource: string, eventId = "lead") =>
  event({
    eventId,
    eventName,
    eventSource,
    requestParameters: { userName: "deploy", roleArn: `arn:aws:iam::${MGMT}:role/deploy`, targetPrincipal: MEMBER },
    responseElements: {
      credentials: { accessKeyId: "ASIAEXAMPLESESSION01", expiration: "Nov 28, 2026, 2:10:00 AM" },
      accessKey: { accessKeyId: "AKIAEXAMPLECREATED01", userName: "deploy" },
      user: { userName: "deploy" },
    },
  });

describe("a lead call is its name from its own service", () => {
  it("reveals a subject exactly when its event source is the call's service (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...LEAD_CALLS), sources, (eventName, eventSource) => {
        const lead = revealing(eventName, eventSource);
        const own = eventSource === SERVICE_OF[eventName];
        expect(leadsFrom(lead, null).length > 0).toBe(own);
        expect(mayLead(lead)).toBe(own);
        // The log readers' look at a record's bytes, before the source is read, keeps a superset.
        expect(mayLead({ ...lead, eventSource: undefined })).toBe(true);
      }),
    );
  });

  it("lists every call of the test's table, and no other", () => {
    expect([...LEAD_CALLS].sort()).toEqual(Object.keys(SERVICE_OF).sort());
  });

  it("another service's CreateUser is no IAM user: the user of that name is not followed nor suggested, and the finding names the service (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(sources, fc.constantFrom<string>("deploy", "ops", "svc-backup")), {
          minLength: 1,
          maxLength: 5,
        }),
        async (creates) => {
          const events = creates.map(([eventSource, userName], i) =>
            event({
              eventId: `create-${i}`,
              eventName: "CreateUser",
              eventSource,
              eventTime: `2026-11-28T02:0${i}:00Z`,
              readOnly: false,
              requestParameters: { serverId: "s-1234567890abcdef0", userName },
              responseElements: { userName },
            }),
          );
          // The real IAM users of those names, doing their jobs with their own keys.
          const own = ["deploy", "ops", "svc-backup"].map((userName, i) =>
            event({
              eventId: `own-${userName}`,
              eventName: "ListFunctions20150331",
              eventSource: "lambda.amazonaws.com",
              eventTime: "2026-11-28T03:00:00Z",
              accessKeyId: `AKIAEXAMPLELEGIT000${i}`,
              userName,
            }),
          );
          const review = analyze(await followChain(KEY, { start: null, end: null }, logSource([...events, ...own])));
          const iamCreated = new Set(
            creates.filter(([eventSource]) => eventSource === "iam.amazonaws.com").map(([, userName]) => userName),
          );
          expect(review.users.map((user) => user.userName).sort()).toEqual([...iamCreated].sort());
          for (const userName of ["deploy", "ops", "svc-backup"])
            expect(review.events.some((e) => e.eventId === `own-${userName}`)).toBe(iamCreated.has(userName));
          // Every CreateUser is persistence (an SFTP user is a way back in too), named by its service.
          expect(review.findings.map((f) => f.eventId)).toEqual(events.map((e) => e.eventId));
          for (const finding of review.findings) {
            const service = finding.eventSource.replace(/\.amazonaws\.com$/, "") || "unknown";
            expect(finding.target.startsWith(`${service}:`)).toBe(finding.eventSource !== "iam.amazonaws.com");
          }
        },
      ),
    );
  });

  it("a root session's login profile without a user name is the root user's password, no IAM user", () => {
    const rootCall = event({
      eventId: "root-password",
      eventName: "CreateLoginProfile",
      eventSource: "iam.amazonaws.com",
      accessKeyId: ROOT_SESSION,
      identityType: "Root",
      userName: "root",
      requestParameters: {},
    });
    expect(leadsFrom(rootCall, null)).toEqual([]);
    // The same call naming a user is that user's password, whoever made it.
    expect(
      leadsFrom({ ...rootCall, requestParameters: { userName: "ops" } }, null).map((lead) => lead.subject),
    ).toEqual([{ kind: "user", userName: "ops", accountId: MGMT }]);
  });
});

/** The AssumeRoot record of IAM's page, by the reviewed key, and the root session's calls in the member account. */
function assumeRoot(fields: {
  targetPrincipal?: unknown;
  taskPolicyArn?: unknown;
  expiration?: string;
  eventSource?: string;
}) {
  return event({
    eventId: "assume-root",
    eventName: "AssumeRoot",
    eventSource: fields.eventSource ?? "sts.amazonaws.com",
    eventTime: "2026-11-28T02:00:00Z",
    readOnly: false,
    requestParameters: {
      targetPrincipal: fields.targetPrincipal,
      taskPolicyArn: fields.taskPolicyArn,
    },
    responseElements: {
      credentials: {
        accessKeyId: ROOT_SESSION,
        sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE",
        ...(fields.expiration === undefined ? {} : { expiration: fields.expiration }),
      },
    },
  });
}

const rootCall = (eventId: string, minutes: number) =>
  event({
    eventId,
    eventName: "CreateLoginProfile",
    eventSource: "iam.amazonaws.com",
    eventTime: `2026-11-28T02:${String(minutes).padStart(2, "0")}:00Z`,
    accessKeyId: ROOT_SESSION,
    identityType: "Root",
    accountId: MEMBER,
    readOnly: false,
    requestParameters: {},
  });

describe("sts:AssumeRoot", () => {
  it("is followed for 900 s when the event gives no expiration, to its expiration when it does", async () => {
    const calls = [rootCall("at-14", 14), rootCall("at-16", 16)];
    const without = analyze(
      await followChain(
        KEY,
        { start: null, end: null },
        logSource([assumeRoot({ targetPrincipal: MEMBER }), ...calls]),
      ),
    );
    expect(without.keys.map((key) => [key.accessKeyId, key.mintedBy, key.searchedUntil])).toEqual([
      [KEY, null, null],
      [ROOT_SESSION, "AssumeRoot", "2026-11-28T02:15:00Z"],
    ]);
    expect(without.events.map((e) => e.eventId)).toEqual(["assume-root", "at-14"]);
    const given = analyze(
      await followChain(
        KEY,
        { start: null, end: null },
        logSource([assumeRoot({ targetPrincipal: MEMBER, expiration: "Nov 28, 2026, 2:05:00 AM" }), ...calls]),
      ),
    );
    expect(given.events.map((e) => e.eventId)).toEqual(["assume-root"]);
  });

  it("reaches the member account its targetPrincipal names, an account id or an ARN, and a finding names the task policy (property)", async () => {
    const target = fc.oneof(
      fc.constant({ principal: MEMBER as unknown, account: MEMBER as string | null }),
      fc.constant({ principal: `arn:aws:iam::${MEMBER}:root`, account: MEMBER }),
      fc.constant({ principal: `arn:aws-us-gov:iam::${MEMBER}:root`, account: MEMBER }),
      // Hostile or broken: never an account.
      fc
        .constantFrom<unknown>(
          "44445555666",
          "4444555566667",
          "arn:aws:iam::4444:root",
          "",
          "../444455556666",
          null,
          444455556666,
        )
        .map((principal) => ({ principal: principal as unknown, account: null as string | null })),
      fc
        .string({ maxLength: 30 })
        .filter((text) => !/^\d{12}$/.test(text) && !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(text))
        .map((principal) => ({ principal: principal as unknown, account: null as string | null })),
    );
    const task = fc.oneof(
      fc.constant({ given: { arn: TASK } as unknown, shown: TASK }),
      fc.constant({
        given: { arn: "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy" },
        shown: "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy",
      }),
      fc.constantFrom(undefined, null, {}, { arn: 7 }).map((given) => ({ given: given as unknown, shown: "?" })),
    );
    await fc.assert(
      fc.asyncProperty(target, task, async ({ principal, account }, { given, shown }) => {
        const made = assumeRoot({ targetPrincipal: principal, taskPolicyArn: given });
        const review = analyze(await followChain(KEY, { start: null, end: null }, logSource([made])));
        // As the event keeps it (redacted like any text of a log).
        const kept = (made.requestParameters as { targetPrincipal?: unknown }).targetPrincipal;
        const reached = review.accounts.find((a) => a.account === MEMBER);
        if (account === null) expect(reached).toBeUndefined();
        else
          expect(reached).toEqual({ account: MEMBER, reviewedKey: false, events: 0, roles: [], rootSessions: [shown] });
        for (const a of review.accounts) expect(a.account).toMatch(/^\d{12}$/);
        const [finding] = review.findings;
        expect(review.findings).toHaveLength(1);
        expect(finding.category).toBe("privilege-escalation");
        expect(finding.eventName).toBe("AssumeRoot");
        expect(finding.target).toBe(
          `targetPrincipal=${account ?? (typeof kept === "string" && kept !== "" ? kept : "?")} taskPolicyArn=${shown}`,
        );
        // The root session is followed wherever it was taken.
        expect(review.keys.map((key) => key.accessKeyId)).toEqual([KEY, ROOT_SESSION]);
      }),
    );
  });

  it("from another service, or refused, is neither followed nor a root session", async () => {
    for (const made of [
      assumeRoot({ targetPrincipal: MEMBER, eventSource: "iam.amazonaws.com" }),
      { ...assumeRoot({ targetPrincipal: MEMBER }), errorCode: "AccessDenied" },
    ]) {
      const review = analyze(await followChain(KEY, { start: null, end: null }, logSource([made])));
      expect(review.keys.map((key) => key.accessKeyId)).toEqual([KEY]);
      expect(review.accounts.map((a) => a.account)).toEqual([MGMT]);
      expect(review.accounts[0].rootSessions).toBeUndefined();
      expect(classify(made)).toBe(made.errorCode === null ? "privilege-escalation" : null);
    }
  });
});

/** Log files as CloudTrail delivers them, one per account. */
function folder(files: Record<string, Record<string, unknown>[]>): string {
  const dir = mkdtempSync(join(tmpdir(), "cordon-lead-calls-"));
  for (const [account, records] of Object.entries(files)) {
    const day = join(dir, "AWSLogs", account, "CloudTrail", "us-east-1", "2026", "11", "28");
    mkdirSync(day, { recursive: true });
    writeFileSync(
      join(day, `${account}_CloudTrail_us-east-1_20261128T0205Z_abc.json`),
      JSON.stringify({ Records: records }),
    );
  }
  return dir;
}

const leaky = {
  type: "IAMUser",
  principalId: "AIDAEXAMPLELEAKY0001",
  arn: `arn:aws:iam::${MGMT}:user/leaky`,
  accountId: MGMT,
  accessKeyId: KEY,
  userName: "leaky",
};
const rootIdentity = {
  type: "Root",
  principalId: MEMBER,
  arn: `arn:aws:iam::${MEMBER}:root`,
  accountId: MEMBER,
  accessKeyId: ROOT_SESSION,
  sessionContext: {
    attributes: { creationDate: "2026-11-28T02:01:00Z", mfaAuthenticated: "false" },
    assumedRoot: "true",
  },
};
const record = (
  id: string,
  name: string,
  source: string,
  time: string,
  identity: object,
  account: string,
  fields = {},
) => ({
  eventVersion: "1.08",
  userIdentity: identity,
  eventTime: time,
  eventSource: source,
  eventName: name,
  awsRegion: "us-east-1",
  sourceIPAddress: "203.0.113.66",
  userAgent: "aws-cli/2.15.0",
  requestParameters: null,
  responseElements: null,
  eventID: id,
  eventType: "AwsApiCall",
  recipientAccountId: account,
  ...fields,
});
const managementFile = [
  record("e1", "AssumeRoot", "sts.amazonaws.com", "2026-11-28T02:01:00Z", leaky, MGMT, {
    requestParameters: { targetPrincipal: MEMBER, taskPolicyArn: { arn: TASK } },
    responseElements: {
      credentials: {
        accessKeyId: ROOT_SESSION,
        sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE",
        expiration: "Nov 28, 2026, 2:16:00 AM",
      },
    },
  }),
];
const memberFile = [
  record("e2", "CreateLoginProfile", "iam.amazonaws.com", "2026-11-28T02:03:00Z", rootIdentity, MEMBER, {
    requestParameters: {},
    responseElements: { loginProfile: { passwordResetRequired: false } },
  }),
];

describe("review --from-logs of a key that took a member account's root session", () => {
  it("follows the session into the member account and reports it", async () => {
    const io = memoryIo();
    const exit = await main(
      [
        "review",
        "--access-key",
        KEY,
        "--from-logs",
        folder({ [MGMT]: managementFile, [MEMBER]: memberFile }),
        "--json",
      ],
      io,
    );
    expect(exit).toBe(0);
    const json = JSON.parse(io.stdout);
    expect(json.keys.map((key: { accessKeyId: string }) => key.accessKeyId)).toEqual([KEY, ROOT_SESSION]);
    expect(json.events.map((e: { eventId: string }) => e.eventId)).toEqual(["e1", "e2"]);
    expect(json.accounts).toEqual([
      { account: MGMT, reviewedKey: true, events: 1, roles: [] },
      { account: MEMBER, reviewedKey: false, events: 1, roles: [], rootSessions: [TASK] },
    ]);
    expect(json.persistence.map((f: { eventName: string; target: string }) => [f.eventName, f.target])).toEqual([
      ["AssumeRoot", `targetPrincipal=${MEMBER} taskPolicyArn=${TASK}`],
      ["CreateLoginProfile", `arn:aws:iam::${MEMBER}:root`],
    ]);
  });

  it("follows it when a session the key minted took it: the readers keep AssumeRoot as a lead call of any caller", async () => {
    const session = "ASIAEXAMPLESESSION01";
    const sessionIdentity = { ...leaky, type: "IAMUser", accessKeyId: session };
    const io = memoryIo();
    const dir = folder({
      [MGMT]: [
        record("e0", "GetSessionToken", "sts.amazonaws.com", "2026-11-28T02:00:00Z", leaky, MGMT, {
          responseElements: { credentials: { accessKeyId: session, expiration: "Nov 28, 2026, 8:00:00 AM" } },
        }),
        { ...managementFile[0], userIdentity: sessionIdentity },
      ],
      [MEMBER]: memberFile,
    });
    expect(await main(["review", "--access-key", KEY, "--from-logs", dir, "--json"], io)).toBe(0);
    const json = JSON.parse(io.stdout);
    expect(json.keys.map((key: { accessKeyId: string }) => key.accessKeyId)).toEqual([KEY, session, ROOT_SESSION]);
    expect(json.events.map((e: { eventId: string }) => e.eventId)).toEqual(["e0", "e1", "e2"]);
  });
});

describe("a root session in an account the review did not read", () => {
  it("makes the review INCOMPLETE, says why in every format, and gives the root user to add to the incident", async () => {
    const dir = folder({ [MGMT]: managementFile });
    const text = memoryIo();
    expect(await main(["review", "--access-key", KEY, "--from-logs", dir], text)).toBe(2);
    expect(text.stdout).toContain(
      `  ${MEMBER}: its root user's session taken there (AssumeRoot: IAMCreateRootUserPassword), and none of its CloudTrail was read:`,
    );
    expect(text.stdout).toContain("    root sessions (AssumeRoot): IAMCreateRootUserPassword\n");
    expect(text.stdout).toContain(
      `  rootUsers:\n    - account: "${MEMBER}"  # root session (AssumeRoot: IAMCreateRootUserPassword); needs organization: { scp: true }\n`,
    );
    const markdown = memoryIo();
    expect(await main(["review", "--access-key", KEY, "--from-logs", dir, "--markdown"], markdown)).toBe(2);
    expect(markdown.stdout).toContain(
      `| ${MEMBER} | - | not read (INCOMPLETE) | root session (IAMCreateRootUserPassword) |`,
    );
    const block = /```yaml\n([\s\S]*?)```/.exec(markdown.stdout);
    expect(parse(block?.[1] ?? "")).toEqual({ rootUsers: [{ account: MEMBER }] });
  });

  it("names any task policy a forged record writes without breaking the YAML (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), async (task) => {
        const made = assumeRoot({
          targetPrincipal: MEMBER,
          taskPolicyArn: { arn: `arn:aws:iam::aws:policy/root-task/${task}` },
        });
        const review = analyze(await followChain(KEY, { start: null, end: null }, logSource([made])));
        const lines = rootUserSuggestion(review);
        expect(parse(lines.join("\n"))).toEqual({ rootUsers: [{ account: MEMBER }] });
      }),
    );
  });
});
