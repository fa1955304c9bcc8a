import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RateLimitPolicy } from "../../src/core/limits";
import type { DatabaseHandle } from "../../src/db/client";
import { pgliteDatabase } from "../helpers/databases";
import { createRateLimiter } from "../../src/db/rate-limiter";
import { rateLimits } from "../../src/db/schema";
import { PGLITE_OPEN_TIMEOUT_MS } from "./support/core";

let handle: DatabaseHandle;
let limiter: ReturnType<typeof createRateLimiter>;

beforeAll(async () => {
  handle = await pgliteDatabase.open();
  limiter = createRateLimiter({ db: handle.db });
}, PGLITE_OPEN_TIMEOUT_MS);

afterAll(async () => {
  await handle?.close();
});

/** A policy of its own per test, so counters never carry over. */
function policy(points: number, durationSeconds = 600): RateLimitPolicy {
  return { name: `unit_${randomBytes(4).toString("hex")}`, points, durationSeconds };
}

describe("createRateLimiter (RateLimiterDrizzle on PGlite)", () => {
  it("allows up to the points, then refuses with a retry delay", async () => {
    const p = policy(3, 120);
    for (let i = 0; i < 3; i++)
      expect(await limiter.consume(p, "203.0.113.7"), `attempt ${i + 1}`).toEqual({ allowed: true });
    const refused = await limiter.consume(p, "203.0.113.7");
    expect(refused.allowed).toBe(false);
    if (refused.allowed) return;
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(120);
    expect(Number.isInteger(refused.retryAfterSeconds)).toBe(true);
    // Still refused on the next try.
    expect((await limiter.consume(p, "203.0.113.7")).allowed).toBe(false);
  });

  it("counts keys separately", async () => {
    const p = policy(1);
    expect((await limiter.consume(p, "a@example.com")).allowed).toBe(true);
    expect((await limiter.consume(p, "a@example.com")).allowed).toBe(false);
    expect((await limiter.consume(p, "b@example.com")).allowed).toBe(true);
  });

  it("counts policies separately for the same key", async () => {
    const p = policy(1);
    const q = policy(1);
    expect((await limiter.consume(p, "k")).allowed).toBe(true);
    expect((await limiter.consume(p, "k")).allowed).toBe(false);
    expect((await limiter.consume(q, "k")).allowed).toBe(true);
  });

  it("reset clears the counter for that key only", async () => {
    const p = policy(2);
    await limiter.consume(p, "reset-me");
    await limiter.consume(p, "reset-me");
    await limiter.consume(p, "keep-me");
    await limiter.consume(p, "keep-me");
    expect((await limiter.consume(p, "reset-me")).allowed).toBe(false);

    await limiter.reset(p, "reset-me");
    expect((await limiter.consume(p, "reset-me")).allowed).toBe(true);
    expect((await limiter.consume(p, "reset-me")).allowed).toBe(true);
    expect((await limiter.consume(p, "reset-me")).allowed).toBe(false);
    expect((await limiter.consume(p, "keep-me")).allowed).toBe(false);
  });

  it("reset of a key that was never used is harmless", async () => {
    await expect(limiter.reset(policy(1), "never-seen")).resolves.toBeUndefined();
  });

  it("never allows more than the points under concurrency", async () => {
    const p = policy(5);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => limiter.consume(p, "burst")));
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(5);
  });

  it("stores counters in the rate_limits table and purgeExpired keeps live ones", async () => {
    const p = policy(2, 3600);
    await limiter.consume(p, "stored");
    const rows = await handle.db.select().from(rateLimits);
    expect(rows.some((row) => row.key.includes(p.name) && row.key.includes("stored"))).toBe(true);
    await limiter.purgeExpired();
    expect((await limiter.consume(p, "stored")).allowed).toBe(true);
    expect((await limiter.consume(p, "stored")).allowed).toBe(false);
  });
});
