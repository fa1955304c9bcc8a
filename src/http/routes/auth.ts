import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { presentSession, presentUser } from "../../core/present";
import { confirmEmailChange } from "../../core/email-change";
import { checkResetLink, forgotPassword, resetPassword } from "../../core/password-reset";
import { sessionCookieExpiresAt, invalidateSession } from "../../core/sessions";
import { signIn } from "../../core/sign-in";
import { unlockSignIn } from "../../core/sign-in-throttle";
import { resendVerification, signUp } from "../../core/sign-up";
import { verifyEmail } from "../../core/verify-email";
import { clearSessionCookie, readKnownDeviceCookie, readTrustedBrowserCookie } from "../cookies";
import type { AppEnv } from "../env";
import { errorResponse, failureResponse } from "../errors";
import { clientInfo, clientStartingChallenge } from "../middleware/session";
import { signedInResponse } from "../present";
import {
  Accepted,
  Challenge,
  Email,
  errors,
  jsonBody,
  Name,
  noContent,
  Password,
  Session,
  SignedIn,
  Token,
  User,
} from "../schemas";
import { validationHook } from "../validation";

const tag = ["Accounts"];
const rateLimited: [number, string] = [429, "Too many requests; see Retry-After."];
const accepted = {
  202: {
    description: "Accepted. Same answer whether or not the email has an account.",
    content: { "application/json": { schema: Accepted } },
  },
};

export const authRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "post",
      path: "/sign-up",
      tags: tag,
      summary: "Create an account; a verification link is emailed",
      request: jsonBody(z.object({ email: Email, password: Password, name: Name })),
      responses: { ...accepted, ...errors([400, "invalid_request, weak_password"], rateLimited) },
    }),
    async (c) => {
      const result = await signUp(c.var.services.deps, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.json({ status: "verification_sent" }, 202) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/resend-verification",
      tags: tag,
      summary: "Email a new verification link",
      request: jsonBody(z.object({ email: Email })),
      responses: { ...accepted, ...errors([400, "invalid_request"], rateLimited) },
    }),
    async (c) => {
      const result = await resendVerification(c.var.services.deps, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.json({ status: "verification_sent" }, 202) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/verify-email",
      tags: tag,
      summary: "Confirm the email address with the emailed token; signs in",
      request: jsonBody(z.object({ token: Token })),
      responses: {
        200: {
          description: "Verified and signed in (cookie set), or a second-factor challenge",
          content: { "application/json": { schema: z.union([SignedIn, Challenge]) } },
        },
        ...errors([400, "invalid_token"], rateLimited),
      },
    }),
    async (c) => {
      const client = clientStartingChallenge(c);
      const result = await verifyEmail(c.var.services.deps, c.req.valid("json"), client);
      return result.ok ? signedInResponse(c, result.result, client) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sign-in",
      tags: tag,
      summary: "Sign in with email and password",
      request: jsonBody(z.object({ email: Email, password: Password })),
      responses: {
        200: {
          description: "Signed in (cookie set), or a second-factor challenge",
          content: { "application/json": { schema: z.union([SignedIn, Challenge]) } },
        },
        ...errors(
          [401, "invalid_credentials"],
          [
            403,
            "email_not_verified (only after a correct password); account_locked (100 failed attempts in a row: the owner was emailed an unlock link)",
          ],
          [
            429,
            "Too many attempts from this address, or a growing delay after repeated failures for this email; see Retry-After.",
          ],
        ),
      },
    }),
    async (c) => {
      const client = clientStartingChallenge(c);
      const { config, deps } = c.var.services;
      const result = await signIn(deps, c.req.valid("json"), client, {
        knownDevice: readKnownDeviceCookie(c, config),
        trustedBrowser: readTrustedBrowserCookie(c, config),
      });
      return result.ok ? signedInResponse(c, result.result, client) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sign-out",
      tags: tag,
      summary: "End the current session",
      responses: noContent,
    }),
    async (c) => {
      const auth = c.var.auth;
      if (auth) {
        await invalidateSession(c.var.services.deps, auth.session.id);
        await c.var.services.deps.repo.recordEvent({
          userId: auth.user.id,
          type: "sign_out",
          ip: c.var.clientIp,
          userAgent: c.req.header("user-agent") ?? null,
        });
      }
      clearSessionCookie(c, c.var.services.config);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/session",
      tags: tag,
      summary: "The current user and session",
      responses: {
        200: {
          description: "Signed in",
          content: { "application/json": { schema: z.object({ user: User, session: Session }) } },
        },
        ...errors([401, "unauthenticated"]),
      },
    }),
    async (c) => {
      const auth = c.var.auth;
      if (!auth) return errorResponse(c, "unauthenticated", "Sign in to continue.");
      const expiresAt = sessionCookieExpiresAt(c.var.services.deps, auth.session);
      return c.json({ user: presentUser(auth.user), session: presentSession(auth.session, expiresAt) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/forgot-password",
      tags: tag,
      summary: "Email a password reset link",
      request: jsonBody(z.object({ email: Email })),
      responses: { ...accepted, ...errors([400, "invalid_request"], rateLimited) },
    }),
    async (c) => {
      const result = await forgotPassword(c.var.services.deps, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.json({ status: "reset_sent" }, 202) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/reset-password",
      tags: tag,
      summary: "Set a new password with the emailed token; revokes all sessions",
      request: jsonBody(z.object({ token: Token, password: Password })),
      responses: { ...noContent, ...errors([400, "invalid_token, weak_password"], rateLimited) },
    }),
    async (c) => {
      const result = await resetPassword(c.var.services.deps, c.req.valid("json"), clientInfo(c));
      if (!result.ok) return failureResponse(c, result);
      // The caller's own session (if any) was revoked with the rest.
      clearSessionCookie(c, c.var.services.config);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/reset-password/check",
      tags: tag,
      summary: "Whether a reset token still works, without using it",
      description: "For the reset page to tell a used or expired link at once. The token stays valid.",
      request: jsonBody(z.object({ token: Token })),
      responses: { ...noContent, ...errors([400, "invalid_token"], rateLimited) },
    }),
    async (c) => {
      const result = await checkResetLink(c.var.services.deps, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.body(null, 204) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/confirm-email-change",
      tags: tag,
      summary: "Switch to the new email address with the token sent there",
      request: jsonBody(z.object({ token: Token })),
      responses: {
        200: { description: "Changed", content: { "application/json": { schema: z.object({ user: User }) } } },
        ...errors([400, "invalid_token"], [409, "email_taken"], rateLimited),
      },
    }),
    async (c) => {
      const result = await confirmEmailChange(c.var.services.deps, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.json({ user: presentUser(result.user, "link-holder") }, 200) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/unlock",
      tags: tag,
      summary: "Lift a sign-in lock with the emailed unlock link",
      description:
        "After 100 failed sign-ins in a row the owner is emailed a link; following it clears the failure count. It does not sign in.",
      request: jsonBody(z.object({ token: Token })),
      responses: {
        200: {
          description: "Unlocked",
          content: { "application/json": { schema: z.object({ status: z.literal("unlocked") }) } },
        },
        ...errors([400, "invalid_token"], rateLimited),
      },
    }),
    async (c) => {
      const result = await unlockSignIn(c.var.services.deps, c.req.valid("json"), clientInfo(c));
      return result.ok ? c.json({ status: "unlocked" as const }, 200) : failureResponse(c, result);
    },
  );
