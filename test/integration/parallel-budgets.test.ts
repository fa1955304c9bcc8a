import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { newChallenge, verifyChallenge } from "../../src/core/challenges";
import type { Challenge } from "../../src/core/types";
import { outboxMessages } from "../../src/db/schema";
import {
  forEachServer,
  lastEmail,
  lastSms,
  randomIp,
  type ServerContext,
  signedUpUser,
  twoFactorUser,
  uniqueEmail,
} from "../helpers/harness";

/**
 * Issue 9, item 2: every budget that guards a password or code check is reserved before the check, in one
 * atomic step, so N parallel requests cannot all see "budget left". Before, the known-device and per-IP
 * failure budgets were peeked before the hash and spent after it (40 parallel guesses: 39 checked, the 40th
 * signed in), the account's wrong-code budget was spent after the comparison, and the resend cooldown was read
 * and then written. Each test fires the burst at once and counts what got through.
 */

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

async function smsCount(ctx: ServerContext, phone: string) {
  return (
    await ctx.server.database.db
      .select({ id: outboxMessages.id })
      .from(outboxMessages)
      .where(and(eq(outboxMessages.recipient, phone), eq(outboxMessages.channel, "sms")))
  ).length;
}

forEachServer("budgets under parallel requests", (ctx) => {
  it("a known device's 10 failures an hour: 40 parallel guesses get 10 password checks, and the right password is refused after", async () => {
    const owner = await signedUpUser(ctx);
    const device = ctx.client();
    expect((await device.post("/api/auth/sign-in", { email: owner.email, password: owner.password })).status).toBe(200);
    expect(device.deviceCookie).toBeDefined();
    await device.post("/api/auth/sign-out");
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        device.post("/api/auth/sign-in", { email: owner.email, password: `wrong guess number ${i}` }),
      ),
    );
    const statuses = guesses.map((g) => g.status);
    expect(count(statuses, 401)).toBe(10);
    expect(count(statuses, 429)).toBe(30);
    const right = await device.post("/api/auth/sign-in", { email: owner.email, password: owner.password });
    expect(right.status).toBe(429);
    expect(device.cookie).toBeUndefined();
  });

  it("an IP's 30 failures an hour: 60 parallel guesses at 60 addresses get 30 password checks", async () => {
    const ip = randomIp();
    const clients = Array.from({ length: 60 }, () => ctx.client({ ip }));
    const guesses = await Promise.all(
      clients.map((client, i) =>
        client.post("/api/auth/sign-in", { email: uniqueEmail(`spray${i}`), password: "Summer2026!summer" }),
      ),
    );
    const statuses = guesses.map((g) => g.status);
    expect(count(statuses, 401)).toBe(30);
    expect(count(statuses, 429)).toBe(30);
  });

  it("the owner does not pay for it: 60 correct sign-ins, three at a time, all succeed", async () => {
    const owner = await signedUpUser(ctx);
    const statuses: number[] = [];
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all(
        Array.from({ length: 3 }, () =>
          ctx.client().post("/api/auth/sign-in", { email: owner.email, password: owner.password }),
        ),
      );
      statuses.push(...answers.map((a) => a.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it("a correct sign-in gives back the failure budget it reserved: 35 right passwords from one IP leave room for wrong ones", async () => {
    const owner = await signedUpUser(ctx);
    const ip = randomIp();
    for (let i = 0; i < 35; i++)
      expect(
        (await ctx.client({ ip }).post("/api/auth/sign-in", { email: owner.email, password: owner.password })).status,
      ).toBe(200);
    expect(
      (await ctx.client({ ip }).post("/api/auth/sign-in", { email: uniqueEmail(), password: "not the password" }))
        .status,
    ).toBe(401);
  });

  it("the account's wrong-code budget: 50 parallel wrong codes over 10 challenges get 10 comparisons and one email", async () => {
    const owner = await twoFactorUser(ctx);
    const user = (await ctx.server.deps.repo.findUserById(owner.user.id))!;
    const now = ctx.clock.now();
    const challenges: Challenge[] = [];
    for (let i = 0; i < 10; i++) {
      const challenge = newChallenge(ctx.server.deps, user, "sign_in", owner.phone, {
        ip: randomIp(),
        userAgent: null,
      });
      expect(await ctx.server.deps.repo.insertChallenge(challenge)).toBe(true);
      // A code whose HMAC no 6-digit guess matches.
      challenges.push(
        (await ctx.server.deps.repo.recordCodeSent(challenge.id, {
          codeHash: Buffer.alloc(32, 7),
          codeExpiresAt: new Date(now.getTime() + 300_000),
          resendAt: now,
        }))!,
      );
    }
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        verifyChallenge(
          ctx.server.deps,
          challenges[i % 10]!,
          { method: "sms", code: String(100000 + i) },
          {
            ip: randomIp(),
            userAgent: null,
          },
        ),
      ),
    );
    const codes = results.map((r) => (r.ok ? "ok" : r.code));
    expect(codes.filter((c) => c === "invalid_code")).toHaveLength(10);
    expect(codes.filter((c) => c === "too_many_attempts")).toHaveLength(40);
    const emails = await ctx.server.database.db
      .select({ id: outboxMessages.id })
      .from(outboxMessages)
      .where(and(eq(outboxMessages.recipient, owner.email), eq(outboxMessages.template, "code_entry_blocked")));
    expect(emails).toHaveLength(1);
  });

  it("the resend cooldown: 50 parallel resends of one challenge send one text", async () => {
    const owner = await twoFactorUser(ctx);
    const browser = ctx.client();
    const signIn = await browser.post("/api/auth/sign-in", { email: owner.email, password: owner.password });
    expect(signIn.body.twoFactorRequired, signIn.text).toBe(true);
    ctx.clock.advance(61);
    try {
      const before = await smsCount(ctx, owner.phone);
      const resends = await Promise.all(
        Array.from({ length: 50 }, () => browser.post("/api/auth/two-factor/send", { method: "sms" })),
      );
      const statuses = resends.map((r) => r.status);
      expect(count(statuses, 202)).toBe(1);
      expect(resends.filter((r) => r.status === 429).every((r) => r.body.error.code === "resend_too_soon")).toBe(true);
      expect(await smsCount(ctx, owner.phone)).toBe(before + 1);
    } finally {
      ctx.clock.reset();
    }
  });

  it("a known-device cookie stops counting as known after a password reset (a thief's old device meets the delays)", async () => {
    const owner = await signedUpUser(ctx);
    const thief = ctx.client();
    expect((await thief.post("/api/auth/sign-in", { email: owner.email, password: owner.password })).status).toBe(200);
    await thief.post("/api/auth/sign-out");
    expect((await ctx.client().post("/api/auth/forgot-password", { email: owner.email })).status).toBe(202);
    await ctx.server.settle();
    const reset = await ctx.client().post("/api/auth/reset-password", {
      token: (await lastEmail(ctx.server, owner.email, /reset/i))!.token,
      password: "the owner's new passphrase",
    });
    expect(reset.status).toBe(204);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await thief.post("/api/auth/sign-in", { email: owner.email, password: `guess ${i} of the new one` })).status,
      );
    // 4 free failures, then a wait: a device still "known" would have had 10 failures with no wait.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("sends no more texts than the per-number budget when sign-ins from many browsers race", async () => {
    const owner = await twoFactorUser(ctx);
    const before = await smsCount(ctx, owner.phone);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        ctx.client().post("/api/auth/sign-in", { email: owner.email, password: owner.password }),
      ),
    );
    // Sign-in codes have the number's 5 per 10 minutes to themselves (its verification code is counted apart).
    expect((await smsCount(ctx, owner.phone)) - before).toBeLessThanOrEqual(5);
    expect(await lastSms(ctx.server, owner.phone)).not.toBeNull();
  });

  it("a password change re-issues this browser's known-device cookie for the new password; other devices become strangers", async () => {
    const owner = await signedUpUser(ctx);
    const elsewhere = ctx.client();
    expect((await elsewhere.post("/api/auth/sign-in", { email: owner.email, password: owner.password })).status).toBe(
      200,
    );
    const before = owner.client.deviceCookie;
    const changed = await owner.client.post("/api/account/password", {
      currentPassword: owner.password,
      newPassword: "the owner's next passphrase",
    });
    expect(changed.status, changed.text).toBe(204);
    expect(owner.client.deviceCookie).toBeDefined();
    expect(owner.client.deviceCookie).not.toBe(before);
    await owner.client.post("/api/auth/sign-out");
    const mine: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < 6; i++)
      mine.push(
        (await owner.client.post("/api/auth/sign-in", { email: owner.email, password: `my typo ${i}` })).status,
      );
    for (let i = 0; i < 6; i++)
      theirs.push(
        (await elsewhere.post("/api/auth/sign-in", { email: owner.email, password: `their guess ${i}` })).status,
      );
    // The owner's browser is still known (its own budget, no waits); the other one meets the address's delays.
    expect(mine).toEqual([401, 401, 401, 401, 401, 401]);
    expect(theirs.slice(-1)).toEqual([429]);
  });
});
