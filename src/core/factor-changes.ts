import type { Deps } from "./deps";
import { hasSecondFactor } from "./factors";
import { eventClient } from "./present";
import { issueRecoveryCodes } from "./recovery-codes";
import type { Repository } from "./repository";
import { forgetTrustedBrowsers } from "./trusted-browsers";
import type { ClientInfo, Session, User } from "./types";

/*
 * What turning a factor on or off means for the rest of the account, the same for every factor. Each runs inside
 * the transaction of the change, after its first statement bumped the credentials version and after the factor's
 * own row was written, so it commits or rolls back with the change.
 */

/**
 * A factor was added. The session that added it has just proved it (confirming a new factor counts as passing
 * it), so it is credited now. When it is the account's first factor, two-factor has just turned on: the other
 * sessions never passed a second factor, so they are signed out (or, kept, lose any credit), and recovery codes
 * are made so losing this one factor does not lock the owner out. The codes are returned to show once.
 */
export async function onFactorAdded(
  deps: Pick<Deps, "config" | "now">,
  repo: Repository,
  before: User,
  session: Session,
  _client: ClientInfo,
  options: { signOutOthers?: boolean; credit?: boolean } = {},
): Promise<{ recoveryCodes: string[] | null }> {
  const current = await repo.findUserById(before.id);
  if (current && (options.credit ?? true))
    await repo.creditSecondFactor(session.id, before.id, current.credentialsVersion, deps.now());
  if (hasSecondFactor(before)) return { recoveryCodes: null };
  if (options.signOutOthers ?? true) await repo.deleteUserSessions(before.id, session.id);
  else await repo.forgetSecondFactor(before.id, session.id);
  if (before.recoveryCodesLeft > 0) return { recoveryCodes: null };
  const { codes } = await issueRecoveryCodes(deps, repo, before.id);
  return { recoveryCodes: codes };
}

/**
 * A factor was removed. If it was the last real one, two-factor is off: recovery codes and trusted browsers go
 * with it (they only ever stood in for a second factor), and the owner is told. Returns whether it went off.
 */
export async function onFactorRemoved(
  _deps: Pick<Deps, "now">,
  repo: Repository,
  before: User,
  after: User,
  client: ClientInfo,
): Promise<boolean> {
  if (!hasSecondFactor(before) || hasSecondFactor(after)) return false;
  await repo.deleteRecoveryCodes(after.id);
  await forgetTrustedBrowsers(repo, after.id);
  await repo.recordEvent({ userId: after.id, type: "two_factor_disabled", ...eventClient(client) });
  await repo.enqueue({
    channel: "email",
    template: "two_factor_disabled",
    recipient: after.email,
    data: { name: after.name },
  });
  return true;
}
