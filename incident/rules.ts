/**
 * Every rule of an incident file, one entry per diagnostic code: what a valid file satisfies and,
 * for the rules the schema cannot say, the check itself. Reading, YAML and the schema's shape have
 * no check here: read.ts, yaml.ts and schema-errors.ts report those codes. The others run in
 * load.ts, once a file has its shape: `file` rules on each file alone, `files` rules once, over
 * every file that has its shape, together.
 *
 * Every entry has a valid and an invalid fixture (test/rule-fixtures.ts), and a test fails when
 * one has none.
 */
import { computeExpiry } from "./expiry.ts";
import {
  fieldName,
  iamNameKey,
  impossibleInstantProblem,
  incidentIdOfPath,
  KEPT_CREDENTIAL_FIELDS,
  principalKey,
  rootUserSteps,
  sameIamName,
  type FieldPath,
  type Locator,
} from "./fields.ts";
import { ownRoleNamedBy, ROLE_NAMES, sameRepository } from "./own-roles.ts";
import { formatInstant, impossibleInstant, parseInstant } from "./time.ts";
import { AT_CONTAINMENT, type Incident, type Mode, type Trust } from "./types.ts";

/** Roles that AWS manages and that cannot carry customer policies. */
const SERVICE_LINKED_PREFIX = "AWSServiceRoleFor";
const SSO_PREFIX = "AWSReservedSSO_";

/** The check of the roles whose names start with `prefix`: AWS manages them; `why` says what to do instead. */
function rolesManagedByAws(prefix: string, why: string): NonNullable<Rule["file"]> {
  return ({ raw }, report) => {
    (raw.roles ?? []).forEach((role, i) => {
      if (role.name.startsWith(prefix)) report(["roles", i, "name"], `roles[${i}].name "${role.name}": ${why}`);
    });
  };
}

/** A clock skew allowance: a cutoff may be a little ahead of `now`, never hours. */
export const MAX_CUTOFF_SKEW_MS = 5 * 60_000;

/** The incident as written, once it has the schema's shape. */
export interface RawIncident {
  id: string;
  title: string;
  account: string;
  cutoff: string;
  mode?: Mode;
  holdUntil?: string;
  users?: {
    name: string;
    account?: string;
    accessKeys?: string[];
    keep?: {
      accessKeys?: string[];
      serviceSpecificCredentials?: string[];
      sshPublicKeys?: string[];
      signingCertificates?: string[];
      consolePassword?: boolean;
    };
    deactivateMfaDevices?: string[];
  }[];
  roles?: { name: string; account?: string }[];
  organization?: { scp?: boolean; rcp?: boolean };
  identityCenterUsers?: { userId: string }[];
  rootUsers?: { account: string; deleteAccessKeys?: boolean }[];
  replacementRoles?: {
    name: string;
    trust: Trust;
    managedPolicyArns?: string[];
    inlinePolicies?: Record<string, unknown>;
    maxSessionDuration?: number;
  }[];
  ticket?: string;
  owner?: string;
}

/** One file that has the schema's shape: as written, normalised, and where its fields are. */
export interface ShapedFile {
  file: string;
  raw: RawIncident;
  incident: Incident;
  locate: Locator;
}

/**
 * What the rules know beyond the files: the organization that the project's stacks declare
 * guardrails for (the stack file that sets `cordon:organization`). Undefined when not known (the
 * rules that need it do not run); null when the project has no organization stack.
 */
export interface RuleContext {
  organization?: { managementAccount: string } | null;
  /**
   * cordon's own GitHub repositories (`OWNER/NAME`), whose jobs hold cordon's roles: the project's
   * `cordon:autoContainRepository`, and in GitHub Actions the run's own (`GITHUB_REPOSITORY`).
   * Undefined or empty: not known, and a trust in a repository is not checked against them.
   */
  repositories?: readonly string[];
}

/** Reports a problem at a field of one file, under the rule's own code. */
export type Report = (path: FieldPath, message: string, where?: "key" | "value") => void;

export interface Rule {
  /** What a valid file satisfies. */
  rule: string;
  /** The check on one file (`now` is the instant the cutoff is checked against). */
  file?: (file: ShapedFile, report: Report, now: Date, context: RuleContext) => void;
  /** The check over every shaped file together, in path order. */
  files?: (files: ShapedFile[], report: (file: ShapedFile, path: FieldPath, message: string) => void) => void;
}

export const RULES = {
  // ---- Reading and parsing (read.ts, yaml.ts, load.ts)
  E_READ: {
    rule: "every PATH names a file or folder that can be read, and no symbolic link in a folder stands for an incident file or a folder of them",
  },
  E_FILE_TOO_LARGE: { rule: "a file is at most 64 KiB, checked before it is parsed" },
  E_YAML_SYNTAX: { rule: "a file is YAML" },
  E_DUPLICATE_KEY: { rule: "no mapping repeats a key" },
  E_ALIAS_LIMIT: { rule: "aliases expand into at most 100 nodes" },
  E_YAML_TAG: { rule: "no value carries an explicit tag (but !!str): a field's type comes from the schema" },
  E_SECRET: { rule: "no line holds what looks like a secret access key or a session token" },

  // ---- The shape (schema/incident.schema.json, worded by schema-errors.ts)
  E_TYPE: { rule: "the file is a mapping, and every field has its type" },
  E_UNKNOWN_FIELD: { rule: "every field is one the schema names" },
  E_REQUIRED: { rule: "id, title, account and cutoff are there" },
  E_SCHEMA: { rule: "every other constraint of the schema holds" },
  E_ID: { rule: "id is 3 to 64 of lowercase letters, digits and dashes" },
  E_ACCOUNT: { rule: "every account, the incident's and a user's or role's own, is 12 digits" },
  E_CUTOFF_OFFSET: { rule: "an instant says its offset" },
  E_MODE: { rule: "mode is revoke-older-sessions or deny-all" },
  E_ACCESS_KEY_ID: { rule: "accessKeys are long-term key ids (AKIA...), never a temporary key or a secret" },
  E_MAX_SESSION_DURATION: { rule: "maxSessionDuration is 3600..43200 seconds" },
  E_TRUST_KIND: { rule: "a trust has exactly one of service, githubOidc, principals" },
  E_GITHUB_OIDC: { rule: "githubOidc names owner/name and exactly one of a full ref or an environment" },
  E_TRUST_SERVICE: { rule: "trust.service is an AWS service principal" },
  E_TRUST_PRINCIPAL: { rule: "trust.principals are IAM principal ARNs" },
  E_POLICY_ARN: { rule: "managedPolicyArns are managed policy ARNs" },
  E_IDENTITY_CENTER_USER_ID: {
    rule: "identityCenterUsers[].userId is an identity store user id, not a user name or an email address",
  },
  E_CREDENTIAL_ID: {
    rule: "keep's service-specific credentials, SSH public keys and signing certificates are ids of their kind, never a secret",
  },
  E_MFA_SERIAL: { rule: "deactivateMfaDevices are MFA serial numbers" },

  // ---- One file
  E_ID_FILENAME: {
    rule: "id is the file name without .yaml",
    file({ raw, file }, report) {
      const stem = incidentIdOfPath(file);
      if (raw.id !== stem)
        report(
          ["id"],
          `id: found "${raw.id}", expected "${stem}" (the file name without .yaml): the file name is how reviewers and guard find an incident`,
        );
    },
  },
  E_CUTOFF: {
    rule: "cutoff is a real instant with offset, or at-containment",
    file({ raw }, report) {
      if (raw.cutoff !== AT_CONTAINMENT && !parseInstant(raw.cutoff)) {
        report(
          ["cutoff"],
          impossibleInstantProblem("cutoff", raw.cutoff, impossibleInstant(raw.cutoff) ?? "not a date"),
        );
      }
    },
  },
  E_CUTOFF_FUTURE: {
    rule: "cutoff is at most 5 minutes after now",
    file({ raw }, report, now) {
      const cutoff = raw.cutoff === AT_CONTAINMENT ? undefined : parseInstant(raw.cutoff);
      if (cutoff && cutoff.getTime() - now.getTime() > MAX_CUTOFF_SKEW_MS) {
        report(
          ["cutoff"],
          `cutoff: found ${formatInstant(cutoff)}, more than 5 minutes after now (${formatInstant(now)}): a future cutoff would deny sessions that were minted after containment; use the instant the key was disabled, or at-containment`,
        );
      }
    },
  },
  E_HOLD_UNTIL: {
    rule: "holdUntil is a real instant, not before the computed expiry",
    file({ raw, incident }, report) {
      if (raw.holdUntil === undefined) return;
      const hold = parseInstant(raw.holdUntil);
      if (!hold) {
        report(
          ["holdUntil"],
          impossibleInstantProblem("holdUntil", raw.holdUntil, impossibleInstant(raw.holdUntil) ?? "not a date"),
        );
        return;
      }
      const computed = computeExpiry({ ...incident, holdUntil: undefined });
      if (computed !== null && hold.getTime() < Date.parse(computed)) {
        report(
          ["holdUntil"],
          `holdUntil: found ${formatInstant(hold)}, earlier than the computed expiry ${computed}: holdUntil can only extend an incident, never shorten it`,
        );
      }
    },
  },
  E_NO_PRINCIPAL: {
    rule: "an incident names at least one user, role or Identity Center user",
    file({ raw }, report) {
      if (
        (raw.users ?? []).length +
          (raw.roles ?? []).length +
          (raw.identityCenterUsers ?? []).length +
          (raw.rootUsers ?? []).length ===
        0
      ) {
        report(
          [],
          "no principal: expected at least one entry under users, roles, identityCenterUsers or rootUsers; an incident without principals would change nothing",
        );
      }
    },
  },
  E_ORGANIZATION: {
    rule: "organization asks for a guardrail that reaches a principal of the incident, and Identity Center users come with the SCP",
    file({ raw }, report) {
      const organization = raw.organization;
      const scp = organization?.scp === true;
      const rcp = organization?.rcp === true;
      if (organization !== undefined && !scp && !rcp) {
        report(
          ["organization"],
          "organization: neither scp nor rcp is true, so it asks for no guardrail: set scp: true, rcp: true or both, or remove organization",
          "key",
        );
      }
      if (rcp && (raw.users ?? []).length + (raw.roles ?? []).length === 0) {
        report(
          ["organization", "rcp"],
          "organization.rcp: the resource control policy matches users and roles by aws:PrincipalArn, and this incident names none (Identity Center users are reached by the service control policy only): name the users or roles, or remove rcp",
        );
      }
      if ((raw.identityCenterUsers ?? []).length > 0 && !scp) {
        report(
          ["identityCenterUsers"],
          "identityCenterUsers: only the organization's service control policy reaches Identity Center users (identitystore:userId), and organization.scp is not true: add organization: { scp: true }",
          "key",
        );
      }
    },
  },
  E_ROOT_USER: {
    rule: "no user is root",
    file({ raw }, report) {
      (raw.users ?? []).forEach((user, i) => {
        if (sameIamName(user.name, "root")) {
          report(
            ["users", i, "name"],
            `user "${user.name}": the root user is not an IAM user, and IAM policies cannot restrict it: name it under rootUsers (account: "${user.account ?? raw.account}") with organization: { scp: true }, which a member account's SCP restrains`,
          );
        }
      });
    },
  },
  E_ROOT_GUARDRAIL: {
    rule: "rootUsers come with organization.scp, the only policy that restrains a root user",
    file({ raw }, report) {
      if ((raw.rootUsers ?? []).length > 0 && raw.organization?.scp !== true) {
        report(
          ["rootUsers"],
          "rootUsers: only the organization's service control policy restrains a member account's root user (IAM policies do not apply to it), and organization.scp is not true: add organization: { scp: true }",
          "key",
        );
      }
    },
  },
  E_ROOT_ACCOUNT: {
    rule: "a root user is a member account's, in an organization a stack declares guardrails for",
    file({ raw }, report, _now, { organization }) {
      if (organization === undefined) return;
      (raw.rootUsers ?? []).forEach((root, i) => {
        const why =
          organization === null
            ? `no stack file here sets cordon:organization, so no SCP can restrain the root user of account ${root.account} (a standalone account, or an organization cordon does not deploy guardrails to)`
            : root.account === organization.managementAccount
              ? `account ${root.account} is the organization's management account, which no SCP restrains`
              : undefined;
        if (why !== undefined)
          report(
            ["rootUsers", i, "account"],
            `rootUsers[${i}].account: ${why}: cordon cannot contain its root user; only the root user can: ${rootUserSteps()}`,
          );
      });
    },
  },
  E_KEEP_CONFLICT: {
    rule: "a user keeps none of its exposed keys, names each kept credential once, and keeps no key listed under another user",
    files(files, report) {
      // A key belongs to one user: kept under one and listed as exposed under another, one file is wrong.
      const exposed = new Map<string, { user: string; file: string }>();
      for (const f of files)
        for (const user of f.incident.users)
          for (const key of user.accessKeys) exposed.set(`${user.account}/${key}`, { user: user.name, file: f.file });
      for (const f of files) {
        // Positions as written: the incident's keep lists are sorted.
        (f.raw.users ?? []).forEach((user, i) => {
          (user.keep?.accessKeys ?? []).forEach((key, k) => {
            const owner = exposed.get(`${user.account ?? f.raw.account}/${key}`);
            if (owner !== undefined && owner.user.toLowerCase() !== user.name.toLowerCase()) {
              report(
                f,
                ["users", i, "keep", "accessKeys", k],
                `users[${i}].keep.accessKeys[${k}]: key ${key} is listed as exposed under user "${owner.user}" in ${owner.file}: an access key belongs to exactly one user, and an exposed key is never kept`,
              );
            }
          });
        });
      }
    },
    file({ raw }, report) {
      (raw.users ?? []).forEach((user, i) => {
        const exposed = new Set(user.accessKeys ?? []);
        for (const field of KEPT_CREDENTIAL_FIELDS) {
          const seen = new Map<string, number>();
          (user.keep?.[field] ?? []).forEach((id, k) => {
            const path = ["users", i, "keep", field, k];
            if (field === "accessKeys" && exposed.has(id)) {
              report(
                path,
                `${fieldName(path)}: key ${id} is also listed under users[${i}].accessKeys as exposed: an exposed key is disabled, never kept; remove it from keep`,
              );
            }
            const first = seen.get(id);
            if (first !== undefined)
              report(
                path,
                `${fieldName(path)}: ${id} is already kept as users[${i}].keep.${field}[${first}]: keep each credential once`,
              );
            else seen.set(id, k);
          });
        }
        const devices = new Map<string, number>();
        (user.deactivateMfaDevices ?? []).forEach((serial, k) => {
          const first = devices.get(serial);
          if (first !== undefined)
            report(
              ["users", i, "deactivateMfaDevices", k],
              `users[${i}].deactivateMfaDevices[${k}]: ${serial} is already listed as users[${i}].deactivateMfaDevices[${first}]: list each device once`,
            );
          else devices.set(serial, k);
        });
      });
    },
  },
  E_DUPLICATE_PRINCIPAL: {
    rule: "a file lists each user and each role of an account once (IAM names ignore case), each Identity Center user once, and each account's root user once",
    file({ raw }, report) {
      for (const [type, list] of [
        ["user", raw.users ?? []],
        ["role", raw.roles ?? []],
      ] as const) {
        const seen = new Map<string, number>();
        list.forEach((principal, i) => {
          // IAM names are unique case-insensitively: "Deploy" and "deploy" are one user. The same
          // name in another account is another principal.
          const account = principal.account ?? raw.account;
          const key = principalKey(account, type, principal.name);
          const first = seen.get(key);
          const where = account === raw.account ? "" : ` in account ${account}`;
          if (first !== undefined)
            report(
              [`${type}s`, i, "name"],
              `${type}s[${i}].name: ${type} "${principal.name}"${where} is already listed as ${type}s[${first}]: list each ${type} once`,
            );
          else seen.set(key, i);
        });
      }
      const roots = new Map<string, number>();
      (raw.rootUsers ?? []).forEach((root, i) => {
        const first = roots.get(root.account);
        if (first !== undefined)
          report(
            ["rootUsers", i, "account"],
            `rootUsers[${i}].account: the root user of account ${root.account} is already listed as rootUsers[${first}]: list each root user once`,
          );
        else roots.set(root.account, i);
      });
      const seen = new Map<string, number>();
      (raw.identityCenterUsers ?? []).forEach((user, i) => {
        const folded = user.userId.toLowerCase();
        const first = seen.get(folded);
        if (first !== undefined)
          report(
            ["identityCenterUsers", i, "userId"],
            `identityCenterUsers[${i}].userId: Identity Center user ${user.userId} is already listed as identityCenterUsers[${first}]: list each user once`,
          );
        else seen.set(folded, i);
      });
    },
  },
  E_DUPLICATE_KEY_ID: {
    rule: "a file lists a key once under its user",
    file({ raw }, report) {
      const firstOwner = new Map<string, string>();
      (raw.users ?? []).forEach((user, i) => {
        const owner = principalKey(user.account ?? raw.account, "user", user.name);
        (user.accessKeys ?? []).forEach((key, k) => {
          const first = firstOwner.get(key);
          if (first === undefined) firstOwner.set(key, owner);
          // A key under another user is E_KEY_TWO_USERS's, under another account E_KEY_TWO_ACCOUNTS's.
          else if (first === owner)
            report(
              ["users", i, "accessKeys", k],
              `users[${i}].accessKeys[${k}]: key ${key} is listed twice for user "${user.name}"`,
            );
        });
      });
    },
  },
  E_CONTAINMENT_ACCOUNTS: {
    rule: "an at-containment incident lists access keys in one account only",
    file({ raw }, report) {
      if (raw.cutoff !== AT_CONTAINMENT) return;
      // One stack records the instant, after every key of the incident is disabled; a stack deploys
      // one account and sees that account's keys only.
      const firstIn = new Map<string, number>();
      (raw.users ?? []).forEach((user, i) => {
        if ((user.accessKeys ?? []).length === 0) return;
        const account = user.account ?? raw.account;
        if (firstIn.size > 0 && !firstIn.has(account)) {
          const [otherAccount, other] = [...firstIn.entries()][0];
          report(
            ["users", i, "accessKeys"],
            `users[${i}].accessKeys: cutoff is at-containment, and this incident lists keys in account ${account} (users[${i}]) and in account ${otherAccount} (users[${other}]): the containment instant is recorded once, by the stack of the account that holds the incident's keys, after every one of them is disabled, and no stack sees another account's keys; write one incident per account, or give the cutoff as the instant the last key was disabled`,
            "key",
          );
        }
        if (!firstIn.has(account)) firstIn.set(account, i);
      });
    },
  },
  E_SERVICE_LINKED_ROLE: {
    rule: "no role is service-linked (AWSServiceRoleFor...)",
    file: rolesManagedByAws(
      SERVICE_LINKED_PREFIX,
      "service-linked roles (path /aws-service-role/) cannot carry customer policies: a service assumes them, not the exposed key; restrict what the key can do with the service instead (a service control policy), and review in CloudTrail what the key did with that service",
    ),
  },
  E_SSO_ROLE: {
    rule: "no role is an IAM Identity Center role (AWSReservedSSO_...)",
    file: rolesManagedByAws(
      SSO_PREFIX,
      "IAM Identity Center roles cannot carry policies: Identity Center owns them and reverts changes; remove the user's access or change the permission set in IAM Identity Center, and revoke its active sessions there",
    ),
  },
  E_INVISIBLE_CHARACTER: {
    rule: "no user, role or replacement role name holds an invisible character (zero-width, bidi control, non-breaking space)",
  },
  E_IAM_NAME: {
    rule: "users, roles and inline policies have IAM names, and no replacement role takes a name AWS reserves",
    file({ raw }, report) {
      (raw.replacementRoles ?? []).forEach((role, i) => {
        if (role.name.startsWith(SERVICE_LINKED_PREFIX) || role.name.startsWith(SSO_PREFIX)) {
          report(
            ["replacementRoles", i, "name"],
            `replacementRoles[${i}].name "${role.name}": names starting with AWSServiceRoleFor or AWSReservedSSO_ are reserved for roles that AWS manages`,
          );
        }
      });
    },
  },
  E_TRUST_CORDON: {
    rule: "no replacement role trusts one of cordon's own roles (in any account, path or case), nor GitHub's jobs of cordon's own repository",
    file({ raw }, report, _now, { repositories = [] }) {
      // The deployer creates a replacement role with whatever policy its file gives it: a trust in
      // cordon's own roles or jobs would give those rights to them (the preview role's jobs run
      // every pull request's code), past every Deny that keeps them read-only.
      (raw.replacementRoles ?? []).forEach((role, i) => {
        const trust = role.trust;
        if ("principals" in trust) {
          trust.principals.forEach((principal, j) => {
            const own = ownRoleNamedBy(principal);
            if (own === undefined) return;
            const path = ["replacementRoles", i, "trust", "principals", j];
            const whose = own === ROLE_NAMES.preview ? "every pull request's job" : `every job that assumes ${own}`;
            report(
              path,
              `${fieldName(path)}: found "${principal}", cordon's own role ${own}: a replacement role gets whatever rights its file gives it, and this trust would give them to ${whose}; trust the workload that used the exposed key instead`,
            );
          });
        }
        if ("githubOidc" in trust) {
          const { repository } = trust.githubOidc;
          if (!repositories.some((own) => sameRepository(own, repository))) return;
          const path = ["replacementRoles", i, "trust", "githubOidc", "repository"];
          report(
            path,
            `${fieldName(path)}: found "${repository}", cordon's own repository, whose jobs hold cordon's roles (its pull requests' among them): a replacement role gets whatever rights its file gives it, and this trust would give them to cordon's own jobs; trust the repository of the workload that used the exposed key instead`,
          );
        }
      });
    },
  },
  E_REPLACEMENT_ROLE_CONFLICT: {
    rule: "a replacement role is declared once, and is none of the compromised roles of its account",
    file({ raw }, report) {
      // Replacement roles are created in the incident's account: a compromised role of that name
      // in another account is another role.
      const compromised = new Set(
        (raw.roles ?? [])
          .filter((role) => (role.account ?? raw.account) === raw.account)
          .map((role) => iamNameKey(role.name)),
      );
      const declared = new Map<string, number>();
      (raw.replacementRoles ?? []).forEach((role, i) => {
        const folded = iamNameKey(role.name);
        if (compromised.has(folded)) {
          report(
            ["replacementRoles", i, "name"],
            `replacementRoles[${i}].name: "${role.name}" is also listed under roles: a replacement role is a new, clean access path and must not be one of the compromised roles`,
          );
        }
        const first = declared.get(folded);
        if (first !== undefined)
          report(
            ["replacementRoles", i, "name"],
            `replacementRoles[${i}].name: "${role.name}" is already declared as replacementRoles[${first}]`,
          );
        else declared.set(folded, i);
      });
    },
    files(files, report) {
      const declared = new Map<string, string>();
      const compromised = new Map<string, string>();
      for (const { incident } of files) {
        for (const role of incident.roles)
          compromised.set(principalKey(role.account, "role", role.name), incident.file);
      }
      for (const f of files) {
        f.incident.replacementRoles.forEach((role, i) => {
          const key = principalKey(f.incident.account, "role", role.name);
          const path = ["replacementRoles", i, "name"];
          // Within one file, the file rule above has said it.
          const other = declared.get(key);
          if (other === undefined) declared.set(key, f.file);
          else if (other !== f.file)
            report(
              f,
              path,
              `replacementRoles[${i}].name: "${role.name}" is also declared in ${other}: declare a replacement role in one incident only`,
            );
          const compromisedIn = compromised.get(key);
          if (compromisedIn !== undefined && compromisedIn !== f.file) {
            report(
              f,
              path,
              `replacementRoles[${i}].name: "${role.name}" is a compromised role in ${compromisedIn}: a replacement role must be a new, clean access path`,
            );
          }
        });
      }
    },
  },

  // ---- Every file together
  E_DUPLICATE_ID: {
    rule: "no two files have the same id",
    files(files, report) {
      const first = new Map<string, string>();
      for (const f of files) {
        const other = first.get(f.incident.id);
        if (other !== undefined)
          report(f, ["id"], `id "${f.incident.id}" is also the id of ${other}: incident ids must be unique`);
        else first.set(f.incident.id, f.file);
      }
    },
  },
  E_KEY_TWO_ACCOUNTS: {
    rule: "a key is listed under one account in every file (its user's account)",
    files(files, report) {
      // An access key belongs to one account: the stack of the other would refuse to deploy, its
      // check of the key's owner failing, and with it every other incident of that account.
      const accounts = new Map<string, { account: string; file: string; field: string }>();
      for (const f of files) {
        f.incident.users.forEach((user, i) => {
          user.accessKeys.forEach((key, k) => {
            const first = accounts.get(key);
            const field = `users[${i}].accessKeys[${k}]`;
            if (first === undefined) accounts.set(key, { account: user.account, file: f.file, field });
            else if (first.account !== user.account) {
              const where = first.file === f.file ? `as ${first.field}` : `in ${first.file}`;
              report(
                f,
                ["users", i, "accessKeys", k],
                `${field}: key ${key} is listed under account ${first.account} ${where}, and here under account ${user.account}: an access key belongs to exactly one account (the stack of the other would fail to deploy); list it under the user of its account`,
              );
            }
          });
        });
      }
    },
  },
  E_KEY_TWO_USERS: {
    rule: "a key is listed under one user of its account in every file (IAM names ignore case)",
    files(files, report) {
      // Per account: a key under two accounts is E_KEY_TWO_ACCOUNTS's.
      const owners = new Map<string, { user: string; file: string }>();
      for (const f of files) {
        f.incident.users.forEach((user, i) => {
          user.accessKeys.forEach((key, k) => {
            const owner = owners.get(`${user.account}/${key}`);
            if (owner === undefined) owners.set(`${user.account}/${key}`, { user: user.name, file: f.file });
            else if (!sameIamName(owner.user, user.name)) {
              const where =
                owner.file === f.file
                  ? `is also listed under user "${owner.user}"`
                  : `is listed under user "${owner.user}" in ${owner.file}`;
              report(
                f,
                ["users", i, "accessKeys", k],
                `users[${i}].accessKeys[${k}]: key ${key} ${where}: an access key belongs to exactly one user`,
              );
            }
          });
        });
      }
    },
  },
  E_PRINCIPAL_SPELLING: {
    rule: "a principal is spelled the same way in every incident of its account",
    files(files, report) {
      // The plan names a principal's resources after its first spelling (by incident id), or the
      // one its stack's state has (program/spellings.ts): a second spelling changes no name, and
      // says nothing IAM would not take for the first; one spelling keeps the files readable.
      const spellings = new Map<string, { name: string; file: string }>();
      const spelling = (f: ShapedFile, type: "user" | "role", path: FieldPath, name: string, account: string) => {
        const key = principalKey(account, type, name);
        const first = spellings.get(key);
        if (!first) spellings.set(key, { name, file: f.file });
        // Within one file, a second spelling is E_DUPLICATE_PRINCIPAL's.
        else if (first.name !== name && first.file !== f.file) {
          report(
            f,
            path,
            `${fieldName(path)}: ${type} "${name}" is spelled "${first.name}" in ${first.file}: spell a principal the same way in every incident (IAM ignores case, but cordon's resource names do not)`,
          );
        }
      };
      for (const f of files) {
        f.incident.users.forEach((user, i) => spelling(f, "user", ["users", i, "name"], user.name, user.account));
        f.incident.roles.forEach((role, i) => spelling(f, "role", ["roles", i, "name"], role.name, role.account));
      }
    },
  },
} satisfies Record<string, Rule>;

/** The code of every rule: what `validate` prints before each message. */
export type DiagnosticCode = keyof typeof RULES;
