/**
 * Where log files come from. The reader takes a list of {@link LogObject}s, each a name, a size and
 * a way to open its bytes; a folder on disk is one source of them (`--from-logs`), and objects
 * streamed from S3 can be another, read the same way.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { LogProblem } from "./log-file.ts";

/** One log file, wherever it is. */
export interface LogObject {
  /** How problems and reports name it: a path under the folder as the user named it, or a URL. */
  name: string;
  /** Bytes as stored (compressed, for gzip): what progress counts. */
  size: number;
  /** Whether its bytes are gzip (a `.gz` name). */
  gzip: boolean;
  /** Its bytes from the start, in chunks; called once for each pass that reads it. */
  open(): AsyncIterable<Uint8Array>;
  /** A file on this machine: the reader threads read it themselves, and nothing crosses threads. */
  path?: string;
}

/** The files a review reads: CloudTrail's `.json.gz`, and `.json`. */
export const LOG_FILE = /\.json(\.gz)?$/i;

/**
 * The account a log file is of, as CloudTrail names it (`ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_…`)
 * or files it (`AWSLogs/[o-…/]ACCOUNT/CloudTrail/…`); null for a file named otherwise (an export).
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html
 */
export function accountOfLogFile(name: string): string | null {
  return (
    /(?:^|[/\\])(\d{12})_CloudTrail_[a-z0-9-]+_\d{8}T\d{4}Z_[^/\\]*$/.exec(name)?.[1] ??
    /(?:^|[/\\])AWSLogs[/\\](?:o-[a-z0-9]+[/\\])?(\d{12})[/\\]CloudTrail[/\\]/.exec(name)?.[1] ??
    null
  );
}

/** Files whose size is asked for at once, listing a folder. */
const STATS_AT_ONCE = 32;

/** Chunks of a megabyte: few messages to the reader threads, little memory in flight. */
export const READ_CHUNK = 1024 * 1024;

/** A file on disk as a {@link LogObject}. */
export function fileObject(path: string, name: string, size: number): LogObject {
  return {
    name,
    size,
    gzip: path.toLowerCase().endsWith(".gz"),
    open: () => createReadStream(path, { highWaterMark: READ_CHUNK }),
    path,
  };
}

/**
 * Every log file under `dir`, recursively, sorted by path; names are shown under `shownAs`, the
 * folder as the user named it. A folder that cannot be listed is a problem, and the others are
 * still listed. The walk keeps a list of folders to visit, not a call stack: any depth, any count.
 */
export async function listLogFolder(
  dir: string,
  shownAs: string = dir,
): Promise<{ objects: LogObject[]; problems: LogProblem[] }> {
  const problem = (file: string, message: string): LogProblem => ({
    file,
    line: 1,
    col: 1,
    code: "E_LOG_DIR",
    message,
  });
  try {
    if (!(await stat(dir)).isDirectory())
      return {
        objects: [],
        problems: [problem(shownAs, "--from-logs: not a directory; expected a folder of CloudTrail log files")],
      };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such directory" : code === "ENOTDIR" ? "not a directory" : (error as Error).message;
    return {
      objects: [],
      problems: [problem(shownAs, `--from-logs: ${why}; expected a folder of CloudTrail log files`)],
    };
  }
  const paths: string[] = [];
  const problems: LogProblem[] = [];
  const folders = [dir];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    try {
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) folders.push(path);
        else if (entry.isFile() && LOG_FILE.test(entry.name)) paths.push(path);
      }
    } catch (error) {
      problems.push(
        problem(join(shownAs, relative(dir, folder)), `cannot read the folder: ${(error as Error).message}`),
      );
    }
  }
  paths.sort();
  if (paths.length === 0 && problems.length === 0) {
    return {
      objects: [],
      problems: [
        problem(
          shownAs,
          "--from-logs: no .json or .json.gz files in this folder or below; expected CloudTrail log files",
        ),
      ],
    };
  }
  // Their sizes, many at a time: one after the other, 800 files took 60 ms before any was read.
  const sizes = new Array<number | Error>(paths.length);
  let next = 0;
  const sizeEach = async () => {
    for (let i = next++; i < paths.length; i = next++) {
      try {
        sizes[i] = (await stat(paths[i])).size;
      } catch (error) {
        sizes[i] = error as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(STATS_AT_ONCE, paths.length) }, sizeEach));
  const objects: LogObject[] = [];
  paths.forEach((path, i) => {
    const name = join(shownAs, relative(dir, path));
    const size = sizes[i];
    if (typeof size === "number") objects.push(fileObject(path, name, size));
    else
      problems.push({
        file: name,
        line: 1,
        col: 1,
        code: "E_LOG_READ",
        message: `cannot read the file: ${size.message}`,
      });
  });
  return { objects, problems };
}
