/**
 * Least privilege, generated: the actions each AWS-calling command declares here (and `review`,
 * `new` and the components declare beside their code) become the policies `cordon permissions`
 * prints. Tests record the calls the commands really send and fail on any that is not declared,
 * so the lists cannot drift from the code. Pure.
 */
import { AUTO_CONTAIN_PREFIX, AUTO_CONTAIN_REGION, AUTO_CONTAIN_ROLE_PATH } from "../plan/auto-contain.ts";
import { POLICY_PATH, ROLE_MANAGED_POLICY_PREFIX, ROLE_PATH, ROLE_POLICY_NAME } from "../plan/plan.ts";
import type { PolicyDocument, PolicyStatement } from "../plan/policies.ts";
import { compareText } from "../incident/order.ts";
import { list, wildcardMatch } from "../plan/policy-grammar.ts";

/** One statement of the deploy policy, with the reason for its scope (printed beside the policy). */
interface Scope {
  sid: string;
  /** The declared actions it grants. An action may be granted by several statements, each with its own scope. */
  match: RegExp;
  resource: string | string[];
  condition?: PolicyStatement["Condition"];
  why: string;
}

const CORDON_POLICIES = `arn:aws:iam::*:policy${POLICY_PATH}*`;
const CORDON_ROLE_DENY_POLICIES = `arn:aws:iam::*:policy${POLICY_PATH}${ROLE_MANAGED_POLICY_PREFIX}*`;
const CORDON_ROLES = `arn:aws:iam::*:role${ROLE_PATH}*`;
const AUTO_CONTAIN_ROLES = `arn:aws:iam::*:role${AUTO_CONTAIN_ROLE_PATH}*`;
const AUTO_CONTAIN_EVENTS = (type: string) => `arn:aws:events:${AUTO_CONTAIN_REGION}:*:${type}/${AUTO_CONTAIN_PREFIX}*`;

/**
 * Where each deploy action is granted. Every scope an action matches grants it there; an action no
 * scope matches stops the generation, so a new action is never granted on `*` by accident. The
 * account is `*` because IAM's API acts only on the caller's own account: a wildcard there reaches
 * nothing more.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 */
const SCOPES: readonly Scope[] = [
  {
    sid: "AttachOnlyCordonPoliciesToUsers",
    match: /^iam:(AttachUserPolicy|DetachUserPolicy)$/,
    resource: "arn:aws:iam::*:user/*",
    condition: { ArnLike: { "iam:PolicyARN": CORDON_POLICIES } },
    why: `any user an incident names, but only cordon's own policies (iam:PolicyARN under ${POLICY_PATH})`,
  },
  {
    sid: "AttachOnlyCordonDenyPoliciesToRoles",
    match: /^iam:(AttachRolePolicy|DetachRolePolicy)$/,
    resource: "arn:aws:iam::*:role/*",
    condition: { ArnLike: { "iam:PolicyARN": CORDON_ROLE_DENY_POLICIES } },
    why: `any role an incident names, but only cordon's managed deny for roles without room for the inline one (iam:PolicyARN ${POLICY_PATH}${ROLE_MANAGED_POLICY_PREFIX}*)`,
  },
  {
    sid: "CordonManagedPolicies",
    match:
      /^iam:(CreatePolicy|CreatePolicyVersion|DeletePolicy|DeletePolicyVersion|GetPolicy|GetPolicyVersion|ListPolicyVersions|SetDefaultPolicyVersion|TagPolicy|UntagPolicy)$/,
    resource: CORDON_POLICIES,
    why: `only cordon's managed policies: they live under the path ${POLICY_PATH} (keep the deployer's own policy elsewhere)`,
  },
  {
    sid: "CordonRoles",
    match:
      /^iam:(AttachRolePolicy|CreateRole|TagRole|UntagRole|UpdateAssumeRolePolicy|UpdateRole|UpdateRoleDescription)$/,
    resource: CORDON_ROLES,
    why: `only roles under ${ROLE_PATH}, the replacement roles cordon creates: the deployer cannot change the trust of, or attach a policy to, any other role`,
  },
  {
    sid: "RevokeSessionsOfAnyRole",
    match: /^iam:(DeleteRolePolicy|GetRole|GetRolePolicy|ListAttachedRolePolicies|ListRolePolicies|PutRolePolicy)$/,
    resource: "arn:aws:iam::*:role/*",
    why: `any role: incident files name the roles whose sessions to revoke (the inline policy ${ROLE_POLICY_NAME}), so no name is known in advance; the program reads each role's room first (review those files: CODEOWNERS)`,
  },
  {
    sid: "RevokeSessionsOfAnyUser",
    match: /^iam:(DeleteUserPolicy|GetUserPolicy|ListUserPolicies|PutUserPolicy)$/,
    resource: "arn:aws:iam::*:user/*",
    why: `any user: a compromised user whose managed-policy attachments are full (its key's holder may fill them) gets its deny as the inline policy ${ROLE_POLICY_NAME}; the program reads each user's room first, and the policy pack lets only Deny statements through`,
  },
  {
    sid: "Users",
    match:
      /^iam:(DeactivateMFADevice|DeleteLoginProfile|GetAccessKeyLastUsed|GetLoginProfile|GetSSHPublicKey|GetUser|ListAccessKeys|ListAttachedUserPolicies|ListMFADevices|ListSSHPublicKeys|ListServiceSpecificCredentials|ListSigningCertificates|UpdateAccessKey|UpdateSSHPublicKey|UpdateServiceSpecificCredential|UpdateSigningCertificate)$/,
    resource: "arn:aws:iam::*:user/*",
    why: "any user: incident files name them, so no name is known in advance; every credential of a compromised user is listed and set Inactive, its console password deleted unless kept, an MFA device deactivated when the file asks",
  },
  {
    sid: "AutoContainRule",
    match: /^events:(DeleteRule|DescribeRule|ListTagsForResource|ListTargetsByRule|PutRule|PutTargets|RemoveTargets)$/,
    resource: AUTO_CONTAIN_EVENTS("rule"),
    why: `auto-contain's rule and its target only (cordon:autoContain): ${AUTO_CONTAIN_REGION}, names starting ${AUTO_CONTAIN_PREFIX}`,
  },
  {
    sid: "AutoContainConnection",
    match: /^events:(CreateConnection|DeleteConnection|DescribeConnection|UpdateConnection)$/,
    resource: AUTO_CONTAIN_EVENTS("connection"),
    why: `auto-contain's connection to GitHub only: ${AUTO_CONTAIN_REGION}, names starting ${AUTO_CONTAIN_PREFIX}`,
  },
  {
    sid: "AutoContainApiDestination",
    match: /^events:(CreateApiDestination|DeleteApiDestination|DescribeApiDestination|UpdateApiDestination)$/,
    resource: AUTO_CONTAIN_EVENTS("api-destination"),
    why: `auto-contain's API destination only: ${AUTO_CONTAIN_REGION}, names starting ${AUTO_CONTAIN_PREFIX}`,
  },
  {
    sid: "AutoContainDeadLetterQueue",
    match: /^sqs:(CreateQueue|DeleteQueue|GetQueueAttributes|ListQueueTags|SetQueueAttributes|TagQueue|UntagQueue)$/,
    resource: `arn:aws:sqs:${AUTO_CONTAIN_REGION}:*:${AUTO_CONTAIN_PREFIX}*`,
    why: `auto-contain's dead-letter queue only: ${AUTO_CONTAIN_REGION}, names starting ${AUTO_CONTAIN_PREFIX}; never ReceiveMessage or SendMessage: the deployer neither reads nor writes the events waiting there`,
  },
  {
    sid: "AutoContainConnectionSecret",
    match: /^secretsmanager:(CreateSecret|DeleteSecret|DescribeSecret|PutSecretValue|UpdateSecret)$/,
    resource: `arn:aws:secretsmanager:${AUTO_CONTAIN_REGION}:*:secret:events!connection/${AUTO_CONTAIN_PREFIX}*`,
    why: "the secret EventBridge keeps for auto-contain's connection, which it writes with the caller's rights; never GetSecretValue: the deployer cannot read the GitHub token",
  },
  {
    sid: "EventBridgeApiDestinationsServiceLinkedRole",
    match: /^iam:CreateServiceLinkedRole$/,
    resource:
      "arn:aws:iam::*:role/aws-service-role/apidestinations.events.amazonaws.com/AWSServiceRoleForAmazonEventBridgeApiDestinations",
    condition: { StringEquals: { "iam:AWSServiceName": "apidestinations.events.amazonaws.com" } },
    why: "the role EventBridge creates, on a first connection, to reach its secrets; no other service-linked role",
  },
  {
    sid: "AutoContainRole",
    match: /^iam:(DeleteRole|ListInstanceProfilesForRole)$/,
    resource: AUTO_CONTAIN_ROLES,
    why: `the role EventBridge assumes for auto-contain, deleted when it is turned off: only under ${AUTO_CONTAIN_ROLE_PATH}, where no replacement role lives (those stay)`,
  },
  {
    sid: "PassAutoContainRoleToEventBridge",
    match: /^iam:PassRole$/,
    resource: AUTO_CONTAIN_ROLES,
    condition: { StringEquals: { "iam:PassedToService": "events.amazonaws.com" } },
    why: `auto-contain's own role, to EventBridge only: no other role can be handed to a service`,
  },
  {
    sid: "NoResourceScope",
    match: /^(sts:GetCallerIdentity|iam:GetAccountSummary|iam:ListUsers)$/,
    resource: "*",
    why: "these actions take no resource",
  },
];

/**
 * Every way of taking a role's rights, with the session's tags: what none of cordon's four roles
 * ever does. AssumeRoleWithWebIdentity and AssumeRoleWithSAML are called with a token, not with
 * the role's session, so no policy of the role reaches them: only a trust decides those, which is
 * why validate and the policy pack refuse a replacement role trusting cordon's own repository
 * (incident/own-roles.ts). They are denied all the same, so that the statement says every form.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_assumerole.html
 */
export const ASSUME_ROLE_ACTIONS = [
  "sts:AssumeRole",
  "sts:AssumeRoleWithSAML",
  "sts:AssumeRoleWithWebIdentity",
  "sts:TagSession",
] as const;

/** The Deny of {@link ASSUME_ROLE_ACTIONS} on every role. */
const ASSUME_NO_ROLE: PolicyStatement = {
  Sid: "AssumeNoRole",
  Effect: "Deny",
  Action: [...ASSUME_ROLE_ACTIONS],
  Resource: "*",
};

const TOKEN_CALLS =
  "; AssumeRoleWithWebIdentity and AssumeRoleWithSAML take a token, not this role's session, so only a role's trust decides them: validate and the policy pack refuse a replacement role trusting cordon's own roles or repository";

/**
 * `policy` with a Deny of every way of assuming a role (`AssumeNoRole`): for the preview, verify
 * and contain roles, which need no other role's rights. A replacement role is created by the
 * deployer with whatever policy its file names; one trusting the preview role (by name, or the
 * whole account) would otherwise give its rights to every pull request's job.
 */
export function assumingNoRole(policy: ScopedPolicy, role: string): ScopedPolicy {
  return {
    document: { ...policy.document, Statement: [...policy.document.Statement, ASSUME_NO_ROLE] },
    why: {
      ...policy.why,
      [ASSUME_NO_ROLE.Sid!]: `${role} needs no other role's rights: a role that trusts it (a replacement role naming it, or trusting its whole account) gives it nothing${TOKEN_CALLS}`,
    },
  };
}

/**
 * Denies that hold whatever else the deployer is granted: it never creates or deletes an access
 * key (keys are imported and retained), and it never assumes a role, so a role it creates under
 * /cordon/ with a trust in itself cannot lift it to that role's rights.
 */
const ALWAYS_DENIED: readonly (PolicyStatement & { why: string })[] = [
  {
    Sid: "NeverCreateOrDeleteAccessKeys",
    Effect: "Deny",
    Action: ["iam:CreateAccessKey", "iam:DeleteAccessKey"],
    Resource: "*",
    why: "cordon imports keys and disables them; creating or deleting one is never its job",
  },
  {
    Sid: "NeverCreateOrDeleteOtherCredentials",
    Effect: "Deny",
    Action: [
      "iam:CreateLoginProfile",
      "iam:CreateServiceSpecificCredential",
      "iam:DeleteSSHPublicKey",
      "iam:DeleteServiceSpecificCredential",
      "iam:DeleteSigningCertificate",
      "iam:DeleteVirtualMFADevice",
      "iam:EnableMFADevice",
      "iam:ResetServiceSpecificCredential",
      "iam:UpdateLoginProfile",
      "iam:UploadSSHPublicKey",
      "iam:UploadSigningCertificate",
    ],
    Resource: "*",
    why: "cordon sets credentials Inactive; it never makes one, gives one a new secret, or deletes one (the console password aside, which AWS cannot disable: deleted unless kept)",
  },
  {
    Sid: "NeverDetachAwsQuarantine",
    Effect: "Deny",
    Action: ["iam:DetachGroupPolicy", "iam:DetachRolePolicy", "iam:DetachUserPolicy"],
    Resource: "*",
    Condition: { ArnLike: { "iam:PolicyARN": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantine*" } },
    why: "AWS's quarantine policy stays where AWS attached it: reverting an incident never lifts it (status and verify report it still attached)",
  },
  {
    ...ASSUME_NO_ROLE,
    why: `the deployer needs no other role's rights: it cannot take those of a role it created or changed${TOKEN_CALLS}`,
  },
];

/**
 * Every action that changes a role (attach, create, delete, detach, put, tag, untag, update), as
 * wildcards, so that an action IAM adds later is denied too.
 */
const ROLE_CHANGING_ACTIONS = [
  "iam:Attach*",
  "iam:Create*",
  "iam:Delete*",
  "iam:Detach*",
  "iam:Put*",
  "iam:Tag*",
  "iam:Untag*",
  "iam:Update*",
];

/** The statement of the deploy policy that denies changing cordon's own roles. */
export const CORDON_ROLES_DENY_SID = "NotCordonsOwnRoles";

/**
 * A role ARN as `--deployer-role-arn` takes it: any partition; the account as 12 digits, `*`, or
 * `{account}` (the placeholder of `CORDON_AWS_ROLE_ARN_TEMPLATE`); an optional path.
 */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::(?:\d{12}|\*|\{account\}):role\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/;

/** Where a role ARN template holds the account: the workflows replace it by each matrix job's account. */
export const ACCOUNT_PLACEHOLDER = "{account}";

export interface ScopedPolicy {
  document: PolicyDocument;
  /** Per statement id, why its resources are what they are. */
  why: Record<string, string>;
}

export interface DeployPolicyOptions {
  /**
   * cordon's own roles (permissions/roles.ts, `cordonRoleArns`): the deployer itself, whose ARN
   * CORDON_AWS_ROLE_ARN_TEMPLATE names, and the preview, verify and contain roles. The policy then
   * denies every role-changing action on them. `PutRolePolicy` on any role is needed to revoke
   * the sessions of the roles incidents name, so without this Deny the deployer could write itself
   * a policy, or write one into the preview role that every pull request's job assumes.
   */
  protectedRoleArns?: readonly string[];
}

/** The deployer's policy from `deployPermissions` (resource type or invoke token → actions). */
export function deployPolicy(
  declared: Record<string, readonly string[]>,
  options: DeployPolicyOptions = {},
): ScopedPolicy {
  const groups = new Map<string, { scope: Scope; actions: Set<string> }>();
  for (const action of Object.values(declared).flat()) {
    const scopes = SCOPES.filter((s) => s.match.test(action));
    if (scopes.length === 0)
      throw new Error(`no scope for the deploy action ${action}: add it to SCOPES in permissions/policies.ts`);
    for (const scope of scopes) {
      const group = groups.get(scope.sid) ?? { scope, actions: new Set<string>() };
      group.actions.add(action);
      groups.set(scope.sid, group);
    }
  }
  const ordered = [...groups.values()].sort((a, b) => compareText(a.scope.sid, b.scope.sid));
  const denies: (PolicyStatement & { why: string })[] = [...ALWAYS_DENIED];
  if (options.protectedRoleArns !== undefined && options.protectedRoleArns.length > 0) {
    denies.push({
      Sid: CORDON_ROLES_DENY_SID,
      Effect: "Deny",
      Action: ROLE_CHANGING_ACTIONS,
      Resource: [...new Set(options.protectedRoleArns)].sort(compareText),
      why: "the deployer may put the revoke policy on any role but cordon's own: it cannot change its own rights, nor give rights to the preview role that pull requests assume, or to the verify and contain roles",
    });
  }
  return {
    document: {
      Version: "2012-10-17",
      Statement: [
        ...ordered.map(({ scope, actions }) => ({
          Sid: scope.sid,
          Effect: "Allow" as const,
          Action: [...actions].sort(compareText),
          Resource: scope.resource,
          ...(scope.condition ? { Condition: scope.condition } : {}),
        })),
        ...denies.map(({ why: _, ...statement }) => statement),
      ],
    },
    why: Object.fromEntries([
      ...ordered.map(({ scope }) => [scope.sid, scope.why]),
      ...denies.map((d) => [d.Sid, d.why]),
    ]),
  };
}

/** The SCPs and RCPs of any organization the caller administers: what a guardrail is. */
const GUARDRAIL_POLICIES = [
  "arn:aws:organizations::*:policy/o-*/service_control_policy/*",
  "arn:aws:organizations::*:policy/o-*/resource_control_policy/*",
];

/** What a guardrail action may touch: the SCPs and RCPs, and their targets. */
const GUARDRAIL_RESOURCES = [
  ...GUARDRAIL_POLICIES,
  "arn:aws:organizations::*:root/o-*/r-*",
  "arn:aws:organizations::*:ou/o-*/ou-*",
  "arn:aws:organizations::*:account/o-*/*",
];

/** CreatePolicy names no existing policy: the type it creates is what can be held to SCPs and RCPs. */
const GUARDRAIL_TYPES: PolicyStatement["Condition"] = {
  StringEqualsIfExists: { "organizations:PolicyType": ["RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY"] },
};

/**
 * Where the organization stack's actions are granted. Organizations names a policy by its id
 * (`p-…`), not its name, so cordon's own guardrails cannot be singled out: the grant reaches every
 * SCP and RCP of the organization (never another policy type), and the roots, OUs and accounts
 * they attach to. The reads without a resource (ListRoots, DescribeOrganization) take `*`.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
 */
const ORGANIZATION_SCOPES: readonly Scope[] = [
  {
    sid: "CordonGuardrails",
    match:
      /^organizations:(AttachPolicy|CreatePolicy|DeletePolicy|DescribePolicy|DetachPolicy|ListPoliciesForTarget|ListTagsForResource|ListTargetsForPolicy|UpdatePolicy)$/,
    resource: GUARDRAIL_RESOURCES,
    condition: GUARDRAIL_TYPES,
    why: "service and resource control policies only (organizations:PolicyType), and the roots, OUs and accounts they attach to: Organizations names policies by id, so cordon's own cannot be singled out; keep this role for the organization stack alone",
  },
  {
    sid: "CordonGuardrailTags",
    match: /^organizations:(TagResource|UntagResource)$/,
    resource: GUARDRAIL_POLICIES,
    condition: GUARDRAIL_TYPES,
    why: "the tags of service and resource control policies only, never of a root, OU or account: the stack's aws:defaultTags reach cordon's guardrails, and CreatePolicy with tags needs TagResource; like the other guardrail actions, it reaches every SCP and RCP, which this role may already change or delete",
  },
  {
    sid: "DeleteRootAccessKeysOnly",
    match: /^sts:AssumeRoot$/,
    // AssumeRoot's resource is a member account's root (arn:aws:iam::ACCOUNT:root), and the account
    // is any the organization holds: `*` grants no more than `arn:aws:iam::*:root` would (only
    // member accounts can be assumed), and it is a resource every IAM accepts (moto 5.2 refuses a
    // root ARN in a policy). The condition is what narrows it: the one task policy.
    resource: "*",
    condition: {
      StringEquals: { "sts:TaskPolicyArn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials" },
    },
    why: "centralized root access, for an incident that asks to delete a member account's root access keys (rootUsers[].deleteAccessKeys): only with the task policy that deletes root credentials, no other root task; any member account, as AssumeRoot reaches only those",
  },
  {
    sid: "OrganizationReads",
    match: /^organizations:(DescribeOrganization|ListRoots)$/,
    resource: "*",
    why: "these reads take no resource: which account is the management account, and which policy types each root has enabled",
  },
];

/**
 * The organization stack's deployer needs this on top of the deploy policy: the guardrails
 * (components/OrganizationGuardrail.ts) and the program's checks before declaring them.
 */
export function organizationPolicy(declared: Record<string, readonly string[]>): ScopedPolicy {
  const groups = new Map<string, Set<string>>();
  for (const action of Object.values(declared).flat()) {
    const scope = ORGANIZATION_SCOPES.find((s) => s.match.test(action));
    if (scope === undefined)
      throw new Error(
        `no scope for the organization action ${action}: add it to ORGANIZATION_SCOPES in permissions/policies.ts`,
      );
    groups.set(scope.sid, (groups.get(scope.sid) ?? new Set<string>()).add(action));
  }
  const statements: PolicyStatement[] = ORGANIZATION_SCOPES.filter((scope) => groups.has(scope.sid)).map((scope) => ({
    Sid: scope.sid,
    Effect: "Allow",
    Action: [...groups.get(scope.sid)!].sort(compareText),
    Resource: scope.resource,
    ...(scope.condition !== undefined ? { Condition: scope.condition } : {}),
  }));
  return {
    document: { Version: "2012-10-17", Statement: statements },
    why: Object.fromEntries(
      ORGANIZATION_SCOPES.filter((scope) => groups.has(scope.sid)).map((scope) => [scope.sid, scope.why]),
    ),
  };
}

/**
 * The read-only policy of the commands that ask AWS. Resource `*`: they read whatever user, role or
 * policy the responder asks about, and `cloudtrail:LookupEvents` and `iam:ListRoles` take no resource.
 */
export function commandsPolicy(byCommand: Record<string, readonly string[]>): ScopedPolicy {
  const actions = [...new Set(Object.values(byCommand).flat())].sort(compareText);
  return {
    document: {
      Version: "2012-10-17",
      Statement: [{ Sid: "CordonCommandsReadOnly", Effect: "Allow", Action: actions, Resource: "*" }],
    },
    why: {
      CordonCommandsReadOnly: `read-only, for ${Object.keys(byCommand).sort(compareText).join(", ")}: they read whatever user, role or policy is asked about`,
    },
  };
}

/**
 * The contain role's policy: what the contain job's steps read, and the first strike's credential
 * updates in a statement of their own, named for what they do. IAM has no condition key on the
 * status an update sets, so that grant could also set a credential Active: cordon never does
 * (first-strike.sh sets Inactive only, and test/first-strike.test.ts checks every call it sends),
 * and only the contain job, in its environment, can assume the role.
 */
export function containPolicy(byStep: Record<string, readonly string[]>): ScopedPolicy {
  const actions = [...new Set(Object.values(byStep).flat())].sort(compareText);
  const steps = Object.keys(byStep).sort(compareText).join(", ");
  const writes = actions.filter((action) => !isReadOnly(action));
  return {
    document: {
      Version: "2012-10-17",
      Statement: [
        { Sid: "CordonContainReads", Effect: "Allow", Action: actions.filter(isReadOnly), Resource: "*" },
        ...(writes.length > 0
          ? [{ Sid: "FirstStrikeSetsInactive", Effect: "Allow" as const, Action: writes, Resource: "*" }]
          : []),
      ],
    },
    why: {
      CordonContainReads: `read-only, for ${steps}: whose key it is, which account, what the user holds, which roles its sessions assumed`,
      FirstStrikeSetsInactive:
        "the first strike sets the key and every other credential of its user Inactive, before anything is installed; IAM has no condition on the status an update sets, so these also allow setting one Active, which cordon never does (first-strike.sh sets Inactive only; a test checks every call it sends)",
    },
  };
}

/**
 * The read-only part of a policy: each Allow statement keeps its scope (resources, conditions) and
 * only its actions that read, so a role with it reads what the deployer reads, where the deployer
 * reads it, and writes nothing. A statement left with no action is dropped; Denies are not needed
 * where nothing is allowed.
 */
export function readOnlyPart(policy: ScopedPolicy, purpose: string): ScopedPolicy {
  const statements = policy.document.Statement.filter((s) => s.Effect === "Allow")
    .map((s) => ({ ...s, Action: list(s.Action).filter(isReadOnly) }))
    .filter((s) => s.Action.length > 0);
  return {
    document: { Version: "2012-10-17", Statement: statements },
    why: Object.fromEntries(statements.map((s) => [s.Sid!, `${purpose}: ${policy.why[s.Sid!]}`])),
  };
}

/** The actions of `used` that no Allow statement of `policy` grants (conditions aside), sorted. */
export function notGranted(used: Iterable<string>, policy: PolicyDocument): string[] {
  const granted = (action: string) =>
    policy.Statement.some(
      (s) => s.Effect === "Allow" && list(s.Action).some((pattern) => wildcardMatch(pattern, action, true)),
    );
  return [...new Set(used)].filter((action) => !granted(action)).sort(compareText);
}

/** True for actions that only read: what the commands policy must be made of. */
export function isReadOnly(action: string): boolean {
  return /^[a-z0-9-]+:(Get|List|Describe|Lookup|Simulate)\w*$/.test(action);
}
