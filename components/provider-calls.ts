/**
 * What the AWS provider calls for each of its resource types cordon declares, by part of the
 * resource's life: the one home of these facts. Each component's permission declaration picks the
 * parts it uses (`declaration`): a retained resource picks no `delete`, a role that never changes
 * its session duration no `maxSessionDuration`. The deployer's policy is generated from those
 * declarations (components/permissions.ts), so a call written here once reaches every component
 * that declares the type.
 *
 * Read in terraform-provider-aws (the provider @pulumi/aws bridges), in the file each entry names.
 * A part lists the IAM actions its calls need, which are the calls' own names unless said
 * otherwise.
 */
import { compareText } from "../incident/order.ts";

/** The calls of one resource type, by part of its life. */
interface Calls {
  /** Where the provider makes them, in terraform-provider-aws. */
  readonly source: string;
  readonly [part: string]: readonly string[] | string;
}

export const PROVIDER_CALLS = {
  // The provider asks STS who its credentials are when it is configured (aws-sdk-go-base's
  // GetAwsAccountIDAndPartition, unless skipCredentialsValidation).
  "pulumi:providers:aws": { source: "internal/conns/config.go", configure: ["sts:GetCallerIdentity"] },
  // A compromised user's credentials are imported, refreshed and set Inactive: cordon never
  // creates, replaces or deletes one, so their create and delete are not here for a component to
  // pick (the deployer's policy denies them besides: permissions/policies.ts).
  "aws:iam/accessKey:AccessKey": {
    source: "internal/service/iam/access_key.go",
    // The import finds the key's user with GetAccessKeyLastUsed.
    import: ["iam:GetAccessKeyLastUsed"],
    read: ["iam:ListAccessKeys"],
    update: ["iam:UpdateAccessKey"],
  },
  "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": {
    source: "internal/service/iam/service_specific_credential.go",
    // The provider finds a credential among its user's credentials of the service.
    read: ["iam:ListServiceSpecificCredentials"],
    update: ["iam:UpdateServiceSpecificCredential"],
  },
  "aws:iam/signingCertificate:SigningCertificate": {
    source: "internal/service/iam/signing_certificate.go",
    // The provider finds a certificate among its user's certificates.
    read: ["iam:ListSigningCertificates"],
    update: ["iam:UpdateSigningCertificate"],
  },
  "aws:iam/sshKey:SshKey": {
    source: "internal/service/iam/user_ssh_key.go",
    read: ["iam:GetSSHPublicKey"],
    update: ["iam:UpdateSSHPublicKey"],
  },
  "aws:iam/role:Role": {
    source: "internal/service/iam/role.go",
    create: ["iam:CreateRole"],
    // The role with its tags (GetRole returns them, so never ListRoleTags), then its inline
    // policies, each read with GetRolePolicy, and its attached ones.
    read: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"],
    update: ["iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription"],
    // A change of maxSessionDuration alone goes through UpdateRole.
    maxSessionDuration: ["iam:UpdateRole"],
    // A role is created with its tags in CreateRole; a later change tags and untags.
    tags: ["iam:TagRole", "iam:UntagRole"],
    // Its instance profiles are listed (and left) before the role is deleted.
    delete: ["iam:DeleteRole", "iam:ListInstanceProfilesForRole"],
  },
  "aws:iam/rolePolicy:RolePolicy": {
    source: "internal/service/iam/role_policy.go",
    create: ["iam:PutRolePolicy"],
    read: ["iam:GetRolePolicy"],
    update: ["iam:PutRolePolicy"],
    delete: ["iam:DeleteRolePolicy"],
  },
  "aws:iam/userPolicy:UserPolicy": {
    source: "internal/service/iam/user_policy.go",
    create: ["iam:PutUserPolicy"],
    read: ["iam:GetUserPolicy"],
    update: ["iam:PutUserPolicy"],
    delete: ["iam:DeleteUserPolicy"],
  },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
    source: "internal/service/iam/role_policy_attachment.go",
    create: ["iam:AttachRolePolicy"],
    read: ["iam:ListAttachedRolePolicies"],
    delete: ["iam:DetachRolePolicy"],
  },
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": {
    source: "internal/service/iam/user_policy_attachment.go",
    create: ["iam:AttachUserPolicy"],
    read: ["iam:ListAttachedUserPolicies"],
    delete: ["iam:DetachUserPolicy"],
  },
  // Never ListEntitiesForPolicy (only the exclusive `aws.iam.PolicyAttachment` calls it) nor
  // ListPolicyTags (GetPolicy returns the tags).
  "aws:iam/policy:Policy": {
    source: "internal/service/iam/policy.go",
    create: ["iam:CreatePolicy"],
    read: ["iam:GetPolicy", "iam:GetPolicyVersion"],
    // A new version, after pruning the oldest when the policy holds five.
    update: ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:ListPolicyVersions"],
    tags: ["iam:TagPolicy", "iam:UntagPolicy"],
    // Its versions first, then the policy.
    delete: ["iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:ListPolicyVersions"],
  },
  "aws:organizations/policy:Policy": {
    source: "internal/service/organizations/policy.go",
    create: ["organizations:CreatePolicy"],
    read: ["organizations:DescribePolicy", "organizations:ListTagsForResource"],
    update: ["organizations:UpdatePolicy"],
    // The resource is tagged (@Tags(identifierAttribute="id")): a policy is created with its tags
    // in CreatePolicy, which Organizations allows only with TagResource too; a later change tags
    // and untags.
    // @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_tagging.html
    tags: ["organizations:TagResource", "organizations:UntagResource"],
    delete: ["organizations:DeletePolicy"],
  },
  "aws:organizations/policyAttachment:PolicyAttachment": {
    source: "internal/service/organizations/policy_attachment.go",
    create: ["organizations:AttachPolicy"],
    read: ["organizations:ListTargetsForPolicy"],
    delete: ["organizations:DetachPolicy"],
  },
  "aws:cloudwatch/eventRule:EventRule": {
    source: "internal/service/events/rule.go",
    create: ["events:PutRule"],
    read: ["events:DescribeRule", "events:ListTagsForResource"],
    update: ["events:PutRule"],
    delete: ["events:DeleteRule"],
  },
  "aws:cloudwatch/eventTarget:EventTarget": {
    source: "internal/service/events/target.go",
    // A target that names a role needs iam:PassRole for it.
    create: ["events:PutTargets", "iam:PassRole"],
    read: ["events:ListTargetsByRule"],
    update: ["events:PutTargets", "iam:PassRole"],
    delete: ["events:RemoveTargets"],
  },
  "aws:cloudwatch/eventConnection:EventConnection": {
    source: "internal/service/events/connection.go",
    // EventBridge creates its service-linked role on a first connection.
    create: ["events:CreateConnection", "iam:CreateServiceLinkedRole"],
    read: ["events:DescribeConnection"],
    update: ["events:UpdateConnection"],
    delete: ["events:DeleteConnection"],
    // EventBridge keeps the connection's credentials in a secret of Secrets Manager, which it
    // writes with the caller's rights; never GetSecretValue.
    secret: [
      "secretsmanager:CreateSecret",
      "secretsmanager:DeleteSecret",
      "secretsmanager:DescribeSecret",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecret",
    ],
  },
  "aws:cloudwatch/eventApiDestination:EventApiDestination": {
    source: "internal/service/events/api_destination.go",
    create: ["events:CreateApiDestination"],
    read: ["events:DescribeApiDestination"],
    update: ["events:UpdateApiDestination"],
    delete: ["events:DeleteApiDestination"],
  },
  // Every call names the queue by its URL; IAM authorizes it on the queue's ARN. Each write is
  // followed by GetQueueAttributes until SQS answers the attributes written (waitQueueAttributesPropagated),
  // and a delete by GetQueueAttributes until the queue is gone (waitQueueDeleted).
  "aws:sqs/queue:Queue": {
    source: "internal/service/sqs/queue.go",
    // A queue created without tags: CreateQueue alone (with tags it would need sqs:TagQueue too).
    create: ["sqs:CreateQueue", "sqs:GetQueueAttributes"],
    // Every attribute (QueueAttributeNameAll), then its tags: the resource's transparent tagging
    // (@Tags(identifierAttribute="id"), tags_gen.go's ListQueueTags).
    read: ["sqs:GetQueueAttributes", "sqs:ListQueueTags"],
    update: ["sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
    tags: ["sqs:TagQueue", "sqs:UntagQueue"],
    delete: ["sqs:DeleteQueue", "sqs:GetQueueAttributes"],
  },
  // The queue's Policy attribute (attribute_funcs.go's queueAttributeHandler): set, read, and set
  // to "" on delete, each write waited for with GetQueueAttributes.
  "aws:sqs/queuePolicy:QueuePolicy": {
    source: "internal/service/sqs/queue_policy.go",
    create: ["sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
    read: ["sqs:GetQueueAttributes"],
    update: ["sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
    delete: ["sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
  },
} as const satisfies Record<string, Calls>;

type ProviderCalls = typeof PROVIDER_CALLS;

/** The parts of a type's life that the provider makes calls for. */
export type Part<T extends keyof ProviderCalls> = Exclude<keyof ProviderCalls[T], "source">;

/** Resource type → the parts a component uses of it. */
export type Uses = { [T in keyof ProviderCalls]?: readonly Part<T>[] };

/** The actions of some parts of a type's life, sorted, without duplicates. */
export function providerCalls<T extends keyof ProviderCalls>(type: T, parts: readonly Part<T>[]): string[] {
  const calls: Calls = PROVIDER_CALLS[type];
  return [...new Set(parts.flatMap((part) => calls[part as string]))].sort(compareText);
}

/**
 * A component's permission declaration: its own type token (no action), then each type it
 * declares as a child with the actions of the parts it uses. The policy pack reads the children's
 * types from it (policy/policies.ts), the deployer's policy their actions.
 */
export function declaration(component: string, uses: Uses): Record<string, string[]> {
  return {
    [component]: [],
    ...Object.fromEntries(
      Object.entries(uses).map(([type, parts]) => [
        type,
        providerCalls(type as keyof ProviderCalls, parts as readonly Part<keyof ProviderCalls>[]),
      ]),
    ),
  };
}
