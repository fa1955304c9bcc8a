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
  createdAt: Date;
  updatedAt: Date;
}

export interface Session {
  id: string;
  secretHash: Buffer;
  userId: string;
  assuranceLevel: number;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export type OneTimeTokenPurpose = "verify_email" | "reset_password" | "change_email";

export interface OneTimeToken {
  id: string;
  purpose: OneTimeTokenPurpose;
  userId: string;
  secretHash: Buffer;
  email: string;
  /** Sign-up links: the password to set when the link is followed. */
  passwordHash: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface Challenge {
  id: string;
  purpose: "sign_in" | "phone_verification";
  userId: string;
  expiresAt: Date;
  resendAt: Date | null;
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
  | "rate_limited";

export type EmailTemplate =
  | "verify_email"
  | "password_reset"
  | "email_change_confirm"
  | "email_change_notice"
  | "password_changed"
  | "sign_up_attempt";

export interface EmailIntent {
  channel: "email";
  template: EmailTemplate;
  recipient: string;
  data: Record<string, string>;
}

/** Who is asking: recorded on sessions and security events, used for rate limits. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}
