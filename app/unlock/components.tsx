"use client";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { api } from "@/app/lib/api";
import { errorText, toTwofoldError } from "@/app/lib/messages";
import { useFragmentToken } from "@/app/lib/fragment-token";
import { Card } from "@/app/components/Card";

type State = { kind: "checking" } | { kind: "done" } | { kind: "invalid" } | { kind: "failed"; message: string };

/** Lands from the "sign-in is paused" email; the token rides in the fragment like every emailed link. */
export function UnlockSignIn() {
  const token = useFragmentToken();
  const [state, setState] = useState<State>({ kind: "checking" });
  const headingRef = useRef<HTMLHeadingElement>(null);
  const sent = useRef(false);

  useEffect(() => {
    if (token === undefined || sent.current) return;
    sent.current = true;
    if (!token) return setState({ kind: "invalid" });
    api.unlockSignIn({ token }).then(
      () => setState({ kind: "done" }),
      (caught) => {
        const error = toTwofoldError(caught);
        setState(error.code === "invalid_token" ? { kind: "invalid" } : { kind: "failed", message: errorText(error) });
      },
    );
  }, [token]);

  useEffect(() => {
    if (state.kind !== "checking") headingRef.current?.focus();
  }, [state.kind]);

  const [title, body, tone]: [string, string, "ok" | "error" | null] =
    state.kind === "checking"
      ? ["Unlocking sign-in…", "One moment while we check your link.", null]
      : state.kind === "done"
        ? ["Sign-in unlocked", "You can sign in with your password again. If the failed attempts weren't yours, consider choosing a new password.", "ok"]
        : state.kind === "invalid"
          ? ["This link is invalid or expired", "Unlock links work once and expire after 24 hours. Resetting your password also unlocks sign-in.", "error"]
          : ["We couldn't unlock sign-in", state.message, "error"];

  return (
    <Card narrow>
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      <div role={tone === "error" ? "alert" : "status"} aria-live="polite">
        {tone ? <div className={tone === "ok" ? "alert alert-success" : "alert alert-error"}><p>{body}</p></div> : <p className="muted">{body}</p>}
      </div>
      {state.kind === "done" && (
        <div style={{ marginTop: "1.25rem" }}>
          <Link href="/sign-in" className="button">
            Sign in
          </Link>
        </div>
      )}
      {state.kind === "invalid" && (
        <div style={{ marginTop: "1.25rem" }}>
          <Link href="/forgot-password" className="button">
            Reset your password
          </Link>
        </div>
      )}
    </Card>
  );
}
