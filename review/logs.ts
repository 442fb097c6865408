/**
 * The offline reader behind `--from-logs DIR`: CloudTrail log files as CloudTrail delivers them to
 * S3 (`{"Records": [...]}`, `.json` or `.json.gz`, in any folder layout), and also files holding a
 * plain JSON array of events (what Stratus Red Team and many exports write). Every file is read and
 * every problem of every file is returned, before any review is made from them.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { gunzip } from "node:zlib";
import { promisify } from "node:util";
import { fromRecord, type ReviewEvent } from "./event.ts";
import { belongsTo, type EventSource } from "./chain.ts";

const gunzipAsync = promisify(gunzip);

/**
 * What one log file may expand to. CloudTrail's files are far smaller; a few kilobytes of gzip can
 * expand to gigabytes, and would take the whole review down instead of failing one file.
 */
export const MAX_LOG_BYTES = 256 * 1024 * 1024;

/** One problem in one log file, in cordon's `FILE:LINE:COL CODE message` shape. */
export interface LogProblem {
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
}

export interface Logs {
  events: ReviewEvent[];
  /** Log files read (digest files not counted). */
  files: number;
  /** CloudTrail digest files, which hold hashes, not events: recognised and skipped. */
  digests: number;
  errors: LogProblem[];
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path)));
    else if (entry.isFile() && /\.json(\.gz)?$/i.test(entry.name)) found.push(path);
  }
  return found;
}

/** Line and column (1-based) of a character offset. */
function position(textContent: string, offset: number): { line: number; col: number } {
  const before = textContent.slice(0, offset);
  const line = before.split("\n").length;
  return { line, col: offset - before.lastIndexOf("\n") };
}

function parseError(textContent: string, error: Error): { line: number; col: number; message: string } {
  const at = /at position (\d+)/.exec(error.message);
  const offset = at ? Number(at[1]) : /end of JSON input/.test(error.message) ? textContent.length : 0;
  // V8 quotes a piece of the file in some messages; a log file can hold secrets, so it goes.
  const message = error.message
    .replace(/, ".*" is not valid JSON$/s, "")
    .replace(/ in JSON at position \d+.*$/s, "")
    .replace(/ at position \d+.*$/s, "");
  return { ...position(textContent, offset), message };
}

/** Reads one file; returns its events or its problems. */
async function readLog(path: string, shownAs: string): Promise<{ events: ReviewEvent[]; digest: boolean; errors: LogProblem[] }> {
  const problem = (line: number, col: number, code: string, message: string) => ({ events: [], digest: false, errors: [{ file: shownAs, line, col, code, message }] });
  let content: string;
  try {
    const bytes = await readFile(path);
    content = (path.toLowerCase().endsWith(".gz") ? await gunzipAsync(bytes, { maxOutputLength: MAX_LOG_BYTES }) : bytes).toString("utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      return problem(1, 1, "E_LOG_READ", `the file expands to more than ${MAX_LOG_BYTES / 1024 / 1024} MiB, expected a CloudTrail log file (a few MiB at most)`);
    }
    return problem(1, 1, "E_LOG_READ", `cannot read the file: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch (error) {
    const { line, col, message } = parseError(content, error as Error);
    return problem(line, col, "E_LOG_JSON", `not valid JSON: ${message}; expected a CloudTrail log file`);
  }
  if (typeof document === "object" && document !== null && !Array.isArray(document) && "digestStartTime" in document) return { events: [], digest: true, errors: [] };
  const records = Array.isArray(document) ? document : typeof document === "object" && document !== null && Array.isArray((document as { Records?: unknown }).Records) ? (document as { Records: unknown[] }).Records : null;
  if (records === null) {
    const found = Array.isArray(document) ? "an array" : typeof document === "object" && document !== null ? `an object with fields ${Object.keys(document).slice(0, 5).join(", ") || "(none)"}` : `a JSON ${typeof document}`;
    return problem(1, 1, "E_LOG_SHAPE", `found ${found}; expected a CloudTrail log file, {"Records": [...]}, or a JSON array of CloudTrail events`);
  }
  const events: ReviewEvent[] = [];
  const errors: LogProblem[] = [];
  records.forEach((record, index) => {
    const event = fromRecord(record);
    if (typeof event === "string") errors.push({ file: shownAs, line: 1, col: 1, code: "E_LOG_EVENT", message: `record ${index}: ${event}` });
    else events.push(event);
  });
  return { events, digest: false, errors };
}

/**
 * Every event of every log file under `dir`, recursively, deduplicated by event id (CloudTrail can
 * deliver an event twice). Errors name files under `shownAs`, the folder as the user named it.
 */
export async function readLogs(dir: string, shownAs: string = dir): Promise<Logs> {
  let paths: string[];
  try {
    paths = (await walk(dir)).sort();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT" ? "no such directory" : code === "ENOTDIR" ? "not a directory" : (error as Error).message;
    return { events: [], files: 0, digests: 0, errors: [{ file: shownAs, line: 1, col: 1, code: "E_LOG_DIR", message: `--from-logs: ${why}; expected a folder of CloudTrail log files` }] };
  }
  if (paths.length === 0) {
    return { events: [], files: 0, digests: 0, errors: [{ file: shownAs, line: 1, col: 1, code: "E_LOG_DIR", message: "--from-logs: no .json or .json.gz files in this folder or below; expected CloudTrail log files" }] };
  }
  // A few files at a time: fast on many small files, bounded in memory and open descriptors.
  const results: Awaited<ReturnType<typeof readLog>>[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const index = next++;
      results[index] = await readLog(paths[index], join(shownAs, relative(dir, paths[index])));
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, paths.length) }, worker));

  const events = new Map<string, ReviewEvent>();
  const errors: LogProblem[] = [];
  let digests = 0;
  for (const result of results) {
    if (result.digest) digests += 1;
    errors.push(...result.errors);
    for (const event of result.events) if (!events.has(event.eventId)) events.set(event.eventId, event);
  }
  return { events: [...events.values()], files: paths.length - digests, digests, errors };
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
