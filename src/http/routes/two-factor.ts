import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  startSignInStep,
  signInChallengeState,
  verifySignInChallenge,
  type ChallengeHandle,
} from "../../core/sign-in-challenge";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Context } from "hono";
import type { SecondFactorProof } from "../../core/factors";
import { clearChallengeCookie, readChallengeCookie, setTrustedBrowserCookie } from "../cookies";
import { trustBrowser } from "../../core/trusted-browsers";
import type { AppEnv } from "../env";
import { errorResponse, failureResponse } from "../errors";
import { clientInfo } from "../middleware/session";
import { signedInResponse } from "../present";
import { ChallengeId, errors, jsonBody, Session, SmsError, User } from "../schemas";
import { AuthenticationResponse } from "./passkeys";
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
    smsError: SmsError.optional(),
  })
  .openapi("ChallengeState");

/** A code of any code method: six digits (SMS, app) or a recovery code (letters, digits, dashes). */
const AnyCode = z
  .string()
  .trim()
  .min(6, { message: "Enter the code." })
  .max(32, { message: "That code is too long." })
  .regex(/^[A-Za-z0-9 -]+$/, { message: "Enter the code as shown." });

/** `{method, code}` for the code methods, `{method:"passkey", response}` for a passkey. */
export const SecondFactorProofBody = z.object({
  method: z.enum(["sms", "totp", "recovery_code", "passkey"]),
  code: AnyCode.optional().openapi({ description: "sms and totp: 6 digits; recovery_code: as issued" }),
  response: AuthenticationResponse.optional().openapi({
    description: "passkey: what @simplewebauthn/browser's startAuthentication returned",
  }),
});

/**
 * The proof the body describes, or the field to fix: six digits for SMS and app codes, a recovery code by its own
 * rules (in the factor), a passkey its assertion.
 */
export function proofFrom(
  body: z.infer<typeof SecondFactorProofBody>,
): SecondFactorProof | { field: "code" | "response"; message: string } {
  if (body.method === "passkey")
    return body.response
      ? { method: "passkey", response: body.response as unknown as AuthenticationResponseJSON }
      : { field: "response", message: "This field is required." };
  if (body.code === undefined) return { field: "code", message: "This field is required." };
  if (body.method !== "recovery_code" && !/^\d{6}$/.test(body.code))
    return { field: "code", message: "Enter the 6-digit code." };
  return { method: body.method, code: body.code };
}

export const badProof = (c: Context<AppEnv>, problem: { field: string; message: string }) =>
  errorResponse(c, "invalid_request", "Some fields are missing or invalid.", {
    fields: { [problem.field]: problem.message },
  });

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
      summary:
        "Start a method's step: sms texts a new code (the previous one stops working; 60 s cooldown), passkey answers the WebAuthn request options",
      request: jsonBody(z.object({ challengeId: ChallengeId.optional(), method: z.enum(["sms", "passkey"]) })),
      responses: {
        200: {
          description: "passkey: PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get",
          content: { "application/json": { schema: z.looseObject({ challenge: z.string() }) } },
        },
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
          [
            400,
            "invalid_phone, unsupported_country, phone_opted_out: the provider refused the number; invalid_request: a method this sign-in does not offer",
          ],
          expired,
          [429, "resend_too_soon or sms_limit (Retry-After)"],
          [503, "sms_unavailable"],
        ),
      },
    }),
    async (c) => {
      const { challengeId, method } = c.req.valid("json");
      const handle = challengeHandle(c, challengeId);
      if (!handle) return noChallenge(c);
      const started = await startSignInStep(c.var.services.deps, handle, method, clientInfo(c));
      if (!started.ok) return failureResponse(c, started);
      if (started.passkeyOptions) return c.json(started.passkeyOptions, 200);
      return c.json(
        { resendAt: started.resendAt, expiresAt: started.expiresAt, codeExpiresAt: started.codeExpiresAt },
        202,
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/verify",
      tags: tag,
      summary: "Finish signing in with any offered method; the session starts here",
      request: jsonBody(
        SecondFactorProofBody.extend({ challengeId: ChallengeId.optional(), trustDevice: z.boolean().optional() }),
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
      const proof = proofFrom(body);
      if ("field" in proof) return badProof(c, proof);
      const verified = await verifySignInChallenge(c.var.services.deps, { ...handle, proof }, client);
      if (!verified.ok) {
        if (verified.code === "challenge_expired") clearChallengeCookie(c, c.var.services.config);
        return failureResponse(c, verified);
      }
      // "Don't ask again on this browser" (core/trusted-browsers.ts): `user` is the row read before the session was
      // inserted under the challenge's credentials version, so the trust is refused if they changed since.
      if (body.trustDevice && verified.result.kind === "session") {
        const { config, deps } = c.var.services;
        const trusted = await trustBrowser(deps, verified.result.user, client);
        if (trusted) setTrustedBrowserCookie(c, config, trusted.token, trusted.expiresAt, deps.now());
      }
      return signedInResponse(c, verified.result, client) as never;
    },
  );
