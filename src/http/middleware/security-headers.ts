import type { Handler, MiddlewareHandler } from "hono";
import { apiCsp, commonHeaders, createNonce, docsCsp } from "../security-headers";

/**
 * The API's security headers on every response it makes, errors and 404s included, under Next.js and
 * standalone alike. A route that set its own Content-Security-Policy keeps it (the avatar's sandbox, the docs
 * page's nonce policy); the rest are JSON and get `default-src 'none'`. Set on the finished response directly,
 * like Cache-Control in app.ts: c.header() after next() would rebuild the response.
 */
export const securityHeaders = (options: { https: boolean }): MiddlewareHandler => {
  const headers = Object.entries(commonHeaders(options));
  return async function securityHeaders(c, next) {
    await next();
    applyApiHeaders(c.res.headers, headers);
  };
};

/** For a response made outside the middleware chain: the standalone server's 404 for a path outside /api. */
export function withApiSecurityHeaders(response: Response, options: { https: boolean }): Response {
  applyApiHeaders(response.headers, Object.entries(commonHeaders(options)));
  return response;
}

function applyApiHeaders(target: Headers, headers: Array<[string, string]>): void {
  for (const [name, value] of headers) target.set(name, value);
  if (!target.has("Content-Security-Policy")) target.set("Content-Security-Policy", apiCsp);
  // provideServices (app.ts) sets this too; repeated here for the responses that never reach it.
  if (!target.has("Cache-Control")) target.set("Cache-Control", "no-store");
}

/**
 * Serves an HTML page built by `render` (the Scalar reference) with a fresh nonce on each of its <script>
 * tags and the docs CSP naming it. The HTML is our own configuration rendered by Scalar, never user input.
 */
export const withScriptNonce = (render: Handler): Handler =>
  async function withScriptNonce(c, next) {
    const rendered = await render(c, next);
    if (!(rendered instanceof Response) || !rendered.ok) return rendered as Response;
    const nonce = createNonce();
    const html = (await rendered.text()).replaceAll("<script", `<script nonce="${nonce}"`);
    return c.html(html, 200, { "Content-Security-Policy": docsCsp(nonce) });
  };
