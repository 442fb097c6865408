/**
 * The review's shortcuts for speed (issue 21, the `bench:logs` goal), each held to the plain path
 * it stands for, on generated hostile text: control characters, bidi and zero-width characters,
 * lone surrogates, quotes, backslashes, `##[`, secrets and their names, very long strings. A
 * shortcut that differs by one character from the plain path fails here.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeUnsafeInJson, jsonSafe } from "../incident/display.ts";
import { mayHoldKey, SECRET_ACCESS_KEY_IN_TEXT } from "../incident/secrets.ts";
import { redact } from "../review/core/event.ts";
import {
  eachMatch,
  mayNameSecret,
  NAMED_SECRET,
  redactText,
  STANDALONE_SECRET_IN_TEXT,
} from "../review/core/secrets.ts";

/** Characters beyond printable ASCII that the JSON path escapes: controls, DEL, C1, bidi, zero-width, separators, BOM, lone surrogates, a tag. */
const UNSAFE_CHARACTERS = [
  "\u0000",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u200b",
  "\u202e",
  "\u2028",
  "\ufeff",
  "\ud800",
  "\udc00",
  "\u{e0041}",
];

/** Pieces that hostile log text is made of, and that the review's patterns look for. */
const PIECES = [
  "a",
  "Z",
  "0",
  "/",
  "+",
  "=",
  "-",
  "_",
  ":",
  " ",
  "\t",
  "%",
  "%3D",
  "%2F",
  '"',
  "\\",
  "\n",
  "\u2066",
  "\ud83d\ude00",
  ...UNSAFE_CHARACTERS,
  "é",
  "##[",
  "::",
  "IQoJb3JpZ2lu",
  "AQoDYXdz",
  "SecretAccessKey",
  "aws_secret_access_key",
  "X-Amz-Security-Token",
  "password",
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "AKIAIOSFODNN7EXAMPLE",
];
const hostileText = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((pieces) => pieces.join("")),
  fc.string({ unit: "binary", maxLength: 60 }),
  // Very long: a run of one piece, with others around it.
  fc
    .tuple(fc.constantFrom(...PIECES), fc.integer({ min: 1, max: 3000 }), fc.constantFrom(...PIECES))
    .map(([piece, times, end]) => piece.repeat(times) + end),
);

describe("eachMatch finds what matchAll finds", () => {
  // Patterns as the redaction writes them (lookbehinds, lookaheads, groups), and patterns that match
  // the empty string, where matchAll steps one character on.
  const patterns = [
    /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    /(?<![A-Za-z0-9/+_-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])/g,
    /(?<![A-Za-z0-9/+])(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz|AQoEXAMPLE)[A-Za-z0-9/+=]*/g,
    /(?<![A-Za-z0-9_-])([A-Za-z][A-Za-z0-9_-]{2,40})(?:"?[ \t]*=[ \t]*"?|"[ \t]*:[ \t]*"?|:[ \t]+"?)([^\s&;,"'<>]+)/g,
    /a*/g,
    /(?:)/g,
    /\b/g,
    /[=:]?/g,
  ];

  it.each(patterns.map((pattern) => [String(pattern), pattern]))(
    "%s, at the same places, in the same order",
    (_, pattern) => {
      fc.assert(
        fc.property(hostileText, fc.nat(50), (text, leftOver) => {
          // A lastIndex left over from elsewhere changes nothing: eachMatch starts at 0, as matchAll does here.
          const expected = [...text.matchAll(pattern)].map((match) => [match.index, ...match]);
          pattern.lastIndex = leftOver;
          const found: unknown[][] = [];
          eachMatch(pattern, text, (match) => found.push([match.index, ...match]));
          expect(found).toEqual(expected);
          expect(pattern.lastIndex).toBe(0);
        }),
        { numRuns: 300 },
      );
    },
  );
});

describe("jsonSafe's shortcut for printable ASCII", () => {
  // The whole path, as jsonSafe was before it had a shortcut: every unsafe character escaped, then every `##[`.
  const slowPath = (json: string) => escapeUnsafeInJson(json).replace(/##\[/g, "#\\u0023[");
  // JSON as the review writes it: hostile values, stringified (with line breaks between lines), and raw text.
  const json = fc.oneof(
    hostileText,
    fc.array(hostileText, { maxLength: 8 }).map((values) => JSON.stringify({ values }, null, 2)),
    fc.array(fc.constantFrom(...'{}[]:,"\\ \n#[abc019~\u007f'), { maxLength: 80 }).map((chars) => chars.join("")),
  );

  it("gives what the whole path gives, on any text", () => {
    fc.assert(
      fc.property(json, (text) => {
        expect(jsonSafe(text)).toBe(slowPath(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("leaves printable ASCII as it is, but for the `#` of `##[`", () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(fc.array(fc.oneof(printable, fc.constant("\n"), fc.constant("##[")), { maxLength: 20 }), (parts) => {
        const text = parts.join("");
        expect(jsonSafe(text)).toBe(text.replaceAll("##[", "#\\u0023["));
      }),
    );
  });

  it("escapes every character beyond printable ASCII that the whole path escapes, wherever it stands", () => {
    // One unsafe character in a long run of plain text: the shortcut must not pass over it.
    const unsafe = fc.constantFrom(...UNSAFE_CHARACTERS);
    fc.assert(
      fc.property(fc.nat(5000), unsafe, fc.nat(5000), (before, char, after) => {
        const text = `${"a".repeat(before)}${char}${"b".repeat(after)}`;
        const safe = jsonSafe(text);
        expect(safe).toBe(slowPath(text));
        expect(safe).not.toContain(char);
      }),
    );
  });
});

describe("the searches redaction skips find nothing where they are skipped", () => {
  const matches = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].map((match) => match[0]);
  // Texts near the bounds: around 40 characters of key alphabet, names and values with and without `=` or `:`.
  const keyish = fc
    .tuple(fc.integer({ min: 0, max: 45 }), fc.constantFrom("", " ", "=", "-", "/", "\u200b"))
    .map(([n, edge]) => `${edge}${"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYwJalr".slice(0, n)}${edge}`);
  const named = fc
    .tuple(
      fc.constantFrom("password", "aws_secret_access_key", "X-Amz-Security-Token", "SecretAccessKey", "tokenValue"),
      fc.constantFrom("=", ":", ": ", '":"', " = ", "", " ", "\t", "%3D", "%3A"),
      fc.constantFrom("hunter2", '"quoted"', "IQoJb3JpZ2luX2VjE", "a%2Fb"),
    )
    .map((parts) => parts.join(""));
  const text = fc.oneof(hostileText, keyish, named);

  it("keys: none in a text shorter than a key", () => {
    fc.assert(
      fc.property(text, (value) => {
        if (mayHoldKey(value)) return;
        expect(matches(SECRET_ACCESS_KEY_IN_TEXT, value)).toEqual([]);
        expect(matches(STANDALONE_SECRET_IN_TEXT, value)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("named secrets: none in a text without `=` or `:`", () => {
    fc.assert(
      fc.property(text, (value) => {
        if (mayNameSecret(value)) return;
        expect(matches(NAMED_SECRET, value)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("each skip is taken only where its search finds nothing: texts at the bounds are searched", () => {
    const key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    expect(mayHoldKey(key)).toBe(true);
    expect(matches(SECRET_ACCESS_KEY_IN_TEXT, key)).toEqual([key]);
    for (const secret of ["password=hunter2", "password: hunter2", '"password":"hunter2"'])
      expect([mayNameSecret(secret), matches(NAMED_SECRET, secret).length]).toEqual([true, 1]);
  });
});

describe("field names, redacted once by name", () => {
  it("are what redactText makes of them, the first time, again, and after the memo is cleared", () => {
    const nameOf = (name: string) => Object.keys(redact({ [name]: 1 }) as object);
    // More distinct names than the memo holds: it is cleared in between.
    const others = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`field${i}`, i]));
    fc.assert(
      fc.property(fc.array(hostileText, { minLength: 1, maxLength: 10 }), (names) => {
        for (let round = 0; round < 3; round++) {
          for (const name of names) expect(nameOf(name)).toEqual([redactText(name)]);
          if (round === 1) redact(others);
        }
      }),
      { numRuns: 100 },
    );
  });
});
