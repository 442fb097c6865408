import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { INCIDENT_TAG, POLICY_PATH, type DenyPolicy } from "../plan/plan.ts";
import { filledDocument } from "./filled-document.ts";
import { declaration } from "./provider-calls.ts";

export interface SessionRevocationArgs {
  /** One entry of `plan.denyPolicies`. */
  policy: DenyPolicy;
  /**
   * The recorded containment instant of each incident in `policy.pendingContainment`
   * (`ContainmentInstant.instant`).
   * @default {}
   */
  containment?: Record<string, pulumi.Input<string>>;
  /**
   * Keep the document IAM has (`ignoreChanges`): the program found no room for the new one, and a
   * deny left out would be deleted.
   * @default false
   */
  keepAsIs?: boolean;
}

/** The tag that names, on a managed deny policy, one incident the policy answers. */
export const INCIDENT_TAG_PREFIX = `${INCIDENT_TAG}:`;

/**
 * The deny policy of one principal: a customer managed policy attached to a user (or to a role
 * without room for an inline policy), or an inline policy on a role (or on a user without a free
 * attachment for the managed one): the plan decides which, and why. The document is the plan's, its containment filled in (`filledDocument`).
 */
export class SessionRevocation extends pulumi.ComponentResource {
  static readonly type = "cordon:iam:SessionRevocation";

  /** The policy document as sent to IAM. */
  readonly document: pulumi.Output<string>;

  constructor(name: string, args: SessionRevocationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SessionRevocation.type, name, {}, opts);
    const { policy } = args;
    this.document = filledDocument(name, "deny", policy, args.containment);

    const { type, name: principal } = policy.principal;
    const keep = args.keepAsIs ? { ignoreChanges: ["policy"] } : {};
    if (policy.attachment === "managed") {
      const managed = new aws.iam.Policy(
        name,
        {
          name: policy.policyName,
          path: POLICY_PATH,
          // IAM cannot change a policy's description: it must not depend on the incidents, or
          // adding one would replace the policy and leave the user without a deny for a moment.
          description: `Denies sessions of IAM ${type} ${principal} issued before an incident's cutoff (cordon; see the ${INCIDENT_TAG_PREFIX}* tags)`,
          policy: this.document,
          tags: Object.fromEntries(policy.incidents.map((id) => [`${INCIDENT_TAG_PREFIX}${id}`, ""])),
        },
        { parent: this, ...keep },
      );
      if (type === "user")
        new aws.iam.UserPolicyAttachment(name, { user: principal, policyArn: managed.arn }, { parent: this });
      else new aws.iam.RolePolicyAttachment(name, { role: principal, policyArn: managed.arn }, { parent: this });
    } else if (type === "user") {
      new aws.iam.UserPolicy(
        name,
        { user: principal, name: policy.policyName, policy: this.document },
        { parent: this, ...keep },
      );
    } else {
      new aws.iam.RolePolicy(
        name,
        { role: principal, name: policy.policyName, policy: this.document },
        { parent: this, ...keep },
      );
    }
    this.registerOutputs({ principal: policy.principal, incidents: policy.incidents, document: this.document });
  }
}

/**
 * What the deny policies need, create to delete (they are removed once the incident expired); the
 * attachment is deleted first, by its own resource.
 */
export const sessionRevocationPermissions: Record<string, string[]> = declaration(SessionRevocation.type, {
  "aws:iam/policy:Policy": ["create", "read", "update", "tags", "delete"],
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": ["create", "read", "delete"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["create", "read", "delete"],
  "aws:iam/rolePolicy:RolePolicy": ["create", "read", "update", "delete"],
  "aws:iam/userPolicy:UserPolicy": ["create", "read", "update", "delete"],
});
