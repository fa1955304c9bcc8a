import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterEach, expect } from "vitest";
import type { FakeSmtpServer } from "../fakes/smtp";
import type { FakeTwilio } from "../fakes/twilio";
import { randomIp, STRONG_PASSWORD, TEST_SECRET, uniqueEmail } from "../helpers/harness";

export { uniquePhone } from "../helpers/harness";
import { closedPort } from "../helpers/network";
import { postgresUrlOf, withAdminClient, withClient } from "../helpers/postgres-admin";

/**
 * Fault tests run the real server as a child process (`npm run api`: Hono on @hono/node-server) against a real
 * PostgreSQL, the fake SMTP server and the fake Twilio, and then break things under it: close ports, restart
 * PostgreSQL, kill the process. Everything here talks to it over the network, as a client would.
 */

// ---------------------------------------------------------------------------------------------------------------
// Waiting

/** Polls `probe` until it returns something truthy; generous deadlines, because the machine may be loaded. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, false | null | undefined | 0 | "">> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Exclude<T, false | null | undefined | 0 | "">;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ""}`,
      );
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The database: fresh per file, dropped afterwards; inspected with short-lived connections (they may break).

export interface FaultDatabase {
  url: string;
  query<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createFaultDatabase(): Promise<FaultDatabase> {
  const name = `twofold_fault_${randomBytes(6).toString("hex")}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = postgresUrlOf(name);
  return {
    url,
    query: (text, values) => withClient(url, async (client) => (await client.query(text, values)).rows),
    drop: () =>
      withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

const run = promisify(execFile);

/**
 * The real `pg_ctlcluster <version> main restart` (fast mode: open connections are cut). PostgreSQL is left running.
 */
export async function restartPostgres(): Promise<void> {
  const [version] = readdirSync("/etc/postgresql");
  const pgctl = (action: string) =>
    run("pg_ctlcluster", ["--skip-systemctl-redirect", version!, "main", action], { timeout: 120_000 });
  try {
    await pgctl("restart");
  } catch (error) {
    // Never leave the shared PostgreSQL down: other test runs on this machine depend on it.
    await pgctl("start").catch(() => {});
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The server process

export interface LogLine {
  level?: number;
  msg?: string;
  raw: string;
  [field: string]: unknown;
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Every line the process printed (pino JSON, parsed when possible), stdout and stderr. */
  logs: LogLine[];
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServerOptions {
  database: FaultDatabase;
  port?: number;
  env?: Record<string, string | undefined>;
}

/** `npm run api` on a free port, configured for the test's dependencies; resolves once /api/health answers 200. */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const port = options.port ?? (await closedPort());
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "twofold-fault-"));
  // A clean environment: nothing from the developer's shell (DATABASE_URL, SMTP_URL, NODE_ENV=test from vitest).
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    DATABASE_URL: options.database.url,
    PORT: String(port),
    APP_URL: `http://localhost:${port}`,
    SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    // Every test request carries its own X-Forwarded-For address, so per-IP limits do not get in the way.
    TRUST_PROXY: "1",
    SMS_GLOBAL_HOURLY_LIMIT: "100000",
    LOG_LEVEL: "info",
  };
  for (const [name, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[name] = value;
  // `node --import tsx`, not the tsx CLI: the CLI runs the server in a second process, which a SIGKILL to the
  // first would leave running.
  const child = spawn(process.execPath, ["--import", "tsx", "src/http/serve.ts"], {
    cwd: path.resolve(import.meta.dirname, "../.."),
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (raw) => {
      let parsed: LogLine = { raw };
      try {
        const value: unknown = JSON.parse(raw);
        if (value && typeof value === "object") parsed = { ...(value as object), raw };
      } catch {}
      logs.push(parsed);
    });
  }
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      rmSync(dataDir, { recursive: true, force: true });
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const server: ServerProcess = {
    url,
    port,
    child,
    logs,
    exited,
    running: () => !exitInfo,
    async stop(graceMs = 30_000) {
      if (exitInfo) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  let state: string;
  try {
    state = await waitFor(
      "the server to answer /api/health",
      async () => (exitInfo ? "exited" : (await call(server, "GET", "/api/health")).status === 200 && "ready"),
      {
        timeoutMs: 90_000,
        intervalMs: 200,
      },
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  if (state === "exited")
    throw new Error(
      `the server exited at start-up (${JSON.stringify(exitInfo)}):\n${logs.map((l) => l.raw).join("\n")}`,
    );
  return server;
}

/** When a test fails, the last lines the servers printed (a crash explains itself there). */
export function printLogsOnFailure(servers: () => Array<ServerProcess | undefined>, lines = 40): void {
  afterEach((context) => {
    if (context.task.result?.state !== "fail") return;
    for (const server of servers()) {
      if (server)
        console.error(
          `--- server on port ${server.port} (running: ${server.running()}), last ${lines} lines:\n${server.logs
            .slice(-lines)
            .map((l) => l.raw)
            .join("\n")}`,
        );
    }
  });
}

/** Log lines at pino level `error` (50) or above. */
export const errorLogs = (server: ServerProcess) => server.logs.filter((line) => (line.level ?? 0) >= 50);

// ---------------------------------------------------------------------------------------------------------------
// HTTP, as an API client: bearer tokens, no Origin, a fresh X-Forwarded-For address per request

export interface Reply {
  /** 0 when no HTTP answer came (connection refused or reset). */
  status: number;
  body: any;
  text: string;
  ms: number;
  error?: string;
}

export async function call(
  server: Pick<ServerProcess, "url">,
  method: string,
  path: string,
  options: { json?: unknown; token?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { "x-forwarded-for": randomIp() };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers["content-type"] = "application/json";
  const started = performance.now();
  try {
    const response = await fetch(server.url + path, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
      signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, body, text, ms: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: 0,
      body: undefined,
      text: "",
      ms: performance.now() - started,
      error: cause?.code ?? cause?.message ?? String(error),
    };
  }
}

/**
 * What no answer may ever be: a 5xx other than the documented 503s, or anything that looks like a stack trace.
 * `allowUnavailable` admits 503 `service_unavailable` (database down) in the API's error shape.
 */
export function expectNoServerErrors(replies: Reply[], options: { allowUnavailable?: boolean } = {}): void {
  for (const reply of replies) {
    expect(reply.text, "a stack trace in a response").not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
    if (reply.status < 500) continue;
    expect({ status: reply.status, body: reply.body }).toEqual({
      status: 503,
      body: { error: { code: "service_unavailable", message: expect.any(String) } },
    });
    expect(options.allowUnavailable, `unexpected 503: ${reply.text}`).toBe(true);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Flows through the API

export interface ApiUser {
  email: string;
  password: string;
  token: string;
  phone?: string;
}

/** The link token in the newest mail to `email` whose subject matches. */
export function linkTokenFor(smtp: FakeSmtpServer, email: string, subject = /confirm|verify/i): string | undefined {
  const mail = smtp.received.filter((m) => m.envelopeTo.includes(email) && subject.test(m.subject)).at(-1);
  return mail?.text.match(/#token=([A-Za-z0-9_.-]+)/)?.[1];
}

/** Signs up, follows the emailed link (which signs in) and keeps the bearer token. */
export async function verifiedUser(server: ServerProcess, smtp: FakeSmtpServer): Promise<ApiUser> {
  const email = uniqueEmail("fault");
  const signUp = await call(server, "POST", "/api/auth/sign-up", {
    json: { email, password: STRONG_PASSWORD, name: "Grace Hopper" },
  });
  if (signUp.status !== 202) throw new Error(`sign-up: ${signUp.status} ${signUp.text}`);
  const token = await waitFor(`the verification mail to ${email}`, () => linkTokenFor(smtp, email));
  const verified = await call(server, "POST", "/api/auth/verify-email", { json: { token } });
  if (verified.status !== 200 || !verified.body.token)
    throw new Error(`verify-email: ${verified.status} ${verified.text}`);
  return { email, password: STRONG_PASSWORD, token: verified.body.token };
}

/** The 6-digit code in the newest text the fake Twilio accepted for `phone`. */
export const smsCode = (twilio: FakeTwilio, phone: string) =>
  twilio.messages
    .filter((m) => m.to === phone)
    .at(-1)
    ?.body.match(/\b(\d{6})\b/)?.[1];

/** A verified user with a verified phone and SMS two-factor on; Twilio must be answering. */
export async function twoFactorUser(
  server: ServerProcess,
  smtp: FakeSmtpServer,
  twilio: FakeTwilio,
  phone: string,
): Promise<ApiUser> {
  const user = await verifiedUser(server, smtp);
  const started = await call(server, "POST", "/api/account/phone", {
    token: user.token,
    json: { phoneNumber: phone, currentPassword: user.password },
  });
  if (started.status !== 202) throw new Error(`phone: ${started.status} ${started.text}`);
  const code = await waitFor(`the code texted to ${phone}`, () => smsCode(twilio, phone));
  const verified = await call(server, "POST", "/api/account/phone/verify", {
    token: user.token,
    json: { verificationId: started.body.verificationId, code },
  });
  if (verified.status !== 200) throw new Error(`phone verify: ${verified.status} ${verified.text}`);
  const enabled = await call(server, "POST", "/api/account/two-factor/sms", {
    token: user.token,
    json: { enabled: true, currentPassword: user.password },
  });
  if (enabled.status !== 200) throw new Error(`2FA on: ${enabled.status} ${enabled.text}`);
  return { ...user, phone };
}

// ---------------------------------------------------------------------------------------------------------------
// What the database and the fakes say

export interface OutboxRow {
  id: string;
  channel: "email" | "sms";
  template: string;
  recipient: string;
  status: "pending" | "sent" | "failed";
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
}

export const outboxRows = (db: FaultDatabase) =>
  db.query<OutboxRow>(
    "select id, channel, template, recipient, status, attempts, last_error, provider_message_id from outbox_messages order by created_at",
  );

/**
 * As if every retry delay had run out: a test cannot wait the real backoff (5 s, 30 s, 2 min …; the schedule
 * itself is covered by test/integration/delivery.test.ts). Only rows waiting after a failure are touched, never
 * a claim in progress.
 */
export const skipRetryDelays = (db: FaultDatabase) =>
  db.query(
    "update outbox_messages set next_attempt_at = now() where status = 'pending' and last_error is not null and next_attempt_at > now()",
  );

/** Waits until no outbox row is pending (none failed), and returns them all; on timeout, says which are left. */
export async function allSent(db: FaultDatabase, timeoutMs = 60_000): Promise<OutboxRow[]> {
  let rows: OutboxRow[] = [];
  try {
    return await waitFor(
      "every outbox message sent",
      async () => {
        rows = await outboxRows(db);
        return rows.every((row) => row.status === "sent") && rows;
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    const left = rows
      .filter((row) => row.status !== "sent")
      .map((row) => `${row.id} ${row.template} ${row.status} attempts=${row.attempts} ${row.last_error ?? ""}`);
    throw new Error(`${(error as Error).message}; not sent: ${left.join("; ")}`);
  }
}

/** Mails received per outbox id (the worker makes each mail's Message-ID from it). */
export function mailsPerOutboxId(smtp: FakeSmtpServer): Map<string, number> {
  const counts = new Map<string, number>();
  for (const mail of smtp.received) {
    const id = mail.messageId?.match(/^<([^@>]+)@/)?.[1] ?? `(no outbox id: ${mail.messageId})`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every sent email row arrived exactly once, and nothing else arrived. `mayRepeat` lists rows allowed to arrive
 * twice (a send the provider may have taken while the process that made it died before recording it).
 */
export function expectEmailsDeliveredOnce(
  rows: OutboxRow[],
  smtp: FakeSmtpServer,
  mayRepeat: Set<string> = new Set(),
): void {
  const emails = rows.filter((row) => row.channel === "email");
  expect(emails.filter((row) => row.status !== "sent")).toEqual([]);
  const counts = mailsPerOutboxId(smtp);
  expect([...counts.keys()].sort()).toEqual(emails.map((row) => row.id).sort());
  for (const row of emails)
    expect({ id: row.id, times: counts.get(row.id) }).toEqual({
      id: row.id,
      times: mayRepeat.has(row.id) ? expect.any(Number) : 1,
    });
  for (const id of mayRepeat) expect(counts.get(id) ?? 0).toBeLessThanOrEqual(2);
}

/**
 * Every sent SMS row matches a text the fake Twilio accepted (by the sid we recorded), and that text, known by its
 * number and body (a code text carries a fresh code), arrived once (at most twice for `mayRepeat` rows); no text
 * arrived that no row accounts for.
 */
export function expectSmsDeliveredOnce(
  rows: OutboxRow[],
  twilio: FakeTwilio,
  mayRepeat: Set<string> = new Set(),
): void {
  const texts = rows.filter((row) => row.channel === "sms");
  expect(texts.filter((row) => row.status !== "sent")).toEqual([]);
  const keyOf = (m: { to: string; body: string }) => `${m.to} ${m.body}`;
  const copies = new Map<string, number>();
  for (const m of twilio.messages) copies.set(keyOf(m), (copies.get(keyOf(m)) ?? 0) + 1);
  let accounted = 0;
  for (const row of texts) {
    const text = twilio.messages.find((m) => m.sid === row.provider_message_id);
    expect(text, `no text with the sid recorded for ${row.id}`).toBeDefined();
    const count = copies.get(keyOf(text!))!;
    if (mayRepeat.has(row.id)) expect(count).toBeLessThanOrEqual(2);
    else expect({ id: row.id, copies: count }).toEqual({ id: row.id, copies: 1 });
    accounted += count;
  }
  expect(twilio.messages.length, "texts that no outbox row accounts for").toBe(accounted);
}

/**
 * No half-created account: every user has the password credential, the sign-up event and (until verified) the
 * verification link and its email, all written by one transaction; every code a challenge recorded as sent has
 * its text queued (same transaction). Returns the problems found, empty when consistent.
 */
export async function accountProblems(db: FaultDatabase): Promise<string[]> {
  const problems = await db.query<{ problem: string }>(`
    select 'no password credential: ' || u.email as problem from users u
      where not exists (select 1 from password_credentials p where p.user_id = u.id)
    union all
    select 'no sign_up event: ' || u.email from users u
      where not exists (select 1 from security_events e where e.user_id = u.id and e.type = 'sign_up')
    union all
    select 'unverified without a link: ' || u.email from users u
      where u.email_verified_at is null and not exists (select 1 from one_time_tokens t where t.user_id = u.id and t.purpose = 'verify_email')
    union all
    select 'unverified without a verification email: ' || u.email from users u
      where u.email_verified_at is null and not exists (select 1 from outbox_messages m where m.recipient = u.email and m.template = 'verify_email')
    union all
    select 'codes sent ' || c.sends || ', texts queued ' || coalesce(q.n, 0) || ': ' || c.phone_number
      from (select phone_number, sum(sends) as sends from challenges group by phone_number) c
      left join (select recipient, count(*) as n from outbox_messages where template like '%_code' group by recipient) q on q.recipient = c.phone_number
      where c.sends <> coalesce(q.n, 0)`);
  return problems.map((row) => row.problem);
}

// ---------------------------------------------------------------------------------------------------------------
// A port that can refuse connections: a TCP relay in front of a fake, closed and reopened on the same port

export interface Gate {
  port: number;
  /** Listen again on the same port and relay to the target. */
  open(): Promise<void>;
  /** Stop listening and cut every relayed connection: new connections are refused. */
  shut(): Promise<void>;
}

export async function startGate(targetPort: number, options: { open: boolean }): Promise<Gate> {
  const port = await closedPort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const gate: Gate = {
    port,
    async open() {
      if (server) return;
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, "127.0.0.1");
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("error", () => {});
          socket.on("close", () => {
            sockets.delete(socket);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve, reject) => {
        server!.once("error", reject);
        server!.listen(port, "127.0.0.1", resolve);
      });
    },
    async shut() {
      const closing = server;
      server = null;
      for (const socket of sockets) socket.destroy();
      if (closing) await new Promise((resolve) => closing.close(resolve));
    },
  };
  if (options.open) await gate.open();
  return gate;
}
