import type { Deps } from "./deps";
import { randomId } from "./crypto";
import { consumeAll, ipKey, limits } from "./limits";
import { issueLinkToken, type LinkOptions } from "./link-tokens";
import { hashPassword, newPasswordWeakness } from "./passwords";
import { normalizeEmail } from "./present";
import { fail, ok, type Result, rateLimited } from "./result";
import { eventClient } from "./present";
import type { ClientInfo, User } from "./types";
import type { Repository } from "./repository";

/**
 * Sign-up answers the same whether or not the address is taken. The owner of an existing account gets an
 * email saying someone tried; nobody else learns anything, and both paths cost one argon2id hash.
 */
export async function signUp(deps: Deps, input: { email: string; password: string; name: string }, client: ClientInfo): Promise<Result<{}>> {
  const email = normalizeEmail(input.email);
  const name = input.name.trim();
  const limited = await consumeAll(deps.limiter, [[limits.signUpPerIp, ipKey(client.ip)]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds, "Too many sign-ups from your network. Try again later.");

  const weakness = await newPasswordWeakness(deps, input.password, { email, name });
  if (weakness) return fail("weak_password", weakness, { fields: { password: weakness } });
  // Counted only for sign-ups that will send an email: a refused password sends nothing.
  const perEmail = await consumeAll(deps.limiter, [[limits.signUpPerEmail, email]]);
  if (!perEmail.allowed) return rateLimited(perEmail.retryAfterSeconds, "Too many sign-ups for this address. Try again later.");
  const passwordHash = await hashPassword(input.password);

  await deps.repo.transaction(async (repo) => {
    const existing = await repo.findUserByEmail(email);
    if (existing) return notifyExistingAccount(deps, repo, existing, passwordHash);
    const user = await repo.createUser({ id: randomId(), email, name, passwordHash });
    // Lost a race with a concurrent sign-up for the same address: treat it as existing.
    if (!user) return;
    await repo.recordEvent({ userId: user.id, type: "sign_up", ...eventClient(client) });
    await sendVerificationEmail(deps, repo, user);
  });
  deps.messagesQueued();
  return ok({});
}

async function notifyExistingAccount(deps: Deps, repo: Repository, user: User, passwordHash: string): Promise<void> {
  if (user.emailVerifiedAt) {
    await repo.enqueue({ channel: "email", template: "sign_up_attempt", recipient: user.email, data: { name: user.name } });
    return;
  }
  // Nobody has proven this address yet, so the account may be someone else's pre-registration. This sign-up
  // gets its own link carrying its own password, and does not cancel earlier links: whichever link the inbox
  // owner follows decides the password, and a later sign-up by an attacker cannot void the owner's link.
  await sendVerificationEmail(deps, repo, user, { supersede: false, passwordHash });
}

export async function sendVerificationEmail(deps: Deps, repo: Repository, user: User, options: LinkOptions = {}): Promise<void> {
  const link = await issueLinkToken(deps, repo, "verify_email", user.id, user.email, options);
  await repo.enqueue({ channel: "email", template: "verify_email", recipient: user.email, data: { name: user.name, link } });
}

/** Same answer for unknown, verified and unverified addresses; only the last gets an email. */
export async function resendVerification(deps: Deps, input: { email: string }, client: ClientInfo): Promise<Result<{}>> {
  const email = normalizeEmail(input.email);
  const limited = await consumeAll(deps.limiter, [
    [limits.resendPerIp, ipKey(client.ip)],
    [limits.resendPerEmail, email],
  ]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds, "Too many requests. Try again later.");
  // After the answer, like forgot-password: only unverified accounts cost a link and an email.
  deps.afterResponse(async () => {
    const sent = await deps.repo.transaction(async (repo) => {
      const user = await repo.findUserByEmail(email);
      if (!user || user.emailVerifiedAt) return false;
      await sendVerificationEmail(deps, repo, user);
      return true;
    });
    if (sent) deps.messagesQueued();
  });
  return ok({});
}
