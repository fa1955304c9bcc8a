#!/usr/bin/env node
// The HTTP server in front of Next.js, for `npm start` (development) and `npm run serve` (production).
//
// Why not plain `next dev`/`next start`: Next records the TCP peer in X-Forwarded-For only when the client
// sent no such header (base-server `??=`), so a client could pick the address our per-IP rate limits see.
// Here the peer is always appended as the nearest hop; the API then believes the rest only as far as
// TRUST_PROXY says.
import http from "node:http";
import next from "next";

const dev = process.argv.includes("--dev");
// A self-hosted auth server does not phone home; set NEXT_TELEMETRY_DISABLED=0 to opt in.
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
if (!dev) process.env.NODE_ENV ??= "production";
const port = Number(process.env.PORT || 3000);
const hostname = process.env.HOST || "0.0.0.0";
const appUrl = process.env.APP_URL || `http://localhost:${port}`;

const app = next({ dev, port, hostname: "localhost" });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  const peer = req.socket.remoteAddress ?? "";
  const forwarded = req.headers["x-forwarded-for"];
  req.headers["x-forwarded-for"] = forwarded ? `${forwarded}, ${peer}` : peer;
  handle(req, res);
});
server.listen(port, hostname, async () => {
  // Open the database (and apply migrations) and, in development, compile the home page before announcing
  // the URL, not on the first visitor's request: a first run creates the embedded database.
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/health`);
    if (!response.ok) console.error(`database not ready: HTTP ${response.status}`);
    if (dev) await fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer());
  } catch (error) {
    console.error(`not ready: ${error.message}`);
  }
  console.log(`Twofold (${dev ? "development" : "production"}) ready on ${appUrl}`);
  if (dev) console.log(`dev inbox: ${appUrl}/dev/inbox`);
});

// SIGTERM: stop accepting, let in-flight requests finish, then stop the outbox worker between messages.
let closing = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    server.close(async () => {
      const twofold = globalThis[Symbol.for("twofold.server")];
      if (twofold) await (await twofold).close().catch(() => {});
      await app.close?.();
      process.exit(0);
    });
    server.closeIdleConnections?.();
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}
