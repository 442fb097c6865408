import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { POLICY_TYPE, type OrganizationPolicyPlan } from "../plan/organization.ts";
import { filledDocument } from "./filled-document.ts";
import { declaration } from "./provider-calls.ts";

export interface OrganizationGuardrailArgs {
  /** One entry of `plan.organizationPolicies`. */
  policy: OrganizationPolicyPlan;
  /**
   * The instant the organization stack recorded for each incident in `policy.pendingContainment`
   * (`ContainmentInstant.instant`).
   * @default {}
   */
  containment?: Record<string, pulumi.Input<string>>;
  /**
   * The guardrails declared before this one (`GuardrailDeclaration.after`): its state depends on
   * them, so that a later run deletes none of them unless this one's step succeeded.
   * @default []
   */
  after?: pulumi.Resource[];
  /**
   * The resource name the document had in a stack deployed before slots
   * (`GuardrailDeclaration.formerName`): the component, its policy and its attachments take it as
   * an alias, so that the engine updates them in place.
   */
  formerName?: string;
  /**
   * Keep the policy's name and content as Organizations has them (`GuardrailDeclaration.keepAsIs`):
   * a slot the plan dropped, whose statements the lower slots do not hold live yet. Created (were it
   * not there) with `policy`'s document.
   * @default false
   */
  keepAsIs?: boolean;
}

/**
 * One SCP or RCP document of the organization guardrails, attached to each target, declared by
 * the stack configured with `cordon:organization` only.
 *
 * Its resource name is its slot's (`cordon-scp-slot-0`), stable; the policy's `name` is the plan's,
 * derived from the ids of its statements. A document whose statements change is the same policy
 * updated in place, one UpdatePolicy of its name and content, its attachments untouched, so that no
 * moment goes without the guardrail, whichever step fails. (Read in terraform-provider-aws,
 * internal/service/organizations/policy.go, which @pulumi/aws bridges: of `aws_organizations_policy`
 * only `type` is ForceNew; `name`, `description` and `content` are updated by UpdatePolicy; and
 * policy_attachment.go: `policy_id` and `target_id` are ForceNew. pulumi-aws's resources.go maps the
 * type with no delete-before-replace and no auto-naming. Not run against AWS: the engine stand-in's
 * rows model the same, emulators/engine/rows.ts.) Nothing is retained: an incident removed (once
 * guard allows) takes its statements with it. The content is the plan's document, its containment
 * filled in (`filledDocument`).
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies.html
 */
export class OrganizationGuardrail extends pulumi.ComponentResource {
  static readonly type = "cordon:organizations:OrganizationGuardrail";

  /** The document as sent to Organizations. */
  readonly content: pulumi.Output<string>;

  constructor(name: string, args: OrganizationGuardrailArgs, opts?: pulumi.ComponentResourceOptions) {
    const former = args.formerName;
    const alias = (suffix = "") => (former === undefined ? {} : { aliases: [{ name: `${former}${suffix}` }] });
    const after = args.after ?? [];
    super(OrganizationGuardrail.type, name, {}, { ...opts, ...alias(), dependsOn: after });
    const { policy } = args;
    this.content = filledDocument(policy.name, "guardrail", policy, args.containment);
    const declared = new aws.organizations.Policy(
      name,
      {
        name: policy.name,
        type: POLICY_TYPE[policy.kind],
        // Constant: the incidents it answers are in its statement ids (and the stack outputs).
        description:
          "cordon: denies the principals of active incidents (see each statement's id); managed by Pulumi, do not edit",
        content: this.content,
      },
      {
        parent: this,
        dependsOn: after,
        ...alias(),
        ...(args.keepAsIs ? { ignoreChanges: ["name", "content", "description"] } : {}),
      },
    );
    for (const target of policy.targets) {
      new aws.organizations.PolicyAttachment(
        `${name}-${target}`,
        { policyId: declared.id, targetId: target },
        { parent: this, ...alias(`-${target}`) },
      );
    }
    if (args.keepAsIs) {
      this.registerOutputs({ kind: policy.kind, keptAsIs: true, targets: policy.targets });
      return;
    }
    this.registerOutputs({
      kind: policy.kind,
      name: policy.name,
      incidents: policy.incidents,
      targets: policy.targets,
      content: this.content,
    });
  }
}

/**
 * What the guardrails need, create to delete. The policy sets no tags of its own, but the stack's
 * `aws:defaultTags` (which the policy pack allows: organizations may require them) reach it as
 * `tagsAll`, and then CreatePolicy carries them: without TagResource, the first guardrail of an
 * incident would be refused.
 */
export const organizationGuardrailPermissions: Record<string, string[]> = declaration(OrganizationGuardrail.type, {
  "aws:organizations/policy:Policy": ["create", "read", "update", "tags", "delete"],
  "aws:organizations/policyAttachment:PolicyAttachment": ["create", "read", "delete"],
});
