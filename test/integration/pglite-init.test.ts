import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client";

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

  it("refuses a directory that holds something else, before running initdb", async () => {
    const dir = path.join(parent, "occupied");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "notes.txt"), "not a database");
    await expect(run(process.execPath, [script, dir])).rejects.toThrow(/holds files but no database/);
    expect(existsSync(path.join(dir, "notes.txt"))).toBe(true);
    expect(readdirSync(parent).filter((name) => name.startsWith("occupied.init-"))).toEqual([]);
  });
});

/** The pid of the initdb process working for `dir` (Linux: /proc), as soon as it exists. */
async function initProcessFor(dir: string): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = (() => {
        try {
          return readFileSync(`/proc/${entry}/cmdline`, "utf8");
        } catch {
          return ""; // gone meanwhile
        }
      })();
      if (cmdline.includes("pglite-init.mjs") && cmdline.includes(dir)) return Number(entry);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no initdb process for ${dir}`);
}

/** A process's nice value: the 19th field of /proc/<pid>/stat, counted after the command name in parentheses. */
const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);

// `npm start` creates the embedded database beside the first build of the pages, which the first page waits for
// and the database does not: initdb then runs at the lowest priority, and takes only the CPU the build leaves.
describe.runIf(process.platform === "linux")("openDatabase creating the embedded database", () => {
  it.each([
    { initAtLowPriority: true, nice: 19 },
    { initAtLowPriority: false, nice: os.getPriority() },
  ])("runs initdb at nice $nice when initAtLowPriority is $initAtLowPriority", async ({ initAtLowPriority, nice }) => {
    const dataDir = path.join(parent, `priority-${initAtLowPriority}`);
    const opening = openDatabase({ dataDir, initAtLowPriority });
    const pid = await initProcessFor(path.join(dataDir, "pglite"));
    expect(niceOf(pid)).toBe(nice);
    // Stopped halfway: the open fails and says why, and leaves no database that would look complete.
    process.kill(pid, "SIGKILL");
    await expect(opening).rejects.toThrow(/creating the embedded database/);
    expect(existsSync(path.join(dataDir, "pglite", "PG_VERSION"))).toBe(false);
  });
});
