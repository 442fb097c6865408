/**
 * The Pulumi project as cordon reads it outside Pulumi: one stack per account, named
 * `<prefix>-<account>` (the prefix is the project's `cordon:stackPrefix`, default `prod`), and the
 * one stack configured with `cordon:organization`, which declares the organization guardrails. The
 * CLI reads them from `Pulumi.yaml` and the stack files beside it; the program reads the same keys
 * through Pulumi's config. Pure: file texts in, the project out.
 * @see ../docs/organization.md
 */
import { parse } from "yaml";
import { ACCOUNT_ID } from "../incident/fields.ts";
import { compareText } from "../incident/order.ts";
import { AT_CONTAINMENT, type Incident } from "../incident/types.ts";
import { containmentOwner } from "./containment.ts";
import { parseOrganizationConfig, type OrganizationConfig } from "./organization.ts";
import { accountsOf } from "./plan.ts";

/**
 * The prefix of every stack's name when the project does not set `cordon:stackPrefix`.
 * @default "prod"
 */
export const DEFAULT_STACK_PREFIX = "prod";

/** A stack name prefix: what Pulumi allows in a stack name, short enough to leave room for the account. */
export const STACK_PREFIX = /^[A-Za-z0-9_.-]{1,80}$/;

/** A stack file's name: `Pulumi.<stack>.yaml`; `Pulumi.yaml` itself is the project file. */
export const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;
export const PROJECT_FILE = /^Pulumi\.ya?ml$/;

/** The stack that deploys an account's share: `<prefix>-<account>`. */
export function stackName(prefix: string, account: string): string {
  return `${prefix}-${account}`;
}

/** The stack configured with `cordon:organization`. */
export interface OrganizationStack {
  /** The account it deploys: the management account, or a delegated administrator for policies. */
  account: string;
  stack: string;
  file: string;
  config: OrganizationConfig;
}

export interface Project {
  stackPrefix: string;
  organization?: OrganizationStack;
  /** The accounts the stack files name (`cordon:account`), sorted: their stacks run even with no incident left. */
  stackAccounts: string[];
  /** One line each: the file and what is wrong with it. */
  problems: string[];
}

/** A YAML file's `config:` mapping, and whether it imports ESC environments; or why it cannot be read. */
export function configOf(text: string): { config: Record<string, unknown>; environments: boolean } | string {
  let document: unknown;
  // logLevel "error": a hostile stack file's warnings (an unknown tag) must not reach the terminal as Node warnings.
  try {
    document = parse(text, { uniqueKeys: true, maxAliasCount: 100, logLevel: "error" });
  } catch (error) {
    return `not YAML: ${(error as Error).message.split("\n")[0].replace(/:$/, "")}`;
  }
  if (document === null || document === undefined) return { config: {}, environments: false };
  if (typeof document !== "object" || Array.isArray(document)) return "expected a mapping";
  const { config, environment } = document as { config?: unknown; environment?: unknown };
  if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) return "config: expected a mapping";
  return { config: (config ?? {}) as Record<string, unknown>, environments: environment !== undefined && environment !== null };
}

/**
 * A key of the project file's own config: `cordon:key` or, in the project's own namespace, `key`;
 * its value, or `{ default: value }`. Undefined when not set.
 */
export function projectDefault(config: Record<string, unknown>, key: string): unknown {
  const raw = config[`cordon:${key}`] ?? config[key];
  return raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as { default?: unknown; value?: unknown }).default ?? (raw as { value?: unknown }).value : raw;
}

/** The project from its file's text (if any) and its stack files (name → text). */
export function parseProject(projectText: string | undefined, stackFiles: { file: string; text: string }[]): Project {
  const problems: string[] = [];
  let stackPrefix = DEFAULT_STACK_PREFIX;
  if (projectText !== undefined) {
    const project = configOf(projectText);
    if (typeof project === "string") problems.push(`Pulumi.yaml: ${project}`);
    else {
      const value = projectDefault(project.config, "stackPrefix");
      if (typeof value === "string" && STACK_PREFIX.test(value)) stackPrefix = value;
      else if (value !== undefined) problems.push(`Pulumi.yaml: config cordon:stackPrefix: expected 1 to 80 of letters, digits and _.-, found ${JSON.stringify(value)}`);
    }
  }
  const organizations: OrganizationStack[] = [];
  const stackAccounts = new Set<string>();
  for (const { file, text } of [...stackFiles].sort((a, b) => compareText(a.file, b.file))) {
    const parsed = configOf(text);
    // A stack file read wrongly would drop its stack from the workflows' matrix: say so.
    if (typeof parsed === "string") {
      problems.push(`${file}: ${parsed}`);
      continue;
    }
    const named = parsed.config["cordon:account"];
    if (typeof named === "string" && ACCOUNT_ID.test(named)) stackAccounts.add(named);
    else if (parsed.config["cordon:organization"] === undefined) {
      problems.push(`${file}: config cordon:account: expected an account id of 12 digits, quoted, found ${JSON.stringify(named ?? null)}`);
      continue;
    }
    if (parsed.config["cordon:organization"] === undefined) continue;
    const stack = STACK_FILE.exec(file.split("/").pop() ?? file)?.[1] ?? file;
    const account = parsed.config["cordon:account"];
    const { config, problems: configProblems } = parseOrganizationConfig(parsed.config["cordon:organization"]);
    problems.push(...configProblems.map((problem) => `${file}: ${problem}`));
    if (typeof account !== "string" || !ACCOUNT_ID.test(account)) {
      problems.push(`${file}: config cordon:account: expected an account id of 12 digits, quoted, found ${JSON.stringify(account ?? null)}`);
      continue;
    }
    if (stack !== stackName(stackPrefix, account)) {
      problems.push(`${file}: the organization stack deploys account ${account}, so it is named ${stackName(stackPrefix, account)} (cordon:stackPrefix "${stackPrefix}"): rename the file Pulumi.${stackName(stackPrefix, account)}.yaml`);
      continue;
    }
    if (config !== undefined) organizations.push({ account, stack, file, config });
  }
  if (organizations.length > 1) {
    problems.push(`${organizations.map((o) => o.file).join(", ")}: ${organizations.length} stacks set cordon:organization: one stack declares the organization guardrails (the management account's, or a delegated administrator's)`);
  }
  return { stackPrefix, ...(organizations.length === 1 ? { organization: organizations[0] } : {}), stackAccounts: [...stackAccounts].sort(compareText), problems };
}

/** One account's stack, as `cordon accounts --json` lists it. */
export interface AccountStack {
  account: string;
  /** `<prefix>-<account>`. */
  stack: string;
  /** The incidents that have a share in this account, or whose guardrails this stack declares (sorted). */
  incidents: string[];
  /** True for the stack that sets `cordon:organization`: it declares the guardrails. */
  organization: boolean;
  /**
   * The at-containment incidents whose instant this stack records (it holds their keys): it runs
   * before the stacks that list it in `after` (sorted).
   */
  recordsContainment: string[];
  /**
   * The stacks whose recorded containment instants this stack reads: run them first, then this one
   * (sorted). Until they have recorded, this stack denies those incidents' principals everything.
   */
  after: string[];
}

/**
 * Every stack a run of the workflows must update: each account an incident file has a share in
 * (every file is declared until it is removed, expired or not), the organization stack when any
 * incident asks for a guardrail or the project configures it, and each account a stack file names,
 * even with no incident left: removing an expired incident's file must still reach its stack, or
 * its deny policies would stay for ever. Sorted by account.
 */
export function accountStacks(incidents: readonly Incident[], project: Pick<Project, "stackPrefix" | "organization">, stackAccounts: readonly string[] = []): AccountStack[] {
  const byAccount = new Map<string, { ids: Set<string>; records: Set<string>; after: Set<string> }>();
  const touch = (account: string) => byAccount.get(account) ?? byAccount.set(account, { ids: new Set(), records: new Set(), after: new Set() }).get(account)!;
  for (const account of stackAccounts) touch(account);
  for (const incident of incidents) {
    const shares = new Set(accountsOf(incident));
    if (project.organization !== undefined && (incident.organization.scp || incident.organization.rcp)) shares.add(project.organization.account);
    // One stack records an at-containment incident's instant; every other stack of it reads it there.
    const owner = containmentOwner(incident) ?? (incident.cutoff === AT_CONTAINMENT ? project.organization?.account : undefined);
    for (const account of shares) {
      const stack = touch(account);
      stack.ids.add(incident.id);
      if (owner === undefined) continue;
      if (owner === account) stack.records.add(incident.id);
      else stack.after.add(stackName(project.stackPrefix, owner));
    }
  }
  if (project.organization !== undefined) touch(project.organization.account);
  const sorted = (set: Set<string>) => [...set].sort(compareText);
  return [...byAccount.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([account, stack]) => ({
      account,
      stack: stackName(project.stackPrefix, account),
      incidents: sorted(stack.ids),
      organization: project.organization?.account === account,
      recordsContainment: sorted(stack.records),
      after: sorted(stack.after),
    }));
}
