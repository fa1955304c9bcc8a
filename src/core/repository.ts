import type { Challenge, ChallengePurpose, MessageIntent, OneTimeToken, OneTimeTokenPurpose, SecurityEvent, SecurityEventType, Session, SignInThrottle, User } from "./types";

/**
 * Everything the flows need from storage. One implementation (src/db/repository.ts) serves PostgreSQL and
 * PGlite; flows that change several rows run inside `transaction` so nothing is half-written.
 */
export interface Repository {
  transaction<T>(work: (repo: Repository) => Promise<T>): Promise<T>;

  findUserById(id: string): Promise<User | null>;
  findUserByEmail(email: string): Promise<User | null>;
  /** User and password hash in one query: sign-in's only read. */
  findCredentialsByEmail(email: string): Promise<{ user: User; passwordHash: string } | null>;
  /** Returns null when the email is already taken (unique violation). */
  createUser(user: { id: string; email: string; name: string; passwordHash: string }): Promise<User | null>;
  getPasswordHash(userId: string): Promise<string | null>;
  setPasswordHash(userId: string, passwordHash: string): Promise<void>;
  markEmailVerified(userId: string, email: string): Promise<User | null>;
  updateName(userId: string, name: string): Promise<User>;
  /** Returns null when another account holds the address. */
  updateEmail(userId: string, email: string): Promise<User | null>;

  setAvatar(userId: string, contentType: string, bytes: Buffer): Promise<User>;
  deleteAvatar(userId: string): Promise<User>;
  getAvatar(userId: string): Promise<{ contentType: string; bytes: Buffer; version: number } | null>;

  insertSession(session: Session): Promise<void>;
  /** One indexed query: the session and its user, by the token's public id. */
  findSessionWithUser(sessionId: string): Promise<{ session: Session; user: User } | null>;
  touchSession(sessionId: string, lastSeenAt: Date): Promise<void>;
  deleteSession(sessionId: string): Promise<void>;
  deleteUserSession(userId: string, sessionId: string): Promise<boolean>;
  deleteUserSessions(userId: string, exceptSessionId?: string): Promise<number>;
  listUserSessions(userId: string, now: Date): Promise<Session[]>;

  insertToken(token: OneTimeToken): Promise<void>;
  findToken(id: string): Promise<OneTimeToken | null>;
  /** Atomic single use: true for exactly one caller, and only while unused and unexpired. */
  consumeToken(id: string, now: Date): Promise<boolean>;
  /** Kills the user's unused tokens of one purpose (a new link supersedes the old). */
  invalidateTokens(userId: string, purpose: OneTimeTokenPurpose): Promise<void>;

  insertChallenge(challenge: Challenge): Promise<void>;
  findChallenge(id: string): Promise<Challenge | null>;
  /** The newest open (unfinished, unexpired) challenge of a purpose for a user. */
  findOpenChallenge(userId: string, purpose: ChallengePurpose, now: Date): Promise<Challenge | null>;
  /** Ends every open challenge of a purpose for a user (a new one supersedes them). */
  closeOpenChallenges(userId: string, purpose: ChallengePurpose, now: Date): Promise<void>;
  recordCodeSent(id: string, code: { codeHash: Buffer | null; codeExpiresAt: Date; resendAt: Date }): Promise<Challenge | null>;
  /**
   * Counts one attempt before any code is compared, in one statement: null when the challenge is finished,
   * expired or out of attempts. Concurrent guesses cannot share an attempt.
   */
  countAttempt(id: string, maxAttempts: number, now: Date): Promise<Challenge | null>;
  /** Atomic single use: true for exactly one caller. */
  completeChallenge(id: string, now: Date): Promise<boolean>;
  blockCodeEntry(userId: string, until: Date): Promise<void>;

  /**
   * Counts one sign-in attempt for a throttle key before the password is checked, in one statement: null while
   * the key is locked or before its retryAt. `delaySchedule[n-1]` is the wait in seconds after n attempts
   * (the last entry repeats); the attempt that reaches `lockAfterFailures` sets lockedAt.
   */
  claimSignInAttempt(key: string, options: { now: Date; delaySchedule: number[]; lockAfterFailures: number }): Promise<SignInThrottle | null>;
  findSignInThrottle(key: string): Promise<SignInThrottle | null>;
  deleteSignInThrottle(key: string): Promise<void>;

  /** The account whose verified number this is, if any. */
  findVerifiedPhoneOwner(phoneNumber: string): Promise<string | null>;
  /** Returns null when another account verified the number first (unique index). */
  setVerifiedPhone(userId: string, phoneNumber: string): Promise<User | null>;
  /** Removes the number and, with it, SMS two-factor. */
  clearPhone(userId: string): Promise<User>;
  setTwoFactorSms(userId: string, enabled: boolean): Promise<User>;

  recordEvent(event: { userId: string | null; type: SecurityEventType; ip: string | null; userAgent: string | null; details?: Record<string, unknown> }): Promise<void>;
  listEvents(userId: string, limit: number): Promise<SecurityEvent[]>;

  /** Written in the caller's transaction; the outbox worker delivers it after commit. Returns its id. */
  enqueue(message: MessageIntent): Promise<string>;
}
