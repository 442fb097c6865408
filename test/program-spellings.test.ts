/**
 * A principal keeps one Pulumi name whatever the files' spelling: the plan takes the spelling this
 * stack's state already has (plan/plan.ts, `spellings`; program/spellings.ts reads it), and a run
 * that cannot settle it (the state unreadable, or holding one deny under two spellings) fails at
 * its end, so that the engine deletes nothing. test/engine-respell.test.ts runs it through the
 * engine stand-in.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { principalKey } from "../incident/fields.ts";
import type { Incident } from "../incident/types.ts";
import { credentialPlan, credentialsToDisable, type UserListing } from "../plan/credentials.ts";
import { buildPlan, type Principal } from "../plan/plan.ts";
import { deploy, PROGRAM_SAID_WHY, UNREAD_STATE_MESSAGE, UNSETTLED_SPELLINGS_MESSAGE } from "../program/deploy.ts";
import { stateSpellings } from "../program/spellings.ts";
import { FakeCloud, projectTempDir, resource, runProgram, type ProgramRun } from "./support/pulumi-mocks.ts";

const ACCOUNT = "123456789012";
const STACK = `prod-${ACCOUNT}`;
const KEY = "AKIAIOSFODNN7EXAMPLE";

/** Every spelling of `name` that IAM takes for the same name. */
const caseVariant = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));
const iamName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9+=,.@_-]{0,20}$/);

/** A valid incident naming one user (with a key) and one role, as the loader returns it. */
function incident(id: string, user: string, role: string): Incident {
  const made: Incident = {
    id,
    file: `incidents/${id}.yaml`,
    title: "t",
    account: ACCOUNT,
    cutoff: "2026-11-20T09:30:00Z",
    mode: "deny-all",
    users: [{ name: user, account: ACCOUNT, accessKeys: [KEY] }],
    roles: [{ name: role, account: ACCOUNT }],
    replacementRoles: [],
    organization: { scp: false, rcp: false },
    identityCenterUsers: [],
  };
  return made;
}
const listing = (user: string): UserListing => ({
  account: ACCOUNT,
  user,
  exists: true,
  credentials: [
    { kind: "access-key", id: KEY, status: "Active", createdAt: null },
    { kind: "ssh-public-key", id: "APKAEIBAERJR2EXAMPLE", status: "Active", createdAt: null },
  ],
  loginProfile: null,
  mfaDevices: [],
  attachedPolicies: [],
});

describe("the plan's names, whatever the files' spelling", () => {
  /** A principal's spelling in the files, and in the state when the state has it (any case of the same name). */
  const spelled = iamName.chain((name) =>
    fc.tuple(caseVariant(name), fc.option(caseVariant(name), { nil: undefined })),
  );

  it("a principal the state spells S takes every name from S, whatever case the files use; one it does not have keeps the files' spelling", () => {
    fc.assert(
      fc.property(spelled, spelled, ([userInFiles, userInState], [roleInFiles, roleInState]) => {
        const spellings: Principal[] = [
          ...(userInState === undefined ? [] : [{ account: ACCOUNT, type: "user" as const, name: userInState }]),
          ...(roleInState === undefined ? [] : [{ account: ACCOUNT, type: "role" as const, name: roleInState }]),
        ];
        const user = userInState ?? userInFiles;
        const role = roleInState ?? roleInFiles;
        const incidents = [incident("2026-12-01-a", userInFiles, roleInFiles)];
        const plan = buildPlan(incidents, { account: ACCOUNT, spellings });
        expect(plan.denyPolicies.map((d) => [d.principal.name, d.resourceName, d.policyName])).toEqual([
          [role, `${ACCOUNT}-role-${role}`, "cordon-revoke-sessions"],
          [user, `${ACCOUNT}-user-${user}`, `cordon-revoke-sessions-${user}`],
        ]);
        // One resource per credential: the key the file lists and the key IAM lists are one.
        const credentials = credentialPlan(incidents, {
          account: ACCOUNT,
          listings: [listing(userInFiles)],
          spellings,
        });
        const disabled = credentialsToDisable(plan, credentials);
        expect(disabled.accessKeys.map((k) => [k.user, k.resourceName])).toEqual([[user, `${ACCOUNT}-${user}-${KEY}`]]);
        expect(disabled.others.map((c) => c.resourceName)).toEqual([`${ACCOUNT}-${user}-ssh-key-APKAEIBAERJR2EXAMPLE`]);
      }),
    );
  });
});

describe("the state's spellings (program/spellings.ts)", () => {
  const revocation = (type: "user" | "role", name: string) => [
    `urn:pulumi:${STACK}::cordon::cordon:iam:SessionRevocation::${ACCOUNT}-${type}-${name}`,
    { type: "cordon:iam:SessionRevocation", outputs: { principal: { type, name }, incidents: ["x"] } },
  ];
  const key = (user: string) => [
    `urn:pulumi:${STACK}::cordon::cordon:iam:DisabledAccessKey::${ACCOUNT}-${user}-${KEY}`,
    { type: "cordon:iam:DisabledAccessKey", outputs: { accessKeyId: KEY, user, status: "Inactive" } },
  ];

  it("one spelling per principal: its deny's, else its credentials'; a problem only for a deny under two spellings", () => {
    fc.assert(
      fc.property(
        iamName.chain((name) => fc.array(caseVariant(name), { minLength: 1, maxLength: 4 })),
        fc.array(fc.constantFrom<"deny" | "key">("deny", "key"), { minLength: 4, maxLength: 4 }),
        (spellings, kinds) => {
          const entries = spellings.map((name, i) => (kinds[i] === "deny" ? revocation("user", name) : key(name)));
          const found = stateSpellings(ACCOUNT, Object.fromEntries(entries));
          const denies = [...new Set(spellings.filter((_, i) => kinds[i] === "deny"))];
          const byUrn = (names: string[], kind: string) =>
            names.map((n) => (kind === "deny" ? revocation("user", n)[0] : key(n)[0]) as string).sort();
          // The deny's spelling, the first by URN; without one, the credentials' first.
          const chosen =
            denies.length > 0
              ? denies.find((n) => revocation("user", n)[0] === byUrn(denies, "deny")[0])!
              : spellings.find((n) => key(n)[0] === byUrn(spellings, "key")[0])!;
          expect(found.principals).toEqual([{ account: ACCOUNT, type: "user", name: chosen }]);
          expect(found.problems).toHaveLength(denies.length > 1 ? 1 : 0);
          expect(new Set(found.principals.map((p) => principalKey(p.account, p.type, p.name))).size).toBe(1);
        },
      ),
    );
  });

  it("says which resources hold one deny, word for word", () => {
    const found = stateSpellings(
      ACCOUNT,
      Object.fromEntries([revocation("role", "deploy"), revocation("role", "Deploy")]),
    );
    expect(found).toEqual({
      principals: [{ account: ACCOUNT, type: "role", name: "Deploy" }],
      problems: [
        `this stack's state holds the deny policy of role Deploy (account ${ACCOUNT}) under 2 spellings, one IAM policy in 2 resources: cordon declares it as urn:pulumi:${STACK}::cordon::cordon:iam:SessionRevocation::${ACCOUNT}-role-Deploy, and this update fails so that the engine deletes none of them (deleting one would delete the policy); forget the other without deleting it (pulumi state delete --target-dependents 'urn:pulumi:${STACK}::cordon::cordon:iam:SessionRevocation::${ACCOUNT}-role-deploy'), then run again`,
      ],
    });
  });

  it("ignores what is not a principal's: other types, outputs without a principal", () => {
    const found = stateSpellings(ACCOUNT, {
      a: { type: "aws:iam/policy:Policy", outputs: { arn: "x", policyId: "y" } },
      b: { type: "cordon:iam:SessionRevocation", outputs: {} },
      c: { type: "cordon:iam:SessionRevocation", outputs: { principal: { type: "group", name: "g" } } },
      d: { type: "cordon:iam:DisabledAccessKey", outputs: { user: 7 } },
      e: {},
    });
    expect(found).toEqual({ principals: [], problems: [] });
  });
});

describe("the program", () => {
  const temporary: string[] = [];
  afterEach(() => {
    for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function folder(role: string): string {
    const dir = projectTempDir("cordon-spellings-");
    temporary.push(dir);
    writeFileSync(
      join(dir, "2026-12-01-b.yaml"),
      [
        "id: 2026-12-01-b",
        "title: t",
        `account: "${ACCOUNT}"`,
        "cutoff: 2026-12-01T09:30:00Z",
        "mode: deny-all",
        "roles:",
        `  - name: ${role}`,
        "",
      ].join("\n"),
    );
    return dir;
  }
  const SESSION_REVOCATION = (name: string) =>
    `urn:pulumi:${STACK}::cordon::cordon:iam:SessionRevocation::${ACCOUNT}-role-${name}`;
  /** A cloud whose stack was updated before, its checkpoint holding the deny of role deploy under `spellings`. */
  function cloudWith(spellings: string[] | "unreadable"): FakeCloud {
    const cloud = new FakeCloud({ account: ACCOUNT, roles: ["deploy"] });
    cloud.otherStacks[STACK] = { account: ACCOUNT };
    if (spellings !== "unreadable")
      cloud.stackResources[STACK] = Object.fromEntries(
        spellings.map((name) => [
          SESSION_REVOCATION(name),
          { type: "cordon:iam:SessionRevocation", outputs: { principal: { type: "role", name }, incidents: ["x"] } },
        ]),
      );
    return cloud;
  }
  const up = (cloud: FakeCloud, role: string): Promise<ProgramRun> =>
    runProgram(() => deploy(cloud.iam), {
      cloud,
      config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": folder(role) },
    });
  const denies = (run: ProgramRun) =>
    run.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy").map((r) => [r.name, r.inputs.role]);

  it("declares the deny under the state's spelling, and the run succeeds", async () => {
    const run = await up(cloudWith(["Deploy"]), "deploy");
    expect([run.error, run.errors, run.exitCode]).toEqual([undefined, [], undefined]);
    expect(denies(run)).toEqual([[`${ACCOUNT}-role-Deploy`, "Deploy"]]);
    expect(resource(run, "cordon:iam:SessionRevocation", `${ACCOUNT}-role-Deploy`)).toBeDefined();
  });

  it("a state that cannot be read: the deny is declared as the files spell it, and the run fails at its end so that nothing is deleted", async () => {
    const run = await up(cloudWith("unreadable"), "deploy");
    expect(run.error).toBeUndefined();
    expect(denies(run)).toEqual([[`${ACCOUNT}-role-deploy`, "deploy"]]);
    expect(run.errors).toEqual([
      `this stack's state, which says under which spelling each principal's deny was declared, cannot be read (unknown stack "organization/cordon/${STACK}"): cordon declares every deny as the files spell it, and this update fails so that the engine deletes nothing (a deny the state spells otherwise is the same IAM policy, and its delete would delete it); run again once the state can be read`,
      "cordon declared everything, but could not read this stack's state (said above, before declaring): this update fails so that the engine deletes nothing; what was declared stays",
    ]);
    expect(run.errors[1]).toBe(UNREAD_STATE_MESSAGE);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
  });

  it("a state holding the deny under two spellings: declared under the first, and the run fails at its end so that neither is deleted", async () => {
    const run = await up(cloudWith(["deploy", "Deploy"]), "DEPLOY");
    expect(run.error).toBeUndefined();
    expect(denies(run)).toEqual([[`${ACCOUNT}-role-Deploy`, "Deploy"]]);
    expect(run.errors).toHaveLength(2);
    expect(run.errors[0]).toContain(
      `forget the other without deleting it (pulumi state delete --target-dependents '${SESSION_REVOCATION("deploy")}')`,
    );
    expect(run.errors[1]).toBe(UNSETTLED_SPELLINGS_MESSAGE);
    expect(run.exitCode).toBe(PROGRAM_SAID_WHY);
  });
});
