/**
 * Incident files in, validated incidents or every error out. Pure: text in, data out; the shells
 * read the files and decide how to print. While any file is invalid, no incident is returned at
 * all, so a partial plan can never exist.
 */
import { Ajv, type ErrorObject } from "ajv";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import schema from "../schema/incident.schema.json" with { type: "json" };
import { computeExpiry } from "./expiry.ts";
import {
  accessKeyProblem,
  accountProblem,
  cutoffProblem,
  describeFound as describe,
  fieldName,
  holdUntilProblem,
  iamNameProblem,
  incidentIdProblem,
  isSecretShaped,
  policyNameProblem,
  SECRET_ACCESS_KEY_IN_TEXT,
  type FieldPath as Path,
} from "./fields.ts";
import { compareText } from "./order.ts";
import { formatInstant, parseInstant } from "./time.ts";
import { AT_CONTAINMENT, type Diagnostic, type Incident, type Mode, type ReplacementRoleSpec, type Trust } from "./types.ts";

/** IAM and CI files stay small; a larger file is a mistake or an attack on the parser. */
export const MAX_FILE_BYTES = 64 * 1024;
/** Aliases are legal YAML, but a few hundred expand into millions of nodes (the "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;
/** A clock skew allowance: a cutoff may be a little ahead of `now`, never hours. */
export const MAX_CUTOFF_SKEW_MS = 5 * 60_000;

export interface SourceFile {
  /** As shown in errors: relative to the working directory. */
  path: string;
  text: string;
}

export interface LoadResult {
  /** Empty whenever `errors` is not: no partial result, ever. */
  incidents: Incident[];
  errors: Diagnostic[];
}

export interface LoadOptions {
  /** The instant the cutoff is checked against (`--now`). */
  now: Date;
}

const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true });
const validateShape = ajv.compile(schema);

/** Validates every file, then the rules that span files. */
export function loadIncidents(files: SourceFile[], options: LoadOptions): LoadResult {
  const errors: Diagnostic[] = [];
  const parsed: Parsed[] = [];
  for (const file of [...files].sort((a, b) => compareText(a.path, b.path))) {
    const result = loadOne(file, options);
    errors.push(...result.errors);
    if (result.parsed) parsed.push(result.parsed);
  }
  errors.push(...crossFileErrors(parsed));
  // Messages quote what they found; a secret pasted into the wrong field must not be quoted back.
  for (const error of errors) error.message = maskSecrets(error.message);
  errors.sort((a, b) => compareText(a.file, b.file) || a.line - b.line || a.col - b.col || compareText(a.code, b.code) || compareText(a.message, b.message));
  if (errors.length > 0) return { incidents: [], errors };
  return { incidents: parsed.map((p) => p.incident).sort((a, b) => compareText(a.id, b.id)), errors: [] };
}

interface Parsed {
  incident: Incident;
  locate: Locator;
}

type Locator = (path: Path, at?: "key" | "value") => { line: number; col: number };

function loadOne(file: SourceFile, options: LoadOptions): { parsed?: Parsed; errors: Diagnostic[] } {
  const diagnostic = (line: number, col: number, code: string, message: string): Diagnostic => ({ file: file.path, line, col, code, message });

  const bytes = Buffer.byteLength(file.text, "utf8");
  if (bytes > MAX_FILE_BYTES) {
    return { errors: [diagnostic(1, 1, "E_FILE_TOO_LARGE", `file has more than ${MAX_FILE_BYTES} bytes (64 KiB), expected a small file: an incident declares a few principals and keys`)] };
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(file.text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((error) => {
        const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
        const summary = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        if (error.code === "DUPLICATE_KEY") {
          const key = /^\s*(?:-\s+)?["']?([^"':]+)["']?\s*:/.exec(file.text.split(/\r?\n/)[pos.line - 1] ?? "")?.[1];
          return diagnostic(pos.line, pos.col, "E_DUPLICATE_KEY", `duplicate field${key ? ` "${key}"` : ""}: a repeated field would silently override the first one`);
        }
        return diagnostic(pos.line, pos.col, "E_YAML_SYNTAX", summary);
      }),
    };
  }

  const locate = locator(doc, lineCounter);
  const secrets = secretLines(file.text);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const pos = firstAlias(doc, lineCounter);
    return { errors: [diagnostic(pos.line, pos.col, "E_ALIAS_LIMIT", `aliases expand into more than ${MAX_ALIAS_COUNT} nodes (${(error as Error).message}): write the values out`)] };
  }
  const secretErrors = secrets.map((line) =>
    diagnostic(line, 1, "E_SECRET", "this line looks like a secret access key (not shown): never commit a secret; remove it, and treat the key as exposed"),
  );

  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) {
    return { errors: [...secretErrors, diagnostic(1, 1, "E_TYPE", `file: found ${describe(value)}, expected a mapping with id, title, account, cutoff and users or roles`)] };
  }

  const shapeErrors = validateShape(value) ? [] : schemaDiagnostics(validateShape.errors ?? [], locate, sourceOf(doc), diagnostic);
  if (shapeErrors.length > 0) return { errors: [...secretErrors, ...shapeErrors] };

  const raw = value as RawIncident;
  const incident = normalise(raw, file.path);
  const ruleErrors = incidentRuleErrors(raw, incident, file.path, options, locate, diagnostic);
  const errors = [...secretErrors, ...ruleErrors];
  return errors.length > 0 ? { errors } : { parsed: { incident, locate }, errors: [] };
}

interface RawIncident {
  id: string;
  title: string;
  account: string;
  cutoff: string;
  mode?: Mode;
  holdUntil?: string;
  users?: { name: string; accessKeys?: string[] }[];
  roles?: { name: string }[];
  replacementRoles?: { name: string; trust: Trust; managedPolicyArns?: string[]; inlinePolicies?: Record<string, unknown>; maxSessionDuration?: number }[];
  ticket?: string;
  owner?: string;
}

function normalise(raw: RawIncident, file: string): Incident {
  // Rounded up to the whole second: IAM compares whole seconds, and rounding up denies a
  // sub-second more, never less.
  const instant = (text: string) => {
    const date = parseInstant(text);
    return date ? formatInstant(new Date(Math.ceil(date.getTime() / 1000) * 1000)) : text;
  };
  const replacementRoles: ReplacementRoleSpec[] = (raw.replacementRoles ?? []).map((role) => ({
    name: role.name,
    trust: role.trust,
    managedPolicyArns: [...new Set(role.managedPolicyArns ?? [])].sort(),
    inlinePolicies: role.inlinePolicies ?? {},
    maxSessionDuration: role.maxSessionDuration ?? 3600,
  }));
  return {
    id: raw.id,
    file,
    title: raw.title,
    account: raw.account,
    cutoff: raw.cutoff === AT_CONTAINMENT ? AT_CONTAINMENT : instant(raw.cutoff),
    mode: raw.mode ?? "revoke-older-sessions",
    ...(raw.holdUntil !== undefined ? { holdUntil: instant(raw.holdUntil) } : {}),
    users: (raw.users ?? []).map((user) => ({ name: user.name, accessKeys: user.accessKeys ?? [] })),
    roles: (raw.roles ?? []).map((role) => ({ name: role.name })),
    replacementRoles,
    ...(raw.ticket !== undefined ? { ticket: raw.ticket } : {}),
    ...(raw.owner !== undefined ? { owner: raw.owner } : {}),
  };
}

type MakeDiagnostic = (line: number, col: number, code: string, message: string) => Diagnostic;

/** The rules the schema cannot say: they need the file name, the clock or several fields at once. */
function incidentRuleErrors(raw: RawIncident, incident: Incident, file: string, options: LoadOptions, locate: Locator, diagnostic: MakeDiagnostic): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const at = (path: Path, code: string, message: string, where: "key" | "value" = "value") => {
    const pos = locate(path, where);
    errors.push(diagnostic(pos.line, pos.col, code, message));
  };

  const stem = baseName(file).replace(/\.ya?ml$/i, "");
  if (raw.id !== stem) at(["id"], "E_ID_FILENAME", `id: found "${raw.id}", expected "${stem}" (the file name without .yaml): the file name is how reviewers and guard find an incident`);

  if (raw.cutoff !== AT_CONTAINMENT) {
    const cutoff = parseInstant(raw.cutoff);
    if (!cutoff) {
      at(["cutoff"], "E_CUTOFF", `cutoff: found "${raw.cutoff}", which is not a real instant; expected an RFC 3339 instant with offset such as 2026-11-28T10:00:00Z`);
    } else if (cutoff.getTime() - options.now.getTime() > MAX_CUTOFF_SKEW_MS) {
      at(["cutoff"], "E_CUTOFF_FUTURE", `cutoff: found ${formatInstant(cutoff)}, more than 5 minutes after now (${formatInstant(options.now)}): a future cutoff would deny sessions that were minted after containment; use the instant the key was disabled, or at-containment`);
    }
  }

  if (raw.holdUntil !== undefined) {
    const hold = parseInstant(raw.holdUntil);
    if (!hold) {
      at(["holdUntil"], "E_HOLD_UNTIL", `holdUntil: found "${raw.holdUntil}", which is not a real instant; expected an RFC 3339 instant with offset`);
    } else {
      const computed = computeExpiry({ ...incident, holdUntil: undefined });
      if (computed !== null && hold.getTime() < Date.parse(computed)) {
        at(["holdUntil"], "E_HOLD_UNTIL", `holdUntil: found ${formatInstant(hold)}, earlier than the computed expiry ${computed}: holdUntil can only extend an incident, never shorten it`);
      }
    }
  }

  const users = raw.users ?? [];
  const roles = raw.roles ?? [];
  if (users.length + roles.length === 0) {
    at([], "E_NO_PRINCIPAL", "no principal: expected at least one entry under users or roles; an incident without principals would change nothing");
  }

  const seenUsers = new Map<string, number>();
  const seenKeys = new Map<string, string>();
  users.forEach((user, i) => {
    const folded = user.name.toLowerCase();
    if (folded === "root") {
      at(["users", i, "name"], "E_ROOT_USER", `user "${user.name}": root credentials cannot be restricted by IAM policies; rotate or delete root access keys in the console (Security credentials) and enable MFA on the root user`);
    }
    // IAM names are unique case-insensitively: "Deploy" and "deploy" are one user.
    if (seenUsers.has(folded)) at(["users", i, "name"], "E_DUPLICATE_PRINCIPAL", `users[${i}].name: user "${user.name}" is already listed as users[${seenUsers.get(folded)}]: list each user once`);
    else seenUsers.set(folded, i);
    (user.accessKeys ?? []).forEach((key, k) => {
      const owner = seenKeys.get(key);
      if (owner !== undefined && owner !== user.name) {
        at(["users", i, "accessKeys", k], "E_KEY_TWO_USERS", `users[${i}].accessKeys[${k}]: key ${key} is also listed under user "${owner}": an access key belongs to exactly one user`);
      } else if (owner !== undefined) {
        at(["users", i, "accessKeys", k], "E_DUPLICATE_KEY_ID", `users[${i}].accessKeys[${k}]: key ${key} is listed twice for user "${user.name}"`);
      } else {
        seenKeys.set(key, user.name);
      }
    });
  });

  const seenRoles = new Map<string, number>();
  roles.forEach((role, i) => {
    const folded = role.name.toLowerCase();
    const problem = roleCannotCarryPolicies(role.name);
    if (problem) at(["roles", i, "name"], problem.code, `roles[${i}].name "${role.name}": ${problem.message}`);
    if (seenRoles.has(folded)) at(["roles", i, "name"], "E_DUPLICATE_PRINCIPAL", `roles[${i}].name: role "${role.name}" is already listed as roles[${seenRoles.get(folded)}]: list each role once`);
    else seenRoles.set(folded, i);
  });

  const seenReplacements = new Map<string, number>();
  (raw.replacementRoles ?? []).forEach((role, i) => {
    const folded = role.name.toLowerCase();
    if (seenRoles.has(folded)) {
      at(["replacementRoles", i, "name"], "E_REPLACEMENT_ROLE_CONFLICT", `replacementRoles[${i}].name: "${role.name}" is also listed under roles: a replacement role is a new, clean access path and must not be one of the compromised roles`);
    }
    if (seenReplacements.has(folded)) at(["replacementRoles", i, "name"], "E_REPLACEMENT_ROLE_CONFLICT", `replacementRoles[${i}].name: "${role.name}" is already declared as replacementRoles[${seenReplacements.get(folded)}]`);
    else seenReplacements.set(folded, i);
    const problem = roleCannotCarryPolicies(role.name);
    if (problem) at(["replacementRoles", i, "name"], "E_IAM_NAME", `replacementRoles[${i}].name "${role.name}": names starting with AWSServiceRoleFor or AWSReservedSSO_ are reserved for roles that AWS manages`);
  });
  return errors;
}

function roleCannotCarryPolicies(name: string): { code: string; message: string } | undefined {
  if (name.startsWith("AWSServiceRoleFor")) {
    return {
      code: "E_SERVICE_LINKED_ROLE",
      message:
        "service-linked roles (path /aws-service-role/) cannot carry customer policies: a service assumes them, not the exposed key; restrict what the key can do with the service instead (a service control policy), and review in CloudTrail what the key did with that service",
    };
  }
  if (name.startsWith("AWSReservedSSO_")) {
    return {
      code: "E_SSO_ROLE",
      message:
        "IAM Identity Center roles cannot carry policies: Identity Center owns them and reverts changes; remove the user's access or change the permission set in IAM Identity Center, and revoke its active sessions there",
    };
  }
  return undefined;
}

/** Rules between files: ids, keys and replacement roles must not collide across incidents. */
function crossFileErrors(parsed: Parsed[]): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const push = (p: Parsed, path: Path, code: string, message: string) => {
    const pos = p.locate(path);
    errors.push({ file: p.incident.file, line: pos.line, col: pos.col, code, message });
  };
  const ids = new Map<string, Parsed>();
  const keys = new Map<string, { user: string; file: string }>();
  const replacements = new Map<string, string>();
  const compromisedRoles = new Map<string, string>();
  for (const p of parsed) {
    for (const role of p.incident.roles) compromisedRoles.set(`${p.incident.account}/${role.name.toLowerCase()}`, p.incident.file);
  }
  // The plan names a principal's resources after its first spelling (by incident id): a second
  // spelling, added later, would rename them, and Pulumi would write the new policy and then
  // delete the old one, which IAM, ignoring case, takes to be the same.
  const spellings = new Map<string, { name: string; file: string }>();
  const spelling = (p: Parsed, type: "user" | "role", path: Path, name: string) => {
    const key = `${p.incident.account}/${type}/${name.toLowerCase()}`;
    const first = spellings.get(key);
    if (!first) spellings.set(key, { name, file: p.incident.file });
    else if (first.name !== name) {
      push(p, path, "E_PRINCIPAL_SPELLING", `${fieldName(path)}: ${type} "${name}" is spelled "${first.name}" in ${first.file}: spell a principal the same way in every incident (IAM ignores case, but cordon's resource names do not)`);
    }
  };
  for (const p of parsed) {
    const { incident } = p;
    const first = ids.get(incident.id);
    if (first) push(p, ["id"], "E_DUPLICATE_ID", `id "${incident.id}" is also the id of ${first.incident.file}: incident ids must be unique`);
    else ids.set(incident.id, p);
    incident.users.forEach((user, i) => spelling(p, "user", ["users", i, "name"], user.name));
    incident.roles.forEach((role, i) => spelling(p, "role", ["roles", i, "name"], role.name));

    incident.users.forEach((user, i) => {
      user.accessKeys.forEach((key, k) => {
        const owner = keys.get(key);
        if (owner && owner.user.toLowerCase() !== user.name.toLowerCase()) {
          push(p, ["users", i, "accessKeys", k], "E_KEY_TWO_USERS", `users[${i}].accessKeys[${k}]: key ${key} is listed under user "${owner.user}" in ${owner.file}: an access key belongs to exactly one user`);
        } else if (!owner) {
          keys.set(key, { user: user.name, file: incident.file });
        }
      });
    });

    incident.replacementRoles.forEach((role, i) => {
      const key = `${incident.account}/${role.name.toLowerCase()}`;
      const other = replacements.get(key);
      if (other) push(p, ["replacementRoles", i, "name"], "E_REPLACEMENT_ROLE_CONFLICT", `replacementRoles[${i}].name: "${role.name}" is also declared in ${other}: declare a replacement role in one incident only`);
      else replacements.set(key, incident.file);
      const compromised = compromisedRoles.get(key);
      if (compromised && compromised !== incident.file) {
        push(p, ["replacementRoles", i, "name"], "E_REPLACEMENT_ROLE_CONFLICT", `replacementRoles[${i}].name: "${role.name}" is a compromised role in ${compromised}: a replacement role must be a new, clean access path`);
      }
    });
  }
  return errors;
}

/** Field-specific wording for schema errors: the field, what was found, what is expected. */
function schemaDiagnostics(errors: ErrorObject[], locate: Locator, source: (path: Path) => string | undefined, diagnostic: MakeDiagnostic): Diagnostic[] {
  // anyOf/not branches produce one error per branch; the anyOf error itself says it once.
  const relevant = errors.filter((e) => !/\/anyOf\/\d+\//.test(e.schemaPath) && !/\/not\//.test(e.schemaPath));
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of relevant) {
    const path = pointerToPath(error.instancePath);
    const field = fieldName(path);
    const found = error.data;
    let code = "E_SCHEMA";
    let message = `${field || "file"}: ${error.message ?? "is invalid"}`;
    let where: "key" | "value" = "value";
    let at = path;
    const last = path[path.length - 1];
    const parentKey = typeof last === "number" ? path[path.length - 2] : last;

    switch (error.keyword) {
      case "additionalProperties": {
        const name = String((error.params as { additionalProperty: string }).additionalProperty);
        const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
        const hint = suggest(name, allowed);
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
        message = `${field}: found ${describe(found)}, expected ${article} ${expected}`;
        if (parentKey === "account" && typeof found === "number") message += ` (quote it: account: "${source(path) ?? found}"; unquoted, YAML reads a number and drops leading zeros)`;
        break;
      }
      case "pattern":
      case "const":
      case "anyOf":
        ({ code, message } = patternMessage(path, field, found));
        break;
      case "enum":
        code = parentKey === "mode" ? "E_MODE" : "E_SCHEMA";
        message = `${field}: found ${describe(found)}, expected one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
        break;
      case "minimum":
      case "maximum":
        if (parentKey === "maxSessionDuration") {
          code = "E_MAX_SESSION_DURATION";
          message = `${field}: found ${describe(found)}, expected 3600..43200 seconds (1 to 12 hours), the range IAM accepts`;
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
      case "minItems":
        code = "E_TYPE";
        message = `${field}: found an empty list, expected at least one entry`;
        break;
      case "propertyNames":
        continue; // reported by the pattern error on the name itself
    }
    if (error.keyword === "pattern" && error.propertyName !== undefined) {
      code = "E_IAM_NAME";
      message = policyNameProblem(field, error.propertyName);
      at = [...path, error.propertyName];
      where = "key";
    }
    const pos = locate(at, where);
    const text = `${pos.line}:${pos.col}:${code}:${message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push(diagnostic(pos.line, pos.col, code, message));
  }
  return out;
}

function patternMessage(path: Path, field: string, found: unknown): { code: string; message: string } {
  const last = path[path.length - 1];
  const parentKey = typeof last === "number" ? path[path.length - 2] : last;
  switch (parentKey) {
    case "id":
      return { code: "E_ID", message: incidentIdProblem(found) };
    case "account":
      return { code: "E_ACCOUNT", message: accountProblem(found) };
    case "cutoff": {
      const { withoutOffset, message } = cutoffProblem(found);
      return { code: withoutOffset ? "E_CUTOFF_OFFSET" : "E_CUTOFF", message };
    }
    case "holdUntil":
      return { code: "E_HOLD_UNTIL", message: holdUntilProblem(found) };
    case "accessKeys":
      return { code: "E_ACCESS_KEY_ID", message: accessKeyProblem(field, typeof found === "string" ? found : "") };
    case "name":
      return { code: "E_IAM_NAME", message: iamNameProblem(field, found) };
    case "service":
      return { code: "E_TRUST_SERVICE", message: `${field}: found ${describe(found)}, expected an AWS service principal such as ec2.amazonaws.com` };
    case "repository":
      return { code: "E_GITHUB_OIDC", message: `${field}: found ${describe(found)}, expected owner/name, such as example/app` };
    case "ref":
      return { code: "E_GITHUB_OIDC", message: `${field}: found ${describe(found)}, expected a full ref without wildcards, such as refs/heads/main` };
    case "environment":
      return { code: "E_GITHUB_OIDC", message: `${field}: found ${describe(found)}, expected an environment name without wildcards or colons, such as prod` };
    case "githubOidc":
      return { code: "E_GITHUB_OIDC", message: `${field}: found neither ref nor environment, expected exactly one: without it any branch of the repository could assume the role` };
    case "principals":
      return { code: "E_TRUST_PRINCIPAL", message: `${field}: found ${describe(found)}, expected an IAM principal ARN such as arn:aws:iam::210987654321:role/builder` };
    case "managedPolicyArns":
      return { code: "E_POLICY_ARN", message: `${field}: found ${describe(found)}, expected a managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess` };
    default:
      return { code: "E_SCHEMA", message: `${field}: found ${describe(found)}, which does not match the expected format` };
  }
}

/** The text with every secret-shaped token replaced: what a message may quote from a file. */
export function maskSecrets(text: string): string {
  return text.replace(SECRET_ACCESS_KEY_IN_TEXT, (token) => (isSecretShaped(token) ? "(secret not shown)" : token));
}

/**
 * Lines that hold something shaped like a secret access key: 40 characters of base64 with mixed case
 * (a hex digest, also 40 long, is all one case). Only their line numbers are kept, never the text.
 */
function secretLines(text: string): number[] {
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    for (const match of line.matchAll(SECRET_ACCESS_KEY_IN_TEXT)) {
      if (isSecretShaped(match[0])) {
        lines.push(i + 1);
        break;
      }
    }
  });
  return lines;
}

function locator(doc: Document, lineCounter: LineCounter): Locator {
  return (path, where = "value") => {
    // Walk as far as the path exists: a missing field is reported where its parent is.
    let node: unknown = doc.contents;
    let keyNode: unknown;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
        keyNode = undefined;
        node = node.items[segment];
      } else {
        break;
      }
    }
    const target = (where === "key" && keyNode ? keyNode : node ?? keyNode) as Node | undefined;
    const offset = target?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
}

/** The text of a scalar as written in the file (before YAML turned it into a number). */
function sourceOf(doc: Document): (path: Path) => string | undefined {
  return (path) => {
    const node = doc.getIn(path, true);
    return isScalar(node) && typeof node.source === "string" ? node.source : undefined;
  };
}

function firstAlias(doc: Document, lineCounter: LineCounter) {
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return lineCounter.linePos(offset);
}

function pointerToPath(pointer: string): Path {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function suggest(name: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
