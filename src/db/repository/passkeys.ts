import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { PasskeyStore } from "../../core/repository";
import type { Database } from "../client";
import { passkeyCeremonies, passkeys, users } from "../schema";
import { updateUser } from "./users";

export function passkeyStore(db: Database): PasskeyStore {
  return {
    async listPasskeys(userId) {
      return db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt));
    },
    async findPasskey(id) {
      const [row] = await db.select().from(passkeys).where(eq(passkeys.id, id));
      return row ?? null;
    },
    async findPasskeyWithOwner(id) {
      const [row] = await db
        .select({ passkey: passkeys, user: users })
        .from(passkeys)
        .innerJoin(users, eq(users.id, passkeys.userId))
        .where(eq(passkeys.id, id));
      return row ?? null;
    },
    async insertPasskey(passkey) {
      // DO NOTHING instead of a unique violation, which would abort the caller's transaction: the caller rolls
      // back itself when the id is taken.
      const inserted = await db
        .insert(passkeys)
        .values(passkey)
        .onConflictDoNothing({ target: passkeys.id })
        .returning({ id: passkeys.id });
      return inserted.length === 1;
    },
    async recordPasskeyUse(id, userId, use) {
      // A non-zero counter that does not move forward is a cloned authenticator (WebAuthn L3 6.1.1): refused.
      // Authenticators that keep no counter (most synced passkeys) report 0 every time.
      const movesForward = use.newCounter > use.previousCounter || (use.newCounter === 0 && use.previousCounter === 0);
      if (!movesForward) return false;
      // Race closed: two requests carrying copies of one assertion both passed the signature check against the
      // same stored counter. The counter they saw is compared in the update itself, so only one moves it.
      const updated = await db
        .update(passkeys)
        .set({ counter: use.newCounter, backedUp: use.backedUp, lastUsedAt: use.at })
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId), eq(passkeys.counter, use.previousCounter)))
        .returning({ id: passkeys.id });
      return updated.length === 1;
    },
    async renamePasskey(userId, id, name) {
      const [row] = await db
        .update(passkeys)
        .set({ name })
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .returning();
      return row ?? null;
    },
    async deletePasskey(userId, id) {
      const deleted = await db
        .delete(passkeys)
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .returning({ id: passkeys.id });
      return deleted.length === 1;
    },
    async deleteAllPasskeys(userId) {
      await db.delete(passkeys).where(eq(passkeys.userId, userId));
    },
    async recountPasskeys(userId) {
      // Counted from the table in the transaction that changed it, never incremented: the count cannot drift.
      return updateUser(db, userId, {
        passkeyCount: sql`(select count(*)::int from ${passkeys} where ${passkeys.userId} = ${userId})`,
      });
    },
    async ensureWebauthnUserId(userId, handle) {
      // Set once: two first registrations in parallel both read null; only the first write lands, and both then
      // use the handle that did (a second handle would split the user's passkeys between two identities).
      await db
        .update(users)
        .set({ webauthnUserId: handle })
        .where(and(eq(users.id, userId), isNull(users.webauthnUserId)));
      const [row] = await db.select().from(users).where(eq(users.id, userId));
      return row ?? null;
    },
    async insertPasskeyCeremony(ceremony) {
      await db.insert(passkeyCeremonies).values(ceremony);
    },
    async consumeRegistrationCeremony(challenge, userId, sessionId, now) {
      const [row] = await db
        .update(passkeyCeremonies)
        .set({ usedAt: now })
        .where(
          and(
            eq(passkeyCeremonies.challenge, challenge),
            eq(passkeyCeremonies.purpose, "register"),
            eq(passkeyCeremonies.userId, userId),
            eq(passkeyCeremonies.sessionId, sessionId),
            isNull(passkeyCeremonies.usedAt),
            gt(passkeyCeremonies.expiresAt, now),
          ),
        )
        .returning();
      return row ?? null;
    },
    async consumeSignInCeremony(challenge, bindingHash, now) {
      // The binding is the SHA-256 of a 256-bit browser secret, so comparing it in SQL leaks nothing usable; a
      // ceremony opened by a browser is consumed only by that browser, so nobody else can burn it.
      const [row] = await db
        .update(passkeyCeremonies)
        .set({ usedAt: now })
        .where(
          and(
            eq(passkeyCeremonies.challenge, challenge),
            eq(passkeyCeremonies.purpose, "sign_in"),
            bindingHash
              ? or(isNull(passkeyCeremonies.clientBinding), eq(passkeyCeremonies.clientBinding, bindingHash))
              : isNull(passkeyCeremonies.clientBinding),
            isNull(passkeyCeremonies.usedAt),
            gt(passkeyCeremonies.expiresAt, now),
          ),
        )
        .returning();
      return row ?? null;
    },
  };
}
