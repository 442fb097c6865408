import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  followChain,
  LOOKBACK_MS,
  leadsFrom,
  MAX_LIFETIME_MS,
  parseExpiration,
  uncoveredWindows as uncovered,
  type EventSource,
  type Subject,
  type Window,
} from "../review/core/chain.ts";
import { fromRecord, type ReviewEvent } from "../review/core/event.ts";
import { trailRecord, type RecordFields } from "../emulators/cloudtrail-server.ts";

const ROOT = "AKIAEXAMPLEROOT00001";
const ASIA1 = "ASIAEXAMPLESESSION01";
const ASIA2 = "ASIAEXAMPLEROLE00002";
const HOUR = 3_600_000;

function event(fields: Partial<RecordFields> & Pick<RecordFields, "eventId" | "eventName" | "eventTime">): ReviewEvent {
  const parsed = fromRecord(trailRecord({ region: "us-east-1", ...fields }));
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

const at = (iso: string) => Date.parse(iso);

describe("parseExpiration", () => {
  it.each([
    ["Jul 10, 2023, 12:09:47 PM", Date.UTC(2023, 6, 10, 12, 9, 47)],
    ["Nov 30, 2024, 8:43:17 PM", Date.UTC(2024, 10, 30, 20, 43, 17)],
    ["Jan 1, 2024, 12:00:00 AM", Date.UTC(2024, 0, 1, 0, 0, 0)],
    ["Jan 1, 2024, 9:05:00 AM", Date.UTC(2024, 0, 1, 9, 5, 0)],
    ["2024-01-01T10:00:00Z", Date.UTC(2024, 0, 1, 10, 0, 0)],
    ["2024-01-01T10:00:00.000+02:00", Date.UTC(2024, 0, 1, 8, 0, 0)],
    ["2024-01-01T10:00:00", Date.UTC(2024, 0, 1, 10, 0, 0)],
  ])("reads %s", (text, expected) => {
    expect(parseExpiration(text)).toBe(expected);
  });

  it.each([["tomorrow"], ["Foo 1, 2024, 1:00:00 PM"], [""], [null], [1700000000]])("gives null for %j", (value) => {
    expect(parseExpiration(value)).toBeNull();
  });
});

describe("leadsFrom", () => {
  const minting = (eventName: string, credentials: Record<string, unknown>, extra: Partial<RecordFields> = {}) =>
    event({
      eventId: "mint",
      eventName,
      eventTime: "2026-11-28T02:00:00Z",
      accessKeyId: ROOT,
      userName: "ci",
      eventSource: "sts.amazonaws.com",
      responseElements: { credentials: { sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE", ...credentials } },
      ...extra,
    });

  it("follows a GetSessionToken key until the expiration the event gives", () => {
    const [lead] = leadsFrom(
      minting("GetSessionToken", { accessKeyId: ASIA1, expiration: "Nov 28, 2026, 8:00:00 AM" }),
      null,
    );
    expect(lead).toEqual({
      subject: { kind: "key", accessKeyId: ASIA1 },
      window: { start: at("2026-11-28T02:00:00Z"), end: at("2026-11-28T08:00:00Z") },
      parent: ROOT,
      mintedBy: "GetSessionToken",
      mintedAt: "2026-11-28T02:00:00Z",
      mintedEventId: "mint",
      roleArn: null,
      userName: null,
    });
  });

  it.each([
    ["GetSessionToken", 36],
    ["GetFederationToken", 36],
    ["AssumeRole", 12],
    ["AssumeRoleWithWebIdentity", 12],
  ])("without an expiration, follows a %s key for its longest possible life, %i h", (eventName, hours) => {
    const [lead] = leadsFrom(minting(eventName, { accessKeyId: ASIA1 }), null);
    expect(lead.window).toEqual({ start: at("2026-11-28T02:00:00Z"), end: at("2026-11-28T02:00:00Z") + hours * HOUR });
  });

  it.each(["__proto__", "constructor", "hasOwnProperty"])(
    "a call named %s with credentials in its answer mints nothing (issue 22)",
    (eventName) => {
      expect(leadsFrom(minting(eventName, { accessKeyId: ASIA1 }), null)).toEqual([]);
    },
  );

  it("never follows a key past the end of the review", () => {
    const end = at("2026-11-28T03:00:00Z");
    expect(leadsFrom(minting("AssumeRole", { accessKeyId: ASIA2 }), end)[0].window.end).toBe(end);
  });

  it("names the role of an AssumeRole key", () => {
    const [lead] = leadsFrom(
      minting(
        "AssumeRole",
        { accessKeyId: ASIA2 },
        { requestParameters: { roleArn: "arn:aws:iam::111122223333:role/deploy", roleSessionName: "x" } },
      ),
      null,
    );
    expect(lead.roleArn).toBe("arn:aws:iam::111122223333:role/deploy");
  });

  it("follows a key made by CreateAccessKey until the end of the review, for its user", () => {
    const created = event({
      eventId: "ck",
      eventName: "CreateAccessKey",
      eventTime: "2026-11-28T02:00:00Z",
      accessKeyId: ROOT,
      userName: "ci",
      eventSource: "iam.amazonaws.com",
      requestParameters: { userName: "svc-backup" },
      responseElements: {
        accessKey: { accessKeyId: "AKIAEXAMPLECREATED01", userName: "svc-backup", status: "Active" },
      },
    });
    const [lead] = leadsFrom(created, at("2026-11-29T00:00:00Z"));
    expect(lead).toMatchObject({
      subject: { kind: "key", accessKeyId: "AKIAEXAMPLECREATED01" },
      window: { start: at("2026-11-28T02:00:00Z"), end: at("2026-11-29T00:00:00Z") },
      mintedBy: "CreateAccessKey",
      userName: "svc-backup",
    });
  });

  it.each(["CreateUser", "CreateLoginProfile", "UpdateLoginProfile"])(
    "follows the user that %s touched",
    (eventName) => {
      const made = event({
        eventId: "u",
        eventName,
        eventTime: "2026-11-28T02:00:00Z",
        accessKeyId: ROOT,
        userName: "ci",
        accountId: "111122223333",
        eventSource: "iam.amazonaws.com",
        requestParameters: { userName: "svc-backup" },
      });
      expect(leadsFrom(made, null)).toMatchObject([
        { subject: { kind: "user", userName: "svc-backup", accountId: "111122223333" }, mintedBy: eventName },
      ]);
    },
  );

  it("follows nothing from a call that failed", () => {
    const denied = minting("AssumeRole", { accessKeyId: ASIA2 }, { errorCode: "AccessDenied" });
    expect(leadsFrom(denied, null)).toEqual([]);
  });

  it("follows nothing from a call that mints nothing", () => {
    expect(
      leadsFrom(
        event({ eventId: "d", eventName: "DescribeInstances", eventTime: "2026-11-28T02:00:00Z", accessKeyId: ROOT }),
        null,
      ),
    ).toEqual([]);
  });
});

describe("uncovered", () => {
  it.each<[Window | undefined, Window, Window[]]>([
    [undefined, { start: 10, end: 20 }, [{ start: 10, end: 20 }]],
    [{ start: 10, end: 20 }, { start: 12, end: 18 }, []],
    [{ start: 10, end: 20 }, { start: 5, end: 20 }, [{ start: 5, end: 10 }]],
    [
      { start: 10, end: 20 },
      { start: 5, end: 25 },
      [
        { start: 5, end: 10 },
        { start: 20, end: 25 },
      ],
    ],
    [{ start: 10, end: null }, { start: 5, end: null }, [{ start: 5, end: 10 }]],
    [
      { start: 10, end: 20 },
      { start: null, end: null },
      [
        { start: null, end: 10 },
        { start: 20, end: null },
      ],
    ],
  ])("covered %j, wanted %j: reads %j", (covered, wanted, pieces) => {
    expect(uncovered(covered, wanted)).toEqual(pieces);
  });
});

/**
 * The chain of the issue: AKIA → GetSessionToken → ASIA1 → AssumeRole → ASIA2, with events of each
 * key inside and outside its lifetime.
 */
function chainEvents(): ReviewEvent[] {
  return [
    event({ eventId: "r1", eventName: "DescribeInstances", eventTime: "2026-11-28T01:00:00Z", accessKeyId: ROOT }),
    event({
      eventId: "r2",
      eventName: "GetSessionToken",
      eventTime: "2026-11-28T02:00:00Z",
      accessKeyId: ROOT,
      eventSource: "sts.amazonaws.com",
      responseElements: {
        credentials: { accessKeyId: ASIA1, expiration: "2026-11-28T08:00:00Z", sessionToken: "FwoGZXIvYXdzEXAMPLE" },
      },
    }),
    event({
      eventId: "s1",
      eventName: "CreateUser",
      eventTime: "2026-11-28T03:00:00Z",
      accessKeyId: ASIA1,
      eventSource: "iam.amazonaws.com",
      requestParameters: { userName: "svc-backup" },
    }),
    event({
      eventId: "s2",
      eventName: "AssumeRole",
      eventTime: "2026-11-28T04:00:00Z",
      accessKeyId: ASIA1,
      eventSource: "sts.amazonaws.com",
      requestParameters: { roleArn: "arn:aws:iam::111122223333:role/deploy" },
      responseElements: { credentials: { accessKeyId: ASIA2, expiration: "Nov 28, 2026, 5:00:00 AM" } },
    }),
    event({ eventId: "s-late", eventName: "DescribeInstances", eventTime: "2026-11-28T09:00:00Z", accessKeyId: ASIA1 }),
    event({
      eventId: "a1",
      eventName: "AttachUserPolicy",
      eventTime: "2026-11-28T04:30:00Z",
      accessKeyId: ASIA2,
      eventSource: "iam.amazonaws.com",
      requestParameters: { userName: "svc-backup", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    }),
    event({ eventId: "a-late", eventName: "DescribeInstances", eventTime: "2026-11-28T05:00:01Z", accessKeyId: ASIA2 }),
    event({
      eventId: "u1",
      eventName: "ConsoleLogin",
      eventTime: "2026-11-28T06:00:00Z",
      userName: "svc-backup",
      eventSource: "signin.amazonaws.com",
      responseElements: { ConsoleLogin: "Success" },
    }),
    event({
      eventId: "other",
      eventName: "DescribeInstances",
      eventTime: "2026-11-28T04:00:00Z",
      accessKeyId: "AKIAEXAMPLEOTHER0001",
    }),
  ];
}

/** A source over a list of events, recording what was asked. */
function memorySource(events: ReviewEvent[], asked: string[] = []): EventSource {
  return async (subject: Subject, window: Window, deliver) => {
    asked.push(subject.kind === "key" ? subject.accessKeyId : `user:${subject.userName}`);
    deliver(
      events.filter((e) => {
        const inWindow =
          (window.start === null || Date.parse(e.eventTime) >= window.start) &&
          (window.end === null || Date.parse(e.eventTime) <= window.end);
        const mine =
          subject.kind === "key"
            ? e.accessKeyId === subject.accessKeyId
            : e.identityType === "IAMUser" && e.userName === subject.userName;
        return inWindow && mine;
      }),
    );
  };
}

describe("followChain", () => {
  it("follows minted keys, role chaining and created users, each within its lifetime", async () => {
    const chain = await followChain(ROOT, { start: null, end: null }, memorySource(chainEvents()));
    expect(chain.events.map((e) => e.eventId)).toEqual(["r1", "r2", "s1", "s2", "a1", "u1"]);
    expect(chain.leads.map((lead) => [lead.subject, lead.parent, lead.mintedBy])).toEqual([
      [{ kind: "key", accessKeyId: ROOT }, null, null],
      [{ kind: "key", accessKeyId: ASIA1 }, ROOT, "GetSessionToken"],
      [{ kind: "user", userName: "svc-backup", accountId: "111122223333" }, ASIA1, "CreateUser"],
      [{ kind: "key", accessKeyId: ASIA2 }, ASIA1, "AssumeRole"],
    ]);
  });

  /** The user svc-backup given a password later: a second call that reveals a user already followed from an earlier instant. */
  const passwordLater = () =>
    event({
      eventId: "s3",
      eventName: "CreateLoginProfile",
      eventTime: "2026-11-28T03:30:00Z",
      accessKeyId: ASIA1,
      eventSource: "iam.amazonaws.com",
      requestParameters: { userName: "svc-backup" },
    });

  it("reads each subject once, even when two calls reveal it", async () => {
    const events = chainEvents().concat(passwordLater());
    const asked: string[] = [];
    await followChain(ROOT, { start: null, end: null }, memorySource(events, asked));
    expect([...asked].sort()).toEqual([ASIA1, ASIA2, ROOT, "user:svc-backup"].sort());
  });

  it("does not follow the reviewed key again when a later call shows it", async () => {
    const asked: string[] = [];
    const loop = event({
      eventId: "loop",
      eventName: "AssumeRole",
      eventTime: "2026-11-28T02:30:00Z",
      accessKeyId: ROOT,
      eventSource: "sts.amazonaws.com",
      responseElements: { credentials: { accessKeyId: ROOT } },
    });
    await followChain(ROOT, { start: null, end: null }, memorySource([loop], asked));
    expect(asked).toEqual([ROOT]);
  });

  it("passes on the first error of the source after every read settled", async () => {
    const failing: EventSource = async (subject, window, deliver) => {
      if (subject.kind === "key" && subject.accessKeyId === ASIA1) throw new Error("region down");
      return memorySource(chainEvents())(subject, window, deliver);
    };
    await expect(followChain(ROOT, { start: null, end: null }, failing)).rejects.toThrow("region down");
  });

  it("gives the same chain whatever order and batches the source answers in (property)", async () => {
    // Two calls reveal svc-backup: the report must name the earlier one, whichever arrives first.
    const events = chainEvents().concat(passwordLater());
    const expected = await followChain(ROOT, { start: null, end: null }, memorySource(events));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 5 }), { minLength: 20, maxLength: 20 }),
        fc.boolean(),
        async (delays, reverse) => {
          let call = 0;
          // Each read answers in shuffled single-event batches after a different number of turns of the event loop.
          const shuffled: EventSource = async (subject, window, deliver) => {
            const mine: ReviewEvent[] = [];
            await memorySource(events)(subject, window, (batch) => mine.push(...batch));
            const ordered = reverse ? mine.reverse() : mine;
            for (const one of ordered) {
              for (let i = 0; i < delays[call++ % delays.length]; i++) await Promise.resolve();
              deliver([one, one]);
            }
          };
          const chain = await followChain(ROOT, { start: null, end: null }, shuffled);
          expect(chain).toEqual(expected);
          expect(chain.leads.find((lead) => lead.subject.kind === "user")?.mintedBy).toBe("CreateUser");
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("credentials minted before the window (issue: sessions minted before --since)", () => {
  const SINCE = at("2026-11-29T10:00:00Z");
  const UNTIL = at("2026-11-30T10:00:00Z");
  const MINUTE = 60_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

  it("reads back as far as the longest lifetime of a minted credential, 36 h", () => {
    expect(LOOKBACK_MS).toBe(36 * HOUR);
  });

  it("follows a key minted before the window while it lives into it, keeps only its mint call from before (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GetSessionToken", "GetFederationToken", "AssumeRole"),
        fc.integer({ min: 1, max: 48 * 60 }),
        fc.option(fc.integer({ min: 15, max: 36 * 60 }), { nil: undefined }),
        fc.integer({ min: 0, max: 24 * 60 }),
        fc.integer({ min: 1, max: 48 * 60 }),
        fc.boolean(),
        async (call, mintedBefore, lifetime, usedAfter, otherBefore, keyInWindow) => {
          const mintedAt = SINCE - mintedBefore * MINUTE;
          const expiry = mintedAt + (lifetime === undefined ? MAX_LIFETIME_MS[call] : lifetime * MINUTE);
          const events = [
            event({
              eventId: "mint",
              eventName: call,
              eventTime: iso(mintedAt),
              accessKeyId: ROOT,
              eventSource: "sts.amazonaws.com",
              requestParameters: call === "AssumeRole" ? { roleArn: "arn:aws:iam::111122223333:role/deploy" } : {},
              responseElements: {
                credentials: { accessKeyId: ASIA1, ...(lifetime === undefined ? {} : { expiration: iso(expiry) }) },
              },
            }),
            // The session, in the window: a way back in.
            event({
              eventId: "use",
              eventName: "CreateUser",
              eventTime: iso(SINCE + usedAfter * MINUTE),
              accessKeyId: ASIA1,
              eventSource: "iam.amazonaws.com",
              requestParameters: { userName: "backdoor" },
            }),
            // The key's other calls before the window: never part of the review.
            event({
              eventId: "before",
              eventName: "DescribeInstances",
              eventTime: iso(SINCE - otherBefore * MINUTE),
              accessKeyId: ROOT,
            }),
            ...(keyInWindow
              ? [event({ eventId: "key", eventName: "ListUsers", eventTime: iso(SINCE + HOUR), accessKeyId: ROOT })]
              : []),
          ];
          const chain = await followChain(ROOT, { start: SINCE, end: UNTIL }, memorySource(events));
          const alive = expiry >= SINCE;
          const used = alive && SINCE + usedAfter * MINUTE <= expiry;
          expect(chain.earlier.map((e) => e.eventId)).toEqual(alive ? ["mint"] : []);
          expect(chain.events.map((e) => e.eventId).sort()).toEqual(
            [...(used ? ["use"] : []), ...(keyInWindow ? ["key"] : [])].sort(),
          );
          expect(chain.leads.map((lead) => lead.subject)).toEqual([
            { kind: "key", accessKeyId: ROOT },
            ...(alive ? [{ kind: "key", accessKeyId: ASIA1 }] : []),
            ...(used ? [{ kind: "user", userName: "backdoor", accountId: "111122223333" }] : []),
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads the reviewed key from 36 h before the window, and a session minted then from its minting", async () => {
    const asked: [string, Window][] = [];
    const source: EventSource = async (subject, window, deliver) => {
      asked.push([subject.kind === "key" ? subject.accessKeyId : subject.userName, window]);
      return memorySource(chainEvents())(subject, window, deliver);
    };
    const chain = await followChain(
      ROOT,
      { start: at("2026-11-28T03:30:00Z"), end: at("2026-11-28T12:00:00Z") },
      source,
    );
    expect(asked.sort(([a], [b]) => a.localeCompare(b))).toEqual([
      [ROOT, { start: at("2026-11-28T03:30:00Z") - 36 * HOUR, end: at("2026-11-28T12:00:00Z") }],
      // ASIA1's AssumeRole at 04:00 is in the window: ASIA2 is minted in it.
      [ASIA2, { start: at("2026-11-28T04:00:00Z"), end: at("2026-11-28T05:00:00Z") }],
      // Minted before the window, alive in it: read from its minting.
      [ASIA1, { start: at("2026-11-28T02:00:00Z"), end: at("2026-11-28T08:00:00Z") }],
      ["svc-backup", { start: at("2026-11-28T03:00:00Z"), end: at("2026-11-28T12:00:00Z") }],
    ]);
    // ASIA1's CreateUser at 03:00 is before the window and leads to a user still alive in it.
    expect(chain.earlier.map((e) => e.eventId)).toEqual(["r2", "s1"]);
    expect(chain.events.map((e) => e.eventId)).toEqual(["s2", "a1", "u1"]);
  });

  it("without a start, there is nothing before the window", async () => {
    const chain = await followChain(ROOT, { start: null, end: null }, memorySource(chainEvents()));
    expect(chain.earlier).toEqual([]);
  });
});
