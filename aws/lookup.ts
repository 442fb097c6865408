/**
 * The AWS shell of `cordon new`: who owns an exposed key, which account the credentials are in,
 * and which roles the user could assume (assess). Which roles the key and its sessions assumed is
 * the review's to say (review/lookup/assumed-roles.ts follows its chain on CloudTrail through
 * aws/cloudtrail.ts): aws/ makes the calls and never imports review/. Only read-only calls: the least-privilege policies are generated from
 * `newPermissions` and `newRolePermissions`, never hand-kept.
 */
import { GetAccessKeyLastUsedCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { assess } from "../assess/assessment.ts";
import type { RolesLookup } from "../incident/new-draft.ts";
import { awsClients, REQUEST_LIMITS, signingRegion } from "./clients.ts";
import { assessPermissions, readUserFacts } from "./iam.ts";
import { regionStatusPermissions } from "./regions.ts";

/** The IAM actions `cordon new` calls (with `--access-key` and no `--user`, or no `--account`). */
export const newPermissions = ["iam:GetAccessKeyLastUsed", "sts:GetCallerIdentity"];

/**
 * What `new --access-key` adds to find the roles to revoke: CloudTrail's LookupEvents (the roles
 * the key and its sessions assumed, `--roles-from cloudtrail`, the default), or what assess reads
 * (every role the user can assume, `--roles-from assumable`).
 */
export const newRolePermissions: Readonly<Record<"cloudtrail" | "assumable", readonly string[]>> = {
  // The account's enabled regions too: asked when an opt-in region refuses the credentials (aws/regions.ts).
  cloudtrail: ["cloudtrail:LookupEvents", ...regionStatusPermissions],
  assumable: assessPermissions,
};

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
  /**
   * The roles the key and every session it minted assumed between `since` and `until`, from
   * CloudTrail in every region, giving up at `deadline` (epoch milliseconds). Never throws: a
   * lookup that fails says why.
   */
  assumedRoles(accessKeyId: string, since: Date, until: Date, deadline: number): Promise<RolesLookup>;
  /** Every role of the account the user can assume (assess's reading of IAM). Never throws. */
  assumableRoles(user: string, account: string): Promise<RolesLookup>;
}

/** What a roles lookup found, as `new` writes it into the file (incident/new-draft.ts decides what it says). */
export type { RolesLookup };

/**
 * Clients with the SDK's default configuration: credentials from the usual chain, the endpoint
 * from AWS_ENDPOINT_URL when set (the SDK reads it natively), and the signing region of every
 * other command (IAM and STS answer from any region for these calls).
 */
export function awsLookup(env: Record<string, string | undefined>): Omit<Lookup, "assumedRoles"> {
  const region = signingRegion(env);
  // Built on first use: `new --user --account` never touches AWS, so it never builds a client.
  let iam: IAMClient | undefined;
  let sts: STSClient | undefined;
  return {
    async keyOwner(accessKeyId) {
      try {
        const result = await (iam ??= new IAMClient({ region, ...REQUEST_LIMITS })).send(
          new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
        );
        if (!result.UserName) throw new LookupError({ kind: "no-such-key", accessKeyId });
        return result.UserName;
      } catch (error) {
        throw asLookupError(error, "iam:GetAccessKeyLastUsed", accessKeyId);
      }
    },
    async account() {
      try {
        const result = await (sts ??= new STSClient({ region, ...REQUEST_LIMITS })).send(
          new GetCallerIdentityCommand({}),
        );
        if (!result.Account)
          throw new LookupError({
            kind: "failed",
            action: "sts:GetCallerIdentity",
            message: "the answer names no account",
          });
        return result.Account;
      } catch (error) {
        throw asLookupError(error, "sts:GetCallerIdentity");
      }
    },
    async assumableRoles(user, account) {
      try {
        const assessment = assess(await readUserFacts(awsClients(env), user, account, null));
        return {
          kind: "found",
          roleArns: assessment.assumableRoles,
          source: "IAM (the roles whose trust and the user's policies allow it)",
          failed: [],
          elsewhere: assessment.assumableRolesInOtherAccounts,
        };
      } catch (error) {
        return { kind: "failed", reason: `IAM could not be read: ${(error as Error).message}` };
      }
    },
  };
}

/** The longest reason a lookup gives: it goes into a comment line of the file and one line of stderr. */
const REASON_MAX = 300;

/**
 * A reason on one line: an answer's body may be a page of HTML (a proxy's or an emulator's 500)
 * or hold line breaks; tags and runs of white space go, and it is cut at {@link REASON_MAX}.
 */
export function oneLine(text: string): string {
  const flat = text
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length <= REASON_MAX ? flat : `${flat.slice(0, REASON_MAX - 3)}...`;
}

function asLookupError(error: unknown, action: string, accessKeyId?: string): LookupError {
  if (error instanceof LookupError) return error;
  const name = (error as { name?: string }).name ?? "";
  if (name === "CredentialsProviderError") return new LookupError({ kind: "no-credentials" });
  if (name === "NoSuchEntityException" || name === "NoSuchEntity")
    return new LookupError({ kind: "no-such-key", accessKeyId: accessKeyId ?? "" });
  // IAM answers AccessDenied both when these credentials may not call the action and when the
  // key belongs to another account: the caller cannot tell the two apart.
  if (name === "AccessDeniedException" || name === "AccessDenied")
    return new LookupError({ kind: "access-denied", accessKeyId, action });
  if (name === "TimeoutError") {
    const { maxAttempts, requestHandler } = REQUEST_LIMITS;
    return new LookupError({
      kind: "failed",
      action,
      message: `no answer within ${requestHandler.requestTimeout / 1000} s, ${maxAttempts} times (TimeoutError)`,
    });
  }
  return new LookupError({
    kind: "failed",
    action,
    message: oneLine(`${name ? `${name}: ` : ""}${(error as Error).message ?? String(error)}`),
  });
}

/**
 * How `new` ends on a failed lookup: exit 2 when IAM could not be asked, exit 1 when it does not
 * know the key. Each message says how to go on without the lookup (--user and --account).
 */
export function lookupFailure(problem: LookupProblem): { exit: 1 | 2; message: string } {
  switch (problem.kind) {
    case "no-credentials":
      return {
        exit: 2,
        message:
          "no AWS credentials found to ask IAM who owns the key: pass --user NAME and --account ID, or run with credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
      };
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
      return {
        exit: 2,
        message: `could not call ${problem.action}: ${problem.message}; pass --user NAME and --account ID to write the file without AWS`,
      };
  }
}
