import { randomId } from "./crypto";
import type { Deps } from "./deps";
import { maskPhoneNumber } from "./present";
import type { User } from "./types";

export type SecondFactorMethod = "sms";

// A challenge lives 10 minutes: long enough to wait for an SMS, short enough to bound guessing.
export const SIGN_IN_CHALLENGE_LIFETIME_SECONDS = 10 * 60;

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

/**
 * The seam for second factors: sign-in, email verification and every later sign-in path end here, so none of
 * them can hand a 2FA user a session without the challenge. Code delivery arrives with the SMS issue.
 */
export async function createSignInChallenge(deps: Deps, user: User, methods: SecondFactorMethod[]): Promise<SignInChallenge> {
  const now = deps.now();
  const challenge = {
    id: randomId(24),
    purpose: "sign_in" as const,
    userId: user.id,
    expiresAt: new Date(now.getTime() + SIGN_IN_CHALLENGE_LIFETIME_SECONDS * 1000),
    resendAt: now,
  };
  await deps.repo.insertChallenge(challenge);
  return {
    id: challenge.id,
    methods,
    phoneHint: user.phoneNumber ? maskPhoneNumber(user.phoneNumber) : null,
    expiresAt: challenge.expiresAt.toISOString(),
    resendAt: challenge.resendAt.toISOString(),
  };
}
