/**
 * cordon's own roles in every account (made by the bootstrap project or the StackSet template,
 * permissions/roles.ts): their names, the same in every account, so that one ARN template names
 * each (`{account}`). guard keeps them out of any deny-all or guardrail an additive change adds,
 * and the deployer's policy denies it any change to them.
 */
export type RoleId = "deployer" | "preview" | "verify" | "contain";

export const ROLE_NAMES: Readonly<Record<RoleId, string>> = {
  deployer: "cordon-deployer",
  preview: "cordon-preview",
  verify: "cordon-verify",
  contain: "cordon-contain",
};
