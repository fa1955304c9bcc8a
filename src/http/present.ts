import type { Context } from "hono";
import type { SignedIn } from "../core/sign-in";
import { presentSession, presentUser } from "../core/present";
import { invalidateSession, sessionCookieExpiresAt } from "../core/sessions";
import type { ClientInfo } from "../core/types";
import { getCookie } from "hono/cookie";
import { signInThrottlePolicy } from "../core/sign-in-throttle";
import {
  challengeCookieName,
  clearChallengeCookie,
  setChallengeCookie,
  setKnownDeviceCookie,
  setSessionCookie,
} from "./cookies";
import type { AppEnv } from "./env";

/**
 * Sign-in, verify-email and the second-factor step answer alike: a session (cookie + body) or a challenge (with
 * the challenge cookie for browsers, whose binding secret the flow was given in `client`).
 */
export async function signedInResponse(c: Context<AppEnv>, result: SignedIn, client: ClientInfo) {
  const { config, deps } = c.var.services;
  if (result.kind === "challenge") {
    if (client.challengeBinding)
      setChallengeCookie(
        c,
        config,
        result.challenge.id,
        client.challengeBinding,
        new Date(result.challenge.expiresAt),
        deps.now(),
      );
    return c.json({ twoFactorRequired: true as const, challenge: result.challenge }, 200);
  }
  // Only a request that carries a challenge cookie (the second-factor step) gets it deleted: deleting it on every
  // sign-in put a second Set-Cookie on answers whose only cookie must be the session (auth-https, http-csrf).
  if (getCookie(c, challengeCookieName(config)) !== undefined) clearChallengeCookie(c, config);
  // A new sign-in ends the session this browser already had (OWASP ASVS 7.2.4): nothing issued before the
  // credentials were proven, by us or planted by someone else, outlives them.
  if (c.var.auth) await invalidateSession(deps, c.var.auth.session.id);
  const expiresAt = sessionCookieExpiresAt(deps, result.session);
  setSessionCookie(c, config, result.token, expiresAt, deps.now());
  setKnownDeviceCookie(c, config, result.knownDevice, signInThrottlePolicy.knownDeviceLifetimeSeconds);
  // The bearer token goes in the body only for non-browser clients (no Origin header): page scripts never see
  // it, so an XSS bug cannot read the HttpOnly session out of a response.
  const token = c.req.header("origin") ? {} : { token: result.token };
  return c.json({ user: presentUser(result.user), session: presentSession(result.session, expiresAt), ...token }, 200);
}
