import { eq } from "drizzle-orm";
import { afterEach, beforeAll, expect, it } from "vitest";
import { sessions } from "../../src/db/schema";
import { forEachServer, signedUpUser, type TestResponse } from "../helpers/harness";

/** GET /api/auth/session and POST /api/auth/sign-out; session cookies, fixation, idle and absolute timeouts. */

const DAY = 24 * 3600;
const IDLE_SECONDS = 7 * DAY;

function sessionCookie(response: TestResponse, name = "twofold_session"): string | undefined {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

function maxAge(cookie: string | undefined): number {
  return Number(/;\s*Max-Age=(\d+)/i.exec(cookie ?? "")?.[1]);
}

forEachServer("sessions, sign-out", (ctx) => {
  let alice: Awaited<ReturnType<typeof signedUpUser>>;
  beforeAll(async () => {
    alice = await signedUpUser(ctx);
  });
  afterEach(() => ctx.clock.reset());

  const signIn = async (client = ctx.client()) => {
    const response = await client.post("/api/auth/sign-in", { email: alice.email, password: alice.password });
    expect(response.status).toBe(200);
    return { client, response };
  };

  it("sets an HttpOnly, SameSite=Lax, Path=/ cookie that lives for the 7-day idle window", async () => {
    const { response } = await signIn();
    const cookie = sessionCookie(response);
    expect(cookie).toBeDefined();
    const attributes = cookie!.split(";").map((part) => part.trim().toLowerCase());
    expect(attributes).toContain("httponly");
    expect(attributes).toContain("samesite=lax");
    expect(attributes).toContain("path=/");
    // Plain http (APP_URL http://localhost:3000): no Secure, no __Host- prefix, no Domain.
    expect(attributes).not.toContain("secure");
    expect(attributes.some((a) => a.startsWith("domain="))).toBe(false);
    expect(maxAge(cookie)).toBeGreaterThan(IDLE_SECONDS - 60);
    expect(maxAge(cookie)).toBeLessThanOrEqual(IDLE_SECONDS);
    expect(Date.parse(response.body.session.expiresAt) - Date.now()).toBeGreaterThan((IDLE_SECONDS - 60) * 1000);
  });

  it("GET session answers the user and session, and 401 unauthenticated without a valid one", async () => {
    const { client, response } = await signIn();
    const session = await client.get("/api/auth/session");
    expect(session.status).toBe(200);
    expect(session.headers.get("cache-control")).toBe("no-store");
    expect(session.body).toEqual({
      user: {
        id: alice.user.id,
        email: alice.email,
        emailVerified: true,
        name: alice.name,
        avatarUrl: null,
        phoneNumber: null,
        phoneNumberFull: null,
        phoneVerified: false,
        twoFactor: { sms: false, totp: false, passkeys: 0, recoveryCodesLeft: 0 },
        createdAt: expect.any(String),
      },
      session: {
        id: response.body.session.id,
        createdAt: expect.any(String),
        lastSeenAt: expect.any(String),
        expiresAt: expect.any(String),
        assuranceLevel: 1,
        secondFactorAt: null,
      },
    });

    const anonymous = await ctx.client().get("/api/auth/session");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("unauthenticated");

    const [id, secret] = client.cookie!.split(".") as [string, string];
    const forged = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    for (const bad of [`${id}.${forged}`, "garbage", `${id}`]) {
      const stranger = ctx.client();
      stranger.cookie = bad;
      const response = await stranger.get("/api/auth/session");
      expect(response.status, bad).toBe(401);
      // The dead cookie is cleared.
      expect(maxAge(sessionCookie(response))).toBe(0);
    }
    // A forged secret does not harm the real session.
    expect((await client.get("/api/auth/session")).status).toBe(200);
  });

  it("issues a new token at every sign-in: a token planted before sign-in is never promoted (fixation)", async () => {
    const mallory = await signedUpUser(ctx);
    const planted = mallory.client.cookie!;
    const victim = ctx.client();
    victim.cookie = planted;
    await signIn(victim);
    expect(victim.cookie).toBeDefined();
    expect(victim.cookie).not.toBe(planted);
    expect((await victim.get("/api/auth/session")).body.user.id).toBe(alice.user.id);
    // The planted token was ended by the sign-in (ASVS 7.2.4): it never becomes Alice's session.
    expect((await mallory.client.get("/api/auth/session")).status).toBe(401);

    const before = victim.cookie;
    await signIn(victim);
    expect(victim.cookie).not.toBe(before);
    const stale = ctx.client();
    stale.cookie = before;
    expect((await stale.get("/api/auth/session")).status).toBe(401);
    const first = (await signIn()).client.cookie;
    const second = (await signIn()).client.cookie;
    expect(first).not.toBe(second);
  });

  it("sign-out ends the session on the server: replaying the old cookie gets 401", async () => {
    const { client, response } = await signIn();
    const token = client.cookie!;
    const signOut = await client.post("/api/auth/sign-out");
    expect(signOut.status).toBe(204);
    expect(maxAge(sessionCookie(signOut))).toBe(0);
    expect(client.cookie).toBeUndefined();
    expect(
      await ctx.server.database.db.select().from(sessions).where(eq(sessions.id, response.body.session.id)),
    ).toEqual([]);

    const replay = ctx.client();
    replay.cookie = token;
    expect((await replay.get("/api/auth/session")).status).toBe(401);
    const bearer = ctx.client({ origin: null });
    bearer.bearer = token;
    expect((await bearer.get("/api/auth/session")).status).toBe(401);
    // Signing out without a session is harmless.
    expect((await ctx.client().post("/api/auth/sign-out")).status).toBe(204);
  });

  it("refuses a cookie-authenticated sign-out without Origin or from a foreign origin (CSRF)", async () => {
    const { client } = await signIn();
    for (const origin of [null, "https://evil.example"]) {
      const forged = ctx.client({ origin });
      forged.cookie = client.cookie;
      const response = await forged.post("/api/auth/sign-out");
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe("invalid_origin");
    }
    expect((await client.get("/api/auth/session")).status).toBe(200);
  });

  it("ends a session idle for more than 7 days", async () => {
    const { client } = await signIn();
    ctx.clock.advance(IDLE_SECONDS + 1);
    const response = await client.get("/api/auth/session");
    expect(response.status).toBe(401);
    expect(client.cookie).toBeUndefined();
  });

  it("slides the idle window with activity and re-sends the cookie for 7 more days", async () => {
    const { client } = await signIn();
    for (let day = 6; day <= 18; day += 6) {
      ctx.clock.advance(6 * DAY);
      const response = await client.get("/api/auth/session");
      expect(response.status, `day ${day}`).toBe(200);
      const now = ctx.clock.now().getTime();
      expect(Date.parse(response.body.session.lastSeenAt)).toBeGreaterThan(now - 60_000);
      expect(Date.parse(response.body.session.expiresAt) - now).toBeGreaterThan((IDLE_SECONDS - 60) * 1000);
      const refreshed = sessionCookie(response);
      expect(maxAge(refreshed)).toBeGreaterThan(IDLE_SECONDS - 60);
      expect(maxAge(refreshed)).toBeLessThanOrEqual(IDLE_SECONDS);
    }
    // Near the 30-day absolute expiry the cookie is cut to what is left of it (day 24: 6 days).
    ctx.clock.advance(6 * DAY);
    const late = await client.get("/api/auth/session");
    expect(maxAge(sessionCookie(late))).toBeGreaterThan(6 * DAY - 60);
    expect(maxAge(sessionCookie(late))).toBeLessThanOrEqual(6 * DAY);
  });

  it("ends a session 30 days after sign-in even when it is used every day", async () => {
    const { client } = await signIn();
    for (let day = 1; day <= 29; day++) {
      ctx.clock.advance(DAY);
      expect((await client.get("/api/auth/session")).status, `day ${day}`).toBe(200);
    }
    ctx.clock.advance(DAY - 60);
    const lastMinute = await client.get("/api/auth/session");
    expect(lastMinute.status).toBe(200);
    // The cookie never outlives the absolute expiry.
    expect(Date.parse(lastMinute.body.session.expiresAt) - ctx.clock.now().getTime()).toBeLessThanOrEqual(60_000);
    ctx.clock.advance(61);
    expect((await client.get("/api/auth/session")).status).toBe(401);
  });
});
