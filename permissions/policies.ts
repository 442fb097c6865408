/**
 * Least privilege, generated: the actions each AWS-calling command declares here (and `review`,
 * `new` and the components declare beside their code) become the policies `cordon permissions`
 * prints. Tests record the calls the commands really send and fail on any that is not declared,
 * so the lists cannot drift from the code. Pure.
 */
import { POLICY_PATH } from "../plan/plan.ts";
import type { PolicyDocument, PolicyStatement } from "../plan/policies.ts";
import { compareText } from "../incident/order.ts";
import { list, wildcardMatch } from "../plan/policy-grammar.ts";

/** One statement of the deploy policy, with the reason for its scope (printed beside the policy). */
interface Scope {
  sid: string;
  resource: string;
  condition?: PolicyStatement["Condition"];
  why: string;
}

const CORDON_POLICIES = `arn:aws:iam::*:policy${POLICY_PATH}*`;

/**
 * Where each deploy action can be scoped, first match wins. The account is `*` because IAM's API
 * acts only on the caller's own account: a wildcard there reaches nothing more.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 */
const SCOPES: { match: RegExp; scope: Scope }[] = [
  {
    match: /^iam:(AttachUserPolicy|DetachUserPolicy)$/,
    scope: {
      sid: "AttachOnlyCordonPoliciesToUsers",
      resource: "arn:aws:iam::*:user/*",
      condition: { ArnLike: { "iam:PolicyARN": CORDON_POLICIES } },
      why: `any user an incident names, but only cordon's own policies (iam:PolicyARN under ${POLICY_PATH})`,
    },
  },
  {
    match: /^iam:(CreatePolicy|CreatePolicyVersion|DeletePolicy|DeletePolicyVersion|GetPolicy|GetPolicyVersion|ListEntitiesForPolicy|ListPolicyTags|ListPolicyVersions|SetDefaultPolicyVersion|TagPolicy|UntagPolicy)$/,
    scope: { sid: "CordonManagedPolicies", resource: CORDON_POLICIES, why: `only cordon's managed policies: they live under the path ${POLICY_PATH}` },
  },
  {
    match: /^iam:\w*(User|AccessKey|LoginProfile|MFADevice)\w*$/,
    scope: { sid: "Users", resource: "arn:aws:iam::*:user/*", why: "any user: incident files name them, so no name is known in advance" },
  },
  {
    match: /^iam:\w*Role\w*$/,
    scope: {
      sid: "Roles",
      resource: "arn:aws:iam::*:role/*",
      why: "any role: incident files name the roles to revoke and the replacement roles to create, so no name is known in advance (review those files: CODEOWNERS)",
    },
  },
  {
    match: /^iam:\w*OpenIDConnectProvider\w*$/,
    scope: { sid: "OidcProviders", resource: "arn:aws:iam::*:oidc-provider/*", why: "OIDC providers only" },
  },
];

const UNSCOPED: Scope = { sid: "NoResourceScope", resource: "*", why: "these actions take no resource (sts:GetCallerIdentity), or cordon knows no narrower one" };

export interface ScopedPolicy {
  document: PolicyDocument;
  /** Per statement id, why its resources are what they are. */
  why: Record<string, string>;
}

/** The deployer's policy from `deployPermissions` (resource type or invoke token → actions). */
export function deployPolicy(declared: Record<string, readonly string[]>): ScopedPolicy {
  const groups = new Map<string, { scope: Scope; actions: Set<string> }>();
  for (const action of Object.values(declared).flat()) {
    const scope = SCOPES.find((s) => s.match.test(action))?.scope ?? UNSCOPED;
    const group = groups.get(scope.sid) ?? { scope, actions: new Set<string>() };
    group.actions.add(action);
    groups.set(scope.sid, group);
  }
  const ordered = [...groups.values()].sort((a, b) => compareText(a.scope.sid, b.scope.sid));
  return {
    document: {
      Version: "2012-10-17",
      Statement: ordered.map(({ scope, actions }) => ({
        Sid: scope.sid,
        Effect: "Allow" as const,
        Action: [...actions].sort(compareText),
        Resource: scope.resource,
        ...(scope.condition ? { Condition: scope.condition } : {}),
      })),
    },
    why: Object.fromEntries(ordered.map(({ scope }) => [scope.sid, scope.why])),
  };
}

/**
 * The read-only policy of the commands that ask AWS. Resource `*`: they read whatever user, role or
 * policy the responder asks about, and `cloudtrail:LookupEvents` and `iam:ListRoles` take no resource.
 */
export function commandsPolicy(byCommand: Record<string, readonly string[]>): ScopedPolicy {
  const actions = [...new Set(Object.values(byCommand).flat())].sort(compareText);
  return {
    document: { Version: "2012-10-17", Statement: [{ Sid: "CordonCommandsReadOnly", Effect: "Allow", Action: actions, Resource: "*" }] },
    why: { CordonCommandsReadOnly: `read-only, for ${Object.keys(byCommand).sort(compareText).join(", ")}: they read whatever user, role or policy is asked about` },
  };
}

/** The actions of `used` that no Allow statement of `policy` grants (conditions aside), sorted. */
export function notGranted(used: Iterable<string>, policy: PolicyDocument): string[] {
  const granted = (action: string) =>
    policy.Statement.some((s) => s.Effect === "Allow" && list(s.Action).some((pattern) => wildcardMatch(pattern, action, true)));
  return [...new Set(used)].filter((action) => !granted(action)).sort(compareText);
}

/** True for actions that only read: what the commands policy must be made of. */
export function isReadOnly(action: string): boolean {
  return /^[a-z0-9-]+:(Get|List|Describe|Lookup|Simulate)\w*$/.test(action);
}
