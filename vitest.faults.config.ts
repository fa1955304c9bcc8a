import { defineConfig } from "vitest/config";

// Fault tests restart the shared PostgreSQL and kill server processes, so they run alone and one file at a time.
export default defineConfig({
  test: { include: ["test/faults/**/*.test.ts"], testTimeout: 180000, hookTimeout: 180000, fileParallelism: false, maxWorkers: 1 },
});
