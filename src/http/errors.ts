import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Failure } from "../core/result";

export type ErrorCode =
  | Failure["code"]
  | "invalid_json"
  | "invalid_origin"
  | "payload_too_large"
  | "unsupported_media_type"
  | "internal_error"
  | "service_unavailable";

/** Every code the API answers with, and its one status (exported so tests check answers against the full set). */
export const statusByCode: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_json: 400,
  weak_password: 400,
  invalid_token: 400,
  invalid_phone: 400,
  unsupported_country: 400,
  phone_opted_out: 400,
  invalid_code: 400,
  credentials_changed: 409,
  phone_not_verified: 409,
  challenge_expired: 410,
  sms_limit: 429,
  resend_too_soon: 429,
  too_many_attempts: 429,
  sms_unavailable: 503,
  invalid_credentials: 401,
  unauthenticated: 401,
  email_not_verified: 403,
  account_locked: 403,
  second_factor_required: 403,
  invalid_origin: 403,
  not_found: 404,
  email_taken: 409,
  passkey_exists: 409,
  factor_exists: 409,
  two_factor_off: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: Record<string, string>; attemptsLeft?: number };
}

/**
 * The one error shape of API.md; 429s carry Retry-After. Typed `never` so a handler can return it from any typed
 * route: the OpenAPI route declares the error statuses, not the handler's return type.
 */
export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  extra: { fields?: Record<string, string>; retryAfterSeconds?: number; attemptsLeft?: number } = {},
): never {
  if (extra.retryAfterSeconds !== undefined) c.header("Retry-After", String(extra.retryAfterSeconds));
  const body: ErrorBody = {
    error: {
      code,
      message,
      ...(extra.fields ? { fields: extra.fields } : {}),
      ...(extra.attemptsLeft !== undefined ? { attemptsLeft: extra.attemptsLeft } : {}),
    },
  };
  return c.json(body, statusByCode[code]) as never;
}

export function failureResponse(c: Context, failure: Failure): never {
  return errorResponse(c, failure.code, failure.message, failure);
}
