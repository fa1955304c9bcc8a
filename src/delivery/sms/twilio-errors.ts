import { DeliveryError } from "../channel";

/**
 * What a failed Twilio call means for the user and the outbox. Everything but `transient` is permanent:
 * sending the same message again would fail the same way.
 * - `invalid_phone`: not a number Twilio can text (21211 invalid, 21614 not mobile, 21635 landline; Verify 60200,
 * 60205).
 * - `unsupported_destination`: the account may not text that country or prefix (21408; Verify 60605, 60410).
 * - `opted_out`: the recipient replied STOP to our sender (21610); only their replying START undoes it.
 * - `configuration`: the operator's setup is wrong (20003 bad TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN, a From the
 *   account does not own, an unknown service SID). See SmsDeliveryError.
 * - `rejected`: any other refusal of the request (4xx), e.g. 21617 body too long or 21608 trial-account limits.
 * - `transient`: 20429, HTTP 429, 5xx, no answer, timeout: retried from the outbox with backoff.
 */
export type SmsFailureReason =
  | "invalid_phone"
  | "unsupported_destination"
  | "opted_out"
  | "configuration"
  | "rejected"
  | "transient";

/**
 * A failed SMS send or Verify call. `reason` is what callers branch on; `code` is Twilio's error code when
 * Twilio answered with one (https://www.twilio.com/docs/errors/<code>).
 *
 * `configuration` is permanent for this message but says nothing about the user: the caller must log it at
 * error level, loudly (no SMS will go out until an operator fixes the Twilio settings), and tell the user
 * that SMS is unavailable, not that their number is wrong.
 *
 * The message never holds the full phone number or the SMS body (which carries the code): it is logged and
 * stored in the outbox's last_error.
 */
export class SmsDeliveryError extends DeliveryError {
  readonly reason: SmsFailureReason;
  readonly code: number | undefined;
  /** The HTTP status Twilio answered with; undefined when no answer came (network error, timeout). */
  readonly httpStatus: number | undefined;

  constructor(
    message: string,
    details: { reason: SmsFailureReason; code?: number; httpStatus?: number; cause?: unknown },
  ) {
    super(message, details.reason !== "transient", { cause: details.cause });
    this.name = "SmsDeliveryError";
    this.reason = details.reason;
    this.code = details.code;
    this.httpStatus = details.httpStatus;
  }
}

/** Twilio error codes with a meaning of their own; anything else is classified by its HTTP status. */
const reasonByTwilioCode: Readonly<Record<number, SmsFailureReason>> = {
  21211: "invalid_phone", // Invalid 'To' phone number
  21614: "invalid_phone", // 'To' number is not a valid mobile number
  21635: "invalid_phone", // 'To' number cannot be a landline
  21408: "unsupported_destination", // Permission to send an SMS has not been enabled for the region
  21610: "opted_out", // Attempt to send to unsubscribed recipient (replied STOP)
  20003: "configuration", // Authentication failed
  20404: "configuration", // Unknown resource: a wrong AccountSid, service SID or API base
  21212: "configuration", // Invalid 'From' number
  21603: "configuration", // No 'From' or 'MessagingServiceSid'
  21606: "configuration", // 'From' is not a message-capable number of this account
  21659: "configuration", // 'From' is not a Twilio phone number
  20429: "transient", // Too many requests
  60200: "invalid_phone", // Verify: invalid parameter; for our calls, a malformed To
  60205: "invalid_phone", // Verify: SMS is not supported by landline phone number
  60410: "unsupported_destination", // Verify: delivery blocked by Fraud Guard (prefix under SMS pumping attack)
  60605: "unsupported_destination", // Verify: destination blocked by Verify geo-permissions
  60203: "transient", // Verify: max send attempts to this number; possible again once the verification expires (10 min)
};

export function classifyTwilioError(httpStatus: number, code: number | undefined): SmsFailureReason {
  const known = code === undefined ? undefined : reasonByTwilioCode[code];
  if (known) return known;
  if (httpStatus === 429 || httpStatus >= 500) return "transient";
  if (httpStatus === 401 || httpStatus === 403) return "configuration";
  return "rejected";
}

/** `+905551234567` → `•••4567`: enough to tell two numbers apart in a log, too little to harvest them. */
export function maskPhoneForLog(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  const kept = digits.length >= 8 ? 4 : 2;
  return digits.length > kept ? `•••${digits.slice(-kept)}` : "•••";
}

/**
 * Twilio's messages quote the number back ("The 'To' number +15005550001 is not valid"): mask runs of 6+ digits
 * (numbers, and any 6-digit code). Shorter runs stay: Twilio's own error codes have 5 digits ("failed, 21211"),
 * and masking them (as a 5+ digit rule did) left last_error and the operator's log without the code that says
 * what went wrong.
 */
export function redactPhoneNumbers(text: string): string {
  return text.replace(/\+?\d[\d\s().-]{3,}\d/g, (run) =>
    run.replace(/\D/g, "").length >= 6 ? maskPhoneForLog(run) : run,
  );
}
