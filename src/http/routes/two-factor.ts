import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  resendSignInCode,
  signInChallengeState,
  verifySignInChallenge,
  type ChallengeHandle,
} from "../../core/sign-in-challenge";
import type { Context } from "hono";
import { clearChallengeCookie, readChallengeCookie } from "../cookies";
import type { AppEnv } from "../env";
import { errorResponse, failureResponse } from "../errors";
import { clientInfo } from "../middleware/session";
import { signedInResponse } from "../present";
import { ChallengeId, Code, errors, jsonBody, Session, User } from "../schemas";
import { validationHook } from "../validation";

const tag = ["Two-factor sign-in"];
const expired: [number, string] = [
  410,
  "challenge_expired: finished, expired, out of attempts, or started in another browser",
];

const ChallengeState = z
  .object({
    id: z.string(),
    methods: z.array(z.string()),
    phoneHint: z.string().nullable(),
    expiresAt: z.string().datetime(),
    resendAt: z.string().datetime(),
    codeExpiresAt: z.string().datetime().nullable(),
    attemptsLeft: z.number().int(),
  })
  .openapi("ChallengeState");

/** The challenge named in the body, else the one in this browser's challenge cookie (whose secret binds it). */
function challengeHandle(c: Context<AppEnv>, bodyId: string | undefined): ChallengeHandle | null {
  const cookie = readChallengeCookie(c, c.var.services.config);
  const challengeId = bodyId ?? cookie?.challengeId;
  if (!challengeId) return null;
  return { challengeId, binding: cookie?.binding };
}

const noChallenge = (c: Context<AppEnv>) =>
  errorResponse(c, "challenge_expired", "There is no sign-in in progress. Start again with your password.");

export const twoFactorRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "get",
      path: "/challenge",
      tags: tag,
      summary: "The sign-in challenge held in this browser's challenge cookie",
      responses: {
        200: { description: "Live challenge", content: { "application/json": { schema: ChallengeState } } },
        ...errors(expired),
      },
    }),
    async (c) => {
      const handle = challengeHandle(c, undefined);
      if (!handle) return noChallenge(c);
      const state = await signInChallengeState(c.var.services.deps, handle);
      return state.ok ? c.json(state.challenge, 200) : failureResponse(c, state);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/send",
      tags: tag,
      summary: "Send a new code (the previous one stops working); 60 s cooldown",
      request: jsonBody(z.object({ challengeId: ChallengeId.optional(), method: z.literal("sms") })),
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
        ...errors(
          [400, "invalid_phone, unsupported_country, phone_opted_out: the provider refused the number"],
          expired,
          [429, "resend_too_soon or sms_limit (Retry-After)"],
          [503, "sms_unavailable"],
        ),
      },
    }),
    async (c) => {
      const handle = challengeHandle(c, c.req.valid("json").challengeId);
      if (!handle) return noChallenge(c);
      const sent = await resendSignInCode(c.var.services.deps, handle, clientInfo(c));
      return sent.ok
        ? c.json({ resendAt: sent.resendAt, expiresAt: sent.expiresAt, codeExpiresAt: sent.codeExpiresAt }, 202)
        : failureResponse(c, sent);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/verify",
      tags: tag,
      summary: "Finish signing in with the code; the session starts here",
      request: jsonBody(
        z.object({
          challengeId: ChallengeId.optional(),
          method: z.literal("sms"),
          code: Code,
          trustDevice: z.boolean().optional(),
        }),
      ),
      responses: {
        200: {
          description: "Signed in (cookie set)",
          content: {
            "application/json": { schema: z.object({ user: User, session: Session, token: z.string().optional() }) },
          },
        },
        ...errors([400, "invalid_code (with attemptsLeft)"], expired, [
          429,
          "too_many_attempts: code entry paused for the account (Retry-After)",
        ]),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const handle = challengeHandle(c, body.challengeId);
      if (!handle) return noChallenge(c);
      const client = clientInfo(c);
      const proof = { method: body.method, code: body.code };
      const verified = await verifySignInChallenge(c.var.services.deps, { ...handle, proof }, client);
      if (!verified.ok) {
        if (verified.code === "challenge_expired") clearChallengeCookie(c, c.var.services.config);
        return failureResponse(c, verified);
      }
      return signedInResponse(c, verified.result, client) as never;
    },
  );
