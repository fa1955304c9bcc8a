/**
 * The seam between the outbox and a provider. The worker knows only this interface; SMTP, the dev outbox
 * and (later) Twilio implement it.
 */

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The outbox message's id; the same on every attempt at sending this message. */
  outboxId?: string;
}

export interface Channel<M = OutgoingEmail> {
  /** Resolves once the provider accepted the message; throws DeliveryError (or anything, treated as transient). */
  send(message: M): Promise<{ providerMessageId?: string }>;
  /** Releases connections; the worker never calls it, whoever created the channel does. */
  close?(): void;
}

/**
 * A failed send. `permanent` means sending the same message again would fail the same way (a 5xx reply,
 * a malformed address), so the worker gives up at once instead of retrying for hours.
 */
export class DeliveryError extends Error {
  readonly permanent: boolean;

  constructor(message: string, permanent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeliveryError";
    this.permanent = permanent;
  }
}

export function isPermanentFailure(error: unknown): boolean {
  return error instanceof DeliveryError && error.permanent;
}

/** The slice of pino the delivery code uses; pino's Logger fits it, and tests pass a recorder. */
export interface DeliveryLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** `alice@example.com` → `a•••@example.com`: enough for an operator to correlate, not to harvest addresses. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 1) return "•••";
  return `${address[0]}•••${address.slice(at)}`;
}

/** Provider errors quote the recipient back ("550 <bob@x>: no such user"); mask addresses before logging. */
export function redactEmails(text: string): string {
  return text.replace(/[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g, maskEmail);
}
