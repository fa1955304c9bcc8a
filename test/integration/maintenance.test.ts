import { expect, it } from "vitest";
import { randomId } from "../../src/core/crypto";
import { purgeExpired } from "../../src/db/maintenance";
import {
  challenges,
  oneTimeTokens,
  passkeyCeremonies,
  sessions,
  signInThrottles,
  totpCredentials,
  trustedBrowsers,
  users,
} from "../../src/db/schema";
import { forEachDatabase } from "../helpers/databases";

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const IDLE_SECONDS = 7 * 24 * 3600;

forEachDatabase("purgeExpired", (ctx) => {
  it("deletes only what can never be used again", async () => {
    const now = new Date("2030-06-01T12:00:00Z");
    const at = (ms: number) => new Date(now.getTime() + ms);
    const userId = randomId();
    await ctx.db.insert(users).values({ id: userId, email: `${userId}@example.com`, name: "Purge" });

    const session = (id: string, lastSeenAt: Date, expiresAt: Date) => ({
      id,
      secretHash: Buffer.alloc(32),
      userId,
      lastSeenAt,
      expiresAt,
      createdAt: at(-10 * DAY),
    });
    await ctx.db
      .insert(sessions)
      .values([
        session("live", at(-HOUR), at(20 * DAY)),
        session("past-absolute", at(-HOUR), at(-1)),
        session("idle", at(-8 * DAY), at(20 * DAY)),
      ]);
    const token = (id: string, expiresAt: Date, usedAt: Date | null) => ({
      id,
      purpose: "verify_email" as const,
      userId,
      secretHash: Buffer.alloc(32),
      email: "x@example.com",
      expiresAt,
      usedAt,
      createdAt: at(-3 * DAY),
    });
    await ctx.db
      .insert(oneTimeTokens)
      .values([
        token("fresh", at(HOUR), null),
        token("just-expired", at(-HOUR), null),
        token("long-expired", at(-2 * DAY), null),
        token("just-used", at(HOUR), at(-HOUR)),
        token("long-used", at(HOUR), at(-2 * DAY)),
      ]);
    const challenge = (id: string, expiresAt: Date, completedAt: Date | null) => ({
      id,
      purpose: "sign_in" as const,
      userId,
      expiresAt,
      completedAt,
    });
    await ctx.db
      .insert(challenges)
      .values([
        challenge("open", at(5 * 60_000), null),
        challenge("expired", at(-1), null),
        challenge("done", at(5 * 60_000), at(-60_000)),
      ]);

    const ceremony = (id: string, expiresAt: Date, usedAt: Date | null) => ({
      id,
      purpose: "sign_in" as const,
      challenge: `challenge-${id}`,
      expiresAt,
      usedAt,
    });
    await ctx.db
      .insert(passkeyCeremonies)
      .values([
        ceremony("pending", at(60_000), null),
        ceremony("lapsed", at(-1), null),
        ceremony("spent", at(60_000), at(-1)),
      ]);
    const trusted = (id: string, expiresAt: Date) => ({ id, userId, secretHash: Buffer.alloc(32), expiresAt });
    await ctx.db.insert(trustedBrowsers).values([trusted("trusted", at(DAY)), trusted("stale", at(-1))]);
    const otherId = randomId();
    await ctx.db.insert(users).values({ id: otherId, email: `${otherId}@example.com`, name: "Purge" });
    await ctx.db.insert(totpCredentials).values([
      { userId, secret: Buffer.alloc(40), createdAt: at(-2 * DAY) },
      { userId: otherId, secret: Buffer.alloc(40), createdAt: at(-2 * DAY), confirmedAt: at(-2 * DAY) },
    ]);

    expect(await purgeExpired(ctx.db, now, IDLE_SECONDS)).toEqual({
      sessions: 2,
      linkTokens: 2,
      challenges: 2,
      signInThrottles: 0,
      passkeyCeremonies: 2,
      trustedBrowsers: 1,
      totpSetups: 1,
    });
    expect((await ctx.db.select({ id: passkeyCeremonies.id }).from(passkeyCeremonies)).map((r) => r.id)).toEqual([
      "pending",
    ]);
    expect((await ctx.db.select({ id: trustedBrowsers.id }).from(trustedBrowsers)).map((r) => r.id)).toEqual([
      "trusted",
    ]);
    // A confirmed app is never purged, however old.
    expect((await ctx.db.select({ id: totpCredentials.userId }).from(totpCredentials)).map((r) => r.id)).toEqual([
      otherId,
    ]);
    expect((await ctx.db.select({ id: sessions.id }).from(sessions)).map((r) => r.id)).toEqual(["live"]);
    expect((await ctx.db.select({ id: oneTimeTokens.id }).from(oneTimeTokens)).map((r) => r.id).sort()).toEqual([
      "fresh",
      "just-expired",
      "just-used",
    ]);
    expect((await ctx.db.select({ id: challenges.id }).from(challenges)).map((r) => r.id)).toEqual(["open"]);
    // Nothing left to do on a second run.
    expect(await purgeExpired(ctx.db, now, IDLE_SECONDS)).toEqual({
      sessions: 0,
      linkTokens: 0,
      challenges: 0,
      signInThrottles: 0,
      passkeyCeremonies: 0,
      trustedBrowsers: 0,
      totpSetups: 0,
    });
  });

  it("forgets an unlocked sign-in throttle 30 days after its last attempt, keeps younger ones, and never drops a lock", async () => {
    const now = new Date("2030-06-01T12:00:00Z");
    const at = (ms: number) => new Date(now.getTime() + ms);
    const throttle = (key: string, lastAttemptAt: Date, locked: boolean) => ({
      key,
      failures: locked ? 100 : 7,
      retryAt: lastAttemptAt,
      lockedAt: locked ? lastAttemptAt : null,
      lastAttemptAt,
    });
    await ctx.db
      .insert(signInThrottles)
      .values([
        throttle("locked-quiet", at(-31 * DAY), true),
        throttle("counting-quiet", at(-30 * DAY - HOUR), false),
        throttle("locked-recent", at(-29 * DAY), true),
        throttle("counting-recent", at(-HOUR), false),
      ]);
    expect(await purgeExpired(ctx.db, now, IDLE_SECONDS)).toEqual({
      sessions: 0,
      linkTokens: 0,
      challenges: 0,
      signInThrottles: 1,
      passkeyCeremonies: 0,
      trustedBrowsers: 0,
      totpSetups: 0,
    });
    expect((await ctx.db.select({ key: signInThrottles.key }).from(signInThrottles)).map((r) => r.key).sort()).toEqual([
      "counting-recent",
      "locked-quiet",
      "locked-recent",
    ]);
  });
});
