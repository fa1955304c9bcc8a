import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = path.resolve("scripts/pglite-init.mjs");
const parent = mkdtempSync(path.join(os.tmpdir(), "twofold-pglite-init-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

// scripts/pglite-init.mjs: the embedded database's initdb, in a process of its own (src/db/client.ts, which
// scripts/server.mjs runs beside the first build).
describe("scripts/pglite-init.mjs", () => {
  it("creates the database in an empty directory, leaves nothing beside it, and leaves an existing one alone", async () => {
    const dir = path.join(parent, "pglite");
    mkdirSync(dir);
    // What an interrupted earlier attempt leaves: a sibling being built, never the target itself.
    mkdirSync(`${dir}.init-1`);
    await run(process.execPath, [script, dir]);
    expect(existsSync(path.join(dir, "PG_VERSION"))).toBe(true);
    expect(readdirSync(parent).filter((name) => name.startsWith("pglite.init-") && name !== "pglite.init-1")).toEqual(
      [],
    );

    writeFileSync(path.join(dir, "marker"), "kept");
    await run(process.execPath, [script, dir]);
    expect(existsSync(path.join(dir, "marker"))).toBe(true);
    expect(existsSync(path.join(dir, "PG_VERSION"))).toBe(true);
  });

  it("refuses to replace a directory that holds something else", async () => {
    const dir = path.join(parent, "occupied");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "notes.txt"), "not a database");
    await expect(run(process.execPath, [script, dir])).rejects.toThrow();
    expect(existsSync(path.join(dir, "notes.txt"))).toBe(true);
    expect(readdirSync(parent).filter((name) => name.startsWith("occupied.init-"))).toEqual([]);
  });
});
