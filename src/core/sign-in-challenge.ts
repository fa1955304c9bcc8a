import { describeChallenge, isChallengeOpen, newChallenge, startChallengeStep, verifyChallenge } from "./challenges";
import { constantTimeEqual, sha256 } from "./crypto";
import { cancelOpenRecoveries } from "./account-recovery";
import type { Deps } from "./deps";
import { challengeMethods, type SecondFactorMethod, type SecondFactorProof, type StartedStep } from "./factors";
import { smsFactor } from "./factors/sms";
import { eventClient, maskPhoneNumber } from "./present";
import { fail, ok, type Failure, type Result } from "./result";
import { createSession } from "./sessions";
import type { SignedIn } from "./sign-in";
import { issueKnownDevice } from "./sign-in-throttle";
import type { Challenge, ClientInfo, User } from "./types";

/** Why the first step's text could not be sent; the challenge stands and the page offers the other methods. */
export interface SmsError {
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

export interface SignInChallenge {
  id: string;
  /** Every method that can finish it; the first is the step the page shows first. */
  methods: SecondFactorMethod[];
  phoneHint: string | null;
  expiresAt: string;
  resendAt: string;
  smsError?: SmsError;
}

export interface ChallengeHandle {
  challengeId: string;
  /** The challenge cookie's secret, when the request carried one. */
  binding?: string;
}

const EXPIRED = "Your sign-in has expired or was used up. Start again with your password.";

export function presentSignInChallenge(
  challenge: Challenge,
  methods: SecondFactorMethod[],
  smsError?: SmsError,
): SignInChallenge {
  return {
    id: challenge.id,
    methods,
    phoneHint: challenge.phoneNumber ? maskPhoneNumber(challenge.phoneNumber) : null,
    expiresAt: challenge.expiresAt.toISOString(),
    resendAt: (challenge.resendAt ?? challenge.createdAt).toISOString(),
    ...(smsError ? { smsError } : {}),
  };
}

/** SMS was the first step and no code went out (a limit, the provider): the page must say so. */
const NOT_TEXTED: SmsError = {
  code: "sms_not_sent",
  message: "We couldn't text you a code. Try again in a few minutes, or use another way.",
};

/**
 * The seam every first-factor success passes (password, email link): a user with a second factor gets this
 * challenge instead of a session. Only when SMS is the first method is a code texted now; the others cost nothing
 * until chosen. If that text cannot go (the number's limit, the provider), the challenge still stands for the
 * user's other methods: a limit on texts must not lock out someone with an app or a recovery code.
 */
export async function createSignInChallenge(
  deps: Deps,
  user: User,
  methods: SecondFactorMethod[],
  client: ClientInfo,
): Promise<Result<{ challenge: SignInChallenge }>> {
  const challenge = newChallenge(deps, user, "sign_in", smsFactor.isEnrolled(user) ? user.phoneNumber : null, client);
  if (!(await deps.repo.insertChallenge(challenge)))
    return fail("credentials_changed", "Your sign-in details changed while signing in. Sign in again.");
  if (methods[0] !== "sms") return ok({ challenge: presentSignInChallenge(challenge, methods) });
  const sent = await startChallengeStep(deps, challenge, "sms", { template: "sign_in_code", client });
  if (sent.ok) return ok({ challenge: presentSignInChallenge(sent.challenge, methods) });
  if (methods.length === 1) return sent;
  const { code, message, retryAfterSeconds } = sent;
  const retryAt = retryAfterSeconds ? new Date(deps.now().getTime() + retryAfterSeconds * 1000).toISOString() : null;
  // Kept on the row: the page that takes over (and any client reading the challenge) can then say why.
  await deps.repo.recordSmsError(challenge.id, { code, message, retryAt });
  return ok({
    challenge: presentSignInChallenge(challenge, methods, {
      code,
      message,
      ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    }),
  });
}

/** Why no text went out for this challenge, with the wait counted from now; null once a text was sent. */
function smsErrorOf(deps: Deps, challenge: Challenge, methods: SecondFactorMethod[]): SmsError | undefined {
  if (methods[0] !== "sms" || challenge.sends > 0) return undefined;
  if (!challenge.smsError) return NOT_TEXTED;
  const { code, message, retryAt } = challenge.smsError;
  const wait = retryAt ? Math.ceil((Date.parse(retryAt) - deps.now().getTime()) / 1000) : 0;
  return wait > 0 ? { code, message, retryAfterSeconds: wait } : { code, message };
}

/**
 * The challenge named by the client, if it is a live sign-in challenge and this client is the one that started
 * it. Every other case (unknown id, other purpose, other browser, finished, expired, out of attempts) answers
 * the same, so an id tells nothing.
 */
export async function liveSignInChallenge(deps: Deps, handle: ChallengeHandle): Promise<Challenge | Failure> {
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
  return ok({
    challenge: {
      ...presentSignInChallenge(challenge, methods, smsErrorOf(deps, challenge, methods)),
      ...describeChallenge(challenge),
    },
  });
}

/**
 * Starts a method's step: SMS texts a new code (the previous one dies) after the 60-second cooldown and within
 * every SMS budget; a passkey gets fresh options for the browser.
 */
export async function startSignInStep(
  deps: Deps,
  handle: ChallengeHandle,
  method: SecondFactorMethod,
  client: ClientInfo,
): Promise<
  Result<{ resendAt: string; expiresAt: string; codeExpiresAt: string | null } & Omit<StartedStep, "challenge">>
> {
  const challenge = await liveSignInChallenge(deps, handle);
  if ("ok" in challenge) return challenge;
  const started = await startChallengeStep(deps, challenge, method, { template: "sign_in_code", client });
  if (!started.ok) return started;
  const { resendAt, expiresAt, codeExpiresAt } = describeChallenge(started.challenge);
  return ok({ resendAt, expiresAt, codeExpiresAt, passkeyOptions: started.passkeyOptions });
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
  await deps.repo.recordEvent({
    userId: user.id,
    type: "sign_in_second_factor",
    ...eventClient(client),
    details: { method: handle.proof.method },
  });
  // Whoever passes a second factor still holds one: a "lost everything" recovery waiting to wipe them is cancelled.
  await cancelOpenRecoveries(deps.repo, user.id, deps.now(), client);
  const knownDevice = issueKnownDevice(deps, user.id, (await deps.repo.getPasswordHash(user.id)) ?? "");
  return ok({ result: { kind: "session", user, session: created.session, token: created.token, knownDevice } });
}
