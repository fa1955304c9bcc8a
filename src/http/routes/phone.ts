import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  pendingPhoneVerification,
  removePhone,
  resendPhoneCode,
  startPhoneVerification,
  verifyPhone,
} from "../../core/phone";
import { presentUser } from "../../core/present";
import { setSmsTwoFactor } from "../../core/two-factor";
import type { AppEnv } from "../env";
import { failureResponse } from "../errors";
import { clientInfo, requireSession, signedIn } from "../middleware/session";
import { ChallengeId, Code, errors, jsonBody, Password, PhoneNumber, STEP_UP_ERROR, User } from "../schemas";
import { validationHook } from "../validation";

const tag = ["Phone and two-factor"];
const unauthenticated: [number, string] = [401, "unauthenticated, or invalid_credentials (wrong current password)"];
const expired: [number, string] = [410, "challenge_expired: finished, expired or out of attempts"];
const userResponse = {
  200: { description: "The updated user", content: { "application/json": { schema: z.object({ user: User }) } } },
};
const Verification = z
  .object({
    verificationId: z.string(),
    phoneHint: z.string(),
    phoneNumber: z.string().openapi({ description: "The number being verified, in full (E.164)" }),
    expiresAt: z.string().datetime(),
    resendAt: z.string().datetime(),
    codeExpiresAt: z.string().datetime().nullable(),
    attemptsLeft: z.number().int(),
  })
  .openapi("PhoneVerification");
export const sendErrors = errors(
  [400, "invalid_phone, unsupported_country, phone_opted_out"],
  [429, "resend_too_soon or sms_limit (Retry-After)"],
  [503, "sms_unavailable: the SMS provider is misconfigured or down"],
);

export const phoneRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
phoneRoutes.use("*", requireSession());

phoneRoutes
  .openapi(
    createRoute({
      method: "post",
      path: "/phone",
      tags: tag,
      summary: "Add or change the mobile number: a code goes to the new number",
      request: jsonBody(z.object({ phoneNumber: PhoneNumber, currentPassword: Password })),
      responses: {
        202: { description: "Code sent", content: { "application/json": { schema: Verification } } },
        ...sendErrors,
        ...errors(unauthenticated, STEP_UP_ERROR, [409, "credentials_changed"]),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const started = await startPhoneVerification(
        c.var.services.deps,
        user,
        session,
        c.req.valid("json"),
        clientInfo(c),
      );
      if (!started.ok) return failureResponse(c, started);
      const { ok: _ok, ...verification } = started;
      return c.json(verification, 202);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/phone/verification",
      tags: tag,
      summary: "The phone verification in progress, if any",
      responses: {
        200: { description: "In progress", content: { "application/json": { schema: Verification } } },
        ...errors([404, "not_found"], unauthenticated),
      },
    }),
    async (c) => {
      const pending = await pendingPhoneVerification(c.var.services.deps, signedIn(c).session);
      if (!pending.ok) return failureResponse(c, pending);
      const { ok: _ok, ...verification } = pending;
      return c.json(verification, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/phone/resend",
      tags: tag,
      summary: "A new code for the number being verified (60 s cooldown)",
      request: jsonBody(z.object({ verificationId: ChallengeId })),
      responses: {
        202: {
          description: "Sent",
          content: {
            "application/json": {
              schema: z.object({
                resendAt: z.string().datetime(),
                expiresAt: z.string().datetime(),
                codeExpiresAt: z.string().datetime().nullable(),
              }),
            },
          },
        },
        ...sendErrors,
        ...errors(expired, unauthenticated),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const sent = await resendPhoneCode(c.var.services.deps, user, session, c.req.valid("json"), clientInfo(c));
      return sent.ok
        ? c.json({ resendAt: sent.resendAt, expiresAt: sent.expiresAt, codeExpiresAt: sent.codeExpiresAt }, 202)
        : failureResponse(c, sent);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/phone/verify",
      tags: tag,
      summary: "Prove the number with its code; it becomes the account's number",
      request: jsonBody(z.object({ verificationId: ChallengeId, code: Code })),
      responses: {
        ...userResponse,
        ...errors([400, "invalid_code (with attemptsLeft)"], expired, [429, "too_many_attempts"], unauthenticated),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const verified = await verifyPhone(c.var.services.deps, user, session, c.req.valid("json"), clientInfo(c));
      return verified.ok ? c.json({ user: presentUser(verified.user) }, 200) : failureResponse(c, verified);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/phone",
      tags: tag,
      summary: "Remove the number (SMS two-factor goes off with it)",
      request: jsonBody(z.object({ currentPassword: Password })),
      responses: { 204: { description: "Removed" }, ...errors(unauthenticated, STEP_UP_ERROR, [429, "rate_limited"]) },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const removed = await removePhone(c.var.services.deps, user, session, c.req.valid("json"), clientInfo(c));
      return removed.ok ? c.body(null, 204) : failureResponse(c, removed);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/two-factor/sms",
      tags: tag,
      summary:
        "Turn SMS two-factor sign-in on or off. Turning it on signs every other session out unless signOutOthers is false; those kept must step up before any security change",
      request: jsonBody(
        z.object({
          enabled: z.boolean(),
          currentPassword: Password,
          signOutOthers: z
            .boolean()
            .optional()
            .openapi({ description: "When enabling: sign every other session out (default true)" }),
        }),
      ),
      responses: {
        200: {
          description: "The updated user, and the recovery codes when two-factor just turned on (shown once)",
          content: {
            "application/json": {
              schema: z.object({ user: User, recoveryCodes: z.array(z.string()).length(10).optional() }),
            },
          },
        },
        ...errors([409, "phone_not_verified"], unauthenticated, STEP_UP_ERROR, [429, "rate_limited"]),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const switched = await setSmsTwoFactor(c.var.services.deps, user, session, c.req.valid("json"), clientInfo(c));
      if (!switched.ok) return failureResponse(c, switched);
      const { recoveryCodes } = switched;
      return c.json({ user: presentUser(switched.user), ...(recoveryCodes ? { recoveryCodes } : {}) }, 200);
    },
  );
