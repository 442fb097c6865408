/**
 * The record scanner's innermost loop, 16 bytes at a time: where a run of plain characters in a
 * JSON string ends. Most bytes of a log file are inside strings (ARNs, user agents, parameters),
 * and V8 compiles a JavaScript loop over them to one byte per step; WebAssembly's SIMD compares
 * 16 bytes in one instruction. At 2,000,000 events the byte loop was over a third of each reader
 * thread's time (`npm run bench:logs`, profiled with `node --cpu-prof`).
 *
 * WebAssembly reads only its own memory, so the scanner copies each chunk into {@link SCRATCH} (a
 * memcpy, a small part of what the loop saves) and reads it there. The module is the function
 * below, assembled here from its instructions' names (the WebAssembly text is in the comment): a
 * hundred-odd bytes, no build step, no dependency. WebAssembly is memory-safe: a read outside its
 * memory traps, it never reads the process's memory; and the tests hold it against the JavaScript
 * definition ({@link plainRunOf}) on arbitrary bytes.
 *
 * The spec of every instruction used: https://webassembly.github.io/spec/core/binary/instructions.html
 */

/**
 * Where the run of plain characters of `bytes` from `from` ends: at the first quote, backslash,
 * control character (below 0x20) or non-ASCII byte (0x80 and up) before `to`, or at `to`. The
 * definition, in JavaScript, and the scanner's way when the scratch is taken: comparisons, not a
 * table, and a function of its own, which V8 optimizes better than the same loop inside a larger one.
 */
export function plainRunOf(bytes: Uint8Array, from: number, to: number): number {
  let j = from;
  while (j < to) {
    const d = bytes[j];
    if (d === 0x22 || d === 0x5c || d < 0x20 || d > 0x7f) return j;
    j++;
  }
  return to;
}

/** The chunk size the scratch memory holds; a larger chunk is scanned in pieces of this size. */
export const SCRATCH_BYTES = 1024 * 1024;
const PAGE = 64 * 1024;

// Instructions (https://webassembly.github.io/spec/core/binary/instructions.html).
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const RETURN = 0x0f;
/** A block's type when it leaves nothing on the stack. */
const VOID = 0x40;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_LOAD8_S = 0x2c;
const I32_LOAD8_U = 0x2d;
const I32_CONST = 0x41;
const I32_EQ = 0x46;
const I32_LT_S = 0x48;
const I32_GT_U = 0x4b;
const I32_GE_U = 0x4f;
const I32_CTZ = 0x68;
const I32_ADD = 0x6a;
const I32_OR = 0x72;
/** The prefix of the SIMD instructions, whose own numbers follow. */
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_CONST = 0x0c;
const I8X16_EQ = 0x23;
const I8X16_LT_S = 0x25;
const V128_OR = 0x50;
const I8X16_BITMASK = 0x64;
// Value types.
const I32 = 0x7f;
const V128 = 0x7b;
/** A byte's offset and alignment hint, for loads. */
const MEMARG = [0, 0];

/** An unsigned LEB128 number. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? low : low | 0x80);
  } while (n !== 0);
  return out;
}
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const name = (text: string) => [...leb(text.length), ...Buffer.from(text)];

// The locals: 0 `from` (then the position), 1 `to`, 2 `stops` (a bit per byte of 16), 3 `v` (16 bytes).
const [from, to, stops, v] = [0, 1, 2, 3];

// The instruction sequences the function repeats, each named after what it does.
const get = (local: number) => [LOCAL_GET, local];
/**
 * `i32.const n` for n from 0 to 0x1fff: signed LEB128, one byte below 0x40, two from there (the
 * seventh bit of a last byte is the sign's).
 */
const i32Const = (n: number) => (n < 0x40 ? [I32_CONST, n] : [I32_CONST, (n & 0x7f) | 0x80, n >> 7]);
/** `$from += n`. */
const advance = (n: number) => [...get(from), ...i32Const(n), I32_ADD, LOCAL_SET, from];
/** `block loop BODY br 0 end end`: BODY again and again, until a `br_if 1` in it leaves. */
const loop = (...body: number[][]) => [BLOCK, VOID, LOOP, VOID, ...body.flat(), BR, 0, END, END];
/** `br_if 1`: out of the loop when `condition` is true. */
const leaveIf = (condition: number[]) => [...condition, BR_IF, 1];
/** A v128 of 16 times `byte`. */
const splat = (byte: number) => [SIMD, V128_CONST, ...new Array<number>(16).fill(byte)];
/** The lanes of `$v` that are `byte`: all ones; the others zero. */
const lanesAre = (byte: number) => [...get(v), ...splat(byte), SIMD, I8X16_EQ];
/** The byte at `$from`, read as signed (`I32_LOAD8_S`) or unsigned (`I32_LOAD8_U`). */
const byteAt = (load: number) => [...get(from), load, ...MEMARG];
/** Whether the byte at `$from` is `byte`. */
const byteIs = (byte: number) => [...byteAt(I32_LOAD8_U), ...i32Const(byte), I32_EQ];

/*
 * (func (export "runEnd") (param $from i32) (param $to i32) (result i32) (local $stops i32) (local $v v128)
 *   block  loop                                    ;; 16 bytes at a time, while 16 are left
 *     (br_if 1 (i32.gt_u (i32.add (local.get $from) (i32.const 16)) (local.get $to)))
 *     (local.set $v (v128.load (local.get $from)))
 *     (local.tee $stops (i8x16.bitmask (v128.or (v128.or
 *        (i8x16.eq (local.get $v) (splat 0x22)) (i8x16.eq (local.get $v) (splat 0x5c)))
 *        (i8x16.lt_s (local.get $v) (splat 0x20)))))  ;; signed: below 0x20, and 0x80 and up
 *     if (return (i32.add (local.get $from) (i32.ctz (local.get $stops)))) end
 *     (local.set $from (i32.add (local.get $from) (i32.const 16)))  br 0
 *   end end
 *   block  loop                                    ;; the last few, one at a time
 *     (br_if 1 (i32.ge_u (local.get $from) (local.get $to)))
 *     (br_if 1 (i32.or (i32.or (i32.lt_s (i32.load8_s (local.get $from)) (i32.const 0x20))
 *        (i32.eq (i32.load8_u (local.get $from)) (i32.const 0x22))) (i32.eq (i32.load8_u (local.get $from)) (i32.const 0x5c))))
 *     (local.set $from (i32.add (local.get $from) (i32.const 1)))  br 0
 *   end end
 *   (local.get $from))
 */
const body = [
  // The locals after the parameters: one i32, one v128.
  ...[2, 1, I32, 1, V128],
  ...loop(
    leaveIf([...get(from), ...i32Const(16), I32_ADD, ...get(to), I32_GT_U]),
    [...get(from), SIMD, V128_LOAD, ...MEMARG, LOCAL_SET, v],
    [...lanesAre(0x22), ...lanesAre(0x5c), SIMD, V128_OR],
    [...get(v), ...splat(0x20), SIMD, I8X16_LT_S, SIMD, V128_OR],
    [SIMD, I8X16_BITMASK, LOCAL_TEE, stops],
    [IF, VOID, ...get(from), ...get(stops), I32_CTZ, I32_ADD, RETURN, END],
    advance(16),
  ),
  ...loop(
    leaveIf([...get(from), ...get(to), I32_GE_U]),
    leaveIf([...byteAt(I32_LOAD8_S), ...i32Const(0x20), I32_LT_S, ...byteIs(0x22), I32_OR, ...byteIs(0x5c), I32_OR]),
    advance(1),
  ),
  ...get(from),
  END,
];
const module = new Uint8Array([
  // The magic number and the version.
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  // One type, (i32, i32) -> i32; one function of it.
  ...section(1, [1, 0x60, 2, I32, I32, 1, I32]),
  ...section(3, [1, 0]),
  // One memory, of the scratch's pages and one more (a chunk, and room to spare), which never grows.
  ...section(5, [1, 0, ...leb(SCRATCH_BYTES / PAGE + 1)]),
  // Exports: the function and the memory.
  ...section(7, [2, ...name("runEnd"), 0, 0, ...name("memory"), 2, 0]),
  ...section(10, [1, ...leb(body.length), ...body]),
]);

const instance = new WebAssembly.Instance(new WebAssembly.Module(module));

/**
 * Where the run of plain characters of {@link SCRATCH} from `from` ends: {@link plainRunOf} over the
 * scratch, `from` and `to` at most {@link SCRATCH_BYTES}.
 */
export const runEnd = instance.exports.runEnd as (from: number, to: number) => number;

/**
 * The scratch memory: one per thread (each thread loads its own module), never grown, so never
 * detached. Its user copies a chunk to its start and reads it there, and must not let another use
 * it meanwhile (the scanner holds it only inside `write`, and not when called back from inside one).
 */
export const SCRATCH = Buffer.from((instance.exports.memory as WebAssembly.Memory).buffer, 0, SCRATCH_BYTES);
