/**
 * The component that keeps each kind of credential (other than an access key: DisabledAccessKey)
 * Inactive, chosen by the plan's kind: what the program declares for `credentialsToDisable(...).others`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { DisabledCredentialPlan } from "../plan/credentials.ts";
import { DisabledServiceSpecificCredential } from "./DisabledServiceSpecificCredential.ts";
import { DisabledSigningCertificate } from "./DisabledSigningCertificate.ts";
import { DisabledSshPublicKey } from "./DisabledSshPublicKey.ts";

/** Declares the component of one credential, named after its plan's resource name. */
export function disabledCredential(
  credential: DisabledCredentialPlan,
  opts?: pulumi.ComponentResourceOptions,
): pulumi.ComponentResource {
  switch (credential.kind) {
    case "ssh-public-key":
      return new DisabledSshPublicKey(
        credential.resourceName,
        { credential: { ...credential, kind: credential.kind } },
        opts,
      );
    case "signing-certificate":
      return new DisabledSigningCertificate(
        credential.resourceName,
        { credential: { ...credential, kind: credential.kind } },
        opts,
      );
    case "service-specific-credential":
      return new DisabledServiceSpecificCredential(
        credential.resourceName,
        { credential: { ...credential, kind: credential.kind } },
        opts,
      );
  }
}
