import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DisabledCredentialPlan } from "../plan/credentials.ts";

export interface DisabledSshPublicKeyArgs {
  /** One SSH public key of `credentialsToDisable(...).others`. */
  credential: DisabledCredentialPlan & { kind: "ssh-public-key" };
}

/**
 * An SSH public key of a compromised user (AWS CodeCommit), taken under management and set to
 * `Inactive`. Imported by `user:id:SSH`, never created: `username`, `publicKey` and `encoding` are
 * the provider's ForceNew inputs (terraform-provider-aws, user_ssh_key.go), whose change would
 * replace the key, so they are ignored and the engine takes their values from the imported state.
 * Removing the incident keeps the key as it is (disabled); cordon never deletes or re-enables one.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSSHPublicKey.html
 */
export class DisabledSshPublicKey extends pulumi.ComponentResource {
  static readonly type = "cordon:iam:DisabledSshPublicKey";

  readonly status: pulumi.Output<string>;

  constructor(name: string, args: DisabledSshPublicKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DisabledSshPublicKey.type, name, {}, opts);
    const { user, id, status, importId } = args.credential;
    const key = new aws.iam.SshKey(
      name,
      // The public key's text is not the plan's to know: ignored, it is taken from the imported key.
      { username: user, encoding: "SSH", publicKey: "", status },
      { parent: this, import: importId, retainOnDelete: true, ignoreChanges: ["username", "publicKey", "encoding"] },
    );
    this.status = key.status;
    this.registerOutputs({ sshPublicKeyId: id, user, status: this.status });
  }
}

/** Import and refresh read the key (GetSSHPublicKey), update disables it. Never Upload nor Delete. */
export const disabledSshPublicKeyPermissions: Record<string, string[]> = {
  [DisabledSshPublicKey.type]: [],
  "aws:iam/sshKey:SshKey": ["iam:GetSSHPublicKey", "iam:UpdateSSHPublicKey"],
};
