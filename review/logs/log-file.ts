/**
 * One log file, read as its bytes arrive: gunzip with a cap, the record scanner, and the decision,
 * record by record, whether the review keeps it. Only kept records are parsed and redacted. Runs
 * in a worker thread (reader-thread.ts), one file after the other; nothing here knows where
 * the bytes come from.
 */
import { createGunzip, gunzipSync, type Gunzip } from "node:zlib";
import { RecordScanner, type Capture, type RecordFields, type TopLevel } from "./record-scanner.ts";
import { fromRecord, NOT_AN_OBJECT, recordProblem, type ReviewEvent } from "../core/event.ts";
import { LEAD_CALLS, leadsFrom, mayLead, type Subject } from "../core/chain.ts";

/**
 * What one log file may expand to. CloudTrail's files are far smaller; a few kilobytes of gzip can
 * expand to gigabytes, and would take the whole review's time instead of failing one file. Memory
 * does not depend on it: files are read as a stream.
 */
export const MAX_LOG_BYTES = 256 * 1024 * 1024;
/** A small gzip file expands in one piece up to this; beyond, it is streamed. It bounds a reader's memory. */
export const WHOLE_LIMIT = 32 * 1024 * 1024;
/** The largest record kept; anything larger is not a CloudTrail event. It bounds a reader's memory. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Problems listed per file; a file of a million broken records is one broken file. */
export const MAX_PROBLEMS_PER_FILE = 100;

/** One problem in one log file, in cordon's `FILE:LINE:COL CODE message` shape. */
export interface LogProblem {
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
}

/** Which records a pass keeps. */
export interface KeepRule {
  /** Events signed by these keys, whole. */
  keys: readonly string[];
  /** Events these IAM users made (console sessions and their own keys), whole. */
  users: readonly string[];
  /** Events signed by these keys are not kept again (an earlier pass has them). */
  skipKeys: readonly string[];
  /** Lead calls ({@link mayLead}) of any caller, as who made them and what they reveal. */
  leads: boolean;
  /** Every event, whole. */
  all: boolean;
  /**
   * Check every record as `fromRecord` would (an id, a name, a valid time). A pass over files an
   * earlier pass checked can leave it out.
   */
  check: boolean;
  /** Note the subjects of every record in a {@link SubjectFilter}, for a later pass to skip files. */
  index: boolean;
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

  /** Sets (or, with `test`, checks) the three bits of `id`: FNV-1a, and two probes derived from it (Kirsch and Mitzenmacher). */
  private probe(id: string, test: boolean): boolean {
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    const h2 = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) | 1;
    const size = SubjectFilter.BYTES * 8;
    for (let k = 0; k < 3; k++) {
      const bit = ((h + k * h2) >>> 0) % size;
      if (!test) this.bits[bit >>> 3] |= 1 << (bit & 7);
      else if ((this.bits[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }

  add(id: string): void {
    this.probe(id, false);
  }

  mayHold(id: string): boolean {
    return this.probe(id, true);
  }

  static key(accessKeyId: string): string {
    return `k:${accessKeyId}`;
  }

  static user(userName: string): string {
    return `u:${userName}`;
  }
}

/**
 * An event a pass keeps, as the JSON text of its {@link ReviewEvent} in UTF-8, outside the JS heap
 * (the texts of a file share one buffer, moved, not copied, to the main thread): a fraction of the
 * memory of the object, and two copies of one event are the same event exactly when their texts are
 * equal.
 */
export interface KeptEvent {
  eventId: string;
  /** `JSON.stringify` of the ReviewEvent, UTF-8; empty for a lead call kept only for what it reveals. */
  text: Uint8Array;
  /** The record's place in its file. */
  record: number;
  /** Whole, or only who made it and what it reveals. */
  whole: boolean;
  /** Whose event it can be: {@link callersOf}. */
  callers: string[];
  /** For a lead call ({@link mayLead}): the subjects it reveals, windows aside; null for other calls. */
  reveals: Subject[] | null;
}

/** Who an event's call can be followed from: its key, and the IAM user who made it (as a {@link SubjectFilter} id). */
export function callersOf(event: Pick<ReviewEvent, "accessKeyId" | "identityType" | "userName">): string[] {
  const callers: string[] = [];
  if (event.accessKeyId !== null) callers.push(SubjectFilter.key(event.accessKeyId));
  if (event.identityType === "IAMUser" && event.userName !== null) callers.push(SubjectFilter.user(event.userName));
  return callers;
}

export interface FileResult {
  digest: boolean;
  /** Records read, events or not. */
  records: number;
  /** Bytes of JSON, after gunzip. */
  bytes: number;
  /** Within the file, events are in the file's order. */
  kept: KeptEvent[];
  problems: LogProblem[];
  /** With {@link KeepRule.index}: the subjects the file may hold events of. */
  subjects: { bits: Uint8Array; namelessUser: boolean } | null;
}

const text = (bytes: Buffer, capture: Capture): string | null => {
  if (capture.start < 0 || capture.end === capture.start) return null;
  const raw = bytes.toString("utf8", capture.start, capture.end);
  return capture.escaped ? (JSON.parse(`"${raw}"`) as string) || null : raw;
};

const MIB = 1024 * 1024;
const IAM_USER = Buffer.from("IAMUser");
const LEAD_CALL_LENGTHS = new Set([...LEAD_CALLS].map((name) => name.length));
/** Whether a field holds a non-empty string, as `text()` in event.ts reads it. */
const present = (capture: Capture) => capture.start >= 0 && capture.end > capture.start;
/** Whether a field is exactly `expected`, compared as bytes (an escaped one is decoded first). */
function equals(bytes: Buffer, capture: Capture, expected: Buffer): boolean {
  if (capture.escaped) return text(bytes, capture) === expected.toString("utf8");
  return capture.end - capture.start === expected.length && bytes.compare(expected, 0, expected.length, capture.start, capture.end) === 0;
}

/** Reads one file: `write` its bytes as they come, then `end`; or `abandon` it. */
export class LogFileReader {
  private readonly name: string;
  private readonly rule: KeepRule;
  private readonly keys: Set<string>;
  private readonly users: Set<string>;
  private readonly skip: Set<string>;
  private readonly scanner: RecordScanner;
  private readonly gzip: boolean;
  private gunzip: Gunzip | null = null;
  private kept: (Omit<KeptEvent, "text"> & { json: string })[] = [];
  private recordProblems: LogProblem[] = [];
  private moreProblems = 0;
  private records = 0;
  private bytes = 0;
  private readError: string | null = null;
  private readonly filter: SubjectFilter | null;
  private finished: Promise<void> | null = null;

  constructor(name: string, gzip: boolean, rule: KeepRule) {
    this.name = name;
    this.rule = rule;
    this.keys = new Set(rule.keys);
    this.users = new Set(rule.users);
    this.skip = new Set(rule.skipKeys);
    this.filter = rule.index ? new SubjectFilter() : null;
    this.scanner = new RecordScanner(
      {
        record: (index, bytes, fields) => this.record(index, bytes, fields),
        // JSON.parse keeps the last Records member: what came from an earlier one does not count.
        recordsMember: () => {
          this.kept = [];
          this.recordProblems = [];
          this.moreProblems = 0;
        },
      },
      MAX_RECORD_BYTES,
    );
    this.gzip = gzip;
  }

  /** The gunzip stream, made for the first bytes that need it. */
  private stream(): Gunzip {
    if (this.gunzip !== null) return this.gunzip;
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    this.gunzip = gunzip;
    gunzip.on("data", (chunk: Buffer) => this.scan(chunk));
    this.finished = new Promise((resolve) => {
      gunzip.on("end", resolve);
      gunzip.on("close", resolve);
      gunzip.on("error", (error: Error) => {
        this.readError ??= `cannot read the file: ${error.message}`;
        resolve();
      });
    });
    return gunzip;
  }

  get recordsRead(): number {
    return this.records;
  }

  /** Whether reading more bytes can change the result. */
  get done(): boolean {
    return this.readError !== null || this.scanner.error !== null;
  }

  private scan(chunk: Uint8Array): void {
    if (this.done) return;
    this.bytes += chunk.length;
    if (this.gzip && this.bytes > MAX_LOG_BYTES) {
      this.readError = `the file expands to more than ${MAX_LOG_BYTES / MIB} MiB, expected a CloudTrail log file (a few MiB at most)`;
      this.gunzip?.destroy();
      return;
    }
    this.scanner.write(chunk);
  }

  /**
   * Every byte of the file at once (a small file, read whole): gunzipped in one call on this
   * thread, at most {@link WHOLE_LIMIT} of it, else as a stream. A stream costs a round trip to
   * zlib's threads for every chunk; CloudTrail's files are a few MiB.
   */
  async whole(bytes: Uint8Array): Promise<void> {
    if (!this.gzip) return this.scan(bytes);
    let expanded: Buffer;
    try {
      expanded = gunzipSync(bytes, { maxOutputLength: WHOLE_LIMIT });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return this.write(bytes);
      this.readError = `cannot read the file: ${(error as Error).message}`;
      return;
    }
    this.scan(expanded);
    release(expanded);
  }

  /** The next bytes of the file; resolves when they are taken in (for flow control). */
  write(chunk: Uint8Array): Promise<void> {
    if (this.done) return Promise.resolve();
    if (!this.gzip) {
      this.scan(chunk);
      return Promise.resolve();
    }
    const gunzip = this.stream();
    // A stream that fails never calls back the write that made it fail: its end settles it.
    return Promise.race([
      new Promise<void>((resolve) => {
        if (gunzip.destroyed) resolve();
        else gunzip.write(chunk, () => resolve());
      }),
      this.finished as Promise<void>,
    ]);
  }

  private problem(message: string): void {
    if (this.recordProblems.length < MAX_PROBLEMS_PER_FILE) this.recordProblems.push({ file: this.name, line: 1, col: 1, code: "E_LOG_EVENT", message });
    else this.moreProblems++;
  }

  private record(index: number, bytes: Buffer | null, fields: RecordFields): void {
    this.records++;
    const rule = this.rule;
    if (rule.check) {
      if (!fields.object) return this.problem(`record ${index}: ${NOT_AN_OBJECT}`);
      if (bytes === null) return this.problem(`record ${index}: larger than ${MAX_RECORD_BYTES / MIB} MiB; expected a CloudTrail event (a few KB)`);
      // The checks fromRecord makes, on the fields alone: every record is checked, few are parsed,
      // and only the time needs to be read as text to check it.
      const eventTime = text(bytes, fields.eventTime);
      if (recordProblem(present(fields.eventId) ? "" : null, present(fields.eventName) ? "" : null, eventTime) !== null) {
        return this.problem(`record ${index}: ${recordProblem(text(bytes, fields.eventId), text(bytes, fields.eventName), eventTime)}`);
      }
    } else if (!fields.object || bytes === null) return;
    const accessKeyId = text(bytes, fields.accessKeyId);
    const iamUser = equals(bytes, fields.identityType, IAM_USER);
    if (this.filter !== null) {
      if (accessKeyId !== null) this.filter.add(SubjectFilter.key(accessKeyId));
      if (iamUser) {
        const userName = text(bytes, fields.userName);
        if (userName === null) this.filter.namelessUser = true;
        else this.filter.add(SubjectFilter.user(userName));
      }
    }
    let whole = rule.all || (accessKeyId !== null && this.keys.has(accessKeyId));
    if (!whole && this.users.size > 0 && iamUser) {
      // Without its own userName, an IAM user's event may name the user elsewhere: parse and see.
      const userName = text(bytes, fields.userName);
      whole = userName === null || this.users.has(userName);
    }
    if (whole && accessKeyId !== null && this.skip.has(accessKeyId)) return;
    let lead = false;
    // Most calls are told from lead calls by the length of their name alone.
    if (!whole && rule.leads && (LEAD_CALL_LENGTHS.has(fields.eventName.end - fields.eventName.start) || fields.eventName.escaped)) {
      const eventName = text(bytes as Buffer, fields.eventName);
      if (eventName !== null && LEAD_CALLS.has(eventName)) lead = mayLead({ eventName, errorCode: text(bytes as Buffer, fields.errorCode), accessKeyId, identityType: iamUser ? "IAMUser" : null });
    }
    if (!whole && !lead) return;
    const event = fromRecord(JSON.parse((bytes as Buffer).toString("utf8")));
    if (typeof event === "string") return this.problem(`record ${index}: ${event}`);
    const reveals = mayLead(event) ? leadsFrom(event, null).map((found) => found.subject) : null;
    // A lead call of another caller is kept only as who made it and what it reveals.
    this.kept.push({ eventId: event.eventId, json: whole ? JSON.stringify(event) : "", record: index, whole, callers: callersOf(event), reveals });
  }


  /** Stops reading: the bytes that remain cannot change the result. */
  abandon(): void {
    this.gunzip?.destroy();
  }

  /** The end of the file's bytes: the result, with the file's problems as `readLogs` always gave them. */
  async end(): Promise<FileResult> {
    if (this.gunzip !== null && !this.done) {
      this.gunzip.end();
      await this.finished;
    }
    const base = { records: this.records, bytes: this.bytes, subjects: this.filter === null ? null : { bits: this.filter.bits, namelessUser: this.filter.namelessUser } };
    const fail = (line: number, col: number, code: string, message: string): FileResult => ({ ...base, digest: false, kept: [], problems: [{ file: this.name, line, col, code, message }] });
    if (this.readError !== null) return fail(1, 1, "E_LOG_READ", this.readError);
    this.scanner.end();
    const error = this.scanner.error;
    if (error !== null) return fail(error.line, error.col, "E_LOG_JSON", `not valid JSON: ${error.message}; expected a CloudTrail log file`);
    const top = this.scanner.top;
    if (top.kind === "object" && top.digest) return { ...base, digest: true, kept: [], problems: [] };
    if (top.kind !== "array" && !(top.kind === "object" && top.recordsArray)) return fail(1, 1, "E_LOG_SHAPE", `found ${shapeOf(top)}; expected a CloudTrail log file, {"Records": [...]}, or a JSON array of CloudTrail events`);
    const problems = this.recordProblems;
    if (this.moreProblems > 0) problems.push({ file: this.name, line: 1, col: 1, code: "E_LOG_EVENT", message: `and ${this.moreProblems.toLocaleString("en-US")} more records with problems` });
    return { ...base, digest: false, kept: problems.length > 0 ? [] : this.keptTexts(), problems };
  }

  /** The kept events, their texts in one buffer. */
  private keptTexts(): KeptEvent[] {
    const buffer = Buffer.from(new ArrayBuffer(this.kept.reduce((sum, kept) => sum + Buffer.byteLength(kept.json), 0)));
    let offset = 0;
    return this.kept.map(({ json, ...kept }) => {
      const length = buffer.write(json, offset);
      const text = new Uint8Array(buffer.buffer, offset, length);
      offset += length;
      return { ...kept, text };
    });
  }
}

/**
 * Gives a buffer's memory back at once, when the buffer is the whole of its memory (not a slice of
 * Node's pool): a detached ArrayBuffer drops its memory, where an unreachable one keeps it until a
 * full garbage collection, which external memory triggers only every 64 MB or so. A reader
 * thread expands a file's few MB of JSON for every file; without this, each thread held up to
 * 64 MB of expanded files already read.
 */
function release(buffer: Buffer): void {
  // ArrayBuffer.prototype.transfer is ES2024 (Node.js 21 and later); the type-check's lib is ES2023.
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) (buffer.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}

function shapeOf(top: TopLevel): string {
  if (top.kind === "object") return `an object with fields ${top.keys.join(", ") || "(none)"}`;
  // `typeof null` is "object": what the whole-file reader said, and still true.
  return `a JSON ${top.kind === "null" ? "object" : top.kind === "array" ? "array" : top.kind}`;
}
