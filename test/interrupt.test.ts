/**
 * cli/interrupt.ts: what the process does on SIGINT and SIGTERM, on a stand-in for `process` (the
 * real signal, the real process and a query left running are test/review-athena.test.ts's).
 */
import { describe, expect, it } from "vitest";
import { catchInterrupts, type SignalTarget } from "../cli/interrupt.ts";

/** A stand-in for `process`: signals are delivered by `emit`, and what the handlers did is recorded. */
function fakeProcess() {
  const listeners = new Map<string, Set<(signal: NodeJS.Signals) => void>>();
  const calls: string[] = [];
  let ended: () => void = () => {};
  const exited = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const target: SignalTarget & { emit(signal: NodeJS.Signals): void; listening(): string[] } = {
    pid: 4242,
    on(signal, listener) {
      listeners.set(signal, (listeners.get(signal) ?? new Set()).add(listener));
    },
    off(signal, listener) {
      listeners.get(signal)?.delete(listener);
    },
    kill(pid, signal) {
      calls.push(`kill ${pid} ${signal}`);
    },
    exit(code) {
      calls.push(`exit ${code}`);
      ended();
      return undefined as never;
    },
    emit(signal) {
      for (const listener of [...(listeners.get(signal) ?? [])]) listener(signal);
    },
    listening: () => [...listeners].filter(([, set]) => set.size > 0).map(([signal]) => signal),
  };
  return { target, calls, exited };
}

describe("catchInterrupts", () => {
  it("with nothing to stop, ends the process at once as the signal would (130 for SIGINT, 143 for SIGTERM)", () => {
    for (const [signal, code] of [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const) {
      const { target, calls } = fakeProcess();
      const err: string[] = [];
      catchInterrupts({ err: (text) => err.push(text) }, target);
      expect(target.listening()).toEqual(["SIGINT", "SIGTERM"]);
      target.emit(signal);
      // Its handlers gone first, so that the signal sent again takes Node's default: death by the signal.
      expect({ calls, listening: target.listening(), err }).toEqual({
        calls: [`kill 4242 ${signal}`, `exit ${code}`],
        listening: [],
        err: [],
      });
    }
  });

  it("runs what a command registered, and ends the process only once it is done", async () => {
    const { target, calls, exited } = fakeProcess();
    const interrupts = catchInterrupts({ err: () => {} }, target);
    let finish: () => void = () => {};
    interrupts.onInterrupt(
      () =>
        new Promise<void>((resolve) => {
          calls.push("stop");
          finish = () => {
            calls.push("stopped");
            resolve();
          };
        }),
    );
    // Unregistered: not run.
    interrupts.onInterrupt(async () => void calls.push("unregistered"))();
    target.emit("SIGINT");
    expect(calls).toEqual(["stop"]);
    finish();
    await exited;
    expect(calls).toEqual(["stop", "stopped", "kill 4242 SIGINT", "exit 130"]);
  });

  it("a stop that hangs is left after the grace period, saying so", async () => {
    const { target, calls, exited } = fakeProcess();
    const err: string[] = [];
    const interrupts = catchInterrupts({ err: (text) => err.push(text), graceMs: 20 }, target);
    interrupts.onInterrupt(() => new Promise<void>(() => {}));
    target.emit("SIGTERM");
    await exited;
    expect({ calls, err }).toEqual({
      calls: ["kill 4242 SIGTERM", "exit 143"],
      err: ["cordon: still stopping after 0.02 s; ending without waiting\n"],
    });
  });

  it("a second signal while stopping ends the process at once", () => {
    const { target, calls } = fakeProcess();
    const interrupts = catchInterrupts({ err: () => {} }, target);
    interrupts.onInterrupt(() => new Promise<void>(() => {}));
    target.emit("SIGINT");
    expect(calls).toEqual([]);
    target.emit("SIGINT");
    expect(calls).toEqual(["kill 4242 SIGINT", "exit 130"]);
  });

  it("after dispose, handles nothing", () => {
    const { target } = fakeProcess();
    catchInterrupts({ err: () => {} }, target).dispose();
    expect(target.listening()).toEqual([]);
  });
});
