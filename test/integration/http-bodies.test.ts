import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AVATAR_MAX_BYTES } from "../../src/core/avatar-rules";
import {
  APP_URL,
  forEachServer,
  type ServerContext,
  signedUpUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from "../helpers/harness";

const KiB = 1024;
// A frame of a stack trace as Node prints it, or a source path: neither belongs in a response.
const STACK = /\n\s+at |\bat .*\(.*:\d+:\d+\)|node_modules|\/src\/|\.ts:\d+/;

/** Every error body is exactly {error:{code,message[,fields]}}, JSON, with no trace of the server's insides. */
function expectApiError(res: { status: number; headers: Headers; text: string }, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(res.text);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(Object.keys(body.error).filter((k) => !["code", "message", "fields"].includes(k))).toEqual([]);
  expect(res.text).not.toMatch(STACK);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return body.error as { code: string; message: string; fields?: Record<string, string> };
}

/** A JSON object of exactly `size` bytes (a valid forgot-password body padded with an ignored field). */
function jsonOfSize(size: number): string {
  const head = JSON.stringify({ email: uniqueEmail("big"), padding: "" });
  return `${head.slice(0, -2) + "x".repeat(size - head.length)}"}`;
}

async function raw(
  ctx: ServerContext,
  method: string,
  path: string,
  body: BodyInit | undefined,
  headers: Record<string, string>,
  ip = "10.9.9.9",
) {
  const init = { method, body, headers: { origin: APP_URL, ...headers }, duplex: "half" } as RequestInit;
  const res = await ctx.server.app.request(`${APP_URL}${path}`, init, { remoteAddress: ip });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 8 * KiB) controller.enqueue(bytes.subarray(i, i + 8 * KiB));
      controller.close();
    },
  });
}

forEachServer("request bodies, errors and headers", (ctx) => {
  it.each(["{", '{"email":', "not json", "{'email':'a@example.com'}", '{"email":"a@example.com",}', ""])(
    "answers malformed JSON %j with 400 invalid_json",
    async (text) => {
      expectApiError(
        await raw(ctx, "POST", "/api/auth/forgot-password", text, { "content-type": "application/json" }),
        400,
        "invalid_json",
      );
    },
  );

  it.each(["[]", "null", "42", '"a@example.com"'])(
    "answers a JSON %s that is not an object with 400 invalid_request",
    async (text) => {
      const error = expectApiError(
        await raw(ctx, "POST", "/api/auth/forgot-password", text, { "content-type": "application/json" }),
        400,
        "invalid_request",
      );
      expect(error.fields).toBeDefined();
    },
  );

  it.each([
    ["text/plain", '{"email":"a@example.com"}'],
    ["application/x-www-form-urlencoded", "email=a%40example.com"],
    [
      "multipart/form-data; boundary=x",
      '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n--x--',
    ],
    ["application/xml", "<email>a@example.com</email>"],
  ])("refuses a %s body with 415, declared by Content-Length or streamed", async (type, text) => {
    const length = String(Buffer.byteLength(text));
    expectApiError(
      await raw(ctx, "POST", "/api/auth/forgot-password", text, { "content-type": type, "content-length": length }),
      415,
      "unsupported_media_type",
    );
    expectApiError(
      await raw(ctx, "POST", "/api/auth/forgot-password", streamOf(text), { "content-type": type }),
      415,
      "unsupported_media_type",
    );
  });

  it("refuses a body without any Content-Type with 415", async () => {
    expectApiError(
      await raw(ctx, "POST", "/api/auth/forgot-password", '{"email":"a@example.com"}', { "content-length": "25" }),
      415,
      "unsupported_media_type",
    );
  });

  it.each(["application/json; charset=utf-8", "Application/JSON"])("accepts %s", async (type) => {
    const res = await raw(
      ctx,
      "POST",
      "/api/auth/forgot-password",
      JSON.stringify({ email: uniqueEmail() }),
      { "content-type": type },
      `10.8.${Math.floor(Math.random() * 255)}.1`,
    );
    expect(res.status).toBe(202);
  });

  it("takes a body of exactly 64 KiB and refuses one byte more with 413, by Content-Length and streamed", async () => {
    const exact = jsonOfSize(64 * KiB);
    expect(Buffer.byteLength(exact)).toBe(64 * KiB);
    const accepted = await raw(
      ctx,
      "POST",
      "/api/auth/forgot-password",
      exact,
      { "content-type": "application/json", "content-length": String(64 * KiB) },
      "10.7.0.1",
    );
    expect(accepted.status).toBe(202);

    const over = jsonOfSize(64 * KiB + 1);
    const json = { "content-type": "application/json" };
    expectApiError(
      await raw(ctx, "POST", "/api/auth/forgot-password", over, { ...json, "content-length": String(64 * KiB + 1) }),
      413,
      "payload_too_large",
    );
    expectApiError(await raw(ctx, "POST", "/api/auth/forgot-password", streamOf(over), json), 413, "payload_too_large");
    expectApiError(
      await raw(ctx, "POST", "/api/auth/sign-in", streamOf(jsonOfSize(1024 * KiB)), json),
      413,
      "payload_too_large",
    );
  });

  it("validates fields: missing and wrongly typed ones are listed in `fields`, extra ones are ignored", async () => {
    const client = ctx.client();
    const missing = expectApiError(await client.post("/api/auth/sign-up", {}), 400, "invalid_request");
    expect(missing.fields).toEqual({
      email: "This field is required.",
      password: "This field is required.",
      name: "This field is required.",
    });
    const wrong = expectApiError(
      await client.post("/api/auth/sign-up", { email: 42, password: ["x"], name: { first: "Ada" } }),
      400,
      "invalid_request",
    );
    expect(Object.keys(wrong.fields!).sort()).toEqual(["email", "name", "password"]);
    const invalid = expectApiError(
      await client.post("/api/auth/sign-up", { email: "nope", password: STRONG_PASSWORD, name: "Ada" }),
      400,
      "invalid_request",
    );
    expect(invalid.fields).toEqual({ email: "Enter a valid email address." });

    // Extra fields cannot smuggle state in (mass assignment): the account is created unverified as usual.
    const email = uniqueEmail("extra");
    const extra = await client.post("/api/auth/sign-up", {
      email,
      password: STRONG_PASSWORD,
      name: "Ada",
      emailVerified: true,
      id: "chosen-id",
      role: "admin",
    });
    expect(extra.status).toBe(202);
    expect(extra.body).toEqual({ status: "verification_sent" });
    // The account is created after the answer (so new and taken addresses answer alike): wait for that work.
    await ctx.server.settle();
    const signIn = await ctx.client().post("/api/auth/sign-in", { email, password: STRONG_PASSWORD });
    expectApiError(signIn, 403, "email_not_verified");
  });

  it.each([
    ["GET", "/api/no-such-thing"],
    ["POST", "/api/no-such-thing"],
    ["GET", "/api/auth/sign-in"],
    ["DELETE", "/api/auth/session"],
    ["GET", "/api"],
    ["GET", "/api/users/abc"],
    ["PUT", "/api/auth/sign-in"],
  ])("answers %s %s with 404 JSON", async (method, path) => {
    expectApiError(await ctx.client().request(method, path), 404, "not_found");
  });

  it("marks auth responses no-store, success and failure alike", async () => {
    const user = await signedUpUser(ctx);
    const responses = [
      await ctx.client().post("/api/auth/sign-in", { email: user.email, password: STRONG_PASSWORD }),
      await ctx.client().post("/api/auth/sign-in", { email: user.email, password: "wrong wrong wrong" }),
      await user.client.get("/api/auth/session"),
      await ctx.client().get("/api/auth/session"),
      await user.client.get("/api/account/sessions"),
      await user.client.get("/api/account/security-events"),
      await user.client.patch("/api/account/profile", { name: "Cached?" }),
      await ctx.client().post("/api/auth/forgot-password", { email: user.email }),
    ];
    for (const res of responses) expect(res.headers.get("cache-control"), res.text).toBe("no-store");
  });

  describe("over a real HTTP connection", () => {
    let http: ServerType;
    let port: number;
    beforeAll(async () => {
      http = serve({
        fetch: (req, env) => ctx.server.app.fetch(req, { remoteAddress: env.incoming.socket.remoteAddress }),
        port: 0,
        hostname: "127.0.0.1",
      });
      await new Promise<void>((resolve) => http.once("listening", () => resolve()));
      port = (http.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

    /** Sends `chunks` with Transfer-Encoding: chunked (no Content-Length), or one body with Content-Length. */
    function send(path: string, headers: Record<string, string>, body: string | string[]) {
      return new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
        let answered = false;
        const req = httpRequest(
          { host: "127.0.0.1", port, method: "POST", path, headers: { origin: APP_URL, ...headers } },
          (res) => {
            answered = true;
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk) => (text += chunk));
            res.on("end", () =>
              resolve({ status: res.statusCode!, headers: new Headers(res.headers as Record<string, string>), text }),
            );
          },
        );
        // The server may answer 413 and close before the whole body is written.
        req.on("error", (error) => (answered ? undefined : reject(error)));
        if (typeof body === "string") req.setHeader("content-length", Buffer.byteLength(body));
        for (const chunk of typeof body === "string" ? [body] : body) req.write(chunk);
        req.end();
      });
    }
    const chunksOf = (text: string) => text.match(/[\s\S]{1,4096}/g)!;

    it("accepts a chunked JSON body and refuses a chunked one over 64 KiB with 413", async () => {
      const ok = await send(
        "/api/auth/forgot-password",
        { "content-type": "application/json" },
        chunksOf(JSON.stringify({ email: uniqueEmail() })),
      );
      expect(ok.status).toBe(202);
      expectApiError(
        await send(
          "/api/auth/forgot-password",
          { "content-type": "application/json" },
          chunksOf(jsonOfSize(64 * KiB + 1)),
        ),
        413,
        "payload_too_large",
      );
      expectApiError(
        await send("/api/auth/forgot-password", { "content-type": "application/json" }, jsonOfSize(200 * KiB)),
        413,
        "payload_too_large",
      );
    });

    it("refuses chunked text/plain with 415 and malformed chunked JSON with 400", async () => {
      expectApiError(
        await send(
          "/api/auth/sign-in",
          { "content-type": "text/plain" },
          chunksOf('{"email":"a@example.com","password":"x"}'),
        ),
        415,
        "unsupported_media_type",
      );
      expectApiError(
        await send("/api/auth/sign-in", { "content-type": "application/json" }, ['{"email":', '"a@exa']),
        400,
        "invalid_json",
      );
    });

    it("refuses a chunked avatar over 10 MiB with 413 and takes the client IP from the socket", async () => {
      const user = await signedUpUser(ctx);
      const headers = { "content-type": "image/png", cookie: `twofold_session=${user.client.cookie}` };
      const png = "\x89PNG\r\n\x1a\n";
      const big = Array.from({ length: AVATAR_MAX_BYTES / 4096 + 1 }, (_, i) =>
        i === 0 ? png + "x".repeat(4096 - png.length) : "x".repeat(4096),
      );
      const res = await new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port,
            method: "PUT",
            path: "/api/account/avatar",
            headers: { origin: APP_URL, ...headers },
          },
          (r) => {
            let text = "";
            r.on("data", (c) => (text += c));
            r.on("end", () =>
              resolve({ status: r.statusCode!, headers: new Headers(r.headers as Record<string, string>), text }),
            );
          },
        );
        req.on("error", reject);
        for (const chunk of big) req.write(Buffer.from(chunk, "latin1"));
        req.end();
      });
      expectApiError(res, 413, "payload_too_large");
      const sessions = await user.client.get("/api/account/sessions");
      expect(sessions.body.sessions[0].ip).toBe(user.client.ip);
    });
  });
});
