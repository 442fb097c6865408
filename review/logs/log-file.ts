/**
 * One log file, read as its bytes arrive: gunzip with a cap, the record scanner, and the decision,
 * record by record, whether the review keeps it. Only kept records are parsed and redacted. Runs
 * in a worker thread (reader-thread.ts), one file after the other; nothing here knows where
 * the bytes come from.
 */
import { createGunzip, gunzipSync, type Gunzip } from "node:zlib";
import { RecordScanner, type Capture, type RecordFields, type RecordsFrom, type TopLevel } from "./record-scanner.ts";
import { fromRecord, isCloudTrailInstant, NOT_AN_OBJECT, recordProblem, type ReviewEvent } from "../core/event.ts";
import { LEAD_CALLS, leadsFrom, mayLead, type Subject } from "../core/chain.ts";
import { fingerprint, IndexRecorder, needlesOf, stretchesWithNeedles, type FileIndex } from "./prefilter.ts";
import { ABSENT, fieldHash, KEY, NEEDS_TEXT, SubjectFilter, SubjectSet, subjectHash, USER } from "./subjects.ts";

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
  /** Lead calls ({@link mayLead}) of any caller, as who made them and what they reveal. */
  leads: boolean;
  /** Every event, whole. */
  all: boolean;
  /**
   * Check every record as `fromRecord` would (an id, a name, a valid time). A pass over files an
   * earlier pass checked can leave it out.
   */
  check: boolean;
  /**
   * Note the subjects of every record in a {@link SubjectFilter}, for a later pass to skip files,
   * and where records begin, for it to read only the stretches that may matter (prefilter.ts).
   */
  index: boolean;
  /** What the first pass noted of this file: read only the stretches that hold a key's or a user's name, if its bytes are the same. */
  prefilter?: FileSubjects;
}

/**
 * An event a pass keeps, as text ({@link keptText}): a fraction of the memory of the object, and
 * two copies of one event are the same event exactly when their heads and texts are equal.
 */
export interface KeptEvent {
  eventId: string;
  /** The event as {@link keptText} writes it; empty for a lead call kept only for what it reveals. */
  head: string;
  text: string;
  /** The record's place in its file. */
  record: number;
  /** Whole, or only who made it and what it reveals. */
  whole: boolean;
  /** Whose event it can be: {@link callersOf}. */
  callers: string[];
  /** For a lead call ({@link mayLead}): the subjects it reveals, windows aside; null for other calls. */
  reveals: Subject[] | null;
}

/** The fields in the order fromRecord makes them, which the events made from kept texts keep; the type check below fails if ReviewEvent gains one that is not listed. */
const EVENT_FIELDS = [
  "eventId",
  "eventName",
  "eventSource",
  "eventTime",
  "region",
  "accessKeyId",
  "userName",
  "principalArn",
  "identityType",
  "accountId",
  "recipientAccountId",
  "readOnly",
  "readOnlyDerived",
  "sourceIPAddress",
  "userAgent",
  "errorCode",
  "errorMessage",
  "requestParameters",
  "responseElements",
] as const satisfies readonly (keyof ReviewEvent)[];
const everyField: [Exclude<keyof ReviewEvent, "conflict" | (typeof EVENT_FIELDS)[number]>] extends [never]
  ? true
  : false = true;
void everyField;
/**
 * A kept event's text: the values of its {@link ReviewEvent} as two JSON arrays, without their field
 * names (about half of an event's JSON is its field names). The body holds what is the event's own;
 * the head, every other field, what many events share (who called, from where, with what, what
 * call): the main thread keeps one copy of each head however many events have it.
 */
const BODY_FIELDS: readonly (keyof ReviewEvent)[] = [
  "eventId",
  "eventTime",
  "errorMessage",
  "requestParameters",
  "responseElements",
];
const HEAD_FIELDS = EVENT_FIELDS.filter((field) => !BODY_FIELDS.includes(field));

/** An event as a pass keeps it: its head's values and its body's, each as JSON. */
export function keptText(event: ReviewEvent): { head: string; text: string } {
  return {
    head: JSON.stringify(HEAD_FIELDS.map((field) => event[field])),
    text: JSON.stringify(BODY_FIELDS.map((field) => event[field])),
  };
}

/** Where each of {@link EVENT_FIELDS} is in a kept text: its place in the head, or -1 when it is in the body. */
const IN_HEAD = EVENT_FIELDS.map((field) => HEAD_FIELDS.indexOf(field));
/** Its place in the body, or -1 when it is in the head. */
const IN_BODY = EVENT_FIELDS.map((field) => BODY_FIELDS.indexOf(field));

/** The event a kept text holds; `head` is its head's values, parsed (and shared by the events that have the same head). */
export function keptEvent(head: readonly unknown[], text: string): ReviewEvent {
  const body = JSON.parse(text) as unknown[];
  // One object, its fields set in one order for every event (one shape), with no object between:
  // the main thread makes every kept event so, after the reading, while the other cores wait.
  const event: Record<string, unknown> = {};
  for (let i = 0; i < EVENT_FIELDS.length; i++)
    event[EVENT_FIELDS[i]] = IN_HEAD[i] >= 0 ? head[IN_HEAD[i]] : body[IN_BODY[i]];
  return event as unknown as ReviewEvent;
}

/** Who an event's call can be followed from: its key, and the IAM user who made it (as a {@link SubjectFilter} id). */
export function callersOf(event: Pick<ReviewEvent, "accessKeyId" | "identityType" | "userName">): string[] {
  const callers: string[] = [];
  if (event.accessKeyId !== null) callers.push(SubjectFilter.key(event.accessKeyId));
  if (event.identityType === "IAMUser" && event.userName !== null) callers.push(SubjectFilter.user(event.userName));
  return callers;
}

/** What a first pass notes of a file: the subjects it may hold, and where its records begin. */
export interface FileSubjects {
  bits: Uint8Array;
  namelessUser: boolean;
  /** Null for a file not read whole (streamed, or too large once expanded). */
  index: FileIndex | null;
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
  /** With {@link KeepRule.index}: the subjects the file may hold events of, and where its records begin. */
  subjects: FileSubjects | null;
}

const text = (bytes: Buffer, capture: Capture): string | null => {
  if (capture.start < 0 || capture.end === capture.start) return null;
  const raw = bytes.toString("utf8", capture.start, capture.end);
  return capture.escaped ? (JSON.parse(`"${raw}"`) as string) || null : raw;
};

const MIB = 1024 * 1024;
const IAM_USER = Buffer.from("IAMUser");
/** Past gunzip's output buffer, so that an output of exactly the size announced needs no second one. */
const OUTPUT_SLACK = 64;
/** The lead calls' names as bytes, by length. */
const LEAD_CALL_BYTES = new Map<number, Buffer[]>();
for (const name of LEAD_CALLS)
  LEAD_CALL_BYTES.set(name.length, [...(LEAD_CALL_BYTES.get(name.length) ?? []), Buffer.from(name)]);
/**
 * Whether a call's name may be a lead call's: an escaped name is decoded to be sure; a plain one
 * is compared as bytes, without a string for the many calls whose names are as long as one.
 */
function mayNameLeadCall(bytes: Buffer, eventName: Capture): boolean {
  if (eventName.escaped) return true;
  const names = LEAD_CALL_BYTES.get(eventName.end - eventName.start);
  if (names === undefined) return false;
  for (const name of names) if (sameBytes(bytes, eventName.start, name)) return true;
  return false;
}

/** Whether `bytes` from `start` begins with `expected`. */
function sameBytes(bytes: Buffer, start: number, expected: Buffer): boolean {
  for (let i = 0; i < expected.length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}
/** Whether a field holds a non-empty string, as `text()` in event.ts reads it. */
const present = (capture: Capture) => capture.start >= 0 && capture.end > capture.start;
/** Whether a field is exactly `expected`, compared as bytes (an escaped one is decoded first). */
function equals(bytes: Buffer, capture: Capture, expected: Buffer): boolean {
  if (capture.escaped) return text(bytes, capture) === expected.toString("utf8");
  return capture.end - capture.start === expected.length && sameBytes(bytes, capture.start, expected);
}

/** Reads one file: `write` its bytes as they come, then `end`; or `abandon` it. */
export class LogFileReader {
  private readonly name: string;
  private readonly rule: KeepRule;
  private readonly keys: SubjectSet;
  private readonly users: SubjectSet;
  private scanner: RecordScanner;
  private readonly gzip: boolean;
  private gunzip: Gunzip | null = null;
  private kept: KeptEvent[] = [];
  private recordProblems: LogProblem[] = [];
  private moreProblems = 0;
  private records = 0;
  private bytes = 0;
  private readError: string | null = null;
  private readonly filter: SubjectFilter | null;
  /** With {@link KeepRule.index}: where records begin, for a file read whole. */
  private readonly recorder: IndexRecorder | null;
  private index: FileIndex | null = null;
  /** Read in stretches (a second pass): the first pass checked the file as a whole. */
  private checkedWhole = false;
  private finished: Promise<void> | null = null;

  constructor(name: string, gzip: boolean, rule: KeepRule) {
    this.name = name;
    this.rule = rule;
    this.keys = new SubjectSet(KEY, rule.keys);
    this.users = new SubjectSet(USER, rule.users);
    this.filter = rule.index ? new SubjectFilter() : null;
    this.recorder = rule.index ? new IndexRecorder() : null;
    this.scanner = this.newScanner();
    this.gzip = gzip;
  }

  /** A scanner that tells this reader its records: from the file's start, or from a record within it. */
  private newScanner(from?: RecordsFrom): RecordScanner {
    return new RecordScanner(
      {
        record: (index, bytes, fields, offset) => this.record(index, bytes, fields, offset),
        // JSON.parse keeps the last Records member: what came from an earlier one does not count.
        recordsMember: () => {
          this.kept = [];
          this.recordProblems = [];
          this.moreProblems = 0;
          this.recorder?.reset();
        },
      },
      MAX_RECORD_BYTES,
      from,
    );
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
    const read = this.recorder !== null || this.rule.prefilter !== undefined ? fingerprint(bytes) : null;
    let text: Buffer;
    if (!this.gzip) text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    else {
      try {
        // One output buffer of the size the gzip trailer announces (capped): no chunks to join.
        const announced =
          bytes.length >= 18
            ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(bytes.length - 4)
            : 0;
        text = gunzipSync(bytes, {
          maxOutputLength: WHOLE_LIMIT,
          chunkSize: Math.max(64 * 1024, Math.min(WHOLE_LIMIT, announced + OUTPUT_SLACK)),
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return this.write(bytes);
        this.readError = `cannot read the file: ${(error as Error).message}`;
        return;
      }
    }
    const prefilter = this.rule.prefilter;
    if (
      prefilter?.index != null &&
      read !== null &&
      read.crc === prefilter.index.crc &&
      read.length === prefilter.index.length
    )
      this.scanStretches(text, prefilter);
    else this.scan(text);
    if (this.recorder !== null && read !== null && this.scanner.error === null)
      this.index = this.recorder.index(this.scanner.recordDepth, this.scanner.sawUnicodeEscape, read);
    if (this.gzip) release(text);
  }

  /**
   * The second pass over a file the first read whole, unchanged since: only the stretches of
   * records that hold a name it looks for (prefilter.ts); the whole file if a name cannot be
   * looked for so, or a stretch does not read as records (its bytes changed after all).
   */
  private scanStretches(text: Buffer, { index, namelessUser }: FileSubjects): void {
    const needles = index === null ? null : needlesOf(this.rule.keys, this.rule.users, index, namelessUser);
    if (index === null || needles === null) return this.scan(text);
    this.bytes += text.length;
    for (const stretch of stretchesWithNeedles(text, needles, index)) {
      this.scanner = this.newScanner({ recordLevel: index.recordLevel, index: stretch.index, offset: stretch.start });
      this.scanner.write(text.subarray(stretch.start, stretch.end));
      if (this.scanner.error === null) continue;
      this.kept = [];
      this.recordProblems = [];
      this.moreProblems = 0;
      this.records = 0;
      this.bytes = 0;
      this.scanner = this.newScanner();
      return this.scan(text);
    }
    // The file as a whole was checked by the first pass: nothing is left to check at its end.
    this.checkedWhole = true;
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
    if (this.recordProblems.length < MAX_PROBLEMS_PER_FILE)
      this.recordProblems.push({ file: this.name, line: 1, col: 1, code: "E_LOG_EVENT", message });
    else this.moreProblems++;
  }

  private record(index: number, bytes: Buffer | null, fields: RecordFields, offset: number): void {
    this.records++;
    this.recorder?.record(index, offset);
    const rule = this.rule;
    if (rule.check) {
      if (!fields.object) return this.problem(`record ${index}: ${NOT_AN_OBJECT}`);
      if (bytes === null)
        return this.problem(
          `record ${index}: larger than ${MAX_RECORD_BYTES / MIB} MiB; expected a CloudTrail event (a few KB)`,
        );
      // The checks fromRecord makes, on the fields alone: every record is checked, few are parsed.
      // The time, in the form CloudTrail writes, is checked on its bytes; in any other, as text.
      const time = fields.eventTime;
      if (
        !present(fields.eventId) ||
        !present(fields.eventName) ||
        time.escaped ||
        !isCloudTrailInstant(bytes, time.start, time.end)
      ) {
        const eventTime = text(bytes, time);
        if (
          recordProblem(present(fields.eventId) ? "" : null, present(fields.eventName) ? "" : null, eventTime) !== null
        ) {
          return this.problem(
            `record ${index}: ${recordProblem(text(bytes, fields.eventId), text(bytes, fields.eventName), eventTime)}`,
          );
        }
      }
    } else if (!fields.object || bytes === null) return;
    // Who made the call, from the bytes of its key and user name: no string for a record not kept.
    let accessKeyId: string | null | undefined;
    let keyHash = fieldHash(KEY, bytes, fields.accessKeyId);
    if (keyHash === NEEDS_TEXT) {
      accessKeyId = text(bytes, fields.accessKeyId);
      keyHash = accessKeyId === null ? ABSENT : subjectHash(KEY, accessKeyId);
    }
    const iamUser = equals(bytes, fields.identityType, IAM_USER);
    let userName: string | null | undefined;
    let userHash = ABSENT;
    if (iamUser) {
      userHash = fieldHash(USER, bytes, fields.userName);
      if (userHash === NEEDS_TEXT) {
        userName = text(bytes, fields.userName);
        userHash = userName === null ? ABSENT : subjectHash(USER, userName);
      }
    }
    if (this.filter !== null) {
      if (keyHash !== ABSENT) this.filter.addHash(keyHash);
      if (iamUser) {
        if (userHash === ABSENT) this.filter.namelessUser = true;
        else this.filter.addHash(userHash);
      }
    }
    let whole =
      rule.all ||
      (keyHash !== ABSENT &&
        (accessKeyId === undefined
          ? this.keys.hasBytes(keyHash, bytes, fields.accessKeyId)
          : this.keys.hasText(accessKeyId as string)));
    // Without its own userName, an IAM user's event may name the user elsewhere: parse and see.
    if (!whole && this.users.size > 0 && iamUser)
      whole =
        userHash === ABSENT ||
        (userName === undefined
          ? this.users.hasBytes(userHash, bytes, fields.userName)
          : this.users.hasText(userName as string));
    let lead = false;
    if (!whole && rule.leads && mayNameLeadCall(bytes, fields.eventName)) {
      const eventName = text(bytes, fields.eventName);
      if (eventName !== null && LEAD_CALLS.has(eventName))
        lead = mayLead({
          eventName,
          errorCode: text(bytes, fields.errorCode),
          accessKeyId: keyHash === ABSENT ? null : "",
          identityType: iamUser ? "IAMUser" : null,
        });
    }
    if (!whole && !lead) return;
    const event = fromRecord(JSON.parse(bytes.toString("utf8")));
    if (typeof event === "string") return this.problem(`record ${index}: ${event}`);
    const reveals = mayLead(event) ? leadsFrom(event, null).map((found) => found.subject) : null;
    // A lead call of another caller is kept only as who made it and what it reveals.
    this.kept.push({
      eventId: event.eventId,
      ...(whole ? keptText(event) : { head: "", text: "" }),
      record: index,
      whole,
      callers: callersOf(event),
      reveals,
    });
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
    const base = {
      records: this.records,
      bytes: this.bytes,
      subjects:
        this.filter === null
          ? null
          : { bits: this.filter.bits, namelessUser: this.filter.namelessUser, index: this.index },
    };
    const fail = (line: number, col: number, code: string, message: string): FileResult => ({
      ...base,
      digest: false,
      kept: [],
      problems: [{ file: this.name, line, col, code, message }],
    });
    if (this.readError !== null) return fail(1, 1, "E_LOG_READ", this.readError);
    // Read in stretches, the file was checked as a whole by the first pass: its end was too.
    if (!this.checkedWhole) {
      this.scanner.end();
      const error = this.scanner.error;
      if (error !== null)
        return fail(
          error.line,
          error.col,
          "E_LOG_JSON",
          `not valid JSON: ${error.message}; expected a CloudTrail log file`,
        );
      const top = this.scanner.top;
      if (top.kind === "object" && top.digest) return { ...base, digest: true, kept: [], problems: [] };
      if (top.kind !== "array" && !(top.kind === "object" && top.recordsArray))
        return fail(
          1,
          1,
          "E_LOG_SHAPE",
          `found ${shapeOf(top)}; expected a CloudTrail log file, {"Records": [...]}, or a JSON array of CloudTrail events`,
        );
    }
    const problems = this.recordProblems;
    if (this.moreProblems > 0)
      problems.push({
        file: this.name,
        line: 1,
        col: 1,
        code: "E_LOG_EVENT",
        message: `and ${this.moreProblems.toLocaleString("en-US")} more records with problems`,
      });
    return { ...base, digest: false, kept: problems.length > 0 ? [] : this.keptEvents(), problems };
  }

  /** The kept events, each with its text. */
  private keptEvents(): KeptEvent[] {
    return this.kept;
  }
}

/**
 * Gives gunzip's output memory back at once: a detached ArrayBuffer drops its memory, where an
 * unreachable one keeps it until a full garbage collection, which external memory triggers only
 * every 64 MB or so. A reader thread expands a file's few MB of JSON for every file; without this,
 * each thread held up to 64 MB of expanded files already read. Only a buffer of its own (one
 * output chunk, or their join): never a slice of Node's pool, whose memory others share, which is
 * never larger than `Buffer.poolSize`.
 */
function release(buffer: Buffer): void {
  // ArrayBuffer.prototype.transfer is ES2024 (Node.js 21 and later); the type-check's lib is ES2023.
  if (buffer.byteOffset === 0 && buffer.buffer.byteLength > Buffer.poolSize)
    (buffer.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}

function shapeOf(top: TopLevel): string {
  if (top.kind === "object") return `an object with fields ${top.keys.join(", ") || "(none)"}`;
  // `typeof null` is "object": what the whole-file reader said, and still true.
  return `a JSON ${top.kind === "null" ? "object" : top.kind === "array" ? "array" : top.kind}`;
}
