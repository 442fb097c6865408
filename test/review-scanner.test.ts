/**
 * The record scanner against V8's own JSON.parse, on generated texts: valid documents shaped like
 * log files and like anything else, and the same texts broken by random edits, cut into chunks of
 * random sizes. Whatever JSON.parse says, the scanner says: the same records and fields for a valid
 * text, the same message at the same place for a broken one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkSizes, told, withEscapedKeys } from "./support/scanner.ts";
import {
  MAX_DEPTH,
  RecordScanner,
  type Capture,
  type JsonError,
  type TopLevel,
} from "../review/logs/record-scanner.ts";
import { plainRunOf, runEnd, SCRATCH, SCRATCH_BYTES } from "../review/logs/string-runs.ts";

interface Scanned {
  error: JsonError | null;
  top: TopLevel;
  records: { index: number; value: unknown; fields: Record<string, string | boolean | null> }[];
}

function scan(
  text: string,
  chunkSize: number,
  maxRecordBytes = 1 << 30,
  wholeRecords = true,
): Scanned & { wholeRecordsRead: number } {
  const bytes = Buffer.from(text, "utf8");
  const records: Scanned["records"] = [];
  const scanner = new RecordScanner(
    {
      record(index, record, fields) {
        if (record === null) return void records.push({ index, value: null, fields: { object: fields.object } });
        const read = (capture: Capture) =>
          capture.start < 0 ? null : (JSON.parse(`"${record.toString("utf8", capture.start, capture.end)}"`) as string);
        records.push({
          index,
          value: JSON.parse(record.toString("utf8")),
          fields: {
            object: fields.object,
            eventId: read(fields.eventId),
            eventName: read(fields.eventName),
            eventTime: read(fields.eventTime),
            errorCode: read(fields.errorCode),
            accessKeyId: read(fields.accessKeyId),
            identityType: read(fields.identityType),
            userName: read(fields.userName),
          },
        });
      },
      recordsMember() {
        records.length = 0;
      },
    },
    maxRecordBytes,
    undefined,
    wholeRecords,
  );
  for (let i = 0; i < bytes.length; i += chunkSize) scanner.write(bytes.subarray(i, i + chunkSize));
  scanner.end();
  return { error: scanner.error, top: scanner.top, records, wholeRecordsRead: scanner.wholeRecordsRead };
}

/** JSON.parse's verdict, in the scanner's terms: the message without V8's quote of the text, and the line and column (-1 when V8 gives no position). */
function v8(text: string): { value: unknown } | { error: JsonError } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    const raw = (error as Error).message;
    const at = /at position (\d+)/.exec(raw);
    const offset = at ? Number(at[1]) : /end of JSON input/.test(raw) ? text.length : -1;
    const message = raw
      .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, "")
      .replace(/ in JSON at position \d+.*$/s, "")
      .replace(/ at position \d+.*$/s, "");
    const before = text.slice(0, Math.max(0, offset));
    return {
      error: {
        message,
        line: offset < 0 ? -1 : before.split("\n").length,
        col: offset < 0 ? -1 : offset - before.lastIndexOf("\n"),
      },
    };
  }
}

const text = (value: unknown) =>
  typeof value === "string" && value !== "" ? value : typeof value === "string" ? "" : null;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Compares the scanner with JSON.parse on one text; the first difference, or null. */
function disagreement(raw: string, chunkSize: number): string | null {
  // The bytes a file holds: lone surrogates cannot be written in UTF-8.
  const source = Buffer.from(raw, "utf8").toString("utf8");
  const want = v8(source);
  const got = scan(source, chunkSize);
  if ("error" in want) {
    if (got.error === null) return `no error; JSON.parse: ${JSON.stringify(want.error)}`;
    if (got.error.message !== want.error.message)
      return `${JSON.stringify(got.error)}; JSON.parse: ${JSON.stringify(want.error)}`;
    if (want.error.line >= 0 && (got.error.line !== want.error.line || got.error.col !== want.error.col))
      return `${JSON.stringify(got.error)}; JSON.parse: ${JSON.stringify(want.error)}`;
    return null;
  }
  if (got.error !== null) return `error ${JSON.stringify(got.error)}; JSON.parse: none`;
  const document = want.value;
  const kind = document === null ? "null" : Array.isArray(document) ? "array" : typeof document;
  if (got.top.kind !== kind) return `top level ${got.top.kind}, not ${kind}`;
  let records: unknown[] | null = Array.isArray(document) ? document : null;
  if (isObject(document)) {
    if (JSON.stringify(got.top.keys) !== JSON.stringify(Object.keys(document).slice(0, 5)))
      return `keys ${JSON.stringify(got.top.keys)}`;
    if (got.top.digest !== "digestStartTime" in document) return "digest";
    if (got.top.recordsArray !== Array.isArray(document.Records)) return "Records";
    if (Array.isArray(document.Records)) records = document.Records;
  }
  if (records === null) return got.records.length === 0 ? null : "records outside Records";
  if (records.length !== got.records.length) return `${got.records.length} records, not ${records.length}`;
  for (const [i, record] of records.entries()) {
    const found = got.records[i];
    if (found.index !== i || JSON.stringify(found.value) !== JSON.stringify(record)) return `record ${i}`;
    const identity = isObject(record) && isObject(record.userIdentity) ? record.userIdentity : {};
    const fields = isObject(record)
      ? {
          object: true,
          eventId: text(record.eventID),
          eventName: text(record.eventName),
          eventTime: text(record.eventTime),
          errorCode: text(record.errorCode),
          accessKeyId: text(identity.accessKeyId),
          identityType: text(identity.type),
          userName: text(identity.userName),
        }
      : null;
    if (fields !== null && JSON.stringify(found.fields) !== JSON.stringify(fields))
      return `fields of record ${i}: ${JSON.stringify(found.fields)}`;
    if (fields === null && found.fields.object !== false) return `record ${i} is not an object`;
  }
  return null;
}

// Records as CloudTrail writes them, and worse: fields missing, of other types, repeated.
const value = fc.jsonValue({ maxDepth: 3 });
const record = fc.record(
  {
    eventVersion: fc.constant("1.08"),
    userIdentity: fc.oneof(
      fc.record(
        {
          type: fc.constantFrom("IAMUser", "AssumedRole", ""),
          accessKeyId: fc.oneof(fc.stringMatching(/^A[KS]IA[A-Z0-9]{16}$/), value),
          userName: fc.oneof(fc.string(), value),
        },
        { requiredKeys: [] },
      ),
      value,
    ),
    eventTime: fc.oneof(fc.constant("2023-07-10T12:24:29Z"), fc.string()),
    eventName: fc.oneof(fc.constantFrom("AssumeRole", "GetSessionToken", "DescribeInstances", "é\u2028ü"), value),
    eventID: fc.oneof(fc.uuid(), fc.constant(""), value),
    errorCode: fc.oneof(fc.constant("AccessDenied"), value),
    // Keys that userIdentity's fields have, at the same depth in another object: not its fields.
    requestParameters: fc.oneof(
      value,
      fc.record(
        {
          type: fc.constant("IAMUser"),
          userName: fc.string(),
          accessKeyId: fc.stringMatching(/^A[KS]IA[A-Z0-9]{16}$/),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const document = fc.oneof(
  fc.record(
    {
      Records: fc.array(fc.oneof({ weight: 4, arbitrary: record }, { weight: 1, arbitrary: value })),
      digestStartTime: fc.string(),
      other: value,
    },
    { requiredKeys: [] },
  ),
  fc.array(record),
  value,
  fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("Records", "0", "7", "12", "__proto__")), value),
);
const written = fc
  .tuple(document, fc.constantFrom(0, 1, 2))
  .map(([value, indent]) => JSON.stringify(value, null, indent));
// Breaks: cuts, and characters inserted where they do not belong.
const edit = fc.tuple(
  fc.nat(),
  fc.nat(4),
  fc.constantFrom(
    "",
    '"',
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "1",
    "-",
    ".",
    "e",
    "t",
    "n",
    "x",
    " ",
    "\n",
    "\u0001",
    "\\u12",
    "\\x",
    "é",
    "€",
    "😀",
    "0",
    '"Records"',
  ),
);
const broken = fc.tuple(written, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([source, edits]) => {
  let result = source;
  for (const [at, remove, insert] of edits) {
    const place = result.length === 0 ? 0 : at % (result.length + 1);
    result = result.slice(0, place) + insert + result.slice(place + remove);
  }
  return result;
});
// V8 quotes these whole instead of naming a token.
const special = (source: string) => ["undefined", "NaN", "Infinity", "[object Object]"].includes(source);

describe("the record scanner agrees with JSON.parse", () => {
  it("on valid documents, cut into chunks anywhere: the same records and fields", () => {
    fc.assert(
      fc.property(written, chunkSizes, (source, chunkSize) => {
        expect(disagreement(source, chunkSize)).toBeNull();
      }),
      { numRuns: 1500 },
    );
  });

  it("on broken texts: the same message at the same line and column", () => {
    fc.assert(
      fc.property(
        broken.filter((source) => !special(source)),
        chunkSizes,
        (source, chunkSize) => {
          expect(disagreement(source, chunkSize)).toBeNull();
        },
      ),
      { numRuns: 4000 },
    );
  });

  it.each([
    ['{"Records": [\n  {"eventID": "x"}}\n]}', "Expected ',' or ']' after array element", 2, 19],
    ['{"Records": [\n  {"eventID": "x",\n', "Expected double-quoted property name", 3, 1],
    ['{"Records": [{"eventID": "x" "y"}]}', "Expected ',' or '}' after property value", 1, 30],
    ['{"Records": [{"eventID": "a\u0001"}]}', "Bad control character in string literal", 1, 28],
    ['{"Records": [{"eventID": tru}]}', "Unexpected token '}'", 1, 29],
    ['{"Records": [{"eventID": "é"}x]}', "Expected ',' or ']' after array element", 1, 30],
    ["[1] x", "Unexpected non-whitespace character after JSON", 1, 5],
  ])("%j: %s at %i:%i", (source, message, line, col) => {
    expect(scan(source, 5).error).toEqual({ message, line, col });
  });
});

// Records written as a log's attacker may write them: keys escaped, spaces and lines anywhere, nested deep.
const spelt = fc
  .tuple(
    written,
    fc.array(
      fc.tuple(fc.nat(), fc.constantFrom(" ", "\n", "\r\n\t", "\\u0041", "\\u00e9", "\\/", "é", "😀", "\u2028")),
      { maxLength: 6 },
    ),
  )
  .map(([source, edits]) => {
    // Inserted only inside strings or between tokens, where each keeps the text valid or breaks it as a log may.
    let result = source;
    for (const [at, insert] of edits) {
      const place = result.length === 0 ? 0 : at % (result.length + 1);
      result = result.slice(0, place) + insert + result.slice(place);
    }
    return result;
  });
// The keys that name fields, some of them escaped (`"event\u004eame"` is eventName), wherever they are.
const escapedKeys = withEscapedKeys(written);
const deep = fc
  .integer({ min: 25, max: 40 })
  .map(
    (depth) =>
      `{"Records":[{"eventID":"a","requestParameters":${"[".repeat(depth)}${"]".repeat(depth)},"eventName":"x"}]}`,
  );

describe("the fast path for records wholly inside a chunk", () => {
  it("tells what the general way tells: the same records, bytes, offsets, fields and errors, at the same places", () => {
    fc.assert(
      fc.property(fc.oneof(written, broken, spelt, escapedKeys, deep), chunkSizes, (source, chunkSize) => {
        expect(told(source, chunkSize, "webAssembly").told).toEqual(told(source, chunkSize, "general").told);
      }),
      { numRuns: 4000 },
    );
  });

  it("reads every record of a valid log file read whole but those with an escaped key where a field may be named, and none when it is off", () => {
    // Escaped, a key the record's or its userIdentity's could name a field: the general way decodes it.
    const plain = (record: Record<string, unknown>) =>
      !isObject(record.userIdentity) ||
      Object.keys(record.userIdentity).every((key) => JSON.stringify(key) === `"${key}"`);
    fc.assert(
      fc.property(fc.array(record, { minLength: 1 }), (records) => {
        const source = JSON.stringify({ Records: records });
        expect(told(source, Number.MAX_SAFE_INTEGER, "webAssembly").wholeRecordsRead).toBe(
          records.filter(plain).length,
        );
        expect(told(source, Number.MAX_SAFE_INTEGER, "general").wholeRecordsRead).toBe(0);
      }),
    );
  });
});

describe("the fields of a record", () => {
  it.each([
    [
      '{"userIdentity":{},"requestParameters":{"type":"IAMUser","userName":"victim","accessKeyId":"AKIAEXAMPLEOTHER0001"}}',
      { identityType: null, userName: null, accessKeyId: null },
    ],
    [
      '{"userIdentity":{"type":"Root"},"requestParameters":{"userName":"victim"}}',
      { identityType: "Root", userName: null, accessKeyId: null },
    ],
    [
      '{"userIdentity":{"userName":"a"},"userIdentity":{},"x":{"userName":"b"}}',
      { identityType: null, userName: null, accessKeyId: null },
    ],
  ])("%s: only userIdentity's own keys are its fields, as JSON.parse reads them", (record, identity) => {
    const { records } = scan(`{"Records":[${record}]}`, 7);
    expect(records).toHaveLength(1);
    expect({
      identityType: records[0].fields.identityType,
      userName: records[0].fields.userName,
      accessKeyId: records[0].fields.accessKeyId,
    }).toEqual(identity);
  });
});

describe("the record scanner's bounds", () => {
  it("nests up to MAX_DEPTH levels, and refuses deeper nesting where it begins", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: MAX_DEPTH - 3, max: MAX_DEPTH + 3 })),
        (depth) => {
          const source = `{"Records":[{"requestParameters":${"[".repeat(depth)}${"]".repeat(depth)}}]}`;
          const { error, records } = scan(source, 4096);
          // The Records array and the record are two levels, the top-level object a third.
          if (depth + 3 <= MAX_DEPTH) {
            expect(error).toBeNull();
            expect(records).toHaveLength(1);
          } else
            expect(error).toEqual({
              message: "nested more than 100,000 levels deep",
              line: 1,
              col: 34 + MAX_DEPTH - 3,
            });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("keeps a record up to maxRecordBytes, and never one larger by more than a chunk", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(400), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        (sizes, chunkSize) => {
          const records = sizes.map((size, i) => ({ eventID: `e${i}`, padding: "x".repeat(size) }));
          const limit = 200;
          const scanned = scan(JSON.stringify({ Records: records }), chunkSize, limit);
          expect(scanned.error).toBeNull();
          scanned.records.forEach((found, i) => {
            const size = Buffer.byteLength(JSON.stringify(records[i]));
            if (size <= limit) expect([found.value, found.fields.eventId]).toEqual([records[i], `e${i}`]);
            if (size > limit + chunkSize) expect(found.value).toBeNull();
          });
        },
      ),
    );
  });
});

describe("the runs of plain characters, 16 bytes at a time in WebAssembly", () => {
  // Bytes of every kind, the stops (quote, backslash, control, non-ASCII, and their neighbours 0x1f, 0x20, 0x7f, 0x80) often.
  const byte = fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(0x22, 0x5c, 0x00, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0xff),
    fc.integer({ min: 0x23, max: 0x5b }),
  );
  // Runs of plain bytes of any length between single bytes of any kind: a stop at every place of a 16-byte load, and after the last.
  const stretch = fc
    .array(
      fc.oneof(
        byte.map((one) => [one]),
        fc.integer({ min: 1, max: 40 }).map((plain) => new Array<number>(plain).fill(0x61)),
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.flat());

  it("end where the definition in JavaScript says, from and to anywhere, up to the scratch's last byte", () => {
    fc.assert(
      fc.property(stretch, fc.nat(), fc.nat(), fc.boolean(), (bytes, a, b, atTheEnd) => {
        // At the scratch's start, or ending at its last byte (a load of 16 must never pass `to`).
        const base = atTheEnd ? SCRATCH_BYTES - bytes.length : 0;
        SCRATCH.set(bytes, base);
        const from = base + (bytes.length === 0 ? 0 : a % (bytes.length + 1));
        const to = Math.max(from, base + (bytes.length === 0 ? 0 : b % (bytes.length + 1)));
        expect(runEnd(from, to)).toBe(plainRunOf(SCRATCH, from, to));
      }),
      { numRuns: 3000 },
    );
  });

  it("a scanner called back from inside another's write reads in its own bytes: it tells what it tells from the scratch, and leaves the other's bytes as they were", () => {
    const outerSource = JSON.stringify({
      Records: [{ eventID: "first" }, { eventID: "second", eventName: "x".repeat(300) }, { eventID: "third" }],
    });
    fc.assert(
      fc.property(fc.oneof(written, broken, spelt, escapedKeys), chunkSizes, (source, chunkSize) => {
        let inside: unknown = null;
        const outerIds: string[] = [];
        const outer = new RecordScanner(
          {
            record: (_index, bytes) => {
              outerIds.push((JSON.parse(bytes!.toString("utf8")) as { eventID: string }).eventID);
              inside ??= told(source, chunkSize, "webAssembly").told;
            },
          },
          1 << 30,
        );
        outer.write(Buffer.from(outerSource));
        outer.end();
        expect(inside).toEqual(told(source, chunkSize, "webAssembly").told);
        expect([outer.error, outerIds]).toEqual([null, ["first", "second", "third"]]);
      }),
      { numRuns: 1000 },
    );
  });

  it("a chunk larger than the scratch is read in pieces, as a chunk of any size is", () => {
    // Records of a few KB, like CloudTrail's, past two scratches; one cut inside a multi-byte character.
    const record = (i: number) => ({
      eventID: `e${i}`,
      eventName: "GetObject",
      userIdentity: { type: "IAMUser", userName: `é${i}` },
      requestParameters: { key: "😀".repeat(i % 7) + "k".repeat(2000 + (i % 97)) },
    });
    const source = JSON.stringify({ Records: Array.from({ length: 1200 }, (_, i) => record(i)) });
    expect(Buffer.byteLength(source)).toBeGreaterThan(2 * SCRATCH_BYTES);
    const whole = scan(source, Number.MAX_SAFE_INTEGER);
    expect(whole.error).toBeNull();
    expect(whole.records.map((found) => found.value)).toEqual((JSON.parse(source) as { Records: unknown[] }).Records);
    expect(whole.records.map((found) => found.fields.userName)).toEqual(
      Array.from({ length: 1200 }, (_, i) => `é${i}`),
    );
    expect(told(source, Number.MAX_SAFE_INTEGER, "webAssembly").told).toEqual(told(source, 4096, "general").told);
  });
});
