import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { Config } from "../config";

/** `__Host-` pins the cookie to our host and path `/` with Secure, so a sibling subdomain cannot plant one. */
export function sessionCookieName(config: Pick<Config, "appUrl">): string {
  return config.appUrl.startsWith("https:") ? "__Host-twofold_session" : "twofold_session";
}

/** `now` is the flows' clock (deps.now()): Max-Age must count from the same instant as `expiresAt`. */
export function setSessionCookie(c: Context, config: Config, token: string, expiresAt: Date, now: Date): void {
  const secure = config.appUrl.startsWith("https:");
  setCookie(c, sessionCookieName(config), token, {
    httpOnly: true,
    sameSite: "Lax",
    secure,
    path: "/",
    expires: expiresAt,
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
    // No `prefix: "host"`: the name already starts with `__Host-`, and Hono would prepend it a second time
    // (`__Host-__Host-twofold_session`), a name the pages and the CSRF check never look for.
  });
}

export function clearSessionCookie(c: Context, config: Config): void {
  const secure = config.appUrl.startsWith("https:");
  deleteCookie(c, sessionCookieName(config), { path: "/", secure, httpOnly: true, sameSite: "Lax" });
}
