/**
 * Centralized root access (program/credentials.ts's RootCredentials): from the organization stack's
 * account, `sts:AssumeRoot` into a member account's root user with the task policy
 * IAMDeleteRootUserCredentials (a session of at most 15 minutes that can only delete the root
 * user's credentials), then that session lists the root user's access keys and deletes each. Only
 * for an incident whose file asks it (`rootUsers[].deleteAccessKeys`): it cannot be undone. No secret
 * is kept or printed: the session's credentials live in the client only.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/security-iam-awsmanpol.html#security-iam-awsmanpol-IAMDeleteRootUserCredentials
 */
import { DeleteAccessKeyCommand, IAMClient, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { AssumeRootCommand } from "@aws-sdk/client-sts";
import { DELETE_ROOT_CREDENTIALS_TASK_POLICY } from "../plan/organization.ts";
import type { RootCredentials } from "../program/credentials.ts";
import { allPages, REQUEST_LIMITS, send, signingRegion, type Clients } from "./clients.ts";
import { AwsUnavailableError } from "./errors.ts";

/** What the organization stack's role calls: AssumeRoot, with that one task policy (permissions/policies.ts scopes it). */
export const rootCredentialPermissions: readonly string[] = ["sts:AssumeRoot"];

/** What the root session itself calls, which the task policy IAMDeleteRootUserCredentials grants. */
export const ROOT_TASK_ACTIONS: readonly string[] = ["iam:DeleteAccessKey", "iam:ListAccessKeys"];

/** The shortest session AssumeRoot gives, and its longest: 900 seconds. */
const ROOT_SESSION_SECONDS = 900;

export function rootCredentials(
  clients: Clients,
  env: Record<string, string | undefined> = process.env,
): RootCredentials {
  return {
    async deleteRootAccessKeys(account) {
      const session = await send(
        clients.sts,
        new AssumeRootCommand({
          TargetPrincipal: account,
          TaskPolicyArn: { arn: DELETE_ROOT_CREDENTIALS_TASK_POLICY },
          DurationSeconds: ROOT_SESSION_SECONDS,
        }),
      );
      const credentials = session.Credentials;
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey)
        throw new Error(`sts:AssumeRoot into account ${account} gave no credentials`);
      const root = new IAMClient({
        region: signingRegion(env),
        ...REQUEST_LIMITS,
        credentials: {
          accessKeyId: credentials.AccessKeyId,
          secretAccessKey: credentials.SecretAccessKey,
          sessionToken: credentials.SessionToken,
        },
      });
      try {
        // Without a user name, IAM answers for the caller: the root user of the member account.
        const keys = await allPages(
          (Marker) => send(root, new ListAccessKeysCommand({ Marker })),
          (page) => page.AccessKeyMetadata,
        );
        const deleted: string[] = [];
        for (const key of keys) {
          if (!key.AccessKeyId) continue;
          await send(root, new DeleteAccessKeyCommand({ AccessKeyId: key.AccessKeyId }));
          deleted.push(key.AccessKeyId);
        }
        return deleted.sort();
      } catch (error) {
        // The deployer's permissions are not what denies the root session: an SCP is.
        if (error instanceof AwsUnavailableError && error.reason === "denied")
          throw new Error(rootSessionDenied(account, error.action));
        throw error;
      } finally {
        root.destroy();
      }
    },
  };
}

/**
 * Why the root session could not list or delete the root user's keys: a service control policy
 * denies the root user. cordon's own spares a centralized root access session (`Null
 * aws:AssumedRoot`); one attached before it did is brought up to date by this same run, after the
 * acts, so the next run deletes the keys.
 */
export function rootSessionDenied(account: string, action: string): string {
  return `access denied to the root session of account ${account} (sts:AssumeRoot) calling ${action}: a service control policy denies it. cordon's own spares such sessions (Null aws:AssumedRoot), and this run brings an older one up to date: run pulumi up again; if it is still denied, another SCP denies the root user`;
}
