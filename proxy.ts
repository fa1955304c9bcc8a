// Security headers for every page, with a fresh CSP nonce per request (the policy itself lives in
// src/http/security-headers.ts). Next.js reads the nonce from the request's Content-Security-Policy header and
// puts it on its own <script> tags, which is why it travels on the request as well as the response.
// This file grants no access: pages check the session where they read data (CVE-2025-29927).
import { NextResponse, type NextRequest } from "next/server";
import { createNonce, pageHeaders, servesHttps } from "./src/http/security-headers";

export function proxy(request: NextRequest) {
  const nonce = createNonce();
  const headers = pageHeaders({
    pathname: request.nextUrl.pathname,
    nonce,
    mode: process.env.NODE_ENV === "development" ? "development" : "production",
    https: servesHttps(process.env.APP_URL),
    devOrigin: request.nextUrl.origin,
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", headers["Content-Security-Policy"]!);
  requestHeaders.set("x-nonce", nonce);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Pages only: the API (/api, its own headers in src/http/app.ts), Next's build output (/_next: hashed,
  // immutable scripts and styles, plus the dev server's HMR socket) and the static icon are left alone; they
  // keep the general headers of next.config.ts.
  matcher: ["/((?!api(?:/|$)|_next/|icon\\.svg$).*)"],
};
