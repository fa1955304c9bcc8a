#!/usr/bin/env node
// `npm run api`: the Hono app alone (src/http/serve.ts), without Next.js.
//
// Why not `tsx src/http/serve.ts`: tsx compiles each module on import through a resident esbuild process and, on
// Node 20, a module-loader thread (a second V8 heap): together about 75 MB that stay for the life of the server.
// Here esbuild bundles our TypeScript once (about 0.1 s; dependencies stay in node_modules), is stopped, and the
// bundle runs in this process. `npm run bench:startup` measures the difference.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const root = process.cwd();
const outDir = path.join(root, "node_modules", ".cache", "twofold");
// One file per process: two APIs started at once (tests, a benchmark) never read each other's half-written bundle.
const outfile = path.join(outDir, `api-${process.pid}.mjs`);
mkdirSync(outDir, { recursive: true });

await esbuild.build({
  entryPoints: [path.join(root, "src/http/serve.ts")],
  outfile,
  bundle: true,
  // Dependencies are imported from node_modules as usual (native ones such as argon2 cannot be bundled anyway).
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "inline",
  logLevel: "warning",
});
await esbuild.stop();

// Stack traces point at src/…/*.ts lines, not the bundle's.
process.setSourceMapsEnabled(true);
try {
  await import(pathToFileURL(outfile).href);
} finally {
  // Loaded (the server is listening, or failed to start): the file is no longer needed.
  rmSync(outfile, { force: true });
}
