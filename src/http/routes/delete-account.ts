import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { deleteAccount } from "../../core/delete-account";
import { clearSessionCookie, clearTrustedBrowserCookie } from "../cookies";
import type { AppEnv } from "../env";
import { failureResponse } from "../errors";
import { requireSession, signedIn } from "../middleware/session";
import { errors, jsonBody, noContent, Password, STEP_UP_ERROR } from "../schemas";
import { validationHook } from "../validation";

/** DELETE /api/account: the signed-in user deletes their own account (src/core/delete-account.ts). */
export const deleteAccountRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
deleteAccountRoutes.use("/", requireSession());

deleteAccountRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/",
    tags: ["Account"],
    summary: "Delete the account and everything in it; every session ends, a goodbye email goes to the address",
    request: jsonBody(z.object({ currentPassword: Password })),
    responses: {
      ...noContent,
      ...errors(
        [400, "invalid_request"],
        [401, "invalid_credentials (wrong current password) or unauthenticated"],
        STEP_UP_ERROR,
        [429, "rate_limited"],
      ),
    },
  }),
  async (c) => {
    const { user, session } = signedIn(c);
    const { config, deps, logger } = c.var.services;
    const result = await deleteAccount(deps, user, session, c.req.valid("json"));
    if (!result.ok) return failureResponse(c, result);
    // In place of a security event (its row went with the account): the id only, never the address.
    logger.info({ userId: user.id }, "account deleted");
    clearSessionCookie(c, config);
    clearTrustedBrowserCookie(c, config);
    return c.body(null, 204);
  },
);
