import type { Deps } from "./deps";
import { consumeLinkTokenLockingUser } from "./link-tokens";
import { consumeAll, ipKey, limits } from "./limits";
import { fail, type Result, rateLimited } from "./result";
import { eventClient } from "./present";
import { completeFirstFactor, type SignedIn } from "./sign-in";
import type { ClientInfo } from "./types";

const INVALID_LINK = "This link is invalid or has expired. Ask for a new one.";

/**
 * Following the emailed link confirms the address and signs the user in (through the second factor, if any).
 * Only a not-yet-verified address is ever changed by a link: once the address is verified by any path (a link,
 * a reset, an email change) every outstanding sign-up link for it is dead, and an already verified account is
 * never touched (no password, no name), so an old link mailed by a stranger's sign-up cannot set their password
 * on the account the owner has been using since.
 */
export async function verifyEmail(
  deps: Deps,
  input: { token: string },
  client: ClientInfo,
): Promise<Result<{ result: SignedIn }>> {
  const limited = await consumeAll(deps.limiter, [[limits.tokenPerIp, ipKey(client.ip)]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds);

  const user = await deps.repo.transaction(async (repo) => {
    const token = await consumeLinkTokenLockingUser(deps, repo, "verify_email", input.token);
    if (!token) return null;
    // A link sent to an address the account no longer has proves nothing about the current one; an address
    // verified meanwhile (a race with a reset) is left exactly as it is.
    if (!(await repo.verifyEmailOnce(token.userId, token.email))) return null;
    // The sign-up whose link was followed chose the password and the name. Setting a password is a credential
    // change: the version moves (sign-ins and challenges under the old one die), and other pending links die.
    const verified = await repo.bumpCredentialsVersion(token.userId, deps.now());
    if (!verified) return null;
    if (token.passwordHash) await repo.setPasswordHash(verified.id, token.passwordHash);
    const named =
      token.name !== null && token.name !== verified.name ? await repo.updateName(verified.id, token.name) : verified;
    await repo.recordEvent({ userId: verified.id, type: "email_verified", ...eventClient(client) });
    return named;
  });
  if (!user) return fail("invalid_token", INVALID_LINK);
  return completeFirstFactor(deps, user, client);
}
