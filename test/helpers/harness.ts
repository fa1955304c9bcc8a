import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import pino from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe } from "vitest";
import type { DatabaseHandle } from "../../src/db/client";
import { outboxSealer } from "../../src/db/outbox";
import { outboxMessages } from "../../src/db/schema";
import { listDevOutbox } from "../../src/delivery/dev-outbox";
import { challengeCookieName, knownDeviceCookieName, sessionCookieName } from "../../src/http/cookies";
import { createTwofoldServer, type TwofoldServer } from "../../src/server";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";
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
 * Extra environment for the server: fixed, or computed in the server's beforeAll (once per database), e.g. to
 * start a fake Twilio before the server that must know its URL.
 */
export type ServerEnv =
  | Partial<NodeJS.ProcessEnv>
  | ((
      kind: TestDatabase["kind"],
      onClose: (cleanup: () => unknown) => void,
    ) => Partial<NodeJS.ProcessEnv> | Promise<Partial<NodeJS.ProcessEnv>>);

/**
 * One server per file, on the file's database (in-memory PGlite; files listed in vitest.config.ts run again on
 * a fresh PostgreSQL database). Tests isolate themselves with unique emails (`uniqueEmail()`) and IPs (each
 * client gets one). Passwords are hashed at the test cost (PASSWORD_HASH_COST=test, refused outside
 * NODE_ENV=test); a file that measures the cost of a hash sets `PASSWORD_HASH_COST: "standard"` in its env.
 */
export function forEachServer(
  title: string,
  body: (ctx: ServerContext) => void,
  options: { env?: ServerEnv; only?: TestDatabase["kind"] } = {},
): void {
  for (const database of databases.filter((d) => !options.only || d.kind === options.only)) {
    describe(`${title} [${database.kind}]`, () => {
      let server: TwofoldServer | undefined;
      let handle: DatabaseHandle | undefined;
      const cleanups: Array<() => unknown> = [];
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
        const env =
          typeof options.env === "function"
            ? await options.env(database.kind, (cleanup) => cleanups.push(cleanup))
            : options.env;
        handle = await database.open();
        const serverEnv: Partial<NodeJS.ProcessEnv> = {
          APP_URL,
          SECRET: TEST_SECRET,
          DATA_DIR: mkdtempSync(path.join(tmpdir(), "twofold-test-")),
          NODE_ENV: "test",
          AFTER_RESPONSE_JITTER_MS: "0",
          ...env,
        };
        // The cheap hash is refused outside NODE_ENV=test: files that run the server as production or development keep
        // the standard cost.
        if (serverEnv.NODE_ENV === "test") serverEnv.PASSWORD_HASH_COST ??= "test";
        server = await createTwofoldServer({
          env: serverEnv as NodeJS.ProcessEnv,
          database: handle,
          logger: log.logger,
          now: clock.now,
          pollIntervalMs: 3_600_000,
        });
        // Opening and migrating a database takes seconds under a loaded machine (parallel files): more than the 10 s
        // default.
      }, 60_000);
      afterAll(async () => {
        await server?.close();
        await handle?.close();
        for (const cleanup of cleanups) await cleanup();
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
  /** The sign-in challenge cookie (`challengeId.binding`), kept and sent back like the session cookie. */
  challengeCookie: string | undefined;
  /** The known-device cookie set at sign-in (it exempts this browser from the account's sign-in throttle). */
  deviceCookie: string | undefined;
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

  async request<T = any>(
    method: string,
    url: string,
    init: { json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
  ): Promise<TestResponse<T>> {
    const headers: Record<string, string> = {
      "user-agent":
        this.options.userAgent ??
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    };
    if (method !== "GET" && this.options.origin !== null)
      headers.origin = this.options.origin ?? this.server.config.appUrl;
    const cookies = [
      this.cookie && `${this.cookieName}=${this.cookie}`,
      this.challengeCookie && `${challengeCookieName(this.server.config)}=${this.challengeCookie}`,
      this.deviceCookie && `${knownDeviceCookieName(this.server.config)}=${this.deviceCookie}`,
    ];
    if (cookies.some(Boolean)) headers.cookie = cookies.filter(Boolean).join("; ");
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    Object.assign(headers, init.headers);
    const response = await this.server.app.request(
      `http://localhost:3000${url}`,
      { method, headers, body },
      { remoteAddress: this.ip },
    );
    this.absorbCookies(response.headers);
    const text = await response.text();
    let parsed: unknown;
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
      const expired = /Max-Age=0/i.test(line) || value === "";
      if (name === this.cookieName) this.cookie = expired ? undefined : value;
      else if (name === challengeCookieName(this.server.config)) this.challengeCookie = expired ? undefined : value;
      else if (name === knownDeviceCookieName(this.server.config)) this.deviceCookie = expired ? undefined : value;
    }
  }

  get = <T = any>(url: string, headers?: Record<string, string>) => this.request<T>("GET", url, { headers });
  post = <T = any>(url: string, json?: unknown, headers?: Record<string, string>) =>
    this.request<T>("POST", url, { json, headers });
  patch = <T = any>(url: string, json?: unknown) => this.request<T>("PATCH", url, { json });
  delete = <T = any>(url: string, json?: unknown) => this.request<T>("DELETE", url, { json });
}

/**
 * Every queued message, rendered as the dev outbox renders it, whichever channel has a real provider: read from
 * the outbox table, not GET /api/dev/outbox, which lists dev channels only (test/integration/dev-outbox-exposure).
 * Files that send through SMTP or a fake Twilio still read links and codes here.
 */
async function queuedMessages(server: TwofoldServer) {
  await server.settle();
  return listDevOutbox(server.database.db, outboxSealer(server.config.secret), {
    ...server.config,
    devOutbox: { email: true, sms: true },
  });
}

/** The newest queued email to `to` (optionally of one subject pattern), with the link inside it. */
export async function lastEmail(server: TwofoldServer, to: string, subject?: RegExp) {
  const messages = await queuedMessages(server);
  const message = messages.find((m) => m.to === to && (!subject || subject.test(m.subject ?? "")));
  if (!message) return null;
  const link = message.body.match(/https?:\/\/\S+#token=([A-Za-z0-9_.-]+)/);
  return { ...message, link: link?.[0] ?? null, token: link?.[1] ?? null };
}

export const STRONG_PASSWORD = "correct horse battery staple";

/** Signs up and verifies through the emailed link; returns a signed-in client. */
export async function signedUpUser(
  ctx: ServerContext,
  options: { email?: string; password?: string; name?: string; client?: ClientOptions } = {},
) {
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

/** The newest queued SMS to `to` (E.164), with the 6-digit code in it, if any. */
export async function lastSms(server: TwofoldServer, to: string) {
  const messages = await queuedMessages(server);
  const message = messages.find((m) => m.channel === "sms" && m.to === to);
  if (!message) return null;
  return { ...message, code: message.body.match(/\b(\d{6})\b/)?.[1] ?? null };
}

let phoneCounter = 0;
const phoneBase = 1000 + Math.floor(Math.random() * 4000);
/** A valid US number (FIXED_LINE_OR_MOBILE), different on every call within a file. */
export function uniquePhone(): string {
  return `+1415555${String((phoneBase + phoneCounter++) % 10_000).padStart(4, "0")}`;
}

/**
 * How a test reads the code sent to a phone: the dev outbox by default; a fake Twilio's messages or Verify otherwise.
 */
export type CodeReader = (phone: string) => string | null | undefined | Promise<string | null | undefined>;

export const devOutboxCode =
  (server: TwofoldServer): CodeReader =>
  async (phone) =>
    (await lastSms(server, phone))?.code;

/** Adds and verifies a phone through the API (the signed-in client re-authenticates with its password). */
export async function verifiedPhone(
  ctx: ServerContext,
  client: TestClient,
  password: string,
  options: { phone?: string; readCode?: CodeReader } = {},
) {
  const phone = options.phone ?? uniquePhone();
  const started = await client.post("/api/account/phone", { phoneNumber: phone, currentPassword: password });
  if (started.status !== 202) throw new Error(`phone add failed: ${started.status} ${started.text}`);
  const readCode = options.readCode ?? devOutboxCode(ctx.server);
  let code = await readCode(phone);
  if (!code) {
    // A worker run that claimed the text before this request could deliver it sends it moments later (seen
    // once under load; reported so that it stays visible).
    await ctx.server.worker.drain();
    console.warn(`verifiedPhone: the code for ${phone.slice(0, -4)}•••• was read only after a worker drain`);
    code = await readCode(phone);
  }
  if (!code) {
    const rows = await ctx.server.database.db.select().from(outboxMessages).where(eq(outboxMessages.recipient, phone));
    throw new Error(
      `no code sent to ${phone}: ${JSON.stringify(rows.map((r) => ({ status: r.status, attempts: r.attempts, lastError: r.lastError })))}`,
    );
  }
  const verified = await client.post("/api/account/phone/verify", {
    verificationId: started.body.verificationId,
    code,
  });
  if (verified.status !== 200) throw new Error(`phone verify failed: ${verified.status} ${verified.text}`);
  return phone;
}

/** A signed-up user with a verified phone and SMS two-factor on, all through the API; the client stays signed in. */
export async function twoFactorUser(
  ctx: ServerContext,
  options: { phone?: string; readCode?: CodeReader; client?: ClientOptions } = {},
) {
  const user = await signedUpUser(ctx, { client: options.client });
  const phone = await verifiedPhone(ctx, user.client, user.password, options);
  const enabled = await user.client.post("/api/account/two-factor/sms", {
    enabled: true,
    currentPassword: user.password,
  });
  if (enabled.status !== 200 || enabled.body.user.twoFactor.sms !== true)
    throw new Error(`2FA enable failed: ${enabled.status} ${enabled.text}`);
  return { ...user, phone };
}

/** The env of a server sending through a fake Twilio (Messaging, or Verify with provider "twilio-verify"). */
export function fakeTwilioEnv(
  fake: FakeTwilio,
  provider: "twilio" | "twilio-verify" = "twilio",
): Partial<NodeJS.ProcessEnv> {
  return {
    SMS_PROVIDER: provider,
    TWILIO_API_BASE: fake.url,
    TWILIO_VERIFY_API_BASE: fake.url,
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_FROM: "+15005550006",
    ...(provider === "twilio-verify" ? { TWILIO_VERIFY_SERVICE_SID: fake.verifyServiceSid } : {}),
  };
}

/**
 * One fake Twilio per server (per database), started before it: pass `env` to forEachServer, call `of(ctx)`
 * inside the body. The fake is closed after the server.
 *
 *   const twilio = fakeTwilioPerServer({ SMS_ALLOWED_COUNTRIES: "US" });
 *   forEachServer("…", (ctx) => { it("…", () => twilio.of(ctx).requests …) }, { env: twilio.env });
 */
export function fakeTwilioPerServer(
  extraEnv: Partial<NodeJS.ProcessEnv> = {},
  provider: "twilio" | "twilio-verify" = "twilio",
) {
  const fakes = new Map<string, FakeTwilio>();
  return {
    env: async (kind: TestDatabase["kind"], onClose: (cleanup: () => unknown) => void) => {
      const fake = await startFakeTwilio();
      fakes.set(kind, fake);
      onClose(() => fake.close());
      return { ...fakeTwilioEnv(fake, provider), ...extraEnv };
    },
    of(ctx: Pick<ServerContext, "kind">): FakeTwilio {
      const fake = fakes.get(ctx.kind);
      if (!fake) throw new Error("fake Twilio not started");
      return fake;
    },
  };
}

/** Reads the code from the last text the fake Twilio accepted for `phone` (SMS_PROVIDER=twilio). */
export const fakeTwilioCode =
  (fake: FakeTwilio): CodeReader =>
  (phone) =>
    fake.messages
      .filter((m) => m.to === phone)
      .at(-1)
      ?.body.match(/\b(\d{6})\b/)?.[1];
