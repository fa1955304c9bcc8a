import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { normalizeEmail } from "../../src/core/present";
import { claimAddressAttempt, signInThrottlePolicy, throttleDelaySeconds } from "../../src/core/sign-in-throttle";
import { limits } from "../../src/core/limits";
import { securityEvents } from "../../src/db/schema";
import { forEachServer, lastEmail, signedUpUser, type TestClient, uniqueEmail } from "../helpers/harness";

const LOCK_AT = signInThrottlePolicy.lockAfterFailures;

describe("throttle schedule", () => {
  it("is free for 4 failures, then doubles from 1 s up to 5 minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 13, 14, 99].map(throttleDelaySeconds)).toEqual([0, 0, 0, 0, 1, 2, 4, 256, 300, 300]);
  });

  it("lets an attacker reach the lock no sooner than after hours of patient guessing", () => {
    let seconds = 0;
    for (let failures = 1; failures < LOCK_AT; failures++) seconds += throttleDelaySeconds(failures);
    expect(seconds / 3600).toBeGreaterThan(6);
  });
});

forEachServer("password sign-in throttling", (ctx) => {
  /** Each attempt from a fresh browser and IP, so only the per-address throttle is in play. */
  const attempt = (email: string, password: string, client: TestClient = ctx.client()) =>
    client.post("/api/auth/sign-in", { email, password });

  /** `count` failed attempts, moving the clock past each delay as a patient attacker would. */
  async function failRepeatedly(email: string, count: number) {
    for (let i = 0; i < count; i++) {
      const response = await attempt(email, `wrong guess ${i}`);
      if (response.status === 429) {
        ctx.clock.advance(Number(response.headers.get("retry-after")));
        i--;
        continue;
      }
      expect(response.status, response.text).toBe(401);
    }
  }

  /**
   * The first 99 failures of a run, counted through the same claim that sign-in makes (without 99 argon2id
   * verifies per test), then the 100th as a real wrong password over HTTP.
   */
  async function failUpToTheLock(email: string) {
    const { deps } = ctx.server;
    for (let i = 1; i < LOCK_AT; i++) {
      const claim = await claimAddressAttempt(deps, normalizeEmail(email));
      expect(claim.allowed).toBe(true);
      ctx.clock.advance(throttleDelaySeconds(i));
    }
    await failRepeatedly(email, 1);
  }

  const eventsOf = async (userId: string) =>
    (
      await ctx.server.database.db
        .select({ type: securityEvents.type })
        .from(securityEvents)
        .where(eq(securityEvents.userId, userId))
    ).map((e) => e.type);

  it("makes the next attempt wait after 4 failures, even with the right password, then lets it through", async () => {
    const { email, password } = await signedUpUser(ctx);
    await failRepeatedly(email, 5);
    const waiting = await attempt(email, password);
    expect(waiting.status).toBe(429);
    expect(waiting.headers.get("retry-after")).toBe("1");
    expect(waiting.body.error.code).toBe("rate_limited");
    ctx.clock.advance(1);
    expect((await attempt(email, password)).status).toBe(200);
  });

  it("doubles the wait with each further failure", async () => {
    const { email } = await signedUpUser(ctx);
    await failRepeatedly(email, 5);
    const waits: string[] = [];
    for (let i = 0; i < 3; i++) {
      const refused = await attempt(email, "still wrong");
      waits.push(refused.headers.get("retry-after")!);
      ctx.clock.advance(Number(refused.headers.get("retry-after")));
      expect((await attempt(email, `wrong ${i}`)).status).toBe(401);
    }
    expect(waits).toEqual(["1", "2", "4"]);
  });

  it("answers an unknown address exactly like a real one, delays included", async () => {
    const { email } = await signedUpUser(ctx);
    const unknown = uniqueEmail("nobody");
    for (let i = 0; i < 5; i++) {
      const real = await attempt(email, `wrong ${i}`);
      const fake = await attempt(unknown, `wrong ${i}`);
      expect([fake.status, fake.text]).toEqual([real.status, real.text]);
    }
    const real = await attempt(email, "wrong again");
    const fake = await attempt(unknown, "wrong again");
    expect([fake.status, fake.headers.get("retry-after"), fake.text]).toEqual([
      real.status,
      real.headers.get("retry-after"),
      real.text,
    ]);
    expect(real.status).toBe(429);
  });

  it("counts a burst of parallel guesses one by one: only the free attempts and the first delayed one get checked", async () => {
    const { email } = await signedUpUser(ctx);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(email, `parallel guess ${i}`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(signInThrottlePolicy.freeFailures + 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - signInThrottlePolicy.freeFailures - 1);
  });

  describe("after 100 failures in a row", () => {
    async function lockedAccount() {
      const owner = await signedUpUser(ctx);
      await owner.client.post("/api/auth/sign-out");
      await failUpToTheLock(owner.email);
      return owner;
    }

    it("locks sign-in, even with the right password, and emails the owner an unlock link once", async () => {
      // The whole run over HTTP once: 100 real wrong passwords, each delay waited out.
      const { email, password, user } = await signedUpUser(ctx);
      await failRepeatedly(email, LOCK_AT);
      ctx.clock.advance(3600);
      const locked = await attempt(email, password);
      expect(locked.status).toBe(403);
      expect(locked.body.error.code).toBe("account_locked");
      expect(locked.headers.getSetCookie()).toEqual([]);
      const mail = await lastEmail(ctx.server, email, /paused/);
      expect(mail?.link).toMatch(/\/unlock#token=/);
      expect(mail?.body).toContain("100 times");
      expect((await eventsOf(user.id)).filter((t) => t === "sign_in_locked")).toHaveLength(1);
      // Further failures change nothing and send nothing more.
      expect((await attempt(email, "another guess")).status).toBe(403);
      const outbox = await (
        await ctx.server.app.request("http://localhost:3000/api/dev/outbox", {}, { remoteAddress: "127.0.0.1" })
      ).json();
      expect(
        outbox.messages.filter((m: { to: string; subject: string }) => m.to === email && /paused/.test(m.subject)),
      ).toHaveLength(1);
    });

    it("locks an unknown address with the same answer, and emails nobody", async () => {
      const { email } = await lockedAccount();
      const unknown = uniqueEmail("nobody");
      await failUpToTheLock(unknown);
      const real = await attempt(email, "x".repeat(12));
      const fake = await attempt(unknown, "x".repeat(12));
      expect([fake.status, fake.text]).toEqual([real.status, real.text]);
      expect(await lastEmail(ctx.server, unknown)).toBeNull();
    });

    it("still lets the owner in from a browser that signed in before", async () => {
      const owner = await signedUpUser(ctx);
      const usualBrowser = owner.client;
      expect(usualBrowser.deviceCookie).toBeTruthy();
      await usualBrowser.post("/api/auth/sign-out");
      await failUpToTheLock(owner.email);
      expect((await attempt(owner.email, owner.password)).status).toBe(403);

      const signIn = await attempt(owner.email, owner.password, usualBrowser);
      expect(signIn.status).toBe(200);
      // Proven owner: the lock is gone for everyone.
      expect((await attempt(owner.email, owner.password)).status).toBe(200);
    });

    it("does not honour a known-device cookie forged, or issued for another account", async () => {
      const owner = await lockedAccount();
      const other = await signedUpUser(ctx);
      const borrowed = ctx.client();
      borrowed.deviceCookie = other.client.deviceCookie;
      expect((await attempt(owner.email, owner.password, borrowed)).status).toBe(403);
      const forged = ctx.client();
      forged.deviceCookie = `${"A".repeat(22)}.${"B".repeat(43)}`;
      expect((await attempt(owner.email, owner.password, forged)).status).toBe(403);
    });

    it("unlocks with the emailed link, which works once and does not sign in", async () => {
      const { email, password, user } = await lockedAccount();
      const mail = await lastEmail(ctx.server, email, /paused/);
      const browser = ctx.client();
      const unlocked = await browser.post("/api/auth/unlock", { token: mail!.token });
      expect(unlocked.status).toBe(200);
      expect(unlocked.body).toEqual({ status: "unlocked" });
      expect(browser.cookie).toBeUndefined();
      expect((await browser.post("/api/auth/unlock", { token: mail!.token })).body.error.code).toBe("invalid_token");
      expect((await attempt(email, password)).status).toBe(200);
      expect(await eventsOf(user.id)).toContain("sign_in_unlocked");
    });

    it("unlocks with a password reset", async () => {
      const { email } = await lockedAccount();
      await ctx.client().post("/api/auth/forgot-password", { email });
      const reset = await lastEmail(ctx.server, email, /reset/i);
      const newPassword = "a brand new passphrase 42";
      expect(
        (await ctx.client().post("/api/auth/reset-password", { token: reset!.token, password: newPassword })).status,
      ).toBe(204);
      expect((await attempt(email, newPassword)).status).toBe(200);
    });
  });

  it("refuses an unlock token for another purpose, a tampered one and garbage", async () => {
    const { email } = await signedUpUser(ctx);
    await ctx.client().post("/api/auth/forgot-password", { email });
    const reset = await lastEmail(ctx.server, email, /reset/i);
    for (const token of [reset!.token, `${reset!.token}x`, "not-a-token"]) {
      const response = await ctx.client().post("/api/auth/unlock", { token });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("invalid_token");
    }
  });

  it("stops one IP spraying wrong passwords across many accounts, but not other IPs", async () => {
    const sprayer = ctx.client();
    const budget = limits.signInFailuresPerIpHour.points;
    for (let i = 0; i < budget; i++) {
      const response = await attempt(uniqueEmail("spray"), "Summer2024!!", sprayer);
      expect(response.status).toBe(401);
    }
    const { email, password } = await signedUpUser(ctx);
    const refused = await attempt(email, password, sprayer);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await attempt(email, password)).status).toBe(200);
  });

  it("gives a known device its own small budget instead of the account's", async () => {
    const owner = await signedUpUser(ctx);
    const browser = owner.client;
    await browser.post("/api/auth/sign-out");
    const budget = limits.signInFailuresPerDevice.points;
    for (let i = 0; i < budget; i++) expect((await attempt(owner.email, `typo ${i}`, browser)).status).toBe(401);
    expect((await attempt(owner.email, owner.password, browser)).status).toBe(429);
    // Its failures were not counted against the address: a new browser is not delayed.
    expect((await attempt(owner.email, owner.password)).status).toBe(200);
  });

  it("sets the known-device cookie HttpOnly and SameSite=Strict at sign-in, never on a failure", async () => {
    const { email, password } = await signedUpUser(ctx);
    const wrong = await attempt(email, "wrong wrong wrong");
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const right = await attempt(email, password);
    const device = right.headers.getSetCookie().find((line) => line.startsWith("twofold_device="));
    expect(device).toMatch(/HttpOnly/i);
    expect(device).toMatch(/SameSite=Strict/i);
    expect(device).toMatch(/Max-Age=15552000/);
  });
});
