/**
 * What the Pulumi program checks before it declares anything: the incident files, the account of
 * the deploying credentials, and the owner of every key. A run either declares the whole plan or
 * fails having declared nothing: a half-declared plan would make Pulumi delete the remediations of
 * the incidents it did not reach.
 *
 * Each check answers with the reason the run must stop, or undefined. They ask AWS through the
 * functions they are given (index.ts passes Pulumi's invokes), so they run in a test without Pulumi.
 * @see ../docs/program.md
 */
import { formatDiagnostic, type Diagnostic } from "../incident/diagnostics.ts";
import type { AccessKeyPlan } from "../plan/plan.ts";

/** While any incident file is invalid, nothing is planned and nothing is declared. */
export function invalidFilesProblem(incidentsDir: string, errors: Diagnostic[]): string | undefined {
  if (errors.length === 0) return undefined;
  const count = errors.length === 1 ? "1 problem" : `${errors.length} problems`;
  return [`cordon declared nothing: ${count} in the incident files (\`npx cordon validate ${incidentsDir}\` shows the same):`, ...errors.map(formatDiagnostic)].join("\n");
}

/** Deploying one account's incidents with another account's credentials would disable nothing. */
export async function credentialsProblem(account: string, callerAccount: () => Promise<string>): Promise<string | undefined> {
  const accountId = await callerAccount();
  if (accountId === account) return undefined;
  return `cordon declared nothing: the deploying credentials belong to account ${accountId}, but this stack deploys account ${account} (config cordon:account); use credentials of account ${account}, or the stack of account ${accountId}`;
}

/**
 * Every key must be a key of the user the file names. The AccessKey resource ignores changes of
 * its user, because Pulumi would answer them by replacing the key, that is by creating a new one;
 * so a wrong user must be caught here, with IAM's own list (`accessKeysOf`, asked once per user).
 */
export async function keyOwnersProblem(keys: AccessKeyPlan[], accessKeysOf: (user: string) => Promise<string[]>): Promise<string | undefined> {
  const users = [...new Set(keys.map((key) => key.user))].sort();
  const listed = new Map<string, string[]>();
  for (const user of users) {
    try {
      listed.set(user, (await accessKeysOf(user)).sort());
    } catch (error) {
      const incidents = [...new Set(keys.filter((key) => key.user === user).flatMap((key) => key.incidents))];
      return `cordon declared nothing: cannot list the access keys of user ${user} (incident ${incidents.join(", ")}): ${(error as Error).message}`;
    }
  }
  const problems = keys
    .filter((key) => !listed.get(key.user)!.includes(key.accessKeyId))
    .map((key) => {
      const owned = listed.get(key.user)!;
      return `incident ${key.incidents.join(", ")}: access key ${key.accessKeyId} is not a key of user ${key.user} (IAM lists for ${key.user}: ${owned.length > 0 ? owned.join(", ") : "no access keys"})`;
    });
  if (problems.length === 0) return undefined;
  const count = problems.length === 1 ? "1 access key is" : `${problems.length} access keys are`;
  return [
    `cordon declared nothing: ${count} not listed under the declared user; name the user that owns each key (Pulumi would replace a key whose user changed, and a replacement creates a new key):`,
    ...problems,
  ].join("\n");
}
