/**
 * The Pulumi project as the CLI reads it before a run: `Pulumi.yaml` (the project's name, its
 * runtime's options, its config declarations and their defaults) and the stack's own
 * `Pulumi.<stack>.yaml`, then the `--config` values given on the command line, in that order.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export interface Project {
  name: string;
  dir: string;
  /** The nodejs runtime's options (`typescript`, `nodeargs`, `tsconfig`). */
  runtimeOptions: Record<string, unknown>;
  /** Every config value of the stack, by its full key (`cordon:account`), as text. */
  config: Record<string, string>;
}

/** Reads the project in `dir` for `stack`; throws with the CLI's message when a declared key has no value. */
export function readProject(dir: string, stack: string, overrides: Record<string, string>): Project {
  const file = join(dir, "Pulumi.yaml");
  if (!existsSync(file)) throw new Error(`no Pulumi.yaml project file found in ${dir}`);
  const project = (parse(readFileSync(file, "utf8")) ?? {}) as {
    name?: string;
    runtime?: string | { options?: Record<string, unknown> };
    config?: Record<string, unknown>;
  };
  if (typeof project.name !== "string") throw new Error(`${file}: the project has no name`);
  const name = project.name;
  const fullKey = (key: string) => (key.includes(":") ? key : `${name}:${key}`);

  const config: Record<string, string> = {};
  const required: string[] = [];
  for (const [key, declared] of Object.entries(project.config ?? {})) {
    // A shorthand value is the default of a project key, and the value of another namespace's
    // (project.go, RewriteShorthandConfigValues).
    const declaration =
      declared !== null && typeof declared === "object" && !Array.isArray(declared)
        ? (declared as Record<string, unknown>)
        : ownKey(name, key)
          ? { default: declared }
          : { value: declared };
    const problem = foreignKeyProblem(name, key, declaration);
    if (problem) throw new Error(`${file}: ${problem}`);
    if ("default" in declaration) config[fullKey(key)] = text(declaration.default);
    else if ("value" in declaration) config[fullKey(key)] = text(declaration.value);
    else required.push(key);
  }
  const stackFile = join(dir, `Pulumi.${stack}.yaml`);
  if (existsSync(stackFile)) {
    const values =
      ((parse(readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
    for (const [key, value] of Object.entries(values)) config[fullKey(key)] = text(value);
  }
  for (const [key, value] of Object.entries(overrides)) config[fullKey(key)] = value;

  const missing = required.filter((key) => config[fullKey(key)] === undefined).sort();
  if (missing.length > 0) {
    const keys =
      missing.length === 1
        ? `'${missing[0]}'`
        : `${missing
            .slice(0, -1)
            .map((k) => `'${k}'`)
            .join(", ")} and '${missing.at(-1)}'`;
    throw new Error(`Stack '${stack}' is missing configuration ${missing.length === 1 ? "value" : "values"} ${keys}`);
  }
  const runtime = project.runtime;
  return {
    name,
    dir,
    runtimeOptions: typeof runtime === "object" && runtime !== null ? (runtime.options ?? {}) : {},
    config,
  };
}

/**
 * The CLI's rule for a key of another namespace than the project's (sdk/go/common/workspace/project.go,
 * ValidateConfig): it may only be given a `value`, never a type or a default, since only the
 * project's own keys have a schema. A key without a namespace is the project's (`name:key`).
 */
function foreignKeyProblem(project: string, key: string, declaration: Record<string, unknown>): string | undefined {
  if (ownKey(project, key)) return undefined;
  if ("type" in declaration)
    return `Configuration key '${key}' is not namespaced by the project and should not define a type`;
  if ("default" in declaration) {
    return `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`;
  }
  if (!("value" in declaration))
    return `Configuration key '${key}' is namespaced and must provide an attribute 'value'`;
  return undefined;
}

/** Whether a key of Pulumi.yaml is the project's own (configKeyIsNamespacedByProject). */
function ownKey(project: string, key: string): boolean {
  return !key.includes(":") || key.startsWith(`${project}:`);
}

/** A config value as the CLI hands it to the program: text, and JSON for anything structured. */
function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
