/**
 * `--from-s3 s3://BUCKET/PREFIX`: a trail's log files where CloudTrail delivers them, only the days
 * of the window and the accounts and regions asked for (review/trail/listing.ts), read by the same
 * streaming reader as `--from-logs`.
 *
 * Whoever can write to the bucket can plant an object no one can read (another account's KMS key,
 * a broken gzip): a folder that cannot be listed, or an object that cannot be fetched or read, is
 * listed in the review as unread, and the review goes on with the others (exit 2, INCOMPLETE).
 * The reader stops at a file it cannot read, so the others are read again without it.
 */
import { formatDiagnostic } from "../../incident/diagnostics.ts";
import { displayValue } from "../../incident/display.ts";
import type { S3Like } from "../../aws/s3-logs.ts";
import type { S3Location } from "../trail/layout.ts";
import type { LogProblem } from "../logs/log-file.ts";
import type { LogObject } from "../logs/log-objects.ts";
import { count, plural } from "../render/parts.ts";
import { accountsFlag, needSince, refuseFiles, s3Flag, type ReviewSource } from "./source.ts";

export interface S3Options {
  location: S3Location;
  accounts?: readonly string[];
  since: Date;
}

export const s3: ReviewSource<S3Options, { client?: S3Like }> = {
  name: "s3",
  selector: { flag: "from-s3", value: "URL" },
  flags: { accounts: { type: "string" } },
  usage: {
    synopsis: "--from-s3 s3://BUCKET/PREFIX [--accounts LIST]",
    options: `  --from-s3 URL      read a trail's log files in S3 where CloudTrail delivers them
                     (URL/AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/), only the days of
                     --since (required) to --until and the accounts and regions asked for
  --accounts LIST    account ids separated by commas (--from-s3: default all in the bucket)`,
  },

  parse(values, request) {
    const accounts = accountsFlag(values.accounts as string | undefined);
    const since = needSince("from-s3", request);
    return { location: s3Flag("from-s3", values["from-s3"] as string), accounts, since };
  },

  async review(request, { location, accounts, since }, io, dependencies) {
    // Loaded when used: the S3 client and the log reader cost a LookupEvents review its start.
    const [
      { sdkS3Client },
      { signingRegion },
      { listTrail },
      { reviewLogObjects },
      { ReadProgress },
      { LogReaders },
      { readWindow },
    ] = await Promise.all([
      import("../../aws/s3-logs.ts"),
      import("../../aws/clients.ts"),
      import("../trail/listing.ts"),
      import("../logs/two-passes.ts"),
      import("../logs/read-progress.ts"),
      import("../logs/readers.ts"),
      import("../core/chain.ts"),
    ]);
    // The reader threads load while the bucket is listed.
    const readers = new LogReaders();
    readers.start();
    const window = { start: since.getTime(), end: (request.until ?? io.now()).getTime() };
    const shown = `s3://${location.bucket}${location.prefix === "" ? "" : `/${location.prefix}`}`;
    // The listing of a large trail takes a while: its progress is drawn as the read's is.
    const progress = new ReadProgress(io);
    // The days from the chain's lookback on: a session minted before --since is found by the call that minted it.
    const listing = await listTrail(
      dependencies.client ?? sdkS3Client(signingRegion(io.env)),
      {
        location,
        accounts,
        regions: request.regions,
        start: readWindow(window).start ?? window.start,
        end: window.end,
      },
      { progress },
    );
    progress.listed();
    for (const problem of listing.problems) io.err(`${displayValue(formatDiagnostic(problem))}\n`);
    // Nothing to read, and something could not be: the review would be of nothing. A folder
    // that --accounts or --regions names and the bucket lacks is an unread part of a review of
    // the others, even when they hold no file in the window.
    const listFailed = listing.problems.some((problem) => problem.code === "E_S3_LIST");
    if (listing.folders === 0 || (listing.objects.length === 0 && listFailed)) {
      io.err(
        `cordon review: ${listFailed ? "could not list the trail's folders" : "no trail files to read"} in ${displayValue(shown)}; nothing reviewed\n`,
      );
      await readers.close();
      return { chain: null, exit: listFailed ? 2 : 1 };
    }
    // Folders that could not be listed, or are not there: unread, and the review goes on with the others.
    const unreadable = unreadParts(listing.problems);
    io.err(
      `review: ${count(listing.objects.length)} log files in ${count(listing.folders)} account and region ${listing.folders === 1 ? "folder" : "folders"} of ${displayValue(shown)} (${count(listing.requests)} listings)\n`,
    );
    let objects: readonly LogObject[] = listing.objects;
    let read = await reviewLogObjects(objects, request.accessKeyId, window, request.regions, progress, readers);
    // Each round leaves out the files that could not be read; every round reads fewer, so it ends.
    while (read.chain === null) {
      const broken = new Set(read.problems.map((problem) => problem.file));
      const others = objects.filter((object) => !broken.has(object.name));
      if (others.length === 0 || others.length === objects.length) return refuseFiles(io, read.problems);
      for (const problem of read.problems) io.err(`${displayValue(formatDiagnostic(problem))}\n`);
      for (const part of unreadParts(read.problems)) unreadable.push(part);
      io.err(
        `review: ${plural(broken.size, "log file")} could not be read (listed in the review); reading the ${count(others.length)} others again without ${broken.size === 1 ? "it" : "them"}\n`,
      );
      objects = others;
      const again = new LogReaders();
      again.start();
      read = await reviewLogObjects(objects, request.accessKeyId, window, request.regions, new ReadProgress(io), again);
    }
    io.err(`review: read ${count(read.files)} log files · ${count(read.records)} events\n`);
    return {
      chain: read.chain,
      context: {
        source: { kind: "s3", url: shown, files: read.files },
        sourceSummary: `${plural(read.files, "log file")} in ${shown}`,
        notEnabled: [],
        failed: [],
        unreadable,
        // The accounts whose folders were listed, and those the files read are of.
        accountsRead: {
          accounts: [...new Set([...listing.accounts, ...read.accounts])].sort(),
          toRead: (account) => {
            const missing = listing.missing.find((entry) => entry.account === account);
            if (accounts === undefined || missing !== undefined)
              return `${shown} holds no CloudTrail folder of ${accounts === undefined ? "it" : `account ${account}`}${missing?.regions == null ? "" : ` in ${missing.regions.join(", ")}`}; read the trail that logs it (--from-s3 with its bucket, or --athena with --accounts ${account})`;
            if (accounts.includes(account))
              return `its folders in ${shown} could not be listed (an unread part of this review); review again once they can be`;
            return `not in --accounts; review again with --accounts ${[...accounts, account].sort().join(",")}, if its trail delivers to ${shown}`;
          },
        },
        conflicts: read.conflicts,
      },
    };
  },
};

/** One entry per file or folder of the problems: its first problem, and how many more it has. */
function unreadParts(problems: readonly LogProblem[]): { part: string; reason: string }[] {
  const byFile = new Map<string, LogProblem[]>();
  for (const problem of problems) byFile.set(problem.file, [...(byFile.get(problem.file) ?? []), problem]);
  return [...byFile].map(([part, [first, ...rest]]) => ({
    part,
    reason: `${first.code} ${first.message}${rest.length > 0 ? ` (and ${plural(rest.length, "more problem")})` : ""}`,
  }));
}
