import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

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
