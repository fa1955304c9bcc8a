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

export type OneTimeTokenPurpose = "verify_email" | "reset_password" | "change_email" | "unlock_sign_in";

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
  | "step_up";

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
