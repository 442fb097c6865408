/**
 * Where CloudTrail puts a trail's files in S3, and what the review asks of that layout: the one
 * home of the folder scheme that `--from-s3` lists, `--athena` queries (its partitions) and
 * `athena-table` declares (its storage template).
 *
 *   BUCKET/[PREFIX/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE.json.gz
 *
 * Days are those the files were *delivered* on (UTC): a file delivered just after midnight holds
 * events of the day before, so a review reads one day past its end.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html
 *
 * Pure: no SDK, no clock. Account ids are incident/fields.ts's, region names core/regions.ts's.
 */

/** An organization id, as in an organization trail's folder: `o-` and 10 to 32 lowercase letters or digits. */
export const ORG_ID = /^o-[a-z0-9]{10,32}$/;
/**
 * An S3 bucket name (general purpose buckets): 3 to 63 lowercase letters, digits, dots and hyphens.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** How far past the review's end files can hold its events: CloudTrail delivers within minutes; a day covers it. */
export const DELIVERY_LAG_DAYS = 1;

const DAY_MS = 86_400_000;

/** An `s3://BUCKET/PREFIX` location, the prefix without slashes at either end. */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/** Parses `s3://BUCKET[/PREFIX]`; a message saying what is wrong otherwise. */
export function parseS3Url(value: string): S3Location | string {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(value);
  if (match === null) return `"${value}" is not an S3 location; expected s3://BUCKET or s3://BUCKET/PREFIX`;
  const [, bucket, rest = ""] = match;
  if (!BUCKET_NAME.test(bucket) || bucket.includes(".."))
    return `"${bucket}" is not an S3 bucket name; expected 3 to 63 lowercase letters, digits, dots and hyphens`;
  const prefix = rest.replace(/^\/+|\/+$/g, "");
  // A key is any text, but one that cannot be a folder (control characters) is a typo or worse.
  if (/[\u0000-\u001f\u007f]/.test(prefix))
    return `the prefix of "${value}" holds control characters; expected a folder of the bucket`;
  return { bucket, prefix };
}

/** `PREFIX/AWSLogs/`, or `AWSLogs/` for a trail at the bucket's root. */
export function awsLogsFolder(prefix: string): string {
  return `${prefix === "" ? "" : `${prefix}/`}AWSLogs/`;
}

/** The folder of one account's files in one region: `…/AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/`. */
export function regionFolder(prefix: string, org: string | null, account: string, region: string): string {
  return `${awsLogsFolder(prefix)}${org === null ? "" : `${org}/`}${account}/CloudTrail/${region}/`;
}

/** A UTC day as CloudTrail's folders write it: `2026/11/29`. */
export function dayFolder(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10).replace(/-/g, "/");
}

/** The delivery days a review of [start, end] reads: start's day through the day after end's. */
export function deliveryDays(start: number, end: number): { first: string; last: string } {
  return { first: dayFolder(start), last: dayFolder(end + DELIVERY_LAG_DAYS * DAY_MS) };
}

/** The day of a key under a region folder (`2026/11/29/…` → `2026/11/29`), or null. */
export function dayOfKey(folder: string, key: string): string | null {
  if (!key.startsWith(folder)) return null;
  const day = /^(\d{4}\/\d{2}\/\d{2})\//.exec(key.slice(folder.length));
  return day === null ? null : day[1];
}
