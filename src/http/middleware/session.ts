import type { Context, MiddlewareHandler } from "hono";
import { randomId } from "../../core/crypto";
import { sessionCookieExpiresAt, validateSessionToken } from "../../core/sessions";
import type { ClientInfo } from "../../core/types";
import { clearSessionCookie, sessionCookieName, setSessionCookie, singleCookie } from "../cookies";
import type { AppEnv, Auth } from "../env";
import { errorResponse } from "../errors";

/**
 * The credential a request presents: its bearer token, else its one session cookie. Ambiguity is no credential:
 * two session cookies (one planted for a narrower Path or a parent Domain: cookie tossing), or an Authorization
 * header that names the Bearer scheme without exactly one token (two headers joined, a stray comma), count as
 * none, and neither value is tried.
 */
function presentedToken(c: Context<AppEnv>, cookieName: string): { token: string; via: Auth["via"] } | null {
  const authorization = c.req.header("authorization");
  if (authorization !== undefined && /^bearer\b/i.test(authorization.trimStart())) {
    const bearer = /^bearer ([^\s,]+)$/i.exec(authorization)?.[1];
    return bearer ? { token: bearer, via: "bearer" } : null;
  }
  // The name already carries `__Host-` over https; Hono's "host" prefix option would prepend it again.
  const cookie = singleCookie(c, cookieName);
  return cookie ? { token: cookie, via: "cookie" } : null;
}

/** Resolves the session (cookie or bearer token) once per request; routes ask `requireAuth`. */
export const loadSession = (): MiddlewareHandler<AppEnv> =>
  async function loadSession(c, next) {
    const { config, deps } = c.var.services;
    const presented = presentedToken(c, sessionCookieName(config));
    let auth: Auth | null = null;
    if (presented) {
      const validation = await validateSessionToken(deps, presented.token);
      if (validation) {
        auth = { session: validation.session, user: validation.user, via: presented.via };
        if (validation.refreshed && presented.via === "cookie")
          setSessionCookie(c, config, presented.token, sessionCookieExpiresAt(deps, validation.session), deps.now());
      } else if (presented.via === "cookie") {
        // Only ever the one cookie this request carried: with two, nothing is cleared (the deletion would hit
        // the owner's cookie and leave the planted one, signing the owner out on every visit).
        clearSessionCookie(c, config);
      }
    }
    c.set("auth", auth);
    return next();
  };

/**
 * Guards a whole sub-app: access is checked where the data is served, for every route in it, not by matching
 * URL paths. `level` is the assurance the session must have (2 = passed a second factor).
 */
export const requireSession = (options: { level: 1 | 2 } = { level: 1 }): MiddlewareHandler<AppEnv> =>
  async function requireSession(c, next) {
    const auth = c.var.auth;
    if (!auth || auth.session.assuranceLevel < options.level)
      return errorResponse(c, "unauthenticated", "Sign in to continue.");
    return next();
  };

/** The session of a route behind `requireSession`. */
export function signedIn(c: Context<AppEnv>): Auth {
  const auth = c.var.auth;
  if (!auth) throw new Error("signedIn() used on a route without requireSession()");
  return auth;
}

export function clientInfo(c: Context<AppEnv>): ClientInfo {
  return { ip: c.var.clientIp, userAgent: c.req.header("user-agent") ?? null };
}

/**
 * For a flow that may start a second-factor challenge: a browser (it sends Origin) gets a fresh binding secret,
 * set as the challenge cookie if a challenge is created. API clients get none and hold the challenge by its id.
 */
export function clientStartingChallenge(c: Context<AppEnv>): ClientInfo {
  return { ...clientInfo(c), ...(c.req.header("origin") ? { challengeBinding: randomId(32) } : {}) };
}
