/** Properties of the loader and the plan over generated input (fast-check). */
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import { buildPlan } from "../plan/plan.ts";
import { GENERATED_NOW, incidentSet, toFiles } from "./support/generators.ts";

const now = GENERATED_NOW;

/** IAM's size limits, counted as IAM counts them: without white space. */
const MANAGED_POLICY_MAX = 6144;
const ROLE_INLINE_MAX = 10240;

describe("the loader never crashes and never yields a partial result", () => {
  it("on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const result = loadIncidents([{ path: "incidents/x.yaml", text }], { now });
        expect(result.errors.length > 0 ? result.incidents : []).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("on arbitrary YAML documents", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const result = loadIncidents([{ path: "incidents/x.yaml", text: stringify(value) }], { now });
        expect(result.errors.length).toBeGreaterThan(0);
        expect(result.incidents).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("on valid incidents with one field of one file replaced by arbitrary data", () => {
    const fields = [
      "id",
      "title",
      "account",
      "cutoff",
      "mode",
      "users",
      "roles",
      "holdUntil",
      "replacementRoles",
      "organization",
      "identityCenterUsers",
    ];
    fc.assert(
      fc.property(
        incidentSet,
        fc.nat(),
        fc.constantFrom(...fields),
        fc.jsonValue({ maxDepth: 2 }),
        (incidents, which, field, junk) => {
          const files = toFiles(incidents);
          const victim = which % files.length;
          const mutated = { ...incidents[victim], [field]: junk };
          files[victim] = { ...files[victim], text: stringify(mutated) };
          const result = loadIncidents(files, { now });
          // Whatever the junk, either the file is still valid or nothing at all comes out.
          if (result.errors.length > 0) expect(result.incidents).toEqual([]);
          else expect(result.incidents).toHaveLength(files.length);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("on a principal's own account, the guardrails or Identity Center users replaced by hostile data (issue 11): never a crash, never a partial result, never a planned guardrail from an invalid file", () => {
    const hostile = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        "111111111111",
        111111111111,
        "11111111111",
        "1111111111111",
        "arn:aws:iam::111111111111:root",
        "*",
        "../../etc",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "\u202e",
        "::error::x",
      ),
    );
    fc.assert(
      fc.property(
        incidentSet,
        fc.nat(),
        fc.constantFrom("account", "organization", "identityCenterUsers"),
        hostile,
        (incidents, which, field, junk) => {
          const files = toFiles(incidents);
          const victim = which % files.length;
          const incident = structuredClone(incidents[victim]) as unknown as Record<string, unknown> & {
            users: { account?: unknown }[];
            roles: { account?: unknown }[];
          };
          const principals = [...incident.users, ...incident.roles];
          if (field === "account" && principals.length > 0) principals[which % principals.length].account = junk;
          else incident[field] = junk;
          files[victim] = { ...files[victim], text: stringify(incident) };
          const result = loadIncidents(files, { now });
          if (result.errors.length > 0) {
            expect(result.incidents).toEqual([]);
            // A secret pasted into the field is never quoted back.
            expect(JSON.stringify(result.errors)).not.toContain("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
          } else {
            const plan = buildPlan(result.incidents, {
              organization: { targets: ["r-abcd"], managementAccount: "999999999999" },
            });
            for (const policy of plan.organizationPolicies)
              expect(policy.document.Statement.every((s) => s.Effect === "Deny")).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("plans of generated incidents", () => {
  it("are valid, deny-only, cover every principal and key, and stay under IAM's size limits", () => {
    fc.assert(
      fc.property(incidentSet, (generated) => {
        const { incidents, errors } = loadIncidents(toFiles(generated), { now });
        expect(errors).toEqual([]);
        const plan = buildPlan(incidents);
        for (const policy of plan.denyPolicies) {
          for (const statement of policy.document.Statement) {
            expect(statement).toMatchObject({ Effect: "Deny", Action: "*", Resource: "*" });
          }
          const size = JSON.stringify(policy.document).replace(/\s/g, "").length;
          expect(size).toBeLessThanOrEqual(policy.attachment === "managed" ? MANAGED_POLICY_MAX : ROLE_INLINE_MAX);
        }
        for (const incident of incidents) {
          const principals = [
            ...incident.users.map((u) => ["user", u.name]),
            ...incident.roles.map((r) => ["role", r.name]),
          ];
          for (const [type, name] of principals) {
            const policy = plan.denyPolicies.find(
              (p) =>
                p.account === incident.account &&
                p.principal.type === type &&
                p.principal.name.toLowerCase() === name.toLowerCase(),
            );
            expect(policy?.incidents).toContain(incident.id);
            if (incident.mode === "deny-all") expect(policy?.mode).toBe("deny-all");
          }
          for (const user of incident.users) {
            for (const key of user.accessKeys) {
              const planned = plan.accessKeys.find((k) => k.accessKeyId === key && k.account === incident.account);
              expect(planned).toMatchObject({ status: "Inactive" });
              expect(planned?.incidents).toContain(incident.id);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("are byte-identical whatever the order of the files", () => {
    fc.assert(
      fc.property(incidentSet, fc.func(fc.integer()), (generated, order) => {
        const files = toFiles(generated);
        const shuffled = [...files].sort((a, b) => order(a.path) - order(b.path));
        const plan = (f: typeof files) =>
          JSON.stringify(
            buildPlan(loadIncidents(f, { now }).incidents).denyPolicies.map((p) => ({ ...p, file: undefined })),
          );
        expect(plan(shuffled)).toBe(plan(files));
      }),
      { numRuns: 100 },
    );
  });

  it("adding or removing an incident never renames a resource of another incident", () => {
    fc.assert(
      fc.property(incidentSet, (generated) => {
        const all = loadIncidents(toFiles(generated), { now }).incidents;
        const [removed, ...kept] = all;
        const before = buildPlan(all);
        const after = buildPlan(kept);
        const names = (plan: typeof before) => [
          ...plan.denyPolicies.map((p) => p.resourceName),
          ...plan.accessKeys.map((k) => k.resourceName),
          ...plan.replacementRoles.map((r) => r.resourceName),
        ];
        // Every resource that still exists keeps its name; only the removed incident's own disappear.
        for (const name of names(after)) expect(names(before)).toContain(name);
        const onlyRemoved = names(before).filter((n) => !names(after).includes(n));
        const removedPrincipals = [
          ...removed.users.map((u) => `user-${u.name}`),
          ...removed.roles.map((r) => `role-${r.name}`),
        ];
        for (const name of onlyRemoved) {
          const owned =
            removedPrincipals.some((p) => name.endsWith(p)) ||
            removed.users.some((u) => u.accessKeys.some((k) => name.endsWith(k)));
          expect(owned).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("an incident id that names a property of every object", () => {
  it('"constructor" at containment waits for its recorded instant, as any other id does', () => {
    const text =
      'id: constructor\ntitle: t\naccount: "123456789012"\ncutoff: at-containment\nusers: [{ name: alice }]\n';
    const loaded = loadIncidents([{ path: "incidents/constructor.yaml", text }], { now });
    expect(loaded.errors).toEqual([]);
    const [deny] = buildPlan(loaded.incidents).denyPolicies;
    expect(deny.pendingContainment).toEqual(["constructor"]);
    expect(deny.document.Statement[0].Condition).toEqual({
      DateLessThan: { "aws:TokenIssueTime": "{{containment:constructor}}" },
    });
    expect(
      buildPlan(loaded.incidents, { containment: { constructor: "2026-11-28T10:26:13Z" } }).denyPolicies[0].document
        .Statement[0].Condition,
    ).toEqual({
      DateLessThan: { "aws:TokenIssueTime": "2026-11-28T10:26:13Z" },
    });
  });
});
