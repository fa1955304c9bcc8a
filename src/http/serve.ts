import { serve } from "@hono/node-server";
import { getServer } from "../server";

/** `npm run api`: the same Hono app without Next.js, on the same PORT. */
const server = await getServer();
const http = serve({ fetch: (req, env) => server.app.fetch(req, { remoteAddress: env.incoming.socket.remoteAddress }), port: server.config.port }, (info) => {
  server.logger.info({ port: info.port }, `API listening on http://localhost:${info.port}/api`);
});

let closing = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    // Stop accepting, let in-flight requests finish, then stop the worker between messages.
    http.close(async () => {
      await server.close();
      process.exit(0);
    });
  });
}
