import { randomInt } from "node:crypto";
import { hmac, randomId } from "./crypto";
import type { Deps } from "./deps";
import { hasSecondFactor } from "./factors";
import { eventClient } from "./present";
import { checkCurrentPassword } from "./reauthenticate";
import type { Repository } from "./repository";
import { fail, ok, type Result } from "./result";
import { requireRecentSecondFactor } from "./step-up";
import type { ClientInfo, Session, User } from "./types";

/*
 * Recovery codes: the way in when the phone, the app and the passkey are all out of reach. Ten per account, each
 * 12 characters of Crockford's base32 (60 bits: far beyond guessing within the shared attempt budgets), shown
 * once, stored only as HMAC(SECRET, user, code) so a database dump can neither use nor test them, single use.
 */

export const RECOVERY_CODE_COUNT = 10;
const CODE_LENGTH = 12;
// Crockford's base32: no i, l, o, u, so what is read aloud or written down comes back the same.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** `abcd-efgh-jkmn`: three groups of four, for reading and typing. */
function newCode(): string {
  let raw = "";
  for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return raw.match(/.{4}/g)!.join("-");
}

/**
 * What the user typed, as it was issued: case, spaces and dashes ignored, and the letters Crockford reads as
 * digits (o → 0, i and l → 1) mapped; null when it cannot be a code, so nothing is hashed for junk.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const raw = input.toLowerCase().replace(/[\s-]/g, "").replace(/o/g, "0").replace(/[il]/g, "1");
  if (raw.length !== CODE_LENGTH || [...raw].some((char) => !ALPHABET.includes(char))) return null;
  return raw.match(/.{4}/g)!.join("-");
}

export function recoveryCodeHash(deps: Pick<Deps, "config">, userId: string, code: string): Buffer {
  return hmac(deps.config.secret, "recovery-code", userId, code);
}

/**
 * Ten new codes, replacing every earlier one (used or not): inside the caller's transaction, so the old codes
 * die in the same commit that makes the new ones. Returns the codes in clear: the only time they exist so.
 */
export async function issueRecoveryCodes(
  deps: Pick<Deps, "config" | "now">,
  repo: Repository,
  userId: string,
): Promise<{ codes: string[]; user: User }> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const user = await repo.replaceRecoveryCodes(
    userId,
    codes.map((code) => ({ id: randomId(), codeHash: recoveryCodeHash(deps, userId, code) })),
    deps.now(),
  );
  return { codes, user };
}

/**
 * New codes on request (the old ones die in the same commit): password and, two-factor being on by definition
 * here, a recent second factor in this session.
 */
export async function regenerateRecoveryCodes(
  deps: Deps,
  user: User,
  session: Session,
  input: { currentPassword: string },
  client: ClientInfo,
): Promise<Result<{ codes: string[] }>> {
  if (!hasSecondFactor(user))
    return fail("two_factor_off", "Recovery codes come with two-step sign-in. Turn it on first.");
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  const codes = await deps.repo.transaction(async (repo) => {
    const issued = await issueRecoveryCodes(deps, repo, user.id);
    await repo.recordEvent({ userId: user.id, type: "recovery_codes_generated", ...eventClient(client) });
    await repo.enqueue({
      channel: "email",
      template: "recovery_codes_generated",
      recipient: user.email,
      data: { name: user.name },
    });
    return issued.codes;
  });
  deps.messagesQueued();
  return ok({ codes });
}
