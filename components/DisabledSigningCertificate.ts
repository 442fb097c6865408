import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DisabledCredentialPlan } from "../plan/credentials.ts";

export interface DisabledSigningCertificateArgs {
  /** One signing certificate of `credentialsToDisable(...).others`. */
  credential: DisabledCredentialPlan & { kind: "signing-certificate" };
}

/**
 * An X.509 signing certificate of a compromised user, taken under management and set to
 * `Inactive`. Imported by `id:user`, never created: `certificateBody` and `userName` are the
 * provider's ForceNew inputs (terraform-provider-aws, signing_certificate.go), ignored so that
 * nothing can replace it; their values come from the imported state. Removing the incident keeps it
 * as it is (disabled); cordon never deletes or re-enables one.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSigningCertificate.html
 */
export class DisabledSigningCertificate extends pulumi.ComponentResource {
  static readonly type = "cordon:iam:DisabledSigningCertificate";

  readonly status: pulumi.Output<string | undefined>;

  constructor(name: string, args: DisabledSigningCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DisabledSigningCertificate.type, name, {}, opts);
    const { user, id, status, importId } = args.credential;
    const certificate = new aws.iam.SigningCertificate(
      name,
      // The certificate's body is not the plan's to know: ignored, it is taken from the imported certificate.
      { userName: user, certificateBody: "", status },
      { parent: this, import: importId, retainOnDelete: true, ignoreChanges: ["userName", "certificateBody"] },
    );
    this.status = certificate.status;
    this.registerOutputs({ certificateId: id, user, status: this.status });
  }
}

/** Import and refresh list the user's certificates (the provider finds one so), update disables it. Never Upload nor Delete. */
export const disabledSigningCertificatePermissions: Record<string, string[]> = {
  [DisabledSigningCertificate.type]: [],
  "aws:iam/signingCertificate:SigningCertificate": ["iam:ListSigningCertificates", "iam:UpdateSigningCertificate"],
};
