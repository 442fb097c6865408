/**
 * A reader thread: reads files one after the other (those of this machine itself, others as the
 * main thread streams them), and answers each with what the pass keeps (log-file.ts). The
 * threads gunzip, scan and parse: every core reads.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { LogFileReader, type FileResult, type KeepRule } from "./log-file.ts";
import { READ_CHUNK } from "./log-objects.ts";
import type { ToReader } from "./readers.ts";

const port = parentPort;
if (port === null) throw new Error("review/logs/reader-thread.ts runs as a worker thread");

let rule: KeepRule | null = null;
// The file the main thread streams, if any.
let streamed: LogFileReader | null = null;
let streamedFile = -1;
let answered = true;

async function answer(): Promise<void> {
  if (streamed === null || answered) return;
  answered = true;
  const current = streamed;
  streamed = null;
  post(streamedFile, await current.end());
}

/** One buffer for every read of this thread: a file's bytes never pile up as garbage. */
const buffer = Buffer.allocUnsafe(READ_CHUNK);

/**
 * Reads a file of this machine through `buffer`, and answers with its result. The reads block
 * this thread, which has nothing else to do meanwhile: no round trip to libuv's pool for each of
 * them (a few of a file's few milliseconds).
 */
async function read(file: number, name: string, gzip: boolean, path: string): Promise<void> {
  const reader = new LogFileReader(name, gzip, rule!);
  try {
    const handle = openSync(path, "r");
    try {
      const first = readSync(handle, buffer, 0, buffer.length, null);
      if (first < buffer.length) {
        // The whole file in one read: CloudTrail's files are a few hundred KB of gzip.
        await reader.whole(buffer.subarray(0, first));
        port!.postMessage({ kind: "taken", file, records: reader.recordsRead, read: first });
      } else {
        for (let bytesRead = first; bytesRead > 0; bytesRead = readSync(handle, buffer, 0, buffer.length, null)) {
          // The reader takes the bytes in before the buffer is read into again.
          await reader.write(buffer.subarray(0, bytesRead));
          port!.postMessage({ kind: "taken", file, records: reader.recordsRead, read: bytesRead });
          if (reader.done) break;
        }
      }
    } finally {
      closeSync(handle);
    }
  } catch (error) {
    reader.abandon();
    port!.postMessage({
      kind: "result",
      file,
      result: {
        digest: false,
        records: reader.recordsRead,
        bytes: 0,
        kept: [],
        subjects: null,
        problems: [
          {
            file: name,
            line: 1,
            col: 1,
            code: "E_LOG_READ",
            message: `cannot read the file: ${(error as Error).message}`,
          },
        ],
      },
    });
    return;
  }
  if (reader.done) reader.abandon();
  post(file, await reader.end());
}

function post(file: number, result: FileResult): void {
  port!.postMessage({ kind: "result", file, result });
}

async function handle(message: ToReader): Promise<void> {
  switch (message.kind) {
    case "rule":
      rule = message.rule;
      return;
    case "read":
      return read(message.file, message.name, message.gzip, message.path);
    case "open":
      streamedFile = message.file;
      answered = false;
      streamed = new LogFileReader(message.name, message.gzip, rule!);
      return;
    case "bytes":
      if (message.file === streamedFile && streamed !== null) {
        await streamed.write(message.data);
        port!.postMessage({ kind: "taken", file: streamedFile, records: streamed?.recordsRead ?? 0, read: 0 });
        // The rest of the file cannot change the answer (a broken file, or past the size limit).
        if (streamed?.done) {
          streamed.abandon();
          await answer();
        }
      } else port!.postMessage({ kind: "taken", file: message.file, records: 0, read: 0 });
      return;
    case "end":
      if (message.file === streamedFile) await answer();
      return;
    case "abandon":
      if (message.file === streamedFile && streamed !== null && !answered) {
        streamed.abandon();
        streamed = null;
        answered = true;
        port!.postMessage({ kind: "result", file: streamedFile, result: null });
      }
      return;
  }
}

// Messages are handled one at a time, in order: a file's bytes must reach gunzip in order.
let queue = Promise.resolve();
port.on("message", (message: ToReader) => {
  queue = queue.then(() => handle(message));
});
