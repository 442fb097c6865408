/**
 * Which access keys hold an at-containment incident's instant back, and which move it: every key
 * IAM lists for the incident's users that the files do not keep, not only the exposed ones
 * (plan/declarations.ts, plan/credentials.ts, program/containment.ts). Over generated key sets:
 * exposed, kept or other, Active or Inactive, listed by the run that recorded the instant or not.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Incident, KeptCredentials } from "../incident/types.ts";
import { credentialPlan, keyHoldersOf, type UserListing } from "../plan/credentials.ts";
import { instantsToRecord } from "../plan/declarations.ts";
import { buildPlan } from "../plan/plan.ts";
import { stillActive, usersVanishedNote, vanishedUsers } from "../program/containment.ts";

const ACCOUNT = "123456789012";
const ID = "2026-11-28-ci-key";
const USERS = ["ci-deployer", "dana"] as const;

interface GeneratedKey {
  id: string;
  user: (typeof USERS)[number];
  role: "exposed" | "kept" | "other";
  status: "Active" | "Inactive";
  /** Listed by the run that recorded the last instant. */
  seenBefore: boolean;
}

const keySet = fc
  .array(
    fc.record({
      user: fc.constantFrom(...USERS),
      role: fc.constantFrom("exposed" as const, "kept" as const, "other" as const),
      status: fc.constantFrom("Active" as const, "Inactive" as const),
      seenBefore: fc.boolean(),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((keys): GeneratedKey[] => keys.map((key, i) => ({ ...key, id: `AKIAGENKEY${String(i).padStart(10, "0")}` })));

const keep = (accessKeys: string[]): KeptCredentials => ({
  accessKeys,
  serviceSpecificCredentials: [],
  sshPublicKeys: [],
  signingCertificates: [],
  consolePassword: false,
});

function incidentOf(keys: GeneratedKey[]): Incident {
  const of = (user: string, role: GeneratedKey["role"]) =>
    keys.filter((k) => k.user === user && k.role === role).map((k) => k.id);
  return {
    id: ID,
    file: `incidents/${ID}.yaml`,
    title: ID,
    account: ACCOUNT,
    cutoff: "at-containment",
    mode: "revoke-older-sessions",
    users: USERS.map((name) => ({
      name,
      account: ACCOUNT,
      accessKeys: of(name, "exposed"),
      keep: keep(of(name, "kept")),
    })),
    roles: [],
    organization: { scp: false, rcp: false },
    identityCenterUsers: [],
    replacementRoles: [],
  };
}

function listings(keys: GeneratedKey[]): UserListing[] {
  return USERS.map((user) => ({
    account: ACCOUNT,
    user,
    exists: true,
    credentials: keys
      .filter((k) => k.user === user)
      .map((k) => ({ kind: "access-key" as const, id: k.id, status: k.status, createdAt: null })),
    loginProfile: null,
    mfaDevices: [],
    attachedPolicies: [],
  }));
}

/** What triggers the incident's instant when IAM lists `listed`. */
function triggers(incident: Incident, listed: GeneratedKey[]) {
  const plan = buildPlan([incident], { account: ACCOUNT });
  const credentials = credentialPlan([incident], { account: ACCOUNT, listings: listings(listed) });
  const [instant] = instantsToRecord(plan, ACCOUNT, credentials);
  return { accessKeys: instant.accessKeyIds, otherAccessKeys: instant.otherAccessKeyIds };
}

const ids = (keys: GeneratedKey[]) => keys.map((k) => k.id).sort();

describe("the keys that trigger an at-containment incident's instant", () => {
  it("the exposed keys, and every other key of its users that the files do not keep, Active or Inactive; never a kept one", () => {
    fc.assert(
      fc.property(keySet, (keys) => {
        expect(triggers(incidentOf(keys), keys)).toEqual({
          accessKeys: ids(keys.filter((k) => k.role === "exposed")),
          otherAccessKeys: ids(keys.filter((k) => k.role === "other")),
        });
      }),
    );
  });

  it("a key the last instant's run did not list moves the instant when the files do not keep it, whether it is found Active or already Inactive; an exposed or kept key never does", () => {
    fc.assert(
      fc.property(keySet, (keys) => {
        const incident = incidentOf(keys);
        const before = triggers(
          incident,
          keys.filter((k) => k.seenBefore),
        );
        const now = triggers(incident, keys);
        const unknownBefore = keys.filter((k) => k.role === "other" && !k.seenBefore);
        expect(now.accessKeys).toEqual(before.accessKeys);
        expect(JSON.stringify(now) !== JSON.stringify(before)).toBe(unknownBefore.length > 0);
      }),
    );
  });

  it("the same listing gives the same triggers, whatever order IAM lists the keys in", () => {
    fc.assert(
      fc.property(keySet, fc.infiniteStream(fc.double({ noNaN: true })), (keys, order) => {
        const shuffled = keys
          .map((k) => ({ k, at: order.next().value }))
          .sort((a, b) => a.at - b.at)
          .map(({ k }) => k);
        expect(triggers(incidentOf(keys), shuffled)).toEqual(triggers(incidentOf(keys), keys));
      }),
    );
  });
});

describe("the keys that keep the instant from being recorded after the run's key steps", () => {
  it("every key IAM lists then for the incident's users that the files do not keep and that is not Inactive, one the run's listing never saw included; a kept key never", () => {
    fc.assert(
      fc.property(keySet, (keys) => {
        const incident = incidentOf(keys);
        // The run listed only what it had seen; IAM lists every key after its key steps.
        const listedByRun = keys.filter((k) => k.seenBefore);
        const credentials = credentialPlan([incident], { account: ACCOUNT, listings: listings(listedByRun) });
        const after = keyHoldersOf(credentials, ID).map(({ user, keep, existed }) => ({
          user,
          keep,
          existed,
          listed: keys.filter((k) => k.user === user).map((k) => ({ accessKeyId: k.id, status: k.status })),
        }));
        const usable = stillActive(after);
        expect(usable.map((k) => k.accessKeyId).sort()).toEqual(
          ids(keys.filter((k) => k.role !== "kept" && k.status === "Active")),
        );
        for (const key of usable) expect(keys.find((k) => k.id === key.accessKeyId)?.user).toBe(key.user);
      }),
    );
  });

  it("a user IAM never had holds no key back; one it had when the run listed it and no longer finds by name is not taken for contained", () => {
    expect(stillActive([{ user: "dana", keep: [], listed: null, existed: false }])).toEqual([]);
    expect(vanishedUsers([{ user: "dana", keep: [], listed: null, existed: false }])).toEqual([]);
    // Renamed during the run (iam:UpdateUser keeps its keys under the new name), or deleted: the run cannot tell.
    const after = [
      { user: "dana", keep: [], listed: null, existed: true },
      { user: "erin", keep: [], listed: [], existed: true },
    ];
    expect(stillActive(after)).toEqual([]);
    expect(vanishedUsers(after)).toEqual(["dana"]);
    expect(usersVanishedNote("2026-11-28-a", vanishedUsers(after))).toBe(
      "incident 2026-11-28-a: IAM no longer has user dana by that name after this run's key steps, though it had when this run listed the incident's credentials (deleted, or renamed with its keys), so no containment instant is recorded: the incident's principals are denied everything until a run finds every access key of its users that the files do not keep Inactive",
    );
  });
});
