import { finishReadyRecovery } from "./account-recovery";
import type { Deps } from "./deps";
import { secondFactorMethods } from "./factors";
import { consumeAll, ipKey, limits } from "./limits";
import { eventClient, normalizeEmail } from "./present";
import { fail, ok, type Result, rateLimited } from "./result";
import { createSession } from "./sessions";
import { createSignInChallenge, type SignInChallenge } from "./sign-in-challenge";
import {
  issueKnownDevice,
  notifyLockedAccount,
  recognizeKnownDevice,
  releaseSignInReservation,
  reserveSignInAttempt,
} from "./sign-in-throttle";
import { recognizeTrustedBrowser } from "./trusted-browsers";
import type { ClientInfo, Session, User } from "./types";

export type SignedIn =
  /** `knownDevice`: the known-device cookie value for this browser (core/sign-in-throttle.ts). */
  | { kind: "session"; user: User; session: Session; token: string; knownDevice: string }
  | { kind: "challenge"; user: User; challenge: SignInChallenge };

const INVALID_CREDENTIALS = "The email or password is incorrect.";
/** The password was right a moment ago, but a change (reset, 2FA switch) committed first. */
const CREDENTIALS_CHANGED = "Your sign-in details changed while signing in. Sign in again.";

/** What the browser carries that sign-in reads: the known-device and trusted-browser cookies, if any. */
export interface SignInCookies {
  /** core/sign-in-throttle.ts: exempts this browser from the account's delays and lock. */
  knownDevice?: string | null;
  /** core/trusted-browsers.ts: stands in for the second step of the user who set it. */
  trustedBrowser?: string | null;
}

/**
 * Email + password sign-in. Unknown email and wrong password answer alike, and both cost one argon2id verify,
 * so neither the body nor the timing tells whether an account exists. Guessing is throttled per address and
 * per IP (core/sign-in-throttle.ts).
 */
export async function signIn(
  deps: Deps,
  input: { email: string; password: string },
  client: ClientInfo,
  cookies: SignInCookies = {},
): Promise<Result<{ result: SignedIn }>> {
  const email = normalizeEmail(input.email);
  const ip = ipKey(client.ip);
  const limited = await consumeAll(deps.limiter, [[limits.signInPerIp, ip]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds, "Too many sign-in attempts. Try again later.");

  const found = await deps.repo.findCredentialsByEmail(email);
  const knownDevice = found ? recognizeKnownDevice(deps, found.user.id, found.passwordHash, cookies.knownDevice) : null;
  const reservation = await reserveSignInAttempt(deps, email, ip, knownDevice);
  if (!reservation.allowed) return reservation.failure;

  const passwordMatches = found
    ? await deps.passwordHasher.verify(found.passwordHash, input.password)
    : await deps.passwordHasher.verifyDummy(input.password);
  if (!found || !passwordMatches) {
    // The failure stays spent (the reservation is kept). What only an existing account does, the event and the
    // lock email, runs after the answer, so a wrong password for a real account takes as long as for none.
    if (found) {
      deps.afterResponse(async () => {
        await deps.repo.recordEvent({ userId: found.user.id, type: "sign_in_failed", ...eventClient(client) });
        if (reservation.lockedNow) await notifyLockedAccount(deps, found.user, client);
      });
    }
    return fail("invalid_credentials", INVALID_CREDENTIALS);
  }
  await releaseSignInReservation(deps, email, reservation.reserved);
  // Revealed only after a correct password, so it tells an attacker nothing they did not already prove.
  if (!found.user.emailVerifiedAt) {
    await deps.repo.recordEvent({ userId: found.user.id, type: "sign_in_unverified", ...eventClient(client) });
    return fail("email_not_verified", "Confirm your email address first. We can send the link again.");
  }
  const completed = await completeFirstFactor(deps, found.user, client, {
    passwordHash: found.passwordHash,
    trustedBrowser: cookies.trustedBrowser,
  });
  return completed.ok ? ok({ result: completed.result }) : completed;
}

/**
 * Every path that proves the first factor (password, email link) ends here. A user with a second factor gets a
 * challenge, never a session, unless an account recovery of theirs is ready (every factor goes: level 1) or this
 * browser is one they trusted (level 2, with no recent second factor for step-up). `user` is the row the first
 * factor was checked against: if its credentials changed since (a reset, a 2FA switch committing in parallel),
 * no session or challenge is created. That also covers the trusted browser: every change that deletes them
 * bumps the version first, so a row found here and a session inserted under the version read at sign-in cannot
 * straddle one.
 */
export async function completeFirstFactor(
  deps: Deps,
  user: User,
  client: ClientInfo,
  options: { passwordHash?: string; trustedBrowser?: string | null } = {},
): Promise<Result<{ result: SignedIn }>> {
  const methods = secondFactorMethods(user);
  if (methods.length > 0) {
    const recovered = await finishReadyRecovery(deps, user, client);
    if (recovered) {
      if (!recovered.ok) return recovered;
      return ok({ result: await sessionResult(deps, recovered.user, recovered, options.passwordHash) });
    }
    if (await recognizeTrustedBrowser(deps, user.id, options.trustedBrowser)) {
      const created = await createSession(deps, user, client, { assuranceLevel: 2 });
      if (!created) return fail("credentials_changed", CREDENTIALS_CHANGED);
      await deps.repo.recordEvent({ userId: user.id, type: "trusted_browser_used", ...eventClient(client) });
      return ok({ result: await sessionResult(deps, user, created, options.passwordHash) });
    }
    const started = await createSignInChallenge(deps, user, methods, client);
    if (!started.ok) return started;
    await deps.repo.recordEvent({ userId: user.id, type: "sign_in_challenged", ...eventClient(client) });
    return ok({ result: { kind: "challenge", user, challenge: started.challenge } });
  }
  const created = await createSession(deps, user, client);
  if (!created) return fail("credentials_changed", CREDENTIALS_CHANGED);
  await deps.repo.recordEvent({ userId: user.id, type: "sign_in", ...eventClient(client) });
  return ok({ result: await sessionResult(deps, user, created, options.passwordHash) });
}

async function sessionResult(
  deps: Deps,
  user: User,
  created: { session: Session; token: string },
  passwordHash?: string,
): Promise<SignedIn> {
  const knownDevice = issueKnownDevice(deps, user.id, passwordHash ?? (await deps.repo.getPasswordHash(user.id)) ?? "");
  return { kind: "session", user, session: created.session, token: created.token, knownDevice };
}
