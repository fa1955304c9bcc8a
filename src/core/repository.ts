import type { MessageIntent } from "./messages";
import type {
  Challenge,
  ChallengePurpose,
  OneTimeToken,
  OneTimeTokenPurpose,
  SecurityEvent,
  SecurityEventType,
  Session,
  SignInThrottle,
  User,
} from "./types";

/**
 * Everything the flows need from storage: one store per table, composed below. One implementation
 * (src/db/repository/, a file per store) serves PostgreSQL and PGlite; flows that change several rows run inside
 * `transaction` so nothing is half-written.
 */
export interface Repository
  extends UserStore,
    AvatarStore,
    SessionStore,
    OneTimeTokenStore,
    ChallengeStore,
    SignInThrottleStore,
    SecurityEventStore {
  transaction<T>(work: (repo: Repository) => Promise<T>): Promise<T>;

  /** Written in the caller's transaction; the outbox worker delivers it after commit. Returns its id. */
  enqueue(message: MessageIntent): Promise<string>;
}

/** users, with password_credentials. */
export interface UserStore {
  findUserById(id: string): Promise<User | null>;
  findUserByEmail(email: string): Promise<User | null>;
  /** User and password hash in one query: sign-in's only read. */
  findCredentialsByEmail(email: string): Promise<{ user: User; passwordHash: string } | null>;
  /** Returns null when the email is already taken (unique violation). */
  createUser(user: { id: string; email: string; name: string; passwordHash: string }): Promise<User | null>;
  getPasswordHash(userId: string): Promise<string | null>;
  setPasswordHash(userId: string, passwordHash: string): Promise<void>;
  markEmailVerified(userId: string, email: string): Promise<User | null>;
  /** SELECT … FOR UPDATE of the user row, in a transaction: taken before a link's row so locks come in one order. */
  lockUser(userId: string): Promise<void>;
  /** Verifies the address only if it is not verified yet (and still the account's): null otherwise. */
  verifyEmailOnce(userId: string, email: string): Promise<User | null>;
  /**
   * Bumps users.credentials_version and ends every open challenge of the user. The first statement of every
   * credential or factor change (password, 2FA switch, phone, email), inside that change's transaction.
   */
  bumpCredentialsVersion(userId: string, now: Date): Promise<User | null>;
  updateName(userId: string, name: string): Promise<User>;
  /** Returns null when another account holds the address. */
  updateEmail(userId: string, email: string): Promise<User | null>;

  /** A number may be verified on several accounts: it is a second factor, not an identifier. */
  setVerifiedPhone(userId: string, phoneNumber: string): Promise<User>;
  /** Removes the number and, with it, SMS two-factor. */
  clearPhone(userId: string): Promise<User>;
  setTwoFactorSms(userId: string, enabled: boolean): Promise<User>;

  /** Pauses code entry until `until`; true only for the call that started the pause. */
  blockCodeEntry(userId: string, until: Date, now: Date): Promise<boolean>;
}

export interface AvatarStore {
  setAvatar(userId: string, contentType: string, bytes: Buffer): Promise<User>;
  deleteAvatar(userId: string): Promise<User>;
  getAvatar(userId: string): Promise<{ contentType: string; bytes: Buffer; version: number } | null>;
}

export interface SessionStore {
  /**
   * Inserts the session only while the user's credentials_version is still `credentialsVersion` (the one the
   * sign-in was checked against), in one statement: false when a change got there first.
   */
  insertSession(session: Session, credentialsVersion: number): Promise<boolean>;
  /** Marks the session as having passed a second factor at `at`, only while the credentials are still current. */
  creditSecondFactor(sessionId: string, userId: string, credentialsVersion: number, at: Date): Promise<boolean>;
  /** Every other session of the user loses its second-factor credit (2FA just turned on: they never passed it). */
  forgetSecondFactor(userId: string, exceptSessionId: string): Promise<void>;
  /** One indexed query: the session and its user, by the token's public id. */
  findSessionWithUser(sessionId: string): Promise<{ session: Session; user: User } | null>;
  touchSession(sessionId: string, lastSeenAt: Date): Promise<void>;
  deleteSession(sessionId: string): Promise<void>;
  deleteUserSession(userId: string, sessionId: string): Promise<boolean>;
  deleteUserSessions(userId: string, exceptSessionId?: string): Promise<number>;
  listUserSessions(userId: string, now: Date): Promise<Session[]>;
}

/** The emailed links (sign-up, reset, email change, unlock). */
export interface OneTimeTokenStore {
  insertToken(token: OneTimeToken): Promise<void>;
  findToken(id: string): Promise<OneTimeToken | null>;
  /** The newest unused, unexpired link of a purpose (a resent sign-up link repeats its password and name). */
  findNewestPendingToken(userId: string, purpose: OneTimeTokenPurpose, now: Date): Promise<OneTimeToken | null>;
  /** Atomic single use: true for exactly one caller, and only while unused and unexpired. */
  consumeToken(id: string, now: Date): Promise<boolean>;
  /** Kills the user's unused tokens of one purpose (a new link supersedes the old). */
  invalidateTokens(userId: string, purpose: OneTimeTokenPurpose): Promise<void>;
}

/** Second-factor challenges: sign-in, phone verification, step-up. */
export interface ChallengeStore {
  /** Inserts the challenge only while the user's credentials_version is still challenge.credentialsVersion. */
  insertChallenge(challenge: Challenge): Promise<boolean>;
  findChallenge(id: string): Promise<Challenge | null>;
  /** The newest open challenge of a purpose that belongs to one session (step-up). */
  findOpenSessionChallenge(sessionId: string, purpose: ChallengePurpose, now: Date): Promise<Challenge | null>;
  /** Ends every open challenge of a purpose for a user (a new one supersedes them). */
  closeOpenChallenges(userId: string, purpose: ChallengePurpose, now: Date): Promise<void>;
  /** Takes the resend cooldown in the statement that checks it: null when cooling down, finished or expired. */
  claimResend(id: string, now: Date, resendAt: Date): Promise<Challenge | null>;
  recordCodeSent(
    id: string,
    code: { codeHash: Buffer | null; codeExpiresAt: Date; resendAt: Date },
  ): Promise<Challenge | null>;
  /**
   * Counts one attempt before any code is compared, in one statement: null when the challenge is finished,
   * expired or out of attempts. Concurrent guesses cannot share an attempt.
   */
  countAttempt(id: string, maxAttempts: number, now: Date): Promise<Challenge | null>;
  /** Atomic single use: true for exactly one caller. */
  completeChallenge(id: string, now: Date): Promise<boolean>;
}

export interface SignInThrottleStore {
  /**
   * Counts one sign-in attempt for a throttle key before the password is checked, in one statement: null while
   * the key is locked or before its retryAt. `delaySchedule[n-1]` is the wait in seconds after n attempts
   * (the last entry repeats); the attempt that reaches `lockAfterFailures` sets lockedAt.
   */
  claimSignInAttempt(
    key: string,
    options: { now: Date; delaySchedule: number[]; lockAfterFailures: number },
  ): Promise<SignInThrottle | null>;
  findSignInThrottle(key: string): Promise<SignInThrottle | null>;
  deleteSignInThrottle(key: string): Promise<void>;
}

export interface SecurityEventStore {
  recordEvent(event: {
    userId: string | null;
    type: SecurityEventType;
    ip: string | null;
    userAgent: string | null;
    details?: Record<string, unknown>;
  }): Promise<void>;
  listEvents(userId: string, limit: number): Promise<SecurityEvent[]>;
}
