/**
 * Names and titles written into YAML (incident/yaml-scalar.ts): the incident files `new` writes and
 * the review's "add to the incident" snippet. Names come from IAM and CloudTrail, where an attacker
 * chooses them: whatever they hold, the YAML reads back the same string, on one line, with no raw
 * unsafe character.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isUnsafeCharacter } from "../incident/display.ts";
import { yamlListItem, yamlName, yamlText } from "../incident/yaml-scalar.ts";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { KEY, keyRecord, logFolder } from "./support/review-logs.ts";

/** What IAM allows in a user's or a role's name, every character of it likelier at the start. */
const iamName = fc.string({ unit: fc.constantFrom(..."aZ09_+=,.@-:/".split("")), minLength: 1, maxLength: 12 });
/** Only what IAM takes in a name itself (no path): what CloudTrail can show as one. */
const principalName = fc.string({ unit: fc.constantFrom(..."aZ09_+=,.@-".split("")), minLength: 1, maxLength: 12 });
const anyText = fc.oneof(
  iamName,
  fc.string({ unit: "grapheme-composite", maxLength: 40 }),
  fc.string({ maxLength: 40 }),
);

const oneSafeLine = (written: string) =>
  !written.includes("\n") && Array.from(written).every((char) => !isUnsafeCharacter(char));

describe("a value written on one line of YAML reads back as itself", () => {
  // Each of these broke a file or turned into another value before: a document marker, a reserved
  // indicator, a boolean, a number, a key, a sequence's dash, a comma inside a flow list.
  const known = ["...", "---", "....", "... x", "@admin", "true", "123", "1e3", "a:", "-", "~", "null", "a,b", "[x]"];

  it("a name or an ARN (yamlName), after a key", () => {
    for (const text of known) expect([text, parse(`name: ${yamlName(text)}`).name]).toEqual([text, text]);
    fc.assert(
      fc.property(anyText, (text) => {
        const written = yamlName(text);
        expect(oneSafeLine(written)).toBe(true);
        expect(parse(`  - name: ${written}\n    other: x\n`)).toEqual([{ name: text, other: "x" }]);
      }),
      { numRuns: 500 },
    );
  });

  it("an item of a flow list (yamlListItem), beside another", () => {
    for (const text of known) expect(parse(`keys: [${yamlListItem(text)}, X]`).keys).toEqual([text, "X"]);
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        const written = `keys: [${yamlListItem(a)}, ${yamlListItem(b)}]`;
        expect(oneSafeLine(written)).toBe(true);
        expect(parse(written).keys).toEqual([a, b]);
      }),
      { numRuns: 500 },
    );
  });

  it("free text (yamlText), as a title: plain when it can be, quoted when not", () => {
    expect(yamlText("CI key in public repo")).toBe("CI key in public repo");
    for (const text of known) expect([text, parse(`title: ${yamlText(text)}`).title]).toEqual([text, text]);
    fc.assert(
      fc.property(anyText, (text) => {
        const written = yamlText(text);
        expect(written.includes("\n")).toBe(false);
        expect(parse(`title: ${written}\nnext: x\n`)).toEqual({ title: text, next: "x" });
      }),
      { numRuns: 500 },
    );
  });
});

describe("the review's YAML to add, with names an attacker chose", () => {
  it("reads back the user, its key and the role the key's calls named, whatever the names", async () => {
    await fc.assert(
      fc.asyncProperty(principalName, principalName, async (user, role) => {
        const ACCOUNT = "111122223333";
        const created = "AKIAQ3EXAMPLECREATED";
        const records = [
          keyRecord("e1", {
            eventName: "CreateUser",
            eventSource: "iam.amazonaws.com",
            accountId: ACCOUNT,
            requestParameters: { userName: user },
            responseElements: { user: { userName: user, arn: `arn:aws:iam::${ACCOUNT}:user/${user}` } },
          }),
          keyRecord("e2", {
            eventName: "CreateAccessKey",
            eventSource: "iam.amazonaws.com",
            accountId: ACCOUNT,
            requestParameters: { userName: user },
            responseElements: { accessKey: { accessKeyId: created, userName: user, status: "Active" } },
          }),
          keyRecord("e3", {
            eventName: "AssumeRole",
            eventSource: "sts.amazonaws.com",
            accountId: ACCOUNT,
            requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/${role}`, roleSessionName: "s" },
            responseElements: {
              credentials: { accessKeyId: "ASIAQ3EXAMPLESESSION", expiration: "2026-11-28T12:00:00Z" },
            },
          }),
        ];
        const dir = logFolder({ "trail.json": JSON.stringify({ Records: records }) });
        const io = memoryIo({ cwd: dir });
        expect(await main(["review", "--access-key", KEY, "--from-logs", ".", "--markdown"], io)).toBe(0);
        const block = /```yaml\n([\s\S]*?)```/.exec(io.stdout)?.[1];
        expect(block, io.stdout).toBeDefined();
        const added = parse(block as string) as {
          users: { name: string; accessKeys?: string[] }[];
          roles: { name: string }[];
        };
        expect(added.users).toContainEqual({ name: user, accessKeys: [created] });
        expect(added.roles.map((r) => r.name)).toContain(role);
      }),
      { numRuns: 25 },
    );
  });
});
