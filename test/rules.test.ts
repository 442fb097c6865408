/**
 * Every rule of the incident format breaks on its invalid fixture and holds on its valid one, and
 * no rule goes without both (test/rule-fixtures.ts). The exact messages are in the .errors files
 * of test/fixtures/invalid, which test/incident-load.test.ts checks word for word.
 */
import { describe, expect, it } from "vitest";
import { loadIncidents, type LoadResult } from "../incident/load.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { RULES, type DiagnosticCode } from "../incident/rules.ts";
import { FIXTURE_NOW, missingFixtures, RULE_FIXTURES, type Fixture } from "./rule-fixtures.ts";

const codes = Object.keys(RULES) as DiagnosticCode[];
const load = (fixture: Fixture): LoadResult =>
  "paths" in fixture
    ? loadIncidentPaths(fixture.paths, process.cwd(), FIXTURE_NOW)
    : loadIncidents(fixture.files, {
        now: FIXTURE_NOW,
        organization: fixture.organization,
        repositories: fixture.repositories,
      });

describe("every rule has a valid and an invalid fixture", () => {
  it("none is missing", () => {
    expect(missingFixtures(codes, RULE_FIXTURES)).toEqual([]);
  });

  it("a rule added without fixtures is caught (the check can fail)", () => {
    expect(missingFixtures([...codes, "E_NEW_RULE"], RULE_FIXTURES)).toEqual(["E_NEW_RULE"]);
    const { E_SECRET: _, ...withoutOne } = RULE_FIXTURES;
    expect(missingFixtures(codes, { ...withoutOne, E_SECRET: { invalid: RULE_FIXTURES.E_SECRET.invalid } })).toEqual([
      "E_SECRET",
    ]);
  });

  it("no fixture is for a rule that does not exist", () => {
    expect(Object.keys(RULE_FIXTURES).filter((code) => !Object.hasOwn(RULES, code))).toEqual([]);
  });
});

describe.each(codes)("%s", (code) => {
  it(`invalid: ${RULES[code].rule}, broken`, () => {
    const result = load(RULE_FIXTURES[code].invalid);
    expect(result.errors.map((e) => e.code)).toContain(code);
    expect(result.incidents).toEqual([]);
  });

  it("valid: every rule holds", () => {
    const result = load(RULE_FIXTURES[code].valid);
    expect(result.errors).toEqual([]);
    expect(result.incidents.length).toBeGreaterThan(0);
  });
});
