import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { UAParser } from "ua-parser-js";
import {
  changePassword,
  listSessions,
  removeAvatar,
  revokeOtherSessions,
  revokeSession,
  setAvatar,
  updateProfile,
} from "../../core/account";
import { AVATAR_MAX_BYTES, AVATAR_STORED_SIZE, avatarMessages } from "../../core/avatar-rules";
import { requestEmailChange } from "../../core/email-change";
import { presentUser } from "../../core/present";
import { sessionCookieExpiresAt } from "../../core/sessions";
import { signInThrottlePolicy } from "../../core/sign-in-throttle";
import { setKnownDeviceCookie, setSessionCookie } from "../cookies";
import type { AppEnv } from "../env";
import { errorResponse, failureResponse } from "../errors";
import { clientInfo, requireSession, signedIn } from "../middleware/session";
import { Email, errors, Id, jsonBody, Name, noContent, Password, STEP_UP_ERROR, User } from "../schemas";
import { validationHook } from "../validation";

const tag = ["Account"];
const unauthenticated: [number, string] = [401, "unauthenticated"];
const stepUp: [number, string] = STEP_UP_ERROR;
const userResponse = {
  200: { description: "The updated user", content: { "application/json": { schema: z.object({ user: User }) } } },
};

const SessionListItem = z
  .object({
    id: z.string(),
    current: z.boolean(),
    createdAt: z.string().datetime(),
    lastSeenAt: z.string().datetime(),
    expiresAt: z.string().datetime(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    browser: z.string().nullable(),
    os: z.string().nullable(),
  })
  .openapi("SessionListItem");

export function describeUserAgent(userAgent: string | null): { browser: string | null; os: string | null } {
  if (!userAgent) return { browser: null, os: null };
  const parsed = new UAParser(userAgent).getResult();
  const join = (name?: string, version?: string) =>
    name ? [name, version?.split(".")[0]].filter(Boolean).join(" ") : null;
  return { browser: join(parsed.browser.name, parsed.browser.version), os: join(parsed.os.name, parsed.os.version) };
}

export const accountRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
accountRoutes.use("*", requireSession());

accountRoutes
  .openapi(
    createRoute({
      method: "patch",
      path: "/profile",
      tags: tag,
      summary: "Change the display name",
      request: jsonBody(z.object({ name: Name })),
      responses: { ...userResponse, ...errors([400, "invalid_request"], unauthenticated) },
    }),
    async (c) => {
      const { user } = signedIn(c);
      const result = await updateProfile(c.var.services.deps, user, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.json({ user: presentUser(result.user) }, 200) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/avatar",
      tags: tag,
      summary: "Upload an avatar (PNG, JPEG or WebP, at most 10 MiB, raw image body)",
      description:
        `Stored re-encoded as a ${AVATAR_STORED_SIZE}×${AVATAR_STORED_SIZE} WebP (centre crop, upright): no metadata ` +
        "(EXIF, GPS, ICC) survives. The type is sniffed from the bytes; images over 64 megapixels are refused.",
      request: {
        body: {
          content: {
            "image/png": { schema: z.any() },
            "image/jpeg": { schema: z.any() },
            "image/webp": { schema: z.any() },
          },
          required: true,
        },
      },
      middleware: [
        bodyLimit({
          maxSize: AVATAR_MAX_BYTES,
          onError: (c) => errorResponse(c, "payload_too_large", avatarMessages.rule),
        }),
      ],
      responses: {
        ...userResponse,
        ...errors(
          [413, "payload_too_large: over 10 MiB, or over 64 megapixels decoded"],
          [415, "unsupported_media_type: the bytes are not PNG, JPEG or WebP, or the image cannot be decoded"],
          unauthenticated,
        ),
      },
    }),
    async (c) => {
      const { user } = signedIn(c);
      const bytes = Buffer.from(await c.req.arrayBuffer());
      const result = await setAvatar(c.var.services.deps, user, bytes, clientInfo(c));
      return result.ok
        ? c.json({ user: presentUser(result.user) }, 200)
        : errorResponse(c, result.code, result.message);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/avatar",
      tags: tag,
      summary: "Remove the avatar",
      responses: { ...noContent, ...errors(unauthenticated) },
    }),
    async (c) => {
      await removeAvatar(c.var.services.deps, signedIn(c).user);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/password",
      tags: tag,
      summary: "Change the password; every other session is signed out",
      request: jsonBody(z.object({ currentPassword: Password, newPassword: Password })),
      responses: {
        ...noContent,
        ...errors(
          [400, "invalid_request, weak_password"],
          [401, "invalid_credentials (wrong current password) or unauthenticated"],
          stepUp,
          [429, "rate_limited"],
        ),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const { config, deps } = c.var.services;
      const result = await changePassword(deps, user, session, c.req.valid("json"), clientInfo(c));
      if (!result.ok) return failureResponse(c, result);
      // Rotation: this browser's old token died with every other session; the new one replaces it. A bearer
      // client gets it in the X-Session-Token header (its old token no longer works).
      if (signedIn(c).via === "cookie") {
        setSessionCookie(c, config, result.token, sessionCookieExpiresAt(deps, result.session), deps.now());
        setKnownDeviceCookie(c, config, result.knownDevice, signInThrottlePolicy.knownDeviceLifetimeSeconds);
      } else c.header("X-Session-Token", result.token);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/email",
      tags: tag,
      summary: "Start an email change: a link to the new address, a notice to the old",
      request: jsonBody(z.object({ currentPassword: Password, newEmail: Email })),
      responses: {
        202: {
          description: "Link sent to the new address",
          content: { "application/json": { schema: z.object({ status: z.string() }) } },
        },
        ...errors([400, "invalid_request"], [401, "invalid_credentials or unauthenticated"], stepUp, [
          429,
          "rate_limited",
        ]),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const result = await requestEmailChange(c.var.services.deps, user, session, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.json({ status: "confirmation_sent" }, 202) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions",
      tags: tag,
      summary: "The signed-in user's active sessions",
      responses: {
        200: {
          description: "Newest activity first",
          content: { "application/json": { schema: z.object({ sessions: z.array(SessionListItem) }) } },
        },
        ...errors(unauthenticated),
      },
    }),
    async (c) => {
      const { user, session: current } = signedIn(c);
      const sessions = await listSessions(c.var.services.deps, user);
      return c.json(
        {
          sessions: sessions.map(({ session, expiresAt }) => ({
            id: session.id,
            current: session.id === current.id,
            createdAt: session.createdAt.toISOString(),
            lastSeenAt: session.lastSeenAt.toISOString(),
            expiresAt: expiresAt.toISOString(),
            ip: session.ip,
            userAgent: session.userAgent,
            ...describeUserAgent(session.userAgent),
          })),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sessions/{id}",
      tags: tag,
      summary: "Sign out one session",
      request: { params: z.object({ id: Id }) },
      responses: {
        ...noContent,
        ...errors(
          [400, "invalid_request: not an id"],
          stepUp,
          [404, "not_found: no such session of yours"],
          unauthenticated,
        ),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const result = await revokeSession(c.var.services.deps, user, session, c.req.valid("param").id, clientInfo(c));
      return result.ok ? c.body(null, 204) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/revoke-others",
      tags: tag,
      summary: "Sign out everywhere else",
      responses: { ...noContent, ...errors(stepUp, unauthenticated) },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const result = await revokeOtherSessions(c.var.services.deps, user, session, clientInfo(c));
      return result.ok ? c.body(null, 204) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/security-events",
      tags: tag,
      summary: "Recent security events of the account",
      responses: {
        200: {
          description: "Newest first, at most 50",
          content: {
            "application/json": {
              schema: z.object({
                events: z.array(
                  z.object({
                    type: z.string(),
                    at: z.string().datetime(),
                    ip: z.string().nullable(),
                    userAgent: z.string().nullable(),
                    browser: z.string().nullable(),
                    os: z.string().nullable(),
                  }),
                ),
              }),
            },
          },
        },
        ...errors(unauthenticated),
      },
    }),
    async (c) => {
      const events = await c.var.services.deps.repo.listEvents(signedIn(c).user.id, 50);
      return c.json(
        {
          events: events.map((e) => ({
            type: e.type,
            at: e.createdAt.toISOString(),
            ip: e.ip,
            userAgent: e.userAgent,
            ...describeUserAgent(e.userAgent),
          })),
        },
        200,
      );
    },
  );
