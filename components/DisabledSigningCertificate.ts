import * as aws from "@pulumi/aws";
import { disabledCredentialComponent } from "./disabled-credential-component.ts";
import { declaration } from "./provider-calls.ts";

/**
 * An X.509 signing certificate of a compromised user, taken under management and set to
 * `Inactive`. Imported by `id:user`, never created: `certificateBody` and `userName` are the
 * provider's ForceNew inputs (terraform-provider-aws, signing_certificate.go), ignored so that
 * nothing can replace it; their values come from the imported state. Removing the incident keeps it
 * as it is (disabled); cordon never deletes or re-enables one.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSigningCertificate.html
 */
export const DisabledSigningCertificate = disabledCredentialComponent<"signing-certificate">({
  type: "cordon:iam:DisabledSigningCertificate",
  forceNew: ["userName", "certificateBody"],
  // The certificate's body is not the plan's to know: ignored, it is taken from the imported certificate.
  declare: (name, { user, status }, options) =>
    new aws.iam.SigningCertificate(name, { userName: user, certificateBody: "", status }, options),
  outputs: ({ id, user }) => ({ certificateId: id, user }),
});

/** Import and refresh read the certificate, update disables it. Never Upload nor Delete. */
export const disabledSigningCertificatePermissions: Record<string, string[]> = declaration(
  DisabledSigningCertificate.type,
  { "aws:iam/signingCertificate:SigningCertificate": ["read", "update"] },
);
