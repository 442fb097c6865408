/**
 * A reader thread: reads the files the main thread streams to it, one after the other, and
 * answers each with what the pass keeps (review/log-file.ts). The main thread does the input, the
 * threads the gunzip, scanning and parsing: every core reads.
 */
import { parentPort } from "node:worker_threads";
import { LogFileReader, type KeepRule } from "./log-file.ts";
import type { ToReader } from "./log-pass.ts";

const port = parentPort;
if (port === null) throw new Error("review/log-worker.ts runs as a worker thread");

let rule: KeepRule | null = null;
let reader: LogFileReader | null = null;
let file = -1;
let answered = true;

async function answer(): Promise<void> {
  if (reader === null || answered) return;
  answered = true;
  const current = reader;
  reader = null;
  port!.postMessage({ kind: "result", file, result: await current.end() });
}

async function handle(message: ToReader): Promise<void> {
  switch (message.kind) {
    case "rule":
      rule = message.rule;
      return;
    case "open":
      file = message.file;
      answered = false;
      reader = new LogFileReader(message.name, message.gzip, rule!);
      return;
    case "bytes":
      if (message.file === file && reader !== null) {
        await reader.write(message.data);
        port!.postMessage({ kind: "taken", file, records: reader?.recordsRead ?? 0 });
        // The rest of the file cannot change the answer (a broken file, or past the size limit).
        if (reader?.done) {
          reader.abandon();
          await answer();
        }
      } else port!.postMessage({ kind: "taken", file: message.file, records: 0 });
      return;
    case "end":
      if (message.file === file) await answer();
      return;
    case "abandon":
      if (message.file === file && reader !== null && !answered) {
        reader.abandon();
        reader = null;
        answered = true;
        port!.postMessage({ kind: "result", file, result: null });
      }
      return;
  }
}

// Messages are handled one at a time, in order: a file's bytes must reach gunzip in order.
let queue = Promise.resolve();
port.on("message", (message: ToReader) => {
  queue = queue.then(() => handle(message));
});
