import { defineConfig } from "vitest/config";

// Browser tests (test/e2e): one dev server for the whole run (test/e2e/global-setup.ts), files one after another
// because they share that server and a 2-core machine, and patient timeouts for first compiles in `next dev`.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    teardownTimeout: 30_000,
  },
});
