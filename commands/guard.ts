import { formatDiagnostic } from "../incident/diagnostics.ts";
import { displayValue, jsonSafe } from "../incident/display.ts";
import { maskSecrets } from "../incident/secrets.ts";
import { GitError } from "../git/repository.ts";
import { judgeChange, verdict, type Judgement, type Revisions } from "../guard/judge.ts";
import { OutsideRepositoryError, ProjectNotAtRootError, readRevisions } from "../git/revisions.ts";
import { booleanFlags, listFlags, parseFlags, stringFlags, type Command } from "../cli/command.ts";
import { readPreamble, reportDiagnostics } from "../cli/incidents.ts";
import {
  CannotRunError,
  escapeAnnotation,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_USAGE,
  palette,
  UsageError,
  type Io,
} from "../cli/io.ts";

export const guardCommand: Command = {
  name: "guard",
  usage: `usage: npx cordon guard --base REV [--head REV] [--now ISO] [--stack-outputs FILE]
                                         [--allow-early-removal] [--additive] [--json] [--dir DIR]

Compares what each stack applies at two git revisions: the incidents under DIR and under every
stack's folder (Pulumi.<stack>.yaml: cordon:account, cordon:incidentsDir), by incident id (a file
moved to another folder keeps its id). Fails when the change removes or weakens an incident that
is still active at --now: the file deleted, a user, role or access key removed, a user or role
respelled (IAM ignores case, cordon's resource names do not), the cutoff moved earlier, the mode
lowered from deny-all to revoke-older-sessions, the account changed, holdUntil shortened or
removed, or no stack applying it any more (a stack file pointed elsewhere, moved to another
account, or removed). Also fails on a new incident that has already expired, and on a symbolic
link, submodule or executable among the incident files. Adding, strengthening, and removing
expired incidents pass. Reports every other path the change touches as code, which a code owner
must review: only regular files incidents/**/*.yaml and incidents/**/*.yml are not (the allowlist,
guard/protected-paths.ts). Lists each replacement role added or changed on a line of its own, who
may assume it and what it gets: it weakens nothing, but it is a new access path to review.

When the incident files at --base are invalid, the head is judged against the last applied state
(--stack-outputs) instead, so that a fix can land. A stack file no stack reads (a second file of an
account, a .yml copy) applies nothing: at the base it is judged without, and at the head too when
the change leaves it as it was (a warning); one the change adds or edits fails the head.

options:
  --base REV              the revision the change starts from (in CI: origin/<base branch>)
  --head REV              the revision it ends at (default: the working tree)
  --now ISO               the instant to judge at (default: now)
  --stack-outputs FILE    \`pulumi stack output --json\`: recorded at-containment instants, and the
                          applied state to judge against when the base is invalid; without it, an
                          at-containment incident is taken to be active (the safe reading)
  --allow-early-removal   let an approved emergency through: exit 0, and say loudly what is weakened
  --additive              exit 0 only when the change only adds containment (new incidents without
                          replacement roles, principals or keys added, deny-all, a later holdUntil
                          or cutoff), and is valid; every reason otherwise. Never additive: code, a
                          deny-all or guardrail over cordon's own roles, OrganizationAccountAccessRole
                          or Pulumi.yaml's cordon:protectedPrincipals, a user of that list named by
                          an incident (its credentials disabled, its password deleted), a credential
                          the base keeps that the head would not, a holdUntil over 30 days away
  --json                  {"ok", "additive", "reasons", "violations", "notes", "accessPaths",
                          "codeChanges", "unreadStackFiles", "withheldStackFiles", ...}
  --dir DIR               the incidents folder (default: incidents/ at the repository's root,
                          where guard finds the project from any subfolder)
  -h, --help              this text

exit: 0 nothing active is weakened (or --allow-early-removal; with --additive: the change is
additive), 1 an active incident is removed or weakened, an incident added expired, a head file
invalid, a plan at the head that pulumi up would refuse whole (a deny policy over IAM's size), or
(--additive) the change is not additive, 2 usage error, git error, or the base is
invalid and no --stack-outputs says what is applied`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...stringFlags("base", "head", "now"),
      ...listFlags("stack-outputs"),
      ...booleanFlags("allow-early-removal", "additive", "json"),
      ...stringFlags("dir"),
    });
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}": name revisions with --base and --head`);
    if (values.base === undefined)
      throw new UsageError("--base REV is required: the revision the change starts from, such as origin/main");
    const { now, containment, outputs } = readPreamble(values, io);

    let read: Revisions;
    try {
      read = readRevisions(
        io.cwd,
        values.base,
        values.head,
        values.dir,
        outputs.map((o) => o.file),
      );
    } catch (error) {
      if (error instanceof OutsideRepositoryError) throw new UsageError(error.message);
      if (error instanceof ProjectNotAtRootError) throw new CannotRunError(error.message);
      if (!(error instanceof GitError)) throw error;
      io.err(`cordon guard: git: ${displayValue(maskSecrets(error.message))}\n`);
      return EXIT_USAGE;
    }

    const judged = judgeChange({ ...read, baseName: values.base, now, containment, outputs });
    if ("badOutputs" in judged)
      throw new UsageError(`--stack-outputs ${judged.badOutputs.file}: ${judged.badOutputs.message}`);
    if ("unjudgeable" in judged) {
      io.err(
        `cordon guard: the incident files or stack files at --base ${displayValue(values.base)} are invalid, so there is nothing safe to compare against:\n`,
      );
      for (const problem of judged.unjudgeable) io.err(`  ${displayValue(problem)}\n`);
      io.err(
        "cordon guard: pass --stack-outputs FILE (pulumi stack output --json) to judge the head against the last applied state instead\n",
      );
      return EXIT_USAGE;
    }
    const options: Options = {
      base: values.base,
      head: values.head ?? "the working tree",
      additive: values.additive === true,
      allowEarlyRemoval: values["allow-early-removal"] === true,
      stackOutputsFile: outputs.length > 0 ? outputs.map((o) => o.file).join(", ") : undefined,
    };
    return values.json === true ? printJson(judged.judgement, options, io) : printText(judged.judgement, options, io);
  },
};

interface Options {
  base: string;
  head: string;
  additive: boolean;
  allowEarlyRemoval: boolean;
  stackOutputsFile?: string;
}

function printJson(judged: Judgement, options: Options, io: Io): number {
  const { additive, blocked, weakened } = verdict(judged, options);
  const code = blocked ? EXIT_INVALID : EXIT_OK;
  const document = {
    ok: code === EXIT_OK,
    base: options.base,
    head: options.head,
    judgedAgainst: judged.judgedAgainst.kind,
    ...(judged.judgedAgainst.kind === "stack-outputs"
      ? { appliedAccount: judged.judgedAgainst.account, baseProblems: judged.judgedAgainst.problems }
      : {}),
    additive,
    reasons: judged.reasons,
    violations: judged.violations,
    allowedEarlyRemoval: options.allowEarlyRemoval && weakened.length > 0,
    notes: judged.notes,
    accessPaths: judged.accessPaths,
    codeChanges: judged.codeChanges,
    errors: [...judged.headErrors.map(formatDiagnostic), ...judged.headStackProblems, ...judged.headPlanProblems],
    unreadStackFiles: judged.unreadStackFiles,
    withheldStackFiles: judged.withheldStackFiles,
    incidents: judged.counts,
  };
  io.out(`${jsonSafe(JSON.stringify(document, null, 2))}\n`);
  return code;
}

function printText(judged: Judgement, options: Options, io: Io): number {
  const { invalid, unappliable, weakened, refused, additive, blocked } = verdict(judged, options);
  const code = blocked ? EXIT_INVALID : EXIT_OK;
  const colour = palette(io, io.errIsTTY);
  const ci = io.env.GITHUB_ACTIONS === "true";
  const { judgedAgainst } = judged;
  if (judgedAgainst.kind === "stack-outputs") {
    io.err(
      `cordon guard: the incident files or stack files at --base ${displayValue(options.base)} are invalid; judging the head against the last applied state instead (${displayValue(options.stackOutputsFile ?? "")}, account ${judgedAgainst.account}; incidents of other accounts are judged as added):\n`,
    );
    for (const problem of judgedAgainst.problems) io.err(`  ${displayValue(problem)}\n`);
  }
  if (judged.unreadStackFiles.length > 0) {
    for (const problem of judged.unreadStackFiles) io.err(`cordon guard: warning: ${displayValue(problem)}\n`);
    const files = new Set(judged.unreadStackFiles.map((problem) => problem.split(":")[0])).size;
    io.err(
      `cordon guard: warning: ${files === 1 ? "1 stack file" : `${files} stack files`} above, as at --base ${displayValue(options.base)}, ${files === 1 ? "is" : "are"} read by no stack: ${files === 1 ? "it applies" : "they apply"} nothing, and the change is judged without ${files === 1 ? "it" : "them"}; remove ${files === 1 ? "it" : "them"} (docs/lifecycle.md, "When a stack file is refused")\n`,
    );
  }
  if (judged.withheldStackFiles.length > 0) {
    for (const problem of judged.withheldStackFiles) io.err(`cordon guard: warning: ${displayValue(problem)}\n`);
    const files = new Set(judged.withheldStackFiles.map((problem) => problem.split(":")[0])).size;
    io.err(
      `cordon guard: warning: ${files === 1 ? "1 stack file" : `${files} stack files`} above, as at --base ${displayValue(options.base)}, ${files === 1 ? "withholds its account" : "withhold their accounts"}: nothing is applied there until ${files === 1 ? "it is" : "they are"} fixed, and the change is judged without ${files === 1 ? "it" : "them"}; a change to an incident of ${files === 1 ? "that account" : "those accounts"} is refused until then (docs/lifecycle.md, "When a stack file is refused")\n`,
    );
  }
  for (const file of judged.environments)
    io.err(
      `cordon guard: note: ${displayValue(file)} imports ESC environments: config they set is not seen by guard\n`,
    );

  if (invalid) {
    if (judged.headErrors.length > 0) reportDiagnostics(judged.headErrors, io);
    for (const problem of judged.headStackProblems) io.err(`${displayValue(problem)}\n`);
    io.err(
      `cordon guard: fix the ${judged.headStackProblems.length > 0 && judged.headErrors.length === 0 ? "stack files" : "incident files"} above: a change that cannot be read cannot be proven safe\n`,
    );
  }
  if (unappliable) {
    for (const problem of judged.headPlanProblems) io.err(`${colour.red("error")} ${displayValue(problem)}\n`);
    if (ci)
      for (const problem of judged.headPlanProblems)
        io.err(`::error title=cordon guard::${escapeAnnotation(displayValue(problem))}\n`);
    io.err(
      `cordon guard: the head's plan cannot be applied: pulumi up would declare nothing in ${judged.headPlanProblems.length === 1 ? "the account" : "each account"} named above, on every run until it is fixed (drift repair and later contains there included) (--allow-early-removal does not apply)\n`,
    );
  }
  for (const note of judged.notes) io.out(`ok  ${displayValue(note.message)}\n`);
  // A replacement role weakens nothing, but it is a new way in: said on its own line, for a reviewer.
  for (const path of judged.accessPaths) {
    io.out(`review  ${displayValue(path.message)}\n`);
    if (ci) io.err(`::warning title=cordon guard: new access path::${escapeAnnotation(displayValue(path.message))}\n`);
  }
  for (const { path, reason } of judged.codeChanges) {
    const line = `${path}: ${reason}: code, which a code owner must review`;
    io.out(`review  ${displayValue(line)}\n`);
    if (ci) io.err(`::warning title=cordon guard: code-owner review::${escapeAnnotation(displayValue(line))}\n`);
  }

  if (refused.length > 0) {
    for (const violation of refused) io.err(`${colour.red("error")} ${displayValue(violation.message)}\n`);
    if (ci)
      for (const violation of refused)
        io.err(`::error title=cordon guard::${escapeAnnotation(displayValue(violation.message))}\n`);
    const expired = refused.filter((v) => v.kind === "added-expired").length;
    const irregular = refused.filter((v) => v.kind === "not-regular").length;
    const one = (n: number, singular: string, plural: string) => (n === 1 ? singular : plural);
    const final = "(--allow-early-removal does not apply)";
    if (expired > 0) {
      const what = `${expired} added ${one(expired, "incident has", "incidents have")} already expired`;
      io.err(`guard: ${what}: check ${one(expired, "its", "their")} cutoff ${final}\n`);
    }
    if (irregular > 0) {
      io.err(
        `guard: ${irregular} ${one(irregular, "path", "paths")} among the incident files ${one(irregular, "is not a regular file", "are not regular files")} ${final}\n`,
      );
    }
  }
  if (weakened.length > 0) {
    if (options.allowEarlyRemoval)
      allowLoudly(
        weakened.map((v) => v.message),
        io,
      );
    else
      refuse(
        weakened.map((v) => v.message),
        io,
      );
  } else if (!invalid && refused.length === 0) {
    const before =
      judgedAgainst.kind === "stack-outputs" ? `applied in account ${judgedAgainst.account}` : `at ${options.base}`;
    io.out(
      `guard: no active incident is removed or weakened (${count(judged.counts.base)} ${displayValue(before)}, ${count(judged.counts.head)} at ${displayValue(options.head)})\n`,
    );
  }

  if (options.additive) {
    if (additive) io.out("guard: additive: the change only adds containment\n");
    else {
      for (const reason of judged.reasons) io.err(`${colour.red("not additive")} ${displayValue(reason)}\n`);
      io.err(
        `guard: not additive (${judged.reasons.length} ${judged.reasons.length === 1 ? "reason" : "reasons"}): it needs a pull request and a reviewer\n`,
      );
    }
  }
  return code;
}

function refuse(messages: string[], io: Io): void {
  const colour = palette(io, io.errIsTTY);
  for (const message of messages) io.err(`${colour.red("error")} ${displayValue(message)}\n`);
  if (io.env.GITHUB_ACTIONS === "true")
    for (const message of messages) io.err(`::error title=cordon guard::${escapeAnnotation(displayValue(message))}\n`);
  io.err(
    `guard: ${messages.length} ${messages.length === 1 ? "change weakens an incident" : "changes weaken incidents"} that ${messages.length === 1 ? "is" : "are"} still active: keep ${messages.length === 1 ? "it" : "them"} until ${messages.length === 1 ? "it expires" : "they expire"} (cordon status), or, for an approved emergency, run guard with --allow-early-removal\n`,
  );
}

/** An approved emergency goes through, but never quietly: the log says what protection ends early. */
function allowLoudly(messages: string[], io: Io): void {
  const colour = palette(io, io.errIsTTY);
  const banner = "!!! EARLY REMOVAL ALLOWED (--allow-early-removal) !!!";
  io.err(`${colour.bold(colour.red(banner))}\n`);
  for (const message of messages) io.err(`${colour.red("weakened")} ${displayValue(message)}\n`);
  if (io.env.GITHUB_ACTIONS === "true")
    for (const message of messages)
      io.err(`::warning title=cordon guard: early removal allowed::${escapeAnnotation(displayValue(message))}\n`);
  io.err(
    `${colour.bold(colour.red(banner))}\nthese incidents lose protection before they expire: record who approved it and why, in the pull request\n`,
  );
}

function count(n: number): string {
  return `${n} ${n === 1 ? "incident" : "incidents"}`;
}
