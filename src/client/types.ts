/** Shapes of the public API (docs: /work/shared/API.md). Times are ISO 8601 strings in UTC. */

export interface TwoFactorState {
  sms: boolean;
  totp: boolean;
  passkeys: number | boolean;
  recoveryCodesLeft: number;
}

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string;
  /** Absolute path or URL of the current avatar, `null` when the user has none. */
  avatarUrl: string | null;
  /** Masked (`+1 ••• ••• 4567`) except to its verified owner. */
  phoneNumber: string | null;
  phoneVerified: boolean;
  twoFactor: TwoFactorState;
  createdAt: string;
}

/**
 * A session. The sessions list (`GET /api/account/sessions`) fills `current`, `ip`, `userAgent`, `browser` and
 * `os`; the signed-in answers (sign-in, `GET /api/auth/session`) fill `expiresAt`, `assuranceLevel` and
 * `secondFactorAt` instead.
 */
export interface Session {
  id: string;
  /** True for the session that made this request. */
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  browser: string | null;
  os: string | null;
  /** The earlier of the idle and the absolute expiry. */
  expiresAt?: string;
  /** 2 once this session passed a second factor (at sign-in or by step-up). */
  assuranceLevel?: number;
  /**
   * When this session last passed a second factor (sign-in code or step-up), `null` if never. While two-factor is
   * on, security changes need it within the last 10 minutes (`stepUpWindowSeconds`), else 403 `second_factor_required`.
   */
  secondFactorAt?: string | null;
}

/** How long a passed second factor lets a session make security changes (API.md, "Step-up"). */
export const stepUpWindowSeconds = 10 * 60;

export type TwoFactorMethod = "sms" | "totp" | "recovery_code";

export interface TwoFactorChallenge {
  id: string;
  methods: TwoFactorMethod[];
  phoneHint: string | null;
  expiresAt: string;
  resendAt: string | null;
}

/** A sign-in challenge as `GET /api/auth/two-factor/challenge` reports it: how many wrong codes it still takes. */
export interface TwoFactorChallengeStatus extends TwoFactorChallenge {
  attemptsLeft: number;
  /** When the latest code stops working (5 minutes after it was sent); the challenge itself lives longer. */
  codeExpiresAt: string | null;
}

/** A code went out (first send or resend): when the next resend is allowed, and when this code stops working. */
export interface CodeSent {
  resendAt: string;
  expiresAt: string;
  /** When this code stops working (5 minutes); `expiresAt` is the end of the whole challenge (10 minutes). */
  codeExpiresAt: string | null;
}

/** `POST /api/account/phone` (202): the number is pending until its code is verified. */
export interface PhoneVerification extends CodeSent {
  verificationId: string;
  /** Masked, e.g. `+1 ••• ••• 4567`. */
  phoneHint: string;
}

/** `GET /api/account/phone/verification`: the pending verification, with its remaining wrong-code budget. */
export interface PendingPhoneVerification extends PhoneVerification {
  attemptsLeft: number;
}

/**
 * This session's step-up (`POST /api/account/step-up/send` 202, `GET /api/account/step-up` 200): a code went to
 * the account's verified number; `POST /api/account/step-up` with it lets this session make security changes.
 */
export interface StepUpState extends CodeSent {
  /** Masked, e.g. `+1 ••• ••• 4567`. */
  phoneHint: string | null;
  /** Wrong codes this step-up still takes (5 at the start). */
  attemptsLeft: number;
}

export type StepUpMethod = "sms";

export interface SignedIn {
  user: User;
  session: Session;
  /** Only for non-browser clients (no Origin header): send it as `Authorization: Bearer <token>`. */
  token?: string;
}

export interface TwoFactorRequired {
  twoFactorRequired: true;
  challenge: TwoFactorChallenge;
}

/** Sign-in (and verify-email, for accounts with a second factor) ends in one of these. */
export type SignInResult = SignedIn | TwoFactorRequired;

/** Verify-email signs the user in; the session object may be omitted by the server. */
export type VerifyEmailResult = { user: User; session?: Session } | TwoFactorRequired;

export interface SecurityEvent {
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  /** Parsed by the server, e.g. "Chrome 130" and "Linux"; null when unknown. */
  browser: string | null;
  os: string | null;
}

export interface OutboxMessage {
  id: string;
  channel: "email" | "sms";
  to: string;
  subject: string | null;
  body: string;
  html: string | null;
  createdAt: string;
  status: string;
}

export function isTwoFactorRequired(result: SignInResult | VerifyEmailResult): result is TwoFactorRequired {
  return (result as TwoFactorRequired).twoFactorRequired === true;
}
