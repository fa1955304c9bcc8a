import type { Context } from "hono";
import type { SignedIn } from "../core/sign-in";
import { presentSession, presentUser } from "../core/present";
import { sessionCookieExpiresAt } from "../core/sessions";
import { setSessionCookie } from "./cookies";
import type { AppEnv } from "./env";

/** Sign-in and verify-email answer alike: a session (cookie + body) or a second-factor challenge. */
export function signedInResponse(c: Context<AppEnv>, result: SignedIn) {
  const { config, deps } = c.var.services;
  if (result.kind === "challenge") return c.json({ twoFactorRequired: true as const, challenge: result.challenge }, 200);
  const expiresAt = sessionCookieExpiresAt(deps, result.session);
  setSessionCookie(c, config, result.token, expiresAt, deps.now());
  // The bearer token goes in the body only for non-browser clients (no Origin header): page scripts never see
  // it, so an XSS bug cannot read the HttpOnly session out of a response.
  const token = c.req.header("origin") ? {} : { token: result.token };
  return c.json({ user: presentUser(result.user), session: presentSession(result.session, expiresAt), ...token }, 200);
}
