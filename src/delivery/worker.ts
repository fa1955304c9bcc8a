import type { Config } from "../config";
import type { SmsDeliveryOutcome } from "../core/deps";
import type { MessageChannel } from "../core/messages";
import { type Database, isDatabaseUnavailable } from "../db/client";
import { claimDueMessage, claimMessageById } from "../db/outbox";
import type { Channel, DeliveryLogger } from "./channel";
import { type RecordPolicy, recordOutcome } from "./record";
import type { PayloadOpener } from "./render";
import { type Senders, sendMessage } from "./send";
import type { SmsMessage } from "./sms/channel";

export { createEmailChannel } from "./email/channel";

/** Waits after the 1st, 2nd, … failed attempt; the last entry repeats. About 3.5 hours end to end. */
export const RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000] as const;
/** Tries before a transiently failing message is marked failed. */
export const MAX_ATTEMPTS = 8;
/** How long a claimed message stays invisible to other workers; longer than any SMTP send may take. */
export const LEASE_MS = 10 * 60_000;
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

/** What a worker was started with, resolved once: how to send, how to record, which channels to claim. */
interface Delivery {
  senders: Senders;
  policy: RecordPolicy;
  channels: MessageChannel[];
}

export function startOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, logger, smsChannel } = options;
  const delivery: Delivery = {
    senders: { sealer: options.sealer, app: options.config, email: options.emailChannel, sms: smsChannel },
    policy: {
      db,
      logger,
      retryDelaysMs: options.retryDelaysMs ?? RETRY_DELAYS_MS,
      maxAttempts: options.maxAttempts ?? MAX_ATTEMPTS,
      leaseMs: options.leaseMs ?? LEASE_MS,
    },
    channels: smsChannel ? ["email", "sms"] : ["email"],
  };
  const loop = drainLoop(() => deliverNext(delivery));
  /** Outcomes of request deliveries still being written (the database was down when the send finished). */
  const recording = new Set<Promise<void>>();

  function wake(): void {
    loop.run().catch((error: unknown) => {
      // The poll is the backoff: nothing is claimed while the database is down, so nothing is lost by waiting.
      if (isDatabaseUnavailable(error))
        logger.warn(
          { error: (error as Error).message },
          "Outbox worker: database unavailable; retrying on the next poll",
        );
      else logger.error({ error: (error as Error)?.message }, "Outbox worker error; retrying on the next poll");
    });
  }

  const timer = setInterval(wake, options.pollIntervalMs ?? 5_000);
  // The poll alone must not keep a process alive that is otherwise done (scripts, tests).
  timer.unref();
  // Messages queued before this process started (or left by a crashed one) are due now.
  wake();

  return {
    notify: wake,
    drain: loop.run,
    deliverNow: (messageId) => deliverOnRequest(delivery, messageId, recording),
    async stop() {
      clearInterval(timer);
      await loop.stop();
      await Promise.allSettled([...recording]);
    },
  };
}

/** Claims the oldest due message and delivers it; false when none is due. */
async function deliverNext({ senders, policy, channels }: Delivery): Promise<boolean> {
  const claimedAtMs = Date.now();
  const message = await claimDueMessage(policy.db, { channels, leaseMs: policy.leaseMs });
  if (!message) return false;
  await recordOutcome(policy, message, await sendMessage(message, senders), claimedAtMs);
  return true;
}

/**
 * Runs `deliverNext` until nothing is due, one run at a time: a wake-up during a run makes that run look again
 * before it ends, so a message committed after its last empty claim is not left for the poll.
 */
function drainLoop(deliverNext: () => Promise<boolean>) {
  let stopping = false;
  let running: Promise<void> | null = null;
  let wokenWhileRunning = false;

  function run(): Promise<void> {
    if (stopping) return Promise.resolve();
    if (running) {
      wokenWhileRunning = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          wokenWhileRunning = false;
          while (!stopping && (await deliverNext())) {}
        } while (wokenWhileRunning && !stopping);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  /** Lets the message in hand finish, then runs no more. */
  async function stop(): Promise<void> {
    stopping = true;
    await running?.catch(() => {});
  }

  return { run, stop };
}

/** OutboxWorker.deliverNow: one SMS, sent on the request that queued it. */
async function deliverOnRequest(
  { senders, policy }: Delivery,
  messageId: string,
  recording: Set<Promise<void>>,
): Promise<SmsDeliveryOutcome> {
  // Even once stopping: a shutdown stops the polling loop at once, but requests already in flight still deliver
  // their own code, as they would have (the host closes the database only after they have finished).
  if (!senders.sms) return { ok: false, permanent: false };
  const claimedAtMs = Date.now();
  const message = await claimMessageById(policy.db, messageId, policy.leaseMs);
  if (!message) return { ok: true };
  const outcome = await sendMessage(message, senders);
  // The answer depends on the send alone. Recording it normally takes milliseconds; while the database is
  // down, the request answers after a short wait and the write carries on (stop() waits for it).
  const recorded = recordOutcome(policy, message, outcome, claimedAtMs);
  recording.add(recorded);
  recorded
    .catch((error: unknown) =>
      policy.logger.error(
        { messageId, error: (error as Error)?.message },
        "Outbox: could not record a delivery outcome",
      ),
    )
    .finally(() => recording.delete(recorded));
  await Promise.race([recorded, new Promise((resolve) => setTimeout(resolve, REQUEST_RECORD_WAIT_MS).unref())]);
  if (outcome.ok) return { ok: true };
  return outcome.permanent
    ? { ok: false, permanent: true, reason: outcome.reason ?? "rejected" }
    : { ok: false, permanent: false };
}
