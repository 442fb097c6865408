/**
 * What the code declares it needs of AWS, gathered from where each piece declares it (the
 * components, the program's own reads, each AWS-calling command), and the policies of the accounts'
 * roles derived from it. `cordon permissions` prints these policies, the Pulumi project beside this
 * file creates them, `cordon bootstrap-template` writes them into a StackSet template, and
 * `cordon doctor` compares an account with them: one source for all four.
 */
import { deployPermissions, organizationDeployPermissions } from "../components/permissions.ts";
import { reviewPermissions } from "../aws/cloudtrail.ts";
import { s3ReviewPermissions } from "../aws/s3-logs.ts";
import { programReadPermissions } from "../aws/deploy.ts";
import { assessPermissions, verifyPermissions } from "../aws/iam.ts";
import { credentialReadPermissions, credentialWritePermissions, firstStrikePermissions } from "../aws/credentials.ts";
import { newPermissions, newRolePermissions } from "../aws/lookup.ts";
import { rootCredentialPermissions } from "../aws/root.ts";
import { programOrganizationsPermissions, verifyOrganizationsPermissions } from "../aws/organizations.ts";
import { doctorPermissions } from "../aws/doctor.ts";
import { compareText } from "../incident/order.ts";
import {
  assumingNoRole,
  commandsPolicy,
  containPolicy,
  deployPolicy,
  organizationPolicy,
  readOnlyPart,
} from "../permissions/policies.ts";
import {
  accountBootstrap,
  cordonRoleArns,
  DEPLOYER_ROLE_ARN,
  ROLE_NAMES,
  type AccountBootstrap,
  type RolePolicies,
} from "../permissions/roles.ts";

/** The key under which the deploy declarations list the program's own IAM reads (aws/deploy.ts). */
export const PROGRAM_READS = "cordon:program/readIam";

/**
 * The key under which the deploy declarations list what the program reads of every credential of a
 * compromised user, and the two acts it does itself (aws/credentials.ts: DeleteLoginProfile,
 * DeactivateMFADevice).
 */
export const PROGRAM_CREDENTIALS = "cordon:program/credentials";

/**
 * Everything deploying needs: each resource type's and invoke's actions (the components'
 * declarations) and the program's own IAM reads before it declares anything.
 */
export const deployDeclarations: Readonly<Record<string, readonly string[]>> = {
  ...deployPermissions,
  [PROGRAM_READS]: programReadPermissions,
  [PROGRAM_CREDENTIALS]: [...credentialReadPermissions, ...credentialWritePermissions],
};

/** The key under which the organization declarations list the organization stack's own reads (aws/organizations.ts). */
export const PROGRAM_ORGANIZATION_READS = "cordon:program/readOrganizations";

/** The key under which the organization declarations list centralized root access (aws/root.ts), for incidents that delete root access keys. */
export const PROGRAM_ROOT_CREDENTIALS = "cordon:program/rootCredentials";

/** What the organization stack needs on top of `deployDeclarations`: the guardrails and its checks. */
export const organizationDeclarations: Readonly<Record<string, readonly string[]>> = {
  ...organizationDeployPermissions,
  [PROGRAM_ORGANIZATION_READS]: programOrganizationsPermissions,
  [PROGRAM_ROOT_CREDENTIALS]: rootCredentialPermissions,
};

/** The actions each AWS-calling command declares beside its code, by command name. */
export const commandPermissions: Readonly<Record<string, readonly string[]>> = {
  assess: assessPermissions,
  doctor: doctorPermissions,
  new: [...newPermissions, ...newRolePermissions.cloudtrail],
  // --athena starts queries that write results: not read-only, so listed apart (docs/review.md).
  review: [...reviewPermissions, ...s3ReviewPermissions],
  // From the organization stack's account, verify reads the live guardrails too.
  verify: [...new Set([...verifyPermissions, ...verifyOrganizationsPermissions])].sort(compareText),
};

/**
 * What the contain job does with the contain role, by step: the first strike disables the key and
 * then the user's other credentials with direct IAM calls, before any install
 * (.github/scripts/first-strike.sh); `new --access-key` asks IAM whose key it is, STS which
 * account, and CloudTrail which roles the key's sessions assumed.
 */
export const containPermissions: Readonly<Record<string, readonly string[]>> = {
  "first-strike": firstStrikePermissions,
  new: [...newPermissions, ...newRolePermissions.cloudtrail],
};

/**
 * The policies of the four roles, as `permissions` prints them. Given the deployer's ARN, the
 * deploy policy denies changing it and cordon's other roles in its account (`cordonRoleArns`).
 */
export function rolePolicies(options: { deployerRoleArn?: string } = {}): RolePolicies {
  const protectedRoleArns = options.deployerRoleArn === undefined ? undefined : cordonRoleArns(options.deployerRoleArn);
  const deploy = deployPolicy(deployDeclarations, { protectedRoleArns });
  const organization = organizationPolicy(organizationDeclarations);
  return {
    deploy,
    organization,
    preview: assumingNoRole(readOnlyPart(deploy, "what pulumi preview reads of it"), ROLE_NAMES.preview),
    previewOrganization: readOnlyPart(organization, "what pulumi preview reads of it"),
    // The contain report also reviews the key's last 24 hours with this role (LookupEvents, a read).
    verify: assumingNoRole(
      commandsPolicy({ verify: commandPermissions.verify, review: reviewPermissions }),
      ROLE_NAMES.verify,
    ),
    contain: assumingNoRole(containPolicy(containPermissions), ROLE_NAMES.contain),
  };
}

/** The accounts' provider and roles, placeholders left in (`{account}`, `{repository}`). */
export function bootstrapDescription(): AccountBootstrap {
  return accountBootstrap(rolePolicies({ deployerRoleArn: DEPLOYER_ROLE_ARN }));
}
