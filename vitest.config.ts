import { defineConfig } from "vitest/config";

/**
 * Files whose tests depend on how the database itself behaves: transactions and row locks, statements raced by
 * parallel requests, unique constraints, the outbox's claims, cleanup SQL, a dropped connection. They run on
 * in-memory PGlite like every other file and then again on a real PostgreSQL (a connection pool, real
 * concurrency: what production uses). The rest test HTTP behaviour that does not depend on the engine, once,
 * on PGlite (what development uses). A new file that races requests or leans on a constraint belongs here.
 */
export const postgresFiles = [
  "test/integration/account-email.test.ts", // email_taken: the unique address at the moment of the click
  "test/integration/account-recovery.test.ts", // parallel link clicks and sign-ins finishing one recovery
  "test/integration/account-sessions.test.ts", // revoking sessions under parallel requests
  "test/integration/auth-email-change.test.ts",
  "test/integration/authenticator-app.test.ts", // a set-up confirmed once, app steps taken once, under parallel requests
  "test/integration/auth-password-reset.test.ts", // link consumption locks the user row
  "test/integration/auth-secrets-at-rest.test.ts", // what PostgreSQL actually stores
  "test/integration/auth-sessions.test.ts", // idle and absolute timeouts in SQL
  "test/integration/auth-sign-up.test.ts", // unique email, pending sign-up links
  "test/integration/credential-races.test.ts",
  "test/integration/delivery.test.ts", // outbox claims (SKIP LOCKED), retries, parallel workers
  "test/integration/http-ops.test.ts", // health and answers with the database gone
  "test/integration/maintenance.test.ts", // cleanup statements
  "test/integration/parallel-budgets.test.ts",
  "test/integration/passkeys.test.ts", // single-use ceremonies and counters raced by parallel sign-ins
  "test/integration/rate-limit-stores.test.ts", // the PostgreSQL rate-limit store
  "test/integration/recovery-codes.test.ts", // one code spent once by 50 parallel statements
  "test/integration/session-security.test.ts",
  "test/integration/sign-in-throttling.test.ts", // throttle claims raced by parallel sign-ins
  "test/integration/sign-up-after-answer.test.ts",
  "test/integration/sms-limits.test.ts", // SMS budgets reserved atomically
  "test/integration/sms-secrets.test.ts",
  "test/integration/stale-links.test.ts",
  "test/integration/step-up.test.ts",
  "test/integration/trusted-browsers.test.ts", // trust and sessions inserted under the version read at sign-in
  "test/integration/two-factor-codes.test.ts", // attempt counters incremented before the compare
  "test/integration/two-factor-sign-in.test.ts",
  "test/fuzz/endpoints.test.ts", // driver errors differ between the engines: none may become a 500
];

export default defineConfig({
  test: {
    // Browser tests and fault tests (which restart PostgreSQL and kill servers) run on their own, after this.
    exclude: ["**/node_modules/**", "test/e2e/**", "test/faults/**"],
    testTimeout: 30_000,
    maxWorkers: 2,
    // A worker imports the server's modules once for all its files instead of once per file (half the run's time
    // went to imports). Files share no state through them: each builds its own server, database and clock, and
    // environment stubs are undone after each test.
    isolate: false,
    unstubEnvs: true,
    globalSetup: ["test/helpers/global-setup.ts"],
    projects: [
      { extends: true, test: { name: "pglite", include: ["test/**/*.test.ts"], env: { TEST_DATABASE: "pglite" } } },
      { extends: true, test: { name: "postgres", include: postgresFiles, env: { TEST_DATABASE: "postgres" } } },
    ],
  },
});
