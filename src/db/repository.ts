import { and, desc, eq, gt, inArray, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
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

/** node-postgres and PGlite both put a raw statement's RETURNING rows in `rows`. */
function returnedOne(result: unknown): boolean {
  return (result as { rows: unknown[] }).rows.length === 1;
}

/** retry_at of a throttle row whose policy imposes no wait yet. */
const NO_WAIT = new Date(0);

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
      // a session that is about to be signed out, a sign-up link carrying a stranger's password. Unlock links stay
      // (they only lift a sign-in lock and prove the inbox).
      await db
        .update(oneTimeTokens)
        .set({ usedAt: now })
        .where(and(eq(oneTimeTokens.userId, userId), inArray(oneTimeTokens.purpose, ["reset_password", "change_email", "verify_email"]), isNull(oneTimeTokens.usedAt)));
      return row;
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

    async insertSession(session, credentialsVersion) {
      // Race closed: a password reset (or 2FA switch) committing between our credential check and this insert.
      // The version is compared in the insert itself, and FOR SHARE waits for a change in flight to commit and
      // then re-reads the row, so a session checked against the old password never lands after the change.
      // Every change bumps the version before it deletes sessions, so the two cannot pass each other.
      const inserted = await db.execute(sql`
        insert into ${sessions} (id, secret_hash, user_id, assurance_level, second_factor_at, created_at, last_seen_at, expires_at, ip, user_agent)
        select ${session.id}, ${session.secretHash}, ${users.id}, ${session.assuranceLevel}, ${session.secondFactorAt}::timestamptz,
               ${session.createdAt}::timestamptz, ${session.lastSeenAt}::timestamptz, ${session.expiresAt}::timestamptz, ${session.ip}, ${session.userAgent}
        from ${users} where ${users.id} = ${session.userId} and ${users.credentialsVersion} = ${credentialsVersion}
        for share
        returning id`);
      return returnedOne(inserted);
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
    async creditSecondFactor(sessionId, userId, credentialsVersion, at) {
      // Credited only while the credentials the factor was checked against are still current.
      const credited = await db.execute(sql`
        with current_user_row as (select id from ${users} where id = ${userId} and credentials_version = ${credentialsVersion} for share)
        update ${sessions} set assurance_level = 2, second_factor_at = ${at}::timestamptz
        where id = ${sessionId} and user_id in (select id from current_user_row)
        returning id`);
      return returnedOne(credited);
    },
    async forgetSecondFactor(userId, exceptSessionId) {
      await db.update(sessions).set({ assuranceLevel: 1, secondFactorAt: null }).where(and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId)));
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
    async findNewestPendingToken(userId, purpose, now) {
      const [row] = await db
        .select()
        .from(oneTimeTokens)
        .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt), gt(oneTimeTokens.expiresAt, now)))
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

    async insertChallenge(c) {
      // Same race as insertSession: a challenge opened with a password that changes at this instant never lands.
      const inserted = await db.execute(sql`
        insert into ${challenges} (id, purpose, user_id, credentials_version, session_id, client_binding, phone_number, code_hash, code_expires_at,
                                   attempts, sends, resend_at, created_at, expires_at, completed_at)
        select ${c.id}, ${c.purpose}, ${users.id}, ${c.credentialsVersion}, ${c.sessionId}, ${c.clientBinding}, ${c.phoneNumber}, ${c.codeHash},
               ${c.codeExpiresAt}::timestamptz, ${c.attempts}, ${c.sends}, ${c.resendAt}::timestamptz, ${c.createdAt}::timestamptz,
               ${c.expiresAt}::timestamptz, ${c.completedAt}::timestamptz
        from ${users} where ${users.id} = ${c.userId} and ${users.credentialsVersion} = ${c.credentialsVersion}
        for share
        returning id`);
      return returnedOne(inserted);
    },
    async findChallenge(id) {
      const [row] = await db.select().from(challenges).where(eq(challenges.id, id));
      return row ?? null;
    },
    async findOpenSessionChallenge(sessionId, purpose, now) {
      const [row] = await db
        .select()
        .from(challenges)
        .where(and(eq(challenges.sessionId, sessionId), eq(challenges.purpose, purpose), isNull(challenges.completedAt), gt(challenges.expiresAt, now)))
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
    async claimResend(id, now, resendAt) {
      // The cooldown is taken in the statement that checks it: of 50 parallel resends, one passes.
      const [row] = await db
        .update(challenges)
        .set({ resendAt })
        .where(and(eq(challenges.id, id), isNull(challenges.completedAt), gt(challenges.expiresAt, now), or(isNull(challenges.resendAt), lte(challenges.resendAt, now))))
        .returning();
      return row ?? null;
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
    async blockCodeEntry(userId, until, now) {
      // True only for the request that started the block, so the owner gets one email, not one per guess.
      const blocked = await db
        .update(users)
        .set({ codeEntryBlockedUntil: until })
        .where(and(eq(users.id, userId), or(isNull(users.codeEntryBlockedUntil), lte(users.codeEntryBlockedUntil, now))))
        .returning({ id: users.id });
      return blocked.length === 1;
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

    async setVerifiedPhone(userId, phoneNumber) {
      const [row] = await db
        .update(users)
        .set({ phoneNumber, phoneVerifiedAt: sql`now()`, updatedAt: sql`now()` })
        .where(eq(users.id, userId))
        .returning();
      return row!;
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
