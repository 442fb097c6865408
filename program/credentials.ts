/**
 * What the program reads and does to every credential of a compromised user, besides what its
 * components declare: the listing of each user's credentials (plan/credentials.ts decides their
 * fates), and the two acts no Pulumi resource can do without first creating a credential (see
 * docs/contain.md, "Console access"): deleting a console password and deactivating an MFA device.
 * aws/credentials.ts answers it with the AWS SDK; the tests answer it from moto.
 */
import { credentialPlan, irreversibleActions, type CredentialPlan, type UserListing } from "../plan/credentials.ts";
import type { ContainmentInstants } from "../plan/plan.ts";
import type { Incident } from "../incident/types.ts";

export interface CredentialIam {
  /** Everything IAM lists for the user; `exists: false` when IAM has no such user. */
  listUser(account: string, user: string): Promise<UserListing>;
  /** Deletes the user's console password; `absent` when it had none. Cannot be undone. */
  deleteLoginProfile(user: string): Promise<"deleted" | "absent">;
  /** Deactivates one MFA device of the user (the device itself is kept); `absent` when the user has no such device. */
  deactivateMfaDevice(user: string, serial: string): Promise<"deactivated" | "absent">;
}

/**
 * The credential plan of one account's share, from IAM's listing of every user the incidents name
 * there: what the program declares Inactive (credentialsToDisable) and what it must do itself
 * (irreversibleActions). One listing per user, whatever the incidents' spellings.
 */
export async function readCredentialPlan(incidents: readonly Incident[], account: string, iam: Pick<CredentialIam, "listUser">, containment: ContainmentInstants = {}): Promise<CredentialPlan> {
  const offline = credentialPlan(incidents, { account, containment });
  const listings = await Promise.all(offline.users.map((u) => iam.listUser(u.account, u.user)));
  return credentialPlan(incidents, { account, containment, listings });
}

/** What `pulumi up` (never preview) did with a plan's irreversible acts, one line each for its log. */
export async function applyIrreversible(credentials: CredentialPlan, iam: Pick<CredentialIam, "deleteLoginProfile" | "deactivateMfaDevice">): Promise<string[]> {
  const { deleteConsolePasswords, deactivateMfaDevices } = irreversibleActions(credentials);
  const lines: string[] = [];
  for (const { user } of deleteConsolePasswords) {
    const done = await iam.deleteLoginProfile(user);
    lines.push(
      done === "deleted"
        ? `deleted the console password of user ${user}: AWS cannot disable one, and the file does not keep it (keep: consolePassword: true); to restore console access, set a new password (aws iam create-login-profile --user-name ${user} --password-reset-required)`
        : `user ${user} has no console password any more: nothing to delete`,
    );
  }
  for (const { user, serial } of deactivateMfaDevices) {
    const done = await iam.deactivateMfaDevice(user, serial);
    lines.push(done === "deactivated" ? `deactivated MFA device ${serial} of user ${user} (the file asks it; the device is not deleted)` : `MFA device ${serial} of user ${user} is no longer there: nothing to deactivate`);
  }
  return lines;
}

/**
 * Centralized root access, from the organization stack (the management account, or the delegated
 * administrator for root access): delete a member account's root access keys. A separate choice in
 * the file (`rootUsers[].deleteAccessKeys`), because it cannot be undone: a root key is never
 * disabled, only deleted. Returns the ids deleted.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user-privileged-task.html
 */
export interface RootCredentials {
  deleteRootAccessKeys(account: string): Promise<string[]>;
}
