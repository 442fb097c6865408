/**
 * What a command may touch of the outside world. Commands receive an `Io` instead of reaching for
 * `process` so that tests run them in-process and read exactly what a user would see.
 */
import { maskSecrets } from "../incident/secrets.ts";

export interface Io {
  /** Writes to standard output (results: the plan, the JSON, the report). */
  out(text: string): void;
  /** Writes to standard error (errors, warnings, progress). */
  err(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** True when stderr is a terminal: progress bars redraw in place only then. */
  errIsTTY: boolean;
  /**
   * Resolves once stdout can take more (its buffer drained, or it closed). A long output written
   * in pieces waits on it, so that a slow reader (`| jq`, a pipe to CI) never makes the whole
   * text pile up in memory. Absent where writes never queue (tests).
   */
  outDrained?(): Promise<void>;
  /**
   * Registers how to stop what the command leaves running elsewhere (an Athena query) when the
   * process gets SIGINT or SIGTERM (cli/interrupt.ts); returns how to unregister it. Absent in
   * tests that run commands in-process.
   */
  onInterrupt?(stop: () => Promise<void>): () => void;
}

/**
 * The `Io` every command is given (cli/main.ts): the same, but what it writes to stderr passes
 * through the secret matcher first. Stderr carries messages, and a message quotes what it was
 * given (a flag, a file's name, AWS's answer about either), which may be a secret pasted in the
 * wrong place: masked here, no command can forget to. Stdout is left as it is: it carries results
 * (JSON, policies, templates) that other tools read byte for byte, and what a command prints there
 * comes from files it validated and from AWS, each masked where it is read.
 */
export function maskedErrors(io: Io): Io {
  return { ...io, err: (text) => io.err(maskSecrets(text)) };
}

/** Writes `pieces` to stdout one after the other, waiting whenever stdout's buffer is full. */
export async function writePieces(io: Io, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) {
    io.out(piece);
    if (io.outDrained !== undefined) await io.outDrained();
  }
}

/**
 * The process's own streams. A write to stdout that fails is never an unhandled error with a
 * stack: when the reader has gone (EPIPE: `cordon plan | head -1`, `| grep -q`), it took what it
 * wanted, and the process ends without a word, with 0 (under `set -o pipefail`, as GitHub's bash
 * steps run, the reader's own status then decides; a 2 would fail `cordon plan | grep -q X` where
 * X was found); any other failure (ENOSPC, `> /dev/full`; EIO) is one line on stderr, and exit 2:
 * the output could not be written. A failed stderr ends the process too, with
 * nothing left to tell.
 */
export function processIo(): Io {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT_OK);
    process.stderr.write(`cordon: ${outputFailure(error)}\n`);
    process.exit(EXIT_USAGE);
  });
  process.stderr.on("error", () => process.exit(EXIT_USAGE));
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    errIsTTY: Boolean(process.stderr.isTTY),
    outDrained: () => drained(process.stdout),
  };
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (!stream.writableNeedDrain || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ["drain", "close", "error"]) stream.off(event, done);
      resolve();
    };
    for (const event of ["drain", "close", "error"]) stream.once(event, done);
  });
}

/** What a failed write to stdout says: `cannot write the output (ENOSPC: no space left on device)`. */
function outputFailure(error: NodeJS.ErrnoException): string {
  return `cannot write the output (${error.message.replace(/, write$/, "")})`;
}

/** An `Io` that records everything, for tests. */
export function memoryIo(options: { env?: Record<string, string | undefined>; cwd?: string } = {}) {
  const io = {
    stdout: "",
    stderr: "",
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd ?? process.cwd(),
    errIsTTY: false,
  };
  return io;
}

/** Exit codes shared by every command (STYLE.md): 0 success, 1 input or state wrong, 2 misuse or could not run. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** Thrown for a command used wrongly; the entry point prints it with the command's usage and exits 2. */
export class UsageError extends Error {}

/**
 * Thrown when a command cannot run where it was started (no project found, say); the entry point
 * prints it as one line, `cordon <command>: message`, and exits 2.
 */
export class CannotRunError extends Error {}

/**
 * A message as GitHub Actions reads it in a workflow command (`::error ...::message`): on one line.
 * @see https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
 */
export function escapeAnnotation(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A property of a workflow command (`file=...`): a `:` or `,` in it would end the property early. */
export function escapeAnnotationProperty(text: string): string {
  return escapeAnnotation(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** Colours only for a terminal and never when NO_COLOR is set (https://no-color.org). */
export function palette(io: Pick<Io, "env">, isTTY: boolean) {
  const on = isTTY && !io.env.NO_COLOR;
  const wrap = (code: number) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { red: wrap(31), green: wrap(32), yellow: wrap(33), bold: wrap(1), dim: wrap(2) };
}
