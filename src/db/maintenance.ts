import { and, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "./client";
import {
  challenges,
  oneTimeTokens,
  passkeyCeremonies,
  sessions,
  signInThrottles,
  totpCredentials,
  trustedBrowsers,
} from "./schema";

export interface PurgeResult {
  sessions: number;
  linkTokens: number;
  challenges: number;
  signInThrottles: number;
  passkeyCeremonies: number;
  trustedBrowsers: number;
  totpSetups: number;
}

// An authenticator-app set-up never confirmed is refused after 15 minutes (core/totp.ts); its sealed secret goes
// after a day.
const ABANDONED_TOTP_SETUP_MS = 24 * 3600 * 1000;

// A run of failed sign-ins counts as "consecutive" until a month of quiet; then the row goes. Locks stay until
// the unlock link, a password reset or a known device lifts them (NIST SP 800-63B 5.2.2: at most 100 failures,
// ever, before that): purging them would hand an attacker 100 more guesses a month.
const THROTTLE_RETENTION_MS = 30 * 24 * 3600 * 1000;

// Used or expired links are kept a day so support can still see that a link existed; then they go.
const SPENT_TOKEN_RETENTION_MS = 24 * 3600 * 1000;

/**
 * Deletes what can never be used again: sessions past their absolute or idle expiry, spent link tokens,
 * finished or expired challenges and passkey ceremonies, expired trusted browsers, abandoned app set-ups. Expired rows are already refused on use; this keeps tables (and the blast
 * radius of a dump) small.
 */
export async function purgeExpired(db: Database, now: Date, sessionIdleTimeoutSeconds: number): Promise<PurgeResult> {
  const idleCutoff = new Date(now.getTime() - sessionIdleTimeoutSeconds * 1000);
  const tokenCutoff = new Date(now.getTime() - SPENT_TOKEN_RETENTION_MS);
  const deletedSessions = await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, idleCutoff)))
    .returning({ id: sessions.id });
  const deletedTokens = await db
    .delete(oneTimeTokens)
    .where(
      or(
        lt(oneTimeTokens.expiresAt, tokenCutoff),
        and(isNotNull(oneTimeTokens.usedAt), lt(oneTimeTokens.usedAt, tokenCutoff)),
      ),
    )
    .returning({ id: oneTimeTokens.id });
  const deletedChallenges = await db
    .delete(challenges)
    .where(or(lt(challenges.expiresAt, now), sql`${challenges.completedAt} is not null`))
    .returning({ id: challenges.id });
  const deletedThrottles = await db
    .delete(signInThrottles)
    .where(
      and(
        isNull(signInThrottles.lockedAt),
        lt(signInThrottles.lastAttemptAt, new Date(now.getTime() - THROTTLE_RETENTION_MS)),
      ),
    )
    .returning({ key: signInThrottles.key });
  const deletedCeremonies = await db
    .delete(passkeyCeremonies)
    .where(or(lt(passkeyCeremonies.expiresAt, now), isNotNull(passkeyCeremonies.usedAt)))
    .returning({ id: passkeyCeremonies.id });
  const deletedTrustedBrowsers = await db
    .delete(trustedBrowsers)
    .where(lt(trustedBrowsers.expiresAt, now))
    .returning({ id: trustedBrowsers.id });
  const deletedTotpSetups = await db
    .delete(totpCredentials)
    .where(
      and(
        isNull(totpCredentials.confirmedAt),
        lt(totpCredentials.createdAt, new Date(now.getTime() - ABANDONED_TOTP_SETUP_MS)),
      ),
    )
    .returning({ userId: totpCredentials.userId });
  return {
    sessions: deletedSessions.length,
    linkTokens: deletedTokens.length,
    challenges: deletedChallenges.length,
    signInThrottles: deletedThrottles.length,
    passkeyCeremonies: deletedCeremonies.length,
    trustedBrowsers: deletedTrustedBrowsers.length,
    totpSetups: deletedTotpSetups.length,
  };
}
