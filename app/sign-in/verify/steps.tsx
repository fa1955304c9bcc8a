"use client";
import type { FormEvent, ReactNode } from "react";
import { attemptsLeftOf, type SecondFactorProof, type SmsError } from "@/src/client";
import { api } from "@/app/lib/api";
import { toTwofoldError } from "@/app/lib/messages";
import { cannotTextText, passkeyAssertion } from "@/app/lib/second-factor";
import type { CodeOut } from "@/app/lib/use-code-entry";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";
import { ChallengeGone, CodeChallenge } from "@/app/components/CodeChallenge";
import { codeLength } from "@/app/components/CodeField";
import { FormError } from "@/app/components/FormError";
import { type CodeMethod, FactorCodeField, useFactorCode } from "@/app/components/SecondFactor";
import { gone, isChallengeGone } from "./gone";

/** What every step shows around its own form. */
interface StepFrame {
  /** "Use another way" and "Lost access to all of these?". */
  others: ReactNode;
  /** "Don't ask again on this browser", inside the step's form. */
  trustBox: ReactNode;
  footer: ReactNode;
  /** The challenge ended (expired, credentials changed) while this step was open. */
  onGone: () => void;
}

const title = "Enter your sign-in code";

/** The texted code: CodeChallenge, as for phone verification, plus the sign-in's extras. */
export function SmsStep({
  challenge,
  verify,
  hasOthers,
  others,
  trustBox,
  footer,
}: StepFrame & {
  challenge: CodeOut & { phoneHint: string | null };
  verify: (code: string) => Promise<"navigating">;
  hasOthers: boolean;
}) {
  return (
    <CodeChallenge
      idPrefix="sign-in-code"
      title={title}
      challenge={challenge}
      verify={verify}
      resend={() => api.sendTwoFactorCode({ method: "sms" })}
      sendErrorText={(error) => cannotTextText(error, hasOthers)}
      gone={gone}
      footer={footer}
      formExtra={trustBox}
    >
      {others}
    </CodeChallenge>
  );
}

/** SMS is the first step but its code could not be sent (limits, provider): say so, and offer the rest. */
export function SmsBlocked({
  error,
  hasOthers,
  retry,
  retrying,
  others,
  footer,
}: StepFrame & { error: SmsError | null; hasOthers: boolean; retry: () => void; retrying: boolean }) {
  const sentence =
    cannotTextText(error, hasOthers) ?? error?.message ?? "We couldn't text you a code. Try again in a few minutes.";
  return (
    <Card narrow title="Sign in another way" footer={footer}>
      <div className="stack-tight">
        <div className="alert alert-error" role="alert">
          <p>{sentence}</p>
        </div>
        {others}
        <div>
          <Button variant="secondary" size="small" onClick={retry} pending={retrying} pendingText="Sending…">
            Try texting again
          </Button>
        </div>
      </div>
    </Card>
  );
}

const codeStepText: Record<Exclude<CodeMethod, "sms">, { title: string; description: string; idPrefix: string }> = {
  totp: {
    title,
    description: `Enter the ${codeLength}-digit code from your authenticator app.`,
    idPrefix: "sign-in-totp",
  },
  recovery_code: {
    title: "Enter a recovery code",
    description: "Enter one of the recovery codes you saved when you set up two-factor sign-in. Each code works once.",
    idPrefix: "sign-in-recovery",
  },
};

/** A typed code nobody sends: the authenticator app's, or a recovery code. */
export function CodeStep({
  method,
  attemptsLeft,
  expiresAt,
  verify,
  others,
  trustBox,
  footer,
}: StepFrame & {
  method: Exclude<CodeMethod, "sms">;
  attemptsLeft: number;
  expiresAt: string;
  verify: (code: string) => Promise<"navigating">;
}) {
  const entry = useFactorCode(method, {
    initial: { attemptsLeft, expiresAt, resendAt: null },
    verify,
    goneCodes: ["challenge_expired", "not_found", "credentials_changed"],
  });
  const text = codeStepText[method];

  if (entry.dead)
    return <ChallengeGone {...gone} title={entry.dead === "attempts" ? "Too many wrong codes" : gone.title} />;
  return (
    <Card narrow title={text.title} description={text.description} footer={footer}>
      <div className="stack-tight">
        <FormError error={entry.form.error} ref={entry.form.errorRef} />
        <form
          method="post"
          aria-label="Enter the code"
          onSubmit={(event: FormEvent<HTMLFormElement>) => {
            event.preventDefault();
            void entry.submit(entry.code);
          }}
        >
          <FactorCodeField method={method} id={`${text.idPrefix}-code`} entry={entry} disabled={entry.blocked} />
          {trustBox}
          <Button type="submit" block pending={entry.form.pending} pendingText="Checking…" disabled={entry.blocked}>
            Verify
          </Button>
        </form>
        {others}
      </div>
    </Card>
  );
}

/**
 * The passkey: one button, because browsers want a click before they ask for a passkey. The options come from
 * the challenge (a fresh WebAuthn challenge each time), the assertion goes back with the verify.
 */
export function PasskeyStep({
  finish,
  others,
  trustBox,
  footer,
  onGone,
}: StepFrame & { finish: (proof: SecondFactorProof) => Promise<"navigating"> }) {
  const form = useForm();

  async function confirmWithPasskey() {
    await form.run(async () => {
      try {
        const options = await api.sendTwoFactorCode({ method: "passkey" });
        return await finish({ method: "passkey", response: await passkeyAssertion(options) });
      } catch (caught) {
        const error = toTwofoldError(caught);
        if (isChallengeGone(error) || attemptsLeftOf(error) === 0) onGone();
        throw error;
      }
    });
  }

  return (
    <Card narrow title="Use your passkey" description="Confirm it's you with the passkey you saved." footer={footer}>
      <div className="stack-tight">
        <FormError error={form.error} ref={form.errorRef} />
        <form
          method="post"
          aria-label="Use your passkey"
          onSubmit={(event: FormEvent<HTMLFormElement>) => {
            event.preventDefault();
            void confirmWithPasskey();
          }}
        >
          {trustBox}
          <Button type="submit" block pending={form.pending} pendingText="Waiting for your passkey…">
            Use your passkey
          </Button>
        </form>
        {others}
      </div>
    </Card>
  );
}
