import { checkChallengeCode, describeChallenge, isChallengeOpen, sendChallengeCode } from "./codes";
import type { Deps } from "./deps";
import { newChallenge } from "./factors";
import { checkPhoneNumber } from "./phone-numbers";
import { maskPhoneNumber } from "./present";
import { fail, ok, type Failure, type Result } from "./result";
import { checkCurrentPassword } from "./reauthenticate";
import { eventClient } from "./present";
import type { Challenge, ClientInfo, User } from "./types";

const EXPIRED = "This verification has expired or had too many wrong codes. Add the number again.";

function presentVerification(challenge: Challenge) {
  return { verificationId: challenge.id, phoneHint: maskPhoneNumber(challenge.phoneNumber!), ...describeChallenge(challenge) };
}

/**
 * Adding or changing the number: password, screening (before any provider is paid), ownership, then a code to
 * the new number. The account keeps its old number until that code comes back.
 */
export async function startPhoneVerification(deps: Deps, user: User, input: { phoneNumber: string; currentPassword: string }, client: ClientInfo) {
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  const checked = checkPhoneNumber(input.phoneNumber, deps.config.sms.allowedCountries);
  if (!checked.ok) return fail(checked.code, checked.message, { fields: { phoneNumber: checked.message } });
  if (checked.e164 === user.phoneNumber && user.phoneVerifiedAt) {
    return fail("invalid_request", "This is already your verified number.", { fields: { phoneNumber: "This is already your verified number." } });
  }
  const owner = await deps.repo.findVerifiedPhoneOwner(checked.e164);
  if (owner && owner !== user.id) return fail("phone_taken", "This number is already used by another account.", { fields: { phoneNumber: "This number is already used by another account." } });

  const challenge = newChallenge(deps, user, "phone_verification", checked.e164, client);
  await deps.repo.transaction(async (repo) => {
    await repo.closeOpenChallenges(user.id, "phone_verification", deps.now());
    await repo.insertChallenge(challenge);
    await repo.recordEvent({ userId: user.id, type: "phone_verification_started", ...eventClient(client) });
  });
  const sent = await sendChallengeCode(deps, challenge, "phone_verification_code", client);
  if (!sent.ok) return sent;
  return ok(presentVerification(sent.challenge));
}

/** Only the signed-in owner's own open verification; anyone else's id is simply not found. */
async function ownVerification(deps: Deps, user: User, verificationId: string): Promise<Challenge | Failure> {
  const challenge = await deps.repo.findChallenge(verificationId);
  const now = deps.now();
  if (!challenge || challenge.userId !== user.id || challenge.purpose !== "phone_verification") return fail("challenge_expired", EXPIRED);
  if (!isChallengeOpen(challenge, now)) return fail("challenge_expired", EXPIRED);
  return challenge;
}

export async function pendingPhoneVerification(deps: Deps, user: User) {
  const challenge = await deps.repo.findOpenChallenge(user.id, "phone_verification", deps.now());
  if (!challenge || !isChallengeOpen(challenge, deps.now())) return fail("not_found", "No phone verification in progress.");
  return ok(presentVerification(challenge));
}

export async function resendPhoneCode(deps: Deps, user: User, input: { verificationId: string }, client: ClientInfo): Promise<Result<{ resendAt: string; expiresAt: string; codeExpiresAt: string | null }>> {
  const challenge = await ownVerification(deps, user, input.verificationId);
  if ("ok" in challenge) return challenge;
  const sent = await sendChallengeCode(deps, challenge, "phone_verification_code", client);
  if (!sent.ok) return sent;
  const { resendAt, expiresAt, codeExpiresAt } = describeChallenge(sent.challenge);
  return ok({ resendAt, expiresAt, codeExpiresAt });
}

/** The right code makes the number the account's verified number; the old number and the inbox are told. */
export async function verifyPhone(deps: Deps, user: User, input: { verificationId: string; code: string }, client: ClientInfo): Promise<Result<{ user: User }>> {
  const challenge = await ownVerification(deps, user, input.verificationId);
  if ("ok" in challenge) return challenge;
  const checked = await checkChallengeCode(deps, challenge, input.code, client);
  if (!checked.ok) return checked;
  const newNumber = challenge.phoneNumber!;
  const updated = await deps.repo.transaction(async (repo) => {
    const previous = user.phoneVerifiedAt ? user.phoneNumber : null;
    const next = await repo.setVerifiedPhone(user.id, newNumber);
    if (!next) return null;
    await repo.recordEvent({ userId: user.id, type: previous ? "phone_changed" : "phone_added", ...eventClient(client) });
    await repo.enqueue({ channel: "email", template: "phone_changed", recipient: user.email, data: { name: user.name, phoneHint: maskPhoneNumber(newNumber) } });
    if (previous && previous !== newNumber) await repo.enqueue({ channel: "sms", template: "phone_changed_notice", recipient: previous, data: {} });
    return next;
  });
  if (!updated) return fail("phone_taken", "This number was just verified by another account.");
  deps.messagesQueued();
  return ok({ user: updated });
}

/** Removing the number turns SMS two-factor off with it; both the number and the inbox are told. */
export async function removePhone(deps: Deps, user: User, input: { currentPassword: string }, client: ClientInfo): Promise<Result<{ user: User }>> {
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  const updated = await deps.repo.transaction(async (repo) => {
    const next = await repo.clearPhone(user.id);
    await repo.closeOpenChallenges(user.id, "phone_verification", deps.now());
    await repo.recordEvent({ userId: user.id, type: "phone_removed", ...eventClient(client) });
    await repo.enqueue({ channel: "email", template: "phone_removed", recipient: user.email, data: { name: user.name } });
    if (user.phoneNumber && user.phoneVerifiedAt) await repo.enqueue({ channel: "sms", template: "phone_removed_notice", recipient: user.phoneNumber, data: {} });
    return next;
  });
  deps.messagesQueued();
  return ok({ user: updated });
}
