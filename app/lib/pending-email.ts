"use client";

// The address from sign-up, kept for the "resend" form on /check-email. Session storage rather than the
// URL: an email address in a query string ends up in history, logs and analytics.
const key = "twofold:pending-email";

export function rememberPendingEmail(email: string): void {
  try {
    sessionStorage.setItem(key, email);
  } catch {
    // Storage disabled (private mode, policy): the user simply types the address again.
  }
}

export function readPendingEmail(): string {
  try {
    return sessionStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}
