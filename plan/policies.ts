/**
 * IAM policy documents: the one type of a document in cordon, whether cordon writes it or reads it
 * from IAM, and the documents the plan builds, as plain data. Statement ids derive from incident
 * ids, never from positions, and statements are sorted: the same incidents give the same bytes.
 * How IAM reads a document (wildcards, NotAction, canonical forms) is in policy-grammar.ts.
 */
import { INCIDENT_ID } from "../incident/fields.ts";
import { compareText } from "../incident/order.ts";
import { AT_CONTAINMENT, type Incident, type Mode, type Trust } from "../incident/types.ts";

/** A condition's value: one value or a list; IAM reads booleans and numbers as their text. */
export type ConditionValue = string | string[] | boolean | number;

/**
 * One statement, as cordon writes it and as IAM returns it: each list may also be a single string,
 * and a principal may be `"*"`.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, string | string[]>;
  NotPrincipal?: "*" | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, ConditionValue>>;
}

/**
 * A policy document. cordon writes Version 2012-10-17; a document read from IAM may name another
 * version or none. IAM also accepts a single statement without a list: the reader of live
 * documents (aws/) turns it into a list of one, so that every document here has a list.
 */
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

/**
 * The condition key that carries when a temporary credential was issued. It is absent for
 * long-term access keys, which is why cordon also disables the keys themselves.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime
 */
export const TOKEN_ISSUE_TIME = "aws:TokenIssueTime";

/** `{{containment:<incident id>}}`: the id as fields.ts's INCIDENT_ID says, without its anchors. */
const PLACEHOLDER = new RegExp(`^\\{\\{containment:(${INCIDENT_ID.source.slice(1, -1)})\\}\\}$`);

/**
 * The instant recorded for incident `id`, if any. An own property only: "constructor" is a valid
 * incident id, and a plain object's prototype would answer it with a function.
 */
export function recordedFor<T>(instants: Record<string, T>, id: string): T | undefined {
  return Object.hasOwn(instants, id) ? instants[id] : undefined;
}

/**
 * Why the document of `name` (a `what` document: "deny", "guardrail") cannot be completed: an
 * incident it waits for has no recorded instant. A placeholder sent to AWS would fail the whole
 * update with an unreadable MalformedPolicyDocument, so the component stops first, naming them.
 */
export function uncompletedProblem(
  name: string,
  what: string,
  pending: readonly string[],
  instants: Record<string, unknown>,
): string | undefined {
  const missing = pending.filter((id) => recordedFor(instants, id) === undefined);
  if (missing.length === 0) return undefined;
  return `${name}: no containment instant for incident ${missing.join(", ")}: the ${what} document cannot be completed`;
}

/** Stands for the instant `pulumi up` records when it contains incident `id`. */
export function containmentPlaceholder(id: string): string {
  return `{{containment:${id}}}`;
}

/** The incident whose containment instant a condition value waits for, if it is a placeholder. */
export function placeholderIncident(value: unknown): string | undefined {
  return typeof value === "string" ? PLACEHOLDER.exec(value)?.[1] : undefined;
}

/**
 * The one deny document of a principal named by `incidents`. deny-all wins; otherwise the latest
 * explicit cutoff covers the earlier ones, and each at-containment incident adds a statement: with
 * its cutoff when known (`containment`), denying everything while its instant cannot be had
 * (`uncontained`: the safe side), or with a placeholder that the program fills with the instant it
 * records in this run.
 */
export function denyDocument(
  incidents: Incident[],
  containment: Record<string, string> = {},
  uncontained: readonly string[] = [],
): { document: PolicyDocument; mode: Mode; pendingContainment: string[] } {
  const base = { Effect: "Deny" as const, Action: "*", Resource: "*" };
  if (incidents.some((i) => i.mode === "deny-all")) {
    return {
      mode: "deny-all",
      pendingContainment: [],
      document: { Version: "2012-10-17", Statement: [{ Sid: "CordonDenyAll", ...base }] },
    };
  }
  const statements: PolicyStatement[] = [];
  const explicit = incidents.filter((i) => i.cutoff !== AT_CONTAINMENT).map((i) => i.cutoff);
  if (explicit.length > 0) {
    // Same format for every instant (formatInstant), so the lexical maximum is the latest one.
    const latest = explicit.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
    statements.push({
      Sid: "CordonRevokeSessionsBeforeCutoff",
      ...base,
      Condition: { DateLessThan: { [TOKEN_ISSUE_TIME]: latest } },
    });
  }
  const deferred = incidents
    .filter((i) => i.cutoff === AT_CONTAINMENT)
    .map((i) => i.id)
    .sort();
  const denied = deferred.filter((id) => recordedFor(containment, id) === undefined && uncontained.includes(id));
  for (const id of deferred.filter((d) => !denied.includes(d))) {
    statements.push({
      Sid: `CordonRevokeSessionsBeforeContainment${sidPart(id)}`,
      ...base,
      Condition: { DateLessThan: { [TOKEN_ISSUE_TIME]: containmentPlaceholder(id) } },
    });
  }
  for (const id of denied) statements.push({ Sid: `${DENY_UNTIL_CONTAINED_SID}${sidPart(id)}`, ...base });
  statements.sort((a, b) => compareText(a.Sid ?? "", b.Sid ?? ""));
  const document: PolicyDocument = { Version: "2012-10-17", Statement: statements };
  return {
    mode: "revoke-older-sessions",
    document: fillContainment(document, containment),
    pendingContainment: deferred.filter((id) => recordedFor(containment, id) === undefined && !denied.includes(id)),
  };
}

/**
 * The statement id prefix of the safe side: everything denied to an at-containment incident's
 * principals until its instant can be read (no condition at all).
 */
export const DENY_UNTIL_CONTAINED_SID = "CordonDenyUntilContained";

/**
 * IAM counts a policy's size without white space.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
export function policySize(documentText: string): number {
  return documentText.replace(/\s/g, "").length;
}

/**
 * IAM's limit on a customer managed policy document: 6,144 characters, counted without white
 * space. A user's deny (and a role's managed one) holds one statement per at-containment incident
 * that names the principal, so enough of them exceed it, and `pulumi up` would fail on it
 * (LimitExceeded) where `pulumi preview` does not.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
export const MANAGED_POLICY_MAX_CHARACTERS = 6144;

/**
 * The size of a deny document as IAM counts it once its containment instants are filled in: every
 * instant has the same length (`2026-11-28T12:26:00Z`), so any one stands for the one `pulumi up`
 * will record.
 */
export function filledSize(document: PolicyDocument, pendingContainment: readonly string[]): number {
  const sample = Object.fromEntries(pendingContainment.map((id) => [id, "2000-01-01T00:00:00Z"]));
  return policySize(JSON.stringify(fillContainment(document, sample)));
}

/** Replaces containment placeholders by recorded instants; unknown ones stay as they are. */
export function fillContainment(document: PolicyDocument, instants: Record<string, string>): PolicyDocument {
  return {
    ...document,
    Statement: document.Statement.map((statement) => {
      if (!statement.Condition) return statement;
      const condition = Object.fromEntries(
        Object.entries(statement.Condition).map(([operator, entries]) => [
          operator,
          Object.fromEntries(
            Object.entries(entries).map(([key, value]) => {
              const id = placeholderIncident(value);
              return [key, (id !== undefined ? recordedFor(instants, id) : undefined) ?? value];
            }),
          ),
        ]),
      );
      return { ...statement, Condition: condition };
    }),
  };
}

/** The incident ids whose placeholders a document still holds. */
export function pendingPlaceholders(document: PolicyDocument): string[] {
  const ids: string[] = [];
  for (const statement of document.Statement) {
    for (const entries of Object.values(statement.Condition ?? {})) {
      for (const value of Object.values(entries)) {
        const id = placeholderIncident(value);
        if (id !== undefined) ids.push(id);
      }
    }
  }
  return ids.sort();
}

/** GitHub's OIDC issuer, as IAM names the provider created for it. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/** Trust policy of a replacement role: exactly the declared principal, nothing wider. */
export function trustPolicy(trust: Trust, account: string): PolicyDocument {
  if ("githubOidc" in trust) {
    const { repository, ref, environment } = trust.githubOidc;
    const subject =
      ref !== undefined ? `repo:${repository}:ref:${ref}` : `repo:${repository}:environment:${environment}`;
    return {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "GithubActionsOidc",
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${account}:oidc-provider/${GITHUB_OIDC_HOST}` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com", [`${GITHUB_OIDC_HOST}:sub`]: subject },
          },
        },
      ],
    };
  }
  if ("service" in trust) {
    return {
      Version: "2012-10-17",
      Statement: [{ Sid: "Service", Effect: "Allow", Principal: { Service: trust.service }, Action: "sts:AssumeRole" }],
    };
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Principals",
        Effect: "Allow",
        Principal: { AWS: [...new Set(trust.principals)].sort() },
        Action: "sts:AssumeRole",
      },
    ],
  };
}

/**
 * A statement id part from an incident id: PascalCase plus a short hash, because Sids allow only
 * letters and digits and "ab-1" and "ab1" must not collide.
 */
export function sidPart(id: string): string {
  const pascal = id
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
  return `${pascal}${fnv1a(id)}`;
}

/** A short, stable hash of a text (FNV-1a, 32 bits, as 8 hex digits): names and ids from content. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
