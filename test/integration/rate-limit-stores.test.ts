import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomId } from "../../src/core/crypto";
import type { RateLimitPolicy } from "../../src/core/limits";
import { createRateLimiter } from "../../src/db/rate-limiter";
import type { DatabaseHandle } from "../../src/db/client";
import { databases } from "../helpers/databases";

const policy = (): RateLimitPolicy => ({ name: `test_${randomId(6)}`, points: 3, durationSeconds: 60 });

type Store = {
  name: string;
  open(): Promise<{ limiter: ReturnType<typeof createRateLimiter>; close(): Promise<void> }>;
};

const stores: Store[] = [
  ...databases.map((database) => ({
    name: database.kind,
    async open() {
      const handle: DatabaseHandle = await database.open();
      return { limiter: createRateLimiter({ db: handle.db }), close: () => handle.close() };
    },
  })),
  {
    // REDIS_URL: several instances share counters.
    name: "redis",
    async open() {
      const handle = await databases[0]!.open();
      const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
      return {
        limiter: createRateLimiter({ db: handle.db, redis }),
        async close() {
          redis.disconnect();
          await handle.close();
        },
      };
    },
  },
];

for (const store of stores) {
  describe(`rate limiter [${store.name}]`, () => {
    let opened: Awaited<ReturnType<Store["open"]>>;
    // Opening and migrating a database takes seconds on a loaded machine (parallel files): more than the 10 s default.
    beforeAll(async () => {
      opened = await store.open();
    }, 60_000);
    afterAll(() => opened.close());

    it("allows the policy's points, then refuses with a retry-after within the window", async () => {
      const p = policy();
      for (let i = 0; i < 3; i++) expect(await opened.limiter.consume(p, "k")).toEqual({ allowed: true });
      const refused = await opened.limiter.consume(p, "k");
      expect(refused.allowed).toBe(false);
      if (!refused.allowed) {
        expect(refused.retryAfterSeconds).toBeGreaterThan(0);
        expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
      }
    });

    it("counts keys and policies separately", async () => {
      const p = policy();
      for (let i = 0; i < 3; i++) await opened.limiter.consume(p, "a");
      expect((await opened.limiter.consume(p, "a")).allowed).toBe(false);
      expect((await opened.limiter.consume(p, "b")).allowed).toBe(true);
      expect((await opened.limiter.consume(policy(), "a")).allowed).toBe(true);
    });

    it("reset clears the counter (a successful sign-in forgives earlier failures)", async () => {
      const p = policy();
      for (let i = 0; i < 3; i++) await opened.limiter.consume(p, "k");
      await opened.limiter.reset(p, "k");
      expect((await opened.limiter.consume(p, "k")).allowed).toBe(true);
    });

    it("is atomic under concurrency: 20 parallel consumes of 3 points allow exactly 3", async () => {
      const p = policy();
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => opened.limiter.consume(p, "burst")));
      expect(outcomes.filter((o) => o.allowed)).toHaveLength(3);
    });
  });
}
