/**
 * What the components of a user's other credentials share (DisabledSshPublicKey,
 * DisabledSigningCertificate, DisabledServiceSpecificCredential): each is one provider resource,
 * imported by the plan's import id and never created, set to the plan's status, kept on delete
 * (cordon never deletes, resets or re-enables one), its ForceNew inputs ignored so that nothing
 * can replace it, their values taken from the imported state. Each component's file keeps its
 * type token, its resource and its ForceNew inputs; this is only the way they are declared.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DisabledCredentialPlan } from "../plan/credentials.ts";

type Kind = DisabledCredentialPlan["kind"];
/** One credential of `credentialsToDisable(...).others`, of one kind. */
export type DisabledCredentialOf<K extends Kind> = DisabledCredentialPlan & { kind: K };

export interface DisabledCredentialArgs<K extends Kind> {
  /** One credential of `credentialsToDisable(...).others`, of the component's kind. */
  credential: DisabledCredentialOf<K>;
}

export interface DisabledCredentialComponent<K extends Kind> {
  /** The component's type token. */
  type: string;
  /**
   * The provider's ForceNew inputs (terraform-provider-aws): a change of one would replace the
   * credential, creating a new one with a new secret, so they are ignored.
   */
  forceNew: string[];
  /** Declares the provider's resource of `credential`, with the options given. */
  declare(
    name: string,
    credential: DisabledCredentialOf<K>,
    options: pulumi.CustomResourceOptions,
  ): { status: pulumi.Output<string | undefined> };
  /** What the stack records besides the status: identifiers only, never a secret output. */
  outputs(credential: DisabledCredentialOf<K>): pulumi.Inputs;
}

/** The ComponentResource class of one kind of credential, under `component.type`. */
export function disabledCredentialComponent<K extends Kind>(component: DisabledCredentialComponent<K>) {
  return class extends pulumi.ComponentResource {
    static readonly type = component.type;

    readonly status: pulumi.Output<string | undefined>;

    constructor(name: string, args: DisabledCredentialArgs<K>, opts?: pulumi.ComponentResourceOptions) {
      super(component.type, name, {}, opts);
      const { credential } = args;
      const declared = component.declare(name, credential, {
        parent: this,
        import: credential.importId,
        retainOnDelete: true,
        ignoreChanges: component.forceNew,
      });
      this.status = declared.status;
      this.registerOutputs({ ...component.outputs(credential), status: this.status });
    }
  };
}
