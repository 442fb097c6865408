/**
 * A user's deny is a customer managed policy, which IAM holds to 6,144 characters (counted
 * without white space), and it gains a statement for every at-containment incident that names the
 * user. Past the limit `pulumi up` would fail on it (LimitExceeded) where `pulumi preview` does
 * not: the plan says so (plan/plan.ts, oversizedDenies), the `plan` command exits 1, and the
 * program declares nothing (through the engine stand-in, as `pulumi preview` runs it).
 */
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { projectTempDir } from "./support/pulumi-mocks.ts";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import { buildPlan, oversizedDenies } from "../plan/plan.ts";
import { fillContainment } from "../plan/policies.ts";
import { Account } from "./support/aws-accounts.ts";
import { runEngine } from "./support/engine.ts";
import { startMoto, type Moto } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const NOW = new Date("2026-11-28T12:00:00Z");
/** IAM's limit, as AWS documents it (reference_iam-quotas.html), written here independently of the product. */
const IAM_MANAGED_POLICY_LIMIT = 6144;

/** `count` at-containment incidents naming user `user`, ids of the given length. */
function files(count: number, user = "svc-build", idLength = 20): { path: string; text: string }[] {
  return Array.from({ length: count }, (_, i) => {
    // Unique whatever the length: the number first, then filler up to `idLength`.
    const id = `i${String(i).padStart(3, "0")}-${"x".repeat(Math.max(0, idLength - 5))}`;
    return {
      path: `incidents/${id}.yaml`,
      text: [
        `id: ${id}`,
        "title: t",
        `account: "${ACCOUNT}"`,
        "cutoff: at-containment",
        `users: [{ name: ${user} }]`,
        "",
      ].join("\n"),
    };
  });
}

/** What IAM would count, with a real instant in every placeholder: the test's own measure. */
function iamSize(plan: ReturnType<typeof buildPlan>, user: string): number {
  const deny = plan.denyPolicies.find((d) => d.principal.name === user)!;
  const instants = Object.fromEntries(deny.pendingContainment.map((id) => [id, "2026-11-28T12:26:00Z"]));
  return JSON.stringify(fillContainment(deny.document, instants)).replace(/\s/g, "").length;
}

describe("a deny policy too large for IAM", () => {
  it("is reported exactly when IAM's count of the filled document passes 6,144 characters", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 5, max: 40 }), (count, idLength) => {
        const { incidents, errors } = loadIncidents(files(count, "svc-build", idLength), { now: NOW });
        expect(errors).toEqual([]);
        const plan = buildPlan(incidents, { account: ACCOUNT });
        const reported = oversizedDenies(plan);
        expect(reported.length > 0).toBe(iamSize(plan, "svc-build") > IAM_MANAGED_POLICY_LIMIT);
      }),
      { numRuns: 80 },
    );
  });

  it("says which principal, how large, which incidents and what to do", () => {
    const { incidents } = loadIncidents(files(45), { now: NOW });
    const plan = buildPlan(incidents, { account: ACCOUNT });
    const size = iamSize(plan, "svc-build");
    expect(size).toBeGreaterThan(IAM_MANAGED_POLICY_LIMIT);
    expect(oversizedDenies(plan)).toEqual([
      `user svc-build (account ${ACCOUNT}; incidents ${incidents
        .map((i) => i.id)
        .sort()
        .join(
          ", ",
        )}): its deny policy would hold ${size.toLocaleString("en-US")} characters in 45 statements, over the 6,144 IAM allows a managed policy, so pulumi up would fail (LimitExceeded): each at-containment incident that names it adds a statement; remove the incidents cordon status says can be removed, or give the others one explicit cutoff (the latest covers the earlier ones)`,
    ]);
  });

  it("leaves alone a user named by few incidents, and explicit cutoffs, however many (the latest covers the earlier ones)", () => {
    expect(oversizedDenies(buildPlan(loadIncidents(files(5), { now: NOW }).incidents, { account: ACCOUNT }))).toEqual(
      [],
    );
    const explicit = files(80).map((f) => ({
      ...f,
      text: f.text.replace("cutoff: at-containment", "cutoff: 2026-11-28T10:00:00Z"),
    }));
    expect(oversizedDenies(buildPlan(loadIncidents(explicit, { now: NOW }).incidents, { account: ACCOUNT }))).toEqual(
      [],
    );
  });
});

describe("where it is refused", () => {
  let moto: Moto;
  let dir: string;
  beforeAll(async () => {
    moto = await startMoto({ managedPolicies: false });
    dir = projectTempDir("cordon-deny-size-");
    mkdirSync(join(dir, "incidents"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
    for (const file of files(45)) writeFileSync(join(dir, file.path), file.text);
  });
  afterAll(async () => {
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("cordon plan prints the plan, says why it would fail, and exits 1", async () => {
    const cli = resolve(import.meta.dirname, "..", "cli", "cordon.js");
    const run = await promisify(execFile)(process.execPath, [cli, "plan", "--now", NOW.toISOString()], {
      cwd: dir,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^cordon plan: error: user svc-build \(account 123456789012; incidents i000-/);
    expect(run.stderr).toContain("over the 6,144 IAM allows a managed policy, so pulumi up would fail (LimitExceeded)");
  });

  it("pulumi preview declares nothing, with the program's own message", async () => {
    await new Account(moto).user("svc-build");
    const run = await runEngine("preview", {
      moto,
      stack: `prod-${ACCOUNT}`,
      state: join(dir, "state.json"),
      config: {
        "cordon:account": ACCOUNT,
        "cordon:incidentsDir": relative(resolve(import.meta.dirname, ".."), join(dir, "incidents")),
      },
    });
    expect(run.status).not.toBe(0);
    expect(run.errors.join("\n")).toContain(
      "cordon declared nothing: 1 deny policy is too large for IAM:\nuser svc-build (account 123456789012;",
    );
    expect(run.steps.filter((s) => s.type.startsWith("aws:"))).toEqual([]);
  });
});
