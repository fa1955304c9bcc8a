import { and, desc, eq, gt, isNotNull, isNull, lt, lte, ne, sql } from "drizzle-orm";
import type { Repository } from "../core/repository";
import type { User } from "../core/types";
import type { Database } from "./client";
import { enqueueMessage } from "./outbox";
import { avatars, challenges, oneTimeTokens, passwordCredentials, securityEvents, sessions, signInThrottles, users } from "./schema";
import { randomId } from "../core/crypto";

type Sealer = { seal(plain: string): Buffer };

function isUniqueViolation(error: unknown): boolean {
  // node-postgres and PGlite both surface SQLSTATE 23505, sometimes wrapped by drizzle in `cause`.
  for (let e = error as { code?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code === "23505") return true;
  }
  return false;
}

/** The one Repository implementation, for node-postgres and PGlite alike. */
export function createRepository(db: Database, sealer: Sealer): Repository {
  // The session check runs on every authenticated request: a named prepared statement spares PostgreSQL the
  // parse and plan of this join each time. Built lazily, once per repository (transactions get their own).
  // Behind PgBouncer in transaction mode, enable its prepared-statement support (max_prepared_statements).
  let findSessionStatement: ReturnType<typeof prepareFindSession> | undefined;
  const repo: Repository = {
    transaction: (work) => db.transaction((tx) => work(createRepository(tx as unknown as Database, sealer))),

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
      const [row] = await db.select({ hash: passwordCredentials.passwordHash }).from(passwordCredentials).where(eq(passwordCredentials.userId, userId));
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
    async updateName(userId, name) {
      const [row] = await db.update(users).set({ name, updatedAt: sql`now()` }).where(eq(users.id, userId)).returning();
      return row!;
    },
    async updateEmail(userId, email) {
      try {
        return await db.transaction(async (tx) => {
          // The new address is proven by the link that led here.
          const [row] = await tx.update(users).set({ email, emailVerifiedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(users.id, userId)).returning();
          return row ?? null;
        });
      } catch (error) {
        if (isUniqueViolation(error)) return null;
        throw error;
      }
    },

    async setAvatar(userId, contentType, bytes) {
      await db
        .insert(avatars)
        .values({ userId, contentType, bytes })
        .onConflictDoUpdate({ target: avatars.userId, set: { contentType, bytes, updatedAt: sql`now()` } });
      return bumpAvatarVersion(db, userId);
    },
    async deleteAvatar(userId) {
      await db.delete(avatars).where(eq(avatars.userId, userId));
      // Negative = no avatar; the next upload continues from the old number so cached URLs never repeat.
      const [row] = await db
        .update(users)
        .set({ avatarVersion: sql`-abs(${users.avatarVersion})`, updatedAt: sql`now()` })
        .where(eq(users.id, userId))
        .returning();
      return row!;
    },
    async getAvatar(userId) {
      const [row] = await db
        .select({ contentType: avatars.contentType, bytes: avatars.bytes, version: users.avatarVersion })
        .from(avatars)
        .innerJoin(users, eq(users.id, avatars.userId))
        .where(eq(avatars.userId, userId));
      return row ?? null;
    },

    async insertSession(session) {
      await db.insert(sessions).values(session);
    },
    async findSessionWithUser(sessionId) {
      findSessionStatement ??= prepareFindSession(db);
      const [row] = await findSessionStatement.execute({ id: sessionId });
      return row ?? null;
    },
    async touchSession(sessionId, lastSeenAt) {
      await db.update(sessions).set({ lastSeenAt }).where(eq(sessions.id, sessionId));
    },
    async deleteSession(sessionId) {
      await db.delete(sessions).where(eq(sessions.id, sessionId));
    },
    async deleteUserSession(userId, sessionId) {
      const deleted = await db.delete(sessions).where(and(eq(sessions.userId, userId), eq(sessions.id, sessionId))).returning({ id: sessions.id });
      return deleted.length > 0;
    },
    async deleteUserSessions(userId, exceptSessionId) {
      const condition = exceptSessionId ? and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId)) : eq(sessions.userId, userId);
      const deleted = await db.delete(sessions).where(condition).returning({ id: sessions.id });
      return deleted.length;
    },
    async listUserSessions(userId, now) {
      return db.select().from(sessions).where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now))).orderBy(desc(sessions.lastSeenAt));
    },

    async insertToken(token) {
      await db.insert(oneTimeTokens).values(token);
    },
    async findToken(id) {
      const [row] = await db.select().from(oneTimeTokens).where(eq(oneTimeTokens.id, id));
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

    async insertChallenge(challenge) {
      await db.insert(challenges).values(challenge);
    },
    async findChallenge(id) {
      const [row] = await db.select().from(challenges).where(eq(challenges.id, id));
      return row ?? null;
    },
    async findOpenChallenge(userId, purpose, now) {
      const [row] = await db
        .select()
        .from(challenges)
        .where(and(eq(challenges.userId, userId), eq(challenges.purpose, purpose), isNull(challenges.completedAt), gt(challenges.expiresAt, now)))
        .orderBy(desc(challenges.createdAt))
        .limit(1);
      return row ?? null;
    },
    async closeOpenChallenges(userId, purpose, now) {
      await db
        .update(challenges)
        .set({ expiresAt: now })
        .where(and(eq(challenges.userId, userId), eq(challenges.purpose, purpose), isNull(challenges.completedAt), gt(challenges.expiresAt, now)));
    },
    async recordCodeSent(id, code) {
      const [row] = await db
        .update(challenges)
        .set({ codeHash: code.codeHash, codeExpiresAt: code.codeExpiresAt, resendAt: code.resendAt, sends: sql`${challenges.sends} + 1` })
        .where(and(eq(challenges.id, id), isNull(challenges.completedAt)))
        .returning();
      return row ?? null;
    },
    async countAttempt(id, maxAttempts, now) {
      const [row] = await db
        .update(challenges)
        .set({ attempts: sql`${challenges.attempts} + 1` })
        .where(and(eq(challenges.id, id), isNull(challenges.completedAt), gt(challenges.expiresAt, now), lt(challenges.attempts, maxAttempts)))
        .returning();
      return row ?? null;
    },
    async completeChallenge(id, now) {
      const done = await db
        .update(challenges)
        .set({ completedAt: now })
        .where(and(eq(challenges.id, id), isNull(challenges.completedAt)))
        .returning({ id: challenges.id });
      return done.length === 1;
    },
    async blockCodeEntry(userId, until) {
      await db.update(users).set({ codeEntryBlockedUntil: until }).where(eq(users.id, userId));
    },

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
          retryAt: new Date(now.getTime() + (delaySchedule[0] ?? 0) * 1000),
          lockedAt: lockAfterFailures <= 1 ? now : null,
          lastAttemptAt: now,
        })
        .onConflictDoUpdate({
          target: signInThrottles.key,
          set: {
            failures: sql`${signInThrottles.failures} + 1`,
            retryAt: sql`${now}::timestamptz + make_interval(secs => (${schedule}::int[])[${next}])`,
            lockedAt: sql`case when ${signInThrottles.failures} + 1 >= ${lockAfterFailures} then ${now}::timestamptz end`,
            lastAttemptAt: now,
          },
          setWhere: and(isNull(signInThrottles.lockedAt), lte(signInThrottles.retryAt, now)),
        })
        .returning({ failures: signInThrottles.failures, retryAt: signInThrottles.retryAt, lockedAt: signInThrottles.lockedAt });
      return row ?? null;
    },
    async findSignInThrottle(key) {
      const [row] = await db
        .select({ failures: signInThrottles.failures, retryAt: signInThrottles.retryAt, lockedAt: signInThrottles.lockedAt })
        .from(signInThrottles)
        .where(eq(signInThrottles.key, key));
      return row ?? null;
    },
    async deleteSignInThrottle(key) {
      await db.delete(signInThrottles).where(eq(signInThrottles.key, key));
    },

    async findVerifiedPhoneOwner(phoneNumber) {
      const [row] = await db.select({ id: users.id }).from(users).where(and(eq(users.phoneNumber, phoneNumber), isNotNull(users.phoneVerifiedAt)));
      return row?.id ?? null;
    },
    async setVerifiedPhone(userId, phoneNumber) {
      try {
        return await db.transaction(async (tx) => {
          const [row] = await tx
            .update(users)
            .set({ phoneNumber, phoneVerifiedAt: sql`now()`, updatedAt: sql`now()` })
            .where(eq(users.id, userId))
            .returning();
          return row ?? null;
        });
      } catch (error) {
        if (isUniqueViolation(error)) return null;
        throw error;
      }
    },
    async clearPhone(userId) {
      const [row] = await db
        .update(users)
        .set({ phoneNumber: null, phoneVerifiedAt: null, twoFactorSms: false, updatedAt: sql`now()` })
        .where(eq(users.id, userId))
        .returning();
      return row!;
    },
    async setTwoFactorSms(userId, enabled) {
      const [row] = await db.update(users).set({ twoFactorSms: enabled, updatedAt: sql`now()` }).where(eq(users.id, userId)).returning();
      return row!;
    },

    async recordEvent(event) {
      await db.insert(securityEvents).values({ id: randomId(), ...event });
    },
    async listEvents(userId, limit) {
      return db
        .select({ type: securityEvents.type, createdAt: securityEvents.createdAt, ip: securityEvents.ip, userAgent: securityEvents.userAgent })
        .from(securityEvents)
        .where(eq(securityEvents.userId, userId))
        .orderBy(desc(securityEvents.createdAt))
        .limit(limit) as Promise<Awaited<ReturnType<Repository["listEvents"]>>>;
    },

    enqueue: (message) => enqueueMessage(db, sealer, message),
  };
  return repo;
}

function prepareFindSession(db: Database) {
  return db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder("id")))
    .prepare("find_session_with_user");
}

async function bumpAvatarVersion(db: Database, userId: string): Promise<User> {
  const [row] = await db
    .update(users)
    .set({ avatarVersion: sql`abs(${users.avatarVersion}) + 1`, updatedAt: sql`now()` })
    .where(eq(users.id, userId))
    .returning();
  return row!;
}
