import { readFile } from "node:fs/promises";
import path from "node:path";
import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Context, MiddlewareHandler } from "hono";
import { sessionCookieName } from "./cookies";
import type { AppEnv, AppServices } from "./env";
import { isDatabaseUnavailable } from "../db/client";
import { errorResponse } from "./errors";
import { clientIp } from "./middleware/client-ip";
import { originCheck } from "./middleware/origin-check";
import { securityHeaders, withApiSecurityHeaders, withScriptNonce } from "./middleware/security-headers";
import { loadSession } from "./middleware/session";
import { accountRoutes } from "./routes/account";
import { deleteAccountRoutes } from "./routes/delete-account";
import { accountRecoveryRoutes, authAccountRecoveryRoutes } from "./routes/account-recovery";
import { authRoutes } from "./routes/auth";
import { opsRoutes } from "./routes/ops";
import { authPasskeyRoutes } from "./routes/passkey-sign-in";
import { accountPasskeyRoutes } from "./routes/passkeys";
import { phoneRoutes } from "./routes/phone";
import { secondFactorRoutes } from "./routes/second-factors";
import { trustedBrowserRoutes } from "./routes/trusted-browsers";
import { twoFactorRoutes } from "./routes/two-factor";
import { userRoutes } from "./routes/users";
import { webhookRoutes } from "./routes/webhooks";
import { servesHttps } from "./security-headers";

const JSON_BODY_LIMIT_BYTES = 64 * 1024;
const isAvatarUpload = (method: string, path: string) => method === "PUT" && path === "/api/account/avatar";
// Providers post form-encoded reports, authenticated by their signature, not by a cookie or Origin.
const isWebhook = (path: string) => path.startsWith("/api/webhooks/");

/** JSON routes reject any other declared body type instead of validating it as `{}`. */
const requireJsonBody = (): MiddlewareHandler<AppEnv> =>
  async function requireJsonBody(c, next) {
    if (
      !["POST", "PUT", "PATCH", "DELETE"].includes(c.req.method) ||
      isAvatarUpload(c.req.method, c.req.path) ||
      isWebhook(c.req.path)
    )
      return next();
    const hasBody = Number(c.req.header("content-length") ?? 0) > 0 || c.req.header("transfer-encoding") !== undefined;
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (hasBody && type !== "application/json")
      return errorResponse(c, "unsupported_media_type", "Send the body as application/json.");
    return next();
  };

const isInboxPoll = (method: string, path: string) => method === "GET" && path === "/api/dev/outbox";

/**
 * One line per API request. Under `npm run dev`, Next.js logs the pages and leaves /api to this line
 * (next.config.ts logging.incomingRequests), so each request is logged once.
 */
const requestLog = (): MiddlewareHandler<AppEnv> =>
  async function requestLog(c, next) {
    const started = performance.now();
    await next();
    // Path only: no query string, body or headers, which is where tokens would be.
    const line = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    };
    // The open dev inbox reads the outbox every 2 s: at info level that buried every other line. Its failures
    // (a 404 off loopback, a 500) are still worth a line.
    if (isInboxPoll(c.req.method, c.req.path) && c.res.status === 200) c.var.services.logger.debug(line, "request");
    else c.var.services.logger.info(line, "request");
  };

export function createApp(services: AppServices) {
  const { config, logger } = services;
  const app = new OpenAPIHono<AppEnv>().basePath("/api");

  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 400)
      return errorResponse(c, "invalid_json", "The request body is not valid JSON.");
    if (error instanceof HTTPException && error.status === 413)
      return errorResponse(c, "payload_too_large", "The request body is too large.");
    // The route validator's own media-type gate: reached when requireJsonBody saw no Content-Length (HTTP/2,
    // a streamed fetch body), so a non-JSON body is still the client's mistake, not a 500.
    if (error instanceof HTTPException && error.status === 415)
      return errorResponse(c, "unsupported_media_type", "Send the body as application/json.");
    // PostgreSQL restarting or out of reach is an outage, not a bug: a 503 the client may retry (API.md), and one
    // warning line without the stack, which would say nothing more and flood the log for the outage's length.
    if (isDatabaseUnavailable(error)) {
      logger.warn({ path: c.req.path, error: (error as Error).message }, "database unavailable");
      return errorResponse(
        c,
        "service_unavailable",
        "The service is briefly unavailable. Try again in a few seconds.",
        { retryAfterSeconds: 5 },
      );
    }
    logger.error({ err: error, path: c.req.path }, "unhandled error");
    return errorResponse(c, "internal_error", "Something went wrong on our side. Try again.");
  });
  // Standalone, a path outside /api meets no middleware at all: its 404 gets the API's headers here.
  app.notFound((c) =>
    withApiSecurityHeaders(errorResponse(c, "not_found", "No such endpoint."), { https: servesHttps(config.appUrl) }),
  );

  // Outermost, so it also dresses errors, 404s and 413s: see middleware/security-headers.ts.
  app.use("*", securityHeaders({ https: servesHttps(config.appUrl) }));
  app.use("*", async function provideServices(c, next) {
    c.set("services", services);
    await next();
    // Auth answers are per-user and often carry cookies: never cached by a browser or proxy. Set on the
    // finished response directly: c.header() after next() would rebuild it (and defeat the adapter's fast path).
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });
  app.use("*", requestLog());
  app.use("*", clientIp(config.trustProxy));
  app.use("*", async function limitJsonBody(c, next) {
    // Reading c.req.raw.body on a GET would make the node adapter build a full Request for nothing: the
    // session check is the hottest path there is.
    if (c.req.method === "GET" || c.req.method === "HEAD" || isAvatarUpload(c.req.method, c.req.path)) return next();
    return bodyLimit({
      maxSize: JSON_BODY_LIMIT_BYTES,
      onError: (c) => errorResponse(c, "payload_too_large", "The request body is larger than 64 KiB."),
    })(c, next);
  });
  app.use("*", requireJsonBody());
  app.use("*", originCheck(config.trustedOrigins, sessionCookieName(config)));
  app.use("*", loadSession());

  app.route("/auth", authRoutes);
  app.route("/auth/two-factor", twoFactorRoutes);
  app.route("/auth/passkey", authPasskeyRoutes);
  app.route("/account", accountRoutes);
  app.route("/account", phoneRoutes);
  app.route("/account", secondFactorRoutes);
  app.route("/account", deleteAccountRoutes);
  app.route("/account/passkeys", accountPasskeyRoutes);
  app.route("/account/trusted-browsers", trustedBrowserRoutes);
  app.route("/auth/account-recovery", authAccountRecoveryRoutes);
  app.route("/account/account-recovery", accountRecoveryRoutes);
  app.route("/webhooks", webhookRoutes);
  app.route("/users", userRoutes);
  app.route("/", opsRoutes);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Twofold API",
      version: "0.1.0",
      description: "Email + password accounts with SMS two-factor sign-in. Errors: `{error:{code,message,fields?}}`.",
    },
    servers: [{ url: config.appUrl }],
  });
  // The reference UI is served from our own node_modules, not a CDN: works offline and under a strict CSP.
  const scalarBundle = path.resolve("node_modules/@scalar/api-reference/dist/browser/standalone.js");
  // The API's public cache entries (with the avatar): the same bytes for everyone, no cookie read,
  // nothing about a user; every other answer keeps the no-store set in provideServices.
  const publicFile = (file: string, contentType: string) => async (c: Context) =>
    c.body(await readFile(file, "utf8"), 200, { "Content-Type": contentType, "Cache-Control": "public, max-age=3600" });
  app.get("/docs/scalar.js", publicFile(scalarBundle, "text/javascript; charset=utf-8"));
  // The page's icon, named in its <head>: without one the browser asks for /favicon.ico, a 404 in the console and log.
  app.get("/docs/icon.svg", publicFile(path.resolve("app/icon.svg"), "image/svg+xml"));
  const scalar = Scalar({
    url: "/api/openapi.json",
    cdn: "/api/docs/scalar.js",
    pageTitle: "Twofold API",
    // A self-hosted auth server's docs page calls nobody: no font CDN, no telemetry, no hosted AI or sharing.
    // (Not `showToolbar`: Scalar deprecated it for showDeveloperTools and warns in the console when it is set.)
    withDefaultFonts: false,
    telemetry: false,
    showDeveloperTools: "never",
    agent: { disabled: true },
  } as Parameters<typeof Scalar>[0]);
  // Scalar renders two <script> tags (the bundle and its start-up call): each gets a per-request nonce.
  app.get(
    "/docs",
    withScriptNonce(async (c, next) => {
      const rendered = await scalar(c, next);
      if (!(rendered instanceof Response) || !rendered.ok) return rendered as Response;
      const html = await rendered.text();
      return c.html(
        html.replace("</head>", '  <link rel="icon" type="image/svg+xml" href="/api/docs/icon.svg" />\n  </head>'),
      );
    }),
  );
  return app;
}

export type TwofoldApp = ReturnType<typeof createApp>;
