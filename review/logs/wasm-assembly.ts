/**
 * The few pieces of WebAssembly's binary format that the scanner's two modules are assembled from
 * (string-runs.ts, whole-records.ts): instructions by name, numbers in LEB128, sections, and
 * structured control whose branches name their targets (resolved here to WebAssembly's relative
 * depths), so that a function reads like its text form. No build step, no dependency.
 *
 * The spec of every instruction: https://webassembly.github.io/spec/core/binary/instructions.html
 */

/** Instructions, by their names in the text format. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8S: 0x2c,
  i32Load8U: 0x2d,
  i32Store: 0x36,
  i32Store8: 0x3a,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  i64Eq: 0x51,
  i32Ctz: 0x68,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64And: 0x83,
} as const;

/** The prefix of the SIMD instructions, whose own numbers follow. */
export const SIMD = 0xfd;
export const SIMD_OP = {
  v128Load: 0x00,
  v128Const: 0x0c,
  i8x16Eq: 0x23,
  i8x16LtS: 0x25,
  v128Or: 0x50,
  i8x16Bitmask: 0x64,
} as const;

/** `memory.fill` (bulk memory): the prefix, the instruction, memory 0. */
export const MEMORY_FILL = [0xfc, 0x0b, 0x00];

/** A block's type when it leaves nothing on the stack. */
export const VOID = 0x40;
/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** An unsigned LEB128 number. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? low : low | 0x80);
  } while (n !== 0);
  return out;
}

/** A signed LEB128 number (`i32.const`'s and `i64.const`'s immediates). */
export function sleb(value: number | bigint): number[] {
  let n = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const low = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (low & 0x40) === 0) || (n === -1n && (low & 0x40) !== 0);
    out.push(done ? low : low | 0x80);
    if (done) return out;
  }
}

export const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
export const name = (text: string) => [...leb(text.length), ...Buffer.from(text)];

/** A memory access's alignment hint (none: bytes may lie anywhere) and constant offset. */
export const memarg = (offset = 0) => [0, ...leb(offset)];

/** `local.get`, `local.set` of a value, `i32.const`. */
export const get = (local: number): Code[] => [OP.localGet, local];
export const set = (local: number, value: Code[]): Code[] => [...value, OP.localSet, local];
export const i32 = (n: number): Code[] => [OP.i32Const, ...sleb(n | 0)];
/** A v128 of 16 times `byte`. */
export const splat = (byte: number): Code[] => [SIMD, SIMD_OP.v128Const, ...new Array<number>(16).fill(byte)];

/** The conditions in order, each after the first joined by `op`: i32 truth values, combined. */
const joined =
  (op: number) =>
  (...conditions: Code[][]): Code[] =>
    conditions.flatMap((condition, k) => [...condition, ...(k > 0 ? [op] : [])]);
/** Whether any of the conditions holds (`i32.or`). */
export const anyHolds = joined(OP.i32Or);
/** Whether every one of the conditions holds (`i32.and`). */
export const allHold = joined(OP.i32And);

/**
 * Code: bytes, with structured control whose branches name their targets. {@link assemble} turns
 * it into bytes.
 */
export type Code = number | Code[] | Control;
type Control =
  | { kind: "block" | "loop"; label: string; body: Code[] }
  | { kind: "if"; then: Code[]; else: Code[] }
  | { kind: "br"; op: number; label: string }
  | { kind: "brTable"; labels: string[] };

/** `block $label ... end`: a `br` to it goes past its end. */
export const block = (label: string, ...body: Code[]): Code => ({ kind: "block", label, body });
/** `loop $label ... end`: a `br` to it goes back to its start. */
export const loop = (label: string, ...body: Code[]): Code => ({ kind: "loop", label, body });
/** `(if (condition) (then ...) (else ...))`. */
export const when = (condition: Code[], then: Code[], otherwise: Code[] = []): Code => [
  ...condition,
  { kind: "if", then, else: otherwise },
];
/** `br $label`. */
export const br = (label: string): Code => ({ kind: "br", op: OP.br, label });
/** `br_if $label` when `condition` is true. */
export const brIf = (label: string, condition: Code[]): Code => [...condition, { kind: "br", op: OP.brIf, label }];
/** `br_table`: to the index'th label (the last for any index past the others). */
export const brTable = (index: Code[], ...labels: string[]): Code => [...index, { kind: "brTable", labels }];

/** The bytes of `code`, its branches' labels resolved against the blocks around them. */
export function assemble(code: Code, labels: string[] = []): number[] {
  if (typeof code === "number") return [code];
  if (Array.isArray(code)) return code.flatMap((part) => assemble(part, labels));
  const depth = (label: string) => {
    const at = labels.lastIndexOf(label);
    if (at < 0) throw new Error(`no block $${label} around this branch`);
    return leb(labels.length - 1 - at);
  };
  switch (code.kind) {
    case "block":
    case "loop":
      return [
        code.kind === "block" ? OP.block : OP.loop,
        VOID,
        ...assemble(code.body, [...labels, code.label]),
        OP.end,
      ];
    case "if":
      return [
        OP.if,
        VOID,
        ...assemble(code.then, [...labels, ""]),
        ...(code.else.length > 0 ? [OP.else, ...assemble(code.else, [...labels, ""])] : []),
        OP.end,
      ];
    case "br":
      return [code.op, ...depth(code.label)];
    case "brTable":
      return [OP.brTable, ...leb(code.labels.length - 1), ...code.labels.flatMap((label) => depth(label))];
  }
}
