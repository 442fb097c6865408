/**
 * What the process does on Ctrl-C (SIGINT) or SIGTERM. Most commands leave nothing behind when
 * they die, and die as Node would. A command that leaves something running elsewhere (an Athena
 * query, billed by the data it scans, runs on for up to 30 minutes) registers how to stop it: on
 * the signal those stops run, for at most a grace period, then the process ends as the signal
 * would have ended it. The shell then sees 130 (SIGINT) or 143 (SIGTERM), and a script running
 * cordon in a loop stops too, which an ordinary exit with that code would not tell it
 * (https://www.cons.org/cracauer/sigint.html). A second signal ends the process at once.
 */

/** Stops what a command left running; says on stderr what it stopped, or could not. */
export type Stop = () => Promise<void>;

/** What the process offers a command: `onInterrupt(stop)` registers, and returns how to unregister. */
export type OnInterrupt = (stop: Stop) => () => void;

/** The part of `process` the handlers use; tests pass their own. */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  kill(pid: number, signal: NodeJS.Signals): unknown;
  exit(code: number): never;
  pid: number;
}

export interface InterruptOptions {
  /** How long the stops may take before the process ends without them. @default 10000 */
  graceMs?: number;
  err(text: string): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
const CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Handles SIGINT and SIGTERM until `dispose`: `onInterrupt` is what commands receive (Io's).
 * @default target `process`
 */
export function catchInterrupts(
  options: InterruptOptions,
  target: SignalTarget = process,
): { onInterrupt: OnInterrupt; dispose(): void } {
  const stops = new Set<Stop>();
  let ending = false;
  const dispose = () => {
    for (const signal of SIGNALS) target.off(signal, handle);
  };
  // Ends the process as `signal` would: with no handler left, Node's default ends it; if something
  // else in the process still handles the signal, the exit code says the same.
  const end = (signal: NodeJS.Signals): never => {
    dispose();
    target.kill(target.pid, signal);
    return target.exit(CODES[signal]);
  };
  function handle(signal: NodeJS.Signals): void {
    if (ending || stops.size === 0) {
      end(signal);
      return;
    }
    ending = true;
    const grace = options.graceMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), grace);
    });
    const all = Promise.allSettled([...stops].map((stop) => stop()));
    void Promise.race([all, late]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === "late") options.err(`cordon: still stopping after ${grace / 1000} s; ending without waiting\n`);
      end(signal);
    });
  }
  for (const signal of SIGNALS) target.on(signal, handle);
  return {
    onInterrupt(stop) {
      stops.add(stop);
      return () => void stops.delete(stop);
    },
    dispose,
  };
}
