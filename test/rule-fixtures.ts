/**
 * One invalid and one valid fixture for every rule of incident/rules.ts (cdk-nag's habit: a
 * compliant case beside every non-compliant one). The invalid fixture breaks its rule; the valid
 * one is its nearest compliant neighbour and passes every rule. Most invalid fixtures are the files
 * of test/fixtures/invalid, whose .errors files hold their messages word for word; the rules that
 * span files take several files. test/rules.test.ts walks this table.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticCode, RuleContext } from "../incident/rules.ts";
import type { SourceFile } from "../incident/types.ts";

/**
 * Files to load together (with the project's organization and cordon's own repositories, for the
 * rules that need them), or paths
 * to read (for the rule about reading them).
 */
export type Fixture =
  | { files: SourceFile[]; organization?: RuleContext["organization"]; repositories?: RuleContext["repositories"] }
  | { paths: string[] };

/** The instant the fixtures are judged at. */
export const FIXTURE_NOW = new Date("2026-11-28T12:00:00Z");

export const INVALID_DIR = "test/fixtures/invalid";

/** A file of test/fixtures/invalid, by name. */
const invalid = (name: string): Fixture => {
  const path = join(INVALID_DIR, name);
  return { files: [{ path, text: readFileSync(path, "utf8") }] };
};

/** An incident file `incidents/<id>.yaml`: a valid incident with `body` in place of its principals. */
const incident = (id: string, body = "users: [{ name: dana }]\n", head = ""): SourceFile => ({
  path: `incidents/${id}.yaml`,
  text: `id: ${id}\ntitle: t\naccount: "123456789012"\ncutoff: 2026-11-28T10:00:00Z\n${head}${body}`,
});
const withCutoff = (id: string, cutoff: string): SourceFile => ({
  ...incident(id),
  text: incident(id).text.replace("2026-11-28T10:00:00Z", cutoff),
});
const files = (...list: SourceFile[]): Fixture => ({ files: list });
const one = (id: string, body?: string, head?: string): Fixture => files(incident(id, body, head));
const role = (trust: string, more = "") =>
  `users: [{ name: dana }]\nreplacementRoles:\n  - name: new-path\n    trust: ${trust}\n${more}`;

export const RULE_FIXTURES: Record<DiagnosticCode, { invalid: Fixture; valid: Fixture }> = {
  E_READ: {
    invalid: { paths: ["test/fixtures/no-such-file.yaml"] },
    valid: { paths: ["test/fixtures/valid/roles-only.yaml"] },
  },
  E_FILE_TOO_LARGE: {
    invalid: one("large", `users: [{ name: dana }]\n# ${"x".repeat(64 * 1024)}\n`),
    valid: one("large", `users: [{ name: dana }]\n# ${"x".repeat(64 * 1024 - 200)}\n`),
  },
  E_YAML_SYNTAX: {
    invalid: invalid("yaml-syntax.yaml"),
    valid: one("flow", "users: [{ name: dana }, { name: ci-deployer }]\n"),
  },
  E_DUPLICATE_KEY: { invalid: invalid("duplicate-key.yaml"), valid: one("once") },
  E_ALIAS_LIMIT: {
    invalid: invalid("alias-bomb.yaml"),
    valid: one("alias", "users: [{ name: dana }]\nticket: &t SEC-1\nowner: *t\n"),
  },
  // !!str says only what quotes say.
  E_YAML_TAG: {
    invalid: invalid("yaml-tags.yaml"),
    valid: one("tag-str", "users: [{ name: dana }]\nticket: !!str 1234\n"),
  },
  // A hex digest is 40 characters too, but all one case: not a secret.
  E_SECRET: {
    invalid: invalid("secret-in-file.yaml"),
    valid: one("digest", "users: [{ name: dana }]\n# sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709\n"),
  },
  E_TYPE: {
    invalid: invalid("wrong-types.yaml"),
    valid: one("types", "users: [{ name: dana, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\nroles: [{ name: deploy }]\n"),
  },
  E_UNKNOWN_FIELD: { invalid: invalid("unknown-field.yaml"), valid: one("known") },
  E_REQUIRED: { invalid: invalid("missing-required.yaml"), valid: one("required") },
  E_SCHEMA: {
    invalid: one(
      "policy-version",
      role(
        "{ service: ec2.amazonaws.com }",
        '    inlinePolicies:\n      write: { Version: "2020-01-01", Statement: [] }\n',
      ),
    ),
    valid: one(
      "policy-version",
      role(
        "{ service: ec2.amazonaws.com }",
        '    inlinePolicies:\n      write: { Version: "2012-10-17", Statement: [] }\n',
      ),
    ),
  },
  E_ID: { invalid: one("Bad_Id"), valid: one("good-id") },
  // A role's own account, quoted.
  E_ACCOUNT: {
    invalid: invalid("account-short.yaml"),
    valid: one("account", 'roles: [{ name: data-loader, account: "444444444444" }]\n'),
  },
  E_CUTOFF_OFFSET: {
    invalid: invalid("cutoff-no-offset.yaml"),
    valid: files(withCutoff("offset", "2026-11-28T11:00:00+01:00")),
  },
  E_MODE: { invalid: invalid("mode-typo.yaml"), valid: one("mode", "users: [{ name: dana }]\nmode: deny-all\n") },
  E_ACCESS_KEY_ID: {
    invalid: invalid("bad-access-keys.yaml"),
    valid: one("keys", "users: [{ name: dana, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n"),
  },
  E_MAX_SESSION_DURATION: {
    invalid: invalid("max-session.yaml"),
    valid: one("session", role("{ service: ec2.amazonaws.com }", "    maxSessionDuration: 43200\n")),
  },
  E_TRUST_KIND: { invalid: invalid("trust-kinds.yaml"), valid: one("trust", role("{ service: ec2.amazonaws.com }")) },
  E_GITHUB_OIDC: {
    invalid: one("oidc", role("{ githubOidc: { repository: example/app, ref: refs/heads/* } }")),
    valid: one("oidc", role("{ githubOidc: { repository: example/app, ref: refs/heads/main } }")),
  },
  E_TRUST_SERVICE: {
    invalid: invalid("trust-service.yaml"),
    valid: one("service", role("{ service: ec2.amazonaws.com }")),
  },
  E_TRUST_PRINCIPAL: {
    invalid: invalid("trust-principal.yaml"),
    valid: one("principal", role('{ principals: ["arn:aws:iam::210987654321:role/builder"] }')),
  },
  E_POLICY_ARN: {
    invalid: invalid("policy-arn.yaml"),
    valid: one(
      "policy-arn",
      role("{ service: ec2.amazonaws.com }", '    managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]\n'),
    ),
  },
  E_CREDENTIAL_ID: {
    invalid: invalid("keep-ids.yaml"),
    valid: one(
      "kept-ids",
      "users:\n  - name: ci-deployer\n    keep:\n      serviceSpecificCredentials: [ACCAEXAMPLE123EXAMPLE]\n      sshPublicKeys: [APKAEIBAERJR2EXAMPLE]\n      signingCertificates: [ID123456789012345EXAMPLE, 2ci4gwm5u2b0c5grtfvzwj9xhqi3k2vn]\n      consolePassword: true\n",
    ),
  },
  E_MFA_SERIAL: {
    invalid: invalid("mfa-serial.yaml"),
    valid: one(
      "mfa",
      'users: [{ name: dana, deactivateMfaDevices: ["arn:aws:iam::123456789012:mfa/attacker", GAHT12345678] }]\n',
    ),
  },
  E_IDENTITY_CENTER_USER_ID: {
    invalid: invalid("identity-center-users.yaml"),
    valid: one(
      "identity-center",
      "organization: { scp: true }\nidentityCenterUsers: [{ userId: 906747e8d1-6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a }, { userId: 6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a }]\n",
    ),
  },
  // An RCP for a role, the SCP for an Identity Center user.
  E_ORGANIZATION: {
    invalid: invalid("organization-nothing.yaml"),
    valid: one(
      "organization",
      "roles: [{ name: deploy }]\norganization: { scp: true, rcp: true }\nidentityCenterUsers: [{ userId: 906747e8d1-6b3fbf5c-1b55-4ad0-9c32-58a1d22f0d5a }]\n",
    ),
  },
  E_ID_FILENAME: { invalid: invalid("id-mismatch.yaml"), valid: one("id-mismatch") },
  // 2026-02-30 is not a day; 2024-02-29 is.
  E_CUTOFF: {
    invalid: invalid("cutoff-not-a-date.yaml"),
    valid: files(withCutoff("leap-day", "2024-02-29T10:00:00Z")),
  },
  // Clock skew: 4 minutes ahead of now passes.
  E_CUTOFF_FUTURE: { invalid: invalid("cutoff-future.yaml"), valid: files(withCutoff("skew", "2026-11-28T12:04:00Z")) },
  // Exactly the computed expiry (cutoff + 36 h) passes.
  E_HOLD_UNTIL: {
    invalid: invalid("hold-until-early.yaml"),
    valid: one("held", "users: [{ name: dana }]\n", "holdUntil: 2026-11-29T22:00:00Z\n"),
  },
  E_NO_PRINCIPAL: { invalid: invalid("no-principal.yaml"), valid: one("roles-only", "roles: [{ name: deploy }]\n") },
  E_ROOT_USER: { invalid: invalid("root-user.yaml"), valid: one("rootless", "users: [{ name: root-admin }]\n") },
  // Guardrails for a member account's root user.
  E_ROOT_GUARDRAIL: {
    invalid: invalid("root-without-scp.yaml"),
    valid: one("member-root", 'rootUsers: [{ account: "444455556666" }]\norganization: { scp: true }\n'),
  },
  // The management account's root, or any root without an organization stack; a member account's passes.
  E_ROOT_ACCOUNT: {
    invalid: {
      files: [incident("management-root", 'rootUsers: [{ account: "999999999999" }]\norganization: { scp: true }\n')],
      organization: { managementAccount: "999999999999" },
    },
    valid: {
      files: [incident("member-root", 'rootUsers: [{ account: "444455556666" }]\norganization: { scp: true }\n')],
      organization: { managementAccount: "999999999999" },
    },
  },
  E_KEEP_CONFLICT: {
    invalid: invalid("keep-conflict.yaml"),
    valid: one(
      "keep",
      "users:\n  - name: ci-deployer\n    accessKeys: [AKIAIOSFODNN7EXAMPLE]\n    keep: { accessKeys: [AKIAI44QH8DHBEXAMPLE], sshPublicKeys: [APKAEIBAERJR2EXAMPLE] }\n",
    ),
  },
  // A user and a role of one name are two principals; so are two roles of one name in two accounts.
  E_DUPLICATE_PRINCIPAL: {
    invalid: invalid("duplicate-principal.yaml"),
    valid: one(
      "same-name",
      'users: [{ name: deploy }]\nroles: [{ name: deploy }, { name: deploy, account: "444444444444" }]\n',
    ),
  },
  // The same key under the same user in two incidents is fine: one file lists it once.
  E_DUPLICATE_KEY_ID: {
    invalid: invalid("duplicate-key-id.yaml"),
    valid: files(
      incident("first", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n"),
      incident("second", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n"),
    ),
  },
  // Keys in two accounts with an explicit cutoff are fine; at-containment keys of one account too, with a role in another.
  E_CONTAINMENT_ACCOUNTS: {
    invalid: invalid("containment-accounts.yaml"),
    valid: files(
      incident(
        "two-accounts",
        'users: [{ name: build-bot, accessKeys: [AKIAQ3EGKB4TBUILDB0T] }, { name: loader, account: "444444444444", accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n',
      ),
      {
        path: "incidents/one-account.yaml",
        text: 'id: one-account\ntitle: t\naccount: "123456789012"\ncutoff: at-containment\nusers: [{ name: alice, accessKeys: [AKIAI44QH8DHBEXAMPLE] }]\nroles: [{ name: data-loader, account: "444444444444" }]\n',
      },
    ),
  },
  E_SERVICE_LINKED_ROLE: {
    invalid: invalid("aws-managed-roles.yaml"),
    valid: one("ecs", "roles: [{ name: ecsTaskRole }]\n"),
  },
  E_SSO_ROLE: {
    invalid: invalid("aws-managed-roles.yaml"),
    valid: one("sso", "roles: [{ name: SSOAdministrators }]\n"),
  },
  // Visible non-ASCII is E_IAM_NAME's; a plain name passes.
  E_INVISIBLE_CHARACTER: {
    invalid: invalid("invisible-names.yaml"),
    valid: one("visible", "users: [{ name: deploy }]\nroles: [{ name: ci-deployer }]\n"),
  },
  E_IAM_NAME: {
    invalid: invalid("bad-names.yaml"),
    valid: one("names", 'users: [{ name: "ci+deploy=1,a.b@c_d-e" }]\n'),
  },
  // cordon's preview role in another account, path and case; a workflow of cordon's own repository.
  E_TRUST_CORDON: {
    invalid: {
      files: [
        incident("trusts-preview", role('{ principals: ["arn:aws:iam::210987654321:role/ops/Cordon-Preview"] }')),
        incident(
          "trusts-apply",
          role("{ githubOidc: { repository: Acme/Cordon-Incidents, environment: cordon-apply } }").replace(
            "new-path",
            "apply-path",
          ),
        ),
      ],
      repositories: ["acme/cordon-incidents"],
    },
    valid: {
      files: [
        incident("trusts-builder", role('{ principals: ["arn:aws:iam::210987654321:role/ops/cordon-builder"] }')),
        incident(
          "trusts-app",
          role("{ githubOidc: { repository: acme/app, environment: cordon-apply } }").replace("new-path", "app-path"),
        ),
      ],
      repositories: ["acme/cordon-incidents"],
    },
  },
  E_REPLACEMENT_ROLE_CONFLICT: {
    invalid: files(
      incident("first", role("{ service: ec2.amazonaws.com }")),
      incident("second", "roles: [{ name: new-path }]\n"),
    ),
    valid: files(
      incident("first", role("{ service: ec2.amazonaws.com }")),
      incident("second", "roles: [{ name: old-path }]\n"),
    ),
  },
  E_DUPLICATE_ID: {
    invalid: files(incident("same-id"), { ...incident("same-id"), path: "incidents/other/same-id.yml" }),
    valid: files(incident("one-id"), incident("another-id")),
  },
  E_KEY_TWO_ACCOUNTS: {
    invalid: files(incident("first", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n"), {
      path: "incidents/second.yaml",
      text: 'id: second\ntitle: t\naccount: "210987654321"\ncutoff: 2026-11-28T10:00:00Z\nusers: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n',
    }),
    // Another key in the other account; the same key under the user of its own account, named from another incident.
    valid: files(
      incident("first", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n"),
      {
        path: "incidents/second.yaml",
        text: 'id: second\ntitle: t\naccount: "210987654321"\ncutoff: 2026-11-28T10:00:00Z\nusers: [{ name: alice, accessKeys: [AKIAI44QH8DHBEXAMPLE] }]\n',
      },
      incident("third", 'users: [{ name: alice, account: "210987654321", accessKeys: [AKIAI44QH8DHBEXAMPLE] }]\n'),
    ),
  },
  E_KEY_TWO_USERS: {
    invalid: invalid("key-two-users.yaml"),
    valid: files(
      incident("first", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n"),
      incident("second", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n"),
    ),
  },
  E_PRINCIPAL_SPELLING: {
    invalid: files(incident("first", "users: [{ name: deploy }]\n"), incident("second", "users: [{ name: Deploy }]\n")),
    // Another account's Deploy is another principal.
    valid: files(incident("first", "users: [{ name: deploy }]\n"), {
      path: "incidents/second.yaml",
      text: 'id: second\ntitle: t\naccount: "210987654321"\ncutoff: 2026-11-28T10:00:00Z\nusers: [{ name: Deploy }]\n',
    }),
  },
};

/** The rules without a fixture of each kind: what test/rules.test.ts refuses. */
export function missingFixtures(
  codes: readonly string[],
  fixtures: Partial<Record<string, { invalid?: Fixture; valid?: Fixture }>>,
): string[] {
  return codes.filter((code) => fixtures[code]?.invalid === undefined || fixtures[code]?.valid === undefined);
}
