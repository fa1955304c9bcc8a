import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { DEFAULT_DATABASE_POOL_SIZE, DEFAULT_MIGRATIONS_DIR } from "../config";
import * as schema from "./schema";

export type Schema = typeof schema;
/** Both drivers (node-postgres, PGlite) produce this; the repository is written once against it. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

/** Connection-level failures, as opposed to a query's own error: PostgreSQL down, restarting, or unreachable. */
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01", // admin_shutdown: the server is shutting down (a restart) and cut this connection
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or shutting down
  "53300", // too_many_connections
]);
// node-postgres reports a lost or unobtainable connection with these messages and no code.
const unavailableMessages =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable)/;

/**
 * Whether `error` means the database could not be reached (worth a 503 and a retry) rather than a failed query.
 * Walks `cause`, which is where Drizzle keeps the driver's error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === "string" && (unavailableCodes.has(e.code) || e.code.startsWith("08"))) return true;
    if (typeof e.message === "string" && unavailableMessages.test(e.message)) return true;
  }
  return false;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  dataDir?: string;
  inMemory?: boolean;
  /**
   * In-memory only: start from this dumped data directory (PGlite `dumpDataDir`) instead of running initdb. Tests
   * open hundreds of databases; a migrated template loads in a fraction of initdb's time.
   */
  inMemoryFrom?: Blob;
  /** Config.databasePoolSize (PostgreSQL only); callers without a Config (tests) get the default. */
  poolSize?: number;
  /** Config.migrationsDir; otherwise the default, from the working directory. */
  migrationsDir?: string;
  /**
   * Create the embedded database, when there is none yet, at the lowest CPU priority: for a start that has more
   * urgent work beside it (`npm start` building the pages, which the first page waits for and the database does not).
   */
  initAtLowPriority?: boolean;
}

/** PostgreSQL when a URL is given, else embedded PGlite in `dataDir`; migrations applied before returning. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const migrationsFolder = path.resolve(/* turbopackIgnore: true */ options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  if (options.databaseUrl) {
    const { Pool } = await import("pg");
    const { drizzle } = await import("drizzle-orm/node-postgres");
    const { migrate } = await import("drizzle-orm/node-postgres/migrator");
    const pool = new Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? DEFAULT_DATABASE_POOL_SIZE,
      // A database that does not answer at all (network partition, failover in progress) fails the request with a
      // 503 after this long instead of holding it, and a pool slot, indefinitely.
      connectionTimeoutMillis: 10_000,
    });
    // A client losing its server (restart, failover) emits 'error', and an unheard 'error' event kills the
    // process. The pool listens on idle clients only; a client checked out for a transaction, between two of its
    // queries, has nobody listening. The failure itself reaches the query that needed the connection, and the
    // pool discards the broken client when it is released.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    const db = drizzle(pool, { schema });
    await migrate(db, { migrationsFolder });
    return { db: db as unknown as Database, kind: "postgres", close: () => pool.end() };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  let dir: string | undefined;
  if (!options.inMemory) {
    dir = path.join(path.resolve(/* turbopackIgnore: true */ options.dataDir ?? "./data"), "pglite");
    mkdirSync(dir, { recursive: true });
    await initDataDir(dir, options.initAtLowPriority === true);
  }
  const settings = { startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS] };
  const client = dir
    ? new PGlite(dir, settings)
    : new PGlite(options.inMemoryFrom ? { ...settings, loadDataDir: options.inMemoryFrom } : settings);
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder });
  return { db: db as unknown as Database, kind: "pglite", close: () => client.close() };
}

/**
 * PostgreSQL's defaults size its shared memory for a server with many clients: 128 MB of shared buffers, most of it
 * touched sooner or later, inside PGlite's WebAssembly heap, which never shrinks. One embedded client with a small
 * database needs a fraction of that (`npm run bench:startup`: about 110 MB less resident memory).
 */
const PGLITE_SETTINGS = [
  ...["-c", "shared_buffers=16MB", "-c", "temp_buffers=2MB"],
  // PGlite runs PostgreSQL in single-user mode: one backend, so the per-connection shared arrays and lock table sized
  // for 100 clients are never used (about 5 MB less resident memory).
  ...["-c", "max_connections=1"],
];

/** Creates the embedded database in `dir` when it holds none yet, in a short-lived process (scripts/pglite-init.mjs). */
async function initDataDir(dir: string, lowPriority: boolean): Promise<void> {
  if (existsSync(path.join(dir, "PG_VERSION"))) return;
  // From the working directory, where node_modules is (config.ts resolves the migrations from there too).
  const script = path.resolve(/* turbopackIgnore: true */ "scripts/pglite-init.mjs");
  await new Promise<void>((resolve, reject) => {
    // Liftoff only: initdb runs PostgreSQL's bootstrap once, and optimising the WebAssembly for it costs more than it
    // saves (2.0 s of CPU instead of 4.0 s here).
    const child = execFile(
      process.execPath,
      ["--liftoff-only", script, dir],
      { cwd: process.cwd() },
      (error, _out, err) =>
        error
          ? reject(new Error(`creating the embedded database in ${dir} failed: ${err || error.message}`))
          : resolve(),
    );
    // Takes only the CPU nothing else wants. Not an error if refused: the database is made either way, just sooner.
    if (lowPriority && child.pid) {
      try {
        os.setPriority(child.pid, os.constants.priority.PRIORITY_LOW);
      } catch {}
    }
  });
}
