import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Deps } from "../deps";
import { fail, ok } from "../result";
import type { Passkey } from "../types";
import type { SecondFactor } from "./factor";

type WebAuthnLibrary = typeof import("@simplewebauthn/server");
let webauthnLibrary: Promise<WebAuthnLibrary> | undefined;

/**
 * @simplewebauthn/server, loaded with the first passkey ceremony rather than at start: with its ASN.1 and COSE
 * libraries it is about 4 MB of the API's memory from the moment it loads, and most servers' requests never need it.
 */
export function webauthn(): Promise<WebAuthnLibrary> {
  webauthnLibrary ??= import("@simplewebauthn/server");
  return webauthnLibrary;
}

/** WebAuthn's relying party: the RP ID is APP_URL's host name, and assertions must come from APP_URL's origin. */
export function relyingParty(deps: Deps): { rpID: string; origin: string } {
  const url = new URL(deps.config.appUrl);
  return { rpID: url.hostname, origin: url.origin };
}

// The browser's prompt times out after 60 s; 5 minutes leaves room for a slow security-key PIN.
export const PASSKEY_CEREMONY_LIFETIME_SECONDS = 5 * 60;

/** Credential ids and user handles are base64url; anything else (or anything huge) is not worth a lookup. */
export const isBase64Url = (value: unknown, maxLength = 1024): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= maxLength && /^[A-Za-z0-9_-]+$/.test(value);

/** The challenge the authenticator signed, read from clientDataJSON; null for anything malformed. */
export function signedChallenge(response: { response?: { clientDataJSON?: unknown } } | undefined): string | null {
  const encoded = response?.response?.clientDataJSON;
  if (!isBase64Url(encoded, 8192)) return null;
  try {
    const challenge = (JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as { challenge?: unknown })
      .challenge;
    return isBase64Url(challenge, 256) ? challenge : null;
  } catch {
    return null;
  }
}

/**
 * Checks an assertion by one of the user's passkeys against the challenge we issued, then moves the passkey's
 * signature counter forward in one conditional statement. False, never a throw, for anything wrong: a malformed
 * response, a wrong signature, another origin or RP ID, a missing user verification when required, or a counter
 * that did not move (a cloned authenticator, or a parallel copy of this very assertion that got there first).
 */
export async function checkAssertion(
  deps: Deps,
  passkey: Passkey,
  input: { response: AuthenticationResponseJSON; expectedChallenge: string; requireUserVerification: boolean },
): Promise<boolean> {
  const { rpID, origin } = relyingParty(deps);
  const { verifyAuthenticationResponse } = await webauthn();
  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { id: passkey.id, publicKey: new Uint8Array(passkey.publicKey), counter: passkey.counter },
      requireUserVerification: input.requireUserVerification,
    });
  } catch {
    return false;
  }
  if (!verification.verified) return false;
  return deps.repo.recordPasskeyUse(passkey.id, passkey.userId, {
    previousCounter: passkey.counter,
    newCounter: verification.authenticationInfo.newCounter,
    backedUp: verification.authenticationInfo.credentialBackedUp,
    at: deps.now(),
  });
}

/**
 * A passkey as the second step of a sign-in or a step-up. The password (or the session) already proved who this
 * is, so user verification is only preferred here: a security key without a PIN is a fine second factor. A
 * passwordless sign-in, where the passkey is both factors, requires it (../passkeys.ts).
 */
export const passkeyFactor: SecondFactor<"passkey"> = {
  method: "passkey",
  backup: false,
  isEnrolled: (user) => user.passkeyCount > 0,
  // A phone verification proves a number; a passkey cannot.
  offers: (challenge, user) =>
    (challenge.purpose === "sign_in" || challenge.purpose === "step_up") && user.passkeyCount > 0,
  async start(deps, challenge) {
    const now = deps.now();
    if (challenge.completedAt || challenge.expiresAt <= now)
      return fail("challenge_expired", "This request has expired. Start again.");
    const passkeys = await deps.repo.listPasskeys(challenge.userId);
    const { generateAuthenticationOptions } = await webauthn();
    const options = await generateAuthenticationOptions({
      rpID: relyingParty(deps).rpID,
      allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports ?? undefined })),
      userVerification: "preferred",
    });
    // A new start replaces the WebAuthn challenge: an assertion made for the previous options no longer passes.
    const updated = await deps.repo.setWebauthnChallenge(challenge.id, options.challenge, now);
    if (!updated) return fail("challenge_expired", "This request has expired. Start again.");
    return ok({ challenge: updated, passkeyOptions: options });
  },
  async verify(deps, challenge, user, proof) {
    const response = proof.response;
    if (!challenge.webauthnChallenge || !isBase64Url(response?.id)) return false;
    const passkey = await deps.repo.findPasskey(response.id);
    // Only the account's own passkeys: another user's valid assertion proves nothing about this one.
    if (!passkey || passkey.userId !== user.id || passkey.userId !== challenge.userId) return false;
    // Single use: the shared path completes the challenge once, and with it this WebAuthn challenge.
    return checkAssertion(deps, passkey, {
      response,
      expectedChallenge: challenge.webauthnChallenge,
      requireUserVerification: false,
    });
  },
  wrongProofMessage: (attemptsLeft) =>
    attemptsLeft > 0
      ? "That passkey didn't work. Try again, or use another of your passkeys."
      : "That passkey didn't work, and that was the last try. Start again.",
  // A passkey is on while the account has one: registering one is the enrolment (../passkeys.ts). Removing the
  // factor (an account recovery's reset) deletes every passkey of the account.
  enrol: (repo, userId) => repo.recountPasskeys(userId),
  async remove(repo, userId) {
    await repo.deleteAllPasskeys(userId);
    return repo.recountPasskeys(userId);
  },
};
