/**
 * Where a text stops being JSON, found without V8's quote of it (cli/json-file.ts): the search
 * over the text's starts finds the offset V8 itself gives, wherever V8 gives one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { notJsonProblem, searchedErrorOffset } from "../cli/json-file.ts";

/** Texts near JSON: its punctuation, literals' letters, escapes, digits, non-ASCII and astral characters. */
const nearJson = fc.string({
  unit: fc.constantFrom(...'{}[]:," \n\\u0123456789.eE+-truefalsnlwJ\u00e9'.split(""), "\u{1f600}"),
  maxLength: 40,
});

function v8Offset(text: string): number | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const at = /at position (\d+)/.exec((error as Error).message);
    return at === null ? undefined : Number(at[1]);
  }
}

describe("where a text stops being JSON", () => {
  it("is where V8 says, wherever V8 says", () => {
    fc.assert(
      fc.property(nearJson, (text) => {
        const offset = v8Offset(text);
        fc.pre(offset !== undefined);
        expect(searchedErrorOffset(text)).toBe(offset);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['{\n  "a": wJalrXUtnFEMI/K7MDENG\n}', "not JSON (line 2, column 8)"],
    ["wJalrXUtnFEMI/K7MDENG", "not JSON (line 1, column 1)"],
    ['[1, 2,\n\n  "x" y]', "not JSON (line 3, column 7)"],
    ['{"a": 1,}', "not JSON (line 1, column 9)"],
    ['{"a": [1, 2', "not JSON (line 1, column 12)"],
    ["", "not JSON (line 1, column 1)"],
  ])("%j: %s", (text, problem) => {
    expect(notJsonProblem(text)).toBe(problem);
  });
});
