/**
 * What the organization guardrails mean (issue 11, "Semantics, proven by the independent
 * evaluator"), decided by @cloud-copilot/iam-simulate for generated incidents, written as users
 * write them and loaded by cordon's loader:
 *   - a compromised role's session in a member account, issued one second before the cutoff, is
 *     denied by the SCP, and one issued one second after is not (revoke-older-sessions);
 *   - in deny-all mode every request of the principal is denied, whatever its session;
 *   - an Identity Center user is denied by `identitystore:userId` in the same way;
 *   - a federated user's session (GetFederationToken, no `aws:username`) of a compromised user's
 *     account is denied by both, as the statement's condition says, and no other account's;
 *   - any other principal (another name, or the same name in another account) is never denied;
 *   - `sts:AssumeRole` by a compromised user on a role in another member account is denied by the
 *     RCP, and S3, KMS, SQS and Secrets Manager in member accounts too;
 *   - no document exceeds 5,120 characters, however many principals.
 * iam-simulate does not derive `aws:PrincipalArn` or `aws:TokenIssueTime` from the request, nor
 * exempt the management account: the tests pass them as AWS sets them, and evaluate SCPs only for
 * member accounts (docs/organization.md says what that leaves outside).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadIncidents } from "../incident/load.ts";
import type { Incident } from "../incident/types.ts";
import {
  GUARDRAIL_MAX_CHARACTERS,
  guardrailSpellingProblems,
  type OrganizationPolicyPlan,
} from "../plan/organization.ts";
import { containmentOwner } from "../plan/containment.ts";
import { buildPlan } from "../plan/plan.ts";
import { fillContainment, pendingPlaceholders, type PolicyDocument } from "../plan/policies.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const CONTAINED_AT = "2026-11-28T11:30:00Z";
const MANAGEMENT = "999999999999";
const MEMBERS = ["111111111111", "444444444444", "555555555555"] as const;
const ROOT = "r-ab12";
const ORGANIZATION = "o-abc123def4";

const ALLOW_ALL: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};
const FULL_AWS_ACCESS = { name: "FullAWSAccess", policy: ALLOW_ALL };

type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

interface Request {
  /** The request's principal: a role's session ARN, or a user's ARN. */
  principal: string;
  /** `aws:PrincipalArn`: the role's or user's own ARN (with its path), as AWS sets it: IAM's spelling of the name. */
  principalArn: string;
  action: string;
  resource: string;
  resourceAccount: string;
  context?: Record<string, string>;
}

/**
 * One request under the guardrails, as AWS evaluates a member account: the SCPs of the root (the
 * principal's account inherits them, each level with FullAWSAccess), the RCPs of the resource's
 * account (RCPFullAWSAccess added by the library), an administrator's identity policy, and across
 * accounts a resource policy (a role's trust policy, a bucket policy) that lets the principal's
 * account in: only the guardrails can then deny.
 */
async function evaluate(guardrails: OrganizationPolicyPlan[], request: Request): Promise<Decision> {
  const of = (kind: "scp" | "rcp") =>
    guardrails.filter((g) => g.kind === kind).map((g) => ({ name: g.name, policy: g.document }));
  const principalAccount = /::(\d{12}):/.exec(request.principalArn)![1];
  const role = request.action === "sts:AssumeRole";
  const letIn: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${principalAccount}:root` },
        Action: request.action,
        ...(role ? {} : { Resource: request.resource }),
      },
    ],
  };
  const response = await runSimulation(
    {
      identityPolicies: [{ name: "AdministratorAccess", policy: ALLOW_ALL }],
      serviceControlPolicies:
        // SCPs do not affect the management account's principals (AWS); iam-simulate applies whatever it is given.
        principalAccount === MANAGEMENT
          ? []
          : [
              { orgIdentifier: ROOT, policies: [FULL_AWS_ACCESS, ...of("scp")] },
              { orgIdentifier: principalAccount, policies: [FULL_AWS_ACCESS] },
            ],
      resourceControlPolicies:
        request.resourceAccount === MANAGEMENT ? [] : [{ orgIdentifier: ROOT, policies: of("rcp") }],
      ...(role || request.resourceAccount !== principalAccount ? { resourcePolicy: letIn } : {}),
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        // aws:username: an IAM user's name as IAM spells it, for IAM users only (never for a role's session).
        contextVariables: {
          "aws:PrincipalArn": request.principalArn,
          "aws:PrincipalOrgID": ORGANIZATION,
          "aws:PrincipalAccount": principalAccount,
          ...(/:user\//.test(request.principalArn) ? { "aws:username": request.principalArn.split("/").at(-1)! } : {}),
          ...request.context,
        },
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (response.resultType === "error")
    throw new Error(`iam-simulate rejected the simulation: ${JSON.stringify(response.errors)}`);
  return response.overallResult as Decision;
}

// ---- Generated incidents, as users write them.

const iamName = fc
  .stringMatching(/^[A-Za-z0-9+=,.@_-]{1,24}$/)
  .filter(
    (name) =>
      name.toLowerCase() !== "root" && !name.startsWith("AWSServiceRoleFor") && !name.startsWith("AWSReservedSSO_"),
  );
const account = fc.constantFrom(...MEMBERS, MANAGEMENT);
const path = fc.constantFrom("", "app/", "team/ci/");
const userId = fc.uuid({ version: 4 }).map((uuid) => `906747e8d1-${uuid}`);
const instant = fc
  .integer({ min: Date.parse("2026-11-27T00:00:00Z") / 1000, max: NOW.getTime() / 1000 })
  .map((seconds) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z"));

/**
 * Each principal as the file spells it (`name`) and as IAM does (`iam`): IAM ignores case, so the
 * two may differ (issue 19). A role under a path is spelt as IAM does: ArnLike compares it
 * case-sensitively, and the program refuses any other spelling at up (guardrailSpellingProblems).
 */
interface Generated {
  account: string;
  cutoff: string;
  mode: "revoke-older-sessions" | "deny-all";
  users: { name: string; account: string; path: string; iam: string }[];
  roles: { name: string; account: string; path: string; iam: string }[];
  organization: { scp: boolean; rcp: boolean };
  identityCenterUsers: string[];
}

/** Which letters IAM spells in the other case. */
const caseFlips = fc.array(fc.boolean(), { minLength: 24, maxLength: 24 });
const respell = (name: string, flips: boolean[]) =>
  [...name].map((c, i) => (flips[i] ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join("");

const principalList = <T extends { name: string; account: string }>(arbitrary: fc.Arbitrary<T>, maxLength: number) =>
  fc.uniqueArray(arbitrary, { maxLength, selector: (p) => `${p.account}/${p.name.toLowerCase()}` });

const generated = (maxPrincipals: number): fc.Arbitrary<Generated[]> =>
  fc
    .array(
      fc.record({
        account: fc.constantFrom(...MEMBERS),
        cutoff: fc.oneof({ weight: 3, arbitrary: instant }, { weight: 1, arbitrary: fc.constant("at-containment") }),
        mode: fc.constantFrom("revoke-older-sessions" as const, "deny-all" as const),
        users: principalList(
          fc
            .record({ name: iamName, account, path, flips: caseFlips })
            .map(({ flips, ...u }) => ({ ...u, iam: respell(u.name, flips) })),
          maxPrincipals,
        ),
        roles: principalList(
          fc
            .record({ name: iamName, account, path, flips: caseFlips })
            .map(({ flips, ...r }) => ({ ...r, iam: r.path === "" ? respell(r.name, flips) : r.name })),
          maxPrincipals,
        ),
        organization: fc.record({ scp: fc.boolean(), rcp: fc.boolean() }).filter((o) => o.scp || o.rcp),
        identityCenterUsers: fc.uniqueArray(userId, { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: 3 },
    )
    // Each incident names a principal, the RCP needs a user or role to match, and one spelling per principal across the set.
    .map((incidents) =>
      incidents.map((i) => ({ ...i, identityCenterUsers: i.organization.scp ? i.identityCenterUsers : [] })),
    )
    .filter((incidents) => {
      const spellings = new Map<string, string>();
      for (const incident of incidents) {
        if (incident.users.length + incident.roles.length === 0) return false;
        for (const [type, p] of [
          ...incident.users.map((u) => ["user", u] as const),
          ...incident.roles.map((r) => ["role", r] as const),
        ]) {
          const key = `${p.account}/${type}/${p.name.toLowerCase()}`;
          if ((spellings.get(key) ?? p.name) !== p.name) return false;
          spellings.set(key, p.name);
        }
      }
      return true;
    });

function load(incidents: Generated[]): Incident[] {
  const files = incidents.map((incident, i) => {
    const id = `generated-${i}`;
    const body = {
      id,
      title: `generated ${i}`,
      account: incident.account,
      cutoff: incident.cutoff,
      mode: incident.mode,
      users: incident.users.map(({ name, account }) => ({ name, account })),
      roles: incident.roles.map(({ name, account }) => ({ name, account })),
      organization: incident.organization,
      ...(incident.identityCenterUsers.length > 0
        ? { identityCenterUsers: incident.identityCenterUsers.map((userId) => ({ userId })) }
        : {}),
    };
    return { path: `incidents/${id}.yaml`, text: stringify(body) };
  });
  const result = loadIncidents(files, { now: NOW });
  expect(result.errors).toEqual([]);
  return result.incidents;
}

/** The guardrails as the organization stack declares them, with each at-containment instant filled in. */
function guardrailsOf(incidents: Incident[]): OrganizationPolicyPlan[] {
  const containment = Object.fromEntries(incidents.map((i) => [i.id, CONTAINED_AT]));
  return buildPlan(incidents, {
    organization: { targets: [ROOT], managementAccount: MANAGEMENT },
    containment,
  }).organizationPolicies.map((policy) => {
    const document = fillContainment(policy.document, containment);
    expect(pendingPlaceholders(document)).toEqual([]);
    return { ...policy, document };
  });
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");
const cutoffOf = (incident: Generated) =>
  Date.parse(incident.cutoff === "at-containment" ? CONTAINED_AT : incident.cutoff);
const arn = (account: string, type: "user" | "role", name: string, path = "") =>
  `arn:aws:iam::${account}:${type}/${path}${name}`;

/**
 * Every other incident that names the same principal (or Identity Center user) with the same
 * guardrail: its own cutoff or deny-all also applies, so a request after one cutoff may still be
 * denied by another's. The properties compare against the strongest of them.
 */
function strongest(
  incidents: Generated[],
  kind: "scp" | "rcp",
  names: (incident: Generated) => boolean,
): { denyAll: boolean; cutoff: number } | undefined {
  const asking = incidents.filter((i) => i.organization[kind] && names(i));
  if (asking.length === 0) return undefined;
  return {
    denyAll: asking.some((i) => i.mode === "deny-all"),
    cutoff: Math.max(...asking.filter((i) => i.mode !== "deny-all").map(cutoffOf), -Infinity),
  };
}

const RUNS = { numRuns: 40 };

describe("the SCP, for generated incidents", () => {
  it("denies a compromised role's session issued 1 s before the cutoff, not one issued 1 s after; every session in deny-all mode", async () => {
    await fc.assert(
      fc.asyncProperty(generated(3), async (incidents) => {
        const guardrails = guardrailsOf(load(incidents));
        for (const incident of incidents.filter((i) => i.organization.scp)) {
          for (const role of incident.roles.filter((r) => r.account !== MANAGEMENT)) {
            const same = strongest(incidents, "scp", (i) =>
              i.roles.some((r) => r.account === role.account && r.name.toLowerCase() === role.name.toLowerCase()),
            )!;
            const session = {
              principal: `arn:aws:sts::${role.account}:assumed-role/${role.iam}/attacker`,
              principalArn: arn(role.account, "role", role.iam, role.path),
            };
            for (const [action, resource] of [
              ["iam:CreateUser", `arn:aws:iam::${role.account}:user/backdoor`],
              ["ec2:DescribeInstances", "*"],
            ]) {
              const issued = (ms: number) =>
                evaluate(guardrails, {
                  ...session,
                  action,
                  resource,
                  resourceAccount: role.account,
                  context: { "aws:TokenIssueTime": iso(ms) },
                });
              const cutoff = cutoffOf(incident);
              expect(await issued(cutoff - 1000)).toBe("ExplicitlyDenied");
              if (same.denyAll) expect(await issued(cutoff + 1000)).toBe("ExplicitlyDenied");
              else if (cutoff + 1000 >= same.cutoff) expect(await issued(cutoff + 1000)).toBe("Allowed");
            }
          }
        }
      }),
      RUNS,
    );
  });

  it("in deny-all mode denies every request of its users, a long-term key's too (no aws:TokenIssueTime)", async () => {
    await fc.assert(
      fc.asyncProperty(generated(3), async (incidents) => {
        const guardrails = guardrailsOf(load(incidents));
        for (const incident of incidents.filter((i) => i.organization.scp && i.mode === "deny-all")) {
          for (const user of incident.users.filter((u) => u.account !== MANAGEMENT)) {
            const request = {
              principal: arn(user.account, "user", user.iam, user.path),
              principalArn: arn(user.account, "user", user.iam, user.path),
              action: "s3:GetObject",
              resource: "arn:aws:s3:::customer-data/export.csv",
              resourceAccount: user.account,
            };
            expect(await evaluate(guardrails, request)).toBe("ExplicitlyDenied");
            expect(
              await evaluate(guardrails, { ...request, context: { "aws:TokenIssueTime": iso(NOW.getTime()) } }),
            ).toBe("ExplicitlyDenied");
          }
        }
      }),
      RUNS,
    );
  });

  it("denies an Identity Center user's sessions by identitystore:userId, as their incident's mode says", async () => {
    await fc.assert(
      fc.asyncProperty(generated(2), async (incidents) => {
        const guardrails = guardrailsOf(load(incidents));
        for (const incident of incidents.filter((i) => i.organization.scp)) {
          for (const id of incident.identityCenterUsers) {
            const same = strongest(incidents, "scp", (i) => i.identityCenterUsers.includes(id))!;
            const session = (ms: number) =>
              evaluate(guardrails, {
                principal: `arn:aws:sts::${MEMBERS[0]}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/dana`,
                principalArn: arn(
                  MEMBERS[0],
                  "role",
                  "AWSReservedSSO_Admin_0123456789abcdef",
                  "aws-reserved/sso.amazonaws.com/",
                ),
                action: "s3:GetObject",
                resource: "arn:aws:s3:::customer-data/export.csv",
                resourceAccount: MEMBERS[0],
                context: { "identitystore:userId": id, "aws:TokenIssueTime": iso(ms) },
              });
            expect(await session(cutoffOf(incident) - 1000)).toBe("ExplicitlyDenied");
            if (same.denyAll) expect(await session(cutoffOf(incident) + 1000)).toBe("ExplicitlyDenied");
            else if (cutoffOf(incident) + 1000 >= same.cutoff)
              expect(await session(cutoffOf(incident) + 1000)).toBe("Allowed");
          }
        }
      }),
      RUNS,
    );
  });
});

describe("federated users (GetFederationToken sessions), which AWS gives no aws:username", () => {
  /**
   * A federated user's session of `account`, issued at `issued`, as AWS describes its request
   * (aws:PrincipalArn the federated user's ARN, aws:PrincipalType FederatedUser, aws:userid
   * ACCOUNT:NAME; iam-simulate derives none of them): one the compromised user minted with its key,
   * or another user's, which nothing tells apart.
   */
  const federated = (account: string, issued: string, action: string, resource: string, resourceAccount: string) => {
    const principal = `arn:aws:sts::${account}:federated-user/ci-proxy`;
    return {
      principal,
      principalArn: principal,
      action,
      resource,
      resourceAccount,
      context: {
        "aws:PrincipalType": "FederatedUser",
        "aws:userid": `${account}:ci-proxy`,
        "aws:TokenIssueTime": issued,
      },
    };
  };

  /**
   * Until when a guardrail denies the federated sessions of `account`: each incident asking for it
   * that names a user there denies those issued before its cutoff in revoke mode; in deny-all mode
   * before its recorded containment where that instant bounds the account's keys (the account that
   * records it, no key kept: the generated users keep none), and every one otherwise.
   */
  const deniedUntil = (incidents: Generated[], loaded: Incident[], kind: "scp" | "rcp", account: string) =>
    Math.max(
      -Infinity,
      ...incidents.flatMap((incident, i) => {
        if (!incident.organization[kind] || !incident.users.some((u) => u.account === account)) return [];
        if (incident.mode !== "deny-all") return [cutoffOf(incident)];
        const bounded = incident.cutoff === "at-containment" && containmentOwner(loaded[i]) === account;
        return [bounded ? Date.parse(CONTAINED_AT) : Infinity];
      }),
    );

  it("the SCP and the RCP deny those of a compromised user's account issued before the cutoff, not after; no other account's (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(generated(2), instant, async (incidents, other) => {
        const loaded = load(incidents);
        expect(loaded.map((i) => i.id)).toEqual(incidents.map((_, i) => `generated-${i}`));
        const guardrails = guardrailsOf(loaded);
        const instants = [Date.parse(other), ...incidents.flatMap((i) => [cutoffOf(i) - 1000, cutoffOf(i) + 1000])];
        for (const account of [...MEMBERS, MANAGEMENT]) {
          const elsewhere = MEMBERS.find((m) => m !== account)!;
          for (const ms of instants) {
            // The SCP, in the account itself (it does not reach the management account).
            if (account !== MANAGEMENT) {
              const scp = evaluate(
                guardrails,
                federated(account, iso(ms), "iam:CreateUser", `arn:aws:iam::${account}:user/backdoor`, account),
              );
              expect(await scp, `${account} at ${iso(ms)}`).toBe(
                ms < deniedUntil(incidents, loaded, "scp", account) ? "ExplicitlyDenied" : "Allowed",
              );
            }
            // The RCP, on another member account's data (a federated user's session may call no STS
            // operation but GetCallerIdentity: it cannot assume a role).
            for (const [action, resource] of [
              ["s3:GetObject", "arn:aws:s3:::customer-data/export.csv"],
              ["kms:Decrypt", `arn:aws:kms:us-east-1:${elsewhere}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
            ]) {
              const rcp = evaluate(guardrails, federated(account, iso(ms), action, resource, elsewhere));
              // The SCP stops them there too, but for the management account's.
              const until = Math.max(
                deniedUntil(incidents, loaded, "rcp", account),
                account === MANAGEMENT ? -Infinity : deniedUntil(incidents, loaded, "scp", account),
              );
              expect(await rcp, `${account} ${action} at ${iso(ms)}`).toBe(ms < until ? "ExplicitlyDenied" : "Allowed");
            }
          }
        }
      }),
      RUNS,
    );
  });

  it("the reviewer's case: build-bot's own session and a federated one its key minted before the cutoff are denied; one minted after, or another account's, is not", async () => {
    const [incident] = load([
      {
        account: MEMBERS[0],
        cutoff: "2026-11-28T09:30:00Z",
        mode: "revoke-older-sessions",
        users: [{ name: "build-bot", account: MEMBERS[0], path: "", iam: "build-bot" }],
        roles: [],
        organization: { scp: true, rcp: true },
        identityCenterUsers: [],
      },
    ]);
    const guardrails = guardrailsOf([incident]);
    const user = arn(MEMBERS[0], "user", "build-bot");
    const data = ["s3:GetObject", "arn:aws:s3:::data/report.csv", MEMBERS[0]] as const;
    expect(
      await evaluate(guardrails, {
        principal: user,
        principalArn: user,
        action: data[0],
        resource: data[1],
        resourceAccount: data[2],
        context: { "aws:PrincipalType": "User", "aws:TokenIssueTime": "2026-11-28T09:00:00Z" },
      }),
    ).toBe("ExplicitlyDenied");
    expect(await evaluate(guardrails, federated(MEMBERS[0], "2026-11-28T09:00:00Z", ...data))).toBe("ExplicitlyDenied");
    expect(await evaluate(guardrails, federated(MEMBERS[0], "2026-11-28T10:00:00Z", ...data))).toBe("Allowed");
    expect(await evaluate(guardrails, federated(MEMBERS[1], "2026-11-28T09:00:00Z", ...data))).toBe("Allowed");
  });
});

describe("any other principal is never denied", () => {
  it("by the SCP or the RCP: other names, the same name in another account or of another type, other Identity Center users", async () => {
    await fc.assert(
      fc.asyncProperty(
        generated(3),
        iamName,
        fc.constantFrom(...MEMBERS),
        fc.constantFrom("user" as const, "role" as const),
        userId,
        async (incidents, name, where, type, otherUser) => {
          const guardrails = guardrailsOf(load(incidents));
          const named = incidents.some((i) =>
            (type === "user" ? i.users : i.roles).some(
              (p) => p.account === where && p.name.toLowerCase() === name.toLowerCase(),
            ),
          );
          fc.pre(!named && !incidents.some((i) => i.identityCenterUsers.includes(otherUser)));
          const principal =
            type === "user" ? arn(where, "user", name) : `arn:aws:sts::${where}:assumed-role/${name}/someone`;
          const base = { principal, principalArn: arn(where, type, name, type === "role" ? "team/" : "") };
          const early = { "aws:TokenIssueTime": "2026-01-01T00:00:00Z", "identitystore:userId": otherUser };
          // Its own account, another member account's role, and data in another member account.
          const other = MEMBERS.find((m) => m !== where)!;
          for (const [action, resource, resourceAccount] of [
            ["iam:CreateUser", `arn:aws:iam::${where}:user/backdoor`, where],
            ["sts:AssumeRole", `arn:aws:iam::${other}:role/OrganizationAccountAccessRole`, other],
            ["s3:GetObject", "arn:aws:s3:::customer-data/export.csv", other],
          ] as const) {
            expect(await evaluate(guardrails, { ...base, action, resource, resourceAccount, context: early })).toBe(
              "Allowed",
            );
          }
        },
      ),
      RUNS,
    );
  });
});

describe("the RCP, for generated incidents", () => {
  it("denies sts:AssumeRole by a compromised user on a role in another member account, and its data there", async () => {
    await fc.assert(
      fc.asyncProperty(generated(3), async (incidents) => {
        const guardrails = guardrailsOf(load(incidents));
        for (const incident of incidents.filter((i) => i.organization.rcp)) {
          for (const user of incident.users) {
            const other = MEMBERS.find((m) => m !== user.account)!;
            const same = strongest(incidents, "rcp", (i) =>
              i.users.some((u) => u.account === user.account && u.name.toLowerCase() === user.name.toLowerCase()),
            )!;
            const request = (action: string, resource: string, context: Record<string, string>) =>
              evaluate(guardrails, {
                principal: arn(user.account, "user", user.iam, user.path),
                principalArn: arn(user.account, "user", user.iam, user.path),
                action,
                resource,
                resourceAccount: other,
                context,
              });
            // A session of the user (GetSessionToken) minted before the cutoff; in deny-all mode, its long-term key too.
            const before = { "aws:TokenIssueTime": iso(cutoffOf(incident) - 1000) };
            for (const [action, resource] of [
              ["sts:AssumeRole", `arn:aws:iam::${other}:role/OrganizationAccountAccessRole`],
              ["s3:GetObject", "arn:aws:s3:::customer-data/export.csv"],
              ["secretsmanager:GetSecretValue", `arn:aws:secretsmanager:us-east-1:${other}:secret:db-AbCdEf`],
              ["kms:Decrypt", `arn:aws:kms:us-east-1:${other}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
              ["sqs:ReceiveMessage", `arn:aws:sqs:us-east-1:${other}:jobs`],
            ]) {
              expect(await request(action, resource, before)).toBe("ExplicitlyDenied");
              if (same.denyAll) expect(await request(action, resource, {})).toBe("ExplicitlyDenied");
            }
          }
        }
      }),
      RUNS,
    );
  });

  it("leaves the management account's resources alone: RCPs do not apply there", async () => {
    const [incident] = load([
      {
        account: MEMBERS[0],
        cutoff: "2026-11-28T10:00:00Z",
        mode: "deny-all",
        users: [{ name: "build-bot", account: MEMBERS[0], path: "", iam: "build-bot" }],
        roles: [],
        organization: { scp: false, rcp: true },
        identityCenterUsers: [],
      },
    ]);
    const guardrails = guardrailsOf([incident]);
    const user = arn(MEMBERS[0], "user", "build-bot");
    expect(
      await evaluate(guardrails, {
        principal: user,
        principalArn: user,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${MEMBERS[1]}:role/x`,
        resourceAccount: MEMBERS[1],
      }),
    ).toBe("ExplicitlyDenied");
    // The management account's own roles: nothing cordon's RCP can do (its IAM deny is what stays).
    expect(
      await evaluate(guardrails, {
        principal: user,
        principalArn: user,
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${MANAGEMENT}:role/x`,
        resourceAccount: MANAGEMENT,
      }),
    ).toBe("Allowed");
  });
});

describe("case (issue 19): IAM spells a name as it was created; the file may spell it otherwise", () => {
  const incident = (roles: Generated["roles"], users: Generated["users"] = []): Generated => ({
    account: MEMBERS[0],
    cutoff: "2026-11-28T10:00:00Z",
    mode: "deny-all",
    users,
    roles,
    organization: { scp: true, rcp: true },
    identityCenterUsers: [],
  });
  const request = (principalArn: string) => ({
    principal: principalArn,
    principalArn,
    action: "s3:GetObject",
    resource: "arn:aws:s3:::customer-data/export.csv",
    resourceAccount: MEMBERS[1],
  });

  it("a user under any path and a role without one are denied whatever the file's spelling", async () => {
    const guardrails = guardrailsOf(
      load([
        incident(
          [{ name: "ci-deployer", account: MEMBERS[0], path: "", iam: "CI-Deployer" }],
          [{ name: "build-bot", account: MEMBERS[0], path: "team/ci/", iam: "Build-Bot" }],
        ),
      ]),
    );
    expect(await evaluate(guardrails, request(arn(MEMBERS[0], "role", "CI-Deployer")))).toBe("ExplicitlyDenied");
    expect(await evaluate(guardrails, request(arn(MEMBERS[0], "user", "Build-Bot", "team/ci/")))).toBe(
      "ExplicitlyDenied",
    );
    // ArnLike, as before, denied neither: it compares case-sensitively.
    const before = guardrails.map((g) => ({
      ...g,
      document: {
        ...g.document,
        Statement: g.document.Statement.map((st) => ({
          ...st,
          Condition: {
            ArnLike: {
              "aws:PrincipalArn": [arn(MEMBERS[0], "role", "ci-deployer"), arn(MEMBERS[0], "user", "build-bot", "*/")],
            },
          },
        })),
      },
    }));
    expect(await evaluate(before, request(arn(MEMBERS[0], "role", "CI-Deployer")))).toBe("Allowed");
  });

  it("a role under a path spelt otherwise than IAM spells it would be missed: the program's check names it, with IAM's spelling", async () => {
    const [loaded] = load([incident([{ name: "data-loader", account: MEMBERS[0], path: "etl/", iam: "data-loader" }])]);
    const guardrails = guardrailsOf([loaded]);
    expect(await evaluate(guardrails, request(arn(MEMBERS[0], "role", "Data-Loader", "etl/")))).toBe("Allowed");
    expect(await evaluate(guardrails, request(arn(MEMBERS[0], "role", "data-loader", "etl/")))).toBe(
      "ExplicitlyDenied",
    );
    const iam = new Map([["data-loader", { name: "Data-Loader", path: "/etl/" }]]);
    expect(guardrailSpellingProblems([loaded], MEMBERS[0], iam)).toEqual([
      `incidents/generated-0.yaml: role "data-loader" (account ${MEMBERS[0]}) is spelled "Data-Loader" in IAM, under the path /etl/: the organization guardrails match a role under a path with ArnLike, which compares case-sensitively, so they would miss it; spell it "Data-Loader" in the incident`,
    ]);
    // Spelt as IAM does, or without a path (matched ignoring case), or another account's: nothing to say.
    expect(
      guardrailSpellingProblems(
        [loaded],
        MEMBERS[0],
        new Map([["data-loader", { name: "data-loader", path: "/etl/" }]]),
      ),
    ).toEqual([]);
    expect(
      guardrailSpellingProblems([loaded], MEMBERS[0], new Map([["data-loader", { name: "Data-Loader", path: "/" }]])),
    ).toEqual([]);
    expect(guardrailSpellingProblems([loaded], MEMBERS[1], iam)).toEqual([]);
  });
});

describe("size", () => {
  it("no document exceeds 5,120 characters as sent (minified, instants filled), however many principals; every principal is still in one", () => {
    fc.assert(
      fc.property(generated(40), (incidents) => {
        const loaded = load(incidents);
        const guardrails = guardrailsOf(loaded);
        for (const guardrail of guardrails)
          expect(JSON.stringify(guardrail.document).length).toBeLessThanOrEqual(GUARDRAIL_MAX_CHARACTERS);
        // Roles by their ARN, users by account and name: each in some statement of the RCP.
        const rcps = guardrails.filter((g) => g.kind === "rcp").flatMap((g) => g.document.Statement);
        const listed = new Set(
          rcps.flatMap((s) => {
            const condition = s.Condition ?? {};
            const account = [condition.StringEquals?.["aws:PrincipalAccount"] ?? []].flat()[0];
            return [
              ...[condition.StringEqualsIgnoreCase?.["aws:PrincipalArn"] ?? []].flat(),
              ...[condition.StringEqualsIgnoreCase?.["aws:username"] ?? []].flat().map((name) => `${account}/${name}`),
            ];
          }),
        );
        for (const incident of incidents.filter((i) => i.organization.rcp)) {
          for (const p of [
            ...incident.users.map((u) => `${u.account}/${u.name}`),
            ...incident.roles.map((r) => arn(r.account, "role", r.name)),
          ])
            expect(listed.has(p)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});
