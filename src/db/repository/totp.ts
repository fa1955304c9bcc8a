import { and, eq, isNull, sql } from "drizzle-orm";
import type { TotpStore } from "../../core/repository";
import type { TotpCredential } from "../../core/types";
import type { Database } from "../client";
import { totpCredentials } from "../schema";
import { updateUser } from "./users";

const toCredential = (row: typeof totpCredentials.$inferSelect): TotpCredential => ({
  userId: row.userId,
  sealedSecret: row.secret,
  confirmedAt: row.confirmedAt,
  lastUsedStep: row.lastUsedStep,
  createdAt: row.createdAt,
});

export function totpStore(db: Database): TotpStore {
  return {
    async findTotp(userId) {
      const [row] = await db.select().from(totpCredentials).where(eq(totpCredentials.userId, userId));
      return row ? toCredential(row) : null;
    },
    async saveTotpSetup(userId, sealedSecret, now) {
      const saved = await db
        .insert(totpCredentials)
        .values({ userId, secret: sealedSecret, createdAt: now })
        .onConflictDoUpdate({
          target: totpCredentials.userId,
          set: { secret: sealedSecret, createdAt: now, lastUsedStep: null },
          setWhere: isNull(totpCredentials.confirmedAt),
        })
        .returning({ userId: totpCredentials.userId });
      return saved.length === 1;
    },
    async confirmTotp(userId, sealedSecret, step, now) {
      const [confirmed] = await db
        .update(totpCredentials)
        .set({ confirmedAt: now, lastUsedStep: step })
        .where(
          and(
            eq(totpCredentials.userId, userId),
            isNull(totpCredentials.confirmedAt),
            eq(totpCredentials.secret, sealedSecret),
          ),
        )
        .returning({ userId: totpCredentials.userId });
      return confirmed ? updateUser(db, userId, { twoFactorTotp: true }) : null;
    },
    async claimTotpStep(userId, step) {
      const used = await db
        .update(totpCredentials)
        .set({ lastUsedStep: step })
        .where(
          and(
            eq(totpCredentials.userId, userId),
            sql`${totpCredentials.confirmedAt} is not null`,
            sql`(${totpCredentials.lastUsedStep} is null or ${totpCredentials.lastUsedStep} < ${step})`,
          ),
        )
        .returning({ userId: totpCredentials.userId });
      return used.length === 1;
    },
    async deleteTotp(userId) {
      await db.delete(totpCredentials).where(eq(totpCredentials.userId, userId));
      return updateUser(db, userId, { twoFactorTotp: false });
    },
  };
}
