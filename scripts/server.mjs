#!/usr/bin/env node
// The HTTP server in front of Next.js, for `npm start` (a build of the pages, made when the sources changed),
// `npm run dev` (next dev: compiles on request, reloads on edits) and `npm run serve` (production).
//
// Why not plain `next dev`/`next start`: Next records the TCP peer in X-Forwarded-For only when the client
// sent no such header (base-server `??=`), so a client could pick the address our per-IP rate limits see.
// Here the peer is always appended as the nearest hop; the API then believes the rest only as far as
// TRUST_PROXY says.
import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { apiBundleFile, importBundled, nextHostEntry } from "./api-bundle.mjs";
import { buildPages, isBuiltFrom, sourceStamp } from "./page-build.mjs";

const dev = process.argv.includes("--dev");
// `npm start`: the pages built once (`next build`, again only when the sources change) and served like production,
// with NODE_ENV left as it is, so the dev inbox stays on. Served from a build, a page answers at once and the
// whole server holds a fraction of what `next dev` does (bench/startup.mjs; README "Start-up and memory").
const local = process.argv.includes("--local");
// A self-hosted auth server does not phone home; set NEXT_TELEMETRY_DISABLED=0 to opt in.
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
if (!dev && !local) process.env.NODE_ENV ??= "production";
const port = Number(process.env.PORT || 3000);
// Development (and any non-production run, where config.ts may put a channel in the dev outbox) listens on
// loopback only unless HOST says otherwise: its dev inbox shows every code and reset link. Production refuses
// dev channels at start-up, so it listens everywhere by default.
const production = !dev && process.env.NODE_ENV === "production";
const hostname = process.env.HOST || (production ? "0.0.0.0" : "127.0.0.1");
const appUrl = process.env.APP_URL || `http://localhost:${port}`;
const mode = dev ? "development" : local ? "local build, dev inbox on" : process.env.NODE_ENV || "production";
// The environment as launched, for the API's configuration (src/server.ts getServer): serving a build, Next.js sets
// NODE_ENV=production in process.env, which would make `npm start` a production server without SMTP or Twilio.
globalThis[Symbol.for("twofold.launchEnv")] = { ...process.env };
// Tells the API (src/server.ts hostBindingsFromForwardedFor) that the last X-Forwarded-For hop is the TCP peer,
// appended below: only then may it count as proof that a request came from this machine.
globalThis[Symbol.for("twofold.peerAppended")] = true;

const root = process.cwd();
const distDir = process.env.NEXT_DIST_DIR || ".next";
const stampName = "twofold-sources";

/**
 * While the first build runs (a fresh clone, or after a code change): every page says so and reloads itself, the
 * API answers 503 with Retry-After, as during any outage. Nothing else is loaded yet.
 */
function whileBuilding(req, res) {
  const headers = {
    "Cache-Control": "no-store",
    "Retry-After": "5",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  };
  if (req.url?.startsWith("/api/")) {
    res.writeHead(503, { ...headers, "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        error: { code: "service_unavailable", message: "Twofold is starting. Try again in a few seconds." },
      }),
    );
    return;
  }
  res.writeHead(503, { ...headers, "Content-Type": "text/html; charset=utf-8" });
  // Reloads every second (a few hundred bytes from memory), so the app shows within a second of being ready.
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="refresh" content="1"><title>Twofold is starting</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem">
<h1 style="font-size:1.5rem">Twofold is starting</h1>
<p>The pages are being built: this happens on the first start and after the code changes, and usually takes
5 to 10 seconds. This page reloads itself until they are ready.</p></body></html>`);
}

let handle;
let app;
/**
 * Gives each page its security headers and a fresh CSP nonce (src/http/security-headers.ts securePageRequest), before
 * Next.js renders it. From the API's bundle, or in development from the file itself: `next dev` compiles the API.
 */
let securePage;
let securityModule;
const loadApp = async (isDev) => {
  // Imported here, not at the top: on a first start the build needs the CPU more than Next's server does.
  const { default: next } = await import("next");
  app = next({ dev: isDev, port, hostname: "localhost" });
  const [{ securePageRequest }] = await Promise.all([securityModule, app.prepare()]);
  // A build made before the pages' headers moved here has the API without them: serving it would leave pages
  // without their policy. Exits here, as for a missing build: Next.js has installed its own handler by now, which
  // would only log a thrown error and leave the process running.
  if (typeof securePageRequest !== "function") {
    console.error(`The build in ${distDir} is outdated: run \`npm run build\`.`);
    process.exit(1);
  }
  const mode = isDev ? "development" : "production";
  securePage = (req, res) =>
    securePageRequest(req, res, { mode, appUrl, devOrigin: isDev ? `http://${req.headers.host}` : undefined });
  handle = app.getRequestHandler();
};
// `npm start` builds the pages first when they are missing or older than the sources.
const stamp = local ? sourceStamp(root) : undefined;
const mustBuild = local && !isBuiltFrom(root, distDir, stampName, stamp);
// A first start creates the embedded database once the pages are built, beside Next's own start-up. initdb's 2 to 4 s
// of CPU, even at the lowest priority, slowed the 2-core build: the first page came 0.3 to 0.6 s later (median of eight
// pairs of runs). The API is needed only when a form is sent, and is ready 2 to 3 s after the first page.
let pagesBuilt = Promise.resolve();
let markPagesBuilt;
if (mustBuild) pagesBuilt = new Promise((resolve) => (markPagesBuilt = resolve));

/**
 * The API, bundled by esbuild and loaded here rather than compiled into the pages by `next build`
 * (scripts/api-bundle.mjs), and its database opened beside Next's own start-up, not after it. A first start on a clean
 * clone creates the embedded database (initdb, 2 to 4 s of CPU, in a child process) once the pages are built.
 * - `npm start` bundles it from the sources at every start (0.1 s): it is the code as it is now.
 * - `npm run serve` loads the bundle `npm run build` wrote beside the pages, and writes nothing itself.
 * - `npm run dev`: Next compiles the API with the pages instead, so that edits reload (app/lib/api-host.ts).
 */
if (!dev) {
  const builtApi = apiBundleFile(root, distDir);
  if (!local && !existsSync(builtApi)) {
    console.error(`No build in ${distDir} (${path.relative(root, builtApi)} is missing): run \`npm run build\` first.`);
    process.exit(1);
  }
  const apiHost = local ? importBundled(root, nextHostEntry) : import(pathToFileURL(builtApi).href);
  globalThis[Symbol.for("twofold.apiHost")] = apiHost;
  securityModule = apiHost;
  // A failure to open is only logged here: the first request tries again (src/server.ts getServer) and says why.
  // The first page waits for the build and Next's start-up, not for the database (a page reads it only for a visitor
  // with a session cookie); a database made beside them gets the CPU they leave.
  apiHost.then(
    (host) =>
      pagesBuilt.then(() =>
        host
          .getServer({ databaseInitAtLowPriority: mustBuild })
          .catch((error) => console.error(`opening the API: ${error.message}`)),
      ),
    (error) => {
      console.error(`loading the API: ${error.message}`);
      process.exit(1);
    },
  );
}

let building;
if (local) {
  if (!mustBuild) await loadApp(false);
  else {
    handle = whileBuilding;
    console.log("Building the pages (first start, or the sources changed): usually 5 to 10 seconds…");
    const started = performance.now();
    // A build for this machine only: no type check, compiler cache, server source maps or minification (next.config.ts),
    // and no prerendering (page-build.mjs).
    building = buildPages(root, distDir, {
      env: { ...process.env, TWOFOLD_LOCAL_BUILD: "1" },
      stampName,
      stamp,
      compileOnly: true,
    })
      .then(() => {
        markPagesBuilt();
        return loadApp(false);
      })
      .then(() => console.log(`Pages built in ${((performance.now() - started) / 1000).toFixed(0)} s.`))
      .catch((error) => {
        console.error(error.message);
        process.exit(1);
      });
  }
} else {
  if (dev) securityModule = importBundled(root, "src/http/security-headers.ts");
  await loadApp(dev);
}

const server = http.createServer((req, res) => {
  const peer = req.socket.remoteAddress ?? "";
  const forwarded = req.headers["x-forwarded-for"];
  req.headers["x-forwarded-for"] = forwarded ? `${forwarded}, ${peer}` : peer;
  securePage?.(req, res);
  handle(req, res);
});
// Idle keep-alive connections outlive common proxies' (60 s), so the client end closes first: see src/http/serve.ts.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(port, hostname, async () => {
  // Open the database (and apply migrations) and, in development, compile the home page before announcing
  // the URL, not on the first visitor's request: a first run creates the embedded database.
  try {
    // A first start answers at once, with a page saying the pages are on their way.
    if (building) {
      console.log(`Twofold is starting on ${appUrl}: the pages follow when built.`);
      await building;
    }
    const response = await fetch(`http://127.0.0.1:${port}/api/health`);
    if (!response.ok) console.error(`database not ready: HTTP ${response.status}`);
    if (dev) await fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer());
  } catch (error) {
    console.error(`not ready: ${error.message}`);
  }
  console.log(
    `Twofold (${mode}) ready on ${appUrl}, listening on ${hostname}:${port}${process.env.HOST ? "" : hostname === "127.0.0.1" ? " (this machine only; set HOST to listen elsewhere)" : ""}`,
  );
  // The API's own configuration decides (config.ts devOutbox), the same way as `npm run api`: read it back.
  const twofold = await globalThis[Symbol.for("twofold.server")]?.catch(() => undefined);
  if (twofold) {
    const modes = twofold.deliveryModes;
    console.log(`email: ${modes.email}`);
    console.log(`sms: ${modes.sms}`);
  }
});

// SIGTERM: at once, stop accepting connections and stop the outbox worker from claiming messages (it finishes the
// one in hand); in-flight requests run to their normal answer; then the database closes. Same order as
// src/http/serve.ts (npm run api).
// Longest a shutdown may take: above the 10 s Twilio timeout an in-flight code send may need, under the 30 s most
// supervisors wait before SIGKILL. Exiting on it is a failure (1), not a clean stop.
const SHUTDOWN_DEADLINE_MS = 25_000;
let closing = false;
// close() ends the idle keep-alive connections once; one whose last response goes out during the shutdown would
// otherwise stay open until the keep-alive timeout.
server.on("request", (_req, res) =>
  res.on("finish", () => closing && setImmediate(() => server.closeIdleConnections())),
);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: shutting down (finishing in-flight requests and the message in hand)`);
    setTimeout(() => {
      console.error(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting with work unfinished`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    const twofold = globalThis[Symbol.for("twofold.server")];
    const requestsDone = new Promise((resolve) => server.close(resolve));
    // next dev keeps hot-reload WebSockets open, which would hold the shutdown to its deadline: development does
    // not wait for open connections.
    if (dev) server.closeAllConnections();
    Promise.all([requestsDone, twofold?.then((t) => t.worker.stop())])
      .then(async () => {
        if (twofold) await (await twofold).close();
        await app?.close?.();
      })
      .then(
        () => process.exit(0),
        (error) => {
          console.error(`shutdown failed: ${error?.stack ?? error}`);
          process.exit(1);
        },
      );
  });
}
