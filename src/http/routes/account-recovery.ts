import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  cancelAccountRecovery,
  confirmAccountRecovery,
  pendingAccountRecovery,
  requestAccountRecovery,
} from "../../core/account-recovery";
import { readChallengeCookie } from "../cookies";
import type { AppEnv } from "../env";
import { failureResponse } from "../errors";
import { clientInfo, requireSession, signedIn } from "../middleware/session";
import { Accepted, ChallengeId, errors, jsonBody, noContent, Token } from "../schemas";
import { validationHook } from "../validation";

const tag = ["Account recovery"];
const off: [number, string] = [404, "not_found: ACCOUNT_RECOVERY is off on this server (ask its operator)"];
const rateLimited: [number, string] = [429, "Too many requests; see Retry-After."];

/**
 * Mounted at /api/auth/account-recovery: lost every second factor. From a live sign-in challenge (the password
 * is proved), a link to the account's address; the link starts a 24-hour wait announced on every channel.
 */
export const authAccountRecoveryRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags: tag,
      summary: "From a sign-in challenge with no second factor at hand: email a recovery link",
      description:
        "The challenge is the one in this browser's challenge cookie, or `challengeId` for clients without cookies.",
      request: jsonBody(z.object({ challengeId: ChallengeId.optional() })),
      responses: {
        202: {
          description: "Link sent to the account's address",
          content: { "application/json": { schema: Accepted } },
        },
        ...errors(off, [410, "challenge_expired: no live sign-in challenge of this browser"], rateLimited),
      },
    }),
    async (c) => {
      const { config, deps } = c.var.services;
      const cookie = readChallengeCookie(c, config);
      // The body's id, else the one in this browser's challenge cookie (whose secret binds it), as for the code.
      const challengeId = c.req.valid("json").challengeId ?? cookie?.challengeId ?? "";
      const result = await requestAccountRecovery(deps, { challengeId, binding: cookie?.binding }, clientInfo(c));
      return result.ok ? c.json({ status: "recovery_link_sent" }, 202) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/confirm",
      tags: tag,
      summary: "Start the 24-hour wait with the emailed token; the owner is told by email and SMS",
      request: jsonBody(z.object({ token: Token })),
      responses: {
        200: {
          description: "Waiting; after readyAt the next sign-in with the password removes every second factor",
          content: { "application/json": { schema: z.object({ readyAt: z.string().datetime() }) } },
        },
        ...errors([400, "invalid_token"], off, rateLimited),
      },
    }),
    async (c) => {
      const result = await confirmAccountRecovery(c.var.services.deps, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.json({ readyAt: result.readyAt.toISOString() }, 200) : failureResponse(c, result);
    },
  );

const PendingRecovery = z
  .object({ requestedAt: z.string().datetime(), readyAt: z.string().datetime() })
  .nullable()
  .openapi("PendingAccountRecovery");

/** Mounted at /api/account/account-recovery: the signed-in owner sees and stops a recovery. */
export const accountRecoveryRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
accountRecoveryRoutes.use("*", requireSession());

accountRecoveryRoutes
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: tag,
      summary: "The account recovery waiting to remove this account's second factors, if any",
      responses: {
        200: {
          description: "The pending recovery, or null",
          content: { "application/json": { schema: z.object({ recovery: PendingRecovery }) } },
        },
        ...errors([401, "unauthenticated"], off),
      },
    }),
    async (c) => {
      const result = await pendingAccountRecovery(c.var.services.deps, signedIn(c).user);
      if (!result.ok) return failureResponse(c, result);
      const { recovery } = result;
      return c.json(
        {
          recovery: recovery && {
            requestedAt: recovery.requestedAt.toISOString(),
            readyAt: recovery.readyAt.toISOString(),
          },
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/cancel",
      tags: tag,
      summary: "Stop the pending account recovery (no step-up: it only takes a way in away)",
      responses: {
        ...noContent,
        ...errors([401, "unauthenticated"], [404, "not_found: no recovery in progress, or ACCOUNT_RECOVERY is off"]),
      },
    }),
    async (c) => {
      const result = await cancelAccountRecovery(c.var.services.deps, signedIn(c).user, clientInfo(c));
      return result.ok ? c.body(null, 204) : failureResponse(c, result);
    },
  );
