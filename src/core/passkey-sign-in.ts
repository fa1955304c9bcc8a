import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { cancelOpenRecoveries } from "./account-recovery";
import { randomId, sha256 } from "./crypto";
import type { Deps } from "./deps";
import {
  checkAssertion,
  isBase64Url,
  PASSKEY_CEREMONY_LIFETIME_SECONDS,
  relyingParty,
  signedChallenge,
  webauthn,
} from "./factors/passkey";
import { consumeAll, ipKey, limits } from "./limits";
import { eventClient } from "./present";
import { fail, ok, rateLimited, type Result } from "./result";
import { createSession } from "./sessions";
import type { SignedIn } from "./sign-in";
import { issueKnownDevice } from "./sign-in-throttle";
import type { ClientInfo } from "./types";

/*
 * Signing in with a passkey alone (a discoverable credential, user-verified): no email, no password. The
 * options name no account; the authenticator says whose credential it used, and the assertion is checked
 * against that account's passkey.
 */

// One answer for every failed passwordless sign-in: unknown passkey, wrong account, bad signature, replay, an
// unverified address. Which one it was would tell a stranger whether a credential or an account exists.
const SIGN_IN_FAILED = "That passkey could not sign you in. Try again, or sign in with your password.";

/**
 * Options for a passwordless sign-in: no account named (the browser offers the passkeys it holds for us), user
 * verification required, since the passkey stands for both factors. Bound to the browser that asked, when it
 * has a binding secret.
 */
export async function passkeySignInOptions(
  deps: Deps,
  client: ClientInfo,
): Promise<Result<{ options: PublicKeyCredentialRequestOptionsJSON }>> {
  const limited = await consumeAll(deps.limiter, [[limits.passkeySignInPerIp, ipKey(client.ip)]]);
  if (!limited.allowed) return rateLimited(limited.retryAfterSeconds, "Too many sign-in attempts. Try again later.");
  const { generateAuthenticationOptions } = await webauthn();
  const options = await generateAuthenticationOptions({ rpID: relyingParty(deps).rpID, userVerification: "required" });
  const now = deps.now();
  await deps.repo.insertPasskeyCeremony({
    id: randomId(16),
    purpose: "sign_in",
    userId: null,
    sessionId: null,
    challenge: options.challenge,
    clientBinding: client.challengeBinding ? sha256(client.challengeBinding) : null,
    credentialsVersion: null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + PASSKEY_CEREMONY_LIFETIME_SECONDS * 1000),
    usedAt: null,
  });
  return ok({ options });
}

/**
 * A passwordless sign-in: the ceremony is taken once, the passkey's owner must be the account the authenticator
 * names (userHandle), the assertion must carry user verification, and the counter moves forward. The session
 * starts at assurance level 2 with its second factor passed now (a user-verified passkey is something you have
 * and something you know or are), and only while the credentials read with the passkey are still current.
 */
export async function signInWithPasskey(
  deps: Deps,
  input: { response: AuthenticationResponseJSON },
  client: ClientInfo,
): Promise<Result<{ result: SignedIn }>> {
  const refused = fail("invalid_credentials", SIGN_IN_FAILED);
  const challenge = signedChallenge(input.response);
  if (!challenge || !isBase64Url(input.response.id)) return refused;
  const now = deps.now();
  const bindingHash = client.challengeBinding ? sha256(client.challengeBinding) : null;
  const ceremony = await deps.repo.consumeSignInCeremony(challenge, bindingHash, now);
  if (!ceremony) return refused;
  const found = await deps.repo.findPasskeyWithOwner(input.response.id);
  if (!found) return refused;
  const { passkey, user } = found;
  // The authenticator says whose credential it used; it must be the account that owns it (WebAuthn L3 7.2 step 6).
  if (!user.webauthnUserId || input.response.response?.userHandle !== user.webauthnUserId) return refused;
  const passed = await checkAssertion(deps, passkey, {
    response: input.response,
    expectedChallenge: ceremony.challenge,
    requireUserVerification: true,
  });
  if (!passed || !user.emailVerifiedAt) return refused;
  // Refused inside the insert when the credentials changed since the passkey was read (it was deleted, say).
  const created = await createSession(deps, user, client, { secondFactorAt: now });
  if (!created) return refused;
  await deps.repo.recordEvent({ userId: user.id, type: "passkey_sign_in", ...eventClient(client) });
  // The owner still holds a factor: an account recovery someone started with their password is cancelled.
  await cancelOpenRecoveries(deps.repo, user.id, now, client);
  const knownDevice = issueKnownDevice(deps, user.id, (await deps.repo.getPasswordHash(user.id)) ?? "");
  return ok({ result: { kind: "session", user, session: created.session, token: created.token, knownDevice } });
}
