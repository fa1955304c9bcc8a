import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, beforeEach, describe } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../src/db/client";
import type { Database } from "../../src/db/client";

/**
 * Every storage test runs twice: on in-memory PGlite (what development uses) and on a real PostgreSQL
 * (what production uses; real concurrency, a connection pool). Each test gets a fresh, migrated database.
 *
 *   forEachDatabase("outbox", (ctx) => {
 *     it("…", async () => { await ctx.db.insert(…) });
 *   });
 */

/** Admin connection used to create and drop the throw-away databases. */
const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  kind: DatabaseHandle["kind"];
  /** A fresh, migrated, empty database; close() removes it. */
  open(): Promise<DatabaseHandle>;
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function openFreshPostgres(): Promise<DatabaseHandle> {
  const name = `twofold_test_${randomBytes(6).toString("hex")}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString() });
  return {
    ...handle,
    async close() {
      await handle.close();
      // FORCE (PostgreSQL 13+) ends any connection a failed test left behind.
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

export const pgliteDatabase: TestDatabase = { kind: "pglite", open: () => openDatabase({ inMemory: true }) };
export const postgresDatabase: TestDatabase = { kind: "postgres", open: openFreshPostgres };
export const databases: TestDatabase[] = [pgliteDatabase, postgresDatabase];

export interface DatabaseContext {
  kind: DatabaseHandle["kind"];
  /** The current test's database (valid inside `it`, `beforeEach` and `afterEach`). */
  readonly db: Database;
  readonly handle: DatabaseHandle;
}

/** One `describe` per database, with a fresh database opened before and removed after each test. */
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
      // A fresh PGlite runs initdb and every migration: seconds on a quiet machine, far more beside a busy suite.
      beforeEach(async () => {
        current = await database.open();
      }, 90_000);
      afterEach(async () => {
        await current?.close();
        current = undefined;
      });
      body(ctx);
    });
  }
}
