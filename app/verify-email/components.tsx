"use client";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { isTwoFactorRequired } from "@/src/client";
import { api } from "@/app/lib/api";
import { errorText, smsErrorText, toTwofoldError } from "@/app/lib/messages";
import { useFragmentToken } from "@/app/lib/fragment-token";
import { Card } from "@/app/components/Card";
import { ResendVerification } from "@/app/components/ResendVerification";

type State = { kind: "checking" } | { kind: "done" } | { kind: "invalid" } | { kind: "verified-not-signed-in"; message: string } | { kind: "failed"; message: string };

export function VerifyEmail() {
  const token = useFragmentToken();
  const [state, setState] = useState<State>({ kind: "checking" });
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Tokens are single-use: one POST per page load, even under React's development double effects.
  const sent = useRef(false);

  useEffect(() => {
    if (token === undefined || sent.current) return;
    sent.current = true;
    if (!token) return setState({ kind: "invalid" });
    api.verifyEmail({ token }).then(
      (result) => {
        setState({ kind: "done" });
        // A full load, not a client navigation: the header and every cached page must see the new session.
        window.location.replace(isTwoFactorRequired(result) ? "/sign-in/verify" : "/profile");
      },
      (caught) => {
        const error = toTwofoldError(caught);
        if (error.code === "invalid_token") return setState({ kind: "invalid" });
        // The link worked (it is spent now) but the account's password or factors changed meanwhile, so no session
        // was made from it: the address is verified, and signing in is what is left.
        if (error.code === "credentials_changed") return setState({ kind: "verified-not-signed-in", message: error.message });
        setState({ kind: "failed", message: smsErrorText(error) ?? errorText(error) });
      },
    );
  }, [token]);

  useEffect(() => {
    if (state.kind === "invalid" || state.kind === "failed" || state.kind === "verified-not-signed-in") headingRef.current?.focus();
  }, [state.kind]);

  if (state.kind === "invalid") {
    return (
      <Card narrow>
        <h1 ref={headingRef} tabIndex={-1}>
          This link is invalid or expired
        </h1>
        <p className="muted">Verification links work once and expire after a while. Enter your email and we&apos;ll send a fresh one.</p>
        <ResendVerification idPrefix="verify-resend" />
      </Card>
    );
  }
  if (state.kind === "verified-not-signed-in") {
    return (
      <Card narrow>
        <h1 ref={headingRef} tabIndex={-1}>
          Email verified: please sign in
        </h1>
        <div className="alert alert-info" role="status">
          <p>{state.message}</p>
        </div>
        <p className="muted small" style={{ marginTop: "1rem" }}>
          Your account&apos;s sign-in details changed while this link was being opened, so we didn&apos;t sign you in with it.
        </p>
        <Link href="/sign-in" className="button">
          Sign in
        </Link>
      </Card>
    );
  }
  if (state.kind === "failed") {
    return (
      <Card narrow>
        <h1 ref={headingRef} tabIndex={-1}>
          We couldn&apos;t verify your email
        </h1>
        <div className="alert alert-error" role="alert">
          <p>{state.message}</p>
        </div>
        <p className="muted small" style={{ marginTop: "1rem" }}>
          Open the link from your email again to retry, or <Link href="/sign-in">sign in</Link>.
        </p>
      </Card>
    );
  }
  return (
    <Card narrow title={state.kind === "done" ? "Email verified" : "Verifying your email…"}>
      <p className="muted" role="status" aria-live="polite">
        {state.kind === "done" ? "You're signed in. Taking you to your profile…" : "One moment while we check your link."}
      </p>
    </Card>
  );
}
