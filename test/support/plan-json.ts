/**
 * The top-level fields of `cordon plan --json`, sorted: issue 2's contract, and issue 20's additions
 * (credentials, rootUsers). Additive only: a field once here stays.
 */
export const PLAN_JSON_FIELDS = [
  "accessKeys",
  "credentials",
  "denyPolicies",
  "goneAccessKeys",
  "incidents",
  "organizationExclusions",
  "organizationPolicies",
  "replacementRoles",
  "rootUsers",
];
