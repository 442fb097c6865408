/**
 * How a failed AWS call reads, and how it ends a command. Credential, permission and network
 * failures, throttling, AWS's own faults and answers that are not AWS's mean the command could not
 * run (exit 2); an entity that does not exist means the input or the state is wrong (exit 1), the
 * exit codes every command shares. Messages name actions, codes and endpoints only, never a secret.
 */

/** Why a call could not be answered, when it is not about the entity asked for. */
export type UnavailableReason = "credentials" | "denied" | "unreachable" | "throttled" | "server error" | "not AWS";

/** Why a call failed, when it is not about the entity asked for: the command could not run (exit 2). */
export class AwsUnavailableError extends Error {
  readonly reason: UnavailableReason;
  readonly action: string;

  constructor(message: string, reason: UnavailableReason, action: string) {
    super(message);
    this.reason = reason;
    this.action = action;
  }
}

/** The principal, key or policy asked for does not exist: the input or the state is wrong (exit 1). */
export class NotFoundError extends Error {}

const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"]);
const REJECTED = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidAccessKeyId",
  "UnrecognizedClientException",
]);
const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * Turns credential, permission and network failures, throttling, AWS's faults and answers that are
 * not AWS's into {@link AwsUnavailableError}, each saying what to do; anything else (an entity that
 * does not exist, a refused request) is returned as it is, for the caller to judge.
 */
export function explainFailure(error: unknown, action: string): unknown {
  const e = (error ?? {}) as AwsError;
  const name = e.name ?? "";
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(e.message ?? "")) {
    return new AwsUnavailableError(
      "no AWS credentials found: set AWS_PROFILE (and run `aws sso login` if it uses SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
      "credentials",
      action,
    );
  }
  if (REJECTED.has(name) || REJECTED.has(e.Code ?? "")) {
    return new AwsUnavailableError(
      `AWS rejected the credentials (${name || e.Code}) calling ${action}: refresh them (for SSO: \`aws sso login\`) and run again`,
      "credentials",
      action,
    );
  }
  if (DENIED.has(name) || DENIED.has(e.Code ?? "")) {
    return new AwsUnavailableError(
      `access denied: the credentials may not call ${action}; grant them the commands policy that \`cordon permissions\` prints`,
      "denied",
      action,
    );
  }
  const network = [e.code, e.cause?.code].find((code) => code !== undefined && NETWORK.has(code));
  if (network !== undefined || name === "TimeoutError") {
    return new AwsUnavailableError(
      `cannot reach AWS calling ${action} (${network ?? "timed out"}): check the network, AWS_ENDPOINT_URL and the proxy settings`,
      "unreachable",
      action,
    );
  }
  // The SDK has already retried these (REQUEST_LIMITS in clients.ts): say how often.
  const attempts = e.$metadata?.attempts;
  const tried = attempts !== undefined && attempts > 1 ? `, ${attempts} attempts` : "";
  if (unreadableAnswer(e)) {
    return new AwsUnavailableError(
      `calling ${action}: ${describeError(error)}${tried}: check AWS_ENDPOINT_URL and the proxy settings (HTTPS_PROXY), then run again`,
      "not AWS",
      action,
    );
  }
  const transient = transientKind(error);
  if (transient === "throttled") {
    return new AwsUnavailableError(
      `AWS throttled ${action} (${describeError(error)})${tried}: other callers are using the account's request rate; wait a minute and run again`,
      "throttled",
      action,
    );
  }
  if (transient === "server error") {
    return new AwsUnavailableError(
      `AWS failed to answer ${action} (${describeError(error)})${tried}: a fault on AWS's side (or the endpoint's); run again in a few minutes, and see https://health.aws.amazon.com/health/status if it lasts`,
      "server error",
      action,
    );
  }
  return error;
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
]);
/**
 * Connection failures worth asking again (the CloudTrail reader retries them): not ENOTFOUND, a
 * name that does not resolve will not a moment later.
 */
const TRANSIENT_NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

interface AwsError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  cause?: { code?: string };
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: { throttling?: boolean };
}

/** Whether an error is worth asking again: throttling, a server error, or a connection that failed. */
export function transientKind(error: unknown): "throttled" | "server error" | "connection" | null {
  const e = (error ?? {}) as AwsError;
  const status = e.$metadata?.httpStatusCode;
  if (THROTTLING.has(e.name ?? "") || status === 429 || e.$retryable?.throttling === true) return "throttled";
  if (status !== undefined && status >= 500) return "server error";
  if (
    TRANSIENT_NETWORK.has(e.code ?? "") ||
    e.name === "TimeoutError" ||
    /socket hang up|ECONNRESET|aborted/i.test(e.message ?? "")
  )
    return "connection";
  return null;
}

/**
 * What the SDK says of an answer it could not read as an AWS error (an HTML page from a proxy or a
 * load balancer): its JSON parser's words and a pointer to its internals (`$response`), which
 * mean nothing to the person reading.
 */
const UNREADABLE_ANSWER = /Deserialization error|\$response|is not valid JSON|Unexpected token|Unexpected end of JSON/;

/**
 * Whether an HTTP answer was not an AWS error: one the SDK could not parse, or one in which it found
 * no error code (it names those `Unknown`).
 */
function unreadableAnswer(e: AwsError): boolean {
  return (
    e.$metadata?.httpStatusCode !== undefined &&
    (e.name === "SyntaxError" || e.name === "Unknown" || UNREADABLE_ANSWER.test(String(e.message ?? "")))
  );
}

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
  } else if (status !== undefined && unreadableAnswer(e)) {
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
 * How a command ends on an error from AWS: exit 2 when AWS could not be asked (credentials, denied,
 * network, throttling, AWS's faults, an answer not AWS's), exit 1 when what was asked for does not exist. Anything else is unexpected: rethrown.
 */
export function failureOf(error: unknown): { exit: 1 | 2; message: string } {
  if (error instanceof AwsUnavailableError) return { exit: 2, message: error.message };
  if (error instanceof NotFoundError) return { exit: 1, message: error.message };
  throw error;
}

export function isNoSuchEntity(error: unknown): boolean {
  const e = error as { name?: string; Code?: string };
  return e.name === "NoSuchEntityException" || e.name === "NoSuchEntity" || e.Code === "NoSuchEntity";
}

/**
 * The answer of a call about one IAM entity (a user, role, policy or key), or what `missing` gives
 * when there is no such entity; `missing` may throw instead. Any other failure is thrown as it is.
 */
export async function orIfMissing<T, M>(call: Promise<T>, missing: () => M): Promise<T | M> {
  try {
    return await call;
  } catch (error) {
    if (isNoSuchEntity(error)) return missing();
    throw error;
  }
}
