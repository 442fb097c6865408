/**
 * What decides what `pulumi up` applies, besides the incident files themselves: the program and
 * what it imports, the loader and the plan, the commands the workflows run (guard among them),
 * the dependencies and how they are installed, the Pulumi project and stack files, and the
 * workflows. A change to any of them changes the response itself, so it needs a code owner's
 * review: `.github/CODEOWNERS` names an owner for each, the pull-request workflow previews a change
 * to any of them, and guard reports one as needing code-owner review. This is the one list; a test
 * (test/workflows.test.ts) checks CODEOWNERS and the workflow against it.
 *
 * Each entry is a path from the repository's root: a folder ends with `/` (everything under it), a
 * file is its path, and `*` matches any characters but `/` (`Pulumi*.yaml`: the project file and
 * every stack's file, which sets `cordon:account` and `cordon:incidentsDir`).
 */
export const PROTECTED_PATHS: readonly string[] = [
  ".github/",
  ".npmrc",
  "Pulumi*.yaml",
  "aws/",
  "cli/",
  "commands/",
  "components/",
  "guard/",
  "incident/",
  "index.ts",
  "package-lock.json",
  "package.json",
  "plan/",
  "program/",
  "schema/",
  "tsconfig.json",
];

/** The incident files: reviewed by the same owners, judged by guard rather than reported as code. */
export const INCIDENTS_PATH = "incidents/";

/** True when `path` (from the repository's root, `/`-separated) is under one of {@link PROTECTED_PATHS}. */
export function isProtectedPath(path: string): boolean {
  return PROTECTED_PATHS.some((entry) => matchesEntry(entry, path));
}

/** Whether `path` is under `entry`, as the entries above are written. */
export function matchesEntry(entry: string, path: string): boolean {
  if (entry.endsWith("/")) return path.startsWith(entry);
  if (!entry.includes("*")) return path === entry;
  const pattern = new RegExp(`^${entry.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);
  return pattern.test(path);
}
