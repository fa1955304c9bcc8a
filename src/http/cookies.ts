import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Config } from "../config";

/**
 * How many cookies named `name` the request carries, counted the way the parser splits them (`;`, trimmed
 * names) whatever their values. A browser sends two when someone planted a second one for a narrower Path or a
 * parent Domain (cookie tossing: any page on plain http, or a sibling subdomain, can); the order of the two says
 * nothing about which one we set.
 */
export function cookieCount(c: Context, name: string): number {
  const header = c.req.header("cookie");
  if (!header?.includes(name)) return 0;
  let count = 0;
  for (const pair of header.split(";")) {
    const equals = pair.indexOf("=");
    // Spaces and tabs only, as hono/cookie trims: the same pairs it would match by this name.
    if (equals !== -1 && pair.slice(0, equals).replace(/^[ \t]+|[ \t]+$/g, "") === name) count++;
  }
  return count;
}

/**
 * The value of the one cookie named `name`; undefined when there is none or more than one. Two cookies of one
 * name are both ignored: picking either lets a planted cookie choose the account (or sign the owner out).
 */
export function singleCookie(c: Context, name: string): string | undefined {
  return cookieCount(c, name) === 1 ? getCookie(c, name) : undefined;
}

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

/**
 * The sign-in challenge cookie: `challengeId.bindingSecret`. It carries the challenge through the code page
 * without an id in any URL, and its secret binds the challenge to this browser (only its SHA-256 is stored).
 * Strict: it is only ever needed by our own pages.
 */
export function challengeCookieName(config: Pick<Config, "appUrl">): string {
  return config.appUrl.startsWith("https:") ? "__Host-twofold_challenge" : "twofold_challenge";
}

export function setChallengeCookie(
  c: Context,
  config: Config,
  challengeId: string,
  binding: string,
  expiresAt: Date,
  now: Date,
): void {
  setCookie(c, challengeCookieName(config), `${challengeId}.${binding}`, {
    httpOnly: true,
    sameSite: "Strict",
    secure: config.appUrl.startsWith("https:"),
    path: "/",
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
  });
}

export function clearChallengeCookie(c: Context, config: Config): void {
  deleteCookie(c, challengeCookieName(config), {
    path: "/",
    secure: config.appUrl.startsWith("https:"),
    httpOnly: true,
    sameSite: "Strict",
  });
}

export function readChallengeCookie(c: Context, config: Config): { challengeId: string; binding: string } | null {
  const value = singleCookie(c, challengeCookieName(config));
  const match = value ? /^([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{16,128})$/.exec(value) : null;
  return match ? { challengeId: match[1]!, binding: match[2]! } : null;
}

/**
 * The known-device cookie (core/sign-in-throttle.ts): set at every sign-in, it exempts this browser from the
 * delays and lock that strangers' failed guesses put on the account. Not a credential: it never signs anyone in.
 */
export function knownDeviceCookieName(config: Pick<Config, "appUrl">): string {
  return config.appUrl.startsWith("https:") ? "__Host-twofold_device" : "twofold_device";
}

export function setKnownDeviceCookie(c: Context, config: Config, value: string, maxAgeSeconds: number): void {
  setCookie(c, knownDeviceCookieName(config), value, {
    httpOnly: true,
    sameSite: "Strict",
    secure: config.appUrl.startsWith("https:"),
    path: "/",
    maxAge: maxAgeSeconds,
  });
}

export function readKnownDeviceCookie(c: Context, config: Config): string | undefined {
  return singleCookie(c, knownDeviceCookieName(config));
}

/**
 * The trusted-browser cookie (core/trusted-browsers.ts): `id.secret`, set when a sign-in that passed a second
 * factor asked to trust this browser. Unlike the known-device cookie it is a credential (it stands in for the
 * second step), so it is HttpOnly, `__Host-` over https, and lives no longer than its row (30 days). Lax, not
 * Strict: it is only read by the sign-in POST, which the origin check already confines to our pages.
 */
export function trustedBrowserCookieName(config: Pick<Config, "appUrl">): string {
  return config.appUrl.startsWith("https:") ? "__Host-twofold_trusted" : "twofold_trusted";
}

/** `now` is the flows' clock (deps.now()), as for the session cookie. */
export function setTrustedBrowserCookie(c: Context, config: Config, token: string, expiresAt: Date, now: Date): void {
  setCookie(c, trustedBrowserCookieName(config), token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: config.appUrl.startsWith("https:"),
    path: "/",
    expires: expiresAt,
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
  });
}

export function readTrustedBrowserCookie(c: Context, config: Config): string | undefined {
  return singleCookie(c, trustedBrowserCookieName(config));
}

export function clearTrustedBrowserCookie(c: Context, config: Config): void {
  deleteCookie(c, trustedBrowserCookieName(config), {
    path: "/",
    secure: config.appUrl.startsWith("https:"),
    httpOnly: true,
    sameSite: "Lax",
  });
}
