/**
 * Reads a subject's events from CloudTrail's LookupEvents, in every region at once, as fast as
 * CloudTrail allows and no faster: each region's client has its own pacer at the documented limit,
 * which learns its margin from CloudTrail's answers (review/pacer.ts), and every attempt, first or
 * retried, waits for its slot. A failed page is asked again with the
 * same NextToken, so retries neither lose nor repeat a page; events are deduplicated by id anyway.
 * It is the review's event source for LookupEvents (review/chain.ts's EventSource), and the one
 * place that builds the CloudTrail client and judges its errors (retry, give up, not enabled).
 */
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandInput, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import { belongsTo, subjectId, type EventSource, type Subject, type Window } from "../review/chain.ts";
import { fromLookupEvent, type ReviewEvent } from "../review/event.ts";
import { Pacer, systemClock, type Clock, type PaceOptions } from "../review/pacer.ts";
import type { ReaderProgress } from "../review/progress.ts";

/** The IAM actions `review` calls, for the least-privilege policy that `permissions` prints. */
export const reviewPermissions: readonly string[] = ["cloudtrail:LookupEvents"];

/**
 * The regions of the commercial partition enabled in every account. The others are opt-in and
 * answer UnrecognizedClientException until the account enables them, which the review reports as
 * "not enabled" rather than as a failure: a region nobody enabled holds no activity.
 * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
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
  "ap-southeast-7",
  "ca-west-1",
  "eu-central-2",
  "eu-south-1",
  "eu-south-2",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
];
/** What `review` reads by default. */
export const COMMERCIAL_REGIONS: readonly string[] = [...ALWAYS_ENABLED_REGIONS, ...OPT_IN_REGIONS];

/** LookupEvents returns at most 50 events per page. */
export const PAGE_SIZE = 50;

/** How long LookupEvents keeps events. @see https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html */
export const LOOKUP_EVENTS_DAYS = 90;

/** What the reader needs of a CloudTrail client: the SDK's, or a stand-in in tests. */
export interface LookupClient {
  send(command: LookupEventsCommand): Promise<LookupEventsCommandOutput>;
  destroy?(): void;
}

/**
 * Retries of one page. Each attempt waits `min(capMs, baseMs × 2^(attempt−1))`, between half and
 * all of it at random (so regions retrying together spread out), then waits for its pacer slot;
 * the retry of a page's first throttle waits for the slot alone (the pacer has slowed already).
 */
export interface RetryPolicy {
  /** @default 10 */
  attempts: number;
  /** @default 250 */
  baseMs: number;
  /** @default 8000 */
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseMs: 250, capMs: 8000 };

export interface ReaderOptions {
  regions: readonly string[];
  /**
   * The client for a region. It must wait for `pacer.take()` before every request it sends, as
   * late as it can, and tell the ticket it gets how the request was answered.
   * @default {@link sdkClient}
   */
  clientFor?: (region: string, pacer: Pacer) => LookupClient;
  /** How each region's pacer starts and learns. @default {@link LOOKUP_PACE} */
  pace?: Partial<PaceOptions>;
  clock?: Clock;
  retry?: RetryPolicy;
  /** @default Math.random */
  random?: () => number;
  progress?: ReaderProgress;
}

export interface RegionFailure {
  region: string;
  subject: string;
  reason: string;
  /** An opt-in region the account has not enabled: nothing can have happened there. */
  notEnabled: boolean;
}

export interface ReaderStats {
  requests: number;
  retries: number;
  pages: number;
  events: number;
}

const THROTTLING = new Set(["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException"]);
const NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** What an opt-in region the account has not enabled answers. */
const NOT_ENABLED = new Set(["UnrecognizedClientException", "InvalidClientTokenId"]);

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
  if (NETWORK.has(e.code ?? "") || e.name === "TimeoutError" || /socket hang up|ECONNRESET|aborted/i.test(e.message ?? "")) return "connection";
  return null;
}

/** One line for a person: the error's name, code and message; never a stack or request data. */
export function describeError(error: unknown): string {
  const e = (error ?? {}) as AwsError;
  if (e.name === "CredentialsProviderError") return `no AWS credentials found (${e.message ?? ""}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
  const status = e.$metadata?.httpStatusCode;
  // The SDK could not parse the answer (a proxy's or an emulator's HTML error page): its message is
  // the parser's, about the SDK's internals; what matters is that this is not CloudTrail speaking.
  if (e.name === "SyntaxError" && status !== undefined) return `HTTP ${status}, an answer that is not CloudTrail's JSON`;
  const head = [e.name && e.name !== "Error" ? e.name : undefined, e.code, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(", ");
  return head === "" ? (e.message ?? String(error)) : `${head}: ${e.message ?? ""}`.replace(/: $/, "");
}

/**
 * The SDK's CloudTrailClient for a region, which reads credentials and `AWS_ENDPOINT_URL` from the
 * environment. Each request is given up after 5 s without a connection or 30 s without its whole
 * answer (a page of 50 events comes in well under a second). It tries each request once: the SDK's
 * retries would go around the pacer, so the reader retries itself (see `CloudTrailReader.page`). The pacer waits inside the SDK, after the
 * credentials and the endpoint are resolved and just before signing, so that whatever time the SDK
 * spends before sending (loading, resolving) does not eat into the spacing the service sees.
 */
export function sdkClient(region: string, pacer: Pacer): LookupClient {
  // throwOnRequestTimeout: without it, smithy's handler only warns when a request outlives its timeout.
  const client = new CloudTrailClient({ region, maxAttempts: 1, requestHandler: { connectionTimeout: 5000, requestTimeout: 30_000, throwOnRequestTimeout: true } });
  const pacing = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    const ticket = await pacer.take();
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

class LookupFailed extends Error {
  readonly notEnabled: boolean;

  constructor(message: string, notEnabled: boolean) {
    super(message);
    this.notEnabled = notEnabled;
  }
}

export class CloudTrailReader {
  readonly failures: RegionFailure[] = [];
  readonly stats: ReaderStats = { requests: 0, retries: 0, pages: 0, events: 0 };
  private readonly clients = new Map<string, LookupClient>();
  /** What the regions' pacers learn together (review/pacer.ts). */
  private readonly learned = { floor: 0 };
  /** Regions that failed once: later lookups there would only fail again, slowly. */
  private readonly broken = new Map<string, RegionFailure>();
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;

  private readonly options: ReaderOptions;

  constructor(options: ReaderOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.random = options.random ?? Math.random;
  }

  /** The events of a subject in every region, as a chain source. Failures are kept in {@link failures}, not thrown. */
  readonly source: EventSource = async (subject, window, deliver) => {
    await Promise.all(this.options.regions.map((region) => this.lookup(region, subject, window, deliver)));
  };

  /** Closes the clients' connections. */
  close(): void {
    for (const client of this.clients.values()) client.destroy?.();
  }

  /** All pages of one subject in one region. */
  async lookup(region: string, subject: Subject, window: Window, deliver: (events: ReviewEvent[]) => void): Promise<void> {
    const id = subjectId(subject);
    const broken = this.broken.get(region);
    if (broken !== undefined) {
      this.failures.push({ ...broken, subject: id });
      return;
    }
    this.options.progress?.lookupStarted(region, id);
    const seen = new Set<string>();
    let token: string | undefined;
    try {
      do {
        const page = await this.page(region, subject, window, token);
        const events: ReviewEvent[] = [];
        for (const raw of page.Events ?? []) {
          const event = fromLookupEvent(raw, region);
          // A record without an id or a name cannot be reported; LookupEvents always gives both.
          if (typeof event === "string" || seen.has(event.eventId) || !belongsTo(subject, event)) continue;
          seen.add(event.eventId);
          events.push(event);
        }
        this.stats.pages += 1;
        this.stats.events += events.length;
        this.options.progress?.page(region, id, events.length);
        deliver(events);
        token = page.NextToken;
      } while (token !== undefined && token !== "");
    } catch (error) {
      const failure: RegionFailure = {
        region,
        subject: id,
        reason: error instanceof LookupFailed ? error.message : describeError(error),
        notEnabled: error instanceof LookupFailed && error.notEnabled,
      };
      this.failures.push(failure);
      if (!this.broken.has(region)) this.broken.set(region, failure);
    } finally {
      this.options.progress?.lookupDone(region, id);
    }
  }

  private client(region: string): LookupClient {
    let client = this.clients.get(region);
    if (client === undefined) {
      const pacer = new Pacer(this.options.pace, this.clock, this.learned);
      client = (this.options.clientFor ?? sdkClient)(region, pacer);
      this.clients.set(region, client);
    }
    return client;
  }

  /** One page, asked again with the same NextToken until it comes or the attempts run out. */
  private async page(region: string, subject: Subject, window: Window, token: string | undefined): Promise<LookupEventsCommandOutput> {
    const input: LookupEventsCommandInput = {
      LookupAttributes: [subject.kind === "key" ? { AttributeKey: "AccessKeyId", AttributeValue: subject.accessKeyId } : { AttributeKey: "Username", AttributeValue: subject.userName }],
      StartTime: window.start === null ? undefined : new Date(window.start),
      EndTime: window.end === null ? undefined : new Date(window.end),
      MaxResults: PAGE_SIZE,
      NextToken: token,
    };
    for (let attempt = 1; ; attempt++) {
      // Every attempt, first or retried, waits for its slot in the region's pacer (inside the client).
      this.stats.requests += 1;
      try {
        return await this.client(region).send(new LookupEventsCommand(input));
      } catch (error) {
        const kind = transientKind(error);
        if (kind === null) {
          const name = (error as AwsError | undefined)?.name ?? "";
          const notEnabled = NOT_ENABLED.has(name) && OPT_IN_REGIONS.includes(region);
          throw new LookupFailed(notEnabled ? `${describeError(error)} (an opt-in region this account has not enabled)` : describeError(error), notEnabled);
        }
        if (attempt >= this.retry.attempts) throw new LookupFailed(`gave up after ${attempt} attempts, the last one ${kind}: ${describeError(error)}`, false);
        this.stats.retries += 1;
        this.options.progress?.retried(region, kind);
        // A first throttle widened the region's pacer, which spaces the retry: no backoff on top.
        // Throttled again, something else shares the limit: back off as for any other failure.
        if (kind === "throttled" && attempt === 1) continue;
        const ceiling = Math.min(this.retry.capMs, this.retry.baseMs * 2 ** (attempt - 1));
        await this.clock.sleep(ceiling * (0.5 + this.random() / 2));
      }
    }
  }
}
