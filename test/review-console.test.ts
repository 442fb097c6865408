/**
 * A console session opened from a followed key (aws_consoler's path): the key mints a session
 * (GetFederationToken, AssumeRole), the session calls the federation endpoint's GetSigninToken, and
 * the console then signs its calls with keys of its own, tied to the chain by nothing but the
 * principal's ARN. The review must say it was opened, and that what was done in it is not in the
 * review: INCOMPLETE, in every format, on stderr, and in the exit code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { fromRecord, type ReviewEvent } from "../review/core/event.ts";
import { followChain } from "../review/core/chain.ts";
import { analyze } from "../review/core/findings.ts";
import { logSource } from "../review/logs/two-passes.ts";
import { incomplete } from "../review/render/context.ts";
import { renderJson } from "../review/render/json.ts";
import { renderText } from "../review/render/text.ts";
import { KEY, logFolder, ONE_LOG_FILE } from "./support/review-logs.ts";

const ACCOUNT = "111122223333";
const SESSION_KEY = "ASIAEXAMPLESESSION01";
const CONSOLE_KEY = "ASIAEXAMPLECONSOLE01";
const FEDERATED = `arn:aws:sts::${ACCOUNT}:federated-user/x`;

/** A record as CloudTrail writes one, by `identity`. */
function record(
  id: string,
  eventName: string,
  eventTime: string,
  identity: Record<string, unknown>,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    eventVersion: "1.08",
    userIdentity: { accountId: ACCOUNT, ...identity },
    eventTime,
    eventSource: "iam.amazonaws.com",
    eventName,
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.66",
    userAgent: "aws-cli/2.15.0",
    requestParameters: null,
    responseElements: null,
    eventID: id,
    eventType: "AwsApiCall",
    recipientAccountId: ACCOUNT,
    ...fields,
  };
}

const leakedUser = {
  type: "IAMUser",
  principalId: "AIDAEXAMPLELEAKY0001",
  arn: `arn:aws:iam::${ACCOUNT}:user/leaky`,
  accessKeyId: KEY,
  userName: "leaky",
};
const federated = (accessKeyId: string | null) => ({
  type: "FederatedUser",
  principalId: `${ACCOUNT}:x`,
  arn: FEDERATED,
  ...(accessKeyId === null ? {} : { accessKeyId }),
  sessionContext: {
    sessionIssuer: {
      type: "IAMUser",
      principalId: "AIDAEXAMPLELEAKY0001",
      arn: `arn:aws:iam::${ACCOUNT}:user/leaky`,
      accountId: ACCOUNT,
      userName: "leaky",
    },
    attributes: { creationDate: "2026-11-28T02:00:00Z", mfaAuthenticated: "false" },
  },
});

/** The attack as the reviewer found it: the key's GetFederationToken, the session's GetSigninToken, a console sign-in, and a backdoor made from the console. */
function consoleAttack(signinError?: string): Record<string, unknown>[] {
  return [
    record("e1-federation", "GetFederationToken", "2026-11-28T02:00:00Z", leakedUser, {
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      requestParameters: { name: "x", durationSeconds: 3600 },
      responseElements: {
        credentials: { accessKeyId: SESSION_KEY, expiration: "Nov 28, 2026, 3:00:00 AM" },
        federatedUser: { federatedUserId: `${ACCOUNT}:x`, arn: FEDERATED },
      },
    }),
    record("e2-signin-token", "GetSigninToken", "2026-11-28T02:05:00Z", federated(SESSION_KEY), {
      eventSource: "signin.amazonaws.com",
      eventType: "AwsConsoleSignIn",
      userAgent: "python-requests/2.31.0",
      responseElements: { GetSigninToken: signinError === undefined ? "Success" : "Failure" },
      ...(signinError === undefined ? {} : { errorCode: signinError }),
    }),
    record("e3-console-login", "ConsoleLogin", "2026-11-28T02:06:00Z", federated(null), {
      eventSource: "signin.amazonaws.com",
      eventType: "AwsConsoleSignIn",
      responseElements: { ConsoleLogin: "Success" },
    }),
    record("e4-backdoor-user", "CreateUser", "2026-11-28T02:10:00Z", federated(CONSOLE_KEY), {
      readOnly: false,
      requestParameters: { userName: "backdoor" },
    }),
    record("e5-backdoor-policy", "AttachUserPolicy", "2026-11-28T02:11:00Z", federated(CONSOLE_KEY), {
      readOnly: false,
      requestParameters: { userName: "backdoor", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    }),
  ];
}

async function review(records: Record<string, unknown>[], ...flags: string[]) {
  const dir = logFolder({ "trail.json": JSON.stringify({ Records: records }) });
  const io = memoryIo({ cwd: dir });
  const code = await main(["review", "--access-key", KEY, "--from-logs", ".", ...flags], io);
  return { code, stdout: io.stdout, stderr: io.stderr, dir };
}

const SESSION_PART = `console session of ${FEDERATED}`;
// The session's credentials expire at 03:00; the console session can last 12 hours from 02:05.
const SESSION_REASON =
  "opened at 2026-11-28T02:05:00Z by ASIAEXAMPLESESSION01 (GetSigninToken, event e2-signin-token); the console signs its calls with keys of its own, which no event read ties to the chain, so they were not followed: read the calls whose userIdentity.arn is this principal from 2026-11-28T02:05:00Z until 2026-11-28T14:05:00Z";
const INCOMPLETE_LINE =
  "INCOMPLETE: 1 console session was opened from the chain's keys and not followed; what was done in it is missing from this review:";

describe("a console session opened from a followed key", () => {
  const window = ["--since", "2026-11-28T00:00:00Z", "--until", "2026-11-29T00:00:00Z"];

  it("is a finding, and marks the review INCOMPLETE in the text, with exit 2 and a line on stderr", async () => {
    const { code, stdout, stderr } = await review(consoleAttack(), ...window);
    expect(code).toBe(2);
    const lines = stdout.split("\n");
    const at = lines.indexOf(INCOMPLETE_LINE);
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe(`  ${SESSION_PART}: ${SESSION_REASON}`);
    expect(stdout).toContain(
      `2026-11-28T02:05:00Z  GetSigninToken  signin  ${FEDERATED}  by ${SESSION_KEY}  (us-east-1)`,
    );
    expect(stderr).toContain(`cordon review: INCOMPLETE: ${SESSION_PART} not followed: ${SESSION_REASON}\n`);
  });

  it("is in the JSON's unreadable list, with the principal and the window, and the review is not complete", async () => {
    const { code, stdout } = await review(consoleAttack(), ...window, "--json");
    expect(code).toBe(2);
    const json = JSON.parse(stdout);
    expect(json.review.complete).toBe(false);
    expect(json.review.unreadable).toEqual([
      {
        part: SESSION_PART,
        reason: SESSION_REASON,
        principalArn: FEDERATED,
        from: "2026-11-28T02:05:00Z",
        until: "2026-11-28T14:05:00Z",
      },
    ]);
    expect(json.persistence.map((f: { eventName: string }) => f.eventName)).toEqual(["GetSigninToken"]);
  });

  it("is said at the top of the markdown", async () => {
    const { code, stdout } = await review(consoleAttack(), ...window, "--markdown");
    expect(code).toBe(2);
    expect(stdout).toContain(`> ${INCOMPLETE_LINE}\n> ${SESSION_PART}: ${SESSION_REASON}\n`);
  });

  it("is said at the top of the HTML page", async () => {
    const { code, dir } = await review(consoleAttack(), ...window, "--html", "page.html");
    expect(code).toBe(2);
    const page = readFileSync(join(dir, "page.html"), "utf8");
    expect(page).toContain(`<p class="problem">${INCOMPLETE_LINE.replaceAll("'", "&#39;")}</p>`);
    expect(page).toContain(`<p class="problem">${SESSION_PART}: ${SESSION_REASON}</p>`);
  });

  it("is not followed past the review's end", async () => {
    const { stdout } = await review(
      consoleAttack(),
      "--since",
      "2026-11-28T00:00:00Z",
      "--until",
      "2026-11-28T04:00:00Z",
      "--json",
    );
    expect(JSON.parse(stdout).review.unreadable[0].until).toBe("2026-11-28T04:00:00Z");
  });

  it("lasts as long as the session's credentials when they outlive 12 hours", async () => {
    const records = consoleAttack();
    (records[0].responseElements as { credentials: { expiration: string } }).credentials.expiration =
      "2026-11-28T20:00:00Z";
    const { stdout } = await review(records, ...window, "--json");
    expect(JSON.parse(stdout).review.unreadable[0].until).toBe("2026-11-28T20:00:00Z");
  });

  it("opened before --since and alive into the window, is named as well, among the calls before the window", async () => {
    const { code, stdout } = await review(
      consoleAttack(),
      "--since",
      "2026-11-28T03:00:00Z",
      "--until",
      "2026-11-29T00:00:00Z",
    );
    expect(code).toBe(2);
    const lines = stdout.split("\n");
    expect(lines[lines.indexOf(INCOMPLETE_LINE) + 1]).toBe(`  ${SESSION_PART}: ${SESSION_REASON}`);
    expect(stdout).toContain(
      `  2026-11-28T02:05:00Z  GetSigninToken  by ${SESSION_KEY}  → console session of ${FEDERATED}, not followed (INCOMPLETE)  (us-east-1)`,
    );
  });

  it("opened before --since and over before it, is none", async () => {
    const { code, stdout } = await review(
      consoleAttack(),
      "--since",
      "2026-11-28T15:00:00Z",
      "--until",
      "2026-11-29T00:00:00Z",
      "--json",
    );
    // Nothing of the key's chain is in the window: not found, and nothing left unfollowed.
    expect(code).toBe(3);
    expect(JSON.parse(stdout).review.unreadable).toEqual([]);
  });

  it("is none when GetSigninToken says Failure without an error code: the review is complete, and says Failure", async () => {
    const records = consoleAttack();
    records[1].responseElements = { GetSigninToken: "Failure" };
    const { code, stdout } = await review(records, ...window, "--json");
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.review.complete).toBe(true);
    expect(json.review.unreadable).toEqual([]);
    expect(json.persistence).toEqual([]);
    const signin = json.events.find((e: { eventId: string }) => e.eventId === "e2-signin-token");
    expect(signin.responseElements).toEqual({ GetSigninToken: "Failure" });
  });

  it("shows GetSigninToken's Success as CloudTrail wrote it: a result, not a token", async () => {
    const { stdout } = await review(consoleAttack(), ...window, "--json");
    const signin = JSON.parse(stdout).events.find((e: { eventId: string }) => e.eventId === "e2-signin-token");
    expect(signin.responseElements).toEqual({ GetSigninToken: "Success" });
  });

  it("is none when GetSigninToken failed: the review is complete", async () => {
    const { code, stdout } = await review(consoleAttack("AccessDenied"), ...window, "--json");
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.review.complete).toBe(true);
    expect(json.review.unreadable).toEqual([]);
  });
});

describe("whatever a GetSigninToken's record says of its result", () => {
  // Every combination, not a sample: the space is small, and each one is a rule.
  const results = [undefined, "Success", "Failure", "success", "Pending"];
  const errorCodes = [undefined, "AccessDenied", "InvalidToken"];
  const cases = results.flatMap((result) => errorCodes.map((errorCode) => ({ result, errorCode })));

  it.each(cases)(
    "GetSigninToken: $result, errorCode: $errorCode: opened, and the review INCOMPLETE, unless it says Failure or carries an error code",
    async ({ result, errorCode }) => {
      const records = consoleAttack();
      records[1].responseElements = result === undefined ? null : { GetSigninToken: result };
      if (errorCode !== undefined) records[1].errorCode = errorCode;
      const { code, stdout } = await review(records, "--since", "2026-11-28T00:00:00Z", "--json");
      const opened = errorCode === undefined && result !== "Failure";
      expect(code).toBe(opened ? 2 : 0);
      const json = JSON.parse(stdout);
      expect(json.review.complete).toBe(!opened);
      expect(json.review.unreadable.map((u: { part: string }) => u.part)).toEqual(opened ? [SESSION_PART] : []);
      expect(json.persistence.map((f: { eventName: string }) => f.eventName)).toEqual(opened ? ["GetSigninToken"] : []);
    },
  );
});

describe("whatever principal a GetSigninToken names", () => {
  it("the review is incomplete, names the principal exactly in the JSON, and on one line in the text", async () => {
    const principal = fc.option(fc.string({ maxLength: 60 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(principal, fc.constantFrom(KEY, SESSION_KEY), async (arn, signer) => {
        const records = consoleAttack();
        const signin = records[1] as { userIdentity: Record<string, unknown> };
        signin.userIdentity = { ...signin.userIdentity, accessKeyId: signer };
        if (arn === undefined) delete signin.userIdentity.arn;
        else signin.userIdentity.arn = arn;
        const events = records.map((r) => fromRecord(r) as ReviewEvent);
        const result = analyze(await followChain(KEY, { start: null, end: null }, logSource(events)));
        expect(incomplete(result, ONE_LOG_FILE)).toBe(true);
        const named = arn === undefined || arn === "" ? null : arn;
        expect(JSON.parse(renderJson(result, ONE_LOG_FILE)).review.unreadable[0].principalArn).toBe(named);
        const lines = renderText(result, ONE_LOG_FILE).split("\n");
        const at = lines.indexOf(INCOMPLETE_LINE);
        expect(lines[at + 1]).toMatch(/^ {2}console session of .*: opened at 2026-11-28T02:05:00Z by (ASIA|AKIA)/);
        expect(lines[at + 2]).toMatch(/^\S/);
      }),
    );
  });
});
