import type { MessageIntent } from "./messages";
import type {
  AccountRecovery,
  Challenge,
  ChallengePurpose,
  OneTimeToken,
  OneTimeTokenPurpose,
  Passkey,
  PasskeyCeremony,
  SecurityEvent,
  SecurityEventType,
  Session,
  SignInThrottle,
  TotpCredential,
  TrustedBrowser,
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
    SecurityEventStore,
    TotpStore,
    RecoveryCodeStore,
    PasskeyStore,
    TrustedBrowserStore,
    AccountRecoveryStore {
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
  /**
   * Deletes the user row (everything of the account cascades) and the outbox messages addressed to the account's
   * email, and to its phone number when no other account has that number. The deleted row, or null when another
   * request deleted it first.
   */
  deleteUser(userId: string): Promise<User | null>;
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
  /** Stores the WebAuthn challenge of a passkey step (the previous one dies); null unless the row is still open. */
  setWebauthnChallenge(id: string, webauthnChallenge: string, now: Date): Promise<Challenge | null>;
  /** Records why the first text of a sign-in could not be sent, for the page that reads the challenge later. */
  recordSmsError(id: string, error: NonNullable<Challenge["smsError"]>): Promise<void>;
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

/** totp_credentials, with users.two_factor_totp kept in step. */
export interface TotpStore {
  findTotp(userId: string): Promise<TotpCredential | null>;
  /** A new set-up replaces one not yet confirmed; false (nothing written) while a confirmed app exists. */
  saveTotpSetup(userId: string, sealedSecret: Buffer, now: Date): Promise<boolean>;
  /**
   * Confirms the set-up whose secret is `sealedSecret` (not one that replaced it meanwhile) and records the step
   * its code used; turns users.two_factor_totp on. Null when there was no such pending set-up.
   */
  confirmTotp(userId: string, sealedSecret: Buffer, step: number, now: Date): Promise<User | null>;
  /** Takes a step once, in one statement: false for that step or an earlier one already used. */
  claimTotpStep(userId: string, step: number): Promise<boolean>;
  /** Removes the app (confirmed or pending) and turns users.two_factor_totp off. */
  deleteTotp(userId: string): Promise<User>;
}

/** recovery_codes, with users.recovery_codes_left kept in step. */
export interface RecoveryCodeStore {
  /** Deletes every code of the user and inserts these, in one transaction of the caller's. */
  replaceRecoveryCodes(userId: string, codes: Array<{ id: string; codeHash: Buffer }>, now: Date): Promise<User>;
  /** Atomic single use, one statement: true for exactly one caller, and users.recovery_codes_left drops by one. */
  spendRecoveryCode(userId: string, codeHash: Buffer, now: Date): Promise<boolean>;
  deleteRecoveryCodes(userId: string): Promise<User>;
}

/** passkeys, passkey_ceremonies, and the WebAuthn user handle on users. */
export interface PasskeyStore {
  listPasskeys(userId: string): Promise<Passkey[]>;
  /** By credential id (base64url), whoever owns it: callers check the owner. */
  findPasskey(id: string): Promise<Passkey | null>;
  findPasskeyWithOwner(id: string): Promise<{ passkey: Passkey; user: User } | null>;
  /** False when a passkey with this credential id exists already (the caller's transaction stays usable). */
  insertPasskey(passkey: Omit<Passkey, "lastUsedAt">): Promise<boolean>;
  /**
   * Moves the signature counter forward from the value the assertion was checked against, in one statement, and
   * stamps last use: false when the counter does not move forward (a clone, or a parallel copy got there first).
   */
  recordPasskeyUse(
    id: string,
    userId: string,
    use: { previousCounter: number; newCounter: number; backedUp: boolean; at: Date },
  ): Promise<boolean>;
  /** Only the user's own passkey: null otherwise. */
  renamePasskey(userId: string, id: string, name: string): Promise<Passkey | null>;
  deletePasskey(userId: string, id: string): Promise<boolean>;
  deleteAllPasskeys(userId: string): Promise<void>;
  /** users.passkey_count recomputed from the table. */
  recountPasskeys(userId: string): Promise<User>;
  /** Sets users.webauthn_user_id to `handle` only if it has none; returns the row with whichever handle it has. */
  ensureWebauthnUserId(userId: string, handle: string): Promise<User | null>;
  insertPasskeyCeremony(ceremony: PasskeyCeremony): Promise<void>;
  /** Atomic single use of a registration ceremony of this user and session: null if used, expired or not theirs. */
  consumeRegistrationCeremony(
    challenge: string,
    userId: string,
    sessionId: string,
    now: Date,
  ): Promise<PasskeyCeremony | null>;
  /** Atomic single use of a sign-in ceremony; one bound to a browser is consumed only with its binding hash. */
  consumeSignInCeremony(challenge: string, bindingHash: Buffer | null, now: Date): Promise<PasskeyCeremony | null>;
}

/** trusted_browsers: "don't ask again on this browser" (core/trusted-browsers.ts). */
export interface TrustedBrowserStore {
  /** Inserts the row only while the user's credentials_version is still `credentialsVersion`: false otherwise. */
  insertTrustedBrowser(browser: TrustedBrowser, credentialsVersion: number): Promise<boolean>;
  findTrustedBrowser(id: string): Promise<TrustedBrowser | null>;
  touchTrustedBrowser(id: string, at: Date): Promise<void>;
  /** The user's unexpired rows, most recently used first. */
  listTrustedBrowsers(userId: string, now: Date): Promise<TrustedBrowser[]>;
  /** Only the user's own row: false otherwise. */
  deleteTrustedBrowser(userId: string, id: string): Promise<boolean>;
  deleteUserTrustedBrowsers(userId: string): Promise<number>;
}

/** account_recoveries: the 24-hour wait before a lost-everything reset (core/account-recovery.ts). */
export interface AccountRecoveryStore {
  insertAccountRecovery(recovery: AccountRecovery): Promise<void>;
  /** The user's recovery neither completed nor cancelled, started under `credentialsVersion` (older ones are void). */
  findOpenAccountRecovery(userId: string, credentialsVersion: number): Promise<AccountRecovery | null>;
  /**
   * Marks a ready recovery completed, in one statement that locks the user row and checks that its version is
   * still `credentialsVersion`: false when it is not ready, was cancelled or completed, or the credentials moved.
   */
  completeAccountRecovery(id: string, userId: string, credentialsVersion: number, now: Date): Promise<boolean>;
  /** Cancels every open recovery of the user; returns how many. */
  cancelAccountRecoveries(userId: string, now: Date): Promise<number>;
  /**
   * Every second factor off: SMS two-factor, the authenticator app, passkeys, recovery codes and trusted browsers
   * deleted, and the users counters zeroed. Inside the caller's transaction, after its version bump.
   */
  resetSecondFactors(userId: string): Promise<User>;
}
