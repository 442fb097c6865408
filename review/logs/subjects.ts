/**
 * Whose events a record is, told from its bytes: the hash of its key or its user name, made
 * without making a string, the set of subjects a pass keeps (matched by that hash, then by bytes),
 * and each file's filter of the subjects it may hold. A pass reads every record of every file;
 * most are nobody's the review follows, and for those no string is made at all.
 *
 * Subjects are named as the passes name them: `k:KEY` for a key, `u:NAME` for an IAM user.
 */
import type { Capture } from "./record-scanner.ts";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of `text`'s UTF-16 units, after `from` (a hash of what came before). */
function hashText(text: string, from: number = FNV_OFFSET): number {
  let h = from;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** What a subject's name hashes from: the hash of its prefix. */
export const KEY = hashText("k:");
export const USER = hashText("u:");

/** Not a hash (hashes are int32): the field is absent, or empty. */
export const ABSENT = 0x100000000;
/** Not a hash: the field's bytes are escaped or not ASCII, so only its decoded text says who it is. */
export const NEEDS_TEXT = 0x100000001;

/**
 * The hash of a subject whose name is a record's field: the same as {@link subjectHash} of the
 * name, from the bytes when they are plain ASCII (a name's UTF-16 units are then its bytes).
 */
export function fieldHash(prefix: number, bytes: Uint8Array, capture: Capture): number {
  const { start, end } = capture;
  if (start < 0 || end === start) return ABSENT;
  if (capture.escaped) return NEEDS_TEXT;
  let h = prefix;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b > 0x7f) return NEEDS_TEXT;
    h = Math.imul(h ^ b, FNV_PRIME);
  }
  return h;
}

/** The hash of a subject by its name: `prefix` is {@link KEY} or {@link USER}. */
export function subjectHash(prefix: number, name: string): number {
  return hashText(name, prefix);
}

/** Names a pass keeps the events of, found by a record's hash, then compared as bytes or text. */
export class SubjectSet {
  private readonly byHash = new Map<number, { text: string; bytes: Buffer }[]>();
  private readonly prefix: number;

  constructor(prefix: number, names: readonly string[]) {
    this.prefix = prefix;
    for (const text of names) {
      const hash = subjectHash(prefix, text);
      const entry = { text, bytes: Buffer.from(text) };
      const same = this.byHash.get(hash);
      if (same === undefined) this.byHash.set(hash, [entry]);
      else same.push(entry);
    }
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Whether the field (`hash` of its plain bytes) names one of the set. */
  hasBytes(hash: number, bytes: Buffer, capture: Capture): boolean {
    const same = this.byHash.get(hash);
    if (same === undefined) return false;
    return same.some((entry) => entry.bytes.length === capture.end - capture.start && bytes.compare(entry.bytes, 0, entry.bytes.length, capture.start, capture.end) === 0);
  }

  /** Whether `name` is one of the set. */
  hasText(name: string): boolean {
    return this.byHash.get(subjectHash(this.prefix, name))?.some((entry) => entry.text === name) ?? false;
  }
}

/**
 * Which subjects a file may hold events of: a Bloom filter of its records' access keys and IAM user
 * names (the fields a pass keeps records by), 512 bytes whatever the file's size. "No" is certain;
 * "maybe" is wrong about 1 % of the time for a file of a few hundred principals.
 */
export class SubjectFilter {
  static readonly BYTES = 512;
  readonly bits: Uint8Array;
  /** The file has IAM user events without a userName: any user may be in it. */
  namelessUser = false;

  constructor(bits: Uint8Array = new Uint8Array(SubjectFilter.BYTES)) {
    this.bits = bits;
  }

  /** Sets (or, with `test`, checks) the three bits of a subject's FNV-1a hash: two probes derived from it (Kirsch and Mitzenmacher). */
  private probe(h: number, test: boolean): boolean {
    const h2 = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) | 1;
    const mask = SubjectFilter.BYTES * 8 - 1;
    for (let k = 0; k < 3; k++) {
      const bit = ((h + k * h2) >>> 0) & mask;
      if (!test) this.bits[bit >>> 3] |= 1 << (bit & 7);
      else if ((this.bits[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }

  /** Adds a subject by its hash ({@link fieldHash}, {@link subjectHash}). */
  addHash(hash: number): void {
    this.probe(hash, false);
  }

  /** Adds a subject named as `k:KEY` or `u:NAME`. */
  add(id: string): void {
    this.probe(hashText(id), false);
  }

  mayHold(id: string): boolean {
    return this.probe(hashText(id), true);
  }

  static key(accessKeyId: string): string {
    return `k:${accessKeyId}`;
  }

  static user(userName: string): string {
    return `u:${userName}`;
  }
}
