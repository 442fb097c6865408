/**
 * Every credential of an IAM user, over the SDK: the listings (access keys, service-specific
 * credentials, SSH public keys, signing certificates, the console password, MFA devices, the
 * managed policies attached to it) and the calls that set one Inactive, delete a console password
 * or deactivate an MFA device. Each call goes through `send`, so its action is one declared below,
 * for the policies `permissions` prints. Nothing here decides: plan/credentials.ts does.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html
 */
import {
  DeactivateMFADeviceCommand,
  DeleteLoginProfileCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListMFADevicesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
  UpdateSigningCertificateCommand,
  UpdateSSHPublicKeyCommand,
  type AccessKeyMetadata,
  type AttachedPolicy,
  type GetUserCommandOutput,
} from "@aws-sdk/client-iam";
import { formatInstant } from "../incident/time.ts";
import type { CredentialKind, ListedCredential, UserListing } from "../plan/credentials.ts";
import type { CredentialIam } from "../program/credentials.ts";
import { allPages, send, type Clients } from "./clients.ts";
import { isNoSuchEntity, orIfMissing } from "./errors.ts";

/** What listing one user's credentials calls (`listUserCredentials`). Read-only. */
export const credentialReadPermissions: readonly string[] = [
  "iam:GetLoginProfile",
  "iam:GetUser",
  "iam:ListAccessKeys",
  "iam:ListAttachedUserPolicies",
  "iam:ListMFADevices",
  "iam:ListSSHPublicKeys",
  "iam:ListServiceSpecificCredentials",
  "iam:ListSigningCertificates",
];

/** The call that sets each kind Inactive (`setInactive`): what the components' provider calls too. */
export const INACTIVE_ACTION: Readonly<Record<CredentialKind, string>> = {
  "access-key": "iam:UpdateAccessKey",
  "service-specific-credential": "iam:UpdateServiceSpecificCredential",
  "ssh-public-key": "iam:UpdateSSHPublicKey",
  "signing-certificate": "iam:UpdateSigningCertificate",
};

/**
 * What `.github/scripts/first-strike.sh` calls with the AWS CLI, the contain workflow's first act:
 * who owns the key, disable it, then list and disable every other credential of the user.
 * test/first-strike.test.ts checks every call the script sends against this list.
 */
export const firstStrikePermissions: readonly string[] = [
  "iam:GetAccessKeyLastUsed",
  "iam:ListAccessKeys",
  "iam:ListSSHPublicKeys",
  "iam:ListServiceSpecificCredentials",
  "iam:ListSigningCertificates",
  "iam:UpdateAccessKey",
  "iam:UpdateSSHPublicKey",
  "iam:UpdateServiceSpecificCredential",
  "iam:UpdateSigningCertificate",
];

/** What the program does itself, where no Pulumi resource fits (program/credentials.ts). */
export const credentialWritePermissions: readonly string[] = ["iam:DeactivateMFADevice", "iam:DeleteLoginProfile"];

const instant = (date: Date | undefined) => (date === undefined ? null : formatInstant(date));

/** One credential as IAM lists it, whatever its kind: a field IAM leaves out is empty. */
function listed(
  kind: ListedCredential["kind"],
  id: string | undefined,
  status: string | undefined,
  created: Date | undefined,
): ListedCredential {
  return { kind, id: id ?? "", status: status ?? "", createdAt: instant(created) };
}

/**
 * A user's record, its attached managed policies and its access keys: what more than one question
 * about the user starts from (verify's cordon policy, listed keys and every credential; assess's
 * facts and every credential). Each is asked of IAM once per `userReads`, whichever question comes
 * first; a NoSuchEntity is kept too, and each question decides what a missing user means to it.
 */
export interface UserReads {
  user(name: string): Promise<GetUserCommandOutput>;
  attachedPolicies(name: string): Promise<AttachedPolicy[]>;
  accessKeys(name: string): Promise<AccessKeyMetadata[]>;
}

/** One command run's reads of its users (`UserReads`): IAM throttles, and a listing asked twice tells nothing new. */
export function userReads(clients: Clients): UserReads {
  const { iam } = clients;
  const asked = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, ask: () => Promise<T>): Promise<T> => {
    let answer = asked.get(key) as Promise<T> | undefined;
    if (answer === undefined) {
      answer = ask();
      asked.set(key, answer);
    }
    return answer;
  };
  return {
    user: (name) => once(`user ${name}`, () => send(iam, new GetUserCommand({ UserName: name }))),
    attachedPolicies: (name) =>
      once(`attached ${name}`, () =>
        allPages(
          (Marker) => send(iam, new ListAttachedUserPoliciesCommand({ UserName: name, Marker })),
          (page) => page.AttachedPolicies,
        ),
      ),
    accessKeys: (name) =>
      once(`access keys ${name}`, () =>
        allPages(
          (Marker) => send(iam, new ListAccessKeysCommand({ UserName: name, Marker })),
          (page) => page.AccessKeyMetadata,
        ),
      ),
  };
}

/** Everything IAM lists for one user; `reads`: the run's reads of its users, shared with its other questions. */
export async function listUserCredentials(
  clients: Clients,
  account: string,
  user: string,
  reads: UserReads = userReads(clients),
): Promise<UserListing> {
  const { iam } = clients;
  const empty: UserListing = {
    account,
    user,
    exists: false,
    credentials: [],
    loginProfile: null,
    mfaDevices: [],
    attachedPolicies: [],
  };
  const found = await orIfMissing(reads.user(user), () => null);
  if (found === null) return empty;
  const [accessKeys, serviceCredentials, sshKeys, certificates, loginProfile, mfaDevices, attached] = await Promise.all(
    [
      reads.accessKeys(user),
      // Not paginated: IAM lists a user's service-specific credentials in one answer (two per service).
      send(iam, new ListServiceSpecificCredentialsCommand({ UserName: user })).then(
        (page) => page.ServiceSpecificCredentials ?? [],
      ),
      allPages(
        (Marker) => send(iam, new ListSSHPublicKeysCommand({ UserName: user, Marker })),
        (page) => page.SSHPublicKeys,
      ),
      allPages(
        (Marker) => send(iam, new ListSigningCertificatesCommand({ UserName: user, Marker })),
        (page) => page.Certificates,
      ),
      orIfMissing(send(iam, new GetLoginProfileCommand({ UserName: user })), () => null),
      allPages(
        (Marker) => send(iam, new ListMFADevicesCommand({ UserName: user, Marker })),
        (page) => page.MFADevices,
      ),
      reads.attachedPolicies(user),
    ],
  );
  const credentials: ListedCredential[] = [
    ...accessKeys.map((k) => listed("access-key", k.AccessKeyId, k.Status, k.CreateDate)),
    ...serviceCredentials.map((c) => ({
      ...listed("service-specific-credential", c.ServiceSpecificCredentialId, c.Status, c.CreateDate),
      service: c.ServiceName ?? "",
    })),
    ...sshKeys.map((k) => listed("ssh-public-key", k.SSHPublicKeyId, k.Status, k.UploadDate)),
    ...certificates.map((c) => listed("signing-certificate", c.CertificateId, c.Status, c.UploadDate)),
  ];
  return {
    account,
    user,
    exists: true,
    credentials,
    loginProfile: loginProfile === null ? null : { createdAt: instant(loginProfile.LoginProfile?.CreateDate) },
    mfaDevices: mfaDevices.map((d) => ({ serial: d.SerialNumber ?? "", enabledAt: instant(d.EnableDate) })),
    attachedPolicies: attached.map((p) => p.PolicyName ?? ""),
  };
}

/** Sets one credential Inactive (what the components do through the provider; here for the first strike's checks and tests). */
export async function setInactive(
  clients: Clients,
  user: string,
  credential: Pick<ListedCredential, "kind" | "id">,
): Promise<void> {
  const { iam } = clients;
  switch (credential.kind) {
    case "access-key":
      await send(iam, new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: credential.id, Status: "Inactive" }));
      return;
    case "service-specific-credential":
      await send(
        iam,
        new UpdateServiceSpecificCredentialCommand({
          UserName: user,
          ServiceSpecificCredentialId: credential.id,
          Status: "Inactive",
        }),
      );
      return;
    case "ssh-public-key":
      await send(
        iam,
        new UpdateSSHPublicKeyCommand({ UserName: user, SSHPublicKeyId: credential.id, Status: "Inactive" }),
      );
      return;
    case "signing-certificate":
      await send(
        iam,
        new UpdateSigningCertificateCommand({ UserName: user, CertificateId: credential.id, Status: "Inactive" }),
      );
      return;
  }
}

/** The program's credential reads and irreversible acts (program/credentials.ts), over the SDK. */
export function credentialIam(clients: Clients): CredentialIam {
  return {
    listUser: (account, user) => listUserCredentials(clients, account, user),
    async deleteLoginProfile(user) {
      try {
        await send(clients.iam, new DeleteLoginProfileCommand({ UserName: user }));
        return "deleted";
      } catch (error) {
        if (isNoSuchEntity(error)) return "absent";
        throw error;
      }
    },
    async deactivateMfaDevice(user, serial) {
      try {
        await send(clients.iam, new DeactivateMFADeviceCommand({ UserName: user, SerialNumber: serial }));
        return "deactivated";
      } catch (error) {
        if (isNoSuchEntity(error)) return "absent";
        throw error;
      }
    },
  };
}
