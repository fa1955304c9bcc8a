"use client";
import Link from "next/link";
import { api } from "@/app/lib/api";
import { errorText } from "@/app/lib/messages";
import { useLinkToken } from "@/app/lib/use-link-token";
import { LinkLanding } from "@/app/components/LinkLanding";
import { LocalTime } from "@/app/components/LocalTime";

const signInLink = (
  <Link href="/sign-in" className="button">
    Sign in
  </Link>
);

/**
 * The emailed account-recovery link (`/account-recovery#token=…`): confirming it starts the 24-hour wait after
 * which the next sign-in with the password removes every second factor. The server tells every contact on
 * file at once, so an owner whose password was stolen hears of it in time to cancel.
 */
export function AccountRecoveryLanding() {
  const state = useLinkToken((input: { token: string }) => api.confirmAccountRecovery(input));

  if (state.kind === "checking")
    return <LinkLanding title="Starting account recovery…" message="One moment while we check your link." />;
  if (state.kind === "done") {
    return (
      <LinkLanding
        title="Account recovery started"
        outcome="info"
        message={
          <>
            Your second factors will be removed on <LocalTime iso={state.result.readyAt} />.
          </>
        }
        actions={signInLink}
      >
        <div className="muted" style={{ marginTop: "1rem" }}>
          <p>
            We told you on every channel we have for you (email, and a text to your phone if you added one), so that you
            hear about it wherever you are.
          </p>
          <p>
            After that time, sign in with your password: you&apos;ll get in without a second step, and can set up
            two-factor sign-in again.
          </p>
          <p>
            <strong>If this wasn&apos;t you</strong>, sign in and cancel it from your profile. Signing in with any of
            your second factors cancels it too. Then change your password: whoever started this knows it.
          </p>
        </div>
      </LinkLanding>
    );
  }
  if (state.kind === "invalid") {
    return (
      <LinkLanding title="This link is invalid or expired" outcome="error" actions={signInLink}>
        <p className="muted">
          Recovery links work once and expire after an hour. To get a new one, sign in with your password and choose
          &ldquo;Lost access to all of these?&rdquo;.
        </p>
      </LinkLanding>
    );
  }
  const { error } = state;
  if (error.status === 404 && error.code === "not_found") {
    return (
      <LinkLanding title="Account recovery is off" outcome="info" actions={signInLink}>
        <p className="muted">
          This site doesn&apos;t offer account recovery by email. Contact the site&apos;s operator (the people who run
          it) to get back into your account.
        </p>
      </LinkLanding>
    );
  }
  if (error.code === "credentials_changed") {
    return (
      <LinkLanding title="This link no longer works" outcome="info" message={error.message} actions={signInLink}>
        <p className="muted" style={{ marginTop: "1rem" }}>
          Your account&apos;s sign-in details changed after this link was sent, so it can&apos;t start a recovery. If
          you still need one, sign in and ask again.
        </p>
      </LinkLanding>
    );
  }
  return (
    <LinkLanding title="We couldn't start account recovery" outcome="error" message={errorText(error)}>
      <p className="muted small" style={{ marginTop: "1rem" }}>
        Open the link from your email again to retry, or <Link href="/sign-in">sign in</Link>.
      </p>
    </LinkLanding>
  );
}
