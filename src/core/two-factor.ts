import type { Deps } from "./deps";
import { checkCurrentPassword } from "./reauthenticate";
import { maskPhoneNumber } from "./present";
import { fail, ok, type Result } from "./result";
import { eventClient } from "./present";
import type { ClientInfo, User } from "./types";

/**
 * The SMS two-factor switch. Both directions need the current password (a borrowed session must not turn the
 * second factor off); on needs a verified phone. Either way the owner gets an email.
 */
export async function setSmsTwoFactor(deps: Deps, user: User, input: { enabled: boolean; currentPassword: string }, client: ClientInfo): Promise<Result<{ user: User }>> {
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  if (input.enabled && (!user.phoneVerifiedAt || !user.phoneNumber)) return fail("phone_not_verified", "Add and verify a mobile number first.");
  const updated = await deps.repo.transaction(async (repo) => {
    const next = await repo.setTwoFactorSms(user.id, input.enabled);
    if (input.enabled !== user.twoFactorSms) {
      await repo.recordEvent({ userId: user.id, type: input.enabled ? "two_factor_enabled" : "two_factor_disabled", ...eventClient(client) });
      await repo.enqueue(
        input.enabled
          ? { channel: "email", template: "two_factor_enabled", recipient: user.email, data: { name: user.name, phoneHint: maskPhoneNumber(user.phoneNumber!) } }
          : { channel: "email", template: "two_factor_disabled", recipient: user.email, data: { name: user.name } },
      );
    }
    return next;
  });
  deps.messagesQueued();
  return ok({ user: updated });
}
