#!/usr/bin/env node
// The `cordon` command (`npx cordon`). Plain JavaScript, so that on a Node.js that cannot strip
// TypeScript types it says what to install instead of failing on the first `.ts` import.
// https://nodejs.org/api/typescript.html#type-stripping
if (!process.features.typescript) {
  process.stderr.write(
    `cordon: Node.js ${process.versions.node} cannot run TypeScript directly; install Node.js 22.18 or newer (see README, Requirements)\n`,
  );
  process.exit(2);
}
// Node's compile cache keeps each module's compiled code (type stripping included) between runs: a
// command starts in about half the time (`cordon --help`: 0.15 s -> 0.06 s). In the user's own cache
// folder rather than a shared /tmp, where another user could have made the folder first. Not in CI
// (CI set, as GitHub Actions sets it): compiled code that one job leaves is run by the next, and on a
// reused runner a pull request's job must leave nothing that a job holding write credentials runs.
// Where the folder cannot be written, Node runs without it. NODE_COMPILE_CACHE chooses another
// folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off. https://nodejs.org/api/module.html#module-compile-cache
if (!process.env.CI) {
  const { enableCompileCache } = await import("node:module");
  const { homedir } = await import("node:os");
  const { join } = await import("node:path");
  enableCompileCache?.(
    process.env.NODE_COMPILE_CACHE ||
      join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "cordon", "node-compile-cache"),
  );
}
const { runCli } = await import("./main.ts");
await runCli();
