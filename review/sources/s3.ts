/**
 * `--from-s3 s3://BUCKET/PREFIX`: a trail's log files where CloudTrail delivers them, only the days
 * of the window and the accounts and regions asked for (review/trail/listing.ts), read by the same
 * streaming reader as `--from-logs`.
 */
import { formatDiagnostic } from "../../incident/diagnostics.ts";
import { displayValue } from "../../incident/display.ts";
import type { S3Like } from "../../aws/s3-logs.ts";
import type { S3Location } from "../trail/layout.ts";
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
    const [{ sdkS3Client }, { signingRegion }, { listTrail }, { reviewLogObjects }, { ReadProgress }, { LogReaders }] = await Promise.all([
      import("../../aws/s3-logs.ts"),
      import("../../aws/clients.ts"),
      import("../trail/listing.ts"),
      import("../logs/two-passes.ts"),
      import("../logs/read-progress.ts"),
      import("../logs/readers.ts"),
    ]);
    // The reader threads load while the bucket is listed.
    const readers = new LogReaders();
    readers.start();
    const window = { start: since.getTime(), end: (request.until ?? io.now()).getTime() };
    const shown = `s3://${location.bucket}${location.prefix === "" ? "" : `/${location.prefix}`}`;
    const listing = await listTrail(dependencies.client ?? sdkS3Client(signingRegion(io.env)), { location, accounts, regions: request.regions, ...window });
    if (listing.problems.length > 0) {
      for (const problem of listing.problems) io.err(`${displayValue(formatDiagnostic(problem))}\n`);
      const listFailed = listing.problems.some((problem) => problem.code === "E_S3_LIST");
      io.err(`cordon review: ${listFailed ? "could not list the trail's folders" : "no trail files to read"} in ${displayValue(shown)}; nothing reviewed\n`);
      await readers.close();
      return { chain: null, exit: listFailed ? 2 : 1 };
    }
    io.err(`review: ${count(listing.objects.length)} log files in ${count(listing.folders)} account and region ${listing.folders === 1 ? "folder" : "folders"} of ${displayValue(shown)} (${count(listing.requests)} listings)\n`);
    const read = await reviewLogObjects(listing.objects, request.accessKeyId, window, request.regions, new ReadProgress(io), readers);
    if (read.chain === null) return refuseFiles(io, read.problems);
    io.err(`review: read ${count(read.files)} log files · ${count(read.records)} events\n`);
    return {
      chain: read.chain,
      context: { source: { kind: "s3", url: shown, files: read.files }, sourceSummary: `${plural(read.files, "log file")} in ${shown}`, notEnabled: [], failed: [], conflicts: read.conflicts },
    };
  },
};
