import type { Deps } from "./deps";
import { consumeAll, limits, type RateLimitPolicy } from "./limits";
import { fail, rateLimited, type Failure } from "./result";
import type { User } from "./types";

const WRONG_PASSWORD = "The current password is incorrect.";

/**
 * Re-authentication for sensitive changes (password, email, phone, two-factor): a stolen or borrowed session
 * alone must not make them. Each check is also a password guess, so it is rate-limited per account; `alsoLimit`
 * adds the change's own budget, consumed in the same step. Null when the password is right.
 */
export async function checkCurrentPassword(
  deps: Deps,
  user: User,
  currentPassword: string,
  alsoLimit: Array<[RateLimitPolicy, string]> = [],
): Promise<Failure | null> {
  const limited = await consumeAll(deps.limiter, [[limits.currentPasswordPerUser, user.id], ...alsoLimit]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds);
  const passwordHash = await deps.repo.getPasswordHash(user.id);
  if (passwordHash && (await deps.passwordHasher.verify(passwordHash, currentPassword))) return null;
  return fail("invalid_credentials", WRONG_PASSWORD, { fields: { currentPassword: WRONG_PASSWORD } });
}
