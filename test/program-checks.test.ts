/**
 * The program's checks and its stack outputs, without Pulumi: the checks ask AWS through the
 * functions they are given, and the outputs are a function of the plan.
 */
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import type { Incident } from "../incident/types.ts";
import { appliedState, containmentFromStackOutputs, stackOutputs } from "../plan/outputs.ts";
import { sidPart } from "../plan/policies.ts";
import { instantsHeld, recordedIn } from "../program/containment.ts";
import { buildPlan, type AccessKeyPlan } from "../plan/plan.ts";
import {
  credentialsProblem,
  invalidFilesProblem,
  keyOwnership,
  uncontainedUsersError,
  userIdentities,
} from "../program/checks.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const key = (user: string, accessKeyId: string, incident = "2026-11-28-a"): AccessKeyPlan => ({
  account: "123456789012",
  user,
  accessKeyId,
  status: "Inactive",
  incidents: [incident],
  resourceName: `123456789012-${user}-${accessKeyId}`,
});

describe("checks before anything is declared", () => {
  it("passes credentials of the stack's account, and names both accounts otherwise", async () => {
    expect(await credentialsProblem("123456789012", async () => "123456789012")).toBeUndefined();
    expect(await credentialsProblem("123456789012", async () => "210987654321")).toBe(
      "cordon declared nothing: the deploying credentials belong to account 210987654321, but this stack deploys account 123456789012 (config cordon:account); use credentials of account 123456789012, or the stack of account 210987654321",
    );
  });

  it("asks IAM once per user, then who owns each key it does not list there: another user is foreign, nobody means deleted", async () => {
    const asked: string[] = [];
    const listed: Record<string, string[]> = { dana: ["AKIAJ7Q2EXAMPLEKEY77"], "ci-deployer": [] };
    const owners: Record<string, string> = {
      AKIAJ7Q2EXAMPLEKEY77: "dana",
      AKIAOWNEDBYSOMEONE01: "svc-backup",
      AKIASPELTOTHERWISE01: "CI-Deployer",
    };
    const accessKeysOf = async (user: string) => {
      asked.push(user);
      return listed[user];
    };
    const keyOwner = async (id: string) => {
      asked.push(id);
      return owners[id] ?? null;
    };
    const keys = [key("dana", "AKIAJ7Q2EXAMPLEKEY77"), key("dana", "AKIAJ7Q2EXAMPLEKEY77", "2026-11-28-b")];
    expect(await keyOwnership(keys, accessKeysOf, keyOwner)).toEqual({ gone: [], foreign: [] });
    expect(asked).toEqual(["dana"]);

    asked.length = 0;
    const deleted = key("ci-deployer", "AKIAIOSFODNN7EXAMPLE");
    expect(await keyOwnership([...keys, deleted], accessKeysOf, keyOwner)).toEqual({
      gone: ["AKIAIOSFODNN7EXAMPLE"],
      foreign: [],
    });
    expect(asked).toEqual(["ci-deployer", "dana", "AKIAIOSFODNN7EXAMPLE"]);

    // IAM names are case-insensitive: the declared user spelt otherwise still owns the key.
    expect(await keyOwnership([key("ci-deployer", "AKIASPELTOTHERWISE01")], accessKeysOf, keyOwner)).toEqual({
      gone: [],
      foreign: [],
    });

    // Not a reason to stop the run: the key is not declared, and only its incidents are withheld.
    expect(await keyOwnership([deleted, key("ci-deployer", "AKIAOWNEDBYSOMEONE01")], accessKeysOf, keyOwner)).toEqual({
      gone: ["AKIAIOSFODNN7EXAMPLE"],
      foreign: [
        {
          accessKeyId: "AKIAOWNEDBYSOMEONE01",
          user: "ci-deployer",
          owner: "svc-backup",
          incidents: ["2026-11-28-a"],
          listed: [],
        },
      ],
    });
  });

  it("stops when IAM cannot be asked", async () => {
    const failing = async () => {
      throw new Error("NoSuchEntity");
    };
    expect(await keyOwnership([key("gone", "AKIAIOSFODNN7EXAMPLE")], failing, async () => null)).toEqual({
      problem:
        "cordon declared nothing: cannot list the access keys of user gone (incident 2026-11-28-a): NoSuchEntity",
      gone: [],
      foreign: [],
    });
    expect(
      await keyOwnership(
        [key("dana", "AKIAIOSFODNN7EXAMPLE")],
        async () => [],
        async () => Promise.reject(new Error("access denied: the credentials may not call iam:GetAccessKeyLastUsed")),
      ),
    ).toEqual({
      problem:
        "cordon declared nothing: cannot ask IAM who owns access key AKIAIOSFODNN7EXAMPLE (incident 2026-11-28-a), which it does not list under user dana: access denied: the credentials may not call iam:GetAccessKeyLastUsed",
      gone: [],
      foreign: [],
    });
  });

  describe("a user IAM does not find by name is gone only when nothing shows it was renamed", () => {
    // As real IAM answers once alice is renamed mallory: no user alice, and GetAccessKeyLastUsed
    // names the key's current owner (moto still answers the old name).
    const incidents = loadIncidents(
      [
        {
          path: "incidents/2026-11-28-a.yaml",
          text: 'id: 2026-11-28-a\ntitle: t\naccount: "123456789012"\ncutoff: at-containment\nusers:\n  - name: alice\n    accessKeys: [AKIAALICE00000000001]\n',
        },
        {
          path: "incidents/2026-11-28-b.yaml",
          text: 'id: 2026-11-28-b\ntitle: t\naccount: "123456789012"\ncutoff: at-containment\nusers:\n  - name: bob\n    accessKeys: [AKIABOB0000000000001]\n',
        },
      ],
      { now: NOW },
    ).incidents;
    const plan = buildPlan(incidents, { account: "123456789012" });
    const users = plan.denyPolicies.map((d) => ({
      account: d.account,
      name: d.principal.name,
      incidents: d.incidents,
    }));
    const iam = (ids: Record<string, string>) => ({
      userId: async (name: string) => (Object.hasOwn(ids, name) ? ids[name] : null),
      userNamed: async (id: string) => Object.entries(ids).find(([, v]) => v === id)?.[0] ?? null,
    });

    it("a listed key whose owner IAM names under another name: renamed, never deleted, and only its incident is withheld", async () => {
      const keys = await keyOwnership(
        plan.accessKeys,
        async (user) => (user === "bob" ? ["AKIABOB0000000000001"] : null),
        async () => "mallory",
      );
      expect(keys).toEqual({
        gone: [],
        foreign: [
          {
            accessKeyId: "AKIAALICE00000000001",
            user: "alice",
            owner: "mallory",
            incidents: ["2026-11-28-a"],
            listed: null,
          },
        ],
      });
      const found = await userIdentities(users, {}, keys.foreign, iam({ bob: "AIDABOB", mallory: "AIDAALICE" }));
      expect(found).toEqual({
        renamed: [
          {
            account: "123456789012",
            user: "alice",
            name: "mallory",
            evidence: { accessKeyId: "AKIAALICE00000000001" },
            nameNowHeldBy: null,
            incidents: ["2026-11-28-a"],
          },
        ],
        userIds: { bob: "AIDABOB" },
      });
      expect(uncontainedUsersError(plan, found.renamed, keys.foreign)).toBe(
        [
          "cordon does not take incident 2026-11-28-a for contained: no containment instant is recorded for it (an at-containment incident's principals are denied everything until one is), everything else is declared, and this update fails at its end:",
          "incidents/2026-11-28-a.yaml: user alice (incident 2026-11-28-a) was renamed to mallory (IAM names user mallory as the owner of its listed access key AKIAALICE00000000001, and has no user alice): its credentials, console password and policies went with it, so nothing of it is contained and no deny can be attached to the old name; add user mallory to the incident (with its access keys), then run again",
        ].join("\n"),
      );
    });

    it("a UserId an earlier run recorded, found under another name: renamed; a second user made under the old name too", async () => {
      const recorded = { alice: "AIDAALICE", bob: "AIDABOB" };
      const renamed = await userIdentities(users, recorded, [], iam({ bob: "AIDABOB", mallory: "AIDAALICE" }));
      expect(renamed.renamed).toEqual([
        {
          account: "123456789012",
          user: "alice",
          name: "mallory",
          evidence: { userId: "AIDAALICE" },
          nameNowHeldBy: null,
          incidents: ["2026-11-28-a"],
        },
      ]);
      // The recorded id is kept while IAM has that user, under whatever name.
      expect(renamed.userIds).toEqual({ alice: "AIDAALICE", bob: "AIDABOB" });
      expect(uncontainedUsersError(plan, renamed.renamed, [])?.split("\n")[1]).toBe(
        "incidents/2026-11-28-a.yaml: user alice (incident 2026-11-28-a) was renamed to mallory (same id AIDAALICE): its credentials, console password and policies went with it, so nothing of it is contained and no deny can be attached to the old name; add user mallory to the incident (with its access keys), then run again",
      );
      const again = await userIdentities(
        users,
        recorded,
        [],
        iam({ alice: "AIDANEWALICE", bob: "AIDABOB", mallory: "AIDAALICE" }),
      );
      expect(again.renamed.map((r) => [r.name, r.nameNowHeldBy])).toEqual([["mallory", "AIDANEWALICE"]]);
    });

    it("no record and no listed key of another owner: deleted, as before; a record IAM no longer has is replaced", async () => {
      const deleted = await userIdentities(users, { alice: "AIDAALICE" }, [], iam({ bob: "AIDABOB" }));
      expect(deleted).toEqual({ renamed: [], userIds: { bob: "AIDABOB" } });
      const recreated = await userIdentities(
        users,
        { alice: "AIDAALICE" },
        [],
        iam({ alice: "AIDANEW", bob: "AIDABOB" }),
      );
      expect(recreated).toEqual({ renamed: [], userIds: { alice: "AIDANEW", bob: "AIDABOB" } });
      // Another spelling of the same name is the same user: never a rename.
      const spelt = await userIdentities(
        users,
        { alice: "AIDAALICE" },
        [],
        iam({ Alice: "AIDAALICE", bob: "AIDABOB" }),
      );
      expect(spelt.renamed).toEqual([]);
      expect(uncontainedUsersError(plan, [], [])).toBeUndefined();
    });
  });

  it("a withheld incident an earlier run contained keeps its instant: said apart from one never contained", () => {
    const incidents = loadIncidents(
      ["a", "b"].map((x) => ({
        path: `incidents/2026-11-28-${x}.yaml`,
        text: `id: 2026-11-28-${x}\ntitle: t\naccount: "123456789012"\ncutoff: at-containment\nusers:\n  - name: user-${x}\n    accessKeys: [AKIA${x.toUpperCase()}0000000000000001]\n`,
      })),
      { now: NOW },
    ).incidents;
    const plan = buildPlan(incidents, { account: "123456789012" });
    const renamed = ["a", "b"].map((x) => ({
      account: "123456789012",
      user: `user-${x}`,
      name: `mallory-${x}`,
      evidence: { userId: `AIDA${x.toUpperCase()}` },
      nameNowHeldBy: null,
      incidents: [`2026-11-28-${x}`],
    }));
    const headline = (contained: string[]) => uncontainedUsersError(plan, renamed, [], contained)?.split("\n")[0];
    expect(headline(["2026-11-28-b"])).toBe(
      "cordon does not take incidents 2026-11-28-a, 2026-11-28-b for contained: no containment instant is recorded for incident 2026-11-28-a (an at-containment incident's principals are denied everything until one is); the containment instant an earlier run recorded for incident 2026-11-28-b stays, and so does its cutoff (nothing cordon applied changed), everything else is declared, and this update fails at its end:",
    );
    expect(headline(["2026-11-28-a", "2026-11-28-b"])).toBe(
      "cordon does not take incidents 2026-11-28-a, 2026-11-28-b for contained: the containment instant an earlier run recorded for them stays, and so does its cutoff (nothing cordon applied changed), everything else is declared, and this update fails at its end:",
    );
    expect(headline([])).toBe(
      "cordon does not take incidents 2026-11-28-a, 2026-11-28-b for contained: no containment instant is recorded for them (an at-containment incident's principals are denied everything until one is), everything else is declared, and this update fails at its end:",
    );
  });

  it("finds the instants this stack's checkpoint holds: the time.Static of each ContainmentInstant, by account and incident", () => {
    const urn = (type: string, name: string) => `urn:pulumi:prod-123456789012::cordon::${type}::${name}`;
    const instant = (name: string, rfc3339: unknown = "2026-11-28T10:26:13Z") => ({
      [urn("cordon:iam:ContainmentInstant$time:index/static:Static", name)]: {
        type: "time:index/static:Static",
        outputs: { rfc3339 },
      },
    });
    const ids = ["2026-11-28-a", "2026-11-28-b", "2026-11-28-c", "2026-11-28-d", "2026-11-28-e"];
    const resources = {
      ...instant("123456789012-2026-11-28-a"),
      // Another account's instant, one with no instant yet, and a resource of another type.
      ...instant("210987654321-2026-11-28-b"),
      ...instant("123456789012-2026-11-28-c", null),
      [urn("cordon:iam:ContainmentInstant", "123456789012-2026-11-28-d")]: {
        type: "cordon:iam:ContainmentInstant",
        outputs: { incident: "2026-11-28-d", instant: "2026-11-28T10:26:13Z" },
      },
      // The same name under no ContainmentInstant.
      [urn("time:index/static:Static", "123456789012-2026-11-28-e")]: {
        type: "time:index/static:Static",
        outputs: { rfc3339: "2026-11-28T10:26:13Z" },
      },
    };
    expect(instantsHeld("123456789012", ids, resources)).toEqual(["2026-11-28-a"]);
    expect(instantsHeld("123456789012", ["2026-11-28"], resources)).toEqual([]);
    expect(instantsHeld("123456789012", ids, {})).toEqual([]);
  });

  it("refuses invalid files with every diagnostic, and passes none", () => {
    expect(invalidFilesProblem("incidents", [])).toBeUndefined();
    expect(
      invalidFilesProblem("incidents", [
        { file: "incidents/x.yaml", line: 1, col: 1, code: "E_READ", message: "no such file or folder" },
      ]),
    ).toBe(
      "cordon declared nothing: 1 problem in the incident files (`npx cordon validate incidents` shows the same):\nincidents/x.yaml:1:1 E_READ no such file or folder",
    );
  });
});

describe("stack outputs", () => {
  const text = (id: string, cutoff: string, principals: string) => ({
    path: `incidents/${id}.yaml`,
    text: `id: ${id}\ntitle: t\naccount: "123456789012"\ncutoff: ${cutoff}\n${principals}`,
  });
  const { incidents } = loadIncidents(
    [
      text("explicit", "2026-11-28T10:00:00Z", "roles: [{ name: deploy }]\n"),
      text("contained", "at-containment", "users: [{ name: dana }]\n"),
    ],
    { now: NOW },
  );
  const plan = buildPlan(incidents, { account: "123456789012" });

  it("are what the commands read back: the recorded instant, and the expiry counted from it", () => {
    const outputs = stackOutputs("123456789012", plan, (_id, output) => output("2026-11-28T12:26:00Z"));
    expect(outputs).toEqual({
      account: "123456789012",
      incidents: {
        contained: {
          // The recorded instant plus IAM's propagation margin.
          cutoff: "2026-11-28T12:28:00Z",
          atContainment: true,
          containedAt: "2026-11-28T12:26:00Z",
          expiresAt: "2026-11-30T00:28:00Z",
          mode: "revoke-older-sessions",
          account: "123456789012",
          principals: [{ type: "user", name: "dana", account: "123456789012" }],
          accessKeys: [],
          goneAccessKeys: [],
          gonePrincipals: [],
          organization: { scp: false, rcp: false },
          identityCenterUsers: [],
        },
        explicit: {
          cutoff: "2026-11-28T10:00:00Z",
          atContainment: false,
          expiresAt: "2026-11-28T22:00:00Z",
          mode: "revoke-older-sessions",
          account: "123456789012",
          principals: [{ type: "role", name: "deploy", account: "123456789012" }],
          accessKeys: [],
          goneAccessKeys: [],
          gonePrincipals: [],
          organization: { scp: false, rcp: false },
          identityCenterUsers: [],
        },
      },
      replacementRoles: [],
      rolesWithManagedDeny: [],
      usersWithInlineDeny: [],
    });
    expect(containmentFromStackOutputs(outputs)).toEqual({
      contained: { cutoff: "2026-11-28T12:28:00Z", accessKeys: [] },
    });
  });

  it("leave an at-containment incident to the program until its instant is recorded", () => {
    const outputs = stackOutputs("123456789012", plan, (id) => `pending ${id}`);
    expect(outputs.incidents.contained).toBe("pending contained");
  });
});

describe("an at-containment incident whose instant cannot be had", () => {
  const plan = buildPlan(
    loadIncidents(
      [
        {
          path: "incidents/pending.yaml",
          text: 'id: pending\ntitle: t\naccount: "123456789012"\ncutoff: at-containment\nroles: [{ name: deploy }]\n',
        },
      ],
      { now: NOW },
    ).incidents,
    { uncontained: ["pending"] },
  );

  it("is denied everything, published as pending, and read back as pending: active, with no cutoff for anyone to take", () => {
    expect(plan.denyPolicies[0].document.Statement).toEqual([
      { Sid: `CordonDenyUntilContained${sidPart("pending")}`, Effect: "Deny", Action: "*", Resource: "*" },
    ]);
    expect(plan.denyPolicies[0].pendingContainment).toEqual([]);
    const outputs = stackOutputs("123456789012", plan, () => {
      throw new Error("nothing is recorded for it in this run");
    });
    expect(outputs.incidents.pending).toMatchObject({
      cutoff: "at-containment",
      atContainment: true,
      expiresAt: null,
      deniedUntilContained: true,
    });
    expect(containmentFromStackOutputs(outputs)).toEqual({});
    expect(appliedState(outputs).incidents.pending).toMatchObject({ cutoff: "at-containment", expiresAt: null });
    expect(() =>
      appliedState({
        ...outputs,
        incidents: { pending: { ...outputs.incidents.pending, expiresAt: "2026-11-30T00:00:00Z" } },
      }),
    ).toThrow(
      'incidents.pending.expiresAt: expected null while the containment instant is pending, found "2026-11-30T00:00:00Z"',
    );
  });

  it("reads another stack's recorded cutoff only when it is what the program exports: anything else gives none (the safe side)", () => {
    const x = { id: "x", users: [{ accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }] } as Pick<Incident, "id" | "users">;
    const recorded = {
      incidents: {
        x: {
          atContainment: true,
          cutoff: "2026-11-28T12:28:00Z",
          containedAt: "2026-11-28T12:26:00Z",
          accessKeys: ["AKIAIOSFODNN7EXAMPLE"],
        },
      },
    };
    expect(recordedIn(recorded, x)).toEqual({ cutoff: "2026-11-28T12:28:00Z", containedAt: "2026-11-28T12:26:00Z" });
    for (const damaged of [
      undefined,
      {},
      { incidents: [] },
      { incidents: { x: { atContainment: true, cutoff: "at-containment" } } },
      { incidents: { x: { atContainment: false, cutoff: "2026-11-28T12:28:00Z" } } },
      { incidents: { x: { atContainment: true, cutoff: "tomorrow" } } },
      { incidents: { y: recorded.incidents.x } },
      { incidents: Object.create({ x: recorded.incidents.x }) },
      // No keys, or keys the file no longer lists as they were: recorded for another incident.
      { incidents: { x: { ...recorded.incidents.x, accessKeys: undefined } } },
      { incidents: { x: { ...recorded.incidents.x, accessKeys: [] } } },
      { incidents: { x: { ...recorded.incidents.x, accessKeys: [42] } } },
    ]) {
      expect(recordedIn(damaged, x), JSON.stringify(damaged)).toBeUndefined();
    }
  });

  it("takes an instant recorded while the incident had other keys as not recorded: a follow-up that adds a key waits for the owner's new instant", () => {
    const recordedFor = (accessKeys: string[]) => ({
      incidents: { x: { atContainment: true, cutoff: "2026-11-28T12:28:00Z", accessKeys } },
    });
    const now = {
      id: "x",
      users: [{ accessKeys: ["AKIAK1K1K1K1K1K1K1K1"] }, { accessKeys: ["AKIAK2K2K2K2K2K2K2K2"] }],
    };
    const incident = now as Pick<Incident, "id" | "users">;
    expect(recordedIn(recordedFor(["AKIAK1K1K1K1K1K1K1K1"]), incident)).toBeUndefined();
    expect(
      recordedIn(recordedFor(["AKIAK1K1K1K1K1K1K1K1", "AKIAK2K2K2K2K2K2K2K2", "AKIAK3K3K3K3K3K3K3K3"]), incident),
    ).toBeUndefined();
    // The same set, in any order.
    expect(recordedIn(recordedFor(["AKIAK2K2K2K2K2K2K2K2", "AKIAK1K1K1K1K1K1K1K1"]), incident)).toEqual({
      cutoff: "2026-11-28T12:28:00Z",
    });
  });
});
