import type { Deps } from "./deps";
import { createSignInChallenge, secondFactorMethods, type SignInChallenge } from "./factors";
import { consumeAll, ipKey, limits, peekAll } from "./limits";
import { verifyDummyPassword, verifyPassword } from "./passwords";
import { eventClient, normalizeEmail } from "./present";
import { fail, ok, type Result, rateLimited } from "./result";
import { createSession } from "./sessions";
import { claimSignInAttempt, clearSignInThrottle, failuresPerIp, notifyLockedAccount, recognizeKnownDevice, recordSignInFailure } from "./sign-in-throttle";
import type { ClientInfo, Session, User } from "./types";

export type SignedIn = { kind: "session"; user: User; session: Session; token: string } | { kind: "challenge"; user: User; challenge: SignInChallenge };

const INVALID_CREDENTIALS = "The email or password is incorrect.";

/**
 * Email + password sign-in. Unknown email and wrong password answer alike, and both cost one argon2id verify,
 * so neither the body nor the timing tells whether an account exists. Guessing is throttled per address and
 * per IP (core/sign-in-throttle.ts); `deviceCookie` is the known-device cookie, if the browser has one.
 */
export async function signIn(
  deps: Deps,
  input: { email: string; password: string },
  client: ClientInfo,
  deviceCookie?: string | null,
): Promise<Result<{ result: SignedIn }>> {
  const email = normalizeEmail(input.email);
  const ip = ipKey(client.ip);
  const limited = await consumeAll(deps.limiter, [[limits.signInPerIp, ip]]);
  const spraying = limited.allowed ? await peekAll(deps.limiter, failuresPerIp.map((policy) => [policy, ip])) : limited;
  if (!spraying.allowed) return rateLimited(spraying.retryAfterSeconds, "Too many sign-in attempts. Try again later.");

  const found = await deps.repo.findCredentialsByEmail(email);
  const knownDevice = found ? recognizeKnownDevice(deps, found.user.id, deviceCookie) : null;
  const claim = await claimSignInAttempt(deps, email, knownDevice);
  if (!claim.allowed) return claim.failure;

  const passwordMatches = found ? await verifyPassword(found.passwordHash, input.password) : await verifyDummyPassword(input.password);
  if (!found || !passwordMatches) {
    await recordSignInFailure(deps, ip, knownDevice);
    if (found) {
      await deps.repo.recordEvent({ userId: found.user.id, type: "sign_in_failed", ...eventClient(client) });
      if (claim.lockedNow) await notifyLockedAccount(deps, found.user, client);
    }
    return fail("invalid_credentials", INVALID_CREDENTIALS);
  }
  await clearSignInThrottle(deps, email);
  // Revealed only after a correct password, so it tells an attacker nothing they did not already prove.
  if (!found.user.emailVerifiedAt) {
    await deps.repo.recordEvent({ userId: found.user.id, type: "sign_in_unverified", ...eventClient(client) });
    return fail("email_not_verified", "Confirm your email address first. We can send the link again.");
  }
  const completed = await completeFirstFactor(deps, found.user, client);
  return completed.ok ? ok({ result: completed.result }) : completed;
}

/**
 * Every path that proves the first factor (password, email link) ends here: users with a second factor get a
 * challenge, never a session.
 */
export async function completeFirstFactor(deps: Deps, user: User, client: ClientInfo): Promise<Result<{ result: SignedIn }>> {
  const methods = secondFactorMethods(user);
  if (methods.length > 0) {
    const started = await createSignInChallenge(deps, user, methods, client);
    if (!started.ok) return started;
    await deps.repo.recordEvent({ userId: user.id, type: "sign_in_challenged", ...eventClient(client) });
    return ok({ result: { kind: "challenge", user, challenge: started.challenge } });
  }
  const { token, session } = await createSession(deps, user.id, client, 1);
  await deps.repo.recordEvent({ userId: user.id, type: "sign_in", ...eventClient(client) });
  return ok({ result: { kind: "session", user, session, token } });
}

