import { and, desc, eq, gt, ne, sql } from "drizzle-orm";
import type { SessionStore } from "../../core/repository";
import type { Database } from "../client";
import { sessions, users } from "../schema";
import { returnedOne } from "./returned-one";

export function sessionStore(db: Database): SessionStore {
  // The session check runs on every authenticated request: a named prepared statement spares PostgreSQL the
  // parse and plan of this join each time. Built lazily, once per repository (transactions get their own).
  // Behind PgBouncer in transaction mode, enable its prepared-statement support (max_prepared_statements).
  let findSessionStatement: ReturnType<typeof prepareFindSession> | undefined;
  return {
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
      const deleted = await db
        .delete(sessions)
        .where(and(eq(sessions.userId, userId), eq(sessions.id, sessionId)))
        .returning({ id: sessions.id });
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
      await db
        .update(sessions)
        .set({ assuranceLevel: 1, secondFactorAt: null })
        .where(and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId)));
    },
    async deleteUserSessions(userId, exceptSessionId) {
      const condition = exceptSessionId
        ? and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId))
        : eq(sessions.userId, userId);
      const deleted = await db.delete(sessions).where(condition).returning({ id: sessions.id });
      return deleted.length;
    },
    async listUserSessions(userId, now) {
      return db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now)))
        .orderBy(desc(sessions.lastSeenAt));
    },
  };
}

function prepareFindSession(db: Database) {
  return db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder("id")))
    .prepare("find_session_with_user");
}
