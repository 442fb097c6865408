/**
 * Every IAM action that deploying cordon's program needs, by the Pulumi resource type or invoke
 * that needs it. Generated from the components' own declarations, never kept by hand: the
 * `permissions` command turns it into the deployer's least-privilege policy, and a test fails when
 * the program declares a type that is missing here.
 */
import { compareText } from "../incident/order.ts";
import { autoContainPermissions } from "./AutoContain.ts";
import { containmentInstantPermissions } from "./ContainmentInstant.ts";
import { disabledAccessKeyPermissions } from "./DisabledAccessKey.ts";
import { disabledServiceSpecificCredentialPermissions } from "./DisabledServiceSpecificCredential.ts";
import { disabledSigningCertificatePermissions } from "./DisabledSigningCertificate.ts";
import { disabledSshPublicKeyPermissions } from "./DisabledSshPublicKey.ts";
import { organizationGuardrailPermissions } from "./OrganizationGuardrail.ts";
import { providerCalls } from "./provider-calls.ts";
import { replacementRolePermissions } from "./ReplacementRole.ts";
import { sessionRevocationPermissions } from "./SessionRevocation.ts";

/** The program's invokes, made before anything is declared. */
export const programPermissions: Record<string, string[]> = {
  // The AWS provider itself asks STS who the credentials are when it is configured.
  "pulumi:providers:aws": providerCalls("pulumi:providers:aws", ["configure"]),
  // The stack's account is checked against the deploying credentials.
  "aws:index/getCallerIdentity:getCallerIdentity": ["sts:GetCallerIdentity"],
  // The engine's own reads of the stacks' checkpoints (builtins.go): no call to AWS. This stack's
  // own says which managed policies it created and how it spells each principal's resources.
  "pulumi:pulumi:readStackOutputs": [],
  "pulumi:pulumi:readStackResourceOutputs": [],
};

/**
 * Each component's own declaration: its type token (with no action) and the types it declares as
 * its children. The policy pack reads from them which types each component may declare.
 */
export const componentDeclarations: readonly Record<string, string[]>[] = [
  disabledAccessKeyPermissions,
  disabledServiceSpecificCredentialPermissions,
  disabledSigningCertificatePermissions,
  disabledSshPublicKeyPermissions,
  containmentInstantPermissions,
  sessionRevocationPermissions,
  replacementRolePermissions,
  autoContainPermissions,
  organizationGuardrailPermissions,
];

/** Resource type token or invoke token → the IAM actions it needs (sorted, without duplicates). */
export const deployPermissions: Record<string, string[]> = merge([
  programPermissions,
  // Every component but the guardrails, which only the organization stack declares (below).
  ...componentDeclarations.filter((declaration) => declaration !== organizationGuardrailPermissions),
]);

/**
 * What the organization stack declares on top of its own account's share: the guardrails. Only its
 * deployer needs these (`permissions` prints them as a policy of their own).
 */
export const organizationDeployPermissions: Record<string, string[]> = merge([organizationGuardrailPermissions]);

function merge(declarations: Record<string, string[]>[]): Record<string, string[]> {
  const merged = new Map<string, Set<string>>();
  for (const declaration of declarations) {
    for (const [token, actions] of Object.entries(declaration)) {
      const set = merged.get(token) ?? new Set<string>();
      for (const action of actions) set.add(action);
      merged.set(token, set);
    }
  }
  return Object.fromEntries(
    [...merged.keys()].sort(compareText).map((token) => [token, [...merged.get(token)!].sort(compareText)]),
  );
}
