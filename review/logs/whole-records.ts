/**
 * The scanner's fast path in WebAssembly: a record wholly inside the chunk, read in one function
 * over the scratch (string-runs.ts), its strings 16 bytes at a time. The scanner's own fast path
 * in JavaScript ({@link RecordScanner.wholeRecord}, record-scanner.ts) called WebAssembly for every
 * string and spent, between those calls, a quarter of each reader thread's time at 2,000,000 events
 * on its structure: bounds checks, its state in variables V8 keeps boxed, the calls themselves.
 *
 * It reads what the JavaScript fast path reads, the same grammar and the same fields, and gives up
 * (-1) wherever that one may: the chunk ends inside the record, the record is not valid JSON,
 * nests deeper than the depth given, or a key that may name a field is escaped; and, left to the
 * JavaScript (which counts lines), a line feed between tokens. Then the JavaScript reads it.
 * test/review-whole-records.test.ts holds the two together on generated records.
 *
 * The chunk lies at the scratch's start; the function writes a 0 just past it, a byte no token
 * takes and every string stops at, so that it never needs to check where the chunk ends but when
 * it stops. The scratch's memory has a page past the largest chunk: the byte, the 16-byte loads
 * from it, and the results ({@link RESULTS}) fit there.
 */
import { runStops, SCRATCH_BYTES, SCRATCH_MEMORY } from "./string-runs.ts";
import {
  allHold,
  anyHolds,
  assemble,
  block,
  br,
  brIf,
  brTable,
  get,
  i32,
  set,
  I32,
  leb,
  loop,
  MEMORY_FILL,
  memarg,
  name,
  OP,
  section,
  sleb,
  V128,
  when,
  type Code,
} from "./wasm-assembly.ts";

/** A key that names a field: its text, and the field's place in the results' spans. */
export interface FieldKey {
  text: string;
  slot: number;
}

/** What the function needs to know of the fields: their keys, and the places of userIdentity and its own fields. */
export interface FieldLayout {
  /** Keys of the record that name a field. */
  recordKeys: readonly FieldKey[];
  /** Keys of its userIdentity that name one. */
  identityKeys: readonly FieldKey[];
  /** userIdentity's slot: its value is entered, not captured. */
  userIdentity: number;
  /** The first slot of userIdentity's own fields, which are absent again when another userIdentity begins; they run to `userIdentity`. */
  identityFields: number;
  /** Containers a record may nest in, itself included. */
  maxDepth: number;
}

/** Where the results lie in the scratch's memory: past the chunk, its 0, and a 16-byte load from it. */
const RESULTS_AT = SCRATCH_BYTES + 256;
/** The results, as 32-bit numbers from {@link RESULTS_AT}. */
const SPANS = 0;
const ESCAPED = 14;
const CONTINUATIONS = 15;
const FOUR_BYTE_LEADS = 16;
const UNICODE = 17;

// The locals: the parameters `i` (the position) and `n` (the chunk's length), then the function's own.
const [I, N, START, DEPTH, OBJECTS, IDENTITY, PENDING, ESC, CONT, FOUR, UNI, STATE, C, FROM, STR_ESC, STOPS, T, V] =
  Array.from({ length: 18 }, (_, k) => k);
/** What the loop reads next: a key (at its quote), a value, or what follows a value. */
const [KEY, VALUE, AFTER] = [0, 1, 2];

const add = (local: number, n: number): Code[] => set(local, [...get(local), ...i32(n), OP.i32Add]);
/** The byte at `i + k`. */
const byteAt = (k = 0): Code[] => [...get(I), OP.i32Load8U, ...memarg(k)];
const is = (local: number, n: number): Code[] => [...get(local), ...i32(n), OP.i32Eq];
const anyOf = (local: number, ...values: number[]): Code[] => anyHolds(...values.map((n) => is(local, n)));
const isDigit = (local: number): Code[] => [...get(local), ...i32(0x30), OP.i32Sub, ...i32(10), OP.i32LtU];
/** Whether the byte at `i + k` is a hex digit (uses T). */
const isHexAt = (k: number): Code[] => [
  ...set(T, byteAt(k)),
  ...anyHolds(
    [...get(T), ...i32(0x30), OP.i32Sub, ...i32(10), OP.i32LtU],
    [...get(T), ...i32(0x20), OP.i32Or, ...i32(0x61), OP.i32Sub, ...i32(6), OP.i32LtU],
  ),
];
/** Results' number `k`, stored from `value`. */
const storeResult = (k: number, value: Code[]): Code[] => [
  ...i32(0),
  ...value,
  OP.i32Store,
  ...memarg(RESULTS_AT + 4 * k),
];
/** Span `k` (a field's start or end) set to `value`, for the field in PENDING. */
const storeSpan = (end: 0 | 1, value: Code[]): Code[] => [
  ...get(PENDING),
  ...i32(3),
  OP.i32Shl,
  ...value,
  OP.i32Store,
  ...memarg(RESULTS_AT + 4 * (SPANS + end)),
];

/**
 * Past spaces, tabs and carriage returns; C is then the byte at `i`. A line feed stops it, and no
 * token takes one: the function gives up, and the JavaScript, which counts lines, reads the record.
 */
const skipSpaces: Code[] = [
  block(
    "spaced",
    loop(
      "space",
      set(C, byteAt()),
      brIf("spaced", [...get(C), ...i32(0x20), OP.i32GtU]),
      brIf("spaced", [...anyOf(C, 0x20, 0x09, 0x0d), OP.i32Eqz]),
      add(I, 1),
      br("space"),
    ),
  ),
];

/**
 * From `i` at a string's opening quote to its closing quote, FROM at its first byte: runs of plain
 * bytes 16 at a time, escapes checked, non-ASCII bytes counted for the error positions the
 * JavaScript keeps. Gives up at a control character, a bad escape, or the chunk's end (its 0).
 */
const string: Code[] = [
  add(I, 1),
  set(FROM, get(I)),
  set(STR_ESC, i32(0)),
  block(
    "quote",
    loop(
      "run",
      runStops(I, V, STOPS),
      when([OP.i32Eqz], [add(I, 16), br("run")]),
      set(I, [...get(I), ...get(STOPS), OP.i32Ctz, OP.i32Add]),
      set(C, byteAt()),
      brIf("quote", is(C, 0x22)),
      brIf("bail", [...get(I), ...get(N), OP.i32GeU]),
      when(is(C, 0x5c), [
        set(STR_ESC, i32(1)),
        set(C, byteAt(1)),
        when(anyOf(C, 0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74), [add(I, 2), br("run")]),
        brIf("bail", [...is(C, 0x75), OP.i32Eqz]),
        brIf("bail", [...allHold(isHexAt(2), isHexAt(3), isHexAt(4), isHexAt(5)), OP.i32Eqz]),
        set(UNI, i32(1)),
        add(I, 6),
        br("run"),
      ]),
      brIf("bail", [...get(C), ...i32(0x20), OP.i32LtU]),
      when(
        [...get(C), ...i32(0xc0), OP.i32LtU],
        [add(CONT, 1)],
        [when([...get(C), ...i32(0xf0), OP.i32GeU, ...get(C), ...i32(0xf8), OP.i32LtU, OP.i32And], [add(FOUR, 1)])],
      ),
      add(I, 1),
      br("run"),
    ),
  ),
];

/** Whether the plain key `[FROM, i)` is `text`, compared 8 (or 4) bytes at a time; the bytes after it are its quote and more. */
function keyIs(text: string): Code[] {
  const bytes = Buffer.from(text);
  const length = bytes.length;
  const load64 = (at: number): Code[] => [...get(FROM), OP.i64Load, ...memarg(at)];
  const word = (at: number) => bytes.readBigUInt64LE(at);
  const compares: Code[][] = [];
  if (length >= 8) {
    for (let at = 0; at + 8 <= length; at += 8)
      compares.push([...load64(at), OP.i64Const, ...sleb(BigInt.asIntN(64, word(at))), OP.i64Eq]);
    if (length % 8 !== 0)
      compares.push([...load64(length - 8), OP.i64Const, ...sleb(BigInt.asIntN(64, word(length - 8))), OP.i64Eq]);
  } else {
    const padded = Buffer.alloc(8);
    bytes.copy(padded);
    const mask = (1n << BigInt(8 * length)) - 1n;
    compares.push([
      ...load64(0),
      OP.i64Const,
      ...sleb(BigInt.asIntN(64, mask)),
      OP.i64And,
      OP.i64Const,
      ...sleb(BigInt.asIntN(64, padded.readBigUInt64LE(0))),
      OP.i64Eq,
    ]);
  }
  return allHold(...compares);
}

/** PENDING := the slot the key `[FROM, i)` names among `keys`, or -1. */
const matchKey = (keys: readonly FieldKey[]): Code[] => [
  set(PENDING, i32(-1)),
  block(
    "matched",
    keys.map((key) =>
      when(
        [...get(I), ...get(FROM), OP.i32Sub, ...i32(Buffer.byteLength(key.text)), OP.i32Eq],
        [when(keyIs(key.text), [set(PENDING, i32(key.slot)), br("matched")])],
      ),
    ),
  ),
];

function functionBody(layout: FieldLayout): number[] {
  const identitySpans = 2 * layout.identityFields;
  const identityBytes = 4 * 2 * (layout.userIdentity - layout.identityFields);
  const identityEscapes = ((1 << (layout.userIdentity - layout.identityFields)) - 1) << layout.identityFields;
  /** userIdentity begins: its fields are absent (and not escaped) until read in it. */
  const identityBegins = (inside: Code[]): Code[] => [
    ...i32(RESULTS_AT + 4 * identitySpans),
    ...i32(0xff),
    ...i32(identityBytes),
    ...MEMORY_FILL,
    ...set(ESC, [...get(ESC), ...i32(~identityEscapes), OP.i32And]),
    ...set(IDENTITY, inside),
  ];
  /** ESC without the bit of the field in PENDING. */
  const pendingNotEscaped = [...get(ESC), ...i32(1), ...get(PENDING), OP.i32Shl, ...i32(-1), OP.i32Xor, OP.i32And];
  /** A container ends: `objects` loses its bit, and userIdentity's object, if it was that one, ends. */
  const containerEnds: Code[] = [
    add(DEPTH, -1),
    set(OBJECTS, [...get(OBJECTS), ...i32(1), ...get(DEPTH), OP.i32Shl, ...i32(-1), OP.i32Xor, OP.i32And]),
    when(is(DEPTH, 1), [set(IDENTITY, i32(0))]),
  ];
  const then = (state: number): Code[] => [set(STATE, i32(state)), br("main")];
  const digits: Code[] = [loop("digits", add(I, 1), set(C, byteAt()), brIf("digits", isDigit(C)))];
  const nextByte: Code[] = [add(I, 1), set(C, byteAt())];
  const word = (text: string) => Buffer.from(text).readInt32LE(0);

  const code: Code[] = [
    // The 0 past the chunk, and every field absent.
    [...get(N), ...i32(0), OP.i32Store8, ...memarg()],
    set(START, get(I)),
    [...i32(RESULTS_AT), ...i32(0xff), ...i32(4 * ESCAPED), ...MEMORY_FILL],
    set(PENDING, i32(-1)),
    set(DEPTH, i32(1)),
    set(OBJECTS, i32(1)),
    add(I, 1),
    block(
      "bail",
      block(
        "done",
        skipSpaces,
        when(is(C, 0x7d), [add(I, 1), br("done")]),
        set(STATE, i32(KEY)),
        loop(
          "main",
          block(
            "after",
            block(
              "value",
              block("key", brTable(get(STATE), "key", "value", "after")),
              // A key, at its quote.
              brIf("bail", [...byteAt(), ...i32(0x22), OP.i32Ne]),
              string,
              // The record's own keys, and its userIdentity's, may name a field; escaped, the JavaScript decodes them.
              when(
                is(DEPTH, 1),
                [brIf("bail", get(STR_ESC)), matchKey(layout.recordKeys)],
                [
                  when(
                    [...is(DEPTH, 2), ...get(IDENTITY), OP.i32And],
                    [brIf("bail", get(STR_ESC)), matchKey(layout.identityKeys)],
                  ),
                ],
              ),
              add(I, 1),
              skipSpaces,
              brIf("bail", [...get(C), ...i32(0x3a), OP.i32Ne]),
              add(I, 1),
              then(VALUE),
            ),
            // A value.
            skipSpaces,
            when(is(C, 0x22), [
              string,
              when(
                [...get(PENDING), ...i32(0), OP.i32GeS],
                [
                  when(is(PENDING, layout.userIdentity), identityBegins(i32(0)), [
                    storeSpan(0, [...get(FROM), ...get(START), OP.i32Sub]),
                    storeSpan(1, [...get(I), ...get(START), OP.i32Sub]),
                    set(ESC, [...pendingNotEscaped, ...[...get(STR_ESC), ...get(PENDING), OP.i32Shl, OP.i32Or]]),
                  ]),
                  set(PENDING, i32(-1)),
                ],
              ),
              add(I, 1),
              then(AFTER),
            ]),
            // A value other than a string: a field it is given to is absent.
            when(
              [...get(PENDING), ...i32(0), OP.i32GeS],
              [
                when(is(PENDING, layout.userIdentity), identityBegins(is(C, 0x7b)), [
                  storeSpan(0, i32(-1)),
                  storeSpan(1, i32(-1)),
                  set(ESC, pendingNotEscaped),
                ]),
                set(PENDING, i32(-1)),
              ],
            ),
            when(anyOf(C, 0x7b, 0x5b), [
              brIf("bail", is(DEPTH, layout.maxDepth)),
              when(is(C, 0x7b), [set(OBJECTS, [...get(OBJECTS), ...i32(1), ...get(DEPTH), OP.i32Shl, OP.i32Or])]),
              add(DEPTH, 1),
              // The bracket that closes it: `}` is `{` + 2, `]` is `[` + 2.
              set(T, [...get(C), ...i32(2), OP.i32Add]),
              add(I, 1),
              skipSpaces,
              when([...get(C), ...get(T), OP.i32Eq], [add(I, 1), containerEnds, then(AFTER)]),
              set(STATE, [...get(T), ...i32(0x7d), OP.i32Ne]),
              br("main"),
            ]),
            when(anyHolds(isDigit(C), is(C, 0x2d)), [
              when(is(C, 0x2d), nextByte),
              when(is(C, 0x30), nextByte, [brIf("bail", [...isDigit(C), OP.i32Eqz]), digits]),
              when(is(C, 0x2e), [nextByte, brIf("bail", [...isDigit(C), OP.i32Eqz]), digits]),
              when(anyOf(C, 0x65, 0x45), [
                nextByte,
                when(anyOf(C, 0x2b, 0x2d), nextByte),
                brIf("bail", [...isDigit(C), OP.i32Eqz]),
                digits,
              ]),
              then(AFTER),
            ]),
            when(
              [...is(C, 0x74), ...get(I), OP.i32Load, ...memarg(), ...i32(word("true")), OP.i32Eq, OP.i32And],
              [add(I, 4), then(AFTER)],
            ),
            when(
              [...is(C, 0x6e), ...get(I), OP.i32Load, ...memarg(), ...i32(word("null")), OP.i32Eq, OP.i32And],
              [add(I, 4), then(AFTER)],
            ),
            when(
              [...is(C, 0x66), ...get(I), OP.i32Load, ...memarg(1), ...i32(word("alse")), OP.i32Eq, OP.i32And],
              [add(I, 5), then(AFTER)],
            ),
            br("bail"),
          ),
          // After a value: `,`, or the end of its container.
          skipSpaces,
          set(T, [...get(OBJECTS), ...get(DEPTH), ...i32(1), OP.i32Sub, OP.i32ShrU, ...i32(1), OP.i32And]),
          when(is(C, 0x2c), [
            add(I, 1),
            when(get(T), [skipSpaces, set(STATE, i32(KEY))], [set(STATE, i32(VALUE))]),
            br("main"),
          ]),
          // `}` (0x7d) in an object, `]` (0x5d) in an array.
          brIf("bail", [...get(C), ...i32(0x5d), ...get(T), ...i32(5), OP.i32Shl, OP.i32Add, OP.i32Ne]),
          add(I, 1),
          containerEnds,
          brIf("done", [...get(DEPTH), OP.i32Eqz]),
          then(AFTER),
        ),
      ),
      // The record's own `}`: the results, and where it ends.
      storeResult(ESCAPED, get(ESC)),
      storeResult(CONTINUATIONS, get(CONT)),
      storeResult(FOUR_BYTE_LEADS, get(FOUR)),
      storeResult(UNICODE, get(UNI)),
      [...get(I), OP.return],
    ),
    i32(-1),
    OP.end,
  ];
  // The locals after the two parameters: fifteen i32, one v128.
  return [...[2, V - N - 1, I32, 1, V128], ...assemble(code)];
}

/** The function, and its results: each field's span (start, end, relative to the record; -1 absent), which are escaped, what the error positions count. */
export interface WholeRecords {
  /** The record whose `{` is at `i` of the chunk in the scratch, `n` bytes long: where it ends, or -1. */
  read(i: number, n: number): number;
  results: Int32Array;
}

export const RESULT = { SPANS, ESCAPED, CONTINUATIONS, FOUR_BYTE_LEADS, UNICODE } as const;

/** The function, assembled for the fields of `layout`, over the scratch. */
export function wholeRecords(layout: FieldLayout): WholeRecords {
  const body = functionBody(layout);
  const module = new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // One type, (i32, i32) -> i32; one function of it.
    ...section(1, [1, 0x60, 2, I32, I32, 1, I32]),
    // The scratch's memory, imported.
    ...section(2, [1, ...name("scratch"), ...name("memory"), 2, 0, ...leb(SCRATCH_MEMORY.buffer.byteLength / 65536)]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name("read"), 0, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(module), { scratch: { memory: SCRATCH_MEMORY } });
  return {
    read: instance.exports.read as (i: number, n: number) => number,
    results: new Int32Array(SCRATCH_MEMORY.buffer, RESULTS_AT, UNICODE + 1),
  };
}
