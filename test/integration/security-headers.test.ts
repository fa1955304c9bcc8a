import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCsp, permissionsPolicy, strictTransportSecurity } from "../../src/http/security-headers";
import { forEachServer, signedUpUser, type ServerContext } from "../helpers/harness";

/**
 * The security headers on real API responses (the Hono app, as Next.js and `npm run api` both serve it),
 * for an http and an https APP_URL. The pages' headers come from scripts/server.mjs (securePageRequest) and are checked
 * by the browser test (test/e2e/csp.test.ts) and, for the policy itself, test/unit/security-headers.test.ts.
 */

// A 1×1 PNG: enough for the avatar upload's byte sniffing.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC",
  "base64",
);

type Named = { name: string; headers: Headers; status: number };

/** The headers every API answer carries, whatever its status or body. */
function expectCommonHeaders({ name, headers }: Named, https: boolean) {
  expect(headers.get("x-content-type-options"), name).toBe("nosniff");
  expect(headers.get("referrer-policy"), name).toBe("strict-origin-when-cross-origin");
  expect(headers.get("x-frame-options"), name).toBe("DENY");
  expect(headers.get("cross-origin-opener-policy"), name).toBe("same-origin");
  expect(headers.get("permissions-policy"), name).toBe(permissionsPolicy);
  expect(headers.get("strict-transport-security"), name).toBe(https ? strictTransportSecurity : null);
}

/** A JSON answer: nothing in it may run or be framed, and no cache keeps it. */
function expectJsonHeaders(response: Named, https: boolean) {
  expectCommonHeaders(response, https);
  expect(response.headers.get("content-security-policy"), response.name).toBe(apiCsp);
  expect(response.headers.get("cache-control"), response.name).toBe("no-store");
}

function directive(csp: string, name: string): string[] {
  const found = csp
    .split(";")
    .map((part) => part.trim().split(/\s+/))
    .find(([directiveName]) => directiveName === name);
  return found?.slice(1) ?? [];
}

function suite(appUrl: string, https: boolean) {
  forEachServer(
    `security headers, APP_URL ${appUrl}`,
    (ctx) => {
      let alice: Awaited<ReturnType<typeof signedUpUser>>;
      beforeAll(async () => {
        alice = await signedUpUser(ctx);
      });

      it("every kind of JSON answer: success, 401, 403, 400, 404, 413, 415 and 500", async () => {
        const client = ctx.client();
        const responses: Named[] = [];
        const record = async (name: string, pending: Promise<{ status: number; headers: Headers }>, status: number) => {
          const response = await pending;
          expect(response.status, name).toBe(status);
          responses.push({ name, ...response });
        };
        await record("health", client.get("/api/health"), 200);
        await record("openapi.json", client.get("/api/openapi.json"), 200);
        await record("session (signed in)", alice.client.get("/api/auth/session"), 200);
        await record("session (anonymous)", client.get("/api/auth/session"), 401);
        await record(
          "sign-in with cookie",
          ctx.client().post("/api/auth/sign-in", { email: alice.email, password: alice.password }),
          200,
        );
        await record(
          "wrong password",
          client.post("/api/auth/sign-in", { email: alice.email, password: "not the password" }),
          401,
        );
        await record(
          "foreign origin",
          ctx
            .client({ origin: "https://evil.example" })
            .post("/api/auth/sign-in", { email: alice.email, password: "x" }),
          403,
        );
        await record(
          "malformed JSON",
          client.request("POST", "/api/auth/sign-in", { body: "{", headers: { "content-type": "application/json" } }),
          400,
        );
        await record("unknown endpoint", client.get("/api/no-such-endpoint"), 404);
        await record(
          "body over 64 KiB",
          client.request("POST", "/api/auth/forgot-password", {
            body: JSON.stringify({ email: "a@example.com", pad: "x".repeat(70_000) }),
            headers: { "content-type": "application/json" },
          }),
          413,
        );
        await record(
          "not JSON",
          client.request("POST", "/api/auth/sign-in", {
            body: "email=a",
            headers: { "content-type": "application/x-www-form-urlencoded" },
          }),
          415,
        );
        await record("no avatar", client.get(`/api/users/${alice.user.id}/avatar`), 404);
        await record(
          "internal error",
          withFailingRepository(ctx, () => client.get(`/api/users/${alice.user.id}/avatar`)),
          500,
        );
        for (const response of responses) expectJsonHeaders(response, https);
      });

      it("the avatar keeps its own sandbox CSP and public caching, with the common headers", async () => {
        const owner = await signedUpUser(ctx);
        const uploaded = await owner.client.request("PUT", "/api/account/avatar", {
          body: new Uint8Array(PNG),
          headers: { "content-type": "image/png" },
        });
        expect(uploaded.status).toBe(200);
        expectJsonHeaders({ name: "avatar upload", ...uploaded }, https);
        const image = await ctx.client().get(uploaded.body.user.avatarUrl);
        expect(image.status).toBe(200);
        expectCommonHeaders({ name: "avatar", ...image }, https);
        expect(image.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
        expect(image.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      });

      it("the API reference page: a fresh nonce on each of its scripts, no inline or eval scripts, not cached", async () => {
        const first = await ctx.client().get("/api/docs");
        const second = await ctx.client().get("/api/docs");
        const nonces = [first, second].map((response) => {
          expect(response.status).toBe(200);
          expectCommonHeaders({ name: "docs", ...response }, https);
          expect(response.headers.get("cache-control")).toBe("no-store");
          const csp = response.headers.get("content-security-policy")!;
          const scriptSrc = directive(csp, "script-src");
          expect(scriptSrc).not.toContain("'unsafe-inline'");
          expect(scriptSrc).not.toContain("'unsafe-eval'");
          expect(directive(csp, "frame-ancestors")).toEqual(["'none'"]);
          expect(directive(csp, "object-src")).toEqual(["'none'"]);
          expect(directive(csp, "base-uri")).toEqual(["'none'"]);
          const nonce = /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(
            scriptSrc.find((source) => source.startsWith("'nonce-")) ?? "",
          )?.[1];
          expect(nonce).toBeDefined();
          const scripts = response.text.match(/<script\b[^>]*>/g) ?? [];
          expect(scripts.length).toBeGreaterThanOrEqual(2);
          for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
          return nonce;
        });
        expect(nonces[0]).not.toBe(nonces[1]);
      });

      it("the reference's script bundle may be cached publicly, and cannot run as a document", async () => {
        const bundle = await ctx.client().get("/api/docs/scalar.js");
        expect(bundle.status).toBe(200);
        expectCommonHeaders({ name: "scalar.js", ...bundle }, https);
        expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
        expect(bundle.headers.get("cache-control")).toBe("public, max-age=3600");
        expect(bundle.headers.get("content-security-policy")).toBe(apiCsp);
      });

      describe("standalone over HTTP (`npm run api`)", () => {
        let http: ServerType;
        let base: string;
        beforeAll(async () => {
          http = serve({
            fetch: (req, env) => ctx.server.app.fetch(req, { remoteAddress: env.incoming.socket.remoteAddress }),
            port: 0,
            hostname: "127.0.0.1",
          });
          await new Promise<void>((resolve) => http.once("listening", () => resolve()));
          base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        });
        afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

        it("answers with the same headers, also for a path outside /api that no middleware sees", async () => {
          for (const [path, status] of [
            ["/api/health", 200],
            ["/api/no-such-endpoint", 404],
            ["/not-the-api", 404],
          ] as const) {
            const response = await fetch(base + path);
            await response.arrayBuffer();
            expect(response.status, path).toBe(status);
            expectJsonHeaders({ name: path, headers: response.headers, status: response.status }, https);
          }
        });
      });
    },
    { env: { APP_URL: appUrl }, only: "pglite" },
  );
}

/** Runs `request` while the repository's avatar read throws: an unexpected failure, answered by onError. */
async function withFailingRepository<T>(ctx: ServerContext, request: () => Promise<T>): Promise<T> {
  const repo = ctx.server.deps.repo;
  const original = repo.getAvatar;
  repo.getAvatar = async () => {
    throw new Error("simulated failure");
  };
  try {
    return await request();
  } finally {
    repo.getAvatar = original;
  }
}

suite("http://localhost:3000", false);
suite("https://auth.example.com", true);
