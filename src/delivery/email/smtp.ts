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
  const message = `${prefix ? prefix + ": " : ""}${fields.message ?? "SMTP send failed"}`;
  return new DeliveryError(message, isPermanentSmtpError(fields), { cause: error });
}

/** Real mail through the SMTP server in SMTP_URL (smtp:// with STARTTLS when offered, or smtps://). */
export function createSmtpChannel(options: { smtpUrl: string; from: string }): Channel {
  const transport = nodemailer.createTransport(
    { url: options.smtpUrl, connectionTimeout: connectionTimeoutMs, greetingTimeout: greetingTimeoutMs, socketTimeout: socketTimeoutMs },
    { from: options.from },
  );
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html });
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
