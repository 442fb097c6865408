/**
 * Three changes `guard --additive` once let land on main without a reviewer, through the CLI on
 * real git repositories as the workflows call it:
 * - a new incident naming a user of `cordon:protectedPrincipals`, in any mode: its credentials
 *   set Inactive and its console password deleted (which cannot be undone);
 * - a new incident naming a user without the `keep:` a reviewed incident gives it: a credential is
 *   kept only when every incident naming its user keeps it (plan/credentials.ts), so what the
 *   reviewer kept would be disabled, and the password deleted;
 * - incidents that make a deny policy too large for IAM: the program then refuses the account's
 *   whole plan on every run (program/deploy.ts), so guard blocks it, and `validate` says so.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { loadIncidents } from "../incident/load.ts";
import { buildPlan } from "../plan/plan.ts";
import { fillContainment } from "../plan/policies.ts";
import {
  byPath,
  commitTree,
  type Content,
  newRepo,
  type Raw,
  removeRepos,
  runGuard,
  writeTree,
} from "./support/git-repo.ts";

afterAll(removeRepos);

const NOW = "2026-11-29T12:00:00Z";
const ACCOUNT = "123456789012";
const repo = newRepo();
const REVIEW = "a pull request and a reviewer decide that";

/** guard --additive --json on base → head, and guard --additive's exit code. */
async function additive(base: Record<string, Content>, head: Record<string, Content>) {
  const from = commitTree(repo, base, "base");
  const to = commitTree(repo, head, "head");
  const args = ["--base", from, "--head", to, "--now", NOW, "--additive"];
  const json = await runGuard(repo, [...args, "--json"]);
  const text = await runGuard(repo, args);
  return {
    ...(JSON.parse(json.stdout) as { ok: boolean; additive: boolean; reasons: string[]; errors: string[] }),
    code: text.code,
    text,
  };
}

const project = (...names: string[]) =>
  `name: cordon\nruntime: nodejs\nconfig:\n  protectedPrincipals:\n    type: array\n    items: { type: string }\n    default: ${JSON.stringify(names)}\n`;

const older = (): Raw => ({
  id: "2026-11-28-ci-key",
  title: "CI key in a public repository",
  account: ACCOUNT,
  cutoff: "2026-11-28T10:00:00Z",
  users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
});
const NEW_ID = "2026-11-29-new-key";
const NEW_FILE = `incidents/${NEW_ID}.yaml`;

describe("a protected user newly named by an incident, in any mode, is not additive", () => {
  /** The name as the list spells it, and as the incident does: IAM ignores case. */
  const spelling = fc
    .tuple(
      fc.constantFrom("breakglass", "break-glass", "ops.admin"),
      fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    )
    .map(([name, upper]) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));

  it("in a new incident, or added to an existing one; in its account or another; whatever the mode (generated)", async () => {
    await fc.assert(
      fc.asyncProperty(
        spelling,
        spelling,
        fc.boolean(),
        fc.constantFrom("revoke-older-sessions", "deny-all"),
        fc.constantFrom(ACCOUNT, "444444444444"),
        fc.constantFrom("new incident", "user added"),
        async (listed, named, onList, mode, account, how) => {
          const user = { name: named, ...(account === ACCOUNT ? {} : { account }) };
          const head: Raw =
            how === "new incident"
              ? { id: NEW_ID, title: "new", account: ACCOUNT, cutoff: "at-containment", mode, users: [user] }
              : { ...older(), mode, users: [...(older().users as unknown[]), user] };
          const file = how === "new incident" ? NEW_FILE : "incidents/2026-11-28-ci-key.yaml";
          const id = how === "new incident" ? NEW_ID : "2026-11-28-ci-key";
          const list = project(onList ? `user/${listed}` : "user/someone-else");
          const protectedUser = onList && listed.toLowerCase() === named.toLowerCase();
          const result = await additive(
            { "Pulumi.yaml": list, ...byPath(older()) },
            { "Pulumi.yaml": list, ...byPath(older(), head) },
          );
          const subject = `user "${named}"${account === ACCOUNT ? "" : ` (account ${account})`}`;
          const reason = `${file}: incident ${id}: names ${subject}, named in cordon:protectedPrincipals: its credentials would be set Inactive and its console password deleted, which cannot be undone: it could lock the responders out; ${REVIEW}`;
          expect(result.reasons.includes(reason)).toBe(protectedUser);
          // deny-all over it is said as well; nothing else stands in the way.
          expect(result.additive).toBe(!protectedUser);
          expect(result.code).toBe(protectedUser ? 1 : 0);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("a user the base's incident already named is not newly named: additive", async () => {
    const held = { ...older(), users: [...(older().users as unknown[]), { name: "breakglass" }] };
    const files = { "Pulumi.yaml": project("user/breakglass") };
    const result = await additive(
      { ...files, ...byPath(held) },
      { ...files, ...byPath({ ...held, roles: [{ name: "release" }] }) },
    );
    expect([result.additive, result.reasons, result.code]).toEqual([true, [], 0]);
  });
});

describe("what the base keeps working stays so, or a reviewer decides (the plan's rule: kept only when every incident keeps it)", () => {
  const K = ["AKIAKEPT000000000001", "AKIAKEPT000000000002"];
  const SSH = "APKAEIBAERJR2EXAMPLE";
  const OPS_FILE = "incidents/2026-11-20-ops.yaml";
  const keepArb = fc.record({
    consolePassword: fc.boolean(),
    accessKeys: fc.subarray(K),
    sshPublicKeys: fc.subarray([SSH]),
  });
  const reviewed = (keep: { consolePassword: boolean; accessKeys: string[]; sshPublicKeys: string[] }): Raw => ({
    id: "2026-11-20-ops",
    title: "ops, reviewed",
    account: ACCOUNT,
    cutoff: "2026-11-28T10:00:00Z",
    holdUntil: "2026-12-05T00:00:00Z",
    users: [{ name: "ops", accessKeys: ["AKIAEXPOSED000000001"], keep }],
  });

  it("each credential the base keeps and the head would not is named: the user, the credential, the incident that keeps it (generated)", async () => {
    await fc.assert(
      fc.asyncProperty(
        keepArb,
        fc.subarray([...K, "AKIANEWKEY0000000001"], { minLength: 1 }),
        fc.boolean(),
        async (kept, exposed, keepsPassword) => {
          // The new incident: the contain workflow's kind (no keep:), or one keeping only the password.
          const added: Raw = {
            id: NEW_ID,
            title: "new",
            account: ACCOUNT,
            cutoff: "at-containment",
            users: [
              { name: "ops", accessKeys: exposed, ...(keepsPassword ? { keep: { consolePassword: true } } : {}) },
            ],
          };
          const result = await additive(byPath(reviewed(kept)), byPath(reviewed(kept), added));
          const at = `kept at the base by incident 2026-11-20-ops (${OPS_FILE})`;
          const rule = "a credential is kept only when every incident naming its user keeps it";
          const expected = [
            // A kept key the new incident declares exposed is no lost keep: the disable job
            // disables a dispatched key anyway, and refusing would only lose its sessions' deny.
            ...kept.accessKeys
              .filter((key) => !exposed.includes(key))
              .map(
                (key) =>
                  `${NEW_FILE}: incident ${NEW_ID}: names user "ops" without keeping access key ${key}, ${at}: ${rule}, so it would be set Inactive; ${REVIEW}`,
              ),
            ...kept.sshPublicKeys.map(
              (id) =>
                `${NEW_FILE}: incident ${NEW_ID}: names user "ops" without keeping SSH public key ${id}, ${at}: ${rule}, so it would be set Inactive; ${REVIEW}`,
            ),
            ...(kept.consolePassword && !keepsPassword
              ? [
                  `${NEW_FILE}: incident ${NEW_ID}: names user "ops" without keeping its console password, ${at}: ${rule}, so the password would be deleted, which cannot be undone; ${REVIEW}`,
                ]
              : []),
          ];
          expect(result.reasons.filter((r) => r.includes("kept at the base"))).toEqual(expected);
          // A new incident that keeps what the base does not keep needs a reviewer; one that keeps
          // only what the base keeps (the password here) changes nothing kept, and is additive
          // unless it loses a keep.
          const beyond = keepsPassword && !kept.consolePassword;
          expect(
            result.reasons.includes(
              `${NEW_FILE}: incident ${NEW_ID} added with credentials user "ops" keeps: what keeps working is a reviewer's to approve`,
            ),
          ).toBe(beyond);
          expect(result.additive).toBe(expected.length === 0 && !beyond);
          expect(result.code).toBe(result.additive ? 0 : 1);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("the dispatched key is the kept key itself: no lost keep (the disable job disables it directly), but a kept console password still is", async () => {
    const added: Raw = {
      id: NEW_ID,
      title: "new",
      account: ACCOUNT,
      cutoff: "at-containment",
      users: [{ name: "ops", accessKeys: [K[0]] }],
    };
    const keyOnly = { consolePassword: false, accessKeys: [K[0]], sshPublicKeys: [] };
    const landed = await additive(byPath(reviewed(keyOnly)), byPath(reviewed(keyOnly), added));
    expect([landed.additive, landed.reasons, landed.code]).toEqual([true, [], 0]);

    const kept = { consolePassword: true, accessKeys: [K[0]], sshPublicKeys: [] };
    const result = await additive(byPath(reviewed(kept)), byPath(reviewed(kept), added));
    expect(result.reasons).toEqual([
      `${NEW_FILE}: incident ${NEW_ID}: names user "ops" without keeping its console password, kept at the base by incident 2026-11-20-ops (${OPS_FILE}): a credential is kept only when every incident naming its user keeps it, so the password would be deleted, which cannot be undone; ${REVIEW}`,
    ]);
    expect(result.text.stderr).toContain("guard: not additive (1 reason): it needs a pull request and a reviewer\n");
    expect(result.code).toBe(1);
  });

  it("a changed incident that lists a kept key as exposed is still a reviewer's", async () => {
    const kept = { consolePassword: false, accessKeys: [K[0]], sshPublicKeys: [] };
    const other: Raw = {
      id: "2026-11-21-ops",
      title: "ops again",
      account: ACCOUNT,
      cutoff: "2026-11-28T10:00:00Z",
      users: [{ name: "ops", accessKeys: ["AKIAEXPOSED000000002"], keep: { accessKeys: [K[0]] } }],
    };
    const changed: Raw = { ...other, users: [{ name: "ops", accessKeys: ["AKIAEXPOSED000000002", K[0]] }] };
    const result = await additive(byPath(reviewed(kept), other), byPath(reviewed(kept), changed));
    expect(result.reasons).toContain(
      `incidents/2026-11-21-ops.yaml: incident 2026-11-21-ops: lists access key ${K[0]} of user "ops" as exposed, kept at the base by incidents 2026-11-20-ops (${OPS_FILE}), 2026-11-21-ops (incidents/2026-11-21-ops.yaml): an exposed key is never kept, so it would be set Inactive; ${REVIEW}`,
    );
    expect(result.code).toBe(1);
  });

  it("a new incident that writes the keeps the base has for the user (as cordon new does) is additive; a keep the base lacks is a reviewer's", async () => {
    const kept = { consolePassword: true, accessKeys: [K[1]], sshPublicKeys: [SSH] };
    const writes = (keep: Record<string, unknown>): Raw => ({
      id: NEW_ID,
      title: "new",
      account: ACCOUNT,
      cutoff: "at-containment",
      users: [{ name: "ops", accessKeys: [K[0]], keep }],
    });
    const same = await additive(
      byPath(reviewed(kept)),
      byPath(reviewed(kept), writes({ consolePassword: true, accessKeys: [K[1]], sshPublicKeys: [SSH] })),
    );
    expect([same.additive, same.reasons, same.code]).toEqual([true, [], 0]);
    // Less than the base keeps: the lost keep is named (the plan keeps only what every incident keeps).
    const less = await additive(byPath(reviewed(kept)), byPath(reviewed(kept), writes({ consolePassword: true })));
    expect(less.additive).toBe(false);
    expect(less.reasons.filter((r) => r.includes(" added with credentials"))).toEqual([]);
    // A key the base does not keep: what keeps working is a reviewer's.
    const beyond = await additive(
      byPath(reviewed(kept)),
      byPath(
        reviewed(kept),
        writes({ consolePassword: true, accessKeys: [K[1], "AKIANEWKEY0000000001"], sshPublicKeys: [SSH] }),
      ),
    );
    expect(beyond.reasons).toEqual([
      `${NEW_FILE}: incident ${NEW_ID} added with credentials user "ops" keeps: what keeps working is a reviewer's to approve`,
    ]);
    expect(beyond.code).toBe(1);
  });

  it("a base that keeps nothing loses nothing: a new incident for the same user is additive", async () => {
    const none = { consolePassword: false, accessKeys: [], sshPublicKeys: [] };
    const added: Raw = {
      id: NEW_ID,
      title: "new",
      account: ACCOUNT,
      cutoff: "at-containment",
      users: [{ name: "ops", accessKeys: [K[0]] }],
    };
    const result = await additive(byPath(reviewed(none)), byPath(reviewed(none), added));
    expect([result.additive, result.reasons, result.code]).toEqual([true, [], 0]);
  });
});

// ---- A deny too large for IAM: the program refuses the account's whole plan.

/** `count` at-containment incidents naming user ci-deployer, one file each. */
function atContainment(count: number, from = 0): Raw[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `2026-11-29-k${String(from + i).padStart(3, "0")}`,
    title: "t",
    account: ACCOUNT,
    cutoff: "at-containment",
    users: [{ name: "ci-deployer" }],
  }));
}

/** IAM's own count of ci-deployer's deny, filled with a real instant: the test's measure, not the product's check. */
function iamCount(incidents: Raw[]): number {
  const files = Object.entries(byPath(...incidents)).map(([path, raw]) => ({
    path,
    text: JSON.stringify(raw),
  }));
  const loaded = loadIncidents(files, { now: new Date(NOW) });
  expect(loaded.errors).toEqual([]);
  const deny = buildPlan(loaded.incidents).denyPolicies.find((d) => d.principal.name === "ci-deployer")!;
  const instants = Object.fromEntries(deny.pendingContainment.map((id) => [id, "2026-11-29T12:26:00Z"]));
  return JSON.stringify(fillContainment(deny.document, instants)).replace(/\s/g, "").length;
}
/** IAM's limit for a managed policy (reference_iam-quotas.html), written here independently of the product. */
const IAM_MANAGED_POLICY_LIMIT = 6144;

describe("a deny policy the change makes too large for IAM blocks the change (the program would refuse the whole plan)", () => {
  it("blocked exactly when IAM would refuse the head's deny, without --additive too (generated)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), async (count) => {
        const head = atContainment(count);
        const over = iamCount([older(), ...head]) > IAM_MANAGED_POLICY_LIMIT;
        const from = commitTree(repo, byPath(older()), "base");
        const to = commitTree(repo, byPath(older(), ...head), "head");
        const plain = await runGuard(repo, ["--base", from, "--head", to, "--now", NOW, "--json"]);
        const json = JSON.parse(plain.stdout) as {
          ok: boolean;
          additive: boolean;
          errors: string[];
          reasons: string[];
        };
        expect(plain.code).toBe(over ? 1 : 0);
        expect([json.ok, json.additive]).toEqual([!over, !over]);
        expect(json.errors.some((e) => e.startsWith("user ci-deployer (account 123456789012; incidents "))).toBe(over);
      }),
      { numRuns: 12, examples: [[40], [5]] },
    );
  });

  it("40 new incident files naming ci-deployer at-containment: the plan's own words, as errors and as the reason", async () => {
    const head = atContainment(40);
    const size = iamCount([older(), ...head]);
    expect(size).toBeGreaterThan(IAM_MANAGED_POLICY_LIMIT);
    const problem = `user ci-deployer (account ${ACCOUNT}; incidents 2026-11-28-ci-key, ${head.map((i) => i.id).join(", ")}): its deny policy would hold ${size.toLocaleString("en-US")} characters in 41 statements, over the 6,144 IAM allows a managed policy, so pulumi up would fail (LimitExceeded): each at-containment incident that names it adds a statement; remove the incidents cordon status says can be removed, or give the others one explicit cutoff (the latest covers the earlier ones)`;
    const result = await additive(byPath(older()), byPath(older(), ...head));
    expect(result.errors).toEqual([problem]);
    expect(result.reasons).toEqual([`the head's plan cannot be applied: ${problem}`]);
    expect(result.code).toBe(1);
    expect(result.text.stderr).toBe(
      `error ${problem}\ncordon guard: the head's plan cannot be applied: pulumi up would declare nothing in the account named above, on every run until it is fixed (drift repair and later contains there included) (--allow-early-removal does not apply)\nnot additive the head's plan cannot be applied: ${problem}\nguard: not additive (1 reason): it needs a pull request and a reviewer\n`,
    );
    // No override: --allow-early-removal lets weakenings through, never a plan pulumi up refuses.
    const from = commitTree(repo, byPath(older()), "base");
    const to = commitTree(repo, byPath(older(), ...head), "head");
    const allowed = await runGuard(repo, ["--base", from, "--head", to, "--now", NOW, "--allow-early-removal"]);
    expect(allowed.code).toBe(1);
  });

  it("a deny already too large at the base is not this change's problem: one more incident over it is additive", async () => {
    const base = atContainment(45);
    expect(iamCount(base)).toBeGreaterThan(IAM_MANAGED_POLICY_LIMIT);
    const result = await additive(byPath(...base), byPath(...base, ...atContainment(1, 45)));
    expect([result.additive, result.reasons, result.errors, result.code]).toEqual([true, [], [], 0]);
  });
});

describe("cordon validate warns of what guard blocks: the files valid one by one, their plan not in one account", () => {
  async function validate(incidents: Raw[]) {
    const dir = newRepo();
    writeTree(dir, { "Pulumi.yaml": "name: cordon\nruntime: nodejs\n", ...byPath(...incidents) });
    const io = memoryIo({ cwd: `${dir}/incidents` });
    const code = await main(["validate"], io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  }

  it("a deny over IAM's size is a warning, exit 0: validate runs unscoped in every workflow leg, and the program refuses only that account", async () => {
    const over = atContainment(40);
    const size = iamCount(over);
    // Another account's ordinary incident: its leg must still get to pulumi up.
    const other = {
      id: "2026-11-29-other",
      title: "t",
      account: "222222222222",
      cutoff: "at-containment",
      users: [{ name: "ops" }],
    };
    const ids = [...over, other].map((i) => i.id).sort();
    expect(await validate([...over, other])).toEqual({
      code: 0,
      stdout: `41 incidents valid: ${ids.join(", ")}\n`,
      stderr: `cordon validate: warning: user ci-deployer (account ${ACCOUNT}; incidents ${over.map((i) => i.id).join(", ")}): its deny policy would hold ${size.toLocaleString("en-US")} characters in 40 statements, over the 6,144 IAM allows a managed policy, so pulumi up would fail (LimitExceeded): each at-containment incident that names it adds a statement; remove the incidents cordon status says can be removed, or give the others one explicit cutoff (the latest covers the earlier ones)\n41 incidents are valid one by one, but their plan is not: pulumi up would declare nothing in the account named above, on every run until it is fixed; the other accounts are applied\n`,
    });
    const fits = atContainment(5);
    expect(await validate(fits)).toEqual({
      code: 0,
      stdout: `5 incidents valid: ${fits.map((i) => i.id).join(", ")}\n`,
      stderr: "",
    });
  });
});
