/**
 * What a review of log files looks like on stderr while it reads (and, for --from-s3, while it
 * lists the bucket first): the pass, files and bytes done,
 * events per second, and the chain found between passes. On a terminal one line redraws in place;
 * in a log (CI, a pipe) nothing for a short read, then a plain line every few seconds, so that a
 * log never fills with redraws. Never on stdout, where the review goes.
 */
import type { LogsProgress } from "./two-passes.ts";

/** Where progress goes: stderr, and whether it is a terminal. */
export interface ProgressOutput {
  err(text: string): void;
  errIsTTY: boolean;
}

export interface ReadProgressOptions {
  clock?: { now(): number };
  /** Terminal redraws at most this often. @default 100 */
  redrawMs?: number;
  /** Plain lines, when stderr is not a terminal, at most this often, and only for reads that take longer. @default 10000 */
  lineMs?: number;
}

/** Where the listing of a trail's bucket is (review/trail/listing.ts). */
export interface ListingProgress {
  /** Account folders (the regions each holds), then region folders (the days of the window). */
  stage: "accounts" | "regions";
  /** Folders of this stage listed, of those known. */
  done: number;
  of: number;
  /** ListObjectsV2 requests so far, pages included. */
  requests: number;
  /** Log files found so far. */
  files: number;
}

const BAR_WIDTH = 20;
const MB = 1_000_000;
const count = (n: number) => Math.round(n).toLocaleString("en-US");

export class ReadProgress implements LogsProgress {
  private readonly output: ProgressOutput;
  private readonly clock: { now(): number };
  private readonly redrawMs: number;
  private readonly lineMs: number;
  private began: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private pass = 0;
  private passBegan = 0;
  private files = 0;
  private bytes = 0;
  private filesDone = 0;
  private bytesDone = 0;
  private recordsDone = 0;
  /** Over every pass: files read, and records scanned (a file read twice counts twice). */
  private allFiles = 0;
  private allRecords = 0;
  private chain: string | null = null;
  /** The listing's last state, drawn once more when it ends: a terminal's redraws skip some. */
  private listingText: string | null = null;

  constructor(output: ProgressOutput, options: ReadProgressOptions = {}) {
    this.output = output;
    this.clock = options.clock ?? { now: () => performance.now() };
    this.redrawMs = options.redrawMs ?? 100;
    this.lineMs = options.lineMs ?? 10_000;
    this.began = this.clock.now();
  }

  /**
   * The listing of a trail's bucket before the read (review --from-s3): the account folders
   * listed of those known, then the region folders, the listings made and the log files found.
   * Drawn as the read is: redrawn on a terminal, a line every few seconds of a long one in a log.
   */
  listing(progress: ListingProgress): void {
    const { stage, done, of, requests, files } = progress;
    const parts = [
      `${count(done)}/${count(of)} ${stage === "accounts" ? "account" : "region"} folders`,
      `${count(requests)} ${requests === 1 ? "listing" : "listings"}`,
      ...(stage === "regions" ? [`${count(files)} log files`] : []),
    ];
    this.listingText = `listing the trail · ${parts.join(" · ")}`;
    this.line(this.listingText, this.listingText);
  }

  /** The listing is done: a terminal's line is drawn as it ended and left, and the read's own clock starts. */
  listed(): void {
    if (this.output.errIsTTY && this.drawn && this.listingText !== null) {
      this.line(this.listingText, this.listingText, true);
      this.output.err("\n");
    }
    this.drawn = false;
    this.began = this.clock.now();
    this.lastDraw = -Infinity;
  }

  passStarted(pass: number, files: number, bytes: number, reason: string): void {
    this.pass = pass;
    this.passBegan = this.clock.now();
    this.files = files;
    this.bytes = bytes;
    this.filesDone = 0;
    this.bytesDone = 0;
    this.recordsDone = 0;
    // A log of a long read says why a second pass begins.
    if (!this.output.errIsTTY && this.passBegan - this.began >= this.lineMs)
      this.output.err(`review: pass ${pass} over the log files: ${reason}\n`);
  }

  read(bytes: number): void {
    this.bytesDone += bytes;
    this.draw();
  }

  records(count: number): void {
    this.recordsDone += count;
    this.allRecords += count;
  }

  fileDone(): void {
    this.filesDone++;
    this.allFiles++;
    this.draw();
  }

  chainFound(subjects: number, rounds: number): void {
    this.chain =
      subjects === 0
        ? "the chain ends at the reviewed key"
        : `chain: ${count(subjects)} more ${subjects === 1 ? "key or user" : "keys and users"}, ${count(rounds)} ${rounds === 1 ? "round" : "rounds"} deep`;
  }

  /**
   * Ends the terminal line. A log of a long read gets one line for the whole read: its time, its
   * passes, the events scanned per second, and the chain (the command's summary follows).
   */
  finish(): void {
    if (this.output.errIsTTY && this.drawn) {
      this.draw(true);
      this.output.err("\n");
      return;
    }
    const seconds = (this.clock.now() - this.began) / 1000;
    if (this.output.errIsTTY || seconds * 1000 < this.lineMs) return;
    const parts = [
      `review: read in ${seconds.toFixed(1)} s`,
      `${count(this.pass)} ${this.pass === 1 ? "pass" : "passes"} over ${count(this.allFiles)} files`,
      `${count(this.allRecords)} events scanned`,
      `${count(this.allRecords / seconds)} events/s`,
    ];
    if (this.chain !== null) parts.push(this.chain);
    this.output.err(`${parts.join(" · ")}\n`);
  }

  /** The state in words, as lines and redraws show it. */
  summary(): string {
    const seconds = Math.max(0.001, (this.clock.now() - this.passBegan) / 1000);
    const parts = [
      `pass ${this.pass}`,
      `${count(this.filesDone)}/${count(this.files)} files`,
      `${count(this.bytesDone / MB)}/${count(this.bytes / MB)} MB`,
      `${count(this.recordsDone)} events`,
      `${count(this.recordsDone / seconds)} events/s`,
    ];
    if (this.chain !== null) parts.push(this.chain);
    return parts.join(" · ");
  }

  private draw(final = false): void {
    const share = this.bytes === 0 ? 1 : Math.min(1, this.bytesDone / this.bytes);
    const filled = Math.round(share * BAR_WIDTH);
    this.line(
      `reading · ${this.summary()}`,
      `reading log files ▕${"█".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}▏ ${this.summary()}`,
      final,
    );
  }

  /** In a log, `plain` as a line every `lineMs` once the work has taken that long; on a terminal, `redrawn` in place. */
  private line(plain: string, redrawn: string, final = false): void {
    const now = this.clock.now();
    if (!this.output.errIsTTY) {
      if (now - this.began < this.lineMs || now - this.lastDraw < this.lineMs) return;
      this.lastDraw = now;
      this.output.err(`review: ${plain}\n`);
      return;
    }
    if (!final && now - this.lastDraw < this.redrawMs) return;
    this.lastDraw = now;
    this.output.err(`\r\u001b[2K${redrawn}`);
    this.drawn = true;
  }
}
