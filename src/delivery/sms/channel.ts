import type { Config } from "../../config";
import { type Channel, DeliveryError, type DeliveryLogger } from "../channel";
import { isCodeMessage, type SmsTemplate } from "../../core/messages";
import { renderSms, type SmsApp } from "./templates";
import { createTwilioSmsChannel } from "./twilio";
import { maskPhoneForLog } from "./twilio-errors";
import { createTwilioVerifyClient } from "./twilio-verify";

export interface SmsMessage {
  to: string;
  template: SmsTemplate;
  data: Record<string, string>;
}

export interface SmsProvider {
  channel: Channel<SmsMessage>;
  /** Who makes the codes: us (twilio, outbox) or Twilio Verify. */
  codes: "local" | "provider";
  checkCode(phoneNumber: string, code: string): Promise<boolean>;
}

/** SMS_PROVIDER decides: Twilio Messaging, Twilio Verify, or the dev outbox (console + /dev/inbox). */
export function createSmsProvider(
  config: Pick<Config, "sms" | "appName" | "appUrl">,
  logger: DeliveryLogger,
): SmsProvider {
  const app: SmsApp = { appName: config.appName, appUrl: config.appUrl };
  const twilio = config.sms.twilio;
  const statusCallbackUrl = `${config.appUrl}/api/webhooks/twilio/status`;
  const messaging =
    twilio && (twilio.from || twilio.messagingServiceSid)
      ? createTwilioSmsChannel({
          accountSid: twilio.accountSid,
          authToken: twilio.authToken,
          from: twilio.from,
          messagingServiceSid: twilio.messagingServiceSid,
          apiBase: twilio.apiBase,
          timeoutMs: twilio.timeoutMs,
          // Twilio can only call back a public https origin; locally there is nobody to report to.
          statusCallbackUrl: config.appUrl.startsWith("https:") ? statusCallbackUrl : undefined,
        })
      : null;
  const neverChecks = async () => false;

  if (config.sms.provider === "twilio-verify" && twilio?.verifyServiceSid) {
    const verify = createTwilioVerifyClient({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      serviceSid: twilio.verifyServiceSid,
      apiBase: twilio.verifyApiBase,
      timeoutMs: twilio.timeoutMs,
    });
    return {
      codes: "provider",
      checkCode: async (phoneNumber, code) => (await verify.checkVerification(phoneNumber, code)).approved,
      channel: {
        async send(message) {
          if (isCodeMessage(message.template))
            return { providerMessageId: (await verify.startVerification(message.to)).sid };
          // Verify sends codes only; notices to a replaced number need a Messaging sender as well.
          if (!messaging)
            throw new DeliveryError(
              "SMS notices need TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID alongside Twilio Verify",
              true,
            );
          return messaging.send({ to: message.to, body: renderSms(message.template, message.data, app) });
        },
      },
    };
  }
  if (config.sms.provider === "twilio" && messaging) {
    return {
      codes: "local",
      checkCode: neverChecks,
      channel: {
        send: (message) => messaging.send({ to: message.to, body: renderSms(message.template, message.data, app) }),
      },
    };
  }
  return {
    codes: "local",
    checkCode: neverChecks,
    channel: {
      // Development only (production refuses SMS_PROVIDER=outbox): the text stays in /dev/inbox and is printed.
      async send(message) {
        logger.info(
          { to: maskPhoneForLog(message.to), text: renderSms(message.template, message.data, app) },
          "Dev outbox SMS (not sent)",
        );
        return {};
      },
    },
  };
}
