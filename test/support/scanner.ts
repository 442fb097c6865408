/**
 * The record scanner's tests' shared pieces (review-scanner, review-whole-records): everything a
 * scan tells, read one of its three ways; chunk sizes that cut records anywhere; field keys escaped.
 */
import fc from "fast-check";
import { RecordScanner } from "../../review/logs/record-scanner.ts";

/**
 * How a record wholly inside a chunk is read: by one WebAssembly call (what the review does), by
 * the scanner's fast path in JavaScript, or by the general state machine that reads every record
 * a chunk cuts.
 */
export type Way = "webAssembly" | "javascript" | "general";

/** Everything a scan of `text` read `way` in chunks of `chunkSize` tells, as it tells it. */
export function told(text: string | Buffer, chunkSize: number, way: Way) {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const records: unknown[] = [];
  const scanner = new RecordScanner(
    {
      record: (index, record, fields, offset) =>
        records.push([index, record?.toString("hex") ?? null, offset, structuredClone(fields)]),
      recordsMember: () => records.push("Records"),
    },
    1 << 30,
    undefined,
    way !== "general",
    way === "webAssembly",
  );
  for (let i = 0; i < bytes.length; i += chunkSize) scanner.write(bytes.subarray(i, i + chunkSize));
  scanner.end();
  return {
    told: {
      records,
      error: scanner.error,
      top: scanner.top,
      recordDepth: scanner.recordDepth,
      unicode: scanner.sawUnicodeEscape,
    },
    wholeRecordsRead: scanner.wholeRecordsRead,
    webAssemblyRecordsRead: scanner.webAssemblyRecordsRead,
  };
}

/** Small chunks, which cut most records (the general way reads them); larger ones; the whole text in one (the fast path reads most records). */
export const chunkSizes = fc.oneof(
  fc.integer({ min: 1, max: 97 }),
  fc.integer({ min: 98, max: 4096 }),
  fc.constant(Number.MAX_SAFE_INTEGER),
);

/** The keys that name the fields the scanner reads. */
const FIELD_KEYS = [
  "eventID",
  "eventName",
  "eventTime",
  "errorCode",
  "userIdentity",
  "accessKeyId",
  "type",
  "userName",
];

/** The texts of `texts`, with some of their field keys escaped wherever they are (`"event\u004eame"` is eventName). */
export const withEscapedKeys = (texts: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(texts, fc.infiniteStream(fc.nat())).map(([source, choices]) =>
    source.replace(new RegExp(`"(${FIELD_KEYS.join("|")})"`, "g"), (_, key: string) => {
      const at = choices.next().value % (key.length + 1);
      if (at === key.length) return `"${key}"`;
      return `"${key.slice(0, at)}\\u${key.charCodeAt(at).toString(16).padStart(4, "0")}${key.slice(at + 1)}"`;
    }),
  );
