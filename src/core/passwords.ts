import { hash, verify, type Options } from "@node-rs/argon2";
import type { Deps, PasswordHasher } from "./deps";

/** PASSWORD_HASH_COST: `test` exists only so test suites do not spend their time in argon2id. */
export type PasswordHashCost = "standard" | "test";

const ARGON2ID = 2; // Algorithm.Argon2id: a const enum, which isolatedModules cannot read as a value

const ARGON2_OPTIONS = {
  // OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
  standard: { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 },
  // The least argon2 accepts (RFC 9106 3.1: m ≥ 8·p KiB, t ≥ 1): no protection at all, which is why loadConfig
  // refuses it outside NODE_ENV=test.
  test: { algorithm: ARGON2ID, memoryCost: 8, timeCost: 1, parallelism: 1 },
} as const satisfies Record<PasswordHashCost, Options>;

// NIST SP 800-63B 5.1.1.2: at least 8 characters, allow at least 64, no composition rules.
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Hashes at `cost`. Verifying reads the parameters from the stored PHC string, so hashes made at another cost
 * (before a change of parameters, or by a test at the other cost) still verify.
 */
export function createPasswordHasher(cost: PasswordHashCost): PasswordHasher {
  const options = ARGON2_OPTIONS[cost];
  const hashPassword = (password: string) => hash(password.normalize("NFKC"), options);
  async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password.normalize("NFKC"));
    } catch {
      return false;
    }
  }
  // Made at this hasher's cost: a dummy at another cost would make the unknown-email path faster or slower
  // than a real wrong password.
  let dummyHash: Promise<string> | undefined;
  return {
    hash: hashPassword,
    verify: verifyPassword,
    /**
     * Verifying against a throwaway hash when the email is unknown makes that path cost one argon2id verify,
     * like a real wrong password, so response time does not reveal whether an account exists.
     */
    async verifyDummy(password: string): Promise<false> {
      dummyHash ??= hashPassword("twofold-dummy-password-for-timing");
      await verifyPassword(await dummyHash, password);
      return false;
    },
  };
}

/** Returns why the password is refused, or null when it is acceptable. */
export function passwordWeakness(
  deps: Pick<Deps, "commonPasswords">,
  password: string,
  context: { email?: string; name?: string } = {},
): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  const lower = password.toLowerCase();
  if (deps.commonPasswords.has(lower)) return "This password is too common. Choose one that is harder to guess.";
  if (new Set(lower).size === 1) return "This password is too easy to guess.";
  const personal = [context.email, context.email?.split("@")[0], context.name]
    .map((s) => s?.trim().toLowerCase())
    .filter((s): s is string => !!s && s.length >= 4);
  if (personal.some((s) => lower.includes(s))) return "Don't use your name or email address in your password.";
  return null;
}

/**
 * A new password's full check: the local rules above, then the optional online breach lookup. Only the
 * password the user is choosing is looked up, never one typed to sign in.
 */
export async function newPasswordWeakness(
  deps: Pick<Deps, "commonPasswords" | "breachedPasswords">,
  password: string,
  context: { email?: string; name?: string } = {},
): Promise<string | null> {
  const local = passwordWeakness(deps, password, context);
  if (local || !deps.breachedPasswords) return local;
  const breached = await deps.breachedPasswords.isBreached(password);
  return breached ? "This password has appeared in a data breach. Choose one that is not used anywhere else." : null;
}
