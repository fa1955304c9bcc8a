// Our server-side TypeScript, bundled by esbuild (about 0.1 s) and loaded into this process: the API of `npm run api`
// (scripts/api.mjs) and the API the pages call in `npm start` and `npm run serve` (scripts/server.mjs).
//
// Why not tsx: it compiles each module on import through a resident esbuild process and, on Node 20, a module-loader
// thread (a second V8 heap): together about 75 MB that stay for the life of the server.
// Why not leave it to `next build`: Turbopack took about 4 s of every build to compile the API into the pages'
// bundles, on the path of a first `npm start` (bench/startup.mjs), for code that needs no bundler's help.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

/** Bundles `entry` (a path from the project root) and imports it; dependencies stay in node_modules. */
export async function importBundled(root, entry) {
  const outDir = path.join(root, "node_modules", ".cache", "twofold");
  // One file per process and entry: two servers started at once (tests, a benchmark) never read each other's
  // half-written bundle.
  const outfile = path.join(outDir, `${path.basename(entry, ".ts")}-${process.pid}.mjs`);
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    // Native addons (argon2, sharp) and WASM (PGlite) cannot be bundled anyway; the rest gains nothing by it.
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    // For stack traces at src/…/*.ts lines where source maps are on (scripts/api.mjs; `node --enable-source-maps`).
    sourcemap: "inline",
    logLevel: "warning",
  });
  await esbuild.stop();
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    // Loaded (or failed to): the file is no longer needed.
    rmSync(outfile, { force: true });
  }
}
