import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  WebAuthnError,
} from "@simplewebauthn/browser";
import { type SmsError, TwofoldError, type TwoFactorMethod, type TwoFactorState, twoFactorMethods } from "@/src/client";
import { formatWait } from "./messages";

/** The methods a "Use another way" list names, as a person would: "Text a code to +1 ••• ••• 0123". */
export function methodName(method: TwoFactorMethod, phoneHint: string | null): string {
  switch (method) {
    case "sms":
      return phoneHint ? `Text a code to ${phoneHint}` : "Text a code to your phone";
    case "totp":
      return "Authenticator app";
    case "passkey":
      return "Passkey";
    case "recovery_code":
      return "A recovery code";
  }
}

/**
 * The second factors of an account (`user.twoFactor`), in the order the server offers them: passkey, app, text,
 * recovery code. Recovery codes count only beside a real factor, as on the server.
 */
export function methodsOf(twoFactor: TwoFactorState | null | undefined): TwoFactorMethod[] {
  if (!twoFactor) return [];
  const has: Record<TwoFactorMethod, boolean> = {
    passkey: Number(twoFactor.passkeys) > 0,
    totp: twoFactor.totp,
    sms: twoFactor.sms,
    recovery_code: twoFactor.recoveryCodesLeft > 0,
  };
  const methods = twoFactorMethods.filter((method) => has[method]);
  return methods.some((method) => method !== "recovery_code") ? methods : [];
}

/** Recovery codes are `abcd-efgh-jkmn`: 12 letters and digits; dashes, spaces and case do not matter. */
export const recoveryCodeLength = 12;

export function recoveryCodeProblem(code: string): string | null {
  return code.replace(/[\s-]/g, "").length === recoveryCodeLength
    ? null
    : "Enter the whole recovery code, 12 letters and digits (like abcd-efgh-jkmn).";
}

/**
 * Why the code cannot be texted, in plain words, pointing at the other ways in: "We can't text you right now:
 * too many codes were sent. Try again in 7 minutes, or use another way." `undefined` for other errors.
 */
export function cannotTextText(error: SmsError | TwofoldError | null, others: boolean): string | undefined {
  if (!error) return undefined;
  const wait = error.retryAfterSeconds ? `Try again in ${formatWait(error.retryAfterSeconds)}` : "Try again later";
  const tail = others ? `${wait}, or use another way.` : `${wait}.`;
  switch (error.code) {
    case "sms_limit":
      return `We can't text you right now: too many codes were sent. ${tail}`;
    case "sms_unavailable":
      return `We can't text you right now: our text messages aren't getting through. ${tail}`;
    case "phone_opted_out":
      return `We can't text you right now: your number has blocked our messages (reply START to our last text to undo that). ${others ? "Or use another way." : ""}`.trim();
    default:
      return undefined;
  }
}

/**
 * Asks the browser for a passkey assertion. A cancelled or timed-out prompt (the browser does not say which,
 * by design) and an unusable authenticator become a TwofoldError with a sentence for the page, so callers render
 * it like any API error.
 */
export async function passkeyAssertion(
  optionsJSON: PublicKeyCredentialRequestOptionsJSON,
): Promise<AuthenticationResponseJSON> {
  try {
    return await startAuthentication({ optionsJSON });
  } catch (caught) {
    throw passkeyError(caught);
  }
}

export function passkeyError(caught: unknown): TwofoldError {
  const name = caught instanceof Error ? caught.name : "";
  if (caught instanceof WebAuthnError && caught.code === "ERROR_CEREMONY_ABORTED") {
    return new TwofoldError({ status: 0, code: "passkey_aborted", message: "The passkey request was stopped." });
  }
  if (name === "NotAllowedError" || name === "AbortError") {
    return new TwofoldError({
      status: 0,
      code: "passkey_cancelled",
      message: "The passkey request was cancelled or timed out. Try again, or use another way.",
    });
  }
  return new TwofoldError({
    status: 0,
    code: "passkey_failed",
    message: "This browser couldn't use a passkey here. Try again, or use another way.",
  });
}
