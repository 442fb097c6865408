import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { loadIncidents, maskSecrets } from "../incident/load.ts";
import { readIncidentSources } from "../incident/read.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { displayValue } from "../incident/display.ts";
import type { SourceFile } from "../incident/types.ts";
import { GitError, incidentSourcesAt, repoPath, repoRoot, resolveCommit } from "../guard/git.ts";
import { guardChange } from "../guard/guard.ts";
import { parseFlags, type Command } from "../cli/command.ts";
import { DEFAULT_INCIDENTS_DIR, readPreamble, reportDiagnostics } from "../cli/incidents.ts";
import { escapeAnnotation, EXIT_INVALID, EXIT_OK, EXIT_USAGE, palette, UsageError, type Io } from "../cli/io.ts";

export const guardCommand: Command = {
  name: "guard",
  summary: "fail a change that removes or weakens an incident that is still active",
  usage: `usage: npx cordon guard --base REV [--head REV] [--now ISO] [--stack-outputs FILE]
                                         [--allow-early-removal] [--dir DIR]

Compares the incidents under DIR at two git revisions, by incident id (a file moved to another
folder keeps its id), and fails when the change removes or weakens an incident that is still
active at --now: the file deleted, a user, role or access key removed, a user or role respelled
(IAM ignores case, cordon's resource names do not), the cutoff moved earlier,
the mode lowered from deny-all to revoke-older-sessions, the account changed, holdUntil shortened
or removed. Adding, strengthening, and removing expired incidents pass.

options:
  --base REV              the revision the change starts from (in CI: origin/<base branch>)
  --head REV              the revision it ends at (default: the working tree)
  --now ISO               the instant to judge at (default: now)
  --stack-outputs FILE    \`pulumi stack output --json\`: recorded at-containment instants; without
                          it, an at-containment incident is taken to be active (the safe reading)
  --allow-early-removal   let an approved emergency through: exit 0, and say loudly what is weakened
  --dir DIR               the incidents folder (default: incidents)
  -h, --help              this text

exit: 0 nothing active is weakened (or --allow-early-removal), 1 an active incident is removed or
weakened, or a head file is invalid, 2 usage error or git error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      base: { type: "string" },
      head: { type: "string" },
      now: { type: "string" },
      "stack-outputs": { type: "string" },
      "allow-early-removal": { type: "boolean" },
      dir: { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}": name revisions with --base and --head`);
    if (values.base === undefined) throw new UsageError("--base REV is required: the revision the change starts from, such as origin/main");
    const { now, containment } = readPreamble(values, io);

    let root: string;
    let base: SourceFile[];
    let head: SourceFile[];
    const dirAbsolute = resolve(io.cwd, values.dir ?? DEFAULT_INCIDENTS_DIR);
    try {
      root = repoRoot(io.cwd);
      const dir = repoPath(relative(root, dirAbsolute));
      if (dir.startsWith("..") || isAbsolute(dir)) throw new UsageError(`--dir ${values.dir}: expected a folder inside the repository ${root}`);
      // Paths as the user sees them: relative to where guard runs, like every other command.
      const shown = (files: SourceFile[]) => files.map((f) => ({ ...f, path: relative(io.cwd, join(root, f.path)) }));
      base = shown(incidentSourcesAt(root, resolveCommit(root, values.base), dir));
      if (values.head !== undefined) {
        head = shown(incidentSourcesAt(root, resolveCommit(root, values.head), dir));
      } else {
        const read = existsSync(dirAbsolute) ? readIncidentSources([dirAbsolute], io.cwd) : { files: [], errors: [] };
        if (read.errors.length > 0) {
          reportDiagnostics(read.errors, io);
          return EXIT_INVALID;
        }
        head = read.files;
      }
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      io.err(`cordon guard: git: ${displayValue(maskSecrets(error.message))}\n`);
      return EXIT_USAGE;
    }

    const before = loadIncidents(base, { now });
    if (before.errors.length > 0) {
      io.err(`cordon guard: the incident files at --base ${values.base} are invalid, so there is nothing safe to compare against:\n`);
      for (const error of before.errors) io.err(`  ${displayValue(formatDiagnostic(error))}\n`);
      return EXIT_USAGE;
    }
    const after = loadIncidents(head, { now });
    if (after.errors.length > 0) {
      // A change the guard cannot read cannot be proven safe.
      reportDiagnostics(after.errors, io);
      io.err("cordon guard: fix the incident files above: a change that cannot be read cannot be proven safe\n");
      return EXIT_INVALID;
    }

    const result = guardChange(before.incidents, after.incidents, now, containment);
    for (const note of result.notes) io.out(`ok  ${displayValue(note.message)}\n`);
    const headName = values.head ?? "the working tree";
    if (result.violations.length === 0) {
      io.out(`guard: no active incident is removed or weakened (${count(before.incidents.length)} at ${values.base}, ${count(after.incidents.length)} at ${headName})\n`);
      return EXIT_OK;
    }
    return values["allow-early-removal"] ? allowLoudly(result.violations.map((v) => v.message), io) : refuse(result.violations.map((v) => v.message), io);
  },
};

function refuse(messages: string[], io: Io): number {
  const colour = palette(io, io.errIsTTY);
  for (const message of messages) io.err(`${colour.red("error")} ${displayValue(message)}\n`);
  if (io.env.GITHUB_ACTIONS === "true") for (const message of messages) io.err(`::error title=cordon guard::${escapeAnnotation(displayValue(message))}\n`);
  io.err(
    `guard: ${messages.length} ${messages.length === 1 ? "change weakens an incident" : "changes weaken incidents"} that ${messages.length === 1 ? "is" : "are"} still active: keep ${messages.length === 1 ? "it" : "them"} until ${messages.length === 1 ? "it expires" : "they expire"} (cordon status), or, for an approved emergency, run guard with --allow-early-removal\n`,
  );
  return EXIT_INVALID;
}

/** An approved emergency goes through, but never quietly: the log says what protection ends early. */
function allowLoudly(messages: string[], io: Io): number {
  const colour = palette(io, io.errIsTTY);
  const banner = "!!! EARLY REMOVAL ALLOWED (--allow-early-removal) !!!";
  io.err(`${colour.bold(colour.red(banner))}\n`);
  for (const message of messages) io.err(`${colour.red("weakened")} ${displayValue(message)}\n`);
  if (io.env.GITHUB_ACTIONS === "true") for (const message of messages) io.err(`::warning title=cordon guard: early removal allowed::${escapeAnnotation(displayValue(message))}\n`);
  io.err(`${colour.bold(colour.red(banner))}\nthese incidents lose protection before they expire: record who approved it and why, in the pull request\n`);
  return EXIT_OK;
}

function count(n: number): string {
  return `${n} ${n === 1 ? "incident" : "incidents"}`;
}
