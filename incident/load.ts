/**
 * Incident files in, validated incidents or every error out. Pure: text in, data out; the shells
 * read the files and decide how to print. While any file is invalid, no incident is returned at
 * all, so a partial plan can never exist.
 *
 * Each file goes through its YAML (yaml.ts), the scan for secrets, its shape (schema-errors.ts)
 * and the rules of one file; then the rules of every file together run once, over every file that
 * has its shape (rules.ts).
 */
import { describeFound } from "./fields.ts";
import { compareText } from "./order.ts";
import { RULES, type DiagnosticCode, type RawIncident, type Rule, type RuleContext, type ShapedFile } from "./rules.ts";
import { shapeDiagnostics } from "./schema-errors.ts";
import { formatInstant, parseInstant } from "./time.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { AT_CONTAINMENT, type Incident, type ReplacementRoleSpec, type SourceFile } from "./types.ts";
import { parseYaml } from "./yaml.ts";
import { maskSecrets, secretIn, type SecretKind } from "./secrets.ts";

export interface LoadResult {
  /** Empty whenever `errors` is not: no partial result, ever. */
  incidents: Incident[];
  errors: Diagnostic[];
}

export interface LoadOptions {
  /** The instant the cutoff is checked against (`--now`). */
  now: Date;
  /**
   * The organization the project's stacks declare guardrails for, which decides whether a root
   * user can be contained (`RuleContext`). Undefined: not known, and not checked.
   */
  organization?: RuleContext["organization"];
  /** cordon's own repositories (`RuleContext`). Undefined: not known, and not checked. */
  repositories?: RuleContext["repositories"];
}

const rules = Object.entries(RULES) as [DiagnosticCode, Rule][];

/** Validates every file, then the rules that span files. */
export function loadIncidents(files: SourceFile[], options: LoadOptions): LoadResult {
  const errors: Diagnostic[] = [];
  const shaped: ShapedFile[] = [];
  for (const file of [...files].sort((a, b) => compareText(a.path, b.path))) {
    const result = loadOne(file, options);
    errors.push(...result.errors);
    if (result.shaped) shaped.push(result.shaped);
  }
  for (const [code, rule] of rules) {
    rule.files?.(shaped, (f, path, message) => {
      const pos = f.locate(path);
      errors.push({ file: f.file, line: pos.line, col: pos.col, code, message });
    });
  }
  // Messages quote what they found; a secret pasted into the wrong field must not be quoted back.
  for (const error of errors) error.message = maskSecrets(error.message);
  errors.sort(
    (a, b) =>
      compareText(a.file, b.file) ||
      a.line - b.line ||
      a.col - b.col ||
      compareText(a.code, b.code) ||
      compareText(a.message, b.message),
  );
  if (errors.length > 0) return { incidents: [], errors };
  return { incidents: shaped.map((f) => f.incident).sort((a, b) => compareText(a.id, b.id)), errors: [] };
}

/** One file's errors, and the file itself once it has the schema's shape. */
function loadOne(file: SourceFile, options: LoadOptions): { shaped?: ShapedFile; errors: Diagnostic[] } {
  const yaml = parseYaml(file);
  if (!yaml.parsed) return { errors: yaml.errors };
  const { value, locate } = yaml.parsed;

  const secretErrors: Diagnostic[] = secretLines(file.text).map(({ line, kind }) => ({
    file: file.path,
    line,
    col: 1,
    code: "E_SECRET",
    message: SECRET_LINE[kind],
  }));
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) {
    return {
      errors: [
        ...secretErrors,
        {
          file: file.path,
          line: 1,
          col: 1,
          code: "E_TYPE",
          message: `file: found ${describeFound(value)}, expected a mapping with id, title, account, cutoff and users or roles`,
        },
      ],
    };
  }
  const shapeErrors = shapeDiagnostics(yaml.parsed, file.path);
  if (shapeErrors.length > 0) return { errors: [...secretErrors, ...shapeErrors] };

  const raw = value as RawIncident;
  const shaped: ShapedFile = { file: file.path, raw, incident: normalise(raw, file.path), locate };
  const ruleErrors: Diagnostic[] = [];
  for (const [code, rule] of rules) {
    rule.file?.(
      shaped,
      (path, message, where = "value") => {
        const pos = locate(path, where);
        ruleErrors.push({ file: file.path, line: pos.line, col: pos.col, code, message });
      },
      options.now,
      { organization: options.organization, repositories: options.repositories },
    );
  }
  return { shaped, errors: [...secretErrors, ...ruleErrors] };
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
    users: (raw.users ?? []).map((user) => ({
      name: user.name,
      account: user.account ?? raw.account,
      accessKeys: user.accessKeys ?? [],
      keep: {
        accessKeys: [...(user.keep?.accessKeys ?? [])].sort(),
        serviceSpecificCredentials: [...(user.keep?.serviceSpecificCredentials ?? [])].sort(),
        sshPublicKeys: [...(user.keep?.sshPublicKeys ?? [])].sort(),
        signingCertificates: [...(user.keep?.signingCertificates ?? [])].sort(),
        consolePassword: user.keep?.consolePassword === true,
      },
      deactivateMfaDevices: [...(user.deactivateMfaDevices ?? [])].sort(),
    })),
    roles: (raw.roles ?? []).map((role) => ({ name: role.name, account: role.account ?? raw.account })),
    organization: { scp: raw.organization?.scp === true, rcp: raw.organization?.rcp === true },
    // AWS issues identity store ids in lowercase, and the SCP compares them with StringEquals,
    // which is case-sensitive: a pasted uppercase id would match no session.
    identityCenterUsers: (raw.identityCenterUsers ?? []).map((user) => ({ userId: user.userId.toLowerCase() })),
    rootUsers: (raw.rootUsers ?? [])
      .map((root) => ({ account: root.account, deleteAccessKeys: root.deleteAccessKeys === true }))
      .sort((a, b) => compareText(a.account, b.account)),
    replacementRoles,
    ...(raw.ticket !== undefined ? { ticket: raw.ticket } : {}),
    ...(raw.owner !== undefined ? { owner: raw.owner } : {}),
  };
}

/** What E_SECRET says of a line, by what it holds. */
const SECRET_LINE: Record<SecretKind, string> = {
  "secret access key":
    "this line looks like a secret access key (not shown): never commit a secret; remove it, and treat the key as exposed",
  "session token":
    "this line looks like a session token (not shown): never commit a secret; remove it, and treat the session as exposed: the cutoff of an incident listing the user or role it belongs to revokes it",
};

/** Lines that hold something shaped like a secret, and what: only their numbers are kept, never the text. */
function secretLines(text: string): { line: number; kind: SecretKind }[] {
  const lines: { line: number; kind: SecretKind }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const kind = secretIn(line);
    if (kind !== undefined) lines.push({ line: i + 1, kind });
  });
  return lines;
}
