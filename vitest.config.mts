import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests start real processes (moto_server, git, the CLI, a CloudTrail-compatible server):
    // generous timeouts, but no test waits on a sleep.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The AWS SDK's notice that it will need Node 22 after January 2027, once per test file.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: ".vitest/results.json" }]],
  },
});
