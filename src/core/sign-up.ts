import type { Deps } from "./deps";
import { randomId } from "./crypto";
import { consumeAll, ipKey, limits } from "./limits";
import { issueLinkToken, type LinkOptions } from "./link-tokens";
import { newPasswordWeakness } from "./passwords";
import { eventClient, greetingName, normalizeEmail } from "./present";
import { fail, ok, rateLimited, type Done } from "./result";
import type { ClientInfo, User } from "./types";
import type { Repository } from "./repository";

/**
 * Sign-up answers the same, in the same time, whether or not the address is taken. Before the answer both
 * sides do the same work: the rate limits, the password check and one argon2id hash. Everything that depends
 * on the account (a new user, its event, a link or a "you already have an account" notice) runs after the
 * answer (Deps.afterResponse), like forgot-password: a pen test timed the account insert and its email at +7%
 * for new addresses, enough to tell them apart (AUC 0.19; bench/enumeration-timing.mjs).
 */
export async function signUp(
  deps: Deps,
  input: { email: string; password: string; name: string },
  client: ClientInfo,
): Promise<Done> {
  const email = normalizeEmail(input.email);
  const name = input.name.trim();
  const limited = await consumeAll(deps.limiter, [[limits.signUpPerIp, ipKey(client.ip)]]);
  if (!limited.allowed)
    return rateLimited(limited.retryAfterSeconds, "Too many sign-ups from your network. Try again later.");

  const weakness = await newPasswordWeakness(deps, input.password, { email, name });
  if (weakness) return fail("weak_password", weakness, { fields: { password: weakness } });
  // Counted only for sign-ups that will send an email: a refused password sends nothing.
  const perEmail = await consumeAll(deps.limiter, [[limits.signUpPerEmail, email]]);
  if (!perEmail.allowed)
    return rateLimited(perEmail.retryAfterSeconds, "Too many sign-ups for this address. Try again later.");
  const passwordHash = await deps.passwordHasher.hash(input.password);

  deps.afterResponse(async () => {
    // One transaction: a failure leaves no user without its link, and a retry (database outage) starts over.
    await deps.repo.transaction((repo) => createOrNotify(deps, repo, { email, name, passwordHash }, client));
    deps.messagesQueued();
  });
  return ok({});
}

async function createOrNotify(
  deps: Deps,
  repo: Repository,
  signUp: { email: string; name: string; passwordHash: string },
  client: ClientInfo,
): Promise<void> {
  const existing = await repo.findUserByEmail(signUp.email);
  if (existing) return notifyExistingAccount(deps, repo, existing, signUp);
  const user = await repo.createUser({ id: randomId(), ...signUp });
  if (!user) {
    // Lost a race with a concurrent sign-up for the same address (unique violation, rolled back to a savepoint):
    // this sign-up is then one for an existing account. Read committed sees the winner's committed row.
    const winner = await repo.findUserByEmail(signUp.email);
    if (!winner) throw new Error("sign-up: the address was taken, then not found");
    return notifyExistingAccount(deps, repo, winner, signUp);
  }
  await repo.recordEvent({ userId: user.id, type: "sign_up", ...eventClient(client) });
  // Like every sign-up link, the first one carries its own password and name: a later resend repeats them.
  await sendVerificationEmail(deps, repo, user, { passwordHash: signUp.passwordHash, name: signUp.name });
}

async function notifyExistingAccount(
  deps: Deps,
  repo: Repository,
  user: User,
  signUp: { name: string; passwordHash: string },
): Promise<void> {
  if (user.emailVerifiedAt) {
    await repo.enqueue({
      channel: "email",
      template: "sign_up_attempt",
      recipient: user.email,
      data: greetingName(user),
    });
    return;
  }
  // Nobody has proven this address yet, so the account may be someone else's pre-registration. This sign-up
  // gets its own link carrying its own password and name, and does not cancel earlier links: whichever link the
  // inbox owner follows decides the password and the name, and a later sign-up by an attacker cannot void the
  // owner's link.
  await sendVerificationEmail(deps, repo, user, {
    supersede: false,
    passwordHash: signUp.passwordHash,
    name: signUp.name,
  });
}

/**
 * The account is unverified, so the email greets without a name: the name is only what a sign-up typed, and
 * anyone can sign up with anyone's address (greetingName in core/present.ts).
 */
export async function sendVerificationEmail(
  deps: Deps,
  repo: Repository,
  user: User,
  options: LinkOptions = {},
): Promise<void> {
  const link = await issueLinkToken(deps, repo, "verify_email", user.id, user.email, options);
  await repo.enqueue({
    channel: "email",
    template: "verify_email",
    recipient: user.email,
    data: { ...greetingName(user), link },
  });
}

/** Same answer for unknown, verified and unverified addresses; only the last gets an email. */
export async function resendVerification(deps: Deps, input: { email: string }, client: ClientInfo): Promise<Done> {
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
      // Anyone may ask for a resend. It cancels no earlier link (the owner's own sign-up link must keep working
      // when a stranger pre-registered the address and then asks for a resend), and it repeats the password and
      // name of the newest sign-up still pending, never "whatever password the account row holds", which may be
      // the pre-registering stranger's.
      const newest = await repo.findNewestPendingToken(user.id, "verify_email", deps.now());
      await sendVerificationEmail(deps, repo, user, {
        supersede: false,
        passwordHash: newest?.passwordHash ?? undefined,
        name: newest?.name ?? undefined,
      });
      return true;
    });
    if (sent) deps.messagesQueued();
  });
  return ok({});
}
