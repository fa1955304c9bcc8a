import { TwofoldError } from "../../src/client";

/** "45 seconds", "3 minutes", "2 hours" — rounded up, because "try again in 0 minutes" is a lie. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}

/** Anything thrown becomes a TwofoldError, so the UI has one shape to render. */
export function toTwofoldError(error: unknown): TwofoldError {
  if (error instanceof TwofoldError) return error;
  return new TwofoldError({ status: 0, code: "unexpected", message: "Something went wrong. Please try again." });
}

/** The sentence shown above a form. The API's own message is already human; we only add the wait time. */
export function errorText(error: TwofoldError): string {
  if (error.status === 429) {
    const wait = error.retryAfterSeconds;
    return wait
      ? `Too many attempts. Try again in ${formatWait(wait)}.`
      : "Too many attempts. Please wait a little and try again.";
  }
  if (error.code === "http_413") return "That is too large for the server to accept.";
  if (error.code === "http_415") return "That file type is not supported.";
  // CSRF check: usually the app was opened at an address other than APP_URL (e.g. 127.0.0.1 vs localhost).
  if (error.code === "invalid_origin")
    return "The server refused this request because this page was opened from an address it does not trust. Open the app at its configured address and try again.";
  if (error.status >= 500 || error.code.startsWith("http_"))
    return "The server could not handle that right now. Please try again in a moment.";
  return error.message;
}

/**
 * Errors of the SMS flows (phone number, codes, resends), where the generic sentence would mislead: a 429
 * here is about texts sent or codes tried, and a 503 means the SMS provider, not the whole server.
 * `undefined` for every other error, so FormError keeps its usual sentence (and its field list).
 */
export function smsErrorText(error: TwofoldError | null): string | undefined {
  if (!error) return undefined;
  const wait = error.retryAfterSeconds ? formatWait(error.retryAfterSeconds) : null;
  switch (error.code) {
    case "sms_limit":
      return wait
        ? `We've sent as many text messages as we can for now. Try again in ${wait}.`
        : "We've sent as many text messages as we can for now. Try again later.";
    case "resend_too_soon":
      return wait
        ? `Please wait ${wait} before asking for another code.`
        : "Please wait a moment before asking for another code.";
    case "too_many_attempts":
      return `Too many wrong codes. For your security, code entry on this account is paused${wait ? ` for ${wait}` : " for a while"}.`;
    case "sms_unavailable":
      return "We can't send text messages right now. Please try again later.";
    case "phone_opted_out":
      return "This number has blocked our text messages. Reply START to our last message to it, then try again.";
    default:
      return undefined;
  }
}
