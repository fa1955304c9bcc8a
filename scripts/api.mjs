#!/usr/bin/env node
// `npm run api`: the Hono app alone (src/http/serve.ts), without Next.js, bundled by esbuild rather than run under
// tsx (scripts/api-bundle.mjs says why). `npm run bench:startup` measures the difference.
import { importBundled } from "./api-bundle.mjs";

// Stack traces point at src/…/*.ts lines, not the bundle's. Not in scripts/server.mjs: there Node would also read the
// maps of every chunk Next.js loads, about 22 MB more resident memory.
process.setSourceMapsEnabled(true);
await importBundled(process.cwd(), "src/http/serve.ts");
