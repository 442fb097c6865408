/**
 * What a scan of CloudTrail looks like on stderr while it runs: pages and events per region. On a
 * terminal the block redraws in place; in a log (CI, a pipe) a plain line every few seconds and one
 * at the end, so that a log never fills with redraws. Never on stdout, where the review goes.
 */
import { systemClock, type Clock } from "./pacer.ts";

/** What a reader of CloudTrail tells a progress display (reader.ts's does). */
export interface ReaderProgress {
  lookupStarted(region: string, subject: string): void;
  page(region: string, subject: string, events: number): void;
  retried(region: string, reason: string): void;
  lookupDone(region: string, subject: string): void;
}

/** Where progress goes: standard error, and whether it is a terminal (redraw in place) or a log. */
export interface ProgressSink {
  err(text: string): void;
  errIsTTY: boolean;
}

interface RegionState {
  pages: number;
  events: number;
  running: number;
  retries: number;
}

const COLUMNS = 3;
const BAR_WIDTH = 20;
const count = (n: number) => n.toLocaleString("en-US");
const plural = (n: number, one: string) => `${count(n)} ${n === 1 ? one : `${one}s`}`;

export interface ProgressOptions {
  clock?: Pick<Clock, "now">;
  /** Terminal redraws at most this often. @default 100 */
  redrawMs?: number;
  /** Plain lines, when stderr is not a terminal, at most this often. @default 10000 */
  lineMs?: number;
}

export class ScanProgress implements ReaderProgress {
  private readonly regions = new Map<string, RegionState>();
  private readonly subjects = new Set<string>();
  private started = 0;
  private done = 0;
  private drawnLines = 0;
  private lastDraw = -Infinity;
  private readonly clock: Pick<Clock, "now">;
  private readonly redrawMs: number;
  private readonly lineMs: number;

  private readonly io: ProgressSink;

  constructor(io: ProgressSink, regions: readonly string[], options: ProgressOptions = {}) {
    this.io = io;
    for (const region of regions) this.regions.set(region, { pages: 0, events: 0, running: 0, retries: 0 });
    this.clock = options.clock ?? systemClock;
    this.redrawMs = options.redrawMs ?? 100;
    this.lineMs = options.lineMs ?? 10_000;
  }

  private state(region: string): RegionState {
    let state = this.regions.get(region);
    if (state === undefined) {
      state = { pages: 0, events: 0, running: 0, retries: 0 };
      this.regions.set(region, state);
    }
    return state;
  }

  lookupStarted(region: string, subject: string): void {
    this.state(region).running += 1;
    this.subjects.add(subject);
    this.started += 1;
    this.draw(false);
  }

  page(region: string, _subject: string, events: number): void {
    const state = this.state(region);
    state.pages += 1;
    state.events += events;
    this.draw(false);
  }

  retried(region: string, _reason: string): void {
    this.state(region).retries += 1;
  }

  lookupDone(region: string, _subject: string): void {
    this.state(region).running -= 1;
    this.done += 1;
    this.draw(false);
  }

  /** Draws the final state; on a terminal it stays on screen as the scan's record. */
  finish(): void {
    this.draw(true);
  }

  private totals() {
    let pages = 0;
    let events = 0;
    let retries = 0;
    let idle = 0;
    for (const state of this.regions.values()) {
      pages += state.pages;
      events += state.events;
      retries += state.retries;
      if (state.running === 0) idle += 1;
    }
    const keys = this.subjects.size;
    return { pages, events, retries, idle, keys };
  }

  private summary(): string {
    const { pages, events, retries, idle, keys } = this.totals();
    const followed =
      keys > 1 ? ` · ${count(keys - 1)} more ${keys - 1 === 1 ? "key or user" : "keys and users"} followed` : "";
    const retried = retries > 0 ? ` · ${count(retries)} retried` : "";
    return `${count(idle)}/${count(this.regions.size)} regions idle · ${plural(pages, "page")} · ${plural(events, "event")}${followed}${retried}`;
  }

  private draw(final: boolean): void {
    const now = this.clock.now();
    if (!this.io.errIsTTY) {
      if (!final && now - this.lastDraw < this.lineMs) return;
      this.lastDraw = now;
      this.io.err(`review: ${final ? "done" : "scanning"} · ${this.summary()}\n`);
      return;
    }
    if (!final && now - this.lastDraw < this.redrawMs) return;
    this.lastDraw = now;
    const share = this.started === 0 ? 0 : this.done / this.started;
    const filled = Math.round(share * BAR_WIDTH);
    const lines = [
      `${final ? "scanned" : "scanning"} ${count(this.regions.size)} regions ▕${"█".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}▏ ${this.summary()}`,
    ];
    const cells = [...this.regions.entries()].map(
      ([region, state]) =>
        `${region.padEnd(15)}${count(state.pages).padStart(4)} pages${count(state.events).padStart(7)} events ${state.running > 0 ? "…" : "✓"}`,
    );
    for (let i = 0; i < cells.length; i += COLUMNS) lines.push(`  ${cells.slice(i, i + COLUMNS).join("   ")}`);
    // Back to the top of the previous block, then overwrite it line by line.
    const up = this.drawnLines > 0 ? `\u001b[${this.drawnLines}F` : "";
    this.io.err(`${up}${lines.map((line) => `\u001b[2K${line}`).join("\n")}\n`);
    this.drawnLines = lines.length;
  }
}
