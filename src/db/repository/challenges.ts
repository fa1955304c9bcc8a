import { and, desc, eq, gt, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { ChallengeStore } from "../../core/repository";
import type { Database } from "../client";
import { challenges, users } from "../schema";
import { returnedOne } from "./returned-one";

export function challengeStore(db: Database): ChallengeStore {
  return {
    async insertChallenge(c) {
      // Same race as insertSession (./sessions.ts): a challenge opened with a password that changes at this instant
      // never lands.
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
        .where(
          and(
            eq(challenges.sessionId, sessionId),
            eq(challenges.purpose, purpose),
            isNull(challenges.completedAt),
            gt(challenges.expiresAt, now),
          ),
        )
        .orderBy(desc(challenges.createdAt))
        .limit(1);
      return row ?? null;
    },
    async closeOpenChallenges(userId, purpose, now) {
      await db
        .update(challenges)
        .set({ expiresAt: now })
        .where(
          and(
            eq(challenges.userId, userId),
            eq(challenges.purpose, purpose),
            isNull(challenges.completedAt),
            gt(challenges.expiresAt, now),
          ),
        );
    },
    async claimResend(id, now, resendAt) {
      // The cooldown is taken in the statement that checks it: of 50 parallel resends, one passes.
      const [row] = await db
        .update(challenges)
        .set({ resendAt })
        .where(
          and(
            eq(challenges.id, id),
            isNull(challenges.completedAt),
            gt(challenges.expiresAt, now),
            or(isNull(challenges.resendAt), lte(challenges.resendAt, now)),
          ),
        )
        .returning();
      return row ?? null;
    },
    async recordCodeSent(id, code) {
      const [row] = await db
        .update(challenges)
        .set({
          codeHash: code.codeHash,
          codeExpiresAt: code.codeExpiresAt,
          resendAt: code.resendAt,
          sends: sql`${challenges.sends} + 1`,
        })
        .where(and(eq(challenges.id, id), isNull(challenges.completedAt)))
        .returning();
      return row ?? null;
    },
    async countAttempt(id, maxAttempts, now) {
      const [row] = await db
        .update(challenges)
        .set({ attempts: sql`${challenges.attempts} + 1` })
        .where(
          and(
            eq(challenges.id, id),
            isNull(challenges.completedAt),
            gt(challenges.expiresAt, now),
            lt(challenges.attempts, maxAttempts),
          ),
        )
        .returning();
      return row ?? null;
    },
    async setWebauthnChallenge(id, webauthnChallenge, now) {
      const [row] = await db
        .update(challenges)
        .set({ webauthnChallenge })
        .where(and(eq(challenges.id, id), isNull(challenges.completedAt), gt(challenges.expiresAt, now)))
        .returning();
      return row ?? null;
    },
    async recordSmsError(id, smsError) {
      await db.update(challenges).set({ smsError }).where(eq(challenges.id, id));
    },
    async completeChallenge(id, now) {
      const done = await db
        .update(challenges)
        .set({ completedAt: now })
        .where(and(eq(challenges.id, id), isNull(challenges.completedAt)))
        .returning({ id: challenges.id });
      return done.length === 1;
    },
  };
}
