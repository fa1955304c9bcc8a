import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { Config } from "../../config";
import { randomId } from "../../core/crypto";
import { PASSKEY_CEREMONY_LIFETIME_SECONDS } from "../../core/factors/passkey";
import { passkeySignInOptions, signInWithPasskey } from "../../core/passkey-sign-in";
import { singleCookie } from "../cookies";
import type { AppEnv } from "../env";
import { failureResponse } from "../errors";
import { clientInfo } from "../middleware/session";
import { signedInResponse } from "../present";
import { errors, jsonBody, Session, User } from "../schemas";
import { validationHook } from "../validation";
import { AuthenticationResponse, webauthnOptions } from "./passkeys";

const tag = ["Passkeys"];

/**
 * The passwordless ceremony's binding: a browser gets a secret in this cookie with the options, and only a
 * request carrying it can use them (an assertion lifted from the page is no good elsewhere). Strict: only our
 * own sign-in page needs it. API clients (no Origin) get none.
 */
function passkeyCookieName(config: Pick<Config, "appUrl">): string {
  return config.appUrl.startsWith("https:") ? "__Host-twofold_passkey" : "twofold_passkey";
}

function passkeyCookieOptions(config: Config) {
  return { httpOnly: true, sameSite: "Strict", secure: config.appUrl.startsWith("https:"), path: "/" } as const;
}

function readPasskeyBinding(c: Context<AppEnv>): string | undefined {
  const value = singleCookie(c, passkeyCookieName(c.var.services.config));
  return value && /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
}

export const authPasskeyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "post",
      path: "/options",
      tags: tag,
      summary: "Options for a passwordless sign-in (discoverable passkey, user verification required); 5 minutes",
      responses: { ...webauthnOptions("Request options"), ...errors([429, "rate_limited"]) },
    }),
    async (c) => {
      const { config } = c.var.services;
      const binding = c.req.header("origin") ? randomId(32) : undefined;
      const result = await passkeySignInOptions(c.var.services.deps, {
        ...clientInfo(c),
        ...(binding ? { challengeBinding: binding } : {}),
      });
      if (!result.ok) return failureResponse(c, result);
      if (binding)
        setCookie(c, passkeyCookieName(config), binding, {
          ...passkeyCookieOptions(config),
          maxAge: PASSKEY_CEREMONY_LIFETIME_SECONDS,
        });
      return c.json(result.options, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags: tag,
      summary: "Sign in with a passkey alone; the session starts at assurance level 2",
      request: jsonBody(z.object({ response: AuthenticationResponse })),
      responses: {
        200: {
          description: "Signed in (cookie set)",
          content: {
            "application/json": { schema: z.object({ user: User, session: Session, token: z.string().optional() }) },
          },
        },
        ...errors([400, "invalid_request"], [401, "invalid_credentials: one answer for every failure"]),
      },
    }),
    async (c) => {
      const { config, deps } = c.var.services;
      const binding = readPasskeyBinding(c);
      const client = { ...clientInfo(c), ...(binding ? { challengeBinding: binding } : {}) };
      const response = c.req.valid("json").response as unknown as AuthenticationResponseJSON;
      const result = await signInWithPasskey(deps, { response }, client);
      // The ceremony is spent either way (or never existed): its cookie goes.
      if (binding) deleteCookie(c, passkeyCookieName(config), passkeyCookieOptions(config));
      if (!result.ok) return failureResponse(c, result);
      return signedInResponse(c, result.result, clientInfo(c)) as never;
    },
  );
