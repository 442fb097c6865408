/**
 * The document a deny (SessionRevocation) or a guardrail (OrganizationGuardrail) sends to AWS: the
 * plan's, its containment placeholders filled with the instants ContainmentInstant recorded,
 * checked before anything is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { fillContainment, uncompletedProblem, type PolicyDocument } from "../plan/policies.ts";

/**
 * The plan's document with the recorded instant of each incident in `pendingContainment` filled
 * in, serialised with `JSON.stringify`: minified, since every character counts against the
 * policy's size, and the same plan gives the same bytes (no spurious diff). Throws when an instant
 * is missing, naming the incidents (`uncompletedProblem`): a placeholder sent to AWS would fail the
 * whole update with an unreadable MalformedPolicyDocument.
 */
export function filledDocument(
  name: string,
  what: "deny" | "guardrail",
  planned: { document: PolicyDocument; pendingContainment: readonly string[] },
  containment: Record<string, pulumi.Input<string>> = {},
): pulumi.Output<string> {
  const unfilled = uncompletedProblem(name, what, planned.pendingContainment, containment);
  if (unfilled !== undefined) throw new Error(unfilled);
  return pulumi.output(containment).apply((instants) => JSON.stringify(fillContainment(planned.document, instants)));
}
