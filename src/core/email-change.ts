import type { Deps } from "./deps";
import { consumeLinkTokenLockingUser, issueLinkToken } from "./link-tokens";
import { consumeAll, ipKey, limits } from "./limits";
import { greetingName, normalizeEmail } from "./present";
import { fail, ok, type Result, rateLimited, type Done } from "./result";
import { eventClient } from "./present";
import { requireRecentSecondFactor } from "./step-up";
import { forgetTrustedBrowsers } from "./trusted-browsers";
import type { ClientInfo, Session, User } from "./types";
import { checkCurrentPassword } from "./reauthenticate";

class EmailTaken extends Error {}

/**
 * Changing the address needs the current password (a stolen session alone cannot take over the account) and a
 * link sent to the new address; the old address is told at once, so the owner can react.
 */
export async function requestEmailChange(
  deps: Deps,
  user: User,
  session: Session,
  input: { currentPassword: string; newEmail: string },
  client: ClientInfo,
): Promise<Done> {
  const newEmail = normalizeEmail(input.newEmail);
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const wrongPassword = await checkCurrentPassword(deps, user, input.currentPassword, [
    [limits.emailChangePerUser, user.id],
  ]);
  if (wrongPassword) return wrongPassword;
  if (newEmail === user.email)
    return fail("invalid_request", "That is already your email address.", {
      fields: { newEmail: "That is already your email address." },
    });

  await deps.repo.transaction(async (repo) => {
    const link = await issueLinkToken(deps, repo, "change_email", user.id, newEmail);
    await repo.enqueue({
      channel: "email",
      template: "email_change_confirm",
      recipient: newEmail,
      data: { ...greetingName(user, newEmail), link, newEmail },
    });
    await repo.enqueue({
      channel: "email",
      template: "email_change_notice",
      recipient: user.email,
      data: { ...greetingName(user), newEmail },
    });
    await repo.recordEvent({ userId: user.id, type: "email_change_requested", ...eventClient(client) });
  });
  deps.messagesQueued();
  return ok({});
}

/** The link from the new inbox switches the address; it is taken at this moment if someone else got it first. */
export async function confirmEmailChange(
  deps: Deps,
  input: { token: string },
  client: ClientInfo,
): Promise<Result<{ user: User }>> {
  const limited = await consumeAll(deps.limiter, [[limits.tokenPerIp, ipKey(client.ip)]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds);
  try {
    const user = await deps.repo.transaction(async (repo) => {
      const token = await consumeLinkTokenLockingUser(deps, repo, "change_email", input.token);
      if (!token) return null;
      // The address is what sign-in checks first: in-flight sign-ins and open challenges under the old one die,
      // and so do pending links: reset links sent to the old address (whoever still reads that inbox could take
      // the account over) and sign-up links (the new address is verified now; they would set a password).
      if (!(await repo.bumpCredentialsVersion(token.userId, deps.now()))) return null;
      const updated = await repo.updateEmail(token.userId, token.email);
      // Rolls back the token use too: the link stays valid if the address frees up again.
      if (!updated) throw new EmailTaken();
      // A new address is a new sign-in identity: no browser skips its second step until it passes one again.
      await forgetTrustedBrowsers(repo, updated.id);
      await repo.recordEvent({ userId: updated.id, type: "email_changed", ...eventClient(client) });
      return updated;
    });
    if (!user) return fail("invalid_token", "This link is invalid or has expired.");
    return ok({ user });
  } catch (error) {
    if (error instanceof EmailTaken) return fail("email_taken", "Another account already uses this email address.");
    throw error;
  }
}
