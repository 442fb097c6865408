import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RoleDescription } from "../permissions/roles.ts";
import { declaration } from "../components/provider-calls.ts";

export interface AccountRoleArgs {
  /** One role of the accounts' description, its placeholders filled in (permissions/roles.ts). */
  role: RoleDescription;
}

/**
 * One of the roles cordon's workflows assume in an account: the role with its trust, and each of
 * its inline policies. Nothing is decided here: the name, the trust and the policies are the
 * description's, the same the StackSet template carries.
 */
export class AccountRole extends pulumi.ComponentResource {
  static readonly type = "cordon:bootstrap:AccountRole";

  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: AccountRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AccountRole.type, name, {}, opts);
    const { role: description } = args;
    const role = new aws.iam.Role(
      name,
      {
        name: description.name,
        path: description.path,
        description: description.description,
        assumeRolePolicy: JSON.stringify(description.trust),
        maxSessionDuration: description.maxSessionDuration,
      },
      { parent: this },
    );
    for (const policy of description.policies) {
      new aws.iam.RolePolicy(
        `${name}-${policy.name}`,
        { role: role.name, name: policy.name, policy: JSON.stringify(policy.document) },
        { parent: this },
      );
    }
    this.arn = role.arn;
    this.registerOutputs({ name: description.name, arn: this.arn });
  }
}

/**
 * What an administrator's credentials need to run the bootstrap project: the roles and their
 * inline policies, create to delete.
 */
export const accountRolePermissions: Record<string, string[]> = declaration(AccountRole.type, {
  "aws:iam/role:Role": ["create", "read", "update", "maxSessionDuration", "delete"],
  "aws:iam/rolePolicy:RolePolicy": ["create", "read", "update", "delete"],
});
