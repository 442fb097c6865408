/**
 * cordon's policy pack: the invariants of policies.ts, served to the Pulumi engine as an analyzer
 * plugin. `pulumi preview --policy-pack policy` and `pulumi up --policy-pack policy` run it (the
 * workflows through pulumi/actions' `policyPacks`); a mandatory violation fails the run.
 */
import { PolicyPack } from "@pulumi/policy";
import { repositoryOfRun } from "../incident/own-roles.ts";
import { ENFORCEMENT_LEVEL, packPolicies } from "./policies.ts";

// The engine starts the pack with the CLI's environment: in GitHub Actions, the run's repository is
// cordon's own, whose jobs no role of the stack may trust.
const run = repositoryOfRun(process.env);
new PolicyPack("cordon", {
  policies: packPolicies(run === undefined ? [] : [run]),
  enforcementLevel: ENFORCEMENT_LEVEL,
});
