/**
 * Issue 20, item 6: an incident naming a member account's root user gives an SCP statement that
 * denies that root user every action, and nobody else, as @cloud-copilot/iam-simulate (an
 * evaluator cordon did not write) decides it for generated principals; removing the file removes
 * it; the management account's root is out of any SCP's reach, and validate, new and plan say what
 * only the root user can do there. iam-simulate does not derive `aws:PrincipalArn` from the
 * request: the tests pass it as AWS sets it (for the root user, `arn:aws:iam::ACCOUNT:root`).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { ROOT_TASK_ACTIONS } from "../aws/root.ts";
import { rootUserSteps } from "../incident/fields.ts";
import { loadIncidents } from "../incident/load.ts";
import { rootUserPlans, type OrganizationPolicyPlan } from "../plan/organization.ts";
import { buildPlan } from "../plan/plan.ts";
import type { PolicyDocument } from "../plan/policies.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const MANAGEMENT = "999999999999";
const MEMBER = "444444444444";
const OTHER_MEMBER = "555555555555";
const ORGANIZATION = { targets: ["r-ab12"], managementAccount: MANAGEMENT };
const ALLOW_ALL: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

const rootIncident = (more: Record<string, unknown> = {}) => ({
  id: "2026-11-28-root-key",
  title: "a member account's root access key in a public repository",
  account: MEMBER,
  cutoff: "at-containment",
  rootUsers: [{ account: MEMBER }],
  organization: { scp: true },
  ...more,
});

function guardrails(raw: Record<string, unknown>): OrganizationPolicyPlan[] {
  const loaded = loadIncidents([{ path: `incidents/${raw.id}.yaml`, text: stringify(raw) }], {
    now: NOW,
    organization: { managementAccount: MANAGEMENT },
  });
  expect(loaded.errors).toEqual([]);
  return buildPlan(loaded.incidents, { organization: ORGANIZATION }).organizationPolicies;
}

/**
 * A request of `principalArn` in its (member) account, under the root's SCPs with FullAWSAccess, as an
 * administrator; `context` adds keys AWS sets (a centralized root access session: `aws:AssumedRoot`).
 */
async function decide(
  scps: OrganizationPolicyPlan[],
  principalArn: string,
  principal: string,
  action: string,
  context: Record<string, string> = {},
): Promise<string> {
  const account = /::(\d{12}):/.exec(principalArn)![1];
  const response = await runSimulation(
    {
      identityPolicies: [{ name: "AdministratorAccess", policy: ALLOW_ALL }],
      serviceControlPolicies: [
        {
          orgIdentifier: "r-ab12",
          policies: [
            { name: "FullAWSAccess", policy: ALLOW_ALL },
            ...scps.filter((p) => p.kind === "scp").map((p) => ({ name: p.name, policy: p.document })),
          ],
        },
        { orgIdentifier: account, policies: [{ name: "FullAWSAccess", policy: ALLOW_ALL }] },
      ],
      resourceControlPolicies: [],
      request: {
        principal,
        action,
        resource: { resource: "*", accountId: account },
        contextVariables: { "aws:PrincipalArn": principalArn, "aws:PrincipalAccount": account, ...context },
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (response.resultType === "error")
    throw new Error(`iam-simulate rejected the simulation: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

/**
 * What the task policy IAMDeleteRootUserCredentials grants a centralized root access session.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/security-iam-awsmanpol.html#security-iam-awsmanpol-IAMDeleteRootUserCredentials
 */
const ROOT_TASK_POLICY_ACTIONS = [
  "iam:DeactivateMFADevice",
  "iam:DeleteAccessKey",
  "iam:DeleteLoginProfile",
  "iam:DeleteSigningCertificate",
  "iam:GetLoginProfile",
  "iam:GetUser",
  "iam:ListAccessKeys",
  "iam:ListMFADevices",
  "iam:ListSigningCertificates",
];

const ACTIONS = [
  "s3:GetObject",
  "iam:CreateAccessKey",
  "iam:CreateUser",
  "ec2:RunInstances",
  "organizations:LeaveOrganization",
  "sts:AssumeRole",
];

describe("the SCP denies a member account's root user every action", () => {
  it("one statement, without a cutoff whatever the mode (a root user's long-term keys carry no token issue time), sparing centralized root access sessions", () => {
    for (const mode of ["revoke-older-sessions", "deny-all"]) {
      const [scp] = guardrails(rootIncident({ mode }));
      expect(scp.document.Statement).toEqual([
        {
          Sid: "CordonDenyRootUser20261128RootKey88e0e57e",
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: {
            ArnEquals: { "aws:PrincipalArn": [`arn:aws:iam::${MEMBER}:root`] },
            Null: { "aws:AssumedRoot": "true" },
          },
        },
      ]);
    }
  });

  it.each(ACTIONS)("denies the root user %s", async (action) => {
    expect(
      await decide(guardrails(rootIncident()), `arn:aws:iam::${MEMBER}:root`, `arn:aws:iam::${MEMBER}:root`, action),
    ).toBe("ExplicitlyDenied");
  });

  it("its own password session or long-term access key (no aws:AssumedRoot) is denied every action, generated", async () => {
    const scps = guardrails(rootIncident({ rootUsers: [{ account: MEMBER, deleteAccessKeys: true }] }));
    // A root request carries no aws:AssumedRoot unless sts:AssumeRoot started its session; whatever
    // other keys it carries, it stays denied.
    const context = fc.dictionary(
      fc.constantFrom("aws:SourceIp", "aws:RequestedRegion", "aws:MultiFactorAuthPresent", "aws:SecureTransport"),
      fc.constantFrom("true", "false", "203.0.113.7", "us-east-1"),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ACTIONS, ...ROOT_TASK_POLICY_ACTIONS), context, async (action, more) => {
        const root = `arn:aws:iam::${MEMBER}:root`;
        expect(await decide(scps, root, root, action, more)).toBe("ExplicitlyDenied");
      }),
      { numRuns: 60 },
    );
  });

  // The deletion (aws/root.ts) runs as the root user, in a session sts:AssumeRoot started from the
  // management account: aws:PrincipalArn is the root's, and aws:AssumedRoot is true.
  it.each(ROOT_TASK_POLICY_ACTIONS)(
    "a centralized root access session (aws:AssumedRoot) is allowed %s, which IAMDeleteRootUserCredentials grants",
    async (action) => {
      const root = `arn:aws:iam::${MEMBER}:root`;
      const scps = guardrails(rootIncident({ rootUsers: [{ account: MEMBER, deleteAccessKeys: true }] }));
      expect(await decide(scps, root, root, action, { "aws:AssumedRoot": "true" })).toBe("Allowed");
      expect(await decide(scps, root, root, action)).toBe("ExplicitlyDenied");
    },
  );

  it("every action the deletion sends is one the session is allowed", () => {
    for (const action of ROOT_TASK_ACTIONS) expect(ROOT_TASK_POLICY_ACTIONS).toContain(action);
  });

  it("and nobody else: generated principals of the member account and others are allowed as before", async () => {
    const scps = guardrails(rootIncident());
    const name = fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{1,20}$/);
    const principal = fc.oneof(
      // Users and roles of the same account, a user or role even named "root".
      fc.tuple(fc.constantFrom("user", "role"), fc.oneof(name, fc.constant("root"))).map(([type, n]) => ({
        arn: `arn:aws:iam::${MEMBER}:${type}/${n}`,
        principal: type === "role" ? `arn:aws:sts::${MEMBER}:assumed-role/${n}/s` : `arn:aws:iam::${MEMBER}:user/${n}`,
      })),
      // The root user of another member account.
      fc.constant({ arn: `arn:aws:iam::${OTHER_MEMBER}:root`, principal: `arn:aws:iam::${OTHER_MEMBER}:root` }),
      // A federated user of the account.
      name.map((n) => ({
        arn: `arn:aws:sts::${MEMBER}:federated-user/${n}`,
        principal: `arn:aws:sts::${MEMBER}:federated-user/${n}`,
      })),
    );
    await fc.assert(
      fc.asyncProperty(principal, fc.constantFrom(...ACTIONS), async ({ arn, principal: p }, action) => {
        expect(await decide(scps, arn, p, action)).toBe("Allowed");
      }),
      { numRuns: 60 },
    );
  });

  it("removing the file removes the statement (reversible): no guardrail is left", () => {
    expect(buildPlan([], { organization: ORGANIZATION }).organizationPolicies).toEqual([]);
  });

  it("the organization stack's view of each root user, and the separate choice to delete its access keys", () => {
    const loaded = loadIncidents(
      [
        {
          path: "incidents/2026-11-28-root-key.yaml",
          text: stringify(
            rootIncident({ rootUsers: [{ account: MEMBER, deleteAccessKeys: true }, { account: OTHER_MEMBER }] }),
          ),
        },
      ],
      { now: NOW },
    ).incidents;
    expect(rootUserPlans(loaded, ORGANIZATION)).toEqual([
      { account: MEMBER, incidents: ["2026-11-28-root-key"], guardrail: "denied", deleteAccessKeys: true },
      { account: OTHER_MEMBER, incidents: ["2026-11-28-root-key"], guardrail: "denied", deleteAccessKeys: false },
    ]);
  });
});

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
/** A Pulumi project with these stack files, and an empty incidents folder. */
const project = (stacks: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "cordon-root-"));
  dirs.push(dir);
  writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  for (const [file, text] of Object.entries(stacks)) writeFileSync(join(dir, file), text);
  mkdirSync(join(dir, "incidents"));
  return dir;
};
/** The stack that declares the organization's guardrails, in the management account. */
const ORGANIZATION_STACK = `config:\n  cordon:account: "${MANAGEMENT}"\n  cordon:organization:\n    targets: [r-ab12]\n    managementAccount: "${MANAGEMENT}"\n`;

describe("where no SCP reaches the root user, validate refuses the incident and says what only the root user can do", () => {
  const validate = async (dir: string, incident: Record<string, unknown>) => {
    writeFileSync(join(dir, "incidents", `${incident.id}.yaml`), stringify(incident));
    const io = memoryIo({ cwd: dir });
    return { code: await main(["validate", "--now", NOW.toISOString()], io), stdout: io.stdout, stderr: io.stderr };
  };

  it("a member account's root, with an organization stack: valid", async () => {
    expect(await validate(project({ "Pulumi.prod-999999999999.yaml": ORGANIZATION_STACK }), rootIncident())).toEqual({
      code: 0,
      stdout: "1 incident valid: 2026-11-28-root-key\n",
      stderr: "",
    });
  });

  it("the management account's root", async () => {
    const result = await validate(
      project({ "Pulumi.prod-999999999999.yaml": ORGANIZATION_STACK }),
      rootIncident({ account: MANAGEMENT, rootUsers: [{ account: MANAGEMENT }] }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      `incidents/2026-11-28-root-key.yaml:6:14 E_ROOT_ACCOUNT rootUsers[0].account: account ${MANAGEMENT} is the organization's management account, which no SCP restrains: cordon cannot contain its root user; only the root user can: ${rootUserSteps()}`,
    );
  });

  it("a standalone account (no stack sets cordon:organization)", async () => {
    const result = await validate(
      project({ "Pulumi.prod-444444444444.yaml": `config:\n  cordon:account: "${MEMBER}"\n` }),
      rootIncident(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      `incidents/2026-11-28-root-key.yaml:6:14 E_ROOT_ACCOUNT rootUsers[0].account: no stack file here sets cordon:organization, so no SCP can restrain the root user of account ${MEMBER} (a standalone account, or an organization cordon does not deploy guardrails to): cordon cannot contain its root user; only the root user can: ${rootUserSteps()}`,
    );
  });

  it("the steps, word for word", () => {
    expect(rootUserSteps()).toBe(
      "(1) sign in as the root user (email and password, then its MFA); (2) Security credentials: delete every root access key (deactivate it first if a workload still uses it, then delete); (3) change the root user's password; (4) remove any MFA device you do not own and register your own; (5) check the account's contact email and alternate contacts; (6) then review what the key did: cordon review --access-key KEY",
    );
  });

  it("new --root refuses where no SCP reaches, with the steps, and writes a member account's incident", async () => {
    const standalone = project({});
    const io = memoryIo({ cwd: standalone });
    expect(
      await main(["new", "--title", "root key", "--root", MEMBER, "--account", MEMBER, "--now", NOW.toISOString()], io),
    ).toBe(1);
    expect(io.stderr).toBe(
      [
        `cordon new: --root ${MEMBER}: no stack file here sets cordon:organization, so no SCP can restrain the root user of account ${MEMBER}: cordon cannot contain its root user; only the root user can:`,
        ...rootUserSteps()
          .split("; ")
          .map((step) => `  ${step}`),
        "",
      ].join("\n"),
    );
    const member = project({ "Pulumi.prod-999999999999.yaml": ORGANIZATION_STACK });
    const written = memoryIo({ cwd: member });
    expect(
      await main(
        ["new", "--title", "root key", "--root", MEMBER, "--account", MEMBER, "--now", NOW.toISOString()],
        written,
      ),
    ).toBe(0);
    expect(written.stdout).toContain(`  root user of account ${MEMBER} (the organization's SCP)\n`);
    const check = memoryIo({ cwd: member });
    expect(await main(["validate", "--now", NOW.toISOString()], check)).toBe(0);
  });
});

describe("plan shows the root users and their guardrail", () => {
  it("in an organization: the SCP statement and the root user's line; standalone: the steps only the root user can take", async () => {
    const make = (stacks: Record<string, string>) => {
      const dir = project(stacks);
      writeFileSync(
        join(dir, "incidents", "2026-11-28-root-key.yaml"),
        stringify(rootIncident({ rootUsers: [{ account: MEMBER, deleteAccessKeys: true }] })),
      );
      return dir;
    };
    const organization = make({ "Pulumi.prod-999999999999.yaml": ORGANIZATION_STACK });
    const io = memoryIo({ cwd: organization });
    expect(await main(["plan", "--now", NOW.toISOString()], io)).toBe(0);
    expect(io.stdout).toContain(
      `    deny every action to the root user of ${MEMBER}, but for centralized root access sessions (sts:AssumeRoot) (deny-all)\n`,
    );
    expect(io.stdout).toContain(
      `root users: 1 (the organization's SCP denies each every action until its file is removed)\n  root user of ${MEMBER}  denied every action by the SCP; its access keys deleted through centralized root access (sts:AssumeRoot, IAMDeleteRootUserCredentials): cannot be undone  2026-11-28-root-key\n`,
    );
    const standalone = make({});
    const refused = memoryIo({ cwd: standalone });
    expect(await main(["plan", "--now", NOW.toISOString()], refused)).toBe(1);
    expect(refused.stderr.split("\n")[0]).toContain(
      `E_ROOT_ACCOUNT rootUsers[0].account: no stack file here sets cordon:organization, so no SCP can restrain the root user of account ${MEMBER}`,
    );
    expect(refused.stderr.split("\n")[0]).toContain(`only the root user can: ${rootUserSteps()}`);
  });
});
