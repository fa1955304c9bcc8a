import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listTrustedBrowsers, revokeTrustedBrowser } from "../../core/trusted-browsers";
import { clearTrustedBrowserCookie, readTrustedBrowserCookie } from "../cookies";
import type { AppEnv } from "../env";
import { failureResponse } from "../errors";
import { clientInfo, requireSession, signedIn } from "../middleware/session";
import { errors, Id, noContent } from "../schemas";
import { validationHook } from "../validation";
import { describeUserAgent } from "./account";

const tag = ["Trusted browsers"];
const unauthenticated: [number, string] = [401, "unauthenticated"];

const TrustedBrowserItem = z
  .object({
    id: z.string(),
    /** This request's browser. */
    current: z.boolean(),
    createdAt: z.string().datetime(),
    lastUsedAt: z.string().datetime(),
    expiresAt: z.string().datetime(),
    ip: z.string().nullable(),
    browser: z.string().nullable(),
    os: z.string().nullable(),
  })
  .openapi("TrustedBrowser");

/** Mounted at /api/account/trusted-browsers: the browsers that skip the second step at sign-in. */
export const trustedBrowserRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
trustedBrowserRoutes.use("*", requireSession());

trustedBrowserRoutes
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: tag,
      summary: "Browsers trusted to skip the second step at sign-in (30 days from the sign-in that trusted them)",
      responses: {
        200: {
          description: "Most recently used first",
          content: { "application/json": { schema: z.object({ trustedBrowsers: z.array(TrustedBrowserItem) }) } },
        },
        ...errors(unauthenticated),
      },
    }),
    async (c) => {
      const { config, deps } = c.var.services;
      const rows = await listTrustedBrowsers(deps, signedIn(c).user, readTrustedBrowserCookie(c, config));
      return c.json(
        {
          trustedBrowsers: rows.map(({ browser, current }) => ({
            id: browser.id,
            current,
            createdAt: browser.createdAt.toISOString(),
            lastUsedAt: browser.lastUsedAt.toISOString(),
            expiresAt: browser.expiresAt.toISOString(),
            ip: browser.ip,
            ...describeUserAgent(browser.userAgent),
          })),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      tags: tag,
      summary: "Stop trusting a browser: its next sign-in asks for the second step again",
      description: "No step-up: removing trust only takes access away.",
      request: { params: z.object({ id: Id }) },
      responses: {
        ...noContent,
        ...errors(
          [400, "invalid_request: not an id"],
          [404, "not_found: no such trusted browser of yours"],
          unauthenticated,
        ),
      },
    }),
    async (c) => {
      const { config, deps } = c.var.services;
      const { id } = c.req.valid("param");
      const result = await revokeTrustedBrowser(deps, signedIn(c).user, id, clientInfo(c));
      if (!result.ok) return failureResponse(c, result);
      // This browser's own trust: its cookie names a dead row now, so it goes too.
      if (readTrustedBrowserCookie(c, config)?.split(".")[0] === id) clearTrustedBrowserCookie(c, config);
      return c.body(null, 204);
    },
  );
