import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { POLICY_TYPE, type OrganizationPolicyPlan, type StateGuardrail } from "../plan/organization.ts";

import { filledDocument } from "./filled-document.ts";
import { declaration } from "./provider-calls.ts";

export interface OrganizationGuardrailArgs {
  /**
   * One entry of `plan.organizationPolicies`; or a superseded guardrail of this stack's state,
   * declared again as the state holds it (its content never updated) until its replacements are
   * attached (program/organization.ts, supersededToKeep).
   */
  policy: OrganizationPolicyPlan | StateGuardrail;
  /**
   * The instant the organization stack recorded for each incident in `policy.pendingContainment`
   * (`ContainmentInstant.instant`).
   * @default {}
   */
  containment?: Record<string, pulumi.Input<string>>;
}

/**
 * One SCP or RCP document of the organization guardrails, attached to each target, declared by
 * the stack configured with `cordon:organization` only.
 *
 * The policy's name is the plan's, derived from the ids of its statements: a document whose
 * statements change becomes a new policy. The program keeps declaring the one it replaces, as it
 * is, until a run finds the new one attached to every target; only the run after that deletes it,
 * so that no failed step leaves a target without the guardrail (the program checks that each
 * target has room for both meanwhile). Nothing is retained: an incident removed (once guard allows)
 * takes its statements with it, one run after its replacement is attached. The content is the
 * plan's document, its containment filled in (`filledDocument`).
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies.html
 */
export class OrganizationGuardrail extends pulumi.ComponentResource {
  static readonly type = "cordon:organizations:OrganizationGuardrail";

  /** The document as sent to Organizations. */
  readonly content: pulumi.Output<string>;

  constructor(name: string, args: OrganizationGuardrailArgs, opts?: pulumi.ComponentResourceOptions) {
    super(OrganizationGuardrail.type, name, {}, opts);
    const { policy } = args;
    const kept = "content" in policy;
    this.content = kept ? pulumi.output(policy.content) : filledDocument(name, "guardrail", policy, args.containment);
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
      // A superseded document is kept as it is: never rewritten, only deleted once replaced.
      { parent: this, ...(kept ? { ignoreChanges: ["content"] } : {}) },
    );
    for (const target of policy.targets) {
      new aws.organizations.PolicyAttachment(
        `${name}-${target}`,
        { policyId: declared.id, targetId: target },
        { parent: this },
      );
    }
    this.registerOutputs({
      kind: policy.kind,
      name: policy.name,
      incidents: "incidents" in policy ? policy.incidents : [],
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
