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
// Development (and any non-production run, where config.ts may put a channel in the dev outbox) listens on
// loopback only unless HOST says otherwise: its dev inbox shows every code and reset link. Production refuses
// dev channels at start-up, so it listens everywhere by default.
const production = !dev && process.env.NODE_ENV === "production";
const hostname = process.env.HOST || (production ? "0.0.0.0" : "127.0.0.1");
const appUrl = process.env.APP_URL || `http://localhost:${port}`;
// Tells the API (src/server.ts hostBindingsFromForwardedFor) that the last X-Forwarded-For hop is the TCP peer,
// appended below: only then may it count as proof that a request came from this machine.
globalThis[Symbol.for("twofold.peerAppended")] = true;

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
  console.log(
    `Twofold (${dev ? "development" : "production"}) ready on ${appUrl}, listening on ${hostname}:${port}${process.env.HOST ? "" : hostname === "127.0.0.1" ? " (this machine only; set HOST to listen elsewhere)" : ""}`,
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
        await app.close?.();
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
