/**
 * The offline review behind `--from-logs DIR`: CloudTrail log files as CloudTrail delivers them to
 * S3 (`{"Records": [...]}`, `.json` or `.json.gz`, in any folder layout), and also files holding a
 * plain JSON array of events (what Stratus Red Team and many exports write).
 *
 * Memory depends on what the review keeps, not on the size of the logs: files are streamed through
 * reader threads (readers.ts), and a record is parsed only if the review keeps it. Two
 * passes at most:
 *  1. every file, in the order CloudTrail wrote them; each is read for the keys and users reached
 *     when it is opened (the reviewed key, then those revealed by the lead calls of reached
 *     callers, windows aside), keeping their events, and noting every lead call (who made it, what
 *     it reveals). At its end, the reach holds every subject the chain can reach.
 *  2. the files opened before one of those subjects was reached, if their subject filter says
 *     they may hold its events, for that subject's events.
 * Then followChain runs over the kept events: every event of every subject it can reach is among
 * them, so the chain and the findings are those over all events. Every file is read, and every
 * problem of every file returned, before any review is made.
 */
import { belongsTo, followChain, type Chain, type EventSource, type Subject, type Window } from "../core/chain.ts";
import { compareText } from "../../incident/order.ts";
import type { Conflict, ReviewEvent } from "../core/event.ts";
import {
  callersOf,
  keptEvent,
  MAX_LOG_BYTES,
  type FileResult,
  type FileSubjects,
  type KeepRule,
  type KeptEvent,
  type LogProblem,
} from "./log-file.ts";
import { SubjectFilter } from "./subjects.ts";
import { accountOfLogFile, listLogFolder, type LogObject } from "./log-objects.ts";
import { LogReaders, problemsOf, type PassProgress } from "./readers.ts";

export { MAX_LOG_BYTES, type Conflict, type LogProblem };

/**
 * Events by id, as they are read: the same event delivered twice (CloudTrail does that) is kept
 * once; different events under one id are all kept, each marked with where it was read. Events are
 * held as text until they are asked for, and each text goes as its event is made: what grows with
 * the logs is the chain's events, held once, as text or as objects.
 */
class EventSet {
  private readonly byId = new Map<string, Copy[]>();
  private readonly nameOf: (file: number) => string;

  constructor(nameOf: (file: number) => string) {
    this.nameOf = nameOf;
  }

  /** One copy of each head kept ({@link keptText}): many events share one. */
  private readonly heads = new Map<string, string>();

  /** A kept event of file `file`. */
  add(kept: Pick<KeptEvent, "eventId" | "head" | "text" | "record">, file: number): void {
    let head = this.heads.get(kept.head);
    if (head === undefined) this.heads.set(kept.head, (head = kept.head));
    const copy: Copy = { file, record: kept.record, head, text: kept.text };
    const copies = this.byId.get(kept.eventId);
    if (copies === undefined) return void this.byId.set(kept.eventId, [copy]);
    // The text is the event's JSON: equal texts, the same event, shown where it is read first.
    const same = copies.findIndex((other) => other.head === copy.head && other.text === copy.text);
    if (same < 0) copies.push(copy);
    else if (before(copy, copies[same])) copies[same] = copy;
  }

  /**
   * Each event, made from its text, in the order of the files; the texts go, and so does the set
   * but for the copies that conflict. Values that many events share (a region, a user agent, an
   * account) stay shared: the chain's events are what the review's memory grows with.
   */
  events(): ReviewEvent[] {
    const events: ReviewEvent[] = [];
    // Each head parsed once: the events that share it share its values.
    const heads = new Map<string, unknown[]>();
    const groups = [...this.byId.values()]
      .map((copies) => copies.sort((a, b) => (before(a, b) ? -1 : 1)))
      .sort((a, b) => (before(a[0], b[0]) ? -1 : 1));
    for (const copies of groups) {
      for (const copy of copies) {
        let head = heads.get(copy.head);
        if (head === undefined) heads.set(copy.head, (head = JSON.parse(copy.head) as unknown[]));
        const event = keptEvent(head, copy.text);
        copy.text = "";
        if (copies.length === 1) events.push(event);
        else {
          copy.callers = callersOf(event);
          events.push({ ...event, conflict: { file: this.nameOf(copy.file), record: copy.record } });
        }
      }
    }
    for (const [eventId, copies] of this.byId) if (copies.length === 1) this.byId.delete(eventId);
    this.heads.clear();
    return events;
  }

  /** Different events under one id, among the events of `subjects` (ids as {@link callersOf} gives them); after {@link events}. */
  conflicts(subjects: ReadonlySet<string>): Conflict[] {
    const conflicts: Conflict[] = [];
    for (const [eventId, copies] of this.byId) {
      if (copies.length > 1 && copies.some((copy) => (copy.callers ?? []).some((caller) => subjects.has(caller))))
        conflicts.push({ eventId, files: copies.map((copy) => this.nameOf(copy.file)).sort(compareText) });
    }
    return conflicts.sort((a, b) => compareText(a.eventId, b.eventId));
  }
}

/** One copy of an event: its place in its file, and its text (its head shared) until its event is made. */
interface Copy {
  file: number;
  record: number;
  head: string;
  text: string;
  /** Who made it, for a copy that conflicts with another ({@link EventSet.events} fills it in). */
  callers?: string[];
}

const before = (a: Copy, b: Copy) => a.file < b.file || (a.file === b.file && a.record < b.record);

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * The logs as a chain source: a key's events are those it signed, a user's those it made as an
 * IAM user (its console sessions and its own keys); `regions`, when given, narrows both.
 */
export function logSource(events: ReviewEvent[], regions?: readonly string[]): EventSource {
  const byKey = new Map<string, ReviewEvent[]>();
  const byUser = new Map<string, ReviewEvent[]>();
  for (const event of events) {
    if (regions !== undefined && !regions.includes(event.region)) continue;
    if (event.accessKeyId !== null) append(byKey, event.accessKeyId, event);
    if (event.identityType === "IAMUser" && event.userName !== null) append(byUser, event.userName, event);
  }
  return async (subject, window, deliver) => {
    const candidates = (subject.kind === "key" ? byKey.get(subject.accessKeyId) : byUser.get(subject.userName)) ?? [];
    deliver(
      candidates.filter((event) => {
        const at = Date.parse(event.eventTime);
        return (
          belongsTo(subject, event) &&
          (window.start === null || at >= window.start) &&
          (window.end === null || at <= window.end)
        );
      }),
    );
  };
}

/** What a review of log files tells as it runs: passes over the files, and the chain between them. */
export interface LogsProgress extends PassProgress {
  passStarted(pass: number, files: number, bytes: number, reason: string): void;
  /** The chain's subjects, found after the first pass: keys and users beyond the reviewed key, and how many rounds of minting deep. */
  chainFound(subjects: number, rounds: number): void;
  finish(): void;
}

const quiet: LogsProgress = { passStarted() {}, read() {}, records() {}, fileDone() {}, chainFound() {}, finish() {} };

export interface LogsReview {
  /** Null when a file could not be read: then `problems` says why, and nothing is reviewed. */
  chain: Chain | null;
  problems: LogProblem[];
  conflicts: Conflict[];
  /** Log files read (digest files not counted). */
  files: number;
  /** CloudTrail digest files, which hold hashes, not events: recognised and skipped. */
  digests: number;
  /** Records read in the first pass, which reads every file. */
  records: number;
  passes: number;
  /** The accounts the files read are of, by their names as CloudTrail writes them ({@link accountOfLogFile}), sorted. */
  accounts: string[];
}

/**
 * The subjects the chain may reach, as far as the lead calls read so far tell, windows aside (so
 * never fewer than the chain reaches). Grows while the first pass reads: files read later keep
 * the events of subjects found earlier, and only files read before a subject was found are read
 * again for it.
 */
class Reach {
  readonly keys = new Set<string>();
  readonly users = new Set<string>();
  /** When each subject was found: the reach's version then. */
  readonly found = new Map<string, number>();
  version = 0;
  /** How many lead calls from the reviewed key to the deepest subject. */
  depth = 0;
  private readonly depths = new Map<string, number>();
  /** Subjects revealed by lead calls whose caller is not (yet) reached, by caller, in the order of the calls. */
  private readonly parked = new Map<string, Subject[]>();

  constructor(root: string) {
    this.join({ kind: "key", accessKeyId: root }, 0);
  }

  static id(subject: Subject): string {
    return subject.kind === "key" ? SubjectFilter.key(subject.accessKeyId) : SubjectFilter.user(subject.userName);
  }

  private join(subject: Subject, depth: number): void {
    const id = Reach.id(subject);
    if (this.found.has(id)) return;
    this.found.set(id, ++this.version);
    this.depths.set(id, depth);
    this.depth = Math.max(this.depth, depth);
    if (subject.kind === "key") this.keys.add(subject.accessKeyId);
    else this.users.add(subject.userName);
    // A list of subjects to join, not recursion: a chain can be any length.
    const waiting = this.parked.get(id) ?? [];
    this.parked.delete(id);
    for (const next of waiting) this.pending.push([next, depth + 1]);
    if (this.joining) return;
    this.joining = true;
    for (let next = this.pending.pop(); next !== undefined; next = this.pending.pop()) this.join(next[0], next[1]);
    this.joining = false;
  }

  private readonly pending: [Subject, number][] = [];
  private joining = false;

  /** A lead call: `callers` may have made it, and it reveals `reveals`. */
  leadCall(callers: readonly string[], reveals: readonly Subject[]): void {
    const reached = callers.filter((caller) => this.found.has(caller));
    if (reached.length > 0) {
      const depth = reached.reduce((least, caller) => Math.min(least, this.depths.get(caller) as number), Infinity) + 1;
      for (const subject of reveals) this.join(subject, depth);
      return;
    }
    for (const caller of callers) for (const subject of reveals) append(this.parked, caller, subject);
  }

  /** Every lead call is in: what no caller reached has revealed can no longer matter, and goes. */
  settle(): void {
    this.parked.clear();
  }
}

/** Files in the order CloudTrail wrote them (the time in their names), so that a key is found before the files that use it. */
function timeOrder(objects: readonly LogObject[]): number[] {
  const stamp = (name: string) => /_(\d{8}T\d{4}Z)_[^/\\]*$/.exec(name)?.[1] ?? "";
  return objects
    .map((object, index) => ({ index, stamp: stamp(object.name) }))
    .sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.index - b.index))
    .map((entry) => entry.index);
}

/** Reviews `root` over log objects (see the top of this file). */
export async function reviewLogObjects(
  objects: readonly LogObject[],
  root: string,
  window: Window,
  regions: readonly string[] | undefined,
  progress: LogsProgress = quiet,
  readers: LogReaders = new LogReaders(),
): Promise<LogsReview> {
  const bytes = objects.reduce((sum, object) => sum + object.size, 0);
  // Every event of every subject reached, as text, in the order of the files however they arrive.
  const kept = new EventSet((file) => objects[file].name);
  const keep = (file: number, result: FileResult) => {
    for (const event of result.kept) if (event.whole) kept.add(event, file);
    // What is kept is in the set now: the result keeps its counts, not its events.
    result.kept = [];
  };
  try {
    // Pass 1: every file, each with the subjects reached when it is opened.
    const reach = new Reach(root);
    const openedAt = new Array<number>(objects.length).fill(0);
    let rule: KeepRule | null = null;
    let ruleVersion = -1;
    progress.passStarted(1, objects.length, bytes, "the key's events, and calls that mint keys or create users");
    const first = (await readers.pass(
      objects,
      {
        order: timeOrder(objects),
        ruleFor: (file) => {
          openedAt[file] = reach.version;
          if (rule === null || ruleVersion !== reach.version) {
            rule = {
              keys: [...reach.keys],
              users: [...reach.users],
              leads: true,
              all: false,
              check: true,
              index: true,
            };
            ruleVersion = reach.version;
          }
          return rule;
        },
        onResult: (file, result) => {
          for (const event of result.kept) if (event.reveals !== null) reach.leadCall(event.callers, event.reveals);
          keep(file, result);
        },
      },
      progress,
    )) as FileResult[];
    const files = first.filter((result) => !result.digest).length;
    const accounts = new Set<string>();
    first.forEach((result, file) => {
      const account = result.digest ? null : accountOfLogFile(objects[file].name);
      if (account !== null) accounts.add(account);
    });
    const summary = {
      files,
      digests: objects.length - files,
      records: first.reduce((sum, result) => sum + result.records, 0),
      accounts: [...accounts].sort(),
    };
    const firstProblems = problemsOf(first);
    if (firstProblems.length > 0) return { chain: null, problems: firstProblems, conflicts: [], ...summary, passes: 1 };
    progress.chainFound(reach.found.size - 1, reach.depth);
    reach.settle();

    // Pass 2: the files read before a subject was reached, that may hold its events. The reach
    // now holds every lead call of the logs: no later pass can find more.
    const missed = new Map<number, { keys: string[]; users: string[]; subjects: FileSubjects }>();
    first.forEach((result, file) => {
      if (result.digest || result.subjects === null) return;
      const subjects = result.subjects;
      const filter = new SubjectFilter(subjects.bits);
      const add = (kind: "keys" | "users", name: string) => {
        const entry = missed.get(file) ?? { keys: [], users: [], subjects };
        entry[kind].push(name);
        missed.set(file, entry);
      };
      for (const key of reach.keys)
        if (
          (reach.found.get(SubjectFilter.key(key)) as number) > openedAt[file] &&
          filter.mayHold(SubjectFilter.key(key))
        )
          add("keys", key);
      for (const user of reach.users)
        if (
          (reach.found.get(SubjectFilter.user(user)) as number) > openedAt[file] &&
          (result.subjects.namelessUser || filter.mayHold(SubjectFilter.user(user)))
        )
          add("users", user);
    });
    // What the first pass noted of the files it does not reread can go.
    first.length = 0;
    let passes = 1;
    if (missed.size > 0) {
      const order = [...missed.keys()].sort((a, b) => a - b);
      const missedBytes = order.reduce((sum, file) => sum + objects[file].size, 0);
      progress.passStarted(
        2,
        order.length,
        missedBytes,
        `${order.length.toLocaleString("en-US")} files read before the keys and users they may hold were found`,
      );
      // What the first pass noted of each file lets this one read only the stretches of records that hold a name it looks for.
      const ruleFor = (file: number): KeepRule => {
        const { keys, users, subjects } = missed.get(file) as {
          keys: string[];
          users: string[];
          subjects: FileSubjects;
        };
        return { keys, users, leads: false, all: false, check: false, index: false, prefilter: subjects };
      };
      const second = await readers.pass(objects, { order, ruleFor, onResult: keep }, progress);
      passes = 2;
      // Files can change between passes (a folder still being written to): still every problem.
      const secondProblems = problemsOf(second);
      if (secondProblems.length > 0)
        return { chain: null, problems: secondProblems, conflicts: [], ...summary, passes };
    }
    await readers.close();

    // The chain, over every event of every subject it can reach: the same chain as over all events.
    const chain = await followChain(root, window, logSource(kept.events(), regions));
    const subjects = new Set(chain.leads.map((lead) => Reach.id(lead.subject)));
    return { chain, problems: [], conflicts: kept.conflicts(subjects), ...summary, passes };
  } finally {
    await readers.close();
    progress.finish();
  }
}

/**
 * Reviews `root` over the log files under `dir`; problems name files under `shownAs`. `readers` may
 * have been started by the caller; they are closed when the review returns.
 */
export async function reviewLogFolder(
  dir: string,
  shownAs: string,
  root: string,
  window: Window,
  regions: readonly string[] | undefined,
  progress?: LogsProgress,
  readers: LogReaders = new LogReaders(),
): Promise<LogsReview> {
  // The reader threads load while the folder is listed (if the caller has not started them already).
  readers.start();
  const { objects, problems } = await listLogFolder(dir, shownAs);
  if (problems.length > 0 && objects.length === 0) {
    await readers.close();
    return { chain: null, problems, conflicts: [], files: 0, digests: 0, records: 0, passes: 0, accounts: [] };
  }
  const review = await reviewLogObjects(objects, root, window, regions, progress, readers);
  if (problems.length === 0) return review;
  return {
    ...review,
    chain: null,
    problems: [...problems, ...review.problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
  };
}

export interface Logs {
  events: ReviewEvent[];
  /** Log files read (digest files not counted). */
  files: number;
  /** CloudTrail digest files, which hold hashes, not events: recognised and skipped. */
  digests: number;
  errors: LogProblem[];
  conflicts: Conflict[];
}

/**
 * Every event of every log file under `dir`, in memory: for small folders and tests. Events are
 * deduplicated as the review does (conflicting copies are all kept, marked).
 */
export async function readLogs(dir: string, shownAs: string = dir): Promise<Logs> {
  const { objects, problems } = await listLogFolder(dir, shownAs);
  if (objects.length === 0) return { events: [], files: 0, digests: 0, errors: problems, conflicts: [] };
  const readers = new LogReaders();
  try {
    const results = await readers.passAll(
      objects,
      { keys: [], users: [], leads: false, all: true, check: true, index: false },
      { read() {}, records() {}, fileDone() {} },
    );
    const events = new EventSet((file) => objects[file].name);
    const everyone = new Set<string>();
    results.forEach((result, file) => {
      for (const kept of result.kept) {
        events.add(kept, file);
        for (const caller of kept.callers) everyone.add(caller);
      }
    });
    const files = results.filter((result) => !result.digest).length;
    const errors = [...problems, ...problemsOf(results)].sort((a, b) => compareText(a.file, b.file));
    return {
      events: events.events(),
      files,
      digests: objects.length - files,
      errors,
      conflicts: events.conflicts(everyone),
    };
  } finally {
    await readers.close();
  }
}
