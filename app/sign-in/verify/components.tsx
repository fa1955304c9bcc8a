"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import {
  attemptsLeftOf,
  type SecondFactorProof,
  type SmsError,
  type TwoFactorChallengeStatus,
  type TwoFactorMethod,
} from "@/src/client";
import { api } from "@/app/lib/api";
import { errorText, toTwofoldError } from "@/app/lib/messages";
import type { CodeOut } from "@/app/lib/use-code-entry";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";
import { ChallengeGone } from "@/app/components/CodeChallenge";
import { OtherWays, TrustBrowserBox } from "@/app/components/SecondFactor";
import { gone, isChallengeGone } from "./gone";
import { LostAccess } from "./lost-access";
import { CodeStep, PasskeyStep, SmsBlocked, SmsStep } from "./steps";

type State =
  | { kind: "loading" }
  | { kind: "gone" }
  | { kind: "failed"; message: string }
  | { kind: "ready"; challenge: TwoFactorChallengeStatus };

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
  return <SecondStep challenge={state.challenge} />;
}

/**
 * The second step of a sign-in, with whichever factor: it opens on the challenge's first method (the server's
 * order: passkey, app, text, recovery code) and "Use another way" switches. The wrong-answer budget is the
 * challenge's, shared by every method.
 */
function SecondStep({ challenge }: { challenge: TwoFactorChallengeStatus }) {
  const { methods, phoneHint } = challenge;
  const [method, setMethod] = useState<TwoFactorMethod>(methods[0] ?? "sms");
  // SMS is texted at sign-in only when it is the first step; otherwise when chosen.
  const [smsOut, setSmsOut] = useState<CodeOut | null>(methods[0] === "sms" && !challenge.smsError ? challenge : null);
  // The server keeps why the first text did not go (a limit and its wait, the provider) on the challenge.
  const [smsError, setSmsError] = useState<SmsError | null>(challenge.smsError ?? null);
  const [starting, setStarting] = useState<TwoFactorMethod | null>(null);
  const [trust, setTrust] = useState(false);
  const [ended, setEnded] = useState(false);
  // The challenge's wrong-answer budget, as last reported: a step opened after a switch starts from it.
  const [attemptsLeft, setAttemptsLeft] = useState(challenge.attemptsLeft);

  async function finish(proof: SecondFactorProof): Promise<"navigating"> {
    try {
      await api.verifyTwoFactor(trust ? { ...proof, trustDevice: true } : proof);
    } catch (caught) {
      const left = attemptsLeftOf(toTwofoldError(caught));
      if (left !== null) setAttemptsLeft(left);
      throw caught;
    }
    // Full page load: the header and every cached page must pick up the new session.
    window.location.assign("/profile");
    return "navigating";
  }

  async function choose(next: TwoFactorMethod) {
    if (next !== "sms" || smsOut) return setMethod(next);
    setStarting("sms");
    try {
      setSmsOut(await api.sendTwoFactorCode({ method: "sms" }));
      setSmsError(null);
    } catch (caught) {
      const error = toTwofoldError(caught);
      if (isChallengeGone(error)) return setEnded(true);
      // A code went out less than a minute ago (sent, then another way chosen, then back): it still works.
      const current = error.code === "resend_too_soon" ? await api.getTwoFactorChallenge().catch(() => null) : null;
      if (current) setSmsOut(current);
      else
        setSmsError({
          code: error.code,
          message: errorText(error),
          retryAfterSeconds: error.retryAfterSeconds ?? undefined,
        });
    } finally {
      setStarting(null);
    }
    setMethod("sms");
  }

  if (ended) return <ChallengeGone {...gone} />;

  const cannotText = method === "sms" && !smsOut;
  const others = (
    <div className="stack-tight">
      <OtherWays
        key={method}
        methods={methods}
        current={method}
        phoneHint={phoneHint}
        onChoose={choose}
        starting={starting}
        defaultOpen={cannotText}
      />
      <LostAccess />
    </div>
  );
  const trustBox = <TrustBrowserBox id="sign-in-trust-device" checked={trust} onChange={setTrust} />;
  const footer = (
    <>
      Not your account? <Link href="/sign-in">Start over</Link>
    </>
  );
  const step = { others, trustBox, footer, onGone: () => setEnded(true) };

  if (method === "sms") {
    if (!smsOut) {
      return (
        <SmsBlocked
          {...step}
          error={smsError}
          hasOthers={methods.length > 1}
          retry={() => choose("sms")}
          retrying={starting === "sms"}
        />
      );
    }
    return (
      <SmsStep
        {...step}
        challenge={{ ...smsOut, phoneHint, attemptsLeft }}
        hasOthers={methods.length > 1}
        verify={(code) => finish({ method: "sms", code })}
      />
    );
  }
  if (method === "passkey") return <PasskeyStep {...step} finish={finish} />;
  return (
    <CodeStep
      {...step}
      key={method}
      method={method}
      attemptsLeft={attemptsLeft}
      expiresAt={challenge.expiresAt}
      verify={(code) => finish({ method, code })}
    />
  );
}
