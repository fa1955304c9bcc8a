import {
  RateLimiterDrizzle,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterStoreAbstract,
} from "rate-limiter-flexible";
import { lt } from "drizzle-orm";
import type { RateLimiter, RateLimitPolicy } from "../core/limits";
import type { Database } from "./client";
import { rateLimits } from "./schema";

type StoreFactory = (policy: RateLimitPolicy) => RateLimiterStoreAbstract;

/**
 * rate-limiter-flexible over the database (one atomic upsert per check), or over Redis when REDIS_URL is set
 * so that several instances share their counters.
 */
export function createRateLimiter(options: {
  db: Database;
  redis?: unknown;
}): RateLimiter & { purgeExpired(): Promise<void> } {
  const factory: StoreFactory = options.redis
    ? (policy) =>
        new RateLimiterRedis({
          storeClient: options.redis,
          keyPrefix: `twofold:${policy.name}`,
          points: policy.points,
          duration: policy.durationSeconds,
        })
    : (policy) =>
        new RateLimiterDrizzle({
          storeClient: options.db,
          schema: rateLimits,
          keyPrefix: policy.name,
          points: policy.points,
          duration: policy.durationSeconds,
          clearExpiredByTimeout: false,
        });
  const stores = new Map<string, RateLimiterStoreAbstract>();
  const storeFor = (policy: RateLimitPolicy) => {
    let store = stores.get(policy.name);
    if (!store) {
      store = factory(policy);
      stores.set(policy.name, store);
    }
    return store;
  };
  return {
    async consume(policy, key) {
      try {
        await storeFor(policy).consume(key);
        return { allowed: true };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes)
          return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        throw rejection;
      }
    },
    async refund(policy, key) {
      await storeFor(policy).reward(key, 1);
    },
    async reset(policy, key) {
      await storeFor(policy).delete(key);
    },
    async purgeExpired() {
      if (!options.redis) await options.db.delete(rateLimits).where(lt(rateLimits.expire, new Date()));
    },
  };
}
