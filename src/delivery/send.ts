import type { SmsDeliveryOutcome } from "../core/deps";
import { assertMessageData } from "../core/messages";
import type { OutboxMessage } from "../db/outbox";
import { type Channel, isPermanentFailure } from "./channel";
import type { EmailApp } from "./email/templates";
import { openPayload, type PayloadOpener, renderStoredEmail } from "./render";
import type { SmsMessage } from "./sms/channel";
import { SmsDeliveryError } from "./sms/twilio-errors";

type PermanentReason = Extract<SmsDeliveryOutcome, { permanent: true }>["reason"];

/** What one try at sending gave: the provider's id, or the error and whether trying again could help. */
export type SendOutcome =
  | { ok: true; providerMessageId?: string }
  | { ok: false; permanent: boolean; error: string; reason?: PermanentReason };

/** Everything a send needs besides the message: the key to its sealed data, the app the copy names, the providers. */
export interface Senders {
  sealer: PayloadOpener;
  app: EmailApp;
  email: Channel;
  sms?: Channel<SmsMessage>;
}

/** Hands one claimed message to its channel's provider, once. Never throws: every failure is an outcome. */
export function sendMessage(message: OutboxMessage, senders: Senders): Promise<SendOutcome> {
  return message.channel === "sms" ? sendSms(message, senders) : sendEmail(message, senders);
}

async function sendSms(message: OutboxMessage, { sealer, sms }: Senders): Promise<SendOutcome> {
  let data: ReturnType<typeof openPayload>;
  try {
    data = openPayload(message, sealer);
    assertMessageData("sms", message.template, data);
  } catch (error) {
    return { ok: false, permanent: true, reason: "rejected", error: `render: ${(error as Error).message}` };
  }
  try {
    // SMS rows are claimed only when there is an SMS channel (the worker's channels, deliverNow's check).
    const result = await sms!.send({ to: message.recipient, template: message.template, data });
    return { ok: true, providerMessageId: result.providerMessageId };
  } catch (error) {
    const reason = error instanceof SmsDeliveryError && error.reason !== "transient" ? error.reason : undefined;
    return {
      ok: false,
      permanent: isPermanentFailure(error),
      reason: reason ?? "rejected",
      error: String((error as Error)?.message ?? error),
    };
  }
}

async function sendEmail(message: OutboxMessage, { sealer, app, email }: Senders): Promise<SendOutcome> {
  let rendered: ReturnType<typeof renderStoredEmail>;
  try {
    rendered = renderStoredEmail(message, sealer, app);
  } catch (error) {
    // Unreadable payload, unknown template, foreign link: no retry will fix it.
    return { ok: false, permanent: true, error: `render: ${(error as Error).message}` };
  }
  try {
    const result = await email.send({ to: message.recipient, ...rendered, outboxId: message.id });
    return { ok: true, providerMessageId: result.providerMessageId };
  } catch (error) {
    return { ok: false, permanent: isPermanentFailure(error), error: String((error as Error)?.message ?? error) };
  }
}
