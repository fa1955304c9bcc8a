"use client";
import Link from "next/link";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { api } from "@/app/lib/api";
import { errorText, toTwofoldError } from "@/app/lib/messages";
import { useFragmentToken } from "@/app/lib/fragment-token";
import { Card } from "@/app/components/Card";

type State =
  | { kind: "checking" }
  | { kind: "done"; email: string }
  | { kind: "invalid" }
  | { kind: "taken" }
  | { kind: "failed"; message: string };

export function ConfirmEmail({ signedIn }: { signedIn: boolean }) {
  const token = useFragmentToken();
  const [state, setState] = useState<State>({ kind: "checking" });
  const headingRef = useRef<HTMLHeadingElement>(null);
  const sent = useRef(false);

  useEffect(() => {
    if (token === undefined || sent.current) return;
    sent.current = true;
    if (!token) return setState({ kind: "invalid" });
    api.confirmEmailChange({ token }).then(
      ({ user }) => setState({ kind: "done", email: user.email }),
      (caught) => {
        const error = toTwofoldError(caught);
        if (error.code === "invalid_token") setState({ kind: "invalid" });
        else if (error.code === "email_taken") setState({ kind: "taken" });
        else setState({ kind: "failed", message: errorText(error) });
      },
    );
  }, [token]);

  useEffect(() => {
    if (state.kind !== "checking") headingRef.current?.focus();
  }, [state.kind]);

  const next = signedIn ? (
    <Link href="/profile" className="button">
      Go to your profile
    </Link>
  ) : (
    <Link href="/sign-in" className="button">
      Sign in
    </Link>
  );

  const [title, body, tone]: [string, ReactNode, "ok" | "error" | null] =
    state.kind === "checking"
      ? ["Confirming your new email…", "One moment while we check your link.", null]
      : state.kind === "done"
        ? ["Email address changed", <>From now on, sign in with <strong>{state.email}</strong>.</>, "ok"]
        : state.kind === "taken"
          ? ["That address is already in use", "Another account now uses this email address, so yours was not changed. You can choose a different address on your profile.", "error"]
          : state.kind === "invalid"
            ? ["This link is invalid or expired", "Confirmation links work once and expire after a while. Request the change again from your profile.", "error"]
            : ["We couldn't confirm your email", state.message, "error"];

  return (
    <Card narrow>
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      <div role={tone === "error" ? "alert" : "status"} aria-live="polite">
        {tone ? <div className={tone === "ok" ? "alert alert-success" : "alert alert-error"}><p>{body}</p></div> : <p className="muted">{body}</p>}
      </div>
      {state.kind !== "checking" && <div style={{ marginTop: "1.25rem" }}>{next}</div>}
    </Card>
  );
}
