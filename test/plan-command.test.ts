import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { usageOutput } from "./support/usage.ts";
import { PLAN_JSON_FIELDS } from "./support/plan-json.ts";

const NOW = "2026-11-28T18:00:00Z";

async function plan(...argv: string[]) {
  const io = memoryIo();
  const code = await main(["plan", ...argv], io);
  return { code, ...io };
}

/** `use` given a file holding `outputs` as `pulumi stack output --json` writes them, for `--stack-outputs`. */
async function withOutputsFile<T>(outputs: unknown, use: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "cordon-outputs-"));
  try {
    const file = join(dir, "outputs.json");
    writeFileSync(file, JSON.stringify(outputs));
    return await use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("plan --json on the examples follows the contract", () => {
  it("has every field of issue 2's contract, with the promised types", async () => {
    const { code, stdout, stderr } = await plan("examples/incidents", "--json", "--now", NOW);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const json = JSON.parse(stdout);
    // Issue 20 added credentials and rootUsers: additive, every earlier field stays.
    expect(Object.keys(json).sort()).toEqual(PLAN_JSON_FIELDS);
    for (const incident of json.incidents) {
      expect(incident).toMatchObject({
        id: expect.any(String),
        file: expect.any(String),
        account: expect.stringMatching(/^\d{12}$/),
        mode: expect.stringMatching(/^(revoke-older-sessions|deny-all)$/),
        cutoff: expect.any(String),
      });
      expect(incident.expiresAt === null || typeof incident.expiresAt === "string").toBe(true);
    }
    for (const policy of json.denyPolicies) {
      expect(policy).toMatchObject({
        account: expect.any(String),
        principal: { type: expect.stringMatching(/^(user|role)$/), name: expect.any(String) },
        incidents: expect.any(Array),
        document: { Version: "2012-10-17" },
      });
    }
    for (const key of json.accessKeys) {
      expect(key).toMatchObject({
        account: expect.any(String),
        user: expect.any(String),
        accessKeyId: expect.stringMatching(/^AKIA/),
        status: "Inactive",
        incidents: expect.any(Array),
      });
    }
    for (const role of json.replacementRoles) {
      expect(role).toMatchObject({
        account: expect.any(String),
        name: expect.any(String),
        incident: expect.any(String),
        assumeRolePolicy: { Version: "2012-10-17" },
        managedPolicyArns: expect.any(Array),
        maxSessionDuration: expect.any(Number),
      });
    }
    expect(
      json.incidents.map((i: { id: string; cutoff: string; expiresAt: string | null }) => [
        i.id,
        i.cutoff,
        i.expiresAt,
      ]),
    ).toEqual([
      ["2026-11-27-laptop-backup-key", "2026-11-27T20:30:00Z", "2026-12-01T00:00:00Z"],
      ["2026-11-28-build-key-cross-account", "2026-11-28T09:30:00Z", "2026-11-29T21:30:00Z"],
      ["2026-11-28-ci-deploy-key", "2026-11-28T10:00:00Z", "2026-11-29T22:00:00Z"],
      ["2026-11-28-key-in-ticket", "at-containment", null],
    ]);
  });

  it("fills recorded containment instants from --stack-outputs", async () => {
    const { code, stdout } = await withOutputsFile(
      {
        account: "123456789012",
        incidents: {
          "2026-11-28-key-in-ticket": {
            cutoff: "2026-11-28T10:26:00Z",
            atContainment: true,
            accessKeys: ["AKIAJ7Q2EXAMPLEKEY77"],
          },
        },
      },
      (outputs) => plan("examples/incidents", "--json", "--now", NOW, "--stack-outputs", outputs),
    );
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    const ticket = json.incidents.find((i: { id: string }) => i.id === "2026-11-28-key-in-ticket");
    expect(ticket).toMatchObject({
      cutoff: "2026-11-28T10:26:00Z",
      expiresAt: "2026-11-29T22:26:00Z",
      cutoffPending: false,
    });
    expect(JSON.stringify(json.denyPolicies)).not.toContain("{{containment:");
  });

  it("takes from --stack-outputs the keys IAM no longer had and the roles given a managed deny", async () => {
    const stackOutputs = {
      account: "123456789012",
      incidents: {
        "2026-11-28-ci-deploy-key": {
          cutoff: "2026-11-28T10:00:00Z",
          atContainment: false,
          goneAccessKeys: ["AKIAIOSFODNN7EXAMPLE"],
        },
      },
      rolesWithManagedDeny: ["deploy"],
    };
    await withOutputsFile(stackOutputs, async (outputs) => {
      const json = await plan("examples/incidents", "--json", "--now", NOW, "--stack-outputs", outputs);
      const parsed = JSON.parse(json.stdout);
      expect(parsed.accessKeys.map((k: { accessKeyId: string }) => k.accessKeyId)).toEqual([
        "AKIAQ3EGKB4TBUILDB0T",
        "AKIAJ7Q2EXAMPLEKEY77",
        "AKIAI44QH8DHBEXAMPLE",
      ]);
      expect(parsed.goneAccessKeys).toEqual([
        {
          account: "123456789012",
          user: "ci-deployer",
          accessKeyId: "AKIAIOSFODNN7EXAMPLE",
          incidents: ["2026-11-28-ci-deploy-key"],
        },
      ]);
      expect(parsed.incidents.find((i: { id: string }) => i.id === "2026-11-28-ci-deploy-key")).toMatchObject({
        accessKeys: ["AKIAIOSFODNN7EXAMPLE"],
        goneAccessKeys: ["AKIAIOSFODNN7EXAMPLE"],
      });
      expect(
        parsed.denyPolicies.find((d: { principal: { name: string } }) => d.principal.name === "deploy"),
      ).toMatchObject({ attachment: "managed", policyName: "cordon-revoke-role-sessions-deploy" });

      const { stdout } = await plan("examples/incidents", "--now", NOW, "--stack-outputs", outputs);
      const lines = stdout.split("\n");
      expect(lines).toContain(
        "  role deploy (123456789012)                         managed policy /cordon/cordon-revoke-role-sessions-deploy, attached",
      );
      expect(lines).toContain("access keys already deleted: 1 (IAM no longer has them: contained, nothing to disable)");
      expect(lines).toContain(
        "  AKIAIOSFODNN7EXAMPLE  user ci-deployer (123456789012)  deleted  2026-11-28-ci-deploy-key",
      );
      expect(stdout).not.toMatch(/AKIAIOSFODNN7EXAMPLE {2}user ci-deployer \(123456789012\) +-> Inactive/);
    });
  });

  it("keeps one account's incidents with --account", async () => {
    const { stdout } = await plan("examples/incidents", "--json", "--now", NOW, "--account", "210987654321");
    expect(JSON.parse(stdout)).toEqual({
      incidents: [],
      denyPolicies: [],
      accessKeys: [],
      goneAccessKeys: [],
      replacementRoles: [],
      organizationPolicies: [],
      organizationExclusions: [],
      credentials: { users: [] },
      rootUsers: [],
    });
  });

  it("keeps one account's share of a multi-account incident with --account: its principals only, no guardrail", async () => {
    const { code, stdout } = await plan("examples/incidents", "--json", "--now", NOW, "--account", "444444444444");
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.incidents.map((i: { id: string }) => i.id)).toEqual(["2026-11-28-build-key-cross-account"]);
    expect(
      json.denyPolicies.map((d: { account: string; principal: { type: string; name: string } }) => [
        d.account,
        d.principal.type,
        d.principal.name,
      ]),
    ).toEqual([["444444444444", "role", "data-loader"]]);
    expect(json.accessKeys).toEqual([]);
    expect(json.organizationPolicies).toEqual([]);
  });
});

describe("plan, readable", () => {
  it("says what each principal gets, and what stays after removal", async () => {
    const { code, stdout } = await plan("examples/incidents", "--now", NOW);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe(
      "cordon plan: 4 incidents in accounts 111111111111, 123456789012, 444444444444, 555555555555, 999999999999",
    );
    expect(lines).toContain(
      "  user svc-backup (123456789012)                     managed policy /cordon/cordon-revoke-sessions-svc-backup, attached",
    );
    expect(lines).toContain("                                                     deny every action (deny-all)");
    expect(lines).toContain(
      "  AKIAIOSFODNN7EXAMPLE  user ci-deployer (123456789012)  -> Inactive  2026-11-28-ci-deploy-key",
    );
    expect(lines.at(-2)).toBe("Disabled keys stay disabled and replacement roles stay.");
  });

  it("plans nothing for an empty folder, and says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-empty-"));
    try {
      const { code, stdout } = await plan(dir);
      expect(code).toBe(0);
      expect(stdout).toBe("no incidents: nothing to declare (an empty incidents folder declares no deny policy)\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--account that no incident touches: says so, and which accounts the incidents found touch", async () => {
    const { code, stdout } = await plan("examples/incidents", "--account", "999999999998", "--now", NOW);
    expect(code).toBe(0);
    expect(stdout).toBe(
      "no incident has a share in account 999999999998 that its stack reads: nothing to declare there (the 4 incidents found touch accounts 111111111111, 123456789012, 444444444444, 555555555555, 999999999999)\n",
    );
    const one = await plan(
      "examples/incidents/2026-11-28-key-in-ticket.yaml",
      "--account",
      "999999999998",
      "--now",
      NOW,
    );
    expect(one.stdout).toBe(
      "no incident has a share in account 999999999998 that its stack reads: nothing to declare there (the incident found touches account 123456789012)\n",
    );
  });

  it.each([
    [["--account", "12"], 'cordon plan: --account "12": expected an AWS account id of 12 digits'],
    [
      ["--stack-outputs", "/nonexistent/outputs.json"],
      "cordon plan: --stack-outputs /nonexistent/outputs.json: cannot read it (ENOENT)",
    ],
  ])("exits 2 on a usage error: %j", async (argv, message) => {
    const { code, stderr } = await plan("examples/incidents", ...argv);
    expect(code).toBe(2);
    expect(stderr).toBe(usageOutput(message));
  });

  it("exits 1 and plans nothing when any file is invalid", async () => {
    const { code, stdout, stderr } = await plan("examples/incidents", "test/fixtures/invalid/mode-typo.yaml");
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("E_MODE");
  });
});
