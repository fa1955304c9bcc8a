import type { Deps } from "./deps";
import { newPasswordWeakness } from "./passwords";
import { fail, ok, type Result, type Done } from "./result";
import { createSession, sessionCookieExpiresAt } from "./sessions";
import { issueKnownDevice } from "./sign-in-throttle";
import { requireRecentSecondFactor } from "./step-up";
import { forgetTrustedBrowsers } from "./trusted-browsers";
import { eventClient } from "./present";
import type { ClientInfo, Session, User } from "./types";
import { checkCurrentPassword } from "./reauthenticate";
import { normaliseAvatar } from "./avatar-image";
import { AVATAR_MAX_BYTES, avatarMessages, type AvatarType } from "./avatar-rules";

export async function updateProfile(
  deps: Deps,
  user: User,
  input: { name: string },
  client: ClientInfo,
): Promise<Result<{ user: User }>> {
  const updated = await deps.repo.transaction(async (repo) => {
    const next = await repo.updateName(user.id, input.name.trim());
    await repo.recordEvent({ userId: user.id, type: "profile_updated", ...eventClient(client) });
    return next;
  });
  return ok({ user: updated });
}

/**
 * Needs the current password (and, while 2FA is on, a recent second factor), so a borrowed session cannot lock
 * the owner out. Every session ends, this one included: if the password leaked, so may have a session. This
 * browser gets a new token (rotation, as at sign-in) carrying over its second-factor credit; the old token dies.
 */
export async function changePassword(
  deps: Deps,
  user: User,
  currentSession: Session,
  input: { currentPassword: string; newPassword: string },
  client: ClientInfo,
): Promise<Result<{ token: string; session: Session; knownDevice: string }>> {
  const stepUp = requireRecentSecondFactor(deps, user, currentSession);
  if (stepUp) return stepUp;
  const wrongPassword = await checkCurrentPassword(deps, user, input.currentPassword);
  if (wrongPassword) return wrongPassword;
  const weakness = await newPasswordWeakness(deps, input.newPassword, { email: user.email, name: user.name });
  if (weakness) return fail("weak_password", weakness, { fields: { newPassword: weakness } });
  const newHash = await deps.passwordHasher.hash(input.newPassword);
  const rotated = await deps.repo.transaction(async (repo) => {
    // First: the version bump locks the user row, so sign-ins checked against the old password cannot insert a
    // session after this; their open challenges die, and so do reset links (one would undo this change).
    const current = await repo.bumpCredentialsVersion(user.id, deps.now());
    if (!current) return null;
    await repo.setPasswordHash(user.id, newHash);
    await repo.deleteUserSessions(user.id);
    // Browsers trusted under the old password, a thief's among them maybe, must pass the second step again.
    await forgetTrustedBrowsers(repo, user.id);
    await repo.recordEvent({ userId: user.id, type: "password_changed", ...eventClient(client) });
    await repo.enqueue({
      channel: "email",
      template: "password_changed",
      recipient: user.email,
      data: { name: user.name },
    });
    return createSession(deps, current, client, { secondFactorAt: currentSession.secondFactorAt, repo });
  });
  if (!rotated) return fail("unauthenticated", "Sign in to continue.");
  deps.messagesQueued();
  // The old known-device cookie was bound to the old password: this browser, which just proved the password, gets
  // one for the new one (every other device is a stranger now).
  return ok({ ...rotated, knownDevice: issueKnownDevice(deps, user.id, newHash) });
}

/** The type comes from the file's magic bytes: a declared Content-Type is attacker-controlled. */
export function sniffImageType(bytes: Buffer): AvatarType | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return "image/png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 12 && bytes.toString("latin1", 0, 4) === "RIFF" && bytes.toString("latin1", 8, 12) === "WEBP")
    return "image/webp";
  return null;
}

export type AvatarFailure = { ok: false; code: "unsupported_media_type" | "payload_too_large"; message: string };

/**
 * Only PNG, JPEG and WebP reach the decoder (sniffed first: libvips reads SVG, TIFF, PDF and more, each a parser we
 * do not want facing the internet); what is stored is the re-encoded square, never the uploaded bytes.
 */
export async function setAvatar(
  deps: Deps,
  user: User,
  bytes: Buffer,
  client: ClientInfo,
): Promise<{ ok: true; user: User } | AvatarFailure> {
  if (bytes.length > AVATAR_MAX_BYTES) return { ok: false, code: "payload_too_large", message: avatarMessages.rule };
  if (!sniffImageType(bytes)) return { ok: false, code: "unsupported_media_type", message: avatarMessages.rule };
  const image = await normaliseAvatar(bytes);
  if (!image.ok)
    return image.reason === "too_many_pixels"
      ? { ok: false, code: "payload_too_large", message: avatarMessages.tooManyPixels }
      : { ok: false, code: "unsupported_media_type", message: avatarMessages.unreadable };
  const updated = await deps.repo.transaction(async (repo) => {
    const next = await repo.setAvatar(user.id, image.contentType, image.bytes);
    await repo.recordEvent({ userId: user.id, type: "avatar_changed", ...eventClient(client) });
    return next;
  });
  return { ok: true, user: updated };
}

export async function removeAvatar(deps: Deps, user: User): Promise<void> {
  await deps.repo.deleteAvatar(user.id);
}

export async function listSessions(deps: Deps, user: User): Promise<Array<{ session: Session; expiresAt: Date }>> {
  const sessions = await deps.repo.listUserSessions(user.id, deps.now());
  return sessions
    .map((session) => ({ session, expiresAt: sessionCookieExpiresAt(deps, session) }))
    .filter(({ expiresAt }) => expiresAt.getTime() > deps.now().getTime());
}

/** Scoped to the owner: another user's session id is simply not found. Needs step-up while 2FA is on. */
export async function revokeSession(
  deps: Deps,
  user: User,
  currentSession: Session,
  sessionId: string,
  client: ClientInfo,
): Promise<Done> {
  if (sessionId !== currentSession.id) {
    const stepUp = requireRecentSecondFactor(deps, user, currentSession);
    if (stepUp) return stepUp;
  }
  const deleted = await deps.repo.deleteUserSession(user.id, sessionId);
  if (!deleted) return fail("not_found", "No such session.");
  await deps.repo.recordEvent({ userId: user.id, type: "session_revoked", ...eventClient(client) });
  return ok({});
}

/** Needs step-up while 2FA is on: a session that never passed the factor must not sign out the ones that did. */
export async function revokeOtherSessions(
  deps: Deps,
  user: User,
  currentSession: Session,
  client: ClientInfo,
): Promise<Done> {
  const stepUp = requireRecentSecondFactor(deps, user, currentSession);
  if (stepUp) return stepUp;
  await deps.repo.deleteUserSessions(user.id, currentSession.id);
  await deps.repo.recordEvent({ userId: user.id, type: "other_sessions_revoked", ...eventClient(client) });
  return ok({});
}
