/** Failures a flow can end in; the HTTP layer maps each code to a status. Bad input never throws through. */
export type FailureCode =
  | "invalid_request"
  | "invalid_credentials"
  | "account_locked"
  | "email_not_verified"
  | "weak_password"
  | "invalid_token"
  | "email_taken"
  | "rate_limited"
  | "not_found"
  | "unauthenticated"
  | "invalid_phone"
  | "unsupported_country"
  | "phone_opted_out"
  | "phone_not_verified"
  | "sms_limit"
  | "sms_unavailable"
  | "resend_too_soon"
  | "invalid_code"
  | "challenge_expired"
  /** The passkey being registered is registered already (to this or another account). */
  | "passkey_exists"
  | "too_many_attempts"
  /** An authenticator app is already set up: remove it before setting up another. */
  | "factor_exists"
  /** Asked for something that exists only while two-factor is on (recovery codes). */
  | "two_factor_off"
  /** A credential or factor changed while this request was using it (a reset during sign-in): start again. */
  | "credentials_changed"
  /** 2FA is on and this session has not passed a second factor recently: step up, then retry. */
  | "second_factor_required";

export interface Failure {
  ok: false;
  code: FailureCode;
  message: string;
  fields?: Record<string, string>;
  retryAfterSeconds?: number;
  /** invalid_code: wrong codes this challenge still accepts. */
  attemptsLeft?: number;
}

export type Result<T> = ({ ok: true } & T) | Failure;

/** A flow that succeeds with nothing to return. */
export type Done = Result<Record<never, never>>;

export function fail(
  code: FailureCode,
  message: string,
  extra: Partial<Pick<Failure, "fields" | "retryAfterSeconds" | "attemptsLeft">> = {},
): Failure {
  return { ok: false, code, message, ...extra };
}

export function ok<T extends object>(value: T): { ok: true } & T {
  return { ok: true, ...value };
}

/** A 429 the client can act on: it says when to try again. */
export function rateLimited(retryAfterSeconds: number, message = "Too many attempts. Try again later."): Failure {
  return fail("rate_limited", message, { retryAfterSeconds });
}
