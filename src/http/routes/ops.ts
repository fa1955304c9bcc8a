import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { devOutboxChannels } from "../../config";
import { listDevOutbox } from "../../delivery/dev-outbox";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";
import { loopbackPeer } from "../middleware/client-ip";
import { errors } from "../schemas";

const DevMessage = z
  .object({
    id: z.string(),
    channel: z.enum(["email", "sms"]),
    to: z.string(),
    subject: z.string().nullable(),
    body: z.string(),
    html: z.string().nullable(),
    createdAt: z.string().datetime(),
    status: z.string(),
  })
  .openapi("DevOutboxMessage");

export const opsRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["Operations"],
      summary: "Liveness and database reachability",
      responses: {
        200: { description: "Up", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } },
        ...errors([503, "service_unavailable: the database does not answer"]),
      },
    }),
    async (c) => {
      try {
        await c.var.services.db.execute(sql`select 1`);
        return c.json({ status: "ok" as const }, 200);
      } catch {
        return errorResponse(c, "service_unavailable", "The database is not reachable.");
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/dev/outbox",
      tags: ["Operations"],
      summary:
        "Development only: the messages of channels without a real provider (SMTP_URL unset, SMS_PROVIDER=outbox), newest first; to this machine only",
      responses: {
        200: {
          description: "Messages",
          content: { "application/json": { schema: z.object({ messages: z.array(DevMessage) }) } },
        },
        ...errors([404, "not_found: every channel has a real provider, or the request did not come from this machine"]),
      },
    }),
    async (c) => {
      const { config, db, openSealed, settle } = c.var.services;
      // Every code and reset link is in here: it exists only for channels nobody else delivers, and only for a
      // browser on this machine (the TCP peer, not X-Forwarded-For). Anything else gets the answer of a path
      // that does not exist.
      if (devOutboxChannels(config).length === 0 || !loopbackPeer(c))
        return errorResponse(c, "not_found", "Not found.");
      // Shows what every answered request queued, including emails written after their answer went out.
      await settle();
      c.header("Cache-Control", "no-store");
      return c.json({ messages: await listDevOutbox(db, { open: openSealed }, config) }, 200);
    },
  );
