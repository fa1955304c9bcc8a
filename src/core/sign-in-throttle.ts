import { constantTimeEqual, hmac, randomId } from "./crypto";
import type { Deps } from "./deps";
import { consumeLinkToken, issueLinkToken } from "./link-tokens";
import { consumeAll, ipKey, limits, type RateLimitPolicy, release, reserveAll, type Reservation } from "./limits";
import { eventClient, greetingName } from "./present";
import { fail, type Failure, ok, rateLimited, type Done } from "./result";
import type { ClientInfo, User } from "./types";

/**
 * Password guessing against one account, throttled so that an attacker gets few guesses and cannot lock the
 * real user out for good (NIST SP 800-63B 5.2.2; OWASP "Blocking Brute Force Attacks" and "Slow Down Online
 * Guessing Attacks with Device Cookies").
 *
 * - Consecutive failures per email address: the first 4 are free, then each failure doubles the wait before the
 *   next attempt (1 s, 2 s, 4 s … capped at 5 minutes). 100 failures take about 7 hours.
 * - After 100 consecutive failures sign-in is locked until the owner follows the emailed unlock link or resets
 *   the password; the lock email goes out once, at the 100th failure.
 * - A browser that has signed in to the account before carries a signed "known device" cookie. It is exempt from
 *   the account's delays and lock (its own budget is 10 failures an hour), so an attacker hammering the account
 *   from elsewhere never stops the owner from signing in where they usually do.
 * - The counter is keyed by the address, not the account, so unknown addresses are throttled and locked exactly
 *   like real ones: the answers never reveal whether an account exists.
 */
export const signInThrottlePolicy = {
  freeFailures: 4,
  maxDelaySeconds: 5 * 60,
  lockAfterFailures: 100,
  knownDeviceLifetimeSeconds: 180 * 24 * 3600,
};

/** Seconds to wait after `failures` consecutive failures. */
export function throttleDelaySeconds(failures: number): number {
  if (failures <= signInThrottlePolicy.freeFailures) return 0;
  return Math.min(2 ** (failures - signInThrottlePolicy.freeFailures - 1), signInThrottlePolicy.maxDelaySeconds);
}

/** The delay after 1, 2, 3 … failures until it reaches the cap; the storage repeats the last entry from there. */
export function throttleDelaySchedule(): number[] {
  const schedule: number[] = [];
  for (let failures = 1; ; failures++) {
    schedule.push(throttleDelaySeconds(failures));
    if (schedule.at(-1) === signInThrottlePolicy.maxDelaySeconds) return schedule;
  }
}

export function throttleKey(deps: Deps, email: string): string {
  return hmac(deps.config.secret, "sign-in-throttle", email).toString("base64url");
}

export const ACCOUNT_LOCKED_MESSAGE =
  "Sign-in to this account is paused after too many failed attempts. The account owner has been emailed a link to unlock it; resetting the password unlocks it too.";

export type SignInReservation =
  | { allowed: true; lockedNow: boolean; reserved: Reservation }
  | { allowed: false; failure: Failure };

/** Spraying one password across many accounts from one address: failures per IP, whichever account. */
export const failuresPerIp: Array<RateLimitPolicy> = [limits.signInFailuresPerIpHour, limits.signInFailuresPerIpDay];

/**
 * Reserves one failure of every budget this attempt could spend, before the password is checked: the IP's
 * failure budgets, then the known device's own budget or, for any other browser, one attempt on the address's
 * throttle (counted in one statement). Forty parallel guesses therefore get at most the budget's worth of
 * password checks, never "all saw room, all were checked". A correct password gives the reservation back
 * (`releaseSignInReservation`); a wrong one keeps it.
 */
export async function reserveSignInAttempt(
  deps: Deps,
  email: string,
  ip: string,
  knownDevice: KnownDevice | null,
): Promise<SignInReservation> {
  const budgets: Reservation = failuresPerIp.map((policy) => [policy, ip]);
  if (knownDevice) budgets.push([limits.signInFailuresPerDevice, knownDevice.id]);
  const reserved = await reserveAll(deps.limiter, budgets);
  if (!reserved.allowed) {
    const failure = knownDevice
      ? tooSoon(reserved.retryAfterSeconds)
      : rateLimited(reserved.retryAfterSeconds, "Too many sign-in attempts. Try again later.");
    return { allowed: false, failure };
  }
  // A known device is exempt from the address's delays and lock: strangers' guesses never lock the owner out.
  if (knownDevice) return { allowed: true, lockedNow: false, reserved: reserved.reserved };
  const claim = await claimAddressAttempt(deps, email);
  if (!claim.allowed) {
    await release(deps.limiter, reserved.reserved);
    return claim;
  }
  return { allowed: true, lockedNow: claim.lockedNow, reserved: reserved.reserved };
}

/** After a correct password: the failure budgets get their point back and the address's run of failures ends. */
export async function releaseSignInReservation(deps: Deps, email: string, reservation: Reservation): Promise<void> {
  await release(deps.limiter, reservation);
  await deps.repo.deleteSignInThrottle(throttleKey(deps, email));
}

export async function claimAddressAttempt(
  deps: Deps,
  email: string,
): Promise<{ allowed: true; lockedNow: boolean } | { allowed: false; failure: Failure }> {
  const now = deps.now();
  const key = throttleKey(deps, email);
  // A refused claim is explained by a second read. Between the two a correct password may end the run of failures
  // (deleting the row): that is no lock, so the claim is tried again. Reading "no row" as locked told the owner,
  // signing in from two tabs at once, that the account was locked.
  const policy = {
    now,
    delaySchedule: throttleDelaySchedule(),
    lockAfterFailures: signInThrottlePolicy.lockAfterFailures,
  };
  for (let tries = 0; tries < 3; tries++) {
    const claimed = await deps.repo.claimSignInAttempt(key, policy);
    if (claimed) return { allowed: true, lockedNow: claimed.lockedAt !== null };
    const state = await deps.repo.findSignInThrottle(key);
    if (state?.lockedAt) return { allowed: false, failure: fail("account_locked", ACCOUNT_LOCKED_MESSAGE) };
    if (state)
      return {
        allowed: false,
        failure: tooSoon(Math.max(1, Math.ceil((state.retryAt.getTime() - now.getTime()) / 1000))),
      };
  }
  return { allowed: false, failure: tooSoon(1) };
}

function tooSoon(retryAfterSeconds: number): Failure {
  return rateLimited(retryAfterSeconds, "Too many failed sign-in attempts. Wait a moment and try again.");
}

/** The 100th failure: the owner gets one email with an unlock link. */
export async function notifyLockedAccount(deps: Deps, user: User, client: ClientInfo): Promise<void> {
  await deps.repo.transaction(async (repo) => {
    const link = await issueLinkToken(deps, repo, "unlock_sign_in", user.id, user.email);
    await repo.enqueue({
      channel: "email",
      template: "sign_in_locked",
      recipient: user.email,
      data: { ...greetingName(user), link, ip: client.ip },
    });
    await repo.recordEvent({ userId: user.id, type: "sign_in_locked", ...eventClient(client) });
  });
  deps.messagesQueued();
}

export interface KnownDevice {
  /** The cookie's random part: the key of the device's own failure budget. */
  id: string;
}

/**
 * The known-device cookie value for a browser that just signed in: `nonce.HMAC(SECRET, user, password, nonce)`.
 * The MAC covers the password hash (its salt is new at every change), so after a password change or reset the
 * devices that knew the old password, a thief's among them, are strangers again and meet the delays and lock.
 */
export function issueKnownDevice(deps: Deps, userId: string, passwordHash: string): string {
  const id = randomId(16);
  return `${id}.${deviceMac(deps, userId, passwordHash, id)}`;
}

/** The device, when the cookie was issued by us to a browser that signed in to this account with this password. */
export function recognizeKnownDevice(
  deps: Deps,
  userId: string,
  passwordHash: string,
  cookie: string | null | undefined,
): KnownDevice | null {
  const match = cookie ? /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(cookie) : null;
  if (!match) return null;
  const [, id, mac] = match as unknown as [string, string, string];
  return constantTimeEqual(Buffer.from(mac), Buffer.from(deviceMac(deps, userId, passwordHash, id))) ? { id } : null;
}

function deviceMac(deps: Deps, userId: string, passwordHash: string, id: string): string {
  return hmac(deps.config.secret, "known-device", userId, passwordHash, id).toString("base64url");
}

/** The emailed unlock link: proves control of the inbox, so the address's failure count starts over. */
export async function unlockSignIn(deps: Deps, input: { token: string }, client: ClientInfo): Promise<Done> {
  const limited = await consumeAll(deps.limiter, [[limits.tokenPerIp, ipKey(client.ip)]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds);
  const unlocked = await deps.repo.transaction(async (repo) => {
    const token = await consumeLinkToken(deps, repo, "unlock_sign_in", input.token);
    const user = token && (await repo.findUserById(token.userId));
    // An email change since the link was sent: the throttle that was locked belongs to the old address.
    if (!user || user.email !== token.email) return false;
    await repo.deleteSignInThrottle(throttleKey(deps, user.email));
    await repo.recordEvent({ userId: user.id, type: "sign_in_unlocked", ...eventClient(client) });
    return true;
  });
  return unlocked
    ? ok({})
    : fail(
        "invalid_token",
        "This unlock link is invalid, used or expired. Resetting your password also unlocks sign-in.",
      );
}
