import { constantTimeEqual, sha256 } from "./crypto";
import { checkChallengeCode, describeChallenge, isChallengeOpen, sendChallengeCode } from "./codes";
import type { Deps } from "./deps";
import { presentSignInChallenge, secondFactorMethods } from "./factors";
import { fail, ok, type Failure, type Result } from "./result";
import { createSession } from "./sessions";
import { eventClient } from "./present";
import type { SignedIn } from "./sign-in";
import type { Challenge, ClientInfo } from "./types";

export interface ChallengeHandle {
  challengeId: string;
  /** The challenge cookie's secret, when the request carried one. */
  binding?: string;
}

const EXPIRED = "Your sign-in has expired or was used up. Start again with your password.";

/**
 * The challenge named by the client, if it is a live sign-in challenge and this client is the one that started
 * it. Every other case (unknown id, other purpose, other browser, finished, expired, out of attempts) answers
 * the same, so an id tells nothing.
 */
async function liveSignInChallenge(deps: Deps, handle: ChallengeHandle): Promise<Challenge | Failure> {
  const challenge = await deps.repo.findChallenge(handle.challengeId);
  const now = deps.now();
  const boundElsewhere = challenge?.clientBinding && !(handle.binding && constantTimeEqual(challenge.clientBinding, sha256(handle.binding)));
  if (!challenge || challenge.purpose !== "sign_in" || boundElsewhere || !isChallengeOpen(challenge, now)) {
    return fail("challenge_expired", EXPIRED);
  }
  return challenge;
}

export async function signInChallengeState(deps: Deps, handle: ChallengeHandle) {
  const challenge = await liveSignInChallenge(deps, handle);
  if ("ok" in challenge) return challenge;
  return ok({ challenge: { ...presentSignInChallenge(challenge, ["sms"]), ...describeChallenge(challenge) } });
}

/** A new code (the previous one dies), after the 60-second cooldown and within every SMS budget. */
export async function resendSignInCode(deps: Deps, handle: ChallengeHandle, client: ClientInfo): Promise<Result<{ resendAt: string; expiresAt: string; codeExpiresAt: string | null }>> {
  const challenge = await liveSignInChallenge(deps, handle);
  if ("ok" in challenge) return challenge;
  const sent = await sendChallengeCode(deps, challenge, "sign_in_code", client);
  if (!sent.ok) return sent;
  const { resendAt, expiresAt, codeExpiresAt } = describeChallenge(sent.challenge);
  return ok({ resendAt, expiresAt, codeExpiresAt });
}

/** The right code ends the challenge and starts a session at assurance level 2, with a token never seen before. */
export async function verifySignInCode(deps: Deps, handle: ChallengeHandle & { code: string }, client: ClientInfo): Promise<Result<{ result: SignedIn }>> {
  const challenge = await liveSignInChallenge(deps, handle);
  if ("ok" in challenge) return challenge;
  const checked = await checkChallengeCode(deps, challenge, handle.code, client);
  if (!checked.ok) return checked;
  const user = await deps.repo.findUserById(challenge.userId);
  // Second factor removed meanwhile, or the phone changed: this challenge proves nothing any more.
  if (!user || secondFactorMethods(user).length === 0 || user.phoneNumber !== challenge.phoneNumber) return fail("challenge_expired", EXPIRED);
  const { token, session } = await createSession(deps, user.id, client, 2);
  await deps.repo.recordEvent({ userId: user.id, type: "sign_in_second_factor", ...eventClient(client) });
  return ok({ result: { kind: "session", user, session, token } });
}
