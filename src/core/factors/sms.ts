import { constantTimeEqual, hmac, randomDigits } from "../crypto";
import type { Deps, SmsDeliveryOutcome } from "../deps";
import { ipKey, limits, reserveAll, smsGlobalHourly, smsPhoneKey } from "../limits";
import { eventClient } from "../present";
import { fail, ok, type Failure, type Result } from "../result";
import type { Challenge, User } from "../types";
import type { ChallengeStep, SecondFactor } from "./factor";

// NIST SP 800-63B 5.1.3: a 6-digit out-of-band secret is ≈ 20 bits, acceptable only with a short life and a
// hard attempt cap (the challenge's, in ../challenges.ts). Codes live 5 minutes.
export const SMS_CODE_LIFETIME_SECONDS = 5 * 60;
export const RESEND_COOLDOWN_SECONDS = 60;

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
async function sendCode(
  deps: Deps,
  challenge: Challenge,
  { template, client }: ChallengeStep,
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
  // Reserved before anything is paid for; a refusal part-way gives back what it took. The number's budgets are
  // for this kind of code (verification or authentication); the account, IP and global caps are shared by both.
  const phoneKey = smsPhoneKey(challenge.purpose, phone);
  const budget = await reserveAll(deps.limiter, [
    [limits.smsPerPhoneBurst, phoneKey],
    [limits.smsPerPhoneDay, phoneKey],
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
 * The latest code, while it lives. Single use needs nothing here: the code belongs to this challenge alone
 * (its HMAC is keyed by the challenge id), and the shared path completes the challenge once.
 */
async function isRightCode(deps: Deps, challenge: Challenge, code: string): Promise<boolean> {
  if (!challenge.codeExpiresAt || challenge.codeExpiresAt <= deps.now()) return false;
  if (deps.sms.codes === "provider")
    return challenge.phoneNumber ? deps.sms.checkCode(challenge.phoneNumber, code) : false;
  return challenge.codeHash !== null && constantTimeEqual(challenge.codeHash, codeHash(deps, challenge.id, code));
}

/** A code texted to the account's verified number (or, while verifying one, to the new number). */
export const smsFactor: SecondFactor<"sms"> = {
  method: "sms",
  backup: false,
  isEnrolled: (user: User) => Boolean(user.twoFactorSms && user.phoneVerifiedAt && user.phoneNumber),
  // Every challenge records the number its codes go to: a sign-in or step-up the account's, a phone
  // verification the new one (proving it is how SMS is enrolled).
  offers: (challenge) => challenge.phoneNumber !== null,
  start: sendCode,
  verify: (deps, challenge, _user, proof) => isRightCode(deps, challenge, proof.code),
  wrongProofMessage: (attemptsLeft) =>
    attemptsLeft > 0
      ? "That code is not right. Check the latest text and try again."
      : "That code is not right, and that was the last try. Start again.",
  enrol: (repo, userId) => repo.setTwoFactorSms(userId, true),
  remove: (repo, userId) => repo.setTwoFactorSms(userId, false),
};
