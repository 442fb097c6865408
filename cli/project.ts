/**
 * The file-system shell around plan/project.ts: the Pulumi project the commands run in, found as
 * Pulumi finds it (the nearest folder up from the working directory that holds `Pulumi.yaml`),
 * with the stack files beside it. Without a project, the defaults: stacks `prod-<account>`, and no
 * organization stack.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { PROJECT_FILE, readProjectFiles, STACK_FILE, type Project } from "../plan/project.ts";

/** The project of `cwd`, and the folder it was found in (undefined when there is none). */
export function readProject(cwd: string): Project & { dir?: string } {
  let dir = cwd;
  for (;;) {
    const names = existsSync(dir) ? readdirSync(dir) : [];
    const projectFile = names.find((name) => PROJECT_FILE.test(name));
    if (projectFile !== undefined) {
      const read = (name: string) => ({ path: relative(cwd, join(dir, name)) || name, text: readFileSync(join(dir, name), "utf8") });
      return { ...readProjectFiles(read(projectFile), names.filter((name) => STACK_FILE.test(name)).map(read)), dir };
    }
    const parent = dirname(dir);
    if (parent === dir) return readProjectFiles(undefined, []);
    dir = parent;
  }
}
