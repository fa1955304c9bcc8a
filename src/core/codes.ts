import { constantTimeEqual, hmac, randomDigits } from "./crypto";
import type { Deps, SmsDeliveryOutcome } from "./deps";
import { ipKey, limits, release, reserveAll, type Reservation, smsGlobalHourly } from "./limits";
import { fail, ok, type Failure, type Result } from "./result";
import { eventClient } from "./present";
import type { CodeTemplate } from "./messages";
import type { Challenge, ClientInfo, User } from "./types";

// NIST SP 800-63B 5.1.3: a 6-digit out-of-band secret is ≈ 20 bits, acceptable only with a short life and a
// hard attempt cap. Codes live 5 minutes; a challenge takes 5 wrong codes, then it is dead.
export const SMS_CODE_LIFETIME_SECONDS = 5 * 60;
export const MAX_WRONG_CODES_PER_CHALLENGE = 5;
export const RESEND_COOLDOWN_SECONDS = 60;
export const CHALLENGE_LIFETIME_SECONDS = 10 * 60;
export const CODE_ENTRY_BLOCK_SECONDS = 60 * 60;

/** Still takes codes: not finished, not expired, not out of attempts. */
export function isChallengeOpen(challenge: Challenge, now: Date): boolean {
  return !challenge.completedAt && challenge.expiresAt > now && challenge.attempts < MAX_WRONG_CODES_PER_CHALLENGE;
}

/** HMAC(SECRET, challengeId, code): bound to one challenge, useless to anyone holding only the database. */
function codeHash(deps: Deps, challengeId: string, code: string): Buffer {
  return hmac(deps.config.secret, "sms-code", challengeId, code);
}

const secondsUntil = (deps: Deps, at: Date) => Math.max(1, Math.ceil((at.getTime() - deps.now().getTime()) / 1000));

function deliveryFailure(outcome: Extract<SmsDeliveryOutcome, { permanent: true }>): Failure {
  switch (outcome.reason) {
    case "invalid_phone":
      return fail("invalid_phone", "This number cannot receive text messages. Check it, or use another mobile number.");
    case "unsupported_destination":
      return fail("unsupported_country", "We can't send text messages to this number's country.");
    case "opted_out":
      return fail(
        "phone_opted_out",
        "This number has blocked our messages. Reply START to our last text, then try again.",
      );
    default:
      return fail("sms_unavailable", "Text messages are unavailable right now. Try again later.");
  }
}

/**
 * Sends a fresh code for a challenge: cooldown, then every SMS budget, then the code (its HMAC replaces the
 * previous one, so the old code dies) and the message in one transaction, then delivery on this request so a
 * permanent provider error is answered here; transient ones are retried by the outbox.
 */
export async function sendChallengeCode(
  deps: Deps,
  challenge: Challenge,
  template: CodeTemplate,
  client: ClientInfo,
): Promise<Result<{ challenge: Challenge }>> {
  const now = deps.now();
  if (challenge.completedAt || challenge.expiresAt <= now || !challenge.phoneNumber)
    return fail("challenge_expired", "This request has expired. Start again.");
  const resendAt = new Date(now.getTime() + RESEND_COOLDOWN_SECONDS * 1000);
  // The cooldown is taken, not peeked: of any number of parallel resends exactly one gets past this line.
  const claimed = await deps.repo.claimResend(challenge.id, now, resendAt);
  if (!claimed) {
    const current = await deps.repo.findChallenge(challenge.id);
    if (current?.resendAt && current.resendAt > now && !current.completedAt && current.expiresAt > now) {
      return fail("resend_too_soon", "Wait a moment before asking for another code.", {
        retryAfterSeconds: secondsUntil(deps, current.resendAt),
      });
    }
    return fail("challenge_expired", "This request has expired. Start again.");
  }
  const phone = challenge.phoneNumber;
  // Reserved before anything is paid for; a refusal part-way gives back what it took.
  const budget = await reserveAll(deps.limiter, [
    [limits.smsPerPhoneBurst, phone],
    [limits.smsPerPhoneDay, phone],
    [limits.smsPerAccountDay, challenge.userId],
    [limits.smsPerIpHour, ipKey(client.ip)],
    [smsGlobalHourly(deps.config.sms.globalHourlyLimit), "all"],
  ]);
  if (!budget.allowed) {
    await deps.repo.recordEvent({
      userId: challenge.userId,
      type: "sms_limited",
      ...eventClient(client),
      details: { purpose: challenge.purpose },
    });
    return fail("sms_limit", "Too many text messages. Try again later.", {
      retryAfterSeconds: budget.retryAfterSeconds,
    });
  }

  const code = deps.sms.codes === "local" ? randomDigits(6) : null;
  const codeExpiresAt = new Date(
    Math.min(now.getTime() + SMS_CODE_LIFETIME_SECONDS * 1000, challenge.expiresAt.getTime()),
  );
  const sent = await deps.repo.transaction(async (repo) => {
    const updated = await repo.recordCodeSent(challenge.id, {
      codeHash: code ? codeHash(deps, challenge.id, code) : null,
      codeExpiresAt,
      resendAt,
    });
    if (!updated) return null;
    const messageId = await repo.enqueue({ channel: "sms", template, recipient: phone, data: code ? { code } : {} });
    return { updated, messageId };
  });
  if (!sent) return fail("challenge_expired", "This request has expired. Start again.");

  const outcome = await deps.sms.deliverNow(sent.messageId);
  if (!outcome.ok && outcome.permanent) {
    await deps.repo.recordEvent({
      userId: challenge.userId,
      type: "sms_failed",
      ...eventClient(client),
      details: { reason: outcome.reason },
    });
    return deliveryFailure(outcome);
  }
  return ok({ challenge: sent.updated });
}

/**
 * Checks a code against its challenge. The attempt is counted before the comparison, in the same statement
 * that refuses a finished, expired or exhausted challenge; a right code then completes the challenge with a
 * conditional update, so of any number of concurrent right answers exactly one succeeds.
 */
export async function checkChallengeCode(
  deps: Deps,
  challenge: Challenge,
  code: string,
  client: ClientInfo,
): Promise<Result<{ challenge: Challenge }>> {
  const now = deps.now();
  const user = await deps.repo.findUserById(challenge.userId);
  if (!user) return fail("challenge_expired", "This request has expired. Start again.");
  if (user.codeEntryBlockedUntil && user.codeEntryBlockedUntil > now)
    return codeEntryPaused(deps, user.codeEntryBlockedUntil);
  // The challenge's attempt is counted first (5 per challenge, one statement), then the account's wrong-code
  // budget is reserved, both before any code is compared: fifty guesses spread over ten challenges in parallel
  // get ten comparisons, not fifty, and fifty parallel copies of the right code spend one challenge's five
  // attempts, not the account's budget.
  const counted = await deps.repo.countAttempt(challenge.id, MAX_WRONG_CODES_PER_CHALLENGE, now);
  if (!counted) return fail("challenge_expired", "This request has expired or had too many wrong codes. Start again.");
  const accountBudget: Reservation = [[limits.wrongCodesPerAccount, user.id]];
  const reserved = await reserveAll(deps.limiter, accountBudget);
  if (!reserved.allowed) return pauseCodeEntry(deps, user, client, now);

  if (await isRightCode(deps, counted, code, now)) {
    // Only wrong codes count against the account.
    await release(deps.limiter, accountBudget);
    if (await deps.repo.completeChallenge(counted.id, now)) return ok({ challenge: counted });
    return fail("challenge_expired", "This code was already used. Start again.");
  }

  await deps.repo.recordEvent({
    userId: user.id,
    type: "code_failed",
    ...eventClient(client),
    details: { purpose: counted.purpose },
  });
  const attemptsLeft = Math.max(0, MAX_WRONG_CODES_PER_CHALLENGE - counted.attempts);
  const message =
    attemptsLeft > 0
      ? "That code is not right. Check the latest text and try again."
      : "That code is not right, and that was the last try. Start again.";
  return fail("invalid_code", message, { attemptsLeft });
}

function codeEntryPaused(deps: Deps, until: Date): Failure {
  return fail("too_many_attempts", "Too many wrong codes. Code entry is paused; try again later.", {
    retryAfterSeconds: secondsUntil(deps, until),
  });
}

/** The account's wrong-code budget is spent: code entry pauses for an hour, and the owner hears of it once. */
async function pauseCodeEntry(deps: Deps, user: User, client: ClientInfo, now: Date): Promise<Failure> {
  const until = new Date(now.getTime() + CODE_ENTRY_BLOCK_SECONDS * 1000);
  const startedNow = await deps.repo.transaction(async (repo) => {
    if (!(await repo.blockCodeEntry(user.id, until, now))) return false;
    await repo.recordEvent({ userId: user.id, type: "code_entry_blocked", ...eventClient(client) });
    await repo.enqueue({
      channel: "email",
      template: "code_entry_blocked",
      recipient: user.email,
      data: { name: user.name },
    });
    return true;
  });
  if (!startedNow) {
    const current = await deps.repo.findUserById(user.id);
    return codeEntryPaused(
      deps,
      current?.codeEntryBlockedUntil && current.codeEntryBlockedUntil > now ? current.codeEntryBlockedUntil : until,
    );
  }
  deps.messagesQueued();
  return fail("too_many_attempts", "Too many wrong codes. Code entry is paused for an hour; we emailed you.", {
    retryAfterSeconds: CODE_ENTRY_BLOCK_SECONDS,
  });
}

async function isRightCode(deps: Deps, challenge: Challenge, code: string, now: Date): Promise<boolean> {
  if (!challenge.codeExpiresAt || challenge.codeExpiresAt <= now) return false;
  if (deps.sms.codes === "provider")
    return challenge.phoneNumber ? deps.sms.checkCode(challenge.phoneNumber, code) : false;
  return challenge.codeHash !== null && constantTimeEqual(challenge.codeHash, codeHash(deps, challenge.id, code));
}

/** What a page needs to show about a challenge; never the phone number or the code. */
export function describeChallenge(challenge: Challenge) {
  return {
    expiresAt: challenge.expiresAt.toISOString(),
    /** The latest code's end (5 minutes after it was sent): earlier than the challenge's own `expiresAt`. */
    codeExpiresAt: challenge.codeExpiresAt?.toISOString() ?? null,
    resendAt: (challenge.resendAt ?? challenge.createdAt).toISOString(),
    attemptsLeft: Math.max(0, MAX_WRONG_CODES_PER_CHALLENGE - challenge.attempts),
  };
}
