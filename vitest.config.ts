import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    globalSetup: ["test/job-services-setup.ts"],
    // No end-of-job summary per test pipeline (src/observe, --quiet); tests of it set their own stream.
    env: { BEAM_TS_QUIET: "1" },
  },
});
