import { and, asc, desc, eq, inArray, lte, sql } from "drizzle-orm";
import { randomId, sealer } from "../core/crypto";
import { assertMessageData, isCodeMessage, type MessageChannel, type MessageIntent } from "../core/messages";
import type { Database } from "./client";
import { type OutboxMessageRow, outboxMessages } from "./schema";

/**
 * The transactional outbox: flows write a message in the same transaction as the change that caused it
 * (a token row, a password change), and the worker delivers it after commit. A rolled-back flow sends
 * nothing; a crash after commit loses nothing.
 */

export type OutboxMessage = OutboxMessageRow;

/** The one key purpose for outbox payloads; enqueue, worker and dev outbox must agree on it. */
export function outboxSealer(secret: Buffer) {
  return sealer(secret, "outbox");
}

/** Milliseconds from the database's clock, so every worker agrees on "due" whatever its own clock says. */
function nowPlus(ms: number) {
  return sql`now() + make_interval(secs => ${ms / 1000})`;
}

/** How long the workers leave a code SMS to the request that queued it. */
const REQUEST_DELIVERY_RESERVATION_MS = 30_000;

/**
 * Call inside the caller's transaction. The data holds single-use links, so only its sealed form
 * (AES-256-GCM under SECRET) is stored: a database dump or backup does not hand out password resets.
 */
export async function enqueueMessage(
  db: Database,
  sealer: { seal(plain: string): Buffer },
  message: MessageIntent,
): Promise<string> {
  assertMessageData(message.channel, message.template, message.data);
  const id = randomId();
  await db.insert(outboxMessages).values({
    id,
    channel: message.channel,
    template: message.template,
    recipient: message.recipient,
    payload: sealer.seal(JSON.stringify(message.data)),
    // A code SMS is delivered by the request that queued it (deliverNow), so its permanent errors reach that
    // user; the workers leave it alone for a while and take over only if that request never got to it.
    ...(isCodeMessage(message.template) ? { nextAttemptAt: nowPlus(REQUEST_DELIVERY_RESERVATION_MS) } : {}),
  });
  return id;
}

/**
 * Claims the oldest due message in one statement and returns it with `attempts` already counted.
 * SKIP LOCKED lets concurrent workers pass over a row another is claiming, and pushing next_attempt_at
 * forward by `leaseMs` keeps it from being claimed again while it is being sent. If the worker dies, the
 * lease runs out and another worker retries it.
 */
export async function claimDueMessage(
  db: Database,
  options: { channels: MessageChannel[]; leaseMs: number },
): Promise<OutboxMessage | null> {
  if (options.channels.length === 0) return null;
  const due = db
    .select({ id: outboxMessages.id })
    .from(outboxMessages)
    .where(
      and(
        eq(outboxMessages.status, "pending"),
        inArray(outboxMessages.channel, options.channels),
        lte(outboxMessages.nextAttemptAt, sql`now()`),
      ),
    )
    .orderBy(asc(outboxMessages.nextAttemptAt))
    .limit(1)
    .for("update", { skipLocked: true });
  const [claimed] = await db
    .update(outboxMessages)
    .set({ attempts: sql`${outboxMessages.attempts} + 1`, nextAttemptAt: nowPlus(options.leaseMs) })
    .where(inArray(outboxMessages.id, due))
    .returning();
  return claimed ?? null;
}

/**
 * Claims one specific message if it is still pending and not leased by a worker: used to deliver an SMS code
 * on the request that queued it. Returns null when a worker got there first (it will deliver it).
 */
export async function claimMessageById(db: Database, id: string, leaseMs: number): Promise<OutboxMessage | null> {
  const [claimed] = await db
    .update(outboxMessages)
    .set({ attempts: sql`${outboxMessages.attempts} + 1`, nextAttemptAt: nowPlus(leaseMs) })
    // attempts = 0: only the first try belongs to the request; after that the row is the workers'.
    .where(and(eq(outboxMessages.id, id), eq(outboxMessages.status, "pending"), eq(outboxMessages.attempts, 0)))
    .returning();
  return claimed ?? null;
}

/** The provider's delivery report (status callback), matched by the provider's message id. */
export async function recordDeliveryStatus(
  db: Database,
  providerMessageId: string,
  status: string,
  errorCode: string | null,
): Promise<boolean> {
  const rows = await db
    .update(outboxMessages)
    .set({ deliveryStatus: status.slice(0, 40), deliveryErrorCode: errorCode?.slice(0, 20) ?? null })
    .where(eq(outboxMessages.providerMessageId, providerMessageId))
    .returning({ id: outboxMessages.id });
  return rows.length > 0;
}

/**
 * The outcome writers below only touch the row while it is still the claim they were given (same attempt,
 * still pending), so a worker whose lease ran out cannot overwrite a newer attempt's result.
 * Each returns false when the claim was lost.
 */
function sameClaim(claim: { id: string; attempts: number }) {
  return and(
    eq(outboxMessages.id, claim.id),
    eq(outboxMessages.status, "pending"),
    eq(outboxMessages.attempts, claim.attempts),
  );
}

export async function markSent(
  db: Database,
  claim: { id: string; attempts: number },
  providerMessageId: string | undefined,
): Promise<boolean> {
  const rows = await db
    .update(outboxMessages)
    .set({ status: "sent", sentAt: sql`now()`, providerMessageId: providerMessageId ?? null, lastError: null })
    .where(sameClaim(claim))
    .returning({ id: outboxMessages.id });
  return rows.length > 0;
}

export async function scheduleRetry(
  db: Database,
  claim: { id: string; attempts: number },
  delayMs: number,
  error: string,
): Promise<boolean> {
  const rows = await db
    .update(outboxMessages)
    .set({ nextAttemptAt: nowPlus(delayMs), lastError: error })
    .where(sameClaim(claim))
    .returning({ id: outboxMessages.id });
  return rows.length > 0;
}

export async function markFailed(
  db: Database,
  claim: { id: string; attempts: number },
  error: string,
): Promise<boolean> {
  const rows = await db
    .update(outboxMessages)
    .set({ status: "failed", lastError: error })
    .where(sameClaim(claim))
    .returning({ id: outboxMessages.id });
  return rows.length > 0;
}

export async function findMessage(db: Database, id: string): Promise<OutboxMessage | null> {
  const [row] = await db.select().from(outboxMessages).where(eq(outboxMessages.id, id));
  return row ?? null;
}

/**
 * Newest first, of the given channels only (the dev outbox asks for the channels without a real provider, so a
 * message sent by SMTP or Twilio is never listed there). No channels, no rows.
 */
export async function listRecentMessages(
  db: Database,
  options: { channels: MessageChannel[]; limit: number },
): Promise<OutboxMessage[]> {
  if (options.channels.length === 0) return [];
  return db
    .select()
    .from(outboxMessages)
    .where(inArray(outboxMessages.channel, options.channels))
    .orderBy(desc(outboxMessages.createdAt), desc(outboxMessages.id))
    .limit(Math.max(1, Math.min(options.limit, 500)));
}
