import { and, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { UserStore } from "../../core/repository";
import type { User } from "../../core/types";
import type { Database } from "../client";
import { challenges, oneTimeTokens, outboxMessages, passwordCredentials, users } from "../schema";

function isUniqueViolation(error: unknown): boolean {
  // node-postgres and PGlite both surface SQLSTATE 23505, sometimes wrapped by drizzle in `cause`.
  for (
    let e = error as { code?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code === "23505") return true;
  }
  return false;
}

/** `UPDATE users SET …, updated_at = now() WHERE id = $userId RETURNING *`, for a user the caller knows exists. */
export async function updateUser(
  db: Database,
  userId: string,
  changes: PgUpdateSetSource<typeof users>,
): Promise<User> {
  const [row] = await db
    .update(users)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(users.id, userId))
    .returning();
  return row!;
}

export function userStore(db: Database): UserStore {
  return {
    async findUserById(id) {
      const [row] = await db.select().from(users).where(eq(users.id, id));
      return row ?? null;
    },
    async findUserByEmail(email) {
      const [row] = await db.select().from(users).where(eq(users.email, email));
      return row ?? null;
    },
    async findCredentialsByEmail(email) {
      const [row] = await db
        .select({ user: users, passwordHash: passwordCredentials.passwordHash })
        .from(users)
        .innerJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
        .where(eq(users.email, email));
      return row ?? null;
    },
    async createUser({ id, email, name, passwordHash }) {
      // A savepoint keeps the surrounding transaction usable after a unique violation.
      try {
        return await db.transaction(async (tx) => {
          const [user] = await tx.insert(users).values({ id, email, name }).returning();
          await tx.insert(passwordCredentials).values({ userId: id, passwordHash });
          return user!;
        });
      } catch (error) {
        if (isUniqueViolation(error)) return null;
        throw error;
      }
    },
    async getPasswordHash(userId) {
      const [row] = await db
        .select({ hash: passwordCredentials.passwordHash })
        .from(passwordCredentials)
        .where(eq(passwordCredentials.userId, userId));
      return row?.hash ?? null;
    },
    async setPasswordHash(userId, passwordHash) {
      await db
        .insert(passwordCredentials)
        .values({ userId, passwordHash })
        .onConflictDoUpdate({ target: passwordCredentials.userId, set: { passwordHash, updatedAt: sql`now()` } });
    },
    async markEmailVerified(userId, email) {
      const [row] = await db
        .update(users)
        .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())`, updatedAt: sql`now()` })
        .where(and(eq(users.id, userId), eq(users.email, email)))
        .returning();
      return row ?? null;
    },
    async lockUser(userId) {
      await db.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
    },
    async verifyEmailOnce(userId, email) {
      const [row] = await db
        .update(users)
        .set({ emailVerifiedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(users.id, userId), eq(users.email, email), isNull(users.emailVerifiedAt)))
        .returning();
      return row ?? null;
    },
    async bumpCredentialsVersion(userId, now) {
      // First statement of every credential or factor change: the row lock it takes makes in-flight session and
      // challenge inserts (FOR SHARE) wait for the change and then see the new version.
      const [row] = await db
        .update(users)
        .set({ credentialsVersion: sql`${users.credentialsVersion} + 1`, updatedAt: sql`now()` })
        .where(eq(users.id, userId))
        .returning();
      if (!row) return null;
      // Every open challenge (sign-in, phone, step-up) was opened under the old credentials.
      await db
        .update(challenges)
        .set({ expiresAt: now })
        .where(and(eq(challenges.userId, userId), isNull(challenges.completedAt), gt(challenges.expiresAt, now)));
      // So was every link that could still set a password or an address: a reset link, an email change started by
      // a session that is about to be signed out, a sign-up link carrying a stranger's password, a "lost everything"
      // recovery link asked for under the old credentials. Unlock links stay (they only lift a sign-in lock and prove
      // the inbox).
      await db
        .update(oneTimeTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(oneTimeTokens.userId, userId),
            inArray(oneTimeTokens.purpose, ["reset_password", "change_email", "verify_email", "account_recovery"]),
            isNull(oneTimeTokens.usedAt),
          ),
        );
      return row;
    },
    updateName: (userId, name) => updateUser(db, userId, { name }),
    async updateEmail(userId, email) {
      try {
        return await db.transaction(async (tx) => {
          // The new address is proven by the link that led here.
          const [row] = await tx
            .update(users)
            .set({ email, emailVerifiedAt: sql`now()`, updatedAt: sql`now()` })
            .where(eq(users.id, userId))
            .returning();
          return row ?? null;
        });
      } catch (error) {
        if (isUniqueViolation(error)) return null;
        throw error;
      }
    },

    setVerifiedPhone: (userId, phoneNumber) => updateUser(db, userId, { phoneNumber, phoneVerifiedAt: sql`now()` }),
    clearPhone: (userId) => updateUser(db, userId, { phoneNumber: null, phoneVerifiedAt: null, twoFactorSms: false }),
    setTwoFactorSms: (userId, enabled) => updateUser(db, userId, { twoFactorSms: enabled }),

    async blockCodeEntry(userId, until, now) {
      // True only for the request that started the block, so the owner gets one email, not one per guess.
      const blocked = await db
        .update(users)
        .set({ codeEntryBlockedUntil: until })
        .where(
          and(eq(users.id, userId), or(isNull(users.codeEntryBlockedUntil), lte(users.codeEntryBlockedUntil, now))),
        )
        .returning({ id: users.id });
      return blocked.length === 1;
    },
    async deleteUser(userId) {
      // Every table holding the user's data references users(id) ON DELETE CASCADE (migration-checked in
      // test/integration/account-deletion.test.ts); the outbox addresses people, not accounts, so it is cleared
      // by recipient: the email address is the account's alone, a phone number only if no other account has it.
      const [deleted] = await db.delete(users).where(eq(users.id, userId)).returning();
      if (!deleted) return null;
      const recipients = [eq(outboxMessages.recipient, deleted.email)];
      if (deleted.phoneNumber)
        recipients.push(
          and(
            eq(outboxMessages.recipient, deleted.phoneNumber),
            sql`not exists (select 1 from ${users} where ${users.phoneNumber} = ${deleted.phoneNumber})`,
          ) as ReturnType<typeof eq>,
        );
      await db.delete(outboxMessages).where(or(...recipients));
      return deleted;
    },
  };
}
