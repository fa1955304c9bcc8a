import type { Config } from "../config";
import type { Database } from "../db/client";
import { listRecentMessages, type OutboxMessage } from "../db/outbox";
import { openPayload, type PayloadOpener, renderStoredEmail } from "./render";

/** Same shape as OutboxMessage in src/client/types.ts (GET /api/dev/outbox). */
export interface DevOutboxMessage {
  id: string;
  channel: "email" | "sms";
  to: string;
  subject: string | null;
  body: string;
  html: string | null;
  createdAt: string;
  status: string;
}

type Rendered = Pick<DevOutboxMessage, "subject" | "body" | "html">;

function renderForDev(message: OutboxMessage, opener: PayloadOpener, config: Pick<Config, "appName" | "appUrl">): Rendered {
  try {
    if (message.channel === "email") {
      const email = renderStoredEmail(message, opener, config);
      return { subject: email.subject, body: email.text, html: email.html };
    }
    // SMS templates arrive with the SMS issue; until then show the raw fields (a dev page, dev data).
    const data = openPayload(message, opener);
    return { subject: null, body: Object.entries(data).map(([key, value]) => `${key}: ${value}`).join("\n"), html: null };
  } catch (error) {
    // One unreadable message (old SECRET, removed template) must not hide the rest of the list.
    return { subject: null, body: `(cannot be shown: ${(error as Error).message})`, html: null };
  }
}

/**
 * Development only (the route is 404 in production): renders each message from its sealed data, links
 * included, so sign-up and password reset can be clicked through without a mail server.
 */
export async function listDevOutbox(
  db: Database,
  opener: PayloadOpener,
  config: Pick<Config, "appName" | "appUrl">,
  limit = 50,
): Promise<DevOutboxMessage[]> {
  const messages = await listRecentMessages(db, limit);
  return messages.map((message) => ({
    id: message.id,
    channel: message.channel,
    to: message.recipient,
    ...renderForDev(message, opener, config),
    createdAt: message.createdAt.toISOString(),
    status: message.status,
  }));
}
