/**
 * The codes the API answers with (API.md, docs/api.md), so `isTwofoldError(error, "…")` catches typos. A newer
 * server may send one not listed here: `TwofoldError.code` stays a plain string.
 */
export type TwofoldErrorCode =
  | "invalid_request"
  | "invalid_json"
  | "weak_password"
  | "invalid_token"
  | "invalid_phone"
  | "unsupported_country"
  | "phone_opted_out"
  | "invalid_code"
  | "invalid_credentials"
  | "unauthenticated"
  | "email_not_verified"
  | "account_locked"
  /**
   * 403: two-factor is on and this session has not passed a second factor in the last 10 minutes: step up, then retry.
   */
  | "second_factor_required"
  | "invalid_origin"
  | "not_found"
  /** 409: a credential or factor changed while this request was using it (e.g. a reset during sign-in): start again. */
  | "credentials_changed"
  | "phone_not_verified"
  | "email_taken"
  | "challenge_expired"
  | "payload_too_large"
  | "unsupported_media_type"
  | "sms_limit"
  | "resend_too_soon"
  | "too_many_attempts"
  | "rate_limited"
  | "sms_unavailable"
  | "internal_error"
  | "service_unavailable"
  /** Made by this client: no answer came back. */
  | "network_error";

/** Every failed call becomes one of these, so callers branch on `code`, never on message text. */
export class TwofoldError extends Error {
  readonly status: number;
  /** The API's snake_case code, or `network_error` / `http_<status>` when no API error body came back. */
  readonly code: TwofoldErrorCode | (string & {});
  /** Per-field messages on validation errors (`{ email: "..." }`). */
  readonly fields: Record<string, string>;
  /** From `Retry-After` on 429 (and 503), in seconds; `null` when absent. */
  readonly retryAfterSeconds: number | null;
  /** Extra members of the error object (e.g. `attemptsLeft` on `invalid_code`). */
  readonly details: Record<string, unknown>;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    fields?: Record<string, string>;
    retryAfterSeconds?: number | null;
    details?: Record<string, unknown>;
  }) {
    super(init.message);
    this.name = "TwofoldError";
    this.status = init.status;
    this.code = init.code;
    this.fields = init.fields ?? {};
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
    this.details = init.details ?? {};
  }
}

// `string & {}` keeps unknown codes (and `http_<status>`) allowed while editors still suggest the known ones.
export function isTwofoldError(error: unknown, code?: TwofoldErrorCode | (string & {})): error is TwofoldError {
  return error instanceof TwofoldError && (code === undefined || error.code === code);
}

/** Wrong-code budget left, from `invalid_code` errors (`error.attemptsLeft`); `null` when the error has none. */
export function attemptsLeftOf(error: TwofoldError): number | null {
  const value = error.details.attemptsLeft;
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Builds the error from a non-2xx response; tolerates non-JSON bodies (proxies, crashes). */
export async function errorFromResponse(response: Response): Promise<TwofoldError> {
  const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: fall through to the generic error below.
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (error && typeof error.code === "string") {
    const { code, message, fields, ...details } = error;
    return new TwofoldError({
      status: response.status,
      code,
      message: typeof message === "string" ? message : `Request failed (${response.status}).`,
      fields: isStringRecord(fields) ? fields : {},
      retryAfterSeconds,
      details,
    });
  }
  return new TwofoldError({
    status: response.status,
    code: `http_${response.status}`,
    message: `${`The server answered ${response.status} ${response.statusText}`.trim()}.`,
    retryAfterSeconds,
  });
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "string");
}
