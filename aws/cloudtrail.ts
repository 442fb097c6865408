/**
 * CloudTrail's LookupEvents as the SDK calls it: the client of a region, paced by a gate its caller
 * gives, one page per call, and what the service's errors mean. What to read, how often to retry
 * and what a failed region means for the review are review/lookup/reader.ts's decisions.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { transientKind } from "./errors.ts";
import { regionStatusPermissions } from "./regions.ts";

/**
 * The IAM actions a reading of CloudTrail by LookupEvents calls (`review`, `new`'s roles lookup, the
 * contain report's review), for the least-privilege policies that `permissions` prints: LookupEvents,
 * and the account's list of enabled regions (aws/regions.ts), asked when an opt-in region refuses
 * the credentials.
 */
export const reviewPermissions: readonly string[] = ["cloudtrail:LookupEvents", ...regionStatusPermissions];

/** LookupEvents returns at most 50 events per page. */
export const PAGE_SIZE = 50;

/** What the reader needs of a CloudTrail client: the SDK's, or a stand-in in tests. */
export interface LookupClient {
  /** `abortSignal` ends a request in flight (new's lookup, at its deadline); a stand-in may ignore it. */
  send(command: LookupEventsCommand, options?: { abortSignal?: AbortSignal }): Promise<LookupEventsCommandOutput>;
  destroy?(): void;
}

/**
 * What paces a client's requests: each request waits for `take()` as late as it can, and tells the
 * ticket how it was answered (review/lookup/pacer.ts's Pacer is one).
 */
export interface RequestGate {
  take(): Promise<{ answered(outcome: "accepted" | "throttled" | "other"): void }>;
}

/** One page of one subject's events: by access key or by user name, within a window, after `token`. */
export interface PageRequest {
  by: { AttributeKey: "AccessKeyId" | "Username"; AttributeValue: string };
  /** Epoch milliseconds; null: unbounded. */
  start: number | null;
  end: number | null;
  token?: string;
}

/** One page of events (`Events`, and `NextToken` while there are more). */
export type LookupPage = LookupEventsCommandOutput;

/** Asks for one page: one request, not retried here. */
export function lookupPage(client: LookupClient, request: PageRequest): Promise<LookupPage> {
  return client.send(
    new LookupEventsCommand({
      LookupAttributes: [request.by],
      StartTime: request.start === null ? undefined : new Date(request.start),
      EndTime: request.end === null ? undefined : new Date(request.end),
      MaxResults: PAGE_SIZE,
      NextToken: request.token,
    }),
  );
}

/**
 * What a region answers credentials it does not accept: an opt-in region the account has not
 * enabled, and as well one it has enabled, to a session token from the global STS endpoint (valid
 * only in the regions enabled by default). The name alone cannot tell the two apart.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html
 */
const REFUSED = new Set(["UnrecognizedClientException", "InvalidClientTokenId"]);

/**
 * The error's name when the region refused the credentials (UnrecognizedClientException,
 * InvalidClientTokenId); otherwise null. In an opt-in region that means it is not enabled, or it is
 * and the token is one from the global STS endpoint: only the account's list of regions tells which.
 */
export function refusedCredentials(error: unknown): string | null {
  const name = (error as { name?: string } | undefined)?.name ?? "";
  return REFUSED.has(name) ? name : null;
}

/**
 * The SDK's CloudTrailClient for a region, which reads credentials and `AWS_ENDPOINT_URL` from the
 * environment. Each request is given up after 5 s without a connection or 30 s without its whole
 * answer (a page of 50 events comes in well under a second). It tries each request once: the SDK's
 * retries would go around the gate, so the reader retries itself. The gate waits inside the SDK,
 * after the credentials and the endpoint are resolved and just before signing, so that whatever
 * time the SDK spends before sending (loading, resolving) does not eat into the spacing the service sees.
 */
export function sdkClient(region: string, gate: RequestGate): LookupClient {
  // throwOnRequestTimeout: without it, smithy's handler only warns when a request outlives its timeout.
  const client = new CloudTrailClient({
    region,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  });
  const pacing = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    const ticket = await gate.take();
    try {
      const output = await next(args);
      ticket.answered("accepted");
      return output;
    } catch (error) {
      ticket.answered(transientKind(error) === "throttled" ? "throttled" : "other");
      throw error;
    }
  };
  client.middlewareStack.addRelativeTo(pacing as Parameters<typeof client.middlewareStack.addRelativeTo>[0], {
    relation: "before",
    toMiddleware: "httpSigningMiddleware",
    name: "cordonLookupPacer",
    override: true,
  });
  return client;
}
