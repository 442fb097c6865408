#!/usr/bin/env node
// The `cordon` command (`npx cordon`). Plain JavaScript, so that on a Node.js that cannot strip
// TypeScript types it says what to install instead of failing on the first `.ts` import.
// https://nodejs.org/api/typescript.html#type-stripping
if (!process.features.typescript) {
  process.stderr.write(`cordon: Node.js ${process.versions.node} cannot run TypeScript directly; install Node.js 22.18 or newer (see README, Requirements)\n`);
  process.exit(2);
}
const { runCli } = await import("./main.ts");
await runCli();
