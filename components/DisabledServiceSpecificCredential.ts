import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DisabledCredentialPlan } from "../plan/credentials.ts";

export interface DisabledServiceSpecificCredentialArgs {
  /** One service-specific credential of `credentialsToDisable(...).others`. */
  credential: DisabledCredentialPlan & { kind: "service-specific-credential" };
}

/**
 * A service-specific credential of a compromised user (CodeCommit, Keyspaces, a Bedrock API key),
 * taken under management and set to `Inactive`. Imported by `service:user:id`, never created:
 * `serviceName`, `userName` and `credentialAgeDays` are the provider's ForceNew inputs
 * (terraform-provider-aws, service_specific_credential.go), whose change would create a new
 * credential with a new secret, so they are ignored and taken from the imported state. Removing
 * the incident keeps it as it is (disabled); cordon never deletes, resets or re-enables one.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateServiceSpecificCredential.html
 */
export class DisabledServiceSpecificCredential extends pulumi.ComponentResource {
  static readonly type = "cordon:iam:DisabledServiceSpecificCredential";

  readonly status: pulumi.Output<string | undefined>;

  constructor(name: string, args: DisabledServiceSpecificCredentialArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DisabledServiceSpecificCredential.type, name, {}, opts);
    const { user, id, status, service, importId } = args.credential;
    const credential = new aws.iam.ServiceSpecificCredential(
      name,
      { userName: user, serviceName: service ?? "", status },
      {
        parent: this,
        import: importId,
        retainOnDelete: true,
        ignoreChanges: ["userName", "serviceName", "credentialAgeDays"],
      },
    );
    this.status = credential.status;
    // Only identifiers and the status: the resource's secret outputs are never exported.
    this.registerOutputs({ serviceSpecificCredentialId: id, service, user, status: this.status });
  }
}

/** Import and refresh list the user's credentials of the service (the provider finds one so), update disables it. Never Create, Reset nor Delete. */
export const disabledServiceSpecificCredentialPermissions: Record<string, string[]> = {
  [DisabledServiceSpecificCredential.type]: [],
  "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": [
    "iam:ListServiceSpecificCredentials",
    "iam:UpdateServiceSpecificCredential",
  ],
};
