import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { OneTimeTokenStore } from "../../core/repository";
import type { Database } from "../client";
import { oneTimeTokens } from "../schema";

export function oneTimeTokenStore(db: Database): OneTimeTokenStore {
  return {
    async insertToken(token) {
      await db.insert(oneTimeTokens).values(token);
    },
    async findToken(id) {
      const [row] = await db.select().from(oneTimeTokens).where(eq(oneTimeTokens.id, id));
      return row ?? null;
    },
    async findNewestPendingToken(userId, purpose, now) {
      const [row] = await db
        .select()
        .from(oneTimeTokens)
        .where(
          and(
            eq(oneTimeTokens.userId, userId),
            eq(oneTimeTokens.purpose, purpose),
            isNull(oneTimeTokens.usedAt),
            gt(oneTimeTokens.expiresAt, now),
          ),
        )
        .orderBy(desc(oneTimeTokens.createdAt))
        .limit(1);
      return row ?? null;
    },
    async consumeToken(id, now) {
      const used = await db
        .update(oneTimeTokens)
        .set({ usedAt: now })
        .where(and(eq(oneTimeTokens.id, id), isNull(oneTimeTokens.usedAt), gt(oneTimeTokens.expiresAt, now)))
        .returning({ id: oneTimeTokens.id });
      return used.length === 1;
    },
    async invalidateTokens(userId, purpose) {
      await db
        .update(oneTimeTokens)
        .set({ usedAt: sql`now()` })
        .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt)));
    },
  };
}
