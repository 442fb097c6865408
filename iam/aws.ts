/**
 * The one door to AWS for the commands that ask IAM: clients with the SDK's default configuration
 * (credentials chain, retries, `AWS_ENDPOINT_URL`), pagination, and errors turned into sentences
 * that say what to do. Never prints a secret: messages name actions, codes and endpoints only.
 */
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
// Type-only: the SDK clients are built on these types (a dependency of every @aws-sdk client).
import type { Command, MetadataBearer } from "@smithy/types";

export interface Clients {
  iam: IAMClient;
  sts: STSClient;
}

/**
 * IAM is global, but the SDK still needs a region to sign with: the configured one, else us-east-1.
 * @default "us-east-1"
 */
export function awsClients(env: Record<string, string | undefined> = process.env): Clients {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
  return { iam: new IAMClient({ region }), sts: new STSClient({ region }) };
}

/** Any SDK client: `send` is typed per command below. */
type SdkClient = IAMClient | STSClient;

/**
 * The IAM action an SDK command needs: `GetUserCommand` sent by the IAM client is `iam:GetUser`.
 * `permissions` and its tests use the same mapping, so the declared lists are checked against the
 * calls the commands really make.
 */
export function actionOf(serviceId: string, command: object): string {
  return `${serviceId.toLowerCase().replace(/\s+/g, "")}:${command.constructor.name.replace(/Command$/, "")}`;
}

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
const REJECTED = new Set(["InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "UnrecognizedClientException"]);
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/** Sends one command; credential, permission and network failures become {@link AwsUnavailableError}. */
export async function send<Output extends MetadataBearer>(client: SdkClient, command: Command<any, any, any, Output, any>): Promise<Output> {
  const action = actionOf(client.config.serviceId, command);
  try {
    // The union of two clients' overloaded `send` is not callable as such; each command goes to its own client.
    return (await (client.send as (command: unknown) => Promise<unknown>).call(client, command)) as Output;
  } catch (error) {
    throw explainFailure(error, action);
  }
}

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
    return new AwsUnavailableError(`AWS rejected the credentials (${name || e.Code}) calling ${action}: refresh them (for SSO: \`aws sso login\`) and run again`, "credentials", action);
  }
  if (DENIED.has(name) || DENIED.has(e.Code ?? "")) {
    return new AwsUnavailableError(`access denied: the credentials may not call ${action}; grant them the commands policy that \`cordon permissions\` prints`, "denied", action);
  }
  const network = [e.code, e.cause?.code].find((code) => code !== undefined && NETWORK.has(code));
  if (network !== undefined || name === "TimeoutError") {
    return new AwsUnavailableError(`cannot reach AWS calling ${action} (${network ?? "timed out"}): check the network, AWS_ENDPOINT_URL and the proxy settings`, "unreachable", action);
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

/** Every page of a Marker/IsTruncated listing. */
export async function allPages<Page extends { IsTruncated?: boolean; Marker?: string }, T>(
  page: (marker: string | undefined) => Promise<Page>,
  items: (page: Page) => T[] | undefined,
): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const result = await page(marker);
    out.push(...(items(result) ?? []));
    marker = result.IsTruncated ? result.Marker : undefined;
  } while (marker !== undefined);
  return out;
}
