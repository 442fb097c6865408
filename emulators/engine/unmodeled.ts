/**
 * What the real engine does that the stand-in does not: printed on every run (standard error), so
 * that nobody takes a passing test for more than it shows. docs/program.md says which engine and
 * provider behaviours were read in their source and which are exercised here.
 */
export const UNMODELED: readonly string[] = [
  "pulumi refresh as a command of its own (--refresh reads the state back before the program runs)",
  "--target, --exclude, --diff, plans, and --parallel (steps run as the program sends them; a round of deletes 16 at a time)",
  "the provider's own Diff and Check (inputs are compared as JSON but where a row names the provider's equivalences; equivalent policy documents are not recognised; inputs are not validated)",
  "explicit providers' configuration (every call uses the environment's credentials and region)",
  "aliases, protect, the deleteBeforeReplace option (the provider's own delete-first is modelled), replaceOnChanges, deletedWith, replaceWith, customTimeouts, hideDiffs, additionalSecretOutputs",
  "the refusal to replace a resource that still has `import`",
  "secrets (kept in clear in the state file) and secret config",
  "transforms, resource hooks, error hooks, components from other languages (Call, Construct)",
  "of policy packs: remediations (Remediate is not called), --policy-pack-config, packs in other languages than Node.js, Pulumi Cloud's policy groups",
  "plugin loading and version checks, and concurrent-update locks",
  "a state written while the update runs (the state file is written once, at the end)",
];

export function unmodeledNotice(): string {
  return `engine stand-in: not modeled: ${UNMODELED.join("; ")}`;
}
