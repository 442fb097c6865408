/**
 * The AWS shell of `cordon new`: who owns an exposed key, and which account the credentials are in.
 * Only read-only calls, and only these two: the deployer's least-privilege policy is generated
 * from `newPermissions`, never hand-kept.
 */
import { GetAccessKeyLastUsedCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { signingRegion } from "./clients.ts";

/** The IAM actions `cordon new` calls (with `--access-key` and no `--user`, or no `--account`). */
export const newPermissions = ["iam:GetAccessKeyLastUsed", "sts:GetCallerIdentity"];

/** Why a lookup failed; `new` turns each into its own message and exit code. */
export type LookupProblem =
  | { kind: "no-credentials" }
  | { kind: "no-such-key"; accessKeyId: string }
  | { kind: "access-denied"; accessKeyId?: string; action: string }
  | { kind: "failed"; action: string; message: string };

export class LookupError extends Error {
  readonly problem: LookupProblem;

  constructor(problem: LookupProblem) {
    super(problem.kind);
    this.problem = problem;
  }
}

export interface Lookup {
  /** The user that owns each key, from IAM's GetAccessKeyLastUsed (it returns UserName). */
  keyOwner(accessKeyId: string): Promise<string>;
  /** The account of the credentials in use, from STS GetCallerIdentity. */
  account(): Promise<string>;
}

/**
 * Clients with the SDK's default configuration: credentials from the usual chain, the endpoint
 * from AWS_ENDPOINT_URL when set (the SDK reads it natively), and the signing region of every
 * other command (IAM and STS answer from any region for these calls).
 */
export function awsLookup(env: Record<string, string | undefined>): Lookup {
  const region = signingRegion(env);
  // Built on first use: `new --user --account` never touches AWS, so it never builds a client.
  let iam: IAMClient | undefined;
  let sts: STSClient | undefined;
  return {
    async keyOwner(accessKeyId) {
      try {
        const result = await (iam ??= new IAMClient({ region })).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
        if (!result.UserName) throw new LookupError({ kind: "no-such-key", accessKeyId });
        return result.UserName;
      } catch (error) {
        throw asLookupError(error, "iam:GetAccessKeyLastUsed", accessKeyId);
      }
    },
    async account() {
      try {
        const result = await (sts ??= new STSClient({ region })).send(new GetCallerIdentityCommand({}));
        if (!result.Account) throw new LookupError({ kind: "failed", action: "sts:GetCallerIdentity", message: "the answer names no account" });
        return result.Account;
      } catch (error) {
        throw asLookupError(error, "sts:GetCallerIdentity");
      }
    },
  };
}

function asLookupError(error: unknown, action: string, accessKeyId?: string): LookupError {
  if (error instanceof LookupError) return error;
  const name = (error as { name?: string }).name ?? "";
  if (name === "CredentialsProviderError") return new LookupError({ kind: "no-credentials" });
  if (name === "NoSuchEntityException" || name === "NoSuchEntity") return new LookupError({ kind: "no-such-key", accessKeyId: accessKeyId ?? "" });
  // IAM answers AccessDenied both when these credentials may not call the action and when the
  // key belongs to another account: the caller cannot tell the two apart.
  if (name === "AccessDeniedException" || name === "AccessDenied") return new LookupError({ kind: "access-denied", accessKeyId, action });
  return new LookupError({ kind: "failed", action, message: `${name ? `${name}: ` : ""}${(error as Error).message ?? String(error)}` });
}

/**
 * How `new` ends on a failed lookup: exit 2 when IAM could not be asked, exit 1 when it does not
 * know the key. Each message says how to go on without the lookup (--user and --account).
 */
export function lookupFailure(problem: LookupProblem): { exit: 1 | 2; message: string } {
  switch (problem.kind) {
    case "no-credentials":
      return { exit: 2, message: "no AWS credentials found to ask IAM who owns the key: pass --user NAME and --account ID, or run with credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)" };
    case "no-such-key":
      return {
        exit: 1,
        message: `--access-key ${problem.accessKeyId}: IAM has no such key in the credentials' account (NoSuchEntity): check the key id; for a key already deleted, pass --user NAME to revoke the sessions it minted`,
      };
    case "access-denied":
      return {
        exit: 2,
        message: `${problem.accessKeyId ? `--access-key ${problem.accessKeyId}: ` : ""}IAM denied ${problem.action} (AccessDenied): these credentials may not call it${problem.accessKeyId ? ", or the key belongs to another account" : ""}; pass --user NAME and --account ID, or use credentials allowed ${problem.action} in the key's account`,
      };
    case "failed":
      return { exit: 2, message: `could not call ${problem.action}: ${problem.message}; pass --user NAME and --account ID to write the file without AWS` };
  }
}
