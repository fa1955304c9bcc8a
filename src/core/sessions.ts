import { constantTimeEqual, generateSplitToken, parseSplitToken, sha256 } from "./crypto";
import type { Deps } from "./deps";
import type { Repository } from "./repository";
import type { ClientInfo, Session, User } from "./types";

// Writing last_seen_at on every request would turn each session check into a write; once per 5 minutes
// keeps the sessions list accurate enough and the idle timeout exact to within that window.
const LAST_SEEN_WRITE_INTERVAL_MS = 5 * 60 * 1000;

export interface SessionValidation {
  session: Session;
  user: User;
  /** The idle window moved: the cookie should be re-sent with its new expiry. */
  refreshed: boolean;
}

/**
 * A fresh token for every sign-in: a token planted before sign-in (fixation) is never promoted. `user` is the
 * row the credentials were checked against: the session is only created while its credentials_version is still
 * current (null otherwise: a password change, reset or 2FA switch got there first). `secondFactorAt` is when
 * this sign-in passed a second factor, if it did. `assuranceLevel` 2 without `secondFactorAt` is a trusted
 * browser's sign-in (core/trusted-browsers.ts): past the second step, but with no recent factor for step-up.
 */
export async function createSession(
  deps: Deps,
  user: Pick<User, "id" | "credentialsVersion">,
  client: ClientInfo,
  options: { secondFactorAt?: Date | null; assuranceLevel?: 1 | 2; repo?: Repository } = {},
): Promise<{ token: string; session: Session } | null> {
  const now = deps.now();
  const { id, secret, token } = generateSplitToken();
  const secondFactorAt = options.secondFactorAt ?? null;
  const session: Session = {
    id,
    secretHash: sha256(secret),
    userId: user.id,
    assuranceLevel: secondFactorAt ? 2 : (options.assuranceLevel ?? 1),
    secondFactorAt,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + deps.config.sessionAbsoluteTimeoutSeconds * 1000),
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
  };
  const inserted = await (options.repo ?? deps.repo).insertSession(session, user.credentialsVersion);
  return inserted ? { token, session } : null;
}

export function sessionCookieExpiresAt(deps: Deps, session: Session): Date {
  const idleEnd = session.lastSeenAt.getTime() + deps.config.sessionIdleTimeoutSeconds * 1000;
  return new Date(Math.min(idleEnd, session.expiresAt.getTime()));
}

export function isSessionExpired(deps: Deps, session: Session, now: Date): boolean {
  return sessionCookieExpiresAt(deps, session).getTime() <= now.getTime();
}

/** One indexed query by the token's id, then a constant-time hash comparison. */
export async function validateSessionToken(deps: Deps, token: string): Promise<SessionValidation | null> {
  const parsed = parseSplitToken(token);
  if (!parsed) return null;
  const found = await deps.repo.findSessionWithUser(parsed.id);
  if (!found || !constantTimeEqual(found.session.secretHash, sha256(parsed.secret))) return null;
  const now = deps.now();
  if (isSessionExpired(deps, found.session, now)) {
    await deps.repo.deleteSession(found.session.id);
    return null;
  }
  if (now.getTime() - found.session.lastSeenAt.getTime() < LAST_SEEN_WRITE_INTERVAL_MS) {
    return { ...found, refreshed: false };
  }
  await deps.repo.touchSession(found.session.id, now);
  return { session: { ...found.session, lastSeenAt: now }, user: found.user, refreshed: true };
}

export function invalidateSession(deps: Deps, sessionId: string): Promise<void> {
  return deps.repo.deleteSession(sessionId);
}

export function invalidateAllSessions(deps: Deps, userId: string): Promise<number> {
  return deps.repo.deleteUserSessions(userId);
}

export function invalidateOtherSessions(deps: Deps, userId: string, currentSessionId: string): Promise<number> {
  return deps.repo.deleteUserSessions(userId, currentSessionId);
}
