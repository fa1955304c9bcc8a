import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe } from "vitest";
import type { DatabaseHandle } from "../../src/db/client";
import { sessionCookieName } from "../../src/http/cookies";
import { createTwofoldServer, type TwofoldServer } from "../../src/server";
import { databases, type TestDatabase } from "./databases";

export const APP_URL = "http://localhost:3000";
export const TEST_SECRET = "test-secret-test-secret-test-secret-0123456789";

/** A clock tests can move forward (token expiry, session timeouts); starts at real time. */
export function testClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(seconds: number) {
      offsetMs += seconds * 1000;
    },
    reset() {
      offsetMs = 0;
    },
  };
}

/** Captures every log line as text, to prove that no token, code or password is ever logged. */
export function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines, text: () => lines.join("") };
}

export interface ServerContext {
  kind: DatabaseHandle["kind"];
  readonly server: TwofoldServer;
  clock: ReturnType<typeof testClock>;
  log: ReturnType<typeof capturedLogger>;
  /** A fresh browser-like client with its own IP and cookie jar. */
  client(options?: ClientOptions): TestClient;
}

/**
 * One server per database per file: integration tests run against in-memory PGlite and a fresh PostgreSQL
 * database. Tests isolate themselves with unique emails (`uniqueEmail()`) and IPs (each client gets one).
 */
export function forEachServer(title: string, body: (ctx: ServerContext) => void, options: { env?: Partial<NodeJS.ProcessEnv>; only?: TestDatabase["kind"] } = {}): void {
  for (const database of databases.filter((d) => !options.only || d.kind === options.only)) {
    describe(`${title} [${database.kind}]`, () => {
      let server: TwofoldServer | undefined;
      let handle: DatabaseHandle | undefined;
      const clock = testClock();
      const log = capturedLogger();
      const ctx: ServerContext = {
        kind: database.kind,
        get server() {
          if (!server) throw new Error("server not started");
          return server;
        },
        clock,
        log,
        client: (clientOptions) => new TestClient(ctx.server, clientOptions),
      };
      beforeAll(async () => {
        handle = await database.open();
        server = await createTwofoldServer({
          env: { APP_URL, SECRET: TEST_SECRET, DATA_DIR: mkdtempSync(path.join(tmpdir(), "twofold-test-")), NODE_ENV: "test", ...options.env },
          database: handle,
          logger: log.logger,
          now: clock.now,
          pollIntervalMs: 3_600_000,
        });
        // Opening and migrating a database takes seconds under a loaded machine (parallel files): more than the 10 s default.
      }, 60_000);
      afterAll(async () => {
        await server?.close();
        await handle?.close();
      });
      body(ctx);
    });
  }
}

let counter = 0;
export function uniqueEmail(label = "user"): string {
  return `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${randomBytes(3).toString("hex")}@example.com`;
}

export function randomIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]! || 1}`;
}

export interface ClientOptions {
  ip?: string;
  userAgent?: string;
  /** Origin sent on writes (default: the server's APP_URL, as a browser on our pages would); null for none. */
  origin?: string | null;
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Drives the app in-process through app.request(), like a browser: cookie jar, Origin, JSON. */
export class TestClient {
  readonly ip: string;
  cookie: string | undefined;
  bearer: string | undefined;
  constructor(
    private readonly server: TwofoldServer,
    private readonly options: ClientOptions = {},
  ) {
    this.ip = options.ip ?? randomIp();
  }

  /** `__Host-twofold_session` when the server's APP_URL is https. */
  get cookieName() {
    return sessionCookieName(this.server.config);
  }

  async request<T = any>(method: string, url: string, init: { json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {}): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { "user-agent": this.options.userAgent ?? "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36" };
    if (method !== "GET" && this.options.origin !== null) headers.origin = this.options.origin ?? this.server.config.appUrl;
    if (this.cookie) headers.cookie = `${this.cookieName}=${this.cookie}`;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    Object.assign(headers, init.headers);
    const response = await this.server.app.request(`http://localhost:3000${url}`, { method, headers, body }, { remoteAddress: this.ip });
    this.absorbCookies(response.headers);
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  private absorbCookies(headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = pair!.split("=");
      if (name !== this.cookieName) continue;
      const expired = /Max-Age=0/i.test(line) || value === "";
      this.cookie = expired ? undefined : value;
    }
  }

  get = <T = any>(url: string, headers?: Record<string, string>) => this.request<T>("GET", url, { headers });
  post = <T = any>(url: string, json?: unknown, headers?: Record<string, string>) => this.request<T>("POST", url, { json, headers });
  patch = <T = any>(url: string, json?: unknown) => this.request<T>("PATCH", url, { json });
  delete = <T = any>(url: string, json?: unknown) => this.request<T>("DELETE", url, { json });
}

/** The newest dev-outbox email to `to` (optionally of one subject pattern), with the link inside it. */
export async function lastEmail(server: TwofoldServer, to: string, subject?: RegExp) {
  const response = await server.app.request("http://localhost:3000/api/dev/outbox");
  const { messages } = (await response.json()) as { messages: Array<{ to: string; subject: string | null; body: string; html: string | null }> };
  const message = messages.find((m) => m.to === to && (!subject || subject.test(m.subject ?? "")));
  if (!message) return null;
  const link = message.body.match(/https?:\/\/\S+#token=([A-Za-z0-9_.-]+)/);
  return { ...message, link: link?.[0] ?? null, token: link?.[1] ?? null };
}

export const STRONG_PASSWORD = "correct horse battery staple";

/** Signs up and verifies through the emailed link; returns a signed-in client. */
export async function signedUpUser(ctx: ServerContext, options: { email?: string; password?: string; name?: string; client?: ClientOptions } = {}) {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? STRONG_PASSWORD;
  const name = options.name ?? "Ada Lovelace";
  const client = ctx.client(options.client);
  const signUp = await client.post("/api/auth/sign-up", { email, password, name });
  if (signUp.status !== 202) throw new Error(`sign-up failed: ${signUp.status} ${signUp.text}`);
  const mail = await lastEmail(ctx.server, email, /confirm/i);
  if (!mail?.token) throw new Error("no verification email");
  const verify = await client.post("/api/auth/verify-email", { token: mail.token });
  if (verify.status !== 200) throw new Error(`verify failed: ${verify.status} ${verify.text}`);
  return { client, email, password, name, user: verify.body.user as { id: string; email: string } };
}
