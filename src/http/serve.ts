import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { listenHost } from "../config";
import { getServer } from "../server";

/**
 * Longest a shutdown may take before the process exits anyway (a provider or the database not answering): above
 * the 10 s Twilio timeout an in-flight code send may need, under the 30 s most supervisors wait before SIGKILL.
 */
const SHUTDOWN_DEADLINE_MS = 25_000;

/**
 * `npm run api`: the same Hono app without Next.js, on the same PORT. While a channel uses the dev outbox it
 * listens on loopback only, unless HOST says otherwise (config.ts listenHost).
 */
const server = await getServer();
const hostname = listenHost(server.config);
const http = serve(
  {
    // The socket's address is the peer: the dev outbox and the client IP start from it, never from a header.
    fetch: (req, env) => server.app.fetch(req, { remoteAddress: env.incoming.socket.remoteAddress }),
    port: server.config.port,
    ...(hostname ? { hostname } : {}),
  },
  (info) => {
    // Where codes and links go was said by createTwofoldServer ("email: …", "sms: …").
    const where = hostname
      ? `${hostname}${hostname === "127.0.0.1" && !server.config.host ? ", this machine only: set HOST to listen elsewhere" : ""}`
      : "every interface";
    server.logger.info(
      { port: info.port, host: hostname ?? "*" },
      `API listening on port ${info.port} (${where}); ${server.config.appUrl}/api`,
    );
  },
) as Server;
// An idle keep-alive connection is closed after 65 s, not Node's 5 s: longer than common proxies and load balancers
// keep theirs (60 s), so the client end closes first. When the server closes first, a request sent on the connection
// as it closes fails (ECONNRESET; a proxy answers 502). Headers must be allowed longer than that (Node measures an
// idle connection against both). The same in scripts/server.mjs.
http.keepAliveTimeout = 65_000;
http.headersTimeout = 66_000;

let closing = false;
// close() ends the idle keep-alive connections once; one whose last response goes out during the shutdown would
// otherwise stay open, and keep the process waiting, until the keep-alive timeout.
http.on("request", (_req, res) => res.on("finish", () => closing && setImmediate(() => http.closeIdleConnections())));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    server.logger.info({ signal }, "Shutting down: finishing in-flight requests and the message in hand");
    setTimeout(() => {
      server.logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, "Shutdown took too long; exiting with work unfinished");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    // At once: no new connections, and the outbox worker claims nothing more (it finishes the message in hand).
    // In-flight requests run to their normal answer, texting their codes as usual. Then the database closes.
    const requestsDone = new Promise<void>((resolve) => http.close(() => resolve()));
    Promise.all([requestsDone, server.worker.stop()])
      .then(() => server.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          server.logger.error({ err: error }, "Shutdown failed");
          process.exit(1);
        },
      );
  });
}
