/**
 * An IAM evaluator that cordon did not write: @cloud-copilot/iam-simulate (AGPL; a devDependency,
 * used by tests only). cordon's policies are checked against it, never against cordon's own idea of
 * what a policy means.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "../../plan/policies.ts";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface EvalRequest {
  principal: string;
  action: string;
  resource: string;
  account: string;
  context?: Record<string, string | string[]>;
}

/**
 * The decision for a request under identity policies (and optionally a resource policy, and the
 * principal's permissions boundary).
 */
export async function decide(
  identityPolicies: PolicyDocument[],
  request: EvalRequest,
  resourcePolicy?: PolicyDocument,
  permissionsBoundary?: PolicyDocument,
): Promise<Decision> {
  const response = await runSimulation(
    {
      identityPolicies: identityPolicies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      ...(permissionsBoundary
        ? { permissionBoundaryPolicies: [{ name: "boundary", policy: permissionsBoundary }] }
        : {}),
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.account },
        contextVariables: request.context ?? {},
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (response.resultType === "error")
    throw new Error(`iam-simulate rejected the simulation: ${JSON.stringify(response.errors)}`);
  return response.overallResult as Decision;
}

/**
 * The decision of a trust policy for a web-identity request. The public entry point drops context
 * keys it does not know for the action, and GitHub's `token.actions.githubusercontent.com:sub` is
 * one of them; so this calls the library's own core engine, unvalidated, with the same inputs its
 * `runUnsafeSimulation` builds (which names no resource policy and so cannot take one in 0.1.173).
 */
export function decideTrustUnvalidated(trustPolicy: PolicyDocument, request: EvalRequest): Decision {
  const require = createRequire(import.meta.filename);
  const root = dirname(require.resolve("@cloud-copilot/iam-simulate"));
  const { authorize } = require(join(root, "core_engine/CoreSimulatorEngine.js"));
  const { AwsRequestImpl } = require(join(root, "request/request.js"));
  const { RequestContextImpl } = require(join(root, "requestContext.js"));
  const { DiscoveryContextKeyConstraints } = require(join(root, "context_keys/discoveryContextKeyConstraints.js"));
  const { loadPolicy } = require("@cloud-copilot/iam-policy");
  const analysis = authorize({
    request: new AwsRequestImpl(
      request.principal,
      { resource: request.resource, accountId: request.account },
      request.action,
      new RequestContextImpl(request.context ?? {}),
    ),
    sessionPolicy: undefined,
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: loadPolicy(trustPolicy, { name: "trust" }),
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: "Strict",
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]),
    },
    serviceSettings: { s3: { blockPublicAccess: undefined } },
  });
  return analysis.result as Decision;
}
