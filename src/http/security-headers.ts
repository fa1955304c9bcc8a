// The security headers of every response, in one place: the pages (set by scripts/server.mjs through
// securePageRequest, with a fresh nonce per request), the API's JSON (set by middleware/security-headers.ts) and the
// API reference page at /api/docs. No framework imports: scripts/server.mjs, next.config.ts and the Hono app all read
// this file.
import { randomBytes } from "node:crypto";

export type CspMode = "development" | "production";

/**
 * Pages that receive one-time tokens. The token sits in the URL fragment (never sent anywhere), and
 * `no-referrer` is the second belt: nothing about these URLs leaks to any link followed from the page.
 */
export const tokenPages = ["/verify-email", "/reset-password", "/confirm-email", "/unlock", "/account-recovery"];

/** 128 bits from the CSPRNG, base64: a nonce must be unguessable and never reused (CSP3 §7.2). */
export function createNonce(): string {
  return randomBytes(16).toString("base64");
}

function serialize(directives: Record<string, string[]>): string {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(" "))
    .join("; ");
}

/** Shared by every document we serve: nothing frames us, no <base> rewrites, forms post only to us. */
const documentDirectives = {
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

/**
 * The Next.js pages. Scripts run only with this request's nonce (Next puts it on its own tags, read from the
 * request's CSP header) or when loaded by such a script ('strict-dynamic'); 'self' is only the fallback for
 * CSP2 browsers, which ignore 'strict-dynamic'. No 'unsafe-inline' for scripts, in any mode.
 *
 * Development only: React reconstructs server error stacks with eval ('unsafe-eval'), the dev overlay injects
 * <style> tags without a nonce ('unsafe-inline' styles), and HMR talks over a websocket to `devOrigin`.
 */
export function pageCsp(options: { nonce: string; mode: CspMode; https?: boolean; devOrigin?: string }): string {
  const { nonce, mode } = options;
  const dev = mode === "development";
  const hmrSocket = dev && options.devOrigin ? [options.devOrigin.replace(/^http/, "ws")] : [];
  return serialize({
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])],
    // Next puts the nonce on the style tags it renders; the pages' own `style={…}` attributes are not
    // scripts and cannot carry a nonce, so attributes alone may be inline (browsers without style-src-attr
    // fall back to style-src and drop them: spacing only).
    "style-src": dev ? ["'self'", "'unsafe-inline'"] : ["'self'", `'nonce-${nonce}'`],
    ...(dev ? {} : { "style-src-attr": ["'unsafe-inline'"] }),
    // data: and blob: for images drawn or previewed in the page; avatars come from /api/users/:id/avatar.
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'", ...hmrSocket],
    ...documentDirectives,
    // On https only: on plain http it would rewrite our own http:// subresources to https:// and break them.
    ...(options.https ? { "upgrade-insecure-requests": [] } : {}),
  });
}

/** JSON and images: nothing in them may run, load anything or be framed. */
export const apiCsp = serialize({ "default-src": ["'none'"], "frame-ancestors": ["'none'"] });

/**
 * The Scalar API reference (/api/docs), served from our node_modules: its two <script> tags carry the nonce;
 * the bundle adds <style> tags at run time without one, so styles (not scripts) may be inline. It fetches
 * /api/openapi.json and, for "try it", our own API only.
 */
export function docsCsp(nonce: string): string {
  return serialize({
    "default-src": ["'none'"],
    "script-src": ["'self'", `'nonce-${nonce}'`],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
    ...documentDirectives,
  });
}

/**
 * Browser features no auth page uses are switched off for us and anything we embed. WebOTP
 * (`otp-credentials`) stays on for our own pages: app/lib/web-otp.ts reads texted codes with it.
 * Only features Chromium recognises: an unknown name is a console error on every page.
 */
export const permissionsPolicy = [
  "accelerometer=()",
  "autoplay=()",
  "browsing-topics=()",
  "camera=()",
  "display-capture=()",
  "geolocation=()",
  "gyroscope=()",
  "hid=()",
  "idle-detection=()",
  "magnetometer=()",
  "microphone=()",
  "midi=()",
  "otp-credentials=(self)",
  "payment=()",
  "screen-wake-lock=()",
  "serial=()",
  "usb=()",
  "xr-spatial-tracking=()",
].join(", ");

/** Two years, every subdomain: the value hstspreload.org asks for (preload itself is the operator's call). */
export const strictTransportSecurity = "max-age=63072000; includeSubDomains";

export function servesHttps(appUrl: string | undefined): boolean {
  return appUrl?.startsWith("https://") ?? false;
}

/** Every response, page or API: the headers that do not depend on what the body is. */
export function commonHeaders(options: { https: boolean }): Record<string, string> {
  return {
    // HSTS over plain http is ignored by browsers and would lock out an http-only deployment if it reached one.
    ...(options.https ? { "Strict-Transport-Security": strictTransportSecurity } : {}),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    // frame-ancestors 'none' in the CSP is the rule; this is for browsers that predate it.
    "X-Frame-Options": "DENY",
    // A window we open (or that opens us) gets no handle on ours: no tabnabbing, no cross-window leaks.
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": permissionsPolicy,
  };
}

/** The headers of one page response (pathname without query), given this request's nonce. */
export function pageHeaders(options: {
  pathname: string;
  nonce: string;
  mode: CspMode;
  https: boolean;
  devOrigin?: string;
}): Record<string, string> {
  return {
    ...commonHeaders(options),
    "Content-Security-Policy": pageCsp(options),
    ...(tokenPages.includes(options.pathname) ? { "Referrer-Policy": "no-referrer" } : {}),
    // Pages show one person's account: never kept by a shared cache, nor by the browser for Back after sign-out.
    "Cache-Control": "private, no-store",
  };
}

/**
 * Whether Next.js answers `pathname` with a page. Not the API (its own headers, src/http/app.ts), Next's build output
 * (hashed scripts and styles, and the dev server's HMR socket) or the static icon: next.config.ts's rules cover those.
 */
export function isPagePath(pathname: string): boolean {
  // Next.js resolves dot segments, percent-encoded ones too, and renders the page they lead to: "/api/../sign-in" is
  // the sign-in page. So only a path already in its plain form (as the URL standard normalises it) may skip the
  // page's headers; anything else gets them, which is harmless where the API answers (its own headers win).
  let normalized: string;
  try {
    normalized = new URL(pathname, "http://localhost").pathname;
  } catch {
    return true;
  }
  if (normalized !== pathname) return true;
  return !/^\/(?:api(?:\/|$)|_next\/|icon\.svg$)/.test(pathname);
}

/**
 * What scripts/server.mjs does to each request before Next.js sees it: for a page, a fresh nonce, put in the response's
 * headers and in the request's Content-Security-Policy header, where Next.js reads it to put it on its own <script>
 * and <style> tags. A policy the client sent is replaced, never used. Returns whether the path is a page.
 *
 * Done in our own HTTP server rather than in a Next.js proxy (middleware): the proxy was compiled into every build
 * (0.5 to 1.6 s of `next build` on 2 cores) and ran in Next's middleware adapter on every page request.
 */
export function securePageRequest(
  request: { url?: string; headers: Record<string, string | string[] | undefined> },
  response: { setHeader(name: string, value: string): unknown },
  options: { mode: CspMode; appUrl: string | undefined; devOrigin?: string },
): boolean {
  const pathname = (request.url ?? "/").split(/[?#]/, 1)[0]!;
  if (!isPagePath(pathname)) return false;
  const { mode, appUrl, devOrigin } = options;
  const headers = pageHeaders({ pathname, nonce: createNonce(), mode, https: servesHttps(appUrl), devOrigin });
  request.headers["content-security-policy"] = headers["Content-Security-Policy"];
  delete request.headers["content-security-policy-report-only"];
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  return true;
}
