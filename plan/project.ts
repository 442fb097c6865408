/**
 * The Pulumi project as cordon reads it: the one reader of `Pulumi.yaml` and of the stack files
 * `Pulumi.<stack>.yaml`. It returns every `cordon:*` setting, checked, and every problem as data,
 * each located (`FILE:LINE:COL CODE message`); the CLI, guard and the accounts matrix read the
 * files through it, and the program passes it the configuration Pulumi's engine gives it
 * (`stackSettingsFromEngine`), so that a setting has one check and one message wherever it is read.
 *
 * One stack per account, named `<prefix>-<account>` (the prefix is `cordon:stackPrefix`, default
 * `prod`), and at most one stack configured with `cordon:organization`, which declares the
 * organization guardrails. Pure: file texts in, settings and problems out.
 * @see https://www.pulumi.com/docs/iac/concepts/config/
 * @see ../docs/organization.md
 */
import { isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document } from "yaml";
import { ACCOUNT_ID, describeFound, IAM_NAME, iamNameKey, IDENTITY_STORE_USER_ID } from "../incident/fields.ts";
import { compareText } from "../incident/order.ts";
import { closestName } from "../incident/spelling.ts";
import { AT_CONTAINMENT, type Incident, type SourceFile } from "../incident/types.ts";
import {
  capYamlErrors,
  HOSTILE_YAML_OPTIONS,
  MAX_ALIAS_COUNT,
  MAX_FILE_BYTES,
  yamlErrorSummary,
} from "../incident/yaml.ts";
import { GITHUB_REPOSITORY } from "./auto-contain.ts";
import { containmentOwner } from "./containment.ts";
import { parseOrganizationConfig, type OrganizationConfig } from "./organization.ts";
import { accountsOf } from "./accounts.ts";

/**
 * The prefix of every stack's name when the project does not set `cordon:stackPrefix`.
 * @default "prod"
 */
export const DEFAULT_STACK_PREFIX = "prod";

/** A stack name prefix: what Pulumi allows in a stack name, short enough to leave room for the account. */
export const STACK_PREFIX = /^[A-Za-z0-9_.-]{1,80}$/;

/**
 * The folder of incident files when `cordon:incidentsDir` is not set, relative to the project
 * folder: where the program, `new`, every command without a PATH and guard read them.
 * @default "incidents"
 */
export const DEFAULT_INCIDENTS_DIR = "incidents";

/**
 * Every name Pulumi finds a project file by (`Pulumi.json`, then `Pulumi.yaml`, then `Pulumi.yml`),
 * and every name it may read a stack's settings from (`Pulumi.<stack>` and the project file's
 * extension): the shells hand the reader each such file, which reads `Pulumi.yaml` and
 * `Pulumi.<stack>.yaml` and refuses the others (`E_PROJECT_FILE`), so that guard never judges a
 * file Pulumi does not read, nor misses one it does.
 * @see https://github.com/pulumi/pulumi/blob/master/sdk/go/common/workspace/paths.go (findProjectInDir, ProjectStackPath)
 */
export const PROJECT_FILE = /^Pulumi\.(json|ya?ml)$/;
export const STACK_FILE = /^Pulumi\.(.+)\.(json|ya?ml)$/;
/** The only project file cordon reads, and the extension it gives the stack files. */
const READ_PROJECT_FILE = "Pulumi.yaml";
const READ_EXTENSION = ".yaml";

/** The stack that deploys an account's share: `<prefix>-<account>`. */
export function stackName(prefix: string, account: string): string {
  return `${prefix}-${account}`;
}

/**
 * A principal no change that skips review may deny everything or put under a guardrail
 * (`guard --additive`), written `role/NAME` or `user/NAME` (in any account; IAM compares names
 * ignoring case) or `identityCenterUser/USER-ID`.
 */
export type ProtectedPrincipal =
  | { type: "user" | "role"; name: string }
  | { type: "identityCenterUser"; userId: string };

/** What one stack deploys, from its file and the project's defaults. */
export interface StackSettings {
  /** The stack's name, from its file's name: always `<prefix>-<account>` (others are refused). */
  name: string;
  /** The stack file, as given. */
  file: string;
  /** `cordon:account`: the account it deploys. */
  account: string;
  /**
   * `cordon:incidentsDir`: the folder it reads incidents from, relative to the project folder,
   * `/`-separated, without `./` or a trailing `/` (`""`: the project folder itself).
   */
  incidentsDir: string;
  /** `cordon:organization`: where it attaches the guardrails; null for every stack but the organization's. */
  organization: OrganizationConfig | null;
  /** `cordon:autoContain` with `cordon:autoContainRepository`; null when off. */
  autoContain: { repository: string } | null;
  /** The stack file imports ESC environments: config they set is not seen here. */
  environments: boolean;
}

/** The stack configured with `cordon:organization`. */
export interface OrganizationStack {
  /**
   * The account it deploys: the management account, or a delegated administrator for
   * Organizations' policies (and for IAM, whose centralized root access deletes root access keys).
   */
  account: string;
  stack: string;
  file: string;
  config: OrganizationConfig;
}

/** A located problem of `Pulumi.yaml` or a stack file. */
export interface ProjectProblem {
  file: string;
  line: number;
  col: number;
  code: ProjectProblemCode;
  message: string;
}

/** Every problem the reader reports, by code, and what a valid project satisfies. */
export const PROJECT_RULES = {
  E_PROJECT_YAML:
    "a project or stack file is YAML (64 KiB at most, no repeated key, aliases within 100 nodes), a mapping, and its config a mapping",
  E_SETTING_UNKNOWN: "every cordon:* key is a setting cordon reads",
  E_SETTING: "every cordon:* setting has the value its check expects, in a file where it may be set",
  E_SETTING_MISSING: "every stack file sets cordon:account (or the project gives a default)",
  E_ORGANIZATION_STACK: "one stack at most sets cordon:organization",
  E_STACK_NAME:
    "every stack file is Pulumi.<prefix>-<account>.yaml for the account it deploys: the one stack of it the workflows deploy, and the only name the program runs under",
  E_PROJECT_FILE:
    "the project is Pulumi.yaml, its stack files Pulumi.<stack>.yaml beside it, and no merge key (<<), no stackConfigDir: the files, and the reading, Pulumi's CLI uses",
} as const;
export type ProjectProblemCode = keyof typeof PROJECT_RULES;

/** The project: its defaults and every stack, checked. */
export interface Project {
  /**
   * Pulumi.yaml's `name`: the project every stack belongs to (a stack is found as
   * `<organization>/<project>/<stack>`), and the namespace of a key written without one.
   */
  name?: string;
  /** `cordon:stackPrefix` (Pulumi.yaml only). */
  stackPrefix: string;
  /** The project's `cordon:incidentsDir`: where commands without a PATH read incidents. */
  incidentsDir: string;
  /** `cordon:protectedPrincipals` (Pulumi.yaml only), as written, deduplicated. */
  protectedPrincipals: ProtectedPrincipal[];
  /** Every stack whose file has no problem, sorted by file. */
  stacks: StackSettings[];
  organization?: OrganizationStack;
  /** The accounts the stack files name, sorted: their stacks run even with no incident left. */
  stackAccounts: string[];
  problems: ProjectProblem[];
}

// ---- The settings: each one's check, and where it may be set.

/** A setting's check: its value, or one message per problem. */
type Check<T> = (value: unknown) => { value: T } | { problems: string[] };

interface Setting<T> {
  /** `project`: Pulumi.yaml only (it concerns every stack); `any`: a stack file, or a default in Pulumi.yaml. */
  where: "project" | "any";
  /** How the engine passes it: as text (strings, numbers), or as JSON text (lists, mappings, booleans). */
  engine: "text" | "json";
  check: Check<T>;
}

/** `cordon:KEY: found VALUE, expected WHAT`: every setting's problem says it so. */
const found = (key: string, value: unknown, expected: string) =>
  `cordon:${key}: found ${describeFound(value)}, expected ${expected}`;

const text =
  (key: string, expected: string, test: (value: string) => boolean): Check<string> =>
  (value) =>
    typeof value === "string" && test(value) ? { value } : { problems: [found(key, value, expected)] };

/** A key cordon does not read, with the one it most likely meant. */
function unknownSetting(key: string): string {
  const hint = closestName(key, SETTING_NAMES);
  const meant = hint === undefined ? "" : ` (did you mean cordon:${hint}?)`;
  return `cordon:${key}: cordon reads no such setting${meant}; expected one of ${SETTING_NAMES.map((n) => `cordon:${n}`).join(", ")}`;
}

const MISSING_ACCOUNT =
  "cordon:account: not set, expected the 12-digit AWS account id this stack deploys (pulumi config set cordon:account 123456789012)";
const MISSING_REPOSITORY =
  "cordon:autoContainRepository: not set, expected the repository that holds the contain workflow, as owner/name: cordon:autoContain is true";

/** A folder inside the project, normalised; undefined when it leaves the project or is not relative. */
export function projectFolder(dir: string): string | undefined {
  if (dir.startsWith("/") || dir.startsWith("\\") || /^[A-Za-z]:/.test(dir)) return undefined;
  const parts: string[] = [];
  for (const part of dir.split(/[\\/]+/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

/** `role/NAME`, `user/NAME`, `identityCenterUser/USER-ID`. */
export function parseProtectedPrincipal(entry: string): ProtectedPrincipal | undefined {
  const slash = entry.indexOf("/");
  const [type, rest] = [entry.slice(0, slash), entry.slice(slash + 1)];
  if ((type === "role" || type === "user") && IAM_NAME.test(rest)) return { type, name: rest };
  if (type === "identityCenterUser" && IDENTITY_STORE_USER_ID.test(rest)) return { type, userId: rest.toLowerCase() };
  return undefined;
}

const SETTINGS = {
  account: {
    where: "any",
    engine: "text",
    check: (value) => {
      if (typeof value === "string" && ACCOUNT_ID.test(value)) return { value };
      const unquoted = typeof value === "number" ? ": unquoted, YAML reads a number and drops leading zeros" : "";
      return {
        problems: [
          found("account", value, `the 12-digit AWS account id the stack deploys, quoted ("123456789012")${unquoted}`),
        ],
      };
    },
  } satisfies Setting<string>,
  incidentsDir: {
    where: "any",
    engine: "text",
    check: (value) => {
      if (typeof value !== "string") {
        return {
          problems: [found("incidentsDir", value, "a folder relative to the project folder, such as incidents")],
        };
      }
      const folder = projectFolder(value);
      if (folder === undefined) {
        const why = "guard judges what each stack applies from the repository, and cannot see outside it";
        return {
          problems: [found("incidentsDir", value, `a folder inside the project (relative, not above it): ${why}`)],
        };
      }
      return { value: folder };
    },
  } satisfies Setting<string>,
  stackPrefix: {
    where: "project",
    engine: "text",
    check: text("stackPrefix", "1 to 80 of letters, digits and _.-", (value) => STACK_PREFIX.test(value)),
  } satisfies Setting<string>,
  organization: {
    where: "any",
    engine: "json",
    check: (value) => {
      const { config, problems } = parseOrganizationConfig(value);
      return config !== undefined ? { value: config } : { problems };
    },
  } satisfies Setting<OrganizationConfig>,
  autoContain: {
    where: "any",
    engine: "json",
    // `pulumi config set cordon:autoContain true` writes the text "true".
    check: (value) => {
      if (typeof value === "boolean") return { value };
      if (value === "true" || value === "false") return { value: value === "true" };
      return { problems: [found("autoContain", value, "true or false")] };
    },
  } satisfies Setting<boolean>,
  autoContainRepository: {
    where: "any",
    engine: "text",
    check: text(
      "autoContainRepository",
      "the repository that holds the contain workflow, as owner/name (example-org/cordon-incidents)",
      (v) => GITHUB_REPOSITORY.test(v),
    ),
  } satisfies Setting<string>,
  protectedPrincipals: {
    where: "project",
    engine: "json",
    check: (value) => {
      if (!Array.isArray(value)) {
        return {
          problems: [
            found("protectedPrincipals", value, "a list of role/NAME, user/NAME or identityCenterUser/USER-ID"),
          ],
        };
      }
      const problems: string[] = [];
      const out = new Map<string, ProtectedPrincipal>();
      value.forEach((entry, i) => {
        const principal = typeof entry === "string" ? parseProtectedPrincipal(entry) : undefined;
        if (principal === undefined) {
          const expected =
            "role/NAME or user/NAME (an IAM name, in any account) or identityCenterUser/USER-ID (an identity store user id)";
          problems.push(found(`protectedPrincipals[${i}]`, entry, expected));
        } else {
          const key = principal.type === "identityCenterUser" ? principal.userId : iamNameKey(principal.name);
          out.set(`${principal.type}/${key}`, principal);
        }
      });
      return problems.length > 0 ? { problems } : { value: [...out.values()] };
    },
  } satisfies Setting<ProtectedPrincipal[]>,
} as const;

type SettingName = keyof typeof SETTINGS;
type SettingValue<K extends SettingName> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;
const SETTING_NAMES = Object.keys(SETTINGS).sort(compareText) as SettingName[];

/** The settings of one file, checked: each value, where it is, and the problems. */
type Values = { [K in SettingName]?: SettingValue<K> };

// ---- Reading one file, with positions.

interface ReadFile {
  /** `config:`'s entries, key -> value, as written. */
  config: Map<string, { value: unknown; at: { line: number; col: number }; keyAt: { line: number; col: number } }>;
  /** Where `config:` is, or the top of the file. */
  configAt: { line: number; col: number };
  /** Where `stackConfigDir:` is, when the file sets it. */
  stackConfigDirAt?: { line: number; col: number };
  environments: boolean;
  /** The project's name (Pulumi.yaml), which is the namespace of its keys written without one. */
  name?: string;
}

/** Reports a problem at a place of the file being read. */
type Reporter = (line: number, col: number, code: ProjectProblemCode, message: string) => void;

function readFile(file: SourceFile, problem: Reporter): ReadFile | undefined {
  const top = { line: 1, col: 1 };
  if (Buffer.byteLength(file.text, "utf8") > MAX_FILE_BYTES) {
    problem(
      1,
      1,
      "E_PROJECT_YAML",
      `the file has more than ${MAX_FILE_BYTES} bytes (64 KiB), expected a small file of settings`,
    );
    return undefined;
  }
  const lines = new LineCounter();
  // The core schema whatever a `%YAML 1.1` directive says: under 1.1, `<<` would be a merge key
  // the check below does not see, and `on` the boolean true.
  const doc: Document = parseDocument(file.text, { ...HOSTILE_YAML_OPTIONS, lineCounter: lines });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((error) => ({
      ...(error.linePos?.[0] ?? top),
      message: `not YAML: ${yamlErrorSummary(error.message)}`,
    }));
    const more = (count: number, at: { line: number; col: number }) => ({
      ...at,
      message: `not YAML: and ${count} more YAML ${count === 1 ? "error" : "errors"} from here, not shown`,
    });
    for (const { line, col, message } of capYamlErrors(errors, more)) problem(line, col, "E_PROJECT_YAML", message);
    return undefined;
  }
  // Pulumi reads these files with Go's YAML, which merges a `<<` key's mapping into the one that
  // holds it; `yaml` reads YAML 1.2, which has no merge key, and would see a key named `<<`. So a
  // setting written through one would be applied but not judged: refused wherever it is.
  let merges = 0;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === "<<") {
        const pos = lines.linePos(pair.key.range?.[0] ?? 0);
        const message =
          "a merge key (<<): Pulumi's YAML reader merges its mapping into this one, cordon's (YAML 1.2) has none, so guard would not see what Pulumi applies: write the keys out";
        problem(pos.line, pos.col, "E_PROJECT_FILE", message);
        merges++;
      }
    },
  });
  if (merges > 0) return undefined;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = `aliases expand into more than ${MAX_ALIAS_COUNT} nodes (${(error as Error).message}): write the values out`;
    problem(1, 1, "E_PROJECT_YAML", message);
    return undefined;
  }
  const at = (node: unknown) =>
    node !== null && typeof node === "object" && "range" in node && Array.isArray(node.range)
      ? lines.linePos(node.range[0] as number)
      : top;
  const out: ReadFile = { config: new Map(), configAt: top, environments: false };
  if (value === null || value === undefined) return out;
  if (typeof value !== "object" || Array.isArray(value)) {
    const expected = "a mapping (config:, and in Pulumi.yaml the project's name and runtime)";
    problem(1, 1, "E_PROJECT_YAML", `found ${describeFound(value)}, expected ${expected}`);
    return undefined;
  }
  const { config, environment, name } = value as { config?: unknown; environment?: unknown; name?: unknown };
  out.environments = environment !== undefined && environment !== null;
  if (typeof name === "string") out.name = name;
  const topKey = (key: string) =>
    isMap(doc.contents)
      ? doc.contents.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key)
      : undefined;
  const stackConfigDir = topKey("stackConfigDir");
  if (stackConfigDir !== undefined) out.stackConfigDirAt = at(stackConfigDir.key);
  if (config === undefined || config === null) return out;
  const configPair = topKey("config");
  out.configAt = at(configPair?.key);
  if (typeof config !== "object" || Array.isArray(config) || !isPair(configPair) || !isMap(configPair.value)) {
    problem(
      out.configAt.line,
      out.configAt.col,
      "E_PROJECT_YAML",
      `config: found ${describeFound(config)}, expected a mapping of settings`,
    );
    return undefined;
  }
  for (const item of configPair.value.items) {
    if (!isPair(item) || !isScalar(item.key)) continue;
    const key = String(item.key.value);
    out.config.set(key, {
      value: (config as Record<string, unknown>)[key],
      at: at(item.value ?? item.key),
      keyAt: at(item.key),
    });
  }
  return out;
}

/**
 * What a config key names, as Pulumi reads it: a key written without a namespace is the
 * project's (`<project>:key`, stackConfigNamespacedWithProject; without a project Pulumi cannot
 * read it), `<namespace>:<name>` is the preferred form and `<namespace>:config:<name>` an older one
 * of the same key (ParseKey); any other key stops Pulumi reading the file. `setting`: the name
 * after `cordon:`, for a key of cordon's namespace.
 * @see https://github.com/pulumi/pulumi/blob/master/sdk/go/common/workspace/loaders.go
 * @see https://github.com/pulumi/pulumi/blob/master/sdk/go/common/resource/config/key.go
 */
export function configKey(
  rawKey: string,
  project: string | undefined,
): { setting: string } | { other: true } | { unreadable: string } {
  if (!rawKey.includes(":") && project === undefined)
    return { unreadable: "written without a namespace, and no Pulumi.yaml names the project it would belong to" };
  const parts = (rawKey.includes(":") ? rawKey : `${project}:${rawKey}`).split(":");
  if (parts.length === 3 && parts[1] === "config") parts.splice(1, 1);
  if (parts.length !== 2) {
    // cordon's own namespace keeps its message: an unknown setting, with the one it most likely meant.
    if (parts[0] === "cordon") return { setting: parts.slice(1).join(":") };
    return {
      unreadable: "Pulumi reads a key as <namespace>:<name> (or <namespace>:config:<name>), and cannot read this one",
    };
  }
  return parts[0] === "cordon" ? { setting: parts[1] } : { other: true };
}

/** The settings of one file, and each setting it writes, valid or not (to tell "not set" from "set wrong"). */
interface FileSettings {
  values: Values;
  written: Set<string>;
}

/**
 * Each `cordon:*` setting of a file's config, checked, its keys read as Pulumi reads them
 * ({@link configKey}). In Pulumi.yaml a mapping declares a setting (its `default` or `value` is the
 * value). A setting written twice (`incidentsDir` and `cordon:incidentsDir`) is refused: Pulumi
 * keeps either.
 */
function settingsOf(
  read: ReadFile,
  kind: "project" | "stack",
  project: string | undefined,
  problem: Reporter,
): FileSettings {
  const values: Values = {};
  const written = new Map<string, string>();
  for (const [rawKey, { value: given, at, keyAt }] of read.config) {
    const resolved = configKey(rawKey, project);
    if ("other" in resolved) continue;
    if ("unreadable" in resolved) {
      problem(keyAt.line, keyAt.col, "E_PROJECT_FILE", `${rawKey}: ${resolved.unreadable}`);
      continue;
    }
    const key = resolved.setting;
    const before = written.get(key);
    written.set(key, rawKey);
    if (before !== undefined) {
      const message = `cordon:${key}: set twice, as ${before} and as ${rawKey}, which Pulumi reads as the same key and keeps either one: keep one`;
      problem(keyAt.line, keyAt.col, "E_SETTING", message);
      delete (values as Record<string, unknown>)[key];
      continue;
    }
    if (!(SETTING_NAMES as string[]).includes(key)) {
      problem(keyAt.line, keyAt.col, "E_SETTING_UNKNOWN", unknownSetting(key));
      continue;
    }
    const name = key as SettingName;
    const setting: Setting<unknown> = SETTINGS[name];
    if (kind === "stack" && setting.where === "project") {
      const message = `cordon:${name}: set in a stack file, expected in Pulumi.yaml: it concerns every stack of the project`;
      problem(keyAt.line, keyAt.col, "E_SETTING", message);
      continue;
    }
    let value = given;
    if (kind === "project" && given !== null && typeof given === "object" && !Array.isArray(given)) {
      const declared = given as { default?: unknown; value?: unknown };
      value = declared.value ?? declared.default;
      if (value === undefined) continue;
    }
    const checked = setting.check(value);
    if ("problems" in checked) for (const message of checked.problems) problem(at.line, at.col, "E_SETTING", message);
    else (values as Record<string, unknown>)[name] = checked.value;
  }
  return { values, written: new Set(written.keys()) };
}

/** Problems sorted as they are printed: by file, then where in it. */
function sortProblems(problems: ProjectProblem[]): ProjectProblem[] {
  return problems.sort(
    (a, b) => compareText(a.file, b.file) || a.line - b.line || a.col - b.col || compareText(a.message, b.message),
  );
}

const baseName = (path: string) => path.split(/[\\/]/).pop() ?? path;

/**
 * The project of a folder from every file Pulumi may read there ({@link PROJECT_FILE},
 * {@link STACK_FILE}): `Pulumi.yaml` and the `Pulumi.<stack>.yaml` files, read; any other project
 * file (Pulumi finds `Pulumi.json` before `Pulumi.yaml`) and any stack file of another extension
 * (Pulumi reads only the project file's), refused, each with every other problem.
 */
export function readProjectFolder(files: readonly SourceFile[]): Project {
  const refused: ProjectProblem[] = [];
  const refuse = (file: SourceFile, message: string) =>
    refused.push({ file: file.path, line: 1, col: 1, code: "E_PROJECT_FILE", message });
  let projectFile: SourceFile | undefined;
  const stackFiles: SourceFile[] = [];
  const names = new Set(files.map((file) => baseName(file.path)));
  for (const file of files) {
    const name = baseName(file.path);
    if (name === READ_PROJECT_FILE) projectFile = file;
    else if (PROJECT_FILE.test(name)) {
      refuse(
        file,
        `a project file named ${name}: Pulumi finds Pulumi.json, then Pulumi.yaml, then Pulumi.yml, and reads the stack files with that file's extension; cordon (guard, accounts, the workflows) reads Pulumi.yaml and Pulumi.<stack>.yaml: remove it, or make it Pulumi.yaml`,
      );
    } else if (STACK_FILE.test(name) && !name.endsWith(READ_EXTENSION)) {
      const read = `Pulumi.${STACK_FILE.exec(name)?.[1]}${READ_EXTENSION}`;
      // Beside the file Pulumi reads, this one is a copy that applies nothing: renaming it would clobber that one.
      const fix = names.has(read)
        ? `remove it (Pulumi reads that stack's settings from ${read})`
        : `rename it ${read}, or remove it`;
      refuse(
        file,
        `a stack file named ${name}: Pulumi reads a stack's settings from Pulumi.<stack>.yaml beside Pulumi.yaml, never from this file, which guard would judge all the same: ${fix}`,
      );
    } else if (STACK_FILE.test(name)) stackFiles.push(file);
  }
  const project = readProjectFiles(projectFile, stackFiles);
  return { ...project, problems: sortProblems([...refused, ...project.problems]) };
}

/**
 * What a problem of the project's files stops, so that a stack file nothing deploys cannot take
 * every account's containment down, and a file that something deploys is never deployed unread
 * (docs/lifecycle.md, "When a stack file is refused"):
 * - `every-stack`: a problem of Pulumi.yaml or of a project file Pulumi would find before it, or two
 *   stacks each declaring the organization guardrails: every stack's reading hangs on them, so no
 *   stack is listed or deployed.
 * - `stack`: a problem of `Pulumi.<prefix>-<account>.yaml`, the file Pulumi reads when the
 *   workflows deploy that account's stack: what it would apply cannot be read, so that account is
 *   withheld (not listed, not deployed); every other account goes on.
 * - `unread`: a problem of a stack file no stack the workflows deploy reads (another name, another
 *   extension: a second file of an account, a copy, a leftover): it applies nothing, and stops
 *   nothing but itself.
 */
export type ProblemReach = { kind: "every-stack" } | { kind: "stack"; account: string } | { kind: "unread" };

export function problemReach(problem: Pick<ProjectProblem, "file" | "code">, stackPrefix: string): ProblemReach {
  const name = baseName(problem.file);
  const stack = STACK_FILE.exec(name);
  if (problem.code === "E_ORGANIZATION_STACK" || PROJECT_FILE.test(name) || stack === null)
    return { kind: "every-stack" };
  const account = stack[1].slice(stackPrefix.length + 1);
  return name === `Pulumi.${stackName(stackPrefix, account)}${READ_EXTENSION}` && ACCOUNT_ID.test(account)
    ? { kind: "stack", account }
    : { kind: "unread" };
}

/**
 * What the project's problems stop, together ({@link problemReach}): whether every stack stops, and
 * else the accounts withheld (sorted).
 */
export function problemsReach(project: Pick<Project, "problems" | "stackPrefix">): {
  everyStack: boolean;
  withheld: string[];
} {
  const reaches = project.problems.map((problem) => problemReach(problem, project.stackPrefix));
  const withheld = reaches.flatMap((reach) => (reach.kind === "stack" ? [reach.account] : []));
  return {
    everyStack: reaches.some((reach) => reach.kind === "every-stack"),
    withheld: [...new Set(withheld)].sort(compareText),
  };
}

/**
 * The project from its file (if any) and its stack files. A stack file with a problem is left out
 * of `stacks`; every consumer decides what a problem means for it (guard refuses, `plan` warns).
 * Each stack file is named `Pulumi.<prefix>-<account>.yaml` for the account it deploys: the
 * workflows deploy that stack of the account and no other, and the program refuses to run under any
 * other name, so another file saying it deploys the account would be judged and never applied.
 */
export function readProjectFiles(projectFile: SourceFile | undefined, stackFiles: readonly SourceFile[]): Project {
  const problems: ProjectProblem[] = [];
  const reporter =
    (file: string): Reporter =>
    (line, col, code, message) =>
      problems.push({ file, line, col, code, message });

  let defaults: Values = {};
  let name: string | undefined;
  if (projectFile !== undefined) {
    const report = reporter(projectFile.path);
    const read = readFile(projectFile, report);
    if (read?.stackConfigDirAt !== undefined) {
      const { line, col } = read.stackConfigDirAt;
      const message =
        "stackConfigDir: Pulumi would read the stack files from that folder, the workflows and guard from the project folder: remove it, and keep the stack files beside Pulumi.yaml";
      report(line, col, "E_PROJECT_FILE", message);
    }
    name = read?.name;
    if (read !== undefined && (name === undefined || name === "")) {
      const message =
        "name: not set, expected the project's name: Pulumi runs no project without one, and a config key written without a namespace is the project's";
      report(1, 1, "E_PROJECT_FILE", message);
    }
    if (read !== undefined) defaults = settingsOf(read, "project", name, report).values;
  }
  const stackPrefix = defaults.stackPrefix ?? DEFAULT_STACK_PREFIX;

  const stacks: StackSettings[] = [];
  const organizations: OrganizationStack[] = [];
  const stackFileNames = new Set(stackFiles.map((file) => baseName(file.path)));
  for (const file of [...stackFiles].sort((a, b) => compareText(a.path, b.path))) {
    const report = reporter(file.path);
    const before = problems.length;
    const read = readFile(file, report);
    if (read === undefined) continue;
    const { values: own, written } = settingsOf(read, "stack", name, report);
    const account = own.account ?? defaults.account;
    if (account === undefined && !written.has("account")) {
      report(read.configAt.line, read.configAt.col, "E_SETTING_MISSING", MISSING_ACCOUNT);
    }
    const autoContain = own.autoContain ?? defaults.autoContain ?? false;
    const repository = own.autoContainRepository ?? defaults.autoContainRepository;
    if (autoContain && repository === undefined && !written.has("autoContainRepository")) {
      report(read.configAt.line, read.configAt.col, "E_SETTING_MISSING", MISSING_REPOSITORY);
    }
    if (problems.length > before || account === undefined) continue;
    const stack: StackSettings = {
      name: STACK_FILE.exec(baseName(file.path))?.[1] ?? file.path,
      file: file.path,
      account,
      incidentsDir: own.incidentsDir ?? defaults.incidentsDir ?? DEFAULT_INCIDENTS_DIR,
      organization: own.organization ?? defaults.organization ?? null,
      autoContain: autoContain && repository !== undefined ? { repository } : null,
      environments: read.environments,
    };
    const expected = stackName(stackPrefix, account);
    if (stack.name !== expected) {
      const accountKey = [...read.config.keys()].find((key) => {
        const resolved = configKey(key, name);
        return "setting" in resolved && resolved.setting === "account";
      });
      const at = (accountKey === undefined ? undefined : read.config.get(accountKey)?.keyAt) ?? read.configAt;
      // The account's own file exists: this one is a second file of it, and renaming it would clobber that one.
      const fix = stackFileNames.has(`Pulumi.${expected}${READ_EXTENSION}`)
        ? `remove it (the account's stack is Pulumi.${expected}.yaml)`
        : `rename the file Pulumi.${expected}.yaml (and the stack: pulumi stack rename ${expected})`;
      const message =
        `this file deploys account ${account}, whose stack is ${expected} (cordon:stackPrefix "${stackPrefix}", then the account): ` +
        `the workflows deploy that stack and no other, and the program refuses to run under another name, so nothing here would be applied: ${fix}`;
      report(at.line, at.col, "E_STACK_NAME", message);
      continue;
    }
    if (stack.organization !== null)
      organizations.push({ account, stack: stack.name, file: file.path, config: stack.organization });
    stacks.push(stack);
  }
  if (organizations.length > 1) {
    for (const organization of organizations.slice(1)) {
      problems.push({
        file: organization.file,
        line: 1,
        col: 1,
        code: "E_ORGANIZATION_STACK",
        message:
          `${organizations.map((o) => o.file).join(", ")}: ${organizations.length} stacks set cordon:organization: ` +
          "one stack declares the organization guardrails (the management account's, or a delegated administrator's)",
      });
    }
  }
  return {
    ...(name !== undefined ? { name } : {}),
    stackPrefix,
    incidentsDir: defaults.incidentsDir ?? DEFAULT_INCIDENTS_DIR,
    protectedPrincipals: defaults.protectedPrincipals ?? [],
    stacks,
    ...(organizations.length === 1 ? { organization: organizations[0] } : {}),
    stackAccounts: [...new Set(stacks.map((s) => s.account))].sort(compareText),
    problems: sortProblems(problems),
  };
}

/** What the program needs of its stack: the stack's settings and the project's. */
export type EngineSettings = StackSettings & { stackPrefix: string; protectedPrincipals: ProtectedPrincipal[] };

/**
 * One stack's settings from the configuration Pulumi's engine gives the program
 * (`pulumi.runtime.allConfig()`: every key with its namespace, project defaults included; lists,
 * mappings and booleans as JSON text), with the same checks and messages as the files'. Keys of
 * other namespaces are ignored.
 */
export function stackSettingsFromEngine(
  stack: string,
  config: Readonly<Record<string, string>>,
): { settings?: EngineSettings; problems: string[] } {
  const problems: string[] = [];
  const values: Values = {};
  const written = new Set<string>();
  for (const [rawKey, raw] of Object.entries(config).sort(([a], [b]) => compareText(a, b))) {
    // The engine names every key with its namespace; read as the files are.
    const resolved = configKey(rawKey, undefined);
    if (!("setting" in resolved)) continue;
    const key = resolved.setting;
    written.add(key);
    if (!(SETTING_NAMES as string[]).includes(key)) {
      problems.push(unknownSetting(key));
      continue;
    }
    const name = key as SettingName;
    const setting: Setting<unknown> = SETTINGS[name];
    let value: unknown = raw;
    if (setting.engine === "json" && raw !== "true" && raw !== "false") {
      try {
        value = JSON.parse(raw);
      } catch {
        // Text that is not JSON was written as text: the check says what it expected instead.
      }
    }
    const checked = setting.check(value);
    if ("problems" in checked) problems.push(...checked.problems);
    else (values as Record<string, unknown>)[name] = checked.value;
  }
  if (values.account === undefined && !written.has("account")) problems.push(MISSING_ACCOUNT);
  const repository = values.autoContainRepository;
  if (values.autoContain === true && repository === undefined && !written.has("autoContainRepository"))
    problems.push(MISSING_REPOSITORY);
  if (problems.length > 0 || values.account === undefined) return { problems };
  return {
    settings: {
      name: stack,
      file: `Pulumi.${stack}.yaml`,
      account: values.account,
      incidentsDir: values.incidentsDir ?? DEFAULT_INCIDENTS_DIR,
      organization: values.organization ?? null,
      autoContain: values.autoContain === true && repository !== undefined ? { repository } : null,
      environments: false,
      stackPrefix: values.stackPrefix ?? DEFAULT_STACK_PREFIX,
      protectedPrincipals: values.protectedPrincipals ?? [],
    },
    problems,
  };
}

// ---- Which stack declares which incident file.

/** Whether a path from the project folder lies inside one of its folders (`""`, the project folder, holds everything). */
export function insideFolder(path: string, dir: string): boolean {
  return dir === "" || path.startsWith(`${dir}/`);
}

/** What the rule below needs of the project: its stacks' folders and its own. */
export type StackFolders = Pick<Project, "incidentsDir" | "organization"> & {
  stacks: readonly Pick<StackSettings, "account" | "file" | "incidentsDir">[];
};

/**
 * Every folder a stack of the project reads incident files from, from the project folder, sorted:
 * the project's `cordon:incidentsDir` (the stack of an account without a stack file reads it) and
 * each stack file's. The one list that the commands read without a PATH and that the workflows
 * commit, diff and copy incident files from (`cordon accounts --json`, `folders`).
 */
export function stackIncidentsDirs(project: Pick<StackFolders, "incidentsDir" | "stacks">): string[] {
  return [...new Set([project.incidentsDir, ...project.stacks.map((stack) => stack.incidentsDir)])].sort(compareText);
}

/**
 * The folders the stack of `account` reads incident files from: the `cordon:incidentsDir` of each
 * stack file that deploys the account (or the project's), or, with no stack file, the project's:
 * the stack the workflows create for an account's first incident sets only `cordon:account`.
 */
export function accountFolders(project: StackFolders, account: string): string[] {
  const own = project.stacks.filter((stack) => stack.account === account).map((stack) => stack.incidentsDir);
  return own.length > 0 ? [...new Set(own)].sort(compareText) : [project.incidentsDir];
}

/**
 * The rule of what `pulumi up` declares, asked by accounts, plan, validate, status, verify, new and
 * guard: an incident's share in `account` is declared only when its file (at `path`, from the
 * project folder, `/`-separated) lies under a folder that account's stack reads, since the program
 * reads its own stack's folder and nothing else (program/deploy.ts). A file outside the project
 * (`path` undefined) is declared by no stack.
 */
export function stackReads(project: StackFolders, account: string, path: string | undefined): boolean {
  return path !== undefined && accountFolders(project, account).some((dir) => insideFolder(path, dir));
}

/** What the stacks declare of one incident, by {@link stackReads}. */
export interface IncidentShares {
  /** The accounts it has a share in (accountsOf) whose stack reads its file (sorted). */
  applied: string[];
  /** Those whose stack does not: that share is never applied (sorted). */
  unread: string[];
  /** It asks for a guardrail and the organization stack does not read its file: the guardrail is never attached. */
  guardrailsUnread: boolean;
}

export function incidentShares(incident: Incident, project: StackFolders, path: string | undefined): IncidentShares {
  const accounts = accountsOf(incident);
  const organization = project.organization;
  const guarded = organization !== undefined && (incident.organization.scp || incident.organization.rcp);
  const organizationDir = project.stacks.find((stack) => stack.file === organization?.file)?.incidentsDir;
  return {
    applied: accounts.filter((account) => stackReads(project, account, path)),
    unread: accounts.filter((account) => !stackReads(project, account, path)),
    guardrailsUnread:
      guarded && (path === undefined || organizationDir === undefined || !insideFolder(path, organizationDir)),
  };
}

/** One account's stack, as `cordon accounts --json` lists it. */
export interface AccountStack {
  account: string;
  /** `<prefix>-<account>`. */
  stack: string;
  /** The incidents that have a share in this account, or whose guardrails this stack declares (sorted). */
  incidents: string[];
  /** True for the stack that sets `cordon:organization`: it declares the guardrails. */
  organization: boolean;
  /**
   * The at-containment incidents whose instant this stack records (it holds their keys): it runs
   * before the stacks that list it in `after` (sorted).
   */
  recordsContainment: string[];
  /**
   * The stacks whose recorded containment instants this stack reads: run them first, then this one
   * (sorted). Until they have recorded, this stack denies those incidents' principals everything.
   */
  after: string[];
}

/**
 * Every stack a run of the workflows must update: each account an incident file has a share in
 * (every file is declared until it is removed, expired or not), the organization stack when any
 * incident asks for a guardrail or the project configures it, and each account a stack file names,
 * even with no incident left: removing an expired incident's file must still reach its stack, or
 * its deny policies would stay for ever. Sorted by account. `read`: the project's folders and each
 * incident's path from the project folder; a share counts only when its account's stack reads the
 * file ({@link stackReads}); a file without a path (outside every stack's folder, or no `read`)
 * counts in every account it has a share in.
 */
export function accountStacks(
  incidents: readonly Incident[],
  project: Pick<Project, "stackPrefix" | "organization">,
  stackAccounts: readonly string[] = [],
  read?: { folders: StackFolders; pathOf: (incident: Incident) => string | undefined },
): AccountStack[] {
  const byAccount = new Map<string, { ids: Set<string>; records: Set<string>; after: Set<string> }>();
  const touch = (account: string) =>
    byAccount.get(account) ??
    byAccount.set(account, { ids: new Set(), records: new Set(), after: new Set() }).get(account)!;
  for (const account of stackAccounts) touch(account);
  for (const incident of incidents) {
    // In a project, only the shares its stacks read (stackReads); with no path, every share.
    const path = read?.pathOf(incident);
    const deployed = read && path !== undefined ? incidentShares(incident, read.folders, path) : undefined;
    const shares = new Set(deployed?.applied ?? accountsOf(incident));
    if (
      project.organization !== undefined &&
      (incident.organization.scp || incident.organization.rcp) &&
      deployed?.guardrailsUnread !== true
    )
      shares.add(project.organization.account);
    // One stack records an at-containment incident's instant; every other stack of it reads it there.
    const owner =
      containmentOwner(incident) ?? (incident.cutoff === AT_CONTAINMENT ? project.organization?.account : undefined);
    for (const account of shares) {
      const stack = touch(account);
      stack.ids.add(incident.id);
      if (owner === undefined) continue;
      if (owner === account) stack.records.add(incident.id);
      else stack.after.add(stackName(project.stackPrefix, owner));
    }
  }
  if (project.organization !== undefined) touch(project.organization.account);
  const sorted = (set: Set<string>) => [...set].sort(compareText);
  return [...byAccount.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([account, stack]) => ({
      account,
      stack: stackName(project.stackPrefix, account),
      incidents: sorted(stack.ids),
      organization: project.organization?.account === account,
      recordsContainment: sorted(stack.records),
      after: sorted(stack.after),
    }));
}
