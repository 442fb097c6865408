/**
 * The field rules have one home, incident/fields.ts; schema/incident.schema.json, the one definition
 * of the file's shape, spells the same patterns for editors and for the loader's schema check. Here
 * the two are held together, and the flags are shown to use the same rules as the file.
 */
import { describe, expect, it } from "vitest";
import schema from "../schema/incident.schema.json" with { type: "json" };
import {
  ACCESS_KEY_ID,
  ACCOUNT_ID,
  IAM_NAME,
  IDENTITY_STORE_USER_ID,
  INCIDENT_ID,
  INSTANT,
  MODES,
  POLICY_NAME,
  TICKET_MAX_LENGTH,
  TITLE_MAX_LENGTH,
} from "../incident/fields.ts";
import { parseInstant } from "../incident/time.ts";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { usageOutput } from "./support/usage.ts";

/** Two spellings of one pattern: `\d` and `[0-9]` are the same class without the `u` flag and with it. */
const spelling = (pattern: string) => pattern.replaceAll("\\d", "[0-9]");
const samePattern = (schemaPattern: string, rule: RegExp) => spelling(schemaPattern) === spelling(rule.source);

const properties = schema.properties;
const replacementRole = schema.definitions.replacementRole.properties;

describe("the schema spells the patterns of fields.ts", () => {
  it.each([
    ["id", properties.id.pattern, INCIDENT_ID],
    ["account", properties.account.pattern, ACCOUNT_ID],
    ["users[].account and roles[].account", schema.definitions.principalAccount.pattern, ACCOUNT_ID],
    [
      "identityCenterUsers[].userId",
      properties.identityCenterUsers.items.properties.userId.pattern,
      IDENTITY_STORE_USER_ID,
    ],
    ["cutoff", properties.cutoff.anyOf[1].pattern!, INSTANT],
    ["holdUntil", properties.holdUntil.pattern, INSTANT],
    ["users[].accessKeys[]", properties.users.items.properties.accessKeys.items.pattern, ACCESS_KEY_ID],
    ["IAM names", schema.definitions.iamName.pattern, IAM_NAME],
    ["inline policy names", replacementRole.inlinePolicies.propertyNames.pattern, POLICY_NAME],
  ])("%s", (_, schemaPattern, rule) => {
    expect(samePattern(schemaPattern, rule)).toBe(true);
  });

  it("and the comparison can fail", () => {
    expect(samePattern(properties.account.pattern, INCIDENT_ID)).toBe(false);
    expect(samePattern("^[0-9]{11}$", ACCOUNT_ID)).toBe(false);
  });

  it("the modes, the title's length and the ticket's (issue 21: --ticket's rule was known only to new)", () => {
    expect(properties.mode.enum).toEqual(MODES);
    expect(properties.mode.default).toBe(MODES[0]);
    expect(properties.title.maxLength).toBe(TITLE_MAX_LENGTH);
    expect(properties.ticket.maxLength).toBe(TICKET_MAX_LENGTH);
  });

  it("parseInstant reads what the instant pattern accepts, and only real dates", () => {
    expect(parseInstant("2026-11-28 11:00:00.5+01:00")?.toISOString()).toBe("2026-11-28T10:00:00.500Z");
    expect(parseInstant("2026-02-30T10:00:00Z")).toBeUndefined();
    expect(parseInstant("2026-11-28T10:00Z")).toBeUndefined();
  });
});

describe("a flag and a field refuse the same values", () => {
  it.each([
    [
      ["new", "--title", "x", "--user", "dana", "--account", "12345678901"],
      'cordon new: --account "12345678901": expected an AWS account id of 12 digits',
    ],
    [
      ["plan", "--account", "12345678901"],
      'cordon plan: --account "12345678901": expected an AWS account id of 12 digits',
    ],
    [
      ["new", "--title", "x", "--user", "dana", "--id", "ab"],
      'cordon new: --id "ab": expected 3 to 64 of lowercase letters, digits and dashes, starting with a letter or digit',
    ],
    [
      ["assess", "--access-key", "ASIAIOSFODNN7EXAMPLE"],
      'cordon assess: --access-key "ASIAIOSFODNN7EXAMPLE": expected an access key id, AKIA followed by 16 capital letters or digits',
    ],
    [
      ["review", "--access-key", "AKIA123"],
      'cordon review: --access-key "AKIA123": expected AKIA or ASIA followed by 16 capital letters or digits, such as AKIAIOSFODNN7EXAMPLE',
    ],
  ])("%j", async (argv, message) => {
    const io = memoryIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.stderr).toBe(usageOutput(message));
  });
});
