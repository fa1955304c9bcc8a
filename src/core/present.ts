import { parsePhoneNumberFromString } from "libphonenumber-js";
import type { ClientInfo, Session, User } from "./types";

/** `+1 ••• ••• 4567`: enough for the owner to recognise the number, too little to harvest it. */
export function maskPhoneNumber(e164: string): string {
  const digits = e164.replace(/\D/g, "");
  // Country codes are 1–3 digits and not derivable from the length: guessing by length showed +33 (France)
  // as "+3" and +353 (Ireland) as "+35". libphonenumber knows the calling-code table.
  const countryCode =
    parsePhoneNumberFromString(`+${digits}`)?.countryCallingCode ?? digits.slice(0, digits.length > 11 ? 2 : 1);
  return `+${countryCode} ••• ••• ${digits.slice(-4)}`;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The name an email to `recipient` may greet with, as template data: `{ name }`, or `{}` for "Hi,". Only the
 * owner of a verified address gave the account its name. Before that the name is whatever a sign-up typed, and
 * anyone can sign up with anyone's address: "Hi www.evil.test — click to secure your account," would be a
 * stranger's text in the victim's inbox, under our name. The same goes for an address the account is only
 * moving to (email change): its owner has not confirmed anything yet.
 */
export function greetingName(
  user: Pick<User, "name" | "email" | "emailVerifiedAt">,
  recipient: string = user.email,
): { name?: string } {
  return user.emailVerifiedAt !== null && recipient === user.email ? { name: user.name } : {};
}

/**
 * The public shape of a user (API.md `user`). `audience` says who reads it: the user's own signed-in session sees
 * their number in full (so a typo can be spotted); an answer to a bare emailed link does not, since whoever holds
 * the link has not proved they own the account.
 */
export function presentUser(user: User, audience: "owner" | "link-holder" = "owner") {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    name: user.name,
    avatarUrl: user.avatarVersion > 0 ? `/api/users/${user.id}/avatar?v=${user.avatarVersion}` : null,
    phoneNumber: user.phoneNumber ? maskPhoneNumber(user.phoneNumber) : null,
    // Emails, texts, logs and the sign-in challenge (before the second factor) keep the masked form.
    phoneNumberFull: audience === "owner" ? user.phoneNumber : null,
    phoneVerified: user.phoneVerifiedAt !== null,
    twoFactor: {
      sms: user.twoFactorSms && user.phoneVerifiedAt !== null,
      totp: user.twoFactorTotp,
      passkeys: user.passkeyCount,
      recoveryCodesLeft: user.recoveryCodesLeft,
    },
    createdAt: user.createdAt.toISOString(),
  };
}

export type PublicUser = ReturnType<typeof presentUser>;

export function presentSession(session: Session, expiresAt: Date) {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastSeenAt: session.lastSeenAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    assuranceLevel: session.assuranceLevel,
    /** When this session last passed a second factor; security changes need it within the step-up window. */
    secondFactorAt: session.secondFactorAt?.toISOString() ?? null,
  };
}

/** Who made a request, as a security event records it (the user agent capped: it is client-chosen text). */
export function eventClient(client: ClientInfo): { ip: string; userAgent: string | null } {
  return { ip: client.ip, userAgent: client.userAgent?.slice(0, 512) ?? null };
}
