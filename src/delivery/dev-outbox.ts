import type { OutboxMessage as DevOutboxMessage } from "../client/types";
import { type Config, devOutboxChannels } from "../config";
import { isCodeMessage } from "../core/messages";
import type { Database } from "../db/client";
import { listRecentMessages, type OutboxMessage } from "../db/outbox";
import { openPayload, type PayloadOpener, renderStoredEmail } from "./render";
import { renderSms } from "./sms/templates";

// What GET /api/dev/outbox answers: the typed client's shape, so the two cannot drift apart.
export type { DevOutboxMessage };

type Rendered = Pick<DevOutboxMessage, "subject" | "body" | "html">;

function renderForDev(
  message: OutboxMessage,
  opener: PayloadOpener,
  config: Pick<Config, "appName" | "appUrl">,
): Rendered {
  try {
    if (message.channel === "email") {
      const email = renderStoredEmail(message, opener, config);
      return { subject: email.subject, body: email.text, html: email.html };
    }
    const data = openPayload(message, opener);
    // With Twilio Verify the code is made by Twilio and never passes through us.
    const body =
      data.code === undefined && isCodeMessage(message.template)
        ? "(code sent by Twilio Verify)"
        : renderSms(message.template, data, config);
    return { subject: null, body, html: null };
  } catch (error) {
    // One unreadable message (old SECRET, removed template) must not hide the rest of the list.
    return { subject: null, body: `(cannot be shown: ${(error as Error).message})`, html: null };
  }
}

/**
 * Development only: renders each message of the dev channels (config.devOutbox) from its sealed data, links
 * included, so sign-up and password reset can be clicked through without a mail server. A channel with a real
 * provider (SMTP, Twilio) is left out in the query itself: its messages reached real people.
 */
export async function listDevOutbox(
  db: Database,
  opener: PayloadOpener,
  config: Pick<Config, "appName" | "appUrl" | "devOutbox">,
  limit = 50,
): Promise<DevOutboxMessage[]> {
  const messages = await listRecentMessages(db, { channels: devOutboxChannels(config), limit });
  return messages.map((message) => ({
    id: message.id,
    channel: message.channel,
    to: message.recipient,
    ...renderForDev(message, opener, config),
    createdAt: message.createdAt.toISOString(),
    status: message.status,
  }));
}
