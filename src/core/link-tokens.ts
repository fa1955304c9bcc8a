import { constantTimeEqual, generateSplitToken, hmac, parseSplitToken } from "./crypto";
import type { Deps } from "./deps";
import type { Repository } from "./repository";
import type { OneTimeToken, OneTimeTokenPurpose } from "./types";

/** How long each emailed link lives. */
export const linkLifetimeSeconds: Record<OneTimeTokenPurpose, number> = {
  verify_email: 24 * 3600,
  reset_password: 30 * 60,
  change_email: 60 * 60,
  unlock_sign_in: 24 * 3600,
  account_recovery: 60 * 60,
};

/** Where each link lands; the token rides in the fragment so it never reaches a server log or a Referer. */
const linkPaths: Record<OneTimeTokenPurpose, string> = {
  verify_email: "/verify-email",
  reset_password: "/reset-password",
  change_email: "/confirm-email",
  unlock_sign_in: "/unlock",
  account_recovery: "/account-recovery",
};

function secretHash(deps: Deps, purpose: OneTimeTokenPurpose, id: string, secret: string): Buffer {
  return hmac(deps.config.secret, "link-token", purpose, id, secret);
}

export interface LinkOptions {
  /** Older unused links of the same purpose stop working (default true). */
  supersede?: boolean;
  /** Sign-up links: the password the link's sign-up chose. */
  passwordHash?: string;
  /** Sign-up links: the name the link's sign-up gave (an existing unverified account's name is nobody's word). */
  name?: string;
}

/** Issues a single-use link for `email`. */
export async function issueLinkToken(
  deps: Deps,
  repo: Repository,
  purpose: OneTimeTokenPurpose,
  userId: string,
  email: string,
  options: LinkOptions = {},
): Promise<string> {
  const now = deps.now();
  const { id, secret, token } = generateSplitToken();
  if (options.supersede !== false) await repo.invalidateTokens(userId, purpose);
  await repo.insertToken({
    id,
    purpose,
    userId,
    secretHash: secretHash(deps, purpose, id, secret),
    email,
    passwordHash: options.passwordHash ?? null,
    name: options.name ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + linkLifetimeSeconds[purpose] * 1000),
    usedAt: null,
  });
  return `${deps.config.appUrl}${linkPaths[purpose]}#token=${token}`;
}

/**
 * Checks and burns a link token in one step. Null for unknown, wrong-purpose, tampered, expired or already
 * used tokens alike: the caller answers `invalid_token` without saying which.
 */
export async function consumeLinkToken(
  deps: Deps,
  repo: Repository,
  purpose: OneTimeTokenPurpose,
  token: unknown,
): Promise<OneTimeToken | null> {
  const parsed = parseSplitToken(token);
  if (!parsed) return null;
  const row = await repo.findToken(parsed.id);
  if (!row || row.purpose !== purpose) return null;
  if (!constantTimeEqual(row.secretHash, secretHash(deps, purpose, parsed.id, parsed.secret))) return null;
  // The conditional update is the single-use guarantee: of two concurrent requests only one gets true.
  return (await repo.consumeToken(row.id, deps.now())) ? row : null;
}

/** Checks a link token without burning it, so a form can be corrected (e.g. a weak new password) and resent. */
export async function peekLinkToken(
  deps: Deps,
  repo: Repository,
  purpose: OneTimeTokenPurpose,
  token: unknown,
): Promise<OneTimeToken | null> {
  const parsed = parseSplitToken(token);
  if (!parsed) return null;
  const row = await repo.findToken(parsed.id);
  if (!row || row.purpose !== purpose || row.usedAt || row.expiresAt.getTime() <= deps.now().getTime()) return null;
  return constantTimeEqual(row.secretHash, secretHash(deps, purpose, parsed.id, parsed.secret)) ? row : null;
}

/**
 * consumeLinkToken for a flow that goes on to change the link's account in the same transaction (verify-email,
 * reset, email change): the account's row is locked before the link's, the one order every such flow takes, so
 * two of them racing (two sign-up links of one account, a link and a reset) cannot deadlock.
 */
export async function consumeLinkTokenLockingUser(
  deps: Deps,
  repo: Repository,
  purpose: OneTimeTokenPurpose,
  token: unknown,
): Promise<OneTimeToken | null> {
  const peeked = await peekLinkToken(deps, repo, purpose, token);
  if (!peeked) return null;
  await repo.lockUser(peeked.userId);
  return (await repo.consumeToken(peeked.id, deps.now())) ? peeked : null;
}
