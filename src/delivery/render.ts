import type { OutboxMessage } from "../db/outbox";
import type { RenderedEmail } from "./email/layout";
import { type EmailApp, renderEmail } from "./email/templates";

export interface PayloadOpener {
  open(sealed: Buffer): string;
}

/** Unseals a message's data. Error messages never quote the payload: they end up in logs and last_error. */
export function openPayload(message: Pick<OutboxMessage, "payload">, opener: PayloadOpener): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(opener.open(message.payload));
  } catch {
    throw new Error("payload cannot be opened (was SECRET changed since it was queued?)");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error("payload is not an object");
  return parsed as Record<string, string>;
}

/** Rendered at send time, not at enqueue, so a copy fix reaches messages still waiting in the queue. */
export function renderStoredEmail(
  message: Pick<OutboxMessage, "template" | "payload">,
  opener: PayloadOpener,
  app: EmailApp,
): RenderedEmail {
  return renderEmail(message.template, openPayload(message, opener), app);
}
