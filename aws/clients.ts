/**
 * The one door to AWS: every call cordon's commands make goes through aws/, and only aws/ imports
 * the AWS SDK. Here: IAM and STS clients with the SDK's default configuration (credentials chain,
 * retries, `AWS_ENDPOINT_URL`), sending with errors explained (errors.ts), and pagination.
 */
import { IAMClient } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";
// Type-only: `doctor` alone builds an SQS client (aws/doctor.ts), so no other command loads it.
import type { SQSClient } from "@aws-sdk/client-sqs";
// Type-only: the SDK clients are built on these types (a dependency of every @aws-sdk client).
import type { Command, MetadataBearer } from "@smithy/types";
import { explainFailure } from "./errors.ts";

export interface Clients {
  iam: IAMClient;
  sts: STSClient;
  /** Only the organization stack and verify's organization checks call it (aws/organizations.ts). */
  organizations: OrganizationsClient;
}

/**
 * How long one request may take, and how many times it is tried: no call of cordon's may hang on an
 * endpoint that accepts the connection and never answers (a wedged proxy or emulator, a route that
 * swallows packets), or it would hold `new`, the program or the contain workflow until the job's own
 * timeout. The SDK's own means, on every IAM, STS and Organizations client: the NodeHttpHandler's
 * connection timeout and whole-request timeout (`throwOnRequestTimeout`: without it, smithy's
 * handler only logs a warning when the request timeout passes) and the standard retry strategy's
 * attempts, which retry a timeout like any transient error. These calls answer in well under a
 * second; five seconds is generous, and three attempts ride out one slow answer.
 * @see https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 */
export const REQUEST_LIMITS = {
  /** @default 3 (the SDK's default too) */
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
} as const;

/**
 * The longest one call can take on an endpoint that never answers: every attempt runs out its
 * request timeout, and the standard strategy waits between attempts (at most 100 ms × 2^n, jittered,
 * for a transient error; @smithy/util-retry). Rounded up.
 */
export const CALL_BOUND_SECONDS = Math.ceil(
  (REQUEST_LIMITS.maxAttempts * REQUEST_LIMITS.requestHandler.requestTimeout + 1_000) / 1000,
);

/**
 * IAM and STS are global, but the SDK still needs a region to sign with: the configured one, else
 * us-east-1.
 * @default "us-east-1"
 */
export function signingRegion(env: Record<string, string | undefined>): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
}

export function awsClients(env: Record<string, string | undefined> = process.env): Clients {
  const region = signingRegion(env);
  // Organizations is global too (its endpoint is in us-east-1); the SDK needs a region all the same.
  const config = { region, ...REQUEST_LIMITS };
  return { iam: new IAMClient(config), sts: new STSClient(config), organizations: new OrganizationsClient(config) };
}

/** Any SDK client: `send` is typed per command below. */
type SdkClient = IAMClient | STSClient | OrganizationsClient | SQSClient;

/**
 * The IAM action an SDK command needs: `GetUserCommand` sent by the IAM client is `iam:GetUser`.
 * `permissions` and its tests use the same mapping, so the declared lists are checked against the
 * calls the commands really make.
 */
export function actionOfCommand(serviceId: string, command: object): string {
  return `${serviceId.toLowerCase().replace(/\s+/g, "")}:${command.constructor.name.replace(/Command$/, "")}`;
}

/** Sends one command; credential, permission and network failures become {@link AwsUnavailableError}. */
export async function send<Output extends MetadataBearer>(
  client: SdkClient,
  // biome-ignore lint/suspicious/noExplicitAny: any command of any client: the SDK types each input and its middleware apart
  command: Command<any, any, any, Output, any>,
): Promise<Output> {
  const action = actionOfCommand(client.config.serviceId, command);
  try {
    // The union of two clients' overloaded `send` is not callable as such; each command goes to its own client.
    return (await (client.send as (command: unknown) => Promise<unknown>).call(client, command)) as Output;
  } catch (error) {
    throw explainFailure(error, action);
  }
}

/** Every page of a Marker/IsTruncated listing (IAM). */
export function allPages<Page extends { IsTruncated?: boolean; Marker?: string }, T>(
  page: (marker: string | undefined) => Promise<Page>,
  items: (page: Page) => T[] | undefined,
): Promise<T[]> {
  return pagesFollowing(page, items, (result) => (result.IsTruncated ? result.Marker : undefined));
}

/** Every page of a NextToken listing (Organizations). */
export function tokenPages<Page extends { NextToken?: string }, T>(
  page: (token: string | undefined) => Promise<Page>,
  items: (page: Page) => T[] | undefined,
): Promise<T[]> {
  return pagesFollowing(page, items, (result) => result.NextToken);
}

/** Every page of a listing: the first, then each that `next` names, until it names none. */
async function pagesFollowing<Page, T>(
  page: (next: string | undefined) => Promise<Page>,
  items: (page: Page) => T[] | undefined,
  next: (page: Page) => string | undefined,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const result = await page(token);
    out.push(...(items(result) ?? []));
    token = next(result);
  } while (token !== undefined);
  return out;
}
