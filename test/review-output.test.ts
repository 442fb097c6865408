/**
 * The review's output to a pipe: a long JSON is written in pieces, each one waiting while stdout's
 * buffer is full, so that a slow reader never makes the whole text pile up in the process, and a
 * reader that stops early (`| head`) ends the review quietly rather than with a stack trace.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo, writePieces } from "../cli/io.ts";
import { INVICTUS } from "./support/review-logs.ts";

const REPO = resolve(import.meta.dirname, "..");
const ARGS = ["review", ...INVICTUS, "--json"];

/** The review in a child process, its stdout read by `reader`; its exit code, stdout and stderr. */
function child(reader: (stdout: NodeJS.ReadableStream, chunk: Buffer) => void) {
  const process_ = spawn(process.execPath, [resolve(REPO, "cli", "cordon.js"), ...ARGS], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  let err = "";
  process_.stdout.on("data", (chunk: Buffer) => {
    out.push(chunk);
    reader(process_.stdout, chunk);
  });
  process_.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
    process_.on("close", (code) => done({ code, stdout: Buffer.concat(out).toString(), stderr: err })),
  );
}

describe("review's output to a pipe", () => {
  it("to a slow reader: every byte, the same as in-process", async () => {
    const io = memoryIo({ cwd: REPO });
    expect(await main(ARGS, io)).toBe(0);
    // Far more than a pipe's buffer (64 KiB), so that the review must wait on the reader.
    expect(io.stdout.length).toBeGreaterThan(1024 * 1024);
    const slow = await child((stdout) => {
      stdout.pause();
      setTimeout(() => stdout.resume(), 2);
    });
    expect(slow.code).toBe(0);
    expect(slow.stdout).toBe(io.stdout);
  });

  it("to a reader that stops early: the review ends, without a stack trace", async () => {
    const cut = await child((stdout) => (stdout as unknown as { destroy(): void }).destroy());
    expect(cut.stderr).toBe("review: read 55 log files · 2,900 events\n");
    expect(cut.code).toBe(0);
  });

  it("waits on stdout after each piece, and writes them in order", async () => {
    const written: string[] = [];
    let waits = 0;
    const io = {
      ...memoryIo(),
      out: (text: string) => written.push(text),
      outDrained: async () => {
        waits++;
      },
    };
    await writePieces(io, ["a", "b", "c"]);
    expect([written, waits]).toEqual([["a", "b", "c"], 3]);
  });
});
