import { and, eq, isNull, lte, sql } from "drizzle-orm";
import type { SignInThrottleStore } from "../../core/repository";
import type { Database } from "../client";
import { signInThrottles } from "../schema";

/** retry_at of a throttle row whose policy imposes no wait yet. */
const NO_WAIT = new Date(0);

export function signInThrottleStore(db: Database): SignInThrottleStore {
  return {
    async claimSignInAttempt(key, { now, delaySchedule, lockAfterFailures }) {
      // The upsert's WHERE is the throttle: a locked row, or one still inside its delay, is left untouched and
      // returns nothing. The row lock serialises concurrent attempts, so each sees the previous one's count.
      const schedule = `{${delaySchedule.map((n) => Math.trunc(n)).join(",")}}`;
      const next = sql`least(${signInThrottles.failures} + 1, ${delaySchedule.length})`;
      const [row] = await db
        .insert(signInThrottles)
        .values({
          key,
          failures: 1,
          retryAt: delaySchedule[0] ? new Date(now.getTime() + delaySchedule[0] * 1000) : NO_WAIT,
          lockedAt: lockAfterFailures <= 1 ? now : null,
          lastAttemptAt: now,
        })
        .onConflictDoUpdate({
          target: signInThrottles.key,
          set: {
            failures: sql`${signInThrottles.failures} + 1`,
            // No delay is stored as the epoch, not as `now`: a concurrent attempt whose clock read came a moment
            // earlier would otherwise see `retry_at > now` and be refused though the policy imposes no wait.
            retryAt: sql`case when (${schedule}::int[])[${next}] = 0 then ${NO_WAIT}::timestamptz else ${now}::timestamptz + make_interval(secs => (${schedule}::int[])[${next}]) end`,
            lockedAt: sql`case when ${signInThrottles.failures} + 1 >= ${lockAfterFailures} then ${now}::timestamptz end`,
            lastAttemptAt: now,
          },
          setWhere: and(isNull(signInThrottles.lockedAt), lte(signInThrottles.retryAt, now)),
        })
        .returning({
          failures: signInThrottles.failures,
          retryAt: signInThrottles.retryAt,
          lockedAt: signInThrottles.lockedAt,
        });
      return row ?? null;
    },
    async findSignInThrottle(key) {
      const [row] = await db
        .select({
          failures: signInThrottles.failures,
          retryAt: signInThrottles.retryAt,
          lockedAt: signInThrottles.lockedAt,
        })
        .from(signInThrottles)
        .where(eq(signInThrottles.key, key));
      return row ?? null;
    },
    async deleteSignInThrottle(key) {
      await db.delete(signInThrottles).where(eq(signInThrottles.key, key));
    },
  };
}
