/**
 * What `cordon guard` concludes from two revisions already read: which base it judges against
 * (the base's files, or what the stacks last applied when those do not validate), the head's
 * problems, every violation, the notes, the code changes, whether the change is additive, and
 * the verdict. Pure: file texts, stacks and recorded outputs in, the judgement out; the command
 * reads the revisions (revisions.ts) and prints.
 */
import { formatDiagnostic, type Diagnostic } from "../incident/diagnostics.ts";
import { computeExpiry } from "../incident/expiry.ts";
import { incidentIdOfPath, principalKey } from "../incident/fields.ts";
import { loadIncidents } from "../incident/load.ts";
import { AT_CONTAINMENT, type Incident, type SourceFile } from "../incident/types.ts";
import { accountsOf } from "../plan/accounts.ts";
import { buildPlan, oversizedDenyPolicies, type ContainmentInstants, type OversizedDeny } from "../plan/plan.ts";
import { appliedState, currentInstants, type RecordedInstants, type StackOutputs } from "../plan/outputs.ts";
import type { ProtectedPrincipal } from "../plan/project.ts";
import {
  classifyChange,
  guardChange,
  stackCoverage,
  type BaseIncident,
  type Note,
  type StackSide,
  type Violation,
} from "./guard.ts";
import { ABSENT_MODE, codeReason, isIncidentFilePath, REGULAR_FILE_MODE, type PathChange } from "./protected-paths.ts";
import type { StacksResult } from "./stacks.ts";

/** One revision, read: its incident files and its stacks. */
export interface Revision {
  /** The incident files of every folder a stack reads (and DIR), paths as the user sees them. */
  sources: SourceFile[];
  /** Folders of the working tree that could not be read. */
  readErrors: Diagnostic[];
  /** The stacks its stack files declare, what names them, and the problems of those files. */
  stacks: StacksResult;
  /** How many stack files there are, valid or not. */
  stackFiles: number;
  /** `cordon:protectedPrincipals` of its Pulumi.yaml. */
  protectedPrincipals: ProtectedPrincipal[];
}

/** What one stack last applied (`pulumi stack output --json`), and the file it came from. */
export interface Applied {
  file: string;
  state: Pick<StackOutputs, "account" | "incidents">;
}

/** A `--stack-outputs` file given: its name and its JSON, read as the applied state only when judged against. */
export interface GivenOutputs {
  file: string;
  json: unknown;
}

/** The two revisions of a change, as revisions.ts reads them. */
export interface Revisions {
  base: Revision;
  head: Revision;
  /** DIR, from the repository's root. */
  dir: string;
  /** Every path the change touches, from the root, with its git modes. */
  changed: PathChange[];
  /** A path as shown (relative to where guard runs) to its path from the root. */
  repoPath: (shown: string) => string;
  /** A path from the root as shown: relative to where guard runs, as git shows paths. */
  shown: (path: string) => string;
}

export interface JudgeInput extends Revisions {
  /** The base as the user named it (`--base`), for the messages. */
  baseName: string;
  now: Date;
  /** The instants the stacks given recorded: those that hold for the base's incidents count. */
  containment: RecordedInstants;
  /** Every `--stack-outputs` given; judged against when the base does not validate. */
  outputs: GivenOutputs[];
}

/** What the base is judged as. */
export type Judged = { kind: "base" } | { kind: "stack-outputs"; account: string; problems: string[] };

export interface Judgement {
  judgedAgainst: Judged;
  headErrors: Diagnostic[];
  headStackProblems: string[];
  /**
   * The problems of the stack files no stack reads that the change leaves as they were at the
   * base, already refused there: they apply nothing, so the change is judged without them, and
   * they are said as warnings.
   */
  unreadStackFiles: string[];
  /**
   * What would make the program refuse the head's plan whole (program/deploy.ts declares nothing
   * then, on every run, until it is fixed), that the base's plan did not have: each a head problem.
   */
  headPlanProblems: string[];
  /**
   * The problems of the stack files that withhold their account at the base and that the change
   * leaves as they were: the change is judged without them, and they are said as warnings; a
   * change to an incident with a share in such an account is refused (withheldChanges).
   */
  withheldStackFiles: string[];
  /** Stack files that import ESC environments, whose config guard cannot see. */
  environments: string[];
  violations: Violation[];
  notes: Note[];
  /** Each replacement role added or changed, with who may assume it and what it gets (`GuardResult`). */
  accessPaths: Note[];
  /** Every change that is code (protected-paths.ts), with why, sorted by path. */
  codeChanges: { path: string; reason: string }[];
  /** Why the change is not additive; empty when it is. */
  reasons: string[];
  counts: { base: number; head: number };
}

/**
 * The judgement; or, when the base does not validate and no stack outputs say what was applied,
 * the base's problems: there is then nothing safe to compare against.
 */
export type JudgeResult =
  | { judgement: Judgement }
  | { unjudgeable: string[] }
  | { badOutputs: { file: string; message: string } };

export function judgeChange(input: JudgeInput): JudgeResult {
  const { now } = input;
  // The base as it was applied: its files, or, when they do not validate, the stacks' outputs.
  const beforeLoaded = loadIncidents(input.base.sources, { now });
  // An account's own stack file that the base withholds it for, and that the change leaves byte
  // for byte as it was (contain's commit of an incident elsewhere): no stack of the base or the
  // head reads it, so the change is judged without it, on both sides, as files no stack reads
  // are; what the change does to that account's own incidents is judged by withheldChanges.
  const baseHeld = new Map(input.base.stacks.withheld.map((file) => [file.file, file]));
  const held = input.head.stacks.withheld.filter((file) => baseHeld.get(file.file)?.text === file.text);
  const heldLines = new Set(held.flatMap((file) => [...file.problems, ...(baseHeld.get(file.file)?.problems ?? [])]));
  const heldAccounts = new Set(held.map((file) => file.account));
  const baseProblems = [
    ...input.base.stacks.problems.filter((problem) => !heldLines.has(problem)),
    ...beforeLoaded.errors.map(formatDiagnostic),
  ];
  const fromOutputs = baseProblems.length > 0;
  if (fromOutputs && input.outputs.length === 0) return { unjudgeable: baseProblems };
  const applied: Applied[] = [];
  for (const { file, json } of fromOutputs ? input.outputs : []) {
    try {
      applied.push({ file, state: appliedState(json) });
    } catch (error) {
      return { badOutputs: { file, message: (error as Error).message } };
    }
  }
  const accounts = [...new Set(applied.map((a) => a.state.account))].sort().join(", ");
  const judgedAgainst: Judged = fromOutputs
    ? { kind: "stack-outputs", account: accounts, problems: baseProblems }
    : { kind: "base" };

  const afterLoaded = loadIncidents(input.head.sources, { now });
  const headErrors = [...input.head.readErrors, ...afterLoaded.errors];
  // A stack file no stack reads applies nothing on either side (plan/project.ts, problemReach):
  // one the change leaves as the base had it, already refused there, is said and judged without;
  // one it adds or edits is the head's problem, as any other, so that none lands unseen.
  const baseUnread = new Map(input.base.stacks.unread.map((file) => [file.file, file.text]));
  const inherited = input.head.stacks.unread.filter((file) => baseUnread.get(file.file) === file.text);
  const headStackProblems = [
    ...input.head.stacks.problems.filter((problem) => !heldLines.has(problem)),
    ...input.head.stacks.unread.filter((file) => !inherited.includes(file)).flatMap((file) => file.problems),
  ];
  const headInvalid = headErrors.length > 0 || headStackProblems.length > 0;
  const head = afterLoaded.incidents;
  const base: BaseIncident[] = fromOutputs
    ? mergeApplied(applied.flatMap((a) => baseFromOutputs(a.state, a.file, head)))
    : beforeLoaded.incidents;
  // An instant recorded while a base incident had other keys is not its instant: it stays pending.
  const containment = currentInstants(input.containment, base);

  const side = (revision: Revision): StackSide => ({
    stacks: revision.stacks.stacks.length > 0 || revision.stackFiles > 0 ? revision.stacks.stacks : null,
    // A revision with a project reads the project's folder where no stack file says otherwise; one
    // without (an incidents folder alone) reads --dir.
    legacyDir: revision.stacks.identity.project === undefined ? input.dir : revision.stacks.incidentsDir,
    identity: revision.stacks.identity,
    projectDir: revision.stacks.incidentsDir,
  });
  // Judged against the outputs, an incident they do not name looks added; one whose file was
  // already there at the base was not added by this change, expired or not.
  const baseFiles = new Set(input.base.sources.map((file) => file.path));
  const inBase = fromOutputs ? (file: string) => baseFiles.has(file) : undefined;
  const result = headInvalid
    ? { violations: [], notes: [], accessPaths: [] }
    : guardChange(base, head, now, containment, inBase);
  const coverage = headInvalid
    ? []
    : stackCoverage({
        base,
        head,
        now,
        containment,
        baseSide: side(input.base),
        headSide: side(input.head),
        repoPath: input.repoPath,
        // What the stack outputs name is what was applied.
        baseApplied: fromOutputs ? () => true : undefined,
      });
  const violations = [
    ...result.violations,
    ...coverage,
    ...notRegular(input.changed, input.shown),
    ...(fromOutputs ? unaccounted(input, applied) : withheldChanges(input, beforeLoaded.incidents, heldAccounts)),
  ];
  const headPlanProblems = headInvalid ? [] : newPlanProblems(base, head, containment);
  const problemCount = headErrors.length + headStackProblems.length;
  const unreadable = [
    ...(headInvalid
      ? [
          `the head does not validate (${problemCount} ${problemCount === 1 ? "problem" : "problems"}): a change that cannot be read cannot be proven safe`,
        ]
      : []),
    ...(fromOutputs
      ? [
          `the incident files at --base ${input.baseName} do not validate: judged against the last applied state, which cannot tell what was only added`,
        ]
      : []),
    ...headPlanProblems.map((problem) => `the head's plan cannot be applied: ${problem}`),
  ];
  const reasons = classifyChange({
    // An invalid head has no incidents to compare: its one reason is that it does not validate.
    base: headInvalid ? [] : base,
    head,
    now,
    containment,
    // The base's list and the head's: a change cannot take a principal off the list it is judged by.
    protectedPrincipals: [...input.base.protectedPrincipals, ...input.head.protectedPrincipals],
    violations,
    changes: input.changed,
    shown: input.shown,
    incidentsDir: input.dir,
    unreadable,
  });
  return {
    judgement: {
      judgedAgainst,
      headErrors,
      headStackProblems,
      unreadStackFiles: inherited.flatMap((file) => file.problems),
      withheldStackFiles: held.flatMap((file) => file.problems),
      headPlanProblems,
      environments: [...input.base.stacks.stacks, ...input.head.stacks.stacks]
        .filter((s) => s.environments)
        .map((s) => s.file),
      violations,
      notes: result.notes,
      accessPaths: result.accessPaths,
      codeChanges: input.changed.flatMap((change) => {
        const reason = codeReason(change);
        return reason === undefined ? [] : [{ path: input.shown(change.path), reason }];
      }),
      reasons,
      counts: { base: base.length, head: head.length },
    },
  };
}

/**
 * What would make the program refuse the head's whole plan, by the program's own rules, that the
 * base's plan did not have: a deny policy over IAM's size (plan/plan.ts, oversizedDenyPolicies),
 * for a principal whose deny fitted at the base. One that was already too large is no problem of
 * this change (a change that shrinks it must land). The program's other refusals hang on what
 * IAM, Organizations or the run's credentials say, which guard cannot read.
 */
function newPlanProblems(base: BaseIncident[], head: Incident[], containment: ContainmentInstants): string[] {
  const principal = ({ deny }: OversizedDeny) => principalKey(deny.account, deny.principal.type, deny.principal.name);
  const had = new Set(oversizedDenyPolicies(buildPlan(base, { containment })).map(principal));
  return oversizedDenyPolicies(buildPlan(head, { containment }))
    .filter((oversized) => !had.has(principal(oversized)))
    .map((oversized) => oversized.message);
}

/**
 * Every path among the incident files (by name) that the head makes something other than a
 * regular file: a symbolic link, a submodule, an executable. CODEOWNERS cannot tell them apart
 * from incident files and gives them the incident files' owners, while each is code; so guard,
 * a required check, refuses them rather than only asking for a code owner.
 */
function notRegular(changes: PathChange[], shown: (path: string) => string): Violation[] {
  const fix = (change: PathChange, path: string): string =>
    ({
      "120000": "commit the file itself",
      "160000": "remove the submodule",
      "100755": `git update-index --chmod=-x ${path}`,
    })[change.after] ?? "replace it with a regular file";
  return changes
    .filter(
      (change) => isIncidentFilePath(change.path) && change.after !== REGULAR_FILE_MODE && change.after !== ABSENT_MODE,
    )
    .map((change) => {
      const path = shown(change.path);
      const why =
        "where only regular incident files may be: CODEOWNERS gives it the incident files' owners, yet it is code";
      return {
        kind: "not-regular",
        id: "",
        file: path,
        until: null,
        message: `${path}: ${codeReason(change)}, ${why} (${fix(change, path)})`,
        overridable: false,
      };
    });
}

/**
 * Judged against stack outputs, every incident file the change deletes or edits that a stack whose
 * outputs were not given may apply. Those outputs are all guard knows of what is applied: an
 * incident they do not name is judged as added, so an edit that takes a user off an active
 * incident of a withheld account (whose stack file cannot be read, so its outputs may be missing)
 * would pass as an addition. A deletion or an edit is let through only when each account the
 * incident has a share in (its file at the base, read alone), and the organization stack's when it
 * asks for guardrails, has its outputs given, and none names it; when the file cannot be read
 * alone, its accounts are unknown. Deleted or edited means: a file of a folder some stack reads at
 * the base (not only incidents/), gone or different at the head. Its id is its file name
 * (incident/rules.ts). A weakening, so the override lets it through.
 */
function unaccounted(input: JudgeInput, applied: Applied[]): Violation[] {
  const named = new Set(applied.flatMap((a) => Object.keys(a.state.incidents)));
  const given = new Set(applied.map((a) => a.state.account));
  const organization = input.base.stacks.stacks.find((stack) => stack.guardrailTargets !== null)?.account;
  const sources = new Map(input.base.sources.map((file) => [file.path, file]));
  return input.changed.flatMap((change) => {
    const path = input.shown(change.path);
    const file = sources.get(path);
    if (file === undefined) return [];
    const deleted = change.after === ABSENT_MODE;
    const id = incidentIdOfPath(change.path);
    if (named.has(id)) return [];
    const alone = loadIncidents([file], { now: input.now }).incidents[0];
    let whose: string;
    if (alone === undefined) whose = "its file does not validate alone, so the accounts that may apply it are unknown";
    else {
      const guarded = alone.organization.scp || alone.organization.rcp;
      const shares = [alone.account, ...accountsOf(alone), ...(guarded && organization ? [organization] : [])];
      const missing = [...new Set(shares)].filter((account) => !given.has(account)).sort();
      if (guarded && organization === undefined)
        whose =
          "it asks for guardrails, and no stack file at the base names the organization stack, whose outputs would say";
      else if (missing.length > 0)
        whose = `the outputs of account ${missing.join(", ")}, where it has a share, were not given`;
      else return [];
    }
    return [
      {
        kind: "unaccounted",
        id,
        file: path,
        until: null,
        message: deleted
          ? `${path}: deletes incident ${id}, which no --stack-outputs given names, and ${whose}: a stack may apply it (pass every stack's outputs, or fix the file rather than delete it)`
          : `${path}: changes incident ${id}, which no --stack-outputs given names, and ${whose}: a stack may apply it as the base has it, so the change cannot be judged against what it applied (pass every stack's outputs)`,
        overridable: true,
      },
    ];
  });
}

/**
 * Judged against the base's files while an account is withheld (its own stack file cannot be read,
 * at the base and as the change leaves it): every base incident file the change deletes or edits
 * that has a share in that account. No stack of that account has run since its file broke, so
 * what it last applied may not be what the base's files say, and only its outputs would tell: the
 * change that fixes the stack file is judged against them (unaccounted). A new incident there is
 * no weakening, and is applied once the file is fixed. A weakening, so the override lets it through.
 */
function withheldChanges(input: JudgeInput, base: Incident[], held: Set<string>): Violation[] {
  if (held.size === 0) return [];
  const byFile = new Map(base.map((incident) => [incident.file, incident]));
  return input.changed.flatMap((change) => {
    const path = input.shown(change.path);
    const incident = byFile.get(path);
    if (incident === undefined) return [];
    const accounts = [...new Set([incident.account, ...accountsOf(incident)])].filter((a) => held.has(a)).sort();
    if (accounts.length === 0) return [];
    const deleted = change.after === ABSENT_MODE;
    return [
      {
        kind: "unaccounted",
        id: incident.id,
        file: path,
        until: null,
        message: `${path}: ${deleted ? "deletes" : "changes"} incident ${incident.id}, which has a share in account ${accounts.join(", ")}, withheld at --base ${input.baseName} (its own stack file cannot be read): what that stack last applied cannot be judged from the files; fix the stack file first (that change is judged against --stack-outputs)`,
        overridable: true,
      },
    ];
  });
}

/** What the judgement comes to: whether the change is blocked, and what it rests on. */
export function verdict(judged: Judgement, options: { additive: boolean; allowEarlyRemoval: boolean }) {
  const invalid = judged.headErrors.length > 0 || judged.headStackProblems.length > 0;
  const unappliable = judged.headPlanProblems.length > 0;
  const weakened = judged.violations.filter((v) => v.overridable);
  const refused = judged.violations.filter((v) => !v.overridable);
  const additive = judged.reasons.length === 0;
  const blocked =
    invalid ||
    unappliable ||
    refused.length > 0 ||
    (weakened.length > 0 && !options.allowEarlyRemoval) ||
    (options.additive && !additive);
  return { invalid, unappliable, weakened, refused, additive, blocked };
}

/**
 * The incidents a stack last applied, from its outputs, as base incidents: principals and keys
 * (the outputs do not say which user holds which key), the effective cutoff (the recorded instant
 * of an at-containment incident stays at-containment, with the instant among the recorded ones),
 * and a holdUntil where the recorded expiry is later than the cutoff alone gives. What the
 * outputs do not record (the file, the title, the replacement roles) is taken from the head, so
 * that only what is applied is compared.
 */
export function baseFromOutputs(applied: Applied["state"], file: string, head: Incident[]): BaseIncident[] {
  const headById = new Map(head.map((incident) => [incident.id, incident]));
  return Object.entries(applied.incidents).map(([id, output]): BaseIncident => {
    const known = headById.get(id);
    const users = output.principals
      .filter((p) => p.type === "user")
      .map((p) => ({ name: p.name, account: p.account ?? applied.account, accessKeys: [] as string[] }));
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
      ...(computed !== null && output.expiresAt !== null && Date.parse(output.expiresAt) > Date.parse(computed)
        ? { holdUntil: output.expiresAt }
        : {}),
      users,
      roles: output.principals
        .filter((p) => p.type === "role")
        .map((p) => ({ name: p.name, account: p.account ?? applied.account })),
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
export function mergeApplied(incidents: BaseIncident[]): BaseIncident[] {
  const byId = new Map<string, BaseIncident>();
  for (const incident of incidents) {
    const known = byId.get(incident.id);
    if (known === undefined) {
      byId.set(incident.id, incident);
      continue;
    }
    const unique = <T>(list: T[], key: (item: T) => string) => [
      ...new Map(list.map((item) => [key(item), item])).values(),
    ];
    const holds = [known.holdUntil, incident.holdUntil].filter((h): h is string => h !== undefined).sort();
    byId.set(incident.id, {
      ...known,
      cutoff:
        known.cutoff === AT_CONTAINMENT || incident.cutoff === AT_CONTAINMENT
          ? AT_CONTAINMENT
          : [known.cutoff, incident.cutoff].sort().at(-1)!,
      mode: known.mode === "deny-all" || incident.mode === "deny-all" ? "deny-all" : known.mode,
      ...(holds.length > 0 ? { holdUntil: holds.at(-1) } : {}),
      users: unique([...known.users, ...incident.users], (u) => principalKey(u.account, "user", u.name)),
      roles: unique([...known.roles, ...incident.roles], (r) => principalKey(r.account, "role", r.name)),
      organization: {
        scp: known.organization.scp || incident.organization.scp,
        rcp: known.organization.rcp || incident.organization.rcp,
      },
      identityCenterUsers: unique([...known.identityCenterUsers, ...incident.identityCenterUsers], (u) => u.userId),
      unownedKeys: [...new Set([...(known.unownedKeys ?? []), ...(incident.unownedKeys ?? [])])].sort(),
    });
  }
  return [...byId.values()];
}
