"use client";
import Link from "next/link";
import { useEffect, useRef, type FormEvent, type ReactNode } from "react";
import type { CodeSent, TwofoldError } from "@/src/client";
import { smsErrorText } from "@/app/lib/messages";
import { useCodeEntry, type CodeOut } from "@/app/lib/use-code-entry";
import { Button } from "./Button";
import { Card } from "./Card";
import { CodeField, codeLength } from "./CodeField";
import { FormError } from "./FormError";
import { Notice } from "./Notice";
import { ResendCode } from "./ResendCode";

export interface ChallengeGoneProps {
  title: string;
  children: ReactNode;
  restart: { href: string; label: string };
}

interface CodeChallengeProps {
  idPrefix: string;
  title: string;
  /** The challenge as the API reports it when the page loads. */
  challenge: CodeOut & { phoneHint: string | null };
  /** Resolves (or returns "navigating") on the right code; throws the API's error otherwise. */
  verify: (code: string) => Promise<void | "navigating">;
  resend: () => Promise<CodeSent>;
  /** Shown in place of the form once the challenge is dead (expired, or too many wrong codes). */
  gone: ChallengeGoneProps;
  footer?: ReactNode;
  /** Inside the form, above its button (e.g. the sign-in's "Don't ask again on this browser"). */
  formExtra?: ReactNode;
  /** Below the resend button (e.g. the sign-in's other ways in). */
  children?: ReactNode;
  /** The sentence for an error sending the code, in place of `smsErrorText`'s. */
  sendErrorText?: (error: TwofoldError) => string | undefined;
}

/**
 * The "enter the code we texted you" step, for the sign-in challenge and for phone verification alike: one
 * flow with one set of rules (wrong-code budget, resend cooldown, dead challenge), so one component.
 */
export function CodeChallenge({
  idPrefix,
  title,
  challenge,
  verify,
  resend,
  gone,
  footer,
  formExtra,
  children,
  sendErrorText = smsErrorText,
}: CodeChallengeProps) {
  const entry = useCodeEntry<CodeOut>({
    initial: challenge,
    verify,
    send: resend,
    // credentials_changed: a password, factor or number changed while this code was pending; it can only start again.
    goneCodes: ["challenge_expired", "not_found", "credentials_changed"],
  });
  const { code, setCode, codeError, dead, blocked, form, sendForm, input } = entry;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await entry.submit(code);
  }

  // Why the challenge died: wrong codes get their own headline; everything else reads as expired.
  if (dead) return <ChallengeGone {...gone} title={dead === "attempts" ? "Too many wrong codes" : gone.title} />;

  const { phoneHint } = challenge;
  return (
    <Card
      narrow
      title={title}
      description={
        phoneHint ? (
          <>
            We sent a {codeLength}-digit code to <strong className="nowrap">{phoneHint}</strong>. Enter it below.
          </>
        ) : (
          `We sent you a ${codeLength}-digit code by text message. Enter it below.`
        )
      }
      footer={footer}
    >
      <div className="stack-tight">
        <FormError error={form.error} ref={form.errorRef} message={smsErrorText(form.error)} />
        <Notice>{entry.sentAgain && <p>New code sent. Earlier codes no longer work.</p>}</Notice>
        <form method="post" onSubmit={onSubmit} aria-label="Enter the code">
          <CodeField
            id={`${idPrefix}-code`}
            ref={input}
            value={code}
            onChange={setCode}
            hint={entry.attemptsHint}
            error={codeError ?? undefined}
            disabled={blocked}
          />
          {formExtra}
          <Button type="submit" block pending={form.pending} pendingText="Checking…" disabled={blocked}>
            Verify
          </Button>
        </form>
        <ResendCode entry={entry} />
        <FormError
          error={sendForm.error}
          ref={sendForm.errorRef}
          message={sendForm.error ? sendErrorText(sendForm.error) : undefined}
        />
        {children}
      </div>
    </Card>
  );
}

/** The dead end, with the way back: a challenge that expired or took too many wrong codes cannot be revived. */
export function ChallengeGone({ title, children, restart }: ChallengeGoneProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus moves here from the form that just vanished, so screen readers announce why.
  useEffect(() => heading.current?.focus(), []);
  return (
    <Card narrow>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <div className="muted">{children}</div>
      <Link href={restart.href} className="button">
        {restart.label}
      </Link>
    </Card>
  );
}
