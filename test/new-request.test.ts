/**
 * What `new` decides from its flags alone (incident/new-request.ts), without a file system, a
 * clock or AWS: every kind of title, ticket and key id either makes a request whose text fits its
 * field, or one refusal that names the flag; the order of the checks; the defaults.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACCESS_KEY_ID,
  accessKeyFlagProblem,
  iamNameFlagProblem,
  TICKET_MAX_LENGTH,
  TITLE_MAX_LENGTH,
} from "../incident/fields.ts";
import { maskSecrets } from "../incident/load.ts";
import { DEFAULT_LOOKUP_SECONDS, type NewFlags, type NewRequest, newRequest } from "../incident/new-request.ts";

const NOW = new Date("2026-11-28T02:16:00Z");
const KEY = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

function request(flags: NewFlags): NewRequest {
  const made = newRequest(flags, NOW);
  if ("usage" in made) throw new Error(`refused: ${made.usage}`);
  return made;
}

function refusal(flags: NewFlags): string {
  const made = newRequest(flags, NOW);
  if (!("usage" in made)) throw new Error("not refused");
  return made.usage;
}

const keyId = fc.stringMatching(/^AKIA[A-Z0-9]{16}$/);

describe("newRequest: the flags alone", () => {
  it("a title and a key: the defaults, IAM asked, roles from CloudTrail, no notes", () => {
    expect(request({ title: "CI key in public repo", "access-key": [KEY] })).toEqual({
      keys: [KEY],
      title: "CI key in public repo",
      mode: "revoke-older-sessions",
      id: "2026-11-28-ci-key-in-public-repo",
      cutoff: "at-containment",
      userNames: [],
      roleNames: [],
      roots: [],
      lookupSeconds: DEFAULT_LOOKUP_SECONDS,
      rolesFrom: "cloudtrail",
      askIam: true,
      notes: [],
    });
  });

  it("one --user owns the keys: IAM is not asked, and no roles are looked up by default", () => {
    const made = request({ title: "t", "access-key": [KEY], user: ["ci"], account: "123456789012" });
    expect(made).toMatchObject({ askIam: false, rolesFrom: "none", account: "123456789012", userNames: ["ci"] });
  });

  it("a cutoff instant is written in UTC; a ticket is kept", () => {
    const made = request({ title: "t", user: ["ci"], cutoff: "2026-11-28T03:16:00+01:00", ticket: "SEC-1" });
    expect(made).toMatchObject({ cutoff: "2026-11-28T02:16:00Z", ticket: "SEC-1" });
  });

  it.each<[NewFlags, string]>([
    [{ user: ["ci"] }, '--title is required: what happened, in one line, such as --title "CI key in public repo"'],
    [
      { title: "t" },
      "name at least one principal: --access-key ID (IAM finds its user), --user NAME, --role NAME or --root ACCOUNT",
    ],
    [
      { title: "t", user: ["ci"], "roles-from": "cloudtrail" },
      "--roles-from cloudtrail: looks up what an access key did: give --access-key ID",
    ],
    [
      { title: "t", role: ["r"], "roles-from": "assumable" },
      "--roles-from assumable: looks up what a user can assume: give --access-key ID or --user NAME",
    ],
    [
      { title: "t", user: ["ci"], "roles-from": "all" },
      '--roles-from "all": expected cloudtrail (the roles the key assumed), assumable (every role the user can assume) or none',
    ],
    [
      { title: "t", user: ["ci"], "lookup-seconds": "301" },
      '--lookup-seconds "301": expected a whole number of seconds from 1 to 300',
    ],
    [
      { title: "t", user: ["ci"], "lookup-seconds": "0" },
      '--lookup-seconds "0": expected a whole number of seconds from 1 to 300',
    ],
    [{ title: "t", root: ["1234"] }, '--root "1234": expected an AWS account id of 12 digits'],
    [{ title: "t", user: ["ci"], account: "1234" }, '--account "1234": expected an AWS account id of 12 digits'],
    [
      { title: "   ", user: ["ci"] },
      '--title: found no text, expected what happened, in one line, such as --title "CI key in public repo"',
    ],
  ])("refuses %j: %s", (flags, message) => {
    expect(refusal(flags)).toBe(message);
  });

  it("checks in the order the usage lists them: the key before the title, the title before the principals", () => {
    expect(refusal({ "access-key": ["nope"] })).toBe(accessKeyFlagProblem("nope"));
    expect(refusal({ user: ["bad name"] })).toContain("--title is required");
    expect(refusal({ title: "t", user: ["bad name"], role: ["also bad"] })).toBe(
      iamNameFlagProblem("user", "bad name"),
    );
  });

  it("a blank title with keys: the fallback, said in a note", () => {
    const made = request({ title: " \n ", "access-key": [KEY, KEY] });
    expect(made.keys).toEqual([KEY]);
    expect(made.title).toBe(`Exposed access key ${KEY}`);
    expect(made.notes).toEqual([`--title was blank: written "Exposed access key ${KEY}"`]);
  });

  it("a secret typed into the title or ticket is masked and said, never kept", () => {
    const made = request({ title: `leaked ${SECRET}`, ticket: SECRET, user: ["ci"] });
    expect(made.title).toBe("leaked (secret not shown)");
    expect(made.ticket).toBe("(secret not shown)");
    expect(JSON.stringify(made)).not.toContain(SECRET);
    expect(made.notes).toEqual([
      '--title held what looks like a secret access key: written as "(secret not shown)"; treat that key as exposed',
      '--ticket held what looks like a secret access key: written as "(secret not shown)"; treat that key as exposed',
    ]);
  });

  it("any title, with a key: a request whose title is one line within the limit, secrets masked", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.string({ unit: "binary", maxLength: 300 }),
          fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}${SECRET}\n${b}`),
        ),
        keyId,
        (title, key) => {
          const made = request({ title, "access-key": [key] });
          expect([...made.title].length).toBeLessThanOrEqual(TITLE_MAX_LENGTH);
          expect(made.title).not.toMatch(/[\r\n]/);
          expect(made.title).not.toBe("");
          expect(maskSecrets(made.title)).toBe(made.title);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("any ticket: none when blank, else one line within the limit; never a refusal", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (ticket) => {
        const made = request({ title: "t", ticket, user: ["ci"] });
        if (made.ticket === undefined) expect(made.notes).toContain("--ticket was blank: no ticket written");
        else {
          expect([...made.ticket].length).toBeLessThanOrEqual(TICKET_MAX_LENGTH);
          expect(made.ticket).not.toMatch(/[\r\n]/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("any key id: accepted once each in the order given when it is one, else refused with its own message", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(keyId, fc.string({ maxLength: 24 })), { minLength: 1, maxLength: 5 }), (keys) => {
        const made = newRequest({ title: "t", "access-key": keys }, NOW);
        const bad = keys.find((key) => !ACCESS_KEY_ID.test(key));
        if (bad !== undefined) expect(made).toEqual({ usage: accessKeyFlagProblem(bad) });
        else expect(made).toMatchObject({ keys: [...new Set(keys)], askIam: true });
      }),
      { numRuns: 300 },
    );
  });
});
