import type { Deps } from "../deps";
import { normalizeRecoveryCode, recoveryCodeHash } from "../recovery-codes";
import { ok } from "../result";
import { eventClient } from "../present";
import type { Challenge, ClientInfo, User } from "../types";
import type { SecondFactor } from "./factor";

/**
 * One of the account's recovery codes, used up by the check itself (one conditional statement), so fifty
 * parallel uses of one code pass once. The owner is emailed whenever one is used.
 */
function useCode(deps: Deps, challenge: Challenge, code: string): Promise<boolean> {
  const normalized = normalizeRecoveryCode(code);
  if (!normalized) return Promise.resolve(false);
  return deps.repo.spendRecoveryCode(
    challenge.userId,
    recoveryCodeHash(deps, challenge.userId, normalized),
    deps.now(),
  );
}

/** Every use is told to the owner: a code used by someone else is the sign the codes were found. */
async function tellOwner(deps: Deps, challenge: Challenge, client: ClientInfo): Promise<void> {
  const user = await deps.repo.findUserById(challenge.userId);
  if (!user) return;
  await deps.repo.recordEvent({
    userId: user.id,
    type: "recovery_code_used",
    ...eventClient(client),
    details: { left: user.recoveryCodesLeft },
  });
  await deps.repo.enqueue({
    channel: "email",
    template: "recovery_code_used",
    recipient: user.email,
    data: { name: user.name, left: String(user.recoveryCodesLeft) },
  });
  deps.messagesQueued();
}

export const recoveryCodeFactor: SecondFactor<"recovery_code"> = {
  method: "recovery_code",
  backup: true,
  isEnrolled: (user: User) => user.recoveryCodesLeft > 0,
  offers: (challenge, user) => challenge.purpose !== "phone_verification" && user.recoveryCodesLeft > 0,
  start: async (_deps, challenge) => ok({ challenge }),
  verify: (deps, challenge, _user, proof) => useCode(deps, challenge, proof.code),
  passed: tellOwner,
  wrongProofMessage: (attemptsLeft) =>
    attemptsLeft > 0
      ? "That recovery code is not right or was already used. Check it and try again."
      : "That recovery code is not right, and that was the last try. Start again.",
  // Made and replaced through ../recovery-codes.ts; they go with the last real factor (../factor-changes.ts).
  enrol: async (repo, userId) => (await repo.findUserById(userId))!,
  remove: (repo, userId) => repo.deleteRecoveryCodes(userId),
};
