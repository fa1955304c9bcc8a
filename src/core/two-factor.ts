import type { Deps } from "./deps";
import { onFactorAdded, onFactorRemoved } from "./factor-changes";
import { smsFactor } from "./factors/sms";
import { checkCurrentPassword } from "./reauthenticate";
import { maskPhoneNumber } from "./present";
import { fail, ok, type Result } from "./result";
import { eventClient } from "./present";
import { requireRecentSecondFactor } from "./step-up";
import type { ClientInfo, Session, User } from "./types";

/**
 * The SMS two-factor switch. Both directions need the current password (a borrowed session must not turn the
 * second factor off), and turning it off needs a recent second factor in this session (step-up); on needs a
 * verified phone. Either way the credentials version moves, so sign-ins in flight (password checked, session
 * not yet created) and open challenges die instead of finishing under the old setting.
 *
 * Turning on the account's first factor signs every other session out by default (`signOutOthers`): they never
 * passed it. Those kept lose any second-factor credit, so they must step up before any security change. It also
 * makes the recovery codes, returned once (./factor-changes.ts).
 */
export async function setSmsTwoFactor(
  deps: Deps,
  user: User,
  session: Session,
  input: { enabled: boolean; currentPassword: string; signOutOthers?: boolean },
  client: ClientInfo,
): Promise<Result<{ user: User; recoveryCodes: string[] | null }>> {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  if (input.enabled && (!user.phoneVerifiedAt || !user.phoneNumber))
    return fail("phone_not_verified", "Add and verify a mobile number first.");
  const updated = await deps.repo
    .transaction(async (repo) => {
      const before = await repo.bumpCredentialsVersion(user.id, deps.now());
      // The number was removed since the request was read: roll the bump back, nothing changes.
      if (!before || (input.enabled && (!before.phoneVerifiedAt || !before.phoneNumber))) throw new PhoneGone();
      const next = input.enabled ? await smsFactor.enrol(repo, user.id) : await smsFactor.remove(repo, user.id);
      if (input.enabled === before.twoFactorSms) return { user: next, recoveryCodes: null };
      if (input.enabled) {
        // Not credited: the number was proved when it was verified, not by this session now.
        const added = await onFactorAdded(deps, repo, before, session, client, {
          signOutOthers: input.signOutOthers ?? true,
          credit: false,
        });
        await repo.recordEvent({ userId: user.id, type: "two_factor_enabled", ...eventClient(client) });
        await repo.enqueue({
          channel: "email",
          template: "two_factor_enabled",
          recipient: user.email,
          data: { name: user.name, phoneHint: maskPhoneNumber(next.phoneNumber!) },
        });
        return { user: (await repo.findUserById(user.id))!, recoveryCodes: added.recoveryCodes };
      }
      if (!(await onFactorRemoved(deps, repo, before, next, client)))
        await repo.enqueue({
          channel: "email",
          template: "second_factor_removed",
          recipient: user.email,
          data: { name: user.name, factor: `text messages to ${maskPhoneNumber(before.phoneNumber ?? "")}` },
        });
      return { user: (await repo.findUserById(user.id))!, recoveryCodes: null };
    })
    .catch((error: unknown) => {
      if (error instanceof PhoneGone) return null;
      throw error;
    });
  if (!updated) return fail("phone_not_verified", "Add and verify a mobile number first.");
  deps.messagesQueued();
  return ok(updated);
}

class PhoneGone extends Error {}
