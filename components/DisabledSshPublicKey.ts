import * as aws from "@pulumi/aws";
import { disabledCredentialComponent } from "./disabled-credential-component.ts";
import { declaration } from "./provider-calls.ts";

/**
 * An SSH public key of a compromised user (AWS CodeCommit), taken under management and set to
 * `Inactive`. Imported by `user:id:SSH`, never created: `username`, `publicKey` and `encoding` are
 * the provider's ForceNew inputs (terraform-provider-aws, user_ssh_key.go), whose change would
 * replace the key, so they are ignored and the engine takes their values from the imported state.
 * Removing the incident keeps the key as it is (disabled); cordon never deletes or re-enables one.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSSHPublicKey.html
 */
export const DisabledSshPublicKey = disabledCredentialComponent<"ssh-public-key">({
  type: "cordon:iam:DisabledSshPublicKey",
  forceNew: ["username", "publicKey", "encoding"],
  // The public key's text is not the plan's to know: ignored, it is taken from the imported key.
  declare: (name, { user, status }, options) =>
    new aws.iam.SshKey(name, { username: user, encoding: "SSH", publicKey: "", status }, options),
  outputs: ({ id, user }) => ({ sshPublicKeyId: id, user }),
});

/** Import and refresh read the key, update disables it. Never Upload nor Delete. */
export const disabledSshPublicKeyPermissions: Record<string, string[]> = declaration(DisabledSshPublicKey.type, {
  "aws:iam/sshKey:SshKey": ["read", "update"],
});
