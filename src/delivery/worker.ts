import type { Config } from "../config";
import type { Database } from "../db/client";
import type { SmsDeliveryOutcome } from "../core/deps";
import { claimDueMessage, claimMessageById, markFailed, markSent, type OutboxChannel, type OutboxMessage, scheduleRetry } from "../db/outbox";
import { type Channel, type DeliveryLogger, isPermanentFailure, maskEmail, redactEmails } from "./channel";
import { openPayload, type PayloadOpener, renderStoredEmail } from "./render";
import type { SmsMessage } from "./sms/channel";
import { assertSmsData } from "./sms/templates";
import { maskPhoneForLog, redactPhoneNumbers, SmsDeliveryError } from "./sms/twilio-errors";

export { createEmailChannel } from "./email/channel";

/** Waits after the 1st, 2nd, … failed attempt; the last entry repeats. About 3.5 hours end to end. */
export const RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000] as const;
/** Tries before a transiently failing message is marked failed. */
export const MAX_ATTEMPTS = 8;
/** How long a claimed message stays invisible to other workers; longer than any SMTP send may take. */
export const LEASE_MS = 10 * 60_000;

export interface OutboxWorkerOptions {
  db: Database;
  config: Pick<Config, "appName" | "appUrl">;
  logger: DeliveryLogger;
  /** outboxSealer(config.secret) from src/db/outbox.ts. */
  sealer: PayloadOpener;
  emailChannel: Channel;
  /** Without it, SMS rows wait in the outbox (and show in the dev inbox). */
  smsChannel?: Channel<SmsMessage>;
  /** Fallback for messages no notify() announced (another instance queued them, or a retry fell due). */
  pollIntervalMs?: number;
  retryDelaysMs?: readonly number[];
  maxAttempts?: number;
  leaseMs?: number;
}

export interface OutboxWorker {
  /** Wake up now, e.g. right after a transaction that queued messages commits. */
  notify(): void;
  /** Deliver until no message is due; rejects on a database error. For tests and shutdown scripts. */
  drain(): Promise<void>;
  /** Finish the message in hand, then stop polling. */
  stop(): Promise<void>;
  /**
   * Delivers one queued SMS right now, for the request that queued it: a permanent provider error is answered
   * on that request; a transient one stays queued for retry. A message a worker already holds counts as sent.
   */
  deliverNow(messageId: string): Promise<SmsDeliveryOutcome>;
}

type PermanentReason = Extract<SmsDeliveryOutcome, { permanent: true }>["reason"];
type Outcome = { ok: true; providerMessageId?: string } | { ok: false; permanent: boolean; error: string; reason?: PermanentReason };

/** Longest last_error kept; provider replies can be chatty. */
const maxErrorLength = 1000;

export function startOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, config, logger, sealer, emailChannel, smsChannel } = options;
  const channels: OutboxChannel[] = smsChannel ? ["email", "sms"] : ["email"];
  const retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const leaseMs = options.leaseMs ?? LEASE_MS;

  let stopping = false;
  let running: Promise<void> | null = null;
  let wokenWhileRunning = false;

  async function attemptSend(message: OutboxMessage): Promise<Outcome> {
    return message.channel === "sms" ? attemptSms(message) : attemptEmail(message);
  }

  async function attemptSms(message: OutboxMessage): Promise<Outcome> {
    let data;
    try {
      data = openPayload(message, sealer);
      assertSmsData(message.template, data);
    } catch (error) {
      return { ok: false, permanent: true, reason: "rejected", error: `render: ${(error as Error).message}` };
    }
    try {
      const result = await smsChannel!.send({ to: message.recipient, template: message.template, data });
      return { ok: true, providerMessageId: result.providerMessageId };
    } catch (error) {
      const reason = error instanceof SmsDeliveryError && error.reason !== "transient" ? error.reason : undefined;
      return { ok: false, permanent: isPermanentFailure(error), reason: reason ?? "rejected", error: String((error as Error)?.message ?? error) };
    }
  }

  async function attemptEmail(message: OutboxMessage): Promise<Outcome> {
    let email;
    try {
      email = renderStoredEmail(message, sealer, config);
    } catch (error) {
      // Unreadable payload, unknown template, foreign link: no retry will fix it.
      return { ok: false, permanent: true, error: `render: ${(error as Error).message}` };
    }
    try {
      const result = await emailChannel.send({ to: message.recipient, ...email });
      return { ok: true, providerMessageId: result.providerMessageId };
    } catch (error) {
      return { ok: false, permanent: isPermanentFailure(error), error: String((error as Error)?.message ?? error) };
    }
  }

  function retryDelay(attempt: number): number {
    const base = retryDelaysMs[Math.min(attempt, retryDelaysMs.length) - 1] ?? 0;
    // Up to 10% jitter, so a backlog queued during an outage does not hit the server again all at once.
    return Math.round(base * (1 + Math.random() * 0.1));
  }

  async function recordOutcome(message: OutboxMessage, outcome: Outcome): Promise<void> {
    // Never the body, the link or the full address: logs are read by more people than the database.
    const sms = message.channel === "sms";
    const kind = sms ? "SMS" : "Email";
    const fields = { messageId: message.id, template: message.template, to: sms ? maskPhoneForLog(message.recipient) : maskEmail(message.recipient), attempt: message.attempts };
    let kept: boolean;
    if (outcome.ok) {
      kept = await markSent(db, message, outcome.providerMessageId);
      if (kept) logger.info(fields, `${kind} sent`);
    } else {
      const error = redactPhoneNumbers(redactEmails(outcome.error)).slice(0, maxErrorLength);
      if (outcome.permanent || message.attempts >= maxAttempts) {
        kept = await markFailed(db, message, error);
        const why = outcome.permanent ? "permanent failure" : `gave up after ${message.attempts} attempts`;
        // A rejected API key or sender is an operator's problem that silently breaks every sign-in: shout.
        if (kept) logger.error({ ...fields, error, reason: outcome.reason }, outcome.reason === "configuration" ? `${kind} provider configuration error: fix the credentials or sender` : `${kind} not delivered: ${why}`);
      } else {
        const delayMs = retryDelay(message.attempts);
        kept = await scheduleRetry(db, message, delayMs, error);
        if (kept) logger.warn({ ...fields, error, retryInMs: delayMs }, `${kind} delivery failed; will retry`);
      }
    }
    if (!kept) logger.warn(fields, "Outbox lease expired before the send finished; another attempt owns the message now");
  }

  /** Claims and delivers one message; false when none is due. */
  async function processNext(): Promise<boolean> {
    const message = await claimDueMessage(db, { channels, leaseMs });
    if (!message) return false;
    await recordOutcome(message, await attemptSend(message));
    return true;
  }

  /** One loop at a time per worker; a wake-up during a run makes that run look again before it ends. */
  function run(): Promise<void> {
    if (running) {
      wokenWhileRunning = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          wokenWhileRunning = false;
          while (!stopping && (await processNext())) {}
        } while (wokenWhileRunning && !stopping);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  function runInBackground(): void {
    if (stopping) return;
    run().catch((error: unknown) => logger.error({ error: (error as Error)?.message }, "Outbox worker error; retrying on the next poll"));
  }

  const timer = setInterval(runInBackground, options.pollIntervalMs ?? 5_000);
  // The poll alone must not keep a process alive that is otherwise done (scripts, tests).
  timer.unref();
  // Messages queued before this process started (or left by a crashed one) are due now.
  runInBackground();

  async function deliverNow(messageId: string): Promise<SmsDeliveryOutcome> {
    if (!smsChannel || stopping) return { ok: false, permanent: false };
    const message = await claimMessageById(db, messageId, leaseMs);
    if (!message) return { ok: true };
    const outcome = await attemptSend(message);
    await recordOutcome(message, outcome);
    if (outcome.ok) return { ok: true };
    return outcome.permanent ? { ok: false, permanent: true, reason: outcome.reason ?? "rejected" } : { ok: false, permanent: false };
  }

  return {
    deliverNow,
    notify: runInBackground,
    drain: () => (stopping ? Promise.resolve() : run()),
    async stop() {
      stopping = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
