import nodemailer from "nodemailer";
import { type Channel, DeliveryError } from "../channel";

interface SmtpErrorFields {
  code?: string;
  responseCode?: number;
  message?: string;
}

/**
 * Kept well under the worker's 10-minute lease (connect 30 s + greeting 30 s + an idle socket 60 s), so a
 * message is never still in flight when another worker may claim it again.
 */
const connectionTimeoutMs = 30_000;
const greetingTimeoutMs = 30_000;
const socketTimeoutMs = 60_000;

/**
 * RFC 5321 §4.2.1: 5yz replies are permanent, 4yz transient. 503 (bad sequence of commands) is a session
 * problem, not a verdict on the message, so it is retried. No reply at all (refused connection, DNS, TLS,
 * timeout) is transient: the server may be back in a minute.
 */
export function isPermanentSmtpError(error: SmtpErrorFields): boolean {
  // Bad credentials are configuration, not the message: retrying lets the operator fix SMTP_URL without
  // losing the queue (the retry schedule spans hours).
  if (error.code === "EAUTH" || error.code === "ENOAUTH") return false;
  if (typeof error.responseCode === "number") {
    return error.responseCode >= 500 && error.responseCode < 600 && error.responseCode !== 503;
  }
  // An address nodemailer itself refuses to put in an envelope will never become valid.
  return error.code === "EENVELOPE";
}

export function toDeliveryError(error: unknown): DeliveryError {
  const fields = (typeof error === "object" && error !== null ? error : { message: String(error) }) as SmtpErrorFields;
  const prefix = [fields.code, fields.responseCode].filter((part) => part !== undefined).join(" ");
  const message = `${prefix ? `${prefix}: ` : ""}${fields.message ?? "SMTP send failed"}`;
  return new DeliveryError(message, isPermanentSmtpError(fields), { cause: error });
}

/** `Twofold <no-reply@acme.com>` → `acme.com`: Message-IDs are made under the sender's domain (RFC 5322 §3.6.4). */
function senderDomain(from: string): string {
  return /@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? "localhost";
}

/** Real mail through the SMTP server in SMTP_URL (smtp:// with STARTTLS when offered, or smtps://). */
export function createSmtpChannel(options: { smtpUrl: string; from: string }): Channel {
  const domain = senderDomain(options.from);
  const transport = nodemailer.createTransport(
    {
      url: options.smtpUrl,
      connectionTimeout: connectionTimeoutMs,
      greetingTimeout: greetingTimeoutMs,
      socketTimeout: socketTimeoutMs,
    },
    { from: options.from },
  );
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          // One Message-ID per outbox message, not per attempt: when a retry follows a send the server took but
          // never confirmed (timeout, crash), both copies carry the same id and mail systems that deduplicate on it
          // drop the second. It also lets operators and tests match a received mail to its outbox row.
          ...(message.outboxId ? { messageId: `<${message.outboxId}@${domain}>` } : {}),
        });
        return { providerMessageId: info.messageId };
      } catch (error) {
        throw toDeliveryError(error);
      }
    },
    close() {
      transport.close();
    },
  };
}
