import { defineConfig } from "vitest/config";

// Fault tests run real server processes and break things under them. Those that break only their own server,
// SMTP gate or fake Twilio run two files at a time; the PostgreSQL restart cuts every connection on the machine,
// so it runs after them, alone (a later sequence group starts when the earlier one is done).
const restartsPostgres = "test/faults/postgres-restart.test.ts";

export default defineConfig({
  test: {
    testTimeout: 90_000,
    hookTimeout: 90_000,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          exclude: [restartsPostgres],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: "faults-postgres", include: [restartsPostgres], sequence: { groupOrder: 1 } } },
    ],
  },
});
