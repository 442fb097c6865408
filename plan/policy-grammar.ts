/**
 * How IAM reads a policy document: Action, Resource and condition values may be one string or a
 * list, with `*` and `?` wildcards. Pure: the analyses of `assess`, the comparison of `verify` and
 * the least-privilege policies of `permissions` stand on these few rules.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
import { compareText } from "../incident/order.ts";
import type { ConditionValue, PolicyStatement } from "./policies.ts";

/** A field that IAM takes as one string or a list, as a list. */
export function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * IAM's wildcard match: `*` any run of characters, `?` one character. Actions match without regard
 * to case (`IAM:createuser` is `iam:CreateUser`); resources and condition values with it.
 */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

/** Whether the statement's Action (or NotAction) covers `action`, such as `iam:CreateUser`. */
export function coversAction(statement: PolicyStatement, action: string): boolean {
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((pattern) => wildcardMatch(pattern, action, true));
  return list(statement.Action).some((pattern) => wildcardMatch(pattern, action, true));
}

/** Whether the statement's Resource (or NotResource) covers the ARN `resource`. */
export function coversResource(statement: PolicyStatement, resource: string): boolean {
  if (statement.NotResource !== undefined)
    return !list(statement.NotResource).some((pattern) => wildcardMatch(pattern, resource, false));
  return list(statement.Resource).some((pattern) => wildcardMatch(pattern, resource, false));
}

/**
 * The service whose resources an action acts on, as its ARNs name it (`rds-data:ExecuteStatement`
 * runs against `arn:aws:rds:...` clusters).
 */
const ARN_SERVICE: Readonly<Record<string, string>> = { "rds-data": "rds" };

/**
 * Whether some resource of the action's service could match the statement's resources: `iam:*` on
 * `arn:aws:s3:::bucket/*` grants no IAM call. Any partition counts (aws, aws-cn, aws-us-gov).
 */
export function reachesService(statement: PolicyStatement, action: string): boolean {
  if (statement.NotResource !== undefined) return true;
  const prefix = action.split(":")[0].toLowerCase();
  const service = ARN_SERVICE[prefix] ?? prefix;
  return list(statement.Resource).some((pattern) => {
    const head = pattern
      .split(":")
      .slice(0, 3)
      .join(":")
      .replace(/^arn:aws(-[a-z-]+)?:/, "arn:aws:");
    return wildcardMatch(head, `arn:aws:${service}`, false);
  });
}

/** The statement applies to every resource: `Resource: "*"`. */
export function onEveryResource(statement: PolicyStatement): boolean {
  return statement.NotResource === undefined && list(statement.Resource).includes("*");
}

/**
 * A canonical form for comparing statements as IAM reads them: lists are sets (sorted,
 * deduplicated, a single string is a list of one), instants compare as instants. Keys of the
 * statement itself are compared as given.
 */
export function canonicalStatement(statement: PolicyStatement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(statement).sort() as (keyof PolicyStatement)[]) {
    const value = statement[key];
    if (key === "Condition") out[key] = canonicalCondition(statement.Condition ?? {});
    else if (key === "Principal" || key === "NotPrincipal")
      out[key] = typeof value === "string" ? value : canonicalRecord(value as Record<string, string | string[]>);
    else if (key === "Action" || key === "NotAction")
      out[key] = setOf(list(value as string | string[]).map((a) => a.toLowerCase()));
    else if (key === "Resource" || key === "NotResource") out[key] = setOf(list(value as string | string[]));
    else out[key] = value;
  }
  return out;
}

function canonicalCondition(condition: NonNullable<PolicyStatement["Condition"]>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(condition)
      .sort()
      .map((operator) => [
        operator,
        Object.fromEntries(
          Object.keys(condition[operator])
            // Condition keys are case-insensitive in IAM; operators are not.
            .sort()
            .map((key) => [key.toLowerCase(), setOf(listValues(condition[operator][key]).map(canonicalValue))]),
        ),
      ]),
  );
}

function canonicalRecord(record: Record<string, string | string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, setOf(list(record[key]))]),
  );
}

function listValues(value: ConditionValue): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** `2026-11-28T10:00:00.000Z` and `2026-11-28T10:00:00Z` are one instant to IAM's date operators. */
function canonicalValue(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

function setOf(values: string[]): string[] {
  return [...new Set(values)].sort(compareText);
}
