/**
 * A replacement role is never a way into cordon's own roles or jobs. The deployer creates it with
 * whatever policy its file names (AdministratorAccess included), so the loader refuses a trust in
 * one of cordon's roles, spelt any way IAM takes, in any account (E_TRUST_CORDON), and a trust in
 * GitHub's jobs of cordon's own repository when the project or the run says which it is; and the
 * preview, verify and contain roles may assume no role at all, which iam-simulate judges.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { bootstrapDescription } from "../bootstrap/declared.ts";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { loadIncidents } from "../incident/load.ts";
import { ownRepositories, ownRoleNamedBy, repositoryOfRun, ROLE_NAMES } from "../incident/own-roles.ts";
import { bootstrapFor, type RoleId } from "../permissions/roles.ts";
import { trustPolicy } from "../plan/policies.ts";
import { decide } from "./support/iam-evaluator.ts";

const ACCOUNT = "123456789012";
const NOW = new Date("2026-11-28T12:00:00Z");
const OWN = "acme/cordon-incidents";

/** An incident whose one replacement role has `trust` (YAML flow text). */
const incident = (trust: string) => ({
  path: "incidents/trust.yaml",
  text: `id: trust\ntitle: t\naccount: "${ACCOUNT}"\ncutoff: 2026-11-28T10:00:00Z\nusers: [{ name: dana }]\nreplacementRoles:\n  - name: new-path\n    trust: ${trust}\n    managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"]\n`,
});
const load = (trust: string, repositories?: string[]) =>
  loadIncidents([incident(trust)], { now: NOW, ...(repositories ? { repositories } : {}) });
const errors = (trust: string, repositories?: string[]) => load(trust, repositories).errors.map(formatDiagnostic);

describe("validate refuses a replacement role that trusts cordon's own roles", () => {
  it("says which role, why and what instead, word for word", () => {
    expect(
      errors(
        `{ principals: ["arn:aws:iam::210987654321:role/x", "arn:aws:iam::${ACCOUNT}:role/cordon-preview", "arn:aws:iam::${ACCOUNT}:role/ops/Cordon-Deployer"] }`,
      ),
    ).toEqual([
      `incidents/trust.yaml:8:63 E_TRUST_CORDON replacementRoles[0].trust.principals[1]: found "arn:aws:iam::${ACCOUNT}:role/cordon-preview", cordon's own role cordon-preview: a replacement role gets whatever rights its file gives it, and this trust would give them to every pull request's job; trust the workload that used the exposed key instead`,
      `incidents/trust.yaml:8:112 E_TRUST_CORDON replacementRoles[0].trust.principals[2]: found "arn:aws:iam::${ACCOUNT}:role/ops/Cordon-Deployer", cordon's own role cordon-deployer: a replacement role gets whatever rights its file gives it, and this trust would give them to every job that assumes cordon-deployer; trust the workload that used the exposed key instead`,
    ]);
  });

  const partition = fc.constantFrom("aws", "aws-cn", "aws-us-gov");
  const account = fc.stringMatching(/^[0-9]{12}$/);
  const segment = fc.stringMatching(/^[\w+=,.@-]{1,12}$/);
  const path = fc.array(segment, { maxLength: 3 }).map((parts) => parts.map((p) => `${p}/`).join(""));
  /** A name in any case: IAM takes `Cordon-PREVIEW` for `cordon-preview`. */
  const anyCase = (name: string) =>
    fc
      .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
      .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
  const ownName = fc.constantFrom(...Object.values(ROLE_NAMES)).chain(anyCase);
  const otherName = fc
    .stringMatching(/^[\w+=,.@-]{1,64}$/)
    .filter((name) => !Object.values(ROLE_NAMES).includes(name.toLowerCase()));
  const arn = (name: fc.Arbitrary<string>) =>
    fc.tuple(partition, account, path, name).map(([p, a, at, n]) => `arn:${p}:iam::${a}:role/${at}${n}`);

  it("by any spelling IAM takes (partition, account, path, case): refused, naming the role", () => {
    fc.assert(
      fc.property(arn(ownName), (principal) => {
        const found = load(`{ principals: ["${principal}"] }`).errors;
        expect(found.map((e) => e.code)).toEqual(["E_TRUST_CORDON"]);
        expect(found[0].message).toContain(`cordon's own role ${principal.split("/").pop()!.toLowerCase()}:`);
      }),
      { numRuns: 200 },
    );
  });

  it("any other role, user or account, spelt the same ways: accepted", () => {
    const user = fc.tuple(partition, account, otherName).map(([p, a, n]) => `arn:${p}:iam::${a}:user/${n}`);
    const ownNameAsUser = fc.tuple(partition, account, ownName).map(([p, a, n]) => `arn:${p}:iam::${a}:user/${n}`);
    const root = fc.tuple(partition, account).map(([p, a]) => `arn:${p}:iam::${a}:root`);
    fc.assert(
      fc.property(fc.oneof(arn(otherName), user, ownNameAsUser, root), (principal) => {
        expect(errors(`{ principals: ["${principal}"] }`)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("ownRoleNamedBy reads a role's sessions too, and names no role in anything else", () => {
    expect(ownRoleNamedBy(`arn:aws:sts::${ACCOUNT}:assumed-role/CORDON-verify/GitHubActions`)).toBe("cordon-verify");
    expect(ownRoleNamedBy(`arn:aws:iam::${ACCOUNT}:role/cordon/cordon-contain`)).toBe("cordon-contain");
    expect(ownRoleNamedBy(`arn:aws:iam::${ACCOUNT}:role/cordon-contain-2`)).toBeUndefined();
    expect(ownRoleNamedBy(`arn:aws:iam::${ACCOUNT}:user/cordon-contain`)).toBeUndefined();
    expect(ownRoleNamedBy("cordon-contain")).toBeUndefined();
  });
});

describe("validate refuses a GitHub trust in cordon's own repository, when it knows which that is", () => {
  const trusts = (repository: string) => `{ githubOidc: { repository: ${repository}, environment: cordon-apply } }`;

  it("word for word", () => {
    expect(errors(trusts("Acme/Cordon-Incidents"), [OWN])).toEqual([
      `incidents/trust.yaml:8:40 E_TRUST_CORDON replacementRoles[0].trust.githubOidc.repository: found "Acme/Cordon-Incidents", cordon's own repository, whose jobs hold cordon's roles (its pull requests' among them): a replacement role gets whatever rights its file gives it, and this trust would give them to cordon's own jobs; trust the repository of the workload that used the exposed key instead`,
    ]);
  });

  it("in any case, with a ref or an environment: refused; another repository, or none known: accepted", () => {
    const anyCase = fc
      .array(fc.boolean(), { minLength: OWN.length, maxLength: OWN.length })
      .map((upper) => [...OWN].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
    const how = fc.constantFrom("environment: cordon-apply", "environment: prod", "ref: refs/heads/main");
    const other = fc
      .stringMatching(/^[A-Za-z0-9_.-]{1,20}\/[A-Za-z0-9_.-]{1,20}$/)
      .filter((r) => r.toLowerCase() !== OWN);
    fc.assert(
      fc.property(anyCase, other, how, (own, repository, selector) => {
        const trust = (r: string) => `{ githubOidc: { repository: "${r}", ${selector} } }`;
        expect(load(trust(own), [OWN]).errors.map((e) => e.code)).toEqual(["E_TRUST_CORDON"]);
        expect(errors(trust(repository), [OWN])).toEqual([]);
        expect(errors(trust(own))).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it("knows the run's repository in GitHub Actions only, and each auto-contain's", () => {
    expect(repositoryOfRun({ GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: OWN })).toBe(OWN);
    expect(repositoryOfRun({ GITHUB_REPOSITORY: OWN })).toBeUndefined();
    expect(repositoryOfRun({ GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: "" })).toBeUndefined();
    expect(
      ownRepositories(
        [{ autoContain: { repository: "acme/other" } }, { autoContain: null }, { autoContain: { repository: OWN } }],
        { GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: OWN },
      ),
    ).toEqual(["acme/cordon-incidents", "acme/other"]);
  });

  describe("cordon validate", () => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
    const folder = (files: Record<string, string>) => {
      const dir = mkdtempSync(join(tmpdir(), "cordon-trust-"));
      dirs.push(dir);
      mkdirSync(join(dir, "incidents"));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      writeFileSync(join(dir, "incidents/trust.yaml"), incident(trusts(OWN)).text);
      return dir;
    };
    const validate = async (cwd: string, env: Record<string, string> = {}) => {
      const io = memoryIo({ cwd, env });
      const code = await main(["validate", "incidents", "--now", NOW.toISOString()], io);
      return { code, codes: [...io.stderr.matchAll(/ (E_[A-Z_]+) /g)].map((m) => m[1]) };
    };

    it("in GitHub Actions, refuses a trust in the run's own repository; outside, cannot know it", async () => {
      const dir = folder({});
      expect(await validate(dir, { GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: OWN })).toEqual({
        code: 1,
        codes: ["E_TRUST_CORDON"],
      });
      expect(await validate(dir, { GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: "acme/app" })).toEqual({
        code: 0,
        codes: [],
      });
      expect(await validate(dir)).toEqual({ code: 0, codes: [] });
    });

    it("refuses a trust in the repository the project's auto-contain dispatches to", async () => {
      const dir = folder({
        "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
        [`Pulumi.prod-${ACCOUNT}.yaml`]: `config:\n  cordon:account: "${ACCOUNT}"\n  cordon:autoContain: true\n  cordon:autoContainRepository: ${OWN}\n`,
      });
      expect(await validate(dir)).toEqual({ code: 1, codes: ["E_TRUST_CORDON"] });
    });
  });
});

describe("the preview, verify and contain roles may assume no role, whatever trusts them", () => {
  const described = bootstrapFor(bootstrapDescription(), {
    account: ACCOUNT,
    repository: OWN,
    organizationStack: true,
  });
  const documents = (id: RoleId) => described.roles.find((r) => r.id === id)!.policies.map((p) => p.document);
  const REPLACEMENT = `arn:aws:iam::${ACCOUNT}:role/cordon/ci-deployer-oidc`;
  const assume = (id: RoleId, trust: Parameters<typeof trustPolicy>[0], resource = REPLACEMENT) =>
    decide(
      documents(id),
      {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE_NAMES[id]}/GitHubActions`,
        action: "sts:AssumeRole",
        resource,
        account: ACCOUNT,
        context: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/${ROLE_NAMES[id]}` },
      },
      trustPolicy(trust, ACCOUNT),
    );

  it.each(["preview", "verify", "contain", "deployer"] as const)(
    "%s: explicitly denied sts:AssumeRole on a replacement role whose trust names it, or its account",
    async (id) => {
      const own = `arn:aws:iam::${ACCOUNT}:role/${ROLE_NAMES[id]}`;
      expect(await assume(id, { principals: [own] })).toBe("ExplicitlyDenied");
      expect(await assume(id, { principals: [`arn:aws:iam::${ACCOUNT}:root`] })).toBe("ExplicitlyDenied");
      // Nor any other role that names it, wherever an administrator made it.
      expect(await assume(id, { principals: [own] }, `arn:aws:iam::${ACCOUNT}:role/ops/admin`)).toBe(
        "ExplicitlyDenied",
      );
    },
  );

  it.each(["preview", "verify", "contain", "deployer"] as const)(
    "%s: the Deny names every form of assuming a role, on every resource",
    (id) => {
      const denies = documents(id)
        .flatMap((d) => d.Statement)
        .filter((s) => s.Sid === "AssumeNoRole");
      expect(denies).toEqual([
        {
          Sid: "AssumeNoRole",
          Effect: "Deny",
          Action: ["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
          Resource: "*",
        },
      ]);
    },
  );
});
