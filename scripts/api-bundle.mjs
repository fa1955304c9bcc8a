#!/usr/bin/env node
// Our server-side TypeScript, bundled by esbuild (about 0.1 s): the API of `npm run api` (scripts/api.mjs) and the API
// the pages call under scripts/server.mjs (src/next-host.ts).
//
// Why not tsx: it compiles each module on import through a resident esbuild process and, on Node 20, a module-loader
// thread (a second V8 heap): together about 75 MB that stay for the life of the server.
// Why not leave it to `next build`: Turbopack took 3 to 5 s of every build to compile the API into the pages'
// bundles, on the path of a first `npm start` (bench/startup.mjs), for code that needs no bundler's help.
//
// As a command (`npm run build` runs it after `next build`): writes the pages' API next to the build, so that a
// production server (`npm run serve`) writes nothing outside its data directory.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

/** What the pages and the /api route take from the API (app/lib/api-host.ts). */
export const nextHostEntry = "src/next-host.ts";

/** Where a build keeps the pages' API: in the dist dir, which `next build` empties first, so it is written after. */
export const apiBundleFile = (root, distDir) => path.join(root, distDir, "twofold-api.mjs");

/** Bundles `entry` (a path from the project root) into `outfile`; dependencies stay in node_modules. */
export async function bundleApi(root, entry, outfile) {
  mkdirSync(path.dirname(outfile), { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    // Native addons (argon2, sharp) and WASM (PGlite) cannot be bundled anyway; the rest gains nothing by it.
    // Node finds them from the bundle's folder up, so it must sit inside the project.
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    // For stack traces at src/…/*.ts lines where source maps are on (scripts/api.mjs; `node --enable-source-maps`).
    // A map file beside the bundle, not inline, and without the sources' text (Node reads src/ itself to show a
    // line): the server keeps neither a megabyte of base64 in the module's source nor the sources' text in the map.
    sourcemap: "linked",
    sourcesContent: false,
    logLevel: "warning",
  });
  await esbuild.stop();
}

/** Bundles `entry` into a file of this process's own, imports it and removes the file (`npm start`, `npm run api`). */
export async function importBundled(root, entry) {
  // One file per process and entry: two servers started at once (tests, a benchmark) never read each other's
  // half-written bundle.
  const outfile = path.join(
    root,
    "node_modules",
    ".cache",
    "twofold",
    `${path.basename(entry, ".ts")}-${process.pid}.mjs`,
  );
  await bundleApi(root, entry, outfile);
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    // Loaded (or failed to): the file is no longer needed.
    rmSync(outfile, { force: true });
    rmSync(`${outfile}.map`, { force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.cwd();
  await bundleApi(root, nextHostEntry, apiBundleFile(root, process.env.NEXT_DIST_DIR || ".next"));
}
