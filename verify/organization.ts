/**
 * `verify` from the organization stack's account: the live SCPs and RCPs that cordon declared,
 * compared with the plan. Every read goes through `LiveOrganizations` (aws/organizations.ts:
 * ListPolicies, DescribePolicy, ListTargetsForPolicy); every judgement is here, testable without
 * AWS. Organizations has no policy simulator for member accounts' principals: what is proven is
 * that each planned document is live, word for word as IAM reads it, and attached to each target.
 */
import { compareText } from "../incident/order.ts";
import type { OrganizationPolicyPlan } from "../plan/organization.ts";
import type { ContainmentInstants } from "../plan/plan.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { compareDocuments } from "./checks.ts";

/** One of cordon's guardrails as Organizations has it. */
export interface LiveGuardrail {
  kind: "scp" | "rcp";
  name: string;
  id: string;
  /** Null when its content is not a policy document. */
  document: PolicyDocument | null;
  /** The roots, OUs and accounts it is attached to (sorted). */
  targets: string[];
}

export interface LiveOrganizations {
  /** The organization's management account. */
  managementAccount(): Promise<string>;
  /** Every SCP and RCP named like cordon's (`cordon-scp-…`, `cordon-rcp-…`). */
  guardrails(): Promise<LiveGuardrail[]>;
}

export interface GuardrailCheck {
  check: "guardrail-live" | "guardrail-document" | "guardrail-attached" | "guardrail-planned";
  ok: boolean;
  message: string;
  fix?: string;
}

export interface GuardrailReport {
  kind: "scp" | "rcp";
  name: string;
  /** The incidents it answers; empty for a live guardrail the plan does not have. */
  incidents: string[];
  ok: boolean;
  checks: GuardrailCheck[];
}

const FIX = "run `pulumi up --refresh` on the organization stack, then verify again";

/**
 * Each planned guardrail must be live with the planned document (the instants of at-containment
 * incidents as the stack outputs recorded them) and attached to exactly the planned targets; a
 * live guardrail of cordon's that the plan does not have is reported too (it still denies).
 */
export function guardrailChecks(
  planned: OrganizationPolicyPlan[],
  live: LiveGuardrail[],
  known: ContainmentInstants,
): GuardrailReport[] {
  const reports: GuardrailReport[] = [];
  for (const policy of planned) {
    const found = live.find((l) => l.kind === policy.kind && l.name === policy.name);
    const checks: GuardrailCheck[] = [];
    if (found === undefined) {
      checks.push({
        check: "guardrail-live",
        ok: false,
        message: `${policy.kind} ${policy.name} does not exist`,
        fix: FIX,
      });
    } else {
      checks.push({ check: "guardrail-live", ok: true, message: `${policy.kind} ${policy.name} exists (${found.id})` });
      if (found.document === null) {
        checks.push({
          check: "guardrail-document",
          ok: false,
          message: `${policy.name}: its content is not a policy document`,
          fix: `${FIX}; CloudTrail (UpdatePolicy) says who changed it`,
        });
      } else {
        const comparison = compareDocuments(policy.document, found.document, known);
        const unknown =
          comparison.unknownInstants.length > 0
            ? ` (but for the containment instant of ${comparison.unknownInstants.join(", ")}: pass the organization stack's --stack-outputs)`
            : "";
        checks.push(
          comparison.differences.length === 0 && comparison.unknownInstants.length === 0
            ? { check: "guardrail-document", ok: true, message: "the live document is the planned one" }
            : comparison.differences.length === 0
              ? {
                  check: "guardrail-document",
                  ok: false,
                  message: `the live document is the planned one${unknown}`,
                  fix: "pass --stack-outputs FILE of the organization stack, with the instants pulumi up recorded",
                }
              : {
                  check: "guardrail-document",
                  ok: false,
                  message: `${policy.name} differs from the plan: ${comparison.differences.join("; ")}${unknown}`,
                  fix: `${FIX}; CloudTrail (UpdatePolicy) says who changed it`,
                },
        );
      }
      const missing = policy.targets.filter((t) => !found.targets.includes(t));
      const extra = found.targets.filter((t) => !policy.targets.includes(t));
      checks.push(
        missing.length === 0 && extra.length === 0
          ? { check: "guardrail-attached", ok: true, message: `attached to ${policy.targets.join(", ")}` }
          : {
              check: "guardrail-attached",
              ok: false,
              message: [
                missing.length > 0 ? `not attached to ${missing.join(", ")}` : "",
                extra.length > 0 ? `also attached to ${extra.join(", ")}, which the plan does not name` : "",
              ]
                .filter(Boolean)
                .join("; "),
              fix: `${FIX}; CloudTrail (AttachPolicy, DetachPolicy) says who changed it`,
            },
      );
    }
    reports.push({
      kind: policy.kind,
      name: policy.name,
      incidents: policy.incidents,
      ok: checks.every((c) => c.ok),
      checks,
    });
  }
  // A cordon-named policy the plan does not have, while every planned one is in place: what the
  // program keeps of a replaced document until its replacement is attached (docs/organization.md,
  // "A document is replaced one run late"), gone at the next pulumi up, or someone else's. A document
  // of denies only restricts more: said, not a failure. One that allows anything, or is not a policy
  // document, is not cordon's (its guardrails only deny) and may loosen an allow-list: a failure, as
  // is any of them while a planned one is missing, or when no guardrail is planned at all (the run
  // that removes the last incident deletes every one of cordon's in the same update).
  const inPlace = planned.length > 0 && reports.every((r) => r.ok);
  const denyOnly = (found: LiveGuardrail) =>
    found.document !== null &&
    found.document.Statement.length > 0 &&
    found.document.Statement.every((statement) => statement.Effect === "Deny");
  for (const found of live
    .filter((l) => !planned.some((p) => p.kind === l.kind && p.name === l.name))
    .sort((a, b) => compareText(a.name, b.name))) {
    const where = `${found.kind} ${found.name} (${found.id}) is live${found.targets.length > 0 ? `, attached to ${found.targets.join(", ")}` : ""}, but the plan does not have it`;
    const check: GuardrailCheck = !inPlace
      ? {
          check: "guardrail-planned",
          ok: false,
          message: `${where}: a pulumi up has not run since the incidents changed, or someone else created it`,
          fix: "run `pulumi up` on the organization stack (it replaces or removes cordon's own); a policy it does not know, delete it by hand",
        }
      : !denyOnly(found)
        ? {
            check: "guardrail-planned",
            ok: false,
            message: `${where}, and it is not a document of denies only, as cordon's are: someone else made or changed it, and it may loosen what the planned ones hold`,
            fix: "find who made or changed it (CloudTrail: CreatePolicy, UpdatePolicy) and delete it by hand",
          }
        : {
            check: "guardrail-planned",
            ok: true,
            message: `${where}: every planned guardrail is in place, and it only denies, so it only restricts more: a document cordon replaced, which the next pulumi up of the organization stack removes, or one someone else made (delete that by hand)`,
          };
    reports.push({ kind: found.kind, name: found.name, incidents: [], ok: check.ok, checks: [check] });
  }
  return reports;
}
