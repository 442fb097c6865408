/**
 * The accounts' description (roles.ts) as a CloudFormation template, for a service-managed StackSet:
 * an organization rolls the same provider and roles out to every account of its OUs, with the
 * repository as a parameter. Pure: the description in, the template out, as plain data.
 *
 * `{account}` becomes `${AWS::AccountId}` and `{repository}` the parameter GitHubRepository, both
 * through `Fn::Sub`; a literal `${` of a policy (an IAM policy variable) is escaped as `${!`.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
 */
import { GITHUB_REPOSITORY } from "../plan/auto-contain.ts";
import { ACCOUNT_PLACEHOLDER } from "./policies.ts";
import { REPOSITORY_PLACEHOLDER, type AccountBootstrap, type RoleId } from "./roles.ts";

/** The template's logical ids and parameters: the tests and the docs name them. */
export const TEMPLATE = {
  provider: "GitHubOidcProvider",
  repository: "GitHubRepository",
  createProvider: "CreateGitHubOidcProvider",
  organizationStack: "OrganizationStack",
  role: (id: RoleId) => `${id.charAt(0).toUpperCase()}${id.slice(1)}Role`,
} as const;

const CREATE_PROVIDER = "CreatesProvider";
const IS_ORGANIZATION_STACK = "IsOrganizationStack";

/** `cordon-preview-organization` → `CordonPreviewOrganization`: a logical id from a name. */
function pascal(name: string): string {
  return name
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A string with placeholders as `Fn::Sub`; any other value as it is, walked. */
function substituted(value: unknown): Json {
  if (typeof value === "string") {
    if (!value.includes(ACCOUNT_PLACEHOLDER) && !value.includes(REPOSITORY_PLACEHOLDER)) return value;
    const text = value
      .split("${")
      .join("${!")
      .split(ACCOUNT_PLACEHOLDER)
      .join("${AWS::AccountId}")
      .split(REPOSITORY_PLACEHOLDER)
      .join(`\${${TEMPLATE.repository}}`);
    return { "Fn::Sub": text };
  }
  if (Array.isArray(value)) return value.map(substituted);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        if (key.includes(ACCOUNT_PLACEHOLDER) || key.includes(REPOSITORY_PLACEHOLDER))
          throw new Error(`a placeholder in the key ${key}: CloudFormation cannot substitute keys`);
        return [key, substituted(item)];
      }),
    );
  }
  return value as Json;
}

/** The StackSet template of `description`, as CloudFormation reads it (JSON). */
export function stackSetTemplate(description: AccountBootstrap): Record<string, Json> {
  const provider = description.oidcProvider;
  const resources: Record<string, Json> = {
    [TEMPLATE.provider]: {
      Type: "AWS::IAM::OIDCProvider",
      Condition: CREATE_PROVIDER,
      // Kept when the stack or the account leaves the StackSet: other workloads may trust it too.
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: { Url: provider.url, ClientIdList: provider.clientIds },
    },
  };
  for (const role of description.roles) {
    const trust = substituted(role.trust) as { Statement: { Principal: { Federated: Json } }[] };
    // The roles wait for the provider when the stack creates it (a Ref orders them); else they
    // trust the one already there, by its ARN.
    for (const statement of trust.Statement) {
      if (JSON.stringify(statement.Principal?.Federated) === JSON.stringify(substituted(provider.arn))) {
        statement.Principal.Federated = {
          "Fn::If": [CREATE_PROVIDER, { Ref: TEMPLATE.provider }, substituted(provider.arn)],
        };
      }
    }
    resources[TEMPLATE.role(role.id)] = {
      Type: "AWS::IAM::Role",
      Properties: {
        RoleName: role.name,
        Path: role.path,
        Description: substituted(role.description),
        MaxSessionDuration: role.maxSessionDuration,
        AssumeRolePolicyDocument: trust,
        Policies: role.policies
          .filter((policy) => !policy.organizationStackOnly)
          .map((policy) => ({ PolicyName: policy.name, PolicyDocument: substituted(policy.document) })),
      },
    };
    // The organization stack's policies: inline policies of their own, made only where the
    // parameter says so (the same inline policy IAM holds either way).
    for (const policy of role.policies.filter((p) => p.organizationStackOnly)) {
      resources[`${TEMPLATE.role(role.id)}${pascal(policy.name)}Policy`] = {
        Type: "AWS::IAM::Policy",
        Condition: IS_ORGANIZATION_STACK,
        Properties: {
          PolicyName: policy.name,
          PolicyDocument: substituted(policy.document),
          Roles: [{ Ref: TEMPLATE.role(role.id) }],
        },
      };
    }
  }
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description:
      "cordon: the GitHub OIDC provider and the roles cordon's workflows assume in this account (npx cordon bootstrap-template; docs/setup.md)",
    Parameters: {
      [TEMPLATE.repository]: {
        Type: "String",
        Description:
          "The repository that holds cordon's workflows, OWNER/NAME, spelt as GitHub spells it: the roles trust only its runs",
        AllowedPattern: GITHUB_REPOSITORY.source,
      },
      [TEMPLATE.createProvider]: {
        Type: "String",
        Description:
          "false where the account already has the provider token.actions.githubusercontent.com (the roles then trust it as it is)",
        AllowedValues: ["true", "false"],
        Default: "true",
      },
      [TEMPLATE.organizationStack]: {
        Type: "String",
        Description:
          "true only for the account that runs cordon's organization stack: its deployer and preview roles get the organization policies",
        AllowedValues: ["true", "false"],
        Default: "false",
      },
    },
    Conditions: {
      [CREATE_PROVIDER]: { "Fn::Equals": [{ Ref: TEMPLATE.createProvider }, "true"] },
      [IS_ORGANIZATION_STACK]: { "Fn::Equals": [{ Ref: TEMPLATE.organizationStack }, "true"] },
    },
    Resources: resources,
    Outputs: Object.fromEntries(
      description.roles.map((role) => [
        `${TEMPLATE.role(role.id)}Arn`,
        {
          Description: `${role.secret}: this account's ${role.name}`,
          Value: { "Fn::GetAtt": [TEMPLATE.role(role.id), "Arn"] },
        },
      ]),
    ),
  };
}
