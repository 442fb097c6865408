/**
 * cordon's policy pack: the invariants of policies.ts, served to the Pulumi engine as an analyzer
 * plugin. `pulumi preview --policy-pack policy` and `pulumi up --policy-pack policy` run it (the
 * workflows through pulumi/actions' `policyPacks`); a mandatory violation fails the run.
 */
import { PolicyPack } from "@pulumi/policy";
import { ENFORCEMENT_LEVEL, policies } from "./policies.ts";

new PolicyPack("cordon", { policies, enforcementLevel: ENFORCEMENT_LEVEL });
