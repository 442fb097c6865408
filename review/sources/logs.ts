/**
 * `--from-logs DIR`: CloudTrail log files on this machine, in any folder layout, read by the
 * streaming reader (review/logs/). Every file is read, and every problem of every file listed,
 * before anything is reviewed.
 */
import { resolve } from "node:path";
import { plural } from "../render/parts.ts";
import { FlagError, refuseFiles, type ReviewSource } from "./source.ts";

export const logs: ReviewSource<{ dir: string }> = {
  name: "logs",
  selector: { flag: "from-logs", value: "DIR" },
  flags: {},
  usage: {
    synopsis: "--from-logs DIR",
    options: `  --from-logs DIR    read CloudTrail log files under DIR ({"Records": [...]} or a JSON array of events,
                     .json or .json.gz, recursively) instead of calling LookupEvents`,
  },

  parse(values) {
    const dir = values["from-logs"] as string;
    if (dir === "") throw new FlagError("--from-logs needs a folder of CloudTrail log files");
    return { dir };
  },

  async review(request, { dir }, io) {
    // Loaded when used: the log reader costs a LookupEvents review its start. The reader threads
    // start first, and load their modules while this thread loads its own.
    const { LogReaders } = await import("../logs/readers.ts");
    const readers = new LogReaders();
    readers.start();
    const [{ reviewLogFolder }, { ReadProgress }] = await Promise.all([
      import("../logs/two-passes.ts"),
      import("../logs/read-progress.ts"),
    ]).catch(async (error: unknown) => {
      // Threads left running would keep the process alive.
      await readers.close();
      throw error;
    });
    const window = { start: request.since?.getTime() ?? null, end: request.until?.getTime() ?? null };
    const read = await reviewLogFolder(
      resolve(io.cwd, dir),
      dir,
      request.accessKeyId,
      window,
      request.regions,
      new ReadProgress(io),
      readers,
    );
    if (read.chain === null) return refuseFiles(io, read.problems);
    const digests = read.digests > 0 ? ` (${read.digests} digest files skipped)` : "";
    io.err(
      `review: read ${read.files.toLocaleString("en-US")} log files · ${read.records.toLocaleString("en-US")} events${digests}\n`,
    );
    return {
      chain: read.chain,
      context: {
        source: { kind: "logs", dir, files: read.files },
        sourceSummary: `${plural(read.files, "log file")} under ${dir}`,
        notEnabled: [],
        failed: [],
        // The accounts of the files by CloudTrail's names; an export named otherwise names none.
        accountsRead: {
          accounts: read.accounts,
          toRead: (account) =>
            `no log file under ${dir} is of it, and no event read was received by it; add its log files there, or read its trail (--from-s3 or --athena with --accounts ${account})`,
        },
        conflicts: read.conflicts,
      },
    };
  },
};
