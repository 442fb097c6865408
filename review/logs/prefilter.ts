/**
 * Reading only what can matter, in the second pass. The second pass rereads a file for a few keys
 * and users found after it was read (two-passes.ts); most of its records are nobody's. So the first
 * pass notes, for each file read whole, where every so many records begin (a few hundred bytes a
 * file, whatever its size) and a checksum of its bytes. The second pass expands the file, looks
 * for the names of its keys and users in the raw bytes (a native search, no parsing), and scans
 * only the stretches of records that hold one; it keeps from them exactly what the whole file
 * would give, since a record of a key or a user holds that name's bytes:
 *  - a key id is `A[KS]IA` and 16 capital letters or digits, which JSON writes only as themselves or
 *    as `\u` escapes: a file with any `\u` escape is scanned whole;
 *  - a user name is written as its own bytes unless it holds `"`, `\`, `/` or a control character
 *    (escaped, or escapable) or is `\u` escaped: such a name, or such a file, is read whole;
 *  - an IAM user's event without a userName is kept for any user (two-passes.ts parses it to see
 *    whose it is): a file that holds one is read whole when users are looked for;
 *  - a file whose bytes changed since the first pass (another checksum) is read whole, so every
 *    problem of it is found.
 * test/review-prefilter.test.ts holds the two readings together on generated files.
 */
import { crc32 } from "node:zlib";

/** Entries of a file's index at most: past them, it keeps every other one and doubles its stride. */
export const INDEX_ENTRIES = 64;

/** Where a file's records begin, every `stride` records, and what its bytes were: made by the first pass, used by the second. */
export interface FileIndex {
  /** Checksum (CRC-32) and length of the file's bytes as read (compressed, for gzip). */
  crc: number;
  length: number;
  /** The depth of records: 1 in a top-level array, 2 in `Records`. */
  recordLevel: 1 | 2;
  /** Record indexes and byte offsets (of the expanded text) of every `stride`-th record of the records that count, in order. */
  records: number[];
  offsets: number[];
  /** Whether any string of the file holds a `\u` escape. */
  unicodeEscapes: boolean;
}

/** The checksum and length of a file's bytes, as an index holds them. */
export function fingerprint(bytes: Uint8Array): { crc: number; length: number } {
  return { crc: crc32(bytes), length: bytes.length };
}

/** Notes where records begin as the first pass scans them, keeping at most {@link INDEX_ENTRIES}. */
export class IndexRecorder {
  private stride = 1;
  private records: number[] = [];
  private offsets: number[] = [];

  /** Record `index` begins at `offset`. */
  record(index: number, offset: number): void {
    if (index % this.stride !== 0) return;
    if (this.records.length === INDEX_ENTRIES) {
      // Every other entry goes: those left are every (2 × stride)-th record's, as the next one is.
      this.records = this.records.filter((_, i) => i % 2 === 0);
      this.offsets = this.offsets.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
      if (index % this.stride !== 0) return;
    }
    this.records.push(index);
    this.offsets.push(offset);
  }

  /** A `Records` member begins: the records noted so far no longer count. */
  reset(): void {
    this.stride = 1;
    this.records = [];
    this.offsets = [];
  }

  index(recordLevel: number, unicodeEscapes: boolean, read: { crc: number; length: number }): FileIndex | null {
    if (recordLevel !== 1 && recordLevel !== 2) return null;
    return { ...read, recordLevel, records: this.records, offsets: this.offsets, unicodeEscapes };
  }
}

/** The needles of keys and users to look for, or null when one of them cannot be found by its bytes. */
export function needlesOf(
  keys: readonly string[],
  users: readonly string[],
  index: FileIndex,
  namelessUser: boolean,
): Buffer[] | null {
  if (index.unicodeEscapes || (users.length > 0 && namelessUser)) return null;
  if (users.some((user) => /["\\/\u0000-\u001f]/.test(user))) return null;
  if (keys.some((key) => !/^A[KS]IA[A-Z0-9]{16}$/.test(key))) return null;
  return [...keys, ...users].map((name) => Buffer.from(name));
}

/** A stretch of records to scan: bytes `[start, end)` of the expanded text, its first record's index. */
export interface Stretch {
  start: number;
  end: number;
  index: number;
}

/**
 * The stretches of `text` between index entries that hold a needle, merged where they touch, in
 * order. The last stretch runs to the text's end.
 */
export function stretchesWithNeedles(text: Buffer, needles: readonly Buffer[], index: FileIndex): Stretch[] {
  const { offsets, records } = index;
  if (offsets.length === 0) return [];
  const marked = new Uint8Array(offsets.length);
  for (const needle of needles) {
    for (let at = text.indexOf(needle, offsets[0]); at >= 0; at = text.indexOf(needle, at + 1)) {
      // The last entry at or before the hit: its stretch holds the record the hit is in.
      let lo = 0;
      let hi = offsets.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (offsets[mid] <= at) lo = mid;
        else hi = mid - 1;
      }
      marked[lo] = 1;
    }
  }
  const stretches: Stretch[] = [];
  for (let k = 0; k < offsets.length; k++) {
    if (marked[k] === 0) continue;
    const end = k + 1 < offsets.length ? offsets[k + 1] : text.length;
    const last = stretches.at(-1);
    if (last !== undefined && last.end === offsets[k]) last.end = end;
    else stretches.push({ start: offsets[k], end, index: records[k] });
  }
  return stretches;
}
