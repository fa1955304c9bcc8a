import type { Deps } from "./deps";
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
 * Turning it on signs every other session out by default (`signOutOthers`): they never passed the new factor.
 * Those kept lose any second-factor credit, so they must step up before any security change.
 */
export async function setSmsTwoFactor(
  deps: Deps,
  user: User,
  session: Session,
  input: { enabled: boolean; currentPassword: string; signOutOthers?: boolean },
  client: ClientInfo,
): Promise<Result<{ user: User }>> {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  if (input.enabled && (!user.phoneVerifiedAt || !user.phoneNumber))
    return fail("phone_not_verified", "Add and verify a mobile number first.");
  const updated = await deps.repo
    .transaction(async (repo) => {
      const current = await repo.bumpCredentialsVersion(user.id, deps.now());
      // The number was removed since the request was read: roll the bump back, nothing changes.
      if (input.enabled && (!current?.phoneVerifiedAt || !current.phoneNumber)) throw new PhoneGone();
      const next = input.enabled ? await smsFactor.enrol(repo, user.id) : await smsFactor.remove(repo, user.id);
      if (input.enabled && current && !current.twoFactorSms) {
        if (input.signOutOthers ?? true) await repo.deleteUserSessions(user.id, session.id);
        else await repo.forgetSecondFactor(user.id, session.id);
      }
      if (input.enabled !== current?.twoFactorSms) {
        await repo.recordEvent({
          userId: user.id,
          type: input.enabled ? "two_factor_enabled" : "two_factor_disabled",
          ...eventClient(client),
        });
        await repo.enqueue(
          input.enabled
            ? {
                channel: "email",
                template: "two_factor_enabled",
                recipient: user.email,
                data: { name: user.name, phoneHint: maskPhoneNumber(next.phoneNumber!) },
              }
            : { channel: "email", template: "two_factor_disabled", recipient: user.email, data: { name: user.name } },
        );
      }
      return next;
    })
    .catch((error: unknown) => {
      if (error instanceof PhoneGone) return null;
      throw error;
    });
  if (!updated) return fail("phone_not_verified", "Add and verify a mobile number first.");
  deps.messagesQueued();
  return ok({ user: updated });
}

class PhoneGone extends Error {}
