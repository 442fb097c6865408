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
import {
  anyHolds,
  assemble,
  block,
  br,
  type Code,
  brIf,
  get,
  I32,
  i32,
  leb,
  loop,
  memarg,
  name,
  OP,
  section,
  set,
  SIMD,
  SIMD_OP,
  splat,
  V128,
  when,
} from "./wasm-assembly.ts";

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

// The locals: 0 `from` (then the position), 1 `to`, 2 `stops` (a bit per byte of 16), 3 `v` (16 bytes).
const [from, to, stops, v] = [0, 1, 2, 3];

// The instruction sequences the function repeats, each named after what it does.
/** `$from += n`. */
const advance = (n: number) => set(from, [...get(from), ...i32(n), OP.i32Add]);
/** The lanes of `$v` that are `byte`: all ones; the others zero. */
const lanesAre = (v: number, byte: number) => [...get(v), ...splat(byte), SIMD, SIMD_OP.i8x16Eq];
/**
 * The 16 bytes at `$at` into `$v`, and a bit for each that ends a run of plain characters (a quote,
 * a backslash, a control character, a non-ASCII byte) into `$stops`, left on the stack too: the
 * loop of this module and of whole-records.ts.
 */
export const runStops = (at: number, v: number, stops: number): Code[] => [
  [...get(at), SIMD, SIMD_OP.v128Load, ...memarg(), OP.localSet, v],
  [...lanesAre(v, 0x22), ...lanesAre(v, 0x5c), SIMD, SIMD_OP.v128Or],
  // Signed: below 0x20, and 0x80 and up.
  [...get(v), ...splat(0x20), SIMD, SIMD_OP.i8x16LtS, SIMD, SIMD_OP.v128Or],
  [SIMD, SIMD_OP.i8x16Bitmask, OP.localTee, stops],
];
/** The byte at `$from`, read as signed (`i32Load8S`) or unsigned (`i32Load8U`). */
const byteAt = (load: number) => [...get(from), load, ...memarg()];
/** Whether the byte at `$from` is `byte`. */
const byteIs = (byte: number) => [...byteAt(OP.i32Load8U), ...i32(byte), OP.i32Eq];

/*
 * (func (export "runEnd") (param $from i32) (param $to i32) (result i32) (local $stops i32) (local $v v128)
 *   block $wide  loop $sixteen                     ;; 16 bytes at a time, while 16 are left
 *     (br_if $wide (i32.gt_u (i32.add (local.get $from) (i32.const 16)) (local.get $to)))
 *     (local.set $v (v128.load (local.get $from)))
 *     (local.tee $stops (i8x16.bitmask (v128.or (v128.or
 *        (i8x16.eq (local.get $v) (splat 0x22)) (i8x16.eq (local.get $v) (splat 0x5c)))
 *        (i8x16.lt_s (local.get $v) (splat 0x20)))))  ;; signed: below 0x20, and 0x80 and up
 *     if (return (i32.add (local.get $from) (i32.ctz (local.get $stops)))) end
 *     (local.set $from (i32.add (local.get $from) (i32.const 16)))  br $sixteen
 *   end end
 *   block $few  loop $one                          ;; the last few, one at a time
 *     (br_if $few (i32.ge_u (local.get $from) (local.get $to)))
 *     (br_if $few (i32.or (i32.or (i32.lt_s (i32.load8_s (local.get $from)) (i32.const 0x20))
 *        (i32.eq (i32.load8_u (local.get $from)) (i32.const 0x22))) (i32.eq (i32.load8_u (local.get $from)) (i32.const 0x5c))))
 *     (local.set $from (i32.add (local.get $from) (i32.const 1)))  br $one
 *   end end
 *   (local.get $from))
 */
const body = [
  // The locals after the parameters: one i32, one v128.
  ...[2, 1, I32, 1, V128],
  ...assemble([
    block(
      "wide",
      loop(
        "sixteen",
        brIf("wide", [...get(from), ...i32(16), OP.i32Add, ...get(to), OP.i32GtU]),
        runStops(from, v, stops),
        when([], [...get(from), ...get(stops), OP.i32Ctz, OP.i32Add, OP.return]),
        advance(16),
        br("sixteen"),
      ),
    ),
    block(
      "few",
      loop(
        "one",
        brIf("few", [...get(from), ...get(to), OP.i32GeU]),
        brIf("few", anyHolds([...byteAt(OP.i32Load8S), ...i32(0x20), OP.i32LtS], byteIs(0x22), byteIs(0x5c))),
        advance(1),
        br("one"),
      ),
    ),
    get(from),
  ]),
  OP.end,
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
export const SCRATCH_MEMORY = instance.exports.memory as WebAssembly.Memory;
export const SCRATCH = Buffer.from(SCRATCH_MEMORY.buffer, 0, SCRATCH_BYTES);
