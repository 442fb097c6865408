/**
 * A trail's bucket as the SDK reads it: one page of a listing, and one object's bytes. Which
 * folders, days and objects `review --from-s3` reads, and how far ahead, are
 * review/trail/listing.ts's decisions.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { describeError } from "./errors.ts";

/**
 * The IAM actions `--from-s3` calls: ListObjectsV2 is authorized as `s3:ListBucket`.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
export const s3ReviewPermissions: readonly string[] = ["s3:GetObject", "s3:ListBucket"];

/** What the reader needs of an S3 client: the SDK's, or a wrapper in tests that counts calls. */
export interface S3Like {
  send(command: ListObjectsV2Command): Promise<ListObjectsV2CommandOutput>;
  send(command: GetObjectCommand): Promise<{ Body?: unknown }>;
}

/** The SDK's client: credentials and `AWS_ENDPOINT_URL` from the environment; a bucket in another region is followed. */
export function sdkS3Client(region: string): S3Client {
  return new S3Client({ region, followRegionRedirects: true });
}

/** One page of a listing: with `delimiter`, the sub-folders; the objects; the token of the next page. */
export interface ListingPage {
  /** Whole keys of the sub-folders, each ending with the delimiter. */
  folders: string[];
  objects: { key: string; size: number }[];
  /** Undefined on the last page. */
  next?: string;
}

/** One page of ListObjectsV2 under `prefix`, after `startAfter` (first page) or at `token`. */
export async function listPage(
  client: S3Like,
  request: { bucket: string; prefix: string; delimiter?: string; startAfter?: string; token?: string },
): Promise<ListingPage> {
  const page = await client.send(
    new ListObjectsV2Command({
      Bucket: request.bucket,
      Prefix: request.prefix,
      Delimiter: request.delimiter,
      StartAfter: request.startAfter,
      ContinuationToken: request.token,
    }),
  );
  return {
    folders: (page.CommonPrefixes ?? []).flatMap((common) => (common.Prefix === undefined ? [] : [common.Prefix])),
    objects: (page.Contents ?? []).flatMap((object) =>
      object.Key === undefined ? [] : [{ key: object.Key, size: object.Size ?? 0 }],
    ),
    next: page.IsTruncated ? page.NextContinuationToken : undefined,
  };
}

/** The body of a GetObject answer as chunks (in Node, the SDK gives a readable stream). */
async function* chunksOf(body: unknown): AsyncIterable<Uint8Array> {
  if (body === undefined || body === null) return;
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  for await (const chunk of body as AsyncIterable<Uint8Array | string>)
    yield typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

/** An object's bytes, in chunks as they arrive. A failure is an Error whose message names the error and its status. */
export async function* objectBytes(client: S3Like, bucket: string, key: string): AsyncIterable<Uint8Array> {
  let body: unknown;
  try {
    body = (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body;
  } catch (error) {
    // The reader shows the message as the file's problem: the error's name and status belong in it.
    throw new Error(describeError(error));
  }
  yield* chunksOf(body);
}
