import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { Config } from "../config";

/** `__Host-` pins the cookie to our host and path `/` with Secure, so a sibling subdomain cannot plant one. */
export function sessionCookieName(config: Pick<Config, "appUrl">): string {
  return config.appUrl.startsWith("https:") ? "__Host-twofold_session" : "twofold_session";
}

export function setSessionCookie(c: Context, config: Config, token: string, expiresAt: Date): void {
  const secure = config.appUrl.startsWith("https:");
  setCookie(c, sessionCookieName(config), token, {
    httpOnly: true,
    sameSite: "Lax",
    secure,
    path: "/",
    expires: expiresAt,
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000)),
    ...(secure ? { prefix: "host" as const } : {}),
  });
}

export function clearSessionCookie(c: Context, config: Config): void {
  const secure = config.appUrl.startsWith("https:");
  deleteCookie(c, sessionCookieName(config), { path: "/", secure, httpOnly: true, sameSite: "Lax", ...(secure ? { prefix: "host" as const } : {}) });
}
