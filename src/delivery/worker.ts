import type { Config } from "../config";
import type { Database } from "../db/client";
import { claimDueMessage, markFailed, markSent, type OutboxMessage, scheduleRetry } from "../db/outbox";
import { type Channel, type DeliveryLogger, isPermanentFailure, maskEmail, redactEmails } from "./channel";
import { type PayloadOpener, renderStoredEmail } from "./render";

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
}

type Outcome = { ok: true; providerMessageId?: string } | { ok: false; permanent: boolean; error: string };

/** Longest last_error kept; provider replies can be chatty. */
const maxErrorLength = 1000;

export function startOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, config, logger, sealer, emailChannel } = options;
  const retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const leaseMs = options.leaseMs ?? LEASE_MS;

  let stopping = false;
  let running: Promise<void> | null = null;
  let wokenWhileRunning = false;

  async function attemptSend(message: OutboxMessage): Promise<Outcome> {
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
    const fields = { messageId: message.id, template: message.template, to: maskEmail(message.recipient), attempt: message.attempts };
    let kept: boolean;
    if (outcome.ok) {
      kept = await markSent(db, message, outcome.providerMessageId);
      if (kept) logger.info(fields, "Email sent");
    } else {
      const error = redactEmails(outcome.error).slice(0, maxErrorLength);
      if (outcome.permanent || message.attempts >= maxAttempts) {
        kept = await markFailed(db, message, error);
        const why = outcome.permanent ? "permanent failure" : `gave up after ${message.attempts} attempts`;
        if (kept) logger.error({ ...fields, error }, `Email not delivered: ${why}`);
      } else {
        const delayMs = retryDelay(message.attempts);
        kept = await scheduleRetry(db, message, delayMs, error);
        if (kept) logger.warn({ ...fields, error, retryInMs: delayMs }, "Email delivery failed; will retry");
      }
    }
    if (!kept) logger.warn(fields, "Outbox lease expired before the send finished; another attempt owns the message now");
  }

  /** Claims and delivers one message; false when none is due. */
  async function processNext(): Promise<boolean> {
    const message = await claimDueMessage(db, { channels: ["email"], leaseMs });
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

  return {
    notify: runInBackground,
    drain: () => (stopping ? Promise.resolve() : run()),
    async stop() {
      stopping = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
