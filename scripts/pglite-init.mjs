#!/usr/bin/env node
// Creates the embedded database (PGlite's initdb) in the directory given, unless it already holds one.
//
// A process of its own (src/db/client.ts, beside the first build under `npm start`): initdb grows the
// WebAssembly heap to about 700 MB, and a WebAssembly heap is never given back; this process's goes with it.
// Built in a sibling directory and renamed into place: a start interrupted halfway (Ctrl-C on the first
// `npm start`) leaves no half-made database that would look complete to the next start.
import { existsSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";

const dir = path.resolve(process.argv[2] ?? "");
if (!process.argv[2]) {
  console.error("usage: node scripts/pglite-init.mjs <directory>");
  process.exit(2);
}
const isDatabase = (candidate) => existsSync(path.join(candidate, "PG_VERSION"));

// Refused before initdb, not after it: the directory is someone else's.
const occupied = (candidate) => existsSync(candidate) && !isDatabase(candidate) && readdirSync(candidate).length > 0;
if (occupied(dir)) {
  console.error(`${dir} holds files but no database: not creating one there`);
  process.exit(1);
}

if (!isDatabase(dir)) {
  const building = `${dir}.init-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const db = new PGlite(building);
  await db.waitReady;
  await db.close();
  // The target may exist, empty (made by the caller); anything else in it is not ours to replace.
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
  try {
    renameSync(building, dir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    // Another process made it first: that one is as good as ours.
    if (!isDatabase(dir)) throw error;
  }
}
