"use client";
import Link from "next/link";
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { attemptsLeftOf, type CodeSent } from "@/src/client";
import { smsErrorText, toTwofoldError } from "@/app/lib/messages";
import { useForm } from "@/app/lib/use-form";
import { formatClock, secondsUntil, useNow } from "@/app/lib/use-now";
import { receiveSmsCode } from "@/app/lib/web-otp";
import { Button } from "./Button";
import { Card } from "./Card";
import { CodeField, codeLength } from "./CodeField";
import { FormError } from "./FormError";
import { Notice } from "./Notice";

// The API's wrong-code budget per challenge (issue 4): below it, the page says how many tries are left.
const attemptsPerChallenge = 5;

export interface ChallengeGoneProps {
  title: string;
  children: ReactNode;
  restart: { href: string; label: string };
}

interface CodeChallengeProps {
  idPrefix: string;
  title: string;
  phoneHint: string | null;
  resendAt: string | null;
  expiresAt: string;
  /** The latest code's end, when the API says (earlier than the challenge's `expiresAt`). */
  codeExpiresAt?: string | null;
  attemptsLeft: number | null;
  /** Resolves (or returns "navigating") on the right code; throws the API's error otherwise. */
  verify: (code: string) => Promise<void | "navigating">;
  resend: () => Promise<CodeSent>;
  /** Shown in place of the form once the challenge is dead (expired, or too many wrong codes). */
  gone: ChallengeGoneProps;
  footer?: ReactNode;
}

/**
 * The "enter the code we texted you" step, for the sign-in challenge and for phone verification alike: one
 * flow with one set of rules (wrong-code budget, resend cooldown, dead challenge), so one component.
 */
export function CodeChallenge({ idPrefix, title, phoneHint, verify, resend, gone, footer, ...initial }: CodeChallengeProps) {
  const now = useNow();
  const [code, setCode] = useState("");
  const [codeError, setCodeError] = useState<string | null>(null);
  const [times, setTimes] = useState({ resendAt: initial.resendAt, expiresAt: initial.codeExpiresAt ?? initial.expiresAt });
  const [attemptsLeft, setAttemptsLeft] = useState(initial.attemptsLeft);
  // Why the challenge died: wrong codes get their own headline; everything else reads as expired.
  const [dead, setDead] = useState<"attempts" | "expired" | null>(null);
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const [sentAgain, setSentAgain] = useState(false);
  const [otpRound, setOtpRound] = useState(0);
  const form = useForm();
  const resendForm = useForm();
  const input = useRef<HTMLInputElement>(null);

  const resendIn = secondsUntil(times.resendAt, now);
  const codeExpired = secondsUntil(times.expiresAt, now) === 0;
  const blocked = blockedUntil !== null && (now === null || now < blockedUntil);
  // credentials_changed: a password, factor or number changed while this code was pending; it can only start again.
  const isGone = (code: string, status: number) => code === "challenge_expired" || code === "not_found" || code === "credentials_changed" || status === 410;

  async function submit(value: string) {
    setSentAgain(false);
    setCodeError(null);
    if (value.length !== codeLength) {
      setCodeError(`Enter the ${codeLength}-digit code from the text message.`);
      input.current?.focus();
      return;
    }
    await form.run(async () => {
      try {
        return await verify(value);
      } catch (caught) {
        const error = toTwofoldError(caught);
        if (error.code === "invalid_code") {
          const left = attemptsLeftOf(error);
          if (left === 0) return setDead("attempts");
          setAttemptsLeft(left);
          setCodeError(left === null ? "That code isn't right. Check the latest text and try again." : `That code isn't right. ${attemptsText(left)} left.`);
          setCode("");
          input.current?.focus();
          return;
        }
        if (isGone(error.code, error.status)) return setDead("expired");
        if (error.code === "too_many_attempts") setBlockedUntil(Date.now() + (error.retryAfterSeconds ?? 3600) * 1000);
        throw error;
      }
    });
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await submit(code);
  }

  async function onResend() {
    setSentAgain(false);
    await resendForm.run(async () => {
      try {
        const sent = await resend();
        setTimes({ resendAt: sent.resendAt, expiresAt: sent.codeExpiresAt ?? sent.expiresAt });
        setSentAgain(true);
        setCode("");
        setCodeError(null);
        setOtpRound((round) => round + 1);
        input.current?.focus();
      } catch (caught) {
        const error = toTwofoldError(caught);
        if (isGone(error.code, error.status)) return setDead("expired");
        // Our clock and the server's may differ: its Retry-After restarts the countdown from its own clock.
        if (error.retryAfterSeconds) setTimes((current) => ({ ...current, resendAt: new Date(Date.now() + error.retryAfterSeconds! * 1000).toISOString() }));
        if (error.code === "resend_too_soon") return;
        throw error;
      }
    });
  }

  // WebOTP: where the browser can read the code from the SMS, it fills and submits it. Restarted per new code.
  const latestSubmit = useRef(submit);
  useEffect(() => {
    latestSubmit.current = submit;
  });
  useEffect(() => {
    if (dead) return;
    const controller = new AbortController();
    void receiveSmsCode(controller.signal).then((received) => {
      const digits = received?.replace(/\D/g, "").slice(0, codeLength);
      if (!digits || controller.signal.aborted) return;
      setCode(digits);
      void latestSubmit.current(digits);
    });
    return () => controller.abort();
  }, [otpRound, dead]);

  if (dead) return <ChallengeGone {...gone} title={dead === "attempts" ? "Too many wrong codes" : gone.title} />;

  const attemptsHint = !blocked && !codeError && attemptsLeft !== null && attemptsLeft < attemptsPerChallenge ? `${attemptsText(attemptsLeft)} left.` : undefined;
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
        <Notice>{sentAgain && <p>New code sent. Earlier codes no longer work.</p>}</Notice>
        <form method="post" onSubmit={onSubmit} aria-label="Enter the code">
          <CodeField id={`${idPrefix}-code`} ref={input} value={code} onChange={setCode} hint={attemptsHint} error={codeError ?? undefined} disabled={blocked} />
          <Button type="submit" block pending={form.pending} pendingText="Checking…" disabled={blocked}>
            Verify
          </Button>
        </form>
        <div className="resend">
          <p className="muted small">{codeExpired ? "This code has expired. Ask for a new one." : "Didn't get a text? It can take a minute."}</p>
          <Button variant="secondary" size="small" onClick={onResend} pending={resendForm.pending} pendingText="Sending…" disabled={blocked || resendIn === null || resendIn > 0}>
            {resendIn && !blocked ? `Send a new code in ${formatClock(resendIn)}` : "Send a new code"}
          </Button>
        </div>
        <FormError error={resendForm.error} ref={resendForm.errorRef} message={smsErrorText(resendForm.error)} />
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

function attemptsText(left: number): string {
  return `${left} attempt${left === 1 ? "" : "s"}`;
}
