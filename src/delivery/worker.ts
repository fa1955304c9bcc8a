import type { Config } from "../config";
import { type Database, isDatabaseUnavailable } from "../db/client";
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
/** Pauses between tries at recording a send's outcome while the database is unreachable; the last repeats. */
const RECORD_RETRY_DELAYS_MS = [200, 500, 1_000, 2_000, 5_000] as const;
/** How long a request waits for its code's outcome to be recorded before answering anyway (database down). */
const REQUEST_RECORD_WAIT_MS = 3_000;

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
  /** Finish the message in hand (and record the outcome of every send already made), then stop polling. */
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
  /** Outcomes of request deliveries still being written (the database was down when the send finished). */
  const recording = new Set<Promise<void>>();

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
      const result = await emailChannel.send({ to: message.recipient, ...email, outboxId: message.id });
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

  /**
   * Writes a send's outcome, waiting out a database outage (a restart, a failover). The message has already been
   * handed to the provider: were the row left as claimed, its lease would run out and another attempt would send
   * it again. So this gives up (throws) only once the lease is over, when that resend is due anyway.
   */
  async function persist<T>(fields: object, claimedAtMs: number, write: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        const delayMs = RECORD_RETRY_DELAYS_MS[Math.min(attempt, RECORD_RETRY_DELAYS_MS.length - 1)]!;
        if (!isDatabaseUnavailable(error) || Date.now() + delayMs >= claimedAtMs + leaseMs) throw error;
        if (attempt === 0) logger.warn({ ...fields, error: (error as Error).message }, "Database unavailable; the outcome of this send will be recorded when it is back");
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async function recordOutcome(message: OutboxMessage, outcome: Outcome, claimedAtMs: number): Promise<void> {
    // Never the body, the link or the full address: logs are read by more people than the database.
    const sms = message.channel === "sms";
    const kind = sms ? "SMS" : "Email";
    const fields = { messageId: message.id, template: message.template, to: sms ? maskPhoneForLog(message.recipient) : maskEmail(message.recipient), attempt: message.attempts };
    let kept: boolean;
    if (outcome.ok) {
      kept = await persist(fields, claimedAtMs, () => markSent(db, message, outcome.providerMessageId));
      if (kept) logger.info(fields, `${kind} sent`);
    } else {
      const error = redactPhoneNumbers(redactEmails(outcome.error)).slice(0, maxErrorLength);
      if (outcome.permanent || message.attempts >= maxAttempts) {
        kept = await persist(fields, claimedAtMs, () => markFailed(db, message, error));
        const why = outcome.permanent ? "permanent failure" : `gave up after ${message.attempts} attempts`;
        // A rejected API key or sender is an operator's problem that silently breaks every sign-in: shout.
        if (kept) logger.error({ ...fields, error, reason: outcome.reason }, outcome.reason === "configuration" ? `${kind} provider configuration error: fix the credentials or sender` : `${kind} not delivered: ${why}`);
      } else {
        const delayMs = retryDelay(message.attempts);
        kept = await persist(fields, claimedAtMs, () => scheduleRetry(db, message, delayMs, error));
        if (kept) logger.warn({ ...fields, error, retryInMs: delayMs }, `${kind} delivery failed; will retry`);
      }
    }
    if (!kept) logger.warn(fields, "Outbox lease expired before the send finished; another attempt owns the message now");
  }

  /** Claims and delivers one message; false when none is due. */
  async function processNext(): Promise<boolean> {
    const claimedAtMs = Date.now();
    const message = await claimDueMessage(db, { channels, leaseMs });
    if (!message) return false;
    await recordOutcome(message, await attemptSend(message), claimedAtMs);
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
    run().catch((error: unknown) => {
      // The poll is the backoff: nothing is claimed while the database is down, so nothing is lost by waiting.
      if (isDatabaseUnavailable(error)) logger.warn({ error: (error as Error).message }, "Outbox worker: database unavailable; retrying on the next poll");
      else logger.error({ error: (error as Error)?.message }, "Outbox worker error; retrying on the next poll");
    });
  }

  const timer = setInterval(runInBackground, options.pollIntervalMs ?? 5_000);
  // The poll alone must not keep a process alive that is otherwise done (scripts, tests).
  timer.unref();
  // Messages queued before this process started (or left by a crashed one) are due now.
  runInBackground();

  async function deliverNow(messageId: string): Promise<SmsDeliveryOutcome> {
    // Even once stopping: a shutdown stops the polling loop at once, but requests already in flight still deliver
    // their own code, as they would have (the host closes the database only after they have finished).
    if (!smsChannel) return { ok: false, permanent: false };
    const claimedAtMs = Date.now();
    const message = await claimMessageById(db, messageId, leaseMs);
    if (!message) return { ok: true };
    const outcome = await attemptSend(message);
    // The answer depends on the send alone. Recording it normally takes milliseconds; while the database is
    // down, the request answers after a short wait and the write carries on (stop() waits for it).
    const recorded = recordOutcome(message, outcome, claimedAtMs);
    recording.add(recorded);
    recorded
      .catch((error: unknown) => logger.error({ messageId, error: (error as Error)?.message }, "Outbox: could not record a delivery outcome"))
      .finally(() => recording.delete(recorded));
    await Promise.race([recorded, new Promise((resolve) => setTimeout(resolve, REQUEST_RECORD_WAIT_MS).unref())]);
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
      await Promise.allSettled([...recording]);
    },
  };
}
