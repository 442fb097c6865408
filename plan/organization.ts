/**
 * The organization guardrails: one set of service control policies (SCPs) and one of resource
 * control policies (RCPs) covering every incident that asks for them (`organization: { scp, rcp }`),
 * declared only by the stack configured with `cordon:organization` (the management account's, or a
 * delegated administrator's). Pure: incidents and the organization's configuration in, documents
 * out. Statement ids and document names derive from incident ids and content, never from positions.
 * @see ../docs/organization.md
 */
import { ACCOUNT_ID, iamNameKey, principalKey } from "../incident/fields.ts";
import { byKey, compareText } from "../incident/order.ts";
import { AT_CONTAINMENT, type Incident, keptBy } from "../incident/types.ts";
import { containmentOwner } from "./containment.ts";
import {
  containmentPlaceholder,
  fillContainment,
  fnv1a,
  pendingPlaceholders,
  recordedFor,
  sidPart,
  TOKEN_ISSUE_TIME,
  type PolicyDocument,
  type PolicyStatement,
} from "./policies.ts";

export type GuardrailKind = "scp" | "rcp";

/** The policy type Organizations names each kind by. */
export const POLICY_TYPE: Readonly<Record<GuardrailKind, "SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY">> = {
  scp: "SERVICE_CONTROL_POLICY",
  rcp: "RESOURCE_CONTROL_POLICY",
};

/**
 * The organization stack's `cordon:organization`: where the guardrails go, and which account SCPs
 * cannot reach.
 */
export interface OrganizationConfig {
  /** Roots (`r-…`), organizational units (`ou-…-…`) or accounts the guardrails are attached to (sorted). */
  targets: string[];
  /**
   * The organization's management account: SCPs do not affect its users and roles, so its
   * principals get no SCP entry (they keep their IAM deny). Null when not known (a plan made without
   * the organization stack's configuration).
   * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
   */
  managementAccount: string | null;
}

/**
 * Every guardrail document is at most this many characters, as minified JSON (what Pulumi sends:
 * through the API, white space counts). It is the RCP limit; SCPs may be 10,240 characters since
 * 15 May 2026, which cordon leaves as headroom.
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
 */
export const GUARDRAIL_MAX_CHARACTERS = 5120;

/**
 * Policies of each type that may be attached directly to one root, OU or account (hard limits).
 * Every target carries `FullAWSAccess` (SCP) and the undetachable `RCPFullAWSAccess` (RCP), which
 * count: cordon's room is what the others leave. AWS raised the SCP quota to 10 on 15 May 2026;
 * cordon keeps 5, the issue's contract, which holds under either quota (an organization still
 * planning with 5 slots, or a GovCloud/partition not yet raised, never fails at `pulumi up`).
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
 */
export const POLICIES_PER_TARGET: Readonly<Record<GuardrailKind, number>> = { scp: 5, rcp: 5 };

/** Every guardrail cordon declares is named `cordon-scp-…` or `cordon-rcp-…`: how a later run and the quota check tell cordon's own from the others. */
export const GUARDRAIL_PREFIX: Readonly<Record<GuardrailKind, string>> = { scp: "cordon-scp-", rcp: "cordon-rcp-" };

/**
 * What the RCP denies the compromised principals on resources of member accounts: assuming roles
 * (the way into other accounts) and reaching data and secrets. An RCP may not deny `*`: each
 * service is named, and each is one of the services RCPs support.
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
 */
export const RCP_ACTIONS: readonly string[] = ["kms:*", "s3:*", "secretsmanager:*", "sqs:*", "sts:AssumeRole*"];

/**
 * The condition key IAM Identity Center sets on the sessions of its users: AWS's documented way
 * to deny one user's sessions without touching the permission set others share.
 * @see https://docs.aws.amazon.com/singlesignon/latest/userguide/prereqs-revoking-user-permissions.html
 */
export const IDENTITY_STORE_USER_ID_KEY = "identitystore:userId";

/** A root, an OU or an account, as Organizations' AttachPolicy takes a target id. */
export const TARGET_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|\d{12})$/;

/** One guardrail document. */
export interface OrganizationPolicyPlan {
  kind: GuardrailKind;
  /** `cordon-scp-<hash of its statement ids>`: the policy's name, and its Pulumi resource name. */
  name: string;
  targets: string[];
  /** The incidents its statements answer (sorted). */
  incidents: string[];
  /**
   * The document. Statements for at-containment incidents hold a placeholder the program fills
   * with the instant its stack recorded.
   */
  document: PolicyDocument;
  /** Incidents whose containment instant the document waits for. */
  pendingContainment: string[];
}

/**
 * A guardrail this stack's last checkpoint holds, as the engine read it back: its policy's name,
 * kind, id and content, and the targets its attachments name. What a superseded guardrail is
 * declared again with, unchanged, until its replacements are attached.
 */
export interface StateGuardrail {
  kind: GuardrailKind;
  name: string;
  /** The policy's id (`p-…`), as the state holds it. */
  id: string;
  /** The document as the state holds it (Organizations' own, after a refresh). */
  content: string;
  /** The targets the state holds an attachment of it to (sorted). */
  targets: string[];
}

/** A principal of an incident that asks for the SCP, which the SCP cannot reach. */
export interface OrganizationExclusion {
  account: string;
  principal: { type: "user" | "role"; name: string };
  incidents: string[];
  /** Why: the only reason so far is the management account. */
  reason: "management-account";
}

export interface OrganizationPlan {
  policies: OrganizationPolicyPlan[];
  exclusions: OrganizationExclusion[];
}

/** The problems of a `cordon:organization` value, or the configuration. */
export function parseOrganizationConfig(value: unknown): { config?: OrganizationConfig; problems: string[] } {
  const problems: string[] = [];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return {
      problems: [
        `cordon:organization: expected a mapping such as { targets: [r-abcd], managementAccount: "123456789012" }, found ${JSON.stringify(value ?? null)}`,
      ],
    };
  }
  const { targets, managementAccount, ...rest } = value as Record<string, unknown>;
  for (const key of Object.keys(rest).sort(compareText))
    problems.push(`cordon:organization: unknown field ${JSON.stringify(key)}, expected targets and managementAccount`);
  if (!Array.isArray(targets) || targets.length === 0) {
    problems.push(
      `cordon:organization.targets: expected a list of at least one root (r-…), organizational unit (ou-…-…) or account id, found ${JSON.stringify(targets ?? null)}`,
    );
  } else {
    targets.forEach((target, i) => {
      if (typeof target !== "string" || !TARGET_ID.test(target))
        problems.push(
          `cordon:organization.targets[${i}]: expected a root (r-…), organizational unit (ou-…-…) or 12-digit account id, found ${JSON.stringify(target)}`,
        );
    });
  }
  if (typeof managementAccount !== "string" || !ACCOUNT_ID.test(managementAccount)) {
    problems.push(
      `cordon:organization.managementAccount: expected the organization's management account, 12 digits, quoted, found ${JSON.stringify(managementAccount ?? null)}`,
    );
  }
  if (problems.length > 0) return { problems };
  return {
    config: {
      targets: [...new Set(targets as string[])].sort(compareText),
      managementAccount: managementAccount as string,
    },
    problems,
  };
}

/**
 * How the guardrails name a principal, so that none is missed because of case: IAM keeps a name as
 * it was created and puts that spelling in the request context, while the file may spell it
 * otherwise (IAM ignores case). `ArnLike` compares case-sensitively; `StringEqualsIgnoreCase` does
 * not, but takes no wildcard.
 *   - a user by `aws:username` (its name, under any path) in `aws:PrincipalAccount`, ignoring case;
 *   - a role by `aws:PrincipalArn` equal, ignoring case, to `arn:aws:iam::ACCOUNT:role/NAME`;
 *   - a role under a path by `ArnLike` `role/*\/NAME` (never `role/*NAME`, which would match other
 *     names): case-sensitive, so the file must spell such a role as IAM does, which the program
 *     checks at `up` against IAM's spelling (`guardrailSpellingProblems`).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-username
 */
export const PRINCIPAL_ARN_KEY = "aws:PrincipalArn";
export const USERNAME_KEY = "aws:username";
export const PRINCIPAL_ACCOUNT_KEY = "aws:PrincipalAccount";

/**
 * What spares centralized root access from the root user's statement: a session that
 * `sts:AssumeRoot` started (only the management account or IAM's delegated administrator can
 * start one) carries `aws:AssumedRoot` true; a request signed with the root user's own
 * password session or access keys carries no `aws:AssumedRoot` at all. Without this exemption the SCP
 * would deny the very session that deletes the root user's access keys (`aws:PrincipalArn` is the
 * root's ARN in both). AWS's own AWS-GR_RESTRICT_ROOT_USER control exempts the same way
 * (`ExemptAssumeRoot`).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-assumedroot
 * @see https://docs.aws.amazon.com/controlcatalog/latest/APIReference/API_ControlParameter.html
 */
export const ASSUMED_ROOT_KEY = "aws:AssumedRoot";
export const ROOT_SESSION_EXEMPTION = { Null: { [ASSUMED_ROOT_KEY]: "true" } } as const;

/**
 * What names a federated user's session: one that `sts:GetFederationToken` started (principal
 * `arn:aws:sts::ACCOUNT:federated-user/NAME`, any name its caller chose). Only an IAM user's
 * long-term access key can start one, so a leaked key can mint them (they live up to 36 h) before it
 * is disabled; AWS sets no `aws:username` in their requests, and no condition key names the user that
 * minted one. The guardrails deny them by `aws:PrincipalType` `FederatedUser` within the account of
 * the incident's users: every federated session of that account the mode covers, other users' too.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltype
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html
 */
export const PRINCIPAL_TYPE_KEY = "aws:PrincipalType";
export const FEDERATED_USER = "FederatedUser";

/**
 * Every way a guardrail statement names its principals, as the `operator:key` pairs of its
 * condition (besides the cutoff's `DateLessThan aws:TokenIssueTime`): the policy pack refuses a
 * guardrail statement whose condition is not exactly one of these, since anything else would deny
 * the whole organization or someone the files do not name.
 */
export const GUARDRAIL_SELECTORS: readonly (readonly string[])[] = [
  [`StringEqualsIgnoreCase:${PRINCIPAL_ARN_KEY}`],
  [`ArnLike:${PRINCIPAL_ARN_KEY}`],
  [`StringEqualsIgnoreCase:${USERNAME_KEY}`, `StringEquals:${PRINCIPAL_ACCOUNT_KEY}`],
  // The federated users of one account (FEDERATED_USER, the only type the policy pack lets through,
  // and one account): without the account, every federated user of the organization.
  [`StringEquals:${PRINCIPAL_TYPE_KEY}`, `StringEquals:${PRINCIPAL_ACCOUNT_KEY}`],
  [`StringEquals:${IDENTITY_STORE_USER_ID_KEY}`],
  // A root user, by its ARN (arn:aws:iam::ACCOUNT:root: no name, no case to miss), its centralized
  // root access sessions spared (ROOT_SESSION_EXEMPTION, whose value the policy pack checks).
  [`ArnEquals:${PRINCIPAL_ARN_KEY}`, `Null:${ASSUMED_ROOT_KEY}`],
];

/** A role's ARN without a path: what `aws:PrincipalArn` holds for it, compared ignoring case. */
export function roleArn(account: string, name: string): string {
  return `arn:aws:iam::${account}:role/${name}`;
}

/** The `ArnLike` pattern of a role under any path (`role/PATH/NAME`). */
export function rolePathPattern(account: string, name: string): string {
  return `arn:aws:iam::${account}:role/*/${name}`;
}

/**
 * Every role of this account that the guardrails would miss because of case: a role under a path
 * (anything but `/`) that IAM spells otherwise than the incident files do, among the incidents that
 * ask for a guardrail. `roles`: the roles as IAM has them, by name ignoring case (null: IAM has no
 * such role). Pure: the program reads the roles (it does already, for the room of each deny) and
 * refuses what this returns.
 */
export function guardrailSpellingProblems(
  incidents: readonly Incident[],
  account: string,
  roles: ReadonlyMap<string, { name: string; path: string } | null>,
): string[] {
  const problems = new Map<string, string>();
  for (const incident of incidents.filter((i) => i.organization.scp || i.organization.rcp)) {
    for (const role of incident.roles.filter((r) => r.account === account)) {
      const live = roles.get(iamNameKey(role.name));
      if (live === undefined || live === null || live.path === "/" || live.name === role.name) continue;
      problems.set(
        `${iamNameKey(role.name)}/${incident.file}`,
        `${incident.file}: role "${role.name}" (account ${account}) is spelled "${live.name}" in IAM, under the path ${live.path}: ` +
          `the organization guardrails match a role under a path with ArnLike, which compares case-sensitively, so they would miss it; spell it "${live.name}" in the incident`,
      );
    }
  }
  return [...problems.entries()].sort(([a], [b]) => compareText(a, b)).map(([, message]) => message);
}

/** The root user of an account, as `aws:PrincipalArn` names it. */
export function rootUserArn(account: string): string {
  return `arn:aws:iam::${account}:root`;
}

/** Filled in place of a pending instant to measure a document: every recorded instant has this length. */
const SAMPLE_INSTANT = "2000-01-01T00:00:00Z";

/** `{"Version":"2012-10-17","Statement":[` and `]}`. */
const DOCUMENT_OVERHEAD = JSON.stringify({ Version: "2012-10-17", Statement: [] }).length;

/** The size a document will have once its instants are filled in, as minified JSON. */
export function guardrailSize(document: PolicyDocument): number {
  const sample = Object.fromEntries(pendingPlaceholders(document).map((id) => [id, SAMPLE_INSTANT]));
  return JSON.stringify(fillContainment(document, sample)).length;
}

interface Candidate {
  incident: string;
  statement: PolicyStatement;
  size: number;
}

/**
 * The guardrails of every incident that asks for them. One statement per incident and kind (and
 * one for its Identity Center users), split when one statement alone would not fit; then the
 * statements packed into as few documents as fit (first fit, largest first), each named after the
 * ids of its statements.
 */
export function organizationPlan(
  incidents: Incident[],
  config: OrganizationConfig,
  containment: Record<string, string> = {},
  uncontained: readonly string[] = [],
): OrganizationPlan {
  const sorted = [...incidents].sort(byKey((i) => i.id));
  const policies: OrganizationPolicyPlan[] = [];
  for (const kind of ["scp", "rcp"] as const) {
    const candidates = sorted
      .filter((incident) => incident.organization[kind])
      .flatMap((incident) => statementsOf(kind, incident, config, containment, uncontained));
    policies.push(...pack(candidates).map((statements) => documentOf(kind, statements, config.targets, containment)));
  }

  const exclusions = new Map<string, OrganizationExclusion>();
  if (config.managementAccount !== null) {
    for (const incident of sorted.filter((i) => i.organization.scp)) {
      for (const [type, list] of [
        ["user", incident.users],
        ["role", incident.roles],
      ] as const) {
        for (const principal of list.filter((p) => p.account === config.managementAccount)) {
          const key = principalKey(principal.account, type, principal.name);
          const entry = exclusions.get(key) ?? {
            account: principal.account,
            principal: { type, name: principal.name },
            incidents: [],
            reason: "management-account" as const,
          };
          entry.incidents.push(incident.id);
          exclusions.set(key, entry);
        }
      }
    }
  }
  return {
    policies,
    exclusions: [...exclusions.values()].sort(byKey((e) => `${e.account}/${e.principal.type}/${e.principal.name}`)),
  };
}

/**
 * Whether the guardrail denies everything: the incident's mode is deny-all, or its containment
 * instant cannot be had yet (`uncontained`: the safe side, until it can).
 */
function deniesAll(incident: Incident, containment: Record<string, string>, uncontained: readonly string[]): boolean {
  return (
    incident.mode === "deny-all" ||
    (incident.cutoff === AT_CONTAINMENT &&
      recordedFor(containment, incident.id) === undefined &&
      uncontained.includes(incident.id))
  );
}

/** The condition of the incident's mode: nothing when it denies everything, `aws:TokenIssueTime` before the cutoff otherwise. */
function modeCondition(
  incident: Incident,
  containment: Record<string, string>,
  uncontained: readonly string[],
): Record<string, Record<string, string>> {
  if (deniesAll(incident, containment, uncontained)) return {};
  const cutoff =
    incident.cutoff === AT_CONTAINMENT
      ? (recordedFor(containment, incident.id) ?? containmentPlaceholder(incident.id))
      : incident.cutoff;
  return { DateLessThan: { [TOKEN_ISSUE_TIME]: cutoff } };
}

/**
 * The condition of the statement on `account`'s federated users. In revoke mode, the users' own:
 * a federated session is a session of the user that minted it, issued when it was minted. In
 * deny-all mode nothing ties it to the user, and denying every federated session of the account
 * until the file is removed would stop the new ones of every other user too; yet a federated
 * session of the incident's users can only have been minted before their keys stopped working.
 * Where the plan knows that instant, the deny ends there: the recorded containment cutoff, for the
 * account whose stack records it (the instant waits for every key of the incident's users there to
 * be Inactive) when none of them keeps an access key. Anywhere else (an explicit cutoff says nothing
 * of when the keys were disabled; another account's keys do not hold the instant back) it denies
 * them all.
 */
function federationCondition(
  incident: Incident,
  account: string,
  containment: Record<string, string>,
  uncontained: readonly string[],
): Record<string, Record<string, string>> {
  if (incident.mode !== "deny-all") return modeCondition(incident, containment, uncontained);
  const recorded = incident.cutoff === AT_CONTAINMENT ? recordedFor(containment, incident.id) : undefined;
  const keysStopped =
    containmentOwner(incident) === account &&
    incident.users.filter((u) => u.account === account).every((u) => keptBy(u).accessKeys.length === 0);
  return recorded !== undefined && keysStopped ? { DateLessThan: { [TOKEN_ISSUE_TIME]: recorded } } : {};
}

function statementsOf(
  kind: GuardrailKind,
  incident: Incident,
  config: OrganizationConfig,
  containment: Record<string, string>,
  uncontained: readonly string[],
): Candidate[] {
  const verb =
    incident.mode === "deny-all"
      ? "DenyAll"
      : deniesAll(incident, containment, uncontained)
        ? "DenyUntilContained"
        : "Revoke";
  const mode = modeCondition(incident, containment, uncontained);
  const base: PolicyStatement =
    kind === "scp"
      ? { Effect: "Deny", Action: "*", Resource: "*" }
      : { Effect: "Deny", Principal: "*", Action: [...RCP_ACTIONS], Resource: "*" };
  // SCPs do not reach the management account; RCPs protect member accounts' resources from any
  // principal, the management account's included.
  const reached = (account: string) => kind === "rcp" || account !== config.managementAccount;
  const sid = sidPart(incident.id);
  const out: Candidate[] = [];
  /** One statement over `values` (split when one would not fit), its condition made from a chunk of them. */
  const add = (
    name: string,
    values: string[],
    condition: (chunk: string[]) => PolicyStatement["Condition"],
    when: PolicyStatement["Condition"] = mode,
  ) => {
    const unique = [...new Set(values)].sort(compareText);
    if (unique.length === 0) return;
    const make = (suffix: string, chunk: string[]): Candidate => {
      const statement: PolicyStatement = {
        Sid: `${name}${suffix}`,
        ...base,
        Condition: { ...condition(chunk), ...when },
      };
      return {
        incident: incident.id,
        statement,
        size: guardrailSize({ Version: "2012-10-17", Statement: [statement] }) - DOCUMENT_OVERHEAD,
      };
    };
    const whole = make("", unique);
    if (whole.size + DOCUMENT_OVERHEAD <= GUARDRAIL_MAX_CHARACTERS) {
      out.push(whole);
      return;
    }
    // Too many principals for one document: parts, each named after what it holds.
    let chunk: string[] = [];
    const flush = () => {
      out.push(make(fnv1a(chunk.join("\n")), chunk));
      chunk = [];
    };
    for (const value of unique) {
      const next = [...chunk, value];
      if (chunk.length > 0 && make("00000000", next).size + DOCUMENT_OVERHEAD > GUARDRAIL_MAX_CHARACTERS) flush();
      chunk.push(value);
    }
    flush();
  };
  const roles = incident.roles.filter((r) => reached(r.account));
  const arns = roles.map((r) => roleArn(r.account, r.name));
  add(`Cordon${verb}${sid}`, arns, (chunk) => ({ StringEqualsIgnoreCase: { [PRINCIPAL_ARN_KEY]: chunk } }));
  add(
    `Cordon${verb}Path${sid}`,
    roles.map((r) => rolePathPattern(r.account, r.name)),
    (chunk) => ({ ArnLike: { [PRINCIPAL_ARN_KEY]: chunk } }),
  );
  // Users by name within their account: one statement per account, or a name would match there too.
  const users = incident.users.filter((u) => reached(u.account));
  for (const account of [...new Set(users.map((u) => u.account))].sort(compareText)) {
    const names = users.filter((u) => u.account === account).map((u) => u.name);
    add(`Cordon${verb}Users${account}${sid}`, names, (chunk) => ({
      StringEqualsIgnoreCase: { [USERNAME_KEY]: chunk },
      StringEquals: { [PRINCIPAL_ACCOUNT_KEY]: account },
    }));
    // Their GetFederationToken sessions, which carry no aws:username (FEDERATED_USER).
    add(
      `Cordon${verb}Federated${account}${sid}`,
      [account],
      () => ({ StringEquals: { [PRINCIPAL_TYPE_KEY]: FEDERATED_USER, [PRINCIPAL_ACCOUNT_KEY]: account } }),
      federationCondition(incident, account, containment, uncontained),
    );
  }
  if (kind === "scp") {
    const ids = incident.identityCenterUsers.map((u) => u.userId);
    add(`Cordon${verb}IdentityCenter${sid}`, ids, (chunk) => ({
      StringEquals: { [IDENTITY_STORE_USER_ID_KEY]: chunk },
    }));
    // A root user's requests are signed with its password's session or its long-term access keys,
    // which no cutoff can tell apart: the SCP denies it every action, whatever the mode, until the
    // file is removed, except a centralized root access session (ROOT_SESSION_EXEMPTION), which is
    // how the organization stack deletes its access keys. The management account's root is out of
    // any SCP's reach (validate refuses it).
    const roots = (incident.rootUsers ?? [])
      .filter((root) => root.account !== config.managementAccount)
      .map((root) => rootUserArn(root.account));
    const statement = (values: string[]): Candidate => {
      const made: PolicyStatement = {
        Sid: `CordonDenyRootUser${sid}`,
        ...base,
        Condition: { ArnEquals: { [PRINCIPAL_ARN_KEY]: values }, ...ROOT_SESSION_EXEMPTION },
      };
      return {
        incident: incident.id,
        statement: made,
        size: guardrailSize({ Version: "2012-10-17", Statement: [made] }) - DOCUMENT_OVERHEAD,
      };
    };
    if (roots.length > 0) out.push(statement([...new Set(roots)].sort(compareText)));
  }
  return out;
}

/**
 * First fit, largest first (ties by statement id): no two documents could be merged into one. An
 * incident's statements travel together when they fit in one document, so that a change to one
 * incident moves (and renames) as few documents as one statement per incident would.
 */
function pack(candidates: Candidate[]): Candidate[][] {
  // Statements are joined by a comma.
  const budget = GUARDRAIL_MAX_CHARACTERS - DOCUMENT_OVERHEAD;
  const byIncident = new Map<string, Candidate[]>();
  for (const candidate of candidates)
    byIncident.set(candidate.incident, [...(byIncident.get(candidate.incident) ?? []), candidate]);
  const units: { size: number; sid: string; items: Candidate[] }[] = [];
  for (const items of byIncident.values()) {
    const size = items.reduce((total, c) => total + c.size, 0) + items.length - 1;
    const sorted = [...items].sort((x, y) => compareText(x.statement.Sid ?? "", y.statement.Sid ?? ""));
    if (size <= budget) units.push({ size, sid: sorted[0].statement.Sid ?? "", items: sorted });
    else units.push(...sorted.map((c) => ({ size: c.size, sid: c.statement.Sid ?? "", items: [c] })));
  }
  const ordered = units.sort((a, b) => b.size - a.size || compareText(a.sid, b.sid));
  const bins: { size: number; items: Candidate[] }[] = [];
  for (const unit of ordered) {
    const bin = bins.find((b) => b.size + 1 + unit.size <= budget);
    if (bin) {
      bin.items.push(...unit.items);
      bin.size += 1 + unit.size;
    } else bins.push({ size: unit.size, items: [...unit.items] });
  }
  return bins.map((b) => b.items.sort((x, y) => compareText(x.statement.Sid ?? "", y.statement.Sid ?? "")));
}

function documentOf(
  kind: GuardrailKind,
  statements: Candidate[],
  targets: string[],
  containment: Record<string, string>,
): OrganizationPolicyPlan {
  const document: PolicyDocument = { Version: "2012-10-17", Statement: statements.map((c) => c.statement) };
  return {
    kind,
    name: `${GUARDRAIL_PREFIX[kind]}${fnv1a(statements.map((c) => c.statement.Sid).join("\n"))}`,
    targets: [...targets],
    incidents: [...new Set(statements.map((c) => c.incident))].sort(compareText),
    document,
    pendingContainment: pendingPlaceholders(document).filter(
      (id, i, all) => all.indexOf(id) === i && recordedFor(containment, id) === undefined,
    ),
  };
}

/** A root user an incident names, as the organization stack treats it. */
export interface RootUserPlan {
  account: string;
  incidents: string[];
  /**
   * `denied`: the SCP denies it every action (a member account); `unreachable`: no SCP reaches it
   * (the management account: validate refuses such an incident where it knows the organization).
   */
  guardrail: "denied" | "unreachable";
  /**
   * Delete its access keys through centralized root access (an incident asks `deleteAccessKeys`):
   * the organization stack assumes the root of that account with the task policy
   * IAMDeleteRootUserCredentials and deletes them; cannot be undone.
   */
  deleteAccessKeys: boolean;
}

/** The task policy that lets centralized root access delete a member account's root credentials. */
export const DELETE_ROOT_CREDENTIALS_TASK_POLICY = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials";

/** Every root user the incidents name (those asking for the SCP), one entry per account. */
export function rootUserPlans(
  incidents: readonly Incident[],
  config: Pick<OrganizationConfig, "managementAccount">,
): RootUserPlan[] {
  const roots = new Map<string, RootUserPlan>();
  for (const incident of [...incidents].filter((i) => i.organization.scp).sort(byKey((i) => i.id))) {
    for (const root of incident.rootUsers ?? []) {
      const entry = roots.get(root.account) ?? {
        account: root.account,
        incidents: [],
        guardrail: root.account === config.managementAccount ? ("unreachable" as const) : ("denied" as const),
        deleteAccessKeys: false,
      };
      entry.incidents.push(incident.id);
      entry.deleteAccessKeys ||= root.deleteAccessKeys;
      roots.set(root.account, entry);
    }
  }
  return [...roots.values()].sort(byKey((r) => r.account));
}
