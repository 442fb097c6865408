/**
 * A CloudTrail-compatible HTTP server for LookupEvents, on loopback, for the tests, the benchmark and the demo.
 *
 * It speaks the service's JSON 1.1 protocol (`X-Amz-Target:
 * com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`, or the short form the SDK
 * for JavaScript sends), reads the region from the
 * SigV4 credential scope of the Authorization header (as the real endpoint's region would be), and
 * enforces LookupEvents' documented limit of 2 requests per second per region as a sliding window:
 * a request is refused with ThrottlingException when two requests of the region were accepted in
 * the second before it. Pages hold 50 events, newest first, chained by NextToken. Faults (5xx
 * answers, throttles, dropped connections) can be injected request by request.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";

export const LOOKUP_EVENTS_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";
/**
 * The service's target prefix is the long one (botocore, so the AWS CLI, sends it); the SDK for
 * JavaScript v3 sends the short Smithy shape name. CloudTrail answers both.
 */
export const LOOKUP_EVENTS_TARGETS = [LOOKUP_EVENTS_TARGET, "CloudTrail_20131101.LookupEvents"];

/** A fault to answer one request with, instead of the page. */
/**
 * `500-page`: HTTP 500 with an HTML page for a body, not an AWS error, as a proxy or a load
 * balancer in front of a service answers when it fails.
 */
export type Fault = "throttle" | "500" | "503" | "500-page" | "drop";

export interface RequestInfo {
  region: string;
  /** 1 for the region's first request, counting every request that reached the server. */
  n: number;
}

/** The fields of a CloudTrail record tests care about; the rest get plausible values. */
export interface RecordFields {
  eventId: string;
  eventName: string;
  eventTime: string;
  region: string;
  accessKeyId?: string;
  userName?: string;
  identityType?: string;
  accountId?: string;
  eventSource?: string;
  readOnly?: boolean | null;
  errorCode?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  requestParameters?: unknown;
  responseElements?: unknown;
}

/** A CloudTrail record as CloudTrail writes it (`readOnly: null` leaves the field out). */
export function trailRecord(fields: RecordFields): Record<string, unknown> {
  const record: Record<string, unknown> = {
    eventVersion: "1.08",
    userIdentity: {
      type: fields.identityType ?? "IAMUser",
      accountId: fields.accountId ?? "111122223333",
      ...(fields.accessKeyId === undefined ? {} : { accessKeyId: fields.accessKeyId }),
      ...(fields.userName === undefined
        ? {}
        : {
            userName: fields.userName,
            arn: `arn:aws:iam::${fields.accountId ?? "111122223333"}:user/${fields.userName}`,
          }),
    },
    eventTime: fields.eventTime,
    eventSource: fields.eventSource ?? "ec2.amazonaws.com",
    eventName: fields.eventName,
    awsRegion: fields.region,
    sourceIPAddress: fields.sourceIPAddress ?? "203.0.113.66",
    userAgent: fields.userAgent ?? "aws-cli/2.15.0",
    requestParameters: fields.requestParameters ?? null,
    responseElements: fields.responseElements ?? null,
    eventID: fields.eventId,
    eventType: "AwsApiCall",
    recipientAccountId: fields.accountId ?? "111122223333",
  };
  if (fields.errorCode !== undefined) record.errorCode = fields.errorCode;
  if (fields.readOnly !== null) record.readOnly = fields.readOnly ?? fields.eventName.startsWith("Describe");
  return record;
}

export interface CloudTrailServerOptions {
  /** Requests accepted per region within `windowMs`. @default 2 */
  limit?: number;
  /** @default 1000 */
  windowMs?: number;
  /** Decides, request by request, whether to answer with a fault (checked after the rate limit). */
  faults?: (request: RequestInfo) => Fault | undefined;
  /** @default 50 */
  pageSize?: number;
  /**
   * Regions that refuse the credentials with UnrecognizedClientException: an opt-in region the account
   * has not enabled, or one it has, to a session token from the global STS endpoint (which of the
   * two, only the account's list of regions says).
   */
  disabledRegions?: string[];
  /** Credentials without cloudtrail:LookupEvents: every request is refused with AccessDeniedException. */
  accessDenied?: boolean;
}

export interface RegionStats {
  requests: number;
  pages: number;
  events: number;
  throttled: number;
  faults: number;
}

export interface CloudTrailServer {
  url: string;
  /** Adds CloudTrail records (as in a log file's `Records`); each is served in its `awsRegion`. */
  seed(records: object[]): void;
  stats: Map<string, RegionStats>;
  /** Totals over all regions. */
  totals(): RegionStats;
  resetStats(): void;
  close(): Promise<void>;
}

interface Stored {
  record: Record<string, unknown>;
  time: number;
  eventId: string;
  accessKeyId: string | undefined;
  userName: string | undefined;
  eventName: string;
  json: string;
}

interface LookupRequest {
  LookupAttributes?: { AttributeKey?: string; AttributeValue?: string }[];
  StartTime?: number;
  EndTime?: number;
  MaxResults?: number;
  NextToken?: string;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": createHash("md5").update(text).digest("hex"),
  });
  response.end(text);
}

function error(response: ServerResponse, status: number, type: string, message: string): void {
  send(response, status, { __type: type, message });
}

/** The region of a SigV4 request: `Credential=AKID/20240101/us-east-1/cloudtrail/aws4_request`. */
export function regionOf(authorization: string | undefined): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\/cloudtrail\/aws4_request/.exec(authorization ?? "")?.[1];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Seconds since the epoch, as the JSON protocol sends timestamps. */
function toMs(value: unknown): number | undefined {
  return typeof value === "number" ? value * 1000 : undefined;
}

export async function startCloudTrailServer(options: CloudTrailServerOptions = {}): Promise<CloudTrailServer> {
  const limit = options.limit ?? 2;
  const windowMs = options.windowMs ?? 1000;
  const pageSize = options.pageSize ?? 50;
  const byRegion = new Map<string, Stored[]>();
  const accepted = new Map<string, number[]>();
  const counters = new Map<string, number>();
  const stats = new Map<string, RegionStats>();
  const statsOf = (region: string) => {
    let found = stats.get(region);
    if (found === undefined) {
      found = { requests: 0, pages: 0, events: 0, throttled: 0, faults: 0 };
      stats.set(region, found);
    }
    return found;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    // The limiter sees a request when it arrives, as AWS's front end would, not once its body is read.
    const arrived = performance.now();
    const body = await readBody(request);
    if (!LOOKUP_EVENTS_TARGETS.includes(String(request.headers["x-amz-target"]))) {
      return error(response, 400, "UnknownOperationException", `this server answers only ${LOOKUP_EVENTS_TARGET}`);
    }
    const region = regionOf(request.headers.authorization);
    if (region === undefined)
      return error(response, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    if (options.disabledRegions?.includes(region))
      return error(
        response,
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
      );
    if (options.accessDenied === true)
      return error(
        response,
        400,
        "AccessDeniedException",
        "User is not authorized to perform: cloudtrail:LookupEvents",
      );
    const regionStats = statsOf(region);
    regionStats.requests += 1;
    const n = (counters.get(region) ?? 0) + 1;
    counters.set(region, n);

    // The sliding window: refused requests do not count against the limit.
    const recent = (accepted.get(region) ?? []).filter((at) => arrived - at < windowMs);
    if (recent.length >= limit) {
      accepted.set(region, recent);
      regionStats.throttled += 1;
      return error(response, 400, "ThrottlingException", "Rate exceeded");
    }
    recent.push(arrived);
    accepted.set(region, recent);

    const fault = options.faults?.({ region, n });
    if (fault !== undefined) {
      regionStats.faults += 1;
      if (fault === "drop") return void request.socket.destroy();
      if (fault === "throttle") return error(response, 400, "ThrottlingException", "Rate exceeded");
      if (fault === "500-page") {
        response.writeHead(500, { "content-type": "text/html" });
        return void response.end(
          "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>\n",
        );
      }
      return error(
        response,
        Number(fault),
        fault === "500" ? "InternalFailure" : "ServiceUnavailable",
        "injected fault",
      );
    }

    let input: LookupRequest;
    try {
      input = JSON.parse(body) as LookupRequest;
    } catch {
      return error(response, 400, "SerializationException", "the body is not JSON");
    }
    const attributes = input.LookupAttributes ?? [];
    if (attributes.length > 1)
      return error(response, 400, "InvalidLookupAttributesException", "only one lookup attribute is allowed");
    const maxResults = input.MaxResults ?? pageSize;
    if (maxResults < 1 || maxResults > pageSize)
      return error(response, 400, "InvalidMaxResultsException", `MaxResults must be 1 to ${pageSize}`);
    const start = toMs(input.StartTime);
    const end = toMs(input.EndTime);
    if (start !== undefined && end !== undefined && start > end)
      return error(response, 400, "InvalidTimeRangeException", "StartTime is after EndTime");

    const [attribute] = attributes;
    const matches = (stored: Stored) => {
      if (start !== undefined && stored.time < start) return false;
      if (end !== undefined && stored.time > end) return false;
      if (attribute === undefined) return true;
      switch (attribute.AttributeKey) {
        case "AccessKeyId":
          return stored.accessKeyId === attribute.AttributeValue;
        case "Username":
          return stored.userName === attribute.AttributeValue;
        case "EventId":
          return stored.eventId === attribute.AttributeValue;
        case "EventName":
          return stored.eventName === attribute.AttributeValue;
        default:
          return false;
      }
    };
    // A token names the query it belongs to, as CloudTrail's do: reusing one with other parameters is an error.
    const query = createHash("sha256")
      .update(JSON.stringify([region, attribute ?? null, start ?? null, end ?? null]))
      .digest("hex")
      .slice(0, 16);
    let offset = 0;
    if (input.NextToken !== undefined) {
      const [tokenQuery, tokenOffset] = Buffer.from(input.NextToken, "base64").toString("utf8").split(":");
      if (tokenQuery !== query || !/^\d+$/.test(tokenOffset ?? ""))
        return error(response, 400, "InvalidNextTokenException", "the token does not belong to this query");
      offset = Number(tokenOffset);
    }
    const found = (byRegion.get(region) ?? []).filter(matches);
    const page = found.slice(offset, offset + maxResults);
    regionStats.pages += 1;
    regionStats.events += page.length;
    const next =
      offset + maxResults < found.length
        ? Buffer.from(`${query}:${offset + maxResults}`).toString("base64")
        : undefined;
    send(response, 200, {
      Events: page.map((stored) => ({
        EventId: stored.eventId,
        EventName: stored.eventName,
        ReadOnly: typeof stored.record.readOnly === "boolean" ? String(stored.record.readOnly) : undefined,
        AccessKeyId: stored.accessKeyId,
        EventTime: stored.time / 1000,
        EventSource: stored.record.eventSource,
        Username: stored.userName,
        Resources: [],
        CloudTrailEvent: stored.json,
      })),
      ...(next === undefined ? {} : { NextToken: next }),
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((failure: unknown) => error(response, 500, "InternalFailure", String(failure)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seed(records) {
      for (const raw of records) {
        const record = raw as Record<string, unknown>;
        const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
        const region = String(record.awsRegion);
        const stored: Stored = {
          record,
          time: Date.parse(String(record.eventTime)),
          eventId: String(record.eventID),
          accessKeyId: typeof identity.accessKeyId === "string" ? identity.accessKeyId : undefined,
          userName: typeof identity.userName === "string" ? identity.userName : undefined,
          eventName: String(record.eventName),
          json: JSON.stringify(record),
        };
        const list = byRegion.get(region) ?? [];
        list.push(stored);
        byRegion.set(region, list);
      }
      // Newest first, as LookupEvents answers.
      for (const list of byRegion.values()) list.sort((a, b) => b.time - a.time || (a.eventId < b.eventId ? -1 : 1));
    },
    stats,
    totals() {
      const sum: RegionStats = { requests: 0, pages: 0, events: 0, throttled: 0, faults: 0 };
      for (const s of stats.values()) for (const key of Object.keys(sum) as (keyof RegionStats)[]) sum[key] += s[key];
      return sum;
    },
    resetStats() {
      stats.clear();
      accepted.clear();
      counters.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((failure) => (failure ? reject(failure) : resolve()));
      }),
  };
}
