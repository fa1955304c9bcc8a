import { eq } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { sessions, users } from "../../src/db/schema";
import {
  APP_URL,
  forEachServer,
  lastEmail,
  signedUpUser,
  STRONG_PASSWORD,
  type ServerContext,
  uniqueEmail,
} from "../helpers/harness";

/** POST /api/auth/sign-up, /resend-verification and /verify-email over HTTP, on PGlite and PostgreSQL. */

async function inbox(ctx: ServerContext, to: string) {
  const response = await ctx.server.app.request(
    "http://localhost:3000/api/dev/outbox",
    {},
    { remoteAddress: "127.0.0.1" },
  );
  const { messages } = (await response.json()) as {
    messages: Array<{ to: string; subject: string | null; body: string }>;
  };
  return messages.filter((m) => m.to === to);
}

async function verificationToken(ctx: ServerContext, email: string): Promise<string> {
  const mail = await lastEmail(ctx.server, email, /^Confirm your email/);
  if (!mail?.token) throw new Error(`no verification link for ${email}`);
  return mail.token;
}

/** Signs up without verifying; the account stays unverified. */
async function unverifiedUser(ctx: ServerContext, name = "Grace Hopper") {
  const email = uniqueEmail("unverified");
  const response = await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name });
  expect(response.status).toBe(202);
  return { email, token: await verificationToken(ctx, email) };
}

forEachServer("sign-up, resend-verification, verify-email", (ctx) => {
  afterEach(() => ctx.clock.reset());

  it("answers 202 verification_sent and emails a link to /verify-email that signs in", async () => {
    const client = ctx.client();
    const email = uniqueEmail();
    const signUp = await client.post("/api/auth/sign-up", {
      email: `  ${email.toUpperCase()} `,
      password: STRONG_PASSWORD,
      name: " Ada ",
    });
    expect(signUp.status).toBe(202);
    expect(signUp.body).toEqual({ status: "verification_sent" });
    expect(signUp.headers.get("set-cookie")).toBeNull();

    const mail = await lastEmail(ctx.server, email, /^Confirm your email/);
    expect(mail?.link).toMatch(new RegExp(`^${APP_URL}/verify-email#token=`));
    const verify = await client.post("/api/auth/verify-email", { token: mail!.token });
    expect(verify.status).toBe(200);
    expect(verify.body.user).toMatchObject({ email, emailVerified: true, name: "Ada", twoFactor: { sms: false } });
    expect(verify.body.token).toBeUndefined();
    expect(client.cookie).toBeDefined();
    const session = await client.get("/api/auth/session");
    expect(session.status).toBe(200);
    expect(session.body.user.id).toBe(verify.body.user.id);
  });

  it("refuses weak passwords with weak_password and a message on the field, sending nothing", async () => {
    const client = ctx.client();
    const email = uniqueEmail("weak");
    const weak = [
      "Sh0rt!x",
      "x".repeat(64) + "y".repeat(65),
      "password123",
      "aaaaaaaaaaaa",
      "Grace Hopper 1906",
      `${email.split("@")[0]}!!`,
    ];
    for (const password of weak) {
      const response = await client.post("/api/auth/sign-up", { email, password, name: "Grace Hopper" });
      expect(response.status, password).toBe(400);
      expect(response.body.error.code).toBe("weak_password");
      expect(response.body.error.fields.password).toBe(response.body.error.message);
    }
    expect(await inbox(ctx, email)).toEqual([]);
  });

  it("answers invalid_request with fields for missing or malformed input", async () => {
    const client = ctx.client();
    const missing = await client.post("/api/auth/sign-up", {});
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("invalid_request");
    expect(Object.keys(missing.body.error.fields).sort()).toEqual(["email", "name", "password"]);
    expect(missing.body.error.fields.email).toBe("This field is required.");

    const malformed = await client.post("/api/auth/sign-up", {
      email: "not-an-email",
      password: "p".repeat(1025),
      name: "   ",
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.fields).toMatchObject({
      email: "Enter a valid email address.",
      name: "Enter your name.",
    });
    expect(malformed.body.error.fields.password).toBeTruthy();

    const notJson = await client.request("POST", "/api/auth/sign-up", {
      body: "email=a@example.com",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(notJson.status).toBe(415);
    expect(notJson.body.error.code).toBe("unsupported_media_type");
    const badJson = await client.request("POST", "/api/auth/sign-up", {
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("invalid_json");
  });

  it("answers alike for new, unverified and verified addresses; the owner learns what happened by email", async () => {
    const verified = await signedUpUser(ctx);
    const unverified = await unverifiedUser(ctx);
    const fresh = uniqueEmail("fresh");
    const answers = [];
    for (const email of [fresh, unverified.email, verified.email]) {
      const response = await ctx
        .client()
        .post("/api/auth/sign-up", { email, password: "another strong passphrase", name: "Mallory" });
      answers.push({ status: response.status, text: response.text, cookie: response.headers.get("set-cookie") });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);

    // Verified owner: a "someone tried" notice, no link to act on.
    const notice = await lastEmail(ctx.server, verified.email);
    expect(notice?.subject).toMatch(/already have/i);
    expect(notice?.token).toBeNull();
    // Unverified owner: a new link of its own; the first stays valid until one of them is followed.
    const newToken = await verificationToken(ctx, unverified.email);
    expect(newToken).not.toBe(unverified.token);
    expect((await ctx.client().post("/api/auth/verify-email", { token: newToken })).status).toBe(200);
    expect((await ctx.client().post("/api/auth/verify-email", { token: unverified.token })).body.error.code).toBe(
      "invalid_token",
    );
  });

  it("pre-registration cannot hijack: the link the inbox owner follows sets the owner's password", async () => {
    const email = uniqueEmail("victim");
    // Mallory registers the victim's address first, then again after the victim, to try to void the victim's link.
    await ctx.client().post("/api/auth/sign-up", { email, password: "first attacker passphrase", name: "Mallory" });
    await ctx.client().post("/api/auth/sign-up", { email, password: "the owners own passphrase", name: "Victim" });
    const victimToken = await verificationToken(ctx, email);
    await ctx.client().post("/api/auth/sign-up", { email, password: "second attacker passphrase", name: "Mallory" });
    const malloryToken = await verificationToken(ctx, email);
    expect(malloryToken).not.toBe(victimToken);

    expect((await ctx.client().post("/api/auth/verify-email", { token: victimToken })).status).toBe(200);
    for (const password of ["first attacker passphrase", "second attacker passphrase"]) {
      expect((await ctx.client().post("/api/auth/sign-in", { email, password })).status).toBe(401);
    }
    expect(
      (await ctx.client().post("/api/auth/sign-in", { email, password: "the owners own passphrase" })).status,
    ).toBe(200);
    // Mallory's pending link died with the verification.
    expect((await ctx.client().post("/api/auth/verify-email", { token: malloryToken })).body.error.code).toBe(
      "invalid_token",
    );
  });

  it("never replaces the password of an existing account", async () => {
    const { email, password } = await signedUpUser(ctx);
    await ctx.client().post("/api/auth/sign-up", { email, password: "attacker chosen passphrase", name: "Mallory" });
    expect(
      (await ctx.client().post("/api/auth/sign-in", { email, password: "attacker chosen passphrase" })).status,
    ).toBe(401);
    expect((await ctx.client().post("/api/auth/sign-in", { email, password })).status).toBe(200);
  });

  it("limits sign-ups per IP (429 with Retry-After); other IPs are unaffected", async () => {
    const client = ctx.client();
    // Weak passwords still count (the limit comes first) and cost no argon2 hash.
    for (let i = 0; i < 10; i++)
      expect(
        (await client.post("/api/auth/sign-up", { email: uniqueEmail(), password: "short", name: "Bot" })).status,
      ).toBe(400);
    const limited = await client.post("/api/auth/sign-up", {
      email: uniqueEmail(),
      password: STRONG_PASSWORD,
      name: "Bot",
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
    expect(
      (await ctx.client().post("/api/auth/sign-up", { email: uniqueEmail(), password: "short", name: "Bot" })).status,
    ).toBe(400);
  });

  it("limits sign-ups per email across IPs, known or not, so nobody's inbox can be flooded", async () => {
    const existing = await signedUpUser(ctx);
    const unknown = uniqueEmail("flood");
    expect(
      (await ctx.client().post("/api/auth/sign-up", { email: unknown, password: STRONG_PASSWORD, name: "Bot" })).status,
    ).toBe(202);
    // Both addresses have had one sign-up; two more each are allowed, then both are refused alike.
    for (const email of [existing.email, unknown]) {
      for (let i = 0; i < 2; i++)
        expect(
          (await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Bot" })).status,
        ).toBe(202);
    }
    const answers = [];
    for (const email of [existing.email, unknown]) {
      const response = await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Bot" });
      answers.push({
        status: response.status,
        code: response.body.error.code,
        retryAfter: Number(response.headers.get("retry-after")) > 0,
      });
    }
    expect(answers).toEqual([
      { status: 429, code: "rate_limited", retryAfter: true },
      { status: 429, code: "rate_limited", retryAfter: true },
    ]);
    expect((await inbox(ctx, existing.email)).filter((m) => /already have/.test(m.subject ?? ""))).toHaveLength(2);
  });

  it("resend-verification answers alike for unknown, unverified and verified; only the unverified gets a link", async () => {
    const verified = await signedUpUser(ctx);
    const unverified = await unverifiedUser(ctx);
    const unknown = uniqueEmail("unknown");
    const before = (await inbox(ctx, verified.email)).length;
    const answers = [];
    for (const email of [unknown, unverified.email, verified.email]) {
      const response = await ctx.client().post("/api/auth/resend-verification", { email });
      answers.push({ status: response.status, text: response.text });
    }
    expect(answers[0]!.status).toBe(202);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(await inbox(ctx, unknown)).toEqual([]);
    expect((await inbox(ctx, verified.email)).length).toBe(before);
    expect(await inbox(ctx, unverified.email)).toHaveLength(2);

    // Anyone may ask for a resend, so it cancels no earlier link (issue 9: a stranger's resend used to void the
    // owner's own sign-up link); following either verifies the address, and that kills the other.
    const newToken = await verificationToken(ctx, unverified.email);
    expect(newToken).not.toBe(unverified.token);
    expect((await ctx.client().post("/api/auth/verify-email", { token: newToken })).status).toBe(200);
    expect((await ctx.client().post("/api/auth/verify-email", { token: unverified.token })).body.error.code).toBe(
      "invalid_token",
    );
  });

  it("limits resend-verification per email across IPs and per IP across emails", async () => {
    const { email } = await unverifiedUser(ctx);
    for (let i = 0; i < 3; i++)
      expect((await ctx.client().post("/api/auth/resend-verification", { email })).status).toBe(202);
    const perEmail = await ctx.client().post("/api/auth/resend-verification", { email });
    expect(perEmail.status).toBe(429);
    expect(Number(perEmail.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(perEmail.headers.get("retry-after"))).toBeLessThanOrEqual(15 * 60);

    const client = ctx.client();
    for (let i = 0; i < 10; i++)
      expect((await client.post("/api/auth/resend-verification", { email: uniqueEmail() })).status).toBe(202);
    const perIp = await client.post("/api/auth/resend-verification", { email: uniqueEmail() });
    expect(perIp.status).toBe(429);
    expect(perIp.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await ctx.client().post("/api/auth/resend-verification", {})).body.error.fields.email).toBe(
      "This field is required.",
    );
  });

  it("verify-email: a link works once", async () => {
    const { token } = await unverifiedUser(ctx);
    expect((await ctx.client().post("/api/auth/verify-email", { token })).status).toBe(200);
    const client = ctx.client();
    const replay = await client.post("/api/auth/verify-email", { token });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("invalid_token");
    expect(client.cookie).toBeUndefined();
  });

  it("verify-email: a link lives 24 hours", async () => {
    const { email, token } = await unverifiedUser(ctx);
    ctx.clock.advance(24 * 3600 + 1);
    expect((await ctx.client().post("/api/auth/verify-email", { token })).body.error.code).toBe("invalid_token");
    await ctx.client().post("/api/auth/resend-verification", { email });
    const fresh = await verificationToken(ctx, email);
    ctx.clock.advance(24 * 3600 - 60);
    expect((await ctx.client().post("/api/auth/verify-email", { token: fresh })).status).toBe(200);
  });

  it("verify-email: tampered, malformed or missing tokens are refused without burning the real one", async () => {
    const { token } = await unverifiedUser(ctx);
    const [id, secret] = token.split(".") as [string, string];
    const flipped = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    for (const bad of [`${id}.${flipped}`, `${id}x.${secret}`, "garbage", `${token}.extra`]) {
      const response = await ctx.client().post("/api/auth/verify-email", { token: bad });
      expect(response.status, bad).toBe(400);
      expect(response.body.error.code).toBe("invalid_token");
    }
    const missing = await ctx.client().post("/api/auth/verify-email", {});
    expect(missing.body.error).toMatchObject({ code: "invalid_request", fields: { token: "This field is required." } });
    expect((await ctx.client().post("/api/auth/verify-email", { token: "a".repeat(301) })).body.error.code).toBe(
      "invalid_request",
    );
    expect((await ctx.client().post("/api/auth/verify-email", { token })).status).toBe(200);
  });

  it("verify-email: a user with SMS two-factor gets a challenge, not a session", async () => {
    const { email, token } = await unverifiedUser(ctx);
    const db = ctx.server.database.db;
    await db
      .update(users)
      .set({ phoneNumber: "+15551234567", phoneVerifiedAt: new Date(), twoFactorSms: true })
      .where(eq(users.email, email));
    // No Origin: a non-browser client would otherwise get a bearer token in the body.
    const client = ctx.client({ origin: null });
    const verify = await client.post("/api/auth/verify-email", { token });
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual({
      twoFactorRequired: true,
      challenge: {
        id: expect.any(String),
        methods: ["sms"],
        phoneHint: "+1 ••• ••• 4567",
        expiresAt: expect.any(String),
        resendAt: expect.any(String),
      },
    });
    expect(verify.headers.get("set-cookie")).toBeNull();
    expect((await client.get("/api/auth/session")).status).toBe(401);
    const [user] = await db.select().from(users).where(eq(users.email, email));
    expect(user!.emailVerifiedAt).not.toBeNull();
    expect(await db.select().from(sessions).where(eq(sessions.userId, user!.id))).toEqual([]);
  });

  it("limits link-token attempts per IP, across verify-email, reset-password and confirm-email-change", async () => {
    const client = ctx.client();
    for (let i = 0; i < 30; i++)
      expect((await client.post("/api/auth/verify-email", { token: `guess-${i}` })).status).toBe(400);
    for (const [path, body] of [
      ["/api/auth/verify-email", { token: "guess" }],
      ["/api/auth/reset-password", { token: "guess", password: STRONG_PASSWORD }],
      ["/api/auth/confirm-email-change", { token: "guess" }],
    ] as const) {
      const limited = await client.post(path, body);
      expect(limited.status, path).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect((await ctx.client().post("/api/auth/verify-email", { token: "guess" })).status).toBe(400);
  });
});
