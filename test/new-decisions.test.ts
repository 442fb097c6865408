/**
 * What `new` decides without a file system, a clock or AWS. From its flags alone
 * (incident/new-request.ts): every kind of title, ticket and key id either makes a request whose
 * text fits its field, or one refusal that names the flag; the order of the checks; the defaults.
 * Once AWS has answered (incident/new-draft.ts): each principal spelt as the folder spells it, the
 * roles once each, the keys under their owners, the note above the roles, the folder's new errors,
 * and the refusals word for word.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACCESS_KEY_ID,
  accessKeyFlagProblem,
  pastedKeyId,
  iamNameFlagProblem,
  TICKET_MAX_LENGTH,
  TITLE_MAX_LENGTH,
} from "../incident/fields.ts";
import { loadIncidents } from "../incident/load.ts";
import { maskSecrets } from "../incident/secrets.ts";
import {
  accountMismatch,
  collisionsOf,
  type DraftContext,
  draftIncident,
  mergedLookups,
  newOrganization,
  nextSteps,
  type RolesFound,
  roleNotes,
  spellingsOf,
  unreachableRoots,
} from "../incident/new-draft.ts";
import { DEFAULT_LOOKUP_SECONDS, type NewFlags, type NewRequest, newRequest } from "../incident/new-request.ts";
import { incidentTemplate } from "../incident/template.ts";

const NOW = new Date("2026-11-28T02:16:00Z");
const ACCOUNT = "123456789012";
const OTHER = "210987654321";
const KEY = "AKIAIOSFODNN7EXAMPLE";
const KEY2 = "AKIAI44QH8DHBEXAMPLE";
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
        // The white space a paste carries around a key id is dropped first (pastedKeyId).
        const pasted = keys.map(pastedKeyId);
        const bad = pasted.find((key) => !ACCESS_KEY_ID.test(key));
        if (bad !== undefined) expect(made).toEqual({ usage: accessKeyFlagProblem(bad) });
        else expect(made).toMatchObject({ keys: [...new Set(pasted)], askIam: true });
      }),
      { numRuns: 300 },
    );
  });
});

function context(over: Partial<DraftContext> = {}): DraftContext {
  return {
    account: ACCOUNT,
    owners: new Map(),
    lookedUp: { from: "none" },
    spelled: new Map(),
    schemaPath: "../schema/incident.schema.json",
    now: NOW,
    ...over,
  };
}

const found = (roleArns: string[], failed: RolesFound["failed"] = []): RolesFound => ({
  kind: "found",
  roleArns,
  source: "CloudTrail LookupEvents in 2 regions",
  failed,
  elsewhere: [],
});

/** A valid incident file, as `new` writes it, naming `user` and `role`. */
function file(id: string, user: string, role: string, key = KEY2) {
  const made = request({ title: id, id, "access-key": [key], user: [user], role: [role], account: ACCOUNT });
  const { incident } = draftIncident(made, context());
  return { path: `incidents/${id}.yaml`, text: incidentTemplate(incident) };
}

describe("draftIncident", () => {
  it("keys under the user IAM names, named roles first, then those found once each; the note says the window", () => {
    const made = request({ title: "t", "access-key": [KEY, KEY2], role: ["Deploy"] });
    const lookedUp = {
      from: "cloudtrail" as const,
      since: "2026-11-27T14:16:00Z",
      until: "2026-11-28T02:16:00Z",
      result: found([
        `arn:aws:iam::${ACCOUNT}:role/deploy`,
        `arn:aws:iam::${OTHER}:role/Audit`,
        `arn:aws:iam::${ACCOUNT}:role/aws-service-role/AWSServiceRoleForSupport`,
      ]),
    };
    const owners = new Map([
      [KEY, "ci"],
      [KEY2, "ops"],
    ]);
    const { incident, notes } = draftIncident(made, context({ owners, lookedUp }));
    expect(incident.users).toEqual([
      { name: "ci", accessKeys: [KEY] },
      { name: "ops", accessKeys: [KEY2] },
    ]);
    expect(incident.roles).toEqual([{ name: "Deploy" }, { name: "Audit", account: OTHER }]);
    expect(incident.ownersFromIam).toEqual([KEY, KEY2]);
    expect(incident.rolesNote).toEqual([
      "Found by cordon new: the roles the key and the sessions it minted assumed from 2026-11-27T14:16:00Z,",
      "or earlier with a session still alive then, in CloudTrail as it was at 2026-11-28T02:16:00Z (CloudTrail LookupEvents in 2 regions; a role session lives at most 12 h).",
      "CloudTrail delivers an event minutes after the call (about 5 on average, not guaranteed): calls of the 15 minutes before 2026-11-28T02:16:00Z, and the roles they assumed, may not be in it yet.",
      `After 2026-11-28T02:31:00Z, run npx cordon review --access-key ${KEY} --since 2026-11-27T14:16:00Z, then npx cordon review --access-key ${KEY2} --since 2026-11-27T14:16:00Z, and add here by pull request what the review lists under "add to the incident".`,
      `Left out: arn:aws:iam::${ACCOUNT}:role/aws-service-role/AWSServiceRoleForSupport (AWS manages it: it cannot carry a deny).`,
    ]);
    expect(notes).toEqual([]);
    expect(
      loadIncidents([{ path: `${incident.id}.yaml`, text: incidentTemplate(incident) }], { now: NOW }).errors,
    ).toEqual([]);
  });

  it("a principal the folder already names is written as the folder spells it, with a note after the request's", () => {
    const spelled = spellingsOf([file("2026-11-01-a", "CI", "Deploy")], NOW);
    const made = request({ title: `a\nb`, user: ["ci"], role: ["DEPLOY", "other"], account: ACCOUNT });
    const { incident, notes } = draftIncident(made, context({ spelled }));
    expect(incident.users).toEqual([{ name: "CI", accessKeys: [] }]);
    expect(incident.roles).toEqual([{ name: "Deploy" }, { name: "other" }]);
    const why = (type: string) => `IAM takes both for one ${type}, and cordon names its resources after one spelling`;
    expect(notes).toEqual([
      "--title had 2 lines: joined into one",
      `role "DEPLOY" is written "Deploy", as incidents/2026-11-01-a.yaml spells it: ${why("role")}`,
      `user "ci" is written "CI", as incidents/2026-11-01-a.yaml spells it: ${why("user")}`,
    ]);
  });

  it("any spelling of a known user: the folder's, and a folder with the draft stays free of new errors", () => {
    const present = [file("2026-11-01-a", "Build-Bot", "Deploy")];
    const spelled = spellingsOf(present, NOW);
    const spellings = fc
      .array(fc.boolean(), { minLength: 9, maxLength: 9 })
      .map((upper) => [..."build-bot"].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
    fc.assert(
      fc.property(spellings, (user) => {
        const made = request({ title: "t", id: "2026-11-28-b", "access-key": [KEY], user: [user], account: ACCOUNT });
        const { incident } = draftIncident(made, context({ spelled }));
        expect(incident.users).toEqual([{ name: "Build-Bot", accessKeys: [KEY] }]);
        const draft = { path: "incidents/2026-11-28-b.yaml", text: incidentTemplate(incident) };
        expect(collisionsOf(present, draft, NOW)).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });
});

describe("collisionsOf and spellingsOf", () => {
  it("only what the new file adds to the folder's errors", () => {
    const present = [file("2026-11-01-a", "ci", "Deploy")];
    const twin = { ...file("2026-11-01-a", "ops", "Other", KEY), path: "incidents/sub/2026-11-01-a.yaml" };
    const lines = collisionsOf(present, twin, NOW);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.startsWith("incidents/"))).toBe(true);
    expect(collisionsOf(present, file("2026-11-02-b", "ops", "Other", KEY), NOW)).toEqual([]);
  });

  it("the first file by path spells a principal; a file that does not load spells nothing", () => {
    const spelled = spellingsOf(
      [file("2026-11-02-b", "CI", "r"), file("2026-11-01-a", "Ci", "r"), { path: "incidents/bad.yaml", text: "id: [" }],
      NOW,
    );
    expect([...spelled.values()].map((s) => `${s.name} ${s.file}`)).toEqual([
      "Ci incidents/2026-11-01-a.yaml",
      "r incidents/2026-11-01-a.yaml",
    ]);
  });
});

describe("the refusals and what is said", () => {
  it("--root: no organization stack, or the management account; a member account passes", () => {
    expect(newOrganization(undefined)).toBeNull();
    expect(newOrganization({ config: { managementAccount: null } })).toBeUndefined();
    const organization = newOrganization({ config: { managementAccount: OTHER } });
    expect(unreachableRoots([ACCOUNT], organization)).toEqual([]);
    const [management] = unreachableRoots([OTHER], organization);
    expect(management.split("\n")[0]).toBe(
      `--root ${OTHER}: account ${OTHER} is the organization's management account, which no SCP restrains: cordon cannot contain its root user; only the root user can:`,
    );
    expect(management.split("\n")[1]).toBe("  (1) sign in as the root user (email and password, then its MFA)");
    expect(management.endsWith("  (6) then review what the key did: cordon review --access-key KEY\n")).toBe(true);
    expect(unreachableRoots([ACCOUNT, OTHER], null).map((m) => m.split(":")[1])).toEqual([
      ` no stack file here sets cordon`,
      ` no stack file here sets cordon`,
    ]);
    expect(unreachableRoots([ACCOUNT], undefined)).toEqual([]);
  });

  it("the credentials' account must be --account", () => {
    expect(accountMismatch(ACCOUNT, undefined)).toBeUndefined();
    expect(accountMismatch(ACCOUNT, ACCOUNT)).toBeUndefined();
    expect(accountMismatch(OTHER, ACCOUNT)).toBe(
      `the AWS credentials are in account ${OTHER}, not --account ${ACCOUNT}: IAM answered for the keys of account ${OTHER}; use credentials of account ${ACCOUNT}, or pass --user NAME to skip the lookup\n`,
    );
  });

  it("every key's lookup merged: each role and each failed region once, the roles sorted", () => {
    const merged = mergedLookups([
      found(["arn:b", "arn:a"], [{ region: "eu-west-1", reason: "x" }]),
      found(
        ["arn:a"],
        [
          { region: "eu-west-1", reason: "y" },
          { region: "us-east-2", reason: "z" },
        ],
      ),
    ]);
    expect(merged).toEqual({
      ...found(["arn:a", "arn:b"]),
      failed: [
        { region: "eu-west-1", reason: "x" },
        { region: "us-east-2", reason: "z" },
      ],
    });
  });

  it("the note above the roles: a failed lookup, and the assumable roles with what IAM cannot see", () => {
    expect(roleNotes({ from: "cloudtrail", result: { kind: "failed", reason: "timed out" } }, [], [KEY])).toEqual([
      "NOT LOOKED UP: the roles the key assumed were not looked up (timed out). This file",
      `is written without them, so their older sessions are not revoked yet: find them with cordon review --access-key ${KEY}`,
      "and add them here by pull request.",
    ]);
    const assumable = { ...found([]), source: "IAM", elsewhere: ["arn:aws:iam::*:role/x"] };
    expect(roleNotes({ from: "assumable", result: assumable }, [], [])).toEqual([
      "Every role of this account the user can assume, as IAM allows it (cordon new --roles-from assumable).",
      "The user's policies also reach roles matching arn:aws:iam::*:role/x in other accounts, which IAM here cannot list.",
    ]);
    expect(roleNotes({ from: "none" }, [], [])).toEqual([]);
  });

  it("the next steps name the file, the principals and the lookup", () => {
    const made = request({ title: "t", id: "2026-11-28-t", "access-key": [KEY], mode: "deny-all" });
    const lookedUp = { from: "cloudtrail" as const, result: found([], [{ region: "eu-west-1", reason: "x" }]) };
    const { incident } = draftIncident(made, context({ owners: new Map([[KEY, "ci"]]), lookedUp }));
    const text = nextSteps(incident, "incidents/2026-11-28-t.yaml", lookedUp);
    expect(text.split("\n").slice(0, 6)).toEqual([
      "wrote incidents/2026-11-28-t.yaml (cutoff: at-containment)",
      `  account ${ACCOUNT} · mode deny-all`,
      `  user ci: ${KEY} (owner from IAM)`,
      "    every other credential of ci set Inactive at pulumi up; its console password deleted (keep: in the file says what to keep)",
      "  roles looked up in CloudTrail LookupEvents in 2 regions: none assumed; not read in eu-west-1",
      "",
    ]);
    expect(text).toContain("     - the mode: deny-all (every request of these principals is denied)");
    expect(text.endsWith("  5. later: cordon status says when the file can be removed\n")).toBe(true);
  });
});
