import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { AccountRecoveryStore } from "../../core/repository";
import type { Database } from "../client";
import {
  accountRecoveries,
  passkeyCeremonies,
  passkeys,
  recoveryCodes,
  totpCredentials,
  trustedBrowsers,
  users,
} from "../schema";
import { returnedOne } from "./returned-one";
import { updateUser } from "./users";

const isOpen = and(isNull(accountRecoveries.completedAt), isNull(accountRecoveries.cancelledAt));

export function accountRecoveryStore(db: Database): AccountRecoveryStore {
  return {
    async insertAccountRecovery(recovery) {
      await db.insert(accountRecoveries).values(recovery);
    },
    async findOpenAccountRecovery(userId, credentialsVersion) {
      // A recovery started under older credentials is void: a password, email or factor change since then means
      // the owner acted, and whoever started it no longer holds what they proved.
      const [row] = await db
        .select()
        .from(accountRecoveries)
        .where(
          and(
            eq(accountRecoveries.userId, userId),
            eq(accountRecoveries.credentialsVersion, credentialsVersion),
            isOpen,
          ),
        )
        .orderBy(desc(accountRecoveries.requestedAt))
        .limit(1);
      return row ?? null;
    },
    async completeAccountRecovery(id, userId, credentialsVersion, now) {
      // Race closed: a password change (or the owner's second-factor sign-in cancelling this) committing between
      // the sign-in's checks and the reset. The user row is locked and its version compared in this statement, and
      // the caller bumps the version next, so of two sign-ins racing to finish one recovery only one resets.
      const completed = await db.execute(sql`
        with current_user_row as (
          select id from ${users} where id = ${userId} and credentials_version = ${credentialsVersion} for update
        )
        update ${accountRecoveries} set completed_at = ${now}::timestamptz
        where id = ${id} and user_id in (select id from current_user_row)
          and credentials_version = ${credentialsVersion}
          and completed_at is null and cancelled_at is null and ready_at <= ${now}::timestamptz
        returning id`);
      return returnedOne(completed);
    },
    async cancelAccountRecoveries(userId, now) {
      const cancelled = await db
        .update(accountRecoveries)
        .set({ cancelledAt: now })
        .where(and(eq(accountRecoveries.userId, userId), isOpen))
        .returning({ id: accountRecoveries.id });
      return cancelled.length;
    },
    async resetSecondFactors(userId) {
      await db.delete(totpCredentials).where(eq(totpCredentials.userId, userId));
      await db.delete(passkeys).where(eq(passkeys.userId, userId));
      await db.delete(passkeyCeremonies).where(eq(passkeyCeremonies.userId, userId));
      await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      await db.delete(trustedBrowsers).where(eq(trustedBrowsers.userId, userId));
      // The counters the session check reads, recomputed from the rows just deleted: nothing is left.
      return updateUser(db, userId, {
        twoFactorSms: false,
        twoFactorTotp: false,
        passkeyCount: 0,
        recoveryCodesLeft: 0,
      });
    },
  };
}
