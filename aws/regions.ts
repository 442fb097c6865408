/**
 * Which regions the account has enabled, as EC2's DescribeRegions says (`AllRegions`, each region's
 * `OptInStatus`): the one question that tells an opt-in region the account never enabled from one
 * that is enabled but refuses the credentials (a session token from the global STS endpoint, valid
 * only in the regions enabled by default). Both answer LookupEvents with the same error; what the
 * answer means for a review is review/lookup/reader.ts's decision.
 *
 * Why DescribeRegions and not Account Management's ListRegions: it is an `ec2:Describe*` read, which
 * read-only policies commonly grant already (AmazonEC2ReadOnlyAccess does), it is asked of a
 * region's own endpoint (so of a region enabled by default, where every token works), and moto
 * serves it; moto has no Account Management API.
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html
 */
import { REQUEST_LIMITS } from "./clients.ts";

/** The IAM actions the question calls, for the least-privilege policies that `permissions` prints. */
export const regionStatusPermissions: readonly string[] = ["ec2:DescribeRegions"];

/**
 * A region's `OptInStatus` as DescribeRegions gives it: `opt-in-not-required` (enabled by default),
 * `opted-in` (an opt-in region the account enabled) or `not-opted-in`; kept as AWS spells it, so
 * that a value AWS adds later is never read as one of these.
 */
export type OptInStatus = string;

/** The account's answer: each region it names and its status; or why it could not be asked. */
export type RegionStatusAnswer =
  | { kind: "answered"; status: ReadonlyMap<string, OptInStatus> }
  | { kind: "failed"; error: unknown };

/** Asks the account once. Never throws: a failure is an answer of its own. */
export type RegionStatusQuestion = () => Promise<RegionStatusAnswer>;

/**
 * The question through the SDK's EC2 client in `region` (credentials and `AWS_ENDPOINT_URL` or
 * `AWS_ENDPOINT_URL_EC2` from the environment), with the request limits of every other one-off call.
 */
export function sdkRegionStatus(region: string, options: { abortSignal?: AbortSignal } = {}): RegionStatusQuestion {
  return async () => {
    // Loaded when asked: most reviews never ask, and the EC2 client is the SDK's largest.
    let client: import("@aws-sdk/client-ec2").EC2Client | undefined;
    try {
      const { DescribeRegionsCommand, EC2Client } = await import("@aws-sdk/client-ec2");
      client = new EC2Client({ region, ...REQUEST_LIMITS });
      const answer = await client.send(new DescribeRegionsCommand({ AllRegions: true }), {
        abortSignal: options.abortSignal,
      });
      const status = new Map<string, OptInStatus>();
      for (const entry of answer.Regions ?? [])
        if (entry.RegionName !== undefined && entry.OptInStatus !== undefined)
          status.set(entry.RegionName, entry.OptInStatus);
      return { kind: "answered", status };
    } catch (error) {
      return { kind: "failed", error };
    } finally {
      client?.destroy();
    }
  };
}
