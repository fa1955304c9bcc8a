"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import type { TwoFactorChallengeStatus } from "@/src/client";
import { api } from "@/app/lib/api";
import { errorText, toTwofoldError } from "@/app/lib/messages";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";
import { ChallengeGone, CodeChallenge } from "@/app/components/CodeChallenge";

type State =
  | { kind: "loading" }
  | { kind: "gone" }
  | { kind: "failed"; message: string }
  | { kind: "ready"; challenge: TwoFactorChallengeStatus };

const gone = {
  title: "Your sign-in expired",
  // The sign-in page says why the user is back there (a notice picked by key, see app/sign-in/page.tsx).
  restart: { href: "/sign-in?notice=sign-in-ended", label: "Sign in again" },
  children: (
    <p>
      For your security, a sign-in waits only a few minutes for its code and ends after too many wrong codes. Start
      again with your email and password; we&apos;ll text you a new code.
    </p>
  ),
};

export function SignInVerification() {
  const [state, setState] = useState<State>({ kind: "loading" });

  useEffect(() => {
    api.getTwoFactorChallenge().then(
      (challenge) => setState({ kind: "ready", challenge }),
      (caught) => {
        const error = toTwofoldError(caught);
        setState(
          error.status === 404 || error.status === 410
            ? { kind: "gone" }
            : { kind: "failed", message: errorText(error) },
        );
      },
    );
  }, []);

  if (state.kind === "gone") return <ChallengeGone {...gone} />;
  if (state.kind === "loading" || state.kind === "failed") {
    return (
      <Card narrow title="Enter your sign-in code">
        {state.kind === "loading" ? (
          <p className="muted" role="status">
            Loading…
          </p>
        ) : (
          <div className="stack-tight">
            <div className="alert alert-error" role="alert">
              <p>{state.message}</p>
            </div>
            <div className="form-row">
              <Button onClick={() => window.location.reload()}>Try again</Button>
              <Link href="/sign-in">Back to sign in</Link>
            </div>
          </div>
        )}
      </Card>
    );
  }

  const { challenge } = state;
  return (
    <CodeChallenge
      idPrefix="sign-in-code"
      title="Enter your sign-in code"
      challenge={challenge}
      verify={async (code) => {
        await api.verifyTwoFactor({ method: "sms", code });
        // Full page load: the header and every cached page must pick up the new session.
        window.location.assign("/profile");
        return "navigating";
      }}
      resend={() => api.sendTwoFactorCode({ method: "sms" })}
      gone={gone}
      footer={
        <>
          Not your account, or no access to this phone? <Link href="/sign-in">Start over</Link>
        </>
      }
    />
  );
}
