import { and, desc, eq, gt, sql } from "drizzle-orm";
import type { TrustedBrowserStore } from "../../core/repository";
import type { Database } from "../client";
import { trustedBrowsers, users } from "../schema";
import { returnedOne } from "./returned-one";

export function trustedBrowserStore(db: Database): TrustedBrowserStore {
  return {
    async insertTrustedBrowser(browser, credentialsVersion) {
      // Same race as insertSession (./sessions.ts): a password change, reset, email change or 2FA switch deletes
      // the user's trusted browsers after bumping the version. A row written for the old version would outlive
      // that deletion, so it is only written while the version is still the one the sign-in was checked against.
      const inserted = await db.execute(sql`
        insert into ${trustedBrowsers} (id, user_id, secret_hash, ip, user_agent, created_at, last_used_at, expires_at)
        select ${browser.id}, ${users.id}, ${browser.secretHash}, ${browser.ip}, ${browser.userAgent},
               ${browser.createdAt}::timestamptz, ${browser.lastUsedAt}::timestamptz, ${browser.expiresAt}::timestamptz
        from ${users} where ${users.id} = ${browser.userId} and ${users.credentialsVersion} = ${credentialsVersion}
        for share
        returning id`);
      return returnedOne(inserted);
    },
    async findTrustedBrowser(id) {
      const [row] = await db.select().from(trustedBrowsers).where(eq(trustedBrowsers.id, id));
      return row ?? null;
    },
    async touchTrustedBrowser(id, at) {
      await db.update(trustedBrowsers).set({ lastUsedAt: at }).where(eq(trustedBrowsers.id, id));
    },
    async listTrustedBrowsers(userId, now) {
      return db
        .select()
        .from(trustedBrowsers)
        .where(and(eq(trustedBrowsers.userId, userId), gt(trustedBrowsers.expiresAt, now)))
        .orderBy(desc(trustedBrowsers.lastUsedAt));
    },
    async deleteTrustedBrowser(userId, id) {
      const deleted = await db
        .delete(trustedBrowsers)
        .where(and(eq(trustedBrowsers.userId, userId), eq(trustedBrowsers.id, id)))
        .returning({ id: trustedBrowsers.id });
      return deleted.length > 0;
    },
    async deleteUserTrustedBrowsers(userId) {
      const deleted = await db
        .delete(trustedBrowsers)
        .where(eq(trustedBrowsers.userId, userId))
        .returning({ id: trustedBrowsers.id });
      return deleted.length;
    },
  };
}
