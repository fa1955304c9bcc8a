import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { randomId } from "../../core/crypto";
import { sessionCookieExpiresAt, validateSessionToken } from "../../core/sessions";
import type { ClientInfo } from "../../core/types";
import { clearSessionCookie, sessionCookieName, setSessionCookie } from "../cookies";
import type { AppEnv, Auth } from "../env";
import { errorResponse } from "../errors";

/** Resolves the session (cookie or bearer token) once per request; routes ask `requireAuth`. */
export const loadSession = (): MiddlewareHandler<AppEnv> =>
  async function loadSession(c, next) {
    const { config, deps } = c.var.services;
    const bearer = c.req.header("authorization")?.match(/^Bearer (\S+)$/)?.[1];
    const cookieName = sessionCookieName(config);
    // The name already carries `__Host-` over https; Hono's "host" prefix option would prepend it again.
    const cookie = getCookie(c, cookieName);
    const token = bearer ?? cookie;
    let auth: Auth | null = null;
    if (token) {
      const validation = await validateSessionToken(deps, token);
      if (validation) {
        auth = { session: validation.session, user: validation.user, via: bearer ? "bearer" : "cookie" };
        if (validation.refreshed && !bearer) setSessionCookie(c, config, token, sessionCookieExpiresAt(deps, validation.session), deps.now());
      } else if (!bearer) {
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
    if (!auth || auth.session.assuranceLevel < options.level) return errorResponse(c, "unauthenticated", "Sign in to continue.");
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
