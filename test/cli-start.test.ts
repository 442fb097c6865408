/**
 * How the `cordon` bin starts: Node's compile cache in the user's cache folder, and none in CI,
 * where compiled code one job left would be run by the next (cli/cordon.js).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const BIN = resolve(import.meta.dirname, "..", "cli", "cordon.js");
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `cordon --help` with its own cache home; the cache folder it would use. */
function start(env: Record<string, string>) {
  const home = mkdtempSync(join(tmpdir(), "cordon-start-"));
  made.push(home);
  const base = { ...process.env };
  for (const key of ["CI", "NODE_COMPILE_CACHE", "NODE_DISABLE_COMPILE_CACHE"]) delete base[key];
  const result = spawnSync(process.execPath, [BIN, "--help"], {
    env: { ...base, XDG_CACHE_HOME: home, ...env },
    encoding: "utf8",
  });
  return { ...result, cache: join(home, "cordon", "node-compile-cache") };
}

describe("the cordon bin's start", () => {
  it("keeps compiled modules in the user's cache folder between runs", () => {
    const run = start({});
    expect([run.status, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toContain("usage: npx cordon <command> [options]");
    expect(existsSync(run.cache) && readdirSync(run.cache).length > 0).toBe(true);
  });

  it("leaves nothing behind in CI", () => {
    const run = start({ CI: "true" });
    expect([run.status, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toContain("usage: npx cordon <command> [options]");
    expect(existsSync(run.cache)).toBe(false);
  });
});

/**
 * The AWS SDK packages a command's module graph loads: `cordon NAME --help` loads the command's
 * module (cli/main.ts) and returns, and a resolve hook names every @aws-sdk package resolved.
 */
function sdkLoadedBy(name: string): string[] {
  const hook = String.raw`import { registerHooks } from "node:module";
registerHooks({ resolve(specifier, context, next) {
  const resolved = next(specifier, context);
  const [, inside] = resolved.url.split("/node_modules/@aws-sdk/");
  if (inside !== undefined) process.stderr.write("sdk @aws-sdk/" + inside.split("/")[0] + "\n");
  return resolved;
} });`;
  const result = spawnSync(
    process.execPath,
    ["--import", `data:text/javascript,${encodeURIComponent(hook)}`, BIN, name, "--help"],
    { env: { ...process.env, CI: "true" }, encoding: "utf8" },
  );
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  expect([result.status, lines.filter((line) => !line.startsWith("sdk "))]).toEqual([0, []]);
  return [...new Set(lines)].sort();
}

describe("a command loads the AWS SDK only where it calls AWS", () => {
  // doctor calls AWS only with --aws, which loads the clients then: its offline and --github
  // checks start without them (0.8 s -> 0.15 s a start).
  it.each(["doctor", "validate", "plan"])("%s loads none of it", (name) => {
    expect(sdkLoadedBy(name)).toEqual([]);
  });

  it("assess, which calls IAM, loads it (the hook sees what a command loads)", () => {
    expect(sdkLoadedBy("assess")).toContain("sdk @aws-sdk/client-iam");
  });
});
