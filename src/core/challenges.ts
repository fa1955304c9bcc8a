import { randomId, sha256 } from "./crypto";
import type { Deps } from "./deps";
import {
  factorFor,
  type ChallengeStep,
  type SecondFactorMethod,
  type SecondFactorProof,
  type StartedStep,
} from "./factors";
import { limits, release, reserveAll, type Reservation } from "./limits";
import { eventClient } from "./present";
import { fail, ok, type Failure, type Result } from "./result";
import type { Challenge, ClientInfo, User } from "./types";

/*
 * A challenge is the second step of something (a sign-in, a step-up, proving a new number): one row with its own
 * attempt budget, finished by any factor it offers. This file is the part every factor shares: opening the row,
 * and the verify path that spends the budgets before a factor's `verify` is called (./factors/).
 */

// NIST SP 800-63B 5.1.3.2: a 6-digit secret is ≈ 20 bits, safe only with a hard attempt cap. A challenge takes
// 5 wrong answers, whatever the method, then it is dead; it lives 10 minutes.
export const MAX_WRONG_CODES_PER_CHALLENGE = 5;
export const CHALLENGE_LIFETIME_SECONDS = 10 * 60;
export const CODE_ENTRY_BLOCK_SECONDS = 60 * 60;

/** Still takes answers: not finished, not expired, not out of attempts. */
export function isChallengeOpen(challenge: Challenge, now: Date): boolean {
  return !challenge.completedAt && challenge.expiresAt > now && challenge.attempts < MAX_WRONG_CODES_PER_CHALLENGE;
}

/**
 * A fresh challenge row: 192-bit id, one user, one purpose, bound to the client when it has a cookie and to the
 * session that asked when there is one; it records the credentials it was opened under. `phoneNumber` is where
 * its codes may be texted: null when SMS is not one of the user's factors (then SMS cannot finish it).
 */
export function newChallenge(
  deps: Deps,
  user: User,
  purpose: Challenge["purpose"],
  phoneNumber: string | null,
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
    webauthnChallenge: null,
    smsError: null,
    attempts: 0,
    sends: 0,
    resendAt: null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CHALLENGE_LIFETIME_SECONDS * 1000),
    completedAt: null,
  };
}

/**
 * Starts a method's step on a challenge (SMS: texts a new code, the previous one dies; passkey: new options).
 * A method the challenge does not offer is refused before anything is sent.
 */
export async function startChallengeStep(
  deps: Deps,
  challenge: Challenge,
  method: SecondFactorMethod,
  step: ChallengeStep,
): Promise<Result<StartedStep>> {
  const factor = factorFor(method);
  if (!factor) return methodUnavailable();
  const user = await deps.repo.findUserById(challenge.userId);
  if (!user || !factor.offers(challenge, user)) return methodUnavailable();
  return factor.start(deps, challenge, step);
}

const secondsUntil = (deps: Deps, at: Date) => Math.max(1, Math.ceil((at.getTime() - deps.now().getTime()) / 1000));

/**
 * Checks a proof against its challenge, through the factor its method names. The budgets are spent here, once,
 * for every method: the attempt is counted before the factor looks at the proof, in the same statement that
 * refuses a finished, expired or exhausted challenge; a right proof then completes the challenge with a
 * conditional update, so of any number of concurrent right answers exactly one succeeds.
 */
export async function verifyChallenge(
  deps: Deps,
  challenge: Challenge,
  proof: SecondFactorProof,
  client: ClientInfo,
): Promise<Result<{ challenge: Challenge }>> {
  // An unknown method costs nothing: no factor would look at the proof.
  const factor = factorFor(proof.method);
  if (!factor) return methodUnavailable();
  const now = deps.now();
  const user = await deps.repo.findUserById(challenge.userId);
  if (!user) return fail("challenge_expired", "This request has expired. Start again.");
  if (!factor.offers(challenge, user)) return methodUnavailable();
  if (user.codeEntryBlockedUntil && user.codeEntryBlockedUntil > now)
    return codeEntryPaused(deps, user.codeEntryBlockedUntil);
  // The challenge's attempt is counted first (5 per challenge, one statement), then the account's wrong-code
  // budget is reserved, both before any proof is compared: fifty guesses spread over ten challenges in parallel
  // get ten comparisons, not fifty, and fifty parallel copies of the right code spend one challenge's five
  // attempts, not the account's budget.
  const counted = await deps.repo.countAttempt(challenge.id, MAX_WRONG_CODES_PER_CHALLENGE, now);
  if (!counted) return fail("challenge_expired", "This request has expired or had too many wrong codes. Start again.");
  const accountBudget: Reservation = [[limits.wrongCodesPerAccount, user.id]];
  const reserved = await reserveAll(deps.limiter, accountBudget);
  if (!reserved.allowed) return pauseCodeEntry(deps, user, client, now);

  if (await factor.verify(deps, counted, user, proof)) {
    // Only wrong answers count against the account.
    await release(deps.limiter, accountBudget);
    if (!(await deps.repo.completeChallenge(counted.id, now)))
      return fail("challenge_expired", "This code was already used. Start again.");
    await factor.passed?.(deps, counted, client);
    return ok({ challenge: counted });
  }

  await deps.repo.recordEvent({
    userId: user.id,
    type: "code_failed",
    ...eventClient(client),
    details: { purpose: counted.purpose },
  });
  const attemptsLeft = Math.max(0, MAX_WRONG_CODES_PER_CHALLENGE - counted.attempts);
  return fail("invalid_code", factor.wrongProofMessage(attemptsLeft), { attemptsLeft });
}

/** A method no factor has, or one this challenge does not offer: refused before any budget is touched. */
function methodUnavailable(): Failure {
  return fail("invalid_request", "This step cannot be completed that way. Choose one of the offered methods.");
}

function codeEntryPaused(deps: Deps, until: Date): Failure {
  return fail("too_many_attempts", "Too many wrong codes. Code entry is paused; try again later.", {
    retryAfterSeconds: secondsUntil(deps, until),
  });
}

/** The account's wrong-code budget is spent: code entry pauses for an hour, and the owner hears of it once. */
async function pauseCodeEntry(deps: Deps, user: User, client: ClientInfo, now: Date): Promise<Failure> {
  const until = new Date(now.getTime() + CODE_ENTRY_BLOCK_SECONDS * 1000);
  const startedNow = await deps.repo.transaction(async (repo) => {
    if (!(await repo.blockCodeEntry(user.id, until, now))) return false;
    await repo.recordEvent({ userId: user.id, type: "code_entry_blocked", ...eventClient(client) });
    await repo.enqueue({
      channel: "email",
      template: "code_entry_blocked",
      recipient: user.email,
      data: { name: user.name },
    });
    return true;
  });
  if (!startedNow) {
    const current = await deps.repo.findUserById(user.id);
    return codeEntryPaused(
      deps,
      current?.codeEntryBlockedUntil && current.codeEntryBlockedUntil > now ? current.codeEntryBlockedUntil : until,
    );
  }
  deps.messagesQueued();
  return fail("too_many_attempts", "Too many wrong codes. Code entry is paused for an hour; we emailed you.", {
    retryAfterSeconds: CODE_ENTRY_BLOCK_SECONDS,
  });
}

/** What a page needs to show about a challenge; never the phone number or the code. */
export function describeChallenge(challenge: Challenge) {
  return {
    expiresAt: challenge.expiresAt.toISOString(),
    /** The latest code's end (5 minutes after it was sent): earlier than the challenge's own `expiresAt`. */
    codeExpiresAt: challenge.codeExpiresAt?.toISOString() ?? null,
    resendAt: (challenge.resendAt ?? challenge.createdAt).toISOString(),
    attemptsLeft: Math.max(0, MAX_WRONG_CODES_PER_CHALLENGE - challenge.attempts),
  };
}
