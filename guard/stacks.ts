/**
 * What each stack applies: the stack files `Pulumi.<stack>.yaml` at the repository's root say,
 * for each stack, the account it deploys (`cordon:account`) and the folder it reads its incidents
 * from (`cordon:incidentsDir`, default `incidents`, relative to the root, where the program
 * lives; the project file `Pulumi.yaml` may set its default). A change to them changes what
 * `pulumi up` applies without touching an incident: guard judges it (guard.ts, `stackCoverage`).
 * Pure: file texts in, stacks or problems out.
 * @see https://www.pulumi.com/docs/iac/concepts/config/
 */
import { posix } from "node:path";
import { ACCOUNT_ID } from "../incident/fields.ts";
import { parseOrganizationConfig } from "../plan/organization.ts";
import { configOf, projectDefault } from "../plan/project.ts";

/** The folder the program reads when `cordon:incidentsDir` is not set (index.ts). */
export const DEFAULT_STACK_INCIDENTS_DIR = "incidents";

export { PROJECT_FILE, STACK_FILE } from "../plan/project.ts";
import { STACK_FILE } from "../plan/project.ts";

export interface Stack {
  /** The stack's name, from its file name. */
  name: string;
  /** The stack file, from the repository's root. */
  file: string;
  account: string;
  /** The incidents folder, from the repository's root, `/`-separated, without `./` or a trailing `/`. */
  dir: string;
  /** The stack file imports ESC environments: config they set is not seen here. */
  environments: boolean;
  /**
   * The roots, OUs and accounts it attaches the organization guardrails to (`cordon:organization`),
   * sorted; null for every stack but the organization's.
   */
  guardrailTargets: string[] | null;
}

export interface StacksResult {
  stacks: Stack[];
  /** One line each: the file and what is wrong with it. */
  problems: string[];
}

/** A folder from the root, normalised; undefined when it leaves the repository. */
export function repositoryFolder(dir: string): string | undefined {
  if (dir === "") return "";
  if (posix.isAbsolute(dir) || /^[A-Za-z]:/.test(dir)) return undefined;
  const normal = posix.normalize(dir).replace(/\/+$/, "");
  if (normal === "..") return undefined;
  if (normal.startsWith("../")) return undefined;
  return normal === "." ? "" : normal;
}

/** Whether a repository path lies inside a folder (the root, `""`, holds everything). */
export function insideFolder(path: string, dir: string): boolean {
  return dir === "" || path.startsWith(`${dir}/`);
}

/**
 * The stacks of a revision, from its stack files (name -> text) and its project file's text (if
 * any). A stack file that cannot be read as the program would read it is a problem: guard cannot
 * say what that stack applies.
 */
export function parseStacks(stackFiles: { file: string; text: string }[], projectText?: string): StacksResult {
  const problems: string[] = [];
  let defaultDir = DEFAULT_STACK_INCIDENTS_DIR;
  if (projectText !== undefined) {
    const project = configOf(projectText);
    if (typeof project === "string") problems.push(`Pulumi.yaml: ${project}`);
    else {
      // A project's config value is a value, or `{ default: value }`, under `cordon:key` or `key`.
      const value = projectDefault(project.config, "incidentsDir");
      if (typeof value === "string") defaultDir = value;
      else if (value !== undefined) problems.push(`Pulumi.yaml: config cordon:incidentsDir: expected a folder name, found ${JSON.stringify(value)}`);
    }
  }
  const stacks: Stack[] = [];
  for (const { file, text } of stackFiles) {
    const name = STACK_FILE.exec(file)?.[1] ?? file;
    const parsed = configOf(text);
    if (typeof parsed === "string") {
      problems.push(`${file}: ${parsed}`);
      continue;
    }
    const account = parsed.config["cordon:account"];
    const dirValue = parsed.config["cordon:incidentsDir"] ?? defaultDir;
    if (typeof account !== "string" || !ACCOUNT_ID.test(account)) {
      problems.push(`${file}: config cordon:account: expected an account id of 12 digits, quoted, found ${JSON.stringify(account ?? null)}`);
      continue;
    }
    if (typeof dirValue !== "string") {
      problems.push(`${file}: config cordon:incidentsDir: expected a folder name, found ${JSON.stringify(dirValue)}`);
      continue;
    }
    const dir = repositoryFolder(dirValue);
    if (dir === undefined) {
      problems.push(`${file}: config cordon:incidentsDir: ${JSON.stringify(dirValue)} is outside the repository, where guard cannot read what it applies`);
      continue;
    }
    let guardrailTargets: string[] | null = null;
    if (parsed.config["cordon:organization"] !== undefined) {
      const organization = parseOrganizationConfig(parsed.config["cordon:organization"]);
      if (organization.config === undefined) {
        problems.push(...organization.problems.map((problem) => `${file}: ${problem}`));
        continue;
      }
      guardrailTargets = organization.config.targets;
    }
    stacks.push({ name, file, account, dir, environments: parsed.environments, guardrailTargets });
  }
  return { stacks: stacks.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)), problems };
}
