import { eq, sql } from "drizzle-orm";
import type { RecoveryCodeStore } from "../../core/repository";
import type { Database } from "../client";
import { recoveryCodes, users } from "../schema";
import { returnedOne } from "./returned-one";
import { updateUser } from "./users";

export function recoveryCodeStore(db: Database): RecoveryCodeStore {
  return {
    async replaceRecoveryCodes(userId, codes, now) {
      await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      await db
        .insert(recoveryCodes)
        .values(codes.map(({ id, codeHash }) => ({ id, userId, codeHash, createdAt: now })));
      return updateUser(db, userId, { recoveryCodesLeft: codes.length });
    },
    async spendRecoveryCode(userId, codeHash, now) {
      // One statement: of any number of concurrent uses of one code, the row lock lets exactly one see it unused,
      // and the count on the user row drops with it.
      const used = await db.execute(sql`
        with used as (
          update ${recoveryCodes} set used_at = ${now}::timestamptz
          where user_id = ${userId} and code_hash = ${codeHash} and used_at is null
          returning user_id
        )
        update ${users} set recovery_codes_left = greatest(recovery_codes_left - 1, 0), updated_at = now()
        where id = ${userId} and exists (select 1 from used)
        returning id`);
      return returnedOne(used);
    },
    async deleteRecoveryCodes(userId) {
      await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      return updateUser(db, userId, { recoveryCodesLeft: 0 });
    },
  };
}
