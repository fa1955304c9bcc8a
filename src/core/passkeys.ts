import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { UAParser } from "ua-parser-js";
import { randomId } from "./crypto";
import type { Deps } from "./deps";
import { onFactorAdded, onFactorRemoved } from "./factor-changes";
import { PASSKEY_CEREMONY_LIFETIME_SECONDS, relyingParty, signedChallenge, webauthn } from "./factors/passkey";
import { eventClient, greetingName } from "./present";
import { checkCurrentPassword } from "./reauthenticate";
import { fail, ok, type Done, type Failure, type Result } from "./result";
import { requireRecentSecondFactor } from "./step-up";
import type { ClientInfo, Passkey, Session, User } from "./types";

/*
 * Managing passkeys (WebAuthn), signed in: registering one (password, and step-up while two-factor is on),
 * listing, renaming and deleting them. Signing in with one alone: ./passkey-sign-in.ts; one as the second step of
 * a sign-in or step-up: ./factors/passkey.ts. Each ceremony is one row, single use, found by the challenge the
 * authenticator signed.
 */

export const PASSKEY_NAME_MAX_LENGTH = 64;

const NOT_FOUND = "No such passkey.";
const NOT_VERIFIED = "This passkey could not be verified. Try again.";

/** What the API shows of a passkey: never its public key or counter. */
export function presentPasskey(passkey: Passkey) {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
    backedUp: passkey.backedUp,
  };
}

export function listPasskeys(deps: Deps, user: User): Promise<Passkey[]> {
  return deps.repo.listPasskeys(user.id);
}

/** A name the owner will recognise in the list: the browser and system it was made on, else the date. */
function defaultPasskeyName(deps: Deps, client: ClientInfo): string {
  const parsed = client.userAgent ? new UAParser(client.userAgent).getResult() : null;
  if (parsed?.browser.name && parsed.os.name) return `${parsed.browser.name} on ${parsed.os.name}`;
  return `Passkey added ${deps.now().toISOString().slice(0, 10)}`;
}

/** Trimmed, 1–64 characters, no control or invisible characters (the HTTP schema refuses those first). */
function cleanName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > PASSKEY_NAME_MAX_LENGTH) return null;
  return /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(trimmed) ? null : trimmed;
}

/** Rolls a transaction back with the answer the flow gives. */
class Refusal extends Error {
  constructor(readonly failure: Failure) {
    super(failure.code);
  }
}
const refusedWith = (error: unknown): Failure => {
  if (error instanceof Refusal) return error.failure;
  throw error;
};

/**
 * Options for navigator.credentials.create. A new passkey signs in alone, so making one is a security change:
 * the current password and, while two-factor is on, a recent second factor. The ceremony is bound to this
 * session and records the credentials it was opened under.
 */
export async function passkeyRegistrationOptions(
  deps: Deps,
  user: User,
  session: Session,
  input: { currentPassword: string },
  _client: ClientInfo,
): Promise<Result<{ options: PublicKeyCredentialCreationOptionsJSON }>> {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  // The WebAuthn user handle is stored on the authenticator and handed to anyone who holds it: random, never the
  // account id or the email (WebAuthn L3 14.6.1).
  const current = await deps.repo.ensureWebauthnUserId(user.id, randomId(32));
  if (!current?.webauthnUserId) return fail("not_found", "This account no longer exists.");
  const existing = await deps.repo.listPasskeys(user.id);
  const { generateRegistrationOptions } = await webauthn();
  const options = await generateRegistrationOptions({
    rpName: deps.config.appName,
    rpID: relyingParty(deps).rpID,
    userName: current.email,
    userDisplayName: current.name,
    userID: new Uint8Array(Buffer.from(current.webauthnUserId, "base64url")),
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports ?? undefined })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  });
  const now = deps.now();
  await deps.repo.insertPasskeyCeremony({
    id: randomId(16),
    purpose: "register",
    userId: user.id,
    sessionId: session.id,
    challenge: options.challenge,
    clientBinding: null,
    credentialsVersion: current.credentialsVersion,
    createdAt: now,
    expiresAt: new Date(now.getTime() + PASSKEY_CEREMONY_LIFETIME_SECONDS * 1000),
    usedAt: null,
  });
  return ok({ options });
}

/**
 * Stores the passkey the authenticator made for our options. The ceremony is taken once (by this user and
 * session only), the attestation is checked with user verification required, then one transaction bumps the
 * credentials version, stores the passkey, recounts, and, when it is the account's first second factor, makes
 * recovery codes and signs the other sessions out. Confirming it counts as passing it: this session is credited.
 */
export async function registerPasskey(
  deps: Deps,
  user: User,
  session: Session,
  input: { response: RegistrationResponseJSON; name?: string },
  client: ClientInfo,
): Promise<Result<{ passkey: Passkey; user: User; recoveryCodes: string[] | null }>> {
  const name = input.name === undefined ? defaultPasskeyName(deps, client) : cleanName(input.name);
  if (name === null)
    return fail("invalid_request", "Give the passkey a name of 1 to 64 characters.", {
      fields: { name: "Use 1 to 64 characters." },
    });
  const challenge = signedChallenge(input.response);
  if (!challenge) return fail("invalid_request", NOT_VERIFIED);
  const now = deps.now();
  const ceremony = await deps.repo.consumeRegistrationCeremony(challenge, user.id, session.id, now);
  if (!ceremony || ceremony.credentialsVersion === null)
    return fail("challenge_expired", "This passkey request has expired or was used. Start again.");
  const { rpID, origin } = relyingParty(deps);
  const { verifyRegistrationResponse } = await webauthn();
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
    });
  } catch {
    return fail("invalid_request", NOT_VERIFIED);
  }
  if (!verified.verified) return fail("invalid_request", NOT_VERIFIED);
  const info = verified.registrationInfo;
  const passkey: Passkey = {
    id: info.credential.id,
    userId: user.id,
    publicKey: Buffer.from(info.credential.publicKey),
    counter: info.credential.counter,
    transports: info.credential.transports ?? null,
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    name,
    createdAt: now,
    lastUsedAt: null,
  };

  const done = await deps.repo
    .transaction(async (repo) => {
      const before = await repo.bumpCredentialsVersion(user.id, now);
      // Race closed: a password reset or another factor change committed since the options were made. The
      // ceremony was authorised under those credentials; it authorises nothing under the new ones.
      if (!before || before.credentialsVersion !== ceremony.credentialsVersion! + 1)
        throw new Refusal(fail("credentials_changed", "Your security settings just changed. Start again."));
      if (!(await repo.insertPasskey(passkey)))
        throw new Refusal(fail("passkey_exists", "This passkey is already registered."));
      await repo.recountPasskeys(user.id);
      // Credits this session; when this is the first factor, also makes recovery codes and signs the others out.
      const { recoveryCodes } = await onFactorAdded(deps, repo, before, session, client);
      await repo.recordEvent({ userId: user.id, type: "passkey_added", ...eventClient(client) });
      await repo.enqueue({
        channel: "email",
        template: "second_factor_added",
        recipient: before.email,
        data: { ...greetingName(before), factor: "a passkey" },
      });
      return { passkey, user: (await repo.findUserById(user.id))!, recoveryCodes };
    })
    .catch(refusedWith);
  if ("ok" in done) return done;
  deps.messagesQueued();
  return ok(done);
}

/** Renaming is cosmetic: no step-up. Only the user's own passkey (another id answers as unknown). */
export async function renamePasskey(
  deps: Deps,
  user: User,
  id: string,
  input: { name: string },
  client: ClientInfo,
): Promise<Result<{ passkey: Passkey }>> {
  const name = cleanName(input.name);
  if (name === null)
    return fail("invalid_request", "Give the passkey a name of 1 to 64 characters.", {
      fields: { name: "Use 1 to 64 characters." },
    });
  const passkey = await deps.repo.renamePasskey(user.id, id, name);
  if (!passkey) return fail("not_found", NOT_FOUND);
  await deps.repo.recordEvent({ userId: user.id, type: "passkey_renamed", ...eventClient(client) });
  return ok({ passkey });
}

/**
 * Deleting a passkey is a security change (password, and a recent second factor while two-factor is on). The
 * version moves first, so a sign-in or step-up waiting on that passkey dies; the last real factor going turns
 * two-factor off (the lead's bookkeeping: recovery codes and trusted browsers go with it).
 */
export async function deletePasskey(
  deps: Deps,
  user: User,
  session: Session,
  id: string,
  input: { currentPassword: string },
  client: ClientInfo,
): Promise<Done> {
  const stepUp = requireRecentSecondFactor(deps, user, session);
  if (stepUp) return stepUp;
  // Checked before the password so that a wrong id costs no password attempt; checked again in the delete.
  const found = await deps.repo.findPasskey(id);
  if (found?.userId !== user.id) return fail("not_found", NOT_FOUND);
  const passwordFailure = await checkCurrentPassword(deps, user, input.currentPassword);
  if (passwordFailure) return passwordFailure;
  const done = await deps.repo
    .transaction(async (repo) => {
      const before = await repo.bumpCredentialsVersion(user.id, deps.now());
      if (!before || !(await repo.deletePasskey(user.id, id))) throw new Refusal(fail("not_found", NOT_FOUND));
      const after = await repo.recountPasskeys(user.id);
      await repo.recordEvent({ userId: user.id, type: "passkey_removed", ...eventClient(client) });
      // The last real factor going turns two-factor off, which sends its own email; otherwise this one.
      if (!(await onFactorRemoved(deps, repo, before, after, client)))
        await repo.enqueue({
          channel: "email",
          template: "second_factor_removed",
          recipient: before.email,
          data: { ...greetingName(before), factor: "a passkey" },
        });
      return {};
    })
    .catch(refusedWith);
  if ("ok" in done) return done;
  deps.messagesQueued();
  return ok({});
}
