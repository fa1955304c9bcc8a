import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";
import { errors, Id } from "../schemas";
import { validationHook } from "../validation";

// The hook gives a bad id the API's error shape instead of zod's raw output.
export const userRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
  createRoute({
    method: "get",
    path: "/{id}/avatar",
    tags: ["Account"],
    summary: "A user's avatar image",
    request: { params: z.object({ id: Id }) },
    responses: {
      200: { description: "The image, with the type sniffed at upload" },
      ...errors([400, "invalid_request: not an id"], [404, "not_found"]),
    },
  }),
  async (c) => {
    const avatar = await c.var.services.deps.repo.getAvatar(c.req.valid("param").id);
    if (!avatar) return errorResponse(c, "not_found", "No avatar.");
    return c.body(new Uint8Array(avatar.bytes), 200, {
      "Content-Type": avatar.contentType,
      // Served as an image only: never sniffed into HTML, never run as a document.
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; sandbox",
      // Public caching is deliberate: the image is public by id (no session read) and the same for every
      // viewer. URLs carry ?v=<version>, so a new upload is a new URL.
      "Cache-Control": "public, max-age=31536000, immutable",
    }) as never;
  },
);
