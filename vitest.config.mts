import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests start real processes (moto_server, git, the CLI, a CloudTrail-compatible server):
    // generous timeouts, but no test waits on a sleep.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
