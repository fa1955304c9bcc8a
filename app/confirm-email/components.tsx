"use client";
import Link from "next/link";
import { api } from "@/app/lib/api";
import { errorText } from "@/app/lib/messages";
import { useLinkToken } from "@/app/lib/use-link-token";
import { LinkLanding } from "@/app/components/LinkLanding";

export function ConfirmEmail({ signedIn }: { signedIn: boolean }) {
  const state = useLinkToken(api.confirmEmailChange);

  const next = signedIn ? (
    <Link href="/profile" className="button">
      Go to your profile
    </Link>
  ) : (
    <Link href="/sign-in" className="button">
      Sign in
    </Link>
  );

  if (state.kind === "checking")
    return <LinkLanding title="Confirming your new email…" message="One moment while we check your link." />;
  if (state.kind === "done") {
    const message = (
      <>
        From now on, sign in with <strong>{state.result.user.email}</strong>.
      </>
    );
    return <LinkLanding title="Email address changed" outcome="success" message={message} actions={next} />;
  }
  if (state.kind === "invalid") {
    const message =
      "Confirmation links work once and expire after a while. Request the change again from your profile.";
    return <LinkLanding title="This link is invalid or expired" outcome="error" message={message} actions={next} />;
  }
  if (state.error.code === "email_taken") {
    const message =
      "Another account now uses this email address, so yours was not changed. You can choose a different address on your profile.";
    return <LinkLanding title="That address is already in use" outcome="error" message={message} actions={next} />;
  }
  return (
    <LinkLanding
      title="We couldn't confirm your email"
      outcome="error"
      message={errorText(state.error)}
      actions={next}
    />
  );
}
