/**
 * Which superseded organization guardrails the program keeps declaring (program/organization.ts):
 * read from this stack's own state only, kept until every planned document is attached, by the id
 * the state holds, to every target.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrganizationPolicyPlan, StateGuardrail } from "../plan/organization.ts";
import { attachedKey, stateGuardrails, supersededToKeep } from "../program/organization.ts";

const COMPONENT = "cordon:organizations:OrganizationGuardrail";
const STACK = "prod-999999999999";
const policyUrn = (name: string, parent = COMPONENT) =>
  `urn:pulumi:${STACK}::cordon::${parent}$aws:organizations/policy:Policy::${name}`;
const CONTENT = '{"Version":"2012-10-17","Statement":[]}';

function planned(name: string, targets = ["r-abcd"]): OrganizationPolicyPlan {
  return {
    kind: "scp",
    name,
    targets,
    incidents: [],
    document: { Version: "2012-10-17", Statement: [] },
    pendingContainment: [],
  };
}
const own = (name: string, id: string, targets = ["r-abcd"]): StateGuardrail => ({
  kind: "scp",
  name,
  id,
  content: CONTENT,
  targets,
});

describe("stateGuardrails", () => {
  it("reads each guardrail policy of the state with its id, content and attached targets", () => {
    const resources = {
      [policyUrn("cordon-scp-0000000a")]: {
        type: "aws:organizations/policy:Policy",
        outputs: {
          name: "cordon-scp-0000000a",
          type: "SERVICE_CONTROL_POLICY",
          content: CONTENT,
          arn: "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-aaaa",
        },
      },
      [policyUrn("cordon-rcp-0000000b")]: {
        type: "aws:organizations/policy:Policy",
        outputs: { id: "p-bbbb", name: "cordon-rcp-0000000b", type: "RESOURCE_CONTROL_POLICY", content: CONTENT },
      },
      a1: {
        type: "aws:organizations/policyAttachment:PolicyAttachment",
        outputs: { policyId: "p-aaaa", targetId: "r-abcd" },
      },
      a2: {
        type: "aws:organizations/policyAttachment:PolicyAttachment",
        outputs: { policyId: "p-aaaa", targetId: "ou-abcd-12345678" },
      },
      // A policy not declared by a guardrail component, one not named as cordon names them, one of
      // another kind's prefix, one without content: none is a guardrail of this stack.
      [policyUrn("cordon-scp-0000000c", "cordon:other:Thing")]: {
        type: "aws:organizations/policy:Policy",
        outputs: { id: "p-cccc", name: "cordon-scp-0000000c", type: "SERVICE_CONTROL_POLICY", content: CONTENT },
      },
      [policyUrn("landing-zone")]: {
        type: "aws:organizations/policy:Policy",
        outputs: { id: "p-dddd", name: "landing-zone", type: "SERVICE_CONTROL_POLICY", content: CONTENT },
      },
      [policyUrn("cordon-rcp-0000000e")]: {
        type: "aws:organizations/policy:Policy",
        outputs: { id: "p-eeee", name: "cordon-rcp-0000000e", type: "SERVICE_CONTROL_POLICY", content: CONTENT },
      },
      [policyUrn("cordon-scp-0000000f")]: {
        type: "aws:organizations/policy:Policy",
        outputs: { id: "p-ffff", name: "cordon-scp-0000000f", type: "SERVICE_CONTROL_POLICY" },
      },
    };
    expect(stateGuardrails(resources, COMPONENT)).toEqual([
      { kind: "rcp", name: "cordon-rcp-0000000b", id: "p-bbbb", content: CONTENT, targets: [] },
      {
        kind: "scp",
        name: "cordon-scp-0000000a",
        id: "p-aaaa",
        content: CONTENT,
        targets: ["ou-abcd-12345678", "r-abcd"],
      },
    ]);
  });

  it("names a guardrail as its resource is named (the URN), never as a refresh read the policy back: one renamed by hand is declared where it is, and renamed back", () => {
    const resources = {
      [policyUrn("cordon-scp-0000000a")]: {
        type: "aws:organizations/policy:Policy",
        outputs: { id: "p-aaaa", name: "renamed-by-hand", type: "SERVICE_CONTROL_POLICY", content: CONTENT },
      },
      [policyUrn("not-cordons")]: {
        type: "aws:organizations/policy:Policy",
        outputs: { id: "p-bbbb", name: "cordon-scp-0000000b", type: "SERVICE_CONTROL_POLICY", content: CONTENT },
      },
    };
    expect(stateGuardrails(resources, COMPONENT)).toEqual([
      { kind: "scp", name: "cordon-scp-0000000a", id: "p-aaaa", content: CONTENT, targets: [] },
    ]);
  });
});

describe("supersededToKeep", () => {
  const old = own("cordon-scp-00000001", "p-old");
  const next = own("cordon-scp-00000002", "p-new");
  const ou = "ou-abcd-12345678";
  it.each([
    ["nothing superseded", [planned(next.name)], [next], [attachedKey("r-abcd", "scp", "p-new")], []],
    ["the new document not created yet", [planned(next.name)], [old], [attachedKey("r-abcd", "scp", "p-old")], [old]],
    ["created, not attached", [planned(next.name)], [old, next], [attachedKey("r-abcd", "scp", "p-old")], [old]],
    [
      "attached to one target of two",
      [planned(next.name, ["r-abcd", ou])],
      [old, next],
      [attachedKey("r-abcd", "scp", "p-new")],
      [old],
    ],
    ["attached under another kind", [planned(next.name)], [old, next], [attachedKey("r-abcd", "rcp", "p-new")], [old]],
    ["attached everywhere", [planned(next.name)], [old, next], [attachedKey("r-abcd", "scp", "p-new")], []],
    ["no document planned any more", [], [old], [attachedKey("r-abcd", "scp", "p-old")], []],
  ])("%s", (_, plan, state, attached, kept) => {
    expect(supersededToKeep(plan, state, new Set(attached))).toEqual(kept);
  });

  it("a policy someone else attached (any id this stack's state does not hold) changes nothing", () => {
    const ids = fc.stringMatching(/^p-[0-9a-z]{4,12}$/).filter((id) => id !== "p-old" && id !== "p-new");
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: ids, target: fc.constantFrom("r-abcd", ou) })),
        fc.boolean(),
        (foreign, newAttached) => {
          const state = [old, next];
          const mine = newAttached ? [attachedKey("r-abcd", "scp", "p-new")] : [];
          const withForeign = [...mine, ...foreign.map((f) => attachedKey(f.target, "scp", f.id))];
          const kept = supersededToKeep([planned(next.name)], state, new Set(withForeign));
          expect(kept).toEqual(supersededToKeep([planned(next.name)], state, new Set(mine)));
          expect(kept).toEqual(newAttached ? [] : [old]);
        },
      ),
    );
  });
});
