import type { Deps } from "./deps";
import { consumeLinkTokenLockingUser, issueLinkToken, peekLinkToken } from "./link-tokens";
import { consumeAll, ipKey, limits } from "./limits";
import { newPasswordWeakness } from "./passwords";
import { greetingName, normalizeEmail } from "./present";
import { fail, ok, rateLimited, type Done, type Result } from "./result";
import { eventClient } from "./present";
import { throttleKey } from "./sign-in-throttle";
import { forgetTrustedBrowsers } from "./trusted-browsers";
import type { ClientInfo, User } from "./types";

const INVALID_LINK = "This reset link is invalid or has expired. Ask for a new one.";

/**
 * Always 202-shaped: whether an email went out is known only to the inbox owner. The lookup and the email run
 * after the answer, so known and unknown addresses also take the same time (bench/enumeration-timing.mjs).
 */
export async function forgotPassword(deps: Deps, input: { email: string }, client: ClientInfo): Promise<Done> {
  const email = normalizeEmail(input.email);
  const limited = await consumeAll(deps.limiter, [
    [limits.forgotPerIp, ipKey(client.ip)],
    [limits.forgotPerEmail, email],
  ]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds, "Too many requests. Try again later.");
  deps.afterResponse(() => sendResetLink(deps, email, client));
  return ok({});
}

async function sendResetLink(deps: Deps, email: string, client: ClientInfo): Promise<void> {
  const sent = await deps.repo.transaction(async (repo) => {
    const user = await repo.findUserByEmail(email);
    if (!user) return false;
    const link = await issueLinkToken(deps, repo, "reset_password", user.id, user.email);
    await repo.enqueue({
      channel: "email",
      template: "password_reset",
      recipient: user.email,
      data: { ...greetingName(user), link },
    });
    await repo.recordEvent({ userId: user.id, type: "password_reset_requested", ...eventClient(client) });
    return true;
  });
  if (sent) deps.messagesQueued();
}

/**
 * The reset link's owner, when the link still works, without spending it: the per-IP budget every route that takes
 * a link's token spends first, then the token and its user. Shared by the page's check on arrival and the reset.
 */
async function openResetLink(deps: Deps, token: string, client: ClientInfo): Promise<Result<{ user: User }>> {
  const limited = await consumeAll(deps.limiter, [[limits.tokenPerIp, ipKey(client.ip)]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds);
  const peeked = await peekLinkToken(deps, deps.repo, "reset_password", token);
  const user = peeked && (await deps.repo.findUserById(peeked.userId));
  return user ? ok({ user }) : fail("invalid_token", INVALID_LINK);
}

/**
 * Whether a reset link still works, without spending it: the page asks on arrival, so a used or expired link says
 * so before anyone types a new password twice.
 */
export async function checkResetLink(deps: Deps, input: { token: string }, client: ClientInfo): Promise<Done> {
  const opened = await openResetLink(deps, input.token, client);
  return opened.ok ? ok({}) : opened;
}

/**
 * Sets a new password from an emailed link and revokes every session: whoever held the old password (or a
 * stolen cookie) is out. It never signs in, so a reset cannot bypass a second factor.
 */
export async function resetPassword(
  deps: Deps,
  input: { token: string; password: string },
  client: ClientInfo,
): Promise<Done> {
  // Checked without burning the link first, so a refused password can be corrected with the same link.
  const opened = await openResetLink(deps, input.token, client);
  if (!opened.ok) return opened;
  const { user } = opened;
  const weakness = await newPasswordWeakness(deps, input.password, { email: user.email, name: user.name });
  if (weakness) return fail("weak_password", weakness, { fields: { password: weakness } });
  const passwordHash = await deps.passwordHasher.hash(input.password);

  const done = await deps.repo.transaction(async (repo) => {
    const token = await consumeLinkTokenLockingUser(deps, repo, "reset_password", input.token);
    if (!token) return false;
    // Before the sessions are deleted: the row lock makes sign-ins checked against the old password wait, then
    // fail their version check, so none of them lands a session after the reset (and their challenges die, with
    // every other stale link: sign-up links, email changes).
    const current = await repo.bumpCredentialsVersion(user.id, deps.now());
    if (!current) return false;
    await repo.setPasswordHash(user.id, passwordHash);
    // The link reached the inbox, which proves the address as well as a verification link would. A name given
    // by an unverified sign-up was nobody's word (maybe a stranger's pre-registration): it is not kept.
    const firstVerification = !current.emailVerifiedAt && current.email === token.email;
    if (firstVerification) {
      await repo.markEmailVerified(user.id, token.email);
      await repo.updateName(user.id, "");
    }
    await repo.deleteUserSessions(user.id);
    // A trusted browser stood in for the second step of whoever knew the old password: trust starts over.
    await forgetTrustedBrowsers(repo, user.id);
    // The reset proves the inbox, and the password being guessed is gone: a sign-in lock has no more purpose.
    await repo.deleteSignInThrottle(throttleKey(deps, current.email));
    await repo.recordEvent({ userId: user.id, type: "password_reset", ...eventClient(client) });
    // After the first verification the name is gone (above); either way only the owner's own word greets.
    await repo.enqueue({
      channel: "email",
      template: "password_changed",
      recipient: current.email,
      data: firstVerification ? {} : greetingName(current),
    });
    return true;
  });
  if (!done) return fail("invalid_token", INVALID_LINK);
  deps.messagesQueued();
  return ok({});
}
