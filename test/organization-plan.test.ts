/**
 * The organization guardrails in the plan (issue 11.3, 11.5): the documents cordon writes, exactly;
 * the management account's principals left out of the SCP and kept in the RCP; the split into as
 * few documents of at most 5,120 characters as fit, with names and statement ids from content,
 * never positions; each account's share with `--account`. What the documents mean is proven by an
 * evaluator cordon did not write, in test/organization-semantics.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import type { Incident } from "../incident/types.ts";
import {
  GUARDRAIL_MAX_CHARACTERS,
  guardrailSize,
  organizationPlan,
  parseOrganizationConfig,
  RCP_ACTIONS,
  type OrganizationConfig,
} from "../plan/organization.ts";
import { buildPlan } from "../plan/plan.ts";
import { sidPart } from "../plan/policies.ts";
import { renderPlan } from "../plan/render.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const MANAGEMENT = "999999999999";
const CONFIG: OrganizationConfig = { targets: ["r-abcd"], managementAccount: MANAGEMENT };

function load(...files: [string, string][]): Incident[] {
  const result = loadIncidents(
    files.map(([id, body]) => ({
      path: `incidents/${id}.yaml`,
      text: `id: ${id}\ntitle: t\naccount: "111111111111"\ncutoff: 2026-11-28T10:00:00Z\n${body}`,
    })),
    { now: NOW },
  );
  expect(result.errors).toEqual([]);
  return result.incidents;
}

/**
 * The conditions that name the principals (issue 19: none missed because of case): a role by its
 * ARN ignoring case, and under a path by ArnLike; a user by its name ignoring case, in its account.
 */
const roleConditions = (account: string, ...names: string[]) => [
  { StringEqualsIgnoreCase: { "aws:PrincipalArn": names.map((n) => `arn:aws:iam::${account}:role/${n}`) } },
  { ArnLike: { "aws:PrincipalArn": names.map((n) => `arn:aws:iam::${account}:role/*/${n}`) } },
];
const userCondition = (account: string, ...names: string[]) => ({
  StringEqualsIgnoreCase: { "aws:username": names },
  StringEquals: { "aws:PrincipalAccount": account },
});
/** The federated users of an account (GetFederationToken sessions, which carry no aws:username). */
const federatedCondition = (account: string) => ({
  StringEquals: { "aws:PrincipalType": "FederatedUser", "aws:PrincipalAccount": account },
});

describe("the documents", () => {
  it("SCP: deny every action to the principals, before the cutoff; RCP: the lateral actions, to any principal matching", () => {
    const incidents = load([
      "cross",
      'users: [{ name: build-bot }]\nroles: [{ name: data-loader, account: "444444444444" }]\norganization: { scp: true, rcp: true }\n',
    ]);
    const { policies, exclusions } = organizationPlan(incidents, CONFIG);
    const before = { DateLessThan: { "aws:TokenIssueTime": "2026-11-28T10:00:00Z" } };
    const [roles, paths] = roleConditions("444444444444", "data-loader");
    const statements = (deny: Record<string, unknown>) => [
      { Sid: "CordonRevokeCross29f5189b", ...deny, Condition: { ...roles, ...before } },
      {
        Sid: "CordonRevokeFederated111111111111Cross29f5189b",
        ...deny,
        Condition: { ...federatedCondition("111111111111"), ...before },
      },
      { Sid: "CordonRevokePathCross29f5189b", ...deny, Condition: { ...paths, ...before } },
      {
        Sid: "CordonRevokeUsers111111111111Cross29f5189b",
        ...deny,
        Condition: { ...userCondition("111111111111", "build-bot"), ...before },
      },
    ];
    expect(policies).toEqual([
      {
        kind: "scp",
        name: expect.stringMatching(/^cordon-scp-[0-9a-f]{8}$/),
        targets: ["r-abcd"],
        incidents: ["cross"],
        document: { Version: "2012-10-17", Statement: statements({ Effect: "Deny", Action: "*", Resource: "*" }) },
        pendingContainment: [],
      },
      {
        kind: "rcp",
        name: expect.stringMatching(/^cordon-rcp-[0-9a-f]{8}$/),
        targets: ["r-abcd"],
        incidents: ["cross"],
        document: {
          Version: "2012-10-17",
          Statement: statements({
            Effect: "Deny",
            Principal: "*",
            Action: ["kms:*", "s3:*", "secretsmanager:*", "sqs:*", "sts:AssumeRole*"],
            Resource: "*",
          }),
        },
        pendingContainment: [],
      },
    ]);
    expect(exclusions).toEqual([]);
  });

  it("users of several accounts: one statement per account, or a name would match in the other", () => {
    const incidents = load([
      "two",
      'users: [{ name: build-bot }, { name: dana, account: "444444444444" }, { name: eve }]\norganization: { scp: true }\n',
    ]);
    const [scp] = organizationPlan(incidents, CONFIG).policies;
    const before = { DateLessThan: { "aws:TokenIssueTime": "2026-11-28T10:00:00Z" } };
    expect(scp.document.Statement.map((s) => [s.Sid, s.Condition])).toEqual([
      ["CordonRevokeFederated111111111111Twobe248829", { ...federatedCondition("111111111111"), ...before }],
      ["CordonRevokeFederated444444444444Twobe248829", { ...federatedCondition("444444444444"), ...before }],
      [
        "CordonRevokeUsers111111111111Twobe248829",
        {
          ...userCondition("111111111111", "build-bot", "eve"),
          DateLessThan: { "aws:TokenIssueTime": "2026-11-28T10:00:00Z" },
        },
      ],
      [
        "CordonRevokeUsers444444444444Twobe248829",
        { ...userCondition("444444444444", "dana"), DateLessThan: { "aws:TokenIssueTime": "2026-11-28T10:00:00Z" } },
      ],
    ]);
  });

  describe("federated users (GetFederationToken sessions carry no aws:username): one statement per account of the incident's users", () => {
    const KEY = "AKIAQ3EGKB4TBUILDB0T";
    const RECORDED = "2026-11-28T11:32:00Z";
    const bob = `users:\n  - { name: build-bot, accessKeys: [${KEY}] }\n`;
    const keeps = `users:\n  - { name: build-bot, accessKeys: [${KEY}], keep: { accessKeys: [AKIAI44QH8DHBEXAMPLE] } }\n`;
    const dana = '  - { name: dana, account: "444444444444" }\n';
    const conditions = (body: string, cutoff: string, containment: Record<string, string> = {}) => {
      const incidents = load(["fed", `${body}organization: { scp: true, rcp: true }\n`]).map((i) => ({ ...i, cutoff }));
      const { policies } = organizationPlan(incidents, CONFIG, containment);
      expect(policies.map((p) => p.kind)).toEqual(["scp", "rcp"]);
      const [scp, rcp] = policies.map((p) =>
        p.document.Statement.filter((s) => s.Sid?.includes("Federated")).map((s) => [s.Sid, s.Condition]),
      );
      expect(rcp).toEqual(scp);
      return scp;
    };
    const until = (instant: string) => ({ DateLessThan: { "aws:TokenIssueTime": instant } });

    it.each([
      // revoke-older-sessions: the users' own condition, whatever the cutoff.
      [
        "revoke, an explicit cutoff",
        bob,
        "2026-11-28T10:00:00Z",
        {},
        { "111111111111": until("2026-11-28T10:00:00Z") },
      ],
      [
        "revoke, at-containment, recorded",
        bob,
        "at-containment",
        { fed: RECORDED },
        { "111111111111": until(RECORDED) },
      ],
      [
        "revoke, at-containment, not recorded yet (the placeholder the program fills)",
        bob,
        "at-containment",
        {},
        { "111111111111": until("{{containment:fed}}") },
      ],
      // deny-all: before the keys' containment where the recorded instant bounds every key of the account's users, else all.
      [
        "deny-all, an explicit cutoff (it says nothing of when the keys stopped)",
        bob,
        "2026-11-28T10:00:00Z",
        {},
        { "111111111111": {} },
      ],
      [
        "deny-all, at-containment, recorded, the keys' account",
        bob,
        "at-containment",
        { fed: RECORDED },
        { "111111111111": until(RECORDED) },
      ],
      ["deny-all, at-containment, not recorded yet", bob, "at-containment", {}, { "111111111111": {} }],
      [
        "deny-all, at-containment, recorded, a user there keeps an access key",
        keeps,
        "at-containment",
        { fed: RECORDED },
        { "111111111111": {} },
      ],
      [
        "deny-all, at-containment, recorded: another account's keys do not hold the instant back",
        bob + dana,
        "at-containment",
        { fed: RECORDED },
        { "111111111111": until(RECORDED), "444444444444": {} },
      ],
    ])("%s", (name, body, cutoff, containment, expected) => {
      const mode = name.startsWith("deny-all") ? "mode: deny-all\n" : "";
      const verb = mode === "" ? "Revoke" : "DenyAll";
      expect(conditions(mode + body, cutoff, containment)).toEqual(
        Object.entries(expected).map(([account, when]) => [
          `Cordon${verb}Federated${account}${sidPart("fed")}`,
          { ...federatedCondition(account), ...when },
        ]),
      );
    });

    it("none for roles or Identity Center users alone, and none for the management account's users in the SCP (the RCP keeps them)", () => {
      const roles = load(["roles", "roles: [{ name: deploy }]\norganization: { scp: true, rcp: true }\n"]);
      for (const policy of organizationPlan(roles, CONFIG).policies)
        expect(JSON.stringify(policy.document)).not.toContain("FederatedUser");
      const management = load([
        "mgmt",
        `users: [{ name: ops, account: "${MANAGEMENT}" }]\norganization: { scp: true, rcp: true }\n`,
      ]);
      const [rcp] = organizationPlan(management, CONFIG).policies;
      expect(rcp.kind).toBe("rcp");
      expect(rcp.document.Statement.map((s) => s.Condition?.StringEquals)).toContainEqual(
        federatedCondition(MANAGEMENT).StringEquals,
      );
    });

    it("says, in the readable plan, whose federated sessions a statement denies: every user's of the account", () => {
      const plan = buildPlan(load(["fed", "users: [{ name: build-bot }]\norganization: { scp: true }\n"]), {
        organization: CONFIG,
      });
      const lines = renderPlan(plan).split("\n");
      expect(lines).toContain(
        "    deny every action to federated users of 111111111111 (GetFederationToken sessions, whichever user minted them) for sessions issued before 2026-11-28T10:00:00Z",
      );
      expect(lines).toContain(
        "  no condition key names the IAM user that minted a federated user's session (GetFederationToken): the statements on federated users deny every user's in those accounts, not only the compromised users'",
      );
    });
  });

  it('never lets an RCP deny "*" (AWS refuses it): every action names its service', () => {
    expect(RCP_ACTIONS.every((action) => /^[a-z0-9-]+:[A-Za-z*]+$/.test(action) && action !== "*")).toBe(true);
  });

  it("deny-all: no condition but the principals; Identity Center users by identitystore:userId, in the SCP only", () => {
    const incidents = load([
      "idc",
      "mode: deny-all\nroles: [{ name: deploy }]\norganization: { scp: true, rcp: true }\nidentityCenterUsers: [{ userId: 906747e8d1-6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a }]\n",
    ]);
    const [scp, rcp] = organizationPlan(incidents, CONFIG).policies;
    const [roles, paths] = roleConditions("111111111111", "deploy");
    expect(scp.document.Statement).toEqual([
      { Sid: "CordonDenyAllIdc70cfac39", Effect: "Deny", Action: "*", Resource: "*", Condition: roles },
      {
        Sid: "CordonDenyAllIdentityCenterIdc70cfac39",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { StringEquals: { "identitystore:userId": ["906747e8d1-6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a"] } },
      },
      { Sid: "CordonDenyAllPathIdc70cfac39", Effect: "Deny", Action: "*", Resource: "*", Condition: paths },
    ]);
    expect(JSON.stringify(rcp.document)).not.toContain("identitystore");
  });

  it("an at-containment incident waits for the instant its stack records, then holds it", () => {
    const incidents = load(["later", "roles: [{ name: deploy }]\norganization: { scp: true }\n"]).map((i) => ({
      ...i,
      cutoff: "at-containment",
    }));
    const pending = organizationPlan(incidents, CONFIG).policies[0];
    expect(pending.pendingContainment).toEqual(["later"]);
    expect(pending.document.Statement[0].Condition?.DateLessThan).toEqual({
      "aws:TokenIssueTime": "{{containment:later}}",
    });
    const recorded = organizationPlan(incidents, CONFIG, { later: "2026-11-28T12:26:00Z" }).policies[0];
    expect(recorded.pendingContainment).toEqual([]);
    expect(recorded.document.Statement[0].Condition?.DateLessThan).toEqual({
      "aws:TokenIssueTime": "2026-11-28T12:26:00Z",
    });
    // The name comes from the statement ids, not from the instant: recording it changes no name.
    expect(recorded.name).toBe(pending.name);
  });

  it("leaves the management account's principals out of the SCP, says so, and keeps them in the RCP and in their IAM deny", () => {
    const incidents = load([
      "mgmt",
      `roles: [{ name: audit-reader, account: "${MANAGEMENT}" }, { name: deploy }]\norganization: { scp: true, rcp: true }\n`,
    ]);
    const plan = buildPlan(incidents, { organization: CONFIG });
    const [scp, rcp] = plan.organizationPolicies;
    expect(JSON.stringify(scp.document)).not.toContain(MANAGEMENT);
    expect(JSON.stringify(rcp.document)).toContain(`arn:aws:iam::${MANAGEMENT}:role/audit-reader`);
    expect(plan.organizationExclusions).toEqual([
      {
        account: MANAGEMENT,
        principal: { type: "role", name: "audit-reader" },
        incidents: ["mgmt"],
        reason: "management-account",
      },
    ]);
    expect(plan.denyPolicies.map((d) => `${d.account}/${d.principal.name}`)).toEqual([
      "111111111111/deploy",
      `${MANAGEMENT}/audit-reader`,
    ]);
    expect(renderPlan(plan)).toContain(
      `  not in the SCP: role audit-reader (${MANAGEMENT}, the management account: SCPs do not apply to it); its IAM deny above still applies  mgmt`,
    );
  });

  it("says, in the readable plan, that the revoke form cannot match a user's long-term key; deny-all needs no such note", () => {
    const note =
      "  a user's long-term access key carries no token issue time: the revoke form stops its sessions, and disabling the key (its account's stack) stops the key itself";
    const revoke = load(["cross", "users: [{ name: build-bot }]\norganization: { scp: true }\n"]);
    expect(renderPlan(buildPlan(revoke, { organization: CONFIG })).split("\n")).toContain(note);
    const denyAll = load(["cross", "mode: deny-all\nusers: [{ name: build-bot }]\norganization: { scp: true }\n"]);
    expect(renderPlan(buildPlan(denyAll, { organization: CONFIG })).split("\n")).not.toContain(note);
    const roles = load(["cross", "roles: [{ name: deploy }]\norganization: { scp: true }\n"]);
    expect(renderPlan(buildPlan(roles, { organization: CONFIG })).split("\n")).not.toContain(note);
  });

  it("an SCP with only the management account's principals has no statement for them", () => {
    const incidents = load([
      "only-mgmt",
      `roles: [{ name: audit-reader, account: "${MANAGEMENT}" }]\norganization: { scp: true }\n`,
    ]);
    expect(organizationPlan(incidents, CONFIG)).toEqual({
      policies: [],
      exclusions: [
        {
          account: MANAGEMENT,
          principal: { type: "role", name: "audit-reader" },
          incidents: ["only-mgmt"],
          reason: "management-account",
        },
      ],
    });
  });
});

describe("each account's share", () => {
  const incidents = load(
    [
      "cross",
      'users: [{ name: build-bot, accessKeys: [AKIAQ3EGKB4TBUILDB0T] }]\nroles: [{ name: data-loader, account: "444444444444" }]\norganization: { scp: true }\n',
    ],
    ["local", "roles: [{ name: deploy }]\n"],
  );

  it("groups by account: each principal's deny and each key in its own account", () => {
    const plan = buildPlan(incidents, { organization: CONFIG });
    expect(plan.denyPolicies.map((d) => [d.account, d.principal.name, d.resourceName])).toEqual([
      ["111111111111", "deploy", "111111111111-role-deploy"],
      ["111111111111", "build-bot", "111111111111-user-build-bot"],
      ["444444444444", "data-loader", "444444444444-role-data-loader"],
    ]);
    expect(plan.accessKeys.map((k) => [k.account, k.user, k.resourceName])).toEqual([
      ["111111111111", "build-bot", "111111111111-build-bot-AKIAQ3EGKB4TBUILDB0T"],
    ]);
    expect(plan.incidents.map((i) => [i.id, i.accounts])).toEqual([
      ["cross", ["111111111111", "444444444444"]],
      ["local", ["111111111111"]],
    ]);
  });

  it("--account keeps one account's share, and the guardrails only for the organization's stack", () => {
    const data = buildPlan(incidents, { account: "444444444444" });
    expect(data.incidents.map((i) => i.id)).toEqual(["cross"]);
    expect(data.denyPolicies.map((d) => d.principal.name)).toEqual(["data-loader"]);
    expect(data.accessKeys).toEqual([]);
    expect(data.organizationPolicies).toEqual([]);
    // The organization stack's account: its share (none here) and the guardrails.
    const organization = buildPlan(incidents, { account: MANAGEMENT, organization: CONFIG });
    expect(organization.incidents.map((i) => i.id)).toEqual(["cross"]);
    expect(organization.denyPolicies).toEqual([]);
    expect(organization.organizationPolicies.map((p) => p.kind)).toEqual(["scp"]);
  });

  it("plans no guardrail without the organization's configuration", () => {
    expect(buildPlan(incidents).organizationPolicies).toEqual([]);
  });
});

describe("size and splitting", () => {
  /** `n` incidents asking for both guardrails, each with `roles` roles in a member account. */
  const many = (n: number, roles: number) =>
    load(
      ...Array.from({ length: n }, (_, i): [string, string] => [
        `incident-${String(i).padStart(3, "0")}`,
        `roles:\n${Array.from({ length: roles }, (_, r) => `  - { name: role-${i}-${r}-${"x".repeat(20)}, account: "4444444444${String(i % 100).padStart(2, "0")}" }\n`).join("")}organization: { scp: true, rcp: true }\n`,
      ]),
    );

  it("splits into documents of at most 5,120 characters, none of which two could be merged", () => {
    const { policies } = organizationPlan(many(40, 3), CONFIG);
    for (const kind of ["scp", "rcp"]) {
      const documents = policies.filter((p) => p.kind === kind);
      expect(documents.length).toBeGreaterThan(1);
      const sizes = documents.map((p) => guardrailSize(p.document));
      for (const size of sizes) expect(size).toBeLessThanOrEqual(GUARDRAIL_MAX_CHARACTERS);
      // As few as fit: the statements of any two documents together would not fit in one.
      for (let a = 0; a < documents.length; a++) {
        for (let b = a + 1; b < documents.length; b++) {
          const merged = {
            Version: "2012-10-17",
            Statement: [...documents[a].document.Statement, ...documents[b].document.Statement],
          };
          expect(guardrailSize(merged), `${documents[a].name} + ${documents[b].name}`).toBeGreaterThan(
            GUARDRAIL_MAX_CHARACTERS,
          );
        }
      }
      // Every statement once (two per incident: its roles, and its roles under a path), across the documents.
      expect(documents.flatMap((p) => p.document.Statement).length).toBe(80);
    }
  });

  it("splits one incident too large for one document into statements named after what they hold", () => {
    const { policies } = organizationPlan(many(1, 120), CONFIG);
    const scps = policies.filter((p) => p.kind === "scp");
    expect(scps.length).toBeGreaterThan(1);
    const sids = scps.flatMap((p) => p.document.Statement.map((s) => s.Sid));
    for (const sid of sids) expect(sid).toMatch(/^CordonRevoke(Path)?Incident000[0-9a-f]{8}[0-9a-f]{8}$/);
    expect(new Set(sids).size).toBe(sids.length);
    const all = scps.flatMap((p) =>
      p.document.Statement.flatMap((s) =>
        Object.values(s.Condition!).flatMap((c) => (c["aws:PrincipalArn"] ?? []) as string[]),
      ),
    );
    expect(all).toHaveLength(240);
    for (const policy of scps) expect(guardrailSize(policy.document)).toBeLessThanOrEqual(GUARDRAIL_MAX_CHARACTERS);
  });

  it("gives the same documents and names whatever the order of the incidents (fast-check)", () => {
    const incidents = many(25, 2);
    fc.assert(
      fc.property(fc.shuffledSubarray(incidents, { minLength: incidents.length }), (shuffled) => {
        expect(organizationPlan(shuffled, CONFIG)).toEqual(organizationPlan(incidents, CONFIG));
      }),
      { numRuns: 20 },
    );
  });

  it("names a document after its statements: one incident changed renames only the document that holds it", () => {
    const incidents = many(40, 3);
    const before = organizationPlan(incidents, CONFIG).policies.filter((p) => p.kind === "scp");
    // A later cutoff changes a condition, not a statement id: every name stays.
    const later = incidents.map((i) => (i.id === "incident-007" ? { ...i, cutoff: "2026-11-28T11:00:00Z" } : i));
    const after = organizationPlan(later, CONFIG).policies.filter((p) => p.kind === "scp");
    expect(after.map((p) => p.name)).toEqual(before.map((p) => p.name));
    // A deny-all incident has another statement id: the document that holds it gets a new name.
    const denyAll = incidents.map((i) => (i.id === "incident-007" ? { ...i, mode: "deny-all" as const } : i));
    const renamed = organizationPlan(denyAll, CONFIG).policies.filter((p) => p.kind === "scp");
    expect(
      renamed.filter((p) => !before.some((b) => b.name === p.name)).map((p) => p.incidents.includes("incident-007")),
    ).toEqual([true]);
  });
});

describe("cordon:organization", () => {
  it.each([
    [{ targets: ["r-abcd", "ou-abcd-12345678"], managementAccount: "999999999999" }, []],
    [
      { targets: [], managementAccount: "999999999999" },
      [
        "cordon:organization.targets: expected a list of at least one root (r-…), organizational unit (ou-…-…) or account id, found []",
      ],
    ],
    [
      { targets: ["root"], managementAccount: 999999999999, tragets: [] },
      [
        'cordon:organization: unknown field "tragets", expected targets and managementAccount',
        'cordon:organization.targets[0]: expected a root (r-…), organizational unit (ou-…-…) or 12-digit account id, found "root"',
        "cordon:organization.managementAccount: expected the organization's management account, 12 digits, quoted, found 999999999999",
      ],
    ],
    [
      "r-abcd",
      [
        'cordon:organization: expected a mapping such as { targets: [r-abcd], managementAccount: "123456789012" }, found "r-abcd"',
      ],
    ],
  ])("%j: %j", (value, problems) => {
    expect(parseOrganizationConfig(value).problems).toEqual(problems);
  });
});
