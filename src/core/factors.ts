import { randomId, sha256 } from "./crypto";
import { CHALLENGE_LIFETIME_SECONDS, sendChallengeCode } from "./codes";
import type { Deps } from "./deps";
import { maskPhoneNumber } from "./present";
import { fail, ok, type Result } from "./result";
import type { Challenge, ClientInfo, User } from "./types";

export type SecondFactorMethod = "sms";

/** The second factors a user must pass before any session is created. */
export function secondFactorMethods(user: User): SecondFactorMethod[] {
  return user.twoFactorSms && user.phoneVerifiedAt && user.phoneNumber ? ["sms"] : [];
}

export interface SignInChallenge {
  id: string;
  methods: SecondFactorMethod[];
  phoneHint: string | null;
  expiresAt: string;
  resendAt: string;
}

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
 * A fresh challenge row: 192-bit id, one user, one purpose, one phone, bound to the client when it has a cookie
 * and to the session that asked when there is one; it records the credentials it was opened under.
 */
export function newChallenge(
  deps: Deps,
  user: User,
  purpose: Challenge["purpose"],
  phoneNumber: string,
  client: ClientInfo,
  sessionId: string | null = null,
): Challenge {
  const now = deps.now();
  return {
    id: randomId(24),
    purpose,
    userId: user.id,
    credentialsVersion: user.credentialsVersion,
    sessionId,
    clientBinding: client.challengeBinding ? sha256(client.challengeBinding) : null,
    phoneNumber,
    codeHash: null,
    codeExpiresAt: null,
    attempts: 0,
    sends: 0,
    resendAt: null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CHALLENGE_LIFETIME_SECONDS * 1000),
    completedAt: null,
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
  const sent = await sendChallengeCode(deps, challenge, "sign_in_code", client);
  if (!sent.ok) return sent;
  return ok({ challenge: presentSignInChallenge(sent.challenge, methods) });
}
