/**
 * CloudTrail's LookupEvents as the SDK calls it: the client of a region, paced by a gate its caller
 * gives, one page per call, and what the service's errors mean. What to read, how often to retry
 * and what a failed region means for the review are review/lookup/reader.ts's decisions.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
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

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
]);
const NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);
/**
 * What a region answers credentials it does not accept: an opt-in region the account has not
 * enabled, and as well one it has enabled, to a session token from the global STS endpoint (valid
 * only in the regions enabled by default). The name alone cannot tell the two apart.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html
 */
const REFUSED = new Set(["UnrecognizedClientException", "InvalidClientTokenId"]);

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** Whether an error is worth asking again: throttling, a server error, or a connection that failed. */
export function transientKind(error: unknown): "throttled" | "server error" | "connection" | null {
  const e = (error ?? {}) as AwsError;
  const status = e.$metadata?.httpStatusCode;
  if (THROTTLING.has(e.name ?? "") || status === 429 || e.$retryable?.throttling === true) return "throttled";
  if (status !== undefined && status >= 500) return "server error";
  if (
    NETWORK.has(e.code ?? "") ||
    e.name === "TimeoutError" ||
    /socket hang up|ECONNRESET|aborted/i.test(e.message ?? "")
  )
    return "connection";
  return null;
}

/**
 * The error's name when the region refused the credentials (UnrecognizedClientException,
 * InvalidClientTokenId); otherwise null. In an opt-in region that means it is not enabled, or it is
 * and the token is one from the global STS endpoint: only the account's list of regions tells which.
 */
export function refusedCredentials(error: unknown): string | null {
  const name = (error as AwsError | undefined)?.name ?? "";
  return REFUSED.has(name) ? name : null;
}

/**
 * What the SDK says of an answer it could not read as an AWS error (an HTML page from a proxy or a
 * load balancer): its JSON parser's words and a pointer to its internals (`$response`), which
 * mean nothing to the person reading.
 */
const UNREADABLE_ANSWER = /Deserialization error|\$response|is not valid JSON|Unexpected token|Unexpected end of JSON/;

/** One line for a person: the error's name, code and message; never a stack, request data or the SDK's internals. */
export function describeError(error: unknown): string {
  const e = (error ?? {}) as AwsError;
  // The first line only: the SDK appends its own hints on lines of their own.
  const message = String(e.message ?? "")
    .split("\n")[0]
    .trim();
  const status = e.$metadata?.httpStatusCode;
  let said: string;
  if (e.name === "CredentialsProviderError") {
    said = `no AWS credentials found (${message}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
  } else if (status !== undefined && (e.name === "SyntaxError" || UNREADABLE_ANSWER.test(String(e.message ?? "")))) {
    said = `HTTP ${status}, with an answer that is not an AWS error (an error page of a proxy or load balancer in front of the service)`;
  } else {
    const head = [
      e.name && e.name !== "Error" ? e.name : undefined,
      e.code,
      status === undefined ? undefined : `HTTP ${status}`,
    ]
      .filter(Boolean)
      .join(", ");
    said = head === "" ? message || String(error).split("\n")[0] : `${head}: ${message}`.replace(/: $/, "");
  }
  // One line, whatever a name or a code holds; and short, whatever a server answers.
  const characters = [...said.replace(/[\r\n\u0085\u2028\u2029]+/g, " ")];
  return characters.length <= 300 ? characters.join("") : `${characters.slice(0, 299).join("")}…`;
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
