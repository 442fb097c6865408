/**
 * Issue 20, items 1 and 2: the fate of every credential of a compromised user (plan/credentials.ts).
 * Tables for each fate, then properties over generated credential sets, keep lists and incidents:
 * nothing the files do not keep is ever kept, nothing is ever set Active or deleted, a kept
 * credential must be kept by every incident naming its user, and the plan does not depend on the
 * order anything comes in.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Incident, KeptCredentials } from "../incident/types.ts";
import { buildPlan } from "../plan/plan.ts";
import {
  CREDENTIAL_KINDS,
  credentialPlan,
  credentialsToDisable,
  irreversibleActions,
  KEEP_FIELD,
  type CredentialKind,
  type ListedCredential,
  type UserListing,
} from "../plan/credentials.ts";

const ACCOUNT = "123456789012";
const EXPOSED = "AKIAEXPOSEDKEY000001";
const SECOND = "AKIASECONDKEY0000002";
const SSH = "APKAATTACKERSSHKEY01";
const CERT = "CERT00000000000000000000ABC";
const CODECOMMIT = "ACCACODECOMMITCRED001";

const keep = (more: Partial<KeptCredentials> = {}): KeptCredentials => ({
  accessKeys: [],
  serviceSpecificCredentials: [],
  sshPublicKeys: [],
  signingCertificates: [],
  consolePassword: false,
  ...more,
});

function incident(id: string, users: Incident["users"], more: Partial<Incident> = {}): Incident {
  return {
    id,
    file: `incidents/${id}.yaml`,
    title: id,
    account: ACCOUNT,
    cutoff: "2026-11-28T10:00:00Z",
    mode: "revoke-older-sessions",
    users,
    roles: [],
    organization: { scp: false, rcp: false },
    identityCenterUsers: [],
    replacementRoles: [],
    ...more,
  };
}

const listing = (credentials: ListedCredential[], more: Partial<UserListing> = {}): UserListing => ({
  account: ACCOUNT,
  user: "ci-deployer",
  exists: true,
  credentials,
  loginProfile: null,
  mfaDevices: [],
  attachedPolicies: [],
  ...more,
});
const credential = (kind: CredentialKind, id: string, status = "Active", service?: string): ListedCredential => ({
  kind,
  id,
  status,
  createdAt: "2026-11-28T02:05:00Z",
  ...(service ? { service } : {}),
});

describe("the fate of each credential", () => {
  const ci = (user: Partial<Incident["users"][number]> = {}) =>
    incident("2026-11-28-ci-key", [
      { name: "ci-deployer", account: ACCOUNT, accessKeys: [EXPOSED], keep: keep(), ...user },
    ]);

  it("everything the file does not keep is disabled, already-inactive ones stay declared, expired and kept ones are left alone", () => {
    const plan = credentialPlan([ci({ keep: keep({ signingCertificates: [CERT] }) })], {
      listings: [
        listing([
          credential("access-key", EXPOSED),
          credential("access-key", SECOND, "Inactive"),
          credential("ssh-public-key", SSH),
          credential("signing-certificate", CERT),
          credential("service-specific-credential", CODECOMMIT, "Active", "codecommit.amazonaws.com"),
          credential("service-specific-credential", "ACCABEDROCKEXPIRED001", "Expired", "bedrock.amazonaws.com"),
        ]),
      ],
    });
    expect(plan.users[0].credentials.map((c) => [c.kind, c.id, c.status, c.fate, c.resourceName, c.importId])).toEqual([
      ["access-key", EXPOSED, "Active", "disable", `${ACCOUNT}-ci-deployer-${EXPOSED}`, EXPOSED],
      ["access-key", SECOND, "Inactive", "already-inactive", `${ACCOUNT}-ci-deployer-${SECOND}`, SECOND],
      ["service-specific-credential", "ACCABEDROCKEXPIRED001", "Expired", "expired", null, null],
      [
        "service-specific-credential",
        CODECOMMIT,
        "Active",
        "disable",
        `${ACCOUNT}-ci-deployer-service-credential-${CODECOMMIT}`,
        `codecommit.amazonaws.com:ci-deployer:${CODECOMMIT}`,
      ],
      ["ssh-public-key", SSH, "Active", "disable", `${ACCOUNT}-ci-deployer-ssh-key-${SSH}`, `ci-deployer:${SSH}:SSH`],
      ["signing-certificate", CERT, "Active", "kept", null, null],
    ]);
  });

  it("a credential the files name that IAM no longer lists is gone; without a listing, every fate but the kept ones' is decided at up", () => {
    const file = ci({ keep: keep({ sshPublicKeys: [SSH] }) });
    expect(credentialPlan([file], { listings: [listing([])] }).users[0].credentials.map((c) => [c.id, c.fate])).toEqual(
      [
        [EXPOSED, "gone"],
        [SSH, "gone"],
      ],
    );
    const offline = credentialPlan([file]).users[0];
    expect([
      offline.listed,
      offline.exists,
      offline.credentials.map((c) => [c.id, c.fate]),
      offline.consolePassword,
    ]).toEqual([
      false,
      null,
      [
        [EXPOSED, "at-up"],
        [SSH, "kept"],
      ],
      { state: "unknown", fate: "delete-if-present", createdAt: null },
    ]);
  });

  it("the console password: deleted when present unless kept; MFA devices: deactivated when asked, reported when enabled after the cutoff", () => {
    const devices = {
      mfaDevices: [
        { serial: "arn:aws:iam::123456789012:mfa/owner", enabledAt: "2026-01-01T00:00:00Z" },
        { serial: "arn:aws:iam::123456789012:mfa/attacker", enabledAt: "2026-11-28T10:05:00Z" },
        { serial: "arn:aws:iam::123456789012:mfa/second", enabledAt: "2026-11-28T10:06:00Z" },
      ],
    };
    const asked = ci({
      deactivateMfaDevices: ["arn:aws:iam::123456789012:mfa/attacker", "arn:aws:iam::123456789012:mfa/deleted"],
    });
    const user = credentialPlan([asked], {
      listings: [listing([], { loginProfile: { createdAt: "2026-11-28T02:06:00Z" }, ...devices })],
    }).users[0];
    expect(user.consolePassword).toEqual({ state: "present", fate: "delete", createdAt: "2026-11-28T02:06:00Z" });
    expect(user.mfaDevices.map((d) => [d.serial.split("/")[1], d.afterCutoff, d.fate])).toEqual([
      ["attacker", true, "deactivate"],
      ["deleted", null, "gone"],
      ["owner", false, "none"],
      ["second", true, "report"],
    ]);
    const kept = credentialPlan([ci({ keep: keep({ consolePassword: true }) })], {
      listings: [listing([], { loginProfile: { createdAt: null } })],
    }).users[0];
    expect(kept.consolePassword.fate).toBe("kept");
    expect(credentialPlan([ci()], { listings: [listing([])] }).users[0].consolePassword).toEqual({
      state: "absent",
      fate: "none",
      createdAt: null,
    });
    expect(
      irreversibleActions(
        credentialPlan([asked], { listings: [listing([], { loginProfile: { createdAt: null }, ...devices })] }),
      ),
    ).toEqual({
      deleteConsolePasswords: [{ account: ACCOUNT, user: "ci-deployer" }],
      deactivateMfaDevices: [
        { account: ACCOUNT, user: "ci-deployer", serial: "arn:aws:iam::123456789012:mfa/attacker" },
      ],
    });
  });

  it("an MFA device is compared with the recorded containment instant of an at-containment incident, and with nothing before it is recorded", () => {
    const file = { ...ci(), cutoff: "at-containment" };
    const device = { mfaDevices: [{ serial: "GAHT12345678", enabledAt: "2026-11-28T10:05:00Z" }] };
    expect(credentialPlan([file], { listings: [listing([], device)] }).users[0].mfaDevices[0]).toMatchObject({
      afterCutoff: null,
      fate: "none",
    });
    expect(
      credentialPlan([file], {
        listings: [listing([], device)],
        containment: { "2026-11-28-ci-key": "2026-11-28T10:00:00Z" },
      }).users[0].mfaDevices[0],
    ).toMatchObject({ afterCutoff: true, fate: "report" });
  });

  it("AWS's quarantine policy attached to the user is reported, never anything cordon touches", () => {
    const user = credentialPlan([ci()], {
      listings: [
        listing([], {
          attachedPolicies: ["AWSCompromisedKeyQuarantineV3", "ReadOnlyAccess", "cordon-revoke-sessions-ci-deployer"],
        }),
      ],
    }).users[0];
    expect(user.quarantinePolicies).toEqual(["AWSCompromisedKeyQuarantineV3"]);
  });

  it("two incidents name the user: kept only what both keep, and never a key either lists as exposed", () => {
    const first = incident("a-first", [
      {
        name: "ci-deployer",
        account: ACCOUNT,
        accessKeys: [],
        keep: keep({ accessKeys: [SECOND, EXPOSED], sshPublicKeys: [SSH], consolePassword: true }),
      },
    ]);
    const second = incident("b-second", [
      {
        name: "CI-Deployer",
        account: ACCOUNT,
        accessKeys: [EXPOSED],
        keep: keep({ accessKeys: [SECOND], consolePassword: false }),
      },
    ]);
    const user = credentialPlan([second, first], {
      listings: [
        listing(
          [credential("access-key", EXPOSED), credential("access-key", SECOND), credential("ssh-public-key", SSH)],
          { loginProfile: { createdAt: null } },
        ),
      ],
    }).users[0];
    expect(user.keep).toEqual(keep({ accessKeys: [SECOND] }));
    expect(user.credentials.map((c) => [c.id, c.fate])).toEqual([
      [EXPOSED, "disable"],
      [SECOND, "kept"],
      [SSH, "disable"],
    ]);
    expect(user.consolePassword.fate).toBe("delete");
    expect(user.incidents).toEqual(["a-first", "b-second"]);
  });

  it("what the program declares: the exposed keys under their old resource names, with every other credential once", () => {
    const files = [ci()];
    const plan = buildPlan(files);
    const credentials = credentialPlan(files, {
      listings: [
        listing([
          credential("access-key", EXPOSED),
          credential("access-key", SECOND, "Inactive"),
          credential("ssh-public-key", SSH),
        ]),
      ],
    });
    const declared = credentialsToDisable(plan, credentials);
    expect(declared.accessKeys.map((k) => k.resourceName)).toEqual([
      `${ACCOUNT}-ci-deployer-${EXPOSED}`,
      `${ACCOUNT}-ci-deployer-${SECOND}`,
    ]);
    expect(declared.accessKeys[0]).toEqual(plan.accessKeys[0]);
    expect(declared.others).toEqual([
      {
        account: ACCOUNT,
        user: "ci-deployer",
        kind: "ssh-public-key",
        id: SSH,
        status: "Inactive",
        service: null,
        importId: `ci-deployer:${SSH}:SSH`,
        resourceName: `${ACCOUNT}-ci-deployer-ssh-key-${SSH}`,
        incidents: ["2026-11-28-ci-key"],
      },
    ]);
    // An exposed key IAM no longer lists (deleted) stays the plan's to report: nothing is declared for it twice.
    expect(
      credentialsToDisable(
        buildPlan(files, { goneAccessKeys: [EXPOSED] }),
        credentialPlan(files, { listings: [listing([])] }),
      ),
    ).toEqual({ accessKeys: [], others: [] });
  });
});

// ---- Properties

const ID_SHAPE: Record<CredentialKind, fc.Arbitrary<string>> = {
  "access-key": fc.stringMatching(/^AKIA[A-Z0-9]{16}$/),
  "service-specific-credential": fc.stringMatching(/^ACCA[A-Z0-9]{17}$/),
  "ssh-public-key": fc.stringMatching(/^APKA[A-Z0-9]{16}$/),
  "signing-certificate": fc.stringMatching(/^[a-z0-9]{32}$/),
};
const listedCredential = fc.constantFrom(...CREDENTIAL_KINDS).chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    id: ID_SHAPE[kind],
    status: fc.constantFrom("Active", "Inactive", ...(kind === "service-specific-credential" ? ["Expired"] : [])),
    createdAt: fc.constant(null),
    service: fc.constant(kind === "service-specific-credential" ? "codecommit.amazonaws.com" : undefined),
  }),
);
const USERS = ["ci-deployer", "dana"];

/** Generated credential sets per user, and incidents that keep (or expose) some of them, others and none. */
const scenario = fc
  .record({
    listed: fc.record(
      Object.fromEntries(
        USERS.map((u) => [u, fc.uniqueArray(listedCredential, { selector: (c) => c.id, maxLength: 8 })]),
      ) as Record<string, fc.Arbitrary<ListedCredential[]>>,
    ),
    stray: fc.array(
      fc.constantFrom(...CREDENTIAL_KINDS).chain((kind) => ID_SHAPE[kind].map((id) => ({ kind, id }))),
      { maxLength: 3 },
    ),
  })
  .chain(({ listed, stray }) => {
    const pool = [
      ...Object.values(listed)
        .flat()
        .map(({ kind, id }) => ({ kind, id })),
      ...stray,
    ];
    const pick = pool.length === 0 ? fc.constant([] as { kind: CredentialKind; id: string }[]) : fc.subarray(pool);
    const user = (name: string) =>
      fc
        .record({
          keep: pick,
          exposed: pick,
          console: fc.boolean(),
          spelling: fc.constantFrom(name, name.toUpperCase()),
        })
        .map(({ keep: kept, exposed, console, spelling }) => ({
          name: spelling,
          account: ACCOUNT,
          accessKeys: [...new Set(exposed.filter((c) => c.kind === "access-key").map((c) => c.id))],
          keep: {
            ...keepOf(kept),
            consolePassword: console,
          },
        }));
    const incidents = fc.array(
      fc.subarray(USERS, { minLength: 1 }).chain((names) => fc.tuple(...names.map(user))),
      { minLength: 1, maxLength: 3 },
    );
    return fc.record({ listed: fc.constant(listed), incidents, console: fc.boolean() });
  });

function keepOf(kept: { kind: CredentialKind; id: string }[]): Omit<KeptCredentials, "consolePassword"> {
  return Object.fromEntries(
    CREDENTIAL_KINDS.map((kind) => [
      KEEP_FIELD[kind],
      [...new Set(kept.filter((c) => c.kind === kind).map((c) => c.id))],
    ]),
  ) as Omit<KeptCredentials, "consolePassword">;
}

const asIncidents = (users: Incident["users"][]) => users.map((list, i) => incident(`incident-${i}`, list));
const listingsOf = (listed: Record<string, ListedCredential[]>, console: boolean) =>
  USERS.map((user) => listing(listed[user], { user, loginProfile: console ? { createdAt: null } : null }));

describe("properties over generated credential sets", () => {
  it("the plan never keeps a credential the files do not all keep by name, nor an exposed key; it never sets one Active nor deletes one", () => {
    fc.assert(
      fc.property(scenario, ({ listed, incidents, console }) => {
        const files = asIncidents(incidents);
        const plan = credentialPlan(files, { listings: listingsOf(listed, console) });
        for (const user of plan.users) {
          const naming = files.flatMap((f) => f.users.filter((u) => u.name.toLowerCase() === user.user.toLowerCase()));
          for (const entry of user.credentials) {
            const field = KEEP_FIELD[entry.kind];
            const keptByAll = naming.every((u) => (u.keep as KeptCredentials)[field].includes(entry.id));
            const exposed = naming.some((u) => u.accessKeys.includes(entry.id));
            if (entry.fate === "kept") {
              expect(keptByAll).toBe(true);
              expect(exposed).toBe(false);
            }
            if (keptByAll && !exposed && entry.status !== null) expect(entry.fate).toBe("kept");
            // The only fates: what is Active becomes Inactive, and nothing else changes.
            expect(["disable", "already-inactive", "expired", "kept", "gone"]).toContain(entry.fate);
            if (entry.fate === "disable") expect(entry.status).toBe("Active");
            expect(entry.resourceName !== null).toBe(entry.fate === "disable" || entry.fate === "already-inactive");
          }
          // Every credential IAM listed for the user has exactly one fate.
          const listedIds = listed[USERS.find((u) => u === user.user.toLowerCase())!].map((c) => c.id).sort();
          expect(
            user.credentials
              .filter((c) => c.status !== null)
              .map((c) => c.id)
              .sort(),
          ).toEqual(listedIds);
          const keptConsole = naming.every((u) => (u.keep as KeptCredentials).consolePassword);
          expect(user.consolePassword.fate).toBe(console ? (keptConsole ? "kept" : "delete") : "none");
        }
        const declared = credentialsToDisable(buildPlan(files), plan);
        expect(new Set([...declared.accessKeys, ...declared.others].map((c) => c.resourceName)).size).toBe(
          declared.accessKeys.length + declared.others.length,
        );
        expect([...declared.accessKeys, ...declared.others].every((c) => c.status === "Inactive")).toBe(true);
        // Declared: never a credential its own user keeps. (A key kept under one user and exposed under
        // another is disabled: validate refuses such files, E_KEEP_CONFLICT, and disabling is the safe side.)
        const kept = new Set(
          plan.users.flatMap((u) =>
            u.credentials.filter((c) => c.fate === "kept").map((c) => `${u.user.toLowerCase()}/${c.id}`),
          ),
        );
        const own = [
          ...declared.accessKeys.map((k) => `${k.user.toLowerCase()}/${k.accessKeyId}`),
          ...declared.others.map((c) => `${c.user.toLowerCase()}/${c.id}`),
        ];
        expect(own.filter((id) => kept.has(id))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("the plan does not depend on the order of the incidents, the listings or the credentials", () => {
    fc.assert(
      fc.property(scenario, fc.integer(), ({ listed, incidents, console }, seed) => {
        const files = asIncidents(incidents);
        const listings = listingsOf(listed, console);
        const shuffle = <T>(items: T[]) =>
          [...items].sort(
            (a, b) => ((JSON.stringify(a).length * 31 + seed) % 7) - ((JSON.stringify(b).length * 31 + seed) % 7),
          );
        const shuffled = credentialPlan(shuffle(files), {
          listings: shuffle(listings).map((l) => ({ ...l, credentials: shuffle(l.credentials) })),
        });
        expect(JSON.stringify(shuffled)).toBe(JSON.stringify(credentialPlan(files, { listings })));
      }),
      { numRuns: 100 },
    );
  });

  it("removing every incident leaves nothing declared: nothing is undone, the credentials stay as the last run left them", () => {
    fc.assert(
      fc.property(scenario, ({ listed, console }) => {
        const plan = credentialPlan([], { listings: listingsOf(listed, console) });
        expect(plan.users).toEqual([]);
        expect(credentialsToDisable(buildPlan([]), plan)).toEqual({ accessKeys: [], others: [] });
      }),
      { numRuns: 20 },
    );
  });
});
