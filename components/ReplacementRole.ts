import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ReplacementRolePlan } from "../plan/plan.ts";
import { declaration } from "./provider-calls.ts";

export interface ReplacementRoleArgs {
  /** One entry of `plan.replacementRoles`. */
  role: ReplacementRolePlan;
  /**
   * Its incident's containment (the `SessionRevocation` components of its principals, and its
   * `ContainmentInstant` when this stack records one): the role is registered only once they are
   * done, so a role that fails to be created can never delay or prevent them.
   * @default []
   */
  after?: pulumi.Resource[];
}

/**
 * The new access path that replaces a long-lived key: a role with the trust, policies and maximum
 * session duration of the incident file.
 *
 * Everything here is `retainOnDelete`: once the incident is removed, whoever moved to the role
 * must keep working, so Pulumi forgets the role and its policies instead of deleting them. For the
 * same reason a policy taken out of the file stays on the role until someone removes it in IAM.
 * The role lives under cordon's path and carries its incident's tag (both from the plan): the
 * deployer may change only roles under that path, and the tag tells a later run the role is this
 * incident's.
 */
export class ReplacementRole extends pulumi.ComponentResource {
  static readonly type = "cordon:iam:ReplacementRole";

  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: ReplacementRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    const after = args.after ?? [];
    super(ReplacementRole.type, name, {}, { ...opts, dependsOn: after });
    const plan = args.role;
    const kept = { parent: this, retainOnDelete: true };
    // Children do not inherit their parent's dependsOn: the role waits for the containment itself
    // (its policies wait for the role, through its name).
    const role = new aws.iam.Role(
      name,
      {
        name: plan.name,
        path: plan.path,
        description: `Replacement access path for incident ${plan.incident} (cordon); kept when the incident is removed`,
        assumeRolePolicy: JSON.stringify(plan.assumeRolePolicy),
        maxSessionDuration: plan.maxSessionDuration,
        tags: plan.tags,
      },
      { ...kept, dependsOn: after },
    );
    for (const policyArn of plan.managedPolicyArns) {
      new aws.iam.RolePolicyAttachment(`${name}-${policyArnName(policyArn)}`, { role: role.name, policyArn }, kept);
    }
    for (const [policyName, document] of Object.entries(plan.inlinePolicies)) {
      new aws.iam.RolePolicy(
        `${name}-${policyName}`,
        { role: role.name, name: policyName, policy: JSON.stringify(document) },
        kept,
      );
    }
    this.arn = role.arn;
    this.registerOutputs({ name: plan.name, arn: this.arn });
  }
}

/**
 * `aws:policy/job-function/ViewOnlyAccess` for `arn:aws:iam::aws:policy/job-function/ViewOnlyAccess`:
 * the owner and path of the policy, which identify it within the account's partition. The ARN's
 * `::` cannot appear in a resource name, because Pulumi separates the parts of a URN with it.
 */
export function policyArnName(arn: string): string {
  return arn.split(":").slice(4).join(":");
}

/**
 * What the replacement roles need: no delete, as the role and its policies are retained. The role
 * carries its incident's tag.
 */
export const replacementRolePermissions: Record<string, string[]> = declaration(ReplacementRole.type, {
  "aws:iam/role:Role": ["create", "read", "update", "maxSessionDuration", "tags"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["create", "read"],
  "aws:iam/rolePolicy:RolePolicy": ["create", "read", "update"],
});
