import type { Channel } from "../channel";
import { postTwilioForm, trimTrailingSlash } from "./twilio-http";

export { SmsDeliveryError, type SmsFailureReason } from "./twilio-errors";

/** One text message. `to` is E.164 (`+905551234567`), already normalised and allowed by the caller. */
export interface OutgoingSms {
  to: string;
  body: string;
}

export interface TwilioSmsOptions {
  accountSid: string;
  authToken: string;
  /**
   * Our sender: a Twilio number (E.164), short code or alphanumeric sender ID. Exactly one of from /
   * messagingServiceSid.
   */
  from?: string;
  /** A Messaging Service (`MG…`) that picks the sender from its pool. */
  messagingServiceSid?: string;
  /** TWILIO_API_BASE; tests point it at the fake Twilio. */
  apiBase?: string;
  /** Public URL of our status-callback route; Twilio POSTs delivery reports there, signed (twilio-signature.ts). */
  statusCallbackUrl?: string;
  /** Whole-request budget, answer included. */
  timeoutMs?: number;
}

const accountSidPattern = /^AC[0-9a-fA-F]{32}$/;
const messagingServiceSidPattern = /^MG[0-9a-fA-F]{32}$/;

/**
 * SMS through Twilio's Programmable Messaging REST API: `POST
 * {apiBase}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * answered 201 with the Message resource, whose `sid` becomes the providerMessageId. Failures throw
 * SmsDeliveryError (a DeliveryError) with `reason`, `code` and `permanent` set; see twilio-errors.ts.
 *
 * A bad configuration throws here, at start-up, rather than on the first sign-in.
 */
export function createTwilioSmsChannel(options: TwilioSmsOptions): Channel<OutgoingSms> {
  const { accountSid, authToken, from, messagingServiceSid, statusCallbackUrl, timeoutMs = 10_000 } = options;
  if (!accountSidPattern.test(accountSid)) throw new Error("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits");
  if (!authToken) throw new Error("TWILIO_AUTH_TOKEN is required");
  // Twilio would accept both (From must then be in the service's pool); one sender setting keeps it obvious which is
  // used.
  if (Boolean(from) === Boolean(messagingServiceSid))
    throw new Error("Set exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID");
  if (messagingServiceSid && !messagingServiceSidPattern.test(messagingServiceSid)) {
    throw new Error("TWILIO_MESSAGING_SERVICE_SID must be MG followed by 32 hex digits");
  }
  if (statusCallbackUrl && !/^https?:\/\//.test(statusCallbackUrl))
    throw new Error("The Twilio status callback URL must be absolute (http or https)");
  const url = `${trimTrailingSlash(options.apiBase ?? "https://api.twilio.com")}/2010-04-01/Accounts/${accountSid}/Messages.json`;

  return {
    async send(message) {
      const form: Record<string, string> = { To: message.to, Body: message.body };
      if (messagingServiceSid) form.MessagingServiceSid = messagingServiceSid;
      else form.From = from!;
      if (statusCallbackUrl) form.StatusCallback = statusCallbackUrl;
      const created = await postTwilioForm(url, form, {
        credentials: { accountSid, authToken },
        timeoutMs,
        recipient: message.to,
        what: "SMS",
      });
      // 201 means Twilio queued it: a reply without a sid is still a send, and retrying would text the user twice.
      return { providerMessageId: typeof created.sid === "string" ? created.sid : undefined };
    },
  };
}
