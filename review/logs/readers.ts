/**
 * One pass over log objects: every object read once, by a pool of reader threads (one per core),
 * each record kept or not by the pass's {@link KeepRule}. A thread reads a file on this machine
 * itself, through one buffer it reuses; other objects (S3's, say) the main thread opens and streams
 * to the threads, a few chunks ahead at most. Memory stays bounded by the number of threads,
 * whatever the number and size of the files:
 *   threads × (a read buffer or chunks in flight + a small file's expansion (WHOLE_LIMIT) or
 *   gunzip's window + the largest record (MAX_RECORD_BYTES)) + what the pass keeps.
 */
import { getCompileCacheDir } from "node:module";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { FileResult, KeepRule, LogProblem } from "./log-file.ts";
import type { LogObject } from "./log-objects.ts";

/** Messages to a reader thread. */
export type ToReader =
  | { kind: "rule"; rule: KeepRule }
  | { kind: "read"; file: number; name: string; gzip: boolean; path: string }
  | { kind: "open"; file: number; name: string; gzip: boolean }
  | { kind: "bytes"; file: number; data: Uint8Array }
  | { kind: "end"; file: number }
  | { kind: "abandon"; file: number };

/**
 * Messages from a reader thread: `taken` after each chunk (with the bytes it read itself, for a
 * file it reads), and one `result` per file, null for a file abandoned because it could not be read.
 */
type FromReader =
  | { kind: "taken"; file: number; records: number; read: number }
  | { kind: "result"; file: number; result: FileResult | null };

/**
 * Files of this machine a thread is given at once: the one it reads and the next. One at a time,
 * each thread waited for the main thread between two files (3 % of its time at 2,000,000 events,
 * more on a busy machine, where the main thread waits for a core).
 */
const FILES_QUEUED = 2;

/** Chunks sent to a thread ahead of what it has taken in. */
const CHUNKS_AHEAD = 2;

/** What a pass tells about itself as it runs. */
export interface PassProgress {
  /** Bytes read from an object (as stored, compressed for gzip). */
  read(bytes: number): void;
  /** Records scanned. */
  records(count: number): void;
  /** An object is done. */
  fileDone(): void;
}

/** How a pass reads: which objects, in which order, each with which rule. */
export interface PassPlan {
  /** Indexes into the objects: those to read, in the order to read them. */
  order: readonly number[];
  /** The rule to read an object with, asked when a thread takes it (rules may change as a pass learns). */
  ruleFor(file: number): KeepRule;
  /** Each result, as it arrives. */
  onResult?(file: number, result: FileResult): void;
}

/**
 * The environment of a reader thread: the process's, and the module compile cache where the process
 * uses one (cli/cordon.js turns it on, never in CI). A thread does not share the process's cache
 * otherwise, and compiles its modules anew: about 0.1 s of each thread's start.
 */
function threadEnv(): Record<string, string | undefined> {
  const cache = getCompileCacheDir();
  return cache === undefined ? { ...process.env } : { ...process.env, NODE_COMPILE_CACHE: cache };
}

class Reader {
  private readonly worker: Worker;
  private rule: KeepRule | null = null;
  /** Who waits for each file's answers: a thread has up to {@link FILES_QUEUED} files of this machine at once. */
  private readonly waiting = new Map<number, (message: FromReader) => void>();
  private failure: Error | null = null;

  constructor() {
    // A bounded young generation: with V8's default (gunzip then wrote a file in chunks, each collected
    // only with the generation), a thread held 100 MB more. Gunzip's one output buffer is now given
    // back as soon as it is read (log-file.ts), and 32 MB spends 3 % less time collecting than 8 MB,
    // for the same peak (npm run bench:logs).
    this.worker = new Worker(new URL("./reader-thread.ts", import.meta.url), {
      resourceLimits: { maxYoungGenerationSizeMb: 32 },
      env: threadEnv(),
    });
    // Answers about a file no longer waited for (abandoned midway, they arrive late) go nowhere.
    this.worker.on("message", (message: FromReader) => this.waiting.get(message.file)?.(message));
    this.worker.on("error", (error: Error) => {
      this.failure = error;
      for (const wake of this.waiting.values()) wake({ kind: "result", file: -1, result: null });
    });
  }

  post(message: ToReader, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  useRule(rule: KeepRule): void {
    if (rule === this.rule) return;
    this.rule = rule;
    this.post({ kind: "rule", rule });
  }

  /** Reads one object on the thread (streamed to it, for an object not on this machine); resolves with its result. */
  async read(object: LogObject, file: number, progress: PassProgress): Promise<FileResult> {
    try {
      return await this.readOnce(object, file, progress);
    } finally {
      this.waiting.delete(file);
    }
  }

  private async readOnce(object: LogObject, file: number, progress: PassProgress): Promise<FileResult> {
    let inFlight = 0;
    let records = 0;
    let result: FileResult | null | undefined;
    let wake: (() => void) | null = null;
    const local = object.path !== undefined;
    this.waiting.set(file, (message) => {
      if (message.kind === "taken") {
        if (local) progress.read(message.read);
        else inFlight--;
        progress.records(message.records - records);
        records = message.records;
      } else result = message.result;
      wake?.();
    });
    const settle = async (done: () => boolean) => {
      while (!done()) {
        if (this.failure !== null) throw this.failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };

    if (object.path !== undefined) {
      this.post({ kind: "read", file, name: object.name, gzip: object.gzip, path: object.path });
      await settle(() => result !== undefined);
      progress.fileDone();
      return result as FileResult;
    }
    this.post({ kind: "open", file, name: object.name, gzip: object.gzip });
    try {
      for await (const chunk of object.open()) {
        // The thread answered early: the rest of the object cannot change its result.
        if (result !== undefined) break;
        // A copy of its own: a chunk may share its memory with others, and this one moves.
        const data = new Uint8Array(chunk);
        this.post({ kind: "bytes", file, data }, [data.buffer]);
        progress.read(chunk.length);
        inFlight++;
        await settle(() => inFlight < CHUNKS_AHEAD || result !== undefined);
      }
      if (result === undefined) this.post({ kind: "end", file });
    } catch (error) {
      this.post({ kind: "abandon", file });
      await settle(() => result !== undefined);
      return {
        digest: false,
        records,
        bytes: 0,
        kept: [],
        subjects: null,
        problems: [
          {
            file: object.name,
            line: 1,
            col: 1,
            code: "E_LOG_READ",
            message: `cannot read the file: ${(error as Error).message}`,
          },
        ],
      };
    }
    await settle(() => result !== undefined);
    progress.fileDone();
    return result as FileResult;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Keeps every young generation of the process at the size it has. V8 doubles a young generation
 * (up to 3 x 32 MB on the main thread) each time much of it survives a collection, and the main
 * thread of a review keeps what it reads: the kept events, then the chain and the findings, all
 * survive. Its heap then grew to 190 MB to hold 60 MB, and the review's peak from 230 MB to 380 MB
 * at 2,000,000 events (npm run bench:logs); it costs about 7 % more CPU time. Reader threads have
 * resourceLimits; the main thread's heap is set by flags at start only, but for this one, which V8
 * reads each time it would grow a young generation. A CLI process runs one command: the flag,
 * global to the process, changes nothing else.
 */
function holdYoungGenerations(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}

/** Reader threads, started once and used by every pass of a review. */
export class LogReaders {
  private readers: Reader[] = [];
  private readonly size: number;

  /** @param size threads to start. @default the number of cores (at most 8) */
  constructor(size: number = Math.min(8, availableParallelism())) {
    this.size = Math.max(1, size);
    holdYoungGenerations();
  }

  /** Reads the objects `plan` names; results by index into `objects` (none for those not read). */
  /** Starts `count` threads now (at most the pool's size), so that they load while the caller does something else. */
  start(count: number = this.size): void {
    while (this.readers.length < Math.min(this.size, count)) this.readers.push(new Reader());
  }

  async pass(
    objects: readonly LogObject[],
    plan: PassPlan,
    progress: PassProgress,
  ): Promise<(FileResult | undefined)[]> {
    this.start(plan.order.length);
    const results = new Array<FileResult | undefined>(objects.length);
    let next = 0;
    // Files of this machine: each thread is given its next file before it answers the last, so it
    // never waits for the main thread between two. A streamed object has a thread to itself.
    const queued = plan.order.every((file) => objects[file].path !== undefined) ? FILES_QUEUED : 1;
    await Promise.all(
      this.readers.flatMap((reader) =>
        Array.from({ length: queued }, async () => {
          while (next < plan.order.length) {
            const file = plan.order[next++];
            // The rule and the file go to the thread together: it reads each file with the rule asked for it.
            reader.useRule(plan.ruleFor(file));
            const result = await reader.read(objects[file], file, progress);
            results[file] = result;
            plan.onResult?.(file, result);
          }
        }),
      ),
    );
    return results;
  }

  /** Reads every object with one rule, in order; every result. */
  async passAll(objects: readonly LogObject[], rule: KeepRule, progress: PassProgress): Promise<FileResult[]> {
    return (await this.pass(
      objects,
      { order: objects.map((_, index) => index), ruleFor: () => rule },
      progress,
    )) as FileResult[];
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((reader) => reader.close()));
    this.readers = [];
  }
}

/** Every problem of a pass, in the order of the objects. */
export function problemsOf(results: readonly (FileResult | undefined)[]): LogProblem[] {
  const problems: LogProblem[] = [];
  for (const result of results) for (const problem of result?.problems ?? []) problems.push(problem);
  return problems;
}
