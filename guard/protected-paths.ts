/**
 * The allowlist: the only paths a pull request may change without a code owner are regular files
 * `incidents/**\/*.yaml` and `incidents/**\/*.yml`. Everything else is code: the program and what
 * it imports, the commands, the workflows, the Pulumi project and stack files, and every file that
 * changes how git, npm or Node read the tree (`.gitattributes`, `.gitignore`, `.npmrc`, a lockfile
 * of another package manager, a folder of the same name as a package...), including the ones
 * nobody has thought of yet. A denylist of what decides what is applied cannot be complete; an
 * allowlist of what is data can.
 *
 * Under `incidents/`, only a regular file (git mode 100644) is data: a symbolic link's blob is its
 * target (any text at all, and the checkout follows it elsewhere), a submodule is another
 * repository, and an executable bit has no use on a YAML file. Each is code.
 *
 * This is the one home of the rule: `.github/CODEOWNERS` gives every path an owner (`*`) and gives
 * the incident files their owner with these globs; guard reports every other change as code
 * (`codeReason`); the workflows decide from it; test/workflows.test.ts checks all three.
 * @see https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners
 */

/** The incidents folder, from the repository's root, where the allowlisted files live. */
export const INCIDENTS_ROOT = "incidents";

/**
 * The allowlisted paths, as CODEOWNERS (gitignore syntax) writes them from the root: `**` is any
 * number of folders, `*` any characters but `/`. Case-sensitive, as CODEOWNERS is.
 */
export const INCIDENT_FILE_GLOBS: readonly string[] = [`${INCIDENTS_ROOT}/**/*.yaml`, `${INCIDENTS_ROOT}/**/*.yml`];

/** The CODEOWNERS pattern that gives every path an owner: it comes first, the incident files' line after it. */
export const EVERY_PATH = "*";

/** The git mode of a regular, non-executable file: the only mode an incident file may have. */
export const REGULAR_FILE_MODE = "100644";
/** The git mode of a path absent from one side of a change (added, or deleted). */
export const ABSENT_MODE = "000000";

/** One path a change touches, with its git mode before and after (`000000` where it is absent). */
export interface PathChange {
  path: string;
  before: string;
  after: string;
}

const INCIDENT_FILE_PATH = new RegExp(`^${INCIDENTS_ROOT}/(?:[^/]+/)*[^/]*\\.ya?ml$`);

/** Whether `path` (from the root, `/`-separated) matches {@link INCIDENT_FILE_GLOBS}. */
export function isIncidentFilePath(path: string): boolean {
  return INCIDENT_FILE_PATH.test(path);
}

const MODES: Readonly<Record<string, string>> = {
  "120000": "a symbolic link (git mode 120000), not a regular file",
  "160000": "a submodule (git mode 160000), not a regular file",
  "100755": "an executable file (git mode 100755), not a regular one",
  special: "neither a file, a link nor a folder, not a regular file",
};

/**
 * Why a change to this path is code, which a code owner must review; undefined when it is an
 * incident file: an allowlisted path, a regular file (or absent) on both sides.
 */
export function codeReason(change: PathChange): string | undefined {
  if (!isIncidentFilePath(change.path)) return `not an incident file (${INCIDENT_FILE_GLOBS.join(" or ")})`;
  for (const mode of [change.after, change.before]) {
    if (mode !== REGULAR_FILE_MODE && mode !== ABSENT_MODE)
      return MODES[mode] ?? `not a regular file (git mode ${mode})`;
  }
  return undefined;
}

/** Whether a change to this path needs a code owner's review. */
export function isCode(change: PathChange): boolean {
  return codeReason(change) !== undefined;
}
