import { describe, expect, it } from "vitest";
import {
  deriveReadOnly,
  fromLookupEvent,
  fromRecord,
  redact,
  REDACTED,
  actionOfEvent as actionOf,
  type ReviewEvent,
} from "../review/core/event.ts";
import { analyze, classify, isDenied } from "../review/core/findings.ts";
import { followChain } from "../review/core/chain.ts";
import { logSource } from "../review/logs/two-passes.ts";
import { trailRecord, type RecordFields } from "../emulators/cloudtrail-server.ts";

const KEY = "AKIAEXAMPLEROOT00001";

function event(fields: Partial<RecordFields> & Pick<RecordFields, "eventName">): ReviewEvent {
  const parsed = fromRecord(
    trailRecord({ eventId: "e", eventTime: "2026-11-28T02:00:00Z", region: "us-east-1", accessKeyId: KEY, ...fields }),
  );
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

describe("redact", () => {
  it("removes session tokens, secret keys and passwords, and keeps key ids and expirations", () => {
    const record = {
      credentials: {
        accessKeyId: "ASIAEXAMPLE000000001",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        sessionToken: "IQoJb3JpZ2luX2VjEOH//////////wEaCXVzLWVhc3QtMSJIMEYCIQ",
        expiration: "Jul 10, 2023, 12:09:47 PM",
      },
      accessKey: { accessKeyId: "AKIAEXAMPLE000000002", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY" },
      loginProfile: { password: "hunter2", passwordResetRequired: false },
      nested: [{ note: "FwoGZXIvYXdzEBYaDExampleSessionTokenInAnOddPlace" }],
      tokenValue: "Value hidden due to security reasons.",
    };
    expect(redact(record)).toEqual({
      credentials: {
        accessKeyId: "ASIAEXAMPLE000000001",
        secretAccessKey: REDACTED,
        sessionToken: REDACTED,
        expiration: "Jul 10, 2023, 12:09:47 PM",
      },
      accessKey: { accessKeyId: "AKIAEXAMPLE000000002", SecretAccessKey: REDACTED },
      loginProfile: { password: REDACTED, passwordResetRequired: false },
      nested: [{ note: REDACTED }],
      tokenValue: REDACTED,
    });
  });

  it("removes a secret key under any field name, and keeps what only looks long", () => {
    const record = {
      containerDefinitions: [
        { environment: [{ name: "AWS_SECRET_ACCESS_KEY", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }] },
      ],
      command: "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY && run",
      aws_secret_access_key: "short",
      "session-token": "short",
      sha1: "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    };
    expect(redact(record)).toEqual({
      containerDefinitions: [{ environment: [{ name: "AWS_SECRET_ACCESS_KEY", value: REDACTED }] }],
      command: `export AWS_SECRET_ACCESS_KEY=${REDACTED} && run`,
      aws_secret_access_key: REDACTED,
      "session-token": REDACTED,
      sha1: "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    });
  });

  it("is applied to every event read, so no report can show a secret", () => {
    const parsed = event({
      eventName: "GetSessionToken",
      responseElements: {
        credentials: {
          accessKeyId: "ASIAEXAMPLE000000001",
          sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE",
          secretAccessKey: "secret-secret",
        },
      },
    });
    expect(JSON.stringify(parsed)).not.toMatch(/IQoJb3JpZ2lu|secret-secret/);
    expect(JSON.stringify(parsed)).toContain("ASIAEXAMPLE000000001");
  });
});

describe("readOnly", () => {
  it.each([
    ["DescribeInstances", true],
    ["ListBuckets", true],
    ["GetObject", true],
    ["HeadBucket", true],
    ["BatchGetSecretValue", true],
    ["LookupEvents", true],
    ["GetSessionToken", false],
    ["GetFederationToken", false],
    ["GetSigninToken", false],
    ["CreateUser", false],
    ["Getaway", false],
    ["ConsoleLogin", false],
    ["RunInstances", false],
  ])("derives %s as readOnly %s when CloudTrail does not say", (eventName, readOnly) => {
    expect(deriveReadOnly(eventName)).toBe(readOnly);
    const parsed = event({ eventName, readOnly: null });
    expect([parsed.readOnly, parsed.readOnlyDerived]).toEqual([readOnly, true]);
  });

  it("keeps CloudTrail's readOnly when the record has it", () => {
    const parsed = event({ eventName: "DescribeInstances", readOnly: false });
    expect([parsed.readOnly, parsed.readOnlyDerived]).toEqual([false, false]);
  });

  it("takes readOnly from beside the record in a LookupEvents answer when the record lacks it", () => {
    const record = trailRecord({
      eventId: "x",
      eventName: "DescribeInstances",
      eventTime: "2026-11-28T02:00:00Z",
      region: "eu-west-1",
      accessKeyId: KEY,
      readOnly: null,
    });
    const parsed = fromLookupEvent(
      { EventId: "x", EventName: "DescribeInstances", ReadOnly: "false", CloudTrailEvent: JSON.stringify(record) },
      "eu-west-1",
    );
    expect(parsed).toMatchObject({ readOnly: false, readOnlyDerived: false, region: "eu-west-1" });
  });

  it("rebuilds an event from the LookupEvents summary when CloudTrailEvent is not JSON", () => {
    const parsed = fromLookupEvent(
      {
        EventId: "y",
        EventName: "CreateUser",
        AccessKeyId: KEY,
        EventTime: new Date("2026-11-28T02:00:00Z"),
        EventSource: "iam.amazonaws.com",
        CloudTrailEvent: "{",
      },
      "us-east-1",
    );
    expect(parsed).toMatchObject({
      eventId: "y",
      eventName: "CreateUser",
      eventTime: "2026-11-28T02:00:00Z",
      accessKeyId: KEY,
      readOnly: false,
      readOnlyDerived: true,
    });
  });
});

describe("fromRecord", () => {
  it.each([
    [[], "expected a CloudTrail event (a JSON object)"],
    [{ eventName: "X", eventTime: "2026-11-28T02:00:00Z" }, "the event has no eventID"],
    [{ eventID: "a", eventTime: "2026-11-28T02:00:00Z" }, "event a has no eventName"],
    [{ eventID: "a", eventName: "X", eventTime: "noon" }, "event a has no valid eventTime"],
  ])("rejects %j: %s", (record, message) => {
    expect(fromRecord(record)).toBe(message);
  });
});

describe("classify", () => {
  it.each([
    [{ eventName: "CreateUser" }, "persistence"],
    [{ eventName: "CreateUser", errorCode: "AccessDenied" }, null],
    [{ eventName: "CreateAccessKey" }, "persistence"],
    [{ eventName: "UpdateAssumeRolePolicy" }, "persistence"],
    [{ eventName: "UpdateFunctionCode20150331v2", eventSource: "lambda.amazonaws.com" }, "persistence"],
    [{ eventName: "AddPermission20150331v2", eventSource: "lambda.amazonaws.com" }, "persistence"],
    [{ eventName: "AddPermission", eventSource: "sns.amazonaws.com" }, null],
    [{ eventName: "CreateTrustAnchor", eventSource: "rolesanywhere.amazonaws.com" }, "persistence"],
    [
      { eventName: "ConsoleLogin", eventSource: "signin.amazonaws.com", responseElements: { ConsoleLogin: "Success" } },
      "persistence",
    ],
    [
      { eventName: "ConsoleLogin", eventSource: "signin.amazonaws.com", responseElements: { ConsoleLogin: "Failure" } },
      null,
    ],
    [{ eventName: "AttachUserPolicy" }, "privilege-escalation"],
    [{ eventName: "CreatePolicyVersion" }, "privilege-escalation"],
    [{ eventName: "CreateFunction20150331", eventSource: "lambda.amazonaws.com" }, "privilege-escalation"],
    [{ eventName: "StopLogging" }, "defense-evasion"],
    [{ eventName: "DeleteTrail" }, "defense-evasion"],
    [{ eventName: "DeactivateMFADevice" }, "defense-evasion"],
    [{ eventName: "GetSecretValue" }, "credential-access"],
    [
      { eventName: "GetParameter", requestParameters: { name: "/db/password", withDecryption: true } },
      "credential-access",
    ],
    [{ eventName: "GetParameter", requestParameters: { name: "/app/region" } }, null],
    [{ eventName: "ModifySnapshotAttribute" }, "exfiltration"],
    [{ eventName: "SendCommand" }, "execution"],
    [{ eventName: "DescribeInstances" }, null],
    // Names of Object.prototype's own, as a forged record can write them (found by fast-check, issue 22).
    [{ eventName: "__proto__" }, null],
    [{ eventName: "constructor" }, null],
    [{ eventName: "toString" }, null],
  ])("%j is %s", (fields, category) => {
    expect(classify(event(fields))).toBe(category);
  });
});

describe("isDenied", () => {
  it.each([
    ["AccessDenied", true],
    ["AccessDeniedException", true],
    ["Client.UnauthorizedOperation", true],
    ["UnauthorizedOperation", true],
    ["AuthorizationError", true],
    ["ThrottlingException", false],
    ["NoSuchEntityException", false],
  ])("%s: %s", (errorCode, denied) => {
    expect(isDenied(event({ eventName: "DescribeInstances", errorCode }))).toBe(denied);
  });

  it("a successful call is not denied", () => {
    expect(isDenied(event({ eventName: "DescribeInstances" }))).toBe(false);
  });
});

describe("actionOf", () => {
  it.each([
    ["UpdateFunctionCode20150331v2", "UpdateFunctionCode"],
    ["CreateFunction20150331", "CreateFunction"],
    ["PublishLayerVersion20181031", "PublishLayerVersion"],
    ["CreateUser", "CreateUser"],
  ])("%s → %s", (eventName, action) => {
    expect(actionOf(eventName)).toBe(action);
  });
});

describe("analyze", () => {
  it("groups writes and denials by service and action, tallies addresses, and lists assumed roles", async () => {
    const events = [
      event({
        eventId: "1",
        eventName: "CreateUser",
        eventSource: "iam.amazonaws.com",
        eventTime: "2026-11-28T02:00:00Z",
        sourceIPAddress: "198.51.100.7",
        requestParameters: { userName: "svc" },
      }),
      event({
        eventId: "2",
        eventName: "CreateUser",
        eventSource: "iam.amazonaws.com",
        eventTime: "2026-11-28T02:01:00Z",
        sourceIPAddress: "198.51.100.7",
        requestParameters: { userName: "svc2" },
      }),
      event({
        eventId: "3",
        eventName: "RunInstances",
        eventSource: "ec2.amazonaws.com",
        eventTime: "2026-11-28T02:02:00Z",
        sourceIPAddress: "203.0.113.9",
      }),
      event({
        eventId: "4",
        eventName: "DescribeInstances",
        eventSource: "ec2.amazonaws.com",
        eventTime: "2026-11-28T02:03:00Z",
        sourceIPAddress: "203.0.113.9",
      }),
      event({
        eventId: "5",
        eventName: "RunInstances",
        eventSource: "ec2.amazonaws.com",
        eventTime: "2026-11-28T02:04:00Z",
        errorCode: "Client.UnauthorizedOperation",
        sourceIPAddress: "203.0.113.9",
      }),
      event({
        eventId: "6",
        eventName: "AssumeRole",
        eventSource: "sts.amazonaws.com",
        eventTime: "2026-11-28T02:05:00Z",
        readOnly: false,
        requestParameters: { roleArn: "arn:aws:iam::111122223333:role/deploy" },
        responseElements: { credentials: { accessKeyId: "ASIAEXAMPLESESSION01" } },
      }),
      event({
        eventId: "7",
        eventName: "AssumeRole",
        eventSource: "sts.amazonaws.com",
        eventTime: "2026-11-28T02:06:00Z",
        readOnly: false,
        errorCode: "AccessDenied",
        requestParameters: { roleArn: "arn:aws:iam::111122223333:role/admin" },
      }),
      event({
        eventId: "8",
        eventName: "ListBuckets",
        readOnly: true,
        eventSource: "s3.amazonaws.com",
        eventTime: "2026-11-28T02:07:00Z",
        accessKeyId: "ASIAEXAMPLESESSION01",
        sourceIPAddress: "203.0.113.9",
      }),
    ];
    const review = analyze(await followChain(KEY, { start: null, end: null }, logSource(events)));
    expect(review.writes.map(({ service, action, count }) => [service, action, count])).toEqual([
      ["ec2", "RunInstances", 1],
      ["iam", "CreateUser", 2],
      ["sts", "AssumeRole", 1],
    ]);
    expect(review.denied.map(({ service, action, count, errorCodes }) => [service, action, count, errorCodes])).toEqual(
      [
        ["ec2", "RunInstances", 1, ["Client.UnauthorizedOperation"]],
        ["sts", "AssumeRole", 1, ["AccessDenied"]],
      ],
    );
    // Most calls first; ties by address.
    expect(review.sourceIPs.map((ip) => [ip.value, ip.count])).toEqual([
      ["203.0.113.9", 4],
      ["198.51.100.7", 2],
      ["203.0.113.66", 2],
    ]);
    expect(review.rolesAssumed).toEqual(["arn:aws:iam::111122223333:role/deploy"]);
    expect(review.findings.map((f) => [f.eventId, f.category, f.target])).toEqual([
      ["1", "persistence", "userName=svc"],
      ["2", "persistence", "userName=svc2"],
      ["3", "execution", ""],
    ]);
    expect(review.keys.map((k) => [k.accessKeyId, k.parent, k.mintedBy, k.events])).toEqual([
      [KEY, null, null, 7],
      ["ASIAEXAMPLESESSION01", KEY, "AssumeRole", 1],
    ]);
  });
});
