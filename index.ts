/**
 * The entry point the Pulumi CLI loads: one stack per account (`<prefix>-<account>`) declares that
 * account's share of every incident as IAM remediations; the stack configured with
 * `cordon:organization` also declares the organization guardrails (SCPs and RCPs).
 *
 * Its only export is the default one. The Node.js language host (`@pulumi/pulumi/cmd/run/run.js`)
 * takes an ES module's default export as the program and refuses a module that has named exports
 * besides it ("expected entrypoint module to have either a default export or named exports but
 * not both"): what the program needs lives in program/, and this file only hands it cordon's own
 * readers of IAM and Organizations, over the AWS SDK.
 * @see docs/program.md
 * @see docs/organization.md
 */
import type * as pulumi from "@pulumi/pulumi";
import { awsClients } from "./aws/clients.ts";
import { deployIam } from "./aws/deploy.ts";
import { deployOrganizations } from "./aws/organizations.ts";
import { rootCredentials } from "./aws/root.ts";
import type { IncidentOutput, PendingStackOutputs } from "./plan/outputs.ts";
import { deploy } from "./program/deploy.ts";

/**
 * The program as `pulumi up` runs it: cordon's own IAM and Organizations reads and acts over the AWS
 * SDK, and centralized root access for the root access keys a file asks to delete.
 */
export default function program(): Promise<PendingStackOutputs<pulumi.Output<IncidentOutput>>> {
  const clients = awsClients();
  return deploy(deployIam(clients), deployOrganizations(clients), rootCredentials(clients));
}
