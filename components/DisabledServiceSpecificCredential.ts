import * as aws from "@pulumi/aws";
import { disabledCredentialComponent } from "./disabled-credential-component.ts";
import { declaration } from "./provider-calls.ts";

/**
 * A service-specific credential of a compromised user (CodeCommit, Keyspaces, a Bedrock API key),
 * taken under management and set to `Inactive`. Imported by `service:user:id`, never created:
 * `serviceName`, `userName` and `credentialAgeDays` are the provider's ForceNew inputs
 * (terraform-provider-aws, service_specific_credential.go), whose change would create a new
 * credential with a new secret, so they are ignored and taken from the imported state. Removing
 * the incident keeps it as it is (disabled); cordon never deletes, resets or re-enables one.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateServiceSpecificCredential.html
 */
export const DisabledServiceSpecificCredential = disabledCredentialComponent<"service-specific-credential">({
  type: "cordon:iam:DisabledServiceSpecificCredential",
  forceNew: ["userName", "serviceName", "credentialAgeDays"],
  declare: (name, { user, service, status }, options) =>
    new aws.iam.ServiceSpecificCredential(name, { userName: user, serviceName: service ?? "", status }, options),
  // Only identifiers and the status: the resource's secret outputs are never exported.
  outputs: ({ id, service, user }) => ({ serviceSpecificCredentialId: id, service, user }),
});

/** Import and refresh read the credential, update disables it. Never Create, Reset nor Delete. */
export const disabledServiceSpecificCredentialPermissions: Record<string, string[]> = declaration(
  DisabledServiceSpecificCredential.type,
  { "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": ["read", "update"] },
);
