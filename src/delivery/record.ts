import { type Database, isDatabaseUnavailable } from "../db/client";
import { markFailed, markSent, type OutboxMessage, scheduleRetry } from "../db/outbox";
import { type DeliveryLogger, maskEmail, redactEmails } from "./channel";
import type { SendOutcome } from "./send";
import { maskPhoneForLog, redactPhoneNumbers } from "./sms/twilio-errors";

/** Pauses between tries at recording a send's outcome while the database is unreachable; the last repeats. */
const RECORD_RETRY_DELAYS_MS = [200, 500, 1_000, 2_000, 5_000] as const;
/** Longest last_error kept; provider replies can be chatty. */
const MAX_ERROR_LENGTH = 1000;

export interface RecordPolicy {
  db: Database;
  logger: DeliveryLogger;
  /** Waits after the 1st, 2nd, … failed attempt; the last entry repeats. */
  retryDelaysMs: readonly number[];
  /** Tries before a transiently failing message is marked failed. */
  maxAttempts: number;
  /** How long a claim keeps the message from other workers. */
  leaseMs: number;
}

/** One claimed message whose outcome is being written, with what its log lines say about it. */
interface Claim {
  policy: RecordPolicy;
  message: OutboxMessage;
  claimedAtMs: number;
  kind: "SMS" | "Email";
  logFields: { messageId: string; template: string; to: string; attempt: number };
}

/**
 * Writes what a send gave: sent; failed for good (a permanent error, or the last attempt); or due again after a
 * backoff. A claim that ran out meanwhile belongs to another attempt, whose result is left alone.
 */
export async function recordOutcome(
  policy: RecordPolicy,
  message: OutboxMessage,
  outcome: SendOutcome,
  claimedAtMs: number,
): Promise<void> {
  const sms = message.channel === "sms";
  // Never the body, the link or the full address: logs are read by more people than the database.
  const logFields = {
    messageId: message.id,
    template: message.template,
    to: sms ? maskPhoneForLog(message.recipient) : maskEmail(message.recipient),
    attempt: message.attempts,
  };
  const claim: Claim = { policy, message, claimedAtMs, kind: sms ? "SMS" : "Email", logFields };
  let kept: boolean;
  if (outcome.ok) kept = await recordSent(claim, outcome.providerMessageId);
  else if (outcome.permanent || message.attempts >= policy.maxAttempts) kept = await recordFailed(claim, outcome);
  else kept = await recordRetry(claim, outcome.error);
  if (!kept)
    policy.logger.warn(
      logFields,
      "Outbox lease expired before the send finished; another attempt owns the message now",
    );
}

async function recordSent(claim: Claim, providerMessageId: string | undefined): Promise<boolean> {
  const kept = await untilRecorded(claim, () => markSent(claim.policy.db, claim.message, providerMessageId));
  if (kept) claim.policy.logger.info(claim.logFields, `${claim.kind} sent`);
  return kept;
}

async function recordFailed(claim: Claim, outcome: Extract<SendOutcome, { ok: false }>): Promise<boolean> {
  const { policy, message, kind } = claim;
  const error = storedError(outcome.error);
  const kept = await untilRecorded(claim, () => markFailed(policy.db, message, error));
  if (!kept) return false;
  const why = outcome.permanent ? "permanent failure" : `gave up after ${message.attempts} attempts`;
  // A rejected API key or sender is an operator's problem that silently breaks every sign-in: shout.
  const summary =
    outcome.reason === "configuration"
      ? `${kind} provider configuration error: fix the credentials or sender`
      : `${kind} not delivered: ${why}`;
  policy.logger.error({ ...claim.logFields, error, reason: outcome.reason }, summary);
  return true;
}

async function recordRetry(claim: Claim, sendError: string): Promise<boolean> {
  const { policy, message } = claim;
  const error = storedError(sendError);
  const delayMs = retryDelay(policy.retryDelaysMs, message.attempts);
  const kept = await untilRecorded(claim, () => scheduleRetry(policy.db, message, delayMs, error));
  if (kept)
    policy.logger.warn({ ...claim.logFields, error, retryInMs: delayMs }, `${claim.kind} delivery failed; will retry`);
  return kept;
}

/** Provider errors quote the recipient back: masked before they reach last_error and the logs. */
function storedError(error: string): string {
  return redactPhoneNumbers(redactEmails(error)).slice(0, MAX_ERROR_LENGTH);
}

function retryDelay(retryDelaysMs: readonly number[], attempt: number): number {
  const base = retryDelaysMs[Math.min(attempt, retryDelaysMs.length) - 1] ?? 0;
  // Up to 10% jitter, so a backlog queued during an outage does not hit the server again all at once.
  return Math.round(base * (1 + Math.random() * 0.1));
}

/**
 * Runs one outcome write, waiting out a database outage (a restart, a failover). The message has already been
 * handed to the provider: were the row left as claimed, its lease would run out and another attempt would send
 * it again. So this gives up (throws) only once the lease is over, when that resend is due anyway.
 */
async function untilRecorded(claim: Claim, write: () => Promise<boolean>): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const delayMs = RECORD_RETRY_DELAYS_MS[Math.min(attempt, RECORD_RETRY_DELAYS_MS.length - 1)]!;
      if (!isDatabaseUnavailable(error) || Date.now() + delayMs >= claim.claimedAtMs + claim.policy.leaseMs)
        throw error;
      if (attempt === 0)
        claim.policy.logger.warn(
          { ...claim.logFields, error: (error as Error).message },
          "Database unavailable; the outcome of this send will be recorded when it is back",
        );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
