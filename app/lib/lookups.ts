/**
 * Lookups keyed by text from outside the code: a query string, an API answer, a stored name. A plain object
 * would answer `?notice=toString` or `constructor` with Object.prototype's function (rendered, that is a 500),
 * so only the table's own keys count. Relative imports only: unit tests load this file without the app's aliases.
 */
export function ownEntry<V>(table: Readonly<Record<string, V>>, key: unknown): V | undefined {
  return typeof key === "string" && Object.hasOwn(table, key) ? table[key] : undefined;
}

// Notices are chosen from these lists by key (`?notice=key`, after a redirect); text from the URL is never rendered.
// One sentence for both pages that take `?notice=signed-out`: home (where the Sign out button lands) and sign-in.
const signedOut = "You're signed out.";

const signInNotices: Readonly<Record<string, string>> = {
  "password-reset": "Your password was changed and every session was signed out. Sign in with your new password.",
  "signed-out": signedOut,
  // After a page found this browser's session gone (app/sign-out/ended): what ended it is not known here.
  "session-ended":
    "You were signed out: this session was ended from another device, by a password change, or it expired. Sign in again to continue.",
  "sign-in-ended":
    "Your last sign-in ended before a code was accepted. Enter your email and password again and we'll text you a new code.",
};

const securityNotices: Readonly<Record<string, string>> = {
  "phone-verified": "Your phone number is verified. You can turn on two-factor sign-in below.",
};

const homeNotices: Readonly<Record<string, string>> = {
  "signed-out": signedOut,
  "account-deleted": "Your account was deleted. A last email confirming it is on its way to you.",
};

const profileNotices: Readonly<Record<string, string>> = {
  "email-verified": "Your email address is verified, and you're signed in.",
};

/** The sentence for /sign-in?notice=…; undefined for a missing, repeated (an array) or unknown key. */
export const signInNotice = (key: unknown): string | undefined => ownEntry(signInNotices, key);

/** The sentence for /profile/security?notice=…. */
export const securityNotice = (key: unknown): string | undefined => ownEntry(securityNotices, key);

/** The sentence for /?notice=… (the home page a sign-out lands on). */
export const homeNotice = (key: unknown): string | undefined => ownEntry(homeNotices, key);

/** The sentence for /profile?notice=… (where a verification link lands). */
export const profileNotice = (key: unknown): string | undefined => ownEntry(profileNotices, key);
