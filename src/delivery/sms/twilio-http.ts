import { classifyTwilioError, maskPhoneForLog, redactPhoneNumbers, SmsDeliveryError } from "./twilio-errors";

/**
 * The one way this folder talks to Twilio: a form-encoded POST with HTTP Basic auth (AccountSid:AuthToken),
 * answered with JSON. Used by the Messages channel (twilio.ts) and the Verify client (twilio-verify.ts).
 */

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

/** Longest slice of Twilio's own error message kept in ours. */
const maxTwilioMessageLength = 200;

/**
 * Twilio's error body:
 * `{"code":21211,"message":"…","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`.
 */
interface TwilioErrorBody {
  code?: unknown;
  message?: unknown;
}

export function trimTrailingSlash(base: string): string {
  return base.replace(/\/+$/, "");
}

/**
 * POSTs `form` and resolves with the parsed JSON of a 2xx answer (`{}` if the body is not JSON: Twilio took
 * the request, so it must not be sent again). Throws SmsDeliveryError for anything else; `recipient` only
 * appears masked in its message.
 */
export async function postTwilioForm(
  url: string,
  form: Record<string, string>,
  options: { credentials: TwilioCredentials; timeoutMs: number; recipient: string; what: string },
): Promise<Record<string, unknown>> {
  const { credentials, timeoutMs, recipient, what } = options;
  const to = maskPhoneForLog(recipient);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams(form).toString(),
      // Bounds the whole exchange, body included: a Twilio that accepts the connection and never answers
      // would otherwise hold the outbox lease until it expires.
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const why = timedOut ? `no answer within ${timeoutMs} ms` : `unreachable (${networkErrorText(error)})`;
    throw new SmsDeliveryError(`Twilio ${what} to ${to}: ${why}`, { reason: "transient", cause: error });
  }

  const json = parseJson(text);
  if (response.ok) return json ?? {};

  const body = (json ?? {}) as TwilioErrorBody;
  const code = typeof body.code === "number" ? body.code : undefined;
  const reason = classifyTwilioError(response.status, code);
  const twilioMessage =
    typeof body.message === "string" ? `: ${redactPhoneNumbers(body.message).slice(0, maxTwilioMessageLength)}` : "";
  const label = code === undefined ? `HTTP ${response.status}` : `${code} (HTTP ${response.status})`;
  throw new SmsDeliveryError(`Twilio ${what} to ${to} failed, ${label}${twilioMessage}`, {
    reason,
    code,
    httpStatus: response.status,
  });
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** undici reports "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND, a TLS error) in `cause`. */
function networkErrorText(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}
