/**
 * The scanner's fast path in WebAssembly (review/logs/whole-records.ts) against the ways it stands
 * for: the fast path in JavaScript, and the general state machine. On generated log files written
 * as an attacker may write them (keys and values escaped, every kind of number and literal, white
 * space and line feeds between tokens, non-ASCII text of every width, deep nesting, cut and broken
 * anywhere), each read in chunks of any size, the three tell the same: the same records, bytes,
 * offsets and fields, the same error at the same line and column.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkSizes, told, withEscapedKeys } from "./support/scanner.ts";
import { RecordScanner } from "../review/logs/record-scanner.ts";
import { SCRATCH } from "../review/logs/string-runs.ts";

/** Numbers as JSON writes them and as it does not; each replaces a placeholder string after JSON.stringify. */
const NUMBERS = [
  "0",
  "-0",
  "12",
  "-3.25",
  "1e9",
  "2E+3",
  "7.5e-2",
  "-0.0",
  "9007199254740993",
  "01",
  "1.",
  "-",
  "1e",
  "2E+",
  "-x",
];
const LITERALS = ["true", "false", "null", "tru", "nul", "fals", "truex", "nulll"];
const raw = fc.constantFrom(...NUMBERS, ...LITERALS).map((text) => `\u0000raw:${text}\u0000`);
const unwrap = (json: string) => json.replace(/"\\u0000raw:(.*?)\\u0000"/g, "$1");
/** {@link unwrap}, the texts JSON does not take replaced with 0. */
const unwrapValid = (json: string) =>
  json.replace(/"\\u0000raw:(.*?)\\u0000"/g, (_, raw: string) =>
    NUMBERS.slice(0, 9).includes(raw) || LITERALS.slice(0, 3).includes(raw) ? raw : "0",
  );

// Text of every width: ASCII, two, three and four bytes in UTF-8, controls, quotes, backslashes, lone surrogates.
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom("é", "€", "😀", '"', "\\", "/", "\n", "IAMUser"),
);
const leaf = fc.oneof(
  text,
  raw,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(text, fc.constantFrom("type", "userName", "accessKeyId", "userIdentity")), tie("value"), {
      maxKeys: 4,
    }),
  ),
}));
const keyId = fc.stringMatching(/^A[KS]IA[A-Z0-9]{16}$/);
const identity = fc.record(
  {
    type: fc.oneof(fc.constantFrom("IAMUser", "AssumedRole", "Root"), value),
    accessKeyId: fc.oneof(keyId, value),
    userName: fc.oneof(text, value),
    sessionContext: value,
  },
  { requiredKeys: [] },
);
const record = fc.record(
  {
    eventVersion: fc.constant("1.08"),
    userIdentity: fc.oneof({ weight: 3, arbitrary: identity }, { weight: 1, arbitrary: value }),
    eventTime: fc.oneof(fc.constant("2023-07-10T12:24:29Z"), text, value),
    eventName: fc.oneof(fc.constantFrom("AssumeRole", "CreateAccessKey", "ListBuckets"), value),
    eventID: fc.oneof(fc.uuid(), value),
    errorCode: fc.oneof(fc.constant("AccessDenied"), value),
    requestParameters: value,
    responseElements: value,
    readOnly: fc.oneof(raw, fc.boolean()),
  },
  { requiredKeys: [] },
);
// Records written member by member: a key may come twice (the last counts), a field's key may be
// in userIdentity's place or in another object, userIdentity may be an object, then a string.
const valueText = value.map((v) => unwrap(JSON.stringify(v) ?? "null"));
const objectOf = (keys: string[], values: fc.Arbitrary<string>) =>
  fc
    .array(
      fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: text }), values),
      {
        maxLength: 8,
      },
    )
    .map((members) => `{${members.map(([key, v]) => `${JSON.stringify(key)}:${v}`).join(",")}}`);
const identityText = objectOf(
  ["type", "accessKeyId", "userName", "userIdentity", "sessionContext"],
  fc.oneof(fc.constantFrom('"IAMUser"', '"AKIAIOSFODNN7EXAMPLE"', '"alice"', '""'), valueText),
);
const recordText = objectOf(
  ["eventID", "eventName", "errorCode", "userIdentity", "userIdentity", "type", "requestParameters"],
  fc.oneof(identityText, fc.constantFrom('"x"', '"2023-07-10T12:24:29Z"', "{}", "[]", "0"), valueText),
);
// Deeper than the WebAssembly's bit set (30 levels): the general way reads those.
const deep = fc
  .tuple(fc.integer({ min: 25, max: 35 }), fc.constantFrom("[", "{"))
  .map(([depth, open]) =>
    open === "["
      ? `{"eventID":"a","requestParameters":${"[".repeat(depth)}${"]".repeat(depth)}}`
      : `{"eventID":"a","requestParameters":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`,
  );
const records = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: record.map((r) => unwrap(JSON.stringify(r))) },
    { weight: 4, arbitrary: recordText },
    deep,
    value.map((v) => unwrap(JSON.stringify(v) ?? "null")),
  ),
  {
    maxLength: 6,
  },
);
const file = fc
  .tuple(records, fc.boolean())
  .map(([texts, inRecords]) => (inRecords ? `{"Records":[${texts.join(",")}]}` : `[${texts.join(",")}]`));

// What an attacker's file may hold between tokens and inside strings: white space, escapes (of a
// field's key too: `"event\u004eame"` is eventName), characters of every width, and breaks.
const insert = fc.constantFrom(
  " ",
  "\t",
  "\r",
  "\n",
  "\r\n ",
  "\\u0041",
  "\\u00e9",
  "\\ud83d\\ude00",
  "\\/",
  "\\n",
  "é",
  "€",
  "😀",
  "\u2028",
  "",
  '"',
  "\\",
  "\\u12",
  "\\x",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "\u0001",
  "0",
  "-",
  ".",
  "e",
);
const edited = fc
  .tuple(file, fc.array(fc.tuple(fc.nat(), fc.nat(2), insert), { maxLength: 5 }))
  .map(([source, edits]) => {
    let result = source;
    for (const [at, remove, inserted] of edits) {
      const place = result.length === 0 ? 0 : at % (result.length + 1);
      result = result.slice(0, place) + inserted + result.slice(place + remove);
    }
    return result;
  });
// A field's key escaped where it names a field: the WebAssembly leaves it to the JavaScript, which decodes it.
const escapedKeys = withEscapedKeys(file);

describe("the fast path in WebAssembly", () => {
  it("tells what the fast path in JavaScript and the general way tell, on any file cut anywhere", () => {
    fc.assert(
      fc.property(fc.oneof(file, edited, escapedKeys), chunkSizes, (source, chunkSize) => {
        const bytes = Buffer.from(source, "utf8");
        const fast = told(bytes, chunkSize, "webAssembly").told;
        expect(fast).toEqual(told(bytes, chunkSize, "javascript").told);
        expect(fast).toEqual(told(bytes, chunkSize, "general").told);
      }),
      { numRuns: 3000 },
    );
  });

  it("reads every record of a file as CloudTrail writes it (no white space between tokens), but those with an escaped key in userIdentity", () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (generated) => {
        const bytes = Buffer.from(unwrapValid(JSON.stringify({ Records: generated })), "utf8");
        // Escaped, a key of userIdentity may name a field: the JavaScript decodes it.
        const plain = generated.filter(
          ({ userIdentity }) =>
            typeof userIdentity !== "object" ||
            userIdentity === null ||
            Object.keys(userIdentity).every((key) => JSON.stringify(key) === `"${key}"`),
        );
        expect(told(bytes, Number.MAX_SAFE_INTEGER, "webAssembly").webAssemblyRecordsRead).toBe(plain.length);
        expect(told(bytes, Number.MAX_SAFE_INTEGER, "javascript").webAssemblyRecordsRead).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("leaves a record nested deeper than 30 levels to the general way: its bit set of containers would wrap", () => {
    // Past 32 levels a 32-bit set's shifts wrap: the 33rd container's bit is the record's, the 34th's the
    // 2nd's. Closing them, a reader that went on would take the 2nd (an object) and the record for
    // arrays, and read `{"a":{"b":[...],"k"]]` as a record, which JSON.parse refuses.
    const source = `{"Records":[{"a":{"b":${"[".repeat(30)}{"c":[]}${"]".repeat(30)},"k"]]]}`;
    const bytes = Buffer.from(source);
    expect(() => JSON.parse(source)).toThrow();
    const fast = told(bytes, Number.MAX_SAFE_INTEGER, "webAssembly");
    expect(fast.told).toEqual(told(bytes, Number.MAX_SAFE_INTEGER, "general").told);
    expect(fast.told.records).toEqual(["Records"]);
  });

  it("never reads past the chunk, though the scratch beyond it holds the rest of the record", () => {
    const source = Buffer.from(
      JSON.stringify({
        Records: [
          { eventID: "first", userIdentity: { type: "IAMUser", userName: "é😀" } },
          { eventID: "second", eventName: "x".repeat(40), requestParameters: { n: [1, -2.5e3, true, null] } },
        ],
      }),
    );
    for (let cut = 1; cut < source.length; cut++) {
      // What a scan of the whole file left in the scratch: the bytes past the cut, as they were.
      SCRATCH.set(source);
      const records: unknown[] = [];
      const scanner = new RecordScanner(
        { record: (index, bytes) => records.push([index, bytes?.toString()]) },
        1 << 30,
      );
      scanner.write(source.subarray(0, cut));
      const before = records.length;
      scanner.write(source.subarray(cut));
      scanner.end();
      expect([scanner.error, records.length]).toEqual([null, 2]);
      // A record is told once its `}` was read, never before.
      const ends = [source.indexOf('},{"eventID":"second"') + 1, source.length - 2];
      expect(before).toBe(ends.filter((end) => cut >= end).length);
    }
  });
});
