import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Browser tests and fault tests (which restart PostgreSQL and kill servers) run on their own, after this.
    exclude: ["**/node_modules/**", "test/e2e/**", "test/faults/**"],
    testTimeout: 30000,
    maxWorkers: 2,
  },
});
