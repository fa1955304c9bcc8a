// Once per vitest project: a migrated template of the project's database, so that each test file copies it
// instead of running initdb and every migration (seconds each, hundreds of times a run).
// - pglite: a migrated in-memory PGlite, its data directory dumped to a temporary file (PGlite `loadDataDir`).
// - postgres: a migrated database that files copy with CREATE DATABASE … TEMPLATE.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../src/db/client";
import { postgresUrlOf, withAdminClient } from "./postgres-admin";

declare module "vitest" {
  export interface ProvidedContext {
    /** A file holding a migrated PGlite data directory (pglite project), or "" */
    pgliteTemplate: string;
    /** The name of a migrated PostgreSQL database to copy (postgres project), or "" */
    postgresTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const kind = project.config.env?.TEST_DATABASE === "postgres" ? "postgres" : "pglite";
  project.provide("pgliteTemplate", "");
  project.provide("postgresTemplate", "");

  if (kind === "pglite") {
    const dir = mkdtempSync(path.join(tmpdir(), "twofold-pglite-template-"));
    const handle = await openDatabase({ inMemory: true });
    const client = (handle.db as unknown as { $client: PGlite }).$client;
    const archive = await client.dumpDataDir("none");
    await handle.close();
    const file = path.join(dir, "migrated.tar");
    writeFileSync(file, Buffer.from(await archive.arrayBuffer()));
    project.provide("pgliteTemplate", file);
    return async () => rmSync(dir, { recursive: true, force: true });
  }

  const template = `twofold_template_${randomBytes(6).toString("hex")}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${template}"`));
  const handle = await openDatabase({ databaseUrl: postgresUrlOf(template) });
  // CREATE DATABASE … TEMPLATE needs the template to have no connections.
  await handle.close();
  project.provide("postgresTemplate", template);
  return async () => {
    await withAdminClient(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    });
  };
}
