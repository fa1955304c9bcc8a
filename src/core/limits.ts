/**
 * Rate-limit policies. The store (database or Redis) is behind the RateLimiter port; the numbers live here so
 * one file answers "how many tries does an attacker get".
 */
import type { ChallengePurpose } from "./types";

export interface RateLimitPolicy {
  name: string;
  points: number;
  durationSeconds: number;
}

export type RateLimitOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  consume(policy: RateLimitPolicy, key: string): Promise<RateLimitOutcome>;
  reset(policy: RateLimitPolicy, key: string): Promise<void>;
  /** Gives back one point taken by `consume` (a reservation whose outcome the policy does not count). */
  refund(policy: RateLimitPolicy, key: string): Promise<void>;
}

const minutes = (n: number) => n * 60;

export const limits = {
  // Guessing one account is throttled per address by core/sign-in-throttle.ts (growing delays, lock at 100).
  // Stuffing and spraying spread over accounts, so each IP also has a budget of attempts and of failures.
  signInPerIp: { name: "sign_in_ip", points: 50, durationSeconds: minutes(15) },
  signInFailuresPerIpHour: { name: "sign_in_fail_ip_hour", points: 30, durationSeconds: minutes(60) },
  signInFailuresPerIpDay: { name: "sign_in_fail_ip_day", points: 100, durationSeconds: minutes(24 * 60) },
  // A known device skips the account's delays and lock (so an attacker cannot lock the owner out) but not this.
  signInFailuresPerDevice: { name: "sign_in_fail_device", points: 10, durationSeconds: minutes(60) },
  signUpPerIp: { name: "sign_up_ip", points: 10, durationSeconds: minutes(60) },
  // Every sign-up mails the address (a link, or "you already have an account"): the same cap as resends.
  signUpPerEmail: { name: "sign_up_email", points: 3, durationSeconds: minutes(15) },
  // Each of these sends an email; per-email caps stop mail bombing one inbox from many IPs.
  resendPerIp: { name: "resend_ip", points: 10, durationSeconds: minutes(60) },
  resendPerEmail: { name: "resend_email", points: 3, durationSeconds: minutes(15) },
  forgotPerIp: { name: "forgot_ip", points: 10, durationSeconds: minutes(60) },
  forgotPerEmail: { name: "forgot_email", points: 3, durationSeconds: minutes(15) },
  // Link tokens carry 256 bits, so this only bounds load, not guessing.
  tokenPerIp: { name: "token_ip", points: 30, durationSeconds: minutes(15) },
  // Re-authentication with the current password is a password guess too.
  currentPasswordPerUser: { name: "current_password_user", points: 10, durationSeconds: minutes(15) },
  emailChangePerUser: { name: "email_change_user", points: 5, durationSeconds: minutes(60) },
  // SMS costs money per message and is the target of SMS pumping: every code text passes all of these first.
  // (A notice to a number just changed or removed is not a code and passes none: one per change, which takes the
  // password.)
  // Per number, 5 codes per 10 minutes (Twilio Verify's default: 5 send attempts per number per 10 minutes) and
  // 10 a day. Codes that verify a new number and codes that prove the verified one (sign-in, step-up) are counted
  // apart (smsPhoneKey): with one shared count, verifying a phone, signing in and abandoning a sign-in used up the
  // number, and the owner's next sign-in with the right password was refused (issue 11); and anyone can start
  // verifying any number, so a shared day count let one throwaway account hold back the owner's sign-in codes
  // for a day. Sign-in and step-up codes need the account's password or session. At most 20 texts a day reach one
  // number; the account, IP and global caps below bound the cost whatever the kind.
  smsPerPhoneBurst: { name: "sms_phone_10m", points: 5, durationSeconds: minutes(10) },
  smsPerPhoneDay: { name: "sms_phone_day", points: 10, durationSeconds: minutes(24 * 60) },
  smsPerAccountDay: { name: "sms_account_day", points: 10, durationSeconds: minutes(24 * 60) },
  smsPerIpHour: { name: "sms_ip_hour", points: 20, durationSeconds: minutes(60) },
  // Each passwordless sign-in starts with a stored WebAuthn challenge: this bounds the rows one address can make
  // (guessing is not the concern: an assertion needs the private key). The sign-in page asks for one on every
  // view (passkey autofill), so an office behind one address needs room: 300 rows of 5 minutes each, purged.
  passkeySignInPerIp: { name: "passkey_sign_in_ip", points: 300, durationSeconds: minutes(15) },
  // 6 digits ≈ 20 bits: 5 tries per challenge and 10 wrong codes per account per hour keep guessing hopeless.
  wrongCodesPerAccount: { name: "wrong_codes_account", points: 10, durationSeconds: minutes(60) },
  // Confirming an app the caller is setting up guesses nothing secret, but must not be a free oracle or load.
  totpSetupCodesPerUser: { name: "totp_setup_codes_user", points: 10, durationSeconds: minutes(15) },
} satisfies Record<string, RateLimitPolicy>;

/** The key of a number's budgets: verification codes and authentication codes each have their own. */
export function smsPhoneKey(purpose: ChallengePurpose, phone: string): string {
  return purpose === "phone_verification" ? `verify:${phone}` : `auth:${phone}`;
}

/** All SMS in an hour, from SMS_GLOBAL_HOURLY_LIMIT: the ceiling on what an attack can cost. */
export function smsGlobalHourly(points: number): RateLimitPolicy {
  return { name: "sms_global_hour", points, durationSeconds: minutes(60) };
}

export type Reservation = Array<[RateLimitPolicy, string]>;

/**
 * Takes one point of every budget, in order, before the guarded work runs: N parallel requests cannot all see
 * "budget left" and all proceed. On the first refusal the points already taken are given back, so a refused
 * request costs nothing. `reserved` is what `release` gives back when the outcome does not count (for budgets
 * that count only failures: a success).
 */
export async function reserveAll(
  limiter: RateLimiter,
  checks: Reservation,
): Promise<RateLimitOutcome & { reserved: Reservation }> {
  const taken: Reservation = [];
  for (const [policy, key] of checks) {
    const outcome = await limiter.consume(policy, key);
    if (!outcome.allowed) {
      await release(limiter, taken);
      return { ...outcome, reserved: [] };
    }
    taken.push([policy, key]);
  }
  return { allowed: true, reserved: taken };
}

/** Gives back the points of a reservation. */
export async function release(limiter: RateLimiter, reserved: Reservation): Promise<void> {
  for (const [policy, key] of reserved) await limiter.refund(policy, key);
}

/** Consumes every policy in order and stops at the first refusal (budgets that every attempt spends). */
export async function consumeAll(
  limiter: RateLimiter,
  checks: Array<[RateLimitPolicy, string]>,
): Promise<RateLimitOutcome> {
  const outcome = await reserveAll(limiter, checks);
  return outcome.allowed ? { allowed: true } : { allowed: false, retryAfterSeconds: outcome.retryAfterSeconds };
}

/**
 * The rate-limit key for a client address. An IPv6 user is routinely handed a whole /64, so limiting single
 * IPv6 addresses would give an attacker 2^64 fresh budgets; the /64 prefix is the unit instead.
 */
export function ipKey(ip: string): string {
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const missing = ip.includes("::") ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(Math.max(0, missing)).fill("0"), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
