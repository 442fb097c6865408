/**
 * The shape of an incident file, checked against schema/incident.schema.json (the one definition
 * of the shape), and ajv's errors reworded field by field: the field, what was found, what is
 * expected, in the words of fields.ts.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import schema from "../schema/incident.schema.json" with { type: "json" };
import { closestName } from "./spelling.ts";
import {
  accessKeyProblem,
  accountProblem,
  credentialIdProblem,
  cutoffProblem,
  describeFound,
  fieldName,
  holdUntilProblem,
  iamNameProblem,
  identityStoreUserIdProblem,
  incidentIdProblem,
  invisibleNameProblem,
  mfaSerialProblem,
  policyNameProblem,
  tooLongProblem,
  type FieldPath,
} from "./fields.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { isUnsafeCharacter } from "./display.ts";
import type { ParsedYaml } from "./yaml.ts";

type Code = Diagnostic["code"];

/**
 * The schema's validator, compiled when a file is first checked: compiling it is most of the time
 * a command takes to load, and many commands (`review` among them) load this module without ever
 * reading an incident file.
 */
let compiled: ValidateFunction | null = null;
function shapeValidator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true }).compile(schema);
  return compiled;
}

/** Every way `yaml.value` departs from the schema, worded and located; empty when it fits. */
export function shapeDiagnostics(yaml: ParsedYaml, file: string): Diagnostic[] {
  const validateShape = shapeValidator();
  if (validateShape(yaml.value)) return [];
  const errors = validateShape.errors ?? [];
  // anyOf/not branches produce one error per branch; the anyOf error itself says it once.
  const relevant = errors.filter((e) => !/\/anyOf\/\d+\//.test(e.schemaPath) && !/\/not\//.test(e.schemaPath));
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of relevant) {
    const worded = reword(error, yaml);
    if (worded === undefined) continue;
    const pos = yaml.locate(worded.at, worded.where);
    const text = `${pos.line}:${pos.col}:${worded.code}:${worded.message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ file, line: pos.line, col: pos.col, code: worded.code, message: worded.message });
  }
  return out;
}

/** One ajv error in cordon's words, and where it points; undefined for errors said elsewhere. */
function reword(
  error: ErrorObject,
  yaml: ParsedYaml,
): { code: Code; message: string; at: FieldPath; where: "key" | "value" } | undefined {
  const path = pointerToPath(error.instancePath);
  const field = fieldName(path);
  const found = error.data;
  let code: Code = "E_SCHEMA";
  let message = `${field || "file"}: ${error.message ?? "is invalid"}`;
  let where: "key" | "value" = "value";
  let at = path;
  const last = path[path.length - 1];
  const parentKey = typeof last === "number" ? path[path.length - 2] : last;

  switch (error.keyword) {
    case "additionalProperties": {
      const name = String((error.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const hint = closestName(name, allowed);
      code = "E_UNKNOWN_FIELD";
      message = `${field ? `${field}: ` : ""}unknown field "${name}", expected one of ${allowed.join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`;
      at = [...path, name];
      where = "key";
      break;
    }
    case "required": {
      const name = (error.params as { missingProperty: string }).missingProperty;
      code = "E_REQUIRED";
      message = `${field ? `${field}: ` : ""}missing required field "${name}"`;
      break;
    }
    case "type": {
      code = "E_TYPE";
      const names: Record<string, string> = { array: "list", object: "mapping", integer: "whole number" };
      const expected = String((error.params as { type: string | string[] }).type)
        .split(",")
        .map((t) => names[t] ?? t)
        .join(" or ");
      const article = /^[aeiou]/.test(expected) ? "an" : "a";
      message = `${field}: found ${describeFound(found)}, expected ${article} ${expected}`;
      if (parentKey === "account" && typeof found === "number")
        message += ` (quote it: account: "${yaml.source(path) ?? found}"; unquoted, YAML reads a number and drops leading zeros)`;
      if (parentKey === "organization" && path.length === 1)
        message += " (such as organization: { scp: true, rcp: true })";
      break;
    }
    case "pattern":
    case "const":
    case "anyOf":
      ({ code, message } = patternMessage(path, field, found));
      break;
    case "enum":
      code = parentKey === "mode" ? "E_MODE" : "E_SCHEMA";
      message = `${field}: found ${describeFound(found)}, expected one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
      break;
    case "minimum":
    case "maximum":
      if (parentKey === "maxSessionDuration") {
        code = "E_MAX_SESSION_DURATION";
        message = `${field}: found ${describeFound(found)}, expected 3600..43200 seconds (1 to 12 hours), the range IAM accepts`;
      }
      break;
    case "minProperties":
    case "maxProperties":
      if (parentKey === "trust") {
        const kinds = Object.keys((found as object) ?? {});
        code = "E_TRUST_KIND";
        message = `${field}: found ${kinds.length === 0 ? "no kind" : `${kinds.length} kinds (${kinds.join(", ")})`}, expected exactly one of service, githubOidc, principals`;
      }
      break;
    case "not":
      if (parentKey === "githubOidc") {
        code = "E_GITHUB_OIDC";
        message = `${field}: found both ref and environment, expected exactly one: the token's subject names either a ref or an environment`;
      }
      break;
    case "minLength":
      code = "E_TYPE";
      message = `${field}: found an empty string, expected text`;
      break;
    case "maxLength":
      message = tooLongProblem(field, String(found), (error.params as { limit: number }).limit);
      break;
    case "minItems":
      code = "E_TYPE";
      message = `${field}: found an empty list, expected at least one entry`;
      break;
    case "propertyNames":
      return undefined; // reported by the pattern error on the name itself
  }
  if (error.keyword === "pattern" && error.propertyName !== undefined) {
    code = "E_IAM_NAME";
    message = policyNameProblem(field, error.propertyName);
    at = [...path, error.propertyName];
    where = "key";
  }
  return { code, message, at, where };
}

/** The message of a value that does not match its field's pattern, by field. */
function patternMessage(path: FieldPath, field: string, found: unknown): { code: Code; message: string } {
  const last = path[path.length - 1];
  const parentKey = typeof last === "number" ? path[path.length - 2] : last;
  switch (parentKey) {
    case "id":
      return { code: "E_ID", message: incidentIdProblem(found) };
    case "account":
      return { code: "E_ACCOUNT", message: accountProblem(found, field) };
    case "userId":
      return { code: "E_IDENTITY_CENTER_USER_ID", message: identityStoreUserIdProblem(field, found) };
    case "cutoff": {
      const { withoutOffset, message } = cutoffProblem(found);
      return { code: withoutOffset ? "E_CUTOFF_OFFSET" : "E_CUTOFF", message };
    }
    case "holdUntil":
      return { code: "E_HOLD_UNTIL", message: holdUntilProblem(found) };
    case "accessKeys":
      return { code: "E_ACCESS_KEY_ID", message: accessKeyProblem(field, typeof found === "string" ? found : "") };
    case "serviceSpecificCredentials":
    case "sshPublicKeys":
    case "signingCertificates":
      return {
        code: "E_CREDENTIAL_ID",
        message: credentialIdProblem(field, parentKey, typeof found === "string" ? found : ""),
      };
    case "deactivateMfaDevices":
      return { code: "E_MFA_SERIAL", message: mfaSerialProblem(field, found) };
    case "name":
      if (typeof found === "string" && invisibleCharacters(found).length > 0)
        return {
          code: "E_INVISIBLE_CHARACTER",
          message: invisibleNameProblem(field, found, invisibleCharacters(found)),
        };
      return { code: "E_IAM_NAME", message: iamNameProblem(field, found) };
    case "service":
      return {
        code: "E_TRUST_SERVICE",
        message: `${field}: found ${describeFound(found)}, expected an AWS service principal such as ec2.amazonaws.com`,
      };
    case "repository":
      return {
        code: "E_GITHUB_OIDC",
        message: `${field}: found ${describeFound(found)}, expected owner/name, such as example/app`,
      };
    case "ref":
      return {
        code: "E_GITHUB_OIDC",
        message: `${field}: found ${describeFound(found)}, expected a full ref without wildcards, such as refs/heads/main`,
      };
    case "environment":
      return {
        code: "E_GITHUB_OIDC",
        message: `${field}: found ${describeFound(found)}, expected an environment name without wildcards or colons, such as prod`,
      };
    case "githubOidc":
      return {
        code: "E_GITHUB_OIDC",
        message: `${field}: found neither ref nor environment, expected exactly one: without it any branch of the repository could assume the role`,
      };
    case "principals":
      return {
        code: "E_TRUST_PRINCIPAL",
        message: `${field}: found ${describeFound(found)}, expected an IAM principal ARN such as arn:aws:iam::210987654321:role/builder`,
      };
    case "managedPolicyArns":
      return {
        code: "E_POLICY_ARN",
        message: `${field}: found ${describeFound(found)}, expected a managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess`,
      };
    default:
      return {
        code: "E_SCHEMA",
        message: `${field}: found ${describeFound(found)}, which does not match the expected format`,
      };
  }
}

/** The invisible characters of a value, once each, as `U+200B`. */
function invisibleCharacters(value: string): string[] {
  const found = Array.from(value).filter(isUnsafeCharacter);
  return [...new Set(found.map((char) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`))];
}

function pointerToPath(pointer: string): FieldPath {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
