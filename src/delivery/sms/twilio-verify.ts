import { SmsDeliveryError } from "./twilio-errors";
import { postTwilioForm, trimTrailingSlash } from "./twilio-http";

export interface TwilioVerifyOptions {
  accountSid: string;
  authToken: string;
  /** TWILIO_VERIFY_SERVICE_SID (`VA…`). */
  serviceSid: string;
  /** TWILIO_VERIFY_API_BASE; tests point it at the fake Twilio. */
  apiBase?: string;
  timeoutMs?: number;
}

export interface TwilioVerifyClient {
  /**
   * Texts a code to `to` (E.164). Twilio resends the same code, under the same sid, while a verification is pending.
   */
  startVerification(to: string): Promise<{ sid: string }>;
  /**
   * `approved: false` for a wrong code, and for a verification that can no longer be approved: expired,
   * already approved (Twilio deletes it: 404, code 20404) or past its 5 checks (429, code 60202).
   */
  checkVerification(to: string, code: string): Promise<{ approved: boolean }>;
}

const accountSidPattern = /^AC[0-9a-fA-F]{32}$/;
const serviceSidPattern = /^VA[0-9a-fA-F]{32}$/;

/**
 * Twilio Verify v2: Twilio generates, texts and checks the code (`POST /v2/Services/{ServiceSid}/Verifications`
 * and `/VerificationCheck`). Our challenge, attempt counts and send limits still apply on top. Failures throw
 * SmsDeliveryError, classified as for the Messages API (twilio-errors.ts).
 */
export function createTwilioVerifyClient(options: TwilioVerifyOptions): TwilioVerifyClient {
  const { accountSid, authToken, serviceSid, timeoutMs = 10_000 } = options;
  if (!accountSidPattern.test(accountSid)) throw new Error("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits");
  if (!authToken) throw new Error("TWILIO_AUTH_TOKEN is required");
  if (!serviceSidPattern.test(serviceSid))
    throw new Error("TWILIO_VERIFY_SERVICE_SID must be VA followed by 32 hex digits");
  const serviceUrl = `${trimTrailingSlash(options.apiBase ?? "https://verify.twilio.com")}/v2/Services/${serviceSid}`;
  const credentials = { accountSid, authToken };

  return {
    async startVerification(to) {
      const created = await postTwilioForm(
        `${serviceUrl}/Verifications`,
        { To: to, Channel: "sms" },
        { credentials, timeoutMs, recipient: to, what: "Verify start" },
      );
      if (typeof created.sid !== "string") {
        // Retrying is harmless: a second start within the verification's life resends the same code.
        throw new SmsDeliveryError("Twilio Verify start: answer without a verification sid", { reason: "transient" });
      }
      return { sid: created.sid };
    },

    async checkVerification(to, code) {
      try {
        const checked = await postTwilioForm(
          `${serviceUrl}/VerificationCheck`,
          { To: to, Code: code },
          { credentials, timeoutMs, recipient: to, what: "Verify check" },
        );
        return { approved: checked.status === "approved" && checked.valid === true };
      } catch (error) {
        if (error instanceof SmsDeliveryError && (error.code === 20404 || error.code === 60202))
          return { approved: false };
        throw error;
      }
    },
  };
}
