/**
 * The program's checks and its stack outputs, without Pulumi: the checks ask AWS through the
 * functions they are given, and the outputs are a function of the plan.
 */
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import { containmentFromStackOutputs, stackOutputs } from "../plan/outputs.ts";
import { buildPlan, type AccessKeyPlan } from "../plan/plan.ts";
import { credentialsProblem, invalidFilesProblem, keyOwnersProblem } from "../program/checks.ts";

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

  it("asks IAM once per user, and names every key that is not its declared user's", async () => {
    const asked: string[] = [];
    const listed: Record<string, string[]> = { dana: ["AKIAJ7Q2EXAMPLEKEY77"], "ci-deployer": [] };
    const accessKeysOf = async (user: string) => {
      asked.push(user);
      return listed[user];
    };
    const keys = [key("dana", "AKIAJ7Q2EXAMPLEKEY77"), key("dana", "AKIAJ7Q2EXAMPLEKEY77", "2026-11-28-b"), key("ci-deployer", "AKIAIOSFODNN7EXAMPLE")];
    expect(await keyOwnersProblem(keys.slice(0, 2), accessKeysOf)).toBeUndefined();
    expect(asked).toEqual(["dana"]);
    expect(await keyOwnersProblem(keys, accessKeysOf)).toBe(
      [
        "cordon declared nothing: 1 access key is not listed under the declared user; name the user that owns each key (Pulumi would replace a key whose user changed, and a replacement creates a new key):",
        "incident 2026-11-28-a: access key AKIAIOSFODNN7EXAMPLE is not a key of user ci-deployer (IAM lists for ci-deployer: no access keys)",
      ].join("\n"),
    );
    const failing = async () => {
      throw new Error("NoSuchEntity");
    };
    expect(await keyOwnersProblem([key("gone", "AKIAIOSFODNN7EXAMPLE")], failing)).toBe("cordon declared nothing: cannot list the access keys of user gone (incident 2026-11-28-a): NoSuchEntity");
  });

  it("refuses invalid files with every diagnostic, and passes none", () => {
    expect(invalidFilesProblem("incidents", [])).toBeUndefined();
    expect(invalidFilesProblem("incidents", [{ file: "incidents/x.yaml", line: 1, col: 1, code: "E_READ", message: "no such file or folder" }])).toBe(
      "cordon declared nothing: 1 problem in the incident files (`npx cordon validate incidents` shows the same):\nincidents/x.yaml:1:1 E_READ no such file or folder",
    );
  });
});

describe("stack outputs", () => {
  const text = (id: string, cutoff: string, principals: string) => ({ path: `incidents/${id}.yaml`, text: `id: ${id}\ntitle: t\naccount: "123456789012"\ncutoff: ${cutoff}\n${principals}` });
  const { incidents } = loadIncidents([text("explicit", "2026-11-28T10:00:00Z", "roles: [{ name: deploy }]\n"), text("contained", "at-containment", "users: [{ name: dana }]\n")], { now: NOW });
  const plan = buildPlan(incidents, { account: "123456789012" });

  it("are what the commands read back: the recorded instant, and the expiry counted from it", () => {
    const outputs = stackOutputs("123456789012", plan, (_id, output) => output("2026-11-28T12:26:00Z"));
    expect(outputs).toEqual({
      account: "123456789012",
      incidents: {
        contained: { cutoff: "2026-11-28T12:26:00Z", atContainment: true, expiresAt: "2026-11-30T00:26:00Z", mode: "revoke-older-sessions", principals: [{ type: "user", name: "dana" }], accessKeys: [] },
        explicit: { cutoff: "2026-11-28T10:00:00Z", atContainment: false, expiresAt: "2026-11-28T22:00:00Z", mode: "revoke-older-sessions", principals: [{ type: "role", name: "deploy" }], accessKeys: [] },
      },
      replacementRoles: [],
    });
    expect(containmentFromStackOutputs(outputs)).toEqual({ contained: "2026-11-28T12:26:00Z" });
  });

  it("leave an at-containment incident to the program until its instant is recorded", () => {
    const outputs = stackOutputs("123456789012", plan, (id) => `pending ${id}`);
    expect(outputs.incidents.contained).toBe("pending contained");
  });
});
