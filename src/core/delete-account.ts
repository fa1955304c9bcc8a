import type { Deps } from "./deps";
import { greetingName } from "./present";
import { checkCurrentPassword } from "./reauthenticate";
import { fail, ok, type Done } from "./result";
import { requireRecentSecondFactor } from "./step-up";
import type { Session, User } from "./types";

/**
 * Deleting one's own account (GDPR art. 17): the same proof as any security change (the current password and,
 * with two-factor on, a recent second factor), because it cannot be undone and a stolen session alone must not
 * do it. The user row goes and every table of the account with it (sessions included, so every device is signed
 * out); the outbox keeps only the goodbye email. No security event is written: its row would belong to a user
 * that no longer exists, so the caller logs the deletion (by user id, never the address).
 */
export async function deleteAccount(
  deps: Deps,
  user: User,
  session: Session,
  input: { currentPassword: string },
): Promise<Done> {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const wrongPassword = await checkCurrentPassword(deps, user, input.currentPassword);
  if (wrongPassword) return wrongPassword;
  const deleted = await deps.repo.transaction(async (repo) => {
    // The DELETE locks the row: of two requests at once (a double click, two tabs), the second finds nothing and
    // sends no second goodbye. A sign-in checked against this password cannot insert a session afterwards either
    // (insertSession needs the user row at the version it saw).
    const gone = await repo.deleteUser(user.id);
    if (!gone) return null;
    // Enqueued after the outbox was cleared for this address, so this is the one message that stays.
    await repo.enqueue({
      channel: "email",
      template: "account_deleted",
      recipient: gone.email,
      data: greetingName(gone),
    });
    return gone;
  });
  if (!deleted) return fail("unauthenticated", "Sign in to continue.");
  deps.messagesQueued();
  return ok({});
}
