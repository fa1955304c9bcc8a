import { describeChallenge, isChallengeOpen, newChallenge, startChallengeStep, verifyChallenge } from "./challenges";
import type { Deps } from "./deps";
import {
  challengeMethods,
  hasSecondFactor,
  secondFactorMethods,
  type SecondFactorMethod,
  type SecondFactorProof,
} from "./factors";
import { smsFactor } from "./factors/sms";
import { eventClient, maskPhoneNumber } from "./present";
import { fail, ok, type Done, type Failure, type Result } from "./result";
import type { Challenge, ClientInfo, Session, User } from "./types";

/**
 * Step-up: while two-factor is on, a security change (password, email, phone, any factor or recovery codes,
 * signing other sessions out) needs a session that passed a second factor within this window. A session signed in before 2FA
 * was turned on, or one whose cookie was stolen long after its sign-in, must prove the factor again first
 * (NIST SP 800-63B 4.2.3 re-authentication; OWASP ASVS 5.0 6.3.x / 7.5.x).
 */
export const STEP_UP_WINDOW_SECONDS = 10 * 60;

const REQUIRED = "Confirm it's you with your second factor first.";
const EXPIRED = "This confirmation has expired or had too many wrong codes. Start it again.";

/** Null when the change may go ahead: no second factor on the account, or one passed recently in this session. */
export function requireRecentSecondFactor(deps: Deps, user: User, session: Session): Failure | null {
  if (!hasSecondFactor(user)) return null;
  const passedAt = session.secondFactorAt?.getTime();
  if (passedAt !== undefined && deps.now().getTime() - passedAt < STEP_UP_WINDOW_SECONDS * 1000) return null;
  return fail("second_factor_required", REQUIRED);
}

function presentStepUp(challenge: Challenge, user: User) {
  return {
    methods: challengeMethods(challenge, user),
    phoneHint: challenge.phoneNumber ? maskPhoneNumber(challenge.phoneNumber) : null,
    ...describeChallenge(challenge),
  };
}

/**
 * This session's open step-up, or a new one: bound to this session alone, with the same budgets as sign-in. An
 * open one is reused (its spent attempts stay spent) while it still matches the account's factors.
 */
async function openStepUp(
  deps: Deps,
  user: User,
  session: Session,
  client: ClientInfo,
): Promise<Result<{ challenge: Challenge }>> {
  const now = deps.now();
  const phone = smsFactor.isEnrolled(user) ? user.phoneNumber : null;
  const open = await deps.repo.findOpenSessionChallenge(session.id, "step_up", now);
  if (open && isChallengeOpen(open, now) && open.phoneNumber === phone) return ok({ challenge: open });
  const challenge = newChallenge(deps, user, "step_up", phone, client, session.id);
  if (!(await deps.repo.insertChallenge(challenge)))
    return fail("credentials_changed", "Your security settings just changed. Try again.");
  return ok({ challenge });
}

/**
 * Starts a step-up with a method that needs starting: SMS texts a code to the account's verified number (a second
 * call is a resend, with the same cooldown and SMS budgets as sign-in); a passkey gets options for the browser.
 * An app code or a recovery code needs no start: it goes straight to `verifyStepUp`.
 */
export async function startStepUp(
  deps: Deps,
  user: User,
  session: Session,
  method: SecondFactorMethod,
  client: ClientInfo,
) {
  if (!secondFactorMethods(user).includes(method))
    return fail("invalid_request", "That way of confirming is not set up for this account.");
  const opened = await openStepUp(deps, user, session, client);
  if (!opened.ok) return opened;
  const started = await startChallengeStep(deps, opened.challenge, method, { template: "step_up_code", client });
  if (!started.ok) return started;
  return ok({ ...presentStepUp(started.challenge, user), passkeyOptions: started.passkeyOptions });
}

/** Texts a step-up code (the SMS case of `startStepUp`). */
export function sendStepUpCode(deps: Deps, user: User, session: Session, client: ClientInfo) {
  return startStepUp(deps, user, session, "sms", client);
}

/** The open step-up of this session, for a page that reloads mid-way. */
export async function stepUpState(deps: Deps, user: User, session: Session) {
  const now = deps.now();
  const open = await deps.repo.findOpenSessionChallenge(session.id, "step_up", now);
  if (!open || !isChallengeOpen(open, now)) return fail("not_found", "No confirmation in progress.");
  return ok(presentStepUp(open, user));
}

/**
 * A right proof, by any method the account has, credits this session with a second factor passed now. SMS and
 * passkey proofs answer the step that was started; an app or recovery code opens the step-up if none is open.
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
  let challenge = await deps.repo.findOpenSessionChallenge(session.id, "step_up", now);
  if (challenge && (challenge.userId !== user.id || !isChallengeOpen(challenge, now))) challenge = null;
  if (!challenge) {
    if (proof.method === "sms" || proof.method === "passkey") return fail("challenge_expired", EXPIRED);
    if (!secondFactorMethods(user).includes(proof.method))
      return fail("invalid_request", "That way of confirming is not set up for this account.");
    const opened = await openStepUp(deps, user, session, client);
    if (!opened.ok) return opened;
    challenge = opened.challenge;
  }
  const checked = await verifyChallenge(deps, challenge, proof, client);
  if (!checked.ok) return checked;
  if (!(await deps.repo.creditSecondFactor(session.id, user.id, challenge.credentialsVersion, deps.now())))
    return fail("challenge_expired", EXPIRED);
  await deps.repo.recordEvent({
    userId: user.id,
    type: "step_up",
    ...eventClient(client),
    details: { method: proof.method },
  });
  return ok({});
}
