"use client";
import Link from "next/link";
import { api } from "@/app/lib/api";
import { errorText } from "@/app/lib/messages";
import { useLinkToken } from "@/app/lib/use-link-token";
import { LinkLanding } from "@/app/components/LinkLanding";

/** Lands from the "sign-in is paused" email; the token rides in the fragment like every emailed link. */
export function UnlockSignIn() {
  const state = useLinkToken(api.unlockSignIn);

  if (state.kind === "checking")
    return <LinkLanding title="Unlocking sign-in…" message="One moment while we check your link." />;
  if (state.kind === "done") {
    const message =
      "You can sign in with your password again. If the failed attempts weren't yours, consider choosing a new password.";
    const signIn = (
      <Link href="/sign-in" className="button">
        Sign in
      </Link>
    );
    return <LinkLanding title="Sign-in unlocked" outcome="success" message={message} actions={signIn} />;
  }
  if (state.kind === "invalid") {
    const message = "Unlock links work once and expire after 24 hours. Resetting your password also unlocks sign-in.";
    const reset = (
      <Link href="/forgot-password" className="button">
        Reset your password
      </Link>
    );
    return <LinkLanding title="This link is invalid or expired" outcome="error" message={message} actions={reset} />;
  }
  return <LinkLanding title="We couldn't unlock sign-in" outcome="error" message={errorText(state.error)} />;
}
