/**
 * The file-system shell around plan/project.ts: the Pulumi project the commands run in, found as
 * git finds its repository and Pulumi its project: the nearest folder, from the working directory
 * up, that holds `Pulumi.yaml`, with the stack files beside it. Every command that reads the
 * project's incident files without being told which finds them there, from any subfolder; outside
 * any project it refuses, in one line, rather than read or write a folder nothing applies.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Incident } from "../incident/types.ts";
import {
  incidentShares,
  insideFolder,
  PROJECT_FILE,
  stackName,
  stackIncidentsDirs,
  stackReads,
  readProjectFiles,
  readProjectFolder,
  STACK_FILE,
  type Project,
  type StackFolders,
  type StackSettings,
} from "../plan/project.ts";
import { CannotRunError } from "./io.ts";

/** The folder of the project `cwd` is in: the nearest one up that holds a project file Pulumi finds (`Pulumi.yaml`, `.yml`, `.json`). */
export function findProject(cwd: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(dir) && readdirSync(dir).some((name) => PROJECT_FILE.test(name))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The project of `cwd`, and the folder it was found in (undefined when there is none: then the defaults). */
export function readProject(cwd: string): Project & { dir?: string } {
  const dir = findProject(cwd);
  if (dir === undefined) return readProjectFiles(undefined, []);
  const names = readdirSync(dir);
  const read = (name: string) => ({
    path: relative(cwd, join(dir, name)) || name,
    text: readFileSync(join(dir, name), "utf8"),
  });
  const project = readProjectFolder(names.filter((name) => PROJECT_FILE.test(name) || STACK_FILE.test(name)).map(read));
  return { ...project, dir };
}

/**
 * The project of `cwd`, or a CannotRunError, one line saying where to run, outside any project.
 * `instead`: what the command takes to name a folder itself, if anything.
 */
export function requireProject(cwd: string, instead?: string): Project & { dir: string } {
  const project = readProject(cwd);
  if (project.dir === undefined) {
    const where = "run cordon in the cordon project (the folder that holds Pulumi.yaml) or a folder inside it";
    throw new CannotRunError(
      `no Pulumi.yaml in ${cwd} or any folder above it: ${where}${instead === undefined ? "" : `, or ${instead}`}`,
    );
  }
  return { ...project, dir: project.dir };
}

/**
 * Every folder a stack of the project reads incidents from, as paths from `cwd`, sorted: the
 * project's (`cordon:incidentsDir` of Pulumi.yaml, default `incidents`), and each stack file's own
 * `cordon:incidentsDir` that exists (one that does not fails that stack's pulumi up, and validate
 * says so: readStackFolders). A CannotRunError, one line saying where to run, outside any project.
 * `instead`: what the command takes to name a folder itself.
 */
export function projectIncidentsDirs(cwd: string, instead: string): string[] {
  const project = requireProject(cwd, instead);
  return stackIncidentsDirs(project)
    .filter((dir) => dir === project.incidentsDir || existsSync(join(project.dir, dir)))
    .map((dir) => relative(cwd, join(project.dir, dir)) || ".");
}

/**
 * Every folder a stack of the project reads (stackIncidentsDirs), whether it exists yet or not, as
 * paths from `cwd` (`.` for the project folder itself), sorted; none outside any project.
 */
export function stackFoldersFrom(project: Project & { dir?: string }, cwd: string): string[] {
  const dir = project.dir;
  if (dir === undefined) return [];
  return stackIncidentsDirs(project).map((folder) => relative(cwd, join(dir, folder)) || ".");
}

/** The stack files whose `cordon:incidentsDir` does not exist: their pulumi up fails, declaring nothing. */
export function missingStackFolders(project: Project & { dir?: string }): StackSettings[] {
  const dir = project.dir;
  return dir === undefined ? [] : project.stacks.filter((stack) => !existsSync(join(dir, stack.incidentsDir)));
}

/**
 * What `stackReads` (plan/project.ts) needs to say which stack declares an incident file: the
 * project's folders, and each file's path from the project folder, `/`-separated. Undefined for a
 * file outside every folder a stack reads (the project's and each stack's), named on the command
 * line (an example, a copy): no stack applies it, and the commands say what it would declare in
 * its accounts' stacks; undefined altogether outside any project, where every share counts.
 */
export function stackFoldersOf(
  project: Project & { dir?: string },
  cwd: string,
): { folders: StackFolders; pathOf: (incident: { file: string }) => string | undefined } | undefined {
  const dir = project.dir;
  if (dir === undefined) return undefined;
  return {
    folders: project,
    pathOf: ({ file }) => {
      const path = relative(dir, resolve(cwd, file));
      if (path.startsWith("..") || isAbsolute(path)) return undefined;
      const shown = path.split(sep).join("/");
      return stackIncidentsDirs(project).some((folder) => insideFolder(shown, folder)) ? shown : undefined;
    },
  };
}

/**
 * One line per share of an incident that no stack declares (plan/project.ts, stackReads): its
 * file lies in a folder a stack of the project reads, but outside every folder its account's stack
 * reads, so pulumi up never applies it, whatever the file says. Folders and files as paths from
 * `cwd`. None outside any project, nor for a file outside every stack's folder (stackFoldersOf).
 */
export function unreadSharesProblems(
  incidents: readonly Incident[],
  project: Project & { dir?: string },
  cwd: string,
): { id: string; message: string }[] {
  const read = stackFoldersOf(project, cwd);
  const dir = project.dir;
  if (read === undefined || dir === undefined) return [];
  const folder = (f: string) => `${relative(cwd, join(dir, f)) || "."}/`;
  const lines: { id: string; message: string }[] = [];
  for (const incident of incidents) {
    const path = read.pathOf(incident);
    if (path === undefined) continue;
    const shares = incidentShares(incident, read.folders, path);
    for (const account of shares.unread) {
      const stacks = project.stacks.filter((stack) => stack.account === account);
      const reads =
        stacks.length === 0
          ? `no stack file deploys account ${account}, so its stack reads the project's ${folder(project.incidentsDir)}`
          : stacks.map((stack) => `${stack.file} reads ${folder(stack.incidentsDir)}`).join(", ");
      lines.push({
        id: incident.id,
        message: `incident ${incident.id}: ${incident.file} is outside every folder the stack of account ${account} reads (${reads}): its share there is never applied; move the file there`,
      });
    }
    if (shares.guardrailsUnread) {
      const organization = project.stacks.find((stack) => stack.file === project.organization?.file);
      lines.push({
        id: incident.id,
        message: `incident ${incident.id}: ${incident.file} is outside ${folder(organization?.incidentsDir ?? project.incidentsDir)}, which the organization stack (${project.organization?.file}) reads: its organization guardrails are never attached; move the file there`,
      });
    }
  }
  return lines;
}

/**
 * The incidents that some stack declares, by stackReads: a share, or the organization guardrails
 * (`account` given: only those that account's stack reads, as its pulumi up loads them). Every
 * incident outside any project, and every file outside every stack's folder (stackFoldersOf).
 */
export function declaredIncidents(
  incidents: readonly Incident[],
  project: Project & { dir?: string },
  cwd: string,
  account?: string,
): Incident[] {
  const read = stackFoldersOf(project, cwd);
  if (read === undefined) return [...incidents];
  return incidents.filter((incident) => {
    const path = read.pathOf(incident);
    if (path === undefined) return true;
    if (account !== undefined) return stackReads(read.folders, account, path);
    const shares = incidentShares(incident, read.folders, path);
    const guardrails = (incident.organization.scp || incident.organization.rcp) && !shares.guardrailsUnread;
    return shares.applied.length > 0 || guardrails || (shares.unread.length === 0 && !shares.guardrailsUnread);
  });
}

/**
 * Where `new` writes an incident of `account`, as a path from `cwd`: the folder its stack reads
 * (stackReads), that of the stack file named `<prefix>-<account>`, the one the workflows run, or
 * else the first stack file of the account; the project's folder when no stack file deploys it.
 * A CannotRunError outside any project; `instead`: what the command takes to name a folder itself.
 */
export function accountIncidentsDir(cwd: string, account: string, instead: string): string {
  const project = requireProject(cwd, instead);
  const stacks = project.stacks.filter((stack) => stack.account === account);
  const stack = stacks.find((s) => s.name === stackName(project.stackPrefix, account)) ?? stacks[0];
  return relative(cwd, join(project.dir, stack?.incidentsDir ?? project.incidentsDir)) || ".";
}
