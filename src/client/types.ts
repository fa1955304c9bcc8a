/** Shapes of the public API (docs: /work/shared/API.md). Times are ISO 8601 strings in UTC. */
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";

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
  /** Masked (`+1 ••• ••• 4567`), for showing where others may look. */
  phoneNumber: string | null;
  /** The same number in full (E.164), to its signed-in owner: every answer carrying a `User` goes to its owner. */
  phoneNumberFull: string | null;
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

/** Every second factor, in the order a sign-in offers them (the first one the user has is the first step). */
export const twoFactorMethods = ["passkey", "totp", "sms", "recovery_code"] as const;

export type TwoFactorMethod = (typeof twoFactorMethods)[number];

/**
 * What proves a second factor at sign-in or step-up: a code (texted, from an authenticator app, or a recovery
 * code such as `abcd-efgh-jkmn`), or a passkey's assertion as @simplewebauthn/browser's `startAuthentication`
 * returns it.
 */
export type SecondFactorProof =
  | { method: "sms" | "totp" | "recovery_code"; code: string }
  | { method: "passkey"; response: AuthenticationResponseJSON };

/** Why the sign-in code could not be texted (`sms_limit`, `sms_unavailable`…); the other methods still work. */
export interface SmsError {
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

export interface TwoFactorChallenge {
  id: string;
  methods: TwoFactorMethod[];
  phoneHint: string | null;
  expiresAt: string;
  resendAt: string | null;
  /** Present when SMS was the first step and its code could not be sent: the page offers the other methods. */
  smsError?: SmsError;
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
  /** The number being verified in full (E.164), so its owner can spot a typo. */
  phoneNumber: string;
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
  /** The second factors this account can step up with, in the order offered. */
  methods?: TwoFactorMethod[];
}

/** `POST /api/account/step-up/send`; with `{method:"passkey"}` it carries the options for `startAuthentication`. */
export interface StepUpSent extends StepUpState {
  passkeyOptions?: PublicKeyCredentialRequestOptionsJSON;
}

/** An account recovery in its 24-hour wait: at `readyAt` the next sign-in with the password removes every second factor. */
export interface AccountRecoveryStatus {
  requestedAt?: string;
  readyAt: string;
}

export type StepUpMethod = TwoFactorMethod;

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

/** A change that may have turned two-factor on for the first time: only then does it carry the recovery codes. */
export interface FactorAdded {
  user: User;
  /** The 10 recovery codes, shown once; present only when these are the account's first. */
  recoveryCodes?: string[];
}

/** `POST /api/account/two-factor/totp/setup`: the secret to load into an authenticator app, pending until confirmed. */
export interface TotpSetup {
  /** Base32. */
  secret: string;
  otpauthUri: string;
}

export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** Synced by its provider (iCloud Keychain, Google Password Manager…), so it survives losing one device. */
  backedUp: boolean;
}

/** A browser that skips the second step at sign-in for 30 days (`trustDevice` on a sign-in verify). */
export interface TrustedBrowser {
  id: string;
  /** True for the browser that made this request. */
  current: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  ip: string | null;
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
