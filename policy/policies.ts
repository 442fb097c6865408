/**
 * The invariants of cordon's stacks, as policies Pulumi runs on every preview and every up
 * (policy/index.ts serves them; the workflows pass the pack with pulumi/actions' `policyPacks`).
 * They hold whoever changed the code: a change that breaks one fails the preview and the up, even
 * when the tests were changed with it. All mandatory.
 *
 * What a policy pack can see (pulumi/pulumi proto/pulumi/analyzer.proto): each resource's type,
 * URN (its parents' types included), inputs (outputs for the stack policies) and some options
 * (protect, ignoreChanges, parent...), but not `import` nor `retainOnDelete`. So a key created or
 * replaced is caught by its outputs and its ignoreChanges, and a key deleted when its incident goes
 * is stopped by the deployer role's explicit Deny of iam:DeleteAccessKey (docs/setup.md), which
 * the pack cannot replace.
 */
import type {
  EnforcementLevel,
  PolicyResource,
  ResourceValidation,
  ResourceValidationPolicy,
  StackValidation,
  StackValidationPolicy,
} from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";
import { componentDeclarations } from "../components/permissions.ts";
import { ACCOUNT_ID, INCIDENT_ID } from "../incident/fields.ts";
import { ownRoleNamedBy, ROLE_NAMES, sameRepository } from "../incident/own-roles.ts";
import {
  ASSUMED_ROOT_KEY,
  FEDERATED_USER,
  GUARDRAIL_SELECTORS,
  PRINCIPAL_ACCOUNT_KEY,
  PRINCIPAL_TYPE_KEY,
  RCP_ACTIONS,
  ROOT_SESSION_EXEMPTION,
} from "../plan/organization.ts";
import { denyPolicyName, INCIDENT_TAG, POLICY_PATH, ROLE_PATH, ROLE_POLICY_NAME } from "../plan/plan.ts";
import { GITHUB_OIDC_HOST, TOKEN_ISSUE_TIME, type PolicyDocument, type PolicyStatement } from "../plan/policies.ts";

/**
 * Every policy of cordon's pack is mandatory: a violation fails the preview and the up, it is
 * never a warning to read past. The pack's default too (policy/index.ts).
 */
export const ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

/** A policy that judges each resource on its own. */
function resourcePolicy(
  name: string,
  description: string,
  validateResource: ResourceValidation,
): ResourceValidationPolicy {
  return { name, description, enforcementLevel: ENFORCEMENT_LEVEL, validateResource };
}

/** A policy that judges the stack's resources together. */
function stackPolicy(name: string, description: string, validateStack: StackValidation): StackValidationPolicy {
  return { name, description, enforcementLevel: ENFORCEMENT_LEVEL, validateStack };
}

const ACCESS_KEY = "aws:iam/accessKey:AccessKey";
const DISABLED_ACCESS_KEY = "cordon:iam:DisabledAccessKey";
const SESSION_REVOCATION = "cordon:iam:SessionRevocation";
const ORGANIZATION_GUARDRAIL = "cordon:organizations:OrganizationGuardrail";
const REPLACEMENT_ROLE = "cordon:iam:ReplacementRole";

/** The inputs that would make Pulumi replace a key (a new key, the old one deleted). */
const KEY_REPLACING_INPUTS = ["pgpKey", "user"];

/**
 * Which types each of cordon's components declares as its children: from the components' own
 * permission declarations (each names its type with no action, then its children's types).
 */
export const CHILD_TYPES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  componentDeclarations.map((declaration) => {
    const component = Object.keys(declaration).find((type) => type.startsWith("cordon:"))!;
    return [
      component,
      new Set(Object.keys(declaration).filter((type) => type !== component && !type.startsWith("pulumi:providers:"))),
    ];
  }),
);

/** The providers the program uses, registered by the engine at the stack's top. */
const PROVIDERS = new Set(["pulumi:providers:aws", "pulumi:providers:time"]);

const STACK = "pulumi:pulumi:Stack";

/**
 * The types of a URN's parents, outermost first, then its own (`urn:pulumi:s::p::a$b$c::name`).
 * The engine leaves the root stack's type out of its children's URNs (pulumi/pulumi
 * pkg/resource/deploy/deployment.go); the SDK's mock monitor puts it in: both read the same here.
 */
export function typeChain(urn: string): string[] {
  const chain = (urn.split("::")[2] ?? "").split("$");
  return chain.length > 1 ? chain.filter((type) => type !== STACK) : chain;
}

/** The type of a resource's parent; undefined at the stack's top. */
function parentType(urn: string): string | undefined {
  const chain = typeChain(urn);
  return chain.length >= 2 ? chain[chain.length - 2] : undefined;
}

function documentOf(value: unknown): PolicyDocument | string {
  if (typeof value !== "string") return "no policy document";
  try {
    const parsed = JSON.parse(value) as PolicyDocument;
    return Array.isArray(parsed.Statement) ? parsed : "no Statement list";
  } catch {
    return "not JSON";
  }
}

/** Why a statement of a session revocation is not the deny cordon writes; undefined when it is. */
function revocationProblem(statement: PolicyStatement): string | undefined {
  if (statement.Effect !== "Deny")
    return `statement ${statement.Sid ?? "(no Sid)"} is ${statement.Effect}: cordon's denies hold only Deny statements`;
  if (
    statement.Action !== "*" ||
    statement.Resource !== "*" ||
    statement.NotAction !== undefined ||
    statement.NotResource !== undefined
  ) {
    return `statement ${statement.Sid ?? "(no Sid)"} denies ${JSON.stringify(statement.NotAction ?? statement.Action)} on ${JSON.stringify(statement.NotResource ?? statement.Resource)}: a revocation denies every action ("*") on every resource ("*")`;
  }
  const condition = statement.Condition;
  if (condition === undefined) return undefined; // deny-all
  const keys = Object.entries(condition).flatMap(([operator, entries]) =>
    Object.keys(entries).map((key) => `${operator}:${key}`),
  );
  const instant = condition.DateLessThan?.[TOKEN_ISSUE_TIME];
  if (keys.length !== 1 || typeof instant !== "string" || Number.isNaN(Date.parse(instant))) {
    return `statement ${statement.Sid ?? "(no Sid)"} has the condition ${JSON.stringify(condition)}: expected none (deny-all) or exactly DateLessThan ${TOKEN_ISSUE_TIME} an instant (revoke-older-sessions)`;
  }
  return undefined;
}

/**
 * Whether a guardrail's statement denies what cordon's do: an SCP's every action on every
 * resource; an RCP's, any principal's actions of RCP_ACTIONS on every resource. No Not* element.
 */
function deniesWhatGuardrailsDeny(statement: PolicyStatement): boolean {
  const s = statement as PolicyStatement & { Principal?: unknown; NotPrincipal?: unknown };
  if (s.NotAction !== undefined || s.NotResource !== undefined || s.NotPrincipal !== undefined || s.Resource !== "*")
    return false;
  if (s.Principal === undefined) return s.Action === "*";
  const actions = Array.isArray(s.Action) ? [...s.Action].sort() : [];
  const expected = [...RCP_ACTIONS].sort();
  return s.Principal === "*" && actions.length === expected.length && actions.every((a, i) => a === expected[i]);
}

/** Why a statement of a guardrail is not one cordon writes; undefined when it is. */
function guardrailProblem(statement: PolicyStatement): string | undefined {
  if (statement.Effect !== "Deny")
    return `statement ${statement.Sid ?? "(no Sid)"} is ${statement.Effect}: cordon's guardrails hold only Deny statements`;
  if (!deniesWhatGuardrailsDeny(statement))
    return `statement ${statement.Sid ?? "(no Sid)"} denies ${JSON.stringify(statement.NotAction ?? statement.Action)} on ${JSON.stringify(statement.NotResource ?? statement.Resource)}: an SCP's guardrail denies every action ("*") on every resource ("*"), an RCP's denies any principal ("*") ${RCP_ACTIONS.join(", ")} on every resource`;
  const condition = statement.Condition ?? {};
  const empty = Object.entries(condition).flatMap(([operator, entries]) =>
    Object.entries(entries)
      .filter(([, value]) => value === "" || (Array.isArray(value) && value.length === 0))
      .map(([key]) => `${operator} ${key}`),
  );
  if (empty.length > 0)
    return `statement ${statement.Sid ?? "(no Sid)"} names nobody in ${empty.join(", ")}: a guardrail names the principals it denies`;
  const cutoff = `DateLessThan:${TOKEN_ISSUE_TIME}`;
  const keys = Object.entries(condition)
    .flatMap(([operator, entries]) => Object.keys(entries).map((key) => `${operator}:${key}`))
    .filter((key) => key !== cutoff)
    .sort();
  const names = GUARDRAIL_SELECTORS.some(
    (selector) => selector.length === keys.length && [...selector].sort().every((key, i) => key === keys[i]),
  );
  if (!names) {
    const ways = GUARDRAIL_SELECTORS.map((selector) => selector.join(" and ")).join("; or ");
    return `statement ${statement.Sid ?? "(no Sid)"} has the condition ${JSON.stringify(condition)}: a guardrail names its principals (${ways}), and may add ${cutoff.replace(":", " ")}; anything else would deny the whole organization or someone unnamed`;
  }
  const types = condition.StringEquals?.[PRINCIPAL_TYPE_KEY];
  const accounts = [condition.StringEquals?.[PRINCIPAL_ACCOUNT_KEY] ?? []].flat();
  if (
    types !== undefined &&
    (JSON.stringify([types].flat()) !== JSON.stringify([FEDERATED_USER]) ||
      accounts.length !== 1 ||
      !ACCOUNT_ID.test(String(accounts[0])))
  )
    return `statement ${statement.Sid ?? "(no Sid)"} has StringEquals ${JSON.stringify({ [PRINCIPAL_TYPE_KEY]: types, [PRINCIPAL_ACCOUNT_KEY]: condition.StringEquals?.[PRINCIPAL_ACCOUNT_KEY] })}: a guardrail names by principal type only the federated users of one account (${PRINCIPAL_TYPE_KEY} "${FEDERATED_USER}", ${PRINCIPAL_ACCOUNT_KEY} one account id); any other type or more accounts would deny sessions no incident names`;
  const exempted = condition.Null;
  if (exempted !== undefined && JSON.stringify(exempted) !== JSON.stringify(ROOT_SESSION_EXEMPTION.Null))
    return `statement ${statement.Sid ?? "(no Sid)"} has Null ${JSON.stringify(exempted)}: a root user's statement spares only centralized root access sessions (Null ${ASSUMED_ROOT_KEY} "true"); anything else would let the root user's own password or access keys through`;
  return undefined;
}

/**
 * Why a credential (an access key, or another kind) is not as its Disabled component alone
 * declares it: declared by another, not Inactive, or replaceable (an input whose change would
 * create a new credential and delete this one, not ignored).
 */
function notDisabledProblems(
  args: { urn: string; props: Record<string, unknown>; opts: { ignoreChanges: string[] } },
  component: string,
  replacing: readonly string[],
  words: { many: string; one: string },
): string[] {
  const problems: string[] = [];
  if (parentType(args.urn) !== component)
    problems.push(
      `declared outside ${component} (parent ${parentType(args.urn) ?? "none"}): ${words.many} are only imported and disabled`,
    );
  if (args.props.status !== "Inactive")
    problems.push(
      `status is ${JSON.stringify(args.props.status ?? null)}: cordon sets ${words.many} Inactive and never re-enables one`,
    );
  const missing = replacing.filter((input) => !args.opts.ignoreChanges.includes(input));
  if (missing.length > 0)
    problems.push(
      `ignoreChanges lacks ${missing.join(", ")}: a change of it would replace the ${words.one}, creating a new one and deleting this one`,
    );
  return problems;
}

export const accessKeysDisabled: ResourceValidationPolicy = resourcePolicy(
  "access-keys-imported-and-disabled",
  "An access key is declared only by cordon's DisabledAccessKey, set Inactive, and never replaced (a replacement creates a key and deletes the old one).",
  (args, report) => {
    if (args.type !== ACCESS_KEY) return;
    const problems = notDisabledProblems(args, DISABLED_ACCESS_KEY, KEY_REPLACING_INPUTS, { many: "keys", one: "key" });
    if (args.props.pgpKey !== undefined) problems.push("pgpKey is set: only a key being created gets one");
    for (const problem of problems) report(`${args.name}: ${problem}`);
  },
);

/**
 * What shows, in the outputs a stack policy sees, that Pulumi creates a credential rather than
 * imports it. An import reads the credential before any step, a preview's too (pulumi/pulumi
 * step.go, ImportStep), so its outputs are known; a create's are not known at preview, and
 * only a create gets a credential's secret (AWS returns it once, to the call that makes it:
 * terraform-provider-aws sets `secret`, `service_password` and `service_credential_secret` in
 * its create alone, and its import tests ignore them, having none).
 *  - `secrets`: outputs that only a create sets: set after up, unknown at preview.
 *  - `ids`: outputs AWS gives at create: unknown at a preview of a create, known for an import.
 * An SSH public key or a signing certificate has no secret (AWS keeps only the public half), so
 * after up one that was uploaded looks imported: there the deployer's explicit Deny of
 * iam:UploadSSHPublicKey and iam:UploadSigningCertificate stops the step itself (docs/setup.md).
 */
interface CreatedCredential {
  type: string;
  /** What the messages call it. */
  what: string;
  secrets: readonly string[];
  ids: readonly string[];
  /** What a refusal says of a created one, in place of naming the output. */
  says?: string;
}
const CREATED_CREDENTIALS: readonly CreatedCredential[] = [
  { type: ACCESS_KEY, what: "access key", secrets: ["secret"], ids: [], says: "it has a secret" },
  { type: "aws:iam/sshKey:SshKey", what: "SSH public key", secrets: [], ids: ["sshPublicKeyId"] },
  {
    type: "aws:iam/signingCertificate:SigningCertificate",
    what: "signing certificate",
    secrets: [],
    ids: ["certificateId"],
  },
  {
    type: "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
    what: "service-specific credential",
    secrets: ["servicePassword", "serviceCredentialSecret"],
    ids: ["serviceSpecificCredentialId"],
  },
];

const UNKNOWN_AT_PREVIEW = Symbol("unknown at preview");

/** An output of a stack policy's resource; UNKNOWN_AT_PREVIEW when a preview does not know it yet. */
function outputOf(props: Record<string, unknown>, key: string): unknown {
  try {
    return props[key];
  } catch (error) {
    if (!(error instanceof UnknownValueError)) throw error;
    return UNKNOWN_AT_PREVIEW;
  }
}

/** Why a credential's outputs show that Pulumi creates it; undefined when they show an import. */
function createdSign(kind: CreatedCredential, props: Record<string, unknown>): string | undefined {
  const set = kind.secrets.find((key) => {
    const value = outputOf(props, key);
    return value !== UNKNOWN_AT_PREVIEW && value !== undefined && value !== null && value !== "";
  });
  if (set !== undefined) return kind.says ?? `it has a secret: ${set}`;
  const unknown = [...kind.ids, ...kind.secrets].find((key) => outputOf(props, key) === UNKNOWN_AT_PREVIEW);
  if (unknown !== undefined)
    return kind.says ?? `its ${unknown} is not known yet: AWS gives it to the call that creates the ${kind.what}`;
  return undefined;
}

/** A stack policy that refuses each credential of `kinds` that Pulumi would create. */
function neverCreated(
  name: string,
  description: string,
  kinds: readonly CreatedCredential[],
  plural: string,
): StackValidationPolicy {
  return stackPolicy(name, description, (args, report) => {
    for (const resource of args.resources) {
      const kind = kinds.find((k) => k.type === resource.type);
      const sign = kind && createdSign(kind, resource.props);
      if (kind && sign)
        report(
          `${resource.name}: this ${kind.what} would be created by Pulumi (${sign}): cordon only imports existing ${plural}`,
          resource.urn,
        );
    }
  });
}

export const accessKeysNeverCreated: StackValidationPolicy = neverCreated(
  "access-keys-never-created",
  "No access key is created: an imported key has no secret; a key Pulumi creates (or replaces) has one, unknown at preview and set after up.",
  CREATED_CREDENTIALS.filter((k) => k.type === ACCESS_KEY),
  "keys",
);

export const otherCredentialsNeverCreated: StackValidationPolicy = neverCreated(
  "credentials-never-created",
  "No SSH public key, signing certificate or service-specific credential is created: an imported one's outputs are read before any step; a created one's id is unknown at preview, and only a created service-specific credential has a password or secret.",
  CREATED_CREDENTIALS.filter((k) => k.type !== ACCESS_KEY),
  "credentials",
);

/**
 * The other credentials cordon disables (issue 20): each type, the component that alone declares
 * it, and the inputs whose change would replace it (terraform-provider-aws's ForceNew: a new
 * credential created, this one deleted).
 */
const OTHER_CREDENTIALS: readonly { type: string; component: string; replacing: readonly string[] }[] = [
  {
    type: "aws:iam/sshKey:SshKey",
    component: "cordon:iam:DisabledSshPublicKey",
    replacing: ["encoding", "publicKey", "username"],
  },
  {
    type: "aws:iam/signingCertificate:SigningCertificate",
    component: "cordon:iam:DisabledSigningCertificate",
    replacing: ["certificateBody", "userName"],
  },
  {
    type: "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
    component: "cordon:iam:DisabledServiceSpecificCredential",
    replacing: ["credentialAgeDays", "serviceName", "userName"],
  },
];

export const otherCredentialsDisabled: ResourceValidationPolicy = resourcePolicy(
  "credentials-imported-and-disabled",
  "An SSH public key, a signing certificate or a service-specific credential is declared only by its Disabled component, set Inactive, and never replaced.",
  (args, report) => {
    const kind = OTHER_CREDENTIALS.find((c) => c.type === args.type);
    if (kind === undefined) return;
    const problems = notDisabledProblems(args, kind.component, kind.replacing, {
      many: "credentials",
      one: "credential",
    });
    for (const problem of problems) report(`${args.name}: ${problem}`);
  },
);

export const deniesOnlyDeny: ResourceValidationPolicy = resourcePolicy(
  "denies-are-only-denies",
  "Every deny cordon declares (a session revocation, a guardrail) holds only Deny statements with the condition cordon writes.",
  (args, report) => {
    const parent = parentType(args.urn);
    if (parent !== SESSION_REVOCATION && parent !== ORGANIZATION_GUARDRAIL) return;
    const field = args.type === "aws:organizations/policy:Policy" ? "content" : "policy";
    if (!(field in args.props)) return; // the attachments carry no document
    const document = documentOf(args.props[field]);
    if (typeof document === "string") {
      report(`${args.name}: ${field}: ${document}`);
      return;
    }
    const check = parent === SESSION_REVOCATION ? revocationProblem : guardrailProblem;
    if (document.Statement.length === 0) report(`${args.name}: no statement: a deny that denies nothing`);
    for (const statement of document.Statement) {
      const problem = check(statement);
      if (problem !== undefined) report(`${args.name}: ${problem}`);
    }
  },
);

export const replacementRolesUnderCordon: ResourceValidationPolicy = resourcePolicy(
  "replacement-roles-under-cordon",
  `A replacement role lives under ${ROLE_PATH}, where the deployer may change roles, with its incident's ${INCIDENT_TAG} tag.`,
  (args, report) => {
    if (args.type !== "aws:iam/role:Role" || parentType(args.urn) !== REPLACEMENT_ROLE) return;
    if (args.props.path !== ROLE_PATH)
      report(
        `${args.name}: path is ${JSON.stringify(args.props.path ?? null)}: replacement roles live under ${ROLE_PATH}`,
      );
    const tag = (args.props.tags as Record<string, unknown> | undefined)?.[INCIDENT_TAG];
    if (typeof tag !== "string" || !INCIDENT_ID.test(tag))
      report(
        `${args.name}: tag ${INCIDENT_TAG} is ${JSON.stringify(tag ?? null)}: expected the id of the incident that asks for the role`,
      );
  },
);

/** A principal element's values of one kind (`AWS`, `Federated`, `Service`), as a list. */
function principalsOf(principal: unknown, kind: string): string[] {
  if (principal === "*") return ["*"];
  if (principal === null || typeof principal !== "object") return [];
  const value = (principal as Record<string, unknown>)[kind];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
}

/**
 * Why a role's trust admits cordon's own roles or jobs; empty when it admits none. What the loader
 * refuses in a file (E_TRUST_CORDON), asked again of what the stack would send to IAM: any
 * principal (`*`), one of cordon's roles by any spelling IAM takes, GitHub's tokens without a
 * subject or with one that is not one repository, or a subject of one of `repositories`.
 */
export function trustProblems(document: PolicyDocument, repositories: readonly string[]): string[] {
  const problems: string[] = [];
  const subjectKey = `${GITHUB_OIDC_HOST}:sub`.toLowerCase();
  for (const statement of document.Statement) {
    if (statement.Effect !== "Allow") continue;
    const s = statement as PolicyStatement & { Principal?: unknown; NotPrincipal?: unknown };
    const sid = `statement ${statement.Sid ?? "(no Sid)"}`;
    if (s.NotPrincipal !== undefined)
      problems.push(`${sid} trusts every principal but those of NotPrincipal: cordon's own roles among them`);
    for (const principal of principalsOf(s.Principal, "AWS")) {
      if (principal === "*") problems.push(`${sid} trusts any principal ("*"): cordon's own roles among them`);
      const own = ownRoleNamedBy(principal);
      if (own !== undefined)
        problems.push(
          `${sid} trusts ${principal}, cordon's own role ${own}: the role's rights would be its jobs'${own === ROLE_NAMES.preview ? " (every pull request's)" : ""}`,
        );
    }
    if (!principalsOf(s.Principal, "Federated").some((p) => p.endsWith(`:oidc-provider/${GITHUB_OIDC_HOST}`))) continue;
    const subjects = Object.values(statement.Condition ?? {}).flatMap((entries) =>
      Object.entries(entries)
        .filter(([key]) => key.toLowerCase() === subjectKey)
        .flatMap(([, value]) => (Array.isArray(value) ? value : [value]).map(String)),
    );
    if (subjects.length === 0)
      problems.push(
        `${sid} trusts GitHub's tokens without a condition on ${GITHUB_OIDC_HOST}:sub: every repository's jobs, cordon's own among them`,
      );
    for (const subject of subjects) {
      const repository = /^repo:([^:]*):/i.exec(subject)?.[1];
      if (repository === undefined || /[*?]/.test(repository))
        problems.push(
          `${sid} trusts the GitHub subject ${JSON.stringify(subject)}, which names no one repository: it could be cordon's own`,
        );
      else if (repositories.some((own) => sameRepository(own, repository)))
        problems.push(
          `${sid} trusts the GitHub subject ${JSON.stringify(subject)}, of cordon's own repository ${repository}, whose jobs hold cordon's roles: the role's rights would be theirs`,
        );
    }
  }
  return problems;
}

/**
 * The policy that no role the stack declares (a replacement role, auto-contain's) trusts cordon's
 * own roles or jobs. `repositories`: cordon's own, as far as the pack's process can tell (the run's
 * GITHUB_REPOSITORY, policy/index.ts); empty, a subject is checked for being one repository only.
 */
export function rolesTrustNoneOfCordon(repositories: readonly string[]): ResourceValidationPolicy {
  return resourcePolicy(
    "roles-trust-none-of-cordon",
    `No role the stack declares trusts any principal, one of cordon's own roles (${Object.values(ROLE_NAMES).join(", ")}, in any account, path or case), or GitHub's jobs of cordon's own repository: a replacement role gets whatever policy its file names, and would hand it to cordon's jobs, every pull request's among them.`,
    (args, report) => {
      if (args.type !== "aws:iam/role:Role") return;
      let text: unknown;
      try {
        text = args.props.assumeRolePolicy;
      } catch (error) {
        // Unknown at preview (set from another resource's output): up decides, with its value.
        if (!(error instanceof UnknownValueError)) throw error;
        return;
      }
      const document = documentOf(text);
      if (typeof document === "string") {
        report(`${args.name}: assumeRolePolicy: ${document}`);
        return;
      }
      for (const problem of trustProblems(document, repositories)) report(`${args.name}: ${problem}`);
    },
  );
}

const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** A session revocation's attachments, and which input names their principal. */
const DENY_ATTACHMENTS: Record<string, { kind: "user" | "role"; principal: "user" | "role" }> = {
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": { kind: "user", principal: "user" },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { kind: "role", principal: "role" },
};

export const denyAttachmentsOnTheirPrincipal: ResourceValidationPolicy = resourcePolicy(
  "deny-attachments-on-their-principal",
  `A session revocation attaches a principal's own deny (${POLICY_PATH}${denyPolicyName("user", "NAME", "managed")} or ${denyPolicyName("role", "NAME", "managed")}) to that principal, and nothing else: another policy there would take the deny's place.`,
  (args, report) => {
    const attachment = DENY_ATTACHMENTS[args.type];
    if (attachment === undefined || parentType(args.urn) !== SESSION_REVOCATION) return;
    const principal = args.props[attachment.principal];
    let arn: unknown;
    try {
      arn = args.props.policyArn;
    } catch (error) {
      // At a first preview the deny is not created yet, so its ARN is unknown: up, which knows it
      // before the attachment's step, decides (an advisory here would only repeat for each principal).
      if (!(error instanceof UnknownValueError)) throw error;
      return;
    }
    const expected =
      typeof principal === "string"
        ? `:policy${POLICY_PATH}${denyPolicyName(attachment.kind, principal, "managed")}`
        : null;
    // IAM's names are case-insensitive.
    if (expected === null || typeof arn !== "string" || !arn.toLowerCase().endsWith(expected.toLowerCase()))
      report(
        `${args.name}: attaches ${JSON.stringify(arn ?? null)} to ${attachment.kind} ${JSON.stringify(principal ?? null)}: a session revocation attaches only that ${attachment.kind}'s own deny (...${expected ?? ""})`,
      );
  },
);

export const rolePoliciesNeverOverwriteDenies: ResourceValidationPolicy = resourcePolicy(
  "role-policies-never-overwrite-denies",
  `Only a session revocation writes a role's inline policy named ${ROLE_POLICY_NAME}: under that name, any other would replace a compromised role's deny.`,
  (args, report) => {
    if (args.type !== ROLE_POLICY || parentType(args.urn) === SESSION_REVOCATION) return;
    if (args.props.name === ROLE_POLICY_NAME)
      report(
        `${args.name}: named ${ROLE_POLICY_NAME} outside ${SESSION_REVOCATION}: IAM would replace the deny of role ${JSON.stringify(args.props.role ?? null)} with this document`,
      );
  },
);

export const rolePoliciesOnTheirOwnRole: StackValidationPolicy = stackPolicy(
  "role-policies-on-their-own-role",
  "A role policy outside a session revocation (a replacement role's, auto-contain's) is on the role its own component declares, never on another role.",
  (args, report) => {
    for (const resource of args.resources) {
      if (resource.type !== ROLE_POLICY) continue;
      const parent = resource.parent;
      if (parent === undefined || parent.type === SESSION_REVOCATION) continue;
      const own = args.resources.filter((r) => r.type === "aws:iam/role:Role" && r.parent?.urn === parent.urn);
      let role: unknown;
      let names: unknown[];
      try {
        role = resource.props.role;
        names = own.map((r) => r.props.name);
      } catch (error) {
        // At a first preview the role's name may not be known yet: up decides.
        if (!(error instanceof UnknownValueError)) throw error;
        continue;
      }
      if (!names.includes(role))
        report(
          `${resource.name}: on role ${JSON.stringify(role ?? null)}, not the role ${parent.type} declares (${names.map((n) => JSON.stringify(n)).join(", ") || "none"}): it would give another role rights`,
          resource.urn,
        );
    }
  },
);

export const onlyCordonTypes: ResourceValidationPolicy = resourcePolicy(
  "only-cordon-resource-types",
  "The stack declares only cordon's components, each with only the resource types it declares (components/permissions.ts).",
  (args, report) => {
    const chain = typeChain(args.urn);
    const type = args.type;
    if (type === STACK || PROVIDERS.has(type)) return;
    const parent = parentType(args.urn);
    if (CHILD_TYPES.has(type)) {
      if (parent !== undefined)
        report(
          `${args.name}: the component ${type} is declared inside ${parent}: cordon's components sit at the stack's top`,
        );
      return;
    }
    const allowed = parent === undefined ? undefined : CHILD_TYPES.get(parent);
    if (allowed === undefined || !allowed.has(type)) {
      report(
        `${args.name}: ${type} ${parent === undefined || !CHILD_TYPES.has(parent) ? `outside cordon's components (${chain.length > 1 ? `in ${chain.slice(0, -1).join(" > ")}` : "at the stack's top"})` : `is not a type ${parent} declares`}: the stack declares nothing else`,
      );
    }
  },
);

const AWS_PROVIDER = "pulumi:providers:aws";

const isBoolean = (value: unknown) => value === true || value === false || value === "true" || value === "false";

/** `defaultTags` as an object or as the JSON a stack's config holds: `{"tags": {...}}` of strings, nothing else. */
function isDefaultTags(value: unknown): boolean {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return false;
    }
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return false;
  const { tags, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return false;
  if (tags === undefined) return true;
  return (
    tags !== null &&
    typeof tags === "object" &&
    !Array.isArray(tags) &&
    Object.values(tags).every((tag) => typeof tag === "string")
  );
}

/**
 * The settings an AWS provider of cordon's may have, each with the values it may take: what the
 * program sets (AutoContain's `region`), what pulumi-aws's CheckConfig adds to every AWS provider
 * before an analyzer sees it (its config defaults: `region` from AWS_REGION, `skipCredentialsValidation`
 * false, `skipRegionValidation` true; a test keeps this table covering @pulumi/aws's
 * config/vars.js, so that a pulumi-aws release adding a default fails the tests before it refuses
 * every real up), what a stack file may set for the default provider (`aws:region`,
 * `aws:defaultTags`; the workflows give the region as AWS_REGION), and what the engine adds
 * (`version`; pulumi/pulumi providers/registry.go, SetProviderVersion). Every credential comes from
 * the job's environment: the OIDC role, or AWS_PROFILE by hand.
 */
export const AWS_PROVIDER_SETTINGS: Readonly<Record<string, { allows(value: unknown): boolean; expected: string }>> = {
  region: {
    allows: (value) => typeof value === "string" && /^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(value),
    expected: "an AWS region's name, such as us-east-1",
  },
  skipCredentialsValidation: {
    allows: (value) => value === false || value === "false",
    expected: "false: the provider checks its credentials with STS before any call",
  },
  skipRegionValidation: { allows: isBoolean, expected: "true or false" },
  // Tags only: many organizations require them on every resource (tag policies, SCPs on
  // aws:RequestTag), and a resource's own tags, cordon's incident tag among them, win over them.
  defaultTags: { allows: isDefaultTags, expected: 'tags only: {"tags": {"KEY": "VALUE", ...}}' },
  version: { allows: (value) => typeof value === "string", expected: "the plugin's version, as the engine sets it" },
};

const REDIRECTS =
  "it sends the provider's calls to other endpoints: IAM answered from elsewhere, an up succeeds and contains nothing";
const OTHER_CREDENTIALS_FROM =
  "it takes credentials from the program, a file or another role, not the job's: the calls would act as someone else, maybe in another account";
const INTERCEPTED = "whoever runs it sees every call, credentials included, and can answer for AWS";

/** Why each setting cordon does not allow matters; any other gets the general reason. */
const AWS_PROVIDER_REFUSALS: Readonly<Record<string, string>> = {
  endpoints: REDIRECTS,
  useFipsEndpoint: REDIRECTS,
  useDualstackEndpoint: REDIRECTS,
  stsRegion: REDIRECTS,
  accessKey: OTHER_CREDENTIALS_FROM,
  secretKey: OTHER_CREDENTIALS_FROM,
  token: OTHER_CREDENTIALS_FROM,
  profile: OTHER_CREDENTIALS_FROM,
  sharedCredentialsFiles: OTHER_CREDENTIALS_FROM,
  sharedConfigFiles: OTHER_CREDENTIALS_FROM,
  assumeRole: OTHER_CREDENTIALS_FROM,
  assumeRoles: OTHER_CREDENTIALS_FROM,
  assumeRoleWithWebIdentity: OTHER_CREDENTIALS_FROM,
  ec2MetadataServiceEndpoint: OTHER_CREDENTIALS_FROM,
  ec2MetadataServiceEndpointMode: OTHER_CREDENTIALS_FROM,
  skipMetadataApiCheck: OTHER_CREDENTIALS_FROM,
  skipRequestingAccountId: "the provider would not learn which account it acts in",
  allowedAccountIds:
    "which account a stack acts in is cordon:account's to say, checked against the credentials' account before anything is declared",
  forbiddenAccountIds:
    "which account a stack acts in is cordon:account's to say, checked against the credentials' account before anything is declared",
  insecure: `it skips TLS verification: ${INTERCEPTED}`,
  httpProxy: `it routes the calls through a proxy: ${INTERCEPTED}`,
  httpsProxy: `it routes the calls through a proxy: ${INTERCEPTED}`,
  noProxy: `it routes the calls through a proxy: ${INTERCEPTED}`,
  customCaBundle: `it trusts another certificate authority for AWS's endpoints: ${INTERCEPTED}`,
};
const REFUSED_BY_DEFAULT =
  "cordon's program and docs set no such setting, and one could send the calls elsewhere or act as someone else";

/**
 * The settings an AWS provider's inputs hold, with their values. The engine never hands an
 * analyzer its own keys, those that start with `__` (`__internal`: a plugin's download URL,
 * environment variable mappings; plugin/analyzer_plugin.go, SkipInternalKeys), and loads the
 * plugin before any analyzer runs: the pack cannot see nor stop them (docs/setup.md).
 */
function providerSettings(props: Record<string, unknown>): [string, unknown][] {
  return Object.keys(props)
    .filter((key) => !key.startsWith("__"))
    .sort()
    .flatMap((key): [string, unknown][] => {
      try {
        return [[key, props[key]]];
      } catch (error) {
        // Unknown at preview (set from another resource's output): up decides, with its value.
        if (!(error instanceof UnknownValueError)) throw error;
        return [];
      }
    });
}

export const awsProviderSettings: ResourceValidationPolicy = resourcePolicy(
  "aws-providers-only-cordon-settings",
  `An AWS provider, explicit or the default one from the stack's aws: config, sets only ${Object.keys(AWS_PROVIDER_SETTINGS).join(", ")}: any other setting could send the calls elsewhere, act with other credentials or in another account, and make containment a silent no-op.`,
  (args, report) => {
    if (args.type !== AWS_PROVIDER) return;
    for (const [key, value] of providerSettings(args.props)) {
      const allowed = AWS_PROVIDER_SETTINGS[key];
      if (allowed === undefined)
        report(`${args.name}: ${key} is set: ${AWS_PROVIDER_REFUSALS[key] ?? REFUSED_BY_DEFAULT}`);
      else if (!allowed.allows(value))
        report(`${args.name}: ${key} is ${JSON.stringify(value)}: expected ${allowed.expected}`);
    }
  },
);

/**
 * Every policy of the pack, given cordon's own repositories (the pack's process passes the run's,
 * policy/index.ts).
 */
export function packPolicies(repositories: readonly string[]): (ResourceValidationPolicy | StackValidationPolicy)[] {
  return [
    accessKeysDisabled,
    accessKeysNeverCreated,
    otherCredentialsDisabled,
    otherCredentialsNeverCreated,
    deniesOnlyDeny,
    denyAttachmentsOnTheirPrincipal,
    rolePoliciesNeverOverwriteDenies,
    rolePoliciesOnTheirOwnRole,
    replacementRolesUnderCordon,
    rolesTrustNoneOfCordon(repositories),
    awsProviderSettings,
    onlyCordonTypes,
  ];
}

/** Every policy of the pack, no repository known as cordon's own. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = packPolicies([]);

/** For a test: the resources a stack policy reads, as the package builds them. */
export type StackResource = PolicyResource;
