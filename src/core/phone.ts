import { describeChallenge, isChallengeOpen, newChallenge, startChallengeStep, verifyChallenge } from "./challenges";
import type { Deps } from "./deps";
import { onFactorRemoved } from "./factor-changes";
import { checkPhoneNumber } from "./phone-numbers";
import { maskPhoneNumber } from "./present";
import { fail, ok, type Failure, type Result } from "./result";
import { checkCurrentPassword } from "./reauthenticate";
import { eventClient } from "./present";
import { requireRecentSecondFactor } from "./step-up";
import type { Challenge, ClientInfo, Session, User } from "./types";

const EXPIRED = "This verification has expired or had too many wrong codes. Add the number again.";

function presentVerification(challenge: Challenge) {
  return {
    verificationId: challenge.id,
    phoneHint: maskPhoneNumber(challenge.phoneNumber!),
    // In full for the signed-in owner who just typed it, so a typo shows on the code page.
    phoneNumber: challenge.phoneNumber!,
    ...describeChallenge(challenge),
  };
}

/**
 * Adding or changing the number: step-up (while 2FA is on), password, screening (before any provider is paid),
 * then a code to the new number. The account keeps its old number until that code comes back. Whether another
 * account uses the number is never asked: a number is a second factor, not an identifier, so several accounts
 * may verify one (families share phones), and no answer here tells whose number is whose. The per-number SMS
 * budgets apply across accounts all the same.
 */
export async function startPhoneVerification(
  deps: Deps,
  user: User,
  session: Session,
  input: { phoneNumber: string; currentPassword: string },
  client: ClientInfo,
) {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  const checked = checkPhoneNumber(input.phoneNumber, deps.config.sms.allowedCountries);
  if (!checked.ok) return fail(checked.code, checked.message, { fields: { phoneNumber: checked.message } });
  if (checked.e164 === user.phoneNumber && user.phoneVerifiedAt) {
    return fail("invalid_request", "This is already your verified number.", {
      fields: { phoneNumber: "This is already your verified number." },
    });
  }

  // Bound to this session: another session of the account (one that never stepped up) cannot finish it.
  const challenge = newChallenge(deps, user, "phone_verification", checked.e164, client, session.id);
  const opened = await deps.repo.transaction(async (repo) => {
    await repo.closeOpenChallenges(user.id, "phone_verification", deps.now());
    if (!(await repo.insertChallenge(challenge))) return false;
    await repo.recordEvent({ userId: user.id, type: "phone_verification_started", ...eventClient(client) });
    return true;
  });
  if (!opened) return fail("credentials_changed", "Your security settings just changed. Try again.");
  const sent = await startChallengeStep(deps, challenge, "sms", { template: "phone_verification_code", client });
  if (!sent.ok) return sent;
  return ok(presentVerification(sent.challenge));
}

/** Only the signed-in owner's own open verification; anyone else's id is simply not found. */
async function ownVerification(
  deps: Deps,
  user: User,
  session: Session,
  verificationId: string,
): Promise<Challenge | Failure> {
  const challenge = await deps.repo.findChallenge(verificationId);
  const now = deps.now();
  if (!challenge || challenge.userId !== user.id || challenge.purpose !== "phone_verification")
    return fail("challenge_expired", EXPIRED);
  if (challenge.sessionId !== null && challenge.sessionId !== session.id) return fail("challenge_expired", EXPIRED);
  if (!isChallengeOpen(challenge, now)) return fail("challenge_expired", EXPIRED);
  return challenge;
}

/** This session's verification in progress: one started in another session is not offered here. */
export async function pendingPhoneVerification(deps: Deps, session: Session) {
  const challenge = await deps.repo.findOpenSessionChallenge(session.id, "phone_verification", deps.now());
  if (!challenge || !isChallengeOpen(challenge, deps.now()))
    return fail("not_found", "No phone verification in progress.");
  return ok(presentVerification(challenge));
}

export async function resendPhoneCode(
  deps: Deps,
  user: User,
  session: Session,
  input: { verificationId: string },
  client: ClientInfo,
): Promise<Result<{ resendAt: string; expiresAt: string; codeExpiresAt: string | null }>> {
  const challenge = await ownVerification(deps, user, session, input.verificationId);
  if ("ok" in challenge) return challenge;
  const sent = await startChallengeStep(deps, challenge, "sms", { template: "phone_verification_code", client });
  if (!sent.ok) return sent;
  const { resendAt, expiresAt, codeExpiresAt } = describeChallenge(sent.challenge);
  return ok({ resendAt, expiresAt, codeExpiresAt });
}

/**
 * The right code makes the number the account's verified number; the old number and the inbox are told. A
 * change of number changes the second factor: the credentials version moves, so sign-in challenges still
 * pointing at the old number die. The session that proved the new number has just passed that factor.
 */
export async function verifyPhone(
  deps: Deps,
  user: User,
  session: Session,
  input: { verificationId: string; code: string },
  client: ClientInfo,
): Promise<Result<{ user: User }>> {
  const challenge = await ownVerification(deps, user, session, input.verificationId);
  if ("ok" in challenge) return challenge;
  // Proving the number is how SMS is enrolled: its code pays from the same budgets as any other.
  const checked = await verifyChallenge(deps, challenge, { method: "sms", code: input.code }, client);
  if (!checked.ok) return checked;
  const newNumber = challenge.phoneNumber!;
  const updated = await deps.repo
    .transaction(async (repo) => {
      const current = await repo.bumpCredentialsVersion(user.id, deps.now());
      // The account's credentials changed after this verification began (a password reset): it proves nothing.
      if (!current || current.credentialsVersion !== challenge.credentialsVersion + 1) throw new StaleChallenge();
      const previous = current.phoneVerifiedAt ? current.phoneNumber : null;
      const next = await repo.setVerifiedPhone(user.id, newNumber);
      await repo.creditSecondFactor(session.id, user.id, next.credentialsVersion, deps.now());
      await repo.recordEvent({
        userId: user.id,
        type: previous ? "phone_changed" : "phone_added",
        ...eventClient(client),
      });
      await repo.enqueue({
        channel: "email",
        template: "phone_changed",
        recipient: user.email,
        data: { name: user.name, phoneHint: maskPhoneNumber(newNumber) },
      });
      if (previous && previous !== newNumber)
        await repo.enqueue({ channel: "sms", template: "phone_changed_notice", recipient: previous, data: {} });
      return next;
    })
    .catch((error: unknown) => {
      if (error instanceof StaleChallenge) return null;
      throw error;
    });
  if (!updated) return fail("challenge_expired", EXPIRED);
  deps.messagesQueued();
  return ok({ user: updated });
}

class StaleChallenge extends Error {}

/** Removing the number turns SMS two-factor off with it; both the number and the inbox are told. */
export async function removePhone(
  deps: Deps,
  user: User,
  session: Session,
  input: { currentPassword: string },
  client: ClientInfo,
): Promise<Result<{ user: User }>> {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  const updated = await deps.repo.transaction(async (repo) => {
    // Also ends every open challenge: sign-ins waiting for a code to this number, a phone verification.
    const current = await repo.bumpCredentialsVersion(user.id, deps.now());
    const next = await repo.clearPhone(user.id);
    await repo.recordEvent({ userId: user.id, type: "phone_removed", ...eventClient(client) });
    await repo.enqueue({
      channel: "email",
      template: "phone_removed",
      recipient: user.email,
      data: { name: user.name },
    });
    if (current?.phoneNumber && current.phoneVerifiedAt)
      await repo.enqueue({
        channel: "sms",
        template: "phone_removed_notice",
        recipient: current.phoneNumber,
        data: {},
      });
    // SMS two-factor goes with the number; if it was the last factor, two-factor is off (recovery codes too).
    if (current && (await onFactorRemoved(deps, repo, current, next, client)))
      return (await repo.findUserById(user.id))!;
    return next;
  });
  deps.messagesQueued();
  return ok({ user: updated });
}
