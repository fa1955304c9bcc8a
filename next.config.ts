import type { NextConfig } from "next";
import { apiCsp, commonHeaders, servesHttps, tokenPages } from "./src/http/security-headers";

/** Set by scripts/server.mjs for `npm start`'s build. */
const localBuild = process.env.TWOFOLD_LOCAL_BUILD === "1";

const nextConfig: NextConfig = {
  // Loaded by Node from node_modules, not bundled: native addons, WASM and dynamic requires that bundlers break, and
  // the API's server-only libraries. A build no longer compiles the API at all (scripts/api-bundle.mjs); `next dev`
  // does, so that edits reload, and bundling these would only slow it down.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "@node-rs/argon2",
    "pg",
    "pino",
    "nodemailer",
    "ioredis",
    "rate-limiter-flexible",
    "sharp",
    "hono",
    "@hono/zod-openapi",
    "@hono/node-server",
    "zod",
    "drizzle-orm",
    "@simplewebauthn/server",
    "@scalar/hono-api-reference",
    "otpauth",
    "ua-parser-js",
  ],
  poweredByHeader: false,
  // `next dev` logs every request it serves; the API logs its own (src/http/app.ts requestLog, with the status and
  // without the query string), so Next logs the pages only and each request appears once.
  logging: { incomingRequests: { ignore: [/^(?:https?:\/\/[^/]+)?\/api(?:\/|\?|$)/] } },
  // `npm start` builds the pages for people trying Twofold on this machine (scripts/server.mjs) and skips what only a
  // deployment or a code change needs: the type check (half the build: `npm run typecheck`, `npm test` and CI run it).
  typescript: { ignoreBuildErrors: localBuild },
  // ... and, measured together with it (README "Start-up and memory"), 3 to 4 s of a 2-core first start:
  // - the compiler's on-disk cache, which only speeds up a later build and costs its dependency tracking plus 40 MB
  //   written during this one: the pages are built again only after a code change, and people changing the code
  //   use `npm run dev`;
  // - server source maps, which nothing reads: scripts/server.mjs leaves Node's source maps off (22 MB);
  // - minification, of pages served to this machine: the server holds 8 to 10 MB more after a walk through every page.
  // `npm run build` and the browser tests keep all four.
  ...(localBuild && {
    experimental: { turbopackFileSystemCacheForBuild: false, turbopackSourceMaps: false, turbopackMinify: false },
  }),
  // Lets a second dev server (tests, screenshots) run beside `npm start`: `next dev` locks its dist dir.
  // Use a sibling such as `.next-e2e`, not a folder inside `.next`: Turbopack would watch its logs and reload forever.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // Pages get the full set, with the CSP nonce, from scripts/server.mjs (src/http/security-headers.ts
  // securePageRequest); these rules also cover what it skips (/_next assets, the icon) and are the fallback should it
  // not run.
  async headers() {
    // Later entries override earlier ones for the same header, so the general rule comes first.
    return [
      {
        source: "/:path*",
        // The same set the pages get (HSTS when APP_URL is https at build time: these rules are compiled into
        // the build), so the assets are covered too.
        headers: Object.entries(commonHeaders({ https: servesHttps(process.env.APP_URL) })).map(([key, value]) => ({
          key,
          value,
        })),
      },
      // Scripts, styles and the icon are never documents: nothing may frame or run them as one.
      ...["/_next/:path*", "/icon.svg"].map((source) => ({
        source,
        headers: [{ key: "Content-Security-Policy", value: apiCsp }],
      })),
      ...tokenPages.map((source) => ({ source, headers: [{ key: "Referrer-Policy", value: "no-referrer" }] })),
    ];
  },
};

export default nextConfig;
