/**
 * What the program decides between reading and declaring, without Pulumi, IAM or a clock
 * (plan/declarations.ts, program/containment.ts, and the refusals of program/checks.ts and
 * program/credentials.ts): which instants this stack records and how they are named, what each
 * replacement role waits for, which cutoffs other stacks gave, and where each instant is kept.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import type { Incident } from "../incident/types.ts";
import { autoContainPlan } from "../plan/auto-contain.ts";
import { autoContainNote, instantsToRecord, replacementRolesAfter } from "../plan/declarations.ts";
import type { RootUserPlan } from "../plan/organization.ts";
import { buildPlan } from "../plan/plan.ts";
import { uncompletedProblem } from "../plan/policies.ts";
import { stackSettingsProblem } from "../program/checks.ts";
import { cutoffsRead, instantsKept, recordedHere, stackDuties } from "../program/containment.ts";
import { rootAccessProblem } from "../program/credentials.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const ACCOUNT = "123456789012";
const TICKET = "2026-11-28-key-in-ticket";
const EXAMPLES = join(import.meta.dirname, "..", "examples", "incidents");

/** The examples, as the program loads them. */
function examples(): Incident[] {
  const files = readdirSync(EXAMPLES).map((name) => ({
    path: `incidents/${name}`,
    text: readFileSync(join(EXAMPLES, name), "utf8"),
  }));
  const loaded = loadIncidents(files, { now: NOW });
  expect(loaded.errors).toEqual([]);
  return loaded.incidents;
}

describe("plan/declarations.ts", () => {
  it("one instant per incident whose cutoff waits for this run, named after the account and the incident", () => {
    const plan = buildPlan(examples(), { account: ACCOUNT });
    expect(instantsToRecord(plan, ACCOUNT)).toEqual([
      { name: `${ACCOUNT}-${TICKET}`, incident: TICKET, accessKeyIds: ["AKIAJ7Q2EXAMPLEKEY77"], otherAccessKeyIds: [] },
    ]);
  });

  it("none for an incident denied everything until its instant can be recorded, nor once its cutoff is known", () => {
    const incidents = examples();
    expect(instantsToRecord(buildPlan(incidents, { account: ACCOUNT, uncontained: [TICKET] }), ACCOUNT)).toEqual([]);
    const contained = buildPlan(incidents, { account: ACCOUNT, containment: { [TICKET]: "2026-11-28T11:02:00Z" } });
    expect(instantsToRecord(contained, ACCOUNT)).toEqual([]);
  });

  it("each replacement role after every deny policy of its incident, a deny shared by two incidents included", () => {
    const plan = buildPlan(examples(), { account: ACCOUNT });
    const after = replacementRolesAfter(plan).map(({ role, denyPolicies }) => [role.name, denyPolicies]);
    expect(after).toEqual([
      ["backup-instance", [`${ACCOUNT}-user-svc-backup`]],
      ["ci-deployer-oidc", [`${ACCOUNT}-role-deploy`, `${ACCOUNT}-user-ci-deployer`]],
      [
        "dana-from-builder",
        [
          `${ACCOUNT}-role-analytics-readonly`,
          `${ACCOUNT}-role-deploy`,
          `${ACCOUNT}-user-ci-deployer`,
          `${ACCOUNT}-user-dana`,
        ],
      ],
    ]);
    // In the plan's order: each name is a deny policy the plan declares.
    const names = plan.denyPolicies.map((policy) => policy.resourceName);
    for (const [, denies] of after) expect(denies).toEqual(names.filter((name) => denies.includes(name)));
  });

  it("auto-contain's note names the region, the endpoint and the connection that holds a placeholder", () => {
    const auto = autoContainPlan({ account: ACCOUNT, repository: "example-org/cordon-incidents" });
    expect(autoContainNote(auto)).toBe(
      `auto-contain: AWS Health's exposed-key events (${auto.region}) dispatch the contain workflow (${auto.endpoint}); until its token is set with aws events update-connection, the connection ${auto.connectionName} holds a placeholder (docs/contain.md)`,
    );
  });
});

describe("program/containment.ts: the instants between stacks", () => {
  const incident = (id: string, account: string, user: string) =>
    loadIncidents(
      [
        {
          path: `incidents/${id}.yaml`,
          text: `id: ${id}\ntitle: t\naccount: "${account}"\ncutoff: at-containment\nusers:\n  - name: ${user}\n    accessKeys: [AKIAIOSFODNN7EXAMPLE]\nroles:\n  - name: deploy\n    account: "210987654321"\n`,
        },
      ],
      { now: NOW },
    ).incidents;

  it("the owner records; another account's stack reads the owner's; a stack without a share has no duty", () => {
    const incidents = incident("2026-11-28-a", ACCOUNT, "ci");
    expect(stackDuties(incidents, { account: ACCOUNT }, "cordon")).toEqual({ records: ["2026-11-28-a"], reads: {} });
    expect(stackDuties(incidents, { account: "210987654321" }, "cordon")).toEqual({
      records: [],
      reads: { "2026-11-28-a": `cordon-${ACCOUNT}` },
    });
    expect(stackDuties(incidents, { account: "333333333333" }, "cordon")).toEqual({ records: [], reads: {} });
  });

  it("the cutoffs read, the incidents still awaited, and where each instant is kept", () => {
    const reads = { a: "cordon-111111111111", b: "cordon-222222222222" };
    const recorded = { a: { cutoff: "2026-11-28T11:02:00Z", containedAt: "2026-11-28T11:00:00Z" } };
    expect(cutoffsRead(reads, recorded)).toEqual({ containment: { a: "2026-11-28T11:02:00Z" }, awaiting: ["b"] });
    expect(instantsKept(["c"], `cordon-${ACCOUNT}`, reads, recorded)).toEqual({
      c: { stack: `cordon-${ACCOUNT}` },
      a: { stack: "cordon-111111111111", containedAt: "2026-11-28T11:00:00Z" },
      b: { stack: "cordon-222222222222" },
    });
  });

  it("records only what the plan applies", () => {
    const plan = buildPlan(examples(), { account: ACCOUNT });
    expect(recordedHere({ records: [TICKET, "2026-12-01-gone"], reads: {} }, plan)).toEqual([TICKET]);
  });
});

describe("the refusals before declaring", () => {
  it("the stack's settings: every problem, counted", () => {
    expect(stackSettingsProblem(["a"])).toBe("cordon declared nothing: 1 problem in the stack's config:\na");
    expect(stackSettingsProblem(["a", "b"])).toBe("cordon declared nothing: 2 problems in the stack's config:\na\nb");
  });

  it("root access keys to delete with no centralized root access given", () => {
    const root = (over: Partial<RootUserPlan>): RootUserPlan =>
      ({
        account: "444444444444",
        incidents: ["x"],
        guardrail: "denied",
        deleteAccessKeys: true,
        ...over,
      }) as RootUserPlan;
    const problem =
      "cordon declared nothing: an incident asks to delete a root user's access keys, but the program was given no way to use centralized root access";
    expect(rootAccessProblem([root({})], false)).toBe(problem);
    expect(rootAccessProblem([root({})], true)).toBeUndefined();
    expect(rootAccessProblem([root({ deleteAccessKeys: false })], false)).toBeUndefined();
    expect(rootAccessProblem([root({ guardrail: "unreachable" })], false)).toBeUndefined();
    expect(rootAccessProblem([], false)).toBeUndefined();
  });
});

describe("plan/policies.ts: a document the components cannot complete", () => {
  it("names every incident without a recorded instant, an own property only", () => {
    expect(uncompletedProblem("g", "guardrail", ["a", "constructor", "b"], { b: "2026-11-28T11:02:00Z" })).toBe(
      "g: no containment instant for incident a, constructor: the guardrail document cannot be completed",
    );
    expect(uncompletedProblem("d", "deny", ["a"], { a: "2026-11-28T11:02:00Z" })).toBeUndefined();
    expect(uncompletedProblem("d", "deny", [], {})).toBeUndefined();
  });
});
