import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { getTableName, is, sql } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, beforeEach, describe, inject } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../src/db/client";
import type { Database } from "../../src/db/client";
import * as schema from "../../src/db/schema";
import { postgresUrlOf, withAdminClient } from "./postgres-admin";

/**
 * Which database a test file runs on is chosen by the vitest project running it (vitest.config.ts): every
 * storage test runs on in-memory PGlite (what development uses), and the files listed there as touching
 * storage semantics (transactions, locks, concurrency, constraints) run again on a real PostgreSQL (what
 * production uses; real concurrency, a connection pool). A file opens one database and empties it between
 * tests; both start from a migrated template made once per run (test/helpers/global-setup.ts), so no test
 * pays for initdb or the migrations.
 *
 *   forEachDatabase("outbox", (ctx) => {
 *     it("…", async () => { await ctx.db.insert(…) });
 *   });
 */

export type DatabaseKind = DatabaseHandle["kind"];

/** The database of the vitest project running this file (TEST_DATABASE, set per project; PGlite alone). */
export const currentDatabaseKind: DatabaseKind = process.env.TEST_DATABASE === "postgres" ? "postgres" : "pglite";

export interface TestDatabase {
  kind: DatabaseKind;
  /** A fresh, migrated, empty database; close() removes it. */
  open(): Promise<DatabaseHandle>;
}

async function openFreshPostgres(): Promise<DatabaseHandle> {
  const template = inject("postgresTemplate");
  const name = `twofold_test_${randomBytes(6).toString("hex")}`;
  // A copy of the migrated template: a file copy on the server, far cheaper than running every migration.
  await withAdminClient((client) =>
    client.query(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`),
  );
  const handle = await openDatabase({ databaseUrl: postgresUrlOf(name) });
  return {
    ...handle,
    async close() {
      await handle.close();
      // FORCE (PostgreSQL 13+) ends any connection a failed test left behind.
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

let pgliteTemplate: Blob | undefined;
/** The migrated PGlite data directory dumped by the global set-up, read once per worker. */
function pgliteTemplateArchive(): Blob | undefined {
  const file = inject("pgliteTemplate");
  if (!file) return undefined;
  pgliteTemplate ??= new Blob([readFileSync(file)]);
  return pgliteTemplate;
}

export const pgliteDatabase: TestDatabase = {
  kind: "pglite",
  open: () => openDatabase({ inMemory: true, inMemoryFrom: pgliteTemplateArchive() }),
};
export const postgresDatabase: TestDatabase = { kind: "postgres", open: openFreshPostgres };
/** The database this file runs on, as a one-element list (forEach… helpers iterate over it). */
export const databases: TestDatabase[] = [currentDatabaseKind === "postgres" ? postgresDatabase : pgliteDatabase];

const tableNames = (Object.values(schema) as unknown[])
  .filter((value): value is PgTable => is(value, PgTable))
  .map((table) => `"${getTableName(table)}"`);

/** Every row of every table gone, as in a freshly migrated database (the migrations insert no rows). */
export async function emptyDatabase(db: Database): Promise<void> {
  await db.execute(sql.raw(`TRUNCATE ${tableNames.join(", ")} RESTART IDENTITY CASCADE`));
}

export interface DatabaseContext {
  kind: DatabaseKind;
  /** The current test's database (valid inside `it`, `beforeEach` and `afterEach`). */
  readonly db: Database;
  readonly handle: DatabaseHandle;
}

/** One `describe` per database: one database for the file, emptied before each test. */
export function forEachDatabase(title: string, body: (ctx: DatabaseContext) => void): void {
  for (const database of databases) {
    describe(`${title} [${database.kind}]`, () => {
      let current: DatabaseHandle | undefined;
      const ctx: DatabaseContext = {
        kind: database.kind,
        get handle() {
          if (!current) throw new Error("no database open: use ctx.db inside a test or hook");
          return current;
        },
        get db() {
          return ctx.handle.db;
        },
      };
      beforeAll(async () => {
        current = await database.open();
      }, 60_000);
      beforeEach(async () => {
        await emptyDatabase(ctx.db);
      });
      afterAll(async () => {
        await current?.close();
        current = undefined;
      });
      body(ctx);
    });
  }
}
