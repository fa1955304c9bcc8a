import { eq } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { challenges, sessions, users } from "../../src/db/schema";
import { forEachServer, signedUpUser, STRONG_PASSWORD, type ServerContext, uniqueEmail } from "../helpers/harness";

/** POST /api/auth/sign-in over HTTP: success, bearer clients, enumeration, 2FA challenge, rate limits. */

async function unverifiedUser(ctx: ServerContext) {
  const email = uniqueEmail("unverified");
  expect(
    (await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Grace Hopper" })).status,
  ).toBe(202);
  return email;
}

forEachServer("sign-in", (ctx) => {
  let alice: Awaited<ReturnType<typeof signedUpUser>>;
  beforeAll(async () => {
    alice = await signedUpUser(ctx);
  });

  it("signs a browser in: user and session in the body, the token only in the HttpOnly cookie", async () => {
    const client = ctx.client();
    const response = await client.post("/api/auth/sign-in", {
      email: ` ${alice.email.toUpperCase()}`,
      password: alice.password,
    });
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ id: alice.user.id, email: alice.email, emailVerified: true });
    expect(response.body.session).toMatchObject({ id: expect.any(String), assuranceLevel: 1 });
    expect(response.body.token).toBeUndefined();
    expect(client.cookie).toBeDefined();
    expect(response.text).not.toContain(client.cookie!);
    const session = await client.get("/api/auth/session");
    expect(session.status).toBe(200);
    expect(session.body.session.id).toBe(response.body.session.id);
  });

  it("gives a non-browser client (no Origin) a bearer token that authenticates and can sign out", async () => {
    const cli = ctx.client({ origin: null });
    const response = await cli.post("/api/auth/sign-in", { email: alice.email, password: alice.password });
    expect(response.status).toBe(200);
    expect(response.body.token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(response.body.token.split(".")[0]).toBe(response.body.session.id);

    const api = ctx.client({ origin: null });
    api.bearer = response.body.token;
    const session = await api.get("/api/auth/session");
    expect(session.status).toBe(200);
    expect(session.body.user.id).toBe(alice.user.id);
    expect(session.headers.get("set-cookie")).toBeNull();

    expect((await api.post("/api/auth/sign-out")).status).toBe(204);
    expect((await api.get("/api/auth/session")).status).toBe(401);
  });

  it("answers an unknown email and a wrong password with the same 401 invalid_credentials", async () => {
    const unknown = await ctx
      .client()
      .post("/api/auth/sign-in", { email: uniqueEmail("nobody"), password: alice.password });
    const wrong = await ctx
      .client()
      .post("/api/auth/sign-in", { email: alice.email, password: "not the right password" });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe("invalid_credentials");
    expect(wrong.status).toBe(unknown.status);
    expect(wrong.text).toBe(unknown.text);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(unknown.headers.get("set-cookie")).toBeNull();
  });

  it("reveals email_not_verified only after a correct password", async () => {
    const email = await unverifiedUser(ctx);
    const client = ctx.client();
    const wrong = await client.post("/api/auth/sign-in", { email, password: "not the right password" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    const right = await client.post("/api/auth/sign-in", { email, password: STRONG_PASSWORD });
    expect(right.status).toBe(403);
    expect(right.body.error.code).toBe("email_not_verified");
    expect(client.cookie).toBeUndefined();
  });

  it("answers a user with SMS two-factor with a challenge and no session, cookie or token", async () => {
    const bob = await signedUpUser(ctx);
    const db = ctx.server.database.db;
    await db
      .update(users)
      .set({ phoneNumber: "+447700900123", phoneVerifiedAt: new Date(), twoFactorSms: true })
      .where(eq(users.id, bob.user.id));
    await db.delete(sessions).where(eq(sessions.userId, bob.user.id));

    const browser = ctx.client();
    for (const client of [browser, ctx.client({ origin: null })]) {
      const before = Date.now();
      const response = await client.post("/api/auth/sign-in", { email: bob.email, password: bob.password });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        twoFactorRequired: true,
        challenge: {
          id: expect.any(String),
          methods: ["sms"],
          phoneHint: "+44 ••• ••• 0123",
          expiresAt: expect.any(String),
          resendAt: expect.any(String),
        },
      });
      const expiresInMs = Date.parse(response.body.challenge.expiresAt) - before;
      expect(expiresInMs).toBeGreaterThan(9 * 60_000);
      expect(expiresInMs).toBeLessThanOrEqual(10 * 60_000 + 1000);
      // No session cookie; a browser (it sends Origin) gets only the challenge cookie that binds the challenge to it.
      const setCookies = response.headers.getSetCookie();
      if (client === browser)
        expect(setCookies).toEqual([
          expect.stringMatching(/^twofold_challenge=[\w-]+\.[\w-]+;.*HttpOnly.*SameSite=Strict/i),
        ]);
      else expect(setCookies).toEqual([]);
      expect(client.cookie).toBeUndefined();
      expect((await client.get("/api/auth/session")).status).toBe(401);
      const [row] = await db.select().from(challenges).where(eq(challenges.id, response.body.challenge.id));
      expect(row).toMatchObject({ userId: bob.user.id, purpose: "sign_in", completedAt: null });
    }
    expect(await db.select().from(sessions).where(eq(sessions.userId, bob.user.id))).toEqual([]);
  });

  it("answers invalid_request with fields for missing or malformed input", async () => {
    const missing = await ctx.client().post("/api/auth/sign-in", { email: alice.email });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: "invalid_request",
      fields: { password: "This field is required." },
    });
    const malformed = await ctx.client().post("/api/auth/sign-in", { email: "alice", password: "" });
    expect(malformed.body.error.code).toBe("invalid_request");
    expect(Object.keys(malformed.body.error.fields).sort()).toEqual(["email", "password"]);
  });

  it("refuses a sign-in posted from a foreign origin (login CSRF)", async () => {
    const client = ctx.client({ origin: "https://evil.example" });
    const response = await client.post("/api/auth/sign-in", { email: alice.email, password: alice.password });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe("invalid_origin");
    expect(client.cookie).toBeUndefined();
  });

  it("slows guesses per address across IPs; a correct password resets the count", async () => {
    const email = await unverifiedUser(ctx);
    const guess = () => ctx.client().post("/api/auth/sign-in", { email, password: "a wrong guess" });
    for (let i = 0; i < 4; i++) expect((await guess()).status).toBe(401);
    expect((await ctx.client().post("/api/auth/sign-in", { email, password: STRONG_PASSWORD })).status).toBe(403);
    for (let i = 0; i < 5; i++) expect((await guess()).status).toBe(401);

    // Even the right password from a fresh IP waits (details in sign-in-throttling.test.ts).
    const limited = await ctx
      .client()
      .post("/api/auth/sign-in", { email: email.toUpperCase(), password: STRONG_PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBe(1);
  });

  it("limits attempts per IP across accounts, right or wrong (credential stuffing, argon2 load)", async () => {
    const client = ctx.client();
    for (let i = 0; i < 20; i++)
      expect(
        (await client.post("/api/auth/sign-in", { email: uniqueEmail("stuffed"), password: "hunter2hunter2" })).status,
      ).toBe(401);
    for (let i = 0; i < 30; i++) {
      const signIn = await client.post("/api/auth/sign-in", { email: alice.email, password: alice.password });
      expect(signIn.status).toBe(200);
    }
    const limited = await client.post("/api/auth/sign-in", { email: alice.email, password: alice.password });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // The account itself is not locked by someone else's flood.
    expect(
      (await ctx.client().post("/api/auth/sign-in", { email: alice.email, password: alice.password })).status,
    ).toBe(200);
  });
});
