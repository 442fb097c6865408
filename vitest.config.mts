import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Node's on-disk compile cache for the workers and every process they start (the engine stand-in,
// the program under Pulumi's cmd/run, policy packs, the CLI): each loads @pulumi/pulumi,
// @pulumi/aws and the AWS SDK again, and compiling them was about a third of a program run's CPU.
// It changes no behaviour (a stale or corrupt entry is checked and recompiled); vitest turns it off
// itself under V8 coverage. https://nodejs.org/api/module.html#module-compile-cache
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "node-compile-cache");

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests start real processes (moto_server, git, the CLI, a CloudTrail-compatible server):
    // generous timeouts, but no test waits on a sleep.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default leaves a core free: one worker on a 2-core CI runner, where much of each
    // test waits on moto, git or a child process. Two workers there: 260 s → about 130 s.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Finds (or installs, once) moto_server before any test starts.
    globalSetup: ["test/support/global-setup.ts"],
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: ".vitest/results.json" }]],
  },
});
