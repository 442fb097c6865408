/**
 * Real temporary git repositories for guard's tests: a tree of files committed as one revision,
 * then another, and guard run between them as a user would.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { main } from "../../cli/main.ts";
import { memoryIo } from "../../cli/io.ts";

const repos: string[] = [];

/** Removes every repository made so far (call it in afterAll). */
export function removeRepos(): void {
  for (const dir of repos.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Who commits in the tests' repositories: any name will do, but git refuses to commit without one. */
export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
};

/** This process's environment, the identity, and no user configuration of git's: the same git on every machine. */
export const gitEnv = (): NodeJS.ProcessEnv => ({ ...process.env, ...GIT_IDENTITY, GIT_CONFIG_GLOBAL: "/dev/null" });

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: gitEnv() }).trim();
}

/** An empty temporary folder, removed with the repositories. */
export function newFolder(prefix = "cordon-guard-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  repos.push(dir);
  return dir;
}

export function newRepo(): string {
  const dir = newFolder();
  git(dir, "init", "-q", "-b", "main");
  return dir;
}

/** A file's content: text as it is, anything else as YAML. */
export type Content = string | Record<string, unknown>;

/** An incident as its file holds it, before any validation. */
export type Raw = Record<string, unknown> & { id: string };

/** A copy of `incident` with `change` made to it. */
export function edit(incident: Raw, change: (i: Raw) => void): Raw {
  const copy = structuredClone(incident);
  change(copy);
  return copy;
}

/** Incidents, each in its file named after its id. */
export const byPath = (...incidents: Raw[]): Record<string, Content> =>
  Object.fromEntries(incidents.map((i) => [`incidents/${i.id}.yaml`, i]));

/** Makes the working tree exactly `files` (path -> content) and commits it; returns the commit. */
export function commitTree(dir: string, files: Record<string, Content>, message = "change"): string {
  writeTree(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "--allow-empty", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** Makes the working tree exactly `files`, without committing. */
export function writeTree(dir: string, files: Record<string, Content>): void {
  for (const entry of readdirSync(dir))
    if (entry !== ".git") rmSync(join(dir, entry), { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof content === "string" ? content : stringify(content));
  }
}

export async function runGuard(dir: string, args: string[], env: Record<string, string> = {}) {
  const io = memoryIo({ cwd: dir, env });
  const code = await main(["guard", ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** A stack file as `pulumi config set` writes it. */
export function stackFile(account: string, incidentsDir?: string): string {
  return `config:\n  cordon:account: "${account}"\n${incidentsDir === undefined ? "" : `  cordon:incidentsDir: ${JSON.stringify(incidentsDir)}\n`}`;
}
