import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { confirmTotpSetup, removeTotp, startTotpSetup } from "../../core/authenticator-app";
import { presentUser } from "../../core/present";
import { regenerateRecoveryCodes } from "../../core/recovery-codes";
import { startStepUp, stepUpState, verifyStepUp } from "../../core/step-up";
import type { AppEnv } from "../env";
import { failureResponse } from "../errors";
import { clientInfo, requireSession, signedIn } from "../middleware/session";
import { Code, errors, jsonBody, noContent, Password, STEP_UP_ERROR, User } from "../schemas";
import { validationHook } from "../validation";
import { sendErrors } from "./phone";
import { badProof, proofFrom, SecondFactorProofBody } from "./two-factor";

/*
 * Step-up with any factor, the authenticator app and recovery codes (signed in). Every change here needs the
 * current password and, while two-factor is on, a second factor passed in this session in the last 10 minutes.
 */

const unauthenticated: [number, string] = [401, "unauthenticated, or invalid_credentials (wrong current password)"];
const expired: [number, string] = [410, "challenge_expired: finished, expired or out of attempts"];
const RecoveryCodes = z
  .array(z.string())
  .length(10)
  .openapi({ example: ["4f7k-9q2m-x8tr"] });

const StepUpState = z
  .object({
    methods: z.array(z.enum(["passkey", "totp", "sms", "recovery_code"])),
    phoneHint: z.string().nullable(),
    expiresAt: z.string().datetime(),
    resendAt: z.string().datetime(),
    codeExpiresAt: z.string().datetime().nullable(),
    attemptsLeft: z.number().int(),
  })
  .openapi("StepUpState");

export const secondFactorRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
secondFactorRoutes.use("*", requireSession());

secondFactorRoutes
  .openapi(
    createRoute({
      method: "post",
      path: "/step-up/send",
      tags: ["Step-up"],
      summary:
        "Start a step-up: sms texts a code to the account's verified number (60 s cooldown); passkey answers WebAuthn request options. App and recovery codes need no start",
      request: jsonBody(z.object({ method: z.enum(["sms", "passkey"]) })),
      responses: {
        200: {
          description: "passkey: the step-up, with the options for navigator.credentials.get",
          content: {
            "application/json": {
              schema: StepUpState.extend({ passkeyOptions: z.looseObject({ challenge: z.string() }) }),
            },
          },
        },
        202: { description: "Code sent", content: { "application/json": { schema: StepUpState } } },
        ...sendErrors,
        ...errors([400, "invalid_request: that method is not set up"], unauthenticated, [409, "credentials_changed"]),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const { method } = c.req.valid("json");
      const started = await startStepUp(c.var.services.deps, user, session, method, clientInfo(c));
      if (!started.ok) return failureResponse(c, started);
      const { ok: _ok, passkeyOptions, ...state } = started;
      return passkeyOptions ? c.json({ ...state, passkeyOptions }, 200) : c.json(state, 202);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/step-up",
      tags: ["Step-up"],
      summary: "This session's step-up in progress, if any",
      responses: {
        200: { description: "In progress", content: { "application/json": { schema: StepUpState } } },
        ...errors([404, "not_found"], unauthenticated),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const state = await stepUpState(c.var.services.deps, user, session);
      if (!state.ok) return failureResponse(c, state);
      const { ok: _ok, ...rest } = state;
      return c.json(rest, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/step-up",
      tags: ["Step-up"],
      summary:
        "Step-up: a right proof of any factor the account has (sms or app code, recovery code, passkey) lets this session make security changes for 10 minutes",
      request: jsonBody(SecondFactorProofBody),
      responses: {
        204: { description: "This session passed a second factor now" },
        ...errors(
          [400, "invalid_code (with attemptsLeft), invalid_request"],
          expired,
          [429, "too_many_attempts"],
          [401, "unauthenticated"],
        ),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const proof = proofFrom(c.req.valid("json"));
      if ("field" in proof) return badProof(c, proof);
      const verified = await verifyStepUp(c.var.services.deps, user, session, proof, clientInfo(c));
      return verified.ok ? c.body(null, 204) : failureResponse(c, verified);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/two-factor/totp/setup",
      tags: ["Authenticator app"],
      summary: "Start setting up an authenticator app: a new secret, pending until a code from the app confirms it",
      request: jsonBody(z.object({ currentPassword: Password })),
      responses: {
        200: {
          description: "The secret (base32) and the otpauth:// URI to show as a QR code",
          content: { "application/json": { schema: z.object({ secret: z.string(), otpauthUri: z.string() }) } },
        },
        ...errors(
          unauthenticated,
          STEP_UP_ERROR,
          [409, "factor_exists: an app is already set up"],
          [429, "rate_limited"],
        ),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const started = await startTotpSetup(c.var.services.deps, user, session, c.req.valid("json"));
      return started.ok
        ? c.json({ secret: started.secret, otpauthUri: started.otpauthUri }, 200)
        : failureResponse(c, started);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/two-factor/totp/confirm",
      tags: ["Authenticator app"],
      summary:
        "Turn the app on with a code from it; counts as passing a second factor. Recovery codes come back when these are the first",
      request: jsonBody(z.object({ code: Code })),
      responses: {
        200: {
          description: "The app is on",
          content: {
            "application/json": { schema: z.object({ user: User, recoveryCodes: RecoveryCodes.optional() }) },
          },
        },
        ...errors(
          [400, "invalid_code"],
          [401, "unauthenticated"],
          [409, "factor_exists"],
          [410, "challenge_expired: no set-up in progress, or it is older than 15 minutes"],
          [429, "rate_limited"],
        ),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const confirmed = await confirmTotpSetup(c.var.services.deps, user, session, c.req.valid("json"), clientInfo(c));
      if (!confirmed.ok) return failureResponse(c, confirmed);
      const { recoveryCodes } = confirmed;
      return c.json({ user: presentUser(confirmed.user), ...(recoveryCodes ? { recoveryCodes } : {}) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/two-factor/totp",
      tags: ["Authenticator app"],
      summary: "Remove the authenticator app; if it was the last factor, two-factor goes off",
      request: jsonBody(z.object({ currentPassword: Password })),
      responses: { ...noContent, ...errors(unauthenticated, STEP_UP_ERROR, [404, "not_found"], [429, "rate_limited"]) },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const removed = await removeTotp(c.var.services.deps, user, session, c.req.valid("json"), clientInfo(c));
      return removed.ok ? c.body(null, 204) : failureResponse(c, removed);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/recovery-codes",
      tags: ["Recovery codes"],
      summary: "Ten new recovery codes, shown once; every earlier code stops working",
      request: jsonBody(z.object({ currentPassword: Password })),
      responses: {
        200: {
          description: "The new codes",
          content: { "application/json": { schema: z.object({ codes: RecoveryCodes }) } },
        },
        ...errors(unauthenticated, STEP_UP_ERROR, [409, "two_factor_off"], [429, "rate_limited"]),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const made = await regenerateRecoveryCodes(
        c.var.services.deps,
        user,
        session,
        c.req.valid("json"),
        clientInfo(c),
      );
      return made.ok ? c.json({ codes: made.codes }, 200) : failureResponse(c, made);
    },
  );
