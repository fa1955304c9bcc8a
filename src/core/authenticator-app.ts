import type { Deps } from "./deps";
import { onFactorAdded, onFactorRemoved } from "./factor-changes";
import { totpFactor } from "./factors/totp";
import { consumeAll, limits } from "./limits";
import { eventClient } from "./present";
import { checkCurrentPassword } from "./reauthenticate";
import { fail, ok, rateLimited, type Done, type Result } from "./result";
import { requireRecentSecondFactor } from "./step-up";
import {
  matchTotpStep,
  newTotpSecret,
  openTotpSecret,
  sealTotpSecret,
  TOTP_SETUP_LIFETIME_SECONDS,
  totpUri,
} from "./totp";
import type { ClientInfo, Session, User } from "./types";

/*
 * Setting up and removing an authenticator app. Set-up needs the current password (and a recent second factor
 * when two-factor is on); the app is only turned on once a code from it proves it was scanned, so a typo in a
 * hand-typed secret cannot lock the owner out. Turning it on or off moves the credentials version: sign-ins and
 * challenges opened under the old setting die.
 */

const ALREADY = "An authenticator app is already set up. Remove it first to set up a different one.";
const SETUP_EXPIRED = "This set-up has expired. Start setting up the app again.";
const WRONG_CODE = "That code is not right. Check the app lists this account and enter the code it shows now.";

/** Step 1: a new secret, pending until confirmed (a new set-up replaces a pending one). */
export async function startTotpSetup(
  deps: Deps,
  user: User,
  session: Session,
  input: { currentPassword: string },
): Promise<Result<{ secret: string; otpauthUri: string }>> {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  if (user.twoFactorTotp) return fail("factor_exists", ALREADY);
  const secret = newTotpSecret();
  if (!(await deps.repo.saveTotpSetup(user.id, sealTotpSecret(deps, secret), deps.now())))
    return fail("factor_exists", ALREADY);
  return ok({ secret, otpauthUri: totpUri(deps, secret, user.email) });
}

class SetupGone extends Error {}

/**
 * Step 2: a code from the app turns it on. The code's step is recorded as used, so it cannot then sign in.
 * Wrong codes are limited per account (the secret is the caller's own, but the endpoint must not be a free
 * oracle or a cheap load).
 */
export async function confirmTotpSetup(
  deps: Deps,
  user: User,
  session: Session,
  input: { code: string },
  client: ClientInfo,
): Promise<Result<{ user: User; recoveryCodes: string[] | null }>> {
  const limited = await consumeAll(deps.limiter, [[limits.totpSetupCodesPerUser, user.id]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds, "Too many codes. Wait a little, then try again.");
  const pending = await deps.repo.findTotp(user.id);
  const now = deps.now();
  if (pending?.confirmedAt) return fail("factor_exists", ALREADY);
  if (!pending || now.getTime() - pending.createdAt.getTime() > TOTP_SETUP_LIFETIME_SECONDS * 1000)
    return fail("challenge_expired", SETUP_EXPIRED);
  const step = matchTotpStep(deps, openTotpSecret(deps, pending.sealedSecret), input.code);
  if (step === null) return fail("invalid_code", WRONG_CODE, { fields: { code: WRONG_CODE } });

  const done = await deps.repo
    .transaction(async (repo) => {
      const before = await repo.bumpCredentialsVersion(user.id, now);
      // Confirms exactly the secret the code was checked against; a parallel set-up or confirm got there first.
      const confirmed = before && (await repo.confirmTotp(user.id, pending.sealedSecret, step, now));
      if (!before || !confirmed) throw new SetupGone();
      const { recoveryCodes } = await onFactorAdded(deps, repo, before, session, client);
      await repo.recordEvent({ userId: user.id, type: "totp_enabled", ...eventClient(client) });
      await repo.enqueue({
        channel: "email",
        template: "second_factor_added",
        recipient: user.email,
        data: { name: user.name, factor: "an authenticator app" },
      });
      return { user: (await repo.findUserById(user.id))!, recoveryCodes };
    })
    .catch((error: unknown) => {
      if (error instanceof SetupGone) return null;
      throw error;
    });
  if (!done) return fail("challenge_expired", SETUP_EXPIRED);
  deps.messagesQueued();
  return ok(done);
}

/** Removes the app (or a pending set-up). If it was the last factor, two-factor goes off with it. */
export async function removeTotp(
  deps: Deps,
  user: User,
  session: Session,
  input: { currentPassword: string },
  client: ClientInfo,
): Promise<Done> {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  if (!(await deps.repo.findTotp(user.id))) return fail("not_found", "No authenticator app is set up.");
  await deps.repo.transaction(async (repo) => {
    const before = await repo.bumpCredentialsVersion(user.id, deps.now());
    if (!before) return;
    const after = await totpFactor.remove(repo, user.id);
    if (!before.twoFactorTotp) return;
    await repo.recordEvent({ userId: user.id, type: "totp_disabled", ...eventClient(client) });
    const wentOff = await onFactorRemoved(deps, repo, before, after, client);
    if (!wentOff)
      await repo.enqueue({
        channel: "email",
        template: "second_factor_removed",
        recipient: user.email,
        data: { name: user.name, factor: "an authenticator app" },
      });
  });
  deps.messagesQueued();
  return ok({});
}
