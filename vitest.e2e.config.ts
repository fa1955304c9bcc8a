import { defineConfig } from "vitest/config";

// Browser tests (test/e2e): one server for the whole run (test/e2e/global-setup.ts), two files at a time (each
// file its own Chromium; tests make their own accounts and each browser context has its own client address).
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
