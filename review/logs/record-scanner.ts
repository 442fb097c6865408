/**
 * Reads a CloudTrail log file as a stream of bytes and finds its records without building them:
 * the elements of `Records` (or of a top-level array), each with the few fields the review decides
 * by (`eventID`, `eventName`, `eventTime`, `errorCode`, and `userIdentity`'s `accessKeyId`, `type`
 * and `userName`). The caller parses only the records it keeps. Memory holds one record at a time,
 * whatever the size of the file.
 *
 * It validates the whole text as `JSON.parse` does, and reports the first error with V8's message
 * at V8's position (json-errors.ts), so a broken file is refused exactly as when files were parsed
 * whole. It works on UTF-8 bytes.
 *
 * The scanner is a state machine over named states ({@link Expect} between tokens, {@link Token}
 * inside one, {@link NumberPart} inside a number), one method per token, each running its own loop
 * over the chunk. No recursion: nesting is a byte per level, bounded by {@link MAX_DEPTH}.
 */
import { plainRunOf, runEnd, SCRATCH, SCRATCH_BYTES } from "./string-runs.ts";
import { RESULT, wholeRecords, type FieldKey } from "./whole-records.ts";
import {
  characterLength,
  isDigit,
  MESSAGES,
  Position,
  unexpectedByte,
  unexpectedCharacter,
  type JsonError,
} from "./json-errors.ts";

export type { JsonError };

/** The fields of a record the review decides by; each is the last occurrence, as in `JSON.parse`. */
export interface RecordFields {
  /** Whether the element is a JSON object; other elements are not events. */
  object: boolean;
  eventId: Capture;
  eventName: Capture;
  eventTime: Capture;
  errorCode: Capture;
  accessKeyId: Capture;
  identityType: Capture;
  userName: Capture;
}

/**
 * Where a string value lies in the record's bytes: `start` and `end` exclude the quotes, -1 when
 * the field is absent or not a string. `escaped` says whether it holds a backslash escape.
 */
export interface Capture {
  start: number;
  end: number;
  escaped: boolean;
}

export interface ScanHandler {
  /**
   * A complete record: `bytes` is its JSON text (null when it was larger than `maxRecordBytes`),
   * `fields` point into it. Both are valid only during the call. `offset`: where it begins in the file.
   */
  record(index: number, bytes: Buffer | null, fields: RecordFields, offset: number): void;
  /**
   * A `Records` member of the top-level object begins: JSON.parse keeps the last one, so records
   * reported before belong to a member that no longer counts.
   */
  recordsMember?(): void;
}

/** What the file holds at its top level, for the shape check. */
export interface TopLevel {
  kind: "object" | "array" | "string" | "number" | "boolean" | "null" | null;
  /** For an object: its first keys as `Object.keys` orders them (array indices first), at most 5. */
  keys: string[];
  digest: boolean;
  /** For an object: whether its last `Records` member is an array. */
  recordsArray: boolean;
}

/** Top-level keys are kept up to this length, for the shape message. */
const MAX_KEY_BYTES = 1024;
/** Nesting deeper than this is refused; CloudTrail's own records nest a dozen levels or so. */
export const MAX_DEPTH = 100_000;

/** Where a scan begins inside a file already read whole (prefilter.ts): at record `index`, at `offset`, records at `recordLevel`. */
export interface RecordsFrom {
  recordLevel: 1 | 2;
  index: number;
  offset: number;
}

/** What the grammar expects next, between tokens. */
type Expect =
  /** A value: after `:`, or the document's. */
  | "value"
  /** The first element of an array, or its end. */
  | "valueOrEnd"
  /** The first key of an object, or its end. */
  | "keyOrEnd"
  /** A key, after `,` in an object. */
  | "key"
  | "colon"
  /** `,` or the end of the container, after a value. */
  | "commaOrEnd"
  /** Nothing but whitespace: the document is whole. */
  | "done";

/** The token a chunk ended in, if any: its next bytes go on with it. */
type Token = "none" | "string" | "escape" | "unicode" | "number" | "literal";

/** Where in a number: after `-`, after a leading 0, in the integer, after `.`, in the fraction, after `e`, after the exponent's sign, in the exponent. */
type NumberPart = "minus" | "zero" | "integer" | "dot" | "fraction" | "exponentMark" | "exponentSign" | "exponent";

/** Which field of a record a key names; `userIdentity` is entered, its three fields read inside it. */
type Field =
  | "none"
  | "eventId"
  | "eventName"
  | "eventTime"
  | "errorCode"
  | "userIdentity"
  | "accessKeyId"
  | "identityType"
  | "userName";

/** The containers on the stack, a byte each. */
const OBJECT = 1;
const ARRAY = 2;

const LITERALS = ["true", "false", "null"].map((word) => Buffer.from(word));

interface KeyName {
  text: string;
  bytes: Uint8Array;
  field: Field;
  /** The field's place in {@link SLOTS}. */
  slot: number;
}

/**
 * Keys the scanner reads, found by their length and one byte where the keys of that length differ,
 * then compared whole: no string is made for the dozen keys of every record, and most are told
 * apart by two lookups.
 */
class KeyNames {
  /** By length: the place where its keys differ, and each key by its byte there. */
  private readonly byLength: { at: number; byByte: (KeyName | null)[] }[] = [];
  /** Each key, and its field's place in {@link SLOTS}. */
  readonly keys: readonly FieldKey[];

  constructor(fields: Record<string, Field>) {
    const names = Object.entries(fields).map(([text, field]) => ({
      text,
      bytes: Buffer.from(text),
      field,
      slot: SLOTS.indexOf(field),
    }));
    this.keys = names.map(({ text, slot }) => ({ text, slot }));
    for (const length of new Set(names.map((name) => name.text.length))) {
      const same = names.filter((name) => name.text.length === length);
      const at = [...Array(length).keys()].find((i) => new Set(same.map((name) => name.bytes[i])).size === same.length);
      if (at === undefined) throw new Error(`the keys of length ${length} differ at no single place`);
      const byByte = new Array<KeyName | null>(256).fill(null);
      for (const name of same) byByte[name.bytes[at]] = name;
      this.byLength[length] = { at, byByte };
    }
  }

  /** The field the plain key `bytes[from, from + length)` names. */
  match(bytes: Uint8Array, from: number, length: number): Field {
    const table = this.byLength[length];
    const name = table?.byByte[bytes[from + table.at]];
    if (name == null) return "none";
    for (let k = 0; k < length; k++) if (bytes[from + k] !== name.bytes[k]) return "none";
    return name.field;
  }

  /** {@link match}, as the field's place in {@link SLOTS} (-1: none). */
  slot(bytes: Uint8Array, from: number, length: number): number {
    const table = this.byLength[length];
    if (table === undefined) return -1;
    const name = table.byByte[bytes[from + table.at]];
    if (name == null) return -1;
    for (let k = 0; k < length; k++) if (bytes[from + k] !== name.bytes[k]) return -1;
    return name.slot;
  }

  /** The field a key (decoded from its escapes) names. */
  matchText(key: string): Field {
    const table = this.byLength[key.length];
    const name = table?.byByte[key.charCodeAt(table.at)];
    return name != null && name.text === key ? name.field : "none";
  }

  /** Whether a plain key of `length` bytes may name one. */
  mayMatch(length: number): boolean {
    return this.byLength[length] !== undefined;
  }
}
/** The fields by number, for the fast path: the captures' order ({@link RecordScanner.captures}), then userIdentity. */
const SLOTS: readonly Field[] = [
  "eventId",
  "eventName",
  "eventTime",
  "errorCode",
  "accessKeyId",
  "identityType",
  "userName",
  "userIdentity",
];
const USER_IDENTITY = 7;
/** The first of userIdentity's own fields in {@link SLOTS}: they are absent again when another userIdentity begins. */
const IDENTITY_FIELDS = 4;
/** userIdentity's own fields' bits, in a set of fields by their places in {@link SLOTS}. */
const IDENTITY_ESCAPES = ((1 << (USER_IDENTITY - IDENTITY_FIELDS)) - 1) << IDENTITY_FIELDS;

/** The keys read in a record, and in its userIdentity. */
const RECORD_KEYS = new KeyNames({
  eventID: "eventId",
  eventName: "eventName",
  eventTime: "eventTime",
  errorCode: "errorCode",
  userIdentity: "userIdentity",
});
const IDENTITY_KEYS = new KeyNames({ accessKeyId: "accessKeyId", type: "identityType", userName: "userName" });

/** Whether `e` completes a two-byte escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`). */
const isSimpleEscape = (e: number) =>
  e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

const isWhiteSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** Containers a record may nest in {@link RecordScanner.wholeRecord}'s bit set, the record included; deeper ones go the general way. */
const WHOLE_RECORD_DEPTH = 30;
/** {@link RecordScanner.wholeRecord} in WebAssembly, for a chunk in the scratch (whole-records.ts). */
const WHOLE_RECORDS = wholeRecords({
  recordKeys: RECORD_KEYS.keys,
  identityKeys: IDENTITY_KEYS.keys,
  userIdentity: USER_IDENTITY,
  identityFields: IDENTITY_FIELDS,
  maxDepth: WHOLE_RECORD_DEPTH,
});

const absent = (): Capture => ({ start: -1, end: -1, escaped: false });
const EMPTY = Buffer.alloc(0);
/** Whether a scanner's write is reading a chunk in the scratch (one per thread, as the scanners are). */
let scratchTaken = false;

/** A canonical array index (as `Object.keys` puts first, in numeric order), or -1. */
function arrayIndex(key: string): number {
  if (!/^(0|[1-9]\d{0,9})$/.test(key)) return -1;
  const n = Number(key);
  return n < 4294967295 ? n : -1;
}

export class RecordScanner {
  readonly top: TopLevel = { kind: null, keys: [], digest: false, recordsArray: false };
  error: JsonError | null = null;

  private readonly handler: ScanHandler;
  private readonly maxRecordBytes: number;

  // The bytes: the chunk being scanned, `chunk[0]` at absolute offset `base`; not kept after `write`.
  private chunk: Buffer = EMPTY;
  private base = 0;
  private chunkLength = 0;
  /** Absolute offset from which bytes must be kept (a record, or a top-level key), or -1. */
  private keepFrom = -1;
  /** Bytes `[keepFrom, base)`, when `keepFrom` lies in an earlier chunk; grows by doubling. */
  private carry = EMPTY;
  private carryLength = 0;
  private readonly position = new Position();
  /** The bytes of the character an error is about, while some of them are still to come. */
  private partialCharacter: number[] | null = null;

  // The grammar.
  private expect: Expect = "value";
  private token: Token = "none";
  private stack = new Uint8Array(64);
  private depth = 0;
  private stringIsKey = false;
  /** Absolute offset of the current string's first byte (after its quote). */
  private stringStart = 0;
  private stringEscaped = false;
  private unicodeLeft = 0;
  private numberPart: NumberPart = "minus";
  private literal = 0;
  private literalIndex = 0;

  // The records and their fields.
  /** The depth at which values are records (1: in a top-level array, 2: in Records), or -1. */
  private recordLevel = -1;
  private recordIndex = 0;
  private recordStart = -1;
  private recordTooLarge = false;
  /** The fields of the record being read: one object, filled again for each record. */
  private readonly fields: RecordFields = {
    object: true,
    eventId: absent(),
    eventName: absent(),
    eventTime: absent(),
    errorCode: absent(),
    accessKeyId: absent(),
    identityType: absent(),
    userName: absent(),
  };
  /** The fields' captures, to go over them without making a list for every record. */
  private readonly captures: readonly Capture[] = [
    this.fields.eventId,
    this.fields.eventName,
    this.fields.eventTime,
    this.fields.errorCode,
    this.fields.accessKeyId,
    this.fields.identityType,
    this.fields.userName,
  ];
  /** The field the key just read names, at the record's level or userIdentity's. */
  private pendingField: Field = "none";
  /** Inside the record's userIdentity object, at the depth of its keys. */
  private inIdentity = false;

  /** Whether a string held a `\u` escape. */
  private unicodeEscapes = false;

  // The top level.
  /** In the top-level object, the member being read is `Records`. */
  private memberIsRecords = false;
  /** The beginning of a top-level key too long to keep whole (no field of CloudTrail's is). */
  private longKeyHead: string | null = null;
  private indexKeys: number[] = [];
  private nameKeys: string[] = [];

  /** Whether the chunk being scanned is in the {@link SCRATCH} (see {@link write}). */
  private inScratch = false;
  /** Records read by {@link wholeRecord} (the tests check that it reads). */
  wholeRecordsRead = 0;
  /** Of those, records read in WebAssembly (the tests check that it reads). */
  webAssemblyRecordsRead = 0;
  /** {@link wholeRecord}'s field spans, made once. */
  private readonly spans = new Int32Array(2 * USER_IDENTITY);
  /** Whether records wholly inside a chunk are read by {@link wholeRecord}. */
  private readonly wholeRecords: boolean;
  /** Whether {@link wholeRecord} reads in WebAssembly first. */
  private readonly webAssembly: boolean;

  /**
   * @param from to begin inside a file known to be valid JSON, at the start of one of its records,
   * as if what comes before had been read; errors are then not V8's (they count from there).
   * @param wholeRecords false: every byte through the general state machine, without the fast path
   * for records wholly inside a chunk (the tests' control; both read alike).
   * @param webAssembly false: that fast path in JavaScript only (the tests' control for whole-records.ts).
   */
  constructor(
    handler: ScanHandler,
    maxRecordBytes: number,
    from?: RecordsFrom,
    wholeRecords = true,
    webAssembly = true,
  ) {
    this.handler = handler;
    this.maxRecordBytes = maxRecordBytes;
    this.wholeRecords = wholeRecords;
    this.webAssembly = webAssembly;
    if (from === undefined) return;
    this.base = from.offset;
    this.recordLevel = from.recordLevel;
    this.recordIndex = from.index;
    this.top.kind = from.recordLevel === 2 ? "object" : "array";
    this.top.recordsArray = true;
    this.memberIsRecords = true;
    this.stack.set(from.recordLevel === 2 ? [OBJECT, ARRAY] : [ARRAY]);
    this.depth = from.recordLevel;
  }

  /** Whether a string so far held a `\u` escape (any character may be written so). */
  get sawUnicodeEscape(): boolean {
    return this.unicodeEscapes;
  }

  /** The depth at which values are records (1: in a top-level array, 2: in Records), or -1. */
  get recordDepth(): number {
    return this.recordLevel;
  }

  /**
   * Scans the next bytes of the file. Does nothing once an error is found. Keeps no reference to
   * `chunk`: the caller may reuse it.
   */
  write(chunk: Uint8Array): void {
    // The scratch holds SCRATCH_BYTES: a larger chunk is read in pieces (any cut reads alike).
    if (chunk.length > SCRATCH_BYTES) {
      for (let at = 0; at < chunk.length; at += SCRATCH_BYTES) this.write(chunk.subarray(at, at + SCRATCH_BYTES));
      return;
    }
    if (this.partialCharacter !== null) {
      for (const byte of chunk.subarray(0, 4 - this.partialCharacter.length)) this.partialCharacter.push(byte);
      this.showPartialCharacter(false);
    }
    if (this.error !== null) return;
    // The chunk is read in the scratch, where the runs of strings are found 16 bytes at a time;
    // in its own bytes when a scanner called back from inside another's write needs it.
    this.inScratch = !scratchTaken;
    if (this.inScratch) {
      SCRATCH.set(chunk);
      this.chunk = SCRATCH.subarray(0, chunk.length);
    } else this.chunk = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.chunkLength = chunk.length;
    if (this.inScratch) scratchTaken = true;
    try {
      this.scan();
      if (this.error === null) this.chunkEnds();
      // What a record (or a top-level key) cut by the chunk's end still needs, copied: the carry
      // then holds [keepFrom, base) again, base now past this chunk.
      if (this.keepFrom >= this.base) {
        this.carryLength = 0;
        this.appendCarry(this.chunk.subarray(this.keepFrom - this.base));
      } else if (this.keepFrom >= 0) this.appendCarry(this.chunk);
      else this.carryLength = 0;
    } finally {
      if (this.inScratch) scratchTaken = false;
      this.inScratch = false;
    }
    this.base += this.chunkLength;
    this.chunkLength = 0;
    this.chunk = EMPTY;
  }

  /** The end of the file: reports what is left open. */
  end(): void {
    this.showPartialCharacter(true);
    if (this.error !== null) return;
    const at = this.base + this.chunkLength;
    switch (this.token) {
      case "number":
        if (!this.numberEnds(-1, at)) return;
        break;
      case "string":
        return this.fail(MESSAGES.unterminated, at);
      case "escape":
      case "literal":
        return this.fail(MESSAGES.eos, at);
      case "unicode":
        return this.fail(MESSAGES.unicode, at);
    }
    if (this.expect !== "done") this.unexpected(-1, at);
  }

  /** The loop over a chunk: each token's method scans as far as its token goes, and says where to go on. */
  private scan(): void {
    const n = this.chunkLength;
    let i = 0;
    while (i < n && this.error === null) {
      const token = this.token;
      if (token === "string") i = this.inString(i);
      else if (token === "none") i = this.betweenTokens(i);
      else if (token === "escape") i = this.inEscape(i);
      else if (token === "unicode") i = this.inUnicodeEscape(i);
      else if (token === "number") i = this.inNumber(i);
      else i = this.inLiteral(i);
    }
  }

  // ---- Strings: most bytes of a log file are in one.

  /** From `i` inside a string: past its closing quote, to an escape the next bytes complete, or to the chunk's end. */
  private inString(i: number): number {
    const chunk = this.chunk;
    const n = this.chunkLength;
    let j = i;
    for (;;) {
      j = this.inScratch ? runEnd(j, n) : plainRunOf(chunk, j, n);
      if (j >= n) return n;
      const d = chunk[j];
      if (d === 0x22) {
        // In the common run `"key":"value","key":…`, the next string begins at once: scanned here, not round the loop.
        j = this.stringEnds(j);
        if (this.token !== "string") return j;
        continue;
      }
      if (d === 0x5c) {
        this.stringEscaped = true;
        // Two-byte escapes here; `\u` and escapes cut by the chunk's end a byte at a time.
        if (j + 1 < n && isSimpleEscape(chunk[j + 1])) {
          j += 2;
          continue;
        }
        this.token = "escape";
        return j + 1;
      }
      if (d < 0x20) return this.failAt(MESSAGES.control, j);
      this.position.nonAscii(d);
      j++;
    }
  }

  /** A string begins at `i` (its first byte, after the quote). */
  private stringBegins(i: number, isKey: boolean): void {
    this.token = "string";
    this.stringIsKey = isKey;
    this.stringStart = this.base + i;
    this.stringEscaped = false;
  }

  /** A key begins at `i` (its first byte, after the quote); a top-level one is kept until it ends, for the shape message. Returns `i`. */
  private keyBegins(i: number): number {
    if (this.depth === 1) this.topKeyBegins(i);
    this.stringBegins(i, true);
    return i;
  }

  /** The closing quote at `quote`: the key or the value ends; returns where to go on. */
  private stringEnds(quote: number): number {
    this.token = "none";
    const start = this.stringStart;
    const end = this.base + quote;
    const depth = this.depth;
    if (this.stringIsKey) {
      this.expect = "colon";
      if (depth === 1) {
        if (this.top.kind === "object") this.topKey(start, end);
      } else if (this.recordStart >= 0) {
        // Only keys of the record itself, and of its userIdentity, name fields.
        const level = depth - this.recordLevel;
        if ((level === 1 || (level === 2 && this.inIdentity)) && !this.recordTooLarge) this.keyEnds(start, end, level);
      }
      return this.afterKey(quote + 1);
    }
    if (this.pendingField !== "none") this.fieldValueEnds(start, end);
    if (depth === this.recordLevel && this.recordStart >= 0) this.recordEnds(end + 1);
    if (depth === 0) {
      this.expect = "done";
      return quote + 1;
    }
    this.expect = "commaOrEnd";
    return this.afterValue(quote + 1);
  }

  /**
   * Just after a key, the common cases without going round the loop: `:"` (a string value
   * begins) and `:{"` (an object, and its first key).
   */
  private afterKey(i: number): number {
    const chunk = this.chunk;
    const n = this.chunkLength;
    if (i >= n || chunk[i] !== 0x3a) return i;
    this.expect = "value";
    if (++i >= n) return i;
    const c = chunk[i];
    if (c === 0x22) {
      if (this.depth <= this.recordLevel || this.depth === 1) this.valueBegins("string", this.base + i);
      this.stringBegins(i + 1, false);
      return i + 1;
    }
    if (c !== 0x7b) return i;
    if (!this.containerBegins(true, i)) return n;
    return ++i < n && chunk[i] === 0x22 ? this.keyBegins(i + 1) : i;
  }

  /** Just after a value, the common cases: the ends of containers, then `,"` (the next key). */
  private afterValue(i: number): number {
    const chunk = this.chunk;
    const n = this.chunkLength;
    for (; i < n; i++) {
      const c = chunk[i];
      const container = this.stack[this.depth - 1];
      if (!((c === 0x7d && container === OBJECT) || (c === 0x5d && container === ARRAY))) break;
      this.containerEnds(i + 1);
      if (this.depth === 0) return i + 1;
    }
    if (i + 1 < n && chunk[i] === 0x2c && chunk[i + 1] === 0x22 && this.stack[this.depth - 1] === OBJECT) {
      this.expect = "key";
      return this.keyBegins(i + 2);
    }
    return i;
  }

  /** After a backslash whose escape the next byte says. */
  private inEscape(i: number): number {
    const c = this.chunk[i];
    if (isSimpleEscape(c)) this.token = "string";
    else if (c === 0x75) {
      this.unicodeEscapes = true;
      this.token = "unicode";
      this.unicodeLeft = 4;
    } else {
      // A character beyond Latin-1 after the backslash is, to V8, an unexpected token.
      if (c >= 0x80 && c !== 0xc2 && c !== 0xc3) this.unexpectedToken(c, this.base + i);
      else this.fail(MESSAGES.escape, this.base + i);
      return this.chunkLength;
    }
    return i + 1;
  }

  private inUnicodeEscape(i: number): number {
    const chunk = this.chunk;
    const n = this.chunkLength;
    for (; i < n; i++) {
      if (!isHex(chunk[i])) return this.failAt(MESSAGES.unicode, i);
      if (--this.unicodeLeft === 0) {
        this.token = "string";
        return i + 1;
      }
    }
    return n;
  }

  // ---- Between tokens: white space, punctuation, and the start of the next token.

  /** From `i` between tokens: to the start of the next token (past it, for punctuation), or the chunk's end. */
  private betweenTokens(i: number): number {
    const chunk = this.chunk;
    const n = this.chunkLength;
    for (; i < n; i++) {
      const c = chunk[i];
      if (c === 0x20 || c === 0x09 || c === 0x0d) continue;
      if (c === 0x0a) {
        this.position.lineFeed(this.base + i);
        continue;
      }
      if (c === 0x22) return this.quote(i);
      switch (this.expect) {
        case "commaOrEnd":
          if (c === 0x2c) {
            this.expect = this.stack[this.depth - 1] === OBJECT ? "key" : "value";
            continue;
          }
          if (
            (c === 0x7d && this.stack[this.depth - 1] === OBJECT) ||
            (c === 0x5d && this.stack[this.depth - 1] === ARRAY)
          ) {
            this.containerEnds(i + 1);
            continue;
          }
          break;
        case "colon":
          if (c === 0x3a) {
            this.expect = "value";
            continue;
          }
          break;
        case "keyOrEnd":
          if (c === 0x7d) {
            this.containerEnds(i + 1);
            continue;
          }
          break;
        // biome-ignore lint/suspicious/noFallthroughSwitchClause: an array's first element is read as any value
        case "valueOrEnd":
          if (c === 0x5d) {
            this.containerEnds(i + 1);
            continue;
          }
        // falls through: a first element
        case "value":
          if (c === 0x7b || c === 0x5b) {
            if (c === 0x7b && this.depth === this.recordLevel && this.wholeRecords) {
              const end = this.wholeRecord(i);
              if (end >= 0) {
                i = end - 1;
                continue;
              }
            }
            if (!this.containerBegins(c === 0x7b, i)) return n;
            continue;
          }
          return this.valueToken(c, i);
      }
      return this.unexpectedAt(c, i);
    }
    return n;
  }

  /** A quote between tokens: a key or a string value begins, if the grammar wants one. */
  private quote(i: number): number {
    const expect = this.expect;
    if (expect === "key" || expect === "keyOrEnd") this.keyBegins(i + 1);
    else if (expect === "value" || expect === "valueOrEnd") {
      if (this.depth <= this.recordLevel || this.depth <= 1) this.valueBegins("string", this.base + i);
      this.stringBegins(i + 1, false);
    } else return this.unexpectedAt(0x22, i);
    return i + 1;
  }

  // ---- The fast path: a record wholly inside the chunk, in one loop.

  /**
   * Reads the record whose `{` is at `i`, if it lies wholly in the chunk and holds nothing unusual,
   * in one loop whose state is in local variables (most of a log's records; the general state
   * machine spends most of its time storing and loading its state between tokens). It reads what
   * the general way reads: the same grammar, the same fields (the last of each, userIdentity's
   * only in the record's own userIdentity object), the same record to the handler. Returns where
   * the record ends, or -1, having changed nothing, for the general way to read it from its `{`:
   * when the chunk ends inside it, it is not valid JSON (the general way says why, and where), it
   * nests deeper than {@link WHOLE_RECORD_DEPTH}, or a key that may name a field is escaped.
   * A chunk in the scratch is read first by the same loop in WebAssembly (whole-records.ts), in
   * one call; what that one leaves (a line feed between tokens, or any of the above) is read here.
   */
  private wholeRecord(i: number): number {
    if (this.inScratch && this.webAssembly) {
      const end = WHOLE_RECORDS.read(i, this.chunkLength);
      if (end >= 0) {
        const results = WHOLE_RECORDS.results;
        this.position.nonAsciiCounted(results[RESULT.CONTINUATIONS], results[RESULT.FOUR_BYTE_LEADS]);
        if (results[RESULT.UNICODE] !== 0) this.unicodeEscapes = true;
        this.webAssemblyRecordsRead++;
        return this.recordRead(i, end, results[RESULT.ESCAPED], results);
      }
    }
    const b = this.chunk;
    const start = i;
    const scratch = this.inScratch;
    const position = this.position;
    position.mark();
    // Where each field's string lies (start, end, relative to the record; -1: absent), and which are escaped.
    const spans = this.spans;
    spans.fill(-1);
    let escapedFields = 0;
    /** Open containers, the record's own included. */
    let depth = 1;
    /** Bit k: the container at depth k + 1 is an object. */
    let objects = 1;
    /** Inside the record's userIdentity object, where keys at depth 2 name its fields. */
    let identity = false;
    /** The field ({@link SLOTS}) the key just read names, or -1. */
    let pending = -1;
    let c = b[++i];
    while (c <= 0x20 && isWhiteSpace(c)) {
      if (c === 0x0a) position.lineFeed(this.base + i);
      c = b[++i];
    }
    if (c === 0x7d) return this.recordRead(start, i + 1, escapedFields, spans);
    // At a key: `c` is its first byte, at `i`.
    key: for (;;) {
      if (c !== 0x22) return this.notWhole();
      const from = ++i;
      i = this.stringEnd(i, scratch);
      if (i < 0) return this.notWhole();
      const escaped = this.wholeStringEscaped;
      // The record's own keys, and its userIdentity's, may name a field.
      if (depth === 1 || (depth === 2 && identity)) {
        if (escaped) return this.notWhole();
        pending = (depth === 1 ? RECORD_KEYS : IDENTITY_KEYS).slot(b, from, i - from);
      }
      c = b[++i];
      while (c <= 0x20 && isWhiteSpace(c)) {
        if (c === 0x0a) position.lineFeed(this.base + i);
        c = b[++i];
      }
      if (c !== 0x3a) return this.notWhole();
      i++;
      // At a value (after `:`, `[` or `,` in an array).
      value: for (;;) {
        c = b[i];
        while (c <= 0x20 && isWhiteSpace(c)) {
          if (c === 0x0a) position.lineFeed(this.base + i);
          c = b[++i];
        }
        if (c === 0x22) {
          const from = ++i;
          i = this.stringEnd(i, scratch);
          if (i < 0) return this.notWhole();
          const escaped = this.wholeStringEscaped;
          if (pending >= 0) {
            if (pending === USER_IDENTITY) {
              for (let k = 2 * IDENTITY_FIELDS; k < 2 * USER_IDENTITY; k++) spans[k] = -1;
              escapedFields &= ~IDENTITY_ESCAPES;
              identity = false;
            } else {
              spans[2 * pending] = from - start;
              spans[2 * pending + 1] = i - start;
              if (escaped) escapedFields |= 1 << pending;
              else escapedFields &= ~(1 << pending);
            }
            pending = -1;
          }
          i++;
        } else {
          // A value other than a string: a field it is given to is absent.
          if (pending >= 0) {
            if (pending === USER_IDENTITY) {
              for (let k = 2 * IDENTITY_FIELDS; k < 2 * USER_IDENTITY; k++) spans[k] = -1;
              escapedFields &= ~IDENTITY_ESCAPES;
              identity = c === 0x7b;
            } else {
              spans[2 * pending] = spans[2 * pending + 1] = -1;
              escapedFields &= ~(1 << pending);
            }
            pending = -1;
          }
          if (c === 0x7b || c === 0x5b) {
            if (depth === WHOLE_RECORD_DEPTH) return this.notWhole();
            if (c === 0x7b) objects |= 1 << depth;
            depth++;
            const close = c + 2;
            c = b[++i];
            while (c <= 0x20 && isWhiteSpace(c)) {
              if (c === 0x0a) position.lineFeed(this.base + i);
              c = b[++i];
            }
            if (c !== close) {
              if (close === 0x7d) continue key;
              continue;
            }
            // An empty container.
            i++;
            objects &= ~(1 << --depth);
            if (depth === 1) identity = false;
          } else if (c === 0x2d || isDigit(c)) {
            if (c === 0x2d) c = b[++i];
            if (c === 0x30) c = b[++i];
            else if (isDigit(c))
              do c = b[++i];
              while (isDigit(c));
            else return this.notWhole();
            if (c === 0x2e) {
              if (!isDigit((c = b[++i]))) return this.notWhole();
              do c = b[++i];
              while (isDigit(c));
            }
            if (c === 0x65 || c === 0x45) {
              c = b[++i];
              if (c === 0x2b || c === 0x2d) c = b[++i];
              if (!isDigit(c)) return this.notWhole();
              do c = b[++i];
              while (isDigit(c));
            }
          } else if (c === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) i += 4;
          else if (c === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65)
            i += 5;
          else if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) i += 4;
          else return this.notWhole();
        }
        // After a value: `,`, or the ends of containers.
        for (;;) {
          c = b[i];
          while (c <= 0x20 && isWhiteSpace(c)) {
            if (c === 0x0a) position.lineFeed(this.base + i);
            c = b[++i];
          }
          const inObject = (objects >>> (depth - 1)) & 1;
          if (c === 0x2c) {
            if (inObject === 0) {
              i++;
              continue value;
            }
            c = b[++i];
            while (c <= 0x20 && isWhiteSpace(c)) {
              if (c === 0x0a) position.lineFeed(this.base + i);
              c = b[++i];
            }
            continue key;
          }
          if (c !== (inObject === 1 ? 0x7d : 0x5d)) return this.notWhole();
          i++;
          objects &= ~(1 << --depth);
          if (depth === 1) identity = false;
          // The record's own `}`: what follows is the general way's.
          else if (depth === 0) return this.recordRead(start, i, escapedFields, spans);
        }
      }
    }
  }

  /**
   * {@link wholeRecord} read a record, `[start, end)` of the chunk: to the handler, as {@link recordEnds} gives one.
   * `spans`: each field's start and end, relative to the record (-1: absent).
   */
  private recordRead(start: number, end: number, escapedFields: number, spans: Int32Array): number {
    const captures = this.captures;
    for (let k = 0; k < captures.length; k++) {
      const capture = captures[k];
      capture.start = spans[2 * k];
      capture.end = spans[2 * k + 1];
      capture.escaped = ((escapedFields >>> k) & 1) === 1;
    }
    this.fields.object = true;
    this.wholeRecordsRead++;
    this.handler.record(this.recordIndex++, this.chunk.subarray(start, end), this.fields, this.base + start);
    this.expect = "commaOrEnd";
    return end;
  }

  /** Whether the string {@link stringEnd} read last held an escape. */
  private wholeStringEscaped = false;

  /**
   * {@link wholeRecord}'s reading of a string (a key's or a value's) whose first byte after the
   * opening quote is at `i`: where its closing quote is, or -1 when it does not end in the chunk or
   * is not valid JSON (the general way then says why). Sets {@link wholeStringEscaped}.
   */
  private stringEnd(i: number, scratch: boolean): number {
    const b = this.chunk;
    const n = this.chunkLength;
    let escaped = false;
    for (;;) {
      i = scratch ? runEnd(i, n) : plainRunOf(b, i, n);
      if (i >= n) return -1;
      const d = b[i];
      if (d === 0x22) break;
      if (d === 0x5c) {
        escaped = true;
        const e = b[i + 1];
        if (isSimpleEscape(e)) i += 2;
        else if (e === 0x75 && isHex(b[i + 2]) && isHex(b[i + 3]) && isHex(b[i + 4]) && isHex(b[i + 5])) {
          this.unicodeEscapes = true;
          i += 6;
        } else return -1;
      } else if (d < 0x20) return -1;
      else {
        this.position.nonAscii(d);
        i++;
      }
    }
    this.wholeStringEscaped = escaped;
    return i;
  }

  /** {@link wholeRecord} gives the record to the general way: what it counted is counted again there. */
  private notWhole(): number {
    this.position.restore();
    return -1;
  }

  /** A `{` or `[` at `i` where a value is wanted; false when it nests too deep. */
  private containerBegins(isObject: boolean, i: number): boolean {
    const absolute = this.base + i;
    if (this.depth <= 2 || this.pendingField !== "none") this.valueBegins(isObject ? "object" : "array", absolute);
    if (!this.push(isObject ? OBJECT : ARRAY, absolute)) return false;
    this.expect = isObject ? "keyOrEnd" : "valueOrEnd";
    if (isObject && this.depth === 1) this.memberIsRecords = false;
    return true;
  }

  /** Where a value is wanted, byte `c` at `i` begins a number or a literal, or nothing the grammar takes. */
  private valueToken(c: number, i: number): number {
    const absolute = this.base + i;
    if (c === 0x2d || isDigit(c)) {
      if (this.depth <= 2 || this.pendingField !== "none") this.valueBegins("number", absolute);
      this.token = "number";
      this.numberPart = c === 0x2d ? "minus" : c === 0x30 ? "zero" : "integer";
      return i + 1;
    }
    if (c === 0x74 || c === 0x66 || c === 0x6e) {
      if (this.depth <= 2 || this.pendingField !== "none") this.valueBegins(c === 0x6e ? "null" : "boolean", absolute);
      this.literal = c === 0x74 ? 0 : c === 0x66 ? 1 : 2;
      // The whole word at once when the chunk holds it; a byte at a time (inLiteral) when it is cut or wrong.
      const word = LITERALS[this.literal];
      const chunk = this.chunk;
      if (
        i + word.length <= this.chunkLength &&
        chunk[i + 1] === word[1] &&
        chunk[i + 2] === word[2] &&
        chunk[i + 3] === word[3] &&
        (word.length === 4 || chunk[i + 4] === word[4])
      ) {
        this.scalarEnds(absolute + word.length);
        return this.afterValue(i + word.length);
      }
      this.literalIndex = 1;
      this.token = "literal";
      return i + 1;
    }
    return this.unexpectedAt(c, i);
  }

  /** A `}` or `]` ends the container; `end` is just past it. */
  private containerEnds(end: number): void {
    const depth = --this.depth;
    // userIdentity ends: keys at its depth are no longer its fields.
    if (this.inIdentity && depth === this.recordLevel + 1) this.inIdentity = false;
    this.scalarEnds(this.base + end);
  }

  private push(kind: number, absolute: number): boolean {
    if (this.depth >= MAX_DEPTH) {
      this.fail(`nested more than ${MAX_DEPTH.toLocaleString("en-US")} levels deep`, absolute);
      return false;
    }
    if (this.depth === this.stack.length) {
      const grown = new Uint8Array(this.stack.length * 2);
      grown.set(this.stack);
      this.stack = grown;
    }
    this.stack[this.depth++] = kind;
    return true;
  }

  // ---- Numbers and literals, a byte at a time.

  private inNumber(i: number): number {
    const { chunk, chunkLength: n } = this;
    for (; i < n; i++) {
      const c = chunk[i];
      const part = this.numberPart;
      if (isDigit(c)) {
        if (part === "minus") this.numberPart = c === 0x30 ? "zero" : "integer";
        else if (part === "zero") return this.failAt(MESSAGES.number, i);
        else if (part === "dot") this.numberPart = "fraction";
        else if (part === "exponentMark" || part === "exponentSign") this.numberPart = "exponent";
      } else if (c === 0x2e && (part === "zero" || part === "integer")) this.numberPart = "dot";
      else if ((c === 0x65 || c === 0x45) && (part === "zero" || part === "integer" || part === "fraction"))
        this.numberPart = "exponentMark";
      else if ((c === 0x2b || c === 0x2d) && part === "exponentMark") this.numberPart = "exponentSign";
      else return this.numberEnds(c, this.base + i) ? i : this.chunkLength;
    }
    return n;
  }

  /** Ends a number before byte `c` (-1: the end) at `absolute`; false if it is incomplete. */
  private numberEnds(c: number, absolute: number): boolean {
    const part = this.numberPart;
    if (part === "minus") this.fail(MESSAGES.minus, absolute);
    else if (part === "dot") this.fail(MESSAGES.fraction, absolute);
    else if (part === "exponentMark" || part === "exponentSign") this.fail(MESSAGES.exponent, absolute);
    else if (part === "zero" && isDigit(c)) this.fail(MESSAGES.number, absolute);
    else {
      this.token = "none";
      this.scalarEnds(absolute);
      return true;
    }
    return false;
  }

  private inLiteral(i: number): number {
    const chunk = this.chunk;
    const n = this.chunkLength;
    const word = LITERALS[this.literal];
    for (; i < n; i++) {
      if (chunk[i] !== word[this.literalIndex]) {
        this.unexpectedToken(chunk[i], this.base + i);
        return n;
      }
      if (++this.literalIndex === word.length) {
        this.token = "none";
        this.scalarEnds(this.base + i + 1);
        return i + 1;
      }
    }
    return n;
  }

  /** A number, a literal or a container ended at `end` (absolute, exclusive). */
  private scalarEnds(end: number): void {
    if (this.depth === this.recordLevel && this.recordStart >= 0) this.recordEnds(end);
    this.expect = this.depth === 0 ? "done" : "commaOrEnd";
  }

  // ---- Records, and the fields the review reads in them.

  /**
   * A value of `kind` begins at `this.depth` (called only where it can matter: near the top, or
   * after a key that names a field): notes records, `Records`, and fields whose value is not a string.
   */
  private valueBegins(kind: NonNullable<TopLevel["kind"]>, absolute: number): void {
    const depth = this.depth;
    if (depth === 0) {
      this.top.kind = kind;
      if (kind === "array") this.recordLevel = 1;
    } else if (depth === this.recordLevel) this.recordBegins(kind === "object", absolute);
    else if (depth === 1 && this.top.kind === "object") {
      if (this.memberIsRecords) {
        this.top.recordsArray = kind === "array";
        if (kind === "array") this.recordLevel = 2;
      }
    } else if (this.pendingField !== "none" && kind !== "string") {
      // A field whose value is not a string counts as absent, as `text()` reads it.
      const field = this.pendingField;
      this.pendingField = "none";
      if (field === "userIdentity") this.identityBegins(kind === "object");
      else this.capture(field, -1, -1, false);
    }
  }

  private recordBegins(object: boolean, absolute: number): void {
    this.recordStart = absolute;
    this.recordTooLarge = false;
    const fields = this.fields;
    fields.object = object;
    for (const capture of this.captures) {
      capture.start = -1;
      capture.end = -1;
      capture.escaped = false;
    }
    this.pendingField = "none";
    this.inIdentity = false;
    if (this.keepFrom < 0) this.keepFrom = absolute;
  }

  /** A record ends at `end` (absolute, exclusive): to the handler, its captures made relative to it. */
  private recordEnds(end: number): void {
    const start = this.recordStart;
    this.recordStart = -1;
    const index = this.recordIndex++;
    const fields = this.fields;
    if (this.recordTooLarge) this.handler.record(index, null, fields, start);
    else {
      for (const capture of this.captures) {
        if (capture.start >= 0) {
          capture.start -= start;
          capture.end -= start;
        }
      }
      this.handler.record(index, this.bytes(start, end), fields, start);
    }
    this.keepFrom = -1;
  }

  /**
   * A key ended at the record's level (1) or in its userIdentity (2) (`start`, `end` absolute,
   * without quotes): it may name a field. A plain key is compared only if it has a field's length;
   * an escaped one may be anything, and is decoded.
   */
  private keyEnds(start: number, end: number, level: number): void {
    const names = level === 1 ? RECORD_KEYS : IDENTITY_KEYS;
    const length = end - start;
    if (this.stringEscaped) this.pendingField = names.matchText(this.decode(start, end, true));
    else if (!names.mayMatch(length)) return;
    else if (start >= this.base) this.pendingField = names.match(this.chunk, start - this.base, length);
    else this.pendingField = names.match(this.bytes(start, end), 0, length);
  }

  /** The string value of the pending field ended (`start`, `end` absolute, without quotes). */
  private fieldValueEnds(start: number, end: number): void {
    const field = this.pendingField;
    this.pendingField = "none";
    if (field === "userIdentity") this.identityBegins(false);
    else this.capture(field, start, end, this.stringEscaped);
  }

  private capture(field: Field, start: number, end: number, escaped: boolean): void {
    const fields = this.fields;
    const capture =
      field === "eventId"
        ? fields.eventId
        : field === "eventName"
          ? fields.eventName
          : field === "eventTime"
            ? fields.eventTime
            : field === "errorCode"
              ? fields.errorCode
              : field === "accessKeyId"
                ? fields.accessKeyId
                : field === "identityType"
                  ? fields.identityType
                  : fields.userName;
    capture.start = start;
    capture.end = end;
    capture.escaped = escaped;
  }

  /**
   * userIdentity's value begins: the fields the review reads in it are absent until found there.
   * `inside`: the value is an object, which the scanner enters to find them.
   */
  private identityBegins(inside: boolean): void {
    this.capture("accessKeyId", -1, -1, false);
    this.capture("identityType", -1, -1, false);
    this.capture("userName", -1, -1, false);
    this.inIdentity = inside;
  }

  // ---- The top level: its kind, its first keys, `Records`, and whether it is a digest file.

  /** A top-level key begins at `i`: kept until it ends, for the shape message. */
  private topKeyBegins(i: number): void {
    if (this.keepFrom < 0) this.keepFrom = this.base + i;
  }

  private topKey(start: number, end: number): void {
    const key = this.longKeyHead ?? this.decode(start, end, this.stringEscaped);
    this.longKeyHead = null;
    this.keepFrom = -1;
    this.memberIsRecords = key === "Records";
    this.recordLevel = -1;
    if (key === "digestStartTime") this.top.digest = true;
    if (this.memberIsRecords) {
      this.recordIndex = 0;
      this.top.recordsArray = false;
      this.handler.recordsMember?.();
    }
    const index = arrayIndex(key);
    if (index >= 0) {
      if (!this.indexKeys.includes(index)) {
        this.indexKeys.push(index);
        this.indexKeys.sort((a, b) => a - b);
        this.indexKeys.length = Math.min(this.indexKeys.length, 5);
      }
    } else if (this.nameKeys.length < 5 && !this.nameKeys.includes(key)) this.nameKeys.push(key);
    this.top.keys = [...this.indexKeys.map(String), ...this.nameKeys].slice(0, 5);
  }

  // ---- Chunks: what a record or a key cut by a chunk's end keeps.

  /** The chunk is scanned: a record too large to keep is still scanned, but no longer kept; a top-level key too long, only its head. */
  private chunkEnds(): void {
    const end = this.base + this.chunkLength;
    if (this.recordStart >= 0 && !this.recordTooLarge && end - this.recordStart > this.maxRecordBytes) {
      this.recordTooLarge = true;
      this.keepFrom = -1;
    }
    const start = this.stringStart;
    if (
      this.token !== "none" &&
      this.stringIsKey &&
      this.depth === 1 &&
      this.longKeyHead === null &&
      end - start > MAX_KEY_BYTES
    ) {
      this.longKeyHead = `${this.bytes(start, start + MAX_KEY_BYTES).toString("utf8")}…`;
      this.keepFrom = -1;
    }
  }

  private appendCarry(bytes: Uint8Array): void {
    const needed = this.carryLength + bytes.length;
    if (needed > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.carry.length * 2, 4096));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(bytes, this.carryLength);
    this.carryLength = needed;
  }

  /** The bytes `[start, end)`, absolute: a view where they lie in one piece, a copy otherwise. */
  private bytes(start: number, end: number): Buffer {
    const base = this.base;
    if (start >= base) return this.chunk.subarray(start - base, end - base);
    const fromCarry = this.carry.subarray(start - this.keepFrom, Math.min(end, base) - this.keepFrom);
    if (end <= base) return fromCarry;
    const joined = Buffer.allocUnsafe(end - start);
    joined.set(fromCarry, 0);
    joined.set(this.chunk.subarray(0, end - base), fromCarry.length);
    return joined;
  }

  private decode(start: number, end: number, escaped: boolean): string {
    const text = this.bytes(start, end).toString("utf8");
    return escaped ? (JSON.parse(`"${text}"`) as string) : text;
  }

  // ---- Errors, with V8's messages.

  private fail(message: string, absolute: number): void {
    this.error = this.position.at(message, absolute);
    this.keepFrom = -1;
    this.carry = EMPTY;
  }

  /** Fails at `i` in the chunk; returns the chunk's end, where scanning stops. */
  private failAt(message: string, i: number): number {
    this.fail(message, this.base + i);
    return this.chunkLength;
  }

  /** The error for byte `c` (-1: the end) where the grammar has no more specific message. */
  private unexpectedToken(c: number, absolute: number): void {
    if (c === -1) return this.fail(MESSAGES.eos, absolute);
    if (c < 0x80) return this.fail(unexpectedByte(c), absolute);
    // V8 shows the character this byte begins: its other bytes may be in the next chunk.
    const at = absolute - this.base;
    this.fail("", absolute);
    this.partialCharacter = Array.from(this.chunk.subarray(at, Math.min(at + 4, this.chunkLength)));
    this.showPartialCharacter(false);
  }

  private showPartialCharacter(atEnd: boolean): void {
    const bytes = this.partialCharacter;
    if (bytes === null || this.error === null) return;
    if (bytes.length < characterLength(bytes[0]) && !atEnd) return;
    this.partialCharacter = null;
    this.error.message = unexpectedCharacter(bytes);
  }

  /** An unexpected byte (-1: the end) where `expect` says what was wanted. */
  private unexpected(c: number, absolute: number): void {
    switch (this.expect) {
      case "keyOrEnd":
        return this.fail(MESSAGES.propertyOrBrace, absolute);
      case "key":
        return this.fail(MESSAGES.quotedProperty, absolute);
      case "colon":
        return this.fail(MESSAGES.colon, absolute);
      case "commaOrEnd":
        return this.fail(
          this.stack[this.depth - 1] === OBJECT ? MESSAGES.commaOrBrace : MESSAGES.commaOrBracket,
          absolute,
        );
      case "done":
        return this.fail(MESSAGES.afterJson, absolute);
      default:
        return this.unexpectedToken(c, absolute);
    }
  }

  /** {@link unexpected} at `i` in the chunk; returns the chunk's end, where scanning stops. */
  private unexpectedAt(c: number, i: number): number {
    this.unexpected(c, this.base + i);
    return this.chunkLength;
  }
}
