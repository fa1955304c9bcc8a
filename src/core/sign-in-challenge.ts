import { describeChallenge, isChallengeOpen, newChallenge, startChallengeStep, verifyChallenge } from "./challenges";
import { constantTimeEqual, sha256 } from "./crypto";
import type { Deps } from "./deps";
import { challengeMethods, type SecondFactorMethod, type SecondFactorProof } from "./factors";
import { eventClient, maskPhoneNumber } from "./present";
import { fail, ok, type Failure, type Result } from "./result";
import { createSession } from "./sessions";
import type { SignedIn } from "./sign-in";
import { issueKnownDevice } from "./sign-in-throttle";
import type { Challenge, ClientInfo, User } from "./types";

export interface SignInChallenge {
  id: string;
  methods: SecondFactorMethod[];
  phoneHint: string | null;
  expiresAt: string;
  resendAt: string;
}

export interface ChallengeHandle {
  challengeId: string;
  /** The challenge cookie's secret, when the request carried one. */
  binding?: string;
}

const EXPIRED = "Your sign-in has expired or was used up. Start again with your password.";

export function presentSignInChallenge(challenge: Challenge, methods: SecondFactorMethod[]): SignInChallenge {
  return {
    id: challenge.id,
    methods,
    phoneHint: challenge.phoneNumber ? maskPhoneNumber(challenge.phoneNumber) : null,
    expiresAt: challenge.expiresAt.toISOString(),
    resendAt: (challenge.resendAt ?? challenge.createdAt).toISOString(),
  };
}

/**
 * The seam every first-factor success passes (password, email link): a user with a second factor gets this
 * challenge, and its first code, instead of a session.
 */
export async function createSignInChallenge(
  deps: Deps,
  user: User,
  methods: SecondFactorMethod[],
  client: ClientInfo,
): Promise<Result<{ challenge: SignInChallenge }>> {
  const challenge = newChallenge(deps, user, "sign_in", user.phoneNumber!, client);
  if (!(await deps.repo.insertChallenge(challenge)))
    return fail("credentials_changed", "Your sign-in details changed while signing in. Sign in again.");
  const sent = await startChallengeStep(deps, challenge, "sms", { template: "sign_in_code", client });
  if (!sent.ok) return sent;
  return ok({ challenge: presentSignInChallenge(sent.challenge, methods) });
}

/**
 * The challenge named by the client, if it is a live sign-in challenge and this client is the one that started
 * it. Every other case (unknown id, other purpose, other browser, finished, expired, out of attempts) answers
 * the same, so an id tells nothing.
 */
async function liveSignInChallenge(deps: Deps, handle: ChallengeHandle): Promise<Challenge | Failure> {
  const challenge = await deps.repo.findChallenge(handle.challengeId);
  const now = deps.now();
  const boundElsewhere =
    challenge?.clientBinding && !(handle.binding && constantTimeEqual(challenge.clientBinding, sha256(handle.binding)));
  if (challenge?.purpose !== "sign_in" || boundElsewhere || !isChallengeOpen(challenge, now)) {
    return fail("challenge_expired", EXPIRED);
  }
  return challenge;
}

export async function signInChallengeState(deps: Deps, handle: ChallengeHandle) {
  const challenge = await liveSignInChallenge(deps, handle);
  if ("ok" in challenge) return challenge;
  const user = await deps.repo.findUserById(challenge.userId);
  if (!user) return fail("challenge_expired", EXPIRED);
  const methods = challengeMethods(challenge, user);
  return ok({ challenge: { ...presentSignInChallenge(challenge, methods), ...describeChallenge(challenge) } });
}

/** A new code (the previous one dies), after the 60-second cooldown and within every SMS budget. */
export async function resendSignInCode(
  deps: Deps,
  handle: ChallengeHandle,
  client: ClientInfo,
): Promise<Result<{ resendAt: string; expiresAt: string; codeExpiresAt: string | null }>> {
  const challenge = await liveSignInChallenge(deps, handle);
  if ("ok" in challenge) return challenge;
  const sent = await startChallengeStep(deps, challenge, "sms", { template: "sign_in_code", client });
  if (!sent.ok) return sent;
  const { resendAt, expiresAt, codeExpiresAt } = describeChallenge(sent.challenge);
  return ok({ resendAt, expiresAt, codeExpiresAt });
}

/**
 * A right proof, by any method the challenge offers, ends the challenge and starts a session at assurance
 * level 2, with a token never seen before. The session is inserted only while the account's credentials are
 * the ones the challenge was opened under: a password reset or change, a 2FA or phone change since then (even
 * one committing at this instant) voids it.
 */
export async function verifySignInChallenge(
  deps: Deps,
  handle: ChallengeHandle & { proof: SecondFactorProof },
  client: ClientInfo,
): Promise<Result<{ result: SignedIn }>> {
  const challenge = await liveSignInChallenge(deps, handle);
  if ("ok" in challenge) return challenge;
  const checked = await verifyChallenge(deps, challenge, handle.proof, client);
  if (!checked.ok) return checked;
  const user = await deps.repo.findUserById(challenge.userId);
  if (!user) return fail("challenge_expired", EXPIRED);
  // Refused inside the insert when the credentials (2FA switch, phone, password) changed since the challenge opened.
  const created = await createSession(deps, { id: user.id, credentialsVersion: challenge.credentialsVersion }, client, {
    secondFactorAt: deps.now(),
  });
  if (!created) return fail("challenge_expired", EXPIRED);
  await deps.repo.recordEvent({ userId: user.id, type: "sign_in_second_factor", ...eventClient(client) });
  const knownDevice = issueKnownDevice(deps, user.id, (await deps.repo.getPasswordHash(user.id)) ?? "");
  return ok({ result: { kind: "session", user, session: created.session, token: created.token, knownDevice } });
}
