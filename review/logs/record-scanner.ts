/**
 * Reads a CloudTrail log file as a stream of bytes and finds its records without building them:
 * the elements of `Records` (or of a top-level array), each with the few fields the review decides
 * by (`eventID`, `eventName`, `eventTime`, `errorCode`, and `userIdentity`'s `accessKeyId`, `type`
 * and `userName`). The caller parses only the records it keeps. Memory holds one record at a time,
 * whatever the size of the file.
 *
 * It validates the whole text as `JSON.parse` does, and reports the first error with the message and
 * the position V8's `JSON.parse` gives (test/review-scanner.test.ts checks both against V8 on
 * generated texts), so a broken file is refused exactly as when files were parsed whole. It works
 * on UTF-8 bytes; positions are counted in UTF-16 units, as in a string.
 *
 * No recursion: nesting is a byte per level, bounded by {@link MAX_DEPTH}.
 */

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
   * `fields` point into it. Both are valid only during the call.
   */
  record(index: number, bytes: Buffer | null, fields: RecordFields): void;
  /**
   * A `Records` member of the top-level object begins: JSON.parse keeps the last one, so records
   * reported before belong to a member that no longer counts.
   */
  recordsMember?(): void;
}

export interface JsonError {
  message: string;
  line: number;
  col: number;
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

// What is expected next, outside strings.
const VALUE = 0;
const FIRST_VALUE_OR_END = 1;
const FIRST_KEY_OR_END = 2;
const KEY = 3;
const COLON = 4;
const AFTER_VALUE = 5;
const DONE = 6;
// Inside a token.
const NONE = 0;
const IN_STRING = 1;
const IN_ESCAPE = 2;
const IN_UNICODE = 3;
const IN_NUMBER = 4;
const IN_LITERAL = 5;
// Number states: after '-', after a leading 0, in the integer, after '.', in the fraction, after 'e', after the exponent's sign, in the exponent.
const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_E_SIGN = 6;
const N_EXP = 7;

const OBJECT = 1;
const ARRAY = 2;

// What a byte inside a string asks for.
const S_QUOTE = 1;
const S_BACKSLASH = 2;
const S_CONTROL = 3;
const S_CONTINUATION = 4;
const S_LEAD4 = 5;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Where the run of plain characters from `from` ends: at a quote, a backslash, a control character
 * or a non-ASCII byte. Most bytes of a log file go through this loop; comparisons, not a table, and
 * a function of its own, which V8 optimizes better than the same loop inside the scanner's.
 */
function plainRun(chunk: Uint8Array, from: number, to: number): number {
  let j = from;
  while (j < to) {
    const d = chunk[j];
    if (d === 0x22 || d === 0x5c || d < 0x20 || d > 0x7f) return j;
    j++;
  }
  return to;
}
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

// Field ids: which captured value a key names. Record level, then userIdentity level.
const F_NONE = 0;
const F_EVENT_ID = 1;
const F_EVENT_NAME = 2;
const F_EVENT_TIME = 3;
const F_ERROR_CODE = 4;
const F_USER_IDENTITY = 5;
const F_ACCESS_KEY_ID = 6;
const F_TYPE = 7;
const F_USER_NAME = 8;
interface FieldName {
  text: string;
  bytes: Uint8Array;
  field: number;
}
const names = (fields: Record<string, number>): FieldName[] => Object.entries(fields).map(([text, field]) => ({ text, bytes: Buffer.from(text), field }));
const RECORD_KEYS = names({ eventID: F_EVENT_ID, eventName: F_EVENT_NAME, eventTime: F_EVENT_TIME, errorCode: F_ERROR_CODE, userIdentity: F_USER_IDENTITY });
const IDENTITY_KEYS = names({ accessKeyId: F_ACCESS_KEY_ID, type: F_TYPE, userName: F_USER_NAME });
const LITERALS = ["true", "false", "null"].map((word) => Buffer.from(word));

const MESSAGES = {
  eos: "Unexpected end of JSON input",
  number: "Unexpected number",
  string: "Unexpected string",
  propertyOrBrace: "Expected property name or '}'",
  quotedProperty: "Expected double-quoted property name",
  colon: "Expected ':' after property name",
  commaOrBrace: "Expected ',' or '}' after property value",
  commaOrBracket: "Expected ',' or ']' after array element",
  afterJson: "Unexpected non-whitespace character after JSON",
  unterminated: "Unterminated string",
  control: "Bad control character in string literal",
  escape: "Bad escaped character",
  unicode: "Bad Unicode escape",
  minus: "No number after minus sign",
  fraction: "Unterminated fractional number",
  exponent: "Exponent part is missing a number",
};

const absent = (): Capture => ({ start: -1, end: -1, escaped: false });
const EMPTY = Buffer.alloc(0);

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

  /** The chunk being scanned; `chunk[0]` is at absolute offset `base`. Not kept after `write`. */
  private chunk: Buffer = EMPTY;
  private base = 0;
  private chunkLength = 0;
  /** Absolute offset from which bytes must be kept (a record, or a top-level key), or -1. */
  private keepFrom = -1;
  /** Bytes `[keepFrom, base)`, when `keepFrom` lies in an earlier chunk; grows by doubling. */
  private carry = EMPTY;
  private carryLength = 0;

  // Positions in errors are UTF-16 offsets: bytes, minus continuation bytes, plus 4-byte leads.
  private continuation = 0;
  private lead4 = 0;
  private line = 1;
  /** The UTF-16 offset just after the last line feed. */
  private lineStartChar = 0;

  private expect = VALUE;
  private token = NONE;
  private stack = new Uint8Array(64);
  private depth = 0;
  private stringIsKey = false;
  private stringStart = 0;
  private stringEscaped = false;
  private unicodeLeft = 0;
  private numberState = 0;
  private literal = 0;
  private literalIndex = 0;

  /** The depth at which values are records (1: in a top-level array, 2: in Records), or -1. */
  private recordLevel = -1;
  private recordIndex = 0;
  private recordStart = -1;
  private recordTooLarge = false;
  private fields: RecordFields = RecordScanner.emptyFields(true);
  /** The field the key just read names, at the record's level or userIdentity's. */
  private pendingField = F_NONE;
  private inIdentity = false;
  /** In the top-level object, the member being read is `Records`. */
  private memberIsRecords = false;
  /** The beginning of a top-level key too long to keep whole (no field of CloudTrail's is). */
  private longKeyHead: string | null = null;
  /** The bytes of the character an error is about, while some of them are still to come. */
  private partialCharacter: number[] | null = null;
  private indexKeys: number[] = [];
  private nameKeys: string[] = [];

  constructor(handler: ScanHandler, maxRecordBytes: number) {
    this.handler = handler;
    this.maxRecordBytes = maxRecordBytes;
  }

  private static emptyFields(object: boolean): RecordFields {
    return { object, eventId: absent(), eventName: absent(), eventTime: absent(), errorCode: absent(), accessKeyId: absent(), identityType: absent(), userName: absent() };
  }

  /**
   * Scans the next bytes of the file. Does nothing once an error is found. Keeps no reference to
   * `chunk`: the caller may reuse it.
   */
  write(chunk: Uint8Array): void {
    if (this.partialCharacter !== null) {
      for (const byte of chunk.subarray(0, 4 - this.partialCharacter.length)) this.partialCharacter.push(byte);
      this.showPartialCharacter(false);
    }
    if (this.error !== null) return;
    this.chunk = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.chunkLength = chunk.length;
    this.scan();
    // What a record (or a top-level key) cut by the chunk's end still needs, copied: the carry
    // then holds [keepFrom, base) again, base now past this chunk.
    if (this.keepFrom >= this.base) {
      this.carryLength = 0;
      this.appendCarry(this.chunk.subarray(this.keepFrom - this.base));
    } else if (this.keepFrom >= 0) this.appendCarry(this.chunk);
    else this.carryLength = 0;
    this.base += this.chunkLength;
    this.chunkLength = 0;
    this.chunk = EMPTY;
  }

  /** The end of the file: reports what is left open. */
  end(): void {
    this.showPartialCharacter(true);
    if (this.error !== null) return;
    const at = this.base + this.chunkLength;
    if (this.token === IN_NUMBER) {
      if (!this.endNumber(-1, at)) return;
    } else if (this.token === IN_STRING) return this.fail(MESSAGES.unterminated, at);
    else if (this.token === IN_ESCAPE || this.token === IN_LITERAL) return this.fail(MESSAGES.eos, at);
    else if (this.token === IN_UNICODE) return this.fail(MESSAGES.unicode, at);
    if (this.expect !== DONE) this.unexpected(-1, at);
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

  private fail(message: string, absolute: number): void {
    const char = absolute - this.continuation + this.lead4;
    this.error = { message, line: this.line, col: char - this.lineStartChar + 1 };
    this.keepFrom = -1;
    this.carry = EMPTY;
  }

  /** The error for byte `c` (-1: the end) where the grammar has no more specific message. */
  private unexpectedToken(c: number, absolute: number): void {
    if (c === -1) return this.fail(MESSAGES.eos, absolute);
    if (c === 0x22) return this.fail(MESSAGES.string, absolute);
    if (isDigit(c) || c === 0x2d) return this.fail(MESSAGES.number, absolute);
    if (c < 0x80) return this.fail(`Unexpected token '${String.fromCharCode(c)}'`, absolute);
    // V8 shows the character this byte begins (one UTF-16 unit of the decoded text): its other
    // bytes may be in the next chunk.
    const at = absolute - this.base;
    this.fail("", absolute);
    this.partialCharacter = Array.from(this.chunk.subarray(at, Math.min(at + 4, this.chunk.length)));
    this.showPartialCharacter(false);
  }

  private showPartialCharacter(atEnd: boolean): void {
    const bytes = this.partialCharacter;
    if (bytes === null || this.error === null) return;
    const lead = bytes[0];
    const needed = lead >= 0xf0 && lead < 0xf5 ? 4 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xc2 && lead < 0xe0 ? 2 : 1;
    if (bytes.length < needed && !atEnd) return;
    this.partialCharacter = null;
    this.error.message = `Unexpected token '${Buffer.from(bytes.slice(0, needed)).toString("utf8").charAt(0)}'`;
  }

  /** An unexpected byte (-1: the end) where `expect` says what was wanted. */
  private unexpected(c: number, absolute: number): void {
    switch (this.expect) {
      case FIRST_KEY_OR_END:
        return this.fail(MESSAGES.propertyOrBrace, absolute);
      case KEY:
        return this.fail(MESSAGES.quotedProperty, absolute);
      case COLON:
        return this.fail(MESSAGES.colon, absolute);
      case AFTER_VALUE:
        return this.fail(this.stack[this.depth - 1] === OBJECT ? MESSAGES.commaOrBrace : MESSAGES.commaOrBracket, absolute);
      case DONE:
        return this.fail(MESSAGES.afterJson, absolute);
      default:
        return this.unexpectedToken(c, absolute);
    }
  }

  /**
   * A value begins at `this.depth` (called only where it can matter: near the top, or after a key
   * that names a field): notes records, `Records`, and fields whose value is not a string.
   */
  private valueStarts(kind: TopLevel["kind"], absolute: number): void {
    const depth = this.depth;
    if (depth === 0) {
      this.top.kind = kind;
      if (kind === "array") this.recordLevel = 1;
    } else if (depth === this.recordLevel) {
      this.recordStart = absolute;
      this.recordTooLarge = false;
      this.fields = RecordScanner.emptyFields(kind === "object");
      this.pendingField = F_NONE;
      this.inIdentity = false;
      if (this.keepFrom < 0) this.keepFrom = absolute;
    } else if (depth === 1 && this.top.kind === "object") {
      if (this.memberIsRecords) {
        this.top.recordsArray = kind === "array";
        if (kind === "array") this.recordLevel = 2;
      }
    } else if (this.pendingField !== F_NONE && kind !== "string") {
      // A field whose value is not a string counts as absent, as `text()` reads it.
      const field = this.pendingField;
      this.pendingField = F_NONE;
      if (field === F_USER_IDENTITY) this.identityBegins(kind === "object");
      else this.setField(field, absent());
    }
  }

  private setField(field: number, capture: Capture): void {
    const fields = this.fields;
    if (field === F_EVENT_ID) fields.eventId = capture;
    else if (field === F_EVENT_NAME) fields.eventName = capture;
    else if (field === F_EVENT_TIME) fields.eventTime = capture;
    else if (field === F_ERROR_CODE) fields.errorCode = capture;
    else if (field === F_ACCESS_KEY_ID) fields.accessKeyId = capture;
    else if (field === F_TYPE) fields.identityType = capture;
    else if (field === F_USER_NAME) fields.userName = capture;
  }

  /** A record ends at `end` (absolute, exclusive). */
  private recordEnds(end: number): void {
    const start = this.recordStart;
    this.recordStart = -1;
    const index = this.recordIndex++;
    const fields = this.fields;
    if (this.recordTooLarge) this.handler.record(index, null, fields);
    else {
      for (const capture of [fields.eventId, fields.eventName, fields.eventTime, fields.errorCode, fields.accessKeyId, fields.identityType, fields.userName]) {
        if (capture.start >= 0) {
          capture.start -= start;
          capture.end -= start;
        }
      }
      this.handler.record(index, this.bytes(start, end), fields);
    }
    this.keepFrom = -1;
  }

  /** A key ended: a top-level key, or one that may name a field (`start`, `end` absolute, without quotes). */
  private keyEnds(start: number, end: number, escaped: boolean): void {
    const depth = this.depth;
    if (depth === 1) return this.topKey(start, end, escaped);
    const names = depth === this.recordLevel + 1 ? RECORD_KEYS : IDENTITY_KEYS;
    if (escaped) {
      const key = this.decode(start, end, true);
      this.pendingField = names.find((name) => name.text === key)?.field ?? F_NONE;
      return;
    }
    // Compared as bytes: no string is made for the dozen keys of every record.
    this.pendingField = F_NONE;
    const length = end - start;
    const inChunk = start >= this.base;
    const bytes = inChunk ? this.chunk : this.bytes(start, end);
    const from = inChunk ? start - this.base : 0;
    for (const name of names) {
      if (name.bytes.length !== length) continue;
      let k = 0;
      while (k < length && bytes[from + k] === name.bytes[k]) k++;
      if (k === length) {
        this.pendingField = name.field;
        return;
      }
    }
  }

  private topKey(start: number, end: number, escaped: boolean): void {
    const key = this.longKeyHead ?? this.decode(start, end, escaped);
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

  /**
   * userIdentity's value begins: the fields the review reads in it are absent until found there.
   * `inside`: the value is an object, which the scanner enters to find them.
   */
  private identityBegins(inside: boolean): void {
    this.fields.accessKeyId = absent();
    this.fields.identityType = absent();
    this.fields.userName = absent();
    this.inIdentity = inside;
  }

  /** A string value ended (`start`, `end` absolute, without quotes). */
  private stringValueEnds(start: number, end: number, escaped: boolean): void {
    if (this.pendingField !== F_NONE) {
      const field = this.pendingField;
      this.pendingField = F_NONE;
      if (field === F_USER_IDENTITY) this.identityBegins(false);
      else this.setField(field, { start, end, escaped });
    }
    if (this.depth === this.recordLevel && this.recordStart >= 0) this.recordEnds(end + 1);
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

  /** Ends a number before byte `c` (-1: the end) at `absolute`; false if it is incomplete. */
  private endNumber(c: number, absolute: number): boolean {
    const state = this.numberState;
    if (state === N_MINUS) this.fail(MESSAGES.minus, absolute);
    else if (state === N_DOT) this.fail(MESSAGES.fraction, absolute);
    else if (state === N_E || state === N_E_SIGN) this.fail(MESSAGES.exponent, absolute);
    else if (state === N_ZERO && isDigit(c)) this.fail(MESSAGES.number, absolute);
    else {
      this.token = NONE;
      this.scalarEnds(absolute);
      return true;
    }
    return false;
  }

  /** A number or a literal ended at `end` (absolute, exclusive). */
  private scalarEnds(end: number): void {
    if (this.depth === this.recordLevel && this.recordStart >= 0) this.recordEnds(end);
    this.expect = this.depth === 0 ? DONE : AFTER_VALUE;
  }

  /**
   * The loop over a chunk. State lives in locals while it runs and goes back to `this` before any
   * call that reads it.
   */
  private scan(): void {
    const chunk = this.chunk;
    const base = this.base;
    const n = chunk.length;
    let i = 0;
    let token = this.token;
    let expect = this.expect;
    let depth = this.depth;
    let stack = this.stack;
    let stringIsKey = this.stringIsKey;
    let stringStart = this.stringStart;
    let stringEscaped = this.stringEscaped;
    while (i < n) {
      if (token === IN_STRING) {
        // Most bytes of a log file are inside strings.
        let cls = 0;
        let j = i;
        for (;;) {
          j = plainRun(chunk, j, n);
          if (j >= n) break;
          const d = chunk[j];
          cls = d === 0x22 ? S_QUOTE : d === 0x5c ? S_BACKSLASH : d < 0x20 ? S_CONTROL : d < 0xc0 ? S_CONTINUATION : d >= 0xf0 && d < 0xf8 ? S_LEAD4 : 0;
          if (cls === S_QUOTE || cls === S_CONTROL) break;
          if (cls === S_CONTINUATION) this.continuation++;
          else if (cls === S_LEAD4) this.lead4++;
          else if (cls === S_BACKSLASH) {
            // A backslash: simple escapes here, the rest (and escapes cut by the chunk's end) one byte at a time below.
            stringEscaped = true;
            const e = j + 1 < n ? chunk[j + 1] : -1;
            if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
              j += 2;
              continue;
            }
            break;
          }
          j++;
        }
        i = j;
        if (j >= n) break;
        if (cls === S_CONTROL) {
          this.fail(MESSAGES.control, base + j);
          return;
        }
        if (cls === S_BACKSLASH) {
          token = IN_ESCAPE;
          i++;
          continue;
        }
        // The closing quote.
        token = NONE;
        i++;
        const start = stringStart;
        const end = base + j;
        if (stringIsKey) {
          expect = COLON;
          if (depth === 1) {
            if (this.top.kind === "object") {
              this.depth = depth;
              this.keyEnds(start, end, stringEscaped);
            }
          } else if (this.recordStart >= 0 && !this.recordTooLarge) {
            const length = end - start;
            const level = depth - this.recordLevel;
            // Only keys of a field's length are compared; escaped keys may be anything.
            // And only if they begin as one (e: eventID…, u: userIdentity, userName; t: type; a: accessKeyId).
            const first = start >= base ? chunk[start - base] : -1;
            if (
              (level === 1 && (((length === 7 || length === 9 || length === 12) && (first === 0x65 || first === 0x75 || first === -1)) || stringEscaped)) ||
              (level === 2 && this.inIdentity && (((length === 4 || length === 8 || length === 11) && (first === 0x74 || first === 0x75 || first === 0x61 || first === -1)) || stringEscaped))
            ) {
              this.depth = depth;
              this.keyEnds(start, end, stringEscaped);
            }
          }
          // The common case, `"key":"value"`, without going round the loop for the colon and the quote.
          if (i + 1 < n && chunk[i] === 0x3a) {
            expect = VALUE;
            i++;
            if (chunk[i] === 0x22) {
              stringIsKey = false;
              if (depth <= 2) {
                this.depth = depth;
                this.valueStarts("string", base + i);
              }
              token = IN_STRING;
              stringStart = base + i + 1;
              stringEscaped = false;
              i++;
            }
          }
        } else {
          if (this.pendingField !== F_NONE || depth === this.recordLevel) {
            this.depth = depth;
            this.stringValueEnds(start, end, stringEscaped);
          }
          expect = depth === 0 ? DONE : AFTER_VALUE;
          // And `","` between members of an object.
          if (expect === AFTER_VALUE && i + 1 < n && chunk[i] === 0x2c && chunk[i + 1] === 0x22 && stack[depth - 1] === OBJECT) {
            expect = KEY;
            i += 2;
            stringIsKey = true;
            if (depth === 1 && this.keepFrom < 0) this.keepFrom = base + i;
            token = IN_STRING;
            stringStart = base + i;
            stringEscaped = false;
          }
        }
        continue;
      }
      const c = chunk[i];
      if (token !== NONE) {
        // Tokens one byte at a time: escapes, numbers, literals.
        if (token === IN_ESCAPE) {
          if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) token = IN_STRING;
          else if (c === 0x75) {
            token = IN_UNICODE;
            this.unicodeLeft = 4;
          } else {
            this.depth = depth;
            this.expect = expect;
            // A character beyond Latin-1 after the backslash is, to V8, an unexpected token.
            if (c >= 0x80 && c !== 0xc2 && c !== 0xc3) this.unexpectedToken(c, base + i);
            else this.fail(MESSAGES.escape, base + i);
            return;
          }
          i++;
          continue;
        }
        if (token === IN_UNICODE) {
          if (!isHex(c)) {
            this.fail(MESSAGES.unicode, base + i);
            return;
          }
          if (--this.unicodeLeft === 0) token = IN_STRING;
          i++;
          continue;
        }
        if (token === IN_NUMBER) {
          const state = this.numberState;
          if (isDigit(c)) {
            if (state === N_MINUS) this.numberState = c === 0x30 ? N_ZERO : N_INT;
            else if (state === N_ZERO) {
              this.fail(MESSAGES.number, base + i);
              return;
            } else if (state === N_DOT) this.numberState = N_FRAC;
            else if (state === N_E || state === N_E_SIGN) this.numberState = N_EXP;
            i++;
            continue;
          }
          if (c === 0x2e && (state === N_ZERO || state === N_INT)) this.numberState = N_DOT;
          else if ((c === 0x65 || c === 0x45) && (state === N_ZERO || state === N_INT || state === N_FRAC)) this.numberState = N_E;
          else if ((c === 0x2b || c === 0x2d) && state === N_E) this.numberState = N_E_SIGN;
          else {
            this.depth = depth;
            if (!this.endNumber(c, base + i)) return;
            token = NONE;
            expect = this.expect;
            continue;
          }
          i++;
          continue;
        }
        // A literal.
        const word = LITERALS[this.literal];
        if (c !== word[this.literalIndex]) {
          this.unexpectedToken(c, base + i);
          return;
        }
        i++;
        if (++this.literalIndex === word.length) {
          token = NONE;
          this.depth = depth;
          this.scalarEnds(base + i);
          expect = this.expect;
        }
        continue;
      }

      // Between tokens.
      if (c === 0x20 || c === 0x09 || c === 0x0d) {
        i++;
        while (i < n && chunk[i] === 0x20) i++;
        continue;
      }
      if (c === 0x0a) {
        i++;
        this.line++;
        this.lineStartChar = base + i - this.continuation + this.lead4;
        continue;
      }
      if (c === 0x22) {
        if (expect === KEY || expect === FIRST_KEY_OR_END) stringIsKey = true;
        else if (expect === VALUE || expect === FIRST_VALUE_OR_END) {
          stringIsKey = false;
          if (depth <= 2) {
            this.depth = depth;
            this.valueStarts("string", base + i);
          }
        } else {
          this.depth = depth;
          this.expect = expect;
          this.unexpected(c, base + i);
          return;
        }
        // Top-level keys are kept until they end, for the shape message.
        if (depth === 1 && stringIsKey && this.keepFrom < 0) this.keepFrom = base + i + 1;
        token = IN_STRING;
        stringStart = base + i + 1;
        stringEscaped = false;
        i++;
        continue;
      }
      if (expect === AFTER_VALUE) {
        const container = stack[depth - 1];
        if (c === 0x2c) {
          expect = container === OBJECT ? KEY : VALUE;
          i++;
          continue;
        }
        if ((c === 0x7d && container === OBJECT) || (c === 0x5d && container === ARRAY)) {
          depth--;
          i++;
          if (depth <= 2 || this.inIdentity) {
            if (this.inIdentity && depth === this.recordLevel + 1) this.inIdentity = false;
            this.depth = depth;
            this.scalarEnds(base + i);
            expect = this.expect;
          } else expect = AFTER_VALUE;
          continue;
        }
      } else if (expect === COLON) {
        if (c === 0x3a) {
          expect = VALUE;
          i++;
          continue;
        }
      } else if (expect === FIRST_KEY_OR_END) {
        if (c === 0x7d) {
          depth--;
          i++;
          this.depth = depth;
          this.scalarEnds(base + i);
          expect = this.expect;
          continue;
        }
      } else if (expect === VALUE || expect === FIRST_VALUE_OR_END) {
        if (c === 0x7b || c === 0x5b) {
          const kind = c === 0x7b ? OBJECT : ARRAY;
          this.depth = depth;
          if (depth <= 2 || this.pendingField !== F_NONE) this.valueStarts(kind === OBJECT ? "object" : "array", base + i);
          if (!this.push(kind, base + i)) return;
          depth = this.depth;
          stack = this.stack;
          if (kind === OBJECT) {
            expect = FIRST_KEY_OR_END;
            if (depth === 1) this.memberIsRecords = false;
          } else expect = FIRST_VALUE_OR_END;
          i++;
          continue;
        }
        if (c === 0x5d && expect === FIRST_VALUE_OR_END) {
          depth--;
          i++;
          this.depth = depth;
          this.scalarEnds(base + i);
          expect = this.expect;
          continue;
        }
        if (c === 0x2d || isDigit(c)) {
          this.depth = depth;
          if (depth <= 2 || this.pendingField !== F_NONE) this.valueStarts("number", base + i);
          token = IN_NUMBER;
          this.numberState = c === 0x2d ? N_MINUS : c === 0x30 ? N_ZERO : N_INT;
          i++;
          continue;
        }
        if (c === 0x74 || c === 0x66 || c === 0x6e) {
          this.depth = depth;
          if (depth <= 2 || this.pendingField !== F_NONE) this.valueStarts(c === 0x6e ? "null" : "boolean", base + i);
          const literal = c === 0x74 ? 0 : c === 0x66 ? 1 : 2;
          const word = LITERALS[literal];
          // The whole word at once when the chunk holds it; byte by byte (below) when it is cut.
          if (i + word.length <= n && chunk[i + 1] === word[1] && chunk[i + 2] === word[2] && chunk[i + 3] === word[3] && (word.length === 4 || chunk[i + 4] === word[4])) {
            i += word.length;
            this.scalarEnds(base + i);
            expect = this.expect;
            continue;
          }
          token = IN_LITERAL;
          this.literal = literal;
          this.literalIndex = 1;
          i++;
          continue;
        }
      }
      this.depth = depth;
      this.expect = expect;
      this.unexpected(c, base + i);
      return;
    }
    this.token = token;
    this.expect = expect;
    this.depth = depth;
    this.stringIsKey = stringIsKey;
    this.stringStart = stringStart;
    this.stringEscaped = stringEscaped;
    // A record too large to keep is still scanned, but no longer kept.
    const end = base + n;
    if (this.recordStart >= 0 && !this.recordTooLarge && end - this.recordStart > this.maxRecordBytes) {
      this.recordTooLarge = true;
      this.keepFrom = -1;
    }
    if (token !== NONE && stringIsKey && depth === 1 && this.longKeyHead === null && end - stringStart > MAX_KEY_BYTES) {
      this.longKeyHead = `${this.bytes(stringStart, stringStart + MAX_KEY_BYTES).toString("utf8")}…`;
      this.keepFrom = -1;
    }
  }
}
