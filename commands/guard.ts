import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { formatDiagnostic, type Diagnostic } from "../incident/diagnostics.ts";
import { displayValue, jsonSafe } from "../incident/display.ts";
import { loadIncidents, maskSecrets } from "../incident/load.ts";
import { INCIDENT_FILE, readIncidentSources } from "../incident/read.ts";
import { AT_CONTAINMENT, type Incident, type SourceFile } from "../incident/types.ts";
import { computeExpiry } from "../incident/expiry.ts";
import { appliedState } from "../plan/outputs.ts";
import { changedPaths, GitError, incidentSourcesAt, repoPath, repoRoot, resolveCommit, rootFilesAt } from "../guard/git.ts";
import { classifyChange, guardChange, stackCoverage, type BaseIncident, type Note, type StackSide, type Violation } from "../guard/guard.ts";
import { isProtectedPath } from "../guard/protected-paths.ts";
import { parseStacks, PROJECT_FILE, STACK_FILE, type StacksResult } from "../guard/stacks.ts";
import { parseFlags, type Command } from "../cli/command.ts";
import { DEFAULT_INCIDENTS_DIR, readPreamble, reportDiagnostics } from "../cli/incidents.ts";
import { escapeAnnotation, EXIT_INVALID, EXIT_OK, EXIT_USAGE, palette, UsageError, type Io } from "../cli/io.ts";

export const guardCommand: Command = {
  name: "guard",
  summary: "fail a change that removes or weakens an incident that is still active",
  usage: `usage: npx cordon guard --base REV [--head REV] [--now ISO] [--stack-outputs FILE]
                                         [--allow-early-removal] [--additive] [--json] [--dir DIR]

Compares what each stack applies at two git revisions: the incidents under DIR and under every
stack's folder (Pulumi.<stack>.yaml: cordon:account, cordon:incidentsDir), by incident id (a file
moved to another folder keeps its id). Fails when the change removes or weakens an incident that
is still active at --now: the file deleted, a user, role or access key removed, a user or role
respelled (IAM ignores case, cordon's resource names do not), the cutoff moved earlier, the mode
lowered from deny-all to revoke-older-sessions, the account changed, holdUntil shortened or
removed, or no stack applying it any more (a stack file pointed elsewhere, moved to another
account, or removed). Also fails on a new incident that has already expired. Adding,
strengthening, and removing expired incidents pass. Reports every change to code that decides
what is applied (guard/protected-paths.ts) as needing code-owner review.

When the incident files at --base are invalid, the head is judged against the last applied state
(--stack-outputs) instead, so that a fix can land.

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
                          or cutoff), and is valid; every reason otherwise
  --json                  {"ok", "additive", "reasons", "violations", "notes", "codeChanges", ...}
  --dir DIR               the incidents folder (default: incidents)
  -h, --help              this text

exit: 0 nothing active is weakened (or --allow-early-removal; with --additive: the change is
additive), 1 an active incident is removed or weakened, an incident added expired, a head file
invalid, or (--additive) the change is not additive, 2 usage error, git error, or the base is
invalid and no --stack-outputs says what is applied`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      base: { type: "string" },
      head: { type: "string" },
      now: { type: "string" },
      "stack-outputs": { type: "string", multiple: true },
      "allow-early-removal": { type: "boolean" },
      additive: { type: "boolean" },
      json: { type: "boolean" },
      dir: { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}": name revisions with --base and --head`);
    if (values.base === undefined) throw new UsageError("--base REV is required: the revision the change starts from, such as origin/main");
    const { now, containment, outputs } = readPreamble(values, io);

    let read: Revisions;
    try {
      read = readRevisions(io, values.base, values.head, values.dir ?? DEFAULT_INCIDENTS_DIR, outputs.map((o) => o.file));
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      io.err(`cordon guard: git: ${displayValue(maskSecrets(error.message))}\n`);
      return EXIT_USAGE;
    }

    const options: Options = {
      base: values.base,
      head: values.head ?? "the working tree",
      json: values.json === true,
      additive: values.additive === true,
      allowEarlyRemoval: values["allow-early-removal"] === true,
      stackOutputsFile: outputs.length > 0 ? outputs.map((o) => o.file).join(", ") : undefined,
    };

    // The base as it was applied: its files, or, when they do not validate, the stack's outputs.
    const beforeLoaded = loadIncidents(read.base.sources, { now });
    const baseProblems = [...read.base.stacks.problems, ...beforeLoaded.errors.map(formatDiagnostic)];
    let base: BaseIncident[] = beforeLoaded.incidents;
    let judgedAgainst: Judged = { kind: "base" };
    if (baseProblems.length > 0) {
      if (outputs.length === 0) {
        io.err(`cordon guard: the incident files or stack files at --base ${displayValue(values.base)} are invalid, so there is nothing safe to compare against:\n`);
        for (const problem of baseProblems) io.err(`  ${displayValue(problem)}\n`);
        io.err("cordon guard: pass --stack-outputs FILE (pulumi stack output --json) to judge the head against the last applied state instead\n");
        return EXIT_USAGE;
      }
      const accounts = outputs.map((o) => {
        try {
          // Read here to refuse a file that is not the outputs; made into incidents once the head is read.
          return appliedState(o.json).account;
        } catch (error) {
          throw new UsageError(`--stack-outputs ${o.file}: ${(error as Error).message}`);
        }
      });
      judgedAgainst = { kind: "stack-outputs", account: [...new Set(accounts)].sort().join(", "), problems: baseProblems };
    }

    const afterLoaded = loadIncidents(read.head.sources, { now });
    const headErrors = [...read.head.readErrors, ...afterLoaded.errors];
    const headInvalid = headErrors.length > 0 || read.head.stacks.problems.length > 0;
    const head = afterLoaded.incidents;
    if (judgedAgainst.kind === "stack-outputs") base = mergeApplied(outputs.flatMap((o) => baseFromOutputs(appliedState(o.json), o.file, head)));

    const baseSide: StackSide = { stacks: read.base.stacks.stacks.length > 0 || read.base.stackFiles > 0 ? read.base.stacks.stacks : null, legacyDir: read.dir };
    const headSide: StackSide = { stacks: read.head.stacks.stacks.length > 0 || read.head.stackFiles > 0 ? read.head.stacks.stacks : null, legacyDir: read.dir };
    const result = headInvalid ? { violations: [], notes: [] } : guardChange(base, head, now, containment);
    const coverage = headInvalid
      ? []
      : stackCoverage({
          base,
          head,
          now,
          containment,
          baseSide,
          headSide,
          repoPath: read.repoPath,
          // What the stack outputs name is what was applied.
          baseApplied: judgedAgainst.kind === "stack-outputs" ? () => true : undefined,
        });
    // Judged against the outputs, an incident the outputs do not name looks added; one whose file
    // was already there at the base was not added by this change, expired or not.
    const baseFiles = new Set(read.base.sources.map((file) => file.path));
    const violations = [...result.violations.filter((v) => !(judgedAgainst.kind === "stack-outputs" && v.kind === "added-expired" && baseFiles.has(v.file))), ...coverage];
    const codeChanges = read.changed.filter(isProtectedPath);
    const unreadable = [
      ...(headInvalid ? [`the head does not validate (${headErrors.length + read.head.stacks.problems.length} ${headErrors.length + read.head.stacks.problems.length === 1 ? "problem" : "problems"}): a change that cannot be read cannot be proven safe`] : []),
      ...(judgedAgainst.kind === "stack-outputs" ? [`the incident files at --base ${values.base} do not validate: judged against the last applied state, which cannot tell what was only added`] : []),
    ];
    const reasons = classifyChange({
      // An invalid head has no incidents to compare: its one reason is that it does not validate.
      base: headInvalid ? [] : base,
      head,
      containment,
      violations,
      changedPaths: read.changed,
      incidentsDir: read.dir,
      isIncidentFile: (path) => INCIDENT_FILE.test(path) && !path.split("/").some((segment) => segment.startsWith(".") || segment === "node_modules"),
      isProtected: isProtectedPath,
      unreadable,
    });

    const judged: Judgement = {
      judgedAgainst,
      headErrors,
      headStackProblems: read.head.stacks.problems,
      environments: [...read.base.stacks.stacks, ...read.head.stacks.stacks].filter((s) => s.environments).map((s) => s.file),
      violations,
      notes: result.notes,
      codeChanges,
      reasons,
      counts: { base: base.length, head: head.length },
    };
    return options.json ? printJson(judged, options, io) : printText(judged, options, io);
  },
};

/** What the base is judged as. */
type Judged = { kind: "base" } | { kind: "stack-outputs"; account: string; problems: string[] };

interface Options {
  base: string;
  head: string;
  json: boolean;
  additive: boolean;
  allowEarlyRemoval: boolean;
  stackOutputsFile?: string;
}

interface Judgement {
  judgedAgainst: Judged;
  headErrors: Diagnostic[];
  headStackProblems: string[];
  /** Stack files that import ESC environments, whose config guard cannot see. */
  environments: string[];
  violations: Violation[];
  notes: Note[];
  codeChanges: string[];
  reasons: string[];
  counts: { base: number; head: number };
}

/** The exit code, and what it rests on. */
function verdict(judged: Judgement, options: Options) {
  const invalid = judged.headErrors.length > 0 || judged.headStackProblems.length > 0;
  const weakened = judged.violations.filter((v) => v.overridable);
  const refused = judged.violations.filter((v) => !v.overridable);
  const additive = judged.reasons.length === 0;
  const blocked = invalid || refused.length > 0 || (weakened.length > 0 && !options.allowEarlyRemoval) || (options.additive && !additive);
  return { invalid, weakened, refused, additive, code: blocked ? EXIT_INVALID : EXIT_OK };
}

function printJson(judged: Judgement, options: Options, io: Io): number {
  const { additive, code, weakened } = verdict(judged, options);
  const document = {
    ok: code === EXIT_OK,
    base: options.base,
    head: options.head,
    judgedAgainst: judged.judgedAgainst.kind,
    ...(judged.judgedAgainst.kind === "stack-outputs" ? { appliedAccount: judged.judgedAgainst.account, baseProblems: judged.judgedAgainst.problems } : {}),
    additive,
    reasons: judged.reasons,
    violations: judged.violations,
    allowedEarlyRemoval: options.allowEarlyRemoval && weakened.length > 0,
    notes: judged.notes,
    codeChanges: judged.codeChanges,
    errors: [...judged.headErrors.map(formatDiagnostic), ...judged.headStackProblems],
    incidents: judged.counts,
  };
  io.out(`${jsonSafe(JSON.stringify(document, null, 2))}\n`);
  return code;
}

function printText(judged: Judgement, options: Options, io: Io): number {
  const { invalid, weakened, refused, additive, code } = verdict(judged, options);
  const colour = palette(io, io.errIsTTY);
  const ci = io.env.GITHUB_ACTIONS === "true";
  const { judgedAgainst } = judged;
  if (judgedAgainst.kind === "stack-outputs") {
    io.err(
      `cordon guard: the incident files or stack files at --base ${displayValue(options.base)} are invalid; judging the head against the last applied state instead (${displayValue(options.stackOutputsFile ?? "")}, account ${judgedAgainst.account}; incidents of other accounts are judged as added):\n`,
    );
    for (const problem of judgedAgainst.problems) io.err(`  ${displayValue(problem)}\n`);
  }
  for (const file of judged.environments) io.err(`cordon guard: note: ${displayValue(file)} imports ESC environments: config they set is not seen by guard\n`);

  if (invalid) {
    if (judged.headErrors.length > 0) reportDiagnostics(judged.headErrors, io);
    for (const problem of judged.headStackProblems) io.err(`${displayValue(problem)}\n`);
    io.err(`cordon guard: fix the ${judged.headStackProblems.length > 0 && judged.headErrors.length === 0 ? "stack files" : "incident files"} above: a change that cannot be read cannot be proven safe\n`);
  }
  for (const note of judged.notes) io.out(`ok  ${displayValue(note.message)}\n`);
  for (const path of judged.codeChanges) io.out(`review  ${displayValue(path)}: it decides what is applied: a code owner must review this change\n`);
  if (ci) for (const path of judged.codeChanges) io.err(`::warning title=cordon guard: code-owner review::${escapeAnnotation(displayValue(`${path} decides what is applied: a code owner must review this change`))}\n`);

  if (refused.length > 0) {
    for (const violation of refused) io.err(`${colour.red("error")} ${displayValue(violation.message)}\n`);
    if (ci) for (const violation of refused) io.err(`::error title=cordon guard::${escapeAnnotation(displayValue(violation.message))}\n`);
    const n = refused.length;
    io.err(`guard: ${n} added ${n === 1 ? "incident has" : "incidents have"} already expired: check ${n === 1 ? "its" : "their"} cutoff (--allow-early-removal does not apply)\n`);
  }
  if (weakened.length > 0) {
    if (options.allowEarlyRemoval) allowLoudly(weakened.map((v) => v.message), io);
    else refuse(weakened.map((v) => v.message), io);
  } else if (!invalid && refused.length === 0) {
    const before = judgedAgainst.kind === "stack-outputs" ? `applied in account ${judgedAgainst.account}` : `at ${options.base}`;
    io.out(`guard: no active incident is removed or weakened (${count(judged.counts.base)} ${displayValue(before)}, ${count(judged.counts.head)} at ${displayValue(options.head)})\n`);
  }

  if (options.additive) {
    if (additive) io.out("guard: additive: the change only adds containment\n");
    else {
      for (const reason of judged.reasons) io.err(`${colour.red("not additive")} ${displayValue(reason)}\n`);
      io.err(`guard: not additive (${judged.reasons.length} ${judged.reasons.length === 1 ? "reason" : "reasons"}): it needs a pull request and a reviewer\n`);
    }
  }
  return code;
}

function refuse(messages: string[], io: Io): void {
  const colour = palette(io, io.errIsTTY);
  for (const message of messages) io.err(`${colour.red("error")} ${displayValue(message)}\n`);
  if (io.env.GITHUB_ACTIONS === "true") for (const message of messages) io.err(`::error title=cordon guard::${escapeAnnotation(displayValue(message))}\n`);
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
  if (io.env.GITHUB_ACTIONS === "true") for (const message of messages) io.err(`::warning title=cordon guard: early removal allowed::${escapeAnnotation(displayValue(message))}\n`);
  io.err(`${colour.bold(colour.red(banner))}\nthese incidents lose protection before they expire: record who approved it and why, in the pull request\n`);
}

function count(n: number): string {
  return `${n} ${n === 1 ? "incident" : "incidents"}`;
}

// ---- Reading the two revisions.

interface Side {
  /** Incident files of every folder a stack reads (and DIR), paths as the user sees them. */
  sources: SourceFile[];
  /** Folders of the working tree that could not be read. */
  readErrors: Diagnostic[];
  stacks: StacksResult;
  /** How many stack files there are, valid or not. */
  stackFiles: number;
}

interface Revisions {
  base: Side;
  head: Side;
  /** DIR, from the repository's root. */
  dir: string;
  /** Every path the change touches, from the root. */
  changed: string[];
  /** A path as shown (relative to where guard runs) to its path from the root. */
  repoPath: (shown: string) => string;
}

const isStackOrProject = (name: string) => STACK_FILE.test(name) || PROJECT_FILE.test(name);

function stacksOf(files: SourceFile[]): { stacks: StacksResult; stackFiles: number } {
  const project = files.find((file) => PROJECT_FILE.test(file.path));
  const stackFiles = files.filter((file) => STACK_FILE.test(file.path)).map((file) => ({ file: file.path, text: file.text }));
  return { stacks: parseStacks(stackFiles, project?.text), stackFiles: stackFiles.length };
}

/**
 * The stack files and the incident files of both revisions: every folder that a stack reads, at
 * the base or at the head, is read on both sides, so that a file moved between them is followed.
 */
function readRevisions(io: Io, baseRev: string, headRev: string | undefined, dirFlag: string, stackOutputs: string[]): Revisions {
  const root = repoRoot(io.cwd);
  const dir = repoPath(relative(root, resolve(io.cwd, dirFlag)));
  if (dir.startsWith("..") || isAbsolute(dir)) throw new UsageError(`--dir ${dirFlag}: expected a folder inside the repository ${root}`);
  const baseCommit = resolveCommit(root, baseRev);
  const headCommit = headRev === undefined ? undefined : resolveCommit(root, headRev);

  const baseStacks = stacksOf(rootFilesAt(root, baseCommit, isStackOrProject));
  const headStacks = stacksOf(headCommit === undefined ? workingTreeRootFiles(root) : rootFilesAt(root, headCommit, isStackOrProject));
  const folders = [...new Set([dir, ...baseStacks.stacks.stacks.map((s) => s.dir), ...headStacks.stacks.stacks.map((s) => s.dir)])];

  // Paths as the user sees them: relative to where guard runs, like every other command.
  const toShown = new Map<string, string>();
  const shown = (files: SourceFile[]) =>
    files.map((file) => {
      const path = relative(io.cwd, join(root, file.path)) || file.path;
      toShown.set(path, file.path);
      return { ...file, path };
    });
  const union = (lists: SourceFile[][]) => [...new Map(lists.flat().map((file) => [file.path, file])).values()];

  const baseSources = shown(union(folders.map((folder) => incidentSourcesAt(root, baseCommit, folder))));
  let headSources: SourceFile[];
  const readErrors: Diagnostic[] = [];
  if (headCommit !== undefined) {
    headSources = shown(union(folders.map((folder) => incidentSourcesAt(root, headCommit, folder))));
  } else {
    const lists = folders.map((folder) => {
      const absolute = join(root, folder);
      if (!existsSync(absolute)) return [];
      const read = readIncidentSources([absolute], root);
      readErrors.push(...read.errors.map((error) => ({ ...error, file: relative(io.cwd, join(root, error.file)) || error.file })));
      return read.files;
    });
    headSources = shown(union(lists));
  }
  return {
    base: { sources: baseSources, readErrors: [], ...baseStacks },
    head: { sources: headSources, readErrors, ...headStacks },
    dir,
    // The stack outputs passed in are the state guard judges against, not part of the change.
    changed: changedPaths(root, baseCommit, headCommit).filter((path) => headCommit !== undefined || !stackOutputs.some((file) => path === repoPath(relative(root, resolve(io.cwd, file))))),
    repoPath: (path) => toShown.get(path) ?? repoPath(relative(root, resolve(io.cwd, path))),
  };
}

/** The stack files and the project file at the root of the working tree. */
function workingTreeRootFiles(root: string): SourceFile[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isFile() && isStackOrProject(entry.name))
    .map((entry) => ({ path: entry.name, text: readFileSync(join(root, entry.name), "utf8") }));
}

/**
 * The incidents a stack last applied, from its outputs, as base incidents: principals and keys
 * (the outputs do not say which user holds which key), the effective cutoff (the recorded instant
 * of an at-containment incident stays at-containment, with the instant among the recorded ones),
 * and a holdUntil where the recorded expiry is later than the cutoff alone gives. What the
 * outputs do not record (the file, the title, the replacement roles) is taken from the head, so
 * that only what is applied is compared.
 */
function baseFromOutputs(applied: ReturnType<typeof appliedState>, file: string, head: Incident[]): BaseIncident[] {
  const headById = new Map(head.map((incident) => [incident.id, incident]));
  return Object.entries(applied.incidents).map(([id, output]): BaseIncident => {
    const known = headById.get(id);
    const users = output.principals.filter((p) => p.type === "user").map((p) => ({ name: p.name, account: p.account ?? applied.account, accessKeys: [] as string[] }));
    const computed = computeExpiry({ users, cutoff: output.cutoff });
    const incident: Incident = {
      id,
      file: known?.file ?? file,
      title: known?.title ?? "",
      ...(known?.ticket !== undefined ? { ticket: known.ticket } : {}),
      ...(known?.owner !== undefined ? { owner: known.owner } : {}),
      account: output.account ?? applied.account,
      cutoff: output.atContainment ? AT_CONTAINMENT : output.cutoff,
      mode: output.mode === "deny-all" ? "deny-all" : "revoke-older-sessions",
      ...(computed !== null && output.expiresAt !== null && Date.parse(output.expiresAt) > Date.parse(computed) ? { holdUntil: output.expiresAt } : {}),
      users,
      roles: output.principals.filter((p) => p.type === "role").map((p) => ({ name: p.name, account: p.account ?? applied.account })),
      // What the stack applied, never the head's: judging against the head would hide a removal.
      organization: output.organization ?? { scp: false, rcp: false },
      identityCenterUsers: (output.identityCenterUsers ?? []).map((userId) => ({ userId })),
      replacementRoles: known?.replacementRoles ?? [],
    };
    return { ...incident, unownedKeys: output.accessKeys };
  });
}

/**
 * One incident from what every stack applied of it (each account's stack names the whole
 * incident): its principals, keys, guardrails and Identity Center users together; at-containment
 * when any stack records it so, deny-all when any applies it, and the latest hold.
 */
function mergeApplied(incidents: BaseIncident[]): BaseIncident[] {
  const byId = new Map<string, BaseIncident>();
  for (const incident of incidents) {
    const known = byId.get(incident.id);
    if (known === undefined) {
      byId.set(incident.id, incident);
      continue;
    }
    const unique = <T>(list: T[], key: (item: T) => string) => [...new Map(list.map((item) => [key(item), item])).values()];
    const holds = [known.holdUntil, incident.holdUntil].filter((h): h is string => h !== undefined).sort();
    byId.set(incident.id, {
      ...known,
      cutoff: known.cutoff === AT_CONTAINMENT || incident.cutoff === AT_CONTAINMENT ? AT_CONTAINMENT : [known.cutoff, incident.cutoff].sort().at(-1)!,
      mode: known.mode === "deny-all" || incident.mode === "deny-all" ? "deny-all" : known.mode,
      ...(holds.length > 0 ? { holdUntil: holds.at(-1) } : {}),
      users: unique([...known.users, ...incident.users], (u) => `${u.account}/${u.name.toLowerCase()}`),
      roles: unique([...known.roles, ...incident.roles], (r) => `${r.account}/${r.name.toLowerCase()}`),
      organization: { scp: known.organization.scp || incident.organization.scp, rcp: known.organization.rcp || incident.organization.rcp },
      identityCenterUsers: unique([...known.identityCenterUsers, ...incident.identityCenterUsers], (u) => u.userId),
      unownedKeys: [...new Set([...(known.unownedKeys ?? []), ...(incident.unownedKeys ?? [])])].sort(),
    });
  }
  return [...byId.values()];
}
