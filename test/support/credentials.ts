/**
 * A compromised user with every kind of credential IAM has, seeded through the SDK against moto
 * behind emulators/service-credentials.ts (moto lacks service-specific credentials): what an
 * attacker adds to a user whose key leaked. Only ids are kept: the secrets IAM returns (access
 * keys, service passwords, the console password) are never looked at, never printed.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  type IAMClient,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
} from "@aws-sdk/client-iam";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "credentials");
/** A self-signed certificate and an SSH public key, made for these tests (their private keys were thrown away). */
export const SIGNING_CERTIFICATE = readFileSync(join(FIXTURES, "signing-certificate.pem"), "utf8");
export const SSH_PUBLIC_KEY = readFileSync(join(FIXTURES, "ssh-public-key.pub"), "utf8").trim();

export interface SeededUser {
  user: string;
  accessKeys: string[];
  sshPublicKeys: string[];
  signingCertificates: string[];
  serviceSpecificCredentials: { id: string; service: string }[];
  mfaDevices: string[];
}

export interface SeedOptions {
  accessKeys?: number;
  sshPublicKeys?: number;
  signingCertificates?: number;
  /** One credential per service named. */
  services?: string[];
  consolePassword?: boolean;
  mfaDevices?: string[];
}

/**
 * Every kind at once: two access keys (the exposed one and another), an SSH key, a signing
 * certificate, two services' credentials, a console password and an MFA device.
 */
export const EVERY_KIND: SeedOptions = {
  accessKeys: 2,
  sshPublicKeys: 1,
  signingCertificates: 1,
  services: ["codecommit.amazonaws.com", "bedrock.amazonaws.com"],
  consolePassword: true,
  mfaDevices: ["attacker"],
};

export async function seedUser(iam: IAMClient, user: string, options: SeedOptions = {}): Promise<SeededUser> {
  await iam.send(new CreateUserCommand({ UserName: user }));
  const seeded: SeededUser = {
    user,
    accessKeys: [],
    sshPublicKeys: [],
    signingCertificates: [],
    serviceSpecificCredentials: [],
    mfaDevices: [],
  };
  for (let i = 0; i < (options.accessKeys ?? 1); i++)
    seeded.accessKeys.push((await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!);
  for (let i = 0; i < (options.sshPublicKeys ?? 0); i++) {
    seeded.sshPublicKeys.push(
      (await iam.send(new UploadSSHPublicKeyCommand({ UserName: user, SSHPublicKeyBody: SSH_PUBLIC_KEY })))
        .SSHPublicKey!.SSHPublicKeyId!,
    );
  }
  for (let i = 0; i < (options.signingCertificates ?? 0); i++) {
    seeded.signingCertificates.push(
      (await iam.send(new UploadSigningCertificateCommand({ UserName: user, CertificateBody: SIGNING_CERTIFICATE })))
        .Certificate!.CertificateId!,
    );
  }
  for (const service of options.services ?? []) {
    const created = await iam.send(
      new CreateServiceSpecificCredentialCommand({ UserName: user, ServiceName: service }),
    );
    seeded.serviceSpecificCredentials.push({
      id: created.ServiceSpecificCredential!.ServiceSpecificCredentialId!,
      service,
    });
  }
  if (options.consolePassword)
    await iam.send(
      new CreateLoginProfileCommand({ UserName: user, Password: `${randomBytes(18).toString("base64")}aA1!` }),
    );
  for (const name of options.mfaDevices ?? []) {
    const device = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
    const serial = device.VirtualMFADevice!.SerialNumber!;
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: user,
        SerialNumber: serial,
        AuthenticationCode1: "123456",
        AuthenticationCode2: "654321",
      }),
    );
    seeded.mfaDevices.push(serial);
  }
  return seeded;
}
