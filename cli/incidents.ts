/**
 * What the commands that read incident files share: the instant they judge at (`--now`), the
 * containment instants `pulumi up` recorded (`--stack-outputs`), reading and validating PATH...,
 * and reporting diagnostics the same way.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ownRepositories } from "../incident/own-roles.ts";
import { maskSecrets } from "../incident/secrets.ts";
import { loadIncidentPaths } from "../incident/read.ts";
import { formatDiagnostic, type Diagnostic } from "../incident/diagnostics.ts";
import type { Incident } from "../incident/types.ts";
import {
  containmentFromStackOutputs,
  type RecordedInstants,
  factsFromStackOutputs,
  listingsFromStackOutputs,
  type RecordedFacts,
  type UserCredentialsOutput,
} from "../plan/outputs.ts";
import type { UserListing } from "../plan/credentials.ts";
import { recordedFor } from "../plan/policies.ts";
import { parseInstantFlag } from "./command.ts";
import { projectIncidentsDirs, readProject } from "./project.ts";
import { displayValue } from "../incident/display.ts";
import { escapeAnnotation, escapeAnnotationProperty, UsageError, type Io } from "./io.ts";
import { notJsonProblem } from "./json-file.ts";

/** One `--stack-outputs FILE`: as given, its JSON, and the account of the stack it comes from. */
export interface GivenOutputs {
  file: string;
  json: unknown;
  /** The stack's `account` output, when the file has one. */
  account?: string;
  /** The instants the stack recorded, with the keys each was recorded for: `currentInstants` says which hold. */
  containment: RecordedInstants;
  recorded: RecordedFacts;
  /** Every credential of every compromised user, as the stack's last run found it (outputs of older programs: none). */
  listings: UserListing[];
  /** What that run made of each. */
  credentials: UserCredentialsOutput[];
}

/** What the commands that read incident files take before anything else. */
export interface Preamble {
  now: Date;
  /**
   * The instants recorded by the stacks given, the latest per incident, with the keys each was
   * recorded for. The stack of the incident's keys records it and the others copy it, so the latest
   * is the one that counts; `currentInstants` keeps those recorded for the keys the files list now.
   */
  containment: RecordedInstants;
  /** The facts of every stack given, together. */
  recorded: RecordedFacts;
  /** Each file given, in order. */
  outputs: GivenOutputs[];
  /** The credential listings of every stack given, together. */
  listings: UserListing[];
  /** What the last runs of every stack given made of each credential, together. */
  credentials: UserCredentialsOutput[];
}

/**
 * The preamble of `plan`, `status`, `verify`, `guard` and `accounts`: `--now` (default: now), then
 * the instants and facts recorded in each `--stack-outputs FILE` (repeatable: one per account's
 * stack; default: none known).
 */
export function readPreamble(
  values: { now?: string; "stack-outputs"?: string | string[] },
  io: Pick<Io, "cwd">,
): Preamble {
  const now = parseInstantFlag("now", values.now) ?? new Date();
  const given = values["stack-outputs"] === undefined ? [] : [values["stack-outputs"]].flat();
  const outputs = given.map((file): GivenOutputs => {
    const json = readStackOutputs(file, io.cwd);
    try {
      const account = (json as { account?: unknown } | null)?.account;
      return {
        file,
        json,
        ...(typeof account === "string" ? { account } : {}),
        containment: containmentFromStackOutputs(json),
        recorded: factsFromStackOutputs(json),
        ...(({ listings, recorded }) => ({ listings, credentials: recorded }))(listingsFromStackOutputs(json)),
      };
    } catch (error) {
      throw new UsageError(`--stack-outputs ${file}: ${(error as Error).message}`);
    }
  });
  const containment: RecordedInstants = {};
  for (const { containment: instants } of outputs) {
    for (const [id, instant] of Object.entries(instants)) {
      const known = recordedFor(containment, id);
      if (known === undefined || Date.parse(instant.cutoff) > Date.parse(known.cutoff)) containment[id] = instant;
    }
  }
  const union = (pick: (facts: RecordedFacts) => string[]) =>
    [...new Set(outputs.flatMap((o) => pick(o.recorded)))].sort();
  return {
    now,
    containment,
    recorded: {
      goneAccessKeys: union((f) => f.goneAccessKeys),
      managedDenyRoles: union((f) => f.managedDenyRoles),
      inlineDenyUsers: union((f) => f.inlineDenyUsers),
    },
    outputs,
    listings: outputs.flatMap((o) => o.listings),
    credentials: outputs.flatMap((o) => o.credentials),
  };
}

/** The JSON of `--stack-outputs FILE`, named in messages as it was given; a UsageError when it cannot be read. */
function readStackOutputs(given: string, cwd: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, given), "utf8");
  } catch (error) {
    throw new UsageError(
      `--stack-outputs ${given}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(
      `--stack-outputs ${given}: ${notJsonProblem(text)}: expected the output of \`pulumi stack output --json\``,
    );
  }
}

/**
 * PATH..., or by default every folder a stack of the project reads: the project's incidents folder
 * and each stack file's own `cordon:incidentsDir` (found from any subfolder).
 */
export function incidentPaths(paths: string[], io: Pick<Io, "cwd">): string[] {
  return paths.length > 0 ? paths : projectIncidentsDirs(io.cwd, "name the incident files or folders to read");
}

/**
 * Loads PATHs (default: every folder a stack of the project reads, found from any subfolder);
 * prints every diagnostic and returns undefined when any file is invalid. The project's
 * organization stack (or its absence) decides whether a root user can be contained (E_ROOT_ACCOUNT);
 * the repositories the project and the run name as cordon's own, which a replacement role may not
 * trust (E_TRUST_CORDON).
 */
export function loadOrReport(paths: string[], io: Io, now: Date): Incident[] | undefined {
  const read = incidentPaths(paths, io);
  const project = readProject(io.cwd);
  const organization = project.organization;
  const result = loadIncidentPaths(read, io.cwd, now, undefined, {
    repositories: ownRepositories(project.stacks, io.env),
    organization:
      organization === undefined
        ? null
        : organization.config.managementAccount === null
          ? undefined
          : { managementAccount: organization.config.managementAccount },
  });
  if (result.errors.length === 0) return result.incidents;
  reportDiagnostics(result.errors, io);
  return undefined;
}

export function reportDiagnostics(errors: Diagnostic[], io: Io): void {
  // A message quotes what it found, and a file's name is anything: both are shown escaped.
  // (A path given on the command line can be a secret pasted in the wrong place.)
  for (const error of errors) io.err(`${displayValue(maskSecrets(formatDiagnostic(error)))}\n`);
  // In GitHub Actions, the same errors become annotations on the pull request's files.
  if (io.env.GITHUB_ACTIONS === "true") {
    for (const e of errors)
      io.err(
        `::error file=${escapeAnnotationProperty(displayValue(maskSecrets(e.file)))},line=${e.line},col=${e.col},title=${e.code}::${escapeAnnotation(displayValue(e.message))}\n`,
      );
  }
  const files = new Set(errors.map((e) => e.file)).size;
  io.err(
    `${errors.length} ${errors.length === 1 ? "error" : "errors"} in ${files} ${files === 1 ? "file" : "files"}: nothing is planned while any incident file is invalid\n`,
  );
}
