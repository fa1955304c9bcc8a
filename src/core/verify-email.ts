import type { Deps } from "./deps";
import { consumeLinkToken } from "./link-tokens";
import { consumeAll, ipKey, limits } from "./limits";
import { fail, type Result, rateLimited } from "./result";
import { eventClient } from "./present";
import { completeFirstFactor, type SignedIn } from "./sign-in";
import type { ClientInfo } from "./types";

const INVALID_LINK = "This link is invalid or has expired. Ask for a new one.";

/** Following the emailed link confirms the address and signs the user in (through the second factor, if any). */
export async function verifyEmail(deps: Deps, input: { token: string }, client: ClientInfo): Promise<Result<{ result: SignedIn }>> {
  const limited = await consumeAll(deps.limiter, [[limits.tokenPerIp, ipKey(client.ip)]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds);

  const user = await deps.repo.transaction(async (repo) => {
    const token = await consumeLinkToken(deps, repo, "verify_email", input.token);
    if (!token) return null;
    // A link sent to an address the account no longer has proves nothing about the current one.
    const verified = await repo.markEmailVerified(token.userId, token.email);
    if (!verified) return null;
    // The sign-up whose link was followed chose the password; other pending sign-up links die with it.
    if (token.passwordHash) await repo.setPasswordHash(verified.id, token.passwordHash);
    await repo.invalidateTokens(verified.id, "verify_email");
    await repo.recordEvent({ userId: verified.id, type: "email_verified", ...eventClient(client) });
    return verified;
  });
  if (!user) return fail("invalid_token", INVALID_LINK);
  return completeFirstFactor(deps, user, client);
}
