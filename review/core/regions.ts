/**
 * The regions of AWS's commercial partition, and what a region's name looks like: facts every
 * source of a review reads (LookupEvents asks each region, a trail's files and its Athena table
 * are laid out by region) and `athena-table` declares.
 * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
 */

/** A region name, as `--regions` takes it and a trail's folders and partitions spell it. */
export const REGION_NAME = /^[a-z]{2}(-[a-z0-9]+)+$/;

/**
 * The regions of the commercial partition enabled in every account. The others are opt-in and
 * answer UnrecognizedClientException until the account enables them, and after, to a session token
 * from the global STS endpoint: the review reports one as "not enabled" rather than as a failure
 * only when the account says it is not (review/lookup/reader.ts): a region nobody enabled holds no activity.
 */
export const ALWAYS_ENABLED_REGIONS: readonly string[] = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ap-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "ca-central-1",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-north-1",
  "sa-east-1",
];
export const OPT_IN_REGIONS: readonly string[] = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-south-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-west-1",
  "eu-central-2",
  "eu-south-1",
  "eu-south-2",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "me-west-1",
  "mx-central-1",
  "sa-west-1",
];
/**
 * What `review` reads by default, and what `athena-table` declares. A region missing here is a
 * region no default review reads: test/review-command.test.ts holds this list to the `aws`
 * partition of the bundled SDK, so that an SDK that knows a new region fails the tests until it is
 * added.
 */
export const COMMERCIAL_REGIONS: readonly string[] = [...ALWAYS_ENABLED_REGIONS, ...OPT_IN_REGIONS];
