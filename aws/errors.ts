/**
 * How a failed AWS call ends a command. Credential, permission and network failures mean the
 * command could not run (exit 2); an entity that does not exist means the input or the state is
 * wrong (exit 1), the exit codes every command shares. Messages name actions, codes and endpoints
 * only, never a secret.
 */

/** Why a call failed, when it is not about the entity asked for: the command could not run (exit 2). */
export class AwsUnavailableError extends Error {
  readonly reason: "credentials" | "denied" | "unreachable";
  readonly action: string;

  constructor(message: string, reason: "credentials" | "denied" | "unreachable", action: string) {
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

/** Turns credential, permission and network failures into {@link AwsUnavailableError}; anything else is returned as it is. */
export function explainFailure(error: unknown, action: string): unknown {
  const e = error as { name?: string; code?: string; Code?: string; message?: string; cause?: { code?: string } };
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
  return error;
}

/**
 * How a command ends on an error from AWS: exit 2 when AWS could not be asked (credentials, denied,
 * network), exit 1 when what was asked for does not exist. Anything else is unexpected: rethrown.
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
