import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import { createTwofoldServer } from "../../src/server";
import { databases } from "../helpers/databases";
import {
  APP_URL,
  capturedLogger,
  forEachServer,
  lastEmail,
  STRONG_PASSWORD,
  TEST_SECRET,
  uniqueEmail,
} from "../helpers/harness";

// Production refuses to start without real SMS; nothing is sent in these tests (no phone is involved).
const PRODUCTION_SMS = {
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "f".repeat(32),
  TWILIO_FROM: "+15005550006",
};
const tempDir = () => mkdtempSync(path.join(tmpdir(), "twofold-ops-"));
const get = (
  app: { request: (url: string, init?: RequestInit) => Response | Promise<Response> },
  url: string,
  init?: RequestInit,
) => app.request(`${APP_URL}${url}`, init);

// Every path of API.md implemented so far: Accounts, Account, phone and SMS two-factor, Operations.
const DOCUMENTED: Array<[string, string]> = [
  ["post", "/api/auth/sign-up"],
  ["post", "/api/auth/resend-verification"],
  ["post", "/api/auth/verify-email"],
  ["post", "/api/auth/sign-in"],
  ["post", "/api/auth/sign-out"],
  ["get", "/api/auth/session"],
  ["post", "/api/auth/forgot-password"],
  ["post", "/api/auth/reset-password"],
  ["post", "/api/auth/confirm-email-change"],
  ["patch", "/api/account/profile"],
  ["put", "/api/account/avatar"],
  ["delete", "/api/account/avatar"],
  ["get", "/api/users/{id}/avatar"],
  ["post", "/api/account/password"],
  ["post", "/api/account/email"],
  ["get", "/api/account/sessions"],
  ["delete", "/api/account/sessions/{id}"],
  ["post", "/api/account/sessions/revoke-others"],
  ["get", "/api/account/security-events"],
  ["get", "/api/auth/two-factor/challenge"],
  ["post", "/api/auth/two-factor/send"],
  ["post", "/api/auth/two-factor/verify"],
  ["post", "/api/account/phone"],
  ["get", "/api/account/phone/verification"],
  ["post", "/api/account/phone/resend"],
  ["post", "/api/account/phone/verify"],
  ["delete", "/api/account/phone"],
  ["post", "/api/account/two-factor/sms"],
  ["post", "/api/webhooks/twilio/status"],
  ["get", "/api/health"],
  ["get", "/api/dev/outbox"],
];

forEachServer("operations endpoints", (ctx) => {
  it("GET /api/health answers 200 {status:'ok'} while the database answers", async () => {
    const res = await ctx.client().get("/api/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("GET /api/openapi.json is OpenAPI 3.1 and documents every implemented path of API.md", async () => {
    const res = await ctx.client().get("/api/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const doc = res.body as {
      openapi: string;
      info: { title: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBeTruthy();
    for (const [method, route] of DOCUMENTED) {
      expect(doc.paths[route]?.[method], `${method.toUpperCase()} ${route}`).toBeDefined();
      expect(Object.keys(doc.paths[route]![method]!.responses).length, `${method} ${route} responses`).toBeGreaterThan(
        0,
      );
    }
    // The account routes document their 401, so clients know the session is needed.
    expect(doc.paths["/api/account/sessions"]!.get!.responses).toHaveProperty("401");
    expect(doc.paths["/api/account/avatar"]!.put!.responses).toHaveProperty("413");
    expect(doc.paths["/api/account/avatar"]!.put!.responses).toHaveProperty("415");
  });

  it("documents patterns a client can use: each compiles and means what the server checks", async () => {
    // Found while fuzzing from the document: the name pattern was published as `^\P{Cc}*$/u`, matching no name.
    const doc = (await ctx.client().get("/api/openapi.json")).body;
    const patterns: string[] = [];
    JSON.stringify(doc, (key, value) =>
      key === "pattern" && typeof value === "string" ? void patterns.push(value) : value,
    );
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) expect(() => new RegExp(pattern, "u"), pattern).not.toThrow();
    const name = new RegExp(
      doc.paths["/api/account/profile"].patch.requestBody.content["application/json"].schema.properties.name.pattern,
      "u",
    );
    expect(["Ada Lovelace", "Zoë 🦄 حسن"].every((n) => name.test(n))).toBe(true);
    expect(["a\nb", "tab\there", "nul\u0000", "c1\u0085"].some((n) => name.test(n))).toBe(false);
  });

  it("GET /api/docs renders the reference from our own bundle, which is served", async () => {
    const docs = await ctx.client().get("/api/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    expect(docs.text).toContain("/api/docs/scalar.js");
    expect(docs.text).toContain("/api/openapi.json");
    expect(docs.text).not.toMatch(/https:\/\/cdn\.|jsdelivr|unpkg/);
    const script = await get(ctx.server.app, "/api/docs/scalar.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeGreaterThan(10_000);
  });

  it("GET /api/docs names its icon (no /favicon.ico 404) and sets no deprecated Scalar option", async () => {
    const docs = await ctx.client().get("/api/docs");
    const icon = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)"/.exec(docs.text)?.[1];
    expect(icon).toBe("/api/docs/icon.svg");
    const served = await get(ctx.server.app, icon!);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/svg+xml");
    expect(await served.text()).toContain("<svg");
    // Scalar logs "[DEPRECATED] You're using the deprecated 'showToolbar' attribute" in the browser when it is set.
    expect(docs.text).not.toContain("showToolbar");
    expect(docs.text).toContain('"showDeveloperTools": "never"');
  });

  it("GET /api/dev/outbox lists messages newest first with channel, to, subject, body and createdAt", async () => {
    const email = uniqueEmail("outbox");
    await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Outbox" });
    // Sign-up creates the account after its answer: a resend in the same millisecond could find none yet.
    await ctx.server.settle();
    await ctx.client().post("/api/auth/resend-verification", { email });
    // The dev outbox answers a browser on this machine only (test/integration/dev-outbox-exposure.test.ts).
    const res = await ctx.client({ ip: "127.0.0.1" }).get("/api/dev/outbox");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const mine = (res.body.messages as Array<Record<string, string>>).filter((m) => m.to === email);
    expect(mine).toHaveLength(2);
    for (const message of mine) {
      expect(message).toMatchObject({
        channel: "email",
        to: email,
        subject: expect.stringMatching(/confirm/i),
        body: expect.stringContaining("#token="),
      });
      expect(Date.parse(message.createdAt!)).not.toBeNaN();
    }
    expect(Date.parse(mine[0]!.createdAt!)).toBeGreaterThanOrEqual(Date.parse(mine[1]!.createdAt!));
    // The newest link is the one that works: the resend replaced the first.
    expect(
      (await ctx.client().post("/api/auth/verify-email", { token: (await lastEmail(ctx.server, email))!.token }))
        .status,
    ).toBe(200);
  });
});

describe("health with the database gone", () => {
  for (const database of databases) {
    it(`answers 503, and other routes a bare 500 without a stack trace [${database.kind}]`, async () => {
      const handle = await database.open();
      const log = capturedLogger();
      const server = await createTwofoldServer({
        env: { APP_URL, SECRET: TEST_SECRET, DATA_DIR: tempDir(), NODE_ENV: "test" },
        database: handle,
        logger: log.logger,
        pollIntervalMs: 3_600_000,
      });
      try {
        expect((await get(server.app, "/api/health")).status).toBe(200);
        await handle.close();
        const health = await get(server.app, "/api/health");
        expect(health.status).toBe(503);
        expect(await health.json()).toEqual({ error: { code: "service_unavailable", message: expect.any(String) } });

        const signIn = await server.app.request(
          `${APP_URL}/api/auth/sign-in`,
          {
            method: "POST",
            headers: { "content-type": "application/json", origin: APP_URL },
            body: JSON.stringify({ email: "ada@example.com", password: STRONG_PASSWORD }),
          },
          { remoteAddress: "10.1.2.3" },
        );
        const text = await signIn.text();
        expect(signIn.status).toBe(500);
        expect(JSON.parse(text)).toEqual({ error: { code: "internal_error", message: expect.any(String) } });
        expect(text).not.toMatch(/\bat |node_modules|\.ts:\d+|pool|pglite|postgres/i);
        // The operator gets the detail in the log; the password never goes there.
        expect(log.text()).toContain("unhandled error");
        expect(log.text()).not.toContain(STRONG_PASSWORD);
      } finally {
        await server.close();
      }
    }, 60_000);
  }
});

describe("production mode", () => {
  it("refuses to start without SECRET or SMTP_URL, or with a short SECRET", () => {
    const base = {
      NODE_ENV: "production" as const,
      APP_URL: "https://auth.example.com",
      DATA_DIR: tempDir(),
      ...PRODUCTION_SMS,
    };
    expect(() => loadConfig({ ...base, SMTP_URL: "smtp://mail.example.com" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, SMTP_URL: "smtp://mail.example.com" })).toThrow(/SECRET/);
    expect(() => loadConfig({ ...base, SECRET: TEST_SECRET })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ ...base, SECRET: "too-short", SMTP_URL: "smtp://mail.example.com" })).toThrow(/SECRET/);
    expect(loadConfig({ ...base, SECRET: TEST_SECRET, SMTP_URL: "smtp://mail.example.com" })).toMatchObject({
      production: true,
      devOutbox: { email: false, sms: false },
      sms: { provider: "twilio" },
    });
  });

  it("refuses to start without real SMS: no Twilio variables, or SMS_PROVIDER=outbox", () => {
    const base = {
      NODE_ENV: "production" as const,
      APP_URL: "https://auth.example.com",
      DATA_DIR: tempDir(),
      SECRET: TEST_SECRET,
      SMTP_URL: "smtp://mail.example.com",
    };
    expect(() => loadConfig(base)).toThrow(ConfigError);
    expect(() => loadConfig(base)).toThrow(/SMS|Twilio/i);
    expect(() => loadConfig({ ...base, ...PRODUCTION_SMS, SMS_PROVIDER: "outbox" })).toThrow(/SMS|Twilio/i);
    expect(() =>
      loadConfig({
        ...base,
        TWILIO_ACCOUNT_SID: PRODUCTION_SMS.TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: PRODUCTION_SMS.TWILIO_AUTH_TOKEN,
      }),
    ).toThrow(/TWILIO_FROM/);
  });

  it("createTwofoldServer rejects a production configuration without SECRET", async () => {
    const handle = await databases[0]!.open();
    try {
      await expect(
        createTwofoldServer({
          env: { NODE_ENV: "production", SMTP_URL: "smtp://127.0.0.1:1", DATA_DIR: tempDir(), ...PRODUCTION_SMS },
          database: handle,
        }),
      ).rejects.toThrow(/SECRET/);
    } finally {
      await handle.close();
    }
  }, 60_000);

  it("answers 404 for GET /api/dev/outbox and still serves health and the docs", async () => {
    const handle = await databases[0]!.open();
    const server = await createTwofoldServer({
      env: {
        NODE_ENV: "production",
        SECRET: TEST_SECRET,
        SMTP_URL: "smtp://127.0.0.1:1",
        APP_URL,
        DATA_DIR: tempDir(),
        ...PRODUCTION_SMS,
      },
      database: handle,
      logger: capturedLogger().logger,
      pollIntervalMs: 3_600_000,
    });
    try {
      // Asked from this machine, so only the configuration (no dev channel) makes it a 404.
      const outbox = await server.app.request(`${APP_URL}/api/dev/outbox`, {}, { remoteAddress: "127.0.0.1" });
      expect(outbox.status).toBe(404);
      expect(await outbox.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
      expect((await get(server.app, "/api/health")).status).toBe(200);
      expect((await get(server.app, "/api/openapi.json")).status).toBe(200);
    } finally {
      await server.close();
      await handle.close();
    }
  }, 60_000);
});
