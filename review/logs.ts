/**
 * The offline review behind `--from-logs DIR`: CloudTrail log files as CloudTrail delivers them to
 * S3 (`{"Records": [...]}`, `.json` or `.json.gz`, in any folder layout), and also files holding a
 * plain JSON array of events (what Stratus Red Team and many exports write).
 *
 * Memory depends on what the review keeps, not on the size of the logs: files are streamed through
 * reader threads (review/log-pass.ts), and a record is parsed only if the review keeps it. The chain
 * is followed in two passes at most:
 *  1. the reviewed key's events, and every call that may reveal a key or a user (reduced to the
 *     few fields the chain reads); the chain's subjects are found from these alone;
 *  2. when the chain reaches beyond the reviewed key, the events of the keys and users it reached.
 * Then the chain is followed over the kept events exactly as over all of them: same findings.
 * Every file is read, and every problem of every file returned, before any review is made.
 */
import { belongsTo, followChain, leadsFrom, mayLead, type Chain, type EventSource, type Lead, type Subject, type Window } from "./chain.ts";
import type { Conflict, ReviewEvent } from "./event.ts";
import { MAX_LOG_BYTES, SubjectFilter, type FileResult, type KeepRule, type LogProblem } from "./log-file.ts";
import { listLogFolder, type LogObject } from "./log-objects.ts";
import { LogReaders, problemsOf, type PassProgress } from "./log-pass.ts";

export { MAX_LOG_BYTES, type Conflict, type LogProblem };


/**
 * Events by id, as they are read: the same event delivered twice (CloudTrail does that) is kept
 * once; different events under one id are all kept, each marked with where it was read.
 */
class EventSet {
  private readonly byId = new Map<string, { event: ReviewEvent; file: string; record: number }[]>();

  add(event: ReviewEvent, file: string, record: number): void {
    const copies = this.byId.get(event.eventId);
    if (copies === undefined) {
      this.byId.set(event.eventId, [{ event, file, record }]);
      return;
    }
    const body = JSON.stringify(event);
    if (copies.some((copy) => JSON.stringify(copy.event) === body)) return;
    copies.push({ event, file, record });
  }

  addAll(files: readonly LogObject[], results: readonly FileResult[], whole: boolean): void {
    results.forEach((result, index) => {
      for (const kept of result.kept) if (kept.whole === whole) this.add(kept.event, files[index].name, kept.record);
    });
  }

  events(): ReviewEvent[] {
    const events: ReviewEvent[] = [];
    for (const copies of this.byId.values()) {
      if (copies.length === 1) events.push(copies[0].event);
      else for (const { event, file, record } of copies) events.push({ ...event, conflict: { file, record } });
    }
    return events;
  }

  conflicts(): Conflict[] {
    const conflicts: Conflict[] = [];
    for (const [eventId, copies] of this.byId) if (copies.length > 1) conflicts.push({ eventId, files: copies.map((copy) => copy.file).sort() });
    return conflicts.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  }
}

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
        return belongsTo(subject, event) && (window.start === null || at >= window.start) && (window.end === null || at <= window.end);
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
}

/** How many calls deep the chain goes: 1 when the reviewed key minted keys that minted none. */
function roundsOf(leads: readonly Lead[]): number {
  const depth = new Map<string, number>();
  let deepest = 0;
  // Leads come in time order, so a key's parent comes before it.
  for (const lead of leads) {
    const own = lead.parent === null ? 0 : (depth.get(lead.parent) ?? 0) + 1;
    // Parents are named as callers are: a key, or `user:NAME` for a user's console session.
    depth.set(lead.subject.kind === "key" ? lead.subject.accessKeyId : `user:${lead.subject.userName}`, own);
    deepest = Math.max(deepest, own);
  }
  return deepest;
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
  /** Lead calls whose caller is not (yet) reached, by caller. */
  private readonly parked = new Map<string, ReviewEvent[]>();

  constructor(root: string) {
    this.join({ kind: "key", accessKeyId: root });
  }

  static id(subject: Subject): string {
    return subject.kind === "key" ? SubjectFilter.key(subject.accessKeyId) : SubjectFilter.user(subject.userName);
  }

  /** The callers a lead call can be followed from: its key, and the IAM user who made it. */
  private static callers(event: ReviewEvent): string[] {
    const callers: string[] = [];
    if (event.accessKeyId !== null) callers.push(SubjectFilter.key(event.accessKeyId));
    if (event.identityType === "IAMUser" && event.userName !== null) callers.push(SubjectFilter.user(event.userName));
    return callers;
  }

  private join(subject: Subject): void {
    const id = Reach.id(subject);
    if (this.found.has(id)) return;
    this.found.set(id, ++this.version);
    if (subject.kind === "key") this.keys.add(subject.accessKeyId);
    else this.users.add(subject.userName);
    const waiting = this.parked.get(id) ?? [];
    this.parked.delete(id);
    for (const event of waiting) this.leadCall(event);
  }

  leadCall(event: ReviewEvent): void {
    const callers = Reach.callers(event);
    if (callers.some((caller) => this.found.has(caller))) {
      for (const lead of leadsFrom(event, null)) this.join(lead.subject);
      return;
    }
    for (const caller of callers) append(this.parked, caller, event);
  }
}

/** Files in the order CloudTrail wrote them (the time in their names), so that a key is found before the files that use it. */
function timeOrder(objects: readonly LogObject[]): number[] {
  const stamp = (name: string) => /_(\d{8}T\d{4}Z)_[^/\\]*$/.exec(name)?.[1] ?? "";
  return objects.map((object, index) => ({ index, stamp: stamp(object.name) })).sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.index - b.index)).map((entry) => entry.index);
}

/** Reviews `root` over log objects (see the top of this file). */
export async function reviewLogObjects(objects: readonly LogObject[], root: string, window: Window, regions: readonly string[] | undefined, progress: LogsProgress = quiet): Promise<LogsReview> {
  const readers = new LogReaders();
  const bytes = objects.reduce((sum, object) => sum + object.size, 0);
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
            rule = { keys: [...reach.keys], users: [...reach.users], skipKeys: [], leads: true, all: false, check: true, index: true };
            ruleVersion = reach.version;
          }
          return rule;
        },
        onResult: (_file, result) => {
          for (const kept of result.kept) if (mayLead(kept.event)) reach.leadCall(kept.event);
        },
      },
      progress,
    )) as FileResult[];
    const files = first.filter((result) => !result.digest).length;
    const summary = { files, digests: objects.length - files, records: first.reduce((sum, result) => sum + result.records, 0) };
    const firstProblems = problemsOf(first);
    if (firstProblems.length > 0) return { chain: null, problems: firstProblems, conflicts: [], ...summary, passes: 1 };

    // The chain's subjects, followed over the lead calls and the events read so far.
    const forChain = new EventSet();
    forChain.addAll(objects, first, true);
    forChain.addAll(objects, first, false);
    const subjects = new Map<string, Subject>();
    const inner = logSource(forChain.events(), regions);
    const found = await followChain(root, window, (subject, piece, deliver) => {
      subjects.set(Reach.id(subject), subject);
      return inner(subject, piece, deliver);
    });
    progress.chainFound(subjects.size - 1, roundsOf(found.leads));

    // Pass 2: the files read before one of the chain's subjects was found, that may hold its events.
    const missed = new Map<number, { keys: string[]; users: string[] }>();
    first.forEach((result, file) => {
      if (result.digest || result.subjects === null) return;
      const filter = new SubjectFilter(result.subjects.bits);
      for (const [id, subject] of subjects) {
        if ((reach.found.get(id) ?? Infinity) <= openedAt[file]) continue;
        const may = subject.kind === "key" ? filter.mayHold(id) : result.subjects.namelessUser || filter.mayHold(id);
        if (!may) continue;
        const entry = missed.get(file) ?? { keys: [], users: [] };
        if (subject.kind === "key") entry.keys.push(subject.accessKeyId);
        else entry.users.push(subject.userName);
        missed.set(file, entry);
      }
    });
    const results: (FileResult | undefined)[][] = [first];
    if (missed.size > 0) {
      const order = [...missed.keys()].sort((a, b) => a - b);
      const missedBytes = order.reduce((sum, file) => sum + objects[file].size, 0);
      progress.passStarted(2, order.length, missedBytes, `${order.length.toLocaleString("en-US")} files read before the keys and users they may hold were found`);
      const second = await readers.pass(objects, { order, ruleFor: (file) => ({ ...(missed.get(file) as { keys: string[]; users: string[] }), skipKeys: [], leads: false, all: false, check: false, index: false }) }, progress);
      // Files can change between passes (a folder still being written to): still every problem.
      const secondProblems = problemsOf(second);
      if (secondProblems.length > 0) return { chain: null, problems: secondProblems, conflicts: [], ...summary, passes: 2 };
      results.push(second);
    }

    // The chain again, over the events of its subjects: the same chain, now with every event.
    const kept = new EventSet();
    const wanted = new Map<string, Subject[]>();
    for (const subject of subjects.values()) append(wanted, subject.kind === "key" ? subject.accessKeyId : `user:${subject.userName}`, subject);
    const isWanted = (event: ReviewEvent) =>
      (event.accessKeyId !== null && wanted.has(event.accessKeyId)) || (event.userName !== null && (wanted.get(`user:${event.userName}`) ?? []).some((subject) => belongsTo(subject, event)));
    for (const pass of results) {
      pass.forEach((result, file) => {
        for (const { event, record, whole } of result?.kept ?? []) if (whole && isWanted(event)) kept.add(event, objects[file].name, record);
      });
    }
    const chain = await followChain(root, window, logSource(kept.events(), regions));
    return { chain, problems: [], conflicts: kept.conflicts(), ...summary, passes: results.length };
  } finally {
    await readers.close();
    progress.finish();
  }
}

/** Reviews `root` over the log files under `dir`; problems name files under `shownAs`. */
export async function reviewLogFolder(dir: string, shownAs: string, root: string, window: Window, regions: readonly string[] | undefined, progress?: LogsProgress): Promise<LogsReview> {
  const { objects, problems } = await listLogFolder(dir, shownAs);
  if (problems.length > 0 && objects.length === 0) return { chain: null, problems, conflicts: [], files: 0, digests: 0, records: 0, passes: 0 };
  const review = await reviewLogObjects(objects, root, window, regions, progress);
  if (problems.length === 0) return review;
  return { ...review, chain: null, problems: [...problems, ...review.problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)) };
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
    const results = await readers.passAll(objects, { keys: [], users: [], skipKeys: [], leads: false, all: true, check: true, index: false }, { read() {}, records() {}, fileDone() {} });
    const events = new EventSet();
    events.addAll(objects, results, true);
    const files = results.filter((result) => !result.digest).length;
    const errors = [...problems, ...problemsOf(results)].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    return { events: events.events(), files, digests: objects.length - files, errors, conflicts: events.conflicts() };
  } finally {
    await readers.close();
  }
}
