/** Domain records, as the repository returns them. Dates are Date objects in UTC. */
export interface User {
  id: string;
  email: string;
  emailVerifiedAt: Date | null;
  name: string;
  avatarVersion: number;
  phoneNumber: string | null;
  phoneVerifiedAt: Date | null;
  twoFactorSms: boolean;
  /** A confirmed authenticator app. */
  twoFactorTotp: boolean;
  passkeyCount: number;
  recoveryCodesLeft: number;
  /** The WebAuthn user handle, made at the first passkey registration. */
  webauthnUserId: string | null;
  codeEntryBlockedUntil: Date | null;
  /** Bumped by every change to what sign-in checks; see core/credentials.ts. */
  credentialsVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Session {
  id: string;
  secretHash: Buffer;
  userId: string;
  assuranceLevel: number;
  /** When this session last passed a second factor (sign-in code or step-up); null if never. */
  secondFactorAt: Date | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export type OneTimeTokenPurpose =
  | "verify_email"
  | "reset_password"
  | "change_email"
  | "unlock_sign_in"
  | "account_recovery";

export interface OneTimeToken {
  id: string;
  purpose: OneTimeTokenPurpose;
  userId: string;
  secretHash: Buffer;
  email: string;
  /** Sign-up links: the password to set when the link is followed. */
  passwordHash: string | null;
  /** Sign-up links: the name that sign-up gave. */
  name: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export type ChallengePurpose = "sign_in" | "phone_verification" | "step_up";

/** A second-factor challenge: one purpose, one user, one phone; its budget lives on the row. */
export interface Challenge {
  id: string;
  purpose: ChallengePurpose;
  userId: string;
  /** The user's credentialsVersion when the challenge opened: a later change makes it worthless. */
  credentialsVersion: number;
  /** Step-up: the session that asked, the only one the passed factor is credited to. */
  sessionId: string | null;
  /** SHA-256 of the binding secret held by the browser that started it (challenge cookie); null for API clients. */
  clientBinding: Buffer | null;
  phoneNumber: string | null;
  codeHash: Buffer | null;
  codeExpiresAt: Date | null;
  /** The WebAuthn challenge of this step's passkey options, once the passkey step was started. */
  webauthnChallenge: string | null;
  /** Why the sign-in's first text could not be sent; retryAt is when a limit lifts (ISO), if it is one. */
  smsError: { code: string; message: string; retryAt: string | null } | null;
  attempts: number;
  sends: number;
  resendAt: Date | null;
  createdAt: Date;
  expiresAt: Date;
  completedAt: Date | null;
}

export interface SignInThrottle {
  failures: number;
  retryAt: Date;
  lockedAt: Date | null;
}

export interface SecurityEvent {
  type: SecurityEventType;
  createdAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export type SecurityEventType =
  | "sign_up"
  | "email_verified"
  | "sign_in"
  | "sign_in_failed"
  | "sign_in_locked"
  | "sign_in_unlocked"
  | "sign_in_unverified"
  | "sign_in_challenged"
  | "sign_out"
  | "password_changed"
  | "password_reset_requested"
  | "password_reset"
  | "email_change_requested"
  | "email_changed"
  | "profile_updated"
  | "avatar_changed"
  | "session_revoked"
  | "other_sessions_revoked"
  | "rate_limited"
  | "sms_limited"
  | "sms_failed"
  | "code_failed"
  | "code_entry_blocked"
  | "phone_verification_started"
  | "phone_added"
  | "phone_changed"
  | "phone_removed"
  | "two_factor_enabled"
  | "two_factor_disabled"
  | "sign_in_second_factor"
  | "step_up"
  | "totp_enabled"
  | "totp_disabled"
  | "recovery_codes_generated"
  | "recovery_code_used"
  | "passkey_added"
  | "passkey_renamed"
  | "passkey_removed"
  | "passkey_sign_in"
  | "trusted_browser_added"
  | "trusted_browser_used"
  | "trusted_browser_revoked"
  | "account_recovery_requested"
  | "account_recovery_started"
  | "account_recovery_cancelled"
  | "account_recovery_completed";

/** Who is asking: recorded on sessions and security events, used for rate limits. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
  /**
   * A browser's challenge-cookie secret: a challenge created with it can only be continued by the same browser.
   * Absent for API clients, whose challenge id alone (192 bits) is the handle.
   */
  challengeBinding?: string;
}

/** An authenticator app: the secret as stored (sealed), and whether a code has proved it. */
export interface TotpCredential {
  userId: string;
  sealedSecret: Buffer;
  confirmedAt: Date | null;
  lastUsedStep: number | null;
  createdAt: Date;
}

export interface Passkey {
  id: string;
  userId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[] | null;
  deviceType: string | null;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface PasskeyCeremony {
  id: string;
  purpose: "register" | "sign_in";
  userId: string | null;
  sessionId: string | null;
  challenge: string;
  clientBinding: Buffer | null;
  credentialsVersion: number | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface TrustedBrowser {
  id: string;
  userId: string;
  secretHash: Buffer;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

export interface AccountRecovery {
  id: string;
  userId: string;
  credentialsVersion: number;
  requestedAt: Date;
  readyAt: Date;
  completedAt: Date | null;
  cancelledAt: Date | null;
  ip: string | null;
  userAgent: string | null;
}
