/**
 * The file-system shell around plan/project.ts: the Pulumi project the commands run in, found as
 * git finds its repository and Pulumi its project: the nearest folder, from the working directory
 * up, that holds `Pulumi.yaml`, with the stack files beside it. Every command that reads the
 * project's incident files without being told which finds them there, from any subfolder; outside
 * any project it refuses, in one line, rather than read or write a folder nothing applies.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { PROJECT_FILE, readProjectFiles, readProjectFolder, STACK_FILE, type Project } from "../plan/project.ts";
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
 * The project's incidents folder (`cordon:incidentsDir` of Pulumi.yaml, default `incidents`), as
 * a path from `cwd`; a CannotRunError, one line saying where to run, outside any project.
 * `instead`: what the command takes to name a folder itself.
 */
export function projectIncidentsDir(cwd: string, instead: string): string {
  const project = requireProject(cwd, instead);
  return relative(cwd, join(project.dir, project.incidentsDir)) || ".";
}
