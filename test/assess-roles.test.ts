/**
 * Which roles a user reaches through other roles (assess/assumable.ts), checked against an IAM
 * evaluator cordon did not write (@cloud-copilot/iam-simulate): small role graphs whose trust
 * policies name the user, a role, a role's session, the account or `*`, walked hop by hop by the
 * evaluator, must give what assess says.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assess } from "../assess/assessment.ts";
import { assumableRoles, type RoleTrust } from "../assess/assumable.ts";
import { renderAssessment } from "../commands/assess.ts";
import type { SourcedPolicy } from "../assess/risk.ts";
import type { PolicyDocument as Document, PolicyStatement as Statement } from "../plan/policies.ts";
import { decide } from "./support/iam-evaluator.ts";

const ACCOUNT = "123456789012";
const USER = { arn: `arn:aws:iam::${ACCOUNT}:user/ci`, account: ACCOUNT };
const ASSUME = "sts:AssumeRole";

const doc = (...statements: Statement[]): Document => ({ Version: "2012-10-17", Statement: statements });
const trust = (...principals: Statement["Principal"][]): Document =>
  doc(...principals.map((Principal): Statement => ({ Effect: "Allow", Principal, Action: ASSUME })));
const inline = (document: Document): SourcedPolicy => ({
  source: { type: "inline", name: "p", through: { type: "user", name: "ci" } },
  document,
});
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
/** A session of the role, under the name the caller chose: the last part of the role's name, without its path. */
const sessionArn = (arn: string, session = "s") =>
  `arn:aws:sts::${ACCOUNT}:assumed-role/${arn.split("/").at(-1)}/${session}`;
const root = `arn:aws:iam::${ACCOUNT}:root`;
const onlyHop = [inline(doc({ Effect: "Allow", Action: ASSUME, Resource: roleArn("hop") }))];

describe("roles reached through roles", () => {
  it("follows a trust that names a reached role, shows the chain, and says which roles only may be reached", () => {
    const roles: RoleTrust[] = [
      { arn: roleArn("hop"), trust: trust({ AWS: root }) },
      { arn: roleArn("admin"), trust: trust({ AWS: roleArn("hop") }) },
      // A cycle: admin and hop trust each other; the walk ends.
      { arn: roleArn("ops/break-glass"), trust: trust({ AWS: sessionArn(roleArn("admin"), "oncall") }) },
      { arn: roleArn("deploy"), trust: trust({ AWS: ACCOUNT }) },
      { arn: roleArn("after-deploy"), trust: trust({ AWS: roleArn("deploy") }) },
      { arn: roleArn("ec2"), trust: trust({ Service: "ec2.amazonaws.com" }) },
    ];
    roles[0].trust = trust({ AWS: root }, { AWS: roleArn("admin") });
    expect(assumableRoles(onlyHop, undefined, roles, USER)).toEqual({
      roles: [roleArn("admin"), roleArn("hop"), roleArn("ops/break-glass")],
      chains: [
        { role: roleArn("admin"), via: [roleArn("hop")] },
        { role: roleArn("ops/break-glass"), via: [roleArn("hop"), roleArn("admin")] },
      ],
      mayAssume: [
        { role: roleArn("after-deploy"), via: [roleArn("hop"), roleArn("deploy")] },
        { role: roleArn("deploy"), via: [roleArn("hop")] },
      ],
      otherAccounts: [],
    });
  });

  it("a long chain and a ring of thousands of roles: each role visited once, the shortest chain kept", () => {
    const n = 3000;
    const names = Array.from({ length: n }, (_, i) => `r${String(i).padStart(4, "0")}`);
    // r0000 is the hop; each next role trusts the one before it, and r0000 trusts the last: a ring.
    const roles: RoleTrust[] = names.map((name, i) => ({
      arn: roleArn(name),
      trust: trust({ AWS: i === 0 ? [USER.arn, roleArn(names[n - 1])] : roleArn(names[i - 1]) }),
    }));
    const reached = assumableRoles([], undefined, roles, USER);
    expect(reached.roles).toHaveLength(n);
    expect(reached.chains.find((c) => c.role === roleArn(names[n - 1]))?.via).toEqual(names.slice(0, -1).map(roleArn));
    expect(reached.mayAssume).toEqual([]);
  });
});

describe("the may-also-assume line", () => {
  it("names five roles and counts the rest, which --json lists", () => {
    const names = ["a", "b", "c", "d", "e", "f", "g"].map((n) => `trusts-root-${n}`);
    const a = assess({
      account: ACCOUNT,
      user: { name: "ci", arn: USER.arn },
      groups: [],
      policies: onlyHop,
      userInlineTexts: [],
      permissionsBoundary: null,
      accessKeys: [],
      consolePassword: false,
      mfaDevices: [],
      roles: [
        { arn: roleArn("hop"), trust: trust({ AWS: root }) },
        ...names.map((n) => ({ arn: roleArn(n), trust: trust({ AWS: root }) })),
      ],
      exposedKey: null,
    });
    expect(a.mayAssumeRoles.map((m) => m.role)).toEqual(names.map(roleArn));
    expect(
      renderAssessment(a)
        .split("\n")
        .filter((line) => line.startsWith("may also assume")),
    ).toEqual([
      `may also assume, if the policies of role/hop allow sts:AssumeRole (assess does not read a role's policies): ${names
        .slice(0, 5)
        .map(roleArn)
        .join(", ")} and 2 more (--json lists them)`,
    ]);
  });
});

/** One principal a trust statement can name, as an index into the generated roles where it names one. */
type Named =
  | { kind: "star" | "aws-star" | "user" | "root" | "account" | "service" | "other-user" | "wildcard" }
  | { kind: "role" | "session" | "session-wildcard"; index: number };

const named: fc.Arbitrary<Named> = fc.oneof(
  fc.constantFrom<Named>(
    { kind: "star" },
    { kind: "aws-star" },
    { kind: "user" },
    { kind: "root" },
    { kind: "account" },
    { kind: "service" },
    { kind: "other-user" },
    { kind: "wildcard" },
  ),
  // Role to role edges, the subject here, come as often as all the other kinds together.
  fc.record({
    kind: fc.constantFrom("role" as const, "session" as const, "session-wildcard" as const),
    index: fc.nat(4),
  }),
);

function principalOf(n: Named, arns: string[]): Statement["Principal"] {
  switch (n.kind) {
    case "star":
      return "*";
    case "aws-star":
      return { AWS: "*" };
    case "user":
      return { AWS: USER.arn };
    case "root":
      return { AWS: root };
    case "account":
      return { AWS: ACCOUNT };
    case "service":
      return { Service: "ec2.amazonaws.com" };
    case "other-user":
      return { AWS: `arn:aws:iam::${ACCOUNT}:user/someone` };
    case "wildcard":
      return { AWS: `arn:aws:iam::${ACCOUNT}:role/*` };
    case "role":
      return { AWS: arns[n.index % arns.length] };
    case "session":
      return { AWS: sessionArn(arns[n.index % arns.length]) };
    case "session-wildcard":
      return { AWS: sessionArn(arns[n.index % arns.length], "*") };
  }
}

const graph = fc.record({
  roles: fc.array(fc.record({ path: fc.boolean(), trusts: fc.array(named, { minLength: 0, maxLength: 3 }) }), {
    minLength: 1,
    maxLength: 5,
  }),
  identity: fc.constantFrom("none", "assume-all", "assume-first", "all-but-first"),
  boundary: fc.constantFrom("none", "s3-only", "assume-all"),
});

type Graph = typeof graph extends fc.Arbitrary<infer T> ? T : never;

function build(g: Graph) {
  const arns = g.roles.map((r, i) => roleArn(r.path ? `ops/r${i}` : `r${i}`));
  const roles: RoleTrust[] = g.roles.map((r, i) => ({
    arn: arns[i],
    trust: trust(...r.trusts.map((n) => principalOf(n, arns))),
  }));
  const identity: Document[] = {
    none: [],
    "assume-all": [doc({ Effect: "Allow", Action: ASSUME, Resource: "*" })],
    "assume-first": [doc({ Effect: "Allow", Action: ASSUME, Resource: arns[0] })],
    "all-but-first": [
      doc({ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Deny", Action: ASSUME, Resource: arns[0] }),
    ],
  }[g.identity];
  const boundary = {
    none: undefined,
    "s3-only": doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }),
    "assume-all": doc({ Effect: "Allow", Action: ASSUME, Resource: "*" }),
  }[g.boundary];
  return { arns, roles, identity, boundary };
}

/**
 * The roles the evaluator lets the user reach, hop by hop: the user's own call first, then each
 * reached role's session (under any session name a trust names, the caller chooses it) with
 * `roleIdentity` as the role's own policies. Breadth first, so each role's depth is its shortest chain.
 */
async function evaluatorClosure(
  built: ReturnType<typeof build>,
  roleIdentity: Document[],
): Promise<Map<string, number>> {
  const allowed = async (principal: string, identity: Document[], role: RoleTrust, boundary?: Document) =>
    (await decide(
      identity,
      { principal, action: ASSUME, resource: role.arn, account: ACCOUNT },
      role.trust,
      boundary,
    )) === "Allowed";
  const depth = new Map<string, number>();
  for (const role of built.roles)
    if (await allowed(USER.arn, built.identity, role, built.boundary)) depth.set(role.arn, 0);
  for (let level = 0; ; level++) {
    const frontier = [...depth].filter(([, d]) => d === level).map(([arn]) => arn);
    if (frontier.length === 0) return depth;
    for (const from of frontier)
      for (const role of built.roles) {
        if (depth.has(role.arn)) continue;
        for (const session of ["s", "other"])
          if (await allowed(sessionArn(from, session), roleIdentity, role)) {
            depth.set(role.arn, level + 1);
            break;
          }
      }
  }
}

describe("assumableRoles against iam-simulate", () => {
  // Another account's role trusting the user by name still needs the user's own Allow within its
  // boundary: a pattern is listed exactly when the evaluator lets the call through.
  const OTHER = "arn:aws:iam::210987654321:role/builder";
  const identities: Record<string, Document[]> = {
    none: [],
    "assume *": [doc({ Effect: "Allow", Action: ASSUME, Resource: "*" })],
    "* minus a Deny of sts:AssumeRole": [
      doc({ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Deny", Action: ASSUME, Resource: "*" }),
    ],
    // "Every role but builder": the Deny's NotResource leaves the one role the Allow names.
    "builder, and a Deny of every other role": [
      doc({ Effect: "Allow", Action: ASSUME, Resource: OTHER }, { Effect: "Deny", Action: ASSUME, NotResource: OTHER }),
    ],
  };
  const boundaries: Record<string, Document | undefined> = {
    none: undefined,
    "s3 only": doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }),
    "sts:AssumeRole": doc({ Effect: "Allow", Action: ASSUME, Resource: "*" }),
  };
  it.each(
    Object.keys(identities).flatMap((identity) => Object.keys(boundaries).map((boundary) => [identity, boundary])),
  )("identity %s, boundary %s: other accounts listed as the evaluator decides", async (identity, boundary) => {
    const decision = await decide(
      identities[identity],
      { principal: USER.arn, action: ASSUME, resource: OTHER, account: "210987654321" },
      trust({ AWS: USER.arn }),
      boundaries[boundary],
    );
    const listed = assumableRoles(identities[identity].map(inline), boundaries[boundary], [], USER).otherAccounts;
    expect(listed.length > 0).toBe(decision === "Allowed");
  });

  it("reaches what the evaluator reaches when roles have no policies of their own, and may reach what it reaches when they allow sts:AssumeRole on *", async () => {
    await fc.assert(
      fc.asyncProperty(graph, async (g) => {
        const built = build(g);
        const result = assumableRoles(built.identity.map(inline), built.boundary, built.roles, USER);
        const surely = await evaluatorClosure(built, []);
        const possibly = await evaluatorClosure(built, [doc({ Effect: "Allow", Action: ASSUME, Resource: "*" })]);
        expect(result.roles).toEqual([...surely.keys()].sort());
        expect(
          [...surely]
            .filter(([, d]) => d > 0)
            .map(([role, d]) => ({ role, hops: d }))
            .sort((a, b) => (a.role < b.role ? -1 : 1)),
        ).toEqual(result.chains.map((c) => ({ role: c.role, hops: c.via.length })));
        expect(result.mayAssume.map((m) => m.role)).toEqual(
          [...possibly.keys()].filter((arn) => !surely.has(arn)).sort(),
        );
      }),
      { numRuns: 300 },
    );
  });
});
