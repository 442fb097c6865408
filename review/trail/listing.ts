/**
 * `review --from-s3 s3://BUCKET/PREFIX`: which of a trail's log files the review reads, as
 * {@link LogObject}s for the same streaming reader `--from-logs` uses (review/logs/).
 *
 * Only what the review can need is listed: the accounts asked for (else those the bucket holds),
 * the regions each account's folder holds (one listing per account), those asked for among them,
 * and in each account's region folder only the delivery days of the window, found
 * with one listing that starts at the first day (StartAfter) and stops past the last, never a walk
 * of the whole trail. Objects are fetched a few at a time ahead of the reader threads, within a
 * memory budget, and streamed when they are large. aws/s3-logs.ts makes the calls.
 */
import { describeError } from "../../aws/errors.ts";
import { listPage, objectBytes, type S3Like } from "../../aws/s3-logs.ts";
import { ACCOUNT_ID } from "../../incident/fields.ts";
import { LOG_FILE, type LogObject } from "../logs/log-objects.ts";
import type { LogProblem } from "../logs/log-file.ts";
import type { ListingProgress } from "../logs/read-progress.ts";
import { awsLogsFolder, dayOfKey, deliveryDays, ORG_ID, regionFolder, type S3Location } from "./layout.ts";

export interface TrailScope {
  location: S3Location;
  /** @default every account folder the bucket holds */
  accounts?: readonly string[];
  /** @default every region folder each account holds */
  regions?: readonly string[];
  /** The review's window, epoch ms: the delivery days listed are start's day through the day after end's. */
  start: number;
  end: number;
}

export interface S3FetchOptions {
  /** Requests to S3 at once, listings and fetches ahead of the readers alike. @default 8 */
  concurrency?: number;
  /** Bytes fetched ahead of the readers, at most. @default 64 MiB */
  aheadBytes?: number;
  /** Objects larger than this are streamed when read, never fetched ahead. @default 8 MiB */
  aheadObjectBytes?: number;
  /** Told after each listing: a large trail takes a while to list, and silence looks like a hang. */
  progress?: { listing(progress: ListingProgress): void };
}

export interface TrailListing {
  /** In the order CloudTrail wrote them (the time in their names), then by key. */
  objects: LogObject[];
  /** Folders that could not be listed, or that --accounts and --regions name and the bucket does not hold: the review misses their files. */
  problems: LogProblem[];
  /** Region folders listed (one per account and region). */
  folders: number;
  /** The accounts of the region folders listed, sorted: those whose files the review read (or found none of in its days). */
  accounts: string[];
  /** ListObjectsV2 requests made. */
  requests: number;
  /**
   * Accounts named by --accounts that the bucket holds no CloudTrail folder of (`regions` null),
   * and accounts (named or found) that hold no folder of some regions named by --regions (those
   * regions): not read, and each folder an E_S3_NO_FOLDER problem too.
   */
  missing: { account: string; regions: string[] | null }[];
}

const MIB = 1024 * 1024;

/** Runs `tasks` with at most `limit` running at once; results in the tasks' order. */
async function bounded<T>(limit: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]();
      }
    }),
  );
  return results;
}

const stamp = (key: string) => /_(\d{8}T\d{4}Z)_[^/]*$/.exec(key)?.[1] ?? "";

/**
 * The trail's log files within `scope`, each a {@link LogObject} whose bytes come from S3. A folder
 * that cannot be listed is a problem; the others are still listed.
 */
export async function listTrail(
  client: S3Like,
  scope: TrailScope,
  options: S3FetchOptions = {},
): Promise<TrailListing> {
  const { bucket, prefix } = scope.location;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const url = (key: string) => `s3://${bucket}/${key}`;
  const problems: LogProblem[] = [];
  let requests = 0;
  const problem = (key: string, error: unknown) =>
    problems.push({
      file: url(key),
      line: 1,
      col: 1,
      code: "E_S3_LIST",
      message: `cannot list the folder: ${describeError(error)}`,
    });

  /** The sub-folders of a folder (one level, names without slashes), or null if it cannot be listed. */
  const subfolders = async (folder: string): Promise<string[] | null> => {
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        requests++;
        const page = await listPage(client, { bucket, prefix: folder, delimiter: "/", token });
        for (const name of page.folders) names.push(name.slice(folder.length).replace(/\/$/, ""));
        token = page.next;
      } while (token !== undefined);
    } catch (error) {
      problem(folder, error);
      return null;
    }
    return names;
  };

  // AWSLogs/ holds account folders, or organization folders that hold them (an organization trail).
  const logs = awsLogsFolder(prefix);
  const top = await subfolders(logs);
  if (top === null) return { objects: [], problems, folders: 0, requests, accounts: [], missing: [] };
  const orgs = top.filter((name) => ORG_ID.test(name));
  const containers: (string | null)[] = [
    ...orgs,
    ...(top.some((name) => ACCOUNT_ID.test(name)) || orgs.length === 0 ? [null] : []),
  ];
  const accountFolders = (
    await bounded(
      concurrency,
      containers.map((org) => async () => {
        const accounts = scope.accounts ?? (org === null ? top : ((await subfolders(`${logs}${org}/`)) ?? []));
        return accounts.filter((account) => ACCOUNT_ID.test(account)).map((account) => ({ org, account }));
      }),
    )
  ).flat();
  let done = 0;
  let files = 0;
  const tell = (stage: ListingProgress["stage"], of: number) =>
    options.progress?.listing({ stage, done, of, requests, files });
  // Each account's CloudTrail/ folder, one level down: the regions it holds, whether or not
  // --regions names some. A folder named by --accounts or --regions that the bucket does not hold
  // was not read, and must never count as read with 0 events.
  const held = await bounded(
    concurrency,
    accountFolders.map(({ org, account }) => async () => {
      const regions = await subfolders(regionFolder(prefix, org, account, "").slice(0, -1));
      done++;
      tell("accounts", accountFolders.length);
      return { org, account, regions };
    }),
  );
  const regionFolders = held.flatMap(({ org, account, regions }) =>
    (regions ?? [])
      .filter((region) => scope.regions === undefined || scope.regions.includes(region))
      .map((region) => ({ account, folder: regionFolder(prefix, org, account, region) })),
  );
  const missing = missingFolders(scope, held);
  const folders = regionFolders.map(({ folder }) => folder);
  if (folders.length === 0 && problems.length === 0) {
    problems.push({
      file: url(logs),
      line: 1,
      col: 1,
      code: "E_S3_EMPTY",
      message: `no CloudTrail folders${scope.accounts === undefined ? "" : ` of account ${scope.accounts.join(", ")}`} here; expected AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/ as CloudTrail delivers`,
    });
  } else {
    for (const { folder, account, regions } of missing.folders)
      problems.push({
        file: url(folder),
        line: 1,
        col: 1,
        code: "E_S3_NO_FOLDER",
        message:
          regions === null
            ? `no such folder: the bucket holds no CloudTrail folder of account ${account} (in --accounts); its events are not in this review`
            : `no such folder: the bucket holds no CloudTrail folder of account ${account} in ${regions.join(", ")} (in --regions); its events there are not in this review`,
      });
  }

  const { first, last } = deliveryDays(scope.start, scope.end);
  const unlisted = new Set<string>();
  done = 0;
  const listed = await bounded(
    concurrency,
    folders.map((folder) => async () => {
      const found: { key: string; size: number }[] = [];
      let token: string | undefined;
      try {
        page: do {
          requests++;
          // Keys sort by day within a region folder: start just before the first day, stop past the last.
          const page = await listPage(client, {
            bucket,
            prefix: folder,
            startAfter: token === undefined ? `${folder}${first}` : undefined,
            token,
          });
          for (const object of page.objects) {
            const day = dayOfKey(folder, object.key);
            if (day === null || day < first) continue;
            if (day > last) break page;
            if (LOG_FILE.test(object.key)) {
              found.push(object);
              files++;
            }
          }
          token = page.next;
          if (token !== undefined) tell("regions", folders.length);
        } while (token !== undefined);
      } catch (error) {
        problem(folder, error);
        unlisted.add(folder);
      }
      done++;
      tell("regions", folders.length);
      return found;
    }),
  );
  const entries = listed
    .flat()
    .sort((a, b) =>
      stamp(a.key) < stamp(b.key) ? -1 : stamp(a.key) > stamp(b.key) ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
  const fetcher = new Fetcher(
    client,
    bucket,
    entries,
    concurrency,
    options.aheadBytes ?? 64 * MIB,
    options.aheadObjectBytes ?? 8 * MIB,
  );
  const objects: LogObject[] = entries.map((entry, index) => ({
    name: url(entry.key),
    size: entry.size,
    gzip: entry.key.toLowerCase().endsWith(".gz"),
    open: () => fetcher.open(index),
  }));
  return {
    objects,
    problems: problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
    folders: folders.length,
    requests,
    missing: missing.accounts,
    accounts: [
      ...new Set(regionFolders.filter(({ folder }) => !unlisted.has(folder)).map(({ account }) => account)),
    ].sort(),
  };
}

/**
 * What `scope` names and the bucket does not hold: an account of --accounts with no CloudTrail
 * folder under any organization folder (the folder it would be in, under each), and, for an
 * account that has one, the regions of --regions it holds no folder of. A folder that could not be
 * listed (null) is a problem of its own, never "missing".
 */
export function missingFolders(
  scope: Pick<TrailScope, "location" | "accounts" | "regions">,
  held: readonly { org: string | null; account: string; regions: readonly string[] | null }[],
): {
  accounts: { account: string; regions: string[] | null }[];
  folders: { folder: string; account: string; regions: string[] | null }[];
} {
  const accounts: { account: string; regions: string[] | null }[] = [];
  const folders: { folder: string; account: string; regions: string[] | null }[] = [];
  const { prefix } = scope.location;
  // Without --accounts, the accounts listed are those the bucket holds: only their regions can be missing.
  const asked = scope.accounts ?? [...new Set(held.map((entry) => entry.account))];
  for (const account of asked) {
    const mine = held.filter((entry) => entry.account === account);
    if (mine.some((entry) => entry.regions === null)) continue;
    const present = mine.filter((entry) => (entry.regions ?? []).length > 0);
    if (present.length === 0) {
      if (scope.accounts === undefined) continue;
      accounts.push({ account, regions: null });
      for (const { org } of mine)
        folders.push({ folder: regionFolder(prefix, org, account, "").slice(0, -1), account, regions: null });
      continue;
    }
    const regions = (scope.regions ?? []).filter(
      (region) => !present.some((entry) => (entry.regions ?? []).includes(region)),
    );
    if (regions.length === 0) continue;
    accounts.push({ account, regions });
    for (const { org } of present)
      for (const region of regions)
        folders.push({ folder: regionFolder(prefix, org, account, region), account, regions: [region] });
  }
  return { accounts, folders };
}

/**
 * Fetches objects ahead of the readers, in the order a first pass reads them: when an object is
 * opened for the first time, the next ones never opened are fetched whole, with at most `limit`
 * objects in flight or waiting (streams to the readers included) and `budget` bytes in memory. An object fetched ahead is handed over once, then forgotten; a
 * second pass (or a large object) streams from S3 again.
 */
class Fetcher {
  private readonly ahead = new Map<number, Promise<Buffer>>();
  private readonly opened: boolean[];
  private aheadBytes = 0;
  private cursor = 0;
  /** Objects being streamed to a reader: they count against the limit as fetches ahead do. */
  private streaming = 0;

  private readonly client: S3Like;
  private readonly bucket: string;
  private readonly entries: readonly { key: string; size: number }[];
  private readonly limit: number;
  private readonly budget: number;
  private readonly largest: number;

  constructor(
    client: S3Like,
    bucket: string,
    entries: readonly { key: string; size: number }[],
    limit: number,
    budget: number,
    largest: number,
  ) {
    this.client = client;
    this.bucket = bucket;
    this.entries = entries;
    this.limit = limit;
    this.budget = budget;
    this.largest = largest;
    this.opened = new Array<boolean>(entries.length).fill(false);
  }

  private bytes(index: number): AsyncIterable<Uint8Array> {
    return objectBytes(this.client, this.bucket, this.entries[index].key);
  }

  private fill(): void {
    while (this.cursor < this.entries.length && this.ahead.size + this.streaming < this.limit) {
      const index = this.cursor;
      const size = this.entries[index].size;
      if (this.opened[index] || size > this.largest) {
        this.cursor++;
        continue;
      }
      if (this.aheadBytes + size > this.budget) return;
      this.cursor++;
      this.aheadBytes += size;
      const fetched = (async () => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of this.bytes(index)) chunks.push(chunk);
        return Buffer.concat(chunks);
      })();
      // A failure is the file's problem when it is read, not an unhandled rejection now.
      fetched.catch(() => undefined);
      this.ahead.set(index, fetched);
    }
  }

  async *open(index: number): AsyncIterable<Uint8Array> {
    const first = !this.opened[index];
    this.opened[index] = true;
    const fetched = this.ahead.get(index);
    if (fetched !== undefined) {
      this.ahead.delete(index);
      let bytes: Buffer;
      try {
        bytes = await fetched;
      } finally {
        // Failed or not, its share of the budget is free again.
        this.aheadBytes -= this.entries[index].size;
        this.fill();
      }
      yield bytes;
      return;
    }
    this.streaming++;
    try {
      if (first) this.fill();
      yield* this.bytes(index);
    } finally {
      this.streaming--;
    }
  }
}
