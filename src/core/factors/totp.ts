import type { Deps } from "../deps";
import { matchTotpStep, openTotpSecret } from "../totp";
import { ok } from "../result";
import type { Challenge, User } from "../types";
import type { SecondFactor } from "./factor";

/**
 * A code from an authenticator app. Right means: the app is confirmed, the code matches now ±1 step, and that
 * step was not used before (taken in one conditional update, ../totp.ts), so a replayed code is a wrong one.
 */
async function isRightCode(deps: Deps, challenge: Challenge, code: string): Promise<boolean> {
  const credential = await deps.repo.findTotp(challenge.userId);
  if (!credential?.confirmedAt) return false;
  const step = matchTotpStep(deps, openTotpSecret(deps, credential.sealedSecret), code);
  return step !== null && deps.repo.claimTotpStep(challenge.userId, step);
}

export const totpFactor: SecondFactor<"totp"> = {
  method: "totp",
  backup: false,
  isEnrolled: (user: User) => user.twoFactorTotp,
  // Proving a new phone number is the one step an app code cannot stand in for.
  offers: (challenge, user) => challenge.purpose !== "phone_verification" && user.twoFactorTotp,
  start: async (_deps, challenge) => ok({ challenge }),
  verify: (deps, challenge, _user, proof) => isRightCode(deps, challenge, proof.code),
  wrongProofMessage: (attemptsLeft) =>
    attemptsLeft > 0
      ? "That code is not right. Enter the current code from your authenticator app."
      : "That code is not right, and that was the last try. Start again.",
  // Set up and removed through ../totp-setup.ts, which proves the app before it is turned on.
  enrol: async (repo, userId) => (await repo.findUserById(userId))!,
  remove: (repo, userId) => repo.deleteTotp(userId),
};
