import { randomId } from "./crypto";
import type { Deps } from "./deps";
import { hasSecondFactor } from "./factors";
import { consumeLinkTokenLockingUser, issueLinkToken } from "./link-tokens";
import { consumeAll, ipKey, limits, type RateLimitPolicy } from "./limits";
import { eventClient, greetingName } from "./present";
import type { Repository } from "./repository";
import { type Done, fail, ok, rateLimited, type Result } from "./result";
import { createSession } from "./sessions";
import { type ChallengeHandle, liveSignInChallenge } from "./sign-in-challenge";
import type { AccountRecovery, ClientInfo, Session, User } from "./types";

/**
 * Lost every second factor (ACCOUNT_RECOVERY=email; off by default). Someone who proved the password (a live
 * sign-in challenge) and the inbox (an emailed link) starts a 24-hour wait, announced at once by email and by
 * text to the verified phone. During the wait the owner cancels it by signing in with a second factor or from
 * the profile, and any credentials change (password, email, factors) voids it. After the wait, the next sign-in
 * with the right password removes every second factor and signs in at level 1.
 *
 * The threat: a stolen password plus a compromised inbox. Without recovery that pair never gets past the second
 * step; with it, it does, but only after a day in which the owner was told on every channel on file (the delay
 * and notification that NIST SP 800-63B 6.1.2.3 and OWASP's MFA cheat sheet ask of factor-reset flows).
 */
export const ACCOUNT_RECOVERY_WAIT_SECONDS = 24 * 3600;

// Each request emails the account's own address: these bound mail to one inbox and the work one address causes.
const requestsPerUser: RateLimitPolicy = { name: "account_recovery_user", points: 3, durationSeconds: 3600 };
const requestsPerIp: RateLimitPolicy = { name: "account_recovery_ip", points: 10, durationSeconds: 3600 };

const OFF = "Account recovery is not available on this server. Contact its operator.";
const INVALID_LINK = "This recovery link is invalid, used or expired. Sign in again to ask for a new one.";
const CREDENTIALS_CHANGED = "Your sign-in details changed while signing in. Sign in again.";

export const accountRecoveryEnabled = (deps: Deps): boolean => deps.config.accountRecovery === "email";

/**
 * From a live sign-in challenge (the password was proved a moment ago): emails the account's address a link that
 * starts recovery. 202-shaped whether or not a link went out (an account without a second factor needs none).
 */
export async function requestAccountRecovery(deps: Deps, handle: ChallengeHandle, client: ClientInfo): Promise<Done> {
  if (!accountRecoveryEnabled(deps)) return fail("not_found", OFF);
  const challenge = await liveSignInChallenge(deps, handle);
  if ("ok" in challenge) return challenge;
  const limited = await consumeAll(deps.limiter, [
    [requestsPerIp, ipKey(client.ip)],
    [requestsPerUser, challenge.userId],
  ]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds, "Too many requests. Try again later.");
  const sent = await deps.repo.transaction(async (repo) => {
    const user = await repo.findUserById(challenge.userId);
    if (!user || !hasSecondFactor(user)) return false;
    const link = await issueLinkToken(deps, repo, "account_recovery", user.id, user.email);
    await repo.enqueue({
      channel: "email",
      template: "account_recovery_link",
      recipient: user.email,
      data: { ...greetingName(user), link },
    });
    await repo.recordEvent({ userId: user.id, type: "account_recovery_requested", ...eventClient(client) });
    return true;
  });
  if (sent) deps.messagesQueued();
  return ok({});
}

/**
 * The emailed link starts the wait. The link is single use and taken under the account's row lock, so parallel
 * clicks (or two links) start one recovery; while one is open, following another link answers its time again.
 */
export async function confirmAccountRecovery(
  deps: Deps,
  input: { token: string },
  client: ClientInfo,
): Promise<Result<{ readyAt: Date }>> {
  if (!accountRecoveryEnabled(deps)) return fail("not_found", OFF);
  const limited = await consumeAll(deps.limiter, [[limits.tokenPerIp, ipKey(client.ip)]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds);
  const started = await deps.repo.transaction(async (repo) => {
    const token = await consumeLinkTokenLockingUser(deps, repo, "account_recovery", input.token);
    const user = token && (await repo.findUserById(token.userId));
    // An email change since the link was sent: the inbox that followed it is no longer the account's.
    if (!user || user.email !== token.email || !hasSecondFactor(user)) return null;
    const open = await repo.findOpenAccountRecovery(user.id, user.credentialsVersion);
    if (open) return { recovery: open, isNew: false };
    const now = deps.now();
    const recovery: AccountRecovery = {
      id: randomId(),
      userId: user.id,
      credentialsVersion: user.credentialsVersion,
      requestedAt: now,
      readyAt: new Date(now.getTime() + ACCOUNT_RECOVERY_WAIT_SECONDS * 1000),
      completedAt: null,
      cancelledAt: null,
      ...eventClient(client),
    };
    await repo.insertAccountRecovery(recovery);
    await notifyRecoveryStarted(repo, user, client);
    await repo.recordEvent({ userId: user.id, type: "account_recovery_started", ...eventClient(client) });
    return { recovery, isNew: true };
  });
  if (!started) return fail("invalid_token", INVALID_LINK);
  if (started.isNew) deps.messagesQueued();
  return ok({ readyAt: started.recovery.readyAt });
}

/** Every contact on file hears of it: the account's address, and the verified phone. No code, no link to act on. */
async function notifyRecoveryStarted(repo: Repository, user: User, client: ClientInfo): Promise<void> {
  await repo.enqueue({
    channel: "email",
    template: "account_recovery_started",
    recipient: user.email,
    data: { ...greetingName(user), ip: client.ip },
  });
  if (user.phoneNumber && user.phoneVerifiedAt)
    await repo.enqueue({
      channel: "sms",
      template: "account_recovery_started_notice",
      recipient: user.phoneNumber,
      data: {},
    });
}

/** The recovery waiting on this account, for the profile page; started under older credentials = none. */
export async function pendingAccountRecovery(
  deps: Deps,
  user: User,
): Promise<Result<{ recovery: AccountRecovery | null }>> {
  if (!accountRecoveryEnabled(deps)) return fail("not_found", OFF);
  return ok({ recovery: await deps.repo.findOpenAccountRecovery(user.id, user.credentialsVersion) });
}

/**
 * The owner stops it from a session. No step-up: cancelling only takes a way in away, and the owner who lost
 * every factor can start again.
 */
export async function cancelAccountRecovery(deps: Deps, user: User, client: ClientInfo): Promise<Done> {
  if (!accountRecoveryEnabled(deps)) return fail("not_found", OFF);
  if (!(await deps.repo.findOpenAccountRecovery(user.id, user.credentialsVersion)))
    return fail("not_found", "No account recovery is in progress.");
  await cancelOpenRecoveries(deps.repo, user.id, deps.now(), client);
  return ok({});
}

/**
 * Cancels the user's open recoveries: a sign-in that passed a second factor (the owner still has one) calls this,
 * as does the cancel button. Returns how many were open.
 */
export async function cancelOpenRecoveries(
  repo: Repository,
  userId: string,
  now: Date,
  client?: ClientInfo,
): Promise<number> {
  const cancelled = await repo.cancelAccountRecoveries(userId, now);
  if (cancelled > 0)
    await repo.recordEvent({
      userId,
      type: "account_recovery_cancelled",
      ...(client ? eventClient(client) : { ip: null, userAgent: null }),
    });
  return cancelled;
}

/**
 * At sign-in, after the right password (`user` is the row it was checked against): if this user's recovery is
 * ready, every second factor goes and the sign-in gets a level-1 session. Null when there is none to finish.
 * One transaction: the recovery is completed only while the credentials are still those of the sign-in and of
 * the recovery, then the version moves (open challenges and in-flight sign-ins die), the factors and every
 * session go (a lost phone may still hold one), and the owner is emailed.
 */
export async function finishReadyRecovery(
  deps: Deps,
  user: User,
  client: ClientInfo,
): Promise<Result<{ user: User; session: Session; token: string }> | null> {
  if (!accountRecoveryEnabled(deps)) return null;
  const now = deps.now();
  const recovery = await deps.repo.findOpenAccountRecovery(user.id, user.credentialsVersion);
  if (!recovery || recovery.readyAt.getTime() > now.getTime()) return null;
  const finished = await deps.repo.transaction(async (repo) => {
    if (!(await repo.completeAccountRecovery(recovery.id, user.id, user.credentialsVersion, now))) return null;
    if (!(await repo.bumpCredentialsVersion(user.id, now))) return null;
    const reset = await repo.resetSecondFactors(user.id);
    await repo.deleteUserSessions(user.id);
    await repo.recordEvent({ userId: user.id, type: "account_recovery_completed", ...eventClient(client) });
    await repo.enqueue({
      channel: "email",
      template: "account_recovery_completed",
      recipient: reset.email,
      data: greetingName(reset),
    });
    const created = await createSession(deps, reset, client, { repo });
    return created && { user: reset, ...created };
  });
  if (!finished) return fail("credentials_changed", CREDENTIALS_CHANGED);
  deps.messagesQueued();
  return ok(finished);
}
