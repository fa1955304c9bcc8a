"use client";

// WebOTP (https://wicg.github.io/web-otp/): Chrome on Android offers the code from an SMS whose last line is
// `@<our host> #<code>`. Not in TypeScript's DOM library yet, hence the local types.
interface OtpCredential extends Credential {
  code: string;
}

/**
 * Waits for the browser to offer a one-time code from an incoming SMS; resolves `null` where WebOTP is not
 * supported, the user dismisses the prompt, or `signal` aborts (page left, code typed by hand).
 */
export async function receiveSmsCode(signal: AbortSignal): Promise<string | null> {
  if (typeof window === "undefined" || !("OTPCredential" in window)) return null;
  try {
    const options = { otp: { transport: ["sms"] }, signal } as CredentialRequestOptions;
    const credential = (await navigator.credentials.get(options)) as OtpCredential | null;
    return credential?.code ?? null;
  } catch {
    return null;
  }
}
