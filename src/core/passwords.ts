import { readFileSync } from "node:fs";
import path from "node:path";
import { hash, verify } from "@node-rs/argon2";
import type { Deps } from "./deps";

// OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
const ARGON2_OPTIONS = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

// NIST SP 800-63B 5.1.1.2: at least 8 characters, allow at least 64, no composition rules.
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize("NFKC"), ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password.normalize("NFKC"));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifying against a throwaway hash when the email is unknown makes that path cost one argon2id verify,
 * like a real wrong password, so response time does not reveal whether an account exists.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummyHash ??= hashPassword("twofold-dummy-password-for-timing");
  await verifyPassword(await dummyHash, password);
  return false;
}

let commonPasswords: Set<string> | undefined;

/** The shipped list of common and breached passwords (NIST SP 800-63B 5.1.1.2 "blocklist"). */
function loadCommonPasswords(): Set<string> {
  if (commonPasswords) return commonPasswords;
  const file = process.env.COMMON_PASSWORDS_FILE ?? path.resolve("src/core/data/common-passwords.txt");
  commonPasswords = new Set(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => line.toLowerCase()),
  );
  return commonPasswords;
}

/** Returns why the password is refused, or null when it is acceptable. */
export function passwordWeakness(password: string, context: { email?: string; name?: string } = {}): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  const lower = password.toLowerCase();
  if (loadCommonPasswords().has(lower)) return "This password is too common. Choose one that is harder to guess.";
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
  deps: Pick<Deps, "breachedPasswords">,
  password: string,
  context: { email?: string; name?: string } = {},
): Promise<string | null> {
  const local = passwordWeakness(password, context);
  if (local || !deps.breachedPasswords) return local;
  const breached = await deps.breachedPasswords.isBreached(password);
  return breached ? "This password has appeared in a data breach. Choose one that is not used anywhere else." : null;
}
