/**
 * What the program reads and does to every credential of a compromised user, besides what its
 * components declare: the listing of each user's credentials (plan/credentials.ts decides their
 * fates), and the two acts no Pulumi resource can do without first creating a credential (see
 * docs/contain.md, "Console access"): deleting a console password and deactivating an MFA device.
 * aws/credentials.ts answers it with the AWS SDK; the tests answer it from moto.
 */
import { credentialPlan, irreversibleActions, type CredentialPlan, type UserListing } from "../plan/credentials.ts";
import type { RootUserPlan } from "../plan/organization.ts";
import type { ContainmentInstants, Principal } from "../plan/plan.ts";
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
export async function readCredentialPlan(
  incidents: readonly Incident[],
  account: string,
  iam: Pick<CredentialIam, "listUser">,
  containment: ContainmentInstants = {},
  spellings: readonly Principal[] = [],
): Promise<CredentialPlan> {
  const offline = credentialPlan(incidents, { account, containment, spellings });
  const listings = await Promise.all(offline.users.map((u) => iam.listUser(u.account, u.user)));
  return credentialPlan(incidents, { account, containment, listings, spellings });
}

/**
 * What an act of the program did, for its log: `done` lines are info, `failed` lines errors (the run
 * goes on, and fails at its end: program/deploy.ts).
 */
export interface ActsDone {
  done: string[];
  failed: string[];
}

/**
 * What `pulumi up` (never preview) did with a plan's irreversible acts. Each act is tried whatever
 * happened to the others: a password that cannot be deleted must not keep an MFA device active.
 */
export async function applyIrreversible(
  credentials: CredentialPlan,
  iam: Pick<CredentialIam, "deleteLoginProfile" | "deactivateMfaDevice">,
): Promise<ActsDone> {
  const { deleteConsolePasswords, deactivateMfaDevices } = irreversibleActions(credentials);
  const acts = [
    ...deleteConsolePasswords.map(
      ({ user }) =>
        async () =>
          (await iam.deleteLoginProfile(user)) === "deleted"
            ? `deleted the console password of user ${user}: AWS cannot disable one, and the file does not keep it (keep: consolePassword: true); to restore console access, set a new password (aws iam create-login-profile --user-name ${user} --password-reset-required)`
            : `user ${user} has no console password any more: nothing to delete`,
    ),
    ...deactivateMfaDevices.map(
      ({ user, serial }) =>
        async () =>
          (await iam.deactivateMfaDevice(user, serial)) === "deactivated"
            ? `deactivated MFA device ${serial} of user ${user} (the file asks it; the device is not deleted)`
            : `MFA device ${serial} of user ${user} is no longer there: nothing to deactivate`,
    ),
  ];
  const what = [
    ...deleteConsolePasswords.map(({ user }) => `delete the console password of user ${user}`),
    ...deactivateMfaDevices.map(({ user, serial }) => `deactivate MFA device ${serial} of user ${user}`),
  ];
  return settle(acts, what);
}

/** What a preview says `pulumi up` will do that cannot be undone, or that no resource shows. */
export function irreversibleAtUp(credentials: CredentialPlan): string[] {
  const { deleteConsolePasswords, deactivateMfaDevices } = irreversibleActions(credentials);
  return [
    ...deleteConsolePasswords.map(
      ({ user }) =>
        `pulumi up will delete the console password of user ${user}: AWS cannot disable one, so it is deleted and lost (it cannot be undone; restore console access with a new password), unless the file keeps it (keep: consolePassword: true)`,
    ),
    ...deactivateMfaDevices.map(
      ({ user, serial }) =>
        `pulumi up will deactivate MFA device ${serial} of user ${user} (the file asks it: deactivateMfaDevices; the device is not deleted)`,
    ),
  ];
}

/** Runs every act, one after the other, each failure said with what it was. */
async function settle(acts: (() => Promise<string>)[], what: string[]): Promise<ActsDone> {
  const done: string[] = [];
  const failed: string[] = [];
  for (const [i, act] of acts.entries()) {
    try {
      done.push(await act());
    } catch (error) {
      failed.push(`could not ${what[i]}: ${(error as Error).message}`);
    }
  }
  return { done, failed };
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

/**
 * What `pulumi up` of the organization stack (never preview) did with the root users whose files ask
 * `deleteAccessKeys`: their access keys deleted through centralized root access.
 */
export async function deleteRootAccessKeys(roots: readonly RootUserPlan[], root: RootCredentials): Promise<ActsDone> {
  const asked = rootKeysToDelete(roots);
  const acts = asked.map(({ account, incidents }) => async () => {
    const deleted = await root.deleteRootAccessKeys(account);
    return deleted.length === 0
      ? `the root user of account ${account} has no access keys: nothing to delete (${incidents.join(", ")}: deleteAccessKeys)`
      : `deleted the root access keys ${deleted.join(", ")} of account ${account} through centralized root access (${incidents.join(", ")}: deleteAccessKeys); it cannot be undone`;
  });
  return settle(
    acts,
    asked.map(({ account }) => `delete the root access keys of account ${account} through centralized root access`),
  );
}

/** What a preview of the organization stack says `pulumi up` will do to root access keys. */
export function rootKeysAtUp(roots: readonly RootUserPlan[]): string[] {
  return rootKeysToDelete(roots).map(
    ({ account, incidents }) =>
      `pulumi up will delete every access key of the root user of account ${account} through centralized root access (sts:AssumeRoot, IAMDeleteRootUserCredentials; ${incidents.join(", ")}: deleteAccessKeys): it cannot be undone`,
  );
}

/** An incident asks to delete a root user's access keys, but the program has no way to (no centralized root access given). */
export function rootAccessProblem(roots: readonly RootUserPlan[], rootAccess: boolean): string | undefined {
  if (rootAccess || rootKeysToDelete(roots).length === 0) return undefined;
  return "cordon declared nothing: an incident asks to delete a root user's access keys, but the program was given no way to use centralized root access";
}

/** The root users whose keys are deleted: asked by a file, and in a member account (an SCP reaches it). */
function rootKeysToDelete(roots: readonly RootUserPlan[]): RootUserPlan[] {
  return roots.filter((root) => root.deleteAccessKeys && root.guardrail === "denied");
}
