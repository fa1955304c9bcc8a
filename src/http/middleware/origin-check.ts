import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { errorResponse } from "../errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function requestOrigin(origin: string | undefined, referer: string | undefined): string | undefined {
  if (origin) return origin;
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return "invalid";
  }
}

/**
 * CSRF: a write from a browser must come from our own origin. A foreign Origin is refused even without a
 * cookie (login CSRF); a cookie-carrying write with no Origin/Referer at all is refused too. Bearer-token
 * clients are not browsers and are exempt: a cross-site page cannot attach that header.
 */
export const originCheck = (allowedOrigins: string[], sessionCookieName: string): MiddlewareHandler =>
  async function originCheck(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next();
    if (c.req.header("authorization")?.startsWith("Bearer ") && !getCookie(c, sessionCookieName)) return next();
    const origin = requestOrigin(c.req.header("origin"), c.req.header("referer"));
    const hasSessionCookie = getCookie(c, sessionCookieName) !== undefined;
    if (origin === undefined ? hasSessionCookie : !allowedOrigins.includes(origin)) {
      return errorResponse(c, "invalid_origin", "This request did not come from an allowed origin.");
    }
    return next();
  };
