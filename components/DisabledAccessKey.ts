import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AccessKeyPlan } from "../plan/plan.ts";
import { declaration } from "./provider-calls.ts";

export interface DisabledAccessKeyArgs {
  /** One entry of `plan.accessKeys`. */
  accessKey: AccessKeyPlan;
}

/**
 * An exposed access key, taken under management and set to `Inactive`.
 *
 * The key is imported by its id, never created: a replacement of an `aws.iam.AccessKey` creates a
 * new key (and a secret nobody asked for), so nothing may ever make Pulumi replace it. `user` and
 * `pgpKey` are the inputs whose change would trigger a replacement; they are ignored, and the
 * program checks with IAM that the key belongs to the declared user before declaring anything.
 * Removing the incident keeps the key as it is (disabled): cordon never deletes or re-enables keys.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console
 */
export class DisabledAccessKey extends pulumi.ComponentResource {
  static readonly type = "cordon:iam:DisabledAccessKey";

  readonly accessKeyId: pulumi.Output<string>;
  /** `Inactive` once `pulumi up` has run. */
  readonly status: pulumi.Output<string | undefined>;
  /**
   * Resolves once the engine has answered the key's registration: its import and update are done,
   * or failed (with `pulumi up --continue-on-error`), or were only previewed. The program waits for
   * it without depending on the key, so that a key that fails cannot take anything else with it.
   */
  readonly settled: Promise<void>;

  constructor(name: string, args: DisabledAccessKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DisabledAccessKey.type, name, {}, opts);
    const { accessKeyId, user, status } = args.accessKey;
    const key = new aws.iam.AccessKey(
      name,
      { user, status },
      { parent: this, import: accessKeyId, retainOnDelete: true, ignoreChanges: ["user", "pgpKey"] },
    );
    this.accessKeyId = key.id;
    this.status = key.status;
    // The URN is known once the engine answers, whatever the step's outcome.
    this.settled = new Promise((resolve) => key.urn.apply(() => resolve()));
    // Only identifiers and the status: the resource's secret outputs are never exported.
    this.registerOutputs({ accessKeyId: this.accessKeyId, user, status: this.status });
  }
}

/**
 * What managing the key needs: import and refresh read it, update disables it. Never
 * CreateAccessKey (keys are imported) nor DeleteAccessKey (retainOnDelete).
 */
export const disabledAccessKeyPermissions: Record<string, string[]> = declaration(DisabledAccessKey.type, {
  "aws:iam/accessKey:AccessKey": ["import", "read", "update"],
});
