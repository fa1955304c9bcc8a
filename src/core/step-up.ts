import { describeChallenge, isChallengeOpen, newChallenge, startChallengeStep, verifyChallenge } from "./challenges";
import type { Deps } from "./deps";
import { secondFactorMethods, type SecondFactorProof } from "./factors";
import { eventClient, maskPhoneNumber } from "./present";
import { fail, ok, type Failure, type Done } from "./result";
import type { Challenge, ClientInfo, Session, User } from "./types";

/**
 * Step-up: while two-factor is on, a security change (password, email, phone, the 2FA switch, signing other
 * sessions out) needs a session that passed a second factor within this window. A session signed in before 2FA
 * was turned on, or one whose cookie was stolen long after its sign-in, must prove the factor again first
 * (NIST SP 800-63B 4.2.3 re-authentication; OWASP ASVS 5.0 6.3.x / 7.5.x).
 */
export const STEP_UP_WINDOW_SECONDS = 10 * 60;

const REQUIRED = "Confirm it's you with a code from your phone first.";
const EXPIRED = "This confirmation has expired or had too many wrong codes. Ask for a new code.";

/** Null when the change may go ahead: no second factor on the account, or one passed recently in this session. */
export function requireRecentSecondFactor(deps: Deps, user: User, session: Session): Failure | null {
  if (secondFactorMethods(user).length === 0) return null;
  const passedAt = session.secondFactorAt?.getTime();
  if (passedAt !== undefined && deps.now().getTime() - passedAt < STEP_UP_WINDOW_SECONDS * 1000) return null;
  return fail("second_factor_required", REQUIRED);
}

function presentStepUp(challenge: Challenge) {
  return {
    phoneHint: challenge.phoneNumber ? maskPhoneNumber(challenge.phoneNumber) : null,
    ...describeChallenge(challenge),
  };
}

/**
 * Sends a code for this session's step-up: to the account's verified number, through a challenge bound to this
 * session alone, with the same cooldown, SMS budgets and attempt caps as sign-in. A second call resends on the
 * open challenge (its spent attempts stay spent).
 */
export async function sendStepUpCode(deps: Deps, user: User, session: Session, client: ClientInfo) {
  if (!secondFactorMethods(user).includes("sms"))
    return fail("invalid_request", "Two-step sign-in is not on for this account.");
  const now = deps.now();
  const open = await deps.repo.findOpenSessionChallenge(session.id, "step_up", now);
  let challenge = open && isChallengeOpen(open, now) && open.phoneNumber === user.phoneNumber ? open : null;
  if (!challenge) {
    challenge = newChallenge(deps, user, "step_up", user.phoneNumber!, client, session.id);
    if (!(await deps.repo.insertChallenge(challenge)))
      return fail("credentials_changed", "Your security settings just changed. Try again.");
  }
  const sent = await startChallengeStep(deps, challenge, "sms", { template: "step_up_code", client });
  if (!sent.ok) return sent;
  return ok(presentStepUp(sent.challenge));
}

/** The open step-up of this session, for a page that reloads mid-way. */
export async function stepUpState(deps: Deps, session: Session) {
  const now = deps.now();
  const open = await deps.repo.findOpenSessionChallenge(session.id, "step_up", now);
  if (!open || !isChallengeOpen(open, now)) return fail("not_found", "No confirmation in progress.");
  return ok(presentStepUp(open));
}

/**
 * A right proof, by any method the step-up offers, credits this session with a second factor passed now.
 * Credited only while the account's credentials are the ones the step-up was opened under, so a factor removed
 * meanwhile cannot be "passed".
 */
export async function verifyStepUp(
  deps: Deps,
  user: User,
  session: Session,
  proof: SecondFactorProof,
  client: ClientInfo,
): Promise<Done> {
  const now = deps.now();
  const challenge = await deps.repo.findOpenSessionChallenge(session.id, "step_up", now);
  if (!challenge || challenge.userId !== user.id || !isChallengeOpen(challenge, now))
    return fail("challenge_expired", EXPIRED);
  const checked = await verifyChallenge(deps, challenge, proof, client);
  if (!checked.ok) return checked;
  if (!(await deps.repo.creditSecondFactor(session.id, user.id, challenge.credentialsVersion, deps.now())))
    return fail("challenge_expired", EXPIRED);
  await deps.repo.recordEvent({ userId: user.id, type: "step_up", ...eventClient(client) });
  return ok({});
}
