import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakePwnedPasswords, startFakePwnedPasswords } from "../fakes/pwned-passwords";
import { startFakeSmtpServer } from "../fakes/smtp";
import {
  fakeTwilioCode,
  fakeTwilioPerServer,
  forEachServer,
  lastEmail,
  STRONG_PASSWORD,
  TEST_SECRET,
  type TestResponse,
  twoFactorUser,
  uniqueEmail,
} from "../helpers/harness";
import { closedPort } from "../helpers/network";

/**
 * HTTP-level hardening that no single feature owns: what probes for files and odd methods get, how a request
 * with ambiguous framing is treated, what the request log records and how it is written, and which hosts the
 * server ever connects to. The first part drives the app in-process on both databases; the second runs the real
 * `npm run api` process (src/http/serve.ts: Node's HTTP parser, the production logger on stdout).
 */

const expectNotFound = (response: TestResponse, what: string) => {
  expect(response.status, what).toBe(404);
  expect(response.headers.get("content-type"), what).toMatch(/^application\/json/);
  expect(response.body, what).toEqual({ error: { code: "not_found", message: "No such endpoint." } });
};

const requestLines = (lines: string[]) =>
  lines
    .map((line) => JSON.parse(line) as { msg: string; method?: string; path?: string; status?: number })
    .filter((entry) => entry.msg === "request");

forEachServer("HTTP hardening", (ctx) => {
  it("answers probes for dotfiles, source, dependencies and directories with the JSON 404, never a file or a listing", async () => {
    const probes = [
      "/api/.env",
      "/api/.env.local",
      "/api/.git/config",
      "/api/.git/HEAD",
      "/api/src/",
      "/api/src/config.ts",
      "/api/node_modules/",
      "/api/public/",
      "/api/data/",
      "/api/docs/",
      "/api/docs/..%2f..%2f.env",
      "/api/%2e%2e/%2e%2e/package.json",
      "/api/users/",
      "/api/.well-known/",
      "/.git/config",
      "/.env",
    ];
    for (const probe of probes) {
      const response = await ctx.client().get(probe);
      expectNotFound(response, probe);
      expect(response.text, probe).not.toMatch(/\[core\]|SECRET|DATABASE_URL|Index of|<a href|import |"dependencies"/);
    }
  });

  it("answers methods it does not route with the JSON 404, echoing nothing of the request", async () => {
    for (const method of ["PROPFIND", "MKCOL", "OPTIONS", "PURGE", "DEBUG"]) {
      const response = await ctx.client().request(method, "/api/health", { headers: { "x-probe": "echo-me-not" } });
      expectNotFound(response, method);
      expect(response.text).not.toContain("echo-me-not");
      expect([...response.headers.values()].join(" ")).not.toContain("echo-me-not");
    }
  });

  it("logs refused requests (400, 401, 403, 404, 429) with method, path and status, like every other request", async () => {
    const from = ctx.log.lines.length;
    const anonymous = ctx.client();
    expect((await anonymous.get("/api/account/sessions")).status).toBe(401);
    expect(
      (
        await ctx
          .client({ origin: "https://evil.example" })
          .post("/api/auth/sign-in", { email: uniqueEmail(), password: "x" })
      ).status,
    ).toBe(403);
    expect((await anonymous.get("/api/.git/config")).status).toBe(404);
    expect((await anonymous.post("/api/auth/sign-in", { email: "not an address" })).status).toBe(400);
    const busy = ctx.client();
    let limited: TestResponse | undefined;
    for (let i = 0; i < 15 && limited?.status !== 429; i++)
      limited = await busy.post("/api/auth/forgot-password", { email: uniqueEmail() });
    expect(limited!.status).toBe(429);

    const logged = requestLines(ctx.log.lines.slice(from)).map(({ method, path, status }) => ({
      method,
      path,
      status,
    }));
    expect(logged).toEqual(
      expect.arrayContaining([
        { method: "GET", path: "/api/account/sessions", status: 401 },
        { method: "POST", path: "/api/auth/sign-in", status: 403 },
        { method: "GET", path: "/api/.git/config", status: 404 },
        { method: "POST", path: "/api/auth/sign-in", status: 400 },
        { method: "POST", path: "/api/auth/forgot-password", status: 429 },
      ]),
    );
  });

  it("gives every time in API answers as ISO 8601 in UTC", async () => {
    const user = await twoFactorFreeUser();
    const sessions = await user.get("/api/account/sessions");
    const events = await user.get("/api/account/security-events");
    const times = [
      ...sessions.body.sessions.flatMap((s: Record<string, string>) => [s.createdAt, s.lastSeenAt, s.expiresAt]),
      ...events.body.events.map((e: Record<string, string>) => e.at),
    ].filter((value) => value !== undefined);
    expect(times.length).toBeGreaterThanOrEqual(4);
    for (const time of times) {
      expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
      expect(Math.abs(Date.parse(time) - ctx.clock.now().getTime())).toBeLessThan(31 * 24 * 3600 * 1000);
    }
  });

  async function twoFactorFreeUser() {
    const client = ctx.client();
    const email = uniqueEmail();
    await client.post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Ada" });
    const verified = await client.post("/api/auth/verify-email", {
      token: (await lastEmail(ctx.server, email))!.token,
    });
    expect(verified.status).toBe(200);
    return client;
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Outbound connections: only to configured hosts (ASVS 13.2.4, T26)

const smtp = await startFakeSmtpServer();
let pwned: FakePwnedPasswords;
beforeAll(async () => {
  pwned = await startFakePwnedPasswords();
});
afterAll(async () => {
  await smtp.close();
  await pwned?.close();
});
const twilio = fakeTwilioPerServer({ SMTP_URL: smtp.url });
const postgresUrl = new URL(process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");

/** Every TCP connection the process opens while `work` runs, as host:port (or a socket path). */
async function connectionsDuring(work: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect() hands over its normalised arguments as an array: [options, callback].
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (first && typeof first === "object") {
      const options = first as { host?: string; port?: number | string; path?: string };
      seen.push(options.path ?? `${options.host ?? "localhost"}:${options.port}`);
    } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
      seen.push(`${typeof args[1] === "string" ? args[1] : "localhost"}:${first}`);
    } else {
      seen.push(String(first));
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
  try {
    await work();
  } finally {
    net.Socket.prototype.connect = original;
  }
  return seen;
}

forEachServer(
  "outbound connections",
  (ctx) => {
    it("connects only to the configured database, SMTP, Twilio and Pwned Passwords hosts, whatever hosts a request names", async () => {
      const hostile = {
        "x-forwarded-host": "attacker.example",
        forwarded: "host=attacker.example;proto=https",
        referer: "http://169.254.169.254/latest/meta-data/",
        "x-original-url": "http://attacker.example/",
      };
      const allowed = new Set([new URL(smtp.url).host, new URL(twilio.of(ctx).url).host, new URL(pwned.url).host]);
      if (ctx.kind === "postgres") allowed.add(`${postgresUrl.hostname}:${postgresUrl.port || 5432}`);

      const seen = await connectionsDuring(async () => {
        // Every flow that reaches a provider: sign-up (breach check, email), phone and two-factor (texts),
        // sign-in with a code, forgot-password; the values a user controls name other hosts.
        const user = await twoFactorUser(ctx, { readCode: fakeTwilioCode(twilio.of(ctx)) });
        const client = ctx.client();
        const password = await client.post(
          "/api/auth/sign-in",
          { email: user.email, password: user.password },
          hostile,
        );
        expect(password.body.twoFactorRequired).toBe(true);
        const code = fakeTwilioCode(twilio.of(ctx))(user.phone);
        expect((await client.post("/api/auth/two-factor/verify", { method: "sms", code }, hostile)).status).toBe(200);
        expect(
          (await client.patch("/api/account/profile", { name: "http://169.254.169.254/ attacker.example" })).status,
        ).toBe(200);
        const signUp = await ctx.client().post(
          "/api/auth/sign-up",
          {
            email: `ada@attacker-${randomBytes(3).toString("hex")}.example`,
            password: "http://attacker.example/pass",
            name: "https://attacker.example",
          },
          hostile,
        );
        expect(signUp.status).toBe(202);
        expect((await ctx.client().post("/api/auth/forgot-password", { email: user.email }, hostile)).status).toBe(202);
        await ctx.server.settle();
        await ctx.server.worker.drain();
      });

      // Each provider was really used, so the check below is not vacuous.
      expect(pwned.requests.length).toBeGreaterThan(0);
      expect(twilio.of(ctx).messages.length).toBeGreaterThan(0);
      expect(smtp.received.length).toBeGreaterThan(0);
      expect(seen.length).toBeGreaterThan(0);
      expect([...new Set(seen)].filter((destination) => !allowed.has(destination))).toEqual([]);
    });
  },
  {
    env: async (kind, onClose) => ({
      ...(await twilio.env(kind, onClose)),
      PWNED_PASSWORDS: "1",
      PWNED_PASSWORDS_API: pwned.url,
    }),
  },
);

// ---------------------------------------------------------------------------------------------------------------
// The real process: Node's HTTP parser and the production logger

describe("the API process (npm run api)", () => {
  let child: ChildProcess;
  let port: number;
  const stdout: string[] = [];
  const stderr: string[] = [];
  let dataDir: string;

  beforeAll(async () => {
    port = await closedPort();
    dataDir = mkdtempSync(path.join(tmpdir(), "twofold-hardening-"));
    // A clean environment, as in production: nothing from vitest (NODE_ENV=test silences the logger).
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      PORT: String(port),
      APP_URL: `http://localhost:${port}`,
      SECRET: TEST_SECRET,
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    };
    child = spawn(process.execPath, ["--import", "tsx", "src/http/serve.ts"], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: child.stdout! }).on("line", (line) => stdout.push(line));
    createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
    const deadline = Date.now() + 110_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the server exited at start-up:\n${[...stdout, ...stderr].join("\n")}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) break;
      } catch {}
      if (Date.now() > deadline) throw new Error(`the server did not start:\n${[...stdout, ...stderr].join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** Writes `payload` on a fresh connection; resolves with everything the server sent before closing it. */
  function raw(payload: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      let received = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk) => (received += chunk));
      socket.on("error", () => {});
      socket.on("close", () => resolve(received));
      socket.write(payload);
      // The server closes after a refusal; an accepted keep-alive connection is closed by us.
      setTimeout(() => socket.end(), 1500);
    });
  }
  const statuses = (received: string) =>
    [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1]));

  /** Request-log entries the process wrote after line `from`. */
  const loggedSince = (from: number) => requestLines(stdout.slice(from));

  it("answers TRACE, TRACK, CONNECT and unknown methods without a 5xx, and never echoes the request", async () => {
    for (const method of ["TRACE", "TRACK", "CONNECT", "PROPFIND", "FOO"]) {
      const received = await raw(
        `${method} /api/health HTTP/1.1\r\nHost: localhost\r\nX-Probe: echo-me-not\r\nCookie: twofold_session=echo-me-not\r\nConnection: close\r\n\r\n`,
      );
      for (const status of statuses(received)) {
        expect(status, `${method}: ${received.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(status, `${method}: ${received.slice(0, 200)}`).toBeLessThan(500);
      }
      expect(received, method).not.toContain("echo-me-not");
    }
    const trace = await raw(`TRACE /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expect(statuses(trace)).toEqual([404]);
    expect(trace).toContain('{"error":{"code":"not_found","message":"No such endpoint."}}');
  });

  it("refuses a request whose length is ambiguous (Content-Length with Transfer-Encoding, and the like): one 400, the connection closed, nothing smuggled", async () => {
    const smuggled = `/api/smuggled-${randomBytes(4).toString("hex")}`;
    const front =
      "POST /api/auth/forgot-password HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\nContent-Type: application/json\r\n";
    const tail = `0\r\n\r\nGET ${smuggled} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    const cases = {
      "Content-Length and Transfer-Encoding": `${front}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n${tail}`,
      "Transfer-Encoding and Content-Length": `${front}Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n${tail}`,
      "two different Content-Lengths": `${front}Content-Length: 6\r\nContent-Length: 48\r\n\r\n${tail}`,
      "a space before the colon": `${front}Transfer-Encoding : chunked\r\n\r\n${tail}`,
      "chunked not the final encoding": `${front}Transfer-Encoding: chunked, identity\r\n\r\n${tail}`,
      "a folded Transfer-Encoding": `${front}Transfer-Encoding:\r\n chunked\r\n\r\n${tail}`,
      "bare LF line endings": `${front.replaceAll("\r\n", "\n")}Transfer-Encoding: chunked\n\n${tail.replaceAll("\r\n", "\n")}`,
    };
    const from = stdout.length;
    for (const [name, payload] of Object.entries(cases)) {
      const received = await raw(payload);
      expect(statuses(received), name).toEqual([400]);
      expect(received, name).toMatch(/connection: close/i);
    }
    // Neither the smuggled request nor the one in front of it reached the app. (Only those two paths count: under
    // load the previous test's last request can be logged after `from`.)
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(
      loggedSince(from).filter((entry) => entry.path === smuggled || entry.path === "/api/auth/forgot-password"),
    ).toEqual([]);
    // The same connection handling still serves a well-formed request.
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
  });

  it("keeps an idle connection 65 s, longer than proxies keep theirs, and says so in Keep-Alive", async () => {
    // A server that closes an idle connection first races the client's next request on it (ECONNRESET, or a 502
    // from a proxy whose own idle timeout is the common 60 s).
    const response = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(response.headers.get("keep-alive")).toBe("timeout=65");
    await response.arrayBuffer();
  });

  it("writes the logs to stdout only, one JSON object per line, with the time in UTC epoch milliseconds; a newline in a path stays inside its line", async () => {
    const from = stdout.length;
    // A path that, written raw, would start a forged log line of level 60 (fatal).
    const forged = `/api/x%0A%7B%22level%22:60,%22msg%22:%22forged%22%7D%0D%0A`;
    expect((await fetch(`http://127.0.0.1:${port}${forged}`)).status).toBe(404);
    // A name with a line break and quotes is refused at the door (400), and its request logged on one line too.
    const signUp = await fetch(`http://127.0.0.1:${port}/api/auth/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: `http://localhost:${port}` },
      body: JSON.stringify({
        email: uniqueEmail(),
        password: STRONG_PASSWORD,
        name: 'Eve\n{"level":60,"msg":"forged"}',
      }),
    });
    expect(signUp.status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const entries = stdout
      .slice(from)
      .map((line) => JSON.parse(line) as { time: unknown; msg: string; path?: string; level: number });
    // Two requests, two lines: the line breaks in the path did not split the first one or forge a third.
    // (The previous test's health check may log after `from`: its line is not one of these two.)
    expect(
      entries.filter((entry) => entry.msg === "request" && entry.path !== "/api/health").map((entry) => entry.path),
    ).toEqual(['/api/x\n{"level":60,"msg":"forged"}\r\n', "/api/auth/sign-up"]);
    expect(entries.some((entry) => entry.msg === "forged" || entry.level === 60)).toBe(false);
    // pino's epoch milliseconds: UTC by definition, whatever the host's time zone.
    for (const entry of entries) {
      expect(typeof entry.time).toBe("number");
      expect(Math.abs((entry.time as number) - Date.now())).toBeLessThan(60_000);
    }
    // Since start-up: every line JSON, nothing on stderr.
    for (const line of stdout) expect(() => JSON.parse(line), line).not.toThrow();
    expect(stdout.some((line) => line.includes('"msg":"twofold ready"'))).toBe(true);
    expect(stderr).toEqual([]);
  });
});
