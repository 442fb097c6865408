/**
 * The program's choice of where each deny goes, when IAM may hold a policy at the name of a
 * principal's managed deny: cordon's own (its id recorded in this stack's state), an impostor made
 * beforehand, or one made after cordon's was deleted. Only the recorded id makes a policy cordon's;
 * every kind of principal, room and state is generated (fast-check), and the table of facts answers
 * denyRoom as aws/deploy.ts and the engine would.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import { buildPlan, cordonPolicyArn, denyPolicyName, type PrincipalType } from "../plan/plan.ts";
import { denyRoom, listedImpostors, type StatePolicies } from "../program/checks.ts";
import type { RoleState } from "../program/iam.ts";

const ACCOUNT = "123456789012";
const NOW = new Date("2026-11-28T12:00:00Z");
const QUOTAS = {
  attachedPoliciesPerUser: 10,
  attachedPoliciesPerRole: 10,
  rolePolicySize: 10240,
  userPolicySize: 2048,
};

/**
 * What IAM has at the principal's managed deny name, against what the stack's state records there:
 * `adopted` is an impostor an earlier run found where cordon's was (`replaced`) and listed in the
 * outputs, whose id a refresh has since read into the state.
 */
type AtName = "none" | "own" | "impostor" | "replaced" | "adopted";

interface Case {
  type: PrincipalType;
  name: string;
  atName: AtName;
  /** Whether the policy at the name is attached to the principal (an impostor may be too). */
  attached: boolean;
  /** Other managed policies attached (a user at 9 others has one slot left for cordon's). */
  others: number;
  /** A role whose inline policies leave no room for the inline deny. */
  inlineFull: boolean;
  /**
   * The outputs also list the policy now at the name with no recorded id, as a run that could not
   * read the state lists even cordon's own: that proves nothing, and changes nothing.
   */
  listedUnrecorded: boolean;
}

const caseOf = (type: PrincipalType) =>
  fc.record({
    type: fc.constant(type),
    name: fc.constantFrom("dana", "erin", "deploy", "ci-deployer", "reporting"),
    atName: fc.constantFrom<AtName>("none", "own", "impostor", "replaced", "adopted"),
    attached: fc.boolean(),
    others: fc.integer({ min: 0, max: 9 }),
    inlineFull: fc.boolean(),
    listedUnrecorded: fc.boolean(),
  });
const cases = fc
  .tuple(
    fc.uniqueArray(caseOf("user"), { selector: (c) => c.name, maxLength: 4 }),
    fc.uniqueArray(caseOf("role"), { selector: (c) => c.name, maxLength: 4 }),
  )
  .map(([users, roles]) => [...users, ...roles])
  .filter((all) => all.length > 0);

const arnOf = (c: Pick<Case, "type" | "name">) => cordonPolicyArn(ACCOUNT, denyPolicyName(c.type, c.name, "managed"));
const iamId = (c: Case) => `ANPA${c.type.toUpperCase()}${c.name.toUpperCase().replace(/-/g, "")}IAM`;
const oldId = (c: Case) => `ANPA${c.type.toUpperCase()}${c.name.toUpperCase().replace(/-/g, "")}OLD`;
const stateId = (c: Case) => (c.atName === "own" || c.atName === "adopted" ? iamId(c) : oldId(c));
/** Whether the stack's state holds a policy at the principal's managed deny name. */
const inState = (c: Case) => c.atName === "own" || c.atName === "replaced" || c.atName === "adopted";

async function room(all: Case[], readable: boolean) {
  const users = all.filter((c) => c.type === "user").map((c) => `  - name: ${c.name}`);
  const roles = all.filter((c) => c.type === "role").map((c) => `  - name: ${c.name}`);
  const text = [
    "id: 2026-11-28-a",
    "title: t",
    `account: "${ACCOUNT}"`,
    "cutoff: 2026-11-28T10:00:00Z",
    ...(users.length > 0 ? ["users:", ...users] : []),
    ...(roles.length > 0 ? ["roles:", ...roles] : []),
    "",
  ].join("\n");
  const loaded = loadIncidents([{ path: "incidents/2026-11-28-a.yaml", text }], { now: NOW });
  expect(loaded.errors).toEqual([]);
  const plan = buildPlan(loaded.incidents, { account: ACCOUNT });
  const find = (type: PrincipalType, name: string) => all.find((c) => c.type === type && c.name === name)!;
  const attachedOf = (c: Case) => [
    ...Array.from({ length: c.others }, (_, i) => `arn:aws:iam::${ACCOUNT}:policy/other-${i}`),
    ...(c.atName !== "none" && c.attached ? [arnOf(c)] : []),
  ];
  let stateReads = 0;
  const asked: string[] = [];
  const result = await denyRoom(plan, {
    role: async (name): Promise<RoleState> => {
      const c = find("role", name);
      return {
        name,
        path: "/",
        tags: {},
        inlinePolicies: c.inlineFull ? { app: JSON.stringify({ Statement: "x".repeat(10_200) }) } : {},
        attachedPolicies: attachedOf(c),
      };
    },
    userAttachedPolicies: async (name) => attachedOf(find("user", name)),
    userInlinePolicies: async () => ({}),
    quotas: async () => QUOTAS,
    managedPolicy: async (arn) => {
      asked.push(arn);
      const c = all.find((one) => arnOf(one) === arn);
      return c === undefined || c.atName === "none" ? null : { policyId: iamId(c) };
    },
    statePolicies: async (): Promise<StatePolicies> => {
      stateReads++;
      if (!readable) return { unreadable: "the backend said no" };
      // The stack's outputs as the earlier runs left them (plan/outputs.ts, DenyImpostorOutput).
      const denyImpostors = all.flatMap((c) => [
        ...(c.atName === "adopted" ? [{ policyId: iamId(c), recordedPolicyId: oldId(c) }] : []),
        ...(c.atName !== "none" && c.listedUnrecorded ? [{ policyId: iamId(c), recordedPolicyId: null }] : []),
      ]);
      return {
        policies: new Map(all.filter(inState).map((c) => [arnOf(c).toLowerCase(), stateId(c)])),
        impostors: listedImpostors({ incidents: {}, denyImpostors }),
      };
    },
  });
  return { plan, result, stateReads, asked };
}

describe("a policy at the name of a managed deny", () => {
  it("is cordon's only when this stack's state records its id there: never an impostor's, whatever else holds", async () => {
    await fc.assert(
      fc.asyncProperty(cases, fc.boolean(), async (all, readable) => {
        const { plan, result, stateReads, asked } = await room(all, readable);
        const ownership = (c: Case) => c.atName === "own" && readable;
        const impostors = all.filter((c) => c.atName !== "none" && !ownership(c));

        // Every principal's managed name is asked of IAM; the state at most once, and only when IAM has a policy there.
        expect([...asked].sort()).toEqual(all.map(arnOf).sort());
        expect(stateReads).toBe(all.some((c) => c.atName !== "none") ? 1 : 0);

        // Each impostor is reported, with the id cordon's state recorded only where it did.
        expect(result.impostors.map((i) => `${i.type}/${i.name}`).sort()).toEqual(
          impostors.map((c) => `${c.type}/${c.name}`).sort(),
        );
        for (const impostor of result.impostors) {
          const c = all.find((one) => one.type === impostor.type && one.name === impostor.name)!;
          expect(impostor).toEqual({
            type: c.type,
            name: c.name,
            account: ACCOUNT,
            policyArn: arnOf(c),
            policyId: iamId(c),
            recordedPolicyId: inState(c) && c.atName !== "own" && readable ? stateId(c) : null,
          });
        }
        expect(result.warnings).toHaveLength(impostors.length);
        // cordon's own, replaced, or read back by a refresh: the run fails, so that the engine deletes nothing at that name.
        expect(result.foreign).toEqual(
          all
            .filter((c) => (c.atName === "replaced" || c.atName === "adopted") && readable)
            .map((c) => `${ACCOUNT}-${c.type}-${c.name}`)
            .sort(),
        );

        // No impostor ever holds a deny: the user's goes inline, the role's stays inline or is said left out.
        for (const c of impostors) {
          if (c.type === "user") expect(result.inlineDenyUsers).toContain(c.name);
          else expect(result.managedDenyRoles).not.toContain(c.name);
        }
        // cordon's own stays managed where the plan would make it so: a user with a free slot, a role without inline room.
        for (const c of all.filter(ownership)) {
          if (c.type === "user") expect(result.inlineDenyUsers).not.toContain(c.name);
          else if (c.inlineFull || c.attached) expect(result.managedDenyRoles).toContain(c.name);
        }
        // A role without inline room and an impostor at its managed name is left out, and said.
        const stranded = impostors
          .filter((c) => c.type === "role" && c.inlineFull)
          .map((c) => `${ACCOUNT}-role-${c.name}`);
        expect(result.undeclared).toEqual(stranded.sort());
        expect(plan.denyPolicies).toHaveLength(all.length);
      }),
      { numRuns: 200 },
    );
  });

  it("says an impostor made beforehand, word for word, and what a role without inline room is left with", async () => {
    const all: Case[] = [
      {
        type: "user",
        name: "dana",
        atName: "impostor",
        attached: true,
        others: 0,
        inlineFull: false,
        listedUnrecorded: false,
      },
      {
        type: "role",
        name: "deploy",
        atName: "impostor",
        attached: false,
        others: 0,
        inlineFull: true,
        listedUnrecorded: false,
      },
    ];
    const { result } = await room(all, true);
    const userArn = arnOf(all[0]);
    // In the plan's order: roles, then users.
    expect(result.warnings[1]).toBe(
      `incidents/2026-11-28-a.yaml: user dana (incident 2026-11-28-a): IAM has a policy ${userArn} (id ANPAUSERDANAIAM) that this stack did not create: this stack's state records no policy there: it was made beforehand, under a name anyone can work out. cordon trusts no policy by its name and never deletes one it did not create: its deny is the inline policy cordon-revoke-sessions instead, where it fits. Whoever made it can write IAM: read it and what it is attached to (aws iam get-policy --policy-arn ${userArn}; aws iam list-entities-for-policy --policy-arn ${userArn}), then delete it yourself once nothing needs it`,
    );
    expect(result.problems).toEqual([
      expect.stringMatching(
        /^incidents\/2026-11-28-a\.yaml: role deploy \(incident 2026-11-28-a\): no room for cordon's deny policy: the role's other inline policies use \d+ of 10240 characters \(RolePolicySizeQuota; cordon's needs \d+\), and IAM has a policy at the managed deny's name that this stack did not create \(id ANPAROLEDEPLOYIAM\): its sessions are not denied; delete an inline policy of role deploy, or have the quota raised \(Service Quotas\), or, once you have read it, delete the policy at cordon's name yourself, then run again$/,
      ),
    ]);
    expect(result.undeclared).toEqual([`${ACCOUNT}-role-deploy`]);
  });
});

describe("the impostors a stack's outputs list", () => {
  it("counts only those found where the state recorded a policy; any shape of outputs is read without throwing", () => {
    expect(
      listedImpostors({
        denyImpostors: [
          { policyId: "ANPAREPLACED", recordedPolicyId: "ANPAOWN" },
          { policyId: "ANPAADOPTED", recordedPolicyId: "ANPAADOPTED" },
          { policyId: "ANPAUNREAD", recordedPolicyId: null },
          { policyId: 7, recordedPolicyId: "ANPAOWN" },
          null,
        ],
      }),
    ).toEqual(new Set(["ANPAREPLACED", "ANPAADOPTED"]));
    fc.assert(
      fc.property(fc.anything(), (outputs) => {
        for (const id of listedImpostors(outputs)) expect(typeof id).toBe("string");
        expect(listedImpostors({ denyImpostors: [outputs] }).size).toBeLessThanOrEqual(1);
      }),
    );
  });
});
