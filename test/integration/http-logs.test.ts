import { afterAll, expect, it } from "vitest";
import { startFakeSmtpServer } from "../fakes/smtp";
import { forEachServer, lastEmail, signedUpUser, STRONG_PASSWORD, uniqueEmail } from "../helpers/harness";

// Real mail over SMTP, as in production: the dev outbox channel prints emails (links included) to the console
// on purpose, which is exactly what this test must not see.
const smtp = await startFakeSmtpServer();
afterAll(() => smtp.close());

forEachServer(
  "logs never carry secrets",
  (ctx) => {
    it("holds no password, session token or link token after every flow that handles one", async () => {
      const secrets: string[] = [];
      /** A token and its secret half: either alone would be enough to replay it. */
      const keep = (token: string | null | undefined) => {
        expect(token).toBeTruthy();
        secrets.push(token!, token!.split(".")[1]!);
      };

      const user = await signedUpUser(ctx);
      secrets.push(user.password);
      keep(user.client.cookie);

      // A non-browser sign-in gets a bearer token in the body.
      const cli = ctx.client({ origin: null });
      const signIn = await cli.post("/api/auth/sign-in", { email: user.email, password: user.password });
      keep(signIn.body.token);
      cli.bearer = signIn.body.token;
      expect((await cli.get("/api/account/sessions")).status).toBe(200);

      // Failures that echo nothing back: wrong password, malformed JSON carrying one, a tampered token.
      const wrongPassword = "Wrong-Password-Guess-31337";
      secrets.push(wrongPassword);
      expect(
        (await ctx.client().post("/api/auth/sign-in", { email: user.email, password: wrongPassword })).status,
      ).toBe(401);
      const malformed = await ctx.client().request("POST", "/api/auth/sign-in", {
        body: `{"email":"${user.email}","password":"${wrongPassword}"`,
        headers: { "content-type": "application/json" },
      });
      expect(malformed.status).toBe(400);
      expect(
        (
          await ctx
            .client()
            .post("/api/auth/reset-password", { token: `${signIn.body.token}x`, password: wrongPassword })
        ).status,
      ).toBe(400);

      // Password change: current and new password, plus a wrong current one.
      const changed = "Changed passphrase for the logs test";
      secrets.push(changed);
      expect(
        (await user.client.post("/api/account/password", { currentPassword: wrongPassword, newPassword: changed }))
          .status,
      ).toBe(401);
      expect(
        (await user.client.post("/api/account/password", { currentPassword: user.password, newPassword: changed }))
          .status,
      ).toBe(204);

      // Email change: the confirm link token.
      const newEmail = uniqueEmail("logs");
      expect((await user.client.post("/api/account/email", { currentPassword: changed, newEmail })).status).toBe(202);
      const confirm = await lastEmail(ctx.server, newEmail, /confirm your new email/i);
      keep(confirm?.token);
      expect((await ctx.client().post("/api/auth/confirm-email-change", { token: confirm!.token })).status).toBe(200);

      // Password reset: the reset link token and the new password.
      await ctx.client().post("/api/auth/forgot-password", { email: newEmail });
      const reset = await lastEmail(ctx.server, newEmail, /reset your/i);
      keep(reset?.token);
      const resetPassword = "Reset passphrase for the logs test";
      secrets.push(resetPassword);
      expect(
        (await ctx.client().post("/api/auth/reset-password", { token: reset!.token, password: resetPassword })).status,
      ).toBe(204);
      const last = ctx.client();
      const again = await last.post("/api/auth/sign-in", { email: newEmail, password: resetPassword });
      expect(again.status).toBe(200);
      keep(last.cookie);
      await last.post("/api/auth/sign-out");

      // Every queued email really went out over SMTP, so the delivery logs are in too.
      await ctx.server.worker.drain();
      expect(smtp.received.some((mail) => mail.envelopeTo.includes(newEmail))).toBe(true);

      const logs = ctx.log.text();
      expect(logs).toContain('"path":"/api/auth/sign-in"');
      expect(logs).toContain("Email sent");
      for (const secret of new Set(secrets))
        expect(logs.includes(secret), `log contains ${secret.slice(0, 6)}…`).toBe(false);
      // Addresses are masked in delivery logs, and the default test password never shows up either.
      expect(logs).not.toContain(newEmail);
      expect(logs).not.toContain(STRONG_PASSWORD);
    });
  },
  { env: { SMTP_URL: smtp.url } },
);

// Issue 12: the open dev inbox reads GET /api/dev/outbox every 2 s, and each poll added log lines; in development
// Next.js also logged every API request the API logs itself.
forEachServer("one log line per request, none for the dev inbox's polls", (ctx) => {
  /** The info-or-louder "request" lines (pino levels: 20 debug, 30 info). */
  const requestLines = (from: number) =>
    ctx.log.lines
      .slice(from)
      .map((line) => JSON.parse(line) as { level: number; msg: string; path?: string; status?: number })
      .filter((line) => line.msg === "request" && line.level >= 30);

  it("logs each API request once, at info", async () => {
    const from = ctx.log.lines.length;
    expect((await ctx.client().get("/api/health")).status).toBe(200);
    expect((await ctx.client().get("/api/auth/session")).status).toBe(401);
    expect(requestLines(from).map((line) => `${line.path} ${line.status}`)).toEqual([
      "/api/health 200",
      "/api/auth/session 401",
    ]);
  });

  it("keeps the inbox's successful polls out of the info log, but not a refused one", async () => {
    const from = ctx.log.lines.length;
    const loopback = { remoteAddress: "127.0.0.1" };
    for (let i = 0; i < 3; i++)
      expect((await ctx.server.app.request("http://localhost:3000/api/dev/outbox", {}, loopback)).status).toBe(200);
    expect(requestLines(from)).toEqual([]);
    // Still there for whoever turns LOG_LEVEL=debug on.
    expect(ctx.log.text().slice(ctx.log.lines.slice(0, from).join("").length)).toContain('"path":"/api/dev/outbox"');
    // Asked from elsewhere, the outbox is a 404: that one is worth a line.
    const refused = await ctx.server.app.request(
      "http://localhost:3000/api/dev/outbox",
      {},
      { remoteAddress: "10.1.2.3" },
    );
    expect(refused.status).toBe(404);
    expect(requestLines(from).map((line) => `${line.path} ${line.status}`)).toEqual(["/api/dev/outbox 404"]);
  });

  it("leaves /api requests to that line under next dev, and logs the pages", async () => {
    const { default: nextConfig } = await import("../../next.config");
    const ignore = (nextConfig.logging as { incomingRequests: { ignore: RegExp[] } }).incomingRequests;
    const ignored = (url: string) => ignore.ignore.some((pattern) => pattern.test(url));
    for (const url of ["/api/dev/outbox", "/api/auth/session?x=1", "http://localhost:3000/api/health", "/api"])
      expect(ignored(url), url).toBe(true);
    for (const url of ["/", "/dev/inbox", "/sign-in?next=/api/x", "/apiary", "http://localhost:3000/profile"])
      expect(ignored(url), url).toBe(false);
  });
});
