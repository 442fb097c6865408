/**
 * The containment instants a deny (SessionRevocation) or a guardrail (OrganizationGuardrail) fills
 * its document with: those ContainmentInstant recorded, checked before anything is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { uncompletedProblem } from "../plan/policies.ts";

/**
 * The recorded instant of each incident in `pending`, once every one is there; otherwise throws,
 * naming the missing incidents (`uncompletedProblem`): a placeholder sent to AWS would fail the
 * whole update with an unreadable MalformedPolicyDocument.
 */
export function recordedInstants(
  name: string,
  what: "deny" | "guardrail",
  pending: readonly string[],
  containment: Record<string, pulumi.Input<string>> = {},
): pulumi.Output<Record<string, string>> {
  const unfilled = uncompletedProblem(name, what, pending, containment);
  if (unfilled !== undefined) throw new Error(unfilled);
  return pulumi.output(containment);
}
