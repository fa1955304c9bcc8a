import { constantTimeEqual, generateSplitToken, parseSplitToken, sha256 } from "./crypto";
import type { Deps } from "./deps";
import { eventClient } from "./present";
import type { Repository } from "./repository";
import { fail, ok, type Done } from "./result";
import type { ClientInfo, TrustedBrowser, User } from "./types";

/**
 * "Don't ask again on this browser": after a sign-in that passed a second factor, the browser may keep a cookie
 * (`id.secret`, only SHA-256(secret) stored) that stands in for the second step at its next sign-ins, for 30 days
 * from that sign-in (the window GitHub and Google use; NIST SP 800-63B sets none). The password is still needed
 * every time, and the session it gives is at level 2 without a recent second factor, so security changes still
 * ask for one (step-up). A stolen cookie is worth one factor, and only together with the password. Every row of a
 * user dies with a password change or reset, an email change, and two-factor turning off.
 */
export const TRUSTED_BROWSER_LIFETIME_SECONDS = 30 * 24 * 3600;

/**
 * Trusts this browser for `user`, who just passed a second factor. `user.credentialsVersion` must be the version
 * that sign-in was checked against: the row is written only while it is still current, so a password change
 * committing at this instant (which deletes every trusted browser) cannot be outlived. Null in that case.
 */
export async function trustBrowser(
  deps: Deps,
  user: Pick<User, "id" | "credentialsVersion">,
  client: ClientInfo,
  repo: Repository = deps.repo,
): Promise<{ token: string; expiresAt: Date } | null> {
  const now = deps.now();
  const { id, secret, token } = generateSplitToken();
  const browser: TrustedBrowser = {
    id,
    userId: user.id,
    secretHash: sha256(secret),
    ...eventClient(client),
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + TRUSTED_BROWSER_LIFETIME_SECONDS * 1000),
  };
  if (!(await repo.insertTrustedBrowser(browser, user.credentialsVersion))) return null;
  await repo.recordEvent({ userId: user.id, type: "trusted_browser_added", ...eventClient(client) });
  return { token, expiresAt: browser.expiresAt };
}

/** One indexed lookup by the cookie's id, then the secret's hash compared in constant time. */
async function findByCookie(deps: Deps, cookieToken: string | null | undefined): Promise<TrustedBrowser | null> {
  const parsed = parseSplitToken(cookieToken);
  if (!parsed) return null;
  const row = await deps.repo.findTrustedBrowser(parsed.id);
  return row && constantTimeEqual(row.secretHash, sha256(parsed.secret)) ? row : null;
}

/**
 * The live trusted-browser row this cookie names for this user, or null: unknown, tampered, expired, or another
 * account's (one browser may be trusted by several people; the cookie only ever speaks for the one who set it).
 */
export async function recognizeTrustedBrowser(
  deps: Deps,
  userId: string,
  cookieToken: string | null | undefined,
): Promise<TrustedBrowser | null> {
  const row = await findByCookie(deps, cookieToken);
  const now = deps.now();
  if (!row || row.userId !== userId || row.expiresAt.getTime() <= now.getTime()) return null;
  await deps.repo.touchTrustedBrowser(row.id, now);
  return { ...row, lastUsedAt: now };
}

/** The user's live trusted browsers; `current` marks the one this request's cookie names. */
export async function listTrustedBrowsers(
  deps: Deps,
  user: User,
  cookieToken: string | null | undefined,
): Promise<Array<{ browser: TrustedBrowser; current: boolean }>> {
  const [rows, mine] = await Promise.all([
    deps.repo.listTrustedBrowsers(user.id, deps.now()),
    findByCookie(deps, cookieToken),
  ]);
  return rows.map((browser) => ({ browser, current: browser.id === mine?.id }));
}

/**
 * Scoped to the owner: another user's id is simply not found. No step-up: removing trust only takes access
 * away, so a session that never passed a second factor may do it too.
 */
export async function revokeTrustedBrowser(deps: Deps, user: User, id: string, client: ClientInfo): Promise<Done> {
  if (!(await deps.repo.deleteTrustedBrowser(user.id, id))) return fail("not_found", "No such trusted browser.");
  await deps.repo.recordEvent({ userId: user.id, type: "trusted_browser_revoked", ...eventClient(client) });
  return ok({});
}

/**
 * Deletes every trusted browser of the user. Called inside the transactions of password change and reset, email
 * change, two-factor turning off and account recovery, after their version bump.
 */
export function forgetTrustedBrowsers(repo: Repository, userId: string): Promise<number> {
  return repo.deleteUserTrustedBrowsers(userId);
}
