"use client";
import Link from "next/link";
import { isTwoFactorRequired } from "@/src/client";
import { api } from "@/app/lib/api";
import { errorText, smsErrorText } from "@/app/lib/messages";
import { useLinkToken } from "@/app/lib/use-link-token";
import { EmailAddress } from "@/app/components/EmailAddress";
import { LinkLanding } from "@/app/components/LinkLanding";
import { ResendVerification } from "@/app/components/ResendVerification";

/** `verifiedEmail`: the signed-in user's address when it is verified, to word a link opened again. */
export function VerifyEmail({ verifiedEmail }: { verifiedEmail: string | null }) {
  const state = useLinkToken(async (input: { token: string }) => {
    const result = await api.verifyEmail(input);
    // A full load, not a client navigation: the header and every cached page must see the new session.
    window.location.replace(isTwoFactorRequired(result) ? "/sign-in/verify" : "/profile?notice=email-verified");
    return result;
  });

  if (state.kind === "checking")
    return <LinkLanding title="Verifying your email…" message="One moment while we check your link." />;
  // No outcome yet: the page is on its way to the profile (or the sign-in code).
  if (state.kind === "done")
    return <LinkLanding title="Email verified" message="You're signed in. Taking you to your profile…" />;
  // A spent link under a signed-in header: the link did its work before, so say what is true now.
  if (state.kind === "invalid" && verifiedEmail) {
    return (
      <LinkLanding
        title="Your email is already verified"
        outcome="success"
        message={
          <>
            You&apos;re signed in as{" "}
            <strong>
              <EmailAddress email={verifiedEmail} />
            </strong>
            , and that address is verified. Verification links work once, so this one has nothing left to do.
          </>
        }
        actions={
          <Link href="/profile" className="button">
            Go to your profile
          </Link>
        }
      />
    );
  }
  if (state.kind === "invalid") {
    return (
      <LinkLanding title="This link is invalid or expired" outcome="error">
        <p className="muted">
          Verification links work once and expire after a while. Enter your email and we&apos;ll send a fresh one.
        </p>
        <ResendVerification idPrefix="verify-resend" />
      </LinkLanding>
    );
  }
  const { error } = state;
  // The link worked (it is spent now) but the account's password or factors changed meanwhile, so no session was
  // made from it: the address is verified, and signing in is what is left.
  if (error.code === "credentials_changed") {
    return (
      <LinkLanding title="Email verified: please sign in" outcome="info" message={error.message}>
        <p className="muted small" style={{ marginTop: "1rem" }}>
          Your account&apos;s sign-in details changed while this link was being opened, so we didn&apos;t sign you in
          with it.
        </p>
        <Link href="/sign-in" className="button">
          Sign in
        </Link>
      </LinkLanding>
    );
  }
  return (
    <LinkLanding
      title="We couldn't verify your email"
      outcome="error"
      message={smsErrorText(error) ?? errorText(error)}
    >
      <p className="muted small" style={{ marginTop: "1rem" }}>
        Open the link from your email again to retry, or <Link href="/sign-in">sign in</Link>.
      </p>
    </LinkLanding>
  );
}
